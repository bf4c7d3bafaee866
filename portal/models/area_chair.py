"""Area chairs (issue 21.2): which area chair oversees each paper (one a paper, as in HotCRP and OpenReview)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow
from portal.models.review import ExclusionReason, ProposalState
from portal.models.review_form import Audience, FieldKind, ReviewField
from portal.models.submission import Submission
from portal.models.user import User


class AreaChairAssignment(db.Model):
    """``area_chair`` oversees ``submission``: reads its reviews and discussion, chases its reviewers and writes
    its meta-review. Set by a chair, by hand (``services.area_chairs``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    area_chair_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship()
    area_chair: Mapped[User] = relationship(foreign_keys=[area_chair_id])


class AreaChairProposal(db.Model):
    """An automatic area-chair assignment (issue 22.5) the chair previews, edits and applies, or discards; nothing
    changes until it is applied. Its result has the shape of a reviewers' proposal (``AssignmentProposal``):
    {"pairs": [[paper, area chair], ...], "reasons": {"paper:area chair": {...}}, "shortfall": {...}, "base": ...}."""

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[ProposalState] = mapped_column(
        enum_type(ProposalState, "area_chair_proposal_state"), default=ProposalState.DRAFT
    )
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]


class AreaChairExclusion(db.Model):
    """A paper and an area chair the automatic area-chair assignment leaves out of every later run: a chair took
    the area chair off the paper, or took the pair out of a proposal, or marked it "never", or the area chair
    declined the paper (``ExclusionReason``). A chair who makes them the paper's area chair by hand lifts it."""

    __table_args__ = (sa.UniqueConstraint("submission_id", "area_chair_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    area_chair_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reason: Mapped[ExclusionReason] = mapped_column(enum_type(ExclusionReason, "area_chair_exclusion_reason"))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")  # the area chair's reason
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area_chair: Mapped[User] = relationship(foreign_keys=[area_chair_id])

    @property
    def why(self) -> str:
        """Why the pair is left out, as the chairs read it (an area chair declined, not a reviewer)."""
        return "declined by the area chair" if self.reason == ExclusionReason.DECLINED else self.reason.label


class ExtraReviewRequest(db.Model):
    """An area chair asks the chairs for one more review of a paper (with why); a chair marks it done."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])


class MetaReview(db.Model):
    """A paper's meta-review, written by its area chair on the meta-review form (``ReviewField`` rows with
    ``form="meta"``); the answers by the field's key. Shown to others once submitted (``submitted_at``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    def answer(self, key: str) -> Any:
        return (self.answers or {}).get(key)

    def content(self) -> dict[str, Any]:
        return dict(self.answers or {})

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def recommendation(self) -> Any:
        return self.answer("recommendation")


#: The meta-review form every workshop starts with: the area chair's recommendation and confidential note for
#: the chairs, and the meta-review the authors read once the letters are sent.
DEFAULT_META_FORM: tuple[dict[str, Any], ...] = (
    {
        "key": "recommendation",
        "kind": FieldKind.SCORE,
        "label": "Recommendation",
        "required": True,
        "options": {"labels": ["Reject", "Accept"], "best": "high"},
        "visibility": Audience.CHAIRS,
    },
    {
        "key": "metareview",
        "kind": FieldKind.TEXT,
        "label": "Meta-review",
        "help": "A summary of the reviews, the discussion and the response, and the reasons for your recommendation.",
        "required": True,
        "visibility": Audience.AUTHORS,
    },
    {"key": "confidential", "kind": FieldKind.TEXT, "label": "Confidential note to the chairs", "visibility": Audience.CHAIRS},
)


def default_meta_fields(workshop_id: int | None) -> list[ReviewField]:
    """The default meta-review form as (unsaved) rows."""
    return [
        ReviewField(
            workshop_id=workshop_id,
            form="meta",
            position=i,
            min_words=None,
            max_words=None,
            is_console_column=False,
            retired_at=None,
            **({"required": False, "help": "", "options": {}} | copy.deepcopy(spec)),
        )
        for i, spec in enumerate(DEFAULT_META_FORM, start=1)
    ]
