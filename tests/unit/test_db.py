"""UTCDateTime: every timestamp comes back as the same instant, aware and in UTC, on SQLite as on
PostgreSQL; a naive datetime is refused before it reaches the database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import DateKind, ImportantDate, Workshop


def _add_date(label: str, at: datetime) -> None:
    workshop = db.session.scalars(sa.select(Workshop)).one()
    workshop.dates.append(ImportantDate(kind=DateKind.OTHER, label=label, at=at))
    db.session.flush()


def test_utc_datetime_aware_value_comes_back_as_same_instant_in_utc(app: Flask) -> None:
    berlin = datetime(2024, 7, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    with app.app_context():
        _add_date("Berlin morning", berlin)
        db.session.commit()

    with app.app_context():  # a fresh session: the value is read back from the database
        loaded = db.session.scalars(sa.select(ImportantDate.at)).one()

    assert loaded == berlin
    assert loaded.tzinfo == UTC
    assert loaded.isoformat() == "2024-07-01T07:30:15.123456+00:00"


def test_utc_datetime_sql_order_follows_instants_across_zones(app: Flask) -> None:
    # By the wall clock Los Angeles (1 July, 23:00) comes first; as instants Tokyo (2 July 08:00 = 1 July
    # 23:00 UTC) is seven hours earlier than Los Angeles (2 July 06:00 UTC).
    with app.app_context():
        _add_date("Los Angeles", datetime(2024, 7, 1, 23, 0, tzinfo=ZoneInfo("America/Los_Angeles")))
        _add_date("Tokyo", datetime(2024, 7, 2, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
        db.session.commit()

    with app.app_context():
        ordered = db.session.scalars(sa.select(ImportantDate.label).order_by(ImportantDate.at)).all()
        before_noon = db.session.scalars(
            sa.select(ImportantDate.label).where(ImportantDate.at < datetime(2024, 7, 2, 0, 0, tzinfo=UTC))
        ).all()

    assert ordered == ["Tokyo", "Los Angeles"]
    assert before_noon == ["Tokyo"]


def test_utc_datetime_naive_value_is_refused_and_nothing_stored(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(sa.exc.StatementError) as excinfo:
            _add_date("Naive", datetime(2024, 7, 1, 9, 30))
        db.session.rollback()

    with app.app_context():
        stored = db.session.scalars(sa.select(ImportantDate)).all()

    assert isinstance(excinfo.value.orig, ValueError)
    assert str(excinfo.value.orig) == "naive datetime: the portal stores aware UTC times only"
    assert stored == []
