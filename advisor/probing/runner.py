"""Evaluate one probe on the shared plan: every measurement, the same for every probe.

For each fold and each learning-curve size the runner fits the probe on a
nested, seeded (stratified) subset of the fold's training rows, times the fit,
times prediction on the fold's test rows, and scores it.

Convergence before curves (see ``_schedule``): every fold's full-size fit runs
first, in plan order, then the learning-curve sizes on at most ``CURVE_FOLDS``
folds. The full-size fits share ``FULL_SHARE`` of the probe's budget, one equal
time limit each (folds differ by data, not by time allowed), sized for one
repeat of the k folds: with repeated k-fold, further repeats run while the
full-size fits stay within ``FULL_SHARE`` (converged fits before more folds).
The curve points only get what the full-size fits left. When the probe's budget runs out the
runner stops and reports what finished (status "partial" when a full-size fold
is missing); the first ``MIN_FULL_FOLDS`` full-size fits always run, so a score
has a spread.

Where the fits run is the executor's (``advisor.probing.executor``): one at a time
in this process, each decided from the ones before (the default), or the whole
schedule on a Dask cluster (the full-size fits at once, then the curve points at once,
with what the full-size fits left); either way
``advisor.probing.measure.measure_fit`` measures each fit and the outcomes are taken in plan order.

A fit that the clock stopped before it converged says so with ``ctx.cut``;
when any full-size fit did, the result has ``converged=False`` and
``fits_cut`` counts them: its score is a lower bound for the family.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor import families
from advisor.errors import ProbeInterrupted
from advisor.probe_api import Budget, EvalPlan, ProbeResult
from advisor.probing.executor import IN_PROCESS, FitOutcome, FitTask
from advisor.probing.importance import DriverMeter, not_measured_reason
from advisor.probing.measure import CudaOutOfMemory, one_line
from advisor.probing.plan import curve_subset
from advisor.probing.resources import MemoryMonitor
from advisor.probing.summary import Fit, growth_note, summarise
from advisor.progress import NullProgress, ProbeProgress

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.probe_api import FittedModel, Probe
    from advisor.probing.executor import Executor

MIN_TIME_LIMIT = 0.1  # seconds: even a starved fit gets a chance to produce something
MIN_FULL_FOLDS = 2  # full-size fits run even past the budget: one fold gives no spread
MAX_WARNING_NOTES = 3
FIXED_COST = 0.1  # per-fit overhead, as a fraction of a full-size fit's cost (curve budget split)
FULL_SHARE = 0.75  # of the probe's budget, shared equally by the full-size fits of every fold
CURVE_FOLDS = 3  # learning-curve points run on at most this many folds (the first ones)
# Small anchors are cheap and the noisiest: those at most this share of a fold's training
# rows are repeated on folds up to SMALL_ANCHOR_FOLDS, after every other fit (LCDB repeats too).
SMALL_ANCHOR_SHARE = 0.125
SMALL_ANCHOR_FOLDS = 6
MAX_CUT_NOTES = 2  # a probe's own "cut at N" texts kept (from full-size fits); the rest are counted


def _schedule(n_folds: int, fractions: Sequence[float], repeat_small: bool = True) -> list[tuple[int, int]]:
    """(fold, fraction index) in order of value: every fold's full-size fit, in
    plan order (the score, its spread, and whether the family converged), then
    the smaller learning-curve sizes on the first ``CURVE_FOLDS`` folds, one fold
    at a time so that a curve cut short still has whole folds; last, when
    ``repeat_small``, the cheap small anchors (at most ``SMALL_ANCHOR_SHARE`` of the
    rows) again on further folds, up to ``SMALL_ANCHOR_FOLDS``: the noisiest points
    get the most repeats."""
    last = len(fractions) - 1
    order = [(fold, last) for fold in range(n_folds)]
    order += [(fold, fi) for fold in range(min(CURVE_FOLDS, n_folds)) for fi in range(last)]
    if repeat_small:
        small = [fi for fi in range(last) if fractions[fi] <= SMALL_ANCHOR_SHARE]
        order += [(fold, fi) for fold in range(CURVE_FOLDS, min(SMALL_ANCHOR_FOLDS, n_folds)) for fi in small]
    return order


def repeats_small_anchors(probe: Probe) -> bool:
    """Whether a small anchor is cheap for ``probe``: a net's fit costs its optimizer
    steps, about as many on 20 rows (one batch an epoch, more epochs) as on the full
    size (measured: a breast-cancer MLP fit on 23 rows as slow as on 455), so nets
    do not repeat them; models whose cost grows with rows do."""
    return not families.neural(probe.family)


def planned_fits(plan: EvalPlan, probe: Probe | None = None) -> int:
    """How many fits ``evaluate_probe`` schedules for ``plan`` and ``probe`` (for progress displays)."""
    repeat = True if probe is None else repeats_small_anchors(probe)
    return len(_schedule(len(plan.folds), plan.curve_fractions, repeat))


def full_time_limit(seconds: float, n_folds: int, n_fracs: int) -> float:
    """The time limit of each full-size fit, from the probe's budget ``seconds``:
    ``FULL_SHARE`` of it split equally over ``n_folds`` (one repeat's k folds; all of
    the budget without a curve)."""
    share = FULL_SHARE if n_fracs > 1 else 1.0
    return max(MIN_TIME_LIMIT, seconds * share / max(n_folds, 1))


def fold_rows(plan: EvalPlan, per_repeat: int) -> tuple[float, ...]:
    """Each fold's training rows over the mean of one repeat's folds: the share of the full-size
    fits' time each gets (1.0 each on equal k-fold folds)."""
    rows = np.array([len(train) for train, _ in plan.folds], dtype=np.float64)
    mean = float(rows[:per_repeat].mean()) if len(rows) else 0.0
    return tuple(float(v) for v in rows / mean) if mean > 0 else ()


@dataclass
class _Next:
    """The budget's answer for the next scheduled fit: run it with ``time_limit`` (a
    cluster's fit: wait for it up to ``wait`` seconds), skip it, or stop the probe."""

    action: Literal["fit", "skip", "stop"]
    time_limit: float = 0.0
    wait: float | None = None


@dataclass
class _Limits:
    """The budget's side of the schedule: whether the next fit runs, and its time limit.

    Full-size fits share one limit per training row, fixed when the first one starts, so
    that folds differ by data, not by time allowed: equal folds (k-fold) get equal limits,
    forward-chaining time folds, whose training rows grow fold by fold, limits in
    proportion to their rows (an equal limit cut the MLP's last, largest fold while the
    first ones finished early). Further repeats run while the full-size fits stay within
    ``FULL_SHARE`` of the budget they started with; curve points share what is left by
    their expected cost (``_weight``)."""

    budget: Budget
    fractions: tuple[float, ...]
    n_folds: int
    per_repeat: int  # folds in one repeat of the k folds: what the limits are sized for
    in_process: bool  # a cluster's fits are started already: only the wait is bounded
    curve_weight: float  # expected cost of every curve point of the schedule
    fold_rows: tuple[float, ...] = ()  # each fold's training rows over one repeat's mean (1.0 each if empty)
    done_curve_weight: float = 0.0
    full_limit: float | None = None
    full_budget: float = 0.0  # what remained when the first full-size fit started
    full_started: float = 0.0

    def next(self, step: int, fold: int, fi: int, full_times: list[float], aside: float) -> _Next:
        """For the ``step``-th fit of the schedule (``fold``, curve size ``fi``), given the
        full-size fits' times so far and the seconds spent ``aside`` (importance)."""
        last = len(self.fractions) - 1
        frac = self.fractions[fi]
        wait = None
        if step >= min(MIN_FULL_FOLDS, self.n_folds):
            remaining = wait = self.budget.remaining()
            expected = float(np.mean(full_times)) * frac if full_times else 0.0
            if self.in_process and (remaining <= 0.0 or expected > remaining):
                return _Next("stop")
        if fi != last:
            share = _weight(frac) / max(self.curve_weight - self.done_curve_weight, _weight(frac))
            return _Next("fit", max(MIN_TIME_LIMIT, self.budget.remaining() * share), wait)
        if self.full_limit is None:
            self.full_budget, self.full_started = self.budget.remaining(), self.budget.elapsed()
            self.full_limit = full_time_limit(self.full_budget, self.per_repeat, len(self.fractions))
        spent = self.budget.elapsed() - self.full_started - aside
        if (
            fold >= self.per_repeat
            and last > 0
            and spent + float(np.mean(full_times)) > FULL_SHARE * self.full_budget
        ):
            return _Next("skip")  # a further repeat would eat the curves' share
        scale = self.fold_rows[fold] if fold < len(self.fold_rows) else 1.0
        return _Next("fit", max(MIN_TIME_LIMIT, self.full_limit * scale), wait)

    def done(self, fi: int) -> None:
        """A fit of curve size ``fi`` finished: the points left share what remains."""
        if fi != len(self.fractions) - 1:
            self.done_curve_weight += _weight(self.fractions[fi])


@dataclass
class _Tally:
    """What one probe's fits measured so far: the fits, their notes and cuts, an error."""

    last: int  # the full size's index in the plan's curve fractions
    n_folds: int
    fits: list[Fit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cut_notes: list[str] = field(default_factory=list)  # the probe's first "cut at N" texts
    full_cut: int = 0
    curve_cut: int = 0
    worker_peak: float = 0.0  # the largest peak a cluster's worker measured around one fit
    params: dict[str, Any] | None = None  # the first fit's, for the report
    failure: str | None = None  # a full-size fit failed: no score
    curve_failure: str | None = None  # a curve size failed: the full-size fits go on
    stopped: bool = False  # the budget left fits out

    def full_times(self) -> list[float]:
        return [f.fit_seconds for f in self.fits if f.frac_index == self.last]

    def error(self, outcome: FitOutcome) -> bool:
        """Record a fit's error; True when it ends the probe (a full-size fit)."""
        where = f"fold {outcome.fold + 1} of {self.n_folds}, {outcome.n_train:,} training rows"
        if outcome.frac_index != self.last:
            self.curve_failure = f"{outcome.error} ({where})"
            return False
        self.failure = f"{outcome.error} ({where})"
        return True

    def record(self, outcome: FitOutcome, first: bool) -> None:
        """Record a measured fit (its model already released)."""
        is_full = outcome.frac_index == self.last
        if first and outcome.params is not None:
            self.params = outcome.params
        self.worker_peak = max(self.worker_peak, outcome.peak_memory_mb)
        for text in outcome.notes:
            if text not in self.notes:
                self.notes.append(text)
        if outcome.cut and is_full:
            self.full_cut += 1
            for text in outcome.cut_texts:
                if len(self.cut_notes) < MAX_CUT_NOTES and text not in self.cut_notes:
                    self.cut_notes.append(text)
        elif outcome.cut:
            self.curve_cut += 1
        _note_warnings(outcome.warnings, self.notes)
        self.fits.append(
            Fit(outcome.fold, outcome.frac_index, outcome.n_train, outcome.n_test,
                outcome.fit_seconds, outcome.predict_seconds, outcome.metrics, cut=outcome.cut)
        )  # fmt: skip


def evaluate_probe(
    probe: Probe,
    data: ProbeData,
    plan: EvalPlan,
    budget: Budget,
    device: str,
    progress: ProbeProgress | None = None,
    *,
    raise_cuda_oom: bool = False,
    warm: bool = True,
    executor: Executor | None = None,
) -> ProbeResult:
    """Run ``probe`` on every fold and curve size of ``plan`` within ``budget``.

    Never raises for a probe's own error (status "failed"), except a CUDA
    out-of-memory error when ``raise_cuda_oom`` (raised as ``CudaOutOfMemory``).
    KeyboardInterrupt and ProbeInterrupted propagate. ``warm=False`` when the caller already ran
    ``warm_up`` for this probe. ``executor``: where the fits run (``advisor.probing.executor``;
    default in this process).
    """
    progress = progress or NullProgress()
    status_fn = getattr(progress, "status", None)
    fractions = tuple(plan.curve_fractions)
    last, n_folds = len(fractions) - 1, len(plan.folds)
    schedule = _schedule(n_folds, fractions, repeats_small_anchors(probe))
    # Limits are sized for one repeat of the k folds: with repeated k-fold the extra
    # repeats run only in time the first one left (converged fits before more folds).
    per_repeat = max(1, n_folds // max(1, int(plan.n_repeats)))
    tally = _Tally(last, n_folds)
    orders: dict[int, np.ndarray] = {}
    meter = _driver_meter(data, plan, budget, per_repeat, tally.notes)

    executor = executor or IN_PROCESS
    if warm:
        executor.warm_up(probe, data, plan, device)
    ctx_progress = None if status_fn is None else (lambda detail: status_fn(probe.name, detail))
    session = executor.session(probe, data, keep_models=meter is not None, progress=ctx_progress)
    curve_weight = sum(_weight(fractions[fi]) for _, fi in schedule if fi != last)
    limits = _Limits(
        budget, fractions, n_folds, per_repeat, session.in_process, curve_weight, fold_rows(plan, per_repeat)
    )
    curves_started = session.in_process  # a cluster starts every full-size fit now, the curves later
    if not session.in_process:
        session.start(_planned_tasks(data, plan, budget, device, schedule, per_repeat, orders, full=True))
    with MemoryMonitor(device) as mem, closing(session):
        for step, (fold, fi) in enumerate(schedule):
            if tally.curve_failure is not None and fi != last:
                continue
            nxt = limits.next(step, fold, fi, tally.full_times(), meter.seconds if meter else 0.0)
            if nxt.action != "fit":
                tally.stopped = True
                if nxt.action == "stop":
                    break
                continue
            if fi != last and not curves_started:  # the full-size fits are in: what they left is the curves'
                session.start(
                    _planned_tasks(data, plan, budget, device, schedule, per_repeat, orders, full=False)
                )
                curves_started = True
            outcome = session.fit(_task(data, plan, fold, fi, nxt.time_limit, device, orders), nxt.wait)
            if outcome is None:  # the budget ran out before a cluster's fit finished
                tally.stopped = True
                break
            if outcome.error is not None:
                if raise_cuda_oom and outcome.cuda_oom:
                    raise CudaOutOfMemory(outcome.error)
                if tally.error(outcome):
                    break
                continue
            if fi == last and meter is not None:
                times = [*tally.full_times(), outcome.fit_seconds]
                meter = _measure_drivers(
                    meter, outcome.model, session.tests[fold], fold, outcome.predict_seconds, times, per_repeat,
                    tally.notes,
                )  # fmt: skip
            outcome.model = None  # release before the next fit so memory readings stay per-fit
            mem.sample()
            tally.record(outcome, first=step == 0)
            limits.done(fi)
            progress.advance(probe.name, f"fold {fold + 1}/{n_folds}, {outcome.n_train:,} rows")
    result = _finish(
        ProbeResult(
            name=probe.name, family=probe.family, status="ok", description=probe.description,
            metric=plan.metric, device=device, params=tally.params or {},
        ),
        tally, mem, meter, data, plan, budget,
    )  # fmt: skip
    if (grown := growth_note(result.curve_fit, probe.grows_at)) and result.curve_fit is not None:
        result.curve_fit.note = "; ".join(filter(None, [result.curve_fit.note, grown]))
    return result


def _finish(
    result: ProbeResult,
    tally: _Tally,
    mem: MemoryMonitor,
    meter: DriverMeter | None,
    data: ProbeData,
    plan: EvalPlan,
    budget: Budget,
) -> ProbeResult:
    """The probe's result from what its fits measured: memory, cut counts and their notes,
    the score and curve (``summarise``), the drivers, and its status."""
    fractions = tuple(plan.curve_fractions)
    n_folds, fits, notes = len(plan.folds), tally.fits, tally.notes
    result.peak_memory_mb = max(mem.peak_mb, tally.worker_peak)
    if mem.gpu_peak_mb > 0:
        notes.append(f"peak memory includes {mem.gpu_peak_mb:,.0f} MB on the GPU")
    n_full = sum(1 for f in fits if f.frac_index == tally.last)
    result.fits_cut = tally.full_cut
    result.converged = tally.full_cut == 0
    notes.extend(t for t in tally.cut_notes if t not in notes)
    if tally.full_cut:
        notes.append(
            f"the time budget stopped {tally.full_cut} of {n_full} full-size fits before they converged: "
            "the score is a lower bound for this model"
        )
    if tally.curve_cut:
        notes.append(f"the time budget stopped {tally.curve_cut} learning-curve fits before they converged")
    result.notes = notes
    if tally.failure is not None:
        result.status, result.reason = "failed", tally.failure
        return result
    summarise(result, fits, data, plan, fractions, n_folds)
    if meter is not None:
        result.drivers = meter.result(n_full)
        result.notes.extend(n for n in meter.notes if n not in result.notes)
    if tally.curve_failure is not None:
        result.status, result.reason = "partial", f"learning curve stopped by an error: {tally.curve_failure}"
    elif tally.stopped:
        reason = _partial_reason(fits, n_folds, len(fractions))
        if n_full == n_folds:
            # Every fold's score is in: only curve points were cut, so the score stands.
            if reason:
                result.notes.append(reason)
        else:
            result.status, result.reason = "partial", reason
    if budget.seconds > 0 and budget.elapsed() > 1.5 * budget.seconds:
        notes.append(
            f"took {budget.elapsed():.1f} s of a {budget.seconds:.1f} s budget (a single fit overran it)"
        )
    return result


def _driver_meter(
    data: ProbeData, plan: EvalPlan, budget: Budget, max_folds: int, notes: list[str]
) -> DriverMeter | None:
    """The importance meter for this probe, or None with a note saying why not."""
    reason = not_measured_reason(data)
    if reason is not None:
        if data.modality in ("image", "signal"):
            notes.append(reason)
        return None
    return DriverMeter(data, plan, budget, max_folds)


def _measure_drivers(
    meter: DriverMeter,
    model: FittedModel,
    test: ProbeData,
    fold: int,
    predict_seconds: float,
    full_times: list[float],
    per_repeat: int,
    notes: list[str],
) -> DriverMeter | None:
    """Importance on one full-size fit, never in the time the remaining full-size folds
    of the first repeat need. An error stops it for this probe (with a note), not the probe."""
    reserve = float(np.mean(full_times)) * max(0, per_repeat - fold - 1)
    try:
        meter.measure(model, test, fold, predict_seconds, reserve)
    except ProbeInterrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - importance is extra: the score stands without it
        notes.append(f"importance not measured: {one_line(exc)}")
        return None
    return meter


def _weight(frac: float) -> float:
    """Relative cost of a fit on ``frac`` of the rows: linear in rows plus a fixed part,
    so the smallest fits are not starved by per-fit overhead."""
    return frac + FIXED_COST


def _task(
    data: ProbeData,
    plan: EvalPlan,
    fold: int,
    fi: int,
    time_limit: float,
    device: str,
    orders: dict[int, np.ndarray],
) -> FitTask:
    train_idx, test_idx = plan.folds[fold]
    idx = curve_subset(data, plan, fold, plan.curve_fractions[fi], train_idx, orders)
    return FitTask(fold, fi, idx, test_idx, plan.seed + fold, time_limit, device)


def _planned_tasks(
    data: ProbeData,
    plan: EvalPlan,
    budget: Budget,
    device: str,
    schedule: list[tuple[int, int]],
    per_repeat: int,
    orders: dict[int, np.ndarray],
    *,
    full: bool,
) -> list[FitTask]:
    """The full-size fits (``full``) or the curve points of ``schedule``, to start at once on a
    cluster: full-size fits with the limit of the local schedule; curve points, started
    once the full-size fits are in, with what remains split by their expected cost (the
    first curve point of the local schedule gets that share too; in parallel, all do)."""
    fractions = tuple(plan.curve_fractions)
    last = len(fractions) - 1
    full_limit = full_time_limit(budget.remaining(), per_repeat, len(fractions))
    curve_weight = sum(_weight(fractions[fi]) for _, fi in schedule if fi != last) or 1.0
    scale = fold_rows(plan, per_repeat)
    tasks = []
    for fold, fi in schedule:
        if (fi == last) != full:
            continue
        curve_limit = max(MIN_TIME_LIMIT, budget.remaining() * _weight(fractions[fi]) / curve_weight)
        fold_limit = max(MIN_TIME_LIMIT, full_limit * (scale[fold] if fold < len(scale) else 1.0))
        tasks.append(_task(data, plan, fold, fi, fold_limit if full else curve_limit, device, orders))
    return tasks


def _note_warnings(texts: list[str], notes: list[str]) -> None:
    """Warnings raised during a fit become notes (a few, deduplicated) instead of
    scrolling over the progress display."""
    existing = sum(1 for n in notes if n.startswith("warning during fit: "))
    for text in texts:
        if existing >= MAX_WARNING_NOTES:
            return
        if text not in notes:
            notes.append(text)
            existing += 1


def _partial_reason(fits: list[Fit], n_folds: int, n_fracs: int) -> str:
    full = len({f.fold for f in fits if f.frac_index == n_fracs - 1})
    if full < n_folds:
        return f"time budget reached after {full} of {n_folds} folds"
    curve_folds = min(CURVE_FOLDS, n_folds)
    complete = sum(
        1 for fold in range(curve_folds) if len({f.frac_index for f in fits if f.fold == fold}) == n_fracs
    )
    if complete == curve_folds:
        return ""  # only repeats of the small anchors were left out: nothing is missing
    return f"time budget reached: learning curve measured on {complete} of {curve_folds} folds"
