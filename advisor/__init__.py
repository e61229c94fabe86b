"""advisor: profile a dataset, apply the decision framework, measure, and recommend.

The public API is importable for notebooks::

    from advisor import recommend
    report = recommend("data.csv", target="label")

Nothing heavy (pandas, torch, lightgbm) is imported here, so ``advisor --help``
starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "recommend"]


def __getattr__(name: str):
    # Lazy so that importing the package (and the CLI) stays cheap.
    if name == "recommend":
        from advisor.pipeline import recommend

        return recommend
    raise AttributeError(name)
