"""Public pages served to anonymous visitors from a short-lived copy: what may be kept, who gets it, and when
it is dropped."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import Workshop
from tests.conftest import text_of
from tests.factories import create_users, login

OLD = "Fostering discussion and collaboration around the challenge of modeling longer contexts."
NEW = "A tagline written by another server process."


def change_tagline_elsewhere(app: Flask, text: str) -> None:
    """Another process (another gunicorn worker) changes the tagline: nothing in this process hears of it."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.update(Workshop).values(tagline=text))


@pytest.fixture
def cached(app: Flask) -> Flask:
    app.extensions["portal.pagecache"].seconds = 60  # long enough that only a commit or an edit can refresh it
    return app


def test_anonymous_visitors_get_the_kept_copy_and_signed_in_people_the_live_page(cached: Flask) -> None:
    visitor = cached.test_client()
    assert OLD in text_of(visitor.get("/"))
    change_tagline_elsewhere(cached, NEW)
    assert OLD in text_of(visitor.get("/"))  # within PUBLIC_CACHE_SECONDS: the copy
    create_users(cached, {"email": "ann@example.org", "name": "Ann Author"})
    member = cached.test_client()
    login(member, "ann@example.org")
    assert NEW in text_of(member.get("/"))


def test_a_commit_in_this_process_drops_every_copy(cached: Flask) -> None:
    visitor = cached.test_client()
    assert OLD in text_of(visitor.get("/"))
    with cached.app_context():
        db.session.scalar(sa.select(Workshop)).tagline = NEW  # type: ignore[union-attr]
        db.session.commit()  # what a chair's edit in the content editor ends with
    assert NEW in text_of(visitor.get("/"))


def test_copies_expire_after_public_cache_seconds(cached: Flask) -> None:
    cached.extensions["portal.pagecache"].seconds = 0.2
    visitor = cached.test_client()
    assert OLD in text_of(visitor.get("/"))
    change_tagline_elsewhere(cached, NEW)
    time.sleep(0.3)
    assert NEW in text_of(visitor.get("/"))


def test_pages_that_set_a_cookie_or_are_not_public_are_never_kept(cached: Flask) -> None:
    cache = cached.extensions["portal.pagecache"]
    visitor = cached.test_client()
    first = visitor.get("/auth/login")  # carries a CSRF token in a new session
    assert "Set-Cookie" in first.headers
    visitor.get("/sponsors/")
    visitor.get("/no-such-page")
    assert cache.entries == {}
    # A visitor with a session is never served a copy, even of a kept page.
    anonymous = cached.test_client()
    anonymous.get("/")
    assert len(cache.entries) == 1
    change_tagline_elsewhere(cached, NEW)
    assert NEW in text_of(visitor.get("/"))
    assert OLD in text_of(anonymous.get("/"))


def test_the_kept_copy_carries_the_security_headers(cached: Flask) -> None:
    visitor = cached.test_client()
    live = visitor.get("/")
    kept = visitor.get("/")
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Content-Type"):
        assert kept.headers[name] == live.headers[name]
    assert kept.get_data() == live.get_data()


def test_query_strings_and_made_up_hosts_cannot_fill_the_memory(cached: Flask) -> None:
    cache = cached.extensions["portal.pagecache"]
    visitor = cached.test_client()
    for n in range(5):
        assert OLD in text_of(visitor.get(f"/?x={n}"))
    assert cache.entries == {}  # a query string is always rendered live
    for n in range(100):
        visitor.get("/", headers={"Host": f"h{n}.example.org"})
    assert 0 < len(cache.entries) <= 64


def test_a_page_rendered_before_an_edit_is_not_kept_after_it(cached: Flask) -> None:
    cache = cached.extensions["portal.pagecache"]
    inner = cache.wsgi_app

    def edit_while_rendering(environ, start_response):  # type: ignore[no-untyped-def]
        result = inner(environ, start_response)
        cache.clear()  # a chair's edit commits while this anonymous page is being rendered
        return result

    cache.wsgi_app = edit_while_rendering
    cached.test_client().get("/")
    assert cache.entries == {}
