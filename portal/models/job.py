"""Background jobs: long work (the automatic assignment, sending letters, delivering the outbox) as a row the
chair can follow, run by an RQ worker when Redis is configured and in the request otherwise."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow
from portal.models.user import User


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    state: Mapped[JobState] = mapped_column(enum_type(JobState, "job_state"), default=JobState.QUEUED, index=True)
    # The job function's keyword arguments (ids and flags only, never objects).
    args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    phase: Mapped[str] = mapped_column(sa.String(200), default="")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # What the chair is shown when it is done: {"message": ..., "url": ...}.
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # Retries so far; a run is one attempt, and writes the row (claim, progress, end) only while it still says its
    # attempt: a run declared stuck and retried that goes on afterwards changes nothing (portal/jobs.py).
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.CheckConstraint("done >= 0 AND total >= 0", name="progress_not_negative"),)

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
