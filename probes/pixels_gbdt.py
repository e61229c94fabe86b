"""LightGBM on hand-made image features: the classical reference for images.

Images: pixels downsampled to at most 16x16 per channel, plus per-channel
colour statistics (mean, std, 8-bin histogram) and edge strength (mean absolute
gradient along x and y). Signal tables (pixel/sample columns): the columns as
they are. Training and prediction are ``_gbdt``'s, as for the other GBDT probes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._gbdt import booster_predict, train_booster

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData

SIDE = 16  # downsampled pixels per side
BINS = 8
LEARNING_RATE = 0.1  # pixels are many weak features; a faster rate converges within budget
MAX_ROUNDS = 1000
EARLY_STOPPING_ROUNDS = 30


def _block_mean(x: np.ndarray, axis: int, out: int) -> np.ndarray:
    """Average ``x`` along ``axis`` into ``out`` contiguous, near-equal bins (box downsampling)."""
    import numpy as np

    size = x.shape[axis]
    if out >= size:
        return x
    starts = (np.arange(out) * size) // out
    counts = np.diff(np.append(starts, size)).astype(np.float32)
    shape = [1] * x.ndim
    shape[axis] = out
    return np.add.reduceat(x, starts, axis=axis) / counts.reshape(shape)


def image_features(images: np.ndarray, side: int = SIDE, chunk: int = 2048) -> np.ndarray:
    """(n, H, W, C) uint8 -> (n, features) float32: small pixels, colour and edge statistics.

    Works in chunks so the float copy of a large image set never exists at once."""
    import numpy as np

    return np.vstack([_features(images[i : i + chunk], side) for i in range(0, max(len(images), 1), chunk)])


def _features(images: np.ndarray, side: int) -> np.ndarray:
    import numpy as np

    n, h, w, c = images.shape
    x = images.astype(np.float32) / 255.0
    small = _block_mean(_block_mean(x, 1, min(h, side)), 2, min(w, side))
    parts = [small.reshape(n, -1)]
    flat = x.reshape(n, h * w, c)
    parts += [flat.mean(axis=1), flat.std(axis=1)]
    bins = np.minimum((flat * BINS).astype(np.int64), BINS - 1)  # (n, h*w, c)
    for ch in range(c):
        offs = bins[:, :, ch] + BINS * np.arange(n)[:, None]
        hist = np.bincount(offs.ravel(), minlength=n * BINS).reshape(n, BINS)
        parts.append(hist.astype(np.float32) / (h * w))
    if w > 1:
        parts.append(np.abs(np.diff(x, axis=2)).mean(axis=(1, 2)))
    if h > 1:
        parts.append(np.abs(np.diff(x, axis=1)).mean(axis=(1, 2)))
    return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)


def fit_booster(X: Any, train: ProbeData, ctx: FitContext, deadline: float, name: str) -> tuple[Any, dict]:
    """The pixel and text GBDT probes' LightGBM on features ``X`` of ``train``: rate
    0.1, at most 1,000 rounds, half the columns per tree when there are over 50
    (neighbouring pixels are redundant: sampling columns is faster and regularises)."""
    n_features = int(X.shape[1])
    booster, params = train_booster(
        X, train.y, train.task, train.n_classes, ctx, deadline,
        learning_rate=LEARNING_RATE, max_rounds=MAX_ROUNDS, early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        feature_fraction=0.5 if n_features > 50 else 1.0, note_prefix=f"{name}: ",
    )  # fmt: skip
    params["n_features"] = n_features
    return booster, params


def pixel_inputs(data: ProbeData) -> np.ndarray:
    """Features for an image or signal ``ProbeData``."""
    import numpy as np

    if data.images is not None:
        return image_features(data.images)
    assert data.X is not None
    return np.ascontiguousarray(data.X.to_numpy(dtype=np.float32))


class PixelsGBDTModel:
    def __init__(self, booster: Any, task: str, n_classes: int, params: dict[str, Any]) -> None:
        self.booster, self.task, self.n_classes, self.params = booster, task, n_classes, params

    def predict(self, data: ProbeData) -> np.ndarray:
        return booster_predict(
            self.booster, pixel_inputs(data), self.task, self.n_classes, self.params["best_iteration"]
        )


class PixelsGBDTProbe(Probe):
    name: ClassVar[str] = "pixels_gbdt"
    family: ClassVar[str] = "gbdt"
    description: ClassVar[str] = (
        "LightGBM on pixels downsampled to 16x16 per channel plus colour histograms and edge "
        "statistics (signal tables: the columns as they are), early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"image", "signal"})
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass"})
    cost_weight: ClassVar[float] = 1.5

    def supports(self, data: ProbeData) -> str | None:
        reason = super().supports(data)
        if reason:
            return reason
        if data.images is None and (data.X is None or data.X.shape[1] == 0):
            return "no images or pixel columns"
        if data.images is None and data.columns_of("numeric") != list(data.X.columns):
            return "signal table has non-numeric columns"
        return None

    def fit(self, train: ProbeData, ctx: FitContext) -> PixelsGBDTModel:
        deadline = time.monotonic() + ctx.time_limit
        booster, params = fit_booster(pixel_inputs(train), train, ctx, deadline, self.name)
        if train.images is not None:
            params["input"] = f"{min(SIDE, train.images.shape[1])}px per side + colour/edge statistics"
        return PixelsGBDTModel(booster, train.task, train.n_classes, params)
