from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from limits import parse_many
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from portal import once, permissions, queries, work
from portal.db import db, parse_id, utcnow
from portal.domain import NOTHING_SAVED, DeadlinePassed, DomainError
from portal.extensions import limiter
from portal.forms import choices
from portal.models import ConflictReason, FileKind, Submission, SubmissionState, User, Workshop
from portal.pdfcheck import PdfReport
from portal.services import decisions, meta_reviews, responses, submission_list, submissions
from portal.services.submissions import CheckedFile, Details, UploadRefused
from portal.storage import LocalStorage
from portal.submissions.blueprint import bp
from portal.submissions.forms import AuthorRows, CameraReadyForm, ConfirmForm, ExtensionForm, ResponseForm, SubmissionForm
from portal.templating import format_datetime
from portal.web import get_submission, me, redirect_after, require_workshop, send_stored

T = TypeVar("T")
#: A save lost to another at the same moment (the submission's version check).
SAVED_AT_ONCE = "Someone saved this submission at the same moment. Nothing was saved: reload the page and make your change again."

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
        submissions.check_can_create(ws, now)
        closed_reason = None
    except DeadlinePassed as exc:
        closed_reason = str(exc)
    return render_template(
        "submissions/index.html",
        ws=ws,
        submissions=mine,
        closed_reason=closed_reason,
        deadlines=ws.deadlines(),
        now=now,
        decisions_shown=permissions.decisions_shown(user, list(mine)),
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


def _posted_author_rows() -> int:
    """How many author rows the request holds (the form itself parses only the first MAX_AUTHORS + 1)."""
    return len({key.split("-", 2)[1] for key in request.form if key.startswith("authors-") and key.count("-") >= 2})


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
        raise UploadRefused(f"The {what} is {submissions.megabytes(size)}; the limit is {limit_mb} MB.")
    return data, upload.filename


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


def _spend(count: int) -> None:
    """``_spend_pdf_checks``, refusing the upload when the budget is spent."""
    if count and (refusal := _spend_pdf_checks(count)):
        raise UploadRefused(refusal)


# --- the submission forms (new, edit, camera-ready): one way to check, read and save ---------------------


@dataclass
class Shown:
    """What a submission form shows besides its fields' own errors."""

    problems: list[str] = field(default_factory=list)
    upload_error: str | None = None
    report: PdfReport | None = None
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # uploads kept from the last try, by kind

    @classmethod
    def upload_refused(cls, refused: UploadRefused) -> Shown:
        return cls(upload_error=str(refused), report=refused.report)


def _handle(
    form: AuthorRows, check: Callable[[], list[str]], files: Callable[[], T], save: Callable[[T], int]
) -> tuple[int, T] | Shown:
    """The POST of a submission form: move an author row (no JavaScript needed); or ``check`` the form (its
    problems), read and check its ``files`` (refused with UploadRefused, or before any file is read with another
    DomainError: the deadline) and ``save`` them in one unit of work. The number saved and the files, or what the
    page must show; every refusal says that nothing was saved."""
    action = request.form.get("action", "save")
    if action != "save" and form.move_author(action):
        return Shown()
    valid = form.validate_on_submit()  # type: ignore[attr-defined]
    problems = check()
    if not valid or problems:
        return Shown(problems)
    try:
        uploads = files()
    except UploadRefused as refused:
        return Shown.upload_refused(refused)
    except DomainError as exc:
        return Shown([work.problem_of(exc, unsaved=NOTHING_SAVED, show_deadline=True)])
    outcome = work.attempt(lambda: save(uploads), unsaved=NOTHING_SAVED, show_deadline=True, collision=SAVED_AT_ONCE)
    if not outcome.ok:
        return Shown([outcome.problem])
    return outcome.value, uploads  # type: ignore[return-value]


def _save_submission(form: SubmissionForm, ws: Workshop, sub: Submission | None) -> Response | Shown:
    """New (``sub`` None) or edited: the details, the author list, the declared conflicts, the paper and the
    supplementary file."""
    details, conflict_problems = form.to_input()
    user = me()
    email = user.email  # read before the commit expires it

    def check() -> list[str]:
        if (posted := _posted_author_rows()) > submissions.MAX_AUTHORS:
            form.move_author("trim")
            return [f"A submission lists at most {submissions.MAX_AUTHORS} authors (this list has {posted:,})."]
        return submissions.check_authors(details.authors, user, sub) + conflict_problems

    checked: list[CheckedFile] = []  # the files that passed their checks (kept if the save fails after all)

    def files() -> tuple[CheckedFile | None, CheckedFile | None]:
        # Before any PDF is read: the deadline (a form opened in time and posted late has no file checked).
        if sub is None:
            submissions.check_can_create(ws, utcnow())
        else:
            submissions.check_can_edit(ws, sub, utcnow())
        return _uploads(ws, details, sub, checked)

    def save(uploads: tuple[CheckedFile | None, CheckedFile | None]) -> int:
        paper, supplementary = uploads
        if sub is None:
            new = submissions.create_submission(user, ws, details, paper=paper, supplementary=supplementary)
            # The same form posted twice makes one submission: the second is shown the first.
            once.record(url_for(".detail", number=new.number), f"submission #{new.number} was saved")
            return new.number
        version = parse_id(form.version.data) or -1
        submissions.update_submission(user, ws, sub, details, version=version, paper=paper, supplementary=supplementary)
        return sub.number

    result = _handle(form, check, files, save)
    if isinstance(result, Shown):
        _keep_for_next_try(ws, details, sub, result, checked)
        return result
    _forget_pending(sub)
    number, (paper, _) = result
    flash(f"Submission #{number} is saved. A receipt is on its way to {email}.", "success")
    for warning in paper.warnings if paper else []:
        flash(warning, "error")
    return redirect(url_for(".detail", number=number))


def _uploads(
    ws: Workshop, details: Details, sub: Submission | None, checked: list[CheckedFile]
) -> tuple[CheckedFile | None, CheckedFile | None]:
    """The paper and the supplementary file posted (or kept from the last try and ticked to be used again), read
    and checked, after the account's budget of PDF checks. Each file that passes is added to ``checked``."""
    chosen = {kind: _chosen(kind, sub) for kind in UPLOAD_KINDS}
    _spend(sum(1 for c in chosen.values() if c is not None))
    sub_type = next((t for t in ws.submission_types if t.id == details.type_id), None)
    paper = supplementary = None
    raw = _read_chosen(chosen["paper"], ws.max_upload_mb)
    if raw is not None and sub_type is not None:
        paper = submissions.check_paper(ws, sub_type, details.authors, *raw)
        checked.append(paper)
    raw = _read_chosen(chosen["supplementary"], ws.supplementary_max_mb, "supplementary file")
    if raw is not None:
        supplementary = submissions.check_supplementary(ws, *raw)
        checked.append(supplementary)
    return paper, supplementary


# --- uploads kept from a form that came back with an error ----------------------------------------------------
#
# A form refused for another reason (a missing title, an author row, the deadline of a co-author's address) would
# lose the PDF the author chose: the browser never sends a file input back. The files of such a post are kept in
# ``pending/`` of the upload folder, named in the signed session under the form they belong to ("new" or the paper's
# number), for PENDING_MINUTES; the form shows them with a ticked "use this file", and the next post checks them again like
# a fresh upload (the author list may have changed). A successful save forgets them; each new kept file sweeps
# away those older than PENDING_MINUTES.

UPLOAD_KINDS = ("paper", "supplementary")
PENDING = "pending_uploads"
PENDING_MINUTES = 60


def kept_storage() -> LocalStorage:
    """Where kept uploads live: ``pending/`` in the upload folder, apart from the submissions' files (so `flask
    storage check` and backups never take one for an orphan), swept of files older than PENDING_MINUTES."""
    root = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    return LocalStorage(Path(root) / "pending")


def _sweep_kept() -> None:
    store = kept_storage()
    cutoff = time.time() - PENDING_MINUTES * 60
    every = store.keys()  # (a Storage's keys: the files, not a dict's)
    for key in every:
        with contextlib.suppress(OSError):
            if store.modified(key) < cutoff:
                store.delete(key)


def _form_key(sub: Submission | None) -> str:
    return "new" if sub is None else str(sub.id)


def pending_uploads(sub: Submission | None) -> dict[str, dict[str, Any]]:
    """The uploads kept for this form (by kind: key, name, size, when), the expired ones forgotten."""
    kept = dict(session.get(PENDING, {}).get(_form_key(sub), {}))
    fresh = {kind: entry for kind, entry in kept.items() if time.time() - entry.get("at", 0) < PENDING_MINUTES * 60}
    if fresh != kept:
        for kind in set(kept) - set(fresh):
            kept_storage().delete(kept[kind]["key"])
        _set_pending(sub, fresh)
    return fresh


def _set_pending(sub: Submission | None, entries: dict[str, dict[str, Any]]) -> None:
    every = dict(session.get(PENDING, {}))
    if entries:
        every[_form_key(sub)] = entries
    else:
        every.pop(_form_key(sub), None)
    session[PENDING] = every


def _forget_pending(sub: Submission | None) -> None:
    for entry in pending_uploads(sub).values():
        kept_storage().delete(entry["key"])
    _set_pending(sub, {})


def _chosen(kind: str, sub: Submission | None) -> FileStorage | dict[str, Any] | None:
    """What the author chose for ``kind``: a new file, else the kept one when "use this file" is ticked."""
    upload = request.files.get(kind)
    if upload is not None and upload.filename:
        return upload
    if request.form.get(f"keep_{kind}") == "1":
        return pending_uploads(sub).get(kind)
    return None


def _read_chosen(chosen: FileStorage | dict[str, Any] | None, limit_mb: int, what: str = "file") -> tuple[bytes, str] | None:
    if isinstance(chosen, dict):
        try:
            with kept_storage().open(chosen["key"]) as fh:
                return fh.read(), chosen["name"]
        except OSError:
            raise UploadRefused(f"The {what} kept from your last try is gone: choose it again.") from None
    return _read(chosen, limit_mb, what)


def _keep_for_next_try(ws: Workshop, details: Details, sub: Submission | None, shown: Shown, checked: list[CheckedFile]) -> None:
    """Keep the files of a post that was refused for another reason than the files: those that passed their checks
    before the save failed, or, when the form stopped the post before any file was read, the files posted (checked
    now when the submission type is known, so a broken PDF is reported at once rather than kept)."""
    try:  # past the deadline nothing is kept (nor checked)
        if sub is None:
            submissions.check_can_create(ws, utcnow())
        else:
            submissions.check_can_edit(ws, sub, utcnow())
    except DomainError:
        return
    kept = pending_uploads(sub)
    if checked:
        found = {f.kind.value: (f.data, f.filename) for f in checked}
    elif shown.upload_error is None:
        found = {}
        posted = [kind for kind in UPLOAD_KINDS if (f := request.files.get(kind)) is not None and f.filename]
        sub_type = next((t for t in ws.submission_types if t.id == details.type_id), None)
        try:
            for kind in posted:
                limit = ws.max_upload_mb if kind == "paper" else ws.supplementary_max_mb
                raw = _read(request.files.get(kind), limit, "file" if kind == "paper" else "supplementary file")
                if raw is None:
                    continue
                _spend(1)
                if kind == "paper" and sub_type is not None:
                    submissions.check_paper(ws, sub_type, details.authors, *raw)
                elif kind == "supplementary":
                    submissions.check_supplementary(ws, *raw)
                found[kind] = raw
        except UploadRefused as refused:
            shown.upload_error, shown.report = str(refused), refused.report
    else:
        return
    if found:
        _sweep_kept()
    for kind, (data, name) in found.items():
        if kind in kept:
            kept_storage().delete(kept[kind]["key"])
        try:
            saved = kept_storage().save(data)
        except OSError:
            continue  # (a full disk: the file is simply not kept, as before)
        kept[kind] = {"key": saved.key, "name": name, "size": saved.size, "at": time.time()}
    _set_pending(sub, kept)


def _form_page(template: str, form: AuthorRows, shown: Shown, **context: Any) -> tuple[str, int]:
    failed = bool(form.errors or shown.problems or shown.upload_error)  # type: ignore[attr-defined]
    page = render_template(template, form=form, max_authors=submissions.MAX_AUTHORS, **vars(shown), **context)
    return page, 422 if failed else 200


def _submission_page(form: SubmissionForm, ws: Workshop, sub: Submission | None, shown: Shown) -> tuple[str, int]:
    d = ws.deadlines()
    abstract_only = sub is None and d.abstract is not None and utcnow() < d.abstract
    shown.pending = pending_uploads(sub)  # (also when the author comes back to the form within the hour)
    return _form_page(
        "submissions/form.html", form, shown, ws=ws, sub=sub, deadline=ws.paper_deadline(sub), abstract_only=abstract_only
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | Response | tuple[str, int]:
    ws = require_workshop()
    form = SubmissionForm()
    _setup(form, ws)
    if request.method == "POST":
        result = _save_submission(form, ws, None)
        return result if isinstance(result, Response) else _submission_page(form, ws, None, result)
    try:
        submissions.check_can_create(ws, utcnow())
    except DeadlinePassed as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    user = me()
    first = form.authors.entries[0].form
    first.name.data, first.email.data, first.affiliation.data = user.name, user.email, user.affiliation
    return _submission_page(form, ws, None, Shown())


@bp.route("/<int:number>/edit", methods=["GET", "POST"])
def edit(number: int) -> str | Response | tuple[str, int]:
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
    form = SubmissionForm() if request.method == "POST" else SubmissionForm.from_model(sub)
    _setup(form, ws)
    if request.method == "GET":
        return _submission_page(form, ws, sub, Shown())
    result = _save_submission(form, ws, sub)
    return result if isinstance(result, Response) else _submission_page(form, ws, sub, result)


def _authors_only(number: int) -> Submission:
    """404 for who may not know the submission; 403 for who may see it (a chair) but not act as an author."""
    sub = get_submission(number)
    if not permissions.is_author(me(), sub):
        abort(403)
    return sub


@bp.get("/<int:number>")
def detail(number: int) -> str:
    return _detail_page(get_submission(number))


@bp.post("/<int:number>/response")
def response(number: int) -> str | Response | tuple[str, int]:
    """Write or change the authors' response to the reviews (issue 21.3): any author of the paper while the
    response phase is open; a co-author's save since the page was opened is not overwritten."""
    sub = get_submission(number)
    if not permissions.is_author(me(), sub):
        abort(403)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _detail_page(sub, form, problem="Your response was not saved."), 400
    outcome = work.attempt(
        lambda: responses.save_response(me(), sub, form.body.data or "", form.version_seen()),
        unsaved="Your response was not saved.",
        show_deadline=True,
        collision="A co-author saved the response at the same moment. Reload the page to see their text.",
    )
    if outcome.problem:
        return _detail_page(sub, form, problem=outcome.problem), 409
    flash("Your response is saved. The reviewers read it after the response deadline.", "success")
    return redirect(url_for(".detail", number=sub.id, _anchor="response"))


def _detail_page(sub: Submission, response_form: ResponseForm | None = None, problem: str | None = None) -> str:
    ws = require_workshop()
    now = utcnow()
    saved = responses.response_of(sub) if permissions.can_read_response(me(), sub, now) else None
    if response_form is None and permissions.can_write_response(me(), sub, now):
        response_form = ResponseForm(data={"body": saved.body if saved else "", "version": saved.version if saved else ""})
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
        # The reviews as the authors read them (issue 21.4): for the authors once the letter is sent, and for the
        # chairs who handle the paper (what its authors get); an author-chair is an author here.
        author_reviews=decisions.reviews_for_authors(sub) if permissions.review_audience(me(), sub) is not None else "",
        meta_for_authors=meta_reviews.for_authors(ws, [sub.id]).get(sub.id, "")
        if permissions.can_see_decision(me(), sub)
        else "",
        response=saved,
        response_form=response_form,
        response_problem=problem,
        words=responses.words,
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
        outcome = work.attempt(lambda: _change_conflicts(ws, sub, editable, now), unsaved="Nothing was changed.")
        if outcome.ok:
            flash(outcome.value, "success")  # type: ignore[arg-type]
            return redirect(url_for(".conflicts", number=number, q=request.args.get("q", "")))
        problem = outcome.problem
    q = (request.args.get("q") or "").strip()[:200]
    declared = list(sub.declared)
    picked = {c.user_id for c in declared if c.user_id is not None}
    found = submissions.search_program_committee(q, exclude=picked) if q else []
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


def _change_conflicts(ws: Workshop, sub: Submission, editable: bool, now: Any) -> str:
    """Take back a declared conflict (``remove``) or declare one (``person``, ``reason``); what to tell the author."""
    if not editable:
        raise DomainError("This submission can no longer be changed: write to the chairs about a conflict.")
    removing = parse_id(request.form.get("remove"))
    if removing is not None:
        name = submissions.remove_declared_conflict(me(), ws, sub, removing, now=now)
        return f"The conflict with {name} is taken back."
    person = db.session.get(User, parse_id(request.form.get("person")) or 0)
    reason = {r.value: r for r in ConflictReason}.get(request.form.get("reason", ""))
    if person is None or reason is None:
        raise DomainError("Choose a member of the program committee and a reason.")
    submissions.declare_pc_conflict(me(), ws, sub, person, reason, now=now)
    return f"{person.name} is declared a conflict of #{sub.number} ({reason.label.lower()})."


@bp.route("/<int:number>/withdraw", methods=["GET", "POST"])
def withdraw(number: int) -> str | Response:
    ws = require_workshop()
    sub = _authors_only(number)
    if not permissions.can_withdraw_submission(me(), sub):
        flash("This submission cannot be withdrawn now.", "error")
        return redirect(url_for(".detail", number=number))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("submissions/withdraw.html", ws=ws, sub=sub, form=form, deadline=ws.paper_deadline(sub))
    outcome = work.attempt(lambda: submissions.withdraw_submission(me(), ws, sub))
    # Refused or not, to the submission's page, which shows its state: one message, never a second one from this
    # page saying a paper another click has just withdrawn "cannot be withdrawn now".
    to = url_for(".detail", number=number)
    return redirect_after(outcome, f"Submission #{number} is withdrawn. You can restore it until the deadline.", to)


@bp.post("/<int:number>/restore")
def restore(number: int) -> Response:
    ws = require_workshop()
    sub = get_submission(number)
    if not (permissions.is_author(me(), sub) or permissions.can_chair_paper(me(), sub)):
        abort(403)  # the service says which author (the submitter) may
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".detail", number=number))
    outcome = work.attempt(lambda: submissions.restore_submission(me(), ws, sub), unsaved="")  # (its refusals say why)
    return redirect_after(outcome, f"Submission #{number} is restored.", url_for(".detail", number=number))


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
def camera_ready(number: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    sub = _authors_only(number)
    if not permissions.can_upload_camera_ready(me(), sub, utcnow()):
        abort(404)
    form = CameraReadyForm() if request.method == "POST" else CameraReadyForm.from_model(sub)
    shown = Shown()
    if request.method == "POST":
        result = _save_camera_ready(form, ws, sub)
        if isinstance(result, Response):
            return result
        shown = result
    return _form_page("submissions/camera_ready.html", form, shown, ws=ws, sub=sub, deadline=ws.deadlines().camera_ready)


def _save_camera_ready(form: CameraReadyForm, ws: Workshop, sub: Submission) -> Response | Shown:
    """The final title, authors and PDF (not anonymous) of an accepted paper."""
    given, number = form.to_input(), sub.number

    def files() -> CheckedFile:
        raw = _read(request.files.get("paper"), ws.max_upload_mb)
        if raw is None:
            raise UploadRefused("Attach the final PDF.")
        _spend(1)
        return submissions.check_paper(ws, sub.type, given["authors"], *raw, kind=FileKind.CAMERA_READY)

    def save(paper: CheckedFile) -> int:
        submissions.upload_camera_ready(me(), ws, sub, paper=paper, **given)
        return number

    # The author list is checked once the form is valid (its rows' own errors come first).
    result = _handle(form, lambda: [] if form.errors else submissions.check_authors(given["authors"], me(), sub), files, save)
    if isinstance(result, Shown):
        return result
    flash(f"The camera-ready version of #{number} is saved. A receipt is on its way.", "success")
    return redirect(url_for(".detail", number=number))


# --- chairs -------------------------------------------------------------------------------------------


@bp.get("/all")
def all_submissions() -> str:
    """Every submission, 50 a page: filters, search and sortable columns (``services.submission_list``)."""
    if not permissions.is_chair(me()):
        abort(403)
    ws = require_workshop()
    listing = submission_list.submissions_page(ws, me(), submission_list.ListQuery.from_args(request.args))
    return render_template(
        "submissions/all.html",
        ws=ws,
        listing=listing,
        t=listing.query,
        states=submission_list.STATES,
        decisions=submission_list.DECISIONS,
        now=utcnow(),
        deadline=ws.deadlines().paper,
    )


@bp.post("/<int:number>/extension")
def extension(number: int) -> Response:
    ws = require_workshop()
    sub = get_submission(number)
    if not permissions.can_extend_deadline(me(), sub):
        abort(403)
    form = ExtensionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".detail", number=number))

    def extend() -> Any:
        until = form.to_input(ws)
        submissions.extend_deadline(me(), ws, sub, until)
        return until

    outcome = work.attempt(extend)
    return redirect_after(
        outcome,
        lambda until: (
            f"Submission #{number} may now be changed until {format_datetime(until)}."
            if until
            else f"Submission #{number} follows the common deadline again."
        ),
        url_for(".detail", number=number),
    )
