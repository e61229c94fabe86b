"""Regularised linear model: the interpretable reference (logistic or ridge).

Text columns of mixed data are ignored here; a text probe handles them."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe, SourceWeights

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

    def source_importance(self) -> SourceWeights | None:
        """Standardised coefficients per source column (the tabular encoder only).

        A numeric column's coefficient is per standard deviation (the encoder scales
        it), signed for binary and regression targets; a column with several
        coefficients (one-hot levels, classes of a multiclass target) gets their
        norm, without a direction. Missing-value indicators are left out."""
        if not isinstance(self.encoder, TabularEncoder):
            return None  # TF-IDF terms are not source columns
        return coefficient_view(self.encoder, self.model)


def coefficient_view(encoder: TabularEncoder, model: Any) -> SourceWeights:
    import numpy as np

    from advisor.probing.importance import source_groups

    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # (1 or k, width)
    sources: list[str | None] = list(encoder.numeric)
    if encoder._num is not None:
        indicator = encoder._num.steps[0][1].indicator_
        sources += [None] * (0 if indicator is None else len(indicator.features_))
    if encoder._cat is not None:
        cat = encoder._cat
        infrequent = getattr(cat, "infrequent_categories_", None) or [None] * len(encoder.categorical)
        for name, levels, rare in zip(encoder.categorical, cat.categories_, infrequent, strict=True):
            n_rare = 0 if rare is None else len(rare)
            sources += [name] * (len(levels) - n_rare + (1 if n_rare else 0))
    groups = source_groups(list(encoder.numeric) + list(encoder.categorical))
    owner = {f: src for src, fs in groups.items() for f in fs}
    by_source: dict[str, list[float]] = {}
    for j, feature in enumerate(sources[: coef.shape[1]]):
        if feature is not None:
            by_source.setdefault(owner.get(feature, feature), []).extend(coef[:, j].tolist())
    values: dict[str, float] = {}
    direction: dict[str, int] = {}
    for src, cs in by_source.items():
        if len(cs) == 1:
            values[src] = cs[0]
            direction[src] = 1 if cs[0] > 0 else -1 if cs[0] < 0 else 0
        else:
            values[src] = float(np.sqrt(np.sum(np.square(cs))))
    return SourceWeights("coefficient", values, {c: d for c, d in direction.items() if d})


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
