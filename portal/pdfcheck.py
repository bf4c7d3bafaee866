"""The PDF check as a process protocol: each check of an upload runs ``pdfanalysis.analyse`` in a new process
limited in time and memory, so a hostile PDF can crash, hang or exhaust only that process, never a web worker.
The analysis itself (what is read, what is searched, the reviewers' copy) is ``portal/pdfanalysis.py``.

Each worker starts a checker server (this file run as a script, with only PDFium and pypdf loaded) that forks a
child per check; where no server can start, the worker forks itself (see "the checker server" below).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import math
import multiprocessing
import os
import resource
import signal
import socket
import struct
import subprocess  # the checker server: this file, with an argument list and never a shell  # nosec B404
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any


def _analysis_module() -> Any:
    """``portal/pdfanalysis.py``: imported as part of the package in a worker; loaded by its path in the checker
    server, which runs this file as a script and must not import the portal package (Flask, SQLAlchemy)."""
    if __package__:
        from portal import pdfanalysis

        return pdfanalysis
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pdfanalysis.py")
    spec = importlib.util.spec_from_file_location("pdfanalysis", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["pdfanalysis"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# Imported here, in the parent, so each forked checker starts with PDFium and pypdf loaded (saves ~40 ms a check).
_analysis = _analysis_module()
Hit, Identity, PdfReport = _analysis.Hit, _analysis.Identity, _analysis.PdfReport
analyse, is_pdf_bytes, one_page_pdf = _analysis.analyse, _analysis.is_pdf_bytes, _analysis.one_page_pdf
MAX_HITS = _analysis.MAX_HITS


def _address_space() -> int:
    """Bytes of address space this process maps now (inherited from the parent at fork)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(memory_mb: int) -> None:
    """A budget on top of what this process maps already, so the limit means the same whatever the parent."""
    limit = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _limited_analyse(data: bytes, identities: list[Identity], strip: bool, memory_mb: int) -> PdfReport:
    """``analyse`` under the memory limit, every failure turned into a refusal. Runs in the checker child."""
    _limit_memory(memory_mb)
    try:
        return analyse(data, identities, strip)
    except (MemoryError, SystemError):  # pypdf may turn a failed allocation into SystemError
        return PdfReport(error="The PDF needs more memory to open than this site allows; simplify it.")
    except Exception:
        return PdfReport(error="The file could not be opened as a PDF: it is damaged or uses unsupported features.")


def _too_slow(timeout: float) -> PdfReport:
    seconds = f"{timeout:g} second{'s' if timeout != 1 else ''}"
    return PdfReport(error=f"Checking the PDF took longer than {seconds}; simplify the file.")


CHECKER_STOPPED = "The PDF could not be checked: the checker stopped (it may need too much memory)."


def check_pdf(
    data: bytes, identities: list[Identity], *, strip: bool = False, timeout: float = 20.0, memory_mb: int = 1024
) -> PdfReport:
    """Analyse ``data`` in a new process limited in time and memory; any failure becomes a refusal."""
    if not is_pdf_bytes(data[:1024]):
        return PdfReport(error="This is not a PDF file (its content is not PDF, whatever its name says).")
    try:
        return _check_in_server(data, identities, strip, timeout, memory_mb)
    except _NoServer:
        return _check_in_fork(data, identities, strip, timeout, memory_mb)


_FRAME = struct.Struct("!II")  # two lengths: the JSON part and the bytes part that follows it
_NO_BYTES = 0xFFFFFFFF  # "no reviewers' copy" in the bytes length of an answer
_PID = struct.Struct("!I")
SERVER_START_SECONDS = 30.0
HAND_OVER_SECONDS = 5.0  # a server that takes no new check for this long is wedged: it is replaced
NO_SERVER_RETRY_SECONDS = 60.0  # after a failed start, the worker forks for each check this long, then retries
MAX_ANSWER_BYTES = 1_000_000  # the JSON of a report: 200 hits with their context take far less
REPORT_FIELDS: dict[str, tuple[type, ...]] = {
    "ok": (bool,),
    "error": (str, type(None)),
    "pages": (int,),
    "main_pages": (int,),
    "references_page": (int, type(None)),
    "page_size": (str,),
    "hits": (list,),
    "dropped": (list, type(None)),
    "notes": (list,),
}
MAX_LINES = 50  # sentences in a report's "dropped" and "notes": far fewer are ever written
HIT_FIELDS = {"where", "kind", "matched", "context"}


class _NoServer(Exception):
    """The checker server cannot be started here (an embedding interpreter, no fork): fork the worker."""


class _Server:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(  # noqa: S603 - this file, run by this interpreter  # nosec B603
                [sys.executable, "-P", os.path.abspath(__file__), "--serve", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError as exc:
            ours.close()
            raise _NoServer(str(exc)) from exc
        finally:
            theirs.close()
        self.control, self.owner, self.lock = ours, os.getpid(), threading.Lock()
        ours.settimeout(SERVER_START_SECONDS)
        try:
            ready = ours.recv(16) == b"ready"
        except OSError:
            ready = False
        if not ready:
            self.stop()
            raise _NoServer("the checker server did not start")
        ours.settimeout(HAND_OVER_SECONDS)

    def hand_over(self, sock: socket.socket) -> None:
        with self.lock:
            socket.send_fds(self.control, [b"check"], [sock.fileno()])

    def stop(self) -> None:
        with self.lock:
            self.control.close()
        if self.owner == os.getpid():
            try:
                self.process.wait(2)  # it leaves when its control socket closes
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_servers: dict[int, _Server] = {}  # by owner pid: a forked child starts its own (entries are never deleted
_servers_lock = threading.Lock()  # so no Popen of another process is ever collected and waited for there)
_no_server_until: dict[int, float] = {}  # by pid: no server could start there; fork until then


def _server(replacing: _Server | None = None) -> _Server:
    """This process's server, started when there is none or it died; ``replacing`` a server that failed (only
    if no other thread has replaced it already)."""
    pid = os.getpid()
    with _servers_lock:
        if time.monotonic() < _no_server_until.get(pid, 0.0):
            raise _NoServer("no checker server could start in this process a moment ago")
        server = _servers.get(pid)
        if server is not None and (server is replacing or server.process.poll() is not None):
            server.stop()
            server = None
        if server is None:
            try:
                server = _servers[pid] = _Server()
            except _NoServer:
                _no_server_until[pid] = time.monotonic() + NO_SERVER_RETRY_SECONDS
                raise
        return server


def _hand_over(sock: socket.socket) -> None:
    server = _server()
    try:
        server.hand_over(sock)
    except OSError:  # the server died or is wedged: start another, once
        try:
            _server(replacing=server).hand_over(sock)
        except OSError as exc:
            raise _NoServer(str(exc)) from exc


def _forget_inherited_servers() -> None:
    """In a forked child: close the parent's control sockets, so its server still ends with the parent."""
    global _servers_lock
    _servers_lock = threading.Lock()
    for server in _servers.values():
        if server.owner != os.getpid():
            server.lock = threading.Lock()
            server.control.close()


def _stop_servers() -> None:
    for server in list(_servers.values()):
        if server.owner == os.getpid():
            server.stop()


os.register_at_fork(after_in_child=_forget_inherited_servers)
atexit.register(_stop_servers)


def _receive(sock: socket.socket, size: int, deadline: float) -> bytes:
    """Exactly ``size`` bytes; TimeoutError past the deadline, EOFError when the other end closes first."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        sock.settimeout(max(deadline - time.monotonic(), 1e-6))
        count = sock.recv_into(view[got:], size - got)
        if count == 0:
            raise EOFError
        got += count
    return bytes(buffer)


def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
    sock.settimeout(max(deadline - time.monotonic(), 1e-6))
    sock.sendall(data)


class _Child:
    """A checker child, by a pidfd taken while it waits for its request: a signal can reach no other process
    even after it has exited and its pid been reused (it is the server's child, not this process's)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.fd = pid, None
        try:
            self.fd = os.pidfd_open(pid)
        except ProcessLookupError:
            self.pid = 0  # gone already: nothing to stop
        except OSError:  # a kernel without pidfds (before Linux 5.3): by pid, as a last resort
            pass

    def stop(self, kill: bool) -> None:
        if kill and self.pid:
            with contextlib.suppress(OSError):
                if self.fd is not None:
                    signal.pidfd_send_signal(self.fd, signal.SIGKILL)
                else:
                    os.kill(self.pid, signal.SIGKILL)
        if self.fd is not None:
            os.close(self.fd)


def _read_answer(sock: socket.socket, data_size: int, deadline: float) -> PdfReport:
    """The child's answer, believed only as far as it is well formed: a child taken over by a hostile PDF may
    send anything, and must not make this process allocate gigabytes or fail (ValueError if malformed)."""
    json_size, bytes_size = _FRAME.unpack(_receive(sock, _FRAME.size, deadline))
    if json_size > MAX_ANSWER_BYTES or (bytes_size != _NO_BYTES and bytes_size > 4 * data_size + 1_000_000):
        raise ValueError("the checker's answer is larger than any report")
    answer = json.loads(_receive(sock, json_size, deadline))
    stripped = None if bytes_size == _NO_BYTES else _receive(sock, bytes_size, deadline)
    return _report_from(answer, stripped)


def _report_from(answer: Any, stripped: bytes | None) -> PdfReport:
    if not isinstance(answer, dict) or answer.keys() != REPORT_FIELDS.keys():
        raise ValueError("the checker's answer is not a report")
    if not all(isinstance(answer[key], types) for key, types in REPORT_FIELDS.items()):
        raise ValueError("the checker's answer has a field of the wrong type")
    hits = answer.pop("hits")
    if len(hits) > MAX_HITS or not all(
        isinstance(h, dict) and h.keys() == HIT_FIELDS and all(isinstance(v, str) for v in h.values()) for h in hits
    ):
        raise ValueError("the checker's answer has malformed hits")
    for key in ("dropped", "notes"):
        lines = answer[key] or []
        if len(lines) > MAX_LINES or not all(isinstance(line, str) for line in lines):
            raise ValueError(f"the checker's answer has malformed {key}")
    return PdfReport(**answer, hits=[Hit(**h) for h in hits], stripped=stripped)


def _check_in_server(data: bytes, identities: list[Identity], strip: bool, timeout: float, memory_mb: int) -> PdfReport:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with ours:
        try:
            _hand_over(theirs)
        finally:
            theirs.close()  # the child holds the only other copy now
        deadline = time.monotonic() + timeout
        request = json.dumps(
            {"identities": [[i.kind, i.text] for i in identities], "strip": strip, "memory_mb": memory_mb, "seconds": timeout}
        ).encode()
        child, answered = None, False
        try:
            child = _Child(_PID.unpack(_receive(ours, _PID.size, deadline))[0])
            _send(ours, _FRAME.pack(len(request), len(data)) + request, deadline)
            _send(ours, data, deadline)
            report = _read_answer(ours, len(data), deadline)
            answered = True
            return report
        except TimeoutError:
            return _too_slow(timeout)
        except (EOFError, OSError, ValueError, MemoryError, struct.error):
            return PdfReport(error=CHECKER_STOPPED)  # the child died (a crash, out of memory, killed) or garbled
        finally:
            if child is not None:
                child.stop(kill=not answered)  # on every way out, a worker timeout's SystemExit included


def _reap(_signum: int, _frame: object) -> None:
    """Collect finished children (their CPU time then counts in this server's, as ``ps`` shows it)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _warm_up() -> None:
    """Check a small PDF once, so what PDFium and pypdf set up on first use is there before any fork."""
    data = one_page_pdf(b"References")
    report = analyse(data, [Identity("name", "Ada Lovelace")], strip=True)
    if not report.ok:  # a server that cannot read this must not start: the worker then forks for each check
        raise RuntimeError(f"the PDF checker cannot read its own test file: {report.error}")


def _serve(fd: int) -> None:
    """The server's loop: a child per socket received; it ends when the worker that started it closes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal stops the worker, which stops this
    control = socket.socket(fileno=fd)
    _warm_up()
    control.send(b"ready")
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 16, 8)
        except OSError:
            return
        if not message:
            return
        for received in fds:
            try:
                pid = os.fork()
            except OSError:
                pid = -1  # the worker reads end of file: "the checker stopped"
            if pid == 0:
                status = 1
                try:
                    # Not dumpable: a sibling child taken over by a hostile PDF cannot ptrace this one or
                    # read its memory through /proc (PR_SET_DUMPABLE is 4).
                    libc.prctl(4, 0, 0, 0, 0)
                    control.close()
                    with socket.socket(fileno=received) as sock:
                        _serve_one(sock)
                    status = 0
                finally:
                    os._exit(status)
            os.close(received)


def _serve_one(sock: socket.socket) -> None:
    """One check, in a fresh child of the server."""
    signal.alarm(60)  # never outlive a worker that went away mid-request
    sock.sendall(_PID.pack(os.getpid()))
    sock.settimeout(60)
    with sock.makefile("rb") as stream:  # read(n) fills one bytes object: the file is not copied again
        request_size, data_size = _FRAME.unpack(stream.read(_FRAME.size))
        request = json.loads(stream.read(request_size))
        data = stream.read(data_size)
    if len(data) != data_size:
        return  # the worker gave up
    sock.settimeout(None)
    signal.alarm(math.ceil(request["seconds"]) + 1)  # a backstop: the worker kills it at its own deadline
    identities = [Identity(kind, text) for kind, text in request["identities"]]
    report = _limited_analyse(data, identities, request["strip"], request["memory_mb"])
    answer = json.dumps(report.to_dict()).encode()
    stripped = report.stripped
    sock.sendall(_FRAME.pack(len(answer), _NO_BYTES if stripped is None else len(stripped)) + answer)
    if stripped is not None:
        sock.sendall(stripped)


def _child(conn: Connection, data: bytes, identities: list[Identity], strip: bool, memory_mb: int) -> None:
    try:
        conn.send(_limited_analyse(data, identities, strip, memory_mb))
    finally:
        conn.close()


def _check_in_fork(data: bytes, identities: list[Identity], strip: bool, timeout: float, memory_mb: int) -> PdfReport:
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
            return _too_slow(timeout)
        return PdfReport(error=CHECKER_STOPPED)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(max(0.0, 5 - (time.monotonic() - started)))


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    _serve(int(sys.argv[2]))
