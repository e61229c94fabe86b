"""Reading a fitted curve: its value at any size, the rows it needs to reach a score,
and the rows at which one curve overtakes another, each from the projection band
(``CurveFit.band_*``: the weighted curve and its 80% interval beyond the largest
measured size, up to ``CROSSING_SPAN`` times it)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from advisor.probe_api import CurveFit, RowsEstimate
from advisor.probing.curve_backtest import mix

CROSSING_SPAN = 100.0  # projections, crossings and rows to a target are searched up to this multiple
BAND_POINTS = 41  # sizes of the projection band, geometric from the largest measured size to the span


def curve_value(fit: CurveFit, n: float | np.ndarray) -> np.ndarray:
    """The fitted (weighted) curve at ``n`` training rows; nan when the fit is not ok.
    Beyond the largest measured size it follows the projection band (the families'
    gains capped by the local slope there; held at the band's end beyond it)."""
    ns = np.asarray(n, dtype=np.float64)
    if not fit.ok or fit.n_ref <= 0:
        return np.full_like(ns, math.nan)
    params = {k: tuple(v) for k, v in fit.params.items()}
    inside = mix(fit.weights, params, ns / fit.n_ref, fit.last_score)
    if not _banded(fit):
        return inside
    ahead = np.interp(np.log(np.maximum(ns, 1.0)), np.log(fit.band_rows), fit.band_mid)
    return np.where(ns > fit.n_ref, ahead, inside)


def _banded(fit: CurveFit) -> bool:
    return fit.ok and len(fit.band_rows) > 1 and len(fit.band_mid) == len(fit.band_rows)


def first_reach(rows: Sequence[int], gap: Sequence[float]) -> int | None:
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
        rows=first_reach(rows, [m - target for m in fit.band_mid]),
        rows_low=first_reach(rows, [h - target for h in fit.band_high]),
        rows_high=first_reach(rows, [lo - target for lo in fit.band_low]),
        span=span,
    )


def _on(fit: CurveFit, values: list[float], rows: np.ndarray) -> np.ndarray:
    """A band edge of ``fit`` at ``rows`` (interpolated in log rows)."""
    return np.interp(np.log(rows), np.log(fit.band_rows), values)


def crossing(challenger: CurveFit, leader: CurveFit, margin: float = 0.0) -> RowsEstimate | None:
    """Training rows at which ``challenger``'s projection overtakes ``leader``'s by more than
    ``margin`` (the verdict's ROPE: ahead within it is practically level, not overtaking), with
    the range from the optimistic (challenger's band top against the leader's bottom) to the
    pessimistic pairing; searched over the rows both bands cover. None without bands; ``already``
    when the challenger is ahead by the margin at the start."""
    if not (_banded(challenger) and _banded(leader)):
        return None
    start = max(challenger.band_rows[0], leader.band_rows[0])
    stop = min(challenger.band_rows[-1], leader.band_rows[-1])
    if stop <= start:
        return None
    rows = np.geomspace(start, stop, 121)
    mid = _on(challenger, challenger.band_mid, rows) - _on(leader, leader.band_mid, rows) - margin
    grid = [int(round(v)) for v in rows]
    if mid[0] > 0:
        return RowsEstimate(grid[0], grid[0], grid[0], stop / start, already=True)
    return RowsEstimate(
        rows=first_reach(grid, list(mid)),
        rows_low=first_reach(
            grid,
            list(_on(challenger, challenger.band_high, rows) - _on(leader, leader.band_low, rows) - margin),
        ),
        rows_high=first_reach(
            grid,
            list(_on(challenger, challenger.band_low, rows) - _on(leader, leader.band_high, rows) - margin),
        ),
        span=stop / start,
    )
