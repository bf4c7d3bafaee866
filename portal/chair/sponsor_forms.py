"""Forms of the chairs' sponsors pages: the follow-up of an inquiry (state, notes, the mail thread, what the site
shows of a confirmed sponsor)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, Form, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import SelectField, choices, single_line, strip, unix_newlines
from portal.images import MAX_BYTES
from portal.models import SponsorState, SponsorTier
from portal.services.content_edit import homepage_problem
from portal.services.sponsors import FollowUp

TEXT_MAX = 20_000


def sponsor_link(form: Form, field: Field) -> None:
    if homepage_problem(field.data or ""):
        raise ValidationError("Give the sponsor's web address, starting with https:// (or http://), like https://example.org.")


class FollowUpForm(FlaskForm):
    state = SelectField(
        "State",
        choices=choices((s.value, s.label) for s in SponsorState),
        validators=[DataRequired("Choose a state.")],
        description="Confirmed: shown on the site (home and sponsors pages) with its tier, link and logo.",
    )
    tier = SelectField(
        "Tier on the site",
        choices=choices([("", "None yet"), *((t.value, t.label) for t in SponsorTier)]),
        # No Optional(): it would pass blanks ("  ") that are not a choice; "" (None yet) is one.
        description="The site lists gold sponsors first. A confirmed sponsor needs a tier.",
    )
    display_name = StringField(
        "Name on the site",
        filters=[strip],
        validators=[Optional(), single_line, Length(max=200)],
        description="Empty: the organization's name as the sponsor wrote it.",
    )
    website = StringField(
        "Link",
        filters=[strip],
        validators=[Optional(), Length(max=500), sponsor_link],
        description="The sponsor's site, like https://example.org; the logo links to it.",
    )
    logo = FileField(
        "Logo",
        description=f"PNG, JPEG, WebP or GIF, up to {MAX_BYTES // (1024 * 1024)} MB; kept re-encoded within "
        "320 by 160 pixels, its transparency kept.",
    )
    remove_logo = BooleanField("Remove the logo")
    thread_summary = TextAreaField(
        "Summary of the mail thread",
        filters=[unix_newlines, strip],
        validators=[Length(max=TEXT_MAX)],
        description="What was agreed by mail since the inquiry: amounts, dates, who answers. Chairs only.",
    )
    notes = TextAreaField("Notes", filters=[unix_newlines, strip], validators=[Length(max=TEXT_MAX)], description="Chairs only.")
    save = SubmitField("Save")

    def to_input(self) -> FollowUp:
        """What ``sponsors.follow_up`` takes (the logo apart)."""
        return FollowUp(
            state=SponsorState(self.state.data),
            notes=self.notes.data or "",
            thread_summary=self.thread_summary.data or "",
            display_name=self.display_name.data or "",
            tier=SponsorTier(self.tier.data) if self.tier.data else None,
            website=self.website.data or "",
        )
