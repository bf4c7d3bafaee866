"""The chairs' list of every submission (``/submissions/all``): pages of 50 whose links keep the filters and the
sort; filters by topic, state, decision and a search of title, number and author; sortable columns; a decision
filter that never lists a paper whose decision the chair may not see; the same number of SQL statements and a small
page at 2,000 papers. And the chair area's one navigation, on every chair, settings and members page."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import Decision, Submission, SubmissionAuthor, SubmissionState, Workshop
from tests.conftest import text_of
from tests.factories import make_user
from tests.views.test_console import add_many_papers, client_for, count_statements

CHRIS = "chris@example.org"  # the chair of every test here; "chris" in test_console's PEOPLE


def numbers(response: TestResponse) -> list[int]:
    """The paper numbers of the list's rows, in order."""
    assert response.status_code == 200
    body = re.search(r"(?s)<table class=\"data dense all-submissions\".*?<tbody>(.*?)</tbody>", response.get_data(as_text=True))
    assert body is not None
    return [int(n) for n in re.findall(r'<tr>\s*<td class="num">(\d+)</td>', body.group(1))]


def pager_links(response: TestResponse) -> list[str]:
    found = re.search(r'(?s)<nav aria-label="Pages">(.*?)</nav>', response.get_data(as_text=True))
    return [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', found.group(1))] if found else []


def chair_with_papers(app: Flask, count: int) -> list[int]:
    with app.app_context():
        make_user(CHRIS, name="Chris Chair", roles=("chair",))
        ids = add_many_papers(count, [])
        db.session.commit()
    return ids


def test_pages_hold_fifty_and_a_page_past_the_end_shows_the_last(app: Flask) -> None:
    ids = chair_with_papers(app, 60)
    chris = client_for(app, "chris")

    first = chris.get("/submissions/all")
    assert numbers(first) == ids[:50]
    assert "60 submissions. Page 1 of 2, 50 a page." in text_of(first)  # (this world has no deadline)
    assert pager_links(first) == ["/submissions/all?page=2", "/submissions/all?page=2"]  # Next, Last
    second = chris.get("/submissions/all?page=2")
    assert numbers(second) == ids[50:]
    assert numbers(chris.get("/submissions/all?page=99")) == ids[50:]
    assert numbers(chris.get("/submissions/all?page=abc")) == ids[:50]


def test_pager_and_sort_links_keep_the_filters(app: Flask) -> None:
    ids = chair_with_papers(app, 400)  # seven topics: more than 50 on the first
    with app.app_context():
        topic = db.session.scalar(sa.select(Workshop)).topics[0].id
        on_topic = db.session.scalars(
            sa.select(Submission.id).where(Submission.primary_topic_id == topic).order_by(Submission.id)
        ).all()
    assert 50 < len(on_topic) < len(ids)
    chris = client_for(app, "chris")

    first = chris.get(f"/submissions/all?topic={topic}&sort=title&dir=desc")
    by_title = sorted(on_topic, key=lambda i: f"bulk paper {i}", reverse=True)
    assert numbers(first) == by_title[:50]
    assert f"{len(on_topic)} match the filters" in text_of(first)
    assert pager_links(first)[0] == f"/submissions/all?topic={topic}&sort=title&dir=desc&page=2"
    second = chris.get(pager_links(first)[0])
    assert numbers(second) == by_title[50:100]
    # A column's link sorts by it from the first page, the filters kept; a second click turns the order round.
    html = second.get_data(as_text=True)
    assert f'href="/submissions/all?topic={topic}&amp;sort=topic">Topic</a>' in html
    assert f'aria-sort="descending">\n  <a href="/submissions/all?topic={topic}&amp;sort=title">Title' in html


def test_filters_by_topic_state_decision_and_search(app: Flask) -> None:
    ids = chair_with_papers(app, 8)
    with app.app_context():
        topics = [t.id for t in db.session.scalar(sa.select(Workshop)).topics]
        subs = {s.id: s for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_(ids)))}
        subs[ids[0]].title = "Ring attention beyond a million tokens"
        subs[ids[1]].decision = Decision.ACCEPTED
        subs[ids[2]].decision = Decision.REJECTED
        subs[ids[3]].state, subs[ids[3]].withdrawn_at = SubmissionState.WITHDRAWN, utcnow() - timedelta(days=1)
        subs[ids[4]].state, subs[ids[4]].submitted_at = SubmissionState.ABSTRACT, None
        subs[ids[5]].authors[0].name = "Grace Hopper"
        topic_of = {i: subs[i].primary_topic_id for i in ids}
        db.session.commit()
    chris = client_for(app, "chris")

    def listed(query: str) -> list[int]:
        return numbers(chris.get(f"/submissions/all?{query}"))

    assert listed(f"topic={topics[0]}") == [i for i in ids if topic_of[i] == topics[0]]
    assert listed("state=withdrawn") == [ids[3]]
    assert listed("state=abstract") == [ids[4]]
    assert listed("decision=accepted") == [ids[1]]
    assert listed("decision=rejected") == [ids[2]]
    assert listed("decision=undecided") == [i for i in ids if i not in (ids[1], ids[2], ids[3], ids[4])]
    assert listed("q=RING+attention") == [ids[0]]
    assert listed("q=hopper") == [ids[5]]
    assert listed(f"q=%23{ids[6]}") == [ids[6]]  # "#7": the number and nothing else
    assert listed(f"q={ids[7]}") == [ids[7]]
    assert listed("q=50%25_off") == []  # the user's % and _ match literally
    assert listed(f"state=submitted&decision=accepted&topic={topic_of[ids[1]]}") == [ids[1]]
    empty = chris.get("/submissions/all?q=nothing+like+this")
    assert "No submission matches." in text_of(empty)
    assert "8 submissions. 0 match the filters." in text_of(empty)
    # Values it does not know are left out, never a 500.
    assert listed("topic=x&state=lost&decision=maybe&sort=evil&dir=up") == ids


def test_decision_filter_never_lists_a_paper_the_chair_wrote(app: Flask) -> None:
    ids = chair_with_papers(app, 3)
    with app.app_context():
        own = db.session.get(Submission, ids[0])
        own.decision = Decision.ACCEPTED
        own.authors.append(SubmissionAuthor(position=2, name="Chris Chair", email=CHRIS, affiliation="Chair University"))
        db.session.get(Submission, ids[1]).decision = Decision.ACCEPTED
        db.session.commit()
    chris = client_for(app, "chris")

    everything = chris.get("/submissions/all")
    assert numbers(everything) == ids  # the chair's own paper is listed, as it always was
    row = re.search(rf'(?s)<td class="num">{ids[0]}</td>(.*?)</tr>', everything.get_data(as_text=True))
    assert row is not None and "accepted" not in row.group(1)  # ... without its decision
    assert numbers(chris.get("/submissions/all?decision=accepted")) == [ids[1]]
    assert numbers(chris.get("/submissions/all?decision=undecided")) == [ids[2]]


@pytest.mark.parametrize("who", ["ann", "rita", None], ids=["author", "reviewer", "anonymous"])
def test_the_list_is_for_chairs_only_whatever_the_filters(app: Flask, who: str | None) -> None:
    chair_with_papers(app, 2)
    with app.app_context():
        make_user("ann@example.org", name="Ann Author")
        make_user("rita@example.org", name="Rita Reviewer", roles=("reviewer",))
        db.session.commit()
    client = client_for(app, who) if who else app.test_client()
    response = client.get("/submissions/all?q=bulk&decision=accepted&page=2")
    assert response.status_code == (403 if who else 302)
    assert "Bulk paper" not in response.get_data(as_text=True)


def test_same_statements_and_a_small_page_at_2000_papers_as_at_20(app: Flask) -> None:
    chair_with_papers(app, 20)
    chris = client_for(app, "chris")
    urls = ("/submissions/all", "/submissions/all?q=bulk&sort=topic&dir=desc&page=2", "/submissions/all?decision=undecided")
    small = {url: count_statements(app, chris, url)[0] for url in urls}
    with app.app_context():
        add_many_papers(1980, [])
        db.session.commit()
    large = {url: count_statements(app, chris, url) for url in urls}
    assert {u: n for u, (n, _) in large.items()} == small
    page = large["/submissions/all"][1]
    assert len(numbers(page)) == 50
    assert "2000 submissions. Page 1 of 40, 50 a page." in text_of(page)
    assert max(len(r.get_data()) for _, r in large.values()) < 300_000


# --- the chair area's one navigation ----------------------------------------------------------------------

SECTIONS = {
    "Papers": ["Overview", "Submissions", "Files & deadlines", "Assignments", "Area chairs", "Conflicts", "Decisions", "Program"],
    "Communication": ["Letters", "Group mail", "Sponsors"],
    "Setup": [
        "Reviewing settings",
        "Review form",
        "System mails",
        "Submission settings",
        "Members",
        "Invitations",
        "Public site",
    ],
    "Records": ["Exports", "Jobs", "Audit log"],
}
# A page of each section, and the section it marks as the current page.
CURRENT = {
    "/chair/": "Overview",
    "/chair/submissions": "Submissions",
    "/submissions/all": "Files & deadlines",
    "/chair/assignments": "Assignments",
    "/chair/area-chairs": "Area chairs",
    "/chair/conflicts": "Conflicts",
    "/chair/decisions": "Decisions",
    "/chair/program": "Program",
    "/chair/letters": "Letters",
    "/chair/mail": "Group mail",
    "/chair/sponsors": "Sponsors",
    "/chair/reviewing": "Reviewing settings",
    "/chair/review-form": "Review form",
    "/settings/": "Submission settings",
    "/members/": "Members",
    "/members/invitations": "Invitations",
    "/chair/content": "Public site",
    "/chair/exports": "Exports",
    "/chair/jobs": "Jobs",
    "/chair/audit": "Audit log",
}


def chair_sections(response: TestResponse) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """The chair navigation's groups with their links, and the links marked current (text, aria-current)."""
    html = response.get_data(as_text=True)
    navs = re.findall(r'(?s)<nav aria-label="Chair sections" class="sections[^"]*">(.*?)</nav>', html)
    assert len(navs) == 1, "one chair navigation on the page"
    groups = {
        label: [html_lib.unescape(a) for a in re.findall(r"<a [^>]*>([^<]+)</a>", links)]
        for label, links in re.findall(r'(?s)<span class="section-label" id="[^"]+">([^<]+)</span>(.*?)</ul>', navs[0])
    }
    current = [(html_lib.unescape(t), v) for v, t in re.findall(r'aria-current="(\w+)">([^<]+)</a>', navs[0])]
    # On a phone the groups other than the current one fold to one link each, to their first section.
    jumps = dict(re.findall(r'<a class="section-jump" href="([^"]+)">([^<]+)</a>', navs[0]))
    assert jumps == {
        "/chair/": "Papers",
        "/chair/letters": "Communication",
        "/chair/reviewing": "Setup",
        "/chair/exports": "Records",
    }
    return groups, current


def test_every_chair_settings_and_members_page_shows_the_one_chair_navigation(app: Flask) -> None:
    chair_with_papers(app, 1)
    chris = client_for(app, "chris")
    for url, section in CURRENT.items():
        response = chris.get(url)
        assert response.status_code == 200, url
        groups, current = chair_sections(response)
        assert groups == SECTIONS, url
        assert current == [(section, "page")], url
        # The header has one entry for the whole area, marked as where the chair is.
        header = re.search(r'(?s)<nav aria-label="Account" class="account-nav">(.*?)</nav>', response.get_data(as_text=True))
        assert header is not None
        expected = "page" if url == "/chair/" else "true"
        assert f'aria-current="{expected}">Chair</a>' in header.group(1), url
        for old in ("Chair console</a>", "All submissions</a>", ">Settings</a>", 'aria-label="Members sections"'):
            assert old not in header.group(1), (url, old)


def test_pages_under_a_section_mark_it_as_the_current_place(app: Flask) -> None:
    (number,) = chair_with_papers(app, 1)
    chris = client_for(app, "chris")
    _, current = chair_sections(chris.get(f"/chair/papers/{number}"))
    assert current == [("Submissions", "true")]
    _, current = chair_sections(chris.get("/chair/content/texts"))
    assert current == [("Public site", "true")]
    _, current = chair_sections(chris.get("/chair/content/topics"))
    assert current == [("Public site", "true")]
    # Pages added since (issues 21.1, 23, 24): under their sections.
    _, current = chair_sections(chris.get("/chair/review-form/recommendation"))
    assert current == [("Review form", "true")]
    _, current = chair_sections(chris.get("/chair/program/sessions/new"))
    assert current == [("Program", "true")]
    _, current = chair_sections(chris.get("/members/tokens"))
    assert current == [("Members", "true")]


def test_people_who_are_not_chairs_see_no_chair_navigation(app: Flask) -> None:
    chair_with_papers(app, 1)
    with app.app_context():
        make_user("rita@example.org", name="Rita Reviewer", roles=("reviewer",))
        db.session.commit()
    rita = client_for(app, "rita")
    for url in ("/review/", "/account/", "/submissions/"):
        html = rita.get(url).get_data(as_text=True)
        assert 'aria-label="Chair sections"' not in html, url
        assert ">Chair</a>" not in html, url
