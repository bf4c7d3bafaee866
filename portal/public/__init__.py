"""The public, informational pages of the workshop."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import views  # noqa: E402, F401
