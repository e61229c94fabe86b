"""Modality: tabular, text, mixed, image, or signal (raw pixels/samples stored as a table)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from advisor.facts import ColumnProfile, DataWarning

SIGNAL_MIN_COLUMNS = 64  # fewer indexed columns are plausibly named measurements (V1..V28)
SIGNAL_MIN_SHARE = 0.9  # the indexed columns must be (nearly) all the features
SIGNAL_MAX_RANGE_RATIO = 100.0  # homogeneous: column value ranges within this factor of the median
RANGE_SAMPLE_ROWS = 2000
SIGNAL_KINDS = ("numeric", "boolean", "constant")  # constant: blank border pixels are part of the grid
CHANNEL_COUNTS = (1, 3)
INDEXED_NAME = re.compile(r"^(?P<prefix>.*?)[\s_\-.]*(?P<index>\d+)$")


def signal_columns(columns: list[ColumnProfile], target: str | None) -> list[str]:
    """The largest group of ``prefix<running index>`` numeric columns, ordered by index.

    Empty unless it has at least ``SIGNAL_MIN_COLUMNS`` members with consecutive
    indices covering ``SIGNAL_MIN_SHARE`` of the feature columns.
    """
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in columns:
        if c.name == target or c.kind not in SIGNAL_KINDS:
            continue
        match = INDEXED_NAME.match(c.name.strip())
        if match:
            groups.setdefault(match["prefix"].lower(), []).append((int(match["index"]), c.name))
    if not groups:
        return []
    members = sorted(max(groups.values(), key=len))
    indices = [i for i, _ in members]
    n_features = sum(1 for c in columns if c.name != target and c.kind != "identifier")
    running = indices[-1] - indices[0] + 1 == len(set(indices)) == len(indices)
    if len(members) < SIGNAL_MIN_COLUMNS or not running or len(members) < SIGNAL_MIN_SHARE * n_features:
        return []
    return [name for _, name in members]


def _homogeneous(frame: pd.DataFrame, names: list[str]) -> bool:
    sample = frame[names].iloc[:RANGE_SAMPLE_ROWS].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(all="ignore"):
        ranges = np.nanmax(sample, axis=0) - np.nanmin(sample, axis=0)
    ranges = ranges[np.isfinite(ranges) & (ranges > 0)]
    if len(ranges) == 0:
        return True
    return float(ranges.max()) <= SIGNAL_MAX_RANGE_RATIO * float(np.median(ranges))


def grid_shape(n: int) -> list[int] | None:
    """``[H, W, C]`` for a square grid of ``n`` values with 1 or 3 channels, else None."""
    for channels in CHANNEL_COUNTS:
        if n % channels:
            continue
        side = math.isqrt(n // channels)
        if side * side * channels == n:
            return [side, side, channels]
    return None


@dataclass
class ModalityResult:
    modality: str
    reason: str
    pixel_shape: list[int] | None = None
    n_signal_columns: int = 0
    warnings: list[DataWarning] = field(default_factory=list)


def detect_modality(frame: pd.DataFrame, columns: list[ColumnProfile], target: str | None) -> ModalityResult:
    """The modality, why, and for signal tables the grid shape and a ``pixel-table`` note."""
    features = [c for c in columns if c.name != target and c.kind not in ("identifier", "constant")]
    images = [c.name for c in features if c.kind == "image_path"]
    if images:
        return ModalityResult("image", f"column {images[0]!r} holds image file paths")
    text = [c.name for c in features if c.kind == "text"]
    if text:
        others = len(features) - len(text)
        names = ", ".join(repr(t) for t in text)
        if others == 0:
            return ModalityResult("text", f"the only features are free text ({names})")
        return ModalityResult("mixed", f"free text ({names}) plus {others} tabular columns")
    signal = signal_columns(columns, target)
    if signal and _homogeneous(frame, signal):
        shape = grid_shape(len(signal))
        grid = f" ({shape[0]}x{shape[1]}{'x3' if shape[2] == 3 else ''} grid)" if shape else ""
        reason = (
            f"{len(signal)} homogeneous indexed columns {signal[0]!r}..{signal[-1]!r}{grid}: "
            "raw pixels or samples of one signal, not named measurements"
        )
        warning = DataWarning(
            "pixel-table",
            f"{len(signal)} columns {signal[0]!r}..{signal[-1]!r} look like raw pixels/samples{grid} rather than "
            "named measurements; the data is treated as unstructured (signal), where deep learning is a candidate",
            None,
            "info",
        )
        return ModalityResult("signal", reason, shape, len(signal), [warning])
    return ModalityResult("tabular", f"{len(features)} named feature columns, no free text or images")
