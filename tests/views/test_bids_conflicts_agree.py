"""The bid list asks the conflict rules only about the papers that share a key with the reviewer
(``conflicts.papers_that_may_conflict``), for speed at conference size. Hypothesis builds the worlds of the conflict rules' own
test (tests/unit/test_conflict_rules_agree.py: people with earlier addresses and affiliations, papers with linked
and unlinked authors, submitters, declared conflicts both ways, the chairs' overrides), and in each, for every
person: the papers kept are a superset of those the rules find conflicted with them, and the papers they may bid
on, as a list or one at a time (the one-bid endpoint), are exactly those the rules over every paper leave them;
and for every paper, the people the reviewer picker asks about (``conflicts.reviewers_that_may_conflict``) are a
superset of those the rules find conflicted with it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings

from portal.db import db
from portal.models import Submission, SubmissionState, User, Workshop
from portal.queries.conflicts import conflict_map, papers_that_may_conflict, reviewers_that_may_conflict
from portal.services import bidding
from tests.unit.test_conflict_rules_agree import World, build, worlds


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same worlds on every run, in CI too
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_the_papers_asked_about_hold_every_conflict_and_the_bid_list_is_the_rules_own(app: Flask, world: World) -> None:
    with app.app_context():
        try:
            person_ids, _ = build(world)
            ws = db.session.scalars(sa.select(Workshop)).one()
            live = db.session.scalars(
                sa.select(Submission.id).where(Submission.state == SubmissionState.SUBMITTED).order_by(Submission.id)
            ).all()
            everything = conflict_map(list(live), person_ids)
            for person in person_ids:
                reviewer = db.session.get(User, person)
                conflicted = sorted(p for p, r in everything if r == person)
                asked = papers_that_may_conflict(person, list(live))
                assert [p for p in conflicted if p not in asked] == [], person
                left = [p for p in live if (p, person) not in everything]
                assert bidding.biddable_ids(ws, reviewer, list(live)) == left
                assert [p for p in live if bidding.may_bid_on(ws, reviewer, p)] == left
            # The mirror, for the chair's reviewer picker: the people asked about for a paper hold everyone the
            # rules find conflicted with it.
            for paper in live:
                conflicted = sorted(r for p, r in everything if p == paper)
                asked = reviewers_that_may_conflict([paper])
                assert [r for r in conflicted if r not in asked] == [], paper
            asked = reviewers_that_may_conflict(list(live))
            assert sorted({r for _, r in everything} - asked) == []
        finally:
            db.session.rollback()
