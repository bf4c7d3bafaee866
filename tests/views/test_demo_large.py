"""`flask --app portal demo --papers N --reviewers M`: the large demo, at every phase, with the demo accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db, utcnow
from portal.demo import PHASES
from portal.models import (
    AreaChairAssignment,
    AuthorResponse,
    Bid,
    MetaReview,
    Review,
    ReviewAssignment,
    Revision,
    Submission,
    SubmissionAuthor,
    User,
    Workshop,
)
from portal.queries.conflicts import conflict_map
from tests.factories import login


def _load(app: Flask, phase: str, papers: int = 40, reviewers: int = 20) -> str:
    args = ["demo", "--phase", phase, "--papers", str(papers), "--reviewers", str(reviewers)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


#: The large demo's phases: the program phase (issue 24.7) is the small demo's only.
LARGE_PHASES = [phase for phase in PHASES if phase != "program"]


def test_demo_large_refuses_the_program_phase_and_builds_nothing(empty_app: Flask) -> None:
    args = ["demo", "--phase", "program", "--papers", "40", "--reviewers", "20"]
    result = empty_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert result.output.endswith("Error: --phase program goes with the small demo only (without --papers).\n")
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


@pytest.mark.parametrize("phase", LARGE_PHASES)
def test_demo_large_builds_the_size_asked_at_each_phase(empty_app: Flask, phase: str) -> None:
    output = _load(empty_app, phase)
    assert f"at the {phase} phase" in output
    assert "20 reviewers, 40 submissions are in." in output
    assert "chair     chair@example.org" in output
    with empty_app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        assert count(Submission) == 40
        assert db.session.scalar(sa.select(sa.func.count()).where(User.is_reviewer)) == 20
        assert count(Revision) == 40
        assert db.session.scalar(sa.select(sa.func.min(sa.func.length(Submission.abstract)))) > 200
        assignments, bids, reviews = count(ReviewAssignment), count(Bid), count(Review)
        overseen, responses = count(AreaChairAssignment), count(AuthorResponse)
        metas = db.session.scalars(sa.select(MetaReview.submitted_at)).all()
        area_chairs = db.session.scalars(sa.select(User.email).where(User.is_area_chair).order_by(User.id)).all()
        conflicted = conflict_map(
            db.session.scalars(sa.select(AreaChairAssignment.submission_id)).all(),
            db.session.scalars(sa.select(User.id).where(User.is_area_chair)).all(),
        )
        overseers = set(db.session.execute(sa.select(AreaChairAssignment.submission_id, AreaChairAssignment.area_chair_id)))
        texts = set(db.session.execute(sa.select(Review.strengths, Review.weaknesses)))
        decided = db.session.scalar(sa.select(sa.func.count()).where(Submission.decision.is_not(None)))
        now = utcnow() + timedelta(seconds=1)
        latest = [
            db.session.scalar(sa.select(sa.func.max(column)))
            for column in (Submission.updated_at, Review.updated_at, Bid.updated_at, Submission.decided_at)
        ]
    assert all(at is None or at < now for at in latest), latest
    if phase == "submission":
        assert (assignments, bids, reviews, decided) == (0, 0, 0, 0)
    else:
        assert assignments == 120
        assert bids > 40
        assert len(texts) > reviews // 2 > 10
    assert decided == (26 if phase == "decisions" else 0)
    # The demo's four area chairs (one for every 40 papers), each paper overseen from the reviewing phase on by one
    # not conflicted with it; the responses from the response phase on; the meta-reviews after it.
    assert area_chairs == [f"ac{i}@example.org" for i in range(1, 5)]
    assert overseen == (0 if phase == "submission" else 40)
    assert not overseers & set(conflicted)
    assert (responses > 10) == (phase not in ("submission", "reviewing"))
    if phase == "meta-review":
        assert len([at for at in metas if at is None]) > 0 and 20 < len([at for at in metas if at]) < 40
    else:
        assert len(metas) == len([at for at in metas if at]) == (40 if phase == "decisions" else 0)


def test_demo_large_accounts_sign_in_and_see_their_work(empty_app: Flask) -> None:
    _load(empty_app, "reviewing")
    with empty_app.app_context():
        reviewer1 = db.session.scalar(sa.select(User.id).where(User.email == "reviewer1@example.org"))
        load = db.session.scalar(sa.select(sa.func.count()).where(ReviewAssignment.reviewer_id == reviewer1))
        assigned = db.session.scalars(
            sa.select(Submission.title).join(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer1)
        ).all()
        author1 = db.session.scalar(sa.select(User.id).where(User.email == "author1@example.org"))
        titles = db.session.scalars(
            sa.select(Submission.title).join(SubmissionAuthor).where(SubmissionAuthor.user_id == author1)
        ).all()
    assert 4 <= load <= 8  # 120 reviews over 20 people
    assert len(titles) == 3
    chair = empty_app.test_client()
    assert login(chair, "chair@example.org", "demo-password").headers["Location"] == "/chair/"
    author = empty_app.test_client()
    assert login(author, "author1@example.org", "demo-password").headers["Location"] == "/submissions/"
    page = author.get("/submissions/").get_data(as_text=True)
    assert all(title in page for title in titles)
    reviewer = empty_app.test_client()
    login(reviewer, "reviewer1@example.org", "demo-password")
    page = reviewer.get("/review/").get_data(as_text=True)
    assert [title for title in assigned if title not in page] == []


def test_demo_large_is_the_same_for_the_same_size(empty_app: Flask) -> None:
    _load(empty_app, "submission", papers=10, reviewers=14)
    with empty_app.app_context():
        first = db.session.scalars(sa.select(Submission.title).order_by(Submission.id)).all()
    _load(empty_app, "submission", papers=10, reviewers=14)
    with empty_app.app_context():
        assert db.session.scalars(sa.select(Submission.title).order_by(Submission.id)).all() == first


def test_demo_size_options_are_checked(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--papers", "0"])
    assert result.exit_code == 2
    assert "0 is not in the range 1<=x<=25000" in result.output
    result = runner.invoke(args=["demo", "--papers", "10", "--reviewers", "30000"])
    assert "30000 is not in the range 1<=x<=25000" in result.output
    result = runner.invoke(args=["demo", "--reviewers", "10"])
    assert "--reviewers only goes with --papers." in result.output


def test_demo_default_stays_the_small_one(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "12 submissions are in." in result.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.max(Submission.created_at))) < utcnow()


def test_demo_small_reviews_are_not_one_text(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(args=["demo", "--phase", "decisions"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        reviews = db.session.execute(sa.select(Review.strengths, Review.weaknesses, Review.updated_at)).all()
    assert len({(s, w) for s, w, _ in reviews}) > len(reviews) // 2
    assert max(at for _, _, at in reviews) < utcnow()


def test_a_demo_reset_unpublishes_the_accepted_papers_and_the_menu_forgets_them(empty_app: Flask) -> None:
    _load(empty_app, "decisions", papers=20, reviewers=14)
    with empty_app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.accepted_published = True
        db.session.commit()
    visitor = empty_app.test_client()
    assert "Accepted papers" in visitor.get("/call-for-papers").get_data(as_text=True)
    result = empty_app.test_cli_runner().invoke(args=["demo", "--phase", "submission"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalars(sa.select(Workshop)).one().accepted_published is False
    assert "Accepted papers" not in empty_app.test_client().get("/call-for-papers").get_data(as_text=True)
