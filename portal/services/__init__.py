"""Business logic: one function per state change. Services flush, never commit; the caller owns the
transaction (a POST view or a CLI command, through ``portal.work``). The errors they raise are in
``portal.domain``."""
