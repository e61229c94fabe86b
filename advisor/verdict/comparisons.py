"""Two probes on the same folds: the correlated Bayesian t-test's verdict, and each family's best.

``compare`` gives the three probabilities (leader practically better, practically
equivalent within the ROPE, other better; advisor/verdict/bayes.py) and the outcome
the policy reads (advisor/verdict/decide.py).
"""

from __future__ import annotations

import math

from advisor import families
from advisor.families import BASELINE
from advisor.probe_api import ProbeResult
from advisor.verdict.bayes import correlated_ttest
from advisor.verdict.model import Comparison

PROBABILITY = 0.95  # a comparison decides when one side reaches this posterior probability
MIN_PAIRS = 5  # fewer paired folds never decide a comparison


def paired_diffs(a: ProbeResult, b: ProbeResult) -> list[float]:
    """Per-fold ``a - b`` over the folds both scored (the plan gives every probe the same folds)."""
    assert a.score is not None and b.score is not None
    return [
        x - y
        for x, y in zip(a.score.folds, b.score.folds, strict=False)
        if not (math.isnan(x) or math.isnan(y))
    ]


def compare(leader: ProbeResult, other: ProbeResult, rope: float, metric: str = "") -> Comparison:
    """``leader`` against ``other`` on their paired folds (see advisor.verdict.bayes)."""
    assert leader.score is not None and other.score is not None
    diffs = paired_diffs(leader, other)
    n_total = leader.n_train + leader.n_test
    rho = leader.n_test / n_total if n_total else 1.0 / max(len(diffs), 2)
    post = correlated_ttest(diffs, rho, rope)
    mean = leader.score.mean - other.score.mean
    if post is None:
        # One fold: no spread of differences, so no posterior; nothing is decided.
        p_lead, p_eq, p_other = (float("nan"),) * 3
    else:
        mean, p_lead, p_eq, p_other = post.mean, post.p_right_better, post.p_equivalent, post.p_left_better
    enough = len(diffs) >= MIN_PAIRS
    # "equivalent": the simpler of the two is practically equivalent or better, so it wins.
    simpler_leads = families.rank(leader.family) < families.rank(other.family)
    p_simpler_not_worse = p_lead + p_eq if simpler_leads else p_eq + p_other
    if enough and p_lead >= PROBABILITY:
        outcome = "leader"
    elif enough and p_simpler_not_worse >= PROBABILITY:
        outcome = "equivalent"
    else:
        outcome = "undetermined"
    return Comparison(
        leader=leader.family,
        other=other.family,
        metric=metric or leader.metric,
        mean_diff=round(mean, 6),
        n_pairs=len(diffs),
        rho=round(rho, 4),
        rope=rope,
        p_leader_better=_p(p_lead),
        p_equivalent=_p(p_eq),
        p_other_better=_p(p_other),
        outcome=outcome,  # type: ignore[arg-type]
        enough_folds=enough,
    )


def _p(x: float) -> float:
    return x if math.isnan(x) else round(x, 4)


def posterior_sd(leader: ProbeResult, other: ProbeResult) -> float:
    diffs = paired_diffs(leader, other)
    if len(diffs) < 2:
        return math.hypot(leader.score.std, other.score.std)  # type: ignore[union-attr]
    n_total = leader.n_train + leader.n_test
    rho = min(leader.n_test / n_total if n_total else 0.5, 0.99)
    mean = sum(diffs) / len(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1)
    return math.sqrt((1 / len(diffs) + rho / (1 - rho)) * var)


def best_by_family(results: list[ProbeResult]) -> dict[str, ProbeResult]:
    best: dict[str, ProbeResult] = {}
    for r in results:
        if r.score is None or r.family == BASELINE or math.isnan(r.score.mean):
            continue
        if r.family not in best or r.score.mean > best[r.family].score.mean:  # type: ignore[union-attr]
            best[r.family] = r
    return best
