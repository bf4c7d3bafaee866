"""Where people land after signing in: a chair on the console, a reviewer on their reviews (or bids) while
reviewing (or bidding) is open, an author on their submissions, anyone else on their account page; a page they
were sent from comes first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import Phase, Workshop
from tests.conftest import post_form
from tests.factories import PASSWORD, create_users, login
from tests.views.test_backup import small_workshop


def _phase(app: Flask, phase: Phase) -> None:
    with app.app_context():
        db.session.scalars(sa.select(Workshop)).one().phase = phase
        db.session.commit()


@pytest.mark.parametrize(
    ("roles", "phase", "landing"),
    [
        (("chair",), Phase.REVIEWING, "/chair/"),
        (("chair", "reviewer"), Phase.BIDDING, "/chair/"),
        (("reviewer",), Phase.REVIEWING, "/review/"),
        (("reviewer",), Phase.BIDDING, "/review/bids"),
        (("reviewer",), Phase.SUBMISSION, "/account/"),
        ((), Phase.REVIEWING, "/account/"),
    ],
)
def test_each_role_lands_where_its_work_is(app: Flask, roles: tuple[str, ...], phase: Phase, landing: str) -> None:
    create_users(app, {"email": "pat@example.org", "roles": roles})
    _phase(app, phase)
    client = app.test_client()

    signed_in = login(client, "pat@example.org")

    assert signed_in.headers["Location"] == landing
    assert client.get(landing).status_code == 200
    # Signed in already, the sign-in page sends them to the same place.
    assert client.get("/auth/login").headers["Location"] == landing


def test_an_author_lands_on_their_submissions_and_a_page_they_were_sent_from_comes_first(app: Flask) -> None:
    small_workshop(app)  # Ada's paper
    client = app.test_client()

    signed_in = login(client, "ada@example.org")

    assert signed_in.headers["Location"] == "/submissions/"
    assert "Ring Attention Beyond a Million Tokens" in client.get("/submissions/").get_data(as_text=True)
    other = app.test_client()
    sent = other.get("/account/conflicts")
    assert sent.headers["Location"] == "/auth/login?next=%2Faccount%2Fconflicts"
    back = post_form(other, sent.headers["Location"], {"email": "ada@example.org", "password": PASSWORD})
    assert back.headers["Location"] == "/account/conflicts"
