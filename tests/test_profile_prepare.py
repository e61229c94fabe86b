"""prepare(): typed features and the encoded target the probes receive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advisor.errors import TargetError
from advisor.profile.build import profile_table
from advisor.profile.prepare import kept_rows, prepare
from tests.test_profile_kinds import make_table, sentences

rng = np.random.default_rng(3)
N = 600


def mixed_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "row_id": np.arange(N),
            "const": "x",
            "num": rng.normal(size=N),
            "num_str": pd.Series([f"{v:.3f}" for v in rng.normal(size=N)], dtype="str"),
            "flag": rng.choice(["yes", "no"], N),
            "colour": rng.choice(["red", "green", "blue"], N),
            "when": pd.date_range("2021-03-01 08:00", periods=N, freq="7h").strftime("%Y-%m-%d %H:%M"),
            "note": pd.Series(sentences(N), dtype="str"),
            "label": rng.choice(["b", "a", "c"], N),
        }
    )
    frame.loc[:4, "num"] = [np.inf, -np.inf, np.nan, 1.0, 2.0]
    frame.loc[5:9, "note"] = None
    frame.loc[10:12, "label"] = None
    return frame


def test_prepare_types_and_drops():
    table = make_table(mixed_frame())
    profile = profile_table(table, target="label")
    data = prepare(table, profile)
    assert data.task == "multiclass" and data.class_names == ["a", "b", "c"]
    assert len(data) == N - 3 == len(data.X)
    assert data.y.dtype == np.int64 and set(np.unique(data.y)) == {0, 1, 2}
    assert "row_id" not in data.X and "const" not in data.X and "label" not in data.X
    kinds = data.feature_kinds
    assert kinds["num"] == kinds["num_str"] == kinds["flag"] == "numeric"
    assert kinds["colour"] == "categorical" and kinds["note"] == "text"
    assert {
        "when__year",
        "when__month",
        "when__day",
        "when__dayofweek",
        "when__hour",
        "when__epoch_days",
    } <= set(kinds)
    assert list(data.X.columns) == list(kinds)
    for name, kind in kinds.items():
        dtype = data.X[name].dtype
        expected = {"numeric": "float64", "categorical": "category", "text": "object"}[kind]
        assert str(dtype) == expected, name
    assert np.isnan(data.X["num"].iloc[:3]).all()  # infinities became missing
    assert set(data.X["flag"].dropna()) <= {0.0, 1.0}
    assert all(isinstance(v, str) for v in data.X["note"]) and (data.X["note"] == "").sum() == 5
    assert data.modality == "mixed" and data.n_rows_total == N
    assert data.X["when__year"].iloc[0] == 2021
    # Labels line up with the kept rows.
    labels = table.frame["label"].iloc[kept_rows(table, profile)]
    assert [data.class_names[c] for c in data.y] == labels.tolist()


def test_regression_target_drops_missing_and_infinite():
    frame = pd.DataFrame({"x": rng.normal(size=N), "price": rng.normal(size=N) * 10})
    frame.loc[:2, "price"] = [np.nan, np.inf, np.nan]
    table = make_table(frame)
    data = prepare(table, profile_table(table))
    assert data.task == "regression" and data.y.dtype == np.float64
    assert len(data) == N - 3 and np.isfinite(data.y).all()


def test_single_row_classes_are_dropped_with_a_warning():
    label = ["a"] * 300 + ["b"] * 200 + ["c"]
    frame = pd.DataFrame({"x": rng.normal(size=501), "label": label})
    table = make_table(frame)
    profile = profile_table(table)
    assert profile.target.task == "multiclass" and profile.target.n_classes == 3
    data = prepare(table, profile)
    assert data.class_names == ["a", "b"] and data.task == "binary" and len(data) == 500
    assert any(w.code == "class-dropped" and "'c'" in w.message for w in profile.warnings)


def test_too_few_classes_after_dropping_is_a_target_error():
    frame = pd.DataFrame({"x": rng.normal(size=101), "label": ["a"] * 100 + ["b"]})
    table = make_table(frame)
    with pytest.raises(TargetError, match="fewer than 2 classes"):
        prepare(table, profile_table(table))


def test_rare_categories_collapse():
    frame = pd.DataFrame({"cat": [f"c{i % 400}" for i in range(4000)], "y": rng.integers(0, 2, 4000)})
    table = make_table(frame)
    data = prepare(table, profile_table(table))
    categories = data.X["cat"].cat.categories
    assert len(categories) == 201 and "__other__" in categories


def test_signal_table_keeps_the_grid_in_order():
    pixels = rng.integers(0, 256, size=(200, 64))
    pixels[:, 0] = 0
    names = [f"px_{i}" for i in range(64)]
    frame = pd.DataFrame(pixels, columns=names).assign(label=rng.integers(0, 3, 200))
    frame = frame[["label", *reversed(names)]]  # order in the file must not matter
    table = make_table(frame)
    data = prepare(table, profile_table(table))
    assert data.modality == "signal" and data.pixel_shape == (8, 8, 1)
    assert list(data.X.columns) == names and (data.X["px_0"] == 0).all()
    assert data.X.to_numpy().reshape(-1, 8, 8, 1).shape == (200, 8, 8, 1)


def test_a_row_and_column_indexed_grid_is_kept_row_major():
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    pixels = rng.integers(0, 17, size=(200, 64))
    frame = pd.DataFrame(pixels, columns=names).assign(label=rng.integers(0, 3, 200))
    shuffled = [names[i] for i in rng.permutation(64)]  # order in the file must not matter
    table = make_table(frame[["label", *shuffled]])
    data = prepare(table, profile_table(table))
    assert data.modality == "signal" and data.pixel_shape == (8, 8, 1)
    assert list(data.X.columns) == names  # pixel_0_0, pixel_0_1, ..., pixel_7_7: rows of the image
    assert (data.X.to_numpy().reshape(-1, 8, 8, 1)[:, 2, 5, 0] == pixels[:, 2 * 8 + 5]).all()


def test_the_profile_warns_about_dropped_classes_and_prepare_changes_nothing():
    """All validation happens at profile time, so --no-probes and a full run agree."""
    label = ["a"] * 300 + ["b"] * 200 + ["c"]
    frame = pd.DataFrame({"x": rng.normal(size=501), "label": label})
    table = make_table(frame)
    profile = profile_table(table)
    before = list(profile.warnings)
    assert any(w.code == "class-dropped" and "'c'" in w.message for w in before)
    data = prepare(table, profile)
    assert profile.warnings == before and data.notes == []


def test_numeric_columns_in_one_block_match_the_column_conversion_and_leave_the_table_alone():
    # prepare converts every numeric and boolean column stored as numbers in one block (a column
    # at a time is seconds on 20,000 columns): the values must be ``to_float``'s, column by column.
    from advisor.profile.kinds import to_float

    frame = pd.DataFrame(
        {
            "f": rng.normal(size=N),
            "i": rng.integers(0, 9, N),
            "b": rng.random(N) > 0.5,
            "nullable": pd.array(np.where(rng.random(N) > 0.8, None, rng.integers(0, 50, N)), dtype="Int64"),
            "yes": rng.choice(["yes", "no"], N),
            "num_str": pd.Series([f"{v:.2f}" for v in rng.normal(size=N)], dtype="str"),
            "label": rng.choice(["a", "b"], N),
        }
    )
    frame.loc[:2, "f"] = [np.inf, -np.inf, np.nan]
    table = make_table(frame)
    before = table.frame.copy()
    profile = profile_table(table, target="label")
    data = prepare(table, profile)
    kinds = {c.name: c.kind for c in profile.columns}
    for name in ("f", "i", "b", "nullable", "yes", "num_str"):
        assert data.feature_kinds[name] == "numeric"
        np.testing.assert_array_equal(data.X[name].to_numpy(), to_float(frame[name], kinds[name]))
    assert np.isnan(data.X["f"].to_numpy()[:3]).all()
    pd.testing.assert_frame_equal(table.frame, before)  # the infinities were cleared in a copy
