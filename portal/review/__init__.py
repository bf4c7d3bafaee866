"""Reviewers: their papers, bidding, reviews, the paper page with the other reviews and the discussion."""

from flask import Blueprint

from portal.permissions import require_sign_in

bp = Blueprint("review", __name__, url_prefix="/review")
bp.before_request(require_sign_in)

from portal.review import views  # noqa: E402, F401
