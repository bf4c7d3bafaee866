"""Chairs: the public site's content editor (texts and facts, topics, questions, people, dates, sponsorship).

Every list (topics, questions, the people of one role, dates, sponsorship options) is a ``Section``: its form,
its services and where the public site shows it. One set of views serves them all, under
``/chair/content/<kind>`` and ``/chair/content/people/<role>``. Forms have a Preview button that shows the
Markdown rendered, without JavaScript and without saving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal import work
from portal.chair.blueprint import bp
from portal.chair.content_forms import (
    ContentForm,
    DateForm,
    PersonForm,
    QuestionForm,
    SponsorOptionForm,
    TopicForm,
    WorkshopForm,
)
from portal.forms import local_text, require_button
from portal.markdown import render_markdown
from portal.models import DateKind, PersonRole, Workshop
from portal.services import content_edit
from portal.services.settings import parse_local
from portal.templating import format_datetime
from portal.web import me, require_workshop

KINDS = "any(topics, questions, dates, sponsors)"
ROLES = "any(" + ", ".join(r.value for r in PersonRole) + ")"
RACE = "Someone changed the same content at the same moment; nothing was saved. Reload the page and try again."


@dataclass(frozen=True)
class Section:
    """One editable list of the public site's content."""

    key: str  # "topics" or a person role ("speaker")
    title: str  # "Topics"
    noun: str  # "topic"
    form: type[ContentForm]
    items: Callable[[Workshop], list[Any]]
    name: Callable[[Any], str]
    detail: Callable[[Any], str]
    public_url: Callable[[Any | None], str]
    page: str  # the public page's name
    add: Callable[..., Any]
    update: Callable[..., list[str]]
    remove: Callable[[Any, Any], None]
    move: Callable[[Any, Any, content_edit.Direction], bool] | None = None
    editable: Callable[[Any], bool] = lambda item: True
    intro: str = ""
    field_names: tuple[str, ...] = ()

    @property
    def url_args(self) -> dict[str, str]:
        return {"role": self.key} if self.key in PersonRole._value2member_map_ else {"kind": self.key}

    def url(self, endpoint: str = "items", **values: Any) -> str:
        return url_for(f"chair.content_{endpoint}", **self.url_args, **values)

    def initial(self, item: Any, ws: Workshop) -> dict[str, Any]:
        data = {name: getattr(item, name) for name in self.field_names}
        if self.key == "dates":
            data["kind"] = item.kind.value
            data["at"] = local_text(item.at, ws.zone)
        return data

    def values(self, form: ContentForm, ws: Workshop) -> dict[str, Any]:
        data = {name: form[name].data or "" for name in self.field_names}
        if self.key == "dates":
            data["kind"] = DateKind(data["kind"])
            data["at"] = parse_local(data["at"], ws.timezone)
        return data


def _snippet(text: str, length: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _people_section(role: PersonRole, title: str, noun: str, endpoint: str, page: str, anchor: str) -> Section:
    return Section(
        key=role.value,
        title=title,
        noun=noun,
        form=PersonForm,
        items=lambda ws: ws.people_in(role),
        name=lambda p: p.name,
        detail=lambda p: "; ".join(p.affiliations),
        public_url=lambda p: url_for(endpoint, _anchor=f"{role.value}-{p.slug}" if p is not None and p.bio else anchor),
        page=page,
        add=partial(content_edit.add_person, role=role),
        update=content_edit.update_person,
        remove=content_edit.remove_person,
        move=content_edit.move_person,
        field_names=("name", "affiliation", "homepage", "bio"),
        intro=f"The {page.lower()} page shows them in this order, with their photos (initials until a chair adds one); "
        "a name links to the homepage, and the biographies follow the grid.",
    )


SECTIONS: dict[str, Section] = {
    s.key: s
    for s in [
        Section(
            key="topics",
            title="Topics",
            noun="topic",
            form=TopicForm,
            items=lambda ws: list(ws.topics),
            name=lambda t: t.title,
            detail=lambda t: _snippet(t.description),
            public_url=lambda t: url_for("public.cfp", _anchor=f"topic-{t.slug}" if t is not None else "topics"),
            page="Call for papers",
            add=content_edit.add_topic,
            update=content_edit.update_topic,
            remove=content_edit.remove_topic,
            move=content_edit.move_topic,
            intro="The call for papers lists them in this order; authors file their submissions under them and reviewers "
            "give them as their expertise. A topic that is some submission's primary topic cannot be removed.",
            field_names=("title", "description", "examples"),
        ),
        Section(
            key="questions",
            title="Fundamental questions",
            noun="question",
            form=QuestionForm,
            items=lambda ws: list(ws.questions),
            name=lambda q: q.title,
            detail=lambda q: _snippet(q.text),
            public_url=lambda q: url_for("public.home", _anchor=f"question-{q.slug}" if q is not None else "questions"),
            page="Home",
            add=content_edit.add_question,
            update=content_edit.update_question,
            remove=content_edit.remove_question,
            move=content_edit.move_question,
            intro="The home page lists them under “Fundamental questions”, after the objective.",
            field_names=("title", "text"),
        ),
        _people_section(PersonRole.SPEAKER, "Speakers", "speaker", "public.speakers", "Speakers", "speakers"),
        _people_section(PersonRole.PANELIST, "Panelists", "panelist", "public.speakers", "Speakers", "panelists"),
        _people_section(PersonRole.ORGANIZER, "Organizers", "organizer", "public.organizers", "Organizers", "organizers"),
        _people_section(
            PersonRole.STEERING, "Steering committee", "steering committee member", "public.organizers", "Organizers", "steering"
        ),
        Section(
            key="dates",
            title="Important dates",
            noun="date",
            form=DateForm,
            items=lambda ws: list(ws.dates),
            name=lambda d: d.label,
            detail=lambda d: (
                format_datetime(d.at)
                + (
                    " · a deadline, set on the settings page"
                    if content_edit.is_deadline(d)
                    else " · the workshop"
                    if d.kind == DateKind.WORKSHOP
                    else ""
                )
            ),
            public_url=lambda d: url_for("public.cfp", _anchor="dates"),
            page="Call for papers",
            add=content_edit.add_date,
            update=content_edit.update_date,
            remove=content_edit.remove_date,
            editable=lambda d: not content_edit.is_deadline(d),
            intro="The call for papers lists every date in time order. The deadlines (submissions open, abstract, full "
            "paper, notification, camera-ready) are set on the settings page, which checks their order and "
            "enforces them; here you add the workshop day and any other date.",
            field_names=("label", "kind", "at"),
        ),
        Section(
            key="sponsors",
            title="Sponsorship options",
            noun="sponsorship option",
            form=SponsorOptionForm,
            items=lambda ws: list(ws.sponsor_options),
            name=lambda o: o.label,
            detail=lambda o: _snippet(o.description),
            public_url=lambda o: url_for("sponsors.index", _anchor="options"),
            page="Sponsors",
            add=content_edit.add_sponsor_option,
            update=content_edit.update_sponsor_option,
            remove=content_edit.remove_sponsor_option,
            move=content_edit.move_sponsor_option,
            intro="The sponsors' contact form offers them in this order; the sponsors page lists them with their "
            "descriptions. Messages already received keep the option as the sponsor chose it.",
            field_names=("label", "description"),
        ),
    ]
}


def _route(suffix: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view for every section: ``/content/<kind>…`` and ``/content/people/<role>…`` (the endpoint is
    the view's name unless ``endpoint`` says otherwise)."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(f"/content/<{KINDS}:kind>{suffix}", view_func=view, **options)
        bp.add_url_rule(f"/content/people/<{ROLES}:role>{suffix}", view_func=view, **options)
        return view

    return register


def _section(kind: str | None, role: str | None) -> Section:
    section = SECTIONS.get(role or kind or "")
    if section is None:
        abort(404)
    return section


def _item(section: Section, ws: Workshop, item_id: int) -> Any:
    """The section's item with this id; 404 when there is none, or when it is edited elsewhere (deadlines)."""
    item = next((x for x in section.items(ws) if x.id == item_id), None)
    if item is None or not section.editable(item):
        abort(404)
    return item


def _page(template: str, **context: Any) -> str:
    return render_template(f"chair/content/{template}", sections=SECTIONS, **context)


def _previews(form: ContentForm) -> dict[str, Markup]:
    return {name: render_markdown(form[name].data) for name in form.markdown_fields if (form[name].data or "").strip()}


# --- overview and texts -------------------------------------------------------------------------------


@bp.get("/content")
def content() -> str:
    ws = require_workshop()
    return _page("index.html", ws=ws, deadlines=sum(1 for d in ws.dates if content_edit.is_deadline(d)))


TEXT_PAGES = {
    "overview": ("public.home", "about"),
    "motivation": ("public.home", "why"),
    "objective": ("public.home", "questions"),
    "audience": ("public.home", "audience"),
    "cfp_intro": ("public.cfp", None),
    "submission_instructions": ("public.cfp", "instructions"),
    "panel_note": ("public.speakers", "panelists"),
    "sponsor_call": ("sponsors.index", None),
}


@bp.route("/content/texts", methods=["GET", "POST"])
def content_texts() -> tuple[str, int] | Response:
    ws = require_workshop()
    form = WorkshopForm(obj=ws if request.method == "GET" else None)
    previews: dict[str, Markup] = {}
    problems: list[str] = []
    if request.method == "POST" and form.preview.data:
        previews = _previews(form)
    elif form.validate_on_submit():
        outcome = work.attempt(lambda: content_edit.update_workshop(me(), ws, form.to_input()), collision=RACE)
        if outcome.ok:
            flash(f"Saved: {', '.join(outcome.value)}." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for(".content_texts"))
        problems.append(outcome.problem)
    links = {name: url_for(endpoint, _anchor=anchor) for name, (endpoint, anchor) in TEXT_PAGES.items()}
    status = 422 if form.errors or problems else 200
    return _page("texts.html", ws=ws, form=form, previews=previews, problems=problems, links=links), status


# --- the lists ----------------------------------------------------------------------------------------


@_route("")
def content_items(kind: str | None = None, role: str | None = None) -> str:
    ws = require_workshop()
    section = _section(kind, role)
    usage = content_edit.primary_topic_counts(ws) if section.key == "topics" else {}
    return _page("items.html", ws=ws, section=section, items=section.items(ws), usage=usage)


def _item_form(ws: Workshop, section: Section, item: Any | None) -> tuple[str, int] | Response:
    form = section.form(data=section.initial(item, ws) if item is not None and request.method == "GET" else None)
    if isinstance(form, DateForm):
        form.at.description = f"In the workshop's time zone ({ws.zone_label}), like 2024-07-27 09:00."
    previews: dict[str, Markup] = {}
    problems: list[str] = []
    if request.method == "POST" and form.preview.data:
        previews = _previews(form)
    elif form.validate_on_submit():
        outcome = work.attempt(lambda: _save(ws, section, item, form), collision=RACE)
        if outcome.ok:
            saved, message = outcome.value  # type: ignore[misc]
            flash(message, "success")
            return redirect(section.url(_anchor=f"item-{saved.id}"))
        problems.append(outcome.problem)
    status = 422 if form.errors or problems else 200
    return _page("item.html", ws=ws, section=section, item=item, form=form, previews=previews, problems=problems), status


def _save(ws: Workshop, section: Section, item: Any | None, form: ContentForm) -> tuple[Any, str]:
    """Add the item (``item`` None) or change it: the item, and what to tell the chair."""
    values = section.values(form, ws)
    if item is None:
        item = section.add(me(), ws, **values)
        return item, f"The {section.noun} “{section.name(item)}” is added."
    changed = section.update(me(), item, **values)
    return item, f"Saved: {', '.join(changed)}." if changed else "Nothing changed."


@_route("/new", methods=["GET", "POST"])
def content_new(kind: str | None = None, role: str | None = None) -> tuple[str, int] | Response:
    ws = require_workshop()
    return _item_form(ws, _section(kind, role), None)


@_route("/<int:item_id>", methods=["GET", "POST"], endpoint="content_edit")
def content_item(item_id: int, kind: str | None = None, role: str | None = None) -> tuple[str, int] | Response:
    ws = require_workshop()
    section = _section(kind, role)
    return _item_form(ws, section, _item(section, ws, item_id))


@_route("/<int:item_id>/remove", methods=["GET", "POST"])
def content_remove(item_id: int, kind: str | None = None, role: str | None = None) -> tuple[str, int] | Response:
    ws = require_workshop()
    section = _section(kind, role)
    item = _item(section, ws, item_id)
    name = section.name(item)
    problems: list[str] = []
    if request.method == "POST":
        require_button()
        outcome = work.attempt(lambda: section.remove(me(), item), collision=RACE)
        if outcome.ok:
            flash(f"The {section.noun} “{name}” is removed.", "success")
            return redirect(section.url())
        problems.append(outcome.problem)
        item = _item(section, ws, item_id)
    usage = content_edit.topic_usage(item) if section.key == "topics" else None
    return _page("remove.html", ws=ws, section=section, item=item, usage=usage, problems=problems), 422 if problems else 200


@_route("/<int:item_id>/move", methods=["POST"])
def content_move(item_id: int, kind: str | None = None, role: str | None = None) -> Response:
    require_button()
    ws = require_workshop()
    section = _section(kind, role)
    item = _item(section, ws, item_id)
    direction = request.form.get("direction")
    if section.move is None or direction not in ("up", "down"):
        abort(400)
    outcome = work.attempt(lambda: section.move(me(), item, direction))  # type: ignore[misc, arg-type]
    if not outcome.ok:
        flash(outcome.problem, "error")
    return redirect(section.url(_anchor=f"item-{item_id}"))
