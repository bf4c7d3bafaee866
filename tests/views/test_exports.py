"""Exports: only chairs download them; the CSV neutralizes formulas (the JSON keeps the text as typed); a chair
who is an author of a paper gets neither the paper nor its reviewers; the number of queries does not grow with the
number of submissions."""

from __future__ import annotations

import csv
import io
import secrets
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import (
    Decision,
    EmailState,
    FileKind,
    Letter,
    Presentation,
    ReviewState,
    Revision,
    StoredFile,
    Submission,
    SubmissionState,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from tests.conftest import CSRF_INPUT_RE, sql_statements, text_of
from tests.factories import make_user
from tests.views.test_group_mail import assign, client_for, make_paper

EVIL_TITLE = '=HYPERLINK("http://evil")'
URLS = ["/chair/exports"] + [f"/chair/exports/{k}.{f}" for k in ("submissions", "reviews", "decisions") for f in ("csv", "json")]


def add_pages(sub: Submission, pages: int) -> None:
    stored = StoredFile(storage_key=secrets.token_hex(16), sha256="0" * 64, size=1000, content_type="application/pdf")
    db.session.add(stored)
    db.session.flush()
    sub.revisions.append(Revision(kind=FileKind.PAPER, file_id=stored.id, pages=pages))
    db.session.flush()


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    """p1 (a formula for a title, an author named "+cmd"; accepted, letter sent) reviewed by Rita with formulas in
    her texts; p2 rejected with a draft letter, not reviewed yet by Rex; p3 by Dave and the chair Carla (accepted,
    letter queued) reviewed by Rex; p4 withdrawn."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        topics = db.session.scalars(sa.select(Topic).order_by(Topic.position)).all()
        u = {
            k: make_user(f"{k}@example.org", name=name, roles=roles)
            for k, name, roles in [
                ("carla", "Carla Chair", ("chair",)),
                ("chris", "Chris Chair", ("chair",)),
                ("ann", "Ann Author", ()),
                ("ben", "Ben Bauthor", ()),
                ("dave", "Dave Dauthor", ()),
                ("rita", "Rita Reviewer", ("reviewer",)),
                ("rex", "Rex Reader", ("reviewer",)),
            ]
        }
        p1 = make_paper(
            ws,
            u["ann"],
            EVIL_TITLE,
            [("+cmd", "cmd@example.org"), ("Ann Author", "ann@example.org")],
            decision=Decision.ACCEPTED,
            letter_sent=True,
        )
        p1.presentation, p1.keywords, p1.secondary_topics = Presentation.ORAL, "long context, memory", topics[1:3]
        add_pages(p1, 8)
        p2 = make_paper(ws, u["ben"], "Memory Tokens", [("Ben Bauthor", "ben@example.org")], decision=Decision.REJECTED)
        p2.decision_note = "Close call."
        p3 = make_paper(
            ws,
            u["dave"],
            "Positional Interpolation",
            [("Dave Dauthor", "dave@example.org"), ("Carla Chair", "carla@example.org")],
            decision=Decision.ACCEPTED,
            letter_sent=True,
        )
        db.session.scalar(sa.select(Letter).where(Letter.submission_id == p3.id)).email.state = EmailState.QUEUED
        p4 = make_paper(ws, u["ben"], "A Withdrawn Paper", [("Ben Bauthor", "ben@example.org")], state=SubmissionState.WITHDRAWN)
        assign(
            p1,
            u["rita"],
            1,
            state=ReviewState.SUBMITTED,
            recommendation=5,
            confidence=4,
            summary="@SUM(1)",
            strengths="Clear.",
            weaknesses="-2+3",
            comments_to_authors="Nice.",
            confidential_comments="Strong.",
        )
        assign(p2, u["rex"], 1)
        assign(p3, u["rex"], 1, state=ReviewState.DRAFT, summary="Rex on the chair's paper.")
        db.session.commit()
        return {"p1": p1.id, "p2": p2.id, "p3": p3.id, "p4": p4.id}


def download(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, url
    if url.endswith(".json"):
        return response.json
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


# --- permissions ------------------------------------------------------------------------------------------


def test_exports_are_for_chairs_only(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        make_user("otto@example.org", name="Otto Author")
        make_user("rose@example.org", name="Rose Reviewer", roles=("reviewer",))
        db.session.commit()
    anonymous = app.test_client()
    for url in URLS:
        response = anonymous.get(url)
        assert (response.status_code, response.headers["Location"].split("?")[0]) == (302, "/auth/login"), url
    for email in ("otto@example.org", "rose@example.org"):
        client = client_for(app, email)
        for url in URLS:
            response = client.get(url)
            assert response.status_code == 403, url
            assert "Rita Reviewer" not in response.get_data(as_text=True) and "HYPERLINK" not in text_of(response)


def test_the_exports_page_lists_every_download(app: Flask, world: dict[str, int]) -> None:
    page = client_for(app, "chris@example.org").get("/chair/exports")
    html = page.get_data(as_text=True)
    assert [url for url in URLS[1:] if f'href="{url}"' in html] == URLS[1:]
    assert "Papers you are an author of are left out, with their reviews and decisions." in text_of(page)
    assert CSRF_INPUT_RE.search(html)  # the signed-in header, so the page is the chair's own


# --- content ----------------------------------------------------------------------------------------------


def test_submissions_csv_has_its_headers_and_rows(app: Flask, world: dict[str, int]) -> None:
    chair = client_for(app, "chris@example.org")
    response = chair.get("/chair/exports/submissions.csv")
    names = ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Cache-Control")
    assert [response.headers[k] for k in names] == [
        "text/csv; charset=utf-8",
        "attachment; filename=longllm-2024-submissions.csv",
        "nosniff",
        "no-store",
    ]
    with app.app_context():
        topics = db.session.scalars(sa.select(Topic.title).order_by(Topic.position)).all()
        kind = db.session.scalar(sa.select(SubmissionType.name).order_by(SubmissionType.position))
        submitted = {n: db.session.get(Submission, n).submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ") for n in world.values()}
    header, *rows = download(chair, "/chair/exports/submissions.csv")
    assert header == [
        "number",
        "title",
        "type",
        "primary_topic",
        "other_topics",
        "keywords",
        "state",
        "submitted_at",
        "authors",
        "author_emails",
        "author_affiliations",
        "pages",
        "decision",
        "presentation",
    ]
    p1, p4 = str(world["p1"]), str(world["p4"])
    assert rows[0] == [
        p1,
        "'" + EVIL_TITLE,
        kind,
        topics[0],
        f"{topics[1]}; {topics[2]}",
        "long context, memory",
        "submitted",
        submitted[world["p1"]],
        "'+cmd; Ann Author",
        "cmd@example.org; ann@example.org",
        "'+cmd Lab; Ann Lab",
        "8",
        "accepted",
        "oral",
    ]
    assert rows[-1][:1] + rows[-1][6:7] + rows[-1][11:] == [p4, "withdrawn", "", "", ""]


def test_submissions_json_keeps_types_and_the_text_as_typed(app: Flask, world: dict[str, int]) -> None:
    chair = client_for(app, "chris@example.org")
    response = chair.get("/chair/exports/submissions.json")
    assert [response.headers[k] for k in ("Content-Type", "Content-Disposition", "Cache-Control")] == [
        "application/json",
        "attachment; filename=longllm-2024-submissions.json",
        "no-store",
    ]
    rows = download(chair, "/chair/exports/submissions.json")
    with app.app_context():
        topics = db.session.scalars(sa.select(Topic.title).order_by(Topic.position)).all()
        kind = db.session.scalar(sa.select(SubmissionType.name).order_by(SubmissionType.position))
        submitted = db.session.get(Submission, world["p1"]).submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert rows[0] == {
        "number": world["p1"],
        "title": EVIL_TITLE,
        "type": kind,
        "primary_topic": topics[0],
        "other_topics": topics[1:3],
        "keywords": ["long context", "memory"],
        "state": "submitted",
        "submitted_at": submitted,
        "authors": [
            {"name": "+cmd", "email": "cmd@example.org", "affiliation": "+cmd Lab"},
            {"name": "Ann Author", "email": "ann@example.org", "affiliation": "Ann Lab"},
        ],
        "pages": 8,
        "decision": "accepted",
        "presentation": "oral",
    }
    assert [(r["number"], r["state"], r["pages"], r["decision"]) for r in rows[1:]] == [
        (world["p2"], "submitted", None, "rejected"),
        (world["p3"], "submitted", None, "accepted"),
        (world["p4"], "withdrawn", None, None),
    ]


def test_reviews_csv_neutralizes_formulas_and_json_keeps_them(app: Flask, world: dict[str, int]) -> None:
    chair = client_for(app, "chris@example.org")
    header, *rows = download(chair, "/chair/exports/reviews.csv")
    assert header == [
        "number",
        "title",
        "reviewer_ordinal",
        "reviewer_name",
        "reviewer_email",
        "state",
        "recommendation",
        "confidence",
        "summary",
        "strengths",
        "weaknesses",
        "comments_to_authors",
        "confidential_comments",
        "submitted_at",
    ]
    p1, p2, p3 = (str(world[k]) for k in ("p1", "p2", "p3"))
    assert [r[:13] for r in rows] == [
        [
            p1,
            "'" + EVIL_TITLE,
            "1",
            "Rita Reviewer",
            "rita@example.org",
            "submitted",
            "5",
            "4",
            "'@SUM(1)",
            "Clear.",
            "'-2+3",
            "Nice.",
            "Strong.",
        ],
        [p2, "Memory Tokens", "1", "Rex Reader", "rex@example.org", "not started", "", "", "", "", "", "", ""],
        [
            p3,
            "Positional Interpolation",
            "1",
            "Rex Reader",
            "rex@example.org",
            "draft",
            "",
            "",
            "Rex on the chair's paper.",
            "",
            "",
            "",
            "",
        ],
    ]
    assert rows[0][13].endswith("Z") and rows[1][13] == ""
    data = download(chair, "/chair/exports/reviews.json")
    assert [(r["title"], r["recommendation"], r["summary"], r["weaknesses"]) for r in data] == [
        (EVIL_TITLE, 5, "@SUM(1)", "-2+3"),
        ("Memory Tokens", None, "", ""),
        ("Positional Interpolation", None, "Rex on the chair's paper.", ""),
    ]


def test_decisions_export_shows_each_letter_state(app: Flask, world: dict[str, int]) -> None:
    chair = client_for(app, "chris@example.org")
    header, *rows = download(chair, "/chair/exports/decisions.csv")
    assert header == ["number", "title", "decision", "presentation", "note", "letter", "area_chair", "area_chair_recommends"]
    assert rows == [
        [str(world["p1"]), "'" + EVIL_TITLE, "accepted", "oral", "", "sent", "", ""],
        [str(world["p2"]), "Memory Tokens", "rejected", "", "Close call.", "draft", "", ""],
        [str(world["p3"]), "Positional Interpolation", "accepted", "", "", "queued", "", ""],
    ]
    assert download(chair, "/chair/exports/decisions.json")[1] == {
        "number": world["p2"],
        "title": "Memory Tokens",
        "decision": "rejected",
        "presentation": None,
        "note": "Close call.",
        "letter": "draft",
        "area_chair": None,
        "area_chair_recommends": None,
    }


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_chair_who_is_an_author_gets_neither_the_paper_nor_its_reviewers(app: Flask, world: dict[str, int], fmt: str) -> None:
    carla = client_for(app, "carla@example.org")
    for kind in ("submissions", "reviews", "decisions"):
        response = carla.get(f"/chair/exports/{kind}.{fmt}")
        body = response.get_data(as_text=True)
        assert "Positional Interpolation" not in body and "Rex on the chair's paper." not in body, kind
        assert "Dave Dauthor" not in body
        numbers = (
            [r["number"] for r in response.json]
            if fmt == "json"
            else [int(r[0]) for r in list(csv.reader(io.StringIO(body[1:])))[1:]]
        )
        assert world["p3"] not in numbers
        assert world["p1"] in numbers
    # Rex reviews Carla's paper and p2: in the reviews he appears only for p2.
    rows = carla.get(f"/chair/exports/reviews.{fmt}").get_data(as_text=True)
    assert rows.count("rex@example.org") == 1


# --- efficiency ---------------------------------------------------------------------------------------------


def add_papers(app: Flask, count: int) -> None:
    """``count`` more papers, each with two authors, a topic, a PDF, a decision with its letter and two reviews."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        topic = db.session.scalars(sa.select(Topic).order_by(Topic.position)).all()[-1]
        reviewers = db.session.scalars(sa.select(User).where(User.is_reviewer).order_by(User.id)).all()
        submitter = db.session.scalar(sa.select(User).where(User.email == "ann@example.org"))
        for i in range(count):
            n = secrets.token_hex(4)
            sub = make_paper(
                ws,
                submitter,
                f"Paper {n}",
                [(f"A {n}", f"a{n}@example.org"), (f"B {n}", f"b{n}@example.org")],
                decision=Decision.REJECTED,
                letter_sent=i % 2 == 0,
            )
            sub.secondary_topics = [topic]
            add_pages(sub, 4)
            assign(sub, reviewers[0], 1, state=ReviewState.SUBMITTED)
            assign(sub, reviewers[1], 2, state=ReviewState.DRAFT)
        db.session.commit()


@pytest.mark.parametrize("kind", ["submissions", "reviews", "decisions"])
def test_an_export_takes_the_same_number_of_queries_for_3_and_30_papers(app: Flask, kind: str) -> None:
    with app.app_context():
        make_user("ann@example.org", name="Ann Author")
        make_user("rita@example.org", name="Rita Reviewer", roles=("reviewer",))
        make_user("rex@example.org", name="Rex Reader", roles=("reviewer",))
        make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        db.session.commit()
    chair = client_for(app, "chris@example.org")
    lengths = []
    for more in (3, 27):
        add_papers(app, more)
        with sql_statements(app) as statements:
            response = chair.get(f"/chair/exports/{kind}.csv")
        assert response.status_code == 200
        rows = len(response.get_data(as_text=True).strip().splitlines()) - 1
        assert rows == {"submissions": 1, "reviews": 2, "decisions": 1}[kind] * (3 if more == 3 else 30)
        lengths.append(len(statements))
    assert lengths[0] == lengths[1], statements
