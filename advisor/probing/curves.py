"""Learning-curve and cost extrapolation.

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
from; points whose fit the clock cut are left out (lower bounds, ``_drop_cut``). Families are chosen
by backtest on this very curve: each is fitted on the early anchors and
predicts the later ones; every error is weighted by the inverse of the noise
expected at the held and the starting anchor, so predictions of the large,
precise anchors count most and the smallest anchors' noise does not dominate.
The weighted error per unit of log-size weights the families (inverse square;
families more than ``KEEP_RATIO`` times worse than the best get no weight).
The projection is the weighted mix. Its interval (``INTERVAL``, 80%) combines
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
beyond its noise, the interval's high end reaches the continuation of that
optimistic slope (``_continuation``: a power law towards the metric's maximum,
the most optimistic saturating shape with that slope): families fitted to the
bend of the measured sizes can be too flat where the learner changes with more
rows ("more is different"), and the interval must not exclude it. The interval
is then asymmetric.

A curve whose score falls significantly (beyond the fold noise) is flagged
``monotone=False``; when it ends below its peak it is projected as the last
measured score, not forced through a power law.

Fit time: ``t = k * n**p`` with p clipped to [0.5, 2]. Both are estimates and
are labelled so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from advisor.probe_api import CurveFit, RowsEstimate, Score
from advisor.probing.curve_families import (  # noqa: F401
    FAMILIES,
    FAMILY_SHAPES,
    Params,
    family_value,
    fit_family,
    local_slope,
)

P_MIN, P_MAX = 0.5, 2.0
FLAT_NOTE = "flat: more data is not expected to help"
MIN_TIMED_SECONDS = 0.2  # below this, fit times are mostly fixed overhead
MIN_GAIN = 1e-3  # a gain below this is flat even when the folds agree exactly
INTERVAL = 0.8  # nominal coverage of the projection intervals
Z_INTERVAL = 1.2816  # two-sided 80% normal quantile
BT_SHARE = 0.5  # the backtest error is itself noisy: this share of it enters the interval
CV_TEST_SHARE = 0.25  # test rows / training rows of the plan's 5-fold CV (the level's corrected variance)
GAIN_SHARE = 0.2  # a projected gain is uncertain in proportion to its size
CALIBRATION = 0.8  # interval scale: about 80% coverage on seeded simulations; checked on the benchmark
KEEP_RATIO = 2.0  # a family whose backtest error exceeds the best's by this factor gets no weight
MAX_CUTS = 3  # backtests: hold out the last 1, 2, ... MAX_CUTS anchors
NOISE_POINT_SHARE = 0.3  # weight of a point's own fold spread against the noise model
LOG_SD_BIAS = 0.27  # E[log sd] of 3 normal draws is about 0.27 below log sigma
MIN_NOISE = 2e-3  # floor of a point's standard error (scores are rounded, folds few)
DIP_MIN = 5e-3  # a fall smaller than this is never called non-monotone
CROSSING_SPAN = 100.0  # projections, crossings and rows to a target are searched up to this multiple
SIZE_TOLERANCE = 1.1  # sizes within this ratio of a group's smallest are one anchor (the grid steps by 1.41)
BAND_POINTS = 41  # sizes of the projection band, geometric from the largest measured size to the span
Z_ONE_SIDED = 1.2816  # the 80% interval's upper end is the 90% one-sided quantile


def _noise(n: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Standard error of each fold-mean point. A point's spread over a few folds is a
    noisy estimate of its own, so it is shrunk towards a smooth noise model,
    ``log sd = u + v log n`` (v in [-1, 0.5]) fitted over all points: small anchors
    are noisier, and that shows in the model even when three folds happen to agree."""
    multi = (counts > 1) & np.isfinite(sd) & (sd > 0)
    se_pt = np.where(multi, sd / np.sqrt(np.maximum(counts, 1)), np.nan)
    if int(multi.sum()) >= 3:
        ln, ls = np.log(n[multi]), np.log(sd[multi])
        slope = float(np.polyfit(ln, ls, 1)[0]) if np.ptp(ln) > 0 else 0.0
        slope = min(max(slope, -1.0), 0.5)
        level = float(np.mean(ls - slope * ln)) + LOG_SD_BIAS
        sd_model = np.exp(level + slope * np.log(n))
    elif np.any(multi):
        sd_model = np.full(len(n), float(np.median(sd[multi])))
    else:
        sd_model = np.full(len(n), 0.01 * math.sqrt(max(float(np.max(counts)), 1.0)))
    se_model = sd_model / np.sqrt(np.maximum(counts, 1))
    se_pt = np.where(np.isfinite(se_pt), se_pt, se_model)
    return np.sqrt(NOISE_POINT_SHARE * se_pt**2 + (1 - NOISE_POINT_SHARE) * se_model**2 + MIN_NOISE**2)


def _dip(n: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[int, int] | None:
    """(peak index, later lower index) of the largest significant fall, or None."""
    best: tuple[float, int, int] | None = None
    for j in range(1, len(y)):
        i = int(np.argmax(y[:j]))
        drop = float(y[i] - y[j])
        thr = max(2.0 * math.hypot(float(se[i]), float(se[j])), DIP_MIN)
        if drop > thr and (best is None or drop - thr > best[0]):
            best = (drop - thr, i, j)
    return None if best is None else (best[1], best[2])


def _backtest(
    names: Sequence[str], n: np.ndarray, y: np.ndarray, se: np.ndarray, lo: float, hi: float
) -> tuple[dict[str, float], dict[str, float]]:
    """Per family: the systematic error predicting later anchors from earlier ones, per
    unit of log-size.

    Each prediction (from the anchor before the cut) of a held anchor ``j`` has an
    error ``e`` and an expected noise variance ``v = se_j^2 + se_cut^2``; errors are
    weighted by ``1 / v`` (predictions of the large, precise anchors count most; the
    small anchors' noise does not dominate), and the noise is subtracted:
    ``s^2 = sum((e^2 - v) / v) / sum(log(n_j / n_cut)^2 / v)``, floored at 0. Also
    returned, for weighting the families: the same weighted error without the noise
    subtracted, ``sum(e^2 / v) / sum(log^2 / v)`` (families that differ by less than the
    noise get about equal weights). inf when a family cannot be backtested."""
    k = len(n)
    out: dict[str, float] = {}
    raw: dict[str, float] = {}
    for name in names:
        need = 1 if name == "last" else max(3, FAMILY_SHAPES[name].n_params)
        num = den = cnt = 0.0
        for cut in range(k - 1, max(k - 1 - MAX_CUTS, 0), -1):  # fit on anchors [0, cut)
            if cut < need:
                break
            x = n[:cut] / n[cut - 1]
            xh = n[cut:] / n[cut - 1]
            if name == "last":
                pred = np.full(len(xh), y[cut - 1])
            else:
                p = fit_family(name, x, y[:cut], se[:cut], lo, hi)
                if p is None:
                    num, den = math.inf, 1.0
                    break
                pred = y[cut - 1] + family_value(name, p, xh) - family_value(name, p, 1.0)
            logr = np.log(xh)
            v = se[cut:] ** 2 + se[cut - 1] ** 2
            num += float(np.sum(((pred - y[cut:]) ** 2 - v) / v))
            den += float(np.sum(logr**2 / v))
            cnt += float(len(v))
        out[name] = math.sqrt(max(num, 0.0) / den) if den > 0 else math.inf
        raw[name] = math.sqrt(max(num + cnt, 0.0) / den) if den > 0 else math.inf
    return out, raw


def _weights(bt: dict[str, float]) -> dict[str, float]:
    finite = {k: v for k, v in bt.items() if math.isfinite(v)}
    if not finite:
        return {"last": 1.0}
    best = min(finite.values())
    floor = max(best, 1e-4)
    kept = {k: 1.0 / max(v, floor * 0.5) ** 2 for k, v in finite.items() if v <= KEEP_RATIO * floor}
    total = sum(kept.values())
    return {k: v / total for k, v in sorted(kept.items(), key=lambda kv: -kv[1])}


def _mix(
    weights: dict[str, float], params: dict[str, Params], x: np.ndarray, last: float, cap: float = math.inf
) -> np.ndarray:
    """The weighted projection at scaled sizes ``x``, anchored at the last measured
    score: each family contributes its predicted gain from ``x = 1`` (the largest
    anchor), so a fit that runs a little below the last point does not drag the level.
    ``cap``: the most a family may gain per unit of log-size beyond ``x = 1`` (see
    ``local_slope``)."""
    out = np.full_like(x, last, dtype=np.float64)
    room = cap * np.log(np.maximum(x, 1.0)) if math.isfinite(cap) else np.inf
    for name, w in weights.items():
        if name != "last":
            gain = family_value(name, params[name], x) - family_value(name, params[name], 1.0)
            out += w * np.minimum(gain, room)
    return out


def _continuation(last: float, slope: float, hi: float, r: float) -> float:
    """The score at ``r`` times the largest size if the curve keeps its local ``slope`` in
    ``ln n`` and bends like a power law towards the metric's maximum ``hi``: the most
    optimistic saturating shape with that slope (a family with a lower asymptote bends
    sooner). ``hi - (hi - last) r^(-c)`` with ``c = slope / (hi - last)``."""
    gap = hi - last
    if slope <= 0 or gap <= 0 or r <= 1:
        return last
    return hi - gap * r ** (-slope / gap)


def curve_value(fit: CurveFit, n: float | np.ndarray) -> np.ndarray:
    """The fitted (weighted) curve at ``n`` training rows; nan when the fit is not ok.
    Beyond the largest measured size it follows the projection band (the families'
    gains capped by the local slope there; held at the band's end beyond it)."""
    ns = np.asarray(n, dtype=np.float64)
    if not fit.ok or fit.n_ref <= 0:
        return np.full_like(ns, math.nan)
    params = {k: tuple(v) for k, v in fit.params.items()}
    inside = _mix(fit.weights, params, ns / fit.n_ref, fit.last_score)
    if not _banded(fit):
        return inside
    ahead = np.interp(np.log(np.maximum(ns, 1.0)), np.log(fit.band_rows), fit.band_mid)
    return np.where(ns > fit.n_ref, ahead, inside)


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
    points_per_fold, cut_note = _drop_cut(points_per_fold, cut)
    folds = [[(float(n), float(s)) for n, s in pts if math.isfinite(s)] for pts in points_per_fold]
    folds = [f for f in folds if f]
    all_pts = [p for f in folds for p in f]
    if not all_pts:
        return CurveFit(math.nan, math.nan, math.nan, ok=False, note="no learning-curve points were measured")

    # Fold-mean curve: points grouped by size (folds differ by a row or two in n, and the
    # small anchors may be measured on more folds than the large ones).
    group = _size_groups([p[0] for p in all_pts])
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
    lo_clip = float(observed.min()) - max(float(np.ptp(observed)), 0.01)
    se = _noise(mean_n, sd, counts)
    last = float(mean_s[-1])
    se_level = float(se[-1])  # noise of the level the projections start from
    if anchor is not None and math.isfinite(anchor.mean):
        last = float(anchor.mean)
        k_all = len(anchor.folds)
        if k_all > 1 and math.isfinite(anchor.std):
            # Folds of one sample overlap: Nadeau and Bengio's corrected variance of a CV mean,
            # sd^2 (1 / J + n_test / n_train), not sd^2 / J (the sample's own luck stays in).
            se_level = math.hypot(float(anchor.std) * math.sqrt(1.0 / k_all + CV_TEST_SHARE), MIN_NOISE)
    # The curve's largest anchor is the score over every fold (the curve folds' mean there
    # is the same size measured on fewer folds): the fits bend towards the better-measured level.
    y_fit, se_fit = mean_s, se
    if anchor is not None and math.isfinite(anchor.mean) and len(anchor.folds) > counts[-1]:
        y_fit, se_fit = mean_s.copy(), se.copy()
        y_fit[-1] = last
        if math.isfinite(anchor.std):
            se_fit[-1] = min(se[-1], math.hypot(float(anchor.std) / math.sqrt(len(anchor.folds)), MIN_NOISE))

    notes: list[str] = [cut_note] if cut_note else []
    dip = _dip(mean_n, mean_s, se)
    monotone = dip is None
    peaked = dip is not None and mean_s[-1] < float(mean_s.max()) - max(
        2.0 * math.hypot(se[-1], se[int(np.argmax(mean_s))]), DIP_MIN
    )
    if dip is not None:
        i, j = dip
        notes.append(
            f"non-monotone: the score fell from {mean_s[i]:.3f} at {mean_n[i]:,.0f} rows to "
            f"{mean_s[j]:.3f} at {mean_n[j]:,.0f} rows"
            + ("; projected as the last measured score" if peaked else "")
        )

    x = mean_n / n_max
    names = ("last",) if peaked else FAMILIES
    bt, bt_raw = _backtest(names, mean_n, y_fit, se_fit, lo_asym, hi)
    params: dict[str, Params] = {}
    for name in names:
        if name != "last":
            p = fit_family(name, x, y_fit, se_fit, lo_asym, hi)
            if p is None:
                bt[name] = bt_raw[name] = math.inf
            else:
                params[name] = p
    weights = _weights(bt_raw)
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

    def spread_at(w: dict[str, float], xt: np.ndarray) -> tuple[float, list[float], float, float]:
        """(center, per-fold projections, their sd, the families' disagreement) at ``xt``."""
        center = float(clip(_mix(w, params, xt, last, slope_up))[0])
        # Each fold's gain from the common level: the spread of the trend, not of the level.
        per_fold = [float(clip(_mix(w, fp, xt, last, slope_up))[0]) for fp, _, _ in fold_params] or [center]
        f_sd = float(np.std(per_fold, ddof=1)) if len(per_fold) > 1 else float(se[-1])
        comps = [float(clip(_mix({k: 1.0}, params, xt, last, slope_up))[0]) for k in w]
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
        if rising and math.isfinite(metric_max):
            top = max(top, _continuation(last, slope_up, hi, n_t / n_max))
        return (
            Score(mean=center, std=f_sd, folds=per_fold),
            float(max(center - half, lo_clip)),
            float(min(top, hi)),
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

    # Flat when the predicted gain from the largest measured size to 10x is within the fold noise.
    at_max = [f[-1][1] for f in folds if len(f) == depth and group[f[-1][0]] == depth - 1]
    spread = float(np.std(at_max, ddof=1)) if len(at_max) > 1 else 0.0
    grid = clip(_mix(weights, params, np.array([1.0, 10.0]), last, slope_up))
    if float(grid[1] - grid[0]) < max(spread, MIN_GAIN):
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


def _first_reach(rows: Sequence[int], gap: Sequence[float]) -> int | None:
    """The first of ``rows`` where ``gap`` turns positive, interpolated in log rows;
    None when it never does."""
    g = np.asarray(gap, dtype=np.float64)
    if not len(g) or not np.all(np.isfinite(g)):
        return None
    above = np.flatnonzero(g > 0)
    if not len(above):
        return None
    i = int(above[0])
    if i == 0:
        return int(rows[0])
    lo, hi = math.log(rows[i - 1]), math.log(rows[i])
    t = float(-g[i - 1] / (g[i] - g[i - 1]))
    return int(round(math.exp(lo + t * (hi - lo))))


def _drop_cut(
    points_per_fold: Sequence[Sequence[tuple[int, float]]], cut: Sequence[Sequence[bool]] | None
) -> tuple[list[list[tuple[int, float]]], str]:
    """The points without those whose fit the clock cut, and a note saying how many left.

    A cut fit's score is a lower bound (it stopped before it converged): kept, it drags
    the curve down where it was cut and can hide a rise that continues. The full-size
    fits (the largest size, the score itself) stay: the report says when those were
    cut, and then the score is a lower bound."""
    if cut is None or not any(any(c) for c in cut):
        return [list(pts) for pts in points_per_fold], ""
    n_full = max((n for pts in points_per_fold for n, _ in pts), default=0) / SIZE_TOLERANCE
    out: list[list[tuple[int, float]]] = []
    dropped = 0
    for pts, flags in zip(points_per_fold, cut, strict=True):
        keep = [p for p, c in zip(pts, flags, strict=True) if not c or p[0] >= n_full]
        dropped += len(pts) - len(keep)
        out.append(keep)
    note = (
        f"{dropped} learning-curve point{'s' if dropped != 1 else ''} left out of the fit: "
        "the time budget cut a fit short (its score is a lower bound); raise --budget to measure them"
    )
    return out, note if dropped else ""


def _size_groups(sizes: Sequence[float]) -> dict[float, int]:
    """Each training size's anchor index, ascending: sizes within ``SIZE_TOLERANCE`` of
    the smallest of their group are one anchor measured on several folds."""
    out: dict[float, int] = {}
    start, index = -1.0, -1
    for n in sorted(set(sizes)):
        if index < 0 or n > start * SIZE_TOLERANCE:
            start, index = n, index + 1
        out[n] = index
    return out


def _banded(fit: CurveFit) -> bool:
    return fit.ok and len(fit.band_rows) > 1 and len(fit.band_mid) == len(fit.band_rows)


def rows_to_score(fit: CurveFit, target: float) -> RowsEstimate | None:
    """Training rows at which ``fit`` is projected to reach ``target`` (the metric's
    units), with the interval read off its band; None when the curve was not fitted."""
    if not _banded(fit):
        return None
    rows = fit.band_rows
    span = rows[-1] / rows[0]
    if fit.last_score >= target:
        return RowsEstimate(int(fit.n_ref), int(fit.n_ref), int(fit.n_ref), span, already=True)
    return RowsEstimate(
        rows=_first_reach(rows, [m - target for m in fit.band_mid]),
        rows_low=_first_reach(rows, [h - target for h in fit.band_high]),
        rows_high=_first_reach(rows, [lo - target for lo in fit.band_low]),
        span=span,
    )


def _on(fit: CurveFit, values: list[float], rows: np.ndarray) -> np.ndarray:
    """A band edge of ``fit`` at ``rows`` (interpolated in log rows)."""
    return np.interp(np.log(rows), np.log(fit.band_rows), values)


def crossing(challenger: CurveFit, leader: CurveFit) -> RowsEstimate | None:
    """Training rows at which ``challenger``'s projection overtakes ``leader``'s, with the
    range from the optimistic (challenger's band top against the leader's bottom) to the
    pessimistic pairing; searched over the rows both bands cover. None without bands or
    when the challenger is ahead already at the start."""
    if not (_banded(challenger) and _banded(leader)):
        return None
    start = max(challenger.band_rows[0], leader.band_rows[0])
    stop = min(challenger.band_rows[-1], leader.band_rows[-1])
    if stop <= start:
        return None
    rows = np.geomspace(start, stop, 121)
    mid = _on(challenger, challenger.band_mid, rows) - _on(leader, leader.band_mid, rows)
    grid = [int(round(v)) for v in rows]
    if mid[0] > 0:
        return RowsEstimate(grid[0], grid[0], grid[0], stop / start, already=True)
    return RowsEstimate(
        rows=_first_reach(grid, list(mid)),
        rows_low=_first_reach(
            grid, list(_on(challenger, challenger.band_high, rows) - _on(leader, leader.band_low, rows))
        ),
        rows_high=_first_reach(
            grid, list(_on(challenger, challenger.band_low, rows) - _on(leader, leader.band_high, rows))
        ),
        span=stop / start,
    )
