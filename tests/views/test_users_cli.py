"""`flask users ...` and the demo accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import User, Workshop
from tests.factories import PASSWORD, create_users, login


def roles(app: Flask, email: str) -> list[str]:
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email)).roles


def test_users_create_makes_the_first_chair_from_stdin(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "Chair@Example.org", "--name", "First Chair", "--role", "chair", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created chair@example.org (author, chair).\n"
    client = app.test_client()
    assert login(client, "chair@example.org").headers["Location"] == "/chair/"  # a chair lands on the console
    assert client.get("/members/").status_code == 200


def test_users_create_prompts_for_the_password_twice(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "ada@example.org", "--name", "Ada"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created ada@example.org (author)." in result.output


def test_users_create_refuses_a_common_password_and_a_taken_address(app: Flask) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "create", "a@example.org", "--password-stdin"], input="password1234\n")
    assert weak.exit_code == 1
    assert "This password is too common" in weak.output
    create_users(app, {"email": "taken@example.org"})
    taken = runner.invoke(args=["users", "create", "taken@example.org", "--password-stdin"], input=PASSWORD + "\n")
    assert taken.exit_code == 1
    assert "An account with the address taken@example.org exists already." in taken.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_users_set_role_grants_and_keeps_the_last_chair(app: Flask) -> None:
    create_users(app, {"email": "chair@example.org", "roles": ("chair",)}, {"email": "ada@example.org"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "set-role", "ada@example.org", "reviewer"]).output == (
        "ada@example.org: author, reviewer.\n"
    )
    last = runner.invoke(args=["users", "set-role", "chair@example.org", "chair", "--revoke"])
    assert last.exit_code == 1
    assert "is the last chair; make someone else a chair first." in last.output
    assert roles(app, "chair@example.org") == ["author", "chair"]


def test_demo_creates_the_documented_accounts(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "with the password 'demo-password' as" in result.output
    assert "chair     chair@example.org" in result.output
    with empty_app.app_context():
        people = db.session.scalars(sa.select(User)).all()
        assert len(people) == 37
        assert sum(u.is_reviewer and not u.is_chair for u in people) == 12
        assert sorted(u.email for u in people if u.is_area_chair) == [f"ac{i}@example.org" for i in range(1, 5)]
        assert all(u.is_demo and u.is_confirmed and u.topics and u.affiliation for u in people)
        reviewer = db.session.scalar(sa.select(User).where(User.email == "reviewer12@example.org"))
        assert reviewer.expertise_statement and len(reviewer.papers) == 2
    for email, landing in (
        ("chair@example.org", "/chair/"),
        ("reviewer12@example.org", "/account/"),  # (the workshop is still taking submissions)
        ("ac4@example.org", "/account/"),
        ("author20@example.org", "/submissions/"),
    ):
        assert login(empty_app.test_client(), email, "demo-password").headers["Location"] == landing


def test_demo_run_twice_resets_its_own_accounts(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 37


def test_demo_refuses_a_database_with_a_real_account(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["demo"])
    create_users(empty_app, {"email": "real.person@example.org"})
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "holds the account real.person@example.org, which the demo did not create" in result.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "real.person@example.org")) is not None
        assert db.session.scalar(sa.select(Workshop.is_demo))
