"""The facts rules can test: a typed registry and the function that computes them.

A fact is a named scalar (int, float, bool or str) derived from the dataset
profile, the machine and the user's constraints. Rules name facts in their
``when`` conditions and ``because`` sentences; the loader checks every name
and value type against ``FACTS``, so a typo fails at load, not silently at run
time. A fact that does not apply (no text, no images) is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from advisor.facts import AudioStats, ComputeInfo, Constraints, DatasetProfile

FactValue = int | float | bool | str | None


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: type  # int, float, bool or str
    description: str
    allowed: tuple[str, ...] | None = None  # the values of an enum-like str fact

    @property
    def type_name(self) -> str:
        return self.type.__name__


_SPECS: tuple[FactSpec, ...] = (
    # Size and shape
    FactSpec("n_rows", int, "Rows in the whole file (exact), or images in an image folder."),
    FactSpec("n_columns", int, "Columns in the file, target included."),
    FactSpec("n_features", int, "Usable input columns (identifiers, constants and the target excluded)."),
    FactSpec("encoded_width", int, "Input width after one-hot encoding categoricals (text excluded)."),
    FactSpec("raw_dimension", int, "Raw values per example: features, or pixels for images."),
    FactSpec("rows_per_feature", float, "n_rows / encoded_width (n_features when that is 0)."),
    FactSpec(
        "modality",
        str,
        "What the data is: a table of named columns, text, a mix, images, or a raw signal stored as a table.",
        ("tabular", "text", "mixed", "image", "signal", "audio"),
    ),
    FactSpec(
        "pixel_table", bool, "True when the columns are pixels or samples rather than named measurements."
    ),
    # Target
    FactSpec("task", str, "The learning task.", ("binary", "multiclass", "regression", "none")),
    FactSpec("n_classes", int, "Classes of the target (classification only)."),
    FactSpec("imbalance_ratio", float, "Majority class count / minority class count (classification only)."),
    FactSpec("minority_class_rows", int, "Rows of the rarest class (classification only)."),
    FactSpec("target_skewness", float, "Sample skewness of the target's values (regression only)."),
    FactSpec(
        "target_log_skewness",
        float,
        "Skewness of log1p of the target's values (regression only, when no value is negative).",
    ),
    FactSpec(
        "target_time_trend",
        float,
        "Spearman correlation of the target with the time order (regression with rows in time order).",
    ),
    FactSpec(
        "target_beyond_past_range",
        float,
        "Share of rows, over forward-chaining folds, whose target lies outside the range of the rows "
        "before them (regression with rows in time order).",
    ),
    FactSpec(
        "target_drift",
        bool,
        "The target leaves its past range often (at least 5% of later rows, 3x what random order gives): "
        "tree models cannot follow it.",
    ),
    # Quality
    FactSpec("max_missing_rate", float, "Highest share of missing values in any column (0..1)."),
    FactSpec("duplicate_rate", float, "Share of rows that duplicate an earlier row (0..1)."),
    FactSpec("n_identifier_columns", int, "Columns detected as identifiers (dropped from the inputs)."),
    FactSpec("n_leakage_suspects", int, "Columns that predict the target suspiciously well on their own."),
    FactSpec("leakage_columns", str, "Names of the leakage suspects, comma-separated."),
    # Text
    FactSpec("n_text_columns", int, "Free-text columns."),
    FactSpec("text_mean_tokens", float, "Mean whitespace tokens per row over the text columns."),
    FactSpec("text_corpus_tokens", int, "Estimated tokens of text in the whole file."),
    FactSpec("text_vocab_size", int, "Distinct tokens in the text profiled."),
    # Images
    FactSpec("n_images", int, "Readable images (image data only)."),
    FactSpec("images_per_class_min", int, "Images in the smallest class (image data only)."),
    FactSpec("image_raw_dimension", int, "Height x width x channels of a median image."),
    # Audio
    FactSpec("n_clips", int, "Readable audio clips (audio data only)."),
    FactSpec("clips_per_class_min", int, "Audio clips in the smallest class (audio data only)."),
    FactSpec("audio_median_seconds", float, "Median duration of a clip as stored, in seconds (audio only)."),
    FactSpec("audio_sample_rate", int, "Most common native sample rate of the clips, in Hz (audio only)."),
    FactSpec("audio_silence_share", float, "Share of 25 ms frames that are silence, clips read (0..1)."),
    # Sequences (readings of many entities over time)
    FactSpec(
        "is_sequence",
        bool,
        "True when rows are readings of entities over time: an entity column and a time column, "
        "several readings per entity.",
    ),
    FactSpec(
        "sequence_level",
        str,
        "Whether the target belongs to each reading or to the entity (constant along it); sequences only.",
        ("row", "entity"),
    ),
    FactSpec("n_entities", int, "Distinct entities of a sequence table (sequences only)."),
    FactSpec("sequence_median_length", float, "Median readings per entity (sequences only)."),
    # Machine
    FactSpec("has_gpu", bool, "A CUDA GPU was detected."),
    FactSpec("gpu_memory_gb", float, "Memory of the detected GPU in GB."),
    FactSpec("cpu_cores", int, "CPU cores available."),
    FactSpec("memory_gb", float, "System memory in GB."),
    FactSpec("data_memory_mb", float, "In-memory size of the full table in MB, measured or estimated."),
    # The user's constraints
    FactSpec(
        "interpretability",
        str,
        "How much the user needs to explain the model (--interpretability).",
        ("required", "preferred", "any"),
    ),
    FactSpec("goal", str, "Prediction or explanation (--goal).", ("predict", "explain")),
    FactSpec("budget_seconds", float, "Wall-clock budget for the probe stage (--budget)."),
)

FACTS: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS}


def build_facts(
    profile: DatasetProfile, compute: ComputeInfo, constraints: Constraints
) -> dict[str, FactValue]:
    """Every fact in ``FACTS``, computed from the profile, machine and constraints."""
    target = profile.target
    classification = target.task in ("binary", "multiclass")
    counts = list(target.class_counts.values()) if classification else []
    profiled = profile.source.n_rows_profiled or profile.n_rows
    width = profile.encoded_width or profile.n_features
    text = profile.text
    images = profile.images
    audio = profile.audio
    sequence = profile.sequence
    identifiers = [c for c in profile.columns if c.kind == "identifier" and c.name != target.name]
    leaks = list(profile.leakage_suspects)
    pixel_table = profile.pixel_shape is not None or any(w.code == "pixel-table" for w in profile.warnings)

    facts: dict[str, FactValue] = {
        "n_rows": profile.n_rows,
        "n_columns": profile.n_columns,
        "n_features": profile.n_features,
        "encoded_width": profile.encoded_width,
        "raw_dimension": profile.raw_dimension,
        "rows_per_feature": profile.n_rows / width if width else None,
        "modality": profile.modality,
        "pixel_table": pixel_table,
        "task": target.task,
        "n_classes": target.n_classes if classification else None,
        "imbalance_ratio": target.imbalance_ratio if classification else None,
        "minority_class_rows": min(counts) if counts else None,
        "target_skewness": target.skewness,
        "target_log_skewness": target.log_skewness,
        "target_time_trend": target.time_trend,
        "target_beyond_past_range": target.beyond_past_range,
        "target_drift": target.drift,
        "max_missing_rate": profile.max_missing_rate,
        "duplicate_rate": profile.duplicate_rows / profiled if profiled else None,
        "n_identifier_columns": len(identifiers),
        "n_leakage_suspects": len(leaks),
        "leakage_columns": ", ".join(leaks) if leaks else None,
        "n_text_columns": len(text.columns) if text else len(profile.columns_of("text")),
        "text_mean_tokens": text.mean_tokens if text else None,
        "text_corpus_tokens": text.corpus_tokens if text else None,
        "text_vocab_size": text.vocab_size if text else None,
        "n_images": images.n_images if images else None,
        "images_per_class_min": images.min_per_class if images else None,
        "image_raw_dimension": images.raw_dimension if images else None,
        "n_clips": audio.n_clips if audio else None,
        "clips_per_class_min": audio.min_per_class if audio else None,
        "audio_median_seconds": audio.duration_median if audio else None,
        "audio_sample_rate": _most_common_rate(audio) if audio else None,
        "audio_silence_share": audio.silence_share if audio else None,
        "is_sequence": sequence is not None,
        "sequence_level": sequence.level if sequence else None,
        "n_entities": sequence.n_entities if sequence else None,
        "sequence_median_length": sequence.median_length if sequence else None,
        "has_gpu": compute.has_gpu,
        "gpu_memory_gb": compute.gpu_memory_gb,
        "cpu_cores": compute.cpu_cores,
        "memory_gb": compute.memory_gb,
        "data_memory_mb": profile.memory_mb,
        "interpretability": constraints.interpretability,
        "goal": constraints.goal,
        "budget_seconds": float(constraints.budget_seconds),
    }
    return {name: _coerce(FACTS[name], value) for name, value in facts.items()}


def _most_common_rate(audio: AudioStats) -> int:
    return int(max(audio.sample_rates, key=audio.sample_rates.__getitem__))


def _coerce(spec: FactSpec, value: FactValue) -> FactValue:
    # Profiles may hold numpy scalars or ints where a float is declared; rules
    # compare against plain Python types, so normalise once here.
    if value is None:
        return None
    if spec.type is float:
        return float(value)
    if spec.type is int:
        return int(value)
    if spec.type is bool:
        return bool(value)
    return str(value)


def facts_markdown_table() -> str:
    """The facts table of docs/rules.md (a test keeps the two identical)."""
    lines = ["| fact | type | values | meaning |", "|---|---|---|---|"]
    for spec in FACTS.values():
        values = ", ".join(spec.allowed) if spec.allowed else ""
        lines.append(f"| `{spec.name}` | {spec.type_name} | {values} | {spec.description} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(facts_markdown_table())
