"""LightGBM: histogram gradient boosting with native categoricals and NaN handling.

lightgbm is imported inside ``fit`` so that importing the probes stays cheap."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import holdout_split, no_tabular_reason, tabular_columns, usable_cpus
from .baseline import ConstantModel, constant_fit

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from advisor.data import ProbeData

LEARNING_RATE = 0.05
# Above this many training rows the rate doubles: early stopping then ends in a few
# hundred rounds instead of many hundreds, so the fit converges inside a probe's
# time limit; with this much data the faster rate costs no measurable accuracy.
FAST_RATE_ROWS = 10_000
FAST_LEARNING_RATE = 0.1
NUM_LEAVES = 31
MAX_ROUNDS = 2000
EARLY_STOPPING_ROUNDS = 50
FIXED_ROUNDS = 100  # with too few rows for a validation split, a short fixed schedule
VAL_FRACTION = 0.15
# Below this many cells (rows x columns) one thread is used: histograms that small
# don't split usefully, and OpenMP threads spin-waiting on a busy machine made a
# 400 x 30 fit take 13 s on 2 threads against 0.2 s on 1 (2 shared cores).
SMALL_DATA_CELLS = 200_000


def _frame(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Selected columns renamed f0..fN: LightGBM rejects some characters in feature
    names (JSON specials), and user column names can hold anything."""
    out = X[columns].copy()
    out.columns = [f"f{i}" for i in range(len(columns))]
    return out


def learning_rate(n_rows: int) -> float:
    """The boosting rate for ``n_rows`` training rows (see ``FAST_RATE_ROWS``)."""
    return FAST_LEARNING_RATE if n_rows > FAST_RATE_ROWS else LEARNING_RATE


def _time_limit_callbacks(deadline: float, state: dict[str, Any]) -> list[Callable[[Any], None]]:
    """Stop boosting at ``deadline``, keeping the best round on the validation set so far.

    The last resort: early stopping normally ends training first. With it comes a
    counter of the rounds trained, ``state["rounds"]`` (the booster lgb.train returns
    is truncated to its best iteration, so it cannot say how many ran); pass both:
    ``callbacks=[*_time_limit_callbacks(...)]``."""
    import lightgbm as lgb

    def callback(env: Any) -> None:
        results = env.evaluation_result_list or []
        if results:
            value, maximize = float(results[0][2]), bool(results[0][3])
            best = state.get("best_value")
            if best is None or (value > best if maximize else value < best):
                state.update(best_value=value, best_iteration=env.iteration, best_score=list(results))
        if time.monotonic() >= deadline:
            state["cut_at"] = env.iteration + 1
            best_it = state.get("best_iteration", env.iteration)
            raise lgb.callback.EarlyStopException(best_it, state.get("best_score", results))

    def count(env: Any) -> None:
        state["rounds"] = env.iteration + 1

    callback.order = 40  # type: ignore[attr-defined]  # after lgb.early_stopping (30)
    count.order = 10  # type: ignore[attr-defined]  # before it, so its last round counts
    return [count, callback]


class LightGBMModel:
    def __init__(
        self, booster: Any, columns: list[str], task: str, n_classes: int, params: dict[str, Any]
    ) -> None:
        self.booster = booster
        self.columns = columns
        self.task = task
        self.n_classes = n_classes
        self.params = params

    def predict(self, data: ProbeData) -> np.ndarray:
        import numpy as np

        assert data.X is not None
        if len(data) == 0:  # LightGBM refuses empty input
            return np.zeros((0, self.n_classes)) if self.task != "regression" else np.zeros(0)
        # The booster remembers the training categories and maps unseen levels to missing.
        raw = self.booster.predict(_frame(data.X, self.columns), num_iteration=self.params["best_iteration"])
        raw = np.asarray(raw, dtype=np.float64)
        if self.task == "binary":
            return np.column_stack([1.0 - raw, raw])
        if self.task == "multiclass":
            return raw.reshape(len(data), self.n_classes)
        return raw


class LightGBMProbe(Probe):
    name: ClassVar[str] = "lightgbm"
    family: ClassVar[str] = "gbdt"
    description: ClassVar[str] = (
        "LightGBM, 31 leaves, learning rate 0.05 (0.1 above 10,000 rows), native categoricals, "
        "early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular", "mixed", "signal"})
    cost_weight: ClassVar[float] = 1.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_tabular_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> LightGBMModel | ConstantModel:
        import lightgbm as lgb
        import numpy as np

        deadline = time.monotonic() + ctx.time_limit
        assert train.X is not None
        n = len(train)
        if train.is_classification and len(np.unique(train.y)) < 2:
            ctx.note("a training subset held a single class; predicted its prior")
            return constant_fit(train)

        numeric, categorical = tabular_columns(train)
        columns = numeric + categorical
        X = _frame(train.X, columns)
        min_child = max(1, min(20, n // 10))
        params: dict[str, Any] = {
            "learning_rate": learning_rate(n),
            "num_leaves": NUM_LEAVES,
            "min_child_samples": min_child,
            # Categorical splits need this many rows per level; 100 would forbid them on small data.
            "min_data_per_group": max(1, min(100, n // 20)),
            "num_threads": 1 if n * len(columns) < SMALL_DATA_CELLS else usable_cpus(),
            "verbose": -1,
            "deterministic": True,
            "seed": ctx.seed,
        }
        # deterministic=True wants the row/col-wise choice fixed rather than timed.
        params["force_col_wise" if len(columns) >= 200 else "force_row_wise"] = True
        if train.task == "binary":
            params["objective"] = "binary"
        elif train.task == "multiclass":
            params.update(objective="multiclass", num_class=train.n_classes)
        else:
            params["objective"] = "regression"

        split = holdout_split(train.y, train.is_classification, ctx.seed, VAL_FRACTION)
        state: dict[str, Any] = {}
        callbacks = _time_limit_callbacks(deadline, state)
        y = train.y.astype(np.float64)
        if split is not None:
            tr, va = split
            dtrain = lgb.Dataset(X.iloc[tr], label=y[tr], categorical_feature="auto", free_raw_data=False)
            dval = lgb.Dataset(X.iloc[va], label=y[va], reference=dtrain)
            valid_sets, rounds = [dval], MAX_ROUNDS
            callbacks.append(lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False))
        else:
            dtrain = lgb.Dataset(X, label=y, categorical_feature="auto", free_raw_data=False)
            valid_sets, rounds = [], FIXED_ROUNDS
            ctx.note(f"fewer than 20 training rows; fixed {FIXED_ROUNDS} rounds, no early stopping")

        booster = lgb.train(
            params, dtrain, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
        )
        rounds_run = int(state.get("rounds", booster.current_iteration()))
        best = booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration()
        if "cut_at" in state:
            ctx.cut(f"boosting rounds cut at {state['cut_at']} by the time budget")
        params.update(
            best_iteration=int(best),
            rounds_trained=int(rounds_run),
            early_stopping=split is not None,
            n_categorical=len(categorical),
        )
        return LightGBMModel(booster, columns, train.task, train.n_classes, params)
