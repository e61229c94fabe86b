"""Reconcile the rules' prior with the probes' measurements into a verdict.

The policy, from FRAMEWORK.md and issue 14:

- Each comparison is a correlated Bayesian t-test on the paired folds
  (``compare``): the leader practically better, the two practically
  equivalent, or the other better, with a region of practical equivalence
  (``Constraints.rope``, 0.01 of the metric by default).
- Walking from the simplest measured family up, a simpler family wins as soon
  as it is practically equivalent or better than the leader with probability
  >= 0.95 ("measured"); the leader wins when it is practically better than
  every simpler family with probability >= 0.95 ("measured"). Otherwise the
  comparison is undetermined and the verdict leans to its more probable side
  ("leaning", low confidence), naming the alternative.
- Fewer than ``MIN_PAIRS`` paired folds never decide: the comparison is
  undetermined, whatever its probabilities.
- When the best family is not practically better than the trivial baseline
  (by ``MIN_SIGNAL``) with probability >= 0.95, no family is supported.
- A probe the clock cut (not converged) that loses is named: its score is a
  lower bound and the comparison unfair; confidence drops.
- A required interpretability constraint limits the choice to interpretable
  families, and the reasons say what that costs.
"""

from __future__ import annotations

import math

from advisor import families
from advisor.engine.model import Prior
from advisor.facts import Constraints, DatasetProfile
from advisor.families import BASELINE, NONE
from advisor.probe_api import ProbeResult, fmt_score
from advisor.verdict.bayes import correlated_ttest
from advisor.verdict.explain import explain
from advisor.verdict.model import Comparison, Confidence, Ranked, Recommendation

PROBABILITY = 0.95  # a comparison decides when one side reaches this posterior probability
MIN_PAIRS = 5  # fewer paired folds never decide a comparison
# A model must beat the trivial baseline by at least this much (in the primary
# metric), with PROBABILITY, to count as signal.
MIN_SIGNAL = 0.02
TINY_DATA_ROWS = 1_000


def paired_diffs(a: ProbeResult, b: ProbeResult) -> list[float]:
    """Per-fold ``a - b`` over the folds both scored (the plan gives every probe the same folds)."""
    assert a.score is not None and b.score is not None
    return [
        x - y
        for x, y in zip(a.score.folds, b.score.folds, strict=False)
        if not (math.isnan(x) or math.isnan(y))
    ]


def compare(leader: ProbeResult, other: ProbeResult, rope: float, metric: str = "") -> Comparison:
    """``leader`` against ``other`` on their paired folds (see advisor.verdict.bayes)."""
    assert leader.score is not None and other.score is not None
    diffs = paired_diffs(leader, other)
    n_total = leader.n_train + leader.n_test
    rho = leader.n_test / n_total if n_total else 1.0 / max(len(diffs), 2)
    post = correlated_ttest(diffs, rho, rope)
    mean = leader.score.mean - other.score.mean
    if post is None:
        # One fold: no spread of differences, so no posterior; nothing is decided.
        p_lead, p_eq, p_other = (float("nan"),) * 3
    else:
        mean, p_lead, p_eq, p_other = post.mean, post.p_right_better, post.p_equivalent, post.p_left_better
    enough = len(diffs) >= MIN_PAIRS
    # "equivalent": the simpler of the two is practically equivalent or better, so it wins.
    simpler_leads = families.rank(leader.family) < families.rank(other.family)
    p_simpler_not_worse = p_lead + p_eq if simpler_leads else p_eq + p_other
    if enough and p_lead >= PROBABILITY:
        outcome = "leader"
    elif enough and p_simpler_not_worse >= PROBABILITY:
        outcome = "equivalent"
    else:
        outcome = "undetermined"
    return Comparison(
        leader=leader.family,
        other=other.family,
        metric=metric or leader.metric,
        mean_diff=round(mean, 6),
        n_pairs=len(diffs),
        rho=round(rho, 4),
        rope=rope,
        p_leader_better=_p(p_lead),
        p_equivalent=_p(p_eq),
        p_other_better=_p(p_other),
        outcome=outcome,  # type: ignore[arg-type]
        enough_folds=enough,
    )


def _p(x: float) -> float:
    return x if math.isnan(x) else round(x, 4)


def posterior_sd(leader: ProbeResult, other: ProbeResult) -> float:
    diffs = paired_diffs(leader, other)
    if len(diffs) < 2:
        return math.hypot(leader.score.std, other.score.std)  # type: ignore[union-attr]
    n_total = leader.n_train + leader.n_test
    rho = min(leader.n_test / n_total if n_total else 0.5, 0.99)
    mean = sum(diffs) / len(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1)
    return math.sqrt((1 / len(diffs) + rho / (1 - rho)) * var)


def best_by_family(results: list[ProbeResult]) -> dict[str, ProbeResult]:
    best: dict[str, ProbeResult] = {}
    for r in results:
        if r.score is None or r.family == BASELINE or math.isnan(r.score.mean):
            continue
        if r.family not in best or r.score.mean > best[r.family].score.mean:  # type: ignore[union-attr]
            best[r.family] = r
    return best


def _baseline(results: list[ProbeResult]) -> ProbeResult | None:
    return next((r for r in results if r.family == BASELINE and r.score is not None), None)


def _failures(results: list[ProbeResult]) -> dict[str, list[str]]:
    """Failure reason -> names of the model probes that ran but produced no score."""
    failed: dict[str, list[str]] = {}
    for r in results:
        if r.family == BASELINE or r.status in ("skipped", "not_applicable"):
            continue
        if r.score is None or math.isnan(r.score.mean):
            failed.setdefault(r.reason or "no score", []).append(r.name)
    return failed


def _unmeasured(profile: DatasetProfile, prior: Prior, results: list[ProbeResult], rule_reasons: list[str]):
    """No model was scored: the rules' favourite, at low confidence, saying plainly why."""
    base = Recommendation(
        family=prior.favoured,
        model=families.starter(prior.favoured, profile.modality),
        confidence="low",
        decided_by="",
        reasons=rule_reasons[:6],
        rule_ids=[f.id for f in prior.fired],
        prior_family=prior.favoured,
        decision="rules_only",
    )
    failed = _failures(results)
    if not failed:
        why = "; ".join(f"{r.name}: {r.reason}" for r in results if r.reason) or "probes were not run"
        base.decided_by = f"rules only: no model could be measured ({why})"
        return base
    n_failed = sum(len(names) for names in failed.values())
    why = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in failed.items())
    base.decided_by = (
        f"rules only, nothing measured: every model probe that ran failed ({why}), "
        f"so {prior.favoured} is the rules' prior alone, not a measured choice"
    )
    base.reasons.insert(
        0,
        f"Nothing was measured: {n_failed} model probe(s) failed, so no score supports or contradicts "
        f"the rules' favourite ({prior.favoured}); treat it as a starting guess.",
    )
    base.would_change = [
        "Probes that run: once the failures above are fixed, the measurement may overturn the rules' choice."
    ]
    base.next_steps = [
        f"Fix what made the probes fail ({next(iter(failed))}) and re-run before relying on this verdict."
    ]
    return base


def probabilities(c: Comparison) -> str:
    """``P(a better) 0.90, P(equivalent, ±0.01) 0.08, P(b better) 0.02 on 5 paired folds``."""
    if math.isnan(c.p_leader_better):
        return f"no posterior: {c.n_pairs} paired fold(s)"
    text = (
        f"P({c.leader} better) {c.p_leader_better:.2f}, P(practically equivalent, ±{c.rope:g}) "
        f"{c.p_equivalent:.2f}, P({c.other} better) {c.p_other_better:.2f} on {c.n_pairs} paired folds"
    )
    return text if c.enough_folds else text + f" (fewer than {MIN_PAIRS}: undetermined)"


def _no_signal(profile, prior, top, baseline, signal, ranking, reasons, rule_reasons) -> Recommendation:
    return Recommendation(
        family=NONE,
        model=families.starter(NONE, profile.modality),
        confidence="medium" if profile.n_rows >= TINY_DATA_ROWS and signal.enough_folds else "low",
        decided_by=(
            f"measurement: the best model ({top.name}, {fmt_score(top.score)}) is not clearly above the "
            f"trivial baseline ({fmt_score(baseline.score)}), so no model family is supported by this data yet"
        ),
        reasons=[*reasons, f"Against the baseline (by more than {MIN_SIGNAL:g}): {probabilities(signal)}."]
        + rule_reasons[:3],
        rule_ids=[f.id for f in prior.fired],
        would_change=[
            "Different or more informative features (the current ones carry no measurable signal).",
            "A different target definition (e.g. a longer horizon or a coarser label).",
            "More rows only if the learning curves rise; here they do not show a usable gain.",
        ],
        next_steps=[
            "Check that the target is the column you meant (--target) and is not shuffled or misaligned.",
            "Do not build a model yet: revisit what is measured before choosing a family.",
        ],
        ranking=ranking,
        prior_family=prior.favoured,
        measured_family=NONE,
        decision="no_signal",
        signal=signal,
    )


def _choose(leader: str, best: dict[str, ProbeResult], comps: dict[str, Comparison]) -> tuple[str, bool, str]:
    """(measured family, decided, alternative): walk from the simplest family up.

    A simpler family is chosen as soon as it is practically equivalent or better
    than the leader with PROBABILITY ("decided"), or, undetermined, when that is
    the more probable side ("leaning", the leader the alternative). Otherwise the
    leader is chosen; "decided" only if it is practically better than every
    simpler family, and practically equivalent or better than every more complex
    one, each with PROBABILITY on at least MIN_PAIRS paired folds.
    """
    undetermined: list[str] = []
    rivals = sorted((f for f in best if f != leader), key=families.rank)
    for fam in rivals:
        c = comps[fam]
        if families.rank(fam) >= families.rank(leader):
            # A more complex rival behind the simpler leader: the leader needs only not to be worse.
            if c.outcome == "undetermined":
                undetermined.append(fam)
            continue
        if c.outcome == "equivalent":
            return fam, True, ""
        if c.outcome == "undetermined":
            if c.p_other_not_worse > c.p_leader_better or math.isnan(c.p_leader_better):
                return fam, False, leader
            undetermined.append(fam)
    return leader, not undetermined, undetermined[0] if undetermined else ""


def decide(
    profile: DatasetProfile,
    prior: Prior,
    results: list[ProbeResult],
    constraints: Constraints,
    *,
    metric: str = "",
    partial: bool = False,
) -> Recommendation:
    """The verdict: family, starting model, confidence, reasons and the evidence behind them."""
    rule_reasons = [f"[{f.id}] {f.because}" for f in prior.fired if f.effects]
    best = best_by_family(results)
    if not best:
        return _unmeasured(profile, prior, results, rule_reasons)
    rope = constraints.rope
    ordered = sorted(best.values(), key=lambda r: -r.score.mean)  # type: ignore[union-attr]
    top = ordered[0]
    leader = top.family
    metric = metric or top.metric
    comps = {r.family: compare(top, r, rope, metric) for r in ordered[1:]}
    ranking = [
        Ranked(
            r.family,
            r.name,
            r.score,  # type: ignore[arg-type]
            0.0 if r is top else comps[r.family].mean_diff,  # paired: the same folds on both sides
            0.0 if r is top else round(posterior_sd(top, r), 6),
            r is top or comps[r.family].outcome != "leader",
            r.converged,
        )
        for r in ordered
    ]
    baseline = _baseline(results)
    scores_line = ", ".join(
        f"{r.family}{'' if r.probe == r.family else f' ({r.probe})'} {fmt_score(r.score)}"
        + ("" if r.converged else " (not converged)")
        for r in ranking
    )
    if baseline is not None:
        scores_line += f"; trivial baseline {fmt_score(baseline.score)}"
    reasons = [f"Measured {metric} on held-out folds: {scores_line}."]

    signal = None
    if baseline is not None:
        signal = compare(top, baseline, MIN_SIGNAL, metric)
        if not signal.p_leader_better >= PROBABILITY:  # NaN (one fold) is no signal either
            return _no_signal(profile, prior, top, baseline, signal, ranking, reasons, rule_reasons)

    measured_choice, decided, alternative = _choose(leader, best, comps)
    # Families practically not worse than the leader (ties): the rules' favourite among them agrees.
    equivalent = [leader] + [
        f for f, c in comps.items() if c.enough_folds and c.p_other_not_worse >= PROBABILITY
    ]
    measured, constraint_note = measured_choice, ""
    if constraints.interpretability == "required" and not families.interpretable(measured):
        allowed = [r for r in ranking if families.interpretable(r.family)]
        if allowed:
            lost = allowed[0]
            measured = lost.family
            constraint_note = (
                f"Interpretability is required, so {measured} is chosen over {measured_choice}; "
                f"it costs {lost.gap_to_best:.3f} {metric} (noise ±{lost.gap_noise:.3f})."
            )
    shown = [comps[f] for f in sorted(comps, key=families.rank)]
    for c in shown:
        reasons.append(f"{c.leader} against {c.other}: {probabilities(c)}.")
    if decided and measured_choice != leader:
        reasons.append(
            f"{measured_choice} is practically equivalent to {leader} (within ±{rope:g} {metric}) with probability "
            f"≥ {PROBABILITY}: the simpler family is preferred, cheaper and more interpretable."
        )
    elif not decided:
        reasons.append(
            f"The comparison of {measured_choice} with {alternative} is undetermined: the verdict leans to "
            f"{measured_choice}, the more probable side. More folds or more rows would settle it."
        )
    if constraint_note:
        reasons.append(constraint_note)

    unfair = [f for f, r in best.items() if not r.converged and f != measured]
    decided_by, agree = _reconcile(prior.favoured, measured, equivalent, best, ranking, decided, alternative)
    if unfair:
        decided_by += (
            f"; but the training of {', '.join(best[f].name for f in unfair)} was cut short by the time budget, "
            f"so {'its score is a lower bound' if len(unfair) == 1 else 'their scores are lower bounds'} and "
            "the comparison is unfair: re-run with a larger --budget (or on a GPU) before ruling "
            f"{'it' if len(unfair) == 1 else 'them'} out"
        )
    decisive = not agree and prior.favoured in best
    confidence = _confidence(
        profile, agree, decisive, measured_choice != leader, partial or bool(unfair), bool(constraint_note)
    )
    if not decided:
        confidence = "low"
    if profile.n_rows < TINY_DATA_ROWS:
        reasons.append(
            f"Only {profile.n_rows:,} rows: scores vary a lot between folds; read them with their spread."
        )
    reasons.extend(rule_reasons[:5])
    return Recommendation(
        family=measured,
        model=families.starter(measured, profile.modality),
        confidence=confidence,
        decided_by=decided_by,
        reasons=reasons,
        rule_ids=[f.id for f in prior.fired if f.effects.get(measured, 0) > 0] or [f.id for f in prior.fired],
        ranking=ranking,
        prior_family=prior.favoured,
        measured_family=measured_choice,
        decision="measured" if decided else "leaning",
        comparisons=shown,
        signal=signal,
        alternative=alternative,
        unfair=unfair,
        explanation=explain(best, ranking, equivalent, metric, list(profile.leakage_suspects))
        if constraints.goal == "explain"
        else None,
    )


def _reconcile(prior_fav, measured, equivalent, best, ranking, decided, alternative) -> tuple[str, bool]:
    """The one sentence on how the rules' prior and the measurement met, and whether they agree."""
    lean = "" if decided else f", leaning (undetermined against {alternative})"
    if prior_fav == measured or prior_fav in equivalent and decided:
        text = f"rules and measurement agree: the rules favoured {prior_fav}"
        text += " and it is the measured choice" if prior_fav == measured else f", which ties with {measured}"
        return text + lean, True
    if prior_fav in best:
        gap = next(r for r in ranking if r.family == prior_fav)
        return (
            f"measurement overrode the rules: they favoured {prior_fav}, which measured "
            f"{gap.gap_to_best:.3f} below the best (noise ±{gap.gap_noise:.3f})" + lean,
            False,
        )
    return (
        f"measurement among the families that ran: the rules favoured {prior_fav}, which was not measured"
        + lean,
        False,
    )


def _confidence(
    profile: DatasetProfile, agree: bool, decisive: bool, tie: bool, partial: bool, constrained: bool
) -> Confidence:
    """High when the rules agree with a clear measured winner; medium when the
    measurement decides on its own (it beat the rules' favourite) or a practical
    tie goes to the simplest family; low otherwise. Tiny data, partial runs,
    unfair comparisons and constraint-driven choices lower it."""
    if agree and not tie:
        level = 2
    elif agree or decisive:
        level = 1
    else:
        level = 0
    if profile.n_rows < TINY_DATA_ROWS or partial:
        level -= 1
    if constrained:
        level = min(level, 1)
    return ("low", "medium", "high")[max(level, 0)]  # type: ignore[return-value]
