"""Authentication: register, confirm, sign in and out, password reset, reviewer invitations."""

from portal.auth import views  # noqa: F401 - the routes
from portal.auth.blueprint import bp

__all__ = ["bp"]
