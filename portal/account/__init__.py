"""A person's own account: profile, email, password, expertise, conflicts, sessions."""

from portal.account import views  # noqa: F401 - the routes
from portal.account.blueprint import bp

__all__ = ["bp"]
