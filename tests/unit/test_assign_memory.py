"""``memory.computing``: what it changes for the length of an assignment run is as it was afterwards, so a web or job
process that ran one goes on collecting cycles and giving memory back (a process left without its cycle
collector grows without bound)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from portal.assign import memory


def hugepages_asked() -> bool | None:
    switch = memory._hugepage_switch()
    if switch is None:
        return None
    was = switch(True)
    switch(was)
    return was


def test_settings_are_restored_after_the_run_and_after_an_error() -> None:
    before = hugepages_asked()
    assert gc.isenabled()
    with memory.computing():
        assert not gc.isenabled()
        assert hugepages_asked() in (False, None)
        # Big arrays made and dropped inside work as usual.
        total = sum(float(np.ones(5_000_000, dtype=np.float32).sum()) for _ in range(3))
    assert total == 15_000_000.0
    assert gc.isenabled()
    assert hugepages_asked() == before
    with pytest.raises(RuntimeError), memory.computing():
        raise RuntimeError("the solver failed")
    assert gc.isenabled()
    assert hugepages_asked() == before


def test_nested_runs_restore_only_when_the_outermost_ends() -> None:
    with memory.computing():
        with memory.computing():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner end left the outer's settings alone
    assert gc.isenabled()


def test_a_process_whose_collector_was_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with memory.computing():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
