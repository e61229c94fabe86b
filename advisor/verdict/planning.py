"""What more data would buy: per family, the rows to reach a target score, the rows at
which it would overtake the verdict's family, and the cost of training at those sizes.

Everything here is an estimate read off the learning curves' bands
(``advisor.probing.curves``) and the fit-time power law of the timed curve
points; each carries its interval or its method, and the hardware it assumes
(the machine the probes were timed on). The report writes the sentences.
"""

from __future__ import annotations

import math

from advisor import families
from advisor.facts import ComputeInfo
from advisor.probe_api import BASELINE, CostEstimate, ProbeResult
from advisor.verdict.model import FamilyPlan, Planning, Recommendation

# The sizes every family's cost is projected to, as multiples of its measured training rows.
COST_SIZES = {"2x": 2, "10x": 10}
# Training rows below which a GPU is not expected to fit a net faster than the CPU: such fits
# are bound by kernel launches, not arithmetic. Measured on an H200 against 16 cores
# (docs/benchmarks.md, "On a GPU"): the MLP on 455 rows took 0.48 s a fit on the GPU against
# 0.24 s on one CPU thread; on 1,437 rows it ran 22 epochs in the budget against 3. The next GPU
# run measures the crossing (``bench_device.py --crossover``, in ``gpu_check.sh``).
GPU_PAYS_FROM_ROWS = 1_000


def hardware_of(result: ProbeResult, compute: ComputeInfo) -> str:
    """The hardware a probe's timings were measured on, in words."""
    if result.device == "cuda" and compute.gpu_name:
        return f"this machine's GPU ({compute.gpu_name})"
    cores = f"{compute.cpu_cores} CPU core{'s' if compute.cpu_cores != 1 else ''}"
    return f"this machine's CPU ({cores}{', no GPU' if not compute.has_gpu else ''})"


def cost_at(result: ProbeResult, n_rows: int, compute: ComputeInfo) -> CostEstimate | None:
    """Fit time and peak memory of ``result``'s probe at ``n_rows`` training rows."""
    from advisor.probing.curves import cost_model, fit_cost

    timed = [(p.n_train, p.fit_seconds) for p in result.curve]
    if not timed or result.n_train <= 0:
        return None
    seconds = fit_cost(timed, n_rows)
    if not math.isfinite(seconds):
        return None
    _, how = cost_model(timed)
    return CostEstimate(
        n_rows=int(n_rows),
        fit_seconds=float(seconds),
        peak_memory_mb=float(result.peak_memory_mb * n_rows / result.n_train),
        method=(
            f"estimate: fit time {how}, anchored at {result.n_train:,} rows; "
            "peak memory scaled linearly in rows"
        ),
        hardware=hardware_of(result, compute),
    )


def plan_more_data(
    rec: Recommendation,
    results: list[ProbeResult],
    compute: ComputeInfo,
    target_score: float | None,
    metric: str,
) -> Planning | None:
    """The planning evidence for every measured family with a fitted curve; None when
    no family has one (nothing measured, or too few curve points)."""
    from advisor.probing.curves import crossing, rows_to_score

    best: dict[str, ProbeResult] = {}
    for r in results:
        if r.family == BASELINE or r.score is None or r.curve_fit is None or not r.curve_fit.ok:
            continue
        if r.family not in best or r.score.mean > best[r.family].score.mean:  # type: ignore[union-attr]
            best[r.family] = r
    if not best:
        return None
    leader = best.get(rec.family)
    plans: list[FamilyPlan] = []
    for family in sorted(best, key=families.rank):
        r = best[family]
        fit = r.curve_fit
        assert fit is not None
        to_target = rows_to_score(fit, target_score) if target_score is not None else None
        overtakes = (
            crossing(fit, leader.curve_fit, margin=rec.rope_with(family))
            if leader is not None and leader is not r and leader.curve_fit is not None
            else None
        )
        sizes = {k: m * r.n_train for k, m in COST_SIZES.items()}
        if to_target is not None and to_target.rows is not None and not to_target.already:
            sizes["target"] = to_target.rows
        if overtakes is not None and overtakes.rows is not None and not overtakes.already:
            sizes["overtakes"] = overtakes.rows
        costs = {k: c for k, n in sizes.items() if (c := cost_at(r, n, compute)) is not None}
        on_cpu = families.neural(family) and r.device != "cuda"
        largest = max([r.n_train, *(c.n_rows for c in costs.values())])
        plans.append(
            FamilyPlan(
                family=family,
                probe=r.name,
                n_train=r.n_train,
                rows_to_target=to_target,
                overtakes_leader=overtakes,
                costs=costs,
                converged=r.converged,
                neural_on_cpu=on_cpu,
                small_for_gpu=on_cpu and largest < GPU_PAYS_FROM_ROWS,
            )
        )
    return Planning(
        metric=metric,
        target_score=target_score,
        leader=rec.family if leader is not None else "",
        families=plans,
        gpu=compute.gpu_name or "",
    )
