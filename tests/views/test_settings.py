"""The chair's submission settings: deadlines in the workshop's zone, stored in UTC; types; limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import DateKind, SubmissionType, Workshop
from tests.conftest import post_form, text_of
from tests.factories import create_users, login


@pytest.fixture
def chair(app: Flask) -> FlaskClient:
    create_users(app, {"email": "chair@example.org", "roles": ("chair",)})
    client = app.test_client()
    login(client, "chair@example.org")
    return client


def settings_form(client: FlaskClient) -> dict[str, str]:
    """The form as the browser would post it untouched."""
    html = client.get("/settings/").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    data = {k: v for k, v in data.items() if not k.endswith("-remove")}
    for name in ("double_blind", "anonymity_blocks"):
        data[name] = re.search(rf'<input checked id="{name}-\d" name="{name}"[^>]* type="radio" value="(\d)"', html).group(1)
    return data


def workshop(app: Flask) -> Workshop:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.dates, ws.submission_types  # noqa: B018 - load before the session closes
        db.session.expunge_all()
        return ws


def test_deadlines_entered_in_aoe_are_stored_in_utc_and_shown_back(app: Flask, chair: FlaskClient) -> None:
    data = {
        **settings_form(chair),
        "paper_deadline": "2027-02-03 23:59",
        "abstract_deadline": "2027-01-27 23:59",
        "submission_open": "2026-12-01 00:00",
        "camera_ready": "2027-04-01 23:59",
    }
    response = post_form(chair, "/settings/", data, follow_redirects=True)
    assert "The settings are saved." in text_of(response)
    ws = workshop(app)
    paper = ws.date_of(DateKind.PAPER_DEADLINE)
    assert paper.at == datetime(2027, 2, 4, 11, 59, tzinfo=UTC)  # 23:59 AoE is 11:59 UTC the next day
    assert ws.date_of(DateKind.ABSTRACT_DEADLINE).at == datetime(2027, 1, 28, 11, 59, tzinfo=UTC)
    assert 'type="datetime-local" value="2027-02-03T23:59"' in chair.get("/settings/").get_data(as_text=True)
    cfp = text_of(chair.get("/call-for-papers"))
    assert "Paper submission deadline Wed 3 Feb 2027, 23:59 AoE (Thu 4 Feb 2027, 11:59 UTC)" in cfp


def test_another_time_zone_moves_the_utc_instant(app: Flask, chair: FlaskClient) -> None:
    data = {**settings_form(chair), "timezone": "Europe/Vienna", "paper_deadline": "2027-02-03 23:59"}
    post_form(chair, "/settings/", data)
    ws = workshop(app)
    assert ws.timezone == "Europe/Vienna"
    assert ws.date_of(DateKind.PAPER_DEADLINE).at == datetime(2027, 2, 3, 22, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"paper_deadline": ""}, "Set the full-paper deadline."),
        ({"paper_deadline": "next friday"}, "“next friday” is not a date and time like 2026-12-20 23:59."),
        (
            {"paper_deadline": "2027-02-03 23:59", "submission_open": "2027-03-01 00:00"},
            "Submissions must open before the full-paper deadline.",
        ),
        (
            {"paper_deadline": "2027-02-03 23:59", "camera_ready": "2027-01-01 00:00"},
            "The camera-ready deadline must come after the full-paper deadline.",
        ),
        ({"paper_deadline": "2027-02-03 23:59", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"paper_deadline": "2027-02-03 23:59", "max_upload_mb": "0"}, "Number must be between 1 and 60."),
    ],
)
def test_bad_settings_change_nothing(app: Flask, chair: FlaskClient, changes: dict[str, str], message: str) -> None:
    before = workshop(app)
    response = post_form(chair, "/settings/", {**settings_form(chair), **changes})
    assert response.status_code == 422
    assert message in text_of(response)
    after = workshop(app)
    assert (after.timezone, after.max_upload_mb, [d.at for d in after.dates]) == (
        before.timezone,
        before.max_upload_mb,
        [d.at for d in before.dates],
    )


def test_submission_types_are_edited_added_and_removed(app: Flask, chair: FlaskClient) -> None:
    data = settings_form(chair)
    data.update(
        {
            "paper_deadline": "2027-02-03 23:59",
            "types-0-name": "Long paper",
            "types-0-page_limit": "9",
            "types-0-reference_pages": "2",
            "types-1-remove": "y",
            "types-2-name": "Extended abstract",
            "types-2-page_limit": "2",
        }
    )
    response = post_form(chair, "/settings/", data, follow_redirects=True)
    assert "The settings are saved." in text_of(response)
    with app.app_context():
        rows = db.session.scalars(sa.select(SubmissionType).order_by(SubmissionType.position)).all()
        assert [(t.name, t.page_limit, t.reference_pages) for t in rows] == [
            ("Long paper", 9, 2),
            ("Extended abstract", 2, None),
        ]
    cfp = text_of(chair.get("/call-for-papers"))
    assert "Long paper: at most 9 pages, plus 2 pages for references." in cfp


def test_anonymity_and_limits_are_saved(app: Flask, chair: FlaskClient) -> None:
    data = {
        **settings_form(chair),
        "paper_deadline": "2027-02-03 23:59",
        "max_upload_mb": "10",
        "double_blind": "0",
        "anonymity_blocks": "1",
    }
    post_form(chair, "/settings/", data)
    ws = workshop(app)
    assert (ws.max_upload_mb, ws.double_blind, ws.anonymity_blocks) == (10, False, True)
    assert "reviewed single-blind" in text_of(chair.get("/call-for-papers"))


@pytest.mark.parametrize("role", [(), ("reviewer",)])
def test_settings_are_for_chairs_only(app: Flask, role: tuple[str, ...]) -> None:
    create_users(app, {"email": "someone@example.org", "roles": role})
    client = app.test_client()
    assert client.get("/settings/").headers["Location"].startswith("/auth/login")
    login(client, "someone@example.org")
    response = client.get("/settings/")
    assert response.status_code == 403
    assert "Not allowed" in text_of(response)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/").get_data(as_text=True))
    assert token is not None
    refused = client.post("/settings/", data={"csrf_token": token.group(1), "max_upload_mb": "1"})
    assert refused.status_code == 403  # a valid token: refused by the chair guard, not by CSRF
    assert "Not allowed" in text_of(refused)
    assert workshop(app).max_upload_mb == 20
