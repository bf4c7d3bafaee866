"""Test PDFs written with fpdf2 (and pypdf for the encrypted one), made in the tests themselves."""

from __future__ import annotations

import io

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


def make_pdf(
    pages: int = 4, *, text: str = "Long-context language models attend to many tokens.", author: str = "",
    first_page: str = "", references_on: int | None = None, title: str = "A paper",
) -> bytes:  # fmt: skip
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_font("helvetica", size=11)
    for i in range(1, pages + 1):
        pdf.add_page()
        if i == 1 and first_page:
            pdf.multi_cell(0, 6, first_page, new_x="LMARGIN", new_y="NEXT")
        if references_on == i:
            pdf.cell(0, 8, "References", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, f"Page {i}. {text}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(2))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
