"""Test cases for rules: facts in, fired or not out (``advisor rules test``).

A case file sits beside its rule pack (``team.yaml`` -> ``team.cases.yaml``)
and holds an optional ``base`` of facts every case starts from and a list of
``cases``, each naming a rule, the facts that differ from the base, and
whether the rule fires on them::

    base: {modality: tabular, n_rows: 5000, has_gpu: false}
    cases:
      - {rule: team.big-data, facts: {n_rows: 2000000}, fired: true}
      - {rule: team.big-data, facts: {}, fired: false}

A fact given neither in the base nor in the case is unknown (``None``), as a
fact that does not apply is at run time. Fact names and value types are
checked like a rule's condition. The default pack's cases are
``tests/rule_cases/pack.yaml``, run by the test suite through these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.engine.facts import FACTS, FactValue
from advisor.engine.matcher import ConditionError, _check_value, did_you_mean
from advisor.engine.model import Rule
from advisor.engine.render import placeholders, render_because
from advisor.engine.yamlread import read_yaml
from advisor.errors import AdvisorError

CASES_SUFFIX = ".cases.yaml"
CASE_FIELDS = ("rule", "facts", "fired")


@dataclass(frozen=True)
class RuleCase:
    number: int  # 1-based position in the file, for messages
    rule: str
    facts: dict[str, FactValue]  # the facts that differ from the base
    fired: bool  # expected


@dataclass(frozen=True)
class CaseTable:
    file: str
    base: dict[str, FactValue] = field(default_factory=dict)
    cases: list[RuleCase] = field(default_factory=list)

    def facts_of(self, case: RuleCase) -> dict[str, FactValue]:
        """Every fact for ``case``: the base, the case on top, None for the rest."""
        return {**dict.fromkeys(FACTS), **self.base, **case.facts}


@dataclass(frozen=True)
class CaseResult:
    case: RuleCase
    got: bool  # whether the rule fired
    problem: str = ""  # "" when the case passed

    @property
    def passed(self) -> bool:
        return not self.problem


def cases_file_for(pack: str | Path) -> Path:
    """Where the cases of ``pack`` live: ``team.yaml`` -> ``team.cases.yaml`` beside it."""
    path = Path(pack)
    return path.with_name(path.name.rsplit(".", 1)[0] + CASES_SUFFIX)


def read_cases(path: str | Path) -> CaseTable:
    """The cases of one file, with fact names and values checked; AdvisorError when malformed."""
    file = str(path)
    document = read_yaml(Path(path))
    if not isinstance(document, dict) or "cases" not in document:
        raise AdvisorError(f"{file}: expected a mapping with a 'cases:' list (and an optional 'base:')")
    unknown = [k for k in document if k not in ("base", "cases")]
    if unknown:
        raise AdvisorError(
            f"{file}: unknown top-level key '{unknown[0]}'; a case file holds 'base' and 'cases'"
        )
    base = _facts(file, "base", document.get("base") or {})
    raw_cases = document["cases"]
    if not isinstance(raw_cases, list):
        raise AdvisorError(
            f"{file}: 'cases' must be a list of cases, each {{rule: ID, facts: {{}}, fired: true}}"
        )
    return CaseTable(file, base, [_case(file, n, raw) for n, raw in enumerate(raw_cases, start=1)])


def _case(file: str, number: int, raw: Any) -> RuleCase:
    where = f"case {number}"
    if not isinstance(raw, dict):
        raise AdvisorError(f"{file}, {where}: write each case as {{rule: ID, facts: {{...}}, fired: true}}")
    extra = [k for k in raw if k not in CASE_FIELDS]
    if extra:
        hint = did_you_mean(str(extra[0]), CASE_FIELDS)
        raise AdvisorError(
            f"{file}, {where}: unknown field '{extra[0]}'{hint}; a case has {', '.join(CASE_FIELDS)}"
        )
    rule = raw.get("rule")
    if not isinstance(rule, str) or not rule:
        raise AdvisorError(f"{file}, {where}: 'rule' must be the id of the rule the case tests")
    fired = raw.get("fired")
    if not isinstance(fired, bool):
        raise AdvisorError(f"{file}, {where} (rule '{rule}'): 'fired' must be true or false")
    return RuleCase(number, rule, _facts(file, f"{where} (rule '{rule}')", raw.get("facts") or {}), fired)


def _facts(file: str, where: str, raw: Any) -> dict[str, FactValue]:
    if not isinstance(raw, dict):
        raise AdvisorError(f"{file}, {where}: facts must be a mapping of fact name to value")
    facts: dict[str, FactValue] = {}
    for name, value in raw.items():
        if name not in FACTS:
            hint = did_you_mean(str(name), FACTS)
            raise AdvisorError(
                f"{file}, {where}: unknown fact '{name}'{hint}; the facts are listed in docs/rules.md"
            )
        if value is not None:
            try:
                value = _check_value(FACTS[name], value, str(name))
            except ConditionError as exc:
                raise AdvisorError(f"{file}, {where}: {exc.problem}") from None
        facts[str(name)] = value
    return facts


def run_case(rules: Mapping[str, Rule], table: CaseTable, case: RuleCase) -> CaseResult:
    """Whether ``case`` holds; a fired case must also give every placeholder of the
    rule's ``because`` a value, so the sentence the report shows is checked for real."""
    rule = rules[case.rule]
    facts = table.facts_of(case)
    got = bool(rule.when.matches(facts))
    if got is not case.fired:
        expected = "to fire" if case.fired else "not to fire"
        return CaseResult(case, got, f"expected {expected}, but it {'fired' if got else 'did not fire'}")
    if got:
        missing = [name for name in placeholders(rule.because) if facts.get(name) is None]
        if missing:
            return CaseResult(case, got, f"fired, but 'because' shows unknown for {', '.join(missing)}")
        if "{" in render_because(rule.because, facts):
            return CaseResult(case, got, "fired, but 'because' kept a {placeholder}")
    return CaseResult(case, got)


def run_cases(rules: Sequence[Rule], table: CaseTable) -> list[CaseResult]:
    """Every case of ``table`` against ``rules``; a case naming no loaded rule is an AdvisorError."""
    by_id = {rule.id: rule for rule in rules}
    for case in table.cases:
        if case.rule not in by_id:
            hint = did_you_mean(case.rule, by_id)
            raise AdvisorError(
                f"{table.file}, case {case.number}: no loaded rule has the id '{case.rule}'{hint}"
            )
    return [run_case(by_id, table, case) for case in table.cases]


def untested(rule_ids: Sequence[str], table: CaseTable) -> dict[str, list[str]]:
    """Rule id -> what its cases miss ("a case that fires", "a case that does not fire")."""
    fires = {c.rule for c in table.cases if c.fired}
    quiet = {c.rule for c in table.cases if not c.fired}
    gaps: dict[str, list[str]] = {}
    for rule_id in rule_ids:
        missing = [
            text
            for text, have in (("a case that fires", fires), ("a case that does not fire", quiet))
            if rule_id not in have
        ]
        if missing:
            gaps[rule_id] = missing
    return gaps


def describe_failure(result: CaseResult) -> str:
    """One line: rule, case and facts, expected against got."""
    case = result.case
    facts = ", ".join(f"{k}={v!r}" for k, v in case.facts.items()) or "the base facts"
    return f"{case.rule}, case {case.number} ({facts}): {result.problem}"
