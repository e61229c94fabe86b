"""A small CNN on log-mel spectrograms, trained from scratch: the deep probe for audio.

The spectrogram (computed once by the audio reader) is averaged down to at most
32 bands x 64 frames on CPU (64 x 256 on CUDA, with AMP) and standardised per
band with the training statistics. Three blocks of conv 3x3 + batch norm + ReLU
+ max-pool, then, as in PANNs (Kong et al. 2020), the mean over frequency and
the mean plus max over time, and a linear head. Augmentation is SpecAugment-like
(Park et al. 2019): a random circular shift in time and one masked band of up to
1/8 of the bands per clip. AdamW, early stopping on a seeded validation split.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._audio import shrink
from ._encode import expand_proba, holdout_split
from ._torch import (
    TensorBatches,
    amp_for,
    conv_autotune,
    fit_net,
    predict_batches,
    resolve_device,
    set_threads,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from advisor.data import ProbeData

SIZE = {"cpu": (32, 64), "cuda": (64, 256)}  # largest (bands, frames) the net sees
WIDTHS = {"cpu": (16, 32, 64), "cuda": (32, 64, 128)}  # narrower on CPU: more epochs in the limit
BATCH = {"cpu": 32, "cuda": 128}
MAX_EPOCHS, PATIENCE, LR, WEIGHT_DECAY = 60, 6, 2e-3, 1e-2


def _build_net(n_out: int, widths: tuple[int, ...]) -> torch.nn.Module:
    from torch import nn

    from ._dropout import MaskDropout

    class SpectrogramCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            c_in = 1
            for width in widths:
                layers += [
                    nn.Conv2d(c_in, width, 3, padding=1, bias=False),
                    nn.BatchNorm2d(width),
                    nn.ReLU(),
                    nn.MaxPool2d(2, ceil_mode=True),
                ]
                c_in = width
            self.features = nn.Sequential(*layers)
            self.head = nn.Sequential(MaskDropout(0.2), nn.Linear(c_in, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.features(x).mean(dim=2)  # (n, c, time): the mean over frequency
            return self.head(h.mean(dim=2) + h.amax(dim=2))

    return SpectrogramCNN()


def _augment(x: torch.Tensor) -> torch.Tensor:
    """A random circular shift in time (one per batch) and one masked band range per clip."""
    import torch

    n, _, mels, frames = x.shape
    x = torch.roll(x, int(torch.randint(0, frames, (1,))), dims=3)
    width = torch.randint(0, max(1, mels // 8) + 1, (n, 1, 1, 1), device=x.device)
    start = (torch.rand(n, 1, 1, 1, device=x.device) * (mels - width + 1)).long()
    band = torch.arange(mels, device=x.device).view(1, 1, mels, 1)
    return x.masked_fill((band >= start) & (band < start + width), 0.0)


class AudioCNNModel:
    def __init__(
        self,
        net: Any,
        size: tuple[int, int],
        stats: tuple[Any, Any],
        n_classes: int,
        device: Any,
        params: dict,
    ) -> None:
        self.net, self.size, self.stats, self.n_classes = net, size, stats, n_classes
        self.device, self.params = device, params

    def predict(self, data: ProbeData) -> np.ndarray:
        import numpy as np
        import torch

        assert data.spectrograms is not None
        mean, std = self.stats
        x = (shrink(data.spectrograms, *self.size) - mean) / std
        out = predict_batches(self.net, TensorBatches([x], 256, self.device), amp=amp_for(self.device))
        proba = torch.softmax(out.double(), dim=1).numpy()
        return expand_proba(proba, np.arange(proba.shape[1]), self.n_classes)


class AudioCNNProbe(Probe):
    name: ClassVar[str] = "audio_cnn"
    family: ClassVar[str] = "cnn"
    description: ClassVar[str] = (
        "Small CNN on log-mel spectrograms (3 conv+BN+ReLU+max-pool blocks, mean over frequency, mean+max "
        "over time), SpecAugment-style masking, AdamW, early stopping; trained from scratch (pretrained "
        "audio embeddings would likely do better on few clips)"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"audio"})
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass"})
    needs_torch: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 3.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or (None if data.spectrograms is not None else "no spectrograms")

    def fit(self, train: ProbeData, ctx: FitContext) -> AudioCNNModel:
        import numpy as np
        import torch
        import torch.nn.functional as F

        deadline = time.monotonic() + ctx.time_limit
        set_threads()
        device = resolve_device(ctx.device, ctx)
        kind = "cuda" if device.type == "cuda" else "cpu"
        assert train.spectrograms is not None
        _, mels, frames = train.spectrograms.shape
        x = shrink(train.spectrograms, *SIZE[kind])
        # Per-band standardisation with train statistics: dB levels differ by band and recording.
        mean = x.mean(axis=(0, 3), keepdims=True)
        std = x.std(axis=(0, 3), keepdims=True) + 1e-6
        x = (x - mean) / std
        size = (int(x.shape[2]), int(x.shape[3]))
        ctx.note(f"audio_cnn: input {size[0]} bands x {size[1]} frames on {kind} (from {mels} x {frames})")
        y = torch.as_tensor(train.y, dtype=torch.long)

        def loss_fn(m: Any, b: Any) -> torch.Tensor:
            xb = _augment(b[0]) if m.training else b[0]
            return F.cross_entropy(m(xb).float(), b[1])

        split = holdout_split(train.y, True, ctx.seed)
        tr, va = split if split is not None else (np.arange(len(train)), None)
        amp = amp_for(device)
        with conv_autotune(device):
            net, result = fit_net(
                lambda: _build_net(train.n_classes, WIDTHS[kind]), [x[tr], y[tr]],
                None if va is None else [x[va], y[va]], loss_fn, ctx, device=device, amp=amp,
                batch_size=BATCH[kind], val_batch_size=256, max_epochs=MAX_EPOCHS if va is not None else 15,
                deadline=deadline, lr=LR, weight_decay=WEIGHT_DECAY, patience=PATIENCE,
            )  # fmt: skip
        params = {
            "input": f"{size[0]}x{size[1]}",
            "widths": list(WIDTHS[kind]),
            "augmentation": "time shift + band mask",
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "amp": amp.describe(),
        }
        return AudioCNNModel(net, SIZE[kind], (mean, std), train.n_classes, device, params)
