"""The large demo: ``flask --app portal demo --papers N --reviewers M`` builds a workshop of that size.

The demo accounts come from the small demo (``load_demo`` without its twelve papers); everything else is made up
from a seeded RNG (the same size gives the same workshop) and written with Core bulk inserts, so 2,000 papers
take seconds, not minutes. Titles and abstracts combine a vocabulary per CFP topic; reviews draw their scores
around a per-paper quality with reviewer noise and compose their texts from phrase banks.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.db import db, quarter_of
from portal.demo import AUTHORS, DEMO_FIELD, REPRODUCIBILITY, RESPONSES, REVIEWERS, SHIFT, demo_pdf, load_demo
from portal.models import (
    AreaChairAssignment,
    AuthorResponse,
    Bid,
    MetaReview,
    Review,
    ReviewAssignment,
    Revision,
    StoredFile,
    Submission,
    SubmissionAuthor,
    Topic,
    User,
    UserEmail,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.storage import storage

MAX_SIZE = 25_000
REVIEWS_PER_PAPER = 3

#: Per topic slug: (subjects, methods, settings) that titles and abstracts combine.
VOCABULARY: dict[str, tuple[list[str], list[str], list[str]]] = {
    "efficient-training": (
        ["sparse attention", "gradient checkpointing", "sequence parallelism", "curriculum over lengths"],
        ["block-sparse kernels", "progressive length scheduling", "low-rank adapters", "mixed-precision packing"],
        ["128k-token pre-training", "continued pre-training", "long-document fine-tuning", "a fixed GPU budget"],
    ),
    "augmentation": (
        ["retrieval augmentation", "external memory", "memory tokens", "tool-augmented reading"],
        ["dense retrievers", "learned memory writes", "recurrent summaries", "chunk re-ranking"],
        ["multi-hop question answering", "thousand-turn dialogue", "book-length QA", "code repositories"],
    ),
    "resources-evaluation": (
        ["long-context benchmarks", "needle-in-a-haystack tests", "evaluation protocols", "synthetic long tasks"],
        ["controlled distractors", "human-verified annotations", "length-stratified scoring", "contamination checks"],
        ["legal contracts", "patient histories", "scientific papers", "meeting transcripts"],
    ),
    "architecture": (
        ["linear recurrences", "state-space layers", "hybrid attention", "hierarchical transformers"],
        ["gated linear units", "selective scans", "chunked cross-attention", "ring attention"],
        ["million-token contexts", "streaming inputs", "long-range arena", "genomic sequences"],
    ),
    "hardware": (
        ["key-value caches", "attention kernels", "memory bandwidth", "inference serving"],
        ["paged caches", "cache quantization", "speculative decoding", "kernel fusion"],
        ["commodity GPUs", "edge accelerators", "multi-node inference", "batched serving"],
    ),
    "embeddings": (
        ["rotary embeddings", "position interpolation", "relative position bias", "length extrapolation"],
        ["frequency rescaling", "NTK-aware scaling", "learned position offsets", "attention temperature"],
        ["context extension", "zero-shot length transfer", "short-to-long fine-tuning", "variable-length batches"],
    ),
    "others": (
        ["fairness of long summaries", "privacy in long records", "interpretability of long attention", "energy use"],
        ["audits", "probing classifiers", "attribution maps", "carbon accounting"],
        ["clinical records", "legal discovery", "education", "public-sector documents"],
    ),
}
TITLES = [
    "{Subject} with {method} for {setting}",
    "Scaling {subject} to {setting}",
    "{Method} makes {subject} practical",
    "Revisiting {subject}: lessons from {setting}",
    "When does {method} help {subject}?",
    "A study of {subject} on {setting}",
    "{Subject} without fine-tuning via {method}",
    "Towards robust {subject} for {setting}",
]
ABSTRACT = [
    "{Subject} is central to long-context language models, yet it remains costly on {setting}.",
    "We propose {method}, a simple approach to {subject}.",
    "{Method} keeps {subject} within a fixed memory budget and needs no change to the base model.",
    "Experiments on {setting} show consistent gains over strong baselines at {n}k tokens.",
    "An ablation isolates the role of {method}, and we release code and data.",
    "We also find that {other} interacts with {subject} in ways prior work overlooked.",
]
FIRST = [
    "Ada",
    "Ben",
    "Chiara",
    "Dev",
    "Elena",
    "Femi",
    "Goran",
    "Hiro",
    "Ilse",
    "Jun",
    "Karim",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Ravi",
    "Sofia",
    "Tomas",
    "Yara",
]
LAST = [
    "Abe",
    "Bauer",
    "Costa",
    "Dias",
    "Eriksen",
    "Fontaine",
    "Garcia",
    "Horvat",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okoye",
    "Patel",
]
AFFILIATIONS = sorted({a for _, a in REVIEWERS + AUTHORS})

SUMMARY = [
    "The paper studies {subject} and proposes {method}.",
    "This submission addresses {subject} on {setting}.",
    "The authors present {method} as a way to make {subject} cheaper.",
]
STRENGTHS = [
    "The motivation is clear.",
    "The method is simple and easy to reproduce.",
    "Experiments cover several context lengths.",
    "The ablations are thorough.",
    "The writing is careful and the related work complete.",
    "The released benchmark will be useful to others.",
]
WEAKNESSES = [
    "The baselines are not tuned equally.",
    "Memory cost at the longest lengths is not reported.",
    "The evaluation relies on synthetic tasks only.",
    "Variance over seeds is missing.",
    "The gains are small compared to the added complexity.",
    "The claims about {setting} go beyond what the experiments show.",
]
COMMENTS = [
    "Please report wall-clock time as well as FLOPs.",
    "An ablation of {method} alone would strengthen the paper.",
    "Consider comparing with retrieval at equal compute.",
    "The figures are hard to read in grayscale.",
    "Please release the evaluation scripts.",
]


def _words(rng: random.Random, slug: str) -> dict[str, str]:
    subjects, methods, settings = VOCABULARY.get(slug, VOCABULARY["others"])
    subject, method, setting = rng.choice(subjects), rng.choice(methods), rng.choice(settings)
    other = rng.choice([s for s in subjects if s != subject])
    return {
        "subject": subject,
        "Subject": subject[0].upper() + subject[1:],
        "method": method,
        "Method": method[0].upper() + method[1:],
        "setting": setting,
        "other": other,
        "n": str(rng.choice([32, 64, 128, 256, 512])),
    }


def _review_text(rng: random.Random, words: dict[str, str], score: int) -> dict[str, str]:
    strengths = rng.sample(STRENGTHS, 3 if score >= 4 else 1 + rng.randint(0, 1))
    weaknesses = rng.sample(WEAKNESSES, 1 if score >= 4 else 2 + rng.randint(0, 1))
    return {
        "summary": rng.choice(SUMMARY).format(**words),
        "strengths": " ".join(strengths).format(**words),
        "weaknesses": " ".join(weaknesses).format(**words),
        "comments_to_authors": " ".join(rng.sample(COMMENTS, 2)).format(**words),
        "confidential_comments": "",
    }


def _insert(model: object, rows: list[dict[str, object]]) -> None:
    for i in range(0, len(rows), 5000):
        db.session.execute(sa.insert(model), rows[i : i + 5000])  # type: ignore[arg-type]


def _next_id(model: type[db.Model]) -> int:  # type: ignore[name-defined]
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def load_large_demo(
    content_file: str, now: datetime, *, password_hash_method: str, phase: str, papers: int, reviewers: int
) -> Workshop:
    """The demo workshop at ``phase`` with ``papers`` submissions and ``reviewers`` program-committee members (at
    least the chair and the twelve demo reviewers). Flushes; the caller commits."""
    rng = random.Random(f"demo-{papers}-{reviewers}")  # noqa: S311 - made-up demo data, no secret  # nosec B311
    workshop = load_demo(content_file, now, password_hash_method=password_hash_method, phase=phase, submissions=False)
    shift = timedelta(days=SHIFT.get(phase, 0))
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.workshop_id == workshop.id).order_by(Topic.position)))
    weights = [0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05][: len(topics)] + [0.05] * max(0, len(topics) - 7)
    password_hash = db.session.scalar(sa.select(User.password_hash).where(User.email == "chair@example.org"))

    # The program committee: the demo's reviewers (chair included), then made-up people up to ``reviewers``.
    extra = max(0, reviewers - 1 - len(REVIEWERS))
    people = [
        {
            "email": f"pc{i}@example.org",
            "name": f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}",
            "affiliation": AFFILIATIONS[i % len(AFFILIATIONS)],
            "password_hash": password_hash,
            "email_confirmed_at": now + shift,
            "is_reviewer": True,
            "is_demo": True,
            "expertise_statement": "",
        }
        for i in range(1, extra + 1)
    ]
    _insert(User, people)
    pc = db.session.execute(sa.select(User.id, User.email).where(User.is_reviewer).order_by(User.id)).all()
    _insert(
        UserEmail, [{"user_id": uid, "email": email, "confirmed_at": now + shift} for uid, email in pc[-extra:]] if extra else []
    )
    known = {uid for (uid,) in db.session.execute(sa.select(user_topic.c.user_id))}
    pc_topics: dict[int, set[int]] = {
        uid: {t for (u, t) in db.session.execute(sa.select(user_topic)) if u == uid} for uid, _ in pc if uid in known
    }
    new_topics = []
    for uid, _ in pc:
        if uid not in pc_topics:
            pc_topics[uid] = {t.id for t in rng.choices(topics, weights, k=rng.randint(1, 3))}
            new_topics += [{"user_id": uid, "topic_id": t} for t in pc_topics[uid]]
    _insert(user_topic, new_topics)
    by_topic = {t.id: [uid for uid, _ in pc if t.id in pc_topics[uid]] for t in topics}

    # The submissions, their authors, topics, and one shared stored PDF (every paper downloads a real file).
    pdf = demo_pdf("A long-context demo paper", "An anonymous demo paper of the large demo workshop.", pages=2)
    saved = storage().save(pdf)
    db.session.execute(
        sa.insert(StoredFile),
        [
            {
                "storage_key": saved.key,
                "sha256": saved.sha256,
                "size": saved.size,
                "content_type": "application/pdf",
                "original_name": "paper.pdf",
                "created_at": now + shift,
            }
        ],
    )
    file_id = db.session.scalar(sa.select(StoredFile.id).where(StoredFile.storage_key == saved.key))
    type_id = workshop.submission_types[0].id
    authors_by_email = {
        e: (uid, n, a) for uid, e, n, a in db.session.execute(sa.select(User.id, User.email, User.name, User.affiliation))
    }
    first_sub = _next_id(Submission)
    subs, authors, sec, revisions, words_of = [], [], [], [], {}
    for n in range(papers):
        sid = first_sub + n
        primary = rng.choices(topics, weights)[0]
        words = _words(rng, primary.slug)
        words_of[sid] = (primary.id, words)
        created = now + shift - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 1439))
        title = rng.choice(TITLES).format(**words)
        abstract = " ".join(s.format(**words) for s in ABSTRACT[:3] + rng.sample(ABSTRACT[3:], 2))
        # author1 writes the first three papers; the other demo authors one or two of the next ones.
        if n < 3:
            demo = ["author1@example.org"]
        elif n < 3 + 2 * (len(AUTHORS) - 1):
            demo = [f"author{2 + (n - 3) % (len(AUTHORS) - 1)}@example.org"]
        else:
            demo = []
        team = [authors_by_email[e] for e in demo]
        team += [(None, f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(AFFILIATIONS)) for _ in range(rng.randint(1, 4))]
        for pos, (uid, name, affiliation) in enumerate(team):
            email = next((e for e, v in authors_by_email.items() if v[0] == uid), None) if uid else None
            authors.append(
                {
                    "submission_id": sid,
                    "position": pos,
                    "name": name,
                    "affiliation": affiliation,
                    "user_id": uid,
                    "email": email or f"{name.lower().replace(' ', '.')}.{sid}-{pos}@example.edu",
                }
            )
        subs.append(
            {
                "id": sid,
                "workshop_id": workshop.id,
                "submitter_id": team[0][0],
                "type_id": type_id,
                "primary_topic_id": primary.id,
                "title": title,
                "abstract": abstract,
                "keywords": f"{words['subject']}, {words['method']}",
                "state": "submitted",
                "decision_note": "",
                "created_at": created,
                "updated_at": created,
                "submitted_at": created,
                "version": 1,
            }
        )
        for t in {t.id for t in rng.sample(topics, rng.randint(0, 2))} - {primary.id}:
            sec.append({"submission_id": sid, "topic_id": t})
        revisions.append(
            {
                "submission_id": sid,
                "kind": "paper",
                "file_id": file_id,
                "reviewer_file_id": file_id,
                "uploaded_by_id": team[0][0],
                "created_at": created,
                "pages": 2,
                "page_size": "A4",
                "check_report": {},
            }
        )
    _insert(Submission, subs)
    _insert(SubmissionAuthor, authors)
    _insert(submission_topic, sec)
    _insert(Revision, revisions)
    if phase != "submission":
        _review(workshop, now, phase, rng, pc, by_topic, words_of)
        _area_chairs(workshop, now, phase, rng, password_hash, papers)
    if db.engine.dialect.name == "postgresql":
        for table in ("submission", "review_assignment"):
            # The names are the two literals above, never input.
            db.session.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))  # noqa: S608  # nosec B608
    db.session.flush()
    return workshop


#: Days before now the reviews began, by phase; and (response opens, response deadline) in days from now.
REVIEWS_BEGAN = {"reviewing": 10, "response": 14, "meta-review": 20, "decisions": 24}
RESPONSE_WINDOW = {"response": (-1, 3), "meta-review": (-7, -3), "decisions": (-11, -7)}
#: Papers per area chair in the large demo (the four demo area chairs and as many more as that takes).
PAPERS_PER_AREA_CHAIR = 40


def _area_chairs(workshop, now, phase, rng, password_hash, papers) -> None:  # type: ignore[no-untyped-def]
    """Area chairs (ac1 ... ac4 and ac5 on, one for every 40 papers) over every paper, round the table, never a
    conflicted one; after the reviews, the response window with a response to three papers in five, and the
    meta-reviews (at the meta-review phase seven in ten submitted and one in ten a draft; at the decisions, all)."""
    from portal.queries.conflicts import conflict_map

    count = max(4, -(-papers // PAPERS_PER_AREA_CHAIR))
    extra = [
        {
            "email": f"ac{i}@example.org",
            "name": f"{FIRST[(i * 7) % len(FIRST)]} {LAST[(i * 11) % len(LAST)]}",
            "affiliation": AFFILIATIONS[(i * 5) % len(AFFILIATIONS)],
            "password_hash": password_hash,
            "email_confirmed_at": now - timedelta(days=30),
            "is_area_chair": True,
            "is_demo": True,
            "expertise_statement": "",
        }
        for i in range(5, count + 1)
    ]
    _insert(User, extra)
    people = db.session.execute(sa.select(User.id, User.email).where(User.is_area_chair).order_by(User.id)).all()
    if extra:
        _insert(
            UserEmail, [{"user_id": uid, "email": email, "confirmed_at": now - timedelta(days=30)} for uid, email in people[4:]]
        )
    ids = [uid for uid, _ in people]
    subs = list(db.session.scalars(sa.select(Submission.id).where(Submission.workshop_id == workshop.id).order_by(Submission.id)))
    conflicted = set(conflict_map(subs, ids))
    chair = db.session.scalar(sa.select(User.id).where(User.is_chair))
    rows, k = [], 0
    for sid in subs:
        for step in range(len(ids)):
            uid = ids[(k + step) % len(ids)]
            if (sid, uid) not in conflicted:
                rows.append({"submission_id": sid, "area_chair_id": uid, "created_by_id": chair})
                k += step + 1
                break
    _insert(AreaChairAssignment, rows)
    if phase == "reviewing":
        return
    opens, closes = RESPONSE_WINDOW[phase]
    workshop.response_opens_at, workshop.response_deadline = now + timedelta(days=opens), now + timedelta(days=closes)
    written = now + timedelta(days=opens, hours=6)
    firsts = dict(
        db.session.execute(
            sa.select(SubmissionAuthor.submission_id, SubmissionAuthor.user_id).where(SubmissionAuthor.position == 0)
        ).all()
    )
    _insert(
        AuthorResponse,
        [
            {
                "submission_id": sid,
                "body": rng.choice(RESPONSES),
                "updated_at": written,
                "updated_by_id": firsts.get(sid),
                "version": 1,
            }
            for sid in subs
            if rng.random() < 0.6
        ],
    )
    if phase == "response":
        return
    means = dict(
        db.session.execute(
            sa.select(ReviewAssignment.submission_id, sa.func.avg(Review.recommendation))
            .join(Review)
            .group_by(ReviewAssignment.submission_id)
        ).all()
    )
    metas = []
    for row in rows:
        roll = rng.random()
        if phase == "meta-review" and roll < 0.2:
            continue  # not begun
        mean = float(means.get(row["submission_id"], 3))
        at = now - timedelta(hours=rng.randint(6, 60))
        metas.append(
            {
                "submission_id": row["submission_id"],
                "author_id": row["area_chair_id"],
                "answers": {
                    "recommendation": 2 if mean >= 3 else 1,
                    "metareview": f"The reviewers' mean is {mean:.1f}; "
                    + ("the response answered their main question." if mean >= 3 else "the response does not change their view."),
                },
                "created_at": at,
                "updated_at": at,
                "submitted_at": None if phase == "meta-review" and roll < 0.3 else at,
                "version": 1,
            }
        )
    _insert(MetaReview, metas)


def _review(workshop, now, phase, rng, pc, by_topic, words_of) -> None:  # type: ignore[no-untyped-def]
    """Bids, three assignments per paper (balanced, on the reviewer's topics where possible), reviews."""
    from portal.services.scores import refresh_scores

    complete = phase != "reviewing"
    load = {uid: 0 for uid, _ in pc}
    everyone = [uid for uid, _ in pc]
    bids, assignments, reviews, quality = [], [], [], {}
    first = _next_id(ReviewAssignment)
    # Reviewing: begun 10 days ago. Later: 12 days of reviews, ending before the response opens (as in the small demo).
    review_start = now - timedelta(days=REVIEWS_BEGAN[phase])
    bid_at = now - timedelta(days=1) if phase == "reviewing" else review_start - timedelta(days=1)
    for sid, (topic, words) in words_of.items():
        pool = by_topic.get(topic) or everyone
        candidates = rng.sample(pool, min(len(pool), 12)) + rng.sample(everyone, min(len(everyone), 6))
        chosen: list[int] = []
        for uid in sorted(dict.fromkeys(candidates), key=lambda u: (load[u], rng.random())):
            if len(chosen) == REVIEWS_PER_PAPER:
                break
            chosen.append(uid)
        for uid in dict.fromkeys(candidates[:8]):
            value = "eager" if uid in chosen[:1] else rng.choice(["eager", "willing", "willing", "in_a_pinch", "not_willing"])
            bids.append(
                {
                    "submission_id": sid,
                    "reviewer_id": uid,
                    "value": value,
                    "updated_at": bid_at - timedelta(days=rng.randint(1, 5)),
                }
            )
        quality[sid] = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])
        split = rng.random() < 0.15
        for ordinal, uid in enumerate(chosen, start=1):
            load[uid] += 1
            aid = first + len(assignments)
            assignments.append(
                {
                    "id": aid,
                    "submission_id": sid,
                    "reviewer_id": uid,
                    "ordinal": ordinal,
                    "origin": "automatic",
                    "created_at": review_start - timedelta(days=1),
                }
            )
            roll = rng.random()
            if not complete and roll < 0.35:
                continue  # not started
            score = min(5, max(1, quality[sid] + rng.choice([-1, 0, 0, 0, 1]) + (rng.choice([-2, 2]) if split else 0)))
            at = review_start + timedelta(minutes=rng.randint(0, (12 if complete else 10) * 24 * 60 - 60))
            at = min(at, now - timedelta(minutes=5))
            submitted = complete or roll > 0.5
            reviews.append(
                {
                    "assignment_id": aid,
                    "state": "submitted" if submitted else "draft",
                    "recommendation": score,
                    "confidence": rng.randint(2, 5),
                    **_review_text(rng, words, score),
                    "answers": {DEMO_FIELD: REPRODUCIBILITY[rng.randrange(len(REPRODUCIBILITY))]},
                    "created_at": at,
                    "updated_at": at,
                    "submitted_at": at if submitted else None,
                    "submitted_quarter": quarter_of(at) if submitted else None,
                    "version": 1,
                }
            )
    _insert(Bid, bids)
    _insert(ReviewAssignment, assignments)
    _insert(Review, reviews)
    refresh_scores()
    if phase == "decisions":
        chair = db.session.scalar(sa.select(User.id).where(User.is_chair))
        means = sorted(words_of, key=lambda s: (-quality[s], s))
        third = len(means) // 3
        for rank, sid in enumerate(means):
            if third <= rank < len(means) - third:
                continue
            accepted = rank < third
            db.session.execute(
                sa.update(Submission)
                .where(Submission.id == sid)
                .values(
                    decision="accepted" if accepted else "rejected",
                    presentation=("oral" if rank < max(1, third // 5) else "poster") if accepted else None,
                    decided_at=now - timedelta(hours=1 + rank % 48),
                    decided_by_id=chair,
                )
            )
