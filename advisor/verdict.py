"""Reconcile the rules' prior with the probes' measurements into a verdict.

The policy, from FRAMEWORK.md:

- measurement decides where it disagrees with the prior beyond the noise;
- families that tie within the noise go to the simplest (linear, gbdt, mlp, cnn, transformer);
- when no family beats the trivial baseline beyond the noise, no family is
  supported: say so, with the numbers;
- a required interpretability constraint limits the choice to linear and gbdt,
  and the report says what that costs.

Noise is the standard error of the paired per-fold difference between two
probes, corrected for the overlap of training sets across folds (Nadeau &
Bengio, 2003): var * (1/k + n_test/n_train). A gap counts as real when it
exceeds the one-sided 95% Student's t critical value (k - 1 degrees of freedom)
times that standard error: the corrected resampled t-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.engine.model import Prior
from advisor.facts import Constraints, DatasetProfile
from advisor.probe_api import BASELINE, FAMILIES, ProbeResult, Score
from advisor.report.model import LeakageCheck, Ranked, Recommendation
from advisor.report.sections import fmt_score

# Smallest margin we treat as a real difference, whatever the folds say: below
# this, no team should pick a more complex model.
MIN_MARGIN = 0.005
# A model must beat the trivial baseline by at least this much (in the primary
# metric) to count as signal.
MIN_SIGNAL = 0.02
TINY_DATA_ROWS = 1_000
INTERPRETABLE = ("linear", "gbdt")

STARTER_MODELS = {
    "linear": "a regularised linear model (logistic or ridge regression) on scaled, one-hot-encoded features",
    "gbdt": "LightGBM (gradient-boosted trees) with early stopping and native categorical handling",
    "mlp": "a small MLP in PyTorch on standardised, one-hot-encoded features, with early stopping",
    "cnn": "a CNN; with few images per class, fine-tune a pretrained one (e.g. ResNet-18) instead of training from scratch",
    "transformer": "a transformer; fine-tune a pretrained one (e.g. DistilBERT) rather than training from scratch",
    "none": "no model yet: the data shows no usable signal",
}
TEXT_STARTERS = {"linear": "TF-IDF features into a regularised logistic or ridge regression"}
IMAGE_STARTERS = {
    "gbdt": "LightGBM on downsampled pixels and colour/edge statistics (the classical reference)"
}


# One-sided 95% critical values of Student's t by degrees of freedom (folds - 1):
# with 3 folds a gap must be 2.9 standard errors, not 2, to count as real.
T95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833}
T95_LARGE = 1.8


@dataclass
class _Gap:
    gap: float
    noise: float  # corrected standard error of the gap
    dof: int = 1

    @property
    def threshold(self) -> float:
        return T95.get(self.dof, T95_LARGE) * self.noise

    @property
    def ties(self) -> bool:
        return self.gap < max(self.threshold, MIN_MARGIN)


def paired_gap(best: ProbeResult, other: ProbeResult) -> _Gap:
    """Mean score gap and its corrected standard error over the shared folds."""
    a, b = best.score, other.score
    assert a is not None and b is not None
    pairs = [(x, y) for x, y in zip(a.folds, b.folds, strict=False) if not (math.isnan(x) or math.isnan(y))]
    gap = a.mean - b.mean
    if len(pairs) < 2:
        # One fold: fall back on the spread of both scores.
        return _Gap(gap, math.hypot(a.std, b.std), 1)
    diffs = [x - y for x, y in pairs]
    k = len(diffs)
    mean = sum(diffs) / k
    var = sum((d - mean) ** 2 for d in diffs) / (k - 1)
    ratio = (best.n_test / best.n_train) if best.n_train else 1.0 / (k - 1)
    return _Gap(gap, math.sqrt(var * (1.0 / k + ratio)), k - 1)


def was_cut(r: ProbeResult) -> bool:
    """True when the time budget cut this probe's training (epochs or rounds)."""
    return any("by the time budget" in n for n in r.notes)


def _best_by_family(results: list[ProbeResult]) -> dict[str, ProbeResult]:
    best: dict[str, ProbeResult] = {}
    for r in results:
        if r.score is None or r.family == BASELINE or math.isnan(r.score.mean):
            continue
        if r.family not in best or r.score.mean > best[r.family].score.mean:  # type: ignore[union-attr]
            best[r.family] = r
    return best


def _rank(best: dict[str, ProbeResult]) -> list[Ranked]:
    ordered = sorted(best.values(), key=lambda r: -r.score.mean)  # type: ignore[union-attr]
    top = ordered[0]
    ranking = []
    for r in ordered:
        g = paired_gap(top, r) if r is not top else _Gap(0.0, 0.0)
        ranking.append(Ranked(r.family, r.name, r.score, round(g.gap, 6), round(g.noise, 6), g.ties))  # type: ignore[arg-type]
    return ranking


def _simplest(families: list[str]) -> str:
    return min(families, key=lambda f: FAMILIES.index(f) if f in FAMILIES else len(FAMILIES))


def _starter(family: str, modality: str) -> str:
    if modality in ("text", "mixed") and family in TEXT_STARTERS:
        return TEXT_STARTERS[family]
    if modality in ("image", "signal") and family in IMAGE_STARTERS:
        return IMAGE_STARTERS[family]
    return STARTER_MODELS.get(family, family)


def _failures(results: list[ProbeResult]) -> dict[str, list[str]]:
    """Failure reason -> names of the model probes that ran but produced no score."""
    failed: dict[str, list[str]] = {}
    for r in results:
        if r.family == BASELINE or r.status == "skipped":
            continue
        if r.score is None or math.isnan(r.score.mean):
            failed.setdefault(r.reason or "no score", []).append(r.name)
    return failed


def _unmeasured(
    profile: DatasetProfile, prior: Prior, results: list[ProbeResult], rule_reasons: list[str]
) -> Recommendation:
    """No model was scored: the rules' favourite, at low confidence, saying plainly why.

    When probes ran and failed, the verdict must not read as measured: the
    failures are named, and fixing them is the first step.
    """
    base = Recommendation(
        family=prior.favoured,
        model=_starter(prior.favoured, profile.modality),
        confidence="low",
        decided_by="",
        reasons=rule_reasons[:6],
        rule_ids=[f.id for f in prior.fired],
        prior_family=prior.favoured,
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


def decide(
    profile: DatasetProfile,
    prior: Prior,
    results: list[ProbeResult],
    constraints: Constraints,
    *,
    metric: str = "",
    partial: bool = False,
) -> Recommendation:
    """The verdict: family, starting model, confidence and reasons."""
    rule_reasons = [f"[{f.id}] {f.because}" for f in prior.fired if f.effects]
    best = _best_by_family(results)
    if not best:
        return _unmeasured(profile, prior, results, rule_reasons)
    ranking = _rank(best)
    top = best[ranking[0].family]
    baseline = next((r for r in results if r.family == BASELINE and r.score is not None), None)
    metric = metric or top.metric
    reasons: list[str] = []
    scores_line = ", ".join(
        f"{r.family}{'' if r.probe == r.family else f' ({r.probe})'} {fmt_score(r.score)}" for r in ranking
    )
    if baseline is not None:
        scores_line += f"; trivial baseline {fmt_score(baseline.score)}"
    reasons.append(f"Measured {metric} on held-out folds: {scores_line}.")

    # No signal: the best model is not clearly above the trivial baseline.
    if baseline is not None:
        g = paired_gap(top, baseline)
        if g.gap < max(g.threshold, MIN_SIGNAL):
            return Recommendation(
                family="none",
                model=STARTER_MODELS["none"],
                confidence="medium" if profile.n_rows >= TINY_DATA_ROWS else "low",
                decided_by=(
                    f"measurement: the best model ({top.name}, {fmt_score(top.score)}) is within the noise of the "
                    f"trivial baseline ({fmt_score(baseline.score)}), so no model family is supported by this data yet"
                ),
                reasons=reasons + rule_reasons[:3],
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
                measured_family="none",
            )

    tied = [r.family for r in ranking if r.ties_best]
    measured_choice = _simplest(tied)
    measured, candidates, constraint_note = measured_choice, tied, ""
    allowed = [r for r in ranking if r.family in INTERPRETABLE]
    if constraints.interpretability == "required" and measured not in INTERPRETABLE and allowed:
        lost = allowed[0]
        measured, candidates = lost.family, [lost.family]
        constraint_note = (
            f"Interpretability is required, so {measured} is chosen over {measured_choice}; "
            f"it costs {lost.gap_to_best:.3f} {metric} (noise ±{lost.gap_noise:.3f})."
        )

    if len(tied) > 1:
        reasons.append(
            f"{', '.join(tied)} tie within the noise (paired-fold standard error); "
            f"the simplest, {_simplest(tied)}, is preferred: cheaper, more interpretable, and the difference is noise."
        )
    else:
        r2 = ranking[1] if len(ranking) > 1 else None
        if r2 is not None:
            reasons.append(
                f"{ranking[0].family} leads {r2.family} by {r2.gap_to_best:.3f} {metric}, "
                f"beyond the noise (±{r2.gap_noise:.3f})."
            )
    if constraint_note:
        reasons.append(constraint_note)

    prior_fav = prior.favoured
    if prior_fav in candidates or prior_fav == measured:
        decided_by = f"rules and measurement agree: the rules favoured {prior_fav}"
        decided_by += (
            " and it is the measured choice" if prior_fav == measured else f", which ties with {measured}"
        )
        agree = True
    elif prior_fav in best:
        gap = next(r for r in ranking if r.family == prior_fav)
        decided_by = (
            f"measurement overrode the rules: they favoured {prior_fav}, which measured "
            f"{gap.gap_to_best:.3f} below the best (noise ±{gap.gap_noise:.3f})"
        )
        agree = False
        if was_cut(best[prior_fav]):
            decided_by += (
                f"; but {best[prior_fav].name}'s training was cut short by the time budget, so its score is a "
                "lower bound: re-run with a larger --budget (or on a GPU) before ruling it out"
            )
            partial = True  # the comparison is incomplete: lower the confidence
    else:
        decided_by = (
            f"measurement among the families that ran: the rules favoured {prior_fav}, which was not measured"
        )
        agree = False

    # The rules' favourite was measured and lost beyond the noise: the measurement is decisive.
    decisive = not agree and prior_fav in best
    confidence = _confidence(profile, agree, decisive, len(tied) > 1, partial, bool(constraint_note))
    if profile.n_rows < TINY_DATA_ROWS:
        reasons.append(
            f"Only {profile.n_rows:,} rows: scores vary a lot between folds; read them with their spread."
        )
    reasons.extend(rule_reasons[:5])
    return Recommendation(
        family=measured,
        model=_starter(measured, profile.modality),
        confidence=confidence,
        decided_by=decided_by,
        reasons=reasons,
        rule_ids=[f.id for f in prior.fired if f.effects.get(measured, 0) > 0] or [f.id for f in prior.fired],
        ranking=ranking,
        prior_family=prior_fav,
        measured_family=measured_choice,
    )


def _confidence(
    profile: DatasetProfile, agree: bool, decisive: bool, tie: bool, partial: bool, constrained: bool
) -> str:
    """High when the rules agree with a clear measured winner; medium when the
    measurement decides on its own (it beat the rules' favourite beyond the noise)
    or a tie goes to the simplest family; low when the rules' favourite could not
    be measured. Tiny data, partial runs and constraint-driven choices lower it."""
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
    return ("low", "medium", "high")[max(level, 0)]


def account_for_leakage(rec: Recommendation, check: LeakageCheck) -> None:
    """Say whether the verdict survives without the leakage suspects; if it does
    not, the measured evidence is unreliable and confidence drops to low."""
    cols = ", ".join(check.columns)
    without = fmt_score(check.best_without)
    if check.family_without == rec.family:
        rec.reasons.insert(
            1,
            f"The verdict is the same without the suspected leakage in {cols} (best score {without} without it).",
        )
        return
    rec.reasons.insert(
        1,
        f"Without the suspected leakage in {cols}, the verdict becomes {check.family_without} "
        f"(best score {without}): the measured comparison depends on that column.",
    )
    rec.confidence = "low"


def _best_score(results: list[ProbeResult]) -> Score | None:
    best = _best_by_family(results)
    return max((r.score for r in best.values() if r.score), key=lambda sc: sc.mean, default=None)


def check_leakage(
    rec: Recommendation,
    profile: DatasetProfile,
    prior: Prior,
    results: list[ProbeResult],
    without: list[ProbeResult],
    constraints: Constraints,
) -> LeakageCheck:
    """The verdict (``rec``, already decided on all columns) against the verdict on
    the results re-measured without the leakage suspects; updates ``rec``."""
    cols = list(profile.leakage_suspects)
    check = LeakageCheck(
        columns=cols,
        best_with=_best_score(results),
        best_without=_best_score(without),
        family_with=rec.family,
        family_without=decide(profile, prior, without, constraints).family,
        probes_without=without,
    )
    check.summary = (
        f"Suspected leakage in {', '.join(f'`{c}`' for c in cols)}. With it, the best score is "
        f"{fmt_score(check.best_with)} and the verdict is {check.family_with}; without it (the classical "
        f"families re-measured on the same folds), the best score is {fmt_score(check.best_without)} and the "
        f"verdict is {check.family_without}. If the column is not known at prediction time, plan with the "
        "numbers without it."
    )
    account_for_leakage(rec, check)
    return check
