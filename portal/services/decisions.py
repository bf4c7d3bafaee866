"""Decisions and their letters. A decision can change until its letter is sent; letters are drafts the chair
previews and edits, rendered from the chair's templates, and sent through the outbox (one row per letter,
each marked in its own transaction by the delivery)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from jinja2 import StrictUndefined, Template
from sqlalchemy.orm import contains_eager, selectinload

from portal import emails, permissions
from portal.db import MAX_ID, db, like_pattern, utcnow
from portal.domain import ChangedMeanwhile, Conflicted, DomainError, InvalidTransition
from portal.jobs import Progress, deliver_queued, job, path_for
from portal.models import (
    Audience,
    AuthorResponse,
    Decision,
    EmailState,
    FieldKind,
    Job,
    Letter,
    LetterTemplate,
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
from portal.queries import letter_sent
from portal.sandbox import RUNTIME_ERRORS, BudgetExceeded, chair_sandbox
from portal.services import audit, meta_reviews, review_form
from portal.services.calibration import calibration

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

#: The letters' default subjects (issue 21.7): the portal's own, "[LongLLM 2024] #12 accepted: Title".
DEFAULT_ACCEPT_SUBJECT = "[{{ workshop }}] #{{ number }} accepted: {{ title }}"
DEFAULT_REJECT_SUBJECT = "[{{ workshop }}] #{{ number }} decision: {{ title }}"
#: The longest subject template a chair may save (one line).
MAX_SUBJECT = 300

PLACEHOLDERS = (
    "title",
    "number",
    "authors",
    "decision",
    "presentation",
    "note",
    "reviews",
    "review_list",
    "response",
    "meta_review",
    "workshop",
)
#: What ``check_template`` tries a template on: "x" for each placeholder, and a review for ``review_list``.
SAMPLE = dict.fromkeys(PLACEHOLDERS, "x") | {
    "review_list": [
        {"reviewer": "Reviewer 1", "answers": [{"key": "x", "label": "x", "kind": "text", "value": "x"}], "alone": False}
    ]
}
#: The sample with the optional values empty: a subject must say something on it too.
SPARSE = SAMPLE | dict.fromkeys(("presentation", "note", "reviews", "response", "meta_review"), "") | {"review_list": []}
_env = chair_sandbox(StrictUndefined)  # a name the letters do not have is an error on save, not an empty gap
_RUNTIME_ERRORS = RUNTIME_ERRORS


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


def _responses(sub_ids: list[int] | sa.Select[tuple[int]]) -> dict[int, str]:
    """The authors' responses to the reviews of these papers (issue 21.3), for the letters' ``response``."""
    return dict(
        db.session.execute(
            sa.select(AuthorResponse.submission_id, AuthorResponse.body).where(AuthorResponse.submission_id.in_(sub_ids))
        ).all()
    )


def reviews_for_authors(sub: Submission) -> str:
    """The submitted reviews as the authors read them: the answers to every field for the authors, as
    "Reviewer N", never a name."""
    return as_text(_author_reviews([sub.id], sub.workshop).get(sub.id, []))


def _author_reviews(sub_ids: list[int] | sa.Select[tuple[int]], ws: Workshop) -> dict[int, list[dict[str, Any]]]:
    """The papers' submitted reviews as their authors read them, in one query: paper id -> one entry a review
    with an answer for them (papers without any left out), each ``{"reviewer": "Reviewer 2", "answers":
    [{"key", "label", "kind", "value"}, ...], "alone": ...}`` with the fields the authors read
    (``permissions.visible_fields``), in the form's order, their answers as people read them; ``alone``: the one
    field for the authors is a text, written without its label. The letters' ``review_list``."""
    shown = permissions.visible_fields(Audience.AUTHORS, review_form.fields(ws))
    if not shown:
        return {}
    own = [f.key for f in shown if f.builtin]
    rows = db.session.execute(
        sa.select(ReviewAssignment.submission_id, ReviewAssignment.ordinal, Review.answers, *(getattr(Review, k) for k in own))
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            ReviewAssignment.submission_id.in_(sub_ids),
            Review.state == ReviewState.SUBMITTED,
            ReviewAssignment.suspended_at.is_(None),
        )
        .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
    ).all()
    # With one field for the authors, a text (the default form: the comments to the authors), the answer stands
    # alone under "Reviewer N:", as before the form could change; otherwise each under its label.
    alone = len(shown) == 1 and shown[0].kind == FieldKind.TEXT
    found: dict[int, list[dict[str, Any]]] = {}
    for sub_id, ordinal, answers, *columns in rows:
        content = dict(answers or {}) | dict(zip(own, columns, strict=True))
        given = [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind.value,
                "value": str(content[f.key]).strip() if f.kind == FieldKind.TEXT else f.display(content[f.key]),
            }
            for f in shown
            if not f.empty(content.get(f.key))
        ]
        if given:
            found.setdefault(sub_id, []).append({"reviewer": f"Reviewer {ordinal}", "answers": given, "alone": alone})
    return found


def as_text(found: list[dict[str, Any]]) -> str:
    """The letters' ``reviews``: each review under "Reviewer N:", a text's label on a line of its own."""

    def answer(a: dict[str, Any], alone: bool) -> str:
        if alone:
            return a["value"]
        return f"{a['label']}:\n{a['value']}" if a["kind"] == "text" else f"{a['label']}: {a['value']}"

    return "\n\n".join(f"{r['reviewer']}:\n" + "\n".join(answer(a, r["alone"]) for a in r["answers"]) for r in found)


def template_keys() -> dict[str, str]:
    """Every letter template a chair can write, by key, with its label: one per decision, and one per
    presentation of an accepted paper ("accepted/oral"), in the enums' order: a decision or presentation added
    there gets its template here. The two decisions' own templates are the workshop's ``accept_letter`` and
    ``reject_letter``; the others are ``LetterTemplate`` rows, and an empty one means its decision's."""
    keys: dict[str, str] = {}
    for d in Decision:
        keys[d.value] = {"accepted": "Acceptance letter", "rejected": "Rejection letter"}.get(
            d.value, f"{d.value.capitalize()} letter"
        )
        if d == Decision.ACCEPTED:
            keys |= {f"{d.value}/{p.value}": f"Acceptance letter, {p.value}" for p in Presentation}
    return keys


#: The keys held by the workshop's own columns, and the form fields that carry them.
OWN_TEMPLATES = {"accepted": "accept_letter", "rejected": "reject_letter"}


def field_of(key: str) -> str:
    """The form field of a template key: ``accept_letter`` and ``reject_letter`` as always, else ``letter_<key>``."""
    return OWN_TEMPLATES.get(key) or "letter_" + key.replace("/", "_")


#: The subjects' form fields of the workshop's own two templates (the others: ``subject_<key>``).
OWN_SUBJECTS = {"accepted": "accept_subject", "rejected": "reject_subject"}


def subject_field_of(key: str) -> str:
    """The form field (and, for the two decisions, the workshop's column) of a template key's subject."""
    return OWN_SUBJECTS.get(key) or "subject_" + key.replace("/", "_")


def default_subject(key: str) -> str:
    """The portal's own subject of a template key: the acceptance's for "accepted" and its presentations."""
    return DEFAULT_ACCEPT_SUBJECT if key.partition("/")[0] == Decision.ACCEPTED.value else DEFAULT_REJECT_SUBJECT


def _saved(ws: Workshop, part: str) -> dict[str, str]:
    """The chair's letter ``part`` ("body" or "subject") by key: the workshop's two (``accept_letter``,
    ``accept_subject``, ...) and every ``LetterTemplate`` row's; "" when not written."""
    own = "letter" if part == "body" else part
    found = {"accepted": getattr(ws, f"accept_{own}"), "rejected": getattr(ws, f"reject_{own}")}
    column = getattr(LetterTemplate, part)
    found |= {
        key: text
        for key, text in db.session.execute(sa.select(LetterTemplate.key, column).where(LetterTemplate.workshop_id == ws.id))
    }
    return found


def saved_subjects(ws: Workshop) -> dict[str, str]:
    """The chair's subjects by key (the workshop's two and every ``LetterTemplate`` row's); "" when not written."""
    return _saved(ws, "subject")


def subject_for(subjects: dict[str, str], decision: Decision, presentation: Presentation | None) -> str:
    """The subject a letter is written with: the decision's and presentation's, else the decision's, else the
    portal's own."""
    if presentation is not None and (variant := subjects.get(f"{decision.value}/{presentation.value}")):
        return variant
    return subjects.get(decision.value) or default_subject(decision.value)


def worded(ws: Workshop) -> bool:
    """The chairs wrote any letter template or subject (else every letter is the portal's own text)."""
    if ws.accept_letter or ws.reject_letter or ws.accept_subject or ws.reject_subject:
        return True
    return db.session.scalar(sa.select(sa.func.count(LetterTemplate.id)).where(LetterTemplate.workshop_id == ws.id)) != 0


def saved_templates(ws: Workshop) -> dict[str, str]:
    """The chair's templates by key (the workshop's two and every ``LetterTemplate`` row); "" when not written."""
    return _saved(ws, "body")


def template_for(templates: dict[str, str], decision: Decision, presentation: Presentation | None) -> str:
    """The source a letter is written from: the decision's and presentation's template, else the decision's,
    else the default text."""
    if presentation is not None and (variant := templates.get(f"{decision.value}/{presentation.value}")):
        return variant
    default = DEFAULT_ACCEPT if decision == Decision.ACCEPTED else DEFAULT_REJECT
    return templates.get(decision.value) or default


def render_letter(
    ws: Workshop,
    sub: Submission,
    *,
    with_reviews: bool = True,
    reviews: list[dict[str, Any]] | None = None,
    templates: dict[str, str] | None = None,
    responses: dict[int, str] | None = None,
    metas: dict[int, str] | None = None,
    subjects: dict[str, str] | None = None,
) -> tuple[str, str]:
    """The letter's subject and body; ``reviews`` (``_author_reviews``), ``templates``, ``subjects`` and
    ``responses`` (``_responses``) when the caller fetched them already (many letters)."""
    if sub.decision is None:
        raise DomainError(f"#{sub.id} has no decision yet.")
    source = template_for(templates if templates is not None else saved_templates(ws), sub.decision, sub.presentation)
    if not with_reviews:
        reviews = []
    elif reviews is None:
        reviews = _author_reviews([sub.id], ws).get(sub.id, [])
    context: dict[str, Any] = {
        "title": sub.title,
        "number": sub.id,
        "authors": ", ".join(a.name for a in sub.authors),
        "decision": sub.decision.value,
        "presentation": sub.presentation.value if sub.presentation else "",
        "note": sub.decision_note,
        "reviews": as_text(reviews),
        "review_list": reviews,
        "response": (responses if responses is not None else _responses([sub.id])).get(sub.id, ""),
        "meta_review": (metas if metas is not None else meta_reviews.for_authors(ws, [sub.id])).get(sub.id, ""),
        "workshop": f"{ws.label}",
    }
    try:
        body = _env.from_string(source).render(**context)
    except BudgetExceeded as exc:  # within budget on the sample, not on this paper's data
        raise DomainError(f"The {sub.decision.value} letter for #{sub.id}: {exc}") from exc
    except _RUNTIME_ERRORS as exc:
        raise DomainError(f"The {sub.decision.value} template has an error: {exc}") from exc
    title = subject_for(subjects if subjects is not None else saved_subjects(ws), sub.decision, sub.presentation)
    try:
        subject = emails.one_line(_compiled(title).render(**context))[:500]
    except BudgetExceeded as exc:
        raise DomainError(f"The subject of the {sub.decision.value} letter for #{sub.id}: {exc}") from exc
    except _RUNTIME_ERRORS as exc:
        raise DomainError(f"The {sub.decision.value} subject has an error: {exc}") from exc
    if not subject:  # (checked on the sample when saved; this paper's values left it empty)
        subject = emails.one_line(_compiled(default_subject(sub.decision.value)).render(**context))[:500]
    return subject, body


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    """A subject compiled once for all the letters of a preparation."""
    return _env.from_string(source)


def check_subject(source: str) -> None:
    """Refuse a subject that is not one line, is over ``MAX_SUBJECT`` characters, does not compile, fails or goes
    over its budget on the sample data (its optional values filled in, and empty), or comes out empty."""
    if "\n" in source or "\r" in source:
        raise DomainError("A subject is one line: remove the line breaks.")
    if len(source) > MAX_SUBJECT:
        raise DomainError(f"A subject may have {MAX_SUBJECT} characters; this one has {len(source):,}.")
    for values in (SAMPLE, SPARSE):
        try:
            out = _env.from_string(source).render(**values)
        except BudgetExceeded as exc:
            raise DomainError(str(exc)) from exc
        except _RUNTIME_ERRORS as exc:
            raise DomainError(f"The subject has an error: {exc}") from exc
        if not emails.one_line(out):
            raise DomainError("The subject comes out empty: a letter needs a subject.")


def check_template(source: str) -> None:
    """Refuse a template that does not compile, or fails or goes over its output or time budget (the sandbox's)
    on sample data."""
    try:
        _env.from_string(source).render(**SAMPLE)
    except BudgetExceeded as exc:
        raise DomainError(str(exc)) from exc
    except _RUNTIME_ERRORS as exc:
        raise DomainError(f"The template has an error: {exc}") from exc


def save_letter_templates(
    actor: User,
    ws: Workshop,
    accept: str,
    reject: str,
    *,
    with_reviews: bool,
    others: dict[str, str] | None = None,
    subjects: dict[str, str] | None = None,
) -> int:
    """Check and save the chair's templates, then render the drafts; returns how many drafts were made.
    ``others``: the other templates by key (``template_keys``; "" takes one away), those not given kept as they are.
    ``subjects``: the subjects by key, the same way ("" is the decision's subject, or for a decision the portal's)."""
    others = {k: v for k, v in (others or {}).items() if k in template_keys() and k not in OWN_TEMPLATES}
    subjects = {k: v.strip() for k, v in (subjects or {}).items() if k in template_keys()}
    for source in (accept, reject, *others.values()):
        check_template(source)
    for subject in subjects.values():
        if subject:
            check_subject(subject)
    ws.accept_letter, ws.reject_letter = accept.replace("\r\n", "\n"), reject.replace("\r\n", "\n")
    for key, column in OWN_SUBJECTS.items():
        if key in subjects:
            setattr(ws, column, subjects[key])
    rows = {x.key: x for x in db.session.scalars(sa.select(LetterTemplate).where(LetterTemplate.workshop_id == ws.id))}
    for key in sorted((set(others) | set(subjects)) - set(OWN_TEMPLATES)):
        row = rows.get(key)
        text = others[key].replace("\r\n", "\n") if key in others else (row.body if row else "")
        text = text if text.strip() else ""
        subject = subjects.get(key, row.subject if row else "")
        if row is not None and not text and not subject:
            db.session.delete(row)
        elif row is not None:
            row.body, row.subject = text, subject
        elif text or subject:
            db.session.add(LetterTemplate(workshop_id=ws.id, key=key, body=text, subject=subject))
    db.session.flush()
    count = prepare_letters(ws, with_reviews=with_reviews, actor=actor)
    audit.record(
        actor,
        "letters.prepare",
        f"Saved the letter templates and prepared {count} draft(s)"
        + (" with the reviews" if with_reviews else " without the reviews"),
    )
    return count


def reset_letter_templates(actor: User, ws: Workshop) -> int | None:
    """Back to the portal's own letters: every template and subject the chairs wrote is deleted, and the drafts are
    prepared again as saving the templates prepares them (a draft edited by hand is kept, a sent letter never
    changes), with or without the reviews as the drafts were. Returns how many drafts were prepared; None when
    nothing was worded (nothing changes)."""
    if not worded(ws):
        return None
    ws.accept_letter = ws.reject_letter = ws.accept_subject = ws.reject_subject = ""
    db.session.execute(sa.delete(LetterTemplate).where(LetterTemplate.workshop_id == ws.id))
    db.session.flush()
    without = db.session.scalar(
        sa.select(sa.func.count(Letter.id))
        .join(Submission, Submission.id == Letter.submission_id)
        .where(Submission.workshop_id == ws.id, Letter.email_id.is_(None), Letter.edited.is_(False))
        .where(Letter.with_reviews.is_(False))
    )
    count = prepare_letters(ws, with_reviews=not without, actor=actor)
    audit.record(
        actor,
        "letters.reset",
        f"Reset the letter templates and subjects to the portal's text and prepared {count} draft(s) again",
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
    reviews = _author_reviews(decided, ws) if with_reviews else {}
    responses = _responses(decided)
    metas = meta_reviews.for_authors(ws, decided)
    templates, subjects = saved_templates(ws), saved_subjects(ws)
    for sub in subs:
        letter = letters.get(sub.id)
        # A hand-edited draft is kept, unless it was written for another decision (it is stale: the edit
        # answered a decision since changed).
        if letter is not None and (letter.email_id is not None or (letter.edited and not letter.stale)):
            continue
        subject, body = render_letter(
            ws,
            sub,
            with_reviews=with_reviews,
            reviews=reviews.get(sub.id, []),
            templates=templates,
            responses=responses,
            metas=metas,
            subjects=subjects,
        )
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


def sendable_letters(actor: User | None, papers: list[int] | None = None) -> list[int]:
    """The ids of the drafts ``send_letters`` would send now (of the papers numbered ``papers`` only, when given)."""
    stmt = _sendable(actor)
    if papers is not None:
        stmt = stmt.where(Letter.submission_id.in_(papers))
    return list(db.session.scalars(stmt.with_only_columns(Letter.id)))


# --- letters by subset: what the chair chose, confirmed, and sent as confirmed ---------------------------------


def letter_groups() -> dict[str, str]:
    """The groups of papers a chair sends the letters of at once: each decision, and each presentation of an
    accepted paper ("accepted/oral"), in the order of the enums (a decision or presentation added there
    appears here and gets its own letter template)."""
    groups: dict[str, str] = {}
    for d in Decision:
        groups[d.value] = f"{d.value.capitalize()} papers"
        if d == Decision.ACCEPTED:
            groups |= {f"{d.value}/{p.value}": f"{d.value.capitalize()} papers, {p.value}" for p in Presentation}
    return groups


def _in_group(group: str) -> list[sa.ColumnElement[bool]]:
    decision, _, presentation = group.partition("/")
    where = [Submission.decision == Decision(decision)]
    if presentation:
        where.append(Submission.presentation == Presentation(presentation))
    return where


@dataclass
class LetterPlan:
    """The drafts a send would put in the outbox, as the confirmation page shows them, and the fingerprint of
    exactly that (which papers, what each letter says, to whom): the send checks it again and refuses any change."""

    letters: list[Letter]
    left_out: list[int]  # papers chosen by number that have no draft ready to send (sent, stale, none, not yours)

    @property
    def papers(self) -> list[int]:
        return [x.submission_id for x in self.letters]

    @staticmethod
    def recipients(x: Letter) -> list[str]:
        return sorted({a.mail_address for a in x.submission.authors})

    @property
    def digest(self) -> str:
        h = hashlib.sha256(b"letters")
        for x in self.letters:
            for part in (str(x.submission_id), x.subject, x.body, ",".join(self.recipients(x))):
                h.update(b"\0" + part.encode())
        return h.hexdigest()


def plan_letters(actor: User, *, papers: list[int] | None = None, group: str | None = None) -> LetterPlan:
    """The drafts ready to send of the papers numbered ``papers`` (ticked, or confirmed), or of one ``group``
    (``letter_groups``), or all of them; never those of papers ``actor`` may not decide."""
    stmt = _sendable(actor)
    if papers is not None:
        stmt = stmt.where(Letter.submission_id.in_(papers))
    if group:
        stmt = stmt.where(*_in_group(group))
    stmt = stmt.options(contains_eager(Letter.submission).selectinload(Submission.authors).selectinload(SubmissionAuthor.user))
    letters = list(db.session.scalars(stmt).unique())
    found = {x.submission_id for x in letters}
    return LetterPlan(letters, sorted(set(papers or ()) - found))


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


# --- the decisions table ---------------------------------------------------------------------------------

DECISION_SORTS = {
    "number": "Number",
    "mean": "Mean",
    "weighted": "Weighted mean",
    "calibrated": "Calibrated",
    "spread": "Spread",
    "reviews": "Reviews",
    "decision": "Decision",
}
PER_PAGE = 50


@dataclass
class DecisionQuery:
    """One view of the decisions table, as its GET arguments say (every link and form of the page keeps them)."""

    q: str = ""
    decision: str | None = None  # "none" (no decision yet) or a Decision value
    presentation: str | None = None  # a Presentation value
    topic: int | None = None
    missing: bool = False  # reviews missing
    sort: str = "number"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> DecisionQuery:
        decision = args.get("decision")
        presentation = args.get("presentation")
        sort = args.get("sort", "number")
        topic = args.get("topic", type=int)
        return cls(
            q=(args.get("q") or "").strip()[:200],
            decision=decision if decision == "none" or decision in Decision._value2member_map_ else None,
            presentation=presentation if presentation in Presentation._value2member_map_ else None,
            topic=topic if topic and 0 < topic <= MAX_ID else None,
            missing=args.get("missing") == "1",
            sort=sort if sort in DECISION_SORTS else "number",
            descending=args.get("dir") == "desc",
            page=max(1, min(args.get("page", 1, type=int) or 1, 10**6)),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with some values changed (sort links, pages, the forms' way back)."""
        values = {
            "q": self.q or None,
            "decision": self.decision,
            "presentation": self.presentation,
            "topic": self.topic,
            "missing": "1" if self.missing else None,
            "sort": self.sort if self.sort != "number" else None,
            "dir": "desc" if self.descending else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.decision or self.presentation or self.topic or self.missing)


@dataclass
class DecisionRow:
    sub: Submission
    score: PaperScore | None
    recommendations: list[int]  # the submitted reviews' recommendations, by reviewer number
    sent: bool  # its letter is sent: the decision is final
    calibrated: float | None = None  # the mean with the reviewers' habits taken out (``services.calibration``)

    @property
    def missing(self) -> int:
        """Reviews assigned and not in."""
        return (self.score.assigned - self.score.done) if self.score else 0


@dataclass
class DecisionTable:
    rows: list[DecisionRow]
    total: int  # papers matching the filters
    page: int
    pages: int
    query: DecisionQuery
    counts: dict[str, int]  # the chair's papers by decision ("none" and each value), whatever the filters


def decisions_table(ws: Workshop, viewer: User, query: DecisionQuery) -> DecisionTable:
    """One page of the submitted papers the viewing chair may decide, in a fixed number of statements whatever
    the number of papers: the papers a chair is an author of (or conflicted with) are not in it at all, so
    nothing of their reviews is read. Scores come from ``PaperScore`` (``services.scores``)."""
    visible = [
        Submission.workshop_id == ws.id,
        Submission.state == SubmissionState.SUBMITTED,
        Submission.id.not_in(chair_conflicted_ids(viewer)),
    ]
    done = sa.func.coalesce(PaperScore.done, 0)
    assigned = sa.func.coalesce(PaperScore.assigned, 0)
    stmt = sa.select(Submission, PaperScore).outerjoin(PaperScore, PaperScore.submission_id == Submission.id).where(*visible)
    if query.q.startswith("#") and query.q[1:].isascii() and query.q[1:].isdigit():
        stmt = stmt.where(Submission.id == min(int(query.q[1:]), MAX_ID))  # "#12" is the paper's number
    elif query.q:
        stmt = stmt.where(sa.func.lower(Submission.title).like(like_pattern(query.q), escape="\\"))
    if query.decision == "none":
        stmt = stmt.where(Submission.decision.is_(None))
    elif query.decision:
        stmt = stmt.where(Submission.decision == Decision(query.decision))
    if query.presentation:
        stmt = stmt.where(Submission.presentation == Presentation(query.presentation))
    if query.topic:
        stmt = stmt.where(
            sa.or_(
                Submission.primary_topic_id == query.topic,
                Submission.id.in_(sa.select(submission_topic.c.submission_id).where(submission_topic.c.topic_id == query.topic)),
            )
        )
    if query.missing:
        stmt = stmt.where(sa.or_(done < assigned, done < ws.reviews_per_paper))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.with_only_columns(Submission.id).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    fitted = calibration(ws, viewer)
    loading = (selectinload(Submission.authors), selectinload(Submission.primary_topic))
    if query.sort == "calibrated":
        # The calibrated score is no column: the matching numbers are sorted by it here (papers without one last,
        # ties by number), and the page's rows read by number.
        numbers = list(db.session.scalars(stmt.with_only_columns(Submission.id)))
        sign = -1.0 if query.descending else 1.0
        numbers.sort(key=lambda n: (n not in fitted.score, sign * fitted.score.get(n, 0.0), n))
        chosen = numbers[(page - 1) * PER_PAGE : page * PER_PAGE]
        by_number = {
            sub.id: (sub, score) for sub, score in db.session.execute(stmt.where(Submission.id.in_(chosen)).options(*loading))
        }
        found = [by_number[n] for n in chosen]
    else:
        key = {
            "number": Submission.id,
            "mean": PaperScore.mean,
            "weighted": PaperScore.weighted,
            "spread": PaperScore.spread,
            "reviews": done,
            "decision": Submission.decision,
        }[query.sort]
        order = key.desc() if query.descending else key.asc()
        if query.sort in ("mean", "weighted", "spread", "decision"):
            order = order.nulls_last()
        found = db.session.execute(
            stmt.order_by(order, Submission.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE).options(*loading)
        ).all()
    ids = [sub.id for sub, _ in found]
    recommendations: dict[int, list[int]] = {}
    sent: set[int] = set()
    if ids:
        for sub_id, rec in db.session.execute(
            sa.select(ReviewAssignment.submission_id, Review.recommendation)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(
                ReviewAssignment.submission_id.in_(ids),
                Review.state == ReviewState.SUBMITTED,
                ReviewAssignment.suspended_at.is_(None),
            )
            .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
        ):
            recommendations.setdefault(sub_id, []).append(rec)
        sent = set(
            db.session.scalars(sa.select(Letter.submission_id).where(Letter.submission_id.in_(ids), Letter.email_id.is_not(None)))
        )
    counts = {
        (str(d) if d else "none"): n
        for d, n in db.session.execute(
            sa.select(Submission.decision, sa.func.count()).where(*visible).group_by(Submission.decision)
        )
    }
    query.page = page
    rows = [
        DecisionRow(sub, score, recommendations.get(sub.id, []), sub.id in sent, fitted.score.get(sub.id)) for sub, score in found
    ]
    return DecisionTable(rows, total, page, pages, query, counts)


# --- the letters list ------------------------------------------------------------------------------------

LETTER_STATES = ("draft", "stale", "queued", "sent", "failed")


@dataclass
class LetterQuery:
    group: str | None = None  # a key of ``letter_groups``
    state: str | None = None  # one of LETTER_STATES
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> LetterQuery:
        group, state = args.get("group"), args.get("state")
        return cls(
            group=group if group in letter_groups() else None,
            state=state if state in LETTER_STATES else None,
            page=max(1, min(args.get("page", 1, type=int) or 1, 10**6)),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {"group": self.group, "state": self.state, "page": self.page if self.page > 1 else None} | changes
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class LetterTable:
    letters: list[Letter]
    total: int
    page: int
    pages: int
    query: LetterQuery
    stale: list[int]  # drafts written for a decision since changed (all of the chair's, not just this page)
    changed_after: list[int]  # letters sent whose paper's decision changed since
    ready: dict[str, int]  # drafts ready to send, per group, and "all"


def letters_table(actor: User, query: LetterQuery) -> LetterTable:
    """One page of the letters of the papers ``actor`` may decide, in a fixed number of statements."""
    mine = chair_conflicted_ids(actor)
    stmt = sa.select(Letter).join(Submission, Submission.id == Letter.submission_id).where(Letter.submission_id.not_in(mine))
    if query.group:
        stmt = stmt.where(*_in_group(query.group))
    written = _written_for_the_decision()
    if query.state == "draft":
        stmt = stmt.where(Letter.email_id.is_(None), written)
    elif query.state == "stale":
        stmt = stmt.where(Letter.email_id.is_(None), sa.not_(written))
    elif query.state:
        sent_as = sa.select(OutgoingEmail.id).where(OutgoingEmail.state == EmailState(query.state))
        stmt = stmt.where(Letter.email_id.in_(sent_as))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.with_only_columns(Letter.id).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    letters = list(
        db.session.scalars(
            stmt.order_by(Letter.submission_id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
            .options(contains_eager(Letter.submission), selectinload(Letter.email))
        )
    )
    changed_after = list(
        db.session.scalars(
            sa.select(Letter.submission_id)
            .join(Submission, Submission.id == Letter.submission_id)
            .where(Letter.email_id.is_not(None), Letter.submission_id.not_in(mine), sa.not_(written))
            .order_by(Letter.submission_id)
        )
    )
    ready: dict[str, int] = {"all": 0}
    sendable = _sendable(actor).order_by(None)
    for decision, presentation, n in db.session.execute(
        sendable.with_only_columns(Submission.decision, Submission.presentation, sa.func.count()).group_by(
            Submission.decision, Submission.presentation
        )
    ):
        ready["all"] += n
        ready[decision.value] = ready.get(decision.value, 0) + n
        if presentation is not None:
            key = f"{decision.value}/{presentation.value}"
            ready[key] = ready.get(key, 0) + n
    query.page = page
    return LetterTable(letters, total, page, pages, query, stale_letters(actor), changed_after, ready)


# --- its background job -------------------------------------------------------------------------------


LETTERS_PER_TRANSACTION = 200


@job("letters", "Sending the decision letters")
def run_letters(row: Job, progress: Progress, *, workshop_id: int, papers: list[int] | None = None) -> dict[str, Any]:
    """The letters are queued and marked ``LETTERS_PER_TRANSACTION`` at a time, each batch in a transaction of its
    own, then the outbox delivers them: a rerun queues only the letters still drafts and delivers only the mail
    still waiting. ``papers``: the papers whose letters the chair confirmed (None: every draft ready)."""
    ws = db.session.get(Workshop, workshop_id)
    actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
    drafts = sendable_letters(actor, papers)
    total, sent = len(drafts), 0
    progress(0, total, "Putting the letters in the outbox", force=True)
    for first in range(0, total, LETTERS_PER_TRANSACTION):
        batch = drafts[first : first + LETTERS_PER_TRANSACTION]
        sent += send_letters(actor, ws, only=batch)  # fewer when another send claimed some first
        db.session.commit()
        progress(first + len(batch), total)
    stale = [n for n in stale_letters(actor) if papers is None or n in papers]
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
