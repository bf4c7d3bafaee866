"""The JSON API's chair and reviewer resources on the large demo (bench/crawl.py's world: the decisions phase, a
draft proposal): decisions, letters, people and roles, invitations, the audit log, assignments and the automatic
assignment's job and proposal, bids; the lists give what the pages give, in their order; and the statements a list
takes do not grow with the papers. Every answer is validated against the OpenAPI description."""

from __future__ import annotations

from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bench.bench_api import LISTS, api_statements, open_bidding
from bench.crawl import add_sign_in, build_world
from portal.db import db, utcnow
from portal.models import Phase, Review, ReviewAssignment, ReviewState, Submission, User, Workshop
from portal.services import api_tokens, review_form
from tests.conftest import SMTPRecorder, make_app, text_of
from tests.views.test_api import check

CHAIR, REVIEWER, AUTHOR = "chair@example.org", "reviewer1@example.org", "author1@example.org"


@pytest.fixture
def demo(empty_app: Flask) -> Flask:
    add_sign_in(empty_app)
    build_world(empty_app, papers=20, reviewers=12)
    return empty_app


def token(app: Flask, email: str) -> str:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        secret = api_tokens.create_token(user, user, name="t", scope="write")[1]
        db.session.commit()
        return secret


def call(app: Flask, method: str, path: str, secret: str, url: str | None = None, **kwargs: Any) -> tuple[TestResponse, Any]:
    """Ask ``url`` (the operation ``path`` with its arguments; ``path`` itself without), validate the answer."""
    headers = {"Authorization": f"Bearer {secret}", **kwargs.pop("headers", {})}
    response = app.test_client().open("/api/v1" + (url or path), method=method, headers=headers, **kwargs)
    return response, check(app, response, method, path)


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    client.post(f"/crawl-sign-in/{user_id(app, email)}")
    return client


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(User.id).where(User.email == email)))


def test_decisions_list_the_pages_papers_in_its_order_and_a_decision_needs_the_version(demo: Flask) -> None:
    secret = token(demo, CHAIR)
    _, listed = call(demo, "GET", "/decisions", secret, "/decisions?sort=number")
    numbers = [d["number"] for d in listed["items"]]
    with demo.app_context():
        submitted = list(
            db.session.scalars(sa.select(Submission.id).where(Submission.state == "submitted").order_by(Submission.id))
        )
    assert numbers == submitted[:50] and listed["total"] == len(submitted)
    _, papers = call(demo, "GET", "/papers", secret, "/papers?state=submitted")
    assert [p["number"] for p in papers["items"]] == numbers
    assert all(len(p["reviews"]) == p["assigned"] for p in papers["items"])
    first = listed["items"][0]
    url = f"/submissions/{first['number']}/decision"
    body = {"decision": "accepted", "presentation": "poster", "note": "Clear gains."}
    response, problem = call(demo, "PUT", "/submissions/{number}/decision", secret, url, json=body)
    assert problem["status"] == 428
    stale = {"If-Match": f'"{first["version"] + 5}"'}
    assert call(demo, "PUT", "/submissions/{number}/decision", secret, url, json=body, headers=stale)[1]["status"] == 412
    now = {"If-Match": f'"{first["version"]}"'}
    response, decided = call(demo, "PUT", "/submissions/{number}/decision", secret, url, json=body, headers=now)
    assert (decided["decision"], decided["presentation"], decided["note"]) == ("accepted", "poster", "Clear gains.")
    assert response.headers["ETag"] == f'"{decided["version"]}"'
    _, log = call(demo, "GET", "/audit", secret, "/audit?kind=decision")
    assert log["items"][0]["summary"] == f"#{first['number']}: accepted (poster)"
    # The letter: sent as a job; the letters list says so, and the author now reads the decision.
    number = first["number"]
    response, job = call(demo, "POST", "/letters/send", secret, json={"numbers": [number]})
    assert response.status_code == 202 and call(demo, "GET", "/jobs/{job_id}", secret, f"/jobs/{job['id']}")[1]["state"] == "done"
    _, letters = call(demo, "GET", "/letters", secret, "/letters?group=accepted/poster")
    assert [(x["number"], x["state"]) for x in letters["items"] if x["number"] == number] == [(number, "sent")]
    with demo.app_context():
        author = db.session.scalar(sa.select(Submission).where(Submission.id == number)).submitter.email
    _, seen = call(demo, "GET", "/submissions/{number}", token(demo, author), f"/submissions/{number}")
    assert (seen["decision"], seen["presentation"]) == ("accepted", "poster")
    # Not a chair: 403, as the chairs' pages.
    assert call(demo, "GET", "/decisions", token(demo, AUTHOR))[1]["status"] == 403


def test_invitations_people_and_roles(demo: Flask, smtp: SMTPRecorder) -> None:
    secret = token(demo, CHAIR)
    people = [{"name": "Nora New", "email": "nora@example.org"}, {"name": "Twice", "email": "nora@example.org"}]
    people.append({"email": REVIEWER})
    response, made = call(demo, "POST", "/invitations", secret, json={"people": people, "message": "Join us."})
    assert [i["email"] for i in made["invited"]] == ["nora@example.org"]
    assert made["skipped"] == [
        {"email": "nora@example.org", "problem": "listed twice"},
        {"email": REVIEWER, "problem": "already a reviewer"},
    ]
    assert [m["To"] for m in smtp.messages] == ["nora@example.org"]
    _, listed = call(demo, "GET", "/invitations", secret, "/invitations?state=pending")
    assert listed["items"][0]["email"] == "nora@example.org" and listed["counts"]["pending"] >= 1
    nora = listed["items"][0]["id"]
    _, again = call(demo, "POST", "/invitations/{invitation_id}/resend", secret, f"/invitations/{nora}/resend")
    assert again["times_sent"] == 2 and [m["To"] for m in smtp.messages][-1] == "nora@example.org"
    _, gone = call(demo, "DELETE", "/invitations/{invitation_id}", secret, f"/invitations/{nora}")
    assert gone["state"] == "revoked"
    response, refused = call(demo, "DELETE", "/invitations/{invitation_id}", secret, f"/invitations/{nora}")
    assert (refused["status"], refused["detail"]) == (409, "This invitation is revoked already.")

    _, users = call(demo, "GET", "/users", secret, "/users?q=author1@")
    author = users["items"][0]
    assert (author["email"], author["roles"]) == (AUTHOR, ["author"])
    path = "/users/{user_id}/roles/{role}"
    _, granted = call(demo, "PUT", path, secret, f"/users/{author['id']}/roles/reviewer")
    assert granted["roles"] == ["author", "reviewer"]
    _, taken = call(demo, "DELETE", path, secret, f"/users/{author['id']}/roles/reviewer")
    assert taken["roles"] == ["author"]
    assert call(demo, "PUT", path, secret, "/users/987654/roles/reviewer")[1]["status"] == 404
    response = demo.test_client().put(
        f"/api/v1/users/{author['id']}/roles/speaker", headers={"Authorization": f"Bearer {secret}"}
    )
    assert (response.status_code, response.mimetype) == (404, "application/problem+json")


def test_the_automatic_assignment_is_a_job_whose_proposal_is_read_and_applied(demo: Flask, smtp: SMTPRecorder) -> None:
    secret = token(demo, CHAIR)
    with demo.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.phase = Phase.REVIEWING
        db.session.commit()
    response, job = call(demo, "POST", "/assignment-runs", secret, json={"mode": "best"})
    assert response.status_code == 202 and response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    _, job = call(demo, "GET", "/jobs/{job_id}", secret, f"/jobs/{job['id']}")
    assert job["state"] == "done" and job["proposal_id"]
    _, proposal = call(demo, "GET", "/proposals/{proposal_id}", secret, f"/proposals/{job['proposal_id']}")
    assert proposal["state"] == "draft" and proposal["pairs"]
    _, applied = call(demo, "POST", "/proposals/{proposal_id}/apply", secret, f"/proposals/{job['proposal_id']}/apply")
    assert applied["assigned"] == len(proposal["pairs"])
    # The assignments list shows them, paper by paper, in the page's order.
    listed, url = [], "/assignments"
    while url:
        _, got = call(demo, "GET", "/assignments", secret, url)
        listed += got["items"]
        url = f"/assignments?cursor={got['next_cursor']}" if got["next_cursor"] else ""
    pairs = {(a["number"], a["reviewer_id"]) for paper in listed for a in paper["assignments"]}
    assert {(p["number"], p["reviewer_id"]) for p in proposal["pairs"]} <= pairs
    assert [p["number"] for p in listed] == sorted(p["number"] for p in listed)
    # Another chair's job is not theirs to read.
    with demo.app_context():
        other = db.session.scalar(sa.select(User).where(User.is_chair, User.email != CHAIR))
    if other is not None:
        assert call(demo, "GET", "/jobs/{job_id}", token(demo, other.email), f"/jobs/{job['id']}")[1]["status"] == 404


def test_a_reviewer_bids_through_the_api_as_on_the_bid_list(demo: Flask) -> None:
    with demo.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.phase = Phase.BIDDING
        ws.bidding_deadline = utcnow().replace(year=utcnow().year + 1)
        db.session.commit()
    secret = token(demo, REVIEWER)
    _, listed = call(demo, "GET", "/bids", secret, "/bids?sort=number")
    numbers = [b["number"] for b in listed["items"]]
    assert numbers == sorted(numbers) and listed["total"] == len(numbers)
    page = text_of(signed_in(demo, REVIEWER).get("/review/bids?sort=number"))
    assert all(f"#{n}" in page for n in numbers)
    free = next(b["number"] for b in listed["items"] if b["bid"] is None)
    _, saved = call(demo, "PUT", "/bids/{number}", secret, f"/bids/{free}", json={"bid": "in_a_pinch"})
    assert saved == {"number": free, "bid": "in_a_pinch"}
    _, after = call(demo, "GET", "/bids", secret, "/bids?sort=number")
    assert [(b["number"], b["bid"]) for b in after["items"] if b["number"] == free] == [(free, "in_a_pinch")]
    assert [b["number"] for b in after["items"]] == numbers
    assert call(demo, "PUT", "/bids/{number}", secret, "/bids/987654", json={"bid": "eager"})[1]["status"] == 404
    assert call(demo, "GET", "/bids", token(demo, AUTHOR))[1]["status"] == 403


# --- statements: a list takes as many at 20 papers as at 60 (bench/bench_api.py gives 20 and 2,000) -------------


def test_list_endpoints_take_as_many_statements_at_20_papers_as_at_60(demo: Flask, tmp_path: Any) -> None:
    open_bidding(demo)
    small = {path: count for path, (count, _) in api_statements(demo).items()}
    large_app = make_app(f"sqlite:///{tmp_path / 'large.sqlite3'}", UPLOAD_FOLDER=str(tmp_path / "large-uploads"))
    with large_app.app_context():
        flask_migrate.upgrade()
    build_world(large_app, papers=60, reviewers=30)
    open_bidding(large_app)
    assert {path: count for path, (count, _) in api_statements(large_app).items()} == small
    assert set(small) == {path for _, path in LISTS}


def test_every_review_for_a_spreadsheet_and_a_reviewers_own_review(demo: Flask) -> None:
    secret = token(demo, CHAIR)
    items, url = [], "/reviews?limit=7"
    while url:
        _, got = call(demo, "GET", "/reviews", secret, url)
        items += got["items"]
        url = f"/reviews?limit=7&cursor={got['next_cursor']}" if got["next_cursor"] else ""
    with demo.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        keys = [f.key for f in review_form.fields(ws, retired=True)]
        expected = db.session.execute(
            sa.select(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(Review.state == ReviewState.SUBMITTED, ReviewAssignment.suspended_at.is_(None))
            .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
        ).all()
        ws.phase = Phase.REVIEWING
        ws.review_deadline = utcnow().replace(year=utcnow().year + 1)
        db.session.commit()
    assert [(r["number"], r["ordinal"]) for r in items] == [tuple(e) for e in expected]
    assert all(list(r["answers"]) == keys and not r["reviewer"].startswith("Reviewer ") for r in items)

    # A reviewer reads the form, then the reviews of a paper as its page shows them: "Reviewer N", no names.
    mine = token(demo, REVIEWER)
    _, form = call(demo, "GET", "/review-form", mine)
    assert [f["key"] for f in form["fields"]] == [k for k in keys if k in {f["key"] for f in form["fields"]}] != []
    with demo.app_context():
        rid = user_id(demo, REVIEWER)
        own = db.session.scalar(
            sa.select(ReviewAssignment)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(ReviewAssignment.reviewer_id == rid, Review.state == ReviewState.SUBMITTED)
            .order_by(ReviewAssignment.id)
        )
        number = own.submission_id
    _, theirs = call(demo, "GET", "/submissions/{number}/reviews", mine, f"/submissions/{number}/reviews")
    assert theirs["items"] and all(r["reviewer"] == f"Reviewer {r['ordinal']}" for r in theirs["items"])
    response, review = call(demo, "GET", "/submissions/{number}/review", mine, f"/submissions/{number}/review")
    changed = {**review["answers"], "summary": "Read again: the gains hold."}
    path = "/submissions/{number}/review"
    stale = call(
        demo, "PUT", path, mine, f"/submissions/{number}/review", json={"answers": changed}, headers={"If-Match": '"999"'}
    )
    assert stale[1]["status"] == 412
    etag = {"If-Match": response.headers["ETag"]}
    _, saved = call(demo, "PUT", path, mine, f"/submissions/{number}/review", json={"answers": changed}, headers=etag)
    assert saved["answers"]["summary"] == "Read again: the gains hold." and saved["state"] == "submitted"
    _, talk = call(
        demo, "POST", "/submissions/{number}/discussion", mine, f"/submissions/{number}/discussion", json={"body": "Agreed."}
    )
    _, thread = call(demo, "GET", "/submissions/{number}/discussion", mine, f"/submissions/{number}/discussion")
    assert thread["items"][-1] == {**talk, "author": "You"}
