"""Automatic reviewer assignment at NeurIPS size: 21,575 submissions, 20,518 reviewers, 3 reviews a paper.

Run: .venv/bin/python -m bench.bench_assign [--papers 21575 --reviewers 20518] [--runs 3] [--keep DIR] [--compare-exact]

Builds a fresh SQLite database (a temporary file) with the schema of ``flask db upgrade`` and the workshop
content, and fills it with bulk inserts (not timed):

- 20 topics (the workshop's 7 and 13 more), skewed: the first holds about a quarter of the papers;
- submissions with 1 to 3 topics, a 10-word title, a 150-word abstract and 4 keywords drawn from a
  vocabulary of 4,000 words in which each topic favours 150 words of its own (60 % of a text);
- 1 to 6 authors a paper at 2,000 institutions of skewed size (half the co-authors at their first author's,
  some on webmail, some on a department's subdomain), a fifth of the papers with a reviewer among their
  authors, a few conflicts declared by the authors (reviewers' addresses), by the reviewers (a person, a
  domain, an institution) and by the chairs;
- reviewers with 2 to 5 topics, a 40-word statement and 1 to 3 papers of their own (title and an 80-word
  abstract); 10 % with a load of 2, the rest the workshop's default of 6;
- bids on 1 % of all pairs (mostly on papers of the reviewer's topics), eager, willing, in a pinch and not
  willing in about the proportions 25/40/20/15 %.

Together the authors' institutions and domains and the declared conflicts put about 0.5 % of the pairs in
conflict. Then a fresh child process (so that its peak memory is the run's own) runs what the chair's button
and "Apply" run: ``assignments.propose_assignment`` (reading the data, affinity, solving, saving the proposal)
and ``assignments.apply_proposal`` (the assignments, the scores and a mail to each reviewer in the outbox),
committed.

- ``assign_neurips_s``: the wall time of both, from the call until the commit returns (the median of three
  runs, each in a fresh process on a fresh copy of the database);
- ``assign_neurips_peak_mb``: the child's peak resident memory (imports and app included) plus that of the
  helper process it starts for the TF-IDF (a sum of two peaks: an upper bound of what both held at once).
  Both are read from /proc (``VmHWM``), not from ``getrusage``: Linux keeps a process's ``ru_maxrss`` across
  ``exec``, so a child started by this 1.2 GB generating process reported at least 1.2 GB whatever it used.

``--compare-exact`` runs the timed part once more the way mid-size workshops are assigned, each paper's 50
best chosen by every pair's exact affinity (about twice as slow), and prints both assignments' total affinity:
what the conference-size choice (16 candidates, chosen approximately) costs in quality.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from bench.common import Figure, at_most

ROOT = Path(__file__).resolve().parent.parent
PAPERS, REVIEWERS = 21_575, 20_518
GOAL_S, GOAL_MB = 10, 2000
FAIR_GOAL_S = 20  # the fairness mode at that size
MIN_LOAD = 1  # every run gives each reviewer at least one paper where it can
RUNS = 3  # the timed part, each on a fresh copy of the database; the figure is their median
TOPICS = 20
REVIEWS_PER_PAPER, LOAD, CAPPED_LOAD, CAPPED_SHARE = 3, 6, 2, 0.10
BID_SHARE = 0.01
BID_VALUES = ["eager", "willing", "in_a_pinch", "not_willing"]
# Bids on a paper of one's topics lean eager, the others reluctant: together about 25/40/20/15 %.
ON_TOPIC_SHARE, ON_TOPIC_ODDS, OFF_TOPIC_ODDS = 0.7, [0.35, 0.45, 0.15, 0.05], [0.05, 0.25, 0.30, 0.40]
INSTITUTIONS, WEBMAIL_SHARE, AUTHOR_REVIEWER_SHARE, SAME_LAB_SHARE = 2000, 0.2, 0.2, 0.5
EXTRA_TOPICS = [
    "Reinforcement learning",
    "Optimization",
    "Probabilistic methods",
    "Theory",
    "Computer vision",
    "Speech and audio",
    "Graph learning",
    "Fairness and privacy",
    "Robotics",
    "Neuroscience",
    "Causality",
    "Datasets and benchmarks",
    "Applications",
]

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


# --- synthetic text -----------------------------------------------------------------------------------


class Corpus:
    """The word list plus made-up words (a realistic long tail), Zipf-distributed; each topic favours 150
    words of its own, which make 60 % of a text on that topic."""

    def __init__(self, rng: np.random.Generator, topics: int = TOPICS, size: int = 4000) -> None:
        syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pa", "de", "qu", "zen", "bri", "tor", "ex"]
        words = list(dict.fromkeys(WORDS))
        seen = set(words)
        while len(words) < size:
            word = "".join(rng.choice(syllables, size=rng.integers(2, 5)))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.rng, self.words = rng, words
        zipf = 1 / np.arange(1, len(words) + 1)
        self.general = zipf / zipf.sum()
        self.topic_words = np.stack([rng.choice(len(words), size=150, replace=False, p=self.general) for _ in range(topics)])

    def texts(self, topics: list[list[int]], length: int) -> list[str]:
        """One text of ``length`` words for each list of topics (its own words first, then general ones)."""
        rng, n = self.rng, len(topics)
        own = int(length * 0.6)
        count = np.fromiter(map(len, topics), dtype=np.int64, count=n)
        flat = np.fromiter((t for ts in topics for t in ts), dtype=np.int64, count=int(count.sum()))
        first = np.cumsum(count) - count
        doc = np.repeat(np.arange(n), own)
        topic = flat[first[doc] + (rng.random(n * own) * count[doc]).astype(np.int64)]
        picks = np.empty((n, length), dtype=np.int64)
        picks[:, :own] = self.topic_words[topic, rng.integers(0, 150, n * own)].reshape(n, own)
        picks[:, own:] = rng.choice(len(self.words), size=(n, length - own), p=self.general)
        vocab = self.words
        return [" ".join(map(vocab.__getitem__, row)) for row in picks.tolist()]


def skewed_topics(rng: np.random.Generator, n: int, low: int, high: int, topics: int = TOPICS) -> list[list[int]]:
    """For each of ``n``, ``low`` to ``high`` distinct topics (0-based), the first the primary; skewed so that
    topic 0 holds about a quarter of them."""
    odds = 1 / np.arange(1, topics + 1) ** 1.2
    odds /= odds.sum()
    sizes = rng.integers(low, high + 1, n)
    # Gumbel top-k: a weighted sample without replacement for every row at once.
    keys = np.log(odds)[None, :] - np.log(-np.log(rng.random((n, topics))))
    order = np.argsort(-keys, axis=1)
    return [row[:k] for row, k in zip(order.tolist(), sizes.tolist(), strict=True)]


# --- the database -------------------------------------------------------------------------------------


def fill(app: Any, papers: int, reviewers: int, seed: int = 8) -> dict[str, int]:
    """The workshop, a chair, the reviewers, the submissions, their bids and conflicts; returns the counts."""
    from portal.db import db
    from portal.models import (
        Bid,
        ConflictKind,
        ConflictOverride,
        Submission,
        SubmissionAuthor,
        SubmissionConflict,
        SubmissionType,
        Topic,
        User,
        UserConflict,
        UserPaper,
    )
    from portal.models.submission import submission_topic
    from portal.models.user import user_topic
    from portal.services.content import load_content, read_content_file

    rng = np.random.default_rng(seed)
    corpus = Corpus(rng)
    now = datetime.now(UTC)
    with app.app_context():
        ws, _ = load_content(read_content_file(app.config["CONTENT_FILE"]))
        ws.review_deadline = now + timedelta(days=30)
        ws.reviews_per_paper, ws.default_max_load = REVIEWS_PER_PAPER, LOAD
        db.session.add(
            User(email="chair@example.org", name="Carla Chair", password_hash="", email_confirmed_at=now, is_chair=True)
        )
        first_position = len(ws.topics)
        for i, title in enumerate(EXTRA_TOPICS[: TOPICS - first_position]):
            db.session.add(Topic(workshop_id=ws.id, slug=f"extra-{i}", position=first_position + i, title=title))
        db.session.flush()
        topic_ids = list(db.session.scalars(sa.select(Topic.id).order_by(Topic.position)))
        type_id = db.session.scalar(sa.select(SubmissionType.id))

        # Institutions of skewed size; a person's address is at its domain, a department's subdomain or webmail.
        inst_odds = 1 / (np.arange(INSTITUTIONS) + 15.0) ** 0.9
        inst_odds /= inst_odds.sum()

        def people(n: int, prefix: str, lab: np.ndarray | None = None) -> tuple[np.ndarray, list[str], list[str]]:
            """Addresses and affiliations; with ``lab`` (the index of each one's first author), half the
            co-authors are at their first author's institution."""
            inst = rng.choice(INSTITUTIONS, size=n, p=inst_odds)
            if lab is not None:
                same = rng.random(n) < SAME_LAB_SHARE
                inst[same] = inst[lab[same]]
            kind = rng.random(n)
            emails, affiliations = [], []
            for i, (k, x) in enumerate(zip(kind.tolist(), inst.tolist(), strict=True)):
                domain = f"u{x}.ac.uk" if x % 10 == 3 else f"u{x}.edu"
                host = "gmail.com" if k < WEBMAIL_SHARE else (f"cs.{domain}" if k < 0.5 else domain)
                emails.append(f"{prefix}{i}@{host}")
                affiliations.append(f"{'Institute' if x % 7 == 0 else 'University'} {x}")
            return inst, emails, affiliations

        # Reviewers.
        r_topics = skewed_topics(rng, reviewers, 2, 5)
        _, r_emails, r_affiliations = people(reviewers, "r")
        statements = corpus.texts(r_topics, 40)
        capped = rng.random(reviewers) < CAPPED_SHARE
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": r_emails[j],
                    "name": f"Reviewer {j}",
                    "password_hash": "",
                    "email_confirmed_at": now,
                    "is_reviewer": True,
                    "affiliation": r_affiliations[j],
                    "expertise_statement": statements[j],
                    "max_load": CAPPED_LOAD if capped[j] else None,
                }
                for j in range(reviewers)
            ],
        )
        r_ids = np.array(db.session.scalars(sa.select(User.id).where(User.is_reviewer).order_by(User.id)).all())
        own_count = rng.integers(1, 4, reviewers)
        own_owner = np.repeat(np.arange(reviewers), own_count)
        own_topics = [r_topics[j] for j in own_owner.tolist()]
        own_titles, own_abstracts = corpus.texts(own_topics, 10), corpus.texts(own_topics, 80)
        position = np.arange(len(own_owner)) - np.repeat(np.cumsum(own_count) - own_count, own_count)
        _insert(
            db,
            UserPaper,
            [
                {"user_id": int(r_ids[j]), "position": int(p), "title": t.capitalize(), "abstract": a}
                for j, p, t, a in zip(own_owner, position, own_titles, own_abstracts, strict=True)
            ],
        )
        _insert(
            db, user_topic, [{"user_id": int(r_ids[j]), "topic_id": topic_ids[t]} for j, ts in enumerate(r_topics) for t in ts]
        )

        # Submissions and their authors.
        p_topics = skewed_topics(rng, papers, 1, 3)
        titles, abstracts = corpus.texts(p_topics, 10), corpus.texts(p_topics, 150)
        keywords = [
            ", ".join(corpus.words[w] for w in corpus.topic_words[ts[0], rng.integers(0, 150, 4)].tolist()) for ts in p_topics
        ]
        n_authors = rng.choice(np.arange(1, 7), size=papers, p=[0.08, 0.17, 0.25, 0.25, 0.15, 0.10])
        owner = np.repeat(np.arange(papers), n_authors)
        _, a_emails, a_affiliations = people(len(owner), "a", lab=(np.cumsum(n_authors) - n_authors)[owner])
        a_position = np.arange(len(owner)) - np.repeat(np.cumsum(n_authors) - n_authors, n_authors)
        # A fifth of the papers have a reviewer among their authors (the last author, with the reviewer's
        # address and affiliation).
        last = np.cumsum(n_authors) - 1
        with_reviewer = np.flatnonzero(rng.random(papers) < AUTHOR_REVIEWER_SHARE)
        who = rng.integers(0, reviewers, len(with_reviewer))
        for i, j in zip(last[with_reviewer].tolist(), who.tolist(), strict=True):
            a_emails[i], a_affiliations[i] = r_emails[j], r_affiliations[j]
        # A tenth of the papers declare conflicts with one to three reviewers (by address).
        declared = [""] * papers
        for i in np.flatnonzero(rng.random(papers) < 0.1).tolist():
            declared[i] = "\n".join(r_emails[j] for j in rng.integers(0, reviewers, rng.integers(1, 4)).tolist())
        _insert(
            db,
            Submission,
            [
                {
                    "id": i + 1,
                    "workshop_id": ws.id,
                    "type_id": type_id,
                    "primary_topic_id": topic_ids[p_topics[i][0]],
                    "title": titles[i].capitalize(),
                    "abstract": abstracts[i],
                    "keywords": keywords[i],
                    "state": "submitted",
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "version": 1,
                    "decision_note": "",
                }
                for i in range(papers)
            ],
        )
        # (the authors' declared conflicts are rows, by address, as the submission form stores them)
        _insert(
            db,
            SubmissionConflict,
            [
                {"submission_id": i + 1, "email": e, "reason": "other", "created_at": now}
                for i, text in enumerate(declared)
                for e in dict.fromkeys(text.splitlines())
            ],
        )
        _insert(
            db,
            submission_topic,
            [{"submission_id": i + 1, "topic_id": topic_ids[t]} for i, ts in enumerate(p_topics) for t in ts[1:]],
        )
        _insert(
            db,
            SubmissionAuthor,
            [
                {
                    "submission_id": int(owner[i]) + 1,
                    "position": int(a_position[i]),
                    "name": f"Author {i}",
                    "email": a_emails[i],
                    "affiliation": a_affiliations[i],
                }
                for i in range(len(owner))
            ],
        )

        # Conflicts the reviewers declare (5 %: a person, a domain or an institution) and the chairs add.
        mine = np.flatnonzero(rng.random(reviewers) < 0.05)
        rows = []
        for j, k in zip(mine.tolist(), rng.integers(0, 3, len(mine)).tolist(), strict=True):
            x = int(rng.integers(0, INSTITUTIONS))
            kind, value = [
                (ConflictKind.PERSON, a_emails[int(rng.integers(0, len(a_emails)))]),
                (ConflictKind.DOMAIN, f"u{x}.edu"),
                (ConflictKind.INSTITUTION, f"University {x}"),
            ][k]
            rows.append({"user_id": int(r_ids[j]), "kind": kind, "value": value})
        _insert(db, UserConflict, rows)
        _insert(
            db,
            ConflictOverride,
            [
                {
                    "submission_id": int(rng.integers(1, papers + 1)),
                    "reviewer_id": int(r_ids[rng.integers(0, reviewers)]),
                    "conflicted": c,
                    "note": "",
                }
                for c in [True] * 200 + [False] * 50
            ],
        )

        # Bids on 1 % of the pairs: mostly papers of one of the reviewer's topics (by primary topic).
        wanted = round(BID_SHARE * papers * reviewers)
        n = int(wanted * 1.05)
        by_topic = np.argsort([ts[0] for ts in p_topics], kind="stable")
        topic_start = np.searchsorted(np.sort([ts[0] for ts in p_topics]), np.arange(TOPICS + 1))
        bidder = rng.integers(0, reviewers, n)
        on_topic = rng.random(n) < ON_TOPIC_SHARE
        r_count = np.array([len(ts) for ts in r_topics])
        r_flat = np.array([t for ts in r_topics for t in ts])
        r_first = np.cumsum(r_count) - r_count
        topic = r_flat[r_first[bidder] + (rng.random(n) * r_count[bidder]).astype(np.int64)]
        size = topic_start[topic + 1] - topic_start[topic]
        paper = np.where(
            on_topic & (size > 0),
            by_topic[topic_start[topic] + (rng.random(n) * np.maximum(size, 1)).astype(np.int64)],
            rng.integers(0, papers, n),
        )
        value = np.where(on_topic, rng.choice(4, size=n, p=ON_TOPIC_ODDS), rng.choice(4, size=n, p=OFF_TOPIC_ODDS))
        _, first = np.unique(paper * reviewers + bidder, return_index=True)
        keep = np.sort(rng.permutation(first)[:wanted])  # in (paper, reviewer) order: the indexes fill in order
        keep = keep[np.lexsort((bidder[keep], paper[keep]))]
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy writes a UTC time to SQLite
        connection = db.session.connection().connection.dbapi_connection
        connection.execute("PRAGMA cache_size = -400000")  # 400 MB for the three indexes of the bid table
        connection.executemany(
            "INSERT INTO bid (submission_id, reviewer_id, value, updated_at) VALUES (?, ?, ?, ?)",
            zip(
                (paper[keep] + 1).tolist(),
                r_ids[bidder[keep]].tolist(),
                (BID_VALUES[v] for v in value[keep].tolist()),
                [stamp] * len(keep),
                strict=True,
            ),
        )
        db.session.commit()
        counts = {
            "papers": papers,
            "reviewers": reviewers,
            "authors": len(owner),
            "bids": len(keep),
            "bid_rows": db.session.scalar(sa.select(sa.func.count()).select_from(Bid)),
        }
    return counts


def _insert(db: Any, target: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 5000):
        db.session.execute(sa.insert(target), rows[i : i + 5000])


def conflicts(app: Any) -> int:
    """How many pairs conflict, by the product's rules (read as the proposal reads them)."""
    from portal.models import Submission, User
    from portal.queries.conflicts import conflicted_pairs, gather

    with app.app_context():
        facts = gather(sa.select(Submission.id), sa.select(User.id).where(User.is_reviewer))
        return len(conflicted_pairs(facts).paper)


# --- the run ------------------------------------------------------------------------------------------


def child(uri: str, *, exact: bool = False, fair: bool = False, min_load: int = MIN_LOAD) -> dict[str, Any]:
    """In a fresh process: propose, apply, commit; the wall time of each step and the peak memory. ``exact``:
    the candidates chosen by every pair's exact affinity, however large the conference; ``fair``: the fairness
    mode; ``min_load``: the workshop's default minimum load (set before the clock starts)."""
    from portal import create_app
    from portal.assign import affinity
    from portal.db import db
    from portal.models import User
    from portal.queries import current_workshop
    from portal.services import assignments

    if exact:
        affinity.APPROXIMATE_PAIRS = sys.maxsize
    # The TF-IDF helper's peak, read just before it is stopped (once it has exited /proc forgets it).
    helpers: list[int] = []
    close = affinity.TextVectors.close

    def close_and_measure(vectors: affinity.TextVectors) -> None:
        if vectors._child is not None:  # (measuring, not using, its process)
            helpers.append(_peak_kb(str(vectors._child.pid)))
        close(vectors)

    affinity.TextVectors.close = close_and_measure  # type: ignore[method-assign]
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_STORAGE_URI": "memory://"}
    )
    with app.app_context():
        ws = current_workshop()
        ws.default_min_load = min_load
        db.session.commit()
        chair = db.session.scalar(sa.select(User).where(User.is_chair))
        marks: list[tuple[str, float]] = []
        start = time.perf_counter()
        proposal = assignments.propose_assignment(chair, ws, fair=fair, on_phase=lambda p: marks.append((p, time.perf_counter())))
        marks.append(("Applying the proposal", time.perf_counter()))
        applied = assignments.apply_proposal(chair, ws, proposal)
        db.session.commit()
        end = time.perf_counter()
        result = proposal.result
    steps = {name: round(b - a, 3) for (name, a), (_, b) in zip(marks, [*marks[1:], ("end", end)], strict=True)}
    return {
        "seconds": end - start,
        "steps": steps,
        "peak_mb": (_peak_kb("self") + max(helpers, default=0)) / 1024,
        "pairs": len(result["pairs"]),
        "applied": applied,
        "candidates": result["candidates"],
        "top_k": result["top_k"],
        "approximate": result.get("approximate", False),
        "missing": sum(result["shortfall"].values()),
        "not_willing": len(result["not_willing"]),
        "total_affinity": result["total_affinity"],
        "solver_s": result["seconds"],
        "worst_paper": result["worst_paper"],
        "below_minimum": len(result["below_minimum"]),
        "alternative": result["alternative"],
    }


def measure(path: Path, papers: int, reviewers: int, runs: int, compare_exact: bool = False) -> dict[str, Figure]:
    import flask_migrate

    from portal import create_app
    from portal.db import db

    uri = f"sqlite:///{path}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_STORAGE_URI": "memory://"}
    )
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()
    counts = fill(app, papers, reviewers)
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
        db.engine.dispose()
    conflicted = conflicts(app)
    print(
        f"   generated {counts['papers']:,} papers, {counts['reviewers']:,} reviewers, {counts['authors']:,} authors, "
        f"{counts['bid_rows']:,} bids ({counts['bid_rows'] / papers / reviewers:.2%} of the pairs), {conflicted:,} "
        f"conflicted pairs ({conflicted / papers / reviewers:.2%}) in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    pristine = path.with_suffix(".pristine")
    shutil.copyfile(path, pristine)
    results = []
    for run in range(runs):
        if run:
            shutil.copyfile(pristine, path)
        r = _run_child(uri)
        results.append(r)
        steps = ", ".join(f"{_short(k)} {v:.2f}" for k, v in r["steps"].items())
        choice = f"the {r['top_k']} best a paper" + (", chosen approximately" if r["approximate"] else "")
        print(
            f"   run {run + 1}: {r['seconds']:.2f} s ({steps}), peak {r['peak_mb']:.0f} MB; {r['candidates']:,} candidate "
            f"pairs ({choice}), {r['pairs']:,} assigned, {r['missing']} missing, {r['not_willing']} not willing, "
            f"total affinity {r['total_affinity']:,.2f}, worst-served paper {r['worst_paper']}, {r['below_minimum']} "
            f"below their minimum of {MIN_LOAD}",
            flush=True,
        )
    shutil.copyfile(pristine, path)
    fair = _run_child(uri, "--fair")
    steps = ", ".join(f"{_short(k)} {v:.2f}" for k, v in fair["steps"].items())
    print(
        f"   fairest: {fair['seconds']:.2f} s ({steps}), peak {fair['peak_mb']:.0f} MB; worst-served paper "
        f"{fair['worst_paper']} (best total's {fair['alternative'].get('worst_paper')}), total affinity "
        f"{fair['total_affinity']:,.2f} (best total's {fair['alternative'].get('total_affinity')}), "
        f"{fair['below_minimum']} below their minimum",
        flush=True,
    )
    if compare_exact:
        shutil.copyfile(pristine, path)
        r = _run_child(uri, "--exact")
        approximate = statistics.median(x["total_affinity"] for x in results)
        print(
            f"   with each paper's 50 best chosen exactly: {r['seconds']:.2f} s, total affinity {r['total_affinity']:,.2f}; "
            f"the approximate choice's is {approximate / r['total_affinity'] - 1:+.4%}",
            flush=True,
        )
    seconds = statistics.median(r["seconds"] for r in results)
    peak = max(r["peak_mb"] for r in results)
    where = f"{papers:,} papers x {reviewers:,} reviewers, {counts['bid_rows']:,} bids, {conflicted:,} conflicts, SQLite"
    steps = min(results, key=lambda r: abs(r["seconds"] - seconds))["steps"]  # the median run's
    breakdown = ", ".join(f"{_short(k)} {v:.1f}" for k, v in steps.items())
    return {
        "assign_neurips_s": at_most(
            seconds, "s", GOAL_S, f"propose + apply + commit, minimum load {MIN_LOAD}, {where} ({breakdown} s)"
        ),
        "assign_neurips_peak_mb": at_most(peak, "MB", GOAL_MB, "peak RSS of the process that ran it plus its TF-IDF helper's"),
        "assign_fair_neurips_s": at_most(
            fair["seconds"],
            "s",
            FAIR_GOAL_S,
            f"the same in the fairness mode, minimum load {MIN_LOAD}: worst-served paper {fair['worst_paper']} "
            f"(best total's {fair['alternative'].get('worst_paper')})",
        ),
        "assign_fair_neurips_peak_mb": at_most(fair["peak_mb"], "MB", GOAL_MB, "its peak RSS, as above"),
    }


def _peak_kb(pid: str) -> int:
    """The peak resident memory of a live process of this machine (``VmHWM``), in kB; 0 if it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def _run_child(uri: str, *flags: str) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.bench_assign", "--child", uri, *flags],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _short(phase: str) -> str:
    for word, name in (
        ("Reading", "load"),
        ("Scoring", "affinity"),
        ("Solving", "solve"),
        ("Saving", "save"),
        ("Applying", "apply"),
    ):
        if phase.startswith(word):
            return name
    return phase


def run(args: Any) -> dict[str, Figure]:
    papers = getattr(args, "papers", None) or PAPERS
    reviewers = getattr(args, "reviewers", None) or REVIEWERS
    runs = getattr(args, "runs", None) or RUNS
    keep = getattr(args, "keep", None)
    if keep:
        return measure(Path(keep) / "assign.db", papers, reviewers, runs, getattr(args, "compare_exact", False))
    with tempfile.TemporaryDirectory() as tmp:
        return measure(Path(tmp) / "assign.db", papers, reviewers, runs, getattr(args, "compare_exact", False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=PAPERS)
    parser.add_argument("--reviewers", type=int, default=REVIEWERS)
    parser.add_argument("--runs", type=int, default=RUNS, help="run the timed part this many times (median)")
    parser.add_argument("--keep", help="build the database in this directory and keep it")
    parser.add_argument(
        "--compare-exact", action="store_true", help="also run with the candidates chosen exactly and compare the total affinity"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fair", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, exact=args.exact, fair=args.fair)))
        return
    for name, figure in run(args).items():
        verdict = "ok" if figure.ok else "MISSED"
        print(f"{name:<24} {figure.value:>10.2f} {figure.unit:<3} goal ≤ {figure.goal:<6g} {verdict:<6}  {figure.note}")


if __name__ == "__main__":
    main()
