"""The JSON report: ``dataclasses.asdict`` of the Report, made JSON-safe."""

from __future__ import annotations

import json
import math
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


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
