"""The outbox: every outgoing mail is a row first, written in the caller's transaction."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import db, enum_type, utcnow


class EmailState(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; `emails send-pending --include-failed` retries


class OutgoingEmail(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    # Comma-separated addresses; each was validated and is free of CR/LF.
    recipients: Mapped[str] = mapped_column(sa.Text)
    reply_to: Mapped[str | None] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[EmailState] = mapped_column(enum_type(EmailState, "email_state"), default=EmailState.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    @property
    def recipient_list(self) -> list[str]:
        return [r for r in self.recipients.split(",") if r]


class MailTemplate(db.Model):
    """The chairs' wording of one system mail (issue 21.7): the subject and body of ``kind`` ("assignment",
    "reminder", "invitation", "submission_receipt"), Jinja in the chairs' sandbox. No row: the portal's own text."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    __table_args__ = (sa.UniqueConstraint("workshop_id", "kind"),)
