"""Optimal reviewer assignment as a min-cost flow (OR-Tools ``SimpleMinCostFlow``). No Flask, no database.

The network: source -> paper (capacity = reviews still needed) -> reviewer (capacity 1 per candidate pair,
cost = -affinity) -> sink (capacity = the reviewer's remaining load). A maximum flow of minimum cost is the
assignment of greatest total affinity that gives every paper as many reviewers as possible; when that is
fewer than needed, the reviews missing are spread over the papers (each paper's first reviewer before any
paper's second) and the result says which papers (and topics) lack reviewers. "Not willing" pairs carry a
penalty larger than any sum of affinities, so they are used only when nothing else fills a paper. Pairs the
chair already fixed are kept and count against demand and load. Ties break by input order, which is sorted,
so the same input always gives the same output.

The candidates come as a list of ``Candidate`` (small instances, tests) or as a ``Graph`` of parallel arrays
(what scoring produces: millions of pairs at a large conference); the network is built from arrays either way.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from portal.assign import arrays, fair

SCALE = 10_000  # affinities are floats; the solver wants integer costs
# From this many candidate arcs the solver first tries without the "not willing" pairs (see ``solve``). Both
# ways give an optimum; between optima of equal worth they may pick differently, so small workshops keep the
# single solve they always had.
FIRST_WITHOUT_NOT_WILLING = 100_000


@dataclass(frozen=True)
class Candidate:
    paper: int
    reviewer: int
    affinity: float
    not_willing: bool = False


@dataclass
class Graph:
    """Candidate pairs as parallel arrays: what scoring a large workshop produces, without an object per pair."""

    paper: np.ndarray  # int64 ids
    reviewer: np.ndarray  # int64 ids
    affinity: np.ndarray  # float
    not_willing: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.paper)

    @classmethod
    def of(cls, candidates: list[Candidate]) -> Graph:
        return cls(
            np.array([c.paper for c in candidates], dtype=np.int64),
            np.array([c.reviewer for c in candidates], dtype=np.int64),
            np.array([c.affinity for c in candidates], dtype=np.float64),
            np.array([c.not_willing for c in candidates], dtype=bool),
        )


@dataclass
class Problem:
    demand: dict[int, int]  # paper -> reviewers wanted in all
    capacity: dict[int, int]  # reviewer -> maximum load in all
    candidates: list[Candidate] | Graph  # allowed pairs (conflicts already left out)
    fixed: list[tuple[int, int]] = field(default_factory=list)  # (paper, reviewer) already assigned, kept
    topics: dict[int, str] = field(default_factory=dict)  # paper -> primary topic, for the shortfall message
    top_k: int | None = None  # keep only the K best candidates per paper (stated in the result)
    minimum: dict[int, int] = field(default_factory=dict)  # reviewer -> minimum load in all (fixed pairs count)
    balanced: bool = False  # every reviewer's load within one of the others', where the candidates allow
    fair: bool = False  # lift the worst-served paper first, then the total (see ``portal.assign.fair``)
    fixed_affinity: dict[int, float] = field(default_factory=dict)  # paper -> summed affinity of its fixed pairs


@dataclass
class Result:
    pairs: list[tuple[int, int]]  # new (paper, reviewer) pairs, sorted
    total_affinity: float
    shortfall: dict[int, int]  # paper -> reviewers still missing
    not_willing_used: list[tuple[int, int]]
    candidates_considered: int
    top_k: int | None
    seconds: float
    below_minimum: dict[int, int] = field(default_factory=dict)  # reviewer -> reviews short of their minimum
    load_note: str = ""  # why some reviewers stay below their minimum
    fair: bool = False
    worst_paper: float | None = None  # the worst fully served paper's summed affinity, fixed pairs included
    alternative: dict[str, float | None] = field(default_factory=dict)  # the other mode's total and worst paper
    balanced_load: int | None = None  # with ``balanced``: the largest load given

    @property
    def feasible(self) -> bool:
        return not self.shortfall

    def explain_shortfall(self, topics: dict[int, str] | None = None) -> str:
        if not self.shortfall:
            return ""
        missing = sum(self.shortfall.values())
        papers = ", ".join(f"#{p} ({n} missing)" for p, n in sorted(self.shortfall.items())[:20])
        more = f" and {len(self.shortfall) - 20} more" if len(self.shortfall) > 20 else ""
        text = (
            f"{missing} review{'s' if missing != 1 else ''} could not be assigned: {len(self.shortfall)} "
            f"paper{'s lack' if len(self.shortfall) != 1 else ' lacks'} reviewers: {papers}{more}."
        )
        if topics:
            by_topic: dict[str, int] = defaultdict(int)
            for paper, n in self.shortfall.items():
                by_topic[topics.get(paper, "?")] += n
            worst = sorted(by_topic.items(), key=lambda kv: (-kv[1], kv[0]))
            text += " Short by topic: " + "; ".join(f"{t}: {n}" for t, n in worst) + "."
        text += " Raise the reviewers' loads, add reviewers, or lower the reviews per paper."
        return text


def solve(problem: Problem) -> Result:
    started = time.perf_counter()
    graph = problem.candidates if isinstance(problem.candidates, Graph) else Graph.of(problem.candidates)
    fixed = set(problem.fixed)
    kept = Counter(p for p, _ in fixed)
    used = Counter(r for _, r in fixed)
    need = {p: max(0, d - kept[p]) for p, d in sorted(problem.demand.items())}
    room = {r: max(0, c - used[r]) for r, c in sorted(problem.capacity.items())}
    # What each reviewer must still receive to reach their minimum (never more than their room).
    lower = {r: min(room[r], max(0, problem.minimum.get(r, 0) - used[r])) for r in room}

    edges = _edges(graph, need, room, fixed, problem.top_k, lower)
    papers = [p for p in need if need[p] > 0]
    paper_ids = np.array(papers, dtype=np.int64)
    reviewers = arrays.unique(edges.reviewer)
    # Candidates of papers that need nobody more take no arc (but count in the spread of affinities).
    on = arrays.isin(edges.paper, paper_ids)
    arcs = Graph(edges.paper[on], edges.reviewer[on], edges.affinity[on], edges.not_willing[on])

    spread = float(edges.affinity.max() - edges.affinity.min()) if len(edges) else 0.0
    # Larger than any gain in affinity a rearrangement could bring (the spread of affinities times the number
    # of pairs), so a "not willing" pair is used only when nothing else fills a paper.
    penalty = int((spread * SCALE + 1) * (sum(need.values()) + 1)) + 1
    total = sum(need[p] for p in papers)

    net = _Network(papers, need, reviewers, room, arcs)
    below: dict[int, int] = {}
    balanced_load = None
    caps, met = net.caps(), np.zeros(len(reviewers), dtype=np.int64)
    if any(lower.values()) or problem.balanced:
        flow, met, caps, balanced_load = _with_loads(net, lower, penalty, balanced=problem.balanced)
        reached = dict(zip(reviewers.tolist(), met.tolist(), strict=True))
        below = {r: n - reached.get(r, 0) for r, n in lower.items() if n > reached.get(r, 0) and problem.minimum.get(r)}
    else:
        # Large instances first go without the "not willing" pairs: when every paper fills without them, that
        # flow is an optimum (any flow using one costs more than the penalty), found on a much smaller range of
        # costs.
        flow = None
        if len(arcs) >= FIRST_WITHOUT_NOT_WILLING and arcs.not_willing.any():
            flow = net.min_cost_flow(~arcs.not_willing, penalty)
            if int(flow.sum()) < total:
                flow = None
        if flow is None:
            flow = net.min_cost_flow(np.ones(len(arcs), dtype=bool), penalty)

    result = _result(problem, arcs, flow, need, started)
    result.below_minimum = below
    result.load_note = _explain_minimum(below, net, lower) if below else ""
    result.balanced_load = balanced_load
    if problem.fair:
        best = result
        fair_flow = fair.lift_worst(net, flow, met, caps, problem.fixed_affinity)
        result = _result(problem, arcs, fair_flow, need, started)
        result.below_minimum, result.load_note, result.balanced_load = below, best.load_note, balanced_load
        result.fair = True
        result.alternative = {"total_affinity": best.total_affinity, "worst_paper": best.worst_paper}
    return result


def _result(problem: Problem, arcs: Graph, flow: np.ndarray, need: dict[int, int], started: float) -> Result:
    chosen = np.flatnonzero(flow > 0)
    pairs = sorted(zip(arcs.paper[chosen].tolist(), arcs.reviewer[chosen].tolist(), strict=True))
    not_willing = sorted(
        zip(
            arcs.paper[chosen[arcs.not_willing[chosen]]].tolist(),
            arcs.reviewer[chosen[arcs.not_willing[chosen]]].tolist(),
            strict=True,
        )
    )
    got = Counter(arcs.paper[chosen].tolist())
    shortfall = {p: need[p] - got[p] for p in need if need[p] > got[p]}
    return Result(
        pairs=pairs,
        total_affinity=sum(arcs.affinity[chosen].tolist(), 0.0),
        shortfall=shortfall,
        not_willing_used=not_willing,
        candidates_considered=len(arcs),
        top_k=problem.top_k,
        seconds=time.perf_counter() - started,
        worst_paper=worst_paper(arcs, flow, need, shortfall, problem.fixed_affinity),
    )


def worst_paper(
    arcs: Graph, flow: np.ndarray, need: dict[int, int], shortfall: dict[int, int], fixed_affinity: dict[int, float]
) -> float | None:
    """The smallest summed affinity of a paper that got every reviewer it needed (its fixed pairs included);
    None when no paper did. A paper short of reviewers is counted in the shortfall instead."""
    sums = dict.fromkeys((p for p in need if p not in shortfall), 0.0)
    for p, a in zip(arcs.paper[flow > 0].tolist(), arcs.affinity[flow > 0].tolist(), strict=True):
        if p in sums:
            sums[p] += a
    served = [sums[p] + fixed_affinity.get(p, 0.0) for p in sums]
    return min(served) if served else None


def _edges(
    graph: Graph,
    need: dict[int, int],
    room: dict[int, int],
    fixed: set[tuple[int, int]],
    top_k: int | None,
    lower: dict[int, int] | None = None,
) -> Graph:
    """The usable candidates (not fixed, paper wanted, reviewer with room), per paper in order of preference:
    willing first, then by affinity, then by reviewer id; with ``top_k``, only each paper's first K (at least
    as many as it needs), and each reviewer's best twice their ``lower`` (so that a minimum load has papers
    to come from). Ties break by this order, so the same input always gives the same output."""
    keep = arrays.isin(graph.paper, np.array(list(need), dtype=np.int64))
    keep &= arrays.isin(graph.reviewer, np.array([r for r, n in room.items() if n > 0], dtype=np.int64))
    if fixed:
        fixed_p = np.array([p for p, _ in fixed], dtype=np.int64)
        fixed_r = np.array([r for _, r in fixed], dtype=np.int64)
        keep &= ~_pair_in(graph.paper, graph.reviewer, fixed_p, fixed_r)
    p, r, a, nw = graph.paper[keep], graph.reviewer[keep], graph.affinity[keep], graph.not_willing[keep]
    order = _preference(p, r, a, nw)
    p, r, a, nw = p[order], r[order], a[order].astype(np.float64), nw[order]
    if top_k is not None and len(p):
        first = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
        rank = np.arange(len(p)) - np.repeat(first, np.diff(np.r_[first, len(p)]))
        wanted = np.array([need[x] for x in p[first].tolist()], dtype=np.int64)
        limit = np.maximum(top_k, np.repeat(wanted, np.diff(np.r_[first, len(p)])))
        cut = rank < limit
        if lower and any(lower.values()):
            cut |= arrays.rank_within(r, nw, -a.astype(np.float64)) < np.array(
                [2 * lower.get(x, 0) for x in r.tolist()], dtype=np.int64
            )
        p, r, a, nw = p[cut], r[cut], a[cut], nw[cut]
    return Graph(p, r, a, nw)


def _preference(p: np.ndarray, r: np.ndarray, a: np.ndarray, nw: np.ndarray) -> np.ndarray:
    """The order by paper, willing first, affinity (highest first), reviewer. For the float32 affinities of
    scoring, one stable sort of a 64-bit key (paper, not willing, affinity's bits flipped to sort downwards),
    several times faster than ``lexsort`` on millions of pairs."""
    if a.dtype != np.float32 or not len(p) or p.min() < 0 or p.max() >= 1 << 30:
        return np.lexsort((r, -a.astype(np.float64), nw, p))
    if not np.all((p[1:] > p[:-1]) | ((p[1:] == p[:-1]) & (r[1:] >= r[:-1]))):
        first = np.lexsort((r, p))  # the stable sort below keeps this order among equals
        return first[_preference(p[first], r[first], a[first], nw[first])]
    bits = (a + np.float32(0.0)).view(np.uint32).astype(np.int64)  # -0.0 becomes 0.0, as -a == -b
    ascending = np.where(bits >= 1 << 31, bits ^ 0xFFFFFFFF, bits | 1 << 31)  # ordered as the floats
    key = (p << 33) | (nw.astype(np.int64) << 32) | (0xFFFFFFFF - ascending)
    return np.argsort(key, kind="stable")


def _pair_in(p: np.ndarray, r: np.ndarray, set_p: np.ndarray, set_r: np.ndarray) -> np.ndarray:
    width = int(max(r.max(initial=0), set_r.max(initial=0))) + 1
    return arrays.isin(p * width + r, set_p * width + set_r)


class _Network:
    """The flow network of an instance: source -> paper (its need) -> reviewer (1 per candidate) -> sink (the
    reviewer's room). Nodes: source 0, papers 1..P, reviewers P+1..P+R, sink P+R+1."""

    def __init__(self, papers: list[int], need: dict[int, int], reviewers: np.ndarray, room: dict[int, int], arcs: Graph):
        self.papers, self.need, self.reviewers, self.room, self.arcs = papers, need, reviewers, room, arcs
        self.paper_node = np.searchsorted(np.array(papers, dtype=np.int64), arcs.paper) + 1
        self.reviewer_node = np.searchsorted(reviewers, arcs.reviewer) + 1 + len(papers)
        self.sink = 1 + len(papers) + len(reviewers)

    def caps(self, room: dict[int, int] | None = None) -> np.ndarray:
        room = self.room if room is None else room
        return np.array([room[r] for r in self.reviewers.tolist()], dtype=np.int64)

    def max_flow(self, use: np.ndarray, caps: np.ndarray) -> int:
        """The most reviews that can be assigned on the arcs ``use`` with these reviewer capacities."""
        if not self.papers:
            return 0
        n = len(self.papers)
        mf = max_flow.SimpleMaxFlow()
        mf.add_arcs_with_capacity(
            np.concatenate([np.zeros(n, np.int64), self.paper_node[use], 1 + n + np.arange(len(self.reviewers))]),
            np.concatenate([np.arange(1, n + 1), self.reviewer_node[use], np.full(len(self.reviewers), self.sink)]),
            np.concatenate([[self.need[p] for p in self.papers], np.ones(int(use.sum()), np.int64), caps]).astype(np.int64),
        )
        if mf.solve(0, self.sink) != mf.OPTIMAL:
            raise RuntimeError("the max-flow solver failed")
        return int(mf.optimal_flow())

    def min_cost_flow(
        self,
        use: np.ndarray,
        penalty: int,
        *,
        caps: np.ndarray | None = None,
        low: np.ndarray | None = None,
        bonus: int = 0,
        spread: bool = False,
    ) -> np.ndarray:
        """The flow on each candidate arc (0 where ``use`` is False) of a maximum flow of minimum cost. With
        ``low`` (by reviewer node) and ``bonus``, each reviewer's first ``low`` units go through an arc of cost
        ``-bonus``, so the flow meets as many of those minimums as it can before it looks at affinity. With
        ``spread`` (when not every review can be given), a paper's first reviewer outweighs anything else, then its
        second, and so on: the reviews missing are spread over the papers rather than leaving a few with none."""
        arcs = self.arcs
        flow = np.zeros(len(arcs), dtype=np.int64)
        if not self.papers:
            return flow
        n, m = len(self.papers), len(self.reviewers)
        caps = self.caps() if caps is None else caps
        cost = -np.rint(arcs.affinity * SCALE).astype(np.int64) + np.where(arcs.not_willing, penalty, 0)
        low = np.zeros(m, dtype=np.int64) if low is None else low
        outlets = 1 + n + np.arange(m)
        total = sum(self.need[p] for p in self.papers)
        need = np.array([self.need[p] for p in self.papers], dtype=np.int64)
        inlets, inlet_caps, inlet_costs = np.arange(1, n + 1), need, np.zeros(n, np.int64)
        if spread:
            # The k-th reviewer of a paper (k from 0) earns (most - k) levels; a level outweighs every other cost
            # a whole flow can gather. Skipped (left as it was) where those numbers would not fit the solver.
            level = (int(np.abs(cost[use]).max(initial=0)) + bonus + 1) * (total + 1) + 1
            most = int(need.max(initial=0))
            if level * most * (n + m + 2) < 1 << 62:
                inlets = np.repeat(np.arange(1, n + 1), need)
                k = np.arange(len(inlets)) - np.repeat(np.cumsum(need) - need, need)
                inlet_caps, inlet_costs = np.ones(len(inlets), np.int64), -(most - k) * level
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([np.zeros(len(inlets), np.int64), self.paper_node[use], outlets, outlets]),
            np.concatenate([inlets, self.reviewer_node[use], np.full(2 * m, self.sink)]),
            np.concatenate([inlet_caps, np.ones(int(use.sum()), np.int64), low, caps - low]).astype(np.int64),
            np.concatenate([inlet_costs, cost[use], np.full(m, -bonus, np.int64), np.zeros(m, np.int64)]),
        )
        smcf.set_node_supply(0, total)
        smcf.set_node_supply(self.sink, -total)
        status = smcf.solve_max_flow_with_min_cost()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"the min-cost-flow solver failed (status {status})")
        flow[use] = smcf.flows(np.arange(len(inlets), len(inlets) + int(use.sum())))
        if not spread and int(flow.sum()) < total:  # not every review can be given: spread the shortfall
            return self.min_cost_flow(use, penalty, caps=caps, low=low, bonus=bonus, spread=True)
        return flow


def _with_loads(
    net: _Network, lower: dict[int, int], penalty: int, *, balanced: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None]:
    """The assignment with reviewers' minimums, in this order of importance: as many reviews as without
    minimums, a shortfall spread over the papers, the fewest "not willing" pairs, as much of the minimums as can
    be met, then the most affinity.
    With ``balanced``: also the smallest largest load that still covers as many reviews, with everyone's
    minimum one below it (where their candidates allow). Returns the flow, the part of each minimum met and
    the capacities used (by reviewer node), and the largest load (balanced)."""
    arcs = net.arcs
    everything = np.ones(len(arcs), dtype=bool)
    willing = ~arcs.not_willing
    caps = net.caps()
    most = net.max_flow(everything, caps)
    low = np.array([lower.get(r, 0) for r in net.reviewers.tolist()], dtype=np.int64)
    top = None
    if balanced and most:
        # The smallest cap on everyone's load that still assigns ``most`` reviews (binary search: the max
        # flow grows with the cap), then a minimum of one below it for everyone.
        # (No cap below ``most`` over the reviewers with candidates can carry ``most``: the search starts there.)
        lo, hi = max(1, -(-most // max(1, int((caps > 0).sum())))), int(caps.max(initial=1))
        lo = min(lo, hi)
        while lo < hi:
            mid = (lo + hi) // 2
            if net.max_flow(everything, np.minimum(caps, mid)) >= most:
                hi = mid
            else:
                lo = mid + 1
        top = lo
        caps = np.minimum(caps, top)
        low = np.maximum(low, top - 1)
    low = np.minimum(low, caps)
    # The bonus of a unit of minimum outweighs any gain in affinity (``penalty`` is that bound); a "not
    # willing" pair outweighs every bonus together.
    # Without the "not willing" pairs when every review is given without them (with a shortfall, spreading it
    # over the papers comes first, so they stay in).
    use = willing if net.max_flow(willing, caps) >= sum(net.need.values()) else everything
    flow = net.min_cost_flow(use, penalty * (int(low.sum()) + 2), caps=caps, low=low, bonus=penalty)
    load = np.bincount(net.reviewer_node[flow > 0] - 1 - len(net.papers), minlength=len(net.reviewers))
    return flow, np.minimum(load, low), caps, top


def _explain_minimum(below: dict[int, int], net: _Network, lower: dict[int, int]) -> str:
    """Why some reviewers stay below their minimum: too few candidate papers (conflicts, "not willing"), or
    more minimums than reviews to give, or candidates they share with others who took them first."""
    short = sum(below.values())
    willing = Counter(net.arcs.reviewer[~net.arcs.not_willing].tolist())
    few = sorted(r for r in below if willing[r] < lower.get(r, 0))
    wanted = sum(net.need[p] for p in net.papers)
    asked = sum(lower.values())
    parts = [
        f"{len(below)} reviewer{'s stay' if len(below) != 1 else ' stays'} below their minimum load "
        f"({short} review{'s' if short != 1 else ''} short)."
    ]
    if asked > wanted:
        parts.append(f"The minimums ask for {asked} reviews; the papers need only {wanted}.")
    if few:
        listed = ", ".join(f"#{r}" for r in few[:20]) + (f" and {len(few) - 20} more" if len(few) > 20 else "")
        parts.append(
            f"{len(few)} of them have fewer papers they could review than their minimum (conflicts and "
            f"'not willing' bids leave too few): {listed}."
        )
    if len(few) < len(below):
        parts.append("The others' candidate papers are all taken up by other reviewers' minimums and the papers' needs.")
    parts.append("Lower the minimum load, add submissions to their topics, or assign them by hand.")
    return " ".join(parts)
