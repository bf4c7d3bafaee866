from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal import work
from portal.services import settings
from portal.settings.blueprint import bp
from portal.settings.forms import DATE_FIELDS, SettingsForm
from portal.web import form_page, me, require_workshop

__all__ = ["DATE_FIELDS", "index"]

TYPE_IN_USE = "A submission type that submissions use cannot be removed."


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response | tuple[str, int]:
    ws = require_workshop()
    form = SettingsForm.from_model(ws) if request.method == "GET" else SettingsForm()
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = work.attempt(lambda: settings.update_settings(me(), ws, **form.to_input()))
        if outcome.ok:
            flash("The settings are saved.", "success")
            return redirect(url_for(".index"))
        problems.append(TYPE_IN_USE if isinstance(outcome.error, IntegrityError) else outcome.problem)
    return form_page("settings/index.html", form=form, problems=problems, ws=ws)
