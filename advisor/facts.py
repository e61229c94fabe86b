"""Typed facts about the dataset, the machine and the user's constraints.

These dataclasses are the contract between the reader, the profiler, the rules
engine, the probes and the report. The JSON report is their serialisation
(``dataclasses.asdict``), so field names are part of the public schema
(``docs/report.schema.json``): add fields, don't rename them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal[
    "numeric",
    "categorical",
    "boolean",
    "datetime",
    "text",
    "identifier",
    "constant",
    "image_path",
    "audio_path",
]
Task = Literal["binary", "multiclass", "regression", "none"]
# "signal": a table of many homogeneous unnamed numeric columns (pixels,
# samples of a waveform): raw unstructured data stored as a table.
Modality = Literal["tabular", "text", "mixed", "image", "signal", "audio"]
Severity = Literal["info", "warning", "error"]

# Kinds that are used as model inputs; identifiers and constants are dropped.
FEATURE_KINDS: tuple[str, ...] = ("numeric", "categorical", "boolean", "datetime", "text", "image_path")


@dataclass
class ColumnProfile:
    name: str
    dtype: str  # storage dtype as read, e.g. "int64", "str"
    kind: str  # one of ColumnKind
    kind_reason: str  # the heuristic that decided the kind, for the report
    missing_rate: float  # 0..1, over the rows profiled
    n_unique: int  # distinct non-missing values (over the rows profiled)
    # Text columns only: mean length in whitespace tokens and vocabulary size.
    mean_tokens: float | None = None
    vocab_size: int | None = None


@dataclass
class DataWarning:
    # Stable codes, each explained in docs/input-problems.md (keep that list in step).
    code: str
    message: str  # one sentence, with the numbers, saying what to do if anything
    column: str | None = None
    severity: Severity = "warning"


@dataclass
class TargetInfo:
    name: str | None  # None when the data has no target (task "none")
    inferred: bool  # True when the user did not pass --target
    how: str  # e.g. "given with --target", "conventional name 'label'", "last column"
    task: str  # one of Task
    task_reason: str  # why this task, e.g. "numeric with 3 distinct integer values"
    n_classes: int | None = None
    class_counts: dict[str, int] = field(default_factory=dict)  # classification only
    imbalance_ratio: float | None = None  # majority count / minority count
    missing: int = 0  # rows whose target is missing (dropped before probing)
    skewness: float | None = None  # regression only: the values' sample skewness
    log_skewness: float | None = None  # regression only: of log1p(values), when none is negative
    time_trend: float | None = None  # regression with a time order: Spearman of the target with time
    beyond_past_range: float | None = None  # ... share of later rows outside the earlier rows' range
    drift: bool = False  # ... that share is large and well above chance (advisor/profile/trend.py)


@dataclass
class SourceInfo:
    path: str
    format: str  # "csv", "tsv", "parquet", "image-folder", "image-csv"
    size_bytes: int
    delimiter: str | None = None
    encoding: str | None = None
    compression: str | None = None  # "gzip" or None
    n_rows: int = 0  # exact row count of the whole file
    n_rows_profiled: int = 0  # rows that per-column statistics were computed on
    sampled: bool = False  # True when statistics come from a sample
    sample_note: str = ""  # how the sample was drawn, for the report
    read_seconds: float = 0.0
    peak_memory_mb: float = 0.0  # peak resident memory of the process after reading


@dataclass
class TextStats:
    columns: list[str]
    mean_tokens: float  # mean tokens per row over the text columns, summed
    vocab_size: int
    corpus_tokens: int  # estimated total tokens in the whole file
    language_like: bool  # words and spaces rather than codes


@dataclass
class ImageStats:
    n_images: int
    n_unreadable: int
    per_class: dict[str, int]
    min_per_class: int
    height_median: int
    width_median: int
    channels: int
    raw_dimension: int  # height x width x channels at the median size


@dataclass
class AudioStats:
    """Labelled audio clips (advisor/profile/audio.py): counts describe the whole source."""

    n_clips: int  # readable clips (files listed, minus the skipped among those read)
    n_unreadable: int  # missing, corrupt or not audio
    n_empty: int  # no samples
    n_too_long: int  # over the length a clip may have (recordings to segment), skipped
    per_class: dict[str, int]
    min_per_class: int
    duration_median: float  # seconds as stored, over the clips read
    duration_min: float
    duration_max: float
    sample_rates: dict[str, int]  # native rate in Hz -> clips read
    channels: dict[str, int]  # native channel count -> clips read (all mixed down to mono)
    silence_share: float  # share of 25 ms frames below the silence level, over the clips read (0..1)
    sample_rate: int  # the one rate every clip was resampled to, Hz
    clip_seconds: float  # the one length every clip was clipped or padded to


@dataclass
class TimeOrder:
    """The column that orders the rows in time: forward-chaining folds sort by it."""

    column: str  # a datetime column, or the year column of calendar columns (see parts)
    how: str  # why, for the report: "datetime column 'date', rows in time order", "given with --time-column"
    sorted_share: float  # share of consecutive rows (as read) whose time does not go back, 0..1
    parts: list[str] = field(default_factory=list)  # calendar columns, coarsest first (year, month, ...)


@dataclass
class Groups:
    """An entity whose rows repeat (a customer, a patient): group folds keep its rows together."""

    column: str
    n_groups: int  # distinct entities over the rows profiled
    mean_rows: float  # rows per entity


SequenceLevel = Literal["row", "entity"]


@dataclass
class SequenceInfo:
    """Readings of many entities over time, keyed by an entity and ordered by a time column.

    Sensor logs, sessions, prices of many tickers (advisor/profile/sequence.py)."""

    entity_column: str
    time_column: str
    n_entities: int  # distinct entities over the rows profiled
    median_length: float  # readings per entity, median
    max_length: int  # readings of the longest entity
    # "row": the target varies along an entity's timeline (predict each reading);
    # "entity": it is constant within every entity (predict the entity, from its readings).
    level: str  # one of SequenceLevel


@dataclass
class LeakageSuspect:
    """Why columns are leakage suspects: the evidence behind ``DatasetProfile.leakage_suspects``."""

    columns: list[str]
    how: str  # "single" (one column alone), "combination" (an exact fit on 2-3 columns), "collapse"
    metric: str  # held-out metric of the evidence, e.g. "ROC AUC", "accuracy", "R2", "|Spearman|"
    score: float


@dataclass
class DatasetProfile:
    source: SourceInfo
    n_rows: int  # exact, whole file
    n_columns: int
    columns: list[ColumnProfile]
    target: TargetInfo
    modality: str  # one of Modality
    modality_reason: str
    n_features: int  # usable input columns (identifiers, constants, target excluded)
    encoded_width: int  # width after one-hot of categoricals (capped per column), text excluded
    raw_dimension: int  # values per example: features, or pixels for images
    memory_mb: float  # in-memory size of the full table, measured or estimated
    duplicate_rows: int
    max_missing_rate: float
    leakage_suspects: list[str] = field(default_factory=list)
    leakage_evidence: list[LeakageSuspect] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)
    text: TextStats | None = None
    images: ImageStats | None = None
    audio: AudioStats | None = None
    pixel_shape: list[int] | None = None  # [H, W, C] for signal/pixel tables when known
    time_order: TimeOrder | None = None  # rows ordered in time (advisor/profile/order.py)
    groups: Groups | None = None  # an entity whose rows repeat (advisor/profile/order.py)
    sequence: SequenceInfo | None = None  # readings per entity over time (advisor/profile/sequence.py)

    def column(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.name == name), None)

    def columns_of(self, *kinds: str) -> list[str]:
        return [c.name for c in self.columns if c.kind in kinds and c.name != self.target.name]


@dataclass
class ComputeInfo:
    cpu_cores: int
    memory_gb: float
    gpu_name: str | None = None
    gpu_memory_gb: float | None = None
    device: str = "cpu"  # what the probes use: "cpu" or "cuda"
    device_reason: str = ""
    torch_version: str | None = None

    @property
    def has_gpu(self) -> bool:
        return self.gpu_name is not None


@dataclass(frozen=True)
class Constraints:
    """What the user states about their project, from the CLI options."""

    interpretability: str = "any"  # required | preferred | any
    goal: str = "predict"  # predict | explain
    budget_seconds: float = 60.0  # wall-clock budget for the whole probe stage
    device: str = "auto"  # auto | cpu | cuda
    seed: int = 0
    split: str = "auto"  # auto | random | time | group: how held-out folds are made
    time_column: str | None = None  # --time-column: the column that orders rows in time
    group_column: str | None = None  # --group-column: the entity whose rows stay on one side
    rope: float = 0.01  # region of practical equivalence, in the primary metric
    target_score: float | None = None  # --target-score: the rows each family needs to reach it
    # --weights: a pretrained image backbone's state dict (a .pth file) for the image_pretrained
    # probe; None looks in the torch hub cache. Never downloaded.
    weights: str | None = None
    # --confirm-at-scale: the best GBDT re-trained on all rows, scored against its curve's projection
    confirm_at_scale: bool = False
