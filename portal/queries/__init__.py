"""Read-only questions about the workshop's data, asked by permissions, services and views alike. Nothing here
changes a row; a function that needs to write belongs to a service.

``portal.queries.conflicts`` computes conflicts of interest (the rules and their two appliers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.db import db
from portal.models import (
    Decision,
    ItemKind,
    Letter,
    ProgramItem,
    ProgramPerson,
    ProgramRole,
    ProgramSession,
    ReviewAssignment,
    SponsorInquiry,
    SponsorState,
    SponsorTier,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    User,
    Workshop,
)


def current_workshop() -> Workshop | None:
    """The workshop this portal serves (one per deployment)."""
    return db.session.scalar(sa.select(Workshop).order_by(Workshop.id).limit(1))


def authored_ids(user: Any) -> sa.Select[tuple[int]]:
    """``is_author`` in SQL: the ids of the papers ``user`` is an author of."""
    return sa.select(Submission.id).where(
        sa.or_(
            Submission.submitter_id == user.id,
            Submission.id.in_(
                sa.select(SubmissionAuthor.submission_id).where(
                    sa.or_(SubmissionAuthor.user_id == user.id, SubmissionAuthor.email == user.email)
                )
            ),
        )
    )


def assignment_of(sub_id: int, reviewer_id: int) -> ReviewAssignment | None:
    stmt = sa.select(ReviewAssignment).where(
        ReviewAssignment.submission_id == sub_id, ReviewAssignment.reviewer_id == reviewer_id
    )
    return db.session.scalar(stmt)


def letter_sent(sub: Submission) -> bool:
    letter = db.session.scalar(sa.select(Letter).where(Letter.submission_id == sub.id))
    return letter is not None and letter.email_id is not None


def reviewers() -> list[User]:
    stmt = sa.select(User).where(User.is_reviewer).order_by(User.id)
    return list(
        db.session.scalars(stmt.options(selectinload(User.conflicts), selectinload(User.topics), selectinload(User.papers)))
    )


def accepted(ws: Workshop) -> sa.Select[tuple[Submission]]:
    """The papers the public list of accepted papers shows: accepted and submitted (not withdrawn), by number."""
    return (
        sa.select(Submission)
        .where(
            Submission.workshop_id == ws.id,
            Submission.decision == Decision.ACCEPTED,
            Submission.state == SubmissionState.SUBMITTED,
        )
        .order_by(Submission.id)
    )


def reviewable(ws: Workshop) -> list[Submission]:
    """Submissions that take part in reviewing: submitted, not withdrawn."""
    return list(
        db.session.scalars(
            sa.select(Submission)
            .where(Submission.workshop_id == ws.id, Submission.state == SubmissionState.SUBMITTED)
            .order_by(Submission.id)
            .options(selectinload(Submission.authors), selectinload(Submission.secondary_topics))
        )
    )


def confirmed_sponsors(ws: Workshop) -> list[SponsorInquiry]:
    """The sponsors the site shows: confirmed, by tier (gold first), then in the order they were confirmed."""
    rows = db.session.scalars(
        sa.select(SponsorInquiry)
        .where(SponsorInquiry.workshop_id == ws.id, SponsorInquiry.state == SponsorState.CONFIRMED)
        .order_by(SponsorInquiry.updated_at, SponsorInquiry.id)
    )
    last = len(SponsorTier)
    return sorted(rows, key=lambda s: s.tier.rank if s.tier else last)


def sponsor_tiers(ws: Workshop) -> list[tuple[str, list[SponsorInquiry]]]:
    """The confirmed sponsors grouped under their tier's heading ("Gold sponsors"), the tiers in rank order."""
    groups: dict[str, list[SponsorInquiry]] = {}
    for s in confirmed_sponsors(ws):
        groups.setdefault(f"{s.tier.label} sponsors" if s.tier else "Sponsors", []).append(s)
    return list(groups.items())


def talks_of(ws: Workshop) -> dict[int, list[tuple[str, int]]]:
    """What each of the workshop's people does in the published program, in its order: a person's id to
    ``(what, item id)`` pairs such as ``("Keynote: Long memories", 7)`` or ``("Moderates the panel: Evaluation", 9)``."""
    if not ws.program_public:
        return {}
    rows = db.session.execute(
        sa.select(ProgramPerson.person_id, ProgramPerson.role, ProgramItem.id, ProgramItem.kind, ProgramItem.title)
        .join(ProgramItem, ProgramItem.id == ProgramPerson.item_id)
        .join(ProgramSession, ProgramSession.id == ProgramItem.session_id)
        .where(ProgramSession.workshop_id == ws.id, ProgramPerson.person_id.is_not(None))
        .order_by(ProgramSession.starts_at, ProgramItem.position, ProgramPerson.position)
    )
    talks: dict[int, list[tuple[str, int]]] = {}
    for person_id, role, item_id, kind, title in rows:
        what = "Moderates the panel" if role == ProgramRole.MODERATOR else kind.label
        if title and title.lower().startswith(kind.label.lower()):  # "Panel: Evaluation" says it already
            title = title[len(kind.label) :].lstrip(" :—-")
        talks.setdefault(person_id, []).append((f"{what}: {title}" if title else what, item_id))
    return talks


def panels_of(ws: Workshop) -> list[tuple[int, str, list[str], list[str]]]:
    """The published program's panels, in its order: ``(item id, topic, panelists' names, moderators' names)``,
    the workshop's people by their current name, typed names as typed (two statements)."""
    if not ws.program_public:
        return []
    items = db.session.scalars(
        sa.select(ProgramItem)
        .join(ProgramSession, ProgramSession.id == ProgramItem.session_id)
        .where(ProgramSession.workshop_id == ws.id, ProgramItem.kind == ItemKind.PANEL)
        .order_by(ProgramSession.starts_at, ProgramItem.position)
        .options(selectinload(ProgramItem.people).joinedload(ProgramPerson.person))
    )
    return [
        (
            item.id,
            item.title,
            [p.display_name for p in item.in_role(ProgramRole.PANELIST)],
            [p.display_name for p in item.in_role(ProgramRole.MODERATOR)],
        )
        for item in items
    ]
