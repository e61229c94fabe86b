"""What drives the target, written from the probes' ``Drivers`` and the verdict's
``Explanation``: the short table under ``--goal predict`` (the verdict's family and
the best rival), the headline under ``--goal explain``, and the sentence for a
leakage suspect that dominates the importance.

Every number here was measured in this run on the held-out folds; the JSON report
holds every column, fold by fold.
"""

from __future__ import annotations

from advisor.probe_api import Drivers, ProbeResult
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.text import code, md_text
from advisor.verdict.model import Driver, Explanation, LeakageCheck

MAX_ROWS = 5  # columns per probe in the report's tables (the JSON report has all)
HOW = (
    "Permutation importance: the drop in {metric} on held-out rows when one source column's values "
    "are shuffled (one-hot levels and date parts move together), the same way for every model; "
    "mean ± standard deviation across folds."
)


def stability_text(d: Drivers) -> str:
    if d.stability is None:
        return "stability not measured (fewer than 2 folds or 2 columns)"
    if d.stable:
        return (
            f"ranking stable across folds (Spearman {d.stability:.2f} between folds, top {d.top_k} columns)"
        )
    return (
        f"**unstable: not an explanation** (the order of the top {d.top_k} columns changes between folds, "
        f"Spearman {d.stability:.2f})"
    )


def _view_cell(d: Drivers, column: str) -> str:
    view = d.model_view
    w = next((w for w in view.weights if w.column == column), None) if view else None
    if view is None or w is None:
        return "-"
    if view.kind == "gain":
        return f"{w.mean:.0%} of gain"
    sign = "+" if w.direction > 0 else "-" if w.direction < 0 else ""
    return f"{sign}{abs(w.mean):.2f} ± {w.std:.2f}" + ("" if sign else " (norm)")


def _proxies(d: Drivers, column: str) -> str:
    others = [c for g in d.correlated if column in g.columns for c in g.columns if c != column]
    return ", ".join(code(c) for c in others) or "-"


def probe_section(r: ProbeResult, role: str) -> Section:
    d = r.drivers
    assert d is not None
    view = d.model_view
    header = {"coefficient": "Coefficient per SD", "gain": "Gain share"}.get(view.kind, "") if view else ""
    rows = [
        [code(i.column), f"{i.mean:.3f} ± {i.std:.3f}", _view_cell(d, i.column), _proxies(d, i.column)]
        for i in d.importance[:MAX_ROWS]
    ]
    more = len(d.importance) - MAX_ROWS
    caption = (
        f"{stability_text(d)}; measured on {d.n_folds} of {d.n_folds_total} folds, {d.n_rows:,} held-out rows "
        f"per fold, {d.repeats} shuffle(s) each"
        + (f"; {more:,} more columns in the JSON report" if more > 0 else "")
    )
    table = Table(
        ["Column", f"Drop in {md_text(d.metric)}", header or "Model's own view", "Correlated with"],
        rows,
        caption=caption,
    )
    return Section(f"{md_text(r.name)} ({role})", tables=[table])


def _bullets(d: Drivers) -> list[str]:
    out = []
    for g in d.correlated:
        # The weakest link of the group; at 1.00 the columns order the rows alike (one is a function of the other).
        how = "|Spearman| 1.00: they order the rows alike" if g.rho >= 0.995 else f"|Spearman| ≥ {g.rho:.2f}"
        out.append(
            f"{', '.join(code(c) for c in g.columns)} are correlated ({how}): permutation "
            "splits the credit between them, so read their importance together."
        )
    if d.model_view is not None and d.model_view.disagree:
        what = "gain" if d.model_view.kind == "gain" else "coefficients"
        out.append(
            f"The model's {what} and the permutation importance rank "
            f"{', '.join(code(c) for c in d.model_view.disagree)} far apart: gain favours high-cardinality and "
            "continuous columns, and correlated columns share the permutation credit."
        )
    return out + [md_text(n) for n in d.notes]


def _shown_probes(report: Report) -> list[tuple[ProbeResult, str]]:
    """The verdict's family's probe and the best rival's, when they measured importance."""
    by_name = {r.name: r for r in report.probes}
    rec = report.recommendation
    ranking = rec.ranking
    mine = next((x for x in ranking if x.family == rec.family), ranking[0] if ranking else None)
    rival = next((x for x in ranking if mine is not None and x.family != mine.family), None)
    out = []
    for ranked, role in ((mine, "the verdict's family" if mine and mine.family == rec.family else "best"),
                         (rival, "best rival")):  # fmt: skip
        r = by_name.get(ranked.probe) if ranked is not None else None
        if r is not None and r.drivers is not None and r.drivers.importance:
            out.append((r, role))
    return out


def drivers_section(report: Report) -> Section | None:
    """The "What drives the target" subsection of the measurements, or None when nothing measured it."""
    shown = _shown_probes(report)
    if not shown:
        return None
    sec = Section(
        "What drives the target",
        paragraphs=[HOW.format(metric=md_text(shown[0][0].drivers.metric))],  # type: ignore[union-attr]
        subsections=[probe_section(r, role) for r, role in shown],
    )
    seen: set[str] = set()
    for r, _ in shown:
        assert r.drivers is not None
        sec.bullets += [b for b in _bullets(r.drivers) if not (b in seen or seen.add(b))]
    return sec


def _direction(d: Driver) -> str:
    if d.direction == 0:
        return "no single direction"
    arrow = "higher values raise the prediction" if d.direction > 0 else "higher values lower the prediction"
    return f"{arrow} ({'coefficient' if d.direction_from == 'coefficient' else 'partial dependence'})"


def explanation_section(report: Report) -> Section | None:
    """``--goal explain``: the headline in the verdict."""
    ex = report.recommendation.explanation
    if ex is None:
        return None
    sec = Section("Explanation", paragraphs=[_explained_by(ex, report.constraints.rope)])
    others = [c for c in ex.candidates if c.family != ex.family]
    if others:
        sec.paragraphs.append(
            "Other interpretable families: "
            + "; ".join(
                f"{md_text(c.family)} "
                + (
                    "practically equivalent"
                    if c.equivalent
                    else f"costs {c.cost:.3f} (noise ±{c.cost_noise:.3f})"
                )
                for c in others
            )
            + "."
        )
    if not ex.measured:
        sec.paragraphs.append(
            "Its importance was not measured (see the probe notes): re-run with a larger --budget for drivers."
        )
        return sec
    stab = (
        "not measured (fewer than 2 folds or 2 columns)"
        if ex.stability is None
        else f"stable (Spearman {ex.stability:.2f} between folds)"
        if ex.stable
        else f"**unstable: not an explanation** (Spearman {ex.stability:.2f} between folds)"
    )
    sec.paragraphs.append(f"**Ranking of drivers:** {stab}, over {ex.n_folds} held-out folds.")
    rows = [
        [
            code(d.column) + (" (leakage suspect)" if d.suspect else ""),
            f"{d.importance:.3f} ± {d.std:.3f}",
            _direction(d),
            ", ".join(code(c) for c in d.correlated_with) or "-",
        ]
        for d in ex.drivers
    ]
    if rows:
        sec.tables.append(
            Table(["Driver", f"Drop in {md_text(ex.metric)}", "Direction", "Proxies (|rho| ≥ 0.9)"], rows)
        )
    else:
        sec.paragraphs.append("No column's importance is above the noise between folds.")
    if ex.noise:
        shown = ", ".join(code(c) for c in ex.noise[:10]) + (
            f" and {len(ex.noise) - 10:,} more" if len(ex.noise) > 10 else ""
        )
        sec.bullets.append(f"Within noise of zero (nothing measurable to explain): {shown}.")
    return sec


def _explained_by(ex: Explanation, rope: float) -> str:
    head = f"**Explained by:** {md_text(ex.family)} ({md_text(ex.probe)})"
    if ex.family == ex.best_family:
        return head + ", the best-scoring family."
    if ex.equivalent:
        return (
            head + f", practically equivalent to the best ({md_text(ex.best_family)}, within ±{rope:g} "
            f"{md_text(ex.metric)}, probability ≥ 0.95)."
        )
    best = md_text(ex.best_family)
    return (
        head + f", the best interpretable family: {ex.cost:.3f} {md_text(ex.metric)} below {best} "
        f"(noise ±{ex.cost_noise:.3f}), the cost of reading it. Practical equivalence is not established "
        f"(probability below 0.95, or fewer than 5 paired folds), so it may miss what {best} captures."
    )


def dominance_paragraphs(lk: LeakageCheck) -> list[str]:
    """A suspect that dominates the importance of the best model with it: said once."""
    if not lk.dominant:
        return []
    cols = ", ".join(code(c) for c in lk.dominant)
    return [
        f"{cols} {'dominates' if len(lk.dominant) == 1 else 'dominate'} the permutation importance of the "
        "best model with the suspects: the score with them rests on them."
    ]
