"""The default rule pack: every shipped rule has cases that fire and that don't.

Cases live in tests/rule_cases/pack.yaml: a neutral base facts dict, and per
case the facts that differ, the rule id and whether it fires. They run through
``advisor.engine.cases``, the same code as ``advisor rules test``. Adding a rule
without cases fails ``test_every_rule_has_cases``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.engine.cases import describe_failure, read_cases, run_case, untested
from advisor.engine.facts import FACTS
from advisor.engine.loader import CATEGORIES, load_rules

CASES_FILE = Path(__file__).parent / "rule_cases" / "pack.yaml"
TABLE = read_cases(CASES_FILE)
RULES = {rule.id: rule for rule in load_rules()}


def case_id(case) -> str:
    return f"{case.rule}-{'fires' if case.fired else 'quiet'}-{case.facts}"


def test_base_facts_cover_every_fact():
    assert set(TABLE.base) == set(FACTS)


@pytest.mark.parametrize("case", TABLE.cases, ids=case_id)
def test_case(case):
    assert case.rule in RULES, f"case for unknown rule {case.rule}"
    result = run_case(RULES, TABLE, case)
    assert result.passed, describe_failure(result)


def test_every_rule_has_cases():
    gaps = untested(list(RULES), TABLE)
    assert not gaps, f"rules without cases: {gaps}"


def test_pack_size_and_categories():
    assert len(RULES) >= 20
    used = {rule.category for rule in RULES.values()}
    assert used == set(CATEGORIES)


# A file name such as NOTES.md outside a URL: a reader of the report cannot look it up.
LOCAL_FILE = re.compile(r"(?<![\w/.-])[\w.-]+\.(?:md|rst|txt|ya?ml|py|ipynb)\b")
URL = re.compile(r"https?://\S+")
YEAR = re.compile(r"\((?:19|20)\d\d\)")


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda r: r.id)
def test_rule_is_documented_and_traceable(rule):
    assert rule.id.split(".")[0] == rule.category, "id prefix should be the category"
    assert not LOCAL_FILE.search(URL.sub("", rule.source)), "cite the paper, book or page, not a local file"
    for reference in rule.source.split("; "):  # each one a reader can look up: authors (year), or a URL
        assert YEAR.search(reference) or URL.search(reference), reference
    assert rule.title[0].isupper() and not rule.title.endswith(".")
    assert rule.because.endswith(".")
    assert rule.file.endswith(".yaml")
