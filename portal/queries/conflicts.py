"""Conflicts of interest between reviewers and submissions, computed from the data and explained.

A reviewer conflicts with a submission when they are one of its authors; share an email domain with an
author (webmail ignored, subdomains matched to their organization's domain); share an institution with an
author; were declared by the authors; or declared the conflict themselves (an institution, a domain or a
person). Chairs add conflicts or lift computed ones (never "is an author").

Conflicts follow people, not addresses: an author row linked to an account, a reviewer, and a person a
conflict names each bring every address they have confirmed and every affiliation they have given
(``UserEmail``, ``UserAffiliation``), besides the current ones.

The rules are written once, in ``RULES``: each joins a kind of key on the paper's side with a kind on the
reviewer's side. ``gather`` reads those keys from the database as plain rows; ``conflict_map`` applies the
rules with their reasons (for pages), ``conflicted_pairs`` as array joins (for the automatic assignment at
conference size). A test runs the same scenarios through both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from portal.addresses import normalize_domain
from portal.assign import arrays
from portal.assign.affinity import PairArrays
from portal.db import db
from portal.models import (
    ConflictKind,
    ConflictOverride,
    ConflictReason,
    Submission,
    SubmissionAuthor,
    SubmissionConflict,
    User,
    UserAffiliation,
    UserConflict,
    UserEmail,
)

WEBMAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "foxmail.com",
        "fastmail.com",
        "zoho.com",
        "hey.com",
        "tutanota.com",
        "naver.com",
        "daum.net",
        # Reserved for documentation (RFC 2606): the demo's and the tests' addresses are no organization.
        "example.com",
        "example.org",
        "example.net",
    }
)
# Second-level public suffixes: the organization's domain has one more label there (ox.ac.uk, not ac.uk).
TWO_LEVEL_SUFFIXES = frozenset(
    {
        "ac.uk",
        "co.uk",
        "org.uk",
        "gov.uk",
        "ac.jp",
        "co.jp",
        "edu.au",
        "com.au",
        "org.au",
        "ac.in",
        "edu.in",
        "edu.cn",
        "com.cn",
        "ac.cn",
        "ac.kr",
        "co.kr",
        "edu.sg",
        "com.sg",
        "ac.il",
        "ac.at",
        "ac.nz",
        "edu.hk",
        "edu.tw",
        "com.br",
        "edu.br",
        "ac.za",
        "edu.pl",
        "edu.tr",
        "ac.ir",
        "edu.mx",
        "edu.ar",
    }
)
AUTHOR = "is an author of the submission"


def org_domain(address: str) -> str | None:
    """``alice@cs.ucsd.edu`` -> ``ucsd.edu``; webmail -> None."""
    host = address.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    labels = host.split(".")
    if len(labels) < 2:
        return None
    org = ".".join(labels[-3:]) if ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES and len(labels) >= 3 else (".".join(labels[-2:]))
    return None if org in WEBMAIL or host in WEBMAIL else org


def norm_institution(name: str) -> str:
    text = name.lower().replace("univ.", "university").replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text)).strip()


def domain_suffixes(host: str) -> list[str]:
    """The host and every part of it after a dot: a declared domain matches the host when it is one of these."""
    return [host] + [host[i + 1 :] for i, ch in enumerate(host) if ch == "."]


@dataclass(frozen=True)
class Rule:
    paper: str  # the kind of key on the paper's side
    reviewer: str  # the kind of key on the reviewer's side
    reason: str  # with {who} (the author, or the authors' stated reason) and {shown} (the reviewer's value)
    personal: bool = False  # an author-reviewer is not also listed as sharing this with themselves


RULES = (
    Rule("account", "account", AUTHOR),
    Rule("email", "email", AUTHOR),
    Rule("org", "org", "shares the email domain {shown} with author {who}", personal=True),
    Rule("inst", "inst", "shares the institution {shown} with author {who}", personal=True),
    Rule("declared_account", "account", "declared by the authors{who}"),
    Rule("declared_email", "email", "declared by the authors{who}"),
    Rule("account", "declares_account", "the reviewer declared a conflict with author {who}"),
    Rule("email", "declares_email", "the reviewer declared a conflict with author {who}"),
    Rule("host", "declares_domain", "the reviewer declared a conflict with {shown} (author {who})"),
    Rule("inst", "declares_inst", "the reviewer declared a conflict with {shown} (author {who})"),
)


@dataclass
class Facts:
    """The keys the rules join. ``paper[kind]``: (submission id, key, who, person) where ``person`` is the
    author's account id or address; ``reviewer[kind]``: (reviewer id, key, shown)."""

    sub_ids: list[int]
    reviewer_ids: list[int]
    paper: dict[str, list[tuple[int, Any, str, Any]]] = field(default_factory=lambda: defaultdict(list))
    reviewer: dict[str, list[tuple[int, Any, str]]] = field(default_factory=lambda: defaultdict(list))
    overrides: list[tuple[int, int, bool, str]] = field(default_factory=list)


Ids = list[int] | sa.Select[Any] | None  # ids, a select of ids, or None for all


def _among(column: Any, ids: Ids) -> Any:
    return sa.true() if ids is None else column.in_(ids)


def gather(sub_ids: Ids, reviewer_ids: Ids, *, reasons: bool = True) -> Facts:
    """Read the keys of these submissions and reviewers (a handful of statements, plain rows). Without
    ``reasons`` (the automatic assignment: only the pairs matter) no text is made for a reason, and each distinct
    host and affiliation is worked out once: at conference size that is most of the time."""
    db.session.flush()
    read = db.session.connection().execute
    subs = read(
        sa.select(Submission.id, Submission.submitter_id).where(_among(Submission.id, sub_ids)).order_by(Submission.id)
    ).all()
    people = read(sa.select(User.id, User.email, User.affiliation).where(_among(User.id, reviewer_ids)).order_by(User.id)).all()
    facts = Facts([s.id for s in subs], [u.id for u in people])
    in_subs = _among(SubmissionAuthor.submission_id, sub_ids)
    authors = read(
        sa.select(
            SubmissionAuthor.submission_id,
            SubmissionAuthor.name,
            SubmissionAuthor.email,
            SubmissionAuthor.affiliation,
            SubmissionAuthor.user_id,
        )
        .where(in_subs)
        .order_by(SubmissionAuthor.submission_id, SubmissionAuthor.position)
    ).all()
    # Every address and affiliation of the accounts involved: the reviewers, the authors' linked accounts and
    # the submitters, current and past.
    if not (isinstance(sub_ids, list) and isinstance(reviewer_ids, list)):
        accounts: Any = None  # many papers: every account's history, read in one pass, is cheaper than a filter
    else:
        accounts = sa.union(
            sa.select(User.id).where(_among(User.id, reviewer_ids)),
            sa.select(SubmissionAuthor.user_id).where(in_subs, SubmissionAuthor.user_id.is_not(None)),
            sa.select(Submission.submitter_id).where(_among(Submission.id, sub_ids), Submission.submitter_id.is_not(None)),
        ).subquery()
        accounts = sa.select(accounts.c[0])
    values: dict[int, dict[str, dict[str, bool]]] = defaultdict(lambda: {"email": {}, "inst": {}})
    # .all(): one fetchall, not a fetch a row (180,000 rows at conference size: seconds)
    for user_id, kind, value, current in read(
        sa.union_all(
            sa.select(User.id, sa.literal("email"), User.email, sa.literal(True)).where(_among(User.id, accounts)),
            sa.select(User.id, sa.literal("inst"), User.affiliation, sa.literal(True)).where(_among(User.id, accounts)),
            sa.select(UserEmail.user_id, sa.literal("email"), UserEmail.email, sa.literal(False)).where(
                _among(UserEmail.user_id, accounts)
            ),
            sa.select(UserAffiliation.user_id, sa.literal("inst"), UserAffiliation.affiliation, sa.literal(False)).where(
                _among(UserAffiliation.user_id, accounts)
            ),
        )
    ).all():
        if value:
            seen = values[user_id][kind]
            seen[value] = seen.get(value, False) or bool(current)
    # user -> kind -> [(value, is it the current one)], the current one first
    history = {
        user_id: {kind: sorted(seen.items(), key=lambda x: not x[1]) for kind, seen in kinds.items()}
        for user_id, kinds in values.items()
    }

    paper, reviewer = facts.paper, facts.reviewer
    hosts: dict[str, tuple[str | None, list[str]]] = {}
    institutions: dict[str, str] = {}

    def host_of(address: str) -> tuple[str | None, list[str]]:
        """The organization of the address's host and every suffix of the host, once a host."""
        host = address.rsplit("@", 1)[-1]
        if host not in hosts:
            hosts[host] = (org_domain("@" + host), domain_suffixes(host))
        return hosts[host]

    def institution(affiliation: str) -> str:
        if affiliation not in institutions:
            institutions[affiliation] = norm_institution(affiliation)
        return institutions[affiliation]

    email_rows, org_rows, host_rows, inst_rows = paper["email"], paper["org"], paper["host"], paper["inst"]

    def add_address(sub_id: int, name: str, address: str, current: bool, person: Any) -> None:
        who = f"{name} ({address}{'' if current else ', an earlier address'})" if reasons else ""
        email_rows.append((sub_id, address, who, person))
        org, suffixes = host_of(address)
        if org:
            org_rows.append((sub_id, org, who, person))
        host_rows.extend([(sub_id, suffix, who, person) for suffix in suffixes])

    def add_affiliation(sub_id: int, name: str, affiliation: str, current: bool, person: Any) -> None:
        inst = institution(affiliation)
        if inst:
            who = f"{name} ({affiliation}{'' if current else ', an earlier affiliation'})" if reasons else ""
            inst_rows.append((sub_id, inst, who, person))

    def add_addresses(sub_id: int, name: str, addresses: list[tuple[str, bool]], person: Any) -> None:
        for address, current in addresses:
            add_address(sub_id, name, address, current, person)

    def add_affiliations(sub_id: int, name: str, affiliations: list[tuple[str, bool]], person: Any) -> None:
        for affiliation, current in affiliations:
            add_affiliation(sub_id, name, affiliation, current, person)

    linked: dict[int, set[int]] = defaultdict(set)
    for sub_id, name, email, affiliation, user_id in authors:
        if user_id is None:  # most authors: an address and an affiliation, the person known by the address
            add_address(sub_id, name, email, True, email)
            add_affiliation(sub_id, name, affiliation, True, email)
            continue
        known = history.get(user_id, {"email": [], "inst": []})
        add_addresses(sub_id, name, [(email, True)] + [x for x in known["email"] if x[0] != email], user_id)
        add_affiliations(sub_id, name, [(affiliation, True)] + [x for x in known["inst"] if x[0] != affiliation], user_id)
        paper["account"].append((sub_id, user_id, name, user_id))
        linked[sub_id].add(user_id)
    for s in subs:  # the submitter is always an author, listed or not
        if s.submitter_id is not None and s.submitter_id not in linked[s.id]:
            paper["account"].append((s.id, s.submitter_id, "the submitter", s.submitter_id))
            known = history.get(s.submitter_id, {"email": [], "inst": []})
            add_addresses(s.id, "the submitter", known["email"], s.submitter_id)
            add_affiliations(s.id, "the submitter", known["inst"], s.submitter_id)
    for c in read(
        sa.select(
            SubmissionConflict.submission_id, SubmissionConflict.user_id, SubmissionConflict.email, SubmissionConflict.reason
        ).where(_among(SubmissionConflict.submission_id, sub_ids))
    ).all():
        why = "" if c.reason in (None, ConflictReason.OTHER) else f" ({ConflictReason(c.reason).label.lower()})"
        if c.user_id is not None:
            paper["declared_account"].append((c.submission_id, c.user_id, why, None))
        if c.email is not None:
            paper["declared_email"].append((c.submission_id, c.email, why, None))

    for u in people:
        reviewer["account"].append((u.id, u.id, u.email))
        known = history.get(u.id, {"email": [(u.email, True)], "inst": [(u.affiliation, True)]})
        for address, _ in known["email"]:
            reviewer["email"].append((u.id, address, address))
            org, _suffixes = host_of(address)
            if org:
                reviewer["org"].append((u.id, org, org))
        for affiliation, _ in known["inst"]:
            inst = institution(affiliation)
            if inst:
                reviewer["inst"].append((u.id, inst, affiliation))
    declared = read(
        sa.select(UserConflict.user_id, UserConflict.kind, UserConflict.value, UserConflict.person_id).where(
            _among(UserConflict.user_id, reviewer_ids)
        )
    ).all()
    for user_id, kind, value, person_id in declared:
        if kind == ConflictKind.PERSON:
            reviewer["declares_email"].append((user_id, value, value))
            if person_id is not None:
                reviewer["declares_account"].append((user_id, person_id, value))
        elif kind == ConflictKind.DOMAIN:  # (normalised again: a domain declared before IDN domains were)
            reviewer["declares_domain"].append((user_id, normalize_domain(value), value))
        elif kind == ConflictKind.INSTITUTION and norm_institution(value):
            reviewer["declares_inst"].append((user_id, norm_institution(value), value))
    facts.overrides = [
        tuple(o)
        for o in read(
            sa.select(
                ConflictOverride.submission_id, ConflictOverride.reviewer_id, ConflictOverride.conflicted, ConflictOverride.note
            )
            # (filtered here only by lists of ids: the results keep only these papers and reviewers anyway, and SQLite
            # took 20 s over two IN (SELECT ...) filters on 45,000 overrides at conference size)
            .where(
                _among(ConflictOverride.submission_id, sub_ids if isinstance(sub_ids, list) else None),
                _among(ConflictOverride.reviewer_id, reviewer_ids if isinstance(reviewer_ids, list) else None),
            )
        ).all()
    ]
    return facts


def conflict_map(sub_ids: Ids, reviewer_ids: Ids) -> dict[tuple[int, int], list[str]]:
    """(submission id, reviewer id) -> the reasons they conflict; pairs without conflict are absent.

    Built from indexes on the reviewers' keys, so it scales with the number of matches, not with
    submissions x reviewers."""
    return reasons_of(gather(sub_ids, reviewer_ids))


#: How a conflict a reviewer declared is noted (``services.assignments.decline_assignment``), and shown.
DECLARED_BY_REVIEWER = "declared by the reviewer"
#: How a conflict an area chair declared is noted (``services.area_chairs.decline_area_chair``), and shown.
DECLARED_BY_AREA_CHAIR = "declared by the area chair"


def reasons_of(facts: Facts) -> dict[tuple[int, int], list[str]]:
    """``RULES`` applied to ``facts``, with the reason of each match."""
    found: dict[tuple[int, int], list[str]] = defaultdict(list)

    def add(sub_id: int, reviewer_id: int, reason: str) -> None:
        if reason not in found[(sub_id, reviewer_id)]:
            found[(sub_id, reviewer_id)].append(reason)

    own = defaultdict(set)  # reviewer -> their account id and addresses (an author-reviewer's "person")
    for rid, key, _ in facts.reviewer["account"] + facts.reviewer["email"]:
        own[rid].add(key)
    for rule in RULES:
        index: dict[Any, list[tuple[int, str]]] = defaultdict(list)
        for rid, key, shown in facts.reviewer[rule.reviewer]:
            index[key].append((rid, shown))
        for sub_id, key, who, person in facts.paper[rule.paper]:
            for rid, shown in index.get(key, ()):
                if rule.personal and person in own[rid]:
                    continue
                add(sub_id, rid, rule.reason.format(who=who, shown=shown))
    for sub_id, rid, conflicted, note in facts.overrides:
        key = (sub_id, rid)
        if conflicted and note.startswith((DECLARED_BY_REVIEWER, DECLARED_BY_AREA_CHAIR)):
            add(*key, note)  # (the reviewer's or area chair's own declaration, in their words)
        elif conflicted:
            add(*key, f"added by the chair{': ' + note if note else ''}")
        elif key in found and AUTHOR not in found[key]:
            del found[key]
    keep_subs, keep_reviewers = set(facts.sub_ids), set(facts.reviewer_ids)
    return {k: v for k, v in found.items() if v and k[0] in keep_subs and k[1] in keep_reviewers}


def conflicted_pairs(facts: Facts) -> PairArrays:
    """The pairs ``reasons_of`` finds, without reasons, as array joins: the time of the pairs found, not of
    submissions x reviewers (millions of pairs at a large conference). Rows and overrides of other papers and
    reviewers than the facts' are left out before the joins (a few hundred thousand rows), not from the pairs
    after them (millions)."""
    sub_ids = np.array(facts.sub_ids, dtype=np.int64)
    reviewer_ids = np.array(facts.reviewer_ids, dtype=np.int64)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    author_cells: list[tuple[np.ndarray, np.ndarray]] = []
    for rule in RULES:
        left, right = facts.paper[rule.paper], facts.reviewer[rule.reviewer]
        if not left or not right:
            continue
        number: dict[Any, int] = {}
        right_keys = np.array([number.setdefault(k, len(number)) for _, k, _ in right], dtype=np.int64)
        left_keys = np.array([number.get(k, -1) for _, k, _, _ in left], dtype=np.int64)
        left_papers = np.array([p for p, _, _, _ in left], dtype=np.int64)
        right_reviewers = np.array([r for r, _, _ in right], dtype=np.int64)
        left_keys[~arrays.isin(left_papers, sub_ids)] = -1
        right_keys[~arrays.isin(right_reviewers, reviewer_ids)] = -1
        pairs = _equi_join(left_keys, left_papers, right_keys, right_reviewers)
        found.append(pairs)
        if rule.reason == AUTHOR:
            author_cells.append(pairs)
    width = int(reviewer_ids.max(initial=0)) + 1
    cells = arrays.unique(np.concatenate([p * width + r for p, r in found] + [np.zeros(0, np.int64)]))
    authors = np.concatenate([p * width + r for p, r in author_cells] + [np.zeros(0, np.int64)])
    # The chairs' changes: an added conflict; a lifted one (never "is an author").
    changed = np.array([(s, r, bool(c)) for s, r, c, _ in facts.overrides], dtype=np.int64).reshape(-1, 3)
    changed = changed[arrays.isin(changed[:, 0], sub_ids) & arrays.isin(changed[:, 1], reviewer_ids)]
    changed_cells = changed[:, 0] * width + changed[:, 1]
    added, lifted = changed_cells[changed[:, 2] == 1], arrays.difference(changed_cells[changed[:, 2] == 0], authors)
    cells = arrays.union(arrays.difference(cells, lifted), added)
    return PairArrays(cells // width, cells % width)


def _equi_join(
    left: np.ndarray, left_vals: np.ndarray, right: np.ndarray, right_vals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(left value, right value) for every pair of rows with the same key (keys < 0 match nothing)."""
    left_vals, right_vals = left_vals[left >= 0], right_vals[right >= 0]
    left, right = left[left >= 0], right[right >= 0]
    order = np.argsort(right, kind="stable")
    right, right_vals = right[order], right_vals[order]
    lo, hi = np.searchsorted(right, left, "left"), np.searchsorted(right, left, "right")
    counts = hi - lo
    first = np.repeat(lo, counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(left_vals, counts), right_vals[first + offset]


def overrides_for(submission_ids: list[int] | None = None, reviewer_ids: list[int] | None = None) -> list[ConflictOverride]:
    stmt = sa.select(ConflictOverride)
    if submission_ids is not None:
        stmt = stmt.where(ConflictOverride.submission_id.in_(submission_ids))
    if reviewer_ids is not None:
        stmt = stmt.where(ConflictOverride.reviewer_id.in_(reviewer_ids))
    return list(db.session.scalars(stmt))


#: Who the conflict lists name: the program committee, reviewers and area chairs (an area chair's conflict, found
#: or declared, is listed and lifted like a reviewer's).
IN_COMMITTEE = sa.or_(User.is_reviewer, User.is_area_chair)


def _reviewers_to_ask(sub_ids: list[int]) -> Ids:
    """The reviewers the rules need asking about for these papers: those who share a key with one of them (an
    empty list when nobody does), or, past ASK_ABOUT_ALL of them, every reviewer (a list that long costs more to
    send than the select)."""
    sharing = reviewers_that_may_conflict(sub_ids)
    if len(sharing) > ASK_ABOUT_ALL:
        return sa.select(User.id).where(IN_COMMITTEE)
    if not sharing:
        return []
    return list(db.session.scalars(sa.select(User.id).where(IN_COMMITTEE, User.id.in_(sorted(sharing)))))


def reviewer_conflicts(sub_ids: list[int]) -> dict[tuple[int, int], list[str]]:
    """``conflict_map`` of these papers and every reviewer, asking the rules only about the reviewers who share a
    key with one of them (``_reviewers_to_ask``): at conference size the rules over every reviewer took half a
    second for one paper."""
    reviewers = _reviewers_to_ask(sub_ids)
    return {} if isinstance(reviewers, list) and not reviewers else conflict_map(sub_ids, reviewers)


def reviewer_conflict_pairs(sub_ids: list[int]) -> set[tuple[int, int]]:
    """The pairs of ``reviewer_conflicts``, without their reasons (the rules' array joins: a list page works out the
    reasons of the pairs it shows only)."""
    reviewers = _reviewers_to_ask(sub_ids)
    if isinstance(reviewers, list) and not reviewers:
        return set()
    found = conflicted_pairs(gather(sub_ids, reviewers, reasons=False))
    return set(zip(found.paper.tolist(), found.reviewer.tolist(), strict=True))


#: Beyond this many people sharing a key with some papers, ``reviewer_conflicts`` asks about every reviewer.
ASK_ABOUT_ALL = 5000


def conflict_reasons(user: User, sub: Submission) -> list[str]:
    """Why ``user`` conflicts with ``sub`` (empty: no conflict)."""
    return conflict_map([sub.id], [user.id]).get((sub.id, user.id), [])


# --- who may conflict at all --------------------------------------------------------------------------------
#
# One reviewer's papers (the bid list) or one paper's reviewers (the chair's reviewer picker) at conference size:
# the rules need only the pairs that share a key, and finding those is a filter on the few keys of the one side,
# asked of the database, instead of reading every address and affiliation of the other side.


def _needle(key: str, *, institution: bool) -> str:
    """The longest piece of ``key`` (an organization, a domain, or an institution as ``norm_institution`` makes it)
    that every text with this key holds, in any case: ASCII only, never across a space, without ``i`` or ``k``
    (two non-ASCII letters lower to them: the dotted capital I and the Kelvin sign), and never from a word
    ``norm_institution`` may have written itself ("university" for "univ.", "and" for "&"). Empty when there is
    none."""
    best = ""
    for word in key.split(" "):
        if institution and ("university" in word or word == "and"):
            continue
        for piece in re.split(r"[^\x00-\x7f]|[ik]", word):
            if len(piece) > len(best):
                best = piece
    return best


def _holds(column: Any, needle: str) -> sa.ColumnElement[bool]:
    """``column`` holds ``needle`` (ASCII) in any case. (SQLite's LIKE ignores the case of ASCII letters itself:
    its ILIKE would call the portal's Python ``lower`` on every row.)"""
    if db.session.get_bind().dialect.name == "sqlite":
        return column.contains(needle, autoescape=True)
    return column.icontains(needle, autoescape=True)


def address_filter(column: Any, addresses: set[str], domains: set[str]) -> sa.ColumnElement[bool]:
    """Holds for every address in ``column`` that is one of ``addresses`` or whose host is, or ends with, one of
    ``domains`` (an organization or a declared domain), and for few others; for every row when a domain has no
    piece to look for."""
    terms: list[sa.ColumnElement[bool]] = [column.in_(sorted(addresses))] if addresses else []
    for domain in sorted(domains):
        needle = _needle(domain, institution=False)
        if not needle:
            return sa.true()
        terms.append(_holds(column, needle))
    return sa.or_(*terms) if terms else sa.false()


def institution_filter(column: Any, institutions: set[str]) -> sa.ColumnElement[bool]:
    """Holds for every affiliation in ``column`` that ``norm_institution`` turns into one of ``institutions``, and
    for few others; for every row when an institution has no piece to look for."""
    terms: list[sa.ColumnElement[bool]] = []
    for inst in sorted(institutions):
        needle = _needle(inst, institution=True)
        if not needle:
            return sa.true()
        terms.append(_holds(column, needle))
    return sa.or_(*terms) if terms else sa.false()


def papers_that_may_conflict(reviewer_id: int, among: list[int]) -> list[int]:
    """The papers of ``among`` that share at least one key of the rules with the reviewer, whichever rule joins
    them: a paper outside this list has none, so no rule can find a conflict with it. The database is asked only
    for the rows holding one of the reviewer's keys (``address_filter``, ``institution_filter``); each row it
    returns is then checked exactly, with the rules' own functions."""
    mine = gather([], [reviewer_id]).reviewer  # the reviewer's keys only
    accounts = {key for kind in ("account", "declares_account") for _, key, _ in mine[kind]}
    addresses = {key for kind in ("email", "declares_email") for _, key, _ in mine[kind]}
    orgs = {key for _, key, _ in mine["org"]}
    domains = {key for _, key, _ in mine["declares_domain"]}
    institutions = {key for kind in ("inst", "declares_inst") for _, key, _ in mine[kind]}
    hosts: dict[str, bool] = {}
    affiliations: dict[str, bool] = {}

    def shares(kind: str, value: str | None) -> bool:
        """An address (its own, its organization's or a declared domain) or an affiliation of the reviewer's."""
        if not value:
            return False
        if kind == "email":
            if value in addresses:
                return True
            host = value.rsplit("@", 1)[-1]  # (as ``gather`` reads an address)
            if host not in hosts:
                hosts[host] = org_domain("@" + host) in orgs or any(d in domains for d in domain_suffixes(host))
            return hosts[host]
        if value not in affiliations:
            affiliations[value] = norm_institution(value) in institutions
        return affiliations[value]

    read = db.session.connection().execute
    # Accounts any of whose addresses or affiliations, current or earlier, is one of the reviewer's keys: a paper
    # listing such an account (or submitted by it) carries that key too.
    for user_id, kind, value in read(
        sa.union_all(
            sa.select(User.id, sa.literal("email"), User.email).where(address_filter(User.email, addresses, orgs | domains)),
            sa.select(User.id, sa.literal("inst"), User.affiliation).where(institution_filter(User.affiliation, institutions)),
            sa.select(UserEmail.user_id, sa.literal("email"), UserEmail.email).where(
                address_filter(UserEmail.email, addresses, orgs | domains)
            ),
            sa.select(UserAffiliation.user_id, sa.literal("inst"), UserAffiliation.affiliation).where(
                institution_filter(UserAffiliation.affiliation, institutions)
            ),
        )
    ).all():
        if user_id not in accounts and shares(kind, value):
            accounts.add(user_id)
    wanted = set(among)
    found = {
        sub_id
        for sub_id, email, affiliation, user_id in read(
            sa.select(
                SubmissionAuthor.submission_id, SubmissionAuthor.email, SubmissionAuthor.affiliation, SubmissionAuthor.user_id
            ).where(
                sa.or_(
                    SubmissionAuthor.user_id.in_(sorted(accounts)),
                    address_filter(SubmissionAuthor.email, addresses, orgs | domains),
                    institution_filter(SubmissionAuthor.affiliation, institutions),
                )
            )
        ).all()
        if sub_id in wanted and (user_id in accounts or shares("email", email) or shares("inst", affiliation))
    }
    found |= set(read(sa.select(Submission.id).where(Submission.submitter_id.in_(sorted(accounts)))).scalars())
    found |= set(
        read(
            sa.select(SubmissionConflict.submission_id).where(
                sa.or_(SubmissionConflict.user_id == reviewer_id, SubmissionConflict.email.in_(sorted(addresses)))
            )
        ).scalars()
    )
    found |= set(
        read(
            sa.select(ConflictOverride.submission_id).where(
                ConflictOverride.reviewer_id == reviewer_id, ConflictOverride.conflicted
            )
        ).scalars()
    )
    return sorted(found & wanted)


def reviewers_that_may_conflict(sub_ids: list[int]) -> set[int]:
    """The people who share at least one key of the rules with one of these papers, whichever rule joins them (and
    some others): anyone else has none, so no rule can find a conflict with them. The mirror of
    ``papers_that_may_conflict``: a few papers' keys are few, so the database is asked for the accounts holding one
    of them (an address, an organization, an institution, now or earlier), the people the authors declared, those
    whose own declarations name an author, an author's address, one of the paper's hosts or institutions, and the
    chairs' added conflicts."""
    if not sub_ids:
        return set()
    paper = gather(sub_ids, []).paper  # the papers' keys only
    accounts = {key for kind in ("account", "declared_account") for _, key, _, _ in paper[kind]}
    addresses = {key for kind in ("email", "declared_email") for _, key, _, _ in paper[kind]}
    orgs = {key for _, key, _, _ in paper["org"]}
    hosts = {key for _, key, _, _ in paper["host"]}
    institutions = {key for _, key, _, _ in paper["inst"]}
    read = db.session.connection().execute
    found = set(accounts)
    found |= set(
        read(
            sa.union(
                sa.select(User.id).where(address_filter(User.email, addresses, orgs)),
                sa.select(User.id).where(institution_filter(User.affiliation, institutions)),
                sa.select(UserEmail.user_id).where(address_filter(UserEmail.email, addresses, orgs)),
                sa.select(UserAffiliation.user_id).where(institution_filter(UserAffiliation.affiliation, institutions)),
            )
        ).scalars()
    )
    for user_id, kind, value in read(
        sa.select(UserConflict.user_id, UserConflict.kind, UserConflict.value).where(
            sa.or_(
                UserConflict.kind != ConflictKind.PERSON,
                UserConflict.value.in_(sorted(addresses)),
                UserConflict.person_id.in_(sorted(accounts)),
            )
        )
    ).all():
        if kind == ConflictKind.PERSON:
            found.add(user_id)
        elif kind == ConflictKind.DOMAIN:
            if normalize_domain(value) in hosts:
                found.add(user_id)
        elif norm_institution(value) in institutions:
            found.add(user_id)
    found |= set(
        read(
            sa.select(ConflictOverride.reviewer_id).where(
                ConflictOverride.submission_id.in_(sub_ids), ConflictOverride.conflicted
            )
        ).scalars()
    )
    return found
