from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import choices, single_line, strip

DATE_HELP = "In the workshop's time zone, like 2026-12-20 23:59. Leave empty for none."


class TypeForm(Form):
    id = HiddenField()
    name = StringField("Name", filters=[strip], validators=[Optional(), single_line, Length(max=200)])
    page_limit = IntegerField("Page limit", validators=[Optional(), NumberRange(1, 200)])
    reference_pages = IntegerField(
        "Extra pages for references",
        validators=[Optional(), NumberRange(0, 200)],
        description="Empty: unlimited (only the main text counts).",
    )
    remove = BooleanField("Remove")


class SettingsForm(FlaskForm):
    timezone = StringField(
        "Time zone",
        filters=[strip],
        validators=[DataRequired(), Length(max=64)],
        description="AoE (Anywhere on Earth) or an IANA zone such as Europe/Vienna.",
    )
    submission_open = StringField("Submissions open", filters=[strip], description=DATE_HELP)
    abstract_deadline = StringField("Abstract registration deadline (optional)", filters=[strip], description=DATE_HELP)
    paper_deadline = StringField("Full-paper deadline", filters=[strip], description=DATE_HELP)
    notification = StringField("Author notification", filters=[strip], description=DATE_HELP)
    camera_ready = StringField("Camera-ready deadline", filters=[strip], description=DATE_HELP)
    max_upload_mb = IntegerField("Maximum paper size (MB)", validators=[InputRequired(), NumberRange(1, 60)])
    supplementary_max_mb = IntegerField("Maximum supplementary size (MB)", validators=[InputRequired(), NumberRange(1, 60)])
    double_blind = RadioField(
        "Review mode",
        coerce=str,
        choices=choices(
            [
                ("1", "Double-blind: reviewers do not see the authors"),
                ("0", "Single-blind: reviewers see the authors"),
            ]
        ),
        validators=[InputRequired("Choose double-blind or single-blind review.")],
    )
    anonymity_blocks = RadioField(
        "When the anonymity check finds an author's name",
        coerce=str,
        choices=choices(
            [
                ("0", "Warn the author and accept the upload"),
                ("1", "Refuse the upload"),
            ]
        ),
        validators=[InputRequired("Choose whether to warn the author or refuse the upload.")],
    )
    types = FieldList(FormField(TypeForm), min_entries=1)
