"""The deadline rush: 32 simulated authors at once, each signing in and then submitting a 12-page, 2 MB PDF
in a loop for a minute, against gunicorn (the workers docs/admin/production.md recommends) on PostgreSQL, with a local SMTP
server taking the receipts; then every submission the portal answered with success is checked in the
database and on disk: its row, its file, and the file's sha256.

Each author signs in once, as a browser keeps its session, and the latency of a submission is that of opening
the form and sending it. ``--sign-in-each-time`` makes every round a new visit (sign-in page, sign-in with
its deliberately slow password hash, form, upload) for comparison.

Run alone: .venv/bin/python -m bench.bench_rush [--authors 32 --seconds 60] [--sign-in-each-time]
           .venv/bin/python -m bench.bench_rush --url http://127.0.0.1:8000 --database postgresql+psycopg://...
             (against a portal you started, e.g. scripts/cluster-up; --uploads DIR to check the files too)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from bench.common import Figure, at_least, at_most, pg_database

ROOT = Path(__file__).resolve().parent.parent

TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "a long rush passphrase"  # noqa: S105 - the made-up authors' password, for this script only


def rush_pdf(pages: int = 12, size_mb: float = 2.0, seed: int = 1) -> bytes:
    """A paper of ``pages`` pages of text, each with a noise image, about ``size_mb`` MB in all."""
    from fpdf import FPDF
    from PIL import Image

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, no secret
    side = int((size_mb * 1024 * 1024 / pages / 3) ** 0.5)  # raw RGB noise barely compresses
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=11)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"{page}. Long-context language models attend to many tokens. " * 8, new_x="LMARGIN", new_y="NEXT")
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.image(io.BytesIO(buffer.getvalue()), w=120)
    return bytes(pdf.output())


def prepare(database: str, authors: int) -> dict[str, int]:
    """Authors rush0..N, submissions open for a day, 12 pages allowed. Returns the ids the form needs."""
    from datetime import timedelta

    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.db import db, utcnow
    from portal.models import DateKind, ImportantDate, SubmissionType, Topic, User, Workshop

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "rush", "TESTING": True})
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        deadline = next((d for d in ws.dates if d.kind == DateKind.PAPER_DEADLINE), None)
        if deadline is None:
            deadline = ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline")
            ws.dates.append(deadline)
        deadline.at = utcnow() + timedelta(days=1)
        sub_type = db.session.scalars(sa.select(SubmissionType).order_by(SubmissionType.position)).first()
        sub_type.page_limit = 12  # type: ignore[union-attr]
        topic = db.session.scalars(sa.select(Topic).order_by(Topic.position)).first()
        password_hash = generate_password_hash(PASSWORD)  # the portal's own default method: sign-in costs what it costs
        have = set(db.session.scalars(sa.select(User.email).where(User.email.like("rush%@example.org"))))
        for n in range(authors):
            if f"rush{n}@example.org" not in have:
                db.session.add(
                    User(
                        email=f"rush{n}@example.org",
                        name=f"Rush Author {n}",
                        affiliation="Rush University",
                        password_hash=password_hash,
                        email_confirmed_at=utcnow(),
                    )
                )
        db.session.commit()
        ids = {"type": sub_type.id, "topic": topic.id}  # type: ignore[union-attr]
        db.engine.dispose()
    return ids


class Author(threading.Thread):
    def __init__(self, n: int, url: str, pdf: bytes, ids: dict[str, int], until: float, sign_in_each_time: bool) -> None:
        super().__init__(daemon=True)
        self.n, self.url, self.pdf, self.ids, self.until = n, url, pdf, ids, until
        self.sign_in_each_time = sign_in_each_time
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.numbers: list[int] = []

    def run(self) -> None:
        session: requests.Session | None = None
        while time.monotonic() < self.until:
            start = time.perf_counter()
            try:
                if session is None or self.sign_in_each_time:
                    session = self.sign_in()
                    if not self.sign_in_each_time:
                        start = time.perf_counter()  # the once-only sign-in is not part of a submission
                self.numbers.append(self.submit(session))
                self.latencies.append((time.perf_counter() - start) * 1000)
            except Exception as exc:  # every failure counts, whatever it is
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                session = None

    def sign_in(self) -> requests.Session:
        s = requests.Session()
        login = s.get(f"{self.url}/auth/login", timeout=60).text
        signed = s.post(
            f"{self.url}/auth/login",
            data={
                "csrf_token": TOKEN_RE.search(login).group(1),  # type: ignore[union-attr]
                "email": f"rush{self.n}@example.org",
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=60,
        )
        if signed.status_code != 302:
            raise RuntimeError(f"sign-in answered {signed.status_code}")
        return s

    def submit(self, s: requests.Session) -> int:
        form = s.get(f"{self.url}/submissions/new", timeout=60).text
        token = TOKEN_RE.search(form.split('enctype="multipart/form-data"', 1)[1]).group(1)  # type: ignore[union-attr]
        data = {
            "csrf_token": token,
            "title": f"Rush paper by author {self.n} at {time.time():.3f}",
            "abstract": "Attention over very long inputs.",
            "type": str(self.ids["type"]),
            "primary_topic": str(self.ids["topic"]),
            "keywords": "rush",
            "action": "save",
            "authors-0-name": f"Rush Author {self.n}",
            "authors-0-email": f"rush{self.n}@example.org",
            "authors-0-affiliation": "Rush University",
            "declared_conflicts": "",
        }
        response = s.post(
            f"{self.url}/submissions/new",
            data=data,
            files={"paper": ("paper.pdf", self.pdf, "application/pdf")},
            allow_redirects=False,
            timeout=120,
        )
        if response.status_code != 302 or not re.fullmatch(r"/submissions/\d+", response.headers.get("Location", "")):
            raise RuntimeError(f"submit answered {response.status_code}")
        return int(response.headers["Location"].rsplit("/", 1)[1])


def verify(database: str, numbers: list[int], sha: str, uploads: Path | None) -> int:
    """How many of the answered submissions lack their row, their file (on disk too, when ``uploads`` is
    given), or the right checksum."""
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        rows = {
            n: (digest, key)
            for n, digest, key in conn.execute(
                sa.text(
                    "SELECT r.submission_id, f.sha256, f.storage_key FROM revision r JOIN stored_file f ON f.id = r.file_id "
                    "WHERE r.kind = 'paper' AND r.submission_id = ANY(:ids)"
                ),
                {"ids": numbers},
            )
        }
    engine.dispose()

    def whole(n: int) -> bool:
        digest, key = rows.get(n, (None, None))
        if digest != sha:
            return False
        return uploads is None or hashlib.sha256((uploads / key[:2] / key).read_bytes()).hexdigest() == sha

    return sum(1 for n in numbers if not whole(n))


def rush(
    url: str, database: str, authors: int, seconds: float, *, sign_in_each_time: bool = False, uploads: Path | None = None
) -> dict[str, Any]:
    pdf = rush_pdf()
    sha = hashlib.sha256(pdf).hexdigest()
    ids = prepare(database, authors)
    until = time.monotonic() + seconds
    started = time.monotonic()
    threads = [Author(n, url.rstrip("/"), pdf, ids, until, sign_in_each_time) for n in range(authors)]
    for a in threads:
        a.start()
    for a in threads:
        a.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for a in threads for x in a.latencies)
    numbers = [n for a in threads for n in a.numbers]
    errors = [e for a in threads for e in a.errors]
    return {
        "submissions": len(numbers),
        "per_s": round(len(numbers) / elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "errors": len(errors),
        "lost": verify(database, numbers, sha, uploads),
        "pdf_mb": round(len(pdf) / 2**20, 2),
        "authors": authors,
        "seconds": round(elapsed, 1),
        "sign_in_each_time": sign_in_each_time,
        "first_errors": sorted(set(errors))[:5],
    }


def run(args: Any = None) -> dict[str, Figure]:
    """Start gunicorn on a scratch PostgreSQL database with a local SMTP server, rush it, verify."""
    from aiosmtpd.controller import Controller

    from bench.bench_public import WORKERS, free_port, gunicorn

    authors = getattr(args, "authors", 32)
    seconds = getattr(args, "rush_seconds", 60)
    received = [0]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received[0] += 1
            return "250 OK"

    smtp_port = free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-rush-"))
    try:
        with pg_database("rush") as database:
            env = {
                **os.environ,
                "PORTAL_SQLALCHEMY_DATABASE_URI": database,
                "PORTAL_SECRET_KEY": "bench-rush",
                "PORTAL_UPLOAD_FOLDER": str(workdir / "uploads"),
                "PORTAL_MAIL_SERVER": "127.0.0.1",
                "PORTAL_MAIL_PORT": str(smtp_port),
                "PORTAL_SESSION_COOKIE_SECURE": "false",
                "PORTAL_REMEMBER_COOKIE_SECURE": "false",
                "PORTAL_BASE_URL": "http://127.0.0.1",
                # Each made-up author submits about once a second for the whole rush, far past the budget of
                # PDF checks an account has (PDF_CHECK_RATE_LIMIT): the rush measures throughput.
                "PORTAL_PDF_CHECK_RATE_LIMIT": "100000 per minute",
            }
            bin_dir = Path(sys.executable).parent
            for step in (["db", "upgrade"], ["demo", "--if-empty"]):
                subprocess.run(  # noqa: S603
                    [str(bin_dir / "flask"), "--app", "portal", *step],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
            port = free_port()
            server = gunicorn("wsgi:app", port, env)
            try:
                figures = rush(
                    f"http://127.0.0.1:{port}",
                    database,
                    authors,
                    seconds,
                    uploads=workdir / "uploads",
                    sign_in_each_time=getattr(args, "sign_in_each_time", False),
                )
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(10)
    finally:
        smtp.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    note = (
        f"{authors} authors, {seconds:g} s, gunicorn {WORKERS} sync workers, PostgreSQL, a "
        f"{figures['pdf_mb']} MB 12-page PDF; {figures['submissions']} submissions, p50 {figures['p50_ms']} ms, "
        f"{received[0]} receipts delivered"
    )
    return {
        "deadline_rush_per_s": at_least(figures["per_s"], "submissions/s", 10, note),
        "deadline_rush_p95_ms": at_most(figures["p95_ms"] or 0, "ms", 2000),
        "deadline_rush_errors": at_most(figures["errors"], "errors", 0),
        "deadline_rush_lost": at_most(figures["lost"], "submissions", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="rush a portal already running there (default: start one)")
    parser.add_argument("--database", help="with --url: the database that portal uses")
    parser.add_argument("--uploads", type=Path, help="with --url: its upload folder, to check the files too")
    parser.add_argument("--authors", type=int, default=32)
    parser.add_argument("--seconds", dest="rush_seconds", type=float, default=60)
    parser.add_argument("--sign-in-each-time", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if args.url:
        figures = rush(
            args.url,
            args.database,
            args.authors,
            args.rush_seconds,
            uploads=args.uploads,
            sign_in_each_time=args.sign_in_each_time,
        )
        print(json.dumps(figures, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
        return
    for name, figure in run(args).items():
        print(f"{name}: {figure.value} {figure.unit} (goal {figure.goal}) {'ok' if figure.ok else 'MISSED'}")


if __name__ == "__main__":
    main()
