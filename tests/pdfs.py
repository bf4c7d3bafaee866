"""Test PDFs written with fpdf2 (and pypdf for the encrypted one), made in the tests themselves; and a corpus of
PDFs that each carry an author's name in one place a PDF can hold one, written object by object."""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from dataclasses import dataclass

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from portal.pdfanalysis import packed_pdf, pdf_of


def make_pdf(
    pages: int = 4,
    *,
    text: str = "Long-context language models attend to many tokens.",
    author: str = "",
    first_page: str = "",
    references_on: int | None = None,
    title: str = "A paper",
) -> bytes:
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


def dense_text_pdf(characters: int) -> bytes:
    """One page showing ``characters`` characters in lines of a thousand: within what the check reads on a page
    up to about 990,000, and PDFium needs about 200 bytes of memory for each."""
    line = b"(" + b"x" * 1000 + b") ' "
    content = zlib.compress(b"BT /F1 1 Tf 1 TL 0 800 Td " + line * (characters // 1000) + b"ET", 9)
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


# --- a name in every corner of a PDF -------------------------------------------------------------------------

NAME = "Ada Lovelace"
PAGE_TEXT = "An anonymous page about long contexts."
CONTENT = b"BT /F1 12 Tf 72 712 Td (An anonymous page about long contexts.) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/'
    b'elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Ada &#76;ovelace</rdf:li></rdf:Seq></dc:creator>'
    b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)  # "L" written as &#76;


def stream(data: bytes, extra: bytes = b"", *, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def one_page_pdf(
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    resources: bytes = b"",
    content: bytes = CONTENT,
    objects: tuple[bytes, ...] = (),
    info: bytes = b"",
    packed: bool = False,
) -> bytes:
    """A one-page PDF that shows PAGE_TEXT, with extra entries in its catalogue, page and resources: objects 1 to
    5 are the catalogue, the page tree, the page, its content and its font; ``objects`` are numbered from 6, and
    the document information dictionary ``info`` comes after them."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> %s >> %s >>" % (resources, page),
        stream(content),
        FONT,
        *objects,
    ]
    if info:
        bodies.append(info)
    data = packed_pdf(bodies) if packed else pdf_of(bodies)
    return data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Info %d 0 R" % len(bodies)) if info else data


def incremental_update(data: bytes, objects: dict[int, bytes], trailer: bytes) -> bytes:
    """``data`` with an incremental update that replaces these objects (the old ones stay in the file)."""
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    out = bytearray(data)
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n"
    for number, offset in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, prev, trailer, xref)
    return bytes(out)


@dataclass
class Corner:
    """A PDF with the name in one place, and the hit the scan should report there."""

    pdf: bytes
    where: str
    context: str  # the text around the name, as the scan shows it
    in_copy: bool = False  # whether the reviewers' copy may keep it (it draws the page)


def corners() -> dict[str, Corner]:
    """Every place the scan reads, each with the name in it and nowhere else (not in the page's text)."""
    annotation = b"<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /T (%s) /Contents (%s) /Popup 7 0 R >>"
    popup = b"<< /Type /Annot /Subtype /Popup /Parent 6 0 R /Rect [40 40 200 100] /Contents (%s) >>"
    image = stream(
        b"\x80" * 3,
        b" /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Metadata 7 0 R",
    )
    info_pdf = one_page_pdf(info=b"<< /Author (Ada Lovelace) /Producer (fpdf2) >>")
    return {
        "document information": Corner(info_pdf, "metadata (Author)", NAME),
        "XMP, compressed": Corner(
            one_page_pdf(catalog=b"/Metadata 6 0 R", objects=(stream(XMP, b" /Type /Metadata /Subtype /XML"),)),
            "metadata (XMP)",
            NAME,
        ),
        "XMP of a figure": Corner(
            one_page_pdf(
                resources=b"/XObject << /Im1 6 0 R >>",
                content=CONTENT + b" q 9 0 0 9 0 0 cm /Im1 Do Q",
                objects=(image, stream(XMP, b" /Type /Metadata /Subtype /XML")),
            ),
            "metadata (XMP) of a figure on page 1",
            NAME,
        ),
        "XMP in an unused object": Corner(
            one_page_pdf(objects=(stream(XMP, b" /Type /Metadata /Subtype /XML"),)), "metadata (XMP) in object 6", NAME
        ),
        "a comment's author": Corner(
            one_page_pdf(
                page=b"/Annots [6 0 R 7 0 R]",
                objects=(annotation % (b"Ada Lovelace", b"Cite our earlier paper here."), popup % b""),
            ),
            "a comment by Ada Lovelace on page 1",
            NAME,
        ),
        "a comment's text": Corner(
            one_page_pdf(
                page=b"/Annots [6 0 R 7 0 R]",
                objects=(annotation % (b"Reviewer 2", b"As Ada Lovelace showed in 1843."), popup % b""),
            ),
            "a comment by Reviewer 2 on page 1",
            "As Ada Lovelace showed in 1843.",
        ),
        "a pop-up's text": Corner(
            one_page_pdf(
                page=b"/Annots [6 0 R 7 0 R]",
                objects=(annotation % (b"Reviewer 2", b"See the note."), popup % b"Signed, Ada Lovelace"),
            ),
            "the pop-up of a comment by Reviewer 2 on page 1",
            "Signed, Ada Lovelace",
        ),
        "a text box in UTF-16": Corner(
            one_page_pdf(
                page=b"/Annots [6 0 R]",
                objects=(
                    b"<< /Type /Annot /Subtype /FreeText /Rect [10 10 90 30] /DA (/Helv 9 Tf) /Contents <%s> >>"
                    % ("\ufeffDraft of Ada Lovelace".encode("utf-16-be").hex().encode()),
                ),
            ),
            "a text box on page 1",
            "Draft of Ada Lovelace",
        ),
        "a bookmark": Corner(
            one_page_pdf(
                catalog=b"/Outlines 6 0 R",
                objects=(
                    b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
                    b"<< /Title (Notes from Ada Lovelace) /Parent 6 0 R /Dest [3 0 R /Fit] >>",
                ),
            ),
            "a bookmark in the outline",
            "Notes from Ada Lovelace",
        ),
        "an attached file's name": Corner(
            one_page_pdf(
                catalog=b"/Names << /EmbeddedFiles << /Names [(Ada Lovelace CV.pdf) 6 0 R] >> >>",
                objects=(
                    b"<< /Type /Filespec /F (cv.pdf) /UF (cv.pdf) /EF << /F 7 0 R >> >>",
                    stream(b"%PDF-1.4 \x00\x01 binary", b" /Type /EmbeddedFile"),
                ),
            ),
            "an attached file “Ada Lovelace CV.pdf”",
            "Ada Lovelace CV.pdf",
        ),
        "an attached file's text": Corner(
            one_page_pdf(
                catalog=b"/Names << /EmbeddedFiles << /Names [(notes.txt) 6 0 R] >> >>",
                objects=(
                    b"<< /Type /Filespec /F (notes.txt) /UF (notes.txt) /EF << /F 7 0 R >> >>",
                    stream(b"Draft notes.\nWritten by Ada Lovelace, 1843.\n", b" /Type /EmbeddedFile"),
                ),
            ),
            "the text of an attached file “notes.txt”",
            "Draft notes. Written by Ada Lovelace, 1843.",
        ),
        "a file attached to a page": Corner(
            one_page_pdf(
                page=b"/Annots [6 0 R]",
                objects=(
                    b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 7 0 R >>",
                    b"<< /Type /Filespec /F (data.csv) /Desc (Measurements by Ada Lovelace) >>",
                ),
            ),
            "an attached file “data.csv”",
            "Measurements by Ada Lovelace",
        ),
        "a page label": Corner(
            one_page_pdf(catalog=b"/PageLabels << /Nums [0 << /S /D /P (Ada Lovelace-) >>] >>"),
            "the page label of page 1",
            "Ada Lovelace-",
        ),
        "a form field": Corner(
            one_page_pdf(
                catalog=b"/AcroForm << /Fields [6 0 R] >>",
                page=b"/Annots [6 0 R]",
                objects=(
                    b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (author) /V (Ada Lovelace) /Rect [0 0 90 20] /P 3 0 R >>",
                ),
            ),
            "a form field “author”",
            NAME,
        ),
        "a named destination": Corner(
            one_page_pdf(catalog=b"/Names << /Dests << /Names [(Ada Lovelace appendix) [3 0 R /Fit]] >> >>"),
            "a named destination",
            "Ada Lovelace appendix",
        ),
        "a named destination of old": Corner(
            one_page_pdf(catalog=b"/Dests << /Ada#20Lovelace [3 0 R /Fit] >>"), "a named destination", NAME
        ),
        "document JavaScript": Corner(
            one_page_pdf(
                catalog=b"/Names << /JavaScript << /Names [(init) 6 0 R] >> >>",
                objects=(b"<< /S /JavaScript /JS (app.alert\\('Ada Lovelace'\\);) >>",),
            ),
            "document JavaScript “init”",
            "app.alert('Ada Lovelace');",
        ),
        "JavaScript when the document opens": Corner(
            one_page_pdf(
                catalog=b"/OpenAction << /S /JavaScript /JS 6 0 R >>", objects=(stream(b"console.println('by Ada Lovelace');"),)
            ),
            "the action run when the document opens",
            "console.println('by Ada Lovelace');",
        ),
        "a link's address": Corner(
            one_page_pdf(
                page=b"/Annots [6 0 R]",
                objects=(
                    b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://example.org/Ada Lovelace) >> >>",
                ),
            ),
            "a link on page 1",
            "https://example.org/Ada Lovelace",
        ),
        "a tag's alternative text": Corner(
            one_page_pdf(
                catalog=b"/StructTreeRoot 6 0 R /MarkInfo << /Marked true >>",
                objects=(
                    b"<< /Type /StructTreeRoot /K 7 0 R >>",
                    b"<< /Type /StructElem /S /Figure /P 6 0 R /Alt (Photo of Ada Lovelace) >>",
                ),
            ),
            "the document's tags (text for screen readers)",
            "Photo of Ada Lovelace",
        ),
        "an earlier version of the file": Corner(
            incremental_update(info_pdf, {6: b"<< /Producer (fpdf2) >>"}, b"/Info 6 0 R"),
            "elsewhere in the file (object 6)",
            "6 0 obj << /Author (Ada Lovelace) /Producer (fpdf2) >> endobj",
        ),
        "an unused object in an object stream": Corner(
            one_page_pdf(objects=(b"<< /Note (Ada Lovelace) >>",), packed=True),
            "elsewhere in the file (object 6)",
            "<< /Note (Ada Lovelace) >>",
        ),
        "a comment in the drawing instructions": Corner(
            one_page_pdf(content=CONTENT + b"\n% typeset for Ada Lovelace\n"),
            "page 1 (in its drawing instructions)",
            "out long contexts.) Tj ET % typeset for Ada Lovelace",
            in_copy=True,
        ),
    }


def every_byte(data: bytes) -> bytes:
    """The file's bytes and, after them, every stream in it inflated (whatever its dictionary says)."""
    parts = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        if end != -1:
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompressobj().decompress(data[m.end() : end]))
    return b"\n".join(parts)


def names_in(data: bytes, name: str = NAME) -> list[str]:
    """Where ``name`` is in the file's bytes or inflated streams: as Latin-1 or UTF-16 text, in a hexadecimal
    string, or with its space escaped in a name; empty when it is nowhere."""
    blob = every_byte(data)
    first, last = name.split()
    forms = {
        "text": re.compile(rb"(?i)" + first.encode() + rb"(?:\s|#20|\\040)*" + last.encode()),
        "UTF-16": re.compile(re.escape(name.encode("utf-16-be")), re.I),
        "hex": re.compile(re.escape(name.encode().hex().encode()), re.I),
        "UTF-16 hex": re.compile(re.escape(name.encode("utf-16-be").hex().encode()), re.I),
        "XML character reference": re.compile(rb"(?i)" + first.encode() + rb"\s*&#"),
    }
    return [label for label, pattern in forms.items() if pattern.search(blob)]
