"""Every permission decision of the portal. Views ask these predicates; templates get them as globals.

404 when the user may not know the object exists, 403 when they may see it but not act.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, abort, flash, g, has_request_context, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from portal.db import db, utcnow
from portal.models import (
    AreaChairAssignment,
    Audience,
    ConflictOverride,
    Letter,
    ReviewAssignment,
    ReviewField,
    ReviewState,
    Revision,
    Submission,
    SubmissionConflict,
    SubmissionState,
    UserEmail,
    Workshop,
)
from portal.queries import assignment_of, authored_ids, letter_sent
from portal.queries.conflicts import conflict_map, conflict_reasons
from portal.urls import safe_next


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated)


def is_chair(user: Any) -> bool:
    return is_signed_in(user) and bool(user.is_chair)


def is_reviewer(user: Any) -> bool:
    return is_signed_in(user) and bool(user.is_reviewer)


def is_area_chair(user: Any) -> bool:
    """An area chair (issue 21.2): oversees the papers a chair gives them; a program-committee member, not a chair."""
    return is_signed_in(user) and bool(user.is_area_chair)


def can_manage_members(user: Any) -> bool:
    """Granting roles and inviting reviewers is for chairs."""
    return is_chair(user)


def can_edit_reviewer_expertise(user: Any) -> bool:
    """The expertise statement and own papers are asked of reviewers (and chairs, who also review)."""
    return is_reviewer(user) or is_chair(user)


# --- submissions --------------------------------------------------------------------------------------


def is_author(user: Any, sub: Submission) -> bool:
    """The submitter, a person whose account an author row is linked to (they confirmed its address, at any
    time: a later change of address keeps them an author), or a person whose address is on the list."""
    return is_signed_in(user) and (
        user.id == sub.submitter_id or any(a.user_id == user.id for a in sub.authors) or user.email in sub.author_emails
    )


def can_view_submission(user: Any, sub: Submission) -> bool:
    return is_author(user, sub) or is_chair(user)


def can_edit_submission(user: Any, sub: Submission, now: datetime) -> bool:
    return is_author(user, sub) and _open_for_edits(sub, now)


def can_withdraw_submission(user: Any, sub: Submission) -> bool:
    return is_author(user, sub) and sub.state != SubmissionState.WITHDRAWN and sub.decision is None


def can_restore_submission(user: Any, sub: Submission, now: datetime) -> bool:
    """The submitter until the deadline; a chair who handles the paper at any time."""

    if sub.state != SubmissionState.WITHDRAWN:
        return False
    if can_chair_paper(user, sub):  # a chair restores a paper withdrawn by mistake, at any time
        return True
    deadline = sub.workshop.paper_deadline(sub)
    # Of the authors, the one who submitted it (a co-author cannot undo the submitter's withdrawal alone).
    return is_signed_in(user) and user.id == sub.submitter_id and deadline is not None and now < deadline


def can_see_decision(user: Any, sub: Submission) -> bool:
    """Chairs (not authors of the paper) always; authors once the letter is on its way."""

    if sub.decision is None:
        return False
    return can_chair_paper(user, sub) or (is_author(user, sub) and letter_sent(sub))


def decisions_shown(user: Any, subs: list[Submission]) -> set[int]:
    """The ids of ``subs`` whose decision ``user`` may see (``can_see_decision`` for a list), with one query for
    all the letters instead of one per decided paper."""
    decided = [s for s in subs if s.decision is not None]
    if not decided:
        return set()
    sent = set(
        db.session.scalars(
            sa.select(Letter.submission_id).where(Letter.submission_id.in_([s.id for s in decided]), Letter.email_id.is_not(None))
        )
    )
    return {s.id for s in decided if can_chair_paper(user, s) or (is_author(user, s) and s.id in sent)}


def can_upload_camera_ready(user: Any, sub: Submission, now: datetime) -> bool:

    return is_author(user, sub) and can_see_decision(user, sub) and sub.camera_ready_open(now)


def can_add_materials(user: Any, sub: Submission) -> bool:
    """An accepted paper's authors add its poster, slides and video link once they know the decision (its letter is
    sent, or the accepted papers are published), with no deadline: after the workshop too."""
    return is_author(user, sub) and sub.is_accepted and (sub.workshop.accepted_published or letter_sent(sub))


def can_download_revision(user: Any, revision: Revision) -> bool:
    """Authors and chairs get every file of the submission (reviewers get the reviewers' copy elsewhere)."""
    return can_view_submission(user, revision.submission)


def can_extend_deadline(user: Any, sub: Submission) -> bool:
    return is_chair(user) and not is_author(user, sub)


def _open_for_edits(sub: Submission, now: datetime) -> bool:

    deadline = sub.workshop.paper_deadline(sub)
    return sub.state != SubmissionState.WITHDRAWN and deadline is not None and now < deadline


# --- answers read once a request -----------------------------------------------------------------------

#: What the predicates read once a request (``g``). Any write in the request forgets all of it: a flush, an UPDATE,
#: INSERT or DELETE sent through the session, a rollback (of what was read after a flush the rollback undid).
_REQUEST_CACHES = ("conflicts", "assignments", "chair_conflicts", "area_chairs")


def _once(cache_name: str, key: tuple[int | None, ...], read: Any) -> Any:
    """``read()``, asked once a request for ``key``. Pending changes are flushed first, as the read's own query would
    (autoflush), so a change made earlier in the request and not yet flushed forgets the answers too."""
    if db.session.autoflush:
        db.session.flush()
    if not has_request_context() or None in key:
        return read()
    cache = g.setdefault(cache_name, {})
    if key not in cache:
        cache[key] = read()
    return cache[key]


def forget_request_caches() -> None:
    """Forget every answer read once a request (the session's events call it on every write)."""
    if has_request_context():
        for name in _REQUEST_CACHES:
            g.pop(name, None)


@sa.event.listens_for(Session, "after_flush")
def _flushed(_session: Session, _context: Any) -> None:
    forget_request_caches()


@sa.event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:
        forget_request_caches()


@sa.event.listens_for(Session, "after_soft_rollback")
def _rolled_back(_session: Session, _transaction: SessionTransaction) -> None:
    forget_request_caches()


# --- reviewing ----------------------------------------------------------------------------------------


def is_conflicted(user: Any, sub: Submission) -> bool:
    """``user`` conflicts with ``sub`` by the reviewers' rules; worked out once a request for each pair (a paper's
    page asks it of the same pair from many predicates: eight times on an area chair's, 7 statements each)."""
    return is_signed_in(user) and _once("conflicts", (user.id, sub.id), lambda: bool(conflict_reasons(user, sub)))


def assignment_for(user: Any, sub: Submission) -> ReviewAssignment | None:
    """``user``'s assignment to review ``sub``, read once a request (a reviewer's paper page asked 15 times)."""
    if not is_signed_in(user):
        return None
    return _once("assignments", (user.id, sub.id), lambda: assignment_of(sub.id, user.id))


def can_review(user: Any, sub: Submission) -> bool:
    """An assigned reviewer without a conflict, whose assignment is not suspended (a conflicted reviewer never
    sees the paper: 404)."""
    if not (is_reviewer(user) and sub.state == SubmissionState.SUBMITTED):
        return False
    own = assignment_for(user, sub)
    return own is not None and own.suspended_at is None and not is_conflicted(user, sub)


def reviewable_assignments(user: Any, mine: list[ReviewAssignment]) -> list[ReviewAssignment]:
    """Of ``user``'s own assignments (each with its submission loaded), those whose paper they may review:
    ``can_review`` for a whole list at once, with one conflict check for all the papers instead of one each."""
    if not is_reviewer(user):
        return []
    live = [
        a for a in mine if a.reviewer_id == user.id and a.suspended_at is None and a.submission.state == SubmissionState.SUBMITTED
    ]
    conflicted = conflict_map([a.submission_id for a in live], [user.id]) if live else {}
    return [a for a in live if (a.submission_id, user.id) not in conflicted]


def can_chair_paper(user: Any, sub: Submission) -> bool:
    """Who handles the paper's review: a chair not conflicted with it (``chair_conflicted_ids``), or the
    program-committee member a chair named its manager. A conflicted chair sees no reviews, no identities."""
    if not is_signed_in(user):
        return False
    if sub.manager_id is not None and user.id == sub.manager_id:
        return not is_author(user, sub) and sub.id not in _chair_conflicts(user)
    return is_chair(user) and not is_author(user, sub) and sub.id not in _chair_conflicts(user)


def manages(user: Any, sub: Submission) -> bool:
    """``user`` is the paper's manager (not a chair's general power: this one paper)."""
    return is_signed_in(user) and sub.manager_id == user.id and can_chair_paper(user, sub)


def chair_conflicted_ids(user: Any) -> sa.Select[tuple[int]]:
    """The papers a chair may not handle, in SQL: those they author, those whose authors declared a conflict
    with them (by account or by any address they confirmed), and those a chair marked conflicted with them.
    Lists and aggregates that serve many papers at once (the console, loads, proposals, exports, charts, the
    audit log) leave these out for a chair instead of asking per paper."""
    addresses = sa.union(sa.select(sa.literal(user.email)), sa.select(UserEmail.email).where(UserEmail.user_id == user.id))
    return sa.union(
        authored_ids(user),
        sa.select(SubmissionConflict.submission_id).where(
            sa.or_(SubmissionConflict.user_id == user.id, SubmissionConflict.email.in_(addresses))
        ),
        sa.select(ConflictOverride.submission_id).where(ConflictOverride.reviewer_id == user.id, ConflictOverride.conflicted),
    )


def _chair_conflicts(user: Any) -> frozenset[int]:
    """``chair_conflicted_ids`` of ``user``, read once a request."""
    if not is_signed_in(user):
        return frozenset()
    return _once("chair_conflicts", (user.id,), lambda: frozenset(db.session.scalars(chair_conflicted_ids(user))))


def _area_chair_id(sub: Submission) -> int | None:
    """The id of the paper's area chair (None: none), read once a request."""
    stmt = sa.select(AreaChairAssignment.area_chair_id).where(AreaChairAssignment.submission_id == sub.id)
    return _once("area_chairs", (sub.id,), lambda: db.session.scalar(stmt))


def oversees(user: Any, sub: Submission) -> bool:
    """``user`` is the paper's area chair (issue 21.2) and may act as one: still an area chair, the paper submitted,
    neither its author nor conflicted with it (by the reviewers' rules; a conflicted area chair never sees the
    paper: 404). They read its reviews and discussion as a chair does, but are no chair: never the authors'
    identities of a double-blind paper, never its decision before the letters."""
    return (
        is_area_chair(user)
        and sub.state == SubmissionState.SUBMITTED
        and _area_chair_id(sub) == user.id
        and not is_author(user, sub)
        and not is_conflicted(user, sub)
        and sub.id not in _chair_conflicts(user)
    )


def overseen(user: Any, subs: list[Submission]) -> list[Submission]:
    """Of ``subs`` (papers whose area chair ``user`` is, their authors loaded), those they oversee: ``oversees`` for a
    whole list at once, with one conflict check for all the papers instead of one each."""
    if not is_area_chair(user):
        return []
    hidden = _chair_conflicts(user)
    live = [s for s in subs if s.state == SubmissionState.SUBMITTED and s.id not in hidden and not is_author(user, s)]
    conflicted = conflict_map([s.id for s in live], [user.id]) if live else {}
    return [s for s in live if (s.id, user.id) not in conflicted]


def can_see_paper_as_reviewer(user: Any, sub: Submission) -> bool:
    return can_review(user, sub) or can_chair_paper(user, sub) or oversees(user, sub)


def gets_reviewers_copy_only(user: Any, sub: Submission) -> bool:
    """In double-blind mode everyone but the chairs (who are not its authors) gets the PDF without metadata."""
    return sub.workshop.double_blind and not can_chair_paper(user, sub)


def has_reviewed(user: Any, sub: Submission) -> bool:
    """``user`` reviews the paper and has submitted their review."""
    if not can_review(user, sub):
        return False
    own = assignment_for(user, sub)
    return own is not None and own.review is not None and own.review.state == ReviewState.SUBMITTED


def can_see_reviews(user: Any, sub: Submission) -> bool:
    """Chairs (and the paper's manager, and its area chair); a reviewer only after submitting their own review of
    the paper."""
    return can_chair_paper(user, sub) or oversees(user, sub) or has_reviewed(user, sub)


def review_audience(user: Any, sub: Submission) -> Audience | None:
    """Which fields of the paper's reviews ``user`` reads (issue 21.4), the one rule every page, mail, export and
    download asks: the chairs who handle the paper (and its manager) all of them; a reviewer of the paper, once
    their own review is in, those for the reviewers and the authors; an author, once the decision letter is sent
    or the chairs released the reviews for the author response, those for the authors (never a reviewer's name:
    reviews are "Reviewer N" to them); anyone else none."""
    if can_chair_paper(user, sub) or oversees(user, sub):  # (the area chair reads every field, as the chairs)
        return Audience.CHAIRS
    if has_reviewed(user, sub):
        return Audience.REVIEWERS
    if can_see_decision(user, sub):  # (past the chairs above: an author of the paper, once the letter is sent)
        return Audience.AUTHORS
    if is_author(user, sub) and sub.state == SubmissionState.SUBMITTED and sub.workshop.reviews_released(utcnow()):
        return Audience.AUTHORS  # (the author response: the chairs released the reviews to the authors)
    return None


def can_write_response(user: Any, sub: Submission, now: datetime) -> bool:
    """An author of a submitted paper, while the response phase is open (issue 21.3)."""
    return is_author(user, sub) and sub.state == SubmissionState.SUBMITTED and sub.workshop.response_open(now)


def can_read_response(user: Any, sub: Submission, now: datetime) -> bool:
    """The paper's authors (their own text) and the chairs who handle it always; its reviewers once the response
    deadline has passed (never a draft a co-author is still writing), and so its area chair."""
    if is_author(user, sub) or can_chair_paper(user, sub):
        return True
    return (can_review(user, sub) or oversees(user, sub)) and sub.workshop.responses_final(now)


def can_see_field(audience: Audience | None, field: ReviewField) -> bool:
    """A field's answers are read by its audience and everyone above it; a retired field's by the chairs only
    (in the history and the exports)."""
    if audience is None or (not field.active and audience != Audience.CHAIRS):
        return False
    return audience.rank >= field.visibility.rank


def visible_fields(audience: Audience | None, fields: list[ReviewField]) -> list[ReviewField]:
    """``fields`` whose answers ``audience`` reads, in the form's order."""
    return [f for f in fields if can_see_field(audience, f)]


def can_discuss(user: Any, sub: Submission) -> bool:
    """Chairs and the manager always; a reviewer once their own review is in (they form their own view
    first), or before when the chairs opened the discussion early."""
    if can_chair_paper(user, sub) or oversees(user, sub):
        return True
    return has_reviewed(user, sub) or (can_review(user, sub) and sub.workshop.discussion_before_review)


def can_bid(user: Any, ws: Workshop, now: datetime) -> bool:

    return is_reviewer(user) and ws.bidding_open(now)


def require_sign_in() -> None:
    """The guard of blueprints for signed-in people: anonymous visitors go to the sign-in page and back."""
    from portal.extensions import login_manager

    if is_signed_in(current_user):
        return
    if request.method in ("GET", "HEAD"):
        abort(login_manager.unauthorized())
    # A form posted without a session (it expired): come back to the page the form was on, not to a
    # POST-only address that a GET after sign-in could not open.
    back = safe_next(urlsplit(request.referrer or "").path) if _same_site(request.referrer) else None
    flash(login_manager.login_message, login_manager.login_message_category)
    abort(redirect(url_for(login_manager.login_view, next=back)))


def _same_site(url: str | None) -> bool:
    return bool(url) and urlsplit(url).netloc == request.host


def require_chair() -> None:
    """The guard of chair-only blueprints (``bp.before_request``)."""
    require_sign_in()
    if not is_chair(current_user):
        abort(403)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        is_chair=is_chair,
        is_reviewer=is_reviewer,
        is_area_chair=is_area_chair,
        can_manage_members=can_manage_members,
        can_edit_reviewer_expertise=can_edit_reviewer_expertise,
        can_edit_submission=can_edit_submission,
        can_withdraw_submission=can_withdraw_submission,
        can_restore_submission=can_restore_submission,
        can_upload_camera_ready=can_upload_camera_ready,
        can_add_materials=can_add_materials,
        can_extend_deadline=can_extend_deadline,
        is_author=is_author,
        can_see_reviews=can_see_reviews,
        can_discuss=can_discuss,
        can_chair_paper=can_chair_paper,
        manages=manages,
        oversees=oversees,
        can_see_decision=can_see_decision,
        review_audience=review_audience,
        can_write_response=can_write_response,
        can_read_response=can_read_response,
    )
