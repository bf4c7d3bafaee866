"""Delivery: queued rows leased a batch at a time and sent over one SMTP connection, each marked in its own
transaction, so an SMTP outage loses nothing and two senders never send the same mail."""

from __future__ import annotations

import contextlib
import email.charset
import logging
import smtplib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import flask_mail
import sqlalchemy as sa
from flask import current_app

from portal.db import db, utcnow
from portal.emails.outbox import OUTBOX_TABLE
from portal.models import EmailState, OutgoingEmail

# Flask-Mail registers UTF-8 bodies as 8bit, lines unwrapped: a paragraph (or a title of emoji) longer than 998
# bytes on one line is refused by SMTP servers (RFC 5321, 4.5.3.1.6). Quoted-printable wraps the lines and keeps
# the text exact.
email.charset.add_charset("utf-8", email.charset.SHORTEST, email.charset.QP, "utf-8")

log = logging.getLogger(__name__)


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout, so a hung SMTP server cannot hang a request."""

    def configure_host(self) -> smtplib.SMTP:
        m = self.mail
        timeout = current_app.config["MAIL_TIMEOUT"]
        host: smtplib.SMTP
        if m.use_ssl:
            host = smtplib.SMTP_SSL(m.server, m.port, timeout=timeout)
        else:
            host = smtplib.SMTP(m.server, m.port, timeout=timeout)
        if m.use_tls:
            host.starttls()
        if m.username and m.password:
            host.login(m.username, m.password)
        return host


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    handed_over: list[int] = field(default_factory=list)  # given to a background job to deliver


def _message(row: sa.Row[Any]) -> flask_mail.Message:
    """The message of an outbox row (its ``_SENDING`` columns)."""
    return flask_mail.Message(
        subject=row.subject,
        recipients=[r for r in row.recipients.split(",") if r],
        body=row.body_text,
        html=row.body_html,
        reply_to=row.reply_to,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 240))


CLAIM_BATCH = 50  # rows a sender leases at a time; each is still marked in a transaction of its own


LEASE = timedelta(minutes=10)  # how long a lease keeps other senders off a row


# What a sender reads of a row, as plain columns: no ORM object for each of its commits to expire.
_SENDING = [OUTBOX_TABLE.c[name] for name in ("id", "attempts", "recipients", "subject", "body_text", "body_html", "reply_to")]


@dataclass
class _Claimed:
    """What a sender needs of a row it holds."""

    id: int
    attempts: int
    recipients: str
    message: flask_mail.Message
    lease: datetime  # the sent_at this sender wrote: the row is still ours only while it is there


def send_pending(
    ids: list[int] | None = None,
    *,
    now: datetime | None = None,
    include_failed: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> DeliveryReport:
    """Deliver queued mail that is due (or exactly ``ids``, due or not), on one SMTP connection. Each row is
    marked sent (or given its next attempt) and committed before the next one goes, so a crash resends at most
    the mail in flight.

    Two workers delivering at once never send the same mail: a sender leases ``CLAIM_BATCH`` rows at a time with
    one conditional update (``SELECT ... FOR UPDATE SKIP LOCKED`` inside it on PostgreSQL, so a row another
    worker is leasing is skipped, not waited for), committed before talking to SMTP. The lease is ``sent_at``
    set on a row still queued; rows leased in the last ``LEASE`` are left to their sender, whose crash leaves
    them to be taken again when it runs out. No transaction stays open while SMTP answers. ``on_progress``
    hears how many rows are done. Call it after the caller's commit; never inside an open unit of work.
    """
    now = now or utcnow()
    states = [EmailState.QUEUED, EmailState.FAILED] if include_failed else [EmailState.QUEUED]
    stmt = sa.select(OutgoingEmail).where(OutgoingEmail.state.in_(states)).order_by(OutgoingEmail.id)
    if ids is not None:
        stmt = stmt.where(OutgoingEmail.id.in_(ids))
    elif not include_failed:
        stmt = stmt.where(OutgoingEmail.next_attempt_at <= now)
    candidates = list(db.session.scalars(stmt.with_only_columns(OutgoingEmail.id)))
    db.session.commit()  # no transaction of ours stays open while we wait for SMTP
    report = DeliveryReport()
    if not candidates:
        return report
    connection: _Connection | None = None
    connect_error: Exception | None = None
    try:
        try:
            connection = _Connection(current_app.extensions["mail"]).__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            connect_error = exc
        for first in range(0, len(candidates), CLAIM_BATCH):
            chunk = candidates[first : first + CLAIM_BATCH]
            with contextlib.closing(_leased(chunk, states)) as claimed:
                for mail in claimed:
                    error = connect_error
                    if error is None and connection is not None:
                        try:
                            connection.send(mail.message)
                        except (OSError, smtplib.SMTPException, flask_mail.BadHeaderError) as exc:
                            error = exc
                    _mark(mail, error, now, report)
                    db.session.commit()
                    if on_progress is not None:
                        on_progress(first + chunk.index(mail.id) + 1)
    finally:
        if connection is not None and connection.host is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.host.quit()
    return report


def _claimed(row: sa.Row[Any], lease: datetime) -> _Claimed:
    return _Claimed(row.id, row.attempts, row.recipients, _message(row), lease)


def _leased(chunk: list[int], states: list[EmailState]) -> Iterator[_Claimed]:
    """Lease the rows of ``chunk`` still in ``states`` and not leased by another sender, commit, then hand them
    out one by one. A lease half run out is given back and taken again, so no row is sent once it expired; rows
    not handed out (an error in the caller) are given back too."""
    waiting = chunk
    while waiting:
        token, taken_at = utcnow(), time.monotonic()
        free = sa.and_(
            OUTBOX_TABLE.c.id.in_(waiting),
            OUTBOX_TABLE.c.state.in_(states),
            sa.or_(OUTBOX_TABLE.c.sent_at.is_(None), OUTBOX_TABLE.c.sent_at < token - LEASE),
        )
        takeable = sa.select(OUTBOX_TABLE.c.id).where(free).with_for_update(skip_locked=True)  # plain SELECT on SQLite
        leased = db.session.execute(
            sa.update(OUTBOX_TABLE).where(OUTBOX_TABLE.c.id.in_(takeable), free).values(sent_at=token).returning(*_SENDING)
        ).all()
        mails = sorted((_claimed(row, token) for row in leased), key=lambda mail: mail.id)
        db.session.commit()
        waiting, handed = [], 0
        try:
            for mail in mails:
                if handed and time.monotonic() - taken_at > LEASE.total_seconds() / 2:
                    waiting = [m.id for m in mails[handed:]]
                    break
                handed += 1
                yield mail
        finally:
            # Give back the rows not handed out, for another sender or the next round (the one the caller was
            # sending when it failed keeps its lease: it may have gone).
            _release([m.id for m in mails[handed:]], states, token)


def _release(ids: list[int], states: list[EmailState], token: datetime) -> None:
    if not ids:
        return
    try:
        db.session.rollback()
        db.session.execute(
            sa.update(OUTBOX_TABLE)
            .where(OUTBOX_TABLE.c.id.in_(ids), OUTBOX_TABLE.c.state.in_(states), OUTBOX_TABLE.c.sent_at == token)
            .values(sent_at=None)
        )
        db.session.commit()
    except sa.exc.SQLAlchemyError as exc:  # the database is gone: the lease runs out instead
        log.warning("mail %s: lease not given back: %s", ids, exc)


def _mark(mail: _Claimed, error: Exception | None, now: datetime, report: DeliveryReport) -> None:
    """Record the outcome of one attempt (the caller commits): sent, or its next attempt after a back-off."""
    values: dict[str, object]
    if error is None:
        values = {"state": EmailState.SENT, "sent_at": now, "last_error": None}
        report.sent.append(mail.id)
    else:
        attempts = mail.attempts + 1
        last_error = f"{type(error).__name__}: {error}"[:2000]
        gave_up = attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
        values = {
            "attempts": attempts,
            "last_error": last_error,
            "next_attempt_at": now + _backoff(attempts),
            "state": EmailState.FAILED if gave_up else EmailState.QUEUED,
            "sent_at": None,
        }
        (report.failed if gave_up else report.deferred).append(mail.id)
        log.warning("mail %s to %s not delivered: %s", mail.id, mail.recipients, last_error)
    # Only while the lease is still this sender's: one that stalled past it and saw the row taken by another
    # sender leaves that sender's record alone (the mail went twice then; the log says so).
    marked = db.session.execute(
        sa.update(OUTBOX_TABLE).where(OUTBOX_TABLE.c.id == mail.id, OUTBOX_TABLE.c.sent_at == mail.lease).values(**values)
    ).rowcount
    if not marked:
        log.warning("mail %s: its lease ran out and another sender took it; this sender's result is dropped", mail.id)
