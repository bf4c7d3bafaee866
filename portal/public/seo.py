"""How search engines find the public site: ``/robots.txt`` (the private areas are not to be crawled) and
``/sitemap.xml`` (the public pages, the program's items once published, and each published accepted paper's PDF),
paged through a sitemap index past ``SITEMAP_PAGE_SIZE`` addresses. Every address is absolute under BASE_URL."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template
from werkzeug.routing import BuildError

from portal import queries
from portal.db import db
from portal.models import Decision, FileKind, ItemKind, Revision, Submission, SubmissionState, Workshop
from portal.models.program import ProgramItem, ProgramSession
from portal.public.blueprint import bp
from portal.urls import external_url
from portal.web import require_workshop

#: Addresses a sitemap file holds (the protocol allows 50,000; this keeps each file near 150 KB).
SITEMAP_PAGE_SIZE = 2000
#: The areas of signed-in people: never worth crawling (they answer a sign-in page), named by blueprint.
PRIVATE_AREAS = ("account", "auth", "chair", "members", "review", "settings", "submissions", "api")


@bp.get("/robots.txt")
def robots() -> Response:
    prefixes = sorted(
        {
            (bp_.url_prefix or "").rstrip("/") + "/"
            for name, bp_ in current_app.blueprints.items()
            if name in PRIVATE_AREAS and bp_.url_prefix
        }
    )
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in prefixes), "", f"Sitemap: {external_url('public.sitemap')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


def _pages(ws: Workshop) -> list[str]:
    """The public pages and the program's items (a few dozen at most)."""
    endpoints = ["public.home", "public.cfp", "public.speakers", "public.organizers", "sponsors.index"]
    if ws.accepted_published:
        endpoints.append("public.accepted")
    urls = [external_url(e) for e in endpoints]
    if ws.program_public:
        try:
            urls.append(external_url("public.program"))
            # The items the program shows (ProgramItem.is_public): a talk only while its paper is accepted.
            items = db.session.scalars(
                sa.select(ProgramItem.id)
                .join(ProgramSession)
                .outerjoin(Submission, Submission.id == ProgramItem.submission_id)
                .where(
                    ProgramSession.workshop_id == ws.id,
                    sa.or_(
                        ProgramItem.kind != ItemKind.TALK,
                        ProgramItem.submission_id.is_(None),
                        sa.and_(Submission.decision == Decision.ACCEPTED, Submission.state == SubmissionState.SUBMITTED),
                    ),
                )
                .order_by(ProgramSession.starts_at, ProgramItem.position)
            )
            urls += [external_url("public.program_item", item_id=i) for i in items]
        except BuildError:  # a portal without the program's pages
            pass
    return urls


def _papers(ws: Workshop) -> sa.Select[tuple[int]]:
    """The published accepted papers with a camera-ready PDF, by number."""
    if not ws.accepted_published:
        return sa.select(Submission.id).where(sa.false())
    ready = sa.select(Revision.submission_id).where(Revision.kind == FileKind.CAMERA_READY)
    accepted = queries.accepted(ws).with_only_columns(Submission.id)
    return accepted.where(Submission.id.in_(ready)).order_by(Submission.id)


def _xml(template: str, **context: object) -> Response:
    return Response(render_template(template, **context), mimetype="application/xml")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every address when they fit in one file; else an index of the files (``/sitemap-1.xml``, ...)."""
    ws = require_workshop()
    pages = _pages(ws)
    papers = db.session.scalar(sa.select(sa.func.count()).select_from(_papers(ws).subquery())) or 0
    total = len(pages) + papers
    if total <= SITEMAP_PAGE_SIZE:
        return _xml("public/sitemap.xml", urls=pages + _paper_urls(ws, 0, papers))
    files = -(-total // SITEMAP_PAGE_SIZE)
    return _xml("public/sitemap_index.xml", files=[external_url("public.sitemap_page", page=n) for n in range(1, files + 1)])


def _paper_urls(ws: Workshop, offset: int, limit: int) -> list[str]:
    if limit <= 0:
        return []
    ids = db.session.scalars(_papers(ws).offset(offset).limit(limit))
    return [external_url("public.accepted_pdf", number=n) for n in ids]


@bp.get("/sitemap-<int:page>.xml")
def sitemap_page(page: int) -> Response:
    """The ``page``-th file of a sitemap too large for one: the public pages first, then the papers by number."""
    ws = require_workshop()
    pages = _pages(ws)
    papers = db.session.scalar(sa.select(sa.func.count()).select_from(_papers(ws).subquery())) or 0
    start, end = (page - 1) * SITEMAP_PAGE_SIZE, page * SITEMAP_PAGE_SIZE
    if page < 1 or start >= len(pages) + papers:
        abort(404)
    urls = pages[start:end]
    paper_start = max(0, start - len(pages))
    urls += _paper_urls(ws, paper_start, end - len(pages) - paper_start if end > len(pages) else 0)
    return _xml("public/sitemap.xml", urls=urls)
