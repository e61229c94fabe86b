"""Text for people: ``because`` sentences with the facts filled in, and rule
descriptions for ``advisor rules list`` / ``advisor rules show``.

Placeholders are filled by a regex that only substitutes known fact names; we
never use ``str.format``, whose ``{x.attr}`` / ``{x[0]}`` syntax reaches into
objects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from advisor.engine.facts import FACTS
from advisor.engine.matcher import did_you_mean
from advisor.engine.model import Rule
from advisor.errors import AdvisorError
from advisor.families import NAMES as FAMILIES

# Anything between single braces; the loader rejects names that are not facts.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

SIGNIFICANT_DIGITS = 3


def placeholders(template: str) -> list[str]:
    """The names inside ``{...}`` in a ``because`` template, in order."""
    return PLACEHOLDER.findall(template)


def format_value(value: Any) -> str:
    """A fact value as a reader wants it: 12,345 / 0.0123 / 1,230,000 / yes / unknown."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _format_float(value)
    return str(value)


def _format_float(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= SIGNIFICANT_DIGITS - 1:
        # Round to 3 significant digits but keep the digits of the integer part
        # ("1,230,000", not "1.23e+06"): these are row counts and sizes.
        return f"{round(value, SIGNIFICANT_DIGITS - 1 - magnitude):,.0f}"
    return f"{value:.{SIGNIFICANT_DIGITS}g}"


def render_because(template: str, facts: Mapping[str, Any]) -> str:
    """Fill ``{fact}`` placeholders from ``facts``; unknown names are left as written."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in FACTS:
            return match.group(0)
        return format_value(facts.get(name))

    return PLACEHOLDER.sub(fill, template)


def format_effects(effects: Mapping[str, int]) -> str:
    """``linear +2, mlp -1`` in simplicity order; ``none`` when empty or all zero."""
    parts = [f"{family} {effects[family]:+d}" for family in FAMILIES if effects.get(family)]
    return ", ".join(parts) if parts else "none"


def summarize_rule(rule: Rule) -> str:
    """One line for ``advisor rules list``: id, category, title, effects."""
    return f"{rule.id}  [{rule.category}]  {rule.title}  ({format_effects(rule.effects)})"


def describe_rule(rule: Rule) -> str:
    """Everything about one rule, for ``advisor rules show ID``."""
    when_written = "\n".join("    " + line for line in rule.when_text.splitlines()) or "    (not recorded)"
    reads = rule.when.describe() if hasattr(rule.when, "describe") else str(rule.when)
    lines = [
        f"{rule.id}: {rule.title}",
        f"  category: {rule.category}",
        "  when:",
        when_written,
        f"  reads as: {reads}",
        f"  effects: {format_effects(rule.effects)}",
        f"  because: {rule.because}",
        f"  source: {rule.source}",
        f"  file: {rule.file}",
    ]
    return "\n".join(lines)


def find_rule(rules: Sequence[Rule], rule_id: str) -> Rule:
    """The rule with this id, or an AdvisorError listing the closest ids."""
    for rule in rules:
        if rule.id == rule_id:
            return rule
    hint = did_you_mean(rule_id, [r.id for r in rules])
    raise AdvisorError(f"no rule with id '{rule_id}'{hint}; run 'advisor rules list' to see every id")
