from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, render_template, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import queries
from portal.db import db, utcnow
from portal.models import (
    DateKind,
    FileKind,
    ImportantDate,
    Person,
    PersonRole,
    ProgramSession,
    SponsorInquiry,
    StoredFile,
    Submission,
    Workshop,
)
from portal.public.blueprint import bp
from portal.urls import external_url, web_link
from portal.web import require_workshop, send_stored


@dataclass(frozen=True)
class Opening:
    """What the home page's first screen leads with, by the workshop's phase: its stage, its calls to action
    (label, link; the first is the main one) and the dates still to come (a closed deadline no longer leads)."""

    stage: str  # "announced" (submissions not open yet), "submissions", "closed" (reviewing), "decided"
    actions: list[tuple[str, str]]
    deadline: ImportantDate | None  # the submission deadline still ahead, while submissions are open
    upcoming: list[ImportantDate]
    day: date | None  # the workshop's first day: its own, else the "workshop" date's


def opening(ws: Workshop, now: datetime) -> Opening:
    d = ws.deadlines()
    closes = ws.new_submission_closes()
    workshop_date = ws.date_of(DateKind.WORKSHOP)
    # The dates ahead, but the workshop's own: the first screen names it already.
    upcoming = [x for x in ws.dates if x.at > now and x.kind != DateKind.WORKSHOP][:3]
    day = ws.starts_on or (workshop_date.at.astimezone(ws.zone).date() if workshop_date else None)
    cfp = ("Read the call for papers", url_for("public.cfp"))
    if ws.accepted_published:
        # The decisions are out: the notification (and any submission date) is behind, whatever date was planned.
        done = (DateKind.SUBMISSION_OPEN, DateKind.ABSTRACT_DEADLINE, DateKind.PAPER_DEADLINE, DateKind.NOTIFICATION)
        upcoming = [x for x in upcoming if x.kind not in done]
        actions = [("See the accepted papers", url_for("public.accepted"))]
        if "public.program" in current_app.view_functions and ws.program_public:
            actions.append(("Program", url_for("public.program")))
        return Opening("decided", actions, None, upcoming, day)
    if d.opens is not None and now < d.opens:
        return Opening("announced", [cfp], None, upcoming, day)
    last = max((x for x in (closes, d.paper) if x is not None), default=None)
    if last is None or now < last:
        # Until the abstract deadline anyone may start a paper; after it, until the paper deadline, authors finish theirs.
        kinds = (DateKind.ABSTRACT_DEADLINE, DateKind.PAPER_DEADLINE)
        deadline = next((x for x in ws.dates if x.kind in kinds and x.at > now), None)
        if closes is None or now < closes:
            act = ("Submit a paper", url_for("submissions.new"))
        else:
            act = ("Finish your submission", url_for("submissions.index"))
        return Opening("submissions", [act, cfp], deadline, upcoming, day)
    return Opening("closed", [("Meet the speakers", url_for("public.speakers")), cfp], None, upcoming, day)


def _person(p: Person) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "Person", "name": p.name}
    if p.affiliations:
        data["affiliation"] = [{"@type": "Organization", "name": a} for a in p.affiliations]
    if web_link(p.homepage):
        data["url"] = p.homepage
    if p.photo_id:
        data["image"] = external_url("public.photo", person_id=p.id, size=192, v=p.photo_id)
    return data


def event_data(ws: Workshop, day: date | None, sponsors: list[tuple[str, list[SponsorInquiry]]]) -> dict[str, Any] | None:
    """The workshop as a schema.org ``Event`` (JSON-LD), for search engines, with its sessions as sub-events once
    the program is published; None until its first day is known (an event without a start date is not one)."""
    if day is None:
        return None
    home = external_url("public.home")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": ws.name,
        "alternateName": ws.label,
        "url": home,
        "startDate": day.isoformat(),
        "endDate": (ws.ends_on if ws.starts_on and ws.ends_on else day).isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "organizer": [_person(p) for p in ws.people_in(PersonRole.ORGANIZER)],
    }
    if ws.tagline:
        data["description"] = ws.tagline
    if ws.venue:
        data["location"] = {"@type": "Place", "name": ws.venue, "address": ws.venue}
    if ws.colocated_with:
        data["superEvent"] = {"@type": "Event", "name": ws.colocated_with}
    performers = ws.people_in(PersonRole.SPEAKER) + ws.people_in(PersonRole.PANELIST)
    if performers:
        data["performer"] = [_person(p) for p in performers]
    if ws.program_public:
        sessions = db.session.scalars(
            sa.select(ProgramSession).where(ProgramSession.workshop_id == ws.id).order_by(ProgramSession.starts_at)
        )
        program = external_url("public.program")
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": s.title,
                "startDate": s.starts_at.astimezone(ws.zone).isoformat(),
                "endDate": s.ends_at.astimezone(ws.zone).isoformat(),
                "url": program,
                **({"location": {"@type": "Place", "name": s.room, "address": ws.venue or s.room}} if s.room else {}),
            }
            for s in sessions
        ]
    shown = [s for _, group in sponsors for s in group]
    if shown:
        data["sponsor"] = [
            {"@type": "Organization", "name": s.shown_name, **({"url": s.website} if web_link(s.website) else {})} for s in shown
        ]
    return data


@bp.get("/")
def home() -> str:
    ws = require_workshop()
    first = opening(ws, utcnow())
    sponsors = queries.sponsor_tiers(ws)
    return render_template(
        "public/home.html",
        ws=ws,
        opening=first,
        speakers=ws.people_in(PersonRole.SPEAKER),
        talks=queries.talks_of(ws),
        sponsors=sponsors,
        event=event_data(ws, first.day, sponsors),
    )


@bp.get("/call-for-papers")
def cfp() -> str:
    return render_template("public/cfp.html", ws=require_workshop())


@bp.get("/speakers")
def speakers() -> str:
    ws = require_workshop()
    return render_template(
        "public/speakers.html",
        ws=ws,
        speakers=ws.people_in(PersonRole.SPEAKER),
        panelists=ws.people_in(PersonRole.PANELIST),
        talks=queries.talks_of(ws),
        panels=queries.panels_of(ws),
    )


@bp.get("/organizers")
def organizers() -> str:
    ws = require_workshop()
    return render_template(
        "public/organizers.html",
        ws=ws,
        organizers=ws.people_in(PersonRole.ORGANIZER),
        steering=ws.people_in(PersonRole.STEERING),
    )


def _accepted(ws: Workshop) -> list[Submission]:
    return list(
        db.session.scalars(queries.accepted(ws).options(selectinload(Submission.authors), selectinload(Submission.revisions)))
    )


@bp.get("/people/<int:person_id>/photo-<int:size>.webp")
def photo(person_id: int, size: int) -> Response:
    """A person's photo, as re-encoded at upload (96 or 192 px): public, with the same headers as paper files."""
    ws = require_workshop()
    person = db.session.get(Person, person_id)
    file_id = None
    if person is not None and person.workshop_id == ws.id:
        file_id = {96: person.photo_small_id, 192: person.photo_id}.get(size)
    file = db.session.get(StoredFile, file_id) if file_id else None
    if file is None:
        abort(404)
    return send_stored(file, f"{person.slug}-{size}.webp", public=True)  # type: ignore[union-attr]


@bp.get("/accepted-papers")
def accepted() -> str:
    ws = require_workshop()
    groups: list[tuple[str, list[Submission]]] = []
    if ws.accepted_published:
        subs = _accepted(ws)
        for topic in ws.topics:
            mine = [s for s in subs if s.primary_topic_id == topic.id]
            if mine:
                groups.append((topic.title, mine))
    return render_template("public/accepted.html", ws=ws, groups=groups, FileKind=FileKind)


@bp.get("/accepted-papers/<int:number>.pdf")
def accepted_pdf(number: int) -> Response:
    """The camera-ready PDF of a published, accepted paper: public, served as an attachment."""
    ws = require_workshop()
    sub = next((s for s in _accepted(ws) if s.id == number), None) if ws.accepted_published else None
    final = sub.latest(FileKind.CAMERA_READY) if sub else None
    if final is None:
        abort(404)
    return send_stored(final.file, f"{ws.short_name}{ws.edition}-{sub.id}.pdf", public=True)
