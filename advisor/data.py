"""The prepared data every probe receives.

The profiler decides column kinds; ``ProbeData`` is the result of applying
them: features typed by kind, the target encoded, identifiers and constants
dropped. Probes never re-detect kinds, so all probes see the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd


# prepare() expands some source columns into several features (a datetime into
# "<column>__year", "<column>__month", ...): the part after this separator.
PART_SEPARATOR = "__"
# The part of a datetime that orders it as one number (days since 1970): the date's stand-in
# wherever one value per source column is needed (correlations between columns).
TIME_PART = "epoch_days"
# Stratified folds need two rows of every class: smaller classes are dropped before
# probing (the profile warns about them: class-dropped).
MIN_ROWS_PER_CLASS = 2


@dataclass
class ProbeData:
    task: str  # "binary" | "multiclass" | "regression"
    modality: str  # "tabular" | "text" | "mixed" | "image" | "signal" | "audio"
    # Classification: int64 codes 0..k-1 indexing class_names. Regression: float64.
    y: np.ndarray
    class_names: list[str] = field(default_factory=list)
    # Tabular/text features. Dtypes by kind: numeric (incl. booleans and
    # expanded datetimes) float64 with NaN for missing; categorical pandas
    # "category"; text plain Python str objects ("" for missing).
    X: pd.DataFrame | None = None
    feature_kinds: dict[str, str] = field(default_factory=dict)  # column -> numeric|categorical|text
    # Images as uint8 (n, H, W, C), all resized to one shape by the loader.
    images: np.ndarray | None = None
    # Audio clips as float32 log-mel spectrograms (n, n_mels, frames), computed once by the
    # audio reader (a clip's features do not depend on the fold); None for other modalities.
    spectrograms: np.ndarray | None = None
    # For "signal" tables whose columns are a pixel grid: (H, W, C), else None.
    pixel_shape: tuple[int, int, int] | None = None
    n_rows_total: int = 0  # rows in the source before any sampling
    # Said while preparing, for the probe notes: e.g. classes too small in a streamed
    # sample that the profile's exact counts did not flag.
    notes: list[str] = field(default_factory=list)
    # Time order and repeated entities (advisor/profile/order.py), None when absent
    # (always for images): a sortable float64 key per row (later is larger, NaN when
    # missing) and int64 entity codes per row. The column names are for the report.
    time_key: np.ndarray | None = None
    groups: np.ndarray | None = None
    time_column: str = ""
    group_column: str = ""
    # A sequence table (advisor/profile/sequence.py): ``groups`` are its entities and
    # ``time_key`` orders each entity's readings. "row": the target belongs to each
    # reading; "entity": to the entity (constant along it). None: not a sequence.
    sequence: Literal["row", "entity"] | None = None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_classification(self) -> bool:
        return self.task in ("binary", "multiclass")

    def columns_of(self, kind: str) -> list[str]:
        return [c for c, k in self.feature_kinds.items() if k == kind]

    def take(self, idx: np.ndarray) -> ProbeData:
        """Rows ``idx`` (positional), keeping every other attribute."""
        return replace(
            self,
            y=self.y[idx],
            X=None if self.X is None else self.X.iloc[idx].reset_index(drop=True),
            images=None if self.images is None else self.images[idx],
            spectrograms=None if self.spectrograms is None else self.spectrograms[idx],
            time_key=None if self.time_key is None else self.time_key[idx],
            groups=None if self.groups is None else self.groups[idx],
        )

    def drop_columns(self, columns: list[str]) -> ProbeData:
        """A copy without the source ``columns`` and every feature derived from them
        (used to re-run without leakage suspects)."""

        def derived(feature: str) -> bool:
            return feature.split(PART_SEPARATOR, 1)[0] in columns or feature in columns

        keep = {c: k for c, k in self.feature_kinds.items() if not derived(c)}
        X = None if self.X is None else self.X[list(keep)]
        return replace(self, X=X, feature_kinds=keep)
