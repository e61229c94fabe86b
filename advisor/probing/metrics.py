"""Held-out scoring, identical for every probe.

Primary metrics are all higher-is-better. A fold where a metric is undefined
(ROC AUC on a test fold holding a single class, R2 on a constant target)
yields NaN for it; ``aggregate`` leaves such folds out of the mean.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from advisor.probe_api import Score

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

PRIMARY: dict[str, str] = {"binary": "roc_auc", "multiclass": "macro_f1", "regression": "r2"}
METRIC_MAX: dict[str, float] = {"roc_auc": 1.0, "pr_auc": 1.0, "macro_f1": 1.0, "accuracy": 1.0, "r2": 1.0}
# Beside ROC AUC on a binary target: the rarer class's average precision, the number a team with a
# rare class (fraud, churn, failures) reads, since ROC AUC can look good while most alerts are false.
RARER_CLASS_METRIC = "pr_auc"
PROBA_EPS = 1e-15


def check_predictions(task: str, pred: np.ndarray, n_rows: int, n_classes: int) -> np.ndarray:
    """Validate a model's output shape and values; returns it as float64.

    Binary models may return (n,) probabilities of class 1; they are widened
    to (n, 2). Raises ValueError with a message naming the problem.
    """
    arr = np.asarray(pred, dtype=np.float64)
    if task == "regression":
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.shape != (n_rows,):
            raise ValueError(f"predict returned shape {arr.shape}, expected ({n_rows},)")
    else:
        if task == "binary" and arr.ndim == 1:
            arr = np.column_stack([1.0 - arr, arr])
        if arr.shape != (n_rows, n_classes):
            raise ValueError(
                f"predict returned shape {arr.shape}, expected ({n_rows}, {n_classes}) probabilities"
            )
    if not np.all(np.isfinite(arr)):
        raise ValueError("predict returned NaN or infinite values")
    return arr


def score_predictions(task: str, y_true: np.ndarray, pred: np.ndarray, n_classes: int) -> dict[str, float]:
    """Every metric for one fold. Classification ``pred``: (n, n_classes) probabilities."""
    y = np.asarray(y_true)
    p = np.asarray(pred, dtype=np.float64)
    if task == "regression":
        y = y.astype(np.float64)
        resid = y - p
        return {
            "r2": r2(y, p),
            "rmse": float(np.sqrt(np.mean(resid**2))),
            "mae": float(np.mean(np.abs(resid))),
        }

    y = y.astype(np.int64)
    p = _two_columns(p)
    hard = np.argmax(p, axis=1)
    out: dict[str, float] = {}
    if task == "binary":
        # A test fold with one class has no ranking to measure.
        out["roc_auc"] = roc_auc(y, p[:, 1])
        out[RARER_CLASS_METRIC] = rarer_class_pr_auc(y, p)
    out["macro_f1"] = macro_f1(y, hard, n_classes)
    out["accuracy"] = float(np.mean(hard == y))
    out["log_loss"] = log_loss(y, p)
    return out


def score_metric(task: str, y_true: np.ndarray, pred: np.ndarray, n_classes: int, metric: str) -> float:
    """One metric of ``score_predictions`` alone, the same value: for callers that score many
    copies of one fold on a single metric (permutation importance scores 90 copies a fold on
    breast cancer, where computing every metric of each copy was most of the step's time)."""
    p = np.asarray(pred, dtype=np.float64)
    if task == "regression" and metric == "r2":
        return r2(np.asarray(y_true, dtype=np.float64), p)
    if task != "regression" and metric in ("roc_auc", "macro_f1"):
        y, p = np.asarray(y_true).astype(np.int64), _two_columns(p)
        if metric == "macro_f1":
            return macro_f1(y, np.argmax(p, axis=1), n_classes)
        if task == "binary":
            return roc_auc(y, p[:, 1])
    return score_predictions(task, y_true, pred, n_classes).get(metric, math.nan)


def _two_columns(p: np.ndarray) -> np.ndarray:
    """(n, k) class probabilities; a binary model's (n,) P(class 1) widened to (n, 2)."""
    return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """R2 of float arrays; NaN on a constant target, where sklearn would return 0 or 1 silently."""
    sst = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / sst if sst > 0 else math.nan


# Metrics in numpy: scikit-learn's input validation costs more than the metric
# on small folds, and these run once per fit.


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC AUC (Mann-Whitney U with average ranks for ties); NaN with one class."""
    from scipy.stats import rankdata

    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def rarer_class(y: np.ndarray) -> int:
    """The binary class with fewer rows in ``y`` (class 1 on a tie, as ROC AUC's positive class)."""
    n_pos = int(np.count_nonzero(y == 1))
    return 0 if len(y) - n_pos < n_pos else 1


def rarer_class_pr_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """Average precision (the area under the precision-recall steps) of the rarer class of ``y``,
    scored by its probability column of ``proba`` (n, 2); NaN when the fold has one class."""
    if len(np.unique(y)) < 2:
        return math.nan
    c = rarer_class(y)
    return average_precision(y == c, proba[:, c])


def average_precision(positive: np.ndarray, score: np.ndarray) -> float:
    """scikit-learn's ``average_precision_score``: the sum over score thresholds, highest first, of
    precision times the recall gained; tied scores form one threshold. NaN without positives."""
    order = np.argsort(-score, kind="stable")
    hits = positive[order].astype(np.float64)
    total = hits.sum()
    if total == 0:
        return math.nan
    ranked = score[order]
    last = np.r_[np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1]  # each threshold's last row
    tp = np.cumsum(hits)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0.0, tp]) / total
    return float(np.sum(precision * recall_gain))


def macro_f1(y: np.ndarray, hard: np.ndarray, n_classes: int) -> float:
    """Unweighted mean F1 over labels 0..n_classes-1; a label never true nor predicted scores 0."""
    k = max(n_classes, int(max(y.max(initial=0), hard.max(initial=0))) + 1)
    tp = np.bincount(y[hard == y], minlength=k).astype(np.float64)
    true = np.bincount(y, minlength=k)
    predicted = np.bincount(hard, minlength=k)
    denom = true + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1[:n_classes].mean())


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log-likelihood with probabilities clipped away from 0 and renormalised."""
    p = np.clip(proba, PROBA_EPS, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def aggregate(values: Sequence[float]) -> Score:
    """Mean and sample standard deviation over the folds where the value is defined."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return Score(mean=math.nan, std=math.nan, folds=[])
    std = float(np.std(finite, ddof=1)) if len(finite) > 1 else 0.0
    return Score(mean=float(np.mean(finite)), std=std, folds=finite)


def undefined_note(metric: str, values: Sequence[float], what: str = "") -> str | None:
    """A note when a metric was undefined on some folds, else None."""
    bad = sum(1 for v in values if not math.isfinite(v))
    if not bad:
        return None
    why = {
        "roc_auc": "a test fold held a single class",
        RARER_CLASS_METRIC: "a test fold held a single class",
        "r2": "a test fold had a constant target",
    }.get(metric, "undefined on those rows")
    where = f" {what}" if what else ""
    return f"{metric} undefined on {bad} of {len(values)} folds{where} ({why}); averaged over the rest"
