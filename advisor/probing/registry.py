"""Probe discovery from the ``advisor.probes`` entry point.

Built-in probes are registered exactly like a third party's. A plugin that
fails to import or instantiate is skipped with a message, never a crash. This
module imports no heavy library; a probe module should import torch inside
``fit`` so discovery stays cheap.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from advisor.families import BASELINE
from advisor.families import NAMES as FAMILIES
from advisor.probe_api import Probe

GROUP = "advisor.probes"
FAMILY_ORDER: tuple[str, ...] = (BASELINE, *FAMILIES)


def family_rank(family: str) -> int:
    """Position in the simplicity order; unknown families sort last."""
    return FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)


def sort_probes(probes: list[Probe]) -> list[Probe]:
    return sorted(probes, key=lambda p: (family_rank(getattr(p, "family", "")), getattr(p, "name", "")))


def discover_probes(problems: list[str] | None = None) -> list[Probe]:
    """Instantiate every registered probe, sorted by (family order, name).

    Messages about plugins that were skipped are appended to ``problems`` when
    given (the stage puts them in the report's notes).
    """
    found: list[Probe] = []
    seen: set[str] = set()
    issues: list[str] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Probe)):
                issues.append(f"probe plugin '{ep.name}' ({ep.value}) is not a Probe subclass; skipped")
                continue
            probe = cls()
            name, family = probe.name, probe.family
        except Exception as exc:  # a broken plugin must not stop the run
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            issues.append(
                f"probe plugin '{ep.name}' ({ep.value}) could not be loaded: {type(exc).__name__}: {msg}"
            )
            continue
        if family != BASELINE and family not in FAMILIES:
            issues.append(f"probe '{name}' declares unknown family '{family}'; listed last")
        if name in seen:
            issues.append(f"probe name '{name}' is registered twice; kept the first ({ep.value} skipped)")
            continue
        seen.add(name)
        found.append(probe)
    if problems is not None:
        problems.extend(issues)
    return sort_probes(found)
