"""The learning-curve families: their shapes, their bounded fits, their values.

Each family is written as ``asymptote + amplitude * shape(x; theta)`` (log-power:
``asymptote * shape``) on sizes scaled by the largest measured one, so that for a
fixed ``theta`` the fit is a small linear least-squares problem: ``theta`` is
searched on a grid, then a finer one around the best. ``curves.py`` weights the
families by backtest and makes the projections and intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FAMILIES = ("last", "pow3", "pow4", "logpower", "mmf4", "wbl4")
# The local slope is read off the last this many anchors. 4, not 3, since the projections take a
# share of its continuation (``curves.SLOPE_SHARE``): on the five-seed replay of bench_curves.py
# 1.98 -> 1.94 points at 10x, on the runner-shaped simulations 2.46 -> 2.41 and 1.86 -> 1.82
# (median interval width 9.4 -> 9.5 points); 2 anchors were worse on both simulations.
SLOPE_ANCHORS = 4

Params = tuple[float, ...]


@dataclass(frozen=True)
class _Family:
    """A family written as ``asymptote + amplitude * shape(x; theta)`` (``logpower``:
    ``asymptote * shape``), so that for fixed ``theta`` the fit is a small linear
    least-squares problem: ``theta`` is searched on a grid (then a finer one around
    the best), the linear coefficients solved in closed form within their bounds."""

    name: str
    n_params: int
    shape: Callable[..., np.ndarray]  # (x[None, :], *theta[:, None]) -> (G, K)
    grid: tuple[np.ndarray, ...]  # coarse values of each theta component
    scaled: bool = False  # logpower: asymptote * shape, no amplitude


def _shape_pow3(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    return -np.power(x, -c)


def _shape_pow4(x: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    return -np.power(x + d, -c)


def _shape_logpower(x: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.power(x / np.exp(b), c))


def _shape_mmf4(x: np.ndarray, s: np.ndarray, d: np.ndarray) -> np.ndarray:
    # (a b + c x^d) / (b + x^d) = c - (c - a) / (1 + x^d / b), with b = e^(s d)
    return -1.0 / (1.0 + np.power(x / np.exp(s), d))


def _shape_wbl4(x: np.ndarray, s: np.ndarray, d: np.ndarray) -> np.ndarray:
    # c - b exp(-a x^d), with a = e^(-s d)
    return -np.exp(-np.power(x / np.exp(s), d))


_EXPS = np.geomspace(0.02, 5.0, 24)
FAMILY_SHAPES: dict[str, _Family] = {
    "pow3": _Family("pow3", 3, _shape_pow3, (np.geomspace(0.01, 3.0, 60),)),
    "pow4": _Family("pow4", 4, _shape_pow4, (_EXPS, np.concatenate([[0.0], np.geomspace(1e-3, 2.0, 19)]))),
    "logpower": _Family("logpower", 3, _shape_logpower, (np.linspace(-12.0, 6.0, 25), -_EXPS), scaled=True),
    "mmf4": _Family("mmf4", 4, _shape_mmf4, (np.linspace(-9.0, 4.0, 27), _EXPS)),
    "wbl4": _Family("wbl4", 4, _shape_wbl4, (np.linspace(-9.0, 4.0, 27), _EXPS)),
}


def family_value(name: str, params: Sequence[float], x: np.ndarray | float) -> np.ndarray:
    """A family's curve at scaled size(s) ``x`` (rows / the fit's reference size).

    ``params`` are (asymptote, amplitude, *theta) (logpower: (asymptote, *theta)):
    pow3 ``a - b x^-c``; pow4 ``a - b (x + d)^-c``; logpower ``a / (1 + (x / e^b)^c)``;
    mmf4 ``c - b / (1 + (x / e^s)^d)``; wbl4 ``c - b exp(-(x / e^s)^d)``.
    """
    fam = FAMILY_SHAPES[name]
    xs = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        if fam.scaled:
            return params[0] * fam.shape(xs, *params[1:])
        return params[0] + params[1] * fam.shape(xs, *params[2:])


def _solve(
    v: np.ndarray, y: np.ndarray, w: np.ndarray, lo: float, hi: float, scaled: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every row of shapes ``v`` (G, K): the best (A, B) of ``A + B v`` with A in
    [lo, hi], B >= 0 (``scaled``: ``A v``, B unused), and the weighted squared error."""
    syy = float((w * y * y).sum())
    svv, svy = (w * v * v).sum(1), (v * (w * y)).sum(1)
    if scaled:
        a = np.clip(svy / np.maximum(svv, 1e-300), lo, hi)
        return a, np.zeros_like(a), syy - 2 * a * svy + a * a * svv
    sw, sy, sv = float(w.sum()), float((w * y).sum()), v @ w

    def sse_of(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # from the sufficient statistics
        with np.errstate(all="ignore"):
            return syy - 2 * a * sy - 2 * b * svy + a * a * sw + 2 * a * b * sv + b * b * svv

    det = sw * svv - sv * sv
    ok = det > 1e-12 * np.maximum(sw * svv, 1e-300)
    safe = np.where(ok, det, 1.0)
    a_free = (svv * sy - sv * svy) / safe
    b_free = (sw * svy - sv * sy) / safe
    feasible = ok & (a_free >= lo) & (a_free <= hi) & (b_free >= 0)
    best_a = np.where(feasible, a_free, min(max(sy / sw, lo), hi))  # else B = 0
    best_b = np.where(feasible, b_free, 0.0)
    best_sse = sse_of(best_a, best_b)
    for edge in (lo, hi):  # A on a bound
        b_e = np.maximum((svy - edge * sv) / np.maximum(svv, 1e-300), 0.0)
        a_e = np.full_like(b_e, edge)
        sse = sse_of(a_e, b_e)
        better = ~feasible & (sse < best_sse)
        best_a, best_b = np.where(better, a_e, best_a), np.where(better, b_e, best_b)
        best_sse = np.where(better, sse, best_sse)
    return best_a, best_b, np.maximum(best_sse, 0.0)


def _search(
    fam: _Family,
    axes: Sequence[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    lo: float,
    hi: float,
) -> tuple[float, Params]:
    mesh = [m.ravel() for m in np.meshgrid(*axes, indexing="ij")]
    with np.errstate(all="ignore"):
        v = fam.shape(x[None, :], *(m[:, None] for m in mesh))
    v = np.where(np.isfinite(v), v, np.nan)
    bad = ~np.all(np.isfinite(v), axis=1)
    v = np.where(np.isfinite(v), v, 0.0)
    with np.errstate(all="ignore"):
        a, b, sse = _solve(v, y, w, lo, hi, fam.scaled)
    sse = np.where(bad, np.inf, sse)
    i = int(np.argmin(sse))
    theta = tuple(float(m[i]) for m in mesh)
    head = (float(a[i]),) if fam.scaled else (float(a[i]), float(b[i]))
    return float(sse[i]), head + theta


def _zoom(axis: np.ndarray, value: float, points: int = 9) -> np.ndarray:
    """A finer grid around ``value`` spanning its neighbours on ``axis``."""
    j = int(np.argmin(np.abs(axis - value)))
    left, right = axis[max(j - 1, 0)], axis[min(j + 1, len(axis) - 1)]
    return np.linspace(left, right, points)


def local_slope(x: np.ndarray, y: np.ndarray, sigma: np.ndarray | None) -> tuple[float, float, float]:
    """(level at the last anchor, slope in ``ln x``, the slope's standard error) of the last
    ``SLOPE_ANCHORS`` anchors by weighted least squares (weights ``1 / sigma^2``): how fast
    the curve is still rising where it was last measured."""
    k = min(SLOPE_ANCHORS, len(x))
    lx, yy = np.log(x[-k:]), y[-k:]
    w = 1.0 / np.square(sigma[-k:]) if sigma is not None else np.ones(k)
    mx, my = float(np.sum(w * lx) / np.sum(w)), float(np.sum(w * yy) / np.sum(w))
    sxx = float(np.sum(w * (lx - mx) ** 2))
    if k < 2 or sxx <= 0:
        return float(y[-1]), 0.0, math.inf
    slope = float(np.sum(w * (lx - mx) * (yy - my)) / sxx)
    return my + slope * (float(lx[-1]) - mx), slope, math.sqrt(1.0 / sxx)


def fit_family(
    name: str, x: np.ndarray, y: np.ndarray, sigma: np.ndarray | None, lo: float, hi: float
) -> Params | None:
    """Bounded weighted least squares of one family on scaled sizes ``x`` (asymptote
    in [lo, hi], amplitude >= 0); None when it cannot be fitted."""
    fam = FAMILY_SHAPES[name]
    if len(x) < min(fam.n_params, 3) or (fam.scaled and hi <= 0.0):
        return None
    if fam.scaled:
        lo = max(lo, 1e-6)
    w = 1.0 / np.square(sigma if sigma is not None else np.ones_like(y))
    sse, p = _search(fam, fam.grid, x, y, w, lo, hi)
    head = 1 if fam.scaled else 2
    for _ in range(2):
        if not math.isfinite(sse):
            return None
        axes = [_zoom(ax if k == 0 else ax, p[head + k]) for k, ax in enumerate(fam.grid)]
        sse2, p2 = _search(fam, axes, x, y, w, lo, hi)
        if sse2 <= sse:
            sse, p = sse2, p2
        fam = _Family(fam.name, fam.n_params, fam.shape, tuple(axes), fam.scaled)
    return p if math.isfinite(sse) else None
