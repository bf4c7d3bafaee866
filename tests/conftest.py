"""Fixtures: an app per test on a migrated database (SQLite, and PostgreSQL when PORTAL_TEST_DATABASE_URL is
set), a real SMTP server, and helpers that post forms the way a browser does, CSRF token included."""

from __future__ import annotations

import asyncio
import email
import email.policy
import html as html_lib
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal import create_app
from portal.db import db
from portal.services.content import load_content, read_content_file

ROOT = Path(__file__).resolve().parent.parent
CONTENT_FILE = ROOT / "content" / "longllm-2024.toml"
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- mail ---------------------------------------------------------------------------------------------


class SMTPRecorder:
    """An aiosmtpd handler keeping every message that arrives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[SMTPRecorder, int]]:
    recorder = SMTPRecorder()
    port = free_port()  # aiosmtpd 1.4.6 cannot bind port 0 itself
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()
    asyncio.set_event_loop(None)


@pytest.fixture
def smtp(smtp_server: tuple[SMTPRecorder, int]) -> SMTPRecorder:
    recorder, _ = smtp_server
    recorder.clear()
    return recorder


# --- databases ----------------------------------------------------------------------------------------


def _config(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "http://localhost",  # links in mail: the test client's address (any host is answered in testing)
        "SQLALCHEMY_DATABASE_URI": uri,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": free_port(),  # nothing listens here unless the test asks for the SMTP server
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Fast hashing keeps the suite quick; tests/unit/test_passwords.py checks the scrypt default.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **extra,
    }


def _migrate(uri: str) -> None:
    app = create_app(_config(uri))
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


def own_pg_database(suffix: str = "") -> Iterator[str]:
    """A PostgreSQL database of this run's own (portal_test_<pid><suffix>), migrated, dropped at the end: the
    body of a session fixture."""
    if not PG_URL:
        pytest.skip("PORTAL_TEST_DATABASE_URL is not set")
    base = sa.make_url(PG_URL)
    name = f"portal_test_{os.getpid()}{suffix}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    yield url
    if url in _cleaners:
        _cleaners.pop(url)[0].dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this run's own (portal_test_<pid>), migrated once, dropped at the end."""
    yield from own_pg_database()


_cleaners: dict[str, tuple[sa.Engine, str]] = {}


def _truncate_all(url: str) -> None:
    """Empty every table and restart every id sequence. DELETE, children first, is about 15 times faster than
    TRUNCATE on these small tables (20 ms against 300 ms a test: TRUNCATE recreates each table's files)."""
    if url not in _cleaners:
        engine = sa.create_engine(url, poolclass=sa.pool.StaticPool)
        with engine.connect() as conn:
            sequences = conn.scalars(
                sa.text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'")
            ).all()
        statements = [f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables)]  # noqa: S608 - our table names
        statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        _cleaners[url] = (engine, "; ".join(statements))
    engine, statement = _cleaners[url]
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


class ClosingClient(FlaskClient):
    """A test client that reads each response whole and closes it, as a WSGI server does once the response is
    sent: what a view left for after the response (``call_on_close``, e.g. mail that must not delay an answer)
    runs before the test looks."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def make_app(database_url: str, **config: Any) -> Flask:
    app = create_app(_config(database_url, **config))
    app.test_client_class = ClosingClient
    return app


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for the ``app`` fixture; override in a test module."""
    return {}


@pytest.fixture
def empty_app(
    database_url: str, app_config: dict[str, Any], smtp_server: tuple[SMTPRecorder, int], tmp_path: Path
) -> Iterator[Flask]:
    """A migrated database without any workshop; mail goes to the test SMTP server, files to tmp_path."""
    config = {"MAIL_PORT": smtp_server[1], "UPLOAD_FOLDER": str(tmp_path / "uploads"), **app_config}
    app = make_app(database_url, **config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_content_template(sqlite_template: Path) -> Path:
    """The migrated SQLite file with the workshop content loaded once per run (loading it costs ~70 ms)."""
    path = sqlite_template.with_name("content.sqlite3")
    shutil.copyfile(sqlite_template, path)
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        load_content(read_content_file(CONTENT_FILE))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def app(empty_app: Flask, request: pytest.FixtureRequest) -> Flask:
    """The app with the LongLLM 2024 content loaded. No app context is held while the test runs."""
    uri = empty_app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):  # nothing has connected yet: put the loaded copy in place
        shutil.copyfile(request.getfixturevalue("sqlite_content_template"), uri.removeprefix("sqlite:///"))
        return empty_app
    _restore_content(uri, request.getfixturevalue("pg_content_snapshot"))
    return empty_app


@pytest.fixture(scope="session")
def pg_content_snapshot(pg_database: str) -> str:
    """The workshop content loaded once per run into the PostgreSQL database and copied into a schema
    ``snapshot``; returns the SQL that puts it back into the emptied tables (a few ms instead of ~100)."""
    app = create_app(_config(pg_database))
    _truncate_all(pg_database)
    with app.app_context():
        load_content(read_content_file(CONTENT_FILE))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    engine = _cleaners[pg_database][0]
    restore = []
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS snapshot CASCADE; CREATE SCHEMA snapshot")
        for table in db.metadata.sorted_tables:  # parents first
            if not conn.scalar(sa.select(sa.func.count()).select_from(table)):
                continue
            # Our own table names, from the models.
            conn.exec_driver_sql(f'CREATE TABLE snapshot."{table.name}" AS SELECT * FROM public."{table.name}"')  # noqa: S608
            restore.append(f'INSERT INTO public."{table.name}" SELECT * FROM snapshot."{table.name}"')  # noqa: S608
            if "id" in table.c and table.c.id.autoincrement in (True, "auto"):
                sequence = f"pg_get_serial_sequence('public.\"{table.name}\"', 'id')"
                restore.append(f'SELECT setval({sequence}, (SELECT max(id) FROM public."{table.name}"))')  # noqa: S608
    _truncate_all(pg_database)
    return "; ".join(restore)


def _restore_content(url: str, statement: str) -> None:
    with _cleaners[url][0].begin() as conn:
        conn.exec_driver_sql(statement)


@pytest.fixture
def smtp_down(app: Flask) -> Flask:
    """Point the app's mail at a port where nothing listens: every delivery fails until restored."""
    app.extensions["mail"].port = free_port()
    return app


def smtp_up(app: Flask, smtp_server: tuple[SMTPRecorder, int]) -> None:
    app.extensions["mail"].port = smtp_server[1]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def content() -> dict[str, Any]:
    """The content file as data: what the public site must show."""
    return read_content_file(CONTENT_FILE)


# --- helpers ------------------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_INPUT_RE = re.compile(r'type="hidden" name="csrf_token" value="([^"]+)"')  # the header's sign-out form


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
    """Open the form's page like a browser, take its CSRF token, post."""
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def mail_links(message: EmailMessage) -> list[str]:
    """The site paths of the links in a mail that arrived (``/auth/confirm/...``), in order."""
    body = message.get_content()
    return [m.group(1) for m in re.finditer(r"https?://[^/\s]+(/\S+)", body)]


def text_of(response: TestResponse) -> str:
    """The page's visible text, tags stripped and whitespace collapsed, for equality-style asserts."""
    html = response.get_data(as_text=True)
    html = re.sub(r"(?is)<(script|style|svg)\b.*?</\1>", " ", html)  # svg: the avatars are aria-hidden
    html = re.sub(r"(?is)</?(strong|em|b|i|a|span|code|abbr|small)\b[^>]*>", "", html)  # inline: no gap
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(html)).strip()
