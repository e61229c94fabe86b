"""advisor: profile a dataset, apply the decision framework, measure, and recommend.

The public API is importable for notebooks::

    from advisor import recommend
    report = recommend("data.csv", target="label")

Nothing heavy (pandas, torch, lightgbm) is imported here, so ``advisor --help``
starts fast.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

# OpenMP threads (torch's and LightGBM's libgomp) spin 300,000 times at each barrier before
# they sleep, unless the team has more threads than the machine has CPUs; libgomp cannot see
# other processes, so on a busy machine each barrier of a small step waited out the
# scheduler's slices. README's example on 2 cores with 3 other busy processes: 57 s and the
# MLP cut short by the budget, 29 s with 1,000 spins (libgomp's own value for an
# oversubscribed team), 24 s with no spinning; on an idle machine 8.5-9.1 s against 9.1-9.4 s,
# and 13.6-14.1 s with no spinning (docs/benchmarks.md). Set before torch or LightGBM loads
# libgomp; a user's own OpenMP settings win.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")

__all__ = ["__version__", "recommend"]


def __getattr__(name: str):
    # Lazy so that importing the package (and the CLI) stays cheap.
    if name == "recommend":
        from advisor.pipeline import recommend

        return recommend
    raise AttributeError(name)
