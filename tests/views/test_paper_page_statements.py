"""The paper pages ask each permission question once a request (in the world of tests/views/test_area_chair_papers.py:
paper 1 reviewed by Rita and Rex, Rex's review submitted; Alma its area chair; Carla chairs).

Before: an area chair's paper page ran the conflict rules 9 times for the same person and paper (83 statements), a
reviewer's 7 times, and read their assignment again for each question (76). The answers are kept on ``flask.g`` for the request;
any write in the request (a flush, an UPDATE or DELETE through the session, a rollback) forgets them, so a page
rendered after a change never reads a stale answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import permissions
from portal.db import db
from portal.models import AreaChairAssignment, ConflictOverride, Submission, User
from portal.queries import conflicts
from tests.conftest import Worlds, sql_statements
from tests.views.test_area_chair_papers import build_ac, make_area_chair, sign_in
from tests.views.test_reviewing import World

#: SQL statements a page, the sign-in's user load included (SQLite and PostgreSQL alike), and before the cache.
BUDGETS = {
    ("alma", "/review/papers/{p1}"): 27,  # the area chair's page: 83 before (the rules 9 times)
    ("rex", "/review/papers/{p1}"): 22,  # a reviewer's, their review submitted: 76 before (7 times)
    ("carla", "/review/papers/{p1}"): 17,  # a chair's reviewing page: as before
    ("carla", "/chair/papers/{p1}"): 46,  # the chair's paper page: as before (two different questions of the rules)
}


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    world = worlds.get(app, build_ac)
    make_area_chair(world, "p1", "alma")
    return world


@pytest.fixture
def rule_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Each time the conflict rules read the database: (papers, people)."""
    runs: list[tuple[Any, Any]] = []
    gather = conflicts.gather

    def counted(sub_ids: Any, reviewer_ids: Any, **kwargs: Any) -> conflicts.Facts:
        runs.append((sub_ids, reviewer_ids))
        return gather(sub_ids, reviewer_ids, **kwargs)

    monkeypatch.setattr(conflicts, "gather", counted)
    return runs


def statements(w: World, client: FlaskClient, url: str) -> tuple[int, str]:
    with sql_statements(w.app) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def test_the_paper_pages_stay_within_their_statement_budgets_and_run_the_rules_once_a_pair(
    w: World, rule_runs: list[tuple[Any, Any]]
) -> None:
    measured, repeated = {}, {}
    for who, url in BUDGETS:
        client = sign_in(w, who)
        # (asked twice, measured the second time: the first fills the process's cache of the chairs' calibration,
        # services.calibration, which another test may have filled already)
        client.get(url.format(p1=w.n("p1")))
        rule_runs.clear()
        measured[(who, url)], page = statements(w, client, url.format(p1=w.n("p1")))
        repeated[(who, url)] = len(rule_runs) - len(set(map(repr, rule_runs)))
        assert "Reviewer 2" in page  # (Rex's review, read by each of them)
    assert measured == BUDGETS
    assert repeated == dict.fromkeys(BUDGETS, 0)


@pytest.fixture
def in_request(w: World) -> Iterator[tuple[User, User, Submission]]:
    with w.app.test_request_context():
        yield db.session.get(User, w.uid("alma")), db.session.get(User, w.uid("rex")), db.session.get(Submission, w.n("p1"))
        db.session.rollback()


def test_a_conflict_added_in_the_request_is_seen_at_once_and_forgotten_with_a_rollback(
    w: World, in_request: tuple[User, User, Submission], rule_runs: list[tuple[Any, Any]]
) -> None:
    alma, rex, sub = in_request
    asked = [permissions.oversees(alma, sub), permissions.oversees(alma, sub), permissions.can_review(rex, sub)]
    assert asked == [True, True, True]
    assert len(rule_runs) == 2  # (Alma's once, Rex's once)

    db.session.add(ConflictOverride(submission_id=sub.id, reviewer_id=alma.id, conflicted=True, note="a former student"))
    assert (permissions.is_conflicted(alma, sub), permissions.oversees(alma, sub)) == (True, False)  # (not yet flushed)
    db.session.rollback()
    assert (permissions.is_conflicted(alma, sub), permissions.oversees(alma, sub)) == (False, True)


def test_an_area_chair_or_an_assignment_removed_in_the_request_is_seen_at_once(
    w: World, in_request: tuple[User, User, Submission]
) -> None:
    alma, _, sub = in_request
    rita = db.session.get(User, w.uid("rita"))  # (her review not started)
    assert permissions.oversees(alma, sub) and permissions.can_review(rita, sub)
    db.session.execute(sa.delete(AreaChairAssignment).where(AreaChairAssignment.submission_id == sub.id))
    assert permissions.oversees(alma, sub) is False

    db.session.delete(permissions.assignment_for(rita, sub))
    assert (permissions.assignment_for(rita, sub), permissions.can_review(rita, sub)) == (None, False)
    db.session.rollback()
    assert permissions.can_review(rita, sub) and permissions.oversees(alma, sub)
