"""LightGBM on summary statistics of the log-mel spectrogram: the classical reference for audio.

Per mel band, the mean and spread of the level over time; the MFCCs' means and
spreads and those of their deltas (``_audio.summary_features``). Training and
prediction are ``_gbdt``'s, with the settings of the other unstructured GBDT probes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._audio import N_MFCC, summary_features
from ._gbdt import booster_predict
from .pixels_gbdt import fit_booster

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData


class AudioGBDTModel:
    def __init__(self, booster: Any, task: str, n_classes: int, params: dict[str, Any]) -> None:
        self.booster, self.task, self.n_classes, self.params = booster, task, n_classes, params

    def predict(self, data: ProbeData) -> np.ndarray:
        assert data.spectrograms is not None
        X = summary_features(data.spectrograms)
        return booster_predict(self.booster, X, self.task, self.n_classes, self.params["best_iteration"])


class AudioGBDTProbe(Probe):
    name: ClassVar[str] = "audio_gbdt"
    family: ClassVar[str] = "gbdt"
    description: ClassVar[str] = (
        f"LightGBM on log-mel summaries (per-band mean and spread) and MFCC statistics ({N_MFCC} "
        "coefficients and their deltas), early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"audio"})
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass"})
    cost_weight: ClassVar[float] = 1.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or (None if data.spectrograms is not None else "no spectrograms")

    def fit(self, train: ProbeData, ctx: FitContext) -> AudioGBDTModel:
        deadline = time.monotonic() + ctx.time_limit
        assert train.spectrograms is not None
        booster, params = fit_booster(summary_features(train.spectrograms), train, ctx, deadline, self.name)
        _, mels, frames = train.spectrograms.shape
        params["input"] = f"summaries of a {mels}-band x {frames}-frame log-mel spectrogram"
        return AudioGBDTModel(booster, train.task, train.n_classes, params)
