"""Jinja filters and globals: the workshop, times in its zone, paragraphs, Markdown, initials avatars."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from portal.db import db, utcnow
from portal.markdown import render_markdown
from portal.models import AOE_ZONE, Workshop
from portal.queries import current_workshop
from portal.urls import web_link

# Colours for initials avatars; each passes WCAG AA (4.5:1) against white text.
AVATAR_COLOURS = ("#1d4e89", "#7a2e8c", "#0b6e4f", "#8a4b08", "#a4243b", "#2f4858", "#5b3f8c", "#35605a")


def workshop() -> Workshop | None:
    """The workshop, loaded once per request; None when the database is empty or unreachable."""
    if "workshop" not in g:
        try:
            g.workshop = current_workshop()
        except SQLAlchemyError:
            db.session.rollback()
            g.workshop = None
    return g.workshop


def paragraphs(text: str | None) -> Markup:
    """Plain text with blank-line paragraphs -> escaped ``<p>`` elements (single newlines become <br>)."""
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in block.split("\n"))) for block in blocks
    )


EN_DASH = "\u2013"


def date_range(starts: date | None, ends: date | None) -> str:
    """``Sat 27 July 2024``, ``26-27 July 2024`` or ``30 July - 2 August 2024`` (with en dashes): the workshop's days."""
    if starts is None:
        return ""
    if ends is None or ends <= starts:
        return f"{starts:%a} {starts.day} {starts:%B %Y}"
    if (starts.year, starts.month) == (ends.year, ends.month):
        return f"{starts.day}{EN_DASH}{ends.day} {ends:%B %Y}"
    if starts.year == ends.year:
        return f"{starts.day} {starts:%B} {EN_DASH} {ends.day} {ends:%B %Y}"
    return f"{starts.day} {starts:%B %Y} {EN_DASH} {ends.day} {ends:%B %Y}"


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
    return letters.upper()


def avatar(name: str, size: int = 96) -> Markup:
    """An inline SVG circle with the person's initials (the seed's photos are not available)."""
    digest = hashlib.sha256(name.encode()).digest()
    colour = AVATAR_COLOURS[digest[0] % len(AVATAR_COLOURS)]
    return Markup(
        '<svg class="avatar" width="{s}" height="{s}" viewBox="0 0 100 100" aria-hidden="true" '
        'focusable="false" xmlns="http://www.w3.org/2000/svg">'
        '<circle cx="50" cy="50" r="50" fill="{c}"/>'
        '<text x="50" y="50" dy="0.35em" text-anchor="middle" font-size="38" '
        'font-family="system-ui, sans-serif" font-weight="600" fill="#ffffff">{i}</text></svg>'
    ).format(s=size, c=colour, i=initials(name))


def in_zone(value: datetime, zone_name: str | None = None) -> datetime:
    ws = workshop()
    zone = ZoneInfo(zone_name) if zone_name else (ws.zone if ws else UTC)
    return value.astimezone(zone)


def format_datetime(value: datetime | None, with_zone: bool = True) -> str:
    """``Sat 14 Dec 2026, 23:59 AoE`` in the workshop's zone."""
    if value is None:
        return ""
    ws = workshop()
    local = in_zone(value)
    text = f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
    if with_zone:
        text += f" {ws.zone_label if ws else 'UTC'}"
    return text


def format_utc(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return f"{utc:%a} {utc.day} {utc:%b %Y, %H:%M} UTC"


def moment(value: datetime | None) -> Markup:
    """A ``<time>`` showing the workshop's zone and UTC; static/js/localtime.js adds the visitor's own."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{iso}" data-local>{main}</time> <span class="utc">({utc})</span>').format(
        iso=value.astimezone(UTC).isoformat(), main=format_datetime(value), utc=format_utc(value)
    )


def day(value: datetime | None) -> Markup:
    """A date that is no deadline (the workshop itself, the notification): the day alone, in the workshop's zone
    (``Sat 27 Jul 2024``), when its time is only the end or the start of the day ("23:59 AoE" would say nothing
    true); with a time of its own (a 09:00 start), as ``moment`` shows it."""
    if value is None:
        return Markup("")
    local = in_zone(value)
    if (local.hour, local.minute) not in ((23, 59), (0, 0)):
        return moment(value)
    return Markup('<time datetime="{iso}">{text}</time>').format(
        iso=local.date().isoformat(), text=f"{local:%a} {local.day} {local:%b %Y}"
    )


def zone_abbreviation(local: datetime, ws: Workshop | None) -> str:
    """The workshop zone's name at that moment: ``AoE``, or the abbreviation in use then (``CET``, ``CEST``: it
    changes with daylight saving time), or the IANA name when the zone has no abbreviation."""
    if ws is None:
        return "UTC"
    if ws.timezone == AOE_ZONE:
        return "AoE"
    name = local.tzname() or ws.timezone
    return ws.timezone if name[:1] in "+-" else name


def format_time_range(start: datetime, end: datetime, ws: Workshop | None = None) -> str:
    """``09:00 to 10:30 CEST`` (with an en dash) in the workshop's zone (the zone named once, as at the start)."""
    ws = ws or workshop()
    zone = ws.zone if ws else UTC
    a, b = start.astimezone(zone), end.astimezone(zone)
    return f"{a:%H:%M}{EN_DASH}{b:%H:%M} {zone_abbreviation(a, ws)}"


def slot(start: datetime, end: datetime) -> Markup:
    """A program slot, ``09:00 to 10:30 CEST`` (with an en dash), in two ``<time>`` elements; static/js/program.js
    adds the visitor's own clock times when their zone differs."""
    ws = workshop()
    zone = ws.zone if ws else UTC
    a, b = start.astimezone(zone), end.astimezone(zone)
    return Markup(
        '<span class="slot" data-start="{s}" data-end="{e}"><time datetime="{s}">{a}</time>&ndash;<time datetime="{e}">{b}</time>'
        " {z}</span>"
    ).format(
        s=start.astimezone(UTC).isoformat(),
        e=end.astimezone(UTC).isoformat(),
        a=f"{a:%H:%M}",
        b=f"{b:%H:%M}",
        z=zone_abbreviation(a, ws),
    )


def long_day(value: date) -> str:
    """``Saturday 27 July 2024``."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def time_left(deadline: datetime | None, now: datetime | None = None) -> str:
    """``13 days, 4 hours left`` / ``closed``: the time until a deadline, in words."""
    if deadline is None:
        return ""
    seconds = int((deadline - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return "closed"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        parts = [f"{days} day{'s' if days != 1 else ''}", f"{hours} hour{'s' if hours != 1 else ''}"]
    elif hours:
        parts = [f"{hours} hour{'s' if hours != 1 else ''}", f"{minutes} minute{'s' if minutes != 1 else ''}"]
    else:
        parts = [f"{max(minutes, 1)} minute{'s' if minutes > 1 else ''}"]
    return ", ".join(parts) + " left"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        paragraphs=paragraphs,
        markdown=render_markdown,
        avatar=avatar,
        datetime=format_datetime,
        moment=moment,
        day=day,
        utc=format_utc,
        time_left=time_left,
        date_range=date_range,
        slot=slot,
        time_range=format_time_range,
        long_day=long_day,
        web_link=web_link,  # a stored address as a link's href only when it is a plain web address
    )
    app.jinja_env.globals.update(workshop=workshop)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
