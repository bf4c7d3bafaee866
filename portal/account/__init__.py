"""A person's own account: profile, email, password, expertise, conflicts, sessions."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from portal.account import views  # noqa: E402, F401
