"""``--confirm-at-scale``: the advisor checking its own extrapolation.

After the probes, the best GBDT probe is trained once more on every row the run
holds (not the probe sample), less a seeded held-out split of one fold's share,
and scored there. Its measured score is put next to what that probe's learning
curve projected at the full data's training size (``CurveFit.predicted["full"]``,
with its interval): inside the interval, the projection held.

Where it trains: with a Dask cluster, ``lightgbm.dask`` on the cluster (the data
spread over the workers, one partition each); without one, the probe's own
``fit`` in this process. Both use the probe's settings; on the cluster the
number of boosting rounds is the one early stopping chose on the probe's first
full-size fit (``lightgbm.dask`` has no early stopping), a note says so.

lightgbm and dask are imported inside the functions.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from advisor.errors import ProbeInterrupted

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData
    from advisor.probe_api import ProbeResult
    from advisor.probing.executor import Executor

GBDT = "gbdt"
TABULAR_LIGHTGBM = "lightgbm"  # the probe whose model lightgbm.dask can rebuild
TIME_LIMIT_SECONDS = 600.0  # the full-data fit runs to convergence, within this
ScaleStatus = Literal["measured", "not_applicable", "failed"]
ScaleEngine = Literal["", "lightgbm", "lightgbm.dask"]


@dataclass
class ScaleCheck:
    """The best GBDT probe trained on all rows: measured score against the curve's projection."""

    status: ScaleStatus
    reason: str = ""  # why not measured, or what failed
    probe: str = ""  # the GBDT probe re-trained
    metric: str = ""
    engine: ScaleEngine = ""
    n_train: int = 0
    n_test: int = 0
    measured: float | None = None  # the metric on the held-out rows: measured in this run
    # The learning curve's estimate at n_train rows, with its interval (None: the probes
    # ran on every row, so nothing was projected).
    projected: float | None = None
    projected_low: float | None = None
    projected_high: float | None = None
    interval: float = 0.8
    projected_rows: int = 0
    within: bool | None = None  # measured inside the projection's interval
    fit_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def confirm_at_scale(
    data: ProbeData, results: list[ProbeResult], *, seed: int, executor: Executor | None = None
) -> ScaleCheck:
    """Train the best GBDT probe of ``results`` on ``data`` (all rows read) and compare."""
    from advisor.verdict.comparisons import best_by_family

    best = best_by_family(results).get(GBDT)
    if best is None:
        return ScaleCheck("not_applicable", reason="no GBDT probe produced a score to re-train")
    check = ScaleCheck("measured", probe=best.name, metric=best.metric)
    curve = best.curve_fit
    if curve is not None and "full" in curve.predicted:
        check.projected = curve.predicted["full"].mean
        check.projected_low = curve.predicted_low.get("full")
        check.projected_high = curve.predicted_high.get("full")
        check.projected_rows = int(curve.predicted_rows.get("full", 0))
        check.interval = curve.interval
    elif best.n_train + best.n_test >= len(data):
        check.notes.append(
            f"the probes ran on all {len(data):,} rows: the learning curve projected nothing beyond them"
        )
    else:
        why = curve.note if curve is not None and curve.note else "no learning curve was measured"
        check.notes.append(f"the learning curve made no projection at the full size: {why}")
    train_idx, test_idx = _holdout(data, best, seed)
    check.n_train, check.n_test = len(train_idx), len(test_idx)
    started = time.perf_counter()
    try:
        client = getattr(executor, "client", None)
        if client is not None and best.name == TABULAR_LIGHTGBM:
            check.engine = "lightgbm.dask"
            pred = _fit_dask(client, data, train_idx, test_idx, best, seed, check.notes)
        else:
            check.engine = "lightgbm"
            pred = _fit_local(best.name, data, train_idx, test_idx, seed)
    except (KeyboardInterrupt, ProbeInterrupted):
        raise
    except Exception as exc:  # noqa: BLE001 - a failed check leaves the verdict standing
        from advisor.probing.measure import one_line

        check.status, check.reason = "failed", one_line(exc)
        return check
    check.fit_seconds = time.perf_counter() - started
    from advisor.probing.metrics import check_predictions, score_predictions

    pred = check_predictions(data.task, pred, len(test_idx), data.n_classes)
    scores = score_predictions(data.task, data.y[test_idx], pred, data.n_classes)
    check.measured = float(scores.get(best.metric, math.nan))
    if check.projected_low is not None and check.projected_high is not None:
        check.within = bool(check.projected_low <= check.measured <= check.projected_high)
    return check


def _holdout(data: ProbeData, best: ProbeResult, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded (stratified) split with the probes' train share, so the training size is the
    full data's fold-training size the projection is for."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    share = best.n_test / max(best.n_train + best.n_test, 1) or 0.2
    rows = np.arange(len(data))
    stratify = data.y if data.is_classification else None
    train, test = train_test_split(rows, test_size=share, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(test)


def _fit_local(name: str, data: ProbeData, train_idx: np.ndarray, test_idx: np.ndarray, seed: int) -> Any:
    """The registered probe's own fit and predict, in this process."""
    from advisor.probe_api import FitContext
    from advisor.probing.registry import discover_probes

    probe = next(p for p in discover_probes() if p.name == name)
    ctx = FitContext(seed=seed, device="cpu", time_limit=TIME_LIMIT_SECONDS)
    model = probe.fit(data.take(train_idx), ctx)
    return model.predict(data.take(test_idx))


def _fit_dask(
    client: Any,
    data: ProbeData,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    best: ProbeResult,
    seed: int,
    notes: list[str],
) -> np.ndarray:
    """``lightgbm.dask`` on the cluster with the probe's settings and its converged rounds."""
    import dask.dataframe as dd
    import lightgbm.dask as lgbd
    import numpy as np

    assert data.X is not None
    columns = [c for c, kind in data.feature_kinds.items() if kind in ("numeric", "categorical")]
    X = data.X[columns].copy()
    X.columns = [f"f{i}" for i in range(len(columns))]  # LightGBM refuses some characters in names
    params = best.params
    rounds = int(params.get("best_iteration") or 100)
    notes.append(f"{rounds} boosting rounds: what early stopping chose on the probe's first full-size fit")
    settings = {
        "num_leaves": int(params.get("num_leaves", 31)),
        "learning_rate": float(params.get("learning_rate", 0.1)),
        "min_child_samples": int(params.get("min_child_samples", 20)),
        "n_estimators": rounds,
        "random_state": seed,
        "deterministic": True,
        "verbose": -1,
    }
    import contextlib
    import io
    import warnings

    n_parts = max(1, len(client.scheduler_info().get("workers", {})))
    train_x = dd.from_pandas(X.iloc[train_idx], npartitions=n_parts)
    train_y = dd.from_pandas(_series(data.y[train_idx]), npartitions=n_parts)
    test_x = dd.from_pandas(X.iloc[test_idx], npartitions=n_parts)
    kind = lgbd.DaskLGBMRegressor if data.task == "regression" else lgbd.DaskLGBMClassifier
    # lightgbm.dask prints its port search to stdout, where the report goes, and warns that
    # it ignores n_jobs (the workers' threads decide): neither is the user's concern.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = kind(client=client, **settings)
        model.fit(train_x, train_y)
        if data.task == "regression":
            return np.asarray(model.predict(test_x).compute(), dtype=np.float64)
        proba = np.asarray(model.predict_proba(test_x).compute(), dtype=np.float64)
    return _all_classes(proba, model.classes_, data.n_classes)


def _series(y: np.ndarray) -> Any:
    import pandas as pd

    return pd.Series(y)


def _all_classes(proba: np.ndarray, classes: Any, n_classes: int) -> np.ndarray:
    """Probabilities for every class code 0..n-1 (a class absent from training gets 0)."""
    import numpy as np

    out = np.zeros((proba.shape[0], n_classes))
    for j, c in enumerate(np.asarray(classes, dtype=np.int64)):
        out[:, c] = proba[:, j]
    return out
