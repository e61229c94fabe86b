"""The probe plugin interface and the typed results probes produce.

A probe is a class registered under the ``advisor.probes`` entry point (the
built-ins in ``probes/`` are registered exactly like a third party's). It says
which model family it measures and which modalities and tasks it serves, and
implements ``fit``. The shared runner (``advisor.probing``) calls ``fit`` on the
same seeded splits for every probe, times it, measures memory and latency,
scores the held-out predictions and builds the learning curve, so a probe
holds no evaluation code and every probe is measured the same way.

A probe that needs a different protocol may override ``run``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from advisor.data import ProbeData
    from advisor.facts import Constraints

# Re-exported for probes: the registry of families is advisor/families.py.
from advisor.families import BASELINE as BASELINE  # noqa: E402
from advisor.families import NAMES as FAMILIES  # noqa: E402, F401


class FittedModel(Protocol):
    """What ``fit`` returns. It may also have ``source_importance() -> SourceWeights | None``,
    the model's own view of its source columns (standardised coefficients, gain): the
    runner reports it beside the permutation importance when present."""

    def predict(self, data: ProbeData) -> np.ndarray:
        """Classification: (n, n_classes) probabilities. Regression: (n,) values."""
        ...


@dataclass
class Budget:
    """A wall-clock allowance; ``remaining`` counts down from creation."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def share(self, fraction: float) -> Budget:
        """A child budget of ``fraction`` of what remains."""
        return Budget(self.remaining() * fraction)


@dataclass
class FitContext:
    """What a single ``fit`` call may use. Probes append human notes to ``notes``
    (e.g. "epochs cut from 200 to 14 by the time budget"); the runner puts them
    in the report once, deduplicated."""

    seed: int
    device: str  # "cpu" or "cuda"
    time_limit: float  # seconds this fit may take; stop early (keep the best so far) when reached
    notes: list[str] = field(default_factory=list)
    progress: Callable[[str], None] | None = None  # optional status line for the progress display
    # Set by ``cut`` when the clock, not convergence (early stopping), ended training:
    # the score is then a lower bound on the family, not a measurement of it.
    cut_by_budget: bool = False

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def cut(self, text: str) -> None:
        """Training stopped by ``time_limit`` before it converged; ``text`` says where."""
        self.cut_by_budget = True
        self.note(text)


@dataclass
class Score:
    mean: float
    std: float  # standard deviation across folds/repeats
    folds: list[float] = field(default_factory=list)


def fmt_score(s: Score | None, digits: int = 3) -> str:
    """``0.912 ± 0.011`` (mean ± spread), or ``n/a``."""
    if s is None:
        return "n/a"
    return f"{s.mean:.{digits}f} ± {s.std:.{digits}f}"


def fmt_rows(est: RowsEstimate) -> str:
    """``12,000 (5,000 to 40,000)``; an end not reached within the span reads "beyond 100x"."""
    if est.rows is None:
        return f"not within {est.span:.0f}x"
    lo = f"{est.rows_low:,}" if est.rows_low is not None else "?"
    hi = f"{est.rows_high:,}" if est.rows_high is not None else f"beyond {est.span:.0f}x"
    return f"{est.rows:,} ({lo} to {hi})"


@dataclass
class CurvePoint:
    n_train: int
    score: Score  # primary metric at this training size
    fit_seconds: float


@dataclass
class CurveFit:
    """A learning curve: curve families fitted to the fold-mean curve, weighted by
    backtest (``advisor/probing/curves.py``), and their projections with intervals."""

    asymptote: float  # the weighted families' limit as rows grow (the last score for "last")
    a: float  # pow3 fit score(n) = c - a * n**(-b), for reference (nan when it failed)
    b: float
    # Extrapolations: keys "2x" and "10x" of the largest training size measured,
    # plus "full" when the data was sampled. Estimates, with their spread across folds.
    predicted: dict[str, Score] = field(default_factory=dict)
    predicted_rows: dict[str, int] = field(default_factory=dict)
    ok: bool = True
    note: str = ""  # e.g. "flat curve: no gain from more data is expected"
    # The interval of each projection (same keys as ``predicted``), nominal coverage ``interval``.
    predicted_low: dict[str, float] = field(default_factory=dict)
    predicted_high: dict[str, float] = field(default_factory=dict)
    interval: float = 0.8
    family: str = ""  # the family with the largest weight: last | pow3 | pow4 | logpower | mmf4 | wbl4
    weights: dict[str, float] = field(default_factory=dict)  # family -> weight (sum 1), from the backtest
    params: dict[str, list[float]] = field(default_factory=dict)  # family -> parameters, n scaled by n_ref
    n_ref: float = 0.0  # the largest training size measured (the fits' unit of n)
    last_score: float = float("nan")  # the fold-mean score at n_ref (the "last" family's value)
    monotone: bool = True  # False when the score fell beyond the fold noise as rows grew
    backtest_error: float = float(
        "nan"
    )  # RMS error per unit of log-size predicting later anchors from earlier
    # The projection band beyond the largest measured size (estimates): training rows on a
    # geometric grid up to 100x, the weighted curve and its 80% interval at each.
    band_rows: list[int] = field(default_factory=list)
    band_mid: list[float] = field(default_factory=list)
    band_low: list[float] = field(default_factory=list)
    band_high: list[float] = field(default_factory=list)


@dataclass
class CostEstimate:
    """Fit time and memory extrapolated to a larger size: an estimate, labelled so."""

    n_rows: int
    fit_seconds: float
    peak_memory_mb: float
    method: str  # how it was made, e.g. "power law in rows fitted to 4 measured sizes"
    hardware: str = ""  # what the estimate assumes: the hardware the probe was timed on


@dataclass
class RowsEstimate:
    """Training rows at which a projection reaches a level: an estimate read off the
    learning curve's band (``CurveFit.band_*``), searched up to ``span`` times the
    largest measured size. ``rows`` follows the weighted curve; ``rows_low`` and
    ``rows_high`` the ends of its 80% interval. None: not reached within the span."""

    rows: int | None
    rows_low: int | None
    rows_high: int | None
    span: float
    already: bool = False  # reached at the largest measured size: no extrapolation needed


# ok: every fold measured. partial: the budget (or an error in a curve point) stopped it
# after some folds. failed: an error, no score. skipped: it could have run but did not
# (interrupted, PyTorch missing, supports() raised). not_applicable: supports() said the
# probe does not handle this data or task: not a failure, and not shown as one.
ProbeStatus = Literal["ok", "partial", "failed", "skipped", "not_applicable"]


@dataclass
class ProbeResult:
    name: str
    family: str  # "baseline" or one of FAMILIES
    status: ProbeStatus
    reason: str = ""  # why failed/skipped/partial
    description: str = ""  # the model, e.g. "LightGBM, 31 leaves, early stopping"
    reads_text: bool = False  # its probe's ``Probe.reads_text``: it read the free-text columns
    share_seconds: float = 0.0  # the wall-clock seconds the stage gave it (0: not run by a stage)
    retried: bool = False  # measured again with time the other probes left (``stage.retry``)
    metric: str = ""  # primary metric name, higher is better
    score: Score | None = None  # primary metric on held-out folds at the full training size
    metrics: dict[str, Score] = field(default_factory=dict)  # every metric computed
    n_train: int = 0  # training rows per fold at the full size
    n_test: int = 0
    fit_seconds: float = 0.0  # mean wall time of one fit at the full size
    predict_ms_per_1k: float = 0.0  # prediction latency per 1,000 rows
    peak_memory_mb: float = 0.0  # peak resident memory above the pre-probe level
    device: str = "cpu"
    curve: list[CurvePoint] = field(default_factory=list)
    curve_fit: CurveFit | None = None
    cost_at_full: CostEstimate | None = None
    notes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    # False when the time budget stopped any full-size fit before it converged
    # (FitContext.cut): the score is a lower bound, and a comparison against it is unfair.
    converged: bool = True
    # How many full-size fits the time budget stopped (``FitContext.cut``); 0 when converged.
    fits_cut: int = 0
    # Held-out folds' scores at the full size, as ``score.folds``; repeated k-fold
    # gives n_repeats x k of them, in the plan's fold order.
    # What drives the target: permutation importance per source column on the held-out
    # folds, its stability, the model's own view (advisor/probing/importance.py).
    # None when not measured (image and pixel data, no time left: the notes say why).
    drivers: Drivers | None = None


# The model's own view of its source columns: standardised coefficients (linear) or
# the share of split gain (GBDT).
ModelViewKind = Literal["coefficient", "gain"]


@dataclass
class SourceWeights:
    """One fitted model's own view (``FittedModel.source_importance``), per source column."""

    kind: ModelViewKind
    # column -> value: a coefficient per standard deviation (signed when ``direction``
    # has the column), the norm of its several coefficients, or its share of the gain.
    values: dict[str, float]
    # +1 / -1 where one coefficient gives the column a single direction (binary or
    # regression, one numeric input); absent for one-hot levels, date parts, multiclass.
    direction: dict[str, int] = field(default_factory=dict)


@dataclass
class ModelWeight:
    column: str
    mean: float  # over the folds measured
    std: float
    direction: int = 0  # +1 / -1 the same sign on every fold; 0 none or it flips


@dataclass
class ModelView:
    kind: ModelViewKind
    weights: list[ModelWeight]  # largest |mean| first
    # Columns this view and the permutation importance rank far apart (gain favours
    # high-cardinality and continuous columns; permutation splits credit between
    # correlated ones).
    disagree: list[str] = field(default_factory=list)


@dataclass
class Importance:
    """A source column's permutation importance: the drop in the primary metric on
    held-out rows when its values (every model input made from it) are shuffled."""

    column: str
    mean: float  # mean drop over the folds measured (each the mean of its repeats)
    std: float  # across folds
    folds: list[float]  # per fold measured, in plan order
    rank: int  # 1 is the largest mean drop


@dataclass
class CorrelatedGroup:
    """Numeric columns with |Spearman| >= 0.9 between them (linked pairwise):
    permutation importance splits the credit between them."""

    columns: list[str]
    rho: float  # the weakest |Spearman| link holding the group together


@dataclass
class PartialDependence:
    """The mean prediction over held-out rows with ``column`` set to each grid value."""

    column: str
    grid: list[float]  # quantiles of the column
    mean_prediction: list[float]  # P(positive class) for binary, the value for regression
    fold: int  # the fold (0-based, plan order) whose model and held-out rows gave it


@dataclass
class Drivers:
    """What drives the target in one probe: measured in this run on the held-out folds."""

    metric: str
    importance: list[Importance]  # every source column measured, most important first
    n_folds: int  # folds measured (a subset when the time budget allowed no more)
    n_folds_total: int
    n_rows: int  # held-out rows per fold it was measured on (a seeded subset when large)
    repeats: int  # shuffles per column and fold
    top_k: int  # columns the stability is computed on
    # Mean Spearman correlation of the top-k columns' drops between pairs of folds;
    # None with fewer than 2 folds or 2 columns.
    stability: float | None = None
    stable: bool | None = None  # stability >= STABLE_RHO; False: "unstable: not an explanation"
    correlated: list[CorrelatedGroup] = field(default_factory=list)
    model_view: ModelView | None = None
    partial_dependence: list[PartialDependence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # columns capped, folds skipped for time


@dataclass
class EvalPlan:
    """The shared evaluation protocol: identical for every probe in a run."""

    folds: list[tuple[np.ndarray, np.ndarray]]  # (train_idx, test_idx) positions into the probe data
    curve_fractions: tuple[float, ...]  # fractions of each fold's training rows, ascending, last is 1.0
    seed: int
    metric: str  # primary metric: "roc_auc" | "macro_f1" | "r2"
    n_rows_total: int  # rows in the source, for extrapolation
    sample_note: str = ""
    split: str = "random"  # "random" (shuffled, stratified k-fold) | "time" (forward chaining) | "group"
    split_column: str = ""  # the time or group column the folds follow
    n_repeats: int = 1  # repeated k-fold: folds holds n_repeats x k (train, test) pairs


# How a probe is measured. "fits": it implements ``fit`` and the runner measures every
# fit on the shared plan (folds, curve sizes, time limits, scores): every built-in probe.
# "own": it implements ``run`` and measures itself, in this process; a subclass that
# defines ``run`` declares it by doing so.
ProbeProtocol = Literal["fits", "own"]


class Probe(ABC):
    """Subclass, set the class attributes, implement ``fit``, and register the
    class under the ``advisor.probes`` entry point in your package's metadata."""

    name: ClassVar[str]  # stable id, e.g. "lightgbm"
    family: ClassVar[str]  # "baseline" or one of FAMILIES
    description: ClassVar[str]  # one line for the report
    modalities: ClassVar[frozenset[str]]  # which ProbeData.modality values it serves
    # It reads the free-text columns (a tabular probe leaves them out): on a table that mixes
    # text and other columns, the verdict's starting model follows what its winning probe read.
    reads_text: ClassVar[bool] = False
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})
    needs_torch: ClassVar[bool] = False
    # Relative share of the probe-stage budget (a neural net needs more than a baseline).
    cost_weight: ClassVar[float] = 1.0
    protocol: ClassVar[ProbeProtocol] = "fits"
    # Training-row counts (a fold's training rows) at which the probe's model grows, e.g. a
    # net sized by its rows. A learning curve measured below such a step projects the smaller
    # model, so the report marks projections past it (``summary.growth_note``).
    grows_at: ClassVar[tuple[int, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A probe written before ``protocol`` existed says "own" by overriding ``run``.
        if "run" in vars(cls) and "protocol" not in vars(cls):
            cls.protocol = "own"

    def supports(self, data: ProbeData) -> str | None:
        """None when this probe can run on ``data``, else the reason it cannot."""
        if data.modality not in self.modalities:
            return f"does not handle {data.modality} data"
        if data.task not in self.tasks:
            return f"does not handle {data.task} tasks"
        return None

    def setup(self, constraints: Constraints) -> str | None:
        """Called once per run, before any fit: read what the probe needs from the user's
        ``constraints`` (e.g. a weights file) and return why it cannot run on this machine
        (an optional package or pretrained weights missing, saying how to get them), or None.
        The stage reports a probe that cannot run as skipped, with that reason."""
        return None

    @abstractmethod
    def fit(self, train: ProbeData, ctx: FitContext) -> FittedModel:
        """Fit on ``train`` (carve any validation split from it, seeded by ctx.seed)
        and return a model whose ``predict`` gives probabilities or values."""

    def run(self, data: ProbeData, plan: EvalPlan, budget: Budget, device: str) -> ProbeResult:
        """Protocol "own" only: evaluate on ``plan`` within ``budget`` and return the result
        (the stage calls it instead of measuring ``fit``)."""
        raise NotImplementedError(
            f"{type(self).__name__} is measured by the runner (protocol 'fits'): call "
            "advisor.probing.runner.evaluate_probe, or override run for a protocol of its own"
        )
