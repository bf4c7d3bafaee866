"""Business logic: one function per state change. Services flush, never commit; the caller owns the
transaction (a POST view or a CLI command)."""


class DomainError(Exception):
    """A rule of the workshop refused the change; the message is shown to the user as is."""
