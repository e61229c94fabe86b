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
# Two indices, row then column: pixel_0_0 (scikit-learn's digits frame), 1x1 (MNIST CSVs).
GRID_NAME = re.compile(r"^(?P<prefix>.*?)[\s_\-.]*(?P<row>\d+)\s*[_x\-.,]\s*(?P<col>\d+)$", re.IGNORECASE)


def signal_columns(columns: list[ColumnProfile], target: str | None) -> list[str]:
    """The signal's columns in their order (see ``signal_layout``); empty when there is none."""
    return signal_layout(columns, target)[0]


def signal_layout(columns: list[ColumnProfile], target: str | None) -> tuple[list[str], list[int] | None]:
    """``(names, [H, W, C])``: the largest group of indexed numeric columns, in order.

    Indexed one way (``prefix<running index>``, ``pixel0..pixel783``), ordered by index, the
    grid guessed from the count (``grid_shape``); or two ways (``prefix<row>_<col>``,
    ``pixel_0_0..pixel_7_7`` as scikit-learn's ``load_digits(as_frame=True)`` names them, or
    ``1x1..28x28``), row-major, the grid read from the indices. Empty unless the group has
    at least ``SIGNAL_MIN_COLUMNS`` members with consecutive indices (every cell of the grid)
    covering ``SIGNAL_MIN_SHARE`` of the feature columns.
    """
    candidates = [c.name for c in columns if c.name != target and c.kind in SIGNAL_KINDS]
    n_features = sum(1 for c in columns if c.name != target and c.kind != "identifier")
    found: list[tuple[list[str], list[int] | None]] = []
    line = _indexed_line(candidates)
    if line:
        found.append((line, grid_shape(len(line))))
    grid = _indexed_grid(candidates)
    if grid:
        found.append(grid)
    found = [f for f in found if len(f[0]) >= max(SIGNAL_MIN_COLUMNS, SIGNAL_MIN_SHARE * n_features)]
    return max(found, key=lambda f: len(f[0])) if found else ([], None)


def _indexed_line(names: list[str]) -> list[str]:
    """The largest ``prefix<index>`` group with running indices, ordered by index."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        match = INDEXED_NAME.match(name.strip())
        if match:
            groups.setdefault(match["prefix"].lower(), []).append((int(match["index"]), name))
    if not groups:
        return []
    members = sorted(max(groups.values(), key=len))
    indices = [i for i, _ in members]
    running = indices[-1] - indices[0] + 1 == len(set(indices)) == len(indices)
    return [name for _, name in members] if running else []


def _indexed_grid(names: list[str]) -> tuple[list[str], list[int]] | None:
    """The largest ``prefix<row><sep><col>`` group filling a whole H x W grid, row-major."""
    groups: dict[str, list[tuple[int, int, str]]] = {}
    for name in names:
        match = GRID_NAME.match(name.strip())
        if match:
            groups.setdefault(match["prefix"].lower(), []).append(
                (int(match["row"]), int(match["col"]), name)
            )
    if not groups:
        return None
    members = sorted(max(groups.values(), key=len))
    rows = {r for r, _, _ in members}
    cols = {c for _, c, _ in members}
    height, width = max(rows) - min(rows) + 1, max(cols) - min(cols) + 1
    cells = {(r, c) for r, c, _ in members}
    if len(rows) != height or len(cols) != width or not len(cells) == len(members) == height * width:
        return None
    return [name for _, _, name in members], [height, width, 1]


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
    signal, shape = signal_layout(columns, target)
    if signal and _homogeneous(frame, signal):
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
