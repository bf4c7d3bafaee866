"""Who may do what with a submission: every route of the submissions blueprint for an anonymous visitor, the
submitter, a co-author (an account whose address is on the author list), another author with submissions of
their own, a reviewer and a chair. What a person may not know exists is a 404 that leaks nothing (the
refused pages are checked for the titles, abstracts, names and addresses that could leak), and a refused POST
changes no row and no file. Downloads are attachments under a name the portal makes up, never sniffed,
sandboxed and never cached."""

from __future__ import annotations

import hashlib
import html as html_lib
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
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
    SubmissionAuthor,
    SubmissionState,
    User,
    Workshop,
)
from portal.services import submissions as svc
from portal.templating import format_datetime
from tests.conftest import SMTPRecorder, Worlds, csrf_token, text_of
from tests.factories import create_users, decide_and_notify, login
from tests.pdfs import make_pdf

SAM = {"email": "sam@example.org", "name": "Sam Submitter", "affiliation": "Paper College"}
CORA = {"email": "cora@example.org", "name": "Cora Coauthor", "affiliation": "Coauthor Institute"}
OTTO = {"email": "otto@example.org", "name": "Otto Other", "affiliation": "Elsewhere University"}
RITA = {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Review Institute", "roles": ("reviewer",)}
CARLA = {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Workshop University", "roles": ("chair",)}
# Co-authors without an account: they are on the author lists only.
HUGO = ("Hugo Hidden", "hugo@hidden.example", "Hidden Hugo Lab")
QUINN = ("Quinn Quiet", "quinn@quiet.example", "Quiet Quarry Labs")
EVE = ("Eve Intruder", "eve@intruder.example", "Intrusion Institute")  # what a refused edit tries to add

# Each owner has a submission under review, a withdrawn one and an accepted one (camera-ready open).
OWNERS = {
    "sam": {
        "submitter": SAM,
        "authors": [SAM, CORA, HUGO],
        "titles": {
            "live": "Ring Attention Beyond a Million Tokens",
            "withdrawn": "Sparse Recall in Long Dialogues",
            "accepted": "Positional Interpolation Revisited",
        },
    },
    "otto": {
        "submitter": OTTO,
        "authors": [OTTO, QUINN],
        "titles": {
            "live": "Secret Memory Layers for Endless Context",
            "withdrawn": "Secret Retrieval Caches at Scale",
            "accepted": "Secret Benchmarks for Long Documents",
        },
    },
}
KINDS = ("live", "withdrawn", "accepted")
MISSING = 999  # a number no submission has


def abstract_of(title: str) -> str:
    return f"Confidential abstract of “{title}”: the findings nobody else may read."


def leaks_of(owner: str) -> list[str]:
    """Everything about an owner's submissions that must not reach someone who may not see them."""
    spec = OWNERS[owner]
    found: list[str] = []
    for title in spec["titles"].values():
        found += [title, abstract_of(title)]
    for author in spec["authors"]:
        name, email, affiliation = author_tuple(author)
        found += [name, email, affiliation]
    return found


def author_tuple(author: dict[str, Any] | tuple[str, str, str]) -> tuple[str, str, str]:
    if isinstance(author, dict):
        return author["name"], author["email"], author["affiliation"]
    return author


# --- the world ----------------------------------------------------------------------------------------


@dataclass
class World:
    app: Flask
    numbers: dict[tuple[str, str], int]  # (owner, kind) -> submission number
    revisions: dict[int, int]  # submission number -> its paper's revision id
    pdfs: dict[int, bytes]  # submission number -> the uploaded bytes
    uploads: Path

    def number(self, owner: str, kind: str = "live") -> int:
        return self.numbers[(owner, kind)]


def open_submissions(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        now = utcnow()
        ws.dates.append(
            ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=3))
        )
        ws.dates.append(ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready deadline", at=now + timedelta(days=20)))
        db.session.commit()


# The world's PDFs are made once, and each is checked once per run: the check (a child process) is the slow part.
WORLD_PDFS = {
    (owner, kind): make_pdf(3, text=f"The paper {spec['titles'][kind]}.", title="Anonymous submission")
    for owner, spec in OWNERS.items()
    for kind in KINDS
}
_checked: dict[tuple[bytes, str], svc.CheckedFile] = {}


def create(app: Flask, submitter: dict[str, Any], authors: list[Any], title: str, pdf: bytes, filename: str = "paper.pdf") -> int:
    """A submission made through the service (as the form would), committed; its mail stays in the outbox."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        user = db.session.scalar(sa.select(User).where(User.email == submitter["email"]))
        assert ws is not None and user is not None
        rows = [svc.AuthorInput(*author_tuple(a)) for a in authors]
        details = svc.Details(
            title=title,
            abstract=abstract_of(title),
            type_id=ws.submission_types[0].id,
            primary_topic_id=ws.topics[0].id,
            secondary_topic_ids=[],
            keywords="long context",
            authors=rows,
            declared_conflicts="",
        )
        paper = _checked.get((pdf, filename)) or svc.check_paper(ws, ws.submission_types[0], rows, pdf, filename)
        _checked[(pdf, filename)] = paper
        sub = svc.create_submission(user, ws, details, paper=paper)
        db.session.commit()
        return sub.number


def set_state(app: Flask, number: int, kind: str) -> None:
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        sub = db.session.get(Submission, number)
        assert ws is not None and sub is not None and sub.submitter is not None
        if kind == "withdrawn":
            svc.withdraw_submission(sub.submitter, ws, sub)
        elif kind == "accepted":
            decide_and_notify(ws, sub, Decision.ACCEPTED)
        db.session.commit()


@pytest.fixture
def world(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build)


def build(app: Flask) -> World:
    create_users(app, SAM, CORA, OTTO, RITA, CARLA)
    open_submissions(app)
    numbers, revisions, pdfs = {}, {}, {}
    for owner, spec in OWNERS.items():
        for kind in KINDS:
            title = spec["titles"][kind]
            pdf = WORLD_PDFS[(owner, kind)]
            number = create(app, spec["submitter"], spec["authors"], title, pdf, f"{owner} {kind} final.pdf")
            set_state(app, number, kind)
            numbers[(owner, kind)], pdfs[number] = number, pdf
    with app.app_context():
        for number, revision_id in db.session.execute(sa.select(Revision.submission_id, Revision.id)):
            revisions[number] = revision_id
    return World(app, numbers, revisions, pdfs, Path(app.config["UPLOAD_FOLDER"]))


def snapshot(world: World) -> dict[str, Any]:
    """Every row a submissions route may change, the outbox, and every stored file with its checksum."""
    with world.app.app_context():

        def rows(*columns: Any) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in db.session.execute(sa.select(*columns).order_by(*columns[:2]))]

        data: dict[str, Any] = {
            "submissions": rows(
                Submission.id,
                Submission.title,
                Submission.abstract,
                Submission.state,
                Submission.decision,
                Submission.deadline_override,
                Submission.updated_at,
                Submission.withdrawn_at,
                Submission.version,
                Submission.submitter_id,
                Submission.type_id,
                Submission.primary_topic_id,
            ),
            "authors": rows(
                SubmissionAuthor.submission_id,
                SubmissionAuthor.position,
                SubmissionAuthor.name,
                SubmissionAuthor.email,
                SubmissionAuthor.affiliation,
            ),
            "revisions": rows(Revision.id, Revision.submission_id, Revision.kind, Revision.file_id, Revision.reviewer_file_id),
            "stored_files": rows(StoredFile.id, StoredFile.storage_key, StoredFile.sha256, StoredFile.size),
            "outbox": rows(OutgoingEmail.id, OutgoingEmail.recipients, OutgoingEmail.subject, OutgoingEmail.state),
        }
    data["files"] = {
        str(p.relative_to(world.uploads)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(world.uploads.rglob("*"))
        if p.is_file()
    }
    return data


# --- requests -----------------------------------------------------------------------------------------


def signed_in(app: Flask, person: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    assert not login(client, person["email"]).headers["Location"].startswith("/auth/")  # signed in, landed
    return client


def form_data(
    world: World, number: int, *, title: str, extra: tuple[str, str, str] | None = None, paper: bytes | None = None
) -> dict[str, Any]:
    """What the edit (or camera-ready) form of ``number`` posts, with a new title, perhaps one more author, and
    perhaps a new PDF. For a number that does not exist, the fields of another submission."""
    with world.app.app_context():
        sub = db.session.get(Submission, number) or db.session.get(Submission, world.number("otto"))
        assert sub is not None
        data: dict[str, Any] = {
            "action": "save",
            "title": title,
            "abstract": f"{sub.abstract} Changed.",
            "type": str(sub.type_id),
            "primary_topic": str(sub.primary_topic_id),
            "keywords": "changed",
            "declared_conflicts": "",
            "version": str(sub.version),
        }
        authors = [(a.name, a.email, a.affiliation) for a in sub.authors] + ([extra] if extra else [])
    for i, (name, email, affiliation) in enumerate(authors):
        data |= {f"authors-{i}-name": name, f"authors-{i}-email": email, f"authors-{i}-affiliation": affiliation}
    if paper is not None:
        data["paper"] = (io.BytesIO(paper), "replacement.pdf")
    return data


HIJACK_PDF = make_pdf(2, text="A replacement nobody asked for.")


def intruder_data(world: World, what: str, number: int) -> dict[str, Any]:
    """The form a person not allowed to act would post: each would change rows and files if it went through."""
    if what == "edit":
        return form_data(world, number, title="Hijacked title", extra=EVE, paper=HIJACK_PDF)
    if what == "camera":
        return form_data(world, number, title="Hijacked camera-ready", extra=EVE, paper=HIJACK_PDF)
    if what == "extension":
        return {"until": (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")}
    if what == "new":
        return NEW_PAPER | {"paper": (io.BytesIO(HIJACK_PDF), "new.pdf")}
    return {}


def send(client: FlaskClient, method: str, path: str, data: dict[str, Any] | None, token_page: str) -> TestResponse:
    if method == "GET":
        return client.get(path)
    # A valid CSRF token of this session, so a refusal comes from the permission check, not from CSRF.
    token = csrf_token(client, token_page)
    return client.post(path, data={"csrf_token": token, **(data or {})}, content_type="multipart/form-data")


def assert_no_leak(response: TestResponse, leaks: list[str]) -> None:
    seen = response.get_data(as_text=True) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    found = [secret for secret in leaks if secret in seen]
    assert found == []


def assert_not_found(response: TestResponse) -> None:
    assert response.status_code == 404
    assert "Error 404 Page not found There is nothing at this address." in text_of(response)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def flashes(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    return [html_lib.unescape(m) for m in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)]


# (method, path, intruder form, which submission of the owner): every route about one submission.
OBJECT_ROUTES = [
    ("GET", "/submissions/{n}", None, "live"),
    ("GET", "/submissions/{n}/edit", None, "live"),
    ("POST", "/submissions/{n}/edit", "edit", "live"),
    ("GET", "/submissions/{n}/withdraw", None, "live"),
    ("POST", "/submissions/{n}/withdraw", "confirm", "live"),
    ("POST", "/submissions/{n}/restore", "confirm", "withdrawn"),
    ("GET", "/submissions/{n}/files/{rev}", None, "live"),
    ("GET", "/submissions/{n}/camera-ready", None, "accepted"),
    ("POST", "/submissions/{n}/camera-ready", "camera", "accepted"),
    ("POST", "/submissions/{n}/extension", "extension", "live"),
]
OBJECT_IDS = [f"{method} {path.replace('{n}', kind)}" for method, path, _, kind in OBJECT_ROUTES]
NEW_PAPER = {
    "action": "save",
    "title": "An anonymous intruder's paper",
    "abstract": "Posted without signing in.",
    "authors-0-name": EVE[0],
    "authors-0-email": EVE[1],
    "authors-0-affiliation": EVE[2],
}
GLOBAL_ROUTES = [
    ("GET", "/submissions/", None),
    ("GET", "/submissions/new", None),
    ("POST", "/submissions/new", "new"),
    ("GET", "/submissions/all", None),
]


def path_of(world: World, path: str, number: int) -> str:
    return path.format(n=number, rev=world.revisions.get(number, world.revisions[world.number("otto")]))


# --- anonymous ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "form", "kind"),
    [*OBJECT_ROUTES, *[(m, p, f, "live") for m, p, f in GLOBAL_ROUTES]],
    ids=[*OBJECT_IDS, *[f"{m} {p}" for m, p, _ in GLOBAL_ROUTES]],
)
def test_anonymous_visitor_is_sent_to_sign_in_and_nothing_changes(
    world: World, smtp: SMTPRecorder, method: str, path: str, form: str | None, kind: str
) -> None:
    number = world.number("sam", kind)
    path = path_of(world, path, number)
    data = intruder_data(world, form, number) if form else None
    client = world.app.test_client()
    before = snapshot(world)

    response = send(client, method, path, data, "/auth/login")

    assert response.status_code == 302
    expected = f"/auth/login?next={quote(path, safe='')}" if method == "GET" else "/auth/login"
    assert response.headers["Location"] == expected
    assert_no_leak(response, leaks_of("sam") + leaks_of("otto"))
    login_page = client.get(response.headers["Location"])
    assert "Please sign in to see this page." in text_of(login_page)
    assert_no_leak(login_page, leaks_of("sam") + leaks_of("otto"))
    assert snapshot(world) == before
    assert smtp.messages == []


# --- people who may not know the submission exists ----------------------------------------------------

# (who, signed in as, whose submissions they try)
OUTSIDERS = [
    pytest.param(OTTO, "sam", id="another-author"),
    pytest.param(RITA, "sam", id="reviewer"),
    pytest.param(SAM, "otto", id="submitter-of-others"),
    pytest.param(CORA, "otto", id="coauthor-of-others"),
]


@pytest.mark.parametrize(("person", "owner"), OUTSIDERS)
@pytest.mark.parametrize(("method", "path", "form", "kind"), OBJECT_ROUTES, ids=OBJECT_IDS)
def test_someone_elses_submission_is_not_found_leaks_nothing_and_changes_nothing(
    world: World,
    smtp: SMTPRecorder,
    person: dict[str, Any],
    owner: str,
    method: str,
    path: str,
    form: str | None,
    kind: str,
) -> None:
    number = world.number(owner, kind)
    client = signed_in(world.app, person)
    data = intruder_data(world, form, number) if form else None
    before = snapshot(world)

    response = send(client, method, path_of(world, path, number), data, "/account/profile")

    assert_not_found(response)
    assert f"{person['name']} Sign out" in text_of(response)  # still signed in
    assert_no_leak(response, leaks_of(owner))
    assert world.pdfs[number] not in response.get_data()
    assert snapshot(world) == before
    assert smtp.messages == []


EVERYONE = [
    pytest.param(p, id=i)
    for p, i in [(SAM, "submitter"), (CORA, "coauthor"), (OTTO, "other-author"), (RITA, "reviewer"), (CARLA, "chair")]
]


@pytest.mark.parametrize("person", EVERYONE)
def test_a_number_that_does_not_exist_is_not_found_on_every_route_and_changes_nothing(
    world: World, smtp: SMTPRecorder, person: dict[str, Any]
) -> None:
    client = signed_in(world.app, person)
    before = snapshot(world)
    seen = {}

    for (method, path, form, _), route in zip(OBJECT_ROUTES, OBJECT_IDS, strict=True):
        data = intruder_data(world, form, MISSING) if form else None
        response = send(client, method, path_of(world, path, MISSING), data, "/account/profile")
        page = text_of(response)
        seen[route] = (response.status_code, "Error 404 Page not found There is nothing at this address." in page)

    assert seen == dict.fromkeys(OBJECT_IDS, (404, True))
    assert snapshot(world) == before
    assert smtp.messages == []


@pytest.mark.parametrize("person", [SAM, CORA, OTTO, RITA], ids=["submitter", "coauthor", "other-author", "reviewer"])
def test_someone_elses_number_looks_exactly_like_a_missing_one(world: World, person: dict[str, Any]) -> None:
    owner = "otto" if person in (SAM, CORA) else "sam"
    client = signed_in(world.app, person)
    for suffix in ("", "/edit", "/withdraw", "/camera-ready", f"/files/{world.revisions[world.number(owner)]}"):
        others = client.get(f"/submissions/{world.number(owner)}{suffix}")
        missing = client.get(f"/submissions/{MISSING}{suffix}")
        assert others.status_code == missing.status_code == 404
        assert text_of(others) == text_of(missing)


# --- lists --------------------------------------------------------------------------------------------


def list_rows(response: TestResponse) -> list[tuple[str, str, str]]:
    """(number, title, state) of each row of "My submissions"."""
    html = response.get_data(as_text=True)
    return re.findall(
        r'<td class="num">(\d+)</td>\s*<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*'
        r'<td><span class="badge[^"]*">([^<]+)</span>',
        html,
    )


def rows_of(world: World, owner: str) -> list[tuple[str, str, str]]:
    states = {"live": "submitted", "withdrawn": "withdrawn", "accepted": "accepted"}
    return [(str(world.number(owner, k)), OWNERS[owner]["titles"][k], states[k]) for k in KINDS]


@pytest.mark.parametrize(
    ("person", "owner"), [(SAM, "sam"), (CORA, "sam"), (OTTO, "otto")], ids=["submitter", "coauthor", "other-author"]
)
def test_my_submissions_lists_only_the_persons_own_papers(world: World, person: dict[str, Any], owner: str) -> None:
    response = signed_in(world.app, person).get("/submissions/")

    assert response.status_code == 200
    assert list_rows(response) == rows_of(world, owner)
    assert_no_leak(response, leaks_of("otto" if owner == "sam" else "sam"))


@pytest.mark.parametrize("person", [RITA, CARLA], ids=["reviewer", "chair"])
def test_my_submissions_of_someone_without_papers_lists_nothing(world: World, person: dict[str, Any]) -> None:
    response = signed_in(world.app, person).get("/submissions/")

    assert response.status_code == 200
    assert list_rows(response) == []
    assert f"You have no submissions yet. Papers on which a co-author lists your address ({person['email']})" in (
        text_of(response)
    )
    assert_no_leak(response, leaks_of("sam") + leaks_of("otto"))


@pytest.mark.parametrize("person", EVERYONE)
def test_everyone_signed_in_may_open_a_new_submission_prefilled_with_themselves(world: World, person: dict[str, Any]) -> None:
    response = signed_in(world.app, person).get("/submissions/new")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'name="authors-0-email" type="email" value="{person["email"]}"' in html
    assert "Submit the paper" in text_of(response)
    assert_no_leak(response, [s for s in leaks_of("sam") + leaks_of("otto") if s not in author_tuple(person)])


@pytest.mark.parametrize("person", [SAM, CORA, OTTO, RITA], ids=["submitter", "coauthor", "other-author", "reviewer"])
def test_all_submissions_is_forbidden_to_everyone_but_chairs(world: World, person: dict[str, Any]) -> None:
    response = signed_in(world.app, person).get("/submissions/all")

    assert response.status_code == 403
    assert "Error 403 Not allowed You do not have permission to do this." in text_of(response)
    assert_no_leak(response, [s for s in leaks_of("sam") + leaks_of("otto") if s not in author_tuple(person)])


def test_chair_sees_every_submission_with_its_authors_and_paper(world: World) -> None:
    response = signed_in(world.app, CARLA).get("/submissions/all")

    assert response.status_code == 200
    page = text_of(response)
    assert "6 submissions; deadline" in page
    html = response.get_data(as_text=True)
    for owner, spec in OWNERS.items():
        people = "; ".join(f"{n} ({a})" for n, _, a in map(author_tuple, spec["authors"]))
        for kind, title in spec["titles"].items():
            number = world.number(owner, kind)
            assert f"{number} {title} {people} Full paper" in page
            assert f'href="/submissions/{number}/files/{world.revisions[number]}">PDF</a>' in html


# --- the authors --------------------------------------------------------------------------------------

AUTHORS = [pytest.param(SAM, id="submitter"), pytest.param(CORA, id="coauthor")]


@pytest.mark.parametrize("person", AUTHORS)
def test_author_sees_the_submission_with_its_actions(world: World, person: dict[str, Any]) -> None:
    number = world.number("sam")
    response = signed_in(world.app, person).get(f"/submissions/{number}")

    assert response.status_code == 200
    page = text_of(response)
    assert f"Submission #{number} · submitted {OWNERS['sam']['titles']['live']} Changes possible until" in page
    assert (
        "Authors Sam Submitter (Paper College) <sam@example.org> Cora Coauthor (Coauthor Institute) "
        "<cora@example.org> Hugo Hidden (Hidden Hugo Lab) <hugo@hidden.example>"
    ) in page
    assert "Edit or upload a new version" in page
    assert "Withdraw the submission" in page
    assert "Chairs: deadline for this submission" not in page
    assert_no_leak(response, leaks_of("otto"))


@pytest.mark.parametrize("person", AUTHORS)
def test_author_edits_the_submission_and_gets_the_receipt(world: World, smtp: SMTPRecorder, person: dict[str, Any]) -> None:
    number = world.number("sam")
    client = signed_in(world.app, person)
    form = client.get(f"/submissions/{number}/edit")
    assert form.status_code == 200
    assert f"Edit submission #{number}" in text_of(form)

    data = form_data(world, number, title="Ring Attention, Revised", paper=make_pdf(4))
    response = client.post(
        f"/submissions/{number}/edit",
        data={"csrf_token": csrf_token(client, f"/submissions/{number}/edit"), **data},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/submissions/{number}"
    with world.app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None
        assert (sub.title, [r.pages for r in sub.revisions]) == ("Ring Attention, Revised", [3, 4])
    [receipt] = smtp.wait_for(1)
    assert (receipt["To"], receipt["Subject"].strip()) == (
        person["email"],
        f"[LongLLM 2024] Submission #{number} updated: Ring Attention, Revised",
    )


@pytest.mark.parametrize("person", AUTHORS)
def test_author_withdraws_and_restores_the_submission(world: World, smtp: SMTPRecorder, person: dict[str, Any]) -> None:
    number = world.number("sam")
    client = signed_in(world.app, person)
    confirm = client.get(f"/submissions/{number}/withdraw")
    assert confirm.status_code == 200
    assert f"Withdraw submission #{number}? “{OWNERS['sam']['titles']['live']}” will not be reviewed." in (text_of(confirm))

    response = send(client, "POST", f"/submissions/{number}/withdraw", {}, f"/submissions/{number}/withdraw")
    assert response.headers["Location"] == f"/submissions/{number}"
    assert flashes(client.get(response.headers["Location"])) == [
        f"Submission #{number} is withdrawn. You can restore it until the deadline."
    ]
    others = sorted(e for e in (author_tuple(a)[1] for a in OWNERS["sam"]["authors"]) if e != person["email"])
    title = OWNERS["sam"]["titles"]["live"]
    withdrawn = smtp.wait_for(2)
    # The receipt to who did it, and a notice to every other author: no co-author withdraws a paper in silence.
    assert sorted((m["Subject"].strip(), sorted(str(m["To"]).split(", "))) for m in withdrawn) == sorted(
        [
            (f"[LongLLM 2024] Submission #{number} withdrawn: {title}", [person["email"]]),
            (f"[LongLLM 2024] Submission #{number}: it was withdrawn", others),
        ]
    )
    smtp.clear()

    response = send(client, "POST", f"/submissions/{number}/restore", {}, "/account/profile")
    assert response.headers["Location"] == f"/submissions/{number}"
    page = client.get(response.headers["Location"])
    with world.app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None
        state = (sub.state, sub.withdrawn_at is None)
    if person is not SAM:
        # Only the submitter (or a chair) undoes a withdrawal: the co-author is told so, and nothing changes.
        assert flashes(page) == ["Only the author who submitted this paper, or a chair, can restore it."]
        assert state == (SubmissionState.WITHDRAWN, False)
        assert smtp.wait_for(1, timeout=0.5) == []
        return
    assert flashes(page) == [f"Submission #{number} is restored."]
    assert state == (SubmissionState.SUBMITTED, True)
    # (A subject that fits on the continuation line alone is folded right after "Subject:"; the parser keeps
    # the fold's space, which a mail client's unfolding turns into the usual one after the colon.)
    assert sorted(m["Subject"].strip() for m in smtp.wait_for(2)) == [
        f"[LongLLM 2024] Submission #{number} restored: {title}",
        f"[LongLLM 2024] Submission #{number}: it was restored after a withdrawal",
    ]


@pytest.mark.parametrize("person", AUTHORS)
def test_author_opens_camera_ready_only_for_the_accepted_paper(world: World, person: dict[str, Any]) -> None:
    client = signed_in(world.app, person)
    accepted = world.number("sam", "accepted")

    response = client.get(f"/submissions/{accepted}/camera-ready")
    assert response.status_code == 200
    assert f"Camera-ready version of #{accepted} Congratulations!" in text_of(response)

    assert_not_found(client.get(f"/submissions/{world.number('sam')}/camera-ready"))


def test_submitter_uploads_the_camera_ready_version(world: World, smtp: SMTPRecorder) -> None:
    number = world.number("sam", "accepted")
    client = signed_in(world.app, SAM)
    final = make_pdf(5, text="Final version by Sam Submitter, Paper College.")
    data = form_data(world, number, title="Positional Interpolation Revisited (final)", paper=final)

    response = send(client, "POST", f"/submissions/{number}/camera-ready", data, f"/submissions/{number}/camera-ready")

    assert response.headers["Location"] == f"/submissions/{number}"
    with world.app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None
        assert [(r.kind.value, r.pages) for r in sub.revisions] == [("paper", 3), ("camera_ready", 5)]
        assert sub.title == "Positional Interpolation Revisited (final)"
    assert smtp.wait_for(1)[0]["Subject"] == (
        f"[LongLLM 2024] Submission #{number} camera-ready version received: Positional Interpolation Revisited (final)"
    )


@pytest.mark.parametrize("person", AUTHORS)
def test_author_may_not_extend_the_deadline(world: World, smtp: SMTPRecorder, person: dict[str, Any]) -> None:
    number = world.number("sam")
    client = signed_in(world.app, person)
    before = snapshot(world)

    response = send(
        client, "POST", f"/submissions/{number}/extension", intruder_data(world, "extension", number), "/account/profile"
    )

    assert response.status_code == 403  # the author may see the submission, not act as a chair on it
    assert "Error 403 Not allowed You do not have permission to do this." in text_of(response)
    assert snapshot(world) == before
    assert smtp.messages == []


def test_coauthor_removed_from_the_list_loses_access(world: World) -> None:
    number = world.number("sam")
    client = signed_in(world.app, SAM)
    data = form_data(world, number, title=OWNERS["sam"]["titles"]["live"])
    data = {k: v for k, v in data.items() if not k.startswith("authors-")} | {
        "authors-0-name": SAM["name"],
        "authors-0-email": SAM["email"],
        "authors-0-affiliation": SAM["affiliation"],
    }
    assert send(client, "POST", f"/submissions/{number}/edit", data, "/account/profile").status_code == 302

    cora = signed_in(world.app, CORA)
    response = cora.get(f"/submissions/{number}")
    assert_not_found(response)
    assert_no_leak(response, [OWNERS["sam"]["titles"]["live"], abstract_of(OWNERS["sam"]["titles"]["live"])])
    assert str(number) not in [n for n, _, _ in list_rows(cora.get("/submissions/"))]


def test_every_author_hears_of_an_author_list_change_the_removed_one_included(world: World, smtp: SMTPRecorder) -> None:
    number = world.number("sam")
    client = signed_in(world.app, CORA)  # a co-author acts
    data = form_data(world, number, title=OWNERS["sam"]["titles"]["live"], extra=("Nina New", "nina@newlab.example", "New Lab"))
    data = {k: v for k, v in data.items() if not k.startswith("authors-2-")}  # Hugo is taken off
    data |= {"authors-2-name": "Nina New", "authors-2-email": "nina@newlab.example", "authors-2-affiliation": "New Lab"}
    data = {k: v for k, v in data.items() if not k.startswith("authors-3-")}

    assert send(client, "POST", f"/submissions/{number}/edit", data, "/account/profile").status_code == 302

    mails = smtp.wait_for(3)
    notice = next(m for m in mails if "its author list changed" in m["Subject"])
    # Sam (the submitter), Hugo (taken off) and Nina (added) hear of it; Cora, who did it, has her receipt.
    assert sorted(str(notice["To"]).split(", ")) == ["hugo@hidden.example", "nina@newlab.example", "sam@example.org"]
    body = notice.get_content().replace("\r\n", "\n")
    assert "Taken off the author list:\n  - Hugo Hidden <hugo@hidden.example>" in body
    assert "Added to the author list:\n  - Nina New <nina@newlab.example>" in body
    assert [m["Subject"].strip() for m in mails if str(m["To"]) == "nina@newlab.example"] == [
        f"[LongLLM 2024] You are an author of submission #{number}"
    ]


def test_notices_to_new_authors_are_limited_per_account_and_hour(world: World, smtp: SMTPRecorder) -> None:
    number = world.number("sam")
    with world.app.app_context():  # the notices Sam's own submissions sent this hour (to Cora and Hugo)
        told = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutgoingEmail)
            .where(OutgoingEmail.kind == "coauthor_notice", OutgoingEmail.reply_to == SAM["email"])
        )
    world.app.config["COAUTHOR_NOTICES_PER_HOUR"] = told + 1
    client = signed_in(world.app, SAM)
    first = form_data(world, number, title="One more author", extra=("Nina New", "nina@newlab.example", "New Lab"))
    assert send(client, "POST", f"/submissions/{number}/edit", first, "/account/profile").status_code == 302
    before = snapshot(world)
    smtp.clear()

    second = form_data(world, number, title="Yet another", extra=("Olga Other", "olga@otherlab.example", "Other Lab"))
    response = send(client, "POST", f"/submissions/{number}/edit", second, "/account/profile")

    assert response.status_code == 422
    assert (
        f"This would tell 1 new author of the paper, and {told + 1} were told in the last hour: at most {told + 1} an "
        "hour may be. Add the other authors in an hour, or write to the chairs. Nothing was saved."
    ) in text_of(response)
    assert snapshot(world) == before
    assert smtp.wait_for(1, timeout=0.5) == []


# --- the chair ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("owner", "kind"), [("sam", "live"), ("otto", "live"), ("otto", "withdrawn")])
def test_chair_sees_any_submission_and_may_extend_but_not_edit(world: World, owner: str, kind: str) -> None:
    number = world.number(owner, kind)
    response = signed_in(world.app, CARLA).get(f"/submissions/{number}")

    assert response.status_code == 200
    page = text_of(response)
    assert f"{OWNERS[owner]['titles'][kind]}" in page
    for name, email, affiliation in map(author_tuple, OWNERS[owner]["authors"]):
        assert f"{name} ({affiliation}) <{email}>" in page
    assert "Chairs: deadline for this submission" in page
    assert "Edit or upload a new version" not in page
    assert "Withdraw the submission" not in page
    # A chair restores a paper withdrawn by mistake (the authors may have asked): only that action.
    assert ("Restore the submission" in page) == (kind == "withdrawn")


def test_chair_restores_a_withdrawn_paper_even_after_the_deadline_and_every_author_hears(
    world: World, smtp: SMTPRecorder
) -> None:
    number = world.number("otto", "withdrawn")
    client = signed_in(world.app, CARLA)
    with world.app.app_context():
        sub = db.session.get(Submission, number)
        sub.deadline_override = None
        ws = db.session.scalar(sa.select(Workshop))
        date = ws.date_of(DateKind.PAPER_DEADLINE)
        date.at = utcnow() - timedelta(days=1)
        db.session.commit()

    response = send(client, "POST", f"/submissions/{number}/restore", {}, f"/submissions/{number}")

    assert flashes(client.get(response.headers["Location"])) == [f"Submission #{number} is restored."]
    with world.app.app_context():
        assert db.session.get(Submission, number).state == SubmissionState.SUBMITTED
    notice = next(m for m in smtp.wait_for(2) if "it was restored" in m["Subject"])
    assert sorted(str(notice["To"]).split(", ")) == sorted(author_tuple(a)[1] for a in OWNERS["otto"]["authors"])


def test_chair_extends_the_deadline_of_one_submission(world: World) -> None:
    number = world.number("otto")
    client = signed_in(world.app, CARLA)
    with world.app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        local = (utcnow() + timedelta(days=10)).astimezone(ws.zone).replace(second=0, microsecond=0)
        expected = format_datetime(local)

    response = send(
        client, "POST", f"/submissions/{number}/extension", {"until": local.strftime("%Y-%m-%d %H:%M")}, f"/submissions/{number}"
    )

    assert response.headers["Location"] == f"/submissions/{number}"
    assert flashes(client.get(response.headers["Location"])) == [f"Submission #{number} may now be changed until {expected}."]
    with world.app.app_context():
        override = db.session.scalar(sa.select(Submission.deadline_override).where(Submission.id == number))
    assert override == local


# The author-only routes, as a chair who is not an author of the submission tries them.
AUTHOR_ONLY = [
    r
    for r in zip(OBJECT_ROUTES, OBJECT_IDS, strict=True)
    if r[0][1]
    not in ("/submissions/{n}", "/submissions/{n}/files/{rev}", "/submissions/{n}/extension", "/submissions/{n}/restore")
]


@pytest.mark.parametrize(("method", "path", "form", "kind"), [r for r, _ in AUTHOR_ONLY], ids=[i for _, i in AUTHOR_ONLY])
def test_chair_may_not_edit_withdraw_restore_or_upload_and_nothing_changes(
    world: World, smtp: SMTPRecorder, method: str, path: str, form: str | None, kind: str
) -> None:
    number = world.number("sam", kind)
    client = signed_in(world.app, CARLA)
    before = snapshot(world)

    response = send(
        client, method, path_of(world, path, number), intruder_data(world, form, number) if form else None, "/account/profile"
    )

    if path.endswith("/edit"):
        # The edit form is not shown: back to the submission with a message.
        assert response.headers["Location"] == f"/submissions/{number}"
        assert flashes(client.get(response.headers["Location"])) == ["Only the authors can change a submission."]
    else:
        # She may see the submission, so not "not found": forbidden.
        assert response.status_code == 403
        assert "Error 403 Not allowed You do not have permission to do this." in text_of(response)
    assert snapshot(world) == before
    assert smtp.messages == []


def test_chair_who_is_an_author_may_not_extend_their_own_deadline(world: World, smtp: SMTPRecorder) -> None:
    number = create(world.app, CARLA, [CARLA, HUGO], "The Chair's Own Paper", make_pdf(2))
    client = signed_in(world.app, CARLA)
    assert "Chairs: deadline for this submission" not in text_of(client.get(f"/submissions/{number}"))
    before = snapshot(world)

    response = send(
        client, "POST", f"/submissions/{number}/extension", intruder_data(world, "extension", number), "/account/profile"
    )

    assert response.status_code == 403
    assert snapshot(world) == before


# --- downloads ----------------------------------------------------------------------------------------


def assert_download(response: TestResponse, name: str, data: bytes) -> None:
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.get_data() == data


@pytest.mark.parametrize(
    ("person", "owner"),
    [(SAM, "sam"), (CORA, "sam"), (OTTO, "otto"), (CARLA, "sam"), (CARLA, "otto")],
    ids=["submitter", "coauthor", "other-author-own", "chair-sams", "chair-ottos"],
)
def test_download_is_a_sandboxed_uncached_attachment_with_the_uploaded_bytes(
    world: World, person: dict[str, Any], owner: str
) -> None:
    number = world.number(owner)
    client = signed_in(world.app, person)

    response = client.get(f"/submissions/{number}/files/{world.revisions[number]}")

    assert_download(response, f"longllm2024-{number}-paper-v1.pdf", world.pdfs[number])


def test_download_names_each_revision_by_its_position(world: World) -> None:
    number = world.number("sam")
    client = signed_in(world.app, SAM)
    second = make_pdf(4, text="The second version.")
    data = form_data(world, number, title=OWNERS["sam"]["titles"]["live"], paper=second)
    assert send(client, "POST", f"/submissions/{number}/edit", data, "/account/profile").status_code == 302
    with world.app.app_context():
        first_id, second_id = db.session.scalars(
            sa.select(Revision.id).where(Revision.submission_id == number).order_by(Revision.id)
        ).all()

    assert_download(
        client.get(f"/submissions/{number}/files/{first_id}"), f"longllm2024-{number}-paper-v1.pdf", world.pdfs[number]
    )
    assert_download(client.get(f"/submissions/{number}/files/{second_id}"), f"longllm2024-{number}-paper-v2.pdf", second)


@pytest.mark.parametrize("person", [SAM, CORA, CARLA], ids=["submitter", "coauthor", "chair"])
def test_revision_of_another_submission_is_not_found_under_an_own_number(world: World, person: dict[str, Any]) -> None:
    own, others = world.number("sam"), world.number("otto")
    client = signed_in(world.app, person)

    for revision_id in (world.revisions[others], world.revisions[world.number("sam", "withdrawn")], 10_000):
        response = client.get(f"/submissions/{own}/files/{revision_id}")
        assert_not_found(response)
        assert world.pdfs[others] not in response.get_data()
        assert "Content-Disposition" not in response.headers
        if person is not CARLA:
            assert_no_leak(response, leaks_of("otto"))


def test_stored_files_are_named_by_random_keys_never_by_the_users_file_name(world: World, tmp_path: Path) -> None:
    client = signed_in(world.app, OTTO)
    number = world.number("otto")
    data = form_data(world, number, title=OWNERS["otto"]["titles"]["live"])
    data["paper"] = (io.BytesIO(make_pdf(2, text="Traversal attempt.")), "../../../outside Otto's paper.pdf")
    assert send(client, "POST", f"/submissions/{number}/edit", data, "/account/profile").status_code == 302

    with world.app.app_context():
        files = db.session.execute(sa.select(StoredFile.storage_key, StoredFile.original_name)).all()
        latest = db.session.scalar(
            sa.select(Revision).where(Revision.submission_id == number).order_by(Revision.id.desc()).limit(1)
        )
        assert latest is not None
        assert latest.file.original_name == "../../../outside Otto's paper.pdf"  # kept as text for the record
    keys = {key for key, _ in files}
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    on_disk = [p for p in world.uploads.rglob("*") if p.is_file()]
    assert sorted(p.name for p in on_disk) == sorted(keys)
    assert all(p.parent.name == p.name[:2] for p in on_disk)  # two-level fan-out by key
    # Nothing was written beside the upload folder (but the SQLite database), whatever the name said.
    assert [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.is_relative_to(world.uploads) and not p.name.startswith("portal.sqlite3")
    ] == []
    response = client.get(f"/submissions/{number}/files/{latest.id}")
    assert response.headers["Content-Disposition"] == f"attachment; filename=longllm2024-{number}-paper-v2.pdf"
    # No name a file was uploaded under appears on disk.
    names = [name for _, name in files if name]
    assert sorted(names) == sorted([*(f"{o} {k} final.pdf" for o in OWNERS for k in KINDS), "../../../outside Otto's paper.pdf"])
    assert [str(p) for p in on_disk if any(Path(n).stem in str(p) for n in names)] == []
