"""A small transformer encoder for text, trained from scratch in PyTorch.

Regex word tokens, a vocabulary of the 20k most frequent train-fold words, a
[CLS] token (so an empty document still has one unmasked position), learned
positions, 2 pre-norm encoder layers (d_model 64, 2 heads), masked mean
pooling. Mixed data: the encoded tabular columns are concatenated to the
pooled text vector before the head. Same code on CPU and CUDA (AMP on CUDA).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import TabularEncoder, expand_proba, holdout_split, tabular_columns
from ._torch import TargetScale, TensorBatches, amp_for, fit_net, predict_batches, resolve_device, set_threads
from .text_linear import documents, no_text_reason

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from advisor.data import ProbeData

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
PAD, UNK, CLS = 0, 1, 2
VOCAB_SIZE = 20_000
MAX_LEN = {"cpu": 128, "cuda": 256}  # tokens kept per document (head of the text)
BATCH = {"cpu": 64, "cuda": 128}
D_MODEL, HEADS, LAYERS, FF, DROPOUT = 64, 2, 2, 128, 0.1
MAX_EPOCHS, PATIENCE, LR = 40, 4, 1e-3


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text.lower())


class Vocab:
    """Token -> id; ids 0..2 are reserved for padding, unknown and [CLS]."""

    def __init__(self, docs: list[list[str]], size: int = VOCAB_SIZE) -> None:
        counts = Counter(t for d in docs for t in d)
        # Words seen once are mostly noise, unless the corpus is too small to be choosy.
        common = [(t, c) for t, c in counts.most_common(size - 3) if c >= 2]
        if len(common) < 50:
            common = counts.most_common(size - 3)
        self.index = {t: i + 3 for i, (t, _) in enumerate(common)}

    def __len__(self) -> int:
        return len(self.index) + 3

    def encode(self, docs: list[list[str]], max_len: int) -> np.ndarray:
        """(n, max_len) int64 ids: [CLS] + the first max_len-1 tokens, right-padded."""
        import numpy as np

        out = np.zeros((len(docs), max_len), dtype=np.int64)
        out[:, 0] = CLS
        for i, d in enumerate(docs):
            ids = [self.index.get(t, UNK) for t in d[: max_len - 1]]
            out[i, 1 : 1 + len(ids)] = ids
        return out


def _build_net(vocab: int, max_len: int, n_tab: int, n_out: int) -> torch.nn.Module:
    import torch
    from torch import nn

    from ._dropout import MaskDropout

    class TextTransformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(vocab, D_MODEL, padding_idx=PAD)
            self.pos = nn.Embedding(max_len, D_MODEL)
            layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, DROPOUT, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D_MODEL)
            self.head = nn.Sequential(
                MaskDropout(DROPOUT),
                nn.Linear(D_MODEL + n_tab, 64),
                nn.ReLU(),
                MaskDropout(DROPOUT),
                nn.Linear(64, n_out),
            )

        def forward(self, tokens: torch.Tensor, tab: torch.Tensor | None = None) -> torch.Tensor:
            # Trim to the longest document in the batch: padding is on the right.
            length = int((tokens != PAD).sum(1).max())
            tokens = tokens[:, :length]
            pad = tokens == PAD
            positions = torch.arange(length, device=tokens.device)
            h = self.emb(tokens) + self.pos(positions)[None]
            h = self.norm(self.encoder(h, src_key_padding_mask=pad))
            keep = (~pad).unsqueeze(-1).to(h.dtype)
            pooled = (h * keep).sum(1) / keep.sum(1).clamp(min=1.0)
            if tab is not None and tab.shape[1]:
                pooled = torch.cat([pooled, tab.to(pooled.dtype)], dim=1)
            return self.head(pooled)

    return TextTransformer()


class TextNNModel:
    def __init__(
        self,
        net: Any,
        vocab: Vocab,
        max_len: int,
        encoder: TabularEncoder | None,
        scale: TargetScale,
        device: Any,
        params: dict[str, Any],
    ) -> None:
        self.net, self.vocab, self.max_len, self.encoder = net, vocab, max_len, encoder
        self.scale, self.device = scale, device
        self.params = params

    def inputs(self, data: ProbeData) -> list[np.ndarray]:
        import numpy as np

        tokens = self.vocab.encode([tokenize(d) for d in documents(data)], self.max_len)
        tab = (
            self.encoder.transform(data)
            if self.encoder is not None
            else np.zeros((len(data), 0), dtype=np.float32)
        )
        return [tokens, tab]

    def predict(self, data: ProbeData) -> np.ndarray:
        import numpy as np
        import torch

        batches = TensorBatches(self.inputs(data), 256, self.device)
        out = predict_batches(self.net, batches, lambda m, b: m(b[0], b[1]), amp_for(self.device))
        if not self.scale.n_classes:
            return self.scale.values(out)
        proba = torch.softmax(out.double(), dim=1).numpy()
        return expand_proba(proba, np.arange(proba.shape[1]), self.scale.n_classes)


class TextTransformerProbe(Probe):
    name: ClassVar[str] = "text_transformer"
    family: ClassVar[str] = "transformer"
    description: ClassVar[str] = (
        "Small transformer encoder (2 layers, d_model 64, 2 heads, mean pooling) over regex word "
        "tokens, trained from scratch; a pretrained model would likely do better"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"text", "mixed"})
    reads_text: ClassVar[bool] = True
    needs_torch: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 3.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_text_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> TextNNModel:
        import numpy as np
        import torch
        import torch.nn.functional as F

        deadline = time.monotonic() + ctx.time_limit
        classification = train.is_classification
        set_threads()
        device = resolve_device(ctx.device, ctx)
        kind = "cuda" if device.type == "cuda" else "cpu"

        docs = [tokenize(d) for d in documents(train)]
        vocab = Vocab(docs)
        lengths = np.array([len(d) + 1 for d in docs])
        # Cover 95% of documents whole; longer ones keep their head.
        max_len = int(np.clip(np.percentile(lengths, 95), 8, MAX_LEN[kind]))
        if np.percentile(lengths, 95) > MAX_LEN[kind]:
            # Only the hard cap is worth a note; cutting the longest 5% is by design (see params).
            ctx.note(
                f"text_transformer: long documents truncated to their first {MAX_LEN[kind]} tokens"
                + (f" on CPU ({MAX_LEN['cuda']} on CUDA)" if kind == "cpu" else "")
            )
        tokens = vocab.encode(docs, max_len)
        numeric, categorical = tabular_columns(train)
        encoder = TabularEncoder().fit(train) if (numeric or categorical) else None
        tab = encoder.transform(train) if encoder is not None else np.zeros((len(train), 0), np.float32)

        scale = TargetScale.of(train)
        y, n_out = torch.as_tensor(scale.targets(train.y)), scale.n_out
        if classification:

            def loss_fn(m: Any, b: Any) -> torch.Tensor:
                return F.cross_entropy(m(b[0], b[1]).float(), b[2])
        else:

            def loss_fn(m: Any, b: Any) -> torch.Tensor:
                return F.mse_loss(m(b[0], b[1]).float()[:, 0], b[2])

        split = holdout_split(train.y, classification, ctx.seed)
        tr, va = split if split is not None else (np.arange(len(train)), None)
        amp = amp_for(device)

        net, result = fit_net(
            lambda: _build_net(len(vocab), max_len, tab.shape[1], n_out),
            [tokens[tr], tab[tr], y[tr]], None if va is None else [tokens[va], tab[va], y[va]], loss_fn, ctx,
            device=device, amp=amp, batch_size=BATCH[kind], val_batch_size=256,
            max_epochs=MAX_EPOCHS if va is not None else 10, deadline=deadline, lr=LR, patience=PATIENCE,
        )  # fmt: skip
        params = {
            "vocab": len(vocab),
            "max_len": max_len,
            "d_model": D_MODEL,
            "layers": LAYERS,
            "heads": HEADS,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "amp": amp.describe(),
            "n_tabular": int(tab.shape[1]),
        }
        return TextNNModel(net, vocab, max_len, encoder, scale, device, params)
