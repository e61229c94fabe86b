"""The 'Leakage check' section: what the check found, and the probes run without the
suspects (beside the run with them, when they were excluded)."""

from __future__ import annotations

from advisor.report.drivers import dominance_paragraphs
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.report.sections_probe_table import extra_metrics, not_applicable, probe_headers, probe_row
from advisor.text import md_inline, md_text


def leakage_section(report: Report) -> Section | None:
    lk = report.leakage
    if lk is None:
        return None
    extra = extra_metrics(report.dataset)
    rows = [probe_row(r, extra) for r in lk.probes_without if not not_applicable(r)]
    if lk.probes_with:  # excluded: the run with the suspects is the evidence, beside the run without
        rows = [[f"{row[0]} (without)", *row[1:]] for row in rows]
        rows += [
            [f"{md_text(r.name)} (with)", *probe_row(r, extra)[1:]]
            for r in lk.probes_with
            if not not_applicable(r)
        ]
    metric = report.probe_stage.metric if report.probe_stage else "score"
    return Section(
        "Leakage check",
        # advisor's code spans around the names, re-fenced
        paragraphs=[md_inline(lk.summary), *dominance_paragraphs(lk)],
        tables=[Table(probe_headers(metric, extra), rows)] if rows else [],
    )
