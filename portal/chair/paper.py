"""Chairs: the chair's view of a paper, with its reviews, discussion, conflicts, history and decision."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.chair import confirm
from portal.chair.blueprint import bp
from portal.db import db, utcnow
from portal.forms import require_button
from portal.models import (
    AuditEvent,
    Decision,
    DiscussionComment,
    KeptDraft,
    Letter,
    Presentation,
    Review,
    ReviewAssignment,
    ReviewState,
    User,
)
from portal.queries.conflicts import reviewer_conflicts
from portal.services import area_chairs, calibration, kept_drafts, meta_reviews, responses, review_form
from portal.services.assignment_lists import CONFLICTS_A_PAPER
from portal.templating import format_datetime
from portal.web import get_submission, me, redirect_after, require_workshop


@bp.post("/papers/<int:number>/kept-drafts/<int:kept_id>/discard")
def discard_kept_draft(number: int, kept_id: int) -> Response | str:
    """Throw away a draft kept from a removed reviewer, after the confirmation page."""
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    row = db.session.get(KeptDraft, kept_id)
    if row is None or row.submission_id != sub.id:
        abort(404)
    back = url_for(".paper", number=sub.id, _anchor="kept-drafts")
    if not confirm.confirmed():
        return confirm.page(
            f"Discard the draft {row.reviewer.name} left on #{sub.id}",
            f"The draft review {row.reviewer.name} left on #{sub.id} “{sub.title}” (last saved "
            f"{format_datetime(row.saved_at)}) is deleted for good: nobody can read it again, and assigning "
            f"{row.reviewer.name} again starts an empty review.",
            [],
            "discard the draft",
            cancel=back,
        )
    outcome = work.attempt(lambda: kept_drafts.discard(me(), row))
    return redirect_after(outcome, f"The draft {row.reviewer.name} left on #{sub.id} is discarded.", back)


@bp.get("/papers/<int:number>")
def paper(number: int) -> str:
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    assigned = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id == sub.id)
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.review).selectinload(Review.history), selectinload(ReviewAssignment.reviewer))
    ).all()
    comments = db.session.scalars(
        sa.select(DiscussionComment).where(DiscussionComment.submission_id == sub.id).order_by(DiscussionComment.id)
    ).all()
    # The reviewers conflicted with this paper (asking the rules only about those who share a key with it), the
    # first CONFLICTS_A_PAPER by name; the conflicts page lists them all (hundreds at conference size).
    found = reviewer_conflicts([sub.id])
    names = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_({rid for _, rid in found}))).all())
    shown = sorted((rid for _, rid in found), key=lambda rid: (names[rid].lower(), rid))[:CONFLICTS_A_PAPER]
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(shown)))}
    history = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.submission_id == sub.id).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    letter = db.session.scalar(sa.select(Letter).where(Letter.submission_id == sub.id))
    meta = meta_reviews.meta_review_of(sub)
    submitted = [a.review.recommendation for a in assigned if a.review and a.review.state == ReviewState.SUBMITTED]
    return render_template(
        "chair/paper.html",
        ws=ws,
        sub=sub,
        assigned=assigned,
        kept=kept_drafts.kept_for(sub.id),
        comments=comments,
        ReviewState=ReviewState,
        conflicts=[(people[rid], found[(sub.id, rid)]) for rid in shown],
        more_conflicts=len(found) - len(shown),
        calibrated=calibration.calibration(ws, me()).score.get(sub.id),
        response=responses.response_of(sub),
        area_chair=area_chairs.area_chairs_of([sub.id]).get(sub.id),
        extra_requests=area_chairs.open_requests([sub.id]),
        meta=meta,
        meta_fields=meta_reviews.fields(ws, retired=True),
        meta_recommendation=meta_reviews.recommendation_label(ws, meta),
        now=utcnow(),
        calibration_explained=calibration.EXPLANATION,
        fields=permissions.visible_fields(permissions.review_audience(me(), sub), review_form.fields(ws, retired=True)),
        history=history,
        letter=letter,
        mean=sum(submitted) / len(submitted) if submitted else None,
        decisions=list(Decision),
        presentations=list(Presentation),
    )
