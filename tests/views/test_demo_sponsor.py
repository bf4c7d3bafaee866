"""The demo after the decisions (``flask demo --phase program``) shows one confirmed sponsor, followed up by the
chair, with its logo on the site; loading the demo again at another phase takes the sponsor and its logo away."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Flask
from PIL import Image

from portal.db import db
from portal.models import SponsorInquiry, SponsorState, SponsorTier, StoredFile
from portal.storage import storage
from tests.conftest import text_of


def test_the_program_demo_has_a_confirmed_gold_sponsor_and_a_reset_removes_it(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--phase", "program"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        (sponsor,) = db.session.scalars(sa.select(SponsorInquiry))
        assert (sponsor.organization, sponsor.state, sponsor.tier, sponsor.website) == (
            "Longwave Compute",
            SponsorState.CONFIRMED,
            SponsorTier.GOLD,
            "https://longwave.example.org/",
        )
        logo_key = db.session.get(StoredFile, sponsor.logo_id).storage_key  # type: ignore[union-attr]
        sponsor_id, logo_id = sponsor.id, sponsor.logo_id
    visitor = empty_app.test_client()
    home = visitor.get("/")
    assert "Sponsored by Gold sponsors" in text_of(home)
    assert f'<img src="/sponsors/{sponsor_id}/logo.webp?v={logo_id}" alt="Longwave Compute"' in home.get_data(as_text=True)
    logo = visitor.get(f"/sponsors/{sponsor_id}/logo.webp?v={logo_id}")
    assert Image.open(io.BytesIO(logo.data)).format == "WEBP"

    result = runner.invoke(args=["demo", "--phase", "submission"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalars(sa.select(SponsorInquiry)).all() == []
        assert not storage().exists(logo_key)
    assert "Sponsored by" not in text_of(visitor.get("/"))
