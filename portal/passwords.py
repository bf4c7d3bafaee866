"""Password policy: at least 12 characters and not a common password (list shipped in portal/data)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256  # beyond this, hashing is only a way to burn the server's CPU
_LIST = Path(__file__).with_name("data") / "common-passwords.txt"
_TRAILING = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    with open(_LIST, encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, context: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is refused, or None. ``context`` holds the user's name and email, also refused."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (this one has {len(password)})."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    base = _TRAILING.sub("", lowered)
    common = common_passwords()
    if lowered in common or (base and base in common) or len(set(lowered)) <= 3:
        return "This password is too common: it appears in lists that attackers try first. Choose another."
    for item in context:
        item = item.lower().strip()
        if item and len(item) >= 4 and (lowered == item or base == item or item.split("@")[0] == base):
            return "Do not use your name or email address as your password."
    return None
