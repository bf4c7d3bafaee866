"""Submissions, as their authors see them: the list of one's own, one submission, create, change (``If-Match``)
and a new revision of the paper (the same checks, the same sentences as the form). Chairs may read any paper they
may open on the site; only its authors change it (403 for a chair, 404 for whoever may not know it exists)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, request, url_for
from limits import parse_many
from pydantic import Field
from werkzeug.datastructures import FileStorage

from portal import permissions, queries, work
from portal.api.core import Answer, Paging, Strict, answer, decode_cursor, if_match, operation, page, refuse, refused_outcome
from portal.db import db, utcnow
from portal.domain import DomainError
from portal.extensions import limiter
from portal.models import Submission, SubmissionState
from portal.services import responses, submissions
from portal.services.submissions import AuthorInput, CheckedFile, Details, UploadRefused
from portal.web import get_submission, me, require_workshop

TAG = "Submissions"


class AuthorIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    affiliation: str = Field("", max_length=300)


class SubmissionIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    abstract: str = Field(min_length=1, max_length=3000)
    type_id: int
    primary_topic_id: int
    secondary_topic_ids: list[int] = Field(default_factory=list, max_length=100)
    keywords: str = Field("", max_length=500)
    authors: list[AuthorIn] = Field(min_length=1, max_length=submissions.MAX_AUTHORS)
    declared_conflicts: list[str] = Field(
        default_factory=list, max_length=200, description="addresses of reviewers the authors conflict with"
    )


class SubmissionChange(Strict):
    """The fields to change; those left out keep their value."""

    title: str | None = Field(None, min_length=1, max_length=300)
    abstract: str | None = Field(None, min_length=1, max_length=3000)
    type_id: int | None = None
    primary_topic_id: int | None = None
    secondary_topic_ids: list[int] | None = Field(None, max_length=100)
    keywords: str | None = Field(None, max_length=500)
    authors: list[AuthorIn] | None = Field(None, min_length=1, max_length=submissions.MAX_AUTHORS)
    declared_conflicts: list[str] | None = Field(None, max_length=200)


class AuthorOut(Answer):
    name: str
    email: str
    affiliation: str


class RevisionOut(Answer):
    id: int
    kind: str
    created_at: datetime
    pages: int | None
    size: int
    sha256: str


class SubmissionOut(Answer):
    number: int
    title: str
    abstract: str
    keywords: str
    state: str
    type_id: int
    primary_topic_id: int
    secondary_topic_ids: list[int]
    authors: list[AuthorOut]
    declared_conflicts: list[str] | None = Field(description="for its authors only")
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    withdrawn_at: datetime | None
    decision: str | None = Field(description="once the authors may see it (their letter is on its way)")
    presentation: str | None
    revisions: list[RevisionOut]
    version: int = Field(description="the ETag, for If-Match")


class SubmissionSummary(Answer):
    number: int
    title: str
    state: str
    type_id: int
    primary_topic_id: int
    updated_at: datetime
    decision: str | None


class SubmissionList(Answer):
    items: list[SubmissionSummary]
    next_cursor: str | None


class SubmissionsQuery(Paging):
    state: SubmissionState | None = Field(None, description="only submissions in this state")


def _out(sub: Submission, shown: bool) -> SubmissionOut:
    user = me()
    return SubmissionOut(
        number=sub.number,
        title=sub.title,
        abstract=sub.abstract,
        keywords=sub.keywords,
        state=sub.state.value,
        type_id=sub.type_id,
        primary_topic_id=sub.primary_topic_id,
        secondary_topic_ids=[t.id for t in sub.secondary_topics],
        authors=[AuthorOut(name=a.name, email=a.email, affiliation=a.affiliation) for a in sub.authors],
        declared_conflicts=[e for e in sub.declared_conflicts.splitlines() if e] if permissions.is_author(user, sub) else None,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
        submitted_at=sub.submitted_at,
        withdrawn_at=sub.withdrawn_at,
        decision=sub.decision.value if shown and sub.decision else None,
        presentation=sub.presentation.value if shown and sub.presentation else None,
        revisions=[
            RevisionOut(
                id=r.id, kind=r.kind.value, created_at=r.created_at, pages=r.pages, size=r.file.size, sha256=r.file.sha256
            )
            for r in sub.revisions
        ],
        version=sub.version,
    )


def _one(sub: Submission, status: int = 200) -> Response:
    shown = permissions.can_see_decision(me(), sub)
    location = url_for("api.submission", number=sub.number) if status == 201 else None
    return answer(_out(sub, shown), status, etag=sub.version, location=location)


@operation("/submissions", tag=TAG, response=SubmissionList, query=SubmissionsQuery)
def submission_list(query: SubmissionsQuery) -> Response:
    """Your own submissions (as an author), by number, as on the My submissions page."""
    ws = require_workshop()
    user = me()
    after = decode_cursor(query.cursor)
    stmt = sa.select(Submission).where(Submission.workshop_id == ws.id, Submission.id.in_(queries.authored_ids(user)))
    if query.state is not None:
        stmt = stmt.where(Submission.state == query.state)
    if after is not None:
        stmt = stmt.where(Submission.id > int(after[0]))
    rows = list(db.session.scalars(stmt.order_by(Submission.id).limit(query.limit + 1)))
    rows, cursor = page(rows, query.limit, lambda s: (s.id,))
    shown = permissions.decisions_shown(user, rows)
    items = [
        SubmissionSummary(
            number=s.number,
            title=s.title,
            state=s.state.value,
            type_id=s.type_id,
            primary_topic_id=s.primary_topic_id,
            updated_at=s.updated_at,
            decision=s.decision.value if s.id in shown and s.decision else None,
        )
        for s in rows
    ]
    return answer(SubmissionList(items=items, next_cursor=cursor))


@operation("/submissions/<int:number>", tag=TAG, response=SubmissionOut, etag=True)
def submission(number: int) -> Response:
    """One submission, for its authors and the chairs who may open it; its ETag is its version."""
    return _one(get_submission(number))


UPLOADS = {"paper": "the paper (PDF)", "supplementary": "supplementary material (PDF or ZIP), optional"}


def _details(body: SubmissionIn | SubmissionChange, sub: Submission | None) -> Details:
    def pick(name: str, current: Any) -> Any:
        value = getattr(body, name)
        return current if value is None else value

    authors = pick("authors", None)
    details = Details(
        title=pick("title", sub and sub.title),
        abstract=pick("abstract", sub and sub.abstract),
        type_id=pick("type_id", sub and sub.type_id),
        primary_topic_id=pick("primary_topic_id", sub and sub.primary_topic_id),
        secondary_topic_ids=pick("secondary_topic_ids", sub and [t.id for t in sub.secondary_topics]),
        keywords=pick("keywords", sub and sub.keywords),
        authors=[AuthorInput(a.name, a.email, a.affiliation) for a in authors]
        if authors is not None
        else [AuthorInput(a.name, a.email, a.affiliation) for a in sub.authors]
        if sub
        else [],
        declared_conflicts="",
    )
    conflicts = pick("declared_conflicts", None)
    if conflicts is None:
        details.declared_conflicts = sub.declared_conflicts if sub else ""
    else:
        text, problems = submissions.parse_declared_conflicts("\n".join(conflicts))
        if problems:
            refuse(422, " ".join(problems))
        details.declared_conflicts = text
    return details


def _check_authors(details: Details, sub: Submission | None) -> None:
    if problems := submissions.check_authors(details.authors, me(), sub):
        refuse(422, " ".join(problems))


def _spend_pdf_checks(count: int) -> None:
    """The account's budget of PDF checks (PDF_CHECK_RATE_LIMIT), counted under the same key as the forms', so a
    script and the site share it."""
    cfg = current_app.config
    if not count or not cfg["RATELIMIT_ENABLED"] or not cfg.get("PDF_CHECK_RATE_LIMIT"):
        return
    key = (cfg.get("RATELIMIT_KEY_PREFIX") or "", "pdf-check", str(me().id))
    items = parse_many(cfg["PDF_CHECK_RATE_LIMIT"])
    try:
        spent = not all(limiter.limiter.test(item, *key, cost=count) for item in items)
        if not spent:
            for item in items:
                limiter.limiter.hit(item, *key, cost=count)
    except Exception:  # the storage is down: the upload is checked all the same, as on the form
        spent = False
    if spent:
        refuse(429, "You have had as many PDFs checked as the site checks for one account in a while; try again later.")


def _read(upload: FileStorage | None, limit_mb: int, what: str) -> tuple[bytes, str] | None:
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(limit_mb * 1_000_000 + 1)
    if len(data) > limit_mb * 1_000_000:
        raise UploadRefused(f"The {what} is larger than {limit_mb} MB, the limit.")
    return data, upload.filename


def _uploads(details: Details) -> tuple[CheckedFile | None, CheckedFile | None]:
    """The files of a multipart request, read and checked as the form checks them (UploadRefused: a 422 with the
    form's sentence)."""
    ws = require_workshop()
    posted = {kind: request.files.get(kind) for kind in UPLOADS}
    _spend_pdf_checks(sum(1 for f in posted.values() if f is not None and f.filename))
    sub_type = next((t for t in ws.submission_types if t.id == details.type_id), None)
    paper = supplementary = None
    try:
        raw = _read(posted["paper"], ws.max_upload_mb, "file")
        if raw is not None and sub_type is not None:
            paper = submissions.check_paper(ws, sub_type, details.authors, *raw)
        raw = _read(posted["supplementary"], ws.supplementary_max_mb, "supplementary file")
        if raw is not None:
            supplementary = submissions.check_supplementary(ws, *raw)
    except UploadRefused as refused:
        refuse(422, str(refused))
    return paper, supplementary


@operation("/submissions", "POST", tag=TAG, response=SubmissionOut, status=201, body=SubmissionIn, upload=UPLOADS, errors=(409,))
def create_submission(body: SubmissionIn) -> Response:
    """Submit a paper: JSON (while only abstracts are asked for) or multipart/form-data with ``details`` (the same
    JSON) and the ``paper`` PDF. The PDF gets the form's checks; a refused one is a 422 with the form's sentence."""
    ws = require_workshop()
    details = _details(body, None)
    _check_authors(details, None)
    try:
        submissions.check_can_create(ws, utcnow())
    except DomainError as error:
        refuse(409, work.problem_of(error, show_deadline=True))
    paper, supplementary = _uploads(details) if request.files else (None, None)
    user = me()
    outcome = work.attempt(lambda: submissions.create_submission(user, ws, details, paper=paper, supplementary=supplementary))
    if not outcome.ok:
        refused_outcome(outcome)
    return _one(get_submission(outcome.value.id), 201)  # type: ignore[union-attr]


def _own(number: int) -> Submission:
    """404 for whoever may not know the submission; 403 for a chair who may read it but is not its author."""
    sub = get_submission(number)
    if not permissions.is_author(me(), sub):
        abort(403)
    return sub


@operation(
    "/submissions/<int:number>",
    "PATCH",
    tag=TAG,
    response=SubmissionOut,
    body=SubmissionChange,
    etag=True,
    if_match=True,
    errors=(409,),
    endpoint="change_submission",
)
def change_submission(number: int, body: SubmissionChange) -> Response:
    """Change a submission's details before its deadline (the fields sent; ``If-Match``: the ETag you read)."""
    ws = require_workshop()
    sub = _own(number)
    version = if_match()
    details = _details(body, sub)
    _check_authors(details, sub)
    user = me()
    outcome = work.attempt(lambda: submissions.update_submission(user, ws, sub, details, version=version))
    if not outcome.ok:
        refused_outcome(outcome)
    return _one(get_submission(number))


@operation(
    "/submissions/<int:number>/revisions",
    "POST",
    tag=TAG,
    response=SubmissionOut,
    status=201,
    upload=UPLOADS,
    if_match=True,
    etag=True,
    errors=(409, 415),
)
def upload_revision(number: int) -> Response:
    """A new version of the paper (and/or the supplementary material), as multipart/form-data, before the deadline:
    the form's checks (size, pages, anonymity) and its sentence for a refused PDF (422)."""
    ws = require_workshop()
    sub = _own(number)
    version = if_match()
    if request.mimetype != "multipart/form-data" or not any(f.filename for f in request.files.values()):
        refuse(415, "Send the file as multipart/form-data, in the field paper or supplementary.")
    try:
        submissions.check_can_edit(ws, sub, utcnow())
    except DomainError as error:
        refuse(409, work.problem_of(error, show_deadline=True))
    details = _details(SubmissionChange(), sub)
    paper, supplementary = _uploads(details)
    user = me()
    outcome = work.attempt(
        lambda: submissions.update_submission(user, ws, sub, details, version=version, paper=paper, supplementary=supplementary)
    )
    if not outcome.ok:
        refused_outcome(outcome)
    return _one(get_submission(number), 201)


@operation("/submissions/<int:number>/withdraw", "POST", tag=TAG, response=SubmissionOut, etag=True, errors=(409,))
def withdraw_submission(number: int) -> Response:
    """Withdraw your submission (before a decision); its authors are told by mail, as from its page."""
    ws = require_workshop()
    sub = _own(number)
    user = me()
    outcome = work.attempt(lambda: submissions.withdraw_submission(user, ws, sub))
    if not outcome.ok:
        refused_outcome(outcome)
    return _one(get_submission(number))


# --- the authors' response (issue 21.3) ---------------------------------------------------------------------


class ResponseIn(Strict):
    body: str = Field(max_length=responses.MAX_CHARACTERS, description="within the workshop's word limit")


class ResponseOut(Answer):
    number: int
    body: str
    words: int
    word_limit: int
    deadline: datetime | None = Field(description="the end of the response phase; the reviewers read it after")
    updated_at: datetime
    version: int = Field(description="its ETag, for If-Match on PUT")


def _may_read_response(user: Any, sub: Submission) -> bool:
    return permissions.can_read_response(user, sub, utcnow())


def _response_out(sub: Submission) -> Response:
    row = responses.response_of(sub)
    if row is None:
        abort(404)
    ws = sub.workshop
    out = ResponseOut(
        number=sub.id,
        body=row.body,
        words=responses.words(row.body),
        word_limit=ws.response_words,
        deadline=ws.response_deadline,
        updated_at=row.updated_at,
        version=row.version,
    )
    return answer(out, etag=row.version)


@operation("/submissions/<int:number>/response", tag=TAG, response=ResponseOut, etag=True)
def author_response(number: int) -> Response:
    """The authors' response to the paper's reviews: for its authors and the chairs who handle it, and for its
    reviewers and area chair once the response deadline has passed (never who wrote it). 404 when there is none
    you may read."""
    require_workshop()
    return _response_out(get_submission(number, _may_read_response))


@operation(
    "/submissions/<int:number>/response",
    "PUT",
    tag=TAG,
    response=ResponseOut,
    body=ResponseIn,
    etag=True,
    errors=(409, 412, 428),
)
def save_author_response(number: int, body: ResponseIn) -> Response:
    """Write or change the paper's response while the response phase is open (any of its authors). Once it exists,
    send ``If-Match`` with its ETag: a co-author's save since you read it is never overwritten (412)."""
    require_workshop()
    sub = _own(number)
    existing = responses.response_of(sub)
    version = if_match() if existing is not None else None
    user = me()
    outcome = work.attempt(lambda: responses.save_response(user, sub, body.body, version), show_deadline=True)
    if not outcome.ok:
        refused_outcome(outcome)
    return _response_out(get_submission(number))
