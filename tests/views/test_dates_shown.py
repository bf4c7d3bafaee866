"""A date that is no deadline (the workshop day, the notification) is shown as a day, not as "23:59 AoE"; one with a
time of its own (a 09:00 start) keeps it (tests/views/test_content_editor.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import DateKind, ImportantDate, Workshop
from tests.conftest import text_of


def test_the_workshop_day_and_the_notification_are_days_and_deadlines_keep_their_time(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        for kind, label, at in (
            (DateKind.PAPER_DEADLINE, "Paper submission deadline", datetime(2027, 2, 4, 11, 59, tzinfo=UTC)),
            (DateKind.NOTIFICATION, "Notification of acceptance", datetime(2027, 3, 2, 11, 59, tzinfo=UTC)),
            (DateKind.WORKSHOP, "Workshop day", datetime(2027, 4, 18, 11, 59, tzinfo=UTC)),
        ):
            ws.dates.append(ImportantDate(kind=kind, label=label, at=at))
        db.session.commit()

    response = client.get("/call-for-papers")

    page = text_of(response)
    assert "Paper submission deadline Wed 3 Feb 2027, 23:59 AoE (Thu 4 Feb 2027, 11:59 UTC)" in page
    assert "Notification of acceptance Mon 1 Mar 2027 Workshop day Sat 17 Apr 2027" in page
    assert '<time datetime="2027-04-17">Sat 17 Apr 2027</time>' in response.get_data(as_text=True)
