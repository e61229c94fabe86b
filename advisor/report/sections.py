"""The report's sections, in the order every format shows them: ``build_sections``.

One module a section, named for it: ``sections_verdict``, ``sections_dataset``,
``sections_compute``, ``sections_rules``, ``sections_measurement`` and
``sections_leakage``, plus ``sections_probe_table`` (the probe table that the
measurement and leakage sections share); ``planning.py``, ``scale.py`` and
``drivers.py`` build the sections with more to say. Each returns the format-free
``Section`` of ``section_types.py``, which Markdown, HTML and the terminal render.
"""

from __future__ import annotations

from advisor.report.model import Report
from advisor.report.planning import planning_section
from advisor.report.scale import cluster_section
from advisor.report.section_types import Section
from advisor.report.sections_compute import compute_section
from advisor.report.sections_dataset import dataset_section
from advisor.report.sections_leakage import leakage_section
from advisor.report.sections_measurement import measurement_section
from advisor.report.sections_rules import rules_section
from advisor.report.sections_verdict import verdict_section


def build_sections(report: Report) -> list[Section]:
    sections = [
        verdict_section(report),
        dataset_section(report),
        compute_section(report),
        rules_section(report),
    ]
    sections.append(measurement_section(report))
    if (more := planning_section(report)) is not None:
        sections.append(more)
    leak = leakage_section(report)
    if leak is not None:
        sections.append(leak)
    if (cluster := cluster_section(report)) is not None:
        sections.append(cluster)
    return sections
