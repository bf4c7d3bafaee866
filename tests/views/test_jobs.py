"""Background jobs: the same job functions in the request (no Redis) and on an RQ worker (Redis), their
progress page for chairs only, a letters job killed half-way and retried, and two workers delivering the
outbox at once."""

from __future__ import annotations

import socket
import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import work
from portal.db import db
from portal.models import Bid, BidValue, EmailState, Job, JobState, Letter, OutgoingEmail
from tests.conftest import SMTPRecorder, make_app, text_of
from tests.views.test_decisions import client_for, decide, token, version_of, world  # noqa: F401 - a fixture
from tests.views.test_reviewing import World, post, signed_in
from tests.views.test_reviewing import fresh as fresh

REDIS = ("127.0.0.1", 6379)


def state_of(response: Any) -> str:
    """The job page's heading of its state ("Finished", "Failed", ...) and what follows it."""
    text = text_of(response)
    return text[text.index("Jobs Audit log ") + len("Jobs Audit log ") :]


def redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(REDIS) == 0


def bids(w: World) -> None:
    with w.app.app_context():
        for paper, reviewer, value in (
            ("p1", "rita", "eager"),
            ("p1", "rex", "eager"),
            ("p2", "ivan", "eager"),
            ("p2", "rex", "willing"),
            ("p3", "una", "eager"),
            ("p3", "ivan", "eager"),
        ):
            db.session.add(Bid(submission_id=w.n(paper), reviewer_id=w.uid(reviewer), value=BidValue(value)))
        db.session.commit()


def proposal_pairs(app: Flask) -> list[list[list[int]]]:
    from portal.models import AssignmentProposal

    with app.app_context():
        proposals = db.session.scalars(sa.select(AssignmentProposal).order_by(AssignmentProposal.id))
        return [sorted(p.result["pairs"]) for p in proposals]


def test_assignment_job_runs_in_the_request_without_redis(fresh: World) -> None:
    bids(fresh)
    chair = signed_in(fresh, "carla")
    response = post(chair, "/chair/assignments/run", token_page="/chair/assignments")
    assert response.headers["Location"].startswith("/chair/proposals/")
    proposal_page = text_of(chair.get(response.headers["Location"]))
    assert "Proposal 1 is ready: review it before applying." in proposal_page
    # (Carla is an author of a paper: the proposal's page gives her the figures of the papers she handles.)
    assert "new assignments on the papers you handle" in proposal_page
    with fresh.app.app_context():
        job = db.session.scalars(sa.select(Job)).one()
        assert (job.kind, job.state, job.phase, job.result["url"]) == (
            "assignment",
            JobState.DONE,
            "Finished",
            response.headers["Location"],
        )
    page = state_of(chair.get(f"/chair/jobs/{job.id}"))
    assert page.startswith("Finished 100 % Finished Started by Carla Chair")
    assert "Proposal 1 is ready: review it before applying. See the result" in page


@pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_assignment_job_on_a_redis_worker_gives_the_same_proposal(fresh: World) -> None:
    bids(fresh)
    chair = signed_in(fresh, "carla")
    post(chair, "/chair/assignments/run", token_page="/chair/assignments")  # in the request: proposal 1
    app = fresh.app
    app.config.update(REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/15", JOBS_QUEUE=f"test-{uuid.uuid4().hex}")
    response = post(chair, "/chair/assignments/run", token_page="/chair/assignments")
    job_url = response.headers["Location"]
    assert job_url.startswith("/chair/jobs/")
    waiting = state_of(chair.get(job_url))
    assert waiting.startswith("Waiting for a worker 0 % Waiting for a worker Started by Carla Chair")
    assert "Refresh to see how far it is." in waiting
    assert chair.get(job_url + ".json").get_json() == {
        "state": "queued",
        "stalled": None,
        "phase": "Waiting for a worker",
        "done": 0,
        "total": 0,
        "percent": 0,
    }

    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    done = state_of(chair.get(job_url))
    assert done.startswith("Finished 100 % Finished")
    assert "Proposal 2 is ready: review it before applying." in done
    first, second = proposal_pairs(app)
    assert first == second


def test_worker_without_redis_says_what_to_set(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "Set REDIS_URL (PORTAL_REDIS_URL=redis://127.0.0.1:6379/0)" in result.output


def test_letters_job_killed_half_way_sends_the_rest_on_retry_each_mail_once(
    app: Flask,
    world: dict[str, int],  # noqa: F811
    smtp: SMTPRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portal.services import decisions

    chris = two_drafts(app, world)
    monkeypatch.setattr(decisions, "LETTERS_PER_TRANSACTION", 1)  # one letter a batch: the second batch is Ben's letter
    real = decisions.send_letters
    calls: list[int] = []

    def dies_on_the_second_batch(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(decisions, "send_letters", dies_on_the_second_batch)
    response = chris.post("/chair/letters/send", data={"csrf_token": token(chris, "/chair/letters"), "confirm": "1"})
    job_url = response.headers["Location"]
    failed = state_of(chris.get(job_url))
    assert failed.startswith("Failed")
    assert (
        "The job failed. RuntimeError: worker killed What it finished is kept; running it again does only the rest. Retry"
    ) in failed
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter).order_by(Letter.submission_id))
        assert [x.email_id is not None for x in letters] == [True, False]
    assert smtp.messages == []  # the first letter is queued, not yet delivered

    monkeypatch.setattr(decisions, "send_letters", real)
    retried = chris.post(f"{job_url}/retry", data={"csrf_token": token(chris, job_url)}, follow_redirects=True)
    assert state_of(retried).startswith("Finished")
    assert "1 letter sent to the authors." in text_of(retried)
    arrived = sorted(sorted(str(m["To"]).split(", ")) for m in smtp.wait_for(2))
    assert arrived == [["ann@example.org"], ["ben@example.org", "chair@example.org"]]
    # Sending again finds nothing left to send and delivers nothing twice.
    again = chris.post(
        "/chair/letters/send", data={"csrf_token": token(chris, "/chair/letters"), "confirm": "1"}, follow_redirects=True
    )
    assert "0 letters sent to the authors." in text_of(again)
    assert len(smtp.messages) == 2


def test_letters_job_killed_inside_a_batch_leaves_the_whole_batch_to_the_retry(
    app: Flask,
    world: dict[str, int],  # noqa: F811
    smtp: SMTPRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portal.services import audit

    chris = two_drafts(app, world)  # both letters go in one batch
    real = audit.record

    def dies_after_the_first_letter(actor: Any, action: str, *args: Any, **kwargs: Any) -> Any:
        if action == "letters.send" and kwargs["submission"].id == world["ben@example.org"]:
            raise RuntimeError("worker killed")
        return real(actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", dies_after_the_first_letter)
    response = chris.post("/chair/letters/send", data={"csrf_token": token(chris, "/chair/letters"), "confirm": "1"})
    job_url = response.headers["Location"]
    assert state_of(chris.get(job_url)).startswith("Failed")
    with app.app_context():  # Ann's letter was queued and claimed in the batch that died: nothing of it is left
        assert [x.email_id for x in db.session.scalars(sa.select(Letter))] == [None, None]
        assert db.session.scalars(sa.select(OutgoingEmail)).all() == []

    monkeypatch.setattr(audit, "record", real)
    retried = chris.post(f"{job_url}/retry", data={"csrf_token": token(chris, job_url)}, follow_redirects=True)
    assert "2 letters sent to the authors." in text_of(retried)
    arrived = sorted(sorted(str(m["To"]).split(", ")) for m in smtp.wait_for(2))
    assert arrived == [["ann@example.org"], ["ben@example.org", "chair@example.org"]]
    with app.app_context():
        assert db.session.scalars(sa.select(OutgoingEmail.state)).all() == [EmailState.SENT, EmailState.SENT]


def two_drafts(app: Flask, world: dict[str, int]) -> FlaskClient:  # noqa: F811
    """Ann's paper accepted, Ben's rejected, their letters drafted; the second chair, signed in, sends them."""
    chris = client_for(app, "chair2@example.org")
    ann, ben = world["ann@example.org"], world["ben@example.org"]
    decide(chris, ann, "accepted", version_of(app, ann))
    decide(chris, ben, "rejected", version_of(app, ben))
    chris.post(
        "/chair/letters", data={"csrf_token": token(chris, "/chair/letters"), "accept_letter": "Yes.", "reject_letter": "No."}
    )
    return chris


@pytest.mark.parametrize("url", ["/chair/jobs", "/chair/jobs/1", "/chair/jobs/1.json"])
def test_job_pages_are_for_chairs_only(app: Flask, world: dict[str, int], url: str) -> None:  # noqa: F811
    with app.app_context():
        db.session.add(Job(kind="outbox", state=JobState.FAILED, error="SMTPServerDisconnected: secret detail"))
        db.session.commit()
    anonymous = app.test_client().get(url)
    assert (anonymous.status_code, anonymous.headers["Location"].split("?")[0]) == (302, "/auth/login")
    author = client_for(app, "ann@example.org").get(url)
    assert author.status_code == 403
    assert "secret detail" not in author.get_data(as_text=True)
    chair = client_for(app, "chair2@example.org").get(url)
    seen = chair.get_json() if url.endswith(".json") else text_of(chair)
    assert chair.status_code == 200
    if url.endswith(".json"):
        assert seen == {"state": "failed", "stalled": None, "phase": "", "done": 0, "total": 0, "percent": 0}
    else:  # the failed delivery is listed, and its page shows the error with a retry button
        assert "Delivering the outbox" in seen
        assert url == "/chair/jobs" or "SMTPServerDisconnected: secret detail" in seen


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_two_workers_delivering_at_once_send_each_mail_once(
    app: Flask, smtp: SMTPRecorder, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker asked for the mail by id (a job), the other for whatever is due (``emails send-pending``),
    both claiming a few rows at a time."""
    from portal import emails
    from portal.emails import delivery

    monkeypatch.setattr(delivery, "CLAIM_BATCH", 3)
    with app.app_context():
        ids = [
            emails.queue(kind="test", to=f"person{n}@example.org", subject=f"Mail {n}", template="letter", body="Hello.").id
            for n in range(40)
        ]
        db.session.commit()
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], MAIL_PORT=app.config["MAIL_PORT"])
    reports: list[Any] = []

    def deliver(flask_app: Flask, ids: list[int] | None) -> None:
        with flask_app.app_context():
            reports.append(emails.send_pending(ids))

    threads = [threading.Thread(target=deliver, args=args) for args in ((app, ids), (other, None))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    subjects = sorted(str(m["Subject"]) for m in smtp.wait_for(40))
    assert subjects == sorted(f"Mail {n}" for n in range(40))
    assert sorted(i for r in reports for i in r.sent) == sorted(set(i for r in reports for i in r.sent))
    with app.app_context():
        assert set(db.session.scalars(sa.select(OutgoingEmail.state))) == {EmailState.SENT}
    with other.app_context():
        db.engine.dispose()


@pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_mail_is_delivered_by_a_worker_not_the_request(app: Flask, smtp: SMTPRecorder) -> None:
    from portal import emails

    app.config.update(REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/15", JOBS_QUEUE=f"test-{uuid.uuid4().hex}")
    with app.test_request_context():
        emails.queue(kind="test", to="ada@example.org", subject="Your receipt", template="letter", body="Hello.")
        report = work.commit_and_deliver()
        assert (report.sent, len(report.handed_over)) == ([], 1)
    assert smtp.messages == []  # the request did not wait for SMTP
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    [mail] = smtp.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("ada@example.org", "Your receipt")
    with app.app_context():
        job = db.session.scalars(sa.select(Job)).one()
        assert (job.kind, job.state, job.result["message"]) == (
            "outbox",
            JobState.DONE,
            "1 delivered, 0 waiting for a retry, 0 failed.",
        )


def test_with_redis_unreachable_the_job_fails_with_a_reason_and_the_work_is_kept(fresh: World) -> None:
    bids(fresh)
    fresh.app.config.update(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    chair = signed_in(fresh, "carla")
    response = post(chair, "/chair/assignments/run", token_page="/chair/assignments")
    page = state_of(chair.get(response.headers["Location"]))
    assert page.startswith("Failed")
    assert "The job queue (Redis) could not be reached: ConnectionError" in page
    assert "Retry" in page
    # A second press while that one failed starts a new job; a job already claimed is never run twice.
    from portal import jobs

    with fresh.app.app_context():
        row = db.session.scalars(sa.select(Job)).one()
        row.state = JobState.QUEUED
        db.session.commit()
        fresh.app.config.update(REDIS_URL=None)
        jobs.execute(row.id)
        jobs.execute(row.id)  # a duplicate delivery of the same job does nothing
        assert [(j.state, j.attempts) for j in db.session.scalars(sa.select(Job))] == [(JobState.DONE, 0)]
    assert len(proposal_pairs(fresh.app)) == 1
