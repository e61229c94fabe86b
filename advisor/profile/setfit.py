"""Least-squares and logistic fits of small column sets, fitted on one half, scored on the other.

The numerical core of ``leak_combos``: the Gram matrices of both halves are
computed once per target form (``moments``, ``half_fold``), so the held-out R²
of thousands of 2-3 column sets is a batch of tiny solves (``prescreen``); the
best are then scored exactly on the rows (``exact_score``), and classification
near misses refined by a few Newton steps of a ridge logistic regression
(``refined_score``). numpy only.
"""

from __future__ import annotations

import numpy as np

from advisor.profile.leakage import roc_auc

NEWTON_STEPS = 30
LOGISTIC_RIDGE = 1e-8  # per row, on standardised columns: keeps separable fits finite
RIDGE = 1e-9  # per row, on standardised columns: collinear sets stay solvable


def moments(x: np.ndarray, halves: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Per half: ``(X'X, column sums, rows)``, shared by every target form and both fit directions."""
    return [(x[h].T @ x[h], x[h].sum(axis=0), len(h)) for h in halves]


def half_fold(
    x: np.ndarray,
    moments: list[tuple[np.ndarray, np.ndarray, int]],
    y: np.ndarray,
    labels: np.ndarray,
    halves: list[np.ndarray],
    first: int,
) -> dict:
    """Quantities for fitting on half ``first`` and scoring on the other half any column subset.

    ``y``: the (n, k) target form fitted; ``labels``: what the exact metric compares with
    (class codes, or the target form itself for regression). Centred cross products
    come from the halves' raw moments (columns are standardised, so no precision is lost)."""
    train, test = halves[first], halves[1 - first]
    (xx_a, sum_a, n_a), (xx_b, sum_b, n_b) = moments[first], moments[1 - first]
    mx = sum_a / n_a
    y_a, y_b = y[train], y[test]
    my = y_a.mean(0)
    xy_a, xy_b = x[train].T @ y_a, x[test].T @ y_b
    e = y_b - my
    return {
        "G": xx_a - n_a * np.outer(mx, mx),
        "c": xy_a - np.outer(mx, y_a.sum(0)),
        "DD": xx_b - np.outer(mx, sum_b) - np.outer(sum_b, mx) + n_b * np.outer(mx, mx),
        "De": xy_b - np.outer(mx, y_b.sum(0)) - np.outer(sum_b, my) + n_b * np.outer(mx, my),
        "ee": (e * e).sum(0),
        "sst": ((y_b - y_b.mean(0)) ** 2).sum(0),
        "x_train": x[train],
        "x_test": x[test],
        "mx": mx,
        "my": my,
        "truth": labels[test],
        "train_truth": labels[train],
        "test": test,
        "train": train,
        "ridge": RIDGE * n_a,
    }


def prescreen(fold: dict, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Held-out R² (mean over target columns) of every set in ``sets`` (T, s), and the coefficients."""
    s = sets.shape[1]
    g = fold["G"][sets[:, :, None], sets[:, None, :]] + fold["ridge"] * np.eye(s)
    c = fold["c"][sets]  # (T, s, k)
    b = np.linalg.solve(g, c)
    dd = fold["DD"][sets[:, :, None], sets[:, None, :]]
    sse = (
        fold["ee"]
        - 2 * np.einsum("tsk,tsk->tk", b, fold["De"][sets])
        + np.einsum("tsk,tsr,trk->tk", b, dd, b)
    )
    with np.errstate(all="ignore"):
        r2 = np.where(fold["sst"] > 0, 1 - sse / fold["sst"], 0.0).mean(axis=1)
    return np.nan_to_num(r2, nan=-np.inf), b


def exact_score(fold: dict, members: tuple[int, ...], coef: np.ndarray, y: np.ndarray, task: str) -> float:
    """The held-out metric of one set from its fitted coefficients, computed on the rows."""
    cols = list(members)
    pred = (fold["x_test"][:, cols] - fold["mx"][cols]) @ coef + fold["my"]
    truth = fold["truth"]
    if task == "regression":
        sst = float(fold["sst"][0])
        return 1 - float(((truth - pred[:, 0]) ** 2).sum()) / sst if sst > 0 else 0.0
    if task == "binary":
        return roc_auc(truth, pred[:, 0])
    if pred.shape[1] == 1:  # the classes' rank: cut the fitted score where the training rows change class
        fitted = (fold["x_train"][:, cols] - fold["mx"][cols]) @ coef + fold["my"]
        cuts = rank_cuts(fitted[:, 0], fold["train_truth"])
        return float((np.searchsorted(cuts, pred[:, 0], side="left") == truth).mean())
    return float((pred.argmax(axis=1) == truth).mean())


def rank_cuts(score: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Per boundary between ranks j and j + 1, the cut of ``score`` with the fewest training errors."""
    order = np.argsort(score, kind="stable")
    ordered, ranks = score[order], rank[order]
    cuts = []
    for j in range(int(rank.max())):
        low = ranks <= j
        errors = np.r_[0, np.cumsum(~low)] + (low.sum() - np.r_[0, np.cumsum(low)])
        i = int(np.argmin(errors))  # cut after the first i rows
        cuts.append(
            ordered[0] - 1
            if i == 0
            else ordered[-1] + 1
            if i == len(ordered)
            else ordered[i - 1] / 2 + ordered[i] / 2
        )
    return np.maximum.accumulate(np.asarray(cuts, dtype="float64"))


def logistic_scores(x: np.ndarray, target: np.ndarray, fold: dict, members: tuple[int, ...]) -> np.ndarray:
    """Held-out log-odds of a ridge logistic regression of the 0/1 ``target`` on ``members``
    (Newton steps from zero), fitted on the fold's training half."""
    cols = list(members)
    train = fold["train"]
    xt = fold["x_train"][:, cols]
    mean, std = xt.mean(0), np.maximum(xt.std(0), 1e-300)
    a = np.column_stack([np.ones(len(train)), (xt - mean) / std])
    t = target[train].astype("float64")
    w = np.zeros(a.shape[1])
    ridge = LOGISTIC_RIDGE * len(train) * np.eye(a.shape[1])
    ridge[0, 0] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1 / (1 + np.exp(-np.clip(a @ w, -500, 500)))
        grad = a.T @ (p - t) + ridge @ w
        hess = (a * (p * (1 - p))[:, None]).T @ a + ridge + 1e-12 * np.eye(a.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[0] + ((fold["x_test"][:, cols] - mean) / std) @ w[1:]


def refined_score(x: np.ndarray, y: np.ndarray, fold: dict, members: tuple[int, ...], task: str) -> float:
    """Binary: held-out AUC of the logistic fit. Classes' rank: one logistic fit per boundary
    (rank > j), the predicted rank counting the boundaries passed; held-out accuracy."""
    if task == "binary":
        return roc_auc(y[fold["test"]], logistic_scores(x, y, fold, members))
    ranks = np.r_[fold["train_truth"], fold["truth"]]
    order = np.r_[fold["train"], fold["test"]]
    rank = np.empty(len(x), dtype="int64")
    rank[order] = ranks
    passed = sum(
        (logistic_scores(x, rank > j, fold, members) > 0).astype("int64") for j in range(int(rank.max()))
    )
    return float((passed == fold["truth"]).mean())
