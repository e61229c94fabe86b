"""Text probes on a generated review corpus: they must beat the class-prior baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from advisor_probes.text_gbdt import TextGBDTProbe
from advisor_probes.text_linear import TextLinearProbe
from advisor_probes.text_nn import TextTransformerProbe

from advisor.data import ProbeData
from advisor.probe_api import FitContext

POSITIVE = ["great", "excellent", "loved", "wonderful", "superb", "delightful", "fantastic", "enjoyed"]
NEGATIVE = ["awful", "terrible", "hated", "boring", "dreadful", "poor", "disappointing", "waste"]
NEUTRAL = ["okay", "average", "fine", "decent", "mediocre", "ordinary", "acceptable", "so-so"]
FILLER = (
    "the a this movie film plot acting story it was and really quite i my with for of scenes cast".split()
)
TEMPLATES = [
    "{f1} {f2} {w1} {f3} {w2} {f4}",
    "i thought the {f1} was {w1} , {f2} {f3} {w2}",
    "{w1} ! {f1} {f2} {f3} {f4} {f5}",
    "{f1} {f2} {f3} {w1} {f4} {f5} {f6} {w2} .",
]


def corpus(n: int = 600, seed: int = 0, n_classes: int = 3) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    lexicons = [NEGATIVE, POSITIVE, NEUTRAL][:n_classes]
    y = rng.integers(0, n_classes, n)
    docs = []
    for label in y:
        words = lexicons[label]
        # A third of the sentiment words come from another class: the task is noisy, not trivial.
        w = [
            str(rng.choice(words if rng.random() > 0.33 else lexicons[rng.integers(n_classes)]))
            for _ in range(2)
        ]
        fill = {f"f{i}": str(rng.choice(FILLER)) for i in range(1, 7)}
        docs.append(str(rng.choice(TEMPLATES)).format(w1=w[0], w2=w[1], **fill))
    return docs, y.astype(np.int64)


def split(data: ProbeData, seed: int = 0) -> tuple[ProbeData, ProbeData]:
    idx = np.random.default_rng(seed).permutation(len(data))
    cut = int(0.7 * len(data))
    return data.take(np.sort(idx[:cut])), data.take(np.sort(idx[cut:]))


def accuracy_vs_baseline(probe, data: ProbeData, time_limit: float = 30.0) -> tuple[float, float, FitContext]:
    train, test = split(data)
    ctx = FitContext(seed=0, device="cpu", time_limit=time_limit)
    model = probe.fit(train, ctx)
    proba = model.predict(test)
    assert proba.shape == (len(test), data.n_classes)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    acc = float(np.mean(proba.argmax(axis=1) == test.y))
    majority = np.bincount(train.y, minlength=data.n_classes).argmax()
    return acc, float(np.mean(test.y == majority)), ctx


@pytest.fixture(scope="module")
def text_data() -> ProbeData:
    docs, y = corpus()
    X = pd.DataFrame({"review": pd.Series(docs, dtype=object)})
    return ProbeData(
        task="multiclass",
        modality="text",
        y=y,
        class_names=["neg", "pos", "neutral"],
        X=X,
        feature_kinds={"review": "text"},
        n_rows_total=len(y),
    )


@pytest.fixture(scope="module")
def mixed_data() -> ProbeData:
    rng = np.random.default_rng(1)
    docs, y = corpus(n=400, seed=1, n_classes=2)
    # The price carries signal of its own; the category is noise; some prices are missing.
    price = np.where(y == 1, 20.0, 10.0) + rng.normal(0, 6, len(y))
    price[rng.random(len(y)) < 0.05] = np.nan
    X = pd.DataFrame(
        {
            "review": pd.Series(docs, dtype=object),
            "price": price,
            "shop": pd.Series(rng.choice(["a", "b", "c"], len(y))).astype("category"),
        }
    )
    return ProbeData(
        task="binary",
        modality="mixed",
        y=y,
        class_names=["neg", "pos"],
        X=X,
        feature_kinds={"review": "text", "price": "numeric", "shop": "categorical"},
        n_rows_total=len(y),
    )


def test_text_linear_beats_baseline(text_data):
    acc, base, _ = accuracy_vs_baseline(TextLinearProbe(), text_data)
    assert acc > base + 0.25, (acc, base)


def test_text_transformer_beats_baseline(text_data):
    acc, base, ctx = accuracy_vs_baseline(TextTransformerProbe(), text_data)
    assert acc > base + 0.2, (acc, base, ctx.notes)


def test_text_gbdt_beats_baseline(text_data):
    acc, base, _ = accuracy_vs_baseline(TextGBDTProbe(), text_data)
    assert acc > base + 0.2, (acc, base)


@pytest.mark.parametrize(
    "probe", [TextLinearProbe(), TextGBDTProbe(), TextTransformerProbe()], ids=lambda p: p.name
)
def test_mixed_table(probe, mixed_data):
    assert probe.supports(mixed_data) is None
    acc, base, _ = accuracy_vs_baseline(probe, mixed_data)
    assert acc > base + 0.2, (acc, base)


def test_supports_and_edge_cases(text_data):
    tabular = ProbeData(
        task="binary",
        modality="tabular",
        y=np.array([0, 1]),
        class_names=["a", "b"],
        X=pd.DataFrame({"x": [1.0, 2.0]}),
        feature_kinds={"x": "numeric"},
    )
    for probe in (TextLinearProbe(), TextGBDTProbe(), TextTransformerProbe()):
        assert probe.supports(tabular) is not None
    # Empty and one-word documents, a regression target: no crash, finite predictions.
    X = pd.DataFrame({"t": pd.Series(["", "word", "", "other word"] * 10, dtype=object)})
    reg = ProbeData(
        task="regression",
        modality="text",
        y=np.arange(40, dtype=np.float64),
        X=X,
        feature_kinds={"t": "text"},
    )
    for probe in (TextLinearProbe(), TextGBDTProbe(), TextTransformerProbe()):
        model = probe.fit(reg, FitContext(seed=0, device="cpu", time_limit=5.0))
        pred = model.predict(reg)
        assert pred.shape == (40,) and np.isfinite(pred).all()


@pytest.mark.parametrize("probe", [TextGBDTProbe(), TextTransformerProbe()], ids=lambda p: p.name)
def test_tiny_time_limit_is_flagged_as_cut(probe, text_data):
    train, test = split(text_data)
    ctx = FitContext(seed=0, device="cpu", time_limit=0.0005)
    proba = probe.fit(train, ctx).predict(test)
    assert proba.shape == (len(test), text_data.n_classes)
    assert ctx.cut_by_budget and any("cut at" in n and "time budget" in n for n in ctx.notes), ctx.notes
