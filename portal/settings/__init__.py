"""Chair-only: the submission settings (deadlines, submission types, file limits, anonymity)."""

from flask import Blueprint

from portal.permissions import require_chair

bp = Blueprint("settings", __name__, url_prefix="/settings")
bp.before_request(require_chair)

from portal.settings import views  # noqa: E402, F401
