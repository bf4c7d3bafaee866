"""The min-cost-flow assignment against an exhaustive search, and its promises: demand, load and conflicts
respected, the shortfall explained, the same answer every time, fixed pairs kept, "not willing" used only
to fill a paper, top K stated. No database, no Flask."""

from __future__ import annotations

import itertools
import random

import pytest

from portal.assign.solver import Candidate, Problem, Result, solve

# --- exhaustive reference -----------------------------------------------------------------------------


def _spread(pairs: list[tuple[int, int]]) -> int:
    """How evenly the reviews given are spread over the papers: a paper's k-th reviewer (from 0) counts 10 - k,
    so one paper's first reviewer outweighs another's second (what the solver maximises when reviews are short)."""
    got: dict[int, int] = {}
    for p, _ in pairs:
        got[p] = got.get(p, 0) + 1
    return sum(10 - k for n in got.values() for k in range(n))


def _objective(pairs: list[tuple[int, int]], cands: dict[tuple[int, int], Candidate]) -> tuple[int, int, int, float]:
    """What the solver promises to optimise, in order: most pairs, the shortfall spread over the papers, fewest
    "not willing", most affinity."""
    return (
        len(pairs),
        _spread(pairs),
        -sum(cands[p].not_willing for p in pairs),
        round(sum(cands[p].affinity for p in pairs), 6),
    )


def _best_by_brute_force(problem: Problem) -> tuple[int, int, float]:
    cands = {(c.paper, c.reviewer): c for c in problem.candidates}
    best = (0, 0, 0.0)
    keys = sorted(cands)
    for mask in range(1 << len(keys)):
        chosen = [keys[i] for i in range(len(keys)) if mask >> i & 1]
        if _respects_limits(problem, chosen):
            best = max(best, _objective(chosen, cands))
    return best


def _respects_limits(problem: Problem, pairs: list[tuple[int, int]]) -> bool:
    per_paper = {p: sum(1 for q, _ in pairs if q == p) for p in problem.demand}
    per_reviewer = {r: sum(1 for _, s in pairs if s == r) for r in problem.capacity}
    return all(per_paper[p] <= problem.demand[p] for p in problem.demand) and all(
        per_reviewer[r] <= problem.capacity[r] for r in problem.capacity
    )


def _random_problem(seed: int, *, negative: bool = False) -> Problem:
    """Up to 3 papers x 4 reviewers; some pairs missing (conflicts), some "not willing". Affinities are
    multiples of 0.01 so the solver's integer costs are exact and ties compare equal."""
    rng = random.Random(seed)
    papers = list(range(1, rng.randint(1, 3) + 1))
    reviewers = list(range(10, 10 + rng.randint(1, 4)))
    low = -100 if negative else 0
    candidates = [
        Candidate(p, r, rng.randint(low, 100) / 100, not_willing=rng.random() < 0.25)
        for p in papers
        for r in reviewers
        if rng.random() < 0.8  # the rest conflict
    ]
    return Problem(
        demand={p: rng.randint(1, 2) for p in papers},
        capacity={r: rng.randint(1, 2) for r in reviewers},
        candidates=candidates,
    )


def _check_result(problem: Problem, result: Result) -> None:
    cands = {(c.paper, c.reviewer): c for c in problem.candidates}
    assert len(result.pairs) == len(set(result.pairs))
    assert set(result.pairs) <= set(cands)  # never a missing (conflicted) pair
    assert _respects_limits(problem, result.pairs)
    assert result.not_willing_used == sorted(p for p in result.pairs if cands[p].not_willing)
    assert result.total_affinity == pytest.approx(sum(cands[p].affinity for p in result.pairs))
    got = {p: sum(1 for q, _ in result.pairs if q == p) for p in problem.demand}
    assert result.shortfall == {p: problem.demand[p] - got[p] for p in problem.demand if got[p] < problem.demand[p]}


@pytest.mark.parametrize("seed", range(300))
def test_solve_random_small_instance_matches_brute_force(seed: int) -> None:
    problem = _random_problem(seed)

    result = solve(problem)

    _check_result(problem, result)
    cands = {(c.paper, c.reviewer): c for c in problem.candidates}
    assert _objective(result.pairs, cands) == _best_by_brute_force(problem)


@pytest.mark.parametrize("seed", range(300))
def test_solve_random_instance_with_negative_affinities_and_no_not_willing_matches_brute_force(seed: int) -> None:
    # "In a pinch" bids make affinities negative; without "not willing" pairs the order still holds.
    problem = _random_problem(seed, negative=True)
    problem.candidates = [Candidate(c.paper, c.reviewer, c.affinity) for c in problem.candidates]

    result = solve(problem)

    _check_result(problem, result)
    cands = {(c.paper, c.reviewer): c for c in problem.candidates}
    assert _objective(result.pairs, cands) == _best_by_brute_force(problem)


def test_solve_negative_affinities_never_prefer_not_willing_when_papers_fill_without() -> None:
    # Each paper has a reviewer who bid "in a pinch" and shares nothing with it (affinity -0.5). Papers 1 and
    # 2 match reviewers 2 and 3 well; paper 3 matches reviewer 1 well, but reviewer 1 is not willing.
    problem = Problem(
        demand={1: 1, 2: 1, 3: 1},
        capacity={1: 1, 2: 1, 3: 1},
        candidates=[
            Candidate(1, 1, -0.5),
            Candidate(2, 2, -0.5),
            Candidate(3, 3, -0.5),
            Candidate(1, 2, 1.0),
            Candidate(2, 3, 1.0),
            Candidate(3, 1, 1.0, not_willing=True),
        ],
    )

    result = solve(problem)

    assert (result.pairs, result.not_willing_used) == ([(1, 1), (2, 2), (3, 3)], [])


# --- infeasible instances -----------------------------------------------------------------------------


def _short_problem() -> Problem:
    # Nine reviews wanted, two reviewers with one slot each: spread over two papers, paper 1 (best matches) one of them.
    return Problem(
        demand={1: 3, 2: 3, 3: 3},
        capacity={10: 1, 11: 1},
        candidates=[Candidate(p, r, 0.9 if p == 1 else 0.1) for p in (1, 2, 3) for r in (10, 11)],
        topics={1: "Retrieval", 2: "Retrieval", 3: "Memory"},
    )


def test_solve_infeasible_reports_shortfall_per_paper() -> None:
    result = solve(_short_problem())

    # Two reviews for nine wanted: spread over two papers (paper 1, the best match, and one more), not both on 1.
    assert result.pairs in ([(1, 10), (2, 11)], [(1, 11), (2, 10)], [(1, 10), (3, 11)], [(1, 11), (3, 10)])
    assert sorted(result.shortfall.values()) == [2, 2, 3]
    assert result.feasible is False


def test_explain_shortfall_names_papers_and_topics_short() -> None:
    problem = _short_problem()

    text = solve(problem).explain_shortfall(problem.topics)

    assert text == (
        "7 reviews could not be assigned: 3 papers lack reviewers: #1 (2 missing), #2 (3 missing), #3 (2 missing). "
        "Short by topic: Retrieval: 5; Memory: 2. "
        "Raise the reviewers' loads, add reviewers, or lower the reviews per paper."
    )


def test_explain_shortfall_without_topics_leaves_out_the_topic_line() -> None:
    text = solve(_short_problem()).explain_shortfall()

    assert text == (
        "7 reviews could not be assigned: 3 papers lack reviewers: #1 (2 missing), #2 (3 missing), #3 (2 missing). "
        "Raise the reviewers' loads, add reviewers, or lower the reviews per paper."
    )


def test_explain_shortfall_lists_twenty_papers_then_counts_the_rest() -> None:
    problem = Problem(demand={p: 1 for p in range(1, 26)}, capacity={}, candidates=[])

    text = solve(problem).explain_shortfall()

    listed = ", ".join(f"#{p} (1 missing)" for p in range(1, 21))
    assert text == (
        f"25 reviews could not be assigned: 25 papers lack reviewers: {listed} and 5 more. "
        "Raise the reviewers' loads, add reviewers, or lower the reviews per paper."
    )


def test_explain_shortfall_one_paper_reads_in_the_singular() -> None:
    problem = Problem(demand={7: 1}, capacity={}, candidates=[], topics={7: "Memory"})

    text = solve(problem).explain_shortfall(problem.topics)

    assert text == (
        "1 review could not be assigned: 1 paper lacks reviewers: #7 (1 missing). Short by topic: Memory: 1. "
        "Raise the reviewers' loads, add reviewers, or lower the reviews per paper."
    )


def test_explain_shortfall_feasible_is_empty() -> None:
    problem = Problem(demand={1: 1}, capacity={10: 1}, candidates=[Candidate(1, 10, 0.5)], topics={1: "Memory"})

    result = solve(problem)

    assert (result.feasible, result.shortfall, result.explain_shortfall(problem.topics)) == (True, {}, "")


# --- determinism --------------------------------------------------------------------------------------


def _tied_problem(candidates: list[Candidate]) -> Problem:
    return Problem(demand={1: 2, 2: 2, 3: 1}, capacity={10: 2, 11: 1, 12: 1, 13: 2}, candidates=candidates)


def test_solve_same_input_and_shuffled_candidates_give_identical_pairs() -> None:
    # Many ties (equal affinities), so any order-dependence would show.
    candidates = [Candidate(p, r, 0.5 if (p + r) % 2 else 0.25) for p in (1, 2, 3) for r in (10, 11, 12, 13)]
    first = solve(_tied_problem(list(candidates)))

    again = solve(_tied_problem(list(candidates)))
    shuffled_results = []
    for seed in range(20):
        shuffled = list(candidates)
        random.Random(seed).shuffle(shuffled)
        shuffled_results.append(solve(_tied_problem(shuffled)).pairs)

    assert again.pairs == first.pairs
    assert shuffled_results == [first.pairs] * 20
    assert len(first.pairs) == 5


# --- fixed pairs --------------------------------------------------------------------------------------


def test_solve_fixed_pairs_count_against_demand_and_capacity_and_are_not_returned() -> None:
    problem = Problem(
        demand={1: 2, 2: 1, 3: 1},
        capacity={10: 1, 11: 2, 12: 1},
        candidates=[
            Candidate(1, 10, 0.9),
            Candidate(1, 11, 0.2),
            Candidate(2, 10, 0.9),
            Candidate(2, 11, 0.1),
            Candidate(3, 12, 0.9),
            Candidate(3, 11, 0.1),
        ],
        fixed=[(1, 10), (3, 12)],
    )

    result = solve(problem)

    # Reviewer 10 is full with paper 1, so paper 2 goes to 11; paper 1 still needs one (11); paper 3 is done.
    assert result.pairs == [(1, 11), (2, 11)]
    assert result.shortfall == {}


def test_solve_fixed_pairs_filling_a_reviewer_leave_the_paper_short() -> None:
    problem = Problem(
        demand={1: 1, 2: 1}, capacity={10: 1}, candidates=[Candidate(1, 10, 0.9), Candidate(2, 10, 0.9)], fixed=[(1, 10)]
    )

    result = solve(problem)

    assert (result.pairs, result.shortfall) == ([], {2: 1})


# --- not willing --------------------------------------------------------------------------------------


def test_solve_not_willing_left_out_when_others_fill_the_paper() -> None:
    problem = Problem(
        demand={1: 2},
        capacity={10: 1, 11: 1, 12: 1},
        candidates=[Candidate(1, 10, 0.1), Candidate(1, 11, 0.99, not_willing=True), Candidate(1, 12, 0.2)],
    )

    result = solve(problem)

    assert (result.pairs, result.not_willing_used) == ([(1, 10), (1, 12)], [])


def test_solve_not_willing_used_only_to_fill_a_paper() -> None:
    problem = Problem(
        demand={1: 2, 2: 1},
        capacity={10: 1, 11: 1, 12: 1},
        candidates=[
            Candidate(1, 10, 0.1),
            Candidate(1, 11, 0.9, not_willing=True),
            Candidate(1, 12, 0.8, not_willing=True),
            Candidate(2, 12, 0.3),
        ],
    )

    result = solve(problem)

    # Paper 1 needs one "not willing" reviewer; reviewer 12 goes to paper 2, who wants them.
    assert (result.pairs, result.not_willing_used, result.shortfall) == ([(1, 10), (1, 11), (2, 12)], [(1, 11)], {})


# --- top K --------------------------------------------------------------------------------------------


def test_solve_top_k_keeps_the_k_best_candidates_per_paper_and_states_k() -> None:
    candidates = [Candidate(1, r, r / 100) for r in range(10, 16)] + [Candidate(2, r, r / 100) for r in range(10, 13)]
    problem = Problem(demand={1: 1, 2: 1}, capacity={r: 5 for r in range(10, 16)}, candidates=candidates, top_k=2)

    result = solve(problem)

    assert (result.top_k, result.candidates_considered) == (2, 4)
    assert result.pairs == [(1, 15), (2, 12)]


def test_solve_top_k_keeps_at_least_the_demand() -> None:
    candidates = [Candidate(1, r, r / 100) for r in range(10, 16)]
    problem = Problem(demand={1: 3}, capacity={r: 1 for r in range(10, 16)}, candidates=candidates, top_k=1)

    result = solve(problem)

    assert (result.top_k, result.candidates_considered) == (1, 3)
    assert (result.pairs, result.shortfall) == ([(1, 13), (1, 14), (1, 15)], {})


def test_solve_top_k_can_cause_a_shortfall_that_the_full_problem_does_not_have() -> None:
    # Both papers rank reviewer 10 first; with K=1 paper 2 loses reviewer 11, its only other option.
    candidates = [Candidate(1, 10, 0.9), Candidate(2, 10, 0.8), Candidate(2, 11, 0.1)]

    full = solve(Problem(demand={1: 1, 2: 1}, capacity={10: 1, 11: 1}, candidates=candidates))
    cut = solve(Problem(demand={1: 1, 2: 1}, capacity={10: 1, 11: 1}, candidates=candidates, top_k=1))

    assert (full.top_k, full.pairs, full.shortfall) == (None, [(1, 10), (2, 11)], {})
    assert (cut.top_k, cut.pairs, cut.shortfall) == (1, [(1, 10)], {2: 1})


def test_solve_top_k_prefers_willing_over_not_willing() -> None:
    candidates = [Candidate(1, 10, 0.9, not_willing=True), Candidate(1, 11, 0.1), Candidate(1, 12, 0.2)]

    result = solve(Problem(demand={1: 1}, capacity={10: 1, 11: 1, 12: 1}, candidates=candidates, top_k=2))

    assert (result.candidates_considered, result.pairs, result.not_willing_used) == (2, [(1, 12)], [])


def test_solve_empty_problem() -> None:
    result = solve(Problem(demand={}, capacity={}, candidates=[]))

    assert (result.pairs, result.shortfall, result.total_affinity, result.candidates_considered) == ([], {}, 0.0, 0)


def test_brute_force_reference_sees_the_whole_search_space() -> None:
    # Guard for the reference itself: a 3 x 4 instance with every pair allowed has 2**12 subsets.
    problem = Problem(
        demand={1: 2, 2: 2, 3: 2},
        capacity={r: 2 for r in range(10, 14)},
        candidates=[Candidate(p, r, 0.5) for p, r in itertools.product((1, 2, 3), range(10, 14))],
    )

    assert _best_by_brute_force(problem) == (6, 3 * (10 + 9), 0, 3.0)
