"""The runner with tiny scikit-learn test probes on small sklearn datasets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from advisor.data import ProbeData
from advisor.probe_api import Budget, EvalPlan, FitContext, Probe, ProbeResult
from advisor.probing.measure import WARM_UP_ROWS, CudaOutOfMemory
from advisor.probing.plan import make_plan
from advisor.probing.runner import (
    CURVE_FOLDS,
    FULL_SHARE,
    MIN_FULL_FOLDS,
    SMALL_ANCHOR_FOLDS,
    SMALL_ANCHOR_SHARE,
    _schedule,
    evaluate_probe,
)

ALL = frozenset({"tabular"})


class _Const:
    def __init__(self, value: Any, classification: bool) -> None:
        self.value, self.classification = value, classification

    def predict(self, data: ProbeData) -> np.ndarray:
        if self.classification:
            return np.tile(self.value, (len(data), 1))
        return np.full(len(data), self.value)


class MeanProbe(Probe):
    name: ClassVar[str] = "t-baseline"
    family: ClassVar[str] = "baseline"
    description: ClassVar[str] = "priors or mean"
    modalities: ClassVar[frozenset[str]] = ALL
    cost_weight: ClassVar[float] = 0.05

    def fit(self, train: ProbeData, ctx: FitContext) -> _Const:
        if train.is_classification:
            return _Const(np.bincount(train.y, minlength=train.n_classes) / len(train), True)
        return _Const(float(train.y.mean()), False)


class _Sk:
    def __init__(self, model: Any, n_classes: int) -> None:
        self.model, self.n_classes = model, n_classes
        self.params = {"model": type(model[-1]).__name__}

    def predict(self, data: ProbeData) -> np.ndarray:
        if not self.n_classes:
            return self.model.predict(data.X.to_numpy())
        out = np.zeros((len(data), self.n_classes))
        out[:, self.model.classes_] = self.model.predict_proba(data.X.to_numpy())
        return out


class SkLinearProbe(Probe):
    name: ClassVar[str] = "t-linear"
    family: ClassVar[str] = "linear"
    description: ClassVar[str] = "logistic / ridge"
    modalities: ClassVar[frozenset[str]] = ALL

    def fit(self, train: ProbeData, ctx: FitContext) -> _Sk:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        est = LogisticRegression(max_iter=1000) if train.is_classification else Ridge()
        model = make_pipeline(StandardScaler(), est).fit(train.X.to_numpy(), train.y)
        ctx.note("test note")
        return _Sk(model, train.n_classes)


class FailingProbe(MeanProbe):
    name: ClassVar[str] = "t-failing"
    family: ClassVar[str] = "gbdt"

    def fit(self, train: ProbeData, ctx: FitContext) -> _Const:
        raise ValueError("boom\nsecond line")


class SmallDataFailingProbe(SkLinearProbe):
    name: ClassVar[str] = "t-small-fail"

    def fit(self, train: ProbeData, ctx: FitContext) -> _Sk:
        if len(train) < 100:
            raise RuntimeError("needs 100 rows")
        return super().fit(train, ctx)


class InterruptProbe(MeanProbe):
    name: ClassVar[str] = "t-interrupt"
    family: ClassVar[str] = "mlp"

    def fit(self, train: ProbeData, ctx: FitContext) -> _Const:
        if len(train) > WARM_UP_ROWS:  # let the unmeasured warm-up through
            raise KeyboardInterrupt
        return super().fit(train, ctx)


class OutOfMemoryError(RuntimeError):
    """Stands in for torch.cuda.OutOfMemoryError (same name, no torch needed)."""


class GpuOomProbe(SkLinearProbe):
    name: ClassVar[str] = "t-gpu"
    family: ClassVar[str] = "mlp"
    needs_torch: ClassVar[bool] = True

    def fit(self, train: ProbeData, ctx: FitContext) -> _Sk:
        if ctx.device == "cuda":
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return super().fit(train, ctx)


class RecordingProbe(SkLinearProbe):
    """Records (fold seed, training rows, time limit) of every measured fit."""

    name: ClassVar[str] = "t-recording"

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, float]] = []

    def fit(self, train: ProbeData, ctx: FitContext) -> _Sk:
        if len(train) > WARM_UP_ROWS:
            self.calls.append((ctx.seed, len(train), ctx.time_limit))
        return super().fit(train, ctx)


class CutProbe(SkLinearProbe):
    """Stands in for a net whose epochs the clock cut: trains, then reports the cut."""

    name: ClassVar[str] = "t-cut"

    def fit(self, train: ProbeData, ctx: FitContext) -> _Sk:
        model = super().fit(train, ctx)
        ctx.cut(f"epochs cut at {3 + ctx.seed} by the time budget")
        return model


class SleepyProbe(MeanProbe):
    """Uses its whole time limit, then says the clock stopped it (a slow, never-converging model)."""

    name: ClassVar[str] = "t-sleepy"

    def fit(self, train: ProbeData, ctx: FitContext) -> _Const:
        import time

        if len(train) > WARM_UP_ROWS:
            time.sleep(ctx.time_limit)
            ctx.cut("boosting rounds cut at 7 by the time budget")
        return super().fit(train, ctx)


def sk_data(name: str, n_total: int | None = None) -> ProbeData:
    from sklearn import datasets

    loader = {
        "cancer": datasets.load_breast_cancer,
        "diabetes": datasets.load_diabetes,
        "iris": datasets.load_iris,
    }
    bunch = loader[name]()
    X = pd.DataFrame(bunch.data, columns=[f"f{i}" for i in range(bunch.data.shape[1])])
    task = {"cancer": "binary", "iris": "multiclass", "diabetes": "regression"}[name]
    classes = [] if task == "regression" else [str(c) for c in bunch.target_names]
    y = bunch.target.astype(np.float64 if task == "regression" else np.int64)
    return ProbeData(
        task=task, modality="tabular", y=y, class_names=classes, X=X,
        feature_kinds={c: "numeric" for c in X.columns}, n_rows_total=n_total or len(y),
    )  # fmt: skip


def run(probe: Probe, name: str, seed: int = 0, budget: float = 600.0, **kw: Any) -> ProbeResult:
    data, plan = make_plan(sk_data(name, **kw), seed=seed, budget_seconds=60)
    return evaluate_probe(probe, data, plan, Budget(budget), "cpu")


def n_folds(name: str) -> int:
    """Folds plan.py makes for the dataset (k-fold, repeated on small data)."""
    return len(make_plan(sk_data(name), seed=0, budget_seconds=60)[1].folds)


@pytest.mark.parametrize("name", ["cancer", "diabetes", "iris"])
def test_linear_beats_baseline_and_fills_every_field(name: str) -> None:
    base, lin = run(MeanProbe(), name), run(SkLinearProbe(), name)
    assert base.status == lin.status == "ok"
    assert lin.score is not None and base.score is not None
    assert lin.score.mean > base.score.mean + 0.1
    assert lin.metric == {"cancer": "roc_auc", "iris": "macro_f1", "diabetes": "r2"}[name]
    assert len(lin.score.folds) == n_folds(name) and lin.score.std > 0
    assert set(lin.metrics) >= {lin.metric}
    assert lin.n_train > lin.n_test > 0
    assert lin.fit_seconds > 0 and lin.predict_ms_per_1k > 0 and lin.peak_memory_mb >= 0
    assert lin.device == "cpu" and lin.notes == ["test note"]
    assert lin.params == {"model": "Ridge" if name == "diabetes" else "LogisticRegression"}
    assert len(lin.curve) >= 3
    assert [p.n_train for p in lin.curve] == sorted(p.n_train for p in lin.curve)
    assert lin.curve[-1].n_train == lin.n_train
    assert lin.curve_fit is not None and set(lin.curve_fit.predicted_rows) == {"2x", "10x"}
    assert lin.cost_at_full is None  # not sampled


def test_same_seed_same_scores() -> None:
    a, b = run(SkLinearProbe(), "diabetes", seed=1), run(SkLinearProbe(), "diabetes", seed=1)
    assert a.score == b.score and a.metrics == b.metrics
    assert [p.score for p in a.curve] == [p.score for p in b.curve]
    assert a.curve_fit == b.curve_fit
    c = run(SkLinearProbe(), "diabetes", seed=2)
    assert c.score != a.score


def test_sampled_data_gets_full_extrapolation_and_cost() -> None:
    res = run(SkLinearProbe(), "cancer", n_total=100_000)
    assert res.curve_fit is not None and "full" in res.curve_fit.predicted_rows
    assert res.curve_fit.predicted_rows["full"] == round(100_000 * res.n_train / 569)
    assert res.cost_at_full is not None and res.cost_at_full.n_rows == 100_000
    assert res.cost_at_full.fit_seconds > res.fit_seconds
    assert "estimate" in res.cost_at_full.method


def test_failing_probe_is_reported_not_raised() -> None:
    res = run(FailingProbe(), "iris")
    assert res.status == "failed"
    assert res.reason.startswith(f"ValueError: boom (fold 1 of {n_folds('iris')}")
    assert "\n" not in res.reason and res.score is None


def test_curve_size_failure_keeps_the_score() -> None:
    res = run(SmallDataFailingProbe(), "cancer")
    assert res.status == "partial" and res.score is not None and len(res.score.folds) == n_folds("cancer")
    assert res.reason.startswith("learning curve stopped by an error: RuntimeError: needs 100 rows")


def test_keyboard_interrupt_propagates() -> None:
    with pytest.raises(KeyboardInterrupt):
        run(InterruptProbe(), "iris")


def test_budget_exhaustion_gives_partial_result() -> None:
    res = run(SkLinearProbe(), "cancer", budget=0.0)
    assert res.status == "partial"
    assert res.reason == f"time budget reached after 2 of {n_folds('cancer')} folds"
    assert res.score is not None and len(res.score.folds) == 2
    assert len(res.curve) == 1 and res.curve_fit is not None and not res.curve_fit.ok


def test_cuda_oom_raised_only_when_asked() -> None:
    data, plan = make_plan(sk_data("iris"), seed=0, budget_seconds=60)
    res = evaluate_probe(GpuOomProbe(), data, plan, Budget(60), "cuda")
    assert res.status == "failed" and "OutOfMemoryError" in res.reason
    with pytest.raises(CudaOutOfMemory):
        evaluate_probe(GpuOomProbe(), data, plan, Budget(60), "cuda", raise_cuda_oom=True)


def test_single_class_test_fold_auc_is_skipped_with_note() -> None:
    data = sk_data("cancer")
    pos, neg = np.flatnonzero(data.y == 1), np.flatnonzero(data.y == 0)
    only_pos = pos[:50]  # a test fold with a single class: ROC AUC undefined there
    rest = np.setdiff1d(np.arange(len(data)), only_pos)
    mixed = np.concatenate([pos[50:100], neg[:50]])
    folds = [(rest, only_pos), (np.setdiff1d(np.arange(len(data)), mixed), mixed)]
    plan = EvalPlan(
        folds=folds, curve_fractions=(0.25, 0.5, 1.0), seed=0, metric="roc_auc", n_rows_total=len(data)
    )
    res = evaluate_probe(SkLinearProbe(), data, plan, Budget(60), "cpu")
    assert res.status == "ok" and res.score is not None
    assert len(res.score.folds) == 1 and math.isfinite(res.score.mean)
    assert any("roc_auc undefined on 1 of 2 folds" in n for n in res.notes)


def kfold_plan(data: ProbeData, n_repeats: int = 5, k: int = 5) -> EvalPlan:
    """Repeated stratified k-fold, repeat-major: n_repeats x k folds, as plan.py may make
    (fixed here, so these tests don't depend on plan.py's choice of folds)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=n_repeats, random_state=0)
    folds = list(splitter.split(np.zeros(len(data)), data.y))
    return EvalPlan(
        folds=folds, curve_fractions=(0.1, 0.25, 0.5, 1.0), seed=0, metric="roc_auc",
        n_rows_total=len(data), n_repeats=n_repeats,
    )  # fmt: skip


def test_schedule_runs_every_full_size_fit_first_then_curves_on_few_folds() -> None:
    """Convergence before curves: the old order (folds 0 and 1, their curves, then the
    other folds) gave each full-size fit a thin slice of the budget; now every fold's
    full-size fit comes first, the curve points run on at most CURVE_FOLDS folds, and
    last the cheap small anchors repeat on further folds, up to SMALL_ANCHOR_FOLDS."""
    fractions = (0.05, 0.1, 0.5, 1.0)  # two small anchors (<= SMALL_ANCHOR_SHARE), one large
    for n_folds in (2, 3, 5, 25):
        order = _schedule(n_folds, fractions)
        assert order[:n_folds] == [(fold, 3) for fold in range(n_folds)]
        curve_folds = min(CURVE_FOLDS, n_folds)
        curve = order[n_folds : n_folds + 3 * curve_folds]
        assert all(fi < 3 for _, fi in curve)
        assert {fold for fold, _ in curve} == set(range(curve_folds))
        # One curve fold at a time, sizes ascending, so a curve cut short keeps whole folds.
        assert curve == sorted(curve)
        extra = order[n_folds + 3 * curve_folds :]
        assert extra == [
            (fold, fi) for fold in range(curve_folds, min(SMALL_ANCHOR_FOLDS, n_folds)) for fi in (0, 1)
        ]
        assert all(fractions[fi] <= SMALL_ANCHOR_SHARE for _, fi in extra)
    assert _schedule(3, (1.0,)) == [(0, 0), (1, 0), (2, 0)]
    assert MIN_FULL_FOLDS <= CURVE_FOLDS < SMALL_ANCHOR_FOLDS


def test_full_size_limits_equal_across_folds_and_take_the_bulk_of_the_budget() -> None:
    data, plan = make_plan(sk_data("cancer"), seed=0, budget_seconds=60)
    probe = RecordingProbe()
    res = evaluate_probe(probe, data, plan, Budget(40.0), "cpu")
    assert res.status == "ok" and res.converged and res.fits_cut == 0
    n_folds = len(plan.folds)
    full = probe.calls[:n_folds]
    assert [seed for seed, _, _ in full] == [plan.seed + f for f in range(n_folds)]
    assert [n for _, n, _ in full] == [len(tr) for tr, _ in plan.folds]
    # One limit per training row: these folds differ by a row at most, so their limits by 0.3%.
    limits = [limit for _, _, limit in full]
    assert [lim / n for (_, n, lim) in full] == pytest.approx([limits[0] / full[0][1]] * n_folds, rel=1e-9)
    assert max(limits) / min(limits) < 1.003
    # Sized for one repeat of the k folds (plan.py may repeat k-fold on small data).
    per_repeat = n_folds // plan.n_repeats
    assert np.mean(limits[:per_repeat]) == pytest.approx(40.0 * FULL_SHARE / per_repeat, rel=0.05)
    # Then the curve points, on the first CURVE_FOLDS folds (the small anchors repeated up to
    # SMALL_ANCHOR_FOLDS), each smaller than the full size.
    curve = probe.calls[n_folds:]
    small = {seed for seed, n, _ in curve if n <= SMALL_ANCHOR_SHARE * len(plan.folds[seed - plan.seed][0])}
    assert {seed for seed, _, _ in curve} - small <= {plan.seed + f for f in range(CURVE_FOLDS)}
    assert small == {plan.seed + f for f in range(min(SMALL_ANCHOR_FOLDS, n_folds))}
    assert all(n < len(plan.folds[seed - plan.seed][0]) for seed, n, _ in curve)


def test_twenty_five_folds_score_all_and_curve_on_at_most_curve_folds() -> None:
    data = sk_data("cancer")
    plan = kfold_plan(data)
    probe = RecordingProbe()
    res = evaluate_probe(probe, data, plan, Budget(60.0), "cpu")
    assert res.status == "ok" and res.score is not None and len(res.score.folds) == 25
    curve_seeds = {seed for seed, n, _ in probe.calls if n < len(plan.folds[seed][0])}
    # The curve folds, and the small anchor (0.1 of the rows) repeated up to SMALL_ANCHOR_FOLDS.
    assert curve_seeds == set(range(SMALL_ANCHOR_FOLDS))
    assert len(res.curve) == 4 and res.curve[-1].n_train == res.n_train
    assert len(res.curve[0].score.folds) == SMALL_ANCHOR_FOLDS  # the small anchor: repeated
    assert len(res.curve[1].score.folds) == CURVE_FOLDS  # larger sizes: the curve folds only
    assert res.curve_fit is not None and res.curve_fit.ok
    assert len(res.curve_fit.predicted["2x"].folds) <= CURVE_FOLDS


def test_converged_probe_is_flagged_converged() -> None:
    res = run(SkLinearProbe(), "cancer")
    assert res.converged and res.fits_cut == 0
    assert not any("time budget stopped" in n for n in res.notes)


def test_cut_probe_is_flagged_not_converged() -> None:
    data = sk_data("cancer")
    res = evaluate_probe(CutProbe(), data, kfold_plan(data, n_repeats=1), Budget(600), "cpu")
    assert res.status == "ok" and res.score is not None
    assert res.converged is False and res.fits_cut == len(res.score.folds) == 5
    # The probe's own texts stay human notes (a couple, not one per fold), plus a count.
    assert "epochs cut at 3 by the time budget" in res.notes
    assert sum("epochs cut at" in n for n in res.notes) == 2
    assert any(n.startswith("the time budget stopped 5 of 5 full-size fits") for n in res.notes)
    assert any(n.startswith("the time budget stopped") and "learning-curve" in n for n in res.notes)


def test_curve_cut_alone_keeps_converged() -> None:
    class CurveCut(SkLinearProbe):
        name: ClassVar[str] = "t-curve-cut"

        def fit(self, train: ProbeData, ctx: FitContext) -> _Sk:
            if len(train) < 200:
                ctx.cut("epochs cut at 1 by the time budget")
            return super().fit(train, ctx)

    res = run(CurveCut(), "cancer")
    assert res.converged and res.fits_cut == 0


def test_slow_probe_finishes_every_full_fold_before_any_curve_point() -> None:
    """Each fit uses its whole limit: the full-size fits (FULL_SHARE of the budget) all
    finish, and the curve points only get what is left."""
    data = sk_data("cancer")
    plan = kfold_plan(data, n_repeats=1)
    res = evaluate_probe(SleepyProbe(), data, plan, Budget(1.0), "cpu")
    assert res.score is not None and len(res.score.folds) == len(plan.folds) == 5
    assert res.status == "ok"  # every fold's score is in; only curve points may be missing
    assert res.converged is False and res.fits_cut == 5
    assert res.fit_seconds == pytest.approx(FULL_SHARE * 1.0 / 5, rel=0.5)


def test_slow_probe_gets_one_repeat_at_full_time_not_two_starved() -> None:
    """Repeated k-fold: limits are sized for one repeat; a second repeat would eat the
    curves' share, so it is skipped (partial, 5 of 10 folds) and the curve still runs."""
    data = sk_data("cancer")
    plan = kfold_plan(data, n_repeats=2)
    res = evaluate_probe(SleepyProbe(), data, plan, Budget(1.5), "cpu")
    assert res.status == "partial" and res.reason == "time budget reached after 5 of 10 folds"
    assert res.score is not None and len(res.score.folds) == 5 and res.fits_cut == 5
    assert res.fit_seconds == pytest.approx(FULL_SHARE * 1.5 / 5, rel=0.5)
    assert len(res.curve) > 1  # curve points ran in the share left to them


# The forked pool (advisor/probing/pool.py): the same scores as in process, for a seed.

fork_only = pytest.mark.skipif(
    not hasattr(__import__("os"), "sched_setaffinity"), reason="the pool forks (Linux)"
)


@fork_only
@pytest.mark.parametrize("name", ["cancer", "diabetes"])
def test_pool_gives_the_in_process_scores(name: str) -> None:
    from advisor.probing.pool import PoolExecutor

    data, plan = make_plan(sk_data(name), seed=3, budget_seconds=60)
    here = evaluate_probe(SkLinearProbe(), data, plan, Budget(600), "cpu")
    pooled = evaluate_probe(
        SkLinearProbe(), data, plan, Budget(600), "cpu", executor=PoolExecutor(2, min_pooled_seconds=0.0)
    )
    assert pooled.status == here.status == "ok"
    assert pooled.score.folds == here.score.folds and len(pooled.score.folds) == len(plan.folds)
    assert [(p.n_train, p.score) for p in pooled.curve] == [(p.n_train, p.score) for p in here.curve]
    assert pooled.drivers is not None and [i.column for i in pooled.drivers.importance] == [
        i.column for i in here.drivers.importance
    ]
    assert "test note" in pooled.notes and pooled.peak_memory_mb > 0  # measured in the workers


class PidProbe(MeanProbe):
    """Notes the process each fit ran in; slow enough that a helper is busy when asked."""

    name: ClassVar[str] = "t-pid"

    def fit(self, train: ProbeData, ctx: FitContext) -> _Const:
        import os
        import time

        from advisor.compute import usable_cpus

        time.sleep(0.02)
        ctx.note(f"pid {os.getpid()} cpus {usable_cpus()}")
        return super().fit(train, ctx)


@fork_only
def test_pool_parent_fits_beside_its_helpers() -> None:
    """Two cores: one forked helper and this process share the fits (the parent used to wait,
    idle, on two workers), each on a core of its own while they do; every fold is measured
    once, in plan order, and the parent has its cores back afterwards."""
    import os

    from advisor.probing.pool import PoolExecutor

    cores = os.sched_getaffinity(0)
    data, plan = make_plan(sk_data("cancer"), seed=0, budget_seconds=60)
    result = evaluate_probe(
        PidProbe(), data, plan, Budget(600), "cpu", executor=PoolExecutor(2, min_pooled_seconds=0.0)
    )
    fits = [n.split() for n in result.notes if n.startswith("pid ")]
    assert {int(f[1]) for f in fits} >= {os.getpid()} and len({f[1] for f in fits}) == 2
    assert {f[3] for f in fits} == {"1"}  # one core each: one thread for torch, LightGBM, BLAS
    assert os.sched_getaffinity(0) == cores
    assert len(result.score.folds) == len(plan.folds) and result.status == "ok"


def test_pool_parent_runs_ahead_only_what_ends_before_the_wait() -> None:
    """The parent fits a task ahead of the runner only when its time limit ends before the
    runner's wait: a fit run ahead never holds the probe past its budget."""
    import time

    from advisor.probing.executor import FitTask
    from advisor.probing.pool import _PoolSession

    data, plan = make_plan(sk_data("iris"), seed=0, budget_seconds=60)
    session = _PoolSession(2, MeanProbe(), data, keep_models=False)
    train, test = plan.folds[0]
    session.pending[(0, 0)] = FitTask(0, 0, train, test, seed=0, time_limit=10.0, device="cpu")
    now = time.monotonic()
    assert session._fits_before((0, 0), None) and session._fits_before((0, 0), now + 20)
    assert not session._fits_before((0, 0), now + 5)
    session.close()


@fork_only
def test_pool_reports_a_probe_error_and_passes_ctrl_c_on() -> None:
    from advisor.probing.pool import PoolExecutor

    data, plan = make_plan(sk_data("iris"), seed=0, budget_seconds=60)
    failed = evaluate_probe(
        FailingProbe(), data, plan, Budget(60), "cpu", executor=PoolExecutor(2, min_pooled_seconds=0.0)
    )
    assert failed.status == "failed" and failed.reason.startswith("ValueError: boom")
    with pytest.raises(KeyboardInterrupt):
        evaluate_probe(
            InterruptProbe(), data, plan, Budget(60), "cpu", executor=PoolExecutor(2, min_pooled_seconds=0.0)
        )


@fork_only
def test_pool_only_for_probes_whose_tiny_fit_is_slow() -> None:
    """Fits too short to pay for the pool's round trips stay in process (LightGBM's and the
    linear probe's on small data); a probe whose tiny fit, its imports paid, is slow goes to
    the pool."""
    from advisor.probing.pool import MIN_POOLED_SECONDS, PoolExecutor

    class SlowTinyFit(MeanProbe):
        name: ClassVar[str] = "t-slow-tiny"

        def fit(self, train: ProbeData, ctx: FitContext) -> _Const:
            import time

            time.sleep(MIN_POOLED_SECONDS * 1.5)
            return super().fit(train, ctx)

    data, plan = make_plan(sk_data("iris"), seed=0, budget_seconds=60)
    pool = PoolExecutor(2)
    for probe, pooled in ((MeanProbe(), False), (SlowTinyFit(), True)):
        seconds = pool.warm_up(probe, data, plan, "cpu")
        assert seconds >= pool.tiny_fit_seconds[type(probe)]  # both warm-ups are setup time
        session = pool.session(probe, data, keep_models=False)
        assert session.in_process is not pooled
        session.close()


def test_pool_only_for_small_data_on_several_cpu_cores() -> None:
    from advisor.probing.pool import POOL_MAX_ROWS, pool_workers

    expected = 2 if hasattr(__import__("os"), "sched_setaffinity") else 0
    assert pool_workers(569, 2) == expected
    assert pool_workers(POOL_MAX_ROWS + 1, 2) == 0  # long fits: their own threads
    assert pool_workers(569, 1) == 0


def test_where_torch_sees_a_gpu_only_the_probes_without_torch_are_pooled(monkeypatch) -> None:
    """After the parent's first backward pass, a child forked from it cannot run autograd
    where torch sees a GPU (whatever device it would fit on): the nets stay in process there,
    LightGBM and the others still go to the pool."""
    from advisor_probes.lightgbm import LightGBMProbe
    from advisor_probes.mlp import MLPProbe

    from advisor.probing import pool as pool_module
    from advisor.probing.pool import PoolExecutor, torch_may_fork

    pool = PoolExecutor(2, min_pooled_seconds=0.0)
    pool.tiny_fit_seconds = {MLPProbe: 1.0, LightGBMProbe: 1.0}
    monkeypatch.setattr(pool_module, "accelerators", lambda: 0)
    assert torch_may_fork() and pool.pooled(MLPProbe()) and pool.pooled(LightGBMProbe())
    monkeypatch.setattr(pool_module, "accelerators", lambda: 1)
    assert not torch_may_fork()
    assert not pool.pooled(MLPProbe()) and pool.pooled(LightGBMProbe())


def test_nets_do_not_repeat_the_small_anchors() -> None:
    """A net's fit costs its optimizer steps, about as many on 20 rows as on all of them:
    the small anchors are repeated on more folds only for models whose cost grows with rows."""
    from advisor.probing.runner import planned_fits, repeats_small_anchors

    class Net(RecordingProbe):
        family = "mlp"

    data, plan = make_plan(sk_data("cancer"), seed=0, budget_seconds=60)
    assert repeats_small_anchors(RecordingProbe()) and not repeats_small_anchors(Net())
    n_folds, fractions = len(plan.folds), plan.curve_fractions
    assert planned_fits(plan, Net()) == n_folds + min(CURVE_FOLDS, n_folds) * (len(fractions) - 1)
    assert planned_fits(plan, RecordingProbe()) > planned_fits(plan, Net())
    assert planned_fits(plan) == planned_fits(plan, RecordingProbe())


def test_projections_past_a_size_where_the_model_grows_are_marked():
    """A probe that widens its model at some row count: a curve measured below that size
    projects the smaller model, and the curve's note says so; below reach, no note."""
    data, plan = make_plan(sk_data("diabetes"), seed=0, budget_seconds=60)
    base = evaluate_probe(SkLinearProbe(), data, plan, Budget(60), "cpu")
    fit = base.curve_fit
    assert fit is not None and fit.ok and "grows at" not in fit.note
    step = int(fit.n_ref * 3)  # between the largest measured size and the 10x projection

    class Growing(SkLinearProbe):
        name: ClassVar[str] = "t-growing"
        grows_at: ClassVar[tuple[int, ...]] = (step, int(fit.n_ref * 10_000))  # the second beyond reach

    grown = evaluate_probe(Growing(), data, plan, Budget(60), "cpu").curve_fit
    assert grown is not None and f"grows at about {step:,} training rows" in grown.note
    assert f"{int(fit.n_ref * 10_000):,}" not in grown.note
    assert grown.predicted == fit.predicted  # a note, never a changed number


def test_forward_chaining_folds_get_full_size_limits_in_proportion_to_their_rows() -> None:
    """Time folds grow fold by fold: one limit for all cut the last, largest fold's net while
    the first ones finished early. The limit is per training row; their mean is as before."""
    data = sk_data("cancer")
    n, k = len(data), 4
    edges = np.linspace(0, n, k + 2).astype(int)  # k folds: train on everything before each block
    folds = [(np.arange(edges[i + 1]), np.arange(edges[i + 1], edges[i + 2])) for i in range(k)]
    plan = EvalPlan(
        folds=folds, curve_fractions=(0.25, 0.5, 1.0), seed=0, metric="roc_auc", n_rows_total=n, split="time"
    )
    probe = RecordingProbe()
    res = evaluate_probe(probe, data, plan, Budget(40.0), "cpu")
    assert res.status == "ok"
    full = probe.calls[:k]
    rows = [len(tr) for tr, _ in folds]
    assert [c[1] for c in full] == rows and rows[-1] > 4 * rows[0] - k
    assert [c[2] / c[1] for c in full] == pytest.approx([full[0][2] / rows[0]] * k, rel=1e-9)
    assert np.mean([c[2] for c in full]) == pytest.approx(40.0 * FULL_SHARE / k, rel=0.05)


def _running(pid: int) -> bool:
    """The process exists and has not ended (a zombie waiting to be reaped has ended)."""
    from pathlib import Path

    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux: prctl and /proc")
def test_a_terminated_lanes_pool_workers_end_with_it() -> None:
    """Ctrl-C terminates the side lane, which never shuts its own pool down: its workers,
    blocked on their task queue, lived on as orphans holding the terminal's pipes (a shell
    pipeline hung after Ctrl-C). A worker now ends with the process that forked it."""
    import multiprocessing
    import os
    import time
    from concurrent.futures import ProcessPoolExecutor

    from advisor.probing import pool as pool_module

    context = multiprocessing.get_context("fork")
    pids = context.Queue()

    def lane() -> None:  # opens a pool as a slow side probe does, then waits to be stopped
        cores = sorted(os.sched_getaffinity(0))
        workers = ProcessPoolExecutor(
            1, mp_context=context, initializer=pool_module._one_core,
            initargs=(context.Value("i", 0), cores, os.getpid()),
        )  # fmt: skip
        pids.put(workers.submit(os.getpid).result())
        time.sleep(60)

    process = context.Process(target=lane)
    process.start()
    worker = pids.get(timeout=60)
    assert _running(worker)
    process.terminate()  # what SideLane.stop does on Ctrl-C
    process.join()
    deadline = time.monotonic() + 10
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker)
