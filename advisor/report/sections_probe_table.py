"""The table of probe results, one row a probe: the 'Measurements' section shows it, and
the 'Leakage check' shows it twice (with and without the suspects)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.probe_api import ProbeResult, fmt_score
from advisor.probing.metrics import RARER_CLASS_METRIC
from advisor.profile.target import IMBALANCE_WARN_RATIO
from advisor.text import code, md_text

if TYPE_CHECKING:  # pragma: no cover
    from advisor.facts import DatasetProfile

EXTRA_HEADERS = {RARER_CLASS_METRIC: "PR-AUC (rarer class)"}


def num(x: float | int | None, unit: str = "", digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    if abs(x) >= 100:
        return f"{x:,.0f}{unit}"
    if 0 < abs(x) < 10**-digits:
        return f"<{10**-digits:.{digits}f}{unit}"
    return f"{x:.{digits}f}{unit}"


def not_applicable(r: ProbeResult) -> bool:
    return r.status == "not_applicable"


def extra_metrics(dataset: DatasetProfile) -> list[str]:
    """Metrics shown beside the primary one: the rarer class's PR-AUC where the imbalance warning
    fires on a binary target (the JSON report has every metric for every target)."""
    t = dataset.target
    imbalanced = t.task == "binary" and (t.imbalance_ratio or 1.0) >= IMBALANCE_WARN_RATIO
    return [RARER_CLASS_METRIC] if imbalanced else []


def extra_metrics_note(dataset: DatasetProfile, extra: list[str]) -> str | None:
    """What the extra column measures, and what a trivial model scores on it."""
    counts = dataset.target.class_counts
    if RARER_CLASS_METRIC not in extra or not counts:
        return None
    rarer = min(counts, key=lambda k: counts[k])
    share = counts[rarer] / sum(counts.values())
    return (
        f"PR-AUC (rarer class): the average precision of {code(rarer)}, {share:.1%} of the rows, ranked by "
        f"its predicted probability; a model that cannot rank scores about its share ({share:.3f}), as the "
        "baseline does. The verdict compares ROC AUC, which can look good on a rare class while most of the rows "
        "a model flags are false alarms: read this column beside it."
    )


def probe_headers(metric: str, extra: list[str] | None = None) -> list[str]:
    shown = [EXTRA_HEADERS.get(m, m) for m in extra or []]
    return ["Probe", "Family", metric, *shown, "Fit", "Predict /1k rows", "Peak memory", "Device", "Status"]


def probe_row(r: ProbeResult, extra: list[str] | None = None) -> list[str]:
    status = r.status if not r.reason else f"{r.status}: {r.reason}"
    if r.score is not None and not r.converged:
        status += " (not converged: the time budget cut its training; a lower bound)"
    return [
        md_text(r.name),
        md_text(r.family),
        fmt_score(r.score),
        *(fmt_score(r.metrics.get(m)) if r.score else "-" for m in extra or []),
        num(r.fit_seconds, " s") if r.score else "-",
        num(r.predict_ms_per_1k, " ms") if r.score else "-",
        num(r.peak_memory_mb, " MB", 1) if r.score else "-",
        md_text(r.device),
        md_text(status),  # the reason can quote an exception, and so user data
    ]
