"""Escaping for everything advisor echoes: terminal, stderr and Markdown.

Column names, class labels, file names, rule text and exception messages are
user data. Before they reach a terminal, ``printable`` turns every control
character (C0, DEL, C1), bidi override, line separator and lone surrogate into
a visible escape (``\\x1b``, ``\\u202e``), so no escape sequence can clear the
screen, set the title or reorder the text.

Markdown: the report's sections are light Markdown (``**bold**`` and code
spans). ``code(s)`` makes a code span that ``s`` cannot close; ``md_text(s)``
escapes ``s`` for running text, so no HTML, link, emphasis or block structure
can come from it; ``md_inline(s)`` makes a string that mixes advisor's own
code spans with user data (built elsewhere, e.g. the leakage summary) safe:
its code spans are re-fenced and everything else escaped. ``parse_inline`` is
the reader the terminal renderer uses: it turns such Markdown back into plain
runs (text, code, bold) without interpreting anything else.

No heavy imports here: the CLI's error printer uses this module.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, the
# Unicode line and paragraph separators, and lone surrogates (file names
# decoded with surrogateescape): none of them may reach a terminal raw.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")

# Line breaks of every kind, for contexts that must stay on one line.
_BREAKS = re.compile("\r\n|[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]")

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(s: object, keep: str = "\n") -> str:
    """``s`` with every control character replaced by a visible escape.

    ``keep`` lists the characters left as they are where they are structural:
    by default a newline; pass ``keep=""`` for one-line contexts and
    ``keep="\\n\\t"`` to keep tabs too.
    """
    text = str(s)
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return _UNSAFE.sub(_escape, text)


def one_line(s: object) -> str:
    """``s`` on one line: every line break and tab becomes a space, then ``printable``."""
    return printable(_BREAKS.sub(" ", str(s)), keep="")


# --- Markdown -----------------------------------------------------------------

# ASCII punctuation that can start markup in CommonMark or GFM running text:
# escapes, code, emphasis, links and images, raw HTML and autolinks, entities,
# strikethrough, table cells, headings.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
# What makes a list item, a quote, a heading or a thematic break when it opens a line.
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def _escape_md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_line(md: str) -> str:
    """Safe inline Markdown placed where a line (a paragraph line, a list item's text) begins:
    leading blanks dropped, and a leading ``-``, ``+``, ``=`` or ``1.`` escaped, which would
    otherwise open a list or underline a heading."""
    text = md.lstrip()
    m = _MD_LINE_START.match(text)
    if not m:
        return text
    mark = m.group(2)
    cut = len(mark) if mark.isdigit() else 0
    return text[:cut] + "\\" + text[cut:]


def md_text(s: object) -> str:
    """``s`` as Markdown running text that shows exactly ``s``: one line, no markup."""
    return _escape_md(one_line(s))


def code(s: object) -> str:
    """``s`` as a Markdown code span that nothing in ``s`` can close (CommonMark).

    The fence is one backtick longer than the longest backtick run inside;
    line breaks and tabs become spaces; control characters are escaped.
    """
    text = one_line(s)
    if not text:
        return "` `"
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if (text[0] in "` " or text[-1] in "` ") and text.strip(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def parse_inline(md: str) -> list[tuple[str, str]]:
    """Runs of ``(kind, text)`` in light Markdown, kind "text", "bold", "code" or "bold code".

    Only what advisor writes is read: backslash escapes, code spans (CommonMark:
    a run of n backticks closes at the next run of exactly n) and ``**`` bold.
    Anything else stays literal text.
    """
    runs: list[tuple[str, str]] = []
    buf: list[str] = []
    bold = False

    def flush() -> None:
        if buf:
            runs.append(("bold" if bold else "text", "".join(buf)))
            buf.clear()

    i, n = 0, len(md)
    while i < n:
        ch = md[i]
        if ch == "\\" and i + 1 < n and md[i + 1] in _ASCII_PUNCT:
            buf.append(md[i + 1])
            i += 2
        elif ch == "`":
            j = i
            while j < n and md[j] == "`":
                j += 1
            fence = md[i:j]
            close = _find_run(md, j, len(fence))
            if close < 0:
                buf.append(fence)
                i = j
                continue
            content = md[j:close].replace("\n", " ")
            if len(content) >= 2 and content[0] == " " and content[-1] == " " and content.strip(" "):
                content = content[1:-1]
            flush()
            runs.append(("bold code" if bold else "code", content))
            i = close + len(fence)
        elif md.startswith("**", i):
            flush()
            bold = not bold
            i += 2
        else:
            buf.append(ch)
            i += 1
    flush()
    return runs


_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _find_run(md: str, start: int, length: int) -> int:
    """Where the next run of exactly ``length`` backticks starts at or after ``start``, or -1."""
    for m in re.finditer(r"`+", md[start:]):
        if len(m.group()) == length:
            return start + m.start()
    return -1


def md_inline(s: object) -> str:
    """A string mixing advisor's light Markdown with user data, made safe.

    Code spans are re-fenced with ``code``; everything else is escaped as in
    ``md_text``; ``**`` bold is kept. Whatever the user data holds, the result
    carries no HTML and no markup but bold and code.
    """
    out = []
    bold = False
    for kind, text in parse_inline(one_line(s)):
        if ("bold" in kind) != bold:
            out.append("**")
            bold = not bold
        out.append(code(text) if "code" in kind else _escape_md(text))
    if bold:
        out.append("**")
    return "".join(out)
