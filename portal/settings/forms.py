from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.db import parse_id
from portal.domain import DomainError
from portal.forms import IntegerField, LocalDateTimeField, RadioField, choices, local_text, single_line, strip
from portal.models import DateKind, Workshop
from portal.services.settings import TypeInput, parse_local

DATE_HELP = "In the workshop's time zone, like 2026-12-20 23:59. Leave empty for none."
DATE_FIELDS = {
    "submission_open": DateKind.SUBMISSION_OPEN,
    "abstract_deadline": DateKind.ABSTRACT_DEADLINE,
    "paper_deadline": DateKind.PAPER_DEADLINE,
    "notification": DateKind.NOTIFICATION,
    "camera_ready": DateKind.CAMERA_READY,
}


class TypeForm(Form):
    id = HiddenField()
    name = StringField("Name", filters=[strip], validators=[Optional(), single_line, Length(max=200)])
    page_limit = IntegerField("Page limit", validators=[Optional(), NumberRange(1, 200)])
    reference_pages = IntegerField(
        "Extra pages for references",
        validators=[Optional(), NumberRange(0, 200)],
        description="Empty: unlimited (only the main text counts).",
    )
    remove = BooleanField("Remove")


class SettingsForm(FlaskForm):
    timezone = StringField(
        "Time zone",
        filters=[strip],
        validators=[DataRequired(), Length(max=64)],
        description="AoE (Anywhere on Earth) or an IANA zone such as Europe/Vienna.",
    )
    submission_open = LocalDateTimeField("Submissions open", filters=[strip], description=DATE_HELP)
    abstract_deadline = LocalDateTimeField("Abstract registration deadline (optional)", filters=[strip], description=DATE_HELP)
    paper_deadline = LocalDateTimeField("Full-paper deadline", filters=[strip], description=DATE_HELP)
    notification = LocalDateTimeField("Author notification", filters=[strip], description=DATE_HELP)
    camera_ready = LocalDateTimeField("Camera-ready deadline", filters=[strip], description=DATE_HELP)
    max_upload_mb = IntegerField("Maximum paper size (MB)", validators=[InputRequired(), NumberRange(1, 60)])
    supplementary_max_mb = IntegerField("Maximum supplementary size (MB)", validators=[InputRequired(), NumberRange(1, 60)])
    double_blind = RadioField(
        "Review mode",
        coerce=str,
        choices=choices(
            [
                ("1", "Double-blind: reviewers do not see the authors"),
                ("0", "Single-blind: reviewers see the authors"),
            ]
        ),
        validators=[InputRequired("Choose double-blind or single-blind review.")],
    )
    anonymity_blocks = RadioField(
        "When the anonymity check finds an author's name",
        coerce=str,
        choices=choices(
            [
                ("0", "Warn the author and accept the upload"),
                ("1", "Refuse the upload"),
            ]
        ),
        validators=[InputRequired("Choose whether to warn the author or refuse the upload.")],
    )
    types = FieldList(FormField(TypeForm), min_entries=1)

    @classmethod
    def from_model(cls, ws: Workshop) -> SettingsForm:
        """The workshop's settings, its submission types and one empty row that adds a type."""
        types = [
            {"id": str(t.id), "name": t.name, "page_limit": t.page_limit, "reference_pages": t.reference_pages}
            for t in ws.submission_types
        ]
        dates = {name: local_text(d.at if (d := ws.date_of(kind)) else None, ws.zone) for name, kind in DATE_FIELDS.items()}
        return cls(
            data={
                "timezone": ws.zone_label,
                **dates,
                "max_upload_mb": ws.max_upload_mb,
                "supplementary_max_mb": ws.supplementary_max_mb,
                "double_blind": "1" if ws.double_blind else "0",
                "anonymity_blocks": "1" if ws.anonymity_blocks else "0",
                "types": [*types, {}],
            }
        )

    def to_input(self) -> dict[str, Any]:
        """What ``settings.update_settings`` takes; DomainError for a date that is none, or a type without its
        page limit."""
        dates = {kind: parse_local(self[name].data or "", self.timezone.data) for name, kind in DATE_FIELDS.items()}
        types = [
            TypeInput(
                parse_id(e.form.id.data),
                e.form.name.data or "",
                e.form.page_limit.data or 0,
                e.form.reference_pages.data,
                bool(e.form.remove.data),
            )
            for e in self.types.entries
        ]
        bad = [t.name for t in types if t.name and not t.remove and t.page_limit < 1]
        if bad:
            raise DomainError(f"Give a page limit for {', '.join(bad)}.")
        return {
            "timezone": self.timezone.data,
            "dates": dates,
            "max_upload_mb": self.max_upload_mb.data,
            "supplementary_max_mb": self.supplementary_max_mb.data,
            "double_blind": self.double_blind.data == "1",
            "anonymity_blocks": self.anonymity_blocks.data == "1",
            "types": types,
        }
