"""Friendly error pages in the site's layout."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError
from werkzeug.test import EnvironBuilder
from werkzeug.wsgi import get_host

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

from portal.api.core import problem_response
from portal.db import db
from portal.extensions import limiter, login_manager
from portal.work import SIMULTANEOUS

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back, reload the page and try again."),
    403: ("Not allowed", "You do not have permission to do this."),
    404: ("Page not found", "There is nothing at this address. It may have moved, or the link may be wrong."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: (
        "Upload too large",
        "What you sent is larger than this site accepts. Nothing was saved. Go back and try again with a smaller file.",
    ),
    429: ("Too many requests", "You have sent too many requests in a short time."),
    503: (
        "Not open yet",
        "This portal has no workshop loaded yet. An organizer needs to run `flask --app portal content load`.",
    ),
    500: (
        "Something went wrong",
        "An unexpected error stopped this page. Nothing was half-saved; please try again in a moment.",
    ),
}


DATABASE_RETRY_AFTER = 30  # seconds
DATABASE_DOWN = (
    "Database unavailable",
    "The database is unavailable for a moment, so nothing was saved. "
    "Please try again in a minute: go back and send the form again, or reload the page.",
)


def unreachable(error: BaseException) -> bool:
    """Is ``error`` the database being out of reach (rather than a bug or a broken rule)? A missing table or
    a cancelled query is a bug to see on the 500 page with its traceback, not a moment to wait."""
    if isinstance(error, sa.exc.DisconnectionError | sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
        return False
    state = getattr(error.orig, "sqlstate", None)
    if state:  # PostgreSQL: connection exceptions, the server shutting down or starting, too many clients
        return str(state).startswith(("08", "57P", "53300"))
    if isinstance(error.orig, sqlite3.Error):
        message = str(error.orig).lower()
        return any(m in message for m in ("locked", "busy", "unable to open", "disk i/o"))
    return True  # a driver error without a state: the connection failed before the server answered


def database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
    """The 503 page for an unreachable database, rendered without it: no workshop, no signed-in user (both would
    be read from the database, and what this request loaded is expired by the rollback)."""
    current_app.logger.warning("database unavailable", exc_info=error)
    # The unit of work is undone: its rows and, through storage, its new files. When the connection is gone the
    # rollback may fail too; the server drops the open transaction with the connection.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user: no query for the layout
    title, message = DATABASE_DOWN
    body = render_template("errors/error.html", code=503, title=title, message=message, detail=None, ws=None)
    return body, 503, {"Retry-After": str(DATABASE_RETRY_AFTER), "Cache-Control": "no-store"}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, ("Error", "Something went wrong."))
    return (
        render_template("errors/error.html", code=code, title=title, message=message, detail=detail),
        code,
    )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


def too_many_requests() -> tuple[str, int, dict[str, str]]:
    """The 429 page, saying when the visitor may try again."""
    current = limiter.current_limit
    wait = max(1, current.reset_at - int(time.time())) if current is not None else 60
    body, status = render_error(
        429,
        f"To keep the site usable for everyone, this action is limited. Please try again in {_duration(wait)}.",
    )
    return body, status, {"Retry-After": str(wait)}


class TrustedHostsOnly:
    """WSGI middleware: a request naming a host outside ``TRUSTED_HOSTS`` gets the 400 page before the page
    cache, a ``before_request`` function or a view sees it, and nothing of it (cookies, form) is read.

    Flask checks ``TRUSTED_HOSTS`` too, but raises only at dispatch, after the ``before_request`` functions,
    and leaves such a request without a URL adapter, so the layout of its error page cannot build a link (a
    500). Here the page is rendered for the site's own address, ``BASE_URL``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if trusted := self.app.config["TRUSTED_HOSTS"]:
            try:
                get_host(environ, trusted)
            except SecurityError as error:
                return self.refuse(error, environ, start_response)
        return self.wsgi_app(environ, start_response)

    def refuse(self, error: SecurityError, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        app, base = self.app, self.app.config["BASE_URL"]
        app.logger.warning("refused a request: %s (TRUSTED_HOSTS is %r)", error.description, app.config["TRUSTED_HOSTS"])
        with app.request_context(EnvironBuilder(base_url=base).get_environ()):
            message = f"This site does not answer at the address you asked for. It is at {base}."
            body = render_template("errors/error.html", code=400, title="Wrong address", message=message, detail=None)
            response = app.make_response((body, 400))
            response.headers["Cache-Control"] = "no-store"
            response = app.process_response(response)
        return response(environ, start_response)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            "The form's security token was missing or had expired, so nothing was sent. "
            "Go back, reload the page, and submit the form again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> object:
        code = error.code or 500
        if request.path.startswith("/api/") and code >= 400:  # an address under the API that names no route
            return problem_response(code)
        if code < 400 or code not in MESSAGES:
            return error
        try:
            if code == 429:
                return too_many_requests()
            return render_error(code)
        except sa.exc.SQLAlchemyError as lookup:  # the layout asks for the workshop and the signed-in person
            if not unreachable(lookup):
                raise
            return database_unavailable(lookup)

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.DisconnectionError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_error(error: Exception) -> tuple[str, int, dict[str, str]]:
        if not unreachable(error):
            raise error  # a bug (an integrity or a programming error): the 500 page, as any other
        return database_unavailable(error)

    @app.errorhandler(StaleDataError)
    def lost_a_race(error: StaleDataError) -> Any:
        """A version check lost to a save at the same moment (two tabs, two chairs) in a view that did not expect
        it: nothing was saved; back to the page, told so in words, never SQLAlchemy's."""
        db.session.rollback()
        flash(SIMULTANEOUS, "error")
        back = request.referrer if request.referrer and urlsplit(request.referrer).netloc == request.host else None
        return redirect(back or request.path, 303)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str, int]:
        db.session.rollback()
        return render_error(500)
