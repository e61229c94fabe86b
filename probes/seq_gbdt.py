"""LightGBM on lag and rolling-window features: the classical answer for sequence tables.

Each row keeps its own features (as the ``lightgbm`` probe sees them) and gains,
for each numeric reading, its values 1 to 3 readings back in the same entity, the
change since the last one, and mean, std, min and max over the entity's last 10
earlier readings, plus how many readings came before and the time since the
latest (``_sequence.lag_features``). Only strictly earlier readings of the same
entity go into a row's features, never its target: at predict time the history
is the kept training rows and the rows given to predict (``_sequence``'s
docstring says why that is what a deployed model has). Training is the shared
LightGBM trainer's (``_gbdt``), with the tabular probe's settings.

lightgbm is imported inside ``fit`` so that importing the probes stays cheap.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import no_tabular_reason, tabular_columns
from ._gbdt import booster_predict, train_booster
from ._sequence import History, lag_features, no_sequence_reason, reading_columns, windows
from .lightgbm import EARLY_STOPPING_ROUNDS, MAX_ROUNDS, _frame, learning_rate

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from advisor.data import ProbeData

LAGS = 3  # values 1..3 readings back
STAT_WIDTH = 10  # readings the rolling statistics span


def sequence_frame(
    data: ProbeData, columns: list[str], readings: list[str], kept: History | None
) -> pd.DataFrame:
    """The row's own columns (``f0..``) and its lag and window features (``s0..``)."""
    import pandas as pd

    assert data.X is not None
    query = History.of(data, readings)
    lagged = lag_features(windows(query, STAT_WIDTH, kept), query.values, LAGS, STAT_WIDTH)
    own = _frame(data.X, columns)
    extra = pd.DataFrame(lagged, columns=[f"s{i}" for i in range(lagged.shape[1])], index=own.index)
    return pd.concat([own, extra], axis=1)


class SequenceGBDTModel:
    def __init__(
        self,
        booster: Any,
        columns: list[str],
        readings: list[str],
        kept: History,
        task: str,
        n_classes: int,
        params: dict[str, Any],
    ) -> None:
        self.booster = booster
        self.columns = columns
        self.readings = readings
        self.kept = kept
        self.task = task
        self.n_classes = n_classes
        self.params = params

    def predict(self, data: ProbeData) -> np.ndarray:
        X = sequence_frame(data, self.columns, self.readings, self.kept)
        return booster_predict(self.booster, X, self.task, self.n_classes, self.params["best_iteration"])


class SequenceGBDTProbe(Probe):
    name: ClassVar[str] = "seq_gbdt"
    family: ClassVar[str] = "gbdt"
    description: ClassVar[str] = (
        f"LightGBM on each row's features plus lags 1-{LAGS}, the change since the last reading and "
        f"rolling mean/std/min/max over the entity's {STAT_WIDTH} earlier readings; early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular", "mixed"})
    cost_weight: ClassVar[float] = 1.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_tabular_reason(data) or no_sequence_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> SequenceGBDTModel:
        deadline = time.monotonic() + ctx.time_limit
        numeric, categorical = tabular_columns(train)
        columns = numeric + categorical
        readings = reading_columns(train)
        X = sequence_frame(train, columns, readings, None)
        booster, params = train_booster(
            X, train.y, train.task, train.n_classes, ctx, deadline,
            learning_rate=learning_rate(len(train)), max_rounds=MAX_ROUNDS,
            early_stopping_rounds=EARLY_STOPPING_ROUNDS, note_prefix="seq_gbdt: ",
        )  # fmt: skip
        params.update(n_readings=len(readings), lags=LAGS, stat_width=STAT_WIDTH, n_features=int(X.shape[1]))
        kept = History.of(train, readings)
        return SequenceGBDTModel(booster, columns, readings, kept, train.task, train.n_classes, params)
