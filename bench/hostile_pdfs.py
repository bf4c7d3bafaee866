"""A corpus of hostile PDFs, each under 1 MB, for ``pdf_check_worst_ms``: files written to make the upload check
slow (backtracking patterns, huge inflated streams, deep nesting, many pages, objects or annotations), not to be
valid papers. Every file is generated here, from its description; none is stored.

    .venv/bin/python -m bench.hostile_pdfs DIR   writes them into DIR, to try by hand
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable
from pathlib import Path

from portal.pdfanalysis import packed_pdf, pdf_of

LIMIT = 1_000_000  # bytes: every file of the corpus is smaller
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
ONE_KID = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def page(contents: bytes = b"4 0 R", extra: bytes = b"", parent: bytes = b"2 0 R") -> bytes:
    return b"<< /Type /Page /Parent %s /MediaBox [0 0 595 842] /Contents %s /Resources << /Font << /F1 5 0 R >> >> %s >>" % (
        parent,
        contents,
        extra,
    )


def stream(data: bytes, extra: bytes = b"", compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def deflated(piece: bytes, megabytes: float) -> bytes:
    """``piece`` repeated to ``megabytes`` MB, compressed in chunks (never held whole in memory)."""
    compressor = zlib.compressobj(9)
    chunk = piece * max(1, 1_000_000 // len(piece))
    parts = [compressor.compress(chunk) for _ in range(int(megabytes * 1_000_000 // len(chunk)) + 1)]
    return b"".join([*parts, compressor.flush()])


def one_page(
    content: bytes, *, extra_page: bytes = b"", more: list[bytes] | None = None, catalog: bytes = CATALOG, compress: bool = True
) -> bytes:
    return pdf_of([catalog, ONE_KID, page(extra=extra_page), stream(content, compress=compress), FONT, *(more or [])])


# --- pathological text ------------------------------------------------------------------------------------


def blank_lines() -> bytes:
    """Four million lines of a no-break space and a space: the page text PDFium gives is " \\r\\n" again and
    again, on which a heading pattern starting ``^\\s*`` with re.M backtracks over the rest of the text from
    every line (the 854-byte file of issue 17 is this one, smaller)."""
    content = b"BT /F1 12 Tf 14 TL 72 800 Td " + b"(\\240 ) ' " * 400_000 + b"ET"
    return one_page(content)


def digit_lines() -> bytes:
    """Lines of a thousand digits each (950,000 characters, about as much as the check reads on one page): a
    ``\\d+`` before a failing word backtracks over every line."""
    content = b"BT /F1 1 Tf 1 TL 0 800 Td " + (b"(" + b"1" * 1000 + b") ' ") * 950 + b"ET"
    return one_page(content)


def name_prefixes() -> bytes:
    """Page text of an author's first name again and again, never followed by the surname."""
    content = b"BT /F1 1 Tf 0 800 Td " + b"(Ada Ada Ada Ada Ada Ada Ada Ada Ada Ada ) Tj " * 100_000 + b"ET"
    return one_page(content)


def long_word() -> bytes:
    """One word of four million letters on a page."""
    content = b"BT /F1 1 Tf 0 800 Td (" + b"a" * 4_000_000 + b") Tj ET"
    return one_page(content)


# --- pathological XMP ---------------------------------------------------------------------------------------


def xmp_openings() -> bytes:
    """Ninety thousand XMP openings and no closing tag, in the file's bytes: a lazy ``.*?`` to the closing tag
    scans to the end of the file from each."""
    junk = b"<x:xmpmeta " * 85_000
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", more=[stream(junk, compress=False)])


def xmp_brackets() -> bytes:
    """A compressed XMP packet of 20 MB of ``<`` and no ``>``: a tag pattern ``<[^>]+>`` scans to the end from
    each."""
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<" * 20_000_000 + b"</x:xmpmeta"
    xmp = stream(packet, b" /Type /Metadata /Subtype /XML")
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>"
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", more=[xmp], catalog=catalog)


def xmp_huge() -> bytes:
    """An XMP stream that inflates to 350 MB of text."""
    compressed = deflated(b"<rdf:li>Ada Lovelace</rdf:li>", 350)
    xmp = b"<< /Length %d /Filter /FlateDecode /Type /Metadata /Subtype /XML >>\nstream\n%s\nendstream" % (
        len(compressed),
        compressed,
    )
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>"
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", more=[xmp], catalog=catalog)


# --- huge streams -------------------------------------------------------------------------------------------


def huge_content() -> bytes:
    """A page whose content inflates to 450 MB of drawing operators."""
    compressed = deflated(b"0 0 m 1 1 l S\n", 450)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed)
    return pdf_of([CATALOG, ONE_KID, page(), content, FONT])


def huge_text() -> bytes:
    """A page whose content inflates to 250 MB of text-showing operators."""
    compressed = deflated(b"BT /F1 9 Tf 0 0 Td (Long-context models attend to many tokens.) Tj ET\n", 250)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed)
    return pdf_of([CATALOG, ONE_KID, page(), content, FONT])


def huge_attachment() -> bytes:
    """An attached text file that inflates to 350 MB."""
    compressed = deflated(b"Ada Lovelace wrote this. ", 350)
    attached = b"<< /Type /EmbeddedFile /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed)
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(notes.txt) 7 0 R] >> >> >>"
    spec = b"<< /Type /Filespec /F (notes.txt) /UF (notes.txt) /EF << /F 6 0 R >> >>"
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", more=[attached, spec], catalog=catalog)


# --- many things --------------------------------------------------------------------------------------------


def many_pages() -> bytes:
    """A hundred thousand pages, each the same page object."""
    kids = b"3 0 R " * 100_000
    return pdf_of(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [%s] /Count 100000 >>" % kids,
            page(),
            stream(b"BT /F1 12 Tf 72 712 Td (A page.) Tj ET"),
            FONT,
        ]
    )


def many_text_pages() -> bytes:
    """Two thousand pages (the most the check reads), each a page object of its own, sharing one content stream
    of dense text."""
    line = b"(Long-context language models attend to many tokens at once.) ' "
    count = 2_000
    kids = b" ".join(b"%d 0 R" % (6 + i) for i in range(count))
    objects = [
        CATALOG,
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< >>",
        stream(b"BT /F1 9 Tf 36 800 Td 11 TL " + line * 70 + b"ET"),
        FONT,
    ]
    objects += [b"<</Type/Page/Parent 2 0 R/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>"] * count
    return packed_pdf(objects)


def many_objects() -> bytes:
    """Nineteen thousand unused objects, each a string naming the author."""
    junk = [b"(Ada Lovelace, Analytical Engines Ltd)"] * 19_000
    return packed_pdf([CATALOG, ONE_KID, page(), stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"), FONT, *junk])


def many_annotations() -> bytes:
    """Nineteen thousand comments on one page, each by the author."""
    count = 19_000
    refs = b" ".join(b"%d 0 R" % (6 + i) for i in range(count))
    annots = [b"<</Type/Annot/Subtype/Text/Rect[0 0 9 9]/T(Ada Lovelace)/Contents(By Ada Lovelace)>>"] * count
    return packed_pdf(
        [CATALOG, ONE_KID, page(extra=b"/Annots [%s]" % refs), stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"), FONT, *annots]
    )


def many_streams() -> bytes:
    """Unused streams filling the file, each inflating to 1 MB of text naming the author."""
    compressed = zlib.compress(b"Ada Lovelace " * 80_000, 9)
    body = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed)
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", more=[body] * (LIMIT // (len(body) + 60)))


def missing_objects() -> bytes:
    """A page whose annotations are nineteen thousand references to objects that are not in the file (pypdf
    would search the whole file for each)."""
    refs = b" ".join(b"%d 0 R" % (100_000 + i) for i in range(19_000))
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", extra_page=b"/Annots [%s]" % refs)


def misplaced_objects() -> bytes:
    """Nine thousand comments whose places in the cross-reference table are all wrong (pypdf would search the
    whole file for each)."""
    data = many_annotations_plain(9_000)
    head, _, tail = data.rpartition(b"xref\n")
    rows = tail.split(b"\n")
    shifted = [b"%010d" % (int(row[:10]) + 3) + row[10:] if row.endswith(b" n ") else row for row in rows]
    return head + b"xref\n" + b"\n".join(shifted)


def many_annotations_plain(count: int) -> bytes:
    refs = b" ".join(b"%d 0 R" % (6 + i) for i in range(count))
    annots = [b"<</Subtype/Text/Rect[0 0 9 9]/T(Ada Lovelace)/Contents(Hi)>>"] * count
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", extra_page=b"/Annots [%s]" % refs, more=annots)


def huge_font() -> bytes:
    """A TrueType font whose program inflates to 350 MB (PDFium inflates a font's program to read its text)."""
    compressed = deflated(b"\x00\x01\x00\x00", 350)
    program = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed)
    font = (
        b"<< /Type /Font /Subtype /TrueType /BaseFont /Fake /FirstChar 32 /LastChar 126 /FontDescriptor 7 0 R "
        b"/Encoding /WinAnsiEncoding >>"
    )
    descriptor = (
        b"<< /Type /FontDescriptor /FontName /Fake /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
        b"/Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 6 0 R >>"
    )
    return pdf_of([CATALOG, ONE_KID, page(), stream(b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET"), font, program, descriptor])


def everything() -> bytes:
    """At once: a page of dense text as large as the check reads, 4,000 comments, an outline of 4,000 bookmarks,
    form fields 4,000 deep, a names tree 4,000 deep, and an attached file inflating to 100 MB."""
    count = 4_000
    text = b"BT /F1 1 Tf 1 TL 0 800 Td " + (b"(" + b"Ada " * 250 + b") ' ") * 950 + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R /AcroForm << /Fields [%d 0 R] >> "
        b"/Names << /EmbeddedFiles %d 0 R >> >>" % (7 + 2 * count, 7 + 3 * count),
        ONE_KID,
        page(extra=b"/Annots [%s]" % b" ".join(b"%d 0 R" % (7 + count + i) for i in range(count))),
        stream(text),
        FONT,
        b"<< /Type /Outlines /First 7 0 R /Count 1 >>",
    ]
    objects += [b"<</Title(Ada Lovelace)/Parent %d 0 R /First %d 0 R /Count 1>>" % (6 + i, 8 + i) for i in range(count)]
    objects += [b"<</Subtype/Text/Rect[0 0 9 9]/T(Ada Lovelace)/Contents(Hi)>>"] * count
    objects += [b"<</T(f)/Kids[%d 0 R]>>" % (8 + 2 * count + i) for i in range(count)]
    objects += [b"<</Kids[%d 0 R]>>" % (8 + 3 * count + i) for i in range(count - 1)]
    objects += [b"<</Names[(Ada Lovelace.txt) %d 0 R]>>" % (7 + 4 * count)]
    compressed = deflated(b"Ada Lovelace wrote this. ", 100)
    objects += [
        b"<< /Type /Filespec /F (notes.txt) /EF << /F %d 0 R >> >>" % (8 + 4 * count),
        b"<< /Type /EmbeddedFile /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed),
    ]
    return packed_pdf(objects)


# --- deep nesting -------------------------------------------------------------------------------------------


def deep_arrays() -> bytes:
    """An array nested four hundred thousand deep in the catalogue."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"[" * 400_000 + b"]" * 400_000 + b" >>"
    return one_page(b"BT /F1 12 Tf 72 712 Td (x) Tj ET", catalog=catalog)


def deep_dictionaries() -> bytes:
    """A dictionary nested a hundred thousand deep in the page's resources."""
    nested = b"<</A " * 100_000 + b"1" + b">>" * 100_000
    return pdf_of([CATALOG, ONE_KID, page(extra=b"/PieceInfo " + nested), stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"), FONT])


def deep_page_tree() -> bytes:
    """A page tree nineteen thousand levels deep, one page at the bottom."""
    depth = 19_000
    objects = [b"<< /Type /Catalog /Pages 3 0 R >>", stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET")]
    for level in range(depth):
        number = 3 + level
        parent = b"/Parent %d 0 R " % (number - 1) if level else b""
        objects.append(b"<</Type/Pages%s/Kids[%d 0 R]/Count 1>>" % (parent, number + 1))
    objects.append(b"<</Type/Page/Parent %d 0 R/Contents 2 0 R>>" % (2 + depth))
    return packed_pdf(objects)


def nested_forms() -> bytes:
    """Form XObjects each drawing the next one twice, forty deep: 2**40 drawings of the last one."""
    depth = 40
    objects = [
        CATALOG,
        ONE_KID,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>",
        stream(b"/X Do"),
    ]
    for level in range(depth):
        number = 5 + level
        if level + 1 < depth:
            body, resources = b"/X Do /X Do", b"/Resources << /XObject << /X %d 0 R >> >>" % (number + 1)
        else:
            body = b"BT /F1 9 Tf 0 0 Td (Ada Lovelace) Tj ET"
            resources = b"/Resources << /Font << /F1 %d 0 R >> >>" % (number + 1)
        objects.append(stream(body, b" /Type /XObject /Subtype /Form /BBox [0 0 9 9] " + resources))
    objects.append(FONT)
    return pdf_of(objects)


def deep_outline() -> bytes:
    """An outline of nineteen thousand bookmarks, each the only child of the one before."""
    depth = 19_000
    first = 7
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
        ONE_KID,
        page(),
        stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"),
        FONT,
        b"<< /Type /Outlines /First 7 0 R /Count 1 >>",
    ]
    for level in range(depth):
        number = first + level
        child = b"/First %d 0 R /Count 1 " % (number + 1) if level + 1 < depth else b""
        objects.append(b"<</Title(Ada Lovelace)/Parent %d 0 R %s>>" % (number - 1, child))
    return packed_pdf(objects)


def outline_loop() -> bytes:
    """Bookmarks whose /Next chain comes back to its start."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
        ONE_KID,
        page(),
        stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"),
        FONT,
        b"<< /Type /Outlines /First 7 0 R /Count 3 >>",
        b"<< /Title (Ada) /Parent 6 0 R /Next 8 0 R >>",
        b"<< /Title (Lovelace) /Parent 6 0 R /Next 7 0 R >>",
    ]
    return pdf_of(objects)


def deep_names_tree() -> bytes:
    """A names tree of embedded files nineteen thousand levels deep."""
    depth = 19_000
    first = 6
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles %d 0 R >> >>" % first,
        ONE_KID,
        page(),
        stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"),
        FONT,
    ]
    for level in range(depth):
        number = first + level
        objects.append(b"<</Kids[%d 0 R]>>" % (number + 1) if level + 1 < depth else b"<</Names[(Ada Lovelace.txt)<<>>]>>")
    return packed_pdf(objects)


def deep_fields() -> bytes:
    """Form fields nested nineteen thousand deep."""
    depth = 19_000
    first = 6
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%d 0 R] >> >>" % first,
        ONE_KID,
        page(),
        stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET"),
        FONT,
    ]
    for level in range(depth):
        number = first + level
        kids = b"/Kids[%d 0 R]" % (number + 1) if level + 1 < depth else b"/V(Ada Lovelace)"
        objects.append(b"<</T(f)%s>>" % kids)
    return packed_pdf(objects)


GENERATORS: dict[str, Callable[[], bytes]] = {
    "blank lines (quadratic heading search)": blank_lines,
    "950 lines of a thousand digits": digit_lines,
    "an author's first name repeated": name_prefixes,
    "one four-million-letter word": long_word,
    "90,000 XMP openings without a close": xmp_openings,
    "XMP of 20 MB of '<'": xmp_brackets,
    "XMP inflating to 350 MB": xmp_huge,
    "page content inflating to 450 MB": huge_content,
    "page text inflating to 250 MB": huge_text,
    "attached file inflating to 350 MB": huge_attachment,
    "100,000 pages": many_pages,
    "2,000 pages of dense text": many_text_pages,
    "19,000 unused objects naming the author": many_objects,
    "100,000 objects": lambda: packed_pdf([CATALOG, ONE_KID, page(), stream(b"BT ET"), FONT, *[b"(x)"] * 100_000]),
    "19,000 comments on a page": many_annotations,
    "19,000 references to missing objects": missing_objects,
    "9,000 objects out of place": misplaced_objects,
    "a font program inflating to 350 MB": huge_font,
    "everything at once": everything,
    "unused streams inflating to 1 MB each": many_streams,
    "arrays nested 400,000 deep": deep_arrays,
    "dictionaries nested 100,000 deep": deep_dictionaries,
    "page tree 19,000 deep": deep_page_tree,
    "form XObjects drawing each other 2**40 times": nested_forms,
    "outline 19,000 deep": deep_outline,
    "outline in a loop": outline_loop,
    "names tree 19,000 deep": deep_names_tree,
    "form fields 19,000 deep": deep_fields,
}


def corpus() -> dict[str, bytes]:
    """Every hostile file by its description; each is checked to be under ``LIMIT`` bytes."""
    files = {name: make() for name, make in GENERATORS.items()}
    too_big = {name: len(data) for name, data in files.items() if len(data) >= LIMIT}
    assert not too_big, f"hostile PDFs of 1 MB or more: {too_big}"
    return files


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-pdfs")
    folder.mkdir(parents=True, exist_ok=True)
    for number, (name, data) in enumerate(corpus().items(), start=1):
        path = folder / f"{number:02d}.pdf"
        path.write_bytes(data)
        print(f"{path}  {len(data):>9,} bytes  {name}")
