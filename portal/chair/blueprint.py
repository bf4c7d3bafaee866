"""The ``chair`` blueprint, apart from its views so that they import it without importing the package."""

from flask import Blueprint

from portal.permissions import require_chair

bp = Blueprint("chair", __name__, url_prefix="/chair")
bp.before_request(require_chair)
