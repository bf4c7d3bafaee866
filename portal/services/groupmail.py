"""Group mail from the chairs: an audience, a subject and a body with placeholders, rendered in a sandbox for each
recipient, previewed, then queued as one outbox row per recipient (nobody sees another recipient's address).

Author audiences send one mail per author per paper, so ``{{ title }}`` and ``{{ number }}`` name that paper; an
author of two papers gets two mails. They narrow by ``Filters``: decision, presentation, topic and state (withdrawn
submissions only when asked for by name), or are the papers the chair chose by number (ticked on the decisions
page). Decision and presentation filters take only the papers whose decision letter is sent ("no decision told
yet": those whose letter is not): a group mail never tells authors a decision before its letter does, and a
chair who is an author of a paper learns nothing about it from a recipient count. "Reviewers with unfinished
reviews" and "reviews missing" leave out the papers the sending chair is an author of or conflicted with (their
reviews are not the chair's to know).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from jinja2 import StrictUndefined, Template, TemplateError
from sqlalchemy.orm import selectinload

from portal import emails, jobs
from portal.db import MAX_ID, db
from portal.domain import Conflicted, DomainError
from portal.jobs import Progress, deliver_queued, job, path_for
from portal.models import (
    AuditEvent,
    Decision,
    Job,
    Letter,
    OutgoingEmail,
    PaperScore,
    Presentation,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    User,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.permissions import chair_conflicted_ids
from portal.sandbox import RUNTIME_ERRORS, BudgetExceeded, chair_sandbox
from portal.services import audit

AUDIENCES = {
    "authors": "All authors",
    "papers": "Authors of chosen papers",
    "accepted": "Authors of accepted papers",
    "rejected": "Authors of rejected papers",
    "reviewers": "All reviewers",
    "unfinished": "Reviewers with unfinished reviews",
    "chairs": "All chairs",
}
HELP = {
    "authors": "Every author of every submission that is not withdrawn, or of the papers the filters below choose; "
    "one mail per author per paper.",
    "papers": "Every author of the papers numbered below (ticked on the decisions page, or typed), whatever their "
    "state; one mail per author per paper.",
    "accepted": "Every author of each accepted paper whose decision letter is sent; one mail per author per paper.",
    "rejected": "Every author of each rejected paper whose decision letter is sent; one mail per author per paper.",
    "reviewers": "Everyone with the reviewer role; one mail each.",
    "unfinished": "Reviewers with an assigned review not yet submitted; one mail each.",
    "chairs": "Everyone with the chair role; one mail each.",
}
PAPER_AUDIENCES = frozenset({"authors", "papers", "accepted", "rejected"})
#: The author audiences the filters narrow ("papers" is the chosen papers, as chosen).
FILTERED_AUDIENCES = frozenset({"authors", "accepted", "rejected"})
#: How many recipients the preview lists before it says "and N more".
PREVIEW_LIMIT = 50
STATES = {
    "": "Not withdrawn",
    "submitted": "Submitted",
    "abstract": "Abstract only (no PDF yet)",
    "withdrawn": "Withdrawn",
    "missing": "Submitted, with reviews missing",
}
UNDECIDED = "undecided"
MAX_PAPERS = 25_000
PLACEHOLDERS = ("name", "email", "workshop")
PAPER_PLACEHOLDERS = ("title", "number", "authors")
ACTION = "mail.group"
_DECISIONS = {"accepted": Decision.ACCEPTED, "rejected": Decision.REJECTED}
_env = chair_sandbox(StrictUndefined)
_RUNTIME_ERRORS = RUNTIME_ERRORS


@dataclass(frozen=True)
class Paper:
    """What a mail about a paper says of it (plain values, read once: nothing is loaded again per recipient)."""

    id: int
    title: str
    authors: str


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    paper: Paper | None = None  # author audiences: the paper this mail is about


@dataclass(frozen=True)
class Filters:
    """Which papers' authors an author audience takes (all of them empty: every paper not withdrawn)."""

    decision: str = ""  # "", UNDECIDED (no letter sent yet) or a Decision value (its letter sent)
    presentation: str = ""  # "" or a Presentation value (its letter sent)
    topic: int | None = None  # primary or secondary topic
    state: str = ""  # a key of STATES
    papers: tuple[int, ...] = ()  # the "papers" audience: the chosen papers' numbers

    @classmethod
    def from_values(
        cls, *, decision: Any = "", presentation: Any = "", topic: Any = None, state: Any = "", papers: Any = ""
    ) -> Filters:
        """From what a form or a job's arguments hold; a value that names nothing is no filter."""
        decision = decision if decision == UNDECIDED or decision in Decision._value2member_map_ else ""
        presentation = presentation if presentation in Presentation._value2member_map_ else ""
        topic_id = int(topic) if str(topic or "").isascii() and str(topic or "").isdigit() else None
        return cls(
            decision=decision,
            presentation=presentation,
            topic=topic_id if topic_id and topic_id <= MAX_ID else None,
            state=state if state in STATES else "",
            papers=tuple(parse_papers(papers)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "presentation": self.presentation,
            "topic": self.topic,
            "state": self.state,
            "papers": ",".join(map(str, self.papers)),
        }

    def describe(self, ws: Workshop, audience: str) -> str:
        """The filters in words, for the preview's heading and the history ("accepted, oral, topic …")."""
        if audience == "papers":
            return f"{len(self.papers)} paper{'s' if len(self.papers) != 1 else ''} chosen"
        if audience not in FILTERED_AUDIENCES:
            return ""
        parts = []
        if self.decision == UNDECIDED:
            parts.append("no decision told yet")
        elif self.decision:
            parts.append(self.decision)
        if self.presentation:
            parts.append(self.presentation)
        if self.topic:
            title = next((t.title for t in ws.topics if t.id == self.topic), f"topic {self.topic}")
            parts.append(f"topic “{title}”")
        if self.state:
            parts.append(STATES[self.state].lower())
        return ", ".join(parts)


def parse_papers(text: Any) -> list[int]:
    """Paper numbers from what the chair typed or ticked ("12, 15 #18"; a ticked row's "12:3" is paper 12), in
    order, once each; what is no number is skipped."""
    found: dict[int, None] = {}
    for token in re.split(r"[\s,;#]+", str(text or "")[:200_000]):
        number = token.partition(":")[0]
        if number.isascii() and number.isdigit() and len(number) <= 9 and 0 < int(number) <= MAX_ID:
            found.setdefault(int(number))
            if len(found) >= MAX_PAPERS:
                break
    return list(found)


@dataclass
class Preview:
    audience: str
    recipients: list[Recipient]
    mails: list[tuple[str, str]]  # (subject, body) per recipient, in the same order
    digest: str  # what the chair saw: sending checks that nothing changed since
    notes: list[str] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    described: str = ""  # the filters in words

    @property
    def label(self) -> str:
        return AUDIENCES[self.audience] + (f" ({self.described})" if self.described else "")

    @property
    def shown(self) -> list[Recipient]:
        """The recipients the preview lists: the first ``PREVIEW_LIMIT``."""
        return self.recipients[:PREVIEW_LIMIT]

    @property
    def more(self) -> int:
        return max(0, len(self.recipients) - PREVIEW_LIMIT)


class PreviewOutdated(Conflicted):
    """The recipients or the text changed since the preview; ``preview`` is the new one to check."""

    def __init__(self, message: str, preview: Preview) -> None:
        super().__init__(message)
        self.preview = preview


def placeholders(audience: str) -> tuple[str, ...]:
    return PLACEHOLDERS + (PAPER_PLACEHOLDERS if audience in PAPER_AUDIENCES else ())


def recipients(actor: User, ws: Workshop, audience: str, filters: Filters | None = None) -> list[Recipient]:
    """Who gets the mail, in a stable order (papers by number and author position; people by name)."""
    if audience not in AUDIENCES:
        raise DomainError("Choose who gets the mail.")
    if audience in PAPER_AUDIENCES:
        stmt = (
            sa.select(Submission)
            .where(Submission.workshop_id == ws.id, *_papers_of(actor, ws, audience, filters or Filters()))
            .options(selectinload(Submission.authors).selectinload(SubmissionAuthor.user))
            .order_by(Submission.id)
        )
        people = []
        for sub in db.session.scalars(stmt):
            paper = Paper(sub.id, sub.title, ", ".join(a.name for a in sub.authors))
            people += [Recipient(a.name, a.mail_address, paper) for a in sub.authors]
        return people
    people = sa.select(User)
    if audience == "reviewers":
        people = people.where(User.is_reviewer)
    elif audience == "chairs":
        people = people.where(User.is_chair)
    else:
        unfinished = (
            sa.select(ReviewAssignment.reviewer_id)
            .join(Submission, Submission.id == ReviewAssignment.submission_id)
            .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
            .where(
                Submission.workshop_id == ws.id,
                Submission.state == SubmissionState.SUBMITTED,
                Submission.id.not_in(chair_conflicted_ids(actor)),
                ReviewAssignment.suspended_at.is_(None),
                sa.or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED),
            )
        )
        people = people.where(User.is_reviewer, User.id.in_(unfinished))
    return [Recipient(u.name, u.email) for u in db.session.scalars(people.order_by(User.name, User.id))]


def _papers_of(actor: User, ws: Workshop, audience: str, f: Filters) -> list[sa.ColumnElement[bool]]:
    """The conditions on the papers whose authors an author audience takes."""
    if audience == "papers":
        return [Submission.id.in_(list(f.papers))]
    told = sa.select(Letter.submission_id).where(Letter.email_id.is_not(None))
    where: list[sa.ColumnElement[bool]] = []
    decision = _DECISIONS.get(audience) or (Decision(f.decision) if f.decision in Decision._value2member_map_ else None)
    if decision is not None:
        where += [Submission.decision == decision, Submission.id.in_(told)]
    elif f.decision == UNDECIDED:
        where.append(Submission.id.not_in(told))
    if f.presentation:
        where += [Submission.presentation == Presentation(f.presentation), Submission.id.in_(told)]
    if f.topic:
        where.append(
            sa.or_(
                Submission.primary_topic_id == f.topic,
                Submission.id.in_(sa.select(submission_topic.c.submission_id).where(submission_topic.c.topic_id == f.topic)),
            )
        )
    if f.state == "missing":
        complete = sa.select(PaperScore.submission_id).where(
            PaperScore.done >= PaperScore.assigned, PaperScore.done >= ws.reviews_per_paper
        )
        where += [
            Submission.state == SubmissionState.SUBMITTED,
            Submission.id.not_in(complete),
            Submission.id.not_in(chair_conflicted_ids(actor)),
        ]
    elif f.state:
        where.append(Submission.state == SubmissionState(f.state))
    else:
        where.append(Submission.state != SubmissionState.WITHDRAWN)
    return where


def _compile(source: str, what: str, audience: str) -> Template:
    try:
        return _env.from_string(source)
    except TemplateError as exc:
        raise DomainError(_problem(what, exc, audience)) from exc


def _problem(what: str, exc: Exception, audience: str) -> str:
    names = ", ".join("{{ " + p + " }}" for p in placeholders(audience))
    return f"The {what} has an error: {str(exc).rstrip('.')}. Placeholders for {AUDIENCES[audience].lower()}: {names}."


def _context(ws: Workshop, r: Recipient) -> dict[str, Any]:
    context: dict[str, Any] = {"name": r.name, "email": r.email, "workshop": ws.label}
    if r.paper is not None:
        context |= {"title": r.paper.title, "number": r.paper.id, "authors": r.paper.authors}
    return context


def render_all(ws: Workshop, audience: str, people: list[Recipient], subject: str, body: str) -> list[tuple[str, str]]:
    """Every recipient's mail; the first template error stops it (nothing is half rendered into the outbox). Each
    mail is within the sandbox's output and time budget; the one that is not is named."""
    subject_t, body_t = _compile(subject, "subject", audience), _compile(body, "body", audience)

    def render(what: str, template: Template, context: dict[str, Any], r: Recipient) -> str:
        try:
            return template.render(**context)
        except BudgetExceeded as exc:
            about = f" about #{r.paper.id}" if r.paper is not None else ""
            raise DomainError(f"The {what} for {r.name} <{r.email}>{about}: {exc}") from exc
        except _RUNTIME_ERRORS as exc:
            raise DomainError(_problem(what, exc, audience)) from exc

    mails = []
    for r in people:
        context = _context(ws, r)
        mails.append((emails.one_line(render("subject", subject_t, context, r))[:500], render("body", body_t, context, r)))
    return mails


def _digest(audience: str, people: list[Recipient], mails: list[tuple[str, str]]) -> str:
    """A fingerprint of every mail as it would go out: who, about which paper, what it says."""
    h = hashlib.sha256(audience.encode())
    for r, (subject, body) in zip(people, mails, strict=True):
        for part in (r.email, str(r.paper.id if r.paper else ""), subject, body):
            h.update(b"\0" + part.encode())
    return h.hexdigest()


def preview(actor: User, ws: Workshop, audience: str, subject: str, body: str, filters: Filters | None = None) -> Preview:
    f = filters or Filters()
    people = recipients(actor, ws, audience, f)
    mails = render_all(ws, audience, people, subject, body)
    notes = []
    filtered = audience in FILTERED_AUDIENCES
    if audience in _DECISIONS or (filtered and (f.decision or f.presentation)):
        notes.append("Only papers whose decision letter is sent are included: authors learn a decision from its letter.")
    missing = filtered and f.state == "missing"
    if (audience == "unfinished" or missing) and db.session.scalar(sa.select(chair_conflicted_ids(actor).exists())):
        notes.append("Reviews of papers you are an author of are not counted: another chair can remind their reviewers.")
    if audience == "papers":
        found = {r.paper.id for r in people if r.paper is not None}
        absent = [n for n in f.papers if n not in found]
        if not f.papers:
            notes.append("No paper is chosen: tick papers on the decisions page, or type their numbers.")
        elif absent:
            listed = ", ".join(f"#{n}" for n in absent[:50]) + (" …" if len(absent) > 50 else "")
            notes.append(f"No such paper, or one without authors: {listed}.")
    digest = _digest(audience, people, mails)
    return Preview(audience, people, mails, digest, notes, f, f.describe(ws, audience))


def kind_of(event_id: int) -> str:
    """The outbox kind of one group mail's rows (its audit event names it)."""
    return f"group_mail:{event_id}"


def _checked(
    actor: User, ws: Workshop, audience: str, subject: str, body: str, digest: str, filters: Filters | None = None
) -> Preview:
    checked = preview(actor, ws, audience, subject, body, filters)
    if not checked.recipients:
        raise DomainError(f"Nobody is in the audience “{checked.label}”: nothing was sent.")
    if not digest:
        raise PreviewOutdated("Check the preview below, then send.", checked)
    if digest != checked.digest:
        raise PreviewOutdated(
            "The recipients or the text changed since your preview. Nothing was sent: check this preview, then send again.",
            checked,
        )
    return checked


def send_group_mail(
    actor: User, ws: Workshop, audience: str, subject: str, body: str, *, digest: str, filters: Filters | None = None
) -> Job:
    """Check that the mail is exactly as previewed, record it in the audit log and start the job that queues and
    delivers one mail per recipient (``jobs.run_group_mail``). The caller commits, then dispatches the job."""
    f = filters or Filters()
    checked = _checked(actor, ws, audience, subject, body, digest, f)
    count = len(checked.recipients)
    event = audit.record(
        actor,
        ACTION,
        f"Group mail to {checked.label.lower()}: {count} mail{'s' if count != 1 else ''}, “{emails.one_line(subject)}”",
        audience=audience,
        filters=f.as_dict(),
        label=checked.label,
        subject=subject,
        count=count,
        # what another chair conflicted with some paper reads: the reviewers with unfinished
        # reviews are counted on the sender's papers, which may include theirs
        conflict_safe=f"Group mail to {checked.label.lower()}, “{emails.one_line(subject)}”"
        if audience == "unfinished"
        else None,
    )
    db.session.flush()
    return jobs.start(
        "group_mail",
        actor,
        workshop_id=ws.id,
        event_id=event.id,
        audience=audience,
        subject=subject,
        body=body,
        digest=digest,
        sender_id=actor.id,
        filters=f.as_dict(),
    )


def queue_group_mail(
    actor: User | None,
    ws: Workshop,
    event_id: int,
    audience: str,
    subject: str,
    body: str,
    *,
    digest: str,
    on_progress: Callable[[int, int], None] | None = None,
    batch: int = 500,
    filters: Filters | None = None,
) -> int:
    """The job's work: one outbox row per recipient, ``batch`` rows a transaction. The recipients are in a
    stable order and the mails must match the preview, so a rerun after a crash queues only those not yet
    queued; if they changed meanwhile, nothing more is queued and the job fails with the reason. Returns how
    many mails this group mail has in the outbox."""
    if actor is None:
        raise DomainError("The chair who sent this group mail no longer exists.")
    try:
        checked = _checked(actor, ws, audience, subject, body, digest, filters)
    except DomainError as exc:
        if isinstance(exc.__cause__, BudgetExceeded):  # over budget for one recipient here (a slower machine)
            raise DomainError(f"{exc} The mails not yet queued were not sent.") from exc
        raise DomainError(
            "The recipients or the text changed after the mail was sent; the mails not yet queued "
            "were not sent. Preview the mail again."
        ) from exc
    kind = kind_of(event_id)
    done = db.session.scalar(sa.select(sa.func.count()).where(OutgoingEmail.kind == kind)) or 0
    total = len(checked.recipients)
    pairs = list(zip(checked.recipients, checked.mails, strict=True))
    for start in range(done, total, batch):
        for r, (mail_subject, mail_body) in pairs[start : start + batch]:
            emails.queue(kind=kind, to=r.email, reply_to=ws.contact_email, subject=mail_subject, template="group", body=mail_body)
        db.session.commit()
        if on_progress:
            on_progress(min(start + batch, total), total)
    return total


@dataclass
class Sent:
    event: AuditEvent
    delivery: Counter[str]  # outbox state -> how many

    @property
    def audience(self) -> str:
        return self.event.details.get("label") or AUDIENCES.get(self.event.details.get("audience", ""), "?")


def history(limit: int = 10) -> list[Sent]:
    """The last group mails, newest first, with how far their delivery got (two queries)."""
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == ACTION).order_by(AuditEvent.id.desc()).limit(limit)
    ).all()
    kinds = {kind_of(e.id): Sent(e, Counter()) for e in events}
    if kinds:
        for kind, state, n in db.session.execute(
            sa.select(OutgoingEmail.kind, OutgoingEmail.state, sa.func.count())
            .where(OutgoingEmail.kind.in_(list(kinds)))
            .group_by(OutgoingEmail.kind, OutgoingEmail.state)
        ):
            kinds[kind].delivery[state.value] = n
    return list(kinds.values())


# --- its background job -------------------------------------------------------------------------------


@job("group_mail", "Sending a group mail")
def run_group_mail(
    row: Job,
    progress: Progress,
    *,
    workshop_id: int,
    event_id: int,
    audience: str,
    subject: str,
    body: str,
    digest: str,
    sender_id: int,
    filters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Queue the mails of a group mail in batches, each batch in its own transaction, then deliver them. A rerun
    skips the recipients already queued (the list is in a stable order and checked against the preview)."""
    ws = db.session.get(Workshop, workshop_id)
    # The sender's audience, whoever retries it: "unfinished reviews" leaves out the sender's own papers.
    actor = db.session.get(User, sender_id)
    progress(phase="Writing the mails", force=True)
    count = queue_group_mail(
        actor,
        ws,
        event_id,
        audience,
        subject,
        body,
        digest=digest,
        on_progress=lambda n, total: progress(n, total),
        filters=Filters.from_values(**(filters or {})),
    )
    return deliver_queued(
        progress,
        f"Sent {count} mail{'s' if count != 1 else ''} to {AUDIENCES[audience].lower()}.",
        path_for("chair.mail"),
        kind=kind_of(event_id),
    )
