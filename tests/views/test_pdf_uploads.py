"""Uploads and the PDF check (issue 17, points 3 and 5): the author sees each hit with its place and what the
reviewers' copy leaves out, the receipt lists the hits, the stored copy keeps no trace of the name; sign-in,
permission, deadline and the account's budget of checks (kept where every worker sees it) come before any PDF
is read."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import pdfcheck
from portal.db import db, utcnow
from portal.models import DateKind, Decision, Revision, Submission, Workshop
from portal.services import submissions as svc
from tests.conftest import SMTPRecorder, csrf_token, make_app, text_of
from tests.factories import decide_and_notify
from tests.pdfs import NAME, corners, names_in, one_page_pdf
from tests.views.test_jobs import REDIS, redis_up
from tests.views.test_submissions import (
    ADA,
    BOB,
    PDF,
    TITLE,
    edit_form,
    form_fields,
    hits_shown,
    new_form,
    number_of,
    post,
    problems,
    set_date,
    signed_in,
    stored,
    stored_bytes,
    submit,
    submitted,
    upload,
)
from tests.views.test_submissions import ada as ada
from tests.views.test_submissions import open_app as open_app

# A one-page paper whose page names no one, with a comment by Ada and a bookmark naming her.
COMMENTED = one_page_pdf(
    catalog=b"/Outlines 8 0 R",
    page=b"/Annots [6 0 R 7 0 R]",
    objects=(
        b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /T (Ada Lovelace) /Contents (Cite us here.) /Popup 7 0 R >>",
        b"<< /Type /Annot /Subtype /Popup /Parent 6 0 R /Rect [0 0 9 9] >>",
        b"<< /Type /Outlines /First 9 0 R /Last 9 0 R /Count 1 >>",
        b"<< /Title (Notes of Ada Lovelace) /Parent 8 0 R /Dest [3 0 R /Fit] >>",
    ),
)
COMMENTED_HITS = [
    ["a comment by Ada Lovelace on page 1", "name", "Ada Lovelace", "Ada Lovelace"],
    ["a bookmark in the outline", "name", "Ada Lovelace", "Notes of Ada Lovelace"],
]


class Checks:
    """Every PDF check the views ask for, counted (the real check still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[bytes] = []
        real = svc.check_pdf

        def counted(data: bytes, *args: Any, **kwargs: Any) -> pdfcheck.PdfReport:
            self.files.append(data)
            return real(data, *args, **kwargs)

        monkeypatch.setattr(svc, "check_pdf", counted)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    return Checks(monkeypatch)


# --- what the author sees, what the reviewers get ---------------------------------------------------------------


def test_the_author_sees_each_hit_with_its_place_and_what_the_copy_leaves_out(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder
) -> None:
    number = number_of(submit(ada, open_app, paper=COMMENTED))

    page = ada.get(f"/submissions/{number}")
    assert hits_shown(page) == COMMENTED_HITS
    assert (
        "Reviewers get a copy with only what draws the pages: the pages as you see them, with no metadata, comments, "
        "bookmarks, attached files or scripts. From this file it leaves out 2 annotations (1 comment, 1 pop-up note) "
        "and the outline (1 bookmark)."
    ) in text_of(page)
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is not None
        original, copy = paper.file.storage_key, paper.reviewer_file.storage_key
    assert stored_bytes(open_app, original) == COMMENTED  # the authors' file as uploaded
    assert names_in(stored_bytes(open_app, copy)) == []  # the reviewers' copy: nowhere, streams inflated included


def test_the_receipt_lists_the_hits(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    number = number_of(submit(ada, open_app, paper=COMMENTED))

    [receipt] = [m for m in smtp.wait_for(1) if "ada@example.org" in str(m["To"])]
    body = receipt.get_content().replace("\r\n", "\n")
    assert (
        f"          SHA-256 {hashlib.sha256(COMMENTED).hexdigest()}\n"
        "\n"
        "The anonymity check found 2 places in the paper that may reveal an author:\n"
        '  - a comment by Ada Lovelace on page 1: "Ada Lovelace" (name), in "Ada Lovelace"\n'
        '  - a bookmark in the outline: "Ada Lovelace" (name), in "Notes of Ada Lovelace"\n'
        "Reviewers get a copy with only what draws the pages (no metadata, comments, bookmarks or attached\n"
        "files), but they see every page as you uploaded it.\n"
        "\n"
        "See it, change it until the deadline, or withdraw it at:\n"
        f"http://localhost/submissions/{number}\n"
    ) in body


@pytest.mark.parametrize(
    "label",
    [
        "a comment's author",
        "an attached file's text",
        "a form field",
        "a page label",
        "document JavaScript",
        "XMP of a figure",
        "an earlier version of the file",
    ],
)
def test_a_name_in_any_corner_is_shown_to_the_author_and_kept_from_the_reviewers(
    open_app: Flask, ada: FlaskClient, label: str
) -> None:
    corner = corners()[label]
    number = number_of(submit(ada, open_app, paper=corner.pdf))

    assert hits_shown(ada.get(f"/submissions/{number}")) == [[corner.where, "name", NAME, corner.context]]
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is not None
        copy = stored_bytes(open_app, paper.reviewer_file.storage_key)
    assert names_in(copy) == []


def test_a_copy_made_before_copies_were_rebuilt_is_made_again(open_app: Flask, ada: FlaskClient) -> None:
    """Papers uploaded before: a copy with only the metadata removed (comments, outline kept), or the paper itself
    when its metadata named no one. The next reviewer's download gets a copy rebuilt from the pages."""
    number = number_of(submit(ada, open_app, paper=COMMENTED))
    with open_app.app_context():
        revision = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert revision is not None
        report = {k: v for k, v in revision.check_report.items() if k != "dropped"}  # as the code before wrote it
        db.session.execute(
            sa.update(Revision).where(Revision.id == revision.id).values(reviewer_file_id=revision.file_id, check_report=report)
        )
        db.session.commit()

    with open_app.app_context():
        revision = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        copy = svc.ensure_reviewers_copy(revision)  # type: ignore[arg-type]
        db.session.commit()
        assert copy is not None and copy.id != revision.file_id  # type: ignore[union-attr]
        key, dropped = copy.storage_key, revision.check_report["dropped"]  # type: ignore[union-attr]
    assert names_in(stored_bytes(open_app, key)) == []
    assert dropped == ["2 annotations (1 comment, 1 pop-up note)", "the outline (1 bookmark)"]
    with open_app.app_context():  # made once, kept
        revision = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert svc.ensure_reviewers_copy(revision).storage_key == key  # type: ignore[arg-type, union-attr]


# --- what comes before any PDF is read --------------------------------------------------------------------------


def test_a_form_posted_after_the_deadline_has_no_pdf_checked(
    open_app: Flask, ada: FlaskClient, checks: Checks, smtp: SMTPRecorder
) -> None:
    data = new_form(ada, open_app, paper=COMMENTED)
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(minutes=1))

    response = post(ada, "/submissions/new", data)

    assert [p.split(". It was ")[0] for p in problems(response)] == ["The submission deadline has passed"]
    assert checks.files == []
    assert stored(open_app)["files"] == 0


def test_an_edit_posted_after_an_extension_ran_out_has_no_pdf_checked(open_app: Flask, checks: Checks) -> None:
    ada, number = submitted(open_app, ADA["email"])
    data = edit_form(ada, number, paper=upload(COMMENTED))
    with open_app.app_context():  # the edit page was opened in time; the submission's own deadline passes
        db.session.get(Submission, number).deadline_override = utcnow() - timedelta(minutes=1)  # type: ignore[union-attr]
        set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(hours=1))
        db.session.commit()
    checks.files.clear()

    response = post(ada, f"/submissions/{number}/edit", data)

    assert checks.files == []
    assert response.location == f"/submissions/{number}"  # the edit page is no longer open to her


def test_no_pdf_is_checked_for_someone_not_signed_in_or_not_an_author(
    open_app: Flask, checks: Checks, smtp: SMTPRecorder
) -> None:
    _ada, number = submitted(open_app, ADA["email"])
    checks.files.clear()
    bob = signed_in(open_app, BOB["email"])

    visitor = open_app.test_client()
    token = csrf_token(visitor, "/auth/login")  # a valid form token, as a visitor's browser would have one
    anonymous = post(visitor, "/submissions/new", {"csrf_token": token, "title": TITLE, "paper": upload(COMMENTED)})
    stranger = post(
        bob,
        f"/submissions/{number}/edit",
        {"csrf_token": csrf_token(bob, "/submissions/new"), "title": TITLE, "paper": upload(COMMENTED)},
    )

    assert (anonymous.status_code, anonymous.location) == (302, "/auth/login")
    assert (stranger.status_code, "Page not found" in text_of(stranger)) == (404, True)
    assert checks.files == []


# --- the account's budget of checks -------------------------------------------------------------------------------


def test_an_account_past_its_budget_of_checks_is_told_to_wait_and_nothing_is_checked(
    open_app: Flask, ada: FlaskClient, checks: Checks, smtp: SMTPRecorder
) -> None:
    open_app.config["PDF_CHECK_RATE_LIMIT"] = "2 per 10 minutes"
    number_of(submit(ada, open_app, title="First"))
    number_of(submit(ada, open_app, title="Second"))
    checked = len(checks.files)

    response = submit(ada, open_app, title="Third")

    assert response.status_code == 422
    message = text_of(response)
    assert "You have had 2 PDFs checked within 10 minutes, as many as the site checks for one account; try again in" in message
    assert len(checks.files) == checked  # the third file was not read
    # The budget is the account's: another author uploads all the same.
    bob = signed_in(open_app, BOB["email"])
    number_of(submit(bob, open_app, title="Bob's paper"))


needs_redis = pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")


@needs_redis
def test_the_budget_of_checks_is_kept_where_every_worker_sees_it(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    """Two workers: two apps on the same database and the same Redis. What one counted, the other sees."""
    shared = {
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}/15",
        "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
        "PDF_CHECK_RATE_LIMIT": "2 per hour",
    }
    first = make_app(
        open_app.config["SQLALCHEMY_DATABASE_URI"],
        MAIL_PORT=open_app.config["MAIL_PORT"],
        UPLOAD_FOLDER=open_app.config["UPLOAD_FOLDER"],
        **shared,
    )
    client = signed_in(first, ADA["email"])
    number_of(submit(client, first, title="First"))
    number_of(submit(client, first, title="Second"))

    second = make_app(
        open_app.config["SQLALCHEMY_DATABASE_URI"],
        MAIL_PORT=open_app.config["MAIL_PORT"],
        UPLOAD_FOLDER=open_app.config["UPLOAD_FOLDER"],
        **shared,
    )
    client = signed_in(second, ADA["email"])
    response = submit(client, second, title="Third")

    assert "You have had 2 PDFs checked within 60 minutes, as many as the site checks for one account" in text_of(response)
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_camera_ready_upload_counts_against_the_budget_too(open_app: Flask, checks: Checks, smtp: SMTPRecorder) -> None:
    open_app.config["PDF_CHECK_RATE_LIMIT"] = "1 per hour"
    ada, number = submitted(open_app, ADA["email"])  # the paper's upload spends it
    with open_app.test_request_context():
        decide_and_notify(db.session.scalar(sa.select(Workshop)), db.session.get(Submission, number), Decision.ACCEPTED)
        db.session.commit()
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(days=1))
    set_date(open_app, DateKind.CAMERA_READY, utcnow() + timedelta(days=7))
    checks.files.clear()
    data = form_fields(ada.get(f"/submissions/{number}/camera-ready"))
    data.update(action="save", paper=upload(PDF))

    response = post(ada, f"/submissions/{number}/camera-ready", data)

    assert response.status_code == 422
    assert "You have had 1 PDF checked within 60 minutes, as many as the site checks for one account" in text_of(response)
    assert checks.files == []
