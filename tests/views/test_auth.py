"""Registration, confirmation, sign-in limits, password reset and session revocation, end to end over SMTP."""

from __future__ import annotations

import time
from datetime import timedelta

import itsdangerous
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db, utcnow
from portal.models import LoginFailure, User
from tests.conftest import CSRF_INPUT_RE, SMTPRecorder, csrf_token, mail_links, post_form, text_of
from tests.factories import PASSWORD, create_users, login

REG = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "affiliation": "Analytical Engines Ltd",
    "orcid": "",
    "homepage": "",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def users(app: Flask) -> list[tuple[str, str, bool]]:
    with app.app_context():
        return [(u.email, u.name, u.is_confirmed) for u in db.session.scalars(sa.select(User).order_by(User.id))]


def register(client: FlaskClient, **changes: str):
    return post_form(client, "/auth/register", {**REG, **changes})


# --- registration -------------------------------------------------------------------------------------


def test_register_confirm_by_mail_then_sign_in(app: Flask, smtp: SMTPRecorder) -> None:
    client = app.test_client()
    response = register(client, email="Ada@Example.org")
    assert response.headers["Location"] == "/auth/check-inbox"
    page = text_of(client.get("/auth/check-inbox"))
    assert "We sent a message to ada@example.org. Open the link in it to confirm your address" in page
    assert users(app) == [("ada@example.org", "Ada Lovelace", False)]

    # Not yet: the address is unconfirmed.
    refused = login(client, "ada@example.org")
    assert refused.status_code == 401
    assert "Please confirm your email address first." in text_of(refused)
    assert "Send a new confirmation link" in text_of(refused)

    [mail] = smtp.wait_for(1)
    assert mail["To"] == "ada@example.org"
    assert mail["Subject"] == "[LongLLM 2024] Confirm your email address"
    [link] = mail_links(mail)
    assert link.startswith("/auth/confirm/")
    # Opening the link (as a mail scanner does) confirms nothing: a page with a button.
    opened = client.get(link)
    assert "Confirm your email address This confirms ada@example.org for the account registered with it" in text_of(opened)
    assert users(app) == [("ada@example.org", "Ada Lovelace", False)]
    confirmed = post_form(client, link, {"password": REG["password"]})
    assert confirmed.headers["Location"] == "/account/"  # confirmed, and signed in
    assert "Your email address is confirmed and you are signed in." in text_of(client.get("/account/"))
    assert users(app) == [("ada@example.org", "Ada Lovelace", True)]

    client = app.test_client()  # another browser: the password now signs in
    signed_in = login(client, "ada@example.org")
    assert signed_in.headers["Location"] == "/account/"
    page = text_of(client.get("/account/"))
    assert "Name Ada Lovelace Email ada@example.org Affiliation Analytical Engines Ltd" in page
    assert "Roles author" in page


def test_register_with_a_taken_address_looks_the_same_and_warns_the_owner(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, {"email": "taken@example.org", "name": "Original Owner"})
    new_client, old_client = app.test_client(), app.test_client()
    fresh = register(new_client, email="fresh@example.org")
    taken = register(old_client, email="taken@example.org", name="Impostor")
    assert (fresh.status_code, fresh.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    fresh_page = text_of(new_client.get("/auth/check-inbox")).replace("fresh@example.org", "ADDRESS")
    taken_page = text_of(old_client.get("/auth/check-inbox")).replace("taken@example.org", "ADDRESS")
    assert fresh_page == taken_page

    smtp.wait_for(2)
    [notice] = smtp.to("taken@example.org")
    assert notice["Subject"] == "[LongLLM 2024] Someone tried to register with your address"
    assert notice.get_content().startswith("Dear Original Owner,")
    assert [e for e, n, _ in users(app)] == ["taken@example.org", "fresh@example.org"]
    assert users(app)[0][1] == "Original Owner"  # the impostor changed nothing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"confirm": "another long passphrase"}, "The two passwords differ."),
        ({"password": "password2024!", "confirm": "password2024!"}, "This password is too common"),
        ({"password": "short pass", "confirm": "short pass"}, "Use at least 12 characters (this one has 10)."),
        ({"password": "ada lovelace", "confirm": "ada lovelace"}, "Do not use your name or email address"),
        ({"orcid": "0000-0002-1825-0098"}, "This is not a valid ORCID iD"),
        ({"orcid": "1234"}, "This is not a valid ORCID iD"),
        ({"name": "A" * 10_000}, "Field cannot be longer than 200 characters."),
        ({"name": ""}, "Give your full name."),
        ({"email": "ada@example.org\r\nBcc: victim@example.org"}, "Use a single line, without line breaks"),
        ({"email": "not-an-email"}, "This does not look like an email address"),
        ({"homepage": "javascript:alert(1)"}, "Give a full web address (https://…)."),
    ],
)
def test_register_bad_input_keeps_the_form_and_stores_nothing(
    app: Flask, smtp: SMTPRecorder, changes: dict[str, str], message: str
) -> None:
    response = register(app.test_client(), **changes)
    assert response.status_code == 422
    page = text_of(response)
    assert "Please correct this problem" in page
    assert message in page
    html = response.get_data(as_text=True)
    if "affiliation" not in changes:
        assert 'value="Analytical Engines Ltd"' in html
    assert PASSWORD not in html  # passwords are never echoed back
    assert users(app) == []
    assert smtp.messages == []


def test_register_accepts_an_orcid_url_and_stores_the_id(app: Flask) -> None:
    register(app.test_client(), orcid="https://orcid.org/0000-0002-1694-233x")
    with app.app_context():
        assert db.session.scalar(sa.select(User.orcid)) == "0000-0002-1694-233X"


# --- confirmation links -------------------------------------------------------------------------------


def _confirm_link(app: Flask, smtp: SMTPRecorder) -> str:
    register(app.test_client())
    [mail] = smtp.wait_for(1)
    return mail_links(mail)[0]


def test_tampered_confirmation_link_offers_a_new_one(app: Flask, smtp: SMTPRecorder) -> None:
    link = _confirm_link(app, smtp)
    response = app.test_client().get(link[:-3] + "xyz")
    assert response.status_code == 400
    page = text_of(response)
    assert "This link is not valid: it may have been cut short or changed." in page
    assert "Get a new confirmation link" in page
    assert users(app) == [("ada@example.org", "Ada Lovelace", False)]


def test_expired_confirmation_link_offers_a_new_one(app: Flask, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    old = int(time.time()) - 4 * 24 * 3600
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: old)
    link = _confirm_link(app, smtp)
    monkeypatch.undo()
    response = app.test_client().get(link)
    assert response.status_code == 400
    assert "This link has expired." in text_of(response)
    assert users(app)[0][2] is False


def test_resend_confirmation_says_the_same_for_any_address(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, {"email": "pending@example.org", "confirmed": False}, {"email": "done@example.org"})
    pages = []
    for address in ("pending@example.org", "done@example.org", "nobody@example.org"):
        response = post_form(app.test_client(), "/auth/confirm/resend", {"email": address}, follow_redirects=True)
        pages.append(text_of(response).replace(address, "ADDRESS"))
    assert pages[0] == pages[1] == pages[2]
    assert "If an unconfirmed account uses ADDRESS, a new confirmation link is on its way." in pages[0]
    assert [m["To"] for m in smtp.wait_for(1)] == ["pending@example.org"]


# --- signing in ---------------------------------------------------------------------------------------


def test_wrong_password_and_unknown_account_get_one_generic_message(app: Flask) -> None:
    create_users(app, {"email": "known@example.org"})
    wrong = login(app.test_client(), "known@example.org", "not the password at all")
    unknown = login(app.test_client(), "unknown@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert text_of(wrong) == text_of(unknown)
    assert "Wrong email or password." in text_of(wrong)


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/account/expertise", "/account/expertise"),
        ("https://evil.example.org/", "/account/"),
        ("//evil.example.org/", "/account/"),
        ("/\\evil.example.org", "/account/"),
        ("javascript:alert(1)", "/account/"),
    ],
)
def test_next_redirect_accepts_only_paths_on_this_site(app: Flask, next_url: str, lands_on: str) -> None:
    create_users(app, {"email": "ada@example.org"})
    client = app.test_client()
    response = post_form(client, "/auth/login?next=" + next_url, {"email": "ada@example.org", "password": PASSWORD})
    assert response.headers["Location"] == lands_on


def test_protected_page_sends_anonymous_visitors_to_sign_in_and_back(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org"})
    client = app.test_client()
    response = client.get("/account/conflicts")
    assert response.headers["Location"] == "/auth/login?next=%2Faccount%2Fconflicts"
    signed_in = post_form(client, response.headers["Location"], {"email": "ada@example.org", "password": PASSWORD})
    assert signed_in.headers["Location"] == "/account/conflicts"


def test_ten_failures_lock_the_account_with_a_time_to_retry(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org"})
    client = app.test_client()
    for _ in range(10):
        assert login(client, "ada@example.org", "a wrong guess of a password").status_code == 401
    locked = login(client, "ada@example.org")  # even the right password waits
    assert locked.status_code == 429
    page = text_of(locked)
    assert "Too many failed sign-in attempts." in page
    assert "Try again after" in page
    assert "(in 15 minutes)" in page
    assert "/account/" not in (locked.headers.get("Location") or "")


def test_lockout_expires_after_the_window(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org"})
    with app.app_context():
        long_ago = utcnow() - timedelta(minutes=16)
        db.session.add_all(LoginFailure(email="ada@example.org", ip="127.0.0.1", at=long_ago) for _ in range(10))
        db.session.commit()
    response = login(app.test_client(), "ada@example.org")
    assert response.headers["Location"] == "/account/"
    with app.app_context():  # a success clears the account's failures
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_failures_from_one_address_lock_that_address_for_every_account(app: Flask) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 5
    create_users(app, {"email": "victim@example.org"})
    attacker = app.test_client()
    for i in range(5):
        login(attacker, f"guess{i}@example.org", "a wrong guess of a password")
    assert login(attacker, "victim@example.org").status_code == 429
    # Another address is not affected.
    other = app.test_client()
    response = other.post(
        "/auth/login",
        data={"email": "victim@example.org", "password": PASSWORD, "csrf_token": _token(other)},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.headers["Location"] == "/account/"


def _token(client: FlaskClient) -> str:
    return csrf_token(client, "/auth/login")


def test_remember_me_sets_a_lasting_cookie(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org"})
    client = app.test_client()
    login(client, "ada@example.org", remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only


def test_sign_out_needs_the_button_and_ends_the_session(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org"})
    client = app.test_client()
    login(client, "ada@example.org")
    assert client.post("/auth/logout").status_code == 400  # no CSRF token: a forged sign-out does nothing
    assert client.get("/account/").status_code == 200
    token = _token_from_page(client, "/account/")
    out = client.post("/auth/logout", data={"csrf_token": token}, follow_redirects=True)
    assert "You are signed out." in text_of(out)
    assert client.get("/account/").headers["Location"].startswith("/auth/login")


def _token_from_page(client: FlaskClient, url: str) -> str:
    match = CSRF_INPUT_RE.search(client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


# --- password reset -----------------------------------------------------------------------------------


def test_password_reset_by_mail_works_once_and_signs_out_other_sessions(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, {"email": "ada@example.org", "name": "Ada Lovelace"})
    laptop = app.test_client()
    login(laptop, "ada@example.org")
    assert laptop.get("/account/").status_code == 200

    phone = app.test_client()
    asked = post_form(phone, "/auth/reset", {"email": "ada@example.org"}, follow_redirects=True)
    assert "If an account uses ada@example.org, a link to choose a new password is on its way." in text_of(asked)
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[LongLLM 2024] Reset your password"
    [link] = mail_links(mail)

    new = "a brand new passphrase"
    done = post_form(phone, link, {"password": new, "confirm": new}, follow_redirects=True)
    assert "Your password is changed" in text_of(done)
    assert login(phone, "ada@example.org", new).headers["Location"] == "/account/"
    assert login(app.test_client(), "ada@example.org", PASSWORD).status_code == 401

    # The laptop's session used the old password: it is signed out.
    assert laptop.get("/account/").headers["Location"].startswith("/auth/login")
    # The link worked once.
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "This link has already been used, or the password was changed since it was sent." in text_of(again)
    assert "Get a new link" in text_of(again)
    # And the owner was told.
    assert smtp.wait_for(2)[1]["Subject"] == "[LongLLM 2024] Your password was changed"


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(app: Flask, smtp: SMTPRecorder) -> None:
    response = post_form(app.test_client(), "/auth/reset", {"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses nobody@example.org, a link to choose a new password is on its way." in text_of(response)
    assert smtp.messages == []


def test_password_reset_link_expires_after_an_hour(app: Flask, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    create_users(app, {"email": "ada@example.org"})
    old = int(time.time()) - 3601
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: old)
    post_form(app.test_client(), "/auth/reset", {"email": "ada@example.org"})
    monkeypatch.undo()
    [link] = mail_links(smtp.wait_for(1)[0])
    response = app.test_client().get(link)
    assert response.status_code == 400
    assert "This link has expired." in text_of(response)


def test_password_reset_rejects_a_common_password(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, {"email": "ada@example.org"})
    post_form(app.test_client(), "/auth/reset", {"email": "ada@example.org"})
    [link] = mail_links(smtp.wait_for(1)[0])
    response = post_form(app.test_client(), link, {"password": "qwertyuiop123", "confirm": "qwertyuiop123"})
    assert response.status_code == 422
    assert "This password is too common" in text_of(response)
    assert login(app.test_client(), "ada@example.org").headers["Location"] == "/account/"


def test_private_pages_are_never_cached_but_public_ones_may_be(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org", "name": "Ada Lovelace"})
    client = app.test_client()
    assert "Cache-Control" not in client.get("/").headers
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"
    login(client, "ada@example.org")
    for url in ("/account/", "/"):  # signed in, even the home page shows the person's name
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store"
        assert "Cookie" in response.headers["Vary"]
    assert "Ada Lovelace" in text_of(client.get("/"))


def test_forms_that_send_mail_are_limited_per_address(app: Flask, smtp: SMTPRecorder) -> None:
    app.config["ACCOUNT_MAIL_RATE_LIMIT"] = "3 per hour"
    client = app.test_client()
    for i in range(2):
        assert register(client, email=f"person{i}@example.org").status_code == 302
    assert post_form(client, "/auth/reset", {"email": "person0@example.org"}).status_code == 302
    limited = post_form(client, "/auth/confirm/resend", {"email": "person1@example.org"})
    assert limited.status_code == 429
    assert "Please try again in" in text_of(limited)
    assert len(smtp.wait_for(3)) == 3  # two confirmations and one reset; the fourth form sent nothing
