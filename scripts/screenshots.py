"""Screenshots of the portal for the README and the documentation: the main page of each role, captured in Debian's Chromium.

Run: make screenshots   (or .venv/bin/python scripts/screenshots.py [--out docs/screenshots])

Builds the demo workshop in a throw-away SQLite database (the reviewing phase for the public, author and
reviewer pages, then the decisions phase for the chair's console, the program phase for the public and the chair's
program, then the large demo at 2,000 papers for the assignments page, a paper's reviewer picker and the bid list),
serves it on a free local port and saves one PNG per page. Nothing outside the temporary directory and the
output folder is touched.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
FAST_HASH = "pbkdf2:sha256:1000"  # the demo accounts of a throw-away database: hashing fast is fine


def make_app(tmp: Path):
    import flask_migrate

    from portal import create_app
    from portal.db import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'demo.db'}",
            "UPLOAD_FOLDER": str(tmp / "uploads"),
            "SECRET_KEY": "screenshots",
            "BASE_URL": "http://127.0.0.1",
            "SESSION_COOKIE_SECURE": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SUPPRESS_SEND": True,
            "PASSWORD_HASH_METHOD": FAST_HASH,
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()
    return app


def load(app, phase: str) -> dict[str, str]:
    """Reset the demo to ``phase``; return the paths of the pages to capture."""
    from portal.db import db
    from portal.demo import load_demo
    from portal.models import ReviewAssignment, Submission, User

    with app.app_context():
        load_demo(app.config["CONTENT_FILE"], datetime.now(UTC), password_hash_method=FAST_HASH, phase=phase)
        db.session.commit()
        author = db.session.scalar(sa.select(User).where(User.email == "author1@example.org"))
        sub = db.session.scalar(sa.select(Submission).where(Submission.submitter_id == author.id))
        assignment = db.session.scalar(
            sa.select(ReviewAssignment)
            .join(User, User.id == ReviewAssignment.reviewer_id)
            .where(User.email == "reviewer1@example.org")
            .order_by(ReviewAssignment.id)
        )
        return {"paper": f"/submissions/{sub.id}", "review": f"/review/papers/{assignment.submission_id}/review"}


def load_large(app) -> dict[str, str]:
    """The large demo at 2,000 papers in the reviewing phase, then bidding reopened for a week (the bid list's
    picture); a third of the papers lose their reviewers so the assignments page has papers short of them."""
    from datetime import timedelta

    from portal.db import db
    from portal.models import Phase, Review, ReviewAssignment, ReviewRevision, Workshop

    result = app.test_cli_runner().invoke(args=["demo", "--phase", "reviewing", "--papers", "2000", "--reviewers", "1000"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        third = ReviewAssignment.submission_id % 3 == 0
        gone = sa.select(ReviewAssignment.id).where(third)
        db.session.execute(
            sa.delete(ReviewRevision).where(
                ReviewRevision.review_id.in_(sa.select(Review.id).where(Review.assignment_id.in_(gone)))
            )
        )
        db.session.execute(sa.delete(Review).where(Review.assignment_id.in_(gone)))
        db.session.execute(sa.delete(ReviewAssignment).where(third))
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.phase, ws.bidding_deadline = Phase.BIDDING, datetime.now(UTC) + timedelta(days=7)
        db.session.commit()
    return {"picker": "/chair/assignments/papers/3"}


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        shots: list[tuple[str, str, str | None]] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def capture(name: str, path: str, who: str | None, full: bool = False) -> None:
                context = browser.new_context(
                    base_url=base, viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC"
                )
                page = context.new_page()
                if who:
                    sign_in(page, who)
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}.png"), full_page=full)
                shots.append((name, path, who))
                context.close()

            paths = load(app, "reviewing")
            capture("public-home", "/", None)
            capture("author-submission", paths["paper"], "author1@example.org", full=True)
            capture("reviewer-review-form", paths["review"], "reviewer1@example.org")
            load(app, "decisions")
            capture("chair-console", "/chair/", "chair@example.org", full=True)
            capture("chair-submissions", "/chair/submissions", "chair@example.org")
            load(app, "program")  # the workshop day built and published (issue 24)
            capture("public-program", "/program", None, full=True)
            capture("public-home-program", "/", None)  # the opening after the decisions, with the demo's sponsor
            capture("chair-program", "/chair/program", "chair@example.org", full=True)
            # The screens at conference size: the large demo (2,000 papers, 1,000 reviewers).
            large = load_large(app)
            capture("chair-assignments-2k", "/chair/assignments", "chair@example.org")
            capture("chair-picker-2k", large["picker"], "chair@example.org")
            capture("reviewer-bids-2k", "/review/bids", "reviewer1@example.org")
            browser.close()
        server.shutdown()
    for name, path, who in shots:
        print(f"{out / (name + '.png')}: {path} as {who or 'a visitor'}")


if __name__ == "__main__":
    main()
