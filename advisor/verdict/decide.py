"""Reconcile the rules' prior with the probes' measurements into a verdict.

The policy, from FRAMEWORK.md and issue 14:

- Each comparison is a correlated Bayesian t-test on the paired folds
  (``compare``, comparisons.py): the leader practically better, the two practically
  equivalent, or the other better, with a region of practical equivalence
  (``Constraints.rope``, 0.01 of the metric by default).
- Walking from the simplest measured family up, a simpler family wins as soon
  as it is practically equivalent or better than the leader with probability
  >= 0.95 ("measured"); the leader wins when it is practically better than
  every simpler family with probability >= 0.95 ("measured"). Otherwise the
  comparison is undetermined and the verdict leans to its more probable side
  ("leaning", low confidence), naming the alternative. The rules' prior weighs
  in there, and only there: ``PRIOR_ODDS_PER_POINT``.
- Fewer than ``MIN_PAIRS`` paired folds never decide: the comparison is
  undetermined, whatever its probabilities.
- When the best family is not practically better than the trivial baseline
  (by ``MIN_SIGNAL``) with probability >= 0.95, no family is supported.
- A probe the clock cut (not converged) that loses is named: its score is a
  lower bound and the comparison unfair; confidence drops.
- A required interpretability constraint limits the choice to interpretable
  families, and the reasons say what that costs.

``decide`` runs it in steps, one idea each: ``measure`` (the ranking and the
comparisons), the signal against the baseline (``no_signal`` when there is
none), ``choose`` (the walk, then the constraint), ``agreement`` with the rules,
``confidence``, and the reasons; ``rules_only`` when nothing was scored. The
Recommendation is built once, with the leakage check as an input when it is
the headline of one. It holds evidence; the report writes the sentences
(advisor/report/verdict_text.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor import families
from advisor.engine.model import Prior
from advisor.facts import Constraints, DatasetProfile
from advisor.families import BASELINE, NONE
from advisor.probe_api import ProbeResult

# best_by_family is also imported from here (the pipeline, probing/scale_check.py).
from advisor.verdict.comparisons import PROBABILITY, best_by_family, compare, posterior_sd
from advisor.verdict.explain import explain
from advisor.verdict.model import (
    Agreement,
    Comparison,
    Confidence,
    LeakageCheck,
    Ranked,
    Reason,
    Recommendation,
    Unscored,
)

# A model must beat the trivial baseline by at least this much (in the primary
# metric), with PROBABILITY, to count as signal.
MIN_SIGNAL = 0.02
TINY_DATA_ROWS = 1_000
# An undetermined comparison is where the measurement cannot tell and the rules' prior can:
# each point of rule score between the two families multiplies the odds of the side the rules
# prefer by this (three points, a modality rule's usual spread, double them). The t-test's
# probabilities rest on a flat prior for the difference; weighting its two sides by the rules'
# odds is Bayes' rule with a prior that is constant on each side. Without it a leader the
# rules expected (a CNN on a pixel grid, 0.010 ahead of LightGBM on 5 folds: P(better) 0.45,
# P(equivalent) 0.55) lost to the simpler family on a coin's throw of the clock, against
# both the prior and the point estimate. Decided comparisons (0.95) are never moved.
PRIOR_ODDS_PER_POINT = 2 ** (1 / 3)
# ...up to these odds (6 points): however many rules agree, a measurement at 4 to 1 or more stands.
PRIOR_MAX_ODDS = 4.0


def _baseline(results: list[ProbeResult]) -> ProbeResult | None:
    return next((r for r in results if r.family == BASELINE and r.score is not None), None)


def _failures(results: list[ProbeResult]) -> list[Unscored]:
    """The model probes that ran but produced no score, grouped by failure reason (in order)."""
    failed: dict[str, list[str]] = {}
    for r in results:
        if r.family == BASELINE or r.status in ("skipped", "not_applicable"):
            continue
        if r.score is None or math.isnan(r.score.mean):
            failed.setdefault(r.reason or "no score", []).append(r.name)
    return [Unscored(reason, names) for reason, names in failed.items()]


@dataclass
class Measured:
    """The measurement: each family's best probe, the leader against each other family on the
    paired folds, the ranking, and the leader against the trivial baseline."""

    best: dict[str, ProbeResult]  # family -> its best probe
    top: ProbeResult  # the leader: the highest mean
    metric: str
    comparisons: dict[str, Comparison]  # family -> the leader against it
    ranking: list[Ranked]
    baseline: ProbeResult | None
    signal: Comparison | None  # the leader against the baseline, by more than MIN_SIGNAL

    @property
    def leader(self) -> str:
        return self.top.family

    @property
    def has_signal(self) -> bool:
        # No baseline: nothing to measure the signal against, so it is not ruled out.
        return self.signal is None or self.signal.p_leader_better >= PROBABILITY  # NaN (one fold): no

    @property
    def equivalent(self) -> list[str]:
        """The leader and the families practically not worse than it (ties)."""
        return [self.leader] + [
            f for f, c in self.comparisons.items() if c.enough_folds and c.p_other_not_worse >= PROBABILITY
        ]

    @property
    def shown(self) -> list[Comparison]:
        """The comparisons, simplest other family first."""
        return [self.comparisons[f] for f in sorted(self.comparisons, key=families.rank)]


@dataclass
class Choice:
    """What the measurement chose, and what the constraints made of it."""

    measured: str  # the measurement's choice alone
    decided: bool  # every comparison it rests on decided ("measured"), else "leaning"
    alternative: str  # leaning: the family on the other side of the undetermined comparison
    tipped: str  # leaning: the rival of an undetermined comparison that the rules' prior, not the
    # probabilities alone, decided the lean against ("" when the probabilities decided every one)
    family: str  # the verdict, after the interpretability constraint
    constrained: bool  # the constraint moved it off ``measured``


def measure(results: list[ProbeResult], best: dict[str, ProbeResult], rope: float, metric: str) -> Measured:
    """Rank the families by mean score and compare the leader with each on the paired folds."""
    ordered = sorted(best.values(), key=lambda r: -r.score.mean)  # type: ignore[union-attr]
    top = ordered[0]
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
    signal = compare(top, baseline, MIN_SIGNAL, metric) if baseline is not None else None
    return Measured(best, top, metric, comps, ranking, baseline, signal)


def leans_simpler(c: Comparison, rule_gap: float = 0.0) -> bool:
    """Whether an undetermined comparison leans to its simpler side (``c.other``): "practically
    equivalent or better" against "the leader practically better", the odds weighted by the
    rules' prior (``rule_gap``: the simpler family's rule score less the leader's, see
    ``PRIOR_ODDS_PER_POINT`` and ``PRIOR_MAX_ODDS``)."""
    if math.isnan(c.p_leader_better):
        return True
    odds = min(PRIOR_ODDS_PER_POINT ** abs(rule_gap), PRIOR_MAX_ODDS)
    if rule_gap < 0:
        return c.p_other_not_worse > c.p_leader_better * odds
    return c.p_other_not_worse * odds > c.p_leader_better


def walk(
    leader: str,
    best: dict[str, ProbeResult],
    comps: dict[str, Comparison],
    prior_scores: dict[str, int],
) -> tuple[str, bool, str, str]:
    """(measured family, decided, alternative, tipped): walk from the simplest family up.

    A simpler family is chosen as soon as it is practically equivalent or better
    than the leader with PROBABILITY ("decided"), or, undetermined, when that is
    the more probable side once the rules' prior (``prior_scores``) is weighed in
    (``leans_simpler``: "leaning", the leader the alternative). Otherwise the
    leader is chosen; "decided" only if it is practically better than every
    simpler family, and practically equivalent or better than every more complex
    one, each with PROBABILITY on at least MIN_PAIRS paired folds. ``tipped``: the first
    rival whose undetermined comparison the prior, not the probabilities alone, leaned.
    """
    undetermined: list[str] = []
    tipped = ""
    rivals = sorted((f for f in best if f != leader), key=families.rank)
    for fam in rivals:
        c = comps[fam]
        if families.rank(fam) >= families.rank(leader):
            # A more complex rival behind the simpler leader: the leader needs only not to be worse.
            if c.outcome == "undetermined":
                undetermined.append(fam)
            continue
        if c.outcome == "equivalent":
            return fam, True, "", ""
        if c.outcome == "undetermined":
            simpler = leans_simpler(c, prior_scores.get(fam, 0) - prior_scores.get(leader, 0))
            by_prior = simpler != leans_simpler(c)
            if simpler:  # the leader is the rival here
                return fam, False, leader, leader if by_prior else ""
            undetermined.append(fam)
            tipped = tipped or (fam if by_prior else "")
    return leader, not undetermined, undetermined[0] if undetermined else "", tipped


def choose(m: Measured, constraints: Constraints, prior: Prior) -> Choice:
    """The walk's family, then the best-ranked interpretable one when interpretability is required."""
    measured, decided, alternative, tipped = walk(m.leader, m.best, m.comparisons, prior.scores)
    family = measured
    if constraints.interpretability == "required" and not families.interpretable(measured):
        allowed = [r.family for r in m.ranking if families.interpretable(r.family)]
        family = allowed[0] if allowed else measured
    return Choice(measured, decided, alternative, tipped, family, family != measured)


def agreement(prior: Prior, choice: Choice, m: Measured) -> Agreement:
    """How the rules' favourite met the measured choice."""
    favoured = prior.favoured
    if favoured == choice.family:
        return "agree"
    if favoured in m.equivalent and choice.decided:
        return "tie"
    if favoured == m.leader:
        return "leads"
    return "overrode" if favoured in m.best else "unmeasured"


def confidence(
    profile: DatasetProfile,
    agreed: Agreement,
    choice: Choice,
    m: Measured,
    partial: bool,
    unfair: bool,
    unmeasured: bool = False,
) -> Confidence:
    """High when the rules agree with a clear measured winner; medium when the
    measurement decides on its own (it beat the rules' favourite) or a practical
    tie goes to the simplest family; low otherwise, and always when leaning. Tiny
    data, partial runs and unfair comparisons lower it; a constraint-driven choice
    is at most medium, and so is one that a family measured only with leaked columns
    (``unmeasured``) was not compared against."""
    if not choice.decided:
        return "low"
    tie = choice.measured != m.leader
    if agreed in ("agree", "tie") and not tie:
        level = 2
    elif agreed in ("agree", "tie", "overrode", "leads"):
        level = 1
    else:
        level = 0
    if profile.n_rows < TINY_DATA_ROWS or partial or unfair:
        level -= 1
    if choice.constrained or unmeasured:
        level = min(level, 1)
    return ("low", "medium", "high")[max(level, 0)]  # type: ignore[return-value]


def rule_reasons(prior: Prior, limit: int) -> list[Reason]:
    """The fired rules that moved a family, in firing order, at most ``limit``."""
    return [Reason("rule", rule_id=f.id) for f in prior.fired if f.effects][:limit]


def leakage_reasons(check: LeakageCheck | None) -> list[Reason]:
    if check is None:
        return []
    if not check.excluded:
        return [Reason("leakage_kept")]
    return [Reason("leakage_excluded")] + ([Reason("leakage_not_rechecked")] if check.not_rechecked else [])


def _after_first(reasons: list[Reason], more: list[Reason]) -> list[Reason]:
    """``more`` second: the leakage check comes right after the verdict's first reason."""
    return reasons[:1] + more + reasons[1:]


def _starter_modality(
    profile: DatasetProfile, family: str, best: dict[str, ProbeResult], results: list[ProbeResult]
) -> tuple[str, Reason | None]:
    """The modality whose starting model the verdict names: on a table mixing free text with other
    columns, "tabular" when the family's best probe left the text out (its text probe, if any, did
    no better), with the reason that says so."""
    winner = best.get(family)
    if profile.modality != "mixed" or winner is None or winner.reads_text:
        return profile.modality, None
    readers = [r for r in results if r.family == family and r.reads_text and r.score is not None]
    if not readers:
        return "tabular", None
    return "tabular", Reason("text_left_out", family, max(readers, key=lambda r: r.score.mean).name)  # type: ignore[union-attr]


def measured_reasons(profile: DatasetProfile, prior: Prior, m: Measured, choice: Choice) -> list[Reason]:
    """The scores, every comparison, how the choice followed from them, and the rules."""
    reasons = [Reason("scores")] + [Reason("comparison", c.leader, c.other) for c in m.shown]
    if choice.decided and choice.measured != m.leader:
        reasons.append(Reason("simpler_preferred", choice.measured, m.leader))
    elif not choice.decided:
        reasons.append(Reason("leaning", choice.measured, choice.alternative))
        if choice.tipped:
            reasons.append(Reason("prior_tipped", choice.measured, choice.tipped))
    if choice.constrained:
        reasons.append(Reason("interpretability_cost", choice.family, choice.measured))
    if profile.n_rows < TINY_DATA_ROWS:
        reasons.append(Reason("tiny_data", rows=profile.n_rows))
    return reasons + rule_reasons(prior, 5)


def rules_only(
    profile: DatasetProfile, prior: Prior, results: list[ProbeResult], leakage: LeakageCheck | None
) -> Recommendation:
    """No model was scored: the rules' favourite, at low confidence, with why nothing was measured."""
    failures = _failures(results)
    reasons = ([Reason("nothing_measured", prior.favoured)] if failures else []) + rule_reasons(prior, 6)
    return Recommendation(
        family=prior.favoured,
        model=families.starter(prior.favoured, profile.modality),
        confidence="low",
        rule_ids=[f.id for f in prior.fired],
        prior_family=prior.favoured,
        decision="rules_only",
        evidence=_after_first(reasons, leakage_reasons(leakage)),
        failures=failures,
        unscored=[] if failures else [Unscored(r.reason, [r.name]) for r in results if r.reason],
    )


def no_signal(
    profile: DatasetProfile, prior: Prior, m: Measured, leakage: LeakageCheck | None
) -> Recommendation:
    """The best family is not practically above the trivial baseline: no family is supported."""
    assert m.signal is not None and m.baseline is not None
    reasons = [Reason("scores"), Reason("signal")] + rule_reasons(prior, 3)
    return Recommendation(
        family=NONE,
        model=families.starter(NONE, profile.modality),
        confidence="medium" if profile.n_rows >= TINY_DATA_ROWS and m.signal.enough_folds else "low",
        rule_ids=[f.id for f in prior.fired],
        ranking=m.ranking,
        prior_family=prior.favoured,
        measured_family=NONE,
        decision="no_signal",
        signal=m.signal,
        evidence=_after_first(reasons, leakage_reasons(leakage)),
        metric=m.metric,
        baseline=m.baseline.score,
    )


def decide(
    profile: DatasetProfile,
    prior: Prior,
    results: list[ProbeResult],
    constraints: Constraints,
    *,
    metric: str = "",
    partial: bool = False,
    leakage: LeakageCheck | None = None,
) -> Recommendation:
    """The verdict: family, starting model, confidence and the evidence behind them.

    ``leakage``: the check this verdict is the headline of (advisor/verdict/leakage.py);
    its outcome is among the reasons. The report writes the sentences.
    """
    best = best_by_family(results)
    if not best:
        return rules_only(profile, prior, results, leakage)
    m = measure(results, best, constraints.rope, metric)
    if not m.has_signal:
        return no_signal(profile, prior, m, leakage)
    choice = choose(m, constraints, prior)
    unfair = [f for f, r in best.items() if not r.converged and f != choice.family]
    agreed = agreement(prior, choice, m)
    reasons = measured_reasons(profile, prior, m, choice)
    modality, text_reason = _starter_modality(profile, choice.family, best, results)
    reasons[1 + len(m.shown) : 1 + len(m.shown)] = [text_reason] if text_reason else []
    supporting = [f.id for f in prior.fired if f.effects.get(choice.family, 0) > 0]
    return Recommendation(
        family=choice.family,
        model=families.starter(choice.family, modality),
        confidence=confidence(
            profile, agreed, choice, m, partial, bool(unfair), bool(leakage and leakage.not_rechecked)
        ),
        rule_ids=supporting or [f.id for f in prior.fired],
        ranking=m.ranking,
        prior_family=prior.favoured,
        measured_family=choice.measured,
        decision="measured" if choice.decided else "leaning",
        comparisons=m.shown,
        signal=m.signal,
        alternative=choice.alternative,
        unfair=unfair,
        explanation=explain(best, m.ranking, m.equivalent, m.metric, list(profile.leakage_suspects))
        if constraints.goal == "explain"
        else None,
        evidence=_after_first(reasons, leakage_reasons(leakage)),
        agreement=agreed,
        metric=m.metric,
        baseline=m.baseline.score if m.baseline is not None else None,
    )
