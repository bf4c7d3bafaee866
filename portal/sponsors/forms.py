from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from portal.forms import SelectField, choices, single_line, strip, unix_newlines

MESSAGE_MAX = 5000


class SponsorInquiryForm(FlaskForm):
    name = StringField(
        "Your name",
        filters=[strip],
        validators=[DataRequired("Tell us your name."), Length(max=200), single_line],
    )
    organization = StringField(
        "Organization",
        filters=[strip],
        validators=[DataRequired("Tell us which organization you represent."), Length(max=200), single_line],
    )
    email = EmailField(
        "Email",
        filters=[strip],
        description="We answer at this address.",
        validators=[
            DataRequired("Give an email address we can answer."),
            single_line,
            Length(max=320),
            Email("This does not look like an email address (name@example.org)."),
        ],
    )
    interest = SelectField("Sponsorship interest", validators=[DataRequired("Choose what interests you.")])
    message = TextAreaField(
        "Message",
        filters=[strip, unix_newlines],
        description=f"What you have in mind, in up to {MESSAGE_MAX:,} characters.",
        validators=[
            DataRequired("Write a message to the organizers."),
            Length(
                max=MESSAGE_MAX,
                message=f"Keep the message under {MESSAGE_MAX:,} characters (it has %(length)s); attach details in a later mail.",
            ),
        ],
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = StringField("Leave this field empty")

    def __init__(self, *args: object, options: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.interest.choices = choices([("", "Choose one…"), *options])

    def to_input(self) -> dict[str, Any]:
        """What ``sponsors.submit_inquiry`` takes (besides the workshop and the sender's address)."""
        return {name: self[name].data for name in ("name", "organization", "email", "interest", "message")}
