"""The analysis of a paper PDF: is it a PDF, does it open, how many pages, which page size, does it reveal an
author, and the reviewers' copy of it. Pure: no Flask, no database, nothing of the portal package, because the
checker server (``portal/pdfcheck.py``, the process protocol) loads this file alone into a small process.

The anonymity scan looks for every author's name, email and affiliation wherever a PDF can carry one: the text
of the pages (and text hidden in their drawing instructions), the document information dictionary, XMP metadata
wherever it sits (decompressed, in any object), comments and other annotations with their pop-ups, the outline,
attached files (their names, and their content when it is text), page labels, form fields, named destinations,
document JavaScript and other actions, the tags, and as a last net the rest of the file's bytes and streams.
The reviewers' copy is rebuilt from what draws the pages (content streams, the resources they use, the page
boxes and rotation), whatever the upload looks like; everything else is left out.

Every pass is linear in its input and every input is bounded (pages, objects read, bytes decoded, characters of
text), so a small hostile file cannot keep a checker busy: see ``make bench``'s ``pdf_check_worst_ms``. PDFium
(through pypdfium2) reads the pages: it is the PDF engine of Chromium, maintained, and extracts the text of 50
pages in about 50 ms where pypdf needs about 300 ms. pypdf reads the document's structure and writes the
reviewers' copy.
"""

from __future__ import annotations

import bisect
import contextlib
import html
import io
import logging
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import pypdfium2 as pdfium
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PdfReadError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
    read_object,
)

METADATA_KEYS = ("/Author", "/Creator", "/Title", "/Subject", "/Keywords", "/Producer")  # shown first, in this order


HARMLESS_INFO = {"/Producer", "/CreationDate", "/ModDate", "/Trapped"}  # the library's name and dates


PAGE_SIZES = {(595, 842): "A4", (612, 792): "US Letter", (842, 1191): "A3", (612, 1008): "US Legal"}


# A heading alone on its line. Only spaces within the line ([^\S\r\n]), never \s: with \s the pattern ran from
# every line start over all the lines after it, quadratic in the text (an 854-byte file took 20 s).
REFERENCES_HEADING = re.compile(
    r"^[^\S\r\n]*(?:\d+\.?[^\S\r\n]*|[IVX]+\.[^\S\r\n]*)?(?:references|bibliography)[^\S\r\n]*\r?$", re.I | re.M
)


# --- the bounds: what one check reads at most --------------------------------------------------------------
MAX_PAGES = 2_000  # a longer file is refused


MAX_HITS = 200


MAX_OBJECTS = 20_000  # objects in the file; a file of more is refused


MAX_PAGE_OBJECTS = 10_000  # objects the pages are made of (pypdf reads one in 40 to 80 µs); a file of more is refused


MAX_SCAN_OBJECTS = 2_000  # objects the scan of the document's structure reads (it stops there, with a note)


MAX_DEPTH = 48  # arrays and dictionaries nested deeper than this are not followed (not copied, not scanned)


PAGE_DRAWING_BYTES = 1_000_000  # decoded drawing instructions of one page (its forms as often as drawn) ...


DRAWING_BYTES = 16_000_000  # ... and of all pages, that PDFium reads for the text (about 50 ms a MB)


TEXT_CHARACTERS = 600_000  # characters of page text read (PDFium: about 0.3 µs and 200 bytes each)


STREAM_BYTES = 4_000_000  # decoded bytes of one stream that the scan reads (an XMP packet, an attached file)


DOCUMENT_XMP_BYTES = 2_000_000  # the document's XMP metadata: PDFium parses all of it on opening (60 ms a MB)


SCAN_BYTES = 16_000_000  # decoded bytes of all such streams together, and again for the last net over the file


CONTEXT = 40  # characters shown either side of a hit


PYPDF_LIMITS = {  # pypdf's own guards, tightened to the sizes above
    "zlib_maximum_output_length": 64_000_000,
    "lzw_maximum_output_length": 64_000_000,
    "run_length_maximum_output_length": 64_000_000,
    "stream_decoding_work_maximum_length": 128_000_000,
    "array_maximum_element_count": 200_000,
    "dictionary_maximum_element_count": 20_000,
    "outline_maximum_entries": MAX_SCAN_OBJECTS,
    "outline_maximum_depth": MAX_DEPTH,
    "page_tree_maximum_entries": MAX_PAGES * 2,
    "page_tree_maximum_depth": MAX_DEPTH,
    "page_tree_maximum_page_entries": MAX_PAGES * 20,
    "form_fields_maximum_entries": MAX_SCAN_OBJECTS,
    "form_fields_maximum_depth": MAX_DEPTH,
    "named_destinations_maximum_entries": MAX_SCAN_OBJECTS,
    "named_destinations_maximum_depth": MAX_DEPTH,
    "xmp_maximum_input_length": STREAM_BYTES,
    "disable_legacy_handling": True,  # else pypdf looks for changed module constants at every string it reads
}


@dataclass
class Identity:
    """What could reveal an author: a name, an email or an affiliation."""

    kind: str  # "name", "email" or "affiliation"
    text: str


@dataclass
class Hit:
    where: str  # "page 1", "metadata (Author)", "a comment by Ada Lovelace on page 3"
    kind: str
    matched: str
    context: str


@dataclass
class PdfReport:
    ok: bool = False
    error: str | None = None
    pages: int = 0
    main_pages: int = 0  # pages before the references start (all pages when no heading is found)
    references_page: int | None = None
    page_size: str = ""
    hits: list[Hit] = field(default_factory=list)
    # What the reviewers' copy leaves out of this file ("3 comments", "the outline (12 bookmarks)"), for a
    # double-blind check (identities given or a copy asked for); None otherwise.
    dropped: list[str] | None = None
    # What the scan could not read, each a sentence ("Page 7 was not read for names: ...").
    notes: list[str] = field(default_factory=list)
    # The reviewers' copy (only what draws the pages), when asked for.
    stripped: bytes | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("stripped")
        return data


def is_pdf_bytes(head: bytes) -> bool:
    """A PDF by its bytes, not its name: it starts with ``%PDF-``. Stricter than readers (which accept junk
    before the header) on purpose: an HTML or SVG polyglot with a PDF header further down is refused."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-")


def _page_size(width: float, height: float) -> str:
    w, h = round(width), round(height)
    for (pw, ph), name in PAGE_SIZES.items():
        if abs(w - pw) <= 3 and abs(h - ph) <= 3:
            return name
        if abs(w - ph) <= 3 and abs(h - pw) <= 3:
            return f"{name} (landscape)"
    return f"{width * 25.4 / 72:.0f} x {height * 25.4 / 72:.0f} mm"


_SPACES = re.compile(r"\s+")


_TAG = re.compile(r"<[^<>]*>")  # [^<>]: from each "<" to the next "<" or ">" at most, so linear whatever the text


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _pattern(identity: Identity) -> re.Pattern[str]:
    """The identity's words with any whitespace between them, not inside a longer word. Linear: each run of
    whitespace is tried only after the one word before it."""
    words = [re.escape(w) for w in identity.text.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.I)


def _short(text: str, limit: int = 60) -> str:
    text = _squash(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Finder:
    """Every identity searched for in each text handed in, hits kept in order (at most MAX_HITS)."""

    def __init__(self, identities: list[Identity]) -> None:
        self.identities = [(i, _pattern(i), i.text.split()[0].casefold()) for i in identities if i.text.split()]
        self.hits: list[Hit] = []
        self._seen: set[tuple[str, str, str]] = set()
        self.found: set[tuple[str, str]] = set()  # (kind, text) of identities found somewhere
        self.found_at: dict[str, set[tuple[str, str]]] = {}  # and by place

    @property
    def full(self) -> bool:
        return len(self.hits) >= MAX_HITS

    def find(
        self,
        text: str,
        where: str | Callable[[int], tuple[str, int, int]],
        *,
        once: bool = False,
        only: set[tuple[str, str]] | None = None,
    ) -> None:
        """Hits of each identity in ``text`` at ``where`` (or at the place the function gives for an offset, with
        the offsets where that place begins and ends): every occurrence, or with ``once`` one per identity at a place (for a
        document's parts, where the same words recur in a comment's text and its appearance); ``only``: just
        these identities."""
        if not text or self.full:
            return
        folded = text.casefold()
        for identity, pattern, first in self.identities:
            if first not in folded or (only is not None and (identity.kind, identity.text) not in only):
                continue  # a substring search in C: most identities are in no text at all
            at = 0
            while (m := pattern.search(text, at)) is not None:
                at = m.end()
                if isinstance(where, str):
                    place, begins, ends = where, 0, len(text)
                else:
                    place, begins, ends = where(m.start())
                if once:
                    at = max(at, ends)  # one hit per identity at a place: on to the next place
                matched = _squash(m.group(0))
                context = _squash(text[max(begins, m.start() - CONTEXT) : min(ends, m.end() + CONTEXT)])
                if once:
                    key = (place, identity.kind, matched.casefold())
                    if key in self._seen:
                        continue
                    self._seen.add(key)
                self.found.add((identity.kind, identity.text))
                self.found_at.setdefault(place, set()).add((identity.kind, identity.text))
                self.hits.append(Hit(place, identity.kind, matched, context))
                if self.full:
                    return


def _xmp_text(data: bytes) -> str:
    """The words of an XML packet: tags out, entities decoded (UTF-8, or UTF-16 by its byte order mark)."""
    text = data.decode("utf-16", "replace") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8", "replace")
    return html.unescape(_TAG.sub(" ", text))


def _string(value: object) -> str | None:
    """The text of a PDF string or name; None for anything else."""
    if isinstance(value, TextStringObject):
        return str(value)
    if isinstance(value, ByteStringObject):
        return bytes(value).decode("latin-1")
    if isinstance(value, NameObject):
        return str(value)[1:]
    return None


def _pages_phrase(pages: list[int]) -> str:
    """[3, 4, 5, 9] -> "pages 3 to 5 and 9"."""
    runs: list[list[int]] = []
    for n in sorted(pages):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [f"{a}" if a == b else f"{a} to {b}" for a, b in runs]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"page{'s' if len(pages) > 1 else ''} {text}"


class _TooComplex(Exception):
    """A bound was reached; the message says which, for the author."""


TOO_MANY_OBJECTS = (
    f"The PDF is made of more than {MAX_OBJECTS:,} objects, more than the site reads. Export it "
    "again from its source, or simplify its figures."
)


_INTEGER = re.compile(rb"[0-9]{1,12}")


_DELIMITED = rb"[^\s/\[\]<>(){}%]"


_NAME = re.compile(rb"/(" + _DELIMITED + rb"*)")  # a name in a content stream; it cannot contain a delimiter


_DRAW = re.compile(rb"/(" + _DELIMITED + rb"+)\s*Do(?!" + _DELIMITED + rb")")  # "/Fig1 Do": a form or image drawn


_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _name(raw: bytes) -> str:
    return "/" + _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")


class _Reader(PdfReader):
    """pypdf's reader, with two of its ways of reading changed so that the work follows what is read, not the
    file's size:

    - an object the cross-reference table does not hold is null (as the PDF standard says), where pypdf searched
      the whole file for each such reference; objects the table puts in the wrong place are found by one search
      of the file, in ``_Pdf``;
    - an object in an object stream is parsed alone, where pypdf parsed every object of the stream when one was
      asked for (20,000 objects in one stream took 1.5 s to read one of them).
    """

    def __init__(self, stream: io.BytesIO) -> None:
        self._streams: dict[int, tuple[bytes, int, dict[int, int]]] = {}
        self._opening: set[int] = set()
        super().__init__(stream, strict=False)

    def get_object(self, indirect_reference: int | IndirectObject) -> PdfObject | None:
        if isinstance(indirect_reference, int):
            indirect_reference = IndirectObject(indirect_reference, 0, self)
        idnum, generation = indirect_reference.idnum, indirect_reference.generation
        if not (generation == 0 and idnum in self.xref_objStm) and idnum not in self.xref.get(generation, {}):
            return NullObject()
        return super().get_object(indirect_reference)

    def _get_object_from_stream(self, indirect_reference: IndirectObject) -> PdfObject:
        idnum = indirect_reference.idnum
        number = self.xref_objStm[idnum][0]
        if number not in self._streams:
            if number in self._opening:  # an object stream inside itself
                return NullObject()
            self._opening.add(number)
            try:
                self._streams[number] = self._index(number)
            finally:
                self._opening.discard(number)
        data, first, offsets = self._streams[number]
        obj: PdfObject = NullObject()
        if idnum in offsets and first + offsets[idnum] < len(data):
            buffer = io.BytesIO(data)
            buffer.seek(first + offsets[idnum])
            with contextlib.suppress(PdfReadError, ValueError):
                obj = read_object(buffer, self)
        self.cache_indirect_object(0, idnum, obj)
        return obj

    def _index(self, number: int) -> tuple[bytes, int, dict[int, int]]:
        """An object stream's data and where each of its objects starts (its header: pairs of numbers)."""
        stream = IndirectObject(number, 0, self).get_object()
        if not isinstance(stream, StreamObject) or stream.get("/Type") != "/ObjStm":
            return b"", 0, {}
        data, first, count = stream.get_data(), stream.get("/First"), stream.get("/N")
        if not isinstance(first, int) or not isinstance(count, int) or not 0 <= first <= len(data):
            return b"", 0, {}
        numbers = _INTEGER.findall(data, 0, first)[: 2 * max(count, 0)]
        offsets: dict[int, int] = {}
        for i in range(0, len(numbers) - 1, 2):
            offsets.setdefault(int(numbers[i]), int(numbers[i + 1]))
        return data, first, offsets


class _Pdf:
    """pypdf's reading of the file: at most MAX_OBJECTS objects in it, of which the pages (with their resources)
    may take MAX_PAGE_OBJECTS and the scan of the structure reads at most MAX_SCAN_OBJECTS; and the bytes
    decoded."""

    def __init__(self, data: bytes) -> None:
        if data.count(b"obj") > 2 * MAX_OBJECTS + 100:  # "12 0 obj" and "endobj": what pypdf's repair would read
            raise _TooComplex(TOO_MANY_OBJECTS)
        try:
            with apply_configuration(zlib_maximum_output_length=32 * MAX_OBJECTS):  # a cross-reference stream's rows
                self.reader = _Reader(io.BytesIO(data))
        except PdfReadError as exc:
            if isinstance(exc.__cause__, LimitReachedError):
                raise _TooComplex(TOO_MANY_OBJECTS) from exc
            raise
        except LimitReachedError as exc:
            raise _TooComplex(TOO_MANY_OBJECTS) from exc
        if sum(len(table) for table in self.reader.xref.values()) + len(self.reader.xref_objStm) > MAX_OBJECTS:
            raise _TooComplex(TOO_MANY_OBJECTS)
        self._repair(data)
        self._read: dict[str, set[int]] = {"scan": set(), "pages": set()}
        self.structure: set[int] = set()  # objects of the document's structure: never copied

    def _repair(self, data: bytes) -> None:
        """Where the cross-reference table puts an object where it is not, look for it once in the whole file
        (pypdf would search the file for each such object)."""
        found: dict[tuple[int, int], int] | None = None
        for generation, table in self.reader.xref.items():
            for idnum, offset in list(table.items()):
                m = _HEADER_AT.match(data, offset) if isinstance(offset, int) and 0 <= offset < len(data) else None
                if m is not None and int(m.group(1)) == idnum and int(m.group(2)) == generation:
                    continue
                if found is None:
                    found = {(int(h.group(1)), int(h.group(2))): h.start(1) for h in _OBJECT_HEADER.finditer(data)}
                if (idnum, generation) in found:
                    table[idnum] = found[idnum, generation]
                else:
                    del table[idnum]

    def get(self, value: Any, budget: str = "scan") -> Any:
        """``value`` resolved when it is a reference, counted against the scan's or the pages' budget
        (_TooComplex past it)."""
        if isinstance(value, IndirectObject):
            read = self._read[budget]
            if value.idnum not in read:
                if len(read) >= (MAX_SCAN_OBJECTS if budget == "scan" else MAX_PAGE_OBJECTS):
                    raise _TooComplex(budget)
                read.add(value.idnum)
            value = value.get_object()
        return value

    def dict(self, value: Any, budget: str = "scan") -> DictionaryObject | None:
        value = self.get(value, budget)
        return value if isinstance(value, DictionaryObject) else None

    @staticmethod
    def decoded(stream: StreamObject, limit: int) -> tuple[bytes, bool]:
        """At most ``limit`` bytes of the stream's decoded data, and whether that is all of it. Deflated data (the
        usual case) is inflated only as far as the limit, whatever it would inflate to; any other filter is
        left to pypdf, with the limit as its own."""
        if isinstance(stream, DecodedStreamObject) or not isinstance(stream, EncodedStreamObject):
            data = stream.get_data()
            return data[:limit], len(data) <= limit
        raw = stream._data
        filters = stream.get("/Filter")
        if isinstance(filters, ArrayObject) and len(filters) == 1:
            filters = filters[0]
        if filters in ("/FlateDecode", "/Fl") and not stream.get("/DecodeParms"):
            inflater, out, at = zlib.decompressobj(), bytearray(), 0
            try:
                while at < len(raw) and len(out) <= limit and not inflater.eof:
                    out += inflater.decompress(raw[at : at + 65536], limit + 1 - len(out))
                    at += 65536
                    while inflater.unconsumed_tail and len(out) <= limit:
                        out += inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
            except zlib.error:
                pass  # damaged: what came before the damage, as readers show it
            return bytes(out[:limit]), len(out) <= limit
        bounds = {key: min(value, limit) for key, value in PYPDF_LIMITS.items() if key.endswith("output_length")}
        try:
            with apply_configuration(**bounds, image_maximum_buffer_size=limit):
                data = stream.get_data()
        except LimitReachedError:
            return b"", False
        except Exception:  # an unknown or damaged filter: nothing readable
            return b"", True
        return data[:limit], len(data) <= limit


INFINITE = 1 << 62  # the drawing size of a page or form that could not be measured within the bounds


STRUCTURE_TYPES = {
    "/Catalog",
    "/Pages",
    "/Page",
    "/Annot",
    "/Outlines",
    "/Filespec",
    "/EmbeddedFile",
    "/Metadata",
    "/Action",
    "/StructTreeRoot",
    "/StructElem",
    "/OCG",
    "/OCMD",
    "/Sig",
    "/CollectionItem",
}


RESOURCE_KINDS = ("/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/Properties")


NAMED = "(named)"  # the context of values in a map from resource, glyph or colorant names to objects


NAMED_MAPS = {*RESOURCE_KINDS, "/CharProcs", "/Colorants"}


# Keys whose values the copy drops wherever they are: links to the document's structure, metadata, private data.
DROP_KEYS = {
    "/Metadata",
    "/PieceInfo",
    "/LastModified",
    "/StructParent",
    "/StructParents",
    "/OC",
    "/OPI",
    "/Parent",
    "/P",
    "/Annots",
    "/AA",
    "/A",
    "/Dest",
    "/Thumb",
    "/B",
    "/ID",
    "/Alternates",
    "/Name",
    "/Ref",
    "/URI",
    "/JS",
    "/Info",
    "/Outlines",
    "/Names",
    "/AcroForm",
}


STREAM_DROP_KEYS = {"/F", "/FFilter", "/FDecodeParms", "/DL", "/Params"}  # a stream's data kept elsewhere, its dates


KEEP_STRINGS = {"/Registry", "/Ordering"}  # the only strings drawing needs as values in a dictionary (CID fonts)


# Keys under which the copy takes a stream (fonts, masks, functions, colour profiles, ...): any other stream is
# left out, so a script or a file hung on a font under a key of its own does not come along.
STREAM_KEYS = {
    "/Contents",
    "/FontFile",
    "/FontFile2",
    "/FontFile3",
    "/ToUnicode",
    "/Encoding",
    "/CIDToGIDMap",
    "/CIDSet",
    "/SMask",
    "/Mask",
    "/G",
    "/Function",
    "/Functions",
    "/JBIG2Globals",
    "/TR",
    "/TR2",
    "/BG",
    "/BG2",
    "/UCR",
    "/UCR2",
    "/HT",
    "/Shading",
    "/ColorSpace",
    "/CS",
    "/DefaultGray",
    "/DefaultRGB",
    "/DefaultCMYK",
    NAMED,
}


ANNOTATION_NOUNS = {
    "/Text": "comment",
    "/FreeText": "text box",
    "/Highlight": "highlight",
    "/Underline": "highlight",
    "/StrikeOut": "highlight",
    "/Squiggly": "highlight",
    "/Caret": "comment",
    "/Popup": "pop-up note",
    "/Link": "link",
    "/FileAttachment": "attached file",
    "/Widget": "form field",
    "/Stamp": "stamp",
    "/Ink": "drawing",
    "/Line": "drawing",
    "/Square": "drawing",
    "/Circle": "drawing",
    "/Polygon": "drawing",
    "/PolyLine": "drawing",
    "/Sound": "sound",
    "/Redact": "redaction mark",
}


VIEWER_SETTINGS = {
    "/ViewerPreferences",
    "/PageLayout",
    "/PageMode",
    "/Lang",
    "/MarkInfo",
    "/Version",
    "/Extensions",
    "/Type",
    "/Pages",
    "/Legal",
    "/Perms",
    "/NeedsRendering",
}


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass
class _Drawing:
    """A content stream (a page's, all its parts together, or a form's) as far as it was decoded."""

    data: bytes
    complete: bool
    names: set[str] | None  # the resource names it uses; None when not all of it was read (keep every resource)
    cost: int  # bytes PDFium parses to draw it: its own, and each form's as often as it is drawn
    fonts: set[int] = field(default_factory=set)  # the fonts it uses (their cost is paid once a document)


class _Document:
    """One check's reading of the file with pypdf."""

    def __init__(self, pdf: _Pdf, data: bytes, finder: _Finder) -> None:
        self.pdf, self.data, self.finder = pdf, data, finder
        self.reader = pdf.reader
        self.notes: list[str] = []
        self.counts: Counter[str] = Counter()  # what the copy leaves out, by kind
        self.info_keys: list[str] = []
        self.scanned: set[int] = set()  # streams decoded by the scan (the last net skips them)
        self.drawing: set[int] = set()  # content streams of pages and forms (read for text by PDFium)
        self.pages: list[_Drawing] = []
        self.forms: dict[int, _Drawing] = {}
        self.fonts: dict[int, int] = {}  # the cost of each font, by key
        self._drawing_now: set[int] = set()
        self.decoded = 0  # bytes of drawing instructions decoded
        self.scan_bytes = 0
        self._stopped: set[str] = set()

    # --- the pages: their drawing instructions, measured; XMP of pages and figures ---------------------------

    def walk_pages(self) -> None:
        for index, page in enumerate(self.reader.pages):
            number = index + 1
            streams: list[StreamObject] = []
            contents = self.pdf.get(page.get("/Contents"), "pages")
            for item in contents if isinstance(contents, ArrayObject) else [page.get("/Contents")]:
                stream = self.pdf.get(item, "pages")
                if isinstance(stream, StreamObject):
                    streams.append(stream)
                    if isinstance(item, IndirectObject):
                        self.drawing.add(item.idnum)
            resources = self.pdf.dict(page.get("/Resources"), "pages")
            self.pages.append(self._measure(streams, resources, number, 0))
            self._steps(
                [
                    (
                        f"the XMP metadata of page {number}",
                        partial(self._xmp, page.get("/Metadata"), f"metadata (XMP) of page {number}"),
                    )
                ]
            )
            if page.get("/Thumb") is not None:
                self.counts["thumbnail"] += 1

    def _measure(self, streams: list[StreamObject], resources: DictionaryObject | None, page: int, depth: int) -> _Drawing:
        parts, complete = [], True
        for stream in streams:
            data, whole = self._decode(stream)
            parts.append(data)
            complete = complete and whole
        data = b"\n".join(parts)
        names = {_name(raw) for raw in _NAME.findall(data)} if complete else None
        drawing = _Drawing(data, complete, names, len(data) if complete else INFINITE)
        fonts = self.pdf.dict(resources.get("/Font"), "pages") if resources is not None else None
        for name in (names or ()) if fonts is not None else ():
            if name in fonts:  # type: ignore[operator]
                drawing.fonts.add(self._font(dict.get(fonts, name)))  # type: ignore[arg-type]
        xobjects = self.pdf.dict(resources.get("/XObject"), "pages") if resources is not None else None
        drawn = Counter(_name(raw) for raw in _DRAW.findall(data)) if xobjects is not None and b"Do" in data else {}
        for name, count in drawn.items():
            if drawing.cost >= INFINITE or depth >= MAX_DEPTH:
                drawing.cost = INFINITE
                break
            if name in xobjects:  # type: ignore[operator]
                form = self._form(dict.get(xobjects, name), page, depth + 1)  # type: ignore[arg-type]
                if form is not None:
                    drawing.cost += count * form.cost
                    drawing.fonts |= form.fonts
        drawing.cost = min(drawing.cost, INFINITE)
        return drawing

    def _decode(self, stream: StreamObject) -> tuple[bytes, bool]:
        """A stream PDFium decodes to read a page, decoded as far as one page may need (and the document's
        drawing budget allows)."""
        room = min(PAGE_DRAWING_BYTES + 1, 2 * DRAWING_BYTES - self.decoded)
        if room <= 0:
            return b"", False
        data, whole = self.pdf.decoded(stream, room)
        self.decoded += len(data)
        return data, whole and len(data) <= PAGE_DRAWING_BYTES

    def _font(self, value: Any) -> int:
        """A font's key; its cost (the font program, its character map, a Type 3 font's glyph procedures, which
        PDFium decodes to read text) in ``self.fonts``."""
        key = value.idnum if isinstance(value, IndirectObject) else -id(value)
        if key in self.fonts:
            return key
        self.fonts[key] = INFINITE  # until measured (a font that refers to itself)
        font, cost = self.pdf.dict(value, "pages"), 0
        if font is None:
            self.fonts[key] = 0
            return key
        parts = [font]
        descendants = self.pdf.get(font.get("/DescendantFonts"), "pages")
        for item in descendants[:4] if isinstance(descendants, ArrayObject) else []:
            if (descendant := self.pdf.dict(item, "pages")) is not None:
                parts.append(descendant)
        streams = []
        for part in parts:
            descriptor = self.pdf.dict(part.get("/FontDescriptor"), "pages")
            for holder, keys in (
                (descriptor, ("/FontFile", "/FontFile2", "/FontFile3")),
                (part, ("/ToUnicode", "/Encoding", "/CIDToGIDMap")),
            ):
                for k in keys if holder is not None else ():
                    streams.append(self.pdf.get(holder.get(k), "pages"))  # type: ignore[union-attr]
        procedures = self.pdf.dict(font.get("/CharProcs"), "pages")
        streams += [self.pdf.get(v, "pages") for v in list(dict.values(procedures))[:256]] if procedures is not None else []
        for stream in streams:
            if isinstance(stream, StreamObject):
                data, whole = self._decode(stream)
                cost = cost + len(data) if whole else INFINITE
        self.fonts[key] = min(cost, INFINITE)
        return key

    def _form(self, value: Any, page: int, depth: int) -> _Drawing | None:
        """A form XObject's drawing (memoised: PDFium parses it again each time it is drawn, and forms drawing
        forms twice, forty deep, would be a trillion drawings); None for an image."""
        stream = self.pdf.get(value, "pages")
        if not isinstance(stream, StreamObject):
            return None
        self._steps(
            [
                (
                    f"the XMP metadata of a figure on page {page}",
                    partial(self._xmp, stream.get("/Metadata"), f"metadata (XMP) of a figure on page {page}"),
                )
            ]
        )
        if stream.get("/Subtype") != "/Form":
            return None
        key = value.idnum if isinstance(value, IndirectObject) else -id(stream)
        if key in self.forms:
            return self.forms[key]
        if key in self._drawing_now:
            return _Drawing(b"", False, None, INFINITE)  # a form that draws itself
        self._drawing_now.add(key)
        try:
            drawing = self._measure([stream], self.pdf.dict(stream.get("/Resources"), "pages"), page, depth)
        finally:
            self._drawing_now.discard(key)
        self.forms[key] = drawing
        if isinstance(value, IndirectObject):
            self.drawing.add(value.idnum)
        return drawing

    def hidden_text(self, shown: dict[int, set[tuple[str, str]]]) -> None:
        """Names written in a page's drawing instructions without being shown (a comment, an alternate text): for
        the identities not found in that page's text."""
        for index, drawing in enumerate(self.pages):
            others = {(i.kind, i.text) for i, _, _ in self.finder.identities} - shown.get(index, set())
            if others:
                self.finder.find(
                    drawing.data.decode("latin-1"), f"page {index + 1} (in its drawing instructions)", once=True, only=others
                )

    # --- the structure: every channel with a label an author understands ---------------------------------------

    def scan_first(self) -> None:
        """The document information and the document's XMP metadata."""
        self._steps(
            [
                ("the document information", self._info),
                (
                    "the XMP metadata",
                    lambda: self._xmp(self.pdf.get(self.reader.trailer.get("/Root")).get("/Metadata"), "metadata (XMP)"),
                ),
            ]
        )

    def scan_structure(self) -> None:
        root = self.pdf.dict(self.reader.trailer.get("/Root"))
        steps = [("the pages' annotations", self._annotations)]
        if root is not None:
            steps += [
                ("the outline", lambda: self._outline(root)),
                ("the names", lambda: self._names(root)),
                ("the page labels", lambda: self._page_labels(root)),
                ("the form", lambda: self._form_fields(root)),
                ("the document's actions", lambda: self._document_actions(root)),
                ("the tags", lambda: self._tags(root)),
                ("the other entries", lambda: self._others(root)),
            ]
        self._steps(steps)

    def _steps(self, steps: list[tuple[str, Callable[[], None]]]) -> None:
        for what, step in steps:
            try:
                step()
            except (_TooComplex, RecursionError):
                self._stop(what)

    def _stop(self, what: str) -> None:
        if "objects" not in self._stopped:
            self._stopped.add("objects")
            self.notes.append(
                f"The scan stopped reading {what} after {MAX_SCAN_OBJECTS:,} objects; the rest of the "
                "file was searched as plain bytes only. The reviewers' copy leaves all of it out."
            )

    def _info(self) -> None:
        info = self.pdf.dict(self.reader.trailer.get("/Info"))
        if info is None:
            return
        keys = [k for k in METADATA_KEYS if k in info] + sorted(k for k in info if k not in METADATA_KEYS)
        for key in keys:
            text = _string(self.pdf.get(info.get(key)))
            if text and text.strip():
                self.finder.find(text, f"metadata ({key[1:]})")
                if key not in HARMLESS_INFO:
                    self.info_keys.append(key[1:])

    def _xmp(self, value: Any, where: str) -> None:
        stream = self.pdf.get(value)
        if isinstance(stream, StreamObject):
            if isinstance(value, IndirectObject):
                if value.idnum in self.scanned:
                    return
                self.scanned.add(value.idnum)
            self.counts["xmp"] += 1
            self.finder.find(_xmp_text(self._read(stream)), where, once=True)

    def _read(self, stream: StreamObject) -> bytes:
        room = min(STREAM_BYTES, SCAN_BYTES - self.scan_bytes)
        if room <= 0:
            if "bytes" not in self._stopped:
                self._stopped.add("bytes")
                self.notes.append(
                    f"The scan read the first {SCAN_BYTES // 1_000_000} MB of the file's metadata, "
                    "attached files and scripts, not the rest; the reviewers' copy leaves all of them "
                    "out."
                )
            return b""
        data, _whole = self.pdf.decoded(stream, room)
        self.scan_bytes += len(data)
        return data

    def _strings(self, value: Any, where: str, *, skip: frozenset[str] = frozenset()) -> None:
        """Every string (and name) inside ``value`` and the arrays and dictionaries in it, without following
        references except to a string; iterative, at most MAX_DEPTH deep."""
        stack: list[tuple[Any, int]] = [(value, 0)]
        texts: list[str] = []
        while stack:
            item, depth = stack.pop()
            if isinstance(item, IndirectObject):
                target = self.pdf.get(item)
                if isinstance(target, (TextStringObject, ByteStringObject)):
                    item = target
                else:
                    continue
            if isinstance(item, DictionaryObject):
                if depth < MAX_DEPTH:
                    stack.extend((v, depth + 1) for k, v in dict.items(item) if k not in skip)
            elif isinstance(item, ArrayObject):
                if depth < MAX_DEPTH:
                    stack.extend((v, depth + 1) for v in item)
            elif (text := _string(item)) is not None and text.strip():
                texts.append(text)
        for text in reversed(texts):
            self.finder.find(text, where, once=True)

    def _annotations(self) -> None:
        for index, page in enumerate(self.reader.pages):
            annots = self.pdf.get(page.get("/Annots"))
            for value in annots if isinstance(annots, ArrayObject) else []:
                annot = self.pdf.dict(value)
                if annot is None:
                    continue
                self._mark(value)
                noun = ANNOTATION_NOUNS.get(str(annot.get("/Subtype")), "annotation")
                self.counts[noun] += 1
                if noun == "pop-up note" and annot.get("/Parent") is not None:
                    continue  # read with the comment it belongs to
                author = _string(self.pdf.get(annot.get("/T")))
                if noun == "form field":  # a widget: named as the form's walk names its field
                    parent = self.pdf.dict(annot.get("/Parent"))
                    name = author or (_string(self.pdf.get(parent.get("/T"))) if parent is not None else None)
                    where = f"a form field “{_short(name)}”" if name and name.strip() else f"a form field on page {index + 1}"
                elif author and author.strip():
                    where = f"{_a(noun)} by {_short(author)} on page {index + 1}"
                else:
                    where = f"{_a(noun)} on page {index + 1}"
                self._annotation(annot, where)
                popup = self.pdf.dict(annot.get("/Popup"))
                if popup is not None:
                    self._mark(annot.get("/Popup"))
                    self._strings(popup, f"the pop-up of {where}", skip=frozenset({"/Parent", "/P"}))
            self._actions(page.get("/AA"), f"the actions of page {index + 1}")

    def _annotation(self, annot: DictionaryObject, where: str) -> None:
        self._strings(annot, where, skip=frozenset({"/P", "/Parent", "/Popup", "/IRT", "/AP", "/A", "/AA", "/FS"}))
        rich = self.pdf.get(annot.get("/RC"))
        if isinstance(rich, StreamObject):
            self.finder.find(_xmp_text(self._read(rich)), where, once=True)
        self._xmp(annot.get("/Metadata"), f"metadata (XMP) of {where}")
        self._actions(annot.get("/A"), where)
        self._actions(annot.get("/AA"), where)
        self._filespec(annot.get("/FS"), where)
        appearance = self.pdf.dict(annot.get("/AP"))
        for state in appearance.values() if appearance is not None else []:
            state = self.pdf.get(state)
            for stream in (
                [state]
                if isinstance(state, StreamObject)
                else [self.pdf.get(s) for s in state.values()]
                if isinstance(state, DictionaryObject)
                else []
            ):
                if isinstance(stream, StreamObject):
                    self.finder.find(self._read(stream).decode("latin-1"), where, once=True)

    def _mark(self, value: Any) -> None:
        if isinstance(value, IndirectObject):
            self.pdf.structure.add(value.idnum)

    def _actions(self, value: Any, where: str) -> None:
        """An action, or a dictionary of actions by event (/AA), and the actions chained after them (/Next). A
        destination (an array naming a page) is no action: it is not followed."""
        first = self.pdf.get(value)
        stack = list(dict.values(first)) if isinstance(first, DictionaryObject) and "/S" not in first else [value]
        seen: set[int] = set()
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                if item.idnum in seen:
                    continue
                seen.add(item.idnum)
            action = self.pdf.dict(item)
            if action is None or "/S" not in action:
                continue
            self._mark(item)
            kind = action.get("/S")
            if kind == "/JavaScript":
                self.counts["script"] += 1
            elif kind not in ("/URI", "/GoTo", "/Named", "/Thread", "/SetOCGState", "/Hide", "/Trans"):
                self.counts["action"] += 1  # opening a file, submitting a form, playing a sound
            self._strings(action, where, skip=frozenset({"/Next", "/F", "/D"}))
            script = self.pdf.get(action.get("/JS"))
            if isinstance(script, StreamObject):
                self.finder.find(self._read(script).decode("latin-1"), where, once=True)
            self._filespec(action.get("/F"), where)
            chained = self.pdf.get(action.get("/Next"))
            stack.extend(chained if isinstance(chained, ArrayObject) else [action.get("/Next")])

    def _filespec(self, value: Any, where: str, name: str = "") -> None:
        spec = self.pdf.get(value)
        if isinstance(spec, (TextStringObject, ByteStringObject)):
            self.finder.find(_string(spec) or "", where, once=True)
        if not isinstance(spec, DictionaryObject):
            return
        self._mark(value)
        name = name or _string(self.pdf.get(spec.get("/UF"))) or _string(self.pdf.get(spec.get("/F"))) or ""
        label = f"an attached file “{_short(name)}”" if name else "an attached file"
        self._strings(spec, label, skip=frozenset({"/EF", "/RF"}))
        files = self.pdf.dict(spec.get("/EF"))
        for key in ("/UF", "/F") if files is not None else ():
            stream = self.pdf.get(files.get(key))
            if isinstance(stream, StreamObject):
                self.counts["attached file"] += 1
                self._mark(files.get(key))
                self.scanned.add(getattr(files.get(key), "idnum", -1))
                data = self._read(stream)
                if b"\x00" not in data[:4096]:  # text (UTF-8, Latin-1); a binary file is not read
                    self.finder.find(data.decode("utf-8", "replace"), f"the text of {label}", once=True)
                break

    def _tree(self, value: Any, kids: str = "/Kids", leaves: str = "/Names") -> Iterator[tuple[Any, Any]]:
        """The (key, value) pairs of a name or number tree, walked without recursion and without loops."""
        stack, seen = [value], set()
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                if item.idnum in seen:
                    continue
                seen.add(item.idnum)
                self._mark(item)
            node = self.pdf.dict(item)
            if node is None:
                continue
            pairs = self.pdf.get(node.get(leaves))
            if isinstance(pairs, ArrayObject):
                for i in range(0, len(pairs) - 1, 2):
                    yield self.pdf.get(pairs[i]), pairs[i + 1]
            children = self.pdf.get(node.get(kids))
            if isinstance(children, ArrayObject):
                stack.extend(reversed(children))

    def _outline(self, root: DictionaryObject) -> None:
        outlines = self.pdf.dict(root.get("/Outlines"))
        if outlines is None:
            return
        self._mark(root.get("/Outlines"))
        stack, seen = [outlines.get("/First")], set()
        while stack:
            value = stack.pop()
            if not isinstance(value, IndirectObject) or value.idnum in seen:
                continue
            seen.add(value.idnum)
            self._mark(value)
            item = self.pdf.dict(value)
            if item is None:
                continue
            self.counts["bookmark"] += 1
            self._strings(
                item,
                "a bookmark in the outline",
                skip=frozenset({"/Parent", "/First", "/Last", "/Next", "/Prev", "/A", "/Dest", "/SE"}),
            )
            self._actions(item.get("/A"), "a bookmark in the outline")
            stack += [item.get("/Next"), item.get("/First")]

    def _names(self, root: DictionaryObject) -> None:
        names = self.pdf.dict(root.get("/Names"))
        for tree, value in dict.items(names) if names is not None else []:
            for key, item in self._tree(value):
                name = _string(key) or ""
                if tree == "/EmbeddedFiles":
                    self.finder.find(name, f"an attached file “{_short(name)}”", once=True)
                    self._filespec(item, "", name)
                elif tree == "/JavaScript":
                    where = f"document JavaScript “{_short(name)}”" if name.strip() else "document JavaScript"
                    self.finder.find(name, where, once=True)
                    self.counts["script"] += 1
                    self._actions(item, where)
                elif tree == "/Dests":
                    self.counts["destination"] += 1
                    self.finder.find(name, "a named destination", once=True)
                else:
                    self.counts[f"names ({tree[1:]})"] += 1
                    self.finder.find(name, f"the document's names ({tree[1:]})", once=True)
                    self._strings(item, f"the document's names ({tree[1:]})")
        dests = self.pdf.dict(root.get("/Dests"))
        for key in dests if dests is not None else []:
            self.counts["destination"] += 1
            self.finder.find(key[1:], "a named destination", once=True)

    def _page_labels(self, root: DictionaryObject) -> None:
        for start, value in self._tree(root.get("/PageLabels"), leaves="/Nums"):
            label = self.pdf.dict(value)
            self.counts["page labels"] = 1
            if label is not None and isinstance(start, int):
                self._strings(label, f"the page label of page {start + 1}")

    def _form_fields(self, root: DictionaryObject) -> None:
        form = self.pdf.dict(root.get("/AcroForm"))
        if form is None:
            return
        xfa = self.pdf.get(form.get("/XFA"))
        for part in xfa if isinstance(xfa, ArrayObject) else [xfa]:
            stream = self.pdf.get(part)
            if isinstance(stream, StreamObject):
                self.finder.find(_xmp_text(self._read(stream)), "the form's XFA data", once=True)
        stack, seen = [form.get("/Fields")], set()
        while stack:
            value = stack.pop()
            if isinstance(value, IndirectObject):
                if value.idnum in seen:
                    continue
                seen.add(value.idnum)
                self._mark(value)
            item = self.pdf.get(value)
            if isinstance(item, ArrayObject):
                stack.extend(reversed(item))
                continue
            if not isinstance(item, DictionaryObject):
                continue
            self.counts["field"] += 1
            name = _string(self.pdf.get(item.get("/T"))) or ""
            where = f"a form field “{_short(name)}”" if name.strip() else "a form field"
            self._strings(item, where, skip=frozenset({"/Parent", "/Kids", "/P", "/AP", "/A", "/AA"}))
            self._actions(item.get("/A"), where)
            self._actions(item.get("/AA"), where)
            stack.append(item.get("/Kids"))

    def _document_actions(self, root: DictionaryObject) -> None:
        self._actions(root.get("/OpenAction"), "the action run when the document opens")
        self._actions(root.get("/AA"), "the document's actions (on closing, saving or printing)")

    def _tags(self, root: DictionaryObject) -> None:
        tree = self.pdf.dict(root.get("/StructTreeRoot"))
        if tree is None:
            return
        self._mark(root.get("/StructTreeRoot"))
        stack, seen = [tree.get("/K")], set()
        while stack:
            value = stack.pop()
            if isinstance(value, IndirectObject):
                if value.idnum in seen:
                    continue
                seen.add(value.idnum)
                self._mark(value)
            item = self.pdf.get(value)
            if isinstance(item, ArrayObject):
                stack.extend(reversed(item))
            elif isinstance(item, DictionaryObject) and item.get("/Type") in (None, "/StructElem"):
                self.counts["tag"] += 1
                for key in ("/T", "/Alt", "/ActualText", "/E"):
                    text = _string(self.pdf.get(item.get(key)))
                    if text:
                        self.finder.find(text, "the document's tags (text for screen readers)", once=True)
                stack.append(item.get("/K"))

    def _others(self, root: DictionaryObject) -> None:
        done = {"/Metadata", "/Outlines", "/Names", "/Dests", "/PageLabels", "/AcroForm", "/OpenAction", "/AA", "/StructTreeRoot"}
        for key in dict.keys(root):
            if key not in done and key not in VIEWER_SETTINGS:
                self.counts[f"entry {key[1:]}"] += 1
                self._strings(root.get(key), f"the document's {key[1:]} entry")

    # --- what the copy leaves out -------------------------------------------------------------------------

    def dropped(self) -> list[str]:
        c, out = self.counts, []
        if self.info_keys:
            out.append(f"the document properties ({', '.join(self.info_keys[:8])})")
        if c["xmp"]:
            out.append("XMP metadata" + (f" ({c['xmp']:,} packets)" if c["xmp"] > 1 else ""))
        # Comments, links and the like (attached files and form fields are named below).
        nouns = [
            n
            for n in dict.fromkeys([*ANNOTATION_NOUNS.values(), "annotation"])
            if c[n] and n not in ("attached file", "form field")
        ]
        if len(nouns) == 1 and nouns[0] != "annotation":
            out.append(_plural(c[nouns[0]], nouns[0]))
        elif nouns:
            parts = ", ".join(_plural(c[n], n) for n in nouns if n != "annotation")
            total = sum(c[n] for n in nouns)
            out.append(f"{_plural(total, 'annotation')}" + (f" ({parts})" if parts else ""))
        if c["bookmark"]:
            out.append(f"the outline ({_plural(c['bookmark'], 'bookmark')})")
        if c["attached file"]:
            out.append(_plural(c["attached file"], "attached file"))
        if c["script"]:
            out.append("JavaScript")
        if c["action"]:
            out.append("actions that open files or submit forms")
        if c["destination"]:
            out.append("named destinations")
        if c["page labels"]:
            out.append("page labels")
        if c["field"] or c["form field"]:
            out.append(f"a form ({_plural(max(c['field'], c['form field']), 'field')})")
        if c["tag"]:
            out.append("the tags (the structure screen readers use)")
        if c["thumbnail"]:
            out.append("page thumbnails")
        others = [k.removeprefix("entry ") for k in c if k.startswith(("entry ", "names ("))]
        if others:
            out.append(f"other document entries ({', '.join(others[:8])})")
        if "/Prev" in self.reader.trailer:  # the last section's trailer names the one before
            out.append("earlier versions of the file kept inside it (incremental updates)")
        return out

    # --- the last net: the file's own bytes and its other streams ----------------------------------------

    def last_net(self) -> None:
        """Search the identities found nowhere else in the file as plain bytes: outside its streams (dictionaries,
        comments, earlier versions, junk between objects) and in every stream that is not drawing, an image or a
        font, inflated (object streams, unused objects, metadata hung anywhere). All of it in one text, so the
        work is one search per identity whatever the number of objects."""
        missing = {(i.kind, i.text) for i, _, _ in self.finder.identities} - self.finder.found
        if not missing:
            return
        data, at, budget = self.data, 0, SCAN_BYTES
        parts: list[bytes] = []
        places: list[tuple[int, str]] = []  # (offset in the text, where) in order
        size = 0

        def add(chunk: bytes, where: str) -> None:
            nonlocal size
            places.append((size, where))
            parts.append(chunk)
            size += len(chunk) + 1

        while True:
            start = data.find(b"stream", at)
            while start != -1 and (data[start - 3 : start] == b"end" or data[start + 6 : start + 7] not in (b"\r", b"\n")):
                start = data.find(b"stream", start + 6)
            end = data.find(b"endstream", start + 6) if start != -1 else -1
            outside = data[at : start if end != -1 else len(data)]
            bounds = [(0, None)] + [(m.start(), int(m.group(1))) for m in _OBJECT_HEADER.finditer(outside)]
            for i, (begin, number) in enumerate(bounds):
                finish = bounds[i + 1][0] if i + 1 < len(bounds) else len(outside)
                if number is None:
                    add(outside[begin:finish], "elsewhere in the file")
                    continue
                closing = outside.find(b"endobj", begin, finish)
                closing = finish if closing == -1 else closing + 6
                add(outside[begin:closing], f"elsewhere in the file (object {number})")
                add(outside[closing:finish], "elsewhere in the file")
            if end == -1 or budget <= 0:
                break
            header_at = data.rfind(b"obj", at, start)
            header = _OBJECT_HEADER.search(data, max(at, header_at - 24), header_at + 3) if header_at != -1 else None
            number = int(header.group(1)) if header else None
            head = data[header_at:start] if header_at != -1 else b""
            if number not in self.drawing and number not in self.scanned and not _BINARY_STREAM.search(head):
                body = data[start + 6 : end].lstrip(b"\r\n")
                if b"/Filter" not in head:
                    text = body[: min(STREAM_BYTES, budget)]
                elif _FLATE_ONLY.search(head) and b"/DecodeParms" not in head:
                    text = self.pdf.decoded(_encoded_stream(body, "/FlateDecode"), min(STREAM_BYTES, budget))[0]
                else:
                    text = b""
                budget -= len(text)
                if b"<x:xmpmeta" in text or b"<rdf:RDF" in text:
                    self.finder.find(_xmp_text(text), f"metadata (XMP) in object {number}", once=True, only=missing)
                elif b"/ObjStm" in head and (first := _FIRST.search(head)) is not None:
                    start_of = int(first.group(1))
                    numbers = [int(n) for n in _INTEGER.findall(text, 0, start_of)]
                    pairs = sorted(zip(numbers[1::2], numbers[0::2], strict=False))  # (offset, object number)
                    add(text[:start_of], "elsewhere in the file")
                    for i, (offset, inner) in enumerate(pairs):
                        finish = pairs[i + 1][0] if i + 1 < len(pairs) else len(text)
                        add(text[start_of + offset : start_of + finish], f"elsewhere in the file (object {inner})")
                elif text:
                    add(text, f"elsewhere in the file (object {number})" if number else "elsewhere in the file")
            at = end + 9
        offsets = [offset for offset, _ in places] + [size]

        def place(at: int) -> tuple[str, int, int]:
            index = bisect.bisect_right(offsets, at) - 1
            return places[index][1], offsets[index], offsets[index + 1] - 1

        self.finder.find(b"\n".join(parts).decode("latin-1"), place, once=True, only=missing)

    # --- the reviewers' copy ---------------------------------------------------------------------------------

    def reviewers_copy(self) -> bytes:
        return _Copy(self).write()


# An object's header "12 0 obj": bounded repeats, so no start backtracks over a long run of digits or spaces.
_OBJECT_HEADER = re.compile(rb"(?<![0-9])([0-9]{1,10})[\x00\t\n\f\r ]{1,8}([0-9]{1,5})[\x00\t\n\f\r ]{1,8}obj(?![A-Za-z])")


_HEADER_AT = re.compile(rb"[\x00\t\n\f\r ]{0,8}([0-9]{1,10})[\x00\t\n\f\r ]{1,8}([0-9]{1,5})[\x00\t\n\f\r ]{1,8}obj")


_BINARY_STREAM = re.compile(
    rb"/(?:Image|Length1|Length2|Length3|Type1C|CIDFontType0C|OpenType|DCTDecode|DCT|JPXDecode|"
    rb"JBIG2Decode|CCITTFaxDecode|CCF)\b"
)


_FIRST = re.compile(rb"/First\s+([0-9]{1,10})")


_FLATE_ONLY = re.compile(rb"/Filter\s*(?:/FlateDecode|/Fl|\[\s*/FlateDecode\s*\]|\[\s*/Fl\s*\])")


def _encoded_stream(data: bytes, filters: str) -> EncodedStreamObject:
    stream = EncodedStreamObject()
    stream._data = data
    stream[NameObject("/Filter")] = NameObject(filters)
    return stream


PAGE_TREE = IndirectObject(2, 0, None)  # type: ignore[arg-type]  # object 2 of the copy, written as "2 0 R"


class _Copy:
    """The reviewers' copy: a new file of the pages' drawing only. Each page keeps its boxes, rotation,
    transparency group, content streams and the resources they name (forms pruned alike); a resource keeps what
    draws it, without metadata, private data, strings (but the two CID fonts need) or links elsewhere."""

    def __init__(self, document: _Document) -> None:
        self.doc, self.pdf = document, document.pdf
        self.bodies: list[PdfObject] = [DictionaryObject(), DictionaryObject()]  # 1: catalogue, 2: page tree
        self.numbers: dict[int, IndirectObject] = {}
        self.queue: list[tuple[IndirectObject, int, PdfObject, str]] = []
        trailer = self.pdf.reader.trailer
        self.never = {v.idnum for v in (trailer.get("/Root"), trailer.get("/Info")) if isinstance(v, IndirectObject)}

    def _new(self, obj: PdfObject) -> IndirectObject:
        self.bodies.append(obj)
        return IndirectObject(len(self.bodies), 0, None)  # type: ignore[arg-type]

    def write(self) -> bytes:
        kids = ArrayObject()
        for index, page in enumerate(self.pdf.reader.pages):
            drawing = self.doc.pages[index]
            new = DictionaryObject({NameObject("/Type"): NameObject("/Page"), NameObject("/Parent"): PAGE_TREE})
            for key in ("/MediaBox", "/CropBox", "/Rotate", "/UserUnit", "/Group", "/Contents"):
                if (value := self._value(page.get(key), key, 1)) is not None:
                    new[NameObject(key)] = value
            if "/MediaBox" not in new:  # US Letter, the standard's default
                new[NameObject("/MediaBox")] = ArrayObject(NumberObject(n) for n in (0, 0, 612, 792))
            new[NameObject("/Resources")] = self._resources(page.get("/Resources"), drawing.names, 1)
            kids.append(self._new(new))
            self._drain()
        self.bodies[0] = DictionaryObject({NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): PAGE_TREE})
        self.bodies[1] = DictionaryObject(
            {NameObject("/Type"): NameObject("/Pages"), NameObject("/Kids"): kids, NameObject("/Count"): NumberObject(len(kids))}
        )
        bodies = []
        for obj in self.bodies:
            out = io.BytesIO()
            obj.write_to_stream(out)
            bodies.append(out.getvalue())
        version = re.match(rb"\s*%PDF-(\d\.\d)", self.doc.data[:1024])
        return pdf_of(bodies, version.group(1) if version else b"1.7")

    def _drain(self) -> None:
        """Copy the objects referred to so far, and those they refer to (a queue: no recursion through
        references, however long their chain)."""
        while self.queue:
            ref, source, target, key = self.queue.pop()
            names = None
            if isinstance(target, StreamObject) and target.get("/Subtype") == "/Form":
                drawing = self.doc.forms.get(source)
                names = drawing.names if drawing is not None else None
            if isinstance(target, ArrayObject):
                self.bodies[ref.idnum - 1] = self._value(target, key, 1)  # type: ignore[assignment]
            else:
                self.bodies[ref.idnum - 1] = self._dict(target, key, 0, names=names, form=names is not None)

    def _value(self, value: Any, key: str, depth: int) -> PdfObject | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(value, IndirectObject):
            if value.idnum in self.numbers:
                return self.numbers[value.idnum]
            if value.idnum in self.never or value.idnum in self.pdf.structure:
                return None
            target = self.pdf.get(value, "pages")
            if isinstance(target, (TextStringObject, ByteStringObject)):
                return target if key in KEEP_STRINGS else None
            if isinstance(target, StreamObject):
                if key not in STREAM_KEYS:
                    return None
            elif isinstance(target, DictionaryObject):
                if target.get("/Type") in STRUCTURE_TYPES or target.get("/Subtype") in ANNOTATION_NOUNS:
                    return None
            elif not isinstance(target, ArrayObject):
                return target  # a number, name, boolean or null of its own: copied in place
            ref = self._new(NullObject())
            self.numbers[value.idnum] = ref
            self.queue.append((ref, value.idnum, target, key))
            return ref
        if isinstance(value, StreamObject):
            return None  # a stream is always an object of its own
        if isinstance(value, DictionaryObject):
            if value.get("/Type") in STRUCTURE_TYPES or value.get("/Subtype") in ANNOTATION_NOUNS:
                return None
            return self._dict(value, key, depth)
        if isinstance(value, ArrayObject):
            items = [self._value(item, key, depth + 1) for item in value]
            return ArrayObject(NullObject() if item is None else item for item in items)
        return value  # a number, name, boolean, null or string (in an array)

    def _dict(
        self, source: DictionaryObject, key: str, depth: int, *, names: set[str] | None = None, form: bool = False
    ) -> DictionaryObject:
        stream = isinstance(source, StreamObject)
        if isinstance(source, EncodedStreamObject):
            out: DictionaryObject = EncodedStreamObject()
        elif stream:
            out = DecodedStreamObject()
        else:
            out = DictionaryObject()
        if stream:
            out._data = source._data  # type: ignore[attr-defined]  # as stored: still compressed
        named = key in NAMED_MAPS  # a map from names to resources, glyph procedures or colorants
        for k, v in dict.items(source):
            if k in DROP_KEYS or (stream and k in STREAM_DROP_KEYS) or k == "/Length":
                continue
            if isinstance(v, (TextStringObject, ByteStringObject)) and k not in KEEP_STRINGS:
                continue
            if form and k == "/Resources":
                copied: PdfObject | None = self._resources(v, names, depth + 1)
            else:
                copied = self._value(v, NAMED if named else k, depth + 1)
            if copied is not None:
                out[NameObject(k)] = copied
        return out

    def _resources(self, value: Any, names: set[str] | None, depth: int) -> DictionaryObject:
        """The resources a content stream names (all of them when not all of it could be read)."""
        source = self.pdf.dict(value, "pages")
        out = DictionaryObject()
        for kind in RESOURCE_KINDS if source is not None else ():
            entries = self.pdf.dict(source.get(kind), "pages")
            kept = DictionaryObject()
            for name, item in dict.items(entries) if entries is not None else []:
                if names is None or name in names:
                    copied = self._value(item, NAMED, depth + 2)
                    if copied is not None:
                        kept[NameObject(name)] = copied
            if kept:
                out[NameObject(kind)] = kept
        return out


def analyse(data: bytes, identities: list[Identity], strip: bool = False) -> PdfReport:
    """Read ``data`` (PDFium for the pages, pypdf for the structure) and, with ``strip``, make the reviewers' copy.
    Runs inside the limited child process."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file would fill the log with repairs
    report = PdfReport()
    with apply_configuration(**PYPDF_LIMITS):
        try:
            pdf: _Pdf | None = _preflight(data)
        except _TooComplex as exc:
            report.error = str(exc)
            return report
        except Exception as exc:  # pypdf cannot read it: PDFium says why (encrypted, truncated), or it is refused
            pdf, unreadable = None, exc
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            message = str(exc)
            if "password" in message.lower():
                report.error = "The PDF is encrypted (password-protected). Upload an unprotected PDF."
            else:
                report.error = "The file could not be opened as a PDF: it is damaged or incomplete (truncated)."
            return report
        try:
            if pdf is None:
                raise unreadable
            report.pages = len(doc)
            if report.pages == 0:
                report.error = "The PDF has no pages."
                return report
            if report.pages > MAX_PAGES:
                report.error = f"The PDF has {report.pages:,} pages; the site checks at most {MAX_PAGES:,}."
                return report
            report.page_size = _page_size(*doc.get_page_size(0))  # without loading (parsing) the page
            return _analyse(doc, pdf, data, identities, strip, report)
        finally:
            doc.close()


def _preflight(data: bytes) -> _Pdf:
    """pypdf's reading of the file, before PDFium opens it: PDFium parses the document's XMP metadata as it
    opens a file (2 s for 35 MB), so a file whose XMP is larger than any real one is refused first."""
    pdf = _Pdf(data)
    root = pdf.dict(pdf.reader.trailer.get("/Root"))
    metadata = pdf.get(root.get("/Metadata")) if root is not None else None
    if isinstance(metadata, StreamObject) and not pdf.decoded(metadata, DOCUMENT_XMP_BYTES)[1]:
        raise _TooComplex(
            f"The PDF's XMP metadata is larger than {DOCUMENT_XMP_BYTES / 1e6:g} MB, more than the site "
            "reads. Export the PDF again without it (the reviewers' copy leaves it out anyway)."
        )
    return pdf


def _analyse(
    doc: pdfium.PdfDocument, pdf: _Pdf, data: bytes, identities: list[Identity], strip: bool, report: PdfReport
) -> PdfReport:
    finder = _Finder(identities)
    double_blind = strip or bool(identities)
    try:
        document = _Document(pdf, data, finder)
        if len(document.reader.pages) != report.pages:
            report.error = (
                f"The PDF's page tree is damaged: it counts {report.pages:,} pages in one place and "
                f"{len(document.reader.pages):,} in another. Save the PDF again from its source."
            )
            return report
        document.walk_pages()
    except _TooComplex:
        report.error = (
            f"The PDF's pages are made of more than {MAX_PAGE_OBJECTS:,} objects (fonts, images, "
            "figures), more than the site reads. Simplify the file, for instance by flattening its "
            "figures."
        )
        return report
    if double_blind:
        document.scan_first()  # the document information and its XMP first, as authors look there first
    shown = _read_pages(doc, document, report, finder)
    if double_blind:
        document.hidden_text(shown)
        document.scan_structure()
        document.last_net()
        report.dropped = document.dropped()
    report.hits = finder.hits
    report.notes += document.notes
    report.main_pages = report.references_page - 1 if report.references_page and report.references_page > 1 else report.pages
    if strip:
        try:
            report.stripped = document.reviewers_copy()
        except _TooComplex:
            report.error = (
                f"The reviewers' copy would need more than {MAX_PAGE_OBJECTS:,} objects, more than the "
                "site copies. Simplify the file, for instance by flattening its figures."
            )
            report.pages, report.hits = 0, []
            return report
    report.ok = True
    return report


def _read_pages(
    doc: pdfium.PdfDocument, document: _Document, report: PdfReport, finder: _Finder
) -> dict[int, set[tuple[str, str]]]:
    """The text of each page (PDFium), within the bounds: the references heading and the identities on it."""
    drawn = characters = 0
    too_big: list[int] = []
    past: list[int] = []
    shown: dict[int, set[tuple[str, str]]] = {}
    paid: set[int] = set()
    for index in range(report.pages):
        drawing = document.pages[index]
        fonts = drawing.fonts - paid
        cost = min(drawing.cost + sum(document.fonts[key] for key in fonts), INFINITE)
        if cost > PAGE_DRAWING_BYTES:
            too_big.append(index + 1)
            continue
        if drawn + cost > DRAWING_BYTES or characters > TEXT_CHARACTERS:
            past.append(index + 1)
            continue
        drawn += cost
        paid |= fonts
        page = doc[index]
        textpage = page.get_textpage()
        characters += textpage.count_chars()
        text = textpage.get_text_range()
        textpage.close()
        page.close()
        if report.references_page is None and REFERENCES_HEADING.search(text):
            report.references_page = index + 1
        finder.find(text, f"page {index + 1}")
        shown[index] = finder.found_at.get(f"page {index + 1}", set())
    names = " for names" if finder.identities else ""
    if too_big:
        verb = "was" if len(too_big) == 1 else "were"
        report.notes.append(
            f"{_pages_phrase(too_big).capitalize()} {verb} not read{names}: each holds more drawing "
            f"instructions than the check reads on one page ({PAGE_DRAWING_BYTES / 1e6:g} MB). Only "
            "text written plainly in them was searched."
        )
    if past:
        verb = "was" if len(past) == 1 else "were"
        report.notes.append(
            f"{_pages_phrase(past).capitalize()} {verb} not read{names}: the pages before hold as "
            f"much as the check reads in one file ({TEXT_CHARACTERS:,} characters, "
            f"{DRAWING_BYTES / 1e6:g} MB of drawing instructions). Only text written plainly in them "
            "was searched."
        )
    return shown


def reviewers_copy(data: bytes) -> bytes:
    """The reviewers' copy of ``data``: only what draws the pages (see ``_Copy``). In this process: for tests."""
    report = analyse(data, [], strip=True)
    if report.stripped is None:
        raise ValueError(report.error or "no copy")
    return report.stripped


def pdf_of(objects: list[bytes], version: bytes = b"1.4") -> bytes:
    """A PDF file of these object bodies (numbered from 1, the first the catalogue), with its cross-reference
    table and trailer: the reviewers' copy, and generated test files."""
    out, offsets = bytearray(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def packed_pdf(objects: list[bytes], per_stream: int = 20_000) -> bytes:
    """A PDF of these object bodies (numbered from 1, the first the catalogue) with every object that is not a
    stream packed into compressed object streams and a compressed cross-reference stream: a hundred thousand
    small objects fit in a few kilobytes."""
    out, entries = bytearray(b"%PDF-1.5\n"), {}
    loose = [(n, body) for n, body in enumerate(objects, start=1) if b"stream\n" not in body]
    for number, body in enumerate(objects, start=1):
        if b"stream\n" in body:
            entries[number] = (1, len(out), 0)
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    next_number = len(objects) + 1
    for start in range(0, len(loose), per_stream):
        group, header, bodies = loose[start : start + per_stream], [], bytearray()
        for index, (number, body) in enumerate(group):
            header.append(b"%d %d" % (number, len(bodies)))
            bodies += body + b"\n"
            entries[number] = (2, next_number, index)
        head = b" ".join(header) + b"\n"
        data = zlib.compress(head + bytes(bodies), 9)
        entries[next_number] = (1, len(out), 0)
        out += (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
            % (next_number, len(group), len(head), len(data))
            + data
            + b"\nendstream\nendobj\n"
        )
        next_number += 1
    xref_number, xref_at = next_number, len(out)
    entries[xref_number] = (1, xref_at, 0)
    # Rows with the PNG "Up" predictor (each row the difference from the one before): they compress to nothing.
    rows, previous = bytearray(), bytes(7)
    for number in range(xref_number + 1):
        kind, a, b = entries.get(number, (0, 0, 0))
        row = bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")
        rows += b"\x02" + bytes((x - y) % 256 for x, y in zip(row, previous, strict=True))
        previous = row
    data = zlib.compress(bytes(rows), 9)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d /Filter /FlateDecode "
        b"/DecodeParms << /Predictor 12 /Columns 7 >> >>\nstream\n"
        % (xref_number, xref_number + 1, len(data))
        + data
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def one_page_pdf(text: bytes) -> bytes:
    """A minimal one-page PDF showing ``text`` in Helvetica."""
    content = b"BT /F1 12 Tf 72 712 Td (%s) Tj ET" % text
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )
