"""Figures for report files: the learning curves, the score comparison, the leakage check.

matplotlib is an optional extra (``pip install "advisor[figures]"``), imported
only when a figure is drawn. Figures are drawn on the Agg canvas of a
``matplotlib.figure.Figure`` (no pyplot, so no global figure state and no
switch of a notebook's backend) and saved without dates or version stamps, so
the same report draws the same bytes.

Each kind of figure is one function registered in ``MAKERS``: it draws on a
fresh matplotlib figure and returns its alt text, or None when the report has
nothing to draw (no curves, no leakage check). Adding a kind is one function,
one Literal value and one line in ``MAKERS``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from advisor.families import BASELINE
from advisor.probe_api import CurveFit, ProbeResult
from advisor.report.model import Report
from advisor.text import one_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

FigureKind = Literal["learning_curves", "scores", "leakage", "dependence"]
Format = Literal["png", "svg"]

ENABLE_HINT = 'pip install "advisor[figures]"'
UNAVAILABLE_NOTE = f"Figures were not drawn: matplotlib is not installed; `{ENABLE_HINT}` enables them."
SIZE_INCHES = (7.5, 4.4)
PNG_DPI = 110
MAX_LABEL = 40  # characters of a probe or column name on a figure
MAX_SERIES = 10  # matplotlib's default colour cycle: beyond it colours repeat
# Saved without the date or matplotlib's version and URL: the same report, the same bytes.
_METADATA: dict[Format, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": "advisor"},
}
_RC = {"svg.hashsalt": "advisor", "text.parse_math": False, "svg.fonttype": "path"}


class FiguresUnavailable(RuntimeError):
    """matplotlib cannot be imported: the report is written without figures, with this note."""


@dataclass(frozen=True)
class DrawnFigure:
    """One figure in memory (for a self-contained HTML report)."""

    kind: FigureKind
    title: str
    alt: str
    png: bytes  # empty when drawn with png=False
    svg: str

    def svg_data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Figure:
    """One figure written beside a report: its PNG and its SVG (for docs sites)."""

    kind: FigureKind
    title: str
    alt: str
    png: Path
    svg: Path


@dataclass(frozen=True)
class FigureMaker:
    kind: FigureKind
    title: str
    # Draws on the empty figure; returns the alt text, or None when there is nothing to draw.
    draw: Callable[[Report, MplFigure], str | None]


def _label(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _metric(report: Report) -> str:
    return report.probe_stage.metric if report.probe_stage else "score"


def _rows(n: float) -> str:
    return f"{n:,.0f}"


# --- learning curves ---------------------------------------------------------------


def _curve_probes(report: Report) -> list[ProbeResult]:
    """Probes with a curve of at least two sizes; the baseline's flat line would only squash the axis."""
    return [p for p in report.probes if p.family != BASELINE and len(p.curve) >= 2][:MAX_SERIES]


def _draw_curves(report: Report, fig: MplFigure) -> str | None:
    import numpy as np

    from advisor.probing.curves import curve_value

    probes = _curve_probes(report)
    if not probes:
        return None
    ax = fig.add_subplot()
    n_lo, n_hi = float("inf"), 0.0
    for i, p in enumerate(probes):
        colour = f"C{i}"
        ns = np.array([pt.n_train for pt in p.curve], dtype=float)
        ys = np.array([pt.score.mean for pt in p.curve])
        sd = np.array([pt.score.std if pt.score.std == pt.score.std else 0.0 for pt in p.curve])
        n_lo, n_hi = min(n_lo, float(ns.min())), max(n_hi, float(ns.max()))
        ax.errorbar(ns, ys, yerr=sd, fmt="o", ms=4, capsize=3, color=colour, label=f"{_label(p.name)}")
        fit = p.curve_fit
        if fit is None or not fit.ok or fit.n_ref <= 0:
            continue
        inside = np.geomspace(float(ns.min()), fit.n_ref, 60)
        ax.plot(inside, curve_value(fit, inside), "-", color=colour, lw=1.2)
        targets = sorted((fit.predicted_rows[k], k) for k in fit.predicted if k in fit.predicted_rows)
        if not targets:
            continue
        far = float(targets[-1][0])
        n_hi = max(n_hi, far)
        at = np.array([float(n) for n, _ in targets])
        mid = np.array([fit.predicted[k].mean for _, k in targets])
        low = np.array([fit.predicted_low.get(k, fit.predicted[k].mean) for _, k in targets])
        high = np.array([fit.predicted_high.get(k, fit.predicted[k].mean) for _, k in targets])
        _projection(ax, fit, far, at, low, high, colour)
        ax.errorbar(
            at, mid, yerr=[mid - low, high - mid], fmt="D", ms=4, mfc="white", capsize=3, color=colour
        )
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log")
    # Plain "1,000", not math text: math text is off so that no name can be read as TeX.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _rows(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training rows (log scale)")
    ax.set_ylabel(_metric(report))
    ax.set_title(
        "Learning curves: measured (points, ± fold sd), fitted (solid);\n"
        f"projected (dashed, diamonds: estimates with an {_interval(probes)} interval)",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="best")
    names = ", ".join(_label(p.name) for p in probes)
    return (
        f"Learning curves ({_metric(report)} against training rows, log scale) of {names}: measured from "
        f"{_rows(n_lo)} to the largest measured size, projected up to {_rows(n_hi)} rows (estimates)."
    )


def _projection(ax, fit: CurveFit, far: float, at, low, high, colour: str) -> None:
    """The projected curve (dashed) and its interval band up to ``far`` rows: the fit's own band
    (``CurveFit.band_*``, the projections' interval at every size) where it has one, else the
    curve with the band drawn between the projections' intervals."""
    import numpy as np

    from advisor.probing.curves import curve_value

    rows = np.array(fit.band_rows, dtype=float)
    keep = rows <= far * (1 + 1e-9)
    if len(fit.band_mid) == len(rows) == len(fit.band_low) == len(fit.band_high) and keep.sum() > 1:
        ax.plot(rows[keep], np.array(fit.band_mid)[keep], "--", color=colour, lw=1.2)
        ax.fill_between(
            rows[keep],
            np.array(fit.band_low)[keep],
            np.array(fit.band_high)[keep],
            color=colour,
            alpha=0.15,
            lw=0,
        )
        return
    ahead = np.geomspace(fit.n_ref, far, 60)
    ax.plot(ahead, curve_value(fit, ahead), "--", color=colour, lw=1.2)
    if len(at) > 1:
        ax.fill_between(at, low, high, color=colour, alpha=0.15, lw=0)


def _interval(probes: list[ProbeResult]) -> str:
    coverage = next((p.curve_fit.interval for p in probes if p.curve_fit is not None and p.curve_fit.ok), 0.8)
    return f"{coverage:.0%}"


# --- score comparison ----------------------------------------------------------


def _scored(probes: list[ProbeResult]) -> list[ProbeResult]:
    return [p for p in probes if p.score is not None]


def _draw_scores(report: Report, fig: MplFigure) -> str | None:
    probes = sorted(_scored(report.probes), key=lambda p: p.score.mean)
    if not probes:
        return None
    ax = fig.add_subplot()
    for y, p in enumerate(probes):
        colour = "0.5" if p.family == BASELINE else "C0"
        if p.score.folds:
            ax.scatter(p.score.folds, [y] * len(p.score.folds), s=12, color=colour, alpha=0.35, lw=0)
        ax.errorbar(p.score.mean, y, xerr=p.score.std, fmt="o", ms=6, capsize=4, color=colour)
    ax.set_yticks(range(len(probes)), [_probe_tick(p) for p in probes], fontsize=8)
    ax.set_xlabel(f"{_metric(report)} (higher is better)")
    folds = max(len(p.score.folds) for p in probes)
    ax.set_title(
        f"Held-out score per probe: mean ± sd over the folds (dots: each of up to {folds} folds)", fontsize=10
    )
    ax.grid(True, axis="x", alpha=0.25)
    best = probes[-1]
    return (
        f"Held-out {_metric(report)} of {len(probes)} probes, mean and spread over the folds; "
        f"highest: {_label(best.name)} at {best.score.mean:.3f}."
    )


def _probe_tick(p: ProbeResult) -> str:
    tick = f"{_label(p.name)} ({p.family})"
    return tick + " lower bound" if not p.converged else tick


# --- leakage before/after ------------------------------------------------------


def _draw_leakage(report: Report, fig: MplFigure) -> str | None:
    lk = report.leakage
    if lk is None:
        return None
    # With the suspects: the leaky run when they were excluded, else the headline (every column).
    before = {p.name: p for p in _scored(lk.probes_with or report.probes)}
    after = {p.name: p for p in _scored(lk.probes_without)}
    names = [n for n in before if n in after]
    if not names:
        return None
    names.sort(key=lambda n: before[n].score.mean)
    ax = fig.add_subplot()
    for y, name in enumerate(names):
        b, a = before[name].score, after[name].score
        ax.plot([b.mean, a.mean], [y, y], "-", color="0.7", lw=1)
        ax.errorbar(b.mean, y + 0.08, xerr=b.std, fmt="o", ms=6, capsize=3, color="C3", label="with")
        ax.errorbar(a.mean, y - 0.08, xerr=a.std, fmt="s", ms=6, capsize=3, color="C2", label="without")
    ax.set_yticks(range(len(names)), [_label(n) for n in names], fontsize=8)
    ax.set_xlabel(f"{_metric(report)} (mean ± sd over the folds)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[:2], ["with the suspects", "without the suspects"], fontsize=8, loc="best")
    cols = ", ".join(_label(c) for c in lk.columns[:4]) + (", …" if len(lk.columns) > 4 else "")
    verdict = "excluded from the headline" if lk.excluded else "kept: removing them changed nothing"
    ax.set_title(f"Leakage check: with and without {cols}\n({verdict})", fontsize=10)
    ax.grid(True, axis="x", alpha=0.25)
    return (
        f"Leakage check: {_metric(report)} of {len(names)} probes with and without the suspected "
        f"columns {cols}; {verdict}."
    )


# --- partial dependence (--goal explain) --------------------------------------------


def _draw_dependence(report: Report, fig: MplFigure) -> str | None:
    """The explanation's top drivers: the mean prediction with one column set to each quantile."""
    ex = report.recommendation.explanation
    probe = next((p for p in report.probes if ex is not None and p.name == ex.probe), None)
    if ex is None or probe is None or probe.drivers is None:
        return None
    by_column = {pd.column: pd for pd in probe.drivers.partial_dependence if pd.grid}
    pds = [by_column[d.column] for d in ex.drivers if d.column in by_column][:3]
    if not pds:
        return None
    axes = fig.subplots(1, len(pds), squeeze=False, sharey=True)[0]
    for ax, pd in zip(axes, pds, strict=True):
        ax.plot(pd.grid, pd.mean_prediction, "o-", ms=4, color="C0")
        ax.set_xlabel(_label(pd.column), fontsize=8)
        ax.grid(True, alpha=0.25)
    binary = report.dataset.target.task == "binary"
    axes[0].set_ylabel("mean P(positive class)" if binary else "mean prediction", fontsize=8)
    fig.suptitle(
        f"Partial dependence in {_label(ex.probe)}: each driver set to its 5th..95th percentiles "
        f"(fold {pds[0].fold + 1}, held-out rows)",
        fontsize=10,
    )
    return (
        f"Partial dependence of {_label(ex.probe)}'s prediction on its top drivers "
        f"{', '.join(_label(pd.column) for pd in pds)}, measured on held-out rows of one fold."
    )


MAKERS: list[FigureMaker] = [
    FigureMaker("learning_curves", "Learning curves", _draw_curves),
    FigureMaker("scores", "Score comparison", _draw_scores),
    FigureMaker("leakage", "Leakage check: before and after", _draw_leakage),
    FigureMaker("dependence", "Partial dependence of the top drivers", _draw_dependence),
]


# --- drawing and writing ---------------------------------------------------------


def _save(fig: MplFigure, fmt: Format) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=_METADATA[fmt])
    return buf.getvalue()


def draw_figures(report: Report, png: bool = True) -> list[DrawnFigure]:
    """Every figure the report has something for, in memory (``png=False``: the SVG only, the
    PNG left empty); raises ``FiguresUnavailable`` when matplotlib is not installed."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MplFigure
    except ImportError:
        raise FiguresUnavailable(UNAVAILABLE_NOTE) from None
    drawn = []
    with matplotlib.rc_context(_RC):
        for maker in MAKERS:
            fig = MplFigure(figsize=SIZE_INCHES, layout="constrained")
            FigureCanvasAgg(fig)
            alt = maker.draw(report, fig)
            if alt is None:
                continue
            svg = _save(fig, "svg").decode("utf-8")
            fig.set_layout_engine("none")  # laid out by the first save: the second reuses it
            drawn.append(DrawnFigure(maker.kind, maker.title, alt, _save(fig, "png") if png else b"", svg))
    return drawn


def write_figures(report: Report, directory: str | Path, stem: str) -> list[Figure]:
    """Draw the figures and write each as PNG and SVG into the folder beside a report named
    ``stem`` in ``directory`` (``report.md`` -> ``report_files/``), each file atomically.

    The folder is made only when there is a figure; a figure of a kind not drawn this time
    (a previous run's leakage figure) is removed, and nothing else in the folder is touched.
    Raises ``FiguresUnavailable`` without matplotlib.
    """
    from advisor.report.write import figures_folder, write_atomic

    drawn = draw_figures(report)
    folder = figures_folder(Path(directory), stem)
    if drawn:
        folder.mkdir(exist_ok=True)
    written = []
    for d in drawn:
        png, svg = folder / f"{d.kind}.png", folder / f"{d.kind}.svg"
        write_atomic(png, d.png)
        write_atomic(svg, d.svg)
        written.append(Figure(d.kind, d.title, d.alt, png, svg))
    kinds = {d.kind for d in drawn}
    for maker in MAKERS:
        if maker.kind not in kinds:
            for stale in (folder / f"{maker.kind}.png", folder / f"{maker.kind}.svg"):
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()
    return written
