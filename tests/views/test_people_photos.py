"""People with faces: a chair uploads a photo for a speaker (panelist, organizer, steering committee member); it is
checked as an image, re-encoded at the two sizes the pages show (its EXIF, GPS location included, gone), stored and
served like the papers' files. A disguised or huge file is refused on the form, and the initials stay the fallback."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from portal.db import db
from portal.models import AuditEvent, Person, PersonRole, StoredFile, Workshop
from tests.conftest import CSRF_INPUT_RE, text_of
from tests.factories import create_users, login
from tests.unit.test_images import DAMAGED_EXIF, bomb_png, jpeg_with_location


@pytest.fixture
def chair(app: Flask) -> FlaskClient:
    create_users(app, {"email": "chair@example.org", "name": "Carla Chair", "roles": ("chair",)})
    client = app.test_client()
    login(client, "chair@example.org")
    return client


def speaker(app: Flask, slug: str = "yejin-choi") -> Person:
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.slug == slug))
        assert person is not None
        db.session.expunge(person)
        return person


def photo_url(person: Person) -> str:
    return f"/chair/content/people/{person.role.value}/{person.id}/photo"


def upload(client: FlaskClient, person: Person, data: bytes, name: str = "me.jpg", **extra: Any) -> Any:
    url = photo_url(person)
    token = CSRF_INPUT_RE.search(client.get(url).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    fields: dict[str, Any] = {"csrf_token": token, "upload": "1", **extra}
    if data is not None:
        fields["photo"] = (io.BytesIO(data), name)
    return client.post(url, data=fields, content_type="multipart/form-data")


def stored_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) or 0


def test_a_photo_is_shown_at_the_pages_sizes_without_its_location(app: Flask, chair: FlaskClient) -> None:
    person = speaker(app)
    response = upload(chair, person, jpeg_with_location(800, 600))
    assert response.status_code == 302
    assert "The photo of Yejin Choi is saved and shown on the public site." in text_of(chair.get(response.location))
    person = speaker(app)
    assert person.photo_id and person.photo_small_id
    visitor = app.test_client()
    img = (
        f'<img class="avatar photo" src="/people/{person.id}/photo-96.webp?v={person.photo_small_id}" '
        f'srcset="/people/{person.id}/photo-192.webp?v={person.photo_id} 2x" width="96" height="96" alt=""'
    )
    for url in ("/", "/speakers"):
        assert img in visitor.get(url).get_data(as_text=True), url
    # Luke Zettlemoyer has no photo: his initials, as before.
    speakers_page = visitor.get("/speakers").get_data(as_text=True)
    assert re.search(r'<svg class="avatar"[^>]*>.*?>LZ</text></svg>', speakers_page, re.S)
    for size, file_id in ((96, person.photo_small_id), (192, person.photo_id)):
        served = visitor.get(f"/people/{person.id}/photo-{size}.webp?v={file_id}")
        image = Image.open(io.BytesIO(served.data))
        assert (image.format, image.size) == ("WEBP", (size, size))
        assert dict(image.getexif()) == {} and b"SpyCam" not in served.data and b"GPS" not in served.data
        with app.app_context():
            file = db.session.get(StoredFile, file_id)
            assert file is not None
            assert (served.headers["Content-Type"], served.headers["ETag"]) == ("image/webp", f'"{file.sha256}"')
            assert re.fullmatch(r"[0-9a-f]{32}", file.storage_key)  # a random key, never the upload's name
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert served.headers["Cache-Control"] == "public, max-age=3600"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        assert [(e.action, e.summary) for e in db.session.scalars(sa.select(AuditEvent))] == [
            ("content.photo", "Photo of Yejin Choi (speaker) uploaded")
        ]
        db.session.scalar(sa.select(Workshop)).starts_on = date(2027, 7, 26)  # type: ignore[union-attr]
        db.session.commit()
    # Search engines get the photo too, with the speaker in the home page's Event data.
    home = visitor.get("/").get_data(as_text=True)
    event = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S).group(1))  # type: ignore[union-attr]
    base = app.config["BASE_URL"].rstrip("/")
    assert event["performer"][0]["image"] == f"{base}/people/{person.id}/photo-192.webp?v={person.photo_id}"
    assert "image" not in event["performer"][1]


@pytest.mark.filterwarnings("error")
def test_a_photo_with_damaged_exif_is_saved_without_it(app: Flask, chair: FlaskClient) -> None:
    """A tag of the wrong type in the EXIF of a turned photo: the upload failed with a server error (Pillow wrote the
    EXIF back after the turn); a tag past the end warned. Both are saved, upright, without it."""
    for damage in ("a tag of the wrong type", "a tag past the end"):
        response = upload(chair, speaker(app), DAMAGED_EXIF[damage])
        assert response.status_code == 302, damage
        assert "The photo of Yejin Choi is saved and shown on the public site." in text_of(chair.get(response.location))
    served = app.test_client().get(f"/people/{speaker(app).id}/photo-192.webp")
    assert Image.open(io.BytesIO(served.data)).size == (192, 192) and b"SpyCam" not in served.data


def test_removing_the_photo_brings_the_initials_back(app: Flask, chair: FlaskClient) -> None:
    person = speaker(app)
    upload(chair, person, jpeg_with_location())
    person = speaker(app)
    token = CSRF_INPUT_RE.search(chair.get(photo_url(person)).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    response = chair.post(photo_url(person), data={"csrf_token": token, "remove": "1"}, follow_redirects=True)
    assert "The photo of Yejin Choi is removed: the initials show again." in text_of(response)
    assert f"/people/{person.id}/photo-96.webp" not in app.test_client().get("/speakers").get_data(as_text=True)
    assert app.test_client().get(f"/people/{person.id}/photo-96.webp").status_code == 404
    # The rows of its files are gone; the files are orphans for `flask storage check --delete-orphans`.
    assert stored_count(app) == 0


def test_a_new_photo_replaces_the_old_files(app: Flask, chair: FlaskClient) -> None:
    upload(chair, speaker(app), jpeg_with_location())
    first = speaker(app)
    upload(chair, first, jpeg_with_location(300, 300))
    second = speaker(app)
    assert {second.photo_id, second.photo_small_id}.isdisjoint({first.photo_id, first.photo_small_id})
    assert stored_count(app) == 2
    assert app.test_client().get(f"/people/{first.id}/photo-96.webp?v={second.photo_small_id}").status_code == 200


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7\n%%EOF\n", "me.jpg", "The photo is not a picture the portal can read (JPEG, PNG, WebP or GIF)"),
        (b"MZ\x90\x00" + b"\0" * 200, "me.png", "The photo is not a picture the portal can read"),
        (None, "", "Choose a photo to upload."),
    ],
    ids=["pdf-named-jpg", "exe-named-png", "no-file"],
)
def test_a_disguised_file_is_refused_on_the_form_and_nothing_is_stored(
    app: Flask, chair: FlaskClient, data: bytes | None, name: str, message: str
) -> None:
    person = speaker(app)
    response = upload(chair, person, data, name)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert message in text_of(response)
    assert (speaker(app).photo_id, stored_count(app)) == (None, 0)


def test_a_decompression_bomb_is_refused_unread(app: Flask, chair: FlaskClient) -> None:
    response = upload(chair, speaker(app), bomb_png(), "small.png")
    assert response.status_code == 422
    assert "would unpack to more pixels than the portal takes (40 megapixels)" in text_of(response)
    assert (speaker(app).photo_id, stored_count(app)) == (None, 0)


def test_a_request_past_the_upload_limit_gets_the_friendly_413_page(app: Flask, chair: FlaskClient) -> None:
    person = speaker(app)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(chair, person, b"\xff\xd8" + b"\0" * (128 * 1024))
    assert response.status_code == 413
    assert "Upload too large" in text_of(response)
    assert stored_count(app) == 0


def test_the_photo_page_of_a_person_under_another_role_is_not_found(app: Flask, chair: FlaskClient) -> None:
    person = speaker(app)
    assert chair.get(f"/chair/content/people/organizer/{person.id}/photo").status_code == 404
    assert chair.get("/chair/content/people/speaker/987654/photo").status_code == 404
    assert app.test_client().get(f"/people/{person.id}/photo-48.webp").status_code == 404


@pytest.mark.parametrize("role", [PersonRole.PANELIST, PersonRole.ORGANIZER, PersonRole.STEERING])
def test_organizers_and_the_committee_get_photos_too(app: Flask, chair: FlaskClient, role: PersonRole) -> None:
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.role == role))
        if person is None:
            ws_id = db.session.scalar(sa.select(Person.workshop_id))
            person = Person(workshop_id=ws_id, role=role, slug="ada", position=1, name="Ada Lovelace")
            db.session.add(person)
            db.session.commit()
            db.session.refresh(person)
        db.session.expunge(person)
    assert upload(chair, person, jpeg_with_location()).status_code == 302
    page = "/speakers" if role == PersonRole.PANELIST else "/organizers"
    assert f"/people/{person.id}/photo-96.webp" in app.test_client().get(page).get_data(as_text=True)


def test_removing_a_person_drops_their_photos_rows(app: Flask, chair: FlaskClient) -> None:
    person = speaker(app)
    upload(chair, person, jpeg_with_location())
    url = f"/chair/content/people/speaker/{person.id}/remove"
    token = CSRF_INPUT_RE.search(chair.get(url).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    response = chair.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "The speaker “Yejin Choi” is removed." in text_of(response)
    assert stored_count(app) == 0
