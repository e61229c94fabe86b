"""The probe stage and probe discovery."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pytest

from advisor.data import ProbeData
from advisor.errors import ProbeInterrupted
from advisor.facts import ComputeInfo, Constraints
from advisor.probe_api import FitContext, Probe
from advisor.probing import registry
from advisor.probing.measure import WARM_UP_ROWS
from advisor.probing.runner import (
    CURVE_FOLDS,
    FULL_SHARE,
    SMALL_ANCHOR_FOLDS,
    SMALL_ANCHOR_SHARE,
    planned_fits,
)
from advisor.probing.stage import ProbeStage, run_probes

try:
    from tests.test_probing_runner import (
        FailingProbe,
        GpuOomProbe,
        InterruptProbe,
        MeanProbe,
        RecordingProbe,
        SkLinearProbe,
        sk_data,
    )
except ImportError:  # tests/ not a package
    from test_probing_runner import (
        FailingProbe,
        GpuOomProbe,
        InterruptProbe,
        MeanProbe,
        RecordingProbe,
        SkLinearProbe,
        sk_data,
    )

CPU = ComputeInfo(cpu_cores=2, memory_gb=8.0)


class ImageOnlyProbe(MeanProbe):
    name: ClassVar[str] = "t-cnn"
    family: ClassVar[str] = "cnn"
    modalities: ClassVar[frozenset[str]] = frozenset({"image"})


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def start_probe(self, name: str, total_steps: int) -> None:
        self.events.append(("start", name, str(total_steps)))

    def advance(self, name: str, detail: str) -> None:
        self.events.append(("advance", name))

    def end_probe(self, name: str, status: str) -> None:
        self.events.append(("end", name, status))


def stage(probes: list[Probe], data: str = "iris", **kw: Any) -> ProbeStage:
    compute = kw.pop("compute", CPU)
    return run_probes(sk_data(data), constraints=Constraints(**kw), compute=compute, probes=probes)


def test_stage_runs_supported_probes_and_skips_others() -> None:
    """Progress counts the runner's schedule: every fold's full-size fit plus the curve
    points on at most CURVE_FOLDS folds (no longer folds x curve sizes)."""
    progress = RecordingProgress()
    st = run_probes(
        sk_data("iris"),
        constraints=Constraints(seed=0),
        compute=CPU,
        probes=[MeanProbe(), SkLinearProbe(), ImageOnlyProbe()],
        progress=progress,
    )
    assert [r.status for r in st.results] == ["ok", "ok", "not_applicable"]
    assert st.results[2].reason == "does not handle tabular data"
    assert st.results[1].score.mean > st.results[0].score.mean
    assert not st.partial and st.n_rows_probed == 150 and st.sample_note == ""
    assert st.budget_seconds == 60 and st.elapsed_seconds > 0
    n_fits = planned_fits(st.plan)
    fractions, n_folds = st.plan.curve_fractions, len(st.plan.folds)
    n_curve = min(CURVE_FOLDS, n_folds) * (len(fractions) - 1)
    n_small = sum(f <= SMALL_ANCHOR_SHARE for f in fractions[:-1])
    n_repeat = max(0, min(SMALL_ANCHOR_FOLDS, n_folds) - CURVE_FOLDS) * n_small
    assert n_fits == n_folds + n_curve + n_repeat
    assert ("start", "t-linear", str(n_fits)) in progress.events
    assert ("end", "t-linear", "ok") in progress.events
    assert sum(e[0] == "advance" for e in progress.events) == 2 * n_fits


def test_failing_probe_does_not_stop_the_others() -> None:
    st = stage([FailingProbe(), SkLinearProbe()])
    assert [r.status for r in st.results] == ["failed", "ok"]
    assert "ValueError: boom" in st.results[0].reason


def test_keyboard_interrupt_gives_partial_stage() -> None:
    st = stage([MeanProbe(), InterruptProbe(), SkLinearProbe()])
    assert [r.status for r in st.results] == ["ok", "skipped", "skipped"]
    assert st.results[1].reason == st.results[2].reason == "interrupted"
    assert st.partial and any("interrupted" in n for n in st.notes)


class OwnProtocolProbe(MeanProbe):
    name: ClassVar[str] = "t-own"

    def run(self, data: ProbeData, plan: Any, budget: Any, device: str) -> Any:
        raise RuntimeError("custom protocol broke")


class StopProbe(MeanProbe):
    name: ClassVar[str] = "t-stop"

    def fit(self, train: ProbeData, ctx: FitContext) -> Any:
        if len(train) > WARM_UP_ROWS:  # Ctrl-C during measuring, not during setup
            raise ProbeInterrupted("stop")
        return super().fit(train, ctx)


class InterruptAlways(MeanProbe):
    name: ClassVar[str] = "t-int-always"

    def fit(self, train: ProbeData, ctx: FitContext) -> Any:
        raise KeyboardInterrupt


def test_custom_run_failure_and_probe_interrupted() -> None:
    st = stage([OwnProtocolProbe(), StopProbe(), MeanProbe()])
    assert st.results[0].status == "failed" and "custom protocol broke" in st.results[0].reason
    assert [r.reason for r in st.results[1:]] == ["interrupted", "interrupted"]
    assert st.partial


class DeclaredOwnProbe(MeanProbe):
    """Declares its own protocol with the class attribute; its run scores without fitting."""

    name: ClassVar[str] = "t-declared"
    protocol: ClassVar[Any] = "own"
    calls: ClassVar[list[str]] = []

    def fit(self, train: ProbeData, ctx: FitContext) -> Any:
        DeclaredOwnProbe.calls.append("fit")  # never: no warm-up, no runner
        return super().fit(train, ctx)

    def run(self, data: ProbeData, plan: Any, budget: Any, device: str) -> Any:
        from advisor.probe_api import ProbeResult

        DeclaredOwnProbe.calls.append("run")
        return ProbeResult(name=self.name, family=self.family, status="ok", metric=plan.metric)


def test_the_stage_dispatches_on_the_declared_protocol() -> None:
    assert MeanProbe.protocol == "fits" and OwnProtocolProbe.protocol == "own"
    DeclaredOwnProbe.calls.clear()
    st = stage([DeclaredOwnProbe(), MeanProbe()])
    assert DeclaredOwnProbe.calls == ["run"]
    assert [r.status for r in st.results] == ["ok", "ok"]
    # A probe measured by the runner has no run of its own: the error says where to go.
    with pytest.raises(NotImplementedError, match="evaluate_probe"):
        MeanProbe().run(sk_data("iris"), None, None, "cpu")


def test_interrupt_during_setup_skips_everything() -> None:
    st = stage([MeanProbe(), InterruptAlways()])
    assert [r.reason for r in st.results] == ["interrupted", "interrupted"] and st.partial


def test_exhausted_budget_gives_partial_but_scored_results() -> None:
    st = stage([SkLinearProbe()], data="cancer", budget_seconds=0.0)
    (res,) = st.results
    assert res.status == "partial" and res.score is not None
    assert st.partial


def test_cheap_probes_unused_time_rolls_on_to_the_next() -> None:
    """The linear probe finishes in a fraction of its half of the budget; the next probe
    gets what it left, so its full-size fits get more than an even split would give.
    The budget is generous so that both finish every fold even on a loaded machine
    (25 folds of breast cancer): the test is about the split, not about speed."""
    recorder = RecordingProbe()
    total = 40.0
    st = stage([SkLinearProbe(), recorder], data="cancer", budget_seconds=total)
    assert [r.status for r in st.results] == ["ok", "ok"]
    n_folds = len(st.plan.folds)
    limit = recorder.calls[0][2]
    assert all(c[2] == pytest.approx(limit, rel=0.005) for c in recorder.calls[:n_folds])  # a row apart
    even_split = FULL_SHARE * (total / 2) / n_folds
    assert limit > 1.5 * even_split


def test_cuda_oom_retries_on_cpu() -> None:
    gpu = ComputeInfo(cpu_cores=2, memory_gb=8.0, gpu_name="fake", device="cuda")
    st = stage([GpuOomProbe(), SkLinearProbe()], compute=gpu)
    oom, lin = st.results
    assert oom.status == "ok" and oom.device == "cpu"
    assert oom.notes[0].startswith("ran out of GPU memory")
    assert lin.device == "cpu"  # non-torch probes run on the CPU


def test_same_seed_same_stage_scores() -> None:
    a = stage([SkLinearProbe()], data="diabetes", seed=5)
    b = stage([SkLinearProbe()], data="diabetes", seed=5)
    assert a.results[0].score == b.results[0].score
    assert a.results[0].curve_fit == b.results[0].curve_fit


class _EP:
    def __init__(self, name: str, obj: Any) -> None:
        self.name, self.value, self._obj = name, f"pkg.{name}:Cls", obj

    def load(self) -> Any:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


class ZProbe(Probe):
    name: ClassVar[str] = "a-mlp"
    family: ClassVar[str] = "mlp"
    description: ClassVar[str] = ""
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular"})

    def fit(self, train: ProbeData, ctx: FitContext) -> Any:
        raise NotImplementedError


def test_discovery_orders_by_family_and_skips_broken_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [
        _EP("mlp", ZProbe),
        _EP("broken", ImportError("No module named 'xgboost'")),
        _EP("linear", SkLinearProbe),
        _EP("notaprobe", dict),
        _EP("baseline", MeanProbe),
        _EP("dup", SkLinearProbe),
    ]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps)
    problems: list[str] = []
    found = registry.discover_probes(problems)
    assert [p.name for p in found] == ["t-baseline", "t-linear", "a-mlp"]
    assert any("broken" in p and "ImportError" in p for p in problems)
    assert any("notaprobe" in p for p in problems)
    assert any("registered twice" in p for p in problems)
    assert len(registry.discover_probes()) == 3  # without a problems list: still no crash


def test_discovery_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, advisor.probing.stage; assert 'torch' not in sys.modules and 'lightgbm' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_gpu_visible_without_a_driver_whether_torch_is_loaded_or_not(monkeypatch) -> None:
    """Looking for a GPU must not import torch where no NVIDIA driver or device exists
    (2-3 s before the file is read), and gives the same answer once torch is loaded (the
    report's device line must not depend on an earlier run in the process)."""
    import sys

    from advisor import compute

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert compute.no_gpu_visible()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setattr(compute.os.path, "exists", lambda p: False)
    monkeypatch.setattr(compute.glob, "glob", lambda p: [])
    assert compute.no_gpu_visible()
    info = compute.detect_compute("auto")
    assert info.device == "cpu" and "torch" not in sys.modules
    monkeypatch.setitem(sys.modules, "torch", object())
    assert compute.no_gpu_visible()
    monkeypatch.setattr(compute.glob, "glob", lambda p: ["/dev/nvidia0"])
    assert not compute.no_gpu_visible()  # a driver's device: ask torch
    monkeypatch.setattr(compute.glob, "glob", lambda p: [])
    monkeypatch.setattr(compute.os.path, "exists", lambda p: p == "/dev/dxg")
    assert not compute.no_gpu_visible()  # WSL 2's GPU: ask torch


# The side lane (advisor/probing/lanes.py): with the pool, the in-process probes run in a
# forked process while this one runs the pooled ones; the same results as one lane.


class SlowTinyLinear(SkLinearProbe):
    """Stands for a net: it "needs torch" (so it runs in this process's lane, not the side
    lane) and its tiny fit is slower than the pool's threshold (so its fits go to the pool)."""

    name: ClassVar[str] = "t-slow-linear"
    needs_torch: ClassVar[bool] = True

    def fit(self, train: ProbeData, ctx: FitContext) -> Any:
        import time

        if len(train) <= WARM_UP_ROWS:
            time.sleep(0.1)
        return super().fit(train, ctx)


def _pool_stage(side_lane: bool, probes: list[Probe], progress: Any = None) -> ProbeStage:
    from advisor.probing.pool import PoolExecutor

    pool = PoolExecutor(2, min_pooled_seconds=0.05)
    pool.side_lane = side_lane  # type: ignore[misc]
    return run_probes(
        sk_data("cancer"), constraints=Constraints(budget_seconds=120, seed=4), compute=CPU,
        probes=probes, executor=pool, progress=progress,
    )  # fmt: skip


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="forks (Linux)")
def test_side_lane_gives_the_one_lane_results() -> None:
    def probes() -> list[Probe]:
        return [MeanProbe(), SkLinearProbe(), ImageOnlyProbe(), SlowTinyLinear()]

    progress = RecordingProgress()
    two = _pool_stage(True, probes(), progress)
    one = _pool_stage(False, probes())
    assert [r.name for r in two.results] == [r.name for r in one.results]
    for a, b in zip(two.results, one.results, strict=True):
        assert a.status == b.status and a.reason == b.reason
        if a.score is not None:
            assert a.score.folds == b.score.folds
            assert [(p.n_train, p.score) for p in a.curve] == [(p.n_train, p.score) for p in b.curve]
    assert [r.status for r in two.results] == ["ok", "ok", "not_applicable", "ok"]
    # The lane's events reached this process's display: every probe started and ended once.
    for r in two.results[:2] + two.results[3:]:
        kinds = [e[0] for e in progress.events if e[1] == r.name]
        assert kinds[0] == "start" and kinds[-1] == "end" and set(kinds[1:-1]) == {"advance"}, r.name
    assert not two.partial and not any("side lane" in n for n in two.notes)


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="forks (Linux)")
def test_side_lane_runs_the_in_process_probes_elsewhere_meanwhile() -> None:
    import os

    parent = os.getpid()

    class WhereMean(MeanProbe):
        name: ClassVar[str] = "t-where"

        def fit(self, train: ProbeData, ctx: FitContext) -> Any:
            if len(train) > WARM_UP_ROWS:
                ctx.note("in this process" if os.getpid() == parent else "in another process")
            return super().fit(train, ctx)

    for side_lane, where in ((True, "in another process"), (False, "in this process")):
        result = _pool_stage(side_lane, [WhereMean(), SlowTinyLinear()])
        assert where in result.results[0].notes and [r.status for r in result.results] == ["ok", "ok"]


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="forks (Linux)")
def test_while_a_side_lane_works_this_process_fits_on_one_thread() -> None:
    """The lane and its helpers can hold every core: a fit here meanwhile takes one thread
    (``compute.fit_threads``), and every usable CPU again once the lane's work is done."""
    import time

    from advisor.compute import fit_threads, usable_cpus, work_beside
    from advisor.probing.lanes import SideLane

    assert fit_threads() == usable_cpus()
    lane = SideLane(lambda out: time.sleep(0.5), RecordingProgress())
    try:
        assert fit_threads() == 1
    finally:
        results, finished = lane.join()
    assert finished and results == {}
    assert fit_threads() == usable_cpus()
    owner = object()
    work_beside(owner, True)
    assert fit_threads() == 1
    work_beside(owner, False)
    assert fit_threads() == usable_cpus()


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="forks (Linux)")
def test_side_lane_interrupted_with_the_stage() -> None:
    class InterruptSlow(SlowTinyLinear):
        name: ClassVar[str] = "t-interrupt-slow"

        def fit(self, train: ProbeData, ctx: FitContext) -> Any:
            if len(train) > WARM_UP_ROWS:
                raise KeyboardInterrupt
            return super().fit(train, ctx)

    class SlowMean(MeanProbe):
        name: ClassVar[str] = "t-slow-mean"

        def fit(self, train: ProbeData, ctx: FitContext) -> Any:
            import time

            if len(train) > WARM_UP_ROWS:
                time.sleep(0.2)  # still running in the lane when this process is interrupted
            return super().fit(train, ctx)

    result = _pool_stage(True, [SlowMean(), InterruptSlow()])
    assert result.partial
    assert [(r.status, r.reason) for r in result.results] == [("skipped", "interrupted")] * 2


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="forks (Linux)")
def test_a_failed_side_lane_runs_its_probes_here() -> None:
    class Unpicklable(MeanProbe):
        """Its result cannot come back from the lane: a lambda among the model's parameters."""

        name: ClassVar[str] = "t-unpicklable"

        def fit(self, train: ProbeData, ctx: FitContext) -> Any:
            model = super().fit(train, ctx)
            model.params = {"scorer": lambda: 0}
            return model

    result = _pool_stage(True, [Unpicklable(), SlowTinyLinear()])
    assert [r.status for r in result.results] == ["ok", "ok"]
    assert any(n.startswith("the side lane failed (") and "ran in this process" in n for n in result.notes)


class SlowFitProbe(SkLinearProbe):
    """Full-size fits take a fixed 0.3 s: too slow for every fold in a small share."""

    name: ClassVar[str] = "t-slow"

    def fit(self, train: ProbeData, ctx: FitContext) -> Any:
        import time

        if len(train) > WARM_UP_ROWS:
            time.sleep(0.3)
        return super().fit(train, ctx)


class CheapHeavyProbe(SkLinearProbe):
    """Fast, but weighted to take most of the budget: it leaves its share unused."""

    name: ClassVar[str] = "t-cheap"
    cost_weight: ClassVar[float] = 4.0


def test_a_probe_cut_short_is_measured_again_with_the_time_the_others_left() -> None:
    st = stage([SlowFitProbe(), CheapHeavyProbe()], data="cancer", budget_seconds=12)
    slow, cheap = st.results
    assert cheap.status == "ok" and cheap.share_seconds > 8  # its share, mostly unused
    assert slow.retried and slow.share_seconds > 5  # again, with what the cheap one left
    assert re.match(
        r"measured again with \d+ s the other probes left: its first \d s ended partial", slow.notes[0]
    )
    assert len(slow.score.folds) >= 10  # the first share (2.4 s, 0.75 of it for 0.3 s fits) held about 6
    assert st.elapsed_seconds < 12 * 1.1  # within the stage's budget


def test_completeness_orders_what_a_rerun_must_beat() -> None:
    from advisor.probe_api import ProbeResult, Score
    from advisor.probing.stage import completeness, cut_short

    def r(folds: int, converged: bool = True, status: str = "ok") -> ProbeResult:
        return ProbeResult("p", "linear", status, score=Score(0.8, 0.01, [0.8] * folds), converged=converged)

    assert completeness(r(6)) > completeness(r(4)) and completeness(r(3)) > completeness(
        r(9, converged=False)
    )
    assert cut_short(r(4, status="partial")) and cut_short(r(5, converged=False)) and not cut_short(r(5))
