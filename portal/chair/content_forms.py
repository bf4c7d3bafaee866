"""Forms of the chairs' content editor. Each item form names its Markdown fields, which get a preview."""

from __future__ import annotations

from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import DateField, Field, Form, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from portal.forms import LocalDateTimeField, SelectField, choices, single_line, strip, unix_newlines
from portal.services.content_edit import WORKSHOP_FIELDS, WorkshopInput, homepage_problem

MARKDOWN_HELP = (
    "Fields marked “Markdown” take *emphasis*, **bold**, [a link](https://example.org), lists with “- ” or "
    "“1. ”, # headings and tables; a blank line separates paragraphs. HTML tags are shown as typed. "
    "“Preview” shows the result without saving."
)
TEXT_FILTERS = [unix_newlines, strip]


def _line(label: str, max_length: int = 255, *, required: bool = False, description: str = "") -> StringField:
    """A single line; one the post leaves out (a page opened before the field was added) is empty, as a text is,
    never None (which the database refused, shown as a change at the same moment)."""
    validators = [DataRequired("This cannot be empty.") if required else Optional(), single_line, Length(max=max_length)]
    return StringField(label, default="", filters=[strip], validators=validators, description=description)


def _markdown(label: str, max_length: int, *, required: bool = False, description: str = "") -> TextAreaField:
    validators = [DataRequired("This cannot be empty.") if required else Optional(), Length(max=max_length)]
    return TextAreaField(
        label, filters=TEXT_FILTERS, validators=validators, description=(description + " " if description else "") + "Markdown."
    )


def web_address(form: Form, field: Field) -> None:
    problem = homepage_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ContentForm(FlaskForm):
    """Every content form: Preview re-renders the page with the Markdown shown, Save saves."""

    markdown_fields: ClassVar[tuple[str, ...]] = ()
    markdown_help: ClassVar[str] = MARKDOWN_HELP
    preview = SubmitField("Preview")
    save = SubmitField("Save")


class WorkshopForm(ContentForm):
    markdown_fields = (
        "overview",
        "motivation",
        "objective",
        "audience",
        "cfp_intro",
        "submission_instructions",
        "panel_note",
        "sponsor_call",
    )
    name = _line("Name", required=True, description="The full name, the home page's heading.")
    short_name = _line("Short name", 64, required=True, description="Like LongLLM: the site's header and mail subjects.")
    edition = _line("Edition", 32, required=True, description="Like 2024.")
    tagline = _line("Tagline", 500, description="One sentence under the name on the home page.")
    venue = _line("Venue", 500, description="Where it takes place, like “ICML 2024, Vienna, Austria”.")
    colocated_with = _line(
        "Co-located with",
        300,
        description="The conference the workshop is part of, like “KDD 2024”; the home page's first screen names it.",
    )
    starts_on = DateField("First day", validators=[Optional()], description="Shown with the venue on the home page.")
    ends_on = DateField("Last day (optional)", validators=[Optional()], description="Empty for a one-day workshop.")
    contact_email = StringField(
        "Contact email",
        filters=[strip],
        validators=[
            DataRequired("This cannot be empty."),
            Email("This does not look like an email address."),
            Length(max=255),
        ],
        description="Shown in the footer; sponsor inquiries go here.",
    )
    overview = _markdown("About the workshop", 20000, required=True, description="The home page's first section.")
    motivation = _markdown("Why long context matters", 20000, description="Home page; empty hides the section.")
    objective = _markdown("Objective", 20000, description="Home page, before the fundamental questions.")
    audience = _markdown("Who should come", 20000, description="Home page; empty hides the section.")
    cfp_intro = _markdown("Call for papers: introduction", 20000, description="The top of the call for papers.")
    submission_instructions = _markdown(
        "Format and anonymity", 20000, description="The call for papers' submission instructions."
    )
    panel_note = _markdown(
        "Note while there are no panelists", 2000, description="The speakers page shows it until panelists are added."
    )
    sponsor_call = _markdown("Call for sponsors", 20000, description="The home page and the sponsors page.")

    def to_input(self) -> WorkshopInput:
        """What ``content_edit.update_workshop`` takes."""
        return WorkshopInput(**{name: self[name].data for name in WORKSHOP_FIELDS})


class TopicForm(ContentForm):
    markdown_fields = ("description",)
    title = _line("Title", required=True)
    description = _markdown("Description", 5000)
    examples = _line("Examples", 500, description="Shown as “For example: …”, like RetNet, RWKV.")


class QuestionForm(ContentForm):
    markdown_fields = ("text",)
    title = _line("Title", required=True, description="Short, like Efficiency and Sustainability.")
    text = _markdown("Question", 2000, required=True)


class PersonForm(ContentForm):
    markdown_fields = ("bio",)
    name = _line("Name", required=True)
    affiliation = TextAreaField(
        "Affiliations", filters=TEXT_FILTERS, validators=[Optional(), Length(max=500)], description="One per line."
    )
    homepage = StringField(
        "Homepage",
        filters=[strip],
        validators=[Optional(), Length(max=500), web_address],
        description="Optional; the name links to it. https://… or http://… only.",
    )
    bio = _markdown("Short biography", 5000, description="Optional; shown under the people on their public page.")


class DateForm(ContentForm):
    label = _line("Label", required=True, description="Like Workshop day or Poster session.")
    kind = SelectField(
        "Kind",
        choices=choices([("workshop", "The workshop itself"), ("other", "Another date")]),
        validators=[InputRequired("Choose whether this is the workshop itself or another date.")],
    )
    at = LocalDateTimeField(
        "Date and time",
        filters=[strip],
        validators=[DataRequired("This cannot be empty.")],
        description="In the workshop's time zone, like 2024-07-27 09:00.",
    )


class SponsorOptionForm(ContentForm):
    markdown_fields = ("description",)
    label = _line("Label", required=True, description="How the contact form's list names it.")
    description = _markdown("Description", 2000, description="Optional; the sponsors page lists the options with it.")
