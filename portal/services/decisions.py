"""Decisions and their letters. A decision can change until its letter is sent; letters are drafts the chair
previews and edits, rendered from the chair's templates, and sent through the outbox (one row per letter,
each marked in its own transaction by the delivery)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from jinja2 import TemplateError
from sqlalchemy.orm import contains_eager, selectinload

from portal import emails
from portal.db import db, utcnow
from portal.domain import ChangedMeanwhile, Conflicted, DomainError, InvalidTransition
from portal.jobs import Progress, deliver_queued, job, path_for
from portal.models import (
    Decision,
    EmailState,
    Job,
    Letter,
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
from portal.permissions import chair_conflicted_ids
from portal.queries import letter_sent
from portal.sandbox import BudgetExceeded, chair_sandbox
from portal.services import audit

DEFAULT_ACCEPT = """Dear {{ authors }},

we are happy to tell you that your submission #{{ number }}, "{{ title }}", is accepted at {{ workshop }}{% if presentation %} as {{ presentation }}{% endif %}.
{% if note %}
A note from the chairs:
{{ note }}
{% endif %}
Please upload the camera-ready version on the submission's page.
{% if reviews %}
The reviewers' comments:

{{ reviews }}
{% endif %}
The {{ workshop }} chairs
"""  # noqa: E501

DEFAULT_REJECT = """Dear {{ authors }},

thank you for submitting #{{ number }}, "{{ title }}", to {{ workshop }}. We are sorry to tell you that it was not accepted this time.
{% if note %}
A note from the chairs:
{{ note }}
{% endif %}{% if reviews %}
The reviewers' comments, which we hope will help:

{{ reviews }}
{% endif %}
The {{ workshop }} chairs
"""  # noqa: E501

PLACEHOLDERS = ("title", "number", "authors", "decision", "presentation", "note", "reviews", "workshop")
_env = chair_sandbox()
# What a chair's template can raise besides TemplateError ({{ 1 / 0 }}, {{ 10.0 ** 400 }}, {{ title + 1 }}).
_RUNTIME_ERRORS = (TemplateError, ArithmeticError, LookupError, TypeError, ValueError)


def record_decision(
    actor: User,
    sub: Submission,
    *,
    decision: Decision | None,
    presentation: Presentation | None,
    note: str,
    version: int | None,
    now: datetime | None = None,
) -> None:
    if sub.state != SubmissionState.SUBMITTED:
        raise InvalidTransition(f"#{sub.id} is not a submitted paper.")
    if letter_sent(sub):
        raise InvalidTransition(f"The letter for #{sub.id} is sent; its decision is final.")
    if version is not None and version != sub.version:
        raise ChangedMeanwhile(
            f"Another chair changed #{sub.id} after you opened this page. Reload to see their decision, then decide again."
        )
    sub.decision = decision
    sub.presentation = presentation if decision == Decision.ACCEPTED else None
    sub.decision_note = note
    sub.decided_at = (now or utcnow()) if decision else None
    sub.decided_by_id = actor.id if decision else None
    what = (f"{decision.value}" + (f" ({presentation.value})" if sub.presentation else "")) if decision else "no decision"
    audit.record(actor, "decision.record", f"#{sub.id}: {what}", submission=sub, note=note)
    db.session.flush()


def decide_many(
    actor: User, subs: list[Submission], decision: Decision, seen: dict[int, int]
) -> tuple[int, list[int], list[int]]:
    """The same decision on several papers, each as the chair saw it (``seen``: paper -> the version on the page
    they ticked it on). A paper kept as it was keeps its presentation and note; one whose decision changes loses
    them (an "oral, great paper" note does not belong in a rejection). Returns how many were decided, the numbers
    skipped (letter sent, not submitted) and those changed by someone since the page was loaded (refused)."""
    done, skipped, changed = 0, [], []
    for sub in subs:
        if seen.get(sub.id) != sub.version:
            changed.append(sub.id)
            continue
        same = sub.decision == decision
        try:
            record_decision(
                actor,
                sub,
                decision=decision,
                presentation=sub.presentation if same else None,
                note=sub.decision_note if same else "",
                version=seen[sub.id],
            )
            done += 1
        except Conflicted:
            changed.append(sub.id)
        except DomainError:
            skipped.append(sub.id)
    return done, skipped, changed


def reviews_for_authors(sub: Submission) -> str:
    """The submitted reviews' comments to the authors, as "Reviewer N", never a name."""
    return _reviews_for_authors([sub.id]).get(sub.id, "")


def _reviews_for_authors(sub_ids: list[int] | sa.Select[tuple[int]]) -> dict[int, str]:
    """``reviews_for_authors`` of many papers in one query: paper id -> the comments (papers without any left out)."""
    rows = db.session.execute(
        sa.select(ReviewAssignment.submission_id, ReviewAssignment.ordinal, Review.comments_to_authors)
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            ReviewAssignment.submission_id.in_(sub_ids),
            Review.state == ReviewState.SUBMITTED,
            ReviewAssignment.suspended_at.is_(None),
        )
        .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
    ).all()
    parts: dict[int, list[str]] = {}
    for sub_id, ordinal, comments in rows:
        if comments.strip():
            parts.setdefault(sub_id, []).append(f"Reviewer {ordinal}:\n{comments.strip()}")
    return {sub_id: "\n\n".join(texts) for sub_id, texts in parts.items()}


def render_letter(ws: Workshop, sub: Submission, *, with_reviews: bool = True, reviews: str | None = None) -> tuple[str, str]:
    """The letter's subject and body; ``reviews`` when the caller fetched the comments already (many letters)."""
    if sub.decision is None:
        raise DomainError(f"#{sub.id} has no decision yet.")
    source = (ws.accept_letter or DEFAULT_ACCEPT) if sub.decision == Decision.ACCEPTED else (ws.reject_letter or DEFAULT_REJECT)
    if not with_reviews:
        reviews = ""
    elif reviews is None:
        reviews = reviews_for_authors(sub)
    context: dict[str, Any] = {
        "title": sub.title,
        "number": sub.id,
        "authors": ", ".join(a.name for a in sub.authors),
        "decision": sub.decision.value,
        "presentation": sub.presentation.value if sub.presentation else "",
        "note": sub.decision_note,
        "reviews": reviews,
        "workshop": f"{ws.label}",
    }
    try:
        body = _env.from_string(source).render(**context)
    except BudgetExceeded as exc:  # within budget on the sample, not on this paper's data
        raise DomainError(f"The {sub.decision.value} letter for #{sub.id}: {exc}") from exc
    except _RUNTIME_ERRORS as exc:
        raise DomainError(f"The {sub.decision.value} template has an error: {exc}") from exc
    verdict = "accepted" if sub.decision == Decision.ACCEPTED else "decision"
    return f"[{ws.label}] #{sub.id} {verdict}: {sub.title}", body


def check_template(source: str) -> None:
    """Refuse a template that does not compile, or fails or goes over its output or time budget (the sandbox's)
    on sample data."""
    try:
        _env.from_string(source).render(**dict.fromkeys(PLACEHOLDERS, "x"))
    except BudgetExceeded as exc:
        raise DomainError(str(exc)) from exc
    except _RUNTIME_ERRORS as exc:
        raise DomainError(f"The template has an error: {exc}") from exc


def save_letter_templates(actor: User, ws: Workshop, accept: str, reject: str, *, with_reviews: bool) -> int:
    """Check and save the chair's templates, then render the drafts; returns how many drafts were made."""
    check_template(accept)
    check_template(reject)
    ws.accept_letter, ws.reject_letter = accept.replace("\r\n", "\n"), reject.replace("\r\n", "\n")
    count = prepare_letters(ws, with_reviews=with_reviews, actor=actor)
    audit.record(
        actor,
        "letters.prepare",
        f"Saved the letter templates and prepared {count} draft(s)"
        + (" with the reviews" if with_reviews else " without the reviews"),
    )
    return count


def prepare_letters(ws: Workshop, *, with_reviews: bool = True, actor: User | None = None) -> int:
    """A draft for every decided paper whose letter is not sent; hand-edited drafts are kept. A chair who is an
    author of a paper (``actor``) leaves its letter to the other chairs."""
    count = 0
    mine = chair_conflicted_ids(actor) if actor is not None else sa.select(Submission.id).where(sa.false())
    decided = sa.select(Submission.id).where(
        Submission.workshop_id == ws.id, Submission.decision.is_not(None), Submission.id.not_in(mine)
    )
    subs = db.session.scalars(
        sa.select(Submission).where(Submission.id.in_(decided)).options(selectinload(Submission.authors))
    ).all()
    letters = {x.submission_id: x for x in db.session.scalars(sa.select(Letter).where(Letter.submission_id.not_in(mine)))}
    reviews = _reviews_for_authors(decided) if with_reviews else {}
    for sub in subs:
        letter = letters.get(sub.id)
        # A hand-edited draft is kept, unless it was written for another decision (it is stale: the edit
        # answered a decision since changed).
        if letter is not None and (letter.email_id is not None or (letter.edited and not letter.stale)):
            continue
        subject, body = render_letter(ws, sub, with_reviews=with_reviews, reviews=reviews.get(sub.id, ""))
        if letter is None:
            letter = Letter(submission_id=sub.id, submission=sub)
            db.session.add(letter)
        letter.subject, letter.body, letter.with_reviews, letter.edited = subject, body, with_reviews, False
        letter.decision, letter.presentation, letter.decision_note = sub.decision, sub.presentation, sub.decision_note
        count += 1
    # Drafts whose decision was taken back go away.
    decided_ids = {s.id for s in subs}
    for sub_id, letter in letters.items():
        if letter.email_id is None and sub_id not in decided_ids:
            db.session.delete(letter)
    db.session.flush()
    return count


def edit_letter(actor: User, letter: Letter, subject: str, body: str) -> None:
    if letter.email_id is not None:
        raise InvalidTransition("This letter is sent; it can no longer be edited.")
    letter.subject, letter.body, letter.edited = subject, body, True
    audit.record(actor, "letters.edit", f"Edited the letter for #{letter.submission_id}", submission=letter.submission_id)
    db.session.flush()


def _sendable(actor: User | None) -> sa.Select[tuple[Letter]]:
    mine = chair_conflicted_ids(actor) if actor is not None else sa.select(Submission.id).where(sa.false())
    return (
        sa.select(Letter)
        .join(Submission, Submission.id == Letter.submission_id)
        .where(
            Letter.email_id.is_(None),
            Submission.decision.is_not(None),
            Letter.submission_id.not_in(mine),
            _written_for_the_decision(),
        )
        .order_by(Letter.submission_id)
    )


def _written_for_the_decision() -> sa.ColumnElement[bool]:
    """The letter was written for the decision its paper has now (a stale draft is never sent)."""
    return sa.and_(
        Letter.decision == Submission.decision,
        Letter.presentation.is_not_distinct_from(Submission.presentation),
        Letter.decision_note == Submission.decision_note,
    )


def stale_letters(actor: User | None) -> list[int]:
    """Drafts whose paper's decision changed since they were written: refused by ``send_letters``."""
    mine = chair_conflicted_ids(actor) if actor is not None else sa.select(Submission.id).where(sa.false())
    return list(
        db.session.scalars(
            sa.select(Letter.submission_id)
            .join(Submission, Submission.id == Letter.submission_id)
            .where(Letter.email_id.is_(None), Letter.submission_id.not_in(mine), sa.not_(_written_for_the_decision()))
            .order_by(Letter.submission_id)
        )
    )


def sendable_letters(actor: User | None) -> list[int]:
    """The ids of the drafts ``send_letters`` would send now."""
    return list(db.session.scalars(_sendable(actor).with_only_columns(Letter.id)))


def send_letters(actor: User | None, ws: Workshop, *, only: list[int] | None = None) -> int:
    """Queue every draft whose paper still has a decision (or just the drafts ``only``); each becomes one outbox
    row to all its authors. The letters of the papers ``actor`` is an author of are left for another chair
    (None: a command, no chair). Hundreds of letters take a few statements: the drafts with their papers and
    authors, one insert of their mails, one update claiming the drafts, one insert of the audit entries."""
    stmt = _sendable(actor) if only is None else _sendable(actor).where(Letter.id.in_(only))
    stmt = stmt.options(contains_eager(Letter.submission).selectinload(Submission.authors).selectinload(SubmissionAuthor.user))
    drafts = [x for x in db.session.scalars(stmt).all() if x.submission.decision is not None]
    count = 0
    for start in range(0, len(drafts), _CLAIM_CHUNK):
        count += _queue_letters(actor, ws, drafts[start : start + _CLAIM_CHUNK])
    db.session.flush()
    return count


_CLAIM_CHUNK = 500  # letters per claiming statement (SQLite takes at most 32,766 parameters in one)


def _queue_letters(actor: User | None, ws: Workshop, drafts: list[Letter]) -> int:
    mails = emails.queue_all(
        [
            emails.compose(
                kind="decision_letter",
                to=sorted({a.mail_address for a in x.submission.authors}),
                reply_to=ws.contact_email,
                subject=x.subject,
                template="letter",
                body=x.body,
            )
            for x in drafts
        ]
    )
    # Claim the drafts: of two sends at once (two workers, a double click), one wins each draft, the other drops
    # its mail. A draft another send holds is waited for (PostgreSQL) and then no longer matches.
    mail_of = {x.id: m.id for x, m in zip(drafts, mails, strict=True)}
    claimed = set(
        db.session.scalars(
            sa.update(Letter)
            .where(
                Letter.id.in_(list(mail_of)),
                Letter.email_id.is_(None),
                # and only for the decision it was written for, read as the claim is made
                sa.exists().where(Submission.id == Letter.submission_id, _written_for_the_decision()),
            )
            .values(email_id=sa.case(mail_of, value=Letter.id))
            .returning(Letter.id)
            .execution_options(synchronize_session=False)
        )
    )
    for letter, mail in zip(drafts, mails, strict=True):
        if letter.id not in claimed:
            db.session.delete(mail)
            continue
        db.session.expire(letter, ["email_id", "email"])
        sub = letter.submission
        audit.record(actor, "letters.send", f"Sent the {sub.decision} letter for #{sub.id}", submission=sub)
    return len(claimed)


def send_letter_of(actor: User, ws: Workshop, sub: Submission) -> int:
    """Prepare (when needed) and send the letter of one paper: how a paper's manager tells its authors."""
    letter = db.session.scalar(sa.select(Letter).where(Letter.submission_id == sub.id))
    if letter is not None and letter.email_id is not None:
        raise InvalidTransition(f"The letter for #{sub.id} is sent already.")
    if letter is None or letter.stale or not letter.edited:
        subject, body = render_letter(ws, sub)
        if letter is None:
            letter = Letter(submission_id=sub.id, submission=sub)
            db.session.add(letter)
        letter.subject, letter.body, letter.with_reviews, letter.edited = subject, body, True, False
        letter.decision, letter.presentation, letter.decision_note = sub.decision, sub.presentation, sub.decision_note
    db.session.flush()
    return send_letters(actor, ws, only=[letter.id])


def resend_letter(actor: User, letter: Letter) -> None:
    if letter.email is None:
        raise InvalidTransition("This letter is still a draft.")
    # Under a lock, so a delivery finishing at this moment is seen (and the letter not sent twice).
    db.session.refresh(letter.email, with_for_update=True)
    if letter.email.state == EmailState.SENT:
        raise InvalidTransition("This letter was delivered already.")
    emails.requeue(letter.email)
    audit.record(actor, "letters.resend", f"Resent the letter for #{letter.submission_id}", submission=letter.submission_id)


def set_published(actor: User, ws: Workshop, published: bool) -> None:
    ws.accepted_published = published
    audit.record(actor, "content.publish", "Published the accepted papers" if published else "Hid the accepted papers")
    db.session.flush()


# --- its background job -------------------------------------------------------------------------------


LETTERS_PER_TRANSACTION = 200


@job("letters", "Sending the decision letters")
def run_letters(row: Job, progress: Progress, *, workshop_id: int) -> dict[str, Any]:
    """The letters are queued and marked ``LETTERS_PER_TRANSACTION`` at a time, each batch in a transaction of its
    own, then the outbox delivers them: a rerun queues only the letters still drafts and delivers only the mail
    still waiting."""
    ws = db.session.get(Workshop, workshop_id)
    actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
    drafts = sendable_letters(actor)
    total, sent = len(drafts), 0
    progress(0, total, "Putting the letters in the outbox", force=True)
    for first in range(0, total, LETTERS_PER_TRANSACTION):
        batch = drafts[first : first + LETTERS_PER_TRANSACTION]
        sent += send_letters(actor, ws, only=batch)  # fewer when another send claimed some first
        db.session.commit()
        progress(first + len(batch), total)
    stale = stale_letters(actor)
    note = (
        f" Not sent: the draft{'s' if len(stale) != 1 else ''} for {', '.join(f'#{n}' for n in stale[:20])}"
        f"{' and others' if len(stale) > 20 else ''}, written for a decision since changed: prepare the drafts "
        "again."
        if stale
        else ""
    )
    return deliver_queued(
        progress,
        f"{sent} letter{'s' if sent != 1 else ''} sent to the authors.{note}",
        path_for("chair.letters"),
        kind="decision_letter",
    )
