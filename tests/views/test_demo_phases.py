"""The demo's review phases in order (issue 21.8): ``flask demo --phase response`` and ``--phase meta-review``, with
the demo area chairs (ac1 ... ac4@example.org) and the demo review form's own field for the authors
("Reproducibility"), and what each person sees of one paper at each phase: its authors, one of its reviewers, its
area chair, another area chair and the chair."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.demo import DEMO_PASSWORD, PHASES, REPRODUCIBILITY, RESPONSES
from portal.models import AreaChairAssignment, AuthorResponse, MetaReview, ReviewAssignment, Submission, User
from tests.conftest import text_of
from tests.factories import login


@dataclass
class Paper:
    number: int
    title: str
    authors: list[tuple[str, str, str]]  # name, email, affiliation
    reviewers: list[tuple[str, str]]  # name, email
    area_chair: tuple[str, str]
    other_area_chair: str
    response: str


def _load(app: Flask, phase: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "--phase", phase])
    assert result.exit_code == 0, result.output
    return result.output


def _paper(app: Flask) -> Paper:
    """The first paper with a response (the demo's authors answered two papers in three)."""
    with app.app_context():
        number = db.session.scalar(sa.select(sa.func.min(AuthorResponse.submission_id)))
        sub = db.session.get(Submission, number)
        assert sub is not None
        reviewers = db.session.execute(
            sa.select(User.name, User.email).join(ReviewAssignment).where(ReviewAssignment.submission_id == number)
        ).all()
        ac = db.session.execute(
            sa.select(User.name, User.email)
            .join(AreaChairAssignment, AreaChairAssignment.area_chair_id == User.id)
            .where(AreaChairAssignment.submission_id == number)
        ).one()
        other = db.session.scalar(sa.select(User.email).where(User.is_area_chair, User.email != ac.email).order_by(User.email))
        body = db.session.scalar(sa.select(AuthorResponse.body).where(AuthorResponse.submission_id == number))
        return Paper(
            number,
            sub.title,
            [(a.name, a.email, a.affiliation) for a in sub.authors],
            [tuple(r) for r in reviewers],  # type: ignore[misc]
            tuple(ac),  # type: ignore[arg-type]
            other or "",
            body or "",
        )


def _as(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, DEMO_PASSWORD).status_code == 302
    return client


def _hidden_from_reviewers(paper: Paper, text: str) -> list[str]:
    """The authors' names, addresses and affiliations a page shows (double-blind: none, for reviewers and area chairs)."""
    return [x for a in paper.authors for x in a if x and x in text]


def test_the_phases_come_in_the_order_a_workshop_goes_through_them() -> None:
    assert PHASES == ("submission", "reviewing", "response", "meta-review", "decisions", "program")


def test_the_demo_area_chairs_sign_in_at_every_phase_and_oversee_a_quarter_of_the_papers(empty_app: Flask) -> None:
    output = _load(empty_app, "submission")
    assert "  area chairs ac1@example.org ... ac4@example.org\n" in output
    home = _as(empty_app, "ac1@example.org").get("/review/area-chair")
    assert "Your papers as area chair" in text_of(home)
    output = _load(empty_app, "reviewing")
    with empty_app.app_context():
        load = db.session.execute(
            sa.select(User.email, sa.func.count())
            .join(AreaChairAssignment, AreaChairAssignment.area_chair_id == User.id)
            .group_by(User.email)
            .order_by(User.email)
        ).all()
    assert [tuple(row) for row in load] == [(f"ac{i}@example.org", 3) for i in range(1, 5)]


def test_the_response_phase_as_each_person_sees_it(empty_app: Flask) -> None:
    output = _load(empty_app, "response")
    assert "loaded at the response phase: every review is in and the authors are writing their responses" in output
    paper = _paper(empty_app)
    assert paper.response in RESPONSES

    # The authors: every review's fields for them (the demo field among them) as "Reviewer N", and their response,
    # which they may still change; never a reviewer's or the area chair's name.
    author = text_of(_as(empty_app, paper.authors[0][1]).get(f"/submissions/{paper.number}"))
    assert "Reviewer 1: Comments to the authors:" in author
    assert sum(f"Reproducibility: {choice}" in author for choice in REPRODUCIBILITY) >= 1
    assert paper.response in author and "Save the response" in author
    assert [name for name, _ in paper.reviewers if name in author] == []
    assert paper.area_chair[0] not in author
    assert "Confidential" not in author and "confidence" not in author.lower()

    # A reviewer: every review, but not yet the response (after its deadline), and never the authors.
    reviewer = text_of(_as(empty_app, paper.reviewers[0][1]).get(f"/review/papers/{paper.number}"))
    assert "Reproducibility:" in reviewer and paper.response not in reviewer
    assert _hidden_from_reviewers(paper, reviewer) == []

    # The area chair: the reviewers by name, no meta-review begun; not the response yet; never the authors.
    ac = text_of(_as(empty_app, paper.area_chair[1]).get(f"/review/papers/{paper.number}"))
    assert "You are this paper's area chair" in ac and "Meta-review Not started." in ac
    assert all(f"({email})" in ac for _, email in paper.reviewers)
    assert paper.response not in ac and _hidden_from_reviewers(paper, ac) == []
    # Another area chair: not found.
    assert _as(empty_app, paper.other_area_chair).get(f"/review/papers/{paper.number}").status_code == 404

    # The chair: the response as soon as it is saved, and who may still change it.
    chair = text_of(_as(empty_app, "chair@example.org").get(f"/chair/papers/{paper.number}"))
    assert paper.response in chair and "the authors may change it until" in chair
    assert f"{paper.area_chair[0]} {paper.area_chair[1]} oversees this paper." in chair


def test_the_meta_review_phase_as_each_person_sees_it(empty_app: Flask) -> None:
    output = _load(empty_app, "meta-review")
    assert "loaded at the meta-review phase: the responses are final, reviewing is closed" in output
    paper = _paper(empty_app)
    with empty_app.app_context():
        metas = db.session.scalars(sa.select(MetaReview.submitted_at)).all()
    assert (len(metas), len([m for m in metas if m is not None])) == (9, 6)

    # The reviewers read the response now, told they may update their review.
    reviewer = text_of(_as(empty_app, paper.reviewers[0][1]).get(f"/review/papers/{paper.number}"))
    assert f"The authors' response {paper.response}" in reviewer
    assert _hidden_from_reviewers(paper, reviewer) == []
    # The chair sees the review updated after the response, and the area chair's extra-review request.
    chair = text_of(_as(empty_app, "chair@example.org").get(f"/chair/papers/{paper.number}"))
    assert "updated after the response" in chair
    assert "An extra review is asked for by" in chair
    # The area chair's list: their three papers, each with its meta-review's state.
    home = text_of(_as(empty_app, paper.area_chair[1]).get("/review/area-chair"))
    assert "3 papers; 9 of 9 reviews in." in home
    # The authors read their response as final, and neither the meta-review (not until the letters) nor any name.
    author = text_of(_as(empty_app, paper.authors[0][1]).get(f"/submissions/{paper.number}"))
    assert paper.response in author and "Save the response" not in author
    assert "Meta-review" not in author and paper.area_chair[0] not in author


@pytest.mark.parametrize("phase", ["decisions", "program"])
def test_at_the_decisions_every_meta_review_is_in_beside_the_scores(empty_app: Flask, phase: str) -> None:
    _load(empty_app, phase)
    with empty_app.app_context():
        metas = db.session.scalars(sa.select(MetaReview).where(MetaReview.submitted_at.is_not(None))).all()
        papers = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
        accepts = sum(m.recommendation == 2 for m in metas)
    assert len(metas) == papers == 12 and 0 < accepts < 12
    page = _as(empty_app, "chair@example.org").get("/chair/decisions")
    assert "Area chair recommends" in text_of(page)
    # Each paper's row has its area chair's recommendation in that column.
    cells = re.findall(r"<td>(Accept|Reject)</td>", page.get_data(as_text=True))
    assert (cells.count("Accept"), cells.count("Reject")) == (accepts, 12 - accepts)
