"""Terminal rendering with rich: the same sections as Markdown.

Nothing here is rich markup: the sections' light Markdown is read back into
runs (``advisor.text.parse_inline``) and printed as ``Text`` with styles, every
run through ``printable``, so a name can neither style the report nor send an
escape sequence to the terminal.

Under the learning-curves table, ``curve_chart`` draws the curves as a small
text grid: score against log rows, one letter per probe, capitals where a size
was measured, lower case (every other column, a dashed line) where the fitted
curve is projected. Plain characters, at most ``CHART_WIDTH`` wide.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from advisor.families import BASELINE
from advisor.probe_api import ProbeResult
from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.report.sections import build_sections
from advisor.text import one_line, parse_inline

_CONFIDENCE_STYLE = {"high": "green", "medium": "yellow", "low": "red"}


_RUN_STYLE = {"text": "", "bold": "bold", "code": "cyan", "bold code": "bold cyan"}


def _inline(text: str) -> Text:
    # Sections use light Markdown (**bold**, `code`, backslash escapes): read those, no markup.
    out = Text()
    for kind, run in parse_inline(one_line(text)):
        out.append(one_line(run), style=_RUN_STYLE[kind])
    return out


def _bullets(items: list[str]) -> RichTable:
    # A two-column grid keeps wrapped lines aligned under the text, not the bullet.
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column()
    for item in items:
        grid.add_row("•", _inline(item))
    return grid


def _table(t: Table) -> RichTable:
    table = RichTable(
        title=_inline(t.title) if t.title else None,
        caption=_inline(t.caption) if t.caption else None,
        show_lines=False,
        expand=False,
    )
    for header in t.headers:
        table.add_column(_inline(header))
    for row in t.rows:
        table.add_row(*[_inline(c) for c in row])
    return table


CURVES_TITLE = "Learning curves"  # sections_measurement.py's subsection the chart goes under
CHART_WIDTH = 72  # characters, axis labels included
CHART_HEIGHT = 8  # rows of the grid
MAX_CHART_SERIES = 8
_LABEL_WIDTH = 7  # "  0.912" and the axis character after it


def _chart_series(report: Report) -> list[ProbeResult]:
    # The baseline's flat line would squash the scale of the curves that matter.
    return [p for p in report.probes if p.family != BASELINE and len(p.curve) >= 2][:MAX_CHART_SERIES]


def curve_chart(report: Report, width: int = CHART_WIDTH) -> list[str]:
    """The learning curves as text lines (empty when no probe has a curve of two sizes or more)."""
    import numpy as np

    from advisor.probing.curves import curve_value

    series = _chart_series(report)
    cols = min(width, CHART_WIDTH) - _LABEL_WIDTH - 1
    if not series or cols < 10:
        return []
    lo_n = min(pt.n_train for p in series for pt in p.curve)
    hi_n = max(
        [pt.n_train for p in series for pt in p.curve]
        + [
            n
            for p in series
            if p.curve_fit is not None and p.curve_fit.ok
            for n in p.curve_fit.predicted_rows.values()
        ]
    )
    xs = np.geomspace(max(lo_n, 1), max(hi_n, lo_n + 1), cols)
    marks: list[tuple[int, float, str]] = []  # (column, score, character), drawn in order
    for i, p in enumerate(series):
        letter = chr(ord("A") + i)
        fit = p.curve_fit
        if fit is not None and fit.ok and fit.n_ref > 0:
            ahead = [c for c in range(cols) if xs[c] > fit.n_ref and c % 2 == 0]
            values = curve_value(fit, xs[ahead]) if ahead else []
            marks += [(c, float(v), letter.lower()) for c, v in zip(ahead, values, strict=True) if v == v]
    for i, p in enumerate(series):  # measured points last: a projection never hides one
        letter = chr(ord("A") + i)
        for pt in p.curve:
            c = int(np.argmin(np.abs(np.log(xs) - np.log(max(pt.n_train, 1)))))
            marks.append((c, pt.score.mean, letter))
    scores = [m[1] for m in marks]
    top, bottom = max(scores), min(scores)
    if top - bottom < 1e-9:
        top, bottom = top + 0.005, bottom - 0.005
    grid = [[" "] * cols for _ in range(CHART_HEIGHT)]
    for c, v, ch in marks:
        row = int(round((top - v) / (top - bottom) * (CHART_HEIGHT - 1)))
        grid[row][c] = ch
    lines = []
    for r, cells in enumerate(grid):
        label = f"{top:.3f}" if r == 0 else f"{bottom:.3f}" if r == CHART_HEIGHT - 1 else ""
        lines.append(f"{label:>{_LABEL_WIDTH - 1}} |" + "".join(cells).rstrip())
    lines.append(" " * (_LABEL_WIDTH - 1) + " +" + "-" * cols)
    left, right = f"{lo_n:,}", f"{round(hi_n):,} rows (log scale)"
    gap = max(cols - len(left) - len(right), 1)
    lines.append(" " * (_LABEL_WIDTH + 1) + left + " " * gap + right)
    legend = "  ".join(f"{chr(ord('A') + i)} {one_line(p.name)}" for i, p in enumerate(series))
    lines.append(" " * (_LABEL_WIDTH + 1) + legend)
    lines.append(" " * (_LABEL_WIDTH + 1) + "capitals: measured; lower case: projected (estimate)")
    return lines


def _print_section(console: Console, sec: Section, level: int, chart: list[str] | None = None) -> None:
    style = "bold underline" if level == 2 else "bold"
    console.print(Text(one_line(sec.title), style=style))
    for p in sec.paragraphs:
        console.print(_inline(p.rstrip()))
    if sec.bullets:
        console.print(_bullets(sec.bullets))
    for t in sec.tables:
        console.print(_table(t))
    if chart and level > 2 and sec.title == CURVES_TITLE:
        console.print(Text("\n".join(chart)), overflow="crop", no_wrap=True)
    for sub in sec.subsections:
        _print_section(console, sub, level + 1, chart)
    console.print()


def print_report(report: Report, console: Console) -> None:
    sections = build_sections(report)
    verdict, rest = sections[0], sections[1:]
    rec = report.recommendation
    colour = _CONFIDENCE_STYLE.get(rec.confidence, "white")
    body = [_inline(p.rstrip()) for p in verdict.paragraphs]
    for sub in verdict.subsections:
        body.append(Text(""))
        body.append(Text(one_line(sub.title), style="bold"))
        body += [_inline(p.rstrip()) for p in sub.paragraphs]
        if sub.bullets:
            body.append(_bullets(sub.bullets))
        body += [_table(t) for t in sub.tables]  # the comparisons' probabilities
    title = Text(f"advisor: {one_line(report.dataset.source.path)}")
    console.print(Panel(Group(*body), title=title, border_style=colour))
    console.print()
    chart = curve_chart(report, console.width)
    for sec in rest:
        _print_section(console, sec, 2, chart)


def render_text(report: Report, width: int = 120) -> str:
    """Plain text (no ANSI) of the terminal rendering, for -o FILE."""
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    print_report(report, console)
    return console.export_text()
