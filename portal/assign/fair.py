"""The fairness mode of the assignment: lift the worst-served paper first, then the total (lexicographic max-min).

A paper is served by the summed affinity of its reviewers. The best total (``solver.solve``) can leave a paper of a
crowded topic with reviewers of little affinity while others get more than they need; this mode first makes the
smallest paper sum as large as it can, then the total as large as that allows. Three steps:

1. **A linear program** (as FairIR, Kobren, Saha and McCallum, KDD 2019), solved with HiGHS (it ships with
   SciPy), over a set of candidate pairs: every pair of a small instance (up to ALL_PAIRS), else each paper's
   best ones, its best among the reviewers the best total left with room (where a crowded topic's papers can
   shed load), each reviewer's best papers, and every pair of the best total (so that it is feasible).
   Variables ``x[e]`` in [0, 1] and ``t``: maximise ``t`` with each paper getting the number of reviewers the
   best total gave it, each reviewer between the minimum met and their capacity, and each fully served paper's
   summed affinity (its fixed pairs included) at least ``t``; then, with ``t`` held there, maximise the total
   ("not willing" pairs carry a penalty). Over every pair, the program's ``t*`` is at least what any whole
   assignment reaches.
2. **Rounding by slots** (Shmoys and Tardos, 1993). Each paper's fractional reviewers, best first, fill its
   slots one unit of ``x`` at a time: slot 1 holds the first unit, slot 2 the next. A whole flow in which each
   slot takes one reviewer whose mass lies in it (each reviewer once per paper, within their capacity) exists,
   because the fractional solution is such a flow and flows are integral; a min-cost flow finds the one of
   most affinity. A reviewer in slot ``s`` has at least the affinity of everyone in slot ``s + 1``, so each
   paper ends with at least its fractional sum minus the affinity of one reviewer: at least ``t*`` minus its
   best candidate's affinity.
3. **Local search** on the worst-served paper, over every candidate pair: it takes a better reviewer who has
   room, or one who leaves another paper that is refilled in turn (by the reviewer it gave up, by one with
   room, or by one who leaves a third paper, up to CHAIN_DEPTH papers: an ejection chain), when every paper
   touched stays above the current worst. Each move raises the worst or leaves fewer papers at it; it ends when
   no move helps or its budget is spent. It never lowers the bound of step 2. On the scarce instance of
   bench/bench_fair.py it takes the worst paper from 1.647 (rounded) to 1.673, where no whole assignment reaches
   1.678 (the cover bound there).

No paper's reviewer count, nobody's capacity and nobody's minimum changes from the best total's. Of the best
total and this result, the one with the better worst paper (then total) is returned, as the flow on each arc.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.optimize import linprog

from portal.assign import arrays

# The program's variables: every pair of an instance of up to ALL_PAIRS pairs; from there each paper's best
# CANDIDATES_A_PAPER pairs, its best CANDIDATES_WITH_ROOM among the reviewers with room, each reviewer's best
# CANDIDATES_A_REVIEWER papers. At 600 x 400 that is about 7,000 of 240,000 pairs: the programs take 0.4 s of
# CPU together, for the same worst paper and total as with (10, 8, 5) on the five seeds of bench/bench_fair.py.
ALL_PAIRS = 20_000
CANDIDATES_A_PAPER = 6
CANDIDATES_WITH_ROOM = 5
CANDIDATES_A_REVIEWER = 3
# From this many papers a conference's program keeps fewer: (a paper, with room, a reviewer). At NeurIPS size
# (21,575 papers) the program then has about 130,000 variables and takes 8 s, for the same worst paper as with
# (2, 2, 1) (11 s); with the counts above, 40 s.
CONFERENCE_PAPERS = 5_000
CONFERENCE_CANDIDATES = (2, 1, 1)
NOT_WILLING_COST = 1_000.0  # per "not willing" pair in the total's program: far above any affinity
SCALE = 10_000  # affinities to the flow's integer costs
METHOD = "highs-ipm"  # interior point: several times faster than the simplex on the threshold program here
SEARCH_MOVES = 20  # the local search's budget: this many moves a paper (and 100)
CHAIN_DEPTH = 3  # papers a move may refill one after the other (see _Search._refill)
CHAIN_BUDGET = 50_000  # pairs one move may look at before the search gives up on the worst paper


def lift_worst(net: Any, best: np.ndarray, low: np.ndarray, caps: np.ndarray, fixed_affinity: dict[int, float]) -> np.ndarray:
    """The flow of the fairness mode on ``net``'s arcs (``solver._Network``), from the best-total flow ``best``
    (which fixes each paper's reviewer count), the reviewers' minimums met (``low``) and capacities (``caps``),
    by reviewer node."""
    arcs = net.arcs
    n_papers, n_reviewers = len(net.papers), len(net.reviewers)
    paper = net.paper_node - 1  # 0..P-1
    reviewer = net.reviewer_node - 1 - n_papers  # 0..R-1
    affinity = arcs.affinity.astype(np.float64)
    count = np.bincount(paper[best > 0], minlength=n_papers)
    served = (count == np.array([net.need[p] for p in net.papers], dtype=np.int64)) & (count > 0)
    fixed = np.array([fixed_affinity.get(p, 0.0) for p in net.papers], dtype=np.float64)
    if not served.any():
        return best
    problem = _Instance(paper, reviewer, affinity, arcs.not_willing, count, caps, low, fixed, served, n_reviewers)
    x = problem.fractional(_candidates(problem, best) & (count[paper] > 0))
    flow = problem.round_by_slots(x) if x is not None else best
    search = _Search(problem, flow)
    search.improve(SEARCH_MOVES * int(served.sum()) + 100)
    start = _Search(problem, best)
    return search.flow() if search.key() >= start.key() else best


class _Instance:
    """The arrays of an instance, by arc: paper and reviewer rows (0-based), affinity, "not willing"; by paper:
    reviewers wanted, fixed affinity, whether it counts in the worst; by reviewer: capacity and minimum."""

    def __init__(self, paper, reviewer, affinity, not_willing, count, caps, low, fixed, served, n_reviewers) -> None:
        self.paper, self.reviewer, self.affinity, self.not_willing = paper, reviewer, affinity, not_willing
        self.count, self.caps, self.low, self.fixed, self.served = count, caps, low, fixed, served
        self.n_papers, self.n_reviewers = len(count), n_reviewers

    def fractional(self, keep: np.ndarray) -> np.ndarray | None:
        """Step 1: the program's solution on the arcs ``keep`` (0 elsewhere), or None if HiGHS fails."""
        on = np.flatnonzero(keep)
        p, r, a = self.paper[on], self.reviewer[on], self.affinity[on]
        penalty = np.where(self.not_willing[on], NOT_WILLING_COST, 0.0)
        n, col = len(on), np.arange(len(on))
        rows = np.flatnonzero(self.served)
        at = np.full(self.n_papers, -1)
        at[rows] = np.arange(len(rows))
        in_rows = at[p] >= 0
        equal = sparse.csr_array((np.ones(n), (p, col)), shape=(self.n_papers, n + 1))
        load = sparse.csr_array((np.ones(n), (r, col)), shape=(self.n_reviewers, n + 1))
        threshold = sparse.csr_array(
            (
                np.r_[-a[in_rows], np.ones(len(rows))],
                (np.r_[at[p[in_rows]], np.arange(len(rows))], np.r_[col[in_rows], np.full(len(rows), n)]),
            ),
            shape=(len(rows), n + 1),
        )  # t - sum a x <= fixed
        upper = sparse.vstack([load, -load, threshold], format="csr")
        bound = np.r_[self.caps, -self.low, self.fixed[rows]].astype(np.float64)
        wanted = self.count.astype(np.float64)
        first = linprog(
            np.r_[np.zeros(n), -1.0], A_ub=upper, b_ub=bound, A_eq=equal, b_eq=wanted,
            bounds=[(0.0, 1.0)] * n + [(None, None)], method=METHOD,
        )  # fmt: skip
        if first.status != 0:
            return None
        t = float(first.x[n])
        second = linprog(
            np.r_[penalty - a, 0.0], A_ub=upper, b_ub=bound, A_eq=equal, b_eq=wanted,
            bounds=[(0.0, 1.0)] * n + [(t - 1e-7 * max(1.0, abs(t)), None)], method=METHOD,
        )  # fmt: skip
        chosen = second if second.status == 0 else first
        x = np.zeros(len(self.paper))
        x[on] = np.clip(chosen.x[:n], 0.0, 1.0)
        return x

    def round_by_slots(self, x: np.ndarray) -> np.ndarray:
        """Step 2: a whole assignment from ``x``: source -> reviewer (their minimum first, at a bonus, then the
        rest of their capacity) -> (paper, reviewer) (once) -> slot of the paper the mass lies in -> sink."""
        support = np.flatnonzero(x > 1e-9)
        order = support[np.lexsort((self.reviewer[support], -self.affinity[support], self.paper[support]))]
        p, mass = self.paper[order], x[order]
        first = np.flatnonzero(np.r_[True, p[1:] != p[:-1]]) if len(p) else np.zeros(0, np.int64)
        start = np.repeat(first, np.diff(np.r_[first, len(p)]))
        done = np.cumsum(mass)
        before = np.r_[0.0, done][start]
        lo, hi = np.r_[0.0, done[:-1]] - before, done - before  # each pair's mass within its paper: [lo, hi)
        slot_lo = np.floor(lo + 1e-7).astype(np.int64)
        slot_hi = np.floor(hi - 1e-7).astype(np.int64)
        slots = np.r_[0, np.cumsum(self.count)]  # paper i's slots: slots[i] .. slots[i + 1] - 1
        k, m, total = len(order), self.n_reviewers, int(self.count.sum())
        reviewer0, pair0, slot0 = 1, 1 + m, 1 + m + k
        sink = slot0 + total
        cost = -np.rint(self.affinity[order] * SCALE).astype(np.int64) + np.where(self.not_willing[order], 10**9, 0)
        wanted = self.count[p]
        tails, heads, capacity, costs = [], [], [], []

        def arcs(t: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray) -> None:
            tails.append(t), heads.append(h), capacity.append(c), costs.append(w)

        arcs(np.zeros(m, np.int64), reviewer0 + np.arange(m), self.low, np.full(m, -(10**12)))  # minimum first
        arcs(np.zeros(m, np.int64), reviewer0 + np.arange(m), self.caps - self.low, np.zeros(m, np.int64))
        arcs(reviewer0 + self.reviewer[order], pair0 + np.arange(k), np.ones(k, np.int64), cost)
        ok = slot_lo < wanted
        arcs(
            pair0 + np.flatnonzero(ok),
            slot0 + slots[p[ok]] + slot_lo[ok],
            np.ones(int(ok.sum()), np.int64),
            np.zeros(int(ok.sum()), np.int64),
        )
        two = (slot_hi != slot_lo) & (slot_hi < wanted)
        arcs(
            pair0 + np.flatnonzero(two),
            slot0 + slots[p[two]] + slot_hi[two],
            np.ones(int(two.sum()), np.int64),
            np.zeros(int(two.sum()), np.int64),
        )
        arcs(slot0 + np.arange(total), np.full(total, sink), np.ones(total, np.int64), np.zeros(total, np.int64))
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails), np.concatenate(heads), np.concatenate(capacity).astype(np.int64), np.concatenate(costs)
        )
        smcf.set_node_supply(0, total)
        smcf.set_node_supply(sink, -total)
        if smcf.solve_max_flow_with_min_cost() != smcf.OPTIMAL:
            raise RuntimeError("the rounding's min-cost flow failed")
        through = smcf.flows(np.arange(2 * m, 2 * m + k))
        flow = np.zeros(len(self.paper), dtype=np.int64)
        flow[order[through > 0]] = 1
        return flow


def _candidates(problem: _Instance, best: np.ndarray) -> np.ndarray:
    """The program's variables (see CANDIDATES_A_PAPER): a mask over the arcs."""
    willing = ~problem.not_willing
    if len(problem.paper) <= ALL_PAIRS:
        return willing | (best > 0)
    worse = -problem.affinity
    load = np.bincount(problem.reviewer[best > 0], minlength=problem.n_reviewers)
    roomy = willing & (load < problem.caps)[problem.reviewer]
    a_paper, with_room, a_reviewer = (
        CONFERENCE_CANDIDATES
        if problem.n_papers >= CONFERENCE_PAPERS
        else (CANDIDATES_A_PAPER, CANDIDATES_WITH_ROOM, CANDIDATES_A_REVIEWER)
    )
    p, nw = problem.paper, problem.not_willing
    same = p[1:] == p[:-1]
    if bool(np.all(p[1:] >= p[:-1])) and bool(
        np.all(~same | (nw[1:] > nw[:-1]) | ((nw[1:] == nw[:-1]) & (worse[1:] >= worse[:-1])))
    ):
        # The solver's arcs come by paper, willing first, best first (``solver._preference``): a place within the
        # paper is the rank, and the reviewers with room, all willing, are ranked by counting them.
        first = np.flatnonzero(np.r_[True, ~same])
        begin = np.repeat(first, np.diff(np.r_[first, len(p)]))
        counted = np.cumsum(roomy) - roomy
        keep = np.arange(len(p)) - begin < a_paper
        keep |= roomy & (counted - counted[begin] < with_room)
    else:
        keep = arrays.rank_within(p, nw, worse) < a_paper
        keep |= roomy & (arrays.rank_within(p, ~roomy, worse) < with_room)
    keep |= arrays.rank_within(problem.reviewer, nw, worse) < a_reviewer
    return keep & willing | (best > 0)


class _Search:
    """Step 3: the local search on the worst-served paper, over every arc of the instance."""

    def __init__(self, problem: _Instance, flow: np.ndarray) -> None:
        self.problem = problem
        self.chosen = flow > 0
        p, r, a = problem.paper, problem.reviewer, problem.affinity
        self.sums = problem.fixed + np.bincount(p[self.chosen], weights=a[self.chosen], minlength=problem.n_papers)
        self.load = np.bincount(r[self.chosen], minlength=problem.n_reviewers)
        self.taken = {int(i) for i in np.flatnonzero(self.chosen)}
        self.on_paper: dict[int, set[int]] = {}  # paper -> its reviewers
        for i in self.taken:
            self.on_paper.setdefault(int(p[i]), set()).add(int(r[i]))

    def key(self) -> tuple[float, float]:
        problem = self.problem
        total = float(problem.affinity[self.chosen].sum()) - NOT_WILLING_COST * int(problem.not_willing[self.chosen].sum())
        return round(float(self.sums[problem.served].min()), 9), round(total, 9)

    def flow(self) -> np.ndarray:
        return self.chosen.astype(np.int64)

    def improve(self, moves: int) -> None:
        problem = self.problem
        p_list, r_list, a = problem.paper.tolist(), problem.reviewer.tolist(), problem.affinity.tolist()
        nw = problem.not_willing.tolist()
        by_paper = _ByPaper(problem)
        of_reviewer: dict[int, set[int]] = {}
        for i in self.taken:
            of_reviewer.setdefault(r_list[i], set()).add(i)
        served = np.flatnonzero(problem.served)
        for _ in range(moves):
            worst = int(served[np.argmin(self.sums[served])])
            if not self._raise(worst, float(self.sums[worst]), by_paper, of_reviewer, p_list, r_list, a, nw):
                return

    def _raise(self, w, level, by_paper, of_reviewer, p_list, r_list, a, nw) -> bool:
        """One move that lifts paper ``w`` (at the worst, ``level``): one of its reviewers ``r`` gives way to a
        better one, ``r2``. Either ``r2`` has room, or ``r2`` leaves another paper, which is refilled by a chain
        (``_refill``) that ends at a reviewer with room or at ``r`` itself; every paper touched stays above
        ``level``, every load within its bounds."""
        problem = self.problem
        mine = sorted((i for i in by_paper[w] if self.chosen[i]), key=lambda i: a[i])
        on_w = {r_list[i] for i in mine}
        budget = [CHAIN_BUDGET]
        for out in mine:
            r = r_list[out]
            for cand in by_paper[w]:
                if a[cand] - a[out] <= 1e-12:
                    break  # (best first: nothing further helps)
                r2 = r_list[cand]
                if r2 in on_w or nw[cand]:
                    continue
                if self.load[r2] < problem.caps[r2] and self.load[r] > problem.low[r]:
                    self._swap(out, cand, of_reviewer, p_list, r_list, a)
                    return True
                for other in list(of_reviewer.get(r2, ())):
                    q = p_list[other]
                    if q == w:
                        continue
                    chain = self._refill(
                        q, other, level, r, {w, q}, {r, r2}, CHAIN_DEPTH, budget, by_paper, of_reviewer, p_list, r_list, a, nw
                    )
                    if chain:
                        for off, on in [(out, cand), *chain]:
                            self._swap(off, on, of_reviewer, p_list, r_list, a)
                        return True
                    if budget[0] <= 0:
                        return False
        return False

    def _refill(self, q, leaving, level, freed, papers, people, depth, budget, by_paper, of_reviewer, p_list, r_list, a, nw):
        """The moves that give paper ``q`` another reviewer for the pair ``leaving`` while it stays above ``level``
        (if it counts): a reviewer with room (``freed`` then keeps their minimum, having left the first paper),
        ``freed`` itself, or, ``depth`` allowing, one who leaves a further paper that is refilled the same way.
        None when there is none within the ``budget`` of pairs looked at."""
        problem = self.problem
        floor = a[leaving] - (self.sums[q] - level) if problem.served[q] else -np.inf
        on_q = self.on_paper[q]
        for rep in by_paper[q]:
            budget[0] -= 1
            if budget[0] <= 0 or a[rep] <= floor + 1e-12:
                return None  # (best first: the rest would take q down to the worst)
            r3 = r_list[rep]
            if r3 in on_q or nw[rep] or (r3 in people and r3 != freed):
                continue
            if r3 == freed or (self.load[r3] < problem.caps[r3] and self.load[freed] > problem.low[freed]):
                return [(leaving, rep)]
            if depth > 1:
                for other in list(of_reviewer.get(r3, ())):
                    q2 = p_list[other]
                    if q2 in papers:
                        continue
                    rest = self._refill(
                        q2,
                        other,
                        level,
                        freed,
                        papers | {q2},
                        people | {r3},
                        depth - 1,
                        budget,
                        by_paper,
                        of_reviewer,
                        p_list,
                        r_list,
                        a,
                        nw,
                    )
                    if rest:
                        return [(leaving, rep), *rest]
                    if budget[0] <= 0:
                        return None
        return None

    def _swap(self, off: int, on: int, of_reviewer, p_list, r_list, a) -> None:
        """Replace the assigned pair ``off`` by ``on`` (the same paper)."""
        for i, sign in ((off, -1), (on, 1)):
            self.chosen[i] = sign > 0
            self.sums[p_list[i]] += sign * a[i]
            self.load[r_list[i]] += sign
            (self.on_paper.setdefault(p_list[i], set()).add if sign > 0 else self.on_paper[p_list[i]].discard)(r_list[i])
            (of_reviewer.setdefault(r_list[i], set()).add if sign > 0 else of_reviewer[r_list[i]].discard)(i)


class _ByPaper(dict):
    """Each paper's arcs, best first (ties by arc), as lists made when the search first asks for the paper: the
    search looks at a few hundred papers, and lists of every paper's arcs cost more than the search itself."""

    def __init__(self, problem: _Instance) -> None:
        super().__init__()
        self.order = np.lexsort((np.arange(len(problem.paper)), -problem.affinity, problem.paper))
        self.start = np.searchsorted(problem.paper[self.order], np.arange(problem.n_papers + 1))

    def __missing__(self, paper: int) -> list[int]:
        arcs = self.order[self.start[paper] : self.start[paper + 1]].tolist()
        self[paper] = arcs
        return arcs
