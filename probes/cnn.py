"""A small convolutional net for images and pixel tables, trained from scratch.

2-3 blocks of conv 3x3 + batch norm + ReLU + max-pool, global average pooling
and a linear head; AdamW with early stopping on a seeded validation split.
Images and pixel grids are shrunk to at most 32 px per side on CPU (64 on CUDA,
with AMP) so that a few epochs fit in the budget. Augmentation is light: random shifts of up
to 1/8 of the side for image folders, plus horizontal flips for colour images
only (grayscale sets are often digits or documents, where a flip changes the
class). Pixel tables are not augmented. A signal table with no known pixel
grid is treated as a 1-D sequence (kernels 1x3).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

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

SIDE = {"cpu": 32, "cuda": 64}  # largest input side (native size when smaller)
# Narrower on CPU: the conv stack is compute-bound there, and a 4x cheaper net
# gets 4x the epochs inside the same time limit, which matters more for a probe.
WIDTHS = {"cpu": (16, 32, 64), "cuda": (32, 64, 128)}
BATCH = {"cpu": 64, "cuda": 128}
MAX_EPOCHS, PATIENCE, LR, WEIGHT_DECAY = 60, 6, 2e-3, 1e-2


def _grid(data: ProbeData) -> tuple[int, int, int]:
    """(H, W, C) the net sees before resizing."""
    if data.images is not None:
        _, h, w, c = data.images.shape
        return int(h), int(w), int(c)
    assert data.X is not None
    if data.pixel_shape is not None:
        return tuple(int(v) for v in data.pixel_shape)  # type: ignore[return-value]
    return 1, int(data.X.shape[1]), 1


def to_nchw(data: ProbeData, side: int | None, chunk: int = 4096) -> np.ndarray:
    """float32 (n, C, H, W): images scaled to 0..1, tables reshaped; grids larger than
    ``side`` are shrunk (antialiased) to at most ``side`` per axis, in chunks to bound memory."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    if data.images is None:
        h, w, c = _grid(data)
        assert data.X is not None
        x = data.X.to_numpy(dtype=np.float32)
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        # Pixel tables are stored row-major as (H, W, C).
        source = x.reshape(len(x), h, w, c)
        scale = 1.0
    else:
        source, scale = data.images, 1.0 / 255.0
    out = []
    for i in range(0, max(len(source), 1), chunk):
        t = torch.from_numpy(np.ascontiguousarray(source[i : i + chunk])).permute(0, 3, 1, 2).float() * scale
        if side is not None and t.shape[0] and (t.shape[2] > side or t.shape[3] > side):
            size = (min(t.shape[2], side), min(t.shape[3], side))
            t = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)
        out.append(t.numpy())
    return np.ascontiguousarray(np.concatenate(out))


def _build_net(channels: int, h: int, w: int, n_out: int, widths: tuple[int, ...]) -> torch.nn.Module:
    from torch import nn

    from ._dropout import MaskDropout

    one_d = h == 1
    kernel, pad, pool = ((1, 3), (0, 1), (1, 2)) if one_d else (3, 1, 2)
    layers: list[nn.Module] = []
    c_in, size = channels, min(h, w) if not one_d else w
    n_blocks = 3 if size >= 16 else 2
    for width in widths[:n_blocks]:
        layers += [nn.Conv2d(c_in, width, kernel, padding=pad, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        if size >= 2:  # stop pooling once the map is a single cell
            layers.append(nn.MaxPool2d(pool))
            size //= 2
        c_in = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), MaskDropout(0.2), nn.Linear(c_in, n_out)]
    return nn.Sequential(*layers)


def _augment(x: torch.Tensor, flips: bool) -> torch.Tensor:
    """Random shifts up to 1/8 of the side (and left-right flips), one affine resample per batch."""
    import torch
    import torch.nn.functional as F

    n = x.shape[0]
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    sx = torch.ones(n, device=x.device, dtype=x.dtype)
    if flips:
        sx = torch.where(torch.rand(n, device=x.device) < 0.5, -sx, sx)
    theta[:, 0, 0] = sx
    theta[:, 1, 1] = 1.0
    # Normalised coordinates span 2 units, so 1/8 of the side is 0.25.
    theta[:, :, 2] = (torch.rand(n, 2, device=x.device, dtype=x.dtype) - 0.5) * 0.5
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class CNNModel:
    def __init__(
        self, net: Any, side: int | None, stats: tuple[Any, Any], n_classes: int, device: Any, params: dict
    ) -> None:
        self.net, self.side, self.stats, self.n_classes = net, side, stats, n_classes
        self.device, self.params = device, params

    def predict(self, data: ProbeData) -> np.ndarray:
        import numpy as np
        import torch

        mean, std = self.stats
        x = (to_nchw(data, self.side) - mean) / std
        out = predict_batches(self.net, TensorBatches([x], 256, self.device), amp=amp_for(self.device))
        proba = torch.softmax(out.double(), dim=1).numpy()
        return expand_proba(proba, np.arange(proba.shape[1]), self.n_classes)


class CNNProbe(Probe):
    name: ClassVar[str] = "cnn"
    family: ClassVar[str] = "cnn"
    description: ClassVar[str] = (
        "Small CNN (2-3 conv+BN+ReLU+max-pool blocks, 32-64-128 channels, global average pool), "
        "AdamW, early stopping, light augmentation; trained from scratch (a pretrained net would likely do better)"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"image", "signal"})
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass"})
    needs_torch: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 3.0

    def supports(self, data: ProbeData) -> str | None:
        reason = super().supports(data)
        if reason:
            return reason
        if data.images is None:
            if data.X is None or data.X.shape[1] == 0:
                return "no images or pixel columns"
            if data.columns_of("numeric") != list(data.X.columns):
                return "signal table has non-numeric columns"
            if data.pixel_shape is not None and math.prod(data.pixel_shape) != data.X.shape[1]:
                return f"pixel_shape {data.pixel_shape} does not match {data.X.shape[1]} columns"
        return None

    def fit(self, train: ProbeData, ctx: FitContext) -> CNNModel:
        import numpy as np
        import torch
        import torch.nn.functional as F

        deadline = time.monotonic() + ctx.time_limit
        set_threads()
        device = resolve_device(ctx.device, ctx)
        kind = "cuda" if device.type == "cuda" else "cpu"
        h, w, c = _grid(train)
        is_image = train.images is not None
        side = SIDE[kind] if h > 1 else None  # 1-D sequences keep their length
        x = to_nchw(train, side)
        # Per-channel standardisation with train statistics (tables can be on any scale).
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        std = x.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        x = (x - mean) / std
        _, _, h_in, w_in = x.shape
        augment, flips = is_image and min(h_in, w_in) >= 8, is_image and c == 3
        ctx.note(
            f"cnn: input {h_in}x{w_in}x{c} on {kind}"
            + (f" (resized from {h}x{w})" if (h_in, w_in) != (h, w) else "")
        )
        y = torch.as_tensor(train.y, dtype=torch.long)

        def loss_fn(m: Any, b: Any) -> torch.Tensor:
            xb = _augment(b[0], flips) if (augment and m.training) else b[0]
            return F.cross_entropy(m(xb).float(), b[1])

        split = holdout_split(train.y, True, ctx.seed)
        tr, va = split if split is not None else (np.arange(len(train)), None)
        amp = amp_for(device)

        def build() -> torch.nn.Module:
            net = _build_net(c, h_in, w_in, train.n_classes, WIDTHS[kind])
            return net.to(memory_format=torch.channels_last) if kind == "cuda" else net

        with conv_autotune(device):
            net, result = fit_net(
                build, [x[tr], y[tr]], None if va is None else [x[va], y[va]], loss_fn, ctx,
                device=device, amp=amp, batch_size=BATCH[kind], val_batch_size=256,
                max_epochs=MAX_EPOCHS if va is not None else 15, deadline=deadline, lr=LR,
                weight_decay=WEIGHT_DECAY, patience=PATIENCE,
            )  # fmt: skip
        params = {
            "input": f"{h_in}x{w_in}x{c}",
            "blocks": len([m for m in net if isinstance(m, torch.nn.Conv2d)]),
            "widths": list(WIDTHS[kind]),
            "augmentation": ("shift+flip" if flips else "shift") if augment else "none",
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "amp": amp.describe(),
        }
        return CNNModel(net, side, (mean, std), train.n_classes, device, params)
