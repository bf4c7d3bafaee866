from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.db import parse_id
from portal.domain import DomainError
from portal.forms import MultiCheckboxField, SelectField, single_line, strip, unix_newlines
from portal.models import Submission, Workshop
from portal.services.submissions import MAX_AUTHORS, AuthorInput, Details, parse_declared_conflicts, video_problem

ABSTRACT_MAX = 3000


class AuthorForm(Form):
    name = StringField("Name", filters=[strip], validators=[Optional(), single_line, Length(max=200)])
    email = StringField("Email", filters=[strip], validators=[Optional(), single_line, Length(max=320)])
    affiliation = StringField("Affiliation", filters=[strip], validators=[Optional(), single_line, Length(max=300)])


class AuthorRows:
    """The author rows of a submission form (new, edit, camera-ready): the authors as the services take them, and
    a row added, removed or moved without JavaScript."""

    authors: FieldList

    @staticmethod
    def model_data(sub: Submission) -> SimpleNamespace:
        """The submission as a form's ``obj`` (its fields by the forms' names)."""
        return SimpleNamespace(
            title=sub.title,
            abstract=sub.abstract,
            type=sub.type_id,
            primary_topic=sub.primary_topic_id,
            secondary_topics=[t.id for t in sub.secondary_topics],
            keywords=sub.keywords,
            authors=[SimpleNamespace(name=a.name, email=a.email, affiliation=a.affiliation) for a in sub.authors],
            declared_conflicts=sub.declared_conflicts,
            version=str(sub.version),
            paper=None,
            supplementary=None,
        )

    def author_inputs(self) -> list[AuthorInput]:
        """The rows filled in, as the services take them."""
        return [
            AuthorInput(e.form.name.data or "", e.form.email.data or "", e.form.affiliation.data or "")
            for e in self.authors.entries
            if (e.form.name.data or e.form.email.data or e.form.affiliation.data)
        ]

    def move_author(self, action: str) -> bool:
        """Add, remove or move an author row (``add``, ``remove-2``, ``up-2``, ``down-2``; ``trim`` cuts the list to
        the maximum). True when ``action`` was such an action."""
        rows = [
            {"name": e.form.name.data, "email": e.form.email.data, "affiliation": e.form.affiliation.data}
            for e in self.authors.entries
        ][:MAX_AUTHORS]
        verb, _, index = action.partition("-")
        if verb == "add":
            rows.append({"name": "", "email": "", "affiliation": ""})
        elif verb == "trim":
            pass  # only cut the list down to the maximum
        elif verb in ("remove", "up", "down") and (i := parse_id(index, len(rows) - 1)) is not None:
            if verb == "remove" and len(rows) > 1:
                rows.pop(i)
            elif verb == "up" and i > 0:
                rows[i - 1], rows[i] = rows[i], rows[i - 1]
            elif verb == "down" and i + 1 < len(rows):
                rows[i + 1], rows[i] = rows[i], rows[i + 1]
        else:
            return False
        while self.authors.entries:
            self.authors.pop_entry()
        for row in rows:
            self.authors.append_entry(row)
        return True


class SubmissionForm(AuthorRows, FlaskForm):
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

    @classmethod
    def from_model(cls, sub: Submission) -> SubmissionForm:
        return cls(obj=cls.model_data(sub))

    def to_input(self) -> tuple[Details, list[str]]:
        """What ``submissions.create_submission`` and ``update_submission`` take, and the problems with the
        declared conflicts (each a sentence)."""
        conflicts, problems = parse_declared_conflicts(self.declared_conflicts.data or "")
        details = Details(
            title=self.title.data,
            abstract=self.abstract.data,
            type_id=self.type.data,
            primary_topic_id=self.primary_topic.data,
            secondary_topic_ids=self.secondary_topics.data or [],
            keywords=self.keywords.data or "",
            authors=self.author_inputs(),
            declared_conflicts=conflicts,
        )
        return details, problems


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

    def to_input(self, ws: Workshop) -> datetime | None:
        """The new deadline, in the workshop's zone unless it names its own (None: the common deadline again);
        DomainError when it is no date and time."""
        if not self.until.data:
            return None
        try:
            naive = datetime.fromisoformat(self.until.data.replace("T", " "))
            until = naive.replace(tzinfo=ws.zone) if naive.tzinfo is None else naive
            until.astimezone(UTC)  # OverflowError when it falls outside the years 1-9999 in UTC
        except (ValueError, OverflowError) as exc:
            raise DomainError("Give the new deadline as 2026-12-20 23:59.") from exc
        return until


class CameraReadyForm(AuthorRows, FlaskForm):
    title = StringField("Title", filters=[strip], validators=[DataRequired("Give the title."), single_line, Length(max=300)])
    authors = FieldList(FormField(AuthorForm), min_entries=1, max_entries=MAX_AUTHORS + 1)
    paper = FileField("Final PDF (not anonymous)")
    version = HiddenField()

    @classmethod
    def from_model(cls, sub: Submission) -> CameraReadyForm:
        return cls(obj=cls.model_data(sub))

    def to_input(self) -> dict[str, Any]:
        """What ``submissions.upload_camera_ready`` takes besides the checked paper."""
        return {"title": self.title.data, "authors": self.author_inputs(), "version": parse_id(self.version.data) or -1}


class MaterialsForm(FlaskForm):
    """An accepted paper's poster and slides (PDFs, checked as papers are) and its video link."""

    poster = FileField("Poster (PDF)")
    remove_poster = BooleanField("Remove the poster")
    slides = FileField("Slides (PDF)")
    remove_slides = BooleanField("Remove the slides")
    video_url = StringField(
        "Video link",
        filters=[strip],
        validators=[Optional(), single_line, Length(max=500)],
        description="The recording's web address (https://…); empty for none.",
    )
    version = HiddenField()

    def validate_video_url(self, field: StringField) -> None:
        if field.data and (problem := video_problem(field.data)):
            raise ValidationError(problem)

    def removed(self) -> set[str]:
        return {what for what in ("poster", "slides") if self[f"remove_{what}"].data}


class ResponseForm(FlaskForm):
    """The authors' response to the reviews (issue 21.3); ``version`` is the response's as the page showed it."""

    body = TextAreaField(
        "Your response to the reviewers",
        filters=[unix_newlines],
        validators=[Length(max=20_000, message="The response can be at most 20,000 characters.")],
        description="Plain text. Answer the reviewers' questions and correct factual errors; the reviewers and the "
        "chairs read it after the response deadline, under your paper's number, never with your names.",
    )
    version = HiddenField()

    def version_seen(self) -> int | None:
        return parse_id(self.version.data or "")
