"""Submissions: the paper, its authors, topics, and every uploaded revision with its stored file."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.addresses import normalize_email
from portal.db import db, enum_type, utcnow
from portal.models.user import User
from portal.models.workshop import SubmissionType, Topic, Workshop


class SubmissionState(enum.StrEnum):
    ABSTRACT = "abstract"  # abstract registered, no PDF yet
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Decision(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Presentation(enum.StrEnum):
    ORAL = "oral"
    POSTER = "poster"


class FileKind(enum.StrEnum):
    PAPER = "paper"
    SUPPLEMENTARY = "supplementary"
    CAMERA_READY = "camera_ready"


submission_topic = sa.Table(
    "submission_topic",
    db.metadata,
    sa.Column("submission_id", sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class StoredFile(db.Model):
    """A file in storage under a random key (never the user's file name), with its checksum."""

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    original_name: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint("size >= 0", name="size_not_negative"),)


class Submission(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    submitter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("submission_type.id", ondelete="RESTRICT"))
    primary_topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topic.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    abstract: Mapped[str] = mapped_column(sa.Text)
    keywords: Mapped[str] = mapped_column(sa.String(500), default="")
    state: Mapped[SubmissionState] = mapped_column(enum_type(SubmissionState, "submission_state"), index=True)
    decision: Mapped[Decision | None] = mapped_column(enum_type(Decision, "decision"))
    presentation: Mapped[Presentation | None] = mapped_column(enum_type(Presentation, "presentation"))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # A chair may give one submission more time.
    deadline_override: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    # A program-committee member a chair names to handle this paper alone (assignment, reviews, decision) when
    # every chair is conflicted with it; chairs who are its authors then see nothing of its review.
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # After the decisions, an accepted paper's authors may add a poster, slides (checked PDFs) and a video link.
    poster_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="SET NULL"))
    slides_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="SET NULL"))
    video_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # Optimistic locking: two tabs editing the same submission cannot silently overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    workshop: Mapped[Workshop] = relationship()
    submitter: Mapped[User | None] = relationship(foreign_keys=[submitter_id])
    type: Mapped[SubmissionType] = relationship()
    primary_topic: Mapped[Topic] = relationship()
    secondary_topics: Mapped[list[Topic]] = relationship(secondary=submission_topic, order_by=Topic.position)
    authors: Mapped[list[SubmissionAuthor]] = relationship(
        back_populates="submission", order_by="SubmissionAuthor.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="submission", order_by="Revision.id", cascade="all, delete-orphan"
    )
    # Conflicts the authors declare: program-committee members picked from the list, and free-form addresses.
    declared: Mapped[list[SubmissionConflict]] = relationship(
        back_populates="submission", order_by="SubmissionConflict.id", cascade="all, delete-orphan"
    )
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    poster_file: Mapped[StoredFile | None] = relationship(foreign_keys=[poster_file_id])
    slides_file: Mapped[StoredFile | None] = relationship(foreign_keys=[slides_file_id])

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("(state = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_has_time"),
        sa.CheckConstraint("decision IS NULL OR state = 'submitted'", name="decision_only_when_submitted"),
    )

    def camera_ready_open(self, now: datetime) -> bool:
        """Its authors may upload the camera-ready version: accepted, not withdrawn, before the deadline."""
        deadline = self.workshop.deadlines().camera_ready
        return (
            self.decision == Decision.ACCEPTED
            and self.state == SubmissionState.SUBMITTED
            and deadline is not None
            and now < deadline
        )

    @property
    def is_accepted(self) -> bool:
        """Accepted and not withdrawn: on the accepted papers' page once published, in the program."""
        return self.decision == Decision.ACCEPTED and self.state == SubmissionState.SUBMITTED

    @property
    def number(self) -> int:
        """The number authors and chairs quote ("#12"): the id, handed out by the database, never reused."""
        return self.id

    def latest(self, kind: FileKind) -> Revision | None:
        return next((r for r in reversed(self.revisions) if r.kind == kind), None)

    @property
    def paper(self) -> Revision | None:
        return self.latest(FileKind.PAPER)

    @property
    def author_emails(self) -> set[str]:
        return {a.email for a in self.authors}

    @property
    def author_ids(self) -> set[int]:
        """The accounts of the authors: the submitter and every author row linked to an account."""
        return {a.user_id for a in self.authors if a.user_id is not None} | (
            {self.submitter_id} if self.submitter_id is not None else set()
        )

    @property
    def declared_conflicts(self) -> str:
        """The free-form addresses the authors declared a conflict with, one a line in alphabetical order (the form's
        field): the same order however the rows were added, kept or reordered."""
        return "\n".join(sorted(c.email for c in self.declared if c.email is not None))

    @declared_conflicts.setter
    def declared_conflicts(self, text: str) -> None:
        """Replace the free-form addresses (normalised already); the picked program-committee members stay."""
        wanted = list(dict.fromkeys(normalize_email(line) for line in text.splitlines() if line.strip()))
        kept = {c.email: c for c in self.declared if c.email is not None}
        self.declared = [c for c in self.declared if c.email is None] + [
            kept.get(e) or SubmissionConflict(email=e, reason=ConflictReason.OTHER) for e in wanted
        ]


class SubmissionAuthor(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    # Normalised (``portal.addresses``); an account that confirms this address is linked (``user_id``) and is
    # a co-author from then on, whatever address it moves to later.
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    affiliation: Mapped[str] = mapped_column(sa.String(300), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    submission: Mapped[Submission] = relationship(back_populates="authors")
    user: Mapped[User | None] = relationship()

    @property
    def mail_address(self) -> str:
        """Where mail to this author goes: their account's address when the row is linked (they may have
        moved since the paper was submitted), else the address typed on the list."""
        return self.user.email if self.user_id is not None and self.user is not None else self.email

    __table_args__ = (
        sa.UniqueConstraint("submission_id", "email"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )


class ConflictReason(enum.StrEnum):
    """Why the authors declare a conflict with someone (HotCRP's conflict types, in short)."""

    COLLABORATOR = "collaborator"
    ADVISOR = "advisor"
    INSTITUTION = "institution"
    PERSONAL = "personal"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "collaborator": "Recent collaborator or co-author",
            "advisor": "Advisor or advisee",
            "institution": "Same institution",
            "personal": "Personal relationship",
            "other": "Other",
        }[self.value]


class SubmissionConflict(db.Model):
    """A conflict the authors declare: an account (a program-committee member picked from the list) or an
    address typed in (bound to its account as soon as an account confirms it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    reason: Mapped[ConflictReason] = mapped_column(enum_type(ConflictReason, "conflict_reason"), default=ConflictReason.OTHER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="declared")
    user: Mapped[User | None] = relationship()
    __table_args__ = (
        sa.CheckConstraint("user_id IS NOT NULL OR email IS NOT NULL", name="names_someone"),
        sa.UniqueConstraint("submission_id", "email"),
    )


class Revision(db.Model):
    """One upload: the paper, its supplementary material, or the camera-ready version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FileKind] = mapped_column(enum_type(FileKind, "file_kind"))
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"))
    # The copy reviewers get in double-blind mode: the same pages, the document metadata stripped.
    reviewer_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    pages: Mapped[int | None]
    page_size: Mapped[str] = mapped_column(sa.String(64), default="")
    # What the upload check found (warnings, anonymity hits), as shown to the author.
    check_report: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    submission: Mapped[Submission] = relationship(back_populates="revisions")
    file: Mapped[StoredFile] = relationship(foreign_keys=[file_id])
    reviewer_file: Mapped[StoredFile | None] = relationship(foreign_keys=[reviewer_file_id])
    uploaded_by: Mapped[User | None] = relationship()
