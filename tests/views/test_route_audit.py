"""The route-by-role audit: every route of ``app.url_map``, every method it accepts, asked by each kind of person,
against the expectation table ``EXPECTED`` below.

One workshop in the reviewing phase holds every object a URL can name. Paper 1 ("the paper") has a submitter
and a co-author with accounts (and a co-author without one), an assigned reviewer who submitted a review and
posted in the discussion, an assigned reviewer who became conflicted afterwards (he moved to the authors'
institute), an accepted decision whose letter is sent, a camera-ready version, and the accepted papers are
published. Paper 2 belongs to another author and has its own reviewer. A draft assignment proposal, a failed
job, a pending reviewer invitation and signed links (confirm, reset, email change) complete the world.

Each request is ``url_for(endpoint, **args)`` with the arguments filled from that world; a POST carries no body
(CSRF is off here, it has its own tests), so it shows what a bare request can do. The answer is sorted into an
outcome class and compared with the table, and the database is compared before and after: a request that is
not expected to act must leave every row as it was (a refused POST above all), and one expected to act must
have acted. Every answer, files and headers included, is searched for what that person may not read: the
papers' authors (double-blind), the reviews, the discussion, who reviews, another author's paper. A route
that names objects by id is asked once more with ids that name nothing: whoever may not know paper 1 exists
(anonymous, the other author, the conflicted reviewer) must get the very same refusal, page and all, so no
answer confirms that an object exists; everyone else gets a 404 (or the same refusal), never a 500.

A route with no row in the table fails the test by name, and so does a row whose endpoint is gone.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import (
    DateKind,
    Decision,
    FileKind,
    ImportantDate,
    Invitation,
    Job,
    JobState,
    Letter,
    Person,
    PersonRole,
    Phase,
    Revision,
    Submission,
    Topic,
    Workshop,
)
from portal.services import reviewing
from portal.services import submissions as subs
from portal.services.accounts import _hash_token, _password_fingerprint
from portal.services.tokens import make_token
from tests.conftest import text_of
from tests.factories import PASSWORD, decide_and_notify, make_user
from tests.pdfs import make_pdf


@pytest.fixture
def app_config() -> dict[str, Any]:
    # A bare POST carries no CSRF token (CSRF has its own tests); no rate limit or page cache between requests.
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "PUBLIC_CACHE_SECONDS": 0}


# --- the expectation table ----------------------------------------------------------------------------
#
# Roles, all relative to paper 1: "anon" (not signed in), "author" (its submitter), "coauthor" (on its author
# list, with an account), "other" (an author of paper 2 only), "reviewer" (assigned, review submitted),
# "unassigned" (a reviewer of paper 2 only), "conflicted" (assigned, then conflicted), "chair".
#
# Outcomes: "ok" 2xx; "redirect" 3xx to a page of this site other than sign-in; "login" 3xx to the sign-in page;
# "400", "403", "404", "422" that status (422: the form again, with its errors). A trailing "!" means the request
# acts: the database must differ afterwards. Without it, the database must be exactly as before.
#
# To add a route: add one row, ``(endpoint, method): {role: outcome}``, for each method the route accepts
# (HEAD and OPTIONS aside), built from the helpers below, and teach ``url_args`` any new URL argument.

ROLES = ("anon", "author", "coauthor", "other", "reviewer", "unassigned", "conflicted", "chair")
SIGNED_IN = ROLES[1:]


def every(outcome: str, **roles: str) -> dict[str, str]:
    """The same outcome for everyone, signed in or not, except the roles named."""
    return {**dict.fromkeys(ROLES, outcome), **roles}


PUBLIC = every("ok")


def signed_in(outcome: str = "ok", **roles: str) -> dict[str, str]:
    """Anonymous visitors are sent to sign in; every signed-in person gets ``outcome`` except the roles named."""
    return {"anon": "login", **dict.fromkeys(SIGNED_IN, outcome), **roles}


def chair_only(chair: str = "ok") -> dict[str, str]:
    """The chairs' areas: 403 for every other signed-in person (they may know the page exists)."""
    return signed_in("403", chair=chair)


def authors_of_paper(authors: str, chair: str) -> dict[str, str]:
    """Paper 1's pages in the author's area: a 404 for whoever may not know the paper exists."""
    return signed_in("404", author=authors, coauthor=authors, chair=chair)


def reviewers_of_paper(reviewer: str, chair: str = "404") -> dict[str, str]:
    """Paper 1's pages in the reviewing area: the assigned reviewer (not the conflicted one) and the chairs."""
    return signed_in("404", reviewer=reviewer, chair=chair)


REVIEWERS = ("reviewer", "unassigned", "conflicted")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    # --- public pages
    ("static", "GET"): PUBLIC,
    ("public.home", "GET"): PUBLIC,
    ("public.cfp", "GET"): PUBLIC,
    ("public.speakers", "GET"): PUBLIC,
    ("public.organizers", "GET"): PUBLIC,
    ("public.accepted", "GET"): PUBLIC,
    ("public.accepted_pdf", "GET"): PUBLIC,  # paper 1 is accepted and published: its camera-ready PDF
    ("sponsors.index", "GET"): PUBLIC,
    ("sponsors.index", "POST"): every("422"),
    ("sponsors.thanks", "GET"): PUBLIC,
    # --- signing in and out; a signed link works for whoever holds it
    ("auth.register", "GET"): every("redirect", anon="ok"),  # signed in: to the account page
    ("auth.register", "POST"): every("redirect", anon="422"),
    ("auth.check_inbox", "GET"): PUBLIC,
    ("auth.confirm", "GET"): every("login"),  # the chair's address, confirmed already: on to sign in
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
    ("submissions.extension", "POST"): authors_of_paper("403", chair="redirect!"),  # back to the common deadline
    ("submissions.all_submissions", "GET"): chair_only(),
    # --- reviewing
    ("review.index", "GET"): signed_in(),  # one's own assignments (none for a non-reviewer)
    ("review.bids", "GET"): signed_in("403", **dict.fromkeys(REVIEWERS, "ok")),
    ("review.bids", "POST"): signed_in("403", **dict.fromkeys(REVIEWERS, "redirect")),  # no bid: none changes
    ("review.paper", "GET"): reviewers_of_paper("ok", chair="ok"),
    ("review.pdf", "GET"): reviewers_of_paper("ok", chair="ok"),
    ("review.review", "GET"): reviewers_of_paper("ok"),
    ("review.review", "POST"): reviewers_of_paper("422"),
    ("review.discuss", "POST"): reviewers_of_paper("422", chair="422"),  # an empty comment comes back refused
    # a paper's manager only (paper 1 has none: nobody may know these exist)
    ("review.manage_assign", "POST"): signed_in("404"),
    ("review.manage_remove", "POST"): signed_in("404"),
    ("review.manage_decide", "POST"): signed_in("404"),
    # --- chairs: settings and members
    ("settings.index", "GET"): chair_only(),
    ("settings.index", "POST"): chair_only("422"),
    ("members.index", "GET"): chair_only(),
    ("members.set_role", "POST"): chair_only("400"),
    ("members.invitations", "GET"): chair_only(),
    ("members.invitations", "POST"): chair_only("422"),
    ("members.resend_invitation", "POST"): chair_only("redirect!"),
    ("members.revoke_invitation", "POST"): chair_only("redirect!"),
    # --- chairs: the console, reviewing, assignment
    ("chair.home", "GET"): chair_only(),
    ("chair.submissions", "GET"): chair_only(),
    ("chair.paper", "GET"): chair_only(),
    ("chair.reviewing", "GET"): chair_only(),
    ("chair.reviewing", "POST"): chair_only("422"),
    ("chair.conflicts", "GET"): chair_only(),
    ("chair.conflicts", "POST"): chair_only("ok"),  # no pair given: the page again
    ("chair.change_conflict", "POST"): chair_only("redirect!"),  # lifts the conflicted reviewer's conflict
    ("chair.assignments", "GET"): chair_only(),
    ("chair.add_assignment", "POST"): chair_only("404"),  # no paper named
    ("chair.remove_assignment", "POST"): chair_only("redirect"),  # the review is submitted: refused
    ("chair.restore_assignment", "POST"): chair_only("redirect"),  # not suspended: refused
    ("chair.set_manager", "POST"): chair_only("redirect"),  # no address given: refused
    ("chair.external", "POST"): chair_only("422"),  # the form comes back with its errors
    ("chair.run_assignment", "POST"): chair_only("redirect!"),
    ("chair.remind", "POST"): chair_only("redirect!"),
    ("chair.proposal", "GET"): chair_only(),
    ("chair.change_proposal", "POST"): chair_only("redirect!"),  # discards the draft
    # --- chairs: decisions, letters, mail, exports, jobs, audit log
    ("chair.decisions", "GET"): chair_only(),
    ("chair.decide", "POST"): chair_only("redirect"),  # the letter is sent: the decision is final
    ("chair.decide_bulk", "POST"): chair_only("redirect"),  # nothing selected
    ("chair.publish", "POST"): chair_only("redirect!"),  # no "published=1": hides the accepted papers
    ("chair.letters", "GET"): chair_only(),
    ("chair.letters", "POST"): chair_only("redirect!"),
    ("chair.letter", "GET"): chair_only(),
    ("chair.letter", "POST"): chair_only("redirect"),  # sent: no longer editable
    ("chair.send_letters", "POST"): chair_only("redirect!"),
    ("chair.resend_letter", "POST"): chair_only("redirect!"),
    ("chair.mail", "GET"): chair_only(),
    ("chair.mail", "POST"): chair_only("422"),
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
}  # fmt: skip


# --- the people and what they wrote -------------------------------------------------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "author": {"email": "ada@example.org", "name": "Ada Quillfeather", "affiliation": "Alpha Institute"},
    "coauthor": {"email": "cora@example.org", "name": "Cora Brightwater", "affiliation": "Brightwater Lab"},
    "other": {"email": "otto@example.org", "name": "Otto Lindqvist", "affiliation": "Omega College"},
    "reviewer": {"email": "rita@example.org", "name": "Rita Revelstoke", "affiliation": "Rita Research Centre",
                 "roles": ("reviewer",)},
    "unassigned": {"email": "una@example.org", "name": "Una Underhill", "affiliation": "Una Polytechnic",
                   "roles": ("reviewer",)},
    # Assigned to paper 1, then moved to the authors' institute: conflicted while still assigned.
    "conflicted": {"email": "ivan@example.org", "name": "Ivan Ironside", "affiliation": "Ivan College",
                   "roles": ("reviewer",)},
    "chair": {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Chair University",
              "roles": ("chair",)},
}  # fmt: skip
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
}
COMMENT = "Discussion note: does the speed-up hold on eight devices?"
INVITATION_TOKEN = "audit-invitation-token-0123456789abcdef"


def identity(role: str) -> list[str]:
    return [PEOPLE[role]["name"], PEOPLE[role]["email"]]


# What each person may read, anywhere (files and headers included): (what, who may, where else it is public).
PUBLISHED = ("public.",)  # paper 1 is accepted and published: its title, abstract and authors are public there
SECRETS: list[tuple[list[str], set[str], tuple[str, ...]]] = [
    # Double-blind: the authors of a paper are known to themselves and the chairs.
    ([*identity("author"), *identity("coauthor"), *HUGO, "Brightwater Lab"], {"author", "coauthor", "chair"},
     PUBLISHED),
    ([*identity("other"), "Omega College"], {"other", "chair"}, ()),
    # A paper is known to its authors, the chairs, and the reviewers who may bid on it (not the conflicted).
    ([P1_TITLE, P1_ABSTRACT], {"author", "coauthor", "reviewer", "unassigned", "chair"}, PUBLISHED),
    ([P2_TITLE, P2_ABSTRACT], {"other", *REVIEWERS, "chair"}, ()),
    # Who reviews a paper: the chairs, and the reviewer.
    (identity("reviewer"), {"reviewer", "chair"}, ()),
    (identity("conflicted"), {"conflicted", "chair"}, ()),
    (identity("unassigned"), {"unassigned", "chair"}, ()),
    # The review, the discussion: the chairs and the reviewer who wrote them (no other reviewer has submitted);
    # the authors get the comments to the authors with the decision.
    ([REVIEW["summary"], REVIEW["strengths"], REVIEW["weaknesses"], REVIEW["confidential_comments"], COMMENT],
     {"reviewer", "chair"}, ()),
    ([REVIEW["comments_to_authors"]], {"author", "coauthor", "reviewer", "chair"}, ()),
]  # fmt: skip


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
    cookies: dict[str, str] = field(default_factory=dict)  # role -> session cookie


_checked: dict[str, subs.CheckedFile] = {}  # the PDF check runs in a child process: once per run


def build_world(app: Flask) -> World:
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        deadline = ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper deadline", at=now + timedelta(days=3))
        ws.dates += [deadline, ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready",
                                             at=now + timedelta(days=20))]  # fmt: skip
        db.session.flush()
        users = {role: make_user(**spec) for role, spec in PEOPLE.items()}
        sub_type, topic = ws.submission_types[0], ws.topics[0]

        def check(key: str, authors: list[subs.AuthorInput], kind: FileKind = FileKind.PAPER) -> subs.CheckedFile:
            if key not in _checked:
                # Paper 1's PDF names its submitter in its metadata: the reviewers' copy must not.
                pdf = make_pdf(3, text=f"The paper {key}.", author=PEOPLE["author"]["name"] if key != "p2" else "")
                _checked[key] = subs.check_paper(ws, sub_type, authors, pdf, f"{key}.pdf", kind=kind)
            return _checked[key]

        def submit(key: str, submitter: str, title: str, abstract: str, authors: list[subs.AuthorInput]) -> Submission:
            details = subs.Details(title=title, abstract=abstract, type_id=sub_type.id, primary_topic_id=topic.id,
                                   secondary_topic_ids=[], keywords="long context", authors=authors,
                                   declared_conflicts="")  # fmt: skip
            return subs.create_submission(ws, users[submitter], details, paper=check(key, authors))

        p1_authors = [subs.AuthorInput(*(PEOPLE[r][k] for k in ("name", "email", "affiliation")))
                      for r in ("author", "coauthor")] + [subs.AuthorInput(*HUGO)]  # fmt: skip
        p2_authors = [subs.AuthorInput(*(PEOPLE["other"][k] for k in ("name", "email", "affiliation")))]
        p1 = submit("p1", "author", P1_TITLE, P1_ABSTRACT, p1_authors)
        p2 = submit("p2", "other", P2_TITLE, P2_ABSTRACT, p2_authors)
        deadline.at = now - timedelta(days=1)
        ws.phase, ws.reviews_per_paper, ws.review_deadline = Phase.REVIEWING, 2, now + timedelta(days=10)
        db.session.flush()

        chair = users["chair"]
        own = reviewing.assign_reviewer(chair, ws, p1, users["reviewer"])
        reviewing.assign_reviewer(chair, ws, p1, users["conflicted"])
        reviewing.assign_reviewer(chair, ws, p2, users["unassigned"])
        reviewing.save_review(ws, own, {**REVIEW, "recommendation": 4, "confidence": 3}, submit=True, version=None)
        reviewing.post_comment(ws, users["reviewer"], p1, COMMENT)
        users["conflicted"].affiliation = PEOPLE["author"]["affiliation"]
        decide_and_notify(ws, p1, Decision.ACCEPTED, chair)
        subs.upload_camera_ready(ws, users["author"], p1, title=P1_TITLE, authors=p1_authors, version=p1.version,
                                 paper=check("p1-final", p1_authors, FileKind.CAMERA_READY))  # fmt: skip
        ws.accepted_published = True
        proposal = reviewing.propose_assignment(chair, ws)
        job = Job(kind="assignment", state=JobState.FAILED, args={"workshop_id": ws.id}, attempts=1,
                  error="The worker was lost.", created_by_id=chair.id)  # fmt: skip
        invitation = Invitation(email="nina@example.org", name="Nina Newcomer", invited_by=chair,
                                token_hash=_hash_token(INVITATION_TOKEN))  # fmt: skip
        db.session.add_all([job, invitation])
        db.session.flush()
        una = users["unassigned"]
        tokens = {
            "auth.confirm": make_token("confirm", {"uid": chair.id, "email": chair.email}),
            "auth.reset": make_token("reset", {"uid": chair.id, "pw": _password_fingerprint(chair)}),
            "account.confirm_email_change": make_token("change-email", {"uid": una.id, "new": "una.u@example.org",
                                                                        "old": una.email}),
            "auth.invitation": INVITATION_TOKEN,
        }  # fmt: skip
        world = World(
            users={role: u.id for role, u in users.items()}, p1=p1.id, p2=p2.id,
            revision=db.session.scalar(sa.select(Revision.id).where(Revision.submission_id == p1.id,
                                                                    Revision.kind == FileKind.PAPER)),
            assignment=own.id, letter=db.session.scalar(sa.select(Letter.id).where(Letter.submission_id == p1.id)),
            proposal=proposal.id, job=job.id, invitation=invitation.id,
            topic=db.session.scalar(sa.select(Topic.id).where(Topic.id != topic.id).order_by(Topic.position.desc())),
            speaker=db.session.scalar(sa.select(Person.id).where(Person.role == PersonRole.SPEAKER)),
            tokens=tokens,
        )  # fmt: skip
        db.session.commit()
    assert world.letter and world.revision and world.topic and world.speaker
    return world


def sign_in_everyone(app: Flask, world: World) -> None:
    """Sign each person in once through the sign-in form and keep the session cookie."""
    for role, spec in PEOPLE.items():
        client = app.test_client()
        response = client.post("/auth/login", data={"email": spec["email"], "password": PASSWORD})
        assert response.headers.get("Location") == "/account/", f"{role} could not sign in"
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
        "number": world.p1, "revision_id": world.revision, "assignment_id": world.assignment,
        "reviewer_id": world.users["conflicted"], "letter_id": world.letter, "proposal_id": world.proposal,
        "job_id": world.job, "invitation_id": world.invitation, "user_id": world.users["unassigned"],
        "filename": "css/site.css", "answer": "accept", "kind": "topics", "role": "speaker", "fmt": "csv",
        "item_id": world.speaker if "role" in rule.arguments else world.topic,
    }  # fmt: skip
    values.update({
        "chair.change_conflict": {"action": "lift"},
        "chair.change_proposal": {"action": "discard"},
        "chair.export": {"kind": "reviews"},  # the most private of the three
    }.get(rule.endpoint, {}))  # fmt: skip
    if rule.endpoint in world.tokens:
        values["token"] = world.tokens[rule.endpoint]
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule.endpoint}: no value for {sorted(missing)}; add one to url_args"
    return {name: values[name] for name in rule.arguments}


MISSING = 987_654  # an id that names nothing


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
KNOWS_THE_PAPER = {"author", "coauthor", "reviewer", "unassigned", "chair"}
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
    found = []
    for texts, allowed, public in SECRETS:
        if role in allowed or endpoint.startswith(public or ("\0",)):
            continue
        found += [t for t in texts if t.encode() in seen or html.escape(t).encode() in seen]
    return found


# --- the audit ----------------------------------------------------------------------------------------


def test_table_names_every_route_and_method(app: Flask) -> None:
    """A new route (or a new method) fails here by name until it has its row; a row of a gone route too."""
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}  # fmt: skip
    assert sorted(routes - EXPECTED.keys()) == [], "routes without a row in EXPECTED"
    assert sorted(EXPECTED.keys() - routes) == [], "rows in EXPECTED for routes that no longer exist"
    assert [key for key, row in EXPECTED.items() if set(row) != set(ROLES)] == []


def test_every_route_answers_each_role_as_the_table_says(app: Flask) -> None:
    world = build_world(app)
    sign_in_everyone(app, world)
    database = Database(app)
    problems: list[str] = []

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
        changed = database.changed_tables()
        outcome = outcome_of(response) + (f"! ({', '.join(changed)} changed)" if changed else "")
        return outcome, text_of(response) if response.mimetype == "text/html" else ""

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
                    problems.append(f"{req.method} {req.missing} (nothing there) as {role}: {missing[0]}, expected "
                                    f"{' or '.join(sorted(allowed))}")  # fmt: skip
                elif real and missing and allowed == {row[role]} != {"login"} and real[1] != missing[1]:
                    problems.append(f"{req.method} {req.url} as {role}: the {row[role]} page differs from the one for "
                                    f"{req.missing}: {real[1]!r} / {missing[1]!r}")  # fmt: skip
    finally:
        database.close()
    assert not problems, "\n".join(problems)
