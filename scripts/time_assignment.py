"""Time the automatic reviewer assignment (affinity + min-cost flow) on synthetic data. No database.

Run: .venv/bin/python scripts/time_assignment.py [--papers N --reviewers M] [--top-k K]
     (default: 500 x 150 with every candidate, then 20000 x 10000 keeping the 50 best per paper)

The data: titles and abstracts drawn from a word list (each topic favours its own words), skewed topics
(a few topics hold most papers), 1% of the pairs bid on, 0.5% conflicted, 3 reviews per paper, a load of 6
with 10% of the reviewers capped at 2. Each size runs in a fresh child process, so the peak resident
memory printed is that size's own (data generation included; the checkpoints say how much came from where).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from portal.assign.affinity import PaperInfo, ReviewerInfo, Weights, score
from portal.assign.solver import Problem, solve

DEFAULT_SIZES = [(500, 150, None), (20000, 10000, 50)]
TOPICS = 20
REVIEWS_PER_PAPER = 3
LOAD, CAPPED_LOAD, CAPPED_SHARE = 6, 2, 0.10
BID_SHARE, CONFLICT_SHARE = 0.01, 0.005
BID_VALUES = ["eager", "willing", "in_a_pinch", "not_willing"]
BID_ODDS = [0.25, 0.40, 0.20, 0.15]

WORD_TEXT = """attention transformer context window sequence token memory retrieval augmented generation sparse
dense linear kernel recurrent state space model position encoding rotary extrapolation interpolation length
generalization benchmark evaluation needle haystack summarization question answering document book dialogue
compression cache eviction quantization pruning distillation inference latency throughput hardware gpu
chunking segment hierarchy graph index vector embedding similarity search reranking passage corpus knowledge
reasoning chain thought planning agent tool multi hop factual hallucination faithfulness citation grounding
instruction tuning alignment preference reward reinforcement pretraining finetuning curriculum data mixture
synthetic scaling law parameter efficient adapter lora mixture expert routing gating layer norm residual
head softmax approximation flash blockwise ring distributed parallel pipeline sharding offloading streaming
online incremental continual forgetting consolidation episodic semantic working buffer landmark anchor
global local sliding dilated strided random hashing clustering bucket locality nystrom performer linformer
longformer bigbird reformer mamba hyena rwkv retnet xlstm transformerxl compressive memorizing unlimiformer
code repository programming multimodal video audio image table spreadsheet legal medical scientific paper
patent financial report meeting transcript novel screenplay multilingual translation crosslingual lowresource
perplexity accuracy recall precision robustness sensitivity ablation analysis probing interpretability
circuit mechanism induction copying lookup associative recall counting ordering sorting arithmetic"""
WORDS = WORD_TEXT.split()


def _vocabulary(rng: np.random.Generator, size: int = 4000) -> list[str]:
    """The word list plus made-up words (syllable strings), so the vocabulary has a realistic long tail."""
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pa", "de", "qu", "zen", "bri", "tor", "ex"]
    words = list(dict.fromkeys(WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables, size=rng.integers(2, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def generate(papers: int, reviewers: int, seed: int = 1) -> tuple[list[PaperInfo], list[ReviewerInfo], dict, set, Problem]:
    rng = np.random.default_rng(seed)
    vocab = np.array(_vocabulary(rng))
    zipf = 1 / np.arange(1, len(vocab) + 1)
    general = zipf / zipf.sum()
    topic_odds = 1 / np.arange(1, TOPICS + 1) ** 1.2  # skewed: topic 1 holds about a quarter of the papers
    topic_odds /= topic_odds.sum()
    # Each topic favours 150 words of its own (first from the real word list, then the long tail).
    topic_words = [rng.choice(len(vocab), size=150, replace=False, p=general) for _ in range(TOPICS)]

    def text(topics: list[int], length: int) -> str:
        own = np.concatenate([topic_words[t] for t in topics])
        n_own = int(length * 0.6)
        picks = np.concatenate([rng.choice(own, size=n_own), rng.choice(len(vocab), size=length - n_own, p=general)])
        return " ".join(vocab[picks].tolist())

    def topics_of(low: int, high: int) -> list[int]:
        k = int(rng.integers(low, high + 1))
        return [int(t) for t in rng.choice(TOPICS, size=k, replace=False, p=topic_odds)]

    paper_infos = []
    for i in range(papers):
        topics = topics_of(1, 3)  # the first is the primary topic
        paper_infos.append(PaperInfo(i + 1, text(topics, 10) + "\n" + text(topics, 150), set(topics)))
    reviewer_infos = []
    for j in range(reviewers):
        topics = topics_of(2, 5)
        reviewer_infos.append(ReviewerInfo(100_000 + j, text(topics, 80), set(topics)))

    def pairs(share: float) -> list[tuple[int, int]]:
        flat = np.unique(rng.integers(0, papers * reviewers, size=int(share * papers * reviewers)))
        return [(int(f // reviewers) + 1, 100_000 + int(f % reviewers)) for f in flat]

    values = rng.choice(len(BID_VALUES), size=int(BID_SHARE * papers * reviewers), p=BID_ODDS)
    bids = {pair: BID_VALUES[v] for pair, v in zip(pairs(BID_SHARE), values.tolist(), strict=False)}
    conflicts = set(pairs(CONFLICT_SHARE))
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
    scored = score(paper_infos, reviewer_infos, bids, conflicts, Weights(), top_k=top_k)
    affinity_s, peak_affinity = time.perf_counter() - started, _peak_mb()

    problem.candidates = scored.candidates
    problem.top_k = top_k
    started = time.perf_counter()
    result = solve(problem)
    solve_s = time.perf_counter() - started

    return {
        "papers": papers, "reviewers": reviewers, "top_k": top_k, "bids": len(bids), "conflicts": len(conflicts),
        "generate_s": generated, "affinity_s": affinity_s, "solve_s": solve_s, "total_s": affinity_s + solve_s,
        "candidates": len(scored.candidates), "considered": result.candidates_considered, "pairs": len(result.pairs),
        "demand": sum(problem.demand.values()), "capacity": sum(problem.capacity.values()),
        "missing": sum(result.shortfall.values()), "not_willing_used": len(result.not_willing_used),
        "peak_after_generate_mb": peak_generated, "peak_after_affinity_mb": peak_affinity, "peak_mb": _peak_mb(),
    }  # fmt: skip


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
        print(f"  affinity {r['affinity_s']:8.2f} s   solve {r['solve_s']:8.2f} s   total {r['total_s']:8.2f} s"
              f"   (data generation {r['generate_s']:.2f} s, not counted)")  # fmt: skip
        print(f"  peak RSS {r['peak_mb']:8.0f} MB   (after generating {r['peak_after_generate_mb']:.0f} MB,"
              f" after affinity {r['peak_after_affinity_mb']:.0f} MB)")  # fmt: skip
        print(f"  {r['candidates']} candidates ({r['considered']} given to the solver); {r['pairs']} pairs assigned"
              f" of {r['demand']} wanted (capacity {r['capacity']}), {r['missing']} missing,"
              f" {r['not_willing_used']} not-willing pairs used")  # fmt: skip


if __name__ == "__main__":
    main()
