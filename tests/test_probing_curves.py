"""Learning-curve and cost fits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.probing.curves import FLAT_NOTE, cost_exponent, fit_cost, fit_learning_curve

NS = [100, 250, 500, 1000, 2000]


def _law(n: float, c: float = 0.9, a: float = 2.0, b: float = 0.5) -> float:
    return c - a * n ** (-b)


def test_recovers_power_law_parameters() -> None:
    folds = [[(n, _law(n) + eps) for n in NS] for eps in (-0.002, 0.0, 0.002)]
    fit = fit_learning_curve(folds, metric_max=1.0)
    assert fit.ok
    assert fit.asymptote == pytest.approx(0.9, abs=1e-3)
    assert fit.a == pytest.approx(2.0, rel=0.05)
    assert fit.b == pytest.approx(0.5, rel=0.05)
    assert fit.predicted_rows == {"2x": 4000, "10x": 20000}
    assert fit.predicted["10x"].mean == pytest.approx(_law(20000), abs=2e-3)
    assert len(fit.predicted["10x"].folds) == 3
    assert fit.predicted["10x"].mean > fit.predicted["2x"].mean
    assert fit.note != FLAT_NOTE


def test_custom_targets_and_clipping_to_metric_max() -> None:
    folds = [[(n, min(1.0, _law(n, c=1.2))) for n in NS]]
    fit = fit_learning_curve(folds, metric_max=1.0, n_targets={"full": 10**7})
    assert fit.asymptote <= 1.0
    assert fit.predicted["full"].mean <= 1.0
    assert set(fit.predicted) == {"full"}


def test_flat_curve_is_noted() -> None:
    rng = np.random.default_rng(0)
    folds = [[(n, 0.8 + rng.normal(0, 0.01)) for n in NS] for _ in range(3)]
    fit = fit_learning_curve(folds)
    assert FLAT_NOTE in fit.note


def test_fewer_than_three_sizes_is_not_ok() -> None:
    fit = fit_learning_curve([[(100, 0.7), (200, 0.75)]])
    assert not fit.ok and "3" in fit.note
    assert fit.predicted == {}
    assert not fit_learning_curve([[]]).ok


def test_cost_fit() -> None:
    pts = [(n, 1e-3 * n**1.5) for n in NS]
    assert cost_exponent(pts) == pytest.approx(1.5)
    assert fit_cost(pts, 8000) == pytest.approx(1e-3 * 8000**1.5)
    # Exponent clipped to [0.5, 2]; a single size assumes linear.
    assert cost_exponent([(n, 1e-9 * n**4) for n in NS]) == 2.0
    assert cost_exponent([(n, 1.0) for n in NS]) == 0.5
    assert fit_cost([(1000, 2.0)], 10_000) == pytest.approx(20.0)
    assert math.isnan(fit_cost([], 10))
