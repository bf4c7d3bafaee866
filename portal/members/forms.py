from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from portal.forms import unix_newlines


class InviteForm(FlaskForm):
    lines = TextAreaField(
        "Reviewers to invite",
        filters=[unix_newlines],
        description="One per line, as Name <email@example.org>. Each gets a mail with accept and decline links.",
        validators=[DataRequired("Paste at least one line."), Length(max=100_000)],
    )


class RoleForm(FlaskForm):
    role = HiddenField(validators=[AnyOf(["reviewer", "chair"])])
    grant = HiddenField(validators=[AnyOf(["1", "0"])])
