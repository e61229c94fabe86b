"""--format html: one self-contained page, its structure parsed with html.parser, every user string escaped.

No headless browser is installed on the test machines, so the page is parsed, not rendered.
The report is test_figures.py's (cached): a column named like a script, curves, an excluded leak.
"""

from __future__ import annotations

import base64
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import pytest

from advisor.report.html import render_html
from tests.conftest import run_cli
from tests.test_figures import SCRIPT_COLUMN, leaky_csv, leaky_report, needs_matplotlib, scores_only

SECTIONS = ("Verdict", "Dataset", "Compute and constraints", "Rules that fired", "Measurements")


class Page(HTMLParser):
    """Tags, attributes, headings and the title of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.headings: list[tuple[str, str]] = []
        self.title = ""
        self._open: list[str] = []
        self._text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        self._open.append(tag)
        self._text = []

    def handle_endtag(self, tag):
        text = "".join(self._text).strip()
        if tag == "title":
            self.title = text
        elif tag in ("h1", "h2", "h3", "h4"):
            self.headings.append((tag, text))
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        self._text.append(data)


@pytest.fixture()
def cli_report(monkeypatch):
    report = leaky_report()  # before the patch: it runs the real pipeline once
    monkeypatch.setattr("advisor.pipeline.recommend", lambda *a, **k: report)
    return report


@pytest.fixture(scope="module")
def page_text() -> str:
    return render_html(leaky_report())


def test_one_page_with_one_head_and_body_and_a_title(page_text):
    page = Page(page_text)
    assert page_text.startswith("<!DOCTYPE html>")
    assert page.tags["html"] == page.tags["head"] == page.tags["body"] == page.tags["title"] == 1
    assert page.title.startswith("advisor report: ") and page.title.endswith("visits.csv")
    assert page.tags["style"] == 1 and page.tags["script"] == 0


def test_the_same_sections_as_the_markdown(page_text):
    page = Page(page_text)
    h2 = [text for tag, text in page.headings if tag == "h2"]
    assert [t for t in h2 if t in SECTIONS] == list(SECTIONS)  # in order; other sections may sit between
    assert "Leakage check" in h2 and h2[-1] == "Figures"
    h3 = {text for tag, text in page.headings if tag == "h3"}
    assert {"Reasons", "Columns", "Learning curves"} <= h3
    assert page.tags["table"] >= 5


@needs_matplotlib
def test_nothing_is_fetched_and_every_figure_is_inline(page_text):
    page = Page(page_text)
    links = [(tag, name, value) for tag, name, value in page.attrs if name in ("src", "href", "srcset")]
    assert all(value.startswith("data:") or value.startswith("#") for _, _, value in links), links
    assert page.tags["link"] == 0 and "@import" not in page_text and "url(" not in page_text
    images = [value for tag, name, value in page.attrs if tag == "img" and name == "src"]
    assert len(images) == 3 == page.tags["figure"]
    for src in images:
        assert src.startswith("data:image/svg+xml;base64,")
        assert ET.fromstring(base64.b64decode(src.split(",", 1)[1])).tag.endswith("svg")
    alts = [value for tag, name, value in page.attrs if tag == "img" and name == "alt"]
    assert len(alts) == 3 and all(alts)


def test_a_column_named_like_a_script_is_escaped(page_text):
    assert SCRIPT_COLUMN not in page_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_text
    assert Page(page_text).tags["script"] == 0


def test_format_html_prints_the_page(monkeypatch):
    report = scores_only()  # before the patch: it runs the real pipeline once
    monkeypatch.setattr("advisor.pipeline.recommend", lambda *a, **k: report)
    code, out, err = run_cli("recommend", str(leaky_csv()), "-q", "--format", "html")
    assert code == 0, err
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")


@needs_matplotlib
def test_an_html_suffix_picks_html_and_writes_no_figure_folder(cli_report, tmp_path):
    out = tmp_path / "review.html"
    code, stdout, err = run_cli("recommend", str(leaky_csv()), "-q", "-o", str(out))
    assert code == 0 and stdout == "", err
    assert Page(out.read_text()).tags["figure"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["review.html"]


def test_without_matplotlib_the_page_says_how_to_get_figures(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    text = render_html(leaky_report())
    page = Page(text)
    assert page.tags["img"] == 0 and page.tags["body"] == 1
    assert "pip install &quot;advisor[figures]&quot;" in text
