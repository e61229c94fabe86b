"""Progress on stderr: a rich display on a terminal, plain lines otherwise.

stdout carries the report and nothing else, so every status message goes here.
Messages quote paths, column and probe names and exception text: each goes
through ``advisor.text.one_line`` (one line, control characters escaped), and
the rich display never reads them as markup.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from advisor.text import one_line


class ProbeProgress(Protocol):
    """What the probe stage reports to. The stage calls ``start_probe``/``end_probe``;
    the runner calls ``advance`` once per finished fit. A ``status(name, detail)``
    method, when present, receives the probes' own status lines (FitContext.progress)."""

    def start_probe(self, name: str, total_steps: int) -> None: ...

    def advance(self, name: str, detail: str) -> None: ...

    def end_probe(self, name: str, status: str) -> None: ...


class NullProgress:
    """Says nothing (used by the Python API and --quiet)."""

    def stage(self, text: str) -> None: ...

    def start_probe(self, name: str, total_steps: int) -> None: ...

    def advance(self, name: str, detail: str = "") -> None: ...

    def end_probe(self, name: str, status: str) -> None: ...

    def close(self) -> None: ...


class LineProgress(NullProgress):
    """One line per event, for logs and CI (stderr is not a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()

    def _say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {one_line(text)}", file=self.stream, flush=True)

    def stage(self, text: str) -> None:
        self._say(text)

    def start_probe(self, name: str, total_steps: int) -> None:
        self._say(f"probe {name}: started ({total_steps} fits)")

    def end_probe(self, name: str, status: str) -> None:
        self._say(f"probe {name}: {status}")


class RichProgress(NullProgress):
    """A live progress bar per probe on stderr."""

    def __init__(self, no_color: bool | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # None lets rich read NO_COLOR itself; True is --no-color.
        self.console = Console(stderr=True, no_color=no_color)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}", style="dim", markup=False),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, int] = {}
        self.progress.start()

    def stage(self, text: str) -> None:
        from rich.text import Text

        self.console.log(Text(one_line(text)))

    def start_probe(self, name: str, total_steps: int) -> None:
        self.tasks[name] = self.progress.add_task(
            f"probe {one_line(name)}", total=max(total_steps, 1), detail=""
        )

    def advance(self, name: str, detail: str = "") -> None:
        if name in self.tasks:
            self.progress.update(self.tasks[name], advance=1, detail=one_line(detail))

    def end_probe(self, name: str, status: str) -> None:
        if name in self.tasks:
            task = self.progress.tasks[self.tasks[name]]
            self.progress.update(self.tasks[name], completed=task.total, detail=one_line(status))

    def close(self) -> None:
        self.progress.stop()


def make_progress(quiet: bool, no_color: bool = False) -> NullProgress:
    if quiet:
        return NullProgress()
    return RichProgress(True if no_color else None) if sys.stderr.isatty() else LineProgress()
