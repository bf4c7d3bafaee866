"""The outbox: mail is written as rows inside the caller's transaction (``queue``), and the unit of work
(``portal.work``) takes the ids queued in it to deliver after the commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import db, json_rows, utcnow
from portal.emails.compose import compose, compose_many
from portal.models import EmailState, OutgoingEmail


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


def queue_many(*, kind: str, template: str, mails: Iterable[Mapping[str, Any]], **shared: object) -> list[int]:
    """``compose_many``'s rows put in the outbox, in the caller's transaction, with a few multi-row INSERTs and
    no ORM object for them (``queue_all``'s flush takes seconds for ten thousand). Returns their ids, ascending:
    not in the order of ``mails``. The session is not flushed (an outbox row refers to nothing)."""
    rows = compose_many(kind=kind, template=template, mails=mails, **shared)
    if not rows:
        return []
    now = utcnow()
    # One statement from one JSON parameter (``json_rows``): the texts go in as they are, with no work a row.
    texts = json_rows([[row[name] for name in _TEXTS] for row in rows]).c.value
    insert = sa.insert(OUTBOX_TABLE).from_select(
        [*_TEXTS, "state", "attempts", "created_at", "next_attempt_at"],
        sa.select(
            *(texts[i].as_string() for i in range(len(_TEXTS))),
            sa.literal(EmailState.QUEUED, OUTBOX_TABLE.c.state.type),
            sa.literal(0),
            _bound_once(OUTBOX_TABLE.c.created_at, now),
            _bound_once(OUTBOX_TABLE.c.next_attempt_at, now),
        ),
    )
    ids = sorted(db.session.scalars(insert.returning(OUTBOX_TABLE.c.id)))
    if len(ids) != len(rows):  # (never: the database wrote what it was given, or raised)
        raise RuntimeError(f"queued {len(ids)} of {len(rows)} mails")
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


# An outbox row's texts, as ``compose_many`` gives them (its state is always "queued").
_TEXTS = ("kind", "recipients", "reply_to", "subject", "body_text", "body_html")


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


def pending_ids(ids: list[int] | None = None, *, kind: str | None = None) -> list[int]:
    """The queued mail among ``ids`` or of one ``kind`` (all queued mail when neither), for a job to deliver."""
    stmt = sa.select(OutgoingEmail.id).where(OutgoingEmail.state == EmailState.QUEUED).order_by(OutgoingEmail.id)
    if ids is not None:
        stmt = stmt.where(OutgoingEmail.id.in_(ids))
    if kind is not None:
        stmt = stmt.where(OutgoingEmail.kind == kind)
    return list(db.session.scalars(stmt))


OUTBOX_TABLE = OutgoingEmail.__table__
