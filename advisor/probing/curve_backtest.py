"""Weighting the curve families by backtest, and their weighted mix.

Each family is fitted on the early anchors of this very curve and predicts the later
ones (``backtest``); every error is weighted by the inverse of the noise expected at
the held and the starting anchor, so predictions of the large, precise anchors count
most. The weighted error per unit of log-size weights the families (``weights_of``);
``mix`` is the weighted projection, each family's gain added to the last score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from advisor.probing.curve_families import FAMILY_SHAPES, Params, family_value, fit_family

KEEP_RATIO = 3.0  # a family whose weight is below the best's over this ratio squared gets none
PARAM_PRIOR = 0.1  # prior weight per parameter beyond three (see ``prior``)
PREFERRED = "pow3"  # the family the prior favours on noisy curves (see ``prior``)
OTHER_PRIOR = 0.01  # prior weight of every other candidate on noisy curves, "last" included
PREFERENCE_FADE = 1.5  # the preference fades as this power of ``noisiness`` (see ``prior``)
PRIOR_NOISE = 0.02  # the level's noise (2 points) from which the prior applies in full
MAX_CUTS = 3  # backtests: hold out the last 1, 2, ... MAX_CUTS anchors


def backtest(
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


def noisiness(noise: float) -> float:
    """How far the prior (and ``curves.DAMPING``) apply: 1 when the level's standard error
    ``noise`` is ``PRIOR_NOISE`` or more, fading to 0 on precise anchors, where the backtest
    sees the shape."""
    return min(max(noise, 0.0) / PRIOR_NOISE, 1.0)


def prior(name: str, noise: float) -> float:
    """A family's prior weight: ``OTHER_PRIOR`` for every candidate but ``PREFERRED``, times
    ``PARAM_PRIOR`` per parameter beyond three; in full when the level's noise ``noise`` is
    ``PRIOR_NOISE`` or more, fading on precise anchors (``noisiness``; the preference as its
    ``PREFERENCE_FADE`` power, so faster).

    On 6 to 8 noisy anchors the backtest (2 or 3 held anchors) cannot tell the shapes apart:
    on seeded runner-shaped simulations of our users' 10% samples, pow3 alone (``a - b
    n^-c``) projected the 10x score better than the backtest-weighted mix of all six
    candidates, every other family alone worse than either, and so on bench_curves.py. A
    4-parameter family fits the noise as curvature; "last" is biased low on every curve still
    rising. So on a noisy curve another family outweighs pow3 only where its backtest error is
    about a tenth of pow3's (inverse-square weights). On nearly noiseless curves the backtest
    sees the shape, and a full prior there made pow3 win over true 4-parameter shapes by 2 to
    5 points at 10x, outside their intervals: so it fades (with the preference fading as
    fast as the parameter prior, the chooser test's near-noiseless pow4 curve was projected
    3.1 points off, outside its interval; the square, 2.9 points at a cost on the
    simulations; 1.5 in between)."""
    extra = FAMILY_SHAPES[name].n_params - 3 if name in FAMILY_SHAPES else 0
    fade = noisiness(noise)
    preference = 1.0 if name == PREFERRED else OTHER_PRIOR ** (fade**PREFERENCE_FADE)
    return PARAM_PRIOR ** (max(extra, 0) * fade) * preference


def weights_of(bt: dict[str, float], noise: float = PRIOR_NOISE) -> dict[str, float]:
    """Family weights (sum 1): the prior over the square of the backtest error, among the
    families whose weight is within ``KEEP_RATIO`` squared of the best's; ``noise``: the
    level's standard error. (Cut on the weights, not the errors: an error cut would drop the
    preferred family whenever a noisy backtest favours another by 2x, and hand the others the
    weight the prior keeps from them.)"""
    finite = {k: v for k, v in bt.items() if math.isfinite(v)}
    if not finite:
        return {"last": 1.0}
    floor = max(min(finite.values()), 1e-4)
    raw = {k: prior(k, noise) / max(v, floor * 0.5) ** 2 for k, v in finite.items()}
    top = max(raw.values())
    kept = {k: v for k, v in raw.items() if v >= top / KEEP_RATIO**2}
    total = sum(kept.values())
    return {k: v / total for k, v in sorted(kept.items(), key=lambda kv: -kv[1])}


def mix(
    weights: dict[str, float],
    params: dict[str, Params],
    x: np.ndarray,
    last: float,
    cap: float = math.inf,
    damp: float = 1.0,
) -> np.ndarray:
    """The weighted projection at scaled sizes ``x``, anchored at the last measured
    score: each family contributes its predicted gain from ``x = 1`` (the largest
    anchor), so a fit that runs a little below the last point does not drag the level.
    ``cap``: the most a family may gain per unit of log-size beyond ``x = 1`` (see
    ``local_slope``); ``damp``: the share of the gain beyond ``x = 1`` kept (see
    ``curves.DAMPING``)."""
    out = np.full_like(x, last, dtype=np.float64)
    room = cap * np.log(np.maximum(x, 1.0)) if math.isfinite(cap) else np.inf
    keep = np.where(x > 1.0, damp, 1.0)
    for name, w in weights.items():
        if name != "last":
            gain = family_value(name, params[name], x) - family_value(name, params[name], 1.0)
            out += w * keep * np.minimum(gain, room)
    return out
