"""The verdict: reconcile the rules' prior with the measurements.

``decide`` (decide.py) makes the verdict from probe results; ``check_leakage``
(leakage.py) chooses between the runs with and without leakage suspects;
``compare`` (comparisons.py) weighs two probes on their paired folds through
the correlated Bayesian t-test of ``bayes.py``; ``model.py`` holds the types.
The verdict is evidence; the report writes its sentences.
"""

from advisor.verdict.comparisons import compare
from advisor.verdict.decide import decide
from advisor.verdict.leakage import check_leakage
from advisor.verdict.model import Comparison, LeakageCheck, Ranked, Recommendation

__all__ = ["Comparison", "LeakageCheck", "Ranked", "Recommendation", "check_leakage", "compare", "decide"]
