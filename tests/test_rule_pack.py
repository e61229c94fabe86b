"""The default rule pack: every shipped rule has cases that fire and that don't.

Cases live in tests/rule_cases/pack.yaml: a neutral base facts dict, and per
case the facts that differ, the rule id and whether it fires. Adding a rule
without cases fails ``test_every_rule_has_cases``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.engine.facts import FACTS
from advisor.engine.loader import CATEGORIES, load_rules
from advisor.engine.render import placeholders, render_because

CASES_FILE = Path(__file__).parent / "rule_cases" / "pack.yaml"
TABLE = yaml.safe_load(CASES_FILE.read_text())
BASE: dict = TABLE["base"]
CASES: list[dict] = TABLE["cases"]
RULES = {rule.id: rule for rule in load_rules()}
FRAMEWORK_SECTIONS = (
    "'The triangle'",
    "'Numbers the rules may use'",
    "'What the probes add'",
    "'Ties, and data with no signal'",
)


def case_id(case: dict) -> str:
    return f"{case['rule']}-{'fires' if case['fired'] else 'quiet'}-{case['facts']}"


def test_base_facts_cover_every_fact():
    assert set(BASE) == set(FACTS)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case(case):
    assert case["rule"] in RULES, f"case for unknown rule {case['rule']}"
    unknown = set(case["facts"]) - set(FACTS)
    assert not unknown, f"unknown facts in case: {unknown}"
    facts = {**BASE, **case["facts"]}
    rule = RULES[case["rule"]]
    assert rule.when.matches(facts) is case["fired"], rule.when.describe()
    if case["fired"]:
        # A fired case must give every placeholder a value, so the rendered
        # sentence is checked for real, never "unknown".
        missing = [name for name in placeholders(rule.because) if facts.get(name) is None]
        assert not missing, f"case leaves placeholders without a value: {missing}"
        text = render_because(rule.because, facts)
        assert "{" not in text and "}" not in text


def test_every_rule_has_cases():
    fires = {c["rule"] for c in CASES if c["fired"]}
    quiet = {c["rule"] for c in CASES if not c["fired"]}
    assert not set(RULES) - fires, f"rules without a case that fires: {sorted(set(RULES) - fires)}"
    assert not set(RULES) - quiet, f"rules without a case that does not fire: {sorted(set(RULES) - quiet)}"


def test_pack_size_and_categories():
    assert len(RULES) >= 20
    used = {rule.category for rule in RULES.values()}
    assert used == set(CATEGORIES)


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda r: r.id)
def test_rule_is_documented_and_traceable(rule):
    assert rule.id.split(".")[0] == rule.category, "id prefix should be the category"
    assert rule.source.startswith("FRAMEWORK.md, ")
    assert any(section in rule.source for section in FRAMEWORK_SECTIONS)
    assert rule.title[0].isupper() and not rule.title.endswith(".")
    assert rule.because.endswith(".")
    assert rule.file.endswith(".yaml")
