"""The JSON API's list endpoints: the SQL statements each issues, at 20 and at 2,000 papers (issue 23).

Each list is asked as the person who uses it (its second request, the caches warm), on the large demo of
``bench.crawl.build_world`` (the decisions phase, with bidding open for the bid list). A list that loads every
row, or asks one query per row, shows as a count that grows with the papers.

    .venv/bin/python -m bench.bench_api            # 20 and 2,000 papers (about a minute)
    .venv/bin/python -m bench.bench_api 20 300
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

#: (the person, the list): what each role lists through the API.
LISTS = [
    ("author1@example.org", "/submissions"),
    ("reviewer1@example.org", "/bids"),
    ("chair@example.org", "/papers"),
    ("chair@example.org", "/assignments"),
    ("chair@example.org", "/decisions"),
    ("chair@example.org", "/letters"),
    ("chair@example.org", "/reviews"),
    ("chair@example.org", "/users"),
    ("chair@example.org", "/invitations"),
    ("chair@example.org", "/audit"),
    ("chair@example.org", "/area-chairs"),
    ("ac1@example.org", "/area-chair/papers"),
]


def open_bidding(app: Flask) -> None:
    """Bidding open (the bid list is empty in the submission phase); the rest of the demo as it is."""
    from portal.db import db, utcnow
    from portal.models import Phase, Workshop

    with app.app_context():
        db.session.execute(
            sa.update(Workshop).values(phase=Phase.BIDDING, bidding_deadline=utcnow().replace(year=utcnow().year + 1))
        )
        db.session.commit()


def api_statements(app: Flask) -> dict[str, tuple[int, float]]:
    """For each list: the statements of its second request and its time in milliseconds."""
    from portal.db import db
    from portal.models import User
    from portal.services import api_tokens

    with app.app_context():
        secrets = {}
        for email in dict.fromkeys(email for email, _ in LISTS):
            user = db.session.scalar(sa.select(User).where(User.email == email))
            secrets[email] = api_tokens.create_token(user, user, name="bench", scope="read")[1]
        db.session.commit()
        engine = db.engine
    counted: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counted.append(statement)

    found = {}
    for email, path in LISTS:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secrets[email]}"}
        client.get("/api/v1" + path, headers=headers)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            start = time.perf_counter()
            response = client.get("/api/v1" + path, headers=headers)
            ms = (time.perf_counter() - start) * 1000
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        found[path] = (len(counted), ms)
        counted.clear()
    return found


def main(sizes: list[int]) -> None:
    from bench.bench_pages import scratch_app

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            app = scratch_app(size, Path(folder))
            open_bidding(app)
            results[size] = api_statements(app)
    print(f"{'list':<14}" + "".join(f"{f'{s} papers':>22}" for s in sizes))
    for _, path in LISTS:
        cells = "".join(f"{results[s][path][0]:>10} st {results[s][path][1]:>7.0f} ms" for s in sizes)
        print(f"{path:<14}{cells}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20, 2000])
