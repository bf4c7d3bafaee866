"""The group-mail form: audience (with the filters of the author audiences, or the chosen papers), subject and
body; Preview and Send are two buttons of one form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import RadioField, SelectField, choices, single_line, strip, unix_newlines
from portal.models import Decision, Presentation, Workshop
from portal.services import mail_templates
from portal.services.groupmail import AUDIENCES, STATES, UNDECIDED, Filters

DEFAULT_BODY = """Dear {{ name }},



The {{ workshop }} chairs
"""

FILTER_HELP = "For “All authors” (and the accepted or rejected papers' authors): which papers' authors get the mail."


class GroupMailForm(FlaskForm):
    audience = RadioField("To", choices=choices(AUDIENCES.items()), validators=[InputRequired("Choose who gets the mail.")])
    decision = SelectField(
        "Decision",
        choices=choices(
            [("", "Any"), (UNDECIDED, "No decision told yet (no letter sent)")]
            + [(d.value, f"{d.value.capitalize()} (letter sent)") for d in Decision]
        ),
        validators=[Optional()],
        default="",
    )
    presentation = SelectField(
        "Presentation",
        choices=choices([("", "Any")] + [(p.value, f"{p.value.capitalize()} (letter sent)") for p in Presentation]),
        validators=[Optional()],
        default="",
    )
    topic = SelectField("Topic", choices=choices([("", "Any topic")]), validators=[Optional()], default="")
    state = SelectField("State", choices=choices(STATES.items()), validators=[Optional()], default="")
    papers = StringField(
        "Paper numbers",
        filters=[strip],
        validators=[Optional(), Length(max=200_000)],
        description="For “Authors of chosen papers”: their numbers, like 12, 15, 18 (the decisions page fills this in "
        "with the ticked papers).",
    )
    subject = StringField(
        "Subject", filters=[strip], validators=[DataRequired(), single_line, Length(max=300)], default="[{{ workshop }}] "
    )
    body = TextAreaField("Mail", filters=[unix_newlines], validators=[DataRequired(), Length(max=20_000)], default=DEFAULT_BODY)
    # The digest of the preview the chair saw; Send refuses anything else.
    digest = HiddenField()
    preview = SubmitField("Preview")
    send = SubmitField("Send")

    def for_workshop(self, ws: Workshop) -> GroupMailForm:
        """The topic filter offers the workshop's topics."""
        self.topic.choices = choices([("", "Any topic")] + [(str(t.id), t.title) for t in ws.topics])
        return self

    def filters(self) -> Filters:
        return Filters.from_values(
            decision=self.decision.data or "",
            presentation=self.presentation.data or "",
            topic=self.topic.data or "",
            state=self.state.data or "",
            papers=self.papers.data or "",
        )


class MailTemplateForm(FlaskForm):
    """The chairs' wording of one system mail (issue 21.7): Preview renders it about a paper, Save keeps it."""

    subject = StringField(
        "Subject",
        filters=[strip],
        validators=[DataRequired("A mail needs a subject."), single_line, Length(max=mail_templates.MAX_SUBJECT)],
    )
    body = TextAreaField(
        "Mail",
        filters=[unix_newlines],
        validators=[DataRequired("A mail needs a body."), Length(max=mail_templates.MAX_BODY)],
    )
    paper = StringField(
        "Preview about paper #",
        filters=[strip],
        validators=[Optional(), Length(max=20)],
        description="The number of a paper you handle: the preview fills in its values, and its first reviewer "
        "(you, when it has none) or, for the receipt, its submitter.",
    )
    preview = SubmitField("Preview")
    save = SubmitField("Save")
