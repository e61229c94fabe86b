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
import os
import re
import reprlib
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from advisor.engine.facts import FACTS
from advisor.engine.matcher import ConditionError, did_you_mean, parse_condition
from advisor.engine.model import EFFECT_MAX, EFFECT_MIN, Rule
from advisor.engine.render import placeholders
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
MAX_RULE_FILE_BYTES = 1_000_000  # the default pack is about 20 KB; a megabyte is thousands of rules
MAX_YAML_DEPTH = 40  # nesting levels; a rule needs about ten (all/any/not inside when)
MAX_YAML_VALUES = 100_000  # values a file may expand to, aliases followed
MAX_INT_CHARS = 30  # longest integer literal; effects are -3..3 and facts fit in 64 bits
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
    document = _read_yaml(path)
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


def _read_yaml(path: Path) -> Any:
    file = str(path)
    text = _read_text(path)
    loader = _Loader(text)
    try:
        _check_events(file, text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(file, node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise RuleError(file, None, None, _yaml_problem(exc)) from None
    except RecursionError:
        raise RuleError(
            file,
            None,
            None,
            f"the YAML is nested too deeply; a rule file needs at most {MAX_YAML_DEPTH} levels",
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar the constructor cannot build
        raise RuleError(
            file, None, None, f"a value cannot be read ({_clip(str(exc))}); fix or quote it"
        ) from None
    finally:
        loader.dispose()


# The same safe loader as yaml.safe_load, in C where libyaml is there (10x faster).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_text(path: Path) -> str:
    """The file's text, after checking it is a regular file of a bounded size (opening a FIFO
    blocks forever and /dev/zero never ends, so nothing is opened before the check)."""
    file = str(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise RuleError(file, None, None, "rule file not found; check the path given with --rules") from None
    except OSError as exc:
        raise RuleError(
            file, None, None, f"cannot access the rule file ({_os_problem(exc)}); check the path"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise RuleError(file, None, None, "is a folder, not a rule file; pass a YAML file with --rules")
    if not stat.S_ISREG(st.st_mode):
        raise RuleError(
            file,
            None,
            None,
            "not a regular file (a pipe, socket or device); save the rules to a YAML file and pass its path",
        )
    too_big = (
        f"the rule file is over {MAX_RULE_FILE_BYTES:,} bytes, too large for a rule pack; "
        "split it, or check that this is the file you meant"
    )
    if st.st_size > MAX_RULE_FILE_BYTES:
        raise RuleError(file, None, None, too_big)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_RULE_FILE_BYTES + 1)  # bounded: the file may grow after the stat
    except OSError as exc:
        raise RuleError(
            file, None, None, f"cannot read the rule file ({_os_problem(exc)}); give a UTF-8 YAML file"
        ) from None
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RuleError(file, None, None, too_big)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(
            file, None, None, f"cannot read the rule file ({_clip(str(exc))}); give a UTF-8 YAML file"
        ) from None


def _os_problem(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _check_events(file: str, text: str) -> None:
    """Bound depth and expanded size, and refuse recursive aliases, from the event stream
    (iterative, so nothing is expanded and nothing recurses)."""
    total = 0  # values so far, each alias counted as the values it stands for
    depth = 0
    open_anchors: list[tuple[str | None, int]] = []  # (anchor, total at its start) per open collection
    sizes: dict[str, int] = {}  # anchor -> values it expands to
    for event in yaml.parse(text, Loader=_Loader):
        line = _line(event)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in (a for a, _ in open_anchors):
                raise RuleError(
                    file,
                    None,
                    None,
                    f"recursive YAML alias *{_clip(event.anchor or '', 40)}{line} (it refers to a value "
                    "that contains it); rule files cannot hold recursive data: write the value out",
                )
            total += sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            total += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            total += 1
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise RuleError(
                    file,
                    None,
                    None,
                    f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep{line}; "
                    "a rule needs far fewer: flatten the condition",
                )
            open_anchors.append((event.anchor, total))
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
            anchor, start = open_anchors.pop()
            if anchor:
                sizes[anchor] = total - start + 1
        if total > MAX_YAML_VALUES:
            raise RuleError(
                file,
                None,
                None,
                f"the YAML expands to more than {MAX_YAML_VALUES:,} values once its aliases (*name) are "
                f"followed{line}; a rule pack needs far fewer: write the values out without nested aliases",
            )


def _line(event: Any) -> str:
    mark = getattr(event, "start_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_nodes(file: str, root: yaml.Node) -> None:
    """Repeated keys in a mapping (YAML keeps the last silently) and over-long integer
    literals (Python refuses to parse them), named with the rule id and field they are in.
    Depth is bounded by ``_check_events``, so the recursion here is too."""
    seen: set[int] = set()

    def walk(node: yaml.Node, rule_id: str | None, field: str | None) -> None:
        if id(node) in seen:  # an alias: checked where its anchor is
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _INT_TAG and len(node.value) > MAX_INT_CHARS:
                raise RuleError(
                    file,
                    rule_id,
                    field,
                    f"the number {_clip(node.value, 20)} at line {node.start_mark.line + 1} has "
                    f"{len(node.value):,} characters; write a number of at most {MAX_INT_CHARS} digits",
                )
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, rule_id, field)
        elif isinstance(node, yaml.MappingNode):
            _check_keys(file, node, rule_id, field)
            for key, value in node.value:
                walk(key, rule_id, field)
                # Inside a rule, the top-level key of the rule names the field.
                walk(value, rule_id, field if field is not None or rule_id is None else _scalar(key))

    if not isinstance(root, yaml.MappingNode):
        walk(root, None, None)
        return
    _check_keys(file, root, None, None)
    seen.add(id(root))
    for key, value in root.value:
        walk(key, None, None)
        if _scalar(key) == "rules" and isinstance(value, yaml.SequenceNode) and id(value) not in seen:
            seen.add(id(value))
            for index, item in enumerate(value.value, start=1):
                walk(item, _rule_id_of(item) or f"#{index}", None)
        else:
            walk(value, None, None)


def _check_keys(file: str, node: yaml.MappingNode, rule_id: str | None, field: str | None) -> None:
    lines: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        if (key.tag, key.value) in lines:
            name, first = _clip(key.value, 60), lines[key.tag, key.value]
            where = f"line {line}" if first == line else f"lines {first} and {line}"
            raise RuleError(
                file,
                rule_id,
                field if field is not None else name,
                f"key '{name}' appears twice in one mapping ({where}), and YAML would silently keep "
                "only the last: remove one of them",
            )
        lines[key.tag, key.value] = line


def _rule_id_of(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if _scalar(key) == "id" and isinstance(value, yaml.ScalarNode):
                return _clip(value.value, 80)
    return None


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 6
_SHORT.maxlevel = 3
_SHORT.maxlong = 40


def _shown(value: Any) -> str:
    """A bounded repr for messages: a huge or deeply shared structure is never expanded."""
    return _SHORT.repr(value)


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if "python/" in str(exc):
        return f"YAML tag refused{where}: rule files are plain data, Python object tags are not allowed"
    return f"invalid YAML{where}: {problem}; fix the syntax (indentation, quotes, colons)"


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
