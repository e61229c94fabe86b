"""Terminal rendering with rich: the same sections as Markdown."""

from __future__ import annotations

import io
import re

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from advisor.report.model import Report
from advisor.report.sections import Section, Table, build_sections

_CONFIDENCE_STYLE = {"high": "green", "medium": "yellow", "low": "red"}


def _inline(text: str) -> Text:
    # Sections use light Markdown (**bold**, `code`); render those inline.
    return Text.from_markup(
        re.sub(
            r"`([^`]+)`", r"[cyan]\1[/]", re.sub(r"\*\*([^*]+)\*\*", r"[bold]\1[/]", text.replace("[", "\\["))
        )
    )


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
        *t.headers, title=t.title or None, caption=t.caption or None, show_lines=False, expand=False
    )
    for row in t.rows:
        table.add_row(*[_inline(c) for c in row])
    return table


def _print_section(console: Console, sec: Section, level: int) -> None:
    style = "bold underline" if level == 2 else "bold"
    console.print(Text(sec.title, style=style))
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
        body.append(Text(sub.title, style="bold"))
        body.append(_bullets(sub.bullets))
    console.print(Panel(Group(*body), title=f"advisor: {report.dataset.source.path}", border_style=colour))
    console.print()
    for sec in rest:
        _print_section(console, sec, 2)


def render_text(report: Report, width: int = 120) -> str:
    """Plain text (no ANSI) of the terminal rendering, for -o FILE."""
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    print_report(report, console)
    return console.export_text()
