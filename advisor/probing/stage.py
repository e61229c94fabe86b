"""The probe stage: one plan, every probe on it, one time budget shared out.

Budget policy: the stage budget (``Constraints.budget_seconds``) less the time
spent planning and on setup (one tiny unmeasured fit per probe, so imports are
not billed to one probe's measurements) is split over the supported probes in proportion to their
``cost_weight``, in run order; each probe gets its weight's share of what
*remains*, so time one probe leaves unused rolls on to the next. Every
supported probe gets at least ``MIN_SHARE`` of its nominal share of the whole
budget even when setup or an earlier probe overran, and the runner always
completes two full-size fits, so a probe is never reported without a score
(and its spread) merely for running last. The stage can therefore overrun a
tiny budget; it says so in its notes.

With the pool (small data on the CPU) and a torch probe to run, the stage runs two
lanes at once (``advisor.probing.lanes``): the other probes in a forked side lane, the
torch probes here, each lane splitting the budget among its own probes as above. Both
lanes end within the budget, so the stage's wall time is still the budget's.

Time rolls forward only: an expensive probe early in the order can end cut short while a later
one leaves most of its share unused. So, last, the probes the budget cut short are measured
again here with what is left (``retry``), each result kept only if it measured more of the plan.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.errors import ProbeInterrupted
from advisor.probe_api import Budget, EvalPlan, Probe, ProbeProtocol, ProbeResult, ProbeStatus
from advisor.probing.executor import IN_PROCESS, ExecutorInfo
from advisor.probing.lanes import LaneOut, SideLane, side_lane_available
from advisor.probing.measure import CudaOutOfMemory, is_cuda_oom, one_line
from advisor.probing.plan import ProbePlan, make_plan
from advisor.probing.registry import discover_probes
from advisor.probing.runner import evaluate_probe, planned_fits
from advisor.progress import NullProgress, ProbeProgress

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.facts import ComputeInfo, Constraints
    from advisor.probing.executor import Executor

__all__ = ["MIN_SHARE", "NullProgress", "ProbeProgress", "ProbeStage", "run_probes"]

MIN_SHARE = 0.25  # fraction of its nominal share a probe keeps even when the stage budget is spent
# A probe the budget cut short is measured again when the time the others left is at least this
# many times what it had: shares are fixed in order, so an expensive probe early in the order can
# end partial while a later one finishes with most of its share unused.
RETRY_GAIN = 1.5
INTERRUPTED = "interrupted"


@dataclass
class ProbeStage:
    results: list[ProbeResult]
    plan: EvalPlan  # its folds need not be serialised
    sample_note: str
    n_rows_probed: int
    partial: bool  # Ctrl-C or the budget stopped it
    notes: list[str] = field(default_factory=list)
    budget_seconds: float = 0.0
    elapsed_seconds: float = 0.0
    executor: ExecutorInfo = IN_PROCESS.info  # where the fits ran


def run_probes(
    data: ProbeData,
    *,
    constraints: Constraints,
    compute: ComputeInfo,
    progress: ProbeProgress | None = None,
    probes: list[Probe] | None = None,
    executor: Executor | None = None,
) -> ProbeStage:
    """Plan, then evaluate each probe (discovered from the entry point unless given), its
    fits on ``executor`` (``advisor.probing.executor``; default in this process)."""
    executor = executor or IN_PROCESS
    started = time.monotonic()
    progress = progress or NullProgress()
    total = float(constraints.budget_seconds)
    probe_data, plan = make_plan(
        data,
        seed=constraints.seed,
        budget_seconds=total,
        split=constraints.split,
        time_column=constraints.time_column,
        group_column=constraints.group_column,
    )
    notes: list[str] = list(plan.notes) if isinstance(plan, ProbePlan) else []
    if probes is None:
        probes = discover_probes(notes)

    # Decide which probes run before spending any time, so shares are known.
    skip_reasons: dict[int, tuple[ProbeStatus, str]] = {}
    for i, probe in enumerate(probes):
        skip = _skip_reason(probe, probe_data, constraints)
        if skip:
            skip_reasons[i] = skip
    devices = {i: compute.device if getattr(p, "needs_torch", False) else "cpu" for i, p in enumerate(probes)}

    runnable = [i for i in range(len(probes)) if i not in skip_reasons]
    for i in skip_reasons:  # said first: they take no time
        progress.end_probe(probes[i].name, skip_reasons[i][0])
    weights = {i: max(float(getattr(probes[i], "cost_weight", 1.0)), 0.0) for i in runnable}
    sequence = _Sequence(probes, probe_data, plan, devices, weights, total, executor)
    done: dict[int, ProbeResult] = {}
    interrupted, setup, lane = False, 0.0, None
    side: list[int] = []
    # Setup before splitting the budget: imports and first-call costs (torch alone
    # takes seconds) are shared by the stage, not billed to the probe that needs them.
    try:
        side = _side_lane_probes(probes, runnable, devices, executor)
        if side and len(side) < len(runnable):
            # Forked before the side probes' warm-ups: their imports (LightGBM, scikit-learn's
            # estimators) and tiny fits run there, beside this process's torch import.
            def run_side(out: LaneOut) -> None:
                out.setup(sum(sequence.warm_up(i) for i in side))
                lane_start = time.monotonic()
                sequence.run(
                    side, max(0.0, total - (lane_start - started)), lane_start, out.progress, out.result
                )

            lane = SideLane(run_side, progress)
        else:
            side = []
        setup += sum(
            sequence.warm_up(i) for i in runnable if _protocol(probes[i]) == "fits" and i not in side
        )
    except (KeyboardInterrupt, ProbeInterrupted):
        interrupted = True

    here = [i for i in runnable if i not in side]
    if not interrupted:
        budget_start = time.monotonic()
        measure_total = max(0.0, total - (budget_start - started))
        ran, interrupted = sequence.run(here, measure_total, budget_start, progress)
        done.update(ran)
    if lane is not None:
        ran, interrupted = _end_lane(lane, side, interrupted, sequence, started + total, progress, notes)
        done.update(ran)
        setup += lane.setup_seconds
    if not interrupted:
        again, interrupted = retry(done, sequence, started + total, progress)
        done.update(again)
    if setup > 1.0:
        notes.append(f"probe setup (imports, a first tiny fit) took {setup:.1f} s, outside every fit time")
    results: list[ProbeResult] = []
    for i, probe in enumerate(probes):
        if i in skip_reasons:
            status, reason = skip_reasons[i]
            results.append(_skipped(probe, plan, reason, status))
        elif i in done:
            results.append(done[i])
        else:
            results.append(_skipped(probe, plan, INTERRUPTED))
            progress.end_probe(probe.name, INTERRUPTED)
    if any(r.status == "skipped" and r.reason == INTERRUPTED for r in results):
        interrupted = True

    elapsed = time.monotonic() - started
    if interrupted:
        notes.append("the probe stage was interrupted (Ctrl-C); probes not finished are marked skipped")
    if total > 0 and elapsed > 1.1 * total:
        notes.append(f"the probes took {elapsed:.0f} s, over the {total:.0f} s budget")
    partial = interrupted or any(r.status == "partial" for r in results)
    return ProbeStage(
        results=results,
        plan=plan,
        sample_note=plan.sample_note,
        n_rows_probed=len(probe_data),
        partial=partial,
        notes=notes,
        budget_seconds=total,
        elapsed_seconds=elapsed,
        executor=executor.info,
    )


def _side_lane_probes(
    probes: list[Probe], runnable: list[int], devices: dict[int, str], executor: Executor
) -> list[int]:
    """The probes that may run in a side lane (``advisor.probing.lanes``): with an executor
    that offers one (the pool), the ones measured by fits on the CPU without torch, when a
    torch probe runs too: the lane forks before their warm-ups, and this process imports
    torch and runs the torch probes meanwhile. A side probe slow enough for the pool gets
    one of its own, forked from the lane."""
    if not getattr(executor, "side_lane", False) or not side_lane_available():
        return []
    return [
        i for i in runnable
        if _protocol(probes[i]) == "fits" and devices[i] == "cpu" and not getattr(probes[i], "needs_torch", False)
    ]  # fmt: skip


@dataclass
class _Sequence:
    """What the probes of a lane share: the probes, the plan, their devices and budget
    weights, the stage budget and where the fits run."""

    probes: list[Probe]
    data: ProbeData
    plan: EvalPlan
    devices: dict[int, str]
    weights: dict[int, float]
    total: float
    executor: Executor

    def warm_up(self, i: int) -> float:
        """Probe ``i``'s unmeasured tiny fit (imports, first calls): seconds, setup time."""
        return self.executor.warm_up(self.probes[i], self.data, self.plan, self.devices[i])

    def run(
        self,
        ids: list[int],
        measure_total: float,
        budget_start: float,
        progress: ProbeProgress,
        emit: Callable[[int, ProbeResult], None] | None = None,
        floor: bool = True,
    ) -> tuple[dict[int, ProbeResult], bool]:
        """Evaluate the probes ``ids`` one after the other within ``measure_total`` seconds
        from ``budget_start``, each a share of what remains by its weight among them, at least
        ``MIN_SHARE`` of its nominal share unless not ``floor`` (``emit`` gets each result as it ends). Returns their results and whether Ctrl-C
        stopped it (the probes not reached are then left out)."""
        results: dict[int, ProbeResult] = {}
        weight_total = sum(self.weights[i] for i in ids) or 1.0
        for k, i in enumerate(ids):
            probe = self.probes[i]
            # A share of what remains, so time an earlier probe left unused rolls on.
            remaining_weight = sum(self.weights[j] for j in ids[k:]) or 1.0
            remaining = max(0.0, measure_total - (time.monotonic() - budget_start))
            nominal = self.total * self.weights[i] / weight_total
            seconds = max(
                remaining * self.weights[i] / remaining_weight, MIN_SHARE * nominal if floor else 0.0
            )
            progress.start_probe(probe.name, planned_fits(self.plan, probe))
            try:
                result = _run_one(
                    probe, self.data, self.plan, Budget(seconds), self.devices[i], progress, self.executor
                )
            except (KeyboardInterrupt, ProbeInterrupted):
                return results, True
            result.share_seconds = seconds
            results[i] = result
            if emit is not None:
                emit(i, result)
            progress.end_probe(probe.name, result.status)
        return results, False


def cut_short(r: ProbeResult) -> bool:
    """The time budget, not the probe, ended its measurement: folds or curve points left out, or
    full-size fits stopped before they converged."""
    return r.score is not None and (r.status == "partial" or not r.converged)


def completeness(r: ProbeResult) -> tuple[bool, bool, int, int, int]:
    """How much of the plan a result measured, to keep the better of two runs of one probe:
    scored, converged, folds scored, curve points, fewer cut fits."""
    folds = len(r.score.folds) if r.score is not None else 0
    return (r.score is not None, r.converged, folds, len(r.curve), -r.fits_cut)


def retry(
    done: dict[int, ProbeResult], sequence: _Sequence, deadline: float, progress: ProbeProgress
) -> tuple[dict[int, ProbeResult], bool]:
    """Measure again, in this process, the probes the budget cut short, with the time the others
    left until ``deadline`` (shared by their weights), when that is at least ``RETRY_GAIN`` times
    what each had; a rerun replaces the first result only where it measured more of the plan
    (``completeness``). Returns the replacements and whether Ctrl-C stopped it (the first
    results then stand)."""
    left = deadline - time.monotonic()
    ids = [i for i, r in sorted(done.items()) if cut_short(r) and left >= RETRY_GAIN * r.share_seconds > 0]
    if not ids:
        return {}, False
    say = getattr(progress, "stage", None)  # a duck-typed progress may not show stages
    if say is not None:
        say(f"measuring again with the {left:.0f} s left: {', '.join(done[i].name for i in ids)}")
    try:
        for i in ids:  # a side lane's probe has not warmed up in this process
            if _protocol(sequence.probes[i]) == "fits":
                sequence.warm_up(i)
    except (KeyboardInterrupt, ProbeInterrupted):
        return {}, True
    start = time.monotonic()  # within the stage's budget: no floor past its end
    ran, interrupted = sequence.run(ids, max(0.0, deadline - start), start, progress, floor=False)
    better: dict[int, ProbeResult] = {}
    for i, again in ran.items():
        first = done[i]
        if completeness(again) > completeness(first):
            again.retried = True
            again.notes.insert(
                0,
                f"measured again with {again.share_seconds:.0f} s the other probes left: its first "
                f"{first.share_seconds:.0f} s ended {_what_was_cut(first)}",
            )
            better[i] = again
    return better, interrupted


def _what_was_cut(r: ProbeResult) -> str:
    folds = len(r.score.folds) if r.score is not None else 0
    if r.status == "partial":
        return f"partial ({folds} folds scored, {len(r.curve)} curve points)"
    return f"with {r.fits_cut} full-size fit(s) stopped before they converged"


def _end_lane(
    lane: SideLane,
    side: list[int],
    interrupted: bool,
    sequence: _Sequence,
    deadline: float,
    progress: ProbeProgress,
    notes: list[str],
) -> tuple[dict[int, ProbeResult], bool]:
    """Wait for the side lane (stop it on Ctrl-C) and take the results it sent. A lane that
    failed has the rest of its probes warmed up and run here, in what is left until
    ``deadline`` (monotonic seconds, the stage budget's end). Returns the results and
    whether Ctrl-C stopped the stage."""
    finished = False
    if interrupted:
        lane.stop()
    else:
        try:
            _, finished = lane.join()
        except (KeyboardInterrupt, ProbeInterrupted):
            lane.stop()
            interrupted = True
    done = dict(lane.results)  # what it finished, interrupted or not
    if finished or interrupted:
        return done, interrupted
    notes.append(f"the side lane failed ({lane.error}); its probes ran in this process")
    rest = [i for i in side if i not in lane.results]
    try:
        for i in rest:
            sequence.warm_up(i)
    except (KeyboardInterrupt, ProbeInterrupted):
        return done, True
    started = time.monotonic()  # after the warm-ups, as for the other probes
    ran, interrupted = sequence.run(rest, max(0.0, deadline - started), started, progress)
    done.update(ran)
    return done, interrupted


def _skip_reason(probe: Probe, data: ProbeData, constraints: Constraints) -> tuple[ProbeStatus, str] | None:
    """Why ``probe`` will not run on ``data``: not applicable (its own ``supports``), or skipped
    (PyTorch, an optional package or pretrained weights missing: ``Probe.setup``)."""
    try:
        reason = probe.supports(data)
    except Exception as exc:  # a plugin's check must not stop the run
        return "skipped", f"supports() raised {one_line(exc)}"
    if reason:
        return "not_applicable", reason
    if getattr(probe, "needs_torch", False) and importlib.util.find_spec("torch") is None:
        return "skipped", "PyTorch is not installed (pip install torch)"
    try:
        missing = probe.setup(constraints) if isinstance(probe, Probe) else None
    except Exception as exc:  # a plugin's setup must not stop the run either
        return "skipped", f"setup() raised {one_line(exc)}"
    return ("skipped", missing) if missing else None


def _protocol(probe: Probe) -> ProbeProtocol:
    """How ``probe`` is measured (``Probe.protocol``); "fits" for a duck-typed probe without it."""
    return getattr(probe, "protocol", "fits")


def _skipped(probe: Probe, plan: EvalPlan, reason: str, status: ProbeStatus = "skipped") -> ProbeResult:
    return ProbeResult(
        name=probe.name, family=probe.family, status=status, reason=reason,
        description=getattr(probe, "description", ""), metric=plan.metric,
    )  # fmt: skip


def _run_one(
    probe: Probe,
    data: ProbeData,
    plan: EvalPlan,
    budget: Budget,
    device: str,
    progress: ProbeProgress,
    executor: Executor,
) -> ProbeResult:
    """Evaluate one probe; on a CUDA out-of-memory error, once more on the CPU."""
    try:
        result = _evaluate(probe, data, plan, budget, device, progress, executor, warm=False)
    except CudaOutOfMemory as oom:
        result = _evaluate(probe, data, plan, budget, "cpu", progress, executor, warm=True)
        result.notes.insert(0, f"ran out of GPU memory ({oom}); retried on the CPU")
    result.reads_text = bool(getattr(probe, "reads_text", False))  # here for every protocol
    return result


def _evaluate(
    probe: Probe,
    data: ProbeData,
    plan: EvalPlan,
    budget: Budget,
    device: str,
    progress: ProbeProgress,
    executor: Executor,
    warm: bool,
) -> ProbeResult:
    retry_oom = device == "cuda"
    if _protocol(probe) == "fits":
        return evaluate_probe(
            probe,
            data,
            plan,
            budget,
            device,
            progress,
            raise_cuda_oom=retry_oom,
            warm=warm,
            executor=executor,
        )
    # A probe with its own protocol (in this process, wherever the others run): never let it crash the run.
    try:
        return probe.run(data, plan, budget, device)
    except ProbeInterrupted:
        raise
    except Exception as exc:
        if retry_oom and is_cuda_oom(exc):
            raise CudaOutOfMemory(exc) from exc
        return ProbeResult(
            name=probe.name, family=probe.family, status="failed", reason=one_line(exc),
            description=getattr(probe, "description", ""), metric=plan.metric, device=device,
        )  # fmt: skip
