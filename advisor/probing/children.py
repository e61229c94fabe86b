"""Forked helpers (the pool's workers, the side lane) end with the process that forked them.

A side lane stopped by Ctrl-C is terminated (SIGTERM) and never shuts its own pool down:
its workers, blocked on their task queue, lived on as orphans, each holding the terminal's
stdout and stderr, so a shell pipeline (``advisor recommend ... | tee``) hung after Ctrl-C
until they were killed by hand. Linux's parent-death signal ends them instead.
"""

from __future__ import annotations

import os
import signal

PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent thread exits


def end_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent ends (called in the child, first thing);
    exit at once if ``parent`` has already gone. Where prctl is missing (not Linux), nothing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # it ended before the request: no signal will come
        os._exit(0)
