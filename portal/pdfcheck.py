"""The upload check of a paper PDF: is it a PDF, does it open, how many pages, which page size, and does it
reveal an author (names, emails, affiliations in the text of the pages or in the document metadata)?

The parsing runs in a child process with a time and a memory limit, so a hostile PDF cannot take a web
worker down. PDFium (through pypdfium2) parses: it is the PDF engine of Chromium, maintained, and extracts
the text of 50 pages in about 50 ms where pypdf needs about 300 ms.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import resource
import time
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from typing import Any

# Imported here, in the parent, so each forked checker starts with them loaded (saves ~40 ms a check).
import pypdfium2 as pdfium
from pypdf import PdfReader, PdfWriter

METADATA_KEYS = ("Author", "Creator", "Title", "Subject", "Keywords", "Producer")
HARMLESS_INFO = {"/Producer", "/CreationDate", "/ModDate", "/Trapped"}  # the library's name and dates
ESCAPED_NAME = re.compile(rb"/[^\s/<>\[\]()%]*#[0-9A-Fa-f]{2}")  # /Met#61data is /Metadata

PAGE_SIZES = {(595, 842): "A4", (612, 792): "US Letter", (842, 1191): "A3", (612, 1008): "US Legal"}
XMP_PACKET = re.compile(rb"<x:xmpmeta\b.*?</x:xmpmeta>", re.S)
REFERENCES_HEADING = re.compile(r"^\s*(?:\d+\.?\s*|[IVX]+\.\s*)?(references|bibliography)\s*$", re.I | re.M)


@dataclass
class Identity:
    """What could reveal an author: a name, an email or an affiliation."""

    kind: str  # "name", "email" or "affiliation"
    text: str


@dataclass
class Hit:
    where: str  # "page 1" or "metadata (Author)"
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
    # No document metadata that could name anyone (no Author, Creator, Title, Subject or Keywords, no XMP):
    # the file itself can be the reviewers' copy.
    metadata_free: bool = False
    # The reviewers' copy (document metadata and XMP removed), when asked for and needed.
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


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pattern(identity: Identity) -> re.Pattern[str]:
    words = [re.escape(w) for w in identity.text.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.I)


def _find(text: str, where: str, identities: list[Identity], hits: list[Hit]) -> None:
    for identity in identities:
        for m in _pattern(identity).finditer(text):
            start, end = max(0, m.start() - 40), min(len(text), m.end() + 40)
            hits.append(Hit(where, identity.kind, _squash(m.group(0)), _squash(text[start:end])))
            if len(hits) >= 200:
                return


def strip_metadata(data: bytes) -> bytes:
    """The same PDF without its document information dictionary and XMP metadata."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.metadata = None
    writer.root_object.pop("/Metadata", None)
    for page in writer.pages:
        page.pop("/Metadata", None)
    # Drop what nothing refers to any more, the XMP stream included (else it is written as an orphan object).
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _without_streams(data: bytes) -> bytes:
    """The file without its streams' bytes: the dictionaries and the trailer, for a search by name."""
    parts, at = [], 0
    while (start := data.find(b"stream", at)) != -1:
        end = data.find(b"endstream", start + 6)
        if end == -1:
            break
        parts.append(data[at:start])
        at = end + 9
    parts.append(data[at:])
    return b" ".join(parts)


def _metadata_free(data: bytes) -> bool:
    """Nothing in the file's metadata could name anyone, judged strictly (when unsure, the copy is made): one
    revision only (no incremental update keeps an older Info dictionary), no XMP, no object streams or escaped
    names that could hide one, and an Info dictionary with nothing but the PDF library's own dates and name."""
    objects = _without_streams(data)
    if (objects.count(b"startxref") != 1 or ESCAPED_NAME.search(objects)
            or re.search(rb"/(?:Metadata|ObjStm|Prev)\b", objects)):  # fmt: skip
        return False
    info = PdfReader(io.BytesIO(data)).metadata or {}
    return all(key in HARMLESS_INFO or not str(value).strip() for key, value in info.items())


def analyse(data: bytes, identities: list[Identity], strip: bool = False) -> PdfReport:
    """Parse ``data`` with PDFium. Runs inside the limited child process."""
    report = PdfReport()
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
        report.pages = len(doc)
        if report.pages == 0:
            report.error = "The PDF has no pages."
            return report
        width, height = doc[0].get_size()
        report.page_size = _page_size(width, height)
        metadata = doc.get_metadata_dict()
        for key in METADATA_KEYS:
            value = metadata.get(key) or ""
            if value:
                _find(value, f"metadata ({key})", identities, report.hits)
        # XMP metadata (dc:creator and friends) is an XML packet, stored uncompressed by convention. Whether
        # the file is free of metadata is judged on its bytes: no packet, no /Metadata key, and no compressed
        # object streams that could hide one.
        packets = XMP_PACKET.findall(data[:5_000_000])
        for packet in packets:
            text = re.sub(r"<[^>]+>", " ", packet.decode("utf-8", "replace"))
            _find(text, "metadata (XMP)", identities, report.hits)
        report.metadata_free = not packets and _metadata_free(data)
        for index in range(report.pages):
            page = doc[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            page.close()
            if report.references_page is None and REFERENCES_HEADING.search(text):
                report.references_page = index + 1
            _find(text, f"page {index + 1}", identities, report.hits)
        report.main_pages = (report.references_page - 1 if report.references_page and report.references_page > 1
                             else report.pages)  # fmt: skip
        report.ok = True
    finally:
        doc.close()
    if strip and not report.metadata_free:
        report.stripped = strip_metadata(data)
    return report


def _address_space() -> int:
    """Bytes of address space this process maps now (inherited from the parent at fork)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child(conn: Connection, data: bytes, identities: list[Identity], strip: bool, memory_mb: int) -> None:
    # A budget on top of what the fork inherited, so the limit means the same in a small or a big worker.
    limit = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(analyse(data, identities, strip))
    except (MemoryError, SystemError):  # pypdf may turn a failed allocation into SystemError
        conn.send(PdfReport(error="The PDF needs more memory to open than this site allows; simplify it."))
    except Exception:
        conn.send(PdfReport(error="The file could not be opened as a PDF: it is damaged or uses unsupported features."))
    finally:
        conn.close()


def check_pdf(
    data: bytes, identities: list[Identity], *, strip: bool = False, timeout: float = 20.0, memory_mb: int = 1024
) -> PdfReport:
    """Analyse ``data`` in a child process limited in time and memory; any failure becomes a refusal."""
    if not is_pdf_bytes(data[:1024]):
        return PdfReport(error="This is not a PDF file (its content is not PDF, whatever its name says).")
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(sender, data, identities, strip, memory_mb), daemon=True)
    started = time.monotonic()
    child.start()
    sender.close()
    try:
        if receiver.poll(timeout):
            try:
                return receiver.recv()  # type: ignore[no-any-return]
            except EOFError:
                pass
        elif child.is_alive():
            seconds = f"{timeout:g} second{'s' if timeout != 1 else ''}"
            return PdfReport(error=f"Checking the PDF took longer than {seconds}; simplify the file.")
        return PdfReport(error="The PDF could not be checked: the checker stopped (it may need too much memory).")
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(max(0.0, 5 - (time.monotonic() - started)))
