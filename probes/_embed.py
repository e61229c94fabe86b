"""Shared helpers of the pretrained-representation probes (text embeddings, image backbones).

``VectorCache`` keeps the vector of each distinct input (a text, an image's bytes)
once it is computed. A frozen pretrained model maps an input to the same vector
whatever the fold, so reusing it across folds and learning-curve sizes changes no
score; it only moves the cost: the first fit that meets an input pays for it, and
the cache counts that time so the probe can say so in its notes.

``EmbeddingHead`` is the simple model on top: a regularised linear model on
standardised vectors (plus the table's own columns for mixed data).

numpy and scikit-learn are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.probe_api import FitContext

C = 0.5  # inverse L2 strength: a few hundred dense dimensions on few rows need more than C=1
ALPHA = 10.0  # ridge strength, for the same reason
MAX_ITER = 1000


class VectorCache:
    """Input key -> vector, filled on demand by ``compute`` in batches."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.vectors: dict[Hashable, np.ndarray] = {}
        self.seconds = 0.0  # spent computing vectors, over the whole run
        self.computed = 0  # distinct inputs computed

    def get(
        self,
        keys: Sequence[Hashable],
        inputs: Callable[[list[int]], Any],
        compute: Callable[[Any], np.ndarray],
        *,
        batch: int = 256,
        deadline: float | None = None,
    ) -> tuple[np.ndarray, int]:
        """(vectors of the first ``n`` rows, ``n``): float32 (n, dim) for ``keys`` in order.

        ``inputs(positions)`` gives the raw inputs at those row positions and
        ``compute(inputs)`` their vectors. Rows whose key is cached are not recomputed;
        past ``deadline`` (time.monotonic) no new batch starts, so ``n`` can be short of
        ``len(keys)`` (never without ``deadline``)."""
        import numpy as np

        todo: dict[Hashable, int] = {}
        for i, key in enumerate(keys):
            if key not in self.vectors and key not in todo:
                todo[key] = i
        pending = list(todo.items())
        started = time.perf_counter()
        try:
            for start in range(0, len(pending), batch):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                chunk = pending[start : start + batch]
                out = np.asarray(compute(inputs([i for _, i in chunk])), dtype=np.float32)
                for (key, _), vec in zip(chunk, out, strict=True):
                    self.vectors[key] = vec
                self.computed += len(chunk)
        finally:
            self.seconds += time.perf_counter() - started
        n = len(keys)
        for i, key in enumerate(keys):
            if key not in self.vectors:
                n = i
                break
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32), 0
        return np.stack([self.vectors[k] for k in keys[:n]]).astype(np.float32, copy=False), n

    def mark(self) -> tuple[int, float]:
        """(inputs computed, seconds) so far: ``spent(mark)`` is what happened since."""
        return self.computed, self.seconds

    def spent(self, mark: tuple[int, float]) -> dict[str, Any]:
        """Params for one fit: the inputs it embedded and the seconds that took (in its fit time)."""
        return {"embedded": self.computed - mark[0], "embed_seconds": round(self.seconds - mark[1], 3)}


BILLING_NOTE = (
    "each distinct input is embedded once per run and reused across folds (a frozen model gives it "
    "the same vector in every fold): the first fit that meets an input pays for it within its fit "
    "time, so later fits leave most embedding out; params embedded/embed_seconds are the first fold's"
)


class EmbeddingHead:
    """Logistic or ridge regression on standardised vectors (and encoded table columns)."""

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes
        self.scaler: Any = None
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def fit(self, Z: np.ndarray, y: np.ndarray, ctx: FitContext) -> EmbeddingHead:
        from sklearn.preprocessing import StandardScaler

        from .linear import fit_regularised

        self.scaler = StandardScaler().fit(Z)
        classification = self.n_classes > 0
        self.model, self.params = fit_regularised(
            self.scaler.transform(Z), y, classification, ctx, C=C, alpha=ALPHA, max_iter=MAX_ITER
        )
        self.params["n_features"] = int(Z.shape[1])
        return self

    def predict(self, Z: np.ndarray) -> np.ndarray:
        import numpy as np

        from ._encode import expand_proba

        if len(Z) == 0:  # sklearn estimators refuse empty input
            return np.zeros((0, self.n_classes)) if self.n_classes else np.zeros(0)
        X = self.scaler.transform(Z)
        if self.n_classes:
            return expand_proba(self.model.predict_proba(X), self.model.classes_, self.n_classes)
        return np.asarray(self.model.predict(X), dtype=np.float64)
