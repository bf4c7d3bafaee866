"""The program the chairs build: sessions and their items, the rules warned about, publishing it.

Times arrive as a day and clock times in the workshop's zone and are stored in UTC (``at_local``), so a session on
the day clocks change keeps its clock times. Nothing here refuses an overlap or a paper left out: ``warnings`` lists
them on the chair's program page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Literal
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.db import db, utcnow
from portal.domain import ChangedMeanwhile, DomainError
from portal.models import (
    Decision,
    ItemKind,
    Person,
    Presentation,
    ProgramItem,
    ProgramPerson,
    ProgramPoster,
    ProgramRole,
    ProgramSession,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    User,
    Workshop,
)
from portal.services import audit
from portal.templating import format_time_range, long_day
from portal.urls import external_url

Direction = Literal["up", "down"]

#: The kinds whose people are speakers (a keynote's speaker, who opens or closes the day).
SPEAKER_KINDS = (ItemKind.OPENING, ItemKind.KEYNOTE, ItemKind.CLOSING)


def at_local(ws: Workshop, day: date, clock: time) -> datetime:
    """``clock`` on ``day`` in the workshop's zone, as an aware datetime (stored as UTC). A clock time the day skips
    (the hour the clocks go forward) is refused: stored, it would come back an hour later, and a session from 02:30
    to 03:15 would end before it starts."""
    at = datetime.combine(day, clock, tzinfo=ws.zone)
    try:
        back = at.astimezone(UTC).astimezone(ws.zone)  # OverflowError at the ends of the calendar (0001-01-01)
    except OverflowError as exc:
        raise DomainError(f"{day.isoformat()} is out of range: give a day like 2027-03-28.") from exc
    if back.replace(tzinfo=None, fold=0) != at.replace(tzinfo=None, fold=0):
        raise DomainError(
            f"{clock:%H:%M} does not exist on {day.isoformat()} in {ws.zone_label}: the clocks go forward that night. "
            f"Give a time after the change, like {back:%H:%M}."
        )
    return at


def _after(end: datetime, start: datetime) -> bool:
    """``end`` is later than ``start`` as instants (aware datetimes in one zone compare by their clock times)."""
    return end.astimezone(UTC) > start.astimezone(UTC)


@dataclass(frozen=True)
class SessionInput:
    title: str
    day: date
    starts: time
    ends: time
    room: str = ""


@dataclass(frozen=True)
class Named:
    """One of the workshop's people (``person_id``) or a name typed in."""

    person_id: int | None = None
    name: str = ""


@dataclass
class ItemInput:
    kind: ItemKind
    title: str = ""
    abstract: str = ""
    starts: time | None = None
    ends: time | None = None
    # A contributed talk: the paper and the author presenting it.
    submission_id: int | None = None
    speaker_author_id: int | None = None
    speakers: list[Named] = field(default_factory=list)
    panelists: list[Named] = field(default_factory=list)
    moderator: Named | None = None
    # A poster session: (paper number, board), in order.
    posters: list[tuple[int, str]] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------------------


def sessions(ws: Workshop) -> list[ProgramSession]:
    """Every session in time order (then room), with its items, their people, papers and posters loaded."""
    return list(
        db.session.scalars(
            sa.select(ProgramSession)
            .where(ProgramSession.workshop_id == ws.id)
            .order_by(ProgramSession.starts_at, ProgramSession.room, ProgramSession.id)
            .options(
                selectinload(ProgramSession.items).selectinload(ProgramItem.people).selectinload(ProgramPerson.person),
                selectinload(ProgramSession.items).selectinload(ProgramItem.submission).selectinload(Submission.authors),
                selectinload(ProgramSession.items).selectinload(ProgramItem.speaker_author),
                selectinload(ProgramSession.items)
                .selectinload(ProgramItem.posters)
                .selectinload(ProgramPoster.submission)
                .selectinload(Submission.authors),
            )
        )
    )


def by_day(ws: Workshop, all_sessions: list[ProgramSession]) -> list[tuple[date, list[ProgramSession]]]:
    """Sessions grouped by their day in the workshop's zone."""
    days: dict[date, list[ProgramSession]] = {}
    for s in all_sessions:
        days.setdefault(s.starts_at.astimezone(ws.zone).date(), []).append(s)
    return sorted(days.items())


def accepted_papers(ws: Workshop) -> list[Submission]:
    return list(
        db.session.scalars(
            sa.select(Submission)
            .where(
                Submission.workshop_id == ws.id,
                Submission.decision == Decision.ACCEPTED,
                Submission.state == SubmissionState.SUBMITTED,
            )
            .order_by(Submission.id)
            .options(selectinload(Submission.authors))
        )
    )


def slots_of(ws: Workshop) -> dict[int, list[ProgramItem]]:
    """Paper number -> the program items presenting it (its talk, its poster session)."""
    slots: dict[int, list[ProgramItem]] = {}
    for s in sessions(ws):
        for item in s.items:
            if item.kind == ItemKind.TALK and item.submission_id is not None:
                slots.setdefault(item.submission_id, []).append(item)
            for poster in item.posters:
                slots.setdefault(poster.submission_id, []).append(item)
    return slots


def board_of(item: ProgramItem, submission_id: int) -> str:
    return next((p.board for p in item.posters if p.submission_id == submission_id), "")


# --- the rules, warned about --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramWarning:
    text: str
    session_id: int | None = None
    item_id: int | None = None


def _room(s: ProgramSession) -> str:
    return " ".join(s.room.split()).casefold()


def warnings(ws: Workshop, all_sessions: list[ProgramSession] | None = None) -> list[ProgramWarning]:
    """What the chairs should look at: sessions overlapping in one room, items outside their session's time, oral
    papers without a talk, posters without a session or a board, papers in the program that are no longer accepted."""
    all_sessions = sessions(ws) if all_sessions is None else all_sessions
    found: list[ProgramWarning] = []
    for i, a in enumerate(all_sessions):
        for b in all_sessions[i + 1 :]:
            if _room(a) == _room(b) and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                where = f"in {a.room}" if a.room else "in the same room"
                found.append(
                    ProgramWarning(
                        f"“{a.title}” ({format_time_range(a.starts_at, a.ends_at, ws)}) and “{b.title}” "
                        f"({format_time_range(b.starts_at, b.ends_at, ws)}) overlap {where}.",
                        session_id=b.id,
                    )
                )
    # A session on another day than the workshop's (a typo in the year, a day moved): the public program and the
    # calendars would give attendees that day.
    if (days := ws.days()) is not None:
        first, last = days
        span = long_day(first) if first == last else f"{long_day(first)} to {long_day(last)}"
        for s in all_sessions:
            day = s.starts_at.astimezone(ws.zone).date()
            if not first <= day <= last:
                found.append(
                    ProgramWarning(f"“{s.title}” is on {long_day(day)}, not on the workshop's days ({span}).", session_id=s.id)
                )
    # The accepted papers as plain rows (thousands at conference size: no object, no author list for each).
    accepted = {
        row.id: row
        for row in db.session.execute(
            sa.select(Submission.id, Submission.title, Submission.presentation)
            .where(
                Submission.workshop_id == ws.id,
                Submission.decision == Decision.ACCEPTED,
                Submission.state == SubmissionState.SUBMITTED,
            )
            .order_by(Submission.id)
        )
    }
    talks: set[int] = set()
    placed: set[int] = set()
    for s in all_sessions:
        for item in s.items:
            if item.start < s.starts_at or item.end > s.ends_at or item.end <= item.start:
                found.append(ProgramWarning(f"“{item.display_title}” falls outside its session “{s.title}”.", s.id, item.id))
            if item.kind == ItemKind.TALK and item.submission_id is not None:
                talks.add(item.submission_id)
                if item.submission_id not in accepted:
                    found.append(ProgramWarning(f"The talk #{item.submission_id} is not an accepted paper now.", s.id, item.id))
            boards = [p.board for p in item.posters if p.board]
            for board in sorted({b for b in boards if boards.count(b) > 1}):
                found.append(ProgramWarning(f"Board {board} is given twice in “{item.display_title}”.", s.id, item.id))
            for poster in item.posters:
                placed.add(poster.submission_id)
                if poster.submission_id not in accepted:
                    found.append(ProgramWarning(f"Poster #{poster.submission_id} is not an accepted paper now.", s.id, item.id))
                elif not poster.board:
                    found.append(ProgramWarning(f"Poster #{poster.submission_id} has no board.", s.id, item.id))
    # Per paper, the first PAPERS_LISTED of each kind, then how many more: at conference size thousands of
    # posters wait for a session, and the page names a few and counts the rest.
    kinds: dict[str, list[str]] = {"talk": [], "poster": [], "unmarked": []}
    for sub in accepted.values():
        if sub.presentation == Presentation.ORAL and sub.id not in talks:
            kinds["talk"].append(f"The oral paper #{sub.id} “{sub.title}” has no talk in the program.")
        elif sub.presentation == Presentation.POSTER and sub.id not in placed:
            kinds["poster"].append(f"The poster #{sub.id} “{sub.title}” is in no poster session.")
        elif sub.presentation is None and sub.id not in talks | placed:
            kinds["unmarked"].append(f"The accepted paper #{sub.id} “{sub.title}” is marked neither oral nor poster.")
    more = {
        "talk": "more oral papers have no talk in the program",
        "poster": "more posters are in no poster session (a poster session's “Add every accepted poster not yet in a "
        "poster session” places them)",
        "unmarked": "more accepted papers are marked neither oral nor poster (on the decisions page)",
    }
    for kind, texts in kinds.items():
        found += [ProgramWarning(text) for text in texts[:PAPERS_LISTED]]
        if len(texts) > PAPERS_LISTED:
            found.append(ProgramWarning(f"And {len(texts) - PAPERS_LISTED:,} {more[kind]}."))
    return found


#: Papers named one by one for each kind of warning (the rest are counted).
PAPERS_LISTED = 10


# --- changing sessions --------------------------------------------------------------------------------------


def _session_values(ws: Workshop, data: SessionInput) -> dict[str, object]:
    title = " ".join(data.title.split())
    if not title:
        raise DomainError("A session needs a title.")
    starts, ends = at_local(ws, data.day, data.starts), at_local(ws, data.day, data.ends)
    if not _after(ends, starts):
        raise DomainError("A session ends after it starts.")
    return {"title": title[:300], "starts_at": starts, "ends_at": ends, "room": " ".join(data.room.split())[:200]}


def add_session(actor: User, ws: Workshop, data: SessionInput) -> ProgramSession:
    session = ProgramSession(workshop_id=ws.id, **_session_values(ws, data))
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "program.session", f"Session “{session.title}” added")
    return session


def update_session(actor: User, session: ProgramSession, data: SessionInput) -> None:
    values = _session_values(session.workshop, data)
    for name, value in values.items():
        setattr(session, name, value)
    db.session.flush()
    audit.record(actor, "program.session", f"Session “{session.title}” edited")


def remove_session(actor: User, session: ProgramSession) -> None:
    title = session.title
    db.session.delete(session)
    db.session.flush()
    audit.record(actor, "program.session", f"Session “{title}” removed")


# --- changing items -----------------------------------------------------------------------------------------


def _people(ws: Workshop, role: ProgramRole, named: list[Named]) -> list[ProgramPerson]:
    """The rows for ``named``; one of the site's people keeps their name too, so that the program still names them
    if a chair later removes them from the site's lists (the row's ``person_id`` is then emptied)."""
    mine = {p.id: p for p in ws.people}
    rows: list[ProgramPerson] = []
    for n in named:
        if n.person_id is not None and n.person_id not in mine:
            raise DomainError("Choose the people from the workshop's list.")
        name = mine[n.person_id].name[:200] if n.person_id is not None else " ".join(n.name.split())[:200]
        if not name:
            continue
        rows.append(ProgramPerson(role=role, position=len(rows) + 1, person_id=n.person_id, name=name))
    return rows


def _accepted_paper(ws: Workshop, number: int) -> Submission:
    sub = db.session.get(Submission, number)
    if sub is None or sub.workshop_id != ws.id or sub.decision != Decision.ACCEPTED or sub.state != SubmissionState.SUBMITTED:
        raise DomainError(f"#{number} is not an accepted paper.")
    return sub


def _fill(ws: Workshop, session: ProgramSession, item: ProgramItem, data: ItemInput) -> None:
    day = session.starts_at.astimezone(ws.zone).date()
    item.kind = data.kind
    item.title = " ".join(data.title.split())[:300]
    item.abstract = data.abstract.strip()
    item.starts_at = at_local(ws, day, data.starts) if data.starts else None
    item.ends_at = at_local(ws, day, data.ends) if data.ends else None
    if item.starts_at and item.ends_at and not _after(item.ends_at, item.starts_at):
        raise DomainError("An item ends after it starts.")
    # One time given, the other the session's: a start after the session's end, or an end before its start, would
    # make an item that ends before it begins ("13:00-12:00" on the public program, an empty calendar event).
    hours = format_time_range(session.starts_at, session.ends_at, ws)
    if item.starts_at and not item.ends_at and not _after(session.ends_at, item.starts_at):
        raise DomainError(
            f"The item starts at {data.starts:%H:%M}, after its session ends ({hours}): "
            "give its end too, or a start within the session."
        )
    if item.ends_at and not item.starts_at and not _after(item.ends_at, session.starts_at):
        raise DomainError(
            f"The item ends at {data.ends:%H:%M}, before its session starts ({hours}): "
            "give its start too, or an end within the session."
        )
    item.submission_id = item.speaker_author_id = None
    people: list[ProgramPerson] = []
    posters: list[ProgramPoster] = []
    if data.kind == ItemKind.TALK:
        if data.submission_id is None:
            raise DomainError("Choose the paper and its speaker.")
        sub = _accepted_paper(ws, data.submission_id)
        author = db.session.get(SubmissionAuthor, data.speaker_author_id or 0)
        if author is None or author.submission_id != sub.id:
            raise DomainError("The speaker must be one of the paper's authors.")
        item.submission_id, item.speaker_author_id = sub.id, author.id
    elif data.kind in SPEAKER_KINDS:
        people = _people(ws, ProgramRole.SPEAKER, data.speakers)
        if data.kind == ItemKind.KEYNOTE and not people:
            raise DomainError("A keynote needs a speaker.")
    elif data.kind == ItemKind.PANEL:
        people = _people(ws, ProgramRole.PANELIST, data.panelists)
        if not people:
            raise DomainError("A panel needs panelists.")
        people += _people(ws, ProgramRole.MODERATOR, [data.moderator] if data.moderator else [])
    elif data.kind == ItemKind.POSTERS:
        seen: set[int] = set()
        for number, board in data.posters:
            if number in seen:
                raise DomainError(f"#{number} is listed twice.")
            seen.add(number)
            _accepted_paper(ws, number)
            posters.append(ProgramPoster(submission_id=number, position=len(posters) + 1, board=board.strip()[:32]))
    if data.kind in (ItemKind.PANEL, ItemKind.POSTERS, ItemKind.KEYNOTE) and not item.title:
        raise DomainError(f"A {data.kind.label.lower()} needs a title.")
    item.people = people
    item.posters = posters


def add_item(actor: User, session: ProgramSession, data: ItemInput) -> ProgramItem:
    item = ProgramItem(position=max((i.position for i in session.items), default=0) + 1, kind=data.kind)
    session.items.append(item)
    _fill(session.workshop, session, item, data)
    db.session.flush()
    audit.record(actor, "program.item", f"{item.kind.label} “{item.display_title}” added to “{session.title}”")
    return item


def update_item(actor: User, item: ProgramItem, data: ItemInput) -> None:
    item.people = []
    item.posters = []
    db.session.flush()  # the old rows go first: a poster kept keeps its (item, paper) pair
    _fill(item.session.workshop, item.session, item, data)
    db.session.flush()
    audit.record(actor, "program.item", f"{item.kind.label} “{item.display_title}” edited")


def remove_item(actor: User, item: ProgramItem) -> None:
    session = item.session
    title = item.display_title
    session.items.remove(item)
    for position, other in enumerate(session.items, start=1):
        other.position = position
    db.session.flush()
    audit.record(actor, "program.item", f"“{title}” removed from “{session.title}”")


def move_item(actor: User, item: ProgramItem, direction: Direction) -> bool:
    """Swap the item with its neighbour; False at either end."""
    items = item.session.items
    i = items.index(item)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(items):
        return False
    items[i].position, items[j].position = items[j].position, items[i].position
    db.session.flush()
    audit.record(actor, "program.item", f"“{item.display_title}” moved {direction}")
    return True


def reorder_items(actor: User, session: ProgramSession, order: list[int]) -> bool:
    """Put the session's items in ``order`` (their ids, each once: the page's order when it was dragged); False when
    nothing moved. Refused when the session's items changed since the page was opened."""
    items = {item.id: item for item in session.items}
    if sorted(order) != sorted(items):
        raise ChangedMeanwhile("The session's items changed since you opened the page: nothing was moved.")
    if order == [item.id for item in session.items]:
        return False
    for position, item_id in enumerate(order, start=1):
        items[item_id].position = position
    db.session.flush()
    audit.record(actor, "program.item", f"Items of “{session.title}” reordered")
    return True


def unplaced_posters(ws: Workshop) -> list[Submission]:
    """Accepted papers marked poster that no poster session lists yet."""
    placed = set(
        db.session.scalars(
            sa.select(ProgramPoster.submission_id)
            .join(ProgramItem)
            .join(ProgramSession)
            .where(ProgramSession.workshop_id == ws.id)
        )
    )
    return [s for s in accepted_papers(ws) if s.presentation == Presentation.POSTER and s.id not in placed]


def set_published(actor: User, ws: Workshop, published: bool) -> None:
    """Put the program on the public site, or take it off. It names accepted papers, so it is public only while the
    accepted papers are (``is_public``): publishing it before them is refused."""
    if published and not ws.accepted_published:
        raise DomainError("Publish the accepted papers first (on the decisions page): the program names them.")
    ws.program_published = published
    db.session.flush()
    audit.record(actor, "program.publish", "Program published" if published else "Program taken off the public site")


def is_public(ws: Workshop) -> bool:
    """The program is on the public site: published, and the accepted papers it names are public too."""
    return ws.program_public


def people_choices(ws: Workshop) -> list[Person]:
    """The workshop's people a program names: speakers and panelists first, then organizers and the steering committee."""
    return sorted(ws.people, key=lambda p: (p.role != "speaker", p.role != "panelist", p.position))


# --- iCalendar ------------------------------------------------------------------------------------------------


def _who(item: ProgramItem) -> str:
    if item.kind == ItemKind.TALK and item.speaker_author is not None:
        return f"Speaker: {item.speaker_author.name}"
    parts = []
    speakers = [p.display_name for p in item.in_role(ProgramRole.SPEAKER)]
    panelists = [p.display_name for p in item.in_role(ProgramRole.PANELIST)]
    moderators = [p.display_name for p in item.in_role(ProgramRole.MODERATOR)]
    if speakers:
        parts.append("Speaker" + ("s" if len(speakers) > 1 else "") + ": " + ", ".join(speakers))
    if panelists:
        parts.append("Panelists: " + ", ".join(panelists))
    if moderators:
        parts.append("Moderator: " + moderators[0])
    return "\n".join(parts)


def calendar(ws: Workshop, items: list[ProgramItem]) -> bytes:
    """An iCalendar file (RFC 5545) with one event per item: times in UTC (every calendar shows them in its own
    zone), the session's room as the location, a stable UID per item, and a link to the item's page."""
    from icalendar import Calendar, Event  # loaded only for the feeds

    cal = Calendar()
    cal.add("prodid", f"-//{ws.label}//Workshop portal//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{ws.label} program")
    host = urlsplit(external_url("public.home")).hostname or "portal"
    stamp = utcnow()
    for item in items:
        event = Event()
        event.add("uid", f"program-item-{item.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", max(item.end, item.start).astimezone(UTC))  # (an item past its session's end: warned)
        # "Keynote: Long memories"; a title that says its kind already ("Panel: Evaluation") is not prefixed again.
        label = item.kind.label
        named = item.display_title == label or item.display_title.casefold().startswith(f"{label}:".casefold())
        kind = "" if named else f"{label}: "
        event.add("summary", f"{kind}{item.display_title} ({ws.label})")
        location = ", ".join(x for x in (item.session.room, ws.venue) if x)
        if location:
            event.add("location", location)
        url = external_url("public.program_item", item_id=item.id)
        event.add("url", url)
        event.add("description", "\n\n".join(x for x in (_who(item), item.abstract, url) if x))
        cal.add_component(event)
    return cal.to_ical()
