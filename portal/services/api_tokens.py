"""Personal access tokens for the JSON API: made (the secret shown once, only its SHA-256 kept), used, revoked.

A token acts as its owner, with the owner's permissions of the moment; its scope only narrows them (``read``: no
writes). Every token of a person is revoked when they sign out everywhere, reset or change their password or
address (``accounts.sign_out_everywhere``), or lose a role (``accounts.set_role``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.db import db, utcnow
from portal.domain import DomainError
from portal.models import ApiToken, TokenScope, User
from portal.services import audit

#: Every token starts so: a secret scanner (or a person) can tell a portal token from another string.
SECRET_START = "llmp_"  # noqa: S105  # nosec B105 (the public start of every token, not a secret)
PREFIX_LENGTH = len(SECRET_START) + 8
DEFAULT_DAYS = 90
MAX_DAYS = 366
NAME_LENGTH = 100
#: How often the last use is written (a script's every request would otherwise write to the database).
LAST_USED_EVERY = timedelta(minutes=5)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    actor: User,
    owner: User,
    *,
    name: str,
    scope: TokenScope | str = TokenScope.READ,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``owner`` and its secret (shown once; only its hash is kept)."""
    now = now or utcnow()
    name = " ".join(name.split())
    if not name:
        raise DomainError("Give the token a name, such as the script that will use it.")
    if len(name) > NAME_LENGTH:
        raise DomainError(f"A token's name has at most {NAME_LENGTH} characters.")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"A token lasts from 1 to {MAX_DAYS} days.")
    try:
        scope = TokenScope(scope)
    except ValueError:
        raise DomainError("The scope is read or write.") from None
    if not owner.is_confirmed:
        raise DomainError("Only an account with a confirmed address can have tokens.")
    secret = SECRET_START + secrets.token_urlsafe(32)
    token = ApiToken(
        user=owner,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=digest(secret),
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    if actor.id != owner.id:
        summary = f"Made the API token “{name}” ({scope}) for {owner.name} <{owner.email}>"
        audit.record(actor, "role.token", summary, user=owner.id)
    return token, secret


def token_for(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The active token whose secret this is (its owner confirmed), noting its use (at most every
    LAST_USED_EVERY); None for anything else."""
    now = now or utcnow()
    if not secret.startswith(SECRET_START) or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or not hmac.compare_digest(token.token_hash, digest(secret)) or not token.active(now):
        return None
    if not token.user.is_confirmed:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now  # (not flushed: the caller commits it, or leaves it to the request's unit of work)
    return token


def tokens_of(owner: User) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.id.desc())))


def every_token() -> list[ApiToken]:
    """Every token, the live ones first (for the chairs' page), newest first; with their owners."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .options(sa.orm.joinedload(ApiToken.user))
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def revoke_token(actor: User, token: ApiToken, *, now: datetime | None = None) -> None:
    """The owner or a chair revokes a token (a chair's revocation of another's token is in the audit log)."""
    if token.revoked_at is not None:
        raise DomainError("This token was revoked already.")
    token.revoked_at = now or utcnow()
    token.revoked_reason = "revoked by its owner" if actor.id == token.user_id else f"revoked by {actor.name}"
    db.session.flush()
    if actor.id != token.user_id:
        owner = token.user
        audit.record(actor, "role.token", f"Revoked the API token “{token.name}” of {owner.name} <{owner.email}>", user=owner.id)


def revoke_all(owner: User, reason: str, *, now: datetime | None = None) -> int:
    """Revoke every live token of ``owner`` (signed out everywhere, a new password, a role taken away)."""
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == owner.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)
