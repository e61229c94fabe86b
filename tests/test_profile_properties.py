"""Properties of profile_table and prepare on random frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.errors import AdvisorError
from advisor.facts import FEATURE_KINDS
from advisor.profile.build import profile_table
from advisor.profile.prepare import prepare
from tests.test_profile_kinds import make_table

KINDS = {"numeric", "categorical", "boolean", "datetime", "text", "identifier", "constant", "image_path"}
TEXTS = st.text(alphabet=st.sampled_from("ab c1.-/:TZ"), max_size=12)
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def columns(draw, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["float", "int", "bool", "str", "words", "dates", "mixed", "few"]))
    if kind == "float":
        values = draw(st.lists(FLOATS, min_size=n, max_size=n))
        return pd.Series(values, dtype="float64")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-5, 10**6), min_size=n, max_size=n)), dtype="int64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if kind == "dates":
        days = draw(st.lists(st.integers(0, 20000), min_size=n, max_size=n))
        return pd.Series(
            (pd.Timestamp("1970-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"), dtype="str"
        )
    if kind == "few":
        return pd.Series(
            draw(st.lists(st.sampled_from(["yes", "no", "0", "1", None]), min_size=n, max_size=n)),
            dtype="str",
        )
    if kind == "mixed":
        values = draw(
            st.lists(st.one_of(st.none(), st.integers(-3, 3), FLOATS, TEXTS), min_size=n, max_size=n)
        )
        return pd.Series(values, dtype=object)
    strategy = TEXTS if kind == "str" else st.lists(TEXTS, min_size=1, max_size=6).map(" ".join)
    values = draw(st.lists(st.one_of(st.none(), strategy), min_size=n, max_size=n))
    return pd.Series(values, dtype="str")


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 60))
    width = draw(st.integers(1, 6))
    return pd.DataFrame({f"c{i}": draw(columns(n)) for i in range(width)})


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(frame=frames(), task=st.sampled_from([None, None, "binary", "multiclass", "regression"]))
def test_profile_and_prepare_properties(frame, task):
    table = make_table(frame)
    try:
        profile = profile_table(table, task=task)
    except AdvisorError:
        return
    assert [c.name for c in profile.columns] == list(frame.columns)
    assert all(c.kind in KINDS for c in profile.columns)
    assert all(0.0 <= c.missing_rate <= 1.0 for c in profile.columns)
    assert 0.0 <= profile.max_missing_rate <= 1.0
    features = [c for c in profile.columns if c.name != profile.target.name and c.kind in FEATURE_KINDS]
    assert profile.n_features == len(features) >= 1
    assert profile.encoded_width >= 0 and profile.raw_dimension >= 1
    assert profile.target.task in ("binary", "multiclass", "regression")
    assert set(profile.leakage_suspects) <= {c.name for c in features}
    try:
        data = prepare(table, profile)
    except AdvisorError:
        return
    assert len(data.X) == len(data.y) <= len(frame)
    assert list(data.X.columns) == list(data.feature_kinds)
    assert set(data.feature_kinds.values()) <= {"numeric", "categorical", "text"}
    if data.is_classification:
        assert data.y.dtype == np.int64 and data.n_classes >= 2
        assert set(np.unique(data.y)) <= set(range(data.n_classes))
    else:
        assert data.y.dtype == np.float64 and np.isfinite(data.y).all()
    for name, kind in data.feature_kinds.items():
        if kind == "numeric":
            values = data.X[name].to_numpy()
            assert values.dtype == np.float64 and not np.isinf(values).any()


FEW_VALUES = {
    "int": st.integers(0, 2),
    "float": st.sampled_from([0.5, 1.0, float("nan"), -3.25]),
    "str": st.sampled_from(["a", "b", None]),
}


@st.composite
def repetitive_frames(draw) -> pd.DataFrame:
    n = draw(st.integers(2, 80))
    width = draw(st.integers(1, 8))
    data = {}
    for i in range(width):
        kind = draw(st.sampled_from(sorted(FEW_VALUES)))
        values = draw(st.lists(FEW_VALUES[kind], min_size=n, max_size=n))
        data[f"c{i}"] = pd.Series(values, dtype={"int": "int64", "float": "float64", "str": "str"}[kind])
    return pd.DataFrame(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=repetitive_frames())
def test_duplicate_count_matches_pandas(frame):
    from advisor.profile.kinds import profile_columns
    from advisor.profile.quality import count_duplicate_rows

    columns = profile_columns(frame, {}, len(frame))
    compared = [c.name for c in columns if c.kind not in ("identifier", "constant")]
    expected = int(frame[compared].duplicated().sum()) if compared else len(frame) - 1
    assert count_duplicate_rows(frame, columns) == expected
