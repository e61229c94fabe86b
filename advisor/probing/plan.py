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

from advisor.data import MIN_ROWS_PER_CLASS
from advisor.errors import InputError
from advisor.probe_api import EvalPlan
from advisor.probing.metrics import PRIMARY

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from advisor.data import ProbeData

ROWS_PER_SECOND = 20_000 / 60.0  # probe-sample cap: 60 s of budget -> 20,000 rows (fits run to convergence)
MIN_ROW_CAP = 1_000
K_FOLDS = 5  # random, time and group splits alike (fewer only when classes or groups forbid it)
# Repeated k-fold where data is small, fits cheap and noise largest: (up to rows, repeats);
# above the last size, one repeat. 500 rows -> 5 x 5 = 25 paired folds for every comparison.
REPEATS_BY_ROWS = ((2_000, 5), (20_000, 2))
# Images and pixel tables are not cheap when small: a CNN fit per fold dominates. One repeat.
SINGLE_REPEAT_MODALITIES = ("image", "signal", "audio")
MIN_SAMPLE_GROUPS = 2 * K_FOLDS  # a sample of whole groups needs this many, else rows are sampled
SPLITS = ("auto", "random", "time", "group")
# Learning-curve anchors: LCDB's grid 16 * 2^(k/2) rows, up to CURVE_TOP of a fold's
# training rows, at most MAX_CURVE_SIZES below the full size (whole octaves when more).
MIN_CURVE_ROWS = 20
CURVE_TOP = 0.6
MAX_CURVE_SIZES = 8
MIN_CURVE_SIZES = 3  # below this many grid sizes, a geometric spacing from the floor replaces them
MIN_ROWS = 10

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class ProbePlan(EvalPlan):
    """An ``EvalPlan`` that also carries the human notes made while planning
    (fold count reduced, classes too small for some folds, an optimistic split)."""

    notes: list[str] = field(default_factory=list)


def row_cap(budget_seconds: float) -> int:
    """How many rows the probes get for a given stage budget (linear in the budget)."""
    return max(MIN_ROW_CAP, int(round(ROWS_PER_SECOND * max(budget_seconds, 0.0))))


def n_repeats_for(n_rows: int, modality: str = "tabular") -> int:
    """Repeats of the random k-fold for a probe sample of ``n_rows`` rows."""
    if modality in SINGLE_REPEAT_MODALITIES:
        return 1
    return next((repeats for rows, repeats in REPEATS_BY_ROWS if n_rows <= rows), 1)


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
    """Choose the probe sample and the shared folds; returns (probe data, plan).

    ``split`` "auto" follows the time order when ``data.time_key`` is set, else the
    groups when ``data.groups`` is, else random folds (a sequence table whose target
    belongs to the entity, ``data.sequence == "entity"``: the groups); a sequence is
    sampled by whole entities; ``time_column`` and
    ``group_column`` (the user's --time-column/--group-column) say which the user named.
    Folds of repeated k-fold come repeat-major: repeat 0's k folds, then repeat 1's.
    """
    n = len(data)
    if n < MIN_ROWS:
        raise InputError(f"only {n} usable rows: the probes need at least {MIN_ROWS} to measure anything")
    n_total = max(int(data.n_rows_total or 0), n)
    kind, column, notes = choose_split(data, split, time_column, group_column)
    cap = int(max_rows) if max_rows is not None else row_cap(budget_seconds)
    rng = np.random.default_rng(seed)

    sample_note = ""
    if n > cap:
        idx, how = _sample(data, kind, cap, rng)
        data = data.take(idx)
        sample_note = f"probes ran on a {how} of {len(idx):,} of {n_total:,} rows (seed {seed})"
    elif n < n_total:
        sample_note = f"probes ran on {n:,} of {n_total:,} rows (the sample taken when reading)"
    data = replace(data, n_rows_total=n_total)

    n_repeats = 1
    if kind == "time":
        folds, fold_notes = time_folds(data.time_key)
    elif kind == "group":
        folds, fold_notes = group_folds(data, seed)
    else:
        n_repeats = n_repeats_for(len(data), data.modality)
        folds, fold_notes = _make_folds(data, seed, n_repeats)
    notes.extend(data.notes)  # what preparing the data said (classes dropped from a sample)
    notes.extend(fold_notes)
    min_train = min(len(tr) for tr, _ in folds)
    fractions = curve_fractions(min_train, data.n_classes if data.is_classification else 0)
    plan = ProbePlan(
        folds=folds,
        curve_fractions=fractions,
        seed=seed,
        metric=PRIMARY[data.task],
        n_rows_total=n_total,
        sample_note=sample_note,
        split=kind,
        split_column=column,
        n_repeats=n_repeats,
        notes=notes,
    )
    return data, plan


def choose_split(
    data: ProbeData, split: str, time_column: str | None = None, group_column: str | None = None
) -> tuple[str, str, list[str]]:
    """``(kind, column, notes)``: "random", "time" or "group", the column it follows,
    and a warning when random folds ignore a time order or repeated entities."""
    has_time, has_groups = data.time_key is not None, data.groups is not None
    time_name, group_name = data.time_column or time_column or "", data.group_column or group_column or ""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    if time_column and not has_time:
        raise InputError(
            f"--time-column {time_column!r} does not apply to this data: it has no table columns"
        )
    if group_column and not has_groups:
        raise InputError(
            f"--group-column {group_column!r} does not apply to this data: it has no table columns"
        )
    if split == "time" and not has_time:
        raise InputError(
            "--split time needs the column that orders the rows in time, and none was found "
            "(a datetime column, or year/month/day columns): pass --time-column NAME"
        )
    if split == "group" and not has_groups:
        raise InputError(
            "--split group needs the column of the entity whose rows repeat (a customer, a patient), "
            "and none was found: pass --group-column NAME"
        )
    if split == "auto":  # the column the user named first; else time before groups
        named_group_only = group_column is not None and time_column is None
        # A sequence whose target belongs to the entity is validated on unseen entities.
        by_entity = data.sequence == "entity" and time_column is None
        split = (
            "group"
            if has_groups and (named_group_only or by_entity or not has_time)
            else "time"
            if has_time
            else "random"
        )
    notes: list[str] = []
    if split == "random" and (has_time or has_groups):
        why = [f"are ordered in time by {time_name!r} (the model sees the future)"] if has_time else []
        why += [f"repeat the entity {group_name!r} (the model sees it on both sides)"] if has_groups else []
        notes.append(
            f"random folds on rows that {' and '.join(why)}: scores may be optimistic; "
            f"--split {'time' if has_time else 'group'} gives honest folds"
        )
    elif split == "time" and data.sequence is not None:
        notes.append(
            f"a sequence of readings per {group_name!r}: each time fold trains on every entity's earlier "
            "readings and tests on its later ones, as a deployed model would see them"
        )
    elif split == "time" and has_groups:
        notes.append(
            f"rows also repeat the entity {group_name!r}: the time folds do not keep its rows on one side "
            "(--split group does)"
        )
    return split, {"time": time_name, "group": group_name}.get(split, ""), notes


def _sample(data: ProbeData, kind: str, cap: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """``(positions, description)`` of the probe sample that respects the split."""
    n = len(data)
    if data.sequence is not None and data.groups is not None:  # whole entities: windows need their pasts
        idx, n_chosen = _whole_groups(data.groups, cap, rng)
        if n_chosen >= MIN_SAMPLE_GROUPS or (kind == "time" and n_chosen >= 2):
            if kind == "time":
                idx = idx[np.argsort(_latest_if_missing(data.time_key[idx]), kind="stable")]
            return idx, f"sample of {n_chosen:,} whole entities"
    if kind == "time":  # uniform, then in time order (missing times last)
        idx = np.sort(rng.choice(n, size=cap, replace=False))
        in_time_order = np.argsort(_latest_if_missing(data.time_key[idx]), kind="stable")
        return idx[in_time_order], "uniform sample in time order"
    if kind == "group":  # whole groups, in a seeded order, while they fit
        idx, n_chosen = _whole_groups(data.groups, cap, rng)
        if n_chosen >= MIN_SAMPLE_GROUPS:
            return idx, f"sample of {n_chosen:,} whole groups"
    if data.is_classification:
        return stratified_subset(data.y, cap, rng), "stratified sample"
    return np.sort(rng.choice(n, size=cap, replace=False)), "uniform sample"


def _whole_groups(groups: np.ndarray, cap: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """``(positions, how many groups)``: whole groups in a seeded order while they fit in ``cap`` rows."""
    uniques, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = rng.permutation(len(uniques))
    chosen = order[np.cumsum(counts[order]) <= cap]
    return np.flatnonzero(np.isin(inverse, chosen)), len(chosen)


def _latest_if_missing(key: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(key), np.inf, key)


def time_folds(time_key: np.ndarray, k: int = K_FOLDS) -> tuple[Folds, list[str]]:
    """Forward-chaining folds (``TimeSeriesSplit`` on the rows sorted by time): each test
    fold is later than its training rows; rows tied with a test fold's first time leave
    its training set, so no training row is as late as a test row. Missing times sort last."""
    from sklearn.model_selection import TimeSeriesSplit

    key = _latest_if_missing(time_key)
    order = np.argsort(key, kind="stable")
    n_times = len(np.unique(key))
    k = min(k, n_times - 1, len(key) - 1)
    notes: list[str] = []
    folds: Folds = []
    if k >= 2:
        for tr, te in TimeSeriesSplit(n_splits=k).split(order):
            train, test = order[tr], order[te]
            train = train[key[train] < key[test].min()]
            if len(train):
                folds.append((train, test))
    if len(folds) < 2:
        raise InputError(
            f"the time column has {n_times} distinct value(s): too few for forward-chaining folds; "
            "pass another --time-column, or --split random"
        )
    if len(folds) < K_FOLDS:
        notes.append(
            f"{len(folds)} forward-chaining folds instead of {K_FOLDS}: only {n_times} distinct times"
        )
    return folds, notes


def group_folds(data: ProbeData, seed: int, k: int = K_FOLDS) -> tuple[Folds, list[str]]:
    """Group k-fold: an entity's rows all on one side. Stratified (``StratifiedGroupKFold``,
    shuffled) for classification; for regression, seeded groups dealt to the lightest fold."""
    groups = data.groups
    n_groups = len(np.unique(groups))
    k = min(k, n_groups)
    if k < 2:
        raise InputError(
            f"the group column {data.group_column!r} holds a single entity: group folds need at least 2; "
            "pass another --group-column, or --split random"
        )
    notes = [f"{k}-fold group split: only {n_groups} entities"] if k < K_FOLDS else []
    if data.is_classification:
        from sklearn.model_selection import StratifiedGroupKFold

        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "least populated class": see the scores' notes
            folds = [(tr, te) for tr, te in splitter.split(np.zeros(len(groups)), data.y, groups)]
    else:
        folds = _seeded_group_kfold(groups, k, seed)
    return [(tr, te) for tr, te in folds if len(tr) and len(te)], notes


def _seeded_group_kfold(groups: np.ndarray, k: int, seed: int) -> Folds:
    """``GroupKFold`` with a seeded order (its ``shuffle`` needs scikit-learn 1.6): groups,
    largest first (ties in a seeded order), each to the fold with the fewest rows so far."""
    uniques, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    shuffled = np.random.default_rng(seed).permutation(len(uniques))
    by_size = shuffled[np.argsort(-counts[shuffled], kind="stable")]
    fold_of = np.empty(len(uniques), dtype=np.int64)
    load = np.zeros(k, dtype=np.int64)
    for g in by_size:
        fold_of[g] = int(np.argmin(load))
        load[fold_of[g]] += counts[g]
    row_fold = fold_of[inverse]
    return [(np.flatnonzero(row_fold != f), np.flatnonzero(row_fold == f)) for f in range(k)]


def _make_folds(data: ProbeData, seed: int, n_repeats: int = 1) -> tuple[Folds, list[str]]:
    """Repeated (stratified) k-fold, repeat-major; k = 5 unless the smallest class forbids it."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    n = len(data)
    k = K_FOLDS
    notes: list[str] = []
    if not data.is_classification:
        splitter = RepeatedKFold(n_splits=k, n_repeats=n_repeats, random_state=seed)
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
    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=n_repeats, random_state=seed)
    with warnings.catch_warnings():
        # The "least populated class" warning is reported in notes instead.
        warnings.simplefilter("ignore", UserWarning)
        folds = [(tr, te) for tr, te in splitter.split(np.zeros(n), data.y)]
    return folds, notes


def curve_fractions(n_train: int, n_classes: int = 0) -> tuple[float, ...]:
    """Fractions of a fold's training rows for the learning curve, ascending, ending at 1.0.

    Anchors lie on LCDB's grid ``16 * 2^(k/2)`` rows (Mohr et al. 2022), from the
    smallest size that holds ``MIN_CURVE_ROWS`` rows and two rows of every class up
    to ``CURVE_TOP`` of the fold's training rows (the full size is the last anchor).
    When that gives more than ``MAX_CURVE_SIZES`` sizes, whole octaves (every
    other grid point, counting down from the largest) are kept, then the smallest
    are dropped: the curve still spans the widest range the budget affords.
    Below about 3 grid sizes, sizes spaced geometrically between the smallest
    usable one and the full set replace them.
    """
    floor = max(MIN_CURVE_ROWS, MIN_ROWS_PER_CLASS * n_classes)
    top = CURVE_TOP * n_train
    grid = [s for k in range(0, 80) if floor <= (s := int(round(16 * 2 ** (k / 2)))) <= top]
    if len(grid) > MAX_CURVE_SIZES:
        grid = grid[::-1][::2][::-1]  # octaves, keeping the largest
    grid = grid[-MAX_CURVE_SIZES:]
    if len(grid) < MIN_CURVE_SIZES and n_train > floor:
        grid = sorted(
            {
                max(floor, int(round(f * n_train)))
                for f in np.geomspace(floor / n_train, 1.0, MIN_CURVE_SIZES + 1)[:-1]
            }
        )
        grid = [s for s in grid if s < n_train]
    return tuple(float(s / n_train) for s in grid) + (1.0,)


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


def curve_subset(
    data: ProbeData,
    plan: EvalPlan,
    fold: int,
    frac: float,
    train_idx: np.ndarray,
    orders: dict[int, np.ndarray],
) -> np.ndarray:
    """Positions of the training rows for one curve size: a prefix of a seeded order
    of the fold's training rows, so smaller sets nest inside larger ones."""
    if frac >= 1.0:
        return train_idx
    if fold not in orders:
        y = data.y[train_idx] if data.is_classification else None
        orders[fold] = subset_order(y, len(train_idx), seed=[plan.seed, fold])
    size = max(1, int(round(frac * len(train_idx))))
    return np.sort(train_idx[orders[fold][:size]])
