"""What every API route shares: signing in by token, scopes, the rate limit, problem details (RFC 9457), request
validation against the routes' pydantic models, ETags, cursors, and the OpenAPI 3.1 description made from the
routes themselves.

A route is declared once with ``@operation(...)``: its URL, its models (query, JSON body, answer), the scope it
needs and whether it takes ``If-Match``. The decorator registers the Flask route, validates the request before the
view runs (a wrong type or an unknown field is a 422 with the list of problems) and records the operation, from
which ``openapi()`` writes the description: the description cannot drift from what the code accepts."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from flask import Response, current_app, g, request
from flask.globals import request_ctx
from flask.sessions import NullSession
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal import work
from portal.api.blueprint import bp
from portal.db import db
from portal.domain import ChangedMeanwhile
from portal.extensions import csrf, limiter, login_manager
from portal.models import ApiToken, TokenScope
from portal.services import api_tokens
from portal.services.submissions import UploadRefused

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    412: "Changed meanwhile",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "If-Match required",
    429: "Too many requests",
    500: "Server error",
    503: "Unavailable",
}
DETAILS = {
    401: "Send a personal access token: Authorization: Bearer <token> (make one on your account page).",
    403: "You may not do this.",
    404: "There is nothing at this address, or nothing you may see.",
    405: "This address does not take this method.",
    413: "What you sent is larger than this site accepts.",
    429: "Too many requests with this token; wait a moment.",
    500: "An unexpected error stopped this request. Nothing was half-saved.",
    503: "The portal has no workshop loaded yet, or its database is unavailable for a moment.",
}


# --- models -------------------------------------------------------------------------------------------


class Strict(BaseModel):
    """What a client sends: a field the model does not name is refused (422), never ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Answer(BaseModel):
    """What the API answers."""


class ProblemItem(Answer):
    detail: str
    pointer: str | None = Field(None, description="JSON Pointer (RFC 6901) into the request body")
    parameter: str | None = Field(None, description="the query parameter at fault")


class Problem(Answer):
    """Problem details (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = Field(None, description="each problem with the request, for a 422")


class Paging(Strict):
    cursor: str | None = Field(None, max_length=200, description="``next_cursor`` of the page before")
    limit: int = Field(50, ge=1, le=200)


# --- problems -----------------------------------------------------------------------------------------


def problem_response(status: int, detail: str | None = None, errors: list[ProblemItem] | None = None) -> Response:
    body = Problem(title=TITLES.get(status, "Error"), status=status, detail=detail or DETAILS.get(status, ""), errors=errors)
    response = current_app.response_class(
        json.dumps(body.model_dump(mode="json", exclude_none=True)), status=status, mimetype=PROBLEM_JSON
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def refuse(status: int, detail: str | None = None, errors: list[ProblemItem] | None = None) -> NoReturn:
    raise HTTPException(response=problem_response(status, detail, errors))


def refused_outcome(outcome: work.Outcome[Any]) -> NoReturn:
    """A service's refusal as the API says it: the page's sentence, with a status that tells its kind."""
    error = outcome.error
    if isinstance(error, ChangedMeanwhile | StaleDataError):
        refuse(412, "The record changed since you read it: GET it again (for its new ETag) and make your change again.")
    if isinstance(error, UploadRefused):
        refuse(422, outcome.problem)
    refuse(409, outcome.problem)  # a rule of the workshop (a deadline, a transition), or a change at the same moment


def _validation_problems(error: ValidationError, where: str) -> list[ProblemItem]:
    items = []
    for e in error.errors(include_url=False):
        loc = [str(part) for part in e["loc"]]
        message = "This field is not accepted." if e["type"] == "extra_forbidden" else e["msg"]
        if where == "query":
            items.append(ProblemItem(detail=message, parameter=loc[0] if loc else None))
        else:
            items.append(
                ProblemItem(detail=message, pointer="/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc))
            )
    return items


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def parse(model: type[M], data: Any, where: str = "body") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        refuse(
            422,
            f"The request {'query' if where == 'query' else 'body'} does not match the schema.",
            _validation_problems(error, where),
        )


# --- signing in, scopes, limits ------------------------------------------------------------------------


def token() -> ApiToken | None:
    return g.get("api_token")


def _rate_key() -> str:
    """Each token has its own budget (keyed by its hash: the limiter counts before the token is looked up);
    requests without one share their address's."""
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return "api-token:" + api_tokens.digest(secret.strip())[:24]
    return f"api-ip:{request.remote_addr}"


def _rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


@bp.before_request
def sign_in_by_token() -> None:
    """The token in ``Authorization: Bearer`` signs its owner in for this request only: no session is read or
    written (a cookie sent along is ignored, none is set), so a page's cookie cannot act here and CSRF, which
    protects cookies, has nothing to protect (the blueprint is exempt)."""
    request_ctx._session = NullSession()  # (Flask 3.1 keeps it there; a NullSession is never saved)
    g.api_token = None
    g._login_user = login_manager.anonymous_user()
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        refuse(401, "The Authorization header takes a token: Authorization: Bearer <token>.")
    found = api_tokens.token_for(secret.strip())
    if found is None:
        refuse(401, "This token is not valid: it may be mistyped, expired or revoked.")
    if db.session.is_modified(found):
        work.commit_and_deliver()  # its last use, kept whatever the view does; its own unit of work starts afresh
    g.api_token = found
    g._login_user = found.user


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def http_problem(error: HTTPException) -> Response:
    if error.response is not None and error.code != 429:
        return error.response
    response = problem_response(error.code or 500)
    if error.code == 429:  # the token's budget is spent: when to ask again
        current = limiter.current_limit
        wait = max(1, current.reset_at - int(time.time())) if current is not None else 60
        response.headers["Retry-After"] = str(wait)
        response.set_data(
            json.dumps(
                Problem(
                    title=TITLES[429], status=429, detail=f"Too many requests with this token; try again in {wait} s."
                ).model_dump(mode="json", exclude_none=True)
            )
        )
    return response


@bp.errorhandler(InternalServerError)
def server_problem(error: InternalServerError) -> Response:
    db.session.rollback()
    return problem_response(500)


def _require(scope: str) -> None:
    if scope == "public":
        return
    found = token()
    if found is None:
        refuse(401)
    if scope == "write" and found.scope != TokenScope.WRITE:
        refuse(403, "This token may only read (its scope is read); make a token with the write scope.")


# --- ETags and cursors ----------------------------------------------------------------------------------


def etag_of(version: int) -> str:
    return f'"{version}"'


def if_match() -> int:
    """The version the client last read, from ``If-Match`` (428 without it: an update must say what it read)."""
    header = request.headers.get("If-Match")
    if not header:
        refuse(428, 'Send If-Match with the ETag of your last GET (for example If-Match: "3"), so no change is lost.')
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        refuse(412, "If-Match names no version of this record.")
    return int(value)


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int = 1) -> list[Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        key = None
    if (
        not isinstance(key, list)
        or len(key) != arity
        or not all(isinstance(k, int | str) and not isinstance(k, bool) for k in key)
    ):
        refuse(
            422, "The cursor is not one this API gave.", [ProblemItem(detail="Not a cursor of this list.", parameter="cursor")]
        )
    return key


def page(rows: list[T], limit: int, key: Callable[[T], tuple[Any, ...]]) -> tuple[list[T], str | None]:
    """``rows`` fetched with ``limit + 1``: the page and the cursor of the next one (None on the last)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(*key(rows[-1]))


def answer(model: BaseModel, status: int = 200, *, etag: int | None = None, location: str | None = None) -> Response:
    response = current_app.response_class(model.model_dump_json(), status=status, mimetype="application/json")
    if etag is not None:
        response.headers["ETag"] = etag_of(etag)
    if location:
        response.headers["Location"] = location
    return response


# --- the operations and the description ------------------------------------------------------------------


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    tag: str
    scope: str
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    etag: bool
    if_match: bool
    upload: dict[str, str] | None
    errors: tuple[int, ...] = field(default=())


OPERATIONS: list[Operation] = []


def operation(
    rule: str,
    method: str = "GET",
    *,
    tag: str,
    response: type[BaseModel] | None,
    status: int = 200,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    scope: str | None = None,
    etag: bool = False,
    if_match: bool = False,
    upload: dict[str, str] | None = None,
    errors: tuple[int, ...] = (),
    endpoint: str | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Declare an API route. The view gets its URL arguments and, when declared, ``query=`` and ``body=`` (the
    validated models). ``upload``: a multipart form instead of JSON, its fields named with their descriptions
    (``{"paper": "the PDF"}``); the view reads ``request.files`` itself, and ``body`` then comes from the form's
    ``details`` field (JSON text)."""
    needed = scope or ("read" if method == "GET" else "write")

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        # The docstring's first sentence is the summary; the whole of it, the description.
        description = " ".join((view.__doc__ or "").split())
        summary = _first_sentence(description)

        @wraps(view)
        def run(**kwargs: Any) -> Response:
            _require(needed)
            if query is not None:
                kwargs["query"] = parse(query, request.args.to_dict(flat=True), "query")
            if body is not None:
                kwargs["body"] = parse(body, _body(upload is not None))
            return view(**kwargs)

        name = endpoint or view.__name__
        bp.add_url_rule(rule, endpoint=name, view_func=run, methods=[method])
        OPERATIONS.append(
            Operation(
                rule, method, name, summary, description, tag, needed,
                query, body, response, status, etag, if_match, upload, errors,
            )
        )  # fmt: skip
        return run

    return decorate


def _first_sentence(text: str) -> str:
    """Up to the first full stop or colon outside parentheses."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ".:" and text[i + 1 : i + 2] in (" ", ""):
            return text[:i]
    return text


def _body(multipart: bool) -> Any:
    if multipart and request.mimetype != "application/json":
        if request.mimetype != "multipart/form-data":
            refuse(415, "Send this as multipart/form-data.")
        text = request.form.get("details")
        if text is None:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            refuse(422, "The details field holds no JSON.", [ProblemItem(detail="Not JSON.", pointer="")])
    if request.mimetype != "application/json":
        refuse(415, "Send JSON (Content-Type: application/json).")
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        refuse(422, "The body is not JSON.", [ProblemItem(detail="Not JSON.", pointer="")])


csrf.exempt(bp)
limiter.limit(_rate_limit, key_func=_rate_key)(bp)


PARAMETER = re.compile(r"<(?:([^:<>]+):)?(\w+)>")


def spec_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/submissions/<int:number>`` is ``/submissions/{number}``."""
    return PARAMETER.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in PARAMETER.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1}
        elif converter.startswith("any("):
            schema = {"type": "string", "enum": [v.strip() for v in converter[4:-1].split(",")]}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return spec_path(rule), params


#: The order of the reference: what everyone reads, then each role's work in the order of the workshop.
TAG_ORDER = (
    "Workshop",
    "Submissions",
    "Bids",
    "Reviews",
    "Area chairs",
    "Assignments",
    "Decisions",
    "Mails",
    "People",
    "Audit log",
    "Reference",
)


def _tag_order(tag: str) -> tuple[int, str]:
    return (TAG_ORDER.index(tag) if tag in TAG_ORDER else len(TAG_ORDER), tag)


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of every operation, its schemas by pydantic (JSON Schema 2020-12, the dialect
    of OpenAPI 3.1)."""
    pairs: list[tuple[type[BaseModel], Any]] = [(Problem, "serialization")]
    for op in OPERATIONS:
        if op.response is not None:
            pairs.append((op.response, "serialization"))
        if op.body is not None:
            pairs.append((op.body, "validation"))
    keys, schemas = models_json_schema(list(dict.fromkeys(pairs)), ref_template="#/components/schemas/{model}")
    ref = {pair: value for pair, value in keys.items()}
    problem = {"$ref": ref[(Problem, "serialization")]["$ref"]}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path, params = _path(op.rule)
        if op.query is not None:
            shape = op.query.model_json_schema()
            for name, prop in shape.get("properties", {}).items():
                prop = {k: v for k, v in prop.items() if k != "title"}
                description = prop.pop("description", None)
                item = {"name": name, "in": "query", "required": name in shape.get("required", []), "schema": prop}
                if description:
                    item["description"] = description
                params.append(item)
        if op.if_match or 428 in op.errors:  # (428 without if_match: required once the record exists)
            params.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": op.if_match,
                    "schema": {"type": "string"},
                    "description": "the ETag of your last GET" + ("" if op.if_match else ", once the record exists"),
                }
            )
        responses: dict[str, Any] = {}
        ok: dict[str, Any] = {"description": "OK" if op.status == 200 else "Done"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": {"$ref": ref[(op.response, "serialization")]["$ref"]}}}
        if op.etag:
            ok["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "the record's version, for If-Match"}}
        responses[str(op.status)] = ok
        codes = set(op.errors) | {404, 429}
        if op.scope != "public":
            codes |= {401, 403}
        if op.query is not None or op.body is not None:
            codes.add(422)
        if op.if_match:
            codes |= {412, 428}
        for code in sorted(codes):
            responses[str(code)] = {"description": TITLES.get(code, "Error"), "content": {PROBLEM_JSON: {"schema": problem}}}
        entry: dict[str, Any] = {
            "operationId": op.endpoint,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": params,
            "responses": responses,
            "security": [{}, {"token": []}] if op.scope == "public" else [{"token": []}],
            "x-scope": op.scope,
        }
        if op.description:
            entry["description"] = op.description
        if op.upload is not None:
            properties: dict[str, Any] = {
                name: {"type": "string", "contentMediaType": "application/octet-stream", "description": text}
                for name, text in op.upload.items()
            }
            if op.body is not None:
                properties["details"] = {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": ref[(op.body, "validation")]["$ref"]},
                }
            content: dict[str, Any] = {"multipart/form-data": {"schema": {"type": "object", "properties": properties}}}
            if op.body is not None:
                content["application/json"] = {"schema": {"$ref": ref[(op.body, "validation")]["$ref"]}}
            entry["requestBody"] = {"required": True, "content": content}
        elif op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": ref[(op.body, "validation")]["$ref"]}}},
            }
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "LongLLM workshop portal API",
            "version": "1",
            "description": "What each role does on the site, for scripts. A token acts as its owner: the same "
            "permissions, conflicts and rules as the pages. Errors are problem details (RFC 9457).",
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": tag} for tag in sorted({op.tag for op in OPERATIONS}, key=_tag_order)],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "a personal access token from your account page"}
            },
        },
    }


def reference_page() -> str:
    """The reference as one HTML page (``static/api/reference.html``, written by ``flask --app portal api
    reference``): no script, the site's stylesheet, every operation with its parameters and schemas."""
    spec = openapi()
    template = current_app.jinja_env.get_template("api/reference.html")
    tags = [t["name"] for t in spec["tags"]]
    return template.render(spec=spec, tags=tags, schemas=spec["components"]["schemas"], dumps=lambda v: json.dumps(v, indent=2))


@bp.cli.command("reference")
def write_reference() -> None:
    """Write static/api/reference.html from the routes (commit it with them; a test compares)."""
    path = Path(current_app.static_folder or "static") / "api" / "reference.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(reference_page(), encoding="utf-8")
    click.echo(f"wrote {path}")
