from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal.db import db, parse_id
from portal.domain import DomainError
from portal.models import DateKind
from portal.services.settings import TypeInput, parse_local, update_settings
from portal.settings.blueprint import bp
from portal.settings.forms import SettingsForm
from portal.web import me, require_workshop

DATE_FIELDS = {
    "submission_open": DateKind.SUBMISSION_OPEN,
    "abstract_deadline": DateKind.ABSTRACT_DEADLINE,
    "paper_deadline": DateKind.PAPER_DEADLINE,
    "notification": DateKind.NOTIFICATION,
    "camera_ready": DateKind.CAMERA_READY,
}


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response:
    ws = require_workshop()
    form = SettingsForm()
    problems: list[str] = []
    if request.method == "GET":
        form.timezone.data = ws.zone_label
        for name, kind in DATE_FIELDS.items():
            d = ws.date_of(kind)
            getattr(form, name).data = d.at.astimezone(ws.zone).strftime("%Y-%m-%d %H:%M") if d else ""
        form.max_upload_mb.data, form.supplementary_max_mb.data = ws.max_upload_mb, ws.supplementary_max_mb
        form.double_blind.data = "1" if ws.double_blind else "0"
        form.anonymity_blocks.data = "1" if ws.anonymity_blocks else "0"
        while form.types.entries:
            form.types.pop_entry()
        for t in ws.submission_types:
            form.types.append_entry(
                {"id": str(t.id), "name": t.name, "page_limit": t.page_limit, "reference_pages": t.reference_pages}
            )
        form.types.append_entry({})  # one empty row adds a type
    elif form.validate_on_submit():
        try:
            dates = {kind: parse_local(getattr(form, name).data or "", form.timezone.data) for name, kind in DATE_FIELDS.items()}
            types = [
                TypeInput(
                    parse_id(e.form.id.data),
                    e.form.name.data or "",
                    e.form.page_limit.data or 0,
                    e.form.reference_pages.data,
                    bool(e.form.remove.data),
                )
                for e in form.types.entries
            ]
            bad = [t.name for t in types if t.name and not t.remove and t.page_limit < 1]
            if bad:
                raise DomainError(f"Give a page limit for {', '.join(bad)}.")
            update_settings(
                me(),
                ws,
                timezone=form.timezone.data,
                dates=dates,
                max_upload_mb=form.max_upload_mb.data,
                supplementary_max_mb=form.supplementary_max_mb.data,
                double_blind=form.double_blind.data == "1",
                anonymity_blocks=form.anonymity_blocks.data == "1",
                types=types,
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            problems.append(str(exc))
        except IntegrityError:
            db.session.rollback()
            problems.append("A submission type that submissions use cannot be removed.")
        else:
            flash("The settings are saved.", "success")
            return redirect(url_for(".index"))
    failed = bool(form.errors or problems)
    return render_template("settings/index.html", ws=ws, form=form, problems=problems), 422 if failed else 200
