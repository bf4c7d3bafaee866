"""Reviewer calibration (``services.calibration.fit``) on constructed cases with known habits, and against the
least-squares problem it claims to solve, written out in full and solved by numpy."""

from __future__ import annotations

import numpy as np
import pytest

from portal.services.calibration import SHRINK, fit


def reviews_of(quality: dict[int, float], habit: dict[int, float], pairs: list[tuple[int, int]]) -> list[tuple[int, int, float]]:
    return [(p, r, quality[p] + habit[r]) for p, r in pairs]


def test_known_habits_are_found_and_taken_out_of_the_scores() -> None:
    rng = np.random.default_rng(7)
    quality = {p: float(rng.integers(1, 6)) for p in range(1, 121)}
    habit = {100 + r: h for r, h in enumerate([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0])}  # (they add up to 0)
    pairs = [(p, r) for p in quality for r in rng.choice(list(habit), size=3, replace=False).tolist()]
    fitted = fit(reviews_of(quality, habit, pairs), shrink=1e-9)
    assert fitted.reviews == 360
    assert fitted.habit == pytest.approx(habit, abs=1e-6)
    assert fitted.score == pytest.approx(quality, abs=1e-6)


def test_a_paper_that_drew_a_severe_reviewer_is_lifted_to_its_equal() -> None:
    # Six reviewers review 40 papers each (three to a paper); Sev scores everything one point below the others.
    # Papers 1 and 2 are as good as each other (4); paper 1 drew Sev, paper 2 did not.
    rng = np.random.default_rng(3)
    quality = {p: float(rng.integers(2, 5)) for p in range(3, 81)} | {1: 4.0, 2: 4.0}
    reviewers = [10, 11, 12, 13, 14, 15]
    habit = dict.fromkeys(reviewers, 0.2) | {10: -1.0}
    pairs = [(1, 10), (1, 11), (1, 12), (2, 13), (2, 14), (2, 15)]
    pairs += [(p, r) for p in range(3, 81) for r in rng.choice(reviewers, size=3, replace=False).tolist()]
    reviews = reviews_of(quality, habit, pairs)
    mean = {p: np.mean([v for q, _, v in reviews if q == p]) for p in (1, 2)}
    assert mean[1] < mean[2] - 0.3  # the raw means part them
    fitted = fit(reviews)
    assert abs(fitted.score[1] - fitted.score[2]) < 0.1  # calibrated, they meet again
    assert fitted.habit[10] < -0.8 and all(fitted.habit[r] > 0 for r in reviewers[1:])


def test_the_fit_is_the_least_squares_minimum_with_the_ridge_on_habits() -> None:
    rng = np.random.default_rng(11)
    papers, reviewers = list(range(1, 31)), list(range(50, 62))
    reviews = [
        (p, r, float(rng.integers(1, 6)))
        for p in papers
        for r in rng.choice(reviewers, size=int(rng.integers(1, 4)), replace=False).tolist()
    ]
    fitted = fit(reviews)
    # The problem written out: one row a review (q[paper] + b[reviewer] = y), one row a reviewer (sqrt(SHRINK) b = 0).
    seen_p = sorted({p for p, _, _ in reviews})
    seen_r = sorted({r for _, r, _ in reviews})
    rows = np.zeros((len(reviews) + len(seen_r), len(seen_p) + len(seen_r)))
    target = np.zeros(len(rows))
    for k, (p, r, y) in enumerate(reviews):
        rows[k, seen_p.index(p)] = rows[k, len(seen_p) + seen_r.index(r)] = 1.0
        target[k] = y
    for k in range(len(seen_r)):
        rows[len(reviews) + k, len(seen_p) + k] = np.sqrt(SHRINK)
    solution = np.linalg.lstsq(rows, target, rcond=None)[0]
    assert [fitted.score[p] for p in seen_p] == pytest.approx(solution[: len(seen_p)].tolist(), abs=1e-7)
    assert [fitted.habit[r] for r in seen_r] == pytest.approx(solution[len(seen_p) :].tolist(), abs=1e-7)


def test_one_review_a_paper_or_none_at_all() -> None:
    assert fit([]).score == {}
    alone = fit([(1, 9, 4.0)])
    # One reviewer alone: nothing to compare them with, so their habit shrinks to 0 and the score is theirs.
    assert alone.habit == {9: pytest.approx(0.0)} and alone.score == {1: pytest.approx(4.0)}
