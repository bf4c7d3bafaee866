"""The fairness mode of the assignment on a scarce instance, against the exact max-min of an integer program.

Run: .venv/bin/python -m bench.bench_fair [--seed 1] [--time-limit 60]

The instance (600 papers x 400 reviewers, 3 reviews a paper, loads of 5: 1,800 reviews for 2,000 places): half
the papers are about one topic that only 70 reviewers know (350 places for about 900 reviews); a reviewer who knows
a paper's topic has an affinity of 0.5 to 1.0 with it, any other 0 to 0.35, mostly low (text and bids). The best
total puts the experts on the papers they fit best and leaves some papers of the crowded topic with three
outsiders.

- ``assign_fair_worst_vs_exact``: the fairness mode's worst-served paper (its summed affinity) over the exact
  max-min, an integer program over every pair solved by HiGHS (``scipy.optimize.milp``; when it stops at the
  time limit without a proof, the better of its upper bound and the linear relaxation's stands in, so the
  ratio can only be understated);
- ``assign_fair_total_ratio``: the fairness mode's total affinity over the best total's;
- ``assign_fair_s``: the fairness mode's wall time (``solver.solve`` with ``fair``, the best total included).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from bench.common import Figure, at_least, at_most
from portal.assign.solver import Graph, Problem, solve

PAPERS, REVIEWERS, REVIEWS, LOAD = 600, 400, 3, 5
EXPERTS, CROWDED = 70, 0.5
TIME_LIMIT = 60  # s for the integer program: HiGHS proves no optimum at this size in 10 minutes either (its bound stays 1.768)
SHORTFALL_MARGIN = 1e-3  # see _Program.unreachable
ROUNDING = 1e-6  # a sum this close below a level counts as reaching it (cover_cuts): HiGHS's t carries such errors
BOUND_STEP = 0.001  # the first step and the precision of the cover inequalities' upper bound (cover_bound)


def scarce_instance(seed: int = 1) -> Problem:
    rng = np.random.default_rng(seed)
    crowded = rng.random(PAPERS) < CROWDED
    topic = np.where(crowded, 0, rng.integers(1, 10, PAPERS))
    knows = np.zeros((REVIEWERS, 10), dtype=bool)
    knows[:EXPERTS, 0] = True
    for r in range(EXPERTS, REVIEWERS):
        knows[r, rng.choice(np.arange(1, 10), size=2, replace=False)] = True
    fits = knows[:, topic].T  # paper x reviewer
    affinity = np.where(fits, 0.5 + 0.5 * rng.random(fits.shape), 0.35 * rng.random(fits.shape) ** 2)
    affinity = np.round(affinity, 4)
    paper, reviewer = np.meshgrid(np.arange(PAPERS), np.arange(REVIEWERS), indexing="ij")
    return Problem(
        demand={p: REVIEWS for p in range(PAPERS)},
        capacity={1000 + r: LOAD for r in range(REVIEWERS)},
        candidates=Graph(
            paper.ravel().astype(np.int64),
            (1000 + reviewer.ravel()).astype(np.int64),
            affinity.ravel(),
            np.zeros(PAPERS * REVIEWERS, dtype=bool),
        ),
    )


class _Program:
    """The max-min integer program over every pair of ``problem`` (no fixed pairs) as sparse rows: each paper its
    demand, each reviewer within capacity, ``t`` at most each paper's summed affinity; variables ``x[e]`` then
    ``t``."""

    def __init__(self, problem: Problem) -> None:
        g = problem.candidates
        assert isinstance(g, Graph) and not problem.fixed
        self.n = n = len(g)
        self.paper = np.searchsorted(np.array(sorted(problem.demand)), g.paper)
        reviewer = np.searchsorted(np.array(sorted(problem.capacity)), g.reviewer)
        self.affinity = g.affinity.astype(np.float64)
        self.n_papers, n_r = len(problem.demand), len(problem.capacity)
        col = np.arange(n)
        self.per_paper = sparse.csr_array((np.ones(n), (self.paper, col)), shape=(self.n_papers, n + 1))
        self.per_reviewer = sparse.csr_array((np.ones(n), (reviewer, col)), shape=(n_r, n + 1))
        self.threshold = sparse.csr_array(
            (
                np.r_[-self.affinity, np.ones(self.n_papers)],
                (np.r_[self.paper, np.arange(self.n_papers)], np.r_[col, np.full(self.n_papers, n)]),
            ),
            shape=(self.n_papers, n + 1),
        )
        self.demand = np.array([problem.demand[p] for p in sorted(problem.demand)], dtype=float)
        self.capacity = np.array([problem.capacity[r] for r in sorted(problem.capacity)], dtype=float)
        self.order = np.lexsort((-self.affinity, self.paper))  # each paper's pairs, best first
        self.start = np.searchsorted(self.paper[self.order], np.arange(self.n_papers + 1))

    def relaxation(self) -> float | None:
        """The linear relaxation's largest ``t`` (an upper bound on the max-min), None if HiGHS fails."""
        res = linprog(
            np.r_[np.zeros(self.n), -1.0], A_ub=sparse.vstack([self.per_reviewer, self.threshold], format="csr"),
            b_ub=np.r_[self.capacity, np.zeros(self.n_papers)], A_eq=self.per_paper, b_eq=self.demand,
            bounds=[(0.0, 1.0)] * self.n + [(None, None)], method="highs-ipm",
        )  # fmt: skip
        return -float(res.fun) if res.status == 0 else None

    def shortfall(self, level: float) -> float | None:
        """How far a fractional assignment must fall short of what every whole assignment whose worst paper
        reaches ``level`` satisfies: each paper's summed affinity at least ``level`` and the ``cover_cuts``, an
        elastic linear program (a slack on each of those rows, their sum minimised; demands and capacities
        hold). Above 0, no whole assignment reaches ``level``: the optimum of a feasible program, not an
        infeasibility left to the solver's tolerances. None if HiGHS fails."""
        cuts, at_least, useless = self.cover_cuts(level)
        n, k = self.n, cuts.shape[0]
        slack = sparse.eye_array(self.n_papers + k, format="csr")
        wanted = sparse.vstack([self.threshold[:, :n], -cuts[:, :n]])  # -(summed affinity) <= -level, -(cover) <= -j
        res = linprog(
            np.r_[np.zeros(n), np.ones(self.n_papers + k)],
            A_ub=sparse.vstack(
                [
                    sparse.hstack([self.per_reviewer[:, :n], sparse.csr_array((len(self.capacity), self.n_papers + k))]),
                    sparse.hstack([wanted, -slack]),
                ],
                format="csr",
            ),
            b_ub=np.r_[self.capacity, np.full(self.n_papers, -level), -at_least],
            A_eq=sparse.hstack([self.per_paper[:, :n], sparse.csr_array((self.n_papers, self.n_papers + k))], format="csr"),
            b_eq=self.demand,
            bounds=np.c_[np.zeros(n + self.n_papers + k), np.r_[np.where(useless, 0.0, 1.0), np.full(self.n_papers + k, np.inf)]],
            method="highs-ipm",
        )
        return float(res.fun) if res.status == 0 else None

    def cover_cuts(self, level: float) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
        """Inequalities every whole assignment whose worst paper reaches ``level`` satisfies, and the pairs none
        of them uses. For a paper wanting ``d`` reviewers, its candidates sorted best first ``a1 >= a2 >= ...``
        and ``H`` its first ``k``: a choice of ``d`` with at most ``j - 1`` in ``H`` sums to at most
        ``a1 + ... + a(j-1) + a(k+1) + ... + a(k+d-j+1)``; where that is below ``level`` (by more than
        ROUNDING), every such assignment
        gives the paper at least ``j`` of ``H`` (for each ``j``, the smallest such ``k``: the strongest). A pair
        whose affinity with the paper's ``d - 1`` best other pairs stays below ``level`` is in none of them. At
        the scarce instance: a paper of the crowded topic whose best expert with its two best outsiders falls
        short needs two experts, and the experts' places do not stretch that far."""
        cut_rows, cut_cols, at_least = [], [], []
        useless = np.zeros(self.n, dtype=bool)
        for p in range(self.n_papers):
            arcs = self.order[self.start[p] : self.start[p + 1]]
            a, d, m = self.affinity[arcs], int(self.demand[p]), len(arcs)
            prefix = np.r_[0.0, np.cumsum(a)]
            if d == 0 or d > m:
                continue
            others = prefix[d] - np.where(np.arange(m) < d, a, a[d - 1])  # the d - 1 best but the pair itself
            useless[arcs] = a + others < level - ROUNDING
            k = np.arange(m + 1)
            for j in range(1, d + 1):
                ok = (k >= j) & (k + d - j + 1 <= m)
                most = np.full(m + 1, np.inf)
                most[ok] = prefix[j - 1] + prefix[k[ok] + d - j + 1] - prefix[k[ok]]
                short = np.flatnonzero(most < level - ROUNDING)
                if len(short):
                    cut_rows.append(np.full(short[0], len(at_least)))
                    cut_cols.append(arcs[: short[0]])
                    at_least.append(j)
        if not at_least:
            return sparse.csr_array((0, self.n + 1)), np.zeros(0), useless
        rows, cols = np.concatenate(cut_rows), np.concatenate(cut_cols)
        cuts = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(at_least), self.n + 1))
        return cuts, np.array(at_least, dtype=float), useless

    def unreachable(self, level: float) -> bool:
        """Whether no whole assignment's worst paper reaches ``level`` (``shortfall``, with a margin far above
        HiGHS's tolerances: a single review, or 0.001 of affinity)."""
        short = self.shortfall(level)
        return short is not None and short > SHORTFALL_MARGIN

    def cover_bound(self, reached: float, ceiling: float) -> float | None:
        """The smallest level found (within BOUND_STEP) that ``unreachable`` proves no whole assignment reaches,
        below ``ceiling``; None if there is none. Steps up from ``reached`` (a level some whole assignment
        reaches) by doubling steps, then halves the last step."""
        low, step, certified = reached, BOUND_STEP, None
        while low + step < ceiling:
            if self.unreachable(low + step):
                certified = low + step
                break
            low, step = low + step, 2 * step
        while certified is not None and certified - low > BOUND_STEP:
            mid = (low + certified) / 2
            if self.unreachable(mid):
                certified = mid
            else:
                low = mid
        return certified

    def integer(self, time_limit: float) -> tuple[float, bool]:
        """HiGHS's integer program: its optimum (True) or, at the time limit, its upper bound (False)."""
        res = milp(
            c=np.r_[np.zeros(self.n), -1.0],
            constraints=[
                LinearConstraint(self.per_paper, self.demand, self.demand),
                LinearConstraint(self.per_reviewer, 0, self.capacity),
                LinearConstraint(self.threshold, -np.inf, 0),
            ],
            integrality=np.r_[np.ones(self.n), 0],
            bounds=Bounds(np.r_[np.zeros(self.n), -np.inf], np.r_[np.ones(self.n), np.inf]),
            options={"time_limit": time_limit},
        )
        if res.status == 0:
            return float(res.x[self.n]), True
        return (-float(res.mip_dual_bound) if getattr(res, "mip_dual_bound", None) is not None else np.inf), False


def exact_max_min(problem: Problem, time_limit: float, reached: float) -> tuple[float, str]:
    """The largest worst-paper sum of any whole assignment, or an upper bound on it, and how it was found.
    ``reached``: the worst paper of a whole assignment (the fairness mode's), so the max-min is at least that.

    First HiGHS's integer program over every pair; when it stops at the time limit without a proof, the
    smallest of three upper bounds stands in, so the ratio over it can only be understated: HiGHS's own, the
    linear relaxation's (interior point: seconds, where the integer program's simplex may not finish its first
    relaxation in its time limit), and the smallest level at which no fractional assignment meets the cover
    inequalities of that level (``_Program.cover_cuts``, ``cover_bound``: each level a linear program of every
    pair, 10-40 s)."""
    program = _Program(problem)
    value, proven = program.integer(time_limit)
    if proven:
        return value, "HiGHS integer program, proven"
    relaxed = program.relaxation()
    bound, how = value, "HiGHS integer program's upper bound at the time limit"
    if relaxed is not None and relaxed < bound:
        bound, how = relaxed, "the linear relaxation's upper bound"
    covered = program.cover_bound(reached, bound)
    if covered is None:
        return bound, how
    return covered, "upper bound: no fractional assignment meets the cover inequalities of a worst paper above it"


def run(args: argparse.Namespace) -> dict[str, Figure]:
    seed, limit = getattr(args, "seed", 1), getattr(args, "time_limit", TIME_LIMIT)
    problem = scarce_instance(seed)
    best = solve(problem)
    problem.fair = True
    started, cpu = time.perf_counter(), time.process_time()
    fair = solve(problem)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    began = time.perf_counter()
    exact, how = exact_max_min(problem, limit, fair.worst_paper)
    print(
        f"   best total: total {best.total_affinity:.2f}, worst paper {best.worst_paper:.4f}; fairest: total "
        f"{fair.total_affinity:.2f}, worst paper {fair.worst_paper:.4f} in {seconds:.2f} s ({cpu:.2f} s of CPU); exact max-min "
        f"{exact:.4f} ({how}, {time.perf_counter() - began:.0f} s)",
        flush=True,
    )
    size = f"{PAPERS} x {REVIEWERS}, {REVIEWS} reviews a paper, loads of {LOAD}, {EXPERTS} reviewers for half the papers"
    return {
        "assign_fair_worst_vs_exact": at_least(
            fair.worst_paper / exact,
            "ratio",
            0.95,
            f"worst paper {fair.worst_paper:.3f} (best total's: {best.worst_paper:.3f}) over the exact max-min "
            f"{exact:.4f} ({how}); {size}",
        ),
        "assign_fair_total_ratio": at_least(
            fair.total_affinity / best.total_affinity,
            "ratio",
            0.99,
            f"fairest total {fair.total_affinity:.1f} over the best total {best.total_affinity:.1f}",
        ),
        "assign_fair_s": at_most(
            seconds, "s", 1, f"solver.solve in the fairness mode (the best total included); {cpu:.2f} s of CPU (all threads)"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    args = parser.parse_args()
    for name, f in run(args).items():
        print(f"{name:<28} {f.value:>10g} {f.unit:<6} goal {'>=' if f.higher_is_better else '<='} {f.goal:g}  {f.note}")


if __name__ == "__main__":
    main()
