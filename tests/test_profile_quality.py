"""Quality warnings, leakage suspects, text statistics, modality and scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.io.read import ColumnStats
from advisor.profile.build import profile_table
from tests.test_profile_kinds import make_table, sentences

rng = np.random.default_rng(2)
N = 2000


def codes(profile) -> list[str]:
    return [w.code for w in profile.warnings]


def test_quality_warnings():
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(N)],
            "const": 7,
            "sparse": np.where(rng.random(N) < 0.7, np.nan, rng.normal(size=N)),
            "empty": np.nan,
            "x": rng.integers(0, 3, N),
            "y": rng.integers(0, 2, N),
        }
    )
    table = make_table(frame)
    table.column_stats["x"] = ColumnStats(0, n_inf=3)
    profile = profile_table(table, target="y")
    found = {(w.code, w.column) for w in profile.warnings}
    assert {
        ("identifier", "customer_id"),
        ("constant", "const"),
        ("high-missing", "sparse"),
        ("all-missing", "empty"),
    } <= found
    assert ("infinite-values", "x") in found
    assert profile.duplicate_rows > 0  # x, y and const take few values: many rows repeat (ids ignored)
    assert "duplicate-rows" in codes(profile)
    assert profile.max_missing_rate == 1.0
    assert profile.n_features == 2  # sparse and x
    assert "inferred-target" not in codes(profile)


def test_read_warnings_are_carried_and_no_duplicates_with_unique_floats():
    from advisor.facts import DataWarning

    frame = pd.DataFrame({"x": rng.normal(size=N), "y": rng.integers(0, 2, N)})
    table = make_table(frame)
    table.warnings.append(DataWarning("bad-lines", "skipped 2 malformed lines"))
    profile = profile_table(table)
    assert profile.warnings[0].code == "bad-lines"
    assert profile.duplicate_rows == 0


def test_duplicates_counted_exactly():
    frame = pd.DataFrame(
        {"a": rng.integers(0, 1000, 500), "b": rng.normal(size=500), "y": rng.integers(0, 2, 500)}
    )
    frame = pd.concat([frame, frame.iloc[:37]], ignore_index=True)
    assert profile_table(make_table(frame)).duplicate_rows == 37


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_planted_leakage_is_flagged(task):
    x = rng.normal(size=(N, 4))
    signal = x[:, 0] + rng.normal(size=N)
    if task == "binary":
        y = (signal > 0).astype(int)
        leak = np.where(y == 1, "refund", "none")  # categorical leak
    elif task == "multiclass":
        y = np.digitize(signal, [-1, 0, 1])
        leak = y * 10 + rng.normal(scale=0.5, size=N)  # numeric leak
    else:
        y = signal * 100
        leak = y * 0.5 + 3  # a rescaled copy
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(refund_issued=leak, target=y)
    profile = profile_table(make_table(frame))
    assert profile.leakage_suspects == ["refund_issued"]
    warning = next(w for w in profile.warnings if w.code == "leakage-suspect")
    assert (
        warning.column == "refund_issued"
        and "likely leakage" in warning.message
        and warning.severity == "warning"
    )


def test_missingness_leak_is_flagged():
    y = rng.integers(0, 2, N)
    leak = np.where(y == 1, rng.normal(size=N), np.nan)  # only filled in after the event
    frame = pd.DataFrame({"a": rng.normal(size=N), "refund_date": leak, "target": y})
    assert profile_table(make_table(frame)).leakage_suspects == ["refund_date"]


@pytest.mark.parametrize("loader", ["load_breast_cancer", "load_iris", "load_diabetes", "load_wine"])
def test_no_leakage_on_clean_data(loader):
    import sklearn.datasets as ds

    frame = getattr(ds, loader)(as_frame=True).frame
    profile = profile_table(make_table(frame))
    assert profile.leakage_suspects == []
    assert profile.modality == "tabular"
    assert profile.target.task == (
        "regression"
        if loader == "load_diabetes"
        else "binary"
        if loader == "load_breast_cancer"
        else "multiclass"
    )


def test_text_stats_and_modalities():
    review = pd.Series(sentences(N), dtype="str")
    label = rng.integers(0, 2, N)
    text_only = profile_table(make_table(pd.DataFrame({"review": review, "label": label})))
    assert text_only.modality == "text"
    assert text_only.text is not None and text_only.text.columns == ["review"]
    assert 4 <= text_only.text.mean_tokens <= 15 and text_only.text.language_like
    assert text_only.text.corpus_tokens == pytest.approx(text_only.text.mean_tokens * N, rel=0.01)
    column = text_only.column("review")
    assert column.mean_tokens == pytest.approx(text_only.text.mean_tokens) and column.vocab_size <= 17
    assert "text-column" in codes(text_only)
    mixed = profile_table(
        make_table(pd.DataFrame({"review": review, "age": rng.integers(18, 90, N), "label": label}))
    )
    assert mixed.modality == "mixed" and mixed.encoded_width == 1
    images = pd.DataFrame({"path": [f"imgs/{i}.jpg" for i in range(N)], "label": label})
    assert profile_table(make_table(images)).modality == "image"


@pytest.mark.parametrize(
    ("n_pixels", "shape"), [(64, [8, 8, 1]), (784, [28, 28, 1]), (100, [10, 10, 1]), (70, None)]
)
def test_pixel_tables_are_signal(n_pixels, shape):
    pixels = rng.integers(0, 256, size=(300, n_pixels))
    pixels[:, 0] = 0  # a blank border pixel: constant, still part of the grid
    frame = pd.DataFrame(pixels, columns=[f"pixel{i}" for i in range(n_pixels)]).assign(
        label=rng.integers(0, 10, 300)
    )
    profile = profile_table(make_table(frame))
    assert profile.modality == "signal" and profile.pixel_shape == shape
    assert "pixel-table" in codes(profile)
    assert profile.raw_dimension == n_pixels


@pytest.mark.parametrize(
    ("name", "rows", "cols", "shape"),
    [
        ("pixel_{r}_{c}", range(8), range(8), [8, 8, 1]),  # load_digits(as_frame=True)
        ("{r}x{c}", range(1, 29), range(1, 29), [28, 28, 1]),  # MNIST CSVs, 1-based
        ("px{r}-{c}", range(8), range(12), [8, 12, 1]),  # not square: the indices say so
    ],
)
def test_pixel_tables_indexed_by_row_and_column_are_signal(name, rows, cols, shape):
    names = [name.format(r=r, c=c) for r in rows for c in cols]
    pixels = rng.integers(0, 17, size=(300, len(names)))
    pixels[:, 0] = 0
    frame = pd.DataFrame(pixels, columns=names).assign(label=rng.integers(0, 10, 300))
    profile = profile_table(make_table(frame))
    assert profile.modality == "signal" and profile.pixel_shape == shape
    assert profile.raw_dimension == len(names)


def test_a_grid_with_a_missing_cell_is_not_a_grid():
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)][1:]  # 63 cells of 64
    frame = pd.DataFrame(rng.integers(0, 17, size=(300, 63)), columns=names).assign(
        label=rng.integers(0, 3, 300)
    )
    assert profile_table(make_table(frame)).modality == "tabular"


def test_named_wide_table_and_few_indexed_columns_stay_tabular():
    frame = pd.DataFrame(rng.normal(size=(300, 28)), columns=[f"V{i}" for i in range(1, 29)]).assign(
        y=rng.integers(0, 2, 300)
    )
    assert profile_table(make_table(frame)).modality == "tabular"
    scales = 10.0 ** rng.integers(-3, 6, 80)  # indexed names but wildly different ranges: measurements
    frame = pd.DataFrame(rng.normal(size=(300, 80)) * scales, columns=[f"x{i}" for i in range(80)]).assign(
        y=rng.integers(0, 2, 300)
    )
    assert profile_table(make_table(frame)).modality == "tabular"


def test_scale_fields():
    frame = pd.DataFrame(
        {
            "num": rng.normal(size=N),
            "cat": rng.choice([f"c{i}" for i in range(50)], N),
            "small": rng.choice(["a", "b", "c"], N),
            "when": pd.date_range("2020-01-01", periods=N, freq="D").strftime("%Y-%m-%d"),
            "y": rng.normal(size=N),
        }
    )
    profile = profile_table(make_table(frame, sampled=True, n_rows=10 * N))
    assert profile.n_features == 4 and profile.n_columns == 5 and profile.n_rows == 10 * N
    assert profile.encoded_width == 1 + 32 + 3 + 5
    assert profile.raw_dimension == 4
    measured = frame.memory_usage(index=False).sum() / 2**20
    assert profile.memory_mb == pytest.approx(10 * measured)


def test_repeated_mask_marks_every_member_of_a_repeat():
    from advisor.profile.quality import repeated_mask

    values = rng.integers(0, 2**63, 5000, dtype="int64").astype("uint64")
    values[100:110] = values[7]  # a group of eleven
    values[4999] = values[0]  # a pair at both ends
    expected = pd.Series(values).duplicated(keep=False).to_numpy()
    assert (repeated_mask(values) == expected).all()


@given(
    labels=st.lists(st.integers(0, 1), min_size=2, max_size=200),
    levels=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=100, deadline=None)
def test_leakage_roc_auc_matches_sklearn_with_ties(labels, levels, seed):
    from sklearn.metrics import roc_auc_score

    from advisor.profile.leakage import roc_auc

    y = np.array(labels)
    score = np.random.default_rng(seed).integers(0, levels, len(y)).astype("float64")  # many ties
    expected = roc_auc_score(y, score) if 0 < y.sum() < len(y) else 0.5
    assert roc_auc(y, score) == pytest.approx(expected, abs=1e-12)
