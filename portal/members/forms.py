from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from portal.forms import SelectField, choices, unix_newlines


class InviteForm(FlaskForm):
    lines = TextAreaField(
        "Reviewers to invite",
        filters=[unix_newlines],
        description="One per line: Name <email@example.org>, Name email@example.org, a bare address, or rows pasted "
        "from a spreadsheet (Name,email or tab-separated; a header row is skipped). Each gets a mail with accept and "
        "decline links.",
        validators=[DataRequired("Paste at least one line."), Length(max=100_000)],
    )
    message = TextAreaField(
        "A message from the chairs (optional)",
        filters=[unix_newlines],
        description="Added to each invitation, for example what the workshop expects of its reviewers and when.",
        validators=[Optional(), Length(max=2_000, message="Keep the message under 2,000 characters.")],
    )
    role = SelectField(
        "Invite them as",
        choices=choices([("reviewer", "Reviewers"), ("area_chair", "Area chairs")]),
        default="reviewer",
        description="Area chairs oversee the reviews of the papers you give them and write their meta-reviews.",
    )


class RoleForm(FlaskForm):
    role = HiddenField(validators=[AnyOf(["reviewer", "area_chair", "chair"])])
    grant = HiddenField(validators=[AnyOf(["1", "0"])])
