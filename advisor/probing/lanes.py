"""A side lane for the probe stage: the in-process probes in a forked process while this
one runs the pooled probes.

With the pool (small data on the CPU, ``advisor.probing.pool``) the stage used to run probe
after probe: the probes whose fits are too short for the pool's round trips (the baseline,
the linear model, LightGBM) ran in this process on one core while the other idled, and the
probe with slow fits (the MLP) started only after them, its torch import and warm-up after
theirs too. ``SideLane`` forks after those probes' warm-ups and evaluates them there, one
after the other as this process would have, while this process warms up and runs the rest
(three busy processes on two cores, where there were one and then two). Same plan, same
seeds, same code: the same scores (``tests/test_probing_stage.py`` checks it).

The lane's progress events come back through a pipe to this process's display (a reader
thread calls it); its results come back pickled at the end. Ctrl-C is this process's: the
lane ignores SIGINT and is terminated, keeping the results it sent (each probe's as it
ends), and its unfinished probes are reported interrupted.
A lane that fails (its results cannot be pickled, it dies) says why, and the stage runs
those probes here instead.

Processes, not threads: probes call ``warnings.catch_warnings``, which is process-wide, and
their fits on small data are mostly Python (the GIL).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from advisor.compute import work_beside
from advisor.probing.measure import one_line

if TYPE_CHECKING:  # pragma: no cover
    from advisor.probe_api import ProbeResult
    from advisor.progress import ProbeProgress

# The lane's work, given what it reports through (``LaneOut``).
LaneRun = Callable[["LaneOut"], None]
PROGRESS_EVENTS = ("start_probe", "advance", "end_probe", "status")


def side_lane_available() -> bool:
    """A lane needs fork (the probes, data and warm-ups are inherited, never pickled)."""
    return "fork" in multiprocessing.get_all_start_methods()


class _PipeProgress:
    """The lane's progress: each event sent to the parent, which shows it."""

    def __init__(self, send: Any) -> None:
        self.send = send

    def _event(self, *event: Any) -> None:
        self.send.send(event)

    def start_probe(self, name: str, total_steps: int) -> None:
        self._event("start_probe", name, total_steps)

    def advance(self, name: str, detail: str = "") -> None:
        self._event("advance", name, detail)

    def end_probe(self, name: str, status: str) -> None:
        self._event("end_probe", name, status)

    def status(self, name: str, detail: str) -> None:
        self._event("status", name, detail)


class LaneOut:
    """What the lane's work reports through: its ``progress``, each probe's ``result`` as it
    ends (by the probe's index in the stage), and its ``setup`` seconds (warm-ups)."""

    def __init__(self, send: Any) -> None:
        self.send = send
        self.progress = _PipeProgress(send)

    def result(self, index: int, result: ProbeResult) -> None:
        self.send.send(("result", index, result))

    def setup(self, seconds: float) -> None:
        self.send.send(("setup", seconds))


def _lane_main(run: LaneRun, send: Any, parent: int) -> None:
    from advisor.probing.children import end_with_parent

    end_with_parent(parent)  # a parent killed outright takes its lane with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the lane
    try:
        run(LaneOut(send))
        send.send(("done",))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which runs the probes itself
        try:
            send.send(("error", one_line(exc)))
        except Exception:  # noqa: BLE001 - the parent then reads the pipe's end
            pass
    finally:
        send.close()


class SideLane:
    """``run(out)`` in a forked process; ``join`` returns the results it sent (by probe
    index) and whether it finished (False: ``error`` says why)."""

    def __init__(self, run: LaneRun, progress: ProbeProgress) -> None:
        context = multiprocessing.get_context("fork")
        self._recv, send = context.Pipe(duplex=False)
        self.results: dict[int, ProbeResult] = {}
        self.finished = False
        self.setup_seconds = 0.0
        self.error: str | None = None
        # Not a daemon: a side probe slow enough for the pool forks its own workers from the lane.
        self._process = context.Process(target=_lane_main, args=(run, send, os.getpid()), daemon=False)
        self._process.start()
        send.close()  # the child holds the sending end now: its exit ends the pipe
        # Until the lane's work is done, this process's own fits take one thread (``fit_threads``).
        work_beside(self, True)
        self._reader = threading.Thread(target=self._read, args=(progress,), daemon=True)
        self._reader.start()

    def _read(self, progress: ProbeProgress) -> None:
        try:
            while True:
                kind, *args = self._recv.recv()
                if kind == "result":
                    self.results[args[0]] = args[1]
                    continue
                if kind == "setup":
                    self.setup_seconds = float(args[0])
                    continue
                if kind == "done":
                    self.finished = True
                    return
                if kind == "error":
                    self.error = args[0]
                    return
                show = getattr(progress, kind, None) if kind in PROGRESS_EVENTS else None
                if show is not None:
                    show(*args)
        except (EOFError, OSError):
            self.error = self.error or "the side lane ended without sending its results"
        except Exception as exc:  # noqa: BLE001 - e.g. results that cannot be unpickled
            self.error = one_line(exc)
        finally:  # the lane's work is over, whichever way: this process's fits get the cores back
            work_beside(self, False)

    def join(self) -> tuple[dict[int, ProbeResult], bool]:
        self._reader.join()
        self._process.join()
        self._recv.close()
        return self.results, self.finished

    def stop(self) -> None:
        """Terminate the lane (Ctrl-C in this process); ``results`` keeps what it sent."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._reader.join(timeout=5)
        self._recv.close()
