"""Personal access tokens for the JSON API (``/api/v1/``): a token acts as its owner, with a scope."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow

if TYPE_CHECKING:
    from portal.models.user import User


class TokenScope(enum.StrEnum):
    READ = "read"  # GET only
    WRITE = "write"  # read and write


class ApiToken(db.Model):
    """Only the SHA-256 of the secret is stored; ``prefix`` (the secret's first characters) tells tokens apart in
    lists. A revoked or expired token signs nobody in; ``revoked_reason`` says why in the owner's words."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(enum_type(TokenScope, "token_scope"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    user: Mapped[User] = relationship()

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"
