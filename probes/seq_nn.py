"""A small GRU over each row's window of its entity's earlier readings: the deep answer
for sequence tables.

Each row's input is a window of the entity's ``WINDOW`` latest earlier readings
(numeric columns standardised on the training rows, missing as 0, plus a channel
saying whether the step holds a reading; shorter pasts are padded at the oldest
end) and the row's own features, encoded as the MLP encodes them. The GRU's last
hidden state and the row's features go through a small head. Windows hold only
strictly earlier readings of the same entity, never a target: at predict time
they come from the kept training rows and the rows given to predict
(``_sequence``). Training is the shared loop's (``_torch.fit_net``).

torch is imported inside functions so that importing the probes stays cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._encode import TabularEncoder, holdout_split, no_tabular_reason
from ._sequence import History, no_sequence_reason, reading_columns, windows

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from advisor.data import ProbeData

    from ._torch import TargetScale

WINDOW = 16  # earlier readings per row
HIDDEN = 32  # GRU state
HEAD = 64
DROPOUT = 0.1
LR = 2e-3
WEIGHT_DECAY = 1e-2
MAX_EPOCHS = 200
FIXED_EPOCHS = 60  # too few rows for a validation split: no early stopping
PATIENCE = 10
VAL_FRACTION = 0.15
PREDICT_BATCH = 4096


def batch_size_for(n_train: int) -> int:
    """128, or about an eighth of the rows on small data so an epoch has several steps."""
    return int(min(128, max(16, n_train // 8)))


def build_gru(n_step: int, n_row: int, n_out: int) -> torch.nn.Module:
    """GRU over the window (batch, steps, n_step), its last state joined with the row's features."""
    import torch
    from torch import nn

    from ._dropout import MaskDropout

    class WindowGRU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(n_step, HIDDEN, batch_first=True)
            self.head = nn.Sequential(
                nn.Linear(HIDDEN + n_row, HEAD), nn.ReLU(), MaskDropout(DROPOUT), nn.Linear(HEAD, n_out)
            )

        def forward(self, window: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
            _, state = self.gru(window)
            return self.head(torch.cat([state[-1], row], dim=1))

    return WindowGRU()


class WindowScaler:
    """Each reading standardised with the training rows' mean and spread, missing as 0,
    then a 0/1 channel per step: is there a reading."""

    def __init__(self, values: np.ndarray) -> None:
        import numpy as np

        with np.errstate(all="ignore"):
            self.mean = np.nan_to_num(np.nanmean(values, axis=0)) if len(values) else 0.0
            std = np.nan_to_num(np.nanstd(values, axis=0)) if len(values) else 1.0
        self.std = np.where(std > 0, std, 1.0)

    def __call__(self, kept: History | None, query: History) -> np.ndarray:
        import numpy as np

        w = windows(query, WINDOW, kept)
        scaled = np.nan_to_num((w.values - self.mean) / self.std).astype(np.float32)
        return np.concatenate([scaled, w.present[:, :, None].astype(np.float32)], axis=2)


@dataclass
class SequenceGRUModel:
    scaler: WindowScaler
    encoder: TabularEncoder
    readings: list[str]
    kept: History
    net: torch.nn.Module
    device: torch.device
    amp: Any
    scale: TargetScale
    params: dict[str, Any]

    def predict(self, data: ProbeData) -> np.ndarray:
        from ._torch import TensorBatches, predict_batches

        if len(data) == 0:
            return self.scale.empty()
        seq = self.scaler(self.kept, History.of(data, self.readings))
        row = self.encoder.transform(data)
        batches = TensorBatches([seq, row], PREDICT_BATCH, self.device)
        out = predict_batches(self.net, batches, forward=lambda m, b: m(b[0], b[1]), amp=self.amp)
        return self.scale.predictions(out)


class SequenceGRUProbe(Probe):
    name: ClassVar[str] = "seq_gru"
    family: ClassVar[str] = "rnn"
    description: ClassVar[str] = (
        f"PyTorch GRU ({HIDDEN} units) over each row's {WINDOW} earlier readings of its entity, joined with "
        "the row's own features; AdamW, early stopping on a 15% split"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular", "mixed"})
    needs_torch: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 2.0

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or no_tabular_reason(data) or no_sequence_reason(data)

    def fit(self, train: ProbeData, ctx: FitContext) -> SequenceGRUModel:
        import torch.nn.functional as F

        from ._torch import TargetScale, amp_for, fit_net, resolve_device, set_threads

        deadline = time.monotonic() + ctx.time_limit
        classification = train.is_classification
        device = resolve_device(ctx.device, ctx)
        amp = amp_for(device)
        readings = reading_columns(train)
        kept = History.of(train, readings)
        scaler = WindowScaler(kept.values)
        seq = scaler(None, kept)
        encoder = TabularEncoder()
        row = encoder.fit_transform(train)
        scale = TargetScale.of(train)
        y, n_out = scale.targets(train.y), scale.n_out

        split = holdout_split(train.y, classification, ctx.seed, VAL_FRACTION)
        if split is None:
            n_fit, max_epochs = len(train), FIXED_EPOCHS
            train_tensors, val_tensors = [seq, row, y], None
            ctx.note(f"fewer than 20 training rows; fixed {FIXED_EPOCHS} epochs, no early stopping")
        else:
            tr, va = split
            n_fit, max_epochs = len(tr), MAX_EPOCHS
            train_tensors, val_tensors = [seq[tr], row[tr], y[tr]], [seq[va], row[va], y[va]]

        def loss_fn(net: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            out = net(batch[0], batch[1]).float()  # loss in fp32 even under autocast
            if classification:
                return F.cross_entropy(out, batch[2])
            return F.mse_loss(out.squeeze(-1), batch[2])

        batch_size = batch_size_for(n_fit)
        n_step = seq.shape[2]
        # The GRU runs its steps one after another: what threads could split is one step's work.
        macs = batch_size * (3 * (n_step + HIDDEN) * HIDDEN + (HIDDEN + row.shape[1]) * HEAD)
        threads = set_threads(macs)
        net, result = fit_net(
            lambda: build_gru(n_step, row.shape[1], n_out), train_tensors, val_tensors, loss_fn, ctx,
            device=device, amp=amp, batch_size=batch_size, val_batch_size=PREDICT_BATCH,
            max_epochs=max_epochs, deadline=deadline, lr=LR, weight_decay=WEIGHT_DECAY, patience=PATIENCE,
        )  # fmt: skip
        params: dict[str, Any] = {
            "window": WINDOW,
            "hidden": HIDDEN,
            "n_readings": len(readings),
            "lr": LR,
            "batch_size": batch_size,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "early_stopping": split is not None,
            "precision": amp.describe(),
            "device": device.type,
            "cpu_threads": threads,
        }
        return SequenceGRUModel(scaler, encoder, readings, kept, net, device, amp, scale, params)
