"""Authentication: register, confirm, sign in and out, password reset, reviewer invitations."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from portal.auth import views  # noqa: E402, F401
