"""Area chairs (issue 21.2): which area chair oversees each paper (one a paper, as in HotCRP and OpenReview)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, utcnow
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
