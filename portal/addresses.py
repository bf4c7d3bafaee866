"""Email addresses: the one normalisation every part of the portal uses, so that an address typed in an author
list, a conflict, an invitation or a registration compares equal whenever it names the same mailbox.

Imports nothing of the portal: models, services, forms and migrations all use it.
"""

from __future__ import annotations

import contextlib
import unicodedata

import idna
from email_validator import EmailNotValidError, validate_email


def normalize_email(address: str) -> str:
    """``" Ada@Exämple.ORG. "`` -> ``"ada@exämple.org"``: spaces trimmed, Unicode NFC, lower case, and the domain in
    its canonical IDNA form (``xn--exmple-cua.org`` and ``EXÄMPLE.org`` give the same text). A domain that IDNA
    refuses is kept lower-cased (validation, not this function, decides what is an address)."""
    text = unicodedata.normalize("NFC", address.strip())
    local, at, domain = text.rpartition("@")
    if not at:
        return text.lower()
    domain = domain.rstrip(".").lower()
    with contextlib.suppress(idna.IDNAError, UnicodeError, ValueError):
        domain = idna.decode(idna.encode(domain, uts46=True))
    return f"{unicodedata.normalize('NFC', local.lower())}@{domain}"


def normalize_domain(domain: str) -> str:
    """``" @Uni-Köln.DE. "`` or ``"xn--uni-kln-e1a.de"`` -> ``"uni-köln.de"``: the form of the domain part of every
    address ``normalize_email`` stores, so that a declared domain matches the addresses it names."""
    text = unicodedata.normalize("NFC", domain.strip()).removeprefix("@").rstrip(".").lower()
    with contextlib.suppress(idna.IDNAError, UnicodeError, ValueError):
        text = idna.decode(idna.encode(text, uts46=True))
    return text


def ascii_domain(domain: str) -> str | None:
    """The IDNA (``xn--``) form of a domain, to check its shape; None when IDNA refuses it."""
    try:
        return idna.encode(normalize_domain(domain), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def valid_email(address: str) -> str:
    """The normalised form of a well-formed address; ``ValueError`` with a sentence for anything else."""
    text = address.strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"“{text[:80]}” is not an email address.") from exc
    return normalize_email(checked.normalized)
