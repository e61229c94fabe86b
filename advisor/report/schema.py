"""Generate the JSON Schema of the JSON report from the Report dataclasses.

``python -m advisor.report.schema > docs/report.schema.json`` regenerates the
file; a test checks that the committed file matches, so it can't drift.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any

from advisor.report.model import SCHEMA_VERSION, Report

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return {}
    if tp is type(None):
        return {"type": "null"}
    if tp in _SCALARS:
        # NaN and infinities serialise as null (see json_report._clean).
        return {"type": ["number", "null"]} if tp is float else {"type": _SCALARS[tp]}
    if origin is typing.Literal:
        return {"enum": list(args)}  # statuses, kinds, decisions: the values a reader can branch on
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(a, defs) for a in args]}
    if origin in (list, tuple):
        item = args[0] if args else Any
        return {"type": "array", "items": _schema(item, defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], defs)}
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = typing.get_type_hints(tp)
            props = {f.name: _schema(hints[f.name], defs) for f in dataclasses.fields(tp)}
            doc = (tp.__doc__ or "").strip().splitlines()
            defs[name] = {
                "type": "object",
                "properties": props,
                "required": sorted(props),
                **({"description": doc[0]} if doc and not doc[0].startswith(name + "(") else {}),
            }
        return {"$ref": f"#/$defs/{name}"}
    return {}


def report_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _schema(Report, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://advisor.local/schemas/report-{SCHEMA_VERSION}.json",
        "title": "advisor report",
        "description": f"The JSON report of `advisor recommend --format json`, schema_version {SCHEMA_VERSION}.",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(report_schema(), indent=2))
