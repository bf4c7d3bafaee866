from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from portal.forms import choices, single_line, strip

DATE_HELP = "In the workshop's time zone, like 2026-12-20 23:59."


class ReviewSettingsForm(FlaskForm):
    phase = RadioField("Phase", coerce=str, choices=choices([
        ("submission", "Submission: authors submit; reviewers wait"),
        ("bidding", "Bidding: reviewers mark the papers they want"),
        ("reviewing", "Reviewing: reviewers write their reviews"),
    ]))  # fmt: skip
    bidding_deadline = StringField("Bidding deadline", filters=[strip], description=DATE_HELP)
    review_deadline = StringField("Review deadline", filters=[strip], description=DATE_HELP)
    reviews_per_paper = IntegerField("Reviews per paper", validators=[InputRequired(), NumberRange(1, 10)])
    default_max_load = IntegerField("Maximum papers per reviewer (default)",
                                    validators=[InputRequired(), NumberRange(1, 100)])  # fmt: skip
    weight_bid = DecimalField("Weight of the bid", places=2, validators=[InputRequired(), NumberRange(0, 10)])
    weight_topics = DecimalField("Weight of the topics in common", places=2,
                                 validators=[InputRequired(), NumberRange(0, 10)])  # fmt: skip
    weight_text = DecimalField("Weight of the text similarity", places=2,
                               validators=[InputRequired(), NumberRange(0, 10)])  # fmt: skip


class PairForm(FlaskForm):
    number = IntegerField("Submission number", validators=[InputRequired(), NumberRange(1)])
    reviewer = StringField("Reviewer's email", filters=[strip], validators=[DataRequired(), Length(max=320)])
    note = StringField("Note (optional)", filters=[strip], validators=[Optional(), single_line, Length(max=500)])


class ExternalReviewerForm(FlaskForm):
    number = IntegerField("Submission number", validators=[InputRequired(), NumberRange(1)])
    name = StringField("Name", filters=[strip], validators=[DataRequired(), single_line, Length(max=200)])
    email = EmailField("Email", filters=[strip], validators=[DataRequired(), single_line, Length(max=320),
                                                             Email("This does not look like an email address.")])  # fmt: skip
