"""Time order and repeated entities (advisor/profile/order.py), through profile_table and prepare."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advisor.errors import InputError
from advisor.facts import ColumnProfile
from advisor.profile.build import profile_table
from advisor.profile.order import (
    calendar_columns,
    detect_groups,
    group_codes,
    name_hints_entity,
    sorted_share,
)
from advisor.profile.prepare import prepare
from tests.test_profile_kinds import make_table

N = 300


def daily(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Rows by day with a trend: a time-ordered table."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "x": rng.normal(size=n),
            "y": 0.05 * t + rng.normal(size=n),
        }
    )


def customers(n_customers: int = 40, per: int = 6, seed: int = 0) -> pd.DataFrame:
    """Each customer repeats ``per`` times, with a customer-level effect on the target."""
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"C{i:04d}" for i in range(n_customers)], per)
    effect = np.repeat(rng.normal(size=n_customers), per)
    frame = pd.DataFrame({"customer_id": ids, "x": rng.normal(size=len(ids)), "y": effect})
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def calendar(seed: int = 0, shuffle: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2015-01-01", periods=400, freq="3D")
    frame = pd.DataFrame({"year": days.year, "month": days.month, "day": days.day, "x": rng.normal(size=400)})
    frame["y"] = rng.normal(size=400)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True) if shuffle else frame


def test_sorted_datetime_column_is_the_time_order() -> None:
    profile = profile_table(make_table(daily()), target="y")
    assert profile.time_order is not None
    assert profile.time_order.column == "date" and profile.time_order.sorted_share == 1.0
    assert "in time order" in profile.time_order.how
    assert profile.groups is None


def test_shuffled_date_named_only_as_a_time_still_orders_the_folds() -> None:
    frame = daily().sample(frac=1.0, random_state=1).reset_index(drop=True)
    order = profile_table(make_table(frame), target="y").time_order
    assert order is not None and order.column == "date" and order.sorted_share < 0.7
    assert "folds sort by it" in order.how


def test_a_shuffled_date_that_describes_the_row_is_not_a_time_order() -> None:
    frame = daily().sample(frac=1.0, random_state=1).rename(columns={"date": "signup_date"})
    assert profile_table(make_table(frame.reset_index(drop=True)), target="y").time_order is None


def test_year_month_day_columns_make_a_time_order() -> None:
    profile = profile_table(make_table(calendar()), target="y")
    order = profile.time_order
    assert order is not None and order.column == "year" and order.parts == ["year", "month", "day"]
    data = prepare(make_table(calendar()), profile)
    frame = calendar()
    expected = frame["year"] * 10_000 + frame["month"] * 100 + frame["day"]
    assert np.array_equal(np.argsort(data.time_key, kind="stable"), np.argsort(expected, kind="stable"))


def test_calendar_parts_need_plausible_ranges_and_a_year() -> None:
    frame = calendar()
    cols = [ColumnProfile(c, "int64", "numeric", "", 0.0, int(frame[c].nunique())) for c in frame]
    assert calendar_columns(frame, cols) == ["year", "month", "day"]
    assert calendar_columns(frame.assign(month=frame["month"] + 20), cols) == ["year"]  # 21..32: not months
    assert calendar_columns(frame.drop(columns="year"), [c for c in cols if c.name != "year"]) == []
    # A year alone, shuffled, is a model year, not a time order.
    alone = calendar()[["year", "x", "y"]]
    assert profile_table(make_table(alone), target="y").time_order is None


def test_repeated_customers_are_groups_and_prepare_keeps_their_codes() -> None:
    frame = customers()
    profile = profile_table(make_table(frame), target="y")
    assert profile.groups is not None
    assert (profile.groups.column, profile.groups.n_groups, profile.groups.mean_rows) == (
        "customer_id",
        40,
        6.0,
    )
    data = prepare(make_table(frame), profile)
    assert data.feature_kinds["customer_id"] == "categorical"  # still a feature: codes repeat
    assert data.group_column == "customer_id" and data.groups is not None and data.groups.dtype == np.int64
    # One code per customer, the same rows together.
    codes = pd.Series(data.groups).groupby(frame["customer_id"].to_numpy()).nunique()
    assert (codes == 1).all() and len(np.unique(data.groups)) == 40
    sub = data.take(np.arange(10))
    assert np.array_equal(sub.groups, data.groups[:10])


def test_values_that_barely_repeat_or_few_entities_are_not_groups() -> None:
    assert profile_table(make_table(customers(n_customers=200, per=1)), target="y").groups is None
    assert profile_table(make_table(customers(n_customers=5, per=40)), target="y").groups is None
    # Repeating values in a column not named like an entity: a category, not groups.
    renamed = customers().rename(columns={"customer_id": "colour"})
    assert profile_table(make_table(renamed), target="y").groups is None


def test_the_entity_with_most_groups_wins_and_integer_codes_count() -> None:
    frame = customers()
    frame["user_id"] = np.arange(len(frame)) // 2  # 120 users of 2 rows
    frame["machine"] = np.arange(len(frame)) % 12 + 0.5  # floats: measurements, not codes
    cols = profile_table(make_table(frame), target="y").columns
    groups = detect_groups(frame, cols, "y")
    assert groups is not None and groups.column == "user_id" and groups.n_groups == 120


def test_entity_names() -> None:
    assert name_hints_entity("CustomerID") and name_hints_entity("patient") and name_hints_entity("machines")
    assert not name_hints_entity("colour") and not name_hints_entity("amount")


def test_group_codes_give_missing_entities_their_own_group() -> None:
    codes = group_codes(pd.Series(["a", None, "b", "a", None]))
    assert codes[0] == codes[3] and codes[1] != codes[4] and len(set(codes)) == 4


def test_sorted_share() -> None:
    assert sorted_share(np.arange(10.0)) == 1.0
    assert sorted_share(np.array([1.0, np.nan, 2.0, 0.0])) == 0.5
    assert sorted_share(np.array([np.nan])) == 0.0


def test_given_columns_override_detection() -> None:
    frame = customers()
    frame["t"] = np.arange(len(frame))[::-1]  # a plain integer clock, counting down
    profile = profile_table(make_table(frame), target="y", time_column="t")
    assert profile.time_order is not None and profile.time_order.column == "t"
    assert profile.time_order.how == "given with --time-column" and profile.time_order.sorted_share == 0.0


def test_given_group_column_overrides_detection() -> None:
    frame = customers()
    frame["region"] = np.arange(len(frame)) % 4
    profile = profile_table(make_table(frame), target="y", group_column="region")
    assert profile.groups is not None and profile.groups.column == "region" and profile.groups.n_groups == 4


@pytest.mark.parametrize("option", ["time_column", "group_column"])
def test_a_missing_given_column_is_an_input_error_naming_the_columns(option: str) -> None:
    with pytest.raises(InputError, match=r"'nope' is not a column; the columns are 'date', 'x', 'y'"):
        profile_table(make_table(daily()), target="y", **{option: "nope"})


def test_given_columns_that_cannot_work_are_input_errors() -> None:
    with pytest.raises(InputError, match="is the target"):
        profile_table(make_table(daily()), target="y", time_column="y")
    frame = daily().assign(word=["a b"] * N)
    with pytest.raises(InputError, match="neither dates nor numbers"):
        profile_table(make_table(frame), target="y", time_column="word")
    with pytest.raises(InputError, match="at least 2 entities"):
        profile_table(make_table(daily().assign(site="s1")), target="y", group_column="site")


def test_an_identifier_group_column_is_dropped_from_the_features_but_its_codes_stay() -> None:
    frame = daily().assign(row_id=np.arange(N))
    profile = profile_table(make_table(frame), target="y", group_column="row_id")
    assert profile.column("row_id").kind == "identifier"
    data = prepare(make_table(frame), profile)
    assert "row_id" not in data.feature_kinds and data.group_column == "row_id"
    assert np.array_equal(data.groups, np.arange(N)) and data.time_column == "date"
