"""What drives the target: permutation importance per source column, its stability,
correlated columns, the model's own view, the --goal explain headline.

Generated data with known drivers: two informative columns (a, b), two noise
columns and a near copy of a."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from advisor_probes.baseline import BaselineProbe
from advisor_probes.lightgbm import LightGBMProbe
from advisor_probes.linear import LinearProbe

from advisor.data import ProbeData
from advisor.facts import Constraints
from advisor.probe_api import Budget, Drivers, EvalPlan, Importance
from advisor.probing.importance import (
    DriverMeter,
    _stability,
    not_measured_reason,
    source_groups,
)
from advisor.probing.runner import evaluate_probe
from advisor.verdict import decide
from advisor.verdict.explain import dominant, is_noise
from tests.conftest import run_cli
from tests.helpers import make_prior, make_profile, result

N = 1200


def known_drivers(seed: int = 0) -> ProbeData:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=N), rng.normal(size=N)
    X = pd.DataFrame(
        {
            "noise1": rng.normal(size=N),
            "a": a,
            "b": b,
            "a_copy": a + rng.normal(0, 0.1, N),
            "noise2": rng.normal(size=N),
        }
    )
    y = (rng.random(N) < 1 / (1 + np.exp(-(2.0 * a - 1.2 * b)))).astype(np.int64)
    return ProbeData(
        task="binary", modality="tabular", y=y, class_names=["0", "1"], X=X,
        feature_kinds={c: "numeric" for c in X}, n_rows_total=N,
    )  # fmt: skip


def five_folds(n: int, seed: int = 0, metric: str = "roc_auc") -> EvalPlan:
    order = np.random.default_rng(seed).permutation(n)
    chunks = np.array_split(order, 5)
    folds = [
        (np.sort(np.concatenate(chunks[:i] + chunks[i + 1 :])), np.sort(c)) for i, c in enumerate(chunks)
    ]
    return EvalPlan(folds=folds, curve_fractions=(1.0,), seed=seed, metric=metric, n_rows_total=n)


@pytest.fixture(scope="module")
def measured() -> dict:
    data = known_drivers()
    plan = five_folds(len(data))
    return {
        p.name: evaluate_probe(p, data, plan, Budget(60), "cpu") for p in (LinearProbe(), LightGBMProbe())
    }


@pytest.mark.parametrize("probe", ["linear", "lightgbm"])
def test_known_drivers_rank_first_stably_and_noise_last(measured, probe):
    d = measured[probe].drivers
    assert d is not None and d.n_folds == 5 and d.metric == "roc_auc"
    ranked = [i.column for i in d.importance]
    assert set(ranked[:2]) <= {"a", "b", "a_copy"} and "b" in ranked[:3]
    assert set(ranked[-2:]) == {"noise1", "noise2"}
    assert d.stable is True and d.stability is not None and d.stability >= 0.6
    assert [g.columns for g in d.correlated] == [["a", "a_copy"]]
    for i in d.importance:
        assert len(i.folds) == 5 and i.std >= 0


def test_model_views_linear_coefficients_with_sign_gbdt_gain(measured):
    lin = measured["linear"].drivers.model_view
    assert lin.kind == "coefficient"
    w = {x.column: x for x in lin.weights}
    assert w["a"].direction == 1 and w["b"].direction == -1 and w["a"].mean > 1.0
    gain = measured["lightgbm"].drivers.model_view
    assert gain.kind == "gain"
    assert sum(x.mean for x in gain.weights) == pytest.approx(1.0, abs=1e-6)


def test_partial_dependence_of_the_top_columns_follows_the_effect(measured):
    pds = {p.column: p for p in measured["linear"].drivers.partial_dependence}
    assert "a" in pds or "b" in pds
    if "a" in pds:
        assert pds["a"].mean_prediction[-1] > pds["a"].mean_prediction[0]
    if "b" in pds:
        assert pds["b"].mean_prediction[-1] < pds["b"].mean_prediction[0]


def test_same_seed_same_importance():
    data = known_drivers(1)
    plan = five_folds(len(data), seed=3)
    first = evaluate_probe(LinearProbe(), data, plan, Budget(60), "cpu").drivers
    second = evaluate_probe(LinearProbe(), data, plan, Budget(60), "cpu").drivers
    assert [(i.column, i.folds) for i in first.importance] == [(i.column, i.folds) for i in second.importance]


def test_importance_is_per_source_column_for_one_hot_and_date_parts():
    rng = np.random.default_rng(2)
    n = 900
    city = rng.choice(["north", "south", "east", "west"], n)
    when = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    effect = pd.Series(city).map({"north": 2.0, "south": -2.0, "east": 0.5, "west": -0.5}).to_numpy()
    logit = effect + np.where(when.month <= 6, 1.5, -1.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    X = pd.DataFrame({"city": pd.Categorical(city), "noise": rng.normal(size=n)})
    parts = {
        "year": when.year, "month": when.month, "day": when.day,
        "dayofweek": when.day_of_week, "epoch_days": (when - pd.Timestamp("1970-01-01")).days,
    }  # fmt: skip
    for part, values in parts.items():
        X[f"when__{part}"] = np.asarray(values, dtype=np.float64)
    kinds = {c: "numeric" for c in X}
    kinds["city"] = "categorical"
    data = ProbeData(task="binary", modality="mixed", y=y, class_names=["0", "1"], X=X, feature_kinds=kinds)
    r = evaluate_probe(LinearProbe(), data, five_folds(n), Budget(60), "cpu")
    d = r.drivers
    assert {i.column for i in d.importance} == {"city", "when", "noise"}
    assert d.importance[-1].column == "noise"
    view = {w.column: w for w in d.model_view.weights}
    assert set(view) == {"city", "when", "noise"}
    assert view["city"].direction == 0 and view["when"].direction == 0  # several coefficients: a norm


def test_source_groups_joins_date_parts_only():
    groups = source_groups(["when__year", "when__month", "a__b", "x", "x__y", "x__z"])
    assert groups == {
        "when": ["when__year", "when__month"],
        "a__b": ["a__b"],
        "x": ["x"],
        "x__y": ["x__y"],
        "x__z": ["x__z"],
    }


def test_not_measured_on_pixels_and_a_constant_model_has_no_drivers(measured):
    signal = ProbeData(
        task="binary", modality="signal", y=np.zeros(4, dtype=np.int64), X=pd.DataFrame({"p0": [1.0] * 4})
    )
    assert "signal" in not_measured_reason(signal)
    data = known_drivers()
    r = evaluate_probe(BaselineProbe(), data, five_folds(len(data)), Budget(10), "cpu")
    assert r.drivers is None and not any("importance" in n for n in r.notes)


def test_no_time_for_importance_is_said_and_costs_the_comparison_nothing():
    data = known_drivers()
    plan = five_folds(len(data))
    meter = DriverMeter(data, plan, Budget(0.0), max_folds=5)
    model = LinearProbe().fit(data.take(plan.folds[0][0]), _ctx())
    meter.measure(model, data.take(plan.folds[0][1]), 0, 0.01, reserve=0.0)
    assert meter.result(5) is None
    assert any("no time left" in n for n in meter.notes)


def _ctx():
    from advisor.probe_api import FitContext

    return FitContext(seed=0, device="cpu", time_limit=10)


def test_stability_low_when_the_ranking_flips_between_folds():
    flip = [Importance("x", 0.1, 0.1, [0.3, 0.0, 0.3, 0.0], 1), Importance("y", 0.1, 0.1, [0.0, 0.3, 0.0, 0.3], 2),
            Importance("z", 0.05, 0.05, [0.1, 0.2, 0.1, 0.2], 3)]  # fmt: skip
    rho, k = _stability(flip)
    assert k == 3 and rho < 0.6
    steady = [
        Importance(c, 1.0, 0.0, [v, v + 0.01, v, v], i)
        for i, (c, v) in enumerate([("x", 0.3), ("y", 0.2), ("z", 0.1)])
    ]
    assert _stability(steady)[0] == pytest.approx(1.0)


def _drivers(columns: list[tuple[str, float]], correlated=()) -> Drivers:
    imp = [Importance(c, m, 0.01, [m] * 5, i + 1) for i, (c, m) in enumerate(columns)]
    return Drivers("roc_auc", imp, 5, 5, 300, 3, 3, stability=0.9, stable=True, correlated=list(correlated))


def test_explain_picks_the_simplest_equivalent_interpretable_family_and_names_drivers():
    lin = result("linear", "linear", [0.90, 0.91, 0.90, 0.92, 0.91])
    gb = result("lightgbm", "gbdt", [0.905, 0.912, 0.901, 0.921, 0.912])
    lin.drivers = _drivers([("a", 0.2), ("b", 0.1), ("noise", 0.0)])
    base = result("baseline", "baseline", [0.5] * 5)
    rec = decide(make_profile(), make_prior("gbdt"), [base, lin, gb], Constraints(goal="explain"))
    ex = rec.explanation
    assert ex is not None and ex.family == "linear" and ex.equivalent
    assert [d.column for d in ex.drivers] == ["a", "b"] and ex.noise == ["noise"]
    assert decide(make_profile(), make_prior("gbdt"), [base, lin, gb], Constraints()).explanation is None


def test_explain_states_the_cost_when_no_interpretable_family_is_equivalent():
    lin = result("linear", "linear", [0.80, 0.81, 0.80, 0.82, 0.81])
    mlp = result("mlp", "mlp", [0.90, 0.91, 0.90, 0.92, 0.91])
    base = result("baseline", "baseline", [0.5] * 5)
    ex = decide(
        make_profile(), make_prior("linear"), [base, lin, mlp], Constraints(goal="explain")
    ).explanation
    assert ex.family == "linear" and not ex.equivalent and ex.cost == pytest.approx(0.1, abs=1e-6)
    assert ex.measured is False  # no drivers measured on this hand-made result


def test_a_suspect_that_dominates_importance_is_named():
    r = result("lightgbm", "gbdt", [0.99] * 5)
    r.drivers = _drivers([("leak", 0.4), ("a", 0.05), ("b", 0.01)])
    assert dominant(r, ["leak", "b"]) == ["leak"]
    assert dominant(r, ["b"]) == []
    assert is_noise(0.001, 0.01, 5) and not is_noise(0.1, 0.01, 5)


def test_cli_goal_explain_headline_and_json(tmp_path):
    data = known_drivers(4)
    frame = data.X.copy()
    frame["y"] = data.y
    path = tmp_path / "drivers.csv"
    frame.round(5).to_csv(path, index=False)
    code, out, err = run_cli(
        "recommend", str(path), "--target", "y", "--goal", "explain", "--budget", "20", "-q", "--format", "md"
    )
    assert code == 0, err
    assert "### Explanation" in out and "What drives the target" in out
    assert "**Explained by:**" in out and "`a`" in out


def test_correlated_groups_of_exactly_two_numeric_columns() -> None:
    """spearmanr returns a scalar, not a matrix, for two columns: the pair is still found."""
    from advisor.data import ProbeData
    from advisor.probing.importance import correlated_groups

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    X = pd.DataFrame({"a": x, "b": x + 1e-3 * rng.normal(size=200)})
    data = ProbeData(
        task="binary", modality="tabular", y=np.zeros(200, dtype=np.int64), class_names=["0", "1"],
        X=X, feature_kinds={"a": "numeric", "b": "numeric"},
    )  # fmt: skip
    groups = correlated_groups(data, 0)
    assert [g.columns for g in groups] == [["a", "b"]]
    X2 = pd.DataFrame({"a": x, "b": rng.normal(size=200)})
    assert correlated_groups(ProbeData(**{**data.__dict__, "X": X2}), 0) == []


def test_a_date_and_a_count_of_the_same_thing_are_correlated() -> None:
    """A signup date and the months since then split the credit: the date stands in by its days."""
    from advisor.data import ProbeData
    from advisor.probing.importance import correlated_groups
    from advisor.profile.prepare import _datetime_parts

    rng = np.random.default_rng(1)
    tenure = rng.integers(1, 72, 300)
    signup = pd.Series(pd.Timestamp("2024-06-01") - pd.to_timedelta(tenure * 30, unit="D"))
    columns = {f"signup__{part}": v for part, v in _datetime_parts(signup).items()}
    columns |= {"tenure": tenure.astype(float), "noise": rng.normal(size=300)}
    data = ProbeData(
        task="binary", modality="tabular", y=np.zeros(300, dtype=np.int64), class_names=["0", "1"],
        X=pd.DataFrame(columns), feature_kinds=dict.fromkeys(columns, "numeric"),
    )  # fmt: skip
    assert [sorted(g.columns) for g in correlated_groups(data, 0)] == [["signup", "tenure"]]


@pytest.mark.parametrize(
    ("rho", "reads"), [(1.0, "|Spearman| 1.00: they order the rows alike"), (0.93, "≥ 0.93")]
)
def test_a_correlated_group_reads_its_weakest_link(rho, reads) -> None:
    from advisor.probe_api import CorrelatedGroup, Drivers
    from advisor.report.drivers import _bullets

    drivers = Drivers("r2", [], 5, 5, 100, 3, 5, correlated=[CorrelatedGroup(["a", "b"], rho)])
    assert reads in _bullets(drivers)[0]
