"""Regression tests for real vulnerability classes, each written against the attack itself (issue 9, point 3).

What other modules already prove is not repeated here (the documentation's trust suite, docs/dev/testing.md, names the
test that covers each). This module adds what was missing: every file URL with another paper's ids, disguised
uploads at every upload point, the headers of every served file, stored XSS through every text field that
reaches a page, identities in mails, files, metadata and searches, formula cells in every CSV export, line
breaks that try to reach a mail header, a spoofed X-Forwarded-For against the sign-in limit, login CSRF, open
redirects in their encoded forms, a reset link posted twice, a session cookie replayed after sign-out, and the
cache headers of every page a signed-in person can open.
"""

from __future__ import annotations

import csv
import hashlib
import html as html_lib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from werkzeug.routing import AnyConverter
from werkzeug.test import TestResponse

from portal import emails
from portal.db import db, utcnow
from portal.models import (
    REVIEW_FIELDS,
    DateKind,
    Decision,
    FileKind,
    ImportantDate,
    Letter,
    LoginFailure,
    OutgoingEmail,
    Person,
    Phase,
    ReviewState,
    Revision,
    SponsorInquiry,
    StoredFile,
    Submission,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from portal.queries import assignment_of
from portal.services import assignments, discussion, reviews
from portal.services import submissions as svc
from tests.conftest import CSRF_INPUT_RE, SMTPRecorder, Worlds, csrf_token, mail_links, post_form, text_of
from tests.factories import PASSWORD, create_users, decide_and_notify, login, make_user
from tests.pdfs import make_pdf

# --- people -------------------------------------------------------------------------------------------

ADA = {"email": "ada@example.org", "name": "Ada Author", "affiliation": "Alpha Institute"}
BOB = {"email": "bob@example.org", "name": "Bob Bauthor", "affiliation": "Beta College"}
CORA = {"email": "cora@example.org", "name": "Cora Coauthor", "affiliation": "Coauthor Lab"}
RITA = {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Rita Research Centre", "roles": ("reviewer",)}
REX = {"email": "rex@example.org", "name": "Rex Reader", "affiliation": "Reader University", "roles": ("reviewer",)}
UNA = {"email": "una@example.org", "name": "Una Unassigned", "affiliation": "Una Polytechnic", "roles": ("reviewer",)}
CARLA = {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Chair University", "roles": ("chair",)}
# Conflicts and authorship follow the person: Mo (also a reviewer) and Cleo (a second chair) are authors of paper A
# by the address (and Mo by the affiliation) on its author list, which they confirmed, then changed (EARLIER);
# Dora reviews A and has not submitted a review.
MO = {"email": "mo.new@example.org", "name": "Mo Wanderer", "affiliation": "Newplace University", "roles": ("reviewer",)}
CLEO = {"email": "cleo.chair@example.org", "name": "Cleo Chairwell", "affiliation": "Chairwell Institute", "roles": ("chair",)}
EARLIER = {
    MO["email"]: {"email": "mo@example.org", "affiliation": "Oldtown Institute"},
    CLEO["email"]: {"email": "cleo@example.org"},
}
DORA = {"email": "dora@example.org", "name": "Dora Draftsby", "affiliation": "Draftsby Lab", "roles": ("reviewer",)}
VICTIM = "victim@example.org"  # whom an injected header would add


# --- requests -----------------------------------------------------------------------------------------


def signed_in(app: Flask, person: dict[str, Any], **extra: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, person["email"], **extra)
    assert not response.headers.get("Location", "/auth/login").startswith("/auth/login"), text_of(response)
    return client


def header_token(client: FlaskClient, page: str = "/account/") -> str:
    """The session's CSRF token, from the header's sign-out form (on every signed-in page)."""
    match = CSRF_INPUT_RE.search(client.get(page).get_data(as_text=True))
    assert match, f"no sign-out form on {page}"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
    """A POST with this session's CSRF token, so a refusal comes from the rule under test, not from CSRF."""
    return client.post(url, data={"csrf_token": header_token(client), **data}, **kwargs)


def is_signed_out(client: FlaskClient) -> bool:
    response = client.get("/account/")
    return response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def set_dates(app: Flask, **days: int) -> None:
    """Put the workshop's paper and camera-ready deadlines this many days from now."""
    kinds = {
        "paper": (DateKind.PAPER_DEADLINE, "Paper submission deadline"),
        "camera_ready": (DateKind.CAMERA_READY, "Camera-ready deadline"),
    }
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for key, offset in days.items():
            kind, label = kinds[key]
            existing = ws.date_of(kind)
            if existing is not None:
                existing.at = utcnow() + timedelta(days=offset)
            else:
                ws.dates.append(ImportantDate(kind=kind, label=label, at=utcnow() + timedelta(days=offset)))
        db.session.commit()


def update_workshop(app: Flask, **values: Any) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for name, value in values.items():
            setattr(ws, name, value)
        db.session.commit()


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def as_listed(person: dict[str, Any]) -> svc.AuthorInput:
    """How ``person`` is on an author list: for Mo and Cleo, the address and affiliation they had then."""
    then = person | EARLIER.get(person["email"], {})
    return svc.AuthorInput(then["name"], then["email"], then["affiliation"])


def create_movers(app: Flask) -> None:
    """Mo and Cleo, with the address (and affiliation) they will be listed by."""
    create_users(app, *(person | EARLIER[person["email"]] for person in (MO, CLEO)))


def move(app: Flask) -> None:
    """Mo and Cleo change address through the link mailed to the new one; Mo changes affiliation too."""
    from portal.services import accounts
    from portal.services.tokens import make_token

    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for person in (MO, CLEO):
            earlier = EARLIER[person["email"]]
            user = db.session.scalar(sa.select(User).where(User.email == earlier["email"]))
            accounts.request_email_change(ws, user, person["email"])
            accounts.confirm_email_change(
                ws, make_token("change-email", {"uid": user.id, "new": person["email"], "old": earlier["email"]})
            )
            if "affiliation" in earlier:
                accounts.update_profile(user, name=user.name, affiliation=person["affiliation"], orcid=None, homepage=None)
        db.session.execute(sa.delete(OutgoingEmail).where(OutgoingEmail.kind.in_(["email_change", "email_changed"])))
        db.session.commit()


def upload_folder_files(app: Flask) -> list[str]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# =====================================================================================================
# Sessions, sign-in CSRF, open redirects, reset links
# =====================================================================================================


@pytest.mark.parametrize("remembered", [False, True], ids=["session-cookie", "remember-me-cookie"])
def test_a_cookie_kept_from_before_sign_out_no_longer_signs_anyone_in(app: Flask, remembered: bool) -> None:
    create_users(app, ADA)
    browser = signed_in(app, ADA, remember="y")
    name = "remember_token" if remembered else "session"
    stolen = browser.get_cookie(name)
    assert stolen is not None
    out = browser.post("/auth/logout", data={"csrf_token": header_token(browser)}, follow_redirects=True)
    assert "You are signed out." in text_of(out)

    # Someone who copied the cookie before the sign-out (a shared computer, a proxy log) replays it.
    replay = app.test_client()
    replay.set_cookie(name, stolen.value)

    assert is_signed_out(replay)
    assert "Ada Author" not in text_of(replay.get("/"))


@pytest.mark.parametrize("token", ["missing", "another-sessions", "made-up", "no-session-at-all"])
def test_sign_in_without_this_sessions_csrf_token_is_refused_and_signs_nobody_in(app: Flask, token: str) -> None:
    """Login CSRF: a page elsewhere posts the attacker's credentials into the victim's browser."""
    create_users(app, ADA)
    victim = app.test_client()
    if token != "no-session-at-all":
        victim.get("/auth/login")  # the victim's browser has a session (and its own token)
    data = {"email": ADA["email"], "password": PASSWORD}
    if token in ("another-sessions", "no-session-at-all"):
        data["csrf_token"] = csrf_token(app.test_client(), "/auth/login")  # the attacker's own, valid elsewhere
    elif token == "made-up":
        data["csrf_token"] = "IjEyMzQ1Njc4OTBhYmNkZWYi.ZmFrZQ.c2lnbmF0dXJl"

    response = victim.post("/auth/login", data=data)

    assert response.status_code == 400
    assert "The form's security token was missing or had expired, so nothing was sent." in text_of(response)
    assert is_signed_out(victim)
    with app.app_context():
        assert db.session.scalar(sa.select(User.last_login_at)) is None


SITE = "https://portal.example.org"


def lands_on(location: str) -> tuple[str, str]:
    """Where a browser goes with this Location, as (host, path): WHATWG parsers drop tabs and newlines, trim
    spaces and control characters at the ends and read a backslash as a slash before resolving."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f \x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
    )
    target = urlsplit(urljoin(f"{SITE}/auth/login", cleaned.replace("\\", "/")))
    return target.netloc, target.path


HOSTILE_NEXT = [
    "https://evil.example.org/",
    "HTTPS://evil.example.org",
    "https:evil.example.org",
    "http:evil.example.org",
    "https:/evil.example.org",
    "//evil.example.org",
    "///evil.example.org",
    "/\\evil.example.org",
    "\\\\evil.example.org",
    "/\\/evil.example.org",
    "\\/evil.example.org",
    " //evil.example.org",
    "/\t/evil.example.org",
    "/\n/evil.example.org",
    "/\r\n/evil.example.org",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example.org",
    "%5C%5Cevil.example.org",
    "/%2F%2Fevil.example.org",
    "/%5Cevil.example.org",
    "%252F%252Fevil.example.org",
    "https://portal.example.org@evil.example.org",
    "\uff0f\uff0fevil.example.org",
    "/.//evil.example.org",
    "//evil.example.org%2F..",
]


def test_next_never_sends_the_browser_to_another_site(app: Flask) -> None:
    create_users(app, ADA)

    off_site = {}
    for target in HOSTILE_NEXT:
        client = app.test_client()
        url = f"/auth/login?next={quote(target, safe='')}"
        signed = post_form(client, url, {"email": ADA["email"], "password": PASSWORD})
        again = client.get(url)  # signed in already, the sign-in page redirects at once
        for how, response in (("sign-in", signed), ("signed in", again)):
            location = response.headers.get("Location", "")
            if response.status_code != 302 or lands_on(location)[0] != "portal.example.org":
                off_site[f"{how} {target!r}"] = (response.status_code, location)

    assert off_site == {}


def test_a_password_reset_link_cannot_be_posted_a_second_time(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, ADA)
    post_form(app.test_client(), "/auth/reset", {"email": ADA["email"]})
    [link] = mail_links(smtp.wait_for(1)[0])
    owner, eavesdropper = app.test_client(), app.test_client()
    # Both open the link while it is fresh: each holds a form with a valid CSRF token of its own session.
    owner_token, eve_token = csrf_token(owner, link), csrf_token(eavesdropper, link)
    first, second = "the owner's new passphrase", "the eavesdropper's passphrase"

    used = owner.post(link, data={"csrf_token": owner_token, "password": first, "confirm": first})
    replayed = eavesdropper.post(link, data={"csrf_token": eve_token, "password": second, "confirm": second})

    assert used.headers["Location"] == "/auth/login"
    assert replayed.status_code == 400
    assert "This link has already been used, or the password was changed since it was sent." in text_of(replayed)
    assert login(app.test_client(), ADA["email"], first).headers["Location"] == "/account/"
    assert login(app.test_client(), ADA["email"], second).status_code == 401


# =====================================================================================================
# Rate limits and X-Forwarded-For
# =====================================================================================================


def sign_in_from(client: FlaskClient, email: str, password: str, forwarded: str) -> TestResponse:
    return client.post(
        "/auth/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client, "/auth/login")},
        headers={"X-Forwarded-For": forwarded},
    )


def failure_addresses(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(LoginFailure.ip).order_by(LoginFailure.id)))


def test_a_changing_x_forwarded_for_does_not_reset_the_sign_in_limit(app: Flask) -> None:
    """Without a proxy of ours in front (the default), X-Forwarded-For is the client's word: ignored."""
    assert app.config["PROXY_FIX_X_FOR"] == 0
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    create_users(app, ADA)
    attacker = app.test_client()
    for i in range(3):
        refused = sign_in_from(attacker, f"guess{i}@example.org", "a wrong guess of a password", f"203.0.113.{i}")
        assert refused.status_code == 401

    locked = sign_in_from(attacker, ADA["email"], PASSWORD, "198.51.100.77")

    assert locked.status_code == 429
    assert "Too many failed sign-in attempts." in text_of(locked)
    assert failure_addresses(app) == ["127.0.0.1"] * 3


def test_a_changing_x_forwarded_for_does_not_reset_the_limit_of_forms_that_send_mail(app: Flask, smtp: SMTPRecorder) -> None:
    app.config["ACCOUNT_MAIL_RATE_LIMIT"] = "2 per hour"
    create_users(app, ADA)
    client = app.test_client()
    statuses = []
    for i in range(3):
        token = csrf_token(client, "/auth/reset")
        statuses.append(
            client.post(
                "/auth/reset", data={"csrf_token": token, "email": ADA["email"]}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
        )

    assert statuses == [302, 302, 429]
    assert len(smtp.wait_for(2)) == 2


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}])
def test_behind_one_trusted_proxy_the_limit_follows_the_address_the_proxy_saw(app: Flask) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    create_users(app, ADA)
    attacker = app.test_client()
    for i in range(3):
        # The client puts made-up addresses first; our proxy appends the one it saw, and only that one counts.
        forwarded = f"10.{i}.0.1, 203.0.113.9"
        assert sign_in_from(attacker, f"guess{i}@example.org", "a wrong guess of a password", forwarded).status_code == 401

    locked = sign_in_from(attacker, ADA["email"], PASSWORD, "192.0.2.1, 203.0.113.9")
    neighbour = sign_in_from(app.test_client(), ADA["email"], PASSWORD, "198.51.100.7")

    assert locked.status_code == 429
    assert neighbour.headers["Location"] == "/account/"
    assert failure_addresses(app) == ["203.0.113.9"] * 3


# =====================================================================================================
# Files: another paper's ids, disguised uploads, the headers of every served file
# =====================================================================================================

OWNERS = {"A": ADA, "B": BOB, "C": BOB}  # paper key -> submitter; A and B are accepted, C is under review
MOVERS_ON = "A"  # the paper Mo and Cleo are authors of, when they take part
TITLES = {
    "A": "Ring Attention Beyond a Million Tokens",
    "B": "Memory Tokens for Endless Dialogue",
    "C": "Sparse Recall in Long Documents",
}
PDFS = {
    "A paper": make_pdf(3, text="Ada's submitted paper.", author="Ada Author", title=TITLES["A"]),
    "B paper": make_pdf(3, text="Bob's submitted paper.", author="Bob Bauthor", title=TITLES["B"]),
    "C paper": make_pdf(2, text="Bob's second paper.", title=TITLES["C"]),
    "A camera-ready": make_pdf(4, text="Ada's final version, with her name on it."),
    "B camera-ready": make_pdf(4, text="Bob's final version, with his name on it."),
}


def zip_of(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("results.csv", text)
    return out.getvalue()


ZIPS = {"A supplementary": zip_of("Ada's results"), "B supplementary": zip_of("Bob's results")}
_checked: dict[str, svc.CheckedFile] = {}  # the PDF check runs in a child process: once per file per run


def checked_pdf(label: str, ws: Workshop, authors: list[svc.AuthorInput], kind: FileKind) -> svc.CheckedFile:
    if label not in _checked:
        _checked[label] = svc.check_paper(ws, ws.submission_types[0], authors, PDFS[label], f"{label}.pdf", kind=kind)
    return _checked[label]


def authors_of(key: str, movers: bool = False) -> list[svc.AuthorInput]:
    return [as_listed(p) for p in (OWNERS[key], *((MO, CLEO) if movers and key == MOVERS_ON else ()))]


@dataclass
class Papers:
    app: Flask
    numbers: dict[str, int]  # "A", "B", "C" -> submission number
    revisions: dict[str, int]  # "A paper", "A supplementary", "A camera-ready", ... -> revision id
    labels: dict[str, str]  # sha256 of a stored file -> "A paper", "A paper, reviewers' copy", ...
    files: list[bytes]  # every stored file's bytes

    def n(self, key: str) -> int:
        return self.numbers[key]


@pytest.fixture
def papers(app: Flask, worlds: Worlds) -> Papers:
    return worlds.get(app, build_papers)


def build_papers(app: Flask, *, movers: bool = False) -> Papers:
    """Double-blind. A (Ada) and B (Bob) accepted, letters sent, camera-ready uploaded, published; each with a
    ZIP of supplementary material. C (Bob) under review. Rita reviews A; Una reviews nothing. With ``movers``,
    Mo and Cleo are authors of A by their earlier addresses, and Dora reviews A too (no review yet)."""
    create_users(app, ADA, BOB, RITA, UNA, CARLA, *((DORA,) if movers else ()))
    if movers:
        create_movers(app)
    set_dates(app, paper=3, camera_ready=20)
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        chair = users[CARLA["email"]]
        subs: dict[str, Submission] = {}
        for key, owner in OWNERS.items():
            details = svc.Details(
                title=TITLES[key],
                abstract=f"The abstract of paper {key}.",
                type_id=ws.submission_types[0].id,
                primary_topic_id=ws.topics[0].id,
                secondary_topic_ids=[],
                keywords="long context",
                authors=authors_of(key, movers),
                declared_conflicts="",
            )
            supplementary = (
                svc.check_supplementary(ws, ZIPS[f"{key} supplementary"], f"{key}.zip")
                if f"{key} supplementary" in ZIPS
                else None
            )
            subs[key] = svc.create_submission(
                users[owner["email"]],
                ws,
                details,
                supplementary=supplementary,
                paper=checked_pdf(f"{key} paper", ws, authors_of(key, movers), FileKind.PAPER),
            )
        assignments.assign_reviewer(chair, ws, subs["A"], users[RITA["email"]])
        if movers:
            assignments.assign_reviewer(chair, ws, subs["A"], users[DORA["email"]])
        for key in ("A", "B"):
            decide_and_notify(ws, subs[key], Decision.ACCEPTED, chair)
        for key in ("A", "B"):
            sub = subs[key]
            final = checked_pdf(f"{key} camera-ready", ws, authors_of(key, movers), FileKind.CAMERA_READY)
            svc.upload_camera_ready(
                sub.submitter, ws, sub, title=sub.title, authors=authors_of(key, movers), paper=final, version=sub.version
            )
        ws.accepted_published = True
        db.session.commit()
        if movers:
            move(app)
        numbers = {key: sub.id for key, sub in subs.items()}
        revisions, labels = {}, {}
        kinds = {FileKind.PAPER: "paper", FileKind.SUPPLEMENTARY: "supplementary", FileKind.CAMERA_READY: "camera-ready"}
        for key, sub in subs.items():
            for revision in sub.revisions:
                label = f"{key} {kinds[revision.kind]}"
                revisions[label] = revision.id
                labels[revision.file.sha256] = label
                if revision.reviewer_file is not None and revision.reviewer_file.id != revision.file_id:
                    labels[revision.reviewer_file.sha256] = f"{label}, reviewers' copy"
    root = Path(app.config["UPLOAD_FOLDER"])
    files = [p.read_bytes() for p in root.rglob("*") if p.is_file()]
    return Papers(app, numbers, revisions, labels, files)


def assert_nothing_served(response: TestResponse, files: list[bytes]) -> None:
    body = response.get_data()
    assert "Content-Disposition" not in response.headers
    assert [i for i, data in enumerate(files) if data in body] == []


def served(response: TestResponse, papers: Papers) -> str:
    """What a file URL gave: the label of the stored file it sent, or the error page's code."""
    if response.status_code == 200:
        return papers.labels.get(hashlib.sha256(response.get_data()).hexdigest(), "an unknown file")
    if response.status_code == 404 and "Error 404 Page not found" in text_of(response):
        assert_nothing_served(response, papers.files)
        return "404"
    return str(response.status_code)


# Who may have what, by the address they sign in with: the authors of each paper (Mo and Cleo by their earlier
# addresses), the chairs (every paper's files; the original PDF of the papers they are no author of), the
# reviewers of A (its copy without metadata, a review submitted or not).
AUTHORS_OF = {"A": {ADA["email"], MO["email"], CLEO["email"]}, "B": {BOB["email"]}, "C": {BOB["email"]}}
CHAIRS = {CARLA["email"], CLEO["email"]}
REVIEWERS_OF = {"A": {RITA["email"], DORA["email"]}, "B": set(), "C": set()}


def expected_file(person: str, url: str, papers: Papers) -> str:
    """The only file each person may get at each URL (anything else: the 404 page, and not one byte)."""
    key_of = {n: key for key, n in papers.numbers.items()}
    if m := re.fullmatch(r"/submissions/(\d+)/files/(\d+)", url):
        key = key_of[int(m.group(1))]
        label = next(label for label, rid in papers.revisions.items() if rid == int(m.group(2)))
        own = person in AUTHORS_OF[key] or person in CHAIRS
        return label if own and label.startswith(f"{key} ") else "404"
    if m := re.fullmatch(r"/review/papers/(\d+)/pdf", url):
        key = key_of[int(m.group(1))]
        if person in REVIEWERS_OF[key]:
            return f"{key} paper, reviewers' copy"
        return f"{key} paper" if person in CHAIRS and person not in AUTHORS_OF[key] else "404"
    m = re.fullmatch(r"/accepted-papers/(\d+)\.pdf", url)
    assert m
    key = key_of[int(m.group(1))]
    return f"{key} camera-ready" if key in ("A", "B") else "404"


def test_every_file_url_gives_only_the_persons_own_files_whatever_ids_are_swapped(app: Flask) -> None:
    """Every file URL with every combination of submission number and revision id, as each author (Mo and Cleo
    authors of A by addresses they have since changed), the reviewers of A (Dora before her review), an unassigned
    reviewer and a chair who is an author of A: only one's own files (and the public camera-ready PDFs) come back;
    Cleo gets the files of the papers she may handle, and of A only what its authors get."""
    papers = build_papers(app, movers=True)
    urls = [f"/submissions/{papers.n(key)}/files/{rid}" for key in "ABC" for rid in papers.revisions.values()]
    urls += [f"/review/papers/{papers.n(key)}/pdf" for key in "ABC"]
    urls += [f"/accepted-papers/{papers.n(key)}.pdf" for key in "ABC"]

    got, expected, obtained = {}, {}, {}
    for person in (ADA, MO, CLEO, BOB, RITA, DORA, UNA):
        client = signed_in(papers.app, person)
        for url in urls:
            got[(person["name"], url)] = served(client.get(url), papers)
            expected[(person["name"], url)] = expected_file(person["email"], url, papers)
        obtained[person["name"]] = sorted({v for (who, _), v in got.items() if who == person["name"]} - {"404"})

    assert got == expected
    assert obtained == {
        ADA["name"]: ["A camera-ready", "A paper", "A supplementary", "B camera-ready"],
        MO["name"]: ["A camera-ready", "A paper", "A supplementary", "B camera-ready"],
        CLEO["name"]: ["A camera-ready", "A paper", "A supplementary", "B camera-ready", "B paper", "B supplementary", "C paper"],
        BOB["name"]: ["A camera-ready", "B camera-ready", "B paper", "B supplementary", "C paper"],
        RITA["name"]: ["A camera-ready", "A paper, reviewers' copy", "B camera-ready"],
        DORA["name"]: ["A camera-ready", "A paper, reviewers' copy", "B camera-ready"],
        UNA["name"]: ["A camera-ready", "B camera-ready"],
    }


def csp_directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0].lower(): " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def test_every_served_file_is_a_sandboxed_attachment_never_sniffed(papers: Papers) -> None:
    a = papers.n("A")
    ada, rita, carla = (signed_in(papers.app, p) for p in (ADA, RITA, CARLA))
    downloads = {
        "paper": (ada, f"/submissions/{a}/files/{papers.revisions['A paper']}"),
        "supplementary": (ada, f"/submissions/{a}/files/{papers.revisions['A supplementary']}"),
        "camera-ready": (ada, f"/submissions/{a}/files/{papers.revisions['A camera-ready']}"),
        "reviewers' copy": (rita, f"/review/papers/{a}/pdf"),
        "chair's copy": (carla, f"/review/papers/{a}/pdf"),
        "public accepted paper": (papers.app.test_client(), f"/accepted-papers/{a}.pdf"),
        **{
            f"export {kind}.{fmt}": (carla, f"/chair/exports/{kind}.{fmt}")
            for kind in ("submissions", "reviews", "decisions")
            for fmt in ("csv", "json")
        },
    }

    seen = {}
    for what, (client, url) in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, what
        sandbox = csp_directives(response).get("sandbox")
        seen[what] = (
            response.headers.get("Content-Disposition", "").split(";")[0],
            response.headers.get("X-Content-Type-Options"),
            "sandbox" if sandbox is not None and "allow-scripts" not in sandbox else f"sandbox={sandbox!r}",
            "html" in response.headers["Content-Type"],
        )

    assert seen == dict.fromkeys(downloads, ("attachment", "nosniff", "sandbox", False))


HTML_PAGE = b"<!DOCTYPE html><html><body><script>fetch('/account/').then(r => r.text()).then(alert)</script></body></html>"
DISGUISES = {
    # An HTML page named paper.pdf, sent as application/pdf.
    "html": (HTML_PAGE, "This is not a PDF file (its content is not PDF, whatever its name says)."),
    # The PDF magic bytes, then a page a browser would sniff as HTML.
    "pdf-header-then-html": (b"%PDF-1.7\n" + HTML_PAGE, "could not be opened as a PDF"),
    # An SVG image with a script, named paper.pdf.
    "svg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)">'
        b"<script>alert(document.cookie)</script></svg>",
        "This is not a PDF file (its content is not PDF, whatever its name says).",
    ),
}
SUPPLEMENTARY_REFUSAL = "Supplementary material must be a PDF or a ZIP file (by its content, not its name)."


def error_summary(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    summary = re.search(r'(?s)<div class="error-summary".*?<ul>(.*?)</ul>', html)
    return [text_of_fragment(li) for li in re.findall(r"(?s)<li>(.*?)</li>", summary.group(1))] if summary else []


def text_of_fragment(html: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"(?s)<[^>]+>", "", html))).strip()


def stored_state(app: Flask) -> tuple[int, int, int, list[str]]:
    """The files stored for submissions (not ``pending/``: the uploads a refused form keeps for the next try)."""
    files = [f for f in upload_folder_files(app) if not f.startswith("pending/")]
    return count(app, StoredFile), count(app, Revision), count(app, OutgoingEmail), files


def kept_files(app: Flask) -> list[str]:
    return [f for f in upload_folder_files(app) if f.startswith("pending/")]


@pytest.mark.parametrize("place", ["paper", "supplementary", "camera-ready"])
def test_html_or_svg_disguised_as_a_pdf_is_refused_at_every_upload_and_nothing_is_stored(app: Flask, place: str) -> None:
    if place == "camera-ready":
        number = build_papers(app).n("A")
        url = f"/submissions/{number}/camera-ready"
        with app.app_context():
            version = db.session.get(Submission, number).version
        fields = {
            "action": "save",
            "title": TITLES["A"],
            "version": str(version),
            "authors-0-name": ADA["name"],
            "authors-0-email": ADA["email"],
            "authors-0-affiliation": ADA["affiliation"],
        }
    else:
        create_users(app, ADA)
        set_dates(app, paper=3)
        url = "/submissions/new"
        with app.app_context():
            type_id = db.session.scalar(sa.select(SubmissionType.id).order_by(SubmissionType.position))
            topic_id = db.session.scalar(sa.select(Topic.id).order_by(Topic.position))
        fields = {
            "action": "save",
            "title": "A paper with a disguised file",
            "abstract": "Long contexts.",
            "type": str(type_id),
            "primary_topic": str(topic_id),
            "keywords": "",
            "declared_conflicts": "",
            "authors-0-name": ADA["name"],
            "authors-0-email": ADA["email"],
            "authors-0-affiliation": ADA["affiliation"],
        }
    client = signed_in(app, ADA)
    before = stored_state(app)

    told, wanted = {}, {}
    for disguise, (data, message) in DISGUISES.items():
        # Named .pdf and sent as application/pdf: only the bytes can tell.
        form = {**fields, "paper": (io.BytesIO(data), "paper.pdf", "application/pdf")}
        if place == "supplementary":
            form["paper"] = (io.BytesIO(PDFS["C paper"]), "paper.pdf", "application/pdf")
            form["supplementary"] = (io.BytesIO(data), "supplementary.pdf", "application/pdf")
            message = message if disguise == "pdf-header-then-html" else SUPPLEMENTARY_REFUSAL
        response = client.post(url, data={"csrf_token": csrf_token(client, url), **form}, content_type="multipart/form-data")
        problems = error_summary(response)
        told[disguise] = (response.status_code, len(problems) == 1 and message in problems[0])
        wanted[disguise] = (422, True)

    assert told == wanted
    assert stored_state(app) == before
    # With the supplementary file refused, the paper beside it (which passed) is kept for the next try, apart
    # from the submissions' files; no disguised file is ever kept.
    kept = kept_files(app)
    assert len(kept) == (1 if place == "supplementary" else 0)
    if kept:
        assert (Path(app.config["UPLOAD_FOLDER"]) / kept[0]).read_bytes() == PDFS["C paper"]


# =====================================================================================================
# Stored XSS
# =====================================================================================================

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)><svg onload=alert(1)>'
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}


class _ActiveContent(HTMLParser):
    """Whatever in a page would run script: inline scripts, event handlers, script URLs, embedded documents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.values: dict[str, list[str]] = {}  # name -> the values of the form fields of that name

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and not a.get("src"):
            self.found.append("an inline <script>")
        if tag in ("iframe", "object", "embed", "base") or (tag == "img" and a.get("src") == "x"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            scheme = re.sub(r"[\x00-\x20]", "", value or "").lower().split(":", 1)[0]
            if name in URL_ATTRIBUTES and ":" in (value or "") and scheme in ("javascript", "vbscript", "data"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "input" and a.get("name"):
            self.values.setdefault(a["name"] or "", []).append(a.get("value") or "")


def active_content(response: TestResponse) -> list[str]:
    parser = _ActiveContent()
    parser.feed(response.get_data(as_text=True))
    return parser.found


def input_values(response: TestResponse) -> dict[str, list[str]]:
    parser = _ActiveContent()
    parser.feed(response.get_data(as_text=True))
    return parser.values


def hostile(label: str) -> str:
    return f"{label} {XSS}"


@pytest.fixture
def hostile_paper(app: Flask) -> tuple[Flask, int]:
    """Every text a person types about a paper, each one the XSS payload, typed through the real forms: the
    profiles, the submission (title, abstract, keywords, author names and affiliations), both reviews, a
    discussion comment, the decision note and the letter; then the letter is sent and the paper published."""
    create_users(app, ADA, RITA, REX, CARLA)
    set_dates(app, paper=3, camera_ready=20)
    for person, name in ((ADA, "Ada"), (RITA, "Rita"), (REX, "Rex")):
        client = signed_in(app, person)
        saved = post_form(
            client,
            "/account/profile",
            {"name": hostile(name), "affiliation": hostile(f"{name}'s lab"), "orcid": "", "homepage": ""},
        )
        assert saved.status_code == 302, text_of(saved)
    ada = signed_in(app, ADA)
    with app.app_context():
        type_id = db.session.scalar(sa.select(SubmissionType.id).order_by(SubmissionType.position))
        topic_id = db.session.scalar(sa.select(Topic.id).order_by(Topic.position))
    form = {
        "action": "save",
        "title": hostile("Title"),
        "abstract": f"{hostile('Abstract')}\n\n{hostile('More')}",
        "type": str(type_id),
        "primary_topic": str(topic_id),
        "keywords": hostile("Keywords"),
        "declared_conflicts": "",
        "authors-0-name": hostile("Ada"),
        "authors-0-email": ADA["email"],
        "authors-0-affiliation": hostile("Ada's lab"),
        "authors-1-name": hostile("Cora"),
        "authors-1-email": CORA["email"],
        "authors-1-affiliation": hostile("Cora's lab"),
        "paper": (io.BytesIO(PDFS["C paper"]), "paper.pdf"),
    }
    submitted = ada.post(
        "/submissions/new", data={"csrf_token": csrf_token(ada, "/submissions/new"), **form}, content_type="multipart/form-data"
    )
    assert submitted.status_code == 302, error_summary(submitted)
    number = int(submitted.headers["Location"].rsplit("/", 1)[1])
    update_workshop(app, phase=Phase.REVIEWING, review_deadline=utcnow() + timedelta(days=10))
    carla = signed_in(app, CARLA)
    with app.app_context():
        reviewer_ids = [db.session.scalar(sa.select(User.id).where(User.email == p["email"])) for p in (RITA, REX)]
    for reviewer_id in reviewer_ids:
        assert post(carla, "/chair/assignments/add", {"number": number, "reviewer": reviewer_id}).status_code == 302
    for person, name in ((RITA, "Rita"), (REX, "Rex")):
        client = signed_in(app, person)
        texts = {field: hostile(f"{name}'s {field}") for field in REVIEW_FIELDS if field not in ("recommendation", "confidence")}
        url = f"/review/papers/{number}/review"
        done = client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "recommendation": "4",
                "confidence": "3",
                "version": "",
                "action": "submit",
                **texts,
            },
        )
        assert done.status_code == 302, text_of(done)
        if person is RITA:
            assert post(client, f"/review/papers/{number}/discussion", {"body": hostile("Comment")}).status_code == 302
    with app.app_context():
        version = db.session.get(Submission, number).version
    assert (
        post(
            carla,
            f"/chair/decisions/{number}",
            {"decision": "accepted", "presentation": "oral", "note": hostile("Note"), "version": version},
        ).status_code
        == 302
    )
    prepared = post(
        carla,
        "/chair/letters",
        {"accept_letter": hostile("Letter") + "\n{{ reviews }}", "reject_letter": "Sorry.", "with_reviews": "1"},
    )
    assert prepared.status_code == 302
    assert post(carla, "/chair/letters/send", {"confirm": "1"}).status_code == 302
    assert post(carla, "/chair/publish", {"published": "1", "confirm": "1"}).status_code == 302
    return app, number


def test_hostile_text_about_a_paper_is_shown_escaped_on_every_page_that_shows_it(hostile_paper: tuple[Flask, int]) -> None:
    app, n = hostile_paper
    with app.app_context():
        letter_id = db.session.scalar(sa.select(Letter.id))
    ada, rita, carla = (signed_in(app, p) for p in (ADA, RITA, CARLA))
    # Each page, and the texts it must show (as typed, so the test knows the payload reached it).
    pages: dict[str, tuple[FlaskClient, list[str]]] = {
        "/submissions/": (ada, ["Title"]),
        f"/submissions/{n}": (
            ada,
            [
                "Title",
                "Abstract",
                "More",
                "Keywords",
                "Ada",
                "Ada's lab",
                "Cora",
                "Cora's lab",
                "Note",
                "Rita's comments_to_authors",
                "Rex's comments_to_authors",
            ],
        ),
        f"/submissions/{n}/edit": (ada, []),
        f"/submissions/{n}/camera-ready": (ada, []),
        "/account/": (ada, ["Ada", "Ada's lab"]),
        "/account/profile": (ada, []),
        "/review/": (rita, ["Title"]),
        "/review/bids": (rita, ["Title", "Abstract", "Keywords"]),
        f"/review/papers/{n}": (
            rita,
            [
                "Title",
                "Abstract",
                "Keywords",
                "Comment",
                "Rex's summary",
                "Rex's strengths",
                "Rex's weaknesses",
                "Rex's comments_to_authors",
            ],
        ),
        f"/review/papers/{n}/review": (rita, ["Title"]),
        "/submissions/all": (carla, ["Title", "Ada", "Ada's lab", "Cora"]),
        "/chair/": (carla, []),
        f"/chair/papers/{n}": (
            carla,
            ["Title", "Ada", "Cora's lab", "Rita", "Rex", "Rita's confidential_comments", "Rex's summary", "Comment"],
        ),
        "/chair/submissions": (carla, ["Title"]),
        "/chair/decisions": (carla, ["Title"]),
        "/chair/assignments": (carla, ["Title", "Rita", "Rex"]),
        "/chair/reviewing": (carla, ["Rita", "Rex"]),
        "/chair/conflicts": (carla, []),
        "/chair/letters": (carla, ["Title", "Letter"]),
        f"/chair/letters/{letter_id}": (carla, ["Title", "Letter", "Rita's comments_to_authors"]),
        "/chair/audit": (carla, ["Rita"]),
        "/members/": (carla, ["Ada", "Ada's lab", "Rita", "Rex"]),
        "/chair/exports": (carla, []),
        "/accepted-papers": (app.test_client(), ["Title", "Ada", "Ada's lab", "Cora"]),
    }

    found, missing = {}, {}
    for url, (client, labels) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = active_content(response)
        page = text_of(response)
        missing[url] = [label for label in labels if hostile(label) not in page]

    assert found == {key: [] for key in pages}
    assert missing == {key: [] for key in pages}
    # In attributes too: the forms give back exactly what was typed.
    edit = input_values(ada.get(f"/submissions/{n}/edit"))
    assert (edit["title"], edit["keywords"], edit["authors-1-name"]) == (
        [hostile("Title")],
        [hostile("Keywords")],
        [hostile("Cora")],
    )
    assert input_values(ada.get("/account/profile"))["name"] == [hostile("Ada")]


WORKSHOP_TEXTS = (
    "name",
    "short_name",
    "edition",
    "tagline",
    "venue",
    "contact_email",
    "overview",
    "motivation",
    "objective",
    "audience",
    "cfp_intro",
    "submission_instructions",
    "panel_note",
    "sponsor_call",
)
# Markdown fields get the payload, raw HTML links and Markdown links with script URLs.
MARKDOWN_XSS = ' [click](javascript:alert(1)) [also](JaVaScRiPt:alert(2)) <a href="javascript:alert(3)">x</a>'


def test_hostile_text_from_chairs_and_visitors_is_shown_escaped_on_every_page_that_shows_it(
    app: Flask, smtp: SMTPRecorder
) -> None:
    create_users(app, CARLA, RITA)
    carla = signed_in(app, CARLA)
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        texts = {name: getattr(ws, name) for name in WORKSHOP_TEXTS}
        texts |= {
            "starts_on": ws.starts_on.isoformat() if ws.starts_on else "",
            "ends_on": ws.ends_on.isoformat() if ws.ends_on else "",
        }
    texts |= {
        "name": hostile("Name"),
        "tagline": hostile("Tagline"),
        "venue": hostile("Venue"),
        "colocated_with": hostile("Co-located with"),
        "overview": hostile("Overview") + MARKDOWN_XSS,
        "sponsor_call": hostile("Sponsor call") + MARKDOWN_XSS,
    }
    # The content editor: the texts (Markdown and single lines), then one new item of every kind.
    edits = {
        "/chair/content/texts": texts,
        "/chair/content/topics/new": {
            "title": hostile("Topic"),
            "description": hostile("Topic text") + MARKDOWN_XSS,
            "examples": hostile("Examples"),
        },
        "/chair/content/questions/new": {"title": hostile("Question"), "text": hostile("Question text") + MARKDOWN_XSS},
        "/chair/content/people/speaker/new": {
            "name": hostile("Speaker"),
            "affiliation": hostile("Speaker's lab"),
            "homepage": "",
            "bio": hostile("Bio") + MARKDOWN_XSS,
        },
        "/chair/content/people/organizer/new": {
            "name": hostile("Organizer"),
            "affiliation": hostile("Organizer's lab"),
            "homepage": "",
            "bio": "",
        },
        "/chair/content/sponsors/new": {"label": hostile("Option"), "description": hostile("Option text") + MARKDOWN_XSS},
        "/chair/content/dates/new": {"label": hostile("Date"), "kind": "other", "at": "2024-07-27 09:00"},
    }
    previews = {url: post(carla, url, {**data, "preview": "1"}) for url, data in edits.items()}
    for url, data in edits.items():
        saved = post(carla, url, {**data, "save": "1"})
        assert saved.status_code == 302, (url, text_of(saved))
    # A visitor's sponsor inquiry that fails validation comes back in the form.
    visitor = app.test_client()
    inquiry = post_form(
        visitor,
        "/sponsors/",
        {
            "name": hostile("Sponsor"),
            "organization": hostile("Company"),
            "email": "not an address",
            "interest": "",
            "message": hostile("Message"),
        },
    )
    # The group mail's preview shows the subject and body as they will go out; once sent, its history the subject.
    group_mail = {"audience": "reviewers", "subject": hostile("Subject"), "body": hostile("Body") + " {{ name }}"}
    mail_preview = post(carla, "/chair/mail", {**group_mail, "preview": "Preview"})
    sent = post(carla, "/chair/mail", {**group_mail, "send": "Send", "digest": digest_of(mail_preview)})
    assert sent.status_code == 302

    anonymous = app.test_client()
    pages: dict[str, tuple[TestResponse, list[str]]] = {
        "home": (anonymous.get("/"), ["Name", "Tagline", "Venue", "Co-located with", "Overview", "Sponsor call", "Speaker"]),
        "call for papers": (anonymous.get("/call-for-papers"), ["Topic", "Topic text", "Examples", "Date"]),
        "speakers": (anonymous.get("/speakers"), ["Speaker", "Speaker's lab", "Bio"]),
        "organizers": (anonymous.get("/organizers"), ["Organizer", "Organizer's lab"]),
        "sponsors": (anonymous.get("/sponsors/"), ["Sponsor call", "Option", "Option text"]),
        "signed-in home": (carla.get("/"), ["Name", "Question", "Question text"]),
        "content overview": (carla.get("/chair/content"), []),
        "topics list": (carla.get("/chair/content/topics"), ["Topic"]),
        "speakers list": (carla.get("/chair/content/people/speaker"), ["Speaker"]),
        "dates list": (carla.get("/chair/content/dates"), ["Date"]),
        "sponsor options list": (carla.get("/chair/content/sponsors"), ["Option"]),
        "texts form": (carla.get("/chair/content/texts"), []),
        **{f"preview of {url}": (response, []) for url, response in previews.items()},
        "sponsor form with errors": (inquiry, []),
        "group mail preview": (mail_preview, ["Subject", "Body"]),
        "group mail history": (carla.get("/chair/mail"), ["Subject"]),
        "the group mail's job": (carla.get(sent.headers["Location"]), []),
        "audit log": (carla.get("/chair/audit"), []),
    }

    found = {what: active_content(response) for what, (response, _) in pages.items()}
    missing = {
        what: [label for label in labels if hostile(label) not in text_of(response)] for what, (response, labels) in pages.items()
    }

    assert {url: response.status_code for url, response in previews.items()} == dict.fromkeys(edits, 200)
    assert found == {key: [] for key in pages}
    assert missing == {key: [] for key in pages}
    assert "[click](javascript:alert(1))" in text_of(pages["home"][0])  # a script link stays text, never a link
    assert {k: v for k, v in input_values(inquiry).items() if k in ("name", "organization")} == {
        "name": [hostile("Sponsor")],
        "organization": [hostile("Company")],
    }
    # The refused inquiry sent nothing; the group mail reached the one reviewer, as plain text.
    assert [(str(m["To"]), m.get_content_type()) for m in smtp.wait_for(1)] == [(RITA["email"], "text/plain")]


# =====================================================================================================
# Identities: reviewers to authors, authors to reviewers (double-blind)
# =====================================================================================================

REVIEWS = {
    "rita": {
        "summary": "Rita's summary of the method.",
        "strengths": "Rita liked the complexity analysis.",
        "weaknesses": "Rita missed a baseline.",
        "comments_to_authors": "Please compare with blockwise attention.",
        "confidential_comments": "Chairs only: Rita knows this group.",
    },
    "rex": {
        "summary": "Rex's summary of the method.",
        "strengths": "Rex liked the figures.",
        "weaknesses": "Rex found a leak of test data.",
        "comments_to_authors": "Please report memory per device.",
        "confidential_comments": "Chairs only: Rex saw a preprint.",
    },
}
RITA_DRAFT = {
    "summary": "Rita's draft summary, half written.",
    "strengths": "Rita's draft strength.",
    "weaknesses": "Rita's draft weakness.",
    "comments_to_authors": "Rita's draft note to the authors.",
    "confidential_comments": "Rita's draft, for the chairs.",
}
REX_COMMENT = "Does the speed-up hold on eight devices?"
IDENTIFYING_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ada Author, Alpha Institute'
    "</dc:creator><dc:rights>cora@example.org</dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def identifying_pdf() -> bytes:
    """Pages without a name, and every metadata field naming the authors."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=11)
    pdf.set_author("Ada Author; Cora Coauthor")
    pdf.set_title("Ring attention, by Ada Author (Alpha Institute)")
    pdf.set_subject("Cora Coauthor's workshop paper")
    pdf.set_keywords("long context, ada@example.org")
    pdf.set_creator("Ada Author's LaTeX at Coauthor Lab")
    pdf.set_xmp_metadata(IDENTIFYING_XMP)
    for i in range(1, 4):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {i}. Ring attention overlaps communication with compute.")
    return bytes(pdf.output())


PDFS["identifying"] = identifying_pdf()


def identities(*people: dict[str, Any]) -> list[str]:
    return [p[k] for p in people for k in ("name", "email", "affiliation")]


@dataclass
class Reviewed:
    app: Flask
    number: int


def build_reviewed(app: Flask, *, pdf: str) -> Reviewed:
    """Ada's paper (Cora a co-author with an account; Mo and Cleo co-authors by the addresses they had, since
    changed) in reviewing, double-blind; Rita and Rex assigned by the chair, their assignment mail delivered;
    nothing reviewed yet."""
    create_users(app, ADA, CORA, RITA, REX, CARLA)
    create_movers(app)
    set_dates(app, paper=3, camera_ready=20)
    authors = [as_listed(p) for p in (ADA, CORA, MO, CLEO)]
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        details = svc.Details(
            title=TITLES["A"],
            abstract="Sequence parallelism lets ring attention scale.",
            type_id=ws.submission_types[0].id,
            primary_topic_id=ws.topics[0].id,
            secondary_topic_ids=[],
            keywords="ring attention",
            authors=authors,
            declared_conflicts="",
        )
        ada = db.session.scalar(sa.select(User).where(User.email == ADA["email"]))
        sub = svc.create_submission(ada, ws, details, paper=checked_pdf(pdf, ws, authors, FileKind.PAPER))
        ws.phase, ws.review_deadline = Phase.REVIEWING, utcnow() + timedelta(days=10)
        db.session.execute(sa.delete(OutgoingEmail))  # the receipts are not what these tests read
        db.session.commit()
        number = sub.id
        ids = [db.session.scalar(sa.select(User.id).where(User.email == p["email"])) for p in (RITA, REX)]
    move(app)
    carla = signed_in(app, CARLA)
    for reviewer_id in ids:
        assert post(carla, "/chair/assignments/add", {"number": number, "reviewer": reviewer_id}).status_code == 302
    return Reviewed(app, number)


def leaked(secrets: list[str], *texts: str | bytes) -> list[str]:
    found = []
    for text in texts:
        data = text if isinstance(text, bytes) else text.encode()
        found += [s for s in secrets if s.encode() in data or s.encode().replace(b"'", b"&#39;") in data]
    return sorted(set(found))


def whole_mail(message: EmailMessage) -> str:
    return message.as_string() + "\n" + message.get_content()


def test_authors_never_learn_who_reviewed_them_from_pages_mails_files_or_searches(app: Flask, smtp: SMTPRecorder) -> None:
    world = build_reviewed(app, pdf="C paper")
    n = world.number
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sub = db.session.get(Submission, n)
        for key in ("rita", "rex"):
            reviewer_id = db.session.scalar(sa.select(User.id).where(User.email == f"{key}@example.org"))
            assignment = assignment_of(n, reviewer_id)
            assert assignment is not None
            reviews.save_review(ws, assignment, {**REVIEWS[key], "recommendation": 4, "confidence": 3}, submit=True, version=None)
        rex = db.session.scalar(sa.select(User).where(User.email == REX["email"]))
        discussion.post_comment(rex, ws, sub, REX_COMMENT)
        decide_and_notify(ws, sub, Decision.ACCEPTED, db.session.scalar(sa.select(User).where(User.email == CARLA["email"])))
        db.session.commit()
        emails.send_pending()
    secrets = [
        *identities(RITA, REX),
        "Rita",
        "Rex",
        REX_COMMENT,
        *(REVIEWS[k][f] for k in REVIEWS for f in ("summary", "strengths", "weaknesses", "confidential_comments")),
    ]
    with app.app_context():
        revision_id = db.session.scalar(sa.select(Revision.id).where(Revision.submission_id == n))
    as_author = (
        "/",
        "/submissions/",
        f"/submissions/{n}",
        f"/submissions/{n}/camera-ready",
        "/account/",
        f"/submissions/{n}/files/{revision_id}",
        f"/review/papers/{n}",
        f"/review/papers/{n}/pdf",
        f"/chair/papers/{n}",
        "/review/bids?q=Rex",
        "/chair/exports/reviews.csv",
    )
    # Cleo is a chair as well: the chairs' pages and exports (not the lists of the program committee, which name
    # Rita and Rex as its members; what they tell of this paper's review is in test_route_audit.py).
    as_chair = (
        "/chair/",
        "/chair/submissions",
        "/chair/submissions?sort=mean&dir=desc",
        "/chair/decisions",
        "/chair/letters",
        "/chair/audit",
        "/chair/audit?q=Reviewer",
        "/chair/jobs?all=1",
        "/chair/conflicts",
        *(f"/chair/exports/{kind}.{fmt}" for kind in ("submissions", "reviews", "decisions") for fmt in ("csv", "json")),
    )
    pages = {
        ADA["name"]: (ADA, (*as_author, "/members/?q=Rita")),
        CORA["name"]: (CORA, as_author),
        MO["name"]: (MO, as_author),
        CLEO["name"]: (CLEO, (*as_author, *as_chair)),
    }

    seen: dict[str, list[str]] = {}
    for name, (person, urls) in pages.items():
        client = signed_in(app, person)
        for url in urls:
            response = client.get(url)
            headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            seen[f"{name} {url}"] = leaked(secrets, response.get_data(), headers)
    authors = {p["email"] for p in (ADA, CORA, MO, CLEO)} | {e["email"] for e in EARLIER.values()}
    mails = [m for m in smtp.wait_for(5) if authors & {a.addr_spec for a in m["To"].addresses}]
    letters = [m for m in mails if "accepted" in str(m["Subject"])]
    for message in mails:
        seen[f"mail {message['Subject']} to {message['To']}"] = leaked(secrets, whole_mail(message))

    assert seen == {key: [] for key in seen}
    # The letter goes to each author's current address; what the authors may read is there, as "Reviewer N".
    assert sorted(a.addr_spec for m in letters for a in m["To"].addresses) == sorted(p["email"] for p in (ADA, CORA, MO, CLEO))
    body = letters[0].get_content()
    assert f"Reviewer 1:\n{REVIEWS['rita']['comments_to_authors']}" in body.replace("\r\n", "\n")
    assert f"Reviewer 2:\n{REVIEWS['rex']['comments_to_authors']}" in body.replace("\r\n", "\n")
    for person in (CORA, MO, CLEO):
        assert "Reviewer 1" in text_of(signed_in(app, person).get(f"/submissions/{n}")), person["name"]


def bid_titles(response: TestResponse) -> list[str]:
    return [text_of_fragment(m) for m in re.findall(r"(?s)<legend>(.*?)</legend>", response.get_data(as_text=True))]


def test_double_blind_reviewers_learn_no_author_from_mails_file_metadata_or_search(app: Flask, smtp: SMTPRecorder) -> None:
    world = build_reviewed(app, pdf="identifying")
    n = world.number
    carla, rita, rex = (signed_in(app, p) for p in (CARLA, RITA, REX))
    assert post(carla, "/chair/assignments/remind", {"confirm": "1"}).status_code == 302
    # Rita has saved a draft of her review; Rex submits his, then asks the others a question.
    url = f"/review/papers/{n}/review"
    for client, action, texts in ((rita, "save", RITA_DRAFT), (rex, "submit", REVIEWS["rex"])):
        saved = client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "recommendation": "4",
                "confidence": "3",
                "version": "",
                "action": action,
                **texts,
            },
        )
        assert saved.status_code == 302, text_of(saved)
    assert post(rex, f"/review/papers/{n}/discussion", {"body": REX_COMMENT}).status_code == 302
    # The authors by every address and affiliation they had; the other review and the discussion (Rita may read
    # them once her own review is in).
    secrets = [
        *identities(ADA, CORA, MO, CLEO),
        *(v for e in EARLIER.values() for v in e.values()),
        "Ada",
        "Cora",
        "Alpha",
        "Wanderer",
        "Chairwell",
    ]
    not_yet = [REX_COMMENT, *REVIEWS["rex"].values()]

    pdf = rita.get(f"/review/papers/{n}/pdf")
    data = pdf.get_data()
    reader = PdfReader(io.BytesIO(data))
    searches = {
        q: bid_titles(rita.get(f"/review/bids?q={quote(q)}"))
        for q in (
            "Ada Author",
            "ada",
            "Cora",
            "Alpha Institute",
            "cora@example.org",
            "Mo Wanderer",
            "mo@example.org",
            "Oldtown",
            "Chairwell",
            "Ring Attention",
        )
    }
    pages = {url: rita.get(url) for url in ("/review/", "/review/bids", f"/review/papers/{n}", f"/review/papers/{n}/review")}
    mails = [m for m in smtp.wait_for(5) if RITA["email"] in str(m["To"])]
    rex_sees = rex.get(f"/review/papers/{n}")

    assert pdf.headers["Content-Disposition"] == f"attachment; filename=longllm2024-{n}.pdf"
    assert (dict(reader.metadata or {}), reader.xmp_metadata, len(reader.pages)) == ({}, None, 3)
    assert leaked(secrets, data) == []
    assert searches == {
        "Ada Author": [],
        "ada": [],
        "Cora": [],
        "Alpha Institute": [],
        "cora@example.org": [],
        "Mo Wanderer": [],
        "mo@example.org": [],
        "Oldtown": [],
        "Chairwell": [],
        "Ring Attention": [f"#{n} {TITLES['A']}"],
    }
    assert {url: leaked(secrets + not_yet, r.get_data()) for url, r in pages.items()} == {key: [] for key in pages}
    # No mail about the discussion before her own review is in.
    assert sorted(str(m["Subject"]).strip() for m in mails) == [
        "[LongLLM 2024] 1 paper to review",
        "[LongLLM 2024] Reminder: 1 review to finish",
    ]
    assert {str(m["Subject"]).strip(): leaked(secrets + not_yet, whole_mail(m)) for m in mails} == {
        str(m["Subject"]).strip(): [] for m in mails
    }
    # Rex, whose review is in, reads the discussion, but not Rita's draft.
    assert (leaked(list(RITA_DRAFT.values()), rex_sees.get_data()), REX_COMMENT in text_of(rex_sees)) == ([], True)
    # The authors' own file still names them: the copy was made for the reviewers, not by losing the original.
    original = carla.get(f"/review/papers/{n}/pdf").get_data()
    assert PdfReader(io.BytesIO(original)).metadata["/Author"] == "Ada Author; Cora Coauthor"


# =====================================================================================================
# CSV injection
# =====================================================================================================

FORMULA_STARTS = {"equals": "=", "plus": "+", "minus": "-", "at": "@", "tab": "\t", "carriage-return": "\r"}
# Every text column of every CSV export, planted with a value of its own.
PLANTED = {
    "submissions": (
        "title",
        "type",
        "primary_topic",
        "other_topics",
        "keywords",
        "authors",
        "author_emails",
        "author_affiliations",
    ),
    "reviews": (
        "title",
        "reviewer_name",
        "reviewer_email",
        "summary",
        "strengths",
        "weaknesses",
        "comments_to_authors",
        "confidential_comments",
    ),
    "decisions": ("title", "note"),
}


def test_every_text_cell_of_every_csv_export_that_starts_like_a_formula_is_neutralised(app: Flask) -> None:
    """One paper per formula start (= + - @ tab CR), each with every text column of every export planted."""
    from tests.views.test_group_mail import assign, make_paper

    texts = ("summary", "strengths", "weaknesses", "comments_to_authors", "confidential_comments")
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        make_user(CARLA["email"], name=CARLA["name"], roles=("chair",))
        author = make_user(ADA["email"], name=ADA["name"])
        numbers = {}
        for i, start in enumerate(FORMULA_STARTS.values()):

            def v(column: str, start: str = start) -> str:
                return f"{start}{column}"

            primary, other = (
                Topic(workshop_id=ws.id, slug=f"planted-{i}-{k}", position=100 + 2 * i + k, title=v(c))
                for k, c in enumerate(("primary_topic", "other_topics"))
            )
            kind = SubmissionType(workshop_id=ws.id, slug=f"planted-{i}", position=100 + i, name=v("type"), page_limit=8)
            db.session.add_all([primary, other, kind])
            reviewer = make_user(f"{start}reviewer_email{i}@example.org", name=v("reviewer_name"), roles=("reviewer",))
            sub = make_paper(
                ws,
                author,
                v("title"),
                [(v("authors"), f"{start}author_emails{i}@example.org")],
                decision=Decision.ACCEPTED,
                letter_sent=True,
            )
            sub.authors[0].affiliation, sub.keywords, sub.decision_note = v("author_affiliations"), v("keywords"), v("note")
            sub.primary_topic, sub.secondary_topics, sub.type = primary, [other], kind
            assign(sub, reviewer, 1, state=ReviewState.SUBMITTED, **{f: v(f) for f in texts})
            numbers[str(sub.id)] = (i, start)
        db.session.commit()
    chair = signed_in(app, CARLA)

    unsafe, planted, expected = {}, {}, {}
    for kind, columns in PLANTED.items():
        response = chair.get(f"/chair/exports/{kind}.csv")
        assert response.status_code == 200
        text = response.get_data(as_text=True).removeprefix("\ufeff")
        header, *rows = list(csv.reader(io.StringIO(text, newline="")))
        unsafe[kind] = [cell for row in rows for cell in row if cell[:1] in tuple(FORMULA_STARTS.values())]
        for row in rows:
            i, start = numbers[row[0]]
            planted[(kind, row[0])] = {column: row[header.index(column)] for column in columns}
            wanted = {column: f"'{start}{column}" for column in columns}
            wanted |= {
                "author_emails": f"'{start}author_emails{i}@example.org",
                "reviewer_email": f"'{start}reviewer_email{i}@example.org",
            }
            if not start.strip():  # keywords are split at commas and trimmed: a leading tab or CR is gone already
                wanted["keywords"] = "keywords"
            expected[(kind, row[0])] = {column: wanted[column] for column in columns}

    assert unsafe == {key: [] for key in PLANTED}
    assert planted == expected
    assert len(planted) == 3 * len(FORMULA_STARTS)


# =====================================================================================================
# Mail header injection
# =====================================================================================================

CRLF_BCC = f"\r\nBcc: {VICTIM}"
SINGLE_LINE = "Use a single line, without line breaks or control characters."
REGISTRATION = {
    "name": "Eve Example",
    "email": "eve@example.org",
    "affiliation": "Example Lab",
    "orcid": "",
    "homepage": "",
    "password": PASSWORD,
    "confirm": PASSWORD,
}
# (who posts, the form's page, what is posted): each field would reach a header of the mail the form sends.
REFUSED_FORMS = {
    "registration name": (None, "/auth/register", REGISTRATION | {"name": "Eve Example" + CRLF_BCC}),
    "registration affiliation": (None, "/auth/register", REGISTRATION | {"affiliation": "Lab" + CRLF_BCC}),
    "password reset address": (None, "/auth/reset", {"email": ADA["email"] + CRLF_BCC}),
    "confirmation resend address": (None, "/auth/confirm/resend", {"email": ADA["email"] + CRLF_BCC}),
    "email change address": (ADA, "/account/email", {"email": "ada.new@example.org" + CRLF_BCC, "password": PASSWORD}),
    "group mail subject": (
        CARLA,
        "/chair/mail",
        {"audience": "chairs", "subject": "News" + CRLF_BCC, "body": "Hi", "preview": "Preview"},
    ),
    "external reviewer name": (
        CARLA,
        "/chair/assignments",
        {"number": "1", "name": "Eve" + CRLF_BCC, "email": "eve@example.org"},
    ),
}


def test_line_breaks_in_fields_that_reach_a_mail_are_refused_and_nothing_is_sent(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, ADA, CARLA)
    clients = {None: app.test_client(), "ada": signed_in(app, ADA), "carla": signed_in(app, CARLA)}

    refused = {}
    for form, (person, page, data) in REFUSED_FORMS.items():
        client = clients[person["email"].split("@")[0] if person else None]
        url = "/chair/assignments/external" if page == "/chair/assignments" else page
        token = header_token(client) if person else csrf_token(client, page)
        response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)
        refused[form] = SINGLE_LINE in text_of(response)

    assert refused == dict.fromkeys(REFUSED_FORMS, True)
    assert count(app, OutgoingEmail) == 0
    assert smtp.messages == []


def digest_of(page: TestResponse) -> str:
    match = re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', page.get_data(as_text=True))
    assert match, text_of(page)
    return match.group(1)


def injected_headers(smtp: SMTPRecorder) -> list[str]:
    """Any sign of an injected header in what arrived: Bcc or Cc headers, the victim among the recipients."""
    found = [f"{h}: {m[h]}" for m in smtp.messages for h in ("Bcc", "Cc") if m[h] is not None]
    found += [f"envelope to {rcpts}" for _, rcpts in smtp.envelopes if VICTIM in rcpts]
    found += [f"To: {m['To']}" for m in smtp.messages if VICTIM in str(m["To"])]
    return found


def test_a_group_mail_subject_that_renders_a_line_break_arrives_as_one_subject(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, CARLA, RITA, REX)
    carla = signed_in(app, CARLA)
    # The form refuses a typed line break, but the chair's template can still produce one.
    subject = "News for {{ name }}{{ '\\r\\nBcc: " + VICTIM + "' }}"
    form = {"audience": "reviewers", "subject": subject, "body": "Dear {{ name }}, hello."}
    shown = post(carla, "/chair/mail", {**form, "preview": "Preview"})
    sent = post(carla, "/chair/mail", {**form, "send": "Send", "digest": digest_of(shown)})
    assert sent.status_code == 302

    messages = smtp.wait_for(2)

    assert injected_headers(smtp) == []
    assert sorted((str(m["To"]), " ".join(str(m["Subject"]).split())) for m in messages) == [
        (REX["email"], f"News for Rex Reader Bcc: {VICTIM}"),
        (RITA["email"], f"News for Rita Reviewer Bcc: {VICTIM}"),
    ]


def test_a_letter_subject_edited_with_a_line_break_reaches_only_the_authors(app: Flask, smtp: SMTPRecorder) -> None:
    from tests.views.test_group_mail import make_paper

    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        make_user(CARLA["email"], name=CARLA["name"], roles=("chair",))
        ada = make_user(ADA["email"], name=ADA["name"])
        make_paper(ws, ada, TITLES["A"], [(ADA["name"], ADA["email"]), (CORA["name"], CORA["email"])], decision=Decision.ACCEPTED)
        letter = db.session.scalars(sa.select(Letter)).one()
        letter.decision = Decision.ACCEPTED  # written for the paper's decision, so it may be sent
        db.session.commit()
        letter_id = letter.id
    carla = signed_in(app, CARLA)
    saved = post(carla, f"/chair/letters/{letter_id}", {"subject": "Our decision" + CRLF_BCC, "body": "Dear authors."})
    assert saved.status_code == 302
    assert post(carla, "/chair/letters/send", {"confirm": "1"}).status_code == 302

    [letter] = smtp.wait_for(1)

    assert injected_headers(smtp) == []
    assert sorted(smtp.envelopes[0][1]) == [ADA["email"], CORA["email"]]
    assert " ".join(str(letter["Subject"]).split()) == f"Our decision Bcc: {VICTIM}"


def test_pasted_invitation_lines_with_a_header_line_invite_only_the_real_addresses(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, CARLA)
    carla = signed_in(app, CARLA)
    lines = f"Eve Example <eve@example.org>{CRLF_BCC}\r\nCc: {VICTIM}\rX-Evil: 1"
    response = post(carla, "/members/invitations", {"lines": lines})

    [invitation] = smtp.wait_for(1)

    assert response.status_code == 200
    assert f"Bcc: {VICTIM}" in text_of(response)  # shown back, skipped: it is no address
    assert injected_headers(smtp) == []
    assert (invitation["To"], invitation["X-Evil"]) == ("eve@example.org", None)
    assert smtp.envelopes == [(smtp.envelopes[0][0], ["eve@example.org"])]


# =====================================================================================================
# Private pages and shared caches
# =====================================================================================================


def every_get_url(app: Flask, papers: Papers) -> list[str]:
    """Every GET route of the app, with real ids where it takes some (and made-up tokens)."""
    with app.app_context():
        ids = {
            "user_id": db.session.scalar(sa.select(User.id).where(User.email == ADA["email"])),
            "reviewer_id": db.session.scalar(sa.select(User.id).where(User.email == RITA["email"])),
            "letter_id": db.session.scalar(sa.select(Letter.id)),
            "item_id": db.session.scalar(sa.select(Topic.id)),
            # A speaker's photo (a 404 when none is uploaded) and a sponsor inquiry (none: a 404 page, not stored either).
            "person_id": db.session.scalar(sa.select(Person.id)) or 1,
            "inquiry_id": db.session.scalar(sa.select(SponsorInquiry.id)) or 1,
            "sponsor_id": db.session.scalar(sa.select(SponsorInquiry.id)) or 1,
        }
    values = {
        "number": papers.n("A"),
        "revision_id": papers.revisions["A paper"],
        "job_id": 1,
        "proposal_id": 1,
        "ac_proposal_id": 1,  # an area-chair proposal (none: a 404 page, not stored either)
        "invitation_id": 1,
        "assignment_id": 1,
        "token": "not-a-real-token",
        "answer": "accept",
        "fmt": "csv",
        "kind": "topics",
        "role": "speaker",
        "filename": "css/site.css",
        "session_id": 1,  # the program's (none: a 404 page, not stored either)
        "item_kind": "talk",
        "material": "slides",
        "key": "recommendation",  # a field of the review form (the default form has it)
        "page": 1,
        "size": 96,
        **ids,
    }
    adapter = app.url_map.bind("portal.example.org")
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        given = {k: values[k] for k in rule.arguments}
        if rule.endpoint == "chair.export":
            given["kind"] = "reviews"
        elif "kind" in given and rule.endpoint.startswith("chair.") and "/mails/" in rule.rule:
            given["kind"] = "assignment"  # a system mail the chairs word (issue 21.7)
        for name, converter in rule._converters.items():  # any(...): one of its words, wherever the route is
            if isinstance(converter, AnyConverter) and str(given[name]) not in converter.items:
                given[name] = sorted(converter.items)[0]
        urls.append(adapter.build(rule.endpoint, given))
    return list(dict.fromkeys(urls))


def test_every_page_a_signed_in_person_opens_is_never_stored_by_a_shared_cache(papers: Papers) -> None:
    urls = every_get_url(papers.app, papers)
    assert len(urls) > 50  # every area: public, auth, account, members, submissions, review, chair, settings

    cacheable, opened = {}, {}
    for person in (ADA, RITA, CARLA):
        client = signed_in(papers.app, person)
        for url in urls if person is not RITA else [u for u in urls if u.startswith(("/review", "/account"))]:
            response = client.get(url)
            opened[person["name"]] = opened.get(person["name"], 0) + (response.status_code == 200)
            # A page varies with the session cookie; the JSON API (/api/v1) reads no cookie and sets none (a bearer
            # token signs in), so its answers are no-store and never start or change a session.
            varies = "Set-Cookie" not in response.headers if url.startswith("/api/") else "Cookie" in response.vary
            if "no-store" not in response.headers.get("Cache-Control", "") or not varies:
                cacheable[f"{person['name']} {url}"] = (
                    response.status_code,
                    response.headers.get("Cache-Control"),
                    response.headers.get("Vary"),
                )

    assert cacheable == {}
    assert opened[CARLA["name"]] > 45 and opened[ADA["name"]] > 20  # real pages, not only error pages


def test_a_public_page_that_starts_a_session_is_never_stored_by_a_shared_cache(client: FlaskClient) -> None:
    # The sponsor form gives an anonymous visitor a CSRF token, and so a session cookie of their own: a shared
    # cache keeping that answer would hand the same session to every visitor after them.
    form_page = client.get("/sponsors/")
    assert form_page.status_code == 200
    assert "session=" in form_page.headers.get("Set-Cookie", "")
    assert "no-store" in form_page.headers["Cache-Control"]
    assert "Cookie" in form_page.headers["Vary"]
    # A public page without a form starts no session and may still be kept for a moment.
    home = client.get("/")
    assert "Set-Cookie" not in home.headers
    assert "no-store" not in home.headers.get("Cache-Control", "")
