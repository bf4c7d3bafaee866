"""``pdf_check_ms_50p``: the full upload check of a generated 50-page paper, as a double-blind upload runs it:
in its limited child process, open, count the pages, find the page size and the references, scan every page
and every other place a PDF can name someone for the authors' names, emails and affiliations, and write the
reviewers' copy (the pages' drawing only). Median of 20 after a warm-up.

``pdf_check_worst_ms``: the slowest check of the hostile PDFs under 1 MB that ``bench/hostile_pdfs.py``
generates (pathological text and XMP, huge streams, deep nesting, many pages, objects and comments), each checked
as a double-blind upload is, through the checker server, with the default limits; each file's median of 3.

Run alone: .venv/bin/python -m bench.bench_pdf [--only 50p|worst]   (prints; ``python -m bench.run --only pdf``
also writes bench/results.json)
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from fpdf import FPDF

from bench.common import Figure, at_most
from bench.hostile_pdfs import corpus
from portal.pdfcheck import Identity, check_pdf

AUTHORS = [
    Identity("name", "Ada Lovelace"),
    Identity("email", "ada@example.org"),
    Identity("affiliation", "Analytical Engines Ltd"),
    Identity("name", "Charles Babbage"),
]
WORD_TEXT = (
    "long context language models attend to many tokens we measure what it costs and what it buys "
    "retrieval memory attention window sparse dense evaluation benchmark cache compression"
)
WORDS = WORD_TEXT.split(" ")


def paper(pages: int = 50) -> bytes:
    """A two-column-like text paper: about 4,000 characters a page, a "References" heading near the end."""
    pdf = FPDF(format="A4")
    pdf.set_title("Attention sinks at a million tokens")
    pdf.set_author("Ada Lovelace")
    pdf.set_font("helvetica", size=10)
    for page in range(1, pages + 1):
        pdf.add_page()
        if page == pages - 4:
            pdf.cell(0, 6, "References", new_x="LMARGIN", new_y="NEXT")
        text = " ".join(WORDS[(page * 7 + i) % len(WORDS)] for i in range(650))
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def median_50p() -> Figure:
    data = paper(50)
    for _ in range(2):
        check_pdf(data, AUTHORS, strip=True)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        report = check_pdf(data, AUTHORS, strip=True)
        times.append((time.perf_counter() - start) * 1000)
        assert report.ok and report.pages == 50 and report.stripped, report.error
    note = (
        f"{len(data) / 1e6:.2f} MB, {report.pages} pages, main text {report.main_pages} pages, "
        f"{len(report.hits)} anonymity hits; slowest {max(times):.0f} ms"
    )
    return at_most(statistics.median(times), "ms", 150, note)


def worst(runs: int = 3, verbose: bool = False) -> Figure:
    files = corpus()
    check_pdf(paper(1), AUTHORS, strip=True)  # start the checker server: its start is no file's cost
    medians: dict[str, tuple[float, str]] = {}
    for name, data in files.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            report = check_pdf(data, AUTHORS, strip=True)
            times.append((time.perf_counter() - start) * 1000)
        outcome = "checked" if report.ok else f"refused: {report.error}"
        medians[name] = (statistics.median(times), outcome)
        if verbose:
            print(f"  {medians[name][0]:8.0f} ms  {name} ({len(data):,} bytes): {outcome}", flush=True)
    slowest = max(medians, key=lambda name: medians[name][0])
    refused = sum(1 for _, outcome in medians.values() if outcome != "checked")
    note = (
        f"{len(files)} files under 1 MB ({refused} refused at a bound), median of {runs} each; slowest: "
        f"{slowest} ({medians[slowest][1].split(':')[0]})"
    )
    return at_most(medians[slowest][0], "ms", 2000, note)


def run(args: Any = None) -> dict[str, Figure]:
    only = getattr(args, "only_pdf", None)
    figures = {}
    if only in (None, "50p"):
        figures["pdf_check_ms_50p"] = median_50p()
    if only in (None, "worst"):
        figures["pdf_check_worst_ms"] = worst(verbose=getattr(args, "verbose", False))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The PDF check's figures.")
    parser.add_argument("--only", dest="only_pdf", choices=["50p", "worst"])
    arguments = parser.parse_args()
    arguments.verbose = True
    for name, figure in run(arguments).items():
        print(f"{name}: {figure.value} {figure.unit} (goal {figure.goal}) {'ok' if figure.ok else 'MISSED'} - {figure.note}")
