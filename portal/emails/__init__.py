"""The outbox. ``queue()`` writes a row inside the caller's transaction; ``send_pending()`` delivers after the
commit, one row at a time, each marked in its own transaction, so an SMTP outage loses nothing and a rerun
never sends a delivered mail twice.
"""

from __future__ import annotations

import contextlib
import email.charset
import logging
import re
import smtplib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import flask_mail
import sqlalchemy as sa
from flask import current_app
from jinja2 import Template, TemplateNotFound
from sqlalchemy.orm import Session

from portal.db import db, utcnow
from portal.models import EmailState, OutgoingEmail

log = logging.getLogger(__name__)

# Flask-Mail registers UTF-8 bodies as 8bit, lines unwrapped: a paragraph (or a title of emoji) longer than 998
# bytes on one line is refused by SMTP servers (RFC 5321, 4.5.3.1.6). Quoted-printable wraps the lines and keeps
# the text exact.
email.charset.add_charset("utf-8", email.charset.SHORTEST, email.charset.QP, "utf-8")

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
    return queue_all([compose(kind=kind, to=to, template=template, subject=subject, reply_to=reply_to, **context)])[0]


def compose(
    *,
    kind: str,
    to: list[str] | str,
    template: str,
    subject: str,
    reply_to: str | None = None,
    **context: object,
) -> OutgoingEmail:
    """The row ``queue`` would write, not yet in the session: many of them go in with one ``queue_all``."""
    mail = {"to": to, "subject": subject, "reply_to": reply_to, **context}
    return OutgoingEmail(**compose_many(kind=kind, template=template, mails=[mail])[0])


def compose_many(*, kind: str, template: str, mails: Iterable[Mapping[str, Any]], **shared: object) -> list[dict[str, Any]]:
    """The outbox rows, as column values, of many mails of one template, each exactly as ``compose`` writes it:
    each of ``mails`` holds what ``compose`` takes besides ``kind`` and ``template`` (``to``, ``subject``, maybe
    ``reply_to``, and the mail's own context) over the context ``shared`` by all. The templates are looked up
    and Flask's context processors run once for them all, not twice a mail (thousands of mails: seconds); Flask's
    template signals are not sent (nothing listens to them for mail)."""
    text, html = _templates(template)
    processed: dict[str, Any] = {}
    current_app.update_template_context(processed)  # Flask's context processors, as render_template runs them
    base = {**text.globals, **processed, **shared}  # the globals: what Template.render copies into every context
    rows = []
    for mail in mails:
        context = {**base, **mail}
        to, subject, reply_to = context.pop("to"), context.pop("subject"), context.pop("reply_to", None)
        recipients = [one_line(addr) for addr in ([to] if isinstance(to, str) else to)]
        if not recipients or any(not addr or "," in addr for addr in recipients):
            raise ValueError(f"bad recipient list: {recipients!r}")
        rows.append(
            {
                "kind": kind,
                "recipients": ",".join(recipients),
                "reply_to": one_line(reply_to) if reply_to else None,
                "subject": one_line(subject)[:500],
                "body_text": _render(text, context),
                "body_html": None if html is None else _render(html, context),
                "state": EmailState.QUEUED,
            }
        )
    return rows


def queue_many(*, kind: str, template: str, mails: Iterable[Mapping[str, Any]], **shared: object) -> list[int]:
    """``compose_many``'s rows put in the outbox, in the caller's transaction, with a few multi-row INSERTs and
    no ORM object for them (``queue_all``'s flush takes seconds for ten thousand). Returns their ids, ascending:
    not in the order of ``mails``. The session is not flushed (an outbox row refers to nothing)."""
    rows = compose_many(kind=kind, template=template, mails=mails, **shared)
    if not rows:
        return []
    now = utcnow()
    insert = sa.insert(_OUTBOX).values(
        created_at=_bound_once(_OUTBOX.c.created_at, now), next_attempt_at=_bound_once(_OUTBOX.c.next_attempt_at, now)
    )
    ids = sorted(db.session.scalars(insert.returning(_OUTBOX.c.id), rows))
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


class _Converted(sa.types.TypeDecorator[Any]):
    """The type of a value already converted for the database driver (``_bound_once``): it is passed on as is."""

    impl = sa.types.NullType
    cache_ok = True


def _bound_once(column: sa.Column[Any], value: object) -> sa.BindParameter[Any]:
    """``value`` for ``column`` in every row of a many-row INSERT, converted by the column's type once rather than
    once a row (an aware datetime becomes SQLite's text in Python: for 18,000 mails, two each, a fifth of a second)."""
    convert = column.type.dialect_impl(dialect := db.session.get_bind().dialect).bind_processor(dialect)
    return sa.bindparam(None, value if convert is None else convert(value), type_=_Converted())


def queue_all(rows: list[OutgoingEmail]) -> list[OutgoingEmail]:
    """Put composed rows in the outbox, in the caller's transaction, with one flush for them all."""
    db.session.add_all(rows)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).extend(row.id for row in rows)
    return rows


_NO_HTML = "portal.emails.no_html"  # app.extensions key: the HTML mail templates found missing


def _templates(name: str) -> tuple[Template, Template | None]:
    """``emails/<name>.txt`` and ``emails/<name>.html`` (None when there is none). Jinja caches the templates it
    found, not the ones it did not: every look for a missing one searches every template folder again and raises.
    So without auto-reload (production), where Jinja does not look for edits to found templates either, a
    missing one is remembered for the app's life; with auto-reload (debug) it is looked for each time, so an HTML
    template added while developing is picked up at once."""
    env = current_app.jinja_env
    text, html_name = env.get_template(f"emails/{name}.txt"), f"emails/{name}.html"
    missing: set[str] = current_app.extensions.setdefault(_NO_HTML, set())
    if not env.auto_reload and html_name in missing:
        return text, None
    try:
        return text, env.get_template(html_name)
    except TemplateNotFound:
        if not env.auto_reload:
            missing.add(html_name)
        return text, None


def _render(template: Template, context: dict[str, Any]) -> str:
    """``template.render(context)`` for a ``context`` that holds the template's globals already: ``render`` copies
    them into each mail's context again (thirty globals, a third of a short mail's time)."""
    try:
        return "".join(template.root_render_func(template.new_context(context, shared=True)))
    except Exception:
        template.environment.handle_exception()


_PENDING = "portal.outbox.pending"


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def requeue(row: OutgoingEmail) -> None:
    """Put a failed or waiting mail back in line, to be delivered after the caller's commit."""
    row.state, row.next_attempt_at = EmailState.QUEUED, utcnow()
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(row.id)


def take_pending() -> list[int]:
    """The ids of the mail queued in this unit of work, which the caller now delivers (``portal.work``)."""
    return list(db.session.info.pop(_PENDING, []))


def keep_pending(ids: list[int]) -> None:
    """Hand ``ids`` to the unit of work of this session (a delivery thread's own session)."""
    db.session.info[_PENDING] = list(ids)


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


def pending_ids(ids: list[int] | None = None, *, kind: str | None = None) -> list[int]:
    """The queued mail among ``ids`` or of one ``kind`` (all queued mail when neither), for a job to deliver."""
    stmt = sa.select(OutgoingEmail.id).where(OutgoingEmail.state == EmailState.QUEUED).order_by(OutgoingEmail.id)
    if ids is not None:
        stmt = stmt.where(OutgoingEmail.id.in_(ids))
    if kind is not None:
        stmt = stmt.where(OutgoingEmail.kind == kind)
    return list(db.session.scalars(stmt))


CLAIM_BATCH = 50  # rows a sender leases at a time; each is still marked in a transaction of its own
LEASE = timedelta(minutes=10)  # how long a lease keeps other senders off a row


_OUTBOX = OutgoingEmail.__table__
# What a sender reads of a row, as plain columns: no ORM object for each of its commits to expire.
_SENDING = [_OUTBOX.c[name] for name in ("id", "attempts", "recipients", "subject", "body_text", "body_html", "reply_to")]


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
            _OUTBOX.c.id.in_(waiting),
            _OUTBOX.c.state.in_(states),
            sa.or_(_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.sent_at < token - LEASE),
        )
        takeable = sa.select(_OUTBOX.c.id).where(free).with_for_update(skip_locked=True)  # plain SELECT on SQLite
        leased = db.session.execute(
            sa.update(_OUTBOX).where(_OUTBOX.c.id.in_(takeable), free).values(sent_at=token).returning(*_SENDING)
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
            sa.update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(ids), _OUTBOX.c.state.in_(states), _OUTBOX.c.sent_at == token)
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
        sa.update(_OUTBOX).where(_OUTBOX.c.id == mail.id, _OUTBOX.c.sent_at == mail.lease).values(**values)
    ).rowcount
    if not marked:
        log.warning("mail %s: its lease ran out and another sender took it; this sender's result is dropped", mail.id)
