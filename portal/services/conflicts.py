"""Conflicts of interest between reviewers and submissions, computed from the data and explained.

A reviewer conflicts with a submission when they are one of its authors; share an email domain with an
author (webmail ignored, subdomains matched to their organization's domain); share an institution with an
author; were declared by the authors; or declared the conflict themselves (an institution, a domain or a
person). Chairs add conflicts or lift computed ones (never "is an author").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from portal.db import db
from portal.models import ConflictKind, ConflictOverride, Submission, User

WEBMAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me", "gmx.de", "gmx.net",
    "gmx.com", "web.de", "yandex.ru", "yandex.com", "mail.ru", "qq.com", "163.com", "126.com", "foxmail.com",
    "fastmail.com", "zoho.com", "hey.com", "tutanota.com", "naver.com", "daum.net",
    # Reserved for documentation (RFC 2606): the demo's and the tests' addresses are no organization.
    "example.com", "example.org", "example.net",
})  # fmt: skip
# Second-level public suffixes: the organization's domain has one more label there (ox.ac.uk, not ac.uk).
TWO_LEVEL_SUFFIXES = frozenset({
    "ac.uk", "co.uk", "org.uk", "gov.uk", "ac.jp", "co.jp", "edu.au", "com.au", "org.au", "ac.in", "edu.in",
    "edu.cn", "com.cn", "ac.cn", "ac.kr", "co.kr", "edu.sg", "com.sg", "ac.il", "ac.at", "ac.nz", "edu.hk",
    "edu.tw", "com.br", "edu.br", "ac.za", "edu.pl", "edu.tr", "ac.ir", "edu.mx", "edu.ar",
})  # fmt: skip
AUTHOR = "is an author of the submission"


def org_domain(address: str) -> str | None:
    """``alice@cs.ucsd.edu`` -> ``ucsd.edu``; webmail -> None."""
    host = address.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    labels = host.split(".")
    if len(labels) < 2:
        return None
    org = ".".join(labels[-3:]) if ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES and len(labels) >= 3 else (
        ".".join(labels[-2:]))  # fmt: skip
    return None if org in WEBMAIL or host in WEBMAIL else org


def norm_institution(name: str) -> str:
    text = name.lower().replace("univ.", "university").replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text)).strip()


def _domain_matches(host: str, declared: str) -> bool:
    return host == declared or host.endswith("." + declared)


def conflict_map(
    submissions: Iterable[Submission], reviewers: Iterable[User], overrides: Iterable[ConflictOverride] | None = None
) -> dict[tuple[int, int], list[str]]:
    """(submission id, reviewer id) -> the reasons they conflict; pairs without conflict are absent.

    Built from indexes on the authors' addresses, domains and institutions, so it scales with the number of
    matches, not with submissions x reviewers.
    """
    subs = list(submissions)
    by_email: dict[str, list[tuple[int, str]]] = defaultdict(list)
    by_org: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    by_host: list[tuple[str, int, str]] = []
    by_institution: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    declared_by_authors: dict[str, list[int]] = defaultdict(list)
    for sub in subs:
        for a in sub.authors:
            who = f"{a.name} ({a.email})"
            by_email[a.email].append((sub.id, who))
            org = org_domain(a.email)
            if org:
                by_org[org].append((sub.id, who, a.email))
            by_host.append((a.email.rsplit("@", 1)[-1], sub.id, who))
            inst = norm_institution(a.affiliation)
            if inst:
                by_institution[inst].append((sub.id, f"{a.name} ({a.affiliation})", a.email))
        for line in sub.declared_conflicts.splitlines():
            if line.strip():
                declared_by_authors[line.strip().lower()].append(sub.id)

    found: dict[tuple[int, int], list[str]] = defaultdict(list)

    def add(sub_id: int, reviewer_id: int, reason: str) -> None:
        if reason not in found[(sub_id, reviewer_id)]:
            found[(sub_id, reviewer_id)].append(reason)

    for r in reviewers:
        for sub_id, _ in by_email.get(r.email, []):
            add(sub_id, r.id, AUTHOR)
        org = org_domain(r.email)
        # An author-reviewer is not listed again as sharing a domain or an institution with themselves.
        if org:
            for sub_id, who, email in by_org.get(org, []):
                if email != r.email:
                    add(sub_id, r.id, f"shares the email domain {org} with author {who}")
        inst = norm_institution(r.affiliation)
        if inst:
            for sub_id, who, email in by_institution.get(inst, []):
                if email != r.email:
                    add(sub_id, r.id, f"shares the institution {r.affiliation} with author {who}")
        for sub_id in declared_by_authors.get(r.email, []):
            add(sub_id, r.id, "declared by the authors")
        for c in r.conflicts:
            if c.kind == ConflictKind.PERSON:
                for sub_id, who in by_email.get(c.value, []):
                    add(sub_id, r.id, f"the reviewer declared a conflict with author {who}")
            elif c.kind == ConflictKind.DOMAIN:
                for host, sub_id, who in by_host:
                    if _domain_matches(host, c.value):
                        add(sub_id, r.id, f"the reviewer declared a conflict with {c.value} (author {who})")
            elif c.kind == ConflictKind.INSTITUTION:
                for sub_id, who, _ in by_institution.get(norm_institution(c.value), []):
                    add(sub_id, r.id, f"the reviewer declared a conflict with {c.value} (author {who})")

    for o in overrides or []:
        key = (o.submission_id, o.reviewer_id)
        if o.conflicted:
            add(*key, f"added by the chair{': ' + o.note if o.note else ''}")
        elif key in found and AUTHOR not in found[key]:
            del found[key]
    return dict(found)


def overrides_for(
    submission_ids: list[int] | None = None, reviewer_ids: list[int] | None = None
) -> list[ConflictOverride]:
    stmt = sa.select(ConflictOverride)
    if submission_ids is not None:
        stmt = stmt.where(ConflictOverride.submission_id.in_(submission_ids))
    if reviewer_ids is not None:
        stmt = stmt.where(ConflictOverride.reviewer_id.in_(reviewer_ids))
    return list(db.session.scalars(stmt))


def conflict_reasons(user: User, sub: Submission) -> list[str]:
    """Why ``user`` conflicts with ``sub`` (empty: no conflict)."""
    return conflict_map([sub], [user], overrides_for([sub.id], [user.id])).get((sub.id, user.id), [])
