"""Decision letters and the outbox at full size: the chair's "Send the letters" for 21,575 decided papers.

Run: .venv/bin/python -m bench.bench_mail [--size 21575] [--pg]

Builds a fresh database (SQLite in a temporary directory, or with --pg a scratch PostgreSQL database), fills it
with bulk inserts (1 to 4 authors and 3 submitted reviews per paper, every paper accepted or rejected), saves the
default letter templates (which renders the drafts), then runs the product's letters job, as the chair's button
does, against a local aiosmtpd server:

- ``letters_queue_s``: from the job's start until every letter is rendered, queued and committed (the job's
  "Delivering" phase begins);
- ``mail_send_per_s``: the job's delivery phase, every queued letter delivered by ``emails.send_pending``,
  in mails a second. The server must have received exactly one message per letter, and every row be sent.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import Figure, at_least, at_most, pg_database

SIZE = 21_575
QUEUE_GOAL_S = 20
SEND_GOAL_PER_S = 200
COMMENTS = (
    "The related work section misses the recent sparse attention papers; please discuss them. "
    "The evaluation on long documents is convincing, the ablation less so."
)


class CountingHandler:
    """An aiosmtpd handler that only counts what arrives."""

    def __init__(self) -> None:
        self.count = 0
        self.recipients = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.count += 1
            self.recipients += len(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:  # aiosmtpd 1.4.6 cannot bind port 0 itself
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[CountingHandler, int]]:
    import asyncio

    from aiosmtpd.controller import Controller

    handler, port = CountingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
        asyncio.set_event_loop(None)


def fill(app: Any, size: int, seed: int = 11) -> tuple[int, int, int]:
    """The workshop, a chair, ``size`` decided papers with authors and reviews; returns (workshop, chair, authors)."""
    from portal.db import db
    from portal.models import Review, ReviewAssignment, Submission, SubmissionAuthor, SubmissionType, Topic, User
    from portal.services.content import load_content, read_content_file

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, no secret
    now = datetime.now(UTC)
    with app.app_context():
        ws, _ = load_content(read_content_file(app.config["CONTENT_FILE"]))
        ws.review_deadline = now - timedelta(days=7)
        chair = User(email="chair@example.org", name="Carla Chair", password_hash="", email_confirmed_at=now, is_chair=True)
        db.session.add(chair)
        db.session.flush()
        topics = list(db.session.scalars(sa.select(Topic.id)))
        type_id = db.session.scalar(sa.select(SubmissionType.id))
        reviewers = max(30, size // 4)
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
            accepted = rng.random() < 0.3
            subs.append(
                {
                    "id": n,
                    "workshop_id": ws.id,
                    "type_id": type_id,
                    "primary_topic_id": rng.choice(topics),
                    "title": " ".join(rng.sample(words, 5)).capitalize(),
                    "abstract": " ".join(rng.choices(words, k=80)),
                    "state": "submitted",
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "version": 1,
                    "decision": "accepted" if accepted else "rejected",
                    "presentation": rng.choice(["oral", "poster"]) if accepted else None,
                    "decision_note": "",
                    "decided_at": now,
                    "decided_by_id": chair.id,
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
                reviews.append(
                    {
                        "assignment_id": aid,
                        "state": "submitted",
                        "recommendation": rng.randint(1, 5),
                        "confidence": rng.randint(1, 5),
                        "summary": "",
                        "strengths": "",
                        "weaknesses": "",
                        "comments_to_authors": COMMENTS if rng.random() < 0.8 else "",
                        "confidential_comments": "",
                        "created_at": now,
                        "updated_at": now,
                        "submitted_at": now,
                        "version": 1,
                    }
                )
        for model, rows in ((Submission, subs), (SubmissionAuthor, authors), (ReviewAssignment, assignments), (Review, reviews)):
            for i in range(0, len(rows), 5000):
                db.session.execute(sa.insert(model), rows[i : i + 5000])
        if db.engine.dialect.name == "postgresql":
            for table in ("submission", "review_assignment"):
                # The names are the two literals above, never input.
                db.session.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))  # noqa: S608
        db.session.commit()
        ids = ws.id, chair.id, len(authors)
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))  # fresh planner statistics, as a running site keeps them
        conn.commit()
    return ids


def prepare(app: Any, workshop_id: int, chair_id: int) -> int:
    """The chair saves the default templates: a draft letter per paper."""
    from portal.db import db
    from portal.models import User, Workshop
    from portal.services import decisions

    with app.app_context():
        ws, chair = db.session.get(Workshop, workshop_id), db.session.get(User, chair_id)
        count = decisions.save_letter_templates(chair, ws, decisions.DEFAULT_ACCEPT, decisions.DEFAULT_REJECT, with_reviews=True)
        db.session.commit()
        return count


def send_letters(app: Any, workshop_id: int, chair_id: int) -> tuple[float, float, dict[str, Any]]:
    """Run the letters job as the chair's button does; returns (queue seconds, delivery seconds, its result)."""
    from portal import jobs
    from portal.db import db
    from portal.models import JobState, User

    class TimedProgress(jobs.Progress):
        """The job's own progress reports, noting when the delivery phase begins."""

        delivering_at: float | None = None

        def __call__(
            self, done: int | None = None, total: int | None = None, phase: str | None = None, *, force: bool = False
        ) -> None:
            if phase == "Delivering" and self.delivering_at is None:
                self.delivering_at = time.perf_counter()
            super().__call__(done, total, phase, force=force)

    with app.app_context():
        row = jobs.start("letters", db.session.get(User, chair_id), workshop_id=workshop_id)
        db.session.commit()
        # Run as a worker runs it (``jobs.execute``: the claim, the job, its end), with the progress reports timed.
        # (Calling the job function directly stopped at its first report: a run reports only while its row is
        # claimed as running.)
        made: list[TimedProgress] = []
        untimed = jobs.Progress

        def timed(job_id: int, attempt: int | None = None) -> TimedProgress:
            made.append(TimedProgress(job_id, attempt))
            return made[-1]

        jobs.Progress = timed  # type: ignore[assignment,misc]
        try:
            start = time.perf_counter()
            jobs.execute(row.id)
            end = time.perf_counter()
        finally:
            jobs.Progress = untimed  # type: ignore[misc]
        db.session.refresh(row)
        assert row.state == JobState.DONE, (row.state, row.error)
        assert made and made[0].delivering_at is not None, "the job never reached its delivery phase"
        return made[0].delivering_at - start, end - made[0].delivering_at, row.result


def check(app: Any, letters: int, handler: CountingHandler, recipients: int) -> None:
    from portal.db import db
    from portal.models import EmailState, Letter, OutgoingEmail

    with app.app_context():
        states = dict(db.session.execute(sa.select(OutgoingEmail.state, sa.func.count()).group_by(OutgoingEmail.state)).all())
        unsent_letters = db.session.scalar(sa.select(sa.func.count()).where(Letter.email_id.is_(None)))
    if states != {EmailState.SENT: letters} or unsent_letters:
        raise AssertionError(f"outbox after the job: {states}, {unsent_letters} letters still drafts")
    deadline = time.monotonic() + 10
    while handler.count < letters and time.monotonic() < deadline:
        time.sleep(0.05)
    if (handler.count, handler.recipients) != (letters, recipients):
        raise AssertionError(
            f"the SMTP server received {handler.count} mails to {handler.recipients} recipients, "
            f"expected {letters} to {recipients}"
        )


def measure(uri: str, size: int) -> dict[str, Figure]:
    import flask_migrate

    from portal import create_app
    from portal.db import db

    with smtp_server() as (handler, port):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": uri,
                "SECRET_KEY": "bench",
                "TESTING": True,
                "MAIL_SUPPRESS_SEND": False,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            db.session.remove()
        workshop_id, chair_id, recipients = fill(app, size)
        letters = prepare(app, workshop_id, chair_id)
        if letters != size:
            raise AssertionError(f"{letters} drafts for {size} papers")
        queue_s, send_s, result = send_letters(app, workshop_id, chair_id)
        if result["message"] != f"{size} letters sent to the authors.":
            raise AssertionError(f"the job said: {result['message']}")
        check(app, size, handler, recipients)
        with app.app_context():
            db.engine.dispose()
    where = "PostgreSQL" if uri.startswith("postgresql") else "SQLite"
    return {
        "letters_queue_s": at_most(queue_s, "s", QUEUE_GOAL_S, f"letters job, render + queue + commit {size:,} letters, {where}"),
        "mail_send_per_s": at_least(
            size / send_s, "mails/s", SEND_GOAL_PER_S, f"letters job's delivery of {size:,} mails to a local aiosmtpd, {where}"
        ),
    }


def run(args: Any) -> dict[str, Figure]:
    size = getattr(args, "size", None) or SIZE
    if getattr(args, "pg", False):
        with pg_database("mail") as uri:
            return measure(uri, size)
    with tempfile.TemporaryDirectory() as tmp:
        return measure(f"sqlite:///{Path(tmp) / 'mail.db'}", size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    for name, figure in run(args).items():
        verdict = "ok" if figure.ok else "MISSED"
        goal = ("≥ " if figure.higher_is_better else "≤ ") + f"{figure.goal:g}"
        print(f"{name:<18} {figure.value:>10.2f} {figure.unit:<8} goal {goal:<8} {verdict:<6}  {figure.note}")


if __name__ == "__main__":
    main()
