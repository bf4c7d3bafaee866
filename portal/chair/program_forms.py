"""Forms of the chairs' program editor: a session (a day, clock times in the workshop's zone, a room) and an item."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.db import parse_id
from portal.forms import MultiCheckboxField, SelectField, choices, single_line, strip, unix_newlines
from portal.models import ItemKind, Person, ProgramItem, ProgramRole, ProgramSession, Submission, Workshop
from portal.services.program import ItemInput, Named, SessionInput

REQUIRED = "This cannot be empty."
POSTER_LINE = re.compile(r"^#?(\d{1,9})(?:[\s,;]+(.*))?$")
BOARD_MAX = 32  # ProgramPoster.board's length: a longer one was cut without a word


class SessionForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired(REQUIRED), single_line, Length(max=300)],
        description="Like “Morning session” or “Keynotes”.",
    )
    day = DateField("Day", validators=[DataRequired("Give the day, like 2024-07-27.")])
    starts = TimeField("Starts", validators=[DataRequired("Give a time, like 09:00.")])
    ends = TimeField("Ends", validators=[DataRequired("Give a time, like 10:30.")])
    room = StringField(
        "Room or track (optional)",
        filters=[strip],
        validators=[Optional(), single_line, Length(max=200)],
        description="Empty for the workshop's one room. Sessions in the same room must not overlap.",
    )
    save = SubmitField("Save")

    @classmethod
    def from_model(cls, s: ProgramSession, ws: Workshop) -> SessionForm:
        a, b = s.starts_at.astimezone(ws.zone), s.ends_at.astimezone(ws.zone)
        return cls(data={"title": s.title, "day": a.date(), "starts": a.time(), "ends": b.time(), "room": s.room})

    def to_input(self) -> SessionInput:
        return SessionInput(self.title.data, self.day.data, self.starts.data, self.ends.data, self.room.data or "")

    def validate_ends(self, field: TimeField) -> None:
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The session ends after it starts (on the same day).")


def _names(text: str | None) -> list[Named]:
    return [Named(name=line.strip()) for line in (text or "").splitlines() if line.strip()]


def _person_ids(values: list[str] | None) -> list[Named]:
    return [Named(person_id=pid) for v in values or [] if (pid := parse_id(v)) is not None]


def parse_posters(text: str) -> list[tuple[int, str]]:
    """``12 A3`` a line (the paper's number, then its board, which may be left out) -> [(12, "A3")]."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = POSTER_LINE.match(line.strip())
        if m is None:
            raise ValidationError(f"“{line.strip()[:40]}” is not a paper number and a board, like “12 A3”.")
        board = (m.group(2) or "").strip()
        if len(board) > BOARD_MAX:
            raise ValidationError(f"#{m.group(1)}: a board is at most {BOARD_MAX} characters, like “A3” (“{board[:40]}”).")
        rows.append((int(m.group(1)), board))
    return rows


class ItemForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[Optional(), single_line, Length(max=300)])
    abstract = TextAreaField(
        "Abstract or description (optional)",
        filters=[unix_newlines, strip],
        validators=[Optional(), Length(max=20000)],
        description="Markdown. Shown on the item's page.",
    )
    starts = TimeField(
        "Starts (optional)", validators=[Optional()], description="Within the session; empty: the session's start."
    )
    ends = TimeField("Ends (optional)", validators=[Optional()], description="Empty: the session's end.")
    paper = SelectField(
        "Paper and speaker",
        validators=[Optional()],
        description="The accepted papers marked oral (mark them on the decisions page), then those not marked yet; "
        "the speaker is one of the authors.",
    )
    speakers = MultiCheckboxField("Speakers", validators=[Optional()], choices=[])
    other_speakers = TextAreaField(
        "Other speakers (optional)",
        filters=[unix_newlines],
        validators=[Optional(), Length(max=2000)],
        description="One name a line, for someone not on the public site's lists.",
    )
    panelists = MultiCheckboxField("Panelists", validators=[Optional()], choices=[])
    other_panelists = TextAreaField(
        "Other panelists (optional)",
        filters=[unix_newlines],
        validators=[Optional(), Length(max=2000)],
        description="One name a line.",
    )
    moderator = SelectField("Moderator", validators=[Optional()])
    moderator_name = StringField(
        "Or the moderator's name", filters=[strip], validators=[Optional(), single_line, Length(max=200)]
    )
    posters = TextAreaField(
        "Posters",
        filters=[unix_newlines],
        validators=[Optional(), Length(max=20000)],
        description="One paper a line: its number, then its board, like “12 A3”.",
    )
    add_unplaced = BooleanField("Add every accepted poster not yet in a poster session (without a board)")
    save = SubmitField("Save")

    def fill_choices(self, people: list[Person], papers: list[Submission], current: int | None = None) -> None:
        """The site's people; the accepted papers marked oral (or not marked yet, and the item's own paper) with each
        of their authors: a talk's menu stays short however many posters there are."""
        pairs = [(str(p.id), f"{p.name} ({p.role.value})") for p in people]
        self.speakers.choices = choices(pairs)
        self.panelists.choices = choices(pairs)
        self.moderator.choices = choices([("", "Nobody from the lists"), *pairs])
        offered = [s for s in papers if s.presentation != "poster" or s.id == current]
        ordered = sorted(offered, key=lambda s: (s.presentation != "oral", s.id))
        options = [("", "Choose the paper and its speaker")]
        for sub in ordered:
            mark = {"oral": "talk", "poster": "poster"}.get(sub.presentation or "", "not marked")
            options += [(f"{sub.id}:{a.id}", f"#{sub.id} {sub.title[:80]} ({mark}): {a.name}") for a in sub.authors]
        self.paper.choices = choices(options)

    @classmethod
    def from_model(cls, item: ProgramItem, ws: Workshop) -> ItemForm:
        def clock(at):  # type: ignore[no-untyped-def]
            return at.astimezone(ws.zone).time() if at else None

        # One of the site's people, or (typed in, or since removed from the site's lists) a name.
        listed = [p for p in item.people if p.person is not None]
        typed = [p for p in item.people if p.person is None]
        moderator = next(iter(item.in_role(ProgramRole.MODERATOR)), None)
        data = {
            "title": item.title,
            "abstract": item.abstract,
            "starts": clock(item.starts_at),
            "ends": clock(item.ends_at),
            "paper": f"{item.submission_id}:{item.speaker_author_id}" if item.submission_id else "",
            "speakers": [str(p.person_id) for p in listed if p.role == ProgramRole.SPEAKER],
            "other_speakers": "\n".join(p.name for p in typed if p.role == ProgramRole.SPEAKER),
            "panelists": [str(p.person_id) for p in listed if p.role == ProgramRole.PANELIST],
            "other_panelists": "\n".join(p.name for p in typed if p.role == ProgramRole.PANELIST),
            "moderator": str(moderator.person_id) if moderator and moderator.person is not None else "",
            "moderator_name": moderator.name if moderator and moderator.person is None else "",
            "posters": "\n".join(f"{p.submission_id} {p.board}".strip() for p in item.posters),
        }
        return cls(data=data)

    def validate_posters(self, field: TextAreaField) -> None:
        parse_posters(field.data or "")

    def validate_ends(self, field: TimeField) -> None:
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The item ends after it starts.")

    def to_input(self, kind: ItemKind, unplaced: list[Submission]) -> ItemInput:
        number, _, author = (self.paper.data or "").partition(":")
        moderator = None
        if (moderator_id := parse_id(self.moderator.data)) is not None:
            moderator = Named(person_id=moderator_id)
        elif self.moderator_name.data:
            moderator = Named(name=self.moderator_name.data)
        posters = parse_posters(self.posters.data or "")
        if self.add_unplaced.data:
            listed = {n for n, _ in posters}
            posters += [(s.id, "") for s in unplaced if s.id not in listed]
        return ItemInput(
            kind=kind,
            title=self.title.data or "",
            abstract=self.abstract.data or "",
            starts=self.starts.data,
            ends=self.ends.data,
            submission_id=parse_id(number),
            speaker_author_id=parse_id(author),
            speakers=_person_ids(self.speakers.data) + _names(self.other_speakers.data),
            panelists=_person_ids(self.panelists.data) + _names(self.other_panelists.data),
            moderator=moderator,
            posters=posters,
        )

    #: The fields each kind shows (title, abstract and times always).
    KIND_FIELDS = {
        ItemKind.TALK: ("paper",),
        ItemKind.KEYNOTE: ("speakers", "other_speakers"),
        ItemKind.OPENING: ("speakers", "other_speakers"),
        ItemKind.CLOSING: ("speakers", "other_speakers"),
        ItemKind.PANEL: ("panelists", "other_panelists", "moderator", "moderator_name"),
        ItemKind.POSTERS: ("posters", "add_unplaced"),
        ItemKind.BREAK: (),
    }
