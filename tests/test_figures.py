"""Figures beside -o report.md: files, links, determinism, no matplotlib, and the folder's safety rules.

The report most tests draw (``leaky_report``, cached, shared with test_html.py) is
deterministic: the profile and rules of a real ``--no-probes`` run on a small table
whose target is the total of two columns, with a column named like a script, plus
probes with seeded learning curves (fitted by ``fit_learning_curve``) and a leakage
check that excluded the two columns. A probe stage under a time budget would measure
more or fewer sizes on a loaded machine; one end-to-end run checks the wiring.
CLI tests hand the report to the CLI through ``advisor.pipeline.recommend``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from advisor.probe_api import CurvePoint, ProbeResult, Score
from advisor.probing.curves import fit_learning_curve
from advisor.report.figures import MAKERS, UNAVAILABLE_NOTE, draw_figures
from advisor.report.model import ProbeStageSummary, Report
from advisor.report.terminal import CHART_WIDTH, curve_chart, render_text
from advisor.verdict.model import LeakageCheck
from tests.conftest import run_cli

SCRIPT_COLUMN = "<script>alert(1)</script>"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KINDS = ("learning_curves", "scores", "leakage")
# README's dev install has no matplotlib (CI installs the figures extra): drawing tests skip without it.
needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason='needs matplotlib: pip install -e ".[dev,figures]"'
)


@functools.cache
def leaky_csv() -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame(x, columns=["a", "b", SCRIPT_COLUMN])
    frame["visits_web"] = rng.poisson(20 + 5 * np.clip(x[:, 0], -3, 3), n).astype(float)
    frame["visits_store"] = rng.poisson(30 + 5 * np.clip(x[:, 1], -3, 3), n).astype(float)
    frame["visits_total"] = frame["visits_web"] + frame["visits_store"]
    path = Path(tempfile.mkdtemp(prefix="advisor-figures-")) / "visits.csv"
    frame.to_csv(path, index=False)
    return path


def _probe(name: str, family: str, level: float, gain: float, seed: int) -> ProbeResult:
    """A probe with 5 folds at the full size and a 5-size learning curve on 3 folds."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = [30, 60, 120, 240, 480]
    per_fold = [
        [(n, level - gain * ((n / 480) ** -0.5 - 1) + float(rng.normal(0, 0.01))) for n in sizes]
        for _ in range(3)
    ]
    curve = []
    for i, n in enumerate(sizes):
        folds = [f[i][1] for f in per_fold]
        curve.append(CurvePoint(n, Score(float(np.mean(folds)), float(np.std(folds, ddof=1)), folds), 0.01))
    full = [level + float(rng.normal(0, 0.01)) for _ in range(5)]
    score = Score(float(np.mean(full)), float(np.std(full, ddof=1)), full)
    fit = fit_learning_curve(per_fold, metric_max=1.0, anchor=score) if family != "baseline" else None
    return ProbeResult(
        name, family, "ok", metric="r2", score=score, n_train=480, n_test=120, curve=curve, curve_fit=fit
    )


@functools.cache
def leaky_report() -> Report:
    from advisor.pipeline import recommend

    rules_only = recommend(leaky_csv(), target="visits_total", probes=False)
    probes = [_probe("baseline", "baseline", 0.0, 0.0, 1), _probe("linear", "linear", 0.47, 0.08, 2)]
    probes.append(_probe("lightgbm", "gbdt", 0.40, 0.15, 3))
    leaky = [dataclasses.replace(p, score=Score(0.99, 0.005, [0.99] * 5)) for p in probes[1:]]
    stage = ProbeStageSummary(
        metric="r2", n_rows_probed=600, sample_note="", n_folds=5, curve_fractions=[0.0625, 0.125, 0.25, 0.5, 1.0],
        seed=0, budget_seconds=4.0, elapsed_seconds=3.5, partial=False,
    )  # fmt: skip
    leakage = LeakageCheck(
        columns=["visits_web", "visits_store"], best_with=leaky[0].score, best_without=probes[1].score,
        family_with="linear", family_without="linear", probes_without=probes, probes_with=[probes[0], *leaky],
        summary="`visits_web`, `visits_store` excluded: without them the best score falls", excluded=["visits_web", "visits_store"],
    )  # fmt: skip
    return dataclasses.replace(rules_only, probes=probes, probe_stage=stage, leakage=leakage)


@functools.cache
def scores_only() -> Report:
    """The report without curves or leakage check: one figure, for tests of the wiring only."""
    full = leaky_report()
    return dataclasses.replace(
        full, leakage=None, probes=[dataclasses.replace(p, curve=[]) for p in full.probes]
    )


@pytest.fixture()
def cli_with_report(monkeypatch):
    """Run the CLI with the pipeline replaced by the cached report (``report=`` to pass another)."""

    def run(*args: str, report: Report | None = None) -> tuple[int, str, str]:
        chosen = report or leaky_report()  # before the patch: leaky_report runs the real pipeline
        monkeypatch.setattr("advisor.pipeline.recommend", lambda *a, **k: chosen)
        return run_cli("recommend", str(leaky_csv()), "-q", *args)

    return run


def _links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)]+)\)", markdown)


@needs_matplotlib
def test_a_real_run_writes_its_figures_and_links_them(tmp_path):
    """End to end, the probes under a small budget: whatever was measured is drawn and linked."""
    out = tmp_path / "report.md"
    code, _, err = run_cli(
        "recommend", str(leaky_csv()), "--target", "visits_total", "--budget", "4", "-q", "-o", str(out)
    )
    assert code == 0, err
    links = _links(out.read_text().split("\n## Figures\n")[1])
    assert "report_files/scores.png" in links
    assert all((tmp_path / unquote(link)).is_file() for link in links)


@needs_matplotlib
def test_markdown_file_links_every_figure_and_the_files_are_real(cli_with_report, tmp_path):
    out = tmp_path / "report.md"
    code, stdout, err = cli_with_report("-o", str(out))
    assert code == 0, err
    text = out.read_text()
    figures = text[text.index("\n## Figures\n") :]
    # Golden structure of the section: a heading, the PNG and the SVG link per figure, in order.
    outline = [line for line in figures.splitlines() if line.startswith(("#", "!", "["))]
    expected = ["## Figures"]
    for maker in (m for m in MAKERS if m.kind in KINDS):  # no explanation: no dependence figure
        expected += [
            f"### {maker.title}",
            f"![](report_files/{maker.kind}.png)",
            f"[SVG](report_files/{maker.kind}.svg)",
        ]
    assert [re.sub(r"^!\[[^\]]*\]", "![]", line) for line in outline] == expected
    assert all(re.match(r"!\[\w[^\]]+\]", line) for line in outline if line.startswith("!")), "alt text"
    for link in _links(figures):
        assert (tmp_path / unquote(link)).is_file(), link
    folder = tmp_path / "report_files"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{k}.{e}" for k in KINDS for e in ("png", "svg")
    )
    for kind in KINDS:
        assert (folder / f"{kind}.png").read_bytes().startswith(PNG_MAGIC)
        root = ET.fromstring((folder / f"{kind}.svg").read_bytes())
        assert root.tag.endswith("svg")
    assert not [p for p in tmp_path.rglob(".*")], "no temporary file left behind"


@needs_matplotlib
def test_a_report_name_that_needs_encoding_still_links(cli_with_report, tmp_path):
    out = tmp_path / "q1 (draft).md"
    code, _, err = cli_with_report("-o", str(out), report=scores_only())
    assert code == 0, err
    links = _links(out.read_text().split("\n## Figures\n")[1])
    assert links and all(" " not in link and "(" not in link for link in links)
    assert all((tmp_path / unquote(link)).is_file() for link in links)


def test_stdout_markdown_has_no_figures(cli_with_report, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = cli_with_report("--format", "md")
    assert code == 0, err
    assert "## Figures" not in stdout and ".png" not in stdout
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_the_report_is_written_with_a_note(cli_with_report, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    out = tmp_path / "report.md"
    code, _, err = cli_with_report("-o", str(out))
    assert code == 0, err
    text = out.read_text()
    assert text.startswith("# advisor report:")
    assert 'pip install "advisor[figures]"' in text and "## Figures" in text
    assert "![" not in text
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
    assert 'pip install "advisor[figures]"' in UNAVAILABLE_NOTE


@needs_matplotlib
def test_figures_are_omitted_when_there_is_nothing_to_draw(cli_with_report, tmp_path):
    bare = scores_only()
    assert [d.kind for d in draw_figures(bare, png=False)] == ["scores"]
    none = dataclasses.replace(bare, probes=[])
    assert draw_figures(none) == []
    out = tmp_path / "report.md"
    code, _, err = cli_with_report("-o", str(out), report=none)
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no empty folder
    assert "## Figures" not in out.read_text()


@needs_matplotlib
def test_a_stale_figure_goes_and_other_files_stay(cli_with_report, tmp_path):
    folder = tmp_path / "report_files"
    folder.mkdir()
    (folder / "leakage.png").write_bytes(b"old")
    (folder / "notes.txt").write_text("mine")
    no_leak = dataclasses.replace(leaky_report(), leakage=None)
    code, _, err = cli_with_report("-o", str(tmp_path / "report.md"), report=no_leak)
    assert code == 0, err
    names = {p.name for p in folder.iterdir()}
    assert "leakage.png" not in names and "notes.txt" in names and "scores.svg" in names
    assert (folder / "notes.txt").read_text() == "mine"


@needs_matplotlib
def test_figures_are_deterministic():
    first, second = draw_figures(leaky_report()), draw_figures(leaky_report())
    assert [(d.kind, d.png, d.svg) for d in first] == [(d.kind, d.png, d.svg) for d in second]
    assert all("<dc:date>" not in d.svg for d in first)


def test_figure_folder_inside_an_input_folder_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "report_files"  # an input folder that happens to carry the figure folder's name
    (folder / "cat").mkdir(parents=True)
    (folder / "cat" / "0.png").write_bytes(PNG_MAGIC)
    monkeypatch.setattr("advisor.pipeline.recommend", lambda *a, **k: pytest.fail("ran before the check"))
    code, out, err = run_cli("recommend", str(folder), "-q", "-o", str(tmp_path / "report.md"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "figure folder" in err and "inside the input folder" in err
    assert [p.name for p in folder.rglob("*")] == ["cat", "0.png"]


def test_a_file_in_the_way_of_the_figure_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "report_files").write_text("keep me")
    monkeypatch.setattr("advisor.pipeline.recommend", lambda *a, **k: pytest.fail("ran before the check"))
    code, _, err = run_cli("recommend", str(leaky_csv()), "-q", "-o", str(tmp_path / "report.md"))
    assert code == 2 and "in the way" in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "report_files").read_text() == "keep me"


@needs_matplotlib
def test_a_linked_report_gets_its_figures_beside_the_target(cli_with_report, tmp_path):
    real = tmp_path / "reports" / "real.md"
    real.parent.mkdir()
    link = tmp_path / "link.md"
    link.symlink_to(real)
    code, _, err = cli_with_report("-o", str(link), report=scores_only())
    assert code == 0, err
    assert link.is_symlink() and (tmp_path / "reports" / "real_files" / "scores.png").is_file()
    assert not (tmp_path / "link_files").exists()
    assert all((real.parent / unquote(x)).is_file() for x in _links(real.read_text().split("## Figures")[1]))


def test_terminal_shows_the_curves_as_a_bounded_text_chart():
    report = leaky_report()
    chart = curve_chart(report)
    assert chart and all(len(line) <= CHART_WIDTH for line in chart)
    assert any("A " in line and "rows (log scale)" not in line for line in chart[-2:])
    assert any(ch.isupper() for line in chart[:-4] for ch in line[8:]), "measured points"
    text = render_text(report, width=100)
    assert "capitals: measured; lower case: projected (estimate)" in text
    assert text.index("capitals: measured") > text.index("Learning curves")
    assert curve_chart(dataclasses.replace(report, probes=[])) == []


def test_terminal_chart_has_no_colour_codes_under_no_color(monkeypatch):
    import io

    from rich.console import Console

    from advisor.report.terminal import print_report

    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    print_report(leaky_report(), Console(file=buf, width=90, force_terminal=True))
    chart = buf.getvalue().split("Learning curves")[-1].split("capitals: measured")[0]
    assert "\x1b[3" not in chart and "\x1b[9" not in chart  # no foreground colours


def test_help_does_not_import_matplotlib():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom advisor.cli import cli\n"
        "assert CliRunner().invoke(cli, ['recommend', '--help']).exit_code == 0\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def explained_report() -> Report:
    """The leaky report with an explanation whose probe measured partial dependence."""
    from advisor.probe_api import Drivers, PartialDependence
    from advisor.verdict.model import Driver, Explanation

    full = leaky_report()
    probe = next(p for p in full.probes if p.score is not None and p.family != "baseline")
    columns = ["visits", "spend"]
    pds = [PartialDependence(c, [0.0, 1.0, 2.0, 3.0], [0.2, 0.3, 0.5, 0.6], fold=0) for c in columns]
    drivers = Drivers(
        metric="roc_auc", importance=[], n_folds=1, n_folds_total=5, n_rows=100, repeats=1, top_k=2,
        partial_dependence=pds,
    )  # fmt: skip
    explanation = Explanation(
        family=probe.family, probe=probe.name, best_family=probe.family, equivalent=True, cost=0.0,
        cost_noise=0.0, metric="roc_auc",
        drivers=[Driver(c, 0.1, 0.01, 1, "partial_dependence") for c in columns],
    )  # fmt: skip
    probes = [dataclasses.replace(p, drivers=drivers) if p is probe else p for p in full.probes]
    rec = dataclasses.replace(full.recommendation, explanation=explanation)
    return dataclasses.replace(full, probes=probes, recommendation=rec)


@needs_matplotlib
def test_explain_report_draws_partial_dependence_of_its_drivers(cli_with_report, tmp_path):
    out = tmp_path / "report.md"
    code, _, err = cli_with_report("-o", str(out), report=explained_report())
    assert code == 0, err
    text = out.read_text()
    assert "### Partial dependence of the top drivers" in text
    png = tmp_path / "report_files" / "dependence.png"
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert "visits" in text[text.index("### Partial dependence") :]
