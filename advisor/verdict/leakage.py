"""The verdict with and without the leakage suspects: which run the headline rests on.

A suspect is confirmed when removing it changes the verdict (among the
families re-measured without it) or drops the best score beyond the noise
(the best probe with the suspects is practically better than the best without
them, with probability >= 0.95, on the same folds). Confirmed suspects are
excluded: the headline is the verdict on the run without them, and the run
with them is the evidence. Suspects whose removal changes nothing stay in,
named, and the headline is the run with every column.
"""

from __future__ import annotations

from advisor.engine.model import Prior
from advisor.facts import Constraints, DatasetProfile
from advisor.probe_api import ProbeResult
from advisor.verdict.comparisons import PROBABILITY, best_by_family, compare
from advisor.verdict.decide import decide
from advisor.verdict.explain import dominant
from advisor.verdict.model import LeakageCheck, Recommendation


def _best(results: list[ProbeResult]) -> ProbeResult | None:
    best = best_by_family(results)
    return max(best.values(), key=lambda r: r.score.mean, default=None)  # type: ignore[union-attr]


def check_leakage(
    rec: Recommendation,
    profile: DatasetProfile,
    prior: Prior,
    results: list[ProbeResult],
    without: list[ProbeResult],
    constraints: Constraints,
    *,
    metric: str = "",
    partial: bool = False,
) -> tuple[Recommendation, LeakageCheck, list[ProbeResult]]:
    """(headline verdict, the leakage check, the probes the headline rests on).

    ``rec`` is the verdict decided on ``results`` (every column); ``without``
    holds the probes re-measured without ``profile.leakage_suspects``. The
    headline is decided once more, on the run it rests on, with the check as an
    input: its reasons say what the check found.
    """
    cols = list(profile.leakage_suspects)
    rechecked = {r.family for r in without}
    # Like against like: the verdict with the suspects among the families re-measured without them.
    with_same = decide(
        profile, prior, [r for r in results if r.family in rechecked], constraints, metric=metric
    )
    rec_without = decide(profile, prior, without, constraints, metric=metric, partial=partial)
    best_with, best_without = _best(results), _best(without)
    comparison = None
    if best_with is not None and best_without is not None:
        comparison = compare(best_with, best_without, constraints.rope, metric)
    drops = comparison is not None and comparison.mean_diff > 0 and comparison.p_leader_better >= PROBABILITY
    confirmed = drops or with_same.family != rec_without.family
    how = {e_col: e.how for e in getattr(profile, "leakage_evidence", []) for e_col in e.columns}
    check = LeakageCheck(
        columns=cols,
        best_with=best_with.score if best_with else None,
        best_without=best_without.score if best_without else None,
        family_with=rec.family,
        family_without=rec_without.family,
        probes_without=without,
        excluded=cols if confirmed else [],
        kept=[] if confirmed else cols,
        how={c: how.get(c, "single") for c in cols},
        comparison=comparison,
        probes_with=results if confirmed else [],
        dominant=dominant(best_with, cols),
        not_rechecked=sorted(set(best_by_family(results)) - rechecked) if confirmed else [],
    )
    headline_probes = without if confirmed else results
    headline = decide(
        profile, prior, headline_probes, constraints, metric=metric, partial=partial, leakage=check
    )
    return headline, check, headline_probes
