"""Reviewer calibration: each paper's recommendation with every reviewer's habit taken out.

Some reviewers are generous and some severe: a paper that drew two severe reviewers has a lower mean than a
paper as good that drew two generous ones. The model is additive (the classic one for this, as in conference
score calibration since Roos, van Rooij et al.): the recommendation reviewer ``i`` gave paper ``j`` is

    y[i, j] = q[j] + b[i] + noise

where ``q[j]`` is the paper's calibrated score and ``b[i]`` the reviewer's habit (positive: more generous than
the others who reviewed the same papers). Fitted by least squares over every submitted review of the papers the
chair handles, with a ridge term ``SHRINK * b[i]**2`` per reviewer: a reviewer with few reviews is taken to be
about neutral (with SHRINK = 2, the habit of a reviewer with two reviews counts half), which also fixes the
model's one free constant (any ``c`` added to every ``q`` and taken from every ``b``), so that ``q`` stays on the
recommendation's scale. The minimum is found exactly: ``q`` is eliminated (each ``q[j]`` is the mean of its
reviews minus its reviewers' habits), which leaves one sparse, symmetric, positive definite system in ``b``
(diagonally dominant by SHRINK), solved by conjugate gradients to 1e-10 (or directly, if they stall).

Nothing is hidden or replaced: the calibrated score is shown beside the mean, and a chair can sort by it.
``tests/unit/test_calibration.py`` checks it on constructed cases with known habits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from scipy import sparse
from scipy.sparse import linalg

from portal.db import db
from portal.models import Review, ReviewAssignment, ReviewState, Submission, User, Workshop
from portal.services.assignment_lists import _handled

#: The ridge weight on each reviewer's habit (in reviews: a habit counts half after this many).
SHRINK = 2.0

#: One line for the pages that show the calibrated score.
EXPLANATION = (
    "Calibrated: the mean recommendation with each reviewer's habit taken out (an additive model of paper and "
    "reviewer fitted by least squares over all reviews; a reviewer with few reviews counts as neutral)."
)


@dataclass(frozen=True)
class Calibration:
    score: dict[int, float] = field(default_factory=dict)  # paper -> calibrated score (papers with reviews)
    habit: dict[int, float] = field(default_factory=dict)  # reviewer -> habit (+ generous, - severe)
    reviews: int = 0


def fit(reviews: list[tuple[int, int, float]], shrink: float = SHRINK) -> Calibration:
    """The model fitted to ``reviews``, each (paper, reviewer, recommendation)."""
    if not reviews:
        return Calibration()
    papers = np.array([p for p, _, _ in reviews], dtype=np.int64)
    reviewers = np.array([r for _, r, _ in reviews], dtype=np.int64)
    y = np.array([v for _, _, v in reviews], dtype=np.float64)
    paper_ids, j = np.unique(papers, return_inverse=True)
    reviewer_ids, i = np.unique(reviewers, return_inverse=True)
    n_p, n_r = len(paper_ids), len(reviewer_ids)
    per_paper = np.bincount(j, minlength=n_p).astype(np.float64)
    per_reviewer = np.bincount(i, minlength=n_r).astype(np.float64)
    sums = np.bincount(j, weights=y, minlength=n_p)
    incidence = sparse.csr_array((np.ones(len(y)), (j, i)), shape=(n_p, n_r))
    # With q[j] = (sums[j] - (A b)[j]) / n[j]:  (diag(m + shrink) - A' diag(1/n) A) b = A'y - A' (sums / n).
    system = sparse.diags_array(per_reviewer + shrink) - incidence.T @ sparse.diags_array(1.0 / per_paper) @ incidence
    right = np.bincount(i, weights=y, minlength=n_r) - incidence.T @ (sums / per_paper)
    habit, info = linalg.cg(system, right, rtol=1e-10, atol=0.0, maxiter=10 * n_r + 100)
    if info != 0:
        habit = linalg.spsolve(sparse.csc_array(system), right)
    score = (sums - incidence @ habit) / per_paper
    return Calibration(
        dict(zip(paper_ids.tolist(), score.tolist(), strict=True)),
        dict(zip(reviewer_ids.tolist(), habit.tolist(), strict=True)),
        len(y),
    )


#: The last fits of this process, by what they were fitted on (see ``calibration``).
_FITS: dict[tuple[int | str, ...], Calibration] = {}


def calibration(ws: Workshop, viewer: User) -> Calibration:
    """The model over the submitted reviews (their assignment not suspended) of the papers ``viewer`` handles.
    Kept by a fingerprint of those reviews (how many, the sums of their ids, versions and reviewers, the latest
    save: a review saved again raises its version), so it is fitted again only after a review changed; one
    statement otherwise."""
    counted = (
        sa.select(
            ReviewAssignment.submission_id,
            ReviewAssignment.reviewer_id,
            Review.recommendation,
            Review.id,
            Review.version,
            Review.updated_at,
        )
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(
            *_handled(ws, viewer),
            Review.state == ReviewState.SUBMITTED,
            Review.recommendation.is_not(None),
            ReviewAssignment.suspended_at.is_(None),
        )
    ).subquery()
    total = (sa.func.coalesce(sa.func.sum(column), 0) for column in (counted.c.id, counted.c.version, counted.c.reviewer_id))
    # (the latest change too: two databases, or a database emptied and filled again as the tests do, can hold
    # reviews with the same numbers and versions, never saved at the same moment)
    count, ids, versions, people, latest = db.session.execute(
        sa.select(sa.func.count(), *total, sa.func.max(counted.c.updated_at))
    ).one()
    key = (ws.id, int(count), int(ids), int(versions), int(people), str(latest))  # (another chair's papers: another key)
    found = _FITS.get(key)
    if found is None:
        rows = db.session.execute(sa.select(counted.c.submission_id, counted.c.reviewer_id, counted.c.recommendation)).all()
        found = fit([(p, r, float(v)) for p, r, v in rows])
        while len(_FITS) >= 4:
            _FITS.pop(next(iter(_FITS)))
        _FITS[key] = found
    return found
