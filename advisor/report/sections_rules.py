"""The 'Rules that fired' section: the prior from the rule packs, rule by rule."""

from __future__ import annotations

from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.text import code, md_text


def rules_section(report: Report) -> Section:
    p = report.prior
    rows = [
        [
            code(f.id),
            ", ".join(f"{md_text(k)} {v:+d}" for k, v in f.effects.items()) or "-",
            md_text(f.because),
        ]
        for f in p.fired
    ]
    prior = ", ".join(f"{md_text(k)} {v:+d}" for k, v in p.scores.items())
    return Section(
        "Rules that fired",
        paragraphs=[
            f"Prior from the rules: {prior}; favoured: **{md_text(p.favoured)}**. "
            "Look a rule up with `advisor rules show ID`."
        ],
        tables=[Table(["Rule", "Effects", "Because"], rows)] if rows else [],
        bullets=[] if rows else ["No rule fired."],
    )
