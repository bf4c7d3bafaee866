"""Time the chair console (home and submissions table) at a given number of submissions, 3 reviews each.

Run: .venv/bin/python scripts/time_console.py [--sizes 2000 21575] [--pg] [--requests 20]

Builds a fresh database per size (SQLite in a temporary file, or with --pg a scratch PostgreSQL database
``portal_console_bench`` on 127.0.0.1), fills it with bulk inserts (skewed topics, 1 to 4 authors per paper,
3 submitted reviews per paper, a third decided), signs a chair in through the test client and prints, per
page, the median server time of the requests and the number of SQL statements one request issues.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

PAGES = [
    ("console home", "/chair/"),
    ("table, by number", "/chair/submissions"),
    ("table, by weighted mean", "/chair/submissions?sort=weighted&dir=desc"),
    ("table, needs attention", "/chair/submissions?attention=1&sort=spread&dir=desc"),
    ("table, search + page 5", "/chair/submissions?q=long&page=5"),
]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_NAME = "portal_console_bench"


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
        chair = User(email="chair@example.org", name="Carla Chair", password_hash="", email_confirmed_at=now,
                     is_chair=True)  # fmt: skip
        db.session.add(chair)
        db.session.flush()
        topics = [t.id for t in db.session.scalars(sa.select(Topic).order_by(Topic.position))]
        weights = [0.35, 0.2, 0.15, 0.1, 0.1, 0.06, 0.04][: len(topics)]
        type_id = db.session.scalar(sa.select(SubmissionType.id))
        reviewers = max(30, size // 2)
        db.session.execute(sa.insert(User), [
            {"email": f"r{i}@example.org", "name": f"Reviewer {i}", "password_hash": "", "is_reviewer": True,
             "email_confirmed_at": now} for i in range(reviewers)])  # fmt: skip
        first_reviewer = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.is_reviewer))
        words = ["long", "context", "attention", "memory", "retrieval", "sparse", "efficient", "evaluation", "benchmark",
                 "cache", "window"]
        subs, authors, assignments, reviews = [], [], [], []
        for n in range(1, size + 1):
            decided = n % 3 == 0
            subs.append({
                "id": n, "workshop_id": ws.id, "type_id": type_id, "primary_topic_id": rng.choices(topics, weights)[0],
                "title": " ".join(rng.sample(words, 5)).capitalize(), "abstract": " ".join(rng.choices(words, k=80)),
                "state": "submitted", "created_at": now, "updated_at": now, "submitted_at": now, "version": 1,
                "decision": ("accepted" if n % 2 else "rejected") if decided else None, "decision_note": "",
            })  # fmt: skip
            for p in range(rng.randint(1, 4)):
                authors.append({"submission_id": n, "position": p, "name": f"Author {n}-{p}",
                                "email": f"a{n}-{p}@example.edu", "affiliation": "Some University"})  # fmt: skip
            for ordinal, r in enumerate(rng.sample(range(reviewers), 3), start=1):
                aid = len(assignments) + 1
                assignments.append({"id": aid, "submission_id": n, "reviewer_id": first_reviewer + r, "ordinal": ordinal,
                                    "origin": "automatic", "created_at": now})  # fmt: skip
                at = now - timedelta(days=rng.randint(1, 20))
                reviews.append({"assignment_id": aid, "state": "submitted", "recommendation": rng.randint(1, 5),
                                "confidence": rng.randint(1, 5), "summary": "", "strengths": "", "weaknesses": "",
                                "comments_to_authors": "", "confidential_comments": "", "created_at": at,
                                "updated_at": at, "submitted_at": at, "submitted_quarter": quarter_of(at),
                                "version": 1})  # fmt: skip
        for model, rows in ((Submission, subs), (SubmissionAuthor, authors), (ReviewAssignment, assignments),
                            (Review, reviews)):  # fmt: skip
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 21575])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    import flask_migrate
    from flask_login import login_user

    from portal import create_app
    from portal.db import db

    for size in args.sizes:
        if args.pg:
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_NAME}"))
                conn.execute(sa.text(f"CREATE DATABASE {PG_NAME}"))
            admin.dispose()
            uri = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"
        else:
            uri = f"sqlite:///{Path(tempfile.mkdtemp()) / 'console.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})  # fmt: skip
        with app.app_context():
            flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            db.session.remove()
        start = time.perf_counter()
        fill(app, size)
        filled = time.perf_counter() - start

        @app.post("/bench-login")
        def bench_login() -> str:
            from portal.db import db
            from portal.models import User

            login_user(db.session.scalar(sa.select(User).where(User.is_chair)))
            return "ok"

        print(f"\n{size} submissions, 3 reviews each, {'PostgreSQL' if args.pg else 'SQLite'} (filled in {filled:.1f} s)")
        for label, ms, statements in measure(app, args.requests):
            print(f"  {label:<28} {ms:8.1f} ms   {statements:3d} SQL statements")
        with app.app_context():
            db.engine.dispose()  # let the next size drop and recreate the scratch database


if __name__ == "__main__":
    main()
