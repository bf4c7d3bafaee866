"""Chair-only: the people with accounts, their roles, and reviewer invitations."""

from portal.members import views  # noqa: F401 - the routes
from portal.members.blueprint import bp

__all__ = ["bp"]
