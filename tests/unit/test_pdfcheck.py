"""The upload check of a paper PDF (portal.pdfcheck) on PDFs generated here: page count and size, where the
references start, traces of the authors in the metadata and on the pages, the refusals with their exact
messages, the time and memory limits of the child process, and the reviewers' copy without metadata."""

from __future__ import annotations

import faulthandler
import io
import json
import mmap
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from portal import pdfcheck
from portal.pdfanalysis import Hit, analyse, pdf_of, reviewers_copy
from portal.pdfcheck import Identity, PdfReport, check_pdf
from tests.pdfs import dense_text_pdf, encrypted_pdf, make_pdf

NOT_A_PDF = "This is not a PDF file (its content is not PDF, whatever its name says)."
TRUNCATED = "The file could not be opened as a PDF: it is damaged or incomplete (truncated)."
UNSUPPORTED = "The file could not be opened as a PDF: it is damaged or uses unsupported features."
ENCRYPTED = "The PDF is encrypted (password-protected). Upload an unprotected PDF."
TOO_SLOW = re.compile(r"Checking the PDF took longer than [\d.e-]+ seconds?; simplify the file\.")
MEMORY_REFUSALS = {
    "The PDF needs more memory to open than this site allows; simplify it.",
    "The PDF could not be checked: the checker stopped (it may need too much memory).",
}

ADA = [Identity("name", "Ada Lovelace"), Identity("email", "ada@example.org"), Identity("affiliation", "Analytical Engines Ltd")]


def build_pdf(pages: list[str], *, format: str | tuple[float, float] = "A4", orientation: str = "P", **metadata: str) -> bytes:
    """A PDF with one text per page (lines split on newlines) and the given document metadata
    (author, title, subject, keywords, creator)."""
    pdf = FPDF(orientation=orientation, format=format)
    pdf.set_font("helvetica", size=11)
    for key, value in metadata.items():
        getattr(pdf, f"set_{key}")(value)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def in_process(data: bytes, identities: list[Identity], strip: bool = False) -> PdfReport:
    return analyse(data, identities, strip)


def in_child(data: bytes, identities: list[Identity], strip: bool = False) -> PdfReport:
    return check_pdf(data, identities, strip=strip)


# Both ways must read a PDF alike: analyse() is what the limited child process runs.
CHECKS = [pytest.param(in_child, id="check_pdf"), pytest.param(in_process, id="analyse")]
Check = Callable[..., PdfReport]


# --- what the check reads -----------------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS)
def test_check_counts_the_pages_of_an_a4_paper(check: Check) -> None:
    report = check(make_pdf(4), ADA)

    assert report == PdfReport(
        ok=True, pages=4, main_pages=4, references_page=None, page_size="A4", hits=[], dropped=["the document properties (Title)"]
    )  # fpdf2 titles it "A paper"


@pytest.mark.parametrize(
    ("format", "orientation", "size"),
    [
        ("A4", "P", "A4"),
        ("Letter", "P", "US Letter"),
        ("Legal", "P", "US Legal"),
        ("A3", "P", "A3"),
        ("A4", "L", "A4 (landscape)"),
        ("Letter", "L", "US Letter (landscape)"),
        ((150, 200), "P", "150 x 200 mm"),
    ],
)
def test_check_names_the_page_size(format: str | tuple[float, float], orientation: str, size: str) -> None:
    report = check_pdf(build_pdf(["Page one.", "Page two."], format=format, orientation=orientation), [])

    assert (report.ok, report.pages, report.page_size) == (True, 2, size)


@pytest.mark.parametrize(
    "heading", ["References", "REFERENCES", "7 References", "7. References", "IV. References", "Bibliography"]
)
def test_references_heading_ends_the_main_text(heading: str) -> None:
    pages = ["Introduction", "Method", "Results", f"Conclusion\n{heading}\n[1] A. Author. A paper. 2023.", "[2] More"]

    report = check_pdf(build_pdf(pages), [])

    assert (report.ok, report.pages, report.references_page, report.main_pages) == (True, 5, 4, 3)


@pytest.mark.parametrize(
    "line",
    [
        "References to earlier work are in Section 2.",  # a sentence, not a heading
        "See the references.",
        "Referencesss",
        "A. References",
    ],
)
def test_references_in_a_sentence_are_no_heading(line: str) -> None:
    report = check_pdf(build_pdf(["Introduction", line, "Results"]), [])

    assert (report.references_page, report.main_pages) == (None, 3)


def test_the_first_references_heading_counts_and_page_one_means_every_page_is_main_text() -> None:
    assert check_pdf(make_pdf(6, references_on=5), []).references_page == 5
    report = check_pdf(build_pdf(["Intro", "References", "Appendix", "References"]), [])
    assert (report.references_page, report.main_pages) == (2, 1)
    # A heading on the first page cannot end the main text there: every page counts (the stricter reading).
    report = check_pdf(build_pdf(["References\n[1] A list of papers", "More", "More"]), [])
    assert (report.references_page, report.main_pages) == (1, 3)


# --- anonymity ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["author", "title", "subject", "keywords", "creator"])
@pytest.mark.parametrize("check", CHECKS)
def test_name_in_the_metadata_is_found(check: Check, key: str) -> None:
    value = "Long contexts, by Ada Lovelace and others"
    data = build_pdf(["An anonymous page."], **{key: value})

    report = check(data, ADA)

    assert report.ok
    assert report.hits == [Hit(f"metadata ({key.capitalize()})", "name", "Ada Lovelace", value)]


def test_name_email_and_affiliation_on_the_pages_are_found_with_page_and_context() -> None:
    pages = [
        "Anonymous submission. We study long contexts in language models.",
        "Our earlier work on memory layers was done at Analytical Engines Ltd, as described before.",
        "Code: write to ada@example.org for access. Acknowledgements: we thank Ada Lovelace for the engine.",
    ]

    report = check_pdf(build_pdf(pages), ADA)

    assert report.ok
    # Hits come page by page; the context is 40 characters either side, whitespace squashed.
    assert report.hits == [
        Hit(
            "page 2",
            "affiliation",
            "Analytical Engines Ltd",
            "rlier work on memory layers was done at Analytical Engines Ltd, as described before.",
        ),
        Hit("page 3", "name", "Ada Lovelace", "for access. Acknowledgements: we thank Ada Lovelace for the engine."),
        Hit("page 3", "email", "ada@example.org", "Code: write to ada@example.org for access. Acknowledgements: we thank"),
    ]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("We thank ADA LOVELACE for her notes.", "ADA LOVELACE"),  # another case
        ("We thank ada lovelace for her notes.", "ada lovelace"),
        ("We thank Ada\nLovelace for her notes.", "Ada Lovelace"),  # across a line break
        ("We thank Ada      Lovelace for her notes.", "Ada Lovelace"),  # extra spaces
        ("Thanks to (Ada Lovelace).", "Ada Lovelace"),  # punctuation around it
    ],
)
def test_name_is_found_whatever_its_case_and_spacing(text: str, matched: str) -> None:
    report = check_pdf(build_pdf([text]), [Identity("name", "Ada Lovelace")])

    assert [(h.where, h.kind, h.matched) for h in report.hits] == [("page 1", "name", matched)]


def test_name_spelled_with_extra_spaces_by_the_author_still_matches() -> None:
    report = check_pdf(build_pdf(["We thank Ada Lovelace."]), [Identity("name", "Ada   Lovelace")])

    assert [h.matched for h in report.hits] == ["Ada Lovelace"]


@pytest.mark.parametrize(
    "text",
    [
        "Annotated corpora are used throughout.",  # "Ann" begins a word
        "Joanna and Hanna annotated the data.",  # "Ann" inside a word
        "We use the ANNs of prior work.",
        "Annual reports were read.",
    ],
)
def test_a_name_inside_another_word_is_no_hit(text: str) -> None:
    report = check_pdf(build_pdf([text], title=text), [Identity("name", "Ann")])

    assert report.ok
    assert report.hits == []


def test_a_short_name_alone_is_a_hit() -> None:
    report = check_pdf(build_pdf(["Thanks to Ann, for the annotations."]), [Identity("name", "Ann")])

    assert [(h.where, h.matched, h.context) for h in report.hits] == [("page 1", "Ann", "Thanks to Ann, for the annotations.")]


def test_hits_stop_at_two_hundred() -> None:
    report = check_pdf(build_pdf(["Ada Lovelace. " * 150, "Ada Lovelace. " * 150]), [Identity("name", "Ada Lovelace")])

    assert report.ok
    assert len(report.hits) == 200


def test_an_anonymous_paper_has_no_hits() -> None:
    report = check_pdf(make_pdf(8, references_on=7, title="Memory layers for long contexts"), ADA)

    assert report.ok
    assert report.hits == []


# --- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<!doctype html><html><body><h1>Paper</h1></body></html>", id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="svg"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(200), id="elf-executable"),
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), id="windows-executable"),
        pytest.param(b"PK\x03\x04" + bytes(200), id="zip"),
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n\t ", id="whitespace"),
        pytest.param(b"<html>%PDF-1.4", id="polyglot-header"),
        pytest.param(b"<html><script>alert(1)</script>\n" + make_pdf(1), id="polyglot-html-then-pdf"),
        pytest.param(b"GIF89a" + make_pdf(1), id="polyglot-gif-then-pdf"),
    ],
)
def test_what_is_not_a_pdf_is_refused(data: bytes) -> None:
    assert check_pdf(data, ADA) == PdfReport(ok=False, error=NOT_A_PDF)


def test_a_pdf_after_a_byte_order_mark_and_blank_lines_is_read() -> None:
    report = check_pdf(b"\xef\xbb\xbf \r\n" + make_pdf(2), [])

    assert (report.ok, report.pages) == (True, 2)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(make_pdf(3)[: len(make_pdf(3)) // 2], id="half"),
        pytest.param(make_pdf(3)[:200], id="first-200-bytes"),
        pytest.param(b"%PDF-1.4\n", id="header-only"),
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 20, id="header-then-noise"),
    ],
)
def test_a_truncated_or_damaged_pdf_is_refused(data: bytes) -> None:
    assert check_pdf(data, ADA) == PdfReport(ok=False, error=TRUNCATED)


def test_an_encrypted_pdf_is_refused() -> None:
    report = check_pdf(encrypted_pdf(), ADA)

    assert report == PdfReport(ok=False, error=ENCRYPTED)
    assert "encrypted" in ENCRYPTED


# --- limits -------------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The living (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # not a process, or gone meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def checkers_left(wait: float = 5.0) -> list[int]:
    """The checker processes still alive after up to ``wait`` seconds: forked workers, or children of this
    process's checker server (a child stopped by its worker takes a moment to be gone)."""
    server = pdfcheck._servers.get(os.getpid())
    deadline = time.monotonic() + wait
    while True:
        left = [p.pid for p in multiprocessing.active_children()]
        left += children_of(server.process.pid) if server is not None else []
        if not left or time.monotonic() > deadline:
            return left  # type: ignore[return-value]
        time.sleep(0.05)


def assert_the_checker_still_works() -> None:
    """The parent survived: no checker child is left behind, and the next check runs normally."""
    assert checkers_left() == []
    report = check_pdf(make_pdf(2), [])
    assert (report.ok, report.pages) == (True, 2)


def test_a_check_over_the_time_limit_is_refused_and_the_child_is_stopped() -> None:
    report = check_pdf(make_pdf(50), ADA, timeout=0.0001)

    assert not report.ok
    assert report.error is not None
    assert TOO_SLOW.fullmatch(report.error), report.error
    assert (report.pages, report.hits) == (0, [])
    assert_the_checker_still_works()


@pytest.fixture
def no_crash_dump(request: pytest.FixtureRequest) -> Iterator[None]:
    """PDFium aborts a checker child that runs out of memory. The child inherits pytest's faulthandler through
    fork and would print its stack as a "Fatal Python error" although the parent handled it: mute it here."""
    if not faulthandler.is_enabled():
        yield
        return
    faulthandler.disable()
    try:
        yield
    finally:
        from _pytest.faulthandler import fault_handler_stderr_fd_key  # where pytest's handler writes

        faulthandler.enable(file=request.config.stash.get(fault_handler_stderr_fd_key, sys.__stderr__))


@pytest.mark.usefixtures("no_crash_dump")
def test_a_pdf_needing_more_memory_than_allowed_is_refused_not_a_crash() -> None:
    data = dense_text_pdf(900_000)  # PDFium needs about 180 MB to read its text
    assert len(data) < 100_000
    assert check_pdf(data, []).ok  # within the default limit it is a readable one-page PDF

    report = check_pdf(data, ADA, memory_mb=50)

    assert not report.ok
    assert report.error in MEMORY_REFUSALS
    assert_the_checker_still_works()


@pytest.mark.usefixtures("no_crash_dump")
def test_a_very_low_memory_limit_is_a_refusal_never_a_crash() -> None:
    report = check_pdf(make_pdf(50), ADA, strip=True, memory_mb=20)

    # Whether 20 MB suffice depends on the free memory the forked child inherits from this process. When they
    # do not, the message should name memory, but it may blame the file: an allocation that fails inside
    # pypdf's metadata strip can surface as SystemError rather than MemoryError, and the child reports every
    # other exception as "damaged". That depends on the heap, so it cannot be a strict xfail; "a refusal and
    # a living parent" is what is asserted.
    assert report.ok or report.error in {*MEMORY_REFUSALS, UNSUPPORTED}, report.error
    assert_the_checker_still_works()


# A regression test: the limit used to be an absolute RLIMIT_AS, and a forked child inherits the parent's whole
# address space (this pytest process maps ~970 MB after the browser tests), so a worker that had mapped about
# 1 GB refused every PDF needing real memory as "may need too much memory".
@pytest.mark.usefixtures("no_crash_dump")
def test_the_memory_limit_does_not_depend_on_the_size_of_the_parent_process() -> None:
    data = dense_text_pdf(800_000)  # reading it takes about 160 MB, far below the default limit of 1024 MB
    reserved = mmap.mmap(-1, 1 << 30)  # 1 GiB of address space in the parent; no page of it is touched
    try:
        report = check_pdf(data, [])
    finally:
        reserved.close()

    assert (report.ok, report.error, report.pages) == (True, None, 1)


# --- the checker server: a fresh process for each check, without forking the worker ----------------------


def server_pid() -> int:
    check_pdf(make_pdf(1), [])  # starts this process's server when there is none yet
    return pdfcheck._servers[os.getpid()].process.pid


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_checker_server_is_replaced_and_the_next_upload_is_checked() -> None:
    first = server_pid()
    os.kill(first, signal.SIGKILL)
    pdfcheck._servers[os.getpid()].process.wait(5)

    report = check_pdf(make_pdf(3), ADA)

    assert (report.ok, report.pages) == (True, 3)
    assert server_pid() != first
    assert not alive(first)


def test_uploads_checked_at_once_each_get_the_answer_about_their_own_file() -> None:
    people = [Identity("name", f"Author Number{n}") for n in range(8)]
    papers = [make_pdf(n + 1, first_page=f"By Author Number{n}.") for n in range(8)]
    reports: dict[int, PdfReport] = {}

    def check(n: int) -> None:
        reports[n] = check_pdf(papers[n], people)

    threads = [threading.Thread(target=check, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert {n: (r.ok, r.pages, [h.matched for h in r.hits]) for n, r in reports.items()} == {
        n: (True, n + 1, [f"Author Number{n}"]) for n in range(8)
    }
    assert checkers_left() == []


def test_a_worker_forked_after_its_first_check_starts_its_own_server() -> None:
    """gunicorn forks its workers, RQ a work horse per job: a forked process must not share its parent's
    server (the parent's server must end with the parent), and its checks still work."""
    parent_server = server_pid()
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def in_the_fork() -> None:
        report = check_pdf(make_pdf(2), ADA)
        sender.send((report.ok, report.pages, pdfcheck._servers[os.getpid()].process.pid))

    child = ctx.Process(target=in_the_fork)
    child.start()
    assert receiver.poll(60)
    ok, pages, child_server = receiver.recv()
    child.join(10)

    assert (ok, pages, child.exitcode) == (True, 2, 0)
    assert child_server != parent_server
    deadline = time.monotonic() + 10
    while alive(child_server) and time.monotonic() < deadline:  # it ends with the process that started it
        time.sleep(0.05)
    assert not alive(child_server)
    assert alive(parent_server)


def test_the_checker_server_ends_when_its_worker_is_killed() -> None:
    script = (
        "import os, sys; from portal import pdfcheck; from tests.pdfs import make_pdf; "
        "assert pdfcheck.check_pdf(make_pdf(1), []).ok; "
        "print(pdfcheck._servers[os.getpid()].process.pid, flush=True); os.kill(os.getpid(), 9)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(pdfcheck.__file__)),
    )
    server = int(done.stdout.split()[0])

    assert done.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server)


def test_where_no_checker_server_can_start_each_check_forks_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interpreter that is not Python (uWSGI embeds one) cannot run the server: the checks still run, each
    in a forked child with the same limits."""
    monkeypatch.setattr(pdfcheck, "_servers", {})
    monkeypatch.setattr(pdfcheck, "_no_server_until", {})
    monkeypatch.setattr(sys, "executable", "/bin/false")

    report = check_pdf(make_pdf(3), ADA, strip=True)
    too_slow = check_pdf(make_pdf(50), ADA, timeout=0.0001)

    assert (report.ok, report.pages) == (True, 3)
    assert too_slow.error is not None and TOO_SLOW.fullmatch(too_slow.error)
    assert pdfcheck._servers == {}
    assert multiprocessing.active_children() == []


def many_pages_pdf(pages: int) -> bytes:
    """A small file with ``pages`` pages of dense text (one content stream shared by all): slow to read, about
    a millisecond a page."""
    line = b"(Long-context language models attend to many tokens at once.) ' "
    content = b"BT /F1 9 Tf 36 800 Td 11 TL " + line * 70 + b"ET"
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    ] * pages
    return pdf_of(objects)


def test_a_check_stopped_at_its_deadline_is_killed_at_once() -> None:
    # About half a second to read (the check stops reading names after 141 pages, but still opens every page),
    # well over the deadline even on a fast machine; the child's own alarm (whole seconds) would end it only
    # after a second.
    slow = many_pages_pdf(2000)

    started = time.monotonic()
    report = check_pdf(slow, ADA, timeout=0.02)
    stopped = time.monotonic() - started

    assert report.error is not None and TOO_SLOW.fullmatch(report.error), report.error
    assert stopped < 0.3
    assert checkers_left(wait=0.15) == []  # killed by the worker, not left to finish or to its alarm


def test_checks_at_once_after_the_server_died_all_get_their_answer_from_one_new_server() -> None:
    first = server_pid()
    os.kill(first, signal.SIGKILL)
    pdfcheck._servers[os.getpid()].process.wait(5)
    reports: list[PdfReport] = []

    def check() -> None:
        reports.append(check_pdf(make_pdf(2), ADA))

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [(r.ok, r.pages) for r in reports] == [(True, 2)] * 6
    servers = [pid for pid in children_of(os.getpid()) if "--serve" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert servers == [server_pid()]  # one replacement, not one per thread


GOOD_ANSWER = PdfReport(ok=True, pages=2, main_pages=2, page_size="A4", hits=[Hit("page 1", "name", "Ada", "Ada")]).to_dict()


@pytest.mark.parametrize(
    "answer",
    [
        "x",
        1,
        [],
        None,
        {},
        {**GOOD_ANSWER, "extra": 1},
        {k: v for k, v in GOOD_ANSWER.items() if k != "ok"},
        {**GOOD_ANSWER, "pages": "many"},
        {**GOOD_ANSWER, "ok": "yes"},
        {**GOOD_ANSWER, "hits": "none"},
        {**GOOD_ANSWER, "hits": [{"where": "page 1"}]},
        {**GOOD_ANSWER, "hits": [GOOD_ANSWER["hits"][0]] * 201},
        {**GOOD_ANSWER, "hits": [{**GOOD_ANSWER["hits"][0], "context": 7}]},
        {**GOOD_ANSWER, "dropped": "outline"},
        {**GOOD_ANSWER, "dropped": [1]},
        {**GOOD_ANSWER, "notes": None},
        {**GOOD_ANSWER, "notes": ["A note."] * 51},
    ],
)
def test_a_garbled_answer_from_a_checker_is_refused_not_believed(answer: Any) -> None:
    """A child taken over by a hostile PDF may answer anything: the worker believes only a well-formed report,
    and refuses the upload otherwise (check_pdf turns the ValueError into "the checker stopped")."""
    with pytest.raises(ValueError):
        pdfcheck._report_from(json.loads(json.dumps(answer)), None)


def test_a_well_formed_answer_is_the_report() -> None:
    report = pdfcheck._report_from(json.loads(json.dumps(GOOD_ANSWER)), b"%PDF-copy")
    assert (report.ok, report.pages, report.hits, report.stripped) == (
        True,
        2,
        [Hit("page 1", "name", "Ada", "Ada")],
        b"%PDF-copy",
    )


@pytest.mark.parametrize("sizes", [(400_000_000, 0xFFFFFFFF), (100, 50_000_000)])
def test_an_answer_announcing_more_than_any_report_is_refused_before_it_is_read(sizes: tuple[int, int]) -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(pdfcheck._FRAME.pack(*sizes))
        with pytest.raises(ValueError):
            pdfcheck._read_answer(ours, 1_000_000, time.monotonic() + 5)


# --- the reviewers' copy ------------------------------------------------------------------------------

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ada Lovelace</dc:creator>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def identifying_pdf(pages: int = 3) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=11)
    pdf.set_author("Ada Lovelace")
    pdf.set_title("Memory layers, by Ada Lovelace")
    pdf.set_subject("Ada Lovelace's workshop paper")
    pdf.set_keywords("long context, Ada Lovelace")
    pdf.set_creator("Ada Lovelace's LaTeX")
    pdf.set_xmp_metadata(XMP)
    for i in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {i}. Long-context language models attend to many tokens.")
    return bytes(pdf.output())


def metadata_of(data: bytes) -> dict[str, Any]:
    reader = PdfReader(io.BytesIO(data))
    return {"info": dict(reader.metadata or {}), "xmp": "/Metadata" in reader.trailer["/Root"], "pages": len(reader.pages)}


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


def test_the_reviewers_copy_has_no_document_information_or_xmp_and_keeps_the_pages() -> None:
    data = identifying_pdf(3)
    before = metadata_of(data)
    assert before["info"]["/Author"] == "Ada Lovelace"
    assert before["info"]["/Title"] == "Memory layers, by Ada Lovelace"
    assert before["xmp"] is True

    stripped = reviewers_copy(data)

    after = metadata_of(stripped)
    assert after == {"info": {}, "xmp": False, "pages": 3}
    assert page_texts(stripped) == page_texts(data)
    # The reviewers' copy passes the check it failed before.
    assert check_pdf(data, ADA).hits != []
    report = check_pdf(stripped, ADA)
    assert (report.ok, report.pages, report.hits) == (True, 3, [])


def test_the_reviewers_copy_leaves_no_trace_of_the_info_dictionary_in_the_bytes() -> None:
    data = make_pdf(2, author="Ada Lovelace", title="Memory layers, by Ada Lovelace")
    assert b"(Ada Lovelace)" in data

    stripped = reviewers_copy(data)

    assert b"Ada Lovelace" not in stripped
    assert b"/Author" not in stripped


# A regression test: the XMP stream used to stay in the file as an orphan object after /Metadata was unlinked.
def test_the_reviewers_copy_leaves_no_trace_of_the_xmp_metadata_in_the_bytes() -> None:
    data = identifying_pdf(2)
    assert b"<dc:creator>Ada Lovelace</dc:creator>" in data

    stripped = reviewers_copy(data)

    assert b"Ada Lovelace" not in stripped
    assert b"xmpmeta" not in stripped


def test_check_returns_the_stripped_copy_only_when_asked() -> None:
    data = identifying_pdf(2)

    plain = check_pdf(data, ADA)
    stripped = check_pdf(data, ADA, strip=True)

    assert plain.stripped is None
    assert stripped.stripped is not None
    assert metadata_of(stripped.stripped) == {"info": {}, "xmp": False, "pages": 2}
    # The report of the original still lists what it found; the copy kept for the record has no bytes.
    assert [h.where for h in stripped.hits] == [
        "metadata (Author)",
        "metadata (Creator)",
        "metadata (Title)",
        "metadata (Subject)",
        "metadata (Keywords)",
        "metadata (XMP)",
    ]
    assert "stripped" not in stripped.to_dict()
    assert stripped.to_dict()["hits"][0] == {
        "where": "metadata (Author)",
        "kind": "name",
        "matched": "Ada Lovelace",
        "context": "Ada Lovelace",
    }


def test_anonymity_scan_reads_the_xmp_metadata() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_xmp_metadata(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ada Lovelace</dc:creator>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.cell(0, 5, "An anonymous page.")
    report = check_pdf(bytes(pdf.output()), [Identity("name", "Ada Lovelace")])
    assert [(h.where, h.kind, h.matched) for h in report.hits] == [("metadata (XMP)", "name", "Ada Lovelace")]


# --- every double-blind paper gets its copy ---------------------------------------------------------------------


def _with(data: bytes, change: Callable[[PdfWriter], None], *, incremental: bool = False) -> bytes:
    writer = PdfWriter(io.BytesIO(data), incremental=True) if incremental else PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_every_pdf_gets_a_reviewers_copy_without_document_information() -> None:
    plain = make_pdf(title="")  # fpdf2 writes its Producer and the creation date, nothing more
    files = {
        "plain": plain,
        "author": make_pdf(title="", author="Ada Lovelace"),
        "title": make_pdf(title="Attention sinks"),
        "a key of its own": _with(plain, lambda w: w.add_metadata({"/Company": "Analytical Engines Ltd"})),
        "an update that adds an author": _with(plain, lambda w: w.add_metadata({"/Author": "Ada"}), incremental=True),
        "an escaped name": plain.replace(b"/CreationDate", b"/Cr#65ationDate"),
    }
    for what, data in files.items():
        report = check_pdf(data, [], strip=True)
        assert (what, report.ok) == (what, True)
        assert report.stripped is not None
        copy = PdfReader(io.BytesIO(report.stripped))
        assert (what, copy.metadata, page_texts(report.stripped)) == (what, None, page_texts(data))
