"""Links in mail never come from the request: they are built from BASE_URL whatever Host (or, behind a proxy,
X-Forwarded-Host) a request names; outside debug and testing a request naming another host than BASE_URL's
gets the 400 page before any view runs, and so sends no mail."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import CSRF_RE, SMTPRecorder, text_of
from tests.factories import create_users
from tests.views.test_auth import REG

BASE = "https://portal.example.org"
EVIL = "evil.example.org"
# As in production: not testing, so TRUSTED_HOSTS is BASE_URL's host; the session cookie is Secure, hence https.
PRODUCTION = {"TESTING": False, "BASE_URL": BASE}
REFUSED = f"Error 400 Wrong address This site does not answer at the address you asked for. It is at {BASE}. Go to the home page"


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return getattr(request, "param", {})


def links(message: EmailMessage) -> list[str]:
    """Every absolute link in a mail that arrived."""
    return re.findall(r"https?://\S+", message.get_content())


def post_naming(client: FlaskClient, site: str, host: str, path: str, data: dict[str, str], **headers: str) -> TestResponse:
    """Post the form at ``site + path`` with its CSRF token and session, the request naming ``host`` (its Host
    header), as a script can: the form's token and cookie are fetched from the site, then sent to ``host``."""
    form = client.get(f"{site}{path}")
    assert form.status_code == 200, site
    token = CSRF_RE.search(form.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    scheme, domain = site.split("://")
    client.set_cookie("session", client.get_cookie("session", domain=domain).value, domain=host)  # type: ignore[union-attr]
    return client.post(
        f"{scheme}://{host}{path}", data={"csrf_token": token, **data}, headers={"Referer": f"{scheme}://{host}{path}", **headers}
    )


# --- debug and testing: any host is answered, but mail links never name it ----------------------------


@pytest.mark.parametrize(
    ("app_config", "site"),
    [
        ({"BASE_URL": BASE}, BASE),
        ({"BASE_URL": None}, "http://127.0.0.1:5000"),  # testing without BASE_URL: flask run's address
        ({"BASE_URL": None, "SERVER_NAME": "portal.example.org", "PREFERRED_URL_SCHEME": "https"}, BASE),
    ],
    indirect=["app_config"],
)
def test_reset_mail_asked_for_with_a_forged_host_links_only_to_base_url(app: Flask, smtp: SMTPRecorder, site: str) -> None:
    create_users(app, {"email": "ada@example.org", "name": "Ada Lovelace"})

    asked = post_naming(app.test_client(), "http://localhost", EVIL, "/auth/reset", {"email": "ada@example.org"})

    assert asked.status_code == 302
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[LongLLM 2024] Reset your password"
    [link] = links(mail)
    assert link.startswith(f"{site}/auth/reset/")


@pytest.mark.parametrize("app_config", [{"BASE_URL": None, "PROXY_FIX_X_FOR": 1}], indirect=True)
def test_confirmation_mail_asked_for_with_a_forged_forwarded_host_links_only_to_base_url(app: Flask, smtp: SMTPRecorder) -> None:
    registered = post_naming(
        app.test_client(), "http://localhost", "localhost", "/auth/register", REG, **{"X-Forwarded-Host": EVIL}
    )

    assert registered.headers["Location"] == "/auth/check-inbox"
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[LongLLM 2024] Confirm your email address"
    [link] = links(mail)
    assert link.startswith("http://127.0.0.1:5000/auth/confirm/")


# --- production: a request for another host is refused ------------------------------------------------


@pytest.mark.parametrize("app_config", [PRODUCTION], indirect=True)
def test_reset_asked_for_with_another_host_gets_the_400_page_and_sends_no_mail(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, {"email": "ada@example.org", "name": "Ada Lovelace"})
    client = app.test_client()

    refused = post_naming(client, BASE, EVIL, "/auth/reset", {"email": "ada@example.org"})

    assert refused.status_code == 400
    assert REFUSED in text_of(refused)
    assert refused.headers["Cache-Control"] == "no-store"
    assert refused.headers["X-Frame-Options"] == "DENY"  # the site's headers, as on any page
    assert "Set-Cookie" not in refused.headers
    assert smtp.wait_for(1, timeout=0.5) == []
    # The page itself is refused too, and so is a public page the cache may hold for the site's own host.
    assert client.get(f"https://{EVIL}/auth/reset").status_code == 400
    assert client.get(f"{BASE}/").status_code == 200
    home = client.get(f"https://{EVIL}/")
    assert (home.status_code, REFUSED in text_of(home)) == (400, True)

    # The same form at the site's own address (any port: the proxy's and gunicorn's) sends the mail.
    asked = post_naming(client, BASE, "portal.example.org:8443", "/auth/reset", {"email": "ada@example.org"})
    assert asked.status_code == 302
    [mail] = smtp.wait_for(1)
    [link] = links(mail)
    assert link.startswith(f"{BASE}/auth/reset/")


@pytest.mark.parametrize("app_config", [{**PRODUCTION, "PROXY_FIX_X_FOR": 1}], indirect=True)
def test_behind_the_proxy_the_forwarded_host_is_checked(app: Flask, smtp: SMTPRecorder) -> None:
    create_users(app, {"email": "ada@example.org", "name": "Ada Lovelace"})
    client = app.test_client()
    # The proxy reaches gunicorn at 127.0.0.1:8000 and says which host the visitor asked for.
    proxied = {"X-Forwarded-Host": "portal.example.org", "X-Forwarded-Proto": "https"}

    page = client.get("http://127.0.0.1:8000/auth/reset", headers=proxied)
    forged = client.get("http://127.0.0.1:8000/auth/reset", headers={**proxied, "X-Forwarded-Host": EVIL})
    refused = post_naming(
        client, BASE, "portal.example.org", "/auth/reset", {"email": "ada@example.org"}, **{"X-Forwarded-Host": EVIL}
    )

    assert page.status_code == 200
    assert "Reset your password" in text_of(page)
    assert (forged.status_code, REFUSED in text_of(forged)) == (400, True)
    assert (refused.status_code, REFUSED in text_of(refused)) == (400, True)
    assert smtp.wait_for(1, timeout=0.5) == []
