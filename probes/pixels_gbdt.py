"""LightGBM on hand-made image features: the classical reference for images.

Images: pixels downsampled to at most 16x16 per channel, plus per-channel
colour statistics (mean, std, 8-bin histogram) and edge strength (mean absolute
gradient along x and y). Signal tables (pixel/sample columns): the columns as
they are. ``train_booster`` is shared with the text GBDT probe.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import holdout_split, usable_cpus
from .baseline import ConstantModel, constant_fit
from .lightgbm import _time_limit_callbacks

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData

SIDE = 16  # downsampled pixels per side
BINS = 8
LEARNING_RATE = 0.1  # pixels are many weak features; a faster rate converges within budget
NUM_LEAVES = 31
MAX_ROUNDS = 1000
EARLY_STOPPING_ROUNDS = 30
FIXED_ROUNDS = 100


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


def train_booster(
    X: Any, y: np.ndarray, task: str, n_classes: int, ctx: FitContext, deadline: float, name: str
) -> tuple[Any, dict[str, Any]]:
    """LightGBM with early stopping on a seeded 15% split and the time deadline.

    ``X`` is a float array or a DataFrame (pandas categoricals used natively)."""
    import lightgbm as lgb
    import numpy as np

    n = len(y)
    n_features = X.shape[1]
    params: dict[str, Any] = {
        "learning_rate": LEARNING_RATE,
        "num_leaves": NUM_LEAVES,
        "min_child_samples": max(1, min(20, n // 10)),
        "min_data_per_group": max(1, min(100, n // 20)),
        # Neighbouring pixels are redundant: sampling columns is faster and regularises.
        "feature_fraction": 0.5 if n_features > 50 else 1.0,
        "num_threads": usable_cpus(),
        "verbose": -1,
        "deterministic": True,
        "seed": ctx.seed,
        "force_col_wise" if n_features >= 200 else "force_row_wise": True,
    }
    if task == "binary":
        params["objective"] = "binary"
    elif task == "multiclass":
        params.update(objective="multiclass", num_class=n_classes)
    else:
        params["objective"] = "regression"
    rows = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: X[idx])
    y = y.astype(np.float64)
    split = holdout_split(y, task != "regression", ctx.seed)
    state: dict[str, Any] = {}
    callbacks = _time_limit_callbacks(deadline, state)
    if split is not None:
        tr, va = split
        dtrain = lgb.Dataset(rows(tr), label=y[tr], free_raw_data=False)
        valid = [lgb.Dataset(rows(va), label=y[va], reference=dtrain)]
        rounds = MAX_ROUNDS
        callbacks.append(lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False))
    else:
        dtrain, valid, rounds = lgb.Dataset(X, label=y, free_raw_data=False), [], FIXED_ROUNDS
        ctx.note(f"{name}: fewer than 20 training rows; fixed {FIXED_ROUNDS} rounds, no early stopping")
    booster = lgb.train(params, dtrain, num_boost_round=rounds, valid_sets=valid, callbacks=callbacks)
    trained = int(state.get("rounds", booster.current_iteration()))
    if "cut_at" in state:
        ctx.cut(f"{name}: boosting rounds cut at {state['cut_at']} by the time budget")
    best = booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration()
    params.update(best_iteration=int(best), rounds_trained=int(trained), n_features=int(n_features))
    return booster, params


def booster_predict(booster: Any, X: Any, task: str, n_classes: int, best_iteration: int) -> np.ndarray:
    """Probabilities (n, n_classes) for classification, values (n,) for regression."""
    import numpy as np

    raw = np.asarray(booster.predict(X, num_iteration=best_iteration), dtype=np.float64)
    if task == "binary":
        return np.column_stack([1.0 - raw, raw])
    if task == "multiclass":
        return raw.reshape(X.shape[0], n_classes)
    return raw


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

    def fit(self, train: ProbeData, ctx: FitContext) -> PixelsGBDTModel | ConstantModel:
        import numpy as np

        deadline = time.monotonic() + ctx.time_limit
        if len(np.unique(train.y)) < 2:
            ctx.note("pixels_gbdt: a training subset held a single class; predicted its prior")
            return constant_fit(train)
        X = pixel_inputs(train)
        booster, params = train_booster(X, train.y, train.task, train.n_classes, ctx, deadline, self.name)
        if train.images is not None:
            params["input"] = f"{min(SIDE, train.images.shape[1])}px per side + colour/edge statistics"
        return PixelsGBDTModel(booster, train.task, train.n_classes, params)
