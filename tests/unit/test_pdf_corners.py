"""Double-blind in every corner of a PDF (issue 17, point 3): the anonymity scan finds an author's name wherever a
PDF can carry one, says where, and the reviewers' copy keeps none of it; and a small hostile upload cannot keep
a checker busy (point 5): each file here was one that the check before took 20 s or all its memory on."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from portal import pdfanalysis
from portal.pdfanalysis import Hit, analyse, pdf_of
from portal.pdfcheck import Identity, PdfReport, check_pdf
from tests.pdfs import NAME, PAGE_TEXT, corners, names_in, one_page_pdf, stream

ADA = [Identity("name", NAME), Identity("email", "ada@example.org"), Identity("affiliation", "Analytical Engines Ltd")]
CORNERS = corners()


def page_texts(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in doc:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


@pytest.fixture(scope="module")
def reports() -> dict[str, PdfReport]:
    """Each corner's PDF checked as a double-blind upload is: in the checker process, with its copy."""
    return {label: check_pdf(corner.pdf, ADA, strip=True) for label, corner in CORNERS.items()}


# --- the scan -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", CORNERS)
def test_the_scan_finds_the_name_in_every_corner_and_says_where(label: str, reports: dict[str, PdfReport]) -> None:
    corner, report = CORNERS[label], reports[label]

    assert (report.ok, report.error, report.pages) == (True, None, 1)
    assert report.hits == [Hit(corner.where, "name", NAME, corner.context)]


def test_the_scan_lists_every_hit_of_a_file_with_the_name_everywhere() -> None:
    everywhere = one_page_pdf(
        catalog=b"/Outlines 8 0 R /PageLabels << /Nums [0 << /P (Ada Lovelace-) >>] >>",
        page=b"/Annots [6 0 R 7 0 R]",
        content=b"BT /F1 12 Tf 72 712 Td (Thanks to Ada Lovelace.) Tj ET",
        objects=(
            b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /T (Ada Lovelace) /Contents (Fix this.) /Popup 7 0 R >>",
            b"<< /Type /Annot /Subtype /Popup /Parent 6 0 R /Rect [0 0 9 9] >>",
            b"<< /Type /Outlines /First 9 0 R /Last 9 0 R /Count 1 >>",
            b"<< /Title (Ada Lovelace: notes) /Parent 8 0 R /Dest [3 0 R /Fit] >>",
        ),
        info=b"<< /Author (Ada Lovelace) >>",
    )

    report = analyse(everywhere, ADA)

    assert [(h.where, h.context) for h in report.hits] == [
        ("metadata (Author)", "Ada Lovelace"),
        ("page 1", "Thanks to Ada Lovelace."),
        ("a comment by Ada Lovelace on page 1", "Ada Lovelace"),
        ("a bookmark in the outline", "Ada Lovelace: notes"),
        ("the page label of page 1", "Ada Lovelace-"),
    ]


def test_what_the_reviewers_copy_leaves_out_is_listed_for_the_author() -> None:
    busy = one_page_pdf(
        catalog=b"/Outlines 8 0 R /PageLabels << /Nums [0 << /P (A-) >>] >> /Names << /JavaScript << /Names "
        b"[(init) << /S /JavaScript /JS (1;) >>] >> /EmbeddedFiles << /Names [(a.txt) 10 0 R] >> >> "
        b"/AcroForm << /Fields [12 0 R] >> /Metadata 13 0 R",
        page=b"/Annots [6 0 R 7 0 R 11 0 R 12 0 R]",
        objects=(
            b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /T (Reviewer) /Contents (Fix this.) /Popup 7 0 R >>",
            b"<< /Type /Annot /Subtype /Popup /Parent 6 0 R /Rect [0 0 9 9] >>",
            b"<< /Type /Outlines /First 9 0 R /Last 9 0 R /Count 1 >>",
            b"<< /Title (Introduction) /Parent 8 0 R /Dest [3 0 R /Fit] >>",
            b"<< /Type /Filespec /F (a.txt) /EF << /F 14 0 R >> >>",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://example.org) >> >>",
            b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (x) /Rect [0 0 9 9] >>",
            stream(b"<x:xmpmeta/>", b" /Type /Metadata /Subtype /XML"),
            stream(b"hello", b" /Type /EmbeddedFile"),
        ),
        info=b"<< /Title (Draft) /Producer (x) >>",
    )

    report = check_pdf(busy, ADA, strip=True)

    assert report.dropped == [
        "the document properties (Title)",
        "XMP metadata",
        "3 annotations (1 comment, 1 pop-up note, 1 link)",
        "the outline (1 bookmark)",
        "1 attached file",
        "JavaScript",
        "page labels",
        "a form (1 field)",
    ]


def test_a_single_blind_check_says_nothing_of_a_copy() -> None:
    report = check_pdf(CORNERS["a comment's author"].pdf, [])

    assert (report.ok, report.hits, report.dropped) == (True, [], None)


# --- the reviewers' copy ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", CORNERS)
def test_the_reviewers_copy_keeps_no_trace_of_the_name(label: str, reports: dict[str, PdfReport]) -> None:
    corner, copy = CORNERS[label], reports[label].stripped
    assert copy is not None
    assert names_in(corner.pdf) != []  # the name is there to be found ...

    # ... and nowhere in the copy's bytes, its streams inflated: as text, UTF-16, hexadecimal or escaped.
    assert names_in(copy) == (["text"] if corner.in_copy else [])
    assert page_texts(copy) == [PAGE_TEXT]


def test_the_reviewers_copy_is_made_of_the_pages_drawing_only(reports: dict[str, PdfReport]) -> None:
    copy = reports["XMP of a figure"].stripped
    assert copy is not None
    reader = PdfReader(io.BytesIO(copy))
    page = reader.pages[0]

    assert reader.trailer.keys() == {"/Size", "/Root"}  # no /Info, no /ID
    assert dict(reader.trailer["/Root"]) == {"/Type": "/Catalog", "/Pages": reader.trailer["/Root"].raw_get("/Pages")}
    assert sorted(page.keys()) == ["/Contents", "/MediaBox", "/Parent", "/Resources", "/Type"]
    assert sorted(page["/Resources"].keys()) == ["/Font", "/XObject"]
    image = page["/Resources"]["/XObject"]["/Im1"]
    assert (image["/Subtype"], image["/Width"], "/Metadata" in image) == ("/Image", 1, False)
    assert image.get_data() == b"\x80" * 3  # the figure is still drawn


def test_the_copy_leaves_out_resources_the_page_does_not_draw() -> None:
    data = one_page_pdf(
        resources=b"/XObject << /Unused 6 0 R >>",
        objects=(
            stream(
                b"BT /F1 9 Tf (Ada Lovelace) Tj ET",
                b" /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /Font << /F1 5 0 R >> >>",
            ),
        ),
    )

    copy = pdfanalysis.reviewers_copy(data)

    assert names_in(copy) == []
    assert "/XObject" not in PdfReader(io.BytesIO(copy)).pages[0]["/Resources"]


def test_a_link_hung_on_a_font_does_not_bring_the_document_into_the_copy() -> None:
    """A resource that refers to the catalogue (and through it to the outline, names, form) by a key of its own:
    the copy follows no such link, nor takes a stream under a key that draws nothing."""
    data = one_page_pdf(
        catalog=b"/Outlines 7 0 R",
        objects=(
            stream(b"app.alert('Ada Lovelace')"),
            b"<< /Type /Outlines /First 8 0 R /Last 8 0 R /Count 1 >>",
            b"<< /Title (Ada Lovelace) /Parent 7 0 R /Dest [3 0 R /Fit] >>",
        ),
    ).replace(FONT_DICT, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Back 1 0 R /Script 6 0 R /Note (Ada Lovelace) >>")

    copy = pdfanalysis.reviewers_copy(data)

    assert names_in(copy) == []
    assert page_texts(copy) == [PAGE_TEXT]


FONT_DICT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def test_every_double_blind_paper_gets_a_copy_even_one_without_metadata() -> None:
    """The paper used to be its own reviewers' copy when its metadata named no one, judged by its Info
    dictionary and XMP alone: its comments, outline and attached files then went to the reviewers."""
    report = check_pdf(CORNERS["a comment's author"].pdf, [], strip=True)

    assert report.stripped is not None and report.stripped != CORNERS["a comment's author"].pdf
    assert names_in(report.stripped) == []


# --- hostile files: each took the check before 20 s or all its memory ---------------------------------------------


def blank_lines_pdf() -> bytes:
    """1.4 kB: forty thousand lines of a no-break space; the references heading pattern backtracked over the
    rest of the page text from every line (the 854-byte file of the issue is this one with fewer lines)."""
    content = zlib.compress(b"BT /F1 12 Tf 14 TL 72 800 Td " + b"(\\240 ) ' " * 40_000 + b"ET", 9)
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )


def xmp_openings_pdf() -> bytes:
    """330 kB of XMP openings without a close: a lazy pattern to the closing tag scanned to the end from each."""
    return one_page_pdf(objects=(stream(b"<x:xmpmeta " * 30_000, compress=False),))


def nested_forms_pdf() -> bytes:
    """8 kB: forms each drawing the next twice, forty deep (PDFium would draw the last one 2**40 times)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>",
        stream(b"/X Do"),
    ]
    for level in range(40):
        nested = b"/Resources << /XObject << /X %d 0 R >> >>" % (6 + level) if level < 39 else b""
        objects.append(
            stream(
                b"/X Do /X Do" if level < 39 else b"0 0 m 1 1 l S", b" /Type /XObject /Subtype /Form /BBox [0 0 9 9] " + nested
            )
        )
    return pdf_of(objects)


def huge_xmp_pdf() -> bytes:
    """A document XMP packet that inflates to 100 MB (PDFium parses it whole on opening)."""
    packet = zlib.compress(b"<rdf:li>Ada Lovelace</rdf:li>" * 3_500_000, 9)
    return one_page_pdf(
        catalog=b"/Metadata 6 0 R",
        objects=(
            b"<< /Type /Metadata /Subtype /XML /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packet), packet),
        ),
    )


NOT_READ = (
    "Page 1 was not read for names: each holds more drawing instructions than the check reads on one page "
    "(1 MB). Only text written plainly in them was searched."
)


def test_a_page_of_blank_lines_is_checked_at_once() -> None:
    data = blank_lines_pdf()
    assert len(data) < 1_500

    report = check_pdf(data, ADA, strip=True)

    assert (report.ok, report.error, report.pages, report.notes) == (True, None, 1, [])


def test_xmp_openings_without_a_close_are_checked_at_once() -> None:
    report = check_pdf(xmp_openings_pdf(), ADA, strip=True)

    assert (report.ok, report.error, report.pages) == (True, None, 1)


def test_forms_drawing_forms_are_not_drawn_but_the_page_is_copied() -> None:
    report = check_pdf(nested_forms_pdf(), ADA, strip=True)

    assert (report.ok, report.error, report.notes) == (True, None, [NOT_READ])
    assert report.stripped is not None and len(PdfReader(io.BytesIO(report.stripped)).pages) == 1


def test_a_huge_xmp_packet_is_refused_before_it_is_parsed() -> None:
    report = check_pdf(huge_xmp_pdf(), ADA)

    assert report == PdfReport(
        error="The PDF's XMP metadata is larger than 2 MB, more than the site reads. Export "
        "the PDF again without it (the reviewers' copy leaves it out anyway)."
    )


def test_a_first_name_on_a_page_four_hundred_thousand_times_is_read_within_bounds() -> None:
    content = b"BT /F1 1 Tf 0 800 Td " + b"(Ada Ada Ada Ada Ada Ada Ada Ada Ada Ada ) Tj " * 40_000 + b"ET"
    report = check_pdf(one_page_pdf(content=content), ADA)

    assert (report.ok, report.hits, report.notes) == (True, [], [NOT_READ])


# --- the bounds ---------------------------------------------------------------------------------------------------


def test_a_file_of_more_pages_than_the_site_checks_is_refused() -> None:
    kids = b" ".join([b"3 0 R"] * 2_001)
    data = pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count 2001 >>" % kids,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
    )

    assert check_pdf(data, ADA) == PdfReport(error="The PDF has 2,001 pages; the site checks at most 2,000.", pages=2001)


def test_a_file_of_more_objects_than_the_site_reads_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfanalysis, "MAX_OBJECTS", 50)
    data = one_page_pdf(objects=tuple(b"(%d)" % n for n in range(50)))

    assert analyse(data, ADA) == PdfReport(error=pdfanalysis.TOO_MANY_OBJECTS)


def test_the_structure_scan_stops_at_its_budget_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfanalysis, "MAX_SCAN_OBJECTS", 10)
    refs = b" ".join(b"%d 0 R" % (6 + n) for n in range(20))
    annots = tuple(b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /T (Reviewer %d) >>" % n for n in range(19))
    data = one_page_pdf(
        page=b"/Annots [%s]" % refs, objects=(*annots, b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /T (Ada Lovelace) >>")
    )

    report = analyse(data, ADA, strip=True)

    # The last comment is past the budget: the net over the file's bytes still finds the name in it.
    assert [(h.where, h.context) for h in report.hits] == [
        ("elsewhere in the file (object 25)", "nnot /Subtype /Text /Rect [0 0 9 9] /T (Ada Lovelace) >> endobj"),
    ]
    assert report.notes == [
        "The scan stopped reading the pages' annotations after 10 objects; the rest of the "
        "file was searched as plain bytes only. The reviewers' copy leaves all of it out."
    ]
    assert report.stripped is not None and names_in(report.stripped) == []


def paper_with_everything_drawn() -> bytes:
    """Three pages: an embedded TrueType font (subset, with its character map), a PNG with transparency, a
    rotated page, a link and a note (which the copy leaves out: they are not drawn on the page)."""
    from PIL import Image

    pdf = FPDF(format="A4")
    ttf = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    pdf.add_font("DejaVu", fname=ttf)
    for number in range(1, 4):
        pdf.add_page(orientation="L" if number == 2 else "P")
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, f"Page {number}: naïve café, Ωmega, 1 ≤ 2 ≠ 3. " * 5)
        pdf.set_font("helvetica", size=10)
        pdf.cell(0, 8, "A link", link="https://example.org/")
        image = Image.new("RGBA", (64, 64), (200, 30, 30, 128))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.image(io.BytesIO(buffer.getvalue()), x=20, y=120, w=40)
        pdf.text_annotation(10, 10, "A note by Ada Lovelace")
    return bytes(pdf.output())


def renders(data: bytes) -> list[bytes]:
    """Each page's pixels, without its annotations (a note's icon is drawn by the viewer, not by the page)."""
    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].render(scale=1, draw_annots=False).to_pil().tobytes() for i in range(len(doc))]
    finally:
        doc.close()


@pytest.mark.skipif(not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists(), reason="no DejaVu font")
def test_the_copy_draws_every_page_as_the_paper_does() -> None:
    data = paper_with_everything_drawn()

    copy = pdfanalysis.reviewers_copy(data)

    assert renders(copy) == renders(data)  # pixel for pixel
    assert page_texts(copy) == page_texts(data)
    assert names_in(data) == ["text"] and names_in(copy) == []
