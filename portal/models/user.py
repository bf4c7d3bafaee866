"""People with accounts: their roles, expertise, conflicts, sign-in failures and reviewer invitations."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, enum_type, utcnow
from portal.models.workshop import Topic


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


user_topic = sa.Table(
    "user_topic",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """Everyone is an author; ``is_reviewer`` and ``is_chair`` are granted by a chair (or the CLI)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; unique, so two accounts never share an address.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    affiliation: Mapped[str] = mapped_column(sa.String(300), default="")
    orcid: Mapped[str | None] = mapped_column(sa.String(19))
    homepage: Mapped[str | None] = mapped_column(sa.String(500))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    email_confirmed_at: Mapped[datetime | None]
    is_reviewer: Mapped[bool] = mapped_column(default=False)
    is_chair: Mapped[bool] = mapped_column(default=False)
    # An area chair (issue 21.2): a program-committee member who oversees the reviews of the papers a chair gives
    # them and writes their meta-reviews; not a chair (never the authors' identities of a double-blind paper).
    is_area_chair: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Part of the session's user id: changing it signs out every session of this user.
    session_nonce: Mapped[str] = mapped_column(sa.String(32), default=new_nonce)
    # The most papers this reviewer takes (None: the workshop's default).
    max_load: Mapped[int | None]
    # The fewest papers the automatic assignment gives this reviewer (None: the workshop's default).
    min_load: Mapped[int | None]
    # As an area chair (issue 22.5): the most and the fewest papers the automatic assignment gives them to oversee
    # (None: the workshop's area-chair default).
    ac_max_load: Mapped[int | None]
    ac_min_load: Mapped[int | None]
    # For reviewers: what they know, in their words, used to match them to submissions.
    expertise_statement: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set by `flask demo` for its demo accounts, so the demo can tell its own data from real data.
    is_demo: Mapped[bool] = mapped_column(default=False)

    topics: Mapped[list[Topic]] = relationship(secondary=user_topic, order_by=Topic.position)
    papers: Mapped[list[UserPaper]] = relationship(
        back_populates="user", order_by="UserPaper.position", cascade="all, delete-orphan"
    )
    conflicts: Mapped[list[UserConflict]] = relationship(
        back_populates="user",
        order_by="UserConflict.id",
        cascade="all, delete-orphan",
        foreign_keys="UserConflict.user_id",
    )
    # Every address this account has confirmed and every affiliation it has given, with dates: conflicts of
    # interest and authorship follow the person through all of them, not only the current ones.
    addresses: Mapped[list[UserEmail]] = relationship(
        back_populates="user", order_by="UserEmail.confirmed_at", cascade="all, delete-orphan"
    )
    affiliations: Mapped[list[UserAffiliation]] = relationship(
        back_populates="user", order_by="UserAffiliation.since", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember-me cookie; the loader checks the nonce.
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def roles(self) -> list[str]:
        return (
            ["author"]
            + (["reviewer"] if self.is_reviewer else [])
            + (["area chair"] if self.is_area_chair else [])
            + (["chair"] if self.is_chair else [])
        )


class UserEmail(db.Model):
    """An address the account confirmed, kept after it changes (``replaced_at``): a person's conflicts and papers
    follow every address they have used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="addresses")
    __table_args__ = (
        sa.UniqueConstraint("user_id", "email"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )


class UserAffiliation(db.Model):
    """An affiliation the account gave, from ``since`` until ``until`` (None: the current one)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    affiliation: Mapped[str] = mapped_column(sa.String(300))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    until: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="affiliations")


class UserPaper(db.Model):
    """One of a reviewer's own papers (title and abstract), used to match them to submissions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(500))
    abstract: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User] = relationship(back_populates="papers")


class ConflictKind(enum.StrEnum):
    INSTITUTION = "institution"  # an institution name, matched against affiliations
    DOMAIN = "domain"  # an email domain, matched with its subdomains
    PERSON = "person"  # a person: an account (``person_id``), or an address until an account confirms it


class UserConflict(db.Model):
    """A conflict of interest a person declares: an institution, an email domain or a person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConflictKind] = mapped_column(enum_type(ConflictKind, "conflict_kind"))
    value: Mapped[str] = mapped_column(sa.String(320))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    # For a person: the account the address belongs to, bound as soon as an account confirms the address, so
    # the conflict holds when that person changes address.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    user: Mapped[User] = relationship(back_populates="conflicts", foreign_keys=[user_id])
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "value"),)


class LoginFailure(db.Model):
    """A failed sign-in, kept for the brute-force limits (per account and per IP address)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    ip: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


#: The roles a chair grants, by key (``User.is_<key>``), with how people read them.
ROLE_LABELS = {"reviewer": "reviewer", "area_chair": "area chair", "chair": "chair"}


class Invitation(db.Model):
    """A chair's invitation to review (or to be an area chair: ``role``). The link carries a random token; only
    its hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[InvitationState] = mapped_column(
        enum_type(InvitationState, "invitation_state"), default=InvitationState.PENDING
    )
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # An external reviewer is invited for one paper: accepting also assigns them to it.
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # The chairs' own words, in the mail (and in a resent one).
    message: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The role accepting grants: "reviewer" or "area_chair".
    role: Mapped[str] = mapped_column(sa.String(16), default="reviewer", server_default="reviewer")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    times_sent: Mapped[int] = mapped_column(default=1)
    responded_at: Mapped[datetime | None]

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("role IN ('reviewer', 'area_chair')", name="role_known"),
    )

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)
