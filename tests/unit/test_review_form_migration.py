"""The migration that brought the review form (issue 21.1) gives every existing workshop today's form, so a
workshop that never touches it sees no change: the same seven fields, in the same order, with the same readers."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from portal.db import db
from portal.models import DEFAULT_FORM, ReviewField
from tests.conftest import make_app

BEFORE = "7e8bf8d3f5c6"  # the revision before the review form's
REVISION = "a21f0c3e5b71"


def test_the_migration_seeds_todays_form_for_an_existing_workshop(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        columns = [
            "slug",
            "name",
            "short_name",
            "edition",
            "timezone",
            "tagline",
            "venue",
            "overview",
            "motivation",
            "objective",
            "audience",
            "cfp_intro",
            "submission_instructions",
            "panel_note",
            "sponsor_call",
            "contact_email",
            "is_demo",
            "updated_at",
        ]
        values = dict.fromkeys(columns, "") | {"slug": "w", "name": "W", "timezone": "UTC", "is_demo": False}
        values |= {"contact_email": "c@example.org", "updated_at": "2024-01-01 00:00:00"}
        db.session.execute(sa.table("workshop", *(sa.column(c) for c in columns)).insert().values(**values))
        db.session.commit()
        flask_migrate.upgrade(revision=REVISION)
        rows = db.session.scalars(sa.select(ReviewField).order_by(ReviewField.position)).all()
        seeded = [(r.key, r.kind, r.label, r.required, r.visibility, r.options, r.position, r.active) for r in rows]
        db.session.remove()
        db.engine.dispose()
    assert seeded == [
        (d["key"], d["kind"], d["label"], d.get("required", False), d["visibility"], d.get("options", {}), i, True)
        for i, d in enumerate(DEFAULT_FORM, start=1)
    ]
