"""Plan: probe sample, folds, curve sizes; all seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advisor.data import ProbeData
from advisor.errors import InputError
from advisor.probing.plan import (
    CURVE_TOP,
    MAX_CURVE_SIZES,
    curve_fractions,
    make_plan,
    row_cap,
    stratified_subset,
    subset_order,
)


def _data(y: np.ndarray, task: str, n_total: int = 0) -> ProbeData:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=len(y)), "b": rng.normal(size=len(y))})
    k = int(y.max()) + 1 if task != "regression" else 0
    return ProbeData(
        task=task, modality="tabular", y=y, class_names=[str(i) for i in range(k)], X=X,
        feature_kinds={"a": "numeric", "b": "numeric"}, n_rows_total=n_total or len(y),
    )  # fmt: skip


def _imbalanced(n: int = 5000) -> np.ndarray:
    y = np.zeros(n, dtype=np.int64)
    y[: n // 10] = 1
    return np.random.default_rng(0).permutation(y)


def test_folds_are_stratified_and_partition_the_rows() -> None:
    data, plan = make_plan(_data(_imbalanced(), "binary"), seed=0, budget_seconds=60)
    assert len(plan.folds) == 10 and plan.n_repeats == 2  # 2,000 to 20,000 rows: 2 x 5
    assert plan.metric == "roc_auc" and plan.split == "random"
    for repeat in range(plan.n_repeats):  # repeat-major: each repeat's 5 test folds partition the rows
        test_rows = np.concatenate([te for _, te in plan.folds[5 * repeat : 5 * repeat + 5]])
        assert sorted(test_rows) == list(range(len(data)))
    for tr, te in plan.folds:
        assert set(tr).isdisjoint(te)
        assert abs(data.y[te].mean() - 0.1) < 0.01
    assert plan.curve_fractions[-1] == 1.0 and len(plan.curve_fractions) >= 4


def test_small_data_gets_five_by_five_folds_and_regression_metric() -> None:
    y = np.random.default_rng(0).normal(size=500)
    _, plan = make_plan(_data(y, "regression"), seed=0, budget_seconds=60)
    assert len(plan.folds) == 25 and plan.n_repeats == 5 and plan.metric == "r2"


def test_same_seed_same_plan_other_seed_differs() -> None:
    d = _data(_imbalanced(), "binary")
    _, p1 = make_plan(d, seed=3, budget_seconds=60)
    _, p2 = make_plan(d, seed=3, budget_seconds=60)
    _, p3 = make_plan(d, seed=4, budget_seconds=60)
    for (a, b), (c, e) in zip(p1.folds, p2.folds, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, e)
    assert not np.array_equal(p1.folds[0][1], p3.folds[0][1])


def test_tiny_class_reduces_k_and_says_so() -> None:
    y = np.array([0] * 100 + [1] * 100 + [2] * 3, dtype=np.int64)
    _, plan = make_plan(_data(y, "multiclass"), seed=0, budget_seconds=60)
    assert len(plan.folds) == 3 * plan.n_repeats
    assert plan.metric == "macro_f1"
    assert any("3-fold" in n for n in plan.notes)


def test_single_row_class_keeps_two_folds_with_a_note() -> None:
    y = np.array([0] * 50 + [1] * 50 + [2], dtype=np.int64)
    _, plan = make_plan(_data(y, "multiclass"), seed=0, budget_seconds=60)
    assert len(plan.folds) == 2 * plan.n_repeats
    assert any("cannot appear in every test fold" in n for n in plan.notes)


def test_sampling_cap_and_note() -> None:
    y = _imbalanced(5000)
    data, plan = make_plan(_data(y, "binary", n_total=1_200_000), seed=0, budget_seconds=60, max_rows=1000)
    assert len(data) == 1000
    assert data.y.sum() == 100  # proportions kept exactly
    assert plan.n_rows_total == 1_200_000
    assert plan.sample_note == "probes ran on a stratified sample of 1,000 of 1,200,000 rows (seed 0)"
    again, _ = make_plan(_data(y, "binary", n_total=1_200_000), seed=0, budget_seconds=60, max_rows=1000)
    assert again.X.equals(data.X)


def test_cap_scales_with_budget_and_regression_samples_uniformly() -> None:
    assert row_cap(60) == 20_000 and row_cap(120) == 40_000
    y = np.random.default_rng(0).normal(size=3000)
    data, plan = make_plan(_data(y, "regression"), seed=0, budget_seconds=1.0)
    assert len(data) == row_cap(1.0) < 3000
    assert "uniform sample" in plan.sample_note


def test_no_sample_no_note() -> None:
    _, plan = make_plan(_data(_imbalanced(500), "binary"), seed=0, budget_seconds=60)
    assert plan.sample_note == ""


def test_too_few_rows_is_an_input_error() -> None:
    with pytest.raises(InputError):
        make_plan(_data(np.array([0, 1, 0, 1]), "binary"), seed=0, budget_seconds=60)


def test_curve_fractions_drop_tiny_sizes_but_keep_three() -> None:
    small = curve_fractions(120)
    assert len(small) >= 5 and all(round(f * 120) >= 20 for f in small)
    tiny = curve_fractions(50)  # few grid sizes fit: a geometric spacing from the floor
    assert len(tiny) >= 3 and all(round(f * 50) >= 20 for f in tiny)
    assert list(tiny) == sorted(set(tiny)) and tiny[-1] == 1.0
    many_classes = curve_fractions(400, n_classes=30)  # 2 rows per class need 60 rows
    assert all(round(f * 400) >= 60 for f in many_classes)


@pytest.mark.parametrize("n_train", [200, 1000, 8000, 16_000, 100_000])
def test_curve_fractions_on_the_lcdb_grid(n_train: int) -> None:
    """Anchors 16 * 2^(k/2) rows, ascending, at least 5 and at most MAX_CURVE_SIZES + 1,
    spanning from a few dozen rows (or a few hundred for huge folds) to the full size."""
    fr = curve_fractions(n_train)
    sizes = [round(f * n_train) for f in fr[:-1]]
    grid = {round(16 * 2 ** (k / 2)) for k in range(60)}
    assert fr[-1] == 1.0 and list(fr) == sorted(fr)
    assert 5 <= len(fr) <= MAX_CURVE_SIZES + 1
    assert set(sizes) <= grid
    assert max(sizes) <= CURVE_TOP * n_train and max(sizes) >= CURVE_TOP * n_train / 2**1.01
    assert sizes[-1] / sizes[0] >= (8 if n_train >= 1000 else 3)  # a wide range of sizes to fit a curve on


def test_subset_order_prefixes_are_stratified_and_hold_every_class() -> None:
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    order = subset_order(y, len(y), seed=0)
    assert sorted(order) == list(range(100))
    assert set(np.unique(y[order[:6]], return_counts=True)[1]) == {2}
    half = y[order[:50]]
    assert abs((half == 1).sum() - 4) <= 2
    assert np.array_equal(order, subset_order(y, len(y), seed=0))


def test_stratified_subset_keeps_rare_classes() -> None:
    y = np.array([0] * 990 + [1] * 10)
    idx = stratified_subset(y, 50, np.random.default_rng(0))
    assert len(idx) == 50 and len(set(idx)) == 50
    assert (y[idx] == 1).sum() >= 1
