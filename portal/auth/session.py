"""Flask-Login's user loader: the session holds ``<id>:<nonce>``; a changed nonce signs the session out."""

from __future__ import annotations

import hmac

from flask import Flask

from portal.db import db
from portal.extensions import login_manager
from portal.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, _, nonce = user_id.partition(":")
    if not uid.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.is_confirmed or not hmac.compare_digest(user.session_nonce, nonce):
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
