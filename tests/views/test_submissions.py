"""The author's submission area: submitting with a PDF checked at once, what bad uploads and bad author lists
are told (with nothing stored), the anonymity check, deadlines and a chair's extension, revisions and stale
tabs, co-authors, withdraw and restore, author rows without JavaScript, abstract registration, camera-ready,
and the chair's list. Receipts arrive over real SMTP; files are checked byte for byte in the upload folder."""

from __future__ import annotations

import hashlib
import html as html_lib
import io
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import (
    DateKind,
    Decision,
    ImportantDate,
    OutgoingEmail,
    Revision,
    StoredFile,
    Submission,
    SubmissionType,
    Topic,
    Workshop,
)
from tests.conftest import SMTPRecorder, Worlds, csrf_token, mail_links, sql_statements, text_of
from tests.factories import create_users, decide_and_notify, login
from tests.pdfs import encrypted_pdf, make_pdf

ADA = {"email": "ada@example.org", "name": "Ada Lovelace", "affiliation": "Analytical Society"}
BOB = {"email": "bob@example.org", "name": "Bob Babbage", "affiliation": "Difference College"}
CORA = {"email": "co@example.org", "name": "Cora Coauthor", "affiliation": "Engine Institute"}
CHAIR = {"email": "chair@example.org", "name": "Carla Chair", "affiliation": "Workshop University", "roles": ("chair",)}
REVIEWER = {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Review Institute", "roles": ("reviewer",)}

TITLE = "Attention Sinks at a Million Tokens"
ABSTRACT = "We study attention over very long inputs.\n\nA second paragraph with the results."
PDF = make_pdf(4)
SECOND_PDF = make_pdf(5, text="The revised version, with a new experiment.")
NAMED_PDF = make_pdf(author="Ada Lovelace", first_page="Ada Lovelace, Analytical Engines")
AOE = ZoneInfo("Etc/GMT+12")  # the workshop's zone ("AoE")
NOTHING = {"submissions": 0, "files": 0, "revisions": 0, "mails": 0, "uploads": []}

NOT_PDF = "Paper: This is not a PDF file (its content is not PDF, whatever its name says)."


# --- helpers ------------------------------------------------------------------------------------------


def set_date(app: Flask, kind: DateKind, at: datetime | None) -> None:
    """Add, move or (with None) remove one of the workshop's dates."""
    labels = {
        DateKind.PAPER_DEADLINE: "Paper submission deadline",
        DateKind.ABSTRACT_DEADLINE: "Abstract deadline",
        DateKind.CAMERA_READY: "Camera-ready deadline",
    }
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        existing = ws.date_of(kind)
        if at is None and existing is not None:
            ws.dates.remove(existing)
        elif existing is not None:
            existing.at = at
        elif at is not None:
            ws.dates.append(ImportantDate(kind=kind, label=labels[kind], at=at))
        db.session.commit()


def set_workshop(app: Flask, **values: Any) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for name, value in values.items():
            setattr(ws, name, value)
        db.session.commit()


def set_submission(app: Flask, number: int, **values: Any) -> None:
    with app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None
        for name, value in values.items():
            setattr(sub, name, value)
        db.session.commit()


def aoe(at: datetime) -> str:
    """A time as the site shows it: ``Tue 4 Jun 2024, 11:00 AoE``."""
    local = at.astimezone(AOE)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} AoE"


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, text_of(response)
    return client


def catalogue(app: Flask) -> tuple[dict[str, int], list[int]]:
    """Submission type ids by slug, and topic ids in the order of the call."""
    with app.app_context():
        types = {t.slug: t.id for t in db.session.scalars(sa.select(SubmissionType))}
        topics = list(db.session.scalars(sa.select(Topic.id).order_by(Topic.position)))
        return types, topics


class _Forms(HTMLParser):
    """The forms of a page with the values a browser would send (checked boxes, selected options)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str | None], list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._textarea: list[str] | None = None
        self._select: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._fields = []
            self.forms.append((a, self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type") or "text"
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._fields.append((str(a["name"]), a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = [str(a["name"]), ""]
        elif tag == "select":
            self._select = {"name": a["name"], "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            if self._select["first"] is None:
                self._select["first"] = a.get("value") or ""
            if "selected" in a:
                self._select["selected"] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "textarea" and self._textarea is not None and self._fields is not None:
            name, value = self._textarea
            self._fields.append((name, value[2:] if value.startswith("\r\n") else value.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._fields is not None:
            value = self._select["selected"] if self._select["selected"] is not None else self._select["first"]
            self._fields.append((str(self._select["name"]), value or ""))
            self._select = None


def form_fields(response: TestResponse) -> dict[str, Any]:
    """What the page's upload form would send as it stands (a list for a repeated name)."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    forms = [fields for attrs, fields in parser.forms if attrs.get("enctype") == "multipart/form-data"]
    assert len(forms) == 1, "expected one upload form on the page"
    data: dict[str, Any] = {}
    for name, value in forms[0]:
        if name in data:
            data[name] = (data[name] if isinstance(data[name], list) else [data[name]]) + [value]
        else:
            data[name] = value
    return data


def authors_in(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The author rows of a form's data, in order."""
    rows = []
    i = 0
    while f"authors-{i}-name" in data:
        rows.append((data[f"authors-{i}-name"], data[f"authors-{i}-email"], data[f"authors-{i}-affiliation"]))
        i += 1
    return rows


def set_authors(data: dict[str, Any], authors: list[tuple[str, str, str]]) -> None:
    for key in [k for k in data if k.startswith("authors-")]:
        del data[key]
    for i, (name, email, affiliation) in enumerate(authors):
        data.update({f"authors-{i}-name": name, f"authors-{i}-email": email, f"authors-{i}-affiliation": affiliation})


def person(spec: dict[str, Any]) -> tuple[str, str, str]:
    return spec["name"], spec["email"], spec["affiliation"]


def upload(data: bytes, name: str = "paper.pdf") -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def post(client: FlaskClient, url: str, data: dict[str, Any]) -> TestResponse:
    return client.post(url, data=data, content_type="multipart/form-data")


def new_form(
    client: FlaskClient,
    app: Flask,
    *,
    title: str = TITLE,
    abstract: str = ABSTRACT,
    paper: bytes | None = PDF,
    authors: list[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    """Open /submissions/new like a browser and fill it in (the author row comes prefilled with the user)."""
    page = client.get("/submissions/new")
    assert page.status_code == 200, text_of(page)
    data = form_fields(page)
    types, topics = catalogue(app)
    data.update(
        title=title,
        abstract=abstract,
        type=str(types["full"]),
        primary_topic=str(topics[0]),
        secondary_topics=[str(topics[2])],
        keywords="long context, attention",
        action="save",
    )
    if authors is not None:
        set_authors(data, authors)
    if paper is not None:
        data["paper"] = upload(paper)
    return data


def submit(client: FlaskClient, app: Flask, **kwargs: Any) -> TestResponse:
    return post(client, "/submissions/new", new_form(client, app, **kwargs))


def number_of(response: TestResponse) -> int:
    assert response.status_code == 302, problems(response) or text_of(response)
    match = re.fullmatch(r"/submissions/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def submitted(app: Flask, email: str, **kwargs: Any) -> tuple[FlaskClient, int]:
    """Sign in as ``email``, submit a paper; the client and the submission's number."""
    client = signed_in(app, email)
    number = number_of(submit(client, app, **kwargs))
    client.get(f"/submissions/{number}")  # follow the redirect, as a browser does (and see the flash)
    return client, number


def edit_form(client: FlaskClient, number: int, **changes: Any) -> dict[str, Any]:
    page = client.get(f"/submissions/{number}/edit")
    assert page.status_code == 200, text_of(page)
    data = form_fields(page)
    data.update(action="save", **changes)
    return data


def problems(response: TestResponse) -> list[str]:
    """The items of the form's error summary, as read."""
    html = response.get_data(as_text=True)
    summary = re.search(r'(?s)<div class="error-summary".*?<ul>(.*?)</ul>', html)
    if summary is None:
        return []
    return [_cell(li) for li in re.findall(r"(?s)<li>(.*?)</li>", summary.group(1))]


def flashes(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    blocks = re.findall(r'(?s)<div class="flashes" role="(?:alert|status)"[^>]*>(.*?)</div>', html)
    return [_cell(m) for block in blocks for m in re.findall(r'(?s)<p class="flash flash-\w+">(.*?)</p>', block)]


def _cell(html: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"(?s)<[^>]+>", "", html))).strip()


def table_rows(response: TestResponse, caption: str | None = None) -> list[list[str]]:
    """The body rows of the page's table (the one with this caption), each a list of its cells' text."""
    html = response.get_data(as_text=True)
    for table in re.findall(r"(?s)<table\b.*?</table>", html):
        found = re.search(r"(?s)<caption[^>]*>(.*?)</caption>", table)
        if caption is None or (found and _cell(found.group(1)) == caption):
            body = re.search(r"(?s)<tbody>(.*?)</tbody>", table)
            assert body is not None
            return [
                [_cell(c) for c in re.findall(r"(?s)<t[hd]\b[^>]*>(.*?)</t[hd]>", row)]
                for row in re.findall(r"(?s)<tr>(.*?)</tr>", body.group(1))
            ]
    return []


def my_submissions(client: FlaskClient) -> list[tuple[str, str, str]]:
    """(number, title, state) of each row of "My submissions"."""
    page = client.get("/submissions/")
    assert page.status_code == 200
    return [(row[0], row[1], row[2]) for row in table_rows(page, "Your submissions")]


def revisions_shown(response: TestResponse) -> list[tuple[str, str, str]]:
    """(what, pages, sha256) of each upload listed on a detail page."""
    return [(row[0], row[2], row[4]) for row in table_rows(response, "Every upload (newest last)")]


def hits_shown(response: TestResponse) -> list[list[str]]:
    return table_rows(response, "Places that may reveal an author")


def state_shown(response: TestResponse) -> str:
    match = re.search(
        r'<p class="eyebrow">Submission #\d+ · <span class="badge[^"]*">([^<]+)</span>', response.get_data(as_text=True)
    )
    assert match, text_of(response)
    return match.group(1)


def input_value(response: TestResponse, name: str) -> str:
    return str(form_fields(response)[name])


def upload_files(app: Flask) -> list[str]:
    """Every file in the upload folder (temporary files included), by name; not the uploads a refused form keeps
    for the next try under ``pending/`` (tests/views/test_kept_uploads.py)."""
    root = Path(app.config["UPLOAD_FOLDER"])
    return (
        sorted(p.name for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "pending")
        if root.exists()
        else []
    )


def stored(app: Flask) -> dict[str, Any]:
    with app.app_context():

        def count(model: Any) -> int:
            return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

        return {
            "submissions": count(Submission),
            "files": count(StoredFile),
            "revisions": count(Revision),
            "mails": count(OutgoingEmail),
            "uploads": upload_files(app),
        }


def stored_bytes(app: Flask, key: str) -> bytes:
    return (Path(app.config["UPLOAD_FOLDER"]) / key[:2] / key).read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_not_found(
    response: TestResponse,
    leaks: tuple[str, ...] = (TITLE, "ada@example.org", "Ada Lovelace", "co@example.org", "Analytical Society"),
) -> None:
    """The 404 page, with nothing of Ada's submission on it."""
    assert response.status_code == 404, response.request.path
    assert "Error 404 Page not found There is nothing at this address." in text_of(response)
    html = response.get_data(as_text=True)
    for leak in leaks:
        assert leak not in html, response.request.path


def subject_of(message: EmailMessage) -> str:
    """The subject as a mail client shows it (Flask-Mail folds a long one onto a continuation line)."""
    return " ".join(str(message["Subject"]).split())


def subjects(smtp: SMTPRecorder, address: str) -> list[str]:
    return [subject_of(m) for m in smtp.to(address)]


def withdraw(client: FlaskClient, number: int) -> TestResponse:
    return client.post(
        f"/submissions/{number}/withdraw", data={"csrf_token": csrf_token(client, f"/submissions/{number}/withdraw")}
    )


def restore(client: FlaskClient, number: int) -> TestResponse:
    return client.post(f"/submissions/{number}/restore", data={"csrf_token": csrf_token(client, f"/submissions/{number}")})


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def open_app(app: Flask, worlds: Worlds) -> Flask:
    return worlds.get(app, opened)


def opened(app: Flask) -> Flask:
    """Submissions open: the paper deadline is three days away. Ada and Bob are authors, Carla a chair."""
    set_date(app, DateKind.PAPER_DEADLINE, utcnow() + timedelta(days=3))
    create_users(app, ADA, BOB, CORA | {"email": "cora.other@example.org"}, CHAIR, REVIEWER)
    return app


@pytest.fixture
def ada(open_app: Flask) -> FlaskClient:
    return signed_in(open_app, ADA["email"])


# --- the happy path -----------------------------------------------------------------------------------


def test_submission_with_pdf_is_stored_and_receipted(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    authors = [person(ADA), ("Grace Hopper", "grace@example.org", "Compiler Lab")]
    before = utcnow().replace(microsecond=0)
    response = submit(ada, open_app, authors=authors)
    number = number_of(response)

    page = ada.get(response.location)
    assert flashes(page) == [f"Submission #{number} is saved. A receipt is on its way to ada@example.org."]
    assert state_shown(page) == "submitted"
    assert revisions_shown(page) == [("paper", "4", sha(PDF))]

    receipts = [m for m in smtp.wait_for(2) if "ada@example.org" in str(m["To"])]
    assert [subject_of(m) for m in receipts] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]
    body = receipts[0].get_content()
    with open_app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None and sub.submitted_at is not None
        when = sub.submitted_at.astimezone(UTC)
        paper = sub.paper
        assert paper is not None
        key, original_name, size = paper.file.storage_key, paper.file.original_name, paper.file.size
        reviewer_key = paper.reviewer_file.storage_key if paper.reviewer_file else None
    assert before <= when <= utcnow()
    assert body.splitlines() == [
        "Dear Ada Lovelace,",
        "",
        f"this is the receipt for submission #{number} to Workshop on Long-Context Large Language Models "
        "(LongLLM 2024): submitted.",
        "",
        f"Number:   #{number}",
        f"Title:    {TITLE}",
        "State:    submitted",
        "Authors:",
        "  1. Ada Lovelace (Analytical Society) <ada@example.org>",
        "  2. Grace Hopper (Compiler Lab) <grace@example.org>",
        f"Time:     {when:%Y-%m-%d %H:%M:%S} UTC",
        f"Paper:    4 pages, {len(PDF)} bytes",
        f"          SHA-256 {sha(PDF)}",
        "See it, change it until the deadline, or withdraw it at:",
        f"http://localhost/submissions/{number}",
        "",
        "Keep this mail: the SHA-256 identifies exactly the file we received.",
    ]
    assert mail_links(receipts[0]) == [f"/submissions/{number}"]

    # The file is kept byte for byte under a random key, never under the name it was uploaded with.
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert stored_bytes(open_app, key) == PDF
    assert (original_name, size) == ("paper.pdf", len(PDF))
    assert upload_files(open_app) == sorted([key, reviewer_key])  # the paper and the reviewers' copy, no more
    assert my_submissions(ada) == [(str(number), TITLE, "submitted")]


def test_new_submission_form_is_prefilled_with_the_signed_in_author(open_app: Flask, ada: FlaskClient) -> None:
    data = form_fields(ada.get("/submissions/new"))
    assert authors_in(data) == [person(ADA)]
    assert (data["title"], data["abstract"], data["type"], data["primary_topic"]) == ("", "", "0", "0")


def test_submissions_are_closed_without_a_deadline(app: Flask) -> None:
    create_users(app, ADA)
    client = signed_in(app, ADA["email"])
    response = client.get("/submissions/new", follow_redirects=True)
    assert flashes(response) == ["The chairs have not set a submission deadline yet, so submissions are closed."]
    assert "New submission" not in text_of(response)


# --- bad input ----------------------------------------------------------------------------------------

HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>%PDF-1.7</body></html>"
SVG_AS_PDF = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>"
)
BAD_UPLOADS = [
    pytest.param(b"MZ\x90\x00" + b"This program cannot be run in DOS mode." + bytes(4000), NOT_PDF, id="executable"),
    pytest.param(HTML_AS_PDF, NOT_PDF, id="html"),
    pytest.param(SVG_AS_PDF, NOT_PDF, id="svg"),
    pytest.param(b"", "Paper: The file is empty (0 bytes).", id="empty"),
    pytest.param(
        PDF[: len(PDF) // 2],
        "Paper: The file could not be opened as a PDF: it is damaged or incomplete (truncated).",
        id="truncated",
    ),
    pytest.param(encrypted_pdf(), "Paper: The PDF is encrypted (password-protected). Upload an unprotected PDF.", id="encrypted"),
    pytest.param(
        make_pdf(10),
        "Paper: The main text has 10 pages; a full paper allows 8 (no “References” heading was found, so every page counts).",
        id="too-many-pages",
    ),
]


def assert_refused_and_kept(
    response: TestResponse, app: Flask, smtp: SMTPRecorder, expected: list[str], title: str = TITLE, abstract: str = ABSTRACT
) -> None:
    """Refused with these problems, the typed text still in the form, and nothing stored or mailed."""
    assert (response.status_code, problems(response)) == (422, expected)
    assert "nothing was saved" in text_of(response)
    assert (input_value(response, "title"), input_value(response, "abstract")) == (title, abstract)
    assert stored(app) == NOTHING
    assert smtp.messages == []


@pytest.mark.parametrize(("paper", "message"), BAD_UPLOADS)
def test_bad_upload_is_refused_and_nothing_is_stored(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder, paper: bytes, message: str
) -> None:
    response = submit(ada, open_app, paper=paper)
    assert_refused_and_kept(response, open_app, smtp, [message])


def test_pdf_over_the_size_cap_is_refused_and_nothing_is_stored(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    set_workshop(open_app, max_upload_mb=1)
    big = PDF + b"\n%" + b"x" * 1_200_000  # still a valid PDF, 1.2 MB
    response = submit(ada, open_app, paper=big)
    assert response.status_code == 422
    [problem] = problems(response)
    assert problem.startswith("Paper: The file is ") and problem.endswith("; the limit is 1 MB.")
    assert (input_value(response, "title"), input_value(response, "abstract")) == (TITLE, ABSTRACT)
    assert stored(open_app) == NOTHING
    assert smtp.messages == []


# An upload up to UPLOAD_MEMORY_MB is held in memory while the form is read, a larger one in a temporary file:
# both ways must give the same answers.
SPOOLS = [pytest.param(20, id="in-memory"), pytest.param(1, id="spooled-to-disk")]


@pytest.mark.parametrize("memory_mb", SPOOLS)
def test_size_cap_message_gives_the_real_size(open_app: Flask, ada: FlaskClient, memory_mb: int) -> None:
    open_app.config["UPLOAD_MEMORY_MB"] = memory_mb
    set_workshop(open_app, max_upload_mb=1)
    response = submit(ada, open_app, paper=PDF + b"\n%" + b"x" * 1_200_000)
    assert problems(response) == ["Paper: The file is 1.2 MB; the limit is 1 MB."]


@pytest.mark.parametrize("memory_mb", SPOOLS)
def test_a_large_paper_is_stored_byte_for_byte(open_app: Flask, ada: FlaskClient, memory_mb: int) -> None:
    open_app.config["UPLOAD_MEMORY_MB"] = memory_mb
    big = PDF + b"\n%" + bytes(range(32, 127)) * 16_000  # a valid PDF of 1.5 MB

    number = number_of(submit(ada, open_app, paper=big))

    assert revisions_shown(ada.get(f"/submissions/{number}")) == [("paper", "4", sha(big))]
    with open_app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None and sub.paper is not None
        key = sub.paper.file.storage_key
    assert stored_bytes(open_app, key) == big


def test_saving_a_new_submission_reads_what_it_needs_once_then_inserts(open_app: Flask, ada: FlaskClient) -> None:
    """The deadline rush hangs on this request. It reads the user, the workshop and the form's lists once; the
    save is inserts only (no reload of the lists, no lazy load of the new submission's revisions, no UPDATE
    of its submission time); then the receipt is delivered; nothing is reloaded after the commit."""
    data = new_form(ada, open_app)
    with sql_statements(open_app) as sent:
        number_of(post(ada, "/submissions/new", data))
    seen = [" ".join(statement.replace('"', "").split()[:3]) for statement in sent]

    # Rows of one table inserted together are one statement on PostgreSQL, one each on SQLite.
    batched = [s for i, s in enumerate(seen) if not (s.startswith("INSERT") and i and seen[i - 1] == s)]
    assert batched == [
        "SELECT user.id, user.email,",
        "SELECT workshop.id, workshop.slug,",
        "SELECT submission_type.id, submission_type.workshop_id,",
        "SELECT topic.id, topic.workshop_id,",
        "SELECT important_date.id, important_date.workshop_id,",
        "INSERT INTO submission",
        "INSERT INTO submission_topic",
        "INSERT INTO submission_author",
        "INSERT INTO stored_file",  # the paper and the reviewers' copy
        "INSERT INTO revision",
        "SELECT mail_template.id, mail_template.workshop_id,",  # the chairs' wording of the receipt, if any
        "INSERT INTO outgoing_email",
        "INSERT INTO form_token",  # the form's one-time token: posted twice, it makes one submission
        "SELECT outgoing_email.id FROM",
        "UPDATE outgoing_email SET",
        "UPDATE outgoing_email SET",  # delivered
    ]


def crowd(count: int) -> list[tuple[str, str, str]]:
    """Ada and ``count - 1`` more authors."""
    return [person(ADA)] + [(f"Author {i}", f"author{i}@example.org", "Crowd Lab") for i in range(1, count)]


def test_too_many_authors_are_refused_and_the_list_cut_to_fifty(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    authors = crowd(1_000)
    response = post(ada, "/submissions/new", new_form(ada, open_app, authors=authors))
    assert_refused_and_kept(response, open_app, smtp, ["A submission lists at most 50 authors (this list has 1,000)."])
    assert authors_in(form_fields(response)) == authors[:50]


class TooSlow(Exception):
    pass


@contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    """Raise TooSlow in the middle of whatever uses more than ``seconds`` of this process's CPU (the request runs in
    it): a measure of the work done, not of how busy the machine is, so a quadratic path fails and a loaded CI
    machine does not."""

    def alarm(signum: int, frame: Any) -> None:
        raise TooSlow(f"used more than {seconds} s of CPU")

    previous = signal.signal(signal.SIGPROF, alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def test_ten_thousand_authors_are_refused_promptly(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    authors = crowd(10_000)
    data = new_form(ada, open_app, authors=authors)
    with cpu_limit(8):
        response = post(ada, "/submissions/new", data)
    assert_refused_and_kept(response, open_app, smtp, ["A submission lists at most 50 authors (this list has 10,000)."])
    assert authors_in(form_fields(response)) == authors[:50]


AUTHOR_PROBLEMS = [
    pytest.param(
        [person(ADA), ("Ada Again", "Ada@Example.ORG", "Elsewhere")],
        "Author 2 (ada@example.org) is listed twice (also author 1).",
        id="duplicate",
    ),
    pytest.param([person(BOB)], "You (ada@example.org) must be one of the authors.", id="submitter-missing"),
    pytest.param([person(ADA), ("Nameless", "", "")], "Author 2: give a name and an email address.", id="no-email"),
    pytest.param(
        [person(ADA), ("Bad Address", "not-an-address", "")],
        "Author 2: “not-an-address” is not an email address.",
        id="bad-email",
    ),
]


@pytest.mark.parametrize(("authors", "message"), AUTHOR_PROBLEMS)
def test_bad_author_list_is_refused_and_nothing_is_stored(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder, authors: list[tuple[str, str, str]], message: str
) -> None:
    response = submit(ada, open_app, authors=authors)
    assert_refused_and_kept(response, open_app, smtp, [message])
    assert authors_in(form_fields(response)) == authors


def test_empty_abstract_is_refused_and_nothing_is_stored(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    response = submit(ada, open_app, abstract="  \n\n  ")
    assert_refused_and_kept(response, open_app, smtp, ["Abstract: Write the abstract."], abstract="")


# --- anonymity ----------------------------------------------------------------------------------------

ADA_HITS = [
    ["metadata (Author)", "name", "Ada Lovelace", "Ada Lovelace"],
    ["page 1", "name", "Ada Lovelace", "Ada Lovelace, Analytical Engines Page 1. Long-conte"],
]


def test_names_in_the_pdf_warn_but_the_paper_is_saved(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    response = submit(ada, open_app, paper=NAMED_PDF)
    number = number_of(response)

    page = ada.get(response.location)
    # The warning is the alert read first; what was done follows as a status.
    assert flashes(page) == [
        "The anonymity check found 2 places that may reveal an author (listed below). Please check them; "
        "reviewers must not learn who the authors are.",
        f"Submission #{number} is saved. A receipt is on its way to ada@example.org.",
    ]
    assert hits_shown(page) == ADA_HITS
    assert revisions_shown(page) == [("paper", "4", sha(NAMED_PDF))]
    # The authors' file is kept as uploaded; the reviewers' copy has no document metadata.
    with open_app.app_context():
        paper = db.session.get(Submission, number).paper  # type: ignore[union-attr]
        assert paper is not None and paper.reviewer_file is not None
        key, reviewer_key = paper.file.storage_key, paper.reviewer_file.storage_key
    assert stored_bytes(open_app, key) == NAMED_PDF
    assert (PdfReader(io.BytesIO(stored_bytes(open_app, reviewer_key))).metadata or {}).get("/Author") is None
    assert subjects(smtp, "ada@example.org") == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]


def test_names_in_the_pdf_are_refused_when_the_check_blocks(open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder) -> None:
    set_workshop(open_app, anonymity_blocks=True)
    response = submit(ada, open_app, paper=NAMED_PDF)
    assert_refused_and_kept(
        response,
        open_app,
        smtp,
        [
            "Paper: The anonymity check found 2 places that may reveal an author (listed below). Remove them and upload again.",
        ],
    )
    assert hits_shown(response) == ADA_HITS


# --- deadlines ----------------------------------------------------------------------------------------


def test_form_opened_before_the_deadline_and_posted_after_is_refused(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder
) -> None:
    data = new_form(ada, open_app)
    deadline = utcnow().replace(microsecond=0) - timedelta(minutes=1)
    set_date(open_app, DateKind.PAPER_DEADLINE, deadline)

    response = post(ada, "/submissions/new", data)
    assert_refused_and_kept(
        response,
        open_app,
        smtp,
        [
            f"The submission deadline has passed. It was {aoe(deadline)}. Nothing was saved.",
        ],
    )


def test_editing_after_the_deadline_is_refused(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    data = edit_form(ada, number, title="Changed too late", paper=upload(SECOND_PDF))
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(minutes=1))
    before = stored(open_app)

    response = post(ada, f"/submissions/{number}/edit", data)
    assert response.location == f"/submissions/{number}"
    page = ada.get(response.location)
    assert flashes(page) == ["This submission can no longer be changed."]
    assert "Edit or upload a new version" not in text_of(page)
    assert re.search(rf"<h1>{TITLE}</h1>", page.get_data(as_text=True))
    assert stored(open_app) == before
    assert ada.get(f"/submissions/{number}/edit").location == f"/submissions/{number}"


def test_chair_extension_lets_one_submission_be_edited_after_the_deadline(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, ada_number = submitted(open_app, ADA["email"])
    bob, bob_number = submitted(open_app, BOB["email"], title="Bob's paper")
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(hours=1))

    chair = signed_in(open_app, CHAIR["email"])
    until = (utcnow() + timedelta(days=2)).astimezone(AOE).replace(second=0, microsecond=0)
    response = chair.post(
        f"/submissions/{ada_number}/extension",
        data={
            "csrf_token": csrf_token(chair, f"/submissions/{ada_number}"),
            "until": f"{until:%Y-%m-%d %H:%M}",
        },
    )
    assert flashes(chair.get(response.location)) == [f"Submission #{ada_number} may now be changed until {aoe(until)}."]

    page = ada.get(f"/submissions/{ada_number}")
    assert f"Changes possible until {aoe(until)}" in text_of(page)
    assert "(extended for this submission)" in text_of(page)
    response = post(ada, f"/submissions/{ada_number}/edit", edit_form(ada, ada_number, title="Extended title"))
    assert response.location == f"/submissions/{ada_number}"
    assert my_submissions(ada) == [(str(ada_number), "Extended title", "submitted")]

    response = bob.get(f"/submissions/{bob_number}/edit", follow_redirects=True)
    assert flashes(response) == ["This submission can no longer be changed."]
    assert my_submissions(bob) == [(str(bob_number), "Bob's paper", "submitted")]


def test_extension_must_end_after_the_common_deadline(open_app: Flask) -> None:
    _, number = submitted(open_app, ADA["email"])
    chair = signed_in(open_app, CHAIR["email"])
    earlier = (utcnow() + timedelta(days=1)).astimezone(AOE)
    response = chair.post(
        f"/submissions/{number}/extension",
        data={
            "csrf_token": csrf_token(chair, f"/submissions/{number}"),
            "until": f"{earlier:%Y-%m-%d %H:%M}",
        },
        follow_redirects=True,
    )
    assert flashes(response) == ["An extension must end after the common deadline."]
    with open_app.app_context():
        assert db.session.get(Submission, number).deadline_override is None  # type: ignore[union-attr]


# --- edits and revisions ------------------------------------------------------------------------------


def test_new_pdf_through_edit_adds_a_revision(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    smtp.clear()
    response = post(ada, f"/submissions/{number}/edit", edit_form(ada, number, paper=upload(SECOND_PDF)))
    assert response.location == f"/submissions/{number}"

    page = ada.get(response.location)
    assert flashes(page) == [f"Submission #{number} is saved. A receipt is on its way to ada@example.org."]
    assert revisions_shown(page) == [("paper", "4", sha(PDF)), ("paper", "5", sha(SECOND_PDF))]
    [receipt] = smtp.wait_for(1)
    assert subject_of(receipt) == f"[LongLLM 2024] Submission #{number} updated: {TITLE}"
    assert f"SHA-256 {sha(SECOND_PDF)}" in receipt.get_content()
    assert stored(open_app)["revisions"] == 2


def test_edit_without_a_new_pdf_keeps_the_paper(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    response = post(ada, f"/submissions/{number}/edit", edit_form(ada, number, title="A better title"))
    page = ada.get(response.location)
    assert re.search(r"<h1>A better title</h1>", page.get_data(as_text=True))
    assert revisions_shown(page) == [("paper", "4", sha(PDF))]


def test_stale_tab_cannot_overwrite_a_newer_save(open_app: Flask, smtp: SMTPRecorder) -> None:
    first, number = submitted(open_app, ADA["email"])
    second = signed_in(open_app, ADA["email"])  # another tab, another browser: the same person
    first_data = edit_form(first, number, title="Saved in the first tab")
    second_data = edit_form(second, number, title="Saved in the second tab", paper=upload(SECOND_PDF))

    assert post(first, f"/submissions/{number}/edit", first_data).location == f"/submissions/{number}"
    before = stored(open_app)
    response = post(second, f"/submissions/{number}/edit", second_data)

    assert (response.status_code, input_value(response, "title")) == (422, "Saved in the second tab")
    [problem] = problems(response)
    assert problem == (
        "Someone (perhaps you, in another tab) saved this submission after you opened this form. Reload the page "
        "to see the latest version, then make your change again. Nothing was saved."
    )
    assert stored(open_app) == before
    assert my_submissions(second) == [(str(number), "Saved in the first tab", "submitted")]
    assert revisions_shown(second.get(f"/submissions/{number}")) == [("paper", "4", sha(PDF))]


def test_stale_tab_message_says_nothing_was_saved_once(open_app: Flask, smtp: SMTPRecorder) -> None:
    first, number = submitted(open_app, ADA["email"])
    second = signed_in(open_app, ADA["email"])
    second_data = edit_form(second, number, title="Second tab")
    post(first, f"/submissions/{number}/edit", edit_form(first, number, title="First tab"))
    [problem] = problems(post(second, f"/submissions/{number}/edit", second_data))
    assert problem.count("Nothing was saved") == 1


# --- co-authors and who may see a submission ----------------------------------------------------------


def test_coauthor_is_told_and_can_see_and_edit_the_submission(open_app: Flask, smtp: SMTPRecorder) -> None:
    _, number = submitted(open_app, ADA["email"], authors=[person(ADA), person(CORA)])

    notices = [m for m in smtp.wait_for(2) if "co@example.org" in str(m["To"])]
    assert [subject_of(m) for m in notices] == [f"[LongLLM 2024] You are an author of submission #{number}"]
    body = notices[0].get_content()
    assert f"Ada Lovelace lists you as an author of submission #{number}" in body
    assert f"  {TITLE}" in body.splitlines()
    assert mail_links(notices[0]) == [f"/submissions/{number}", "/auth/register"]

    create_users(open_app, CORA)  # Cora registers with the listed address
    cora = signed_in(open_app, CORA["email"])
    assert my_submissions(cora) == [(str(number), TITLE, "submitted")]
    response = post(cora, f"/submissions/{number}/edit", edit_form(cora, number, title="Cora's better title"))
    assert flashes(cora.get(response.location)) == [f"Submission #{number} is saved. A receipt is on its way to co@example.org."]
    assert subjects(smtp, "co@example.org")[-1] == f"[LongLLM 2024] Submission #{number} updated: Cora's better title"


def test_other_authors_get_404_for_someone_elses_submission(open_app: Flask, smtp: SMTPRecorder) -> None:
    _, number = submitted(open_app, ADA["email"], authors=[person(ADA), person(CORA)])
    with open_app.app_context():
        revision_id = db.session.get(Submission, number).paper.id  # type: ignore[union-attr]
    bob, _ = submitted(open_app, BOB["email"], title="Bob's paper")
    # Same name as the co-author, different address: not an author.
    other_cora = signed_in(open_app, "cora.other@example.org")

    for client in (bob, other_cora):
        for path in (
            f"/submissions/{number}",
            f"/submissions/{number}/edit",
            f"/submissions/{number}/files/{revision_id}",
            f"/submissions/{number}/withdraw",
        ):
            assert_not_found(client.get(path))
    assert [title for _, title, _ in my_submissions(bob)] == ["Bob's paper"]
    assert my_submissions(other_cora) == []


# (who, detail page, edit page, download): what each person gets for Ada's submission (Cora co-authors it).
MATRIX = [
    ("anonymous", "sign-in", "sign-in", "sign-in"),
    (ADA["email"], 200, 200, 200),
    (CORA["email"], 200, 200, 200),
    (BOB["email"], 404, 404, 404),
    (REVIEWER["email"], 404, 404, 404),
    (CHAIR["email"], 200, "detail", 200),
]


@pytest.mark.parametrize(("who", "detail", "edit", "download"), MATRIX, ids=[m[0] for m in MATRIX])
def test_submission_permission_matrix(
    open_app: Flask, smtp: SMTPRecorder, who: str, detail: Any, edit: Any, download: Any
) -> None:
    _, number = submitted(open_app, ADA["email"], authors=[person(ADA), person(CORA)])
    create_users(open_app, CORA)
    with open_app.app_context():
        revision_id = db.session.get(Submission, number).paper.id  # type: ignore[union-attr]
    client = open_app.test_client() if who == "anonymous" else signed_in(open_app, who)

    def outcome(response: TestResponse) -> Any:
        if response.status_code == 302:
            return (
                "sign-in"
                if response.location.startswith("/auth/login")
                else ("detail" if response.location == f"/submissions/{number}" else response.location)
            )
        if response.status_code == 404:
            assert_not_found(response)
        return response.status_code

    base = f"/submissions/{number}"
    got = (outcome(client.get(base)), outcome(client.get(f"{base}/edit")), outcome(client.get(f"{base}/files/{revision_id}")))
    assert got == (detail, edit, download)
    if download == 200:
        response = client.get(f"{base}/files/{revision_id}")
        assert response.data == PDF
        assert response.headers["Content-Disposition"] == f"attachment; filename=longllm2024-{number}-paper-v1.pdf"


# --- withdraw and restore -----------------------------------------------------------------------------


def test_withdraw_asks_first_and_restore_works_until_the_deadline(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    smtp.clear()

    page = ada.get(f"/submissions/{number}/withdraw")
    assert f"Withdraw submission #{number}?" in text_of(page)
    assert state_shown(ada.get(f"/submissions/{number}")) == "submitted"  # opening the question changes nothing

    response = withdraw(ada, number)
    page = ada.get(response.location)
    assert flashes(page) == [f"Submission #{number} is withdrawn. You can restore it until the deadline."]
    assert state_shown(page) == "withdrawn"
    assert my_submissions(ada) == [(str(number), TITLE, "withdrawn")]
    assert "Restore the submission" in text_of(page)
    assert "Edit or upload a new version" not in text_of(page)

    page = ada.get(restore(ada, number).location)
    assert flashes(page) == [f"Submission #{number} is restored."]
    assert state_shown(page) == "submitted"
    assert subjects(smtp, "ada@example.org") == [
        f"[LongLLM 2024] Submission #{number} withdrawn: {TITLE}",
        f"[LongLLM 2024] Submission #{number} restored: {TITLE}",
    ]


def test_restore_after_the_deadline_is_refused(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    withdraw(ada, number)
    token = csrf_token(ada, f"/submissions/{number}")  # the page with the restore button stays open ...
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(minutes=1))
    smtp.clear()

    assert "Restore the submission" not in text_of(ada.get(f"/submissions/{number}"))
    # ... and its button is pressed after the deadline.
    response = ada.post(f"/submissions/{number}/restore", data={"csrf_token": token}, follow_redirects=True)
    assert flashes(response) == ["The submission deadline has passed, so a withdrawn submission stays withdrawn."]
    assert state_shown(response) == "withdrawn"
    assert smtp.messages == []


# --- author rows without JavaScript -------------------------------------------------------------------


def test_author_rows_can_be_added_moved_and_removed_without_javascript(open_app: Flask, ada: FlaskClient) -> None:
    data = new_form(ada, open_app, paper=None)
    grace = ("Grace Hopper", "grace@example.org", "Compiler Lab")

    response = post(ada, "/submissions/new", data | {"action": "add-author"})
    data = form_fields(response)
    assert response.status_code == 200 and problems(response) == []
    assert authors_in(data) == [person(ADA), ("", "", "")]
    assert (data["title"], data["abstract"]) == (TITLE, ABSTRACT)

    set_authors(data, [person(ADA), grace])
    data = form_fields(post(ada, "/submissions/new", data | {"action": "up-1"}))
    assert authors_in(data) == [grace, person(ADA)]

    data = form_fields(post(ada, "/submissions/new", data | {"action": "add-author"}))
    set_authors(data, [grace, person(ADA), ("Alan Turing", "alan@example.org", "Bletchley")])
    data = form_fields(post(ada, "/submissions/new", data | {"action": "remove-1"}))
    assert authors_in(data) == [grace, ("Alan Turing", "alan@example.org", "Bletchley")]
    data = form_fields(post(ada, "/submissions/new", data | {"action": "down-0"}))
    assert authors_in(data) == [("Alan Turing", "alan@example.org", "Bletchley"), grace]
    assert (data["title"], data["abstract"], data["keywords"]) == (TITLE, ABSTRACT, "long context, attention")
    assert stored(open_app) == NOTHING


# --- abstract registration ----------------------------------------------------------------------------


def test_abstract_registered_first_and_the_pdf_added_later(open_app: Flask, smtp: SMTPRecorder) -> None:
    set_date(open_app, DateKind.ABSTRACT_DEADLINE, utcnow() + timedelta(days=2))
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() + timedelta(days=5))
    ada = signed_in(open_app, ADA["email"])
    assert "Until the abstract deadline you may register the abstract first" in text_of(ada.get("/submissions/new"))

    response = submit(ada, open_app, paper=None)
    number = number_of(response)
    page = ada.get(response.location)
    assert state_shown(page) == "abstract registered"
    assert "No paper yet. Upload the PDF by the deadline." in text_of(page)
    assert my_submissions(ada) == [(str(number), TITLE, "abstract registered")]
    assert stored(open_app)["files"] == 0

    # The abstract deadline passes: no new submissions, but the PDF can still be added.
    set_date(open_app, DateKind.ABSTRACT_DEADLINE, utcnow() - timedelta(minutes=1))
    assert flashes(ada.get("/submissions/new", follow_redirects=True)) == ["The abstract registration deadline has passed."]
    response = post(ada, f"/submissions/{number}/edit", edit_form(ada, number, paper=upload(PDF)))
    page = ada.get(response.location)
    assert state_shown(page) == "submitted"
    assert revisions_shown(page) == [("paper", "4", sha(PDF))]
    assert subjects(smtp, "ada@example.org") == [
        f"[LongLLM 2024] Submission #{number} registered: {TITLE}",
        f"[LongLLM 2024] Submission #{number} updated: {TITLE}",
    ]


def test_submission_without_pdf_is_refused_without_an_abstract_deadline(
    open_app: Flask, ada: FlaskClient, smtp: SMTPRecorder
) -> None:
    response = submit(ada, open_app, paper=None)
    assert_refused_and_kept(response, open_app, smtp, ["Attach the paper as a PDF. Nothing was saved."])


# --- camera-ready -------------------------------------------------------------------------------------


def test_accepted_paper_gets_its_camera_ready_version(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    with open_app.test_request_context():
        decide_and_notify(db.session.scalar(sa.select(Workshop)), db.session.get(Submission, number), Decision.ACCEPTED)
        db.session.commit()
    set_date(open_app, DateKind.PAPER_DEADLINE, utcnow() - timedelta(days=1))
    set_date(open_app, DateKind.CAMERA_READY, utcnow() + timedelta(days=7))
    smtp.clear()

    page = ada.get(f"/submissions/{number}")
    assert state_shown(page) == "accepted"
    assert "Upload the camera-ready version" in text_of(page)
    page = ada.get(f"/submissions/{number}/camera-ready")
    assert page.status_code == 200
    data = form_fields(page)
    assert (data["title"], authors_in(data)) == (TITLE, [person(ADA)])

    data.update(title="Attention Sinks at One Million Tokens", action="save", paper=upload(NAMED_PDF))
    response = post(ada, f"/submissions/{number}/camera-ready", data)
    page = ada.get(response.location)
    assert flashes(page) == [f"The camera-ready version of #{number} is saved. A receipt is on its way."]
    assert re.search(r"<h1>Attention Sinks at One Million Tokens</h1>", page.get_data(as_text=True))
    assert revisions_shown(page) == [("paper", "4", sha(PDF)), ("camera-ready", "4", sha(NAMED_PDF))]
    [receipt] = smtp.wait_for(1)
    assert subject_of(receipt) == (
        f"[LongLLM 2024] Submission #{number} camera-ready version received: Attention Sinks at One Million Tokens"
    )
    assert f"Camera-ready: 4 pages, SHA-256 {sha(NAMED_PDF)}" in receipt.get_content()


def test_camera_ready_page_is_404_without_acceptance(open_app: Flask, smtp: SMTPRecorder) -> None:
    ada, number = submitted(open_app, ADA["email"])
    set_date(open_app, DateKind.CAMERA_READY, utcnow() + timedelta(days=7))
    assert "Upload the camera-ready version" not in text_of(ada.get(f"/submissions/{number}"))
    assert_not_found(ada.get(f"/submissions/{number}/camera-ready"), leaks=())


# --- the chair's list ---------------------------------------------------------------------------------


def test_chair_lists_every_submission_with_its_authors(open_app: Flask, smtp: SMTPRecorder) -> None:
    _, ada_number = submitted(open_app, ADA["email"], authors=[person(ADA), person(CORA)])
    bob, bob_number = submitted(open_app, BOB["email"], title="Bob's paper")
    chair = signed_in(open_app, CHAIR["email"])

    rows = table_rows(chair.get("/submissions/all"))
    assert [row[:5] for row in rows] == [
        [
            str(ada_number),
            TITLE,
            "Ada Lovelace (Analytical Society); Cora Coauthor (Engine Institute)",
            "Full paper",
            "submitted",
        ],
        [str(bob_number), "Bob's paper", "Bob Babbage (Difference College)", "Full paper", "submitted"],
    ]

    response = bob.get("/submissions/all")
    assert response.status_code == 403
    assert "Not allowed You do not have permission to do this." in text_of(response)
    assert TITLE not in response.get_data(as_text=True)
