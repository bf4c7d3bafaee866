"""The chair's members area: who may open it (and what everyone else never sees), search, reviewer and chair
roles through the table's buttons, and reviewer invitations delivered over real SMTP and answered by link."""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db
from portal.models import Invitation, OutgoingEmail, User
from tests.conftest import SMTPRecorder, Worlds, csrf_token, mail_links, post_form, text_of
from tests.factories import PASSWORD, create_users, login

CHAIR = {"email": "chair@example.org", "name": "Carla Chair", "affiliation": "Workshop University", "roles": ("chair",)}
REVIEWER = {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Review Institute", "roles": ("reviewer",)}
AUTHOR = {"email": "arthur@example.org", "name": "Arthur Author", "affiliation": "Paper College"}
SECRET = {"email": "secret@example.org", "name": "Secret Person", "affiliation": "Hidden Lab"}
SECRET_INVITEE = ("Secret Invitee", "secret.invitee@example.org")
SECRET_TOKEN = "secret-invitation-token"

LEAKS = ["Secret Person", "secret@example.org", "Hidden Lab", *SECRET_INVITEE]
SUBJECT = "[LongLLM 2024] Invitation to review"
INVITE_PASTE = "Ada Lovelace <ada@example.org>\nnot an address\nada@example.org\nBob <bob@example.org>"
BAD_ADDRESS = "not an address in the form Name <email@example.org> (nor Name email@example.org, nor Name,email)"


# --- helpers ------------------------------------------------------------------------------------------


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, text_of(response)
    return client


def user_row(app: Flask, email: str) -> tuple[str, bool, bool, bool]:
    """(name, is_reviewer, is_chair, confirmed) of the account with this address."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None, f"no account {email}"
        return user.name, user.is_reviewer, user.is_chair, user.is_confirmed


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        uid = db.session.scalar(sa.select(User.id).where(User.email == email))
        assert uid is not None
        return uid


def invitation_id(app: Flask, email: str) -> int:
    with app.app_context():
        iid = db.session.scalar(sa.select(Invitation.id).where(Invitation.email == email))
        assert iid is not None
        return iid


def snapshot(app: Flask) -> dict[str, Any]:
    """Everything a members route may change: roles, invitations (with their links), the outbox."""
    with app.app_context():
        users = db.session.execute(sa.select(User.id, User.email, User.name, User.is_reviewer, User.is_chair).order_by(User.id))
        invitations = db.session.execute(
            sa.select(Invitation.id, Invitation.email, Invitation.state, Invitation.token_hash, Invitation.times_sent).order_by(
                Invitation.id
            )
        )
        mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail))
        return {"users": [tuple(r) for r in users], "invitations": [tuple(r) for r in invitations], "mails": mails}


def row_names(response: TestResponse) -> list[str]:
    """The row headers of the page's table: people's (or invitees') names, in the order shown."""
    return [html_lib.unescape(n) for n in re.findall(r'<th scope="row">([^<]*)</th>', response.get_data(as_text=True))]


INVITATION_ROW = re.compile(
    r'<th scope="row">([^<]*)</th>\s*<td>([^<]*)</td>\s*<td><span class="badge[^"]*">(\w+)</span></td>\s*'
    r'<td class="num">(\d+)</td>'
)


def invitation_rows(client: FlaskClient) -> list[tuple[str, str, str, int]]:
    """(name, email, state, times sent) of each row of the chair's invitation list, newest first."""
    page = client.get("/members/invitations")
    assert page.status_code == 200
    return [
        (html_lib.unescape(name), email, state, int(times))
        for name, email, state, times in INVITATION_ROW.findall(page.get_data(as_text=True))
    ]


BUTTON_FORM = re.compile(r'(?s)<form method="post" action="([^"]+)" class="inline">(.*?)</form>')


def button_data(client: FlaskClient, page_url: str, action: str, label: str) -> dict[str, str]:
    """The hidden fields (CSRF token included) of the button on ``page_url`` that posts to ``action``."""
    html = client.get(page_url).get_data(as_text=True)
    for form_action, inner in BUTTON_FORM.findall(html):
        if form_action == action and re.search(rf"<button[^>]*>{re.escape(label)}</button>", inner):
            return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', inner))
    raise AssertionError(f"no button {label!r} posting to {action} on {page_url}")


def press(client: FlaskClient, page_url: str, action: str, label: str, **kwargs: Any) -> TestResponse:
    """Open ``page_url`` and press its button ``label`` (posting to ``action``), the way a browser does."""
    return client.post(action, data=button_data(client, page_url, action, label), **kwargs)


def flashes(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    return [html_lib.unescape(m) for m in re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)]


def backend(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["database_url"])


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def people(app: Flask, worlds: Worlds) -> Flask:
    return worlds.get(app, build_people)


def build_people(app: Flask) -> Flask:
    """A chair, a reviewer, an author, a person only a chair may know of, and a pending invitation."""
    create_users(app, CHAIR, REVIEWER, AUTHOR, SECRET)
    with app.app_context():
        chair = db.session.scalar(sa.select(User).where(User.email == CHAIR["email"]))
        name, email = SECRET_INVITEE
        db.session.add(
            Invitation(
                email=email,
                name=name,
                invited_by=chair,
                token_hash=hashlib.sha256(SECRET_TOKEN.encode()).hexdigest(),
            )
        )
        db.session.commit()
    return app


@pytest.fixture
def chair(people: Flask) -> FlaskClient:
    return signed_in(people, CHAIR["email"])


# --- permission matrix --------------------------------------------------------------------------------

# (method, path template, form data): every route of the members blueprint.
ROUTES = [
    ("GET", "/members/", None),
    ("GET", "/members/?q=secret", None),
    ("POST", "/members/{secret}/role", {"role": "chair", "grant": "1"}),
    ("POST", "/members/{author}/role", {"role": "reviewer", "grant": "1"}),
    ("GET", "/members/invitations", None),
    ("POST", "/members/invitations", {"lines": "Eve Intruder <eve@example.org>\nsecret@example.org"}),
    ("POST", "/members/invitations/{invitation}/resend", {}),
    ("POST", "/members/invitations/{invitation}/revoke", {}),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


def resolve(app: Flask, path: str) -> str:
    return path.format(
        secret=user_id(app, SECRET["email"]),
        author=user_id(app, AUTHOR["email"]),
        invitation=invitation_id(app, SECRET_INVITEE[1]),
    )


def request_as(client: FlaskClient, method: str, path: str, data: dict[str, str] | None, token_page: str) -> TestResponse:
    if method == "GET":
        return client.get(path)
    # A valid CSRF token of this session, so the refusal comes from the permission check, not from CSRF.
    return client.post(path, data={"csrf_token": csrf_token(client, token_page), **(data or {})})


def assert_no_leak(response: TestResponse) -> None:
    html = response.get_data(as_text=True)
    for secret in LEAKS:
        assert secret not in html
    assert 'href="/members' not in html  # not even a link to the chair's pages


@pytest.mark.parametrize(("method", "path", "data"), ROUTES, ids=ROUTE_IDS)
def test_members_route_sends_anonymous_to_sign_in_and_changes_nothing(
    people: Flask, smtp: SMTPRecorder, method: str, path: str, data: dict[str, str] | None
) -> None:
    path = resolve(people, path)
    client = people.test_client()
    before = snapshot(people)

    response = request_as(client, method, path, data, "/auth/login")

    assert response.status_code == 302
    # A GET comes back to its page after sign-in; a POST (a button on an expired page) to the page it came
    # from, never to its POST-only address.
    expected = f"/auth/login?next={quote(path, safe='')}" if method == "GET" else "/auth/login"
    assert response.headers["Location"] == expected
    assert_no_leak(response)
    login_page = client.get(response.headers["Location"])
    assert "Please sign in to see this page." in text_of(login_page)
    assert_no_leak(login_page)
    assert snapshot(people) == before
    assert smtp.messages == []


@pytest.mark.parametrize("who", [AUTHOR, REVIEWER], ids=["author", "reviewer"])
@pytest.mark.parametrize(("method", "path", "data"), ROUTES, ids=ROUTE_IDS)
def test_members_route_is_forbidden_to_authors_and_reviewers_and_changes_nothing(
    people: Flask, smtp: SMTPRecorder, who: dict[str, Any], method: str, path: str, data: dict[str, str] | None
) -> None:
    path = resolve(people, path)
    client = signed_in(people, who["email"])
    before = snapshot(people)

    response = request_as(client, method, path, data, "/account/profile")

    assert response.status_code == 403
    page = text_of(response)
    assert "Error 403 Not allowed You do not have permission to do this." in page
    assert f"{who['name']} Sign out" in page  # still signed in, and the header offers no Members link
    assert "Members" not in page
    assert_no_leak(response)
    assert snapshot(people) == before
    assert smtp.messages == []


def test_members_pages_work_for_a_chair(chair: FlaskClient, people: Flask) -> None:
    members = chair.get("/members/")
    assert members.status_code == 200
    assert row_names(members) == ["Arthur Author", "Carla Chair", "Rita Reviewer", "Secret Person"]
    page = text_of(members)
    assert "4 people." in page
    assert "Secret Person secret@example.org Hidden Lab author yes Make reviewer Make area chair Make chair" in page
    assert (
        "Carla Chair chair@example.org Workshop University author, chair yes Make reviewer Make area chair Remove chair" in page
    )

    assert invitation_rows(chair) == [("Secret Invitee", "secret.invitee@example.org", "pending", 1)]


def test_chair_gets_the_members_page_after_signing_in_from_the_redirect(people: Flask) -> None:
    client = people.test_client()
    redirect = client.get("/members/invitations")
    # Sign in through the form the redirect leads to (its action keeps the next parameter).
    response = post_form(client, redirect.headers["Location"], {"email": CHAIR["email"], "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/members/invitations"


# --- search -------------------------------------------------------------------------------------------

SEARCH_PEOPLE = [
    {"email": "ada@example.org", "name": "Ada Lovelace", "affiliation": "Analytical Engines Ltd", "roles": ("reviewer",)},
    {"email": "grace.hopper@navy.example.mil", "name": "Grace Hopper", "affiliation": "US Navy", "roles": ("reviewer", "chair")},
    {"email": "percy@example.org", "name": "Percy Cent", "affiliation": "100% Research"},
    {"email": "under_score@example.org", "name": "Una Score", "affiliation": "Underscore Inc"},
    {"email": "plain@example.org", "name": "Paula Plain", "affiliation": "Plain College"},
    {"email": "bea@example.org", "name": "Bea Slash", "affiliation": "Lab A\\B"},
]


@pytest.fixture
def searchable(chair: FlaskClient, people: Flask) -> FlaskClient:
    create_users(people, *SEARCH_PEOPLE)
    return chair


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"q": "LOVE"}, ["Ada Lovelace"]),  # part of a name, another case
        ({"q": "ovel"}, ["Ada Lovelace"]),
        ({"q": "Navy.Example"}, ["Grace Hopper"]),  # part of an email
        (
            {"q": "@example.org"},
            [
                "Ada Lovelace",
                "Arthur Author",
                "Bea Slash",
                "Carla Chair",
                "Paula Plain",
                "Percy Cent",
                "Rita Reviewer",
                "Secret Person",
                "Una Score",
            ],
        ),
        ({"q": "analytical engines"}, ["Ada Lovelace"]),  # part of an affiliation
        ({"q": "  hidden LAB "}, ["Secret Person"]),
        ({"q": "%"}, ["Percy Cent"]),  # literal, not "anything"
        ({"q": "0%"}, ["Percy Cent"]),
        ({"q": "_"}, ["Una Score"]),  # literal, not "any one character"
        ({"q": "r_s"}, ["Una Score"]),
        ({"q": "\\"}, ["Bea Slash"]),  # the escape character itself is literal too
        ({"q": "a\\b"}, ["Bea Slash"]),
        ({"q": "nobody here"}, []),
        ({"role": "reviewer"}, ["Ada Lovelace", "Grace Hopper", "Rita Reviewer"]),
        ({"role": "chair"}, ["Carla Chair", "Grace Hopper"]),
        ({"role": "chair", "q": "hopper"}, ["Grace Hopper"]),
        ({"role": "chair", "q": "ada"}, []),
        (
            {"role": "everyone-else"},
            [
                "Ada Lovelace",
                "Arthur Author",
                "Bea Slash",
                "Carla Chair",
                "Grace Hopper",
                "Paula Plain",
                "Percy Cent",
                "Rita Reviewer",
                "Secret Person",
                "Una Score",
            ],
        ),
    ],
)
def test_search_finds_part_of_name_email_or_affiliation(searchable: FlaskClient, query: dict[str, str], names: list[str]) -> None:
    response = searchable.get("/members/", query_string=query)
    assert response.status_code == 200
    assert row_names(response) == names
    page = text_of(response)
    q = query.get("q", "").strip()
    count = f"{len(names)} {'person' if len(names) == 1 else 'people'}"
    assert (f"{count} matching “{q}”." if q else f"{count}.") in page
    if not names:
        assert "Nobody matches." in page


def test_search_keeps_the_query_and_role_in_the_form(searchable: FlaskClient) -> None:
    html = searchable.get("/members/", query_string={"q": '"<Ada>"', "role": "reviewer"}).get_data(as_text=True)
    assert '<input type="search" id="q" name="q" value="&#34;&lt;Ada&gt;&#34;">' in html
    assert '<option value="reviewer" selected>Reviewers</option>' in html


def test_search_ignores_case_of_accented_letters(request: pytest.FixtureRequest, searchable: FlaskClient, people: Flask) -> None:
    create_users(people, {"email": "emilie@example.org", "name": "Émilie du Châtelet", "affiliation": "Cirey"})
    assert row_names(searchable.get("/members/", query_string={"q": "émilie"})) == ["Émilie du Châtelet"]
    assert row_names(searchable.get("/members/", query_string={"q": "CHÂTELET"})) == ["Émilie du Châtelet"]


@pytest.mark.parametrize("app_config", [{"MEMBERS_PER_PAGE": 3}])
def test_members_list_pages_keep_the_search(searchable: FlaskClient) -> None:
    first = searchable.get("/members/", query_string={"q": "example", "role": "reviewer"})
    assert row_names(first) == ["Ada Lovelace", "Grace Hopper", "Rita Reviewer"]

    first = searchable.get("/members/", query_string={"q": "example"})
    assert row_names(first) == ["Ada Lovelace", "Arthur Author", "Bea Slash"]
    page = text_of(first)
    assert "10 people matching “example”." in page
    assert "Page 1 of 4 Next" in page
    assert 'href="/members/?q=example&amp;page=2" rel="next"' in first.get_data(as_text=True)
    second = searchable.get("/members/", query_string={"q": "example", "page": 2})
    assert row_names(second) == ["Carla Chair", "Grace Hopper", "Paula Plain"]
    assert "Previous Page 2 of 4 Next" in text_of(second)
    last = searchable.get("/members/", query_string={"q": "example", "page": 4})
    assert row_names(last) == ["Una Score"]
    for bad in ("x", "0", "-3"):
        assert row_names(searchable.get("/members/", query_string={"q": "example", "page": bad})) == [
            "Ada Lovelace",
            "Arthur Author",
            "Bea Slash",
        ]


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_members_list_with_a_huge_page_number_is_not_a_server_error(searchable: FlaskClient) -> None:
    response = searchable.get("/members/", query_string={"page": "9" * 18})
    assert response.status_code == 200
    # A page past the end shows the last page.
    assert row_names(response) == row_names(searchable.get("/members/"))


# --- roles --------------------------------------------------------------------------------------------


def test_chair_grants_and_revokes_reviewer_and_chair_roles_with_the_buttons(
    chair: FlaskClient, people: Flask, smtp: SMTPRecorder
) -> None:
    action = f"/members/{user_id(people, SECRET['email'])}/role"

    response = press(chair, "/members/", action, "Make reviewer", follow_redirects=True)
    assert flashes(response) == ["Secret Person is now a reviewer."]
    assert "Secret Person secret@example.org Hidden Lab author, reviewer yes Remove reviewer Make area chair Make chair" in (
        text_of(response)
    )
    assert user_row(people, SECRET["email"]) == ("Secret Person", True, False, True)

    response = press(chair, "/members/", action, "Make chair", follow_redirects=True)
    assert flashes(response) == ["Secret Person is now a chair."]
    assert (
        "Secret Person secret@example.org Hidden Lab author, reviewer, chair yes Remove reviewer Make area chair Remove chair"
        in (text_of(response))
    )
    assert user_row(people, SECRET["email"]) == ("Secret Person", True, True, True)

    response = press(chair, "/members/", action, "Remove reviewer", follow_redirects=True)
    assert flashes(response) == ["Secret Person is no longer a reviewer."]
    assert user_row(people, SECRET["email"]) == ("Secret Person", False, True, True)

    response = press(chair, "/members/", action, "Remove chair", follow_redirects=True)
    assert flashes(response) == ["Secret Person is no longer a chair."]
    assert "Secret Person secret@example.org Hidden Lab author yes Make reviewer Make area chair Make chair" in text_of(response)
    assert user_row(people, SECRET["email"]) == ("Secret Person", False, False, True)
    # Each role granted is announced to the person (from the chair, who is the Reply-To); one taken away is not.
    granted = smtp.wait_for(2)
    assert [(m["To"], m["Subject"], m["Reply-To"]) for m in granted] == [
        (SECRET["email"], SUBJECT.replace("Invitation to review", "You are now a reviewer"), CHAIR["email"]),
        (SECRET["email"], SUBJECT.replace("Invitation to review", "You are now a chair"), CHAIR["email"]),
    ]
    assert "made you a chair of" in granted[1].get_content() and "/chair/" in granted[1].get_content()
    assert smtp.wait_for(3, timeout=0.3) == granted


def test_role_change_returns_to_the_filtered_list_it_came_from(chair: FlaskClient, people: Flask) -> None:
    action = f"/members/{user_id(people, AUTHOR['email'])}/role"
    page_url = "/members/?q=arthur"
    data = button_data(chair, page_url, action, "Make reviewer")
    response = chair.post(action, data=data, headers={"Referer": f"http://localhost{page_url}"})
    assert response.headers["Location"] == f"http://localhost{page_url}"
    assert user_row(people, AUTHOR["email"]) == ("Arthur Author", True, False, True)
    # A referrer on another site is not followed.
    response = chair.post(action, data={**data, "grant": "0"}, headers={"Referer": "http://evil.example/members/"})
    assert response.headers["Location"] == "/members/"
    assert user_row(people, AUTHOR["email"]) == ("Arthur Author", False, False, True)


def test_last_chair_cannot_remove_their_own_chair_role(chair: FlaskClient, people: Flask) -> None:
    action = f"/members/{user_id(people, CHAIR['email'])}/role"
    response = press(chair, "/members/", action, "Remove chair", follow_redirects=True)
    assert flashes(response) == ["Carla Chair is the last chair; make someone else a chair first."]
    assert "Carla Chair chair@example.org Workshop University author, chair yes Make reviewer Make area chair Remove chair" in (
        text_of(response)
    )
    assert user_row(people, CHAIR["email"]) == ("Carla Chair", False, True, True)


def test_chair_who_steps_down_while_another_chair_remains_loses_the_members_pages(chair: FlaskClient, people: Flask) -> None:
    press(chair, "/members/", f"/members/{user_id(people, SECRET['email'])}/role", "Make chair")
    response = press(
        chair, "/members/", f"/members/{user_id(people, CHAIR['email'])}/role", "Remove chair", follow_redirects=True
    )
    assert response.status_code == 403
    assert "Error 403 Not allowed" in text_of(response)
    assert user_row(people, CHAIR["email"]) == ("Carla Chair", False, False, True)
    assert user_row(people, SECRET["email"]) == ("Secret Person", False, True, True)


@pytest.mark.parametrize(
    "data",
    [{"role": "admin", "grant": "1"}, {"role": "chair", "grant": "yes"}, {"role": "", "grant": ""}],
    ids=["unknown role", "bad grant", "empty"],
)
def test_role_change_with_tampered_fields_is_refused(chair: FlaskClient, people: Flask, data: dict[str, str]) -> None:
    before = snapshot(people)
    action = f"/members/{user_id(people, SECRET['email'])}/role"
    response = chair.post(action, data={"csrf_token": csrf_token(chair, "/members/invitations"), **data})
    assert response.status_code == 400
    assert "Error 400 Bad request" in text_of(response)
    assert snapshot(people) == before


def test_role_change_without_csrf_token_is_refused(chair: FlaskClient, people: Flask) -> None:
    before = snapshot(people)
    response = chair.post(f"/members/{user_id(people, SECRET['email'])}/role", data={"role": "chair", "grant": "1"})
    assert response.status_code == 400
    assert "The form's security token was missing or had expired" in text_of(response)
    assert snapshot(people) == before


def test_role_change_for_a_missing_account_is_404(chair: FlaskClient, people: Flask) -> None:
    response = chair.post(
        "/members/9999/role", data={"csrf_token": csrf_token(chair, "/members/invitations"), "role": "reviewer", "grant": "1"}
    )
    assert response.status_code == 404
    assert "Error 404 Page not found" in text_of(response)


# --- invitations --------------------------------------------------------------------------------------


def invite(chair: FlaskClient, lines: str) -> TestResponse:
    response = post_form(chair, "/members/invitations", {"lines": lines}, follow_redirects=True)
    assert response.status_code == 200, text_of(response)
    return response


def links_of(message: EmailMessage) -> tuple[str, str]:
    accept, decline = mail_links(message)
    assert re.fullmatch(r"/auth/invitations/[\w-]+/accept", accept), accept
    assert decline == accept.removesuffix("/accept") + "/decline"
    return accept, decline


def test_chair_invites_reviewers_from_pasted_lines_over_smtp(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    response = post_form(chair, "/members/invitations", {"lines": INVITE_PASTE})

    assert response.status_code == 200
    assert flashes(response) == ["2 invitations sent."]
    page = text_of(response)
    assert (
        f"2 lines were not invited not an address: {BAD_ADDRESS} ada@example.org: listed twice "
        "They are left in the box below to correct."
    ) in page
    assert re.search(
        r'<textarea[^>]*name="lines"[^>]*>\s*not an address\nada@example.org</textarea>', response.get_data(as_text=True)
    )

    messages = smtp.wait_for(2)
    assert sorted(str(m["To"]) for m in messages) == ["ada@example.org", "bob@example.org"]
    [to_ada], [to_bob] = smtp.to("ada@example.org"), smtp.to("bob@example.org")
    for message, name in [(to_ada, "Ada Lovelace"), (to_bob, "Bob")]:
        assert message["Subject"] == SUBJECT
        assert message["Reply-To"] == CHAIR["email"]
        body = message.get_content().replace("\r\n", "\n")
        assert body.startswith(f"Dear {name},\n")
        assert "Carla Chair\ninvites you to join the program committee" in body
        links_of(message)
    assert links_of(to_ada) != links_of(to_bob)

    assert invitation_rows(chair) == [
        ("Bob", "bob@example.org", "pending", 1),
        ("Ada Lovelace", "ada@example.org", "pending", 1),
        ("Secret Invitee", "secret.invitee@example.org", "pending", 1),
    ]


def test_invitation_list_without_problems_redirects_and_clears_the_box(chair: FlaskClient, smtp: SMTPRecorder) -> None:
    response = post_form(chair, "/members/invitations", {"lines": "Ada Lovelace <ADA@Example.org>"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/members/invitations"
    page = chair.get("/members/invitations")
    assert flashes(page) == ["1 invitation sent."]
    assert re.search(r'<textarea[^>]*name="lines"[^>]*>\s*</textarea>', page.get_data(as_text=True))
    assert [str(m["To"]) for m in smtp.wait_for(1)] == ["ada@example.org"]


def test_empty_invitation_box_is_an_error(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    before = snapshot(people)
    response = post_form(chair, "/members/invitations", {"lines": " \n "})
    assert response.status_code == 422
    assert "Please correct this problem Reviewers to invite: Paste at least one line." in text_of(response)
    assert snapshot(people) == before
    assert smtp.messages == []


def test_accept_without_account_leads_to_registration_as_confirmed_reviewer(
    chair: FlaskClient, people: Flask, smtp: SMTPRecorder
) -> None:
    invite(chair, INVITE_PASTE)
    smtp.wait_for(2)
    accept, _ = links_of(smtp.to("ada@example.org")[0])
    token = accept.split("/")[3]
    smtp.clear()

    visitor = people.test_client()
    page = visitor.get(accept)
    assert page.status_code == 200
    text = text_of(page)
    assert (
        "Invitation to review Ada Lovelace, the organizers of LongLLM 2024 invite you to review submissions to "
        "the workshop, as ada@example.org."
    ) in text
    assert "Accept the invitation" in text

    response = post_form(visitor, accept, {})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/register?invitation={token}"
    assert invitation_rows(chair)[1] == ("Ada Lovelace", "ada@example.org", "pending", 1)  # not until registered

    register = visitor.get(response.headers["Location"])
    assert "You are accepting the invitation to review for LongLLM 2024 as ada@example.org." in text_of(register)
    html = register.get_data(as_text=True)
    email_input = re.search(r'<input[^>]*id="email"[^>]*>', html)
    assert email_input is not None
    assert " readonly" in email_input.group(0)
    assert 'value="ada@example.org"' in email_input.group(0)
    assert re.search(r'<input[^>]*id="name"[^>]*value="Ada Lovelace"', html)

    response = post_form(
        visitor,
        f"/auth/register?invitation={token}",
        {
            "name": "Ada King",
            "email": "ada@example.org",
            "affiliation": "Analytical Engines Ltd",
            "orcid": "",
            "homepage": "",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        follow_redirects=True,
    )

    assert response.request.path == "/account/"
    assert flashes(response) == ["Welcome! Your account is ready and you are now a reviewer."]
    page = text_of(response)
    assert "Name Ada King Email ada@example.org Affiliation Analytical Engines Ltd" in page
    assert "Roles author, reviewer" in page
    assert user_row(people, "ada@example.org") == ("Ada King", True, False, True)
    assert smtp.wait_for(1, timeout=0.3) == []  # no confirmation mail: the invitation reached this inbox
    assert invitation_rows(chair)[1] == ("Ada Lovelace", "ada@example.org", "accepted", 1)

    # The link is used up.
    again = visitor.get(accept)
    assert "You have accepted this invitation already." in text_of(again)
    assert "Accept the invitation" not in text_of(again)


def test_registration_from_an_invitation_keeps_the_invited_address(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    invite(chair, "Ada Lovelace <ada@example.org>")
    accept, _ = links_of(smtp.wait_for(1)[0])
    token = accept.split("/")[3]
    visitor = people.test_client()
    post_form(visitor, accept, {})

    response = post_form(
        visitor,
        f"/auth/register?invitation={token}",
        {
            "name": "Mallory",
            "email": "mallory@example.org",
            "affiliation": "Elsewhere",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )

    assert response.headers["Location"] == "/account/"
    assert user_row(people, "ada@example.org") == ("Mallory", True, False, True)
    with people.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "mallory@example.org")) is None


def test_registration_from_an_invitation_still_asks_for_a_good_password(
    chair: FlaskClient, people: Flask, smtp: SMTPRecorder
) -> None:
    invite(chair, "Ada Lovelace <ada@example.org>")
    accept, _ = links_of(smtp.wait_for(1)[0])
    token = accept.split("/")[3]
    visitor = people.test_client()
    post_form(visitor, accept, {})

    response = post_form(
        visitor,
        f"/auth/register?invitation={token}",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "affiliation": "Analytical Engines Ltd",
            "password": "short",
            "confirm": "short",
        },
    )

    assert response.status_code == 422
    assert "Password: Use at least 12 characters (this one has 5)." in text_of(response)
    assert 'value="ada@example.org"' in response.get_data(as_text=True)
    with people.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "ada@example.org")) is None
    assert invitation_rows(chair)[0] == ("Ada Lovelace", "ada@example.org", "pending", 1)


def test_decline_link_marks_the_invitation_declined(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    invite(chair, "Bob <bob@example.org>")
    accept, decline = links_of(smtp.wait_for(1)[0])

    visitor = people.test_client()
    page = visitor.get(decline)
    assert "Declining tells the organizers you cannot review this time. Decline the invitation" in text_of(page)
    response = post_form(visitor, decline, {}, follow_redirects=True)

    assert response.request.path == "/"
    assert flashes(response) == ["You declined the invitation. Thank you for letting us know."]
    assert invitation_rows(chair)[0] == ("Bob", "bob@example.org", "declined", 1)
    with people.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "bob@example.org")) is None
    # Accepting afterwards is refused (the page offers no button; a page left open posts anyway), changing nothing.
    assert "You have declined this invitation already." in text_of(visitor.get(accept))
    response = visitor.post(accept, data={"csrf_token": csrf_token(visitor, "/auth/login")})
    assert response.status_code == 200
    assert "You have declined this invitation already." in text_of(response)
    assert invitation_rows(chair)[0] == ("Bob", "bob@example.org", "declined", 1)


def test_accept_for_an_existing_account_makes_it_a_reviewer(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    invite(chair, "Arthur <Arthur@Example.org>")
    [message] = smtp.wait_for(1)
    assert message["To"] == AUTHOR["email"]
    accept, _ = links_of(message)

    visitor = people.test_client()
    response = post_form(visitor, accept, {}, follow_redirects=True)

    assert response.request.path == "/auth/login"
    assert flashes(response) == ["Thank you! The account arthur@example.org is now a reviewer."]
    assert user_row(people, AUTHOR["email"]) == ("Arthur Author", True, False, True)
    assert invitation_rows(chair)[0] == ("Arthur", "arthur@example.org", "accepted", 1)


def test_accept_while_signed_in_as_the_invited_account_returns_to_the_account(
    chair: FlaskClient, people: Flask, smtp: SMTPRecorder
) -> None:
    invite(chair, "Arthur <arthur@example.org>")
    accept, _ = links_of(smtp.wait_for(1)[0])
    author = signed_in(people, AUTHOR["email"])

    response = post_form(author, accept, {}, follow_redirects=True)

    assert response.request.path == "/account/"
    assert flashes(response) == ["Thank you! The account arthur@example.org is now a reviewer."]
    assert "Roles author, reviewer" in text_of(response)


def test_resend_gives_a_new_link_and_the_old_one_stops_working(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    invite(chair, "Ada Lovelace <ada@example.org>")
    old_accept, old_decline = links_of(smtp.wait_for(1)[0])
    smtp.clear()
    action = f"/members/invitations/{invitation_id(people, 'ada@example.org')}/resend"

    response = press(chair, "/members/invitations", action, "Resend", follow_redirects=True)

    assert flashes(response) == ["The invitation to ada@example.org was sent again, with a new link."]
    [message] = smtp.wait_for(1)
    assert message["Subject"] == SUBJECT
    new_accept, _ = links_of(message)
    assert new_accept != old_accept
    assert invitation_rows(chair)[0] == ("Ada Lovelace", "ada@example.org", "pending", 2)

    visitor = people.test_client()
    for old in (old_accept, old_decline):
        stale = visitor.get(old)
        assert stale.status_code == 404
        assert (
            "This link does not work This invitation link is not valid: it may have been replaced by a newer one."
        ) in text_of(stale)
        assert "Ada Lovelace" not in text_of(stale)
    assert "Accept the invitation" in text_of(visitor.get(new_accept))


def test_revoked_invitation_link_says_it_was_withdrawn(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    invite(chair, "Ada Lovelace <ada@example.org>")
    accept, decline = links_of(smtp.wait_for(1)[0])
    action = f"/members/invitations/{invitation_id(people, 'ada@example.org')}/revoke"

    response = press(chair, "/members/invitations", action, "Withdraw", follow_redirects=True)

    assert flashes(response) == ["The invitation to ada@example.org is withdrawn; its link no longer works."]
    assert invitation_rows(chair)[0] == ("Ada Lovelace", "ada@example.org", "revoked", 1)
    assert f'action="{action}"' not in response.get_data(as_text=True)  # no more buttons on its row

    visitor = people.test_client()
    for link in (accept, decline):
        page = visitor.get(link)
        assert "The organizers withdrew this invitation." in text_of(page)
        assert "the invitation</button>" not in page.get_data(as_text=True)
    # Posting anyway (a page left open from before) is refused too.
    response = visitor.post(accept, data={"csrf_token": csrf_token(visitor, "/auth/login")})
    assert "The organizers withdrew this invitation." in text_of(response)
    assert invitation_rows(chair)[0] == ("Ada Lovelace", "ada@example.org", "revoked", 1)
    with people.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "ada@example.org")) is None


def test_resend_or_revoke_of_an_answered_invitation_is_refused(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    iid = invitation_id(people, SECRET_INVITEE[1])
    press(chair, "/members/invitations", f"/members/invitations/{iid}/revoke", "Withdraw")
    token = csrf_token(chair, "/members/invitations")

    response = chair.post(f"/members/invitations/{iid}/resend", data={"csrf_token": token}, follow_redirects=True)
    assert flashes(response) == ["This invitation is revoked; only pending invitations are resent."]
    response = chair.post(f"/members/invitations/{iid}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert flashes(response) == ["This invitation is revoked already."]
    assert invitation_rows(chair) == [("Secret Invitee", "secret.invitee@example.org", "revoked", 1)]
    assert smtp.messages == []


def test_inviting_a_reviewer_or_a_pending_invitee_again_is_skipped(chair: FlaskClient, people: Flask, smtp: SMTPRecorder) -> None:
    before = snapshot(people)
    response = invite(chair, f"Rita Reviewer <{REVIEWER['email']}>\n{SECRET_INVITEE[1]}")

    assert flashes(response) == []
    assert (
        f"2 lines were not invited Rita Reviewer <{REVIEWER['email']}>: already a reviewer "
        f"{SECRET_INVITEE[1]}: already invited and not yet answered (resend it from the list)"
    ) in text_of(response)
    assert snapshot(people) == before
    assert smtp.wait_for(1, timeout=0.3) == []


def test_unknown_invitation_link_is_404_and_says_so(people: Flask) -> None:
    response = people.test_client().get("/auth/invitations/not-a-token/accept")
    assert response.status_code == 404
    assert "This invitation link is not valid" in text_of(response)


def test_anonymous_button_press_returns_to_its_page_after_sign_in(people: Flask) -> None:
    client = people.test_client()
    token = csrf_token(client, "/auth/login")
    data = {"role": "chair", "grant": "1", "csrf_token": token}
    response = client.post("/members/1/role", data=data, headers={"Referer": "http://localhost/members/?q=ada"})
    assert response.headers["Location"] == "/auth/login?next=/members/"
    foreign = client.post("/members/1/role", data=data, headers={"Referer": "https://evil.example.org/members/"})
    assert foreign.headers["Location"] == "/auth/login"
