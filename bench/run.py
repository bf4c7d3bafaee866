"""``make bench``: every figure of the benchmark, generated data, one table, and ``bench/results.json``.

Run: make bench   (or .venv/bin/python -m bench.run [--only pdf console ...] [--authors 32 --rush-seconds 60])
Needs PostgreSQL on 127.0.0.1 (``PORTAL_BENCH_PG_URL`` to change it) and wrk (installed with apt-get when
missing and run as root). Not part of ``make test`` or CI: the figures are measured here, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import platform
import time
from pathlib import Path

from bench.common import Figure

MODULES = ["pdf", "console", "public", "mail", "rush", "assign", "fair", "pages"]
RESULTS = Path(__file__).resolve().parent / "results.json"


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model or platform.processor()}), {memory:.1f} GB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=MODULES, default=MODULES)
    parser.add_argument("--authors", type=int, default=32)
    parser.add_argument("--rush-seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pages-sizes", type=int, nargs="+", default=[2000, 21575])
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations of each scratch database would fill the screen
    figures: dict[str, Figure] = {}
    started = time.monotonic()
    for name in args.only:
        print(f"== {name}", flush=True)
        began = time.monotonic()
        module = importlib.import_module(f"bench.bench_{name}")
        figures.update(module.run(args))
        print(f"   ({time.monotonic() - began:.0f} s)", flush=True)
    print(f"\nOn {machine()}, in {time.monotonic() - started:.0f} s:\n")
    print(f"{'figure':<28} {'value':>12} {'unit':<14} {'goal':>8}  ok   how")
    for name, f in figures.items():
        goal = f"{'>=' if f.higher_is_better else '<='} {f.goal:g}"
        print(f"{name:<28} {f.value:>12g} {f.unit:<14} {goal:>8}  {'yes' if f.ok else 'NO ':<4} {f.note}")
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.only != MODULES else {}
    RESULTS.write_text(json.dumps(old | {name: f.as_json() for name, f in figures.items()}, indent=2) + "\n")
    print(f"\nWrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
