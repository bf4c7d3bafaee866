"""The workshop's public content: every fact on the public site is a row here, editable by chairs."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow

if TYPE_CHECKING:
    from portal.models.submission import Submission

#: Anywhere on Earth, the default zone for deadlines: UTC-12 (IANA spells it with the opposite sign).
AOE_ZONE = "Etc/GMT+12"


class PersonRole(enum.StrEnum):
    SPEAKER = "speaker"
    PANELIST = "panelist"
    ORGANIZER = "organizer"
    STEERING = "steering"


class Phase(enum.StrEnum):
    SUBMISSION = "submission"
    BIDDING = "bidding"
    REVIEWING = "reviewing"


class DateKind(enum.StrEnum):
    SUBMISSION_OPEN = "submission_open"
    ABSTRACT_DEADLINE = "abstract_deadline"
    PAPER_DEADLINE = "paper_deadline"
    NOTIFICATION = "notification"
    CAMERA_READY = "camera_ready"
    WORKSHOP = "workshop"
    OTHER = "other"


@dataclass(frozen=True)
class Deadlines:
    """The workshop's submission calendar (UTC), each None until the chairs set it."""

    opens: datetime | None
    abstract: datetime | None
    paper: datetime | None
    camera_ready: datetime | None


class Workshop(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str]
    short_name: Mapped[str] = mapped_column(sa.String(64))
    edition: Mapped[str] = mapped_column(sa.String(32))
    tagline: Mapped[str] = mapped_column(sa.String(500), default="")
    venue: Mapped[str] = mapped_column(sa.String(500), default="")
    # The conference the workshop is part of ("KDD 2024"): the home page's first screen says so.
    colocated_with: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default=AOE_ZONE)
    # Long texts: paragraphs separated by blank lines.
    overview: Mapped[str] = mapped_column(sa.Text, default="")
    motivation: Mapped[str] = mapped_column(sa.Text, default="")
    objective: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    cfp_intro: Mapped[str] = mapped_column(sa.Text, default="")
    submission_instructions: Mapped[str] = mapped_column(sa.Text, default="")
    panel_note: Mapped[str] = mapped_column(sa.Text, default="")
    sponsor_call: Mapped[str] = mapped_column(sa.Text, default="")
    contact_email: Mapped[str]
    # Submission settings (chairs edit them on the settings page).
    max_upload_mb: Mapped[int] = mapped_column(default=20, server_default="20")
    supplementary_max_mb: Mapped[int] = mapped_column(default=50, server_default="50")
    double_blind: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    anonymity_blocks: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # False: hits only warn
    # Reviewing (chairs set these on the reviewing settings page).
    phase: Mapped[Phase] = mapped_column(
        enum_type(Phase, "workshop_phase"), default=Phase.SUBMISSION, server_default="submission"
    )
    bidding_deadline: Mapped[datetime | None]
    review_deadline: Mapped[datetime | None]
    reviews_per_paper: Mapped[int] = mapped_column(default=3, server_default="3")
    default_max_load: Mapped[int] = mapped_column(default=6, server_default="6")
    # The fewest papers the automatic assignment gives each reviewer (0: none), where it can.
    default_min_load: Mapped[int] = mapped_column(default=0, server_default="0")
    # The area chairs' loads (issue 22.5): the most papers each oversees (None: the even share of all the papers)
    # and the fewest the automatic assignment gives each (0: none), where it can; each area chair may have their own.
    ac_default_max_load: Mapped[int | None]
    ac_default_min_load: Mapped[int] = mapped_column(default=0, server_default="0")
    weight_bid: Mapped[float] = mapped_column(default=1.0, server_default="1.0")
    weight_topics: Mapped[float] = mapped_column(default=1.0, server_default="1.0")
    weight_text: Mapped[float] = mapped_column(default=1.0, server_default="1.0")
    # Reviewers form their own view first: a paper's discussion opens to a reviewer once their review is in,
    # unless the chairs open it earlier.
    discussion_before_review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The author response (issue 21.3): from ``response_opens_at`` the authors read the reviews' fields meant for
    # them and write one response until ``response_deadline``, within ``response_words``; then the paper's
    # reviewers read it. Both None: no response phase.
    response_opens_at: Mapped[datetime | None]
    response_deadline: Mapped[datetime | None]
    response_words: Mapped[int] = mapped_column(default=500, server_default="500")
    # Decisions: the chairs' letter templates and whether the accepted papers are public.
    accept_letter: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    reject_letter: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Their subjects (issue 21.7), one line of Jinja; empty: the portal's own subject.
    accept_subject: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    reject_subject: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    accepted_published: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The program (portal/models/program.py) is on the public site once the chairs publish it.
    program_published: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Set by `flask demo` only: the demo refuses to touch a database holding a workshop it did not create.
    is_demo: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="workshop", order_by="Question.position", cascade="all, delete-orphan"
    )
    topics: Mapped[list[Topic]] = relationship(back_populates="workshop", order_by="Topic.position", cascade="all, delete-orphan")
    people: Mapped[list[Person]] = relationship(
        back_populates="workshop", order_by="Person.position", cascade="all, delete-orphan"
    )
    dates: Mapped[list[ImportantDate]] = relationship(
        back_populates="workshop", order_by="ImportantDate.at", cascade="all, delete-orphan"
    )
    submission_types: Mapped[list[SubmissionType]] = relationship(
        back_populates="workshop", order_by="SubmissionType.position", cascade="all, delete-orphan"
    )
    sponsor_options: Mapped[list[SponsorOption]] = relationship(
        back_populates="workshop", order_by="SponsorOption.position", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """``LongLLM 2024``: how mail subjects and pages name the workshop."""
        return f"{self.short_name} {self.edition}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        return "AoE" if self.timezone == AOE_ZONE else self.timezone

    def people_in(self, role: PersonRole) -> list[Person]:
        return [p for p in self.people if p.role == role]

    def date_of(self, kind: DateKind) -> ImportantDate | None:
        return next((d for d in self.dates if d.kind == kind), None)

    def days(self) -> tuple[date, date] | None:
        """The workshop's first and last day: its own (``starts_on``, ``ends_on``), else the day of its "workshop"
        date; None while neither is known."""
        if self.starts_on is not None:
            return self.starts_on, max(self.ends_on or self.starts_on, self.starts_on)
        at = self.date_of(DateKind.WORKSHOP)
        if at is None:
            return None
        day = at.at.astimezone(self.zone).date()
        return day, day

    # --- the calendar: facts every layer asks (permissions, services, pages) -------------------------------

    def deadlines(self) -> Deadlines:
        def at(kind: DateKind) -> datetime | None:
            d = self.date_of(kind)
            return d.at if d else None

        return Deadlines(
            at(DateKind.SUBMISSION_OPEN), at(DateKind.ABSTRACT_DEADLINE), at(DateKind.PAPER_DEADLINE), at(DateKind.CAMERA_READY)
        )

    @property
    def program_public(self) -> bool:
        """The program is on the public site: published, and the accepted papers it names are public too."""
        return self.program_published and self.accepted_published

    def reviews_released(self, now: datetime) -> bool:
        """The authors read the reviews' fields meant for them (the response phase has begun)."""
        return self.response_opens_at is not None and self.response_opens_at <= now

    def response_open(self, now: datetime) -> bool:
        """The authors may write their response."""
        return self.reviews_released(now) and self.response_deadline is not None and now < self.response_deadline

    def responses_final(self, now: datetime) -> bool:
        """The response deadline has passed: the responses are final and the reviewers read them."""
        return self.response_deadline is not None and now >= self.response_deadline

    def paper_deadline(self, sub: Submission | None = None) -> datetime | None:
        """The full-paper deadline, or the one a chair granted this submission."""
        if sub is not None and sub.deadline_override is not None:
            return sub.deadline_override
        return self.deadlines().paper

    def new_submission_closes(self) -> datetime | None:
        """New submissions are taken until the abstract deadline when there is one, else the paper deadline."""
        d = self.deadlines()
        return d.abstract or d.paper

    def bidding_open(self, now: datetime) -> bool:
        return self.phase in (Phase.BIDDING, Phase.REVIEWING) and (self.bidding_deadline is None or now < self.bidding_deadline)


class Question(db.Model):
    """One of the workshop's fundamental questions ("Innovative Design: How can we ...?")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    title: Mapped[str]
    text: Mapped[str] = mapped_column(sa.Text)

    workshop: Mapped[Workshop] = relationship(back_populates="questions")
    __table_args__ = (sa.UniqueConstraint("workshop_id", "slug"),)


class Topic(db.Model):
    """A call-for-papers topic; submissions are filed against these."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    title: Mapped[str]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    examples: Mapped[str] = mapped_column(sa.String(500), default="")

    workshop: Mapped[Workshop] = relationship(back_populates="topics")
    __table_args__ = (sa.UniqueConstraint("workshop_id", "slug"),)


class Person(db.Model):
    """A speaker, panelist, organizer or steering-committee member shown on the public site."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    role: Mapped[PersonRole] = mapped_column(enum_type(PersonRole, "person_role"))
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    name: Mapped[str]
    # One affiliation per line ("University of Washington\nAllen Institute for AI").
    affiliation: Mapped[str] = mapped_column(sa.String(500), default="")
    homepage: Mapped[str] = mapped_column(sa.String(500), default="")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    # The chairs' photo, re-encoded as squares of the two sizes the pages use (96 px, and 192 px for sharp
    # screens); None: the initials avatar. The ids change with every upload, so they name the version in URLs.
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="SET NULL"))
    photo_small_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship(back_populates="people")
    __table_args__ = (sa.UniqueConstraint("workshop_id", "role", "slug"),)

    @property
    def affiliations(self) -> list[str]:
        return [line.strip() for line in self.affiliation.splitlines() if line.strip()]


class ImportantDate(db.Model):
    """A dated milestone (deadline, notification, the workshop day), stored in UTC."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DateKind] = mapped_column(enum_type(DateKind, "date_kind"))
    label: Mapped[str]
    at: Mapped[datetime]

    workshop: Mapped[Workshop] = relationship(back_populates="dates")
    __table_args__ = (sa.UniqueConstraint("workshop_id", "label"),)


class SubmissionType(db.Model):
    """A kind of paper the call accepts ("Full paper", 8 pages plus unlimited references)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    name: Mapped[str]
    page_limit: Mapped[int]
    # Extra pages allowed for references and appendices; None means unlimited.
    reference_pages: Mapped[int | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")

    workshop: Mapped[Workshop] = relationship(back_populates="submission_types")
    __table_args__ = (
        sa.UniqueConstraint("workshop_id", "slug"),
        sa.CheckConstraint("page_limit > 0", name="page_limit_positive"),
        sa.CheckConstraint("reference_pages IS NULL OR reference_pages >= 0", name="reference_pages_ok"),
    )


class SponsorOption(db.Model):
    """A sponsorship interest a sponsor can pick in the contact form."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    label: Mapped[str]
    description: Mapped[str] = mapped_column(sa.Text, default="")

    workshop: Mapped[Workshop] = relationship(back_populates="sponsor_options")
    __table_args__ = (sa.UniqueConstraint("workshop_id", "slug"),)
