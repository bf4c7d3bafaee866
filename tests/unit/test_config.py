"""Configuration: defaults, then instance/config.py, then PORTAL_* variables, then create_app's argument;
outside debug/testing the app refuses a missing secret key or BASE_URL, answers only BASE_URL's host and marks
its cookies Secure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session

from portal import create_app
from portal.config import DEFAULT_SECRET_KEY
from portal.urls import external_url

PRODUCTION = {
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "SECRET_KEY": "a-real-secret-0123456789abcdef",
    "BASE_URL": "https://portal.example.org",
}


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

    response = app.test_client().get("/_test/session", base_url=app.config["BASE_URL"])  # the site's own host
    return response.headers["Set-Cookie"]


@pytest.mark.parametrize("secret", [DEFAULT_SECRET_KEY, "", None])
def test_create_app_without_secret_key_refuses_to_start(secret: str | None) -> None:
    with pytest.raises(RuntimeError) as excinfo:
        create_app({**PRODUCTION, "SECRET_KEY": secret})

    assert str(excinfo.value) == (
        "No secret key: set SECRET_KEY in instance/config.py (`make run` generates one) or PORTAL_SECRET_KEY in the environment."
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

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": PRODUCTION["BASE_URL"]})

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
        'SECRET_KEY = "from-instance-config"\nMAIL_SERVER = "instance.example.org"\nBASE_URL = "https://portal.example.org"\n',
        encoding="utf-8",
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.instance_path == str(clean_environment)
    assert app.config["SECRET_KEY"] == "from-instance-config"
    assert app.config["MAIL_SERVER"] == "instance.example.org"
    assert app.config["BASE_URL"] == "https://portal.example.org"


def test_create_app_environment_overrides_instance_config(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_environment / "config.py").write_text(
        'SECRET_KEY = "from-instance-config"\nMAIL_SERVER = "instance.example.org"\nBASE_URL = "https://portal.example.org"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PORTAL_MAIL_SERVER", "env.example.org")

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    explicit = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MAIL_SERVER": "argument.example.org"})

    assert app.config["MAIL_SERVER"] == "env.example.org"
    assert explicit.config["MAIL_SERVER"] == "argument.example.org"


def test_create_app_without_database_uri_uses_instance_sqlite(clean_environment: Path) -> None:
    config: dict[str, Any] = {"SECRET_KEY": PRODUCTION["SECRET_KEY"], "BASE_URL": PRODUCTION["BASE_URL"]}

    app = create_app(config)

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_environment / 'portal.sqlite3'}"
    assert not (clean_environment / "portal.sqlite3").exists()  # create_app never touches the database


# --- BASE_URL and TRUSTED_HOSTS -----------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [None, "", "  "])
def test_create_app_without_base_url_refuses_to_start(base_url: str | None) -> None:
    with pytest.raises(RuntimeError) as excinfo:
        create_app({**PRODUCTION, "BASE_URL": base_url})

    assert str(excinfo.value) == (
        "No BASE_URL: set PORTAL_BASE_URL in the environment (or BASE_URL in instance/config.py) to the "
        "site's public address, such as https://portal.example.org; links in mail are built from it "
        "(`make run` sets the local one)."
    )


@pytest.mark.parametrize(
    "base_url",
    [
        "portal.example.org",
        "ftp://portal.example.org",
        "https://",
        "https://portal.example.org/?next=/",
        "https://user@portal.example.org",
    ],
)
def test_create_app_with_a_base_url_that_is_no_site_address_refuses_to_start(base_url: str) -> None:
    with pytest.raises(RuntimeError) as excinfo:
        create_app({**PRODUCTION, "BASE_URL": base_url})

    assert str(excinfo.value) == (
        f"BASE_URL {base_url!r} is not a site address: give its scheme and host, as in https://portal.example.org."
    )


def test_create_app_base_url_from_environment_is_the_one_trusted_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_BASE_URL", "https://Portal.example.org:8443/")

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": PRODUCTION["SECRET_KEY"]})

    assert app.config["BASE_URL"] == "https://Portal.example.org:8443"
    assert app.config["TRUSTED_HOSTS"] == ["portal.example.org"]
    with app.app_context():  # no request: a command or a worker
        assert external_url("auth.reset", token="t") == "https://portal.example.org:8443/auth/reset/t"


@pytest.mark.parametrize(
    ("setting", "hosts"),
    [
        ('["portal.example.org", "127.0.0.1"]', ["portal.example.org", "127.0.0.1"]),
        ("portal.example.org, .example.net", ["portal.example.org", ".example.net"]),
    ],
)
def test_create_app_trusted_hosts_from_environment_win(monkeypatch: pytest.MonkeyPatch, setting: str, hosts: list[str]) -> None:
    monkeypatch.setenv("PORTAL_TRUSTED_HOSTS", setting)

    app = create_app(PRODUCTION)

    assert app.config["TRUSTED_HOSTS"] == hosts


def test_create_app_under_a_path_builds_links_under_it() -> None:
    app = create_app({**PRODUCTION, "BASE_URL": "https://www.example.org/longllm/"})

    assert app.config["TRUSTED_HOSTS"] == ["www.example.org"]
    with app.app_context():
        assert external_url("review.paper", number=7, _anchor="discussion") == (
            "https://www.example.org/longllm/review/papers/7#discussion"
        )


@pytest.mark.parametrize(
    ("config", "base_url"),
    [
        ({"TESTING": True}, "http://127.0.0.1:5000"),
        ({"DEBUG": True}, "http://127.0.0.1:5000"),
        ({"TESTING": True, "SERVER_NAME": "portal.example.org", "PREFERRED_URL_SCHEME": "https"}, "https://portal.example.org"),
    ],
)
def test_create_app_without_base_url_in_debug_or_testing_links_to_the_local_address(
    config: dict[str, Any], base_url: str
) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config})

    assert app.config["BASE_URL"] == base_url
    assert app.config["TRUSTED_HOSTS"] is None  # any host: the test client's localhost, a live server's 127.0.0.1
    with app.test_request_context("/auth/reset", base_url="http://evil.example.org"):
        assert external_url("auth.reset", token="t") == f"{base_url}/auth/reset/t"


def test_create_app_with_base_url_answers_its_host_only() -> None:
    app = create_app(PRODUCTION)
    client = app.test_client()

    refused = client.get("/", base_url="https://evil.example.org")

    assert refused.status_code == 400
    assert "This site does not answer at the address you asked for. It is at https://portal.example.org." in (
        refused.get_data(as_text=True)
    )
