"""The report: one object, rendered to the terminal, Markdown and JSON.

The JSON report is ``dataclasses.asdict`` of ``Report``; ``docs/report.schema.json``
describes it. Bump ``SCHEMA_VERSION`` on any breaking change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.config import SettingSource
from advisor.engine.model import Prior
from advisor.facts import ComputeInfo, Constraints, DatasetProfile
from advisor.probe_api import ProbeResult
from advisor.probing.executor import ExecutorInfo
from advisor.probing.scale_check import ScaleCheck
from advisor.verdict.model import LeakageCheck, Planning, Recommendation

SCHEMA_VERSION = "1.0"

# Fields that measure time or memory: they differ between two runs with the same
# seed, everything else must not (see tests/test_determinism.py).
TIMING_FIELDS = frozenset(
    {
        "read_seconds",
        "peak_memory_mb",
        "fit_seconds",
        "predict_ms_per_1k",
        "timings",
        "elapsed_seconds",
        "share_seconds",  # a probe's share of the stage: what the probes before it left
        "cost_at_full",
        "costs",
        "created_at",
    }
)
# Where the probes ran (--cluster, --workers): a cluster run differs from a local one with
# the same seed in these and the timings only (tests/test_dask.py).
PLACE_FIELDS = frozenset({"executor"})


@dataclass
class ProbeStageSummary:
    metric: str
    n_rows_probed: int
    sample_note: str
    n_folds: int
    curve_fractions: list[float]
    seed: int
    budget_seconds: float
    elapsed_seconds: float
    partial: bool
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C stopped the probes (or the leakage re-measure): the CLI exits 3
    split: str = "random"  # random | time | group (EvalPlan.split)
    split_column: str = ""
    n_repeats: int = 1


@dataclass
class Report:
    dataset: DatasetProfile
    compute: ComputeInfo
    constraints: Constraints
    prior: Prior
    probes: list[ProbeResult]
    probe_stage: ProbeStageSummary | None
    recommendation: Recommendation
    leakage: LeakageCheck | None = None
    planning: Planning | None = None  # what more data would buy, per family (estimates)
    scale_check: ScaleCheck | None = None  # --confirm-at-scale: measured on all rows against the projection
    executor: ExecutorInfo | None = None  # where the probe fits ran (None: no probes)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    schema_version: str = SCHEMA_VERSION
    advisor_version: str = ""
    settings: list[SettingSource] = field(default_factory=list)  # options not at their defaults (the CLI)

    @property
    def baseline(self) -> ProbeResult | None:
        return next((p for p in self.probes if p.family == "baseline" and p.score is not None), None)
