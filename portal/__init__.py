"""The LongLLM workshop portal: ``create_app`` builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from flask import Flask, Request, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import DEFAULT_SECRET_KEY, Config
from portal.db import IdConverter
from portal.db import db as database
from portal.extensions import csrf, limiter, mail, migrate

ROOT = Path(__file__).resolve().parent.parent


class PortalRequest(Request):
    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None, filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:  # fmt: skip
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

    from portal import pagecache

    pagecache.init_app(app)  # inside ProxyFix: it keys on the scheme and host the proxy vouched for
    if app.config["PROXY_FIX_X_FOR"]:
        # Only behind a proxy we run: otherwise X-Forwarded-For is the client's word and is ignored.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )

    from portal import cli, errors, permissions, security, storage, templating
    from portal.account import bp as account_bp
    from portal.auth import bp as auth_bp
    from portal.auth import session
    from portal.chair import bp as chair_bp
    from portal.members import bp as members_bp
    from portal.public import bp as public_bp
    from portal.review import bp as review_bp
    from portal.settings import bp as settings_bp
    from portal.sponsors import bp as sponsors_bp
    from portal.submissions import bp as submissions_bp

    for bp in (public_bp, sponsors_bp, auth_bp, account_bp, members_bp, submissions_bp, settings_bp, review_bp,
               chair_bp):
        app.register_blueprint(bp)
    session.init_app(app)
    storage.init_app(app)
    permissions.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def _finish_config(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "portal.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    relaxed = app.debug or app.testing
    if not relaxed and app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise RuntimeError(
            "No secret key: set SECRET_KEY in instance/config.py (`make run` generates one) "
            "or PORTAL_SECRET_KEY in the environment."
        )
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not relaxed
    # Several workers share Redis for their rate limits when the portal has one.
    if app.config.get("REDIS_URL") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
