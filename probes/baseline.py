"""The trivial baseline: class priors (classification) or the mean (regression).

Every other probe is judged against it; a family that cannot beat it has found
no signal. ``ConstantModel`` is also the text probes' fallback when a training
subset holds no words and no other columns. (A training subset with a single
class never reaches a probe: the runner predicts its prior, ``fit_probe``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData


class ConstantModel:
    """Predicts the same probabilities (or value) for every row."""

    def __init__(self, value: np.ndarray | float, classification: bool) -> None:
        self.value = value
        self.classification = classification
        self.params: dict[str, Any] = {}

    def predict(self, data: ProbeData) -> np.ndarray:
        import numpy as np

        n = len(data)
        if self.classification:
            return np.tile(np.asarray(self.value, dtype=np.float64), (n, 1))
        return np.full(n, float(self.value), dtype=np.float64)


def constant_fit(train: ProbeData) -> ConstantModel:
    """Priors for classification, mean for regression (0.0 on an empty train set)."""
    import numpy as np

    from ._encode import class_priors

    if train.is_classification:
        return ConstantModel(class_priors(train.y, train.n_classes), classification=True)
    mean = float(np.mean(train.y)) if len(train) else 0.0
    return ConstantModel(mean, classification=False)


class BaselineProbe(Probe):
    name: ClassVar[str] = "baseline"
    family: ClassVar[str] = "baseline"
    description: ClassVar[str] = "Trivial baseline: training class priors, or the training mean"
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular", "text", "mixed", "image", "signal", "audio"})
    cost_weight: ClassVar[float] = 0.05

    def fit(self, train: ProbeData, ctx: FitContext) -> ConstantModel:
        return constant_fit(train)
