"""AdamW for the neural probes: torch's fused kernel called directly, without ``torch.optim``.

Why not ``torch.optim.AdamW(fused=True)``, which runs the same kernel: its constructor
imports ``torch._dynamo`` (``add_param_group`` is wrapped in ``torch._disable_dynamo``),
1.2 to 1.8 s of CPU on every run that trains a net, more than all of a small table's
curve fits; and its ``step`` wraps the kernel in hooks and checks that cost about a tenth
of a small net's step. ``adamw`` returns this class wherever the kernel exists for the
parameters' device and dtype, and ``torch.optim.AdamW`` otherwise (older torch, mixed
devices, and the fp16 GradScaler path, whose ``scaler.step`` needs a ``torch.optim``
optimizer). Both take the same update: ``tests/test_probes_tabular.py`` checks the
weights agree with ``torch.optim.AdamW`` after several steps.

torch is imported inside functions only, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

BETAS = (0.9, 0.999)  # torch.optim.AdamW's defaults, so both paths take the same update
EPS = 1e-8
KERNEL_DEVICES = ("cpu", "cuda")  # where torch has a fused AdamW kernel


class FusedAdamW:
    """The subset of an optimizer the probes' training loop uses: ``zero_grad`` and ``step``.

    State is kept as torch.optim keeps it for the fused path: first and second moments
    shaped like each parameter, and a float32 step count per parameter on its device."""

    def __init__(self, params: list[torch.Tensor], lr: float, weight_decay: float) -> None:
        import torch

        self.params = params
        self.lr, self.weight_decay = lr, weight_decay
        self.exp_avgs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
        self.exp_avg_sqs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def step(self) -> None:
        import torch

        # Like torch.optim: a parameter without a gradient this step is left alone.
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        params = [self.params[i] for i in live]
        steps = [self.steps[i] for i in live]
        with torch.no_grad():
            torch._foreach_add_(steps, 1)
            torch._fused_adamw_(
                params, [p.grad for p in params], [self.exp_avgs[i] for i in live],
                [self.exp_avg_sqs[i] for i in live], [], steps, amsgrad=False, lr=self.lr,
                beta1=BETAS[0], beta2=BETAS[1], weight_decay=self.weight_decay, eps=EPS,
                maximize=False, grad_scale=None, found_inf=None,
            )  # fmt: skip


def adamw(params: Iterable[torch.Tensor], lr: float, weight_decay: float, *, scaled: bool = False) -> Any:
    """A ``FusedAdamW`` where the direct kernel serves ``params`` (one device among
    ``KERNEL_DEVICES``, one floating dtype, a torch that has the kernel, no GradScaler);
    else ``torch.optim.AdamW``, fused where torch offers it."""
    import torch

    trainable = [p for p in params if p.requires_grad]
    devices = {p.device.type for p in trainable}
    dtypes = {p.dtype for p in trainable}
    direct = (
        not scaled
        and hasattr(torch, "_fused_adamw_")
        and len(devices) == 1
        and devices <= set(KERNEL_DEVICES)
        and len(dtypes) == 1
        and next(iter(dtypes)).is_floating_point
    )
    if direct:
        return FusedAdamW(trainable, lr, weight_decay)
    fused = devices <= set(KERNEL_DEVICES)
    return torch.optim.AdamW(trainable, lr=lr, betas=BETAS, eps=EPS, weight_decay=weight_decay, fused=fused)
