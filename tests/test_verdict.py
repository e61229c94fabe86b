"""The reconciliation policy of FRAMEWORK.md, on hand-made probe results."""

from advisor.facts import Constraints
from advisor.verdict import decide, paired_gap
from tests.helpers import make_prior, make_profile, result

BASE = result("baseline", "baseline", [0.5, 0.5, 0.5, 0.5, 0.5])


def test_ties_go_to_the_simplest_family():
    res = [
        BASE,
        result("linear", "linear", [0.951, 0.948, 0.953, 0.950, 0.949]),
        result("lightgbm", "gbdt", [0.953, 0.950, 0.952, 0.951, 0.952]),
        result("mlp", "mlp", [0.950, 0.951, 0.949, 0.952, 0.948]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert rec.family == "linear"
    assert any("tie" in r for r in rec.reasons)
    assert "agree" in rec.decided_by  # the favoured gbdt ties with linear


def test_measurement_overrides_the_prior_beyond_noise():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69, 0.70, 0.70]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79, 0.80, 0.81]),
    ]
    rec = decide(make_profile(), make_prior("linear"), res, Constraints())
    assert rec.family == "gbdt"
    assert rec.decided_by.startswith("measurement overrode the rules")
    assert rec.confidence in ("medium", "low")


def test_agreement_beyond_noise_is_high_confidence():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert (rec.family, rec.confidence) == ("gbdt", "high")


def test_no_signal_recommends_no_family():
    res = [
        result("baseline", "baseline", [0.50, 0.50, 0.50]),
        result("linear", "linear", [0.51, 0.53, 0.50]),
        result("lightgbm", "gbdt", [0.52, 0.50, 0.54]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert rec.family == "none"
    assert "no model family is supported" in rec.decided_by


def test_interpretability_required_limits_the_choice_and_states_the_cost():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69]),
        result("lightgbm", "gbdt", [0.75, 0.76, 0.74]),
        result("mlp", "mlp", [0.85, 0.86, 0.84]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints(interpretability="required"))
    assert rec.family == "gbdt"
    assert rec.measured_family == "mlp"
    assert any("Interpretability is required" in r for r in rec.reasons)


def test_rules_only_when_nothing_was_measured():
    rec = decide(make_profile(), make_prior("linear"), [], Constraints())
    assert rec.family == "linear" and rec.confidence == "low"
    assert rec.decided_by.startswith("rules only")


def test_paired_gap_uses_fold_pairing():
    a = result("a", "gbdt", [0.80, 0.70, 0.90])
    b = result("b", "linear", [0.79, 0.69, 0.89])  # always 0.01 lower: no noise in the difference
    g = paired_gap(a, b)
    assert abs(g.gap - 0.01) < 1e-9 and g.noise < 1e-9


def test_a_budget_cut_favourite_is_flagged_as_a_lower_bound():
    cnn = result("cnn", "cnn", [0.55, 0.60, 0.58])
    cnn.notes = ["epochs cut at 4 by the time budget"]
    res = [BASE, result("pixels_gbdt", "gbdt", [0.97, 0.96, 0.98]), cnn]
    rec = decide(make_profile(modality="image"), make_prior("cnn"), res, Constraints())
    assert rec.family == "gbdt"
    assert "lower bound" in rec.decided_by and rec.confidence == "low"


def test_leakage_that_changes_the_verdict_lowers_confidence():
    from advisor.report.model import LeakageCheck
    from advisor.verdict import account_for_leakage

    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    check = LeakageCheck(["refund"], res[2].score, res[1].score, "gbdt", "none")
    account_for_leakage(rec, check)
    assert rec.confidence == "low" and any("becomes none" in r for r in rec.reasons)


def test_few_folds_need_a_larger_gap_to_count_as_signal():
    # 3 folds: 0.563 ± 0.040 over a 0.5 baseline is within Student's t at 2 degrees of freedom.
    res = [result("baseline", "baseline", [0.5, 0.5, 0.5]), result("mlp", "mlp", [0.52, 0.60, 0.57])]
    rec = decide(make_profile(n_rows=300), make_prior("linear"), res, Constraints())
    assert rec.family == "none"


def failed(name: str, family: str, reason: str):
    from advisor.probe_api import ProbeResult

    return ProbeResult(name=name, family=family, status="failed", reason=reason)


def test_all_probes_failed_says_nothing_was_measured():
    from advisor.probe_api import ProbeResult

    boom = "IndexError: index 1 is out of bounds (fold 1 of 5)"
    res = [
        failed("baseline", "baseline", boom),
        failed("linear", "linear", boom),
        failed("lightgbm", "gbdt", boom),
        ProbeResult(name="cnn", family="cnn", status="skipped", reason="does not handle tabular data"),
    ]
    rec = decide(make_profile(), make_prior("linear"), res, Constraints())
    assert (rec.family, rec.confidence, rec.measured_family, rec.ranking) == ("linear", "low", "", [])
    assert rec.decided_by.startswith("rules only, nothing measured")
    assert f"linear, lightgbm: {boom}" in rec.decided_by  # failures grouped by reason
    assert "does not handle" not in rec.decided_by  # skipped probes are not failures
    assert rec.reasons[0].startswith("Nothing was measured: 2 model probe(s) failed")
    assert rec.next_steps and "Fix what made the probes fail" in rec.next_steps[0]


def test_models_failing_beside_a_scored_baseline_is_still_unmeasured():
    res = [BASE, failed("linear", "linear", "ValueError: x"), failed("mlp", "mlp", "RuntimeError: y")]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert rec.family == "gbdt" and rec.confidence == "low"
    assert "linear: ValueError: x; mlp: RuntimeError: y" in rec.decided_by


def test_advice_keeps_the_verdicts_own_steps():
    from advisor.advice import next_steps, would_change
    from advisor.facts import ComputeInfo

    rec = decide(make_profile(), make_prior("linear"), [failed("linear", "linear", "boom")], Constraints())
    compute = ComputeInfo(cpu_cores=2, memory_gb=4.0)
    assert next_steps(rec, make_profile(), compute)[0] == rec.next_steps[0]
    assert would_change(rec, make_profile(), compute, Constraints(), [])[0] == rec.would_change[0]
