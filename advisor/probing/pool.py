"""Independent fits on this machine's cores: a pool of forked worker processes.

Small tables make many short fits (5 x 5 folds, curve points, small anchors), each of
them one thread (LightGBM's and torch's single-thread rules on small data, see
``probes/_gbdt.py`` and ``probes/_torch.py``), so one process leaves every core but
one idle. ``PoolExecutor`` runs a probe's fits in this process and ``usable_cpus() - 1``
helper processes forked from it after the probe's warm-up (imports and first-call setup
are inherited, not repeated), each one fit at a time, so nothing oversubscribes the cores.

It is the cluster's schedule (``advisor.probing.executor``'s seam, ``in_process`` False):
the full-size fits are started at once, then the curve points with what they left, and
the runner takes the outcomes in plan order. A task is pure (rows, seed, time limit),
so the scores are the same as in process for a seed; only timings differ.

Processes, not threads: the fits of small data are mostly Python (the GIL), torch's
global random state would be shared by two threads' seeded fits, and
``warnings.catch_warnings`` is process-wide. Fork, not spawn: a spawned worker would
import torch again (seconds). Never for torch where torch sees a GPU (``torch_may_fork``):
a forked child can use neither the parent's CUDA context nor, after the parent's first
backward pass, autograd at all; the probes without torch still use the pool there.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from advisor.probing.executor import ExecutorInfo, FitOutcome, FitTask

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.probe_api import EvalPlan, Probe
    from advisor.probing.executor import FitSession

# Probe samples up to this size: 5 x 5 repeated k-fold, the many short fits of small data.
POOL_MAX_ROWS = 2_000
# A probe whose tiny fit (its warm-up; a second one when the first imported modules, which
# it then paid for) takes less stays in process: its fits are too short for a helper to pay
# for the fork and the round trips. Measured on breast cancer, 2 shared cores: the MLP's
# tiny fit 0.044 s (40 rows, converged), its fits 0.05-0.15 s, LightGBM's 0.008-0.010 s,
# the linear probe's 0.006 s, the baseline's 0.003 s; the threshold sits between the MLP
# and LightGBM, a factor of two from each. With two workers and an idle parent (before
# the parent fitted too) LightGBM took the same wall in the pool as in process and 0.7 s more
# CPU; the baseline's microsecond fits measured 8 of 25 folds in a 10 s run with the pool.
# The MLP in the pool, with one helper beside the parent (``_PoolSession``):
# bench_small.py 6.66 s against 6.96 s in process (it had fallen under the old 0.08 s
# threshold once its dropout got cheaper) and 7.1 s with two workers and an idle parent.
MIN_POOLED_SECONDS = 0.02
# A task's round trip beyond the fit (pickling its rows and the outcome): a few ms.
TASK_OVERHEAD_SECONDS = 0.01
# Tasks a helper holds at once: the one it fits and the next, so it never waits for the parent
# (which gives out tasks between its own fits) to finish a fit.
HELPER_QUEUE = 2

# The probe and data a forked worker inherits (set in the parent just before the fork).
_WORKER: dict[str, Any] = {}


def pool_workers(n_rows: int, cores: int) -> int:
    """How many worker processes for a probe sample of ``n_rows``: every usable core on
    small data, where fork is available; 0 (run in process) otherwise. Which probes use
    them is ``PoolExecutor.pooled``'s choice (not the torch ones where torch sees a GPU)."""
    if n_rows > POOL_MAX_ROWS or cores < 2:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods() or not hasattr(os, "sched_setaffinity"):
        return 0
    return cores


def torch_may_fork() -> bool:
    """Whether a torch probe's fits may run in helpers forked from this process: only where
    torch sees no GPU. On its first backward pass PyTorch's autograd engine starts a thread
    per GPU and marks every child forked later as unable to run autograd ("Unable to handle
    autograd's threading in combination with fork-based multiprocessing"), whatever device
    the child would use; and a child cannot use the parent's CUDA context. Seen on an H200
    (torch 2.11+cu130, docs/benchmarks.md "On a GPU"): with ``--device cpu`` every net
    failed on its first fold in the pool."""
    return accelerators() == 0


def accelerators() -> int:
    """The accelerators torch sees: CUDA GPUs, and the others autograd starts a thread for
    (``torch.accelerator``, from torch 2.6; before it, CUDA's count)."""
    import torch  # a torch probe's warm-up has imported it by now

    counter = getattr(getattr(torch, "accelerator", None), "device_count", None)
    return int(counter()) if counter is not None else int(torch.cuda.device_count())


class PoolExecutor:
    """Each probe's fits in ``n_workers`` forked processes (one fit at a time each)."""

    # The probes kept in process run in a side lane meanwhile (advisor.probing.lanes).
    side_lane = True

    def __init__(self, n_workers: int, min_pooled_seconds: float = MIN_POOLED_SECONDS) -> None:
        self.n_workers = n_workers
        self.min_pooled_seconds = min_pooled_seconds
        self.info = ExecutorInfo("local", n_workers=n_workers)
        self.tiny_fit_seconds: dict[type, float] = {}  # each probe class's tiny fit, measured here

    def warm_up(self, probe: Probe, data: ProbeData, plan: EvalPlan, device: str) -> float:
        from advisor.probing.measure import warm_up

        loaded = len(sys.modules)
        seconds = tiny = warm_up(probe, data, plan, device)  # here: the workers fork from this process
        if len(sys.modules) > loaded:
            # It paid for imports: time one tiny fit again without them (only then: a slow
            # probe's second warm-up is setup time taken from every probe's budget).
            tiny = warm_up(probe, data, plan, device)
            seconds += tiny
        self.tiny_fit_seconds[type(probe)] = tiny
        return seconds

    def pooled(self, probe: Probe) -> bool:
        """Whether ``probe``'s fits go to the pool (after its warm-up; else in process)."""
        if getattr(probe, "needs_torch", False) and not torch_may_fork():
            return False
        return self.tiny_fit_seconds.get(type(probe), float("inf")) >= self.min_pooled_seconds

    def session(
        self, probe: Probe, data: ProbeData, *, keep_models: bool, progress: Any = None
    ) -> FitSession:
        if not self.pooled(probe):
            from advisor.probing.executor import IN_PROCESS

            return IN_PROCESS.session(probe, data, keep_models=keep_models, progress=progress)
        return _PoolSession(self.n_workers, probe, data, keep_models)


class _PoolSession:
    """One probe's fits shared by this process and ``n_workers - 1`` forked helpers.

    The parent fits too: it used to wait on the workers' outcomes, idle, so a pool took a
    core for each worker and the parent's own (the runner, importance) besides. Now each
    helper holds at most ``HELPER_QUEUE`` tasks (the next one queued while it fits, so it
    never waits on the parent), and the runner's call for a task either runs it here (no
    helper has it), takes a helper's outcome, or, while a helper still fits it, runs the
    next task no helper has and keeps that outcome for when it is asked for."""

    in_process = False

    def __init__(self, n_workers: int, probe: Probe, data: ProbeData, keep_models: bool) -> None:
        self.n_helpers = max(0, n_workers - 1)
        self.probe, self.data, self.keep_models = probe, data, keep_models
        self.pool: ProcessPoolExecutor | None = None
        self.pending: dict[tuple[int, int], FitTask] = {}  # started, not yet given to anyone (in order)
        self.futures: dict[tuple[int, int], Future[FitOutcome]] = {}  # given to a helper
        self.ahead: dict[tuple[int, int], FitOutcome] = {}  # run here before the runner asked
        self.last = 0
        self.started = False
        self.grace = 0.0
        self.tests: dict[int, ProbeData] = {}  # held-out rows of the folds whose models came back
        self.local = False  # True once an outcome could not come back: the rest runs in process
        self.cores = sorted(os.sched_getaffinity(0))  # before the parent pins itself to one of them
        self.pinned: Any = None  # the BLAS limit held while the parent keeps to its own core

    def _open(self) -> ProcessPoolExecutor:
        if self.pool is None:
            _WORKER.update(probe=self.probe, data=self.data)  # inherited by the fork, never pickled
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(
                self.n_helpers,
                mp_context=context,
                initializer=_one_core,
                initargs=(context.Value("i", 0), self.cores, os.getpid()),
            )
        return self.pool

    def _pin(self) -> None:
        """While helpers fit, the parent keeps to the core after theirs, as a helper does
        (``_one_core``): ``usable_cpus()`` is 1 here too, so its fits take one thread (a CNN's
        two torch threads beside a helper and the side lane spin-wait on each other)."""
        if self.pinned is None and self.n_helpers and not self.local:
            from threadpoolctl import threadpool_limits

            self.pinned = threadpool_limits(1)
            os.sched_setaffinity(0, {self.cores[self.n_helpers % len(self.cores)]})

    def _unpin(self) -> None:
        if self.pinned is not None:
            os.sched_setaffinity(0, self.cores)
            self.pinned.restore_original_limits()
            self.pinned = None

    def start(self, tasks: list[FitTask]) -> None:
        if not self.started:  # the first tasks started are the full-size fits
            self.last = max((t.frac_index for t in tasks), default=0)
            self.started = True
        self.grace = TASK_OVERHEAD_SECONDS * len(tasks)
        for task in tasks:  # in schedule order: helpers and this process take them in it
            self.pending[(task.fold, task.frac_index)] = task
        self._feed()

    def _feed(self) -> None:
        """Give the helpers the first pending tasks, up to ``HELPER_QUEUE`` each."""
        if self.local or not self.n_helpers or not self.pending:
            return
        busy = sum(1 for f in self.futures.values() if not f.done())
        pool = self._open()
        while self.pending and busy < self.n_helpers * HELPER_QUEUE:
            key = next(iter(self.pending))
            task = self.pending.pop(key)
            keep = self.keep_models and task.frac_index == self.last
            self.futures[key] = pool.submit(_pool_fit, task, keep)
            busy += 1

    def fit(self, task: FitTask, wait: float | None) -> FitOutcome | None:
        key = (task.fold, task.frac_index)
        deadline = None if wait is None else time.monotonic() + max(wait, 0.0) + self.grace
        while True:
            if key in self.ahead:
                return self.ahead.pop(key)
            if key in self.pending or self.local:
                self.pending.pop(key, None)
                outcome = self._here(task)
                self._feed()
                return outcome
            future = self.futures[key]
            other_key = next(iter(self.pending), None)
            if not future.done() and other_key is not None and self._fits_before(other_key, deadline):
                # A helper fits this one: fit the next one no helper has meanwhile.
                other = self.pending.pop(other_key)
                self._feed()
                self.ahead[other_key] = self._here(other)
                continue
            return self._collect(task, future, deadline)

    def _fits_before(self, key: tuple[int, int], deadline: float | None) -> bool:
        """Whether the pending task ``key`` would end, at its time limit, before ``deadline``
        (the runner's wait): a fit run ahead never holds the probe past its budget."""
        return deadline is None or time.monotonic() + self.pending[key].time_limit <= deadline

    def _collect(
        self, task: FitTask, future: Future[FitOutcome], deadline: float | None
    ) -> FitOutcome | None:
        try:
            outcome = future.result(
                timeout=None if deadline is None else max(deadline - time.monotonic(), 0.0)
            )
        except FutureTimeout:
            return None
        except Exception:  # noqa: BLE001 - measure_fit returns a probe's own errors; this is transport
            # e.g. a fitted model of a class defined inside a function cannot be pickled back for
            # the importance step: stop the pool and measure this fit and the rest in process
            # (fits are seeded, so the scores are the ones the pool would have given).
            self.local = True
            self._stop()
            return self._here(task)
        self._feed()
        if outcome.model is not None and task.fold not in self.tests:
            self.tests[task.fold] = self.data.take(task.test_rows)
        return outcome

    def _here(self, task: FitTask) -> FitOutcome:
        from advisor.probing.measure import measure_fit

        self._pin()
        outcome = measure_fit(self.probe, self.data, task, tests=self.tests)
        if not (self.keep_models and task.frac_index == self.last):
            outcome.model = None
        return outcome

    def close(self) -> None:
        self._stop()
        _WORKER.clear()

    def _stop(self) -> None:
        """Cancel what has not started and stop what still runs: when the budget or Ctrl-C
        ended the probe early, no outcome still to come is wanted."""
        self.pending.clear()
        self._unpin()  # what runs here after this has the cores to itself
        if self.pool is not None:
            if any(not f.done() for f in self.futures.values()):
                for process in list((self.pool._processes or {}).values()):  # no public way in 3.11
                    process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _one_core(counter: Any, cores: list[int], parent: int) -> None:
    """A worker runs on one core of the parent's, its own: ``usable_cpus()`` is 1 there, so
    LightGBM and torch take one thread, and BLAS is held to one, whatever the data's width.
    (Measured on 2 cores with another engineer's process on one: pinned 21-24 s, unpinned
    20-22 s for the breast-cancer run; within the noise, and pinned never oversubscribes.)
    It ends with ``parent`` (``children.end_with_parent``)."""
    from threadpoolctl import threadpool_limits

    from advisor.probing.children import end_with_parent

    end_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool
    with counter.get_lock():
        k = counter.value
        counter.value += 1
    os.sched_setaffinity(0, {cores[k % len(cores)]})
    _WORKER["blas"] = threadpool_limits(1)  # kept: the limit lasts as long as the object


def _pool_fit(task: FitTask, keep_model: bool) -> FitOutcome:
    """One fit in a worker, with its peak memory (the parent's monitor cannot see it)."""
    from advisor.probing.measure import measure_fit
    from advisor.probing.resources import MemoryMonitor

    tests: dict[int, ProbeData] = _WORKER.setdefault("tests", {})
    with MemoryMonitor(task.device) as mem:
        outcome = measure_fit(_WORKER["probe"], _WORKER["data"], task, tests=tests)
    outcome.peak_memory_mb = mem.peak_mb
    if not keep_model:
        outcome.model = None  # sent back only when the runner measures importance on it
    return outcome
