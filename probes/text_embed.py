"""Pretrained text embeddings with a simple model on top: the hybrid for small corpora.

Each text column is embedded with wordllama's bundled model (256 dimensions,
token embeddings distilled from a large language model, mean-pooled; 16 MB of
weights inside its wheel, so nothing is downloaded), and the vectors, next to the
table's own columns for mixed data, go to a regularised linear model
(``text_embed_linear``) or to LightGBM (``text_embed_gbdt``), on the shared folds.
Unlike TF-IDF, the vectors carry what the words mean, so a word never seen in
training still lands near its synonyms.

wordllama is an optional extra (``pip install "advisor[embeddings]"``); without
it both probes are skipped with a note saying so (``Probe.setup``).
"""

from __future__ import annotations

import functools
import importlib.util
import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._embed import BILLING_NOTE, EmbeddingHead, VectorCache
from ._encode import TabularEncoder, tabular_columns
from ._gbdt import booster_predict
from .text_linear import no_text_reason

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from advisor.data import ProbeData
    from advisor.facts import Constraints

MODEL = "l2_supercat"  # wordllama's default model, the one its wheel ships
DIM = 256
MAX_CHARS = 10_000  # the head of longer texts: wordllama pads a batch to its longest text
BATCH = 64
INSTALL = 'pip install "advisor[embeddings]"'


def wordllama_missing() -> str | None:
    """Why the embedding probes cannot run here (wordllama not installed), else None."""
    if importlib.util.find_spec("wordllama") is None:
        return (
            f"wordllama is not installed: {INSTALL} adds pretrained text embeddings "
            "(16 MB, shipped in its wheel, no download)"
        )
    return None


@functools.cache
def load_wordllama() -> Any:
    """The bundled model, loaded once per process (0.6 s), with downloads disabled.

    wordllama looks for its tokenizer under ``tokenizer/`` in the package but ships it
    under ``tokenizers/``; passing the package folder as the cache folder finds it there."""
    from pathlib import Path

    import wordllama

    return wordllama.WordLlama.load(
        MODEL, cache_dir=Path(wordllama.__file__).parent, dim=DIM, disable_download=True
    )


class TextEmbedder:
    """Text -> vector through wordllama, each distinct text embedded once per run."""

    def __init__(self) -> None:
        self.cache = VectorCache(DIM)
        self.truncated = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        model = load_wordllama()

        def inputs(positions: list[int]) -> list[str]:
            out = [texts[i] for i in positions]
            self.truncated += sum(len(t) > MAX_CHARS for t in out)
            return [t[:MAX_CHARS] for t in out]

        def compute(batch: list[str]) -> np.ndarray:
            return np.nan_to_num(model.embed(batch, norm=False, batch_size=BATCH))  # "" pools to zeros

        vectors, _ = self.cache.get(texts, inputs, compute, batch=1024)
        return vectors

    def columns(self, data: ProbeData) -> list[np.ndarray]:
        """One (n, DIM) block per text column, in feature order."""
        assert data.X is not None
        return [
            self.embed(["" if v is None else str(v) for v in data.X[c].tolist()])
            for c in data.columns_of("text")
        ]

    def notes(self, ctx: FitContext, name: str) -> None:
        ctx.note(f"{name}: wordllama {MODEL} ({DIM} dimensions, frozen); {BILLING_NOTE}")
        if self.truncated:
            ctx.note(f"{name}: texts longer than {MAX_CHARS:,} characters were embedded by their head")


class _EmbedProbe(Probe):
    family: ClassVar[str] = "pretrained"
    modalities: ClassVar[frozenset[str]] = frozenset({"text", "mixed"})
    reads_text: ClassVar[bool] = True

    def __init__(self) -> None:
        self.embedder = TextEmbedder()

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_text_reason(data)

    def setup(self, constraints: Constraints) -> str | None:
        return wordllama_missing()


class TextEmbedLinearModel:
    def __init__(self, embedder: TextEmbedder, encoder: TabularEncoder | None, head: EmbeddingHead):
        self.embedder, self.encoder, self.head = embedder, encoder, head

    @property
    def params(self) -> dict[str, Any]:
        return self.head.params

    def features(self, data: ProbeData) -> np.ndarray:
        import numpy as np

        parts = self.embedder.columns(data)
        if self.encoder is not None:
            parts.append(self.encoder.transform(data))
        return np.hstack(parts)

    def predict(self, data: ProbeData) -> np.ndarray:
        return self.head.predict(self.features(data))


class TextEmbedLinearProbe(_EmbedProbe):
    name: ClassVar[str] = "text_embed_linear"
    description: ClassVar[str] = (
        "Pretrained wordllama embeddings (256-d, frozen) of each text column + logistic regression "
        "C=0.5 / ridge alpha=10 on standardised vectors; numeric and one-hot categorical columns "
        "appended for mixed data"
    )
    # Cheap: embeddings are computed once per run, the head fits in well under a second.
    cost_weight: ClassVar[float] = 0.3

    def fit(self, train: ProbeData, ctx: FitContext) -> TextEmbedLinearModel:
        numeric, categorical = tabular_columns(train)
        encoder = TabularEncoder().fit(train) if numeric or categorical else None
        head = EmbeddingHead(train.n_classes if train.is_classification else 0)
        model = TextEmbedLinearModel(self.embedder, encoder, head)
        mark = self.embedder.cache.mark()
        Z = model.features(train)
        spent = self.embedder.cache.spent(mark)
        head.fit(Z, train.y, ctx)
        head.params.update(spent)
        self.embedder.notes(ctx, self.name)
        return model


class TextEmbedGBDTModel:
    def __init__(self, embedder: TextEmbedder, columns: list[str], task: str, n_classes: int) -> None:
        self.embedder, self.columns, self.task, self.n_classes = embedder, columns, task, n_classes
        self.booster: Any = None
        self.params: dict[str, Any] = {}

    def frame(self, data: ProbeData) -> pd.DataFrame:
        import pandas as pd

        parts = [
            pd.DataFrame(block, columns=[f"t{j}_{i}" for i in range(block.shape[1])])
            for j, block in enumerate(self.embedder.columns(data))
        ]
        if self.columns:
            assert data.X is not None
            tab = data.X[self.columns].reset_index(drop=True).copy()
            tab.columns = [f"f{i}" for i in range(len(self.columns))]  # LightGBM rejects some names
            parts.append(tab)
        return pd.concat(parts, axis=1)

    def predict(self, data: ProbeData) -> np.ndarray:
        return booster_predict(
            self.booster, self.frame(data), self.task, self.n_classes, self.params["best_iteration"]
        )


class TextEmbedGBDTProbe(_EmbedProbe):
    name: ClassVar[str] = "text_embed_gbdt"
    description: ClassVar[str] = (
        "Pretrained wordllama embeddings (256-d, frozen) of each text column + LightGBM with the "
        "numeric and categorical columns, early stopping on a 15% split"
    )
    cost_weight: ClassVar[float] = 0.5

    def fit(self, train: ProbeData, ctx: FitContext) -> TextEmbedGBDTModel:
        from .pixels_gbdt import fit_booster

        deadline = time.monotonic() + ctx.time_limit
        numeric, categorical = tabular_columns(train)
        model = TextEmbedGBDTModel(self.embedder, numeric + categorical, train.task, train.n_classes)
        mark = self.embedder.cache.mark()
        X = model.frame(train)
        spent = self.embedder.cache.spent(mark)
        model.booster, model.params = fit_booster(X, train, ctx, deadline, self.name)
        model.params.update(spent)
        self.embedder.notes(ctx, self.name)
        return model
