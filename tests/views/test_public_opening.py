"""The home page's first screen says what, when and where, and leads with what a visitor can do now: submit
while submissions are open, the accepted papers and the program after the decisions; a closed deadline no longer
leads. Its social tags, canonical address and schema.org Event data come from the same facts."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from portal.db import db
from portal.models import DateKind, ImportantDate, ItemKind, ProgramItem, ProgramPerson, ProgramRole, ProgramSession, Workshop
from tests.conftest import text_of

NOW = datetime.now(UTC)


def set_up(app: Flask, *, dates: list[tuple[DateKind, str, timedelta]], published: bool = False, **facts: object) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        ws.dates.clear()
        for kind, label, offset in dates:
            ws.dates.append(ImportantDate(kind=kind, label=label, at=NOW + offset))
        ws.accepted_published = published
        for name, value in facts.items():
            setattr(ws, name, value)
        db.session.commit()


def hero(client: FlaskClient) -> str:
    html = client.get("/").get_data(as_text=True)
    section = re.search(r'<section class="hero".*?</section>', html, re.S)
    assert section is not None
    return text_of(Response(section.group(0)))


def actions(client: FlaskClient) -> list[tuple[str, str]]:
    html = client.get("/").get_data(as_text=True)
    row = re.search(r'<p class="actions">(.*?)</p>', html, re.S)
    assert row is not None
    return [(label, href) for href, label in re.findall(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', row.group(1))]


CALENDAR = [
    (DateKind.SUBMISSION_OPEN, "Submissions open", timedelta(days=-30)),
    (DateKind.PAPER_DEADLINE, "Paper submission deadline", timedelta(days=10)),
    (DateKind.NOTIFICATION, "Author notification", timedelta(days=40)),
    (DateKind.WORKSHOP, "Workshop day", timedelta(days=90)),
]


def test_first_screen_names_the_venue_the_days_and_the_conference(app: Flask, client: FlaskClient) -> None:
    set_up(
        app,
        dates=CALENDAR,
        venue="Vienna, Austria",
        colocated_with="ICML 2024",
        starts_on=date(2024, 7, 26),
        ends_on=date(2024, 7, 27),
    )
    text = hero(client)
    assert text.startswith(
        "LongLLM 2024 · co-located with ICML 2024 Workshop on Long-Context Large Language Models "
        "26\u201327 July 2024 · Vienna, Austria"
    )
    assert "When 26\u201327 July 2024 Where Vienna, Austria Co-located with ICML 2024" in text


def test_without_days_of_its_own_the_workshop_date_names_the_day(app: Flask, client: FlaskClient) -> None:
    set_up(app, dates=CALENDAR)
    # The workshop's zone is AoE (UTC-12): the day there.
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        day = (NOW + timedelta(days=90)).astimezone(ws.zone).date()  # type: ignore[union-attr]
    assert f"When {day:%a} {day.day} {day:%B %Y}" in hero(client)


def test_while_submissions_are_open_the_page_leads_with_submitting_and_the_deadline(app: Flask, client: FlaskClient) -> None:
    set_up(app, dates=CALENDAR)
    assert actions(client) == [("Submit a paper", "/submissions/new"), ("Read the call for papers", "/call-for-papers")]
    text = hero(client)
    assert "Paper submission deadline:" in text
    assert "days, " in text and "left" in text
    # What is past no longer leads: the opening of submissions is not among the dates ahead.
    assert "Submissions open" not in text
    assert "Author notification" in text


def test_after_the_deadline_the_closed_deadline_stops_leading(app: Flask, client: FlaskClient) -> None:
    closed = [(k, label, t - timedelta(days=20)) for k, label, t in CALENDAR]
    set_up(app, dates=closed)
    text = hero(client)
    assert "Paper submission deadline" not in text
    assert "closed" not in text.lower().replace("submissions are closed", "")
    assert "Submissions are closed and the papers are in review." in text
    assert actions(client) == [("Meet the speakers", "/speakers"), ("Read the call for papers", "/call-for-papers")]
    assert "Author notification" in text  # still ahead


def test_before_submissions_open_the_call_leads(app: Flask, client: FlaskClient) -> None:
    later = [(k, label, t + timedelta(days=40)) for k, label, t in CALENDAR]
    set_up(app, dates=later)
    assert actions(client) == [("Read the call for papers", "/call-for-papers")]
    assert "Submissions open" in hero(client)


def test_after_the_decisions_the_accepted_papers_and_the_program_lead(app: Flask, client: FlaskClient) -> None:
    past = [(k, label, t - timedelta(days=60)) for k, label, t in CALENDAR[:3]] + [CALENDAR[3]]
    set_up(app, dates=past, published=True)
    # Until the chairs publish the program, the accepted papers alone; then the program beside them.
    assert actions(client) == [("See the accepted papers", "/accepted-papers")]
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).program_published = True  # type: ignore[union-attr]
        db.session.commit()
    assert actions(client) == [("See the accepted papers", "/accepted-papers"), ("Program", "/program")]
    assert "Submit a paper" not in hero(client)
    assert "The papers are decided: see who presents what." in hero(client)


def test_once_the_accepted_papers_are_out_the_planned_notification_no_longer_leads(app: Flask, client: FlaskClient) -> None:
    """The chairs published the decisions before the notification date they had announced (the demo does): the first
    screen no longer promises a notification still to come; the camera-ready deadline and the day stay."""
    set_up(
        app,
        dates=[
            (DateKind.PAPER_DEADLINE, "Paper submission deadline", timedelta(days=-20)),
            (DateKind.NOTIFICATION, "Author notification", timedelta(days=5)),
            (DateKind.CAMERA_READY, "Camera-ready deadline", timedelta(days=20)),
            (DateKind.WORKSHOP, "Workshop day", timedelta(days=90)),
        ],
        published=True,
    )
    first_screen = hero(client)
    assert "Author notification" not in first_screen
    assert "Camera-ready deadline" in first_screen
    assert "Author notification" in text_of(client.get("/call-for-papers"))  # the full list of dates keeps it


@pytest.mark.parametrize("url", ["/", "/call-for-papers", "/speakers", "/organizers", "/sponsors/"])
def test_public_pages_carry_a_canonical_address_and_social_cards_under_base_url(app: Flask, url: str) -> None:
    client = app.test_client()
    html = client.get(url, headers={"Host": "evil.example.org"}).get_data(as_text=True)
    base = app.config["BASE_URL"].rstrip("/")
    assert f'<link rel="canonical" href="{base}{url}">' in html
    assert f'<meta property="og:url" content="{base}{url}">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)  # type: ignore[union-attr]
    assert f'<meta property="og:title" content="{title}">' in html
    assert (
        '<meta property="og:description" content="Workshop on Long-Context Large Language Models 2024: Fostering '
        'discussion and collaboration around the challenge of modeling longer contexts.">'
    ) in html
    assert "evil.example.org" not in html


def test_private_pages_carry_no_social_cards(app: Flask) -> None:
    html = app.test_client().get("/auth/login").get_data(as_text=True)
    assert "og:title" not in html and 'rel="canonical"' not in html


def test_home_describes_the_workshop_as_a_schema_org_event(app: Flask, client: FlaskClient) -> None:
    set_up(
        app,
        dates=CALENDAR,
        venue="Vienna, Austria",
        colocated_with="ICML 2024",
        starts_on=date(2024, 7, 26),
        ends_on=date(2024, 7, 27),
        tagline="</script><script>alert(1)</script>",
    )
    html = client.get("/").get_data(as_text=True)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    event = json.loads(blocks[0])
    base = app.config["BASE_URL"].rstrip("/")
    assert {k: event[k] for k in ("@context", "@type", "name", "url", "startDate", "endDate", "description")} == {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Workshop on Long-Context Large Language Models",
        "url": f"{base}/",
        "startDate": "2024-07-26",
        "endDate": "2024-07-27",
        "description": "</script><script>alert(1)</script>",
    }
    assert event["location"] == {"@type": "Place", "name": "Vienna, Austria", "address": "Vienna, Austria"}
    assert event["superEvent"] == {"@type": "Event", "name": "ICML 2024"}
    assert [p["name"] for p in event["performer"]] == ["Yejin Choi", "Luke Zettlemoyer"]
    assert "Zexue He" in [p["name"] for p in event["organizer"]]


def test_without_a_day_there_is_no_event_data(client: FlaskClient) -> None:
    assert "application/ld+json" not in client.get("/").get_data(as_text=True)


def test_a_published_program_puts_talk_titles_beside_the_speakers_and_sessions_in_the_event(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        ws.starts_on = date(2027, 7, 26)
        yejin = next(p for p in ws.people if p.slug == "yejin-choi")
        start = datetime(2027, 7, 26, 9, tzinfo=UTC)
        keynote = ProgramItem(kind=ItemKind.KEYNOTE, position=1, title="Long memories")
        keynote.people = [ProgramPerson(role=ProgramRole.SPEAKER, position=1, person_id=yejin.id)]
        panel = ProgramItem(kind=ItemKind.PANEL, position=2, title="Panel: Evaluation")
        panel.people = [
            ProgramPerson(role=ProgramRole.PANELIST, position=1, name="Ada Lovelace"),
            ProgramPerson(role=ProgramRole.MODERATOR, position=2, person_id=yejin.id),
        ]
        session = ProgramSession(
            workshop_id=ws.id, title="Morning", starts_at=start, ends_at=start + timedelta(hours=2), room="Hall B"
        )
        session.items = [keynote, panel]
        db.session.add(session)
        db.session.commit()
        ids = (keynote.id, panel.id)
    visitor = app.test_client()
    before = text_of(visitor.get("/speakers"))
    assert "Keynote: Long memories" not in before  # not published yet
    assert "Panelists Stay tuned! We plan to have two panels" in before
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        ws.program_published = True
        db.session.commit()
    assert "Keynote: Long memories" not in text_of(visitor.get("/speakers"))  # (its accepted papers are not public)
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).accepted_published = True  # type: ignore[union-attr]
        db.session.commit()
    html = visitor.get("/speakers").get_data(as_text=True)
    assert f'<p class="talk-title"><a href="/program/{ids[0]}">Keynote: Long memories</a></p>' in html
    assert f'<p class="talk-title"><a href="/program/{ids[1]}">Moderates the panel: Evaluation</a></p>' in html
    # The panels replace the "stay tuned" note, whoever sits on them.
    assert f'<li><a href="/program/{ids[1]}">Panel: Evaluation</a>: Ada Lovelace; moderated by Yejin Choi.</li>' in html
    assert "Stay tuned" not in html
    assert "Yejin Choi University of Washington Allen Institute for AI Keynote: Long memories" in text_of(visitor.get("/"))
    home = visitor.get("/").get_data(as_text=True)
    event = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S).group(1))  # type: ignore[union-attr]
    base = app.config["BASE_URL"].rstrip("/")
    assert event["subEvent"] == [
        {
            "@type": "Event",
            "name": "Morning",
            "startDate": "2027-07-25T21:00:00-12:00",  # 09:00 UTC in the workshop's zone (AoE)
            "endDate": "2027-07-25T23:00:00-12:00",
            "url": f"{base}/program",
            "location": {"@type": "Place", "name": "Hall B", "address": "Hall B"},
        }
    ]
