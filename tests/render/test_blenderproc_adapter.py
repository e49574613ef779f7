"""interrupts_kept: a Ctrl-C during a Blender call stops the caller after it; an ignored one stays ignored."""

from __future__ import annotations

import os
import signal

import pytest

from simulacra.render.blenderproc_adapter import interrupts_kept


def _ctrl_c_dropped_by_blender() -> None:
    """A SIGINT whose KeyboardInterrupt lands in a bpy callback, which prints and drops it."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        signal.pthread_sigmask(signal.SIG_BLOCK, set())  # a C call: the handler runs by its return
    except KeyboardInterrupt:
        pass


def test_a_ctrl_c_dropped_inside_a_blender_call_is_raised_after_it():
    """The interrupt is raised when the call is done, and the previous handler is back."""
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), interrupts_kept():
        _ctrl_c_dropped_by_blender()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_process_that_ignores_sigint_keeps_ignoring_it():
    """In a farm worker (SIGINT ignored) a SIGINT during a Blender call changes nothing."""
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_kept():
            os.kill(os.getpid(), signal.SIGINT)
            signal.pthread_sigmask(signal.SIG_BLOCK, set())
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
