"""Nobody claims another person's account (issue 17, point 8): a confirmation link confirms nothing by being
opened; an unconfirmed registration never blocks the address's owner; a wrong current password counts toward
the sign-in lockout; reset and resend answer alike and mail only after the response; a reset link works once,
also when posted several times at the same moment. Each test failed on the code before this change (noted)."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import OutgoingEmail, User
from tests.conftest import SMTPRecorder, csrf_token, mail_links, post_form, text_of
from tests.factories import PASSWORD, create_users, login

ATTACKER_PASSWORD = "the attacker's own passphrase"
REG = {
    "name": "Vera Victim",
    "email": "vera@example.org",
    "affiliation": "Vera Lab",
    "orcid": "",
    "homepage": "",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def register(client: FlaskClient, **changes: str) -> Any:
    return post_form(client, "/auth/register", {**REG, **changes})


def account(app: Flask) -> tuple[str, bool, str]:
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == REG["email"])).one()
        return user.name, user.is_confirmed, user.session_nonce


def confirmation_link(smtp: SMTPRecorder) -> str:
    [link] = mail_links(smtp.wait_for(1)[-1])
    smtp.clear()
    return link


def test_opening_a_confirmation_link_confirms_nothing(app: Flask, smtp: SMTPRecorder) -> None:
    """Before: GET /auth/confirm/<token> confirmed the address (a mail scanner's visit was enough)."""
    register(app.test_client())
    link = confirmation_link(smtp)

    page = app.test_client().get(link)

    assert page.status_code == 200
    assert "Confirm and sign in" in text_of(page)
    assert account(app)[1] is False


def test_the_owner_clicking_a_link_from_someone_elses_registration_cannot_confirm_it(app: Flask, smtp: SMTPRecorder) -> None:
    """Before: the owner's click confirmed the attacker's registration, and the attacker signed in with their
    password."""
    register(app.test_client(), name="Mallory", password=ATTACKER_PASSWORD, confirm=ATTACKER_PASSWORD)
    link = confirmation_link(smtp)
    owner = app.test_client()

    refused = post_form(owner, link, {"password": PASSWORD})  # the owner does not know the attacker's password

    assert refused.status_code == 422
    assert "This is not the password chosen when the address was registered." in text_of(refused)
    assert account(app)[1] is False
    assert login(app.test_client(), REG["email"], ATTACKER_PASSWORD).status_code == 401  # still unconfirmed


def test_registering_again_replaces_an_unconfirmed_registration_and_kills_its_links(app: Flask, smtp: SMTPRecorder) -> None:
    """Before: the second registration got "someone tried to register with your address", and the attacker's
    unconfirmed account, password and name stayed."""
    register(app.test_client(), name="Mallory", password=ATTACKER_PASSWORD, confirm=ATTACKER_PASSWORD)
    attackers_link = confirmation_link(smtp)

    register(app.test_client())  # the owner registers their own address
    owners_link = confirmation_link(smtp)

    dead = app.test_client().get(attackers_link)
    assert dead.status_code == 400
    assert "the address was registered again since it was sent" in text_of(dead)
    owner = app.test_client()
    assert post_form(owner, owners_link, {"password": PASSWORD}).headers["Location"] == "/account/"
    assert account(app)[:2] == ("Vera Victim", True)
    assert login(app.test_client(), REG["email"], ATTACKER_PASSWORD).status_code == 401


def test_a_reset_confirms_the_address_discards_the_earlier_password_and_ends_every_session(
    app: Flask, smtp: SMTPRecorder
) -> None:
    register(app.test_client(), name="Mallory", password=ATTACKER_PASSWORD, confirm=ATTACKER_PASSWORD)
    confirmation_link(smtp)  # (the owner ignores it)
    nonce = account(app)[2]
    owner = app.test_client()
    post_form(owner, "/auth/reset", {"email": REG["email"]})
    [link] = mail_links(smtp.wait_for(1)[-1])

    post_form(owner, link, {"password": PASSWORD, "confirm": PASSWORD})

    assert account(app)[1] is True
    assert account(app)[2] != nonce
    assert login(app.test_client(), REG["email"], ATTACKER_PASSWORD).status_code == 401
    assert login(app.test_client(), REG["email"], PASSWORD).headers["Location"] == "/account/"


@pytest.fixture
def strict_app(app: Flask) -> Flask:
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    return app


@pytest.mark.parametrize(
    ("page", "field", "extra"),
    [
        ("/account/password", "current", {"password": "a new long passphrase", "confirm": "a new long passphrase"}),
        ("/account/email", "password", {"email": "vera.new@example.org"}),
    ],
)
def test_wrong_current_passwords_count_toward_the_sign_in_lockout(
    strict_app: Flask, page: str, field: str, extra: dict[str, str]
) -> None:
    """Before: the email and password forms let anyone holding a session guess the password without limit."""
    create_users(strict_app, {"email": REG["email"], "name": "Vera Victim"})
    client = strict_app.test_client()
    login(client, REG["email"])

    answers = [post_form(client, page, {field: f"guess number {i}", **extra}) for i in range(3)]
    locked = post_form(client, page, {field: PASSWORD, **extra})  # even the right one now waits

    assert [a.status_code for a in answers] == [422, 422, 422]
    assert "This is not your current password." in text_of(answers[0])
    assert "Too many wrong passwords. Try again after" in text_of(locked)
    assert login(strict_app.test_client(), REG["email"]).status_code == 429


@pytest.mark.parametrize("form", ["/auth/reset", "/auth/confirm/resend"])
def test_reset_and_resend_answer_alike_and_never_wait_for_the_mail_server(app: Flask, form: str) -> None:
    """Before: a known address's answer came only once its mail was handed to SMTP (here: never, the server
    does not answer), so how long the page took told whether the address had an account."""
    tarpit = socket.socket()  # an SMTP server that takes connections and never says a word
    tarpit.bind(("127.0.0.1", 0))
    tarpit.listen(8)
    app.extensions["mail"].port, app.config["MAIL_TIMEOUT"] = tarpit.getsockname()[1], 30
    create_users(app, {"email": REG["email"], "name": "Vera Victim", "confirmed": form == "/auth/reset"})
    answers, responses = {}, []
    try:
        for address in (REG["email"], "nobody@example.org"):
            client = app.test_client()
            response = client.post(form, data={"csrf_token": csrf_token(client, form), "email": address}, buffered=False)
            responses.append(response)  # (closed below: closing waits for the delivery, as a server's worker does)
            with app.app_context():  # the answer is here while its mail is still on its way (no attempt ended)
                mails = [
                    (m.recipients, m.state.value, m.attempts)
                    for m in db.session.scalars(sa.select(OutgoingEmail))
                    if m.recipients == address
                ]
            answers[address] = (
                response.status_code,
                response.headers["Location"],
                text_of(client.get("/auth/login")).replace(address, "ADDRESS"),
                mails,
            )
    finally:
        tarpit.close()  # the delivery stuck on it fails at once and stays queued for `emails send-pending`
        for response in responses:
            response.close()

    assert answers[REG["email"]][:3] == answers["nobody@example.org"][:3]
    assert answers[REG["email"]][3] == [(REG["email"], "queued", 0)]
    assert answers["nobody@example.org"][3] == []


def test_a_reset_link_posted_several_times_at_once_works_once(app: Flask, smtp: SMTPRecorder) -> None:
    """Before: every one of the simultaneous posts set a password (the check and the change were not one
    step), each mailing "your password was changed"."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("a race of concurrent writers is run on PostgreSQL (SQLite has one writer at a time)")
    create_users(app, {"email": REG["email"], "name": "Vera Victim"})
    post_form(app.test_client(), "/auth/reset", {"email": REG["email"]})
    [link] = mail_links(smtp.wait_for(1)[-1])
    smtp.clear()
    clients = [app.test_client() for _ in range(4)]
    tokens = [csrf_token(c, link) for c in clients]
    barrier, results = threading.Barrier(len(clients)), [None] * len(clients)

    def post(i: int) -> None:
        barrier.wait()
        password = f"the new passphrase number {i}"
        results[i] = clients[i].post(link, data={"csrf_token": tokens[i], "password": password, "confirm": password})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    codes = sorted(r.status_code for r in results)  # type: ignore[union-attr]
    assert codes == [302, 400, 400, 400]
    winner = next(i for i, r in enumerate(results) if r.status_code == 302)  # type: ignore[union-attr]
    assert login(app.test_client(), REG["email"], f"the new passphrase number {winner}").status_code == 302
    assert len([m for m in smtp.wait_for(1) if "password was changed" in m["Subject"]]) == 1
