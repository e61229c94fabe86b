"""A pretrained CNN as a frozen feature extractor with a linear head: transfer learning
measured, for image sets too small to train a CNN from scratch.

The backbone is a torchvision ResNet whose weights are already on this machine:
the file given as ``--weights PATH``, else the torch hub cache
(``torch.hub.get_dir()/checkpoints/resnet18-*.pth``, where
``torchvision.models.resnet18(weights="DEFAULT")`` saves them). Nothing is
downloaded; without weights the probe is skipped with a note saying how to get
them. The network is rebuilt from the state dict's shapes (``_resnet.py``), so any
torchvision ResNet checkpoint works.

Each image is resized to ``SIDE`` pixels a side (grayscale repeated to three
channels), normalised with ImageNet's statistics and passed once through the
frozen backbone; the pooled features (512 for ResNet-18) go to a logistic (or
ridge) regression on the shared folds. Features are cached per distinct image
for the run, as a frozen backbone gives an image the same features in every fold.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from advisor.probe_api import FitContext, Probe

from ._embed import BILLING_NOTE, EmbeddingHead, VectorCache
from .baseline import ConstantModel, constant_fit

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData
    from advisor.facts import Constraints

DEFAULT = "resnet18"  # the hub-cache checkpoint looked for first
SIDE = {"cpu": 112, "cuda": 224}  # input side: ImageNet models see 224; half of it keeps CPU runs short
BATCH = 64
MEAN = (0.485, 0.456, 0.406)  # ImageNet statistics the torchvision weights were trained with
STD = (0.229, 0.224, 0.225)
HOW = (
    "pass --weights FILE (a torchvision ResNet state dict, e.g. resnet18-f37072fd.pth) or put one in "
    "the torch hub cache ({cache}), e.g. by running torchvision.models.resnet18(weights='DEFAULT') "
    "once on a machine online"
)


def hub_checkpoints() -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def find_weights(explicit: str | None) -> tuple[Path | None, str]:
    """(weights file, how it was found), or (None, why none) when there is none."""
    if explicit:
        return Path(explicit), "--weights"
    folder = hub_checkpoints()
    found = sorted(folder.glob(f"{DEFAULT}-*.pth")) or sorted(folder.glob("resnet*.pth"))
    if found:
        return found[0], "the torch hub cache"
    return None, "no pretrained image weights on this machine: " + HOW.format(cache=folder)


class Backbone:
    """A loaded frozen ResNet and the per-image feature cache of this run."""

    def __init__(self, net: Any, dim: int, path: Path) -> None:
        self.net, self.dim, self.path = net, dim, path
        self.cache = VectorCache(dim)
        self.device: Any = None

    @classmethod
    def load(cls, path: Path) -> Backbone:
        """Raises ValueError with a message for the report when ``path`` is no ResNet state dict."""
        import torch

        from ._resnet import resnet_from_state_dict

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user problem
            raise ValueError(f"cannot read {path} as a PyTorch state dict ({type(exc).__name__})") from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]  # a training checkpoint around the weights
        net, dim = resnet_from_state_dict(state)
        for p in net.parameters():
            p.requires_grad_(False)
        return cls(net, dim, path)

    def features(
        self, images: np.ndarray, side: int, deadline: float | None, order: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(features of the first ``n`` rows of ``order``, those rows): the rows of ``images``
        in ``order`` (default: as given), stopping at ``deadline`` between batches."""
        import numpy as np

        order = np.arange(len(images)) if order is None else order
        keys = [hashlib.blake2b(images[i].tobytes(), digest_size=16).digest() for i in order]
        vectors, n = self.cache.get(
            keys, lambda pos: images[order[pos]], lambda batch: self._forward(batch, side), batch=BATCH,
            deadline=deadline,
        )  # fmt: skip
        return vectors, order[:n]

    def _forward(self, batch: np.ndarray, side: int) -> np.ndarray:
        import numpy as np
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float() / 255.0
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        elif x.shape[1] == 4:
            x = x[:, :3]  # RGBA: the alpha channel carries no colour
        x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
        mean = torch.tensor(MEAN).view(1, 3, 1, 1)
        std = torch.tensor(STD).view(1, 3, 1, 1)
        x = ((x - mean) / std).to(self.device)
        with torch.inference_mode():
            return self.net(x).float().cpu().numpy()


class ImagePretrainedModel:
    def __init__(self, backbone: Backbone, side: int, head: EmbeddingHead) -> None:
        self.backbone, self.side, self.head = backbone, side, head

    @property
    def params(self) -> dict[str, Any]:
        return self.head.params

    def predict(self, data: ProbeData) -> np.ndarray:
        assert data.images is not None
        Z, _ = self.backbone.features(data.images, self.side, None)
        return self.head.predict(Z)


class ImagePretrainedProbe(Probe):
    name: ClassVar[str] = "image_pretrained"
    family: ClassVar[str] = "pretrained"
    description: ClassVar[str] = (
        "Pretrained ResNet (torchvision weights found locally, frozen) as a feature extractor, "
        "globally pooled features + logistic regression C=0.5 / ridge alpha=10 (transfer learning)"
    )
    modalities: ClassVar[frozenset[str]] = frozenset({"image"})
    needs_torch: ClassVar[bool] = True
    cost_weight: ClassVar[float] = 2.0

    def __init__(self) -> None:
        self.backbone: Backbone | None = None

    def supports(self, data: ProbeData) -> str | None:
        return super().supports(data) or (None if data.images is not None else "no images")

    def setup(self, constraints: Constraints) -> str | None:
        path, how = find_weights(constraints.weights)
        if path is None:
            return how
        try:
            self.backbone = Backbone.load(path)
        except ValueError as exc:
            return f"{how} {path.name}: {exc}; " + HOW.format(cache=hub_checkpoints())
        return None

    def fit(self, train: ProbeData, ctx: FitContext) -> ImagePretrainedModel | ConstantModel:
        import numpy as np

        from ._torch import resolve_device, set_threads

        if self.backbone is None:
            raise RuntimeError("image_pretrained: setup() found no weights; the stage skips it then")
        deadline = time.monotonic() + ctx.time_limit
        set_threads()
        device = resolve_device(ctx.device, ctx)
        if self.backbone.device != device:
            self.backbone.net.to(device)
            self.backbone.device = device
        side = SIDE["cuda" if device.type == "cuda" else "cpu"]
        assert train.images is not None
        # A seeded order, so that a fit the clock stops keeps a random subset of its rows.
        order = np.random.default_rng(ctx.seed).permutation(len(train))
        mark = self.backbone.cache.mark()
        # Leave a fifth of the time for the head.
        Z, rows = self.backbone.features(train.images, side, deadline - 0.2 * ctx.time_limit, order)
        spent = self.backbone.cache.spent(mark)
        if len(rows) < len(train):
            ctx.cut(
                f"image_pretrained: the time budget stopped feature extraction after {len(rows):,} of "
                f"{len(train):,} training images; the head was fitted on those"
            )
        if len(rows) < 2 or (train.is_classification and len(np.unique(train.y[rows])) < 2):
            ctx.note("image_pretrained: too few images extracted in the time allowed; predicted the prior")
            return constant_fit(train)
        head = EmbeddingHead(train.n_classes if train.is_classification else 0).fit(Z, train.y[rows], ctx)
        h, w = train.images.shape[1:3]
        head.params.update(
            spent,
            backbone=self.backbone.path.name,
            features=self.backbone.dim,
            input=f"{h}x{w} -> {side}x{side}",
        )
        ctx.note(f"image_pretrained: frozen backbone {self.backbone.path.name}; {BILLING_NOTE}")
        return ImagePretrainedModel(self.backbone, side, head)
