"""Forms that create or send are done once: each rendering of such a form carries a one-time token (the hidden
field ``once``, from the Jinja global ``once_token()``); the view claims it with ``claim()`` before it acts, in
the same transaction, and says with ``done()`` where the result is to be seen. A second post of the same
rendering (a double click, a second tab, back and send again, two posts at the same moment) finds the token
taken and is sent to that result with the first post's message, and nothing is done twice.

Two posts at once: the second's insert waits on the unique index until the first commits, then fails, and is
answered like any later one. When the first fails and rolls back, its token is free again: sending the form
again works.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, flash, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.db import db
from portal.models import FormToken
from portal.work import SIMULTANEOUS

__all__ = ["FIELD", "SIMULTANEOUS", "claim", "done", "field", "init_app", "once_token", "record"]


FIELD = "once"


def once_token() -> str:
    return secrets.token_urlsafe(24)


def field() -> str:
    """The hidden input a form that creates or sends carries."""
    from markupsafe import Markup

    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, once_token())


def record(url: str, message: str = "") -> FormToken | None:
    """``claim`` and ``done`` in one statement, once the work is done and its result known."""
    return claim(url=url, message=message)


def claim(endpoint: str | None = None, *, url: str = "", message: str = "") -> FormToken | None:
    """Take this post's token for ``endpoint`` (None when the form carried none, as a script may post): a row
    written at once, in the unit of work. When the token was taken already (an earlier post committed it, or one
    at the same moment does: its insert waits for that one's commit), the database's unique constraint refuses
    the row, the work is rolled back and the answer is what the first post did."""
    token = (request.form.get(FIELD) or "").strip()[:64]
    if not token:
        return None
    user_id = current_user.id if current_user.is_authenticated else None
    row = FormToken(
        token=token, endpoint=endpoint or request.endpoint or "", user_id=user_id, result_url=url[:500], message=message[:500]
    )
    db.session.add(row)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        earlier = db.session.scalar(sa.select(FormToken).where(FormToken.token == token))
        abort(_answer(earlier, request.endpoint or ""))
    return row


def done(row: FormToken | None, url: str, message: str = "") -> None:  # (written at the commit)
    """Record where the result of the claimed post is shown (and the message the first post flashed)."""
    if row is not None:
        row.result_url, row.message = url[:500], message[:500]


def _answer(earlier: FormToken | None, endpoint: str) -> Response:
    if earlier is None or earlier.endpoint != endpoint:
        flash("This form was sent already.", "info")
        return redirect(request.referrer if _same_site(request.referrer) else "/")
    flash(f"This form was sent already{': ' + earlier.message if earlier.message else ''}. Nothing was done twice.", "info")
    return redirect(earlier.result_url or "/")


def _same_site(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return bool(url) and urlsplit(url).netloc == request.host


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(once_field=field, once_token=once_token)

    @app.errorhandler(sa.exc.IntegrityError)
    def taken(error: sa.exc.IntegrityError) -> Any:
        """The form's token is taken: answer with the first post's result. Another constraint a post ran into
        is a race lost to a second tab or another person (two first bids, two first reviews, one paper assigned
        twice, a review committed as its assignment was removed): nothing was saved; back to the page, told so."""
        if "form_token" not in str(error.orig):
            db.session.rollback()
            if request.method != "POST":
                raise error
            app.logger.warning("a post lost a race on a constraint: %s", error.orig)
            flash(SIMULTANEOUS, "error")
            return redirect(request.referrer if _same_site(request.referrer) else request.path), 303
        db.session.rollback()
        token = (request.form.get(FIELD) or "").strip()[:64]
        earlier = db.session.scalar(sa.select(FormToken).where(FormToken.token == token))
        return _answer(earlier, request.endpoint or "")
