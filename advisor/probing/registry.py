"""Probe discovery from the ``advisor.probes`` entry point.

Built-in probes are registered exactly like a third party's. A plugin that
fails to import or instantiate is skipped with a message, never a crash.
``probe_catalog`` lists every registered probe, runnable or not and why, for
``advisor probes list``. This
module imports no heavy library; a probe module should import torch inside
``fit`` so discovery stays cheap.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.metadata import entry_points

from advisor.facts import Constraints
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


@dataclass(frozen=True)
class ProbeEntry:
    """One registered probe as ``advisor probes list`` shows it: what it is, and whether it can run."""

    entry_point: str  # the entry point's name and value: "lightgbm = advisor_probes.lightgbm:LightGBMProbe"
    name: str  # the probe's name, or the entry point's when it could not be loaded
    family: str = ""
    description: str = ""
    modalities: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # optional libraries it needs beyond the core install
    available: bool = True
    why_not: str = ""  # why it is unavailable (a failed import, a missing library); "" when available


def _load(ep) -> tuple[Probe | None, str]:
    """The probe an entry point names, or None and why not."""
    try:
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Probe)):
            return None, "is not a Probe subclass"
        probe = cls()
        probe.name, probe.family  # noqa: B018 - a plugin without them is broken
    except Exception as exc:  # a broken plugin must not stop the run
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return None, f"could not be loaded: {type(exc).__name__}: {msg}"
    return probe, ""


def _missing(needs: tuple[str, ...]) -> list[str]:
    # find_spec, not import: listing the probes must not load torch.
    return [module for module in needs if importlib.util.find_spec(module) is None]


def probe_catalog() -> list[ProbeEntry]:
    """Every registered probe, loadable or not, in simplicity order (the broken ones last)."""
    entries: list[ProbeEntry] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        where = f"{ep.name} = {ep.value}"
        probe, problem = _load(ep)
        if probe is None:
            entries.append(ProbeEntry(where, ep.name, available=False, why_not=f"the plugin {problem}"))
            continue
        needs = ("torch",) if getattr(probe, "needs_torch", False) else ()
        missing = _missing(needs)
        # What else it needs on this machine (an optional package, pretrained weights), as a
        # run with the default settings would find it: the probe's own setup says.
        why_not = f"{', '.join(missing)} is not installed (pip install {' '.join(missing)})" if missing else ""
        if not missing:
            try:
                why_not = probe.setup(Constraints()) or ""
            except Exception as exc:  # noqa: BLE001 - a broken plugin is listed, not fatal
                why_not = f"its setup raised {type(exc).__name__}: {exc}"
        entries.append(
            ProbeEntry(
                where,
                probe.name,
                probe.family,
                getattr(probe, "description", ""),
                tuple(sorted(getattr(probe, "modalities", ()))),
                tuple(sorted(getattr(probe, "tasks", ()))),
                needs,
                available=not why_not,
                why_not=why_not,
            )
        )
    return sorted(entries, key=lambda e: (not e.family, family_rank(e.family), e.name))


def discover_probes(problems: list[str] | None = None) -> list[Probe]:
    """Instantiate every registered probe, sorted by (family order, name).

    Messages about plugins that were skipped are appended to ``problems`` when
    given (the stage puts them in the report's notes).
    """
    found: list[Probe] = []
    seen: set[str] = set()
    issues: list[str] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        probe, problem = _load(ep)
        if probe is None:
            issues.append(f"probe plugin '{ep.name}' ({ep.value}) {problem}; skipped")
            continue
        name, family = probe.name, probe.family
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
