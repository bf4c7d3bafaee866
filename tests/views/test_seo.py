"""Found and shared: robots.txt keeps crawlers out of the signed-in areas and names the sitemap; the sitemap lists
the public pages and each published accepted paper (its PDF), under BASE_URL, paged through an index when large;
nothing of a paper shows before the accepted papers are published, nor a paper without its final PDF."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import (
    Decision,
    FileKind,
    ItemKind,
    ProgramItem,
    ProgramSession,
    Revision,
    StoredFile,
    Submission,
    SubmissionState,
    Workshop,
)
from portal.public import seo

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locs(client: FlaskClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return [e.text or "" for e in ET.fromstring(response.data).iterfind(".//s:loc", NS)]  # noqa: S314 - our own answer


def papers(
    app: Flask, n: int, *, final: bool = True, decision: Decision = Decision.ACCEPTED, published: bool = True
) -> list[int]:
    """``n`` submitted papers with ``decision``, each with a camera-ready revision when ``final``."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        ws.accepted_published = published
        ids = []
        for k in range(n):
            sub = Submission(
                workshop_id=ws.id,
                type_id=ws.submission_types[0].id,
                primary_topic_id=ws.topics[0].id,
                title=f"Paper {k}",
                abstract="An abstract.",
                state=SubmissionState.SUBMITTED,
                decision=decision,
            )
            db.session.add(sub)
            db.session.flush()
            if final:
                file = StoredFile(storage_key=f"k{sub.id:030d}", sha256="0" * 64, size=1, content_type="application/pdf")
                db.session.add(file)
                db.session.flush()
                db.session.add(Revision(submission_id=sub.id, kind=FileKind.CAMERA_READY, file_id=file.id))
            ids.append(sub.id)
        db.session.commit()
        return ids


def test_robots_txt_keeps_crawlers_out_of_the_signed_in_areas_and_names_the_sitemap(app: Flask, client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    base = app.config["BASE_URL"].rstrip("/")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow: ")}
    assert {"/chair/", "/review/", "/account/", "/auth/", "/submissions/", "/members/", "/settings/"} <= disallowed
    assert not any(p in disallowed for p in ("/", "/sponsors/", "/program"))
    assert f"Sitemap: {base}/sitemap.xml" in lines


def test_the_sitemap_lists_the_public_pages_under_base_url(app: Flask) -> None:
    client = app.test_client()
    base = app.config["BASE_URL"].rstrip("/")
    got = locs(client, "/sitemap.xml")
    assert got == [f"{base}{p}" for p in ("/", "/call-for-papers", "/speakers", "/organizers", "/sponsors/")]
    # The Host a client sends changes nothing.
    assert locs(app.test_client(), "/sitemap.xml") == got
    assert "evil" not in app.test_client().get("/sitemap.xml", headers={"Host": "evil.example.org"}).get_data(as_text=True)


def test_published_accepted_papers_with_their_final_pdf_are_in_it_and_no_other(app: Flask, client: FlaskClient) -> None:
    base = app.config["BASE_URL"].rstrip("/")
    accepted = papers(app, 3)
    draft = papers(app, 1, final=False)
    rejected = papers(app, 1, decision=Decision.REJECTED)
    got = locs(client, "/sitemap.xml")
    assert f"{base}/accepted-papers" in got
    assert [u for u in got if u.endswith(".pdf")] == [f"{base}/accepted-papers/{n}.pdf" for n in accepted]
    assert not any(f"/{n}.pdf" in u for u in got for n in draft + rejected)


def test_before_the_accepted_papers_are_published_none_is_in_it(app: Flask, client: FlaskClient) -> None:
    papers(app, 2, published=False)
    got = locs(client, "/sitemap.xml")
    assert not any("accepted-papers" in u for u in got)


def test_a_large_sitemap_is_an_index_of_pages_that_together_list_everything_once(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seo, "SITEMAP_PAGE_SIZE", 4)
    base = app.config["BASE_URL"].rstrip("/")
    accepted = papers(app, 9)
    index = client.get("/sitemap.xml")
    assert ET.fromstring(index.data).tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"  # noqa: S314
    files = locs(client, "/sitemap.xml")
    # 6 public pages (the accepted papers' page is one now) and 9 papers: 15 addresses, 4 files of at most 4.
    assert files == [f"{base}/sitemap-{n}.xml" for n in (1, 2, 3, 4)]
    every = [loc for f in files for loc in locs(client, f.removeprefix(base))]
    assert [len(locs(client, f.removeprefix(base))) for f in files] == [4, 4, 4, 3]
    assert every[:6] == [
        f"{base}{p}" for p in ("/", "/call-for-papers", "/speakers", "/organizers", "/sponsors/", "/accepted-papers")
    ]
    assert every[6:] == [f"{base}/accepted-papers/{n}.pdf" for n in accepted]
    assert client.get("/sitemap-5.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_the_sitemap_and_robots_are_served_from_the_page_cache_to_visitors(app: Flask) -> None:
    cache = app.extensions.get("portal.pagecache")
    if cache is None:
        pytest.skip("the page cache is off in this configuration")
    assert {"/sitemap.xml", "/robots.txt"} <= cache.paths


def test_a_published_program_and_its_items_are_in_it(app: Flask, client: FlaskClient) -> None:
    base = app.config["BASE_URL"].rstrip("/")
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        start = datetime(2027, 7, 26, 9, tzinfo=UTC)
        session = ProgramSession(workshop_id=ws.id, title="Morning", starts_at=start, ends_at=start + timedelta(hours=2))
        session.items = [
            ProgramItem(kind=ItemKind.OPENING, position=1, title="Opening"),
            ProgramItem(kind=ItemKind.KEYNOTE, position=2, title="Long memories"),
        ]
        db.session.add(session)
        db.session.commit()
        items = [i.id for i in session.items]
    assert not any("/program" in u for u in locs(client, "/sitemap.xml"))  # not published yet
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).program_published = True  # type: ignore[union-attr]
        db.session.commit()
    # Published, but it names accepted papers that are not public yet: it is not on the site, so not in the map.
    assert not any("/program" in u for u in locs(client, "/sitemap.xml"))
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).accepted_published = True  # type: ignore[union-attr]
        db.session.commit()
    got = locs(client, "/sitemap.xml")
    assert [u for u in got if "/program" in u] == [f"{base}/program"] + [f"{base}/program/{i}" for i in items]
