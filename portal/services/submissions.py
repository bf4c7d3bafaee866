"""Submissions: create, edit, upload revisions, withdraw and restore, camera-ready, deadline extensions.

Every function takes the acting user and ``now`` (so tests control the clock), checks the rules, changes
rows, queues mail and flushes; the view commits. Files are stored before the rows that name them and are
deleted again if the unit of work rolls back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from portal import emails, jobs, permissions
from portal.addresses import valid_email
from portal.db import db, like_pattern, utcnow
from portal.domain import ChangedMeanwhile, DeadlinePassed, DomainError, InvalidTransition
from portal.jobs import Progress, job
from portal.models import (
    ConflictReason,
    FileKind,
    Job,
    OutgoingEmail,
    Revision,
    StoredFile,
    Submission,
    SubmissionAuthor,
    SubmissionConflict,
    SubmissionState,
    SubmissionType,
    User,
    Workshop,
)
from portal.pdfcheck import Identity, PdfReport, check_pdf
from portal.services import audit, mail_templates
from portal.services import identities as people
from portal.storage import storage, track_new
from portal.urls import external_url, is_web_address

MAX_AUTHORS = 50
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


# --- deadlines ----------------------------------------------------------------------------------------


def check_can_create(ws: Workshop, now: datetime) -> None:
    d = ws.deadlines()
    if d.opens is not None and now < d.opens:
        raise DeadlinePassed("Submissions are not open yet.", d.opens)
    closes = ws.new_submission_closes()
    if closes is None:
        raise DeadlinePassed("The chairs have not set a submission deadline yet, so submissions are closed.")
    if not now < closes:
        what = "abstract registration" if d.abstract else "submission"
        raise DeadlinePassed(f"The {what} deadline has passed.", closes)


def check_can_edit(ws: Workshop, sub: Submission, now: datetime) -> None:
    if sub.state == SubmissionState.WITHDRAWN:
        raise InvalidTransition("This submission is withdrawn; restore it first.")
    deadline = ws.paper_deadline(sub)
    if deadline is None or not now < deadline:
        raise DeadlinePassed("The submission deadline has passed; the submission can no longer be changed.", deadline)


# --- input --------------------------------------------------------------------------------------------


@dataclass
class AuthorInput:
    name: str
    email: str
    affiliation: str


@dataclass
class Details:
    title: str
    abstract: str
    type_id: int
    primary_topic_id: int
    secondary_topic_ids: list[int]
    keywords: str
    authors: list[AuthorInput]
    declared_conflicts: str


def check_authors(authors: list[AuthorInput], submitter: User, sub: Submission | None = None) -> list[str]:
    """Problems with the author list, each a sentence; an empty list when it is fine. The person saving
    (``submitter``) must be on it, and so must the paper's submitter: a co-author cannot drop them."""
    problems: list[str] = []
    if not authors:
        return ["List at least one author."]
    if len(authors) > MAX_AUTHORS:
        return [f"A submission lists at most {MAX_AUTHORS} authors (this list has {len(authors):,})."]
    seen: dict[str, int] = {}
    for i, a in enumerate(authors, start=1):
        if not a.name.strip() or not a.email.strip():
            problems.append(f"Author {i}: give a name and an email address.")
            continue
        try:
            a.email = valid_email(a.email)
        except ValueError:
            problems.append(f"Author {i}: “{a.email.strip()[:80]}” is not an email address.")
            continue
        if a.email in seen:
            problems.append(f"Author {i} ({a.email}) is listed twice (also author {seen[a.email]}).")
        seen.setdefault(a.email, i)
    if problems:
        return problems
    if not _listed(submitter, sub, seen):
        problems.append(f"You ({submitter.email}) must be one of the authors.")
    owner = sub.submitter if sub is not None else None
    if owner is not None and owner.id != submitter.id and not _listed(owner, sub, seen):
        problems.append(f"{owner.name} submitted this paper and stays one of its authors.")
    return problems


def _listed(person: User, sub: Submission | None, emails: dict[str, int]) -> bool:
    """Whether ``person`` is on the list: by an address they confirmed, or by a row already linked to them."""
    if person.email in emails:
        return True
    linked = {a.email for a in sub.authors if a.user_id == person.id} if sub is not None else set()
    return bool(linked & emails.keys()) or any(e in emails for e in people.addresses_of(person))


def parse_declared_conflicts(text: str) -> tuple[str, list[str]]:
    """Reviewer emails the authors conflict with, one per line -> normalized text and problems."""
    found, problems = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            found.append(valid_email(line))
        except ValueError as exc:
            problems.append(str(exc))
    return "\n".join(dict.fromkeys(found)), problems


# --- file checks --------------------------------------------------------------------------------------


@dataclass
class CheckedFile:
    """An upload that passed its checks, ready to be stored."""

    kind: FileKind
    data: bytes
    filename: str
    content_type: str
    report: PdfReport | None = None
    warnings: list[str] = field(default_factory=list)
    copy_later: bool = False  # the reviewers' copy is left to a background job (large files, with Redis)


class UploadRefused(DomainError):
    """The upload breaks a rule; ``report`` holds what the check found (shown with the message)."""

    def __init__(self, message: str, report: PdfReport | None = None) -> None:
        super().__init__(message)
        self.report = report


def identities(authors: list[AuthorInput]) -> list[Identity]:
    found: list[Identity] = []
    for a in authors:
        if a.name.strip():
            found.append(Identity("name", " ".join(a.name.split())))
        if a.email.strip():
            found.append(Identity("email", a.email.strip()))
        if len(a.affiliation.strip()) >= 4:
            found.append(Identity("affiliation", " ".join(a.affiliation.split())))
    return list({(i.kind, i.text.lower()): i for i in found}.values())


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def check_paper(
    ws: Workshop,
    sub_type: SubmissionType,
    authors: list[AuthorInput],
    data: bytes,
    filename: str,
    *,
    kind: FileKind = FileKind.PAPER,
) -> CheckedFile:
    """The instant check of a paper PDF. Raises UploadRefused with the reason; returns warnings otherwise."""
    limit = ws.max_upload_mb * 1_000_000
    if len(data) == 0:
        raise UploadRefused("The file is empty (0 bytes).")
    if len(data) > limit:
        raise UploadRefused(f"The file is {megabytes(len(data))}; the limit is {ws.max_upload_mb} MB.")
    anonymous = ws.double_blind and kind == FileKind.PAPER
    cfg = current_app.config
    # Everything that decides whether the upload is accepted runs now (about 60 ms for 50 pages and 13 MB);
    # only the reviewers' copy of a large file, which rewrites the whole PDF, may wait for a worker.
    copy_later = anonymous and jobs.is_async() and len(data) >= cfg["PDF_BACKGROUND_MB"] * 1_000_000
    report = check_pdf(
        data,
        identities(authors) if anonymous else [],
        strip=anonymous and not copy_later,
        timeout=cfg["PDF_CHECK_TIMEOUT"],
        memory_mb=cfg["PDF_CHECK_MEMORY_MB"],
    )
    if not report.ok:
        raise UploadRefused(report.error or "The file could not be checked.", report)
    warnings: list[str] = []
    if kind == FileKind.PAPER:
        if sub_type.reference_pages is None:
            if report.main_pages > sub_type.page_limit:
                where = (
                    f"the references start on page {report.references_page}"
                    if report.references_page
                    else "no “References” heading was found, so every page counts"
                )
                raise UploadRefused(
                    f"The main text has {report.main_pages} pages; a {sub_type.name.lower()} allows "
                    f"{sub_type.page_limit} ({where}).",
                    report,
                )
        elif report.pages > sub_type.page_limit + sub_type.reference_pages:
            raise UploadRefused(
                f"The PDF has {report.pages} pages; a {sub_type.name.lower()} allows {sub_type.page_limit} "
                f"plus {sub_type.reference_pages} for references.",
                report,
            )
    if anonymous and report.hits:
        count = len(report.hits)
        message = f"The anonymity check found {count} place{'s' if count != 1 else ''} that may reveal an author (listed below)."
        if ws.anonymity_blocks:
            raise UploadRefused(message + " Remove them and upload again.", report)
        warnings.append(message + " Please check them; reviewers must not learn who the authors are.")
    return CheckedFile(kind, data, filename, "application/pdf", report, warnings, copy_later)


def check_supplementary(ws: Workshop, data: bytes, filename: str) -> CheckedFile:
    limit = ws.supplementary_max_mb * 1_000_000
    if len(data) == 0:
        raise UploadRefused("The supplementary file is empty (0 bytes).")
    if len(data) > limit:
        raise UploadRefused(f"The supplementary file is {megabytes(len(data))}; the limit is {ws.supplementary_max_mb} MB.")
    if data.startswith(ZIP_MAGIC):
        return CheckedFile(FileKind.SUPPLEMENTARY, data, filename, "application/zip")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        report = check_pdf(
            data, [], timeout=current_app.config["PDF_CHECK_TIMEOUT"], memory_mb=current_app.config["PDF_CHECK_MEMORY_MB"]
        )
        if not report.ok:
            raise UploadRefused(f"Supplementary material: {report.error}", report)
        return CheckedFile(FileKind.SUPPLEMENTARY, data, filename, "application/pdf", report)
    raise UploadRefused("Supplementary material must be a PDF or a ZIP file (by its content, not its name).")


# --- changes ------------------------------------------------------------------------------------------


def _store(data: bytes, content_type: str, filename: str) -> StoredFile:
    store = storage()
    saved = store.save(data)
    track_new(db.session(), store, saved.key)
    row = StoredFile(
        storage_key=saved.key,
        sha256=saved.sha256,
        size=saved.size,
        content_type=content_type,
        original_name=re.sub(r"[\x00-\x1f\x7f]", "", filename)[:255],
    )
    db.session.add(row)
    return row


def _add_revision(sub: Submission, checked: CheckedFile, actor: User) -> Revision:
    file = _store(checked.data, checked.content_type, checked.filename)
    reviewer_file = None
    if checked.report is not None and checked.report.stripped is not None:
        reviewer_file = _store(checked.report.stripped, "application/pdf", "")
    report = checked.report.to_dict() if checked.report else {}
    report["warnings"] = checked.warnings
    revision = Revision(
        kind=checked.kind,
        file=file,
        reviewer_file=reviewer_file,
        uploaded_by=actor,
        pages=checked.report.pages if checked.report else None,
        page_size=checked.report.page_size if checked.report else "",
        check_report=report,
    )
    sub.revisions.append(revision)
    if checked.copy_later:
        db.session.flush()
        jobs.later("reviewers_copy", actor, revision_id=revision.id)
    return revision


def ensure_reviewers_copy(revision: Revision) -> StoredFile | None:
    """The reviewers' copy: the pages' drawing and nothing else (see ``portal.pdfcheck``). Made at upload for a
    double-blind paper; made here when the paper was uploaded while the workshop was single-blind, when its
    background job has not run yet, or when its copy is older than copies rebuilt from the pages (its check's
    report then says nothing of what a copy leaves out, and the copy may hold comments, the outline or attached
    files, or be the upload itself). Of two made at once, the first recorded wins; the other is dropped. None when
    no copy can be made."""
    current, report = revision.reviewer_file, dict(revision.check_report or {})
    if current is not None and report.get("dropped") is not None:
        return current
    with storage().open(revision.file.storage_key) as fh:
        data = fh.read()
    cfg = current_app.config
    checked = check_pdf(data, [], strip=True, timeout=cfg["PDF_CHECK_TIMEOUT"], memory_mb=cfg["PDF_CHECK_MEMORY_MB"])
    if checked.stripped is None:
        return None
    copy = _store(checked.stripped, "application/pdf", "")
    db.session.flush()
    unchanged = Revision.reviewer_file_id.is_(None) if current is None else Revision.reviewer_file_id == current.id
    claimed = db.session.execute(
        sa.update(Revision)
        .where(Revision.id == revision.id, unchanged)
        .values(reviewer_file_id=copy.id, check_report={**report, "dropped": checked.dropped})
    ).rowcount
    if not claimed:
        db.session.delete(copy)
        storage().delete(copy.storage_key)
    db.session.refresh(revision)
    return revision.reviewer_file


def _set_details(ws: Workshop, sub: Submission, details: Details) -> list[str]:
    """Apply the details; return the emails of authors newly on the list."""
    with db.session.no_autoflush:  # the form has loaded both lists already: no query
        topics = {t.id: t for t in ws.topics}
        types = {t.id: t for t in ws.submission_types}
    if details.type_id not in types or details.primary_topic_id not in topics:
        raise DomainError("Choose a submission type and a primary topic from the lists.")
    sub.title, sub.abstract, sub.keywords = details.title, details.abstract, details.keywords
    sub.type = types[details.type_id]
    sub.primary_topic = topics[details.primary_topic_id]
    sub.secondary_topics = sorted(
        (topics[i] for i in set(details.secondary_topic_ids) if i in topics and i != details.primary_topic_id),
        key=lambda t: t.position,
    )
    sub.declared_conflicts = details.declared_conflicts
    before = {a.email for a in sub.authors}
    existing = {a.email: a for a in sub.authors}
    sub.authors = [_author(existing.get(a.email), position, a) for position, a in enumerate(details.authors, start=1)]
    return [a.email for a in details.authors if a.email not in before]


def _author(row: SubmissionAuthor | None, position: int, a: AuthorInput) -> SubmissionAuthor:
    row = row or SubmissionAuthor(email=a.email)
    row.position, row.name, row.affiliation = position, " ".join(a.name.split()), " ".join(a.affiliation.split())
    return row


def create_submission(
    actor: User,
    ws: Workshop,
    details: Details,
    *,
    paper: CheckedFile | None,
    supplementary: CheckedFile | None = None,
    now: datetime | None = None,
) -> Submission:
    now = now or utcnow()
    check_can_create(ws, now)
    d = ws.deadlines()
    if paper is None and not (d.abstract and now < d.abstract):
        raise UploadRefused("Attach the paper as a PDF.")
    # Complete before the first flush (its revision list known to be empty, its time of submission set), so
    # that saving it takes inserts only.
    sub = Submission(
        workshop_id=ws.id,
        submitter=actor,
        created_at=now,
        updated_at=now,
        revisions=[],
        state=SubmissionState.SUBMITTED if paper else SubmissionState.ABSTRACT,
        submitted_at=now if paper else None,
    )
    new_authors = _set_details(ws, sub, details)
    _check_notices(actor, [e for e in new_authors if e != actor.email], now)
    people.link_own_row(actor, sub)
    db.session.add(sub)
    db.session.flush()
    people.bind_submission(sub)
    for checked in (paper, supplementary):
        if checked is not None:
            _add_revision(sub, checked, actor)
    db.session.flush()
    _queue_receipt(ws, sub, actor, now, "registered" if paper is None else "submitted")
    _queue_coauthor_notices(ws, sub, actor, [e for e in new_authors if e != actor.email])
    return sub


def update_submission(
    actor: User,
    ws: Workshop,
    sub: Submission,
    details: Details,
    *,
    version: int,
    paper: CheckedFile | None = None,
    supplementary: CheckedFile | None = None,
    now: datetime | None = None,
) -> Submission:
    now = now or utcnow()
    check_can_edit(ws, sub, now)
    if version != sub.version:
        raise ChangedMeanwhile(
            "Someone (perhaps you, in another tab) saved this submission after you opened this form. "
            "Reload the page to see the latest version, then make your change again."
        )
    before = [(a.name, a.email) for a in sub.authors]
    new_authors = _set_details(ws, sub, details)
    _check_notices(actor, [e for e in new_authors if e != actor.email], now)
    people.bind_submission(sub, actor)
    people.suspend_conflicted(papers=[sub.id], now=now)
    for checked in (paper, supplementary):
        if checked is not None:
            _add_revision(sub, checked, actor)
    if paper is not None and sub.state == SubmissionState.ABSTRACT:
        sub.state = SubmissionState.SUBMITTED
        sub.submitted_at = now
    sub.updated_at = now
    db.session.flush()
    _queue_receipt(ws, sub, actor, now, "updated")
    _queue_coauthor_notices(ws, sub, actor, [e for e in new_authors if e != actor.email])
    if before != [(a.name, a.email) for a in sub.authors]:
        _tell_the_authors(ws, sub, actor, "its author list changed", before=before)
    return sub


# --- conflicts the authors declare with the program committee --------------------------------------------

SEARCH_LIMIT = 20


def search_program_committee(q: str, *, exclude: set[int] | None = None) -> list[User]:
    """Program-committee members (reviewers and chairs) whose name or affiliation contains ``q``: at most
    ``SEARCH_LIMIT``, by name; a search, never a list of hundreds."""
    pattern = like_pattern(q)
    stmt = (
        sa.select(User)
        .where(
            sa.or_(User.is_reviewer, User.is_chair),
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"), sa.func.lower(User.affiliation).like(pattern, escape="\\")
            ),
        )
        .order_by(User.name, User.id)
        .limit(SEARCH_LIMIT + len(exclude or ()))
    )
    return [u for u in db.session.scalars(stmt) if u.id not in (exclude or set())][:SEARCH_LIMIT]


def declare_pc_conflict(
    actor: User, ws: Workshop, sub: Submission, person: User, reason: ConflictReason, now: datetime | None = None
) -> SubmissionConflict:
    """The authors declare a conflict with a program-committee member; an assignment it hits is suspended."""
    now = now or utcnow()
    check_can_edit(ws, sub, now)
    if not (person.is_reviewer or person.is_chair):
        raise DomainError(
            "Conflicts are declared here with members of the program committee only; write other "
            "addresses in the submission form."
        )
    if any(c.user_id == person.id for c in sub.declared):
        raise DomainError(f"A conflict with {person.name} is declared already.")
    row = SubmissionConflict(user_id=person.id, reason=reason, created_at=now)
    sub.declared.append(row)
    sub.updated_at = now
    audit.record(
        actor,
        "submission.conflict",
        f"#{sub.id}: the authors declared a conflict with a committee member ({reason.label.lower()})",
        submission=sub,
    )
    db.session.flush()
    people.suspend_conflicted(papers=[sub.id], now=now)
    return row


def remove_declared_conflict(actor: User, ws: Workshop, sub: Submission, conflict_id: int, now: datetime | None = None) -> str:
    now = now or utcnow()
    check_can_edit(ws, sub, now)
    row = next((c for c in sub.declared if c.id == conflict_id), None)
    if row is None:
        raise DomainError("There is no such conflict on this submission.")
    name = row.user.name if row.user is not None and row.email is None else (row.email or "")
    sub.declared.remove(row)
    sub.updated_at = now
    audit.record(actor, "submission.conflict", f"#{sub.id}: the authors took back a declared conflict", submission=sub)
    db.session.flush()
    return name


def withdraw_submission(actor: User, ws: Workshop, sub: Submission, now: datetime | None = None) -> None:
    now = now or utcnow()
    if sub.state == SubmissionState.WITHDRAWN:
        raise InvalidTransition("This submission is withdrawn already.")
    if sub.decision is not None:
        raise InvalidTransition("A decision has been made on this submission; write to the chairs to withdraw it.")
    sub.state, sub.withdrawn_at, sub.updated_at = SubmissionState.WITHDRAWN, now, now
    db.session.flush()
    _queue_receipt(ws, sub, actor, now, "withdrawn")
    _tell_the_authors(ws, sub, actor, "it was withdrawn")


def restore_submission(actor: User, ws: Workshop, sub: Submission, now: datetime | None = None) -> None:
    now = now or utcnow()
    if sub.state != SubmissionState.WITHDRAWN:
        raise InvalidTransition("This submission is not withdrawn.")
    chair = permissions.can_chair_paper(actor, sub)
    if not chair and actor.id != sub.submitter_id:
        raise InvalidTransition("Only the author who submitted this paper, or a chair, can restore it.")
    deadline = ws.paper_deadline(sub)
    if not chair and (deadline is None or not now < deadline):
        raise DeadlinePassed("The submission deadline has passed, so a withdrawn submission stays withdrawn.", deadline)
    sub.state = SubmissionState.SUBMITTED if sub.paper is not None else SubmissionState.ABSTRACT
    sub.withdrawn_at, sub.updated_at = None, now
    db.session.flush()
    _queue_receipt(ws, sub, actor, now, "restored")
    _tell_the_authors(ws, sub, actor, "it was restored after a withdrawal")


def extend_deadline(actor: User, ws: Workshop, sub: Submission, until: datetime | None) -> None:
    """A chair gives one submission more time (None: back to the common deadline)."""
    common = ws.deadlines().paper
    if until is not None and common is not None and until <= common:
        raise DomainError("An extension must end after the common deadline.")
    sub.deadline_override = until
    audit.record(
        actor,
        "submission.extend",
        f"#{sub.id}: deadline extended until {until.isoformat(timespec='minutes')}"
        if until
        else f"#{sub.id}: extension removed, back to the common deadline",
        submission=sub,
    )
    db.session.flush()


def upload_camera_ready(
    actor: User,
    ws: Workshop,
    sub: Submission,
    *,
    title: str,
    authors: list[AuthorInput],
    paper: CheckedFile,
    version: int,
    now: datetime | None = None,
) -> Revision:
    """The final, non-anonymous PDF of an accepted paper; the title and authors may be corrected too."""
    now = now or utcnow()
    if not sub.camera_ready_open(now):
        raise DeadlinePassed(
            "Camera-ready uploads are open only for accepted papers, until the camera-ready deadline.",
            ws.deadlines().camera_ready,
        )
    if version != sub.version:
        raise ChangedMeanwhile("Someone saved this submission after you opened this form; reload and try again.")
    removed = {a.email for a in sub.authors} - {a.email for a in authors}
    if removed:
        raise DomainError(
            f"After the deadline an author ({', '.join(sorted(removed))}) can only be taken off the "
            "paper by the chairs: write to them."
        )
    before = [(a.name, a.email) for a in sub.authors]
    added = [a.email for a in authors if a.email not in {e for _, e in before}]
    _check_notices(actor, [e for e in added if e != actor.email], now)
    sub.title = title
    existing = {a.email: a for a in sub.authors}
    sub.authors = [_author(existing.get(a.email), i, a) for i, a in enumerate(authors, start=1)]
    people.bind_submission(sub, actor)
    people.suspend_conflicted(papers=[sub.id], now=now)
    revision = _add_revision(sub, paper, actor)
    sub.updated_at = now
    db.session.flush()
    _queue_receipt(ws, sub, actor, now, "camera-ready version received")
    _queue_coauthor_notices(ws, sub, actor, [e for e in added if e != actor.email])
    _tell_the_authors(ws, sub, actor, "its camera-ready version was uploaded", before=before)
    return revision


# --- mail ---------------------------------------------------------------------------------------------


def _queue_receipt(ws: Workshop, sub: Submission, actor: User, now: datetime, what: str) -> None:
    paper = sub.paper
    # The anonymity check's hits on the paper as it stands, on a receipt for submitting or changing it.
    hits = (paper.check_report or {}).get("hits", []) if paper is not None and what in ("submitted", "updated") else []
    mail_templates.queue(
        ws,
        "submission_receipt",
        to=actor.email,
        reply_to=ws.contact_email,
        subject=f"[{ws.label}] Submission #{sub.number} {what}: {sub.title}",
        ws=ws,
        sub=sub,
        actor=actor,
        what=what,
        when=now,
        paper=paper,
        hits=hits,
        supplementary=sub.latest(FileKind.SUPPLEMENTARY),
        camera_ready=sub.latest(FileKind.CAMERA_READY),
        url=external_url("submissions.detail", number=sub.number),
    )


def _check_notices(actor: User, addresses: list[str], now: datetime) -> None:
    """A notice to each newly listed author is mail to an address the actor typed: at most
    ``COAUTHOR_NOTICES_PER_HOUR`` an account, counted in the outbox (so across every worker and machine)."""
    if not addresses:
        return
    limit = current_app.config["COAUTHOR_NOTICES_PER_HOUR"]
    sent = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutgoingEmail)
            .where(
                OutgoingEmail.kind == "coauthor_notice",
                OutgoingEmail.reply_to == actor.email,
                OutgoingEmail.created_at > now - timedelta(hours=1),
            )
        )
        or 0
    )
    if sent + len(addresses) > limit:
        raise DomainError(
            f"This would tell {len(addresses)} new author{'s' if len(addresses) != 1 else ''} of the "
            f"paper, and {sent} were told in the last hour: at most {limit} an hour may be. Add the other "
            "authors in an hour, or write to the chairs."
        )


def _tell_the_authors(ws: Workshop, sub: Submission, actor: User, what: str, before: list[tuple[str, str]] | None = None) -> None:
    """Every author hears of a change one of them made (no co-author acts alone in silence): those on the list now
    and, when the list changed, those taken off it. The person who made it has the receipt."""
    now_listed = [(a.name, a.email) for a in sub.authors]
    removed = [(n, e) for n, e in (before or []) if e not in {x for _, x in now_listed}]
    linked = {a.email: a.mail_address for a in sub.authors}
    to = sorted({linked.get(e, e) for _, e in now_listed + removed} - {actor.email})
    if not to:
        return
    emails.queue(
        kind="author_notice",
        to=to,
        reply_to=actor.email,
        template="author_notice",
        subject=f"[{ws.label}] Submission #{sub.number}: {what}",
        ws=ws,
        sub=sub,
        actor=actor,
        what=what,
        authors=now_listed,
        removed=removed,
        added=[(n, e) for n, e in now_listed if before is not None and e not in {x for _, x in before}],
        url=external_url("submissions.detail", number=sub.number),
    )


def _queue_coauthor_notices(ws: Workshop, sub: Submission, actor: User, addresses: list[str]) -> None:
    for author in sub.authors:
        if author.email in addresses:
            emails.queue(
                kind="coauthor_notice",
                to=author.email,
                reply_to=actor.email,
                template="coauthor_notice",
                subject=f"[{ws.label}] You are an author of submission #{sub.number}",
                ws=ws,
                sub=sub,
                actor=actor,
                author=author,
                url=external_url("submissions.detail", number=sub.number),
                register_url=external_url("auth.register"),
            )


# --- its background job -------------------------------------------------------------------------------


@job("reviewers_copy", "Making the reviewers' copy of a paper")
def run_reviewers_copy(row: Job, progress: Progress, *, revision_id: int) -> dict[str, Any]:
    """The copy without document metadata of a large upload, made after the author's request answered."""
    revision = db.session.get(Revision, revision_id)
    if revision is None:
        return {"message": "The upload was replaced or removed; no copy was needed."}
    progress(0, 1, "Removing the document metadata", force=True)
    file = ensure_reviewers_copy(revision)
    if file is None:
        raise RuntimeError("The PDF could not be copied without its metadata; reviewers get it when they download.")
    db.session.commit()
    return {"message": f"The reviewers' copy of paper #{revision.submission_id} is ready ({megabytes(file.size)})."}


# --- after the workshop: an accepted paper's poster, slides and video link ------------------------------------

MATERIALS = ("poster", "slides")


def check_material(ws: Workshop, sub: Submission, data: bytes, filename: str, what: str) -> CheckedFile:
    """A poster or slides: a PDF through the papers' check and size limit (no page limit, no anonymity check)."""
    try:
        return check_paper(ws, sub.type, [], data, filename, kind=FileKind.CAMERA_READY)
    except UploadRefused as exc:
        raise UploadRefused(f"The {what}: {exc}", exc.report) from exc


def video_problem(url: str) -> str | None:
    if not is_web_address(url):
        return "Give the video's web address, starting with https:// (or http://)."
    return None


def save_materials(
    actor: User,
    sub: Submission,
    *,
    poster: CheckedFile | None,
    slides: CheckedFile | None,
    video_url: str,
    remove: set[str],
    version: int,
) -> list[str]:
    """Add, replace or remove an accepted paper's poster and slides and set its video link: what changed."""
    if not permissions.can_add_materials(actor, sub):
        raise InvalidTransition(f"#{sub.id} is not an accepted paper of yours.")
    if version != sub.version:
        raise ChangedMeanwhile("Someone changed this paper's materials since you opened the page.")
    video_url = video_url.strip()
    if video_url and (problem := video_problem(video_url)):
        raise DomainError(problem)
    changed: list[str] = []
    replaced: list[StoredFile] = []
    for what, checked in (("poster", poster), ("slides", slides)):
        current = getattr(sub, f"{what}_file")
        if checked is not None:
            setattr(sub, f"{what}_file", _store(checked.data, "application/pdf", checked.filename))
            changed.append(f"{what} {'replaced' if current else 'added'}")
        elif what in remove and current is not None:
            setattr(sub, f"{what}_file", None)
            changed.append(f"{what} removed")
        else:
            continue
        if current is not None:
            replaced.append(current)
    db.session.flush()
    for row in replaced:  # its file is an orphan from the commit on (`flask storage check --delete-orphans`)
        db.session.delete(row)
    if video_url != sub.video_url:
        changed.append("video link " + ("removed" if not video_url else "set"))
        sub.video_url = video_url
    if changed:
        sub.updated_at = utcnow()
        audit.record(actor, "submission.materials", f"#{sub.id} materials: {', '.join(changed)}", submission=sub)
    db.session.flush()
    return changed
