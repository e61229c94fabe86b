"""Sequence tables: detection, forward-in-time (or by-entity) folds, the windows of each
entity's past, and the sequence probes measured against the per-row model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from advisor_probes._sequence import History, windows

from advisor import recommend
from advisor.io.read import read_table
from advisor.probing.plan import make_plan
from advisor.profile.build import profile_table
from advisor.profile.prepare import prepare
from advisor.report.sections_dataset import dataset_section

BUDGET = 8.0


def sensor_table(
    *, order_matters: bool, n_sensors: int = 40, n_readings: int = 40, seed: int = 0
) -> pd.DataFrame:
    """Hourly readings of ``n_sensors`` sensors (a random walk and a noise column), rows sorted
    by sensor then time. ``order_matters``: the alarm is "the last three readings rose",
    which no single row shows; else it follows the row's own ``temp``."""
    rng = np.random.default_rng(seed)
    parts = []
    stamps = pd.date_range("2024-01-01", periods=n_readings, freq="h").strftime("%Y-%m-%d %H:%M")
    for s in range(n_sensors):
        reading = np.cumsum(rng.normal(size=n_readings))
        temp = rng.normal(size=n_readings)
        if order_matters:
            rise = np.diff(reading, prepend=np.nan) > 0
            alarm = rise & np.roll(rise, 1) & np.roll(rise, 2)
            alarm[:3] = False
        else:
            alarm = temp + rng.normal(0, 0.5, n_readings) > 0.8
        parts.append(
            pd.DataFrame(
                {
                    "sensor_id": f"S{s:02d}",
                    "timestamp": stamps,
                    "reading": reading.round(4),
                    "temp": temp.round(4),
                    "alarm": alarm.astype(int),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _profile(tmp_path, frame: pd.DataFrame, target: str):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    table = read_table(path)
    return table, profile_table(table, target=target)


# --- detection ------------------------------------------------------------------------------


def test_sensor_log_is_a_row_level_sequence(tmp_path):
    _, profile = _profile(tmp_path, sensor_table(order_matters=True, n_sensors=12, n_readings=20), "alarm")
    seq = profile.sequence
    assert seq is not None
    assert (seq.entity_column, seq.time_column, seq.level) == ("sensor_id", "timestamp", "row")
    assert (seq.n_entities, seq.median_length, seq.max_length) == (12, 20.0, 20)
    assert profile.modality == "tabular"


def test_target_constant_within_each_entity_is_an_entity_level_sequence(tmp_path):
    frame = sensor_table(order_matters=False, n_sensors=12, n_readings=20)
    faulty = {f"S{s:02d}" for s in range(0, 12, 3)}
    frame["faulty"] = frame["sensor_id"].isin(faulty).astype(int)
    _, profile = _profile(tmp_path, frame.drop(columns="alarm"), "faulty")
    assert profile.sequence is not None and profile.sequence.level == "entity"


def test_time_alone_or_entity_alone_is_not_a_sequence(tmp_path):
    frame = sensor_table(order_matters=False, n_sensors=12, n_readings=20)
    _, no_entity = _profile(tmp_path, frame.drop(columns="sensor_id"), "alarm")
    assert no_entity.time_order is not None and no_entity.sequence is None
    _, no_time = _profile(tmp_path, frame.drop(columns="timestamp"), "alarm")
    assert no_time.groups is not None and no_time.sequence is None


def test_a_date_repeated_on_every_row_of_an_entity_is_not_a_timeline(tmp_path):
    rng = np.random.default_rng(1)
    customers = np.repeat(np.arange(30), 6)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{c:03d}" for c in customers],
            "date": pd.to_datetime("2023-01-01") + pd.to_timedelta(customers, unit="D"),
            "x": rng.normal(size=len(customers)).round(4),
            "y": rng.integers(0, 2, len(customers)),
        }
    )
    _, profile = _profile(tmp_path, frame, "y")
    assert profile.sequence is None


# --- folds --------------------------------------------------------------------------------------


def test_row_level_sequence_is_validated_forward_in_time(tmp_path):
    table, profile = _profile(
        tmp_path, sensor_table(order_matters=True, n_sensors=12, n_readings=30), "alarm"
    )
    data, plan = make_plan(prepare(table, profile), seed=0, budget_seconds=BUDGET)
    assert plan.split == "time" and data.sequence == "row"
    for train, test in plan.folds:
        for entity in np.unique(data.groups[test]):
            latest_train = data.time_key[train][data.groups[train] == entity]
            earliest_test = data.time_key[test][data.groups[test] == entity].min()
            assert latest_train.size == 0 or latest_train.max() < earliest_test


def test_entity_level_sequence_is_validated_by_entity(tmp_path):
    frame = sensor_table(order_matters=False, n_sensors=20, n_readings=15)
    frame["faulty"] = (frame["sensor_id"].str[1:].astype(int) % 3 == 0).astype(int)
    table, profile = _profile(tmp_path, frame.drop(columns="alarm"), "faulty")
    data, plan = make_plan(prepare(table, profile), seed=0, budget_seconds=BUDGET)
    assert plan.split == "group" and plan.split_column == "sensor_id"
    for train, test in plan.folds:
        assert not set(data.groups[train]) & set(data.groups[test])


# --- windows ------------------------------------------------------------------------------------


def test_windows_hold_only_strictly_earlier_readings_of_the_same_entity():
    entity = np.array([0, 0, 0, 1, 1, 0])
    time = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])  # rows 2 and 5: the same entity at the same time
    values = np.arange(6, dtype=np.float64)[:, None]
    w = windows(History(entity, time, values), width=3)
    assert np.array_equal(w.n_past, [0, 1, 2, 0, 1, 2])
    assert np.array_equal(w.values[2, :, 0], [np.nan, 0.0, 1.0], equal_nan=True)
    assert np.array_equal(w.values[5, :, 0], [np.nan, 0.0, 1.0], equal_nan=True)  # not row 2
    assert np.array_equal(w.values[4, :, 0], [np.nan, np.nan, 3.0], equal_nan=True)


def test_predict_windows_use_kept_training_rows_once():
    entity, time = np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0])
    values = np.array([[10.0], [20.0], [30.0]])
    kept = History(entity[:2], time[:2], values[:2])
    later = windows(History(entity[2:], time[2:], values[2:]), width=3, kept=kept)
    assert np.array_equal(later.values[0, :, 0], [np.nan, 10.0, 20.0], equal_nan=True)
    again = windows(kept, width=3, kept=kept)  # predicting the training rows themselves
    assert np.array_equal(again.n_past, [0, 1])


# --- measured -----------------------------------------------------------------------------------


def _scores(report) -> dict[str, float]:
    return {p.name: p.score.mean for p in report.probes if p.score is not None}


@pytest.fixture(scope="module")
def order_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("seq") / "order.csv"
    sensor_table(order_matters=True).to_csv(path, index=False)
    return recommend(path, target="alarm", budget=BUDGET, seed=0)


def test_when_the_signal_is_in_the_order_the_sequence_probes_beat_the_per_row_model(order_report):
    scores = _scores(order_report)
    assert order_report.dataset.sequence is not None
    best_sequence = max(scores.get("seq_gbdt", 0.0), scores.get("seq_gru", 0.0))
    assert best_sequence > scores["lightgbm"] + 0.1, scores
    assert order_report.recommendation.family in ("gbdt", "rnn")


def test_the_report_says_the_table_is_a_sequence(order_report):
    rows = dataset_section(order_report).tables[0].rows
    assert any(fact == "Sequence" and "sensor_id" in value for fact, value in rows)


def test_when_order_does_not_matter_the_sequence_probes_add_little(tmp_path):
    path = tmp_path / "rows.csv"
    sensor_table(order_matters=False).to_csv(path, index=False)
    scores = _scores(recommend(path, target="alarm", budget=BUDGET, seed=0))
    per_row = max(scores[name] for name in ("linear", "lightgbm") if name in scores)
    assert scores["seq_gbdt"] < per_row + 0.03, scores
