"""`flask --app portal demo --reset`: a local trial starts over, and only a local trial's database can."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from portal.db import db
from portal.models import StoredFile, Submission, User
from portal.storage import storage
from tests.conftest import ROOT, SMTPRecorder, make_app
from tests.factories import create_users, login


@pytest.fixture
def local_app(
    sqlite_template: Path, smtp_server: tuple[SMTPRecorder, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app of a local trial as `make run` leaves it: the SQLite database and the uploads in its instance folder,
    the site served at BASE_URL."""
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    shutil.copyfile(sqlite_template, instance / "portal.sqlite3")
    app = make_app(f"sqlite:///{instance / 'portal.sqlite3'}", MAIL_PORT=smtp_server[1], BASE_URL="http://127.0.0.1:8123")
    assert app.instance_path == str(instance)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, Submission, StoredFile)
        }


def uploaded_keys(app: Flask) -> list[str]:
    with app.app_context():
        return storage().keys()


def test_demo_reset_refuses_a_database_outside_the_instance_folder(empty_app: Flask) -> None:
    create_users(empty_app, {"email": "real.person@example.org"})

    result = empty_app.test_cli_runner().invoke(args=["demo", "--reset", "--yes"])

    assert result.exit_code == 1
    with empty_app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
    assert result.output == (
        "Error: --reset deletes the database, so it works only on a SQLite file under the instance folder "
        f"({empty_app.instance_path}); this database is {url}. Nothing was changed.\n"
    )
    assert counts(empty_app) == {"User": 1, "Submission": 0, "StoredFile": 0}


def test_demo_reset_says_what_goes_and_asks_first(local_app: Flask) -> None:
    runner = local_app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    create_users(local_app, {"email": "real.person@example.org"})
    keys = uploaded_keys(local_app)

    result = runner.invoke(args=["demo", "--reset"], input="n\n")

    assert result.exit_code == 1
    path = Path(local_app.instance_path) / "portal.sqlite3"
    assert result.output == (
        f"This deletes {path} with its 38 accounts and 12 submissions, and the 24 uploaded files it refers to, then "
        "recreates the database from the migrations and loads the demo workshop.\n"
        "Start over? [y/N]: n\n"
        "Aborted!\n"
    )
    assert counts(local_app) == {"User": 38, "Submission": 12, "StoredFile": 24}
    assert uploaded_keys(local_app) == keys


def test_demo_reset_with_yes_starts_over_with_the_demo_alone(local_app: Flask) -> None:
    runner = local_app.test_cli_runner()
    runner.invoke(args=["demo"])
    create_users(local_app, {"email": "real.person@example.org"})
    old_keys = set(uploaded_keys(local_app))
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code == 1
    assert refused.output.endswith("For a local trial, `flask --app portal demo --reset` starts over with the demo alone.\n")

    result = runner.invoke(args=["demo", "--reset", "--yes"])

    assert result.exit_code == 0, result.output
    path = Path(local_app.instance_path) / "portal.sqlite3"
    # Between them, on standard error, the migrations' log as `flask db upgrade` prints it.
    lines = [line for line in result.output.splitlines() if not line.startswith("INFO  [alembic.")]
    assert lines[:3] == [
        f"This deletes {path} with its 38 accounts and 12 submissions, and the 24 uploaded files it refers to, then "
        "recreates the database from the migrations and loads the demo workshop.",
        f"Recreated {path}.",
        "Demo workshop LongLLM 2024 loaded at the submission phase: submissions are open, 12 submissions are in.",
    ]
    assert lines[3] == "Sign in at http://127.0.0.1:8123/auth/login with the password 'demo-password' as"
    assert counts(local_app) == {"User": 37, "Submission": 12, "StoredFile": 24}
    with local_app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "real.person@example.org")) is None
        referenced = set(db.session.scalars(sa.select(StoredFile.storage_key)))
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    # The old papers' files went with the old database; the new ones are all referenced.
    assert set(uploaded_keys(local_app)) == referenced
    assert not referenced & old_keys
    assert revision == ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert login(local_app.test_client(), "chair@example.org", "demo-password").headers["Location"] == "/chair/"
    again = runner.invoke(args=["demo"])  # the database holds the demo alone
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--yes"], "--yes only goes with --reset."),
        (["--reset", "--if-empty"], "--reset and --if-empty exclude each other."),
    ],
)
def test_demo_reset_options_that_do_not_go_together(local_app: Flask, args: list[str], message: str) -> None:
    result = local_app.test_cli_runner().invoke(args=["demo", *args])

    assert result.exit_code == 2
    assert result.output.endswith(f"Error: {message}\n")
    assert counts(local_app) == {"User": 0, "Submission": 0, "StoredFile": 0}
