"""Keeping ``PaperScore`` current: every service that adds, removes or changes an assignment or a review calls
``refresh_scores`` for the papers it touched, inside its own transaction."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from portal.db import db
from portal.models import FieldKind, PaperFieldScore, PaperScore, Review, ReviewAssignment, ReviewField, ReviewState

COLUMNS = ("submission_id", "assigned", "done", "drafts", "mean", "weighted", "spread", "r1", "r2", "r3", "r4", "r5")


def aggregate() -> sa.Select:
    """Per submission with assignments: the figures of ``PaperScore``, from the reviews themselves."""
    submitted = Review.state == ReviewState.SUBMITTED
    rec = sa.case((submitted, Review.recommendation))
    weight = sa.case((submitted, Review.confidence))
    return (
        sa.select(
            ReviewAssignment.submission_id,
            sa.func.count(),
            sa.func.count(rec),
            sa.func.count(sa.case((Review.state == ReviewState.DRAFT, 1))),
            sa.func.avg(sa.cast(rec, sa.Float)),
            sa.cast(sa.func.sum(rec * weight), sa.Float) / sa.func.nullif(sa.func.sum(weight), 0),
            sa.func.max(rec) - sa.func.min(rec),
            *(sa.func.count(sa.case((rec == i, 1))) for i in range(1, 6)),
        )
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        # A suspended assignment (a conflict found after it was made) counts nowhere until a chair restores it.
        .where(ReviewAssignment.suspended_at.is_(None))
        .group_by(ReviewAssignment.submission_id)
    )


def refresh_scores(submission_ids: Iterable[int] | None = None) -> None:
    """Recompute the scores of these papers (all papers when None) from their assignments and reviews."""
    db.session.flush()
    ids = None if submission_ids is None else sorted(set(submission_ids))
    if ids is not None and not ids:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        # Two refreshes of one paper at once (two reviews saved together, or a review saved while a proposal is
        # applied) would both delete and then both insert its row; this lock, held to the commit, makes the
        # second wait for the first. Each refresh takes milliseconds. (SQLite has one writer at a time anyway.)
        db.session.execute(sa.text("LOCK TABLE paper_score IN SHARE ROW EXCLUSIVE MODE"))
    delete, source = sa.delete(PaperScore), aggregate()
    if ids is not None and len(ids) <= 500:
        delete = delete.where(PaperScore.submission_id.in_(ids))
        source = source.where(ReviewAssignment.submission_id.in_(ids))
    db.session.execute(delete.execution_options(synchronize_session=False))
    db.session.execute(sa.insert(PaperScore).from_select(list(COLUMNS), source))
    refresh_field_scores(ids)


def console_fields() -> list[ReviewField]:
    """The score fields the chairs show as columns of the console (the recommendation has ``PaperScore``)."""
    return list(
        db.session.scalars(
            sa.select(ReviewField)
            .where(ReviewField.is_console_column, ReviewField.retired_at.is_(None), ReviewField.kind == FieldKind.SCORE)
            .order_by(ReviewField.position, ReviewField.id)
        )
    )


def refresh_field_scores(submission_ids: Iterable[int] | None = None) -> None:
    """Recompute ``PaperFieldScore`` (count, mean, mean weighted by confidence, spread) of every console column's
    score for these papers (all when None), from their submitted reviews. Answers off the current scale count as
    given. A few reviews a paper: worked out in Python, one query for all the papers."""
    columns = console_fields()
    if not columns:
        return
    ids = None if submission_ids is None else sorted(set(submission_ids))
    if ids is not None and not ids:
        return
    field_ids = [f.id for f in columns]
    delete = sa.delete(PaperFieldScore).where(PaperFieldScore.field_id.in_(field_ids))
    builtin = [f.key for f in columns if f.builtin]
    stmt = (
        sa.select(ReviewAssignment.submission_id, Review.confidence, Review.answers, *(getattr(Review, k) for k in builtin))
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .where(Review.state == ReviewState.SUBMITTED, ReviewAssignment.suspended_at.is_(None))
    )
    if ids is not None and len(ids) <= 500:
        delete = delete.where(PaperFieldScore.submission_id.in_(ids))
        stmt = stmt.where(ReviewAssignment.submission_id.in_(ids))
    db.session.execute(delete.execution_options(synchronize_session=False))
    given: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for sub_id, confidence, answers, *own in db.session.execute(stmt):
        values = dict(zip(builtin, own, strict=True))
        for f in columns:
            value = values[f.key] if f.builtin else (answers or {}).get(f.key)
            if isinstance(value, int) and not isinstance(value, bool):
                given.setdefault((f.id, sub_id), []).append((value, confidence or 0))
    rows = []
    for (field_id, sub_id), pairs in given.items():
        scores = [v for v, _ in pairs]
        weight = sum(w for _, w in pairs)
        rows.append(
            {
                "field_id": field_id,
                "submission_id": sub_id,
                "count": len(scores),
                "mean": sum(scores) / len(scores),
                "weighted": sum(v * w for v, w in pairs) / weight if weight else None,
                "spread": max(scores) - min(scores),
            }
        )
    if rows:
        db.session.execute(sa.insert(PaperFieldScore), rows)
