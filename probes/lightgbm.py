"""LightGBM: histogram gradient boosting with native categoricals and NaN handling.

Training and prediction are ``_gbdt``'s, shared with the pixel and text GBDT
probes; this module chooses the columns and the tabular settings.
lightgbm is imported inside ``fit`` so that importing the probes stays cheap."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe, SourceWeights

from ._encode import no_tabular_reason, tabular_columns
from ._gbdt import booster_predict, gain_shares, train_booster

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
MAX_ROUNDS = 2000
EARLY_STOPPING_ROUNDS = 50


def _frame(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Selected columns renamed f0..fN: LightGBM rejects some characters in feature
    names (JSON specials), and user column names can hold anything."""
    out = X[columns].copy()
    out.columns = [f"f{i}" for i in range(len(columns))]
    return out


def learning_rate(n_rows: int) -> float:
    """The boosting rate for ``n_rows`` training rows (see ``FAST_RATE_ROWS``)."""
    return FAST_LEARNING_RATE if n_rows > FAST_RATE_ROWS else LEARNING_RATE


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
        assert data.X is not None
        # The booster remembers the training categories and maps unseen levels to missing.
        X = _frame(data.X, self.columns)
        return booster_predict(self.booster, X, self.task, self.n_classes, self.params["best_iteration"])

    def source_importance(self) -> SourceWeights:
        """Each source column's share of the split gain (the model's own view)."""
        return SourceWeights("gain", gain_shares(self.booster, self.columns, self.params["best_iteration"]))


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

    def fit(self, train: ProbeData, ctx: FitContext) -> LightGBMModel:
        deadline = time.monotonic() + ctx.time_limit
        assert train.X is not None
        numeric, categorical = tabular_columns(train)
        columns = numeric + categorical
        booster, params = train_booster(
            _frame(train.X, columns), train.y, train.task, train.n_classes, ctx, deadline,
            learning_rate=learning_rate(len(train)), max_rounds=MAX_ROUNDS,
            early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        )  # fmt: skip
        params["n_categorical"] = len(categorical)
        return LightGBMModel(booster, columns, train.task, train.n_classes, params)
