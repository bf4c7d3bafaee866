"""Chairs: the form of one field of the review form (adding one, or changing one)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.forms import IntegerField, RadioField, choices, single_line, strip, unix_newlines
from portal.models import Audience, FieldKind, ReviewField
from portal.services.review_form import FieldInput

LINES_HELP = "One a line."


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ReviewFieldForm(FlaskForm):
    label = StringField(
        "Label",
        filters=[strip],
        validators=[InputRequired("Give the field a label."), single_line, Length(max=200)],
        description="What the reviewer reads above the field, like “Reproducibility” or “Best-paper candidate”.",
    )
    kind = RadioField(
        "Kind",
        choices=choices((k.value, k.label) for k in FieldKind),
        default=FieldKind.TEXT.value,
        validators=[InputRequired("Choose the kind of field.")],
        description="Fixed once the field exists, so that the answers already given keep their meaning.",
    )
    help = TextAreaField(
        "Help text",
        filters=[strip, unix_newlines],
        validators=[Optional(), Length(max=2000)],
        description="Shown under the label on the reviewer's form. Optional.",
    )
    required = BooleanField("Required to submit a review", description="A draft may leave it empty.")
    visibility = RadioField(
        "Who reads the answers",
        choices=choices((a.value, a.label) for a in Audience),
        default=Audience.CHAIRS.value,
        validators=[InputRequired("Choose who reads the answers.")],
        description="The authors never see a reviewer's name: a review is “Reviewer N” to them.",
    )
    scale = TextAreaField(
        "Scale (scores)",
        filters=[unix_newlines],
        validators=[Optional(), Length(max=2000)],
        description="The label of each point, from 1 up, one a line (2 to 10 points).",
    )
    best = RadioField(
        "Which end is best (scores)",
        choices=choices([("high", "The highest number"), ("low", "1, the lowest number")]),
        default="high",
        validators=[Optional()],
    )
    options = TextAreaField(
        "Options (one choice, several choices)",
        filters=[unix_newlines],
        validators=[Optional(), Length(max=4000)],
        description="The options, one a line (2 to 20).",
    )
    min_words = IntegerField(
        "Fewest words (text)",
        validators=[Optional(), NumberRange(1, 20_000)],
        description="Checked when the review is submitted. Empty: no minimum.",
    )
    max_words = IntegerField("Most words (text)", validators=[Optional(), NumberRange(1, 20_000)], description="Empty: no limit.")
    console_column = BooleanField(
        "Show as a column of the console (scores)",
        description="The console's submissions table shows its mean, weighted mean and spread per paper, sorts and "
        "filters by it.",
    )

    @classmethod
    def from_model(cls, row: ReviewField) -> ReviewFieldForm:
        return cls(
            data={
                "label": row.label,
                "kind": row.kind.value,
                "help": row.help,
                "required": row.required,
                "visibility": row.visibility.value,
                "scale": "\n".join(row.labels),
                "best": row.best,
                "options": "\n".join(row.choices),
                "min_words": row.min_words,
                "max_words": row.max_words,
                "console_column": row.is_console_column,
            }
        )

    def to_input(self, kind: FieldKind | None = None) -> FieldInput:
        """What ``review_form.add_field`` and ``update_field`` take (``kind``: the field's own, when it exists)."""
        data: dict[str, Any] = {
            "label": self.label.data or "",
            "kind": kind or FieldKind(self.kind.data),
            "help": self.help.data or "",
            "required": bool(self.required.data),
            "visibility": Audience(self.visibility.data),
            "labels": _lines(self.scale.data),
            "best": self.best.data or "high",
            "choices": _lines(self.options.data),
            "min_words": self.min_words.data,
            "max_words": self.max_words.data,
            "console_column": bool(self.console_column.data),
        }
        return FieldInput(**data)
