"""Recording chair actions in the audit log, inside the caller's transaction (so a rolled-back action leaves
no entry, and a committed one always has its entry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal.db import db, like_pattern, page_of
from portal.models import AuditEvent, Submission, User
from portal.permissions import chair_conflicted_ids

#: Kinds of entries, for the log's filter, with a label each.
ACTIONS = {
    "assignment": "Assignments",
    "conflict": "Conflicts",
    "decision": "Decisions",
    "letters": "Letters",
    "mail": "Mail",
    "settings": "Settings",
    "role": "Roles",
    "content": "Content",
    "submission": "Submissions",
}


def record(
    actor: User | None, action: str, summary: str, *, submission: Submission | int | None = None, **details: Any
) -> AuditEvent:
    sub_id = submission.id if isinstance(submission, Submission) else submission
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "the system",
        action=action,
        summary=summary,
        submission_id=sub_id,
        details=details,
    )
    db.session.add(event)
    return event


@dataclass
class Page:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    redact: bool = False


def events(viewer: User, *, q: str = "", kind: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """The log, newest first, searched by words of the summary or the actor's name, filtered by kind. A chair
    who is an author of a paper does not see what happened to it (who was assigned, the decision)."""
    stmt = sa.select(AuditEvent).where(
        sa.or_(AuditEvent.submission_id.is_(None), AuditEvent.submission_id.not_in(chair_conflicted_ids(viewer)))
    )
    redact = conflicted(viewer)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(_shown_summary(viewer, redact)).like(pattern, escape="\\"),
                sa.func.lower(AuditEvent.actor_name).like(pattern, escape="\\"),
            )
        )
    if kind in ACTIONS:
        stmt = stmt.where(AuditEvent.action.like(f"{kind}.%"))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, pages = page_of(total, per_page, page)
    rows = db.session.scalars(
        stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(list(rows), total, page, pages, redact)


def _shown_summary(viewer: User, redact: bool) -> sa.ColumnElement[str]:
    """``summary_for`` in SQL: what the search may match is what the viewer reads, so searching for a number a
    conflicted chair does not see cannot tell them it is there."""
    if not redact:
        return AuditEvent.summary
    safe = AuditEvent.details["conflict_safe"].as_string()
    theirs = sa.and_(AuditEvent.actor_id.is_not(None), AuditEvent.actor_id == viewer.id)
    return sa.case((sa.and_(safe.is_not(None), safe != "", sa.not_(theirs)), safe), else_=AuditEvent.summary)


def conflicted(viewer: User) -> bool:
    """``viewer`` is conflicted with some paper: counts another chair took over every paper (reminders, the
    group mail to reviewers with unfinished reviews) are shown without their numbers (``summary_for``)."""
    return bool(db.session.scalar(sa.select(chair_conflicted_ids(viewer).exists())))


def summary_for(event: AuditEvent, viewer: User, redact: bool) -> str:
    """The event's summary as ``viewer`` may read it."""
    safe = (event.details or {}).get("conflict_safe")
    return safe if redact and safe and event.actor_id != viewer.id else event.summary
