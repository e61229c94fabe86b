"""Learning-curve extrapolation: ``fit_learning_curve``, the projections and their intervals.

The pieces live beside it: ``curve_families`` (the shapes and their bounded fits),
``curve_anchors`` (the fold-mean anchors and their noise, cut points, falls),
``curve_backtest`` (the families weighted by backtest, their mix), ``curve_bands``
(reading a fitted curve: value, rows to a score, crossings) and ``curve_cost`` (fit
time). This module re-exports what its users import from it.

Score: several parametric curve families (Mohr and van Rijn's survey; LCDB,
Mohr et al. 2022), fitted by bounded weighted least squares on the fold-mean
curve, with ``n`` scaled by the largest anchor:

- ``last``: the last measured score (no extrapolation; a hard baseline);
- ``pow3``: ``a - b n^-c``;
- ``pow4``: ``a - b (n + d)^-c`` (a power law with a shift);
- ``logpower``: ``a / (1 + (n / e^b)^c)`` with ``c < 0``;
- ``mmf4``: ``(a b + c n^d) / (b + n^d)`` (Morgan-Mercer-Flodin);
- ``wbl4``: ``c - b exp(-a n^d)`` (Weibull).

Every asymptote lies between the lowest measured score and the metric's maximum.
Each point's noise comes from a smooth model of the fold spread in ``log n``
(small anchors are noisier), which also weights the fit. The largest size is
fitted at the all-folds score (``anchor``), the level the projections start
from; points whose fit the clock cut are left out (lower bounds, ``curve_anchors.drop_cut``). Families are chosen
by backtest on this very curve: each is fitted on the early anchors and
predicts the later ones; every error is weighted by the inverse of the noise
expected at the held and the starting anchor, so predictions of the large,
precise anchors count most and the smallest anchors' noise does not dominate.
The weighted error per unit of log-size weights the families (inverse square,
times a prior, ``curve_backtest.prior``: on noisy curves pow3 is preferred a
hundredfold over every other candidate, "last" included, and a 4-parameter family
loses another tenth per parameter beyond three; families whose weight is below
the best's over ``KEEP_RATIO`` squared get none). On 6 to 8 noisy anchors the
backtest cannot tell the shapes apart, and pow3 alone projected better than the
backtest-weighted mix on every simulation and on the benchmark.
The projection is the weighted mix, its gain beyond the largest anchor damped
(``DAMPING`` of it kept on noisy curves, fading to all of it on precise ones):
a gain extrapolated from a few noisy anchors is too large on average. On noisy
curves ``SLOPE_SHARE`` of it (fading the same way) continues the local slope
instead: families fitted to the whole curve follow its small anchors' bend and
miss a learner that still speeds up where it was last measured. Its interval (``INTERVAL``, 80%) combines
the spread of the per-fold fits, the disagreement between the weighted
families, ``BT_SHARE`` of the backtest's systematic error (the noise
subtracted), ``GAIN_SHARE`` of the projected gain and the level's noise (the
all-folds score's corrected CV variance), scaled by ``CALIBRATION``: set so
that seeded simulations of noisy synthetic curves (the tests') are covered
about 80% of the time, and checked on ``benchmarks/bench_curves.py``.

The local slope (``curve_families.local_slope``: the score against ``ln n`` over
the last anchors, with its standard error) bounds the families from both sides.
Its optimistic value (one-sided 90%) caps each family's gain beyond the last
anchor (a curve does not rise faster in ``log n`` than where it was measured:
no sigmoid fitted to one lucky last point). And when the curve is still rising
beyond its noise, or was measured across less of ``log n`` than the projection
reaches beyond it (4 anchors over 2.25x projected 10x: too short a span to call it
flat), the interval's high end reaches the continuation of that
optimistic slope (``_continuation``: a power law towards the metric's maximum,
the most optimistic saturating shape with that slope): families fitted to the
bend of the measured sizes can be too flat where the learner changes with more
rows ("more is different"), and the interval must not exclude it. The interval
is then asymmetric.

A curve whose score falls significantly (beyond the fold noise) is flagged
``monotone=False``; when it ends below its peak it is projected as the last
measured score, not forced through a power law.

Projections are estimates and are labelled so (fit time: ``curve_cost``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from advisor.probe_api import CurveFit, Score
from advisor.probing.curve_anchors import DIP_MIN, MIN_NOISE, dip, drop_cut, noise, size_groups
from advisor.probing.curve_backtest import backtest, mix, noisiness, weights_of
from advisor.probing.curve_bands import BAND_POINTS, CROSSING_SPAN, crossing, curve_value, rows_to_score
from advisor.probing.curve_cost import cost_exponent, cost_model, fit_cost
from advisor.probing.curve_families import (
    FAMILIES,
    FAMILY_SHAPES,
    Params,
    family_value,
    fit_family,
    local_slope,
)

__all__ = [  # this module's users import these from here
    "FAMILIES",
    "FAMILY_SHAPES",
    "FLAT_NOTE",
    "INTERVAL",
    "Params",
    "cost_exponent",
    "cost_model",
    "crossing",
    "curve_value",
    "family_value",
    "fit_cost",
    "fit_family",
    "fit_learning_curve",
    "rows_to_score",
]

FLAT_NOTE = "flat: more data is not expected to help"
MIN_GAIN = 1e-3  # a gain below this is flat even when the folds agree exactly
INTERVAL = 0.8  # nominal coverage of the projection intervals
Z_INTERVAL = 1.2816  # two-sided 80% normal quantile
BT_SHARE = 0.5  # the backtest error is itself noisy: this share of it enters the interval
CV_TEST_SHARE = 0.25  # test rows / training rows of the plan's 5-fold CV (the level's corrected variance)
GAIN_SHARE = 0.2  # a projected gain is uncertain in proportion to its size
CALIBRATION = 0.8  # interval scale: about 80% coverage on seeded simulations; checked on the benchmark
Z_ONE_SIDED = 1.2816  # the 80% interval's upper end is the 90% one-sided quantile
DAMPING = 0.8  # the share of the projected gain kept on noisy curves (see ``_damping``)
# The share of each projection that continues the curve's local slope instead of the families'
# mix (``_continuation``, with the slope's own value; the last score where it ends flat). The
# families are fitted to the whole curve, whose small anchors' bend dominates them: where a
# learner still speeds up in log n at its largest anchors (LightGBM on the benchmark's sets,
# whose curves turn up between the last curve anchor and the full size) they are too flat,
# and the projections were low on average. In full on noisy curves, fading on precise ones
# (``noisiness``, as the prior): on noiseless curves of known shape the families are right and
# the slope's continuation is not (a share in full moved them 0.5 points off). On the
# five-seed replay of bench_curves.py (90 projections) 0.2 took the mean error from 2.19 to
# 2.09 points (signed -1.05 to -0.47), coverage 86% both; on the runner-shaped simulations
# 2.51 -> 2.46 and 1.90 -> 1.86 points. 0.25 and 0.3: 2.08 and 2.07 on the replay, worse on
# both simulations (2.48, 1.88; 2.50, 1.91), the nets' projections high.
SLOPE_SHARE = 0.2


def _continuation(last: float, slope: float, hi: float, r: float) -> float:
    """The score at ``r`` times the largest size if the curve keeps its local ``slope`` in
    ``ln n`` and bends like a power law towards the metric's maximum ``hi``: the most
    optimistic saturating shape with that slope (a family with a lower asymptote bends
    sooner). ``hi - (hi - last) r^(-c)`` with ``c = slope / (hi - last)``."""
    gap = hi - last
    if slope <= 0 or gap <= 0 or r <= 1:
        return last
    return hi - gap * r ** (-slope / gap)


def _damping(noise: float) -> float:
    """The share of the families' projected gain beyond the largest anchor that the
    projection keeps: ``DAMPING`` when the level's noise is ``PRIOR_NOISE`` or more, 1 on
    precise curves (``curve_backtest.noisiness``, as the prior). A gain extrapolated from a
    few noisy anchors is too large on average: the fits' amplitude cannot be negative (noise
    around a flat curve reads as a rise), and an exponent fitted with noise extrapolates
    convexly. Shrinking it towards the last score trades that bias for a little of the
    steep curves' (whose interval's high end keeps their continuation): on the seeded
    runner-shaped simulations 0.7 to 0.9 all beat 1, 0.8 best or tied on every set."""
    return 1.0 - (1.0 - DAMPING) * noisiness(noise)


def fit_learning_curve(
    points_per_fold: Sequence[Sequence[tuple[int, float]]],
    metric_max: float = 1.0,
    n_targets: dict[str, int] | None = None,
    anchor: Score | None = None,
    cut: Sequence[Sequence[bool]] | None = None,
) -> CurveFit:
    """Fit the curve and extrapolate to ``n_targets`` (default: "2x" and "10x"
    the largest measured size). Points are (training rows, primary score);
    each fold's list is in the same size order. ``anchor``: the score at the
    largest size over every fold (the runner measures it on more folds than the
    curve's), the level the projections start from; default: the curve folds' mean.
    ``cut``: per point, whether the clock stopped its fit before it converged (the
    same shape as the points); see ``_drop_cut``."""
    points_per_fold, cut_note = drop_cut(points_per_fold, cut)
    folds = [[(float(n), float(s)) for n, s in pts if math.isfinite(s)] for pts in points_per_fold]
    folds = [f for f in folds if f]
    all_pts = [p for f in folds for p in f]
    if not all_pts:
        return CurveFit(math.nan, math.nan, math.nan, ok=False, note="no learning-curve points were measured")

    # Fold-mean curve: points grouped by size (folds differ by a row or two in n, and the
    # small anchors may be measured on more folds than the large ones).
    group = size_groups([p[0] for p in all_pts])
    depth = max(group.values()) + 1
    at = [[p for f in folds for p in f if group[p[0]] == i] for i in range(depth)]
    mean_n = np.array([np.mean([p[0] for p in pts]) for pts in at])
    mean_s = np.array([np.mean([p[1] for p in pts]) for pts in at])
    sd = np.array([np.std([p[1] for p in pts], ddof=1) if len(pts) > 1 else np.nan for pts in at])
    counts = np.array([len(pts) for pts in at])
    n_max = float(mean_n.max())
    targets = dict(n_targets) if n_targets else {"2x": int(round(2 * n_max)), "10x": int(round(10 * n_max))}

    if len(np.unique(np.round(mean_n))) < 3:
        return CurveFit(
            math.nan, math.nan, math.nan, predicted_rows=targets, ok=False,
            note=f"only {len(np.unique(np.round(mean_n)))} training sizes measured; 3 are needed to fit a curve",
        )  # fmt: skip

    observed = np.array([p[1] for p in all_pts])
    hi = (
        float(metric_max)
        if math.isfinite(metric_max)
        else float(observed.max() + 10 * max(np.ptp(observed), 0.01))
    )
    lo_asym = min(float(mean_s.min()), hi - 1e-3)
    se = noise(mean_n, sd, counts)
    last = float(mean_s[-1])
    se_level = float(se[-1])  # noise of the level the projections start from
    if anchor is not None and math.isfinite(anchor.mean):
        last = float(anchor.mean)
        k_all = len(anchor.folds)
        if k_all > 1 and math.isfinite(anchor.std):
            # Folds of one sample overlap: Nadeau and Bengio's corrected variance of a CV mean,
            # sd^2 (1 / J + n_test / n_train), not sd^2 / J (the sample's own luck stays in).
            se_level = math.hypot(float(anchor.std) * math.sqrt(1.0 / k_all + CV_TEST_SHARE), MIN_NOISE)
    # The floor of every projection and interval: below the lowest score measured, the level
    # included (the all-folds anchor can lie below every curve point: curve folds at AUC 1.0,
    # the anchor's 25 folds at 0.987; a floor from the curve points alone, 0.99, lifted the
    # interval's low end above its own projection).
    lo_clip = min(float(observed.min()), last) - max(float(np.ptp(observed)), 0.01)
    # The curve's largest anchor is the score over every fold (the curve folds' mean there
    # is the same size measured on fewer folds): the fits bend towards the better-measured level.
    y_fit, se_fit = mean_s, se
    if anchor is not None and math.isfinite(anchor.mean) and len(anchor.folds) > counts[-1]:
        y_fit, se_fit = mean_s.copy(), se.copy()
        y_fit[-1] = last
        if math.isfinite(anchor.std):
            se_fit[-1] = min(se[-1], math.hypot(float(anchor.std) / math.sqrt(len(anchor.folds)), MIN_NOISE))

    notes: list[str] = [cut_note] if cut_note else []
    fall = dip(mean_n, mean_s, se)
    monotone = fall is None
    peaked = fall is not None and mean_s[-1] < float(mean_s.max()) - max(
        2.0 * math.hypot(se[-1], se[int(np.argmax(mean_s))]), DIP_MIN
    )
    if fall is not None:
        i, j = fall
        notes.append(
            f"non-monotone: the score fell from {mean_s[i]:.3f} at {mean_n[i]:,.0f} rows to "
            f"{mean_s[j]:.3f} at {mean_n[j]:,.0f} rows"
            + ("; projected as the last measured score" if peaked else "")
        )

    x = mean_n / n_max
    names = ("last",) if peaked else FAMILIES
    bt, bt_raw = backtest(names, mean_n, y_fit, se_fit, lo_asym, hi)
    params: dict[str, Params] = {}
    for name in names:
        if name != "last":
            p = fit_family(name, x, y_fit, se_fit, lo_asym, hi)
            if p is None:
                bt[name] = bt_raw[name] = math.inf
            else:
                params[name] = p
    weights = weights_of(bt_raw, se_level)
    damp = _damping(se_level)
    if len(params) == 0 and not peaked:
        weights = {"last": 1.0}
        notes.append("no curve family converged: projected as the last measured score")
    bt_err = (
        math.sqrt(sum(w * bt[k] ** 2 for k, w in weights.items()))
        if all(math.isfinite(bt[k]) for k in weights)
        else math.nan
    )

    # How fast the curve still rises at its end, the level the projections start from as
    # its last point; its optimistic (one-sided 90%) value caps each family's gain beyond
    # the last anchor (a curve does not rise faster in log n than where it was measured)
    # and sets the interval's high end when the families bend sooner than it says.
    _, slope, slope_se = local_slope(mean_n / n_max, y_fit, se_fit)
    slope_up = max(slope + Z_ONE_SIDED * slope_se, 0.0) if math.isfinite(slope_se) else math.inf
    rising = math.isfinite(slope_se) and slope > Z_ONE_SIDED * slope_se
    # Precise anchors: the families see the shape. A curve projected as its last score (it fell,
    # and no family is fitted; or none converged) is said to be so: no share of a slope then.
    slope_share = SLOPE_SHARE * noisiness(se_level) if params else 0.0

    # Per-fold fits of the weighted families, mixed with the same weights: the spread.
    fold_params: list[tuple[dict[str, Params], float, float]] = []
    failed = 0
    for f in folds:
        idx = [group[p[0]] for p in f]
        fn = np.array([p[0] for p in f])
        fs = np.array([p[1] for p in f])
        # A fold's own curve: the sizes from the smallest up without a gap (a curve cut short
        # is a prefix); folds that only repeat the small anchors add to the mean, not here.
        if idx != list(range(len(f))) or len(f) < 3:
            continue
        fold_se = se[: len(fs)] * np.sqrt(counts[: len(fs)])  # one fold's noise at each size
        fp: dict[str, Params] = {}
        for name in weights:
            if name != "last":
                q = fit_family(name, fn / n_max, fs, fold_se, lo_asym, hi)
                if q is None:
                    break
                fp[name] = q
        else:
            fold_params.append((fp, float(fs[-1]), float(fn.max())))
            continue
        failed += 1

    def clip(v: np.ndarray | float) -> np.ndarray:
        return np.clip(v, lo_clip, hi)

    def blend(value: float, xt: np.ndarray) -> float:
        """``value`` with ``slope_share`` of it moved to the local slope's continuation (the
        last score where the curve ends flat or falling): see ``SLOPE_SHARE``."""
        if not math.isfinite(metric_max):
            return value
        return (1 - slope_share) * value + slope_share * _continuation(last, slope, hi, float(xt[0]))

    def spread_at(w: dict[str, float], xt: np.ndarray) -> tuple[float, list[float], float, float]:
        """(center, per-fold projections, their sd, the families' disagreement) at ``xt``."""
        center = blend(float(clip(mix(w, params, xt, last, slope_up, damp))[0]), xt)
        # Each fold's gain from the common level: the spread of the trend, not of the level.
        per_fold = [
            blend(float(clip(mix(w, fp, xt, last, slope_up, damp))[0]), xt) for fp, _, _ in fold_params
        ]
        per_fold = per_fold or [center]
        f_sd = float(np.std(per_fold, ddof=1)) if len(per_fold) > 1 else float(se[-1])
        comps = [blend(float(clip(mix({k: 1.0}, params, xt, last, slope_up, damp))[0]), xt) for k in w]
        fam_sd = math.sqrt(sum(wk * (c - center) ** 2 for wk, c in zip(w.values(), comps, strict=True)))
        return center, per_fold, f_sd, fam_sd

    def interval_at(n_t: float) -> tuple[Score, float, float]:
        """(projection with its fold spread, low, high) at ``n_t`` training rows."""
        xt = np.array([n_t / n_max])
        center, per_fold, f_sd, fam_sd = spread_at(weights, xt)
        logr = max(math.log(max(n_t / n_max, 1.0)), 0.0)
        bt_part = (bt_err if math.isfinite(bt_err) else 0.0) * logr
        if peaked:  # no trend is trusted: the fall itself is the uncertainty
            bt_part = max(bt_part, float(mean_s.max() - last) / BT_SHARE)
        fold_part = f_sd / math.sqrt(max(len(per_fold), 1))
        gain_part = GAIN_SHARE * abs(center - last)
        sd = Z_INTERVAL * math.sqrt(
            fold_part**2 + fam_sd**2 + (BT_SHARE * bt_part) ** 2 + gain_part**2 + se_level**2
        )
        half = CALIBRATION * sd
        top = center + half
        # A curve measured across less of ``ln n`` than it is projected across cannot show
        # that it is flat: its slope's optimistic value is as possible as the families' bend.
        short = math.log(n_max / float(mean_n.min())) < logr
        if (rising or short) and math.isfinite(metric_max):
            top = max(top, _continuation(last, slope_up, hi, n_t / n_max))
        return (
            Score(mean=center, std=f_sd, folds=per_fold),
            float(min(max(center - half, lo_clip), center)),  # an interval holds its projection
            float(max(min(top, hi), center)),
        )

    predicted: dict[str, Score] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for key, n_t in targets.items():
        predicted[key], low[key], high[key] = interval_at(n_t)
    # The band beyond the largest measured size, for planning (rows to a target
    # score, crossings) and the figures: the same interval as the projections'.
    band_rows = [int(round(v)) for v in np.geomspace(n_max, CROSSING_SPAN * n_max, BAND_POINTS)]
    band = [interval_at(v) for v in band_rows]

    # Flat when the predicted gain from the largest measured size to 10x is within the noise
    # of the score measured there (the all-folds anchor's when given). Not one fold's spread,
    # nor the three curve folds': on 89-row test folds those were 0.09 and 0.10 R^2, and
    # curves projected 8 points up read "flat" beside their own overtaking estimates.
    grid = clip(mix(weights, params, np.array([1.0, 10.0]), last, slope_up, damp))
    if float(grid[1] - grid[0]) < max(float(se_fit[-1]), MIN_GAIN):
        notes.insert(0, FLAT_NOTE)
    if failed:
        notes.append(f"the fit failed on {failed} of {len(folds)} folds")
    family = max(weights, key=lambda k: weights[k])
    p3 = params.get("pow3")
    if p3 is not None:  # a b n^-c in original units: b_s x^-c = b_s n_max^c n^-c
        a3, b3 = p3[1] * n_max ** p3[2], p3[2]
    else:
        a3 = b3 = math.nan
    asym = last + float(
        sum(
            w * (params[k][0] - float(family_value(k, params[k], 1.0)))
            for k, w in weights.items()
            if k != "last"
        )
    )
    return CurveFit(
        asymptote=min(asym, hi), a=float(a3), b=float(b3), predicted=predicted, predicted_rows=targets, ok=True,
        note="; ".join(notes), family=family, weights={k: float(v) for k, v in weights.items()},
        params={k: [float(v) for v in p] for k, p in params.items() if k in weights},
        n_ref=n_max, last_score=last, predicted_low=low, predicted_high=high, interval=INTERVAL,
        monotone=monotone, backtest_error=float(bt_err) if math.isfinite(bt_err) else math.nan,
        band_rows=band_rows, band_mid=[b[0].mean for b in band], band_low=[b[1] for b in band],
        band_high=[b[2] for b in band],
    )  # fmt: skip
