"""scripts/api_example.py end to end against a live server (werkzeug in a thread) holding the large demo at 20
papers: a chair's token invites reviewers from a CSV file (their mail arrives), downloads every review to CSV (one
row per review the chair may read, a column per field), and sets decisions from a CSV file (a paper that is not
there is told, the others are decided)."""

from __future__ import annotations

import csv
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from bench.crawl import build_world
from portal.db import db
from portal.models import Review, ReviewAssignment, ReviewState, Submission, User
from portal.services import api_tokens
from tests.conftest import SMTPRecorder

ROOT = Path(__file__).resolve().parents[2]


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_example", ROOT / "scripts" / "api_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def live(empty_app: Flask) -> Iterator[tuple[Flask, str]]:
    build_world(empty_app, papers=20, reviewers=12)
    server = make_server("127.0.0.1", 0, empty_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-example-server", daemon=True)
    thread.start()
    yield empty_app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_example_script_invites_downloads_reviews_and_decides(
    live: tuple[Flask, str], tmp_path: Path, smtp: SMTPRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    app, url = live
    with app.app_context():
        chair = db.session.scalar(sa.select(User).where(User.email == "chair@example.org"))
        token = api_tokens.create_token(chair, chair, name="example", scope="write")[1]
        db.session.commit()
    script = example()
    run = ["--url", url, "--token", token]

    people = tmp_path / "reviewers.csv"
    people.write_text("name,email\nNora New,nora@example.org\nOtto Other,otto@example.org\n", encoding="utf-8")
    assert script.main(["invite", str(people), *run]) == 0
    assert capsys.readouterr().out == "invited nora@example.org\ninvited otto@example.org\n"
    assert sorted(m["To"] for m in smtp.messages) == ["nora@example.org", "otto@example.org"]

    out = tmp_path / "reviews.csv"
    assert script.main(["reviews", str(out), *run]) == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with app.app_context():
        expected = db.session.execute(
            sa.select(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(Review.state == ReviewState.SUBMITTED, ReviewAssignment.suspended_at.is_(None))
            .order_by(ReviewAssignment.submission_id, ReviewAssignment.ordinal)
        ).all()
    assert [(int(r["number"]), int(r["ordinal"])) for r in rows] == [tuple(e) for e in expected]
    assert {"summary", "recommendation", "confidence"} <= set(rows[0])
    capsys.readouterr()

    with app.app_context():
        first, second = db.session.scalars(
            sa.select(Submission.id).where(Submission.state == "submitted", Submission.decision.is_(None)).limit(2)
        ).all()
    decided = tmp_path / "decisions.csv"
    decided.write_text(
        "number,decision,presentation,note\n"
        f"{first},accepted,oral,Strong reviews\n{second},rejected,,\n987654,accepted,poster,\n",
        encoding="utf-8",
    )
    assert script.main(["decisions", str(decided), *run]) == 1  # one line named no paper
    said = capsys.readouterr()
    assert said.out == f"#{first}: accepted (oral)\n#{second}: rejected\n"
    assert said.err == "#987654: There is nothing at this address, or nothing you may see.\n"
    with app.app_context():
        got = {s.id: (s.decision, s.presentation, s.decision_note) for s in db.session.scalars(sa.select(Submission))}
    assert (got[first], got[second]) == (("accepted", "oral", "Strong reviews"), ("rejected", None, ""))
