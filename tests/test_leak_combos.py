"""Combination leaks: the target as an exact fit on 2-3 columns (advisor.profile.leak_combos)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from advisor.io.read import read_table
from advisor.profile.build import profile_table
from advisor.profile.kinds import profile_columns
from advisor.profile.leak_combos import ComboLeak, find_combination_leaks

N = 2000


def leaks(frame: pd.DataFrame, target: str, task: str, **kw) -> list[ComboLeak]:
    columns = profile_columns(frame, {}, len(frame))
    return find_combination_leaks(frame, columns, next(c for c in columns if c.name == target), task, **kw)


def noise(rng: np.random.Generator, n: int = N, k: int = 5) -> pd.DataFrame:
    return pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])


def test_sum_of_two_counts():
    rng = np.random.default_rng(1)
    online, store = rng.poisson(30, N), rng.poisson(80, N)
    frame = noise(rng).assign(online=online, store=store, total=online + store)
    found = leaks(frame, "total", "regression")
    assert [f.columns for f in found] == [("online", "store")]
    assert found[0].transform == "linear" and found[0].metric == "R2" and found[0].score >= 0.9999


def test_total_of_three_parts():
    rng = np.random.default_rng(2)
    parts = rng.gamma(2.0, 50.0, size=(N, 3)).round(2)
    frame = noise(rng).assign(rent=parts[:, 0], food=parts[:, 1], travel=parts[:, 2], spend=parts.sum(1))
    found = leaks(frame, "spend", "regression")
    assert [set(f.columns) for f in found] == [{"rent", "food", "travel"}]


def test_ratio_of_two_columns():
    rng = np.random.default_rng(3)
    clicks, views = rng.lognormal(3, 1, N), rng.lognormal(6, 1, N)
    frame = noise(rng).assign(clicks=clicks, views=views, rate=clicks / views)
    found = leaks(frame, "rate", "regression")
    assert [f.columns for f in found] == [("clicks", "views")]
    assert found[0].transform == "log" and "log(clicks)" in found[0].form


def test_log_of_a_sum():
    rng = np.random.default_rng(4)
    a, b = rng.poisson(20, N), rng.poisson(200, N)
    frame = noise(rng).assign(a=a, b=b, log_total=np.log1p(a + b))
    found = leaks(frame, "log_total", "regression")
    assert [f.columns for f in found] == [("a", "b")]
    assert found[0].transform == "log" and found[0].form.startswith("exp(")


def test_binary_target_a_greater_than_b():
    rng = np.random.default_rng(5)
    bid, ask = rng.exponential(2.0, N), rng.normal(1.0, 1.5, N)  # different shapes
    frame = noise(rng).assign(bid=bid, ask=ask, target=(bid > ask).astype(int))
    found = leaks(frame, "target", "binary")
    assert [set(f.columns) for f in found] == [{"bid", "ask"}]
    assert found[0].metric == "ROC AUC" and found[0].score >= 0.9999


def test_multiclass_bucket_of_a_difference():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=N), rng.normal(size=N)
    frame = noise(rng).assign(a=a, b=b, target=(a - b > 0).astype(int) + (a - b > 1).astype(int))
    found = leaks(frame, "target", "multiclass")
    assert [set(f.columns) for f in found] == [{"a", "b"}]


@pytest.mark.parametrize(
    ("loader", "task"),
    [
        ("load_breast_cancer", "binary"),
        ("load_digits", "multiclass"),
        ("load_wine", "multiclass"),
        ("load_iris", "multiclass"),
        ("load_diabetes", "regression"),
    ],
)
def test_easy_real_data_is_not_flagged(loader, task):
    import sklearn.datasets as ds

    frame = getattr(ds, loader)(as_frame=True).frame
    assert leaks(frame, "target", task) == []


def test_noisy_linear_regression_is_not_flagged():
    rng = np.random.default_rng(7)
    frame = noise(rng, k=8)
    signal = frame.x0 * 3 + frame.x1 - 2 * frame.x2
    frame["y"] = signal + rng.normal(scale=signal.std() * 0.23, size=N)  # R² about 0.95
    assert leaks(frame, "y", "regression") == []


def test_california_like_regression_is_not_flagged():
    rng = np.random.default_rng(8)
    income, rooms, age = rng.lognormal(1.3, 0.5, N), rng.gamma(5, 1, N), rng.integers(1, 52, N)
    value = 0.4 * income + 0.05 * rooms - 0.002 * age + rng.normal(scale=0.3, size=N)
    frame = pd.DataFrame({"income": income, "rooms": rooms, "age": age, "value": np.exp(value)})
    assert leaks(frame, "value", "regression") == []


def test_a_single_column_leak_is_not_a_combination():
    rng = np.random.default_rng(9)
    frame = noise(rng)
    frame["y"] = frame.x0 * 3 + 1
    assert leaks(frame, "y", "regression") == []
    frame["z"] = frame.x1 + frame.x2  # a real pair next to the copy
    assert [f.columns for f in leaks(frame, "z", "regression", exclude=["y"])] == [("x1", "x2")]


def test_too_few_rows_or_columns_give_nothing():
    rng = np.random.default_rng(10)
    frame = noise(rng, n=80).assign(y=lambda f: f.x0 + f.x1)
    assert leaks(frame, "y", "regression") == []  # 40 rows per half
    assert leaks(pd.DataFrame({"a": np.arange(500.0), "y": np.arange(500.0)}), "y", "regression") == []


def test_warning_names_the_columns():
    leak = ComboLeak(("online", "store"), "linear", "R2", 1.0, "target ~ online + store")
    w = leak.warning()
    assert w.code == "leakage-combination" and w.column == "online" and w.severity == "warning"
    assert "'online' + 'store' together reproduce the target (held-out R² 1.0000, linear fit)" in w.message


def test_fast_on_a_long_table_and_bounded_on_a_wide_one():
    rng = np.random.default_rng(11)
    long = pd.DataFrame(rng.normal(size=(200_000, 25)), columns=[f"c{i}" for i in range(25)])
    long["y"] = long.c0 + rng.normal(size=len(long))
    start = time.perf_counter()
    assert leaks(long, "y", "regression") == []
    assert time.perf_counter() - start < 1.0
    wide = pd.DataFrame(rng.normal(size=(2000, 400)), columns=[f"w{i}" for i in range(400)])
    wide["y"] = wide.w3 - wide.w200
    start = time.perf_counter()
    found = leaks(wide, "y", "regression", time_limit=0.5)
    assert time.perf_counter() - start < 1.5
    assert [set(f.columns) for f in found] == [{"w3", "w200"}]


def test_through_the_profile(tmp_path):
    rng = np.random.default_rng(12)
    online, store = rng.poisson(30, N), rng.poisson(80, N)
    frame = noise(rng).assign(online=online, store=store, units_total=online + store)
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    profile = profile_table(read_table(path), target="units_total")
    assert profile.target.task == "regression"
    assert profile.leakage_suspects == ["online", "store"]
    evidence = [e for e in profile.leakage_evidence if e.how == "combination"]
    assert [e.columns for e in evidence] == [["online", "store"]] and evidence[0].metric == "R2"
    warning = next(w for w in profile.warnings if w.code == "leakage-combination")
    assert "'online' + 'store'" in warning.message


def test_single_suspects_get_evidence_too(tmp_path):
    rng = np.random.default_rng(13)
    frame = noise(rng).assign(target=lambda f: (f.x0 + rng.normal(size=N) > 0).astype(int))
    frame["refund"] = np.where(frame.target == 1, "yes", "no")
    path = tmp_path / "churn.csv"
    frame.to_csv(path, index=False)
    profile = profile_table(read_table(path))
    assert profile.leakage_suspects == ["refund"]
    assert [(e.columns, e.how) for e in profile.leakage_evidence] == [(["refund"], "single")]
