"""Rule conditions: parsed once from YAML into typed dataclasses, then matched
against a facts dict. There is no ``eval``: a condition can only compare a
known fact with a literal of the fact's type.

Accepted shapes (see docs/rules.md)::

    {fact: n_rows, lt: 1000}                  # explicit comparison
    {fact: n_rows, ge: 1000, lt: 100000}      # several operators: all must hold
    {n_rows: {lt: 1000}, modality: tabular}   # shorthand: implicit all, bare value = eq
    {modality: [text, mixed]}                 # shorthand: bare list = in
    {all: [...]}, {any: [...]}, {not: ...}    # combinators
    [cond, cond]                              # a list: implicit all

A comparison on a fact whose value is ``None`` (missing, not applicable) is
false, whatever the operator.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from advisor.engine.facts import FACTS, FactSpec

OPERATORS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between")
# Operators that need an order: meaningless on str and bool facts.
ORDERED_OPERATORS = frozenset({"lt", "le", "gt", "ge", "between"})
LIST_OPERATORS = frozenset({"in", "not_in"})
COMBINATORS: tuple[str, ...] = ("all", "any", "not")

# Spellings from other query languages, mapped to ours for the error hint.
_ALIASES = {
    "gte": "ge",
    ">=": "ge",
    ">": "gt",
    "lte": "le",
    "<=": "le",
    "<": "lt",
    "==": "eq",
    "=": "eq",
    "is": "eq",
    "!=": "ne",
    "neq": "ne",
    "nin": "not_in",
    "range": "between",
}
_SYMBOLS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class ConditionError(ValueError):
    """A malformed condition; ``path`` locates it inside ``when`` (e.g. ``when.all[1]``)."""

    def __init__(self, problem: str, path: str):
        super().__init__(problem)
        self.problem, self.path = problem, path


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidates, or ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


@dataclass(frozen=True)
class Compare:
    fact: str
    op: str
    value: Any  # a scalar; a tuple for in/not_in; (lo, hi) for between

    def matches(self, facts: Mapping[str, Any]) -> bool:
        actual = facts.get(self.fact)
        if actual is None:
            return False
        op, value = self.op, self.value
        if op == "eq":
            return actual == value
        if op == "ne":
            return actual != value
        if op == "in":
            return actual in value
        if op == "not_in":
            return actual not in value
        if op == "between":
            return value[0] <= actual <= value[1]
        if op == "lt":
            return actual < value
        if op == "le":
            return actual <= value
        if op == "gt":
            return actual > value
        return actual >= value  # "ge": parse_condition admits no other operator

    def describe(self) -> str:
        if self.op in LIST_OPERATORS:
            items = ", ".join(_literal(v) for v in self.value)
            return f"{self.fact} {'in' if self.op == 'in' else 'not in'} [{items}]"
        if self.op == "between":
            return f"{self.fact} between {_literal(self.value[0])} and {_literal(self.value[1])}"
        return f"{self.fact} {_SYMBOLS[self.op]} {_literal(self.value)}"


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return all(item.matches(facts) for item in self.items)

    def describe(self) -> str:
        return " and ".join(_wrap(item) for item in self.items)


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return any(item.matches(facts) for item in self.items)

    def describe(self) -> str:
        return " or ".join(_wrap(item) for item in self.items)


@dataclass(frozen=True)
class Not:
    item: Condition

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return not self.item.matches(facts)

    def describe(self) -> str:
        return f"not {_wrap(self.item)}"


Condition = Compare | All | AnyOf | Not


def _wrap(cond: Condition) -> str:
    text = cond.describe()
    return f"({text})" if isinstance(cond, (All, AnyOf)) and len(cond.items) > 1 else text


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def fact_names(cond: Condition) -> set[str]:
    """Every fact a condition reads."""
    if isinstance(cond, Compare):
        return {cond.fact}
    if isinstance(cond, Not):
        return fact_names(cond.item)
    return set().union(*(fact_names(item) for item in cond.items))


def parse_condition(raw: Any, path: str = "when") -> Condition:
    """Parse and type-check a condition as loaded from YAML.

    Raises ``ConditionError`` on an unknown fact, operator or key, or a value
    whose type does not fit the fact.
    """
    if isinstance(raw, list):
        return _combine(All, raw, path)
    if not isinstance(raw, dict) or not raw:
        raise ConditionError(
            f"expected a condition such as {{fact: n_rows, lt: 1000}}, got {_show(raw)}", path
        )
    if "fact" in raw:
        return _parse_explicit(raw, path)
    parts: list[Condition] = []
    for key, value in raw.items():
        sub = f"{path}.{key}"
        if key in ("all", "any"):
            if not isinstance(value, list):
                raise ConditionError(f"'{key}' takes a list of conditions, got {_show(value)}", sub)
            parts.append(_combine(All if key == "all" else AnyOf, value, sub))
        elif key == "not":
            parts.append(Not(parse_condition(value, sub)))
        elif key in FACTS:
            parts.append(_parse_shorthand(FACTS[key], value, sub))
        elif key in OPERATORS:
            raise ConditionError(
                f"operator '{key}' needs a fact: write {{fact: NAME, {key}: ...}} or {{NAME: {{{key}: ...}}}}",
                path,
            )
        else:
            hint = did_you_mean(str(key), [*FACTS, *COMBINATORS])
            raise ConditionError(f"unknown fact '{key}'{hint}; the facts are listed in docs/rules.md", path)
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _combine(kind: type[All] | type[AnyOf], raw: list[Any], path: str) -> Condition:
    if not raw:
        raise ConditionError("an empty list of conditions; give at least one", path)
    return kind(tuple(parse_condition(item, f"{path}[{i}]") for i, item in enumerate(raw)))


def _parse_explicit(raw: dict[str, Any], path: str) -> Condition:
    name = raw["fact"]
    if not isinstance(name, str) or name not in FACTS:
        hint = did_you_mean(str(name), FACTS)
        raise ConditionError(f"unknown fact '{name}'{hint}; the facts are listed in docs/rules.md", path)
    ops = {k: v for k, v in raw.items() if k != "fact"}
    if not ops:
        raise ConditionError(f"no operator for fact '{name}'; add one of {', '.join(OPERATORS)}", path)
    return _parse_ops(FACTS[name], ops, path)


def _parse_shorthand(spec: FactSpec, value: Any, path: str) -> Condition:
    if isinstance(value, dict):
        if not value:
            raise ConditionError(
                f"no operator for fact '{spec.name}'; add one of {', '.join(OPERATORS)}", path
            )
        return _parse_ops(spec, value, path)
    if isinstance(value, list):
        return _compare(spec, "in", value, path)
    return _compare(spec, "eq", value, path)


def _parse_ops(spec: FactSpec, ops: dict[str, Any], path: str) -> Condition:
    parts = []
    for op, value in ops.items():
        if op not in OPERATORS:
            alias = _ALIASES.get(str(op))
            hint = f" (did you mean '{alias}'?)" if alias else did_you_mean(str(op), OPERATORS)
            raise ConditionError(
                f"unknown operator '{op}'{hint}; use one of {', '.join(OPERATORS)}", f"{path}.{op}"
            )
        parts.append(_compare(spec, op, value, f"{path}.{op}"))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _compare(spec: FactSpec, op: str, value: Any, path: str) -> Compare:
    if op in ORDERED_OPERATORS and spec.type not in (int, float):
        raise ConditionError(
            f"'{op}' needs a number but fact '{spec.name}' is a {spec.type_name}; use eq, ne, in or not_in",
            path,
        )
    if op in LIST_OPERATORS:
        if not isinstance(value, list) or not value:
            raise ConditionError(f"'{op}' takes a non-empty list of values, got {_show(value)}", path)
        return Compare(spec.name, op, tuple(_check_value(spec, v, path) for v in value))
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ConditionError(f"'between' takes a list [low, high], got {_show(value)}", path)
        lo, hi = (_check_value(spec, v, path) for v in value)
        if lo > hi:
            raise ConditionError(f"'between' bounds are reversed: {lo} > {hi}; write [low, high]", path)
        return Compare(spec.name, op, (lo, hi))
    return Compare(spec.name, op, _check_value(spec, value, path))


def _check_value(spec: FactSpec, value: Any, path: str) -> Any:
    """The literal, if its type fits the fact; else a ConditionError saying what fits."""
    if spec.type is bool:
        if not isinstance(value, bool):
            raise ConditionError(
                f"fact '{spec.name}' is a bool: compare it with true or false, not {_show(value)}", path
            )
        return value
    if spec.type in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = ""
            if isinstance(value, str) and _is_number(value):
                # YAML 1.1 (PyYAML) reads 1e6 as a string; only 1.0e6 or 1000000 are numbers.
                hint = "; YAML reads exponents without a dot as text: write 1000000 or 1.0e+6"
            raise ConditionError(f"fact '{spec.name}' is a number, got {_show(value)}{hint}", path)
        if isinstance(value, float) and math.isnan(value):
            raise ConditionError(f"fact '{spec.name}' cannot be compared with NaN", path)
        return value
    if not isinstance(value, str):
        raise ConditionError(f"fact '{spec.name}' is text, got {_show(value)}; quote the value", path)
    if spec.allowed is not None and value not in spec.allowed:
        hint = did_you_mean(value, spec.allowed)
        raise ConditionError(
            f"'{value}' is not a value of fact '{spec.name}'{hint}; allowed: {', '.join(spec.allowed)}", path
        )
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show(value: Any) -> str:
    kind = "null" if value is None else type(value).__name__
    return f"{kind} {value!r}" if value is not None else kind
