"""The chair console: where reviewing stands (figures and charts) and the submissions table."""

from __future__ import annotations

from flask import render_template, request, url_for

from portal import charts, permissions
from portal.chair.blueprint import bp
from portal.forms import ButtonForm
from portal.models import Decision, Presentation, Workshop
from portal.services import area_chairs, console, review_form, scores
from portal.web import me, require_workshop

EXTRA_REQUESTS_SHOWN = 50  # open requests for an extra review listed on the console


def _recommendations(ws: Workshop) -> dict[int, str]:
    """The overall recommendation's labels by point, as the chairs named them on the review form."""
    field = next(f for f in review_form.fields(ws) if f.is_recommendation)
    return dict(field.scale())


@bp.get("/")
def home() -> str:
    ws = require_workshop()
    o = console.overview(ws, me())
    topic_items = [(t.title, n) for t, n in o.by_topic]
    labels = _recommendations(ws)
    rec_items = [(f"{i} {labels[i]}", o.recommendations[i]) for i in range(1, 6)]
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
        extra_requests=area_chairs.open_requests(hidden=permissions.chair_conflicted_ids(me()))[:EXTRA_REQUESTS_SHOWN],
    )


@bp.get("/submissions")
def submissions() -> str:
    ws = require_workshop()
    columns = scores.console_fields()
    query = console.TableQuery.from_args(request.args, tuple(f.key for f in columns))
    table = console.submissions_table(ws, me(), query, columns)
    return render_template(
        "chair/submissions.html",
        ws=ws,
        table=table,
        t=table.query,
        sorts=console.SORTS,
        recommendations=_recommendations(ws),
        decisions=list(Decision),
        presentations=list(Presentation),
        button=ButtonForm(),
        back=url_for(".submissions", **table.query.args()),
    )
