"""Signed, expiring tokens for links in mail (itsdangerous, keyed by SECRET_KEY, one salt per purpose)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.domain import DomainError


class TokenInvalid(DomainError):
    """The link is broken, tampered with, expired or already used; the message says which."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal.{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenInvalid("This link has expired.", expired=True) from exc
    except BadSignature as exc:
        raise TokenInvalid("This link is not valid: it may have been cut short or changed.") from exc
    if not isinstance(data, dict):
        raise TokenInvalid("This link is not valid.")
    return data
