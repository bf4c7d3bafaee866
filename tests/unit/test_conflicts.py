"""Conflicts of interest computed from real rows: each source with the reason the chair reads, chair
overrides, and no conflict between people who have nothing in common."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.addresses import normalize_email
from portal.db import db, utcnow
from portal.models import (
    ConflictKind,
    ConflictOverride,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    User,
    UserConflict,
    Workshop,
)
from portal.queries.conflicts import AUTHOR, conflict_map, conflicted_pairs, gather, norm_institution, org_domain, reasons_of
from tests.factories import make_user

# --- pure helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("alice@cs.ucsd.edu", "ucsd.edu"),
        ("alice@ucsd.edu", "ucsd.edu"),
        ("bob@ox.ac.uk", "ox.ac.uk"),
        ("bob@cs.ox.ac.uk", "ox.ac.uk"),
        ("Carol@CS.Stanford.EDU", "stanford.edu"),
        ("x@gmail.com", None),
        ("x@mail.gmail.com", None),
        ("x@example.org", None),
        ("x@localhost", None),
    ],
)
def test_org_domain(address: str, expected: str | None) -> None:
    assert org_domain(address) == expected


def test_norm_institution_ignores_case_punctuation_and_abbreviation() -> None:
    assert norm_institution("University of California, San Diego") == "university of california san diego"
    assert norm_institution("  UNIVERSITY of California -- San Diego ") == "university of california san diego"
    assert norm_institution("Univ. of Oxford") == norm_institution("University of Oxford")
    assert norm_institution("Texas A&M") == "texas a and m"


# --- rows ---------------------------------------------------------------------------------------------

Author = tuple[str, str, str]  # name, email, affiliation


def _submission(authors: list[Author], *, declared: str = "", title: str = "Sparse attention at length") -> Submission:
    ws = db.session.scalars(sa.select(Workshop)).one()
    sub = Submission(
        workshop_id=ws.id,
        type_id=ws.submission_types[0].id,
        primary_topic_id=ws.topics[0].id,
        title=title,
        abstract="We study attention over long inputs.",
        declared_conflicts=declared,
        state=SubmissionState.SUBMITTED,
        submitted_at=utcnow(),
        authors=[SubmissionAuthor(position=i, name=n, email=e, affiliation=a) for i, (n, e, a) in enumerate(authors, 1)],
    )
    db.session.add(sub)
    db.session.flush()
    return sub


def _reviewer(email: str, affiliation: str, *, declares: tuple[tuple[ConflictKind, str], ...] = ()) -> User:
    user = make_user(email, affiliation=affiliation, roles=("reviewer",))
    user.conflicts = [UserConflict(kind=k, value=v) for k, v in declares]
    db.session.flush()
    return user


def _conflicts(app: Flask) -> dict[tuple[int, int], list[str]]:
    """The conflict map over every submission and reviewer, read back in a fresh context; the array version
    the automatic assignment uses must find exactly the same pairs (one set of rules, two implementations)."""
    with app.app_context():
        facts = gather(None, sa.select(User.id).where(User.is_reviewer))
        found = reasons_of(facts)
        pairs = conflicted_pairs(facts)
        assert set(zip(pairs.paper.tolist(), pairs.reviewer.tolist(), strict=True)) == set(found)
        assert found == conflict_map(None, sa.select(User.id).where(User.is_reviewer))
        return found


ANN = ("Ann Author", "ann@cs.ucsd.edu", "University of California, San Diego")
OLIVER = ("Oliver Coauthor", "oliver@ox.ac.uk", "University of Oxford")


# --- each source --------------------------------------------------------------------------------------


def test_conflict_reviewer_is_an_author(app: Flask) -> None:
    with app.app_context():
        sub = _submission([("Ann Author", "ann@gmail.com", "")])
        ann = _reviewer("ann@gmail.com", "")
        _reviewer("zoe@gmail.com", "")  # another webmail user: nothing in common
        db.session.commit()
        key = (sub.id, ann.id)

    assert _conflicts(app) == {key: [AUTHOR]}


def test_conflict_reviewer_author_is_not_listed_as_sharing_with_themselves(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN])
        ann = _reviewer("ann@cs.ucsd.edu", "University of California, San Diego")
        db.session.commit()
        key = (sub.id, ann.id)

    assert _conflicts(app) == {key: [AUTHOR]}


def test_conflict_shared_email_domain_matches_subdomain(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN])
        rita = _reviewer("rita@ucsd.edu", "Scripps Research")  # parent domain, other institution name
        ed = _reviewer("ed@eng.ucsd.edu", "")  # sibling subdomain
        _reviewer("nina@notucsd.edu", "")  # a different organization whose name ends the same way
        db.session.commit()
        rita_key, ed_key = (sub.id, rita.id), (sub.id, ed.id)

    assert _conflicts(app) == {
        rita_key: ["shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu)"],
        ed_key: ["shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu)"],
    }


def test_conflict_shared_two_level_suffix_domain_is_the_organization(app: Flask) -> None:
    with app.app_context():
        sub = _submission([OLIVER])
        hugo = _reviewer("hugo@cs.ox.ac.uk", "")
        _reviewer("cam@cam.ac.uk", "")  # same ac.uk suffix, another university
        db.session.commit()
        key = (sub.id, hugo.id)

    assert _conflicts(app) == {key: ["shares the email domain ox.ac.uk with author Oliver Coauthor (oliver@ox.ac.uk)"]}


def test_conflict_webmail_domain_is_ignored(app: Flask) -> None:
    with app.app_context():
        _submission([("Gail Mail", "gail@gmail.com", "Independent Lab One")])
        _reviewer("greg@gmail.com", "Independent Lab Two")
        _reviewer("otto@googlemail.com", "")
        _reviewer("eve@example.org", "")
        db.session.commit()

    assert _conflicts(app) == {}


def test_conflict_same_institution_ignores_case_and_punctuation(app: Flask) -> None:
    with app.app_context():
        sub = _submission([("Ann Author", "ann@gmail.com", "University of California, San Diego")])
        ivan = _reviewer("ivan@gmail.com", "university of california - san diego")
        _reviewer("uma@gmail.com", "University of California, Irvine")
        db.session.commit()
        key = (sub.id, ivan.id)

    assert _conflicts(app) == {
        key: [
            "shares the institution university of california - san diego with author Ann Author "
            "(University of California, San Diego)"
        ]
    }


def test_conflict_declared_by_the_authors(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN], declared="  Dan@Rival.org \n\nsomeone-else@nowhere.net\n")
        dan = _reviewer("dan@rival.org", "Rival Institute")
        db.session.commit()
        key = (sub.id, dan.id)

    assert _conflicts(app) == {key: ["declared by the authors"]}


def test_conflict_reviewer_declared_institution(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN, OLIVER])
        rev = _reviewer("rev@mit.edu", "MIT", declares=((ConflictKind.INSTITUTION, "Univ. of Oxford"),))
        db.session.commit()
        key = (sub.id, rev.id)

    assert _conflicts(app) == {
        key: ["the reviewer declared a conflict with Univ. of Oxford (author Oliver Coauthor (University of Oxford))"]
    }


def test_conflict_reviewer_declared_parent_domain_matches_subdomains(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN])
        _submission([("Nina", "nina@notucsd.edu", "")], title="Memory")  # ends like ucsd.edu, is not it
        parent = _reviewer("p@mit.edu", "MIT", declares=((ConflictKind.DOMAIN, "ucsd.edu"),))
        _reviewer("q@cmu.edu", "CMU", declares=((ConflictKind.DOMAIN, "eng.ucsd.edu"),))  # a sibling: no match
        db.session.commit()
        key = (sub.id, parent.id)

    assert _conflicts(app) == {key: ["the reviewer declared a conflict with ucsd.edu (author Ann Author (ann@cs.ucsd.edu))"]}


def test_conflict_reviewer_declares_an_internationalised_domain_in_either_form(app: Flask) -> None:
    """uni-köln.de and xn--uni-kln-e1a.de are one domain: the account page takes both, and either matches an author
    whose address was typed either way (addresses are stored in the Unicode form). Found by the Hypothesis test of
    the two appliers: the Unicode form was refused, the xn-- form matched nobody."""
    from portal.services.accounts import parse_conflicts

    found, problems = parse_conflicts("", "Uni-Köln.DE\n@xn--uni-kln-e1a.de.\nnot a domain", "")
    assert found == [(ConflictKind.DOMAIN, "uni-köln.de")]
    assert problems == ["“not a domain” is not an email domain (like ucsd.edu)."]
    with app.app_context():
        sub = _submission([("Karl", normalize_email("karl@xn--uni-kln-e1a.de"), "")])
        typed = _reviewer("t@mit.edu", "MIT", declares=found)
        stored_before = _reviewer("s@cmu.edu", "CMU", declares=((ConflictKind.DOMAIN, "xn--uni-kln-e1a.de"),))
        db.session.commit()
        ids = (sub.id, typed.id, stored_before.id)

    found_pairs = _conflicts(app)
    assert sorted(found_pairs) == [(ids[0], ids[1]), (ids[0], ids[2])]
    assert found_pairs[(ids[0], ids[1])] == ["the reviewer declared a conflict with uni-köln.de (author Karl (karl@uni-köln.de))"]


def test_conflict_reviewer_declared_person(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN, OLIVER])
        rev = _reviewer("rev@mit.edu", "MIT", declares=((ConflictKind.PERSON, "oliver@ox.ac.uk"),))
        _reviewer("rev2@cmu.edu", "CMU", declares=((ConflictKind.PERSON, "someone@ox.ac.uk"),))
        db.session.commit()
        key = (sub.id, rev.id)

    assert _conflicts(app) == {key: ["the reviewer declared a conflict with author Oliver Coauthor (oliver@ox.ac.uk)"]}


# --- chair overrides ----------------------------------------------------------------------------------


def _override(sub: Submission, reviewer: User, *, conflicted: bool, note: str = "") -> None:
    db.session.add(ConflictOverride(submission_id=sub.id, reviewer_id=reviewer.id, conflicted=conflicted, note=note))
    db.session.flush()


def test_conflict_chair_adds_a_conflict_with_its_note(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN])
        mentor = _reviewer("mentor@mit.edu", "MIT")
        friend = _reviewer("friend@cmu.edu", "CMU")
        _override(sub, mentor, conflicted=True, note="PhD advisor of the first author")
        _override(sub, friend, conflicted=True)
        db.session.commit()
        mentor_key, friend_key = (sub.id, mentor.id), (sub.id, friend.id)

    assert _conflicts(app) == {
        mentor_key: ["added by the chair: PhD advisor of the first author"],
        friend_key: ["added by the chair"],
    }


def test_conflict_chair_lift_removes_a_computed_conflict(app: Flask) -> None:
    with app.app_context():
        sub = _submission([ANN])
        rita = _reviewer("rita@ucsd.edu", "Scripps Research")  # shares the domain only
        ed = _reviewer("ed@eng.ucsd.edu", "")  # shares the domain, not lifted
        _override(sub, rita, conflicted=False, note="different campus, never met")
        db.session.commit()
        ed_key = (sub.id, ed.id)

    assert _conflicts(app) == {ed_key: ["shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu)"]}


def test_conflict_chair_lift_never_removes_is_an_author(app: Flask) -> None:
    with app.app_context():
        sub = _submission([("Ann Author", "ann@gmail.com", "")])
        ann = _reviewer("ann@gmail.com", "")
        _override(sub, ann, conflicted=False)
        db.session.commit()
        key = (sub.id, ann.id)

    assert _conflicts(app) == {key: [AUTHOR]}


def test_conflict_reasons_are_per_submission(app: Flask) -> None:
    with app.app_context():
        ucsd = _submission([ANN], title="One")
        oxford = _submission([OLIVER], title="Two")
        rita = _reviewer("rita@ucsd.edu", "Scripps Research")
        hugo = _reviewer("hugo@cs.ox.ac.uk", "")
        db.session.commit()
        rita_key, hugo_key = (ucsd.id, rita.id), (oxford.id, hugo.id)

    assert _conflicts(app) == {
        rita_key: ["shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu)"],
        hugo_key: ["shares the email domain ox.ac.uk with author Oliver Coauthor (oliver@ox.ac.uk)"],
    }


def test_conflict_none_between_unrelated_people(app: Flask) -> None:
    with app.app_context():
        _submission([ANN, OLIVER], declared="someone@nowhere.net")
        _reviewer("tom@mit.edu", "Massachusetts Institute of Technology")
        _reviewer("una@cmu.edu", "Carnegie Mellon University", declares=((ConflictKind.DOMAIN, "stanford.edu"),))
        _reviewer("vic@gmail.com", "", declares=((ConflictKind.INSTITUTION, "University of Cambridge"),))
        _reviewer("wil@cam.ac.uk", "University of Cambridge", declares=((ConflictKind.PERSON, "ann@ucsd.edu"),))
        _reviewer("xia@example.org", "Test University")
        db.session.commit()

    assert _conflicts(app) == {}
