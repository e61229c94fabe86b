"""A ResNet built to fit a torchvision ResNet state dict, as a frozen feature extractor.

torchvision's ResNets (resnet18/34 with basic blocks, resnet50/101/152, wide and
ResNeXt variants with bottlenecks) share one layout of parameter names: ``conv1``,
``bn1``, ``layer1`` to ``layer4`` of blocks ``{i}.conv1/bn1/conv2/bn2[/conv3/bn3]``
with an optional ``downsample.0/1``, and ``fc``. ``resnet_from_state_dict`` reads
the block counts, widths and groups off the tensors' shapes and builds that
network here, so the weights load strictly without torchvision being importable
(its wheel must match the torch build exactly) and any such checkpoint, a test's
tiny one included, goes through the same path. ``fc`` is dropped: the output is the
globally pooled feature vector.

torch is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

LAYERS = ("layer1", "layer2", "layer3", "layer4")
_BLOCK_KEY = re.compile(r"^(layer[1-4])\.(\d+)\.")


class NotAResNet(ValueError):
    """The state dict does not have a torchvision ResNet's layout; the message says what is off."""


def _conv(weight: torch.Tensor, in_c: int, stride: int) -> torch.nn.Conv2d:
    """A bias-free convolution shaped like ``weight``; grouped (ResNeXt) when a filter sees
    fewer inputs than the ``in_c`` channels coming in."""
    from torch import nn

    out_c, in_per_group, k, _ = weight.shape
    groups = max(1, in_c // int(in_per_group))
    return nn.Conv2d(in_c, out_c, k, stride=stride, padding=k // 2, groups=groups, bias=False)


def resnet_from_state_dict(state: dict[str, Any]) -> tuple[torch.nn.Module, int]:
    """(network, feature dimension) with ``state`` loaded (``fc`` ignored), in eval mode.

    Raises ``NotAResNet`` when the keys or shapes do not match a torchvision ResNet."""
    import torch
    from torch import nn

    if not isinstance(state, dict) or "conv1.weight" not in state:
        raise NotAResNet("no conv1.weight: not a torchvision ResNet state dict")
    blocks: dict[str, set[int]] = {layer: set() for layer in LAYERS}
    for key in state:
        m = _BLOCK_KEY.match(key)
        if m:
            blocks[m.group(1)].add(int(m.group(2)))
    if any(not blocks[layer] for layer in LAYERS):
        raise NotAResNet("layers layer1 to layer4 are not all present")
    bottleneck = "layer1.0.conv3.weight" in state

    class Block(nn.Module):
        def __init__(self, prefix: str, in_c: int, stride: int) -> None:
            super().__init__()
            w1, w2 = state[f"{prefix}.conv1.weight"], state[f"{prefix}.conv2.weight"]
            # torchvision (v1.5) strides the 3x3 convolution: conv1 in a basic block, conv2 in a bottleneck.
            self.conv1 = _conv(w1, in_c, 1 if bottleneck else stride)
            self.bn1 = nn.BatchNorm2d(w1.shape[0])
            self.conv2 = _conv(w2, w1.shape[0], stride if bottleneck else 1)
            self.bn2 = nn.BatchNorm2d(w2.shape[0])
            out_c = w2.shape[0]
            if bottleneck:
                w3 = state[f"{prefix}.conv3.weight"]
                self.conv3 = _conv(w3, w2.shape[0], 1)
                self.bn3 = nn.BatchNorm2d(w3.shape[0])
                out_c = w3.shape[0]
            self.downsample = None
            if f"{prefix}.downsample.0.weight" in state:
                wd = state[f"{prefix}.downsample.0.weight"]
                self.downsample = nn.Sequential(
                    nn.Conv2d(in_c, wd.shape[0], 1, stride=stride, bias=False), nn.BatchNorm2d(wd.shape[0])
                )
            self.out_channels = out_c

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if bottleneck:
                out = self.bn3(self.conv3(torch.relu(out)))
            identity = x if self.downsample is None else self.downsample(x)
            return torch.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = state["conv1.weight"]
            self.conv1 = _conv(w, w.shape[1], 2)
            self.bn1 = nn.BatchNorm2d(w.shape[0])
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
            width = w.shape[0]
            for n_layer, layer in enumerate(LAYERS):
                seq = []
                for i in sorted(blocks[layer]):
                    block = Block(f"{layer}.{i}", width, 2 if (i == 0 and n_layer > 0) else 1)
                    width = block.out_channels
                    seq.append(block)
                setattr(self, layer, nn.Sequential(*seq))
            self.features = width

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
            for layer in LAYERS:
                x = getattr(self, layer)(x)
            return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)

    try:
        net = ResNet()
        wanted = {k: v for k, v in state.items() if not k.startswith("fc.")}
        net.load_state_dict(wanted, strict=True)
    except (KeyError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotAResNet(f"the tensors do not fit a ResNet ({first[:200]})") from None
    return net.eval(), int(net.features)
