"""Configuration: defaults, then instance/config.py, then PORTAL_* variables, then create_app's argument;
outside debug/testing the app refuses a missing secret key and marks its cookies Secure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session

from portal import create_app
from portal.config import DEFAULT_SECRET_KEY

PRODUCTION = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "a-real-secret-0123456789abcdef"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PORTAL_* variable of the caller's shell, and an empty instance folder of our own."""
    for name in list(os.environ):
        if name.startswith("PORTAL_") or name in {"FLASK_DEBUG", "FLASK_ENV"}:
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    return instance


def _set_cookie_header(app: Flask) -> str:
    """The Set-Cookie header a browser receives when the session is first written."""

    @app.get("/_test/session")
    def write_session() -> str:
        session["seen"] = True
        return "ok"

    response = app.test_client().get("/_test/session")
    return response.headers["Set-Cookie"]


@pytest.mark.parametrize("secret", [DEFAULT_SECRET_KEY, "", None])
def test_create_app_without_secret_key_refuses_to_start(secret: str | None) -> None:
    with pytest.raises(RuntimeError) as excinfo:
        create_app({**PRODUCTION, "SECRET_KEY": secret})

    assert str(excinfo.value) == (
        "No secret key: set SECRET_KEY in instance/config.py (`make run` generates one) "
        "or PORTAL_SECRET_KEY in the environment."
    )


def test_create_app_default_secret_key_is_allowed_in_testing() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})

    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


def test_create_app_with_real_key_sends_secure_cookies() -> None:
    app = create_app(PRODUCTION)

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    cookie = _set_cookie_header(app)
    assert cookie.startswith("session=")
    assert "; Secure; HttpOnly; Path=/; SameSite=Lax" in cookie


def test_create_app_under_testing_cookie_is_not_secure() -> None:
    app = create_app({**PRODUCTION, "TESTING": True})

    assert app.config["SESSION_COOKIE_SECURE"] is False
    cookie = _set_cookie_header(app)
    assert "Secure" not in cookie
    assert "; HttpOnly; Path=/; SameSite=Lax" in cookie


def test_create_app_secret_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SECRET_KEY", "from-the-environment")

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_create_app_mail_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("PORTAL_MAIL_PORT", "2525")

    app = create_app(PRODUCTION)

    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 2525
    mail = app.extensions["mail"]
    assert (mail.server, mail.port) == ("smtp.example.org", 2525)


def test_create_app_cookie_secure_false_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECURE", "false")

    app = create_app(PRODUCTION)

    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert "Secure" not in _set_cookie_header(app)


def test_create_app_reads_instance_config(clean_environment: Path) -> None:
    (clean_environment / "config.py").write_text(
        'SECRET_KEY = "from-instance-config"\nMAIL_SERVER = "instance.example.org"\n', encoding="utf-8"
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.instance_path == str(clean_environment)
    assert app.config["SECRET_KEY"] == "from-instance-config"
    assert app.config["MAIL_SERVER"] == "instance.example.org"


def test_create_app_environment_overrides_instance_config(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environment / "config.py").write_text(
        'SECRET_KEY = "from-instance-config"\nMAIL_SERVER = "instance.example.org"\n', encoding="utf-8"
    )
    monkeypatch.setenv("PORTAL_MAIL_SERVER", "env.example.org")

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    explicit = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MAIL_SERVER": "argument.example.org"})

    assert app.config["MAIL_SERVER"] == "env.example.org"
    assert explicit.config["MAIL_SERVER"] == "argument.example.org"


def test_create_app_without_database_uri_uses_instance_sqlite(clean_environment: Path) -> None:
    config: dict[str, Any] = {"SECRET_KEY": PRODUCTION["SECRET_KEY"]}

    app = create_app(config)

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_environment / 'portal.sqlite3'}"
    assert not (clean_environment / "portal.sqlite3").exists()  # create_app never touches the database
