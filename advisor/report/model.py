"""The report: one object, rendered to the terminal, Markdown and JSON.

The JSON report is ``dataclasses.asdict`` of ``Report``; ``docs/report.schema.json``
describes it. Bump ``SCHEMA_VERSION`` on any breaking change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.engine.model import Prior
from advisor.facts import ComputeInfo, Constraints, DatasetProfile
from advisor.probe_api import ProbeResult, Score

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
        "cost_at_full",
        "created_at",
    }
)


@dataclass
class Ranked:
    """One measured family: its best probe and how it compares with the winner."""

    family: str
    probe: str
    score: Score
    gap_to_best: float  # best mean minus this mean (0 for the best)
    gap_noise: float  # the corrected standard error of that gap (paired folds)
    ties_best: bool  # the gap is within noise


@dataclass
class LeakageCheck:
    """The verdict's evidence re-measured without the leakage suspects."""

    columns: list[str]
    best_with: Score | None
    best_without: Score | None
    family_with: str
    family_without: str
    probes_without: list[ProbeResult] = field(default_factory=list)
    summary: str = ""


@dataclass
class Recommendation:
    family: str  # one of FAMILIES, or "none" when the data shows no signal
    model: str  # the model to start with
    confidence: str  # high | medium | low
    decided_by: str  # how prior and measurement were reconciled, one sentence
    reasons: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)  # rules supporting the verdict
    would_change: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    ranking: list[Ranked] = field(default_factory=list)
    prior_family: str = ""  # what the rules alone favoured
    measured_family: str = ""  # what the measurement alone favoured ("" if nothing measured)


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
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    schema_version: str = SCHEMA_VERSION
    advisor_version: str = ""

    @property
    def baseline(self) -> ProbeResult | None:
        return next((p for p in self.probes if p.family == "baseline" and p.score is not None), None)
