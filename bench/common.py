"""What every benchmark module shares: a figure with its goal, peak memory, medians, a scratch database.

Each module ``bench/bench_<area>.py`` has ``run(args) -> dict[str, Figure]``; ``bench/run.py`` runs them in
order, prints one table and writes ``bench/results.json`` as
``{"<name>": {"value": <number>, "unit": "<unit>", "goal": <number>, "ok": <bool>}}``.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

PG_URL = os.environ.get("PORTAL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Figure:
    value: float
    unit: str
    goal: float
    higher_is_better: bool = False
    note: str = ""  # how it was measured, shown beside the table (not in results.json)
    also: bool = True  # a further condition of the goal (e.g. "equal at both sizes")

    @property
    def ok(self) -> bool:
        return self.also and (self.value >= self.goal if self.higher_is_better else self.value <= self.goal)

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "goal": self.goal, "ok": self.ok}


def at_most(value: float, unit: str, goal: float, note: str = "", *, also: bool = True) -> Figure:
    return Figure(round(value, 3), unit, goal, False, note, also)


def at_least(value: float, unit: str, goal: float, note: str = "") -> Figure:
    return Figure(round(value, 3), unit, goal, True, note)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fn: Callable[[], Any], runs: int = 20, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A PostgreSQL database of its own for one benchmark, dropped afterwards; its URL."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    db_name = f"portal_bench_{name}_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + db_name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
