"""Benchmark: does the verdict come out as expected on cases with a known answer?

Each case is a small table, generated (seeded) into a temporary folder or
taken from scikit-learn's bundled ``load_*`` sets and written to CSV, with the
verdict we expect: leaks that must be excluded from the headline, data with no
signal, data where linear, GBDT or a CNN is right, ties, time-ordered rows and
repeated customers. Every case runs ``advisor.recommend(path, target=...,
budget=BUDGET, seed=0)`` in this process and the script prints one Markdown
table and "N of M as expected". It is a measurement, not a test: the exit code
is always 0, and misses are marked **MISS** with what missed.

    python benchmarks/bench_verdict.py                       # all cases, 30 s probe budget each
    python benchmarks/bench_verdict.py --budget 10 --cases no_signal,wine
    python benchmarks/bench_verdict.py --budget 20 --out verdicts.md

Fields that the verdict rewrite adds (``decision``, ``comparisons``,
``signal``, ``leakage.excluded``) are read with ``getattr`` and shown as "n/a"
on code that lacks them; the rival is then taken from ``ranking`` (gap and its
standard error instead of probabilities).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NA = "n/a"


@dataclass(frozen=True)
class Case:
    """One benchmark case: how to make its CSV and what the verdict should be."""

    name: str
    tests: str  # what it tests, one short phrase
    target: str
    expected: frozenset[str]  # acceptable verdict families
    make: Callable[[Path], Path]  # writes the CSV into the folder, returns its path
    expect_excluded: frozenset[str] = frozenset()  # columns the headline must leave out
    expect_split: str | None = None  # "random" | "time" | "group", None: not checked
    options: Mapping[str, Any] = field(default_factory=dict)  # extra recommend() keyword arguments
    # --goal explain: columns the explanation must name as drivers (a proxy of one counts),
    # with a stable ranking
    expect_drivers: frozenset[str] = frozenset()
    note: str = ""


@dataclass
class Outcome:
    case: Case
    family: str = ""
    confidence: str = ""
    decision: str = NA
    rival: str = NA  # the verdict family vs its strongest rival
    signal: str = NA  # the best family vs the trivial baseline
    excluded: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)  # leakage suspects (shown when none are excluded)
    family_without: str = ""  # the verdict re-measured without the suspects, when the report has it
    split: str = NA
    seconds: float = 0.0
    error: str = ""
    misses: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and not self.misses


# --- data -------------------------------------------------------------------------------------------


def _rng(seed: int):
    import numpy as np

    return np.random.default_rng(seed)


def _write(frame, folder: Path, name: str) -> Path:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path


def _sigmoid(z):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-z))


def make_single_leak(folder: Path) -> Path:
    """3,000 rows: a weak linear logit in f0..f3 (f4, f5 noise) and a noisy copy of the target.

    The copy is ``churned + N(0, 0.215)``: about 1% of rows fall on the wrong side
    of 0.5 (accuracy 0.99, ROC AUC about 0.9995).
    """
    import numpy as np
    import pandas as pd

    rng, n = _rng(1), 3000
    x = rng.normal(size=(n, 6))
    logit = 0.8 * x[:, 0] - 0.6 * x[:, 1] + 0.5 * x[:, 2] - 0.4 * x[:, 3]
    y = (rng.random(n) < _sigmoid(logit)).astype(int)
    frame = pd.DataFrame(x.round(4), columns=[f"f{i}" for i in range(6)])
    frame["churn_score_after"] = np.round(y + rng.normal(0, 0.215, n), 4)
    frame["churned"] = y
    return _write(frame, folder, "single_leak")


def make_sum_leak(folder: Path) -> Path:
    """3,000 rows: visits_total = visits_web + visits_store, each a noisy linear count of x0..x3.

    Each count alone has Spearman about 0.7 with the total (not a single-column
    leak); together they give the target exactly. x4, x5 are noise. The real
    features explain about 74% of the variance, linearly.
    """
    import numpy as np
    import pandas as pd

    rng, n = _rng(2), 3000
    x = rng.normal(size=(n, 6))
    web = np.clip(np.round(20 + 4 * x[:, 0] + 3 * x[:, 1] + rng.normal(0, 3, n)), 0, None)
    store = np.clip(np.round(30 + 3 * x[:, 2] - 4 * x[:, 3] + rng.normal(0, 3, n)), 0, None)
    frame = pd.DataFrame(x.round(4), columns=[f"x{i}" for i in range(6)])
    frame["visits_web"] = web.astype(int)
    frame["visits_store"] = store.astype(int)
    frame["visits_total"] = (web + store).astype(int)
    return _write(frame, folder, "sum_leak")


def make_log_leak(folder: Path) -> Path:
    """3,000 rows: price linear in x0..x2 plus noise (x3, x4 noise); log_price = log(price) + N(0, 0.001)."""
    import numpy as np
    import pandas as pd

    rng, n = _rng(3), 3000
    x = rng.normal(size=(n, 5))
    price = np.clip(100 + 15 * x[:, 0] - 10 * x[:, 1] + 8 * x[:, 2] + rng.normal(0, 10, n), 1, None)
    frame = pd.DataFrame(x.round(4), columns=[f"x{i}" for i in range(5)])
    frame["log_price"] = np.round(np.log(price) + rng.normal(0, 0.001, n), 5)
    frame["price"] = price.round(2)
    return _write(frame, folder, "log_leak")


def make_no_signal(folder: Path) -> Path:
    """2,000 rows x 10 Gaussian features, a fair-coin binary target independent of them."""
    import pandas as pd

    rng, n = _rng(4), 2000
    frame = pd.DataFrame(rng.normal(size=(n, 10)).round(4), columns=[f"x{i}" for i in range(10)])
    frame["label"] = rng.integers(0, 2, n)
    return _write(frame, folder, "no_signal")


def make_linear(folder: Path) -> Path:
    """500 rows x 30 Gaussian features; y = X @ beta + noise, R^2 about 0.8."""
    import numpy as np
    import pandas as pd

    rng, n, p = _rng(5), 500, 30
    x = rng.normal(size=(n, p))
    beta = rng.normal(size=p)
    signal = x @ beta
    y = signal + rng.normal(0, 0.5 * float(np.std(signal)), n)
    frame = pd.DataFrame(x.round(4), columns=[f"x{i}" for i in range(p)])
    frame["y"] = y.round(4)
    return _write(frame, folder, "linear")


def make_gbdt(folder: Path) -> Path:
    """5,000 rows x 10 uniform(-1, 1) features; the logit is an XOR of x0, x1 plus steps in x2, x3, x4.

    x5..x9 are noise. A linear model cannot represent the XOR.
    """
    import numpy as np
    import pandas as pd

    rng, n = _rng(6), 5000
    x = rng.uniform(-1, 1, size=(n, 10))
    xor = np.where((x[:, 0] > 0) ^ (x[:, 1] > 0), 1.0, -1.0)
    logit = 2.5 * xor + 2.0 * (x[:, 2] > 0.3) - 2.0 * (x[:, 3] < -0.2) + 1.5 * (x[:, 4] > 0.6) - 0.45
    y = (rng.random(n) < _sigmoid(logit)).astype(int)
    frame = pd.DataFrame(x.round(4), columns=[f"x{i}" for i in range(10)])
    frame["y"] = y
    return _write(frame, folder, "gbdt")


def make_digits(folder: Path) -> Path:
    """sklearn load_digits: 1,797 8x8 images as 64 columns pixel_0..pixel_63 (values 0..16)."""
    import pandas as pd
    from sklearn.datasets import load_digits

    d = load_digits()
    frame = pd.DataFrame(d.data.astype(int), columns=[f"pixel_{i}" for i in range(64)])
    frame["digit"] = d.target
    return _write(frame, folder, "digits")


def make_digits_grid(folder: Path) -> Path:
    """The same digits as ``load_digits(as_frame=True)`` names them: pixel_0_0..pixel_7_7 (row, column)."""
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame.astype(int).rename(columns={"target": "digit"})
    return _write(frame, folder, "digits_grid")


def make_breast_cancer(folder: Path) -> Path:
    """sklearn load_breast_cancer: 569 rows, 30 named measurements, binary diagnosis."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    frame = pd.DataFrame(d.data, columns=list(d.feature_names))
    frame["diagnosis"] = d.target
    return _write(frame, folder, "breast_cancer")


def make_time(folder: Path) -> Path:
    """1,500 daily rows from 2020-01-01 with a `date` column.

    y = 2 level + 1.5 x1 - x2 + shock[month] + N(0, 0.5), where level rises from
    0 to 10 over the period (a drifting index, with noise) and each calendar month
    has its own shock (sd 1.5). Random folds let a GBDT memorise the monthly
    shocks from neighbouring days and so look better than linear; held out in
    time, the shocks are unknown and the GBDT cannot extrapolate the level, so
    linear is right.
    """
    import numpy as np
    import pandas as pd

    rng, n = _rng(9), 1500
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    t = np.arange(n)
    level = 10 * t / n + rng.normal(0, 0.3, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    month = (dates.year - 2020) * 12 + dates.month
    shocks = rng.normal(0, 1.5, int(month.max()) + 1)
    y = 2 * level + 1.5 * x1 - x2 + shocks[np.asarray(month)] + rng.normal(0, 0.5, n)
    frame = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "level": level.round(4),
            "x1": x1.round(4),
            "x2": x2.round(4),
            "sales": y.round(4),
        }
    )
    return _write(frame, folder, "time_drift")


def make_groups(folder: Path) -> Path:
    """200 customers x 10 rows, with a `customer_id` column ("C0000".."C0199").

    Per customer: age (standardised, the only between-customer signal, linear),
    three constant profile numbers z1..z3 with no effect that identify the
    customer, and a random customer effect u (sd 1.5). Per row: x (linear).
    y = age + 0.8 x + u + N(0, 0.5). Random folds put each customer's rows on
    both sides, so a GBDT memorises u from z1..z3; held out by customer only age
    and x generalise (R^2 about 0.4), linearly.
    """
    import numpy as np
    import pandas as pd

    rng, n_cust, per = _rng(10), 200, 10
    cust = np.repeat(np.arange(n_cust), per)
    age = rng.normal(size=n_cust)
    z = rng.normal(size=(n_cust, 3))
    u = rng.normal(0, 1.5, n_cust)
    x = rng.normal(size=n_cust * per)
    y = age[cust] + 0.8 * x + u[cust] + rng.normal(0, 0.5, n_cust * per)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{c:04d}" for c in cust],
            "age": age[cust].round(4),
            "z1": z[cust, 0].round(4),
            "z2": z[cust, 1].round(4),
            "z3": z[cust, 2].round(4),
            "x": x.round(4),
            "spend": y.round(4),
        }
    )
    order = rng.permutation(len(frame))  # rows of one customer are not adjacent
    return _write(frame.iloc[order], folder, "customers")


def make_sensors(folder: Path) -> Path:
    """60 sensors x 60 hourly readings (`sensor_id`, `timestamp`), rows sorted by sensor, then time.

    Each sensor's `reading` is a random walk and `temp` is noise; the alarm is "the
    last three readings rose" (about 1 row in 8). No row on its own shows it: the
    per-row models sit near chance, while lags of each sensor's past readings (or a
    recurrent net over them) see it directly.
    """
    import numpy as np
    import pandas as pd

    rng, n_sensors, n_readings = _rng(12), 60, 60
    stamps = pd.date_range("2024-01-01", periods=n_readings, freq="h").strftime("%Y-%m-%d %H:%M")
    parts = []
    for s in range(n_sensors):
        reading = np.cumsum(rng.normal(size=n_readings))
        rise = np.diff(reading, prepend=np.nan) > 0
        alarm = rise & np.roll(rise, 1) & np.roll(rise, 2)
        alarm[:3] = False
        parts.append(
            pd.DataFrame(
                {
                    "sensor_id": f"S{s:02d}",
                    "timestamp": stamps,
                    "reading": reading.round(4),
                    "temp": rng.normal(size=n_readings).round(4),
                    "alarm": alarm.astype(int),
                }
            )
        )
    return _write(pd.concat(parts, ignore_index=True), folder, "sensors")


def make_diabetes(folder: Path) -> Path:
    """sklearn load_diabetes: 442 rows, 10 standardised features, disease progression (regression)."""
    import pandas as pd
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    frame = pd.DataFrame(d.data, columns=list(d.feature_names))
    frame["progression"] = d.target
    return _write(frame, folder, "diabetes")


def make_wine(folder: Path) -> Path:
    """sklearn load_wine: 178 rows, 13 measurements, 3 cultivars (multiclass)."""
    import pandas as pd
    from sklearn.datasets import load_wine

    d = load_wine()
    frame = pd.DataFrame(d.data, columns=list(d.feature_names))
    frame["cultivar"] = d.target
    return _write(frame, folder, "wine")


def make_drivers(folder: Path) -> Path:
    """2,000 rows: a logistic target in a (strong, +) and b (-); a_copy = a + N(0, 0.1); two noise columns."""
    import pandas as pd

    rng, n = _rng(11), 2000
    a, b = rng.normal(size=n), rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "noise1": rng.normal(size=n).round(4),
            "a": a.round(4),
            "b": b.round(4),
            "a_copy": (a + rng.normal(0, 0.1, n)).round(4),
            "noise2": rng.normal(size=n).round(4),
        }
    )
    frame["y"] = (rng.random(n) < _sigmoid(2.0 * a - 1.2 * b)).astype(int)
    return _write(frame, folder, "drivers")


def make_tones(folder: Path, per_class: int = 150, directions: bool = True) -> Path:
    """An audio folder of 1 s noisy tones at 8 kHz (advisor.testing.make_tone_folder): with
    ``directions``, 4 classes whose pitch and timbre tell two pairs apart and only the sweep's
    direction in time the two of each pair; without, 2 classes apart in pitch and timbre."""
    from advisor.testing import make_tone_folder

    classes = ("low-up", "low-down", "high-up", "high-down") if directions else ("low-up", "high-down")
    return make_tone_folder(folder / "tones", per_class, classes=classes, seconds=1.0, rate=8000)


def cases() -> list[Case]:
    """The benchmark cases, in table order."""
    s = frozenset
    return [
        Case(
            "single_leak",
            "one column is the target + noise (~1% misordered); real features weak, linear",
            "churned",
            s({"linear"}),
            make_single_leak,
            expect_excluded=s({"churn_score_after"}),
        ),
        Case(
            "sum_leak",
            "target = visits_web + visits_store (neither alone flags); real features linear",
            "visits_total",
            s({"linear"}),
            make_sum_leak,
            expect_excluded=s({"visits_web", "visits_store"}),
        ),
        Case(
            "log_leak",
            "log_price = log(target) + tiny noise; real features linear",
            "price",
            s({"linear"}),
            make_log_leak,
            expect_excluded=s({"log_price"}),
        ),
        Case(
            "no_signal", "10 random features, coin-flip binary target", "label", s({"none"}), make_no_signal
        ),
        Case("linear", "linear regression + noise, 500 rows x 30 features", "y", s({"linear"}), make_linear),
        Case(
            "gbdt",
            "XOR of x0, x1 plus step functions of x2..x4; 5,000 rows x 10",
            "y",
            s({"gbdt"}),
            make_gbdt,
        ),
        Case(
            "digits",
            "sklearn digits as a pixel table (pixel_0..pixel_63), 1,797 rows",
            "digit",
            s({"cnn", "mlp"}),
            make_digits,
            note="a CNN should win on pixel grids given enough data; 1,797 rows is little, so an MLP is accepted",
        ),
        Case(
            "digits_grid",
            "the same digits named by row and column (pixel_0_0..pixel_7_7), as load_digits(as_frame=True) has them",
            "digit",
            s({"cnn", "mlp"}),
            make_digits_grid,
            note="the grid is read from the two indices: the same answer as digits",
        ),
        Case(
            "breast_cancer",
            "sklearn breast cancer: linear, gbdt, mlp all near AUC 0.99 (tie -> simplest)",
            "diagnosis",
            s({"linear"}),
            make_breast_cancer,
        ),
        Case(
            "time_drift",
            "daily rows, rising level + monthly shocks: random folds flatter GBDT; split auto",
            "sales",
            s({"linear"}),
            make_time,
            expect_split="time",
        ),
        Case(
            "customers",
            "200 customers x 10 rows, customer effect memorisable from profile columns; split auto",
            "spend",
            s({"linear"}),
            make_groups,
            expect_split="group",
        ),
        Case(
            "diabetes",
            "sklearn diabetes regression, 442 rows (ridge is about best)",
            "progression",
            s({"linear"}),
            make_diabetes,
        ),
        Case("wine", "sklearn wine, 3 classes, 178 rows", "cultivar", s({"linear"}), make_wine),
        Case(
            "audio",
            "audio folder, 4 x 150 tones: pitch/timbre split two pairs, only the sweep direction in time each pair",
            "label",
            s({"cnn"}),
            make_tones,
            note="log-mel/MFCC summaries keep little order in time (GBDT about 0.71 macro-F1); a spectrogram CNN "
            "can, given the time: at 30 s on 2 shared CPU cores it is cut after an epoch (a lower bound)",
        ),
        Case(
            "audio_few",
            "audio folder, 2 x 12 tones apart in pitch and timbre: few clips",
            "label",
            s({"gbdt"}),
            lambda folder: make_tones(folder, 12, directions=False),
            note="summaries separate the classes; a from-scratch CNN has too few clips",
        ),
        Case(
            "sensors",
            "60 sensors x 60 readings, alarm = last three readings rose: the signal is in the order",
            "alarm",
            s({"gbdt", "rnn"}),
            make_sensors,
            expect_split="time",
            note="gbdt through seq_gbdt (lag features); the per-row lightgbm probe stays near chance",
        ),
        Case(
            "explain_drivers",
            "--goal explain; logistic in a, b; a_copy ~ a; two noise columns: drivers a, b, stable",
            "y",
            s({"linear"}),
            make_drivers,
            options={"goal": "explain"},
            expect_drivers=s({"a", "b"}),
        ),
    ]


# --- running ----------------------------------------------------------------------------------------


def _p(x: Any) -> str:
    return f"{x:.2f}" if isinstance(x, (int, float)) else "?"


def _probs(c: Any) -> str:
    return f"{_p(getattr(c, 'p_leader_better', None))}/{_p(getattr(c, 'p_equivalent', None))}/" + _p(
        getattr(c, "p_other_better", None)
    )


def _rival(rec: Any) -> str:
    """The verdict family against its strongest rival: probabilities when the verdict has them."""
    family = rec.family
    comparisons = getattr(rec, "comparisons", None)
    if comparisons:
        mine = [c for c in comparisons if family in (c.leader, c.other)] or list(comparisons)

        def threat(c: Any) -> tuple[float, float]:
            # how likely the rival is better than the verdict, then how likely they are equivalent
            against = c.p_other_better if c.leader == family else c.p_leader_better
            return (against or 0.0, c.p_equivalent or 0.0)

        c = max(mine, key=threat)
        n = getattr(c, "n_pairs", None)
        return f"{c.leader} vs {c.other}: {_probs(c)}" + (f" (n={n})" if n else "")
    ranking = getattr(rec, "ranking", None) or []
    if len(ranking) < 2:
        return NA
    mine = next((r for r in ranking if r.family == family), ranking[0])
    other = next(r for r in ranking if r is not mine)
    gap = other.gap_to_best - mine.gap_to_best  # > 0: the rival scores below the verdict's family
    tie = ", within noise" if (other.ties_best and mine.ties_best) else ""
    where = "behind" if gap >= 0 else "ahead"
    return f"{mine.family} vs {other.family}: {other.family} {where} by {abs(gap):.3f} ± {other.gap_noise:.3f}{tie}"


def _signal(rec: Any) -> str:
    sig = getattr(rec, "signal", None)
    if sig is None:
        return NA
    return f"{sig.leader} vs {sig.other}: {_probs(sig)}"


def run_case(case: Case, budget: float, folder: Path | None = None) -> Outcome:
    """Make the case's CSV (in ``folder``, else a temporary one), run the advisor, check the verdict."""
    import advisor

    out = Outcome(case)
    with tempfile.TemporaryDirectory(prefix=f"bench_verdict_{case.name}_") as tmp:
        path = case.make(Path(folder) if folder else Path(tmp))
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report = advisor.recommend(path, target=case.target, budget=budget, seed=0, **case.options)
        except Exception as exc:  # a measurement: record the failure and go on
            out.seconds = time.perf_counter() - start
            out.error = f"{type(exc).__name__}: {exc}"[:200]
            return out
        out.seconds = time.perf_counter() - start

    rec = report.recommendation
    out.family, out.confidence = rec.family, rec.confidence
    out.decision = getattr(rec, "decision", None) or NA
    out.rival, out.signal = _rival(rec), _signal(rec)
    leak = report.leakage
    out.excluded = list(getattr(leak, "excluded", None) or []) if leak is not None else []
    out.suspects = list(getattr(leak, "columns", None) or []) if leak is not None else []
    out.family_without = getattr(leak, "family_without", "") if leak is not None else ""
    stage = report.probe_stage
    if stage is not None:
        col = getattr(stage, "split_column", "")
        out.split = getattr(stage, "split", NA) + (f" ({col})" if col else "")

    if out.family not in case.expected:
        out.misses.append(f"verdict {out.family}")
    missing = sorted(case.expect_excluded - set(out.excluded))
    if missing:
        out.misses.append(f"not excluded: {', '.join(missing)}")
    extra = sorted(set(out.excluded) - case.expect_excluded)
    if extra:
        out.misses.append(f"wrongly excluded: {', '.join(extra)}")
    if case.expect_drivers:
        out.misses += _driver_misses(case, getattr(rec, "explanation", None))
    if case.expect_split and getattr(stage, "split", None) != case.expect_split:
        out.misses.append(f"split {getattr(stage, 'split', NA)}, expected {case.expect_split}")
    return out


def _driver_misses(case: Case, ex: Any) -> list[str]:
    """The explanation names the expected drivers (or a proxy of each), stably; noise is not among them."""
    if ex is None or not getattr(ex, "drivers", None):
        return ["no drivers in the explanation"]
    named = {d.column for d in ex.drivers} | {c for d in ex.drivers for c in d.correlated_with}
    misses = [f"driver {c} not named" for c in sorted(case.expect_drivers - named)]
    if ex.stable is not True:
        misses.append(f"ranking not stable ({ex.stability})")
    if any(d.column.startswith("noise") for d in ex.drivers):
        misses.append("a noise column among the drivers")
    return misses


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt_set(values: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(values)) + "}"


HEADER = (
    "| case | what it tests | expected | verdict | confidence | decision | verdict vs strongest rival "
    "P(leader better)/P(equiv)/P(other better) | signal: best vs baseline | leak columns excluded | split | s | "
    "as expected |"
)


def table(outcomes: list[Outcome]) -> str:
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for o in outcomes:
        c = o.case
        expected = _fmt_set(c.expected)
        if c.expect_excluded:
            expected += f"; exclude {', '.join(sorted(c.expect_excluded))}"
        if c.expect_split:
            expected += f"; split {c.expect_split}"
        if o.error:
            verdict, status = "error", f"**MISS**: {o.error}"
        else:
            verdict = o.family
            status = "yes" if o.ok else "**MISS**: " + "; ".join(o.misses)
        excluded = ", ".join(o.excluded) or "none"
        if not o.excluded and o.suspects:
            without = f"; verdict without them: {o.family_without}" if o.family_without else ""
            excluded += f" (suspects: {', '.join(o.suspects)}{without})"
        cells = [
            c.name,
            c.tests + (f" ({c.note})" if c.note else ""),
            expected,
            verdict,
            o.confidence or NA,
            o.decision,
            o.rival,
            o.signal,
            excluded,
            o.split,
            f"{o.seconds:.0f}",
            status,
        ]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    n_ok = sum(o.ok for o in outcomes)
    lines.append("")
    lines.append(f"{n_ok} of {len(outcomes)} as expected")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=30.0, help="probe budget per case, seconds (default 30)")
    ap.add_argument("--cases", default="", help="comma-separated case names to run (default: all)")
    ap.add_argument("--out", type=Path, help="also write the table to this file")
    args = ap.parse_args(argv)
    selected = cases()
    if args.cases:
        wanted = [w.strip() for w in args.cases.split(",") if w.strip()]
        known = {c.name for c in selected}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            print(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        selected = [c for c in selected if c.name in wanted]
    outcomes = []
    for case in selected:
        print(f"running {case.name} ...", file=sys.stderr, flush=True)
        o = run_case(case, args.budget)
        print(
            f"  {o.family or 'error'} ({o.confidence or o.error}) in {o.seconds:.0f} s"
            + ("" if o.ok else "  MISS: " + "; ".join(o.misses or [o.error])),
            file=sys.stderr,
            flush=True,
        )
        outcomes.append(o)
    text = table(outcomes)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
