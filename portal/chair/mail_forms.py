"""The group-mail form: audience, subject and body; Preview and Send are two buttons of one form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.forms import choices, single_line, strip, unix_newlines
from portal.services.groupmail import AUDIENCES

DEFAULT_BODY = """Dear {{ name }},



The {{ workshop }} chairs
"""


class GroupMailForm(FlaskForm):
    audience = RadioField("To", choices=choices(AUDIENCES.items()), validators=[InputRequired("Choose who gets the mail.")])
    subject = StringField(
        "Subject", filters=[strip], validators=[DataRequired(), single_line, Length(max=300)], default="[{{ workshop }}] "
    )
    body = TextAreaField("Mail", filters=[unix_newlines], validators=[DataRequired(), Length(max=20_000)], default=DEFAULT_BODY)
    # The digest of the preview the chair saw; Send refuses anything else.
    digest = HiddenField()
    preview = SubmitField("Preview")
    send = SubmitField("Send")
