"""``benchmarks/curves.py``, the name issue 8 gives the learning-curve benchmark: it is
``bench_curves.py`` (the same options; ``--help`` there)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_curves import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
