"""The review form the chairs shape (issue 21.1): reading the workshop's fields, adding, changing, moving,
retiring and restoring one, and checking a review's answers against them. The caller commits.

A workshop that never touched its form has no rows: ``fields`` gives the default form (``DEFAULT_FORM``) as
unsaved rows, and the first change saves it. A field is never deleted: retired, it leaves the reviewer's form, and
its answers stay in the reviews, their history and the exports."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal.db import db, utcnow
from portal.domain import DomainError
from portal.models import (
    REVIEW_FIELDS,
    FieldKind,
    PaperFieldScore,
    ReviewField,
    User,
    Workshop,
    default_fields,
    default_meta_fields,
)
from portal.models.review_form import RESERVED_KEYS, Audience, words
from portal.services import audit, scores

FORM = "review"
META = "meta"  # the meta-review form of the area chairs (issue 21.2)


def _name(form: str) -> str:
    return "Meta-review form" if form == META else "Review form"


MAX_FIELDS = 40
MAX_SCALE = 10
MAX_CHOICES = 20
TEXT_LIMIT = 20_000  # characters of one text answer


def fields(ws: Workshop, *, retired: bool = False, form: str = FORM) -> list[ReviewField]:
    """The form's fields in order (with ``retired``, the retired ones too, where they stood)."""
    rows = list(
        db.session.scalars(
            sa.select(ReviewField)
            .where(ReviewField.workshop_id == ws.id, ReviewField.form == form)
            .order_by(ReviewField.position, ReviewField.id)
        )
    )
    if not rows and form == FORM:
        rows = default_fields(ws.id)
    elif not rows and form == META:
        rows = default_meta_fields(ws.id)
    return rows if retired else [f for f in rows if f.active]


def saved_fields(ws: Workshop, form: str = FORM) -> list[ReviewField]:
    """The form's rows, saving the default form first when the workshop has none yet."""
    rows = fields(ws, retired=True, form=form)
    if rows and rows[0].id is None:
        db.session.add_all(rows)
        db.session.flush()
    return rows


# --- changing the form ------------------------------------------------------------------------------


@dataclass
class FieldInput:
    """What the chair's field form gives (``chair.forms.ReviewFieldForm.to_input``)."""

    label: str
    kind: FieldKind = FieldKind.TEXT
    help: str = ""
    required: bool = False
    visibility: Audience = Audience.CHAIRS
    labels: list[str] = field(default_factory=list)  # a score's scale, worst first when the best is high
    best: str = "high"
    choices: list[str] = field(default_factory=list)
    min_words: int | None = None
    max_words: int | None = None
    console_column: bool = False


def _check(data: FieldInput, existing: ReviewField | None) -> dict[str, Any]:
    """The options a field keeps, from the input; refuses what cannot work."""
    kind = existing.kind if existing is not None else data.kind
    if not data.label.strip():
        raise DomainError("Give the field a label.")
    if kind == FieldKind.SCORE:
        labels = [x.strip() for x in data.labels if x.strip()]
        _distinct(labels, "the scale", "give each point its own label")
        if not 2 <= len(labels) <= MAX_SCALE:
            raise DomainError(f"A score needs between 2 and {MAX_SCALE} points on its scale, one label a line.")
        if existing is not None and existing.fixed_scale and len(labels) != 5:
            raise DomainError(f"“{existing.label}” keeps its five points (the console counts them); change their labels only.")
        return {"labels": labels, "best": "low" if data.best == "low" else "high"}
    if kind in (FieldKind.CHOICE, FieldKind.MULTI):
        choices = [x.strip() for x in data.choices if x.strip()]
        _distinct(choices, "the options", "give each option its own words")
        if not 2 <= len(choices) <= MAX_CHOICES:
            raise DomainError(f"A choice needs between 2 and {MAX_CHOICES} options, one a line.")
        return {"choices": choices}
    return {}


#: A number a chair typed before a line's words ("1: Poor", "2) Poor"): the pages number the points themselves.
_NUMBERED = re.compile(r"^\d+\s*[:.)\-\u2013]\s+(?=\S)")


def reads_as(line: str) -> str:
    """What a line of a scale or of the options reads as: its words in any case, a number typed before them aside."""
    return _NUMBERED.sub("", line.strip()).casefold()


def _distinct(lines: list[str], what: str, fix: str) -> None:
    """Refuse a line that reads like an earlier one (in any case, a number typed before the words aside): two
    points of a scale (or two options) that read alike are one to the reviewer and two to the console and the
    exports."""
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        first = seen.setdefault(reads_as(line), number)
        if first != number:
            raise DomainError(f"Lines {first} and {number} of {what} both read “{_NUMBERED.sub('', lines[first - 1])}”; {fix}.")


def _unique_label(rows: list[ReviewField], label: str, key: str | None = None) -> None:
    """Refuse a label another field of the form has (retired ones too: the exports and the history show them), in
    any case: the console's columns, the exports' headers and the letters name fields by their labels."""
    wanted = label.strip().casefold()
    if any(r.label.strip().casefold() == wanted and r.key != key for r in rows):
        raise DomainError(
            f"The form has a field labelled “{label.strip()}” already (perhaps retired); give this one another label."
        )


def _words(data: FieldInput, kind: FieldKind) -> tuple[int | None, int | None]:
    if kind != FieldKind.TEXT:
        return None, None
    least, most = data.min_words or None, data.max_words or None
    if least is not None and most is not None and least > most:
        raise DomainError("The fewest words cannot be more than the most words.")
    return least, most


def new_key(label: str, taken: set[str]) -> str:
    """A key for a new field, from its label: ``reproducibility``, ``best_paper_candidate``, never one taken or
    reserved (``_2`` and on)."""
    ascii_ = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")[:32] or "field"
    if not base[0].isalpha():
        base = "f_" + base[:30]
    key, n = base, 1
    while key in taken or key in RESERVED_KEYS or key in REVIEW_FIELDS:
        n += 1
        key = f"{base}_{n}"
    return key


def add_field(actor: User, ws: Workshop, data: FieldInput, form: str = FORM) -> ReviewField:
    data.kind, data.visibility = FieldKind(data.kind), Audience(data.visibility)
    rows = saved_fields(ws, form)
    if len(rows) >= MAX_FIELDS:
        raise DomainError(f"A review form holds at most {MAX_FIELDS} fields (retired ones included).")
    options = _check(data, None)
    _unique_label(rows, data.label)
    least, most = _words(data, data.kind)
    row = ReviewField(
        workshop_id=ws.id,
        form=form,
        key=new_key(data.label, {r.key for r in rows}),
        kind=data.kind,
        label=data.label.strip(),
        help=data.help.strip(),
        required=data.required,
        position=max((r.position for r in rows), default=0) + 1,
        options=options,
        min_words=least,
        max_words=most,
        visibility=data.visibility,
        is_console_column=data.console_column and data.kind == FieldKind.SCORE and form == FORM,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "settings.review_form", f"{_name(row.form)}: added “{row.label}” ({row.kind.label.lower()})")
    return row


def update_field(actor: User, ws: Workshop, row: ReviewField, data: FieldInput) -> ReviewField:
    """Change a field's label, help, rules, visibility or scale; its kind and key stay (answers already given keep
    their meaning: an answer on a point since taken off the scale shows as given)."""
    data.visibility = Audience(data.visibility)
    options = _check(data, row)
    _unique_label(saved_fields(ws, row.form), data.label, row.key)
    least, most = _words(data, row.kind)
    was_column = row.is_console_column
    row.label, row.help, row.options = data.label.strip(), data.help.strip(), options
    row.required = True if row.fixed_scale else data.required  # (a submitted review always has both)
    row.min_words, row.max_words, row.visibility = least, most, data.visibility
    row.is_console_column = data.console_column and row.kind == FieldKind.SCORE and not row.is_recommendation and row.form == FORM
    db.session.flush()
    if row.is_console_column != was_column:
        scores.refresh_field_scores(None)
    audit.record(actor, "settings.review_form", f"{_name(row.form)}: changed “{row.label}”")
    return row


def field_by_id(ws: Workshop, field_id: int) -> ReviewField | None:
    """One of the workshop's saved fields (None: not one of its fields)."""
    row = db.session.get(ReviewField, field_id)
    return row if row is not None and row.workshop_id == ws.id and row.form == FORM else None


def move_field(actor: User, ws: Workshop, key: str, step: int, form: str = FORM) -> None:
    """One place up (-1) or down (+1) among the fields on the form."""
    rows = saved_fields(ws, form)
    live = [r for r in rows if r.active]
    index = next((i for i, r in enumerate(live) if r.key == key), None)
    if index is None:
        raise DomainError("That field is not on the form.")
    other = index + step
    if not 0 <= other < len(live):
        return
    live[index], live[other] = live[other], live[index]
    order = live + [r for r in rows if not r.active]
    for position, row in enumerate(order, start=1):
        row.position = position
    db.session.flush()
    audit.record(actor, "settings.review_form", f"{_name(form)}: moved “{live[other].label}” {'up' if step < 0 else 'down'}")


def retire_field(actor: User, ws: Workshop, key: str, now: datetime | None = None, form: str = FORM) -> ReviewField:
    row = next((r for r in saved_fields(ws, form) if r.key == key), None)
    if row is None or not row.active:
        raise DomainError("That field is not on the form.")
    if row.fixed_scale or (row.form == META and row.key == "recommendation"):
        raise DomainError(f"“{row.label}” stays on the form: the scores, the console and the decisions read it.")
    row.retired_at = now or utcnow()
    was_column, row.is_console_column = row.is_console_column, False
    db.session.flush()
    if was_column:
        db.session.execute(sa.delete(PaperFieldScore).where(PaperFieldScore.field_id == row.id))
    audit.record(actor, "settings.review_form", f"{_name(row.form)}: retired “{row.label}” (its answers are kept)")
    return row


def restore_field(actor: User, ws: Workshop, key: str, form: str = FORM) -> ReviewField:
    rows = saved_fields(ws, form)
    row = next((r for r in rows if r.key == key), None)
    if row is None or row.active:
        raise DomainError("That field is not retired.")
    row.retired_at = None
    row.position = max((r.position for r in rows), default=0) + 1
    db.session.flush()
    audit.record(actor, "settings.review_form", f"{_name(row.form)}: put “{row.label}” back on the form")
    return row


# --- checking answers -------------------------------------------------------------------------------


class AnswersRefused(DomainError):
    """Some answers break the form's rules; ``problems`` says which (by field key) and why."""

    def __init__(self, message: str, problems: dict[str, str]) -> None:
        super().__init__(message)
        self.problems = problems


def _needs(row: ReviewField) -> str:
    """How the refusal names a required field: "an overall recommendation", "“Reproducibility notes”"."""
    if row.kind in (FieldKind.TEXT, FieldKind.MULTI):
        return f"“{row.label}”"
    name = row.label[0].lower() + row.label[1:]
    return ("an " if name[:1] in "aeiou" else "a ") + name


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_answers(rows: list[ReviewField], data: dict[str, Any], *, submit: bool, given: dict[str, Any] | None = None) -> None:
    """Refuse answers that break the rules of the form's fields: a required field left empty (to submit), a
    text over its word limit (always) or under it (to submit), a score off its scale, a choice not offered;
    except an answer the review already holds (``given``), offered again as given after the form changed."""
    problems: dict[str, str] = {}
    missing = False
    given = given or {}
    for row in rows:
        value = data.get(row.key)
        kept = given.get(row.key)
        if row.empty(value):
            if submit and row.required:
                missing = True
                problems[row.key] = {
                    FieldKind.TEXT: "Write this to submit the review.",
                    FieldKind.MULTI: "Choose at least one to submit the review.",
                }.get(row.kind, "Choose one to submit the review.")
            continue
        if row.kind == FieldKind.TEXT:
            count = words(str(value))
            if row.max_words and count > row.max_words:
                problems[row.key] = f"Keep this to {row.max_words} words or fewer (it has {count})."
            elif submit and row.min_words and count < row.min_words:
                problems[row.key] = f"Write at least {row.min_words} words to submit the review (it has {count})."
            elif len(str(value)) > TEXT_LIMIT:
                problems[row.key] = f"Keep this under {TEXT_LIMIT:,} characters."
        elif row.kind == FieldKind.SCORE and row.scale_label(value) is None and value != kept:
            problems[row.key] = "Choose a point of the scale."
        elif row.kind == FieldKind.CHOICE and value not in row.choices and value != kept:
            problems[row.key] = "Choose one of the options."
        elif row.kind == FieldKind.MULTI and not set(value) <= set(row.choices) | set(kept if isinstance(kept, list) else []):
            problems[row.key] = "Choose among the options."
    if not problems:
        return
    if missing:
        required = [_needs(r) for r in rows if r.required]
        message = f"A submitted review needs {_and(required)}."
    else:
        message = "Some answers do not fit the form: see the marked fields."
    raise AnswersRefused(message, problems)
