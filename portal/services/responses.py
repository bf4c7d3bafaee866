"""The author response (issue 21.3): the authors of a paper write one response to its reviews while the
response phase is open; after the deadline the paper's reviewers and chairs read it, the reviewers are told, and
a review changed after it is marked "updated after the response". The caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal import emails
from portal.db import db, utcnow
from portal.domain import ChangedMeanwhile, DeadlinePassed, DomainError
from portal.models import (
    AuthorResponse,
    Review,
    ReviewAssignment,
    ReviewRevision,
    ReviewState,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.permissions import chair_conflicted_ids
from portal.services import audit
from portal.urls import external_url

MAX_CHARACTERS = 20_000  # whatever the word limit: a response is read, not a second paper


def words(text: str) -> int:
    return len(text.split())


def response_of(sub: Submission) -> AuthorResponse | None:
    return db.session.scalar(sa.select(AuthorResponse).where(AuthorResponse.submission_id == sub.id))


def save_response(actor: User, sub: Submission, body: str, version: int | None, now: datetime | None = None) -> AuthorResponse:
    """Write or change the paper's response (the view has checked that ``actor`` is one of its authors).
    ``version`` is the one the author's page showed (None: there was no response yet); a response saved by a
    co-author since is not overwritten."""
    now = now or utcnow()
    ws = sub.workshop
    if sub.state != SubmissionState.SUBMITTED:
        raise DomainError("Only a submitted paper has reviews to respond to.")
    if not ws.response_open(now):
        raise DeadlinePassed(
            "The response deadline has passed." if ws.responses_final(now) else "The response phase has not begun.",
            ws.response_deadline,
        )
    body = body.strip()
    count = words(body)
    if count > ws.response_words:
        raise DomainError(f"The response has {count} words; the limit is {ws.response_words}. Shorten it and save again.")
    row = response_of(sub)
    if row is None:
        if version is not None:
            raise ChangedMeanwhile("The response was deleted meanwhile. Reload the page.")
        row = AuthorResponse(submission_id=sub.id)
        db.session.add(row)
    elif version != row.version:
        if body == row.body:  # this very text is saved already (a double click, the same form sent twice): done
            return row
        if row.updated_by_id == actor.id:  # (not "a co-author": the author's own other tab or earlier post)
            raise ChangedMeanwhile(
                "You saved the response (perhaps in another tab or window) after you opened this page. That text is "
                "shown below; this one is still in the box. Merge the two and save again."
            )
        raise ChangedMeanwhile(
            f"A co-author ({row.updated_by.name if row.updated_by else 'someone'}) saved the response after you opened "
            "it. Their text is shown below; yours is still in the box. Merge the two and save again."
        )
    row.body, row.updated_at, row.updated_by_id = body, now, actor.id
    audit.record(actor, "response.save", f"Saved the authors' response to #{sub.id} ({count} words)", submission=sub)
    db.session.flush()
    return row


@dataclass(frozen=True)
class Updated:
    """A review changed after the response deadline: who (for the chairs) and when."""

    submission_id: int
    ordinal: int
    reviewer: str
    at: datetime


def updated_after_response(
    ws: Workshop, viewer: User, sub_ids: list[int] | None = None, limit: int | None = None
) -> list[Updated]:
    """The reviews saved again after the response deadline (each review once, at its latest revision), of the
    papers ``viewer`` handles, by paper; the first ``limit``."""
    if ws.response_deadline is None:
        return []
    stmt = (
        sa.select(ReviewAssignment.submission_id, ReviewAssignment.ordinal, User.name, sa.func.max(ReviewRevision.created_at))
        .join(Review, Review.id == ReviewRevision.review_id)
        .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .where(
            ReviewRevision.created_at >= ws.response_deadline,
            Review.state == ReviewState.SUBMITTED,
            ReviewAssignment.submission_id.not_in(chair_conflicted_ids(viewer)),
        )
        .group_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal, User.name)
        .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
    )
    if sub_ids is not None:
        stmt = stmt.where(ReviewAssignment.submission_id.in_(sub_ids))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [Updated(*row) for row in db.session.execute(stmt)]


def count_with_response(ws: Workshop, viewer: User) -> int:
    """Papers ``viewer`` handles whose authors wrote a response."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuthorResponse)
            .join(Submission, Submission.id == AuthorResponse.submission_id)
            .where(
                Submission.workshop_id == ws.id,
                AuthorResponse.body != "",
                Submission.id.not_in(chair_conflicted_ids(viewer)),
            )
        )
        or 0
    )


def tell_reviewers(actor: User, ws: Workshop, now: datetime | None = None) -> int:
    """Once the responses are final: one mail to each reviewer with a paper that has a response, listing those
    papers, to read it and update their review if it changes their view. Returns how many mails were queued."""
    now = now or utcnow()
    if not ws.responses_final(now):
        raise DomainError("The reviewers are told once the response deadline has passed.")
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email, Submission.id, Submission.title)
        .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .join(AuthorResponse, AuthorResponse.submission_id == Submission.id)
        .where(
            Submission.workshop_id == ws.id,
            Submission.state == SubmissionState.SUBMITTED,
            ReviewAssignment.suspended_at.is_(None),
            AuthorResponse.body != "",
        )
        .order_by(User.id, Submission.id)
    ).all()
    papers: dict[int, tuple[str, str, list[tuple[int, str, str]]]] = {}
    for uid, name, email, number, title in rows:
        papers.setdefault(uid, (name, email, []))[2].append((number, title, external_url("review.paper", number=number)))
    for name, email, listed in papers.values():
        emails.queue(
            kind="responses",
            to=email,
            template="responses",
            subject=f"[{ws.label}] The authors' responses are in",
            name=name,
            papers=listed,
            deadline=ws.review_deadline,
            ws=ws,
        )
    audit.record(actor, "response.tell", f"Told {len(papers)} reviewers that the authors' responses are in")
    return len(papers)
