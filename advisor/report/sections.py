"""The report's content as titled sections of text, bullets and tables.

Markdown and the terminal render these same sections, so the two can't drift;
JSON serialises the Report itself.

Every string here is light Markdown (``**bold**`` and code spans) and every
user-derived string in it (names, labels, paths, rule text, messages, exception
text) goes through ``code``, ``md_text`` or ``md_inline`` (advisor/text.py), so
none can carry markup, HTML or control characters into a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.facts import AudioStats
from advisor.probe_api import CurveFit, ProbeResult, fmt_score
from advisor.report.model import Report
from advisor.text import code, md_inline, md_text

MAX_COLUMN_ROWS = 40  # wide tables list the first columns and count the rest


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""
    caption: str = ""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


def _num(x: float | int | None, unit: str = "", digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    if abs(x) >= 100:
        return f"{x:,.0f}{unit}"
    if 0 < abs(x) < 10**-digits:
        return f"<{10**-digits:.{digits}f}{unit}"
    return f"{x:.{digits}f}{unit}"


def _not_applicable(r: ProbeResult) -> bool:
    return r.status == "not_applicable"


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
    from advisor.report.drivers import explanation_section  # it builds on this module's types

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
    "equivalent": "practically equivalent",
    "undetermined": "undetermined",
}


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
            md_text(OUTCOME_TEXT.get(c.outcome, c.outcome)),
        ]
        for c in comparisons
    ]
    return Section(
        "Comparisons",
        paragraphs=[
            f"Decision: {decision.replace('_', ' ')}. Correlated Bayesian t-test on the paired folds "
            "(Benavoli et al., JMLR 2017): the probability that the leader is practically better, that the two "
            "are practically equivalent (within the ROPE), and that the other is better. A comparison decides at "
            "0.95 on at least 5 paired folds."
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


MAX_WARNINGS_PER_CODE = 5  # beyond this, one line per code (wide tables can have thousands)


def _warning_bullets(warnings: list) -> list[str]:
    by_code: dict[str, list] = {}
    for w in warnings:
        by_code.setdefault(w.code, []).append(w)
    bullets = []
    for code_, group in by_code.items():
        shown = group if len(group) <= MAX_WARNINGS_PER_CODE else group[: MAX_WARNINGS_PER_CODE - 1]
        # The message is plain text built at profile time (it quotes names): escaped whole.
        bullets += [f"**{md_text(w.code)}** ({md_text(w.severity)}): {md_text(w.message)}" for w in shown]
        if len(shown) < len(group):
            rest = group[len(shown) :]
            cols = ", ".join(code(w.column) for w in rest[:10] if w.column)
            more = f" and {len(rest) - 10:,} more" if len(rest) > 10 else ""
            bullets.append(
                f"**{md_text(code_)}** ({md_text(group[0].severity)}): {len(rest):,} more like the above"
                + (f": {cols}{more}" if cols else "")
                + " (all listed in the JSON report)."
            )
    return bullets


def dataset_section(report: Report) -> Section:
    d = report.dataset
    t = d.target
    src = d.source
    target = (
        "none" if t.name is None else code(t.name) + (f" (inferred: {md_text(t.how)})" if t.inferred else "")
    )
    fmt = md_text(src.format) + (f", {md_text(src.compression)}" if src.compression else "")
    rows = [
        ["File", f"{code(src.path)} ({fmt})"],
        [
            "Rows",
            f"{d.n_rows:,}"
            + (f" (statistics on a sample of {src.n_rows_profiled:,})" if src.sampled else ""),
        ],
        ["Columns", f"{d.n_columns:,}"],
        ["Target", target],
        ["Task", f"{md_text(t.task)} ({md_text(t.task_reason)})"],
        ["Modality", f"{md_text(d.modality)} ({md_text(d.modality_reason)})"],
        [
            "Features",
            f"{d.n_features:,} (encoded width {d.encoded_width:,}, raw dimension {d.raw_dimension:,})",
        ],
        ["Memory", f"{d.memory_mb:,.1f} MB"],
    ]
    if d.sequence is not None:
        s = d.sequence
        owner = "each reading" if s.level == "row" else "the entity (the same on all its readings)"
        rows.append(
            [
                "Sequence",
                f"{s.n_entities:,} entities ({code(s.entity_column)}) over {code(s.time_column)}, median "
                f"{s.median_length:,.0f} readings each (longest {s.max_length:,}); the target belongs to {owner}",
            ]
        )
    if t.class_counts:
        counts = ", ".join(f"{code(k)}: {v:,}" for k, v in list(t.class_counts.items())[:10])
        rows.append(["Classes", f"{t.n_classes} ({counts})"])
    if d.images is not None:
        im = d.images
        rows.append(
            [
                "Images",
                f"{im.n_images:,} ({im.n_unreadable} unreadable), median {im.height_median}x{im.width_median}x{im.channels}, fewest per class {im.min_per_class}",
            ]
        )
    if d.audio is not None:
        rows.append(["Audio", _audio_line(d.audio)])
    if d.text is not None:
        tx = d.text
        rows.append(
            [
                "Text",
                f"columns {', '.join(code(c) for c in tx.columns)}; {tx.mean_tokens:.0f} tokens per row, vocabulary {tx.vocab_size:,}, about {tx.corpus_tokens:,} tokens in all (estimate)",
            ]
        )
    sec = Section("Dataset", tables=[Table(["Fact", "Value"], rows)])
    cols = [
        [code(c.name), md_text(c.kind), f"{c.missing_rate:.1%}", f"{c.n_unique:,}", md_text(c.kind_reason)]
        for c in d.columns[:MAX_COLUMN_ROWS]
    ]
    caption = (
        f"{len(d.columns) - MAX_COLUMN_ROWS:,} more columns not shown."
        if len(d.columns) > MAX_COLUMN_ROWS
        else ""
    )
    sec.subsections.append(
        Section(
            "Columns",
            tables=[Table(["Column", "Kind", "Missing", "Distinct", "Why this kind"], cols, caption=caption)],
        )
    )
    warn = _warning_bullets(d.warnings)
    sec.subsections.append(Section("Warnings", bullets=warn or ["None."]))
    return sec


def _audio_line(a: AudioStats) -> str:
    skipped = ", ".join(
        f"{n} {what}"
        for n, what in ((a.n_unreadable, "unreadable"), (a.n_empty, "empty"), (a.n_too_long, "too long"))
        if n
    )
    rates = ", ".join(f"{int(r):,} Hz: {n:,}" for r, n in a.sample_rates.items())
    channels = ", ".join(f"{'mono' if c == '1' else c + ' channels'}: {n:,}" for c, n in a.channels.items())
    return (
        f"{a.n_clips:,} clips"
        + (f" ({skipped} skipped)" if skipped else "")
        + f", fewest per class {a.min_per_class:,}; {a.duration_median:g} s median ({a.duration_min:g} to "
        f"{a.duration_max:g} s); rates {rates}; {channels}; {a.silence_share:.0%} of frames silent; "
        f"probed as {a.sample_rate:,} Hz mono, {a.clip_seconds:g} s"
    )


def compute_section(report: Report) -> Section:
    c = report.compute
    gpu = f"{md_text(c.gpu_name)} ({c.gpu_memory_gb} GB)" if c.gpu_name else "none"
    k = report.constraints
    rows = [
        ["CPU cores", str(c.cpu_cores)],
        ["Memory", f"{c.memory_gb} GB"],
        ["GPU", gpu],
        ["Probe device", f"{md_text(c.device)} ({md_text(c.device_reason)})"],
        ["Interpretability", md_text(k.interpretability)],
        ["Goal", md_text(k.goal)],
        ["Probe budget", f"{k.budget_seconds:g} s"],
        ["Seed", str(k.seed)],
    ]
    return Section(
        "Compute and constraints", tables=[Table(["Fact", "Value"], rows, caption=_settings_line(report))]
    )


def _settings_line(report: Report) -> str:
    """Where each option that is not at its default came from (empty from the Python API)."""
    from advisor.config import SOURCE_LABEL

    def shown(s) -> str:
        if s.value is True:
            return code(s.option)
        value = " ".join(s.value) if isinstance(s.value, list) else str(s.value)
        return code(f"{s.option} {value}")

    parts = [
        f"{shown(s)} ({SOURCE_LABEL[s.source]}{', ' + md_text(s.origin) if s.origin else ''})"
        for s in report.settings
    ]
    return f"Settings not at their defaults: {', '.join(parts)}." if parts else ""


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


def _probe_row(r: ProbeResult) -> list[str]:
    status = r.status if not r.reason else f"{r.status}: {r.reason}"
    if r.score is not None and not r.converged:
        status += " (not converged: the time budget cut its training; a lower bound)"
    return [
        md_text(r.name),
        md_text(r.family),
        fmt_score(r.score),
        _num(r.fit_seconds, " s") if r.score else "-",
        _num(r.predict_ms_per_1k, " ms") if r.score else "-",
        _num(r.peak_memory_mb, " MB", 1) if r.score else "-",
        md_text(r.device),
        md_text(status),  # the reason can quote an exception, and so user data
    ]


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
    headers = ["Probe", "Family", st.metric, "Fit", "Predict /1k rows", "Peak memory", "Device", "Status"]
    shown = [r for r in report.probes if not _not_applicable(r)]
    hidden = [md_text(r.name) for r in report.probes if _not_applicable(r)]
    if hidden:
        paragraphs.append(f"Not applicable to {md_text(report.dataset.modality)} data: {', '.join(hidden)}.")
    sec = Section(
        "Measurements", paragraphs=paragraphs, tables=[Table(headers, [_probe_row(r) for r in shown])]
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
            _num(c.fit_seconds, " s"),
            _num(c.peak_memory_mb, " MB"),
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
    from advisor.report.drivers import drivers_section

    if (drivers := drivers_section(report)) is not None:
        sec.subsections.append(drivers)
    notes = sorted({f"{r.name}: {n}" for r in report.probes for n in r.notes}) + list(st.notes)
    notes = [md_text(n) for n in notes]  # notes can quote exceptions, and so user data
    sec.subsections.append(Section("Probe notes", bullets=notes or ["None."]))
    return sec


def leakage_section(report: Report) -> Section | None:
    from advisor.report.drivers import dominance_paragraphs

    lk = report.leakage
    if lk is None:
        return None
    rows = [_probe_row(r) for r in lk.probes_without if not _not_applicable(r)]
    if lk.probes_with:  # excluded: the run with the suspects is the evidence, beside the run without
        rows = [[f"{row[0]} (without)", *row[1:]] for row in rows]
        rows += [
            [f"{md_text(r.name)} (with)", *_probe_row(r)[1:]]
            for r in lk.probes_with
            if not _not_applicable(r)
        ]
    return Section(
        "Leakage check",
        # advisor's code spans around the names, re-fenced
        paragraphs=[md_inline(lk.summary), *dominance_paragraphs(lk)],
        tables=[
            Table(
                [
                    "Probe",
                    "Family",
                    report.probe_stage.metric if report.probe_stage else "score",
                    "Fit",
                    "Predict /1k rows",
                    "Peak memory",
                    "Device",
                    "Status",
                ],
                rows,
            )
        ]
        if rows
        else [],
    )


def build_sections(report: Report) -> list[Section]:
    sections = [
        verdict_section(report),
        dataset_section(report),
        compute_section(report),
        rules_section(report),
    ]
    sections.append(measurement_section(report))
    # Sections in their own modules build on this one's types, so they are imported here.
    from advisor.report.planning import planning_section
    from advisor.report.scale import cluster_section

    if (more := planning_section(report)) is not None:
        sections.append(more)
    leak = leakage_section(report)
    if leak is not None:
        sections.append(leak)
    if (cluster := cluster_section(report)) is not None:
        sections.append(cluster)
    return sections
