"""Sponsorship inquiries from the public contact form: stored before any mail is attempted, then followed by the
chairs (a state, notes, a summary of the mail thread) until the sponsor is confirmed and shown on the site."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow
from portal.models.workshop import SponsorOption, Workshop


class SponsorState(enum.StrEnum):
    NEW = "new"
    IN_CONVERSATION = "in_conversation"
    CONFIRMED = "confirmed"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class SponsorTier(enum.StrEnum):
    """How the site ranks a confirmed sponsor: the sponsors section lists the tiers in this order."""

    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"
    SUPPORTER = "supporter"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return list(SponsorTier).index(self)


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
    # What the chairs keep about it (never shown on the site).
    state: Mapped[SponsorState] = mapped_column(
        enum_type(SponsorState, "sponsor_state"), default=SponsorState.NEW, server_default="new", index=True
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    thread_summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # What the site shows once confirmed: the name (the organization's unless given), tier, link and logo.
    display_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    tier: Mapped[SponsorTier | None] = mapped_column(enum_type(SponsorTier, "sponsor_tier"))
    website: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    logo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None]

    workshop: Mapped[Workshop] = relationship()
    option: Mapped[SponsorOption | None] = relationship()

    @property
    def shown_name(self) -> str:
        return self.display_name or self.organization
