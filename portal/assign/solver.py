"""Optimal reviewer assignment as a min-cost flow (OR-Tools ``SimpleMinCostFlow``). No Flask, no database.

The network: source -> paper (capacity = reviews still needed) -> reviewer (capacity 1 per candidate pair,
cost = -affinity) -> sink (capacity = the reviewer's remaining load). A maximum flow of minimum cost is the
assignment of greatest total affinity that gives every paper as many reviewers as possible; when that is
fewer than needed, the result says which papers (and topics) lack reviewers. "Not willing" pairs carry a
penalty larger than any sum of affinities, so they are used only when nothing else fills a paper. Pairs the
chair already fixed are kept and count against demand and load. Ties break by input order, which is sorted,
so the same input always gives the same output.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.graph.python import min_cost_flow

SCALE = 10_000  # affinities are floats; the solver wants integer costs


@dataclass(frozen=True)
class Candidate:
    paper: int
    reviewer: int
    affinity: float
    not_willing: bool = False


@dataclass
class Problem:
    demand: dict[int, int]  # paper -> reviewers wanted in all
    capacity: dict[int, int]  # reviewer -> maximum load in all
    candidates: list[Candidate]  # allowed pairs (conflicts already left out)
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
        text = (f"{missing} review{'s' if missing != 1 else ''} could not be assigned: {len(self.shortfall)} "
                f"paper{'s lack' if len(self.shortfall) != 1 else ' lacks'} reviewers: {papers}{more}.")  # fmt: skip
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
    fixed = set(problem.fixed)
    kept: dict[int, int] = defaultdict(int)
    used: dict[int, int] = defaultdict(int)
    for p, r in fixed:
        kept[p] += 1
        used[r] += 1
    need = {p: max(0, d - kept[p]) for p, d in sorted(problem.demand.items())}
    room = {r: max(0, c - used[r]) for r, c in sorted(problem.capacity.items())}

    by_paper: dict[int, list[Candidate]] = defaultdict(list)
    for c in problem.candidates:
        if (c.paper, c.reviewer) not in fixed and c.paper in need and room.get(c.reviewer, 0) > 0:
            by_paper[c.paper].append(c)
    edges: list[Candidate] = []
    for paper in sorted(by_paper):
        cands = sorted(by_paper[paper], key=lambda c: (c.not_willing, -c.affinity, c.reviewer))
        if problem.top_k is not None:
            cands = cands[: max(problem.top_k, need[paper])]
        edges.extend(cands)

    papers = [p for p in need if need[p] > 0]
    reviewers = sorted({c.reviewer for c in edges})
    paper_node = {p: 1 + i for i, p in enumerate(papers)}
    reviewer_node = {r: 1 + len(papers) + i for i, r in enumerate(reviewers)}
    source, sink = 0, 1 + len(papers) + len(reviewers)

    spread = (max((c.affinity for c in edges), default=0.0) - min((c.affinity for c in edges), default=0.0))
    # Larger than any gain in affinity a rearrangement could bring (the spread of affinities times the number
    # of pairs), so a "not willing" pair is used only when nothing else fills a paper.
    penalty = int((spread * SCALE + 1) * (sum(need.values()) + 1)) + 1

    smcf = min_cost_flow.SimpleMinCostFlow()
    for p in papers:
        smcf.add_arc_with_capacity_and_unit_cost(source, paper_node[p], need[p], 0)
    arc_of: list[Candidate] = []
    for c in edges:
        if c.paper not in paper_node:
            continue
        cost = -round(c.affinity * SCALE) + (penalty if c.not_willing else 0)
        smcf.add_arc_with_capacity_and_unit_cost(paper_node[c.paper], reviewer_node[c.reviewer], 1, cost)
        arc_of.append(c)
    for r in reviewers:
        smcf.add_arc_with_capacity_and_unit_cost(reviewer_node[r], sink, room[r], 0)

    total = sum(need[p] for p in papers)
    smcf.set_node_supply(source, total)
    smcf.set_node_supply(sink, -total)
    status = smcf.solve_max_flow_with_min_cost() if papers else smcf.OPTIMAL
    if papers and status != smcf.OPTIMAL:
        raise RuntimeError(f"the min-cost-flow solver failed (status {status})")

    pairs: list[tuple[int, int]] = []
    not_willing: list[tuple[int, int]] = []
    got: dict[int, int] = defaultdict(int)
    affinity = 0.0
    for i, c in enumerate(arc_of):
        if papers and smcf.flow(len(papers) + i) > 0:
            pairs.append((c.paper, c.reviewer))
            got[c.paper] += 1
            affinity += c.affinity
            if c.not_willing:
                not_willing.append((c.paper, c.reviewer))
    shortfall = {p: need[p] - got[p] for p in need if need[p] > got[p]}
    return Result(
        pairs=sorted(pairs), total_affinity=affinity, shortfall=shortfall, not_willing_used=sorted(not_willing),
        candidates_considered=len(arc_of), top_k=problem.top_k, seconds=time.perf_counter() - started,
    )  # fmt: skip
