"""Image probes on scikit-learn's digits: as images and as a pixel table; both must beat the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from advisor_probes.cnn import CNNProbe
from advisor_probes.pixels_gbdt import PixelsGBDTProbe, image_features

from advisor.data import ProbeData
from advisor.probe_api import FitContext

CLASSES = (0, 3, 7, 8)  # ~720 images: enough to learn, quick to train


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    keep = np.isin(d.target, CLASSES)
    y = np.searchsorted(np.array(CLASSES), d.target[keep]).astype(np.int64)
    return d.images[keep], y


@pytest.fixture(scope="module")
def digit_images() -> ProbeData:
    """Digits upscaled to 16x16 uint8 grayscale, as the image loader would produce them."""
    imgs, y = _digits()
    up = np.kron(imgs, np.ones((2, 2)))  # 8x8 -> 16x16, nearest neighbour
    images = (up * (255 / 16)).round().astype(np.uint8)[..., None]
    return ProbeData(
        task="multiclass", modality="image", y=y, class_names=[str(c) for c in CLASSES], images=images
    )


@pytest.fixture(scope="module")
def digit_table() -> ProbeData:
    imgs, y = _digits()
    X = pd.DataFrame(imgs.reshape(len(y), 64).astype(np.float64), columns=[f"px{i}" for i in range(64)])
    return ProbeData(
        task="multiclass",
        modality="signal",
        y=y,
        class_names=[str(c) for c in CLASSES],
        X=X,
        feature_kinds={c: "numeric" for c in X.columns},
        pixel_shape=(8, 8, 1),
    )


def accuracy_vs_baseline(probe, data: ProbeData, time_limit: float = 30.0) -> tuple[float, float, FitContext]:
    idx = np.random.default_rng(0).permutation(len(data))
    cut = int(0.7 * len(data))
    train, test = data.take(np.sort(idx[:cut])), data.take(np.sort(idx[cut:]))
    ctx = FitContext(seed=0, device="cpu", time_limit=time_limit)
    proba = probe.fit(train, ctx).predict(test)
    assert proba.shape == (len(test), data.n_classes)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    acc = float(np.mean(proba.argmax(axis=1) == test.y))
    majority = np.bincount(train.y, minlength=data.n_classes).argmax()
    return acc, float(np.mean(test.y == majority)), ctx


@pytest.mark.parametrize("probe", [PixelsGBDTProbe(), CNNProbe()], ids=lambda p: p.name)
@pytest.mark.parametrize("which", ["digit_images", "digit_table"])
def test_beats_baseline(probe, which, request):
    data = request.getfixturevalue(which)
    assert probe.supports(data) is None
    acc, base, ctx = accuracy_vs_baseline(probe, data)
    assert acc > base + 0.4, (acc, base, ctx.notes)


def test_one_dimensional_signal_and_rgb():
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    t = np.linspace(0, 1, 40)
    # Class 1 holds a sine burst; pixel_shape unknown, so the CNN treats rows as 1-D sequences.
    X = rng.normal(0, 1, (n, 40)) + y[:, None] * np.sin(2 * np.pi * 5 * t)[None] * 2
    data = ProbeData(
        task="binary",
        modality="signal",
        y=y.astype(np.int64),
        class_names=["a", "b"],
        X=pd.DataFrame(X, columns=[f"s{i}" for i in range(40)]),
        feature_kinds={f"s{i}": "numeric" for i in range(40)},
    )
    model = CNNProbe().fit(data, FitContext(seed=0, device="cpu", time_limit=5.0))
    assert model.predict(data).shape == (n, 2)

    images = rng.integers(0, 256, (30, 40, 40, 3), dtype=np.uint8)
    rgb = ProbeData(
        task="binary", modality="image", y=np.arange(30) % 2, class_names=["a", "b"], images=images
    )
    ctx = FitContext(seed=0, device="cpu", time_limit=3.0)
    proba = CNNProbe().fit(rgb, ctx).predict(rgb)
    assert proba.shape == (30, 2)
    assert any("input 32x32x3" in n and "resized from 40x40" in n for n in ctx.notes)
    assert image_features(images).shape == (30, 16 * 16 * 3 + 3 * (2 + 8) + 6)


def test_deterministic(digit_table):
    small = digit_table.take(np.arange(80))
    runs = []
    for _ in range(2):
        ctx = FitContext(seed=3, device="cpu", time_limit=60.0)
        runs.append((CNNProbe().fit(small, ctx).predict(small), ctx.cut_by_budget))
    if any(cut for _, cut in runs):
        pytest.skip("a fit was cut by the time limit (busy machine); runs are not comparable")
    assert np.allclose(runs[0][0], runs[1][0])


@pytest.mark.parametrize("probe", [PixelsGBDTProbe(), CNNProbe()], ids=lambda p: p.name)
def test_tiny_time_limit_is_flagged_as_cut(probe, digit_images):
    """The clock, not convergence, stopped training: ctx.cut says so (the runner reads the flag)."""
    ctx = FitContext(seed=0, device="cpu", time_limit=0.0005)
    proba = probe.fit(digit_images, ctx).predict(digit_images.take(np.arange(10)))
    assert proba.shape == (10, digit_images.n_classes)
    assert ctx.cut_by_budget and any("cut at" in n and "time budget" in n for n in ctx.notes), ctx.notes
