"""Chair-only: the people with accounts, their roles, and reviewer invitations."""

from flask import Blueprint

from portal.permissions import require_chair

bp = Blueprint("members", __name__, url_prefix="/members")
bp.before_request(require_chair)

from portal.members import views  # noqa: E402, F401
