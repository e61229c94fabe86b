"""Where the probe fits run: in this process, one after another (the default), or as
tasks on a Dask cluster (``--cluster ADDRESS`` or ``--workers N``).

The seam is one fit: a ``FitTask`` (which rows, which seed, how long it may take)
goes in, a ``FitOutcome`` (what was measured) comes out, and
``advisor.probing.measure.measure_fit`` does the work in both places. A task is
pure: its result depends only on the data, the task and the probe class, so a
cluster measures the same scores as a local run, and the runner takes the
outcomes in plan order, so the report is the same apart from timings.

On Dask the probe data is scattered to every worker once per stage, the probe
travels as its class's import path (``ProbeRef``) and is instantiated on the
worker, and each worker runs one fit at a time (one thread), so that a fit's
time is its own, not shared with a second fit in the same process.

dask is imported only when a cluster is asked for; this module is cheap to import.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from advisor.errors import AdvisorError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData
    from advisor.probe_api import EvalPlan, Probe

ExecutorKind = Literal["local", "dask"]
CONNECT_TIMEOUT_SECONDS = 10  # to reach a scheduler given with --cluster
DASK_HINT = 'pip install "advisor[dask]"'
# A task's round trip through the scheduler beyond the fit itself: 13-21 ms per task with
# 2 local workers on a loaded 2-core machine (benchmarks/bench_dask.py). Not billed to
# the probe: a baseline's 0.4 s would otherwise go to the scheduler, not to its fits.
TASK_OVERHEAD_SECONDS = 0.025


@dataclass(frozen=True)
class FitTask:
    """One fit of the plan: train on ``train_rows``, score on ``test_rows`` (positions)."""

    fold: int
    frac_index: int  # position in the plan's curve fractions (the last is the full size)
    train_rows: np.ndarray
    test_rows: np.ndarray
    seed: int
    time_limit: float  # seconds, as ``FitContext.time_limit``
    device: str


@dataclass
class FitOutcome:
    """What one fit measured, or the error that stopped it."""

    fold: int
    frac_index: int
    n_train: int
    n_test: int
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # the probe's ``ctx.note`` texts
    cut: bool = False  # the clock stopped it before it converged (``ctx.cut``)
    cut_texts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # warnings raised during the fit, as note texts
    params: dict[str, Any] | None = None  # the fitted model's ``params``, when it has them
    peak_memory_mb: float = 0.0  # measured around the fit on a worker; 0 in process (the runner measures)
    model: Any = None  # the fitted model (in process; from a worker only when asked for)
    error: str | None = None  # ``Type: message`` of the probe's own error
    cuda_oom: bool = False  # the error was CUDA running out of memory


@dataclass(frozen=True)
class ExecutorInfo:
    """Where the probes ran, for the report."""

    kind: ExecutorKind
    address: str = ""  # the Dask scheduler's address
    n_workers: int = 1


@dataclass(frozen=True)
class ProbeRef:
    """A probe class by its import path: what a task sends instead of a probe object,
    so a worker builds its own instance (probes are registered classes with no arguments)."""

    module: str
    qualname: str

    @classmethod
    def of(cls, probe: Probe) -> ProbeRef:
        kind = type(probe)
        return cls(kind.__module__, kind.__qualname__)

    def load(self) -> Probe:
        obj: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        return obj()


class FitSession(Protocol):
    """The fits of one probe, wherever they run."""

    in_process: bool  # True: one fit at a time, here; the runner decides each from the ones before
    tests: dict[int, ProbeData]  # each fold's held-out rows, for what the runner measures on a model

    def start(self, tasks: list[FitTask]) -> None:
        """Start these tasks now, in their order (a cluster); nothing in process."""
        ...

    def fit(self, task: FitTask, wait: float | None) -> FitOutcome | None:
        """The outcome of ``task`` (run now in process, or the one started for its fold and
        size); None when ``wait`` seconds passed before it finished."""
        ...

    def close(self) -> None:
        """Stop what has not run."""
        ...


class Executor(Protocol):
    info: ExecutorInfo

    def warm_up(self, probe: Probe, data: ProbeData, plan: EvalPlan, device: str) -> float:
        """An unmeasured tiny fit wherever the fits will run; returns the seconds it took."""
        ...

    def session(
        self, probe: Probe, data: ProbeData, *, keep_models: bool, progress: Any = None
    ) -> FitSession:
        """Where one probe's fits run. ``keep_models``: full-size fits return their model
        (the runner measures importance on it); ``progress``: a fit's status line."""
        ...


class LocalExecutor:
    """Today's behaviour: every fit in this process, one after another."""

    info = ExecutorInfo("local")

    def warm_up(self, probe: Probe, data: ProbeData, plan: EvalPlan, device: str) -> float:
        from advisor.probing.measure import warm_up

        return warm_up(probe, data, plan, device)

    def session(
        self, probe: Probe, data: ProbeData, *, keep_models: bool, progress: Any = None
    ) -> FitSession:
        return _LocalSession(probe, data, progress)


IN_PROCESS = LocalExecutor()


class _LocalSession:
    in_process = True

    def __init__(self, probe: Probe, data: ProbeData, progress: Any) -> None:
        self.probe, self.data, self.progress = probe, data, progress
        self.tests: dict[int, ProbeData] = {}  # each fold's held-out rows, taken once

    def start(self, tasks: list[FitTask]) -> None:
        pass

    def fit(self, task: FitTask, wait: float | None) -> FitOutcome | None:
        from advisor.probing.measure import measure_fit

        return measure_fit(self.probe, self.data, task, tests=self.tests, progress=self.progress)

    def close(self) -> None:
        pass


class DaskExecutor:
    """Fits as tasks on a ``distributed.Client``'s cluster."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._data: ProbeData | None = None
        self._shared: Any = None
        self.info = ExecutorInfo(
            "dask", address=str(client.scheduler.address), n_workers=len(self._workers())
        )

    def _workers(self) -> list[str]:
        return list(self.client.scheduler_info().get("workers", {}))

    def share(self, data: ProbeData) -> Any:
        """The data on every worker, scattered once for as long as the same object is used."""
        if self._data is not data:
            self._shared = self.client.scatter(data, broadcast=True, hash=False)
            self._data = data
        return self._shared

    def warm_up(self, probe: Probe, data: ProbeData, plan: EvalPlan, device: str) -> float:
        started = time.perf_counter()
        shared, ref = self.share(data), ProbeRef.of(probe)
        futures = [
            self.client.submit(
                _remote_warm_up, ref, shared, plan, device, workers=[w], allow_other_workers=False, pure=False
            )
            for w in self._workers()
        ]
        self.client.gather(futures)
        return time.perf_counter() - started

    def session(
        self, probe: Probe, data: ProbeData, *, keep_models: bool, progress: Any = None
    ) -> FitSession:
        return _DaskSession(self, ProbeRef.of(probe), data, keep_models)


class _DaskSession:
    in_process = False

    def __init__(self, executor: DaskExecutor, ref: ProbeRef, data: ProbeData, keep_models: bool) -> None:
        self.executor, self.ref, self.data, self.keep_models = executor, ref, data, keep_models
        self.futures: dict[tuple[int, int], Any] = {}
        self.last = 0
        self.grace = 0.0  # seconds the scheduler's overhead adds to every wait
        self.tests: dict[int, ProbeData] = {}  # held-out rows of the folds whose models came back

    def start(self, tasks: list[FitTask]) -> None:
        client, shared = self.executor.client, self.executor.share(self.data)
        if not self.futures:  # the first tasks started are the full-size fits
            self.last = max((t.frac_index for t in tasks), default=0)
        self.grace = TASK_OVERHEAD_SECONDS * len(tasks)
        # Earlier tasks first (in fold order, as the local schedule).
        for i, task in enumerate(tasks):
            keep = self.keep_models and task.frac_index == self.last
            self.futures[(task.fold, task.frac_index)] = client.submit(
                _remote_fit, self.ref, shared, task, keep, pure=False, priority=len(tasks) - i
            )

    def fit(self, task: FitTask, wait: float | None) -> FitOutcome | None:
        future = self.futures[(task.fold, task.frac_index)]
        if wait is not None and not future.done():
            from distributed import wait as wait_for

            try:
                wait_for(future, timeout=max(wait, 0.0) + self.grace)
            except TimeoutError:
                return None
        try:
            outcome: FitOutcome = future.result()
        except Exception as exc:  # noqa: BLE001 - e.g. a model that cannot be sent back
            from advisor.probing.measure import one_line

            n_train, n_test = len(task.train_rows), len(task.test_rows)
            return FitOutcome(task.fold, task.frac_index, n_train, n_test, error=one_line(exc))
        if outcome.model is not None and task.fold not in self.tests:
            self.tests[task.fold] = self.data.take(task.test_rows)
        return outcome

    def close(self) -> None:
        self.executor.client.cancel(list(self.futures.values()))


def _remote_fit(ref: ProbeRef, data: ProbeData, task: FitTask, keep_model: bool) -> FitOutcome:
    """One fit on a worker, with its peak memory (the driver's monitor cannot see it)."""
    from advisor.probing.measure import measure_fit
    from advisor.probing.resources import MemoryMonitor

    with MemoryMonitor(task.device) as mem:
        outcome = measure_fit(ref.load(), data, task)
    outcome.peak_memory_mb = mem.peak_mb
    if not keep_model:
        outcome.model = None  # sent back only when the runner measures importance on it
    return outcome


def _remote_warm_up(ref: ProbeRef, data: ProbeData, plan: EvalPlan, device: str) -> float:
    from advisor.probing.measure import warm_up

    return warm_up(ref.load(), data, plan, device)


@contextmanager
def open_executor(cluster: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """The executor for ``--cluster ADDRESS`` / ``--workers N``; in process without either.

    ``workers`` starts a ``LocalCluster`` on this machine (processes, one thread each)
    and closes it afterwards; ``cluster`` connects to a running scheduler.
    """
    if cluster is None and workers is None:
        yield IN_PROCESS
        return
    if cluster is not None and workers is not None:
        raise AdvisorError(
            "--cluster and --workers exclude each other: pass one (a running scheduler, or N local workers)"
        )
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise AdvisorError(
            f"--cluster and --workers need Dask, which is not installed: {DASK_HINT}"
        ) from None
    local = None
    if cluster is not None:
        client = _connect(Client, cluster)
    else:
        local = LocalCluster(
            n_workers=int(workers or 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = Client(local)
        client.run(_stdout_to_stderr)  # what a worker prints must not land in a report on stdout
    try:
        yield DaskExecutor(client)
    finally:
        client.close()
        if local is not None:
            local.close()


def _stdout_to_stderr() -> None:
    """On a worker this machine started: its file descriptor 1 (C libraries print there too,
    e.g. LightGBM's network setup) becomes stderr, so `--format json > file` stays JSON."""
    import os
    import sys

    sys.stdout.flush()
    os.dup2(2, 1)


def _connect(client_cls: Any, address: str) -> Any:
    try:
        return client_cls(address, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        from advisor.text import one_line

        detail = one_line(str(exc)) or type(exc).__name__
        raise AdvisorError(
            f"cannot reach a Dask scheduler at {address!r} ({detail}): start one "
            "(dask scheduler; dask worker ADDRESS) and pass the address it prints, e.g. tcp://host:8786"
        ) from None
