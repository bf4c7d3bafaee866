"""Paper submission against the CFP topics: the author's area, uploads, revisions, camera-ready."""

from flask import Blueprint

from portal.permissions import require_sign_in

bp = Blueprint("submissions", __name__, url_prefix="/submissions")
bp.before_request(require_sign_in)

from portal.submissions import views  # noqa: E402, F401
