"""Sponsors: the call to sponsor and the contact form to the organizers."""

from flask import Blueprint

bp = Blueprint("sponsors", __name__, url_prefix="/sponsors")

from portal.sponsors import views  # noqa: E402, F401
