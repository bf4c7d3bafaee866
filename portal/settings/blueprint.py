"""The ``settings`` blueprint, apart from its views so that they import it without importing the package."""

from flask import Blueprint

from portal.permissions import require_chair

bp = Blueprint("settings", __name__, url_prefix="/settings")
bp.before_request(require_chair)
