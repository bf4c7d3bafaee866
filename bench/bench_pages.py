"""The page budget of issue 20: every GET page as a visitor, an author, a reviewer and the chair, at 2,000 and at
21,575 papers, and the five heaviest chair pages loaded in Chromium.

Run alone: .venv/bin/python -m bench.bench_pages [--pages-sizes 2000 21575]

Each size is the large demo at the decisions phase with a draft proposal (``bench.crawl.build_world``) in a SQLite
file; ``bench.crawl.crawl`` asks every route of the URL map (its arguments filled as each person reaches them)
once to warm up and three times more, and counts the statements of one more request. Figures:

- ``pages_max_kb_2k``: the largest HTML page at 2,000 papers (goal 300 KB);
- ``pages_p95_ms_2k``: the 95th percentile of the median server times at 2,000 papers (goal 300 ms);
- ``pages_max_ms_20k``: the slowest page at 21,575 papers (goal 600 ms);
- ``pages_statements_growth``: the most statements a page issues at 21,575 papers beyond what it issues at 2,000
  (pages matched by role, endpoint and URL without numbers; goal 0);
- ``chair_pages_load_ms_2k``: the slowest of the five heaviest chair pages at 2,000 papers, from navigation start
  to the load event in Chromium (median of three loads; goal 1,000 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import tempfile
import threading
from pathlib import Path

from bench.common import Figure, at_most
from bench.crawl import Page, build_world, crawl, growth, table

CHROMIUM = "/usr/bin/chromium"
LOAD_TIME = "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; }"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def scratch_app(size: int, folder: Path):
    import flask_migrate

    from portal import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / f'pages{size}.db'}",
            "SECRET_KEY": "bench",
            "BASE_URL": "http://127.0.0.1",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "UPLOAD_FOLDER": str(folder / f"uploads{size}"),
            "MAIL_SUPPRESS_SEND": True,
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    reviewers = max(150, size // 2)
    build_world(app, papers=size, reviewers=reviewers)
    return app


def browser_load_ms(app, urls: list[str], runs: int = 3) -> dict[str, float]:
    """Navigation start to the load event of each URL in Chromium, signed in as the chair (median of ``runs``)."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from bench.crawl import people

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    out: dict[str, float] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            context.request.post(f"{base}/crawl-sign-in/{people(app)['chair']}")
            page = context.new_page()
            for url in urls:
                times = []
                for _ in range(runs + 1):  # the first warms the server's caches
                    page.goto(base + url, wait_until="load")
                    times.append(page.evaluate(LOAD_TIME))
                out[url] = statistics.median(times[1:])
            browser.close()
    finally:
        server.shutdown()
    return out


def run(args: argparse.Namespace) -> dict[str, Figure]:
    sizes = getattr(args, "pages_sizes", None) or [2000, 21575]
    crawled: dict[int, list[Page]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        apps = {}
        for size in sizes:
            print(f"   building {size:,} papers …", flush=True)
            apps[size] = scratch_app(size, Path(tmp))
            crawled[size] = crawl(apps[size], runs=3)
            html = [p for p in crawled[size] if p.is_html]
            print(f"   {size:,} papers: {len(html)} pages; the five largest, then the five slowest:")
            print("   " + table(html, 5).replace("\n", "\n   "))
            print("   " + table(html, 5, "ms").replace("\n", "\n   "))
            failed = [p for p in crawled[size] if p.status >= 500]
            if failed:
                print(f"   FAILED: {[(p.role, p.url, p.status) for p in failed]}")
        small, large = sizes[0], sizes[-1]
        html_small = [p for p in crawled[small] if p.is_html]
        html_large = [p for p in crawled[large] if p.is_html]
        times = sorted(p.ms for p in html_small)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        grew = growth(crawled[small], crawled[large])
        for g, a, b in grew[:10]:
            print(f"   statements {a.statements} -> {b.statements} ({g:+d}): {b.role} {b.url}")
        heaviest = [p.url for p in sorted((p for p in html_small if p.role == "chair"), key=lambda p: -p.kb)[:5]]
        loads: dict[str, float] = {}
        if Path(CHROMIUM).exists():
            with contextlib.suppress(Exception):
                loads = browser_load_ms(apps[small], heaviest)
        for url, ms in loads.items():
            print(f"   Chromium, {small:,} papers: {url} loaded in {ms:.0f} ms")
    figures = {
        "pages_max_kb_2k": at_most(max(p.kb for p in html_small), "KB", 300, f"largest of {len(html_small)} pages"),
        "pages_p95_ms_2k": at_most(p95, "ms", 300, "95th percentile of the pages' median server times"),
        "pages_max_ms_20k": at_most(max(p.ms for p in html_large), "ms", 600, f"slowest page at {large:,} papers"),
        "pages_statements_growth": at_most(
            max([g for g, _, _ in grew] + [0]), "statements", 0, f"most extra statements at {large:,} than at {small:,}"
        ),
    }
    if loads:
        figures["chair_pages_load_ms_2k"] = at_most(max(loads.values()), "ms", 1000, "five heaviest chair pages, Chromium")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-sizes", type=int, nargs="+", default=[2000, 21575])
    args = parser.parse_args()
    logging.disable(logging.INFO)
    for name, f in run(args).items():
        print(f"{name:<28} {f.value:>10g} {f.unit:<10} goal {f.goal:g}  {'ok' if f.ok else 'NO'}")


if __name__ == "__main__":
    main()
