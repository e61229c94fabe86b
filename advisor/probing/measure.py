"""One measured fit: the probe fitted on a task's rows, timed, its predictions timed and scored.

``measure_fit`` is the one measurement, wherever a fit runs (in this process, in a
forked worker of ``advisor.probing.pool``, or on a Dask worker: ``advisor.probing.executor``);
``warm_up`` is the unmeasured fit before it, so imports and first-call setup are not
billed to the first measured fit. The runner (``advisor.probing.runner``) decides which
fits to run and with what time limit; this module only runs one.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from advisor.errors import ProbeInterrupted
from advisor.probe_api import EvalPlan, FitContext
from advisor.probing.executor import FitOutcome, FitTask
from advisor.probing.metrics import check_predictions, score_predictions
from advisor.probing.plan import curve_subset

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from advisor.data import ProbeData
    from advisor.probe_api import FittedModel, Probe

WARM_UP_ROWS = 40
# The warm-up's time limit: enough for one step of every path (a net's first optimizer
# step, its validation pass, a prediction), never a whole fit: with 1 s, the MLP's warm-up
# trained 0.3-0.6 s on 40 rows for nothing (0.1 s now, imports excluded).
WARM_UP_SECONDS = 0.1


class CudaOutOfMemory(Exception):
    """A probe ran out of GPU memory (raised only when the caller asks, to retry on CPU)."""

    def __init__(self, original: BaseException | str) -> None:
        super().__init__(original if isinstance(original, str) else one_line(original))
        self.original = original


def is_cuda_oom(exc: BaseException) -> bool:
    """True for torch's CUDA out-of-memory error, recognised without importing torch."""
    text = str(exc).lower()
    return type(exc).__name__ == "OutOfMemoryError" or ("cuda" in text and "out of memory" in text)


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: first line of the message``, shortened."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class RecordingContext(FitContext):
    """The runner's ``FitContext``: also keeps the texts given to ``cut``, so the
    report can count cut fits instead of repeating one note per fold."""

    cut_texts: list[str] = field(default_factory=list)

    def cut(self, text: str) -> None:
        self.cut_by_budget = True
        if text not in self.cut_texts:
            self.cut_texts.append(text)


SINGLE_CLASS_NOTE = "a training subset held a single class; predicted its prior"


class _Prior:
    """The baseline's model on a training subset: the class priors for every row."""

    def __init__(self, priors: np.ndarray) -> None:
        self.priors = priors

    def predict(self, data: ProbeData) -> np.ndarray:
        return np.tile(self.priors, (len(data), 1))


def fit_probe(probe: Probe, train: ProbeData, ctx: FitContext) -> FittedModel:
    """``probe.fit(train, ctx)``, except on a classification subset that holds a single
    class (a small learning-curve size), where nothing can be learnt: the baseline's
    prior, with a note. The guard lives here, once, so no probe needs its own."""
    if train.is_classification and len(np.unique(train.y)) < 2:
        ctx.note(SINGLE_CLASS_NOTE)
        counts = np.bincount(train.y.astype(np.int64), minlength=train.n_classes).astype(np.float64)
        total = counts.sum()
        return _Prior(counts / total if total > 0 else np.full(train.n_classes, 1.0 / train.n_classes))
    return probe.fit(train, ctx)


def warm_up(probe: Probe, data: ProbeData, plan: EvalPlan, device: str) -> float:
    """One unmeasured fit and predict on a few rows before measuring anything.

    Lazy imports (torch, lightgbm) and first-call setup would otherwise be billed
    to the first measured fit: its time, its deadline (a net cut to one epoch by
    its own import) and the peak memory. A CUDA out-of-memory error here is
    ignored too: the measured fits raise it again where the stage can retry. Errors are ignored here; the measured
    fits report them. Returns the seconds it took.
    """
    started = time.perf_counter()
    train_idx, test_idx = plan.folds[0]
    n = min(len(train_idx), max(WARM_UP_ROWS, 2 * data.n_classes))
    idx = curve_subset(data, plan, 0, n / len(train_idx), train_idx, {})
    ctx = FitContext(seed=plan.seed, device=device, time_limit=WARM_UP_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = probe.fit(data.take(idx), ctx)
            model.predict(data.take(test_idx[:WARM_UP_ROWS]))
    except ProbeInterrupted:
        raise
    except Exception:  # noqa: BLE001 - reported by the measured fits if it persists
        pass
    return time.perf_counter() - started


def measure_fit(
    probe: Probe,
    data: ProbeData,
    task: FitTask,
    *,
    tests: dict[int, ProbeData] | None = None,
    progress: Callable[[str], None] | None = None,
) -> FitOutcome:
    """Fit ``probe`` on the task's training rows and time it, then time and score its
    predictions on the fold's held-out rows: the one measurement, wherever it runs
    (``advisor.probing.executor``). A probe's own error becomes ``FitOutcome.error``;
    ``tests`` caches each fold's held-out rows."""
    n_train, n_test = len(task.train_rows), len(task.test_rows)
    ctx = RecordingContext(seed=task.seed, device=task.device, time_limit=task.time_limit, progress=progress)
    tests = {} if tests is None else tests
    try:
        train = data.take(task.train_rows)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            model = fit_probe(probe, train, ctx)
            fit_s = time.perf_counter() - t0
            if task.fold not in tests:
                tests[task.fold] = data.take(task.test_rows)
            t0 = time.perf_counter()
            raw = model.predict(tests[task.fold])
            pred_s = time.perf_counter() - t0
        pred = check_predictions(data.task, raw, n_test, data.n_classes)
        scores = score_predictions(data.task, data.y[task.test_rows], pred, data.n_classes)
    except ProbeInterrupted:
        raise
    except Exception as exc:
        oom = task.device == "cuda" and is_cuda_oom(exc)
        return FitOutcome(task.fold, task.frac_index, n_train, n_test, error=one_line(exc), cuda_oom=oom)
    params = getattr(model, "params", None)
    return FitOutcome(
        task.fold, task.frac_index, n_train, n_test, fit_s, pred_s, scores,
        notes=list(ctx.notes), cut=ctx.cut_by_budget, cut_texts=list(ctx.cut_texts),
        warnings=warning_texts(caught), params=dict(params) if isinstance(params, dict) else None,
        model=model,
    )  # fmt: skip


def warning_texts(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        f"warning during fit: {w.category.__name__}: {str(w.message).strip().splitlines()[0][:160]}"
        for w in caught
    ]
