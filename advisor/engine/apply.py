"""Fire the rules on the facts and sum their effects into a ``Prior``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from advisor.engine.model import FiredRule, Prior, Rule
from advisor.engine.render import render_because
from advisor.families import NAMES as FAMILIES


def evaluate(rules: Sequence[Rule], facts: Mapping[str, Any]) -> Prior:
    """The prior: every rule whose condition holds, and the summed effects.

    ``favoured`` is the family with the highest score; a tie goes to the
    simplest family in ``FAMILIES`` order (simplest first, advisor/families.py),
    as the framework recommends when the evidence does not separate them.
    """
    scores = dict.fromkeys(FAMILIES, 0)
    fired: list[FiredRule] = []
    for rule in rules:
        if not rule.when.matches(facts):
            continue
        for family, effect in rule.effects.items():
            scores[family] += effect
        fired.append(
            FiredRule(
                id=rule.id,
                title=rule.title,
                category=rule.category,
                effects=dict(rule.effects),
                because=render_because(rule.because, facts),
                source=rule.source,
            )
        )
    # max() keeps the first of equal scores, and FAMILIES runs simplest first.
    favoured = max(FAMILIES, key=lambda family: scores[family])
    return Prior(scores=scores, fired=fired, favoured=favoured, facts=dict(facts))
