"""Conflicts and authorship follow the person, not the address: authors and reviewers who change their address or
affiliation, author lists and declared conflicts that name someone by an address they confirmed earlier, assignments
suspended by a conflict that appears later (and restored or removed by a chair), the conflicts authors declare with
program-committee members, chairs who are authors (and learn nothing of their paper), papers no chair can handle
and their manager, the discussion that waits for a reviewer's own review, and letters bound to the decision they
were written for. Every change goes through the pages a person uses, and mail arrives over real SMTP.

Organisation domains (alpha-institute.org, ...) are used on purpose: example.org counts as webmail for the
shared-domain rule, so it could not show a conflict by domain."""

from __future__ import annotations

import html as html_lib
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from portal.db import db, utcnow
from portal.models import (
    RECOMMENDATIONS,
    Bid,
    BidValue,
    ConflictKind,
    ConflictReason,
    DateKind,
    Decision,
    DiscussionComment,
    ImportantDate,
    Phase,
    Submission,
    SubmissionAuthor,
    SubmissionConflict,
    Topic,
    User,
    UserConflict,
    Workshop,
)
from portal.queries import assignment_of
from portal.queries.conflicts import AUTHOR, conflict_reasons
from portal.services import assignments, discussion, reviews
from portal.services import submissions as subs
from tests.conftest import CSRF_INPUT_RE, CSRF_RE, SMTPRecorder, Worlds, mail_links, post_form, text_of
from tests.factories import PASSWORD, login, make_user
from tests.pdfs import make_pdf

# --- the world: three papers, four reviewers (one of them an author), two chairs (one of them an author) -------

PEOPLE: dict[str, dict[str, Any]] = {
    # An author who also reviews.
    "ada": {"email": "ada@alpha-institute.org", "name": "Ada Author", "affiliation": "Alpha Institute", "roles": ("reviewer",)},
    "cora": {"email": "cora@coauthor-lab.org", "name": "Cora Coauthor", "affiliation": "Coauthor Lab"},
    "otto": {"email": "otto@omega-college.org", "name": "Otto Other", "affiliation": "Omega College"},
    "rita": {
        "email": "rita@rita-research.org",
        "name": "Rita Reviewer",
        "affiliation": "Rita Research Centre",
        "roles": ("reviewer",),
    },
    "rex": {
        "email": "rex@reader-university.org",
        "name": "Rex Reader",
        "affiliation": "Reader University",
        "roles": ("reviewer",),
    },
    "una": {
        "email": "una@una-polytechnic.org",
        "name": "Una Unassigned",
        "affiliation": "Una Polytechnic",
        "roles": ("reviewer",),
    },
    # A chair who is a co-author of paper 3 (not its submitter: her author row is linked by her confirmed address).
    "carla": {
        "email": "carla@chair-university.org",
        "name": "Carla Chair",
        "affiliation": "Chair University",
        "roles": ("chair",),
    },
    "chris": {
        "email": "chris@second-chair.org",
        "name": "Chris Cochair",
        "affiliation": "Second Chair Institute",
        "roles": ("chair",),
    },
}


def person(key: str) -> tuple[str, str, str]:
    p = PEOPLE[key]
    return p["name"], p["email"], p["affiliation"]


PAPERS: dict[str, dict[str, Any]] = {
    "p1": {
        "title": "Ring Attention Beyond a Million Tokens",
        "submitter": "ada",
        "authors": ["ada", "cora"],
        "topic": "architecture",
        "abstract": "Sequence parallelism lets ring attention scale past a million tokens.",
    },
    "p2": {
        "title": "Memory Tokens for Endless Dialogue",
        "submitter": "otto",
        "authors": ["otto"],
        "topic": "augmentation",
        "abstract": "Memory tokens carry a dialogue over thousands of turns.",
    },
    "p3": {
        "title": "Positional Interpolation Revisited",
        "submitter": "otto",
        "authors": ["otto", "carla"],
        "topic": "embeddings",
        "abstract": "Rotary embeddings stretched by interpolation, without fine-tuning.",
    },
}
# paper -> its reviewers, in the order they were assigned (Reviewer 1, Reviewer 2)
ASSIGNED = {"p1": ["rita", "rex"], "p2": ["rex", "una"], "p3": ["una", "rex"]}
# What the reviewers wrote: each text is unique, so a page or a mail showing it is caught.
REX_P1 = "Rex on ring attention: the schedule overlaps communication with compute."
REX_P2 = "Rex on memory tokens: the dialogue benchmark is convincing."
UNA_P3 = "Una on interpolation: the factor is chosen on the test set."
REX_COMMENT = "Rex asks the discussion: does the speed-up hold on eight devices?"
# (recommendation, confidence) of each submitted review
SCORES = {("p1", "rex"): (4, 3), ("p2", "rex"): (2, 4), ("p3", "una"): (5, 5)}

_checked: dict[str, subs.CheckedFile] = {}  # the PDF check runs in a child process: once per paper per run


@dataclass
class World:
    app: Flask
    users: dict[str, int]  # person key -> user id
    papers: dict[str, int]  # paper key -> number
    emails: dict[str, str] = field(default_factory=dict)  # person key -> their address now

    def n(self, paper: str) -> int:
        return self.papers[paper]

    def uid(self, key: str) -> int:
        return self.users[key]

    def title(self, paper: str) -> str:
        return PAPERS[paper]["title"]


def set_paper_deadline(ws: Workshop, at: datetime) -> None:
    existing = ws.date_of(DateKind.PAPER_DEADLINE)
    if existing is not None:
        existing.at = at
    else:
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=at))


def build(app: Flask) -> World:
    """The reviewing phase under way, the submission deadline passed a day ago. Paper 1 (Ada, Cora): Rita (not
    started) and Rex (submitted, and a comment); paper 2 (Otto): Rex (submitted) and Una (not started); paper 3
    (Otto, Carla): Una (submitted) and Rex (not started)."""
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        set_paper_deadline(ws, now + timedelta(days=3))
        topics = {t.slug: t for t in db.session.scalars(sa.select(Topic).where(Topic.workshop_id == ws.id))}
        users = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        papers: dict[str, int] = {}
        for key, spec in PAPERS.items():
            authors = [subs.AuthorInput(*person(a)) for a in spec["authors"]]
            sub_type = ws.submission_types[0]
            if key not in _checked:
                pdf = make_pdf(3, text=f"The paper {spec['title']}.", title=spec["title"])
                _checked[key] = subs.check_paper(ws, sub_type, authors, pdf, f"{key}.pdf")
            details = subs.Details(
                title=spec["title"],
                abstract=spec["abstract"],
                type_id=sub_type.id,
                primary_topic_id=topics[spec["topic"]].id,
                secondary_topic_ids=[],
                keywords="long context",
                authors=authors,
                declared_conflicts="",
            )
            papers[key] = subs.create_submission(users[spec["submitter"]], ws, details, paper=_checked[key]).id
        set_paper_deadline(ws, now - timedelta(days=1))
        ws.phase, ws.reviews_per_paper, ws.review_deadline = Phase.REVIEWING, 2, now + timedelta(days=10)
        db.session.flush()
        chris = users["chris"]
        for paper, reviewers in ASSIGNED.items():
            sub = db.session.get(Submission, papers[paper])
            for reviewer in reviewers:
                assignments.assign_reviewer(chris, ws, sub, users[reviewer])
        texts = {("p1", "rex"): REX_P1, ("p2", "rex"): REX_P2, ("p3", "una"): UNA_P3}
        for (paper, reviewer), text in texts.items():
            assignment = assignment_of(papers[paper], users[reviewer].id)
            recommendation, confidence = SCORES[(paper, reviewer)]
            reviews.save_review(
                ws,
                assignment,
                {"summary": text, "comments_to_authors": text, "recommendation": recommendation, "confidence": confidence},
                submit=True,
                version=None,
            )
        discussion.post_comment(users["rex"], ws, db.session.get(Submission, papers["p1"]), REX_COMMENT)
        db.session.commit()
        return World(app, {k: u.id for k, u in users.items()}, papers, {k: p["email"] for k, p in PEOPLE.items()})


@pytest.fixture
def world(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build)


def update(app: Flask, **values: Any) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for name, value in values.items():
            setattr(ws, name, value)
        db.session.commit()


def open_submissions(world: World) -> None:
    """A chair moved the submission deadline three days into the future: the authors may edit again."""
    with world.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        set_paper_deadline(ws, utcnow() + timedelta(days=3))
        db.session.commit()


# --- page helpers -------------------------------------------------------------------------------------


def signed_in(world: World, key: str) -> FlaskClient:
    """A browser signed in as ``key`` with the address they have now."""
    client = world.app.test_client()
    response = login(client, world.emails[key])
    assert response.status_code == 302, text_of(response)
    return client


def post(
    client: FlaskClient,
    path: str,
    data: dict[str, Any] | None = None,
    token_page: str = "/review/",  # noqa: S107
    **kwargs: Any,
) -> TestResponse:
    """Post with a valid CSRF token of this session, so a refusal comes from the rules, not from CSRF."""
    page = client.get(token_page).get_data(as_text=True)
    match = CSRF_RE.search(page) or CSRF_INPUT_RE.search(page)
    assert match, f"no CSRF token on {token_page}"
    return client.post(path, data={"csrf_token": match.group(1), **(data or {})}, **kwargs)


def follow(client: FlaskClient, response: TestResponse) -> TestResponse:
    assert response.status_code == 302, text_of(response)
    return client.get(response.headers["Location"])


def text_of_html(html: str) -> str:
    """A piece of a page as text, the way ``text_of`` reads a whole page."""
    return text_of(Response(html))  # type: ignore[arg-type]


def flashes(response: TestResponse) -> list[str]:
    return [text_of_html(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', response.get_data(as_text=True), re.S)]


def problems(response: TestResponse) -> list[str]:
    """The items of the page's error summary."""
    summary = re.search(r'(?s)<div class="error-summary".*?<ul>(.*?)</ul>', response.get_data(as_text=True))
    return [text_of_html(li) for li in re.findall(r"(?s)<li>(.*?)</li>", summary.group(1))] if summary else []


def section(response: TestResponse, labelled_by: str) -> str:
    """The HTML of the page's ``<section aria-labelledby=...>`` (empty when the page has none)."""
    found = re.search(rf'(?s)<section aria-labelledby="{labelled_by}"[^>]*>(.*?)</section>', response.get_data(as_text=True))
    return found.group(1) if found else ""


def rows_of(html: str) -> list[list[str]]:
    """The cells' text of each body row of the first table in ``html``."""
    body = re.search(r"(?s)<tbody>(.*?)</tbody>", html)
    if body is None:
        return []
    return [
        [text_of_html(c) for c in re.findall(r"(?s)<t[hd]\b[^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"(?s)<tr>(.*?)</tr>", body.group(1))
    ]


def table_rows(response: TestResponse) -> list[str]:
    """The text of each body row of the page's first data table."""
    return [" ".join(cells).strip() for cells in rows_of(response.get_data(as_text=True))]


def table_after(response: TestResponse, heading: str, level: str = "h2") -> list[str]:
    """The text of each body row of the first table after the heading ``heading``."""
    html = response.get_data(as_text=True)
    at = html.find(f">{heading}</{level}>")
    assert at >= 0, f"no heading {heading!r}"
    return [" ".join(cells).strip() for cells in rows_of(html[at:])]


def suspended_rows(response: TestResponse) -> list[list[str]]:
    """The console's suspended assignments: [paper, reviewer, reason, actions] of each row (the date left out)."""
    rows = rows_of(section(response, "suspended"))
    for row in rows:
        assert re.fullmatch(r"\w{3} \d+ \w{3} \d{4}, \d\d:\d\d AoE", row[2]), row
    return [[row[0], row[1], row[3], row[4]] for row in rows]


def unhandled_papers(response: TestResponse) -> list[str]:
    return [text_of_html(li) for li in re.findall(r"(?s)<li>(.*?)</li>", section(response, "unhandled"))]


def bid_titles(response: TestResponse) -> list[str]:
    return [text_of_html(m) for m in re.findall(r"<legend>(.*?)</legend>", response.get_data(as_text=True), re.S)]


def comments(response: TestResponse) -> list[tuple[str, str]]:
    """(who, text) of each discussion comment on a paper page."""
    html = response.get_data(as_text=True)
    return [
        (text_of_html(head).split(" · ")[0], text_of_html(body))
        for head, body in re.findall(r'<article class="comment"><p class="muted">(.*?)</p>(.*?)</article>', html, re.S)
    ]


def review_headings(response: TestResponse) -> list[str]:
    return [text_of_html(h) for h in re.findall(r'<h3 id="review-\d+">(.*?)</h3>', response.get_data(as_text=True))]


def sections(response: TestResponse) -> dict[int, list[str]]:
    """Paper number -> the text of each list item in its section (the assignments page)."""
    html = response.get_data(as_text=True)
    return {
        int(n): [text_of_html(li) for li in re.findall(r"<li>(.*?)</li>", inner, re.S)]
        for n, inner in re.findall(r'<(?:section|tr) id="paper-(\d+)"[^>]*>(.*?)</(?:section|tr)>', html, re.S)
    }


def my_submissions(client: FlaskClient) -> list[str]:
    """The titles on the person's "Your submissions" list."""
    page = client.get("/submissions/")
    assert page.status_code == 200, text_of(page)
    return [cells[1] for cells in rows_of(page.get_data(as_text=True))]


def review_list(client: FlaskClient) -> list[str]:
    """The titles on the reviewer's "Your reviews" list."""
    page = client.get("/review/")
    assert page.status_code == 200, text_of(page)
    return [cells[1] for cells in rows_of(page.get_data(as_text=True))]


NOT_FOUND = "Error 404 Page not found There is nothing at this address."


def assert_not_found(response: TestResponse, leaks: list[str] | None = None) -> None:
    assert response.status_code == 404
    assert NOT_FOUND in text_of(response)
    assert_no_leak(response, leaks or [])


def assert_no_leak(response: TestResponse, leaks: list[str]) -> None:
    """Nothing of ``leaks`` in the body (a page or a PDF's bytes) or the headers."""
    seen = response.get_data() + "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    assert [s for s in leaks if s.encode() in seen or html_lib.escape(s).encode() in seen] == []


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
            if kind in ("submit", "button", "file", "image", "reset") or (kind in ("checkbox", "radio") and "checked" not in a):
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


def form_with(response: TestResponse, name: str) -> dict[str, Any]:
    """What the page's form holding the field ``name`` would send as it stands (a list for a repeated name)."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    found = [fields for _, fields in parser.forms if any(n == name for n, _ in fields)]
    assert len(found) == 1, f"{len(found)} forms hold {name}"
    data: dict[str, Any] = {}
    for key, value in found[0]:
        data[key] = (data[key] if isinstance(data[key], list) else [data[key]]) + [value] if key in data else value
    return data


def authors_in(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows, i = [], 0
    while f"authors-{i}-name" in data:
        rows.append((data[f"authors-{i}-name"], data[f"authors-{i}-email"], data[f"authors-{i}-affiliation"]))
        i += 1
    return rows


def set_authors(data: dict[str, Any], authors: list[tuple[str, str, str]]) -> None:
    for key in [k for k in data if k.startswith("authors-")]:
        del data[key]
    for i, (name, email, affiliation) in enumerate(authors):
        data.update({f"authors-{i}-name": name, f"authors-{i}-email": email, f"authors-{i}-affiliation": affiliation})


def edit_submission(
    client: FlaskClient, number: int, *, authors: list[tuple[str, str, str]] | None = None, **changes: Any
) -> TestResponse:
    """Open the submission's form like a browser, change what is given, save."""
    page = client.get(f"/submissions/{number}/edit")
    assert page.status_code == 200, text_of(page)
    data = form_with(page, "title") | {"action": "save", **changes}
    if authors is not None:
        set_authors(data, authors)
    return client.post(f"/submissions/{number}/edit", data=data, content_type="multipart/form-data")


def candidates(response: TestResponse) -> list[str]:
    """The committee members a search on the conflicts page found ("Name · Affiliation")."""
    html = response.get_data(as_text=True)
    found = re.search(r'(?s)<ul class="candidates">(.*?)</ul>', html)
    return [text_of_html(m) for m in re.findall(r"(?s)<li>(.*?)<form", found.group(1))] if found else []


def declared_rows(world: World, paper: str) -> list[tuple[int | None, str | None, str]]:
    with world.app.app_context():
        return [
            (c.user_id, c.email, c.reason.value)
            for c in db.session.scalars(
                sa.select(SubmissionConflict)
                .where(SubmissionConflict.submission_id == world.n(paper))
                .order_by(SubmissionConflict.id)
            )
        ]


def conflict_ids(world: World, paper: str) -> list[int]:
    with world.app.app_context():
        return list(
            db.session.scalars(sa.select(SubmissionConflict.id).where(SubmissionConflict.submission_id == world.n(paper)))
        )


def figures(response: TestResponse) -> str:
    found = re.search(r'(?s)<dl class="figures">(.*?)</dl>', response.get_data(as_text=True))
    assert found is not None
    return text_of_html(found.group(1))


def recommendations(response: TestResponse) -> dict[str, str]:
    html = response.get_data(as_text=True)
    table = re.search(r"(?s)<caption>Recommendations</caption>(.*?)</table>", html)
    assert table is not None
    return {cells[0]: cells[1] for cells in rows_of(table.group(1))}


def count_comments(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DiscussionComment)) or 0


# --- mail ---------------------------------------------------------------------------------------------


def subject(message: EmailMessage) -> str:
    return str(message["Subject"]).strip()


def content(message: EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")


def mails_by_recipient(smtp: SMTPRecorder, count: int) -> dict[str, EmailMessage]:
    messages = smtp.wait_for(count, timeout=5.0 if count else 0.3)
    assert len(messages) == count, [(str(m["To"]), subject(m)) for m in messages]
    by_to = {str(m["To"]): m for m in messages}
    assert len(by_to) == count, "someone got two mails"
    return by_to


def mail_to(smtp: SMTPRecorder, address: str, subject_ends: str) -> EmailMessage:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if str(m["To"]) == address and subject(m).endswith(subject_ends)]
        if found:
            return found[-1]
        time.sleep(0.02)
    raise AssertionError(f"no mail “…{subject_ends}” to {address}: {[(str(m['To']), subject(m)) for m in smtp.messages]}")


# --- what people do on their account pages ------------------------------------------------------------


def change_address(world: World, key: str, new: str, smtp: SMTPRecorder) -> None:
    """``key`` asks for a new address on their account page and opens the link from the mail that arrives."""
    client = signed_in(world, key)
    asked = post_form(client, "/account/email", {"email": new, "password": PASSWORD})
    assert flashes(follow(client, asked)) == [
        f"A confirmation link is on its way to {new.strip().lower()}. Your address changes when you open it (within 24 hours)."
    ]
    link = mail_links(mail_to(smtp, new.strip().lower(), "Confirm your new email address"))[0]
    done = follow(client, client.get(link))
    assert flashes(done) == [f"Your email address is now {new.strip().lower()}."]
    old = world.emails[key]
    mail_to(smtp, old, "Your email address was changed")
    world.emails[key] = new.strip().lower()
    smtp.clear()


def set_affiliation(world: World, key: str, affiliation: str) -> None:
    """``key`` changes the affiliation on their profile page."""
    client = signed_in(world, key)
    form = form_with(client.get("/account/profile"), "affiliation")
    saved = client.post("/account/profile", data=form | {"affiliation": affiliation})
    assert flashes(follow(client, saved)) == ["Your profile is saved."]


def assignment_row(world: World, paper: str, reviewer: str) -> tuple[int, bool, str] | None:
    """(id, suspended, reason) of the reviewer's assignment to the paper, as stored; None when there is none."""
    with world.app.app_context():
        a = assignment_of(world.n(paper), world.uid(reviewer))
        return None if a is None else (a.id, a.suspended_at is not None, a.suspended_reason)


def reasons(world: World, reviewer: str, paper: str) -> list[str]:
    with world.app.app_context():
        return conflict_reasons(db.session.get(User, world.uid(reviewer)), db.session.get(Submission, world.n(paper)))


def all_titles(world: World, *papers: str) -> list[str]:
    return [f"#{world.n(p)} {world.title(p)}" for p in papers]


# --- 1a. an author who changes address and affiliation ------------------------------------------------


# Before (ffada5b): fails — rules saw only current address/affiliation: paper 1 was back in Ada's bid list (checked).
def test_author_who_changes_address_and_affiliation_stays_author_and_conflicted(world: World, smtp: SMTPRecorder) -> None:
    p1 = world.n("p1")
    ada = signed_in(world, "ada")
    assert my_submissions(ada) == [world.title("p1")]
    asked = post_form(ada, "/account/email", {"email": "Ada.Lovelace@New-Place.org", "password": PASSWORD})
    assert flashes(follow(ada, asked)) == [
        "A confirmation link is on its way to ada.lovelace@new-place.org. Your "
        "address changes when you open it (within 24 hours)."
    ]
    mail = mail_to(smtp, "ada.lovelace@new-place.org", "Confirm your new email address")
    assert flashes(follow(ada, ada.get(mail_links(mail)[0]))) == ["Your email address is now ada.lovelace@new-place.org."]
    world.emails["ada"] = "ada.lovelace@new-place.org"
    profile = form_with(ada.get("/account/profile"), "affiliation")
    assert flashes(follow(ada, ada.post("/account/profile", data=profile | {"affiliation": "New Place University"}))) == [
        "Your profile is saved."
    ]

    # Still an author: her paper is on her list and opens, signed in with the new address.
    ada = signed_in(world, "ada")
    assert my_submissions(ada) == [world.title("p1")]
    detail = ada.get(f"/submissions/{p1}")
    assert detail.status_code == 200 and world.title("p1") in text_of(detail)
    # Still conflicted as a reviewer: not in her bid list ...
    bids = ada.get("/review/bids")
    assert bid_titles(bids) == all_titles(world, "p2", "p3")
    assert_no_leak(bids, [world.title("p1"), PAPERS["p1"]["abstract"]])
    assert_not_found(ada.get(f"/review/papers/{p1}"), [REX_P1, REX_COMMENT])
    # ... a chair's manual assignment is refused with the reason ...
    chair = signed_in(world, "chris")
    refused = post(chair, "/chair/assignments/add", {"number": p1, "reviewer": world.uid("ada")}, "/chair/assignments")
    assert flashes(follow(chair, refused)) == [f"Ada Author conflicts with #{p1}: {AUTHOR}."]
    assert assignment_row(world, "p1", "ada") is None
    # ... and the automatic assignment never pairs her with it, even with her eager bid and every seat to fill.
    with world.app.test_request_context():
        db.session.add(Bid(submission_id=p1, reviewer_id=world.uid("ada"), value=BidValue.EAGER))
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.reviews_per_paper = 4  # as many as there are reviewers
        proposal = assignments.propose_assignment(db.session.get(User, world.uid("chris")), ws)
        pairs = [tuple(p) for p in proposal.result["pairs"]]
        db.session.rollback()
    assert sorted(r for p, r in pairs if p == p1) == [world.uid("una")]  # Rita and Rex review it already
    assert reasons(world, "ada", "p1") == [AUTHOR]


# --- 1b. a reviewer who moves to an author's domain or institution --------------------------------------


# Before (ffada5b): fails — the paper was hidden (conflicts computed live) but nothing suspended, listed or restorable.
def test_reviewer_who_moves_to_an_authors_domain_is_suspended_until_a_chair_lifts_the_conflict(
    world: World, smtp: SMTPRecorder
) -> None:
    p1 = world.n("p1")
    rita = signed_in(world, "rita")
    assert review_list(rita) == [world.title("p1")]
    assert rita.get(f"/review/papers/{p1}/pdf").get_data().startswith(b"%PDF-")

    change_address(world, "rita", "rita@alpha-institute.org", smtp)

    rita = signed_in(world, "rita")
    leaks = [world.title("p1"), PAPERS["p1"]["abstract"], REX_P1, REX_COMMENT]
    assert_not_found(rita.get(f"/review/papers/{p1}"), leaks)
    assert_not_found(rita.get(f"/review/papers/{p1}/pdf"), leaks)
    assert_not_found(rita.get(f"/review/papers/{p1}/review"), leaks)
    page = rita.get("/review/")
    assert review_list(rita) == []
    assert "No papers are assigned to you yet." in text_of(page)
    assert_no_leak(page, leaks)
    why = "shares the email domain alpha-institute.org with author Ada Author (ada@alpha-institute.org)"
    assert assignment_row(world, "p1", "rita")[1:] == (True, why)
    chair = signed_in(world, "carla")
    console = chair.get("/chair/")
    actions = f"Restore Reviewer 1 of #{p1} Remove Reviewer 1 of #{p1}"  # (each button names its row, unseen)
    assert suspended_rows(console) == [[f"#{p1}", "Reviewer 1: Rita Reviewer", why, actions]]
    assignment = assignment_row(world, "p1", "rita")[0]

    # The chair cannot restore it while the conflict stands ...
    refused = post(chair, f"/chair/assignments/{assignment}/restore", token_page="/chair/")
    assert refused.headers["Location"] == "/chair/#suspended"
    assert flashes(follow(chair, refused)) == [
        f"Rita Reviewer still conflicts with #{p1}: {why}. Lift the conflict on the conflicts page first, or remove "
        "the assignment."
    ]
    assert assignment_row(world, "p1", "rita")[1] is True
    assert_not_found(rita.get(f"/review/papers/{p1}"))
    # ... and can once it is lifted.
    lifted = post(chair, f"/chair/conflicts/{p1}/{world.uid('rita')}/lift", token_page="/chair/conflicts")
    assert flashes(follow(chair, lifted)) == [f"The conflict of Rita Reviewer with #{p1} is lifted."]
    restored = post(chair, f"/chair/assignments/{assignment}/restore", token_page="/chair/")
    assert flashes(follow(chair, restored)) == [f"Reviewer 1 of #{p1} is restored: they see the paper again."]
    assert suspended_rows(chair.get("/chair/")) == []
    assert assignment_row(world, "p1", "rita") == (assignment, False, "")
    assert f"Submission #{p1} · you are Reviewer 1" in text_of(rita.get(f"/review/papers/{p1}"))
    assert review_list(rita) == [world.title("p1")]


# Before (ffada5b): fails — an affiliation change suspended nothing; no console section (errors: no suspended_at).
def test_reviewers_who_join_an_authors_institution_are_suspended_and_removed_unless_their_review_is_in(
    world: World, smtp: SMTPRecorder
) -> None:
    p1 = world.n("p1")
    set_affiliation(world, "rita", "Coauthor Lab")  # Cora's institution
    set_affiliation(world, "rex", "coauthor lab")  # the same, as typed by Rex (his review of paper 1 is in)

    why = "shares the institution {} with author Cora Coauthor (Coauthor Lab)"
    assert assignment_row(world, "p1", "rita")[1:] == (True, why.format("Coauthor Lab"))
    assert assignment_row(world, "p1", "rex")[1:] == (True, why.format("coauthor lab"))
    assert assignment_row(world, "p2", "rex")[1] is False  # nothing in common with paper 2's author
    assert_not_found(signed_in(world, "rita").get(f"/review/papers/{p1}"), [REX_P1, REX_COMMENT])
    rex = signed_in(world, "rex")
    assert_not_found(rex.get(f"/review/papers/{p1}"), [REX_COMMENT])
    assert review_list(rex) == [world.title("p2"), world.title("p3")]
    chair = signed_in(world, "carla")
    assert suspended_rows(chair.get("/chair/")) == [
        [
            f"#{p1}",
            "Reviewer 1: Rita Reviewer",
            why.format("Coauthor Lab"),
            f"Restore Reviewer 1 of #{p1} Remove Reviewer 1 of #{p1}",
        ],
        [
            f"#{p1}",
            "Reviewer 2: Rex Reader (review submitted)",
            why.format("coauthor lab"),
            f"Restore Reviewer 2 of #{p1}",
        ],  # a submitted review is not removed
    ]
    rita_id, rex_id = assignment_row(world, "p1", "rita")[0], assignment_row(world, "p1", "rex")[0]

    removed = post(chair, f"/chair/assignments/{rita_id}/remove", token_page="/chair/")
    assert flashes(follow(chair, removed)) == [f"Rita Reviewer no longer reviews #{p1}."]
    kept = post(chair, f"/chair/assignments/{rex_id}/remove", token_page="/chair/")
    assert flashes(follow(chair, kept)) == ["This reviewer has submitted a review; it cannot be unassigned."]

    assert assignment_row(world, "p1", "rita") is None
    assert assignment_row(world, "p1", "rex") == (rex_id, True, why.format("coauthor lab"))
    assert suspended_rows(chair.get("/chair/")) == [
        [f"#{p1}", "Reviewer 2: Rex Reader (review submitted)", why.format("coauthor lab"), f"Restore Reviewer 2 of #{p1}"]
    ]


# --- 1c. an author list that adds an assigned reviewer by an address they used before -------------------


# Before (ffada5b): fails — author rows were never linked to accounts (no user_id) and no assignment was suspended.
def test_author_list_adding_an_assigned_reviewer_by_an_earlier_address_suspends_the_assignment(
    world: World, smtp: SMTPRecorder
) -> None:
    p1 = world.n("p1")
    change_address(world, "rita", "rita@rita-moved.org", smtp)
    open_submissions(world)
    ada = signed_in(world, "ada")

    saved = edit_submission(ada, p1, authors=[person("ada"), person("cora"), person("rita")])  # her earlier address

    assert flashes(follow(ada, saved)) == [f"Submission #{p1} is saved. A receipt is on its way to ada@alpha-institute.org."]
    with world.app.app_context():
        linked = dict(
            db.session.execute(
                sa.select(SubmissionAuthor.email, SubmissionAuthor.user_id).where(SubmissionAuthor.submission_id == p1)
            ).all()
        )
    assert linked == {
        "ada@alpha-institute.org": world.uid("ada"),
        "cora@coauthor-lab.org": world.uid("cora"),
        "rita@rita-research.org": world.uid("rita"),
    }
    assert assignment_row(world, "p1", "rita")[1:] == (True, AUTHOR)
    rita = signed_in(world, "rita")
    assert_not_found(rita.get(f"/review/papers/{p1}"), [REX_P1, REX_COMMENT])
    assert review_list(rita) == []
    assert my_submissions(rita) == [world.title("p1")]
    assert suspended_rows(signed_in(world, "carla").get("/chair/")) == [
        [f"#{p1}", "Reviewer 1: Rita Reviewer", AUTHOR, f"Restore Reviewer 1 of #{p1} Remove Reviewer 1 of #{p1}"]
    ]


# --- 1d. conflicts the authors declare ------------------------------------------------------------------


# Before (ffada5b): fails — declared lines were compared with the reviewer's current address only (and had no reason).
def test_address_declared_in_the_submission_form_still_conflicts_after_the_reviewer_changes_address(
    world: World, smtp: SMTPRecorder
) -> None:
    p2 = world.n("p2")
    open_submissions(world)
    otto = signed_in(world, "otto")

    saved = edit_submission(otto, p2, declared_conflicts=" Una@UNA-Polytechnic.org \n")

    assert saved.status_code == 302, problems(saved)
    assert "una@una-polytechnic.org · Other" in text_of(otto.get(f"/submissions/{p2}"))
    assert declared_rows(world, "p2") == [(world.uid("una"), "una@una-polytechnic.org", "other")]  # bound to her
    assert assignment_row(world, "p2", "una")[1:] == (True, "declared by the authors")

    change_address(world, "una", "una@una-moved.org", smtp)

    assert reasons(world, "una", "p2") == ["declared by the authors"]
    una = signed_in(world, "una")
    assert bid_titles(una.get("/review/bids")) == all_titles(world, "p1", "p3")
    assert_not_found(una.get(f"/review/papers/{p2}"), [REX_P2])
    assert review_list(una) == [world.title("p3")]
    chair = signed_in(world, "carla")
    refused = post(chair, f"/chair/assignments/{assignment_row(world, 'p2', 'una')[0]}/restore", token_page="/chair/")
    assert flashes(follow(chair, refused)) == [
        f"Una Unassigned still conflicts with #{p2}: declared by the authors. Lift the conflict on the conflicts page "
        "first, or remove the assignment."
    ]
    assert assignment_row(world, "p2", "una")[1] is True


# Before (ffada5b): fails — there was no conflicts page (404), no committee search and no reasons.
def test_authors_pick_a_committee_member_as_a_conflict_with_a_reason_and_take_it_back(world: World, smtp: SMTPRecorder) -> None:
    p2 = world.n("p2")
    url = f"/submissions/{p2}/conflicts"
    open_submissions(world)
    otto = signed_in(world, "otto")
    # Only the program committee is searched: Cora (an author, no reviewer) is not found by name or institution.
    nobody = otto.get(f"{url}?q=coauthor")
    assert "No committee member matches “coauthor”." in text_of(nobody)
    assert_no_leak(nobody, ["Cora Coauthor", "Coauthor Lab", "cora@coauthor-lab.org"])
    found = otto.get(f"{url}?q=READER")  # by institution, in any case
    assert candidates(found) == ["Rex Reader · Reader University"]
    assert_no_leak(found, ["rex@reader-university.org"])  # names and institutions, never addresses

    declared = post(otto, f"{url}?q=READER", {"person": world.uid("rex"), "reason": "collaborator"}, f"{url}?q=READER")

    assert declared.headers["Location"] == f"{url}?q=READER"
    page = follow(otto, declared)
    assert flashes(page) == [f"Rex Reader is declared a conflict of #{p2} (recent collaborator or co-author)."]
    assert table_rows(page) == [
        "Rex Reader (Reader University) Recent collaborator or co-author Take back the conflict with Rex Reader"
    ]
    assert candidates(page) == []  # picked already
    assert declared_rows(world, "p2") == [(world.uid("rex"), None, "collaborator")]
    assert "Rex Reader (Reader University), program committee · Recent collaborator or co-author" in text_of(
        otto.get(f"/submissions/{p2}")
    )
    # The chairs read it with its reason; Rex's assignment (his review is in) is suspended.
    chair = signed_in(world, "carla")
    reason = "declared by the authors (recent collaborator or co-author)"
    assert table_rows(chair.get("/chair/conflicts")) == [
        f"{world.n('p1')} {world.title('p1')} Ada Author {AUTHOR}",
        f"{p2} {world.title('p2')} Rex Reader {reason} Lift",
    ]
    assert assignment_row(world, "p2", "rex")[1:] == (True, reason)
    assert_not_found(signed_in(world, "rex").get(f"/review/papers/{p2}"), [REX_P2])

    [conflict_id] = re.findall(r'name="remove" value="(\d+)"', page.get_data(as_text=True))
    taken_back = post(otto, url, {"remove": conflict_id}, url)

    assert flashes(follow(otto, taken_back)) == ["The conflict with Rex Reader is taken back."]
    assert declared_rows(world, "p2") == []
    assert table_rows(chair.get("/chair/conflicts")) == [f"{world.n('p1')} {world.title('p1')} Ada Author {AUTHOR}"]
    # With the conflict gone, the chair restores Rex, who sees the paper again.
    restored = post(chair, f"/chair/assignments/{assignment_row(world, 'p2', 'rex')[0]}/restore", token_page="/chair/")
    assert flashes(follow(chair, restored)) == [f"Reviewer 1 of #{p2} is restored: they see the paper again."]
    assert REX_P2 in text_of(signed_in(world, "rex").get(f"/review/papers/{p2}"))


# Before (ffada5b): fails — the page did not exist (errors: no declare_pc_conflict service).
def test_declared_conflicts_page_is_for_the_authors_and_refuses_changes_after_the_deadline(
    world: World, smtp: SMTPRecorder
) -> None:
    p2 = world.n("p2")
    url = f"/submissions/{p2}/conflicts"
    with world.app.test_request_context():  # declared while the submission was open
        ws = db.session.scalars(sa.select(Workshop)).one()
        otto, sub = db.session.get(User, world.uid("otto")), db.session.get(Submission, p2)
        subs.declare_pc_conflict(
            otto, ws, sub, db.session.get(User, world.uid("una")), ConflictReason.ADVISOR, now=utcnow() - timedelta(days=2)
        )
        db.session.commit()
    before = declared_rows(world, "p2")
    assert before == [(world.uid("una"), None, "advisor")]
    otto = signed_in(world, "otto")

    page = otto.get(url)

    assert page.status_code == 200
    assert table_rows(page) == ["Una Unassigned (Una Polytechnic) Advisor or advisee"]  # no "Take back"
    assert "This submission can no longer be changed; write to the chairs about a conflict you missed." in text_of(page)
    assert 'name="q"' not in page.get_data(as_text=True)  # no search
    [conflict_id] = conflict_ids(world, "p2")
    for data in ({"person": world.uid("rex"), "reason": "collaborator"}, {"remove": conflict_id}):
        refused = post(otto, url, data, url)
        assert refused.status_code == 422
        assert problems(refused) == [
            "This submission can no longer be changed: write to the chairs about a conflict. Nothing was changed."
        ]
    assert declared_rows(world, "p2") == before
    assert assignment_row(world, "p2", "rex")[1] is False

    # Nobody but the authors opens or changes it (the declared person and the reason could leak).
    leaks = ["Una Unassigned", "Advisor or advisee", world.title("p2")]
    anonymous = world.app.test_client()
    assert anonymous.get(url).headers["Location"] == f"/auth/login?next=%2Fsubmissions%2F{p2}%2Fconflicts"
    for key in ("ada", "rex", "una", "carla", "chris"):
        client = signed_in(world, key)
        hidden = [s for s in leaks if s != PEOPLE[key]["name"]]  # (the page's header names who is signed in)
        assert_not_found(client.get(url), hidden)
        assert_not_found(post(client, url, {"person": world.uid("rita"), "reason": "personal"}, "/submissions/"), hidden)
    assert declared_rows(world, "p2") == before


# --- 1e. a reviewer's own conflict with a person ------------------------------------------------------


# Before (ffada5b): fails — a named person was an address only (errors: no UserConflict.person_id), blind to moves.
def test_reviewers_declared_person_conflict_follows_that_person_to_a_new_address(world: World, smtp: SMTPRecorder) -> None:
    p2 = world.n("p2")
    rita = signed_in(world, "rita")
    form = form_with(rita.get("/account/conflicts"), "people")
    saved = rita.post("/account/conflicts", data=form | {"people": " Cora@Coauthor-Lab.ORG \n"})
    assert flashes(follow(rita, saved)) == ["Your conflicts of interest are saved (1 in all)."]
    with world.app.app_context():
        rows = [
            (c.kind, c.value, c.person_id)
            for c in db.session.scalars(sa.select(UserConflict).where(UserConflict.user_id == world.uid("rita")))
        ]
    assert rows == [(ConflictKind.PERSON, "cora@coauthor-lab.org", world.uid("cora"))]
    # Cora co-wrote paper 1, which Rita was assigned: suspended.
    assert assignment_row(world, "p1", "rita")[1:] == (
        True,
        "the reviewer declared a conflict with author Cora Coauthor; the reviewer declared a conflict with "
        "author Cora Coauthor (cora@coauthor-lab.org)",
    )

    change_address(world, "cora", "cora@cora-moved.org", smtp)
    open_submissions(world)
    otto = signed_in(world, "otto")
    added = edit_submission(otto, p2, authors=[person("otto"), ("Cora Coauthor", "cora@cora-moved.org", "Cora Moved Lab")])
    assert added.status_code == 302, problems(added)

    assert reasons(world, "rita", "p2") == [
        "the reviewer declared a conflict with author Cora Coauthor",
        "the reviewer declared a conflict with author Cora Coauthor (cora@coauthor-lab.org, an earlier address)",
    ]
    assert bid_titles(signed_in(world, "rita").get("/review/bids")) == all_titles(world, "p3")
    chair = signed_in(world, "chris")
    refused = post(chair, "/chair/assignments/add", {"number": p2, "reviewer": world.uid("rita")}, "/chair/assignments")
    assert flashes(follow(chair, refused)) == [
        f"Rita Reviewer conflicts with #{p2}: the reviewer declared a conflict with author Cora Coauthor; the reviewer "
        "declared a conflict with author Cora Coauthor (cora@coauthor-lab.org, an earlier address)."
    ]
    assert assignment_row(world, "p2", "rita") is None


# --- 1f. one normalisation --------------------------------------------------------------------------------


# Before (ffada5b): fails — author rows were never linked to an account (errors: no SubmissionAuthor.user_id).
def test_author_row_typed_with_spaces_and_capitals_links_to_the_account(world: World, smtp: SMTPRecorder) -> None:
    p2 = world.n("p2")
    open_submissions(world)
    otto = signed_in(world, "otto")

    saved = edit_submission(otto, p2, authors=[person("otto"), ("Ada Author", " Ada@ALPHA-Institute.ORG ", "Alpha Institute")])

    assert saved.status_code == 302, problems(saved)
    with world.app.app_context():
        rows = list(
            db.session.execute(
                sa.select(SubmissionAuthor.email, SubmissionAuthor.user_id)
                .where(SubmissionAuthor.submission_id == p2)
                .order_by(SubmissionAuthor.position)
            )
        )
    assert [tuple(r) for r in rows] == [
        ("otto@omega-college.org", world.uid("otto")),
        ("ada@alpha-institute.org", world.uid("ada")),
    ]
    notice = mail_to(smtp, "ada@alpha-institute.org", f"You are an author of submission #{p2}")
    assert mail_links(notice)[0] == f"/submissions/{p2}"
    ada = signed_in(world, "ada")
    assert my_submissions(ada) == [world.title("p1"), world.title("p2")]
    assert reasons(world, "ada", "p2") == [AUTHOR]
    assert bid_titles(ada.get("/review/bids")) == all_titles(world, "p3")


# --- 1g. the submitter stays an author ------------------------------------------------------------------


# Before (ffada5b): fails — Cora's list without the submitter was saved (302, not 422; checked).
def test_a_coauthor_cannot_drop_the_submitter_from_the_author_list(world: World, smtp: SMTPRecorder) -> None:
    p1 = world.n("p1")
    open_submissions(world)
    cora = signed_in(world, "cora")

    refused = edit_submission(cora, p1, authors=[person("cora")])

    assert refused.status_code == 422
    assert problems(refused) == ["Ada Author submitted this paper and stays one of its authors."]
    assert authors_in(form_with(refused, "title")) == [person("cora")]  # the list comes back as she typed it
    with world.app.app_context():
        sub = db.session.get(Submission, p1)
        assert [(a.name, a.email, a.affiliation) for a in sub.authors] == [person("ada"), person("cora")]
        assert sub.version == 1
    assert my_submissions(signed_in(world, "ada")) == [world.title("p1")]
    assert smtp.wait_for(1, timeout=0.3) == []  # no receipt, no notice


# --- 1h. a chair who changed address ----------------------------------------------------------------------


# Before (ffada5b): fails — author by current address only: Carla got the mail and her console showed paper 3.
def test_chair_who_changed_address_is_still_an_author_gets_no_mail_and_sees_nothing_of_the_paper(
    world: World, smtp: SMTPRecorder
) -> None:
    p3 = world.n("p3")
    change_address(world, "carla", "carla@carla-moved.org", smtp)
    set_affiliation(world, "carla", "Moved University")  # nothing of her author row is hers now but the account
    una = signed_in(world, "una")  # her review of paper 3 is in: the discussion is open to her

    posted = post(una, f"/review/papers/{p3}/discussion", {"body": "Una asks: which test set?"}, f"/review/papers/{p3}")

    assert posted.headers["Location"] == f"/review/papers/{p3}#discussion"
    # Chris, the other chair, reads it; not Carla (an author), not Rex (his review is not in).
    assert sorted(mails_by_recipient(smtp, 1)) == ["chris@second-chair.org"]
    carla = signed_in(world, "carla")
    leaks = [UNA_P3, "Una asks: which test set?", "Una Unassigned", "Rex Reader"]
    assert_not_found(carla.get(f"/chair/papers/{p3}"), leaks)
    assert_not_found(carla.get(f"/review/papers/{p3}"), leaks)
    console = carla.get("/chair/")
    assert figures(console).startswith("Submitted papers 2 ")
    assert (
        "You are conflicted with 1 paper (an author, or a conflict the authors or the chairs declared): it is "
        "left out of every figure and list here."
    ) in text_of(console)
    assert sorted(sections(carla.get("/chair/assignments"))) == [world.n("p1"), world.n("p2")]
    assert my_submissions(carla) == [world.title("p3")]


# --- 2. a chair who is an author learns nothing; a paper no chair can handle ----------------------------------


# Before (ffada5b): fails — Rex's load counted paper 3 (3 6 1); now still fails: the unfinished column counts it.
def test_chair_who_is_an_author_sees_loads_and_figures_without_their_paper(world: World) -> None:
    carla, chris = signed_in(world, "carla"), signed_in(world, "chris")
    with world.app.app_context():
        cap = db.session.scalars(sa.select(Workshop)).one().default_max_load

    # Reviewer, assigned, minimum, maximum, unfinished, reviews in, mean, against others, spread: Rex's and
    # Una's seats on paper 3, and Una's "strong accept" of it, count nowhere for Carla.
    assert table_after(carla.get("/chair/assignments/reviewers"), "Reviewer loads", "h1") == [
        f"Ada Author 0 0 {cap} 0 0 — — —",
        f"Rex Reader 2 0 {cap} 0 2 3.00 — 1.00",
        f"Rita Reviewer 1 0 {cap} 1 0 — — —",
        f"Una Unassigned 1 0 {cap} 1 0 — — —",
    ]
    assert table_after(chris.get("/chair/assignments/reviewers"), "Reviewer loads", "h1") == [
        f"Ada Author 0 0 {cap} 0 0 — — —",
        f"Rex Reader 3 0 {cap} 1 2 3.00 — 1.00",
        f"Rita Reviewer 1 0 {cap} 1 0 — — —",
        f"Una Unassigned 2 0 {cap} 1 1 5.00 — 0.00",
    ]

    mine, theirs = carla.get("/chair/"), chris.get("/chair/")
    assert figures(mine) == (
        "Submitted papers 2 Abstracts without a paper 0 Withdrawn 0 Reviews submitted 2 of 4 "
        "Papers short of 2 reviewers 0 Reviewers disagree (spread ≥ 2) 0 Accepted 0 Rejected 0 "
        "Undecided 2"
    )
    assert figures(theirs) == (
        "Submitted papers 3 Abstracts without a paper 0 Withdrawn 0 Reviews submitted 3 of 6 "
        "Papers short of 2 reviewers 0 Reviewers disagree (spread ≥ 2) 0 Accepted 0 Rejected 0 "
        "Undecided 3"
    )
    # Una's "strong accept" of paper 3 is not among Carla's recommendations.
    labels = {i: f"{i} {RECOMMENDATIONS[i]}" for i in range(1, 6)}
    assert recommendations(mine) == {labels[1]: "0", labels[2]: "1", labels[3]: "0", labels[4]: "1", labels[5]: "0"}
    assert recommendations(theirs) == {labels[1]: "0", labels[2]: "1", labels[3]: "0", labels[4]: "1", labels[5]: "1"}
    assert rows_of(section(mine, "late")) == [["Rita Reviewer", "1"], ["Una Unassigned", "1"]]
    assert rows_of(section(theirs, "late")) == [["Rex Reader", "1"], ["Rita Reviewer", "1"], ["Una Unassigned", "1"]]
    assert "You are conflicted with 1 paper" in text_of(mine) and "You are conflicted" not in text_of(theirs)
    assert_no_leak(mine, [world.title("p3")])


# Before (ffada5b): fails — no committee conflicts for authors to declare, no manager, no unhandled-papers list.
def test_paper_every_chair_conflicts_with_gets_a_manager_who_handles_it_alone(world: World, smtp: SMTPRecorder) -> None:
    p2 = world.n("p2")
    with world.app.test_request_context():  # Otto declared both chairs while the submission was open
        ws = db.session.scalars(sa.select(Workshop)).one()
        otto, sub = db.session.get(User, world.uid("otto")), db.session.get(Submission, p2)
        for chair in ("carla", "chris"):
            subs.declare_pc_conflict(
                otto, ws, sub, db.session.get(User, world.uid(chair)), ConflictReason.ADVISOR, now=utcnow() - timedelta(days=2)
            )
        db.session.commit()
    carla, chris = signed_in(world, "carla"), signed_in(world, "chris")
    leaks = [REX_P2, "Rex Reader", "Una Unassigned"]
    for chair in (carla, chris):
        assert unhandled_papers(chair.get("/chair/")) == [
            f"#{p2} {world.title('p2')} Manager's email address Name the manager of #{p2}"
        ]
        assert_not_found(chair.get(f"/chair/papers/{p2}"), leaks)
        assert_not_found(chair.get(f"/review/papers/{p2}"), leaks)

    named = post(carla, f"/chair/papers/{p2}/manager", {"email": "Rita@Rita-Research.org"}, "/chair/")

    assert flashes(follow(carla, named)) == [f"Rita Reviewer now manages #{p2}."]
    assert unhandled_papers(carla.get("/chair/")) == []
    rita = signed_in(world, "rita")
    page = rita.get(f"/review/papers/{p2}")
    assert page.status_code == 200
    assert "You manage this paper" in text_of(page)
    assert review_headings(page) == ["Reviewer 1"]
    assert REX_P2 in text_of(page)
    panel = re.search(r'(?s)<section id="manage".*?</section>', page.get_data(as_text=True))
    assert panel is not None
    assert [text_of_html(li) for li in re.findall(r"(?s)<li>(.*?)</li>", panel.group(0))] == [
        "Reviewer 1: Rex Reader (rex@reader-university.org) · submitted",
        "Reviewer 2: Una Unassigned (una@una-polytechnic.org) · not started Remove Reviewer 2",
    ]

    assigned = post(rita, f"/review/papers/{p2}/manage/assign", {"email": "ada@alpha-institute.org"}, f"/review/papers/{p2}")
    assert assigned.headers["Location"] == f"/review/papers/{p2}#manage"
    assert flashes(follow(rita, assigned)) == [f"Ada Author reviews #{p2} as Reviewer 3."]
    mail = mails_by_recipient(smtp, 1)["ada@alpha-institute.org"]
    assert subject(mail) == "[LongLLM 2024] 1 paper to review"
    smtp.clear()
    with world.app.app_context():
        version = db.session.get(Submission, p2).version
    decision = {"decision": "accepted", "presentation": "poster", "note": "", "version": version}
    decided = post(rita, f"/review/papers/{p2}/manage/decide", decision, f"/review/papers/{p2}")
    assert flashes(follow(rita, decided)) == [f"#{p2}: accepted."]
    with world.app.app_context():
        sub = db.session.get(Submission, p2)
        assert (sub.decision, sub.presentation.value, sub.decided_by_id) == (Decision.ACCEPTED, "poster", world.uid("rita"))
    assert mails_by_recipient(smtp, 0) == {}  # no letter unless she asks for it
    # The conflicted chairs still see nothing of it.
    for chair in (carla, chris):
        assert_not_found(chair.get(f"/chair/papers/{p2}"), [*leaks, "Ada Author"])


# --- 3. reviewers form their own view first -------------------------------------------------------------------


# Before (ffada5b): fails — Rita saw Rex's comment before her own review, could post, and was mailed (checked).
def test_discussion_opens_to_a_reviewer_after_their_own_review_and_mails_only_its_readers(
    world: World, smtp: SMTPRecorder
) -> None:
    p1 = world.n("p1")
    url = f"/review/papers/{p1}"
    rita = signed_in(world, "rita")
    before = rita.get(url)
    assert comments(before) == []
    assert_no_leak(before, [REX_COMMENT, REX_P1])
    refused = post(rita, f"{url}/discussion", {"body": "Rita, before reading."}, url)
    assert refused.status_code == 403
    assert count_comments(world) == 1

    chris = signed_in(world, "chris")
    assert post(chris, f"{url}/discussion", {"body": "Chris asks for the memory per device."}, url).status_code == 302
    # Carla (a chair not conflicted) and Rex (reviewed) read it; not Rita (not yet), not Ada or Cora (authors).
    mails = mails_by_recipient(smtp, 2)
    assert sorted(mails) == ["carla@chair-university.org", "rex@reader-university.org"]
    assert content(mails["rex@reader-university.org"]).startswith(f"A chair wrote in the discussion of #{p1}")
    smtp.clear()
    assert comments(rita.get(url)) == []

    form = form_with(rita.get(f"{url}/review"), "version")
    submitted = rita.post(f"{url}/review", data=form | {"action": "submit", "recommendation": "3", "confidence": "3"})
    after = follow(rita, submitted)
    assert comments(after) == [("Reviewer 2", REX_COMMENT), ("A chair", "Chris asks for the memory per device.")]
    posted = post(rita, f"{url}/discussion", {"body": "Rita, having read it."}, url)
    assert posted.headers["Location"] == f"{url}#discussion"
    assert sorted(mails_by_recipient(smtp, 3)) == [
        "carla@chair-university.org",
        "chris@second-chair.org",
        "rex@reader-university.org",
    ]


# Before (ffada5b): fails — the discussion was never closed (Una's early post got 302, not 403; checked).
def test_discussion_opened_early_by_the_chairs_lets_a_reviewer_in_before_their_review(world: World, smtp: SMTPRecorder) -> None:
    p2 = world.n("p2")
    url = f"/review/papers/{p2}"
    una = signed_in(world, "una")  # her review of paper 2 is not started
    assert post(una, f"{url}/discussion", {"body": "Too early."}, url).status_code == 403
    update(world.app, discussion_before_review=True)

    posted = post(una, f"{url}/discussion", {"body": "Una, before her review."}, url)

    assert posted.headers["Location"] == f"{url}#discussion"
    assert comments(una.get(url)) == [("You", "Una, before her review.")]
    # Everyone who may read it, and nobody else: not Otto (the author), not Rita (not on the paper).
    assert sorted(mails_by_recipient(smtp, 3)) == [
        "carla@chair-university.org",
        "chris@second-chair.org",
        "rex@reader-university.org",
    ]


# --- 4. a letter says what was decided --------------------------------------------------------------------------


def decide(client: FlaskClient, world: World, paper: str, decision: str) -> None:
    with world.app.app_context():
        version = db.session.get(Submission, world.n(paper)).version
    data = {"decision": decision, "version": version, "note": "", "presentation": ""}
    response = post(client, f"/chair/decisions/{world.n(paper)}", data, "/chair/decisions")
    assert flashes(follow(client, response)) == [f"#{world.n(paper)}: {decision}."]


TEMPLATES = {"accept_letter": "Accepted: #{{ number }}.", "reject_letter": "Not accepted: #{{ number }}.", "with_reviews": ""}


# Before (ffada5b): fails — no stale notice, and sending mailed paper 1's authors the acceptance drafted earlier.
def test_stale_letter_is_not_sent_until_the_drafts_are_prepared_again(world: World, smtp: SMTPRecorder) -> None:
    p1, p2 = world.n("p1"), world.n("p2")
    chair = signed_in(world, "carla")
    decide(chair, world, "p1", "accepted")
    decide(chair, world, "p2", "rejected")
    prepared = post(chair, "/chair/letters", TEMPLATES, "/chair/letters")
    assert flashes(follow(chair, prepared)) == ["The templates are saved and 2 drafts prepared."]

    decide(chair, world, "p1", "rejected")

    page = chair.get("/chair/letters")
    assert (
        f"1 draft (#{p1}) was written for a decision since changed. Sending leaves it out: save the templates above "
        "to prepare the drafts again."
    ) in text_of(page)
    assert [row for row in table_rows(page) if row.startswith(f"{p1} ")] == [
        f"{p1} [LongLLM 2024] #{p1} accepted: {world.title('p1')} draft stale: written for accepted, the decision is "
        "now rejected; not sent until the drafts are prepared again"
    ]
    sent = post(chair, "/chair/letters/send", {"confirm": "1"}, token_page="/chair/letters")
    assert flashes(follow(chair, sent)) == [
        f"1 letter sent to the authors. Not sent: the draft for #{p1}, written for "
        "a decision since changed: prepare the drafts again."
    ]
    mails = mails_by_recipient(smtp, 1)
    assert {to: content(m).strip() for to, m in mails.items()} == {"otto@omega-college.org": f"Not accepted: #{p2}."}
    smtp.clear()

    prepared = post(chair, "/chair/letters", TEMPLATES, "/chair/letters")
    assert flashes(follow(chair, prepared)) == ["The templates are saved and 1 draft prepared."]
    assert "written for a decision since changed" not in text_of(chair.get("/chair/letters"))
    sent = post(chair, "/chair/letters/send", {"confirm": "1"}, token_page="/chair/letters")
    assert flashes(follow(chair, sent)) == ["1 letter sent to the authors."]
    [letter] = mails_by_recipient(smtp, 1).values()
    assert (sorted(str(letter["To"]).split(", ")), subject(letter), content(letter).strip()) == (
        ["ada@alpha-institute.org", "cora@coauthor-lab.org"],
        f"[LongLLM 2024] #{p1} decision: {world.title('p1')}",
        f"Not accepted: #{p1}.",
    )  # every author of paper 1, one mail
