from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import MultiCheckboxField, single_line, strip, unix_newlines
from portal.services.submissions import MAX_AUTHORS

ABSTRACT_MAX = 3000


class AuthorForm(Form):
    name = StringField("Name", filters=[strip], validators=[Optional(), single_line, Length(max=200)])
    email = StringField("Email", filters=[strip], validators=[Optional(), single_line, Length(max=320)])
    affiliation = StringField("Affiliation", filters=[strip], validators=[Optional(), single_line, Length(max=300)])


class SubmissionForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[DataRequired("Give the title."), single_line, Length(max=300)])
    abstract = TextAreaField(
        "Abstract",
        filters=[strip, unix_newlines],
        description=f"Plain text; separate paragraphs with a blank line. At most {ABSTRACT_MAX:,} characters.",
        validators=[
            DataRequired("Write the abstract."),
            Length(max=ABSTRACT_MAX, message=f"Keep the abstract within {ABSTRACT_MAX:,} characters (it has %(length)s)."),
        ],
    )
    type = SelectField("Submission type", coerce=int, validators=[DataRequired("Choose the submission type.")])
    primary_topic = SelectField(
        "Primary topic",
        coerce=int,
        validators=[DataRequired("Choose the primary topic.")],
        description="The call-for-papers topic that fits best.",
    )
    secondary_topics = MultiCheckboxField("Other topics (optional)", coerce=int)
    keywords = StringField(
        "Keywords (optional)",
        filters=[strip],
        description="Separated by commas.",
        validators=[Optional(), single_line, Length(max=500)],
    )
    # Only the first MAX_AUTHORS + 1 rows are parsed: a 10,000-row list costs nothing to refuse.
    authors = FieldList(FormField(AuthorForm), min_entries=1, max_entries=MAX_AUTHORS + 1)
    declared_conflicts = TextAreaField(
        "Conflicts with reviewers (optional)",
        filters=[unix_newlines],
        validators=[Length(max=20_000)],
        description="Email addresses of people who should not review this paper, one per line.",
    )
    paper = FileField("Paper (PDF)")
    supplementary = FileField("Supplementary material (optional, PDF or ZIP)")
    version = HiddenField()


class ConfirmForm(FlaskForm):
    """A CSRF-protected confirmation button (withdraw, restore)."""


class ExtensionForm(FlaskForm):
    until = StringField(
        "New deadline for this submission",
        filters=[strip],
        description="Date and time in the workshop's time zone, like 2026-12-20 23:59; "
        "leave empty to return to the common deadline.",
        validators=[Optional(), Length(max=40)],
    )


class CameraReadyForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[DataRequired("Give the title."), single_line, Length(max=300)])
    authors = FieldList(FormField(AuthorForm), min_entries=1, max_entries=MAX_AUTHORS + 1)
    paper = FileField("Final PDF (not anonymous)")
    version = HiddenField()
