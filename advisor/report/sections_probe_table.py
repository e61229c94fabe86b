"""The table of probe results, one row a probe: the 'Measurements' section shows it, and
the 'Leakage check' shows it twice (with and without the suspects)."""

from __future__ import annotations

from advisor.probe_api import ProbeResult, fmt_score
from advisor.text import md_text


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


def probe_headers(metric: str) -> list[str]:
    return ["Probe", "Family", metric, "Fit", "Predict /1k rows", "Peak memory", "Device", "Status"]


def probe_row(r: ProbeResult) -> list[str]:
    status = r.status if not r.reason else f"{r.status}: {r.reason}"
    if r.score is not None and not r.converged:
        status += " (not converged: the time budget cut its training; a lower bound)"
    return [
        md_text(r.name),
        md_text(r.family),
        fmt_score(r.score),
        num(r.fit_seconds, " s") if r.score else "-",
        num(r.predict_ms_per_1k, " ms") if r.score else "-",
        num(r.peak_memory_mb, " MB", 1) if r.score else "-",
        md_text(r.device),
        md_text(status),  # the reason can quote an exception, and so user data
    ]
