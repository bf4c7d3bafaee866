"""Meta-reviews (issue 21.2): the form (``ReviewField`` rows with ``form="meta"``, the default form until the chairs
change it), the area chair's meta-review saved as a draft or submitted, and who reads which of its fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal import permissions
from portal.db import db, utcnow
from portal.domain import ChangedMeanwhile, DomainError
from portal.models import Audience, MetaReview, ReviewField, Submission, User, Workshop
from portal.queries import letter_sent
from portal.services import audit, review_form

FORM = "meta"


def fields(ws: Workshop, *, retired: bool = False) -> list[ReviewField]:
    """The meta-review form's fields in order: the chairs' if they changed it, else the default form."""
    rows = review_form.fields(ws, retired=True, form=FORM)
    return rows if retired else [f for f in rows if f.active]


def meta_review_of(sub: Submission) -> MetaReview | None:
    return db.session.scalar(sa.select(MetaReview).where(MetaReview.submission_id == sub.id))


def save_meta_review(
    actor: User,
    ws: Workshop,
    sub: Submission,
    data: dict[str, Any],
    *,
    submit: bool,
    version: int | None,
    now: datetime | None = None,
) -> MetaReview:
    """The area chair saves a draft or submits (a submitted one stays editable, and submitted, until the decision
    letter is sent)."""
    now = now or utcnow()
    if letter_sent(sub):
        raise DomainError("The decision letter is sent: the meta-review is final.")
    row = meta_review_of(sub)
    on_form = fields(ws)
    if row is None:
        row = MetaReview(submission_id=sub.id, author_id=actor.id, created_at=now)
        db.session.add(row)
    elif version != row.version:
        if (
            row.author_id == actor.id
            and _kept(row.content() | {f.key: data.get(f.key) for f in on_form}) == _kept(row.content())
            and (not submit or row.submitted)
        ):  # these very answers are saved already, by this area chair (a double click, the same form sent twice)
            return row
        raise ChangedMeanwhile(
            "The meta-review was saved (perhaps in another tab) after you opened it. Reload the page and make your change again."
        )
    was_submitted = row.submitted
    review_form.check_answers(on_form, data, submit=submit or was_submitted, given=row.content())
    row.answers = _kept(row.content() | {f.key: data.get(f.key) for f in on_form})
    row.author_id, row.updated_at = actor.id, now
    if (submit or was_submitted) and row.submitted_at is None:
        row.submitted_at = now
        audit.record(actor, "review.meta", f"Submitted the meta-review of #{sub.id}", submission=sub)
    db.session.flush()
    return row


def _kept(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers a meta-review keeps: those given (no empty ones)."""
    return {k: v for k, v in answers.items() if v not in (None, "", [])}


def audience(user: Any, sub: Submission) -> Audience | None:
    """Who reads which fields of a paper's meta-review: as the reviews (``permissions.review_audience``), except
    that the authors read theirs only once the decision letter is sent (not in the response phase)."""
    seen = permissions.review_audience(user, sub)
    if seen == Audience.AUTHORS and not permissions.can_see_decision(user, sub):
        return None
    return seen


def shown(user: Any, ws: Workshop, sub: Submission) -> tuple[MetaReview | None, list[ReviewField]]:
    """The meta-review ``user`` may read (a submitted one; the area chair also their draft) and its fields they see."""
    row = meta_review_of(sub)
    if row is None or not (row.submitted or permissions.oversees(user, sub)):
        return None, []
    return row, permissions.visible_fields(audience(user, sub), fields(ws, retired=True))


def recommendation_label(ws: Workshop, row: MetaReview | None) -> str | None:
    """The area chair's recommendation as the form names it ("Accept"), of a submitted meta-review (None: none)."""
    if row is None or not row.submitted:
        return None
    field = next((f for f in fields(ws, retired=True) if f.key == "recommendation"), None)
    value = row.recommendation
    if field is None or value is None:
        return None
    return field.scale_label(value) or str(value)


def recommendation_labels(ws: Workshop, sub_ids: list[int] | sa.Select[tuple[int]]) -> dict[int, str]:
    """The area chairs' recommendations of these papers (submitted meta-reviews only), by paper, in one statement
    that reads only the recommendation of each (at conference size, 14,000 meta-review objects and their answers
    took a third of a second)."""
    field = next((f for f in fields(ws, retired=True) if f.key == "recommendation"), None)
    if field is None or (isinstance(sub_ids, list) and not sub_ids):
        return {}
    rows = db.session.execute(
        sa.select(MetaReview.submission_id, MetaReview.answers["recommendation"]).where(
            MetaReview.submission_id.in_(sub_ids), MetaReview.submitted_at.is_not(None)
        )
    )
    return {sid: field.scale_label(value) or str(value) for sid, value in rows if value is not None}


def for_authors(ws: Workshop, sub_ids: list[int] | sa.Select[tuple[int]]) -> dict[int, str]:
    """The submitted meta-reviews of these papers as the authors read them (the fields for the authors, each under
    its label), for the letters' ``meta_review``; a paper without one is absent."""
    shown_fields = permissions.visible_fields(Audience.AUTHORS, fields(ws))
    rows = db.session.scalars(
        sa.select(MetaReview).where(MetaReview.submission_id.in_(sub_ids), MetaReview.submitted_at.is_not(None))
    )
    result = {}
    for m in rows:
        parts = [f"{f.label}:\n{f.display(m.answer(f.key))}" for f in shown_fields if not f.empty(m.answer(f.key))]
        if parts:
            result[m.submission_id] = "\n\n".join(parts)
    return result
