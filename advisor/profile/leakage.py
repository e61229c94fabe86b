"""Leakage suspects: single columns that alone predict the target almost perfectly.

Each feature is scored on its own, on held-out halves of a seeded sample:
numbers by a histogram tree (256 quantile bins, per-bin majority or mean; plus the
raw column's ROC AUC for binary targets and |Spearman| for regression),
categories by the per-category majority or mean. numpy only: no sklearn import.
A near-perfect score is more often a column derived from the target, or measured
after it, than a discovery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from advisor.facts import ColumnProfile, DataWarning
from advisor.io.take import take_rows
from advisor.profile.kinds import to_float
from advisor.profile.target import encode_target

MAX_ROWS = 10_000  # enough to tell AUC 0.99 from 0.95 with a clear margin
CELL_BUDGET = 250_000  # rows x columns scored; wide tables get fewer rows so this stays well under a second
MIN_ROWS = 20  # fewer rows cannot tell leakage from luck
MIN_SAMPLE_ROWS = 2_000  # however wide the table
N_BINS = 256  # quantile bins of the histogram tree; fine enough that a boundary bin costs < 0.5% accuracy
SEED = 0
FLAG_AUC = 0.99
FLAG_ACCURACY = 0.99
MAX_ERROR_SHARE = 0.2  # ...and the column removes at least 80% of the majority baseline's errors
FLAG_R2 = 0.98
FLAG_SPEARMAN = 0.99
MAX_CATEGORY_SHARE = 0.5  # more categories than this share of rows just memorises rows
NUMERIC_KINDS = ("numeric", "boolean", "datetime")


@dataclass
class Suspect:
    column: str
    metric: str  # "ROC AUC", "accuracy", "R2", "|Spearman|"
    score: float

    def warning(self) -> DataWarning:
        return DataWarning(
            "leakage-suspect",
            f"column {self.column!r} alone predicts the target with {self.metric} {self.score:.2f} — likely leakage "
            "(derived from or measured after the target); check it",
            self.column,
        )


def scan_sample(
    frame: pd.DataFrame,
    names: list[str],
    rng: np.random.Generator,
    cell_budget: int = CELL_BUDGET,
) -> pd.DataFrame:
    """The seeded rows of the named columns a leakage scan reads: fewer rows on wide tables, so
    the cells scanned stay bounded. ``names``: the candidates, then the target."""
    n_candidates = max(1, len(names) - 1)
    n_rows = min(MAX_ROWS, len(frame), max(cell_budget // n_candidates, MIN_SAMPLE_ROWS))
    if n_rows >= len(frame):
        return frame[names]
    return take_rows(frame[names], np.sort(rng.choice(len(frame), size=n_rows, replace=False)))


def find_leakage(
    frame: pd.DataFrame, columns: list[ColumnProfile], target: ColumnProfile, task: str
) -> list[Suspect]:
    """Columns whose single-feature score passes the flag thresholds, best first."""
    candidates = [c for c in columns if c.name != target.name and c.kind in (*NUMERIC_KINDS, "categorical")]
    if not candidates:
        return []
    rng = np.random.default_rng(SEED)
    sample = scan_sample(frame, [*(c.name for c in candidates), target.name], rng)
    encoded = encode_target(sample[target.name], target.kind, task)
    if encoded.keep.sum() < MIN_ROWS or (task != "regression" and len(encoded.class_names) < 2):
        return []
    sample = sample[encoded.keep]
    y = encoded.y
    half = rng.permutation(len(y)) < len(y) // 2
    suspects = []
    # Values near the float limit overflow in sums and ranges; such a score is simply not flagged.
    with np.errstate(all="ignore"):
        for column in candidates:
            suspect = _suspect(sample, column, y, half, task)
            if suspect is not None:
                suspects.append(suspect)
    return sorted(suspects, key=lambda s: -s.score)


def _suspect(
    sample: pd.DataFrame, column: ColumnProfile, y: np.ndarray, half: np.ndarray, task: str
) -> Suspect | None:
    if column.kind == "categorical":
        codes, uniques = pd.factorize(sample[column.name], use_na_sentinel=False)
        if len(uniques) >= MAX_CATEGORY_SHARE * len(y):
            return None
        metric, score = _score_categories(codes, y, half, task)
    else:
        x = to_float(sample[column.name], column.kind)
        if np.isnan(x).all():
            return None
        metric, score = _score_numeric(x, y, half, task)
    if np.isfinite(score) and _flagged(metric, score, y, task):
        return Suspect(column.name, metric, score)
    return None


def _flagged(metric: str, score: float, y: np.ndarray, task: str) -> bool:
    if metric == "ROC AUC":
        return score >= FLAG_AUC
    if metric == "accuracy":
        baseline = np.bincount(y).max() / len(y)
        return score >= FLAG_ACCURACY and (1 - score) <= MAX_ERROR_SHARE * (1 - baseline)
    if metric == "R2":
        return score >= FLAG_R2
    return score >= FLAG_SPEARMAN


def ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties averaged (scipy's rankdata, without importing scipy)."""
    n = len(x)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    starts = np.r_[0, np.flatnonzero(ordered[1:] != ordered[:-1]) + 1]
    ends = np.r_[starts[1:], n]
    result = np.empty(n, dtype="float64")
    result[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return result


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as P(positive outscores negative) + P(tie) / 2; 0.5 when one class is absent.

    Counted by binary search in the sorted negatives: plain sorts are several
    times faster than the argsort a rank-sum needs.
    """
    positive = y == 1
    pos, neg = np.sort(score[positive]), np.sort(score[~positive])
    if len(pos) == 0 or len(neg) == 0:
        return 0.5
    at = np.searchsorted(neg, pos, side="left")
    below = at.sum(dtype="float64")
    # A positive ties a negative only where it equals the negative it would be inserted before:
    # the second search (half the cost) runs only then, which continuous scores rarely need.
    tied = 0.0
    if np.any(neg[np.minimum(at, len(neg) - 1)] == pos):
        tied = np.searchsorted(neg, pos, side="right").sum(dtype="float64") - below
    return float((below + tied / 2) / (len(pos) * len(neg)))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    with np.errstate(all="ignore"):  # values near the float limit overflow: no score then
        total = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float(((y - pred) ** 2).sum()) / total if total > 0 else 0.0
    return r2 if np.isfinite(r2) else 0.0


def _bins(x: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Quantile-bin codes from the training half's edges; missing values get a bin of their own."""
    present = np.sort(x[train & ~np.isnan(x)])
    if len(present) == 0:
        return np.where(np.isnan(x), 0, 1)
    # Edges midway between neighbouring order statistics at the N_BINS quantiles, so a
    # gap between clusters of values is split in the gap (a sort beats np.quantile here).
    at = np.clip((np.arange(1, N_BINS) * len(present)) // N_BINS, 1, max(1, len(present) - 1))
    edges = np.unique(present[at - 1] / 2 + present[np.minimum(at, len(present) - 1)] / 2)
    return np.where(np.isnan(x), len(edges) + 1, np.searchsorted(edges, x, side="right"))


def _score_numeric(x: np.ndarray, y: np.ndarray, half: np.ndarray, task: str) -> tuple[str, float]:
    if task == "binary":
        filled = np.where(np.isnan(x), np.nanmin(x) - 1, x)  # missingness can itself be the leak
        raw = roc_auc(y, filled)
        raw = max(raw, 1 - raw)
        if raw >= FLAG_AUC:
            return "ROC AUC", raw
    if task == "regression":
        present = ~np.isnan(x)
        if present.sum() > 2 and np.ptp(x[present]) > 0 and np.ptp(y[present]) > 0:
            rho = abs(float(np.corrcoef(ranks(x[present]), ranks(y[present]))[0, 1]))
            if rho >= FLAG_SPEARMAN:
                return "|Spearman|", rho
    # A histogram tree: bins from one half, per-bin majority or mean scored on the other.
    scores = [_score_codes(_bins(x, train), y, train, task) for train in (half, ~half)]
    return _METRICS.get(task, "accuracy"), float(np.mean(scores))


def _score_categories(codes: np.ndarray, y: np.ndarray, half: np.ndarray, task: str) -> tuple[str, float]:
    scores = [_score_codes(codes, y, train, task) for train in (half, ~half)]
    return _METRICS.get(task, "accuracy"), float(np.mean(scores))


def _score_codes(codes: np.ndarray, y: np.ndarray, train: np.ndarray, task: str) -> float:
    """Held-out score of predicting each code's training majority (or mean) on the rows not in ``train``."""
    test = ~train
    k = int(codes.max()) + 1
    counts = np.bincount(codes[train], minlength=k)
    seen = counts > 0
    if task == "multiclass":
        table = np.zeros((k, int(y.max()) + 1))
        np.add.at(table, (codes[train], y[train]), 1)
        majority = np.where(seen, table.argmax(axis=1), np.bincount(y[train]).argmax())
        return float((majority[codes[test]] == y[test]).mean())
    sums = np.bincount(codes[train], weights=y[train].astype("float64"), minlength=k)
    pred = np.where(seen, sums / np.maximum(counts, 1), y[train].mean())[codes[test]]
    return roc_auc(y[test], pred) if task == "binary" else _r2(y[test], pred)


_METRICS = {"binary": "ROC AUC", "regression": "R2"}
