"""Builders shared by the tests: small typed objects without running the pipeline."""

from __future__ import annotations

from advisor.engine.model import FiredRule, Prior
from advisor.facts import DatasetProfile, SourceInfo, TargetInfo
from advisor.probe_api import FAMILIES, ProbeResult, Score


def make_profile(n_rows: int = 5000, modality: str = "tabular", task: str = "binary", **kw) -> DatasetProfile:
    target = TargetInfo(name="y", inferred=False, how="given with --target", task=task, task_reason="test")
    return DatasetProfile(
        source=SourceInfo(path="data.csv", format="csv", size_bytes=1, n_rows=n_rows, n_rows_profiled=n_rows),
        n_rows=n_rows,
        n_columns=5,
        columns=[],
        target=target,
        modality=modality,
        modality_reason="test",
        n_features=4,
        encoded_width=4,
        raw_dimension=4,
        memory_mb=1.0,
        duplicate_rows=0,
        max_missing_rate=0.0,
        **kw,
    )


def make_prior(favoured: str = "gbdt", fired: list[FiredRule] | None = None) -> Prior:
    scores = {f: 0 for f in FAMILIES}
    scores[favoured] = 2
    return Prior(scores=scores, fired=fired or [], favoured=favoured)


def result(
    name: str, family: str, folds: list[float], n_train: int = 4000, n_test: int = 1000
) -> ProbeResult:
    mean = sum(folds) / len(folds)
    std = (sum((f - mean) ** 2 for f in folds) / max(len(folds) - 1, 1)) ** 0.5
    return ProbeResult(
        name=name,
        family=family,
        status="ok",
        metric="roc_auc",
        score=Score(mean, std, folds),
        n_train=n_train,
        n_test=n_test,
    )
