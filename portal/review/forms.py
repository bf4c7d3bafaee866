from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import Length, Optional

from portal.db import parse_id
from portal.forms import choices, strip, unix_newlines
from portal.models import CONFIDENCES, RECOMMENDATIONS, REVIEW_FIELDS, Review

TEXT = [Optional(), Length(max=20_000)]


class ReviewForm(FlaskForm):
    recommendation = RadioField(
        "Overall recommendation",
        coerce=int,
        validators=[Optional()],
        choices=choices((k, f"{k}: {v}") for k, v in RECOMMENDATIONS.items()),
    )
    confidence = RadioField(
        "Confidence", coerce=int, validators=[Optional()], choices=choices((k, f"{k}: {v}") for k, v in CONFIDENCES.items())
    )
    summary = TextAreaField("Summary of the paper", filters=[unix_newlines], validators=TEXT)
    strengths = TextAreaField("Strengths", filters=[unix_newlines], validators=TEXT)
    weaknesses = TextAreaField("Weaknesses", filters=[unix_newlines], validators=TEXT)
    comments_to_authors = TextAreaField(
        "Comments to the authors", filters=[unix_newlines], validators=TEXT, description="The authors see these, anonymously."
    )
    confidential_comments = TextAreaField(
        "Confidential comments to the chairs", filters=[unix_newlines], validators=TEXT, description="Only the chairs see these."
    )
    version = HiddenField()

    @classmethod
    def from_model(cls, review: Review | None) -> ReviewForm:
        """The review as saved, with the version it was opened at (empty for a review not yet begun)."""
        form = cls(obj=review)
        form.version.data = str(review.version) if review else ""
        return form

    def to_input(self) -> dict[str, Any]:
        """What ``reviews.save_review`` takes (besides the assignment and whether to submit)."""
        return {"data": {name: self[name].data for name in REVIEW_FIELDS}, "version": parse_id(self.version.data)}


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
