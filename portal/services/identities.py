"""People behind addresses: the history of an account's confirmed addresses and affiliations, the author rows,
declared conflicts and named persons bound to the account that confirmed their address, and the assignments a
change of any of these turns into a conflict (suspended, for the chairs to resolve).

Called by the services that change an identity (accounts, submissions, conflicts); flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from portal.db import db, utcnow
from portal.models import (
    ConflictKind,
    ReviewAssignment,
    Submission,
    SubmissionAuthor,
    SubmissionConflict,
    User,
    UserAffiliation,
    UserConflict,
    UserEmail,
)
from portal.queries.conflicts import conflict_map
from portal.services import audit


def confirmed_addresses() -> sa.Select[tuple[int, str]]:
    """(account id, address) for every address an account has confirmed, current or earlier."""
    return sa.select(UserEmail.user_id, UserEmail.email).union(
        sa.select(User.id, User.email).where(User.email_confirmed_at.is_not(None))
    )


def addresses_of(user: User) -> list[str]:
    """Every address ``user`` has confirmed, the current one first (when confirmed)."""
    earlier = db.session.scalars(
        sa.select(UserEmail.email).where(UserEmail.user_id == user.id).order_by(UserEmail.confirmed_at)
    ).all()
    current = [user.email] if user.email_confirmed_at is not None else []
    return current + [e for e in earlier if e != user.email]


def address_confirmed(user: User, *, previous: str | None = None, now: datetime | None = None) -> None:
    """``user`` has just proved they own ``user.email`` (a confirmation link, an accepted invitation, a reset
    link, a changed address): remember it, mark ``previous`` replaced, bind the author rows, declared conflicts
    and named persons that carry the address to this account, and suspend what that turns into a conflict."""
    now = now or utcnow()
    db.session.flush()
    row = db.session.scalar(sa.select(UserEmail).where(UserEmail.user_id == user.id, UserEmail.email == user.email))
    if row is None:
        db.session.add(UserEmail(user_id=user.id, email=user.email, confirmed_at=now))
    else:
        row.replaced_at = None
    if previous is not None and previous != user.email:
        db.session.execute(
            sa.update(UserEmail).where(UserEmail.user_id == user.id, UserEmail.email == previous).values(replaced_at=now)
        )
    _bind([user.email], user.id)
    db.session.flush()
    suspend_conflicted(people=[user.id], now=now)


def affiliation_given(user: User, affiliation: str, *, now: datetime | None = None) -> None:
    """Set ``user``'s affiliation, keeping the earlier one in the history, and suspend what it conflicts."""
    affiliation = " ".join(affiliation.split())
    now = now or utcnow()
    current = _current_affiliation(user)
    if current is not None and current.affiliation == affiliation:
        user.affiliation = affiliation
        return
    if current is not None:
        current.until = now
    elif user.affiliation and user.affiliation != affiliation:  # an account from before the history was kept
        db.session.add(UserAffiliation(user_id=user.id, affiliation=user.affiliation, since=user.created_at, until=now))
    changed = user.affiliation != affiliation
    user.affiliation = affiliation
    if affiliation:
        db.session.add(UserAffiliation(user_id=user.id, affiliation=affiliation, since=now))
    db.session.flush()
    if changed:
        suspend_conflicted(people=[user.id], now=now)


def _current_affiliation(user: User) -> UserAffiliation | None:
    return db.session.scalar(
        sa.select(UserAffiliation)
        .where(UserAffiliation.user_id == user.id, UserAffiliation.until.is_(None))
        .order_by(UserAffiliation.id.desc())
        .limit(1)
    )


def _bind(addresses: list[str], user_id: int) -> None:
    """Bind unbound author rows, authors' declared conflicts and reviewers' named persons with these addresses."""
    if not addresses:
        return
    for stmt in (
        sa.update(SubmissionAuthor).where(SubmissionAuthor.email.in_(addresses), SubmissionAuthor.user_id.is_(None)),
        sa.update(SubmissionConflict).where(SubmissionConflict.email.in_(addresses), SubmissionConflict.user_id.is_(None)),
    ):
        db.session.execute(stmt.values(user_id=user_id).execution_options(synchronize_session=False))
    db.session.execute(
        sa.update(UserConflict)
        .where(UserConflict.kind == ConflictKind.PERSON, UserConflict.value.in_(addresses), UserConflict.person_id.is_(None))
        .values(person_id=user_id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def link_own_row(actor: User, sub: Submission) -> None:
    """Link the author row with the address of ``actor`` (who is saving, signed in with that confirmed address)
    without a query: call it before the rows are first flushed, so a single-author paper costs nothing more."""
    for row in sub.authors:
        if row.user_id is None and actor.email_confirmed_at is not None and row.email == actor.email:
            row.user_id = actor.id


def bind_submission(sub: Submission, actor: User | None = None) -> None:
    """Link the author rows and declared addresses of ``sub`` to the accounts that confirmed them: one statement
    each kind, and none when every row is linked already."""
    if actor is not None:
        link_own_row(actor, sub)
    unlinked = [row for row in sub.authors if row.user_id is None]
    undeclared = [c for c in sub.declared if c.user_id is None and c.email is not None]
    if not unlinked and not undeclared:
        return
    db.session.flush()
    owners = confirmed_addresses().subquery()
    if unlinked:
        owner_of = sa.select(sa.func.min(owners.c.user_id)).where(owners.c.email == SubmissionAuthor.email).scalar_subquery()
        db.session.execute(
            sa.update(SubmissionAuthor)
            .where(SubmissionAuthor.id.in_([r.id for r in unlinked]))
            .values(user_id=owner_of)
            .execution_options(synchronize_session=False)
        )
        for row in unlinked:
            db.session.expire(row, ["user_id", "user"])
    if undeclared:
        declared_owner = (
            sa.select(sa.func.min(owners.c.user_id)).where(owners.c.email == SubmissionConflict.email).scalar_subquery()
        )
        db.session.execute(
            sa.update(SubmissionConflict)
            .where(SubmissionConflict.id.in_([c.id for c in undeclared]))
            .values(user_id=declared_owner)
            .execution_options(synchronize_session=False)
        )
        for row in undeclared:
            db.session.expire(row, ["user_id", "user"])


def bind_person(address: str) -> int | None:
    """The account that confirmed ``address`` (the current holder first), or None."""
    return db.session.scalar(
        sa.select(User.id)
        .where(User.email == address, User.email_confirmed_at.is_not(None))
        .union_all(sa.select(UserEmail.user_id).where(UserEmail.email == address))
        .limit(1)
    )


def authored_by(user_ids: Iterable[int]) -> sa.Select[tuple[int]]:
    """The ids of the papers these accounts are authors of (submitter or a linked author row)."""
    ids = list(user_ids)
    return sa.select(Submission.id).where(
        sa.or_(
            Submission.submitter_id.in_(ids),
            Submission.id.in_(sa.select(SubmissionAuthor.submission_id).where(SubmissionAuthor.user_id.in_(ids))),
        )
    )


def suspend_conflicted(*, people: list[int] | None = None, papers: list[int] | None = None, now: datetime | None = None) -> int:
    """Suspend every active assignment that now conflicts: those of the reviewers ``people`` and on the papers
    they author, and those on ``papers``. The chairs see each on the console; returns how many."""
    conditions = []
    if people:
        conditions += [ReviewAssignment.reviewer_id.in_(people), ReviewAssignment.submission_id.in_(authored_by(people))]
    if papers:
        conditions.append(ReviewAssignment.submission_id.in_(papers))
    if not conditions:
        return 0
    db.session.flush()
    active = db.session.scalars(
        sa.select(ReviewAssignment).where(ReviewAssignment.suspended_at.is_(None), sa.or_(*conditions))
    ).all()
    if not active:
        return 0
    found = conflict_map(sorted({a.submission_id for a in active}), sorted({a.reviewer_id for a in active}))
    count = 0
    for a in active:
        reasons = found.get((a.submission_id, a.reviewer_id))
        if not reasons:
            continue
        a.suspended_at, a.suspended_reason = now or utcnow(), "; ".join(reasons)[:500]
        audit.record(
            None,
            "assignment.suspend",
            f"Suspended Reviewer {a.ordinal} of #{a.submission_id}: a conflict "
            f"appeared after the assignment ({a.suspended_reason})",
            submission=a.submission_id,
            reviewer=a.reviewer_id,
        )
        count += 1
    db.session.flush()
    return count
