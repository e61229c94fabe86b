"""build_facts() from the shared dataclasses, and the docs' facts table."""

from __future__ import annotations

from pathlib import Path

from advisor.engine.facts import FACTS, build_facts, facts_markdown_table
from advisor.facts import (
    ColumnProfile,
    ComputeInfo,
    Constraints,
    DatasetProfile,
    DataWarning,
    ImageStats,
    SourceInfo,
    TargetInfo,
    TextStats,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def column(name: str, kind: str, missing: float = 0.0) -> ColumnProfile:
    return ColumnProfile(
        name=name, dtype="int64", kind=kind, kind_reason="test", missing_rate=missing, n_unique=10
    )


def table_profile(**changes) -> DatasetProfile:
    fields = dict(
        source=SourceInfo(path="x.csv", format="csv", size_bytes=100, n_rows=1000, n_rows_profiled=800),
        n_rows=1000,
        n_columns=5,
        columns=[
            column("id", "identifier"),
            column("age", "numeric", 0.4),
            column("city", "categorical"),
            column("note", "text"),
            column("y", "categorical"),
        ],
        target=TargetInfo(
            name="y",
            inferred=False,
            how="given",
            task="binary",
            task_reason="two values",
            n_classes=2,
            class_counts={"a": 900, "b": 100},
            imbalance_ratio=9,
        ),
        modality="mixed",
        modality_reason="test",
        n_features=3,
        encoded_width=8,
        raw_dimension=3,
        memory_mb=1.5,
        duplicate_rows=8,
        max_missing_rate=0.4,
        leakage_suspects=["paid", "closed"],
        text=TextStats(
            columns=["note"], mean_tokens=12.5, vocab_size=300, corpus_tokens=12500, language_like=True
        ),
    )
    fields.update(changes)
    return DatasetProfile(**fields)


def test_build_facts_from_a_table():
    compute = ComputeInfo(cpu_cores=8, memory_gb=16, gpu_name="H100", gpu_memory_gb=80, device="cuda")
    facts = build_facts(
        table_profile(), compute, Constraints(interpretability="preferred", budget_seconds=30)
    )
    assert set(facts) == set(FACTS)
    assert facts["n_rows"] == 1000 and facts["modality"] == "mixed" and facts["task"] == "binary"
    assert facts["rows_per_feature"] == 125.0
    assert facts["imbalance_ratio"] == 9.0 and isinstance(facts["imbalance_ratio"], float)
    assert facts["minority_class_rows"] == 100 and facts["n_classes"] == 2
    assert facts["duplicate_rate"] == 0.01  # over the 800 rows profiled
    assert facts["n_identifier_columns"] == 1
    assert facts["n_leakage_suspects"] == 2 and facts["leakage_columns"] == "paid, closed"
    assert facts["n_text_columns"] == 1 and facts["text_corpus_tokens"] == 12500
    assert facts["n_images"] is None and facts["image_raw_dimension"] is None
    assert facts["pixel_table"] is False
    assert facts["has_gpu"] is True and facts["gpu_memory_gb"] == 80.0 and facts["memory_gb"] == 16.0
    assert facts["interpretability"] == "preferred" and facts["goal"] == "predict"
    assert facts["budget_seconds"] == 30.0


def test_build_facts_types_match_the_registry():
    facts = build_facts(table_profile(), ComputeInfo(cpu_cores=2, memory_gb=4), Constraints())
    for name, value in facts.items():
        if value is not None:
            assert type(value) is FACTS[name].type, name
            if FACTS[name].allowed:
                assert value in FACTS[name].allowed, name


def test_build_facts_regression_images_and_pixels():
    images = ImageStats(
        n_images=500,
        n_unreadable=0,
        per_class={"cat": 200, "dog": 300},
        min_per_class=200,
        height_median=224,
        width_median=224,
        channels=3,
        raw_dimension=150528,
    )
    target = TargetInfo(name="y", inferred=True, how="last column", task="regression", task_reason="float")
    profile = table_profile(
        modality="image",
        target=target,
        images=images,
        text=None,
        columns=[],
        n_features=0,
        encoded_width=0,
        leakage_suspects=[],
        warnings=[DataWarning(code="pixel-table", message="pixels")],
    )
    facts = build_facts(profile, ComputeInfo(cpu_cores=2, memory_gb=4), Constraints(goal="explain"))
    assert (
        facts["n_classes"] is None
        and facts["imbalance_ratio"] is None
        and facts["minority_class_rows"] is None
    )
    assert facts["n_images"] == 500 and facts["images_per_class_min"] == 200
    assert facts["image_raw_dimension"] == 150528
    assert facts["rows_per_feature"] is None
    assert facts["pixel_table"] is True
    assert facts["has_gpu"] is False and facts["gpu_memory_gb"] is None
    assert facts["leakage_columns"] is None and facts["n_text_columns"] == 0
    assert facts["text_mean_tokens"] is None
    assert facts["goal"] == "explain"


def test_docs_list_every_fact():
    docs = DOCS.read_text()
    for name in FACTS:
        assert f"`{name}`" in docs, f"docs/rules.md does not mention fact {name}"


def test_docs_facts_table_is_generated():
    table = facts_markdown_table()
    assert table in DOCS.read_text(), (
        "docs/rules.md's facts table is out of date; replace it with the output of "
        "`python -m advisor.engine.facts`:\n" + table
    )
