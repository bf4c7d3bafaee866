from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from portal.db import parse_id
from portal.forms import MultiCheckboxField, RadioField, choices, strip, unix_newlines
from portal.models import FieldKind, Review, ReviewField

TEXT = [Optional(), Length(max=20_000)]


def _description(row: ReviewField) -> str:
    """Under the field: the chair's help, the word limits, who reads it."""
    limits = ""
    if row.kind == FieldKind.TEXT and (row.min_words or row.max_words):
        if row.min_words and row.max_words:
            limits = f"Between {row.min_words} and {row.max_words} words."
        elif row.max_words:
            limits = f"At most {row.max_words} words."
        else:
            limits = f"At least {row.min_words} words."
    best = ""
    if row.kind == FieldKind.SCORE and not row.fixed_scale:
        best = f"{len(row.labels) if row.best == 'high' else 1} is best."
    required = "Required to submit the review." if row.required else ""
    return " ".join(x for x in (row.help, best, limits, required, row.visibility.note) if x)


def _input(row: ReviewField) -> Any:
    """The WTForms field of one review field."""
    label, description = row.label, _description(row)
    if row.kind == FieldKind.SCORE:
        pairs = ((i, f"{i}: {text}") for i, text in row.scale())
        return RadioField(label, coerce=int, validators=[Optional()], choices=choices(pairs), description=description)
    if row.kind == FieldKind.CHOICE:
        pairs = ((c, c) for c in row.choices)
        return RadioField(label, validators=[Optional()], choices=choices(pairs), description=description)
    if row.kind == FieldKind.YESNO:
        pairs = (("yes", "Yes"), ("no", "No"))
        return RadioField(label, validators=[Optional()], choices=choices(pairs), description=description)
    if row.kind == FieldKind.MULTI:
        pairs = ((c, c) for c in row.choices)
        return MultiCheckboxField(label, validators=[Optional()], choices=choices(pairs), description=description)
    return TextAreaField(label, filters=[unix_newlines], validators=TEXT, description=description)


class ReviewForm(FlaskForm):
    """The review as the form's fields ask it (``review_form_for``); ``version`` is the review's as opened."""

    version = HiddenField()
    rows: list[ReviewField] = []

    @classmethod
    def from_model(cls, review: Review | None) -> ReviewForm:
        """The review as saved, with the version it was opened at (empty for a review not yet begun)."""
        data: dict[str, Any] = {}
        for row in cls.rows:
            value = review.answer(row.key) if review else None
            if row.kind == FieldKind.YESNO and value is not None:
                value = "yes" if value else "no"
            data[row.key] = value
        form = cls(data=data)
        form.version.data = str(review.version) if review else ""
        return form

    def keep_given(self, review: Review | None) -> None:
        """Offer again an answer the review holds that the form no longer offers (a point taken off a scale, an
        option removed or renamed since), marked so: saving keeps it unless the reviewer chooses another."""
        if review is None:
            return
        for row in self.rows:
            value = review.answer(row.key)
            off_scale = row.kind == FieldKind.SCORE and isinstance(value, int) and row.scale_label(value) is None
            if off_scale or (row.kind == FieldKind.CHOICE and isinstance(value, str) and value and value not in row.choices):
                gone = [value]
            elif row.kind == FieldKind.MULTI and isinstance(value, list):
                gone = [v for v in value if v not in row.choices]
            else:
                continue
            field = self[row.key]
            field.choices = [*field.choices, *choices((v, f"{v} (as you gave it; no longer offered)") for v in gone)]

    def to_input(self) -> dict[str, Any]:
        """What ``reviews.save_review`` takes (besides the assignment and whether to submit)."""
        data: dict[str, Any] = {}
        for row in self.rows:
            value = self[row.key].data
            if row.kind == FieldKind.YESNO:
                value = {"yes": True, "no": False}.get(value or "")
            elif row.kind == FieldKind.MULTI:
                value = [v for v in (value or []) if v]
            elif row.kind in (FieldKind.TEXT, FieldKind.CHOICE):
                value = value or ""
            data[row.key] = value
        return {"data": data, "version": parse_id(self.version.data)}

    @property
    def answer_fields(self) -> list[Any]:
        return [self[row.key] for row in self.rows]


def review_form_for(rows: list[ReviewField]) -> type[ReviewForm]:
    """A form class asking ``rows`` (the review form's fields, in order), named by their keys."""
    attrs: dict[str, Any] = {row.key: _input(row) for row in rows}
    attrs["rows"] = list(rows)
    return type("ReviewForm", (ReviewForm,), attrs)


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Add to the discussion",
        filters=[strip, unix_newlines],
        validators=[Length(min=1, max=10_000, message="Write between 1 and 10,000 characters.")],
    )


class DeclineForm(FlaskForm):
    why = RadioField(
        "Why",
        choices=choices(
            [
                ("cannot", "I cannot review it (no time, not my field)"),
                ("conflict", "I have a conflict of interest with this paper that the portal did not catch"),
            ]
        ),
        default="cannot",
        validators=[Optional()],  # (absent: "cannot", as before the choice existed)
    )
    reason = TextAreaField(
        "Why you decline (the chairs read it)",
        filters=[strip],
        validators=[Optional(), Length(max=500, message="Keep the reason under 500 characters.")],
        description="For a conflict, what it is (a colleague, a recent co-author, an adviser). Optional.",
    )


class AreaChairDeclineForm(DeclineForm):
    """The area chair gives back a paper they were to oversee (issue 21.5). Made with ``prefix="ac"``: its fields
    never share an id with the reviewer's decline form on the same page."""

    why = RadioField(
        "Why",
        choices=choices(
            [
                ("cannot", "I cannot oversee it (no time, not my field)"),
                ("conflict", "I have a conflict of interest with this paper that the portal did not catch"),
            ]
        ),
        default="cannot",
        validators=[Optional()],
    )


class ExtraReviewForm(FlaskForm):
    """The area chair asks the chairs for one more review of a paper."""

    reason = TextAreaField(
        "Why the paper needs another review",
        filters=[strip, unix_newlines],
        description="The chairs read this on the paper's page and the console; say what expertise is missing.",
        validators=[Length(min=1, max=2_000, message="Write between 1 and 2,000 characters.")],
    )
