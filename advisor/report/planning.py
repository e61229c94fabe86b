"""The "what more data would buy" section, written from ``Report.planning``.

Every figure in it is an estimate (learning-curve band, fit-time power law),
and the section says so once, with the hardware the timings assume.
"""

from __future__ import annotations

from advisor.probe_api import CostEstimate, fmt_rows
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.text import md_text


def _cost(c: CostEstimate | None) -> str:
    if c is None:
        return "-"
    t = c.fit_seconds
    when = f"{t:.1f} s" if t < 120 else f"{t / 60:.1f} min" if t < 7200 else f"{t / 3600:.1f} h"
    mb = c.peak_memory_mb
    return f"{when}, {'<1' if mb < 0.5 else f'{mb:,.0f}'} MB"  # "0 MB" would read as measured nothing


def planning_section(report: Report) -> Section | None:
    plan = report.planning
    if plan is None or not plan.families:
        return None
    target = f"{plan.metric} {plan.target_score:g}" if plan.target_score is not None else ""
    headers = ["Family", "Probe", "Measured at"]
    if target:
        headers.append(f"Rows to reach {target}")
    if plan.leader:
        headers.append(f"Overtakes {plan.leader} at")
    headers.append("One fit at 10x rows")
    rows, bullets = [], []
    for fp in plan.families:
        row = [md_text(fp.family), md_text(fp.probe), f"{fp.n_train:,} rows"]
        if target:
            est = fp.rows_to_target
            row.append("-" if est is None else "reached already" if est.already else fmt_rows(est))
        if plan.leader:
            est = fp.overtakes_leader
            row.append(
                "(the verdict's family)"
                if fp.family == plan.leader
                else "-"
                if est is None
                else "ahead already"
                if est.already
                else fmt_rows(est)
            )
        c10 = fp.costs.get("10x")
        row.append(_cost(c10))
        rows.append(row)
        for key, what in (("target", f"to reach {target}"), ("overtakes", f"to overtake {plan.leader}")):
            c = fp.costs.get(key)
            if c is not None:
                bullets.append(
                    f"{md_text(fp.family)} {what} at about {c.n_rows:,} training rows: one fit would take "
                    f"about {_cost(c)} (estimate)."
                )
        if not fp.converged:
            bullets.append(
                f"{md_text(fp.family)}'s curve rests on fits the time budget cut short: its projections "
                "are lower bounds."
            )
        if fp.small_for_gpu:
            bullets.append(
                f"{md_text(fp.family)} was timed on a CPU; at these sizes a GPU is not expected to be "
                "faster (fits this small are bound by kernel launches, not arithmetic)."
            )
        elif fp.neural_on_cpu:
            bullets.append(
                f"{md_text(fp.family)} was timed on a CPU; on a GPU its fits would likely be faster "
                "(not measured in this run)."
            )
    intro = (
        "Estimates, not measurements: each family's learning curve projected beyond the rows it was "
        "measured on (80% intervals; 'beyond 100x' where the interval does not reach the level within "
        "100x the measured rows), and its fit time projected by a power law in rows fitted to the timed "
        "curve points; peak memory scaled linearly in rows."
    )
    timed_on = sorted({c.hardware for fp in plan.families for c in fp.costs.values() if c.hardware})
    if timed_on:
        intro += f" Fit times assume {md_text(' and '.join(timed_on))}, where the probes were timed."
    rope = report.recommendation.rope if plan.leader else 0.0
    if rope > 0:
        intro += (
            f" A family overtakes {md_text(plan.leader)} where its curve is ahead by more than the ROPE "
            f"(±{rope:g} {md_text(plan.metric)}), as 'better' is in the comparisons; 'ahead already' where it is "
            "at the measured size."
        )
    if plan.target_score is None:
        intro += " Add --target-score to see the rows each family needs to reach a score."
    return Section(
        "What more data would buy",
        paragraphs=[intro],
        bullets=bullets,
        tables=[Table(headers, rows)],
    )
