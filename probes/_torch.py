"""Shared PyTorch helpers for the neural probes (MLP here; text/CNN probes reuse them).

One code path for CPU and CUDA: ``resolve_device`` picks the device, ``Amp``
enables mixed precision only on CUDA (bf16 where supported, else fp16 with a
GradScaler), ``TensorBatches`` feeds in-memory tensors (GPU-resident when they
fit, else pinned host batches), ``train_torch_model`` runs the epoch loop with
early stopping, best-weight restore and the ``ctx.time_limit`` deadline,
``fit_with_oom_retry`` halves the batch once on CUDA out-of-memory, and
``fit_net`` puts them together: the one training closure of the neural probes.

torch is imported inside functions only, so importing this module is cheap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ._adamw import adamw
from ._encode import fit_threads

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch

    from advisor.probe_api import FitContext, ProbeData

T = TypeVar("T")
B = TypeVar("B")

RESIDENT_LIMIT_BYTES = 1 << 30  # data up to 1 GiB lives on the GPU for the whole fit
# cuDNN's autotuner (``torch.backends.cudnn.benchmark``) for the convolutional nets' fits on CUDA:
# it times the convolution algorithms for each new input shape and keeps the fastest. That pays
# on long fits of fixed shapes; a probe's fits last seconds, and each fold's last batch and
# validation split bring shapes of their own. Kept on, as the CNN probes have had it, but
# unmeasured either way: on an H200 the audio CNN ran one epoch a fit in a 12 s budget
# (docs/benchmarks.md, "On a GPU"); ``bench_device.py --devices cuda,cuda-untuned`` measures it.
CUDNN_BENCHMARK = True
SMALL_STEP_MACS = 4e6  # below this per training step, extra CPU threads cost more than they give


def set_threads(macs_per_step: float | None = None) -> int:
    """Set torch's intra-op threads: ``fit_threads()``, except for tiny steps (under
    ``SMALL_STEP_MACS`` multiply-adds), which get one thread. Measured on 2 shared
    cores: a 64-32 MLP on 400 rows took 0.5 s with 1 thread and 14 s with 2, as
    threads spin-wait on each other for work too small to split. Returns the count."""
    import torch

    threads = fit_threads()
    if macs_per_step is not None and macs_per_step < SMALL_STEP_MACS:
        threads = 1
    torch.set_num_threads(threads)
    return threads


def resolve_device(requested: str, ctx: FitContext | None = None) -> torch.device:
    """``torch.device`` for ``requested`` ("cuda"/"cpu"); CPU with a note if CUDA is unusable."""
    import torch

    if requested.startswith("cuda"):
        if torch.cuda.is_available():
            return torch.device(requested)
        if ctx is not None:
            ctx.note("CUDA was requested but torch cannot use it; ran on CPU")
    return torch.device("cpu")


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[torch.Generator]:
    """Seed torch inside a forked RNG state (so no global state leaks out) and yield
    a CPU generator for shuffling. Model init and dropout draw from the forked state."""
    import torch

    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield torch.Generator().manual_seed(seed)


@contextmanager
def conv_autotune(device: torch.device) -> Iterator[None]:
    """cuDNN's autotuner set to ``CUDNN_BENCHMARK`` for a fit on CUDA, and torch's global flag
    put back afterwards: a library must not leave it changed in its caller's process. A no-op
    on the CPU."""
    if device.type != "cuda":
        yield
        return
    import torch

    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = CUDNN_BENCHMARK
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


@dataclass
class Amp:
    """Mixed-precision settings for one device; a no-op on CPU."""

    device_type: str
    dtype: Any = None
    scaler: Any = None  # torch.amp.GradScaler for fp16, else None

    @property
    def enabled(self) -> bool:
        return self.dtype is not None

    def autocast(self) -> Any:
        import torch

        return torch.autocast(device_type=self.device_type, dtype=self.dtype, enabled=self.enabled)

    def describe(self) -> str:
        if not self.enabled:
            return "fp32"
        return "bf16" if self.scaler is None else "fp16+GradScaler"


def amp_for(device: torch.device) -> Amp:
    """bf16 autocast on CUDA where supported (no scaler needed), else fp16 with a
    GradScaler; plain fp32 on CPU, where autocast is rarely faster."""
    import torch

    if device.type != "cuda":
        return Amp(device.type)
    if torch.cuda.is_bf16_supported():
        return Amp("cuda", torch.bfloat16)
    return Amp("cuda", torch.float16, torch.amp.GradScaler("cuda"))


class TensorBatches:
    """Re-iterable batches of aligned in-memory tensors, already on ``device``.

    On CUDA the tensors are moved once when they fit in ``RESIDENT_LIMIT_BYTES``;
    otherwise each batch is gathered on the host, pinned and copied asynchronously.
    Shuffling draws from ``generator`` so the order is reproducible (none when one batch holds every row)."""

    def __init__(
        self,
        tensors: Sequence[torch.Tensor | np.ndarray],
        batch_size: int,
        device: torch.device,
        *,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        import torch

        cpu = [torch.as_tensor(t) for t in tensors]
        self.n = int(cpu[0].shape[0])
        self.batch_size = max(1, int(batch_size))
        self.device = device
        self.shuffle = shuffle
        self.generator = generator
        nbytes = sum(t.element_size() * t.nelement() for t in cpu)
        self.resident = device.type == "cpu" or nbytes <= RESIDENT_LIMIT_BYTES
        self.tensors = [t.to(device) for t in cpu] if self.resident else cpu

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        import torch

        # One batch that holds every row has the same gradient in any order: no shuffle (its
        # permutation and gathers were a tenth of a full-batch MLP epoch on 34 rows, 440 us).
        if self.shuffle and self.n > self.batch_size:
            order = torch.randperm(self.n, generator=self.generator)
            if self.resident and self.device.type != "cpu":
                order = order.to(self.device)
        else:
            order = None
        for start in range(0, self.n, self.batch_size):
            stop = min(start + self.batch_size, self.n)
            if order is None:
                batch = tuple(t[start:stop] for t in self.tensors)
            else:
                idx = order[start:stop]
                batch = tuple(t.index_select(0, idx) for t in self.tensors)
            if not self.resident:
                batch = tuple(t.pin_memory().to(self.device, non_blocking=True) for t in batch)
            yield batch


@dataclass(frozen=True)
class TargetScale:
    """How a net is fed its target and read back: class codes and softmax probabilities for
    classification; for regression the target standardised on the training rows (a squared-error
    loss on the raw scale would train at the target's units) and the output scaled back."""

    n_classes: int = 0  # 0: regression
    mean: float = 0.0
    std: float = 1.0

    @classmethod
    def of(cls, train: ProbeData) -> TargetScale:
        import numpy as np

        if train.is_classification:
            return cls(n_classes=train.n_classes)
        std = float(np.std(train.y))
        return cls(mean=float(np.mean(train.y)), std=std if std > 0 else 1.0)

    @property
    def n_out(self) -> int:
        """The net's output width: one logit a class, else one value."""
        return self.n_classes or 1

    def targets(self, y: np.ndarray) -> np.ndarray:
        """``y`` as the loss takes it: int64 class codes, or float32 standardised values."""
        import numpy as np

        if self.n_classes:
            return y.astype(np.int64)
        return ((y - self.mean) / self.std).astype(np.float32)

    def empty(self) -> np.ndarray:
        """The predictions of no rows, in the shape of the others."""
        import numpy as np

        return np.zeros((0, self.n_classes)) if self.n_classes else np.zeros(0)

    def values(self, out: torch.Tensor) -> np.ndarray:
        """A regression net's outputs (one column) on the target's scale."""
        return out.reshape(-1).double().numpy() * self.std + self.mean

    def predictions(self, out: torch.Tensor) -> np.ndarray:
        """The probe's predictions from the net's outputs: class probabilities or values."""
        import torch

        return torch.softmax(out, dim=1).double().numpy() if self.n_classes else self.values(out)


@dataclass
class TrainResult:
    epochs_run: int  # epochs started (a cut epoch counts)
    best_epoch: int  # 1-based epoch whose weights were kept (0: none evaluated)
    best_val_loss: float | None
    steps: int
    cut_by_time: bool
    stopped_early: bool
    history: list[float] = field(default_factory=list)  # validation loss per epoch


def evaluate_loss(
    model: torch.nn.Module,
    batches: Iterable[B],
    loss_fn: Callable[[torch.nn.Module, B], torch.Tensor],
    amp: Amp,
) -> float:
    """Row-weighted mean of ``loss_fn`` over ``batches`` in eval mode."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), amp.autocast():
        for batch in batches:
            rows = int(batch[0].shape[0]) if isinstance(batch, (tuple, list)) else 1
            total += float(loss_fn(model, batch)) * rows
            count += rows
    return total / max(count, 1)


# An epoch improves on the best validation loss only by more than this much of it, or by
# MIN_LOSS_GAIN in the loss's own units (nats, or the standardised target's squared error),
# whichever is larger. The absolute floor is what ends training on a validation split the
# net already separates: its cross-entropy falls towards zero for ever, a few per cent of
# itself every 10 epochs (breast cancer, 64 rows: 0.0036 at epoch 40, 0.0011 at 200), so
# a relative test alone ran such fits to the epoch cap, and they were half of the MLP's
# time on small tables. Under 1e-4 a epoch over the patience's 10 epochs is convergence.
MIN_RELATIVE_GAIN = 1e-4
MIN_LOSS_GAIN = 1e-3


def _min_gain(best: float) -> float:
    return max(MIN_RELATIVE_GAIN * abs(best), MIN_LOSS_GAIN)


def train_torch_model(
    model: torch.nn.Module,
    train_batches: Iterable[B],
    loss_fn: Callable[[torch.nn.Module, B], torch.Tensor],
    ctx: FitContext,
    *,
    max_epochs: int,
    val_batches: Iterable[B] | None = None,
    optimizer: Any = None,
    lr: float = 1e-3,
    weight_decay: float = 1e-2,
    patience: int = 10,
    deadline: float | None = None,
    amp: Amp | None = None,
) -> TrainResult:
    """Train ``model`` (already on its device) until ``max_epochs``, ``patience`` epochs
    without a better validation loss, or ``deadline`` (monotonic seconds; default
    now + ctx.time_limit). The deadline is checked after every step, and at least
    one step is always taken so a usable model comes back. With ``val_batches`` the
    best weights are restored at the end. ``loss_fn(model, batch)`` returns a scalar
    loss; ``train_batches`` is re-iterated every epoch (e.g. a ``TensorBatches``).
    When the deadline stops it before early stopping or ``max_epochs`` does, calls
    ``ctx.cut("epochs cut at N by the time budget")``: the fit did not converge."""

    deadline = time.monotonic() + ctx.time_limit if deadline is None else deadline
    device_type = next(model.parameters()).device.type
    amp = amp or Amp(device_type)
    # One fused kernel per step for all parameters (see _adamw for why not torch.optim's
    # wrapper of it): on the small nets of small tables the optimizer's per-parameter
    # Python loop was a quarter of each step (0.80 against 1.05 ms CPU, a 64-32 MLP).
    optimizer = optimizer or adamw(model.parameters(), lr, weight_decay, scaled=amp.scaler is not None)
    best_state: dict[str, torch.Tensor] | None = None
    best_val: float | None = None
    best_epoch, since_best, steps, epoch = 0, 0, 0, 0
    cut = stopped_early = False
    history: list[float] = []

    for epoch in range(1, max_epochs + 1):
        model.train()
        for batch in train_batches:
            optimizer.zero_grad(set_to_none=True)
            with amp.autocast():
                loss = loss_fn(model, batch)
            if amp.scaler is not None:
                amp.scaler.scale(loss).backward()
                amp.scaler.step(optimizer)
                amp.scaler.update()
            else:
                loss.backward()
                optimizer.step()
            steps += 1
            if time.monotonic() >= deadline:
                cut = True
                break
        if val_batches is not None:
            val = evaluate_loss(model, val_batches, loss_fn, amp)
            history.append(val)
            if math.isfinite(val) and (best_val is None or val < best_val - _min_gain(best_val)):
                best_val, best_epoch, since_best = val, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                since_best += 1
        else:
            best_epoch = epoch
        if cut:
            break
        if val_batches is not None and since_best >= patience:
            stopped_early = True
            break
        if time.monotonic() >= deadline:
            cut = epoch < max_epochs
            break

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    if cut:
        ctx.cut(f"epochs cut at {epoch} by the time budget")
    return TrainResult(epoch, best_epoch, best_val, steps, cut, stopped_early, history)


def predict_batches(
    model: torch.nn.Module,
    batches: Iterable[B],
    forward: Callable[[torch.nn.Module, B], torch.Tensor] | None = None,
    amp: Amp | None = None,
) -> torch.Tensor:
    """Concatenated float32 CPU outputs of ``forward(model, batch)`` (default
    ``model(batch[0])``) in eval mode without gradients."""
    import torch

    forward = forward or (lambda m, b: m(b[0]))  # type: ignore[index]
    amp = amp or Amp(next(model.parameters()).device.type)
    model.eval()
    outs = []
    with torch.no_grad(), amp.autocast():
        for batch in batches:
            outs.append(forward(model, batch).float().cpu())
    return torch.cat(outs) if outs else torch.empty(0)


def is_cuda_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or "CUDA out of memory" in str(exc)


def fit_with_oom_retry(fit: Callable[[int], T], batch_size: int, ctx: FitContext) -> T:
    """``fit(batch_size)``; on CUDA out-of-memory, free the cache and retry once at half the batch."""
    import torch

    try:
        return fit(batch_size)
    except RuntimeError as exc:
        if not is_cuda_oom(exc) or batch_size < 2:
            raise
    torch.cuda.empty_cache()
    smaller = batch_size // 2
    ctx.note(f"CUDA ran out of memory at batch size {batch_size}; retried once at {smaller}")
    return fit(smaller)


def fit_net(
    build: Callable[[], torch.nn.Module],
    train_tensors: Sequence[torch.Tensor | np.ndarray],
    val_tensors: Sequence[torch.Tensor | np.ndarray] | None,
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    ctx: FitContext,
    *,
    device: torch.device,
    amp: Amp,
    batch_size: int,
    val_batch_size: int,
    max_epochs: int,
    deadline: float,
    lr: float = 1e-3,
    weight_decay: float = 1e-2,
    patience: int = 10,
) -> tuple[torch.nn.Module, TrainResult]:
    """Build a net and train it with ``train_torch_model``, seeded from ``ctx.seed``.

    Inside ``seeded``: ``build()`` (moved to ``device``) draws the initial weights and
    the training batches are shuffled from the seeded generator; ``val_tensors`` (None:
    no early stopping) are batched by ``val_batch_size`` in order. On CUDA
    out-of-memory the whole fit runs once more at half the batch
    (``fit_with_oom_retry``). Returns the trained net (best weights) and its ``TrainResult``."""

    def run(size: int) -> tuple[torch.nn.Module, TrainResult]:
        with seeded(ctx.seed, device) as gen:
            net = build().to(device)
            train_b = TensorBatches(train_tensors, size, device, shuffle=True, generator=gen)
            val_b = None if val_tensors is None else TensorBatches(val_tensors, val_batch_size, device)
            result = train_torch_model(
                net, train_b, loss_fn, ctx, max_epochs=max_epochs, val_batches=val_b, lr=lr,
                weight_decay=weight_decay, patience=patience, deadline=deadline, amp=amp,
            )  # fmt: skip
        return net, result

    return fit_with_oom_retry(run, batch_size, ctx)
