"""The upper bound that bench/bench_fair.py divides the fairness mode's worst paper by: never below the exact
max-min of an integer program (so the ratio it reports can only be understated), and tighter than the linear
relaxation where a scarce topic's experts cannot be split."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bench.bench_fair import SHORTFALL_MARGIN, _Program
from portal.assign.solver import Graph, Problem, solve


def _scarce(seed: int, papers: int = 12, experts: int = 3, outsiders: int = 9) -> Problem:
    """Papers on a topic that ``experts`` reviewers know (affinity 0.5 to 1), with places for one expert a paper and
    a few more; outsiders at 0 to 0.3. Two reviews a paper."""
    rng = random.Random(seed)
    paper, reviewer, affinity = [], [], []
    for p in range(papers):
        for r in range(experts + outsiders):
            paper.append(p)
            reviewer.append(100 + r)
            affinity.append(round(0.5 + 0.5 * rng.random() if r < experts else 0.3 * rng.random(), 3))
    capacity = {100 + r: (papers + 2) // experts if r < experts else 3 for r in range(experts + outsiders)}
    return Problem(
        demand=dict.fromkeys(range(papers), 2),
        capacity=capacity,
        candidates=Graph(np.array(paper), np.array(reviewer), np.array(affinity), np.zeros(len(paper), dtype=bool)),
    )


@pytest.mark.parametrize("seed", range(16))
def test_the_cover_bound_is_never_below_the_exact_max_min(seed: int) -> None:
    problem = _scarce(seed, papers=8 + seed % 5, experts=2 + seed % 3)
    program = _Program(problem)
    exact, proven = program.integer(time_limit=60)
    relaxed = program.relaxation()
    problem.fair = True
    reached = solve(problem).worst_paper

    bound = program.cover_bound(reached, relaxed)

    assert proven
    assert reached <= exact + 1e-9
    assert program.shortfall(exact) <= SHORTFALL_MARGIN, "the exact optimum meets every cover inequality of its level"
    assert not program.unreachable(exact)
    assert bound is None or bound >= exact


def test_the_cover_bound_is_tighter_than_the_linear_relaxation_where_experts_are_scarce() -> None:
    # 12 papers that each need one of 3 experts, who have 14 places: only two papers can have a second expert,
    # which the linear relaxation spreads over all twelve.
    problem = _scarce(1)
    program = _Program(problem)
    exact, _ = program.integer(time_limit=60)
    relaxed = program.relaxation()

    bound = program.cover_bound(exact, relaxed)

    assert bound is not None
    assert exact <= bound < relaxed - 0.01
