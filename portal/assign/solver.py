"""Optimal reviewer assignment as a min-cost flow (OR-Tools ``SimpleMinCostFlow``). No Flask, no database.

The network: source -> paper (capacity = reviews still needed) -> reviewer (capacity 1 per candidate pair,
cost = -affinity) -> sink (capacity = the reviewer's remaining load). A maximum flow of minimum cost is the
assignment of greatest total affinity that gives every paper as many reviewers as possible; when that is
fewer than needed, the result says which papers (and topics) lack reviewers. "Not willing" pairs carry a
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
from ortools.graph.python import min_cost_flow

from portal.assign import arrays

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


@dataclass
class Result:
    pairs: list[tuple[int, int]]  # new (paper, reviewer) pairs, sorted
    total_affinity: float
    shortfall: dict[int, int]  # paper -> reviewers still missing
    not_willing_used: list[tuple[int, int]]
    candidates_considered: int
    top_k: int | None
    seconds: float

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

    edges = _edges(graph, need, room, fixed, problem.top_k)
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

    # Large instances first go without the "not willing" pairs: when every paper fills without them, that flow
    # is an optimum (any flow using one costs more than the penalty), found on a much smaller range of costs.
    flow = None
    if len(arcs) >= FIRST_WITHOUT_NOT_WILLING and arcs.not_willing.any():
        willing = ~arcs.not_willing
        flow = _min_cost_flow(papers, need, reviewers, room, arcs, willing, penalty)
        if int(flow.sum()) < total:
            flow = None
    if flow is None:
        flow = _min_cost_flow(papers, need, reviewers, room, arcs, np.ones(len(arcs), dtype=bool), penalty)

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
    )


def _edges(graph: Graph, need: dict[int, int], room: dict[int, int], fixed: set[tuple[int, int]], top_k: int | None) -> Graph:
    """The usable candidates (not fixed, paper wanted, reviewer with room), per paper in order of preference:
    willing first, then by affinity, then by reviewer id; with ``top_k``, only each paper's first K (at least
    as many as it needs). Ties break by this order, so the same input always gives the same output."""
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


def _min_cost_flow(
    papers: list[int],
    need: dict[int, int],
    reviewers: np.ndarray,
    room: dict[int, int],
    arcs: Graph,
    use: np.ndarray,
    penalty: int,
) -> np.ndarray:
    """The flow on each candidate arc (0 where ``use`` is False) of a maximum flow of minimum cost:
    source -> paper (its need) -> reviewer (1 per candidate) -> sink (the reviewer's room)."""
    flow = np.zeros(len(arcs), dtype=np.int64)
    if not papers:
        return flow
    n_papers = len(papers)
    paper_node = np.searchsorted(np.array(papers, dtype=np.int64), arcs.paper[use]) + 1
    reviewer_node = np.searchsorted(reviewers, arcs.reviewer[use]) + 1 + n_papers
    source, sink = 0, 1 + n_papers + len(reviewers)
    cost = -np.rint(arcs.affinity[use] * SCALE).astype(np.int64) + np.where(arcs.not_willing[use], penalty, 0)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([np.zeros(n_papers, np.int64), paper_node, 1 + n_papers + np.arange(len(reviewers))]),
        np.concatenate([np.arange(1, n_papers + 1), reviewer_node, np.full(len(reviewers), sink)]),
        np.concatenate(
            [[need[p] for p in papers], np.ones(len(paper_node), np.int64), [room[r] for r in reviewers.tolist()]]
        ).astype(np.int64),
        np.concatenate([np.zeros(n_papers, np.int64), cost, np.zeros(len(reviewers), np.int64)]),
    )
    total = sum(need[p] for p in papers)
    smcf.set_node_supply(source, total)
    smcf.set_node_supply(sink, -total)
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"the min-cost-flow solver failed (status {status})")
    flow[use] = smcf.flows(np.arange(n_papers, n_papers + len(paper_node)))
    return flow
