"""The chair console: where reviewing stands (figures and charts) and the submissions table."""

from __future__ import annotations

from flask import render_template, request, url_for

from portal import charts
from portal.chair.blueprint import bp
from portal.forms import ButtonForm
from portal.models import CONFIDENCES, RECOMMENDATIONS, Decision, Presentation
from portal.services import console
from portal.web import me, require_workshop


@bp.get("/")
def home() -> str:
    ws = require_workshop()
    o = console.overview(ws, me())
    topic_items = [(t.title, n) for t, n in o.by_topic]
    rec_items = [(f"{i} {RECOMMENDATIONS[i]}", o.recommendations[i]) for i in range(1, 6)]
    day_items = [(d[5:], n) for d, n in o.per_day]
    figures = {
        "recommendations": charts.columns("chart-recommendations", "Recommendations in submitted reviews", rec_items),
        "topics": charts.bars("chart-topics", "Submitted papers per primary topic", topic_items),
        "days": charts.columns(
            "chart-days", f"Reviews submitted per day, last {len(day_items)} days ({ws.zone_label})", day_items, label_every=3
        ),
    }
    return render_template(
        "chair/home.html",
        ws=ws,
        o=o,
        figures=figures,
        rec_items=rec_items,
        topic_items=topic_items,
        per_day=o.per_day,
        disagreement=console.DISAGREEMENT,
    )


@bp.get("/submissions")
def submissions() -> str:
    ws = require_workshop()
    table = console.submissions_table(ws, me(), console.TableQuery.from_args(request.args))
    return render_template(
        "chair/submissions.html",
        ws=ws,
        table=table,
        t=table.query,
        sorts=console.SORTS,
        recommendations=RECOMMENDATIONS,
        confidences=CONFIDENCES,
        decisions=list(Decision),
        presentations=list(Presentation),
        button=ButtonForm(),
        back=url_for(".submissions", **table.query.args()),
    )
