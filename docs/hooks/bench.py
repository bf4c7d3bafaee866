"""MkDocs hook: today's figures of docs/dev/benchmarks.md, from bench/results.json.

``make bench`` writes bench/results.json as ``{"<name>": {"value", "unit", "goal", "ok"}}`` (bench/common.py).
The file is not kept in git: a build after ``make bench`` shows that run's figures, any other build says that
there are none yet. Earlier figures are in the changelog.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.json"
MARKER = "<!-- bench-results -->"
NO_RESULTS = "No results yet: run `make bench`."


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,g}" if abs(value) < 1e6 else f"{value:,.0f}"


def results_table(path: Path = RESULTS) -> str:
    """The Markdown table of the figures in ``path`` (name, value, unit, goal, ok), or a line saying there are none."""
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return NO_RESULTS
    except (OSError, ValueError) as error:
        return f"{NO_RESULTS} (`{path.name}` could not be read: {error})"
    if not isinstance(figures, dict) or not figures:
        return NO_RESULTS
    measured = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [f"Measured by `make bench` ({path.name} written {measured}):", "", "| figure | value | unit | goal | ok |"]
    rows.append("|---|--:|---|--:|---|")
    for name, figure in figures.items():
        figure = figure if isinstance(figure, dict) else {}
        ok = {True: "met", False: "**missed**"}.get(figure.get("ok"), "?")
        value, goal = _number(figure.get("value", "?")), _number(figure.get("goal", "?"))
        rows.append(f"| `{name}` | {value} | {figure.get('unit', '')} | {goal} | {ok} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs's hook: the marker in a page becomes the table."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, results_table())
    return markdown
