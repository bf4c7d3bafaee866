"""System mails the chairs word (issue 21.7): the reviewer assignment, review reminder, invitation and submission
receipt, each edited on its page in the chairs' sandbox, previewed about a real paper, reset to the portal's
text; the decision letters through the letters page.

What is checked: the default text is the portal's own mail byte for byte (a workshop that saves it unchanged
sends the very same mails); a saved wording is what the next real mail says when it arrives over SMTP; the
preview shows a real paper's values and sends nothing; reset needs a confirmation and restores the portal's
text; hostile input (blank, whitespace, over the limit, a syntax error, a sandbox escape, an unknown value,
an author's name asked of a reviewer's mail, a missing CSRF token) changes nothing and says why; a stored
template that fails on a real mail never loses it; only chairs reach the pages."""

from __future__ import annotations

import html as html_lib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal import emails
from portal.db import db, utcnow
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AreaChairProposal,
    AuditEvent,
    Decision,
    FileKind,
    Invitation,
    MailTemplate,
    OutgoingEmail,
    ReviewAssignment,
    Revision,
    StoredFile,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.services import accounts, area_chair_assignment, area_chairs, assignments, mail_templates, reviews
from portal.services import submissions as subs
from tests.conftest import CSRF_INPUT_RE, CSRF_RE, SMTPRecorder, text_of
from tests.factories import login, make_user
from tests.views.test_group_mail import assign, make_paper

PEOPLE: dict[str, dict[str, Any]] = {
    "carla": {"affiliation": "Chair Institute", "email": "carla@example.org", "name": "Carla Chair", "roles": ("chair",)},
    "ann": {"affiliation": "Ann Lab", "email": "ann@example.org", "name": "Ann Author"},
    "ben": {"affiliation": "Ben Lab", "email": "ben@example.org", "name": "Ben Bauthor"},
    "rita": {"affiliation": "Rita Institute", "email": "rita@example.org", "name": "Rita Reviewer", "roles": ("reviewer",)},
    "rex": {"affiliation": "Rex College", "email": "rex@example.org", "name": "Rex Reader", "roles": ("reviewer",)},
    "alex": {"affiliation": "Alex Univ", "email": "alex@example.org", "name": "Alex Area", "roles": ("area_chair",)},
}
NOW = datetime(2024, 3, 1, 14, 5, 9, tzinfo=UTC)


@dataclass
class World:
    app: Flask
    p1: int  # Ann's, with a PDF (25 anonymity hits), a supplementary file and a camera-ready version; Rita reviews it
    p2: int  # Ben's abstract, no file; Rex reviews it (not started)
    users: dict[str, int]

    def uid(self, key: str) -> int:
        return self.users[key]


def _file(n: int, size: int) -> StoredFile:
    return StoredFile(storage_key=f"k{n}-{size}", sha256=str(n % 10) * 64, size=size, content_type="application/pdf")


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.review_deadline = datetime(2024, 4, 5, 21, 59, tzinfo=UTC)
        u = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        p1 = make_paper(
            ws, u["ann"], "Ring Attention at Scale", [("Ann Author", "ann@example.org"), ("Cleo Co", "cleo@example.org")]
        )
        p2 = make_paper(ws, u["ben"], "Memory Tokens", [("Ben Bauthor", "ben@example.org")])
        hits = [
            {"where": f"page {i}", "matched": "Ann Lab", "kind": "affiliation", "context": f"at Ann Lab {i}"} for i in range(25)
        ]
        for kind, size, pages, report in (
            (FileKind.PAPER, 123_456, 8, {"hits": hits}),
            (FileKind.SUPPLEMENTARY, 2048, None, {}),
            (FileKind.CAMERA_READY, 130_000, 9, {}),
        ):
            db.session.add(Revision(submission=p1, kind=kind, file=_file(len(kind), size), pages=pages, check_report=report))
        assign(p1, u["rita"], 1)
        assign(p2, u["rex"], 1)
        db.session.commit()
        return World(app, p1.id, p2.id, {k: v.id for k, v in u.items()})


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def edit(client: FlaskClient, kind: str, data: dict[str, Any], *, token: bool = True) -> TestResponse:
    url = f"/chair/mails/{kind}"
    page = client.get(url)
    found = CSRF_RE.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return client.post(url, data={**({"csrf_token": found.group(1)} if token else {}), **data})


def saved_rows(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.select(MailTemplate.kind, MailTemplate.subject, MailTemplate.body))]


def outbox(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        return [
            tuple(r)
            for r in db.session.execute(
                sa.select(OutgoingEmail.kind, OutgoingEmail.recipients, OutgoingEmail.subject, OutgoingEmail.body_text).order_by(
                    OutgoingEmail.id
                )
            )
        ]


# --- the default is the portal's own mail, byte for byte -----------------------------------------------------


def _send_each(world: World, kind: str) -> None:
    """Every variant of the mail ``kind``, sent by the functions the portal sends it with (fixed clock)."""
    ws = db.session.scalar(sa.select(Workshop))
    carla, rita = db.session.get(User, world.uid("carla")), db.session.get(User, world.uid("rita"))
    p1, p2 = db.session.get(Submission, world.p1), db.session.get(Submission, world.p2)
    deadline = ws.review_deadline
    if kind == "assignment":
        for ws.review_deadline in (deadline, None):
            assignments._queue_assignment_mail(ws, rita, [p1.id])
            assignments._queue_assignment_mail(ws, rita, [p1.id, p2.id])
    elif kind == "reminder":
        reviews.remind_reviewers(carla, ws)
        a = db.session.scalar(sa.select(ReviewAssignment).where(ReviewAssignment.submission_id == p1.id))
        area_chairs.remind_reviewer(carla, ws, p1, a)
        ws.review_deadline = None
        reviews.remind_reviewers(carla, ws)
    elif kind == "area_chair_assigned":
        alex = db.session.get(User, world.uid("alex"))
        area_chairs.set_area_chair(carla, ws, p1, alex)  # one paper, by hand
        for pairs in ([[p1.id, alex.id]], [[p1.id, alex.id], [p2.id, alex.id]]):  # an automatic run: one paper, two
            db.session.execute(sa.delete(AreaChairAssignment))
            db.session.execute(sa.delete(AreaChairExclusion))
            proposal = AreaChairProposal(result={"base": area_chair_assignment.assignment_state(), "pairs": pairs})
            db.session.add(proposal)
            db.session.flush()
            area_chair_assignment.apply(carla, ws, proposal)
        db.session.execute(sa.delete(AreaChairAssignment))
    elif kind == "invitation":
        for role, message, paper in (
            ("reviewer", "", None),
            ("area_chair", "Please join us.\nThanks.", None),
            ("reviewer", "", p1),
        ):
            invitation = Invitation(
                email="ivy@example.org",
                name="Ivy Invitee",
                role=role,
                message=message,
                invited_by_id=carla.id,
                token_hash=secrets.token_hex(),
            )
            invitation.submission_id = paper.id if paper else None
            db.session.add(invitation)
            db.session.flush()
            accounts._queue_invitation(ws, invitation, carla)
    else:
        ann, ben = db.session.get(User, world.uid("ann")), db.session.get(User, world.uid("ben"))
        for what in ("submitted", "updated", "withdrawn"):
            subs._queue_receipt(ws, p1, ann, NOW, what)
        p2.state = SubmissionState.ABSTRACT
        subs._queue_receipt(ws, p2, ben, NOW, "registered")
        p2.state = SubmissionState.SUBMITTED
    ws.review_deadline = deadline
    db.session.flush()


TOKEN = re.compile(r"/invitations/[A-Za-z0-9_-]{20,}/")


@pytest.mark.parametrize("kind", sorted(mail_templates.KINDS))
def test_the_default_wording_is_byte_identical_to_the_portal_mail(
    world: World, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each variant once with nothing saved (the portal's template), once with the default text saved as the chairs'
    (rendered in the sandbox): the same mails, subject and body, byte for byte; none fell back."""
    k = mail_templates.KINDS[kind]
    with world.app.app_context():
        _send_each(world, kind)
        first = db.session.execute(
            sa.select(OutgoingEmail.recipients, OutgoingEmail.subject, OutgoingEmail.body_text).order_by(OutgoingEmail.id)
        ).all()
        db.session.execute(sa.delete(OutgoingEmail))
        carla, ws = db.session.get(User, world.uid("carla")), db.session.scalar(sa.select(Workshop))
        mail_templates.save(carla, ws, k, k.subject, k.body)
        with caplog.at_level(logging.WARNING, logger="portal.services.mail_templates"):
            _send_each(world, kind)
        second = db.session.execute(
            sa.select(OutgoingEmail.recipients, OutgoingEmail.subject, OutgoingEmail.body_text).order_by(OutgoingEmail.id)
        ).all()
        db.session.rollback()
    assert caplog.records == []
    assert len(first) >= 3
    masked = [[(r, s, TOKEN.sub("/invitations/T/", b)) for r, s, b in rows] for rows in (first, second)]
    assert masked[1] == masked[0]


def test_the_defaults_cover_every_branch_of_the_portal_templates(world: World) -> None:
    """The variants above reach what the defaults can say: the deadline, the area chair's reminder, the invitation
    for a paper and as area chair, the receipt's files and its 25 anonymity hits (20 listed, "and 5 more")."""
    with world.app.app_context():
        for kind in mail_templates.KINDS:
            _send_each(world, kind)
        bodies = "\n".join(body for *_, body in db.session.execute(sa.select(OutgoingEmail.kind, OutgoingEmail.body_text)))
        db.session.rollback()
    for expected in (
        "Reviews are due by Fri 05 Apr 2024",
        "a friendly reminder from the area chair, Carla Chair,",
        "You are invited for one paper in particular",
        "as an area chair",
        "Please join us.",
        "Supplementary: 2048 bytes",
        "Camera-ready: 9 pages",
        "and 5 more, listed on the submission's page.",
        "abstract registered (no PDF yet)",
        f"  #{world.p1}  Ring Attention at Scale\n\nYou follow",
        f"  #{world.p1}  Ring Attention at Scale\n  #{world.p2}  Memory Tokens\n",
        "with your recommendation.\nThis paper: http",
        "with your recommendation for each.\n\nPlease join us.\nThanks.\n\nAccept:  http",
        "review submissions to the workshop.\n\nAccept:  http",
    ):
        assert expected in bodies
    # Every link stands on its own (a block's end once ran the next line into it: ".../review/papers/1Every paper
    # you oversee") and opens a page of the portal.
    adapter = world.app.url_map.bind("localhost")
    links = re.findall(r"https?://localhost(/\S*)", bodies)
    assert len(links) > 10
    for path in links:
        adapter.match(path.split("?")[0].split("#")[0])  # raises NotFound for a path no route serves


# --- the pages -------------------------------------------------------------------------------------------


def test_the_list_shows_every_system_mail_and_links_the_letters(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    page = chair.get("/chair/mails")
    text = text_of(page)
    assert page.status_code == 200
    for label in (
        "Reviewer assignment",
        "Review reminder",
        "Invitation to the program committee",
        "Submission receipt",
        "Decision letters",
    ):
        assert label in text
    assert 'href="/chair/letters"' in page.get_data(as_text=True)
    assert 'href="/chair/mails"' in chair.get("/chair/letters").get_data(as_text=True)


def test_the_edit_page_shows_the_default_and_the_values_offered(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    page = chair.get("/chair/mails/assignment")
    html = html_lib.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert mail_templates.ASSIGNMENT.body in html  # the textarea holds the portal's text
    assert "{{ reviewer.name }}" in html and "{{ papers }}" in html and "{{ deadline }}" in html
    assert "no author's name, address or affiliation" in text_of(page)
    assert "Reset to the portal" not in text_of(page)  # nothing to reset


@pytest.mark.parametrize("who", ["ann@example.org", "rita@example.org"])
def test_only_chairs_reach_the_pages(world: World, who: str) -> None:
    client = client_for(world.app, who)
    assert client.get("/chair/mails").status_code == 403
    assert client.get("/chair/mails/assignment").status_code == 403
    # (a post without the chairs' CSRF token is refused before it reaches the guard)
    assert client.post("/chair/mails/assignment", data={"subject": "x", "body": "y", "save": "Save"}).status_code in (400, 403)
    assert client.post("/chair/mails/assignment/reset", data={"confirm": "1"}).status_code in (400, 403)
    assert saved_rows(world.app) == []


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = world.app.test_client().get("/chair/mails/reminder")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_an_unknown_mail_is_not_found(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    assert chair.get("/chair/mails/password_reset").status_code == 404
    assert chair.post("/chair/mails/nothing/reset", data={}).status_code in (400, 404)


# --- saving, and the next real mail -------------------------------------------------------------------------


def save(client: FlaskClient, kind: str, subject: str, body: str) -> TestResponse:
    return edit(client, kind, {"subject": subject, "body": body, "paper": "", "save": "Save"})


def test_a_saved_assignment_wording_is_what_the_next_assignment_mail_says(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "carla@example.org")
    saved = save(
        chair,
        "assignment",
        "[{{ workshop.label }}] Please review {{ papers|length }}",
        "Hello {{ reviewer.name }}!\r\n{% for p in papers %}- #{{ p.number }} {{ p.title }}\r\n{% endfor %}"
        "Due: {{ deadline }}\r\n{{ link }}",
    )
    assert saved.status_code == 302
    assert "goes out in your words" in text_of(chair.get(saved.headers["Location"]))
    page = chair.get("/chair/assignments")
    token = CSRF_INPUT_RE.search(page.get_data(as_text=True)).group(1)
    added = chair.post("/chair/assignments/add", data={"csrf_token": token, "number": world.p2, "reviewer": world.uid("rita")})
    assert added.status_code == 302
    assert "Rita Reviewer reviews" in text_of(chair.get(added.headers["Location"]))
    [mail] = smtp.wait_for(1)
    with world.app.app_context():
        label = db.session.scalar(sa.select(Workshop)).label
    assert mail["Subject"] == f"[{label}] Please review 1"
    assert mail["To"] == "rita@example.org"
    assert (
        mail.get_content()
        .replace("\r\n", "\n")
        .startswith(f"Hello Rita Reviewer!\n- #{world.p2} Memory Tokens\nDue: Fri 05 Apr 2024")
    )
    with world.app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "mail.template"))
        assert event.summary == "Worded the reviewer assignment mail"


def test_a_saved_reminder_wording_is_what_the_next_reminder_says(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "carla@example.org")
    assert (
        save(
            chair,
            "reminder",
            "Nudge: {{ papers|length }}",
            "{{ reviewer.name }}: {{ papers|map(attribute='number')|join(', ') }}",
        ).status_code
        == 302
    )
    page = chair.get("/chair/assignments")
    token = CSRF_INPUT_RE.search(page.get_data(as_text=True)).group(1)
    assert chair.post("/chair/assignments/remind", data={"csrf_token": token, "confirm": "1"}).status_code == 302
    mails = smtp.wait_for(2)
    got = sorted((m["To"], m["Subject"], m.get_content().strip()) for m in mails)
    assert got == [
        ("rex@example.org", "Nudge: 1", f"Rex Reader: {world.p2}"),
        ("rita@example.org", "Nudge: 1", f"Rita Reviewer: {world.p1}"),
    ]


def test_a_saved_invitation_wording_is_what_the_next_invitation_says(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "carla@example.org")
    assert (
        save(
            chair,
            "invitation",
            "Join {{ site }}?",
            "Dear {{ invitee.name }}, {{ inviter.name }} asks you ({{ role }}).\r\nYes: {{ accept_link }}",
        ).status_code
        == 302
    )
    page = chair.get("/members/invitations")
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    sent = chair.post(
        "/members/invitations",
        data={"csrf_token": token, "lines": "Ivy Invitee <ivy@example.org>", "role": "reviewer", "message": ""},
    )
    assert sent.status_code in (200, 302), text_of(sent)[:500]
    [mail] = smtp.wait_for(1)
    with world.app.app_context():
        label = db.session.scalar(sa.select(Workshop)).label
    assert mail["Subject"] == f"Join {label}?"
    body = mail.get_content()
    assert body.startswith("Dear Ivy Invitee, Carla Chair asks you (reviewer).")
    assert re.search(r"Yes: https?://\S+/invitations/\S+/accept", body)


def test_a_saved_receipt_wording_is_what_the_next_receipt_says(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "carla@example.org")
    assert (
        save(
            chair,
            "submission_receipt",
            "Receipt #{{ paper.number }} ({{ what }})",
            "{{ author.name }}: {{ paper.title }} is {{ paper.state }}.",
        ).status_code
        == 302
    )
    with world.app.app_context():
        ws, ben = db.session.scalar(sa.select(Workshop)), db.session.get(User, world.uid("ben"))
        subs.withdraw_submission(ben, ws, db.session.get(Submission, world.p2))
        db.session.commit()
        emails.send_pending()
    [mail] = [m for m in smtp.wait_for(1) if "Receipt" in m["Subject"]]
    assert (mail["To"], mail["Subject"], mail.get_content().strip()) == (
        "ben@example.org",
        f"Receipt #{world.p2} (withdrawn)",
        "Ben Bauthor: Memory Tokens is withdrawn.",
    )


def test_the_decision_letters_are_worded_on_the_letters_page_and_arrive_so(world: World, smtp: SMTPRecorder) -> None:
    from portal.services import decisions

    chair = client_for(world.app, "carla@example.org")
    page = chair.get("/chair/letters")
    token = CSRF_INPUT_RE.search(page.get_data(as_text=True)).group(1)
    with world.app.app_context():
        sub = db.session.get(Submission, world.p1)
        sub.decision = Decision.ACCEPTED
        db.session.commit()
    saved = chair.post(
        "/chair/letters", data={"csrf_token": token, "accept_letter": "Yes, {{ authors }}: {{ title }}.", "reject_letter": "No."}
    )
    assert saved.status_code == 302
    with world.app.app_context():
        carla, ws = db.session.get(User, world.uid("carla")), db.session.scalar(sa.select(Workshop))
        decisions.send_letters(carla, ws)
        db.session.commit()
        emails.send_pending()
    [mail] = smtp.wait_for(1)
    assert mail.get_content().strip() == "Yes, Ann Author, Cleo Co: Ring Attention at Scale."


# --- preview -------------------------------------------------------------------------------------------------


def test_the_preview_shows_a_real_papers_values_and_sends_and_saves_nothing(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "carla@example.org")
    shown = edit(
        chair,
        "assignment",
        {
            "subject": "Review {{ papers[0].title }}",
            "body": "{{ reviewer.name }}: #{{ papers[0].number }} by {{ deadline }}",
            "paper": str(world.p1),
            "preview": "Preview",
        },
    )
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert re.search(r'id="preview-subject">Review Ring Attention at Scale<', html)
    assert f'id="preview-body">Rita Reviewer: #{world.p1} by Fri 05 Apr 2024, ' in html
    assert saved_rows(world.app) == [] and outbox(world.app) == [] and smtp.messages == []


def test_the_receipt_preview_is_the_submitters_with_the_papers_files(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    k = mail_templates.RECEIPT
    shown = edit(chair, k.key, {"subject": k.subject, "body": k.body, "paper": str(world.p1), "preview": "Preview"})
    body = html_lib.unescape(re.search(r'(?s)id="preview-body">(.*?)</pre>', shown.get_data(as_text=True)).group(1))
    assert body.startswith("Dear Ann Author,\n\nthis is the receipt for submission")
    assert "Paper:    8 pages, 123456 bytes" in body and "and 5 more" in body


@pytest.mark.parametrize("paper", ["", "abc", "987654", "-1"])
def test_a_preview_without_a_paper_one_handles_says_so(world: World, paper: str) -> None:
    chair = client_for(world.app, "carla@example.org")
    k = mail_templates.REMINDER
    shown = edit(chair, k.key, {"subject": k.subject, "body": k.body, "paper": paper, "preview": "Preview"})
    assert shown.status_code == 422
    assert "Choose one of the papers you handle to preview the mail with." in text_of(shown)


# --- hostile input ---------------------------------------------------------------------------------------------

HOSTILE = [
    ("", "Body", "A mail needs a subject."),
    ("   ", "Body", "A mail needs a subject."),
    ("Subject", "", "A mail needs a body."),
    ("Subject", " \r\n \t ", "A mail needs a body."),
    ("Subject", "x" * (mail_templates.MAX_BODY + 1), "Field cannot be longer than 20000 characters."),
    ("S" * 301, "Body", "Field cannot be longer than 300 characters."),
    ("Two\nlines", "Body", "Use a single line"),
    ("Subject", "Dear {% if reviewer.name %}", "The body has an error on line 1"),
    ("Subject", "{{ ''.__class__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("Subject", "{{ reviewer.__class__.__mro__ }}", "is unsafe"),
    ("Subject", "Dear {{ name }}", "'name' is undefined (this mail does not offer that value)"),
    ("Subject", "{{ papers[0].authors }}", "has no attribute 'authors' (this mail does not offer that value)"),
    ("Subject", "{{ ''|center(10**9) }}", "would produce more than"),
    ("{{ nobody }}", "Body", "The subject has an error: 'nobody' is undefined"),
    ("{{ '' }}", "Body", "The subject comes out empty"),
    ("Subject", "{{ deadline.upper() }}{{ papers[5].title }}", "The body has an error"),
]


@pytest.mark.parametrize(("subject", "body", "message"), HOSTILE)
def test_hostile_input_is_refused_with_a_message_and_saves_nothing(world: World, subject: str, body: str, message: str) -> None:
    chair = client_for(world.app, "carla@example.org")
    for button in ("save", "preview"):
        refused = edit(chair, "reminder", {"subject": subject, "body": body, "paper": str(world.p1), button: button.capitalize()})
        assert refused.status_code == 422
        assert message in html_lib.unescape(refused.get_data(as_text=True))
    assert saved_rows(world.app) == []


def test_a_reviewer_mail_cannot_name_the_authors(world: World) -> None:
    """Whatever a reviewer's (or an area chair's) mail asks for, its values hold no author: the preview of every
    value offered (the whole dicts printed) names no author of the paper, and asking for the authors is refused."""
    chair = client_for(world.app, "carla@example.org")
    for kind in ("assignment", "reminder", "invitation", "area_chair_assigned"):
        k = mail_templates.KINDS[kind]
        everything = " ".join("{{ " + name.split(".")[0] + " }}" for name in k.variables)
        shown = edit(chair, kind, {"subject": "x", "body": everything, "paper": str(world.p1), "preview": "Preview"})
        assert shown.status_code == 200, text_of(shown)[:300]
        body = re.search(r'(?s)id="preview-body">(.*?)</pre>', shown.get_data(as_text=True)).group(1)
        assert "Ring Attention at Scale" in html_lib.unescape(body)
        for leak in ("Ann Author", "ann@example.org", "Cleo", "Ann Lab"):
            assert leak not in html_lib.unescape(body)
        refused = edit(
            chair,
            kind,
            {"subject": "x", "body": "{{ paper.authors }}{{ papers[0].authors }}", "paper": str(world.p1), "save": "Save"},
        )
        assert refused.status_code == 422
    assert saved_rows(world.app) == []


def test_an_author_mail_cannot_name_the_reviewers(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    k = mail_templates.RECEIPT
    everything = " ".join("{{ " + name.split(".")[0] + " }}" for name in k.variables)
    shown = edit(chair, k.key, {"subject": "x", "body": everything, "paper": str(world.p1), "preview": "Preview"})
    body = html_lib.unescape(re.search(r'(?s)id="preview-body">(.*?)</pre>', shown.get_data(as_text=True)).group(1))
    assert "Ann Author" in body
    assert "Rita" not in body and "rita@example.org" not in body


def test_a_post_without_its_csrf_token_changes_nothing(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    refused = edit(chair, "assignment", {"subject": "x", "body": "y", "save": "Save"}, token=False)
    assert refused.status_code in (400, 422)
    assert "The form expired" in text_of(refused) or refused.status_code == 400
    assert chair.post("/chair/mails/assignment/reset", data={"confirm": "1"}).status_code == 400
    assert saved_rows(world.app) == []


# --- reset ---------------------------------------------------------------------------------------------------


def test_reset_asks_then_restores_the_portal_text(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "carla@example.org")
    assert save(chair, "reminder", "Nudge", "Please, {{ reviewer.name }}.").status_code == 302
    page = chair.get("/chair/mails/reminder")
    assert "Reset to the portal's text" in html_lib.unescape(page.get_data(as_text=True))
    token = CSRF_INPUT_RE.search(page.get_data(as_text=True)).group(1)
    asked = chair.post("/chair/mails/reminder/reset", data={"csrf_token": token})
    assert asked.status_code == 200 and "Reset the review reminder mail?" in text_of(asked)
    assert len(saved_rows(world.app)) == 1
    token = CSRF_INPUT_RE.search(asked.get_data(as_text=True)).group(1)
    done = chair.post("/chair/mails/reminder/reset", data={"csrf_token": token, "confirm": "1"})
    assert done.status_code == 302
    assert "goes out in the portal's own text" in text_of(chair.get(done.headers["Location"]))
    assert saved_rows(world.app) == []
    with world.app.app_context():
        carla, ws = db.session.get(User, world.uid("carla")), db.session.scalar(sa.select(Workshop))
        reviews.remind_reviewers(carla, ws)
        db.session.commit()
        emails.send_pending()
        actions = list(
            db.session.scalars(sa.select(AuditEvent.summary).where(AuditEvent.action == "mail.template").order_by(AuditEvent.id))
        )
    assert actions == ["Worded the review reminder mail", "Reset the review reminder mail to the portal's text"]
    assert {m.get_content().split("\n")[0].strip() for m in smtp.wait_for(2)} == {"Dear Rita Reviewer,", "Dear Rex Reader,"}


# --- a stored template that fails on a real mail ----------------------------------------------------------------


def test_a_stored_template_that_fails_on_a_real_mail_sends_the_portal_text_and_logs(
    world: World, smtp: SMTPRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    """Checked on the sample (two papers) when saved; the real reminder lists one: that mail goes in the portal's
    text, the failure is logged, and nothing is lost."""
    with world.app.app_context():
        carla, ws = db.session.get(User, world.uid("carla")), db.session.scalar(sa.select(Workshop))
        db.session.add(
            MailTemplate(workshop_id=ws.id, kind="reminder", subject="Hi", body="{{ papers[7].title }}", updated_at=utcnow())
        )
        with caplog.at_level(logging.WARNING, logger="portal.services.mail_templates"):
            reviews.remind_reviewers(carla, ws)
        db.session.commit()
        emails.send_pending()
    mails = smtp.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["rex@example.org", "rita@example.org"]
    assert all(m.get_content().startswith("Dear ") and "Reminder" in m["Subject"] for m in mails)
    assert len([r for r in caplog.records if "the portal's own text was sent" in r.getMessage()]) == 2


# --- the area chair's mail -------------------------------------------------------------------------------------


def test_a_saved_area_chair_wording_is_what_the_next_area_chair_mail_says(world: World, smtp: SMTPRecorder) -> None:
    """Worded on its page, previewed about a real paper (its area chair named, no author), then a chair makes Alex
    the area chair of #1 on the paper's page: the mail that arrives says the chair's words."""
    chair = client_for(world.app, "carla@example.org")
    subject = "[{{ workshop.label }}] Please oversee {{ papers|length }}"
    body = "Hello {{ area_chair.name }}: {% for p in papers %}#{{ p.number }} {{ p.title }}; {% endfor %}{{ link }}"
    shown = edit(chair, "area_chair_assigned", {"subject": subject, "body": body, "paper": str(world.p1), "preview": "Preview"})
    assert shown.status_code == 200, text_of(shown)[:300]
    page = html_lib.unescape(shown.get_data(as_text=True))
    assert f"Hello Carla Chair: #{world.p1} Ring Attention at Scale; http" in page  # (no area chair yet: the chair)
    assert "Ann Author" not in page.split('id="preview-body"')[1].split("</pre>")[0]
    assert save(chair, "area_chair_assigned", subject, body).status_code == 302
    listed = text_of(chair.get("/chair/mails"))
    assert "Area chair assignment" in listed and "yours" in listed
    with world.app.app_context():
        carla, ws = db.session.get(User, world.uid("carla")), db.session.scalar(sa.select(Workshop))
        area_chairs.set_area_chair(carla, ws, db.session.get(Submission, world.p1), db.session.get(User, world.uid("alex")))
        db.session.commit()
        emails.send_pending()
        kinds = list(db.session.scalars(sa.select(OutgoingEmail.kind)))
    (mail,) = smtp.wait_for(1)
    assert mail["To"] == "alex@example.org"
    assert mail["Subject"] == "[LongLLM 2024] Please oversee 1"
    assert mail.get_content().startswith(f"Hello Alex Area: #{world.p1} Ring Attention at Scale; http")
    assert kinds == ["area_chair"]


def test_the_area_chair_mail_resets_to_the_portal_text(world: World) -> None:
    chair = client_for(world.app, "carla@example.org")
    assert save(chair, "area_chair_assigned", "Oversee", "Hi {{ area_chair.name }}").status_code == 302
    page = chair.get("/chair/mails/area_chair_assigned")
    token = CSRF_INPUT_RE.search(page.get_data(as_text=True)).group(1)
    asked = chair.post("/chair/mails/area_chair_assigned/reset", data={"csrf_token": token})
    assert "Reset the area chair assignment mail?" in text_of(asked)
    token = CSRF_INPUT_RE.search(asked.get_data(as_text=True)).group(1)
    assert chair.post("/chair/mails/area_chair_assigned/reset", data={"csrf_token": token, "confirm": "1"}).status_code == 302
    assert saved_rows(world.app) == []
    shown = text_of(chair.get("/chair/mails/area_chair_assigned"))
    assert "the portal's own text" in shown and "{{ area_chair.name }}" in shown
