"""Time the chair console (home and submissions table) at a given number of submissions, 3 reviews each.

Run alone: .venv/bin/python -m bench.bench_console

Builds a fresh database per size and database (SQLite in a temporary file; a scratch PostgreSQL database),
fills it with bulk inserts (skewed topics, 1 to 4 authors per paper, 3 submitted reviews per paper, a third
decided), signs a chair in through the test client and prints, per page, the median server time of the
requests and the number of SQL statements one request issues.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import Figure, at_most, pg_database

PAGES = [
    ("console home", "/chair/"),
    ("table, by number", "/chair/submissions"),
    ("table, by weighted mean", "/chair/submissions?sort=weighted&dir=desc"),
    ("table, needs attention", "/chair/submissions?attention=1&sort=spread&dir=desc"),
    ("table, search + page 5", "/chair/submissions?q=long&page=5"),
]


def fill(app, size: int, seed: int = 7) -> None:
    from portal.db import db, quarter_of
    from portal.models import (
        Review,
        ReviewAssignment,
        Submission,
        SubmissionAuthor,
        SubmissionType,
        Topic,
        User,
        Workshop,
    )
    from portal.services.content import load_content, read_content_file

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, no secret
    now = datetime.now(UTC)
    with app.app_context():
        ws, _ = load_content(read_content_file(app.config["CONTENT_FILE"]))
        ws.review_deadline = now - timedelta(days=1)
        db.session.flush()
        chair = User(email="chair@example.org", name="Carla Chair", password_hash="", email_confirmed_at=now, is_chair=True)
        db.session.add(chair)
        db.session.flush()
        topics = [t.id for t in db.session.scalars(sa.select(Topic).order_by(Topic.position))]
        weights = [0.35, 0.2, 0.15, 0.1, 0.1, 0.06, 0.04][: len(topics)]
        type_id = db.session.scalar(sa.select(SubmissionType.id))
        reviewers = max(30, size // 2)
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": f"r{i}@example.org",
                    "name": f"Reviewer {i}",
                    "password_hash": "",
                    "is_reviewer": True,
                    "email_confirmed_at": now,
                }
                for i in range(reviewers)
            ],
        )
        first_reviewer = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.is_reviewer))
        words = [
            "long",
            "context",
            "attention",
            "memory",
            "retrieval",
            "sparse",
            "efficient",
            "evaluation",
            "benchmark",
            "cache",
            "window",
        ]
        subs, authors, assignments, reviews = [], [], [], []
        for n in range(1, size + 1):
            decided = n % 3 == 0
            subs.append(
                {
                    "id": n,
                    "workshop_id": ws.id,
                    "type_id": type_id,
                    "primary_topic_id": rng.choices(topics, weights)[0],
                    "title": " ".join(rng.sample(words, 5)).capitalize(),
                    "abstract": " ".join(rng.choices(words, k=80)),
                    "state": "submitted",
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "version": 1,
                    "decision": ("accepted" if n % 2 else "rejected") if decided else None,
                    "decision_note": "",
                }
            )
            for p in range(rng.randint(1, 4)):
                authors.append(
                    {
                        "submission_id": n,
                        "position": p,
                        "name": f"Author {n}-{p}",
                        "email": f"a{n}-{p}@example.edu",
                        "affiliation": "Some University",
                    }
                )
            for ordinal, r in enumerate(rng.sample(range(reviewers), 3), start=1):
                aid = len(assignments) + 1
                assignments.append(
                    {
                        "id": aid,
                        "submission_id": n,
                        "reviewer_id": first_reviewer + r,
                        "ordinal": ordinal,
                        "origin": "automatic",
                        "created_at": now,
                    }
                )
                at = now - timedelta(days=rng.randint(1, 20))
                reviews.append(
                    {
                        "assignment_id": aid,
                        "state": "submitted",
                        "recommendation": rng.randint(1, 5),
                        "confidence": rng.randint(1, 5),
                        "summary": "",
                        "strengths": "",
                        "weaknesses": "",
                        "comments_to_authors": "",
                        "confidential_comments": "",
                        "created_at": at,
                        "updated_at": at,
                        "submitted_at": at,
                        "submitted_quarter": quarter_of(at),
                        "version": 1,
                    }
                )
        for model, rows in ((Submission, subs), (SubmissionAuthor, authors), (ReviewAssignment, assignments), (Review, reviews)):
            for i in range(0, len(rows), 5000):
                db.session.execute(sa.insert(model), rows[i : i + 5000])
        from portal.services.scores import refresh_scores

        refresh_scores()  # the services keep the scores; a bulk load computes them once
        if db.engine.dialect.name == "postgresql":
            for table in ("submission", "review_assignment"):
                # The names are the two literals above, never input.
                db.session.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))  # noqa: S608
        db.session.commit()
        assert db.session.get(Workshop, ws.id) is not None
    # Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) keep them in a
    # running site; without them PostgreSQL guesses one row per table after a bulk load and nests loops.
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()


def measure(app, requests: int) -> list[tuple[str, float, int]]:
    from portal.db import db

    client = app.test_client()
    with app.app_context():
        engine = db.engine
    response = client.post("/bench-login")  # the chair has no password: the script signs them in directly
    results = []
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    for label, url in PAGES:
        client.get(url)  # warm caches (templates, statement cache)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        sa.event.listen(engine, "before_cursor_execute", count)
        statements = 0
        client.get(url)
        sa.event.remove(engine, "before_cursor_execute", count)
        results.append((label, statistics.median(times), statements))
    return results


def scratch_app(size: int, pg: bool, stack: contextlib.ExitStack):
    """A migrated, filled app at ``size`` submissions on SQLite (a temporary file) or PostgreSQL (a scratch
    database dropped when ``stack`` closes), with a route that signs the chair in (the chair has no password)."""
    import flask_migrate
    from flask_login import login_user

    from portal import create_app
    from portal.db import db

    if pg:
        uri = stack.enter_context(pg_database(f"console{size}"))
    else:
        uri = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory())) / 'console.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.session.remove()
    fill(app, size)

    @app.post("/bench-login")
    def bench_login() -> str:
        from portal.models import User

        login_user(db.session.scalar(sa.select(User).where(User.is_chair)))
        return "ok"

    def dispose() -> None:
        with app.app_context():
            db.engine.dispose()  # before the scratch database is dropped

    stack.callback(dispose)
    return app


def run(args: Any = None) -> dict[str, Figure]:
    """The console home and the submissions table (the pages the issue names; the other table views are
    printed too) at 2,000 and 21,575 submissions, SQLite and PostgreSQL."""
    requests = getattr(args, "requests", 20)
    figures: dict[str, Figure] = {}
    queries: dict[str, int] = {}
    for pg in (False, True):
        for size, tag in ((2000, "2k"), (21575, "20k")):
            with contextlib.ExitStack() as stack:
                start = time.perf_counter()
                app = scratch_app(size, pg, stack)
                filled = time.perf_counter() - start
                results = measure(app, requests)
            print(f"  console, {size} submissions, {'PostgreSQL' if pg else 'SQLite'} (filled in {filled:.0f} s):")
            for label, ms, statements in results:
                print(f"    {label:<28} {ms:7.1f} ms  {statements:3d} SQL statements")
            named = [(label, ms, n) for label, ms, n in results if label in ("console home", "table, by number")]
            slowest = max(named, key=lambda r: r[1])
            suffix = "_pg" if pg else ""
            figures[f"console_ms_{tag}{suffix}"] = at_most(
                slowest[1], "ms", 150, f"slower of home and table: {slowest[0]} ({requests} requests, median)"
            )
            queries[f"console_queries_{tag}{suffix}"] = max(n for _, _, n in named)
    for suffix in ("", "_pg"):
        small, large = queries[f"console_queries_2k{suffix}"], queries[f"console_queries_20k{suffix}"]
        for tag, n in (("2k", small), ("20k", large)):
            figures[f"console_queries_{tag}{suffix}"] = at_most(
                n,
                "statements",
                15,
                "the same at both sizes" if small == large else f"2k: {small}, 20k: {large}",
                also=small == large,
            )
    return figures


def main() -> None:
    for name, figure in run().items():
        print(f"{name}: {figure.value} {figure.unit} (goal {figure.goal}) {'ok' if figure.ok else 'MISSED'} - {figure.note}")


if __name__ == "__main__":
    main()
