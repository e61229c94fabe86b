"""Reading a rule file safely: regular files of a bounded size, bounded YAML, plain data.

Rule files come from the user (``--rules``), so reading one must never hang, exhaust
memory or run code: the path is checked before it is opened (a FIFO blocks, /dev/zero
never ends), the bytes are capped, the YAML event stream is checked for depth,
expanded size and recursive aliases before anything is built, the node tree for
over-long integers and duplicate keys, and the document is built by the safe loader.
Every problem is a ``RuleError`` naming the file (and the rule and field when known).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import RuleError

MAX_RULE_FILE_BYTES = 1_000_000  # the default pack is about 20 KB; a megabyte is thousands of rules
MAX_YAML_DEPTH = 40  # nesting levels; a rule needs about ten (all/any/not inside when)
MAX_YAML_VALUES = 100_000  # values a file may expand to, aliases followed
MAX_INT_CHARS = 30  # longest integer literal; effects are -3..3 and facts fit in 64 bits


def read_yaml(path: Path) -> Any:
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
            file, None, None, f"a value cannot be read ({clip(str(exc))}); fix or quote it"
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
            file, None, None, f"cannot read the rule file ({clip(str(exc))}); give a UTF-8 YAML file"
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
                    f"recursive YAML alias *{clip(event.anchor or '', 40)}{line} (it refers to a value "
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
                    f"the number {clip(node.value, 20)} at line {node.start_mark.line + 1} has "
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
            name, first = clip(key.value, 60), lines[key.tag, key.value]
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
                return clip(value.value, 80)
    return None


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if "python/" in str(exc):
        return f"YAML tag refused{where}: rule files are plain data, Python object tags are not allowed"
    return f"invalid YAML{where}: {problem}; fix the syntax (indentation, quotes, colons)"
