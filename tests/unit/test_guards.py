"""The guards' contracts that no page can show: nobody (``None``, as a command line or a job passes for "no
actor") may do anything, and a deadline closes at its very instant. The pages' side of every guard is in
tests/views/test_guards.py; both are the test subset of the mutation run (scripts/mutate.py)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from portal import permissions
from portal.db import db, utcnow
from portal.models import (
    DateKind,
    Decision,
    ImportantDate,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    User,
    Workshop,
)
from tests.factories import make_user


def _paper(ws: Workshop, submitter_id: int, state: SubmissionState = SubmissionState.SUBMITTED) -> Submission:
    sub = Submission(
        workshop_id=ws.id,
        type_id=ws.submission_types[0].id,
        primary_topic_id=ws.topics[0].id,
        title="A paper",
        abstract="An abstract.",
        state=state,
        submitted_at=utcnow(),
        submitter_id=submitter_id,
        withdrawn_at=utcnow() if state == SubmissionState.WITHDRAWN else None,
        authors=[SubmissionAuthor(position=1, name="Sam", email="sam@example.org", affiliation="")],
    )
    db.session.add(sub)
    db.session.flush()
    return sub


def test_nobody_is_signed_in_and_may_do_nothing(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sam = make_user("sam@example.org", roles=("reviewer", "chair"))
        sub = _paper(ws, sam.id)
        withdrawn = _paper(ws, sam.id, SubmissionState.WITHDRAWN)
        decided = _paper(ws, sam.id)
        decided.decision = Decision.ACCEPTED
        now = utcnow()

        answers = {
            "is_signed_in": permissions.is_signed_in(None),
            "is_chair": permissions.is_chair(None),
            "is_reviewer": permissions.is_reviewer(None),
            "can_manage_members": permissions.can_manage_members(None),
            "can_edit_reviewer_expertise": permissions.can_edit_reviewer_expertise(None),
            "is_author": permissions.is_author(None, sub),
            "can_view_submission": permissions.can_view_submission(None, sub),
            "can_edit_submission": permissions.can_edit_submission(None, sub, now),
            "can_withdraw_submission": permissions.can_withdraw_submission(None, sub),
            "can_restore_submission": permissions.can_restore_submission(None, withdrawn, now),
            "can_see_decision": permissions.can_see_decision(None, decided),
            "can_upload_camera_ready": permissions.can_upload_camera_ready(None, decided, now),
            "can_extend_deadline": permissions.can_extend_deadline(None, sub),
            "is_conflicted": permissions.is_conflicted(None, sub),
            "assignment_for": permissions.assignment_for(None, sub),
            "can_review": permissions.can_review(None, sub),
            "can_chair_paper": permissions.can_chair_paper(None, sub),
            "manages": permissions.manages(None, sub),
            "can_see_paper_as_reviewer": permissions.can_see_paper_as_reviewer(None, sub),
            "has_reviewed": permissions.has_reviewed(None, sub),
            "can_see_reviews": permissions.can_see_reviews(None, sub),
            "can_discuss": permissions.can_discuss(None, sub),
            "can_bid": permissions.can_bid(None, ws, now),
        }

    assert answers == dict.fromkeys(answers, False) | {"assignment_for": None}


def test_a_deadline_closes_edits_and_restores_at_its_very_instant(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        deadline = (utcnow() + timedelta(days=2)).replace(microsecond=0)
        existing = ws.date_of(DateKind.PAPER_DEADLINE)
        if existing is not None:
            existing.at = deadline
        else:
            ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=deadline))
        sam = make_user("sam@example.org")
        live = _paper(ws, sam.id)
        withdrawn = _paper(ws, sam.id, SubmissionState.WITHDRAWN)
        before = deadline - timedelta(microseconds=1)

        answers = {
            "edit before": permissions.can_edit_submission(sam, live, before),
            "edit at": permissions.can_edit_submission(sam, live, deadline),
            "restore before": permissions.can_restore_submission(sam, withdrawn, before),
            "restore at": permissions.can_restore_submission(sam, withdrawn, deadline),
        }

    assert answers == {"edit before": True, "edit at": False, "restore before": True, "restore at": False}


# --- the conflict rules: what the history of a person brings, through both implementations -------------------


def _conflicts(sub_ids: list[int], reviewer_ids: list[int]) -> dict[tuple[int, int], list[str]]:
    """The conflicts of these papers and reviewers with their reasons; the array implementation (the automatic
    assignment's) must find the same pairs, scoped as asked and over everyone."""
    from portal.queries.conflicts import conflict_map, conflicted_pairs, gather

    found = conflict_map(sub_ids, reviewer_ids)
    for facts in (gather(sub_ids, reviewer_ids), gather(None, None)):
        pairs = conflicted_pairs(facts)
        everything = set(zip(pairs.paper.tolist(), pairs.reviewer.tolist(), strict=True))
        assert {p for p in everything if p[0] in sub_ids and p[1] in reviewer_ids} == set(found)
    return found


def _submission(ws: Workshop, authors: list[tuple[str, str, str, int | None]], submitter_id: int | None = None) -> Submission:
    """A paper with these (name, email, affiliation, linked account) rows."""
    sub = Submission(
        workshop_id=ws.id,
        type_id=ws.submission_types[0].id,
        primary_topic_id=ws.topics[0].id,
        title="A paper",
        abstract="An abstract.",
        state=SubmissionState.SUBMITTED,
        submitted_at=utcnow(),
        submitter_id=submitter_id,
        authors=[
            SubmissionAuthor(position=i, name=n, email=e, affiliation=a, user_id=u) for i, (n, e, a, u) in enumerate(authors, 1)
        ],
    )
    db.session.add(sub)
    db.session.flush()
    return sub


def _move(user: User, *, email: str | None = None, affiliation: str | None = None) -> None:
    """The person confirms a new address or gives a new affiliation, as their account pages do."""
    from portal.services import identities

    if email is not None:
        previous, user.email = user.email, email
        identities.address_confirmed(user, previous=previous)
    if affiliation is not None:
        identities.affiliation_given(user, affiliation)
    db.session.flush()


def test_conflict_follows_a_reviewers_earlier_address_and_affiliation(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sub = _submission(ws, [("Oliver Coauthor", "oliver@ox.ac.uk", "University of Oxford", None)])
        hugo = make_user("hugo@cs.ox.ac.uk", affiliation="", roles=("reviewer",))
        ines = make_user("ines@gmail.com", affiliation="University of Oxford", roles=("reviewer",))
        tom = make_user("tom@mit.edu", affiliation="MIT", roles=("reviewer",))
        _move(hugo, email="hugo@mit.edu")
        _move(ines, affiliation="MIT")
        found = _conflicts([sub.id], [hugo.id, ines.id, tom.id])
        keys = {"hugo": (sub.id, hugo.id), "ines": (sub.id, ines.id)}

    assert found == {
        keys["hugo"]: ["shares the email domain ox.ac.uk with author Oliver Coauthor (oliver@ox.ac.uk)"],
        keys["ines"]: ["shares the institution University of Oxford with author Oliver Coauthor (University of Oxford)"],
    }


def test_conflict_follows_every_address_and_affiliation_of_a_linked_author(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ann = make_user("ann@cs.ucsd.edu", affiliation="UC San Diego")
        _move(ann, email="ann@stanford.edu", affiliation="Stanford University")
        # The row carries the address she had when the paper was written; her account has moved on since.
        sub = _submission(ws, [("Ann Author", "ann@cs.ucsd.edu", "UC San Diego", ann.id)])
        rita = make_user("rita@ucsd.edu", affiliation="", roles=("reviewer",))
        sara = make_user("sara@cs.stanford.edu", affiliation="", roles=("reviewer",))
        ivo = make_user("ivo@gmail.com", affiliation="Stanford University", roles=("reviewer",))
        uli = make_user("uli@gmail.com", affiliation="UC San Diego", roles=("reviewer",))
        found = _conflicts([sub.id], [rita.id, sara.id, ivo.id, uli.id])
        keys = {k: (sub.id, u.id) for k, u in (("rita", rita), ("sara", sara), ("ivo", ivo), ("uli", uli))}

    assert found == {  # (the row's own address and affiliation count as the paper's: none "earlier")
        keys["rita"]: ["shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu)"],
        keys["sara"]: ["shares the email domain stanford.edu with author Ann Author (ann@stanford.edu)"],
        keys["ivo"]: ["shares the institution Stanford University with author Ann Author (Stanford University)"],
        keys["uli"]: ["shares the institution UC San Diego with author Ann Author (UC San Diego)"],
    }


def test_conflict_names_an_authors_earlier_address_and_affiliation_as_such(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ann = make_user("ann@cs.ucsd.edu", affiliation="UC San Diego")
        _move(ann, email="ann@stanford.edu", affiliation="Stanford University")
        sub = _submission(ws, [("Ann Author", "ann@stanford.edu", "Stanford University", ann.id)])
        rita = make_user("rita@ucsd.edu", affiliation="", roles=("reviewer",))
        uma = make_user("uma@gmail.com", affiliation="uc san diego", roles=("reviewer",))
        found = _conflicts([sub.id], [rita.id, uma.id])
        keys = {"rita": (sub.id, rita.id), "uma": (sub.id, uma.id)}

    assert found == {
        keys["rita"]: ["shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu, an earlier address)"],
        keys["uma"]: ["shares the institution uc san diego with author Ann Author (UC San Diego, an earlier affiliation)"],
    }


def test_conflict_of_a_submitter_missing_from_the_author_list(app: Flask) -> None:
    """The submitter is an author, listed or not: with every address and affiliation they have given."""
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sam = make_user("sam@cs.ucsd.edu", affiliation="Scripps Research", roles=("reviewer",))
        _move(sam, email="sam@ox.ac.uk")
        sub = _submission(ws, [("Cora Coauthor", "cora@gmail.com", "", None)], submitter_id=sam.id)
        rita = make_user("rita@ucsd.edu", affiliation="", roles=("reviewer",))
        hugo = make_user("hugo@cs.ox.ac.uk", affiliation="", roles=("reviewer",))
        ivan = make_user("ivan@gmail.com", affiliation="Scripps Research", roles=("reviewer",))
        others = _conflicts([sub.id], [rita.id, hugo.id, ivan.id])  # his history read as an author's, not a reviewer's
        himself = _conflicts([sub.id], [sam.id])
        keys = {k: (sub.id, u.id) for k, u in (("sam", sam), ("rita", rita), ("hugo", hugo), ("ivan", ivan))}

    assert others == {
        keys["rita"]: ["shares the email domain ucsd.edu with author the submitter (sam@cs.ucsd.edu, an earlier address)"],
        keys["hugo"]: ["shares the email domain ox.ac.uk with author the submitter (sam@ox.ac.uk)"],
        keys["ivan"]: ["shares the institution Scripps Research with author the submitter (Scripps Research)"],
    }
    assert himself == {keys["sam"]: ["is an author of the submission"]}


def test_conflict_with_a_listed_submitter_names_them_once_as_listed(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sam = make_user("sam@cs.ucsd.edu", affiliation="Scripps Research")
        sub = _submission(ws, [("Sam Submitter", "sam@cs.ucsd.edu", "Scripps Research", sam.id)], submitter_id=sam.id)
        rita = make_user("rita@ucsd.edu", affiliation="", roles=("reviewer",))
        found = _conflicts([sub.id], [rita.id])
        key = (sub.id, rita.id)

    assert found == {key: ["shares the email domain ucsd.edu with author Sam Submitter (sam@cs.ucsd.edu)"]}


def test_conflict_by_address_with_a_reviewer_who_has_not_confirmed_it_yet(app: Flask) -> None:
    """A person is their account once they confirm an address; until then the address alone decides."""
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        uma = make_user("uma@cs.ucsd.edu", affiliation="UC San Diego", roles=("reviewer",), confirmed=False)
        dan = make_user("dan@rival.org", affiliation="Rival Institute", roles=("reviewer",), confirmed=False)
        sub = _submission(
            ws, [("Uma Unconfirmed", "uma@cs.ucsd.edu", "UC San Diego", None), ("Ann Author", "ann@gmail.com", "", None)]
        )
        sub.declared_conflicts = "dan@rival.org"
        db.session.flush()
        found = _conflicts([sub.id], [uma.id, dan.id])
        keys = {"uma": (sub.id, uma.id), "dan": (sub.id, dan.id)}

    assert found == {keys["uma"]: ["is an author of the submission"], keys["dan"]: ["declared by the authors"]}


def test_conflict_lists_a_match_on_an_authors_current_address_before_one_on_an_earlier_address(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ann = make_user("ann@mit.edu", affiliation="")
        _move(ann, email="ann@cs.ucsd.edu")
        _move(ann, email="ann@stanford.edu")
        sub = _submission(ws, [("Ann Author", "ann@mit.edu", "", ann.id)])  # the address of her first paper
        rita = make_user("rita@ucsd.edu", affiliation="", roles=("reviewer",))
        _move(rita, email="rita@cs.stanford.edu")
        found = _conflicts([sub.id], [rita.id])
        key = (sub.id, rita.id)

    assert found == {
        key: [
            "shares the email domain stanford.edu with author Ann Author (ann@stanford.edu)",
            "shares the email domain ucsd.edu with author Ann Author (ann@cs.ucsd.edu, an earlier address)",
        ]
    }


def test_conflicts_are_computed_with_the_changes_not_yet_flushed(app: Flask) -> None:
    """Services flush and never commit: a rule asked in the same unit of work sees what was just changed."""
    from portal.models import ConflictOverride
    from portal.queries.conflicts import conflict_map

    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sub = _submission(ws, [("Oliver Coauthor", "oliver@ox.ac.uk", "University of Oxford", None)])
        tom = make_user("tom@mit.edu", affiliation="MIT", roles=("reviewer",))
        db.session.add(ConflictOverride(submission_id=sub.id, reviewer_id=tom.id, conflicted=True, note="his student"))
        found = conflict_map([sub.id], [tom.id])
        key = (sub.id, tom.id)

    assert found == {key: ["added by the chair: his student"]}


def test_conflicts_are_those_of_the_papers_and_reviewers_asked_for(app: Flask) -> None:
    """A chair's added conflict naming a paper or a person outside the question (a withdrawn paper, someone who
    no longer reviews) is not an answer to it, in either implementation."""
    from portal.models import ConflictOverride
    from portal.queries.conflicts import conflict_map, conflicted_pairs, gather

    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        live = _submission(ws, [("Oliver Coauthor", "oliver@ox.ac.uk", "University of Oxford", None)])
        gone = _submission(ws, [("Ann Author", "ann@gmail.com", "", None)])
        gone.state, gone.withdrawn_at = SubmissionState.WITHDRAWN, utcnow()
        tom = make_user("tom@mit.edu", affiliation="MIT", roles=("reviewer",))
        former = make_user("fred@cmu.edu", affiliation="CMU")  # his reviewer role was revoked
        for sub, person in ((live, tom), (gone, tom), (live, former)):
            db.session.add(ConflictOverride(submission_id=sub.id, reviewer_id=person.id, conflicted=True, note=""))
        db.session.flush()
        papers = sa.select(Submission.id).where(Submission.state == SubmissionState.SUBMITTED)
        reviewers = sa.select(User.id).where(User.is_reviewer)
        found = conflict_map(papers, reviewers)
        pairs = conflicted_pairs(gather(papers, reviewers, reasons=False))
        arrays = set(zip(pairs.paper.tolist(), pairs.reviewer.tolist(), strict=True))
        key = (live.id, tom.id)

    assert found == {key: ["added by the chair"]}
    assert arrays == {key}
