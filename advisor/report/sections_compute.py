"""The 'Compute and constraints' section: the hardware, the probe device, the user's
constraints, and where each setting not at its default came from."""

from __future__ import annotations

from advisor.report.model import Report
from advisor.report.section_types import Section, Table
from advisor.text import code, md_text


def compute_section(report: Report) -> Section:
    c = report.compute
    gpu = f"{md_text(c.gpu_name)} ({c.gpu_memory_gb} GB)" if c.gpu_name else "none"
    k = report.constraints
    rows = [
        ["CPU cores", str(c.cpu_cores)],
        ["Memory", f"{c.memory_gb} GB"],
        ["GPU", gpu],
        ["Probe device", f"{md_text(c.device)} ({md_text(c.device_reason)})"],
        ["Interpretability", md_text(k.interpretability)],
        ["Goal", md_text(k.goal)],
        ["Probe budget", f"{k.budget_seconds:g} s"],
        ["Seed", str(k.seed)],
    ]
    return Section(
        "Compute and constraints", tables=[Table(["Fact", "Value"], rows, caption=_settings_line(report))]
    )


def _settings_line(report: Report) -> str:
    """Where each option that is not at its default came from (empty from the Python API)."""
    from advisor.config import SOURCE_LABEL

    def shown(s) -> str:
        if s.value is True:
            return code(s.option)
        value = " ".join(s.value) if isinstance(s.value, list) else str(s.value)
        return code(f"{s.option} {value}")

    parts = [
        f"{shown(s)} ({SOURCE_LABEL[s.source]}{', ' + md_text(s.origin) if s.origin else ''})"
        for s in report.settings
    ]
    return f"Settings not at their defaults: {', '.join(parts)}." if parts else ""
