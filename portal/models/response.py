"""The authors' response to a paper's reviews (issue 21.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, utcnow
from portal.models.user import User


class AuthorResponse(db.Model):
    """The one response a paper's authors write to its reviews while the response phase is open
    (``Workshop.response_open``): any of them edits it, the version column refuses a save made on a stale copy
    (two co-authors at once), and the paper's reviewers and chairs read it once the response deadline passed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    updated_by: Mapped[User | None] = relationship()
    __mapper_args__: dict[str, Any] = {"version_id_col": version}
