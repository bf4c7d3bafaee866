"""Candidates for a minimum load: when the papers' K best leave a reviewer with too few candidates, that
reviewer's own best papers are added, scored exactly as every pair is, never a conflicted or "not willing" one."""

from __future__ import annotations

import numpy as np
import pytest

from portal.assign import affinity
from portal.assign.affinity import PairArrays, Weights, score_edges
from tests.unit.test_affinity import _conference


def _per_reviewer(edges: affinity.Edges) -> dict[int, int]:
    ids, counts = np.unique(edges.reviewer[~edges.not_willing], return_counts=True)
    return dict(zip(ids.tolist(), counts.tolist(), strict=True))


@pytest.mark.parametrize("approximate", [False, True])
def test_a_reviewer_no_paper_chose_gets_their_own_best_papers(monkeypatch: pytest.MonkeyPatch, approximate: bool) -> None:
    papers, reviewers = _conference(papers=30, reviewers=120)
    if approximate:
        monkeypatch.setattr(affinity, "APPROXIMATE_PAIRS", 0)
    nothing = PairArrays.of(set())
    plain = score_edges(papers, reviewers, nothing, nothing, Weights(), top_k=3)
    idle = [r.id for r in reviewers if _per_reviewer(plain).get(r.id, 0) == 0]
    assert len(idle) > 30  # 90 places for 120 reviewers: many are nobody's candidate
    every = score_edges(papers, reviewers, nothing, nothing, Weights(), top_k=None)

    edges = score_edges(papers, reviewers, nothing, nothing, Weights(), top_k=3, least=dict.fromkeys(idle, 1))

    counts = _per_reviewer(edges)
    assert all(counts.get(r, 0) == 2 for r in idle)  # twice the minimum
    # The added pairs are each idle reviewer's two best papers, with the affinity the exact scoring gives.
    exact = {(p, r): a for p, r, a in zip(every.paper.tolist(), every.reviewer.tolist(), every.affinity.tolist(), strict=True)}
    for r in idle:
        best = sorted((a for (p, q), a in exact.items() if q == r), reverse=True)[:2]
        got = sorted(
            (a for p, q, a in zip(edges.paper.tolist(), edges.reviewer.tolist(), edges.affinity.tolist(), strict=True) if q == r),
            reverse=True,
        )
        assert got == pytest.approx(best, abs=1e-5)
    # Nothing else changed; no pair twice.
    assert len(set(zip(edges.paper.tolist(), edges.reviewer.tolist(), strict=True))) == len(edges)
    assert len(edges) == len(plain) + 2 * len(idle)


def test_added_candidates_are_never_conflicted_or_not_willing() -> None:
    papers, reviewers = _conference(papers=12, reviewers=40)
    nothing = PairArrays.of(set())
    plain = score_edges(papers, reviewers, nothing, nothing, Weights(), top_k=1)
    r = next(x.id for x in reviewers if x.id not in set(plain.reviewer.tolist()))
    everything = score_edges(papers, reviewers, nothing, nothing, Weights(), top_k=None)
    scored = zip(everything.affinity.tolist(), everything.paper.tolist(), everything.reviewer.tolist(), strict=True)
    mine = [p for _, p, q in sorted(scored, reverse=True) if q == r]  # the reviewer's papers, best first
    conflicts = PairArrays.of({(mine[0], r)})
    bids = PairArrays.of({(mine[1], r): "not_willing"})

    edges = score_edges(papers, reviewers, bids, conflicts, Weights(), top_k=1, least={r: 1})

    added = sorted(p for p, q in zip(edges.paper.tolist(), edges.reviewer.tolist(), strict=True) if q == r)
    assert added == sorted(mine[2:4])


def test_a_short_reviewers_best_papers_are_picked_as_a_full_sort_picks_them() -> None:
    # The added papers come from a partial selection (``_largest``): it must pick exactly what a stable sort of all
    # the papers picks, ties to the lower position, or two runs on the same data could propose different papers.
    rng = np.random.default_rng(7)
    for _ in range(3000):
        values = rng.integers(0, 4, int(rng.integers(1, 40))).astype(np.float32)
        values[rng.random(len(values)) < 0.25] = -np.inf
        k = int(rng.integers(0, len(values) + 2))
        assert affinity._largest(values, k).tolist() == np.argsort(-values, kind="stable")[:k].tolist()
