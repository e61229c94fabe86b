"""``--goal explain``: the interpretable model an explanation can rest on, and its drivers.

Walking the interpretable families from the simplest up, the first one that is
practically equivalent to the best (or is the best) carries the explanation;
when none is, the best-scoring interpretable family does, and the explanation
states its cost in score points against the best. Its drivers are the columns
with the largest permutation importance on the held-out folds (measured by the
runner, advisor/probing/importance.py), each with a direction (the sign of the
standardised coefficient, else the slope of the partial dependence), the columns
it is correlated with, and whether it is a leakage suspect. The ranking's fold
stability decides whether it is an explanation at all.

Evidence only: the report writes the sentences.
"""

from __future__ import annotations

import math

from advisor import families
from advisor.probe_api import Drivers, ProbeResult
from advisor.probing.importance import pd_direction
from advisor.verdict.model import Candidate, DirectionSource, Driver, Explanation, Ranked

TOP_DRIVERS = 5  # drivers named in the headline
NOISE_Z = 2.0  # a mean drop within this many standard errors of zero is noise


def candidates(ranking: list[Ranked], equivalent: list[str]) -> list[Candidate]:
    """Every interpretable family measured, simplest first, with its cost against the best."""
    return [
        Candidate(r.family, r.probe, r.gap_to_best, r.gap_noise, r.family in equivalent)
        for r in sorted(ranking, key=lambda r: families.rank(r.family))
        if families.interpretable(r.family)
    ]


def explain(
    best: dict[str, ProbeResult],
    ranking: list[Ranked],
    equivalent: list[str],
    metric: str,
    suspects: list[str],
) -> Explanation | None:
    """The explanation headline's evidence, or None when no interpretable family was measured.

    ``best``: each family's best probe; ``ranking``: decide's, best first;
    ``equivalent``: the families practically not worse than the best (the best included)."""
    options = candidates(ranking, equivalent)
    if not options or not ranking:
        return None
    chosen = next((c for c in options if c.equivalent), None) or min(options, key=lambda c: c.cost)
    probe = best[chosen.family]
    out = Explanation(
        family=chosen.family,
        probe=chosen.probe,
        best_family=ranking[0].family,
        equivalent=chosen.equivalent,
        cost=chosen.cost,
        cost_noise=chosen.cost_noise,
        metric=metric,
        candidates=options,
    )
    d = probe.drivers
    if d is None or not d.importance:
        out.measured = False
        return out
    out.stability, out.stable, out.n_folds = d.stability, d.stable, d.n_folds
    out.noise = [i.column for i in d.importance if is_noise(i.mean, i.std, d.n_folds)]
    top = [i for i in d.importance if i.column not in out.noise][:TOP_DRIVERS]
    out.drivers = [_driver(d, i.column, i.mean, i.std, suspects) for i in top]
    named = {x.column for x in out.drivers}
    out.proxies = [g.columns for g in d.correlated if named & set(g.columns)]
    return out


def is_noise(mean: float, std: float, n_folds: int) -> bool:
    """A mean drop not above zero by ``NOISE_Z`` standard errors (one fold: not above zero)."""
    if math.isnan(mean) or mean <= 0:
        return True
    if n_folds < 2:
        return False
    return mean - NOISE_Z * std / math.sqrt(n_folds) <= 0


def _driver(d: Drivers, column: str, mean: float, std: float, suspects: list[str]) -> Driver:
    direction, source = _direction(d, column)
    proxies = [c for g in d.correlated if column in g.columns for c in g.columns if c != column]
    return Driver(column, mean, std, direction, source, proxies, column in suspects)


def _direction(d: Drivers, column: str) -> tuple[int, DirectionSource]:
    view = d.model_view
    if view is not None and view.kind == "coefficient":
        w = next((w for w in view.weights if w.column == column), None)
        if w is not None and w.direction:
            return w.direction, "coefficient"
    pd = next((p for p in d.partial_dependence if p.column == column), None)
    if pd is not None and (sign := pd_direction(pd)):
        return sign, "partial_dependence"
    return 0, ""


def dominant(probe: ProbeResult | None, columns: list[str]) -> list[str]:
    """Which of ``columns`` dominate ``probe``'s importance: ranked first with a positive
    drop, or at least half of the positive drops together."""
    if probe is None or probe.drivers is None or not probe.drivers.importance:
        return []
    imp = probe.drivers.importance
    total = sum(i.mean for i in imp if i.mean > 0)
    return [
        i.column
        for i in imp
        if i.column in columns and i.mean > 0 and (i.rank == 1 or (total > 0 and i.mean >= 0.5 * total))
    ]
