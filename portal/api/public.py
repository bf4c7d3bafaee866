"""The workshop, its topics, dates and submission types: what the public pages show, for anyone."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, jsonify

from portal.api.core import Answer, answer, openapi, operation
from portal.web import require_workshop


class WorkshopOut(Answer):
    name: str
    short_name: str
    edition: str
    tagline: str
    venue: str
    starts_on: date | None
    ends_on: date | None
    timezone: str
    contact_email: str
    double_blind: bool
    max_upload_mb: int
    supplementary_max_mb: int


class TopicOut(Answer):
    id: int
    slug: str
    title: str
    description: str
    examples: str


class DateOut(Answer):
    kind: str
    label: str
    at: datetime


class SubmissionTypeOut(Answer):
    id: int
    slug: str
    name: str
    page_limit: int
    reference_pages: int | None
    description: str


class Topics(Answer):
    items: list[TopicOut]


class Dates(Answer):
    items: list[DateOut]


class SubmissionTypes(Answer):
    items: list[SubmissionTypeOut]


@operation("/workshop", tag="Workshop", response=WorkshopOut, scope="public")
def workshop() -> Response:
    """The workshop: its name, place, dates, time zone and upload limits."""
    ws = require_workshop()
    return answer(WorkshopOut.model_validate(ws, from_attributes=True))


@operation("/topics", tag="Workshop", response=Topics, scope="public")
def topics() -> Response:
    """The call's topics, in the call's order."""
    ws = require_workshop()
    return answer(Topics(items=[TopicOut.model_validate(t, from_attributes=True) for t in ws.topics]))


@operation("/dates", tag="Workshop", response=Dates, scope="public")
def dates() -> Response:
    """The important dates (UTC), in the order of the call for papers."""
    ws = require_workshop()
    return answer(Dates(items=[DateOut(kind=d.kind.value, label=d.label, at=d.at) for d in ws.dates]))


@operation("/submission-types", tag="Workshop", response=SubmissionTypes, scope="public")
def submission_types() -> Response:
    """The kinds of paper the call accepts, with their page limits (``reference_pages`` null: unlimited)."""
    ws = require_workshop()
    return answer(SubmissionTypes(items=[SubmissionTypeOut.model_validate(t, from_attributes=True) for t in ws.submission_types]))


@operation("/openapi.json", tag="Reference", response=None, scope="public")
def openapi_json() -> Response:
    """This description (OpenAPI 3.1); the same, as a page: /static/api/reference.html."""
    return jsonify(openapi())
