"""The 'Verdict' section: the recommended family and how it was decided, the reasons,
the Bayesian comparisons behind the decision, what would change it and the next steps."""

from __future__ import annotations

from advisor import families
from advisor.report.drivers import explanation_section
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.text import code, md_inline, md_text
from advisor.verdict.model import Comparison


def verdict_section(report: Report) -> Section:
    rec = report.recommendation
    family = "no model family (no signal)" if rec.family == "none" else rec.family
    sec = Section(
        "Verdict",
        paragraphs=[
            f"**Recommended family:** {family}  ",
            f"**Start with:** {md_text(rec.model)}  ",
            f"**Confidence:** {md_text(rec.confidence)}  ",
            f"**How it was decided:** {md_inline(rec.decided_by)}.",
        ],
    )
    if report.leakage is not None and report.leakage.excluded:
        cols = ", ".join(code(c) for c in report.leakage.excluded)
        sec.paragraphs.append(
            f"**Leak-free:** this verdict was measured without {cols} (see the leakage check)."
        )
    if (explained := explanation_section(report)) is not None:
        sec.subsections.append(explained)  # --goal explain: the headline, before the reasons
    sec.subsections.append(Section("Reasons", bullets=[md_inline(b) for b in rec.reasons]))
    comparisons = ([rec.signal] if rec.signal is not None else []) + list(rec.comparisons)
    if comparisons:
        sec.subsections.append(comparison_section(comparisons, rec.decision))
    if rec.would_change:
        sec.subsections.append(
            Section("What would change the verdict", bullets=[md_inline(b) for b in rec.would_change])
        )
    if rec.next_steps:
        sec.subsections.append(Section("Next steps", bullets=[md_inline(b) for b in rec.next_steps]))
    return sec


OUTCOME_TEXT = {
    "leader": "leader better",
    "undetermined": "undetermined",
}


def outcome_text(c: Comparison) -> str:
    """The outcome in words. "equivalent" is the simpler side's P(better) + P(equivalent)
    reaching the threshold: "practically equivalent" beside P(equiv.) 0.07 misread it."""
    if c.outcome == "equivalent":
        simpler = c.leader if families.rank(c.leader) < families.rank(c.other) else c.other
        return f"{simpler} no worse"
    return OUTCOME_TEXT.get(c.outcome, c.outcome)


def _p(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}"  # NaN: no posterior (one fold)


def comparison_section(comparisons: list, decision: str) -> Section:
    """Each comparison's three probabilities (correlated Bayesian t-test on the paired folds)."""
    rows = [
        [
            md_text(c.leader),
            md_text(c.other),
            f"{c.mean_diff:+.3f}",
            f"±{c.rope:g}",
            _p(c.p_leader_better),
            _p(c.p_equivalent),
            _p(c.p_other_better),
            f"{c.n_pairs}",
            md_text(outcome_text(c)),
        ]
        for c in comparisons
    ]
    return Section(
        "Comparisons",
        paragraphs=[
            f"Decision: {decision.replace('_', ' ')}. Correlated Bayesian t-test on the paired folds "
            "(Benavoli et al., JMLR 2017): the probability that the leader is practically better, that the two "
            "are practically equivalent (within the ROPE), and that the other is better. A comparison decides at "
            "0.95 on at least 5 paired folds: the leader better, or the simpler of the two no worse (better and "
            "equivalent together), which lets the simpler win."
        ],
        tables=[
            Table(
                [
                    "Leader",
                    "Other",
                    "Mean diff",
                    "ROPE",
                    "P(leader)",
                    "P(equiv.)",
                    "P(other)",
                    "Folds",
                    "Outcome",
                ],
                rows,
            )
        ],
    )
