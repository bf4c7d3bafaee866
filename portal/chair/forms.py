from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, StopValidation

from portal.assign.affinity import Weights
from portal.db import MAX_ID, parse_id
from portal.forms import IntegerField, LocalDateTimeField, RadioField, choices, local_text, single_line, strip
from portal.models import Phase, User, Workshop
from portal.services.review_settings import ReviewSettings
from portal.services.settings import parse_local

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
    bidding_deadline = LocalDateTimeField("Bidding deadline", filters=[strip], description=DATE_HELP)
    review_deadline = LocalDateTimeField("Review deadline", filters=[strip], description=DATE_HELP)
    reviews_per_paper = IntegerField("Reviews per paper", validators=[InputRequired(), NumberRange(1, 10)])
    default_max_load = IntegerField("Maximum papers per reviewer (default)", validators=[InputRequired(), NumberRange(1, 100)])
    default_min_load = IntegerField(
        "Minimum papers per reviewer (default)",
        validators=[Optional(), NumberRange(0, 100)],
        description="The automatic assignment gives each reviewer at least this many papers where their bids and "
        "conflicts allow, and says who stays below it and why. 0 or empty: no minimum.",
    )
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

    response_opens_at = LocalDateTimeField(
        "Author response: reviews released to the authors",
        filters=[strip],
        description="From then on the authors of each paper read its reviews (the fields for the authors, never a "
        "reviewer's name) and write one response. Empty: no author response.",
    )
    response_deadline = LocalDateTimeField(
        "Author response deadline",
        filters=[strip],
        description="The responses are final then, and the paper's reviewers read them.",
    )
    response_words = IntegerField(
        "Words a response may have", validators=[Optional(), NumberRange(10, 5000)], description="500 if empty."
    )

    @classmethod
    def from_model(cls, ws: Workshop) -> ReviewSettingsForm:
        return cls(
            data={
                "phase": ws.phase.value,
                "bidding_deadline": local_text(ws.bidding_deadline, ws.zone),
                "review_deadline": local_text(ws.review_deadline, ws.zone),
                "reviews_per_paper": ws.reviews_per_paper,
                "default_max_load": ws.default_max_load,
                "default_min_load": ws.default_min_load,
                "weight_bid": ws.weight_bid,
                "weight_topics": ws.weight_topics,
                "weight_text": ws.weight_text,
                "discussion_before_review": ws.discussion_before_review,
                "response_opens_at": local_text(ws.response_opens_at, ws.zone),
                "response_deadline": local_text(ws.response_deadline, ws.zone),
                "response_words": ws.response_words,
            }
        )

    @staticmethod
    def loads(people: list[User], prefix: str = "load") -> tuple[dict[int, int | None], list[str]]:
        """Each reviewer's maximum (``load-<id>``) or minimum (``min-<id>``) load as posted beside the form
        (empty: the default), and the problems with them. A reviewer whose field was not posted (on another page
        of the list) is left out, so their loads stay as they are."""
        loads: dict[int, int | None] = {}
        problems = []
        which = "load" if prefix == "load" else "minimum load"
        for u in people:
            if f"{prefix}-{u.id}" not in request.form:
                continue
            raw = (request.form.get(f"{prefix}-{u.id}") or "").strip()
            loads[u.id] = parse_id(raw, 100)
            if raw and loads[u.id] is None:
                problems.append(f"The {which} of {u.name} must be a whole number from 0 to 100.")
        return loads, problems

    def to_input(self, ws: Workshop, loads: dict[int, int | None], minimums: dict[int, int | None]) -> ReviewSettings:
        """What ``review_settings.update_review_settings`` takes; DomainError for a date that is none."""
        return ReviewSettings(
            phase=Phase(self.phase.data),
            bidding_deadline=parse_local(self.bidding_deadline.data or "", ws.timezone),
            review_deadline=parse_local(self.review_deadline.data or "", ws.timezone),
            reviews_per_paper=self.reviews_per_paper.data,
            default_max_load=self.default_max_load.data,
            weights=Weights(float(self.weight_bid.data), float(self.weight_topics.data), float(self.weight_text.data)),
            loads=loads,
            discussion_before_review=bool(self.discussion_before_review.data),
            default_min_load=self.default_min_load.data or 0,
            minimums=minimums,
            response_opens_at=parse_local(self.response_opens_at.data or "", ws.timezone),
            response_deadline=parse_local(self.response_deadline.data or "", ws.timezone),
            response_words=self.response_words.data or 500,
        )


class RunAssignmentForm(FlaskForm):
    """How the chair wants the automatic assignment run."""

    mode = RadioField(
        "Optimise for",
        choices=choices(
            [
                ("total", "Best total: the most affinity over all papers"),
                ("fair", "Fairest: lift the worst-served paper first, then the total"),
            ]
        ),
        default="total",
        validators=[Optional()],  # (absent: the best total, as before the choice existed)
    )
    balanced = BooleanField(
        "Balance the loads",
        description="Every reviewer's load within one of the others', where bids and conflicts allow; the largest load "
        "is the smallest that still covers every paper.",
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


def in_range(low: int, high: int) -> list[object]:
    """``NumberRange(low, high)``, with a number of hundreds of digits refused by the same message first (WTForms'
    NumberRange compares it as a float and raises OverflowError past 1e308)."""
    message = f"Number must be between {low} and {high}."

    def not_huge(form: object, field: IntegerField) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise StopValidation(message)

    return [Optional(), not_huge, NumberRange(low, high, message)]


class AreaChairLoadsForm(FlaskForm):
    """The area chairs' loads (issue 22.5): the defaults for all, and each area chair's own beside the form."""

    default_max = IntegerField(
        "Maximum papers per area chair (default)",
        validators=in_range(1, 10000),
        description="Empty: the even share of all the submitted papers among the area chairs.",
    )
    default_min = IntegerField(
        "Minimum papers per area chair (default)",
        validators=in_range(0, 10000),
        description="The automatic assignment gives each area chair at least this many papers (their current ones "
        "count) where conflicts allow, and says who stays below it and why. 0 or empty: no minimum.",
    )

    @classmethod
    def from_model(cls, ws: Workshop) -> AreaChairLoadsForm:
        return cls(data={"default_max": ws.ac_default_max_load, "default_min": ws.ac_default_min_load or None})

    @staticmethod
    def loads(people: list[User], prefix: str) -> tuple[dict[int, int | None], list[str]]:
        """Each area chair's maximum (``acmax-<id>``) or minimum (``acmin-<id>``) as posted (empty: the default),
        and the problems with them; one not posted is left as it is."""
        loads: dict[int, int | None] = {}
        problems = []
        which = "maximum" if prefix == "acmax" else "minimum"
        for u in people:
            if f"{prefix}-{u.id}" not in request.form:
                continue
            raw = (request.form.get(f"{prefix}-{u.id}") or "").strip()
            loads[u.id] = parse_id(raw, 10000)
            if raw and loads[u.id] is None:
                problems.append(f"The {which} load of {u.name} must be a whole number from 0 to 10000.")
        return loads, problems
