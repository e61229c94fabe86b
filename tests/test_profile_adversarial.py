"""Adversarial inputs to the profile: infinite targets, headerless files,
numbers with separators, class labels that differ only in case."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from advisor.errors import TargetError
from advisor.profile.build import profile_table
from advisor.profile.kinds import to_float
from advisor.profile.prepare import prepare
from advisor.profile.quality import header_warning
from tests.conftest import run_cli
from tests.test_profile_kinds import kind_of, make_table

N = 300
rng = np.random.default_rng(11)


def features(n: int = N) -> dict[str, np.ndarray]:
    return {"f": rng.normal(size=n), "g": rng.integers(0, 7, n)}


def codes(profile) -> list[str]:
    return [w.code for w in profile.warnings]


def profile_csv(path) -> dict:
    code, out, err = run_cli("recommend", str(path), "--no-probes", "-q", "--format", "json")
    assert code == 0, err
    return json.loads(out)["dataset"]


# --- P6a: infinite target values --------------------------------------------------


def test_infinite_target_leaving_one_class_is_a_target_error():
    frame = pd.DataFrame({**features(), "label": np.where(np.arange(N) % 2, 1.0, np.inf)})
    with pytest.raises(
        TargetError, match=r"only one usable value .* once its 150 infinite values are dropped"
    ):
        profile_table(make_table(frame))


def test_infinite_strings_in_the_target_are_dropped_like_missing():
    values = np.array(["inf", "1", "0", "-inf"], dtype=object)[np.arange(N) % 4]
    frame = pd.DataFrame({**features(), "label": pd.Series(values, dtype="str")})
    profile = profile_table(make_table(frame))
    assert (profile.target.task, profile.target.n_classes) == ("binary", 2)
    warning = next(w for w in profile.warnings if w.code == "target-infinite")
    assert warning.message == "150 target values are infinite; those rows are dropped before probing"
    data = prepare(make_table(frame), profile)
    assert data.class_names == ["0", "1"] and len(data.y) == N // 2


def test_infinite_float_target_classes_and_regression():
    labels = np.array([0.0, 1.0, np.inf, -np.inf])[np.arange(N) % 4]
    profile = profile_table(make_table(pd.DataFrame({**features(), "label": labels})))
    assert (profile.target.task, profile.target.n_classes) == ("binary", 2)
    y = rng.normal(size=N)
    y[:10] = np.inf
    profile = profile_table(make_table(pd.DataFrame({**features(), "price": y})), target="price")
    assert profile.target.task == "regression" and "target-infinite" in codes(profile)


def test_all_infinite_target_is_a_target_error():
    frame = pd.DataFrame({**features(), "label": np.where(np.arange(N) % 2, -np.inf, np.inf)})
    with pytest.raises(TargetError, match="no finite values once its 300 infinite values are dropped"):
        profile_table(make_table(frame))


def test_prepare_refuses_a_target_left_with_one_class():
    frame = pd.DataFrame({**features(), "label": np.arange(N) % 2})
    profile = profile_table(make_table(frame))
    frame["label"] = np.where(np.arange(N) % 2, 1.0, np.nan)  # the rows behind the profile changed
    with pytest.raises(TargetError, match="fewer than 2 classes"):
        prepare(make_table(frame), profile)


# --- P6c: a headerless numeric file ---------------------------------------------


@pytest.mark.parametrize(
    ("names", "warns"),
    [
        (["0.595", "-0.912", "0.38", "0.0"], True),
        (["3", "7", "1"], True),
        (["1e3", "2"], True),
        ([str(i) for i in range(10)], False),  # a plain 0..n-1 index
        ([str(i) for i in range(1, 11)], False),  # 1..n
        ([*(str(i) for i in range(784)), "label"], False),  # pixel table with a named target
        (["age", "income", "label"], False),
    ],
)
def test_header_that_looks_like_data(names, warns):
    warning = header_warning(names)
    assert (warning is not None) == warns
    if warning:
        assert warning.code == "header-looks-like-data"
        assert f"such as {names[0]!r}" in warning.message and "add one" in warning.message


def test_headerless_csv_gets_the_warning(tmp_path):
    path = tmp_path / "no_header.csv"
    rows = [",".join(f"{v:.3f}" for v in rng.normal(size=4)) + f",{i % 3}.0" for i in range(N)]
    path.write_text("\n".join(rows) + "\n")
    codes_seen = [w["code"] for w in profile_csv(path)["warnings"]]
    assert "header-looks-like-data" in codes_seen


# --- P6f: numbers with thousands separators and decimal commas -----------------------


def test_comma_thousands_column_is_numeric_and_parsed():
    values = [f"{v:,.2f}" for v in rng.uniform(1_000, 90_000, N)]
    frame = pd.DataFrame({"amount": pd.Series(values, dtype="str"), "label": rng.choice(["no", "yes"], N)})
    profile = profile_table(make_table(frame))
    amount = profile.column("amount")
    assert amount.kind == "numeric" and "',' thousands separators" in amount.kind_reason
    x = prepare(make_table(frame), profile).X["amount"].to_numpy()
    assert np.allclose(x, [float(v.replace(",", "")) for v in values])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["52,274.98", "1,000", "999.5", "-12,000,000"], [52274.98, 1000.0, 999.5, -12e6]),
        (["489.108,50", "1.000", "999,5", "12"], [489108.5, 1000.0, 999.5, 12.0]),
        (["0,5", "12", "3,25", "7"], [0.5, 12.0, 3.25, 7.0]),
    ],
)
def test_separator_formats_convert(values, expected):
    series = pd.Series(values * 25, dtype="str")
    assert kind_of(series) == "numeric"
    assert np.allclose(to_float(series, "numeric"), expected * 25)


def test_plain_numbers_keep_the_plain_reading():
    # 97% plain: a few stray decimal commas must not turn '1.500' into 1500.
    series = pd.Series(["1.500"] * 97 + ["1,5"] * 3, dtype="str")
    assert kind_of(series) == "numeric"
    values = to_float(series, "numeric")
    assert values[0] == 1.5 and np.isnan(values[-1])


def test_codes_with_commas_stay_categorical():
    assert kind_of(pd.Series(["1,2,3", "4,5,6", "7,8"] * 40, dtype="str")) == "categorical"


def test_decimal_commas_first_appearing_late_in_a_semicolon_file(tmp_path):
    path = tmp_path / "late.csv"
    lines = ["a;b;y"] + [f"{i};{2 * i};{i % 2}" for i in range(300)]
    lines += [f"{i};{i},5;{i % 2}" for i in range(300)]
    path.write_text("\n".join(lines) + "\n")
    b = next(c for c in profile_csv(path)["columns"] if c["name"] == "b")
    assert b["kind"] == "numeric" and "decimal comma" in b["kind_reason"]


def test_euro_thousands_in_a_semicolon_file(tmp_path):
    path = tmp_path / "euro.csv"
    money = rng.uniform(100, 900_000, N)
    euro = [f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") for v in money]
    lines = ["alter;einkommen;ziel"] + [
        f"{20 + i % 50};{e};{['no', 'yes'][i % 2]}" for i, e in enumerate(euro)
    ]
    path.write_text("\n".join(lines) + "\n")
    ds = profile_csv(path)
    assert next(c for c in ds["columns"] if c["name"] == "einkommen")["kind"] == "numeric"
    assert "identifier" not in [w["code"] for w in ds["warnings"]]


# --- P6g: class labels that differ only in case or spaces --------------------------


def test_classes_differing_in_case_are_warned_not_merged():
    labels = np.array(["Yes", "yes", " yes", "NO", "No"], dtype=object)[np.arange(N) % 5]
    frame = pd.DataFrame({**features(), "label": pd.Series(labels, dtype="str")})
    profile = profile_table(make_table(frame))
    assert profile.target.n_classes == 5
    warning = next(w for w in profile.warnings if w.code == "classes-differ-in-case")
    assert "'Yes', 'yes' and ' yes'" in warning.message and "'NO' and 'No'" in warning.message
    assert "normalise them if they are the same class" in warning.message


def test_distinct_classes_get_no_case_warning():
    frame = pd.DataFrame({**features(), "label": rng.choice(["cat", "dog", "Bird"], N)})
    assert "classes-differ-in-case" not in codes(profile_table(make_table(frame)))
