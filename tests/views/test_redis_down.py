"""Redis is a helper, not a single point of failure (issue 18, point 4): with Redis at a closed port the forms
that are rate-limited answer as usual, what they store is stored and their mail arrives, the limits are kept per
process meanwhile, and the operator reads one line saying so; when Redis answers again the limits go back to it."""

from __future__ import annotations

import itertools
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import jobs
from portal.db import db
from portal.extensions import limiter
from portal.models import EmailState, Job, JobState, OutgoingEmail, SponsorInquiry, User, Workshop
from tests.conftest import SMTPRecorder, free_port, mail_links, post_form, text_of
from tests.factories import create_users, login
from tests.views.test_auth import register, users
from tests.views.test_decisions import token
from tests.views.test_sponsors import GOOD

PORT = free_port()  # nothing listens here: Redis is down for every app of this module
LOOKS = itertools.count(1)


@pytest.fixture
def app_config() -> dict[str, Any]:
    # RATELIMIT_STORAGE_URI follows REDIS_URL (the tests' memory:// is the default it replaces).
    return {"REDIS_URL": f"redis://127.0.0.1:{PORT}/0"}


@pytest.fixture
def app(app: Flask) -> Flask:
    """The app, with the rate limiter bound to it again: Flask-Limiter's one ``Limiter`` keeps the storage of the
    last app created, and the session's content template may have been created after this one."""
    limiter.init_app(app)
    return app


def outbox(app: Flask) -> list[tuple[str, str, EmailState]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id))
        return [(r.kind, r.recipients, r.state) for r in rows]


def jobs_of(app: Flask) -> list[tuple[str, JobState]]:
    with app.app_context():
        return [(j.kind, j.state) for j in db.session.scalars(sa.select(Job).order_by(Job.id))]


def operator_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """What the portal itself logged (Flask-Limiter's own lines left aside), at warning and above."""
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("portal") and r.levelno >= logging.WARNING]


def test_sponsor_inquiry_with_redis_down_is_stored_and_both_mails_arrive(
    app: Flask, smtp: SMTPRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    response = post_form(app.test_client(), "/sponsors/", GOOD, follow_redirects=True)
    assert response.status_code == 200
    assert "Thank you, your message is on its way" in text_of(response)
    with app.app_context():
        stored = [(i.name, i.organization, i.email) for i in db.session.scalars(sa.select(SponsorInquiry))]
    assert stored == [("Grace Hopper", "Compiler Labs", "grace@example.org")]
    assert sorted(str(m["To"]) for m in smtp.wait_for(2)) == ["grace@example.org", "longllm.workshop@gmail.com"]
    assert outbox(app) == [
        ("sponsor_inquiry", "longllm.workshop@gmail.com", EmailState.SENT),
        ("sponsor_ack", "grace@example.org", EmailState.SENT),
    ]
    # The delivery could not be queued for a worker, so it ran in the request, as it does without Redis.
    assert jobs_of(app) == [("outbox", JobState.DONE)]
    assert operator_lines(caplog) == [
        (
            "WARNING",
            f"Job 1 (Delivering the outbox) could not be queued (Redis at 127.0.0.1:{PORT}: ConnectionError: "
            f"Error 111 connecting to 127.0.0.1:{PORT}. Connection refused.); it runs in this request instead.",
        ),
        (
            "ERROR",
            f"Rate limits: Redis at 127.0.0.1:{PORT} cannot be reached; until it answers, each process counts them on its own.",
        ),
    ]


def test_register_resend_and_reset_with_redis_down_answer_and_mail(app: Flask, smtp: SMTPRecorder) -> None:
    client = app.test_client()
    response = register(client)
    assert response.headers["Location"] == "/auth/check-inbox"
    assert "We sent a message to ada@example.org." in text_of(client.get("/auth/check-inbox"))
    assert users(app) == [("ada@example.org", "Ada Lovelace", False)]
    [confirmation] = smtp.wait_for(1)
    assert (confirmation["To"], confirmation["Subject"]) == ("ada@example.org", "[LongLLM 2024] Confirm your email address")

    again = post_form(client, "/auth/confirm/resend", {"email": "ada@example.org"}, follow_redirects=True)
    assert "If an unconfirmed account uses ada@example.org, a new confirmation link is on its way." in text_of(again)
    create_users(app, {"email": "bob@example.org"})
    reset = post_form(client, "/auth/reset", {"email": "bob@example.org"}, follow_redirects=True)
    assert "If an account uses bob@example.org, a link to choose a new password is on its way." in text_of(reset)
    messages = smtp.wait_for(3)
    assert [(m["To"], m["Subject"]) for m in messages[1:]] == [
        ("ada@example.org", "[LongLLM 2024] Confirm your email address"),
        ("bob@example.org", "[LongLLM 2024] Reset your password"),
    ]
    assert mail_links(messages[2])[0].startswith("/auth/reset/")


def test_with_redis_down_each_process_still_counts_the_limit(
    app: Flask, smtp: SMTPRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["ACCOUNT_MAIL_RATE_LIMIT"] = "3 per hour"
    client = app.test_client()
    for i in range(3):
        assert register(client, email=f"person{i}@example.org").headers["Location"] == "/auth/check-inbox"
    limited = register(client, email="person3@example.org")
    assert limited.status_code == 429
    assert "Please try again in" in text_of(limited)
    assert [u[0] for u in users(app)] == ["person0@example.org", "person1@example.org", "person2@example.org"]
    # One line for the operator, however many requests went on without Redis.
    assert [line for line in operator_lines(caplog) if line[1].startswith("Rate limits")] == [
        (
            "ERROR",
            f"Rate limits: Redis at 127.0.0.1:{PORT} cannot be reached; until it answers, each process counts them on its own.",
        )
    ]


@pytest.fixture
def redis_later() -> Iterator[subprocess.Popen[bytes] | None]:
    """A Redis server to start on PORT in the middle of a test (``redis_later.start()``)."""
    started: list[subprocess.Popen[bytes]] = []

    class Later:
        def start(self) -> None:
            process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(PORT), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
            started.append(process)
            import redis

            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis(port=PORT).ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

    yield Later()  # type: ignore[misc]
    for process in started:
        process.terminate()
        process.wait(10)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server to start")
def test_limits_go_back_to_redis_when_it_answers_again(
    app: Flask, caplog: pytest.LogCaptureFixture, redis_later: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flask_limiter._extension as flask_limiter_internals

    app.config["ACCOUNT_MAIL_RATE_LIMIT"] = "3 per hour"
    client = app.test_client()
    assert register(client, email="person0@example.org").status_code == 302  # counted in this process
    redis_later.start()
    # Flask-Limiter asks its storage again after 1, 2, 4 ... 32 seconds: give it a clock that moves on 100 seconds
    # at every look (its one Limiter keeps the time of its last look from test to test).
    real = time.time
    monkeypatch.setattr(
        flask_limiter_internals, "time", type("Clock", (), {"time": staticmethod(lambda: real() + 100 * next(LOOKS))})
    )
    for i in (1, 2, 3):  # Redis counts from zero: the first count stayed in the process
        assert register(client, email=f"person{i}@example.org").status_code == 302
    assert register(client, email="person4@example.org").status_code == 429
    import redis

    assert any(b"account-mail" in key for key in redis.Redis(port=PORT).keys("LIMITS*"))
    assert [line for line in operator_lines(caplog) if line[1].startswith("Rate limits")] == [
        (
            "ERROR",
            f"Rate limits: Redis at 127.0.0.1:{PORT} cannot be reached; until it answers, each process counts them on its own.",
        ),
        ("WARNING", f"Rate limits: Redis at 127.0.0.1:{PORT} answers again; the limits are counted there."),
    ]


def test_a_job_waiting_while_redis_is_down_is_offered_for_retry_and_says_why_it_fails(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    [chair_id] = create_users(app, {"email": "carla@example.org", "name": "Carla Chair", "roles": ("chair",)})
    with app.app_context():  # queued before Redis went down; since then nobody can tell whether it is still there
        row = jobs.start("letters", db.session.get(User, chair_id), workshop_id=db.session.scalar(sa.select(Workshop.id)))
        row.updated_at -= timedelta(seconds=app.config["JOBS_LOST_AFTER"] + 1)
        db.session.commit()
    chair = app.test_client()
    login(chair, "carla@example.org")
    page = text_of(chair.get("/chair/jobs/1"))
    assert (
        "This job has waited 2 minutes and the job queue (Redis) cannot be reached to find it: it may never run. "
        "What it finished is kept; running it again does only the rest. Retry"
    ) in page
    assert "1 Sending the decision letters queue unreachable" in text_of(chair.get("/chair/jobs"))

    failed = chair.post("/chair/jobs/1/retry", data={"csrf_token": token(chair, "/chair/jobs/1")}, follow_redirects=True)
    assert (
        "The job failed. The job queue (Redis) could not be reached: ConnectionError What it finished is kept; "
        "running it again does only the rest. Retry"
    ) in text_of(failed)
    assert jobs_of(app) == [("letters", JobState.FAILED)]
    assert [line for line in operator_lines(caplog) if line[1].startswith("Job 1 ")] == [
        (
            "WARNING",
            f"Job 1 (Sending the decision letters) retried by user {chair_id} as attempt 1: it had waited 2 "
            "minutes and the job queue (Redis) could not be reached.",
        ),
        (
            "ERROR",
            f"Job 1 (Sending the decision letters) could not be queued (Redis at 127.0.0.1:{PORT}: "
            f"ConnectionError: Error 111 connecting to 127.0.0.1:{PORT}. Connection refused.); it is marked "
            "failed, for a chair to retry.",
        ),
    ]
