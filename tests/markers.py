"""Which tests are ``slow`` and which are ``fuzz``: the inner loop (``make quick``) leaves them out, with the
browser tests (``browser``, every test in tests/e2e, marked by tests/e2e/conftest.py).

A test is slow here when it takes about a second or more of CPU (or several seconds of waiting: subprocesses,
workers, servers) where most take a tenth of one, measured in a full run with --durations and per-test CPU time
(docs/dev/testing.md). Each area keeps quick tests in the inner loop; ``make test`` runs everything.

An entry names a folder (``tests/cluster/``), a file, or a test function (``file::function``, every parameter of
it). An entry that names a function its file no longer has stops the run, so the list cannot silently go stale.
"""

from __future__ import annotations

import pytest

SLOW: dict[str, str] = {}

FUZZ: dict[str, str] = {
    "tests/views/test_fuzz_forms.py": "Hypothesis: 15 random posts to each of 41 forms and 7 search pages",
}


def _matches(nodeid: str, entry: str) -> bool:
    if entry.endswith("/"):
        return nodeid.startswith(entry)
    if "::" not in entry:
        return nodeid.startswith(entry + "::")
    return nodeid == entry or nodeid.startswith(entry + "[")


def apply(items: list[pytest.Item]) -> None:
    """Add the ``slow`` and ``fuzz`` marks to the collected items the tables name."""
    for marker, table in ((pytest.mark.slow, SLOW), (pytest.mark.fuzz, FUZZ)):
        for entry in table:
            if "::" in entry:
                _check(entry, items)
        for item in items:
            if any(_matches(item.nodeid, entry) for entry in table):
                item.add_marker(marker)


def _check(entry: str, items: list[pytest.Item]) -> None:
    """A ``file::function`` entry must name a function of that file (when the file is collected at all)."""
    path, function = entry.split("::", 1)
    for item in items:
        if item.nodeid.startswith(path + "::"):
            module = getattr(item, "module", None)
            if module is not None and not hasattr(module, function):
                raise pytest.UsageError(f"tests/markers.py names {entry}, which {path} does not define")
            return
