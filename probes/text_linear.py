"""TF-IDF + regularised linear model: the classical reference for text.

Text columns are joined into one document per row; for mixed data the
standardised numeric and one-hot categorical columns are appended to the
sparse TF-IDF matrix, so one linear model sees both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import TabularEncoder, tabular_columns
from .baseline import ConstantModel, constant_fit
from .linear import LinearModel, fit_regularised

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData

C = 4.0  # TF-IDF rows are L2-normalised, so weaker regularisation than for dense columns
ALPHA = 1.0
MAX_ITER = 1000
MAX_FEATURES = 50_000


def no_text_reason(data: ProbeData) -> str | None:
    """Why a text probe cannot run on ``data``, else None."""
    if data.X is None or not data.columns_of("text"):
        return "no text columns"
    return None


def documents(data: ProbeData) -> list[str]:
    """One string per row: the text columns joined (missing text is "")."""
    assert data.X is not None
    cols = data.columns_of("text")
    frame = data.X[cols]
    if len(cols) == 1:
        return ["" if v is None else str(v) for v in frame[cols[0]].tolist()]
    return [" \n ".join("" if v is None else str(v) for v in row) for row in frame.itertuples(index=False)]


def fit_tfidf(docs: list[str], max_features: int = MAX_FEATURES) -> Any | None:
    """A fitted TfidfVectorizer (word 1-2 grams, sublinear tf), or None when no word occurs.

    ``min_df=2`` drops one-off tokens (mostly typos and ids); tiny corpora where
    nothing repeats fall back to ``min_df=1``."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    for min_df in (2, 1):
        vec = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=min_df,
            max_features=max_features,
            dtype=np.float32,
        )
        try:
            vec.fit(docs)
            return vec
        except ValueError:  # empty vocabulary
            continue
    return None


class TextFeatures:
    """TF-IDF of the text plus encoded tabular columns, as one sparse matrix."""

    def __init__(self) -> None:
        self.vectorizer: Any | None = None
        self.encoder: TabularEncoder | None = None

    def fit(self, data: ProbeData) -> TextFeatures:
        self.vectorizer = fit_tfidf(documents(data))
        numeric, categorical = tabular_columns(data)
        if numeric or categorical:
            self.encoder = TabularEncoder().fit(data)
        return self

    @property
    def width(self) -> int:
        w = 0 if self.vectorizer is None else len(self.vectorizer.vocabulary_)
        return w + (0 if self.encoder is None else self.encoder.n_features_out)

    def transform(self, data: ProbeData) -> Any:
        import numpy as np
        import scipy.sparse as sp

        parts = []
        if self.vectorizer is not None:
            parts.append(self.vectorizer.transform(documents(data)))
        if self.encoder is not None:
            parts.append(sp.csr_matrix(self.encoder.transform(data)))
        if not parts:
            return sp.csr_matrix((len(data), 0), dtype=np.float32)
        return sp.hstack(parts, format="csr", dtype=np.float32)


class TextLinearProbe(Probe):
    name: ClassVar[str] = "text_linear"
    family: ClassVar[str] = "linear"
    description: ClassVar[str] = (
        "TF-IDF (word 1-2 grams, sublinear tf, min_df 2, up to 50k terms) + logistic regression "
        "C=4 / ridge alpha=1; numeric and one-hot categorical columns appended for mixed data"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"text", "mixed"})
    reads_text: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 0.6

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_text_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> LinearModel | ConstantModel:
        classification = train.is_classification
        features = TextFeatures().fit(train)
        if features.width == 0:
            ctx.note("text_linear: no words and no other columns in a training subset; predicted the prior")
            return constant_fit(train)
        Z = features.transform(train)
        vocab = 0 if features.vectorizer is None else len(features.vectorizer.vocabulary_)
        model, params = fit_regularised(Z, train.y, classification, ctx, C=C, alpha=ALPHA, max_iter=MAX_ITER)
        params.update(n_terms=vocab, n_features=Z.shape[1])
        return LinearModel(features, model, train.n_classes if classification else 0, params)
