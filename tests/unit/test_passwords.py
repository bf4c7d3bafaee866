"""Password policy, ORCID checksums, the safe ``next`` check, and the production hash."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.forms import orcid_checksum_ok
from portal.passwords import common_passwords, password_problem
from portal.urls import safe_next

COMMON = "This password is too common: it appears in lists that attackers try first. Choose another."


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "Use at least 12 characters (this one has 5)."),
        ("password1234", COMMON),
        ("Sunshine2024!", COMMON),
        ("qwertyuiop123", COMMON),
        ("aaaaaaaaaaaaaaaa", COMMON),
        ("x" * 300, "Use at most 256 characters."),
        ("correct horse battery staple", None),
        ("demo-password", None),
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    assert password_problem(password) == problem


def test_password_equal_to_the_email_is_refused() -> None:
    assert password_problem("ada.lovelace@example.org", context=("ada.lovelace@example.org",)) == (
        "Do not use your name or email address as your password."
    )


def test_common_password_list_is_shipped_with_the_project() -> None:
    words = common_passwords()
    assert len(words) == 30_000
    assert {"123456", "password", "iloveyou"} <= words


@pytest.mark.parametrize(
    ("orcid", "ok"),
    [
        ("0000-0002-1825-0097", True),
        ("0000-0001-5109-3700", True),
        ("0000-0002-1694-233X", True),
        ("0000-0002-1825-0098", False),
        ("0000-0002-1825-009", False),
        ("abcd-efgh-ijkl-mnop", False),
    ],
)
def test_orcid_checksum(orcid: str, ok: bool) -> None:
    assert orcid_checksum_ok(orcid) is ok


@pytest.mark.parametrize(
    ("target", "result"),
    [
        ("/account/", "/account/"),
        ("/members/?q=ada", "/members/?q=ada"),
        ("https://evil.example.org/", None),
        ("//evil.example.org", None),
        ("/\\evil.example.org", None),
        ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),
        ("/\r\nSet-Cookie: x", None),
        ("account", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target: str | None, result: str | None) -> None:
    assert safe_next(target) == result


def test_production_hash_is_scrypt(empty_app: Flask) -> None:
    from portal.config import Config
    from portal.services.accounts import _hash

    empty_app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    with empty_app.app_context():
        assert _hash("a long test passphrase").startswith("scrypt:")
