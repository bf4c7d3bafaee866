"""Time the full upload check of a generated paper (open, count, page size, anonymity scan, metadata strip).

Run: .venv/bin/python scripts/time_pdf_check.py [PAGES ...]   (default 10 50)
Prints the median and the slowest of 20 runs for each size; `make bench` will take over later.
"""

from __future__ import annotations

import statistics
import sys
import time

from fpdf import FPDF

from portal.pdfcheck import Identity, check_pdf

AUTHORS = [Identity("name", "Ada Lovelace"), Identity("email", "ada@example.org"),
           Identity("affiliation", "Analytical Engines Ltd"), Identity("name", "Charles Babbage")]  # fmt: skip


def paper(pages: int) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_author("Ada Lovelace")
    pdf.set_font("helvetica", size=10)
    line = "Long-context language models attend to many tokens; we measure what it costs and what it buys. "
    for page in range(1, pages + 1):
        pdf.add_page()
        if page == pages:
            pdf.cell(0, 6, "References", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 5, (line * 45)[:4000], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def main() -> None:
    for pages in [int(a) for a in sys.argv[1:]] or [10, 50]:
        data = paper(pages)
        for strip in (False, True):
            times = []
            for _ in range(20):
                start = time.perf_counter()
                report = check_pdf(data, AUTHORS, strip=strip)
                times.append((time.perf_counter() - start) * 1000)
                assert report.ok, report.error
            label = "check + reviewer copy" if strip else "check"
            print(f"{pages:3d} pages, {len(data) / 1000:7.0f} kB, {label:22s}: median {statistics.median(times):6.1f} ms,"
                  f" slowest {max(times):6.1f} ms, {len(report.hits)} anonymity hits")


if __name__ == "__main__":
    main()
