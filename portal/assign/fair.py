"""The fairness mode of the assignment: lift the worst-served paper first, then the total (lexicographic max-min).

A paper is served by the summed affinity of its reviewers. The best total (``solver.solve``) can leave a paper of a
crowded topic with reviewers of little affinity while others get more than they need; this mode first makes the
smallest paper sum as large as it can be, then the total as large as that allows. The method is a linear program
over the candidate pairs, solved with HiGHS (it ships with SciPy), and an iterative rounding, as FairIR does
(Kobren, Saha and McCallum, KDD 2019):

1. **The threshold.** Variables ``x[e]`` in [0, 1] per candidate pair and ``t``: maximise ``t`` subject to each
   paper getting exactly the reviewers the best total gave it, each reviewer between the minimum they were given
   and their capacity, and each fully served paper's summed affinity (its fixed pairs included) at least ``t``.
   Its optimum ``t*`` is at least the best any integral assignment reaches (the integral ones are among its
   solutions).
2. **The total.** The same constraints with ``t`` fixed at ``t*``; maximise the summed affinity ("not willing"
   pairs, only those the best total needed, carry a penalty).
3. **Rounding.** Pairs at 1 are assigned, pairs at 0 dropped, and the program is solved again on what is left.
   A paper whose remaining pairs are at most two fractional ones loses its threshold row: its remaining need is
   one reviewer (its need is a whole number and so is what it has), so it ends with one of those two and falls
   short of ``t*`` by at most one reviewer's affinity. Without threshold rows the constraints are those of a
   bipartite b-matching, whose matrix is totally unimodular: the simplex solution is whole, and the loop ends.
   If a round fixes nothing, the paper with the fewest fractional pairs loses its row, so the loop always ends.

So every fully served paper ends at least at ``t*`` minus one of its reviewers' affinities, with no paper's
reviewer count, nobody's capacity and nobody's minimum changed from the best total's. ``lift_worst`` returns the
flow on each candidate arc, in the same shape as the min-cost flow's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from portal.assign import arrays

# Each paper's program keeps its best this many candidates (and every pair the best total chose): enough to
# reach beyond the crowded reviewers, and a program of papers x 40 variables solves in a fraction of a second.
CANDIDATES_A_PAPER = 12
CANDIDATES_A_REVIEWER = 10
CANDIDATES_WITH_ROOM = 8
NOT_WILLING_COST = 1_000.0  # per "not willing" pair in the total's program: far above any affinity
EPS = 1e-6
METHOD = "highs-ds"


def lift_worst(net: Any, best: np.ndarray, low: np.ndarray, caps: np.ndarray, fixed_affinity: dict[int, float]) -> np.ndarray:
    """The flow of the fairness mode on ``net``'s arcs, from the best-total flow ``best`` (which fixes each
    paper's reviewer count), the reviewers' minimums met (``low``) and capacities (``caps``), by reviewer node."""
    arcs = net.arcs
    n_papers = len(net.papers)
    paper_row = net.paper_node - 1  # 0..P-1
    reviewer_row = net.reviewer_node - 1 - n_papers  # 0..R-1
    count = np.bincount(paper_row[best > 0], minlength=n_papers)
    served = count == np.array([net.need[p] for p in net.papers], dtype=np.int64)
    served &= count > 0
    fixed = np.array([fixed_affinity.get(p, 0.0) for p in net.papers], dtype=np.float64)
    if not served.any():
        return best

    # The variables: each paper's best CANDIDATES_A_PAPER willing pairs, its best CANDIDATES_WITH_ROOM among the
    # reviewers the best total left with room (where a crowded topic's papers can shed load), each reviewer's best
    # CANDIDATES_A_REVIEWER, and every pair the best total chose; none of a paper that gets nobody.
    willing = ~arcs.not_willing
    load = np.bincount(reviewer_row[best > 0], minlength=len(net.reviewers))
    roomy = willing & (load < caps)[reviewer_row]
    worse = -arcs.affinity.astype(np.float64)
    keep = arrays.rank_within(paper_row, arcs.not_willing, worse) < CANDIDATES_A_PAPER
    keep |= arrays.rank_within(reviewer_row, arcs.not_willing, worse) < CANDIDATES_A_REVIEWER
    keep |= roomy & (arrays.rank_within(paper_row, ~roomy, worse) < CANDIDATES_WITH_ROOM)
    keep = keep & willing | (best > 0)
    keep &= count[paper_row] > 0
    index = np.flatnonzero(keep)
    affinity = arcs.affinity[index].astype(np.float64)
    penalty = np.where(arcs.not_willing[index], NOT_WILLING_COST, 0.0)

    program = _Program(paper_row[index], reviewer_row[index], affinity, penalty, count, caps, low, fixed, served)
    relaxed, dived = program.copy().relax(), program.copy().dive()
    pick = max((dived, relaxed), key=lambda p: (round(p.worst(), 9), round(p.total(), 9)))
    pick.improve()
    flow = np.zeros(len(arcs), dtype=np.int64)
    flow[index[pick.chosen]] = 1
    return flow


class _Program:
    """The linear program's state while it is rounded: the variables still open, those assigned, and what each
    paper still needs, each reviewer can still take and must still get, and each paper's affinity so far."""

    def __init__(self, paper, reviewer, affinity, penalty, count, caps, low, fixed, served) -> None:
        self.paper, self.reviewer, self.affinity, self.penalty = paper, reviewer, affinity, penalty
        self.need = count.astype(np.float64)
        self.cap = caps.astype(np.float64)
        self.least = low.astype(np.float64)
        self.floor = fixed.copy()
        self.served = served
        self.open = np.ones(len(paper), dtype=bool)
        self.chosen = np.zeros(len(paper), dtype=bool)

    def copy(self) -> _Program:
        other = object.__new__(_Program)
        other.__dict__ = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}
        return other

    def solve(self, rows: np.ndarray, target: float | None, weight: float = 0.0) -> tuple[np.ndarray, float]:
        return _solve(
            self.paper, self.reviewer, self.affinity, self.penalty, self.open, self.need, self.cap, self.least,
            rows, self.floor, target, weight,
        )  # fmt: skip

    def settle(self, x: np.ndarray) -> bool:
        """Assign the open variables at 1, drop those at 0; whether any was."""
        ones, zeros = self.open & (x > 1 - EPS), self.open & (x < EPS)
        self.assign(ones)
        self.open &= ~zeros
        return bool(ones.any() or zeros.any())

    def assign(self, mask: np.ndarray) -> None:
        np.subtract.at(self.need, self.paper[mask], 1)
        np.subtract.at(self.cap, self.reviewer[mask], 1)
        np.subtract.at(self.least, self.reviewer[mask], 1)
        np.add.at(self.floor, self.paper[mask], self.affinity[mask])
        self.chosen |= mask  # (``least`` may go below 0: the reviewer has that many above their minimum)
        self.open &= ~mask

    def worst(self) -> float:
        return float(self.floor[self.served].min())

    def total(self) -> float:
        return float(self.affinity[self.chosen].sum() - self.penalty[self.chosen].sum())

    def relax(self) -> _Program:
        """Iterative relaxation (the module's steps 1 to 3): every served paper ends within one reviewer's
        affinity of the program's threshold."""
        threshold = self.solve(self.served, None)[1]
        target = threshold - 1e-7 * max(1.0, abs(threshold))
        rows = self.served.copy()
        for _ in range(4 * len(self.paper) + 10):
            x, _t = self.solve(rows, target)
            progress = self.settle(x)
            if not self.open.any():
                break
            fractional = np.bincount(self.paper[self.open], minlength=len(rows))
            drop = rows & (fractional <= 2)
            if not (progress or drop.any()):
                candidates = np.flatnonzero(rows)
                if not len(candidates):
                    raise RuntimeError("the b-matching program returned a fractional solution")
                drop[candidates[np.argmin(fractional[candidates])]] = True
            rows &= ~drop
        return self

    def dive(self) -> _Program:
        """Diving: solve for the largest threshold (the total a little after it), assign the pairs at 1 and
        the largest fractional ones, and solve again on what is left. Each pair at a fraction lies in the
        b-matching polytope, which is integral: some whole assignment uses it, so assigning the largest is
        always possible (when a batch is not, one is assigned). No bound of its own; the better of the two
        rounds is kept, so the relaxation's bound holds."""
        weight = 1e-3 / max(1, len(self.need))
        while self.open.any():
            x, _t = self.solve(self.served, None, weight)
            self.settle(x)
            if not self.open.any():
                break
            fractional = np.flatnonzero(self.open)
            order = fractional[np.argsort(-x[fractional], kind="stable")]
            batch = self._compatible(order[: max(1, len(order) // 8)])
            trial = self.copy()
            trial.assign(batch)
            if len(batch) > 1 and not trial._feasible():
                batch = order[:1]
                trial = self.copy()
                trial.assign(_mask(len(self.paper), batch))
            self.__dict__ = trial.__dict__
        return self

    def improve(self, moves: int | None = None) -> None:
        """Local search on the worst-served paper: give it a better reviewer, one with room or one who trades
        places with a reviewer of another paper, when every paper touched stays above the current worst. Each
        move raises the worst or leaves fewer papers at it, so the search ends; it only ever helps the bound."""
        pair = {(p, r): i for i, (p, r) in enumerate(zip(self.paper.tolist(), self.reviewer.tolist(), strict=True))}
        by_paper: dict[int, list[int]] = {}
        for i, p in enumerate(self.paper.tolist()):
            by_paper.setdefault(p, []).append(i)
        a = self.affinity.tolist()
        nw = (self.penalty > 0).tolist()
        budget = moves if moves is not None else 20 * int(self.served.sum()) + 100
        for _ in range(budget):
            served = np.flatnonzero(self.served)
            worst = served[np.argmin(self.floor[served])]
            level = float(self.floor[worst])
            if not self._raise(int(worst), level, pair, by_paper, a, nw):
                return

    def _raise(self, w: int, level: float, pair: dict, by_paper: dict, a: list[float], nw: list[bool]) -> bool:
        mine = [i for i in by_paper.get(w, []) if self.chosen[i]]
        on_w = {int(self.reviewer[i]) for i in mine}
        for out in sorted(mine, key=lambda i: a[i]):
            r = int(self.reviewer[out])
            for cand in sorted(by_paper.get(w, []), key=lambda i: -a[i]):
                r2 = int(self.reviewer[cand])
                gain = a[cand] - a[out]
                if self.chosen[cand] or r2 in on_w or nw[cand] or gain <= 1e-12:
                    continue
                if self.cap[r2] >= 1 and self.least[r] < 0:  # r2 has room; r is above their minimum
                    self._move(out, cand)
                    return True
                # r2 leaves one of their papers q to r
                for other in [i for i in np.flatnonzero(self.chosen & (self.reviewer == r2)).tolist() if i != cand]:
                    q = int(self.paper[other])
                    back = pair.get((q, r))
                    if back is None or self.chosen[back] or nw[back] or q == w:
                        continue
                    after = self.floor[q] - a[other] + a[back]
                    if after > level + 1e-12 and (not self.served[q] or after > level):
                        self._move(out, cand)
                        self._move(other, back)
                        return True
        return False

    def _move(self, off: int, on: int) -> None:
        """Replace the assigned pair ``off`` by ``on`` (same paper)."""
        for i, sign in ((off, -1), (on, 1)):
            self.chosen[i] = sign > 0
            self.floor[self.paper[i]] += sign * self.affinity[i]
            self.cap[self.reviewer[i]] -= sign
            self.least[self.reviewer[i]] -= sign

    def _compatible(self, order: np.ndarray) -> np.ndarray:
        """A mask of the variables of ``order`` that fit together: within each paper's need and each reviewer's
        room."""
        need, cap = self.need.copy(), self.cap.copy()
        take = np.zeros(len(self.paper), dtype=bool)
        for i in order.tolist():
            p, r = self.paper[i], self.reviewer[i]
            if need[p] >= 1 and cap[r] >= 1:
                need[p] -= 1
                cap[r] -= 1
                take[i] = True
        return take

    def _feasible(self) -> bool:
        try:
            self.solve(self.served, None)
        except RuntimeError:
            return False
        return True


def _mask(n: int, where: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[where] = True
    return mask


def _solve(
    paper: np.ndarray,
    reviewer: np.ndarray,
    affinity: np.ndarray,
    penalty: np.ndarray,
    open_: np.ndarray,
    need: np.ndarray,
    cap: np.ndarray,
    least: np.ndarray,
    rows: np.ndarray,
    floor: np.ndarray,
    target: float | None,
    weight: float = 0.0,
) -> tuple[np.ndarray, float]:
    """One linear program over the open variables. ``target`` None: maximise the threshold ``t`` (returned);
    else: maximise the total with every paper of ``rows`` at ``target`` or more. Returns each variable's value
    (0 where not open) and the threshold."""
    on = np.flatnonzero(open_)
    p, r, a = paper[on], reviewer[on], affinity[on]
    n = len(on)
    papers = np.unique(p)
    reviewers = np.unique(r)
    pi, ri = np.searchsorted(papers, p), np.searchsorted(reviewers, r)
    col = np.arange(n)
    with_t = target is None
    width = n + (1 if with_t else 0)
    eq = sparse.csr_array((np.ones(n), (pi, col)), shape=(len(papers), width))
    up = sparse.csr_array((np.ones(n), (ri, col)), shape=(len(reviewers), width))
    threshold_papers = np.flatnonzero(rows)  # (one with no open variable keeps its row: t <= its affinity)
    ti = np.searchsorted(threshold_papers, p)
    in_rows = np.isin(p, threshold_papers)
    t_rows = sparse.csr_array((-a[in_rows], (ti[in_rows], col[in_rows])), shape=(len(threshold_papers), width)).tolil()
    if with_t:
        t_rows[:, n] = 1.0  # t - sum a x <= floor
        t_rhs = floor[threshold_papers]
    else:
        t_rhs = floor[threshold_papers] - target  # -sum a x <= floor - target
    a_ub = sparse.vstack([up, -up, t_rows.tocsr()], format="csr")
    b_ub = np.concatenate([cap[reviewers], -least[reviewers], t_rhs])
    cost = np.zeros(width)
    if with_t:
        cost[n] = -1.0
        cost[:n] = weight * (penalty[on] - a)  # (a little of the total, after the threshold)
    else:
        cost[:n] = penalty[on] - a
    bounds = [(0.0, 1.0)] * n + ([(None, None)] if with_t else [])
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=eq, b_eq=need[papers], bounds=bounds, method=METHOD)
    if res.status != 0:
        raise RuntimeError(f"the fairness program failed: {res.message}")
    x = np.zeros(len(paper))
    x[on] = res.x[:n]
    return x, (float(res.x[n]) if with_t else float(target))
