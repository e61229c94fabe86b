"""Hostile names in every output: terminal, Markdown, JSON, stderr (issue 12, points 6 and 7).

Column names, class labels, file names, rule text and exception text are user
data. In the terminal and on stderr no control character may get through (no
escape sequence can clear the screen or set the title); in Markdown none may
carry HTML or markup, break a table row or a heading; JSON keeps them exactly.
"""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console

from advisor.engine.model import FiredRule
from advisor.facts import DataWarning
from advisor.probe_api import CostEstimate, CurveFit, CurvePoint, Score
from advisor.report.json_report import render_json
from advisor.report.markdown import render_markdown
from advisor.report.model import ProbeStageSummary
from advisor.report.sections import build_sections
from advisor.report.terminal import print_report, render_text
from advisor.text import code, md_inline, md_text, one_line, parse_inline, printable
from advisor.verdict.model import LeakageCheck
from tests.conftest import run_cli
from tests.helpers import result

# Everything that must not reach a terminal: C0 but newline, DEL, C1, bidi
# embeddings, overrides and isolates, line separators, lone surrogates.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours, the only escapes allowed
# The HTML that advisor's own Markdown renders to; anything else came from user data.
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "p", "ul", "li", "strong", "em", "code", "br",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip

HOSTILE = [
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x9b31m",
    "\x7f",
    "\x00",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\x0b",
    "\x85",
    "\u2028",
    "\u202e",
    "\u2066",
    "`",
    "``",
    "<b>",
    "</b>",
    "<script>",
    "<img src=x onerror=alert(1)>",
    "<!--",
    "&lt;",
    "|",
    "\\",
    "\\|",
    "*",
    "**",
    "_",
    "[x](javascript:alert(1))",
    "# ",
    "- ",
    "1. ",
    "===",
    "Unnamed: <position>",
    " ",
]
NAME = st.one_of(
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=3), min_size=1, max_size=5).map("".join),
    st.text(min_size=1, max_size=8),
)

md = MarkdownIt("commonmark").enable("table")


def _md_check(text: str, report) -> list:
    """Render Markdown to HTML and check its structure against the report's sections."""
    assert not CONTROL.search(text), repr(CONTROL.search(text))
    html = md.render(text)
    tags = {t.lower() for t in re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", html)}
    assert tags <= ALLOWED_TAGS, (tags - ALLOWED_TAGS, html)
    tokens = md.parse(text)
    # One heading per section (and the title), with the section's own text.
    sections = build_sections(report)
    titles = []

    def walk(secs):
        for s in secs:
            titles.append(s.title)
            walk(s.subsections)

    walk(sections)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[1:] == titles
    assert headings[0].startswith("advisor report:")
    # Every table keeps its rows, and every row its cells.
    tables = []

    def collect(secs):
        for s in secs:
            tables.extend(s.tables)
            collect(s.subsections)

    collect(sections)
    rendered, row = [], None
    for t in tokens:
        if t.type == "table_open":
            rendered.append([])
        elif t.type == "tr_open":
            row = 0
        elif t.type in ("th_open", "td_open"):
            row += 1
        elif t.type == "tr_close":
            rendered[-1].append(row)
    assert [len(r) for r in rendered] == [len(t.rows) + 1 for t in tables]
    for cells, t in zip(rendered, tables, strict=True):
        assert set(cells) == {len(t.headers)}
    return [c.content for t in tokens if t.children for c in t.children if c.type == "code_inline"]


def _terminal_check(report) -> str:
    text = render_text(report)
    assert not CONTROL.search(text), repr(CONTROL.search(text))
    buf = io.StringIO()
    print_report(report, Console(file=buf, width=100, color_system="truecolor", force_terminal=True))
    coloured = SGR.sub("", buf.getvalue())
    assert "\x1b" not in coloured and not CONTROL.search(coloured), repr(coloured[:2000])
    return text


@pytest.fixture(scope="module")
def base_report(tmp_path_factory):
    from advisor.pipeline import recommend

    path = tmp_path_factory.mktemp("esc") / "tiny.csv"
    rows = ["f0,f1,f2,y"] + [f"{i % 7},{(i * 3) % 11},{'abc'[i % 3]},{'pq'[i % 2]}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return recommend(path, probes=False, budget=5)


def hostile_report(base, names: list[str], labels: list[str], fname: str, text: str):
    """The real report with every user-derived string replaced by a hostile one."""
    r = copy.deepcopy(base)
    d = r.dataset
    for c, name in zip(d.columns, names, strict=False):
        c.name = name
    d.target.name = names[-1]
    d.target.class_counts = {label: 10 + i for i, label in enumerate(labels)}
    d.source.path = fname
    d.warnings = [
        DataWarning("constant-column", f"column {n!r} has one value ({text}): dropped", column=n)
        for n in names
    ] + [DataWarning("near-duplicate", f"{text}", column=names[0], severity="info") for _ in range(7)]
    r.prior.fired.append(
        FiredRule(
            id=text or "x", title=text, category="team", effects={"gbdt": 1}, because=text, source=fname
        )
    )
    rec = r.recommendation
    rec.reasons += [f"[{text}] {text}", f"Leakage: `{names[0]}` excluded from this verdict."]
    rec.next_steps += [text]
    rec.would_change += [f"dropping `{names[1]}` ({text})"]
    rec.decided_by = text
    probe = result("lgbm", "gbdt", [0.8, 0.82, 0.81, 0.79, 0.8])
    probe.notes = [text]
    probe.curve = [CurvePoint(10, Score(0.7, 0.01), 0.1), CurvePoint(20, Score(0.75, 0.01), 0.1)]
    probe.curve_fit = CurveFit(asymptote=0.8, a=1.0, b=0.5, ok=False, note=text)
    probe.cost_at_full = CostEstimate(n_rows=100, fit_seconds=1.0, peak_memory_mb=10.0, method=text)
    failed = result(text or "x", "mlp", [0.5])
    failed.status, failed.reason, failed.score = "failed", f"ValueError: {text}", None
    r.probes = [probe, failed]
    r.probe_stage = ProbeStageSummary(
        metric="roc_auc",
        n_rows_probed=40,
        sample_note=text,
        n_folds=5,
        curve_fractions=[0.5, 1.0],
        seed=0,
        budget_seconds=5,
        elapsed_seconds=1,
        partial=False,
        notes=[text],
        split="group",
        split_column=names[0],
    )
    named = ", ".join(f"`{n}`" for n in names[:2])
    r.leakage = LeakageCheck(
        columns=names[:2],
        best_with=Score(0.99, 0.0),
        best_without=Score(0.8, 0.01),
        family_with="gbdt",
        family_without="linear",
        probes_without=[copy.deepcopy(probe)],
        summary=f"Suspected leakage in {named}, confirmed ({text}).",
        excluded=names[:2],
        probes_with=[copy.deepcopy(failed)],
    )
    return r


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(NAME, min_size=4, max_size=4),
    labels=st.lists(NAME, min_size=2, max_size=2, unique=True),
    fname=NAME,
    text=NAME,
)
def test_hostile_strings_in_every_format(base_report, names, labels, fname, text):
    report = hostile_report(base_report, names, labels, fname, text)
    _terminal_check(report)
    spans = _md_check(render_markdown(report), report)
    for name in names + labels:  # each name is shown, whole, in a code span (an empty one as " ")
        assert (one_line(name) or " ") in spans
    rendered = render_json(report)
    assert not re.search(
        "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]", rendered.replace("\n", "")
    )
    data = json.loads(rendered)
    assert [c["name"] for c in data["dataset"]["columns"]] == names
    assert list(data["dataset"]["target"]["class_counts"]) == labels
    assert data["dataset"]["source"]["path"] == fname
    assert data["prior"]["fired"][-1]["because"] == text


# Line breaks of every kind make a CSV the reader refuses (rightly); the rest must get through.
CSV_NAME = st.lists(
    st.sampled_from([h for h in HOSTILE if not re.search("[\r\n\x0b\x85\u2028]", h)])
    | st.text(
        st.characters(
            exclude_categories=("Cs", "Zl", "Zp"), exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85"
        ),
        max_size=3,
    ),
    min_size=1,
    max_size=4,
).map("".join)


@settings(max_examples=8, deadline=None)
@given(names=st.lists(CSV_NAME, min_size=3, max_size=3, unique_by=lambda s: s.strip()), label=CSV_NAME)
def test_hostile_csv_through_the_pipeline(tmp_path_factory, names, label):
    """A real CSV with hostile headers and labels: what the reader keeps, every format shows safely."""
    import csv

    from advisor.errors import AdvisorError
    from advisor.pipeline import recommend

    path = tmp_path_factory.mktemp("csv") / "data.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*names, "y"])
        for i in range(30):
            w.writerow([i % 5, (i * 7) % 3, "ab"[i % 2], label if i % 2 else "other"])
    try:
        report = recommend(path, probes=False, budget=5, target="y")
    except AdvisorError as exc:  # a refusal is fine; its message is shown safely
        assert not CONTROL.search(printable(exc.format_message(), keep=""))
        return
    _terminal_check(report)
    _md_check(render_markdown(report), report)
    data = json.loads(render_json(report))
    assert [c["name"] for c in data["dataset"]["columns"]] == [c.name for c in report.dataset.columns]


# --- the examples in the issue ---------------------------------------------------------


def _one(base_report, **kw):
    r = copy.deepcopy(base_report)
    if "label" in kw:
        r.dataset.target.class_counts = {kw["label"]: 3, "other": 2}
    if "column" in kw:
        r.dataset.columns[0].name = kw["column"]
    if "path" in kw:
        r.dataset.source.path = kw["path"]
    return r


def test_class_label_with_html_is_in_a_code_span(base_report):
    out = render_markdown(_one(base_report, label="<b>bold</b>"))
    assert "`<b>bold</b>`: 3" in out
    assert "<b>" not in md.render(out)


def test_double_backticks_cannot_close_the_span(base_report):
    name = "x`` <img src=x onerror=alert(1)> ``"
    out = render_markdown(_one(base_report, column=name))
    assert "```" + " " + name + " " + "```" in out
    html = md.render(out)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_carriage_return_keeps_the_table_row(base_report):
    report = _one(base_report, column="a\rb\nc\r\nd|e")
    out = render_markdown(report)
    row = next(line for line in out.splitlines() if "a b c d" in line)
    assert row.startswith("| `a b c d\\|e` |") and row.count(" | ") == 4
    _md_check(out, report)


def test_script_class_folder_is_escaped(base_report):
    report = _one(base_report, label="<script>")
    for text in (render_markdown(report), render_text(report)):
        assert "`<script>`" in text or "<script>: 3" in text
    assert "<script>" not in md.render(render_markdown(report))


def test_newline_in_the_file_name_keeps_the_title(base_report):
    report = _one(base_report, path="data\n# injected\n<img src=x>.csv")
    out = render_markdown(report)
    assert out.splitlines()[0] == "# advisor report: data \\# injected \\<img src=x\\>.csv"
    _md_check(out, report)
    assert "advisor: data # injected <img src=x>.csv" in render_text(report)


def test_unnamed_position_text_is_not_a_tag(base_report):
    r = copy.deepcopy(base_report)
    r.dataset.warnings = [
        DataWarning("blank-header", "2 blank headers: they were named 'Unnamed: <position>': add names")
    ]
    html = md.render(render_markdown(r))
    assert "named 'Unnamed: &lt;position&gt;'" in html


def test_rich_markup_in_names_is_shown_not_applied(base_report):
    report = _one(base_report, column="[bold red]x[/] [link=http://e.vil]y[/link]")
    buf = io.StringIO()
    print_report(report, Console(file=buf, width=200, color_system="truecolor", force_terminal=True))
    assert "[bold red]x[/] [link=http://e.vil]y[/link]" in SGR.sub("", buf.getvalue())
    assert "\x1b]8;" not in buf.getvalue()  # no hyperlink escape


def test_escape_sequences_are_shown_visibly_in_the_terminal(base_report):
    text = render_text(_one(base_report, column="a\x1b]0;title\x07b", label="\x1b[2Jc"))
    assert "a\\x1b]0;title\\x07b" in text and "\\x1b[2Jc" in text


# --- stderr ----------------------------------------------------------------------------


def test_escape_in_an_error_message_is_escaped(tmp_path):
    missing = tmp_path / "no\x1b[2Jsuch\u202e.csv"
    code_, _, err = run_cli("recommend", str(missing), "-q")
    assert code_ == 2
    assert "\x1b" not in err and "\u202e" not in err
    assert "no\\x1b[2Jsuch\\u202e.csv" in err


def test_escape_in_a_usage_error_is_escaped():
    code_, _, err = run_cli("recommend", "x.csv", "--no-such\x1b]0;t\x07")
    assert code_ == 2 and "\x1b" not in err and "\x07" not in err


def test_escape_in_an_internal_error_is_escaped(monkeypatch, tmp_path):
    import advisor.pipeline

    def boom(*a, **k):
        raise RuntimeError("bad \x1b[2J value\x9b")

    monkeypatch.setattr(advisor.pipeline, "recommend", boom)
    code_, _, err = run_cli("recommend", str(tmp_path), "-q")
    assert code_ == 1 and "internal error" in err
    assert not CONTROL.search(err.replace("\n", "")) and "bad \\x1b[2J value\\x9b" in err


def test_escape_in_a_progress_line_is_escaped():
    from advisor.progress import LineProgress

    buf = io.StringIO()
    p = LineProgress(buf)
    p.stage("reading /tmp/a\x1b[2J\nb.csv")
    p.start_probe("p\x1b]0;t\x07", 3)
    p.end_probe("p", "failed: ValueError: \x9b\u202e")
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3 and not CONTROL.search(buf.getvalue().replace("\n", ""))
    assert lines[0].endswith("reading /tmp/a\\x1b[2J b.csv")


def test_escape_in_the_rich_progress_display_is_escaped(monkeypatch):
    from advisor import progress

    buf = io.StringIO()
    monkeypatch.setattr(
        "rich.console.Console", lambda **kw: Console(file=buf, width=100, force_terminal=True)
    )
    p = progress.RichProgress()
    p.stage("reading [bold]x[/] \x1b[2J")
    p.start_probe("p\x1b]0;t\x07", 2)
    p.advance("p\x1b]0;t\x07", "[red]detail\x1b[2J")
    p.progress.refresh()
    p.end_probe("p\x1b]0;t\x07", "done")
    p.close()
    raw = buf.getvalue()
    assert "\x1b]0;" not in raw and "\x1b[2J" not in raw and "\x07" not in raw
    # What rich writes itself: cursor moves, line clears, colours, links to the source line.
    own = r"\x1b\[\?25[lh]|\x1b\[2K|\x1b\[1A|\r|\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\"
    out = re.sub(own, "", raw)
    assert "\x1b" not in out, repr(out)
    assert "[bold]x[/]" in out and "[red]detail" in out


def test_report_written_to_names_the_output_safely(tmp_path, base_report, monkeypatch):
    import advisor.pipeline

    monkeypatch.setattr(advisor.pipeline, "recommend", lambda *a, **k: base_report)
    out = tmp_path / "r\x1b[2J.md"
    code_, _, err = run_cli("recommend", str(tmp_path / "in.csv"), "-q", "-o", str(out))
    assert code_ == 0, err
    assert "\x1b" not in err and "r\\x1b[2J.md" in err
    assert Path(out).read_text().startswith("# advisor report")


def test_rules_list_and_show_escape_a_team_rules_text(tmp_path):
    rules = tmp_path / "team.yaml"
    rules.write_text(
        'rules:\n  - id: team.x\n    title: "T\\e]0;pwned\\a"\n    category: quality\n'
        '    when: {n_rows: {ge: 1}}\n    effects: {gbdt: 1}\n    because: "B \\e[2J\\u202e"\n    source: s\n'
    )
    for args in (["rules", "list"], ["rules", "show", "team.x"]):
        code_, out, err = run_cli(*args, "--rules", str(rules))
        assert code_ == 0, err
        assert not CONTROL.search(out.replace("\n", "")) and "T\\x1b]0;pwned\\x07" in out


# --- the helpers -----------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(NAME)
def test_code_span_round_trips(s):
    assert parse_inline(code(s)) == [("code", one_line(s) or " ")]
    html = md.renderInline(code(s))
    assert html.startswith("<code>") and html.count("<code>") == 1


@settings(max_examples=30, deadline=None)
@given(NAME)
def test_md_text_round_trips(s):
    assert parse_inline(md_text(s)) == ([("text", one_line(s))] if s else [])
    tags = set(re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", md.renderInline(md_text(s))))
    assert not tags


@settings(max_examples=30, deadline=None)
@given(NAME, NAME)
def test_md_inline_keeps_advisors_spans_and_escapes_the_rest(a, b):
    text = md_inline(f"Suspected leakage in `{a}`, **confirmed** ({b}).")
    kinds = [k for k, _ in parse_inline(text)]
    if "`" not in a + b:  # a backtick in a name built into a span by hand can move the span's end
        assert "bold" in kinds
    tags = set(re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", md.renderInline(text)))
    assert tags <= {"code", "strong"}


def test_printable_escapes_controls_visibly():
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("x\u202ey\u2066") == "x\\u202ey\\u2066"
    assert printable("a\nb\tc") == "a\nb\\tc"
    assert printable("a\nb", keep="") == "a\\nb"
    assert printable("\x7f\x85\x9b") == "\\x7f\\x85\\x9b"
    assert printable("\udcff") == "\\udcff"
    assert printable("é中🙂") == "é中🙂"
    assert one_line("a\r\nb\u2028c") == "a b c"
