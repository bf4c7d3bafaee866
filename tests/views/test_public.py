"""The public pages show the workshop's facts, from the content file, to anyone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import DateKind, ImportantDate, Person, PersonRole, Workshop
from tests.conftest import text_of

PAGES = ["/", "/call-for-papers", "/speakers", "/organizers", "/sponsors/"]


def test_home_shows_overview_questions_and_topics(client: FlaskClient, content: dict[str, Any]) -> None:
    page = text_of(client.get("/"))
    assert content["workshop"]["name"] in page
    assert "Large language models are increasingly pivotal" in page
    assert "Why long context matters" in page
    for q in content["questions"]:
        assert f"{q['title']} {q['text']}" in page
    for t in content["topics"]:
        assert t["title"] in page


def test_home_shows_the_seed_facts_verbatim(client: FlaskClient) -> None:
    page = text_of(client.get("/"))
    # Straight from the workshop's own page (../shared/seeds/longllm-2024-home.md).
    assert "Efficiency and Sustainability How to create long-context LLMs that are both efficient" in page
    assert "Resources and Evaluations" in page
    assert "Yejin Choi" in page


def test_cfp_lists_every_topic_with_description_and_examples(client: FlaskClient, content: dict[str, Any]) -> None:
    page = text_of(client.get("/call-for-papers"))
    assert len(content["topics"]) == 7
    for t in content["topics"]:
        assert t["title"] in page
        assert t["description"] in page
        if t["examples"]:
            assert f"For example: {t['examples']}" in page


def test_cfp_states_page_limits_and_anonymity(client: FlaskClient) -> None:
    page = text_of(client.get("/call-for-papers"))
    assert "Full paper: at most 8 pages, plus unlimited pages for references and appendices." in page
    assert "Short paper: at most 4 pages" in page
    assert "anonymized for double-blind review" in page


def test_cfp_without_dates_says_they_will_be_announced(client: FlaskClient) -> None:
    page = text_of(client.get("/call-for-papers"))
    assert "The dates will be announced here soon." in page


def test_cfp_shows_deadlines_in_aoe_and_utc(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.dates.append(
            ImportantDate(
                kind=DateKind.PAPER_DEADLINE,
                label="Paper submission deadline",
                at=datetime(2027, 2, 4, 11, 59, tzinfo=UTC),
            )
        )
        db.session.commit()
    response = client.get("/call-for-papers")
    page = text_of(response)
    # 11:59 UTC on 4 February is 23:59 on 3 February Anywhere on Earth.
    assert "Paper submission deadline Wed 3 Feb 2027, 23:59 AoE (Thu 4 Feb 2027, 11:59 UTC)" in page
    assert '<time datetime="2027-02-04T11:59:00+00:00" data-local>' in response.get_data(as_text=True)
    # ... and the home page announces the same deadline.
    assert "Paper submission deadline: Wed 3 Feb 2027, 23:59 AoE" in text_of(client.get("/"))


def test_speakers_page_shows_each_speaker_and_affiliation(client: FlaskClient, content: dict[str, Any]) -> None:
    page = text_of(client.get("/speakers"))
    speakers = [p for p in content["people"] if p["role"] == "speaker"]
    assert [p["name"] for p in speakers] == ["Yejin Choi", "Luke Zettlemoyer"]
    for p in speakers:
        assert f"{p['name']} {' '.join(p['affiliation'])}" in page
    assert "Yejin Choi University of Washington Allen Institute for AI" in page


def test_speakers_page_says_stay_tuned_without_panelists(client: FlaskClient) -> None:
    page = text_of(client.get("/speakers"))
    assert "Panelists Stay tuned! We plan to have two panels to encourage discussion!" in page


def test_speakers_page_lists_panelists_once_added(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.people.append(Person(role=PersonRole.PANELIST, slug="ada", position=1, name="Ada Lovelace", affiliation="Analytical"))
        db.session.commit()
    page = text_of(client.get("/speakers"))
    assert "Panelists Ada Lovelace Analytical" in page
    assert "Stay tuned" not in page


@pytest.mark.parametrize("role", ["organizer", "steering"])
def test_organizers_page_shows_each_person_and_affiliation(client: FlaskClient, content: dict[str, Any], role: str) -> None:
    page = text_of(client.get("/organizers"))
    people = [p for p in content["people"] if p["role"] == role]
    assert people
    for p in people:
        assert f"{p['name']} {' '.join(p['affiliation'])}" in page


def test_people_show_initials_avatars_not_broken_images(client: FlaskClient) -> None:
    html = client.get("/organizers").get_data(as_text=True)
    assert "<img" not in html
    assert html.count('<svg class="avatar"') == 8
    assert ">ZH</text>" in html  # Zexue He
    assert 'href="https://zexuehe.github.io/"' in html


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_navigation_and_marks_the_current_page(client: FlaskClient, url: str) -> None:
    html = client.get(url).get_data(as_text=True)
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<nav aria-label="Main">' in html
    assert html.count('aria-current="page"') == 1
    assert f'<a href="{url}" aria-current="page">' in html


@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_the_security_headers(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_no_inline_script_or_style(client: FlaskClient, url: str) -> None:
    html = client.get(url).get_data(as_text=True)
    assert "<script>" not in html
    assert "style=" not in html
    assert "<style" not in html


def test_unknown_page_gives_the_friendly_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = text_of(response)
    assert "Page not found" in page
    assert "Go to the home page" in page
    assert "LongLLM 2024" in page  # in the site's layout


def test_wrong_method_gives_the_friendly_405(client: FlaskClient) -> None:
    response = client.post("/speakers")
    assert response.status_code == 405
    assert "This page cannot be used that way." in text_of(response)


def test_empty_database_explains_what_to_run(empty_app: Flask) -> None:
    response = empty_app.test_client().get("/")
    assert response.status_code == 503
    assert "flask --app portal content load" in text_of(response)


def test_server_error_shows_the_friendly_500_and_rolls_back(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        ws = db.session.scalar(sa.select(Workshop))
        ws.name = "half-saved"
        db.session.flush()
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(Workshop.name)) == "Workshop on Long-Context Large Language Models"
