"""The review form the chairs shape (issue 21.1) and the reviews the authors read (21.4): the default form is
today's; a chair adds, changes, moves, retires and restores fields; the reviewer's form follows them, with its
rules (required, word limits); who reads each field's answers on the pages, in the letters and in the exports;
a form changed after reviews exist keeps every answer; a score shown as a console column."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import work
from portal.db import db, utcnow
from portal.models import (
    CONFIDENCES,
    DEFAULT_FORM,
    Decision,
    PaperFieldScore,
    Phase,
    ReviewField,
    Submission,
    User,
    Workshop,
)
from portal.queries import assignment_of
from portal.services import assignments, decisions, review_form
from tests.conftest import CSRF_RE, SMTPRecorder, text_of
from tests.factories import decide_and_notify, make_user
from tests.views.test_group_mail import client_for, make_paper

DEFAULT_LABELS = [
    "Overall recommendation",
    "Confidence",
    "Summary of the paper",
    "Strengths",
    "Weaknesses",
    "Comments to the authors",
    "Confidential comments to the chairs",
]
# Each text unique, so a page, a mail or a file showing it is caught.
RITA = {
    "recommendation": "4",
    "confidence": "3",
    "summary": "Rita's summary: the ring overlaps communication.",
    "strengths": "Rita's strength: a clean analysis.",
    "weaknesses": "Rita's weakness: one cluster only.",
    "comments_to_authors": "Rita to the authors: report memory per device.",
    "confidential_comments": "Rita to the chairs: an earlier version exists.",
    "artifact_available": "yes",
    "reproducibility": "4",
    "area_notes": "Rita for the chairs only: check the novelty claim.",
}
REX = {
    "recommendation": "2",
    "confidence": "5",
    "summary": "Rex's summary: memory tokens.",
    "comments_to_authors": "Rex to the authors: compare with blockwise attention.",
    "artifact_available": "no",
    "reproducibility": "2",
    "area_notes": "Rex for the chairs only: borderline.",
}


@dataclass
class World:
    app: Flask
    p1: int
    users: dict[str, int]

    def client(self, key: str) -> FlaskClient:
        with self.app.app_context():
            email = db.session.get(User, self.users[key]).email
        return client_for(self.app, email)


def token_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match
    return match.group(1)


def add_field(chair: FlaskClient, **data: Any) -> Any:
    page = chair.get("/chair/review-form")
    return chair.post("/chair/review-form", data={"csrf_token": token_of(page.get_data(as_text=True)), **data})


def review_url(world: World) -> str:
    return f"/review/papers/{world.p1}/review"


def post_review(client: FlaskClient, world: World, data: dict[str, str], action: str = "submit") -> Any:
    page = client.get(review_url(world)).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page)
    return client.post(
        review_url(world),
        data={"csrf_token": token_of(page), "version": version.group(1) if version else "", "action": action, **data},
    )


@pytest.fixture
def world(app: Flask) -> World:
    """Paper 1 by Ann, reviewed by Rita and Rex (reviewing open); Una reviews nothing; Carla chairs."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.phase, ws.review_deadline = Phase.REVIEWING, utcnow() + timedelta(days=7)
        u = {
            k: make_user(f"{k}@example.org", name=name, roles=roles, affiliation=f"{name.split()[0]} Institute")
            for k, name, roles in [
                ("carla", "Carla Chair", ("chair",)),
                ("ann", "Ann Author", ()),
                ("rita", "Rita Reviewer", ("reviewer",)),
                ("rex", "Rex Reader", ("reviewer",)),
                ("una", "Una Unassigned", ("reviewer",)),
            ]
        }
        p1 = make_paper(ws, u["ann"], "Ring Attention at Scale", [("Ann Author", "ann@example.org")])
        for key in ("rita", "rex"):
            assignments.assign_reviewer(u["carla"], ws, p1, u[key])
        db.session.commit()
        return World(app, p1.id, {k: v.id for k, v in u.items()})


def shape_the_form(chair: FlaskClient) -> None:
    """Three fields: a yes/no the authors read (required), a 1-5 score the reviewers read shown on the console,
    a text for the chairs only with a word limit."""
    for data in (
        {"label": "Artifact available", "kind": "yesno", "visibility": "authors", "required": "y"},
        {
            "label": "Reproducibility",
            "kind": "score",
            "visibility": "reviewers",
            "scale": "Not at all\nHardly\nPartly\nMostly\nFully",
            "best": "high",
            "console_column": "y",
        },
        {"label": "Area notes", "kind": "text", "visibility": "chairs", "max_words": "12"},
    ):
        response = add_field(chair, **data)
        assert response.status_code == 302, text_of(response)


def answers_of(world: World, reviewer: str) -> dict[str, Any]:
    with world.app.app_context():
        a = assignment_of(world.p1, world.users[reviewer])
        assert a is not None and a.review is not None
        return a.review.content()


# --- the default form --------------------------------------------------------------------------------------


def test_default_form_is_the_fixed_form_of_before(world: World) -> None:
    page = world.client("rita").get(review_url(world))
    legends_and_labels = re.findall(r'<legend>([^<]+)</legend>|<label for="[a-z_]+">([^<]+)</label>', page.get_data(as_text=True))
    assert [a or b for a, b in legends_and_labels] == DEFAULT_LABELS
    text = text_of(page)
    assert "Comments to the authors The authors see this, anonymously, once the decision letters are sent." in text
    assert "Confidential comments to the chairs Only the chairs see this." in text

    chair_page = text_of(world.client("carla").get("/chair/review-form"))
    rows = re.findall(r"\d (" + "|".join(DEFAULT_LABELS) + ")", chair_page)
    assert rows == DEFAULT_LABELS
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewField)) == 0  # nothing saved by looking


def test_a_workshop_without_saved_fields_reads_todays_form(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        shown = [(f.key, f.kind, f.label, f.required, f.visibility) for f in review_form.fields(ws)]
    assert shown == [(d["key"], d["kind"], d["label"], d.get("required", False), d["visibility"]) for d in DEFAULT_FORM]


def test_a_removed_reviewers_draft_keeps_the_added_fields_answers(world: World) -> None:
    chair = world.client("carla")
    shape_the_form(chair)
    rita = world.client("rita")
    draft = {"summary": "Rita's draft.", "artifact_available": "no", "area_notes": "A note kept with the draft."}
    assert post_review(rita, world, draft, action="draft").status_code == 302
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        carla = db.session.get(User, world.users["carla"])
        assignments.unassign_reviewer(carla, assignment_of(world.p1, world.users["rita"]))
        work.commit_and_deliver()
    page = text_of(chair.get(f"/chair/papers/{world.p1}"))
    assert "Draft: Artifact available: No Summary of the paper Rita's draft. Area notes A note kept with the draft." in page
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        carla = db.session.get(User, world.users["carla"])
        assignments.assign_reviewer(carla, ws, db.session.get(Submission, world.p1), db.session.get(User, world.users["rita"]))
        work.commit_and_deliver()
    again = answers_of(world, "rita")
    assert (again["summary"], again["artifact_available"], again["area_notes"]) == (
        "Rita's draft.",
        False,
        "A note kept with the draft.",
    )


# --- the chair's editor -----------------------------------------------------------------------------------


def test_chair_adds_changes_moves_retires_and_restores_fields(world: World) -> None:
    chair = world.client("carla")
    shape_the_form(chair)
    page = text_of(chair.get("/chair/review-form"))
    assert "8 Artifact available Yes or no Authors required" in page
    assert (
        "9 Reproducibility Score on a labelled scale: Not at all, Hardly, Partly, Mostly, Fully (5 is best) "
        "Reviewers optional, console column" in page
    )
    assert "10 Area notes Text Chairs optional, at most 12 words" in page

    html = chair.get("/chair/review-form").get_data(as_text=True)
    moved = chair.post("/chair/review-form/area_notes/up", data={"csrf_token": token_of(html)})
    assert moved.status_code == 302
    assert "9 Area notes" in text_of(chair.get("/chair/review-form"))

    edit = chair.get("/chair/review-form/reproducibility").get_data(as_text=True)
    changed = chair.post(
        "/chair/review-form/reproducibility",
        data={
            "csrf_token": token_of(edit),
            "label": "Reproducible?",
            "visibility": "authors",
            "scale": "No\nPartly\nYes",
            "best": "high",
        },
    )
    assert changed.status_code == 302
    assert "10 Reproducible? Score on a labelled scale: No, Partly, Yes (3 is best) Authors optional" in text_of(
        chair.get("/chair/review-form")
    )

    retired = chair.post("/chair/review-form/strengths/retire", data={"csrf_token": token_of(html)})
    page = text_of(chair.get(retired.headers["Location"]))
    assert "“Strengths” is off the form; the answers already given are kept (history, exports)." in page
    assert re.search(r"Retired fields .* Strengths \(text, retired [^)]+\) Put back", page)
    assert "Strengths" not in text_of(world.client("rita").get(review_url(world)))

    chair.post("/chair/review-form/strengths/restore", data={"csrf_token": token_of(html)})
    assert "10 Strengths" in text_of(chair.get("/chair/review-form"))  # back, last

    edit = chair.get("/chair/review-form/comments_to_authors").get_data(as_text=True)
    changed = chair.post(
        "/chair/review-form/comments_to_authors",
        data={
            "csrf_token": token_of(edit),
            "label": "To the authors",
            "help": "Be kind.",
            "visibility": "authors",
            "max_words": "300",
        },
    )
    assert changed.status_code == 302
    form = text_of(world.client("rita").get(review_url(world)))
    assert "To the authors Be kind. At most 300 words. The authors see this, anonymously" in form

    refused = chair.post("/chair/review-form/recommendation/retire", data={"csrf_token": token_of(html)})
    assert "“Overall recommendation” stays on the form" in text_of(chair.get(refused.headers["Location"]))
    with world.app.app_context():
        actions = db.session.scalars(
            sa.text("SELECT summary FROM audit_event WHERE action = 'settings.review_form' ORDER BY id")
        ).all()
    assert actions[:3] == [
        "Review form: added “Artifact available” (yes or no)",
        "Review form: added “Reproducibility” (score on a labelled scale)",
        "Review form: added “Area notes” (text)",
    ]


def test_chair_field_form_refuses_what_cannot_work(world: World) -> None:
    chair = world.client("carla")
    response = add_field(chair, label="Scale of one", kind="score", visibility="chairs", scale="Only")
    assert response.status_code == 422
    assert "Nothing was added A score needs between 2 and 10 points on its scale, one label a line." in text_of(response)
    response = add_field(chair, label="", kind="text", visibility="chairs")
    assert response.status_code == 422
    assert "Label: Give the field a label." in text_of(response)
    response = add_field(chair, label="Words", kind="text", visibility="chairs", min_words="50", max_words="10")
    assert "The fewest words cannot be more than the most words." in text_of(response)
    edit = chair.get("/chair/review-form/recommendation").get_data(as_text=True)
    response = chair.post(
        "/chair/review-form/recommendation",
        data={"csrf_token": token_of(edit), "label": "Overall", "visibility": "reviewers", "scale": "Bad\nGood"},
    )
    assert "“Overall recommendation” keeps its five points (the console counts them); change their labels only." in text_of(
        response
    )
    assert world.client("carla").get("/chair/review-form/nothing-here").status_code == 404


def test_a_label_another_field_has_is_refused_on_adding_and_on_changing(world: World) -> None:
    """Two fields of one label would be two identical columns of the console and the exports, and two identical
    lines of a letter: refused, whatever the case, a retired field's label too; the meta-review form is its own."""
    chair = world.client("carla")
    added = add_field(chair, label="Best-paper candidate", kind="yesno", visibility="chairs")
    assert added.status_code == 302
    for label in ("Best-paper candidate", "  best-paper CANDIDATE ", "Summary of the paper"):
        response = add_field(chair, label=label, kind="text", visibility="chairs")
        assert response.status_code == 422, label
        assert f"The form has a field labelled “{label.strip()}” already (perhaps retired); give this one another label." in (
            text_of(response)
        )
    edit = chair.get("/chair/review-form/confidence").get_data(as_text=True)
    renamed = chair.post(
        "/chair/review-form/confidence",
        data={"csrf_token": token_of(edit), "label": "Best-paper candidate", "visibility": "reviewers", "scale": "1\n2\n3\n4\n5"},
    )
    assert renamed.status_code == 422 and "labelled “Best-paper candidate” already" in text_of(renamed)
    with world.app.app_context():
        labels = [f.label for f in db.session.scalars(sa.select(ReviewField).where(ReviewField.form == "review"))]
    assert sorted(labels).count("Best-paper candidate") == 1 and "Confidence" in labels
    # A field keeps its own label when saved again, and the meta-review form may use a label of the review form.
    kept = chair.post(
        "/chair/review-form/confidence",
        data={"csrf_token": token_of(edit), "label": "confidence", "visibility": "reviewers", "scale": "1\n2\n3\n4\n5"},
    )
    assert kept.status_code == 302
    page = chair.get("/chair/review-form")
    meta = chair.post(
        "/chair/review-form?form=meta",
        data={
            "csrf_token": token_of(page.get_data(as_text=True)),
            "label": "Best-paper candidate",
            "kind": "yesno",
            "visibility": "chairs",
        },
    )
    assert meta.status_code == 302


def test_a_scale_or_options_with_a_line_twice_are_refused_changing_nothing(world: World) -> None:
    """Two points of a scale (or two options) that read alike, whatever their case and spaces, are one to the
    reviewer and two to the console and the exports: refused with the line, on adding and on changing, the form
    kept as typed, nothing saved."""
    chair = world.client("carla")

    def fields() -> list[tuple[str, list[str], list[str]]]:
        with world.app.app_context():
            rows = db.session.scalars(sa.select(ReviewField).order_by(ReviewField.id))
            return [(r.label, list(r.labels), list(r.choices)) for r in rows]

    for kind, lines, message in (
        ("score", "1: Poor\n2: Poor", "Lines 1 and 2 of the scale both read “Poor”; give each point its own label."),
        ("score", "Poor\nFair\n  poor ", "Lines 1 and 3 of the scale both read “Poor”; give each point its own label."),
        ("choice", "Yes\nNo\nYES", "Lines 1 and 3 of the options both read “Yes”; give each option its own words."),
        ("multi", "GPU\nTPU\n GPU", "Lines 1 and 3 of the options both read “GPU”; give each option its own words."),
    ):
        data = {"scale": lines} if kind == "score" else {"options": lines}
        response = add_field(chair, label="Novelty", kind=kind, visibility="chairs", **data)
        assert response.status_code == 422, (kind, lines)
        assert f"Nothing was added {message}" in text_of(response)
        assert lines.split("\n")[-1] in response.get_data(as_text=True)  # (the form as typed)
    # A scale of numbers alone, or of numbers with decimals, is no scale of one label twice.
    for scale in ("1\n2\n3", "0.5 points\n1.5 points"):
        assert add_field(chair, label=f"Points {scale[0]}", kind="score", visibility="chairs", scale=scale).status_code == 302

    edit = chair.get("/chair/review-form/confidence").get_data(as_text=True)
    response = chair.post(
        "/chair/review-form/confidence",
        data={
            "csrf_token": token_of(edit),
            "label": "Confidence",
            "visibility": "reviewers",
            "scale": "Low\nLow\nMid\nHigh\nSure",
        },
    )
    assert response.status_code == 422
    assert "Nothing was saved Lines 1 and 2 of the scale both read “Low”; give each point its own label." in text_of(response)
    after = {label: (scale, options) for label, scale, options in fields()}
    assert "Novelty" not in after and after["Confidence"] == (list(CONFIDENCES.values()), [])
    assert after["Points 1"] == (["1", "2", "3"], [])


# --- the reviewer's form and its rules -------------------------------------------------------------------


def test_required_fields_and_word_limits_refuse_with_a_message_each(world: World) -> None:
    shape_the_form(world.client("carla"))
    rita = world.client("rita")
    draft = post_review(rita, world, {"summary": "Only a start."}, action="draft")
    assert draft.status_code == 302  # a draft may leave required fields empty

    refused = post_review(rita, world, {"recommendation": "4", "confidence": "3", "area_notes": "word " * 13})
    assert refused.status_code == 422
    text = text_of(refused)
    assert (
        "Nothing was saved A submitted review needs an overall recommendation, a confidence and an artifact available. "
        "Artifact available: Choose one to submit the review. "
        "Area notes: Keep this to 12 words or fewer (it has 13)."
    ) in text
    html = refused.get_data(as_text=True)
    assert 'id="area_notes-error">Keep this to 12 words or fewer (it has 13).</p>' in html
    assert answers_of(world, "rita")["summary"] == "Only a start."  # the draft as it was

    done = post_review(rita, world, {"recommendation": "4", "confidence": "3", "artifact_available": "yes", "area_notes": "fine"})
    assert done.status_code == 302
    saved = answers_of(world, "rita")
    assert (saved["artifact_available"], saved["area_notes"], saved["recommendation"]) == (True, "fine", 4)


def test_a_form_changed_after_reviews_exist_keeps_every_answer(world: World) -> None:
    chair = world.client("carla")
    shape_the_form(chair)
    rita = world.client("rita")
    assert post_review(rita, world, RITA).status_code == 302
    html = chair.get("/chair/review-form").get_data(as_text=True)
    # The chair retires the chairs' notes and shortens a scale below Rita's answer (4 of 5; now 3 points).
    chair.post("/chair/review-form/area_notes/retire", data={"csrf_token": token_of(html)})
    edit = chair.get("/chair/review-form/reproducibility").get_data(as_text=True)
    chair.post(
        "/chair/review-form/reproducibility",
        data={
            "csrf_token": token_of(edit),
            "label": "Reproducibility",
            "visibility": "reviewers",
            "scale": "No\nPartly\nYes",
            "best": "high",
            "console_column": "y",
        },
    )
    # Rita edits her submitted review: the retired field is not on her form, and its answer stays.
    form = rita.get(review_url(world)).get_data(as_text=True)
    assert "Area notes" not in form
    assert (
        post_review(
            rita,
            world,
            {
                **{k: v for k, v in RITA.items() if k not in ("area_notes", "reproducibility")},
                "reproducibility": "1",
                "summary": "Second version.",
            },
        ).status_code
        == 302
    )
    saved = answers_of(world, "rita")
    assert (saved["area_notes"], saved["reproducibility"], saved["summary"]) == (RITA["area_notes"], 1, "Second version.")

    page = text_of(chair.get(f"/chair/papers/{world.p1}"))
    assert f"Area notes (retired field) {RITA['area_notes']}" in page
    history = re.search(r"Edit history \(2 versions\)(.*)", page).group(1)
    assert "Reproducibility: 4 (off the current scale)" in history  # the first version, given on the old scale
    assert "Reproducibility: No (1/3)" in history
    assert history.count(f"Area notes (retired field) {RITA['area_notes']}") == 2

    rows = list(csv.reader(io.StringIO(chair.get("/chair/exports/reviews.csv").get_data(as_text=True)[1:])))
    header, rita_row = rows[0], next(r for r in rows[1:] if r[3] == "Rita Reviewer")
    assert header[6:] == [
        "recommendation",
        "confidence",
        "summary",
        "strengths",
        "weaknesses",
        "comments_to_authors",
        "confidential_comments",
        "artifact_available",
        "reproducibility",
        "area_notes",
        "submitted_at",
    ]
    assert dict(zip(header, rita_row, strict=True))["area_notes"] == RITA["area_notes"]
    assert dict(zip(header, rita_row, strict=True))["artifact_available"] == "yes"


# --- who reads what --------------------------------------------------------------------------------------


def test_each_visibility_on_the_pages_the_letter_and_the_exports(world: World, smtp: SMTPRecorder) -> None:
    chair = world.client("carla")
    shape_the_form(chair)
    rita, rex = world.client("rita"), world.client("rex")
    assert post_review(rita, world, RITA).status_code == 302
    for_authors = [RITA["comments_to_authors"], "Artifact available: Yes"]
    for_reviewers = [RITA["summary"], RITA["strengths"], RITA["weaknesses"], "Reproducibility: Mostly (4/5)"]
    for_chairs = [RITA["confidential_comments"], RITA["area_notes"]]

    # Rex, before his own review: none of Rita's answers.
    before = text_of(rex.get(f"/review/papers/{world.p1}"))
    assert not [t for t in for_authors + for_reviewers + for_chairs if t in before]
    assert post_review(rex, world, REX).status_code == 302
    after = text_of(rex.get(f"/review/papers/{world.p1}"))
    assert [t for t in for_authors + for_reviewers if t not in after] == []
    assert [t for t in for_chairs if t in after] == []
    assert "Rita Reviewer" not in after

    # The chair: everything, with names.
    page = text_of(chair.get(f"/chair/papers/{world.p1}"))
    assert [t for t in for_authors + for_reviewers + for_chairs if t not in page] == []

    # The author: nothing before the letter; after it, the authors' fields only, as "Reviewer N".
    ann = world.client("ann")
    assert not [t for t in for_authors + for_reviewers + for_chairs if t in text_of(ann.get(f"/submissions/{world.p1}"))]
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        decide_and_notify(ws, db.session.get(Submission, world.p1), Decision.ACCEPTED, db.session.get(User, world.users["carla"]))
        work.commit_and_deliver()
    page = text_of(ann.get(f"/submissions/{world.p1}"))
    assert (
        "The reviewers' comments Reviewer 1: Comments to the authors: "
        f"{RITA['comments_to_authors']} Artifact available: Yes Reviewer 2: Comments to the authors: "
        f"{REX['comments_to_authors']} Artifact available: No"
    ) in page
    assert [t for t in for_reviewers + for_chairs + ["Rita Reviewer", "Rex Reader"] if t in page] == []

    letter = smtp.wait_for(1)[-1].get_content()
    assert (
        f"Reviewer 1:\nComments to the authors:\n{RITA['comments_to_authors']}\nArtifact available: Yes\n\n"
        f"Reviewer 2:\nComments to the authors:\n{REX['comments_to_authors']}\nArtifact available: No"
    ) in letter.replace("\r\n", "\n")
    assert [t for t in for_reviewers + for_chairs + ["Rita Reviewer", "Rex Reader"] if t in letter] == []

    # The exports (the chairs'): every field.
    rows = json.loads(chair.get("/chair/exports/reviews.json").get_data(as_text=True))
    mine = next(r for r in rows if r["reviewer_name"] == "Rita Reviewer")
    assert (mine["artifact_available"], mine["reproducibility"], mine["area_notes"]) == ("yes", 4, RITA["area_notes"])
    for key in ("rita", "ann", "una"):
        assert world.client(key).get("/chair/exports/reviews.json").status_code == 403


def test_the_default_letter_still_reads_as_before(world: World, smtp: SMTPRecorder) -> None:
    """Without any change to the form, the letter carries the comments to the authors alone under "Reviewer N:"."""
    assert (
        post_review(
            world.client("rita"), world, {k: RITA[k] for k in ("recommendation", "confidence", "summary", "comments_to_authors")}
        ).status_code
        == 302
    )
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        decide_and_notify(ws, db.session.get(Submission, world.p1), Decision.REJECTED, db.session.get(User, world.users["carla"]))
        work.commit_and_deliver()
    letter = smtp.wait_for(1)[-1].get_content().replace("\r\n", "\n")
    assert f"The reviewers' comments, which we hope will help:\n\nReviewer 1:\n{RITA['comments_to_authors']}\n\nThe " in letter
    assert RITA["summary"] not in letter


# --- the console column ----------------------------------------------------------------------------------


def test_a_score_shown_on_the_console_has_mean_weighted_mean_and_spread(world: World) -> None:
    chair = world.client("carla")
    shape_the_form(chair)
    post_review(world.client("rita"), world, RITA)  # reproducibility 4, confidence 3
    post_review(world.client("rex"), world, REX)  # reproducibility 2, confidence 5
    with world.app.app_context():
        field = db.session.scalar(sa.select(ReviewField).where(ReviewField.key == "reproducibility"))
        row = db.session.get(PaperFieldScore, (field.id, world.p1))
        assert (row.count, row.mean, row.weighted, row.spread) == (2, 3.0, (4 * 3 + 2 * 5) / 8, 2)


def console_rows(page: Any) -> list[list[str]]:
    """The submissions table's rows: the number, then each cell's text."""
    html = page.get_data(as_text=True)
    body = re.search(r"(?s)<tbody>(.*?)</tbody>", html).group(1)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"(?s)<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for row in re.findall(r"(?s)<tr[^>]*>(.*?)</tr>", body)
    ]


def test_console_column_shows_sorts_and_filters_by_a_score(world: World) -> None:
    chair = world.client("carla")
    shape_the_form(chair)
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        carla, ann = db.session.get(User, world.users["carla"]), db.session.get(User, world.users["ann"])
        p2 = make_paper(ws, ann, "Memory Tokens", [("Ann Author", "ann@example.org")])
        assignments.assign_reviewer(carla, ws, p2, db.session.get(User, world.users["rita"]))
        db.session.commit()
        p2_id = p2.id
    post_review(world.client("rita"), world, RITA)  # p1: reproducibility 4, confidence 3
    post_review(world.client("rex"), world, REX)  # p1: reproducibility 2, confidence 5
    page = chair.get(f"/review/papers/{p2_id}/review")
    assert page.status_code == 404  # (the chair is no reviewer of p2)
    rita = world.client("rita")
    url = f"/review/papers/{p2_id}/review"
    html = rita.get(url).get_data(as_text=True)
    rita.post(url, data={"csrf_token": token_of(html), "version": "", "action": "submit", **RITA, "reproducibility": "5"})

    table = chair.get("/chair/submissions")
    text = text_of(table)
    assert "Reproducibility: mean Reproducibility: weighted Reproducibility: spread Decision" in text
    rows = {r[1]: r for r in console_rows(table)}
    assert rows[str(world.p1)][-4:-1] == ["3.00", "2.75", "2"]
    assert rows[str(p2_id)][-4:-1] == ["5.00", "5.00", "0"]

    by_mean = console_rows(chair.get("/chair/submissions?sort=reproducibility:mean&dir=desc"))
    assert [r[1] for r in by_mean] == [str(p2_id), str(world.p1)]
    low = console_rows(chair.get("/chair/submissions?score=reproducibility&max=4"))
    assert [r[1] for r in low] == [str(world.p1)]
    high = text_of(chair.get("/chair/submissions?score=reproducibility&min=4.5"))
    assert "1 submission." in high and "Memory Tokens" in high and "Ring Attention at Scale" not in high
    # Junk in the query is no filter and no sort.
    junk = console_rows(chair.get("/chair/submissions?score=nothing&min=nan&sort=nothing:mean"))
    assert [r[1] for r in junk] == [str(world.p1), str(p2_id)]


def test_a_letter_template_lays_out_the_authors_fields_from_review_list(world: World, smtp: SMTPRecorder) -> None:
    shape_the_form(world.client("carla"))
    post_review(world.client("rita"), world, RITA)
    post_review(world.client("rex"), world, REX)
    source = (
        "{% for r in review_list %}{{ r.reviewer }}|"
        "{% for a in r.answers %}{{ a.label }}={{ a.value }};{% endfor %}\n{% endfor %}"
    )
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        carla = db.session.get(User, world.users["carla"])
        decisions.save_letter_templates(carla, ws, source, "", with_reviews=True)
        decide_and_notify(ws, db.session.get(Submission, world.p1), Decision.ACCEPTED, carla)
        work.commit_and_deliver()
    letter = smtp.wait_for(1)[-1].get_content().replace("\r\n", "\n")
    assert letter.strip() == (
        f"Reviewer 1|Comments to the authors={RITA['comments_to_authors']};Artifact available=Yes;\n"
        f"Reviewer 2|Comments to the authors={REX['comments_to_authors']};Artifact available=No;"
    )


def test_an_answer_the_form_no_longer_offers_is_offered_again_as_given(world: World) -> None:
    chair = world.client("carla")
    assert add_field(chair, label="Code", kind="choice", visibility="reviewers", options="None\nPartly\nAll").status_code == 302
    rita = world.client("rita")
    mine = {k: RITA[k] for k in ("recommendation", "confidence", "summary")}
    assert post_review(rita, world, {**mine, "code": "Partly"}).status_code == 302
    edit = chair.get("/chair/review-form/code").get_data(as_text=True)
    chair.post(
        "/chair/review-form/code",
        data={"csrf_token": token_of(edit), "label": "Code", "visibility": "reviewers", "options": "None\nSome\nAll"},
    )
    form = rita.get(review_url(world)).get_data(as_text=True)
    assert (
        '<input checked id="code-3" name="code" type="radio" value="Partly"> '
        '<label for="code-3">Partly (as you gave it; no longer offered)</label>'
    ) in form
    # Saved as the browser sends it (the old answer still ticked): kept; another option can still be chosen.
    assert post_review(rita, world, {**mine, "summary": "Edited.", "code": "Partly"}).status_code == 302
    assert (answers_of(world, "rita")["code"], answers_of(world, "rita")["summary"]) == ("Partly", "Edited.")
    assert post_review(rita, world, {**mine, "code": "Some"}).status_code == 302
    assert answers_of(world, "rita")["code"] == "Some"
    # Once changed, the old answer is no longer offered: a post naming it is refused.
    refused = post_review(rita, world, {**mine, "code": "Partly"})
    assert refused.status_code == 422 and answers_of(world, "rita")["code"] == "Some"
