"""The review form the chairs shape (issue 21.1): its fields, in order, each with a kind, who sees its answers,
and the console figures of a score shown as a column.

The seven fields of the form every workshop starts with (``REVIEW_FIELDS``) keep their answers in the review's
own columns (the console sorts, filters and counts 20,000 papers on ``recommendation`` and ``confidence``); every
field a chair adds keeps its answers in the review's ``answers`` (JSON, by the field's ``key``). A field is never
deleted once it exists: a chair retires it, and its answers stay in the history and the exports. ``form`` names
the form a field belongs to ("review"), so that another form (a meta-review) can reuse the same machinery."""

from __future__ import annotations

import copy
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import db, enum_type, utcnow
from portal.models.review import CONFIDENCES, RECOMMENDATIONS, REVIEW_FIELDS


class FieldKind(enum.StrEnum):
    SCORE = "score"
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    YESNO = "yesno"

    @property
    def label(self) -> str:
        return {
            "score": "Score on a labelled scale",
            "text": "Text",
            "choice": "One choice",
            "multi": "Several choices",
            "yesno": "Yes or no",
        }[self.value]


class Audience(enum.StrEnum):
    """Who reads a field's answers. Each includes those after it: a field for the authors is read by the other
    reviewers and the chairs too; one for the reviewers by the chairs too."""

    AUTHORS = "authors"
    REVIEWERS = "reviewers"
    CHAIRS = "chairs"

    @property
    def rank(self) -> int:
        return {"authors": 0, "reviewers": 1, "chairs": 2}[self.value]

    @property
    def label(self) -> str:
        return {
            "authors": "The authors (once letters are sent), the other reviewers and the chairs",
            "reviewers": "The other reviewers of the paper (after their own review) and the chairs",
            "chairs": "The chairs only",
        }[self.value]

    @property
    def note(self) -> str:
        """The line under the field on the reviewer's form."""
        return {
            "authors": "The authors see this, anonymously, once the decision letters are sent.",
            "reviewers": "The paper's other reviewers (after their own review) and the chairs see this.",
            "chairs": "Only the chairs see this.",
        }[self.value]


#: Keys a field may not take: the form's own inputs.
RESERVED_KEYS = frozenset({"version", "action", "csrf_token", "submit", "id", "number", "answers"})


class ReviewField(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    form: Mapped[str] = mapped_column(sa.String(16), default="review", server_default="review")
    # Stable: the answers, the exports' column and the form's input are named by it; never changes.
    key: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[FieldKind] = mapped_column(enum_type(FieldKind, "review_field_kind"))
    label: Mapped[str] = mapped_column(sa.String(200))
    help: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    required: Mapped[bool] = mapped_column(default=False)  # to submit (a draft may leave it empty)
    position: Mapped[int] = mapped_column(default=0)
    # score: {"labels": [...], "best": "high" | "low"} (values 1..len(labels)); choice, multi: {"choices": [...]}
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    min_words: Mapped[int | None]
    max_words: Mapped[int | None]
    visibility: Mapped[Audience] = mapped_column(enum_type(Audience, "review_field_visibility"), default=Audience.CHAIRS)
    # A score shown as a column of the console's table, with mean, weighted mean and spread (``PaperFieldScore``).
    is_console_column: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("workshop_id", "form", "key"),
        sa.CheckConstraint("min_words IS NULL OR min_words >= 0", name="min_words_positive"),
        sa.CheckConstraint("max_words IS NULL OR max_words > 0", name="max_words_positive"),
    )

    @property
    def builtin(self) -> bool:
        """One of the seven fields of the first form: its answers live in the review's columns."""
        return self.form == "review" and self.key in REVIEW_FIELDS

    @property
    def is_recommendation(self) -> bool:
        """The overall recommendation: the console's mean, weighted mean, spread and histogram."""
        return self.form == "review" and self.key == "recommendation"

    @property
    def fixed_scale(self) -> bool:
        """The recommendation and the confidence keep their 1 to 5 scale (the console's histogram and the
        confidence weights read them); their labels can change."""
        return self.form == "review" and self.key in ("recommendation", "confidence")

    @property
    def active(self) -> bool:
        return self.retired_at is None

    @property
    def labels(self) -> list[str]:
        return list(self.options.get("labels") or [])

    @property
    def choices(self) -> list[str]:
        return list(self.options.get("choices") or [])

    @property
    def best(self) -> str:
        return "low" if self.options.get("best") == "low" else "high"

    def scale(self) -> list[tuple[int, str]]:
        return [(i, label) for i, label in enumerate(self.labels, start=1)]

    def scale_label(self, value: Any) -> str | None:
        """The label of a point of the scale (None: not a point of the current scale)."""
        labels = self.labels
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(labels)
        return labels[value - 1] if ok else None

    def empty(self, value: Any) -> bool:
        return value is None or value == "" or value == [] or (self.kind == FieldKind.TEXT and not str(value).strip())

    def display(self, value: Any) -> str:
        """An answer as people read it: "4: Weak accept (of 5)", the choices, Yes or No, the text. An answer
        given on a scale or a list since changed shows as it was given."""
        if self.empty(value):
            return ""
        if self.kind == FieldKind.SCORE:
            label = self.scale_label(value)
            return f"{label} ({value}/{len(self.labels)})" if label is not None else f"{value} (off the current scale)"
        if self.kind == FieldKind.YESNO:
            return "Yes" if value is True or value == "yes" else "No"
        if self.kind == FieldKind.MULTI:
            return "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        return str(value)

    def export_value(self, value: Any) -> Any:
        """The cell of the exports: numbers as numbers, the choices joined, yes/no as "yes" or "no"."""
        if self.empty(value):
            return None
        if self.kind == FieldKind.YESNO:
            return "yes" if value is True or value == "yes" else "no"
        if self.kind == FieldKind.MULTI and isinstance(value, list):
            return "; ".join(str(v) for v in value)
        return value


def words(text: str) -> int:
    return len(text.split())


#: The form every workshop starts with: the fixed form the portal had before the chairs could shape it.
DEFAULT_FORM: tuple[dict[str, Any], ...] = (
    {
        "key": "recommendation",
        "kind": FieldKind.SCORE,
        "label": "Overall recommendation",
        "required": True,
        "options": {"labels": list(RECOMMENDATIONS.values()), "best": "high"},
        "visibility": Audience.REVIEWERS,
    },
    {
        "key": "confidence",
        "kind": FieldKind.SCORE,
        "label": "Confidence",
        "required": True,
        "options": {"labels": list(CONFIDENCES.values()), "best": "high"},
        "visibility": Audience.REVIEWERS,
    },
    {"key": "summary", "kind": FieldKind.TEXT, "label": "Summary of the paper", "visibility": Audience.REVIEWERS},
    {"key": "strengths", "kind": FieldKind.TEXT, "label": "Strengths", "visibility": Audience.REVIEWERS},
    {"key": "weaknesses", "kind": FieldKind.TEXT, "label": "Weaknesses", "visibility": Audience.REVIEWERS},
    {"key": "comments_to_authors", "kind": FieldKind.TEXT, "label": "Comments to the authors", "visibility": Audience.AUTHORS},
    {
        "key": "confidential_comments",
        "kind": FieldKind.TEXT,
        "label": "Confidential comments to the chairs",
        "visibility": Audience.CHAIRS,
    },
)


def default_fields(workshop_id: int | None) -> list[ReviewField]:
    """The default form as (unsaved) rows."""
    return [
        ReviewField(
            workshop_id=workshop_id,
            form="review",
            position=i,
            help="",
            min_words=None,
            max_words=None,
            is_console_column=False,
            retired_at=None,
            **({"required": False} | copy.deepcopy(spec)),
        )
        for i, spec in enumerate(DEFAULT_FORM, start=1)
    ]


class PaperFieldScore(db.Model):
    """Mean, weighted mean (by the reviewers' confidence) and spread of a score field shown as a console column,
    per paper, over its submitted reviews; kept current with ``PaperScore`` (``services.scores``)."""

    field_id: Mapped[int] = mapped_column(sa.ForeignKey("review_field.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    mean: Mapped[float | None]
    weighted: Mapped[float | None]
    spread: Mapped[int | None]

    __table_args__ = (sa.Index("ix_paper_field_score_field_mean", "field_id", "mean"),)
