"""Leakage no single column shows: the target as an exact combination of two or three columns.

A total next to its parts (``total = a + b``), a ratio (``rate = a / b``), a product
or an arithmetic combination of up to three columns, possibly under a log, is
invisible to the single-column scan of ``leakage.py`` when each part alone only
correlates with the target. This module searches small column sets for an (almost)
exact linear fit:

- feature spaces: the raw columns, and their logs (``log x`` when the column is
  positive, else the signed ``log1p(|x|) * sign(x)`` when it is non-negative or
  skewed); a log-log fit catches products, ratios and power laws;
- target forms (regression): ``y``, ``log y`` (positive targets) and ``exp y`` (a
  target that is the log of a sum); classes as 0/1 or one-hot columns;
- fits: least squares with an intercept on 2 or 3 columns, fitted on one seeded
  half and scored on the other, both ways; the smaller of the two held-out scores
  counts, so small, nearly separable data sets (wine, iris) cannot pass by luck.

Every fit reduces to small submatrices of two Gram matrices, so the scan is
exhaustive over pairs (and over triples while affordable, else the best pairs
extended by each column) and costs milliseconds on a 10,000-row sample.
Classification sets are first ranked by the held-out R² of the 0/1 (one-hot)
fit, then the best are scored exactly (ROC AUC, or accuracy of the argmax); for a
binary target a near miss is refined by a few Newton steps of a ridge logistic
regression, since least squares does not find the separating direction of e.g.
``a > b`` when the columns differ in shape. numpy only: no sklearn import.

A set is reported only when no member alone reaches the flag (single columns are
``leakage.py``'s job) and no smaller reported set is inside it; smallest first.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from advisor.facts import ColumnProfile, DataWarning, LeakageSuspect
from advisor.profile.kinds import to_float
from advisor.profile.leakage import scan_sample
from advisor.profile.setfit import exact_score, half_fold, moments, prescreen, refined_score
from advisor.profile.target import encode_target

Transform = Literal["linear", "log"]

CELL_BUDGET = 1_000_000  # rows x candidate columns; wide tables get fewer rows (Gram cost is rows x columns²)
MIN_HELD_OUT = 50  # rows per half: fewer cannot tell an identity from a lucky fit
MAX_COLUMNS = 200  # candidate columns kept (by |correlation| with the target) on wider tables
MAX_SET = 3  # combinations of at most this many columns
MAX_TRIPLES = 20_000  # exhaustive triples up to this many (about 50 columns), else greedy extension
TOP_PAIRS = 64  # ...of this many best pairs, each by every other column
CHECK_PER_SIZE = 32  # classification: sets per size scored exactly, best held-out R² first
MAX_REPORTED = 5  # combination leaks returned at most
SEED = 0
# Identities, not strong signals: an exact total or ratio fits to rounding error,
# while the best genuine models on clean data (breast cancer, digits) stay below 0.999.
FLAG_R2 = 0.9999
# The counts above bound the search (0.2-0.6 s CPU on 10,000 rows x 40-200 columns), so
# what it finds depends on the data and the seed only. The clock is a backstop for
# inputs those bounds did not foresee: at 0.5 s it cut ordinary 60-column tables on a
# loaded machine, and the same file and seed found different leaks from run to run.
TIME_BACKSTOP = 10.0
FLAG_AUC = 0.9999
# Multiclass: one-vs-rest linear scores place a few boundary rows wrongly even for an
# exact rule; 0.999 of 5,000 held-out rows is at most 5 errors (0 on a small set).
FLAG_ACCURACY = 0.999
REFINE_PER_SIZE = 12  # ...at most this many sets per size and space (each costs ~1 ms)
REFINE_FROM = (
    0.95  # least-squares AUC (accuracy of the classes' rank) from which a set gets the logistic refinement
)
MAX_EXP_RANGE = 30.0  # exp(y) is tried when y spans at most this (counts under a log span ~15)
SKEWED = 2.0  # |skewness| from which a column with negative values also gets a signed log
CANDIDATE_KINDS = ("numeric", "boolean")

_METRIC = {"binary": "ROC AUC", "multiclass": "accuracy", "regression": "R2"}
_FLAG = {"binary": FLAG_AUC, "multiclass": FLAG_ACCURACY, "regression": FLAG_R2}


@dataclass(frozen=True)
class ComboLeak:
    columns: tuple[str, ...]
    transform: Transform  # "linear": raw columns and target; "log": a log on either side
    metric: str  # "R2", "ROC AUC", "accuracy" (held out)
    score: float
    form: str = ""  # the fit, e.g. "log(target) ~ log(a) + log(b)"

    def warning(self) -> DataWarning:
        names = " + ".join(repr(c) for c in self.columns)
        metric = "R²" if self.metric == "R2" else self.metric
        fit = "linear fit" if self.transform == "linear" else f"log fit, {self.form}"
        return DataWarning(
            "leakage-combination",
            f"columns {names} together reproduce the target (held-out {metric} {self.score:.4f}, {fit}): "
            "likely a total of its parts or a derived column; check them",
            self.columns[0],
        )


def find_combination_leaks(
    frame: pd.DataFrame,
    columns: list[ColumnProfile],
    target: ColumnProfile,
    task: str,
    *,
    time_limit: float = TIME_BACKSTOP,
    exclude: tuple[str, ...] | list[str] = (),
) -> list[ComboLeak]:
    """Sets of 2-3 columns whose linear (or log-linear) fit reproduces the target on held-out rows.

    ``exclude``: columns already flagged alone (``find_leakage``); they take no part.
    Stops searching when ``time_limit`` seconds have passed (a backstop, see
    ``TIME_BACKSTOP``) and returns what it found.
    """
    deadline = time.perf_counter() + time_limit
    if task not in _METRIC:
        return []
    candidates = [
        c for c in columns if c.name != target.name and c.kind in CANDIDATE_KINDS and c.name not in exclude
    ]
    if len(candidates) < 2:
        return []
    rng = np.random.default_rng(SEED)
    sample = scan_sample(frame, [*(c.name for c in candidates), target.name], rng, CELL_BUDGET)
    encoded = encode_target(sample[target.name], target.kind, task)
    if encoded.keep.sum() < 2 * MIN_HELD_OUT or (task != "regression" and len(encoded.class_names) < 2):
        return []
    y = encoded.y
    with np.errstate(all="ignore"):  # values near the float limit overflow: such columns are dropped
        halves = _halves(y, task, rng)
        if min(len(h) for h in halves) < MIN_HELD_OUT:
            return []
        targets = _targets(y, task, encoded.class_names)
        names, raw, logs = _features(sample[encoded.keep], candidates, targets[0][1])
        if len(names) < 2:
            return []
        return _search(names, raw, logs, targets, y, halves, task, deadline)


def _features(
    sample: pd.DataFrame, candidates: list[ColumnProfile], y: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Raw columns (missing values filled with the median) and their log forms; constants dropped.

    Beyond MAX_COLUMNS, the columns most correlated with the target form ``y`` are kept."""
    dtypes = dict(zip(sample.columns, sample.dtypes, strict=True))
    plain = [
        i
        for i, c in enumerate(candidates)
        if pd.api.types.is_numeric_dtype(dtypes[c.name]) or pd.api.types.is_bool_dtype(dtypes[c.name])
    ]
    # One conversion for the plain numeric columns (most of a wide table), to_float for the rest.
    x = np.empty((len(sample), len(candidates)), dtype="float64")
    if plain:
        x[:, plain] = sample[[candidates[i].name for i in plain]].to_numpy(dtype="float64", na_value=np.nan)
    for i in sorted(set(range(len(candidates))) - set(plain)):
        x[:, i] = to_float(sample[candidates[i].name], candidates[i].kind)
    x[~np.isfinite(x)] = np.nan
    spread = np.nanmax(x, axis=0) - np.nanmin(x, axis=0) if len(x) else np.zeros(x.shape[1])
    usable = np.isfinite(spread) & (spread > 0)
    x = x[:, usable]
    columns = [c for c, ok in zip(candidates, usable, strict=True) if ok]
    if not columns:
        return [], np.empty((len(sample), 0)), np.empty((len(sample), 0))
    gaps = np.isnan(x).any(axis=0)
    if gaps.any():
        x[:, gaps] = np.where(np.isnan(x[:, gaps]), np.nanmedian(x[:, gaps], axis=0), x[:, gaps])
    if len(columns) > MAX_COLUMNS:
        keep = _screen(x, y)
        x, columns = x[:, keep], [columns[i] for i in keep]
    numeric = np.array([c.kind == "numeric" for c in columns])
    return [c.name for c in columns], x, _log_forms(x, numeric)


def _log_forms(x: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Per column: ``log x`` when positive, signed ``log1p`` when non-negative or skewed, else ``x``.

    Booleans stay as they are (a log of 0/1 is the same column)."""
    low = x.min(axis=0)
    centred = x - x.mean(axis=0)
    std = centred.std(axis=0)
    cubed = (centred * centred * centred).mean(axis=0)  # ``** 3`` calls pow: 7 ms on 10,000 x 14
    skew = np.where(std > 0, cubed / np.maximum(std, 1e-300) ** 3, 0.0)
    positive = numeric & (low > 0)
    signed = numeric & ~positive & ((low >= 0) | (np.abs(skew) >= SKEWED))
    out = x.copy()
    if positive.any():
        out[:, positive] = np.log(x[:, positive])
    if signed.any():
        out[:, signed] = np.sign(x[:, signed]) * np.log1p(np.abs(x[:, signed]))
    return out


def _targets(y: np.ndarray, task: str, class_names: list[str]) -> list[tuple[str, np.ndarray]]:
    """Target forms as ``(name, (n, k) matrix)``: 0/1 or one-hot for classes, plus the classes'
    rank ("ordinal": a bucketed score; by value when the labels are numbers); y, log y, exp y for numbers."""
    if task == "binary":
        return [("class", y.astype("float64")[:, None])]
    if task == "multiclass":
        values = pd.to_numeric(pd.Series(class_names), errors="coerce").to_numpy(dtype="float64")
        order = np.argsort(
            values if not np.isnan(values).any() else np.arange(len(class_names)), kind="stable"
        )
        rank = np.empty(len(class_names), dtype="int64")
        rank[order] = np.arange(len(class_names))
        return [("class", np.eye(len(class_names))[y]), ("ordinal", rank[y].astype("float64")[:, None])]
    forms = [("y", y[:, None])]
    if y.min() > 0:
        forms.append(("log", np.log(y)[:, None]))
    spread = float(np.ptp(y))
    if 0 < spread <= MAX_EXP_RANGE:
        forms.append(("exp", np.exp(y - y.max())[:, None]))
    return forms


def _halves(y: np.ndarray, task: str, rng: np.random.Generator) -> list[np.ndarray]:
    """Two seeded halves of the rows (stratified by class for classification)."""
    if task == "regression":
        order = rng.permutation(len(y))
        return [np.sort(order[: len(y) // 2]), np.sort(order[len(y) // 2 :])]
    first = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        first[members[: len(members) // 2]] = True
    return [np.flatnonzero(first), np.flatnonzero(~first)]


def _screen(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the MAX_COLUMNS columns most correlated with the target (any of its columns).

    Raw columns only: a part whose log alone correlates with the target is missed on such wide tables."""
    xc = (x - x.mean(0)) / np.maximum(x.std(0), 1e-300)
    yc = (y - y.mean(0)) / np.maximum(y.std(0), 1e-300)
    strength = np.nan_to_num(np.abs(xc.T @ yc / len(y)).max(axis=1))
    return np.sort(np.argsort(-strength, kind="stable")[:MAX_COLUMNS])


def _search(
    names: list[str],
    raw: np.ndarray,
    logs: np.ndarray,
    targets: list[tuple[str, np.ndarray]],
    y: np.ndarray,
    halves: list[np.ndarray],
    task: str,
    deadline: float,
) -> list[ComboLeak]:
    flag = _FLAG[task]
    found: list[ComboLeak] = []
    found_sets: list[frozenset[int]] = []
    p = len(names)
    logged = (logs != raw).any(axis=0)
    has_logs = bool(logged.any())
    # (feature space, target form, transform, fit formula)
    plans = [(False, "y" if task == "regression" else "class", "linear", "{t} ~ {cols}")]
    if has_logs:
        if task == "regression":
            plans += [(True, "log", "log", "log({t}) ~ {cols}"), (True, "y", "log", "{t} ~ {cols}")]
        else:
            plans += [(True, "class", "log", "{t} ~ {cols}")]
    if task == "multiclass":
        plans += [(False, "ordinal", "linear", "rank({t}) ~ {cols}")]
        plans += [(True, "ordinal", "log", "rank({t}) ~ {cols}")] if has_logs else []
    if task == "regression":
        plans += [(False, "exp", "log", "exp({t}) ~ {cols}")]
    forms = dict(targets)
    standardised: dict[bool, np.ndarray] = {}
    gram: dict[bool, list] = {}
    for log_features, target_form, transform, formula in plans:
        if target_form not in forms or time.perf_counter() > deadline:
            continue
        if log_features not in standardised:
            x = logs if log_features else raw
            standardised[log_features] = (x - x.mean(0)) / np.maximum(x.std(0), 1e-300)
        x = standardised[log_features]
        target_matrix = forms[target_form]
        labels = target_matrix[:, 0] if task == "regression" else y
        if target_form == "ordinal":
            labels = target_matrix[:, 0].astype("int64")
        if log_features not in gram:
            gram[log_features] = moments(x, halves)
        folds = [half_fold(x, gram[log_features], target_matrix, labels, halves, first) for first in (0, 1)]
        singles: dict[int, float] = {}
        for size in range(2, MAX_SET + 1):
            if time.perf_counter() > deadline or len(found) >= MAX_REPORTED:
                break
            sets = _candidate_sets(p, size, folds)
            if sets is None:
                break
            fits = [prescreen(f, sets) for f in folds]
            held_out = np.minimum(fits[0][0], fits[1][0])
            order = np.argsort(-held_out, kind="stable")
            if task == "regression":
                order = order[held_out[order] >= flag - 1e-6]
            checked = 0
            refined = [0]
            for t in order:
                if checked >= CHECK_PER_SIZE or time.perf_counter() > deadline or len(found) >= MAX_REPORTED:
                    break
                members = tuple(int(i) for i in sets[t])
                if any(s <= frozenset(members) for s in found_sets):
                    continue
                checked += 1
                score = np.inf
                for fold, fit in zip(folds, fits, strict=True):  # the second half only when the first passes
                    score = min(score, _score_set(fold, sets, t, members, y, task, x, fit[1], refined))
                    if score < flag:
                        break
                if score < flag or any(_single(folds, i, y, task, x, singles) >= flag for i in members):
                    continue
                cols = tuple(names[i] for i in members)
                shown = " + ".join(
                    f"log({names[i]})" if log_features and logged[i] else names[i] for i in members
                )
                found.append(
                    ComboLeak(
                        cols, transform, _METRIC[task], float(score), formula.format(t="target", cols=shown)
                    )
                )
                found_sets.append(frozenset(members))
    return sorted(found, key=lambda leak: (len(leak.columns), -leak.score))


def _single(
    folds: list[dict], i: int, y: np.ndarray, task: str, x: np.ndarray, cache: dict[int, float]
) -> float:
    """Held-out score of column ``i`` alone (the smaller of the two halves'), cached."""
    if i not in cache:
        sets = np.array([[i]])
        cache[i] = min(_score_set(f, sets, 0, (i,), y, task, x, prescreen(f, sets)[1]) for f in folds)
    return cache[i]


def _score_set(
    fold: dict,
    sets: np.ndarray,
    t: int,
    members: tuple[int, ...],
    y: np.ndarray,
    task: str,
    x: np.ndarray,
    coefs: np.ndarray,
    refined: list[int] | None = None,
) -> float:
    """The held-out metric of set ``t``; near misses (binary, classes' rank) get the logistic
    refinement while ``refined`` (a one-item counter) is under REFINE_PER_SIZE."""
    score = exact_score(fold, members, coefs[t], y, task)
    if task == "binary" and len(members) == 1:
        score = max(score, 1 - score)
    ordinal = task == "multiclass" and coefs.shape[-1] == 1
    if (
        (task == "binary" or ordinal)
        and refined is not None
        and REFINE_FROM <= score < _FLAG[task]
        and refined[0] < REFINE_PER_SIZE
    ):
        refined[0] += 1
        score = max(score, refined_score(x, y, fold, members, task))
    return score


def _candidate_sets(p: int, size: int, folds: list[dict]) -> np.ndarray | None:
    """All sets of ``size`` columns while affordable; else the best pairs extended by each column."""
    if size == 2:
        i, j = np.triu_indices(p, k=1)
        return np.column_stack([i, j])
    if size == 3 and p * (p - 1) * (p - 2) // 6 <= MAX_TRIPLES:
        return np.array(list(itertools.combinations(range(p), 3)), dtype=np.intp).reshape(-1, 3)
    if size != 3:
        return None
    pairs = _candidate_sets(p, 2, folds)
    score = np.minimum(*[prescreen(f, pairs)[0] for f in folds])
    best = pairs[np.argsort(-score, kind="stable")[:TOP_PAIRS]]
    third = np.arange(p)
    triples = np.column_stack([np.repeat(best, p, axis=0), np.tile(third, len(best))])
    triples = triples[(triples[:, 2] != triples[:, 0]) & (triples[:, 2] != triples[:, 1])]
    return np.unique(np.sort(triples, axis=1), axis=0)


def leakage_evidence(suspects: list, combos: list[ComboLeak]) -> tuple[list[str], list[LeakageSuspect]]:
    """``(leakage_suspects, leakage_evidence)`` for the profile from ``find_leakage``'s suspects and
    the combination leaks: columns deduplicated in order, single columns first."""
    names = list(dict.fromkeys([s.column for s in suspects] + [c for leak in combos for c in leak.columns]))
    evidence = [LeakageSuspect([s.column], "single", s.metric, float(s.score)) for s in suspects]
    evidence += [
        LeakageSuspect(list(leak.columns), "combination", leak.metric, leak.score) for leak in combos
    ]
    return names, evidence
