"""The verdict's types: what it decided and the evidence it decided on.

They live with the verdict that makes them; the report imports them to render.
Evidence is data (families, numbers, probabilities, rule ids). The sentences
(``Recommendation.decided_by``, ``reasons``, ``would_change``, ``next_steps`` and
``LeakageCheck.summary``) are written from it by the report
(advisor/report/verdict_text.py), the same sentences for every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from advisor.probe_api import BASELINE, CostEstimate, ProbeResult, RowsEstimate, Score

# How the verdict was reached:
#   measured   - the comparisons decided (each at probability >= 0.95, on >= 5 paired folds)
#   leaning    - a comparison was undetermined; the verdict leans to its more probable side
#   no_signal  - no family beats the trivial baseline: recommend no model yet
#   rules_only - nothing could be measured; the rules' prior alone
Decision = Literal["measured", "leaning", "no_signal", "rules_only"]
# One comparison's outcome: the leader practically better; "equivalent": the simpler
# of the two practically equivalent or better (so the simpler wins); or neither at
# the required probability.
Outcome = Literal["leader", "equivalent", "undetermined"]
Confidence = Literal["high", "medium", "low"]
# How the rules' favourite met the measured choice (measured and leaning verdicts only):
#   agree      - the rules' favourite is the choice
#   tie        - it is practically equivalent to the choice (decided)
#   leads      - it leads the measurement, yet the choice is another family: a simpler one
#                more probably no worse (leaning), or an interpretable one the constraint asks for
#   overrode   - it was measured and lost
#   unmeasured - it was not measured
Agreement = Literal["agree", "tie", "leads", "overrode", "unmeasured", ""]
# What one reason rests on; the fields of ``Reason`` each kind fills are listed there.
ReasonKind = Literal[
    "nothing_measured",
    "scores",
    "leakage_excluded",
    "leakage_not_rechecked",
    "leakage_kept",
    "signal",
    "comparison",
    "simpler_preferred",
    "leaning",
    "prior_tipped",
    "interpretability_cost",
    "tiny_data",
    "text_left_out",
    "rule",
]


@dataclass
class Comparison:
    """Two probes on the same folds, through the correlated Bayesian t-test.

    ``leader`` has the higher mean. The three probabilities sum to 1: the leader
    better by more than ``rope``, the two within ``rope`` of each other, the
    other better by more than ``rope`` (posterior of the mean per-fold difference).
    """

    leader: str  # family
    other: str  # family
    metric: str
    mean_diff: float  # leader minus other, mean over the paired folds
    n_pairs: int
    rho: float  # correlation of the fold differences: n_test / n_total
    rope: float
    p_leader_better: float
    p_equivalent: float
    p_other_better: float
    outcome: Outcome
    # Fewer than MIN_PAIRS paired folds: never decided, whatever the probabilities.
    enough_folds: bool = True

    @property
    def p_other_not_worse(self) -> float:
        """The other is practically equivalent or better: what lets a simpler family win."""
        return self.p_equivalent + self.p_other_better


@dataclass
class Ranked:
    """One measured family: its best probe and how it compares with the winner."""

    family: str
    probe: str
    score: Score
    gap_to_best: float  # the best minus this, mean over their paired folds (0 for the best)
    gap_noise: float  # the posterior standard deviation of that gap (paired folds)
    ties_best: bool  # practically equivalent to the best, or undetermined against it
    converged: bool = True  # False: the clock cut its training; its score is a lower bound


@dataclass
class LeakageCheck:
    """The verdict with and without the leakage suspects, side by side.

    Suspects whose removal changes the verdict or drops the best score beyond
    the noise are ``excluded``: the headline is the run without them. The others
    are ``kept``, named, and the headline is the run with every column.
    """

    columns: list[str]  # every suspect checked
    best_with: Score | None
    best_without: Score | None
    family_with: str
    family_without: str
    probes_without: list[ProbeResult] = field(default_factory=list)
    summary: str = ""  # written by the report from the fields below (advisor/report/verdict_text.py)
    excluded: list[str] = field(default_factory=list)  # confirmed: left out of the headline
    kept: list[str] = field(default_factory=list)  # removal changed nothing beyond the noise
    how: dict[str, str] = field(default_factory=dict)  # column -> "single" | "combination" | "collapse"
    # The best probe with against without the suspects, on the same folds.
    comparison: Comparison | None = None
    # When the suspects are excluded: the run with them (the leaky evidence).
    probes_with: list[ProbeResult] = field(default_factory=list)
    # Suspects that dominate the importance of the best probe with them (rank 1, or half
    # the importance): the score with them rests on them.
    dominant: list[str] = field(default_factory=list)
    # Excluded: families measured only with the suspects (the re-measure covers the classical ones).
    not_rechecked: list[str] = field(default_factory=list)


# Where a driver's direction comes from: the sign of its standardised coefficient, the
# slope of its partial dependence, or nowhere (one-hot levels, multiclass, non-monotone).
DirectionSource = Literal["coefficient", "partial_dependence", ""]


@dataclass
class Driver:
    """A column that drives the target, as the explanation's probe measured it."""

    column: str
    importance: float  # mean drop in the metric when its values are shuffled (held-out folds)
    std: float  # across folds
    direction: int  # +1 higher values raise the prediction, -1 lower it, 0 no single direction
    direction_from: DirectionSource
    correlated_with: list[str] = field(default_factory=list)  # |Spearman| >= 0.9: proxies of it
    suspect: bool = False  # a leakage suspect kept in this run


@dataclass
class Candidate:
    """An interpretable family measured in this run, against the best family."""

    family: str
    probe: str
    cost: float  # the best minus it, mean over paired folds, in the metric (0 for the best)
    cost_noise: float  # posterior standard deviation of that cost
    equivalent: bool  # the best itself, or practically not worse with probability >= 0.95


@dataclass
class Explanation:
    """``--goal explain``: the interpretable model the explanation rests on and what it says.

    ``family`` is the simplest interpretable family practically equivalent to the best
    (``equivalent``), else the best-scoring interpretable one, whose ``cost`` is then
    the score given up for reading it."""

    family: str
    probe: str
    best_family: str
    equivalent: bool
    cost: float
    cost_noise: float
    metric: str
    candidates: list[Candidate] = field(default_factory=list)  # simplest first
    drivers: list[Driver] = field(default_factory=list)  # most important first
    stability: float | None = None  # mean fold-pair Spearman of the top columns' importance
    stable: bool | None = None  # False: "unstable: not an explanation"
    n_folds: int = 0  # folds the importance was measured on
    noise: list[str] = field(default_factory=list)  # columns whose importance is within noise of zero
    proxies: list[list[str]] = field(default_factory=list)  # correlated groups among the drivers
    measured: bool = True  # False: the probe measured no importance (see its notes)


@dataclass
class Reason:
    """One piece of evidence behind the verdict, by kind; the report writes its sentence.

    The numbers live once, in the Recommendation (``ranking``, ``baseline``,
    ``comparisons``, ``signal``, ``failures``) and the leakage check; a reason names
    what it rests on. What each kind fills:

    - ``nothing_measured``: ``family``, the rules' favourite (the failures: ``Recommendation.failures``)
    - ``scores``: nothing (``Recommendation.ranking`` and ``baseline``)
    - ``leakage_excluded``, ``leakage_not_rechecked``, ``leakage_kept``: nothing (``Report.leakage``)
    - ``signal``: nothing (``Recommendation.signal``, the best family against the trivial baseline)
    - ``comparison``: ``family`` (the leader) and ``other``: one of ``Recommendation.comparisons``
    - ``simpler_preferred``: ``family`` (the simpler, chosen) practically equivalent to ``other`` (the leader)
    - ``leaning``: ``family`` (chosen, the more probable side) undetermined against ``other``
    - ``prior_tipped``: after ``leaning``: the probabilities alone lean to ``other``; the rules'
      prior (``Report.prior.scores``) puts the verdict on ``family``'s side
    - ``interpretability_cost``: ``family`` (interpretable, chosen) over ``other`` (the measured choice);
      the cost is ``family``'s row of ``Recommendation.ranking``
    - ``tiny_data``: ``rows``
    - ``text_left_out``: ``family`` (chosen), whose best probe left the free text out, and ``other``,
      the family's best probe that read it (its score: ``Report.probes``)
    - ``rule``: ``rule_id``, a fired rule with effects (its sentence: ``Report.prior.fired``)
    """

    kind: ReasonKind
    family: str = ""
    other: str = ""
    rule_id: str = ""
    rows: int | None = None


@dataclass
class Unscored:
    """Probes without a score, grouped by why (the exception of a failure, or why it did not run)."""

    reason: str
    probes: list[str] = field(default_factory=list)


@dataclass
class Recommendation:
    family: str  # one of advisor.families.NAMES, or "none" when the data shows no signal
    model: str  # the model to start with
    confidence: Confidence
    # The sentences, written by the report from the evidence (advisor/report/verdict_text.py);
    # empty on a Recommendation straight from ``decide``.
    decided_by: str = ""  # how prior and measurement were reconciled, one sentence
    reasons: list[str] = field(default_factory=list)  # one per ``evidence`` item, in its order
    rule_ids: list[str] = field(default_factory=list)  # rules supporting the verdict
    would_change: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    ranking: list[Ranked] = field(default_factory=list)
    explanation: Explanation | None = None  # --goal explain: the headline (advisor/verdict/explain.py)
    prior_family: str = ""  # what the rules alone favoured
    measured_family: str = ""  # what the measurement alone favoured ("" if nothing measured)
    decision: Decision = "rules_only"
    # The chosen family against each rival (and the leader against each simpler family).
    comparisons: list[Comparison] = field(default_factory=list)
    signal: Comparison | None = None  # the best family against the trivial baseline
    alternative: str = ""  # when leaning: the family on the other side of the undetermined comparison
    # Families whose training the clock cut that lost to the choice: the comparison is unfair.
    unfair: list[str] = field(default_factory=list)
    evidence: list[Reason] = field(default_factory=list)  # the reasons, most telling first
    agreement: Agreement = ""
    metric: str = ""  # the primary metric of the ranking and the comparisons
    baseline: Score | None = None  # the trivial baseline's score, when it ran
    # rules_only: model probes that ran and produced no score, by reason (none: ``unscored``).
    failures: list[Unscored] = field(default_factory=list)
    # rules_only without failures: every probe that said why it has no score, in order.
    unscored: list[Unscored] = field(default_factory=list)

    def comparison(self, leader: str, other: str) -> Comparison:
        """The comparison of two families, whichever of them leads."""
        return next(c for c in self.comparisons if {c.leader, c.other} == {leader, other})

    @property
    def rope(self) -> float:
        """The ROPE the families were compared on (the baseline comparison has its own); 0 with none."""
        c = next((c for c in self.comparisons if BASELINE not in (c.leader, c.other)), None)
        return c.rope if c is not None else 0.0

    def rope_with(self, family: str) -> float:
        """The ROPE the verdict compared ``family`` with its choice on: a curve overtakes the choice
        by being ahead by more than it, as "better" is. Where the two were not compared directly
        (each is compared with the leader), the families' shared ROPE."""
        pair = next((c for c in self.comparisons if {c.leader, c.other} == {family, self.family}), None)
        return pair.rope if pair is not None else self.rope

    def ranked(self, family: str) -> Ranked:
        return next(r for r in self.ranking if r.family == family)


@dataclass
class FamilyPlan:
    """One family's projection for planning (estimates from its learning curve).

    ``rows_to_target``: training rows to reach ``Planning.target_score`` (None without a
    target). ``overtakes_leader``: rows at which its curve overtakes the verdict's
    family (None for the leader itself). ``costs``: fit time and memory at "2x" and
    "10x" its measured training rows, and at "target" and "overtakes" when those are
    within reach, each with the hardware it assumes."""

    family: str
    probe: str
    n_train: int  # training rows per fold at the measured full size
    rows_to_target: RowsEstimate | None = None
    overtakes_leader: RowsEstimate | None = None
    costs: dict[str, CostEstimate] = field(default_factory=dict)
    converged: bool = True  # False: its curve was measured on fits the budget cut (a lower bound)
    neural_on_cpu: bool = False  # a net timed on a CPU: a GPU would change its cost, not measured here
    # ... and every size here (measured and projected) is under ``planning.GPU_PAYS_FROM_ROWS``,
    # where a GPU is not expected to be faster (small fits are bound by kernel launches).
    small_for_gpu: bool = False


@dataclass
class Planning:
    """What more data would buy, per family (``advisor/verdict/planning.py``)."""

    metric: str
    target_score: float | None
    leader: str  # the verdict's family the crossings are measured against ("" when it has no curve)
    families: list[FamilyPlan] = field(default_factory=list)
    gpu: str = ""  # the GPU the run had, "" when none
