"""The 'Measurements' section: how the folds were made, the probe table, the learning
curves and their projections, the cost at full size, what drives the target, and the
probes' notes."""

from __future__ import annotations

from advisor.probe_api import CurveFit, ProbeResult, fmt_score
from advisor.report.drivers import drivers_section
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.report.sections_probe_table import (
    extra_metrics,
    extra_metrics_note,
    not_applicable,
    num,
    probe_headers,
    probe_row,
)
from advisor.text import code, md_text


def _projected(fit: CurveFit, key: str) -> str:
    """A projection with its interval, "0.930 (0.900 to 0.950)" with its interval (the mean alone when it has none)."""
    s = fit.predicted[key]
    lo, hi = fit.predicted_low.get(key), fit.predicted_high.get(key)
    if lo is None or hi is None:
        return fmt_score(s)
    return f"{s.mean:.3f} ({lo:.3f} to {hi:.3f})"


def _curve_rows(probes: list[ProbeResult]) -> list[list[str]]:
    rows = []
    for r in probes:
        if not r.curve:
            continue
        points = "; ".join(f"{p.n_train:,}: {p.score.mean:.3f}" for p in r.curve)
        fit = r.curve_fit
        proj = "-"
        if fit is not None and fit.ok:
            proj = "; ".join(
                f"{_projected(fit, k)} at {k} ({fit.predicted_rows.get(k, 0):,} rows)" for k in fit.predicted
            )
            if fit.family:
                proj += f"; curve: {fit.family}"
        elif fit is not None:
            proj = f"no fit: {fit.note}"
        note = fit.note if fit is not None and fit.ok else ""
        rows.append([md_text(r.name), points, md_text(proj), md_text(note)])
    return rows


def split_description(report: Report) -> str:
    """How the probe stage's folds were made: "5-fold forward-chaining time split on `date`",
    "3 x 5 repeated stratified k-fold", "5-fold group split on `customer_id`"."""
    st = report.probe_stage
    repeats = max(st.n_repeats, 1)
    k = st.n_folds // repeats
    if st.split == "time":
        return f"{k}-fold forward-chaining time split on {code(st.split_column)}"
    if st.split == "group":
        return f"{k}-fold group split on {code(st.split_column)}"
    stratified = "" if st.metric == "r2" else "stratified "
    return (
        f"{repeats} x {k} repeated {stratified}k-fold"
        if repeats > 1
        else f"{k}-fold {stratified}cross-validation"
    )


def measurement_section(report: Report) -> Section:
    st = report.probe_stage
    if st is None:
        return Section("Measurements", paragraphs=["Probes were not run (--no-probes)."])
    intro = (
        f"Metric: **{md_text(st.metric)}** (higher is better), mean ± standard deviation over {st.n_folds} held-out folds "
        f"({split_description(report)}), "
        f"the same seeded folds for every probe (seed {st.seed}). {st.n_rows_probed:,} rows probed"
        + (f": {md_text(st.sample_note)}" if st.sample_note else "")
        + f". Probe stage took {st.elapsed_seconds:.1f} s of a {st.budget_seconds:g} s budget."
    )
    paragraphs = [intro]
    if st.partial:
        paragraphs.append(
            "**Partial run:** the probe stage was interrupted or ran out of budget; results below are what finished."
        )
    shown = [r for r in report.probes if not not_applicable(r)]
    hidden = [md_text(r.name) for r in report.probes if not_applicable(r)]
    if hidden:
        paragraphs.append(f"Not applicable to {md_text(report.dataset.modality)} data: {', '.join(hidden)}.")
    extra = extra_metrics(report.dataset)
    note = extra_metrics_note(report.dataset, extra)
    paragraphs += [note] if note else []
    sec = Section(
        "Measurements",
        paragraphs=paragraphs,
        tables=[Table(probe_headers(st.metric, extra), [probe_row(r, extra) for r in shown])],
    )
    curves = _curve_rows(report.probes)
    if curves:
        sec.subsections.append(
            Section(
                "Learning curves",
                paragraphs=[
                    "Score at growing training sizes, and the learning curve extrapolated to 2x and 10x the "
                    "largest size: estimates, with an 80% interval, from curve families weighted by how well "
                    "each predicted the later sizes from the earlier ones (curve: the family with the most "
                    "weight; `last`: the last score, no trend trusted)."
                ],
                tables=[Table(["Probe", "Training rows: score", "Projected", "Note"], curves)],
            )
        )
    costs = [
        [
            md_text(r.name),
            f"{c.n_rows:,}",
            num(c.fit_seconds, " s"),
            num(c.peak_memory_mb, " MB"),
            md_text(c.method),
        ]
        for r in report.probes
        if (c := r.cost_at_full) is not None
    ]
    if costs:
        sec.subsections.append(
            Section(
                "Cost at full size (estimates)",
                tables=[Table(["Probe", "Rows", "Fit time", "Peak memory", "How estimated"], costs)],
            )
        )
    if (drivers := drivers_section(report)) is not None:
        sec.subsections.append(drivers)
    notes = sorted({f"{r.name}: {n}" for r in report.probes for n in r.notes}) + list(st.notes)
    notes = [md_text(n) for n in notes]  # notes can quote exceptions, and so user data
    sec.subsections.append(Section("Probe notes", bullets=notes or ["None."]))
    return sec
