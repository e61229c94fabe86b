"""What would change the verdict, and what to do next: sentences for the report.

Each sentence is derived from a measured number (learning-curve projections,
scores) or a stated fact (hardware, constraints, warnings, how the verdict was
reached); projections are labelled as estimates. The report calls these when it
writes the verdict's sentences (advisor/report/verdict_text.py).
"""

from __future__ import annotations

from advisor import families
from advisor.facts import ComputeInfo, Constraints, DatasetProfile
from advisor.probe_api import BASELINE, ProbeResult, fmt_rows
from advisor.profile.target import IMBALANCE_WARN_RATIO
from advisor.text import code
from advisor.verdict.model import Explanation, Recommendation

UNSTRUCTURED = ("text", "mixed", "image", "signal", "audio")
FEW_CLIPS_PER_CLASS = 500  # as the rule unstructured.few-audio-clips-per-class
AUDIO_EMBEDDINGS = (
    "PANNs (CNN14) or YAMNet/VGGish for sound events, wav2vec 2.0 or HuBERT for speech, BEATs, or CLAP"
)


def _projection(r: ProbeResult, key: str) -> tuple[float, float] | None:
    fit = r.curve_fit
    if fit is None or not fit.ok or key not in fit.predicted:
        return None
    s = fit.predicted[key]
    return s.mean, s.std


def curve_advice(rec: Recommendation, results: list[ProbeResult]) -> list[str]:
    """Compare each family's projected score at 10x the rows with the chosen one's,
    with their 80% intervals, and say where a steeper curve would overtake the leader."""
    from advisor.probing.curves import crossing

    by_family = {r.family: r for r in results if r.family != BASELINE and r.score is not None}
    chosen = by_family.get(rec.family)
    if chosen is None:
        return []

    def shown(r: ProbeResult) -> str:
        fit = r.curve_fit
        assert fit is not None
        s = fit.predicted["10x"]
        lo, hi = fit.predicted_low.get("10x"), fit.predicted_high.get("10x")
        return f"{s.mean:.3f}" + (
            f" ({lo:.3f} to {hi:.3f})" if lo is not None and hi is not None else f" ± {s.std:.3f}"
        )

    out: list[str] = []
    mine = _projection(chosen, "10x")
    rows = chosen.curve_fit.predicted_rows.get("10x") if chosen.curve_fit else None
    if mine is not None and rows and chosen.curve_fit is not None:
        for fam, r in by_family.items():
            other = _projection(r, "10x")
            if fam == rec.family or other is None or r.curve_fit is None:
                continue
            lo_other = r.curve_fit.predicted_low.get("10x", other[0] - 2 * other[1])
            hi_mine = chosen.curve_fit.predicted_high.get("10x", mine[0] + 2 * mine[1])
            margin = rec.rope_with(fam)
            if other[0] - mine[0] <= max(margin, 0.005):  # within the ROPE at 10x: level, not ahead
                continue
            cross = crossing(r.curve_fit, chosen.curve_fit, margin=margin)
            where = (
                f"its curve is ahead of {rec.family}'s already at the measured size"
                if cross is None or cross.already or r.score.mean >= chosen.score.mean + margin  # type: ignore[union-attr]
                else f"its curve overtakes {rec.family}'s at about {fmt_rows(cross)} training rows"
                if cross.rows is not None
                else "the curves do not cross within 100x the rows"
            )
            sure = (
                "collecting more data could change the verdict"
                if lo_other > hi_mine
                else "the intervals overlap, so more data might change the verdict"
            )
            out.append(
                f"More data: at about {rows:,} training rows (10x), the {fam} learning curve projects "
                f"{shown(r)} against {shown(chosen)} for {rec.family} (estimates, 80% intervals); "
                f"{where}: {sure}."
            )
        if not out:
            note = chosen.curve_fit.note
            out.append(
                f"More data is not projected to change the ranking: at about {rows:,} training rows (10x), "
                f"{rec.family} projects {shown(chosen)} (estimate, 80% interval)"
                + (f"; {note}" if note else "")
                + "."
            )
    return out


def _decision_changes(rec: Recommendation) -> list[str]:
    """What would change a verdict that no measurement supports (no signal, nothing measured)."""
    if rec.decision == "no_signal":
        return [
            "Different or more informative features (the current ones carry no measurable signal).",
            "A different target definition (e.g. a longer horizon or a coarser label).",
            "More rows only if the learning curves rise; here they do not show a usable gain.",
        ]
    if rec.decision == "rules_only" and rec.failures:
        return [
            "Probes that run: once the failures above are fixed, the measurement may overturn the rules' choice."
        ]
    return []


def _decision_steps(rec: Recommendation) -> list[str]:
    if rec.decision == "no_signal":
        return [
            "Check that the target is the column you meant (--target) and is not shuffled or misaligned.",
            "Do not build a model yet: revisit what is measured before choosing a family.",
        ]
    if rec.decision == "rules_only" and rec.failures:
        return [
            f"Fix what made the probes fail ({rec.failures[0].reason}) and re-run before relying on this verdict."
        ]
    return []


def would_change(
    rec: Recommendation,
    profile: DatasetProfile,
    compute: ComputeInfo,
    constraints: Constraints,
    results: list[ProbeResult],
) -> list[str]:
    out = _decision_changes(rec)  # how the verdict was reached comes first
    out += curve_advice(rec, results) if rec.family != "none" else []
    if not compute.has_gpu and (profile.modality in UNSTRUCTURED or profile.n_rows > 1_000_000):
        out.append(
            "A GPU: the neural probes ran on CPU with cut epochs or downsampled inputs; "
            "on a GPU they could train to convergence at full size."
        )
    cut = [
        r.name for r in results if r.family != rec.family and families.neural(r.family) and not r.converged
    ]
    if cut:
        out.append(
            f"A larger --budget: the training of {', '.join(cut)} was cut short by the time budget "
            "(see the probe notes), so their scores understate them."
        )
    if constraints.interpretability == "required" and rec.measured_family not in ("", rec.family, "none"):
        out.append(f"Relaxing the interpretability requirement would allow {rec.measured_family}.")
    elif constraints.interpretability == "required":
        out.append(
            "Relaxing the interpretability requirement would not change the choice: it is interpretable already."
        )
    if profile.leakage_suspects:
        out.append(
            f"Leakage: if {', '.join(profile.leakage_suspects)} is not available at prediction time, "
            "the scores without it are the ones to plan with (see the leakage check)."
        )
    return out


def _audio_step(rec: Recommendation, min_per_class: int) -> str:
    """Audio: pretrained embeddings with few clips per class; with many, the CNN trained longer (or
    fine-tuned) against the classical reference."""
    if min_per_class < FEW_CLIPS_PER_CLASS:
        return (
            f"Next, pretrained audio embeddings: with {min_per_class} clips in the smallest class, embed the clips "
            f"with {AUDIO_EMBEDDINGS} and fit a linear model or LightGBM on the embeddings; fine-tune the model "
            "only if that leaves a gap. The CNN probe here was trained from scratch, which understates what "
            "pretraining gives."
        )
    if rec.family == "cnn":
        return (
            "Train the spectrogram CNN longer, with SpecAugment and mixup, on a GPU; a pretrained audio model "
            f"fine-tuned on your clips ({AUDIO_EMBEDDINGS}) is the next thing to compare."
        )
    return (
        f"Compare with a fine-tuned pretrained audio model ({AUDIO_EMBEDDINGS}) before settling: the CNN probe "
        "here was trained from scratch on the clips."
    )


def next_steps(rec: Recommendation, profile: DatasetProfile, compute: ComputeInfo) -> list[str]:
    steps = _decision_steps(rec)  # how the verdict was reached comes first
    if profile.leakage_suspects:
        steps.append(
            f"First rule out leakage in {', '.join(profile.leakage_suspects)}: confirm each is known before the "
            "target is, or drop it."
        )
    if rec.family in families.REGISTRY:
        steps.append(families.get(rec.family).next_step_for(profile.modality))
    if profile.modality in ("text", "mixed") and rec.family in ("linear", "gbdt"):
        steps.append(
            "Compare with a fine-tuned pretrained transformer (e.g. DistilBERT) before settling: the transformer "
            "probe here was trained from scratch and the embedding probes, where they ran, kept a pretrained model "
            "frozen: neither measures what fine-tuning gives."
        )
    # Image folders only: a pixel table's few dozen values are far from what pretrained CNNs saw.
    if profile.modality == "image" and rec.family not in ("cnn", "pretrained"):
        steps.append(
            "Compare with a fine-tuned pretrained CNN (transfer learning) before settling: the CNN probe here was "
            "trained from scratch, which understates what pretraining gives, most of all with few images per class."
        )
    if profile.audio is not None:
        steps.append(_audio_step(rec, profile.audio.min_per_class))
    if profile.target.imbalance_ratio and profile.target.imbalance_ratio >= IMBALANCE_WARN_RATIO:
        track = (
            "the rarer class's PR-AUC (measured beside ROC AUC) or F1, and choose the decision threshold on "
            "the precision-recall curve, not at 0.5"
            if profile.target.task == "binary"
            else "macro-F1 and each class's recall"
        )
        steps.append(
            f"Classes are imbalanced ({profile.target.imbalance_ratio:.0f}:1): keep stratified folds and track "
            f"{track}."
        )
    if profile.n_rows < 1_000:
        steps.append("With under 1,000 rows, use repeated cross-validation and report confidence intervals.")
    if not compute.has_gpu and rec.family in ("cnn", "transformer"):
        steps.append("Get GPU time before training at full scale: CPU training of this family is slow.")
    if rec.explanation is not None:
        steps += analysis_steps(rec.explanation)
    return steps


def analysis_steps(ex: Explanation) -> list[str]:
    """``--goal explain``: which columns to study next, which are proxies, what to read with care."""
    if not ex.measured:
        return ["Re-run with a larger --budget: the drivers of the interpretable model were not measured."]
    steps = []
    if ex.stable is False:
        steps.append(
            "Do not read the ranking of drivers yet: it changes from fold to fold. More rows, or merging the "
            "correlated columns, would steady it."
        )
    clean: list[str] = []
    for d in ex.drivers:  # one column of each proxy group: the others say the same
        if not d.suspect and not set(d.correlated_with) & set(clean):
            clean.append(d.column)
    clean = clean[:3]
    if clean:
        steps.append(
            f"Study first: {', '.join(code(c) for c in clean)}, the top drivers of the {ex.family} model; check "
            "each direction against what is known, and look for the mechanism before acting on it."
        )
    for group in ex.proxies:
        steps.append(
            f"{', '.join(code(c) for c in group)} are proxies of each other (|Spearman| ≥ 0.9): the data cannot "
            "separate their effects; study them together, or keep the one that is measured most directly."
        )
    suspects = [d.column for d in ex.drivers if d.suspect]
    if suspects:
        steps.append(
            f"{', '.join(code(c) for c in suspects)}: a top driver and a leakage suspect; settle whether it is "
            "known before the target before explaining anything with it."
        )
    if ex.noise:
        steps.append(
            f"{', '.join(code(c) for c in ex.noise[:5])}{' and more' if len(ex.noise) > 5 else ''} add nothing "
            "measurable to the prediction: lower priorities to study (no predictive value here is not proof "
            "of no effect)."
        )
    if not ex.equivalent:
        steps.append(
            f"The {ex.family} model gives up {ex.cost:.3f} {ex.metric} against {ex.best_family}: compare with "
            f"the drivers of {ex.best_family} (in the measurements) for what it misses, such as interactions."
        )
    return steps
