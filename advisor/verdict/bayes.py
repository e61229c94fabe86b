"""The correlated Bayesian t-test for two models scored on the same folds.

Corani and Benavoli (Machine Learning 100, 2015); Benavoli, Corani, Demšar and
Zaffalon, "Time for a change", JMLR 18(77), 2017. The per-fold differences of
k-fold cross-validation (repeated or not) are correlated because training sets
overlap; with correlation rho = n_test / n_total (Nadeau and Bengio, 2003) the
posterior of the mean difference is Student's t with n - 1 degrees of freedom,
location the mean difference and scale sqrt((1/n + rho/(1 - rho)) * var).
A region of practical equivalence (ROPE) turns it into three probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Below this spread of the fold differences the posterior is a point: the
# probabilities follow from where the mean lies against the ROPE.
VARIANCE_FLOOR = 1e-12


@dataclass(frozen=True)
class Posterior:
    mean: float
    scale: float  # posterior standard deviation of the mean difference (t scale)
    dof: int
    p_left_better: float  # difference < -rope
    p_equivalent: float
    p_right_better: float  # difference > rope


def correlated_ttest(diffs: list[float], rho: float, rope: float) -> Posterior | None:
    """Posterior of the mean of ``diffs`` (right minus left); None with fewer than 2 pairs."""
    n = len(diffs)
    if n < 2:
        return None
    rho = min(max(rho, 0.0), 0.99)
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    if var <= VARIANCE_FLOOR:
        right = 1.0 if mean > rope else 0.0
        left = 1.0 if mean < -rope else 0.0
        return Posterior(mean, 0.0, n - 1, left, 1.0 - left - right, right)
    from scipy.stats import t

    scale = math.sqrt((1.0 / n + rho / (1.0 - rho)) * var)
    dist = t(df=n - 1, loc=mean, scale=scale)
    left = float(dist.cdf(-rope))
    right = float(dist.sf(rope))
    return Posterior(mean, scale, n - 1, left, max(0.0, 1.0 - left - right), right)
