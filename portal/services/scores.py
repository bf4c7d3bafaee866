"""Keeping ``PaperScore`` current: every service that adds, removes or changes an assignment or a review calls
``refresh_scores`` for the papers it touched, inside its own transaction."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from portal.db import db
from portal.models import PaperScore, Review, ReviewAssignment, ReviewState

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
