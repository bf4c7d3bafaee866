"""The JSON API (issue 23): tokens, the OpenAPI description, the public and submission resources. Every answer is
validated against the description (``check``)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from portal.api.core import reference_page, spec_path
from portal.db import CLOCK, db, utcnow
from portal.extensions import limiter
from portal.models import ApiToken, DateKind, ImportantDate, Submission, SubmissionType, Topic, User, Workshop
from portal.services import accounts, api_tokens
from tests.conftest import SMTPRecorder, Worlds, csrf_token, text_of
from tests.factories import create_users, login
from tests.pdfs import make_pdf

STATIC = Path(__file__).resolve().parents[2] / "static"
_specs: dict[int, dict[str, Any]] = {}


def spec_of(app: Flask) -> dict[str, Any]:
    if id(app) not in _specs:
        _specs[id(app)] = app.test_client().get("/api/v1/openapi.json").get_json()
    return _specs[id(app)]


def check(app: Flask, response: TestResponse, method: str, path: str) -> Any:
    """The answer's body, validated against the operation's schema for its status in the description."""
    spec = spec_of(app)
    op = spec["paths"][path][method.lower()]
    declared = op["responses"].get(str(response.status_code))
    assert declared is not None, f"{method} {path} answered {response.status_code}, which its description does not name"
    if not declared.get("content"):
        return None
    media = "application/problem+json" if response.status_code >= 400 else "application/json"
    assert response.mimetype == media, response.get_data(as_text=True)[:300]
    body = response.get_json()
    registry = Registry().with_resource("urn:api", Resource.from_contents(spec, default_specification=DRAFT202012))
    ref = declared["content"][media]["schema"]["$ref"].replace("#", "urn:api#", 1)
    jsonschema.Draft202012Validator({"$ref": ref}, registry=registry).validate(body)
    return body


def token_for(app: Flask, email: str, scope: str = "write", **kwargs: Any) -> str:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        _, secret = api_tokens.create_token(user, user, name="test", scope=scope, **kwargs)
        db.session.commit()
        return secret


def api(client: FlaskClient, method: str, url: str, token: str | None = None, **kwargs: Any) -> TestResponse:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open("/api/v1" + url, method=method, headers=headers, **kwargs)


def test_the_description_is_openapi_3_1_and_names_every_api_route(app: Flask) -> None:
    spec = spec_of(app)
    assert spec["openapi"] == "3.1.0"
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = spec_path(rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == routes
    jsonschema.Draft202012Validator.check_schema(spec["components"]["schemas"]["Problem"])


def test_public_resources_answer_without_a_token_and_match_the_site(app: Flask, client: FlaskClient) -> None:
    response = api(client, "GET", "/workshop")
    body = check(app, response, "GET", "/workshop")
    assert body["short_name"] == "LongLLM"
    assert "Set-Cookie" not in response.headers
    topics = check(app, api(client, "GET", "/topics"), "GET", "/topics")["items"]
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        assert [t["title"] for t in topics] == [t.title for t in ws.topics]
    dates = check(app, api(client, "GET", "/dates"), "GET", "/dates")["items"]
    assert all(d["at"].endswith("Z") or d["at"].endswith("+00:00") for d in dates)
    types = check(app, api(client, "GET", "/submission-types"), "GET", "/submission-types")["items"]
    assert {t["name"] for t in types} >= {"Full paper"}


# --- tokens ---------------------------------------------------------------------------------------------

ADA = {"email": "ada@example.org", "name": "Ada Lovelace", "affiliation": "Analytical Society"}
BOB = {"email": "bob@example.org", "name": "Bob Babbage", "affiliation": "Difference College"}
CHAIR = {"email": "chair@example.org", "name": "Carla Chair", "affiliation": "Workshop University", "roles": ("chair",)}
TITLE = "Attention Sinks at a Million Tokens"
ABSTRACT = "We study attention over very long inputs."


def test_a_token_is_stored_as_its_hash_and_signs_in_its_owner_only_for_the_request(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA)
    secret = token_for(app, ADA["email"], "read")
    with app.app_context():
        row = db.session.scalars(sa.select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in str(vars(row))
        assert row.prefix == secret[:13] and secret.startswith("llmp_")
        assert row.expires_at - row.created_at == timedelta(days=90)
    response = api(client, "GET", "/submissions", secret)
    assert check(app, response, "GET", "/submissions") == {"items": [], "next_cursor": None}
    with app.app_context():
        used = db.session.scalars(sa.select(ApiToken.last_used_at)).one()
        assert used is not None and utcnow() - used < timedelta(minutes=1)
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    # No token: 401 with the way to send one; a wrong one: the same kind of answer.
    refused = check(app, api(client, "GET", "/submissions"), "GET", "/submissions")
    assert refused["status"] == 401 and "Bearer" in refused["detail"]
    assert check(app, api(client, "GET", "/submissions", secret + "x"), "GET", "/submissions")["detail"] == (
        "This token is not valid: it may be mistyped, expired or revoked."
    )


def test_a_session_cookie_signs_nobody_in_to_the_api_and_no_cookie_is_set(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA)
    assert login(client, ADA["email"]).status_code == 302
    response = api(client, "GET", "/submissions")
    assert check(app, response, "GET", "/submissions")["status"] == 401
    secret = token_for(app, ADA["email"])
    response = api(client, "GET", "/submissions", secret)  # the cookie rides along: neither read nor renewed
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    # A write with the cookie and no token is refused as anonymous: nothing a forged cross-site form could use.
    response = api(client, "POST", "/submissions", json={})
    assert check(app, response, "POST", "/submissions")["status"] == 401
    assert (
        "Access-Control-Allow-Origin" not in api(client, "GET", "/workshop", headers={"Origin": "https://evil.example"}).headers
    )


def test_an_expired_or_revoked_token_is_refused(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA)
    short = token_for(app, ADA["email"], days=1)
    other = token_for(app, ADA["email"])
    assert api(client, "GET", "/submissions", short).status_code == 200
    CLOCK.offset = timedelta(days=2)
    try:
        assert check(app, api(client, "GET", "/submissions", short), "GET", "/submissions")["status"] == 401
        assert api(client, "GET", "/submissions", other).status_code == 200
    finally:
        CLOCK.reset()
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == other[:13]))
        api_tokens.revoke_token(row.user, row)
        db.session.commit()
    assert check(app, api(client, "GET", "/submissions", other), "GET", "/submissions")["status"] == 401


def test_a_read_token_cannot_write(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA)
    secret = token_for(app, ADA["email"], "read")
    body = check(app, api(client, "POST", "/submissions", secret, json={}), "POST", "/submissions")
    assert body["status"] == 403 and "scope is read" in body["detail"]


@pytest.mark.parametrize("how", ["role taken away", "signed out everywhere", "password changed"])
def test_tokens_are_revoked_with_the_owners_role_sessions_or_password(app: Flask, client: FlaskClient, how: str) -> None:
    create_users(app, CHAIR, {**BOB, "roles": ("chair",)})
    secret = token_for(app, CHAIR["email"])
    assert api(client, "GET", "/submissions", secret).status_code == 200
    with app.app_context():
        carla = db.session.scalar(sa.select(User).where(User.email == CHAIR["email"]))
        bob = db.session.scalar(sa.select(User).where(User.email == BOB["email"]))
        if how == "role taken away":
            accounts.set_role(bob, carla, "chair", False)
        elif how == "signed out everywhere":
            accounts.sign_out_everywhere(carla)
        else:
            accounts.set_password(None, carla, "another long passphrase here")
        db.session.commit()
        reason = db.session.scalars(sa.select(ApiToken.revoked_reason)).one()
    assert check(app, api(client, "GET", "/submissions", secret), "GET", "/submissions")["status"] == 401
    assert (
        reason
        == {
            "role taken away": "the chair role was taken away",
            "signed out everywhere": "signed out everywhere",
            "password changed": "the password was changed",
        }[how]
    )


def test_requests_are_limited_per_token(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA, BOB)
    first, second = token_for(app, ADA["email"]), token_for(app, BOB["email"])
    app.config.update(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute", RATELIMIT_KEY_PREFIX="api-limit-test")
    limiter.init_app(app)
    try:
        assert [api(client, "GET", "/submissions", first).status_code for _ in range(3)] == [200, 200, 200]
        refused = api(client, "GET", "/submissions", first)
        assert check(app, refused, "GET", "/submissions")["status"] == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert api(client, "GET", "/submissions", second).status_code == 200
    finally:
        app.config.update(RATELIMIT_ENABLED=False)
        limiter.init_app(app)


def test_a_request_that_does_not_match_the_schema_is_a_422_listing_each_problem(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA)
    secret = token_for(app, ADA["email"])
    body = {"title": 12, "abstract": ABSTRACT, "type_id": "x", "primary_topic_id": 1, "authors": [], "colour": "red"}
    problem = check(app, api(client, "POST", "/submissions", secret, json=body), "POST", "/submissions")
    assert problem["status"] == 422
    assert sorted((e["pointer"], e["detail"]) for e in problem["errors"]) == [
        ("/authors", "List should have at least 1 item after validation, not 0"),
        ("/colour", "This field is not accepted."),
        ("/title", "Input should be a valid string"),
        ("/type_id", "Input should be a valid integer, unable to parse string as an integer"),
    ]
    problem = check(app, api(client, "GET", "/submissions?limit=0&state=lost", secret), "GET", "/submissions")
    assert sorted(e["parameter"] for e in problem["errors"]) == ["limit", "state"]


# --- submissions ----------------------------------------------------------------------------------------

PDF = make_pdf(4)
REVIEWER = {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Review Institute", "roles": ("reviewer",)}


def open_for_submissions(app: Flask) -> Flask:
    """The paper deadline three days away; Ada and Bob are authors, Carla a chair, Rita a reviewer."""
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper deadline", at=utcnow() + timedelta(days=3)))
        db.session.commit()
    create_users(app, ADA, BOB, CHAIR, REVIEWER)
    return app


@pytest.fixture
def open_app(app: Flask, worlds: Worlds) -> Flask:
    return worlds.get(app, open_for_submissions)


def details(app: Flask, **changes: Any) -> dict[str, Any]:
    with app.app_context():
        type_id = db.session.scalars(sa.select(SubmissionType.id).order_by(SubmissionType.position)).first()
        topics = list(db.session.scalars(sa.select(Topic.id).order_by(Topic.position)))
    return {
        "title": TITLE,
        "abstract": ABSTRACT,
        "type_id": type_id,
        "primary_topic_id": topics[0],
        "secondary_topic_ids": [topics[1]],
        "keywords": "attention, sinks",
        "authors": [{"name": ADA["name"], "email": ADA["email"], "affiliation": ADA["affiliation"]}],
        **changes,
    }


def submit(app: Flask, client: FlaskClient, secret: str, paper: bytes = PDF, **changes: Any) -> TestResponse:
    data = {"details": json.dumps(details(app, **changes)), "paper": (io.BytesIO(paper), "paper.pdf")}
    return api(client, "POST", "/submissions", secret, data=data, content_type="multipart/form-data")


def test_an_author_submits_changes_and_revises_a_paper_through_the_api(
    open_app: Flask, client: FlaskClient, smtp: SMTPRecorder
) -> None:
    secret = token_for(open_app, ADA["email"])
    response = submit(open_app, client, secret)
    body = check(open_app, response, "POST", "/submissions")
    assert response.status_code == 201 and response.headers["ETag"] == '"1"'
    number = body["number"]
    assert response.headers["Location"] == f"/api/v1/submissions/{number}"
    assert (body["title"], body["state"], [a["email"] for a in body["authors"]]) == (TITLE, "submitted", [ADA["email"]])
    assert [r["kind"] for r in body["revisions"]] == ["paper"] and body["revisions"][0]["pages"] == 4
    assert [str(m["Subject"]).strip() for m in smtp.messages] == [f"[LongLLM 2024] Submission #{number} submitted: {TITLE}"]
    # The page shows the same submission.
    page = login(client, ADA["email"]) and client.get(f"/submissions/{number}")
    assert TITLE in page.get_data(as_text=True)
    client.get("/auth/logout")

    listed = check(open_app, api(client, "GET", "/submissions", secret), "GET", "/submissions")
    assert [(s["number"], s["title"], s["state"]) for s in listed["items"]] == [(number, TITLE, "submitted")]

    # A change must name the version it read: none (428), a stale one (412), the current one (200, version 2).
    change = {"title": "Attention Sinks at Two Million Tokens"}
    path = "/submissions/{number}"
    assert check(open_app, api(client, "PATCH", f"/submissions/{number}", secret, json=change), "PATCH", path)["status"] == 428
    stale = api(client, "PATCH", f"/submissions/{number}", secret, json=change, headers={"If-Match": '"7"'})
    assert check(open_app, stale, "PATCH", path)["status"] == 412
    done = api(client, "PATCH", f"/submissions/{number}", secret, json=change, headers={"If-Match": '"1"'})
    assert check(open_app, done, "PATCH", path)["title"] == change["title"]
    again = api(client, "PATCH", f"/submissions/{number}", secret, json=change, headers={"If-Match": '"1"'})
    assert again.status_code == 412
    with open_app.app_context():
        sub = db.session.get(Submission, number)
        assert (sub.title, f'"{sub.version}"') == (change["title"], done.headers["ETag"])

    # A new version of the paper, with the form's checks.
    revised = api(
        client,
        "POST",
        f"/submissions/{number}/revisions",
        secret,
        data={"paper": (io.BytesIO(make_pdf(5)), "v2.pdf")},
        content_type="multipart/form-data",
        headers={"If-Match": done.headers["ETag"]},
    )
    body = check(open_app, revised, "POST", "/submissions/{number}/revisions")
    assert [r["pages"] for r in body["revisions"] if r["kind"] == "paper"] == [4, 5]

    # Withdrawn, as from its page: the state says so and the authors are told.
    gone = check(
        open_app, api(client, "POST", f"/submissions/{number}/withdraw", secret), "POST", "/submissions/{number}/withdraw"
    )
    assert gone["state"] == "withdrawn" and "withdrawn" in str(smtp.messages[-1]["Subject"])
    again = check(
        open_app, api(client, "POST", f"/submissions/{number}/withdraw", secret), "POST", "/submissions/{number}/withdraw"
    )
    assert (again["status"], again["detail"]) == (409, "This submission is withdrawn already.")


NOT_PDF = "This is not a PDF file (its content is not PDF, whatever its name says)."


@pytest.mark.parametrize(
    ("paper", "message"),
    [
        pytest.param(b"<html><script>alert(1)</script>%PDF-1.7</html>", NOT_PDF, id="html"),
        pytest.param(b"", "The file is empty (0 bytes).", id="empty"),
        pytest.param(
            make_pdf(10),
            "The main text has 10 pages; a full paper allows 8 (no “References” heading was found, so every page counts).",
            id="too-many-pages",
        ),
    ],
)
def test_a_refused_pdf_gets_the_forms_sentence_and_nothing_is_stored(
    open_app: Flask, client: FlaskClient, smtp: SMTPRecorder, paper: bytes, message: str
) -> None:
    secret = token_for(open_app, ADA["email"])
    problem = check(open_app, submit(open_app, client, secret, paper), "POST", "/submissions")
    assert (problem["status"], problem["detail"]) == (422, message)
    with open_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    assert smtp.messages == []
    # The form says the same of the same file.
    login(client, ADA["email"])
    form = {"csrf_token": csrf_token(client, "/submissions/new"), "action": "save", "title": TITLE, "abstract": ABSTRACT}
    d = details(open_app)
    form |= {"type": d["type_id"], "primary_topic": d["primary_topic_id"], "authors-0-name": ADA["name"]}
    form |= {"authors-0-email": ADA["email"], "authors-0-affiliation": ADA["affiliation"], "paper": (io.BytesIO(paper), "p.pdf")}
    page = client.post("/submissions/new", data=form, content_type="multipart/form-data")
    assert page.status_code == 422 and message in text_of(page)


def test_who_may_read_or_change_a_submission(open_app: Flask, client: FlaskClient) -> None:
    """Its author reads and changes it; a chair reads it (403 to change); another author and a reviewer get the
    404 that a number naming nothing gets, word for word."""
    number = check(open_app, submit(open_app, client, token_for(open_app, ADA["email"])), "POST", "/submissions")["number"]
    chair, bob, rita = (token_for(open_app, p["email"]) for p in (CHAIR, BOB, REVIEWER))
    assert check(open_app, api(client, "GET", f"/submissions/{number}", chair), "GET", "/submissions/{number}")["title"] == TITLE
    change = api(client, "PATCH", f"/submissions/{number}", chair, json={"title": "Mine now"}, headers={"If-Match": '"1"'})
    assert check(open_app, change, "PATCH", "/submissions/{number}")["status"] == 403
    for secret in (bob, rita):
        for method, url, kwargs in [
            ("GET", f"/submissions/{number}", {}),
            ("PATCH", f"/submissions/{number}", {"json": {"title": "x"}, "headers": {"If-Match": '"1"'}}),
        ]:
            real = api(client, method, url, secret, **kwargs)
            missing = api(client, method, url.replace(str(number), "987654"), secret, **kwargs)
            assert (real.status_code, real.get_data()) == (404, missing.get_data())
        listed = check(open_app, api(client, "GET", "/submissions", secret), "GET", "/submissions")
        assert listed["items"] == []


# --- making and revoking tokens on the site, and by command ---------------------------------------------------


def test_a_token_is_made_on_the_account_page_shown_once_listed_and_revoked(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA)
    login(client, ADA["email"])
    made = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(client, "/account/tokens"), "name": "decisions script", "days": "30", "scope": "write"},
    )
    assert made.status_code == 201
    secret = re.search(r'<code class="token-secret">(llmp_[\w-]+)</code>', made.get_data(as_text=True)).group(1)
    assert "Copy it now: it is not shown again" in text_of(made)
    listing = text_of(client.get("/account/tokens"))
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    assert f"decisions script {secret[:13]}… write" in listing and "never active" in listing
    assert api(client, "GET", "/submissions", secret).status_code == 200
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    page = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")}, follow_redirects=True
    )
    assert "The token “decisions script” is revoked: it signs nobody in any more." in text_of(page)
    assert "revoked (revoked by its owner)" in text_of(page)
    assert api(client, "GET", "/submissions", secret).status_code == 401


def test_a_chair_sees_and_revokes_every_token_and_others_may_not(app: Flask, client: FlaskClient) -> None:
    create_users(app, ADA, BOB, CHAIR)
    secret = token_for(app, ADA["email"])
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    login(client, BOB["email"])
    assert client.get("/members/tokens").status_code == 403
    form = {"csrf_token": csrf_token(client, "/account/tokens")}
    assert client.post(f"/account/tokens/{token_id}/revoke", data=form).status_code == 404  # not his
    client = app.test_client()
    login(client, CHAIR["email"])
    listing = text_of(client.get("/members/tokens"))
    assert f"Ada Lovelace <ada@example.org> test {secret[:13]}… write" in listing
    form = {"csrf_token": csrf_token(client, "/account/tokens")}
    page = client.post(f"/members/tokens/{token_id}/revoke", data=form, follow_redirects=True)
    assert "The token “test” of Ada Lovelace is revoked." in text_of(page)
    assert "revoked (revoked by Carla Chair)" in text_of(page)
    assert api(client, "GET", "/submissions", secret).status_code == 401
    assert "Revoked the API token “test” of Ada Lovelace <ada@example.org>" in text_of(client.get("/chair/audit"))


def test_the_command_prints_a_working_token(app: Flask, client: FlaskClient) -> None:
    create_users(app, CHAIR)
    result = app.test_cli_runner().invoke(args=["tokens", "create", CHAIR["email"], "--name", "set-up", "--scope", "write"])
    secret = result.output.strip()
    assert result.exit_code == 0 and secret.startswith("llmp_")
    assert api(client, "GET", "/submissions", secret).status_code == 200
    listed = app.test_cli_runner().invoke(args=["tokens", "list", CHAIR["email"]]).output
    assert listed == f"{secret[:13]}…  set-up  write  active\n"
    missing = app.test_cli_runner().invoke(args=["tokens", "create", "nobody@example.org", "--name", "x"])
    assert (missing.exit_code, missing.output) == (1, "Error: No account uses nobody@example.org.\n")


def test_the_reference_page_in_static_is_the_description_of_today(app: Flask, client: FlaskClient) -> None:
    """static/api/reference.html is written by `flask --app portal api reference`: run it after changing a route."""
    with app.app_context():
        page = reference_page()
    assert (STATIC / "api" / "reference.html").read_text(encoding="utf-8") == page
    served = client.get("/static/api/reference.html")
    assert (
        served.status_code == 200 and "<script" not in page and "//" not in re.sub(r"https?://json-schema\.org[^\"]*", "", page)
    )
    assert [op for ops in spec_of(app)["paths"].values() for op in ops.values() if f'id="{op["operationId"]}"' not in page] == []


def test_past_the_deadline_a_change_is_refused_with_the_forms_sentence(open_app: Flask, client: FlaskClient) -> None:
    secret = token_for(open_app, ADA["email"])
    number = check(open_app, submit(open_app, client, secret), "POST", "/submissions")["number"]
    CLOCK.offset = timedelta(days=4)
    try:
        change = api(client, "PATCH", f"/submissions/{number}", secret, json={"title": "Late"}, headers={"If-Match": '"1"'})
        problem = check(open_app, change, "PATCH", "/submissions/{number}")
        new = check(open_app, submit(open_app, client, secret), "POST", "/submissions")
    finally:
        CLOCK.reset()
    assert (problem["status"], problem["detail"]) == (
        409,
        "The submission deadline has passed; the submission can no longer be changed. Nothing was saved.",
    )
    assert new["status"] == 409 and new["detail"].startswith("The submission deadline has passed. It was ")
    assert new["detail"].endswith("AoE. Nothing was saved.")
    with open_app.app_context():
        assert db.session.get(Submission, number).title == TITLE


def test_every_schema_of_the_description_is_json_schema_2020_12_and_operations_are_named_once(app: Flask) -> None:
    spec = spec_of(app)
    for name, schema in spec["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema), name
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["responses"], (method, path)
            named = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert named == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_the_guide_names_every_operation(app: Flask) -> None:
    guide = (STATIC.parent / "docs" / "guide" / "api.md").read_text(encoding="utf-8")
    missing = [f"{m.upper()} {p}" for p, ops in spec_of(app)["paths"].items() for m in ops if f"`{m.upper()} {p}`" not in guide]
    assert missing == [], "add them to the table in docs/guide/api.md"
