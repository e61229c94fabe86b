"""Time, group and repeated random folds in the plan, and --split through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from advisor.data import ProbeData
from advisor.errors import InputError
from advisor.probing.plan import make_plan
from tests.conftest import run_cli


def _data(
    n: int = 400,
    task: str = "regression",
    time_key: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    seed: int = 0,
) -> ProbeData:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n)})
    y = rng.normal(size=n) if task == "regression" else (rng.uniform(size=n) < 0.3).astype(np.int64)
    return ProbeData(
        task=task, modality="tabular", y=y, class_names=[] if task == "regression" else ["0", "1"], X=X,
        feature_kinds={"a": "numeric"}, n_rows_total=n, time_key=time_key, groups=groups,
        time_column="date" if time_key is not None else "", group_column="customer_id" if groups is not None else "",
    )  # fmt: skip


def _shuffled_days(n: int, per_day: int = 1, seed: int = 0) -> np.ndarray:
    days = np.arange(n) // per_day
    return np.random.default_rng(seed).permutation(days).astype(np.float64)


def test_time_folds_chain_forward_even_with_shuffled_rows_and_ties() -> None:
    key = _shuffled_days(400, per_day=4)  # 100 days, 4 rows each, rows in random order
    data, plan = make_plan(_data(time_key=key), seed=0, budget_seconds=60)
    assert (plan.split, plan.split_column, plan.n_repeats, len(plan.folds)) == ("time", "date", 1, 5)
    for train, test in plan.folds:
        assert data.time_key[train].max() < data.time_key[test].min()
    # Test folds move forward in time and the training set grows.
    starts = [data.time_key[te].min() for _, te in plan.folds]
    assert starts == sorted(starts) and len(plan.folds[-1][0]) > len(plan.folds[0][0])


def test_missing_times_sort_last_and_never_train() -> None:
    key = np.arange(200, dtype=np.float64)
    key[[3, 50]] = np.nan
    data, plan = make_plan(_data(200, time_key=key), seed=0, budget_seconds=60)
    trained = np.concatenate([tr for tr, _ in plan.folds])
    assert not np.isnan(data.time_key[trained]).any()


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_group_folds_keep_every_entity_on_one_side(task: str) -> None:
    groups = np.random.default_rng(1).integers(0, 37, size=400)
    data, plan = make_plan(_data(task=task, groups=groups), seed=0, budget_seconds=60)
    assert (plan.split, plan.split_column, len(plan.folds)) == ("group", "customer_id", 5)
    for train, test in plan.folds:
        assert set(data.groups[train]).isdisjoint(data.groups[test])
    assert sorted(np.concatenate([te for _, te in plan.folds])) == list(range(400))
    _, other = make_plan(_data(task=task, groups=groups), seed=1, budget_seconds=60)
    assert not np.array_equal(plan.folds[0][1], other.folds[0][1])  # seeded


def test_few_groups_make_fewer_folds_with_a_note() -> None:
    groups = np.arange(300) % 3
    _, plan = make_plan(_data(300, groups=groups), seed=0, budget_seconds=60)
    assert len(plan.folds) == 3 and any("only 3 entities" in n for n in plan.notes)


def test_small_data_gets_repeated_folds_in_repeat_major_order() -> None:
    data, plan = make_plan(_data(500, task="binary"), seed=0, budget_seconds=60)
    assert (plan.split, plan.n_repeats, len(plan.folds)) == ("random", 5, 25)
    for r in range(5):
        tests = [te for _, te in plan.folds[5 * r : 5 * r + 5]]
        assert sorted(np.concatenate(tests)) == list(range(500))  # one repeat: a partition
    assert not np.array_equal(plan.folds[0][1], plan.folds[5][1])  # repeats reshuffle
    _, mid = make_plan(_data(5_000), seed=0, budget_seconds=60)
    _, big = make_plan(_data(25_000), seed=0, budget_seconds=120)
    assert (mid.n_repeats, len(mid.folds)) == (2, 10) and (big.n_repeats, len(big.folds)) == (1, 5)
    images = _data(500, task="binary")
    images.modality = "image"  # a CNN per fold is not cheap, however small the data
    _, plan = make_plan(images, seed=0, budget_seconds=60)
    assert (plan.n_repeats, len(plan.folds)) == (1, 5)


def test_auto_prefers_time_then_groups_unless_the_user_named_the_group() -> None:
    key, groups = np.arange(300, dtype=np.float64), np.arange(300) % 30
    _, both = make_plan(_data(300, time_key=key, groups=groups), seed=0, budget_seconds=60)
    assert both.split == "time" and any("do not keep its rows on one side" in n for n in both.notes)
    _, named = make_plan(
        _data(300, time_key=key, groups=groups), seed=0, budget_seconds=60, group_column="customer_id"
    )
    assert named.split == "group"
    _, forced = make_plan(_data(300, time_key=key, groups=groups), seed=0, budget_seconds=60, split="group")
    assert forced.split == "group"


def test_time_or_group_split_without_the_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--time-column"):
        make_plan(_data(), seed=0, budget_seconds=60, split="time")
    with pytest.raises(InputError, match="--group-column"):
        make_plan(_data(), seed=0, budget_seconds=60, split="group")


def test_random_split_on_time_ordered_data_warns() -> None:
    _, plan = make_plan(_data(time_key=np.arange(400.0)), seed=0, budget_seconds=60, split="random")
    assert plan.split == "random" and plan.split_column == ""
    assert any("scores may be optimistic" in n and "'date'" in n for n in plan.notes)


def test_probe_sample_keeps_time_order_and_whole_groups() -> None:
    key = _shuffled_days(3000)
    data, plan = make_plan(_data(3000, time_key=key), seed=0, budget_seconds=60, max_rows=1000)
    assert len(data) == 1000 and np.all(np.diff(data.time_key) >= 0)
    assert "in time order" in plan.sample_note
    groups = np.random.default_rng(0).integers(0, 300, size=3000)
    data, plan = make_plan(_data(3000, groups=groups), seed=0, budget_seconds=60, max_rows=1000)
    kept, counts = np.unique(data.groups, return_counts=True)
    full = dict(zip(*np.unique(groups, return_counts=True), strict=True))
    assert len(data) <= 1000 and all(full[g] == c for g, c in zip(kept, counts, strict=True))
    assert "whole groups" in plan.sample_note


def test_random_folds_flatter_a_drifting_relationship() -> None:
    """The honest effect: where the relationship drifts, random folds interpolate the
    drift (every test day sits between training days) and score higher than the
    forward-chaining folds that a forecast really faces."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(0)
    n = 400
    t = np.arange(n, dtype=np.float64)
    x = rng.normal(size=n)
    y = np.sin(t / 40) * 3 + x * (t / n) + 0.3 * rng.normal(size=n)
    features = np.column_stack([t, x])
    data = _data(n, time_key=t)
    data.y = y

    def mean_r2(split: str) -> float:
        _, plan = make_plan(data, seed=0, budget_seconds=60, split=split)
        model = RandomForestRegressor(n_estimators=30, random_state=0)
        scores = [
            r2_score(y[te], model.fit(features[tr], y[tr]).predict(features[te])) for tr, te in plan.folds
        ]
        return float(np.mean(scores))

    assert mean_r2("random") > mean_r2("time") + 0.3


# --- through the CLI -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def daily_csv(tmp_path_factory) -> str:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "x": rng.normal(size=n),
        }
    )
    frame["y"] = 0.02 * np.arange(n) + frame["x"] + rng.normal(size=n)
    path = tmp_path_factory.mktemp("splits") / "daily.csv"
    frame.to_csv(path, index=False)
    return str(path)


def _json(path: str, *args: str) -> dict:
    code, out, err = run_cli(
        "recommend", path, "--format", "json", "--budget", "5", "-q", "--target", "y", *args
    )
    assert code == 0, err
    return json.loads(out)


def test_cli_time_split_is_recorded_in_the_report(daily_csv: str) -> None:
    report = _json(daily_csv, "--split", "time", "--time-column", "day")
    stage = report["probe_stage"]
    assert (stage["split"], stage["split_column"], stage["n_repeats"], stage["n_folds"]) == (
        "time",
        "day",
        1,
        5,
    )
    assert report["dataset"]["time_order"]["column"] == "day"
    assert report["constraints"]["split"] == "time" and report["constraints"]["time_column"] == "day"
    code, out, _ = run_cli("recommend", daily_csv, "--format", "md", "--budget", "5", "-q", "--no-probes")
    assert code == 0


def test_cli_markdown_names_the_split(daily_csv: str) -> None:
    code, out, err = run_cli("recommend", daily_csv, "--format", "md", "--budget", "5", "-q")
    assert code == 0, err
    assert "5-fold forward-chaining time split on `day`" in out


def test_cli_random_split_on_time_ordered_rows_warns(daily_csv: str) -> None:
    stage = _json(daily_csv, "--split", "random", "--rope", "0.02")["probe_stage"]
    assert stage["split"] == "random" and stage["n_repeats"] == 5 and stage["n_folds"] == 25
    assert any("scores may be optimistic" in n for n in stage["notes"])


def test_cli_missing_time_column_is_a_one_line_input_error(daily_csv: str) -> None:
    code, _, err = run_cli("recommend", daily_csv, "--time-column", "date", "-q", "--budget", "5")
    assert code == 2
    assert "--time-column 'date' is not a column; the columns are 'day', 'x', 'y'" in err
    code, _, err = run_cli("recommend", daily_csv, "--rope", "1", "-q")
    assert code == 2 and "--rope" in err
