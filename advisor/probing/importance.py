"""What drives the target: permutation importance per source column, its stability
across folds, correlated columns, the model's own view and partial dependence.

Measured the same way for every tabular, mixed and text probe: after each
full-size fit the runner hands the fitted model and the fold's held-out rows to
``DriverMeter.measure``, which shuffles one *source* column at a time (every
model input made from it moves together: the probe encodes inside ``predict``,
and a date's parts are shuffled as one) and records the drop in the primary
metric. Seeded from the plan's seed and the fold, so the same seed gives the same
numbers. Bounded: the first repeat's folds only (repeated k-fold adds nothing a
ranking needs), at most ``MAX_ROWS`` held-out rows, ``REPEATS`` shuffles, and
``SHARE`` of the probe's budget, never the time the remaining full-size folds
need; a fold without time is skipped and the result says on how many folds it
was measured.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from advisor.data import PART_SEPARATOR, TIME_PART
from advisor.probe_api import (
    CorrelatedGroup,
    Drivers,
    Importance,
    ModelView,
    ModelWeight,
    PartialDependence,
    SourceWeights,
)
from advisor.probing.metrics import check_predictions, score_metric, score_predictions

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.probe_api import Budget, EvalPlan, FittedModel

MODALITIES = ("tabular", "mixed", "text")  # pixel tables and images: one pixel explains nothing
MAX_ROWS = 1000  # held-out rows per fold (a seeded subset beyond)
REPEATS = 3  # shuffles per column and fold (1 when time is short)
MAX_COLUMNS = 60  # beyond, the model's own view picks the columns shuffled (none: not measured)
SHARE = 0.25  # of the probe's budget, at most, for importance and partial dependence together
FLOOR_SECONDS = 1.0  # the share is at least this (small budgets), still never the folds' reserve
TOP_K = 5  # columns the stability is computed on
STABLE_RHO = 0.6  # mean fold-pair Spearman at or above this: a stable ranking
CORRELATED_RHO = 0.9  # |Spearman| at or above this: columns that split the credit
CORRELATION_ROWS = 5000  # rows the correlations are computed on (a seeded subset beyond)
PD_COLUMNS = 3  # partial dependence for this many top numeric columns, on the first fold measured
PD_GRID = 10
PD_ROWS = 200  # held-out rows each partial-dependence point averages over
DISAGREE_RANKS = 3  # ranks apart (among the top TOP_K of either) for a view to disagree
SAFETY = 1.3  # estimated cost x this must fit in the time allowed
BATCH_CELLS = 2_000_000  # rows x columns of the shuffled copies sent to one predict call


def not_measured_reason(data: ProbeData) -> str | None:
    """Why importance is not measured on ``data``, else None."""
    if data.modality not in MODALITIES:
        return f"importance not measured on {data.modality} data (single pixels or samples explain nothing)"
    if data.X is None or data.X.shape[1] == 0:
        return "importance not measured: no feature columns"
    return None


def source_groups(features: list[str]) -> dict[str, list[str]]:
    """Source column -> the features made from it, in feature order.

    A datetime becomes ``<column>__year``, ``<column>__month``, ... (``PART_SEPARATOR``):
    features sharing a prefix before it, two or more, are one source column. A lone
    name with the separator in it is its own source."""
    prefixes: dict[str, int] = {}
    for f in features:
        if PART_SEPARATOR in f:
            head = f.split(PART_SEPARATOR, 1)[0]
            prefixes[head] = prefixes.get(head, 0) + 1
    groups: dict[str, list[str]] = {}
    for f in features:
        head = f.split(PART_SEPARATOR, 1)[0] if PART_SEPARATOR in f else f
        source = head if prefixes.get(head, 0) >= 2 and head not in features else f
        groups.setdefault(source, []).append(f)
    return groups


def correlated_groups(data: ProbeData, seed: int) -> list[CorrelatedGroup]:
    """Groups of numeric and datetime source columns linked by |Spearman| >= ``CORRELATED_RHO``.

    A datetime stands in by its days since 1970 (``TIME_PART``), so a date and a count of the
    same thing (signup date and tenure in months) are found to split the credit."""
    from scipy.stats import spearmanr

    assert data.X is not None
    representative = {
        source: _one_value_feature(source, features, data.feature_kinds)
        for source, features in source_groups(list(data.X.columns)).items()
    }
    numeric = [s for s, f in representative.items() if f is not None][:MAX_COLUMNS]
    if len(numeric) < 2:
        return []
    frame = data.X[[representative[s] for s in numeric]]
    if len(frame) > CORRELATION_ROWS:
        rows = np.sort(np.random.default_rng([seed, 7]).choice(len(frame), CORRELATION_ROWS, replace=False))
        frame = frame.iloc[rows]
    values = frame.to_numpy(dtype=np.float64)
    # Missing values take the median, so a sparse column is not linked by its NaNs.
    with np.errstate(all="ignore"):
        med = np.nanmedian(values, axis=0)
    values = np.where(np.isnan(values), np.nan_to_num(med)[None, :], values)
    varying = values.std(axis=0) > 0
    names = [c for c, v in zip(numeric, varying, strict=True) if v]
    if len(names) < 2:
        return []
    rho = spearmanr(values[:, varying]).statistic
    if np.ndim(rho) == 0:  # two columns: spearmanr gives their one coefficient, not a matrix
        rho = np.array([[1.0, float(rho)], [float(rho), 1.0]])
    parent = list(range(len(names)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    weakest: dict[int, float] = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = abs(float(rho[i, j]))
            if r >= CORRELATED_RHO and root(i) != root(j):
                a, b = root(i), root(j)
                parent[b] = a
                weakest[a] = min(r, weakest.get(a, 1.0), weakest.get(b, 1.0))
    members: dict[int, list[str]] = {}
    for i, name in enumerate(names):
        members.setdefault(root(i), []).append(name)
    return [
        CorrelatedGroup(cols, round(weakest.get(r, 1.0), 4)) for r, cols in members.items() if len(cols) > 1
    ]


def _one_value_feature(source: str, features: list[str], kinds: dict[str, str]) -> str | None:
    """The feature that stands for ``source`` as one number: itself when numeric, a date's
    days since 1970; None for categories and text (Spearman has no order for them)."""
    if len(features) == 1:
        return features[0] if kinds.get(features[0]) == "numeric" else None
    time = f"{source}{PART_SEPARATOR}{TIME_PART}"
    return time if time in features else None


@dataclass
class _Fold:
    fold: int
    drops: dict[str, float]


@dataclass
class DriverMeter:
    """Importance for one probe, fold by fold, within its share of the probe's budget."""

    data: ProbeData
    plan: EvalPlan
    budget: Budget
    max_folds: int  # the first repeat's folds
    groups: dict[str, list[str]] = field(init=False)
    folds: list[_Fold] = field(default_factory=list)
    views: list[SourceWeights] = field(default_factory=list)
    pd: list[PartialDependence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # spent here, excluded from the full-size fits' share
    repeats: int = REPEATS
    n_rows: int = 0
    skipped_for_time: int = 0
    columns: list[str] | None = None  # the sources shuffled, fixed at the first fold
    constant: bool = False  # the model predicts one value for every row: no drivers

    def __post_init__(self) -> None:
        assert self.data.X is not None
        self.groups = source_groups(list(self.data.X.columns))

    def measure(
        self, model: FittedModel, test: ProbeData, fold: int, predict_seconds: float, reserve: float
    ) -> None:
        """Permutation importance (and the model's view, and partial dependence on the
        first fold with time for it) for one full-size fit. ``reserve``: seconds the remaining full-size
        fits need; never spent here."""
        if fold >= self.max_folds:
            return
        started = time.monotonic()
        try:
            self._measure(model, test, fold, predict_seconds, reserve)
        finally:
            self.seconds += time.monotonic() - started

    def _measure(
        self, model: FittedModel, test: ProbeData, fold: int, predict_seconds: float, reserve: float
    ) -> None:
        view = _model_view(model)
        if view is not None:
            self.views.append(view)
        if self.columns is None:
            self.columns = self._choose_columns(view)
            if self.columns is None:
                return
        rng = np.random.default_rng([self.plan.seed, fold, 11])
        n = min(len(test), MAX_ROWS)
        sub = test if n == len(test) else test.take(np.sort(rng.choice(len(test), n, replace=False)))
        self.n_rows = max(self.n_rows, n)
        t0 = time.monotonic()
        pred = check_predictions(sub.task, model.predict(sub), len(sub), sub.n_classes)
        if np.ptp(pred, axis=0).max(initial=0.0) == 0:
            self.constant = True  # the same prediction for every row (a baseline): nothing drives it
            return
        base = score_predictions(sub.task, sub.y, pred, sub.n_classes)[self.plan.metric]
        # One scoring as measured (prediction, checks, metric), with a margin for the frame copy.
        per_call = max(time.monotonic() - t0, predict_seconds * n / max(len(test), 1)) * 1.2
        share = max(SHARE * self.budget.seconds, FLOOR_SECONDS)
        allowed = min(share - self.seconds, self.budget.remaining() - reserve)
        for repeats in (self.repeats, 1):
            if len(self.columns) * repeats * per_call * SAFETY <= allowed:
                break
        else:
            self.skipped_for_time += 1
            return
        if repeats < self.repeats:
            self.repeats = repeats  # every fold then uses the same number of shuffles
        deadline = t0 + max(allowed, 0.0)
        drops = self._drops(model, sub, base, rng, deadline)
        if drops is None:
            self.skipped_for_time += 1
            return
        self.folds.append(_Fold(fold, drops))
        if not self.pd and self.data.task in ("binary", "regression"):
            # On the first fold with time left for it, after its drops name the top columns.
            top = sorted(drops, key=lambda c: -drops[c])
            numeric = [c for c in top if self._numeric(c) and drops[c] > 0][:PD_COLUMNS]
            few = sub if len(sub) <= PD_ROWS else sub.take(np.arange(PD_ROWS))  # sub is a seeded sample
            cost = len(numeric) * per_call * max(1.0, PD_GRID * len(few) / n)  # one call per column
            # Against the fold's allowance less the drops' estimate, not the clock after them: which
            # fold gets the curves must not follow how busy the machine was during the drops (a
            # local run and a cluster run of one seed put them on different folds).
            spent = len(self.columns) * repeats * per_call
            if cost * SAFETY <= max(allowed, 0.0) - spent * SAFETY:
                self.pd = [_partial_dependence(model, few, c, fold, self.data.task) for c in numeric]

    def _numeric(self, source: str) -> bool:
        features = self.groups[source]
        return len(features) == 1 and self.data.feature_kinds.get(features[0]) == "numeric"

    def _choose_columns(self, view: SourceWeights | None) -> list[str] | None:
        sources = list(self.groups)
        if len(sources) <= MAX_COLUMNS:
            return sources
        if view is None:
            self.notes.append(
                f"importance not measured: {len(sources):,} source columns (over {MAX_COLUMNS}) and no "
                "model view to choose among them"
            )
            return None
        ranked = sorted(sources, key=lambda c: -abs(view.values.get(c, 0.0)))[:MAX_COLUMNS]
        self.notes.append(
            f"{len(sources):,} source columns: importance measured on the {MAX_COLUMNS} the model's own "
            f"{view.kind} view ranks highest (first fold); the others are not ranked"
        )
        return [c for c in sources if c in set(ranked)]

    def _drops(
        self, model: FittedModel, sub: ProbeData, base: float, rng: np.random.Generator, deadline: float
    ) -> dict[str, float] | None:
        """The metric's drop for each source column, shuffled ``repeats`` times. The shuffled
        copies of several columns go through one ``predict`` call (``BATCH_CELLS`` at most):
        per call, a probe pays its encoding and framework overhead once, not once per copy
        (breast cancer: 90 calls a fold became one). The permutations are drawn in the order
        one call per copy drew them, so a seed gives the same shuffles as before (a model's
        float arithmetic may differ in the last bits between batch sizes)."""
        assert sub.X is not None and self.columns is not None
        n, width = len(sub), max(1, sub.X.shape[1])
        per_batch = max(1, BATCH_CELLS // (n * width * self.repeats))  # sources per predict call
        drops: dict[str, float] = {}
        for start in range(0, len(self.columns), per_batch):
            if time.monotonic() > deadline:
                return None
            sources = self.columns[start : start + per_batch]
            perms = [[rng.permutation(n) for _ in range(self.repeats)] for _ in sources]
            scores = self._shuffled_scores(model, sub, sources, perms)
            for source, values in zip(sources, scores, strict=True):
                values = [base - v for v in values]
                finite = not all(math.isnan(v) for v in values)
                drops[source] = float(np.nanmean(values)) if finite else math.nan
        return drops

    def _shuffled_scores(
        self, model: FittedModel, sub: ProbeData, sources: list[str], perms: list[list[np.ndarray]]
    ) -> list[list[float]]:
        """The metric on one copy of ``sub`` per (source, permutation), the source's features
        shuffled in its copy, all predicted in one call."""
        assert sub.X is not None
        n, copies = len(sub), sum(len(p) for p in perms)
        big = sub.take(np.tile(np.arange(n), copies))
        assert big.X is not None
        block = 0
        for source, source_perms in zip(sources, perms, strict=True):
            rows = np.tile(np.arange(n), copies)
            for j, perm in enumerate(source_perms):
                rows[(block + j) * n : (block + j + 1) * n] = perm
            for f in self.groups[source]:
                # The column's values (a numpy or pandas extension array, so a categorical keeps
                # its dtype) taken by position: assigning an array skips the index alignment
                # that a Series needs, which was most of this step's time.
                big.X[f] = sub.X[f].array.take(rows)
            block += len(source_perms)
        pred = check_predictions(sub.task, model.predict(big), len(big), sub.n_classes)
        scores, block, metric = [], 0, self.plan.metric
        for source_perms in perms:
            scores.append([
                score_metric(sub.task, sub.y, pred[(block + j) * n : (block + j + 1) * n], sub.n_classes, metric)
                for j in range(len(source_perms))
            ])  # fmt: skip
            block += len(source_perms)
        return scores

    def result(self, n_folds: int) -> Drivers | None:
        """The measured importance over the folds measured, or None (the notes say why)."""
        if not self.folds:
            if self.skipped_for_time and not self.constant:
                self.notes.append("importance not measured: no time left in the probe's budget for it")
            return None
        n_folds = min(n_folds, self.max_folds)
        if self.skipped_for_time or len(self.folds) < n_folds:
            self.notes.append(
                f"importance measured on {len(self.folds)} of {n_folds} folds (the time budget allowed no more)"
            )
        importance = _aggregate(self.folds)
        stability, top_k = _stability(importance)
        stable = None if stability is None else stability >= STABLE_RHO
        view = _combine_views(self.views, importance)
        return Drivers(
            metric=self.plan.metric,
            importance=importance,
            n_folds=len(self.folds),
            n_folds_total=n_folds,
            n_rows=self.n_rows,
            repeats=self.repeats,
            top_k=top_k,
            stability=None if stability is None else round(stability, 4),
            stable=stable,
            correlated=correlated_groups(self.data, self.plan.seed),
            model_view=view,
            partial_dependence=self.pd,
            notes=list(self.notes),
        )


def _with_X(data: ProbeData, X) -> ProbeData:
    from dataclasses import replace

    return replace(data, X=X)


def _model_view(model: FittedModel) -> SourceWeights | None:
    method = getattr(model, "source_importance", None)
    if method is None:
        return None
    try:
        view = method()
    except Exception:  # noqa: BLE001 - an optional extra: a probe's bug here must not fail the probe
        return None
    return view if isinstance(view, SourceWeights) else None


def _aggregate(folds: list[_Fold]) -> list[Importance]:
    columns = list(folds[0].drops)
    rows = []
    for c in columns:
        values = [f.drops.get(c, math.nan) for f in folds]
        finite = [v for v in values if not math.isnan(v)]
        mean = float(np.mean(finite)) if finite else math.nan
        std = float(np.std(finite, ddof=1)) if len(finite) > 1 else 0.0
        rows.append((c, mean, std, [round(v, 6) for v in values]))
    rows.sort(key=lambda r: (-(r[1] if not math.isnan(r[1]) else -math.inf), r[0]))
    return [Importance(c, round(m, 6), round(s, 6), v, i + 1) for i, (c, m, s, v) in enumerate(rows)]


def _stability(importance: list[Importance]) -> tuple[float | None, int]:
    """Mean Spearman correlation, over pairs of folds, of the top-k columns' drops."""
    from scipy.stats import spearmanr

    top = importance[:TOP_K]
    k = len(top)
    n_folds = len(top[0].folds) if top else 0
    if k < 2 or n_folds < 2:
        return None, k
    table = np.array([i.folds for i in top], dtype=np.float64)  # (k, folds)
    rhos = []
    for a in range(n_folds):
        for b in range(a + 1, n_folds):
            x, y = table[:, a], table[:, b]
            if np.isnan(x).any() or np.isnan(y).any():
                continue
            if np.ptp(x) == 0 or np.ptp(y) == 0:
                rhos.append(1.0 if np.array_equal(x, y) else 0.0)
                continue
            rhos.append(float(spearmanr(x, y).statistic))
    return (float(np.mean(rhos)) if rhos else None), k


def _combine_views(views: list[SourceWeights], importance: list[Importance]) -> ModelView | None:
    if not views:
        return None
    kind = views[0].kind
    views = [v for v in views if v.kind == kind]
    columns = list(dict.fromkeys(c for v in views for c in v.values))
    weights = []
    for c in columns:
        values = [v.values[c] for v in views if c in v.values]
        signs = {v.direction.get(c, 0) for v in views if c in v.values}
        direction = signs.pop() if len(signs) == 1 else 0
        std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        weights.append(ModelWeight(c, round(float(np.mean(values)), 6), round(std, 6), direction))
    weights.sort(key=lambda w: (-abs(w.mean), w.column))
    return ModelView(kind, weights, _disagreements(weights, importance))


def _disagreements(weights: list[ModelWeight], importance: list[Importance]) -> list[str]:
    """Columns in either top ``TOP_K`` that the two rankings place ``DISAGREE_RANKS`` or more apart."""
    view_rank = {w.column: i for i, w in enumerate(weights)}
    perm_rank = {i.column: i.rank - 1 for i in importance}
    shared = [c for c in perm_rank if c in view_rank]
    top = [c for c in shared if view_rank[c] < TOP_K or perm_rank[c] < TOP_K]
    return [c for c in top if abs(view_rank[c] - perm_rank[c]) >= DISAGREE_RANKS]


def _partial_dependence(
    model: FittedModel, sub: ProbeData, column: str, fold: int, task: str
) -> PartialDependence:
    assert sub.X is not None
    values = sub.X[column].to_numpy(dtype=np.float64)
    finite = values[~np.isnan(values)]
    grid = np.unique(np.quantile(finite, np.linspace(0.05, 0.95, PD_GRID))) if len(finite) else np.array([])
    if not len(grid):
        return PartialDependence(column, [], [], fold)
    # Every grid value's copy of the rows in one frame: one predict call, not one per value.
    import pandas as pd

    idx = np.tile(np.arange(len(sub)), len(grid))
    X = sub.X.iloc[idx].reset_index(drop=True)
    X[column] = np.repeat(grid, len(sub))
    big = _with_X(sub.take(idx), X)
    pred = check_predictions(task, model.predict(big), len(big), sub.n_classes)
    out = pred[:, 1] if task == "binary" else pred
    means = pd.Series(out).groupby(np.repeat(np.arange(len(grid)), len(sub))).mean().tolist()
    return PartialDependence(column, [round(float(g), 6) for g in grid], [round(m, 6) for m in means], fold)


def pd_direction(pd: PartialDependence) -> int:
    """+1 / -1 when the partial dependence rises / falls with the column (|Spearman| >= 0.8), else 0."""
    if len(pd.grid) < 3 or np.ptp(pd.mean_prediction) == 0:
        return 0
    from scipy.stats import spearmanr

    rho = float(spearmanr(pd.grid, pd.mean_prediction).statistic)
    return 0 if math.isnan(rho) or abs(rho) < 0.8 else (1 if rho > 0 else -1)
