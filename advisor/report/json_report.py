"""The JSON report: ``dataclasses.asdict`` of the Report, made JSON-safe."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, is_dataclass
from typing import Any

from advisor.report.model import Report


def _clean(value: Any) -> Any:
    # NaN and infinities are not JSON: they become null. numpy scalars and
    # arrays become plain numbers and lists.
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _clean(value.tolist())
    if is_dataclass(value):
        return _clean(asdict(value))  # type: ignore[arg-type]
    return str(value)


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON types, matching docs/report.schema.json."""
    return _clean(asdict(report))


# json.dumps escapes only C0 controls; DEL, C1, bidi overrides and the line
# separators would reach a terminal raw. As \uXXXX they are still the same strings.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def render_json(report: Report) -> str:
    text = json.dumps(report_dict(report), indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
