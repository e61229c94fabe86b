"""A small PyTorch MLP on the same encoding as the linear probe.

torch is imported inside functions so that importing the probes stays cheap."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import TabularEncoder, holdout_split, no_tabular_reason

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from advisor.data import ProbeData

    from ._torch import TargetScale

DROPOUT = 0.1
LR = 1e-3
WEIGHT_DECAY = 1e-2
MAX_EPOCHS = 200
FIXED_EPOCHS = 100  # too few rows for a validation split: no early stopping
PATIENCE = 10
VAL_FRACTION = 0.15
PREDICT_BATCH = 8192


# (rows fitted from, hidden sizes). One width at every size: a learning curve then measures
# the model its projections are about (with steps, a 10% sample's curve was of a 64-32 net
# and its 10x projection of a wider one), and the narrower nets were not better on few
# rows. Measured with bench_curves' MLP (seeded 10% samples, 5,000-row generated sets and
# digits, breast cancer): the sample's full-size score with 64-32 / 128-64 / 256-128 net at
# every size, Friedman R² 0.843 / 0.863 / 0.870, Hastie ROC AUC 0.910 / 0.922 / 0.945,
# interactions 0.769 / 0.797 / 0.796, breast cancer 0.971 / 0.974 / 0.977; on all of
# Friedman's 4,000 training rows 0.949 / 0.947 / 0.932 to 0.945 (two runs), so the width
# does not limit it there. 256-128 keeps large data's net as it was. The cost, the whole
# probe on breast cancer (569 rows, 25 folds, the curve's 8 sizes), CPU in turns:
# 10.4-12.8 s with 64-32, 11.4-13.3 s with 256-128.
WIDTHS: tuple[tuple[int, tuple[int, int]], ...] = ((0, (256, 128)),)


def hidden_sizes(n_train: int) -> tuple[int, int]:
    """The hidden layer sizes for ``n_train`` fitted rows (``WIDTHS``: 256-128 at every size)."""
    return next(hidden for rows, hidden in WIDTHS if n_train >= rows)


def _grows_at() -> tuple[int, ...]:
    """A fold's training rows at which the net widens (it fits on all but the validation split)."""
    return tuple(sorted(math.ceil(rows / (1 - VAL_FRACTION)) for rows, _ in WIDTHS if rows))


# At most this many rows fitted, one batch holds them all (full-batch training). Batches of
# 16 gave such a fit 2 to 4 optimizer steps an epoch, each as slow as a step on a big batch
# (per-step overhead, not arithmetic), so it cost as much as a full-size fit and still ran
# to the epoch cap. Measured on breast cancer, 3 folds, 23 to 64 rows: 0.13-0.18 s CPU a
# fit against 0.21-0.41 s, ROC AUC 0.969-0.988 both ways; Friedman R² within 0.03 either
# side. Above it, full batches stop early too soon (the patience counts epochs, one step
# each): Friedman at 256 rows, R² 0.70 against 0.80.
FULL_BATCH_ROWS = 64


def batch_size_for(n_train: int) -> int:
    """Every row up to ``FULL_BATCH_ROWS``; else 256, or about an eighth of the rows on
    small data so an epoch has several steps."""
    if n_train <= FULL_BATCH_ROWS:
        return max(1, n_train)
    return int(min(256, max(16, n_train // 8)))


def build_mlp(n_in: int, n_out: int, hidden: tuple[int, int]) -> torch.nn.Module:
    from torch import nn

    from ._dropout import MaskDropout

    h1, h2 = hidden
    return nn.Sequential(
        nn.Linear(n_in, h1),
        nn.ReLU(),
        MaskDropout(DROPOUT),
        nn.Linear(h1, h2),
        nn.ReLU(),
        MaskDropout(DROPOUT),
        nn.Linear(h2, n_out),
    )


@dataclass
class MLPModel:
    encoder: TabularEncoder
    net: torch.nn.Module
    device: torch.device
    amp: Any
    scale: TargetScale
    params: dict[str, Any]

    def predict(self, data: ProbeData) -> np.ndarray:
        from ._torch import TensorBatches, predict_batches

        if len(data) == 0:
            return self.scale.empty()
        Z = self.encoder.transform(data)
        out = predict_batches(self.net, TensorBatches([Z], PREDICT_BATCH, self.device), amp=self.amp)
        return self.scale.predictions(out)


class MLPProbe(Probe):
    name: ClassVar[str] = "mlp"
    family: ClassVar[str] = "mlp"
    description: ClassVar[str] = (
        "PyTorch MLP (2 hidden ReLU layers 256-128, dropout 0.1, AdamW), early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular", "mixed", "signal"})
    needs_torch: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 2.0
    grows_at: ClassVar[tuple[int, ...]] = _grows_at()

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_tabular_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> MLPModel:
        import torch.nn.functional as F

        from ._torch import TargetScale, amp_for, fit_net, resolve_device, set_threads

        deadline = time.monotonic() + ctx.time_limit
        classification = train.is_classification
        device = resolve_device(ctx.device, ctx)
        amp = amp_for(device)
        encoder = TabularEncoder()
        Z = encoder.fit_transform(train)
        scale = TargetScale.of(train)
        y, n_out = scale.targets(train.y), scale.n_out

        split = holdout_split(train.y, classification, ctx.seed, VAL_FRACTION)
        if split is None:
            tr = va = None
            n_fit, max_epochs = len(train), FIXED_EPOCHS
            ctx.note(f"fewer than 20 training rows; fixed {FIXED_EPOCHS} epochs, no early stopping")
        else:
            tr, va = split
            n_fit, max_epochs = len(tr), MAX_EPOCHS
        hidden = hidden_sizes(n_fit)

        def loss_fn(net: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            out = net(batch[0]).float()  # loss in fp32 even under autocast
            if classification:
                return F.cross_entropy(out, batch[1])
            return F.mse_loss(out.squeeze(-1), batch[1])

        batch_size = batch_size_for(n_fit)
        h1, h2 = hidden
        threads = set_threads(batch_size * (Z.shape[1] * h1 + h1 * h2 + h2 * n_out))
        if tr is None:
            train_tensors, val_tensors = [Z, y], None
        else:
            train_tensors, val_tensors = [Z[tr], y[tr]], [Z[va], y[va]]
        net, result = fit_net(
            lambda: build_mlp(Z.shape[1], n_out, hidden), train_tensors, val_tensors, loss_fn, ctx,
            device=device, amp=amp, batch_size=batch_size, val_batch_size=PREDICT_BATCH,
            max_epochs=max_epochs, deadline=deadline, lr=LR, weight_decay=WEIGHT_DECAY, patience=PATIENCE,
        )  # fmt: skip
        params: dict[str, Any] = {
            "hidden": list(hidden),
            "dropout": DROPOUT,
            "lr": LR,
            "weight_decay": WEIGHT_DECAY,
            "batch_size": batch_size,
            "n_features_encoded": int(Z.shape[1]),
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "early_stopping": split is not None,
            "precision": amp.describe(),
            "device": device.type,
            "cpu_threads": threads,
        }
        return MLPModel(encoder, net, device, amp, scale, params)
