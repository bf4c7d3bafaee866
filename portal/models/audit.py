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


class FormToken(db.Model):
    """A form that creates or sends, sent once: each rendering carries a random token, and its first post records
    it here in the same transaction as what it did (with where to see the result). A second post of the same
    rendering (a double click, a second tab, back and send again) finds the token taken and is shown that result
    instead of doing it twice; the unique constraint decides between two posts at the same moment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    endpoint: Mapped[str] = mapped_column(sa.String(100))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    result_url: Mapped[str] = mapped_column(sa.String(500), default="")
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
