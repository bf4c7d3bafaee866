"""Exports for the chairs: submissions, reviews and decisions as CSV or JSON.

Each export is a list of plain rows (JSON types: numbers, strings, lists, null) built in a fixed number of
queries, whatever the number of submissions. Papers the chair is an author of are left out entirely. The CSV is
UTF-8 with a byte-order mark and CRLF line ends, so Excel opens it with the accents intact; every text cell that
a spreadsheet would read as a formula gets a leading apostrophe (OWASP's advice). The JSON is not neutralized.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal.db import db
from portal.models import (
    Audience,
    FieldKind,
    Letter,
    Review,
    ReviewAssignment,
    ReviewField,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.permissions import chair_conflicted_ids, visible_fields
from portal.services import area_chairs, meta_reviews, review_form

Row = dict[str, Any]


@dataclass
class Export:
    kind: str
    rows: list[Row]
    # CSV columns: (header, how to get the cell from a row); JSON takes the rows as they are.
    columns: list[tuple[str, Callable[[Row], Any]]]


def iso(value: datetime | None) -> str | None:
    """``2024-05-01T12:00:00Z``: UTC, to the second."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _enum(value: Any) -> str | None:
    return value.value if value is not None else None


def _keywords(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def _key(name: str) -> Callable[[Row], Any]:
    return lambda row: row[name]


def _joined(name: str, sep: str = "; ") -> Callable[[Row], str]:
    return lambda row: sep.join(row[name])


def _of_authors(attr: str) -> Callable[[Row], str]:
    return lambda row: "; ".join(a[attr] for a in row["authors"])


def _columns(names: tuple[str, ...]) -> list[tuple[str, Callable[[Row], Any]]]:
    return [(name, _key(name)) for name in names]


DECISION_COLUMNS = ("number", "title", "decision", "presentation", "note", "letter", "area_chair", "area_chair_recommends")


def _papers(actor: User, ws: Workshop) -> sa.Select[tuple[Submission]]:
    """The workshop's submissions minus those ``actor`` is an author of, by number."""
    return (
        sa.select(Submission)
        .where(Submission.workshop_id == ws.id, Submission.id.not_in(chair_conflicted_ids(actor)))
        .order_by(Submission.id)
    )


def submissions(actor: User, ws: Workshop) -> Export:
    stmt = _papers(actor, ws).options(
        joinedload(Submission.type),
        joinedload(Submission.primary_topic),
        selectinload(Submission.secondary_topics),
        selectinload(Submission.authors),
        selectinload(Submission.revisions),
    )
    rows = []
    for sub in db.session.scalars(stmt):
        paper = sub.paper
        rows.append(
            {
                "number": sub.id,
                "title": sub.title,
                "type": sub.type.name,
                "primary_topic": sub.primary_topic.title,
                "other_topics": [t.title for t in sub.secondary_topics],
                "keywords": _keywords(sub.keywords),
                "state": sub.state.value,
                "submitted_at": iso(sub.submitted_at),
                "authors": [{"name": a.name, "email": a.email, "affiliation": a.affiliation} for a in sub.authors],
                "pages": paper.pages if paper else None,
                "decision": _enum(sub.decision),
                "presentation": _enum(sub.presentation),
            }
        )
    columns = [
        ("number", _key("number")),
        ("title", _key("title")),
        ("type", _key("type")),
        ("primary_topic", _key("primary_topic")),
        ("other_topics", _joined("other_topics")),
        ("keywords", _joined("keywords", ", ")),
        ("state", _key("state")),
        ("submitted_at", _key("submitted_at")),
        ("authors", _of_authors("name")),
        ("author_emails", _of_authors("email")),
        ("author_affiliations", _of_authors("affiliation")),
        ("pages", _key("pages")),
        ("decision", _key("decision")),
        ("presentation", _key("presentation")),
    ]
    return Export("submissions", rows, columns)


def reviews(actor: User, ws: Workshop) -> Export:
    """One row per assignment: a review not started yet has the state "not started" and empty answers. A column
    per field of the review form in its order, retired ones too (their answers are kept), named by the field's
    key (the JSON's rows hold the same keys)."""
    stmt = (
        sa.select(ReviewAssignment)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(Submission.workshop_id == ws.id, Submission.id.not_in(chair_conflicted_ids(actor)))
        .options(
            joinedload(ReviewAssignment.submission), joinedload(ReviewAssignment.reviewer), joinedload(ReviewAssignment.review)
        )
        .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
    )
    # Every field, retired ones included: the exports are the chairs' (``permissions.visible_fields``).
    shown = visible_fields(Audience.CHAIRS, review_form.fields(ws, retired=True))
    rows = []
    for a in db.session.scalars(stmt):
        review = a.review
        rows.append(
            {
                "number": a.submission_id,
                "title": a.submission.title,
                "reviewer_ordinal": a.ordinal,
                "reviewer_name": a.reviewer.name,
                "reviewer_email": a.reviewer.email,
                "state": review.state.value if review else "not started",
                **{f.key: _answer(f, review) for f in shown},
                "submitted_at": iso(review.submitted_at) if review else None,
            }
        )
    head = ("number", "title", "reviewer_ordinal", "reviewer_name", "reviewer_email", "state")
    return Export("reviews", rows, _columns((*head, *(f.key for f in shown), "submitted_at")))


def _answer(field: ReviewField, review: Review | None) -> Any:
    """A field's cell: the text ("" when empty, as before the form could change), the score, the choices."""
    if field.kind == FieldKind.TEXT:
        return (review.answer(field.key) or "") if review else ""
    return field.export_value(review.answer(field.key)) if review else None


def decisions(actor: User, ws: Workshop) -> Export:
    """Every submitted paper with its decision (or none yet) and its letter: draft, queued, sent, failed, or none."""
    subs = db.session.scalars(_papers(actor, ws).where(Submission.state == SubmissionState.SUBMITTED)).all()
    letters = {
        x.submission_id: x
        for x in db.session.scalars(
            sa.select(Letter).where(Letter.submission_id.in_([s.id for s in subs])).options(joinedload(Letter.email))
        )
    }
    ids = [s.id for s in subs]
    overseen = area_chairs.area_chairs_of(ids)
    recommended = meta_reviews.recommendation_labels(ws, ids)
    rows = [
        {
            "number": s.id,
            "title": s.title,
            "decision": _enum(s.decision),
            "presentation": _enum(s.presentation),
            "note": s.decision_note,
            "letter": letters[s.id].state if s.id in letters else None,
            "area_chair": overseen[s.id].name if s.id in overseen else None,
            "area_chair_recommends": recommended.get(s.id),
        }
        for s in subs
    ]
    return Export("decisions", rows, _columns(DECISION_COLUMNS))


EXPORTS: dict[str, tuple[Callable[[User, Workshop], Export], str]] = {
    "submissions": (
        submissions,
        "Every submission (withdrawn ones too): number, title, type, topics, keywords, state, "
        "submission time (UTC), authors with emails and affiliations, pages, decision.",
    ),
    "reviews": (
        reviews,
        "Every review assignment: the paper, the reviewer (ordinal, name, email), the state, a column for "
        "every field of the review form (retired fields too, the confidential comments included), submission time.",
    ),
    "decisions": (
        decisions,
        "Every submitted paper: decision, presentation, the note to the authors, the state of "
        "its letter (draft, queued, sent, failed), its area chair and their recommendation.",
    ),
}


def build(actor: User, ws: Workshop, kind: str) -> Export:
    return EXPORTS[kind][0](actor, ws)


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading apostrophe. Numbers
    the portal writes (int, float) stay numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        return "'" + text if text.startswith(_FORMULA) else text
    return value


def to_csv(export: Export) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in export.columns])
    for row in export.rows:
        writer.writerow([neutralize(get(row)) for _, get in export.columns])
    return out.getvalue().encode("utf-8-sig")


def to_json(export: Export) -> bytes:
    return json.dumps(export.rows, ensure_ascii=False, indent=2).encode()


def filename(ws: Workshop, kind: str, fmt: str) -> str:
    """``longllm-2024-submissions.csv``"""
    return f"{re.sub(r'[^a-z0-9]+', '-', ws.label.lower()).strip('-')}-{kind}.{fmt}"
