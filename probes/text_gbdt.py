"""LightGBM on text (TF-IDF reduced by truncated SVD to 100 dimensions) plus the
tabular columns as they are (numeric with NaN, pandas categoricals native).

Trees on raw TF-IDF would be slow and sparse; SVD keeps the main topics, and
for mixed tables this lets the boosted trees use the tabular columns fully.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import tabular_columns
from ._gbdt import booster_predict
from .baseline import ConstantModel, constant_fit
from .pixels_gbdt import fit_booster
from .text_linear import documents, fit_tfidf, no_text_reason

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from advisor.data import ProbeData

SVD_DIM = 100
MAX_TERMS = 20_000  # SVD cost grows with the vocabulary; the tail adds little to 100 components


class TextGBDTModel:
    def __init__(
        self, vectorizer: Any, svd: Any, columns: list[str], task: str, n_classes: int, params: dict
    ):
        self.vectorizer, self.svd, self.columns = vectorizer, svd, columns
        self.task, self.n_classes, self.params = task, n_classes, params

    def frame(self, data: ProbeData) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        parts = []
        if self.svd is not None:
            z = self.svd.transform(self.vectorizer.transform(documents(data))).astype(np.float32)
            parts.append(pd.DataFrame(z, columns=[f"svd{i}" for i in range(z.shape[1])]))
        if self.columns:
            assert data.X is not None
            tab = data.X[self.columns].reset_index(drop=True).copy()
            tab.columns = [f"f{i}" for i in range(len(self.columns))]  # LightGBM rejects some names
            parts.append(tab)
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(len(data)))

    def predict(self, data: ProbeData) -> np.ndarray:
        return booster_predict(
            self.booster, self.frame(data), self.task, self.n_classes, self.params["best_iteration"]
        )


class TextGBDTProbe(Probe):
    name: ClassVar[str] = "text_gbdt"
    family: ClassVar[str] = "gbdt"
    description: ClassVar[str] = (
        "LightGBM on TF-IDF reduced to 100 SVD components plus the numeric and categorical "
        "columns, early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"text", "mixed"})
    reads_text: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 1.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_text_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> TextGBDTModel | ConstantModel:
        from sklearn.decomposition import TruncatedSVD

        deadline = time.monotonic() + ctx.time_limit
        vectorizer = fit_tfidf(documents(train), MAX_TERMS)
        svd = None
        if vectorizer is not None and len(vectorizer.vocabulary_) >= 2:
            dim = min(SVD_DIM, len(vectorizer.vocabulary_) - 1, max(1, len(train) - 1))
            svd = TruncatedSVD(dim, random_state=ctx.seed)
            svd.fit(vectorizer.transform(documents(train)))
        numeric, categorical = tabular_columns(train)
        model = TextGBDTModel(vectorizer, svd, numeric + categorical, train.task, train.n_classes, {})
        X = model.frame(train)
        if X.shape[1] == 0:
            ctx.note("text_gbdt: no words and no other columns in a training subset; predicted the prior")
            return constant_fit(train)
        booster, params = fit_booster(X, train, ctx, deadline, self.name)
        params["svd_components"] = 0 if svd is None else int(svd.n_components)
        model.booster, model.params = booster, params
        return model
