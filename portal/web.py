"""Small helpers shared by the views of every blueprint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import permissions, queries
from portal.db import db
from portal.models import Phase, StoredFile, Submission, User, Workshop
from portal.templating import workshop
from portal.work import Outcome


def landing(user: User) -> str:
    """Where a person lands after signing in (without a page they were sent from): a chair on the console; a
    reviewer on their reviews, or their bids, while reviewing or bidding is open; an author on their submissions;
    anyone else on their account page."""
    ws = workshop()
    if user.is_chair:
        return url_for("chair.home")
    if user.is_reviewer and ws is not None and ws.phase == Phase.REVIEWING:
        return url_for("review.index")
    if user.is_reviewer and ws is not None and ws.phase == Phase.BIDDING:
        return url_for("review.bids")
    if db.session.scalar(sa.select(sa.exists(queries.authored_ids(user)))):
        return url_for("submissions.index")
    return url_for("account.index")


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


# --- the two ends of a POST view (docs/dev/architecture.md, "A POST view") ---------------------------------


def redirect_after(outcome: Outcome[Any], success: str | Callable[[Any], str], to: str) -> Response:
    """A POST view that answers with a redirect: flash what was done (``success``, or made from the action's
    value) or, refused, the problem; then go to ``to``."""
    if outcome.ok:
        flash(success(outcome.value) if callable(success) else success, "success")
    else:
        flash(outcome.problem, "error")
    return redirect(to)


def form_page(template: str, *, form: Any = None, problems: Sequence[object] = (), **context: Any) -> tuple[str, int]:
    """A form's page, shown again as typed when it was refused: 422 when the form has errors or there are
    ``problems`` (its error summary lists both), else 200."""
    failed = bool(problems) or bool(form is not None and form.errors)
    return render_template(template, form=form, problems=problems, **context), 422 if failed else 200
