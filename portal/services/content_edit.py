"""The chairs' edits of the public site's content: the workshop's texts and facts, topics, questions, people,
important dates and sponsorship options. One function per change; each checks, changes, records an audit
entry and flushes (never commits). Slugs are made from the title or name when an item is added and kept when
it is renamed, so links to it (``/call-for-papers#topic-architecture``) keep working.

Deadlines (the kinds in ``settings.DEADLINE_LABELS``) belong to the settings page, where their order is
checked; here they are listed only. This page adds, edits and removes the other dates (the workshop day and
any other milestone).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa

from portal.db import db
from portal.domain import DomainError
from portal.models import (
    DateKind,
    ImportantDate,
    Person,
    PersonRole,
    Question,
    SponsorInquiry,
    SponsorOption,
    Submission,
    Topic,
    User,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.services import audit
from portal.services.settings import DEADLINE_LABELS
from portal.services.sponsors import forget_files
from portal.urls import is_web_address

Direction = Literal["up", "down"]

#: Dates chairs add here; the deadline kinds are set on the settings page.
CONTENT_DATE_KINDS = (DateKind.WORKSHOP, DateKind.OTHER)

ROLE_NOUNS = {
    PersonRole.SPEAKER: "Speaker",
    PersonRole.PANELIST: "Panelist",
    PersonRole.ORGANIZER: "Organizer",
    PersonRole.STEERING: "Steering committee member",
}


# --- helpers ------------------------------------------------------------------------------------------


def slugify(text: str, taken: Iterable[str], fallback: str = "item") -> str:
    """``Hardware-aware Optimization`` -> ``hardware-aware-optimization``; ``-2``, ``-3`` … when taken."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:48].strip("-") or fallback
    used = set(taken)
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def homepage_problem(url: str) -> str | None:
    """Why ``url`` cannot be a person's homepage, or None when it is a plain http(s) web address."""
    if not url:
        return None
    if not is_web_address(url):
        return "Give a web address that starts with https:// (or http://), like https://example.org/~ada."
    return None


def _required(**values: str) -> None:
    missing = [f"the {name.replace('_', ' ')}" for name, value in values.items() if not value.strip()]
    if missing:
        raise DomainError(f"Give {', '.join(missing[:-1]) + ' and ' if len(missing) > 1 else ''}{missing[-1]}.")


def _quoted(text: str) -> str:
    return f"“{text}”"


def _changes(obj: Any, values: dict[str, Any]) -> list[str]:
    """Set what differs; return the names of the changed attributes."""
    changed = []
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(key.replace("_", " "))
    return changed


def _renumber(items: Sequence[Any]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def _move(items: Sequence[Any], item: Any, direction: Direction) -> bool:
    """Swap ``item`` with its neighbour (by position); False when it is already first (up) or last (down)."""
    order = sorted(items, key=lambda x: x.position)  # a copy: the ORM collection itself is left alone
    i = order.index(item)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(order):
        return False
    order[i], order[j] = order[j], order[i]
    _renumber(order)
    return True


def _next_position(items: Sequence[Any]) -> int:
    return max((x.position for x in items), default=0) + 1


# --- the workshop's texts and facts -------------------------------------------------------------------


@dataclass
class WorkshopInput:
    name: str
    short_name: str
    edition: str
    tagline: str
    venue: str
    colocated_with: str
    starts_on: date | None
    ends_on: date | None
    contact_email: str
    overview: str
    motivation: str
    objective: str
    audience: str
    cfp_intro: str
    submission_instructions: str
    panel_note: str
    sponsor_call: str


WORKSHOP_FIELDS = tuple(f.name for f in fields(WorkshopInput))


def update_workshop(actor: User, ws: Workshop, data: WorkshopInput) -> list[str]:
    """Save the workshop's texts and facts; return what changed (nothing changed: no audit entry)."""
    _required(name=data.name, short_name=data.short_name, edition=data.edition, contact_email=data.contact_email)
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise DomainError("The last day of the workshop cannot be before its first day.")
    if data.ends_on and not data.starts_on:
        raise DomainError("Give the first day of the workshop too (or leave both days empty).")
    changed = _changes(ws, {name: getattr(data, name) for name in WORKSHOP_FIELDS})
    if changed:
        audit.record(actor, "content.workshop", f"Workshop texts and facts edited: {', '.join(changed)}")
    db.session.flush()
    return changed


# --- topics -------------------------------------------------------------------------------------------


@dataclass
class TopicUsage:
    primary: list[int]  # submission numbers
    secondary: int
    expertise: int

    @property
    def summary(self) -> str:
        parts = []
        if self.secondary:
            parts.append(f"an additional topic of {self.secondary} submission{'s' if self.secondary != 1 else ''}")
        if self.expertise:
            parts.append(f"in the expertise of {self.expertise} {'people' if self.expertise != 1 else 'person'}")
        return " and ".join(parts)


def topic_usage(topic: Topic) -> TopicUsage:
    primary = list(
        db.session.scalars(sa.select(Submission.id).where(Submission.primary_topic_id == topic.id).order_by(Submission.id))
    )
    secondary = (
        db.session.scalar(sa.select(sa.func.count()).select_from(submission_topic).where(submission_topic.c.topic_id == topic.id))
        or 0
    )
    expertise = (
        db.session.scalar(sa.select(sa.func.count()).select_from(user_topic).where(user_topic.c.topic_id == topic.id)) or 0
    )
    return TopicUsage(primary, secondary, expertise)


def primary_topic_counts(ws: Workshop) -> dict[int, int]:
    """How many submissions file each topic as their primary topic."""
    rows = db.session.execute(
        sa.select(Submission.primary_topic_id, sa.func.count())
        .where(Submission.workshop_id == ws.id)
        .group_by(Submission.primary_topic_id)
    )
    return {topic_id: count for topic_id, count in rows}


def add_topic(actor: User, ws: Workshop, *, title: str, description: str, examples: str) -> Topic:
    _required(title=title)
    topic = Topic(
        slug=slugify(title, (t.slug for t in ws.topics), "topic"),
        position=_next_position(ws.topics),
        title=title,
        description=description,
        examples=examples,
    )
    ws.topics.append(topic)
    db.session.flush()
    audit.record(actor, "content.topic", f"Topic {_quoted(title)} added")
    return topic


def update_topic(actor: User, topic: Topic, *, title: str, description: str, examples: str) -> list[str]:
    _required(title=title)
    before = topic.title
    changed = _changes(topic, {"title": title, "description": description, "examples": examples})
    if changed:
        audit.record(actor, "content.topic", f"Topic {_quoted(before)} edited: {', '.join(changed)}")
    db.session.flush()
    return changed


def remove_topic(actor: User, topic: Topic) -> None:
    """Remove a topic no submission files as its primary topic; it leaves the others' additional topics and
    the reviewers' expertise."""
    usage = topic_usage(topic)
    if usage.primary:
        numbers = ", ".join(f"#{n}" for n in usage.primary)
        many = len(usage.primary) != 1
        raise DomainError(
            f"{_quoted(topic.title)} is the primary topic of submission{'s' if many else ''} {numbers}, so it cannot "
            f"be removed. Rename it instead, or have the authors choose another primary topic first."
        )
    ws = topic.workshop
    # Explicit, so SQLite (which does not enforce foreign keys here) keeps no dangling rows either.
    db.session.execute(sa.delete(submission_topic).where(submission_topic.c.topic_id == topic.id))
    db.session.execute(sa.delete(user_topic).where(user_topic.c.topic_id == topic.id))
    ws.topics.remove(topic)
    _renumber(ws.topics)
    audit.record(
        actor, "content.topic", f"Topic {_quoted(topic.title)} removed" + (f" (it was {usage.summary})" if usage.summary else "")
    )
    db.session.flush()


def move_topic(actor: User, topic: Topic, direction: Direction) -> bool:
    moved = _move(topic.workshop.topics, topic, direction)
    if moved:
        audit.record(actor, "content.topic", f"Topic {_quoted(topic.title)} moved {direction}")
    db.session.flush()
    return moved


# --- fundamental questions ----------------------------------------------------------------------------


def add_question(actor: User, ws: Workshop, *, title: str, text: str) -> Question:
    _required(title=title, text=text)
    question = Question(
        slug=slugify(title, (q.slug for q in ws.questions), "question"),
        position=_next_position(ws.questions),
        title=title,
        text=text,
    )
    ws.questions.append(question)
    db.session.flush()
    audit.record(actor, "content.question", f"Question {_quoted(title)} added")
    return question


def update_question(actor: User, question: Question, *, title: str, text: str) -> list[str]:
    _required(title=title, text=text)
    before = question.title
    changed = _changes(question, {"title": title, "text": text})
    if changed:
        audit.record(actor, "content.question", f"Question {_quoted(before)} edited: {', '.join(changed)}")
    db.session.flush()
    return changed


def remove_question(actor: User, question: Question) -> None:
    ws = question.workshop
    ws.questions.remove(question)
    _renumber(ws.questions)
    audit.record(actor, "content.question", f"Question {_quoted(question.title)} removed")
    db.session.flush()


def move_question(actor: User, question: Question, direction: Direction) -> bool:
    moved = _move(question.workshop.questions, question, direction)
    if moved:
        audit.record(actor, "content.question", f"Question {_quoted(question.title)} moved {direction}")
    db.session.flush()
    return moved


# --- people -------------------------------------------------------------------------------------------


def _person_values(name: str, affiliation: str, homepage: str, bio: str) -> dict[str, str]:
    _required(name=name)
    problem = homepage_problem(homepage)
    if problem:
        raise DomainError(f"Homepage: {problem}")
    lines = [line.strip() for line in affiliation.splitlines() if line.strip()]
    return {"name": name, "affiliation": "\n".join(lines), "homepage": homepage, "bio": bio}


def add_person(actor: User, ws: Workshop, role: PersonRole, *, name: str, affiliation: str, homepage: str, bio: str) -> Person:
    values = _person_values(name, affiliation, homepage, bio)
    same_role = ws.people_in(role)
    person = Person(
        role=role, slug=slugify(name, (p.slug for p in same_role), "person"), position=_next_position(same_role), **values
    )
    ws.people.append(person)
    db.session.flush()
    audit.record(actor, "content.person", f"{ROLE_NOUNS[role]} {_quoted(name)} added")
    return person


def update_person(actor: User, person: Person, *, name: str, affiliation: str, homepage: str, bio: str) -> list[str]:
    values = _person_values(name, affiliation, homepage, bio)
    before = person.name
    changed = _changes(person, values)
    if changed:
        audit.record(actor, "content.person", f"{ROLE_NOUNS[person.role]} {_quoted(before)} edited: {', '.join(changed)}")
    db.session.flush()
    return changed


def remove_person(actor: User, person: Person) -> None:
    ws = person.workshop
    ws.people.remove(person)
    _renumber(ws.people_in(person.role))
    audit.record(actor, "content.person", f"{ROLE_NOUNS[person.role]} {_quoted(person.name)} removed")
    db.session.flush()
    forget_files(person.photo_id, person.photo_small_id)  # their photo goes with them


def move_person(actor: User, person: Person, direction: Direction) -> bool:
    moved = _move(person.workshop.people_in(person.role), person, direction)
    if moved:
        audit.record(actor, "content.person", f"{ROLE_NOUNS[person.role]} {_quoted(person.name)} moved {direction}")
    db.session.flush()
    return moved


# --- important dates ----------------------------------------------------------------------------------


def is_deadline(d: ImportantDate) -> bool:
    """Deadlines are set on the settings page (their order is checked there), not here."""
    return d.kind in DEADLINE_LABELS


def _date_values(ws: Workshop, row: ImportantDate | None, label: str, kind: DateKind, at: datetime | None) -> dict[str, Any]:
    _required(label=label)
    if kind not in CONTENT_DATE_KINDS:
        raise DomainError("Deadlines are set on the settings page, where the portal checks their order.")
    if at is None:
        raise DomainError("Give the date and time, like 2024-07-27 09:00.")
    if label.casefold() in {x.casefold() for x in DEADLINE_LABELS.values()}:
        raise DomainError(f"{_quoted(label)} is the name of a deadline on the settings page; choose another label.")
    if any(d.label.casefold() == label.casefold() for d in ws.dates if d is not row):
        raise DomainError(f"Another date is already labelled {_quoted(label)}.")
    return {"label": label, "kind": kind, "at": at}


def add_date(actor: User, ws: Workshop, *, label: str, kind: DateKind, at: datetime | None) -> ImportantDate:
    row = ImportantDate(**_date_values(ws, None, label, kind, at))
    ws.dates.append(row)
    db.session.flush()
    audit.record(actor, "content.date", f"Date {_quoted(label)} added: {row.at.astimezone(UTC).isoformat(timespec='minutes')}")
    return row


def update_date(actor: User, row: ImportantDate, *, label: str, kind: DateKind, at: datetime | None) -> list[str]:
    if is_deadline(row):
        raise DomainError("Deadlines are set on the settings page, where the portal checks their order.")
    values = _date_values(row.workshop, row, label, kind, at)
    before = row.label
    # Compare instants, not representations: the form gives the workshop's zone, the row holds UTC.
    if row.at == values["at"]:
        del values["at"]
    changed = _changes(row, values)
    if changed:
        audit.record(actor, "content.date", f"Date {_quoted(before)} edited: {', '.join(changed)}")
    db.session.flush()
    return changed


def remove_date(actor: User, row: ImportantDate) -> None:
    if is_deadline(row):
        raise DomainError("Deadlines are removed on the settings page, where the portal checks their order.")
    row.workshop.dates.remove(row)
    audit.record(actor, "content.date", f"Date {_quoted(row.label)} removed")
    db.session.flush()


# --- sponsorship options ------------------------------------------------------------------------------


def add_sponsor_option(actor: User, ws: Workshop, *, label: str, description: str) -> SponsorOption:
    _required(label=label)
    option = SponsorOption(
        slug=slugify(label, (o.slug for o in ws.sponsor_options), "option"),
        position=_next_position(ws.sponsor_options),
        label=label,
        description=description,
    )
    ws.sponsor_options.append(option)
    db.session.flush()
    audit.record(actor, "content.sponsor_option", f"Sponsorship option {_quoted(label)} added")
    return option


def update_sponsor_option(actor: User, option: SponsorOption, *, label: str, description: str) -> list[str]:
    _required(label=label)
    before = option.label
    changed = _changes(option, {"label": label, "description": description})
    if changed:
        audit.record(actor, "content.sponsor_option", f"Sponsorship option {_quoted(before)} edited: {', '.join(changed)}")
    db.session.flush()
    return changed


def remove_sponsor_option(actor: User, option: SponsorOption) -> None:
    """Remove an option; the inquiries that chose it keep the interest as the sponsor saw it."""
    ws = option.workshop
    db.session.execute(sa.update(SponsorInquiry).where(SponsorInquiry.option_id == option.id).values(option_id=None))
    ws.sponsor_options.remove(option)
    _renumber(ws.sponsor_options)
    audit.record(actor, "content.sponsor_option", f"Sponsorship option {_quoted(option.label)} removed")
    db.session.flush()


def move_sponsor_option(actor: User, option: SponsorOption, direction: Direction) -> bool:
    moved = _move(option.workshop.sponsor_options, option, direction)
    if moved:
        audit.record(actor, "content.sponsor_option", f"Sponsorship option {_quoted(option.label)} moved {direction}")
    db.session.flush()
    return moved
