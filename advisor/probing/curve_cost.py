"""Fit-time extrapolation: ``t = k * n**p`` with p clipped to [0.5, 2], anchored at the
largest measured size. An estimate, labelled so by its callers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

P_MIN, P_MAX = 0.5, 2.0
MIN_TIMED_SECONDS = 0.2  # below this, fit times are mostly fixed overhead


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
