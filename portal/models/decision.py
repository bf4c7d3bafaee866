"""Decision letters: one draft per submission, rendered from the chair's templates, sent through the outbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow
from portal.models.email import OutgoingEmail
from portal.models.submission import Decision, Presentation, Submission


class Letter(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    # True once a chair edited this one letter by hand: regenerating the drafts leaves it alone.
    edited: Mapped[bool] = mapped_column(default=False)
    with_reviews: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The decision the letter was written for: a draft whose paper's decision changed since is stale (sending
    # refuses it until it is prepared again); a sent one is flagged to the chairs.
    decision: Mapped[Decision | None] = mapped_column(enum_type(Decision, "decision"))
    presentation: Mapped[Presentation | None] = mapped_column(enum_type(Presentation, "presentation"))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Set when the letter went into the outbox: from then on the decision is final.
    email_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_email.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship()
    email: Mapped[OutgoingEmail | None] = relationship()

    @property
    def stale(self) -> bool:
        """The paper's decision is no longer the one this letter was written for."""
        sub = self.submission
        return (self.decision, self.presentation, self.decision_note) != (sub.decision, sub.presentation, sub.decision_note)

    @property
    def state(self) -> str:
        """draft, queued, sent or failed: what the chair sees."""
        return "draft" if self.email is None else self.email.state.value


class LetterTemplate(db.Model):
    """A chair's letter template for one decision and presentation ("accepted/oral"), or for a decision the
    workshop's own two templates (``Workshop.accept_letter``, ``reject_letter``) do not cover. A paper's letter
    is written from the most precise template there is: its decision and presentation, else its decision's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))  # "accepted/oral": a decision, and a presentation after "/"
    body: Mapped[str] = mapped_column(sa.Text)  # empty: the decision's
    subject: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")  # empty: the decision's

    __table_args__ = (sa.UniqueConstraint("workshop_id", "key"),)
