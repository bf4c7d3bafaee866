from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from limits import parse_many
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from portal import once, permissions, queries, work
from portal.db import db, parse_id, utcnow
from portal.domain import DeadlinePassed, DomainError
from portal.extensions import limiter
from portal.forms import choices
from portal.models import ConflictReason, FileKind, Revision, Submission, SubmissionState, User, Workshop
from portal.services import submissions as svc
from portal.services.decisions import reviews_for_authors
from portal.storage import StorageFull
from portal.submissions.blueprint import bp
from portal.submissions.forms import CameraReadyForm, ConfirmForm, ExtensionForm, SubmissionForm
from portal.templating import format_datetime
from portal.web import get_submission, me, require_workshop, send_stored

# --- the author's area --------------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    ws = require_workshop()
    user = me()
    mine = db.session.scalars(
        sa.select(Submission)
        .where(Submission.workshop_id == ws.id)
        .where(Submission.id.in_(queries.authored_ids(user)))
        .order_by(Submission.id)
        .options(selectinload(Submission.revisions))
    ).all()
    now = utcnow()
    try:
        svc.check_can_create(ws, now)
        closed_reason = None
    except DeadlinePassed as exc:
        closed_reason = str(exc)
    return render_template(
        "submissions/index.html", ws=ws, submissions=mine, closed_reason=closed_reason, deadlines=ws.deadlines(), now=now
    )


def _setup(form: SubmissionForm, ws: Workshop) -> None:
    form.type.choices = choices([(0, "Choose…")] + [(t.id, _type_label(t)) for t in ws.submission_types])
    form.primary_topic.choices = choices([(0, "Choose…")] + [(t.id, t.title) for t in ws.topics])
    form.secondary_topics.choices = choices([(t.id, t.title) for t in ws.topics])


def _type_label(t: Any) -> str:
    refs = (
        "plus unlimited references"
        if t.reference_pages is None
        else f"plus {t.reference_pages} for references"
        if t.reference_pages
        else "references included"
    )
    return f"{t.name}: {t.page_limit} pages, {refs}"


def _authors_from(form: Any) -> list[svc.AuthorInput]:
    return [
        svc.AuthorInput(e.form.name.data or "", e.form.email.data or "", e.form.affiliation.data or "")
        for e in form.authors.entries
        if (e.form.name.data or e.form.email.data or e.form.affiliation.data)
    ]


def _posted_author_rows() -> int:
    """How many author rows the request holds (the form itself parses only the first MAX_AUTHORS + 1)."""
    return len({key.split("-", 2)[1] for key in request.form if key.startswith("authors-") and key.count("-") >= 2})


def _author_action(form: Any, action: str) -> bool:
    """Add, remove or move an author row without JavaScript. True when the post was such an action."""
    rows = [
        {"name": e.form.name.data, "email": e.form.email.data, "affiliation": e.form.affiliation.data}
        for e in form.authors.entries
    ][: svc.MAX_AUTHORS]
    verb, _, index = action.partition("-")
    if verb == "add":
        rows.append({"name": "", "email": "", "affiliation": ""})
    elif verb == "trim":
        pass  # only cut the list down to the maximum
    elif verb in ("remove", "up", "down") and (i := parse_id(index, len(rows) - 1)) is not None:
        if verb == "remove" and len(rows) > 1:
            rows.pop(i)
        elif verb == "up" and i > 0:
            rows[i - 1], rows[i] = rows[i], rows[i - 1]
        elif verb == "down" and i + 1 < len(rows):
            rows[i + 1], rows[i] = rows[i], rows[i + 1]
    else:
        return False
    while form.authors.entries:
        form.authors.pop_entry()
    for row in rows:
        form.authors.append_entry(row)
    return True


def _read(upload: FileStorage | None, limit_mb: int, what: str = "file") -> tuple[bytes, str] | None:
    """The uploaded bytes, or UploadRefused naming the real size when over the limit (read no further)."""
    if upload is None or not upload.filename:
        return None
    stream = upload.stream
    limit = limit_mb * 1_000_000
    data = stream.read(limit + 1)
    if len(data) > limit:
        try:
            size = stream.seek(0, 2)  # the rest is already spooled to disk: its size costs nothing
        except (OSError, AttributeError, ValueError):
            size = len(data)
        raise svc.UploadRefused(f"The {what} is {svc.megabytes(size)}; the limit is {limit_mb} MB.")
    return data, upload.filename


def _details(form: SubmissionForm) -> tuple[svc.Details, list[str]]:
    conflicts, problems = svc.parse_declared_conflicts(form.declared_conflicts.data or "")
    details = svc.Details(
        title=form.title.data,
        abstract=form.abstract.data,
        type_id=form.type.data,
        primary_topic_id=form.primary_topic.data,
        secondary_topic_ids=form.secondary_topics.data or [],
        keywords=form.keywords.data or "",
        authors=_authors_from(form),
        declared_conflicts=conflicts,
    )
    return details, problems


def _deadline_problem(exc: DomainError) -> str:
    when = f" It was {format_datetime(exc.deadline)}." if isinstance(getattr(exc, "deadline", None), datetime) else ""
    return f"{exc}{when} Nothing was saved."


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


def _spend_pdf_checks(count: int) -> str | None:
    """Count ``count`` PDF checks against the signed-in account's budget (PDF_CHECK_RATE_LIMIT, kept in the
    rate-limit storage all workers share: Redis in production). Returns the sentence for the author when the
    budget is spent, else None. A storage that cannot be reached counts nothing: an upload at the deadline does
    not fail for it."""
    cfg = current_app.config
    if not cfg["RATELIMIT_ENABLED"] or not cfg.get("PDF_CHECK_RATE_LIMIT"):
        return None
    key = (cfg.get("RATELIMIT_KEY_PREFIX") or "", "pdf-check", str(me().id))
    try:
        strategy, items = limiter.limiter, parse_many(cfg["PDF_CHECK_RATE_LIMIT"])
        for item in items:
            if not strategy.test(item, *key, cost=count):
                reset = strategy.get_window_stats(item, *key).reset_time
                return (
                    f"You have had {item.amount:,} PDF{'s' if item.amount != 1 else ''} checked within "
                    f"{_duration(item.get_expiry())}, as many as "
                    f"the site checks for one account; try again in {_duration(reset - time.time())}. "
                    "Nothing was saved."
                )
        for item in items:
            strategy.hit(item, *key, cost=count)
    except Exception:  # the storage is down: check the upload all the same
        logging.getLogger(__name__).warning("PDF check budget not counted", exc_info=True)
    return None


def _handle(form: SubmissionForm, ws: Workshop, sub: Submission | None) -> Response | dict[str, Any]:
    """Validate, check the files, save. Returns a redirect on success, else what the page must show."""
    shown: dict[str, Any] = {"problems": [], "upload_error": None, "report": None}
    action = request.form.get("action", "save")
    if action != "save" and _author_action(form, action):
        return shown
    valid = form.validate_on_submit()
    details, conflict_problems = _details(form)
    user = me()
    author_problems = svc.check_authors(details.authors, user, sub)
    shown["problems"] = author_problems + conflict_problems
    posted = _posted_author_rows()
    if posted > svc.MAX_AUTHORS:
        shown["problems"] = [f"A submission lists at most {svc.MAX_AUTHORS} authors (this list has {posted:,})."]
        _author_action(form, "trim")
    if not valid or shown["problems"]:
        return shown
    # Before any PDF is read: the deadline (a form opened in time and posted late has no file checked) and the
    # account's budget of PDF checks.
    try:
        if sub is None:
            svc.check_can_create(ws, utcnow())
        else:
            svc.check_can_edit(ws, sub, utcnow())
    except DomainError as exc:
        shown["problems"] = [_deadline_problem(exc)]
        return shown
    uploads = sum(1 for name in ("paper", "supplementary") if (f := request.files.get(name)) is not None and f.filename)
    if uploads and (refusal := _spend_pdf_checks(uploads)):
        shown["upload_error"] = refusal
        return shown
    sub_type = next((t for t in ws.submission_types if t.id == details.type_id), None)
    paper = supplementary = None
    try:
        raw = _read(request.files.get("paper"), ws.max_upload_mb)
        if raw is not None and sub_type is not None:
            paper = svc.check_paper(ws, sub_type, details.authors, *raw)
        raw = _read(request.files.get("supplementary"), ws.supplementary_max_mb, "supplementary file")
        if raw is not None:
            supplementary = svc.check_supplementary(ws, *raw)
    except svc.UploadRefused as exc:
        shown["upload_error"], shown["report"] = str(exc), exc.report
        return shown
    email = user.email  # read before the commit expires it
    try:
        if sub is None:
            sub = svc.create_submission(user, ws, details, paper=paper, supplementary=supplementary)
            # The same form posted twice makes one submission: the second is shown the first.
            once.record(url_for(".detail", number=sub.number), f"submission #{sub.number} was saved")
        else:
            version = parse_id(form.version.data) or -1
            svc.update_submission(user, ws, sub, details, version=version, paper=paper, supplementary=supplementary)
        number = sub.number
        work.commit_and_deliver()
    except DeadlinePassed as exc:
        db.session.rollback()
        shown["problems"] = [_deadline_problem(exc)]
        return shown
    except StaleDataError:
        db.session.rollback()
        shown["problems"] = [
            "Someone saved this submission at the same moment. Nothing was saved: reload the page and make your change again."
        ]
        return shown
    except (DomainError, StorageFull) as exc:
        db.session.rollback()
        message = str(exc)
        shown["problems"] = [message if "Nothing was saved" in message else f"{message} Nothing was saved."]
        return shown
    warnings = paper.warnings if paper else []
    flash(f"Submission #{number} is saved. A receipt is on its way to {email}.", "success")
    for warning in warnings:
        flash(warning, "error")
    return redirect(url_for(".detail", number=number))


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | Response:
    ws = require_workshop()
    form = SubmissionForm()
    _setup(form, ws)
    now = utcnow()
    try:
        svc.check_can_create(ws, now)
    except DeadlinePassed as exc:
        if request.method == "GET":
            flash(str(exc), "error")
            return redirect(url_for(".index"))
    if request.method == "GET":
        user = me()
        form.authors.entries[0].form.name.data = user.name
        form.authors.entries[0].form.email.data = user.email
        form.authors.entries[0].form.affiliation.data = user.affiliation
        result: Response | dict[str, Any] = {"problems": [], "upload_error": None, "report": None}
    else:
        result = _handle(form, ws, None)
        if isinstance(result, Response):
            return result
    return _render_form(form, ws, None, result)


@bp.route("/<int:number>/edit", methods=["GET", "POST"])
def edit(number: int) -> str | Response:
    ws = require_workshop()
    sub = get_submission(number)
    if not permissions.can_edit_submission(me(), sub, utcnow()):
        flash(
            "Only the authors can change a submission."
            if not permissions.is_author(me(), sub)
            else "This submission can no longer be changed.",
            "error",
        )
        return redirect(url_for(".detail", number=number))
    form = SubmissionForm(obj=None if request.method == "POST" else _form_data(sub))
    _setup(form, ws)
    if request.method == "GET":
        result: Response | dict[str, Any] = {"problems": [], "upload_error": None, "report": None}
    else:
        result = _handle(form, ws, sub)
        if isinstance(result, Response):
            return result
    return _render_form(form, ws, sub, result)


def _form_data(sub: Submission) -> SimpleNamespace:
    """The submission as the form's ``obj`` (its fields by the form's names)."""
    return SimpleNamespace(
        title=sub.title,
        abstract=sub.abstract,
        type=sub.type_id,
        primary_topic=sub.primary_topic_id,
        secondary_topics=[t.id for t in sub.secondary_topics],
        keywords=sub.keywords,
        authors=[SimpleNamespace(name=a.name, email=a.email, affiliation=a.affiliation) for a in sub.authors],
        declared_conflicts=sub.declared_conflicts,
        version=str(sub.version),
        paper=None,
        supplementary=None,
    )


def _render_form(form: SubmissionForm, ws: Workshop, sub: Submission | None, shown: dict[str, Any]) -> tuple[str, int]:
    failed = bool(form.errors or shown["problems"] or shown["upload_error"])
    d = ws.deadlines()
    return render_template(
        "submissions/form.html",
        form=form,
        ws=ws,
        sub=sub,
        deadline=ws.paper_deadline(sub),
        abstract_only=sub is None and d.abstract is not None and utcnow() < d.abstract,
        max_authors=svc.MAX_AUTHORS,
        **shown,
    ), 422 if failed else 200


def _authors_only(number: int) -> Submission:
    """404 for who may not know the submission; 403 for who may see it (a chair) but not act as an author."""
    sub = get_submission(number)
    if not permissions.is_author(me(), sub):
        abort(403)
    return sub


@bp.get("/<int:number>")
def detail(number: int) -> str:
    ws = require_workshop()
    sub = get_submission(number)
    now = utcnow()
    return render_template(
        "submissions/detail.html",
        ws=ws,
        sub=sub,
        now=now,
        deadline=ws.paper_deadline(sub),
        deadlines=ws.deadlines(),
        confirm=ConfirmForm(),
        extension=ExtensionForm(),
        FileKind=FileKind,
        SubmissionState=SubmissionState,
        author_reviews=reviews_for_authors(sub) if permissions.can_see_decision(me(), sub) else "",
    )


@bp.route("/<int:number>/conflicts", methods=["GET", "POST"])
def conflicts(number: int) -> str | Response | tuple[str, int]:
    """The authors' conflicts with the program committee (HotCRP's PC-conflict list): search the committee by
    name or affiliation, declare a conflict with a reason, take one back. Free-form addresses are on the
    submission form. Open for changes as long as the submission is."""
    ws = require_workshop()
    sub = get_submission(number, permissions.is_author)
    now = utcnow()
    editable = permissions.can_edit_submission(me(), sub, now)
    problem = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if not editable:
                raise DomainError("This submission can no longer be changed: write to the chairs about a conflict.")
            removing = parse_id(request.form.get("remove"))
            if removing is not None:
                name = svc.remove_declared_conflict(me(), ws, sub, removing, now=now)
                message = f"The conflict with {name} is taken back."
            else:
                person = db.session.get(User, parse_id(request.form.get("person")) or 0)
                reason = {r.value: r for r in ConflictReason}.get(request.form.get("reason", ""))
                if person is None or reason is None:
                    raise DomainError("Choose a member of the program committee and a reason.")
                svc.declare_pc_conflict(me(), ws, sub, person, reason, now=now)
                message = f"{person.name} is declared a conflict of #{sub.number} ({reason.label.lower()})."
            work.commit_and_deliver()
            flash(message, "success")
            return redirect(url_for(".conflicts", number=number, q=request.args.get("q", "")))
        except DomainError as exc:
            db.session.rollback()
            problem = f"{exc} Nothing was changed."
    q = (request.args.get("q") or "").strip()[:200]
    declared = [c for c in sub.declared]
    picked = {c.user_id for c in declared if c.user_id is not None}
    found = svc.search_program_committee(q, exclude=picked) if q else []
    page = render_template(
        "submissions/conflicts.html",
        ws=ws,
        sub=sub,
        declared=declared,
        found=found,
        q=q,
        editable=editable,
        reasons=list(ConflictReason),
        problem=problem,
        confirm=ConfirmForm(),
    )
    return (page, 422) if problem else page


@bp.route("/<int:number>/withdraw", methods=["GET", "POST"])
def withdraw(number: int) -> str | Response:
    ws = require_workshop()
    sub = _authors_only(number)
    if not permissions.can_withdraw_submission(me(), sub):
        flash("This submission cannot be withdrawn now.", "error")
        return redirect(url_for(".detail", number=number))
    form = ConfirmForm()
    if form.validate_on_submit():
        svc.withdraw_submission(me(), ws, sub)
        work.commit_and_deliver()
        flash(f"Submission #{number} is withdrawn. You can restore it until the deadline.", "success")
        return redirect(url_for(".detail", number=number))
    return render_template("submissions/withdraw.html", ws=ws, sub=sub, form=form, deadline=ws.paper_deadline(sub))


@bp.post("/<int:number>/restore")
def restore(number: int) -> Response:
    ws = require_workshop()
    sub = get_submission(number)
    if not (permissions.is_author(me(), sub) or permissions.can_chair_paper(me(), sub)):
        abort(403)  # the service says which author (the submitter) may
    if ConfirmForm().validate_on_submit():
        try:
            svc.restore_submission(me(), ws, sub)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            work.commit_and_deliver()
            flash(f"Submission #{number} is restored.", "success")
    return redirect(url_for(".detail", number=number))


@bp.get("/<int:number>/files/<int:revision_id>")
def download(number: int, revision_id: int) -> Response:
    sub = get_submission(number)
    revision = next((r for r in sub.revisions if r.id == revision_id), None)
    if revision is None or not permissions.can_download_revision(me(), revision):
        abort(404)
    position = [r.id for r in sub.revisions if r.kind == revision.kind].index(revision.id) + 1
    ws = sub.workshop
    extension = "zip" if revision.file.content_type == "application/zip" else "pdf"
    name = f"{ws.short_name}{ws.edition}-{sub.number}-{revision.kind.value.replace('_', '-')}-v{position}.{extension}"
    return send_stored(revision.file, name)


@bp.route("/<int:number>/camera-ready", methods=["GET", "POST"])
def camera_ready(number: int) -> str | Response:
    ws = require_workshop()
    sub = _authors_only(number)
    now = utcnow()
    if not permissions.can_upload_camera_ready(me(), sub, now):
        abort(404)
    form = CameraReadyForm(obj=None if request.method == "POST" else _form_data(sub))
    problems: list[str] = []
    upload_error = report = None
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action == "save" or not _author_action(form, action):
            authors = _authors_from(form)
            problems = svc.check_authors(authors, me(), sub) if form.validate_on_submit() else []
            try:
                raw = _read(request.files.get("paper"), ws.max_upload_mb)
            except svc.UploadRefused as exc:
                raw, upload_error = None, str(exc)
            if not form.errors and not problems and raw is None:
                upload_error = upload_error or "Attach the final PDF."
            elif not form.errors and not problems and raw is not None and (refusal := _spend_pdf_checks(1)):
                upload_error = refusal
            elif not form.errors and not problems and raw is not None:
                try:
                    checked = svc.check_paper(ws, sub.type, authors, *raw, kind=FileKind.CAMERA_READY)
                    version = parse_id(form.version.data) or -1
                    svc.upload_camera_ready(me(), ws, sub, title=form.title.data, authors=authors, paper=checked, version=version)
                    work.commit_and_deliver()
                except svc.UploadRefused as exc:
                    db.session.rollback()
                    upload_error, report = str(exc), exc.report
                except (DomainError, StorageFull, StaleDataError) as exc:
                    db.session.rollback()
                    message = once.message_of(exc)
                    problems = [message if "Nothing was saved" in message else f"{message} Nothing was saved."]
                else:
                    flash(f"The camera-ready version of #{number} is saved. A receipt is on its way.", "success")
                    return redirect(url_for(".detail", number=number))
    failed = bool(form.errors or problems or upload_error)
    return render_template(
        "submissions/camera_ready.html",
        ws=ws,
        sub=sub,
        form=form,
        problems=problems,
        upload_error=upload_error,
        report=report,
        deadline=ws.deadlines().camera_ready,
        max_authors=svc.MAX_AUTHORS,
    ), 422 if failed else 200


# --- chairs -------------------------------------------------------------------------------------------


@bp.get("/all")
def all_submissions() -> str:
    if not permissions.is_chair(me()):
        abort(403)
    ws = require_workshop()
    rows = db.session.scalars(
        sa.select(Submission)
        .where(Submission.workshop_id == ws.id)
        .order_by(Submission.id)
        .options(selectinload(Submission.authors), selectinload(Submission.revisions).selectinload(Revision.file))
    ).all()
    return render_template("submissions/all.html", ws=ws, submissions=rows, now=utcnow(), deadline=ws.deadlines().paper)


@bp.post("/<int:number>/extension")
def extension(number: int) -> Response:
    ws = require_workshop()
    sub = get_submission(number)
    if not permissions.can_extend_deadline(me(), sub):
        abort(403)
    form = ExtensionForm()
    if form.validate_on_submit():
        until = None
        if form.until.data:
            try:
                naive = datetime.fromisoformat(form.until.data.replace("T", " "))
                until = naive.replace(tzinfo=ws.zone) if naive.tzinfo is None else naive
                until.astimezone(UTC)  # OverflowError when it falls outside the years 1-9999 in UTC
            except (ValueError, OverflowError):
                flash("Give the new deadline as 2026-12-20 23:59.", "error")
                return redirect(url_for(".detail", number=number))
        try:
            svc.extend_deadline(me(), ws, sub, until)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                f"Submission #{number} may now be changed until {format_datetime(until)}."
                if until
                else f"Submission #{number} follows the common deadline again.",
                "success",
            )
    return redirect(url_for(".detail", number=number))
