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
    assert "stratified" in imbalance.message and "PR-AUC" in imbalance.message


def test_empty_and_target_only_frames_are_input_errors():
    with pytest.raises(AdvisorError, match="no data rows"):
        profile_table(make_table(pd.DataFrame({"a": [], "y": []})))
    with pytest.raises(AdvisorError, match="no usable feature"):
        profile_table(make_table(pd.DataFrame({"id": np.arange(N), "y": rng.integers(0, 2, N)})), target="y")
