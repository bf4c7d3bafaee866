"""The JSON API's review-process resources (issues 21 and 22.5) on the large demo at the decisions phase (bench/crawl.py's
world: every third paper without an area chair, a draft area-chair proposal): the area chairs and their loads, a
paper's area chair, the automatic area-chair assignment (a job) and its proposal, an area chair's papers and
meta-reviews, the authors' response, a reviewer's decline, and the chairs' wording of the system mails. Every answer
is validated against the OpenAPI description (``call``)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from bench.crawl import add_sign_in, build_world
from portal import permissions
from portal.db import db, utcnow
from portal.models import (
    AreaChairAssignment,
    AreaChairProposal,
    AuthorResponse,
    Decision,
    MetaReview,
    Phase,
    ProposalState,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionAuthor,
    User,
    Workshop,
)
from portal.models.review_form import Audience
from portal.services import area_chairs, mail_templates, review_form
from tests.conftest import SMTPRecorder, text_of
from tests.factories import decide_and_notify
from tests.views.test_api_chairs import CHAIR, REVIEWER, call, signed_in, token, user_id

AC = "ac1@example.org"


@pytest.fixture
def demo(empty_app: Flask) -> Flask:
    add_sign_in(empty_app)
    build_world(empty_app, papers=20, reviewers=12)
    return empty_app


def _workshop() -> Workshop:
    return db.session.scalars(sa.select(Workshop)).one()


def test_the_chairs_read_the_area_chairs_set_their_loads_and_choose_a_papers_area_chair(demo: Flask, smtp: SMTPRecorder) -> None:
    secret = token(demo, CHAIR)
    _, listed = call(demo, "GET", "/area-chairs", secret)
    names = [a["name"] for a in listed["items"]]
    assert names == ["Anjali Menon", "Kwame Mensah", "Marco Bianchi", "Sofia Lindgren"]
    page = text_of(signed_in(demo, CHAIR).get("/chair/area-chairs"))
    assert [n for n in names if n in page] == names
    with demo.app_context():
        without = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(Submission.id.not_in(sa.select(AreaChairAssignment.submission_id)), Submission.state == "submitted")
        )
        overseen = {u.id: sorted(p) for u, p in _by_area_chair().items()}
    assert listed["without"] == without > 0
    assert {a["id"]: a["papers"] for a in listed["items"]} == overseen
    assert call(demo, "GET", "/area-chairs", secret, "/area-chairs?q=kwame")[1]["total"] == 1

    # Loads: a minimum above the maximum is refused in words; someone who is not an area chair is a 422.
    anjali = listed["items"][0]["id"]
    body = {"default_max_load": 6, "default_min_load": 1, "people": [{"id": anjali, "max_load": 2, "min_load": 3}]}
    refused = call(demo, "PUT", "/area-chairs/loads", secret, json=body)[1]
    assert (refused["status"], refused["detail"]) == (
        409,
        "The minimum load of Anjali Menon (3) is above their maximum load (2).",
    )
    body["people"] = [
        {"id": anjali, "max_load": 9, "min_load": None},
        {"id": user_id(demo, REVIEWER), "max_load": 1, "min_load": 1},
    ]
    wrong = call(demo, "PUT", "/area-chairs/loads", secret, json=body)[1]
    assert (wrong["status"], wrong["errors"]) == (422, [{"detail": "Not an area chair.", "pointer": "/people/1/id"}])
    body["people"] = body["people"][:1]
    _, saved = call(demo, "PUT", "/area-chairs/loads", secret, json=body)
    assert (saved["default_max_load"], saved["default_min_load"]) == (6, 1)
    assert [(a["max_load"], a["own_max_load"]) for a in saved["items"]] == [(9, 9), (6, None), (6, None), (6, None)]

    # A paper without an area chair gets one (they are mailed), shown on the assignments list; then none again.
    with demo.app_context():
        number = db.session.scalar(
            sa.select(Submission.id)
            .where(Submission.id.not_in(sa.select(AreaChairAssignment.submission_id)), Submission.state == "submitted")
            .order_by(Submission.id)
        )
    smtp.clear()
    url = f"/submissions/{number}/area-chair"
    _, chosen = call(demo, "PUT", "/submissions/{number}/area-chair", secret, url, json={"area_chair_id": anjali})
    assert chosen == {"number": number, "area_chair_id": anjali, "name": "Anjali Menon"}
    assert [m["Subject"] for m in smtp.wait_for(1)] == [f"[LongLLM 2024] You are the area chair of #{number}"]
    assert _area_chair_on_list(demo, secret, number) == anjali
    again = call(demo, "PUT", "/submissions/{number}/area-chair", secret, url, json={"area_chair_id": anjali})[1]
    assert (again["status"], again["detail"]) == (409, f"Anjali Menon is the area chair of #{number} already.")
    response, _ = call(demo, "DELETE", "/submissions/{number}/area-chair", secret, url)
    assert response.status_code == 204 and _area_chair_on_list(demo, secret, number) is None
    assert call(demo, "GET", "/area-chairs", token(demo, AC))[1]["status"] == 403


def _by_area_chair() -> dict[User, list[int]]:
    found: dict[User, list[int]] = {}
    for sid, user in area_chairs.area_chairs_of(list(db.session.scalars(sa.select(Submission.id)))).items():
        found.setdefault(user, []).append(sid)
    return found


def _area_chair_on_list(app: Flask, secret: str, number: int) -> int | None:
    _, got = call(app, "GET", "/assignments", secret, f"/assignments?q=%23{number}")
    [paper] = got["items"]
    return paper["area_chair_id"]


def test_the_automatic_area_chair_assignment_is_a_job_whose_proposal_is_read_and_applied(demo: Flask, smtp: SMTPRecorder) -> None:
    secret = token(demo, CHAIR)
    with demo.app_context():  # the crawl's draft proposal: discarded, it can no longer be applied
        draft = db.session.scalar(sa.select(AreaChairProposal.id).where(AreaChairProposal.state == ProposalState.DRAFT))
    url = f"/area-chair-proposals/{draft}"
    _, discarded = call(demo, "POST", "/area-chair-proposals/{ac_proposal_id}/discard", secret, url + "/discard")
    assert discarded["state"] == "discarded"
    late = call(demo, "POST", "/area-chair-proposals/{ac_proposal_id}/apply", secret, url + "/apply")[1]
    assert (late["status"], late["detail"]) == (409, "This proposal was applied or discarded already.")
    response, job = call(demo, "POST", "/area-chair-runs", secret, json={"mode": "fair", "balanced": True})
    assert response.status_code == 202 and response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    _, job = call(demo, "GET", "/jobs/{job_id}", secret, f"/jobs/{job['id']}")
    assert (job["kind"], job["state"]) == ("area_chairs", "done") and job["proposal_id"]
    url = f"/area-chair-proposals/{job['proposal_id']}"
    _, proposal = call(demo, "GET", "/area-chair-proposals/{ac_proposal_id}", secret, url)
    with demo.app_context():
        without = set(
            db.session.scalars(
                sa.select(Submission.id).where(
                    Submission.id.not_in(sa.select(AreaChairAssignment.submission_id)), Submission.state == "submitted"
                )
            )
        )
    assert proposal["state"] == "draft" and {p["number"] for p in proposal["pairs"]} | set(proposal["without"]) == without
    smtp.clear()
    _, applied = call(demo, "POST", "/area-chair-proposals/{ac_proposal_id}/apply", secret, url + "/apply")
    assert applied == {"assigned": len(proposal["pairs"])}
    mailed = {m["To"] for m in smtp.wait_for(len({p["area_chair_id"] for p in proposal["pairs"]}))}
    with demo.app_context():
        made = {
            (s, a) for s, a in db.session.execute(sa.select(AreaChairAssignment.submission_id, AreaChairAssignment.area_chair_id))
        }
        emails = set(
            db.session.scalars(sa.select(User.email).where(User.id.in_([p["area_chair_id"] for p in proposal["pairs"]])))
        )
    assert {(p["number"], p["area_chair_id"]) for p in proposal["pairs"]} <= made and mailed == emails
    twice = call(demo, "POST", "/area-chair-proposals/{ac_proposal_id}/apply", secret, url + "/apply")[1]
    assert (twice["status"], twice["detail"]) == (409, "This proposal was applied or discarded already.")
    assert call(demo, "GET", "/area-chair-proposals/{ac_proposal_id}", secret, "/area-chair-proposals/987654")[1]["status"] == 404


def test_an_area_chair_lists_their_papers_and_writes_a_meta_review_that_each_reader_reads_as_on_the_site(
    demo: Flask,
) -> None:
    mine = token(demo, AC)
    items, url = [], "/area-chair/papers?limit=2"
    while url:
        _, got = call(demo, "GET", "/area-chair/papers", mine, url)
        items += got["items"]
        url = f"/area-chair/papers?limit=2&cursor={got['next_cursor']}" if got["next_cursor"] else ""
    with demo.app_context():
        ac = db.session.get(User, user_id(demo, AC))
        expected = sorted(_by_area_chair()[ac])
    assert [p["number"] for p in items] == expected and len(expected) > 2
    assert all(p["meta_review"] == "submitted" for p in items)
    page = text_of(signed_in(demo, AC).get("/review/area-chair"))
    assert all(p["title"] in page for p in items)

    _, form = call(demo, "GET", "/meta-review-form", mine)
    assert [f["key"] for f in form["fields"]] == ["recommendation", "metareview", "confidential"]
    number = items[0]["number"]
    path, url = "/submissions/{number}/meta-review", f"/submissions/{number}/meta-review"
    response, meta = call(demo, "GET", path, mine, url)
    assert set(meta["answers"]) == {"recommendation", "metareview", "confidential"}
    answers = {"recommendation": 1, "metareview": "The reviewers doubt the speed-up.", "confidential": "Borderline."}
    stale = call(demo, "PUT", path, mine, url, json={"answers": answers}, headers={"If-Match": '"999"'})[1]
    assert stale["status"] == 412
    missing = call(
        demo, "PUT", path, mine, url, json={"answers": {"recommendation": 1}}, headers={"If-Match": response.headers["ETag"]}
    )[1]
    assert missing["status"] == 409 and "Meta-review" in missing["detail"]  # submitted: a required field stays required
    _, saved = call(demo, "PUT", path, mine, url, json={"answers": answers}, headers={"If-Match": response.headers["ETag"]})
    assert (saved["answers"], saved["state"], saved["version"]) == (answers, "submitted", meta["version"] + 1)

    # The chairs read every field and the recommendation on the decisions list; a reviewer who submitted, the fields
    # for reviewers; another area chair, nothing (404, as for a paper that does not exist).
    chair = token(demo, CHAIR)
    assert call(demo, "GET", path, chair, url)[1]["answers"] == answers
    _, decisions = call(demo, "GET", "/decisions", chair, f"/decisions?q=%23{number}")
    assert [d["area_chair_recommendation"] for d in decisions["items"]] == ["Reject"]
    with demo.app_context():
        reviewers = db.session.scalars(
            sa.select(User.email)
            .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(ReviewAssignment.submission_id == number, Review.state == ReviewState.SUBMITTED)
            .order_by(User.id)
        ).all()
    # Each reviewer who submitted reads what the site shows them: the fields for reviewers where the site opens the
    # paper; 404 where it does not (the demo's world has a reviewer conflicted with a paper they reviewed).
    seen = {r: signed_in(demo, r).get(f"/review/papers/{number}").status_code == 200 for r in reviewers}
    assert any(seen.values())
    for reviewer, opens in seen.items():
        got = call(demo, "GET", path, token(demo, reviewer), url)[1]
        assert got.get("answers") == {"metareview": answers["metareview"]} if opens else got["status"] == 404, reviewer
    other = token(demo, "ac2@example.org")
    assert call(demo, "GET", path, other, url)[1] == call(demo, "GET", path, other, "/submissions/987654/meta-review")[1]
    assert call(demo, "PUT", path, other, url, json={"answers": answers})[1]["status"] == 404
    # Once the letter is sent, the meta-review is final; its authors read the fields for them.
    with demo.app_context():
        sub = db.session.get(Submission, number)
        chair_user = db.session.scalar(sa.select(User).where(User.email == CHAIR))
        decide_and_notify(_workshop(), sub, sub.decision or Decision.REJECTED, chair_user)
        author = db.session.scalar(
            sa.select(User.email)
            .join(SubmissionAuthor, SubmissionAuthor.user_id == User.id)
            .where(SubmissionAuthor.submission_id == number)
        )
        db.session.commit()
    final = call(demo, "PUT", path, mine, url, json={"answers": answers}, headers={"If-Match": f'"{saved["version"]}"'})[1]
    assert (final["status"], final["detail"]) == (409, "The decision letter is sent: the meta-review is final.")
    assert call(demo, "GET", path, token(demo, author), url)[1]["answers"] == {"metareview": answers["metareview"]}


def test_authors_write_the_response_with_if_match_and_its_reviewers_read_it_after_the_deadline(demo: Flask) -> None:
    with demo.app_context():
        ws = _workshop()
        ws.response_opens_at, ws.response_deadline = utcnow() - timedelta(days=1), utcnow() + timedelta(days=2)
        sub = db.session.scalar(
            sa.select(Submission)
            .where(Submission.state == "submitted", Submission.id.not_in(sa.select(AuthorResponse.submission_id)))
            .where(Submission.id.in_(sa.select(ReviewAssignment.submission_id)))
            .order_by(Submission.id)
        )
        number = sub.id
        authors = [a.user.email for a in sub.authors if a.user is not None]
        names = [a.name for a in sub.authors]
        reviewers = db.session.scalars(
            sa.select(User.email)
            .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(ReviewAssignment.submission_id == number, Review.state == ReviewState.SUBMITTED)
            .order_by(User.id)
        ).all()
        db.session.commit()
    # A reviewer the site shows the paper to (the demo's world has one conflicted with a paper they reviewed).
    reviewer = next(r for r in reviewers if signed_in(demo, r).get(f"/review/papers/{number}").status_code == 200)
    path, url = "/submissions/{number}/response", f"/submissions/{number}/response"
    first = token(demo, authors[0])
    assert call(demo, "GET", path, first, url)[1]["status"] == 404  # none yet
    # The authors read the reviews they respond to: the fields for them, as "Reviewer N" (404 before the release).
    reviews = ("/submissions/{number}/reviews", f"/submissions/{number}/reviews")
    _, released = call(demo, "GET", *reviews[:1], first, reviews[1])
    with demo.app_context():
        keys = [f.key for f in permissions.visible_fields(Audience.AUTHORS, review_form.fields(_workshop()))]
        reviewers = list(
            db.session.scalars(
                sa.select(User.name)
                .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
                .where(ReviewAssignment.submission_id == number)
            )
        )
        _workshop().response_opens_at = None
        db.session.commit()
    assert released["items"] and all(
        r["reviewer"] == f"Reviewer {r['ordinal']}" and list(r["answers"]) == keys for r in released["items"]
    )
    assert not [name for name in reviewers if name in str(released)]
    assert call(demo, "GET", *reviews[:1], first, reviews[1])[1]["status"] == 404
    with demo.app_context():
        _workshop().response_opens_at = utcnow() - timedelta(days=1)
        db.session.commit()
    response, written = call(demo, "PUT", path, first, url, json={"body": "We ran it on eight devices."})
    assert (written["body"], written["words"], written["word_limit"]) == ("We ran it on eight devices.", 6, 500)
    assert response.headers["ETag"] == f'"{written["version"]}"'
    again = token(demo, authors[0])
    assert call(demo, "PUT", path, again, url, json={"body": "Blind."})[1]["status"] == 428
    stale = call(demo, "PUT", path, again, url, json={"body": "Stale."}, headers={"If-Match": '"999"'})[1]
    assert stale["status"] == 412
    long = " ".join(["word"] * 501)
    too_long = call(demo, "PUT", path, first, url, json={"body": long}, headers={"If-Match": response.headers["ETag"]})[1]
    assert (too_long["status"], too_long["detail"]) == (
        409,
        "The response has 501 words; the limit is 500. Shorten it and save again.",
    )
    assert call(demo, "PUT", path, first, url, json={"body": "x", "draft": True})[1]["status"] == 422
    # A reviewer reads nothing before the deadline (as for a paper that does not exist); the chair may not write it.
    reader = token(demo, reviewer)
    assert call(demo, "GET", path, reader, url)[1] == call(demo, "GET", path, reader, "/submissions/987654/response")[1]
    assert call(demo, "PUT", path, token(demo, CHAIR), url, json={"body": "x"})[1]["status"] == 403
    with demo.app_context():
        _workshop().response_deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response, read = call(demo, "GET", path, reader, url)
    assert read["body"] == "We ran it on eight devices." and not [n for n in names if n in response.get_data(as_text=True)]
    late = call(demo, "PUT", path, first, url, json={"body": "Late."}, headers={"If-Match": f'"{read["version"]}"'})[1]
    assert late["status"] == 409 and late["detail"].startswith("The response deadline has passed.")


def test_a_reviewer_declines_a_paper_with_a_reason_and_the_chairs_are_told(demo: Flask, smtp: SMTPRecorder) -> None:
    with demo.app_context():
        ws = _workshop()
        ws.phase = Phase.REVIEWING
        rows = db.session.scalars(sa.select(ReviewAssignment).order_by(ReviewAssignment.id))
        row = next(a for a in rows if permissions.can_review(a.reviewer, a.submission))
        if row.review is not None:  # (every review of the demo is in: take this one back to a draft)
            row.review.state, row.review.submitted_at = ReviewState.DRAFT, None
        number, email = row.submission_id, row.reviewer.email
        db.session.commit()
    secret = token(demo, email)
    path, url = "/submissions/{number}/review/decline", f"/submissions/{number}/review/decline"
    wrong = call(demo, "POST", path, secret, url, json={"reason": 5})[1]
    assert (wrong["status"], wrong["errors"][0]["pointer"]) == (422, "/reason")
    smtp.clear()
    response, _ = call(demo, "POST", path, secret, url, json={"reason": "Out of my field."})
    assert response.status_code == 204
    [mail] = smtp.wait_for(1)
    assert mail["To"] == CHAIR and "declined" in mail["Subject"] and "Out of my field." in mail.get_body().get_content()
    with demo.app_context():
        assert (
            db.session.scalar(
                sa.select(ReviewAssignment).where(
                    ReviewAssignment.submission_id == number, ReviewAssignment.reviewer_id == user_id(demo, email)
                )
            )
            is None
        )
    assert call(demo, "POST", path, secret, url, json={})[1]["status"] == 404  # no longer theirs


def test_the_chairs_word_a_system_mail_and_reset_it(demo: Flask) -> None:
    secret = token(demo, CHAIR)
    _, listed = call(demo, "GET", "/mail-templates", secret)
    assert [m["kind"] for m in listed["items"]] == list(mail_templates.KINDS)
    assert all(not m["worded"] for m in listed["items"])
    path, url = "/mail-templates/{kind}", "/mail-templates/reminder"
    _, reminder = call(demo, "GET", path, secret, url)
    assert (reminder["subject"], reminder["body"]) == (mail_templates.REMINDER.subject, mail_templates.REMINDER.body)
    broken = call(demo, "PUT", path, secret, url, json={"subject": "Reminder", "body": "Dear {{ nobody.name }},"})[1]
    assert broken["status"] == 422 and broken["errors"][0]["pointer"] == "/body" and "This mail offers only" in broken["detail"]
    body = "Dear {{ reviewer.name }}, your reviews are due."
    _, saved = call(demo, "PUT", path, secret, url, json={"subject": "[LongLLM] Reviews due", "body": body})
    assert (saved["subject"], saved["body"], saved["worded"]) == ("[LongLLM] Reviews due", body, True)
    page = signed_in(demo, CHAIR).get("/chair/mails/reminder").get_data(as_text=True)
    assert "[LongLLM] Reviews due" in page
    _, reset = call(demo, "DELETE", path, secret, url)
    assert (reset["subject"], reset["worded"]) == (mail_templates.REMINDER.subject, False)
    assert call(demo, "GET", path, secret, "/mail-templates/letters")[1]["status"] == 404
    assert call(demo, "GET", "/mail-templates", token(demo, AC))[1]["status"] == 403


def test_an_area_chair_reminds_a_reviewer_asks_for_an_extra_review_and_declines_a_paper(demo: Flask, smtp: SMTPRecorder) -> None:
    mine = token(demo, AC)
    with demo.app_context():
        ac = db.session.get(User, user_id(demo, AC))
        first, second = sorted(_by_area_chair()[ac])[:2]
        late = db.session.scalar(
            sa.select(ReviewAssignment)
            .where(ReviewAssignment.submission_id == first, ReviewAssignment.suspended_at.is_(None))
            .order_by(ReviewAssignment.ordinal)
        )
        late.review.state, late.review.submitted_at = ReviewState.DRAFT, None  # (every review of the demo is in)
        ordinal, late_email = late.ordinal, late.reviewer.email
        db.session.execute(sa.delete(MetaReview).where(MetaReview.submission_id == second))
        db.session.commit()
    smtp.clear()
    remind = f"/submissions/{first}/reviewers/{ordinal}/remind"
    response, _ = call(demo, "POST", "/submissions/{number}/reviewers/{ordinal}/remind", mine, remind)
    assert response.status_code == 204
    [mail] = smtp.wait_for(1)
    assert (mail["To"], mail["Subject"], mail["Reply-To"]) == (
        late_email,
        f"[LongLLM 2024] Reminder: your review of #{first}",
        AC,
    )
    nobody = call(
        demo, "POST", "/submissions/{number}/reviewers/{ordinal}/remind", mine, f"/submissions/{first}/reviewers/99/remind"
    )
    assert nobody[1]["status"] == 404

    path, url = "/submissions/{number}/extra-review-requests", f"/submissions/{first}/extra-review-requests"
    _, asked = call(demo, "POST", path, mine, url, json={"reason": "Nobody here knows ring attention."})
    assert (asked["number"], asked["reason"], asked["done"]) == (first, "Nobody here knows ring attention.", False)
    twice = call(demo, "POST", path, mine, url, json={"reason": "Again."})[1]
    assert (twice["status"], twice["detail"]) == (
        409,
        "You have asked for an extra review of this paper already; the chairs have not yet marked it done.",
    )
    chair = token(demo, CHAIR)
    _, open_ = call(demo, "GET", "/extra-review-requests", chair)
    assert [(r["id"], r["requested_by_id"]) for r in open_["items"]][-1] == (asked["id"], user_id(demo, AC))
    done_url = f"/extra-review-requests/{asked['id']}/done"
    _, done = call(demo, "POST", "/extra-review-requests/{request_id}/done", chair, done_url)
    assert done["done"] is True and asked["id"] not in [
        r["id"] for r in call(demo, "GET", "/extra-review-requests", chair)[1]["items"]
    ]
    assert call(demo, "POST", path, mine, url, json={})[1]["status"] == 422

    # A paper whose meta-review is in is not given back; one without is, and the chairs are told.
    decline = "/submissions/{number}/area-chair/decline"
    kept = call(demo, "POST", decline, mine, f"/submissions/{first}/area-chair/decline", json={})[1]
    assert (kept["status"], kept["detail"]) == (
        409,
        "Your meta-review of this paper is submitted: ask the chairs to take you off it.",
    )
    smtp.clear()
    response, _ = call(
        demo, "POST", decline, mine, f"/submissions/{second}/area-chair/decline", json={"reason": "Too far from my field."}
    )
    assert response.status_code == 204
    [told] = smtp.wait_for(1)
    assert told["To"] == CHAIR and "Too far from my field." in told.get_body().get_content()
    listed = call(demo, "GET", "/area-chair/papers", mine)[1]["items"]
    assert second not in [p["number"] for p in listed] and first in [p["number"] for p in listed]


def test_the_chairs_remind_the_reviewers_with_unfinished_reviews_and_restore_a_suspended_assignment(
    demo: Flask, smtp: SMTPRecorder
) -> None:
    with demo.app_context():
        ws = _workshop()
        ws.phase, ws.review_deadline = Phase.REVIEWING, utcnow() + timedelta(days=3)
        rows = db.session.scalars(sa.select(ReviewAssignment).order_by(ReviewAssignment.id).limit(2)).all()
        rows[0].review.state, rows[0].review.submitted_at = ReviewState.DRAFT, None
        rows[1].suspended_at = utcnow()
        late, suspended = rows[0].reviewer.email, rows[1].id
        db.session.commit()
    secret = token(demo, CHAIR)
    smtp.clear()
    _, reminded = call(demo, "POST", "/reminders", secret)
    assert reminded == {"reminded": 1}
    [mail] = smtp.wait_for(1)
    assert mail["To"] == late and "Reminder" in mail["Subject"]
    path, url = "/assignments/{assignment_id}/restore", f"/assignments/{suspended}/restore"
    _, restored = call(demo, "POST", path, secret, url)
    assert (restored["id"], restored["suspended"]) == (suspended, False)
    again = call(demo, "POST", path, secret, url)[1]
    assert (again["status"], again["detail"]) == (409, "This assignment is not suspended.")
    assert call(demo, "POST", "/reminders", token(demo, AC))[1]["status"] == 403


def test_the_chairs_tell_the_reviewers_about_the_responses_once_the_deadline_passed(demo: Flask, smtp: SMTPRecorder) -> None:
    secret = token(demo, CHAIR)
    with demo.app_context():
        _workshop().response_deadline = utcnow() + timedelta(days=1)
        db.session.commit()
    early = call(demo, "POST", "/responses/tell", secret)[1]
    assert (early["status"], early["detail"]) == (409, "The reviewers are told once the response deadline has passed.")
    with demo.app_context():
        _workshop().response_deadline = utcnow() - timedelta(days=1)
        expected = set(
            db.session.scalars(
                sa.select(User.email)
                .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
                .join(AuthorResponse, AuthorResponse.submission_id == ReviewAssignment.submission_id)
                .where(ReviewAssignment.suspended_at.is_(None))
            )
        )
        db.session.commit()
    smtp.clear()
    _, told = call(demo, "POST", "/responses/tell", secret)
    assert told == {"told": len(expected)} and expected
    assert {m["To"] for m in smtp.wait_for(len(expected))} == expected


def test_the_chairs_read_and_change_the_reviewing_settings_with_the_pages_checks(demo: Flask) -> None:
    secret = token(demo, CHAIR)
    _, before = call(demo, "GET", "/reviewing-settings", secret)
    with demo.app_context():
        assert (before["phase"], before["reviews_per_paper"]) == (_workshop().phase.value, _workshop().reviews_per_paper)
    path = "/reviewing-settings"
    wrong = call(
        demo,
        "PATCH",
        path,
        secret,
        json={"response_opens_at": "2030-05-02T10:00:00+02:00", "response_deadline": "2030-05-01T10:00:00Z"},
    )[1]
    assert (wrong["status"], wrong["detail"]) == (
        409,
        "The author response deadline must come after the reviews are released to the authors.",
    )
    one = call(demo, "PATCH", path, secret, json={"response_opens_at": None})[1]
    assert one["detail"] == "Set both dates of the author response (when the reviews are released and the deadline), or neither."
    window = {"response_opens_at": "2030-05-01T10:00:00+02:00", "response_deadline": "2030-05-08T12:00:00+02:00"}
    _, after = call(
        demo, "PATCH", path, secret, json={**window, "response_words": 300, "weights": {"bid": 2, "topics": 1, "text": 0.5}}
    )
    assert (after["response_opens_at"], after["response_deadline"], after["response_words"]) == (
        "2030-05-01T08:00:00Z",
        "2030-05-08T10:00:00Z",
        300,
    )
    assert after["weights"] == {"bid": 2.0, "topics": 1.0, "text": 0.5}
    assert {k: v for k, v in after.items() if k not in (*window, "response_words", "weights")} == {
        k: v for k, v in before.items() if k not in (*window, "response_words", "weights")
    }
    page = signed_in(demo, CHAIR).get("/chair/reviewing").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="response_words"[^>]*value="300"', page), "the page shows the words saved"
    bad = call(demo, "PATCH", path, secret, json={"phase": "decisions", "colour": "blue"})[1]
    assert bad["status"] == 422 and {e.get("pointer") for e in bad["errors"]} == {"/phase", "/colour"}
    assert call(demo, "PATCH", path, token(demo, AC), json={})[1]["status"] == 403
