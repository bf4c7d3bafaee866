"""The chair's submission settings: deadlines (as important dates), submission types, limits, anonymity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from portal.db import db
from portal.domain import DomainError
from portal.models import DateKind, ImportantDate, SubmissionType, User, Workshop
from portal.services import audit
from portal.services.content import zone_name

DEADLINE_LABELS = {
    DateKind.SUBMISSION_OPEN: "Submissions open",
    DateKind.ABSTRACT_DEADLINE: "Abstract registration deadline",
    DateKind.PAPER_DEADLINE: "Paper submission deadline",
    DateKind.NOTIFICATION: "Author notification",
    DateKind.CAMERA_READY: "Camera-ready deadline",
}


@dataclass
class TypeInput:
    id: int | None
    name: str
    page_limit: int
    reference_pages: int | None
    remove: bool


def parse_local(value: str, zone_label: str) -> datetime | None:
    """``2026-12-20 23:59`` (or ``…T23:59``) in the given zone -> aware datetime; '' -> None."""
    value = value.strip()
    if not value:
        return None
    from zoneinfo import ZoneInfo

    try:
        naive = datetime.fromisoformat(value.replace("T", " "))
        at = naive.replace(tzinfo=ZoneInfo(zone_name(zone_label))) if naive.tzinfo is None else naive
        at.astimezone(UTC)  # OverflowError when it falls outside the years 1-9999 in UTC (the database's range)
    except (ValueError, OverflowError) as exc:
        raise DomainError(f"“{value[:40]}” is not a date and time like 2026-12-20 23:59.") from exc
    return at


def update_settings(
    actor: User,
    ws: Workshop,
    *,
    timezone: str,
    dates: dict[DateKind, datetime | None],
    max_upload_mb: int,
    supplementary_max_mb: int,
    double_blind: bool,
    anonymity_blocks: bool,
    types: list[TypeInput],
) -> None:
    ws.timezone = zone_name(timezone)
    opens, abstract, paper = (
        dates.get(k) for k in (DateKind.SUBMISSION_OPEN, DateKind.ABSTRACT_DEADLINE, DateKind.PAPER_DEADLINE)
    )
    if paper is None:
        raise DomainError("Set the full-paper deadline.")
    if opens and opens >= paper:
        raise DomainError("Submissions must open before the full-paper deadline.")
    if abstract and abstract > paper:
        raise DomainError("The abstract deadline must not be after the full-paper deadline.")
    camera = dates.get(DateKind.CAMERA_READY)
    if camera and camera <= paper:
        raise DomainError("The camera-ready deadline must come after the full-paper deadline.")
    existing = {d.kind: d for d in ws.dates if d.kind in DEADLINE_LABELS}
    for kind, at in dates.items():
        row = existing.get(kind)
        if at is None:
            if row is not None:
                ws.dates.remove(row)
        elif row is None:
            ws.dates.append(ImportantDate(kind=kind, label=DEADLINE_LABELS[kind], at=at))
        else:
            row.at = at
    ws.max_upload_mb, ws.supplementary_max_mb = max_upload_mb, supplementary_max_mb
    ws.double_blind, ws.anonymity_blocks = double_blind, anonymity_blocks
    by_id = {t.id: t for t in ws.submission_types}
    kept = [t for t in types if not t.remove and t.name]
    if not kept:
        raise DomainError("Keep at least one submission type.")
    for position, t in enumerate(kept, start=1):
        row = by_id.get(t.id) if t.id else None
        if row is None:
            base = "".join(c if c.isalnum() else "-" for c in t.name.lower()).strip("-")[:50] or f"type-{position}"
            slug, n = base, 2
            while any(x.slug == slug for x in ws.submission_types):  # -2, -3 …: stays within the 64 characters
                slug, n = f"{base}-{n}", n + 1
            row = SubmissionType(slug=slug)
            ws.submission_types.append(row)
        row.position, row.name, row.page_limit, row.reference_pages = position, t.name, t.page_limit, t.reference_pages
    for t in types:
        row = by_id.get(t.id) if t.id else None
        if row is not None and (t.remove or not t.name):
            ws.submission_types.remove(row)
    audit.record(
        actor,
        "settings.submission",
        "Submission settings: deadlines, "
        + ", ".join(f"{k.value.replace('_', ' ')} {v.isoformat(timespec='minutes')}" for k, v in dates.items() if v)
        + f"; double-blind {'on' if double_blind else 'off'}; {len(kept)} submission type(s)",
    )
    db.session.flush()
