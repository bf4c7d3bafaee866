"""Plain functions that add rows and flush (call them inside ``with app.app_context():`` and commit)."""

from __future__ import annotations

import itertools

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import Decision, Submission, User, Workshop
from portal.services import identities
from portal.services.accounts import _hash

PASSWORD = "a long test passphrase"  # passes the password policy
_counter = itertools.count(1)


def make_user(
    email: str | None = None,
    *,
    name: str | None = None,
    affiliation: str = "Test University",
    roles: tuple[str, ...] = (),
    confirmed: bool = True,
    password: str = PASSWORD,
) -> User:
    n = next(_counter)
    user = User(
        email=(email or f"user{n}@example.org").lower(),
        name=name or f"Test Person {n}",
        affiliation=affiliation,
        password_hash=_hash(password),
        email_confirmed_at=utcnow() if confirmed else None,
        is_reviewer="reviewer" in roles,
        is_chair="chair" in roles,
        is_area_chair="area_chair" in roles,
    )
    db.session.add(user)
    db.session.flush()
    # As the portal does: the history of the account's affiliations and confirmed addresses starts here.
    identities.affiliation_given(user, affiliation)
    if confirmed:
        identities.address_confirmed(user)
    return user


def create_users(app: Flask, *specs: dict) -> list[int]:
    """Create users from keyword dicts and commit; return their ids."""
    with app.app_context():
        users = [make_user(**spec) for spec in specs]
        db.session.commit()
        return [u.id for u in users]


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra: str) -> TestResponse:
    """Sign in through the real form, CSRF token included."""
    from tests.conftest import post_form

    return post_form(client, "/auth/login", {"email": email, "password": password, **extra})


def decide_and_notify(ws: Workshop, sub: Submission, decision: Decision, chair: User | None = None) -> None:
    """A decision as the chairs make it, with its letter on its way (the authors can see it). Flushes."""
    from portal.services import decisions

    decisions.record_decision(chair or sub.submitter, sub, decision=decision, presentation=None, note="", version=None)
    decisions.prepare_letters(ws)
    decisions.send_letters(chair, ws)
