"""Races run for real (issue 18): two requests released together by a barrier, each from its own test client in
its own thread, against PostgreSQL, a few rounds with fresh objects each; and the same form sent twice one after
the other, on both databases. A double click is two clients of one browser (the same session cookie) posting the
same form: the same CSRF token and the same one-time ``once`` token, read once from the rendered page.

What is asserted is what people see (flashes, page text, the form given back), the rows in the database and the
mail that arrived over SMTP; and that no answer to anyone is a 500 or carries the database's words."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from portal.db import db, utcnow
from portal.models import (
    AssignmentOrigin,
    AssignmentProposal,
    Bid,
    DateKind,
    ImportantDate,
    Invitation,
    OutgoingEmail,
    Phase,
    ProposalState,
    Review,
    ReviewAssignment,
    ReviewState,
    StoredFile,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from portal.once import SIMULTANEOUS
from portal.services import assignments
from tests.conftest import SMTPRecorder, mail_links, text_of
from tests.factories import login, make_user
from tests.pdfs import make_pdf

ROUNDS = 4
# What the second post of one rendering of a form is told (portal/once.py); a race lost on any other constraint, or
# on a version check, is told ``SIMULTANEOUS``.
ALREADY = "This form was sent already: {}. Nothing was done twice."
ON_SQLITE = "a race of concurrent writers is run on PostgreSQL (SQLite has one writer at a time)"
# What a person must never read: the database's or the ORM's words, a traceback.
LEAKS = (
    "expected to update",
    "sqlalchemy",
    "staledataerror",
    "integrityerror",
    "uniqueviolation",
    "foreignkeyviolation",
    "psycopg",
    "duplicate key",
    "violates unique",
    "violates foreign key",
    "unique constraint failed",
    "traceback",
    "rowcount",
    "(background on this error",
)

PEOPLE: dict[str, dict[str, Any]] = {
    "carla": {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Chair University", "roles": ("chair",)},
    "chris": {"email": "chris@example.org", "name": "Chris Chair", "affiliation": "Second Chair College", "roles": ("chair",)},
    "ada": {"email": "ada@example.org", "name": "Ada Author", "affiliation": "Alpha Institute"},
    "rita": {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Rita Research Centre", "roles": ("reviewer",)},
    "rex": {"email": "rex@example.org", "name": "Rex Reader", "affiliation": "Reader University", "roles": ("reviewer",)},
    "una": {"email": "una@example.org", "name": "Una Usher", "affiliation": "Una Polytechnic", "roles": ("reviewer",)},
    "ivan": {"email": "ivan@example.org", "name": "Ivan Iverson", "affiliation": "Ivan Lab", "roles": ("reviewer",)},
}


# --- the world ----------------------------------------------------------------------------------------


def on_sqlite(app: Flask) -> bool:
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")


def skip_on_sqlite(app: Flask) -> None:
    if on_sqlite(app):
        pytest.skip(ON_SQLITE)


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    """Reviewing under way (bidding still open, papers may still be withdrawn and restored until the deadline in
    three days), two chairs, an author and four reviewers. Returns each person's id."""
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        deadline = ws.date_of(DateKind.PAPER_DEADLINE)
        if deadline is None:
            ws.dates.append(
                ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=3))
            )
        else:
            deadline.at = now + timedelta(days=3)
        ws.phase, ws.bidding_deadline, ws.review_deadline = Phase.REVIEWING, None, now + timedelta(days=10)
        ws.reviews_per_paper, ws.default_max_load = 2, 50
        users = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        db.session.commit()
        return {key: u.id for key, u in users.items()}


def new_paper(app: Flask, title: str, submitter: str = "ada", *, reviewers: tuple[str, ...] = ()) -> int:
    """A submitted paper straight in the database (the upload pipeline has its own tests), with these reviewers
    assigned (not started). Returns its number."""
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        author = db.session.scalars(sa.select(User).where(User.email == PEOPLE[submitter]["email"])).one()
        sub = Submission(
            workshop_id=ws.id,
            submitter_id=author.id,
            title=title,
            abstract="Long contexts, again.",
            type_id=db.session.scalar(sa.select(SubmissionType.id).order_by(SubmissionType.position)),
            primary_topic_id=db.session.scalar(sa.select(Topic.id).order_by(Topic.position)),
            state=SubmissionState.SUBMITTED,
            submitted_at=utcnow(),
            authors=[
                SubmissionAuthor(
                    position=1, name=author.name, email=author.email, affiliation=author.affiliation, user_id=author.id
                )
            ],
        )
        db.session.add(sub)
        db.session.flush()
        for ordinal, key in enumerate(reviewers, 1):
            reviewer = db.session.scalars(sa.select(User).where(User.email == PEOPLE[key]["email"])).one()
            db.session.add(
                ReviewAssignment(submission_id=sub.id, reviewer_id=reviewer.id, ordinal=ordinal, origin=AssignmentOrigin.MANUAL)
            )
        db.session.commit()
        return sub.id


def assignment_id(app: Flask, number: int, reviewer: str) -> int | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(ReviewAssignment.id)
            .join(User, ReviewAssignment.reviewer)
            .where(ReviewAssignment.submission_id == number, User.email == PEOPLE[reviewer]["email"])
        )


# --- browsers -----------------------------------------------------------------------------------------


def signed_in(app: Flask, key: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, PEOPLE[key]["email"])
    assert response.status_code == 302, text_of(response)
    return client


def second_tab(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another tab of the same browser: a client with the same session cookie (so the same CSRF token is good in
    both), whose answers (and flashes) are its own."""
    tab = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, "not signed in"
    tab.set_cookie(name, cookie.value)
    return tab


def plain(response: TestResponse) -> TestResponse:
    """Every answer: never the 500 page, never the database's words."""
    assert response.status_code != 500, text_of(response)
    body = response.get_data(as_text=True).lower()
    assert [word for word in LEAKS if word in body] == [], text_of(response)
    return response


def at_once(*calls: Callable[[], TestResponse], stagger: tuple[float, ...] = (), crashes: bool = False) -> list[TestResponse]:
    """Run each call in a thread of its own, released together by a barrier; their answers, in order. ``stagger``
    holds a call back for so many seconds after the release (when one side is always faster, a few rounds with
    the other given a head start sweep the interleavings in between). A view's exception (the test client lets it
    through; in production it is the 500 page) fails the test, or with ``crashes`` comes back as a 500 answer
    naming it, for the test to report."""
    barrier = threading.Barrier(len(calls))
    answers: list[TestResponse | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            if i < len(stagger) and stagger[i]:
                time.sleep(stagger[i])
            answers[i] = calls[i]()
        except Exception as exc:  # reported below
            failures.append(exc)
            answers[i] = TestResponse([f"The 500 page ({exc!r})".encode()], "500 INTERNAL SERVER ERROR", [], request=None)  # type: ignore[arg-type]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not [t for t in threads if t.is_alive()], "a request is still running after a minute (a deadlock?)"
    if failures and not crashes:
        raise AssertionError(f"a request ended in an exception, the 500 page in production: {failures[0]!r}") from failures[0]
    return [a if crashes and a.status_code == 500 else plain(a) for a in answers if a is not None]


def double_click(tabs: tuple[FlaskClient, ...], url: str, data: dict[str, Any], page: str) -> list[TestResponse]:
    """The same form, read once from ``page``, posted from each tab of one browser at once."""
    return at_once(*(partial(tab.post, url, data=data, headers=browser(page)) for tab in tabs))


def follow(client: FlaskClient, response: TestResponse) -> TestResponse:
    """The page a browser lands on after a redirect (with the flashes the post left)."""
    assert response.status_code in (302, 303), (response.status_code, text_of(response))
    return plain(client.get(response.headers["Location"], follow_redirects=True))


def seen(client: FlaskClient, response: TestResponse) -> list[str]:
    """What a person was told: the flashes of the page they land on, or of the page they got."""
    page = follow(client, response) if response.status_code in (302, 303) else response
    return flashes(page)


def flashes(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    return [text_of_html(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html, re.S)]


def problems(response: TestResponse) -> list[str]:
    """The items of a form's error summary."""
    summary = re.search(r'(?s)<div class="error-summary".*?<ul>(.*?)</ul>', response.get_data(as_text=True))
    return [text_of_html(li) for li in re.findall(r"(?s)<li>(.*?)</li>", summary.group(1))] if summary else []


def text_of_html(html: str) -> str:
    return text_of(Response(html))  # type: ignore[arg-type]


class _Forms(HTMLParser):
    """Each form of a page as a browser posts it: its action and its fields' values (checked boxes only)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", {}))
        elif not self.forms or not a.get("name") or "disabled" in a:
            return
        elif tag == "input" and a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                self.forms[-1][1][a["name"] or ""] = "on" if a.get("value") is None else a.get("value") or ""
        elif tag == "input" and a.get("type") not in ("submit", "button", "file"):
            self.forms[-1][1][a["name"] or ""] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1][1][self._textarea or ""] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1][1][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            value = self.forms[-1][1][self._textarea]
            self.forms[-1][1][self._textarea] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None


def form(page: TestResponse, action: str | None = None, field: str | None = None) -> dict[str, str]:
    """The fields of the one form of ``page`` posting to ``action`` (or holding ``field``), as it would post them."""
    parser = _Forms()
    parser.feed(page.get_data(as_text=True))
    found = [
        values
        for url, values in parser.forms
        if (action is None or url.split("#")[0] == action) and (field is None or field in values)
    ]
    assert len(found) == 1, f"{len(found)} forms post to {action} with {field}"
    return found[0]


def browser(page: str) -> dict[str, str]:
    """The header a browser sends with a form posted from ``page`` (the site's Referrer-Policy keeps it in)."""
    return {"Referer": f"http://localhost{page}"}


# --- 1. a reviewer removed while submitting a first review --------------------------------------------

REVIEW = {
    "recommendation": "4",
    "confidence": "3",
    "strengths": "A clean complexity analysis.",
    "weaknesses": "No comparison with blockwise attention.",
    "comments_to_authors": "Report memory per device.",
    "confidential_comments": "",
    "action": "submit",
}
REMOVED = "Rita Reviewer no longer reviews #{}."
KEPT = "This reviewer has submitted a review; it cannot be unassigned."


def review_rows(app: Flask, summary: str) -> list[tuple[ReviewState, int | None]]:
    with app.app_context():
        return [
            tuple(r) for r in db.session.execute(sa.select(Review.state, Review.assignment_id).where(Review.summary == summary))
        ]  # type: ignore[misc]


def test_a_reviewer_removed_while_submitting_a_first_review_is_never_told_both(app: Flask, world: dict[str, int]) -> None:
    """Never both told "done" with the review lost: the removal is refused once the review is in; when the removal
    is done, no review is left and the reviewer is told their review was not saved, with their text given back."""
    skip_on_sqlite(app)
    chair, rita = signed_in(app, "carla"), signed_in(app, "rita")
    outcomes, wrong = [], []
    for round_ in range(ROUNDS):
        number = new_paper(app, f"Removal race {round_}", reviewers=("rita",))
        aid = assignment_id(app, number, "rita")
        summary = f"Round {round_}: the ring schedule overlaps communication with compute."
        review_url = f"/review/papers/{number}/review"
        data = form(rita.get(review_url), field="summary") | REVIEW | {"summary": summary}
        remove_url = f"/chair/assignments/{aid}/remove"
        button = form(chair.get("/chair/assignments"), remove_url)

        reviewed, removed = at_once(
            lambda: rita.post(review_url, data=data, headers=browser(review_url)),  # noqa: B023
            lambda: chair.post(remove_url, data=button, headers=browser("/chair/assignments")),  # noqa: B023
            crashes=True,
        )

        chair_told = seen(chair, removed)
        rows = review_rows(app, summary)
        if chair_told == [REMOVED.format(number)]:
            outcomes.append("removed")
            # Nothing of the review is left, and the reviewer was not told it was saved ...
            assert rows == [] and assignment_id(app, number, "rita") is None
            assert reviewed.status_code != 302, seen(rita, reviewed)
            # ... but told it was not, with what they wrote given back; or, when the removal was committed before
            # the reviewer's request was read, not found (no longer a reviewer of the paper: as when the form is sent
            # a moment after the removal, test_a_review_sent_after_its_reviewer_was_removed_is_refused).
            given_back = (
                reviewed.status_code == 422
                and "Nothing was saved" in text_of(reviewed)
                and form(reviewed, field="summary")["summary"] == summary
            )
            if not given_back and reviewed.status_code != 404:
                got = reviewed.get_data(as_text=True) if reviewed.status_code == 500 else text_of(reviewed)
                wrong.append(
                    f"round {round_}: removed; the reviewer's submit got {reviewed.status_code} “{got[:110]}”, "
                    "their text not given back"
                )
        else:
            outcomes.append("kept")
            assert chair_told == [KEPT]
            assert rows == [(ReviewState.SUBMITTED, aid)]
            assert seen(rita, reviewed) == ["Your review is submitted. You can now read the other reviews of this paper."]
    print("outcomes:", outcomes)  # which side won each round, for whoever reads the log (pytest -s)
    assert wrong == []


def test_removing_a_reviewer_after_their_review_is_submitted_is_refused(app: Flask, world: dict[str, int]) -> None:
    chair, rita = signed_in(app, "carla"), signed_in(app, "rita")
    number = new_paper(app, "Removed too late", reviewers=("rita",))
    aid = assignment_id(app, number, "rita")
    review_url, remove_url = f"/review/papers/{number}/review", f"/chair/assignments/{aid}/remove"
    button = form(chair.get("/chair/assignments"), remove_url)  # the chair's page, loaded before the review came in
    data = form(rita.get(review_url), field="summary") | REVIEW | {"summary": "Submitted before the removal."}

    assert seen(rita, plain(rita.post(review_url, data=data))) == [
        "Your review is submitted. You can now read the other reviews of this paper."
    ]
    assert seen(chair, plain(chair.post(remove_url, data=button, headers=browser("/chair/assignments")))) == [KEPT]
    assert review_rows(app, "Submitted before the removal.") == [(ReviewState.SUBMITTED, aid)]


def test_a_review_sent_after_its_reviewer_was_removed_is_refused(app: Flask, world: dict[str, int]) -> None:
    """The removal won the race outright: the reviewer's form, open in a tab, is sent a moment after. They are
    no longer a reviewer of the paper, so the answer is the permission's: not found (the review form's own page
    gives the text back only to a reviewer whose save lost a race while they were still one)."""
    chair, rita = signed_in(app, "carla"), signed_in(app, "rita")
    number = new_paper(app, "Removed first", reviewers=("rita",))
    aid = assignment_id(app, number, "rita")
    review_url, remove_url = f"/review/papers/{number}/review", f"/chair/assignments/{aid}/remove"
    data = form(rita.get(review_url), field="summary") | REVIEW | {"summary": "Written while being removed."}
    button = form(chair.get("/chair/assignments"), remove_url)

    assert seen(chair, plain(chair.post(remove_url, data=button))) == [REMOVED.format(number)]
    late = plain(rita.post(review_url, data=data, headers=browser(review_url)))

    assert review_rows(app, "Written while being removed.") == []
    assert late.status_code == 404, (late.status_code, text_of(late))
    assert "Written while being removed." not in text_of(late)


# --- 2. group mail: "Send" pressed twice ----------------------------------------------------------------

REVIEWERS = ["ivan@example.org", "rex@example.org", "rita@example.org", "una@example.org"]


def group_mail_send_form(chair: FlaskClient, subject: str) -> dict[str, str]:
    """Preview a mail to all reviewers and return the Send form as the preview page holds it (its CSRF token, the
    digest of the preview and the page's one-time token)."""
    page = chair.get("/chair/mail")
    data = form(page, "/chair/mail") | {
        "audience": "reviewers",
        "subject": subject,
        "body": "Dear {{ name }}, thanks.",
        "preview": "Preview",
    }
    preview = plain(chair.post("/chair/mail", data=data, headers=browser("/chair/mail")))
    assert preview.status_code == 200 and "Preview: 4 mails to all reviewers" in text_of(preview), text_of(preview)
    send = form(preview, "/chair/mail")
    send.pop("preview", None)
    return send | {"send": "Send"}


def arrived(smtp: SMTPRecorder, subject: str) -> list[str]:
    """The recipients of the mails that arrived with this subject, sorted."""
    return sorted(str(m["To"]) for m in smtp.messages if str(m["Subject"]).strip() == subject)


def test_group_mail_sent_twice_one_after_the_other_mails_each_recipient_once(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    chair = signed_in(app, "chris")
    data = group_mail_send_form(chair, "[{{ workshop }}] Pressed twice")

    first = seen(chair, plain(chair.post("/chair/mail", data=data, headers=browser("/chair/mail"))))
    second = seen(chair, plain(chair.post("/chair/mail", data=data, headers=browser("/chair/mail"))))

    assert first == ["Sent 4 mails to all reviewers."]
    assert second == [ALREADY.format("the group mail went out as this job")]
    assert arrived(smtp, "[LongLLM 2024] Pressed twice") == REVIEWERS


def test_group_mail_sent_twice_at_once_mails_each_recipient_once(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    skip_on_sqlite(app)
    chair = signed_in(app, "chris")
    tab = second_tab(app, chair)
    for round_ in range(ROUNDS):
        smtp.clear()
        data = group_mail_send_form(chair, f"[{{{{ workshop }}}}] Double click {round_}")

        answers = double_click((chair, tab), "/chair/mail", data, "/chair/mail")

        told = sorted(seen(c, a)[0] for c, a in zip((chair, tab), answers, strict=True))
        assert told == ["Sent 4 mails to all reviewers.", ALREADY.format("the group mail went out as this job")]
        assert arrived(smtp, f"[LongLLM 2024] Double click {round_}") == REVIEWERS


# --- 3. "Remind" pressed twice ----------------------------------------------------------------------------

REMINDED = "Reminders sent to 2 reviewers with unfinished reviews."


def reminders(smtp: SMTPRecorder) -> list[str]:
    return sorted(str(m["To"]) for m in smtp.messages if "Reminder:" in str(m["Subject"]))


def test_remind_pressed_twice_reminds_each_reviewer_once(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    new_paper(app, "Unfinished reviews", reviewers=("rita", "rex"))
    chair = signed_in(app, "carla")
    asking = form(chair.get("/chair/assignments"), "/chair/assignments/remind")  # "Remind…" asks first
    button = form(chair.post("/chair/assignments/remind", data=asking), "/chair/assignments/remind")
    assert button["once"]

    first = seen(chair, plain(chair.post("/chair/assignments/remind", data=button)))
    second = seen(chair, plain(chair.post("/chair/assignments/remind", data=button)))

    assert (first, second) == ([REMINDED], [ALREADY.format("reminders went to 2 reviewers")])
    assert reminders(smtp) == ["rex@example.org", "rita@example.org"]


def test_remind_pressed_twice_at_once_reminds_each_reviewer_once(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    skip_on_sqlite(app)
    new_paper(app, "Unfinished reviews", reviewers=("rita", "rex"))
    chair = signed_in(app, "carla")
    tab = second_tab(app, chair)
    for _ in range(ROUNDS):
        smtp.clear()
        asking = form(chair.get("/chair/assignments"), "/chair/assignments/remind")
        button = form(chair.post("/chair/assignments/remind", data=asking), "/chair/assignments/remind")

        answers = double_click((chair, tab), "/chair/assignments/remind", button, "/chair/assignments")

        told = sorted(seen(c, a)[0] for c, a in zip((chair, tab), answers, strict=True))
        assert told == [REMINDED, ALREADY.format("reminders went to 2 reviewers")]
        assert reminders(smtp) == ["rex@example.org", "rita@example.org"]


# --- 4. assignment proposals ----------------------------------------------------------------------------

APPLIED = "2 assignments applied; each reviewer got a mail listing their papers."
CHANGED = (
    "The assignment changed since this proposal was computed (another proposal was applied, or reviewers were "
    "added or removed by hand): run it again."
)
APPLIED_ALREADY = "This proposal was applied or discarded already."


def two_proposals(app: Flask, round_: int) -> tuple[list[int], int, int, dict[int, set[tuple[int, int]]]]:
    """Two fresh papers (every earlier one withdrawn, every earlier assignment gone), one review each, reviewers
    taking one paper at most; then two proposals computed on that same state, as two chairs would: A as the solver
    made it, B with A's two reviewers swapped. Applied both, each paper would have two reviewers and each of the two
    reviewers two papers. Returns the papers, A, B, and each proposal's pairs."""
    papers = [new_paper(app, f"Proposal race {round_} {x}") for x in "PQ"]
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        db.session.execute(sa.delete(ReviewAssignment))
        db.session.execute(
            sa.update(Submission)
            .where(Submission.id.not_in(papers))
            .values(state=SubmissionState.WITHDRAWN, withdrawn_at=utcnow())
        )
        db.session.execute(sa.update(User).where(User.is_reviewer).values(max_load=1))
        ws.reviews_per_paper = 1
        db.session.flush()
        chair = db.session.scalars(sa.select(User).where(User.email == PEOPLE["carla"]["email"])).one()
        a, b = assignments.propose_assignment(chair, ws), assignments.propose_assignment(chair, ws)
        (p, x), (q, y) = sorted(tuple(pair) for pair in a.result["pairs"])
        for pair in ((p, x), (q, y)):
            assignments.edit_proposal(None, b, remove=pair)
        assignments.edit_proposal(None, b, add=(p, y))
        assignments.edit_proposal(None, b, add=(q, x))
        db.session.commit()
        assert (p, q) == tuple(papers) and x != y
        return papers, a.id, b.id, {a.id: {(p, x), (q, y)}, b.id: {(p, y), (q, x)}}


def apply_button(chair: FlaskClient, proposal: int) -> dict[str, str]:
    url = f"/chair/proposals/{proposal}"
    return form(chair.get(url), f"{url}/apply")


def applied_state(app: Flask, papers: list[int], proposals: tuple[int, int]) -> tuple[list[int], set[tuple[int, int]]]:
    """Which of the proposals are applied, and the assignments of the papers; checks the limits on the way."""
    with app.app_context():
        applied = sorted(
            db.session.scalars(
                sa.select(AssignmentProposal.id).where(
                    AssignmentProposal.id.in_(proposals), AssignmentProposal.state == ProposalState.APPLIED
                )
            )
        )
        pairs = {
            tuple(r)
            for r in db.session.execute(
                sa.select(ReviewAssignment.submission_id, ReviewAssignment.reviewer_id).where(
                    ReviewAssignment.submission_id.in_(papers)
                )
            )
        }
        per_paper = db.session.execute(
            sa.select(ReviewAssignment.submission_id, sa.func.count()).group_by(ReviewAssignment.submission_id)
        ).all()
        per_reviewer = db.session.execute(
            sa.select(ReviewAssignment.reviewer_id, sa.func.count()).group_by(ReviewAssignment.reviewer_id)
        ).all()
    assert [p for p, n in per_paper if n > 1] == [], "a paper past its one reviewer"
    assert [r for r, n in per_reviewer if n > 1] == [], "a reviewer past their maximum load of one"
    return applied, pairs  # type: ignore[return-value]


def assignment_mails(app: Flask, smtp: SMTPRecorder) -> set[tuple[int, int]]:
    """(paper, reviewer) for every paper listed in an assignment mail that arrived; none listed twice."""
    with app.app_context():
        ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    listed = [
        (int(n), ids[str(m["To"])])
        for m in smtp.messages
        if "to review" in str(m["Subject"])
        for n in re.findall(r"(?m)^\s+#(\d+)\s", m.get_content())
    ]
    assert len(listed) == len(set(listed)), f"a reviewer was mailed the same paper twice: {listed}"
    return set(listed)


def test_two_proposals_of_one_state_applied_one_after_the_other_apply_once(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    papers, a, b, pairs = two_proposals(app, 0)
    carla, chris = signed_in(app, "carla"), signed_in(app, "chris")
    button_a, button_b = apply_button(carla, a), apply_button(chris, b)  # both pages open before either is applied

    first = seen(carla, plain(carla.post(f"/chair/proposals/{a}/apply", data=button_a)))
    again = seen(carla, plain(carla.post(f"/chair/proposals/{a}/apply", data=button_a)))  # the same button, twice
    other = seen(chris, plain(chris.post(f"/chair/proposals/{b}/apply", data=button_b)))

    assert (first, again, other) == ([APPLIED], [APPLIED_ALREADY], [CHANGED])
    assert applied_state(app, papers, (a, b)) == ([a], pairs[a])
    assert assignment_mails(app, smtp) == pairs[a]


def test_proposals_applied_at_once_apply_one_and_keep_every_limit(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    """Each round: a chair's double click on proposal A (two tabs, one form) and another chair's B, all at once."""
    skip_on_sqlite(app)
    carla, chris = signed_in(app, "carla"), signed_in(app, "chris")
    tab = second_tab(app, carla)
    winners = []
    for round_ in range(ROUNDS):
        smtp.clear()
        papers, a, b, pairs = two_proposals(app, round_)
        button_a, button_b = apply_button(carla, a), apply_button(chris, b)

        answers = at_once(
            lambda: carla.post(f"/chair/proposals/{a}/apply", data=button_a),  # noqa: B023
            lambda: tab.post(f"/chair/proposals/{a}/apply", data=button_a),  # noqa: B023
            lambda: chris.post(f"/chair/proposals/{b}/apply", data=button_b),  # noqa: B023
        )

        told_a = sorted(seen(c, r)[0] for c, r in zip((carla, tab), answers[:2], strict=True))
        told_b = seen(chris, answers[2])
        applied, assigned = applied_state(app, papers, (a, b))
        assert len(applied) == 1, applied
        winners.append("A" if applied == [a] else "B")
        if applied == [a]:
            assert told_b == [CHANGED]
            assert told_a[0] == APPLIED and told_a[1] in (APPLIED_ALREADY, ALREADY.format(f"proposal {a} was applied"))
        else:
            assert (told_a, told_b) == ([CHANGED, CHANGED], [APPLIED])
        assert assigned == pairs[applied[0]]
        assert assignment_mails(app, smtp) == pairs[applied[0]]
    print("applied:", winners)


# --- 5. a bulk decision from a page loaded before another chair's decision ----------------------------


def decision_of(app: Flask, number: int) -> tuple[str | None, str | None, str]:
    with app.app_context():
        sub = db.session.get(Submission, number)
        assert sub is not None
        return (
            sub.decision.value if sub.decision else None,
            sub.presentation.value if sub.presentation else None,
            sub.decision_note,
        )


def ticks(page: TestResponse, *numbers: int) -> list[str]:
    """The bulk form's ticks for these papers, each with the version the page shows ("12:3")."""
    values = re.findall(r'name="selected" value="(\d+):(\d+)"', page.get_data(as_text=True))
    return [f"{n}:{v}" for n, v in values if int(n) in numbers]


def single_decision(page: TestResponse, number: int, decision: str, note: str) -> dict[str, str]:
    return form(page, f"/chair/decisions/{number}") | {"decision": decision, "presentation": "oral", "note": note}


def test_a_bulk_decision_from_a_page_loaded_before_another_chairs_decision_leaves_that_paper_alone(
    app: Flask, world: dict[str, int]
) -> None:
    kept, changed = new_paper(app, "Decided meanwhile"), new_paper(app, "Decided in bulk")
    carla, chris = signed_in(app, "carla"), signed_in(app, "chris")
    page = chris.get("/chair/decisions")
    assert seen(
        chris,
        chris.post(f"/chair/decisions/{changed}", data=single_decision(page, changed, "accepted", "An oral, and a great paper.")),
    ) == [f"#{changed}: accepted."]
    bulk = carla.get("/chair/decisions")  # Carla's page, loaded before Chris's next decision ...
    bulk_data = {
        "csrf_token": form(bulk, "/chair/decisions/bulk")["csrf_token"],
        "decision": "rejected",
        "selected": ticks(bulk, kept, changed),
    }
    note = "Accepted as an oral: the chairs' note."
    decided = chris.post(f"/chair/decisions/{kept}", data=single_decision(chris.get("/chair/decisions"), kept, "accepted", note))
    assert seen(chris, decided) == [f"#{kept}: accepted."]

    told = seen(carla, plain(carla.post("/chair/decisions/bulk", data=bulk_data, headers=browser("/chair/decisions"))))

    # (what went wrong comes first on the page, as an alert)
    assert told == [
        f"Not changed, because another chair changed it after you loaded this page: #{kept}. Reload to see what they decided.",
        "1 paper marked rejected.",
    ]
    assert decision_of(app, kept) == ("accepted", "oral", note)
    # The paper decided in bulk loses the presentation and the note of its old decision.
    assert decision_of(app, changed) == ("rejected", None, "")


def test_a_bulk_decision_and_another_chairs_decision_at_once_keep_one_and_tell_the_other(
    app: Flask, world: dict[str, int]
) -> None:
    skip_on_sqlite(app)
    carla, chris = signed_in(app, "carla"), signed_in(app, "chris")
    winners = []
    for round_ in range(ROUNDS):
        number = new_paper(app, f"Decided twice {round_}")
        bulk, single = carla.get("/chair/decisions"), chris.get("/chair/decisions")
        bulk_data = {
            "csrf_token": form(bulk, "/chair/decisions/bulk")["csrf_token"],
            "decision": "rejected",
            "selected": ticks(bulk, number),
        }
        note = f"Round {round_}: accepted as an oral."

        by_bulk, by_hand = at_once(
            lambda: carla.post("/chair/decisions/bulk", data=bulk_data, headers=browser("/chair/decisions")),  # noqa: B023
            lambda: chris.post(
                f"/chair/decisions/{number}",  # noqa: B023
                data=single_decision(single, number, "accepted", note),  # noqa: B023
                headers=browser("/chair/decisions"),
            ),
        )

        carla_told, chris_told = seen(carla, by_bulk), seen(chris, by_hand)
        if decision_of(app, number) == ("accepted", "oral", note):
            winners.append("by hand")
            assert chris_told == [f"#{number}: accepted."]
            assert carla_told in (
                [
                    "Another chair decided some of these papers at the same moment. Nothing was changed: reload the page "
                    "to see their decisions, then decide again."
                ],
                [
                    f"Not changed, because another chair changed it after you loaded this page: #{number}. Reload to "
                    "see what they decided.",
                    "0 papers marked rejected.",
                ],
            ), carla_told
        else:
            winners.append("in bulk")
            assert decision_of(app, number) == ("rejected", None, "")
            assert carla_told == ["1 paper marked rejected."]
            assert chris_told in (
                [SIMULTANEOUS],
                [
                    f"Another chair changed #{number} after you opened this page. "
                    "Reload to see their decision, then decide again. Nothing was saved."
                ],
            ), chris_told
    print("won:", winners)


# --- 6. a new submission posted twice --------------------------------------------------------------------

PDF = make_pdf(2)


def submission_form(app: Flask, author: FlaskClient, title: str) -> Callable[[], dict[str, Any]]:
    """The new-submission form as the page renders it (CSRF and one-time token included), filled in; a function
    that gives the data to post, each time with the PDF in a file object of its own."""
    page = author.get("/submissions/new")
    with app.app_context():
        type_id = db.session.scalar(sa.select(SubmissionType.id).where(SubmissionType.slug == "full"))
        topic_id = db.session.scalar(sa.select(Topic.id).order_by(Topic.position))
    data = form(page, field="once") | {
        "title": title,
        "abstract": "Attention over very long inputs.",
        "type": str(type_id),
        "primary_topic": str(topic_id),
        "action": "save",
    }

    def fill() -> dict[str, Any]:
        return data | {"paper": (io.BytesIO(PDF), "paper.pdf")}

    return fill


def submissions_titled(app: Flask, title: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Submission.id).where(Submission.title == title)))


def stored_files(app: Flask) -> tuple[list[str], list[str]]:
    """The files in the upload folder, and the files the database knows: the same, or an upload was orphaned."""
    root = Path(app.config["UPLOAD_FOLDER"])
    on_disk = sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
    with app.app_context():
        return on_disk, sorted(db.session.scalars(sa.select(StoredFile.storage_key)))


def receipts(smtp: SMTPRecorder, title: str) -> list[str]:
    return [str(m["Subject"]).strip() for m in smtp.messages if str(m["Subject"]).strip().endswith(title)]


def post_new(client: FlaskClient, fill: Callable[[], dict[str, Any]]) -> TestResponse:
    return client.post("/submissions/new", data=fill(), content_type="multipart/form-data", headers=browser("/submissions/new"))


def test_a_new_submission_posted_twice_one_after_the_other_is_one_submission(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    ada = signed_in(app, "ada")
    fill = submission_form(app, ada, "Sent twice by the back button")

    first = seen(ada, plain(post_new(ada, fill)))
    second = plain(post_new(ada, fill))

    [number] = submissions_titled(app, "Sent twice by the back button")
    assert first == [f"Submission #{number} is saved. A receipt is on its way to ada@example.org."]
    assert second.headers["Location"] == f"/submissions/{number}"
    assert seen(ada, second) == [ALREADY.format(f"submission #{number} was saved")]
    assert receipts(smtp, "Sent twice by the back button") == [
        f"[LongLLM 2024] Submission #{number} submitted: Sent twice by the back button"
    ]
    on_disk, known = stored_files(app)
    assert on_disk == known and len(known) == 2  # the paper and the reviewers' copy, of the one submission


def test_a_new_submission_posted_twice_at_once_is_one_submission(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    skip_on_sqlite(app)
    ada = signed_in(app, "ada")
    tab = second_tab(app, ada)
    for round_ in range(3):  # each post has its PDF checked in a child process: three rounds are enough
        smtp.clear()
        title = f"Double-clicked paper {round_}"
        fill = submission_form(app, ada, title)

        answers = at_once(lambda: post_new(ada, fill), lambda: post_new(tab, fill))  # noqa: B023

        [number] = submissions_titled(app, title)
        told = sorted(seen(c, a)[0] for c, a in zip((ada, tab), answers, strict=True))
        assert told == [
            f"Submission #{number} is saved. A receipt is on its way to ada@example.org.",
            ALREADY.format(f"submission #{number} was saved"),
        ]
        assert receipts(smtp, title) == [f"[LongLLM 2024] Submission #{number} submitted: {title}"]
        on_disk, known = stored_files(app)
        assert on_disk == known and len(known) == 2 * (round_ + 1)


# --- 7. an invitation list posted twice ---------------------------------------------------------------------

INVITED = "2 invitations sent."


def invitation_form(chair: FlaskClient, lines: str) -> dict[str, str]:
    return form(chair.get("/members/invitations"), field="lines") | {"lines": lines}


def invitations_to(app: Flask, *addresses: str) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted(
            (i.email, i.state.value) for i in db.session.scalars(sa.select(Invitation).where(Invitation.email.in_(addresses)))
        )


def invitation_mails(smtp: SMTPRecorder) -> list[str]:
    return sorted(str(m["To"]) for m in smtp.messages if "Invitation to review" in str(m["Subject"]))


def test_an_invitation_list_posted_twice_invites_each_address_once(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    chair = signed_in(app, "carla")
    data = invitation_form(chair, "Nora New <nora@example.org>\nOtto Outside <otto@example.org>")

    first = seen(chair, plain(chair.post("/members/invitations", data=data)))
    second = seen(chair, plain(chair.post("/members/invitations", data=data)))

    assert (first, second) == ([INVITED], [ALREADY.format(INVITED[:-1])])
    assert invitations_to(app, "nora@example.org", "otto@example.org") == [
        ("nora@example.org", "pending"),
        ("otto@example.org", "pending"),
    ]
    assert invitation_mails(smtp) == ["nora@example.org", "otto@example.org"]


def test_an_invitation_list_posted_twice_at_once_invites_each_address_once(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    skip_on_sqlite(app)
    chair = signed_in(app, "carla")
    tab = second_tab(app, chair)
    for round_ in range(ROUNDS):
        smtp.clear()
        nora, otto = f"nora{round_}@example.org", f"otto{round_}@example.org"
        data = invitation_form(chair, f"Nora New <{nora}>\nOtto Outside <{otto}>")

        answers = double_click((chair, tab), "/members/invitations", data, "/members/invitations")

        told = sorted(seen(c, a)[0] for c, a in zip((chair, tab), answers, strict=True))
        assert told == [INVITED, ALREADY.format(INVITED[:-1])]
        assert invitations_to(app, nora, otto) == [(nora, "pending"), (otto, "pending")]
        assert invitation_mails(smtp) == [nora, otto]


# --- 8. an invitation withdrawn while it is accepted ------------------------------------------------------


def test_an_invitation_withdrawn_while_it_is_accepted_has_one_outcome_and_everyone_is_told_it(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    skip_on_sqlite(app)
    chair = signed_in(app, "carla")
    outcomes = []
    for round_ in range(ROUNDS):
        address = f"vera{round_}@example.org"
        with app.app_context():
            make_user(address, name=f"Vera Visitor {round_}", affiliation="Visiting Lab")
            db.session.commit()
        smtp.clear()
        assert seen(chair, chair.post("/members/invitations", data=invitation_form(chair, f"Vera <{address}>"))) == [
            "1 invitation sent."
        ]
        [mail] = smtp.wait_for(1)
        accept_url = next(link for link in mail_links(mail) if link.endswith("/accept"))
        with app.app_context():
            invitation = db.session.scalars(sa.select(Invitation.id).where(Invitation.email == address)).one()
        invitee = app.test_client()
        accept = form(invitee.get(accept_url), "")  # the page posts to itself
        revoke_url = f"/members/invitations/{invitation}/revoke"
        revoke = form(chair.get("/members/invitations"), revoke_url)

        accepted, revoked = at_once(
            lambda: invitee.post(accept_url, data=accept, headers=browser(accept_url)),  # noqa: B023
            lambda: chair.post(revoke_url, data=revoke, headers=browser("/members/invitations")),  # noqa: B023
            stagger=(0, 0.01 * round_),  # the withdrawal is the quicker request: later rounds let the answer lead
        )

        chair_told = seen(chair, revoked)
        with app.app_context():
            reviewer = db.session.scalars(sa.select(User.is_reviewer).where(User.email == address)).one()
        [(_, state)] = invitations_to(app, address)
        outcomes.append(state)
        if state == "accepted":
            assert reviewer is True
            assert chair_told in (["This invitation was accepted a moment ago."], ["This invitation is accepted already."])
            assert seen(invitee, accepted) == [f"Thank you! The account {address} is now a reviewer."]
        else:
            assert (state, reviewer) == ("revoked", False)
            assert chair_told == [f"The invitation to {address} is withdrawn; its link no longer works."]
            assert accepted.status_code == 200
            assert [
                h
                for h in ("This invitation was revoked a moment ago.", "The organizers withdrew this invitation.")
                if h in text_of(accepted)
            ] != [], text_of(accepted)
            assert "now a reviewer" not in text_of(accepted)
    print("outcomes:", outcomes)


# --- 9. withdraw and restore pressed twice --------------------------------------------------------------

WITHDRAWN = "Submission #{} is withdrawn. You can restore it until the deadline."
NOT_NOW = "This submission cannot be withdrawn now."
RESTORED = "Submission #{} is restored."
NOT_WITHDRAWN = "This submission is not withdrawn."


def state_of(app: Flask, number: int) -> str:
    with app.app_context():
        return db.session.scalars(sa.select(Submission.state).where(Submission.id == number)).one().value


def receipt_subjects(smtp: SMTPRecorder, number: int) -> list[str]:
    return sorted(str(m["Subject"]).strip() for m in smtp.messages if f"Submission #{number} " in str(m["Subject"]))


def test_withdraw_and_restore_pressed_twice_change_once(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    ada = signed_in(app, "ada")
    number = new_paper(app, "Withdrawn by a double click")
    url = f"/submissions/{number}/withdraw"
    confirm = form(ada.get(url), "")

    assert seen(ada, plain(ada.post(url, data=confirm))) == [WITHDRAWN.format(number)]
    assert seen(ada, plain(ada.post(url, data=confirm))) == [NOT_NOW]
    restore = form(ada.get(f"/submissions/{number}"), f"/submissions/{number}/restore")
    assert seen(ada, plain(ada.post(f"/submissions/{number}/restore", data=restore))) == [RESTORED.format(number)]
    assert seen(ada, plain(ada.post(f"/submissions/{number}/restore", data=restore))) == [NOT_WITHDRAWN]

    assert state_of(app, number) == "abstract"  # (back as it was: a paper made here without a PDF is an abstract)
    assert receipt_subjects(smtp, number) == [
        f"[LongLLM 2024] Submission #{number} {what}: Withdrawn by a double click" for what in ("restored", "withdrawn")
    ]


def test_withdraw_and_restore_pressed_twice_at_once_change_once_and_tell_the_other_click(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    skip_on_sqlite(app)
    ada = signed_in(app, "ada")
    tab = second_tab(app, ada)
    for round_ in range(ROUNDS):
        smtp.clear()
        title = f"Withdrawn twice at once {round_}"
        number = new_paper(app, title)
        url, detail = f"/submissions/{number}/withdraw", f"/submissions/{number}"
        confirm = form(ada.get(url), "")

        answers = double_click((ada, tab), url, confirm, url)

        told = sorted((seen(c, a) for c, a in zip((ada, tab), answers, strict=True)), key=len)
        assert state_of(app, number) == "withdrawn"
        assert [WITHDRAWN.format(number)] in told, told
        assert told[0] == [WITHDRAWN.format(number)] or told[1] == [WITHDRAWN.format(number)]
        other = told[1] if told[0] == [WITHDRAWN.format(number)] else told[0]
        assert other in ([NOT_NOW], [SIMULTANEOUS]), other  # one message, on the submission's page

        restore = form(ada.get(detail), f"{detail}/restore")
        answers = double_click((ada, tab), f"{detail}/restore", restore, detail)

        told = sorted(seen(c, a)[0] for c, a in zip((ada, tab), answers, strict=True))
        assert state_of(app, number) == "abstract"
        assert told in (sorted([RESTORED.format(number), SIMULTANEOUS]), sorted([RESTORED.format(number), NOT_WITHDRAWN])), told
        assert receipt_subjects(smtp, number) == [
            f"[LongLLM 2024] Submission #{number} restored: {title}",
            f"[LongLLM 2024] Submission #{number} withdrawn: {title}",
        ]


# --- 10. a review's first save from two tabs ----------------------------------------------------------------

SAVED_ELSEWHERE = (
    "This review was saved (perhaps in another tab) after you opened it. Reload the page to see the latest "
    "text, then make your change again. Nothing was saved."
)
SUBMITTED = "Your review is submitted. You can now read the other reviews of this paper."
DRAFTED = "Your draft is saved. Submit it when it is ready."


def test_a_first_review_saved_from_two_tabs_one_after_the_other_keeps_the_second_text_in_its_form(
    app: Flask, world: dict[str, int]
) -> None:
    rita = signed_in(app, "rita")
    number = new_paper(app, "Reviewed in two tabs", reviewers=("rita",))
    url = f"/review/papers/{number}/review"
    first_tab, other_tab = form(rita.get(url), field="summary"), form(rita.get(url), field="summary")

    assert seen(rita, plain(rita.post(url, data=first_tab | {"summary": "The first tab's text.", "action": "draft"}))) == [
        DRAFTED
    ]
    late = plain(rita.post(url, data=other_tab | REVIEW | {"summary": "The second tab's text."}))

    assert late.status_code == 422
    assert problems(late) == [SAVED_ELSEWHERE]
    assert form(late, field="summary")["summary"] == "The second tab's text."
    assert review_rows(app, "The first tab's text.") == [(ReviewState.DRAFT, assignment_id(app, number, "rita"))]


def test_a_first_review_saved_from_two_tabs_at_once_saves_one_and_gives_the_other_its_text_back(
    app: Flask, world: dict[str, int]
) -> None:
    skip_on_sqlite(app)
    rita = signed_in(app, "rita")
    tab = second_tab(app, rita)
    for round_ in range(ROUNDS):
        number = new_paper(app, f"Reviewed in two tabs {round_}", reviewers=("rita",))
        url = f"/review/papers/{number}/review"
        texts = (f"Round {round_}, tab one: a draft.", f"Round {round_}, tab two: the review.")
        posts = (
            form(rita.get(url), field="summary") | {"summary": texts[0], "action": "draft"},
            form(tab.get(url), field="summary") | REVIEW | {"summary": texts[1]},
        )

        answers = at_once(
            *(
                lambda c=c, d=d: c.post(url, data=d, headers=browser(url))  # noqa: B023
                for c, d in zip((rita, tab), posts, strict=True)
            )
        )

        saved = [i for i in (0, 1) if review_rows(app, texts[i])]
        assert len(saved) == 1, saved
        won, lost = saved[0], 1 - saved[0]
        assert seen((rita, tab)[won], answers[won]) == [(DRAFTED, SUBMITTED)[won]]
        assert answers[lost].status_code == 422, text_of(answers[lost])
        assert problems(answers[lost]) in ([SIMULTANEOUS], [SAVED_ELSEWHERE])
        assert form(answers[lost], field="summary")["summary"] == texts[lost]


# --- 11. a first bid from two tabs, one reviewer added twice, the register form posted twice --------------


def bid_of(app: Flask, number: int, reviewer: str) -> list[str]:
    with app.app_context():
        return [
            v.value
            for v in db.session.scalars(
                sa.select(Bid.value)
                .join(User, User.id == Bid.reviewer_id)
                .where(Bid.submission_id == number, User.email == PEOPLE[reviewer]["email"])
            )
        ]


def test_a_first_bid_from_two_tabs_at_once_is_one_bid(app: Flask, world: dict[str, int]) -> None:
    skip_on_sqlite(app)
    rita = signed_in(app, "rita")
    tab = second_tab(app, rita)
    for round_ in range(ROUNDS):
        number = new_paper(app, f"Bid on twice {round_}")
        page = rita.get("/review/bids")
        posts = [form(page, "/review/bids", "csrf_token") | {f"bid-{number}": value} for value in ("eager", "willing")]

        answers = at_once(
            *(
                lambda c=c, d=d: c.post("/review/bids", data=d, headers=browser("/review/bids"))
                for c, d in zip((rita, tab), posts, strict=True)
            )
        )

        told = [seen(c, a) for c, a in zip((rita, tab), answers, strict=True)]
        [value] = bid_of(app, number, "rita")
        assert [SIMULTANEOUS] in told or told == [["Your bids are saved (1 changed)."]] * 2, told
        # The bid kept is the one of a tab that was told it was saved (the later one, when both were).
        assert told[("eager", "willing").index(value)] == ["Your bids are saved (1 changed)."]


def add_reviewer(chair: FlaskClient, number: int, reviewer_id: int) -> dict[str, str]:
    page = chair.get("/chair/assignments")
    return {"csrf_token": form(page, "/chair/assignments/run")["csrf_token"], "number": str(number), "reviewer": str(reviewer_id)}


def assignment_mail_papers(smtp: SMTPRecorder, address: str) -> list[int]:
    return [
        int(n)
        for m in smtp.messages
        if str(m["To"]) == address and "to review" in str(m["Subject"])
        for n in re.findall(r"(?m)^\s+#(\d+)\s", m.get_content())
    ]


def test_one_reviewer_added_to_a_paper_twice_is_assigned_and_mailed_once(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    chair = signed_in(app, "carla")
    number = new_paper(app, "Assigned twice")
    data = add_reviewer(chair, number, world["rex"])

    first = seen(chair, plain(chair.post("/chair/assignments/add", data=data)))
    second = seen(chair, plain(chair.post("/chair/assignments/add", data=data)))

    assert (first, second) == ([f"Rex Reader reviews #{number} as Reviewer 1."], [f"Rex Reader already reviews #{number}."])
    assert assignment_id(app, number, "rex") is not None
    assert assignment_mail_papers(smtp, "rex@example.org") == [number]


def test_one_reviewer_added_to_a_paper_twice_at_once_is_assigned_and_mailed_once(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    skip_on_sqlite(app)
    carla, chris = signed_in(app, "carla"), signed_in(app, "chris")
    for round_ in range(ROUNDS):
        smtp.clear()
        number = new_paper(app, f"Assigned twice at once {round_}")
        posts = [add_reviewer(c, number, world["rex"]) for c in (carla, chris)]

        answers = at_once(
            *(
                lambda c=c, d=d: c.post("/chair/assignments/add", data=d, headers=browser("/chair/assignments"))
                for c, d in zip((carla, chris), posts, strict=True)
            )
        )

        told = [seen(c, a) for c, a in zip((carla, chris), answers, strict=True)]
        assert [f"Rex Reader reviews #{number} as Reviewer 1."] in told, told
        assert [SIMULTANEOUS] in told or [f"Rex Reader already reviews #{number}."] in told, told
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).where(ReviewAssignment.submission_id == number)) == 1
        assert assignment_mail_papers(smtp, "rex@example.org") == [number]


REGISTER = {
    "name": "Nina Newcomer",
    "affiliation": "Newcomer Lab",
    "orcid": "",
    "homepage": "",
    "password": "a long test passphrase",
    "confirm": "a long test passphrase",
}


def register_form(app: Flask, address: str, ip: str) -> tuple[FlaskClient, dict[str, str]]:
    """A visitor (from an address of their own: the register form's rate limit counts per address) with the
    register form filled in."""
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = ip
    return visitor, form(visitor.get("/auth/register"), field="once") | REGISTER | {"email": address}


def accounts_and_mails(app: Flask, address: str) -> tuple[int, int]:
    with app.app_context():
        users = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == address))
        mails = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutgoingEmail).where(OutgoingEmail.recipients == address)
        )
        return int(users or 0), int(mails or 0)


def test_the_register_form_posted_twice_makes_one_account(app: Flask, smtp: SMTPRecorder) -> None:
    visitor, data = register_form(app, "nina@example.org", "10.18.0.1")
    first = plain(visitor.post("/auth/register", data=data))
    assert first.headers["Location"] == "/auth/check-inbox"
    assert "We sent a message to nina@example.org." in text_of(follow(visitor, first))
    again = plain(visitor.post("/auth/register", data=data))

    assert accounts_and_mails(app, "nina@example.org") == (1, 1)  # one account, one confirmation mail
    assert seen(visitor, again) == [ALREADY.format("the account was registered")]
    assert [str(m["Subject"]) for m in smtp.wait_for(1)] == ["[LongLLM 2024] Confirm your email address"]


def test_the_register_form_posted_twice_at_once_makes_one_account(app: Flask, smtp: SMTPRecorder) -> None:
    skip_on_sqlite(app)
    for round_ in range(ROUNDS):
        smtp.clear()
        address = f"nina{round_}@example.org"
        visitor, data = register_form(app, address, f"10.18.1.{round_ + 1}")
        tab = second_tab(app, visitor)
        tab.environ_base["REMOTE_ADDR"] = visitor.environ_base["REMOTE_ADDR"]

        answers = double_click((visitor, tab), "/auth/register", data, "/auth/register")

        assert [a.headers["Location"] for a in answers] == ["/auth/check-inbox"] * 2
        assert accounts_and_mails(app, address) == (1, 1)  # one account, one confirmation mail
        assert sorted(seen(c, a) for c, a in zip((visitor, tab), answers, strict=True)) == [
            [],
            [ALREADY.format("the account was registered")],
        ]
        assert [str(m["Subject"]) for m in smtp.wait_for(1)] == ["[LongLLM 2024] Confirm your email address"]


# --- the decision letters: "Send all drafts" pressed twice ------------------------------------------------


def test_send_all_letters_pressed_twice_sends_each_letter_once(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    number = new_paper(app, "Accepted and told once")
    chair = signed_in(app, "chris")
    assert seen(
        chair,
        chair.post(f"/chair/decisions/{number}", data=single_decision(chair.get("/chair/decisions"), number, "accepted", "")),
    ) == [f"#{number}: accepted."]
    templates = form(chair.get("/chair/letters"), "", "accept_letter") | {
        "accept_letter": "Dear {{ authors }}, #{{ number }} is accepted.",
        "reject_letter": "Dear {{ authors }}, no.",
    }
    assert seen(chair, chair.post("/chair/letters", data=templates)) == ["The templates are saved and 1 draft prepared."]
    asking = form(chair.get("/chair/letters"), "/chair/letters/send")  # "Send all drafts…" asks first
    button = form(chair.post("/chair/letters/send", data=asking, headers=browser("/chair/letters")), "/chair/letters/send")
    assert button["once"]
    assert button["confirm"] == "1"

    first = seen(chair, plain(chair.post("/chair/letters/send", data=button, headers=browser("/chair/letters"))))
    second = plain(chair.post("/chair/letters/send", data=button, headers=browser("/chair/letters")))

    assert first == ["1 letter sent to the authors."]
    assert seen(chair, second) == [ALREADY.format("the letters were sent")]
    assert [str(m["Subject"]) for m in smtp.messages if "accepted" in str(m["Subject"])] == [
        f"[LongLLM 2024] #{number} accepted: Accepted and told once"
    ]
