"""Load and validate rule files: the default pack (``rules/``, installed as
``advisor_rules``) plus a team's own files given with ``--rules FILE``.

Every problem raises ``RuleError(file, rule_id, field, problem)``; the message
says what is wrong and what to write instead. Files are read with
the safe loader only (``yaml.safe_load``, or its C twin ``CSafeLoader``), so
YAML tags that build Python objects are refused.

A rule file is untrusted input, so reading it is bounded before anything is
built from it: a regular file (never a pipe or device, which would hang or
never end) of at most ``MAX_RULE_FILE_BYTES``; then one pass over the YAML
events bounds the nesting depth and the values the file expands to once
aliases are followed (a "billion laughs" file is a few hundred bytes), and
refuses an alias inside the node it names (recursion); then the node tree is
checked for repeated keys and absurdly long integers, naming the rule and the
field. Messages quote values through a bounded ``reprlib``, never a full repr.
"""

from __future__ import annotations

import importlib.resources
import re
import reprlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from advisor.engine.facts import FACTS
from advisor.engine.matcher import ConditionError, did_you_mean, parse_condition
from advisor.engine.model import EFFECT_MAX, EFFECT_MIN, Rule
from advisor.engine.render import placeholders
from advisor.engine.yamlread import MAX_RULE_FILE_BYTES, clip, read_yaml  # noqa: F401 - re-exported
from advisor.errors import RuleError
from advisor.families import NAMES as FAMILIES

CATEGORIES: tuple[str, ...] = (
    "modality",
    "scale",
    "dimensionality",
    "compute",
    "interpretability",
    "goal",
    "quality",
    "unstructured",
)
REQUIRED_FIELDS: tuple[str, ...] = ("id", "title", "category", "when", "effects", "because", "source")
OPTIONAL_FIELDS: tuple[str, ...] = ("override",)
# Dotted lowercase: at least "group.name"; hyphens and underscores inside parts.
RULE_ID = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
DEFAULT_PACKAGE = "advisor_rules"
# Default-pack files load in this order (then any others by name), so fired
# rules read in the report from what the data is to what the user asked for.
PACK_ORDER: tuple[str, ...] = (
    "modality",
    "scale",
    "dimensionality",
    "unstructured",
    "compute",
    "constraints",
    "quality",
)


def default_rule_files() -> list[Path]:
    """The YAML files of the default pack, in ``PACK_ORDER``, then by name."""
    root = importlib.resources.files(DEFAULT_PACKAGE)
    files = [Path(str(entry)) for entry in root.iterdir() if entry.name.endswith((".yaml", ".yml"))]
    rank = {name: i for i, name in enumerate(PACK_ORDER)}
    return sorted(files, key=lambda path: (rank.get(path.stem, len(rank)), path.name))


def load_rules(extra_files: Sequence[str | Path] = ()) -> list[Rule]:
    """The default pack followed by ``extra_files``, validated.

    Ids must be unique across all files. A rule in a later file may replace an
    earlier one with the same id only if it sets ``override: true``; it then
    takes the earlier rule's place in the order.
    """
    rules: list[Rule] = []
    position: dict[str, int] = {}
    for path in [*default_rule_files(), *(Path(p) for p in extra_files)]:
        for rule, override in _load_entries(path):
            if rule.id in position:
                earlier = rules[position[rule.id]]
                if not override:
                    raise RuleError(
                        rule.file,
                        rule.id,
                        "id",
                        f"id already defined in {earlier.file}; rename this rule, "
                        "or set 'override: true' on it to replace that rule",
                    )
                rules[position[rule.id]] = rule
            elif override:
                hint = did_you_mean(rule.id, position)
                raise RuleError(
                    rule.file,
                    rule.id,
                    "override",
                    f"'override: true' but no earlier rule has this id{hint}; fix the id or remove 'override'",
                )
            else:
                position[rule.id] = len(rules)
                rules.append(rule)
    return rules


def load_rule_file(path: str | Path) -> list[Rule]:
    """The validated rules of one file (``override`` flags are checked by ``load_rules``)."""
    return [rule for rule, _ in _load_entries(Path(path))]


def _load_entries(path: Path) -> list[tuple[Rule, bool]]:
    file = str(path)
    document = read_yaml(path)
    if document is None:
        raise RuleError(file, None, None, "the file is empty; it needs a top-level 'rules:' list")
    if not isinstance(document, dict):
        raise RuleError(
            file,
            None,
            None,
            f"expected a top-level mapping with a 'rules:' list, got a {type(document).__name__}",
        )
    unknown = [k for k in document if k != "rules"]
    if unknown:
        raise RuleError(
            file, None, str(unknown[0]), "unknown top-level key; the file holds only a 'rules:' list"
        )
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list):
        raise RuleError(
            file, None, "rules", "expected a list of rules under 'rules:' (use 'rules: []' for none)"
        )

    entries: list[tuple[Rule, bool]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule, override = _parse_rule(file, index, raw)
        if rule.id in seen:
            raise RuleError(file, rule.id, "id", "id defined twice in this file; give each rule its own id")
        seen.add(rule.id)
        entries.append((rule, override))
    return entries


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 6
_SHORT.maxlevel = 3
_SHORT.maxlong = 40


def _shown(value: Any) -> str:
    """A bounded repr for messages: a huge or deeply shared structure is never expanded."""
    return _SHORT.repr(value)


def _parse_rule(file: str, index: int, raw: Any) -> tuple[Rule, bool]:
    if not isinstance(raw, dict):
        raise RuleError(
            file, f"#{index}", None, f"each rule is a mapping of fields, got a {type(raw).__name__}"
        )
    rule_id = _parse_id(file, index, raw.get("id"))

    def fail(field: str, problem: str) -> RuleError:
        return RuleError(file, rule_id, field, problem)

    allowed = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)
    for key in raw:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise fail(str(key), f"unknown field{hint}; a rule has {', '.join(allowed)}")
    for key in REQUIRED_FIELDS:
        if key not in raw:
            raise fail(key, "missing; every rule needs " + ", ".join(REQUIRED_FIELDS))

    title = _text(raw["title"], fail, "title")
    if "\n" in title:
        raise fail("title", "the title must be one line; put the explanation in 'because'")
    category = raw["category"]
    if category not in CATEGORIES:
        hint = did_you_mean(str(category), CATEGORIES)
        raise fail("category", f"unknown category '{category}'{hint}; use one of {', '.join(CATEGORIES)}")
    try:
        when = parse_condition(raw["when"])
    except ConditionError as exc:
        where = "" if exc.path == "when" else f" (at {exc.path})"
        raise fail("when", f"{exc.problem}{where}") from None
    effects = _parse_effects(raw["effects"], fail)
    because = _text(raw["because"], fail, "because")
    for name in placeholders(because):
        if name not in FACTS:
            hint = did_you_mean(name, FACTS)
            raise fail(
                "because", f"placeholder {{{name}}} is not a fact{hint}; use a fact name from docs/rules.md"
            )
    source = _text(raw["source"], fail, "source")
    override = raw.get("override", False)
    if not isinstance(override, bool):
        raise fail("override", f"must be true or false, got {_shown(override)}")

    when_text = yaml.safe_dump(raw["when"], sort_keys=False, default_flow_style=None, width=100).strip()
    rule = Rule(
        id=rule_id,
        title=title,
        when=when,
        effects=effects,
        because=because,
        source=source,
        category=category,
        file=file,
        when_text=when_text,
    )
    return rule, override


def _parse_id(file: str, index: int, raw: Any) -> str:
    if raw is None:
        raise RuleError(file, f"#{index}", "id", "missing; give the rule a dotted id such as 'team.big-data'")
    if not isinstance(raw, str) or not RULE_ID.match(raw):
        raise RuleError(
            file,
            f"#{index}",
            "id",
            f"{_shown(raw)} is not a dotted lowercase id; write e.g. 'team.big-data' (letters, digits, - and _)",
        )
    return raw


def _text(value: Any, fail: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(field, f"must be non-empty text, got {_shown(value)}")
    return value.strip()


def _parse_effects(raw: Any, fail: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise fail(
            "effects", f"expected a mapping of family to effect, e.g. {{gbdt: 2, mlp: -1}}, got {_shown(raw)}"
        )
    effects: dict[str, int] = {}
    for family, value in raw.items():
        if family not in FAMILIES:
            hint = did_you_mean(str(family), FAMILIES)
            raise fail("effects", f"unknown family '{family}'{hint}; use {', '.join(FAMILIES)}")
        if isinstance(value, bool) or not isinstance(value, int) or not EFFECT_MIN <= value <= EFFECT_MAX:
            raise fail(
                "effects",
                f"effect on '{family}' must be a whole number from {EFFECT_MIN} to {EFFECT_MAX}, got {_shown(value)}",
            )
        effects[family] = value
    return effects
