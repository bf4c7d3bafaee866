"""The LongLLM workshop portal: ``create_app`` builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from urllib.parse import urlsplit

import click
from flask import Flask, Request, current_app
from flask.cli import ScriptInfo
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import DEFAULT_SECRET_KEY, LOCAL_BASE_URL, MISSING_SETTINGS, Config
from portal.db import IdConverter
from portal.db import db as database
from portal.extensions import csrf, limiter, mail, migrate

ROOT = Path(__file__).resolve().parent.parent


class PortalRequest(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        """Where an uploaded file goes while the form is parsed: memory up to ``UPLOAD_MEMORY_MB``, then a
        temporary file. Werkzeug's own switches at 500 KB, so a 2 MB paper was written to disk and read back
        (3 ms of CPU of each upload, measured with a 2 MB PDF)."""
        limit = current_app.config["UPLOAD_MEMORY_MB"] * 1_000_000
        return SpooledTemporaryFile(max_size=limit, mode="rb+")  # type: ignore[return-value]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``instance/config.py``, then ``PORTAL_*`` variables, then ``config``.

    It never touches the database: migrations and demo data are CLI commands.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = PortalRequest
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("PORTAL")
    if config:
        app.config.update(config)
    _finish_config(app)

    app.url_map.converters["int"] = IdConverter
    database.init_app(app)
    migrate.init_app(app, database, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)

    from portal import errors, pagecache

    pagecache.init_app(app)  # inside ProxyFix: it keys on the scheme and host the proxy vouched for
    # Outside the page cache, inside ProxyFix: a request for another host than TRUSTED_HOSTS gets the 400 page.
    app.wsgi_app = errors.TrustedHostsOnly(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_FIX_X_FOR"]:
        # Only behind a proxy we run: otherwise X-Forwarded-For is the client's word and is ignored. A client's
        # own X-Forwarded-Host is checked against TRUSTED_HOSTS like a Host header, and links in mail never read it.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )

    from portal import cli, once, permissions, security, storage, templating
    from portal.account import bp as account_bp
    from portal.api import bp as api_bp
    from portal.auth import bp as auth_bp
    from portal.auth import session
    from portal.chair import bp as chair_bp
    from portal.members import bp as members_bp
    from portal.public import bp as public_bp
    from portal.review import bp as review_bp
    from portal.settings import bp as settings_bp
    from portal.sponsors import bp as sponsors_bp
    from portal.submissions import bp as submissions_bp

    for bp in (public_bp, sponsors_bp, auth_bp, account_bp, members_bp, submissions_bp, settings_bp, review_bp, chair_bp, api_bp):
        app.register_blueprint(bp)
    session.init_app(app)
    storage.init_app(app)
    permissions.init_app(app)
    once.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    from portal.api.cli import tokens_cli

    app.cli.add_command(tokens_cli)  # before cli.init_app, which makes every command refuse to run without settings
    cli.init_app(app)
    return app


NO_KEY_MESSAGE = (
    "No secret key: set SECRET_KEY in instance/config.py (`make run` generates one) or PORTAL_SECRET_KEY in the environment."
)
NO_BASE_URL_MESSAGE = (
    "No BASE_URL: set PORTAL_BASE_URL in the environment (or BASE_URL in instance/config.py) to the site's public "
    "address, such as https://portal.example.org; links in mail are built from it (`make run` sets the local one)."
)


def _listing_commands() -> bool:
    """Whether ``flask`` builds the app only to list its commands or to find one and parse its options (``--help``
    among them), before it knows whether anything will run. It does that in its own top-level context; ``flask run``,
    ``flask db ...`` and Flask's other built-in commands build the app inside theirs, gunicorn and tests outside any."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.parent is None and isinstance(ctx.obj, ScriptInfo)


def _finish_config(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "portal.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    relaxed = app.debug or app.testing
    missing = []
    if not relaxed and app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        missing.append(NO_KEY_MESSAGE)
    if not relaxed and not (app.config.get("BASE_URL") or "").strip():
        missing.append(NO_BASE_URL_MESSAGE)
    if missing:
        if not _listing_commands():
            raise RuntimeError(missing[0])
        # Built by `flask` only to list its commands or parse one's options (--help): each portal command refuses
        # to run on this (portal/cli.py), and nothing can sign with the published default key meanwhile.
        app.extensions[MISSING_SETTINGS] = missing
        app.config["SECRET_KEY"] = None
    _settle_base_url(app, relaxed)
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not relaxed
    # Several workers share Redis for their rate limits when the portal has one.
    if app.config.get("REDIS_URL") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]


def _settle_base_url(app: Flask, relaxed: bool) -> None:
    """BASE_URL, the one source of every link in mail, and TRUSTED_HOSTS, the hosts a request may name."""
    base = (app.config.get("BASE_URL") or "").strip()
    if not base:
        if not relaxed:  # only while listing commands (see _finish_config): no link can be built
            app.config["BASE_URL"] = None
            return
        server = app.config.get("SERVER_NAME")
        base = f"{app.config['PREFERRED_URL_SCHEME']}://{server}" if server else LOCAL_BASE_URL
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(
            f"BASE_URL {base!r} is not a site address: give its scheme and host, as in https://portal.example.org."
        )
    app.config["BASE_URL"] = base.rstrip("/")
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):  # PORTAL_TRUSTED_HOSTS=portal.example.org,127.0.0.1 (a JSON list works too)
        hosts = [host.strip() for host in hosts.split(",") if host.strip()]
    if hosts is None and not relaxed:
        hosts = [parts.hostname]  # the port is not compared: the same host behind the proxy and at gunicorn
    app.config["TRUSTED_HOSTS"] = hosts
