"""Learning-curve and cost fits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pytest

from advisor.probe_api import Score
from advisor.probing.curves import (
    FAMILIES,
    FLAT_NOTE,
    cost_exponent,
    crossing,
    curve_value,
    family_value,
    fit_cost,
    fit_family,
    fit_learning_curve,
    rows_to_score,
)

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


def test_rising_curve_with_noisy_folds_is_not_flat() -> None:
    # One fold's spread (0.07) is larger than the projected gain, the fold mean's noise is not:
    # a curve projected well above its level is not "flat" (diabetes: +8 points read flat).
    law = {"c": 0.95, "a": 1.3, "b": 0.3}
    folds = [[(n, _law(n, **law) + eps) for n in NS] for eps in (-0.07, 0.0, 0.07)]
    fit = fit_learning_curve(folds, metric_max=1.0)
    gain = fit.predicted["10x"].mean - _law(NS[-1], **law)
    assert 0.045 < gain < 0.07  # above the mean's noise (0.07 / sqrt 3 = 0.04), below one fold's spread
    assert FLAT_NOTE not in fit.note


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


# --- curve families, the chooser, intervals ------------------------------------------

GRID = np.array([23, 32, 45, 64, 91, 128, 181, 256, 362, 512, 1024], dtype=float)
TRUE = {  # (asymptote, amplitude, *theta) in n / 1024 units, each family's own form
    "pow3": (0.92, 0.05, 0.6),
    "pow4": (0.9, 0.06, 0.8, 0.05),
    "logpower": (0.9, -2.0, -0.7),
    "mmf4": (0.93, 0.5, -2.5, 1.2),
    "wbl4": (0.88, 0.45, -2.5, 0.6),
}


def _curve(name: str, n: np.ndarray) -> np.ndarray:
    return family_value(name, TRUE[name], n / 1024.0)


@pytest.mark.parametrize("name", sorted(TRUE))
def test_each_family_recovers_its_curve(name: str) -> None:
    x = GRID / 1024.0
    y = _curve(name, GRID)
    p = fit_family(name, x, y, None, float(y.min()), 1.0)
    assert p is not None
    # Noiseless: the fit reproduces the curve and its extrapolation to 10x; the asymptote
    # (pow3, whose parameters are identifiable) exactly.
    assert np.max(np.abs(family_value(name, p, x) - y)) < 2e-3
    assert float(family_value(name, p, 10.0)) == pytest.approx(
        float(_curve(name, np.array([10240.0]))[0]), abs=6e-3
    )
    if name == "pow3":
        assert p == pytest.approx(TRUE[name], rel=0.03)
    # Noisy: still close at 10x (noise 0.003 per anchor).
    rng = np.random.default_rng(1)
    errs = []
    for _ in range(10):
        yn = y + rng.normal(0, 0.003, len(y))
        q = fit_family(name, x, yn, np.full(len(y), 0.003), float(yn.min()), 1.0)
        assert q is not None and q[0] <= 1.0
        errs.append(float(family_value(name, q, 10.0)) - float(_curve(name, np.array([10240.0]))[0]))
    assert np.mean(np.abs(errs)) < 0.03


@pytest.mark.parametrize("name", sorted(TRUE))
def test_chooser_picks_a_family_that_predicts_as_well_as_the_true_one(name: str) -> None:
    rng = np.random.default_rng(2)
    folds = [
        [(n, float(s) + rng.normal(0, 0.002)) for n, s in zip(GRID, _curve(name, GRID), strict=True)]
        for _ in range(3)
    ]
    fit = fit_learning_curve(folds)
    assert fit.ok and fit.family in FAMILIES and fit.monotone
    assert sum(fit.weights.values()) == pytest.approx(1.0)
    truth = float(_curve(name, np.array([10 * 1024.0]))[0])
    # The true family wins, or the weighted mix predicts about as well as it would
    # (pow3 and pow4 are hard to tell apart on 11 anchors), and the interval holds the truth.
    # Nearly noiseless: the prior against 4-parameter shapes (curve_backtest.prior) fades.
    assert fit.family == name or abs(fit.predicted["10x"].mean - truth) < 0.03
    # An 80% interval need not hold every single curve (coverage is the simulations' test):
    # here the truth lies inside or within a tenth of the interval's width of an end (the
    # pow4 curve's truth sits 0.2 points below its low end since the prior against 4-parameter
    # shapes; 0.03 points above it before).
    slack = 0.1 * (fit.predicted_high["10x"] - fit.predicted_low["10x"])
    assert fit.predicted_low["10x"] - slack <= truth <= fit.predicted_high["10x"] + slack
    assert fit.interval == 0.8


def test_saturated_curve_prefers_last_value_or_a_flat_fit() -> None:
    rng = np.random.default_rng(3)
    inside = []
    for _ in range(20):
        folds = [[(n, 0.85 + rng.normal(0, 0.004)) for n in GRID] for _ in range(3)]
        fit = fit_learning_curve(folds)
        assert abs(fit.predicted["10x"].mean - 0.85) < 0.012
        assert fit.predicted_high["10x"] - fit.predicted_low["10x"] < 0.04  # no rise to continue
        inside.append(fit.predicted_low["10x"] <= 0.85 <= fit.predicted_high["10x"])
    assert np.mean(inside) >= 0.6  # an 80% interval, on a curve whose noise the families chase


def test_non_monotone_curve_is_flagged_and_not_forced_through_a_power_law() -> None:
    # Peaks at 256 rows, then falls (overfitting as rows grow, a "peaking" curve).
    shape = [0.6, 0.66, 0.71, 0.75, 0.78, 0.8, 0.81, 0.82, 0.79, 0.76, 0.73]
    rng = np.random.default_rng(4)
    folds = [[(n, s + rng.normal(0, 0.003)) for n, s in zip(GRID, shape, strict=True)] for _ in range(3)]
    fit = fit_learning_curve(folds)
    assert fit.ok and not fit.monotone
    assert fit.note.startswith("non-monotone") or "non-monotone" in fit.note
    assert fit.family == "last" and fit.weights == {"last": 1.0}
    assert fit.predicted["10x"].mean == pytest.approx(np.mean([f[-1][1] for f in folds]))
    # The interval reaches back up towards the peak: the trend is not trusted.
    assert fit.predicted_high["10x"] >= 0.8
    # A monotone curve with noise is not flagged.
    ok = fit_learning_curve([[(n, _law(n) + rng.normal(0, 0.002)) for n in GRID] for _ in range(3)])
    assert ok.monotone and "non-monotone" not in ok.note


def _random_curve(rng: np.random.Generator, ref: float = 1024.0) -> Callable[[np.ndarray], np.ndarray]:
    name = str(rng.choice(sorted(TRUE)))
    a = rng.uniform(0.75, 0.97)
    if name == "pow3":
        p = (a, rng.uniform(0.02, 0.15), rng.uniform(0.2, 1.0))
    elif name == "pow4":
        p = (a, rng.uniform(0.02, 0.15), rng.uniform(0.3, 1.0), rng.uniform(0.0, 0.1))
    elif name == "logpower":
        p = (a, rng.uniform(-6.0, -2.0), -rng.uniform(0.3, 1.0))
    elif name == "mmf4":
        p = (a, rng.uniform(0.2, 0.5), rng.uniform(-4.0, -1.0), rng.uniform(0.5, 1.5))
    else:
        p = (a, rng.uniform(0.2, 0.5), rng.uniform(-4.0, -1.0), rng.uniform(0.3, 0.8))
    return lambda n: family_value(name, p, n / ref)


def test_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    """A seeded simulation: 200 noisy curves from the five families, 3 folds each,
    noise growing at small sizes; the 80% interval at 10x should hold the true
    score about 80% of the time (wide tolerance), and the projection should beat
    the last measured score as a guess."""
    rng = np.random.default_rng(5)
    sizes = np.array([32, 64, 128, 256, 512, 1024], dtype=float)
    inside, err, err_last, widths = [], [], [], []
    for _ in range(200):
        curve = _random_curve(rng)
        noise = rng.uniform(0.002, 0.015)
        folds = [
            [(n, float(curve(np.array([n]))[0]) + rng.normal(0, noise * (1024 / n) ** 0.25)) for n in sizes]
            for _ in range(3)
        ]
        fit = fit_learning_curve(folds)
        truth = float(curve(np.array([10240.0]))[0])
        inside.append(fit.predicted_low["10x"] <= truth <= fit.predicted_high["10x"])
        err.append(abs(fit.predicted["10x"].mean - truth))
        widths.append(fit.predicted_high["10x"] - fit.predicted_low["10x"])
        err_last.append(abs(np.mean([f[-1][1] for f in folds]) - truth))
    assert 0.7 <= np.mean(inside) <= 0.9
    assert np.mean(err) < 0.5 * np.mean(err_last)
    # Sharp enough to plan with: the median 80% interval spans under 7 points here (the
    # first version's, inflated by the small anchors' noise in the backtest, spanned 8; the
    # high end reaches the local slope's continuation when a curve still rises, by design).
    assert np.median(widths) < 0.07


# The runner's curve on a 400-row sample: LCDB's grid up to 0.6 of the fold's training rows,
# then the full size; the three smallest anchors repeated on 6 folds, the rest on the 3 curve
# folds, the full size on all 25 folds (the anchor).
RUNNER_SIZES = np.array([23, 32, 45, 64, 91, 128, 181, 400], dtype=float)


def _runner_curve(
    rng: np.random.Generator, kind: str, sizes_all: np.ndarray = RUNNER_SIZES
) -> tuple[list[list[tuple[float, float]]], Score, float, float]:
    """(fold points, the all-folds anchor, the truth at 10x, the truth at the full size) of a
    seeded curve: ``family`` (one of the five shapes), ``flat`` or ``steep`` (a second,
    slower term that keeps rising past the measured sizes: the families read the bend of the
    first). A fold's noise at the full size is 1 to 5 points, growing at small sizes (as
    measured on bench_curves' probes); the 25 folds of one sample share part of its luck."""
    ref = sizes_all[-1]
    if kind == "flat":
        level = rng.uniform(0.55, 0.95)

        def truth(n: np.ndarray) -> np.ndarray:
            return np.full(np.shape(n), level)
    elif kind == "steep":
        top, b1, c1 = rng.uniform(0.75, 0.99), rng.uniform(0.02, 0.1), rng.uniform(0.3, 1.0)
        b2, c2 = rng.uniform(0.03, 0.12), rng.uniform(0.1, 0.3)

        def truth(n: np.ndarray) -> np.ndarray:
            x = np.asarray(n, dtype=float) / ref
            return top - b1 * x**-c1 - b2 * x**-c2
    else:
        base = _random_curve(rng, ref)

        def truth(n: np.ndarray) -> np.ndarray:
            return base(np.asarray(n, dtype=float))

    sigma, growth = rng.uniform(0.01, 0.05), rng.uniform(0.3, 0.8)
    folds = []
    for f in range(6):
        sizes = sizes_all if f < 3 else sizes_all[:3]
        folds.append(
            [(n + f % 2, float(truth(n)) + rng.normal(0, sigma * (ref / n) ** growth)) for n in sizes]
        )
    luck = rng.normal(0, 0.5 * sigma)
    every = [float(truth(ref)) + luck + rng.normal(0, sigma) for _ in range(25)]
    anchor = Score(float(np.mean(every)), float(np.std(every, ddof=1)), every)
    return folds, anchor, float(truth(10 * ref)), float(truth(ref))


# Bounds on the mean |error| at 10x on the seeded runner-shaped curves below (80 per kind):
# the fit measures 0.0312, 0.0335 and 0.0192 here; without the prior for pow3 and the damped
# gain (curve_backtest.prior, curves.DAMPING) 0.0370, 0.0351 and 0.0195 (it fails); without
# the prior against 4-parameter shapes either, 0.0387, 0.0372 and 0.0228.
RUNNER_MAX_ERROR = {"family": 0.0330, "steep": 0.0345, "flat": 0.0205}


def test_runner_shaped_simulation_error_and_coverage() -> None:
    """Seeded curves shaped like the runner's (anchors, folds, noise, the all-folds anchor):
    the mean error at 10x per kind, the 80% intervals' coverage, and the gain over the last
    score as a guess. The interval scale ``CALIBRATION`` is set on these (about 80% over the
    three kinds); bench_curves.py checks it on measured curves. The steep kind is the "more
    is different" curve: its projection is too low on average (the families read the first
    bend), and the interval's high end (the local slope's continuation) must still hold it."""
    inside_all = []
    for kind, seed in (("family", 21), ("steep", 22), ("flat", 23)):
        rng = np.random.default_rng(seed)
        err, err_last, inside = [], [], []
        for _ in range(80):
            folds, anchor, truth, _ = _runner_curve(rng, kind)
            fit = fit_learning_curve(folds, metric_max=1.0, n_targets={"10x": 4000}, anchor=anchor)
            err.append(fit.predicted["10x"].mean - truth)
            err_last.append(anchor.mean - truth)
            inside.append(fit.predicted_low["10x"] <= truth <= fit.predicted_high["10x"])
        assert np.mean(np.abs(err)) < RUNNER_MAX_ERROR[kind], kind
        assert 0.65 <= np.mean(inside) <= 0.93, kind  # 80 curves: a standard error of 4.5 points
        if kind != "flat":  # a flat curve's last score is the truth plus the level's noise
            assert np.mean(np.abs(err)) < 0.7 * np.mean(np.abs(err_last)), kind
        inside_all += inside
    assert 0.74 <= np.mean(inside_all) <= 0.86


def test_a_curve_measured_over_a_short_span_keeps_its_slope_possible() -> None:
    """A small sample's curve (4 anchors over 2.25x in rows, as breast cancer's 10%) projected
    10x: its slope over so short a span is too uncertain to call it flat, so the interval's
    high end reaches the optimistic slope's continuation even when the curve is not
    significantly rising. Without that (the high end from the families alone) the steep
    kind was covered 59% of the time on these seeds (150 a kind), the families 73%."""
    sizes = np.array([20, 26, 34, 45], dtype=float)
    inside_all = []
    for kind, seed in (("family", 21), ("steep", 22), ("flat", 23)):
        rng = np.random.default_rng(seed)
        inside = []
        for _ in range(80):
            folds, anchor, truth, _ = _runner_curve(rng, kind, sizes)
            fit = fit_learning_curve(folds, metric_max=1.0, n_targets={"10x": 450}, anchor=anchor)
            inside.append(fit.predicted_low["10x"] <= truth <= fit.predicted_high["10x"])
        assert 0.7 <= np.mean(inside) <= 0.95, kind
        inside_all += inside
    assert 0.75 <= np.mean(inside_all) <= 0.9


def test_noise_model_makes_small_anchors_noisier() -> None:
    from advisor.probing.curve_anchors import noise as _noise

    n = GRID
    sd_true = 0.004 * (1024 / n) ** 0.5
    rng = np.random.default_rng(7)
    sd = np.array([np.std(rng.normal(0, s, 3), ddof=1) for s in sd_true])
    se = _noise(n, sd, np.full(len(n), 3))
    # Smooth in n (a 3-fold sd is itself noisy) and about right on average.
    assert se[0] > 2 * se[-1]
    ratio = se / (sd_true / np.sqrt(3))
    assert 0.6 < float(np.exp(np.mean(np.log(ratio)))) < 1.6
    assert np.all(np.isfinite(_noise(n, np.full(len(n), np.nan), np.ones(len(n), dtype=int))))


def test_backtest_subtracts_the_noise_and_weights_by_precision() -> None:
    from advisor.probing.curve_backtest import backtest as _backtest

    rng = np.random.default_rng(8)
    n = GRID
    se = 0.002 * (1024 / n) ** 0.5  # small anchors noisier
    # A true pow3 curve: its systematic backtest error is about 0 whatever the noise;
    # "last" (no trend) has a real error. The weighting error keeps the noise.
    y = family_value("pow3", TRUE["pow3"], n / 1024) + rng.normal(0, se)
    bt, raw = _backtest(("last", "pow3"), n, y, se, float(y.min()), 1.0)
    assert bt["pow3"] < 0.5 * bt["last"]
    assert raw["pow3"] >= bt["pow3"] and raw["last"] >= bt["last"]
    flat = 0.8 + rng.normal(0, se)
    bt_flat, _ = _backtest(("last",), n, flat, se, float(flat.min()), 1.0)
    assert bt_flat["last"] < 0.01  # pure noise: nothing systematic to extrapolate


def test_trend_within_its_noise_is_shrunk_towards_the_last_score() -> None:
    rng = np.random.default_rng(9)
    folds = [[(n, 0.8 + 0.004 * math.log(n / 23) / 4 + rng.normal(0, 0.006)) for n in GRID] for _ in range(3)]
    fit = fit_learning_curve(folds)
    assert fit.weights.get("last", 0.0) > 0.0 and sum(fit.weights.values()) == pytest.approx(1.0)
    assert float(curve_value(fit, 10 * 1024)) == pytest.approx(fit.predicted["10x"].mean, abs=1e-9)
    # A clear trend is not shrunk: the pow3 curve's projection stays near the truth.
    clear = fit_learning_curve([[(n, _law(n) + e) for n in GRID] for e in (-0.002, 0.0, 0.002)])
    assert clear.predicted["10x"].mean == pytest.approx(_law(10240), abs=3e-3)


def test_curve_fit_is_fast() -> None:
    rng = np.random.default_rng(6)
    folds = [[(n, _law(n) + rng.normal(0, 0.003)) for n in GRID] for _ in range(3)]
    fit_learning_curve(folds)  # imports
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        fit_learning_curve(folds)
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.1  # about 50 ms on an idle core; slack for a busy machine


def test_curve_value_follows_the_projection() -> None:
    folds = [[(n, _law(n) + eps) for n in NS] for eps in (-0.002, 0.0, 0.002)]
    fit = fit_learning_curve(folds)
    assert float(curve_value(fit, 20000)) == pytest.approx(fit.predicted["10x"].mean, abs=1e-9)
    assert float(curve_value(fit, 2000)) == pytest.approx(fit.last_score, abs=1e-9)


def _fold_curves(c: float, a: float, b: float, sizes: np.ndarray = GRID) -> list[list[tuple[float, float]]]:
    return [[(float(n), c - a * n ** (-b) + eps) for n in sizes] for eps in (-0.001, 0.0, 0.001)]


def test_crossing_point_of_a_steeper_curve() -> None:
    leader = fit_learning_curve(_fold_curves(0.86, 0.5, 0.5))  # flat early, saturates
    steep = fit_learning_curve(_fold_curves(0.97, 6.0, 0.5))  # behind at 1,024 rows, still climbing
    assert curve_value(steep, 1024) < curve_value(leader, 1024)
    est = crossing(steep, leader)
    assert est is not None and not est.already and est.rows is not None and 1024 < est.rows < 100 * 1024
    # Near where the two true curves cross: 0.86 - 0.5/sqrt(n) = 0.97 - 6/sqrt(n) -> n = (5.5/0.11)^2.
    assert est.rows == pytest.approx((5.5 / 0.11) ** 2, rel=0.2)
    # The interval brackets the central estimate: optimistic earlier, pessimistic later (or never).
    assert est.rows_low is not None and est.rows_low <= est.rows
    assert est.rows_high is None or est.rows_high >= est.rows
    ahead = crossing(leader, steep)  # the flat one is ahead at the start: nothing to overtake
    assert ahead is not None and ahead.already
    far = fit_learning_curve(_fold_curves(0.87, 2.0, 0.5))
    far_est = crossing(far, leader)
    assert far_est is not None and (far_est.rows is None or far_est.rows > 1024)


def test_band_spans_the_projections_and_brackets_them() -> None:
    fit = fit_learning_curve(_fold_curves(0.95, 3.0, 0.5))
    assert fit.band_rows[0] == 1024 and fit.band_rows[-1] == 102_400
    assert all(lo <= m <= hi for lo, m, hi in zip(fit.band_low, fit.band_mid, fit.band_high, strict=True))
    i = fit.band_rows.index(min(fit.band_rows, key=lambda n: abs(n - 10_240)))
    assert fit.band_mid[i] == pytest.approx(fit.predicted["10x"].mean, abs=2e-3)


def test_rows_to_a_target_score() -> None:
    # 0.95 - 3/sqrt(n): 0.90 is reached at n = (3/0.05)^2 = 3,600 rows, 0.93 at 22,500.
    fit = fit_learning_curve(_fold_curves(0.95, 3.0, 0.5))
    est = rows_to_score(fit, 0.93)
    assert est is not None and not est.already and est.rows == pytest.approx(22_500, rel=0.3)
    assert est.rows_low is not None and est.rows_low <= est.rows
    assert est.rows_high is None or est.rows_high >= est.rows
    reached = rows_to_score(fit, 0.5)
    assert reached is not None and reached.already and reached.rows == 1024
    beyond = rows_to_score(fit, 0.999)  # above the asymptote: not within 100x
    assert beyond is not None and beyond.rows is None and beyond.rows_high is None


def test_curve_advice_shows_intervals_and_the_crossing() -> None:
    from advisor.advice import curve_advice
    from advisor.probe_api import ProbeResult, Score
    from advisor.verdict.model import Recommendation

    def result(family: str, params: tuple[float, float, float]) -> ProbeResult:
        fit = fit_learning_curve(_fold_curves(*params))
        at = params[0] - params[1] * 1024 ** (-params[2])
        return ProbeResult(
            name=family, family=family, status="ok", score=Score(at, 0.01, [at] * 5), curve_fit=fit
        )

    rec = Recommendation(family="linear", model="ridge", confidence="high", decided_by="test")
    out = curve_advice(rec, [result("linear", (0.86, 0.5, 0.5)), result("mlp", (0.97, 6.0, 0.5))])
    assert len(out) == 1 and out[0].startswith("More data: at about 10,240 training rows (10x), the mlp")
    assert " to " in out[0] and "80% intervals" in out[0] and "overtakes linear's at about" in out[0]
    alone = curve_advice(rec, [result("linear", (0.86, 0.5, 0.5))])
    assert alone[0].startswith("More data is not projected to change the ranking") and " to " in alone[0]


# --- still steep, capped, cut ------------------------------------------------------------


def _steep_folds(rng: np.random.Generator, noise: float = 0.004) -> list[list[tuple[float, float]]]:
    """A curve that decelerates over the measured sizes (a pow3 bending to 0.86), as a
    too-flat family fit would read it, measured at 3 folds."""
    return [[(n, 0.86 - 1.6 * n**-0.45 + rng.normal(0, noise)) for n in GRID] for _ in range(3)]


def test_steep_curve_keeps_its_continuation_inside_the_interval() -> None:
    """'More is different': the families read the bend of the measured sizes; the learner
    changes at larger sizes and keeps the slope of the last anchors. The interval's high end
    must hold that continuation (a power law towards the metric's maximum with the local
    slope), stay below the maximum, and the projection itself stays the families'."""
    from advisor.probing.curve_families import local_slope
    from advisor.probing.curves import _continuation

    rng = np.random.default_rng(10)
    for _ in range(5):
        folds = _steep_folds(rng)
        fit = fit_learning_curve(folds, metric_max=1.0)
        mean = np.mean([[s for _, s in f] for f in folds], axis=0)
        _, slope, _ = local_slope(GRID / GRID[-1], mean, None)
        assert slope > 0.01  # still rising at its end
        keeps_slope = _continuation(fit.last_score, slope, 1.0, 10.0)
        assert fit.predicted["10x"].mean < keeps_slope <= fit.predicted_high["10x"] <= 1.0
        # Asymmetric: the high end is further from the projection than the low end.
        mid = fit.predicted["10x"].mean
        assert fit.predicted_high["10x"] - mid > mid - fit.predicted_low["10x"]


def test_continuation_is_a_saturating_power_law_with_the_local_slope() -> None:
    from advisor.probing.curves import _continuation

    # hi - (hi - last) r^(-c), c = slope / (hi - last): its slope in ln r at r = 1 is `slope`.
    eps = 1e-6
    assert (_continuation(0.8, 0.05, 1.0, math.exp(eps)) - 0.8) / eps == pytest.approx(0.05, rel=1e-3)
    assert _continuation(0.8, 0.05, 1.0, 1e9) < 1.0
    assert _continuation(0.8, 0.05, 1.0, 10.0) < 0.8 + 0.05 * math.log(10.0)  # below the straight line
    assert _continuation(0.8, -0.05, 1.0, 10.0) == 0.8  # a falling curve does not continue upwards
    assert _continuation(1.0, 0.05, 1.0, 10.0) == 1.0


def test_flat_curve_that_jumps_at_the_last_anchor_is_not_extrapolated_as_a_sigmoid() -> None:
    """Noise around 0.5 with a jump at the last anchor (a curve that hovers, then one lucky
    point): the families can fit a sigmoid that reaches 0.95 at 10x. A family's gain beyond
    the last anchor is capped by how fast the last anchors rise (their optimistic slope)."""
    rng = np.random.default_rng(11)
    shape = [0.52, 0.51, 0.50, 0.48, 0.48, 0.50, 0.49, 0.49, 0.50, 0.50, 0.55]
    folds = [[(n, s + rng.normal(0, 0.01)) for n, s in zip(GRID, shape, strict=True)] for _ in range(3)]
    fit = fit_learning_curve(folds, metric_max=1.0)
    from advisor.probing.curve_anchors import noise as _noise
    from advisor.probing.curve_families import local_slope

    mean = np.mean([[s for _, s in f] for f in folds], axis=0)
    sd = np.std([[s for _, s in f] for f in folds], axis=0, ddof=1)
    _, slope, slope_se = local_slope(GRID / GRID[-1], mean, _noise(GRID, sd, np.full(len(GRID), 3)))
    room = (slope + 1.2816 * slope_se) * math.log(10.0)
    assert fit.predicted["10x"].mean <= fit.last_score + room + 1e-9
    assert fit.predicted["10x"].mean < 0.7


def test_cut_points_are_left_out_and_said() -> None:
    """A curve point whose fit the clock cut is a lower bound: the fit leaves it out (the
    full-size points stay) and says how many."""
    rng = np.random.default_rng(12)
    truth = [_law(n) for n in GRID]
    folds, cut = [], []
    for _ in range(3):
        pts, flags = [], []
        for i, (n, s) in enumerate(zip(GRID, truth, strict=True)):
            is_cut = i in (8, 9)  # two large curve anchors stopped early, far below their truth
            pts.append((n, s - (0.1 if is_cut else 0.0) + rng.normal(0, 0.002)))
            flags.append(is_cut or i == len(GRID) - 1)  # the full-size fit was cut too: kept
        folds.append(pts)
        cut.append(flags)
    fit = fit_learning_curve(folds, cut=cut)
    plain = fit_learning_curve(folds)
    assert "6 learning-curve points left out of the fit" in fit.note and "--budget" in fit.note
    assert fit.n_ref == GRID[-1]  # the full size stays
    assert fit.predicted["10x"].mean == pytest.approx(_law(10 * GRID[-1]), abs=5e-3)
    assert abs(plain.predicted["10x"].mean - _law(10 * GRID[-1])) > abs(
        fit.predicted["10x"].mean - _law(10 * GRID[-1])
    )
    same = fit_learning_curve(folds, cut=[[False] * len(GRID)] * 3)
    assert same.predicted == plain.predicted and "left out" not in same.note


def test_curve_points_carry_which_fits_were_cut() -> None:
    from advisor.probing.summary import Fit, curve_points

    fits = [
        Fit(fold, fi, n, 50, 0.1, 0.01, {"r2": 0.5 + 0.01 * fi}, cut=(fold == 0 and fi == 1))
        for fold in range(3)
        for fi, n in enumerate((20, 40, 80))
        if fold < 2 or fi == 2  # fold 2: only its full-size fit
    ]
    points, cut = curve_points(fits, 3, "r2")
    assert points == [[(20, 0.5), (40, 0.51), (80, 0.52)], [(20, 0.5), (40, 0.51), (80, 0.52)]]
    assert cut == [[False, True, False], [False, False, False]]


def test_the_all_folds_anchor_sets_the_end_of_the_fitted_curve() -> None:
    """The largest size is measured on every fold (the anchor), the curve folds only on a few:
    the fit bends towards the better-measured level, so a curve whose few folds happen to end
    low is not read as saturating."""
    from advisor.probe_api import Score

    rng = np.random.default_rng(13)
    folds = [[(n, _law(n) + rng.normal(0, 0.002)) for n in GRID] for _ in range(3)]
    for f in folds:  # the three curve folds end 1.5 points low
        f[-1] = (f[-1][0], f[-1][1] - 0.015)
    level = _law(GRID[-1])
    anchor = Score(level, 0.01, [level + e for e in np.linspace(-0.01, 0.01, 25)])
    with_anchor = fit_learning_curve(folds, anchor=anchor)
    truth = _law(10 * GRID[-1])
    assert with_anchor.last_score == pytest.approx(level)
    assert with_anchor.predicted["10x"].mean == pytest.approx(truth, abs=6e-3)


def test_overtaking_means_ahead_by_more_than_the_margin() -> None:
    leader = fit_learning_curve(_fold_curves(0.86, 0.5, 0.5))
    level = fit_learning_curve(_fold_curves(0.862, 0.5, 0.5))  # a hair ahead everywhere: practically level
    assert crossing(level, leader).already  # type: ignore[union-attr]
    within = crossing(level, leader, margin=0.01)
    assert within is not None and not within.already and within.rows is None  # never ahead by 0.01
    steep = fit_learning_curve(_fold_curves(0.97, 6.0, 0.5))
    plain, by_rope = crossing(steep, leader), crossing(steep, leader, margin=0.01)
    assert plain is not None and by_rope is not None and plain.rows and by_rope.rows
    # 0.86 - 0.5/sqrt(n) + 0.01 = 0.97 - 6/sqrt(n): sqrt(n) = 5.5 / 0.1, later than 5.5 / 0.11.
    assert by_rope.rows == pytest.approx((5.5 / 0.10) ** 2, rel=0.2) and by_rope.rows > plain.rows


def test_an_interval_holds_its_projection_when_the_level_lies_below_every_curve_point() -> None:
    """Small folds of an easy problem: every curve fold scores AUC 1.0, while the 25 folds at
    the full size average 0.987. The floor of the projections must reach the level: one from
    the curve points alone (0.99) lifted the interval's low end above the projection itself."""
    folds = [[(n, 1.0) for n in (20, 27, 35, 46)] for _ in range(3)]
    every = [1.0] * 20 + [0.95, 0.93, 0.97, 0.98, 0.845]
    anchor = Score(float(np.mean(every)), float(np.std(every, ddof=1)), every)
    fit = fit_learning_curve(folds, metric_max=1.0, anchor=anchor)
    assert fit.ok
    for key, score in fit.predicted.items():
        assert fit.predicted_low[key] <= score.mean <= fit.predicted_high[key], key
        assert fit.predicted_low[key] < anchor.mean  # the level's own noise is in the interval
    assert all(lo <= mid <= hi for lo, mid, hi in zip(fit.band_low, fit.band_mid, fit.band_high, strict=True))
