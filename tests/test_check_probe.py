"""``advisor.testing.check_probe`` passes every registered probe, and each of its
checks fails on a probe broken in that one way."""

from __future__ import annotations

import os
import time
from typing import ClassVar

import numpy as np
import pytest

import advisor.testing
from advisor.probe_api import FitContext, Probe
from advisor.probing.registry import discover_probes
from advisor.testing import check_probe


@pytest.fixture(scope="module", autouse=True)
def one_cpu():
    """Run on one CPU: the probes take their thread counts from the affinity
    (``usable_cpus``), and on a couple of shared cores threads spin-waiting on each
    other make fits this tiny many times slower than one thread does."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


PROBES = discover_probes()


def test_every_built_in_probe_is_discovered() -> None:
    names = {p.name for p in PROBES}
    assert {"baseline", "linear", "lightgbm", "mlp", "cnn", "text_transformer"} <= names


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_registered_probe_passes(probe: Probe) -> None:
    if missing := check_probe(probe):  # an optional extra or its weights are not here
        pytest.skip(missing)


class Model:
    """Class priors (or the mean), optionally scaled or shaped wrongly."""

    def __init__(self, value: np.ndarray | float, classification: bool) -> None:
        self.value, self.classification = value, classification

    def predict(self, data):
        if self.classification:
            return np.tile(self.value, (len(data), 1))
        return np.full(len(data), float(self.value))


class GoodProbe(Probe):
    name: ClassVar[str] = "good"
    family: ClassVar[str] = "linear"
    description: ClassVar[str] = "class priors or the mean, for the tests"
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular"})
    cost_weight: ClassVar[float] = 0.1

    def fit(self, train, ctx: FitContext) -> Model:
        if train.is_classification:
            counts = np.bincount(train.y, minlength=train.n_classes).astype(float)
            return Model(counts / counts.sum(), True)
        return Model(float(np.mean(train.y)), False)


class BadFamily(GoodProbe):
    family = "quantum"


class NegativeCost(GoodProbe):
    cost_weight = -1.0


class UnknownModality(GoodProbe):
    modalities = frozenset({"tabular", "video"})


class SupportsReturnsBool(GoodProbe):
    def supports(self, data):
        return super().supports(data) or True


class SupportsEverything(GoodProbe):
    def supports(self, data):
        return None


class FitRaises(GoodProbe):
    def fit(self, train, ctx):
        raise ValueError("no columns to learn from")


class FlatOutput(GoodProbe):
    def fit(self, train, ctx):
        model = super().fit(train, ctx)
        if train.is_classification:
            model.value = model.value[1:]
        return model


class NotProbabilities(GoodProbe):
    def fit(self, train, ctx):
        model = super().fit(train, ctx)
        if train.is_classification:
            model.value = 2 * model.value
        return model


class InfiniteValues(GoodProbe):
    def fit(self, train, ctx):
        model = super().fit(train, ctx)
        if not train.is_classification:
            model.value = float("inf")
        return model


class Unseeded(GoodProbe):
    def fit(self, train, ctx):
        model = super().fit(train, ctx)
        if train.is_classification:
            noise = np.random.default_rng().uniform(0.5, 1.5, train.n_classes)  # not from ctx.seed
            model.value = model.value * noise / np.sum(model.value * noise)
        return model


class IgnoresTimeLimit(GoodProbe):
    def fit(self, train, ctx):
        if ctx.time_limit < 1.0:
            time.sleep(ctx.time_limit + 0.5)
        return super().fit(train, ctx)


class CutOnlyInANote(GoodProbe):
    def fit(self, train, ctx):
        if ctx.time_limit < 1.0:
            ctx.note("rounds cut at 3 by the time budget")  # should be ctx.cut(...)
        return super().fit(train, ctx)


class FailsOnSmallSubsets(GoodProbe):
    """Fine on the direct fits; the runner's learning-curve subsets are smaller."""

    def fit(self, train, ctx):
        if len(train) < 30:
            raise ValueError("too few rows")
        return super().fit(train, ctx)


def test_good_probe_passes() -> None:
    check_probe(GoodProbe)
    check_probe(GoodProbe(), tasks=["regression"])


@pytest.mark.parametrize(
    ("probe_cls", "check"),
    [
        (BadFamily, "attributes"),
        (NegativeCost, "attributes"),
        (UnknownModality, "attributes"),
        (SupportsReturnsBool, "supports"),
        (SupportsEverything, "supports"),
        (FitRaises, "fit"),
        (FlatOutput, "predictions"),
        (NotProbabilities, "predictions"),
        (InfiniteValues, "predictions"),
        (Unseeded, "determinism"),
        (IgnoresTimeLimit, "time limit"),
        (CutOnlyInANote, "cut"),
        (FailsOnSmallSubsets, "runner"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_broken_probe_fails_the_check_it_breaks(probe_cls, check, monkeypatch) -> None:
    monkeypatch.setattr(advisor.testing, "TIME_SLACK", 0.3)  # IgnoresTimeLimit overruns by 0.5 s
    with pytest.raises(AssertionError, match=rf"check_probe\({probe_cls.name}\): \[{check}\]"):
        check_probe(probe_cls)
