"""Shared preprocessing for the tabular probes: a dense float32 encoding of the
numeric and categorical columns, a seeded validation split, and helpers that
keep probability outputs shaped (n, n_classes) when a training subset lacks a class.

Text columns are ignored here on purpose: a text probe handles them.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from advisor.compute import fit_threads  # noqa: F401 - the probes' one source of thread counts

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from advisor.data import ProbeData

MISSING_LEVEL = "__missing__"
MAX_CATEGORIES = 32


def tabular_columns(data: ProbeData) -> tuple[list[str], list[str]]:
    """(numeric, categorical) column names, in feature order; text columns left out."""
    return data.columns_of("numeric"), data.columns_of("categorical")


def no_tabular_reason(data: ProbeData) -> str | None:
    """Why a tabular probe cannot run on ``data`` (no usable columns), else None."""
    if data.X is None:
        return "no tabular features"
    numeric, categorical = tabular_columns(data)
    if not numeric and not categorical:
        return "no numeric or categorical columns"
    return None


def categorical_strings(X: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Categorical columns as a str object array, missing as its own level.

    Converting to str unifies integer/str categories, and an explicit missing
    level avoids NaN-in-object arrays, which OneHotEncoder treats unevenly."""
    import numpy as np

    out = np.empty((len(X), len(columns)), dtype=object)
    for j, c in enumerate(columns):
        col = X[c]
        values = col.astype(object).to_numpy()
        mask = col.isna().to_numpy()
        values = np.where(mask, MISSING_LEVEL, values).astype(str).astype(object)
        out[:, j] = values
    return out


class TabularEncoder:
    """Numeric: median impute + missing indicators + standardise.
    Categorical: one-hot, at most 32 levels per column (rarer levels pooled),
    unseen levels encoded as the pooled level if there is one, else all zeros.
    ``transform`` returns a dense float32 array."""

    def __init__(self, max_categories: int = MAX_CATEGORIES) -> None:
        self.max_categories = max_categories
        self.numeric: list[str] = []
        self.categorical: list[str] = []
        self._num = None
        self._cat = None
        self.n_features_out = 0

    def fit(self, data: ProbeData) -> TabularEncoder:
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        assert data.X is not None
        self.numeric, self.categorical = tabular_columns(data)
        X = data.X
        width = 0
        if self.numeric:
            # keep_empty_features: a column that is all-NaN in a small subset still
            # exists at predict time, so the output width must not depend on it.
            self._num = make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out = self._num.fit_transform(X[self.numeric].to_numpy(dtype="float64"))
            width += out.shape[1]
        if self.categorical:
            self._cat = OneHotEncoder(
                max_categories=self.max_categories,
                handle_unknown="infrequent_if_exist",
                sparse_output=False,
                dtype="float32",
            )
            out = self._cat.fit_transform(categorical_strings(X, self.categorical))
            width += out.shape[1]
        self.n_features_out = width
        return self

    def transform(self, data: ProbeData) -> np.ndarray:
        import numpy as np

        assert data.X is not None
        if len(data) == 0:  # sklearn transformers refuse empty input
            return np.zeros((0, self.n_features_out), dtype=np.float32)
        parts = []
        if self._num is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                parts.append(self._num.transform(data.X[self.numeric].to_numpy(dtype="float64")))
        if self._cat is not None:
            with warnings.catch_warnings():
                # unseen levels are expected (learning-curve subsets); they encode as zeros
                warnings.simplefilter("ignore", UserWarning)
                parts.append(self._cat.transform(categorical_strings(data.X, self.categorical)))
        if not parts:
            return np.zeros((len(data), 0), dtype=np.float32)
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)

    def fit_transform(self, data: ProbeData) -> np.ndarray:
        return self.fit(data).transform(data)


def holdout_split(
    y: np.ndarray, classification: bool, seed: int, fraction: float = 0.15, min_rows: int = 20
) -> tuple[np.ndarray, np.ndarray] | None:
    """Seeded (train_idx, val_idx) for early stopping, stratified when possible.

    None when there are fewer than ``min_rows`` rows: a validation split that
    small says nothing, so callers train a fixed schedule instead."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    n = int(y.shape[0])
    if n < min_rows:
        return None
    idx = np.arange(n)
    n_val = max(2, int(round(fraction * n)))
    if classification:
        try:
            tr, va = train_test_split(idx, test_size=n_val, random_state=seed, stratify=y)
            return np.sort(tr), np.sort(va)
        except ValueError:
            pass  # a class with one member: fall back to a plain random split
    tr, va = train_test_split(idx, test_size=n_val, random_state=seed)
    return np.sort(tr), np.sort(va)


def expand_proba(proba: np.ndarray, classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Place columns for ``classes`` (those seen in training) into (n, n_classes)."""
    import numpy as np

    out = np.zeros((proba.shape[0], n_classes), dtype=np.float64)
    out[:, np.asarray(classes, dtype=np.int64)] = proba
    return out


def class_priors(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Training class frequencies; uniform when ``y`` is empty."""
    import numpy as np

    counts = np.bincount(y.astype(np.int64), minlength=n_classes).astype(np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.full(n_classes, 1.0 / max(n_classes, 1))
