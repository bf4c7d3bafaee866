"""Area chairs (issue 21.2): a chair gives each paper one area chair, by hand; conflicts apply exactly as for
reviewers. One function per state change; each flushes, none commits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from portal import emails, permissions
from portal.db import db, like_pattern, page_of
from portal.domain import Conflicted, DomainError
from portal.models import AreaChairAssignment, Submission, SubmissionState, User, Workshop
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.queries.conflicts import conflict_map, conflict_reasons
from portal.services import audit
from portal.urls import external_url

CANDIDATES_PER_PAGE = 25


def area_chair_of(sub: Submission) -> AreaChairAssignment | None:
    return db.session.scalar(sa.select(AreaChairAssignment).where(AreaChairAssignment.submission_id == sub.id))


def area_chairs_of(sub_ids: list[int]) -> dict[int, User]:
    """The area chair of each of these papers that has one, in one statement."""
    if not sub_ids:
        return {}
    rows = db.session.execute(
        sa.select(AreaChairAssignment.submission_id, User)
        .join(User, User.id == AreaChairAssignment.area_chair_id)
        .where(AreaChairAssignment.submission_id.in_(sub_ids))
    ).all()
    return {sid: user for sid, user in rows}


def check_area_chair(person: User, sub: Submission) -> None:
    """Refuse a person who may not oversee ``sub``: not an area chair, one of its authors, or conflicted (by the
    same rules as reviewers, the conflicts the authors declared and those a chair set)."""
    if not person.is_area_chair:
        raise DomainError(f"{person.name} is not an area chair; make them one on the members page first.")
    if sub.state != SubmissionState.SUBMITTED:
        raise DomainError(f"#{sub.id} is not a submitted paper.")
    reasons = conflict_reasons(person, sub)
    if (
        permissions.is_author(person, sub)
        or reasons
        or sub.id in set(db.session.scalars(permissions.chair_conflicted_ids(person)))
    ):
        raise Conflicted(f"{person.name} conflicts with #{sub.id}" + (f": {'; '.join(reasons)}." if reasons else "."))


def set_area_chair(actor: User, ws: Workshop, sub: Submission, person: User | None) -> AreaChairAssignment | None:
    """Make ``person`` the area chair of ``sub`` (replacing any other; None: nobody). The new area chair is told
    by mail."""
    row = area_chair_of(sub)
    if person is None:
        if row is None:
            raise DomainError(f"#{sub.id} has no area chair.")
        audit.record(
            actor, "paper.area_chair", f"#{sub.id} has no area chair any more (was {row.area_chair.name})", submission=sub
        )
        db.session.delete(row)
        db.session.flush()
        permissions.forget_area_chairs()
        return None
    check_area_chair(person, sub)
    if row is not None and row.area_chair_id == person.id:
        raise DomainError(f"{person.name} is the area chair of #{sub.id} already.")
    if row is None:
        row = AreaChairAssignment(submission_id=sub.id, area_chair_id=person.id, created_by_id=actor.id)
        db.session.add(row)
    else:
        row.area_chair_id, row.created_by_id = person.id, actor.id
    audit.record(actor, "paper.area_chair", f"Made {person.name} <{person.email}> the area chair of #{sub.id}", submission=sub)
    emails.queue(
        kind="area_chair",
        to=person.email,
        reply_to=ws.contact_email,
        template="area_chair_assigned",
        subject=f"[{ws.label}] You are the area chair of #{sub.id}",
        ws=ws,
        sub=sub,
        person=person,
        url=external_url("review.paper", number=sub.id),
        home=external_url("review.index"),
    )
    db.session.flush()
    permissions.forget_area_chairs()
    return row


def loads() -> Counter[int]:
    """How many papers each area chair oversees."""
    return Counter(
        dict(
            db.session.execute(
                sa.select(AreaChairAssignment.area_chair_id, sa.func.count()).group_by(AreaChairAssignment.area_chair_id)
            ).all()
        )
    )


@dataclass
class Candidate:
    user: User
    load: int
    common_topics: int
    conflict: list[str]
    current: bool


@dataclass
class Picker:
    rows: list[Candidate]
    total: int
    page: int
    pages: int
    q: str
    conflicted: int  # conflicted area chairs matching the search, not listed unless asked
    show_conflicted: bool


def picker(sub: Submission, *, q: str = "", page: int = 1, show_conflicted: bool = False) -> Picker:
    """Every area chair for ``sub``, searched by name or address, best first: not conflicted, then by topics in
    common with the paper, then the fewest papers overseen; conflicted ones only when asked, never choosable."""
    stmt = sa.select(User.id, User.name).where(User.is_area_chair)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\")))
    people = db.session.execute(stmt.order_by(User.id)).all()
    ids = [u.id for u in people]
    conflicts = {rid: why for (_, rid), why in conflict_map([sub.id], ids).items()} if ids else {}
    paper_topics = {
        sub.primary_topic_id,
        *db.session.scalars(sa.select(submission_topic.c.topic_id).where(submission_topic.c.submission_id == sub.id)),
    }
    common: Counter[int] = (
        Counter(
            uid
            for uid, tid in db.session.execute(
                sa.select(user_topic.c.user_id, user_topic.c.topic_id).where(user_topic.c.user_id.in_(ids))
            )
            if tid in paper_topics
        )
        if ids
        else Counter()
    )
    load = loads()
    current = area_chair_of(sub)
    hidden = sum(1 for u in people if u.id in conflicts)
    wanted = [u for u in people if show_conflicted or u.id not in conflicts]
    wanted.sort(key=lambda u: (u.id in conflicts, -common[u.id], load[u.id], u.name.lower(), u.id))
    total = len(wanted)
    page, pages = page_of(total, CANDIDATES_PER_PAGE, page)
    chosen = wanted[(page - 1) * CANDIDATES_PER_PAGE : page * CANDIDATES_PER_PAGE]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([u.id for u in chosen])))}
    rows = [
        Candidate(
            user=users[u.id],
            load=load[u.id],
            common_topics=common[u.id],
            conflict=conflicts.get(u.id, []),
            current=current is not None and current.area_chair_id == u.id,
        )
        for u in chosen
    ]
    return Picker(rows, total, page, pages, q, hidden, show_conflicted)
