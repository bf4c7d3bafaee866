"""The unit of work of a request or a command: commit what the services flushed, then deliver the mail queued in
it and dispatch the background jobs it recorded. Services never commit; views and commands end here.

It sits above the outbox (``portal.emails``) and the jobs (``portal.jobs``), which know nothing of it.

A POST view runs its service through ``attempt``: committed and delivered, or refused and rolled back whole, with
the sentence to show (docs/dev/architecture.md, "A POST view")."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from portal import emails, jobs
from portal.db import db
from portal.domain import DomainError
from portal.models import FormToken
from portal.storage import StorageFull
from portal.templating import format_datetime

log = logging.getLogger(__name__)
T = TypeVar("T")

#: A change lost to another at the same moment (a version check, a unique or foreign key), in words, never the
#: database's.
SIMULTANEOUS = (
    "Someone (perhaps you, in another tab) changed this at the same moment, so nothing of this was saved. "
    "Reload the page to see what is there now, then do it again if it is still needed."
)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What ``attempt`` did: ``ok``, with the action's ``value`` and the mail's delivery ``report``; or refused by
    ``error``, rolled back, with the ``problem`` to show."""

    value: T | None = None
    report: emails.DeliveryReport | None = None
    error: BaseException | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def collided(self) -> bool:
        """Refused by a change at the same moment (a version check or a constraint), not by a rule."""
        return isinstance(self.error, StaleDataError | sa.exc.IntegrityError)


def attempt(
    action: Callable[[], T],
    *,
    unsaved: str | None = None,
    show_deadline: bool = False,
    collision: str = SIMULTANEOUS,
) -> Outcome[T]:
    """Run ``action`` (a service call) as the unit of work: commit it and deliver its mail and jobs; or, refused
    (a rule of the workshop, a full disk, a change at the same moment), roll it back whole and say why.

    The problem is the error's sentence, with the deadline when ``show_deadline`` and the error carries one (in the
    workshop's zone), and then the sentence that nothing was saved: the error's own ``unsaved``, or ``unsaved``
    for every refusal here when given ("" for none). A lost race says ``collision``. A one-time form token found
    taken is not a refusal: it goes on to ``portal.once``'s answer."""
    try:
        value = action()
        report = commit_and_deliver()
    except (DomainError, StorageFull) as error:
        db.session.rollback()
        return Outcome(error=error, problem=problem_of(error, unsaved=unsaved, show_deadline=show_deadline))
    except (StaleDataError, sa.exc.IntegrityError) as error:
        db.session.rollback()
        if FormToken.__tablename__ in str(getattr(error, "orig", "")):
            raise
        return Outcome(error=error, problem=collision)
    return Outcome(value=value, report=report)


def problem_of(error: DomainError | StorageFull, *, unsaved: str | None = None, show_deadline: bool = False) -> str:
    """A refusal as the person reads it: the error's message; when it was (``show_deadline``, for an error that
    carries a ``deadline``); and ``unsaved``, by default the error's own (``DomainError.unsaved``)."""
    deadline = getattr(error, "deadline", None)
    when = f" It was {format_datetime(deadline)}." if show_deadline and isinstance(deadline, datetime) else ""
    after = error.unsaved if unsaved is None else unsaved
    return f"{error}{when}{' ' + after if after else ''}"


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
