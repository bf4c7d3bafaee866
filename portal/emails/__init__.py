"""The outbox. ``queue()`` writes a row inside the caller's transaction; ``send_pending()`` delivers after the
commit, one row at a time, each marked in its own transaction, so an SMTP outage loses nothing and a rerun
never sends a delivered mail twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import flask_mail
import sqlalchemy as sa
from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from portal.db import db, utcnow
from portal.models import EmailState, OutgoingEmail

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def one_line(value: str) -> str:
    """A header-safe version of ``value``: CR, LF and other control characters become one space."""
    return _CONTROL.sub(" ", value).strip()


def queue(
    *,
    kind: str,
    to: list[str] | str,
    template: str,
    subject: str,
    reply_to: str | None = None,
    **context: object,
) -> OutgoingEmail:
    """Render ``templates/emails/<template>.txt`` (and ``.html`` when present) into an outbox row.

    Nothing is sent here; the row commits or rolls back with the caller's transaction.
    """
    recipients = [one_line(addr) for addr in ([to] if isinstance(to, str) else to)]
    if not recipients or any(not addr or "," in addr for addr in recipients):
        raise ValueError(f"bad recipient list: {recipients!r}")
    body_text = render_template(f"emails/{template}.txt", **context)
    try:
        body_html: str | None = render_template(f"emails/{template}.html", **context)
    except TemplateNotFound:
        body_html = None
    row = OutgoingEmail(
        kind=kind,
        recipients=",".join(recipients),
        reply_to=one_line(reply_to) if reply_to else None,
        subject=one_line(subject)[:500],
        body_text=body_text,
        body_html=body_html,
        state=EmailState.QUEUED,
    )
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(row.id)
    return row


_PENDING = "portal.outbox.pending"


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def requeue(row: OutgoingEmail) -> None:
    """Put a failed or waiting mail back in line, to be delivered after the caller's commit."""
    row.state, row.next_attempt_at = EmailState.QUEUED, utcnow()
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(row.id)


def commit_and_deliver() -> DeliveryReport:
    """Commit the caller's unit of work, then deliver the mail queued in it (what fails stays queued). With
    Redis (``REDIS_URL``) a background job delivers it instead, and the report says so (``handed_over``)."""
    db.session.flush()
    ids = db.session.info.pop(_PENDING, [])
    db.session.commit()
    from portal import jobs

    jobs.dispatch_recorded()
    if not ids:
        return DeliveryReport()
    if current_app.config.get("REDIS_URL"):
        row = jobs.start("outbox", None, ids=ids)
        db.session.commit()
        # Redis unreachable: the mail stays queued for `emails send-pending`; the user's work is committed.
        return DeliveryReport(handed_over=ids) if jobs.dispatch(row) else DeliveryReport(deferred=ids)
    return send_pending(ids)


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


def _message(row: OutgoingEmail) -> flask_mail.Message:
    return flask_mail.Message(
        subject=row.subject,
        recipients=row.recipient_list,
        body=row.body_text,
        html=row.body_html,
        reply_to=row.reply_to,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 240))


def pending_ids(ids: list[int] | None = None, *, kind: str | None = None) -> list[int]:
    """The queued mail among ``ids`` or of one ``kind`` (all queued mail when neither), for a job to deliver."""
    stmt = sa.select(OutgoingEmail.id).where(OutgoingEmail.state == EmailState.QUEUED).order_by(OutgoingEmail.id)
    if ids is not None:
        stmt = stmt.where(OutgoingEmail.id.in_(ids))
    if kind is not None:
        stmt = stmt.where(OutgoingEmail.kind == kind)
    return list(db.session.scalars(stmt))


def send_pending(
    ids: list[int] | None = None, *, now: datetime | None = None, include_failed: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> DeliveryReport:  # fmt: skip
    """Deliver queued mail that is due (or exactly ``ids``, due or not). Commits after each row.

    Each row is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL) and its state checked again
    under the lock, so several workers delivering at once never send the same mail twice: a row another
    worker holds is skipped, a row another worker has sent no longer matches. ``on_progress`` hears how many
    rows are done. Call it after the caller's commit; never inside an open unit of work.
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
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    mail_state = current_app.extensions["mail"]
    connection: _Connection | None = None
    connect_error: Exception | None = None
    try:
        try:
            connection = _Connection(mail_state).__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            connect_error = exc
        for done, row_id in enumerate(candidates, start=1):
            row = db.session.scalar(
                sa.select(OutgoingEmail).where(OutgoingEmail.id == row_id, OutgoingEmail.state.in_(states))
                .with_for_update(skip_locked=True).execution_options(populate_existing=True)
            )  # fmt: skip
            if row is None:  # another worker holds it or has sent it
                db.session.rollback()
                continue
            if db.session.get_bind().dialect.name == "sqlite":
                # SQLite has no row locks: claim the row with a short lease instead (a conditional update that only
                # one of two senders can win), committed before talking to SMTP.
                claimed = db.session.execute(
                    sa.update(OutgoingEmail).where(OutgoingEmail.id == row.id, OutgoingEmail.state.in_(states),
                                                   OutgoingEmail.next_attempt_at == row.next_attempt_at)
                    .values(next_attempt_at=now + timedelta(minutes=10)).execution_options(synchronize_session=False)
                ).rowcount  # fmt: skip
                db.session.commit()
                if not claimed:
                    continue
                row = db.session.get(OutgoingEmail, row_id)
                db.session.refresh(row)  # type: ignore[arg-type]
            error = connect_error
            if error is None and connection is not None:
                try:
                    connection.send(_message(row))
                except (OSError, smtplib.SMTPException, flask_mail.BadHeaderError) as exc:
                    error = exc
            if error is None:
                row.state = EmailState.SENT
                row.sent_at = now
                row.last_error = None
                report.sent.append(row.id)
            else:
                row.attempts += 1
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                row.next_attempt_at = now + _backoff(row.attempts)
                if row.attempts >= max_attempts:
                    row.state = EmailState.FAILED
                    report.failed.append(row.id)
                else:
                    row.state = EmailState.QUEUED
                    report.deferred.append(row.id)
                log.warning("mail %s to %s not delivered: %s", row.id, row.recipients, row.last_error)
            db.session.commit()
            if on_progress is not None:
                on_progress(done)
    finally:
        if connection is not None and connection.host is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.host.quit()
    return report
