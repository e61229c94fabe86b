"""Metrics on known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.probing.metrics import (
    PRIMARY,
    aggregate,
    check_predictions,
    score_metric,
    score_predictions,
    undefined_note,
)


def test_primary_metrics() -> None:
    assert PRIMARY == {"binary": "roc_auc", "multiclass": "macro_f1", "regression": "r2"}


def test_binary_known_values() -> None:
    y = np.array([0, 0, 1, 1])
    p1 = np.array([0.1, 0.6, 0.4, 0.9])
    m = score_predictions("binary", y, np.column_stack([1 - p1, p1]), 2)
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["accuracy"] == pytest.approx(0.5)
    expected_ll = -np.mean(np.log([0.9, 0.4, 0.4, 0.9]))
    assert m["log_loss"] == pytest.approx(expected_ll)
    assert m["macro_f1"] == pytest.approx(0.5)


def test_binary_single_class_fold_gives_nan_auc() -> None:
    m = score_predictions("binary", np.array([1, 1, 1]), np.array([[0.2, 0.8]] * 3), 2)
    assert math.isnan(m["roc_auc"])
    assert m["accuracy"] == 1.0


def test_log_loss_is_clipped() -> None:
    m = score_predictions("binary", np.array([0, 1]), np.array([[0.0, 1.0], [1.0, 0.0]]), 2)
    assert math.isfinite(m["log_loss"]) and m["log_loss"] > 30


def test_multiclass_uses_every_label() -> None:
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 2, 1]]
    m = score_predictions("multiclass", y, proba, 4)  # class 3 absent: F1 0 by convention
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["macro_f1"] == pytest.approx((1 + 2 / 3 + 2 / 3 + 0) / 4)
    assert set(m) == {"macro_f1", "accuracy", "log_loss"}


def test_regression_known_values() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    m = score_predictions("regression", y, np.array([1.0, 2.0, 3.0, 6.0]), 0)
    assert m["r2"] == pytest.approx(1 - 4 / 5)
    assert m["rmse"] == pytest.approx(1.0)
    assert m["mae"] == pytest.approx(0.5)
    assert math.isnan(score_predictions("regression", np.ones(3), np.ones(3), 0)["r2"])


def test_aggregate_skips_nan_and_notes_it() -> None:
    s = aggregate([0.8, math.nan, 0.6])
    assert s.mean == pytest.approx(0.7) and s.folds == [0.8, 0.6]
    assert s.std == pytest.approx(np.std([0.8, 0.6], ddof=1))
    assert "1 of 3 folds" in (undefined_note("roc_auc", [0.8, math.nan, 0.6]) or "")
    assert undefined_note("roc_auc", [0.8, 0.6]) is None
    assert math.isnan(aggregate([math.nan]).mean)


def test_check_predictions_shapes() -> None:
    assert check_predictions("binary", np.array([0.2, 0.7]), 2, 2).shape == (2, 2)
    assert check_predictions("regression", np.ones((3, 1)), 3, 0).shape == (3,)
    with pytest.raises(ValueError, match="shape"):
        check_predictions("multiclass", np.ones((3, 2)), 3, 3)
    with pytest.raises(ValueError, match="NaN"):
        check_predictions("regression", np.array([1.0, np.nan]), 2, 0)


def test_numpy_metrics_match_sklearn() -> None:
    from sklearn.metrics import f1_score, roc_auc_score

    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 2, 60)
        s = np.round(rng.uniform(size=60), 1)  # ties on purpose
        p = np.column_stack([1 - s, s])
        assert score_predictions("binary", y, p, 2)["roc_auc"] == pytest.approx(roc_auc_score(y, s))
        y3 = rng.integers(0, 4, 60)
        proba = rng.dirichlet(np.ones(4), size=60)
        expected = f1_score(y3, proba.argmax(1), labels=range(4), average="macro", zero_division=0)
        assert score_predictions("multiclass", y3, proba, 4)["macro_f1"] == pytest.approx(expected)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("seed", range(5))
def test_one_metric_is_the_same_as_every_metric(task, seed) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 60)), 2 if task == "binary" else 4
    if task == "regression":
        y, pred = rng.normal(size=n), rng.normal(size=n)
    else:
        y = rng.integers(0, k, n)
        pred = rng.dirichlet(np.ones(k), n)
        pred[: n // 3] = np.round(pred[: n // 3], 1)  # ties in the ranking
    every = score_predictions(task, y, pred, k)
    for metric, value in every.items():
        one = score_metric(task, y, pred, k, metric)
        assert (math.isnan(one) and math.isnan(value)) or one == value, metric
    if task == "binary":  # a binary model may give P(class 1) alone
        assert score_metric(task, y, pred[:, 1], k, "roc_auc") == every["roc_auc"]


@settings(max_examples=200, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=2, max_size=80),
    data=st.data(),
)
def test_rarer_class_pr_auc_is_sklearns_average_precision_of_that_class(labels, data) -> None:
    from sklearn.metrics import average_precision_score

    y = np.array(labels)
    # Few distinct scores: ties between classes, the case a threshold must treat as one.
    s = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]), min_size=len(y), max_size=len(y)))
    )
    m = score_predictions("binary", y, np.column_stack([1 - s, s]), 2)
    if len(np.unique(y)) < 2:
        assert math.isnan(m["pr_auc"])
        return
    rarer = 0 if (y == 0).sum() < (y == 1).sum() else 1
    expected = average_precision_score(y == rarer, s if rarer == 1 else 1 - s)
    assert m["pr_auc"] == pytest.approx(expected)


def test_a_trivial_score_gets_the_rarer_class_share() -> None:
    y = np.array([0] * 95 + [1] * 5)
    m = score_predictions("binary", y, np.tile([0.95, 0.05], (100, 1)), 2)
    assert m["pr_auc"] == pytest.approx(0.05)  # one threshold: precision = the share, recall 1
    flipped = score_predictions("binary", 1 - y, np.tile([0.05, 0.95], (100, 1)), 2)
    assert flipped["pr_auc"] == pytest.approx(0.05)  # the rarer class is 0 now: still its share
