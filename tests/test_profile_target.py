"""Target choice, task inference and target errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advisor.errors import AdvisorError, TargetError
from advisor.profile.build import profile_table
from tests.test_profile_kinds import make_table

rng = np.random.default_rng(1)
N = 400


def frame_with(target, name: str = "outcome", **extra) -> pd.DataFrame:
    return pd.DataFrame(
        {"a": rng.normal(size=len(target)), "b": rng.integers(0, 5, len(target)), **extra, name: target}
    )


def test_given_target_and_unknown_target_lists_close_names():
    frame = frame_with(rng.integers(0, 2, N), name="label")
    profile = profile_table(make_table(frame), target="label")
    assert profile.target.name == "label" and not profile.target.inferred
    assert profile.target.how == "given with --target"
    with pytest.raises(TargetError, match=r"'labl'.*did you mean 'label'.*'a', 'b'"):
        profile_table(make_table(frame), target="labl")


def test_inferred_conventional_name_then_last_column():
    frame = pd.DataFrame(
        {"Churn": rng.choice(["yes", "no"], N), "a": rng.normal(size=N), "z": rng.normal(size=N)}
    )
    profile = profile_table(make_table(frame))
    assert profile.target.name == "Churn" and profile.target.inferred
    assert "conventional" in profile.target.how
    assert any(w.code == "inferred-target" and w.severity == "info" for w in profile.warnings)
    frame = pd.DataFrame({"a": rng.normal(size=N), "price": rng.normal(size=N) * 100})
    profile = profile_table(make_table(frame))
    assert profile.target.name == "price" and profile.target.how == "last column"
    assert profile.target.task == "regression"


@pytest.mark.parametrize(
    ("target", "task", "n_classes"),
    [
        (rng.choice(["cat", "dog"], N), "binary", 2),
        (rng.choice(["a", "b", "c", "d"], N), "multiclass", 4),
        (rng.integers(0, 2, N), "binary", 2),
        (rng.integers(1, 4, N), "multiclass", 3),
        (rng.integers(1, 4, N).astype(float), "multiclass", 3),
        (rng.normal(size=N), "regression", None),
        (rng.integers(0, 500, N), "regression", None),
    ],
)
def test_task_inference(target, task, n_classes):
    profile = profile_table(make_table(frame_with(target)))
    assert profile.target.task == task
    assert profile.target.n_classes == n_classes
    if task == "multiclass" and np.issubdtype(np.asarray(target).dtype, np.number):
        assert "3 distinct integer values" in profile.target.task_reason
        assert "--task regression" in profile.target.task_reason
        assert set(profile.target.class_counts) == {"1", "2", "3"}  # integral floats print without '.0'


def test_task_override_and_validation():
    frame = frame_with(rng.integers(1, 4, N))
    assert profile_table(make_table(frame), task="regression").target.task == "regression"
    with pytest.raises(TargetError, match="--task must be one of"):
        profile_table(make_table(frame), task="ranking")
    with pytest.raises(TargetError, match="--task multiclass"):
        profile_table(make_table(frame), task="binary")
    with pytest.raises(TargetError, match="numeric target"):
        profile_table(make_table(frame_with(rng.choice(["x", "y", "z"], N))), task="regression")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ([np.nan] * N, "all missing"),
        (["only"] * N, "one value"),
        ([f"row-{i}" for i in range(N)], "identifier"),
        ([" ".join(rng.choice(list("abcdefgh"), 6)) + f" {i}" for i in range(N)], "free text"),
    ],
)
def test_unusable_targets(target, message):
    with pytest.raises(TargetError, match=message) as err:
        profile_table(make_table(frame_with(pd.Series(target))))
    assert "--target" in str(err.value.message)
    assert "\n" not in err.value.message


def test_class_counts_imbalance_tiny_and_missing():
    target = pd.Series(["big"] * 300 + ["small"] * 20 + ["tiny"] * 5 + ["one"] + [None] * 10, dtype="str")
    profile = profile_table(make_table(frame_with(target)))
    info = profile.target
    assert info.task == "multiclass" and info.n_classes == 4
    assert info.class_counts == {"big": 300, "small": 20, "tiny": 5, "one": 1}
    assert info.imbalance_ratio == 300 and info.missing == 10
    codes = {w.code for w in profile.warnings}
    assert {"imbalance", "tiny-class", "target-missing"} <= codes
    imbalance = next(w for w in profile.warnings if w.code == "imbalance")
    assert (
        "stratified" in imbalance.message and "macro-F1" in imbalance.message
    )  # multiclass: its primary metric


def test_empty_and_target_only_frames_are_input_errors():
    with pytest.raises(AdvisorError, match="no data rows"):
        profile_table(make_table(pd.DataFrame({"a": [], "y": []})))
    with pytest.raises(AdvisorError, match="no usable feature"):
        profile_table(make_table(pd.DataFrame({"id": np.arange(N), "y": rng.integers(0, 2, N)})), target="y")


def test_a_heavy_tailed_target_is_warned_about_and_its_log_measured():
    rng = np.random.default_rng(5)
    prices = np.exp(rng.normal(5.0, 1.5, 2000))  # lognormal: skewed on its scale, symmetric in logs
    profile = profile_table(make_table(frame_with(prices, "price")), target="price")
    target = profile.target
    assert target.task == "regression" and target.skewness > 5 and abs(target.log_skewness) < 0.3
    warning = next(w for w in profile.warnings if w.code == "skewed-target")
    assert "log1p(price)" in warning.message and warning.column == "price"
    from advisor.profile.target import skewness

    assert target.skewness == pytest.approx(skewness(prices), abs=1e-3)
    # scipy's biased sample skewness is the same moment
    from scipy.stats import skew

    assert skewness(prices) == pytest.approx(float(skew(prices)), rel=1e-9)


def test_skewness_of_values_near_the_float_limit_does_not_overflow():
    from advisor.profile.target import skewness

    prices = np.exp(np.random.default_rng(6).normal(5.0, 1.5, 500))
    with np.errstate(over="raise", invalid="raise"):
        huge = skewness(prices * 1e300 / prices.max())
    assert huge == pytest.approx(skewness(prices), rel=1e-9)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        (np.random.default_rng(1).normal(10.0, 2.0, 2000), "symmetric"),
        (-np.exp(np.random.default_rng(2).normal(0, 1.5, 2000)) + 50, "skewed left, with a long low tail"),
        (np.random.default_rng(3).standard_cauchy(2000) ** 2, "still skewed on the log scale"),
    ],
)
def test_no_skew_warning_where_the_log_would_not_help(values, why):
    profile = profile_table(make_table(frame_with(values, "y")), target="y")
    assert "skewed-target" not in {w.code for w in profile.warnings}, why
