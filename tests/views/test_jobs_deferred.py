"""Work that a request hands to a background job: group mail (queued and delivered by a job, safe to retry)
and, with Redis, the reviewers' copy of a large double-blind upload."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from portal.db import db
from portal.models import EmailState, Job, JobState, OutgoingEmail, Submission, User
from tests.conftest import SMTPRecorder, text_of
from tests.pdfs import make_pdf
from tests.views.test_decisions import token
from tests.views.test_group_mail import World, body_of, client_for, digest_of, mail_form, outbox, send
from tests.views.test_group_mail import world as world
from tests.views.test_jobs import REDIS, redis_up, state_of
from tests.views.test_submissions import (
    NAMED_PDF,
    flashes,
    number_of,
    stored_bytes,
    submit,
    upload_files,
)
from tests.views.test_submissions import ada as ada
from tests.views.test_submissions import open_app as open_app

needs_redis = pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")


def on_redis(app: Flask, **config: Any) -> None:
    app.config.update(REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/15", JOBS_QUEUE=f"test-{uuid.uuid4().hex}", **config)


def run_worker(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


def jobs_of(app: Flask) -> list[tuple[str, JobState, str]]:
    with app.app_context():
        return [
            (j.kind, j.state, j.result.get("message", "") or j.error) for j in db.session.scalars(sa.select(Job).order_by(Job.id))
        ]


# --- group mail ------------------------------------------------------------------------------------------


@needs_redis
def test_group_mail_on_a_worker_is_queued_and_delivered_there_once(world: World, smtp: SMTPRecorder) -> None:
    on_redis(world.app)
    chair = client_for(world.app, "chris@example.org")
    page = send(chair, "reviewers", "[{{ workshop }}] Thank you", "Thank you, {{ name }}!")
    text = state_of(page)
    assert text.startswith("Waiting for a worker 0 % Waiting for a worker Started by Chris Chair")
    assert outbox(world.app) == []  # the request recorded the job, nothing more
    assert smtp.messages == []

    run_worker(world.app)
    assert sorted((str(m["To"]), body_of(m)) for m in smtp.wait_for(3)) == [
        ("rex@example.org", "Thank you, Rex Reader!\n"),
        ("rita@example.org", "Thank you, Rita Reviewer!\n"),
        ("una@example.org", "Thank you, Una Done!\n"),
    ]
    assert jobs_of(world.app) == [("group_mail", JobState.DONE, "Sent 3 mails to all reviewers.")]
    assert "3 delivered" in text_of(chair.get("/chair/mail"))
    run_worker(world.app)  # nothing left: a second worker pass sends nothing more
    assert len(smtp.messages) == 3


def test_group_mail_job_killed_after_a_batch_queues_only_the_rest_on_retry(
    world: World, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal import emails
    from portal.services import groupmail

    real_queue, real_batches = emails.queue, groupmail.queue_group_mail
    calls: list[str] = []

    def dies_on_the_second_mail(**kwargs: Any) -> OutgoingEmail:
        calls.append(kwargs["to"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_queue(**kwargs)

    monkeypatch.setattr(groupmail.emails, "queue", dies_on_the_second_mail)
    monkeypatch.setattr(groupmail, "queue_group_mail", lambda *a, **k: real_batches(*a, **k, batch=1))
    chair = client_for(world.app, "chris@example.org")
    page = send(chair, "reviewers", "Thanks", "Thank you, {{ name }}!")
    assert state_of(page).startswith("Failed")
    assert "The job failed. RuntimeError: worker killed" in text_of(page)
    assert [(r.recipients, r.state) for r in outbox(world.app)] == [("rex@example.org", EmailState.QUEUED)]

    monkeypatch.setattr(groupmail.emails, "queue", real_queue)
    job_url = page.request.path
    retried = chair.post(f"{job_url}/retry", data={"csrf_token": token(chair, job_url)}, follow_redirects=True)
    assert "Sent 3 mails to all reviewers." in text_of(retried)
    assert sorted(str(m["To"]) for m in smtp.wait_for(3)) == ["rex@example.org", "rita@example.org", "una@example.org"]
    assert sorted(r.recipients for r in outbox(world.app)) == ["rex@example.org", "rita@example.org", "una@example.org"]


@needs_redis
def test_group_mail_whose_audience_changes_before_the_worker_runs_sends_nothing(world: World, smtp: SMTPRecorder) -> None:
    on_redis(world.app)
    chair = client_for(world.app, "chris@example.org")
    shown = mail_form(chair, "reviewers", "Thanks", "Thank you, {{ name }}!", preview="Preview")
    page = mail_form(chair, "reviewers", "Thanks", "Thank you, {{ name }}!", send="Send", digest=digest_of(shown))
    assert state_of(page).startswith("Waiting for a worker")
    with world.app.app_context():  # a new reviewer joins after the chair pressed Send
        user = db.session.scalar(sa.select(User).where(User.email == "ben@example.org"))
        user.is_reviewer = True
        db.session.commit()

    run_worker(world.app)
    [(kind, state, error)] = jobs_of(world.app)
    assert (kind, state) == ("group_mail", JobState.FAILED)
    assert error == (
        "The recipients or the text changed after the mail was sent; the mails not yet queued were not "
        "sent. Preview the mail again."
    )
    assert "Preview the mail again." in text_of(chair.get(page.request.path))
    assert outbox(world.app) == [] and smtp.messages == []


# --- the reviewers' copy of a large upload ------------------------------------------------------------------


@needs_redis
def test_large_double_blind_upload_gets_its_reviewers_copy_from_a_worker(open_app: Flask, ada: Any) -> None:
    on_redis(open_app, PDF_BACKGROUND_MB=0)  # every paper counts as large here
    response = submit(ada, open_app, paper=NAMED_PDF)
    number = number_of(response)
    page = ada.get(response.location)
    # The author's answer is the same as without a worker: the check ran in the request.
    assert any(f.startswith("The anonymity check found 2 places that may reveal an author") for f in flashes(page))
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is None
        assert stored_bytes(open_app, paper.file.storage_key) == NAMED_PDF
    assert [(k, s) for k, s, _ in jobs_of(open_app)] == [("reviewers_copy", JobState.QUEUED), ("outbox", JobState.QUEUED)]

    run_worker(open_app)
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is not None
        copy = stored_bytes(open_app, paper.reviewer_file.storage_key)
    assert (PdfReader(io.BytesIO(copy)).metadata or {}).get("/Author") is None
    assert len(PdfReader(io.BytesIO(copy)).pages) == 4
    [(_, state, message)] = [j for j in jobs_of(open_app) if j[0] == "reviewers_copy"]
    assert (state, message) == (JobState.DONE, f"The reviewers' copy of paper #{number} is ready ({len(copy) / 1e6:.1f} MB).")


@needs_redis
def test_small_upload_with_redis_gets_its_reviewers_copy_at_once(open_app: Flask, ada: Any) -> None:
    on_redis(open_app)  # the default threshold: 5 MB
    number = number_of(submit(ada, open_app, paper=NAMED_PDF))
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is not None
    assert [k for k, _, _ in jobs_of(open_app)] == ["outbox"]


def test_a_paper_without_naming_metadata_still_gets_a_reviewers_copy_of_its_own(open_app: Flask, ada: Any) -> None:
    # It used to be its own copy when its Info dictionary and XMP named no one: its comments, outline and
    # attached files then went to the reviewers (issue 17, point 3).
    plain = make_pdf(title="")  # fpdf2 writes only its Producer and the creation date
    number = number_of(submit(ada, open_app, paper=plain))
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is not None and paper.reviewer_file_id != paper.file_id
        keys = [paper.file.storage_key, paper.reviewer_file.storage_key]
    assert sorted(upload_files(open_app)) == sorted(keys)
    assert stored_bytes(open_app, keys[0]) == plain
    assert PdfReader(io.BytesIO(stored_bytes(open_app, keys[1]))).metadata is None


def test_a_group_mail_retried_by_another_chair_goes_to_the_senders_audience(
    world: World, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chris's "unfinished reviews" includes Rita (her draft of p3); Carla, an author of p3, would not see her."""
    from portal.services import groupmail

    real_queue = groupmail.emails.queue

    def smtp_process_killed(**kwargs: Any) -> OutgoingEmail:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(groupmail.emails, "queue", smtp_process_killed)
    page = send(client_for(world.app, "chris@example.org"), "unfinished", "Reviews", "Dear {{ name }}")
    assert state_of(page).startswith("Failed")
    monkeypatch.setattr(groupmail.emails, "queue", real_queue)
    carla = client_for(world.app, "carla@example.org")
    job_url = page.request.path
    retried = carla.post(f"{job_url}/retry", data={"csrf_token": token(carla, job_url)}, follow_redirects=True)
    assert "Sent 2 mails to reviewers with unfinished reviews." in text_of(retried)
    assert sorted(str(m["To"]) for m in smtp.wait_for(2)) == ["rex@example.org", "rita@example.org"]
