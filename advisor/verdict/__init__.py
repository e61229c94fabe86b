"""The verdict: reconcile the rules' prior with the measurements.

``decide`` (decide.py) makes the verdict from probe results; ``check_leakage``
(leakage.py) chooses between the runs with and without leakage suspects;
``bayes.py`` holds the correlated Bayesian t-test; ``model.py`` the types.
"""

from advisor.verdict.decide import compare, decide
from advisor.verdict.leakage import check_leakage
from advisor.verdict.model import Comparison, LeakageCheck, Ranked, Recommendation

__all__ = ["Comparison", "LeakageCheck", "Ranked", "Recommendation", "check_leakage", "compare", "decide"]
