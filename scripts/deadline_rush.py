"""The deadline rush: many authors at once, each signing in and submitting a 12-page, 2 MB PDF, in a loop, for a
minute, against a running portal; then every submission the portal answered with success is checked in the
database: its row, its file, and the file's sha256.

Run: .venv/bin/python scripts/deadline_rush.py --url http://127.0.0.1:8000 \
         --database postgresql+psycopg://postgres@127.0.0.1:5432/portal_rush [--authors 32 --seconds 60]

The portal at --url must use the database given (the script adds the authors, opens submissions for a day
and allows 12 pages, before it starts). It prints the figures and, with --json, writes them to a file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

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
        pdf.multi_cell(0, 6, f"{page}. Long-context language models attend to many tokens. " * 8, new_x="LMARGIN",
                       new_y="NEXT")  # fmt: skip
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
        for d in [d for d in ws.dates if d.kind == DateKind.PAPER_DEADLINE]:
            ws.dates.remove(d)
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline",
                                      at=utcnow() + timedelta(days=1)))  # fmt: skip
        sub_type = db.session.scalars(sa.select(SubmissionType).order_by(SubmissionType.position)).first()
        sub_type.page_limit = 12  # type: ignore[union-attr]
        topic = db.session.scalars(sa.select(Topic).order_by(Topic.position)).first()
        password_hash = generate_password_hash(PASSWORD)  # the portal's own default method: sign-in costs what it costs
        have = set(db.session.scalars(sa.select(User.email).where(User.email.like("rush%@example.org"))))
        for n in range(authors):
            if f"rush{n}@example.org" not in have:
                db.session.add(User(email=f"rush{n}@example.org", name=f"Rush Author {n}", affiliation="Rush University",
                                    password_hash=password_hash, email_confirmed_at=utcnow()))  # fmt: skip
        db.session.commit()
        ids = {"type": sub_type.id, "topic": topic.id}  # type: ignore[union-attr]
        db.engine.dispose()
    return ids


class Author(threading.Thread):
    def __init__(self, n: int, url: str, pdf: bytes, ids: dict[str, int], until: float) -> None:
        super().__init__(daemon=True)
        self.n, self.url, self.pdf, self.ids, self.until = n, url, pdf, ids, until
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.numbers: list[int] = []

    def run(self) -> None:
        while time.monotonic() < self.until:
            start = time.perf_counter()
            try:
                self.numbers.append(self.once())
                self.latencies.append((time.perf_counter() - start) * 1000)
            except Exception as exc:  # every failure counts, whatever it is
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])

    def once(self) -> int:
        s = requests.Session()
        login = s.get(f"{self.url}/auth/login", timeout=60).text
        signed = s.post(f"{self.url}/auth/login", data={"csrf_token": TOKEN_RE.search(login).group(1),  # type: ignore[union-attr]
                                                         "email": f"rush{self.n}@example.org", "password": PASSWORD},
                        allow_redirects=False, timeout=60)  # fmt: skip
        if signed.status_code != 302:
            raise RuntimeError(f"sign-in answered {signed.status_code}")
        form = s.get(f"{self.url}/submissions/new", timeout=60).text
        token = TOKEN_RE.search(form.split('enctype="multipart/form-data"', 1)[1]).group(1)  # type: ignore[union-attr]
        data = {"csrf_token": token, "title": f"Rush paper by author {self.n} at {time.time():.3f}",
                "abstract": "Attention over very long inputs.", "type": str(self.ids["type"]),
                "primary_topic": str(self.ids["topic"]), "keywords": "rush", "action": "save",
                "authors-0-name": f"Rush Author {self.n}", "authors-0-email": f"rush{self.n}@example.org",
                "authors-0-affiliation": "Rush University", "declared_conflicts": ""}  # fmt: skip
        response = s.post(f"{self.url}/submissions/new", data=data, files={"paper": ("paper.pdf", self.pdf, "application/pdf")},
                          allow_redirects=False, timeout=120)  # fmt: skip
        if response.status_code != 302 or not re.fullmatch(r"/submissions/\d+", response.headers.get("Location", "")):
            raise RuntimeError(f"submit answered {response.status_code}")
        return int(response.headers["Location"].rsplit("/", 1)[1])


def verify(database: str, numbers: list[int], sha: str) -> int:
    """How many of the answered submissions lack their row, their file, or the right checksum."""
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text(
            "SELECT r.submission_id, f.sha256 FROM revision r JOIN stored_file f ON f.id = r.file_id "
            "WHERE r.kind = 'paper' AND r.submission_id = ANY(:ids)"), {"ids": numbers}).all())  # fmt: skip
    engine.dispose()
    return sum(1 for n in numbers if rows.get(n) != sha)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--authors", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    pdf = rush_pdf()
    sha = hashlib.sha256(pdf).hexdigest()
    ids = prepare(args.database, args.authors)
    until = time.monotonic() + args.seconds
    started = time.monotonic()
    authors = [Author(n, args.url.rstrip("/"), pdf, ids, until) for n in range(args.authors)]
    for a in authors:
        a.start()
    for a in authors:
        a.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for a in authors for x in a.latencies)
    numbers = [n for a in authors for n in a.numbers]
    errors = [e for a in authors for e in a.errors]
    figures: dict[str, Any] = {
        "submissions": len(numbers), "per_s": round(len(numbers) / elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "errors": len(errors), "lost": verify(args.database, numbers, sha), "pdf_mb": round(len(pdf) / 2**20, 2),
        "authors": args.authors, "seconds": round(elapsed, 1), "first_errors": sorted(set(errors))[:5],
    }  # fmt: skip
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
