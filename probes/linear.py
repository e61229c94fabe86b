"""Regularised linear model: the interpretable reference (logistic or ridge).

Text columns of mixed data are ignored here; a text probe handles them."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import TabularEncoder, expand_proba, no_tabular_reason

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData

C = 1.0  # inverse L2 strength for logistic regression
ALPHA = 1.0  # L2 strength for ridge
MAX_ITER = 500


def fit_regularised(
    Z: Any, y: np.ndarray, classification: bool, ctx: FitContext, *, C: float, alpha: float, max_iter: int
) -> tuple[Any, dict[str, Any]]:
    """Logistic (classification) or ridge regression on encoded features, with a
    note when lbfgs does not converge. Shared by the tabular and text probes."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge

    if classification:
        # lbfgs on >2 classes is the multinomial (softmax) model in scikit-learn >= 1.5.
        model: Any = LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter)
        params: dict[str, Any] = {"model": "logistic", "C": C, "max_iter": max_iter}
    else:
        model, params = Ridge(alpha=alpha), {"model": "ridge", "alpha": alpha}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(Z, y)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        ctx.note(f"lbfgs did not converge in {max_iter} iterations; scores may be slightly low")
    return model, params


class LinearModel:
    """A fitted linear model behind any encoder with ``transform(ProbeData)``."""

    def __init__(self, encoder: Any, model: Any, n_classes: int, params: dict[str, Any]) -> None:
        self.encoder = encoder
        self.model = model
        self.n_classes = n_classes
        self.params = params

    def predict(self, data: ProbeData) -> np.ndarray:
        import numpy as np

        if len(data) == 0:  # sklearn estimators refuse empty input
            return np.zeros((0, self.n_classes)) if self.n_classes else np.zeros(0)
        Z = self.encoder.transform(data)
        if self.n_classes:
            proba = self.model.predict_proba(Z)
            return expand_proba(proba, self.model.classes_, self.n_classes)
        return np.asarray(self.model.predict(Z), dtype=np.float64)


class LinearProbe(Probe):
    name: ClassVar[str] = "linear"
    family: ClassVar[str] = "linear"
    description: ClassVar[str] = (
        "L2-regularised linear model (logistic regression C=1 / ridge alpha=1) on "
        "standardised numeric + one-hot categorical columns"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular", "mixed", "signal"})
    cost_weight: ClassVar[float] = 0.5

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_tabular_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> LinearModel:
        classification = train.is_classification
        encoder = TabularEncoder()
        Z = encoder.fit_transform(train)
        model, params = fit_regularised(Z, train.y, classification, ctx, C=C, alpha=ALPHA, max_iter=MAX_ITER)
        params["n_features_encoded"] = Z.shape[1]
        return LinearModel(encoder, model, train.n_classes if classification else 0, params)
