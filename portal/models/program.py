"""The workshop's program: sessions (a time and a room) holding items (talks, keynotes, panels, posters, breaks).

Times are stored in UTC and shown in the workshop's zone. Speakers, panelists and moderators are the workshop's
people (``Person``) or names typed in; a contributed talk is an accepted paper with one of its authors speaking;
a poster session lists accepted papers with their board numbers.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type
from portal.models.submission import Submission, SubmissionAuthor
from portal.models.workshop import Person, Workshop


class ItemKind(enum.StrEnum):
    OPENING = "opening"
    KEYNOTE = "keynote"
    TALK = "talk"
    POSTERS = "posters"
    PANEL = "panel"
    BREAK = "break"
    CLOSING = "closing"

    @property
    def label(self) -> str:
        return {
            "opening": "Opening",
            "keynote": "Keynote",
            "talk": "Contributed talk",
            "posters": "Poster session",
            "panel": "Panel",
            "break": "Break",
            "closing": "Closing",
        }[self.value]


class ProgramRole(enum.StrEnum):
    SPEAKER = "speaker"
    PANELIST = "panelist"
    MODERATOR = "moderator"


class ProgramSession(db.Model):
    """A block of time in one room or track (``room`` empty: the workshop's one room)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    room: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    workshop: Mapped[Workshop] = relationship()
    items: Mapped[list[ProgramItem]] = relationship(
        back_populates="session", order_by="ProgramItem.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="session_ends_after_start"),)


class ProgramItem(db.Model):
    """One entry of a session, in its order (``position``); its own times are optional."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("program_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind, "program_item_kind"))
    title: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    abstract: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    # A contributed talk: the accepted paper and the author who presents it.
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission.id", ondelete="SET NULL"), index=True)
    speaker_author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission_author.id", ondelete="SET NULL"))

    session: Mapped[ProgramSession] = relationship(back_populates="items")
    submission: Mapped[Submission | None] = relationship()
    speaker_author: Mapped[SubmissionAuthor | None] = relationship()
    people: Mapped[list[ProgramPerson]] = relationship(
        back_populates="item", order_by="ProgramPerson.position", cascade="all, delete-orphan"
    )
    posters: Mapped[list[ProgramPoster]] = relationship(
        back_populates="item", order_by="ProgramPoster.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="item_ends_after_start"),
    )

    def in_role(self, role: ProgramRole) -> list[ProgramPerson]:
        return [p for p in self.people if p.role == role]

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.kind == ItemKind.TALK and self.submission is not None:
            return self.submission.title
        return self.kind.label

    @property
    def is_public(self) -> bool:
        """On the public program: a talk only while its paper is accepted (a decision changed or a paper withdrawn
        after the program was built takes its talk off the site at once; the chairs' program page warns about it)."""
        return self.kind != ItemKind.TALK or self.submission is None or self.submission.is_accepted

    @property
    def public_posters(self) -> list[ProgramPoster]:
        """The posters the public program lists: those of papers accepted now."""
        return [p for p in self.posters if p.submission.is_accepted]

    @property
    def start(self) -> datetime:
        return self.starts_at or self.session.starts_at

    @property
    def end(self) -> datetime:
        return self.ends_at or self.session.ends_at


class ProgramPerson(db.Model):
    """A keynote speaker, panelist or moderator: one of the workshop's people (their name kept too, for when they
    leave the site's lists), or a name typed in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("program_item.id", ondelete="CASCADE"), index=True)
    role: Mapped[ProgramRole] = mapped_column(enum_type(ProgramRole, "program_role"))
    position: Mapped[int]
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    item: Mapped[ProgramItem] = relationship(back_populates="people")
    person: Mapped[Person | None] = relationship()

    __table_args__ = (sa.CheckConstraint("person_id IS NOT NULL OR name <> ''", name="names_someone"),)

    @property
    def display_name(self) -> str:
        return self.person.name if self.person is not None else self.name


class ProgramPoster(db.Model):
    """An accepted paper shown at a poster session, at a board (empty until the chairs give one)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("program_item.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    board: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")

    item: Mapped[ProgramItem] = relationship(back_populates="posters")
    submission: Mapped[Submission] = relationship()

    __table_args__ = (sa.UniqueConstraint("item_id", "submission_id"),)
