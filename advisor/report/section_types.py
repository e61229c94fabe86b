"""``Section`` and ``Table``: the report's content as titled sections of text, bullets and tables.

The section builders (``sections.py`` and the ``sections_*.py`` beside it,
``planning.py``, ``scale.py``, ``drivers.py``) return these; Markdown, HTML and the
terminal render them, so the formats can't drift; JSON serialises the Report itself.
They have a module of their own, below every builder and renderer, so a builder that
uses another (``sections_verdict.py`` uses ``drivers.py``) imports it at the top,
with no cycle.

Every string in them is light Markdown (``**bold**`` and code spans) and every
user-derived string (names, labels, paths, rule text, messages, exception text)
goes through ``code``, ``md_text`` or ``md_inline`` (advisor/text.py), so none can
carry markup, HTML or control characters into a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
