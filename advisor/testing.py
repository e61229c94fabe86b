"""``check_probe``: the conformance check of a probe plugin, as scikit-learn's ``check_estimator``.

A plugin author runs it on a probe class (or instance) and knows the probe keeps
the contract in ``advisor/probe_api.py`` and ``docs/probes.md``; the test suite
runs it over every probe registered under the ``advisor.probes`` entry point::

    from advisor.testing import check_probe

    check_probe(MyProbe)  # raises AssertionError naming the check that failed

It fits the probe on small generated data for every modality and task it
declares, so it takes seconds, not minutes. Heavy libraries are imported inside
the functions: importing this module is cheap.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, get_args

from advisor.facts import Constraints, Modality
from advisor.families import BASELINE, NAMES

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData
    from advisor.probe_api import FitContext, FittedModel, Probe

MODALITIES: tuple[str, ...] = get_args(Modality)
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
METRICS = {"binary": "roc_auc", "multiclass": "macro_f1", "regression": "r2"}
N_ROWS = 80  # rows of the generated data for every check but the time limit
TIME_ROWS = 1000  # rows for the time-limit check: enough that ignoring the limit shows
SEED = 0
FIT_TIME_LIMIT = 30.0  # seconds: ample for N_ROWS rows, so two fits converge and can be compared
TINY_TIME_LIMIT = 0.2
TIME_SLACK = 5.0  # seconds a fit may overrun TINY_TIME_LIMIT (imports, setup, one step)
RUNNER_BUDGET = 10.0  # seconds for the run through evaluate_probe
SEQUENCE_ENTITIES = 8  # entities of the generated sequence data
PROBA_TOLERANCE = 1e-5  # rows of probabilities sum to 1 within this
# Two fits with the same seed: equal up to float noise, more for torch (threaded reductions).
SAME_SEED_TOLERANCE = {"torch": 1e-4, "other": 1e-9}


def check_probe(
    probe_or_class: Probe | type[Probe],
    *,
    tasks: list[str] | None = None,
    device: str = "cpu",
    constraints: Constraints | None = None,
) -> str | None:
    """Check that a probe keeps the probe contract; raise AssertionError naming the failed check.

    Returns None when every check ran. A probe whose ``setup(constraints)`` says it
    cannot run here (an optional package or its weights missing) has only its
    attributes checked: the reason is returned, for the caller to report (a test skips).

    The checks, each named in the message as ``[name]``:

    - ``attributes``: name, family (one of ``advisor.families.NAMES`` or "baseline"),
      description, modalities, tasks and a finite ``cost_weight`` >= 0;
    - ``supports``: returns None or a string, and a string for undeclared modalities;
    - ``fit`` / ``predictions``: on generated data for each declared modality and
      task, ``fit`` returns a model whose ``predict`` gives (n, n_classes)
      probabilities summing to 1 (also when a class is missing from training), or
      (n,) finite values for regression;
    - ``determinism``: two fits with the same seed predict the same (a tolerance for
      torch); skipped when the clock cut either fit;
    - ``time limit``: with ``FitContext(time_limit=0.2)`` the fit returns within a few
      seconds, and a fit stopped by the clock says so with ``ctx.cut`` (``cut_by_budget``),
      not only in a note;
    - ``runner``: ``advisor.probing.runner.evaluate_probe`` on a 2-fold plan with a
      learning curve gives status "ok" and a finite score.

    ``tasks`` limits the tasks checked (default: all the probe declares). The
    determinism, time-limit and runner checks run once per task, on the first
    modality the probe supports; the predictions check on every modality.
    """
    probe = probe_or_class() if isinstance(probe_or_class, type) else probe_or_class
    label = getattr(probe, "name", type(probe).__name__)
    _check_attributes(probe, label)
    missing = _call(label, "setup", "the constraints given", probe.setup, constraints or Constraints())
    if missing is not None and not isinstance(missing, str):
        _fail(label, "setup", f"must return None or a string, returned {missing!r}")
    if missing:
        return missing
    wanted = [t for t in TASKS if t in probe.tasks and (tasks is None or t in tasks)]
    checked: list[str] = []
    for task in wanted:
        heavy_done = False
        for modality in MODALITIES:
            if modality not in probe.modalities:
                continue
            data = make_data(modality, task)
            if _check_supports(probe, data, label) is not None:
                # A probe for sequence tables declines plain rows: give it readings over time.
                data = make_data(modality, task, sequence=True)
                if _check_supports(probe, data, label) is not None:
                    continue
            what = f"{modality} {task} data"
            first, cut = _check_predictions(probe, data, what, label, device, missing_class=not heavy_done)
            checked.append(what)
            if heavy_done:
                continue
            heavy_done = True
            if not cut:  # the clock stopped the fit: runs stopped at different points can differ
                _check_determinism(probe, data, first, what, label, device)
            timed = make_data(modality, task, n=TIME_ROWS, sequence=data.sequence is not None)
            _check_time_limit(probe, timed, what, label, device)
            _check_runner(probe, data, what, label, device)
    for modality in MODALITIES:
        if modality not in probe.modalities and wanted:
            data = make_data(modality, wanted[0])
            if _check_supports(probe, data, label) is None:
                _fail(label, "supports", f"returned None for {modality} data, a modality it does not declare")
    if wanted and not checked:
        _fail(label, "supports", f"declined every generated dataset ({', '.join(wanted)} tasks)")
    return None


def make_data(
    modality: str, task: str, n: int = N_ROWS, seed: int = SEED, *, sequence: bool = False
) -> ProbeData:
    """Small generated ``ProbeData`` of ``modality`` and ``task`` whose target follows
    one hidden signal (seen by every modality), with missing values and a categorical.
    ``sequence``: the rows are also readings of ``SEQUENCE_ENTITIES`` entities over time
    (``groups``, ``time_key``, ``sequence="row"``), for the probes of sequence tables."""
    import numpy as np
    import pandas as pd

    from advisor.data import ProbeData

    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    noisy = signal + rng.normal(0.0, 0.5, n)
    if task == "binary":
        y, names = (noisy > 0).astype(np.int64), ["no", "yes"]
    elif task == "multiclass":
        y, names = np.digitize(noisy, np.quantile(noisy, [1 / 3, 2 / 3])).astype(np.int64), ["a", "b", "c"]
    else:
        y, names = (2.0 * noisy + 1.0).astype(np.float64), []
    if modality == "image":
        level = (signal - signal.min()) / (np.ptp(signal) or 1.0)  # brightness carries the signal
        pixels = 40 + 160 * level[:, None, None, None] + rng.normal(0, 30, (n, 8, 8, 1))
        images = np.clip(pixels, 0, 255).astype(np.uint8)
        return ProbeData(task=task, modality=modality, y=y, class_names=names, images=images, n_rows_total=n)
    if modality == "audio":
        # Log-mel spectrograms (16 bands x 24 frames, dB) of a noisy tone whose band follows the signal.
        band = np.clip(np.round((signal - signal.min()) / (np.ptp(signal) or 1.0) * 15), 0, 15).astype(np.int64)
        spectrograms = rng.normal(-60.0, 6.0, (n, 16, 24))
        spectrograms[np.arange(n), band, :] += 40.0
        return ProbeData(
            task=task, modality=modality, y=y, class_names=names, n_rows_total=n,
            spectrograms=spectrograms.astype(np.float32),
        )  # fmt: skip
    columns: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    if modality == "signal":
        grid = signal[:, None] + rng.normal(size=(n, 16))
        for j in range(16):
            columns[f"p{j}"], kinds[f"p{j}"] = grid[:, j], "numeric"
    if modality in ("tabular", "mixed"):
        x0 = signal + rng.normal(0.0, 0.3, n)
        x0[::7] = np.nan
        columns["x0"], columns["x1"] = x0, rng.normal(size=n)
        columns["colour"] = pd.Categorical(rng.choice(["red", "green", "blue"], n))
        kinds.update(x0="numeric", x1="numeric", colour="categorical")
    if modality in ("text", "mixed"):
        good, bad, filler = ["good", "great", "fine"], ["bad", "poor", "awful"], ["the", "a", "film", "was"]
        docs = [
            " ".join(
                [str(rng.choice(filler)), str(rng.choice(good if s > 0 else bad)), str(rng.choice(filler))]
            )
            for s in signal
        ]
        docs[3] = ""  # an empty document
        columns["review"], kinds["review"] = pd.Series(docs, dtype=object), "text"
    pixel_shape = (4, 4, 1) if modality == "signal" else None
    data = ProbeData(
        task=task, modality=modality, y=y, class_names=names, X=pd.DataFrame(columns),
        feature_kinds=kinds, pixel_shape=pixel_shape, n_rows_total=n,
    )  # fmt: skip
    if sequence:  # row i is reading i // k of entity i % k
        rows = np.arange(n)
        data.groups = (rows % SEQUENCE_ENTITIES).astype(np.int64)
        data.time_key = (rows // SEQUENCE_ENTITIES).astype(np.float64)
        data.sequence, data.time_column, data.group_column = "row", "t", "entity"
    return data


# Generated tone classes: (base pitch in Hz, harmonic amplitudes, sweep in octaves over the clip).
TONES: dict[str, tuple[float, tuple[float, ...], float]] = {
    "low-up": (220.0, (1.0, 0.5, 0.25), 1.0),
    "low-down": (440.0, (1.0, 0.5, 0.25), -1.0),
    "high-up": (660.0, (1.0, 0.0, 0.6, 0.0, 0.4), 1.0),
    "high-down": (1320.0, (1.0, 0.0, 0.6, 0.0, 0.4), -1.0),
}


def make_tone_folder(
    folder: Any,
    per_class: int,
    *,
    classes: tuple[str, ...] = tuple(TONES),
    seconds: float = 1.0,
    rate: int = 16_000,
    noise: float = 0.05,
    seed: int = SEED,
) -> Any:
    """Write ``folder/<class>/<i>.wav``: noisy tones of each class in ``TONES``, with the pitch
    jittered by up to a semitone and a random level. "low-up" and "low-down" (and the two
    "high" ones) cover the same pitches, one rising, one falling: only the order in time
    tells them apart, which summary statistics of the spectrum do not keep. Returns ``folder``."""
    from pathlib import Path

    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(seed)
    root = Path(folder)
    t = np.arange(int(seconds * rate)) / rate
    for name in classes:
        base, harmonics, sweep = TONES[name]
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            f0 = base * 2 ** (rng.uniform(-1, 1) / 12)
            # Instantaneous pitch f0 * 2**(sweep * t / seconds): integrate it for the phase.
            k = sweep * np.log(2) / seconds
            phase = 2 * np.pi * f0 * (np.expm1(k * t) / k if k else t)
            x = sum(a * np.sin((h + 1) * phase) for h, a in enumerate(harmonics))
            x = x / np.max(np.abs(x)) * rng.uniform(0.2, 0.8) + rng.normal(0, noise, len(t))
            sf.write(root / name / f"{i}.wav", np.clip(x, -1, 1).astype(np.float32), rate)
    return root


def _fail(label: str, check: str, message: str) -> None:
    raise AssertionError(f"check_probe({label}): [{check}] {message}")


def _check_attributes(probe: Probe, label: str) -> None:
    def bad(message: str) -> None:
        _fail(label, "attributes", message)

    for attr in ("name", "description"):
        value = getattr(probe, attr, None)
        if not isinstance(value, str) or not value.strip():
            bad(f"{attr} must be a non-empty string, got {value!r}")
    family = getattr(probe, "family", None)
    if family != BASELINE and family not in NAMES:
        bad(f"family {family!r} is not one of {(BASELINE, *NAMES)}")
    for attr, known in (("modalities", MODALITIES), ("tasks", TASKS)):
        value = getattr(probe, attr, None)
        if not isinstance(value, (set, frozenset)) or not value:
            bad(f"{attr} must be a non-empty frozenset, got {value!r}")
        if unknown := sorted(set(value) - set(known)):
            bad(f"{attr} holds unknown values {unknown}; known: {list(known)}")
    weight = getattr(probe, "cost_weight", None)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
        bad(f"cost_weight must be a finite number, got {weight!r}")
    if weight < 0:
        bad(f"cost_weight must be >= 0, got {weight!r}")


def _check_supports(probe: Probe, data: ProbeData, label: str) -> str | None:
    reason = _call(label, "supports", f"{data.modality} {data.task} data", probe.supports, data)
    if reason is not None and not isinstance(reason, str):
        _fail(label, "supports", f"must return None or a string, returned {reason!r}")
    return reason


def _call(label: str, check: str, what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except AssertionError:
        raise
    except Exception as exc:
        name = getattr(fn, "__name__", "call")
        _fail(label, check, f"{name} raised {type(exc).__name__}: {exc} (on {what})")


def _ctx(device: str, time_limit: float = FIT_TIME_LIMIT) -> FitContext:
    from advisor.probe_api import FitContext

    return FitContext(seed=SEED, device=device, time_limit=time_limit)


def _halves(data: ProbeData) -> tuple[ProbeData, ProbeData]:
    """Every other row for training, the rest for testing (both hold every class)."""
    import numpy as np

    idx = np.arange(len(data))
    return data.take(idx[idx % 2 == 0]), data.take(idx[idx % 2 == 1])


def _fit(probe: Probe, train: ProbeData, ctx: FitContext, what: str, label: str) -> FittedModel:
    return _call(label, "fit", what, probe.fit, train, ctx)


def _predict(model: FittedModel, data: ProbeData, what: str, label: str) -> np.ndarray:
    """``model.predict(data)``, checked for shape and values."""
    import numpy as np

    raw = _call(label, "predictions", what, model.predict, data)
    pred = np.asarray(raw, dtype=np.float64)
    n = len(data)
    expected = (n, data.n_classes) if data.is_classification else (n,)
    if pred.shape != expected:
        _fail(label, "predictions", f"predict returned shape {pred.shape}, expected {expected} on {what}")
    if not np.all(np.isfinite(pred)):
        _fail(label, "predictions", f"predict returned NaN or infinite values on {what}")
    if data.is_classification and n:
        if pred.min() < 0.0 or pred.max() > 1.0:
            _fail(label, "predictions", f"probabilities outside [0, 1] on {what}")
        worst = float(np.max(np.abs(pred.sum(axis=1) - 1.0)))
        if worst > PROBA_TOLERANCE:
            _fail(label, "predictions", f"probability rows do not sum to 1 (off by {worst:.3g}) on {what}")
    return pred


def _check_predictions(
    probe: Probe, data: ProbeData, what: str, label: str, device: str, *, missing_class: bool
) -> tuple[np.ndarray, bool]:
    """Fit on half the rows, predict the other half; for multiclass data
    with ``missing_class``, also fit without the last class. Returns the predictions
    and whether the clock cut the fit."""
    import numpy as np

    train, test = _halves(data)
    ctx = _ctx(device)
    model = _fit(probe, train, ctx, what, label)
    pred = _predict(model, test, what, label)
    if missing_class and data.task == "multiclass":
        fewer = train.take(np.flatnonzero(train.y != data.n_classes - 1))
        where = f"{what}, a class missing from training"
        _predict(_fit(probe, fewer, _ctx(device), where, label), test, where, label)
    return pred, ctx.cut_by_budget


def _check_determinism(
    probe: Probe, data: ProbeData, first: np.ndarray, what: str, label: str, device: str
) -> None:
    import numpy as np

    """A second fit with the seed of the one that predicted ``first``, compared with it."""
    train, test = _halves(data)
    ctx = _ctx(device)
    second = _predict(_fit(probe, train, ctx, what, label), test, what, label)
    if ctx.cut_by_budget:
        return  # the clock stopped a fit: runs that stopped at different points are not comparable
    tol = SAME_SEED_TOLERANCE["torch" if getattr(probe, "needs_torch", False) else "other"]
    if first.shape == second.shape and np.allclose(first, second, rtol=tol, atol=tol):
        return
    diff = float(np.max(np.abs(first - second))) if first.shape == second.shape else math.inf
    _fail(label, "determinism", f"two fits with seed {SEED} predicted differently (by {diff:.3g}) on {what}")


def _check_time_limit(probe: Probe, data: ProbeData, what: str, label: str, device: str) -> None:
    train, test = _halves(data)
    what = f"{what}, {len(train):,} rows, time_limit={TINY_TIME_LIMIT}"
    ctx = _ctx(device, TINY_TIME_LIMIT)
    started = time.perf_counter()
    model = _fit(probe, train, ctx, what, label)
    took = time.perf_counter() - started
    if took > TINY_TIME_LIMIT + TIME_SLACK:
        _fail(label, "time limit", f"fit took {took:.1f} s with a {TINY_TIME_LIMIT} s limit on {what}")
    _predict(model, test, what, label)
    if not ctx.cut_by_budget and any("time budget" in note for note in ctx.notes):
        _fail(
            label, "cut",
            f"a note says the time budget stopped the fit but ctx.cut was not called on {what} "
            "(call ctx.cut(text), which sets ctx.cut_by_budget)",
        )  # fmt: skip


def _check_runner(probe: Probe, data: ProbeData, what: str, label: str, device: str) -> None:
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    from advisor.probe_api import Budget, EvalPlan
    from advisor.probing.runner import evaluate_probe

    splitter = StratifiedKFold if data.is_classification else KFold
    folds = list(splitter(n_splits=2, shuffle=True, random_state=SEED).split(np.zeros(len(data)), data.y))
    plan = EvalPlan(
        folds=folds, curve_fractions=(0.5, 1.0), seed=SEED, metric=METRICS[data.task],
        n_rows_total=len(data),
    )  # fmt: skip
    result = evaluate_probe(probe, data, plan, Budget(RUNNER_BUDGET), device, warm=False)
    if result.status != "ok":
        _fail(label, "runner", f"evaluate_probe gave status {result.status!r} on {what}: {result.reason}")
    if result.score is None or not math.isfinite(result.score.mean):
        _fail(label, "runner", f"evaluate_probe gave no finite score on {what}; notes: {result.notes}")
