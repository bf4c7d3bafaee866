"""The sponsorship contact form: stored first, mailed through the outbox over real SMTP, hard on bad input."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from portal.db import db
from portal.models import EmailState, OutgoingEmail, SponsorInquiry
from tests.conftest import SMTPRecorder, csrf_token, post_form, smtp_up, text_of

URL = "/sponsors/"
GOOD = {
    "name": "Grace Hopper",
    "organization": "Compiler Labs",
    "email": "grace@example.org",
    "interest": "compute",
    "message": "We would like to offer GPU credits to the\r\nstudents who present posters.",
    "website": "",
}


def inquiries(app: Flask) -> list[SponsorInquiry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(SponsorInquiry)))


def outbox(app: Flask) -> list[tuple[str, EmailState, int]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id))
        return [(r.kind, r.state, r.attempts) for r in rows]


def test_inquiry_reaches_organizers_and_sender_over_smtp(app: Flask, smtp: SMTPRecorder) -> None:
    client = app.test_client()
    response = post_form(client, URL, GOOD, follow_redirects=True)
    assert "Thank you, your message is on its way" in text_of(response)

    messages = smtp.wait_for(2)
    assert len(messages) == 2
    to_organizers, ack = smtp.to("longllm.workshop@gmail.com")[0], smtp.to("grace@example.org")[0]
    assert to_organizers["Subject"] == "[LongLLM 2024] Sponsorship inquiry from Compiler Labs"
    assert to_organizers["Reply-To"] == "grace@example.org"
    body = to_organizers.get_content().replace("\r\n", "\n")
    assert "Name:         Grace Hopper" in body
    assert "Interest:     Compute credits for participants" in body
    assert "We would like to offer GPU credits to the\nstudents who present posters." in body
    assert ack["Subject"] == "[LongLLM 2024] We received your sponsorship inquiry"
    assert ack["Reply-To"] == "longllm.workshop@gmail.com"
    assert ack.get_content().startswith("Dear Grace Hopper,")

    [stored] = inquiries(app)
    assert (stored.name, stored.organization, stored.email, stored.interest) == (
        "Grace Hopper",
        "Compiler Labs",
        "grace@example.org",
        "Compute credits for participants",
    )
    assert stored.message == "We would like to offer GPU credits to the\nstudents who present posters."
    assert outbox(app) == [("sponsor_inquiry", EmailState.SENT, 0), ("sponsor_ack", EmailState.SENT, 0)]


def test_inquiry_with_smtp_down_is_kept_and_delivered_later(
    smtp_down: Flask, smtp: SMTPRecorder, smtp_server: tuple[SMTPRecorder, int]
) -> None:
    app = smtp_down
    response = post_form(app.test_client(), URL, GOOD, follow_redirects=True)
    assert "Thank you, your message is on its way" in text_of(response)
    assert smtp.messages == []
    assert len(inquiries(app)) == 1
    assert outbox(app) == [("sponsor_inquiry", EmailState.QUEUED, 1), ("sponsor_ack", EmailState.QUEUED, 1)]

    # The operator's cron (or a human) runs the retry once SMTP is back.
    smtp_up(app, smtp_server)
    runner = app.test_cli_runner()
    result: Result = runner.invoke(args=["emails", "send-pending"])
    assert result.output == "0 sent, 0 deferred, 0 failed.\n"  # not due yet: back-off
    result = runner.invoke(args=["emails", "send-pending", "--include-failed"])
    assert result.output == "2 sent, 0 deferred, 0 failed.\n"
    arrived = sorted(str(m["To"]) for m in smtp.wait_for(2))
    assert arrived == ["grace@example.org", "longllm.workshop@gmail.com"]
    assert outbox(app) == [("sponsor_inquiry", EmailState.SENT, 1), ("sponsor_ack", EmailState.SENT, 1)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "This does not look like an email address (name@example.org)."),
        ("email", "", "Give an email address we can answer."),
        ("message", "   ", "Write a message to the organizers."),
        ("name", "", "Tell us your name."),
        ("interest", "", "Choose what interests you."),
        ("interest", "yacht", "Not a valid choice."),
        ("message", "x" * 100_000, "Keep the message under 5,000 characters (it has 100000)"),
        ("name", "Eve\r\nBcc: victim@example.org", "Use a single line, without line breaks"),
        ("organization", "Evil\nCorp", "Use a single line, without line breaks"),
        ("email", "eve@example.org\r\nBcc: victim@example.org", "Use a single line, without line breaks"),
    ],
)
def test_bad_input_keeps_the_text_and_changes_nothing(
    app: Flask, smtp: SMTPRecorder, field: str, value: str, message: str
) -> None:
    data = {**GOOD, field: value}
    response = post_form(app.test_client(), URL, data)
    assert response.status_code == 422
    page = text_of(response)
    assert "Please correct this problem" in page
    assert message in page
    html = response.get_data(as_text=True)
    # What the visitor typed in the other fields is still there.
    assert 'value="Compiler Labs"' in html or field == "organization"
    assert "students who present posters." in html or field == "message"
    assert inquiries(app) == []
    assert outbox(app) == []
    assert smtp.messages == []


def test_field_errors_are_announced_and_linked(app: Flask) -> None:
    response = post_form(app.test_client(), URL, {**GOOD, "email": "nope"})
    html = response.get_data(as_text=True)
    assert '<div class="error-summary" role="alert"' in html
    assert '<a href="#email">Email: This does not look like an email address' in html
    assert 'aria-describedby="email-help email-error" aria-invalid="true"' in html
    assert text_of(response).startswith("Error: Sponsors")  # the <title> says so too


def test_missing_csrf_token_gives_the_400_page(app: Flask, smtp: SMTPRecorder) -> None:
    response = app.test_client().post(URL, data=GOOD)
    assert response.status_code == 400
    assert "security token was missing or had expired" in text_of(response)
    assert inquiries(app) == []


def test_forged_csrf_token_gives_the_400_page(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, URL)
    response = client.post(URL, data={**GOOD, "csrf_token": token[:-4] + "AAAA"})
    assert response.status_code == 400
    assert "security token was missing or had expired" in text_of(response)
    assert inquiries(app) == []


def test_honeypot_looks_like_success_but_stores_and_sends_nothing(app: Flask, smtp: SMTPRecorder) -> None:
    response = post_form(app.test_client(), URL, {**GOOD, "website": "http://spam.example.org"}, follow_redirects=True)
    assert "Thank you, your message is on its way" in text_of(response)
    assert inquiries(app) == []
    assert smtp.messages == []


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"CONTACT_RATE_LIMIT": "3 per hour"}


def test_rate_limit_gives_the_429_page_and_stores_nothing_more(app: Flask, smtp: SMTPRecorder) -> None:
    client = app.test_client()
    for _ in range(3):
        assert post_form(client, URL, GOOD).status_code == 302
    response = post_form(client, URL, GOOD)
    assert response.status_code == 429
    page = text_of(response)
    assert "Too many requests" in page
    assert "Please try again in" in page
    assert int(response.headers["Retry-After"]) > 0
    assert len(inquiries(app)) == 3
    # Reading the page is never limited.
    assert client.get(URL).status_code == 200


def test_oversized_request_gives_the_friendly_413_page(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = app.test_client()
    token = csrf_token(client, URL)
    response = client.post(URL, data={**GOOD, "csrf_token": token, "message": "x" * 5000})
    assert response.status_code == 413
    assert "Upload too large" in text_of(response)
    assert inquiries(app) == []
