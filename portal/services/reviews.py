"""Reviews: whether reviewing is open, a review saved as a draft or submitted (each submitted version kept in its
history), the reviews still unfinished and the reminders chairs send about them. The caller commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.db import db, utcnow
from portal.domain import ChangedMeanwhile, DeadlinePassed
from portal.models import (
    Phase,
    Review,
    ReviewAssignment,
    ReviewRevision,
    ReviewState,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.services import audit, mail_templates, review_form
from portal.services.scores import refresh_scores
from portal.urls import external_url


def reviewing_open(ws: Workshop, now: datetime) -> bool:
    return ws.phase == Phase.REVIEWING and (ws.review_deadline is None or now < ws.review_deadline)


def save_review(
    ws: Workshop,
    assignment: ReviewAssignment,
    data: dict[str, Any],
    *,
    submit: bool,
    version: int | None,
    now: datetime | None = None,
) -> Review:
    """Save a draft or submit; after submitting, edits are allowed until the review deadline (kept in history)."""
    now = now or utcnow()
    if not reviewing_open(ws, now):
        raise DeadlinePassed("Reviewing is closed.", ws.review_deadline)
    review = assignment.review
    on_form = review_form.fields(ws)
    if review is None:
        review = Review(assignment=assignment, created_at=now)
        db.session.add(review)
    elif version != review.version:  # None: the form was opened before this review existed
        given = review.content()
        if all(data.get(f.key) == given.get(f.key) for f in on_form) and (
            not submit or review.state == ReviewState.SUBMITTED
        ):  # these very answers are saved already (a double click, the same form sent twice): done
            return review
        raise ChangedMeanwhile(
            "This review was saved (perhaps in another tab) after you opened it. Reload the page to see the latest "
            "text, then make your change again."
        )
    was_submitted = review.state == ReviewState.SUBMITTED
    review_form.check_answers(on_form, data, submit=submit or was_submitted, given=review.content())
    # The answers to the fields on the form replace theirs; those of retired fields stay as they were given.
    review.set_content(review.content() | {f.key: data.get(f.key) for f in on_form})
    if submit or was_submitted:
        review.state = ReviewState.SUBMITTED
        review.submitted_at = review.submitted_at or now
        review.history.append(ReviewRevision(content=review.content(), created_at=now))
    review.updated_at = now
    refresh_scores([assignment.submission_id])
    return review


# --- unfinished reviews and reminders -----------------------------------------------------------------


def unfinished_by_reviewer(viewer: User | None = None) -> dict[int, list[ReviewAssignment]]:
    """Per reviewer, their assignments without a submitted review, on papers still in reviewing (a withdrawn
    paper's review is owed to nobody); with ``viewer`` (a chair), only on the papers that chair handles: a count
    must not tell a chair who reviews their own paper."""
    result: dict[int, list[ReviewAssignment]] = defaultdict(list)
    hidden = permissions.chair_conflicted_ids(viewer) if viewer is not None else sa.select(Submission.id).where(sa.false())
    for a in db.session.scalars(
        sa.select(ReviewAssignment)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(
            Submission.state == SubmissionState.SUBMITTED,
            ReviewAssignment.suspended_at.is_(None),
            ReviewAssignment.submission_id.not_in(hidden),
        )
        .options(selectinload(ReviewAssignment.review))
        .order_by(ReviewAssignment.submission_id)
    ):
        if a.review is None or a.review.state != ReviewState.SUBMITTED:
            result[a.reviewer_id].append(a)
    return dict(result)


def remind_reviewers(actor: User, ws: Workshop) -> int:
    """One mail to each reviewer with unfinished reviews, listing that reviewer's own papers (the papers the
    chair reminding handles: the reviewers of a chair's own paper are reminded by another chair)."""
    count = 0
    for reviewer_id, items in sorted(unfinished_by_reviewer(actor).items()):
        reviewer = db.session.get(User, reviewer_id)
        mail_templates.queue(
            ws,
            "reminder",
            to=reviewer.email,
            reply_to=ws.contact_email,
            subject=f"[{ws.label}] Reminder: {len(items)} review{'s' if len(items) != 1 else ''} to finish",
            ws=ws,
            reviewer=reviewer,
            items=items,
            home=external_url("review.index"),
        )
        count += 1
    audit.record(
        actor,
        "mail.reminders",
        f"Sent reminders to {count} reviewer(s) with unfinished reviews",
        conflict_safe="Sent reminders to the reviewers with unfinished reviews",
    )
    return count
