"""Database foundations: the declarative base, the Flask-SQLAlchemy handle, UTC time.

Every timestamp in the portal is an aware UTC ``datetime``. SQLite drops the zone on the way in and out, so
``UTCDateTime`` converts on bind and re-attaches UTC on load; PostgreSQL stores ``timestamptz``.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, registry
from werkzeug.routing import IntegerConverter, Map

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Clock:
    """The portal's clock: the real time in UTC plus ``offset``.

    ``offset`` is zero except in tests, which move the whole portal (pages, services, templates, model
    defaults, the outbox) through its phases at once: ``CLOCK.offset = timedelta(days=8)``, and
    ``CLOCK.reset()`` in the fixture's teardown. Signed links, CSRF tokens, sessions and rate limits keep real
    time: they measure how long a link or a form lives, not where the workshop stands.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def reset(self) -> None:
        self.offset = timedelta(0)


CLOCK = Clock()


def utcnow() -> datetime:
    """The one clock of the portal: now in UTC, moved by ``CLOCK.offset`` in tests (services also accept
    ``now=`` so unit tests control time per call)."""
    return CLOCK.now()


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware-UTC datetime column, on SQLite as on PostgreSQL. Naive values are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: the portal stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_rows(rows: Sequence[Sequence[Any]]) -> sa.TableValuedAlias:
    """``rows`` as a table with one JSON array a row (column ``value``; ``value[i].as_integer()``, ``.as_string()``
    its items), sent as one JSON parameter: an INSERT from it writes 65,000 assignments or 20,000 mails in one
    statement with no work a row in Python, where an executemany binds and converts every value of every row
    (most of a second at that size, most of it for a constant datetime)."""
    each = sa.func.json_array_elements if db.session.get_bind().dialect.name == "postgresql" else sa.func.json_each
    return each(sa.bindparam(None, rows, type_=sa.JSON)).table_valued(sa.column("value", sa.JSON))


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """Map a ``StrEnum`` by its (lowercase) values, as a VARCHAR with a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    # The type map sits on an explicit registry (flask-sqlalchemy issue 1361).
    registry = registry(type_annotation_map={datetime: UTCDateTime(), str: sa.String(255)})
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        pk: Any = getattr(self, "id", None)
        return f"<{type(self).__name__} {pk}>"


db = SQLAlchemy(model_class=Base)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_unicode_lower(dbapi_connection: object, connection_record: object) -> None:
    """SQLite's own lower() folds ASCII only; use Python's, so searches ignore case as on PostgreSQL. And the
    write-ahead log: readers do not wait for a writer, and a commit costs one sync of the log instead of the
    rollback journal's several (the outbox commits once a mail; ``synchronous`` stays FULL, so a committed
    transaction survives a power cut too)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


#: The largest id or number a URL or query string may carry: a 32-bit column on PostgreSQL ends here, and a
#: larger number would be a database error instead of "not found".
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number beyond ``MAX_ID`` is a 404 like any unknown id, never a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(text: object, maximum: int = MAX_ID) -> int | None:
    """A whole number posted in a form (``"12"``), or None: ASCII digits only (``str.isdigit`` also takes
    ``"²"``, which ``int`` refuses) and at most ``maximum`` (past a 32-bit column PostgreSQL raises)."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def page_of(total: int, per_page: int, wanted: int | None) -> tuple[int, int]:
    """``(page, pages)`` of a list of ``total`` rows, ``per_page`` a page: the page asked for, within 1 and the
    last (a page past the end shows the last one; none, or nonsense, the first). An empty list has one page."""
    pages = max(1, -(-total // per_page))
    return max(1, min(wanted or 1, pages)), pages


def like_pattern(text: str) -> str:
    """``%text%`` for a case-insensitive LIKE (compare with ``lower(column)``, ``escape="\\"``); the user's own
    ``%``, ``_`` and ``\\`` match literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"


def quarter_of(at: datetime) -> int:
    """An aware time as the number of its quarter hour since 1970. Every time zone's offset, daylight saving
    included, is a whole number of quarter hours, so counts per quarter hour add up to counts per local day."""
    return int(at.timestamp()) // 900
