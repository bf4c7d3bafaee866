"""Fixtures: an app per test on a migrated database (SQLite, and PostgreSQL when PORTAL_TEST_DATABASE_URL is
set), a real SMTP server, and helpers that post forms the way a browser does, CSRF token included."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import email
import email.policy
import gc
import html as html_lib
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from types import CodeType
from typing import Any

import flask_migrate
import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from portal import create_app
from portal.db import db
from portal.services.content import load_content, read_content_file
from tests import markers

ROOT = Path(__file__).resolve().parent.parent
CONTENT_FILE = ROOT / "content" / "longllm-2024.toml"
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.hookimpl(tryfirst=True)  # before the mark plugin deselects, so -m "not slow and not fuzz" sees the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    markers.apply(items)
    markers.long_first(items)


def pytest_configure(config: pytest.Config) -> None:
    # The cyclic garbage collector ran every 700 new objects and walked the whole heap (every module, every cached
    # template and URL builder) every few hundred of those runs: a fifth of a view test's CPU, 24 s -> 19 s of CPU
    # for tests/views/test_members.py and test_guards.py. Collect after 50,000 new objects instead; memory freed by
    # reference counting (nearly all of it) goes as before.
    gc.set_threshold(50_000, 50, 100)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (the portal, SQLAlchemy, Hypothesis, the test modules) lives for the whole run: the
    # collector need not walk it again.
    gc.collect()
    gc.freeze()


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
        # A throwaway database: a commit need not wait for its write-ahead log to reach the disk (what another
        # session sees after a commit is the same; only a crash of the server could lose the last commits).
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
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
    TRUNCATE on these small tables (20 ms against 300 ms a test: TRUNCATE recreates each table's files). The
    sequences are put back with one ``setval`` each, in one SELECT: ``ALTER SEQUENCE ... RESTART`` also gives each
    sequence a new file, 40 of the 50 ms the 35 of them took a test (the next id is the start value either way)."""
    if url not in _cleaners:
        engine = sa.create_engine(url, poolclass=sa.pool.StaticPool)
        with engine.connect() as conn:
            sequences = conn.execute(
                sa.text("SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
            ).all()
        statements = [f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables)]  # noqa: S608 - our table names
        if sequences:
            restarts = ", ".join(f"setval('public.\"{name}\"', {int(start)}, false)" for name, start in sequences)
            statements.append(f"SELECT {restarts}")
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


# --- what every test app would build again ------------------------------------------------------------
#
# Each test gets an app of its own. Profiled (cProfile on process time, tests/views), most of a view test's CPU
# went to two things every app redoes from scratch: Jinja compiling the same templates (about 40 %) and Werkzeug
# compiling a URL builder for each of the 96 rules (about 25 %, 45 ms an app). Both results depend only on their
# inputs, so the test apps share them: the output is the same code, compiled once per run.


class SharedTemplateCode(jinja2.BytecodeCache):
    """Jinja's bytecode cache, kept in memory as code objects: a template compiled by one test app is not parsed
    and compiled again by the next. Keyed by the template's name and file and the settings that change the
    generated code; a template whose source changed (its checksum) is compiled again."""

    def __init__(self) -> None:
        self._code: dict[tuple[Any, str], tuple[str | None, CodeType]] = {}

    @staticmethod
    def _settings(env: jinja2.Environment) -> tuple[Any, ...]:
        return (
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            tuple(sorted(env.extensions)),
            env.optimized,
            env.is_async,
            env.finalize is not None,
            env.autoescape if isinstance(env.autoescape, bool) else "select",
        )

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        hit = self._code.get((self._settings(bucket.environment), bucket.key))
        if hit is not None and hit[0] == bucket.checksum:
            bucket.code = hit[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self._code[(self._settings(bucket.environment), bucket.key)] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


TEMPLATE_CODE = SharedTemplateCode()


def _share_url_builders() -> None:
    """Werkzeug compiles two URL-building functions for every rule an app adds (``Rule._compile_builder``: an AST
    built, walked and compiled). The function depends only on the rule's parsed parts and ``append_unknown``, and
    takes the rule as its ``self``, so one function serves the same rule in every test app. Rules with defaults
    (their values are folded into the function) are compiled as before. A private method: if a Werkzeug release
    changes it, the cache steps aside and every app compiles its own, as without it."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return
    built: dict[tuple[Any, ...], Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        trace = getattr(self, "_trace", None)
        if self.defaults or trace is None:
            return original(self, append_unknown)
        key = (self.rule, tuple(trace), append_unknown)
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    compile_builder.shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_share_url_builders()


def _share_parsed_rules() -> None:
    """Werkzeug parses each rule of each app (``Rule.compile``: the rule string taken apart with a regular
    expression, each part's pattern escaped and joined): about 20 of the 35 ms a test app took to build
    (``make_app``, 198 rules). What it produces (the parts with their patterns, the trace the URL builder follows,
    which converter each variable gets with which arguments) depends only on the rule string, the map's matching
    settings and its converter classes, so a rule parsed once is not parsed again: each rule still gets its own
    parts list, trace and converter objects (bound to its own map) and its builders, as ``compile`` gives them.
    A Rule subclass with its own ``get_converter`` is compiled as before. A private method: if a Werkzeug release
    changes it, the cache steps aside."""
    original = getattr(Rule, "compile", None)
    original_converter = getattr(Rule, "get_converter", None)
    if original is None or original_converter is None or getattr(original, "shared", False):
        return
    parsed: dict[tuple[Any, ...], tuple[list[Any], list[tuple[bool, str]], list[tuple[str, str, Any, Any]]]] = {}

    def compile_rule(self: Rule) -> None:
        rules_map = self.map
        if rules_map is None or type(self).get_converter is not original_converter:
            return original(self)
        domain = self.host if rules_map.host_matching else self.subdomain
        key = (self.rule, rules_map.host_matching, domain or "", self.merge_slashes, tuple(rules_map.converters.items()))
        hit = parsed.get(key)
        if hit is None:
            specs: list[tuple[str, str, Any, Any]] = []

            def noting(variable: str, name: str, args: Any, kwargs: Any) -> Any:
                specs.append((variable, name, args, kwargs))
                return original_converter(self, variable, name, args, kwargs)

            self.get_converter = noting  # type: ignore[method-assign]
            try:
                original(self)
            finally:
                del self.get_converter
            parsed[key] = (list(self._parts), list(self._trace), specs)
            return None
        parts, trace, specs = hit
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {}
        for variable, name, args, kwargs in specs:
            self._converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)
        return None

    compile_rule.shared = True  # type: ignore[attr-defined]
    Rule.compile = compile_rule  # type: ignore[method-assign]


_share_parsed_rules()


#: What a compiled statement depends on besides the dialect's class.
DIALECT_SETTINGS = (
    "server_version_info",
    "paramstyle",
    "positional",
    "label_length",
    "max_identifier_length",
    "use_insertmanyvalues",
    "insertmanyvalues_page_size",
    "default_schema_name",
    "supports_native_boolean",
    "supports_native_enum",
    "supports_native_decimal",
    "_json_serializer",
    "_json_deserializer",
)


class SharedCompiledSQL:
    """SQLAlchemy's cache of compiled statements, shared by the test apps' engines. Each test app has an engine of
    its own, so each test compiled every statement it ran again (about 12 % of a view test's CPU). SQLAlchemy keys
    a compiled statement by the dialect object first, and each engine has its own; here the dialect in the key is
    replaced by what the compiled SQL depends on: its class, the server's version and the settings every test
    engine shares (they differ only in their URL). The same statement on the same kind of database then compiles
    once per run. Given to each test app's engine (``make_app``) and to every mapper's cache of INSERT, UPDATE and
    DELETE statements."""

    def __init__(self, store: Any) -> None:
        self._store = store

    @staticmethod
    def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        d = key[0]
        return ((type(d), *(getattr(d, name, None) for name in DIALECT_SETTINGS)), *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self._store.get(self._key(key), default)

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        return self._store[self._key(key)]

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._store[self._key(key)] = value

    def __contains__(self, key: tuple[Any, ...]) -> bool:
        return self._key(key) in self._store

    def __len__(self) -> int:
        return len(self._store)

    def clear(self) -> None:
        self._store.clear()


COMPILED_SQL = SharedCompiledSQL(sa.util.LRUCache(20_000))


def _share_mapper_sql() -> None:
    """The mappers' own caches of the INSERT, UPDATE and DELETE statements a flush runs (100 each, keyed by the
    dialect too), shared the same way."""
    for mapper in db.Model.registry.mappers:
        if not isinstance(mapper.__dict__.get("_compiled_cache"), SharedCompiledSQL):
            mapper.__dict__["_compiled_cache"] = SharedCompiledSQL(sa.util.LRUCache(1_000))


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
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    with app.app_context():
        db.engine._compiled_cache = COMPILED_SQL  # type: ignore[assignment]
    _share_mapper_sql()
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


# --- worlds built once -----------------------------------------------------------------------------------


class Worlds:
    """A test module's world (people, papers, reviews), built through the services once per run and backend, and
    put back for each further test that asks for it: a copy of the database (the SQLite file, or on PostgreSQL
    every table's rows and every sequence's position, kept in a schema of their own) and of the upload folder.
    Each test still gets its own database and files, so a test may change the world freely; the next one gets
    it back as built. The builder's answer (ids, numbers, a dataclass holding the app) is deep-copied with the
    test's own app and upload folder in place of the first one's.

    A world is built again, never shared, when the test starts from another state (another row count in any
    table, or files already uploaded), runs with other settings, or when building it delivered mail (the test
    would otherwise miss it). Times in a shared world are those of its first build, minutes ago at most in a
    run: a builder whose tests compare times to the second should not use it."""

    def __init__(self, directory: Path, recorder: SMTPRecorder) -> None:
        self._dir = directory
        self._recorder = recorder
        self._saved: dict[Any, Any] = {}

    def get(self, app: Flask, build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        uploads = Path(app.config["UPLOAD_FOLDER"])
        settings = sorted((k, repr(v)) for k, v in app.config.items() if k not in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER"))
        key = (build.__module__, build.__qualname__, repr(args), repr(sorted(kwargs.items())), uri.split(":")[0])
        key += (_row_counts(app), repr(settings))
        if uploads.exists() and any(uploads.iterdir()):
            return build(app, *args, **kwargs)
        saved = self._saved.get(key)
        if saved is None:
            sent = len(self._recorder.messages)
            value = build(app, *args, **kwargs)
            if len(self._recorder.messages) != sent:
                self._saved[key] = False  # it delivered mail: build it for every test
            else:
                self._saved[key] = self._save(app, uri, uploads, value)
            return value
        if saved is False:
            return build(app, *args, **kwargs)
        return self._restore(app, uri, uploads, saved)

    def _save(self, app: Flask, uri: str, uploads: Path, value: Any) -> tuple[Any, ...]:
        n = len(self._saved)
        _release(app)
        if uri.startswith("sqlite:///"):
            restore: Any = self._dir / f"world-{n}.sqlite3"
            shutil.copyfile(uri.removeprefix("sqlite:///"), restore)
        else:
            restore = _pg_save(uri, f"world_{n}")
        files = None
        if uploads.exists():
            files = self._dir / f"world-{n}-uploads"
            shutil.copytree(uploads, files)
        # A copy: the first test gets the builder's own answer and may change it (a person's new address).
        return (restore, files, copy.deepcopy(value, {id(app): app}), app, uploads)

    def _restore(self, app: Flask, uri: str, uploads: Path, saved: tuple[Any, ...]) -> Any:
        restore, files, value, first_app, first_uploads = saved
        _release(app)
        if uri.startswith("sqlite:///"):
            path = Path(uri.removeprefix("sqlite:///"))
            for journal in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                journal.unlink(missing_ok=True)
            shutil.copyfile(restore, path)
        else:
            _truncate_all(uri)
            _restore_content(uri, restore)
        if files is not None:
            shutil.copytree(files, uploads, dirs_exist_ok=True)
        copied = copy.deepcopy(value, {id(first_app): app})
        if dataclasses.is_dataclass(copied):
            for f in dataclasses.fields(copied):
                if getattr(copied, f.name) == first_uploads:
                    setattr(copied, f.name, uploads)
        return copied


def _release(app: Flask) -> None:
    """Close the app's connections, so that its database can be copied or replaced underneath it."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_ROW_COUNTS: dict[str, str] = {}


def _row_counts(app: Flask) -> tuple[int, ...]:
    """Every table's row count, in one statement compiled once per dialect (each test app has an engine of its own,
    and so a cold statement cache)."""
    with app.app_context():
        dialect = db.engine.dialect
        if dialect.name not in _ROW_COUNTS:
            counts = sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in db.metadata.sorted_tables))
            _ROW_COUNTS[dialect.name] = str(counts.compile(dialect=dialect))
        with db.engine.connect() as conn:
            row = conn.exec_driver_sql(_ROW_COUNTS[dialect.name]).one()
    return tuple(row)


def _pg_save(url: str, schema: str) -> str:
    """Copy every non-empty table into ``schema`` and note each sequence's position; returns the SQL that puts
    them back into the emptied tables."""
    restore = []
    with _cleaners[url][0].begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        for table in db.metadata.sorted_tables:  # parents first
            if not conn.scalar(sa.select(sa.func.count()).select_from(table)):
                continue
            # Our own table and schema names.
            conn.exec_driver_sql(f'CREATE TABLE "{schema}"."{table.name}" AS SELECT * FROM public."{table.name}"')  # noqa: S608
            restore.append(f'INSERT INTO public."{table.name}" SELECT * FROM "{schema}"."{table.name}"')  # noqa: S608
        positions = conn.execute(
            sa.text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")
        ).all()
        restore += [f"SELECT setval('public.\"{name}\"', {int(last)})" for name, last in positions]
    return "; ".join(restore)


@pytest.fixture(scope="session")
def worlds(tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[SMTPRecorder, int]) -> Worlds:
    """``worlds.get(app, build, *args)``: ``build(app, *args)``, built once per run and backend (see Worlds)."""
    return Worlds(tmp_path_factory.mktemp("worlds"), smtp_server[0])


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


@contextmanager
def sql_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the block runs, each as sent: the page budgets count them."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def text_of(response: TestResponse) -> str:
    """The page's visible text, tags stripped and whitespace collapsed, for equality-style asserts."""
    html = response.get_data(as_text=True)
    html = re.sub(r"(?is)<(script|style|svg)\b.*?</\1>", " ", html)  # svg: the avatars are aria-hidden
    html = re.sub(r"(?is)</?(strong|em|b|i|a|span|code|abbr|small)\b[^>]*>", "", html)  # inline: no gap
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(html)).strip()
