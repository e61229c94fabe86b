"""The reconciliation policy of FRAMEWORK.md, on hand-made probe results.

The verdict hands over evidence (``Recommendation.evidence``, ``agreement``, the
comparisons); ``written`` adds the sentences the report writes from it.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.engine.model import FiredRule, Prior
from advisor.facts import ComputeInfo, Constraints
from advisor.probe_api import FAMILIES
from advisor.report.verdict_text import write_verdict
from advisor.verdict import check_leakage, compare, decide
from advisor.verdict.bayes import correlated_ttest
from advisor.verdict.model import Reason
from tests.helpers import make_prior, make_profile, result

BASE = result("baseline", "baseline", [0.5, 0.5, 0.5, 0.5, 0.5])
COMPUTE = ComputeInfo(cpu_cores=2, memory_gb=4.0)


def written(rec, leakage=None, prior=None):
    """The Recommendation (and leakage check) with the report's sentences."""
    return write_verdict(
        rec, leakage, profile=make_profile(), prior=prior or make_prior(), compute=COMPUTE,
        constraints=Constraints(), probes=[],
    )  # fmt: skip


def test_ties_go_to_the_simplest_family():
    res = [
        BASE,
        result("linear", "linear", [0.951, 0.948, 0.953, 0.950, 0.949]),
        result("lightgbm", "gbdt", [0.953, 0.950, 0.952, 0.951, 0.952]),
        result("mlp", "mlp", [0.950, 0.951, 0.949, 0.952, 0.948]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert rec.family == "linear" and rec.decision == "measured"
    assert Reason("simpler_preferred", "linear", "gbdt") in rec.evidence and rec.agreement == "tie"
    text, _ = written(rec)
    assert any("practically equivalent" in r for r in text.reasons)
    assert "agree" in text.decided_by  # the favoured gbdt ties with linear
    assert len(text.reasons) == len(rec.evidence) and not rec.reasons  # decide writes no sentence
    gbdt_vs_linear = next(c for c in rec.comparisons if c.other == "linear")
    assert gbdt_vs_linear.outcome == "equivalent" and gbdt_vs_linear.p_equivalent >= 0.95


def test_measurement_overrides_the_prior_beyond_noise():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69, 0.70, 0.70]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79, 0.80, 0.81]),
    ]
    rec = decide(make_profile(), make_prior("linear"), res, Constraints())
    assert rec.family == "gbdt" and rec.agreement == "overrode"
    assert written(rec)[0].decided_by.startswith("measurement overrode the rules")
    assert rec.confidence in ("medium", "low")


def test_agreement_beyond_noise_is_high_confidence():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69, 0.70, 0.71]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79, 0.80, 0.80]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert (rec.family, rec.confidence, rec.decision) == ("gbdt", "high", "measured")


def test_fewer_than_five_paired_folds_never_decide():
    """The same clear gap on 3 folds: the verdict leans, at low confidence, and says so."""
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert (rec.family, rec.confidence, rec.decision) == ("gbdt", "low", "leaning")
    assert rec.alternative == "linear"
    assert not rec.comparisons[0].enough_folds and rec.comparisons[0].outcome == "undetermined"


def test_a_cnn_six_points_ahead_on_three_folds_is_leaning_cnn_not_a_tie():
    """Issue 14's worked example: 0.952 ± 0.001 against 0.891 ± 0.019 on 3 folds."""
    res = [
        result("baseline", "baseline", [0.10, 0.10, 0.10]),
        result("linear", "linear", [0.870, 0.895, 0.908]),
        result("cnn", "cnn", [0.951, 0.952, 0.953]),
    ]
    rec = decide(make_profile(modality="signal"), make_prior("linear"), res, Constraints())
    assert (rec.family, rec.decision, rec.alternative) == ("cnn", "leaning", "linear")
    c = rec.comparisons[0]
    assert 0.8 < c.p_leader_better < 0.97


def test_three_families_within_a_point_lean_to_the_simplest():
    """Issue 14's other worked example: a few hundred rows, linear, gbdt and an MLP within a point."""
    res = [
        result("baseline", "baseline", [0.0] * 5, n_train=240, n_test=60),
        result("linear", "linear", [0.60, 0.66, 0.62, 0.57, 0.65], n_train=240, n_test=60),
        result("lightgbm", "gbdt", [0.61, 0.64, 0.63, 0.58, 0.64], n_train=240, n_test=60),
        result("mlp", "mlp", [0.61, 0.67, 0.62, 0.575, 0.655], n_train=240, n_test=60),
    ]
    rec = decide(make_profile(n_rows=300), make_prior("linear"), res, Constraints())
    assert rec.family == "linear" and rec.decision == "leaning" and rec.confidence == "low"
    mlp_vs_linear = next(c for c in rec.comparisons if c.other == "linear")
    assert mlp_vs_linear.p_other_not_worse > mlp_vs_linear.p_leader_better


def test_a_wider_rope_makes_a_small_gap_practically_equivalent():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69, 0.70, 0.71]),
        result("lightgbm", "gbdt", [0.73, 0.74, 0.72, 0.73, 0.735]),
    ]
    assert decide(make_profile(), make_prior("gbdt"), res, Constraints()).family == "gbdt"
    assert decide(make_profile(), make_prior("gbdt"), res, Constraints(rope=0.08)).family == "linear"


# The rules' prior on the sklearn digits pixel table (modality.signal): cnn +2, mlp +1, gbdt -1.
PIXEL_PRIOR = Prior(scores={**{f: 0 for f in FAMILIES}, "cnn": 2, "mlp": 1, "gbdt": -1}, favoured="cnn")
FLAT_PRIOR = Prior(scores={f: 0 for f in FAMILIES}, favoured="linear")
GBDT_FOLDS = [0.972, 0.978, 0.970, 0.976, 0.974]


def _pixels(cnn_ahead: list[float]) -> list:
    """A pixel GBDT and a CNN ahead of it by ``cnn_ahead`` on each of 5 folds of 1,797 rows."""
    return [
        result("baseline", "baseline", [0.02] * 5, n_train=1437, n_test=360),
        result("pixels_gbdt", "gbdt", GBDT_FOLDS, n_train=1437, n_test=360),
        result(
            "cnn",
            "cnn",
            [g + d for g, d in zip(GBDT_FOLDS, cnn_ahead, strict=True)],
            n_train=1437,
            n_test=360,
        ),
    ]


def test_the_rules_prior_decides_which_side_an_undetermined_comparison_leans_to():
    """A CNN 0.009 ahead on 5 folds: P(better) 0.36 against 0.64 equivalent or worse. The
    probabilities alone lean to the simpler GBDT; the rules, which expect the CNN on a pixel
    grid, tip it back to the leader, and the evidence says so."""
    res = _pixels([0.006, 0.014, 0.006, 0.012, 0.007])
    c = decide(make_profile(modality="signal"), FLAT_PRIOR, res, Constraints()).comparisons[0]
    assert c.outcome == "undetermined" and 0.3 < c.p_leader_better < 0.4
    flat = decide(make_profile(modality="signal"), FLAT_PRIOR, res, Constraints())
    assert (flat.family, flat.decision, flat.alternative) == ("gbdt", "leaning", "cnn")
    assert not any(r.kind == "prior_tipped" for r in flat.evidence)
    rec = decide(make_profile(modality="signal"), PIXEL_PRIOR, res, Constraints())
    assert (rec.family, rec.decision, rec.alternative, rec.agreement) == ("cnn", "leaning", "gbdt", "agree")
    assert Reason("prior_tipped", "cnn", "gbdt") in rec.evidence
    text, _ = written(rec, prior=PIXEL_PRIOR)
    assert any(r.startswith("On the probabilities alone it would lean to gbdt") and "cnn +2, gbdt -1" in r
               for r in text.reasons)  # fmt: skip


def test_a_prior_for_the_simpler_family_tips_a_lean_its_way_up_to_a_cap():
    """A CNN 0.011 ahead: P(better) 0.70, odds 2.4. Rules 6 points for GBDT (odds 4) outweigh
    it; at P(better) 0.82 (odds 4.7) no number of rule points does: the prior's odds stop at 4."""
    res = _pixels([0.009, 0.015, 0.008, 0.014, 0.010])
    leaning_cnn = decide(make_profile(modality="signal"), FLAT_PRIOR, res, Constraints())
    assert (leaning_cnn.family, leaning_cnn.decision) == ("cnn", "leaning")
    assert 0.65 < leaning_cnn.comparisons[0].p_leader_better < 0.75
    prior = Prior(scores={**FLAT_PRIOR.scores, "gbdt": 6}, favoured="gbdt")
    rec = decide(make_profile(modality="signal"), prior, res, Constraints())
    assert (rec.family, rec.decision, rec.alternative) == ("gbdt", "leaning", "cnn")
    assert Reason("prior_tipped", "gbdt", "cnn") in rec.evidence
    clearer = _pixels([0.010, 0.016, 0.009, 0.015, 0.011])
    assert (
        decide(make_profile(modality="signal"), FLAT_PRIOR, clearer, Constraints())
        .comparisons[0]
        .p_leader_better
        > 0.8
    )
    many_rules = Prior(scores={**FLAT_PRIOR.scores, "gbdt": 20}, favoured="gbdt")
    assert decide(make_profile(modality="signal"), many_rules, clearer, Constraints()).family == "cnn"


def test_a_favoured_leader_that_loses_the_lean_is_not_said_to_have_lost():
    """A CNN 0.008 ahead: 0.81 equivalent or worse, more than the prior's odds of 2 undo. The
    verdict leans to GBDT, and says the favoured CNN leads (not "measured 0.000 below the best")."""
    res = _pixels([0.004, 0.012, 0.005, 0.011, 0.006])
    rec = decide(make_profile(modality="signal"), PIXEL_PRIOR, res, Constraints())
    assert (rec.family, rec.decision, rec.agreement) == ("gbdt", "leaning", "leads")
    assert not any(r.kind == "prior_tipped" for r in rec.evidence)
    decided_by = written(rec, prior=PIXEL_PRIOR)[0].decided_by
    assert decided_by.startswith("the rules favoured cnn, which leads the measurement, but the simpler gbdt")
    assert "below the best" not in decided_by


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-0.05, 0.05), min_size=5, max_size=5),
    st.lists(st.floats(-0.05, 0.05), min_size=5, max_size=5),
    st.dictionaries(st.sampled_from(["linear", "gbdt", "mlp"]), st.integers(-6, 6)),
)
def test_the_prior_never_moves_a_verdict_whose_comparisons_are_all_decided(gbdt, mlp, scores):
    linear = [0.80, 0.81, 0.79, 0.80, 0.82]
    res = [
        BASE,
        result("linear", "linear", linear),
        result("lightgbm", "gbdt", [a + b for a, b in zip(linear, gbdt, strict=True)]),
        result("mlp", "mlp", [a + b for a, b in zip(linear, mlp, strict=True)]),
    ]
    flat = decide(make_profile(), FLAT_PRIOR, res, Constraints())
    if any(c.outcome == "undetermined" for c in flat.comparisons):
        return
    prior = Prior(scores={**FLAT_PRIOR.scores, **scores}, favoured="linear")
    rec = decide(make_profile(), prior, res, Constraints())
    assert (rec.family, rec.decision) == (flat.family, flat.decision)


def test_no_signal_recommends_no_family():
    res = [
        result("baseline", "baseline", [0.50, 0.50, 0.50]),
        result("linear", "linear", [0.51, 0.53, 0.50]),
        result("lightgbm", "gbdt", [0.52, 0.50, 0.54]),
    ]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert rec.family == "none" and [r.kind for r in rec.evidence] == ["scores", "signal"]
    assert "no model family is supported" in written(rec)[0].decided_by


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
    assert Reason("interpretability_cost", "gbdt", "mlp") in rec.evidence
    assert any("Interpretability is required" in r for r in written(rec)[0].reasons)
    # The rules' favourite led the measurement and the constraint passed it over: it did not lose.
    favoured_mlp = decide(make_profile(), make_prior("mlp"), res, Constraints(interpretability="required"))
    assert (favoured_mlp.family, favoured_mlp.agreement) == ("gbdt", "leads")
    decided_by = written(favoured_mlp, prior=make_prior("mlp"))[0].decided_by
    assert decided_by.startswith(
        "the rules favoured mlp, which leads the measurement, but interpretability is required"
    )


def test_rules_only_when_nothing_was_measured():
    rec = decide(make_profile(), make_prior("linear"), [], Constraints())
    assert rec.family == "linear" and rec.confidence == "low"
    assert written(rec)[0].decided_by.startswith("rules only")


def test_the_rules_behind_a_verdict_are_cited_by_id():
    fired = [
        FiredRule("scale.small", "t", "scale", {"gbdt": 2}, "Few rows, so boosted trees.", "s"),
        FiredRule("no.effect", "t", "x", {}, "Nothing.", "s"),
    ]
    prior = make_prior("gbdt", fired=fired)
    res = [BASE, result("lightgbm", "gbdt", [0.80, 0.81, 0.79, 0.80, 0.80])]
    rec = decide(make_profile(), prior, res, Constraints())
    assert rec.evidence[-1] == Reason("rule", rule_id="scale.small") and rec.rule_ids == ["scale.small"]
    assert written(rec, prior=prior)[0].reasons[-1] == "[scale.small] Few rows, so boosted trees."


def test_comparison_uses_fold_pairing():
    a = result("a", "gbdt", [0.80, 0.70, 0.90, 0.75, 0.85])
    b = result("b", "linear", [0.75, 0.65, 0.85, 0.70, 0.80])  # always 0.05 lower: no noise in the difference
    c = compare(a, b, rope=0.01)
    assert abs(c.mean_diff - 0.05) < 1e-9 and c.p_leader_better == 1.0 and c.outcome == "leader"
    assert c.rho == 0.2  # n_test / n_total


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-0.2, 0.2), min_size=2, max_size=25),
    st.floats(0.05, 0.5),
    st.floats(0.0, 0.05),
)
def test_posterior_probabilities_sum_to_one_and_mirror(diffs, rho, rope):
    post = correlated_ttest(diffs, rho, rope)
    mirror = correlated_ttest([-d for d in diffs], rho, rope)
    assert post is not None and mirror is not None
    total = post.p_left_better + post.p_equivalent + post.p_right_better
    assert math.isclose(total, 1.0, abs_tol=1e-9)
    assert math.isclose(post.p_right_better, mirror.p_left_better, abs_tol=1e-9)


def test_more_paired_folds_sharpen_the_posterior():
    few = correlated_ttest([0.03, 0.05, 0.04], 0.2, 0.01)
    many = correlated_ttest([0.03, 0.05, 0.04] * 5, 0.2, 0.01)
    assert few is not None and many is not None and many.p_right_better > few.p_right_better


def test_a_budget_cut_favourite_is_flagged_as_a_lower_bound():
    cnn = result("cnn", "cnn", [0.55, 0.60, 0.58])
    cnn.converged = False  # the runner sets this when the clock cut a full-size fit
    res = [BASE, result("pixels_gbdt", "gbdt", [0.97, 0.96, 0.98]), cnn]
    rec = decide(make_profile(modality="image"), make_prior("cnn"), res, Constraints())
    assert rec.family == "gbdt" and rec.unfair == ["cnn"]
    decided_by = written(rec)[0].decided_by
    assert "lower bound" in decided_by and "unfair" in decided_by and rec.confidence == "low"
    assert not next(r for r in rec.ranking if r.family == "cnn").converged


def _leaky_runs():
    """Every family near-perfect with a leaked column; the classical ones re-measured without it."""
    with_leak = [
        BASE,
        result("linear", "linear", [0.999, 0.998, 0.999, 0.999, 0.998]),
        result("lightgbm", "gbdt", [1.0, 1.0, 1.0, 1.0, 1.0]),
        result("mlp", "mlp", [0.999, 1.0, 0.999, 0.999, 1.0]),
    ]
    without = [
        BASE,
        result("linear", "linear", [0.80, 0.81, 0.79, 0.80, 0.81]),
        result("lightgbm", "gbdt", [0.72, 0.71, 0.73, 0.72, 0.72]),
    ]
    return with_leak, without


def test_a_confirmed_leak_is_excluded_from_the_headline():
    with_leak, without = _leaky_runs()
    profile = make_profile(leakage_suspects=["refund"])
    rec = decide(profile, make_prior("gbdt"), with_leak, Constraints())
    headline, check, probes = check_leakage(
        rec, profile, make_prior("gbdt"), with_leak, without, Constraints()
    )
    assert headline.family == "linear" and probes is without
    assert check.excluded == ["refund"] and check.kept == [] and check.probes_with is with_leak
    assert check.comparison is not None and check.comparison.p_leader_better >= 0.95
    assert check.not_rechecked == ["mlp"]
    kinds = [r.kind for r in headline.evidence]
    assert kinds[:3] == ["scores", "leakage_excluded", "leakage_not_rechecked"]
    text, check = written(headline, check)
    assert any("excluded from this verdict" in r for r in text.reasons)
    assert any("mlp was measured only with" in r for r in text.reasons)
    assert "confirmed" in check.summary and "not confirmed" not in check.summary


def test_a_suspect_that_changes_nothing_stays_in_named():
    res = [
        BASE,
        result("linear", "linear", [0.70, 0.71, 0.69, 0.70, 0.71]),
        result("lightgbm", "gbdt", [0.80, 0.81, 0.79, 0.80, 0.80]),
    ]
    without = [
        BASE,
        result("linear", "linear", [0.70, 0.709, 0.69, 0.70, 0.71]),
        result("lightgbm", "gbdt", [0.80, 0.808, 0.79, 0.80, 0.80]),
    ]
    profile = make_profile(leakage_suspects=["age"])
    rec = decide(profile, make_prior("gbdt"), res, Constraints())
    headline, check, probes = check_leakage(rec, profile, make_prior("gbdt"), res, without, Constraints())
    assert probes is res and headline.family == rec.family == "gbdt"
    assert headline.evidence[1] == Reason("leakage_kept") and Reason("leakage_kept") not in rec.evidence
    assert check.kept == ["age"] and check.excluded == [] and not check.summary
    assert "not confirmed" in written(headline, check)[1].summary


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
        ProbeResult(name="cnn", family="cnn", status="not_applicable", reason="does not handle tabular data"),
    ]
    rec = decide(make_profile(), make_prior("linear"), res, Constraints())
    assert (rec.family, rec.confidence, rec.measured_family, rec.ranking) == ("linear", "low", "", [])
    assert [(u.reason, u.probes) for u in rec.failures] == [(boom, ["linear", "lightgbm"])]
    text, _ = written(rec)
    assert text.decided_by.startswith("rules only, nothing measured")
    assert f"linear, lightgbm: {boom}" in text.decided_by  # failures grouped by reason
    assert "does not handle" not in text.decided_by  # skipped probes are not failures
    assert text.reasons[0].startswith("Nothing was measured: 2 model probe(s) failed")
    assert text.next_steps and "Fix what made the probes fail" in text.next_steps[0]


def test_models_failing_beside_a_scored_baseline_is_still_unmeasured():
    res = [BASE, failed("linear", "linear", "ValueError: x"), failed("mlp", "mlp", "RuntimeError: y")]
    rec = decide(make_profile(), make_prior("gbdt"), res, Constraints())
    assert rec.family == "gbdt" and rec.confidence == "low"
    assert "linear: ValueError: x; mlp: RuntimeError: y" in written(rec)[0].decided_by


def test_a_pixel_table_is_advised_a_small_cnn_not_a_pretrained_image_model():
    """8 x 8 digits are a few dozen values a row: the advice there is a small CNN from scratch; an
    image folder keeps the pretrained CNN."""
    from advisor.advice import next_steps

    pixels = make_profile(modality="signal")
    rec = decide(pixels, PIXEL_PRIOR, _pixels([0.03, 0.04, 0.03, 0.035, 0.03]), Constraints())
    assert rec.family == "cnn" and rec.model.startswith("a small CNN over the columns laid out as their grid")
    steps = " ".join(next_steps(rec, pixels, COMPUTE))
    assert "Tune the small CNN" in steps and "ResNet" not in steps
    gbdt = decide(pixels, FLAT_PRIOR, _pixels([0.0, 0.001, -0.001, 0.0, 0.0]), Constraints())
    assert gbdt.family == "gbdt" and "pretrained CNN" not in " ".join(next_steps(gbdt, pixels, COMPUTE))
    images = make_profile(modality="image")
    assert (
        "ResNet-18"
        in decide(images, PIXEL_PRIOR, _pixels([0.03, 0.04, 0.03, 0.035, 0.03]), Constraints()).model
    )
    assert "pretrained CNN" in " ".join(next_steps(gbdt, images, COMPUTE))


def test_advice_puts_how_the_verdict_was_reached_first():
    from advisor.advice import next_steps, would_change

    rec = decide(make_profile(), make_prior("linear"), [failed("linear", "linear", "boom")], Constraints())
    assert next_steps(rec, make_profile(), COMPUTE)[0].startswith("Fix what made the probes fail (boom)")
    assert would_change(rec, make_profile(), COMPUTE, Constraints(), [])[0].startswith("Probes that run")
    quiet = [result("baseline", "baseline", [0.5] * 3), result("linear", "linear", [0.51, 0.53, 0.50])]
    none = decide(make_profile(), make_prior("linear"), quiet, Constraints())
    assert next_steps(none, make_profile(), COMPUTE)[0].startswith("Check that the target")


def test_a_simplest_leader_must_be_shown_not_worse_to_be_decided():
    """Linear leads, but a noisy gbdt might still be better: the verdict leans linear and says so."""
    res = [
        BASE,
        result("linear", "linear", [0.80, 0.82, 0.79, 0.81, 0.80]),
        result("lightgbm", "gbdt", [0.76, 0.86, 0.74, 0.84, 0.79]),
    ]
    rec = decide(make_profile(), make_prior("linear"), res, Constraints())
    assert (rec.family, rec.decision, rec.alternative, rec.confidence) == ("linear", "leaning", "gbdt", "low")
    quiet = [BASE, res[1], result("lightgbm", "gbdt", [0.70, 0.71, 0.69, 0.70, 0.71])]
    assert decide(make_profile(), make_prior("linear"), quiet, Constraints()).decision == "measured"


def test_a_simpler_leader_not_worse_than_a_complex_rival_is_decided():
    """Linear a hair ahead of a net on 5 folds: not better, but practically not worse, so decided."""
    res = [
        BASE,
        result("linear", "linear", [0.808, 0.811, 0.806, 0.809, 0.810]),
        result("mlp", "mlp", [0.805, 0.809, 0.804, 0.806, 0.808]),
    ]
    rec = decide(make_profile(), make_prior("linear"), res, Constraints())
    (c,) = rec.comparisons
    assert c.leader == "linear" and c.p_leader_better < 0.95 <= c.p_leader_better + c.p_equivalent
    assert c.outcome == "equivalent" and rec.decision == "measured" and rec.family == "linear"


def test_every_format_shows_the_sentences_written_from_the_evidence(tmp_path):
    import json

    from advisor.pipeline import recommend
    from advisor.report.json_report import render_json
    from advisor.report.markdown import render_markdown
    from advisor.report.terminal import render_text

    path = tmp_path / "tiny.csv"
    path.write_text("a,b,y\n" + "".join(f"{i % 7},{i % 3},{'pq'[i % 2]}\n" for i in range(40)))
    report = recommend(path, probes=False, budget=5)
    rec = report.recommendation
    assert rec.decision == "rules_only" and rec.decided_by.startswith(
        "rules only: no model could be measured"
    )
    assert rec.evidence and all(r.kind == "rule" for r in rec.evidence)  # tiny data: rules fire
    assert len(rec.reasons) == len(rec.evidence)
    data = json.loads(render_json(report))["recommendation"]
    assert data["reasons"] == rec.reasons and [r["rule_id"] for r in data["evidence"]] == [
        r.rule_id for r in rec.evidence
    ]
    markdown, text = render_markdown(report), render_text(report)
    for reason in rec.reasons:  # rule ids and their sentences, the same in each format
        rule_id = reason.split("]")[0].strip("[")
        assert rule_id in markdown and rule_id in text


def test_comparison_table_names_the_side_that_is_no_worse():
    # "equivalent" is the simpler side's P(better) + P(equivalent) reaching the threshold; with
    # P(equiv.) 0.07 beside it, "practically equivalent" misread it (diabetes, linear vs gbdt).
    from advisor.report.sections_verdict import comparison_section
    from advisor.verdict.model import Comparison

    def row(leader, other, outcome):
        c = Comparison(leader, other, "r2", 0.05, 25, 0.2, 0.01, 0.88, 0.07, 0.05, outcome)
        return comparison_section([c], "leaning").tables[0].rows[0][-1]

    assert row("linear", "gbdt", "equivalent") == "linear no worse"
    assert row("mlp", "linear", "equivalent") == "linear no worse"
    assert row("gbdt", "linear", "leader") == "leader better"


def test_a_family_not_rechecked_without_the_leak_caps_confidence_at_medium():
    # The net was measured only with the leaked columns: the leak-free headline never met it.
    with_leak, without = _leaky_runs()
    profile = make_profile(leakage_suspects=["refund"])
    prior = make_prior("linear")
    rec = decide(profile, prior, with_leak, Constraints())
    headline, check, _ = check_leakage(rec, profile, prior, with_leak, without, Constraints())
    assert check.not_rechecked == ["mlp"] and headline.family == "linear"
    assert headline.confidence == "medium"
    # The same measurements with every family re-measured: nothing is missing, and it is high.
    alone = decide(profile, prior, without, Constraints())
    assert alone.family == "linear" and alone.confidence == "high"


def test_an_undetermined_comparison_on_many_folds_asks_for_rows_not_folds() -> None:
    from advisor.report.verdict_text import _what_would_settle
    from advisor.verdict.model import Comparison

    def comparison(n: int) -> Comparison:
        return Comparison("linear", "gbdt", "f1", 0.008, n, 0.2, 0.01, 0.45, 0.44, 0.11, "undetermined")

    assert _what_would_settle(comparison(5)).startswith("More folds or more rows")
    many = _what_would_settle(comparison(25))
    assert many.startswith("Only more rows") and "by 7% at most" in many


def test_on_mixed_data_the_starting_model_follows_what_the_winning_probe_read() -> None:
    from dataclasses import replace

    from advisor import families

    mixed = make_profile(modality="mixed")
    tabular = result("linear", "linear", [0.80, 0.81, 0.79, 0.80, 0.80])
    tfidf = replace(result("text_linear", "linear", [0.77, 0.78, 0.76, 0.77, 0.77]), reads_text=True)
    trees = result("lightgbm", "gbdt", [0.70, 0.71, 0.69, 0.70, 0.70])
    rec = decide(mixed, make_prior("linear"), [BASE, tabular, tfidf, trees], Constraints())
    # The text added nothing: the tabular model is the one to start with, and a reason says why.
    assert rec.model == families.starter("linear", "tabular") != families.starter("linear", "mixed")
    assert Reason("text_left_out", "linear", "text_linear") in rec.evidence
    text, _ = written(rec)
    assert any("leaves the free text out" in r and "`text_linear`" in r for r in text.reasons)

    better = replace(result("text_linear", "linear", [0.85, 0.86, 0.84, 0.85, 0.85]), reads_text=True)
    rec = decide(mixed, make_prior("linear"), [BASE, tabular, better, trees], Constraints())
    assert rec.model == families.starter("linear", "mixed")  # TF-IDF won: its starter
    assert not any(r.kind == "text_left_out" for r in rec.evidence)
