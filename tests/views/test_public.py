"""The public pages show the workshop's facts, from the content file, to anyone."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

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
