"""Time the automatic reviewer assignment (affinity + min-cost flow) on synthetic data. No database.

Run: .venv/bin/python scripts/time_assignment.py [--papers N --reviewers M] [--top-k K]
     (default: 500 x 150 with every candidate, then 21575 x 20518 keeping the 50 best per paper)

The data (the generator of ``bench/bench_assign.py``, which times the same at full size with the database):
titles and abstracts drawn from a word list (each topic favours its own words), skewed topics (a few topics
hold most papers), 1% of the pairs bid on, 0.5% conflicted, 3 reviews per paper, a load of 6 with 10% of the
reviewers capped at 2. Each size runs in a fresh child process, so the peak resident memory printed is that
size's own (data generation included; the checkpoints say how much came from where).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for bench/, when run as a script

from bench.bench_assign import BID_VALUES, Corpus, skewed_topics
from portal.assign.affinity import PairArrays, PaperInfo, ReviewerInfo, Weights, score_edges
from portal.assign.solver import Problem, solve

DEFAULT_SIZES = [(500, 150, None), (21575, 20518, 50)]
REVIEWS_PER_PAPER = 3
LOAD, CAPPED_LOAD, CAPPED_SHARE = 6, 2, 0.10
BID_SHARE, CONFLICT_SHARE = 0.01, 0.005
BID_ODDS = [0.25, 0.40, 0.20, 0.15]


def generate(
    papers: int, reviewers: int, seed: int = 1
) -> tuple[list[PaperInfo], list[ReviewerInfo], PairArrays, PairArrays, Problem]:
    rng = np.random.default_rng(seed)
    corpus = Corpus(rng)
    p_topics, r_topics = skewed_topics(rng, papers, 1, 3), skewed_topics(rng, reviewers, 2, 5)
    titles, abstracts, statements = corpus.texts(p_topics, 10), corpus.texts(p_topics, 150), corpus.texts(r_topics, 80)
    paper_infos = [PaperInfo(i + 1, f"{titles[i]}\n{abstracts[i]}", set(p_topics[i])) for i in range(papers)]
    reviewer_infos = [ReviewerInfo(100_000 + j, statements[j], set(r_topics[j])) for j in range(reviewers)]

    def pairs(share: float) -> tuple[np.ndarray, np.ndarray]:
        flat = np.unique(rng.integers(0, papers * reviewers, size=int(share * papers * reviewers)))
        return flat // reviewers + 1, 100_000 + flat % reviewers

    bid_p, bid_r = pairs(BID_SHARE)
    bids = PairArrays(bid_p, bid_r, rng.choice(len(BID_VALUES), size=len(bid_p), p=BID_ODDS).astype(np.int8))
    conflicts = PairArrays(*pairs(CONFLICT_SHARE))
    capped = rng.random(reviewers) < CAPPED_SHARE
    problem = Problem(
        demand={p.id: REVIEWS_PER_PAPER for p in paper_infos},
        capacity={r.id: CAPPED_LOAD if c else LOAD for r, c in zip(reviewer_infos, capped.tolist(), strict=True)},
        candidates=[],
        topics={p.id: f"Topic {min(p.topics) + 1}" for p in paper_infos},
    )
    return paper_infos, reviewer_infos, bids, conflicts, problem


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_one(papers: int, reviewers: int, top_k: int | None) -> dict:
    started = time.perf_counter()
    paper_infos, reviewer_infos, bids, conflicts, problem = generate(papers, reviewers)
    generated, peak_generated = time.perf_counter() - started, _peak_mb()

    started = time.perf_counter()
    edges = score_edges(paper_infos, reviewer_infos, bids, conflicts, Weights(), top_k=top_k)
    affinity_s, peak_affinity = time.perf_counter() - started, _peak_mb()

    problem.candidates = edges
    started = time.perf_counter()
    result = solve(problem)
    solve_s = time.perf_counter() - started

    return {
        "papers": papers,
        "reviewers": reviewers,
        "top_k": top_k,
        "bids": len(bids.paper),
        "conflicts": len(conflicts.paper),
        "generate_s": generated,
        "affinity_s": affinity_s,
        "solve_s": solve_s,
        "total_s": affinity_s + solve_s,
        "candidates": len(edges),
        "considered": result.candidates_considered,
        "pairs": len(result.pairs),
        "demand": sum(problem.demand.values()),
        "capacity": sum(problem.capacity.values()),
        "missing": sum(result.shortfall.values()),
        "not_willing_used": len(result.not_willing_used),
        "peak_after_generate_mb": peak_generated,
        "peak_after_affinity_mb": peak_affinity,
        "peak_mb": _peak_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int)
    parser.add_argument("--reviewers", type=int)
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.papers, args.reviewers, args.top_k)))
        return
    if (args.papers is None) != (args.reviewers is None):
        parser.error("give both --papers and --reviewers, or neither")
    sizes = [(args.papers, args.reviewers, args.top_k)] if args.papers else DEFAULT_SIZES

    for papers, reviewers, top_k in sizes:
        command = [sys.executable, __file__, "--child", "--papers", str(papers), "--reviewers", str(reviewers)]
        if top_k is not None:
            command += ["--top-k", str(top_k)]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{papers} papers x {reviewers} reviewers, top_k={top_k}: {r['bids']} bids, {r['conflicts']} conflicts")
        print(
            f"  affinity {r['affinity_s']:8.2f} s   solve {r['solve_s']:8.2f} s   total {r['total_s']:8.2f} s"
            f"   (data generation {r['generate_s']:.2f} s, not counted)"
        )
        print(
            f"  peak RSS {r['peak_mb']:8.0f} MB   (after generating {r['peak_after_generate_mb']:.0f} MB,"
            f" after affinity {r['peak_after_affinity_mb']:.0f} MB)"
        )
        print(
            f"  {r['candidates']} candidates ({r['considered']} given to the solver); {r['pairs']} pairs assigned"
            f" of {r['demand']} wanted (capacity {r['capacity']}), {r['missing']} missing,"
            f" {r['not_willing_used']} not-willing pairs used"
        )


if __name__ == "__main__":
    main()
