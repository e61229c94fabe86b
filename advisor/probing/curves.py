"""Learning-curve and cost extrapolation.

Score: the power law ``score(n) = c - a * n**(-b)`` (a >= 0, 0 < b <= 2,
c <= the metric's maximum), fitted per fold and on the fold-mean curve. The
per-fold fits give the spread of every extrapolation. Fit time: ``t = k * n**p``
with p clipped to [0.5, 2]. Both are estimates and are labelled so.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from advisor.probe_api import CurveFit, Score

B_MIN, B_MAX = 1e-3, 2.0
P_MIN, P_MAX = 0.5, 2.0
FLAT_NOTE = "flat: more data is not expected to help"
MIN_TIMED_SECONDS = 0.2  # below this, fit times are mostly fixed overhead
MIN_GAIN = 1e-3  # a gain below this is flat even when the folds agree exactly


def _power_law(x: np.ndarray, c: float, a: float, b: float) -> np.ndarray:
    return c - a * np.power(x, -b)


def _fit_one(ns: np.ndarray, scores: np.ndarray, metric_max: float) -> tuple[float, float, float] | None:
    """(c, a, b) in original units, or None when the fit fails.

    n is scaled by its maximum before fitting: with raw row counts a and n**-b
    span many orders of magnitude and the optimiser stalls.
    """
    from scipy.optimize import curve_fit

    if len(np.unique(ns)) < 3:
        return None
    scale = float(ns.max())
    x = ns / scale
    hi = float(metric_max)
    c0 = min(float(scores.max()) + 0.01, hi - 1e-9) if math.isfinite(hi) else float(scores.max()) + 0.01
    a0 = max(c0 - float(scores.min()), 1e-6) * float(x.min()) ** 0.5
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (c, a_s, b), _ = curve_fit(
                _power_law,
                x,
                scores,
                p0=[c0, a0, 0.5],
                bounds=([-np.inf, 0.0, B_MIN], [hi, np.inf, B_MAX]),
                maxfev=5000,
            )
    except (RuntimeError, ValueError, FloatingPointError):
        return None
    if not all(math.isfinite(v) for v in (c, a_s, b)):
        return None
    # a_s * x**-b == a * n**-b with a = a_s * scale**b.
    return float(c), float(a_s) * scale ** float(b), float(b)


def _predict(params: tuple[float, float, float], n: float) -> float:
    c, a, b = params
    return float(c - a * n ** (-b))


def fit_learning_curve(
    points_per_fold: Sequence[Sequence[tuple[int, float]]],
    metric_max: float = 1.0,
    n_targets: dict[str, int] | None = None,
) -> CurveFit:
    """Fit the curve and extrapolate to ``n_targets`` (default: "2x" and "10x"
    the largest measured size). Points are (training rows, primary score);
    each fold's list is in the same size order."""
    folds = [[(float(n), float(s)) for n, s in pts if math.isfinite(s)] for pts in points_per_fold]
    folds = [f for f in folds if f]
    all_pts = [p for f in folds for p in f]
    if not all_pts:
        return CurveFit(math.nan, math.nan, math.nan, ok=False, note="no learning-curve points were measured")

    # Fold-mean curve: group by position in the size order (folds differ by a row or two in n).
    depth = max(len(f) for f in folds)
    mean_n = np.array([np.mean([f[i][0] for f in folds if len(f) > i]) for i in range(depth)])
    mean_s = np.array([np.mean([f[i][1] for f in folds if len(f) > i]) for i in range(depth)])
    n_max = float(mean_n.max())
    targets = dict(n_targets) if n_targets else {"2x": int(round(2 * n_max)), "10x": int(round(10 * n_max))}

    if len(np.unique(np.round(mean_n))) < 3:
        return CurveFit(
            math.nan, math.nan, math.nan, predicted_rows=targets, ok=False,
            note=f"only {len(np.unique(np.round(mean_n)))} training sizes measured; 3 are needed to fit a curve",
        )  # fmt: skip
    mean_fit = _fit_one(mean_n, mean_s, metric_max)
    if mean_fit is None:
        return CurveFit(
            math.nan, math.nan, math.nan, predicted_rows=targets, ok=False,
            note="the power-law fit did not converge",
        )  # fmt: skip
    fold_fits = [
        fit
        for f in folds
        if (fit := _fit_one(np.array([p[0] for p in f]), np.array([p[1] for p in f]), metric_max))
    ]

    # Predictions are kept within a plausible range: a power law fitted to
    # four points can run away, and a score above the metric's maximum is impossible.
    observed = np.array([p[1] for p in all_pts])
    lo = float(observed.min()) - max(float(np.ptp(observed)), 0.01)
    hi = float(metric_max)

    def clip(v: float) -> float:
        return float(min(max(v, lo), hi))

    predicted: dict[str, Score] = {}
    for key, n in targets.items():
        per_fold = [clip(_predict(fit, n)) for fit in fold_fits] or [clip(_predict(mean_fit, n))]
        std = float(np.std(per_fold, ddof=1)) if len(per_fold) > 1 else 0.0
        predicted[key] = Score(mean=float(np.mean(per_fold)), std=std, folds=per_fold)

    note = ""
    # Flat when the predicted gain from the largest measured size to 10x is within the fold noise.
    at_max = [f[-1][1] for f in folds if len(f) == depth]
    spread = float(np.std(at_max, ddof=1)) if len(at_max) > 1 else 0.0
    gain = clip(_predict(mean_fit, 10 * n_max)) - clip(_predict(mean_fit, n_max))
    if gain < max(spread, MIN_GAIN):
        note = FLAT_NOTE
    if len(fold_fits) < len(folds):
        extra = f"the fit failed on {len(folds) - len(fold_fits)} of {len(folds)} folds"
        note = f"{note}; {extra}" if note else extra
    c, a, b = mean_fit
    return CurveFit(asymptote=c, a=a, b=b, predicted=predicted, predicted_rows=targets, ok=True, note=note)


def cost_exponent(points: Sequence[tuple[int, float]]) -> float:
    """The exponent p of ``t = k * n**p`` by least squares in log-log, clipped to [0.5, 2].

    1.0 (linear) when fewer than two sizes were timed, or when even the largest
    fit took under ``MIN_TIMED_SECONDS``: such timings are mostly fixed
    overhead and their slope says nothing about how the fit scales.
    """
    return cost_model(points)[0]


def cost_model(points: Sequence[tuple[int, float]]) -> tuple[float, str]:
    """(p, how it was chosen) for the time power law; see ``cost_exponent``."""
    pts = [(float(n), max(float(t), 1e-4)) for n, t in points if n > 0 and math.isfinite(t)]
    sizes = {n for n, _ in pts}
    if len(sizes) < 2:
        return 1.0, "assumed linear in rows (one training size timed)"
    if max(t for _, t in pts) < MIN_TIMED_SECONDS:
        return 1.0, "assumed linear in rows (fits too fast to measure how they scale)"
    logn = np.log([n for n, _ in pts])
    logt = np.log([t for _, t in pts])
    slope = float(np.polyfit(logn, logt, 1)[0])
    p = float(min(max(slope, P_MIN), P_MAX))
    clipped = " (clipped)" if p != slope else ""
    return p, f"power law t ~ n^{p:.2f}{clipped} fitted to {len(sizes)} timed training sizes"


def fit_cost(points: Sequence[tuple[int, float]], n_target: int) -> float:
    """Fit seconds at ``n_target`` rows: power law in rows, anchored at the
    largest measured size (so the estimate passes through the most relevant point)."""
    pts = [(float(n), float(t)) for n, t in points if n > 0 and math.isfinite(t)]
    if not pts:
        return math.nan
    p = cost_exponent(pts)
    n_max = max(n for n, _ in pts)
    t_max = float(np.mean([t for n, t in pts if n == n_max]))
    return t_max * (n_target / n_max) ** p
