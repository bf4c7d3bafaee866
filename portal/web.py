"""Small helpers shared by the views of every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, send_file
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import permissions
from portal.db import db
from portal.models import StoredFile, Submission, User, Workshop
from portal.templating import workshop


def require_workshop() -> Workshop:
    """The workshop, or the 503 page on a database that has no content yet."""
    ws = workshop()
    if ws is None:
        # workshop() says None on a database error too: a database out of reach raises here, for its own 503 page
        db.session.execute(sa.select(1))
        abort(503)
    return ws


def me() -> User:
    """The signed-in user as a model object (not Flask-Login's proxy), to hand to services."""
    return current_user._get_current_object()  # type: ignore[no-any-return, attr-defined]


DOWNLOAD_CSP = "default-src 'none'; sandbox"


def send_stored(file: StoredFile, name: str, *, public: bool = False) -> Response:
    """A stored file as an attachment under ``name`` (never the uploader's), sandboxed; private unless public."""
    from portal.storage import storage

    response = send_file(
        storage().open(file.storage_key),
        mimetype=file.content_type,
        as_attachment=True,
        download_name=name.lower(),
        etag=file.sha256,
        max_age=3600 if public else 0,
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


Check = Callable[[Any, Submission], bool]


def get_submission(number: int, check: Check = permissions.can_view_submission) -> Submission:
    """Load a submission and ask the permission rule; 404 when the user may not know it exists."""
    ws = require_workshop()
    sub = db.session.scalar(
        sa.select(Submission)
        .where(Submission.workshop_id == ws.id, Submission.id == number)
        .options(selectinload(Submission.authors), selectinload(Submission.revisions))
    )
    if sub is None or not check(me(), sub):
        abort(404)
    return sub
