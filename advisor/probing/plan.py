"""The shared evaluation plan: probe sample, folds, learning-curve sizes, metric.

One plan is made per run and every probe is evaluated on it, so their scores
are comparable fold by fold. Everything here is seeded; the same seed gives
the same sample, folds and curve subsets.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from advisor.errors import InputError
from advisor.probe_api import EvalPlan
from advisor.probing.metrics import PRIMARY

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from advisor.data import ProbeData

ROWS_PER_SECOND = 50_000 / 60.0  # probe-sample cap: 60 s of budget -> 50,000 rows
MIN_ROW_CAP = 1_000
SMALL_DATA_ROWS = 2_000  # below this, 5 folds (more spread information); else 3
BASE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)
MIN_CURVE_ROWS = 20
MIN_ROWS_PER_CLASS = 2
MIN_ROWS = 10


@dataclass
class ProbePlan(EvalPlan):
    """An ``EvalPlan`` that also carries the human notes made while planning
    (fold count reduced, classes too small for some folds)."""

    notes: list[str] = field(default_factory=list)


def row_cap(budget_seconds: float) -> int:
    """How many rows the probes get for a given stage budget (linear in the budget)."""
    return max(MIN_ROW_CAP, int(round(ROWS_PER_SECOND * max(budget_seconds, 0.0))))


def make_plan(
    data: ProbeData,
    *,
    seed: int,
    budget_seconds: float,
    max_rows: int | None = None,
    split: str = "auto",
    time_column: str | None = None,
    group_column: str | None = None,
) -> tuple[ProbeData, ProbePlan]:
    """Choose the probe sample and the shared folds; returns (probe data, plan)."""
    n = len(data)
    if n < MIN_ROWS:
        raise InputError(f"only {n} usable rows: the probes need at least {MIN_ROWS} to measure anything")
    n_total = max(int(data.n_rows_total or 0), n)
    classification = data.is_classification
    cap = int(max_rows) if max_rows is not None else row_cap(budget_seconds)
    rng = np.random.default_rng(seed)
    notes: list[str] = []

    sample_note = ""
    if n > cap:
        if classification:
            idx = stratified_subset(data.y, cap, rng)
            kind = "stratified sample"
        else:
            idx = np.sort(rng.choice(n, size=cap, replace=False))
            kind = "uniform sample"
        data = data.take(idx)
        sample_note = f"probes ran on a {kind} of {len(idx):,} of {n_total:,} rows (seed {seed})"
    elif n < n_total:
        sample_note = f"probes ran on {n:,} of {n_total:,} rows (the sample taken when reading)"
    data = replace(data, n_rows_total=n_total)

    folds, fold_notes = _make_folds(data, seed)
    notes.extend(fold_notes)
    min_train = min(len(tr) for tr, _ in folds)
    fractions = curve_fractions(min_train, data.n_classes if classification else 0)
    plan = ProbePlan(
        folds=folds,
        curve_fractions=fractions,
        seed=seed,
        metric=PRIMARY[data.task],
        n_rows_total=n_total,
        sample_note=sample_note,
        notes=notes,
    )
    return data, plan


def _make_folds(data: ProbeData, seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[str]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(data)
    k = 5 if n < SMALL_DATA_ROWS else 3
    notes: list[str] = []
    if not data.is_classification:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
        return [(tr, te) for tr, te in splitter.split(np.zeros(n))], notes

    counts = np.bincount(data.y, minlength=data.n_classes)
    present = counts[counts > 0]
    smallest = int(present.min())
    if smallest < k:
        new_k = max(2, smallest)
        if new_k != k:
            notes.append(
                f"{new_k}-fold cross-validation instead of {k}: the smallest class has only {smallest} rows"
            )
        k = new_k
    if smallest < k:
        notes.append(
            f"a class with {smallest} row(s) cannot appear in every test fold; "
            "scores that need it are averaged over the folds that hold it"
        )
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # The "least populated class" warning is reported in notes instead.
        warnings.simplefilter("ignore", UserWarning)
        folds = [(tr, te) for tr, te in splitter.split(np.zeros(n), data.y)]
    return folds, notes


def curve_fractions(n_train: int, n_classes: int = 0) -> tuple[float, ...]:
    """Fractions of a fold's training rows for the learning curve, ascending, ending at 1.0.

    Sizes under ``MIN_CURVE_ROWS`` rows, or too small to hold two rows of every
    class, are dropped; when that leaves fewer than 3 sizes, sizes spaced
    geometrically between the smallest usable one and the full set replace them.
    """
    floor = max(MIN_CURVE_ROWS, MIN_ROWS_PER_CLASS * n_classes)

    def usable(f: float) -> bool:
        return int(round(f * n_train)) >= floor

    chosen = [f for f in BASE_FRACTIONS if f < 1.0 and usable(f)]
    if len(chosen) < 2 and n_train > floor:
        f_min = floor / n_train
        sizes: list[int] = []
        for f in np.geomspace(f_min, 1.0, 4)[:-1]:
            size = max(floor, int(round(f * n_train)))
            if size < n_train and size not in sizes:
                sizes.append(size)
        chosen = [s / n_train for s in sizes]
    return tuple(float(f) for f in chosen) + (1.0,)


def subset_order(y: np.ndarray | None, n: int, seed: int | Sequence[int]) -> np.ndarray:
    """A seeded order of ``range(n)`` whose every prefix is a (stratified) random subset.

    Prefixes are nested, so the learning curve's smaller training sets are
    subsets of the larger ones. For classification (``y`` given) each class is
    spread evenly along the order, and its first two rows come first, so any
    prefix of at least two rows per class holds every class at least twice.
    """
    rng = np.random.default_rng(seed)
    if y is None:
        return rng.permutation(n)
    key = np.empty(n, dtype=np.float64)
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        perm = rng.permutation(members)
        count = len(perm)
        # Rank i of a class with c rows sits at (i + u) / c of the way along the order.
        pos = (np.arange(count) + rng.uniform(size=count)) / count
        pos[: min(MIN_ROWS_PER_CLASS, count)] -= 1.0  # every class's first rows lead
        key[perm] = pos
    return np.argsort(key, kind="stable")


def stratified_subset(y: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of a stratified random subset of ``size`` rows.

    Allocation is proportional (largest remainder), with at least one row of
    every class present so a rare class is never sampled away.
    """
    classes, counts = np.unique(y, return_counts=True)
    n = len(y)
    size = min(size, n)
    exact = counts * size / n
    alloc = np.maximum(np.floor(exact).astype(np.int64), 1)
    alloc = np.minimum(alloc, counts)
    deficit = size - int(alloc.sum())
    if deficit > 0:
        order = np.argsort(-(exact - np.floor(exact)), kind="stable")
        for i in order:  # one more row each, largest remainder first
            if deficit and alloc[i] < counts[i]:
                alloc[i] += 1
                deficit -= 1
        for i in order:  # classes at their cap can leave a deficit: fill where there is room
            add = min(int(counts[i] - alloc[i]), deficit)
            alloc[i] += add
            deficit -= add
    elif deficit < 0:
        # The floor of one row per class overshot: take back from the largest classes.
        for i in np.argsort(-alloc, kind="stable"):
            take = min(alloc[i] - 1, -deficit)
            alloc[i] -= take
            deficit += take
            if deficit == 0:
                break
    parts = [
        rng.choice(np.flatnonzero(y == cls), size=int(a), replace=False)
        for cls, a in zip(classes, alloc, strict=True)
    ]
    return np.sort(np.concatenate(parts))
