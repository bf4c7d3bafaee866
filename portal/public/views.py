from __future__ import annotations

from flask import render_template

from portal.models import DateKind, PersonRole
from portal.public import bp
from portal.web import require_workshop


@bp.get("/")
def home() -> str:
    ws = require_workshop()
    return render_template(
        "public/home.html", ws=ws, deadline=ws.date_of(DateKind.PAPER_DEADLINE),
        speakers=ws.people_in(PersonRole.SPEAKER),
    )  # fmt: skip


@bp.get("/call-for-papers")
def cfp() -> str:
    return render_template("public/cfp.html", ws=require_workshop())


@bp.get("/speakers")
def speakers() -> str:
    ws = require_workshop()
    return render_template(
        "public/speakers.html", ws=ws, speakers=ws.people_in(PersonRole.SPEAKER),
        panelists=ws.people_in(PersonRole.PANELIST),
    )  # fmt: skip


@bp.get("/organizers")
def organizers() -> str:
    ws = require_workshop()
    return render_template(
        "public/organizers.html", ws=ws, organizers=ws.people_in(PersonRole.ORGANIZER),
        steering=ws.people_in(PersonRole.STEERING),
    )  # fmt: skip
