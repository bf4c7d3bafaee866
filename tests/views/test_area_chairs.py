"""Area chairs (issue 21.2): the role granted on the members page and by invitation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import User
from tests.conftest import SMTPRecorder, mail_links, post_form, text_of
from tests.factories import PASSWORD, create_users, login
from tests.views.test_members import flashes, press

CHAIR = {"email": "chair@example.org", "name": "Carla Chair", "affiliation": "Workshop University", "roles": ("chair",)}
PERSON = {"email": "ann@example.org", "name": "Ann Overseer", "affiliation": "AC Institute"}


def roles_of(app: Flask, email: str) -> tuple[bool, bool, bool]:
    """(is_reviewer, is_area_chair, is_chair) of the account with this address."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        return user.is_reviewer, user.is_area_chair, user.is_chair


@pytest.fixture
def chair(app: Flask) -> FlaskClient:
    create_users(app, CHAIR, PERSON)
    client = app.test_client()
    assert login(client, CHAIR["email"]).status_code == 302
    return client


def test_chair_makes_and_unmakes_an_area_chair_with_the_members_buttons(
    chair: FlaskClient, app: Flask, smtp: SMTPRecorder
) -> None:
    with app.app_context():
        uid = db.session.scalar(sa.select(User.id).where(User.email == PERSON["email"]))
    action = f"/members/{uid}/role"

    response = press(chair, "/members/", action, "Make area chair", follow_redirects=True)
    assert flashes(response) == ["Ann Overseer is now an area chair."]
    assert "Ann Overseer ann@example.org AC Institute author, area chair yes Make reviewer Remove area chair Make chair" in (
        text_of(response)
    )
    assert roles_of(app, PERSON["email"]) == (False, True, False)
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[LongLLM 2024] You are now an area chair"
    assert "made you an area chair of" in mail.get_content()

    listed = chair.get("/members/?role=area_chair")
    assert "1 person. " in text_of(listed) and "Ann Overseer ann@example.org" in text_of(listed)

    response = press(chair, "/members/", action, "Remove area chair", follow_redirects=True)
    assert flashes(response) == ["Ann Overseer is no longer an area chair."]
    assert roles_of(app, PERSON["email"]) == (False, False, False)


def test_an_invitation_as_area_chair_grants_that_role_and_not_reviewer(
    chair: FlaskClient, app: Flask, smtp: SMTPRecorder
) -> None:
    response = post_form(
        chair, "/members/invitations", {"lines": "Ann <ann@example.org>", "role": "area_chair"}, follow_redirects=True
    )
    assert flashes(response) == ["1 invitation sent."]
    assert "ann@example.org area chair pending" in text_of(response)
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[LongLLM 2024] Invitation to be an area chair"
    assert "as an area chair" in mail.get_content()
    accept = mail_links(mail)[0]

    visitor = app.test_client()
    page = visitor.get(accept)
    assert "Accepting makes the account with this address an area chair" in text_of(page)
    response = post_form(visitor, accept, {}, follow_redirects=True)
    assert flashes(response) == ["Thank you! The account ann@example.org is now an area chair."]
    assert roles_of(app, PERSON["email"]) == (False, True, False)

    # Inviting an area chair again as area chair is skipped; as a reviewer it is not.
    response = post_form(chair, "/members/invitations", {"lines": "ann@example.org", "role": "area_chair"})
    assert "ann@example.org: already an area chair" in text_of(response)


def test_an_area_chair_invited_without_an_account_registers_as_one(chair: FlaskClient, app: Flask, smtp: SMTPRecorder) -> None:
    post_form(chair, "/members/invitations", {"lines": "Bea Meta <bea@example.org>", "role": "area_chair"})
    [mail] = smtp.wait_for(1)
    visitor = app.test_client()
    response = post_form(visitor, mail_links(mail)[0], {})
    assert response.headers["Location"].startswith("/auth/register?invitation=")
    form = {"name": "Bea Meta", "email": "bea@example.org", "affiliation": "Meta Lab", "orcid": "", "homepage": ""}
    response = post_form(
        visitor, response.headers["Location"], form | {"password": PASSWORD, "confirm": PASSWORD}, follow_redirects=True
    )
    assert flashes(response) == ["Welcome! Your account is ready and you are now an area chair."]
    assert roles_of(app, "bea@example.org") == (False, True, False)


def test_an_invitation_with_an_unknown_role_is_refused(chair: FlaskClient, app: Flask) -> None:
    response = post_form(chair, "/members/invitations", {"lines": "ann@example.org", "role": "chair"})
    assert response.status_code == 422
    assert "Not a valid choice" in text_of(response)
