"""The audit log: every chair action, with who did it, what it was and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import db, utcnow


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The actor's name as it was, so the log still reads after an account is renamed or removed.
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    # A dotted kind ("decision.record", "assignment.add", "mail.letters"): the log's filter.
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    summary: Mapped[str] = mapped_column(sa.Text)
    # The paper the action is about, if any: a chair who is an author of it does not see the event.
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission.id", ondelete="SET NULL"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
