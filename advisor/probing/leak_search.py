"""The leak only a model finds: the smallest set of columns whose removal collapses a near-perfect score.

The profile's scans (``advisor.profile.leakage``, ``advisor.profile.leak_combos``) catch one
column, or an exact linear fit on a few, that reproduces the target. A deterministic
nonlinear rule (``y = 1 if a * b > 0``) escapes both, yet a boosted tree learns it and
scores near-perfectly. When a probe does (the pipeline checks ``is_near_perfect``),
``find_collapse_set`` fits a fast LightGBM model on one seeded holdout, then removes the
most important source column (gain importance, derived features mapped back to their
column), re-fits and re-scores, up to ``max_set`` columns. The first set whose removal
drops the score by ``COLLAPSE_DROP`` or more *and* below ``NEAR_PERFECT`` is the answer.
Genuinely easy data (digits pixels, breast cancer) spreads its signal over many columns:
removing three of them costs far less than 0.05, so nothing collapses.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from advisor.compute import usable_cpus
from advisor.data import PART_SEPARATOR
from advisor.probing.metrics import score_predictions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from advisor.data import ProbeData

# A held-out score at least this high is "near-perfect": on real data such a score is more
# often a leak than a discovery (clean benchmarks: breast cancer AUC ~0.99, digits F1 ~0.97).
NEAR_PERFECT: dict[str, float] = {"roc_auc": 0.999, "macro_f1": 0.999, "accuracy": 0.999, "r2": 0.999}
# The removal of a set "collapses" the score when it falls by at least this much and below
# NEAR_PERFECT; redundant easy signal loses far less when three columns go.
COLLAPSE_DROP = 0.05
MAX_ROWS = 20_000  # the fits' sample; enough to see a near-perfect score, fast to fit
TEST_SHARE = 0.25  # the seeded holdout
MIN_TEST_ROWS = 20  # fewer held-out rows cannot tell near-perfect from luck
ROUNDS = 100
LEARNING_RATE = 0.1
# Multiclass fits grow one tree per class and round: at most this many trees, with the
# learning rate raised to match (capped), so ten classes cost what three do.
MAX_TREES = 300
MAX_LEARNING_RATE = 0.3
NUM_LEAVES = 31
MIN_DATA_IN_LEAF = 10
# One thread below this many training cells, as the probes do (probes/_gbdt.py): OpenMP
# threads spin-waiting on a busy machine make such fits many times slower.
SMALL_DATA_CELLS = 2_000_000
_OBJECTIVE = {"roc_auc": "binary", "macro_f1": "multiclass", "accuracy": "multiclass", "r2": "regression"}
_TASK = {"roc_auc": "binary", "macro_f1": "multiclass", "accuracy": "multiclass", "r2": "regression"}


@dataclass
class CollapseSet:
    columns: list[str]  # source columns whose removal collapses the score, most important first
    score_with: float  # held-out score of the fit on every column
    score_without: float  # ...and without ``columns``
    metric: str  # "roc_auc" | "macro_f1" | "r2"
    fits: int  # models fitted
    seconds: float


def is_near_perfect(metric: str, score: float) -> bool:
    """True when ``score`` (higher is better) reaches the metric's NEAR_PERFECT threshold."""
    threshold = NEAR_PERFECT.get(metric)
    return threshold is not None and score is not None and math.isfinite(score) and score >= threshold


def find_collapse_set(
    data: ProbeData, *, metric: str, seed: int, time_limit: float, max_set: int = 3
) -> CollapseSet | None:
    """The smallest set of at most ``max_set`` source columns whose removal collapses the score.

    Greedy: the most important remaining column is removed at each step. When one column's
    removal already collapses the score, the next most important columns whose removal alone
    also collapses it join the set (the partners of a rule such as ``a * b > 0``).
    None when nothing collapses, when the data cannot be fitted, or when ``time_limit``
    seconds pass first.
    """
    start = time.perf_counter()
    deadline = start + time_limit
    if metric not in _OBJECTIVE or data.X is None:
        return None
    features = [f for f, kind in data.feature_kinds.items() if kind in ("numeric", "categorical")]
    if not features:
        return None
    sources = _sources(features)
    rng = np.random.default_rng(seed)
    n = len(data)
    rows = np.sort(rng.choice(n, size=MAX_ROWS, replace=False)) if n > MAX_ROWS else np.arange(n)
    X = data.X.iloc[rows][features].reset_index(drop=True)
    y = np.asarray(data.y)[rows]
    split = _holdout(y, _TASK[metric] != "regression", rng)
    if split is None:
        return None
    n_classes = max(data.n_classes, int(y.max()) + 1) if _TASK[metric] != "regression" else 0
    fitter = _Fitter(X, y, split, metric, n_classes, seed)

    score_with, importance = fitter.fit(features)
    if not math.isfinite(score_with):
        return None
    order = _ranked_sources(importance, features, sources)
    removed: list[str] = []
    score = score_with
    for _ in range(max_set):
        if time.perf_counter() > deadline:
            return None
        remaining = [s for s in order if s not in removed]
        if not remaining:
            return None
        removed.append(remaining[0])
        kept = [f for f in features if sources[f] not in removed]
        if not kept:
            return None
        score, importance = fitter.fit(kept)
        if _collapsed(metric, score_with, score):
            break
        order = _ranked_sources(importance, kept, sources)  # re-rank on what is left
    else:
        return None
    if len(removed) == 1:  # partners: columns whose removal alone also collapses the score
        first_order = _ranked_sources(fitter.first_importance, features, sources)
        for candidate in [s for s in first_order if s not in removed][: max_set - 1]:
            if time.perf_counter() > deadline:
                break
            alone, _ = fitter.fit([f for f in features if sources[f] != candidate])
            if _collapsed(metric, score_with, alone):
                removed.append(candidate)
    return CollapseSet(
        columns=removed,
        score_with=float(score_with),
        score_without=float(score),
        metric=metric,
        fits=fitter.fits,
        seconds=time.perf_counter() - start,
    )


def _collapsed(metric: str, score_with: float, score_without: float) -> bool:
    if not math.isfinite(score_without):
        return False
    return score_with - score_without >= COLLAPSE_DROP and not is_near_perfect(metric, score_without)


def _sources(features: list[str]) -> dict[str, str]:
    """Feature -> source column: ``<column>__<part>`` maps to ``<column>`` when several parts share it."""
    prefixes: dict[str, int] = {}
    for f in features:
        if PART_SEPARATOR in f:
            prefix = f.split(PART_SEPARATOR, 1)[0]
            prefixes[prefix] = prefixes.get(prefix, 0) + 1
    return {
        f: f.split(PART_SEPARATOR, 1)[0]
        if PART_SEPARATOR in f and prefixes[f.split(PART_SEPARATOR, 1)[0]] > 1
        else f
        for f in features
    }


def _ranked_sources(importance: np.ndarray, features: list[str], sources: dict[str, str]) -> list[str]:
    """Source columns by summed gain importance, largest first (ties in column order)."""
    total: dict[str, float] = {}
    for f, gain in zip(features, importance, strict=True):
        total[sources[f]] = total.get(sources[f], 0.0) + float(gain)
    return sorted(total, key=lambda s: -total[s])


def _holdout(y: np.ndarray, classification: bool, rng: np.random.Generator) -> tuple | None:
    """Seeded (train, test) positions, stratified by class for classification."""
    n = len(y)
    if round(TEST_SHARE * n) < MIN_TEST_ROWS:
        return None
    test = np.zeros(n, dtype=bool)
    if classification:
        for label in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == label))
            test[members[: int(round(TEST_SHARE * len(members)))]] = True
    else:
        test[rng.permutation(n)[: int(round(TEST_SHARE * n))]] = True
    if test.all() or not test.any():
        return None
    return np.flatnonzero(~test), np.flatnonzero(test)


class _Fitter:
    """Fits LightGBM on a subset of the features and scores it on the holdout."""

    def __init__(
        self, X: pd.DataFrame, y: np.ndarray, split: tuple, metric: str, n_classes: int, seed: int
    ) -> None:
        self.X = X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)  # names LightGBM accepts
        self.position = {c: i for i, c in enumerate(X.columns)}
        self.y, self.split, self.metric, self.n_classes, self.seed = y, split, metric, n_classes, seed
        self.fits = 0
        self.first_importance = np.zeros(0)
        threads = usable_cpus()
        if len(split[0]) * X.shape[1] < SMALL_DATA_CELLS:
            threads = 1
        objective = _OBJECTIVE[metric]
        trees_per_round = n_classes if objective == "multiclass" else 1
        self.rounds = max(1, min(ROUNDS, MAX_TREES // trees_per_round))
        learning_rate = min(MAX_LEARNING_RATE, LEARNING_RATE * ROUNDS / self.rounds)
        self.params = {
            "objective": objective,
            "learning_rate": learning_rate,
            "num_leaves": NUM_LEAVES,
            "min_data_in_leaf": MIN_DATA_IN_LEAF,
            "num_threads": threads,
            "seed": seed,
            "deterministic": True,
            "verbosity": -1,
            **({"num_class": n_classes} if objective == "multiclass" else {}),
        }

    def fit(self, features: list[str]) -> tuple[float, np.ndarray]:
        """Held-out score and gain importance (one value per feature) of a fit on ``features``."""
        import lightgbm as lgb

        columns = [f"f{self.position[f]}" for f in features]
        train, test = self.split
        frame = self.X[columns]
        target = self.y.astype("float64") if self.metric == "r2" else self.y.astype("int64")
        dataset = lgb.Dataset(frame.iloc[train], label=target[train], free_raw_data=True)
        booster = lgb.train(self.params, dataset, num_boost_round=self.rounds)
        self.fits += 1
        pred = booster.predict(frame.iloc[test])
        importance = booster.feature_importance(importance_type="gain")
        if self.fits == 1:
            self.first_importance = importance
        task = _TASK[self.metric]
        score = score_predictions(task, target[test], pred, self.n_classes).get(self.metric, math.nan)
        return float(score), importance
