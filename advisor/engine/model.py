"""Typed rules and the prior they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Effects are small integers: +3 strongly favours a family, -3 strongly argues against it.
EFFECT_MIN, EFFECT_MAX = -3, 3


@dataclass(frozen=True)
class Rule:
    id: str  # stable, dotted: "scale.tiny-data"
    title: str  # one line
    when: Any  # the parsed condition (advisor.engine.matcher.Condition)
    effects: dict[str, int]  # family -> effect
    because: str  # template; {fact_name} placeholders are filled from the facts
    source: str  # where the knowledge comes from (FRAMEWORK.md section, citation)
    category: str = (
        ""  # modality | scale | dimensionality | unstructured | compute | interpretability | goal | quality
    )
    file: str = ""  # the YAML file it was loaded from
    when_text: str = ""  # the condition as written, for `advisor rules show`


@dataclass
class FiredRule:
    id: str
    title: str
    category: str
    effects: dict[str, int]
    because: str  # rendered with the facts
    source: str


@dataclass
class Prior:
    """What the rules say before any measurement."""

    scores: dict[str, int]  # family -> summed effects, every family present
    fired: list[FiredRule] = field(default_factory=list)
    favoured: str = "gbdt"  # highest score; ties go to the simplest family
    facts: dict[str, Any] = field(default_factory=dict)  # the facts the rules saw
