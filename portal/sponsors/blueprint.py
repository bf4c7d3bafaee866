"""The ``sponsors`` blueprint, apart from its views so that they import it without importing the package."""

from flask import Blueprint

bp = Blueprint("sponsors", __name__, url_prefix="/sponsors")
