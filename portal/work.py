"""The unit of work of a request or a command: commit what the services flushed, then deliver the mail queued in
it and dispatch the background jobs it recorded. Services never commit; views and commands end here.

It sits above the outbox (``portal.emails``) and the jobs (``portal.jobs``), which know nothing of it."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import sqlalchemy as sa
from flask import current_app

from portal import emails, jobs
from portal.db import db

log = logging.getLogger(__name__)


def commit_and_deliver() -> emails.DeliveryReport:
    """Commit the caller's unit of work, then deliver the mail queued in it (what fails stays queued). With
    Redis (``REDIS_URL``) a background job delivers it instead, and the report says so (``handed_over``)."""
    db.session.flush()
    ids = emails.take_pending()
    db.session.commit()
    # The caller's work is committed: from here on a database error (SQLite busy, a connection lost) must not
    # become an error page that asks to send the form again. The mail stays queued for `emails send-pending`.
    try:
        jobs.dispatch_recorded()
        if not ids:
            return emails.DeliveryReport()
        if current_app.config.get("REDIS_URL"):
            row = jobs.start("outbox", None, ids=ids)
            db.session.commit()
            # Redis unreachable: the mail stays queued for `emails send-pending`; the user's work is committed.
            return emails.DeliveryReport(handed_over=ids) if jobs.dispatch(row) else emails.DeliveryReport(deferred=ids)
        return emails.send_pending(ids)
    except sa.exc.SQLAlchemyError:
        log.exception("delivery after a commit failed; the mail stays queued")
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        return emails.DeliveryReport(deferred=ids)


def commit_and_deliver_after(response: Any) -> Any:
    """Commit, and deliver the mail queued in this unit of work beside the response instead of before it (a
    thread of its own, with its own session): forms that must answer alike for known and unknown addresses
    (reset, resend, register) then take the same time whether or not they queued a mail, and never wait for
    SMTP. The mail is in the outbox already, so a thread lost with its process loses nothing: `emails
    send-pending` delivers it. Returns ``response``."""
    db.session.flush()
    ids = emails.take_pending()
    db.session.commit()
    if ids:
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def deliver() -> None:
            with app.app_context():
                emails.keep_pending(ids)
                try:
                    commit_and_deliver()
                except Exception:  # nobody waits for this thread: log it; the mail stays queued for send-pending
                    log.exception("delivery beside the response failed; the mail stays queued")
                finally:
                    db.session.remove()

        thread = threading.Thread(target=deliver, name="mail-beside-response", daemon=True)
        thread.start()
        # Once the response is sent the server closes it: the worker then waits for the delivery before its next
        # request (as it did before, but after the visitor has the answer), so no delivery piles up.
        response.call_on_close(lambda: thread.join(timeout=float(app.config["MAIL_TIMEOUT"]) * 2 + 1))
    return response
