"""The leak only a model finds: find_collapse_set (advisor.probing.leak_search)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advisor.data import ProbeData
from advisor.probing.leak_search import (
    COLLAPSE_DROP,
    NEAR_PERFECT,
    CollapseSet,
    find_collapse_set,
    is_near_perfect,
)
from advisor.profile.kinds import profile_columns
from advisor.profile.leak_combos import find_combination_leaks


def probe_data(X: pd.DataFrame, y: np.ndarray, task: str) -> ProbeData:
    X = X.astype("float64")
    names = [str(c) for c in np.unique(y)] if task != "regression" else []
    return ProbeData(
        task=task,
        modality="tabular",
        y=np.asarray(y),
        class_names=names,
        X=X,
        feature_kinds={c: "numeric" for c in X.columns},
    )


def xor_frame(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    X["a"], X["b"] = rng.normal(size=n), rng.normal(size=n)
    return X, (X.a * X.b > 0).astype(int).to_numpy()


def test_xor_rule_collapses_when_its_columns_go():
    X, y = xor_frame()
    found = find_collapse_set(probe_data(X, y, "binary"), metric="roc_auc", seed=0, time_limit=10)
    assert isinstance(found, CollapseSet)
    assert set(found.columns) == {"a", "b"} and found.metric == "roc_auc"
    assert is_near_perfect("roc_auc", found.score_with)
    assert found.score_with - found.score_without >= COLLAPSE_DROP
    assert found.fits >= 2 and found.seconds > 0


def test_the_linear_scan_misses_the_xor_rule():
    X, y = xor_frame()
    frame = X.assign(target=y)
    columns = profile_columns(frame, {}, len(frame))
    assert find_combination_leaks(frame, columns, columns[-1], "binary") == []


def test_derived_features_map_back_to_their_column():
    X, y = xor_frame(seed=1)
    X = X.rename(columns={"a": "when__year", "b": "when__month"})
    found = find_collapse_set(probe_data(X, y, "binary"), metric="roc_auc", seed=0, time_limit=10)
    assert found is not None and found.columns == ["when"]


@pytest.mark.parametrize(
    ("loader", "metric"), [("load_breast_cancer", "roc_auc"), ("load_digits", "macro_f1")]
)
def test_easy_data_does_not_collapse(loader, metric):
    import sklearn.datasets as ds

    bunch = getattr(ds, loader)()
    X = pd.DataFrame(bunch.data, columns=[f"c{i}" for i in range(bunch.data.shape[1])])
    task = "binary" if metric == "roc_auc" else "multiclass"
    assert find_collapse_set(probe_data(X, bunch.target, task), metric=metric, seed=0, time_limit=30) is None


def test_regression_rule_collapses():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(2000, 5)), columns=[f"x{i}" for i in range(5)])
    y = np.where(X.x1 > 0, 3.0, -3.0) + np.sign(X.x3)
    found = find_collapse_set(probe_data(X, y, "regression"), metric="r2", seed=0, time_limit=10)
    assert found is not None and found.columns[0] == "x1" and found.metric == "r2"


def test_time_limit_and_unusable_inputs_give_none():
    X, y = xor_frame(n=800)
    data = probe_data(X, y, "binary")
    assert find_collapse_set(data, metric="roc_auc", seed=0, time_limit=0.0) is None
    assert find_collapse_set(data, metric="log_loss", seed=0, time_limit=5) is None
    tiny = probe_data(X.iloc[:40], y[:40], "binary")
    assert find_collapse_set(tiny, metric="roc_auc", seed=0, time_limit=5) is None


def test_is_near_perfect():
    assert set(NEAR_PERFECT) >= {"roc_auc", "macro_f1", "r2"}
    assert is_near_perfect("roc_auc", 0.9995) and not is_near_perfect("roc_auc", 0.99)
    assert is_near_perfect("r2", 1.0) and not is_near_perfect("r2", float("nan"))
    assert not is_near_perfect("rmse", 1.0)
