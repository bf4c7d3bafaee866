"""Sponsors end to end: an inquiry from the contact form is followed up by a chair (state, notes, the mail thread's
summary) until it is confirmed and shown on the site with its logo, tier and link. The chairs' list is paged,
searched and filtered; a logo is an image re-encoded like a photo, and a refused one changes nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from portal import images
from portal.chair import sponsors as console
from portal.db import db
from portal.models import AuditEvent, OutgoingEmail, SponsorInquiry, SponsorState, SponsorTier, StoredFile, Workshop
from portal.services import sponsors
from tests.conftest import CSRF_INPUT_RE, text_of
from tests.factories import create_users, login


@pytest.fixture
def chair(app: Flask) -> FlaskClient:
    create_users(app, {"email": "chair@example.org", "name": "Carla Chair", "roles": ("chair",)})
    client = app.test_client()
    login(client, "chair@example.org")
    return client


def inquire(app: Flask, organization: str = "Compiler Labs", email: str = "grace@example.org", **extra: Any) -> int:
    """An inquiry as the contact form stores it (its two mails queued), with ``extra`` set afterwards."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        inquiry, _ = sponsors.submit_inquiry(
            ws, name="Grace Hopper", organization=organization, email=email, interest="compute", message="GPU credits?"
        )
        for name, value in extra.items():
            setattr(inquiry, name, value)
        db.session.commit()
        return inquiry.id


def png(width: int = 600, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (20, 80, 160, 255)).save(out, "PNG")
    return out.getvalue()


def save(client: FlaskClient, inquiry_id: int, logo: tuple[bytes, str] | None = None, **fields: Any) -> Any:
    url = f"/chair/sponsors/{inquiry_id}"
    token = CSRF_INPUT_RE.search(client.get(url).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    data: dict[str, Any] = {
        "csrf_token": token,
        "state": "new",
        "tier": "",
        "display_name": "",
        "website": "",
        "thread_summary": "",
        "notes": "",
        "save": "1",
        **fields,
    }
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return client.post(url, data=data, content_type="multipart/form-data")


def row(app: Flask, inquiry_id: int) -> SponsorInquiry:
    with app.app_context():
        inquiry = db.session.get(SponsorInquiry, inquiry_id)
        assert inquiry is not None
        db.session.expunge(inquiry)
        return inquiry


def test_a_chair_follows_an_inquiry_up_and_the_audit_log_says_so(app: Flask, chair: FlaskClient) -> None:
    inquiry_id = inquire(app)
    page = text_of(chair.get(f"/chair/sponsors/{inquiry_id}"))
    assert "Their message GPU credits?" in page
    # The portal's two mails with the sponsor: the organizers' copy (reply-to the sponsor) and the acknowledgement.
    assert "“[LongLLM 2024] Sponsorship inquiry from Compiler Labs” to longllm.workshop@gmail.com (queued)" in page
    assert "“[LongLLM 2024] We received your sponsorship inquiry” to grace@example.org (queued)" in page

    response = save(
        chair, inquiry_id, state="in_conversation", thread_summary="Offered 10k GPU hours; wants a talk slot.", notes="Ask Ana."
    )
    assert response.status_code == 302
    assert "Saved: state, notes, thread summary." in text_of(chair.get(response.location))
    saved = row(app, inquiry_id)
    assert (saved.state, saved.thread_summary, saved.notes) == (
        SponsorState.IN_CONVERSATION,
        "Offered 10k GPU hours; wants a talk slot.",
        "Ask Ana.",
    )
    with app.app_context():
        assert [(e.action, e.summary, e.actor_name) for e in db.session.scalars(sa.select(AuditEvent))] == [
            ("sponsor.follow_up", f"Sponsor inquiry #{inquiry_id} (Compiler Labs): state, notes, thread summary", "Carla Chair")
        ]
    # Nothing of it is on the site before it is confirmed.
    assert "Compiler Labs" not in chair.get("/").get_data(as_text=True)
    assert "Compiler Labs" not in app.test_client().get("/sponsors/").get_data(as_text=True)


def test_a_confirmed_sponsor_needs_a_tier_and_a_refusal_saves_nothing(app: Flask, chair: FlaskClient) -> None:
    inquiry_id = inquire(app)
    response = save(chair, inquiry_id, state="confirmed", notes="Signed.")
    assert response.status_code == 422
    assert "Choose the tier the site shows a confirmed sponsor under." in text_of(response)
    assert (row(app, inquiry_id).state, row(app, inquiry_id).notes) == (SponsorState.NEW, "")


def test_a_tier_that_is_not_a_choice_blanks_included_is_refused_and_saves_nothing(app: Flask, chair: FlaskClient) -> None:
    inquiry_id = inquire(app)
    for tier in ("   ", "platinum"):
        response = save(chair, inquiry_id, state="in_conversation", tier=tier, notes="Signed.")
        assert response.status_code == 422, tier
        assert "Not a valid choice." in text_of(response), tier
        assert (row(app, inquiry_id).state, row(app, inquiry_id).tier, row(app, inquiry_id).notes) == (SponsorState.NEW, None, "")


def test_a_confirmed_sponsor_is_on_the_site_with_its_logo_tier_and_link(app: Flask, chair: FlaskClient) -> None:
    inquiry_id = inquire(app)
    inquire(app, organization="Declined Corp", email="no@example.org", state=SponsorState.DECLINED, tier=SponsorTier.GOLD)
    response = save(
        chair,
        inquiry_id,
        logo=(png(), "logo.png"),
        state="confirmed",
        tier="gold",
        display_name="Compiler Labs Inc.",
        website="https://compiler.example.org/",
    )
    assert response.status_code == 302
    saved = row(app, inquiry_id)
    assert saved.logo_id is not None
    visitor = app.test_client()
    for url in ("/", "/sponsors/"):
        html = visitor.get(url).get_data(as_text=True)
        assert (
            f'<a href="https://compiler.example.org/" rel="noopener sponsored"><img src="/sponsors/{inquiry_id}/logo.webp?'
            f'v={saved.logo_id}" alt="Compiler Labs Inc." width="160" height="80"'
        ) in html
        assert "Gold sponsors" in text_of(visitor.get(url))
        assert "Declined Corp" not in html
    logo = visitor.get(f"/sponsors/{inquiry_id}/logo.webp?v={saved.logo_id}")
    with app.app_context():
        file = db.session.get(StoredFile, saved.logo_id)
        assert file is not None
        assert (logo.headers["Content-Type"], logo.headers["ETag"]) == ("image/webp", f'"{file.sha256}"')
    assert "sandbox" in logo.headers["Content-Security-Policy"]
    assert logo.headers["Cache-Control"] == "public, max-age=3600"
    assert Image.open(io.BytesIO(logo.data)).size == (320, 107)  # 600 x 200 within 320 x 160, proportions kept
    # Declined (or never confirmed), its logo is no longer public; the chairs still see it.
    save(chair, inquiry_id, state="declined", tier="gold")
    assert visitor.get(f"/sponsors/{inquiry_id}/logo.webp").status_code == 404
    assert chair.get(f"/chair/sponsors/{inquiry_id}/logo.webp").status_code == 200


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"%PDF-1.7\n%%EOF\n", "logo.png"), "The logo is not a picture the portal can read (JPEG, PNG, WebP or GIF)"),
        ((b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg"), "The logo is not a picture the portal can read"),
    ],
    ids=["pdf-named-png", "svg"],
)
def test_a_disguised_logo_is_refused_on_the_form_and_nothing_is_saved(
    app: Flask, chair: FlaskClient, upload: tuple[bytes, str], message: str
) -> None:
    inquiry_id = inquire(app)
    response = save(chair, inquiry_id, logo=upload, state="in_conversation", notes="Kept?")
    assert response.status_code == 422
    assert message in text_of(response)
    saved = row(app, inquiry_id)
    assert (saved.state, saved.notes, saved.logo_id) == (SponsorState.NEW, "", None)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_logo_over_the_size_limit_is_refused_with_its_limit(
    app: Flask, chair: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_BYTES", 1024 * 1024)
    inquiry_id = inquire(app)
    response = save(chair, inquiry_id, logo=(png(3000, 3000) + b"\0" * (1024 * 1024), "big.png"))
    assert response.status_code == 422
    assert "The logo is larger than 1 MB: upload a smaller picture." in text_of(response)


def test_an_upload_past_the_request_limit_gets_the_friendly_413_page(app: Flask, chair: FlaskClient) -> None:
    inquiry_id = inquire(app)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = save(chair, inquiry_id, logo=(b"\0" * (128 * 1024), "huge.png"))
    assert response.status_code == 413
    assert "Upload too large" in text_of(response)
    assert "Nothing was saved." in text_of(response)


def test_the_chairs_list_is_paged_searched_and_filtered_by_state(app: Flask, chair: FlaskClient) -> None:
    for k in range(console.PER_PAGE + 3):
        inquire(app, organization=f"Org {k:02d}", email=f"o{k}@example.org")
    inquire(app, organization="Needle GmbH", email="needle@example.org", state=SponsorState.CONFIRMED, tier=SponsorTier.SILVER)
    first = chair.get("/chair/sponsors")
    page = text_of(first)
    assert f"{console.PER_PAGE + 3} new, 0 in conversation, 1 confirmed, 0 declined." in page
    assert f"{console.PER_PAGE + 4} inquiries, newest first; page 1 of 2." in page
    assert len(re.findall(r'<th scope="row">', first.get_data(as_text=True))) == console.PER_PAGE
    assert "Needle GmbH Silver" in page  # newest first
    second = text_of(chair.get("/chair/sponsors?page=2"))
    assert [k for k in range(console.PER_PAGE + 3) if f"Org {k:02d}" in second] == [0, 1, 2, 3]
    found = text_of(chair.get("/chair/sponsors?q=NEEDLE"))
    assert "1 inquiry matches, newest first." in found and "Org 01" not in found
    confirmed = text_of(chair.get("/chair/sponsors?state=confirmed"))
    assert "Needle GmbH" in confirmed and "Org 01" not in confirmed
    assert "No inquiry matches." in text_of(chair.get("/chair/sponsors?q=nobody"))


def test_the_mails_of_another_sponsor_are_not_in_the_thread(app: Flask, chair: FlaskClient) -> None:
    mine = inquire(app)
    inquire(app, organization="Other Org", email="other@example.org")
    page = text_of(chair.get(f"/chair/sponsors/{mine}"))
    assert "other@example.org" not in page and "Other Org" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail)) == 4
