"""Terminal rendering with rich: the same sections as Markdown.

Nothing here is rich markup: the sections' light Markdown is read back into
runs (``advisor.text.parse_inline``) and printed as ``Text`` with styles, every
run through ``printable``, so a name can neither style the report nor send an
escape sequence to the terminal.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from advisor.report.model import Report
from advisor.report.sections import Section, Table, build_sections
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


def _print_section(console: Console, sec: Section, level: int) -> None:
    style = "bold underline" if level == 2 else "bold"
    console.print(Text(one_line(sec.title), style=style))
    for p in sec.paragraphs:
        console.print(_inline(p.rstrip()))
    if sec.bullets:
        console.print(_bullets(sec.bullets))
    for t in sec.tables:
        console.print(_table(t))
    for sub in sec.subsections:
        _print_section(console, sub, level + 1)
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
    for sec in rest:
        _print_section(console, sec, 2)


def render_text(report: Report, width: int = 120) -> str:
    """Plain text (no ANSI) of the terminal rendering, for -o FILE."""
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    print_report(report, console)
    return console.export_text()
