"""The verdict's sentences, written from its evidence.

The verdict (advisor/verdict/) hands over families, scores, comparisons with
their probabilities, and reasons by kind with the rule ids and facts they rest
on; this module writes the sentences once, and every format (terminal,
Markdown, HTML, and the derived text fields of the JSON) shows the same ones.
Sentences are light Markdown: the names of columns go through ``code``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from advisor.engine.model import Prior
from advisor.facts import ComputeInfo, Constraints, DatasetProfile
from advisor.probe_api import ProbeResult, fmt_score
from advisor.text import code
from advisor.verdict.comparisons import MIN_PAIRS, PROBABILITY
from advisor.verdict.model import Comparison, LeakageCheck, Reason, Recommendation, Unscored

# Unlimited repeats of the split would narrow an undetermined comparison by at least this: "more folds" helps.
SETTLE_BY_FOLDS = 0.2


def write_verdict(
    rec: Recommendation,
    leakage: LeakageCheck | None,
    *,
    profile: DatasetProfile,
    prior: Prior,
    compute: ComputeInfo,
    constraints: Constraints,
    probes: list[ProbeResult],
) -> tuple[Recommendation, LeakageCheck | None]:
    """``rec`` and ``leakage`` with their sentences, written from their evidence.

    ``probes``: the run the headline rests on (its learning curves feed what would change it).
    """
    from advisor.advice import next_steps, would_change

    written = replace(
        rec,
        decided_by=decided_by(rec),
        reasons=[reason_text(r, rec, prior, leakage) for r in rec.evidence],
        would_change=would_change(rec, profile, compute, constraints, probes),
        next_steps=next_steps(rec, profile, compute),
    )
    return written, None if leakage is None else replace(leakage, summary=leakage_summary(leakage))


def probabilities(c: Comparison) -> str:
    """``P(a better) 0.90, P(equivalent, ±0.01) 0.08, P(b better) 0.02 on 5 paired folds``."""
    if math.isnan(c.p_leader_better):
        return f"no posterior: {c.n_pairs} paired fold(s)"
    text = (
        f"P({c.leader} better) {c.p_leader_better:.2f}, P(practically equivalent, ±{c.rope:g}) "
        f"{c.p_equivalent:.2f}, P({c.other} better) {c.p_other_better:.2f} on {c.n_pairs} paired folds"
    )
    return text if c.enough_folds else text + f" (fewer than {MIN_PAIRS}: undetermined)"


def _unscored(groups: list[Unscored]) -> str:
    return "; ".join(f"{', '.join(u.probes)}: {u.reason}" for u in groups)


def decided_by(rec: Recommendation) -> str:
    """The one sentence on how the rules' prior and the measurement were reconciled."""
    if rec.decision == "rules_only":
        if not rec.failures:
            return (
                f"rules only: no model could be measured ({_unscored(rec.unscored) or 'probes were not run'})"
            )
        return (
            f"rules only, nothing measured: every model probe that ran failed ({_unscored(rec.failures)}), "
            f"so {rec.prior_family} is the rules' prior alone, not a measured choice"
        )
    if rec.decision == "no_signal":
        top = rec.ranking[0]
        return (
            f"measurement: the best model ({top.probe}, {fmt_score(top.score)}) is not clearly above the "
            f"trivial baseline ({fmt_score(rec.baseline)}), so no model family is supported by this data yet"
        )
    return _reconciled(rec) + _unfair(rec)


def _reconciled(rec: Recommendation) -> str:
    prior = rec.prior_family
    lean = "" if rec.decision == "measured" else f", leaning (undetermined against {rec.alternative})"
    if rec.agreement == "agree":
        return f"rules and measurement agree: the rules favoured {prior} and it is the measured choice" + lean
    if rec.agreement == "tie":
        return f"rules and measurement agree: the rules favoured {prior}, which ties with {rec.family}" + lean
    if rec.agreement == "leads":
        why = (
            "interpretability is required"
            if rec.family != rec.measured_family
            else f"the simpler {rec.family} is more probably no worse"
        )
        return f"the rules favoured {prior}, which leads the measurement, but {why}" + lean
    if rec.agreement == "overrode":
        gap = rec.ranked(prior)
        return (
            f"measurement overrode the rules: they favoured {prior}, which measured "
            f"{gap.gap_to_best:.3f} below the best (noise ±{gap.gap_noise:.3f})" + lean
        )
    return (
        f"measurement among the families that ran: the rules favoured {prior}, which was not measured" + lean
    )


def _unfair(rec: Recommendation) -> str:
    if not rec.unfair:
        return ""
    one = len(rec.unfair) == 1
    return (
        f"; but the training of {', '.join(rec.ranked(f).probe for f in rec.unfair)} was cut short by the time "
        f"budget, so {'its score is a lower bound' if one else 'their scores are lower bounds'} and the "
        "comparison is unfair: re-run with a larger --budget (or on a GPU) before ruling "
        f"{'it' if one else 'them'} out"
    )


def _scores(rec: Recommendation) -> str:
    line = ", ".join(
        f"{r.family}{'' if r.probe == r.family else f' ({r.probe})'} {fmt_score(r.score)}"
        + ("" if r.converged else " (not converged)")
        for r in rec.ranking
    )
    if rec.baseline is not None:
        line += f"; trivial baseline {fmt_score(rec.baseline)}"
    return f"Measured {rec.metric} on held-out folds: {line}."


def _because(prior: Prior, rule_id: str) -> str:
    return next((f.because for f in prior.fired if f.id == rule_id), "")


def _what_would_settle(c: Comparison) -> str:
    """More folds, or only more rows: the correlated t-test's variance is (1/n + rho/(1-rho)) times the
    folds' own, so past a few repeats of the split more folds narrow the interval little."""
    if not 0 < c.rho < 1:
        return "More folds or more rows would settle it."
    floor = c.rho / (1 - c.rho)
    narrower = 1 - math.sqrt(floor / (1 / c.n_pairs + floor))  # with unlimited repeats of the split
    if narrower >= SETTLE_BY_FOLDS:
        return "More folds or more rows would settle it."
    return (
        f"Only more rows would settle it: on {c.n_pairs} paired folds, repeating the split without end would "
        f"narrow the comparison by {narrower:.0%} at most (the folds share their training rows)."
    )


def reason_text(r: Reason, rec: Recommendation, prior: Prior, leakage: LeakageCheck | None) -> str:
    """The sentence of one reason (what each kind rests on: advisor.verdict.model.Reason)."""
    if r.kind == "scores":
        return _scores(rec)
    if r.kind == "signal":
        assert rec.signal is not None
        return f"Against the baseline (by more than {rec.signal.rope:g}): {probabilities(rec.signal)}."
    if r.kind == "comparison":
        return f"{r.family} against {r.other}: {probabilities(rec.comparison(r.family, r.other))}."
    if r.kind == "simpler_preferred":
        rope = rec.comparison(r.family, r.other).rope
        return (
            f"{r.family} is practically equivalent to {r.other} (within ±{rope:g} {rec.metric}) with probability "
            f"≥ {PROBABILITY}: the simpler family is preferred, cheaper and more interpretable."
        )
    if r.kind == "text_left_out":
        best = rec.ranked(r.family).probe
        return (
            f"{r.family}'s best probe here, {code(best)}, leaves the free text out; {code(r.other)}, which reads it "
            f"as well, measured no higher (see Measurements): start without the text, and add text features only "
            "if they beat this on the same folds."
        )
    if r.kind == "leaning":
        return (
            f"The comparison of {r.family} with {r.other} is undetermined: the verdict leans to "
            f"{r.family}, the more probable side. {_what_would_settle(rec.comparison(r.family, r.other))}"
        )
    if r.kind == "prior_tipped":
        c = rec.comparison(r.family, r.other)
        score = prior.scores
        return (
            f"On the probabilities alone it would lean to {r.other} ({c.other} practically equivalent or better "
            f"{c.p_other_not_worse:.2f}, {c.leader} practically better {c.p_leader_better:.2f}); the rules' prior "
            f"({r.family} {score.get(r.family, 0):+d}, {r.other} {score.get(r.other, 0):+d}) puts it on "
            f"{r.family}'s side."
        )
    if r.kind == "interpretability_cost":
        cost = rec.ranked(r.family)
        return (
            f"Interpretability is required, so {r.family} is chosen over {r.other}; "
            f"it costs {cost.gap_to_best:.3f} {rec.metric} (noise ±{cost.gap_noise:.3f})."
        )
    if r.kind == "tiny_data":
        return f"Only {r.rows:,} rows: scores vary a lot between folds; read them with their spread."
    if r.kind == "rule":
        return f"[{r.rule_id}] {_because(prior, r.rule_id)}"
    if r.kind == "nothing_measured":
        n_failed = sum(len(u.probes) for u in rec.failures)
        return (
            f"Nothing was measured: {n_failed} model probe(s) failed, so no score supports or contradicts "
            f"the rules' favourite ({r.family}); treat it as a starting guess."
        )
    assert leakage is not None, f"a {r.kind} reason needs the leakage check"
    return _leakage_reason(r, leakage)


def _leakage_reason(r: Reason, lk: LeakageCheck) -> str:
    cols = lk.columns
    if r.kind == "leakage_excluded":
        return (
            f"Leakage: {', '.join(code(c) for c in cols)} excluded from this verdict; with "
            f"{'it' if len(cols) == 1 else 'them'} the best score was {fmt_score(lk.best_with)} "
            f"({lk.family_with}), without {fmt_score(lk.best_without)}."
        )
    if r.kind == "leakage_not_rechecked":
        was = "was" if len(lk.not_rechecked) == 1 else "were"
        return (
            f"{', '.join(lk.not_rechecked)} {was} measured only with the suspected columns; "
            "re-run without them to compare."
        )
    return (
        f"The verdict is the same without the suspected leakage in {', '.join(cols)} "
        f"(best score {fmt_score(lk.best_without)} without it): the column stays in, named."
    )


def leakage_summary(lk: LeakageCheck) -> str:
    """The leakage check in one paragraph: with and without the suspects, and which run is the headline."""
    named = ", ".join(code(c) for c in lk.columns)  # a fence no backtick in a name can close
    evidence = f" ({probabilities(lk.comparison)})" if lk.comparison is not None else ""
    if lk.excluded:
        return (
            f"Suspected leakage in {named}, confirmed: with it the best score is {fmt_score(lk.best_with)} "
            f"and the verdict {lk.family_with}; without it (re-measured on the same folds) the best score is "
            f"{fmt_score(lk.best_without)} and the verdict {lk.family_without}{evidence}. The headline is "
            "the run without it; if the column is known at prediction time, the run with it is the one to read."
        )
    return (
        f"Suspected leakage in {named}, not confirmed: without it the verdict is the same "
        f"({lk.family_without}) and the best score {fmt_score(lk.best_without)} against "
        f"{fmt_score(lk.best_with)} with it{evidence}. The column stays in; check that it is known at "
        "prediction time."
    )
