"""The route-by-role audit of the JSON API: every ``api.*`` route, every method, asked with the personal access token
of each of the eleven people of the route audit's world (tests/views/test_route_audit.py), against ``EXPECTED``.

As there: each answer is sorted into an outcome and compared with the table (a trailing "!" when the database must
change, and without it it must not); every answer is searched for what that person may not read (the same
secrets: the papers' authors, the reviews, the discussion, who reviews); a route that names objects by id is asked
again with ids that name nothing, and whoever may not know the object exists gets the very same answer, byte for
byte. Here also every answer is validated against the OpenAPI description (``test_api.check``). A write carries
an empty JSON object (``{}``): it shows what a bare request can do. "anon" sends no token.

The API's world adds to the route audit's what its area-chair and response routes read (``build_api_world``):
paper 1's submitted meta-review, its authors' response (the response deadline past) and its area chair's request for
an extra review; their words are secrets too (``MORE_SECRETS``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, url_for
from werkzeug.test import TestResponse

from portal.api.core import spec_path
from portal.db import db, utcnow
from portal.models import ApiToken, AuthorResponse, ExtraReviewRequest, MetaReview, User, Workshop
from portal.services import api_tokens
from tests.conftest import SMTPRecorder
from tests.views.test_api import check
from tests.views.test_route_audit import (
    API,
    AUTHORS,
    MISSING,
    REVIEWERS,
    ROLES,
    Database,
    World,
    app,  # noqa: F401 (the audit's app: rate limits off)
    app_config,  # noqa: F401
    build_world,
    every,
    leaks,
    url_args,
    when_missing,
)

META_FOR_AUTHORS = "Meta-review for the authors: the reviewers agree the speed-up is real."
META_FOR_CHAIRS = "Confidential to the chairs: accept, the draft reviewer was late."
RESPONSE = "Authors' response: we ran the eight-device experiment."
EXTRA = "Extra review wanted: nobody here knows ring attention."
#: What the API's world adds that some may not read: (texts, who may read them), as the route audit's SECRETS.
MORE_SECRETS: list[tuple[list[str], set[str]]] = [
    ([META_FOR_CHAIRS], {"area_chair", "chair"}),  # (the recommendation, and the note to the chairs)
    ([META_FOR_AUTHORS], {*AUTHORS, "reviewer", "area_chair", "chair"}),  # the authors once the letter is sent
    ([RESPONSE], {*AUTHORS, "reviewer", "drafting", "area_chair", "chair"}),  # its reviewers after the deadline
    ([EXTRA], {"area_chair", "chair"}),  # the area chair's request for an extra review, to the chairs
]


@dataclass
class ApiWorld(World):
    extra_review: int = 0  # the area chair's open request for an extra review of paper 1


def build_api_world(app: Flask) -> ApiWorld:  # noqa: F811
    """The route audit's world, with paper 1's meta-review (submitted by its area chair), its authors' response
    (the response deadline past: its reviewers read it) and its area chair's request for an extra review."""
    world = ApiWorld(**vars(build_world(app)))
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.response_opens_at, ws.response_deadline = utcnow() - timedelta(days=5), utcnow() - timedelta(days=1)
        answers = {"recommendation": 2, "metareview": META_FOR_AUTHORS, "confidential": META_FOR_CHAIRS}
        db.session.add_all(
            [
                MetaReview(submission_id=world.p1, author_id=world.users["area_chair"], answers=answers, submitted_at=utcnow()),
                AuthorResponse(submission_id=world.p1, body=RESPONSE, updated_by_id=world.users["author"]),
                ExtraReviewRequest(submission_id=world.p1, requested_by_id=world.users["area_chair"], reason=EXTRA),
            ]
        )
        db.session.commit()
        world.extra_review = db.session.scalar(sa.select(ExtraReviewRequest.id))
    return world


def more_leaks(seen: bytes, role: str) -> list[str]:
    return [t for texts, allowed in MORE_SECRETS if role not in allowed for t in texts if t.encode() in seen]


def tokened(outcome: str, **roles: str) -> dict[str, str]:
    """Without a token: 401; with one, ``outcome`` for everyone except the roles named."""
    return {**every(outcome, **roles), "anon": "401"}


def paper_one(authors: str, chair: str, others: str = "404") -> dict[str, str]:
    """Paper 1, as in the author's area: its authors (by any address), the chair who is not its author, and a 404
    for whoever may not know it exists."""
    return tokened(others, **dict.fromkeys(AUTHORS, authors), chair=chair)


def chairs(outcome: str, **roles: str) -> dict[str, str]:
    """The chairs' resources: ``outcome`` for both chairs (unless named), 403 for everyone else with a token."""
    return tokened("403", **{"chair": outcome, "chair_author": outcome, **roles})


EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("api.openapi_json", "GET"): every("ok"),
    ("api.workshop", "GET"): every("ok"),
    ("api.topics", "GET"): every("ok"),
    ("api.dates", "GET"): every("ok"),
    ("api.submission_types", "GET"): every("ok"),
    ("api.submission_list", "GET"): tokened("ok"),
    ("api.create_submission", "POST"): tokened("422"),  # {} names no title
    ("api.submission", "GET"): paper_one("ok", chair="ok"),
    ("api.change_submission", "PATCH"): paper_one("428", chair="403"),  # no If-Match: nothing is changed blindly
    ("api.upload_revision", "POST"): paper_one("428", chair="403"),
    ("api.withdraw_submission", "POST"): paper_one("409", chair="403"),  # decided: write to the chairs
    # bids: reviewers (the author who moved is one too); {} names no bid
    ("api.bid_list", "GET"): tokened("403", **dict.fromkeys(REVIEWERS, "ok")),
    ("api.place_bid", "PUT"): tokened("422"),
    # the chairs' resources: 403 for everyone else, as the chairs' pages
    ("api.paper_list", "GET"): chairs("ok"),
    ("api.decision_list", "GET"): chairs("ok"),
    ("api.decide", "PUT"): tokened("422"),  # {} names no decision
    ("api.letter_list", "GET"): chairs("ok"),
    ("api.send_letters", "POST"): chairs("ok!"),  # every draft ready: a job, run at once without Redis
    ("api.job", "GET"): chairs("ok", chair_author="404"),  # the world's job is the first chair's: hers alone
    ("api.user_list", "GET"): chairs("ok"),
    ("api.grant_role", "PUT"): chairs("ok"),  # Una is a reviewer already: nothing changes
    ("api.revoke_role", "DELETE"): chairs("ok!"),
    ("api.invitation_list", "GET"): chairs("ok"),
    ("api.invite", "POST"): tokened("422"),  # {} names nobody
    ("api.resend_invitation", "POST"): chairs("ok!"),  # the world's pending invitation: a new link, a new mail
    ("api.revoke_invitation", "DELETE"): chairs("ok!"),
    ("api.audit_log", "GET"): chairs("ok"),
    ("api.assignment_list", "GET"): chairs("ok"),
    ("api.assign", "POST"): tokened("422"),
    # paper 1's reviewer submitted: refused, in words; for the chair who is its author, nothing there
    ("api.unassign", "DELETE"): chairs("409", chair_author="404"),
    ("api.run_assignment", "POST"): chairs("ok!"),
    # the reviewer's assignment is not suspended: refused in words; for the chair who is an author, nothing there
    ("api.restore_assignment", "POST"): chairs("409", chair_author="404"),
    ("api.remind_reviewers", "POST"): chairs("ok!"),  # the one with a draft (of paper 2's, for the author-chair)
    ("api.proposal", "GET"): chairs("ok"),
    ("api.apply_proposal", "POST"): chairs("ok!"),
    # reviews and the discussion: paper 1's reviewers (the one with a draft reads no other review yet) and the chair
    # who handles it; a 404 for whoever may not know of its review
    ("api.form", "GET"): tokened("403", **dict.fromkeys(REVIEWERS, "ok"), chair="ok", chair_author="ok"),
    # (its authors too, the letter sent: the fields for them, as "Reviewer N")
    ("api.paper_reviews", "GET"): tokened(
        "404", **dict.fromkeys(AUTHORS, "ok"), reviewer="ok", drafting="ok", chair="ok", area_chair="ok"
    ),
    ("api.every_review", "GET"): chairs("ok"),
    ("api.own_review", "GET"): tokened("404", reviewer="ok", drafting="ok"),
    ("api.save_review", "PUT"): tokened("422"),  # {} gives no answers
    ("api.discussion_list", "GET"): tokened("404", reviewer="ok", drafting="403", chair="ok", area_chair="ok"),
    ("api.post_comment", "POST"): tokened("422"),  # {} says nothing
    # a reviewer gives paper 1 back: the one with a draft may (and does); the one who submitted, refused in words
    ("api.decline", "POST"): tokened("404", reviewer="409", drafting="ok!"),
    # the authors' response: its authors write it ({} has no text); its readers, the deadline past
    ("api.author_response", "GET"): tokened(
        "404", **dict.fromkeys(AUTHORS, "ok"), reviewer="ok", drafting="ok", area_chair="ok", chair="ok"
    ),
    ("api.save_author_response", "PUT"): tokened("422"),
    ("api.tell_reviewers_responses", "POST"): chairs("ok!"),
    ("api.reviewing_settings", "GET"): chairs("ok"),
    ("api.change_reviewing_settings", "PATCH"): chairs(
        "ok!"
    ),  # {} changes no setting; the audit log records the save  # the deadline past: paper 1's reviewers are mailed
    # area chairs: the chairs' resources, then the area chair's own; paper 1's meta-review as each may read it
    ("api.area_chair_list", "GET"): chairs("ok"),
    ("api.set_area_chair_loads", "PUT"): tokened("422"),  # {} names no default maximum
    ("api.set_paper_area_chair", "PUT"): tokened("422"),  # {} names nobody
    ("api.clear_paper_area_chair", "DELETE"): chairs("ok!", chair_author="404"),
    ("api.run_area_chair_assignment", "POST"): chairs("ok!"),
    ("api.area_chair_proposal", "GET"): chairs("ok"),
    ("api.apply_area_chair_proposal", "POST"): chairs("ok!"),
    ("api.overseen_papers", "GET"): tokened("403", area_chair="ok"),
    ("api.meta_review_form", "GET"): tokened("403", area_chair="ok", chair="ok", chair_author="ok"),
    ("api.meta_review", "GET"): tokened("404", **dict.fromkeys(AUTHORS, "ok"), reviewer="ok", area_chair="ok", chair="ok"),
    ("api.save_meta_review", "PUT"): tokened("422"),  # {} gives no answers
    # paper 1's area chair: its meta-review is in, so no giving it back; Reviewer 3 (a draft) is reminded
    ("api.decline_area_chair", "POST"): tokened("404", area_chair="409"),
    ("api.remind_reviewer", "POST"): tokened("404", area_chair="ok!"),
    ("api.ask_extra_review", "POST"): tokened("422"),  # {} gives no reason
    ("api.extra_review_list", "GET"): chairs("ok"),
    ("api.resolve_extra_review", "POST"): chairs("ok!", chair_author="404"),
    ("api.discard_area_chair_proposal", "POST"): chairs("ok!"),
    # the system mails' wording (the chairs')
    ("api.mail_template_list", "GET"): chairs("ok"),
    ("api.mail_template", "GET"): chairs("ok"),
    ("api.save_mail_template", "PUT"): tokened("422"),  # {} has no subject
    ("api.reset_mail_template", "DELETE"): chairs("ok"),  # the portal's text already: nothing to reset
}


#: The lists that are a page's list as data: the members page names every member of the program committee.
SAME_LIST = {"api.user_list": "members.index"}


def outcome_of(response: TestResponse) -> str:
    return "ok" if 200 <= response.status_code < 300 else str(response.status_code)


def test_the_table_names_every_api_route_and_method(app: Flask) -> None:  # noqa: F811
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(API)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert sorted(routes - EXPECTED.keys()) == [], "API routes without a row in EXPECTED"
    assert sorted(EXPECTED.keys() - routes) == [], "rows for API routes that no longer exist"
    assert [key for key, row in EXPECTED.items() if set(row) != set(ROLES)] == []


def test_every_api_route_answers_each_role_as_the_table_says(app: Flask, smtp: SMTPRecorder) -> None:  # noqa: F811
    world = build_api_world(app)
    secrets: dict[str, str] = {}
    with app.app_context():
        for role, uid in world.users.items():
            user = db.session.get(User, uid)
            secrets[role] = api_tokens.create_token(user, user, name="audit", scope="write")[1]
        # Used a moment ago: the audit's requests do not write their last use (the database must stay as it was).
        db.session.execute(sa.update(ApiToken).values(last_used_at=utcnow()))
        db.session.commit()
    problems: list[str] = []
    database = Database(app)

    def ask(role: str, method: str, url: str, endpoint: str, path: str) -> tuple[str, bytes] | None:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secrets[role]}"} if role != "anon" else {}
        try:
            response = client.open(url, method=method, headers=headers, json={} if method != "GET" else None)
        except Exception as exc:  # a 500: the test client re-raises it (TESTING)
            problems.append(f"{method} {url} as {role}: 500 {type(exc).__name__}: {exc}")
            database.restore()
            return None
        if found := leaks(response, role, SAME_LIST.get(endpoint, endpoint)) + more_leaks(response.get_data(), role):
            problems.append(f"{method} {url} as {role} shows {found}")
        if "Set-Cookie" in response.headers:
            problems.append(f"{method} {url} as {role} sets a cookie")
        try:
            check(app, response, method, path)
        except AssertionError as error:
            problems.append(f"{method} {url} as {role}: {error}")
        except Exception as error:  # jsonschema's ValidationError
            problems.append(f"{method} {url} as {role}: the answer does not match the description: {error}")
        changed = database.changed_tables()
        return outcome_of(response) + ("!" if changed else ""), response.get_data()

    try:
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
            if not rule.endpoint.startswith(API):
                continue
            with app.test_request_context():
                args = url_args(world, rule)
                if "role" in args:
                    args["role"] = "reviewer"  # (the pages' role argument is a speaker's; here a person's role)
                if "request_id" in args:
                    args["request_id"] = world.extra_review
                if "kind" in args:
                    args["kind"] = "assignment"  # (the pages' kind is a content kind; here a system mail's)
                ids = {name: MISSING for name, value in args.items() if isinstance(value, int)}
                urls = (url_for(rule.endpoint, **args), url_for(rule.endpoint, **args | ids) if ids else None)
            path = spec_path(rule.rule.removeprefix("/api/v1"))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                row = EXPECTED.get((rule.endpoint, method))
                if row is None:
                    problems.append(f"{method} {rule.endpoint}: no row in EXPECTED")
                    continue
                for role in ROLES:
                    real = ask(role, method, urls[0], rule.endpoint, path)
                    if real is not None and real[0] != row[role]:
                        problems.append(f"{method} {urls[0]} as {role}: {real[0]}, expected {row[role]}")
                    if urls[1] is None:
                        continue
                    missing = ask(role, method, urls[1], rule.endpoint, path)
                    expected = "login" if row[role] == "401" else row[role]
                    allowed = {"401" if a == "login" else a for a in when_missing(expected, role)}
                    if row[role] == "422":
                        allowed = {"422"}  # the schema is checked before anything is looked up: the same answer
                    if missing is not None and missing[0] not in allowed:
                        problems.append(f"{method} {urls[1]} (nothing there) as {role}: {missing[0]}, expected {sorted(allowed)}")
                    elif real and missing and allowed == {row[role]} and real[1] != missing[1]:
                        problems.append(f"{method} {urls[0]} as {role}: the {row[role]} differs from {urls[1]}'s")
    finally:
        database.close()
    assert not problems, "\n".join(problems)
