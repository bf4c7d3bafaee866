"""Sponsorship inquiries from the public contact form: stored before any mail is attempted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, utcnow
from portal.models.workshop import SponsorOption, Workshop


class SponsorInquiry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sponsor_option.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(200))
    organization: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(320))
    # Kept as typed, so the inquiry reads the same if the option is later renamed or removed.
    interest: Mapped[str] = mapped_column(sa.String(255))
    message: Mapped[str] = mapped_column(sa.Text)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship()
    option: Mapped[SponsorOption | None] = relationship()
