"""A person's own account: profile, email change, password change, sessions, expertise, conflicts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import ConflictKind, Topic, User
from tests.conftest import CSRF_INPUT_RE, SMTPRecorder, mail_links, post_form, text_of
from tests.factories import PASSWORD, create_users, login


def signed_in(app: Flask, email: str = "ada@example.org", **spec: object) -> FlaskClient:
    create_users(app, {"email": email, "name": "Ada Lovelace", **spec})
    client = app.test_client()
    assert login(client, email).headers["Location"] == "/account/"
    return client


def user(app: Flask, email: str) -> User | None:
    with app.app_context():
        u = db.session.scalar(sa.select(User).where(User.email == email))
        if u is not None:
            db.session.expunge(u)
        return u


def is_signed_out(client: FlaskClient) -> bool:
    return client.get("/account/").headers.get("Location", "").startswith("/auth/login")


def test_profile_edit_is_saved_and_shown(app: Flask) -> None:
    client = signed_in(app)
    response = post_form(
        client,
        "/account/profile",
        {
            "name": "Augusta Ada King",
            "affiliation": "University of London",
            "orcid": "0000-0002-1825-0097",
            "homepage": "https://ada.example.org/",
        },
        follow_redirects=True,
    )
    page = text_of(response)
    assert "Your profile is saved." in page
    assert "Name Augusta Ada King Email ada@example.org Affiliation University of London" in page
    assert "ORCID iD 0000-0002-1825-0097" in page


def test_profile_with_a_bad_orcid_keeps_the_input_and_changes_nothing(app: Flask) -> None:
    client = signed_in(app)
    response = post_form(
        client,
        "/account/profile",
        {
            "name": "Changed Name",
            "affiliation": "Elsewhere",
            "orcid": "0000-0002-1825-0098",
            "homepage": "",
        },
    )
    assert response.status_code == 422
    assert "This is not a valid ORCID iD" in text_of(response)
    assert 'value="Changed Name"' in response.get_data(as_text=True)
    assert user(app, "ada@example.org").name == "Ada Lovelace"


def test_email_change_needs_the_password(app: Flask, smtp: SMTPRecorder) -> None:
    client = signed_in(app)
    response = post_form(client, "/account/email", {"email": "new@example.org", "password": "not my password!"})
    assert response.status_code == 422
    assert "This is not your current password." in text_of(response)
    assert smtp.messages == []


def test_email_change_confirms_the_new_address_notifies_the_old_and_signs_out_others(app: Flask, smtp: SMTPRecorder) -> None:
    client = signed_in(app)
    other_device = app.test_client()
    login(other_device, "ada@example.org")
    asked = post_form(client, "/account/email", {"email": "Ada.New@example.org", "password": PASSWORD}, follow_redirects=True)
    assert "A confirmation link is on its way to ada.new@example.org." in text_of(asked)
    [mail] = smtp.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("ada.new@example.org", "[LongLLM 2024] Confirm your new email address")
    assert user(app, "ada@example.org") is not None  # nothing changes before the link is opened

    done = client.get(mail_links(mail)[0], follow_redirects=True)
    assert "Your email address is now ada.new@example.org." in text_of(done)
    assert user(app, "ada.new@example.org") is not None
    notice = smtp.wait_for(2)[1]
    assert notice["To"] == "ada@example.org"
    assert notice["Subject"] == "[LongLLM 2024] Your email address was changed"
    assert "from ada@example.org to ada.new@example.org" in notice.get_content().replace("\r\n", " ").replace("\n", " ")
    assert not is_signed_out(client)  # the session that opened the link stays
    assert is_signed_out(other_device)
    assert login(app.test_client(), "ada.new@example.org").headers["Location"] == "/account/"


def test_email_change_to_a_taken_address_is_refused_when_confirmed(app: Flask, smtp: SMTPRecorder) -> None:
    client = signed_in(app)
    post_form(client, "/account/email", {"email": "bob@example.org", "password": PASSWORD})
    create_users(app, {"email": "bob@example.org"})  # taken meanwhile
    response = client.get(mail_links(smtp.wait_for(1)[0])[0])
    assert response.status_code == 400
    assert "Another account already uses this address" in text_of(response)
    assert user(app, "ada@example.org") is not None


def test_password_change_signs_out_every_other_session(app: Flask, smtp: SMTPRecorder) -> None:
    client = signed_in(app)
    second = app.test_client()
    login(second, "ada@example.org")
    new = "an entirely new passphrase"
    wrong = post_form(client, "/account/password", {"current": "wrong one here", "password": new, "confirm": new})
    assert "This is not your current password." in text_of(wrong)
    done = post_form(client, "/account/password", {"current": PASSWORD, "password": new, "confirm": new}, follow_redirects=True)
    assert "Your password is changed. Every other session is signed out." in text_of(done)
    assert not is_signed_out(client)
    assert is_signed_out(second)
    assert smtp.wait_for(1)[0]["Subject"] == "[LongLLM 2024] Your password was changed"


def test_remember_me_cookie_dies_with_a_password_change(app: Flask) -> None:
    create_users(app, {"email": "ada@example.org"})
    remembered = app.test_client()
    login(remembered, "ada@example.org", remember="y")
    cookie = remembered.get_cookie("remember_token")
    # A browser restarted later: only the remember-me cookie is left.
    restarted = app.test_client()
    restarted.set_cookie("remember_token", cookie.value)
    assert restarted.get("/account/").status_code == 200
    other = app.test_client()
    login(other, "ada@example.org")
    new = "an entirely new passphrase"
    post_form(other, "/account/password", {"current": PASSWORD, "password": new, "confirm": new})
    again = app.test_client()
    again.set_cookie("remember_token", cookie.value)
    assert is_signed_out(again)


def test_sign_out_everywhere_keeps_only_this_session(app: Flask) -> None:
    client = signed_in(app)
    second = app.test_client()
    login(second, "ada@example.org")
    token = CSRF_INPUT_RE.search(client.get("/account/").get_data(as_text=True)).group(1)
    done = client.post("/account/sessions/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "Every other session (other browsers and devices) is signed out." in text_of(done)
    assert not is_signed_out(client)
    assert is_signed_out(second)


def topic_ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {t.slug: t.id for t in db.session.scalars(sa.select(Topic))}


def test_author_sets_expertise_topics(app: Flask) -> None:
    client = signed_in(app)
    page = client.get("/account/expertise").get_data(as_text=True)
    assert "Expertise statement" not in page  # asked of reviewers only
    ids = topic_ids(app)
    done = post_form(client, "/account/expertise", {"topics": [ids["hardware"], ids["architecture"]]}, follow_redirects=True)
    text = text_of(done)
    assert "Your expertise is saved." in text
    assert (
        "Expertise topics Novel architecture design of Large Language Models to capture long dependency; "
        "Hardware-aware Optimization"
    ) in text


def test_reviewer_saves_statement_and_papers(app: Flask) -> None:
    client = signed_in(app, roles=("reviewer",))
    ids = topic_ids(app)
    post_form(
        client,
        "/account/expertise",
        {
            "topics": [ids["embeddings"]],
            "statement": "Positional encodings for long inputs.",
            "papers-0-title": "Rotary embeddings at 1M tokens",
            "papers-0-abstract": "We extend RoPE.",
            "papers-1-title": "",
            "papers-1-abstract": "",
            "papers-2-title": "ALiBi revisited",
            "papers-2-abstract": "",
        },
    )
    with app.app_context():
        u = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
        assert u.expertise_statement == "Positional encodings for long inputs."
        assert [(p.position, p.title, p.abstract) for p in u.papers] == [
            (1, "Rotary embeddings at 1M tokens", "We extend RoPE."),
            (2, "ALiBi revisited", ""),
        ]
    form = client.get("/account/expertise").get_data(as_text=True)
    assert 'value="Rotary embeddings at 1M tokens"' in form


def test_expertise_with_an_unknown_topic_is_refused(app: Flask) -> None:
    client = signed_in(app)
    response = post_form(client, "/account/expertise", {"topics": [999_999]})
    assert response.status_code == 422
    assert "is not a valid choice" in text_of(response)


def test_conflicts_are_saved_normalized_and_shown_again(app: Flask) -> None:
    client = signed_in(app)
    done = post_form(
        client,
        "/account/conflicts",
        {
            "institutions": "University of Washington\n\n  Allen   Institute for AI ",
            "domains": "@UCSD.edu\ncs.washington.edu.\n",
            "people": "Coauthor@Example.org\ncoauthor@example.org\n",
        },
        follow_redirects=True,
    )
    assert "Your conflicts of interest are saved (5 in all)." in text_of(done)
    with app.app_context():
        u = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
        assert [(c.kind, c.value) for c in u.conflicts] == [
            (ConflictKind.INSTITUTION, "University of Washington"),
            (ConflictKind.INSTITUTION, "Allen Institute for AI"),
            (ConflictKind.DOMAIN, "ucsd.edu"),
            (ConflictKind.DOMAIN, "cs.washington.edu"),
            (ConflictKind.PERSON, "coauthor@example.org"),
        ]
    form = client.get("/account/conflicts").get_data(as_text=True)
    assert "University of Washington\nAllen Institute for AI</textarea>" in form


def test_conflicts_with_bad_lines_name_them_and_change_nothing(app: Flask) -> None:
    client = signed_in(app)
    response = post_form(
        client,
        "/account/conflicts",
        {
            "institutions": "MIT",
            "domains": "not a domain",
            "people": "someone at nowhere",
        },
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "“not a domain” is not an email domain (like ucsd.edu)." in page
    assert "“someone at nowhere” is not an email address." in page
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "ada@example.org")).conflicts == []


def test_account_pages_need_sign_in(client: FlaskClient) -> None:
    for url in (
        "/account/",
        "/account/profile",
        "/account/email",
        "/account/password",
        "/account/expertise",
        "/account/conflicts",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
