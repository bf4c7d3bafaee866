"""``public_rps_ratio``: requests per second of the public home page (an anonymous visitor, the demo
workshop) divided by those of a bare Flask "hello" app, both under gunicorn with the workers
docs/admin/production.md recommends, measured with ``wrk`` alternately (three rounds each) in one run on this machine.

Run alone: .venv/bin/python -m bench.bench_public
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import Figure, at_least

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3  # docs/admin/production.md's recommendation for this project's 2-core machines
ROUNDS, SECONDS, CONNECTIONS = 3, 8, 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout: float = 30) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def gunicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    bin_dir = Path(sys.executable).parent
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [str(bin_dir / "gunicorn"), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_for(port)
    return process


def wrk(port: int, path: str = "/") -> float:
    out = subprocess.run(  # noqa: S603
        [wrk_binary(), "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error answers:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):  # the Debian package, as the issue asks
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)  # noqa: S607
        return shutil.which("wrk") or "wrk"
    raise RuntimeError("wrk is missing: apt-get install wrk")


def prepare(database: str, env: dict[str, str]) -> None:
    bin_dir = Path(sys.executable).parent
    for args in (["db", "upgrade"], ["demo", "--if-empty"]):
        subprocess.run(  # noqa: S603
            [str(bin_dir / "flask"), "--app", "portal", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )


def run(args: Any = None) -> dict[str, Figure]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-public-"))
    database = f"sqlite:///{workdir / 'portal.sqlite3'}"
    env = {
        **os.environ,
        "PORTAL_SQLALCHEMY_DATABASE_URI": database,
        "PORTAL_SECRET_KEY": "bench-public",
        "PORTAL_BASE_URL": "http://127.0.0.1",
        "PORTAL_UPLOAD_FOLDER": str(workdir / "uploads"),
    }
    prepare(database, env)
    portal_port, hello_port = free_port(), free_port()
    servers = [gunicorn("wsgi:app", portal_port, env), gunicorn("bench.hello:app", hello_port, env)]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{portal_port}/") as answer:
            home = answer.read().decode()
        assert "LongLLM" in home, home[:300]
        wrk(portal_port), wrk(hello_port)  # warm both (imports, templates, the kept copy)
        portal_rps, hello_rps = [], []
        for _ in range(ROUNDS):
            hello_rps.append(wrk(hello_port))
            portal_rps.append(wrk(portal_port))
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    portal, hello = statistics.median(portal_rps), statistics.median(hello_rps)
    note = (
        f"home {portal:.0f} req/s, hello {hello:.0f} req/s (medians of {ROUNDS} alternating {SECONDS} s wrk runs, "
        f"{CONNECTIONS} connections, gunicorn {WORKERS} sync workers)"
    )
    return {"public_rps_ratio": at_least(portal / hello, "ratio", 0.6, note)}


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure.value} {figure.unit} (goal {figure.goal}) {'ok' if figure.ok else 'MISSED'} - {figure.note}")
