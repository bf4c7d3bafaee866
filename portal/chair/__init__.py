"""Chairs: reviewing settings, conflicts, assignment (automatic and manual), reminders, the chair's paper view."""

from flask import Blueprint

from portal.permissions import require_chair

bp = Blueprint("chair", __name__, url_prefix="/chair")
bp.before_request(require_chair)

from portal.chair import audit, console, content, decisions, exports, jobs, mail, views  # noqa: E402, F401
