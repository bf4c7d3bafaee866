"""The chair console: who may open it; the figures, charts and progress on its home page; the submissions table
(each reviewer's cell, mean, weighted mean and spread, sorting, filters, search, pages, bulk decisions that come
back to the same view); a fixed number of SQL statements whatever the number of papers; the audit log; and the
chair who is an author of a paper, who sees nothing of it anywhere here."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db, quarter_of, utcnow
from portal.models import (
    AssignmentOrigin,
    AuditEvent,
    Decision,
    PaperScore,
    Phase,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    SubmissionType,
    User,
    Workshop,
)
from portal.services.scores import refresh_scores
from tests.conftest import SMTPRecorder, Worlds, sql_statements, text_of
from tests.factories import login, make_user

# --- the world: five papers, four reviewers, two chairs (Carla co-wrote paper B) --------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "chris": {"email": "chris@example.org", "name": "Chris Chair", "affiliation": "Chair University", "roles": ("chair",)},
    "carla": {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Carla College", "roles": ("chair",)},
    "ann": {"email": "ann@example.org", "name": "Ann Author", "affiliation": "Alpha University"},
    "ben": {"email": "ben@example.org", "name": "Ben Bauthor", "affiliation": "Beta Lab"},
    "otto": {"email": "otto@example.org", "name": "Otto Other", "affiliation": "Omega College"},
    "rita": {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Rita Institute", "roles": ("reviewer",)},
    "rex": {"email": "rex@example.org", "name": "Rex Reader", "affiliation": "Rex Polytechnic", "roles": ("reviewer",)},
    "una": {"email": "una@example.org", "name": "Una Unhurried", "affiliation": "Una Academy", "roles": ("reviewer",)},
    "ray": {"email": "ray@example.org", "name": "Ray Ranker", "affiliation": "Ray Centre", "roles": ("reviewer",)},
}
ARCH, TRAINING, EMBEDDINGS = "architecture", "efficient-training", "embeddings"
ARCH_TITLE = "Novel architecture design of Large Language Models to capture long dependency"
TRAINING_TITLE = "Efficient training methods for Large Language Models to attend on long context"
# (reviewer, state, recommendation, confidence); state None: assigned, not started.
PAPERS: dict[str, dict[str, Any]] = {
    "ring": {
        "title": "Ring attention beyond a million tokens",
        "topic": ARCH,
        "state": "submitted",
        "authors": ["ann"],
        "reviews": [("rita", "submitted", 4, 3), ("rex", "submitted", 2, 5), ("una", "submitted", 5, 1), ("ray", "draft", 1, 1)],
    },
    "sparse": {
        "title": "Sparse memory for long documents",
        "topic": TRAINING,
        "state": "submitted",
        "authors": ["ben", "carla"],
        "decision": "accepted",
        "reviews": [("rita", "submitted", 5, 4), ("rex", "submitted", 4, 2), ("una", "submitted", 4, 4)],
    },
    "interp": {
        "title": "Position interpolation revisited",
        "topic": ARCH,
        "state": "submitted",
        "authors": ["ann", "otto"],
        "reviews": [("ray", None, None, None), ("una", None, None, None)],
    },
    "gone": {
        "title": "Withdrawn thoughts on recurrence",
        "topic": EMBEDDINGS,
        "state": "withdrawn",
        "authors": ["ann"],
        "reviews": [],
    },
    "idea": {
        "title": "Only an abstract about retrieval",
        "topic": TRAINING,
        "state": "abstract",
        "authors": ["ben"],
        "reviews": [],
    },
}


def reviewed_at() -> datetime:
    """When the world's reviews came in: 05:00 UTC yesterday, which is the day before in AoE (UTC-12)."""
    return (utcnow() - timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)


def add_paper(
    ws: Workshop, spec: dict[str, Any], users: dict[str, User], topics: dict[str, int], reviewed: datetime
) -> Submission:
    now = utcnow()
    state = SubmissionState(spec["state"])
    sub = Submission(
        workshop_id=ws.id,
        submitter_id=users[spec["authors"][0]].id,
        type_id=db.session.scalar(sa.select(SubmissionType.id)),
        primary_topic_id=topics[spec["topic"]],
        title=spec["title"],
        abstract="Long contexts.",
        state=state,
        submitted_at=now - timedelta(days=10) if state != SubmissionState.ABSTRACT else None,
        withdrawn_at=now - timedelta(days=5) if state == SubmissionState.WITHDRAWN else None,
        decision=Decision(spec["decision"]) if spec.get("decision") else None,
        authors=[
            SubmissionAuthor(position=i, name=users[k].name, email=users[k].email, affiliation=users[k].affiliation)
            for i, k in enumerate(spec["authors"], start=1)
        ],
    )
    db.session.add(sub)
    db.session.flush()
    for ordinal, (who, review_state, rec, conf) in enumerate(spec["reviews"], start=1):
        assignment = ReviewAssignment(
            submission_id=sub.id, reviewer_id=users[who].id, ordinal=ordinal, origin=AssignmentOrigin.MANUAL
        )
        db.session.add(assignment)
        if review_state:
            done = review_state == "submitted"
            db.session.add(
                Review(
                    assignment=assignment,
                    state=ReviewState(review_state),
                    recommendation=rec,
                    confidence=conf,
                    submitted_at=reviewed if done else None,
                )
            )
    refresh_scores([sub.id])  # what the reviewing services do after each change
    return sub


@pytest.fixture
def world(app: Flask, worlds: Worlds) -> dict[str, int]:
    return worlds.get(app, build)


def build(app: Flask) -> dict[str, int]:
    """The people and papers above; returns the papers' numbers and the topics' ids by key."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.phase = Phase.REVIEWING
        ws.review_deadline = utcnow() + timedelta(days=7)
        users = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        topics = {t.slug: t.id for t in ws.topics}
        at = reviewed_at()
        ids = {key: add_paper(ws, spec, users, topics, at).id for key, spec in PAPERS.items()}
        db.session.commit()
        return {**ids, **{f"topic:{slug}": topics[slug] for slug in (ARCH, TRAINING, EMBEDDINGS)}}


# --- helpers --------------------------------------------------------------------------------------------


def client_for(app: Flask, key: str) -> FlaskClient:
    client = app.test_client()
    login(client, PEOPLE[key]["email"])
    return client


def clean(fragment: str) -> str:
    fragment = re.sub(r"(?i)<br\s*/?>", " ", fragment)
    fragment = re.sub(r"(?s)<[^>]+>", "", fragment)
    return re.sub(r"\s+", " ", html_lib.unescape(fragment)).strip()


def table_rows(response: TestResponse) -> list[list[str]]:
    """The submissions table's rows, each as the text of its cells (tick, #, title, topic, authors, reviews,
    recommendation/confidence, mean, weighted, spread, decision)."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return [
        [clean(cell) for cell in re.findall(r"(?s)<t[dh]\b[^>]*>(.*?)</t[dh]>", row)]
        for row in re.findall(r'(?s)<tr id="paper-\d+"[^>]*>(.*?)</tr>', html)
    ]


def numbers(response: TestResponse) -> list[int]:
    return [int(row[1]) for row in table_rows(response)]


def column(response: TestResponse, index: int) -> list[str]:
    return [row[index] for row in table_rows(response)]


def ticked(app: Flask, *numbers: int) -> list[str]:
    """The bulk form's ticked rows, each with the version of the paper the page showed ("12:3")."""
    with app.app_context():
        return [f"{n}:{db.session.get(Submission, n).version}" for n in numbers]


def token(client: FlaskClient) -> str:
    html = client.get("/chair/submissions").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def hidden_input(response: TestResponse, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.get_data(as_text=True))
    assert match, f"no hidden {name}"
    return html_lib.unescape(match.group(1))


def audit_rows(response: TestResponse) -> list[tuple[str, str, str]]:
    """The audit log's entries, newest first, as (who, kind, what)."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    body = re.search(r"(?s)<tbody>(.*?)</tbody>", html).group(1)  # type: ignore[union-attr]
    rows = [[clean(c) for c in re.findall(r"(?s)<td\b[^>]*>(.*?)</td>", row)] for row in re.findall(r"(?s)<tr>(.*?)</tr>", body)]
    return [(who, kind, what) for _when, who, kind, what in (r for r in rows if len(r) == 4)]


def version_of(app: Flask, number: int) -> int:
    with app.app_context():
        return db.session.get(Submission, number).version  # type: ignore[union-attr]


def user_id(app: Flask, key: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == PEOPLE[key]["email"]))  # type: ignore[return-value]


def decide(client: FlaskClient, number: int, decision: str, version: int, note: str = "") -> TestResponse:
    return client.post(
        f"/chair/decisions/{number}",
        data={"csrf_token": token(client), "decision": decision, "version": str(version), "note": note, "presentation": ""},
        follow_redirects=True,
    )


def assign(client: FlaskClient, number: int, reviewer_id: int) -> TestResponse:
    return client.post(
        "/chair/assignments/add",
        data={"csrf_token": token(client), "number": str(number), "reviewer": str(reviewer_id)},
        follow_redirects=True,
    )


def grant_role(client: FlaskClient, target_id: int, role: str) -> TestResponse:
    return client.post(
        f"/members/{target_id}/role", data={"csrf_token": token(client), "role": role, "grant": "1"}, follow_redirects=True
    )


def count_statements(app: Flask, client: FlaskClient, url: str) -> tuple[int, TestResponse]:
    """How many SQL statements one request issues (the sign-in's user load included)."""
    with sql_statements(app) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), response


def add_many_papers(count: int, reviewer_ids: list[int]) -> list[int]:
    """``count`` submitted papers in bulk, one author each, each with a submitted review from every one of
    ``reviewer_ids`` (Reviewer 1, 2, ... in that order). Returns their numbers."""
    ws = db.session.scalar(sa.select(Workshop))
    type_id = db.session.scalar(sa.select(SubmissionType.id))
    topic_ids = [t.id for t in ws.topics]
    now = utcnow()
    first = (db.session.scalar(sa.select(sa.func.max(Submission.id))) or 0) + 1
    ids = list(
        db.session.scalars(
            sa.insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
            [
                {
                    "workshop_id": ws.id,
                    "type_id": type_id,
                    "primary_topic_id": topic_ids[i % len(topic_ids)],
                    "title": f"Bulk paper {first + i}",
                    "abstract": "Long contexts.",
                    "state": SubmissionState.SUBMITTED,
                    "submitted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(count)
            ],
        )
    )
    db.session.execute(
        sa.insert(SubmissionAuthor),
        [
            {
                "submission_id": sid,
                "position": 1,
                "name": f"Bulk Author {sid}",
                "email": f"bulk{sid}@example.org",
                "affiliation": "Bulk University",
            }
            for sid in ids
        ],
    )
    if not reviewer_ids:
        return ids
    pairs = [(sid, ordinal, rid) for sid in ids for ordinal, rid in enumerate(reviewer_ids, start=1)]
    assignment_ids = list(
        db.session.scalars(
            sa.insert(ReviewAssignment).returning(ReviewAssignment.id, sort_by_parameter_order=True),
            [
                {
                    "submission_id": sid,
                    "reviewer_id": rid,
                    "ordinal": ordinal,
                    "origin": AssignmentOrigin.MANUAL,
                    "created_at": now,
                }
                for sid, ordinal, rid in pairs
            ],
        )
    )
    db.session.execute(
        sa.insert(Review),
        [
            {
                "assignment_id": aid,
                "state": ReviewState.SUBMITTED,
                "recommendation": (sid + ordinal) % 5 + 1,
                "confidence": (sid * ordinal) % 5 + 1,
                "submitted_at": now,
                "submitted_quarter": quarter_of(now),
                "created_at": now,
                "updated_at": now,
            }
            for aid, (sid, ordinal, _) in zip(assignment_ids, pairs, strict=True)
        ],
    )
    refresh_scores(ids)
    return ids


# --- who may open the console ---------------------------------------------------------------------------

CONSOLE_URLS = ["/chair/", "/chair/submissions?q=ring", "/chair/audit"]


@pytest.mark.parametrize("who", [None, "ann", "rita"], ids=["anonymous", "author", "reviewer"])
@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_console_pages_are_for_chairs_only(app: Flask, world: dict[str, int], url: str, who: str | None) -> None:
    client = client_for(app, who) if who else app.test_client()
    response = client.get(url)
    html = response.get_data(as_text=True)
    for secret in ("Ring attention", "Sparse memory", "Rex Reader", "Reviews submitted", "Audit log"):
        assert secret not in html
    if who is None:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/auth/login?next={quote(url, safe='')}"
        return
    assert response.status_code == 403
    page = text_of(response)
    assert "Error 403 Not allowed You do not have permission to do this." in page
    assert f"{PEOPLE[who]['name']} Sign out" in page


# --- the console home -----------------------------------------------------------------------------------


def test_home_shows_the_figures_and_progress_of_a_known_world(app: Flask, world: dict[str, int]) -> None:
    page = text_of(client_for(app, "chris").get("/chair/"))
    assert "You are an author of" not in page
    glance = page[page.index("At a glance") : page.index("Charts")]
    assert glance.startswith(
        "At a glance Submitted papers 3 Abstracts without a paper 1 Withdrawn 1 Reviews submitted 6 of 9 "
        "Papers short of 3 reviewers 1 Reviewers disagree (spread ≥ 2) 1 Accepted 1 Rejected 0 Undecided 2 "
        # 6 of the 9 assignments are in: 66.7 %, shown without decimals.
        "Reviewing progress 66 % 66 % of the assigned reviews are in (6 of 9; 1 draft started); the review "
        "deadline is "
    )
    # Before the deadline: who still owes reviews (Ray: a draft and one not started; Una: one not started).
    assert glance.endswith(
        "Reviewers with unfinished reviews 2 reviewers have unfinished reviews. Send reminders "
        "Reviewer Unfinished Ray Ranker 2 Una Unhurried 1 "
    )
    # The draft's "1 Strong reject" is not counted; the submitted 4, 2, 5 / 5, 4, 4 are.
    assert (
        "Recommendations Recommendation Reviews 1 Strong reject 0 2 Weak reject 1 3 Borderline 0 "
        "4 Weak accept 3 5 Strong accept 2"
    ) in page
    # Submitted papers only: the withdrawn (embeddings) and the abstract (training) are not counted.
    assert (
        f"Papers per topic Topic Papers {ARCH_TITLE} 2 {TRAINING_TITLE} 1 Embedding-based methods for Large "
        "Language Model pre-training on long context dependency 0 Resources and Evaluations 0 Hardware-aware "
        "Optimization 0 Augmentation-based language models 0 Others 0"
    ) in page


def test_home_lists_late_reviewers_once_the_review_deadline_has_passed(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).review_deadline = utcnow() - timedelta(hours=1)  # type: ignore[union-attr]
        db.session.commit()
    page = text_of(client_for(app, "chris").get("/chair/"))
    late = page[page.index("Late reviewers") : page.index("Charts")]
    assert late == (
        "Late reviewers 2 reviewers have unfinished reviews past the deadline. Send reminders "
        "Reviewer Unfinished Ray Ranker 2 Una Unhurried 1 "
    )


def svg_charts(response: TestResponse) -> dict[str, tuple[str, str]]:
    """Each chart by id: its (title, desc); only charts that are labelled images count."""
    html = response.get_data(as_text=True)
    charts = {}
    for chart_id, title_id, desc_id, body in re.findall(
        r'(?s)<svg class="chart" id="([^"]+)"[^>]* role="img" aria-labelledby="(\S+) (\S+)"[^>]*>(.*?)</svg>', html
    ):
        title = re.search(rf'<title id="{title_id}">([^<]*)</title>', body)
        desc = re.search(rf'<desc id="{desc_id}">([^<]*)</desc>', body)
        assert title and desc, chart_id
        charts[chart_id] = (html_lib.unescape(title.group(1)), html_lib.unescape(desc.group(1)))
    return charts


def test_home_charts_are_labelled_images_carrying_their_numbers(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        at = db.session.scalar(sa.select(sa.func.min(Review.submitted_at)))
        days = [(at - timedelta(hours=12) + timedelta(days=n)).date() for n in (-1, 0, 1)]  # in AoE (UTC-12)
    response = client_for(app, "chris").get("/chair/")
    charts = svg_charts(response)
    assert sorted(charts) == ["chart-days", "chart-recommendations", "chart-topics"]
    assert charts["chart-recommendations"] == (
        "Recommendations in submitted reviews",
        "1 Strong reject: 0; 2 Weak reject: 1; 3 Borderline: 0; 4 Weak accept: 3; 5 Strong accept: 2",
    )
    assert charts["chart-topics"] == (
        "Submitted papers per primary topic",
        f"{ARCH_TITLE}: 2; {TRAINING_TITLE}: 1; Embedding-based methods for Large Language Model pre-training on "
        "long context dependency: 0; Resources and Evaluations: 0; Hardware-aware Optimization: 0; "
        "Augmentation-based language models: 0; Others: 0",
    )
    title, desc = charts["chart-days"]
    assert title == "Reviews submitted per day, last 21 days (AoE)"
    # The six reviews came in at 05:00 UTC, the evening before in AoE: they count on the AoE day.
    assert f"{days[0]:%m-%d}: 0; {days[1]:%m-%d}: 6; {days[2]:%m-%d}: 0" in desc
    assert len(desc.split("; ")) == 21
    table = text_of(response).split("Reviews submitted per day Day Reviews ")[1]  # the table beside the chart
    assert f"{days[0].isoformat()} 0 {days[1].isoformat()} 6 {days[2].isoformat()} 0 " in table


def test_reviews_per_day_follow_the_workshops_zone_across_a_daylight_saving_change(app: Flask, world: dict[str, int]) -> None:
    """Berlin moves from UTC+1 to UTC+2 on 29 March 2026: a review at 22:30 UTC on 27 March (23:30 in Berlin)
    belongs to the 27th, one at 22:30 UTC on 30 March (00:30 in Berlin) to the 31st."""
    from portal.services.console import overview

    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.timezone = "Europe/Berlin"
        reviews = db.session.scalars(sa.select(Review).where(Review.state == ReviewState.SUBMITTED).order_by(Review.id)).all()
        for review, at in zip(
            reviews, (datetime(2026, 3, 27, 22, 30, tzinfo=UTC), datetime(2026, 3, 30, 22, 30, tzinfo=UTC)), strict=False
        ):
            review.submitted_at = at
        for review in reviews[2:]:
            review.submitted_at = datetime(2026, 1, 1, tzinfo=UTC)  # outside the three weeks shown
        db.session.flush()
        chris = db.session.scalar(sa.select(User).where(User.email == "chris@example.org"))
        per_day = dict(overview(ws, chris, now=datetime(2026, 4, 5, 12, tzinfo=UTC)).per_day)
        db.session.rollback()
    assert {day: n for day, n in per_day.items() if n} == {"2026-03-27": 1, "2026-03-31": 1}
    assert min(per_day) == "2026-03-16" and max(per_day) == "2026-04-05"


def test_reviews_per_day_leave_out_the_viewers_own_papers_and_withdrawn_ones(app: Flask, world: dict[str, int]) -> None:
    """Six reviews came in yesterday: three of "ring", three of "sparse", which Carla co-wrote."""
    from portal.services.console import overview

    def reviews_counted(key: str) -> int:
        with app.app_context():
            ws = db.session.scalar(sa.select(Workshop))
            viewer = db.session.scalar(sa.select(User).where(User.email == PEOPLE[key]["email"]))
            return sum(n for _, n in overview(ws, viewer).per_day)  # type: ignore[arg-type]

    assert (reviews_counted("chris"), reviews_counted("carla")) == (6, 3)
    with app.app_context():
        ring = db.session.get(Submission, world["ring"])
        ring.state, ring.withdrawn_at = SubmissionState.WITHDRAWN, utcnow()  # type: ignore[union-attr]
        db.session.commit()
    assert (reviews_counted("chris"), reviews_counted("carla")) == (3, 0)


# --- the submissions table ------------------------------------------------------------------------------


def test_table_shows_each_review_and_the_aggregates(app: Flask, world: dict[str, int]) -> None:
    rows = table_rows(client_for(app, "chris").get("/chair/submissions"))
    ring, sparse, interp, gone, idea = (world[k] for k in ("ring", "sparse", "interp", "gone", "idea"))
    # Ring: 4/3, 2/5, 5/1 submitted and a draft (1/1) that counts for nothing but "missing".
    # Mean (4+2+5)/3 = 3.67; weighted (4*3 + 2*5 + 5*1)/(3+5+1) = 27/9 = 3.00; spread 5-2 = 3.
    # Sparse: 5/4, 4/2, 4/4. Mean 13/3 = 4.33; weighted (20+8+16)/10 = 4.40; spread 1.
    assert rows == [
        [
            f"Tick #{ring}",
            str(ring),
            "Ring attention beyond a million tokens",
            ARCH_TITLE,
            "Ann Author",
            "3/4",
            "R1: 4/3, R2: 2/5, R3: 5/1, R4: draft 1 review missing; reviewers disagree",
            "3.67",
            "3.00",
            "3",
            "—",
        ],
        [
            f"Tick #{sparse}",
            str(sparse),
            "Sparse memory for long documents",
            TRAINING_TITLE,
            "Ben Bauthor, Carla Chair",
            "3/3",
            "R1: 5/4, R2: 4/2, R3: 4/4",
            "4.33",
            "4.40",
            "1",
            "accepted",
        ],
        [
            f"Tick #{interp}",
            str(interp),
            "Position interpolation revisited",
            ARCH_TITLE,
            "Ann Author, Otto Other",
            "0/2",
            "R1: not started, R2: not started 2 reviews missing; 2 of 3 reviewers assigned",
            "—",
            "—",
            "—",
            "—",
        ],
        [
            "",
            str(gone),
            "Withdrawn thoughts on recurrence withdrawn",
            "Embedding-based methods for Large Language Model pre-training on long context dependency",
            "Ann Author",
            "0/0",
            "no reviewers",
            "—",
            "—",
            "—",
            "—",
        ],
        [
            "",
            str(idea),
            "Only an abstract about retrieval abstract",
            TRAINING_TITLE,
            "Ben Bauthor",
            "0/0",
            "no reviewers",
            "—",
            "—",
            "—",
            "—",
        ],
    ]


def test_table_sorts_by_mean_both_ways_with_unreviewed_papers_last(app: Flask, world: dict[str, int]) -> None:
    chris = client_for(app, "chris")
    descending = chris.get("/chair/submissions?sort=mean&dir=desc")
    assert column(descending, 7) == ["4.33", "3.67", "—", "—", "—"]
    assert numbers(descending)[:2] == [world["sparse"], world["ring"]]
    ascending = chris.get("/chair/submissions?sort=mean")
    assert column(ascending, 7) == ["3.67", "4.33", "—", "—", "—"]
    assert column(chris.get("/chair/submissions?sort=weighted&dir=desc"), 8) == ["4.40", "3.00", "—", "—", "—"]
    assert column(chris.get("/chair/submissions?sort=spread&dir=desc"), 9) == ["3", "1", "—", "—", "—"]


@pytest.mark.parametrize(
    ("args", "expected", "summary"),
    [
        ({"topic": f"topic:{ARCH}"}, ["ring", "interp"], "2 submissions."),
        ({"state": "withdrawn"}, ["gone"], "1 submission."),
        ({"state": "abstract"}, ["idea"], "1 submission."),
        ({"decision": "accepted"}, ["sparse"], "1 submission."),
        ({"decision": "undecided"}, ["ring", "interp"], "2 submissions."),  # submitted papers only
        ({"attention": "1"}, ["ring", "interp"], "2 submissions."),  # missing reviews, disagreement (3 ≥ 2)
        ({"topic": f"topic:{TRAINING}", "state": "submitted"}, ["sparse"], "1 submission."),
        ({"q": "SPARSE"}, ["sparse"], "1 submission."),  # a title word, any case
        ({"q": "interpolation"}, ["interp"], "1 submission."),
        ({"q": "otto"}, ["interp"], "1 submission."),  # an author's name
        ({"q": "Ann Author"}, ["ring", "interp", "gone"], "3 submissions."),
        ({"q": "#interp"}, ["interp"], "1 submission."),  # "#<number>"
        ({"q": "#ring", "state": "submitted", "decision": "accepted"}, [], "0 submissions."),
        ({"q": "_"}, [], "0 submissions."),  # LIKE's wildcards match only themselves
        ({"q": "%"}, [], "0 submissions."),
    ],
    ids=[
        "topic",
        "withdrawn",
        "abstract",
        "accepted",
        "undecided",
        "attention",
        "topic+state",
        "title",
        "title-2",
        "author",
        "author-full",
        "number",
        "number+filters",
        "underscore",
        "percent",
    ],
)
def test_table_filters_and_search(
    app: Flask, world: dict[str, int], args: dict[str, str], expected: list[str], summary: str
) -> None:
    def resolve(value: str) -> str:
        if value.startswith("topic:"):
            return str(world[value])
        if value.startswith("#"):
            return f"#{world[value[1:]]}"
        return value

    response = client_for(app, "chris").get("/chair/submissions", query_string={k: resolve(v) for k, v in args.items()})
    assert numbers(response) == [world[k] for k in expected]
    page = text_of(response)
    assert summary in page
    if not expected:
        assert "No submission matches." in page


def test_table_pages_hold_fifty_and_a_page_past_the_end_shows_the_last(app: Flask) -> None:
    with app.app_context():
        make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        ids = add_many_papers(60, [])
        titles = dict(db.session.execute(sa.select(Submission.id, sa.func.lower(Submission.title))).all())
        db.session.commit()
    chris = client_for(app, "chris")
    first = chris.get("/chair/submissions")
    assert numbers(first) == ids[:50]
    assert "60 submissions; page 1 of 2." in text_of(first)
    second = chris.get("/chair/submissions?page=2")
    assert numbers(second) == ids[50:]
    assert "60 submissions; page 2 of 2." in text_of(second)
    assert "Previous Page 2 of 2" in text_of(second)
    beyond = chris.get("/chair/submissions?page=99")
    assert numbers(beyond) == ids[50:]
    assert "60 submissions; page 2 of 2." in text_of(beyond)
    # Sorted by title descending, page 2 holds the last ten titles of that order (the sort survives paging).
    by_title = sorted(ids, key=titles.__getitem__, reverse=True)
    assert numbers(chris.get("/chair/submissions?sort=title&dir=desc&page=2")) == by_title[50:]


def test_home_and_table_issue_as_many_statements_for_2000_papers_as_for_20(app: Flask) -> None:
    with app.app_context():
        make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        reviewers = [make_user(roles=("reviewer",)).id for _ in range(3)]
        add_many_papers(20, reviewers)
        db.session.commit()
    chris = client_for(app, "chris")
    small = {url: count_statements(app, chris, url) for url in ("/chair/", "/chair/submissions?sort=mean&dir=desc")}
    with app.app_context():
        add_many_papers(1980, reviewers)
        db.session.commit()
    large = {url: count_statements(app, chris, url) for url in small}
    assert {u: n for u, (n, _) in large.items()} == {u: n for u, (n, _) in small.items()}
    # The pages did see the papers.
    assert "Submitted papers 2000 " in text_of(large["/chair/"][1])
    assert "Reviews submitted 6000 of 6000" in text_of(large["/chair/"][1])
    assert "2000 submissions; page 1 of 40." in text_of(large["/chair/submissions?sort=mean&dir=desc"][1])
    assert len(table_rows(large["/chair/submissions?sort=mean&dir=desc"][1])) == 50


# --- the chair who is an author -------------------------------------------------------------------------


def test_chair_who_wrote_a_paper_sees_none_of_it_in_the_table_or_the_figures(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():  # Ray is also assigned Sparse and has not started: that must not show either
        ray = db.session.scalar(sa.select(User).where(User.email == "ray@example.org"))
        db.session.add(ReviewAssignment(submission_id=world["sparse"], reviewer=ray, ordinal=4, origin=AssignmentOrigin.MANUAL))
        refresh_scores([world["sparse"]])
        db.session.commit()
    chris = text_of(client_for(app, "chris").get("/chair/"))
    assert "Reviews submitted 6 of 10 " in chris
    assert "Reviewer Unfinished Ray Ranker 3 Una Unhurried 1 " in chris
    carla = client_for(app, "carla")  # a co-author of "Sparse memory for long documents"
    table = carla.get("/chair/submissions")
    assert numbers(table) == [world[k] for k in ("ring", "interp", "gone", "idea")]
    for q, expected in (("sparse", []), (f"#{world['sparse']}", []), ("Ben Bauthor", [world["idea"]])):
        found = carla.get("/chair/submissions", query_string={"q": q})
        assert numbers(found) == expected, q
        assert "Sparse memory" not in found.get_data(as_text=True)
    assert numbers(carla.get("/chair/submissions?decision=accepted")) == []
    home = carla.get("/chair/")
    html, page = home.get_data(as_text=True), text_of(home)
    assert "Sparse memory" not in html
    assert (
        "You are conflicted with 1 paper (an author, or a conflict the authors or the chairs declared): it is left "
        "out of every figure and list here."
    ) in page
    assert (
        "At a glance Submitted papers 2 Abstracts without a paper 1 Withdrawn 1 Reviews submitted 3 of 6 "
        "Papers short of 3 reviewers 1 Reviewers disagree (spread ≥ 2) 1 Accepted 0 Rejected 0 "
        "Undecided 2"
    ) in page
    # Only Ring's three submitted reviews (4, 2, 5): Sparse's 5, 4, 4 are left out.
    assert ("Recommendation Reviews 1 Strong reject 0 2 Weak reject 1 3 Borderline 0 4 Weak accept 1 5 Strong accept 1") in page
    assert "Reviewer Unfinished Ray Ranker 2 Una Unhurried 1 " in page
    assert svg_charts(home)["chart-recommendations"][1] == (
        "1 Strong reject: 0; 2 Weak reject: 1; 3 Borderline: 0; 4 Weak accept: 1; 5 Strong accept: 1"
    )
    assert svg_charts(home)["chart-topics"][1].startswith(f"{ARCH_TITLE}: 2; {TRAINING_TITLE}: 0; ")


def test_chair_who_wrote_a_paper_does_not_see_its_events_in_the_audit_log(app: Flask, world: dict[str, int]) -> None:
    sparse, ring = world["sparse"], world["ring"]
    chris = client_for(app, "chris")
    decide(chris, sparse, "rejected", version_of(app, sparse), note="Sparse is out of scope.")
    assign(chris, sparse, user_id(app, "ray"))
    decide(chris, ring, "accepted", version_of(app, ring))
    grant_role(chris, user_id(app, "otto"), "reviewer")
    everything = audit_rows(chris.get("/chair/audit"))
    assert everything == [
        ("Chris Chair", "role.grant", "Made Otto Other <otto@example.org> a reviewer"),
        ("Chris Chair", "decision.record", f"#{ring}: accepted · #{ring}"),
        ("Chris Chair", "assignment.add", f"Assigned Ray Ranker to #{sparse} as Reviewer 4 · #{sparse}"),
        ("Chris Chair", "decision.record", f"#{sparse}: rejected · #{sparse} Note: Sparse is out of scope."),
    ]
    carla = client_for(app, "carla")
    seen = carla.get("/chair/audit")
    assert audit_rows(seen) == everything[:2]
    assert "2 entries." in text_of(seen)
    assert "out of scope" not in seen.get_data(as_text=True)
    for q in (f"#{sparse}", "Ray Ranker", "rejected"):
        searched = carla.get("/chair/audit", query_string={"q": q})
        assert audit_rows(searched) == []
        assert f"0 entries matching “{q}”. " in text_of(searched)


# --- bulk decisions from the table ----------------------------------------------------------------------


def test_bulk_decision_from_the_table_comes_back_to_the_same_view(app: Flask, world: dict[str, int]) -> None:
    chris = client_for(app, "chris")
    view = f"/chair/submissions?topic={world[f'topic:{ARCH}']}&sort=title&dir=desc"
    page = chris.get(view)
    assert numbers(page) == [world["ring"], world["interp"]]
    assert hidden_input(page, "next") == view
    response = chris.post(
        "/chair/decisions/bulk",
        data={
            "csrf_token": hidden_input(page, "csrf_token"),
            "next": hidden_input(page, "next"),
            "decision": "rejected",
            "selected": ticked(app, world["ring"], world["interp"]),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == view
    back = chris.get(response.headers["Location"])
    assert "2 papers marked rejected." in text_of(back)
    assert [(row[1], row[10]) for row in table_rows(back)] == [
        (str(world["ring"]), "rejected"),
        (str(world["interp"]), "rejected"),
    ]
    assert column(chris.get("/chair/submissions?decision=undecided"), 1) == []


def test_bulk_decision_with_a_foreign_next_goes_to_the_decisions_page(app: Flask, world: dict[str, int]) -> None:
    chris = client_for(app, "chris")
    response = chris.post(
        "/chair/decisions/bulk",
        data={
            "csrf_token": token(chris),
            "next": "https://evil.example/",
            "decision": "accepted",
            "selected": ticked(app, world["interp"]),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/chair/decisions"
    assert numbers(chris.get("/chair/submissions?decision=accepted")) == [world["sparse"], world["interp"]]


# --- the audit log --------------------------------------------------------------------------------------


def test_audit_log_lists_chair_actions_and_finds_them_by_words_actor_and_kind(app: Flask, world: dict[str, int]) -> None:
    ring, interp = world["ring"], world["interp"]
    chris, carla = client_for(app, "chris"), client_for(app, "carla")
    assert f"#{ring}: rejected." in text_of(
        decide(chris, ring, "rejected", version_of(app, ring), note="Too narrow for a long-context workshop.")
    )
    assert f"Rex Reader reviews #{interp} as Reviewer 3." in text_of(assign(chris, interp, user_id(app, "rex")))
    assert "Otto Other is now a reviewer." in text_of(grant_role(carla, user_id(app, "otto"), "reviewer"))

    log = chris.get("/chair/audit")
    role = ("Carla Chair", "role.grant", "Made Otto Other <otto@example.org> a reviewer")
    assignment = ("Chris Chair", "assignment.add", f"Assigned Rex Reader to #{interp} as Reviewer 3 · #{interp}")
    decision = ("Chris Chair", "decision.record", f"#{ring}: rejected · #{ring} Note: Too narrow for a long-context workshop.")
    assert audit_rows(log) == [role, assignment, decision]
    assert "3 entries." in text_of(log)
    searches = {
        "rex": [assignment],  # a word of the summary
        "REVIEWER 3": [assignment],
        "carla": [role],  # the actor's name
        "chris chair": [assignment, decision],
        "otto@example": [role],
        "nobody": [],
    }
    for q, expected in searches.items():
        assert audit_rows(chris.get("/chair/audit", query_string={"q": q})) == expected, q
    decisions = chris.get("/chair/audit?kind=decision")
    assert audit_rows(decisions) == [decision]
    assert "1 entry." in text_of(decisions)
    assert audit_rows(chris.get("/chair/audit?kind=role&q=otto")) == [role]
    assert audit_rows(chris.get("/chair/audit?kind=not-a-kind")) == [role, assignment, decision]


def test_refused_actions_leave_no_audit_entry(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    sparse, interp, ring = world["sparse"], world["interp"], world["ring"]
    chris = client_for(app, "chris")
    chris.post("/chair/letters", data={"csrf_token": token(chris), "accept_letter": "", "reject_letter": ""})
    sent = chris.post("/chair/letters/send", data={"csrf_token": token(chris), "confirm": "1"}, follow_redirects=True)
    assert "1 letter sent to the authors." in text_of(sent)
    before = audit_rows(chris.get("/chair/audit"))
    assert [kind for _, kind, _ in before] == ["letters.send", "letters.prepare"]

    final = decide(chris, sparse, "rejected", version_of(app, sparse))  # its letter is sent
    assert f"The letter for #{sparse} is sent; its decision is final." in text_of(final)
    stale = decide(chris, interp, "accepted", version_of(app, interp) + 5)  # another chair changed it since
    assert (
        f"Another chair changed #{interp} after you opened this page. Reload to see their decision, then decide "
        "again. Nothing was saved."
    ) in text_of(stale)
    twice = assign(chris, ring, user_id(app, "rex"))  # Rex reviews Ring already
    assert f"Rex Reader already reviews #{ring}." in text_of(twice)
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == "carla@example.org")).is_chair = False  # type: ignore[union-attr]
        db.session.commit()
    refused = chris.post(
        f"/members/{user_id(app, 'chris')}/role",
        data={"csrf_token": token(chris), "role": "chair", "grant": "0"},
        follow_redirects=True,
    )
    assert "Chris Chair is the last chair; make someone else a chair first." in text_of(refused)

    assert audit_rows(chris.get("/chair/audit")) == before
    with app.app_context():
        assert db.session.get(Submission, sparse).decision == Decision.ACCEPTED  # type: ignore[union-attr]
        assert db.session.get(Submission, interp).decision is None  # type: ignore[union-attr]


def test_audit_log_pages_hold_fifty_newest_first(app: Flask) -> None:
    with app.app_context():
        make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        start = utcnow() - timedelta(days=1)
        db.session.execute(
            sa.insert(AuditEvent),
            [
                {
                    "at": start + timedelta(minutes=n),
                    "actor_name": "the system",
                    "action": "settings.reviewing",
                    "summary": f"Change number {n}",
                    "details": {},
                }
                for n in range(1, 61)
            ],
        )
        db.session.commit()
    chris = client_for(app, "chris")
    first = chris.get("/chair/audit")
    assert [what for _, _, what in audit_rows(first)] == [f"Change number {n}" for n in range(60, 10, -1)]
    assert "60 entries." in text_of(first)
    assert "Page 1 of 2 Older" in text_of(first)
    second = chris.get("/chair/audit?page=2")
    assert [what for _, _, what in audit_rows(second)] == [f"Change number {n}" for n in range(10, 0, -1)]
    assert "Newer Page 2 of 2" in text_of(second)
    assert audit_rows(chris.get("/chair/audit?page=9")) == audit_rows(second)


def test_odd_numbers_in_urls_and_queries_are_not_found_never_an_error(app: Flask, world: dict[str, int]) -> None:
    chris = client_for(app, "chris")
    for url in ("/chair/papers/99999999999999999999", "/chair/papers/2147483648", "/submissions/99999999999999999999"):
        response = chris.get(url)
        assert (response.status_code, "Page not found" in text_of(response)) == (404, True), url
    everything = numbers(chris.get("/chair/submissions"))
    for query, expected in (
        ("q=%C2%B2", []),
        ("q=%2399999999999999999999", []),
        ("q=2147483648&page=abc", []),
        ("topic=99999999999999999999", everything),
    ):  # an impossible topic is no filter
        response = chris.get(f"/chair/submissions?{query}")
        assert (response.status_code, numbers(response)) == (200, expected), query


def test_the_reviewing_services_keep_the_paper_scores_equal_to_the_reviews(app: Flask, world: dict[str, int]) -> None:
    """Assign, review (draft, submit, edit) and unassign through the services: after each change the kept scores
    the console sorts by are exactly what the reviews add up to."""
    from portal.services import assignments, reviews
    from portal.services.scores import COLUMNS, aggregate

    def kept_and_fresh() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        kept = sorted(tuple(r) for r in db.session.execute(sa.select(*(getattr(PaperScore, c) for c in COLUMNS))))
        return kept, sorted(tuple(r) for r in db.session.execute(aggregate()))

    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        chris, rex = (db.session.scalar(sa.select(User).where(User.email == f"{k}@example.org")) for k in ("chris", "rex"))
        interp = db.session.get(Submission, world["interp"])
        assignment = assignments.assign_reviewer(chris, ws, interp, rex)
        kept, fresh = kept_and_fresh()
        assert kept == fresh
        assert db.session.get(PaperScore, interp.id).assigned == 3  # type: ignore[union-attr]
        text = {"summary": "S", "strengths": "", "weaknesses": "", "comments_to_authors": "", "confidential_comments": ""}
        reviews.save_review(ws, assignment, {**text, "recommendation": 2, "confidence": 4}, submit=False, version=None)
        assert kept_and_fresh()[0] == kept_and_fresh()[1]
        review = reviews.save_review(
            ws, assignment, {**text, "recommendation": 5, "confidence": 4}, submit=True, version=assignment.review.version
        )  # type: ignore[union-attr]
        score = db.session.get(PaperScore, interp.id)
        db.session.refresh(score)  # type: ignore[arg-type]
        assert (score.done, score.mean, score.r5) == (1, 5.0, 1)  # type: ignore[union-attr]
        reviews.save_review(
            ws, assignment, {**text, "recommendation": 3, "confidence": 4}, submit=False, version=review.version
        )  # an edit after submitting stays submitted
        assert kept_and_fresh()[0] == kept_and_fresh()[1]
        other = next(
            a
            for a in db.session.scalars(
                sa.select(ReviewAssignment).where(
                    ReviewAssignment.submission_id == interp.id, ReviewAssignment.id != assignment.id
                )
            )
        )
        assignments.unassign_reviewer(chris, other)
        kept, fresh = kept_and_fresh()
        assert kept == fresh
        db.session.rollback()
