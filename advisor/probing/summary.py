"""From the measured fits of one probe to its numbers: score, metrics, timings, curve, costs.

The runner measures (``Fit``, one per fold and curve size); ``summarise`` turns
what finished into the ``ProbeResult``'s score with its spread, the learning
curve and its projections, and fit time and memory at the full data size
(estimates, labelled with how they were made).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from advisor.probe_api import CostEstimate, CurveFit, CurvePoint, EvalPlan, ProbeResult
from advisor.probing.curves import cost_model, fit_cost, fit_learning_curve
from advisor.probing.metrics import METRIC_MAX, aggregate, undefined_note

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData


@dataclass
class Fit:
    """One measured fit."""

    fold: int
    frac_index: int
    n_train: int
    n_test: int
    fit_seconds: float
    predict_seconds: float
    metrics: dict[str, float]
    cut: bool = False  # the clock stopped it before it converged (the runner's ``outcome.cut``)


def curve_points(
    fits: list[Fit], n_folds: int, primary: str
) -> tuple[list[list[tuple[int, float]]], list[list[bool]]]:
    """Per fold with a curve point, its (training rows, score) in size order, and which of
    them the clock cut (a cut fit's score is a lower bound: the curve fit discounts it).
    Every fold with a curve point counts: the curve folds, and folds that repeat the small
    anchors (the fit groups the points by size)."""
    per_fold: list[list[Fit]] = [
        sorted((f for f in fits if f.fold == fold), key=lambda f: f.frac_index) for fold in range(n_folds)
    ]
    usable = [fs for fs in per_fold if len(fs) > 1] or [max(per_fold, key=len)]
    points = [[(f.n_train, f.metrics.get(primary, math.nan)) for f in fs] for fs in usable]
    return points, [[f.cut for f in fs] for fs in usable]


def summarise(
    result: ProbeResult,
    fits: list[Fit],
    data: ProbeData,
    plan: EvalPlan,
    fractions: tuple[float, ...],
    n_folds: int,
) -> None:
    """Fill the score, metrics, timings, curve and extrapolations from the measured fits."""
    last = len(fractions) - 1
    full = [f for f in fits if f.frac_index == last]
    primary = plan.metric
    values = [f.metrics.get(primary, math.nan) for f in full]
    result.score = aggregate(values)
    if note := undefined_note(primary, values):
        result.notes.append(note)
    result.metrics = {k: aggregate([f.metrics.get(k, math.nan) for f in full]) for k in full[0].metrics}
    result.n_train = int(round(np.mean([f.n_train for f in full])))
    result.n_test = int(round(np.mean([f.n_test for f in full])))
    result.fit_seconds = float(np.mean([f.fit_seconds for f in full]))
    result.predict_ms_per_1k = float(np.mean([f.predict_seconds / max(f.n_test, 1) * 1e6 for f in full]))

    for fi in range(len(fractions)):
        at = [f for f in fits if f.frac_index == fi]
        if at:
            result.curve.append(
                CurvePoint(
                    n_train=int(round(np.mean([f.n_train for f in at]))),
                    score=aggregate([f.metrics.get(primary, math.nan) for f in at]),
                    fit_seconds=float(np.mean([f.fit_seconds for f in at])),
                )
            )

    usable, cut = curve_points(fits, n_folds, primary)
    sampled = plan.n_rows_total > len(data)
    targets = {"2x": 2 * result.n_train, "10x": 10 * result.n_train}
    if sampled:
        # Train share of the source: the full data's fold-training size.
        targets["full"] = int(round(plan.n_rows_total * result.n_train / len(data)))
    result.curve_fit = fit_learning_curve(
        usable, metric_max=METRIC_MAX.get(primary, 1.0), n_targets=targets, anchor=result.score, cut=cut
    )

    if sampled:
        timed = [(p.n_train, p.fit_seconds) for p in result.curve]  # fold means per size
        _, how = cost_model(timed)
        n_rows = int(plan.n_rows_total)
        result.cost_at_full = CostEstimate(
            n_rows=n_rows,
            fit_seconds=fit_cost(timed, n_rows),
            peak_memory_mb=result.peak_memory_mb * n_rows / max(result.n_train, 1),
            method=(
                f"estimate: fit time {how}, anchored at {result.n_train:,} rows; peak memory scaled "
                "linearly in rows (an upper bound when fixed overhead dominates the measured peak)"
            ),
        )


def growth_note(fit: CurveFit | None, grows_at: tuple[int, ...]) -> str:
    """A note when the curve's projections reach a size at which the probe's model grows.

    The curve was measured on the smaller model, so its projections past the step say what
    that model would do, not what the probe would train there: likely a lower bound."""
    if fit is None or not fit.ok or not grows_at:
        return ""
    reach = max([*fit.predicted_rows.values(), *fit.band_rows], default=0)
    steps = [n for n in grows_at if fit.n_ref < n <= reach]
    if not steps:
        return ""
    at = ", ".join(f"{n:,}" for n in steps)
    return (
        f"this probe's model grows at about {at} training rows: projections beyond are of the smaller "
        "model measured here, likely a lower bound for what the probe would train there"
    )
