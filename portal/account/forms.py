from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, Form, FormField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import (
    EMAIL_VALIDATORS,
    MultiCheckboxField,
    ProfileFieldsMixin,
    current_password,
    new_password_fields,
    single_line,
    strip,
    unix_newlines,
)


class ProfileForm(ProfileFieldsMixin, FlaskForm):
    pass


class EmailChangeForm(FlaskForm):
    email = EmailField(
        "New email address",
        filters=[strip],
        validators=EMAIL_VALIDATORS,
        description="We send a link to it; the change takes effect when you open the link.",
    )
    password = PasswordField("Your current password", validators=[DataRequired("Give your current password."), current_password])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Give your current password."), current_password])
    password, confirm = new_password_fields(help_text="At least 12 characters. Every other session is signed out.")


class PaperForm(Form):
    title = StringField("Title", filters=[strip], validators=[Optional(), single_line, Length(max=500)])
    abstract = TextAreaField("Abstract", filters=[strip, unix_newlines], validators=[Optional(), Length(max=5000)])


PAPER_SLOTS = 5


class ExpertiseForm(FlaskForm):
    topics = MultiCheckboxField(
        "Topics you know well",
        coerce=int,
        description="The call-for-papers topics on which you could review (or that your work is about).",
    )
    statement = TextAreaField(
        "Expertise statement",
        filters=[strip, unix_newlines],
        description="A few sentences on what you work on and can judge; used to match you to submissions.",
        validators=[Optional(), Length(max=3000)],
    )
    # No min_entries: WTForms 3.3 renumbers the posted rows, then gives a filler row the index of a posted one, so a
    # post without row 0 stored its last paper twice. The view makes the empty slots for the page.
    papers = FieldList(FormField(PaperForm), max_entries=PAPER_SLOTS)


class ConflictsForm(FlaskForm):
    institutions = TextAreaField(
        "Institutions",
        filters=[unix_newlines],
        validators=[Length(max=10_000)],
        description="One per line: where you work, studied or worked in the last three years.",
    )
    domains = TextAreaField(
        "Email domains",
        filters=[unix_newlines],
        validators=[Length(max=10_000)],
        description="One per line, like ucsd.edu: authors with an address there (or below it) conflict with you.",
    )
    people = TextAreaField(
        "People",
        filters=[unix_newlines],
        validators=[Length(max=20_000)],
        description="One email address per line: co-authors, advisors, students, close collaborators.",
    )
