"""The anchors of a learning curve: the fold-mean score at each training size and its noise.

Folds differ by a row or two in their training sizes, and the small anchors may be
measured on more folds than the large ones, so sizes are grouped into anchors
(``size_groups``). Each anchor's standard error comes from a smooth model of the
fold spread in ``log n`` (``noise``: small anchors are noisier), which weights the
fits and the backtest. Points whose fit the clock cut are lower bounds and are left
out (``drop_cut``); a significant fall of the score is found by ``dip``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

NOISE_POINT_SHARE = 0.3  # weight of a point's own fold spread against the noise model
LOG_SD_BIAS = 0.27  # E[log sd] of 3 normal draws is about 0.27 below log sigma
MIN_NOISE = 2e-3  # floor of a point's standard error (scores are rounded, folds few)
DIP_MIN = 5e-3  # a fall smaller than this is never called non-monotone
SIZE_TOLERANCE = 1.1  # sizes within this ratio of a group's smallest are one anchor (the grid steps by 1.41)


def noise(n: np.ndarray, sd: np.ndarray, counts: np.ndarray) -> np.ndarray:
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


def dip(n: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[int, int] | None:
    """(peak index, later lower index) of the largest significant fall, or None."""
    best: tuple[float, int, int] | None = None
    for j in range(1, len(y)):
        i = int(np.argmax(y[:j]))
        drop = float(y[i] - y[j])
        thr = max(2.0 * math.hypot(float(se[i]), float(se[j])), DIP_MIN)
        if drop > thr and (best is None or drop - thr > best[0]):
            best = (drop - thr, i, j)
    return None if best is None else (best[1], best[2])


def drop_cut(
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


def size_groups(sizes: Sequence[float]) -> dict[float, int]:
    """Each training size's anchor index, ascending: sizes within ``SIZE_TOLERANCE`` of
    the smallest of their group are one anchor measured on several folds."""
    out: dict[float, int] = {}
    start, index = -1.0, -1
    for n in sorted(set(sizes)):
        if index < 0 or n > start * SIZE_TOLERANCE:
            start, index = n, index + 1
        out[n] = index
    return out
