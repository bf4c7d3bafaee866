"""One rule in one place (issue 19): the conflict rules are written once (``RULES``) and applied twice, with
reasons for the pages (``conflict_map``) and as array joins for the automatic assignment (``conflicted_pairs``).
Hypothesis builds worlds of people and papers, and in each:

* both find the same conflicted pairs, asked about everyone (``None``), about lists of ids, about selects (the
  papers not withdrawn, the reviewers) and about a list and a select; and the arrays name each pair once;
* every pair ``conflict_map`` finds has its reasons, none empty;
* an answer about some papers and reviewers is the answer about everyone, restricted to them;
* each rule alone (only the two kinds of key it joins) finds the same pairs both ways: in a whole world another
  rule often finds a pair as well, and would hide a rule that one implementation applies differently.

A world draws from small pools, so that the collisions the rules exist for are frequent: three people's names
(``ann``, ``bo``, ``cy``) at five hosts (a department and its university, an ``ac.uk`` one, webmail, an
internationalised one), each typed in several ways (case, IDNA, a trailing dot, decomposed Unicode) and usually
stored as the portal stores it (``normalize_email``), sometimes as typed; three institutions spelled several
ways, and affiliations that normalise to nothing. In it: accounts with their current and earlier addresses and
affiliations, reviewers or not, confirmed or not; papers, some withdrawn, with author rows linked to an account
or not and a submitter listed or not (so reviewers are authors too); the authors' declared conflicts (an
account, an address, both); the reviewers' (an institution, a domain, a person by address and maybe account);
and the chairs' overrides, added and lifted.

Each example lives in one transaction of the test's database, rolled back at its end: the examples share the
``app`` fixture (hence the suppressed health check) and nothing else.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import idna
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.addresses import normalize_email
from portal.assign.affinity import PairArrays
from portal.db import db, utcnow
from portal.models import (
    ConflictKind,
    ConflictOverride,
    ConflictReason,
    Submission,
    SubmissionAuthor,
    SubmissionConflict,
    SubmissionState,
    User,
    UserAffiliation,
    UserConflict,
    UserEmail,
    Workshop,
)
from portal.queries.conflicts import RULES, Facts, Ids, Rule, conflict_map, conflicted_pairs, gather, reasons_of

# --- the pools ----------------------------------------------------------------------------------------

LOCALS = ("ann", "bo", "cy")
# A department and its university (one organization), a second-level suffix, webmail, an internationalised domain.
HOSTS = ("cs.ucsd.edu", "ucsd.edu", "ox.ac.uk", "gmail.com", "uni-köln.de")
# Three institutions, several spellings each ("MIT" and its full name do not normalise alike: two institutions
# to the rules, so only the short one is here), and two affiliations that normalise to nothing.
AFFILIATIONS = ("", "University of Oxford", "Univ. of Oxford", "UNIVERSITY  OF OXFORD", "MIT", "Texas A&M", "texas a and m", "—")
# What a reviewer may declare as a domain: organizations, a host, a bare suffix, webmail, both forms of an IDN.
DOMAINS = ("ucsd.edu", "cs.ucsd.edu", "ox.ac.uk", "ac.uk", "gmail.com", "uni-köln.de", "xn--uni-kln-e1a.de")
NAMES = ("Ann Author", "Bo", "Cy")
NOTES = ("", "his student")


def spellings(local: str, host: str) -> list[str]:
    """The ways one address gets typed; ``normalize_email`` makes them all the same text."""
    address = f"{local}@{host}"
    return [
        address,
        f"{local.upper()}@{host.upper()}",
        f"{local}@{idna.encode(host, uts46=True).decode()}",
        f" {address}. ",
        unicodedata.normalize("NFD", address),
    ]


@st.composite
def addresses(draw: st.DrawFn, *, lowercase: bool = True) -> str:
    """An address as stored: usually normalised, as the portal stores what is typed; sometimes as typed, as a row
    from before the normalisation may hold it (in a column that asks for lower case, only a lower-case ASCII one)."""
    typed = draw(st.sampled_from(spellings(draw(st.sampled_from(LOCALS)), draw(st.sampled_from(HOSTS)))))
    as_typed = draw(st.sampled_from((False, False, False, True)))
    if as_typed and (not lowercase or (typed.isascii() and typed == typed.lower())):
        return typed
    return normalize_email(typed)


# --- a world ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str
    affiliation: str
    reviewer: bool
    confirmed: bool
    addresses: tuple[str, ...]  # UserEmail rows (the current address among them or not)
    affiliations: tuple[str, ...]  # UserAffiliation rows
    declares: tuple[tuple[ConflictKind, str, int | None], ...]  # (kind, value, the person named: an index)


@dataclass(frozen=True)
class Author:
    name: str
    email: str
    affiliation: str
    account: int | None  # an index of World.people


@dataclass(frozen=True)
class Paper:
    submitter: int | None
    withdrawn: bool
    authors: tuple[Author, ...]
    declared: tuple[tuple[int | None, str | None, ConflictReason], ...]  # (account index, address, reason)


@dataclass(frozen=True)
class World:
    people: tuple[Person, ...]
    papers: tuple[Paper, ...]
    overrides: tuple[tuple[int, int, bool, str], ...]  # (paper index, person index, conflicted, note)
    asked_papers: frozenset[int]  # the indexes asked about by id
    asked_people: frozenset[int]


@st.composite
def persons(draw: st.DrawFn) -> Person:
    """A person without the conflicts they declare (those name other people: drawn once everyone is there)."""
    email = draw(addresses())
    earlier = draw(st.lists(addresses(), unique=True, max_size=2))
    if draw(st.booleans()):  # the current address is in the history too (it is, once confirmed)
        earlier = [email, *(e for e in earlier if e != email)]
    return Person(
        email=email,
        affiliation=draw(st.sampled_from(AFFILIATIONS)),
        reviewer=draw(st.booleans()),
        confirmed=draw(st.booleans()),
        addresses=tuple(earlier),
        affiliations=tuple(draw(st.lists(st.sampled_from(AFFILIATIONS), max_size=2))),
        declares=(),
    )


def declarations(accounts: int) -> st.SearchStrategy[tuple[tuple[ConflictKind, str, int | None], ...]]:
    declared = st.one_of(
        st.tuples(st.just(ConflictKind.INSTITUTION), st.sampled_from(AFFILIATIONS), st.none()),
        st.tuples(st.just(ConflictKind.DOMAIN), st.sampled_from(DOMAINS), st.none()),
        st.tuples(st.just(ConflictKind.PERSON), addresses(lowercase=False), st.none() | st.integers(0, accounts - 1)),
    )
    return st.lists(declared, unique_by=lambda d: (d[0], d[1]), max_size=3).map(tuple)


@st.composite
def submissions(draw: st.DrawFn, accounts: int) -> Paper:
    account = st.integers(0, accounts - 1)
    authors = st.builds(Author, st.sampled_from(NAMES), addresses(), st.sampled_from(AFFILIATIONS), st.none() | account)
    reason = st.sampled_from(ConflictReason)
    address = addresses(lowercase=False)
    declared = st.one_of(  # an account, an address, or both (an address bound to its account)
        st.tuples(account, st.none(), reason), st.tuples(st.none(), address, reason), st.tuples(account, address, reason)
    )
    return Paper(
        submitter=draw(st.none() | account),
        withdrawn=draw(st.booleans()),
        authors=tuple(draw(st.lists(authors, unique_by=lambda a: a.email, max_size=3))),
        declared=tuple(draw(st.lists(declared, unique_by=lambda d: d[1] if d[1] is not None else ("account", d[0]), max_size=2))),
    )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    people = draw(st.lists(persons(), min_size=1, max_size=5, unique_by=lambda p: p.email))
    people = [replace(p, declares=draw(declarations(len(people)))) for p in people]
    papers = draw(st.lists(submissions(len(people)), min_size=1, max_size=3))
    paper, person = st.integers(0, len(papers) - 1), st.integers(0, len(people) - 1)
    overrides = st.tuples(paper, person, st.booleans(), st.sampled_from(NOTES))
    return World(
        people=tuple(people),
        papers=tuple(papers),
        overrides=tuple(draw(st.lists(overrides, unique_by=lambda o: o[:2], max_size=4))),
        asked_papers=draw(st.frozensets(paper)),
        asked_people=draw(st.frozensets(person)),
    )


def build(world: World) -> tuple[list[int], list[int]]:
    """The world's rows, flushed (not committed): the ids of its people and of its papers, in order."""
    ws = db.session.scalars(sa.select(Workshop)).one()
    now = utcnow()
    accounts = [
        User(
            email=p.email,
            name=f"Person {i}",
            affiliation=p.affiliation,
            password_hash="-",
            email_confirmed_at=now if p.confirmed else None,
            is_reviewer=p.reviewer,
        )
        for i, p in enumerate(world.people)
    ]
    db.session.add_all(accounts)
    db.session.flush()
    ids = [u.id for u in accounts]
    for user_id, p in zip(ids, world.people, strict=True):
        db.session.add_all(UserEmail(user_id=user_id, email=e, confirmed_at=now) for e in p.addresses)
        db.session.add_all(UserAffiliation(user_id=user_id, affiliation=a, since=now) for a in p.affiliations)
        db.session.add_all(
            UserConflict(user_id=user_id, kind=k, value=v, person_id=None if i is None else ids[i]) for k, v, i in p.declares
        )
    subs = [
        Submission(
            workshop_id=ws.id,
            type_id=ws.submission_types[0].id,
            primary_topic_id=ws.topics[0].id,
            title="A paper",
            abstract="An abstract.",
            state=SubmissionState.WITHDRAWN if paper.withdrawn else SubmissionState.SUBMITTED,
            submitted_at=now,
            withdrawn_at=now if paper.withdrawn else None,
            submitter_id=None if paper.submitter is None else ids[paper.submitter],
            authors=[
                SubmissionAuthor(
                    position=n,
                    name=a.name,
                    email=a.email,
                    affiliation=a.affiliation,
                    user_id=None if a.account is None else ids[a.account],
                )
                for n, a in enumerate(paper.authors, 1)
            ],
            declared=[SubmissionConflict(user_id=None if i is None else ids[i], email=e, reason=r) for i, e, r in paper.declared],
        )
        for paper in world.papers
    ]
    db.session.add_all(subs)
    db.session.flush()
    db.session.add_all(
        ConflictOverride(submission_id=subs[s].id, reviewer_id=ids[p], conflicted=c, note=note)
        for s, p, c, note in world.overrides
    )
    db.session.flush()
    return ids, [s.id for s in subs]


# --- both implementations -----------------------------------------------------------------------------


def arrays_of(pairs: PairArrays) -> list[tuple[int, int]]:
    return list(zip(pairs.paper.tolist(), pairs.reviewer.tolist(), strict=True))


def answers(papers: Ids, reviewers: Ids) -> dict[tuple[int, int], set[str]]:
    """The pairs ``conflict_map`` finds with their reasons, checked against the pairs ``conflicted_pairs`` finds
    from the facts the automatic assignment gathers (without reasons)."""
    found = conflict_map(papers, reviewers)
    arrays = arrays_of(conflicted_pairs(gather(papers, reviewers, reasons=False)))
    assert set(found) == set(arrays)
    assert len(arrays) == len(set(arrays)), "the arrays name a pair twice"
    assert [k for k, reasons in found.items() if not reasons or not all(r.strip() for r in reasons)] == []
    return {k: set(reasons) for k, reasons in found.items()}


def alone(facts: Facts, rule: Rule) -> Facts:
    """Only the two kinds of key ``rule`` joins, and no overrides: no other rule finds anything in it."""
    only = Facts(facts.sub_ids, facts.reviewer_ids)
    only.paper[rule.paper], only.reviewer[rule.reviewer] = facts.paper[rule.paper], facts.reviewer[rule.reviewer]
    return only


def rule_by_rule() -> None:
    """Each rule alone finds the same pairs both ways: in a whole world another rule often finds a pair too, and
    would hide a rule one implementation applied differently."""
    with_reasons, without = gather(None, None), gather(None, None, reasons=False)
    for rule in RULES:
        assert set(reasons_of(alone(with_reasons, rule))) == set(arrays_of(conflicted_pairs(alone(without, rule)))), rule


def within(found: dict[tuple[int, int], set[str]], papers: Any, reviewers: Any) -> dict[tuple[int, int], set[str]]:
    return {k: v for k, v in found.items() if k[0] in set(papers) and k[1] in set(reviewers)}


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same worlds on every run, in CI too
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_conflict_rules_agree_for_any_data(app: Flask, world: World) -> None:
    with app.app_context():
        try:
            person_ids, paper_ids = build(world)
            everything = answers(None, None)
            rule_by_rule()

            by_ids = [sorted(paper_ids[i] for i in world.asked_papers), sorted(person_ids[i] for i in world.asked_people)]
            assert answers(*by_ids) == within(everything, *by_ids)

            live = sa.select(Submission.id).where(Submission.state == SubmissionState.SUBMITTED)
            reviewers = sa.select(User.id).where(User.is_reviewer)
            live_ids, reviewer_ids = db.session.scalars(live).all(), db.session.scalars(reviewers).all()
            assert answers(live, reviewers) == within(everything, live_ids, reviewer_ids)
            assert answers(by_ids[0], reviewers) == within(everything, by_ids[0], reviewer_ids)
        finally:
            db.session.rollback()
