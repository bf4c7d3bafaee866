"""The route-by-role audit: every route of ``app.url_map``, every method it accepts, asked by each kind of person,
against the expectation table ``EXPECTED`` below.

One workshop in the reviewing phase holds every object a URL can name. Paper 1 ("the paper") has a submitter
and a co-author with accounts (and a co-author without one), an assigned reviewer who submitted a review and
posted in the discussion, an assigned reviewer who became conflicted afterwards (he moved to the authors'
institute), an accepted decision whose letter is sent, a camera-ready version, and the accepted papers are
published. Paper 2 belongs to another author and has its own reviewer. A draft assignment proposal, a failed
job, a pending reviewer invitation and signed links (confirm, reset, email change) complete the world.

Conflicts and authorship follow the person, not the address, so three people test that: an author of paper 1 (a
reviewer too) who confirmed the address on its author list and has since changed address and affiliation, so
neither is on the list any more; a second chair who is an author of paper 1 by an address they have since
changed away from (a chair who may know nothing of that paper's review: no reviewer, no review, no load, no
count); and a reviewer of paper 1 with only a draft review (who may not read the other reviews or the
discussion yet).

Each request is ``url_for(endpoint, **args)`` with the arguments filled from that world; a POST carries no body
(CSRF is off here, it has its own tests), so it shows what a bare request can do. The answer is sorted into an
outcome class and compared with the table, and the database is compared before and after: a request that is
not expected to act must leave every row as it was (a refused POST above all), and one expected to act must
have acted. Every answer, files and headers included, is searched for what that person may not read: the
papers' authors (double-blind), the reviews, the discussion, who reviews, another author's paper; so is every
mail that reaches that person, during the audit or before it. A route that names objects by id is asked once
more with ids that name nothing: whoever may not know paper 1 exists (anonymous, the other author, the
conflicted reviewer) must get the very same refusal, page and all, so no answer confirms that an object exists;
everyone else gets a 404 (or the same refusal), never a 500.

A route with no row in the table fails the test by name, and so does a row whose endpoint is gone.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.extensions import limiter
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AssignmentExclusion,
    AssignmentProposal,
    Audience,
    AuditEvent,
    Bid,
    BidValue,
    ConflictOverride,
    DateKind,
    Decision,
    DiscussionComment,
    ExclusionReason,
    FileKind,
    ImportantDate,
    Invitation,
    ItemKind,
    Job,
    JobState,
    KeptDraft,
    Letter,
    OutgoingEmail,
    Person,
    PersonRole,
    Phase,
    Review,
    ReviewAssignment,
    ReviewRevision,
    Revision,
    SponsorState,
    SponsorTier,
    Submission,
    Topic,
    User,
    Workshop,
)
from portal.services import (
    accounts,
    api_tokens,
    area_chair_assignment,
    area_chairs,
    assignments,
    bidding,
    discussion,
    photos,
    program,
    review_form,
    reviews,
    sponsors,
)
from portal.services import submissions as subs
from portal.services.accounts import _hash_token, _password_fingerprint
from portal.services.scores import refresh_scores
from portal.services.tokens import make_token
from tests.conftest import SMTPRecorder, text_of
from tests.factories import PASSWORD, decide_and_notify, make_user
from tests.pdfs import make_pdf
from tests.unit.test_images import jpeg_with_location


@pytest.fixture
def app_config() -> dict[str, Any]:
    # A bare POST carries no CSRF token (CSRF has its own tests); no rate limit or page cache between requests.
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "PUBLIC_CACHE_SECONDS": 0}


@pytest.fixture
def app(app: Flask) -> Flask:
    """The app of conftest, its rate limits off for sure: the limiter is one object for every app of the run, and
    the first test to need the loaded workshop content builds another app (limits on) after this one."""
    limiter.init_app(app)
    return app


# --- the expectation table ----------------------------------------------------------------------------
#
# Roles, all relative to paper 1: "anon" (not signed in), "author" (its submitter), "coauthor" (on its author
# list, with an account), "moved" (on its author list by an address they confirmed, since changed, as is their
# affiliation; also a reviewer), "other" (an author of paper 2 only), "reviewer" (assigned, review submitted),
# "drafting" (assigned, a draft review only), "unassigned" (a reviewer of paper 2 only), "conflicted" (assigned,
# then conflicted), "chair", "chair_author" (a second chair, an author of paper 1 by an earlier address).
#
# Outcomes: "ok" 2xx; "redirect" 3xx to a page of this site other than sign-in; "login" 3xx to the sign-in page;
# "400", "403", "404", "422" that status (422: the form again, with its errors). A trailing "!" means the request
# acts: the database must differ afterwards. Without it, the database must be exactly as before.
#
# To add a route: add one row, ``(endpoint, method): {role: outcome}``, for each method the route accepts
# (HEAD and OPTIONS aside), built from the helpers below, and teach ``url_args`` any new URL argument.

ROLES = (
    "anon",
    "author",
    "coauthor",
    "moved",
    "other",
    "reviewer",
    "drafting",
    "unassigned",
    "conflicted",
    "area_chair",
    "chair",
    "chair_author",
)
SIGNED_IN = ROLES[1:]
AUTHORS = ("author", "coauthor", "moved", "chair_author")  # paper 1's authors with an account
REVIEWERS = ("reviewer", "drafting", "unassigned", "conflicted", "moved")  # the reviewer role


def every(outcome: str, **roles: str) -> dict[str, str]:
    """The same outcome for everyone, signed in or not, except the roles named."""
    return {**dict.fromkeys(ROLES, outcome), **roles}


PUBLIC = every("ok")


def signed_in(outcome: str = "ok", **roles: str) -> dict[str, str]:
    """Anonymous visitors are sent to sign in; every signed-in person gets ``outcome`` except the roles named."""
    return {"anon": "login", **dict.fromkeys(SIGNED_IN, outcome), **roles}


def chair_only(chair: str = "ok", chair_author: str | None = None) -> dict[str, str]:
    """The chairs' areas: 403 for every other signed-in person (they may know the page exists). The chair who is
    an author of paper 1 gets what the other chair gets, except where the URL names paper 1's review (pass
    ``chair_author="404"`` there: a conflicted chair may not know it exists)."""
    return signed_in("403", chair=chair, chair_author=chair if chair_author is None else chair_author)


def authors_of_paper(authors: str, chair: str, chair_author: str | None = None) -> dict[str, str]:
    """Paper 1's pages in the author's area: a 404 for whoever may not know the paper exists. Its authors by any
    address they confirmed get the same; the chair who is its author is an author here (``chair_author`` where
    being a chair too changes the answer)."""
    return signed_in(
        "404",
        **{**dict.fromkeys(AUTHORS, authors), "chair": chair, "chair_author": authors if chair_author is None else chair_author},
    )


def reviewers_of_paper(reviewer: str, chair: str = "404", drafting: str | None = None) -> dict[str, str]:
    """Paper 1's pages in the reviewing area: the assigned reviewers (not the conflicted one, nor the author who
    is a reviewer) and the chair who is not its author. The reviewer with a draft gets the same unless
    ``drafting`` says otherwise."""
    return signed_in("404", reviewer=reviewer, drafting=reviewer if drafting is None else drafting, chair=chair)


EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    # --- public pages
    ("static", "GET"): PUBLIC,
    ("public.home", "GET"): PUBLIC,
    ("public.cfp", "GET"): PUBLIC,
    ("public.speakers", "GET"): PUBLIC,
    ("public.organizers", "GET"): PUBLIC,
    ("public.accepted", "GET"): PUBLIC,
    ("public.accepted_pdf", "GET"): PUBLIC,  # paper 1 is accepted and published: its camera-ready PDF
    ("public.program", "GET"): PUBLIC,  # published, with paper 1's talk
    ("public.program_item", "GET"): PUBLIC,
    ("public.program_calendar", "GET"): PUBLIC,
    ("public.program_item_calendar", "GET"): PUBLIC,
    ("public.paper_material", "GET"): PUBLIC,  # paper 1's slides
    ("sponsors.index", "GET"): PUBLIC,
    ("sponsors.index", "POST"): every("422"),
    ("sponsors.thanks", "GET"): PUBLIC,
    ("sponsors.logo", "GET"): PUBLIC,  # the confirmed sponsor's logo
    ("public.photo", "GET"): PUBLIC,  # the speaker's photo
    ("public.robots", "GET"): PUBLIC,
    ("public.sitemap", "GET"): PUBLIC,
    ("public.sitemap_page", "GET"): PUBLIC,
    # --- signing in and out; a signed link works for whoever holds it
    ("auth.register", "GET"): every("redirect", anon="ok"),  # signed in: to the account page
    ("auth.register", "POST"): every("redirect", anon="422"),
    ("auth.check_inbox", "GET"): PUBLIC,
    # Nell's link: a page asking for the password she registered with; without it, the form comes back.
    ("auth.confirm", "GET"): PUBLIC,
    ("auth.confirm", "POST"): every("422"),
    ("auth.resend_confirmation", "GET"): PUBLIC,
    ("auth.resend_confirmation", "POST"): every("422"),
    ("auth.login", "GET"): every("redirect", anon="ok"),
    ("auth.login", "POST"): every("redirect", anon="422"),
    ("auth.logout", "POST"): every("redirect!", anon="redirect"),  # a new session nonce ends every copy of it
    ("auth.reset_request", "GET"): PUBLIC,
    ("auth.reset_request", "POST"): every("422"),
    ("auth.reset", "GET"): PUBLIC,
    ("auth.reset", "POST"): every("422"),
    ("auth.invitation", "GET"): PUBLIC,
    ("auth.invitation", "POST"): every("redirect"),  # accepting for an address without an account: register
    # --- one's own account
    ("account.index", "GET"): signed_in(),
    ("account.profile", "GET"): signed_in(),
    ("account.profile", "POST"): signed_in("redirect"),  # an empty form keeps the saved profile
    ("account.email", "GET"): signed_in(),
    ("account.email", "POST"): signed_in("422"),
    ("account.password", "GET"): signed_in(),
    ("account.password", "POST"): signed_in("422"),
    ("account.expertise", "GET"): signed_in(),
    ("account.expertise", "POST"): signed_in("redirect"),  # nothing was declared, nothing is
    ("account.conflicts", "GET"): signed_in(),
    ("account.conflicts", "POST"): signed_in("redirect"),
    ("account.sign_out_everywhere", "POST"): signed_in("redirect!"),
    ("account.tokens", "GET"): signed_in(),
    ("account.tokens", "POST"): signed_in("422"),  # no name: the form again
    ("account.revoke_token", "POST"): signed_in("404", author="redirect!"),  # the author's token: hers alone
    # Una's link to a new address: it carries its own proof, so it works without a session (then sign in).
    ("account.confirm_email_change", "GET"): every("login!", unassigned="redirect!"),
    # --- the author's area
    ("submissions.index", "GET"): signed_in(),
    ("submissions.new", "GET"): signed_in("redirect"),  # the deadline has passed
    ("submissions.new", "POST"): signed_in("422"),
    ("submissions.detail", "GET"): authors_of_paper("ok", chair="ok"),
    ("submissions.download", "GET"): authors_of_paper("ok", chair="ok"),
    ("submissions.edit", "GET"): authors_of_paper("redirect", chair="redirect"),  # past the deadline; not hers
    ("submissions.edit", "POST"): authors_of_paper("redirect", chair="redirect"),
    ("submissions.withdraw", "GET"): authors_of_paper("redirect", chair="403"),  # decided: cannot be withdrawn
    ("submissions.withdraw", "POST"): authors_of_paper("redirect", chair="403"),
    ("submissions.restore", "POST"): authors_of_paper("redirect", chair="redirect"),  # not withdrawn: refused
    ("submissions.conflicts", "GET"): authors_of_paper("ok", chair="404"),  # the authors' own list
    ("submissions.conflicts", "POST"): authors_of_paper("422", chair="404"),  # past the deadline: refused
    ("submissions.camera_ready", "GET"): authors_of_paper("ok", chair="403"),
    ("submissions.camera_ready", "POST"): authors_of_paper("422", chair="403"),
    ("submissions.materials", "GET"): authors_of_paper("ok", chair="403"),
    ("submissions.materials", "POST"): authors_of_paper("422", chair="403"),  # no version: changed meanwhile
    ("submissions.extension", "POST"): authors_of_paper("403", chair="redirect!"),  # back to the common deadline
    ("submissions.response", "POST"): authors_of_paper("409", chair="403"),  # no response phase here
    ("submissions.all_submissions", "GET"): chair_only(),
    # --- reviewing
    ("review.index", "GET"): signed_in(),  # one's own assignments (none for a non-reviewer)
    ("review.bids", "GET"): signed_in("403", **dict.fromkeys(REVIEWERS, "ok")),
    ("review.bids", "POST"): signed_in("403", **dict.fromkeys(REVIEWERS, "redirect")),  # no bid: none changes
    # One bid (the bid list's script): a bare post names no value; paper 1 is not the conflicted reviewer's nor its author's.
    ("review.bid", "POST"): signed_in("403", **{**dict.fromkeys(REVIEWERS, "400"), "conflicted": "404", "moved": "404"}),
    ("review.paper", "GET"): {**reviewers_of_paper("ok", chair="ok"), "area_chair": "ok"},
    ("review.pdf", "GET"): {**reviewers_of_paper("ok", chair="ok"), "area_chair": "ok"},
    ("review.review", "GET"): reviewers_of_paper("ok"),
    ("review.review", "POST"): reviewers_of_paper("422"),
    # An empty comment comes back refused; a reviewer whose review is a draft may not discuss yet.
    ("review.discuss", "POST"): {**reviewers_of_paper("422", chair="422", drafting="403"), "area_chair": "422"},
    # A reviewer whose review is in may not decline any more; one with a draft gives the paper back (and the draft).
    ("review.decline", "POST"): reviewers_of_paper("422", drafting="redirect!"),
    # a paper's manager only (paper 1 has none: nobody may know these exist)
    ("review.manage_assign", "POST"): signed_in("404"),
    ("review.manage_remove", "POST"): signed_in("404"),
    ("review.manage_decide", "POST"): signed_in("404"),
    # an area chair's: their home, and paper 1's actions for its area chair only (the reviewer's review is in: no
    # reminder; no reason given: no extra review; the letter is sent: the meta-review is final)
    ("review.area_chair_home", "GET"): signed_in("403", area_chair="ok"),
    ("review.remind_reviewer", "POST"): signed_in("404", area_chair="redirect"),
    ("review.ask_extra_review", "POST"): signed_in("404", area_chair="422"),
    ("review.meta_review", "GET"): signed_in("404", area_chair="ok"),
    ("review.meta_review", "POST"): signed_in("404", area_chair="422"),
    # The area chair gives paper 1 back (no meta-review in yet: issue 21.5); anyone else may not know it (404).
    ("review.decline_area_chair", "POST"): signed_in("404", area_chair="redirect!"),
    # --- chairs: settings and members
    ("settings.index", "GET"): chair_only(),
    ("settings.index", "POST"): chair_only("422"),
    ("members.index", "GET"): chair_only(),
    ("members.set_role", "POST"): chair_only("400"),
    ("members.invitations", "GET"): chair_only(),
    ("members.invitations", "POST"): chair_only("422"),
    ("members.resend_invitation", "POST"): chair_only("redirect!"),
    ("members.revoke_invitation", "POST"): chair_only("redirect!"),
    ("members.tokens", "GET"): chair_only(),
    ("members.revoke_token", "POST"): chair_only("redirect!"),  # a chair revokes anyone's API token
    # --- chairs: the console, reviewing, assignment
    ("chair.home", "GET"): chair_only(),
    ("chair.submissions", "GET"): chair_only(),
    ("chair.paper", "GET"): chair_only(chair_author="404"),
    # without the confirmation's "Yes": the page that asks (nothing is deleted)
    ("chair.discard_kept_draft", "POST"): chair_only(chair_author="404"),  # paper 1's review: not for a chair who is its author
    ("chair.review_form", "GET"): chair_only(),
    ("chair.add_review_field", "POST"): chair_only("422"),
    ("chair.review_field", "GET"): chair_only(),
    ("chair.review_field", "POST"): chair_only("422"),
    ("chair.move_review_field", "POST"): chair_only("redirect!"),
    ("chair.retire_review_field", "POST"): chair_only("redirect!"),
    ("chair.restore_review_field", "POST"): chair_only("redirect"),  # (nothing retired: refused, nothing changes)
    ("chair.reviewing", "GET"): chair_only(),
    ("chair.reviewing", "POST"): chair_only("422"),
    ("chair.tell_reviewers_responses", "POST"): chair_only(),  # the confirmation page; nothing sent
    ("chair.conflicts", "GET"): chair_only(),
    ("chair.conflicts", "POST"): chair_only("ok"),  # no pair given: the page again
    ("chair.change_conflict", "POST"): chair_only("redirect!", "404"),  # lifts the conflicted reviewer's conflict
    ("chair.assignments", "GET"): chair_only(),
    ("chair.reviewer_loads", "GET"): chair_only(),
    ("chair.pick_reviewer", "GET"): chair_only(chair_author="404"),  # paper 1's reviewers: not for its author
    ("chair.add_assignment", "POST"): chair_only("404"),  # no paper named
    ("chair.remove_assignment", "POST"): chair_only("redirect", "404"),  # the review is submitted: refused
    ("chair.restore_assignment", "POST"): chair_only("redirect", "404"),  # not suspended: refused
    ("chair.set_manager", "POST"): chair_only("redirect"),  # no address given: refused
    ("chair.pick_area_chair", "GET"): chair_only(chair_author="404"),  # paper 1's area chair: not for its author
    ("chair.area_chairs_progress", "GET"): chair_only(),
    ("chair.auto_area_chairs", "POST"): chair_only("redirect!"),  # paper 2's area chair proposed (nothing applied)
    ("chair.area_chair_loads", "POST"): chair_only("redirect!"),  # the defaults saved as they were (and the audit log)
    ("chair.area_chair_proposal", "GET"): chair_only(),
    ("chair.compare_area_chair_proposals", "GET"): chair_only(),  # no other proposal: the choice says so
    ("chair.change_area_chair_proposal", "POST"): chair_only("redirect!"),  # discarded
    ("chair.lift_area_chair_exclusion", "POST"): chair_only("redirect!"),  # paper 2's area chair allowed again
    ("chair.set_area_chair", "POST"): chair_only("redirect", "404"),  # nobody chosen: refused
    ("chair.resolve_extra_review", "POST"): chair_only("404"),  # paper 1 has no request for an extra review
    ("chair.external", "POST"): chair_only("422"),  # the form comes back with its errors
    ("chair.run_assignment", "POST"): chair_only("redirect!"),
    ("chair.remind", "POST"): chair_only(),  # no "confirm=1": only the confirmation page
    ("chair.proposal", "GET"): chair_only(),
    ("chair.compare_proposals", "GET"): chair_only(),
    ("chair.lift_exclusion", "POST"): chair_only("redirect!", chair_author="404"),  # the pair of paper 1 left out
    ("chair.change_proposal", "POST"): chair_only("redirect!"),  # discards the draft
    # --- chairs: decisions, letters, mail, exports, jobs, audit log
    ("chair.decisions", "GET"): chair_only(),
    ("chair.decide", "POST"): chair_only("redirect", "404"),  # the letter is sent: the decision is final
    ("chair.decide_bulk", "POST"): chair_only("redirect"),  # nothing selected
    ("chair.publish", "POST"): chair_only(),  # no "confirm=1": only the confirmation page, nothing changes
    ("chair.letters", "GET"): chair_only(),
    ("chair.letters", "POST"): chair_only("redirect!"),
    ("chair.letter", "GET"): chair_only(chair_author="404"),  # paper 1's letter
    ("chair.letter", "POST"): chair_only("redirect", "404"),  # sent: no longer editable
    ("chair.send_letters", "POST"): chair_only(),  # no "confirm=1": only the confirmation page
    ("chair.resend_letter", "POST"): chair_only("redirect!", "404"),
    ("chair.reset_letter_templates", "POST"): chair_only(),  # no "confirm=1": only the confirmation page
    ("chair.mail", "GET"): chair_only(),
    ("chair.mail", "POST"): chair_only("422"),
    ("chair.mail_templates", "GET"): chair_only(),
    ("chair.mail_template", "GET"): chair_only(),
    ("chair.mail_template", "POST"): chair_only("422"),  # no subject, no body: the form comes back with its errors
    ("chair.reset_mail_template", "POST"): chair_only(),  # no "confirm=1": only the confirmation page, nothing changes
    ("chair.exports", "GET"): chair_only(),
    ("chair.export", "GET"): chair_only(),
    ("chair.jobs_list", "GET"): chair_only(),
    ("chair.job", "GET"): chair_only(),
    ("chair.job_status", "GET"): chair_only(),
    ("chair.retry_job", "POST"): chair_only("redirect!"),
    ("chair.audit", "GET"): chair_only(),
    # --- chairs: the public content (each route twice: /content/<kind>/... and /content/people/<role>/...)
    ("chair.content", "GET"): chair_only(),
    ("chair.content_texts", "GET"): chair_only(),
    ("chair.content_texts", "POST"): chair_only("422"),
    ("chair.content_items", "GET"): chair_only(),
    ("chair.content_new", "GET"): chair_only(),
    ("chair.content_new", "POST"): chair_only("422"),
    ("chair.content_edit", "GET"): chair_only(),
    ("chair.content_edit", "POST"): chair_only("422"),
    ("chair.content_remove", "GET"): chair_only(),
    ("chair.content_remove", "POST"): chair_only("redirect!"),
    ("chair.content_move", "POST"): chair_only("400"),  # no direction
    ("chair.content_photo", "GET"): chair_only(),
    ("chair.content_photo", "POST"): chair_only("422"),  # no file chosen
    ("chair.sponsor_inquiries", "GET"): chair_only(),
    ("chair.sponsor_inquiry", "GET"): chair_only(),
    ("chair.sponsor_inquiry", "POST"): chair_only("422"),  # no state
    ("chair.sponsor_logo", "GET"): chair_only(),
    ("chair.program_overview", "GET"): chair_only(),
    ("chair.program_publish", "POST"): chair_only("redirect!"),  # without publish=1: taken off the public site
    ("chair.program_session_new", "GET"): chair_only(),
    ("chair.program_session_new", "POST"): chair_only("422"),
    ("chair.program_session", "GET"): chair_only(),
    ("chair.program_session", "POST"): chair_only("422"),
    ("chair.program_session_remove", "GET"): chair_only(),
    ("chair.program_session_remove", "POST"): chair_only("redirect!"),
    ("chair.program_item_new", "GET"): chair_only(),
    ("chair.program_item_new", "POST"): chair_only("422"),  # a talk without its paper
    ("chair.program_item", "GET"): chair_only(),
    ("chair.program_item", "POST"): chair_only("422"),
    ("chair.program_item_remove", "GET"): chair_only(),
    ("chair.program_item_remove", "POST"): chair_only("redirect!"),
    ("chair.program_item_move", "POST"): chair_only("400"),  # no direction
    ("chair.program_session_order", "POST"): chair_only("400"),  # no order
}


# --- the people and what they wrote -------------------------------------------------------------------

# Each person as they are now (the address they sign in with); EARLIER: what two of them were when paper 1 was
# submitted (the address and affiliation on its author list, confirmed by their account, since changed).
PEOPLE: dict[str, dict[str, Any]] = {
    "author": {"email": "ada@example.org", "name": "Ada Quillfeather", "affiliation": "Alpha Institute"},
    "coauthor": {"email": "cora@example.org", "name": "Cora Brightwater", "affiliation": "Brightwater Lab"},
    "moved": {
        "email": "moritz.new@example.org",
        "name": "Moritz Wanderfeld",
        "affiliation": "Newplace University",
        "roles": ("reviewer",),
    },
    "other": {"email": "otto@example.org", "name": "Otto Lindqvist", "affiliation": "Omega College"},
    "reviewer": {
        "email": "rita@example.org",
        "name": "Rita Revelstoke",
        "affiliation": "Rita Research Centre",
        "roles": ("reviewer",),
    },
    "unassigned": {"email": "una@example.org", "name": "Una Underhill", "affiliation": "Una Polytechnic", "roles": ("reviewer",)},
    # Assigned to paper 1, then moved to the authors' institute: conflicted while still assigned.
    "conflicted": {"email": "ivan@example.org", "name": "Ivan Ironside", "affiliation": "Ivan College", "roles": ("reviewer",)},
    "drafting": {"email": "dora@example.org", "name": "Dora Draftsby", "affiliation": "Draftsby Lab", "roles": ("reviewer",)},
    # Paper 1's area chair (issue 21.2): its reviews and discussion as a chair reads them, never its authors.
    "area_chair": {
        "email": "alma@example.org",
        "name": "Alma Areachair",
        "affiliation": "Area University",
        "roles": ("area_chair",),
    },
    "chair": {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Chair University", "roles": ("chair",)},
    "chair_author": {
        "email": "cleo.chair@example.org",
        "name": "Cleo Chairwell",
        "affiliation": "Chairwell Institute",
        "roles": ("chair",),
    },
}
EARLIER: dict[str, dict[str, str]] = {
    "moved": {"email": "moritz@example.org", "affiliation": "Oldtown Institute"},
    "chair_author": {"email": "cleo@example.org"},
}
HUGO = ("Hugo Hiddenbrook", "hugo@hidden.example.net", "Hiddenbrook Lab")  # a co-author without an account

P1_TITLE = "Ring Attention Beyond a Million Tokens"
P1_ABSTRACT = "Sequence parallelism lets ring attention scale past a million tokens on commodity clusters."
P2_TITLE = "Memory Tokens for Endless Dialogue"
P2_ABSTRACT = "Memory tokens carry a dialogue over thousands of turns without forgetting the opening."
REVIEW = {
    "summary": "Summary by the first reviewer: the ring schedule overlaps communication with compute.",
    "strengths": "Strength seen by the first reviewer: a clean complexity analysis.",
    "weaknesses": "Weakness seen by the first reviewer: no comparison with blockwise attention.",
    "comments_to_authors": "To the authors from the first reviewer: please report the memory per device.",
    "confidential_comments": "Confidential for the chairs: a prior workshop version of this paper exists.",
    # Two fields the chairs added to the form (issue 21.1): one the authors read, one for the chairs only.
    "artifact_notes": "Artifact note for the authors: the released code reproduces table two.",
    "novelty_flag": "Novelty flag for the chairs: overlaps a paper under review elsewhere.",
}
DRAFT = {
    "summary": "Draft summary by the third reviewer: the ring needs a torus topology.",
    "strengths": "Draft strength: the overlap is measured, not assumed.",
    "weaknesses": "Draft weakness: a single cluster in the experiments.",
    "comments_to_authors": "Draft note to the authors: add a second cluster.",
    "confidential_comments": "Draft, confidential: I reviewed an earlier version.",
}
COMMENT = "Discussion note: does the speed-up hold on eight devices?"
INVITATION_TOKEN = "audit-invitation-token-0123456789abcdef"


def identity(role: str) -> list[str]:
    """The person's name and every address they have had."""
    return [PEOPLE[role]["name"], PEOPLE[role]["email"], *([EARLIER[role]["email"]] if role in EARLIER else [])]


def addresses_of(role: str) -> list[str]:
    return identity(role)[1:]


# What each person may read, anywhere (files and headers included): (what, who may, where else it is public).
PUBLISHED = ("public.",)  # paper 1 is accepted and published: its title, abstract and authors are public there
# The pages that list every member of the program committee by name, whatever they review: a chair who is an
# author of paper 1 sees its reviewers there as members, nothing more (what those pages tell of paper 1's
# review, a load, a count, a row, is compared by test_a_chair_who_is_an_author_sees_nothing_of_that_papers_review).
PC_LISTS = (
    "members.index",
    "chair.reviewing",
    "chair.assignments",
    "chair.reviewer_loads",
    "chair.pick_reviewer",
    "chair.external",
    "chair.proposal",
    "chair.compare_proposals",
)
CHAIRS = ("chair", "chair_author")
SECRETS: list[tuple[list[str], set[str], tuple[str, ...]]] = [
    # Double-blind: the authors of a paper are known to themselves and the chairs, by any address or affiliation
    # they had (the author list keeps the ones they had when they were listed).
    (
        [
            *identity("author"),
            *identity("coauthor"),
            *identity("moved"),
            *EARLIER["moved"].values(),
            PEOPLE["moved"]["affiliation"],
            *identity("chair_author"),
            PEOPLE["chair_author"]["affiliation"],
            *HUGO,
            "Brightwater Lab",
        ],
        {*AUTHORS, "chair"},
        PUBLISHED,
    ),
    ([*identity("other"), "Omega College"], {"other", *CHAIRS}, ()),
    # A paper is known to its authors, the chairs, and the reviewers who may bid on it (not the conflicted).
    ([P1_TITLE, P1_ABSTRACT], {*AUTHORS, "reviewer", "drafting", "unassigned", "area_chair", "chair"}, PUBLISHED),
    ([P2_TITLE, P2_ABSTRACT], {"other", *REVIEWERS, *CHAIRS}, ()),
    # Who reviews a paper: the chairs who handle it, and the reviewer.
    # Who reviews a paper: the chairs who handle it, its area chair, and the reviewer.
    (identity("reviewer"), {"reviewer", "area_chair", "chair"}, PC_LISTS),
    (identity("drafting"), {"drafting", "area_chair", "chair"}, PC_LISTS),
    (identity("conflicted"), {"conflicted", "area_chair", "chair"}, PC_LISTS),
    (identity("unassigned"), {"unassigned", *CHAIRS}, ()),
    # The review, the discussion: the chair who handles paper 1 and the reviewer who wrote them (the other
    # reviewers have not submitted theirs, so they may not read them yet); the authors get the comments to the
    # authors with the decision. A draft review is its writer's (and the handling chair's) alone.
    (
        [
            REVIEW["summary"],
            REVIEW["strengths"],
            REVIEW["weaknesses"],
            REVIEW["confidential_comments"],
            REVIEW["novelty_flag"],
            COMMENT,
        ],
        {"reviewer", "area_chair", "chair"},
        (),
    ),
    ([REVIEW["comments_to_authors"], REVIEW["artifact_notes"]], {*AUTHORS, "reviewer", "area_chair", "chair"}, ()),
    (list(DRAFT.values()), {"drafting", "chair"}, ()),
]


# --- the world ----------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, int]  # role -> user id
    p1: int
    p2: int
    revision: int  # paper 1's submitted PDF
    assignment: int  # the reviewer's assignment to paper 1
    letter: int
    proposal: int
    job: int
    invitation: int
    topic: int  # a topic no paper uses (so a chair may remove it)
    speaker: int
    tokens: dict[str, str]
    exclusion: int = 0  # a pair of paper 1 left out of automatic runs (the unassigned reviewer, marked never)
    ac_proposal: int = 0  # an area-chair proposal (paper 2's area chair), a draft
    ac_exclusion: int = 0  # paper 2 and the area chair, left out of automatic area-chair runs (issue 22.5)
    kept: int = 0  # a draft of paper 1 kept from a removed reviewer (the unassigned one)
    program_session: int = 0  # the published program's session, with paper 1's talk
    program_item: int = 0  # paper 1's talk
    sponsor: int = 0  # a confirmed sponsor with a logo (its inquiry, from the contact form)
    api_token: int = 0  # the author's personal access token (tests/views/test_api_audit.py makes one for everyone)
    cookies: dict[str, str] = field(default_factory=dict)  # role -> session cookie


_checked: dict[str, subs.CheckedFile] = {}  # the PDF check runs in a child process: once per run


def build_world(app: Flask) -> World:
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        deadline = ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper deadline", at=now + timedelta(days=3))
        ws.dates += [deadline, ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready", at=now + timedelta(days=20))]
        db.session.flush()
        users = {role: make_user(**(spec | EARLIER.get(role, {}))) for role, spec in PEOPLE.items()}
        sub_type, topic = ws.submission_types[0], ws.topics[0]

        def check(key: str, authors: list[subs.AuthorInput], kind: FileKind = FileKind.PAPER) -> subs.CheckedFile:
            if key not in _checked:
                # Paper 1's PDF names its submitter in its metadata: the reviewers' copy must not.
                pdf = make_pdf(3, text=f"The paper {key}.", author=PEOPLE["author"]["name"] if key != "p2" else "")
                _checked[key] = subs.check_paper(ws, sub_type, authors, pdf, f"{key}.pdf", kind=kind)
            return _checked[key]

        def submit(key: str, submitter: str, title: str, abstract: str, authors: list[subs.AuthorInput]) -> Submission:
            details = subs.Details(
                title=title,
                abstract=abstract,
                type_id=sub_type.id,
                primary_topic_id=topic.id,
                secondary_topic_ids=[],
                keywords="long context",
                authors=authors,
                declared_conflicts="",
            )
            return subs.create_submission(users[submitter], ws, details, paper=check(key, authors))

        listed = {role: PEOPLE[role] | EARLIER.get(role, {}) for role in AUTHORS}  # as they were then
        p1_authors = [subs.AuthorInput(*(listed[r][k] for k in ("name", "email", "affiliation"))) for r in AUTHORS] + [
            subs.AuthorInput(*HUGO)
        ]
        p2_authors = [subs.AuthorInput(*(PEOPLE["other"][k] for k in ("name", "email", "affiliation")))]
        p1 = submit("p1", "author", P1_TITLE, P1_ABSTRACT, p1_authors)
        p2 = submit("p2", "other", P2_TITLE, P2_ABSTRACT, p2_authors)
        # Two of paper 1's authors change address (through the link mailed to the new one), one also affiliation:
        # the author list keeps what they were.
        for role, earlier in EARLIER.items():
            user, current = users[role], PEOPLE[role]
            accounts.request_email_change(ws, user, current["email"])
            accounts.confirm_email_change(
                ws, make_token("change-email", {"uid": user.id, "new": current["email"], "old": earlier["email"]})
            )
            if "affiliation" in earlier:
                accounts.update_profile(user, name=user.name, affiliation=current["affiliation"], orcid=None, homepage=None)
        assert [(a.email, a.user_id) for a in p1.authors][2:4] == [
            (EARLIER["moved"]["email"], users["moved"].id),
            (EARLIER["chair_author"]["email"], users["chair_author"].id),
        ]
        deadline.at = now - timedelta(days=1)
        ws.phase, ws.reviews_per_paper, ws.review_deadline = Phase.REVIEWING, 2, now + timedelta(days=10)
        db.session.flush()

        chair = users["chair"]
        own = assignments.assign_reviewer(chair, ws, p1, users["reviewer"])
        assignments.assign_reviewer(chair, ws, p1, users["conflicted"])
        drafting = assignments.assign_reviewer(chair, ws, p1, users["drafting"])
        assignments.assign_reviewer(chair, ws, p2, users["unassigned"])
        bidding.place_bids(users["unassigned"], ws, {p1.id: BidValue.EAGER}, now)  # Una would review paper 1 too
        for label, audience in (("Artifact notes", Audience.AUTHORS), ("Novelty flag", Audience.CHAIRS)):
            review_form.add_field(chair, ws, review_form.FieldInput(label=label, visibility=audience))
        reviews.save_review(ws, own, {**REVIEW, "recommendation": 4, "confidence": 3}, submit=True, version=None)
        reviews.save_review(ws, drafting, {**DRAFT, "recommendation": 2, "confidence": None}, submit=False, version=None)
        db.session.add(AreaChairAssignment(submission_id=p1.id, area_chair_id=users["area_chair"].id))
        db.session.flush()
        discussion.post_comment(users["reviewer"], ws, p1, COMMENT)
        # Ivan moves to the authors' institute: his assignment is suspended, a conflict now.
        accounts.update_profile(
            users["conflicted"],
            name=PEOPLE["conflicted"]["name"],
            orcid=None,
            homepage=None,
            affiliation=PEOPLE["author"]["affiliation"],
        )
        decide_and_notify(ws, p1, Decision.ACCEPTED, chair)
        subs.upload_camera_ready(
            users["author"],
            ws,
            p1,
            title=P1_TITLE,
            authors=p1_authors,
            version=p1.version,
            paper=check("p1-final", p1_authors, FileKind.CAMERA_READY),
        )
        ws.accepted_published = True
        # The program (issue 24): paper 1's talk, by its author, in a published session; paper 1's slides and video.
        morning = program.add_session(
            chair, ws, program.SessionInput("Morning talks", (now + timedelta(days=40)).date(), time(9), time(12), "Hall A")
        )
        talk = program.add_item(
            chair, morning, program.ItemInput(ItemKind.TALK, submission_id=p1.id, speaker_author_id=p1.authors[0].id)
        )
        ws.program_published = True
        subs.save_materials(
            users["author"],
            p1,
            poster=None,
            slides=check("p1-slides", p1_authors, FileKind.CAMERA_READY),
            video_url="https://video.example.org/p1",
            remove=set(),
            version=p1.version,
        )
        proposal = assignments.propose_assignment(chair, ws)
        job = Job(
            kind="assignment",
            state=JobState.FAILED,
            args={"workshop_id": ws.id},
            attempts=1,
            error="The worker was lost.",
            created_by_id=chair.id,
        )
        invitation = Invitation(
            email="nina@example.org", name="Nina Newcomer", invited_by=chair, token_hash=_hash_token(INVITATION_TOKEN)
        )
        db.session.add_all([job, invitation])
        db.session.flush()
        una = users["unassigned"]
        assignments.exclude(chair, p1.id, una.id, ExclusionReason.NEVER)
        ac_proposal = area_chair_assignment.propose(chair, ws)
        area_chairs.exclude(chair, p2.id, users["area_chair"].id, ExclusionReason.NEVER)
        ac_exclusion = db.session.scalar(sa.select(AreaChairExclusion.id))
        # Someone registered and has not confirmed yet: their link opens the page that asks for the password.
        nell = make_user("nell@example.org", name="Nell Newly", confirmed=False)
        tokens = {
            "auth.confirm": make_token("confirm", {"uid": nell.id, "email": nell.email, "pw": _password_fingerprint(nell)}),
            "auth.reset": make_token("reset", {"uid": chair.id, "pw": _password_fingerprint(chair)}),
            "account.confirm_email_change": make_token(
                "change-email", {"uid": una.id, "new": "una.u@example.org", "old": una.email}
            ),
            "auth.invitation": INVITATION_TOKEN,
        }
        world = World(
            users={role: u.id for role, u in users.items()},
            p1=p1.id,
            p2=p2.id,
            revision=db.session.scalar(
                sa.select(Revision.id).where(Revision.submission_id == p1.id, Revision.kind == FileKind.PAPER)
            ),
            assignment=own.id,
            letter=db.session.scalar(sa.select(Letter.id).where(Letter.submission_id == p1.id)),
            proposal=proposal.id,
            ac_proposal=ac_proposal.id,
            ac_exclusion=ac_exclusion,
            job=job.id,
            invitation=invitation.id,
            topic=db.session.scalar(sa.select(Topic.id).where(Topic.id != topic.id).order_by(Topic.position.desc())),
            speaker=db.session.scalar(sa.select(Person.id).where(Person.role == PersonRole.SPEAKER)),
            tokens=tokens,
            exclusion=db.session.scalar(sa.select(AssignmentExclusion.id).where(AssignmentExclusion.submission_id == p1.id)),
        )
        left_behind = {"summary": "A draft left behind."}
        kept = KeptDraft(submission_id=p1.id, reviewer_id=world.users["unassigned"], content=left_behind, saved_at=utcnow())
        db.session.add(kept)
        db.session.flush()
        world.kept = kept.id
        world.program_session, world.program_item = morning.id, talk.id
        # Issue 24: a confirmed sponsor with its logo, and the speaker's photo.
        inquiry, _ = sponsors.submit_inquiry(
            ws, name="Grace Hopper", organization="Compiler Labs", email="grace@example.org", interest="compute", message="GPUs?"
        )
        follow = sponsors.FollowUp(
            SponsorState.CONFIRMED, "Chair notes.", "Agreed.", "", SponsorTier.GOLD, "https://example.org/"
        )
        sponsors.follow_up(chair, inquiry, follow, logo=jpeg_with_location())
        photos.set_photo(chair, db.session.get(Person, world.speaker), jpeg_with_location())
        world.sponsor = inquiry.id
        author = db.session.get(User, world.users["author"])
        world.api_token = api_tokens.create_token(author, author, name="audit script", scope="write")[0].id
        db.session.commit()
    assert world.letter and world.revision and world.topic and world.speaker and world.exclusion
    return world


def sign_in_everyone(app: Flask, world: World) -> None:
    """Sign each person in once through the sign-in form and keep the session cookie."""
    for role, spec in PEOPLE.items():
        client = app.test_client()
        response = client.post("/auth/login", data={"email": spec["email"], "password": PASSWORD})
        landing = response.headers.get("Location") or ""
        assert landing.startswith("/") and not landing.startswith("/auth/login"), f"{role} could not sign in"
        cookie = client.get_cookie("session")
        assert cookie is not None
        world.cookies[role] = cookie.value


# --- the database: what a request wrote, compared, and put back ---------------------------------------

Snapshot = dict[str, list[tuple[Any, ...]]]
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|WITH)\b", re.IGNORECASE)


class Database:
    """Every row of every table, kept once; after each request, compared and put back when it changed. A request
    that ran no INSERT, UPDATE or DELETE changed nothing, so only the others are compared row by row."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wrote = False
        with app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        self.saved = self.rows()

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if WRITE.match(statement):
            self.wrote = True

    def rows(self) -> Snapshot:
        out: Snapshot = {}
        with self.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
        return out

    def changed_tables(self) -> list[str]:
        """The tables the last request changed (and puts them all back)."""
        if not self.wrote:
            return []
        now = self.rows()
        changed = [name for name, rows in self.saved.items() if now[name] != rows]
        if changed:
            self.restore()
        self.wrote = False
        return changed

    def restore(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            for table in db.metadata.sorted_tables:
                if self.saved[table.name]:
                    names = [c.name for c in table.columns]
                    conn.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in self.saved[table.name]])

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


# --- the URL arguments from the world -----------------------------------------------------------------


def url_args(world: World, rule: Rule) -> dict[str, Any]:
    """What ``url_for`` needs for ``rule``, filled from the world (the arguments also choose between the rules
    of one endpoint, as the content editor's ``kind`` and ``role`` do)."""
    values: dict[str, Any] = {
        "number": world.p1,
        "revision_id": world.revision,
        "assignment_id": world.assignment,
        "reviewer_id": world.users["conflicted"],
        "letter_id": world.letter,
        "proposal_id": world.proposal,
        "exclusion_id": world.exclusion,
        "ac_proposal_id": world.ac_proposal,
        "ac_exclusion_id": world.ac_exclusion,
        "kept_id": world.kept,
        "request_id": 1,  # (no request for an extra review in the world: nothing to name)
        "ordinal": 3,  # paper 1's Reviewer 3, the one with a draft (the JSON API's reminder names reviewers so)
        "token_id": world.api_token,
        "job_id": world.job,
        "invitation_id": world.invitation,
        "user_id": world.users["unassigned"],
        "filename": "css/site.css",
        "answer": "accept",
        "kind": "topics",
        "role": "speaker",
        "fmt": "csv",
        "key": "summary",
        "direction": "down",
        "item_id": world.speaker
        if "role" in rule.arguments
        else world.program_item
        if "program" in rule.endpoint
        else world.topic,
        "session_id": world.program_session,
        "sponsor_id": world.sponsor,
        "inquiry_id": world.sponsor,
        "person_id": world.speaker,
        "size": 96,
        "page": 1,
        "item_kind": "talk",
        "material": "slides",
    }
    values.update(
        {
            "chair.change_conflict": {"action": "lift"},
            "chair.change_proposal": {"action": "discard"},
            "chair.change_area_chair_proposal": {"action": "discard"},
            "chair.export": {"kind": "reviews"},  # the most private of the three
            "chair.mail_template": {"kind": "assignment"},
            "chair.reset_mail_template": {"kind": "assignment"},
        }.get(rule.endpoint, {})
    )
    if rule.endpoint in world.tokens:
        values["token"] = world.tokens[rule.endpoint]
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule.endpoint}: no value for {sorted(missing)}; add one to url_args"
    return {name: values[name] for name in rule.arguments}


MISSING = 987_654  # an id that names nothing
API = "api."  # the JSON API's routes: tests/views/test_api_audit.py asks them of the same world, by token
# Two sentences with no space between them ("double-blind.Bidding closes"): a template's whitespace control ate it.
GLUED = re.compile(r"\b[a-z]{2,}[.!?][A-Z][a-z]+")


@dataclass
class Request:
    endpoint: str
    method: str
    url: str
    missing: str | None  # the same route with every id naming nothing (None: the route takes no id)


def every_route(app: Flask, world: World) -> list[Request]:
    """One request per rule and method (built in a context that is closed before any request is made)."""
    found = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
            if rule.endpoint.startswith(API):
                continue  # asked with each person's token in tests/views/test_api_audit.py, against its own table
            args = url_args(world, rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                url = url_for(rule.endpoint, **args)
                # url_for chose this rule (an endpoint with several rules gets one request for each).
                assert app.url_map.bind("localhost").match(url, method=method)[0] == rule.endpoint
                ids = {name: MISSING for name, value in args.items() if isinstance(value, int)}
                found.append(Request(rule.endpoint, method, url, url_for(rule.endpoint, **args | ids) if ids else None))
    return found


# --- the answers --------------------------------------------------------------------------------------


def outcome_of(response: TestResponse) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("Location", ""))
        if target.netloc not in ("", "localhost"):
            return f"{status} off the site"
        return "login" if target.path == "/auth/login" else "redirect"
    return str(status)


# Who knows paper 1 exists (the unassigned reviewer from bidding); the others must not learn it from an answer.
KNOWS_THE_PAPER = {*AUTHORS, "reviewer", "drafting", "unassigned", "chair"}
REFUSALS = {"login", "403", "404"}


def when_missing(expected: str, role: str) -> set[str]:
    """The outcomes allowed for a URL whose ids name nothing, given the one ``expected`` for the real objects."""
    if expected in REFUSALS and role not in KNOWS_THE_PAPER:
        return {expected}  # no answer tells an object that exists from one that does not
    if expected in REFUSALS:
        return {expected, "404"}
    return {"404"}  # whoever passes the guard: the friendly 404, never a 500 or a redirect


def leaks(response: TestResponse, role: str, endpoint: str) -> list[str]:
    """What ``role`` may not read, found in the answer's body or headers."""
    seen = response.get_data() + "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    return secrets_in(seen, role, endpoint)


def secrets_in(seen: bytes, role: str, endpoint: str = "") -> list[str]:
    found = []
    for texts, allowed, public in SECRETS:
        if role in allowed or (endpoint and endpoint.startswith(public or ("\0",))):
            continue
        found += [t for t in texts if t.encode() in seen or html.escape(t).encode() in seen]
    return found


# Whose mail is it: every address each person has had (Una's link changes hers to una.u@example.org).
RECIPIENTS = {address: role for role in PEOPLE for address in addresses_of(role)} | {"una.u@example.org": "unassigned"}


def mail_leaks(recipients: list[str], subject: str, *bodies: str | None) -> dict[str, list[str]]:
    """Per addressee of one mail, what they may not read, found in its subject or bodies (text and HTML)."""
    seen = "\n".join([subject, *(b for b in bodies if b)]).encode()
    found = {}
    for address in recipients:
        role = RECIPIENTS.get(address.strip().lower())
        if role is not None and (secrets := secrets_in(seen, role)):
            found[f"{role} <{address.strip()}>"] = secrets
    return found


def delivered(message: EmailMessage) -> tuple[list[str], str, list[str]]:
    """A delivered mail's addressees, subject and decoded text parts."""
    recipients = [a.addr_spec for a in message["To"].addresses] if message["To"] else []
    parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    return recipients, str(message["Subject"] or ""), parts


# --- the audit ----------------------------------------------------------------------------------------


def test_table_names_every_route_and_method(app: Flask) -> None:
    """A new route (or a new method) fails here by name until it has its row; a row of a gone route too."""
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith(API)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert sorted(routes - EXPECTED.keys()) == [], "routes without a row in EXPECTED"
    assert sorted(EXPECTED.keys() - routes) == [], "rows in EXPECTED for routes that no longer exist"
    assert [key for key, row in EXPECTED.items() if set(row) != set(ROLES)] == []


def test_every_route_answers_each_role_as_the_table_says(app: Flask, smtp: SMTPRecorder) -> None:
    world = build_world(app)
    sign_in_everyone(app, world)
    problems: list[str] = []
    # The mail of the world itself (assignments, the discussion, the letters, address changes), queued or sent.
    with app.app_context():
        for mail in db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)):
            if mail.kind == "assignment" and mail.recipient_list == [PEOPLE["conflicted"]["email"]]:
                continue  # Ivan was told of paper 1 when he was assigned, before his move made him conflicted
            if found := mail_leaks(mail.recipient_list, mail.subject, mail.body_text, mail.body_html):
                problems.append(f"the mail {mail.subject!r} to {found}")
    read = 0  # how many delivered mails were searched

    def search_the_mail(where: str) -> None:
        nonlocal read
        for message in smtp.messages[read:]:
            recipients, subject, parts = delivered(message)
            if found := mail_leaks(recipients, subject, *parts):
                problems.append(f"{where}: the mail {subject!r} to {found}")
        read = len(smtp.messages)

    search_the_mail("building the world")
    database = Database(app)

    def ask(role: str, method: str, url: str, endpoint: str) -> tuple[str, str] | None:
        """The outcome (with "!" when the database changed, which is then put back) and the page's text; None
        after a 500."""
        client = app.test_client()
        if role != "anon":
            client.set_cookie("session", world.cookies[role])
        try:
            response = client.open(url, method=method, data={} if method == "POST" else None)
        except Exception as exc:  # a 500: the test client re-raises it (TESTING)
            problems.append(f"{method} {url} as {role}: 500 {type(exc).__name__}: {exc}")
            database.restore()
            return None
        found = leaks(response, role, endpoint)
        if found:
            problems.append(f"{method} {url} as {role} shows {found}")
        search_the_mail(f"{method} {url} as {role}")
        changed = database.changed_tables()
        outcome = outcome_of(response) + (f"! ({', '.join(changed)} changed)" if changed else "")
        text = text_of(response) if response.mimetype == "text/html" else ""
        if glued := GLUED.findall(text):
            problems.append(f"{method} {url} as {role}: sentences run together: {sorted(set(glued))}")
        return outcome, text

    try:
        for req in every_route(app, world):
            row = EXPECTED.get((req.endpoint, req.method))
            if row is None:
                problems.append(f"{req.method} {req.endpoint}: no row in EXPECTED")
                continue
            for role in ROLES:
                real = ask(role, req.method, req.url, req.endpoint)
                if real is not None and real[0].split(" (")[0] != row[role]:
                    problems.append(f"{req.method} {req.url} as {role}: {real[0]}, expected {row[role]}")
                    real = None
                if req.missing is None:
                    continue
                missing = ask(role, req.method, req.missing, req.endpoint)
                allowed = when_missing(row[role], role)
                if missing is not None and missing[0] not in allowed:
                    problems.append(
                        f"{req.method} {req.missing} (nothing there) as {role}: {missing[0]}, expected "
                        f"{' or '.join(sorted(allowed))}"
                    )
                elif real and missing and allowed == {row[role]} != {"login"} and real[1] != missing[1]:
                    problems.append(
                        f"{req.method} {req.url} as {role}: the {row[role]} page differs from the one for "
                        f"{req.missing}: {real[1]!r} / {missing[1]!r}"
                    )
    finally:
        database.close()
    assert not problems, "\n".join(problems)


# --- a chair who is an author: nothing of that paper's review, anywhere --------------------------------

# What a chair opens that could carry paper 1's review: the chairs' areas (the console and its charts, the
# submissions table, reviewing and assignments with their loads and counts, proposals, decisions, letters, mail,
# exports, jobs, the audit log) and the members' list.
CHAIR_AREAS = ("chair.", "members.", "settings.", "submissions.all_submissions")
# Paper 1's review, row by row (the paper itself, its authors and its decision stay).
REVIEW_ROWS = (ReviewRevision, Review, ReviewAssignment, DiscussionComment, Bid, ConflictOverride)
VOLATILE = [
    (re.compile(r'(name="(csrf_token|once)"[^>]*value=")[^"]*'), r"\1"),  # a session's token, a form's nonce
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?"), "(a time)"),
    (re.compile(r"\b\d{1,2} [A-Z][a-z]{2,8} \d{4},? \d\d:\d\d( [A-Z]{2,5})?"), "(a time)"),
    (re.compile(r"solved in [\d.]+ s"), "solved in (some) s"),
]


def erase_the_review_of(paper: int) -> None:
    """Paper 1 as if nobody had ever reviewed it: no assignment, review, draft, comment, bid or chairs' conflict
    decision, nothing of them in the audit log, no pair of the draft proposal, its scores recomputed."""
    assignments = sa.select(ReviewAssignment.id).where(ReviewAssignment.submission_id == paper)
    reviews = sa.select(Review.id).where(Review.assignment_id.in_(assignments))
    for model in REVIEW_ROWS:
        where = {ReviewRevision: ReviewRevision.review_id.in_(reviews), Review: Review.id.in_(reviews)}.get(
            model, getattr(model, "submission_id", None) == paper
        )
        db.session.execute(sa.delete(model).where(where))
    db.session.execute(
        sa.delete(AuditEvent).where(
            AuditEvent.submission_id == paper,
            sa.or_(*(AuditEvent.action.like(f"{kind}.%") for kind in ("assignment", "conflict", "review", "discussion"))),
        )
    )
    for proposal in db.session.scalars(sa.select(AssignmentProposal)):
        result = dict(proposal.result)
        result["pairs"] = [pair for pair in result["pairs"] if pair[0] != paper]
        result["reasons"] = {k: v for k, v in result["reasons"].items() if not k.startswith(f"{paper}:")}
        result["shortfall"] = {k: v for k, v in result["shortfall"].items() if k != str(paper)}
        result["not_willing"] = [pair for pair in result["not_willing"] if pair[0] != paper]
        proposal.result = result
    refresh_scores([paper])
    db.session.commit()


def restart_ids(engine: sa.Engine) -> None:
    """After the tables are put back, new rows get the same ids again (SQLite reuses the highest id + 1 by itself;
    PostgreSQL's sequences go on counting)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            key = table.columns.get("id")
            if key is not None and key.primary_key and isinstance(key.type, sa.Integer):
                conn.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :next, false)"),
                    {"table": f'"{table.name}"', "next": (conn.scalar(sa.select(sa.func.max(key))) or 0) + 1},
                )


def as_seen(response: TestResponse) -> str:
    """An answer as compared: status, type and body, without this session's token or the clock's times (a file:
    its digest)."""
    if not (response.mimetype.startswith("text/") or response.mimetype == "application/json"):
        return f"{response.status_code} {response.mimetype}\nsha256 {hashlib.sha256(response.get_data()).hexdigest()}"
    body = response.get_data(as_text=True)
    for pattern, replacement in VOLATILE:
        body = pattern.sub(replacement, body)
    return f"{response.status_code} {response.mimetype}\n{body}"


def differences(a: str, b: str) -> list[str]:
    """The lines of an answer that differ, as it is ("-") and had paper 1 never been reviewed ("+")."""
    changed = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
    return [" ".join(line.split())[:300] for line in changed if line[:1] in "-+" and line[:3] not in ("---", "+++")]


def test_a_chair_who_is_an_author_sees_nothing_of_that_papers_review(app: Flask, smtp: SMTPRecorder) -> None:
    """The second chair is an author of paper 1 by an address she has since changed. Everything she can open in
    the chairs' areas (every page, each export in both formats, every job and proposal page, the audit log by
    kind) and every mail she gets must be the same, byte for byte, whether or not paper 1 was ever reviewed:
    then no reviewer, review, draft, comment, load, count, figure or chart of it reaches her. The other chair
    acts in between, as she would in the reviewing phase: reminders, a group mail to the reviewers with
    unfinished reviews, an automatic assignment."""
    world = build_world(app)
    sign_in_everyone(app, world)
    database = Database(app)
    cleo = PEOPLE["chair_author"]["email"]

    def client_of(role: str) -> FlaskClient:
        client = app.test_client()
        client.set_cookie("session", world.cookies[role])
        return client

    pages = [
        r.url
        for r in every_route(app, world)
        if r.method == "GET" and r.endpoint.startswith(CHAIR_AREAS) and EXPECTED[(r.endpoint, "GET")]["chair_author"] == "ok"
    ]
    pages += [f"/chair/exports/{kind}.{fmt}" for kind in ("submissions", "reviews", "decisions") for fmt in ("csv", "json")]
    pages += [
        "/chair/jobs?all=1",
        "/chair/audit?q=Reviewer",
        "/chair/reviewing",
        "/chair/assignments",
        *(f"/chair/audit?kind={kind}" for kind in ("assignment", "conflict", "decision", "mail")),
        *(f"/chair/submissions?sort={key}&dir=desc" for key in ("reviews", "mean", "spread")),
        *(f"/chair/decisions?sort={key}&dir=desc" for key in ("reviews", "mean", "weighted", "spread")),
        "/chair/decisions?missing=1",
    ]
    seen: dict[str, dict[str, str]] = {}
    try:
        for state in ("as it is", "never reviewed"):
            if state == "never reviewed":
                database.restore()
                restart_ids(database.engine)
                with app.app_context():
                    erase_the_review_of(world.p1)
            smtp.clear()
            chair = client_of("chair")
            assert chair.post("/chair/assignments/remind", data={"confirm": "1"}).status_code == 302
            mail = {"audience": "unfinished", "subject": "Your review", "body": "Dear {{ name }}, please finish."}
            preview = chair.post("/chair/mail", data={**mail, "preview": "Preview"})
            digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', preview.get_data(as_text=True))
            assert digest, text_of(preview)
            assert chair.post("/chair/mail", data={**mail, "send": "Send", "digest": digest.group(1)}).status_code == 302
            assert chair.post("/chair/assignments/run").status_code == 302
            with app.app_context():
                jobs = db.session.scalars(sa.select(Job.id).order_by(Job.id)).all()
                proposals = db.session.scalars(sa.select(AssignmentProposal.id).order_by(AssignmentProposal.id)).all()
            urls = [
                *pages,
                *(f"/chair/jobs/{j}" for j in jobs),
                *(f"/chair/jobs/{j}.json" for j in jobs),
                *(f"/chair/proposals/{p}" for p in proposals),
            ]
            viewer = client_of("chair_author")
            seen[state] = {url: as_seen(viewer.get(url)) for url in dict.fromkeys(urls)}
            seen[state] |= {
                f"mail {i}": "\n".join([str(m["Subject"]), *delivered(m)[2]])
                for i, m in enumerate(m for m in smtp.messages if cleo in str(m["To"]))
            }
    finally:
        database.close()

    both = seen["as it is"].keys() | seen["never reviewed"].keys()
    differ = {
        url: differences(seen["as it is"].get(url, ""), seen["never reviewed"].get(url, ""))
        for url in sorted(both)
        if seen["as it is"].get(url) != seen["never reviewed"].get(url)
    }
    assert len(seen["as it is"]) > 40
    assert differ == {}, "\n".join(f"{url}:\n    " + "\n    ".join(lines) for url, lines in differ.items())


# --- an author who changed address: still an author, still conflicted ----------------------------------


def main_of(response: TestResponse) -> str:
    """The page's own content (not the header naming who is signed in), as compared."""
    seen = as_seen(response)
    found = re.search(r"(?s)<main\b.*?</main>", seen)
    return f"{response.status_code} {found.group(0) if found else seen}"


def test_an_author_by_an_earlier_address_is_an_author_everywhere_and_conflicted_as_a_reviewer(app: Flask) -> None:
    """Moritz confirmed the address on paper 1's author list, then changed address and affiliation: he gets what
    its submitter gets on every page of it and every file (byte for byte, but for who is signed in), and, a
    reviewer, is never offered paper 1 to bid on nor assigned to it: he is its author."""
    world = build_world(app)
    sign_in_everyone(app, world)
    clients = {role: app.test_client() for role in ("author", "moved", "chair")}
    for role, client in clients.items():
        client.set_cookie("session", world.cookies[role])
    with app.app_context():
        files = db.session.scalars(sa.select(Revision.id).where(Revision.submission_id == world.p1).order_by(Revision.id)).all()
    p1 = world.p1
    urls = [
        "/submissions/",
        f"/submissions/{p1}",
        f"/submissions/{p1}/camera-ready",
        f"/submissions/{p1}/conflicts",
        *(f"/submissions/{p1}/files/{f}" for f in files),
    ]

    seen = {role: {url: main_of(clients[role].get(url)) for url in urls} for role in ("author", "moved")}
    bids = clients["moved"].get("/review/bids")
    refused = clients["chair"].post(
        "/chair/assignments/add", data={"number": p1, "reviewer": world.users["moved"]}, follow_redirects=True
    )
    with app.app_context():
        assigned = db.session.scalar(
            sa.select(sa.func.count()).select_from(ReviewAssignment).where(ReviewAssignment.reviewer_id == world.users["moved"])
        )

    assert [(url, seen["moved"][url][:3]) for url in urls] == [(url, "200") for url in urls]
    assert seen["moved"] == seen["author"]
    assert re.findall(r"(?s)<legend>(.*?)</legend>", bids.get_data(as_text=True)) == [f"#{world.p2} {P2_TITLE}"]
    assert (f"{PEOPLE['moved']['name']} conflicts with #{p1}: is an author of the submission." in text_of(refused), assigned) == (
        True,
        0,
    )
