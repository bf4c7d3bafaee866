"""Group mail: who may open it, who each audience reaches (withdrawn papers never, decisions only once their letter
is out, a chair's own paper never betraying its reviewers), the preview round-trip, one mail per recipient over
real SMTP with the placeholders filled, an SMTP outage that loses nothing, template errors that queue nothing, and
(issue 20.7) author audiences narrowed by decision, presentation, topic and state or chosen by number (the decisions
page's ticked papers), with a preview that lists the first fifty."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import (
    AssignmentOrigin,
    AuditEvent,
    Decision,
    EmailState,
    Letter,
    OutgoingEmail,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from tests.conftest import CSRF_INPUT_RE, SMTPRecorder, csrf_token, smtp_up, text_of
from tests.factories import login, make_user

# --- the world ----------------------------------------------------------------------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "carla": {"email": "carla@example.org", "name": "Carla Chair", "roles": ("chair",)},  # an author of p3
    "chris": {"email": "chris@example.org", "name": "Chris Chair", "roles": ("chair",)},
    "ann": {"email": "ann@example.org", "name": "Ann Author"},
    "ben": {"email": "ben@example.org", "name": "Ben Bauthor"},
    "dave": {"email": "dave@example.org", "name": "Dave Dauthor"},
    "will": {"email": "will@example.org", "name": "Will Withdrawn"},
    "rita": {"email": "rita@example.org", "name": "Rita Reviewer", "roles": ("reviewer",)},
    "rex": {"email": "rex@example.org", "name": "Rex Reader", "roles": ("reviewer",)},
    "una": {"email": "una@example.org", "name": "Una Done", "roles": ("reviewer",)},
}
CLEO = ("Cleo Coauthor", "cleo@example.org")  # a co-author of p2 without an account


@dataclass
class World:
    app: Flask
    papers: dict[str, int]

    def n(self, key: str) -> int:
        return self.papers[key]


def make_paper(
    ws: Workshop,
    submitter: User,
    title: str,
    authors: list[tuple[str, str]],
    *,
    state: SubmissionState = SubmissionState.SUBMITTED,
    decision: Decision | None = None,
    letter_sent: bool = False,
) -> Submission:
    """A submission straight in the database (the upload pipeline is tested elsewhere). Flushes."""
    now, type_id = utcnow(), db.session.scalar(sa.select(SubmissionType.id).order_by(SubmissionType.position))
    sub = Submission(
        workshop_id=ws.id,
        submitter_id=submitter.id,
        type_id=type_id,
        primary_topic_id=db.session.scalar(sa.select(Topic.id).order_by(Topic.position)),
        title=title,
        abstract="Long contexts.",
        state=state,
        submitted_at=now if state != SubmissionState.ABSTRACT else None,
        withdrawn_at=now if state == SubmissionState.WITHDRAWN else None,
        decision=decision,
        authors=[
            SubmissionAuthor(position=i, name=name, email=email, affiliation=f"{name.split()[0]} Lab")
            for i, (name, email) in enumerate(authors, 1)
        ],
    )
    db.session.add(sub)
    db.session.flush()
    if decision is not None:
        letter = Letter(submission_id=sub.id, subject="Your paper", body="The letter.")
        if letter_sent:
            letter.email = OutgoingEmail(
                kind="decision_letter",
                recipients=",".join(e for _, e in authors),
                subject="Your paper",
                body_text="The letter.",
                state=EmailState.SENT,
            )
        db.session.add(letter)
        db.session.flush()
    return sub


def assign(sub: Submission, reviewer: User, ordinal: int, *, state: ReviewState | None = None, **texts: Any) -> None:
    """An assignment with a review in ``state`` (None: not started). Flushes."""
    a = ReviewAssignment(submission_id=sub.id, reviewer_id=reviewer.id, ordinal=ordinal, origin=AssignmentOrigin.MANUAL)
    if state is not None:
        submitted = state == ReviewState.SUBMITTED
        a.review = Review(
            state=state,
            recommendation=texts.pop("recommendation", 4 if submitted else None),
            confidence=texts.pop("confidence", 3 if submitted else None),
            submitted_at=utcnow() if submitted else None,
            **texts,
        )
    db.session.add(a)
    db.session.flush()


def person(users: dict[str, User], key: str) -> tuple[str, str]:
    return users[key].name, users[key].email


@pytest.fixture
def world(app: Flask) -> World:
    """p1 accepted (letter sent), p2 rejected (letter sent), p3 by Dave and the chair Carla accepted (letter not
    sent), p4 withdrawn. Rita: p1 submitted, p3 draft; Rex: p2 not started; Una: p1 submitted."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        u = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        p1 = make_paper(ws, u["ann"], "Ring Attention at Scale", [person(u, "ann")], decision=Decision.ACCEPTED, letter_sent=True)
        p2 = make_paper(ws, u["ben"], "Memory Tokens", [person(u, "ben"), CLEO], decision=Decision.REJECTED, letter_sent=True)
        p3 = make_paper(
            ws, u["dave"], "Positional Interpolation", [person(u, "dave"), person(u, "carla")], decision=Decision.ACCEPTED
        )
        p4 = make_paper(ws, u["will"], "A Withdrawn Paper", [person(u, "will")], state=SubmissionState.WITHDRAWN)
        assign(p1, u["rita"], 1, state=ReviewState.SUBMITTED)
        assign(p1, u["una"], 2, state=ReviewState.SUBMITTED)
        assign(p3, u["rita"], 1, state=ReviewState.DRAFT)
        assign(p2, u["rex"], 1)
        db.session.commit()
        return World(app, {"p1": p1.id, "p2": p2.id, "p3": p3.id, "p4": p4.id})


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def token(client: FlaskClient) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/chair/mail").get_data(as_text=True)).group(
        1
    )


def mail_form(client: FlaskClient, audience: str, subject: str, body: str, **extra: str) -> TestResponse:
    return client.post(
        "/chair/mail",
        data={"csrf_token": token(client), "audience": audience, "subject": subject, "body": body, **extra},
        follow_redirects=True,
    )


def digest_of(page: TestResponse) -> str:
    return re.search(r'id="digest" name="digest" type="hidden" value="([0-9a-f]{64})"', page.get_data(as_text=True)).group(1)


def recipients_of(page: TestResponse) -> list[str]:
    """The rows of the preview's recipient table, as text."""
    html = page.get_data(as_text=True)
    table = re.search(r'(?s)<table class="data" id="recipients">.*?<tbody>(.*?)</tbody>', html)
    if table is None:
        return []
    rows = re.findall(r"(?s)<tr>(.*?)</tr>", table.group(1))
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def outbox(app: Flask) -> list[OutgoingEmail]:
    with app.app_context():
        return list(
            db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind.like("group_mail:%")).order_by(OutgoingEmail.id))
        )


def body_of(message: EmailMessage) -> str:
    """The text as written (SMTP carries CRLF line ends)."""
    return message.get_content().replace("\r\n", "\n")


def send(client: FlaskClient, audience: str, subject: str, body: str) -> TestResponse:
    """Preview, then press Send on the preview, as a chair does."""
    shown = mail_form(client, audience, subject, body, preview="Preview")
    return mail_form(client, audience, subject, body, send="Send", digest=digest_of(shown))


# --- permissions ----------------------------------------------------------------------------------------

ATTEMPT = {"audience": "authors", "subject": "s", "body": "b", "send": "Send"}


def test_group_mail_is_for_chairs_only(world: World) -> None:
    app = world.app
    anonymous = app.test_client()
    page = anonymous.get("/chair/mail")
    assert (page.status_code, page.headers["Location"]) == (302, "/auth/login?next=%2Fchair%2Fmail")
    posted = anonymous.post("/chair/mail", data={"csrf_token": csrf_token(anonymous, "/auth/login"), **ATTEMPT})
    assert (posted.status_code, posted.headers["Location"]) == (302, "/auth/login")
    for email in ("ann@example.org", "rita@example.org"):
        client = client_for(app, email)
        refused = client.get("/chair/mail")
        assert refused.status_code == 403
        assert "Cleo Coauthor" not in text_of(refused) and "una@example.org" not in text_of(refused)
        header_token = CSRF_INPUT_RE.search(client.get("/").get_data(as_text=True)).group(1)
        assert client.post("/chair/mail", data={"csrf_token": header_token, **ATTEMPT}).status_code == 403
    assert outbox(app) == []


# --- preview ------------------------------------------------------------------------------------------

# Who each audience reaches, in order: (paper or None, name, email).
AUDIENCE_ROWS: dict[str, list[tuple[str | None, str, str]]] = {
    # One row per author per paper; p4 (withdrawn) never; Cleo has no account and still gets her mail.
    "authors": [
        ("p1", "Ann Author", "ann@example.org"),
        ("p2", "Ben Bauthor", "ben@example.org"),
        ("p2", "Cleo Coauthor", "cleo@example.org"),
        ("p3", "Dave Dauthor", "dave@example.org"),
        ("p3", "Carla Chair", "carla@example.org"),
    ],
    # p3 is accepted but its letter is not sent: its authors do not learn the decision from a group mail.
    "accepted": [("p1", "Ann Author", "ann@example.org")],
    "rejected": [("p2", "Ben Bauthor", "ben@example.org"), ("p2", "Cleo Coauthor", "cleo@example.org")],
    "reviewers": [
        (None, "Rex Reader", "rex@example.org"),
        (None, "Rita Reviewer", "rita@example.org"),
        (None, "Una Done", "una@example.org"),
    ],
    "unfinished": [(None, "Rex Reader", "rex@example.org"), (None, "Rita Reviewer", "rita@example.org")],
    "chairs": [(None, "Carla Chair", "carla@example.org"), (None, "Chris Chair", "chris@example.org")],
}
AUDIENCE_LABELS = {
    "authors": "all authors",
    "accepted": "authors of accepted papers",
    "rejected": "authors of rejected papers",
    "reviewers": "all reviewers",
    "unfinished": "reviewers with unfinished reviews",
    "chairs": "all chairs",
}
TITLES = {"p1": "Ring Attention at Scale", "p2": "Memory Tokens", "p3": "Positional Interpolation"}


@pytest.mark.parametrize("audience", list(AUDIENCE_ROWS))
def test_preview_lists_the_audience_and_sends_nothing(world: World, smtp: SMTPRecorder, audience: str) -> None:
    chair = client_for(world.app, "chris@example.org")
    page = mail_form(chair, audience, "[{{ workshop }}] News", "Dear {{ name }}, hello.", preview="Preview")
    rows = AUDIENCE_ROWS[audience]
    assert page.status_code == 200
    assert recipients_of(page) == [(f"{world.n(p)} {TITLES[p]} " if p else "") + f"{name} {email}" for p, name, email in rows]
    _, name, email = rows[0]
    assert f"Preview: {len(rows)} mail{'s' if len(rows) != 1 else ''} to {AUDIENCE_LABELS[audience]} " in text_of(page)
    assert (
        f"The first mail To {name} <{email}> Reply-To longllm.workshop@gmail.com Subject [LongLLM 2024] News "
        f"Dear {name}, hello. Send {len(rows)} mail"
    ) in text_of(page)
    assert outbox(world.app) == []
    assert smtp.messages == []


def test_unfinished_reviews_leave_out_the_reviewers_of_the_chairs_own_paper(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")  # an author of p3, which only Rita has unfinished
    page = mail_form(carla, "unfinished", "Reminder", "Dear {{ name }}, please finish.", preview="Preview")
    assert recipients_of(page) == ["Rex Reader rex@example.org"]
    assert "Reviews of papers you are an author of are not counted" in text_of(page)
    assert "Rita" not in text_of(page)
    # Names only: no paper of the reviewers is shown.
    chris = text_of(
        mail_form(client_for(world.app, "chris@example.org"), "unfinished", "Reminder", "Hi {{ name }}", preview="Preview")
    )
    assert "Memory Tokens" not in chris and "Positional Interpolation" not in chris
    assert "Reviews of papers you are an author of" not in chris


# --- sending --------------------------------------------------------------------------------------------


def test_send_delivers_one_mail_per_recipient_with_the_placeholders_filled(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "chris@example.org")
    text = 'Dear {{ name }},\n\nabout #{{ number }} "{{ title }}" by {{ authors }}.\n\nThe {{ workshop }} chairs\n'
    page = send(chair, "rejected", "[{{ workshop }}] #{{ number }}: next steps", text)
    assert "Sent 2 mails to authors of rejected papers." in text_of(page)
    p2 = world.n("p2")
    arrived = sorted(smtp.wait_for(2), key=lambda m: str(m["To"]))
    assert [(str(m["To"]), str(m["Subject"]), str(m["Reply-To"]), m.get("Cc")) for m in arrived] == [
        ("ben@example.org", f"[LongLLM 2024] #{p2}: next steps", "longllm.workshop@gmail.com", None),
        ("cleo@example.org", f"[LongLLM 2024] #{p2}: next steps", "longllm.workshop@gmail.com", None),
    ]
    assert body_of(arrived[1]) == (
        f'Dear Cleo Coauthor,\n\nabout #{p2} "Memory Tokens" by Ben Bauthor, Cleo Coauthor.\n\nThe LongLLM 2024 chairs\n'
    )
    # Each recipient sees only their own address, in the headers and in the SMTP envelope.
    assert sorted(rcpts for _, rcpts in smtp.envelopes) == [["ben@example.org"], ["cleo@example.org"]]
    assert [m.state for m in outbox(world.app)] == [EmailState.SENT, EmailState.SENT]
    with world.app.app_context():
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mail.group")).all()
        assert (event.actor_name, event.summary) == (
            "Chris Chair",
            "Group mail to authors of rejected papers: 2 mails, “[{{ workshop }}] #{{ number }}: next steps”",
        )
    history = re.search(r'(?s)<table class="data" id="history">.*?</table>', page.get_data(as_text=True)).group(0)
    assert "Chris Chair Authors of rejected papers [{{ workshop }}] #{{ number }}: next steps 2 2 delivered" in re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", history)
    )


def test_smtp_down_keeps_every_mail_queued_and_send_pending_delivers_them(
    world: World, smtp_down: Flask, smtp: SMTPRecorder, smtp_server: Any
) -> None:
    chair = client_for(world.app, "chris@example.org")
    page = send(chair, "reviewers", "[{{ workshop }}] Thank you", "Thank you, {{ name }}!")
    assert "Sent 3 mails to all reviewers. 3 could not be delivered yet and will be retried." in text_of(page)
    assert smtp.messages == []
    rows = outbox(world.app)
    assert [(r.recipients, r.state, r.attempts) for r in rows] == [
        ("rex@example.org", EmailState.QUEUED, 1),
        ("rita@example.org", EmailState.QUEUED, 1),
        ("una@example.org", EmailState.QUEUED, 1),
    ]
    assert "3 waiting" in text_of(chair.get("/chair/mail"))
    smtp_up(world.app, smtp_server)
    result = world.app.test_cli_runner().invoke(args=["emails", "send-pending", "--include-failed"])
    assert result.output == "3 sent, 0 deferred, 0 failed.\n"
    assert sorted((str(m["To"]), body_of(m)) for m in smtp.wait_for(3)) == [
        ("rex@example.org", "Thank you, Rex Reader!\n"),
        ("rita@example.org", "Thank you, Rita Reviewer!\n"),
        ("una@example.org", "Thank you, Una Done!\n"),
    ]
    assert "3 delivered" in text_of(chair.get("/chair/mail"))


def test_send_refuses_what_was_not_previewed(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "chris@example.org")
    unseen = mail_form(chair, "chairs", "Hello", "Hi {{ name }}", send="Send")
    assert unseen.status_code == 409
    assert "Check the preview below, then send." in text_of(unseen)
    changed = mail_form(
        chair, "chairs", "Hello", "Hi {{ name }}, changed after the preview", send="Send", digest=digest_of(unseen)
    )
    assert changed.status_code == 409
    assert "The recipients or the text changed since your preview. Nothing was sent" in text_of(changed)
    assert "Hi Carla Chair, changed after the preview" in text_of(changed)  # the new preview
    assert outbox(world.app) == []
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("audience", "subject", "body", "message"),
    [
        ("chairs", "Hi", "{% if %}", "The body has an error: Expected an expression, got 'end of statement block'."),
        (
            "reviewers",
            "#{{ number }}",
            "Hi",
            "The subject has an error: 'number' is undefined. Placeholders for all "
            "reviewers: {{ name }}, {{ email }}, {{ workshop }}.",
        ),
        (
            "authors",
            "Hi",
            "{{ name.__class__.__mro__ }}",
            "The body has an error: access to attribute '__class__' of 'str' object is unsafe.",
        ),
        ("authors", "Hi", "{{ number / 0 }}", "The body has an error: division by zero."),
    ],
)
def test_a_template_error_is_shown_and_nothing_is_queued(
    world: World, smtp: SMTPRecorder, audience: str, subject: str, body: str, message: str
) -> None:
    chair = client_for(world.app, "chris@example.org")
    for button in ("preview", "send"):
        page = mail_form(chair, audience, subject, body, **{button: button})
        assert page.status_code == 422
        assert f"Nothing was sent {message}" in text_of(page)
        assert "Preview:" not in text_of(page)
    assert outbox(world.app) == []
    with world.app.app_context():
        assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mail.group")).all() == []


def test_an_empty_audience_sends_nothing(app: Flask, smtp: SMTPRecorder) -> None:
    with app.app_context():
        make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        db.session.commit()
    chair = client_for(app, "chris@example.org")
    page = mail_form(chair, "accepted", "Hi", "Hi {{ name }}", preview="Preview")
    assert "Preview: 0 mails to authors of accepted papers" in text_of(page)
    assert "Nobody is in this audience: there is nothing to send." in text_of(page)
    assert 'name="send"' not in page.get_data(as_text=True)
    refused = mail_form(chair, "accepted", "Hi", "Hi {{ name }}", send="Send", digest="0" * 64)
    assert "Nobody is in the audience “Authors of accepted papers”: nothing was sent." in text_of(refused)
    assert outbox(app) == []


# --- audiences by filter, by chosen papers, and the capped preview (issue 20.7) ----------------------------------


def rows_of(world: World, rows: list[tuple[str, str, str]]) -> list[str]:
    return [f"{world.n(p)} {TITLES.get(p, 'A Withdrawn Paper')} {name} {email}" for p, name, email in rows]


ANN, BEN, CLEO_ROW = ("p1", "Ann Author", "ann@example.org"), ("p2", "Ben Bauthor", "ben@example.org"), ("p2", *CLEO)
DAVE, CARLA = ("p3", "Dave Dauthor", "dave@example.org"), ("p3", "Carla Chair", "carla@example.org")
WILL = ("p4", "Will Withdrawn", "will@example.org")


@pytest.mark.parametrize(
    ("filters", "rows", "label"),
    [
        ({"decision": "accepted"}, [ANN], "all authors (accepted)"),  # p3's letter is not sent
        ({"decision": "rejected"}, [BEN, CLEO_ROW], "all authors (rejected)"),
        ({"decision": "undecided"}, [DAVE, CARLA], "all authors (no decision told yet)"),
        ({"presentation": "oral"}, [], "all authors (oral)"),
        ({"state": "withdrawn"}, [WILL], "all authors (withdrawn)"),
        ({"state": "submitted", "decision": "rejected"}, [BEN, CLEO_ROW], "all authors (rejected, submitted)"),
        # Reviews missing (3 asked per paper): p1 has 2 in, p2 and p3 none; p4 is withdrawn.
        ({"state": "missing"}, [ANN, BEN, CLEO_ROW, DAVE, CARLA], "all authors (submitted, with reviews missing)"),
        ({"topic": "first"}, [ANN, BEN, CLEO_ROW, DAVE, CARLA], "all authors (topic “"),
        ({"topic": "second"}, [], "all authors (topic “"),
    ],
    ids=["accepted", "rejected", "undecided", "oral", "withdrawn", "submitted-rejected", "missing", "topic", "other-topic"],
)
def test_author_audiences_narrow_by_decision_presentation_topic_and_state(
    world: World, smtp: SMTPRecorder, filters: dict[str, str], rows: list[tuple[str, str, str]], label: str
) -> None:
    from portal.services.scores import refresh_scores

    with world.app.app_context():
        refresh_scores()
        topics = db.session.scalars(sa.select(Topic.id).order_by(Topic.position)).all()
        db.session.commit()
    if "topic" in filters:
        filters = filters | {"topic": str(topics[0] if filters["topic"] == "first" else topics[1])}
    chair = client_for(world.app, "chris@example.org")
    page = mail_form(chair, "authors", "News", "Dear {{ name }}", preview="Preview", **filters)
    assert recipients_of(page) == rows_of(world, rows)
    assert f"Preview: {len(rows)} mail{'s' if len(rows) != 1 else ''} to {label}" in text_of(page)
    assert outbox(world.app) == [] and smtp.messages == []


def test_reviews_missing_leave_out_the_chairs_own_paper(world: World) -> None:
    from portal.services.scores import refresh_scores

    with world.app.app_context():
        refresh_scores()
        db.session.commit()
    carla = client_for(world.app, "carla@example.org")  # an author of p3
    page = mail_form(carla, "authors", "News", "Dear {{ name }}", preview="Preview", state="missing")
    assert recipients_of(page) == rows_of(world, [ANN, BEN, CLEO_ROW])
    assert "Reviews of papers you are an author of are not counted" in text_of(page)


def test_a_filtered_audience_is_sent_to_exactly_its_recipients(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "chris@example.org")
    shown = mail_form(chair, "authors", "About #{{ number }}", "Dear {{ name }}", preview="Preview", decision="rejected")
    page = mail_form(
        chair, "authors", "About #{{ number }}", "Dear {{ name }}", send="Send", digest=digest_of(shown), decision="rejected"
    )
    assert "Sent 2 mails to all authors." in text_of(page)
    assert sorted(str(m["To"]) for m in smtp.wait_for(2)) == ["ben@example.org", "cleo@example.org"]
    assert len(smtp.wait_for(3, timeout=0.3)) == 2
    history = re.search(r'(?s)<table class="data" id="history">.*?</table>', page.get_data(as_text=True)).group(0)
    assert "All authors (rejected)" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history))
    # Send with other filters than the preview's: refused, nothing more sent.
    refused = mail_form(
        chair, "authors", "About #{{ number }}", "Dear {{ name }}", send="Send", digest=digest_of(shown), decision="accepted"
    )
    assert refused.status_code == 409
    assert len(smtp.wait_for(3, timeout=0.3)) == 2


def test_the_chosen_papers_authors_whatever_their_state(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "chris@example.org")
    chosen = f"{world.n('p2')}, #{world.n('p4')} 99999"
    page = mail_form(chair, "papers", "About #{{ number }}", "Dear {{ name }}", preview="Preview", papers=chosen)
    assert recipients_of(page) == rows_of(world, [BEN, CLEO_ROW, WILL])
    assert "Preview: 3 mails to authors of chosen papers (2 papers chosen)" not in text_of(page)  # 3 numbers typed
    assert "Preview: 3 mails to authors of chosen papers (3 papers chosen)" in text_of(page)
    assert "No such paper, or one without authors: #99999." in text_of(page)
    sent = mail_form(
        chair, "papers", "About #{{ number }}", "Dear {{ name }}", send="Send", digest=digest_of(page), papers=chosen
    )
    assert "Sent 3 mails to authors of chosen papers." in text_of(sent)
    assert sorted((str(m["To"]), str(m["Subject"])) for m in smtp.wait_for(3)) == [
        ("ben@example.org", f"About #{world.n('p2')}"),
        ("cleo@example.org", f"About #{world.n('p2')}"),
        ("will@example.org", f"About #{world.n('p4')}"),
    ]


def test_mail_the_authors_of_the_papers_ticked_on_the_decisions_page(world: World, smtp: SMTPRecorder) -> None:
    chair = client_for(world.app, "chris@example.org")
    decisions_page = chair.get("/chair/decisions").get_data(as_text=True)
    assert 'formaction="/chair/mail" name="start" value="ticked">Mail the authors of the ticked papers…</button>' in (
        decisions_page
    )
    page_token = re.search(r'name="csrf_token" value="([^"]+)"', decisions_page).group(1)
    p1, p2 = world.n("p1"), world.n("p2")
    ticked = chair.post(
        "/chair/mail",
        data={"csrf_token": page_token, "decision": "accepted", "selected": [f"{p1}:1", f"{p2}:3"], "start": "ticked"},
    )
    assert ticked.status_code == 200
    html = ticked.get_data(as_text=True)
    assert 'checked id="audience-1" name="audience" required type="radio" value="papers">' in html
    assert f'id="papers" maxlength="200000" name="papers" type="text" value="{p1}, {p2}">' in html
    assert "Preview:" not in text_of(ticked) and outbox(world.app) == []
    shown = mail_form(chair, "papers", "Hello", "Dear {{ name }}", preview="Preview", papers=f"{p1}, {p2}")
    mail_form(chair, "papers", "Hello", "Dear {{ name }}", send="Send", digest=digest_of(shown), papers=f"{p1}, {p2}")
    assert sorted(str(m["To"]) for m in smtp.wait_for(3)) == ["ann@example.org", "ben@example.org", "cleo@example.org"]
    # Nothing ticked: the form says so and chooses nobody.
    none = chair.post("/chair/mail", data={"csrf_token": page_token, "start": "ticked"})
    assert "No paper was ticked" in text_of(none)
    # Without a valid CSRF token, nothing.
    assert chair.post("/chair/mail", data={"start": "ticked", "selected": [f"{p1}:1"]}).status_code == 400


def test_the_preview_lists_the_first_fifty_recipients_and_counts_the_rest(world: World, smtp: SMTPRecorder) -> None:
    with world.app.app_context():  # sixty reviewers in one insert (no password of their own to hash)
        db.session.execute(
            sa.insert(User),
            [
                {"email": f"pc{i:02d}@example.org", "name": f"Pc Member {i:02d}", "password_hash": "!", "is_reviewer": True}
                for i in range(60)
            ],
        )
        db.session.commit()
    chair = client_for(world.app, "chris@example.org")
    page = mail_form(chair, "reviewers", "Thanks", "Dear {{ name }}", preview="Preview")
    shown = recipients_of(page)
    assert shown == [f"Pc Member {i:02d} pc{i:02d}@example.org" for i in range(50)]
    assert "63 recipients; the first 50 are listed." in text_of(page)
    assert "… and 13 more (63 in all)." in text_of(page)
    assert "Send 63 mails" in text_of(page)
    sent = mail_form(chair, "reviewers", "Thanks", "Dear {{ name }}", send="Send", digest=digest_of(page))
    assert "Sent 63 mails to all reviewers." in text_of(sent)
    assert len(smtp.wait_for(63)) == 63
