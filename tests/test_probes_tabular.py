"""Built-in tabular probes: shapes, probabilities, beating the baseline,
determinism, the time limit, and unseen categorical levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from advisor_probes.baseline import BaselineProbe
from advisor_probes.lightgbm import LightGBMProbe
from advisor_probes.linear import LinearProbe
from advisor_probes.mlp import MLPProbe
from sklearn import datasets
from sklearn.metrics import f1_score, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from advisor.data import ProbeData
from advisor.probe_api import FitContext
from advisor.probing.measure import fit_probe

SEED = 0
MODELS = [LinearProbe, LightGBMProbe, MLPProbe]


def _from_sklearn(loader, task: str) -> ProbeData:
    bunch = loader(as_frame=True)
    X = bunch.data.astype("float64")
    if task == "regression":
        y = bunch.target.to_numpy(dtype=np.float64)
        names: list[str] = []
    else:
        y = bunch.target.to_numpy().astype(np.int64)
        names = [str(n) for n in bunch.target_names]
    kinds = dict.fromkeys(X.columns, "numeric")
    return ProbeData(task=task, modality="tabular", y=y, class_names=names, X=X, feature_kinds=kinds)


def _mixed_frame(n: int = 600, seed: int = 1) -> ProbeData:
    """Numeric columns with NaNs, a categorical column carrying signal, a text column to ignore."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue", "teal"], size=n)
    logit = 1.5 * a - b + np.where(colour == "red", 2.0, 0.0) - 0.5
    y = (logit + rng.logistic(size=n) > 0).astype(np.int64)
    a[rng.random(n) < 0.15] = np.nan
    X = pd.DataFrame(
        {
            "a": a,
            "b weird:name{}": b,  # characters LightGBM refuses in feature names
            "colour": pd.Categorical(colour),
            "note": pd.array([f"w{i % 7}" for i in range(n)], dtype="str"),
        }
    )
    X.loc[rng.random(n) < 0.05, "colour"] = np.nan
    kinds = {"a": "numeric", "b weird:name{}": "numeric", "colour": "categorical", "note": "text"}
    return ProbeData(
        task="binary", modality="mixed", y=y, class_names=["no", "yes"], X=X, feature_kinds=kinds
    )


DATASETS = {
    "breast_cancer": lambda: _from_sklearn(datasets.load_breast_cancer, "binary"),
    "iris": lambda: _from_sklearn(datasets.load_iris, "multiclass"),
    "wine": lambda: _from_sklearn(datasets.load_wine, "multiclass"),
    "diabetes": lambda: _from_sklearn(datasets.load_diabetes, "regression"),
    "mixed": _mixed_frame,
}


def _split(data: ProbeData) -> tuple[ProbeData, ProbeData]:
    idx = np.arange(len(data))
    strat = data.y if data.is_classification else None
    tr, te = train_test_split(idx, test_size=0.3, random_state=SEED, stratify=strat)
    return data.take(tr), data.take(te)


def _score(data: ProbeData, pred: np.ndarray) -> float:
    if data.task == "binary":
        return roc_auc_score(data.y, pred[:, 1])
    if data.task == "multiclass":
        return f1_score(data.y, pred.argmax(axis=1), average="macro")
    return r2_score(data.y, pred)


def _ctx(time_limit: float = 60.0) -> FitContext:
    return FitContext(seed=SEED, device="cpu", time_limit=time_limit)


def _check_shape(data: ProbeData, pred: np.ndarray) -> None:
    assert np.all(np.isfinite(pred))
    if data.is_classification:
        assert pred.shape == (len(data), data.n_classes)
        np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-5)
        assert pred.min() >= 0.0
    else:
        assert pred.shape == (len(data),)


@pytest.fixture(scope="module", params=list(DATASETS))
def split(request):
    return request.param, _split(DATASETS[request.param]())


@pytest.mark.parametrize("probe_cls", MODELS, ids=lambda c: c.name)
def test_beats_baseline(split, probe_cls) -> None:
    name, (train, test) = split
    base = BaselineProbe().fit(train, _ctx()).predict(test)
    _check_shape(test, base)
    probe = probe_cls()
    assert probe.supports(train) is None
    ctx = _ctx()
    model = probe.fit(train, ctx)
    pred = model.predict(test)
    _check_shape(test, pred)
    margin = 0.05 if train.task != "binary" else 0.1
    assert _score(test, pred) > _score(test, base) + margin, (name, ctx.notes)
    assert isinstance(model.params, dict)


def test_baseline_is_priors_and_mean() -> None:
    data = DATASETS["iris"]()
    train = data.take(np.arange(0, 150, 2))
    pred = BaselineProbe().fit(train, _ctx()).predict(data)
    expected = np.bincount(train.y, minlength=3) / len(train)
    np.testing.assert_allclose(pred, np.tile(expected, (150, 1)))
    reg = DATASETS["diabetes"]()
    np.testing.assert_allclose(BaselineProbe().fit(reg, _ctx()).predict(reg), reg.y.mean())


@pytest.mark.parametrize("probe_cls", [LightGBMProbe, MLPProbe], ids=lambda c: c.name)
@pytest.mark.parametrize("dataset", ["mixed", "diabetes"])
def test_same_seed_same_predictions(probe_cls, dataset) -> None:
    train, test = _split(DATASETS[dataset]())
    first = probe_cls().fit(train, _ctx()).predict(test)
    second = probe_cls().fit(train, _ctx()).predict(test)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    ("probe_cls", "phrase"),
    [(LightGBMProbe, "boosting rounds cut at"), (MLPProbe, "epochs cut at")],
    ids=["lightgbm", "mlp"],
)
def test_tiny_time_limit_still_predicts(probe_cls, phrase) -> None:
    train, test = _split(DATASETS["breast_cancer"]())
    ctx = _ctx(time_limit=0.0005)
    pred = probe_cls().fit(train, ctx).predict(test)
    _check_shape(test, pred)
    assert ctx.cut_by_budget  # structured: the runner reads this, not the note
    assert any(phrase in n and "time budget" in n for n in ctx.notes), ctx.notes


@pytest.mark.parametrize("probe_cls", [LightGBMProbe, MLPProbe], ids=lambda c: c.name)
def test_ample_time_converges(probe_cls) -> None:
    train, _ = _split(DATASETS["breast_cancer"]())
    ctx = _ctx(time_limit=120.0)
    model = probe_cls().fit(train, ctx)
    assert not ctx.cut_by_budget, ctx.notes
    if probe_cls is LightGBMProbe:
        # Early stopping ended it: rounds past the best one were trained, then dropped.
        p = model.params
        assert p["early_stopping"] and p["rounds_trained"] == p["best_iteration"] + 50


def test_mlp_width_changes_only_where_grows_at_says() -> None:
    """``grows_at`` (a fold's training rows) and ``hidden_sizes`` (rows fitted, the fold less
    its validation split) describe the same steps: a curve's note is true to the model."""
    from advisor_probes.mlp import VAL_FRACTION, hidden_sizes

    def width(rows: int) -> tuple[int, int]:
        return hidden_sizes(int(rows * (1 - VAL_FRACTION)))

    sizes = [int(16 * 2 ** (k / 4)) for k in range(60)]  # 16 to about 500,000 rows
    pairs = list(zip(sizes, sizes[1:], strict=False))
    changes = [b for a, b in pairs if width(a) != width(b)]
    steps = [b for a, b in pairs if any(a < g <= b for g in MLPProbe.grows_at)]
    assert changes == steps


def test_lightgbm_rate_and_threads_follow_the_data_and_the_machine() -> None:
    import os

    from advisor_probes.lightgbm import FAST_RATE_ROWS, LEARNING_RATE, learning_rate

    assert learning_rate(FAST_RATE_ROWS) == LEARNING_RATE == 0.05
    assert learning_rate(FAST_RATE_ROWS + 1) == 0.1
    rng = np.random.default_rng(0)
    n = FAST_RATE_ROWS + 2_000
    X = pd.DataFrame(rng.normal(size=(n, 20)), columns=[f"x{i}" for i in range(20)])
    y = (X["x0"] * X["x1"] + X["x2"] > 0).to_numpy().astype(np.int64)
    data = ProbeData(
        task="binary", modality="tabular", y=y, class_names=["a", "b"], X=X,
        feature_kinds=dict.fromkeys(X.columns, "numeric"),
    )  # fmt: skip
    ctx = _ctx(time_limit=120.0)
    params = LightGBMProbe().fit(data, ctx).params
    assert params["learning_rate"] == 0.1 and not ctx.cut_by_budget
    assert params["num_threads"] == 1  # 12,000 x 20 cells: below SINGLE_THREAD_CELLS
    from advisor_probes import _gbdt

    big = _gbdt.SINGLE_THREAD_CELLS // 20 + 1
    Xb = pd.DataFrame(rng.normal(size=(big, 20)), columns=X.columns)
    yb = (Xb["x0"] > 0).to_numpy().astype(np.int64)
    wide = ProbeData(
        task="binary", modality="tabular", y=yb, class_names=["a", "b"], X=Xb,
        feature_kinds=dict.fromkeys(Xb.columns, "numeric"),
    )  # fmt: skip
    params = LightGBMProbe().fit(wide, _ctx(time_limit=0.5)).params
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert params["num_threads"] == cpus


def test_lightgbm_leaves_hold_the_default_rows_wherever_trees_can_split() -> None:
    # One learner along the learning curve: LightGBM's default 20 rows a leaf from 80 rows up
    # (4 leaves possible there), fewer only below, where 20 would forbid most splits.
    from advisor_probes import _gbdt

    assert [_gbdt.min_child_samples(n) for n in (2, 23, 45, 79, 80, 181, 400, 100_000)] == [
        1,
        5,
        11,
        19,
        20,
        20,
        20,
        20,
    ]
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(150, 4)), columns=[f"x{i}" for i in range(4)])
    data = ProbeData(
        task="binary", modality="tabular", y=(X["x0"] > 0).to_numpy().astype(np.int64), class_names=["a", "b"],
        X=X, feature_kinds=dict.fromkeys(X.columns, "numeric"),
    )  # fmt: skip
    assert LightGBMProbe().fit(data, _ctx(time_limit=30.0)).params["min_child_samples"] == 20


@pytest.mark.parametrize("probe_cls", MODELS, ids=lambda c: c.name)
def test_unseen_levels_and_missing_classes(probe_cls) -> None:
    data = DATASETS["mixed"]()
    colour = data.X["colour"]
    # Train without "teal", then predict rows that have it plus a brand-new level.
    train = data.take(np.flatnonzero((colour != "teal").to_numpy(dtype=bool)))
    test = data.take(np.arange(40))
    X = test.X.copy()
    X["colour"] = X["colour"].cat.add_categories(["purple"])
    X.loc[:5, "colour"] = "purple"
    X.loc[6:10, "colour"] = "teal"
    test = ProbeData(**{**test.__dict__, "X": X})
    pred = probe_cls().fit(train, _ctx()).predict(test)
    _check_shape(test, pred)


@pytest.mark.parametrize("probe_cls", MODELS, ids=lambda c: c.name)
def test_small_subsets(probe_cls) -> None:
    """Learning-curve subsets: a handful of rows, classes missing, even a single class."""
    data = DATASETS["wine"]()
    few = data.take(np.array([0, 1, 2, 60, 61, 62, 63, 64, 65, 66, 67, 68]))  # classes 0 and 1 only
    ctx = _ctx()
    pred = probe_cls().fit(few, ctx).predict(data)
    _check_shape(data, pred)
    one = data.take(np.arange(10))  # class 0 only: the runner predicts the prior, for every probe
    ctx = _ctx()
    pred = fit_probe(probe_cls(), one, ctx).predict(data)
    _check_shape(data, pred)
    np.testing.assert_allclose(pred[:, 0], 1.0)
    assert ctx.notes


def test_no_tabular_columns_is_unsupported() -> None:
    data = DATASETS["mixed"]()
    text_only = data.drop_columns(["a", "b weird:name{}", "colour"])
    for cls in MODELS:
        assert cls().supports(text_only) == "no numeric or categorical columns"
    assert BaselineProbe().supports(text_only) is None


def test_probe_metadata() -> None:
    from typing import get_args

    from advisor.facts import Modality

    # The trivial baseline stands beside every family, on every kind of data.
    assert BaselineProbe.modalities == frozenset(get_args(Modality))
    assert MLPProbe.needs_torch and not LightGBMProbe.needs_torch
    assert "regularis" in LinearProbe.description
    assert [c.family for c in MODELS] == ["linear", "gbdt", "mlp"]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_torch_helpers_generic_loop(precision) -> None:
    """The shared loop with a custom loss, AMP (exercised on CPU here) and early stopping."""
    import torch
    from advisor_probes._torch import Amp, TensorBatches, predict_batches, train_torch_model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    amp = (
        Amp("cpu", torch.bfloat16)
        if precision == "bf16"
        else Amp("cpu", torch.float16, torch.amp.GradScaler("cpu"))
    )
    cpu = torch.device("cpu")
    torch.manual_seed(0)  # the weights must not depend on which tests ran before
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    train = TensorBatches([X, y], 32, cpu, shuffle=True, generator=torch.Generator().manual_seed(0))
    result = train_torch_model(
        net,
        train,
        lambda m, b: torch.nn.functional.cross_entropy(m(b[0]).float(), b[1]),
        _ctx(),
        max_epochs=30,
        val_batches=TensorBatches([X, y], 128, cpu),
        patience=3,
        amp=amp,
    )
    assert 1 <= result.best_epoch <= result.epochs_run <= 30
    out = predict_batches(net, TensorBatches([X], 100, cpu), amp=amp)
    assert out.shape == (300, 2) and out.dtype == torch.float32
    assert (out.argmax(1).numpy() == y).mean() > 0.8


def test_conv_autotune_is_set_for_a_cuda_fit_and_put_back() -> None:
    """cuDNN's autotuner is a process-wide flag: set for a CUDA fit, restored after it (also
    when the fit fails), never touched for a CPU fit. The flag itself works without a GPU."""
    import torch
    from advisor_probes import _torch
    from advisor_probes._torch import conv_autotune

    flag = torch.backends.cudnn
    before = flag.benchmark
    try:
        flag.benchmark = not _torch.CUDNN_BENCHMARK
        with conv_autotune(torch.device("cpu")):
            assert flag.benchmark is not _torch.CUDNN_BENCHMARK
        with conv_autotune(torch.device("cuda")):
            assert flag.benchmark is _torch.CUDNN_BENCHMARK
        assert flag.benchmark is not _torch.CUDNN_BENCHMARK
        with pytest.raises(RuntimeError), conv_autotune(torch.device("cuda")):
            raise RuntimeError("a fit that fails")
        assert flag.benchmark is not _torch.CUDNN_BENCHMARK
    finally:
        flag.benchmark = before


def test_mask_dropout_is_dropout() -> None:
    """The probes' dropout keeps each unit with probability 1 - p, scaled by 1 / (1 - p), as
    ``nn.Dropout`` does; is the identity in eval mode; follows torch's seed; and passes the
    gradient through its mask."""
    import pickle

    import torch
    from advisor_probes._dropout import MaskDropout

    drop = MaskDropout(0.1)
    x = torch.ones(400, 500, requires_grad=True)
    torch.manual_seed(3)
    out = drop(x)
    kept = out != 0
    assert out.unique().tolist() == [0.0, pytest.approx(1 / 0.9)]
    assert abs(kept.float().mean().item() - 0.9) < 0.005  # 200,000 draws: 5 standard errors
    assert kept.float().mean(0).std().item() < 0.03  # every column, not a pattern
    out.sum().backward()
    assert torch.equal(x.grad, out.detach())  # d out / d x is the mask itself (x is ones)
    torch.manual_seed(3)
    assert torch.equal(drop(x), out)
    drop.eval()
    assert drop(x) is x
    assert isinstance(pickle.loads(pickle.dumps(drop)), MaskDropout)  # fitted nets come back from the pool
    with pytest.raises(ValueError, match="dropout probability"):
        MaskDropout(1.0)


@pytest.mark.parametrize("floor", [True, False])
def test_early_stopping_ends_on_a_validation_split_the_net_separates(floor, monkeypatch) -> None:
    """Cross-entropy on a separated validation split falls towards zero for ever, a few per
    cent of itself at a time: the absolute floor on a gain (``MIN_LOSS_GAIN``) ends such a
    fit; with a relative test alone it runs to the epoch cap."""
    import torch
    from advisor_probes import _torch
    from advisor_probes._torch import TensorBatches, train_torch_model

    if not floor:
        monkeypatch.setattr(_torch, "MIN_LOSS_GAIN", 0.0)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    X[:, 0] += np.where(y == 1, 2.0, -2.0)  # a wide margin: every row is soon classified with confidence
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    result = train_torch_model(
        net,
        TensorBatches([X[:50], y[:50]], 50, cpu, shuffle=True, generator=torch.Generator().manual_seed(0)),
        lambda m, b: torch.nn.functional.cross_entropy(m(b[0]), b[1]),
        _ctx(),
        max_epochs=400,
        val_batches=TensorBatches([X[50:], y[50:]], 10, cpu),
        lr=1e-2,
    )
    assert result.history[-1] < 0.02  # the validation rows are separated
    if floor:
        assert result.stopped_early and result.epochs_run < 200
    else:
        assert result.epochs_run == 400 and not result.stopped_early


def test_oom_retry_halves_batch_once() -> None:
    import torch
    from advisor_probes._torch import fit_with_oom_retry

    calls: list[int] = []

    def fit(batch_size: int) -> int:
        calls.append(batch_size)
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return batch_size

    ctx = _ctx()
    assert fit_with_oom_retry(fit, 256, ctx) == 128 and calls == [256, 128]
    assert any("out of memory" in n for n in ctx.notes)


@pytest.mark.parametrize("probe_cls", [BaselineProbe, *MODELS], ids=lambda c: c.name)
@pytest.mark.parametrize("dataset", ["iris", "diabetes"])
def test_predict_zero_rows(probe_cls, dataset) -> None:
    data = DATASETS[dataset]()
    pred = probe_cls().fit(data, _ctx()).predict(data.take(np.arange(0)))
    assert pred.shape == ((0, 3) if data.is_classification else (0,))


def test_lightgbm_predicts_small_data_on_one_thread(monkeypatch) -> None:
    """Prediction takes every core unless told; on small data it must take one, as training."""
    from advisor_probes import _gbdt

    data = _from_sklearn(datasets.load_breast_cancer, "binary")
    model = LightGBMProbe().fit(data.take(np.arange(400)), _ctx(time_limit=30.0))
    seen: list[object] = []
    predict = model.booster.predict

    def spy(X, **kwargs):
        seen.append(kwargs.get("num_threads"))
        return predict(X, **kwargs)

    monkeypatch.setattr(model.booster, "predict", spy)
    model.predict(data.take(np.arange(400, 569)))
    assert seen == [1]  # 169 x 30 cells, far below SINGLE_THREAD_CELLS
    assert 169 * 30 < _gbdt.SINGLE_THREAD_CELLS


def test_mlp_trains_full_batch_on_tiny_subsets() -> None:
    """Up to FULL_BATCH_ROWS fitted rows one batch holds them all (one step an epoch, not
    2-4 steps of per-step overhead); above, minibatches as before."""
    from advisor_probes.mlp import FULL_BATCH_ROWS, batch_size_for

    assert batch_size_for(23) == 23 and batch_size_for(FULL_BATCH_ROWS) == FULL_BATCH_ROWS
    assert batch_size_for(FULL_BATCH_ROWS + 1) == 16 and batch_size_for(455) == 56
    data = _from_sklearn(datasets.load_breast_cancer, "binary")
    params = MLPProbe().fit(data.take(np.arange(40)), _ctx(time_limit=30.0)).params
    assert params["batch_size"] == 34  # 40 rows less the 15% holdout: one step an epoch


def test_the_target_scale_round_trips_values_and_passes_classes() -> None:
    """The nets' one target convention: a regression target standardised on the training rows
    and scaled back exactly; classes as int64 codes, read back as probabilities."""
    import torch
    from advisor_probes._torch import TargetScale

    from advisor.testing import make_data

    train = make_data("tabular", "regression")
    scale = TargetScale.of(train)
    z = scale.targets(train.y)
    assert z.dtype == np.float32 and abs(float(z.mean())) < 1e-5 and abs(float(z.std()) - 1) < 1e-5
    assert (scale.n_classes, scale.n_out) == (0, 1)
    back = scale.predictions(torch.as_tensor(z[:, None]))
    np.testing.assert_allclose(back, train.y, rtol=1e-5, atol=1e-5 * float(np.abs(train.y).max()))
    constant = TargetScale.of(train.take(np.zeros(5, dtype=int)))  # one row five times: std 0
    assert constant.std == 1.0 and np.all(constant.targets(train.y[:1].repeat(5)) == 0)

    classes = make_data("tabular", "multiclass")
    scale = TargetScale.of(classes)
    assert (scale.n_out, scale.targets(classes.y).dtype) == (classes.n_classes, np.int64)
    proba = scale.predictions(torch.zeros(4, classes.n_classes))
    np.testing.assert_allclose(proba, 1 / classes.n_classes)
