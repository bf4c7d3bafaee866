"""Faults, with real parts: the SMTP server down (receipts and decision letters wait in the outbox and arrive
once it is back), the database out of reach (a 503 page with Retry-After, nothing half-saved, the next request
works), the upload disk full (nothing recorded, a clear message on every upload form) and the PDF checker
stopped by its time or memory limit (a clear message, nothing stored, the worker lives on)."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, Response
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import portal.storage
import portal.submissions.views
from portal import emails
from portal.db import db, utcnow
from portal.errors import unreachable
from portal.models import DateKind, Decision, EmailState, Letter, OutgoingEmail, Submission, Workshop
from tests.conftest import SMTPRecorder, free_port, smtp_up, text_of
from tests.factories import decide_and_notify
from tests.pdfs import dense_text_pdf, make_pdf
from tests.unit.test_pdfcheck import MEMORY_REFUSALS, checkers_left
from tests.unit.test_pdfcheck import no_crash_dump as no_crash_dump
from tests.views.test_decisions import client_for, decide, token, version_of
from tests.views.test_decisions import world as world
from tests.views.test_submissions import (
    ADA,
    NOTHING,
    PDF,
    SECOND_PDF,
    TITLE,
    edit_form,
    flashes,
    form_fields,
    input_value,
    new_form,
    number_of,
    post,
    problems,
    set_date,
    state_shown,
    stored,
    subject_of,
    submitted,
    table_rows,
    upload,
    upload_files,
)
from tests.views.test_submissions import ada as ada
from tests.views.test_submissions import open_app as open_app

DISK_FULL = "The server could not store your file (No space left on device); please try again later. Nothing was saved."
DATABASE_DOWN = (
    "Error 503 Database unavailable The database is unavailable for a moment, so nothing was saved. "
    "Please try again in a minute: go back and send the form again, or reload the page. "
    "Go to the home page"
)


def main_text(response: TestResponse) -> str:
    """The text of the page's ``<main>``: what it says, without the header and footer."""
    main = re.search(r"(?s)<main\b.*?</main>", response.get_data(as_text=True))
    assert main is not None
    return text_of(Response(main.group(0)))  # type: ignore[arg-type]


def assert_database_down(response: TestResponse) -> None:
    assert (response.status_code, main_text(response)) == (503, DATABASE_DOWN)
    assert (response.headers["Retry-After"], response.headers["Cache-Control"]) == ("30", "no-store")


def outbox(app: Flask) -> list[tuple[str, str, EmailState, int]]:
    """(kind, recipients, state, failed attempts) of every outbox row."""
    with app.app_context():
        return [
            (m.kind, m.recipients, m.state, m.attempts)
            for m in db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id))
        ]


def send_pending_cli(app: Flask, *args: str) -> str:
    return app.test_cli_runner().invoke(args=["emails", "send-pending", *args]).output


# --- the SMTP server down ---------------------------------------------------------------------------------


def test_receipt_with_smtp_down_waits_in_the_outbox_and_arrives_once_when_it_is_back(
    open_app: Flask, smtp_down: Flask, ada: FlaskClient, smtp: SMTPRecorder, smtp_server: Any
) -> None:
    response = post(ada, "/submissions/new", new_form(ada, open_app))
    number = number_of(response)  # the author's submission succeeds
    page = ada.get(response.location)
    assert flashes(page) == [f"Submission #{number} is saved. A receipt is on its way to ada@example.org."]
    assert state_shown(page) == "submitted"
    assert outbox(open_app) == [("submission_receipt", "ada@example.org", EmailState.QUEUED, 1)]
    assert smtp.messages == []

    smtp_up(open_app, smtp_server)
    # The receipt waits out its back-off (a minute after the first failure): the cron's run right away leaves it.
    assert send_pending_cli(open_app) == "0 sent, 0 deferred, 0 failed.\n"
    with open_app.app_context():  # the cron's run two minutes later
        assert len(emails.send_pending(now=utcnow() + timedelta(minutes=2)).sent) == 1
    assert send_pending_cli(open_app, "--include-failed") == "0 sent, 0 deferred, 0 failed.\n"  # and later runs
    assert [subject_of(m) for m in smtp.messages] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]
    assert outbox(open_app) == [("submission_receipt", "ada@example.org", EmailState.SENT, 1)]


def test_decision_letter_with_smtp_down_waits_and_arrives_once_when_it_is_back(
    app: Flask, world: dict[str, int], smtp_down: Flask, smtp: SMTPRecorder, smtp_server: Any
) -> None:
    ann = world["ann@example.org"]
    chair = client_for(app, "chair2@example.org")
    decide(chair, ann, "accepted", version_of(app, ann))
    chair.post(
        "/chair/letters",
        data={
            "csrf_token": token(chair, "/chair/letters"),
            "accept_letter": "Dear {{ authors }}, welcome.",
            "reject_letter": "No.",
        },
    )
    sent = chair.post(
        "/chair/letters/send", data={"csrf_token": token(chair, "/chair/letters"), "confirm": "1"}, follow_redirects=True
    )
    assert "1 letter sent to the authors. 1 could not be delivered yet and will be retried." in text_of(sent)
    with app.app_context():
        letter = db.session.scalars(sa.select(Letter)).one().id

    def letter_state() -> str:
        [row] = table_rows(chair.get("/chair/letters"))
        return row[2]

    def resend() -> list[str]:
        return flashes(
            chair.post(
                f"/chair/letters/{letter}/resend", data={"csrf_token": token(chair, "/chair/letters")}, follow_redirects=True
            )
        )

    assert letter_state() == "queued, 1 failed attempt"
    assert resend() == ["The letter could not be delivered; it stays queued."]
    assert letter_state() == "queued, 2 failed attempts"
    assert smtp.messages == []

    smtp_up(app, smtp_server)
    assert resend() == ["The letter is delivered."]
    assert letter_state() == "sent"
    # Nothing delivers it again: not the cron, not a second press of "Resend" from a page opened before.
    assert send_pending_cli(app, "--include-failed") == "0 sent, 0 deferred, 0 failed.\n"
    assert resend() == ["This letter was delivered already."]
    assert [(str(m["To"]), m.get_content().strip()) for m in smtp.messages] == [("ann@example.org", "Dear Ann Author, welcome.")]


# --- the database out of reach --------------------------------------------------------------------------------


@contextmanager
def database_down(app: Flask, tmp_path: Path) -> Iterator[None]:
    """The database out of reach: the pooled connections are closed and every new one goes where no database
    answers (a closed port for PostgreSQL, a missing directory for SQLite), so the driver raises its own error."""

    def unreachable(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if dialect.name == "sqlite":
            cargs[0] = str(tmp_path / "unmounted" / "portal.sqlite3")
        else:
            cparams.update(host="127.0.0.1", port=free_port())

    with app.app_context():
        engine = db.engine
    engine.dispose()
    sa.event.listen(engine, "do_connect", unreachable)
    try:
        yield
    finally:
        sa.event.remove(engine, "do_connect", unreachable)


def test_database_down_gives_the_503_page_and_once_it_is_back_the_same_form_goes_through(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder, tmp_path: Path
) -> None:
    form = new_form(ada, open_app)
    with database_down(open_app, tmp_path):
        assert_database_down(post(ada, "/submissions/new", form))  # the author presses "Submit"
        assert_database_down(ada.get("/submissions/"))
        assert_database_down(open_app.test_client().get("/"))  # not "no workshop loaded yet"
        assert_database_down(ada.get("/no/such/page"))  # the 404 page's layout would ask the database too
    assert stored(open_app) == NOTHING

    response = post(ada, "/submissions/new", new_form(ada, open_app))  # still signed in; the same form again
    number = number_of(response)
    assert state_shown(ada.get(response.location)) == "submitted"
    assert [subject_of(m) for m in smtp.wait_for(1)] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]


@contextmanager
def connection_lost_at_commit(app: Flask) -> Iterator[list[list[str]]]:
    """The connection drops just before the next commit: the PostgreSQL server ends it (pg_terminate_backend, as
    a restart or a failover does), a SQLite connection is closed under the session. Yields, once it happened, the
    files that were in the upload folder at that moment."""
    with app.app_context():
        engine = db.engine
    # Autocommit: inside one transaction PostgreSQL shows the same pg_stat_activity snapshot, and the wait below
    # would never see the backend go.
    admin = sa.create_engine(engine.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    files_then: list[list[str]] = []

    def drop(connection: sa.Connection) -> None:
        files_then.append(upload_files(app))
        dbapi = connection.connection.dbapi_connection
        if connection.dialect.name != "postgresql":
            dbapi.close()  # type: ignore[union-attr]
            return
        pid = dbapi.info.backend_pid  # type: ignore[union-attr]
        with admin.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            gone_by = time.monotonic() + 10
            while other.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                assert time.monotonic() < gone_by, "the terminated backend is still there after 10 s"
                time.sleep(0.01)

    sa.event.listen(engine, "commit", drop, once=True)
    try:
        yield files_then
    finally:
        if sa.event.contains(engine, "commit", drop):
            sa.event.remove(engine, "commit", drop)
        admin.dispose()


def test_connection_lost_while_saving_a_submission_saves_nothing_and_a_retry_works(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder
) -> None:
    with connection_lost_at_commit(open_app) as files_then:
        response = post(ada, "/submissions/new", new_form(ada, open_app))
    assert_database_down(response)
    assert [len(files) for files in files_then] == [2]  # the paper and its reviewers' copy were on the disk
    # No row. The two files stay: a commit whose answer was lost may have committed, and a row must never
    # point at a missing file. `flask storage check` lists them as orphans and deletes them once they are old.
    assert {k: v for k, v in stored(open_app).items() if k != "uploads"} == {k: v for k, v in NOTHING.items() if k != "uploads"}
    assert stored(open_app)["uploads"] == files_then[0]
    assert smtp.messages == []
    runner = open_app.test_cli_runner()
    check = runner.invoke(args=["storage", "check"])
    assert check.exit_code == 0
    assert check.output.splitlines() == [
        *(f"orphan  {key.rsplit('/', 1)[-1]} (younger than 60 min: kept)" for key in sorted(files_then[0])),
        "0 files referenced, 2 on disk, 2 orphan(s), 0 missing",
    ]
    cleaned = runner.invoke(args=["storage", "check", "--delete-orphans", "--older-than", "0"])
    assert cleaned.output.count("deleted orphan ") == 2
    assert stored(open_app) == NOTHING

    number = number_of(post(ada, "/submissions/new", new_form(ada, open_app)))  # the author sends it again
    [receipt] = smtp.wait_for(1)
    assert subject_of(receipt) == f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"
    assert {k: v for k, v in stored(open_app).items() if k != "uploads"} == {
        "submissions": 1,
        "files": 2,
        "revisions": 1,
        "mails": 1,
    }


# --- the upload disk full ---------------------------------------------------------------------------------


class Disk:
    """The volume of the upload folder: ``room`` is how many more files fit (None: plenty)."""

    def __init__(self) -> None:
        self.room: int | None = None


@pytest.fixture
def disk(open_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Disk:
    """Once ``room`` runs out, syncing a file in the upload folder fails with ENOSPC, as a filesystem with delayed
    allocation reports a full disk (the database's files are elsewhere and unaffected)."""
    root = Path(open_app.config["UPLOAD_FOLDER"]).resolve()
    disk = Disk()

    def fsync(fd: int) -> None:
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if disk.room is not None and root in target.parents and stat.S_ISREG(os.fstat(fd).st_mode):
            if disk.room == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            disk.room -= 1
        os.fsync(fd)

    class StorageOs:  # the os module as portal/storage.py sees it
        def __getattr__(self, name: str) -> Any:
            return fsync if name == "fsync" else getattr(os, name)

    monkeypatch.setattr(portal.storage, "os", StorageOs())
    return disk


def assert_disk_full_refused(response: TestResponse, app: Flask, before: dict[str, Any], title: str) -> None:
    """The form again, with the message and what was typed; nothing recorded, no file left, no mail."""
    assert (response.status_code, problems(response)) == (422, [DISK_FULL])
    assert input_value(response, "title") == title
    assert stored(app) == before


def test_disk_full_half_way_through_a_new_submission_records_nothing(
    open_app: Flask, ada: FlaskClient, disk: Disk, smtp: SMTPRecorder
) -> None:
    disk.room = 1  # the paper fits; its reviewers' copy (or the supplementary file) does not
    data = new_form(ada, open_app) | {"supplementary": upload(make_pdf(2), "appendix.pdf")}
    assert_disk_full_refused(post(ada, "/submissions/new", data), open_app, NOTHING, TITLE)
    assert disk.room == 0  # the paper was written, and removed again with the rest of the unit of work
    assert smtp.messages == []

    disk.room = None  # room again: the same submission goes through
    number = number_of(post(ada, "/submissions/new", new_form(ada, open_app)))
    assert stored(open_app)["submissions"] == 1
    assert [subject_of(m) for m in smtp.wait_for(1)] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]


def test_disk_full_during_a_new_revision_keeps_the_submission_as_it_was(open_app: Flask, disk: Disk, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    before = stored(open_app)
    disk.room = 0
    response = post(ada, f"/submissions/{number}/edit", edit_form(ada, number, title="A new title", paper=upload(SECOND_PDF)))
    assert_disk_full_refused(response, open_app, before, "A new title")
    with open_app.app_context():
        sub = db.session.get(Submission, number)
        assert (sub.title, len(sub.revisions), sub.paper.file.sha256) == (TITLE, 1, hashlib.sha256(PDF).hexdigest())
    assert len(smtp.messages) == 1  # the first receipt only


def test_disk_full_during_the_camera_ready_upload_records_nothing(open_app: Flask, disk: Disk, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    with open_app.test_request_context():
        decide_and_notify(db.session.scalar(sa.select(Workshop)), db.session.get(Submission, number), Decision.ACCEPTED)
        db.session.commit()
    set_date(open_app, DateKind.CAMERA_READY, utcnow() + timedelta(days=7))
    before = stored(open_app)
    disk.room = 0
    data = form_fields(ada.get(f"/submissions/{number}/camera-ready"))
    data.update(title="The final title", action="save", paper=upload(SECOND_PDF))
    assert_disk_full_refused(post(ada, f"/submissions/{number}/camera-ready", data), open_app, before, "The final title")


# --- the PDF checker stopped by its limits ----------------------------------------------------------------


def test_pdf_check_over_its_time_limit_is_refused_and_the_next_upload_works(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder
) -> None:
    open_app.config["PDF_CHECK_TIMEOUT"] = 0.001  # no checker forks and reads 50 pages in a millisecond
    response = post(ada, "/submissions/new", new_form(ada, open_app, paper=make_pdf(50)))
    assert (response.status_code, problems(response)) == (
        422,
        ["Paper: Checking the PDF took longer than 0.001 seconds; simplify the file."],
    )
    assert input_value(response, "title") == TITLE
    assert stored(open_app) == NOTHING
    assert checkers_left() == []  # the checker was stopped, none is left behind

    open_app.config["PDF_CHECK_TIMEOUT"] = 20
    number = number_of(post(ada, "/submissions/new", new_form(ada, open_app)))  # the same worker goes on
    assert [subject_of(m) for m in smtp.wait_for(1)] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]


@pytest.mark.usefixtures("no_crash_dump")
def test_pdf_check_over_its_memory_limit_is_refused_and_the_next_upload_works(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder
) -> None:
    heavy = dense_text_pdf(800_000)  # a small file whose one page needs about 160 MB to read
    open_app.config["PDF_CHECK_MEMORY_MB"] = 50
    response = post(ada, "/submissions/new", new_form(ada, open_app, paper=heavy))
    assert response.status_code == 422
    assert problems(response) in ([f"Paper: {message}"] for message in MEMORY_REFUSALS)
    assert stored(open_app) == NOTHING
    assert checkers_left() == []

    open_app.config["PDF_CHECK_MEMORY_MB"] = 1024
    number = number_of(post(ada, "/submissions/new", new_form(ada, open_app, paper=heavy)))
    assert [subject_of(m) for m in smtp.wait_for(1)] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]


# --- what is and is not an unreachable database -------------------------------------------------------------


def test_a_database_error_after_the_commit_keeps_the_submission_and_its_receipt_queued(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The submission is committed; then delivering its receipt meets a busy database. The author must see the
    # submission saved (not a page asking to send it again, which would make a second one).
    def busy(*args: Any, **kwargs: Any) -> Any:
        raise sa.exc.OperationalError("UPDATE outgoing_email ...", {}, Exception("database is locked"))

    monkeypatch.setattr(emails, "send_pending", busy)
    response = post(ada, "/submissions/new", new_form(ada, open_app))
    number = number_of(response)
    assert flashes(ada.get(response.location)) == [f"Submission #{number} is saved. A receipt is on its way to ada@example.org."]
    assert outbox(open_app) == [("submission_receipt", "ada@example.org", EmailState.QUEUED, 0)]
    monkeypatch.undo()
    assert send_pending_cli(open_app) == "1 sent, 0 deferred, 0 failed.\n"
    assert [subject_of(m) for m in smtp.wait_for(1)] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]


def _error(orig: Exception, *, invalidated: bool = False) -> sa.exc.DBAPIError:
    return sa.exc.DBAPIError.instance("SELECT 1", {}, orig, Exception, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("orig", "invalidated", "wait"),
    [
        (sqlite3.OperationalError("database is locked"), False, True),
        (sqlite3.OperationalError("unable to open database file"), False, True),
        (sqlite3.OperationalError("no such table: submission"), False, False),  # a missed `flask db upgrade`
        (sqlite3.OperationalError("no such column: submission.title"), False, False),
        (psycopg.OperationalError("connection refused"), False, True),  # no state: the server never answered
        (psycopg.errors.AdminShutdown("terminating connection"), False, True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), False, True),
        (psycopg.errors.TooManyConnections("too many clients"), False, True),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False, False),
        (psycopg.errors.UndefinedTable('relation "submission" does not exist'), False, False),
        (psycopg.errors.UniqueViolation("duplicate key"), False, False),
        (psycopg.errors.UniqueViolation("server closed the connection"), True, True),
    ],
    ids=lambda v: str(v)[:40] if isinstance(v, Exception) else None,
)
def test_only_a_database_out_of_reach_is_a_moment_to_wait(orig: Exception, invalidated: bool, wait: bool) -> None:
    # "Try again in a minute" (503) only when waiting can help; a schema bug or a cancelled query is a 500 with
    # its traceback in the log, never a page that asks people to retry for ever.
    assert unreachable(_error(orig, invalidated=invalidated)) is wait


def test_a_missing_table_is_the_500_page_not_the_503(open_app: Flask, ada: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # A missed `flask db upgrade` (SQLite says OperationalError "no such table") is a bug to fix, not a moment to
    # wait: the 500 page, and the error itself reaches the log (here, with TESTING, the test) with its traceback.
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise _error(sqlite3.OperationalError("no such table: submission"))

    monkeypatch.setattr(portal.submissions.views, "me", missing)
    with pytest.raises(sa.exc.OperationalError, match="no such table"):
        ada.get("/submissions/")
    open_app.config["TESTING"] = False  # as in production: the friendly 500 page
    response = ada.get("/submissions/")
    assert response.status_code == 500
    assert "Something went wrong" in text_of(response) and "Database unavailable" not in text_of(response)
