"""The ``submissions`` blueprint, apart from its views so that they import it without importing the package."""

from flask import Blueprint

from portal.permissions import require_sign_in

bp = Blueprint("submissions", __name__, url_prefix="/submissions")
bp.before_request(require_sign_in)
