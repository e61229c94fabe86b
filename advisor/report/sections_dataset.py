"""The 'Dataset' section: the facts of the file and its target, the columns and the
profile's warnings."""

from __future__ import annotations

from advisor.facts import AudioStats
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.text import code, md_text

MAX_COLUMN_ROWS = 40  # wide tables list the first columns and count the rest
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
