"""Loading the workshop's public content from a TOML file into the database.

``load_content`` is idempotent: it matches every item by its slug (dates by label), updates what differs,
adds what is new and removes what the file no longer lists, and reports what it changed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from portal.db import db
from portal.domain import DomainError
from portal.models import (
    AOE_ZONE,
    DateKind,
    ImportantDate,
    Person,
    PersonRole,
    Question,
    SponsorOption,
    SubmissionType,
    Topic,
    Workshop,
)
from portal.urls import is_web_address


class ContentError(DomainError):
    """The content file is malformed; the message names the place."""


@dataclass
class ContentReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return "No changes: the database already matches the file."
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.deleted)} deleted."


WORKSHOP_TEXT_FIELDS = (
    "name",
    "short_name",
    "edition",
    "tagline",
    "venue",
    "colocated_with",
    "overview",
    "motivation",
    "objective",
    "audience",
    "cfp_intro",
    "submission_instructions",
    "panel_note",
    "sponsor_call",
    "contact_email",
)
REQUIRED_WORKSHOP_FIELDS = ("slug", "name", "short_name", "edition", "contact_email")


def zone_name(value: str) -> str:
    """Accept "AoE" or any IANA zone name; return the IANA name."""
    name = AOE_ZONE if value.strip().lower() in {"aoe", "anywhere on earth"} else value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ContentError(f"unknown time zone {value!r}") from exc
    return name


def read_content_file(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: not valid TOML: {exc}") from exc


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v).strip() for v in value)
    return str(value).strip() if value is not None else ""


def _set(obj: Any, values: dict[str, Any], label: str, report: ContentReport, is_new: bool) -> None:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    if changed and not is_new:
        report.updated.append(label)


def _sync(
    section: str,
    collection: list[Any],
    items: list[dict[str, Any]],
    key: Callable[[Any], Any],
    item_key: Callable[[dict[str, Any]], Any],
    values: Callable[[dict[str, Any], int], dict[str, Any]],
    make: Callable[[], Any],
    report: ContentReport,
) -> None:
    by_key = {key(obj): obj for obj in collection}
    seen: set[Any] = set()
    for position, item in enumerate(items, start=1):
        try:
            k = item_key(item)
            vals = values(item, position)
        except KeyError as exc:
            raise ContentError(f"[[{section}]] item {position}: missing key {exc.args[0]!r}") from exc
        if k in seen:
            raise ContentError(f"[[{section}]] item {position}: {k!r} appears twice")
        seen.add(k)
        obj = by_key.get(k)
        label = f"{section} {k}"
        if obj is None:
            obj = make()
            collection.append(obj)
            report.created.append(label)
            _set(obj, vals, label, report, is_new=True)
        else:
            _set(obj, vals, label, report, is_new=False)
    for k, obj in by_key.items():
        if k not in seen:
            collection.remove(obj)  # delete-orphan removes the row
            report.deleted.append(f"{section} {k}")


def _aware(value: Any, zone: ZoneInfo, where: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 23, 59, tzinfo=zone)
    raise ContentError(f"{where}: 'at' must be a TOML date or date-time, not {value!r}")


def _web_address(value: Any, where: str) -> str:
    """A homepage: empty, or a plain web address (never a ``javascript:`` or ``data:`` link on the public site)."""
    text = _text(value)
    if text and not is_web_address(text):
        raise ContentError(f"{where}: homepage {text[:80]!r} is not a web address starting with https:// or http://")
    return text


def _person_key(item: dict[str, Any]) -> str:
    role = _enum(PersonRole, item["role"], f"person {item.get('slug')}")
    return f"{role.value} {_text(item['slug'])}"


def _count(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ContentError(f"{where} must be a whole number of at least {minimum}, not {value!r}")
    return value


def _enum(enum_cls: type, value: str, where: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError as exc:
        choices = ", ".join(m.value for m in enum_cls)
        raise ContentError(f"{where}: {value!r} is not one of {choices}") from exc


def load_content(data: dict[str, Any], *, is_demo: bool | None = None) -> tuple[Workshop, ContentReport]:
    """Create or update the workshop described by ``data`` (a parsed content file). Flushes, never commits."""
    report = ContentReport()
    info = data.get("workshop")
    if not isinstance(info, dict):
        raise ContentError("the file has no [workshop] table")
    missing = [k for k in REQUIRED_WORKSHOP_FIELDS if not _text(info.get(k))]
    if missing:
        raise ContentError(f"[workshop] lacks {', '.join(missing)}")

    slug = _text(info["slug"])
    workshop = db.session.scalar(sa.select(Workshop).where(Workshop.slug == slug))
    is_new = workshop is None
    if workshop is None:
        workshop = Workshop(slug=slug, is_demo=bool(is_demo))
        db.session.add(workshop)
        report.created.append(f"workshop {slug}")
    values: dict[str, Any] = {f: _text(info.get(f, "")) for f in WORKSHOP_TEXT_FIELDS}
    values["timezone"] = zone_name(_text(info.get("timezone")) or "AoE")
    for f in ("starts_on", "ends_on"):
        v = info.get(f)
        if v is not None and not isinstance(v, date):
            raise ContentError(f"[workshop] {f} must be a TOML date (2024-05-11), not {v!r}")
        values[f] = v if not isinstance(v, datetime) else v.date()
    if is_demo is not None:
        values["is_demo"] = is_demo
    _set(workshop, values, f"workshop {slug}", report, is_new=is_new)
    db.session.flush()
    zone = workshop.zone

    _sync(
        "questions",
        workshop.questions,
        data.get("questions", []),
        key=lambda q: q.slug,
        item_key=lambda i: _text(i["slug"]),
        values=lambda i, pos: {
            "slug": _text(i["slug"]),
            "position": pos,
            "title": _text(i["title"]),
            "text": _text(i["text"]),
        },
        make=Question,
        report=report,
    )
    _sync(
        "topics",
        workshop.topics,
        data.get("topics", []),
        key=lambda t: t.slug,
        item_key=lambda i: _text(i["slug"]),
        values=lambda i, pos: {
            "slug": _text(i["slug"]),
            "position": pos,
            "title": _text(i["title"]),
            "description": _text(i.get("description")),
            "examples": _text(i.get("examples")),
        },
        make=Topic,
        report=report,
    )
    _sync(
        "people",
        workshop.people,
        data.get("people", []),
        key=lambda p: f"{p.role.value} {p.slug}",
        item_key=_person_key,
        values=lambda i, pos: {
            "role": PersonRole(i["role"]),
            "slug": _text(i["slug"]),
            "position": pos,
            "name": _text(i["name"]),
            "affiliation": _text(i.get("affiliation")),
            "homepage": _web_address(i.get("homepage"), f"person {i.get('slug')}"),
            "bio": _text(i.get("bio")),
        },
        make=Person,
        report=report,
    )
    _sync(
        "dates",
        workshop.dates,
        data.get("dates", []),
        key=lambda d: d.label,
        item_key=lambda i: _text(i["label"]),
        values=lambda i, pos: {
            "kind": _enum(DateKind, i.get("kind", "other"), f"date {i.get('label')}"),
            "label": _text(i["label"]),
            "at": _aware(i["at"], zone, f"date {i.get('label')}"),
        },
        make=ImportantDate,
        report=report,
    )
    _sync(
        "submission_types",
        workshop.submission_types,
        data.get("submission_types", []),
        key=lambda t: t.slug,
        item_key=lambda i: _text(i["slug"]),
        values=lambda i, pos: {
            "slug": _text(i["slug"]),
            "position": pos,
            "name": _text(i["name"]),
            "page_limit": _count(i["page_limit"], f"submission type {i.get('slug')}: page_limit", minimum=1),
            "reference_pages": None
            if i.get("reference_pages") is None
            else _count(i["reference_pages"], f"submission type {i.get('slug')}: reference_pages", minimum=0),
            "description": _text(i.get("description")),
        },
        make=SubmissionType,
        report=report,
    )
    _sync(
        "sponsor_options",
        workshop.sponsor_options,
        data.get("sponsor_options", []),
        key=lambda o: o.slug,
        item_key=lambda i: _text(i["slug"]),
        values=lambda i, pos: {
            "slug": _text(i["slug"]),
            "position": pos,
            "label": _text(i["label"]),
            "description": _text(i.get("description")),
        },
        make=SponsorOption,
        report=report,
    )
    db.session.flush()
    return workshop, report
