"""How a process holds memory while it computes an assignment: a few seconds that make and drop arrays of tens of
megabytes by the hundred (a block of papers x every reviewer is 48 MB; the bids, conflicts and candidates are
arrays of millions) and Python objects by the hundred thousand.

By default each such array is a fresh ``mmap`` from the system, returned at ``free``: every page of the next one
is a page fault again, and NumPy asks for transparent huge pages, each a 2 MB page the kernel must find (and
may compact memory for) and zero. In a virtual machine that is slow: at NeurIPS size this process spent 1.9 s
of system time on it (0.7 s once the memory is kept), the TF-IDF helper 1.4 s (0.6 s; the helper gets the same
settings from its environment, ``affinity.HELPER_MEMORY``).

Python's cycle collector is no help either: these steps make hundreds of thousands of objects and no cycles, and
each collection they trigger walks every live object (a conference's rows and texts), a third of a second in all
when applying a NeurIPS-size proposal.

``computing`` keeps freed memory for the next array (glibc's ``mallopt``), asks for no huge pages, and pauses
the cycle collector, for the length of a ``with`` block; after it the settings are as they were (glibc's
thresholds back to their defaults) and the memory kept is given back (``malloc_trim``), so a long-lived web or
job process does not hold the peak for the rest of its life. Where the C library is not glibc (musl, macOS)
only the collector and the huge pages are changed."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

# glibc's mallopt parameters (malloc.h) and the defaults it starts with.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
DEFAULT_TRIM_THRESHOLD = DEFAULT_MMAP_THRESHOLD = 128 * 1024
# While computing: arrays up to 1 GB come from (and go back to) the heap, and the heap is not trimmed.
KEPT_MMAP_THRESHOLD, KEPT_TRIM_THRESHOLD = 1 << 30, (1 << 31) - 1  # (mallopt takes a C int)


def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc's own symbol: raises AttributeError elsewhere
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError):
        return None


def _hugepage_switch() -> Callable[[bool], bool] | None:
    """NumPy's switch for asking huge pages for its arrays (returns the previous setting); None if this NumPy has
    none (it is read from ``NUMPY_MADVISE_HUGEPAGE`` at import, and this private function sets it since 1.20)."""
    for module in ("_core", "core"):
        switch = getattr(getattr(getattr(np, module, None), "multiarray", None), "_set_madvise_hugepage", None)
        if switch is not None:
            return switch  # type: ignore[no-any-return]
    return None


_depth = 0  # how many ``computing`` blocks are open: only the outermost changes and restores the settings


@contextmanager
def computing() -> Iterator[None]:
    """Memory kept and the cycle collector off for the block (see the module's text); as it was after it, also
    after an error. Blocks may nest (the outermost decides); the settings are the process's, so for its other
    threads too, for those seconds."""
    global _depth
    if _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    libc, switch = _glibc(), _hugepage_switch()
    collecting = gc.isenabled()
    gc.disable()
    hugepages = switch(False) if switch is not None else None
    kept = bool(
        libc and libc.mallopt(M_MMAP_THRESHOLD, KEPT_MMAP_THRESHOLD) and libc.mallopt(M_TRIM_THRESHOLD, KEPT_TRIM_THRESHOLD)
    )
    _depth = 1
    try:
        yield
    finally:
        _depth = 0
        if kept and libc is not None:
            libc.mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD)
            libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)
        if switch is not None and hugepages:
            switch(True)
        if collecting:
            gc.enable()
