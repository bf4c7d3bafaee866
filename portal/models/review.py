"""Reviewing: bids, conflicts the chair sets by hand, assignments, reviews with their history, discussion,
and assignment proposals the chair previews before applying."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.db import db, enum_type, quarter_of, utcnow
from portal.models.submission import Submission
from portal.models.user import User


class BidValue(enum.StrEnum):
    EAGER = "eager"
    WILLING = "willing"
    IN_A_PINCH = "in_a_pinch"
    NOT_WILLING = "not_willing"

    @property
    def label(self) -> str:
        return {"eager": "Eager", "willing": "Willing", "in_a_pinch": "In a pinch", "not_willing": "Not willing"}[self.value]


class Bid(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    value: Mapped[BidValue] = mapped_column(enum_type(BidValue, "bid_value"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("submission_id", "reviewer_id"),)


class ConflictOverride(db.Model):
    """A chair's correction of the computed conflicts: add one with a note, or lift a computed one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    conflicted: Mapped[bool]  # True: a conflict added by the chair; False: a computed conflict lifted
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    __table_args__ = (sa.UniqueConstraint("submission_id", "reviewer_id"),)


class AssignmentOrigin(enum.StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class ReviewAssignment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # "Reviewer 2" on this paper, for everyone but the chairs; stable once given, never reused on the paper.
    ordinal: Mapped[int]
    origin: Mapped[AssignmentOrigin] = mapped_column(enum_type(AssignmentOrigin, "assignment_origin"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a conflict appeared after the assignment (an address or affiliation changed, an author was added,
    # a conflict declared): the reviewer no longer sees the paper until a chair resolves it on the console.
    suspended_at: Mapped[datetime | None]
    suspended_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[User] = relationship()
    review: Mapped[Review | None] = relationship(back_populates="assignment", cascade="save-update, merge", passive_deletes="all")

    __table_args__ = (
        sa.UniqueConstraint("submission_id", "reviewer_id"),
        sa.UniqueConstraint("submission_id", "ordinal"),
        sa.CheckConstraint("ordinal > 0", name="ordinal_positive"),
    )


#: The fields a reviewer types into a review (a draft's, a revision's and a kept draft's content).
REVIEW_FIELDS = (
    "recommendation",
    "confidence",
    "summary",
    "strengths",
    "weaknesses",
    "comments_to_authors",
    "confidential_comments",
)


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


RECOMMENDATIONS = {1: "Strong reject", 2: "Weak reject", 3: "Borderline", 4: "Weak accept", 5: "Strong accept"}
CONFIDENCES = {1: "Educated guess", 2: "Somewhat unsure", 3: "Fairly confident", 4: "Confident", 5: "Expert, certain"}


class Review(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade from the assignment: removing a reviewer never takes a review with it, whatever the timing (the
    # removal deletes a draft itself, and is refused, by the database too, once a review is in).
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("review_assignment.id", ondelete="RESTRICT"), unique=True)
    state: Mapped[ReviewState] = mapped_column(enum_type(ReviewState, "review_state"), default=ReviewState.DRAFT)
    recommendation: Mapped[int | None]
    confidence: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    strengths: Mapped[str] = mapped_column(sa.Text, default="")
    weaknesses: Mapped[str] = mapped_column(sa.Text, default="")
    comments_to_authors: Mapped[str] = mapped_column(sa.Text, default="")
    confidential_comments: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # The quarter hour of submitted_at since 1970 (set with it): the console counts reviews per day from an
    # index on (state, submitted_quarter) instead of computing a date for every review.
    submitted_quarter: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)
    # The answers to the fields a chair added to the form (``ReviewField``), by the field's key; the seven fields
    # of the first form keep theirs in the columns above. Replaced whole on change, never mutated in place.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="review")
    history: Mapped[list[ReviewRevision]] = relationship(
        back_populates="review", order_by="ReviewRevision.id", cascade="all, delete-orphan"
    )

    def answer(self, key: str) -> Any:
        """The answer to the field named ``key`` (None when not given)."""
        return getattr(self, key) if key in REVIEW_FIELDS else (self.answers or {}).get(key)

    def content(self) -> dict[str, Any]:
        """Every answer, by key: what a revision and a kept draft hold."""
        return {k: getattr(self, k) for k in REVIEW_FIELDS} | dict(self.answers or {})

    def set_content(self, content: dict[str, Any]) -> None:
        """Set every answer from ``content`` (by key); a key not in it is left empty. Keys of fields no longer
        on the form keep their answers when ``content`` comes from a form that does not show them: the caller
        merges (``services.reviews``)."""
        for key in REVIEW_FIELDS:
            value = content.get(key)
            setattr(self, key, value if key in ("recommendation", "confidence") else (value or ""))
        self.answers = {k: v for k, v in content.items() if k not in REVIEW_FIELDS and v not in (None, "", [])}

    @validates("submitted_at")
    def _set_quarter(self, _key: str, value: datetime | None) -> datetime | None:
        self.submitted_quarter = quarter_of(value) if value is not None else None
        return value

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_review_state_submitted_quarter", "state", "submitted_quarter"),
        sa.CheckConstraint("recommendation IS NULL OR recommendation BETWEEN 1 AND 5", name="recommendation_range"),
        sa.CheckConstraint("confidence IS NULL OR confidence BETWEEN 1 AND 5", name="confidence_range"),
        sa.CheckConstraint(
            "state = 'draft' OR (recommendation IS NOT NULL AND confidence IS NOT NULL AND submitted_at IS NOT NULL)",
            name="submitted_is_complete",
        ),
    )


class ReviewRevision(db.Model):
    """The review as it was each time it was submitted or edited after submission (the chair sees these)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[Review] = relationship(back_populates="history")


class DiscussionComment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    APPLIED = "applied"
    DISCARDED = "discarded"


class AssignmentProposal(db.Model):
    """An automatic assignment the chair previews, edits by hand, then applies (or discards)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[ProposalState] = mapped_column(enum_type(ProposalState, "proposal_state"), default=ProposalState.DRAFT)
    # {"pairs": [[paper, reviewer], ...], "reasons": {"paper:reviewer": {...}}, "shortfall": {...}, ...}
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]


class ExclusionReason(enum.StrEnum):
    REMOVED = "removed"  # the chair removed the assignment, or the pair from a proposal
    NEVER = "never"  # the chair marked the pair "never assign"
    DECLINED = "declined"  # the reviewer declined the paper

    @property
    def label(self) -> str:
        return {"removed": "removed by a chair", "never": "marked never by a chair", "declined": "declined by the reviewer"}[
            self.value
        ]


class AssignmentExclusion(db.Model):
    """A pair the automatic assignment leaves out of every later run (the chair removed it or said never, or the
    reviewer declined it). A chair who assigns the pair by hand lifts it."""

    __table_args__ = (sa.UniqueConstraint("submission_id", "reviewer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reason: Mapped[ExclusionReason] = mapped_column(enum_type(ExclusionReason, "exclusion_reason"))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")  # the reviewer's reason
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeptDraft(db.Model):
    """The draft review of a reviewer who was removed from a paper (or gave it back), kept so that nothing typed is
    lost: the chairs read it on the paper's page, and it becomes the draft again when the pair is assigned anew."""

    __table_args__ = (sa.UniqueConstraint("submission_id", "reviewer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    saved_at: Mapped[datetime]  # when the reviewer last saved it
    removed_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewer: Mapped[User] = relationship()


class PaperScore(db.Model):
    """What a submission's reviews add up to, kept current by the reviewing services (``services.scores``) in
    the same transaction as the change, so the chair console sorts, filters and counts 20,000 papers without
    aggregating their reviews on every page. Only submitted reviews count toward the scores."""

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    assigned: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    drafts: Mapped[int] = mapped_column(default=0)
    mean: Mapped[float | None]
    weighted: Mapped[float | None]
    spread: Mapped[int | None]
    # How many submitted reviews gave each recommendation (the console's histogram).
    r1: Mapped[int] = mapped_column(default=0)
    r2: Mapped[int] = mapped_column(default=0)
    r3: Mapped[int] = mapped_column(default=0)
    r4: Mapped[int] = mapped_column(default=0)
    r5: Mapped[int] = mapped_column(default=0)
