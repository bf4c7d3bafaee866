"""Form errors are announced the same way on every form: a summary at the top (role="alert", focusable with
tabindex="-1", a heading) lists each error as a link to its field (``href="#field-id"``), and each field with an
error has ``aria-invalid="true"`` and ``aria-describedby`` naming its message. Every form of the site is posted
empty or invalid, by the role that uses it, and its page is read as a tree."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import CSRF_INPUT_RE, csrf_token
from tests.e2e.test_accessibility import AUTHOR, CHAIR, REVIEWER, World, build_world
from tests.factories import login

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CONTROLS = {"input", "select", "textarea"}


# --- the page as a tree -------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    @property
    def text(self) -> str:
        parts = [
            c if isinstance(c, str) else c.text
            for c in self.children
            if not (isinstance(c, Node) and c.tag in ("script", "style"))
        ]
        return " ".join(" ".join(parts).split())

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def controls(self) -> list[Node]:
        """The form controls a person fills in: this node, or those inside it."""
        return [n for n in self.iter() if n.tag in CONTROLS and n.attrs.get("type") not in ("hidden", "submit")]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    return tree.root


@dataclass
class Announced:
    links: list[tuple[str, str]]  # (href, text) of the summary's links, in order
    problems: list[str]  # what is wrong with how the errors are announced


def announced(html: str) -> Announced:
    """Read the page's error summary and check it against the fields marked invalid."""
    root = parse(html)
    nodes = list(root.iter())
    order = {id(n): i for i, n in enumerate(nodes)}
    problems: list[str] = []
    by_id: dict[str, Node] = {}
    for n in nodes:
        if "id" in n.attrs:
            if n.attrs["id"] in by_id:
                problems.append(f"id {n.attrs['id']!r} is used twice")
            by_id[n.attrs["id"]] = n
    summaries = [n for n in nodes if "error-summary" in n.classes]
    if len(summaries) != 1:
        return Announced([], [f"{len(summaries)} error summaries on the page"])
    summary = summaries[0]
    for name, value in (("role", "alert"), ("tabindex", "-1"), ("id", "error-summary")):
        if summary.attrs.get(name) != value:
            problems.append(f"the summary's {name} is {summary.attrs.get(name)!r}, not {value!r}")
    if "autofocus" not in summary.attrs:
        problems.append("the summary does not take the focus (autofocus)")
    title = next((n.text for n in nodes if n.tag == "title"), "")
    if not title.startswith("Error: "):
        problems.append(f"the page title {title!r} does not start with 'Error: '")
    first = next((c for c in summary.children if isinstance(c, Node)), None)
    if first is None or first.tag != "h2" or not first.text:
        problems.append("the summary does not start with a heading")
    main = next(n for n in nodes if n.tag == "main")
    forms = [n for n in main.iter() if n.tag == "form" and n.attrs.get("method", "").lower() == "post"]
    invalid = [n for n in nodes if n.attrs.get("aria-invalid") == "true"]
    if invalid and order[id(invalid[0])] < order[id(summary)]:
        problems.append("the summary comes after a field with an error")
    if forms and not invalid and order[id(summary)] > min(order[id(f)] for f in forms):
        problems.append("the summary is not above the form")

    links = [(a.attrs.get("href", ""), a.text) for a in summary.iter() if a.tag == "a"]
    covered: set[int] = set()  # the fields linked from the summary
    stated: set[str] = set()  # the ids of the error messages those fields are described by
    for href, text in links:
        target = by_id.get(href[1:]) if href.startswith("#") else None
        if target is None:
            problems.append(f"the link {text!r} goes to {href!r}, which is not on the page")
            continue
        controls = target.controls()
        if not controls:
            problems.append(f"the link {text!r} goes to {href!r}, which holds no field")
        covered |= {id(c) for c in controls}
        for control in controls:
            if control.attrs.get("aria-invalid") != "true":
                problems.append(f'{href}: the field {control.attrs.get("name")!r} lacks aria-invalid="true"')
        described = controls[0] if target in controls else target
        messages = [by_id[i] for i in described.attrs.get("aria-describedby", "").split() if i in by_id]
        errors = [m for m in messages if "error" in m.classes]
        stated |= {m.attrs["id"] for m in errors}
        if not errors:
            problems.append(f"{href}: aria-describedby names no error message")
        elif not any(m.text and m.text in text for m in errors):
            problems.append(f"{href}: the message {[m.text for m in errors]} differs from the summary's {text!r}")
    for n in invalid:  # each is linked, or shares a linked field's message (one row's missing name and address)
        if id(n) not in covered and not stated & set(n.attrs.get("aria-describedby", "").split()):
            problems.append(f"the field {n.attrs.get('name')!r} is marked invalid but not linked from the summary")
    for n in nodes:
        for ref in n.attrs.get("aria-describedby", "").split():
            if ref not in by_id:
                problems.append(f"{n.attrs.get('name') or n.tag}: aria-describedby names {ref!r}, not on the page")
    return Announced(links, problems)


# --- the forms ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def signed_in(app: Flask, person: dict[str, Any] | None) -> FlaskClient:
    client = app.test_client()
    if person is not None:
        assert login(client, person["email"]).status_code == 302
    return client


def post(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> str:
    response = client.post(url, data={"csrf_token": csrf_token(client, url), **data}, **kwargs)
    assert response.status_code in (200, 400, 401, 409, 422), (url, response.status_code)
    return response.get_data(as_text=True)


@dataclass
class Case:
    """A form posted by ``person`` (None: a visitor) with ``data``; ``links``: the summary's links as read."""

    person: dict[str, Any] | None
    url: str
    data: dict[str, Any]
    links: list[tuple[str, str]]


NAME_REQUIRED = ("#name", "Full name: Give your full name.")
AFFILIATION_REQUIRED = ("#affiliation", "Affiliation: Give your affiliation (or “Independent researcher”).")
EMAIL_REQUIRED = ("#email", "Email: Give your email address.")
SHORT_PASSWORD = ("#password", "New password: Use at least 12 characters (this one has 5).")
PAPER_REQUIRED = [
    ("#title", "Title: Give the title."),
    ("#abstract", "Abstract: Write the abstract."),
    ("#type", "Submission type: Choose the submission type."),
    ("#primary_topic", "Primary topic: Choose the primary topic."),
]
EMPTY = "This cannot be empty."


def details(**more: Any) -> dict[str, Any]:
    """A new submission's fields, filled in except what ``more`` changes; Ann is the only author."""
    return {
        "action": "save",
        "title": "A title",
        "abstract": "An abstract.",
        "type": "1",
        "primary_topic": "1",
        "authors-0-name": AUTHOR["name"],
        "authors-0-email": AUTHOR["email"],
        "authors-0-affiliation": AUTHOR["affiliation"],
        **more,
    }


def cases(w: World) -> list[Case]:
    a, r = w.accepted, w.rejected
    return [
        # Visitors
        Case(
            None,
            "/auth/login",
            {},
            [("#email", "Email: Give your email address."), ("#password", "Password: Give your password.")],
        ),
        Case(
            None,
            "/auth/register",
            {},
            [
                NAME_REQUIRED,
                AFFILIATION_REQUIRED,
                EMAIL_REQUIRED,
                ("#password", "Password: Choose a password."),
                ("#confirm", "Repeat the password: Repeat the password."),
            ],
        ),
        Case(None, "/auth/reset", {}, [EMAIL_REQUIRED]),
        Case(
            None,
            "/auth/confirm/resend",
            {"email": "not-an-address"},
            [("#email", "Email: This does not look like an email address (name@example.org).")],
        ),
        Case(
            None,
            w.reset_path,
            {"password": "short", "confirm": "other"},
            [SHORT_PASSWORD, ("#confirm", "Repeat the new password: The two passwords differ.")],
        ),
        Case(
            None,
            "/sponsors/",
            {},
            [
                ("#name", "Your name: Tell us your name."),
                ("#organization", "Organization: Tell us which organization you represent."),
                ("#email", "Email: Give an email address we can answer."),
                ("#interest", "Sponsorship interest: Choose what interests you."),
                ("#message", "Message: Write a message to the organizers."),
            ],
        ),
        # An author: the account, then the submission forms with what only saving finds.
        Case(
            AUTHOR,
            "/account/profile",
            {"name": "", "affiliation": "", "orcid": "1234", "homepage": "not a url"},
            [
                NAME_REQUIRED,
                AFFILIATION_REQUIRED,
                ("#orcid", "ORCID iD (optional): This is not a valid ORCID iD: check the 16 digits (like 0000-0002-1825-0097)."),
                ("#homepage", "Homepage (optional): Give a full web address (https://…)."),
            ],
        ),
        Case(
            AUTHOR,
            "/account/email",
            {},
            [
                ("#email", "New email address: Give your email address."),
                ("#password", "Your current password: Give your current password."),
            ],
        ),
        Case(
            AUTHOR,
            "/account/password",
            {"current": "wrong", "password": "short"},
            [
                ("#current", "Current password: This is not your current password."),
                SHORT_PASSWORD,
                ("#confirm", "Repeat the new password: Repeat the password."),
            ],
        ),
        Case(
            AUTHOR,
            "/account/conflicts",
            {"people": "not-an-email", "domains": "not a domain"},
            [
                ("#domains", "Email domains: “not a domain” is not an email domain (like ucsd.edu)."),
                ("#people", "People: “not-an-email” is not an email address."),
            ],
        ),
        Case(
            AUTHOR,
            "/account/tokens",
            {"name": "", "days": "0", "scope": "admin"},
            [
                ("#name", "Name: Give the token a name."),
                ("#days", "Days it lasts: From 1 to 366 days."),
                ("#scope", "Scope: Not a valid choice."),
            ],
        ),
        Case(AUTHOR, "/submissions/new", {"action": "save"}, PAPER_REQUIRED),
        Case(
            AUTHOR,
            "/submissions/new",
            details(**{"authors-0-email": "bad"}),
            [("#authors-0-email", "Author 1: “bad” is not an email address.")],
        ),
        Case(
            AUTHOR,
            "/submissions/new",
            details(
                **{
                    "authors-1-name": "",
                    "authors-1-email": "",
                    "authors-1-affiliation": "Nameless University",
                    "declared_conflicts": "nobody\nrita@example.org",
                }
            ),
            [
                ("#authors-1-name", "Author 2: give a name and an email address."),
                ("#declared_conflicts", "“nobody” is not an email address."),
            ],
        ),
        Case(
            AUTHOR,
            "/submissions/new",
            details(paper=(io.BytesIO(b"not a pdf"), "paper.pdf")),
            [("#paper", "Paper: This is not a PDF file (its content is not PDF, whatever its name says).")],
        ),
        Case(
            AUTHOR,
            "/submissions/new",
            details(supplementary=(io.BytesIO(b"nothing"), "extra.zip")),
            [
                (
                    "#supplementary",
                    "Supplementary material: Supplementary material must be a PDF or a ZIP file (by its content, not its name).",
                )
            ],
        ),
        Case(AUTHOR, f"/submissions/{a}/edit", {"action": "save"}, PAPER_REQUIRED),
        Case(
            AUTHOR,
            f"/submissions/{a}/camera-ready",
            {"action": "save", "authors-0-name": "x" * 201},
            [
                ("#title", "Title: Give the title."),
                ("#authors-0-name", "Author 1, name: Field cannot be longer than 200 characters."),
            ],
        ),
        # A reviewer
        Case(
            REVIEWER,
            "/account/expertise",
            {"statement": "x" * 3001, "papers-0-abstract": "x" * 5001},
            [
                ("#statement", "Expertise statement: Field cannot be longer than 3000 characters."),
                ("#papers-0-abstract", "Paper 1, abstract: Field cannot be longer than 5000 characters."),
            ],
        ),
        Case(
            REVIEWER,
            f"/review/papers/{r}/review",
            {"action": "submit"},
            [
                ("#recommendation", "Overall recommendation: Choose one to submit the review."),
                ("#confidence", "Confidence: Choose one to submit the review."),
            ],
        ),
        # A chair
        Case(
            CHAIR,
            "/chair/reviewing",
            {},
            [
                ("#phase", "Phase: Choose the phase the workshop is in."),
                ("#reviews_per_paper", "Reviews per paper: This field is required."),
                ("#default_max_load", "Maximum papers per reviewer (default): This field is required."),
                ("#weight_bid", "Weight of the bid: This field is required."),
                ("#weight_topics", "Weight of the topics in common: This field is required."),
                ("#weight_text", "Weight of the text similarity: This field is required."),
            ],
        ),
        Case(
            CHAIR,
            "/chair/review-form",
            {"kind": "text", "visibility": "chairs", "max_words": "0"},
            [
                ("#label", "Label: Give the field a label."),
                ("#max_words", "Most words (text): Number must be between 1 and 20000."),
            ],
        ),
        Case(
            CHAIR,
            "/chair/conflicts",
            {},
            [
                ("#number", "Submission number: This field is required."),
                ("#reviewer", "Reviewer's email: This field is required."),
            ],
        ),
        Case(CHAIR, "/chair/mail", {"preview": "Preview"}, [("#audience", "To: Choose who gets the mail.")]),
        Case(CHAIR, "/members/invitations", {}, [("#lines", "Reviewers to invite: Paste at least one line.")]),
        Case(
            CHAIR,
            "/settings/",
            {"types-0-page_limit": "x"},
            [
                ("#timezone", "Time zone: This field is required."),
                ("#max_upload_mb", "Maximum paper size (MB): This field is required."),
                ("#supplementary_max_mb", "Maximum supplementary size (MB): This field is required."),
                ("#double_blind", "Review mode: Choose double-blind or single-blind review."),
                (
                    "#anonymity_blocks",
                    "When the anonymity check finds an author's name: Choose whether to warn the author or refuse the upload.",
                ),
                (
                    "#types-0-page_limit",
                    "Submission type 1, page limit: Not a valid integer value. Number must be between 1 and 200.",
                ),
            ],
        ),
        Case(
            CHAIR,
            "/chair/content/texts",
            {"save": "1"},
            [
                ("#name", f"Name: {EMPTY}"),
                ("#short_name", f"Short name: {EMPTY}"),
                ("#edition", f"Edition: {EMPTY}"),
                ("#contact_email", f"Contact email: {EMPTY}"),
                ("#overview", f"About the workshop: {EMPTY}"),
            ],
        ),
        Case(CHAIR, "/chair/content/topics/new", {"save": "1"}, [("#title", f"Title: {EMPTY}")]),
        Case(
            CHAIR, "/chair/content/questions/new", {"save": "1"}, [("#title", f"Title: {EMPTY}"), ("#text", f"Question: {EMPTY}")]
        ),
        Case(
            CHAIR,
            "/chair/content/dates/new",
            {"save": "1"},
            [
                ("#label", f"Label: {EMPTY}"),
                ("#kind", "Kind: Choose whether this is the workshop itself or another date."),
                ("#at", f"Date and time: {EMPTY}"),
            ],
        ),
        Case(CHAIR, "/chair/content/sponsors/new", {"save": "1"}, [("#label", f"Label: {EMPTY}")]),
        Case(CHAIR, "/chair/content/people/speaker/new", {"save": "1"}, [("#name", f"Name: {EMPTY}")]),
        # Issue 24: a photo that is no picture, a sponsor's link that is none (inquiry 1 and person 1 of the world).
        Case(
            CHAIR,
            "/chair/content/people/speaker/1/photo",
            {"upload": "1", "photo": (io.BytesIO(b"%PDF-1.7 named like a photo"), "me.jpg")},
            [
                (
                    "#photo",
                    "Photo: The photo is not a picture the portal can read (JPEG, PNG, WebP or GIF), whatever its name "
                    "says: choose another file.",
                )
            ],
        ),
        Case(
            CHAIR,
            "/chair/sponsors/1",
            {"state": "confirmed", "tier": "gold", "website": "not a link", "save": "1"},
            [
                (
                    "#website",
                    "Link: Give the sponsor's web address, starting with https:// (or http://), like https://example.org.",
                )
            ],
        ),
        Case(
            CHAIR,
            "/chair/program/sessions/new",
            {"save": "Save"},
            [
                ("#title", f"Title: {EMPTY}"),
                ("#day", "Day: Give the day, like 2024-07-27."),
                ("#starts", "Starts: Give a time, like 09:00."),
                ("#ends", "Ends: Give a time, like 10:30."),
            ],
        ),
        Case(
            CHAIR,
            f"/chair/program/sessions/{w.session}/new/break",
            {"starts": "10:00", "ends": "09:30"},
            [("#ends", "Ends (optional): The item ends after it starts.")],
        ),
        Case(
            AUTHOR,
            f"/submissions/{a}/materials",
            {"video_url": "javascript:alert(1)"},
            [("#video_url", "Video link: Give the video's web address, starting with https:// (or http://).")],
        ),
    ]


def test_every_form_posted_wrong_lists_each_error_as_a_link_to_its_marked_field(app: Flask, world: World) -> None:
    clients: dict[str, FlaskClient] = {}
    seen, expected = {}, {}
    for case in cases(world):
        key = case.person["email"] if case.person else ""
        if key not in clients:
            clients[key] = signed_in(app, case.person)
        name = f"{key or 'visitor'} {case.url} {sorted(case.data)}"
        result = announced(post(clients[key], case.url, case.data))
        seen[name] = (result.links, result.problems)
        expected[name] = (case.links, [])
    assert seen == expected


def test_the_check_finds_errors_announced_badly() -> None:
    """The reader above is what the other test trusts: it catches a summary that is not an alert and does not
    take the focus, a link to nothing, a linked field not marked, and a marked field left out of the summary."""
    page = """<html><head><title>Sign in</title></head><body><main>
      <div class="error-summary" id="error-summary"><h2>Please correct these problems</h2><ul>
        <li><a href="#email">Email: Give your email address.</a></li><li><a href="#mail">Password: Give it.</a></li>
      </ul></div>
      <form method="post"><input id="email" name="email" aria-describedby="email-error">
        <p class="error" id="email-error">Give your email address.</p>
        <input id="password" name="password" aria-invalid="true" aria-describedby="password-help"></form>
    </main></body></html>"""
    result = announced(page)
    assert result.links == [("#email", "Email: Give your email address."), ("#mail", "Password: Give it.")]
    assert result.problems == [
        "the summary's role is None, not 'alert'",
        "the summary's tabindex is None, not '-1'",
        "the summary does not take the focus (autofocus)",
        "the page title 'Sign in' does not start with 'Error: '",
        "#email: the field 'email' lacks aria-invalid=\"true\"",
        "the link 'Password: Give it.' goes to '#mail', which is not on the page",
        "the field 'password' is marked invalid but not linked from the summary",
        "password: aria-describedby names 'password-help', not on the page",
    ]


def test_a_problem_reported_after_a_redirect_is_an_alert_read_first(app: Flask, world: World) -> None:
    # Buttons that redirect (here the chair's bulk decision with nothing selected) report what went wrong as a
    # flash: it must be an alert with the focus, apart from the messages that only say what was done.
    chair = signed_in(app, CHAIR)
    token = CSRF_INPUT_RE.search(chair.get("/chair/submissions").get_data(as_text=True))
    assert token is not None
    response = chair.post("/chair/decisions/bulk", data={"csrf_token": token.group(1)}, follow_redirects=True)
    root = parse(response.get_data(as_text=True))
    alerts = [n for n in root.iter() if n.attrs.get("role") == "alert"]
    assert [n.text for n in alerts] == ["Select papers and a decision."]
    assert "autofocus" in alerts[0].attrs and alerts[0].attrs.get("tabindex") == "-1"
