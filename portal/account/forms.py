from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, Form, FormField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import (
    EMAIL_VALIDATORS,
    IntegerField,
    MultiCheckboxField,
    ProfileFieldsMixin,
    RadioField,
    choices,
    current_password,
    new_password_fields,
    single_line,
    strip,
    unix_newlines,
)
from portal.models import ConflictKind, User
from portal.services.accounts import PaperInput, parse_conflicts


class ProfileForm(ProfileFieldsMixin, FlaskForm):
    def to_input(self) -> dict[str, Any]:
        """What ``accounts.update_profile`` takes."""
        return {name: self[name].data for name in ("name", "affiliation", "orcid", "homepage")}


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

    @classmethod
    def from_model(cls, user: User) -> ExpertiseForm:
        """The person's expertise, with an empty slot for each paper not given."""
        papers = [{"title": p.title, "abstract": p.abstract} for p in user.papers][:PAPER_SLOTS]
        return cls(
            data={
                "topics": [t.id for t in user.topics],
                "statement": user.expertise_statement,
                "papers": papers + [{}] * (PAPER_SLOTS - len(papers)),
            }
        )

    def to_input(self, reviewer: bool) -> dict[str, Any]:
        """What ``accounts.set_expertise`` takes: the statement and papers only from a reviewer."""
        papers = [PaperInput(e.form.title.data or "", e.form.abstract.data or "") for e in self.papers.entries]
        return {
            "topic_ids": self.topics.data or [],
            "statement": self.statement.data if reviewer else None,
            "papers": papers if reviewer else None,
        }


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

    @classmethod
    def from_model(cls, user: User) -> ConflictsForm:
        by_kind = {kind: "\n".join(c.value for c in user.conflicts if c.kind == kind) for kind in ConflictKind}
        return cls(
            data={
                "institutions": by_kind[ConflictKind.INSTITUTION],
                "domains": by_kind[ConflictKind.DOMAIN],
                "people": by_kind[ConflictKind.PERSON],
            }
        )

    def to_input(self) -> list[tuple[ConflictKind, str]] | None:
        """The conflicts as ``accounts.set_conflicts`` takes them; None when a line is wrong (its box says which)."""
        found, problems = parse_conflicts(self.institutions.data or "", self.domains.data or "", self.people.data or "")
        for problem in problems:
            (self.people if "email address" in problem else self.domains).errors.append(problem)  # type: ignore[attr-defined]
        return None if problems else found


class TokenForm(FlaskForm):
    """A new personal access token for the JSON API (docs/guide/api.md)."""

    name = StringField(
        "Name",
        filters=[strip],
        validators=[DataRequired("Give the token a name."), single_line, Length(max=100)],
        description="What will use it, such as “decisions script on my laptop”.",
    )
    days = IntegerField(
        "Days it lasts",
        default=90,
        validators=[InputRequired("Give the number of days."), NumberRange(1, 366, "From 1 to 366 days.")],
    )
    scope = RadioField(
        "Scope",
        choices=choices([("read", "Read only"), ("write", "Read and write (acts for you: submits, bids, decides …)")]),
        default="read",
        validators=[InputRequired("Choose a scope.")],
    )

    def to_input(self) -> dict[str, Any]:
        """What ``api_tokens.create_token`` takes besides the people."""
        return {"name": self.name.data, "days": self.days.data, "scope": self.scope.data}
