"""A regression target that drifts in time past its earlier range (advisor/profile/trend.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from advisor.profile.build import profile_table
from advisor.profile.trend import beyond_past_range, chance_beyond_past_range
from tests.conftest import run_cli
from tests.test_profile_kinds import make_table

N = 1500


def sales(trend: float, seed: int = 0, shuffle_time: bool = False) -> pd.DataFrame:
    """Daily sales: a promotion effect, noise, and ``trend`` per day."""
    rng = np.random.default_rng(seed)
    promo = rng.integers(0, 2, N)
    y = 100 + trend * np.arange(N) + 15 * promo + rng.normal(0, 5, N)
    days = pd.date_range("2021-01-01", periods=N, freq="D")
    if shuffle_time:
        y = rng.permutation(y)
    return pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "promo": promo, "sales": y.round(2)})


def test_a_trending_target_is_warned_about_with_its_share_beyond_the_past():
    profile = profile_table(make_table(sales(trend=0.1)), target="sales")
    target = profile.target
    assert profile.time_order is not None and target.drift
    assert target.time_trend > 0.9 and target.beyond_past_range > 0.3
    warning = next(w for w in profile.warnings if w.code == "target-drift")
    assert "'date'" in warning.message and "tree models" in warning.message and warning.column == "sales"


@pytest.mark.parametrize("frame", [sales(trend=0.0), sales(trend=0.1, shuffle_time=True)])
def test_no_drift_warning_when_the_target_does_not_leave_its_range(frame):
    profile = profile_table(make_table(frame), target="sales")
    assert profile.target.beyond_past_range is not None and profile.target.beyond_past_range < 0.05
    assert not profile.target.drift and "target-drift" not in {w.code for w in profile.warnings}


def test_classification_and_unordered_rows_are_not_measured():
    frame = sales(trend=0.1).assign(sales=lambda f: (f.sales > f.sales.median()).astype(int))
    assert profile_table(make_table(frame), target="sales").target.beyond_past_range is None
    unordered = sales(trend=0.1).drop(columns="date")
    assert profile_table(make_table(unordered), target="sales").target.beyond_past_range is None


@pytest.mark.parametrize("n", [100, 400, 2000])
def test_the_chance_share_is_what_random_order_gives(n):
    rng = np.random.default_rng(n)
    simulated = np.mean([beyond_past_range(rng.normal(size=n)) for _ in range(400)])
    assert simulated == pytest.approx(chance_beyond_past_range(n), rel=0.15)


def test_beyond_past_range_counts_each_fold_against_all_rows_before_it():
    # 12 rows, 5 folds of 2 after the first 2: values rising, so every tested row is beyond the past.
    assert beyond_past_range(np.arange(12.0)) == 1.0
    assert beyond_past_range(np.r_[0.0, 10.0, np.full(10, 5.0)]) == 0.0


def test_the_drift_rule_fires_through_the_cli(tmp_path):
    path = tmp_path / "sales.csv"
    sales(trend=0.1).to_csv(path, index=False)
    code, out, err = run_cli(
        "recommend", str(path), "--target", "sales", "--no-probes", "-q", "--format", "json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert "target-drift" in {w["code"] for w in report["dataset"]["warnings"]}
    assert (
        report["dataset"]["target"]["drift"] is True
        and report["dataset"]["target"]["beyond_past_range"] > 0.3
    )
    assert "quality.target-drift" in {r["id"] for r in report["prior"]["fired"]}
