"""The one LightGBM trainer and predictor of the GBDT probes (tabular, pixels, text).

``train_booster`` builds the parameters, carves the seeded early-stopping holdout,
trains with early stopping and the time-limit callback (``ctx.cut`` when the clock
stopped it), and counts the rounds; ``booster_predict`` turns the booster's raw
output into (n, n_classes) probabilities or (n,) values. What differs between the
probes (learning rate, round caps, column sampling, threads on small data, the
note prefix) is passed in; everything else is the same for all of them.

lightgbm is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._encode import fit_threads, holdout_split

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.probe_api import FitContext

NUM_LEAVES = 31
FIXED_ROUNDS = 100  # with too few rows for a validation split, a short fixed schedule
VAL_FRACTION = 0.15
# A leaf holds at least LightGBM's default 20 rows wherever a tree can still split with it
# (n / LEAF_SHARE rows per leaf at most: 4 leaves on 80 rows), so the learning curve measures
# one learner from 80 rows up, the one the full-size fit is. It scaled as n / 10 up to 200
# rows: the curves' small anchors were then of a looser learner whose trees could not grow
# with the data, and their 10x projections ran low (bench_curves, five seeds, LightGBM: mean
# error 2.64 -> 2.30 points, coverage 90% -> 93%; the full-size scores from 200 rows up the
# same, breast cancer's 45-row sample's 0.947 -> 0.953; bench_verdict's small cases unchanged).
MIN_CHILD_ROWS = 20
LEAF_SHARE = 4


def time_limit_callbacks(deadline: float, state: dict[str, Any]) -> list[Callable[[Any], None]]:
    """Stop boosting at ``deadline``, keeping the best round on the validation set so far.

    The last resort: early stopping normally ends training first. With it comes a
    counter of the rounds trained, ``state["rounds"]`` (the booster lgb.train returns
    is truncated to its best iteration, so it cannot say how many ran). A stop by the
    clock leaves ``state["cut_at"]``, the round it stopped at."""
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


def objective_params(task: str, n_classes: int) -> dict[str, Any]:
    """LightGBM's objective (and class count) for ``task``."""
    if task == "binary":
        return {"objective": "binary"}
    if task == "multiclass":
        return {"objective": "multiclass", "num_class": n_classes}
    return {"objective": "regression"}


# One thread below this many cells (rows x columns). On a couple of shared cores a
# second OpenMP thread buys at most 1.4x and, when anything else runs, costs up to
# 4x (16,000 x 18, 300 rounds: 1.0 s on one thread, 0.7 to 3.9 s on two) or worse
# (400 x 30: 0.2 s against 13 s): convergence within the budget matters more.
SINGLE_THREAD_CELLS = 2_000_000


def train_booster(
    X: Any,
    y: np.ndarray,
    task: str,
    n_classes: int,
    ctx: FitContext,
    deadline: float,
    *,
    learning_rate: float,
    max_rounds: int,
    early_stopping_rounds: int,
    feature_fraction: float | None = None,
    single_thread_cells: int = SINGLE_THREAD_CELLS,
    note_prefix: str = "",
) -> tuple[Any, dict[str, Any]]:
    """LightGBM with early stopping on a seeded ``VAL_FRACTION`` holdout and the time deadline.

    ``X`` is a float array or a DataFrame (pandas categoricals used natively). Fits
    with fewer than ``single_thread_cells`` cells (rows x columns) use one thread,
    the others as many as the process's CPU affinity allows. With too few rows for a
    holdout, ``FIXED_ROUNDS`` rounds without early stopping. Returns the booster and
    its parameters plus ``best_iteration``, ``rounds_trained`` and ``early_stopping``;
    ``note_prefix`` starts the notes (e.g. ``"pixels_gbdt: "``)."""
    import lightgbm as lgb
    import numpy as np

    n, n_features = len(y), int(X.shape[1])
    params: dict[str, Any] = {
        "learning_rate": learning_rate,
        "num_leaves": NUM_LEAVES,
        "min_child_samples": min_child_samples(n),
        # Categorical splits need this many rows per level; 100 would forbid them on small data.
        "min_data_per_group": max(1, min(100, n // 20)),
    }
    if feature_fraction is not None:
        params["feature_fraction"] = feature_fraction
    params.update(
        num_threads=1 if n * n_features < single_thread_cells else fit_threads(),
        verbose=-1,
        deterministic=True,
        seed=ctx.seed,
    )
    # deterministic=True wants the row/col-wise choice fixed rather than timed.
    params["force_col_wise" if n_features >= 200 else "force_row_wise"] = True
    params.update(objective_params(task, n_classes))

    rows = (lambda idx: X.iloc[idx]) if hasattr(X, "iloc") else (lambda idx: X[idx])
    split = holdout_split(y, task != "regression", ctx.seed, VAL_FRACTION)
    label = y.astype(np.float64)
    state: dict[str, Any] = {}
    callbacks = time_limit_callbacks(deadline, state)
    if split is not None:
        tr, va = split
        dtrain = lgb.Dataset(rows(tr), label=label[tr], categorical_feature="auto", free_raw_data=False)
        valid = [lgb.Dataset(rows(va), label=label[va], reference=dtrain)]
        rounds = max_rounds
        callbacks.append(lgb.early_stopping(early_stopping_rounds, verbose=False))
    else:
        dtrain = lgb.Dataset(X, label=label, categorical_feature="auto", free_raw_data=False)
        valid, rounds = [], FIXED_ROUNDS
        ctx.note(f"{note_prefix}fewer than 20 training rows; fixed {FIXED_ROUNDS} rounds, no early stopping")
    booster = lgb.train(params, dtrain, num_boost_round=rounds, valid_sets=valid, callbacks=callbacks)
    trained = int(state.get("rounds", booster.current_iteration()))
    if "cut_at" in state:
        ctx.cut(f"{note_prefix}boosting rounds cut at {state['cut_at']} by the time budget")
    best = booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration()
    params.update(best_iteration=int(best), rounds_trained=trained, early_stopping=split is not None)
    return booster, params


def min_child_samples(n: int) -> int:
    """LightGBM's ``min_child_samples`` for a fit on ``n`` rows (see ``MIN_CHILD_ROWS``)."""
    return max(1, min(MIN_CHILD_ROWS, n // LEAF_SHARE))


def gain_shares(booster: Any, columns: list[str], best_iteration: int) -> dict[str, float]:
    """Each source column's share of the booster's total split gain (sums to 1); a date's
    parts add up to their column's share. ``columns`` name the booster's features in order."""
    import numpy as np

    from advisor.probing.importance import source_groups

    gain = np.asarray(booster.feature_importance("gain", iteration=best_iteration), dtype=np.float64)
    total = float(gain.sum())
    owner = {f: src for src, fs in source_groups(columns).items() for f in fs}
    shares: dict[str, float] = {}
    for name, g in zip(columns, gain, strict=True):
        src = owner[name]
        shares[src] = shares.get(src, 0.0) + (float(g) / total if total > 0 else 0.0)
    return shares


def booster_predict(booster: Any, X: Any, task: str, n_classes: int, best_iteration: int) -> np.ndarray:
    """Probabilities (n, n_classes) for classification, values (n,) for regression; one
    thread below ``SINGLE_THREAD_CELLS`` cells, as in training."""
    import numpy as np

    n = int(X.shape[0])
    if n == 0:  # LightGBM refuses empty input
        return np.zeros(0) if task == "regression" else np.zeros((0, n_classes))
    # Prediction takes every core unless told (training's num_threads does not carry over):
    # on 114 x 30 rows, 2 threads cost 2.3x the CPU of one and 2.5x the wall, spin-waiting.
    threads = 1 if n * int(X.shape[1]) < SINGLE_THREAD_CELLS else fit_threads()
    raw = np.asarray(booster.predict(X, num_iteration=best_iteration, num_threads=threads), dtype=np.float64)
    if task == "binary":
        return np.column_stack([1.0 - raw, raw])
    if task == "multiclass":
        return raw.reshape(n, n_classes)
    return raw
