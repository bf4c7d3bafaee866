"""Reviews and the discussion, by the review form's fields (issue 21.1: the chairs choose them): the form, a paper's
reviews as its reviewing page shows them (the fields the reader's audience may read, "Reviewer N" to all but the
chairs who handle it), a reviewer's own review saved or submitted (``If-Match`` once it exists), every review of
the papers a chair handles (for a spreadsheet), and the paper's discussion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, abort
from pydantic import Field
from sqlalchemy.orm import selectinload

from portal import permissions, work
from portal.api.core import Answer, Strict, answer, decode_cursor, encode_cursor, if_match, operation, refuse, refused_outcome
from portal.db import db
from portal.models import DiscussionComment, ReviewAssignment, ReviewState, Submission
from portal.models.review_form import Audience, ReviewField
from portal.permissions import chair_conflicted_ids
from portal.services import assignments, discussion, review_form, reviews
from portal.web import get_submission, me, require_workshop

TAG = "Reviews"


class FieldOut(Answer):
    key: str
    label: str
    kind: str
    help: str
    required: bool
    visibility: str = Field(description="who reads its answers: authors, reviewers or chairs (and those above)")
    options: dict[str, Any]
    min_words: int | None
    max_words: int | None
    active: bool


class FormOut(Answer):
    fields: list[FieldOut]


def _field_out(f: ReviewField) -> FieldOut:
    return FieldOut(
        key=f.key,
        label=f.label,
        kind=f.kind.value,
        help=f.help,
        required=f.required,
        visibility=f.visibility.value,
        options=f.options or {},
        min_words=f.min_words,
        max_words=f.max_words,
        active=f.active,
    )


@operation("/review-form", tag=TAG, response=FormOut)
def form() -> Response:
    """The review form's fields in order (for reviewers and chairs): the keys a review's ``answers`` use."""
    ws = require_workshop()
    if not (permissions.is_reviewer(me()) or permissions.is_chair(me())):
        refuse(403, "The review form is for reviewers and chairs.")
    return answer(FormOut(fields=[_field_out(f) for f in review_form.fields(ws)]))


class ReviewOut(Answer):
    number: int
    reviewer: str = Field(description="“Reviewer N”; the name for the chairs who handle the paper")
    ordinal: int
    state: str
    submitted_at: datetime | None
    answers: dict[str, Any] = Field(description="by field key: only the fields you may read")


class ReviewList(Answer):
    items: list[ReviewOut]
    next_cursor: str | None


def _review_out(a: ReviewAssignment, shown: list[ReviewField], names: bool) -> ReviewOut:
    review = a.review
    if review is None:  # (the callers pass reviews that exist)
        abort(404)
    return ReviewOut(
        number=a.submission_id,
        reviewer=a.reviewer.name if names else f"Reviewer {a.ordinal}",
        ordinal=a.ordinal,
        state=review.state.value,
        submitted_at=review.submitted_at,
        answers={f.key: review.answer(f.key) for f in shown},
    )


def _may_read_reviews(user: Any, sub: Submission) -> bool:
    """Who may ask for a paper's reviews: who sees it as a reviewer, and its authors once they read reviews."""
    if permissions.can_see_paper_as_reviewer(user, sub):
        return True
    return permissions.is_author(user, sub) and permissions.review_audience(user, sub) is not None


@operation("/submissions/<int:number>/reviews", tag=TAG, response=ReviewList)
def paper_reviews(number: int) -> Response:
    """A paper's submitted reviews, as its pages show them: for the chairs who handle it and its area chair, for its
    reviewers once their own review is in (empty before), and for its authors the fields for them, as "Reviewer N",
    once the chairs released the reviews for the response or the decision letter is sent (404 before)."""
    ws = require_workshop()
    user = me()
    sub = get_submission(number, _may_read_reviews)
    items: list[ReviewOut] = []
    audience = permissions.review_audience(user, sub)
    if audience is not None:
        shown = permissions.visible_fields(audience, review_form.fields(ws, retired=True))
        names = permissions.can_chair_paper(user, sub)
        found = db.session.scalars(
            sa.select(ReviewAssignment)
            .where(ReviewAssignment.submission_id == sub.id)
            .order_by(ReviewAssignment.ordinal)
            .options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.reviewer))
        ).all()
        items = [
            _review_out(a, shown, names)
            for a in found
            if a.review is not None and a.review.state == ReviewState.SUBMITTED and a.suspended_at is None
        ]
    return answer(ReviewList(items=items, next_cursor=None))


class ReviewsQuery(Strict):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(100, ge=1, le=500)


@operation("/reviews", tag=TAG, response=ReviewList, query=ReviewsQuery)
def every_review(query: ReviewsQuery) -> Response:
    """Every submitted review of the papers you handle (chairs), by paper and reviewer number, with every field and
    the reviewers' names: a spreadsheet's rows. A paper you are an author of (or conflicted with) is not in it."""
    ws = require_workshop()
    user = me()
    if not permissions.is_chair(user):
        refuse(403, "Every review is for the chairs.")
    after = decode_cursor(query.cursor, 2)
    stmt = (
        sa.select(ReviewAssignment)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(
            Submission.workshop_id == ws.id,
            Submission.id.not_in(chair_conflicted_ids(user)),
            ReviewAssignment.suspended_at.is_(None),
            ReviewAssignment.review.has(state=ReviewState.SUBMITTED),
        )
    )
    if after is not None:
        stmt = stmt.where(sa.tuple_(ReviewAssignment.submission_id, ReviewAssignment.ordinal) > (int(after[0]), int(after[1])))
    rows = db.session.scalars(
        stmt.order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
        .limit(query.limit + 1)
        .options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.reviewer))
    ).all()
    following = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        following = encode_cursor(rows[-1].submission_id, rows[-1].ordinal)
    shown = permissions.visible_fields(Audience.CHAIRS, review_form.fields(ws, retired=True))
    return answer(ReviewList(items=[_review_out(a, shown, True) for a in rows], next_cursor=following))


class OwnReviewIn(Strict):
    answers: dict[str, Any] = Field(description="by field key (GET /review-form); a field left out is left empty")
    submit: bool = Field(False, description="submit (a required field must be answered); false: a draft")


class OwnReviewOut(ReviewOut):
    version: int


@operation("/submissions/<int:number>/review", tag=TAG, response=OwnReviewOut, etag=True)
def own_review(number: int) -> Response:
    """Your own review of a paper you review (404 before you saved one); its ETag is its version."""
    require_workshop()
    sub = get_submission(number, permissions.can_review)
    a = permissions.assignment_for(me(), sub)
    if a is None or a.review is None:
        abort(404)
    return _own(a)


def _own(a: ReviewAssignment) -> Response:
    ws = require_workshop()
    review = a.review
    if review is None:
        abort(404)
    fields = review_form.fields(ws)
    out = OwnReviewOut(
        **_review_out(a, fields, False).model_dump(exclude={"answers"}),
        answers={f.key: review.answer(f.key) for f in fields},
        version=review.version,
    )
    return answer(out, etag=review.version)


@operation(
    "/submissions/<int:number>/review", "PUT", tag=TAG, response=OwnReviewOut, body=OwnReviewIn, etag=True, errors=(409, 412, 428)
)
def save_review(number: int, body: OwnReviewIn) -> Response:
    """Save your review as a draft or submit it, with the form's checks and the page's sentences. Once it exists,
    send ``If-Match`` with its ETag (412 when it changed since, 428 without)."""
    ws = require_workshop()
    sub = get_submission(number, permissions.can_review)
    a = permissions.assignment_for(me(), sub)
    if a is None:
        abort(404)
    version = if_match() if a.review is not None else None
    outcome = work.attempt(lambda: reviews.save_review(ws, a, body.answers, submit=body.submit, version=version))
    if not outcome.ok:
        refused_outcome(outcome)
    a = permissions.assignment_for(me(), get_submission(number, permissions.can_review))
    if a is None:
        abort(404)
    return _own(a)


class CommentOut(Answer):
    id: int
    author: str = Field(description="as the paper's page names them: a name for the chairs, “Reviewer N” otherwise")
    body: str
    created_at: datetime


class Discussion(Answer):
    items: list[CommentOut]


class CommentIn(Strict):
    body: str = Field(min_length=1, max_length=10_000)


@operation("/submissions/<int:number>/discussion", tag=TAG, response=Discussion)
def discussion_list(number: int) -> Response:
    """The paper's discussion, oldest first, for those who may take part (chairs; reviewers once their review is in)."""
    require_workshop()
    user = me()
    sub = get_submission(number, permissions.can_see_paper_as_reviewer)
    if not permissions.can_discuss(user, sub):
        refuse(403, "You may read the discussion once your own review is in.")
    comments = db.session.scalars(
        sa.select(DiscussionComment)
        .where(DiscussionComment.submission_id == sub.id)
        .order_by(DiscussionComment.id)
        .options(selectinload(DiscussionComment.author))
    ).all()
    items = [
        CommentOut(
            id=c.id,
            author=discussion.display_name(c.author, sub, viewer=user) if c.author else "Someone",
            body=c.body,
            created_at=c.created_at,
        )
        for c in comments
    ]
    return answer(Discussion(items=items))


@operation(
    "/submissions/<int:number>/discussion", "POST", tag=TAG, response=CommentOut, status=201, body=CommentIn, errors=(409,)
)
def post_comment(number: int, body: CommentIn) -> Response:
    """Add to the paper's discussion (the other participants are mailed, never the authors)."""
    ws = require_workshop()
    user = me()
    sub = get_submission(number, permissions.can_see_paper_as_reviewer)
    if not permissions.can_discuss(user, sub):
        refuse(403, "You may take part in the discussion once your own review is in.")
    outcome = work.attempt(lambda: discussion.post_comment(user, ws, sub, body.body))
    if not outcome.ok:
        refused_outcome(outcome)
    c: DiscussionComment = outcome.value  # type: ignore[assignment]
    return answer(CommentOut(id=c.id, author="You", body=c.body, created_at=c.created_at), 201)


class DeclineIn(Strict):
    reason: str = Field("", max_length=500, description="why, for the chairs (for a conflict: what it is)")
    conflict: bool = Field(False, description="a conflict of interest the portal did not catch: recorded as one")


@operation("/submissions/<int:number>/review/decline", "POST", tag=TAG, response=None, status=204, body=DeclineIn, errors=(409,))
def decline(number: int, body: DeclineIn) -> Response:
    """Give a paper you review back before your review is submitted (a draft goes), with a reason the chairs read;
    they are told by mail and later automatic assignments leave the pair out."""
    ws = require_workshop()
    sub = get_submission(number, permissions.can_review)
    outcome = work.attempt(lambda: assignments.decline_assignment(me(), ws, sub, body.reason, conflict=body.conflict))
    if not outcome.ok:
        refused_outcome(outcome)
    return Response(status=204)
