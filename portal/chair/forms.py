from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, StopValidation

from portal.db import MAX_ID
from portal.forms import choices, single_line, strip

DATE_HELP = "In the workshop's time zone, like 2026-12-20 23:59."


def finite(form: object, field: DecimalField) -> None:
    """NaN and infinities are no weight (and WTForms' NumberRange raises on ``sNaN`` instead of refusing it)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Number must be between 0 and 10.")


class ReviewSettingsForm(FlaskForm):
    phase = RadioField(
        "Phase",
        coerce=str,
        choices=choices(
            [
                ("submission", "Submission: authors submit; reviewers wait"),
                ("bidding", "Bidding: reviewers mark the papers they want"),
                ("reviewing", "Reviewing: reviewers write their reviews"),
            ]
        ),
        validators=[InputRequired("Choose the phase the workshop is in.")],
    )
    bidding_deadline = StringField("Bidding deadline", filters=[strip], description=DATE_HELP)
    review_deadline = StringField("Review deadline", filters=[strip], description=DATE_HELP)
    reviews_per_paper = IntegerField("Reviews per paper", validators=[InputRequired(), NumberRange(1, 10)])
    default_max_load = IntegerField("Maximum papers per reviewer (default)", validators=[InputRequired(), NumberRange(1, 100)])
    weight_bid = DecimalField("Weight of the bid", places=2, validators=[InputRequired(), finite, NumberRange(0, 10)])
    weight_topics = DecimalField(
        "Weight of the topics in common", places=2, validators=[InputRequired(), finite, NumberRange(0, 10)]
    )
    weight_text = DecimalField(
        "Weight of the text similarity", places=2, validators=[InputRequired(), finite, NumberRange(0, 10)]
    )
    discussion_before_review = BooleanField(
        "Open a paper's discussion to its reviewers before they submit their own review",
        description="Off by default, so that each reviewer forms their own view first. Turned on, a reviewer reads "
        "the others' comments (not their reviews) before writing, and may be swayed by them.",
    )


class PairForm(FlaskForm):
    number = IntegerField("Submission number", validators=[InputRequired(), NumberRange(1, MAX_ID)])
    reviewer = StringField("Reviewer's email", filters=[strip], validators=[DataRequired(), Length(max=320)])
    note = StringField("Note (optional)", filters=[strip], validators=[Optional(), single_line, Length(max=500)])


class ExternalReviewerForm(FlaskForm):
    number = IntegerField("Submission number", validators=[InputRequired(), NumberRange(1, MAX_ID)])
    name = StringField("Name", filters=[strip], validators=[DataRequired(), single_line, Length(max=200)])
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired(), single_line, Length(max=320), Email("This does not look like an email address.")],
    )
