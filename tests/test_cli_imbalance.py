"""A rare positive class end to end: the rarer class's PR-AUC beside ROC AUC, with what a
trivial model scores on it, and advice that names the metric the report measures."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from tests.conftest import E2E_BUDGET, run_cli


def _rare_positives(path, n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    logit = -4.2 + 1.8 * X[:, 0] + 1.0 * (X[:, 1] > 0.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(is_fraud=y)
    frame.to_csv(path, index=False)
    return frame


def test_a_rare_class_gets_its_pr_auc_beside_roc_auc(tmp_path) -> None:
    frame = _rare_positives(tmp_path / "fraud.csv")
    share = frame.is_fraud.mean()
    assert 0.02 < share < 1 / 11  # the imbalance warning's ratio of 10 or more
    out = tmp_path / "r.md"
    args = ["recommend", str(tmp_path / "fraud.csv"), "--budget", E2E_BUDGET, "-q", "--format", "md", "-o"]
    code, _, err = run_cli(*args, str(out))
    assert code == 0, err
    md = out.read_text()
    assert "| Probe | Family | roc_auc | PR-AUC (rarer class) |" in md
    assert f"the average precision of `1`, {share:.1%} of the rows" in md
    assert "track the rarer class's PR-AUC (measured beside ROC AUC)" in md

    # The numbers, from the table's rows (one run: each costs the whole budget).
    scored = {}
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 4 and cells[-1].startswith(("ok", "partial")) and "±" in cells[3]:
            scored[cells[0]] = float(cells[3].split("±")[0])
    # A constant score has one threshold: its precision is the class's share in each fold.
    assert abs(scored["baseline"] - share) < 0.005
    assert max(v for k, v in scored.items() if k != "baseline") > 2 * share


def test_balanced_classes_keep_the_table_as_it_was(binary_report) -> None:
    # Breast cancer, 357 to 212: no column, though the JSON holds the metric for every binary probe.
    ok = [p for p in binary_report["probes"] if p["status"] == "ok"]
    assert ok and all("pr_auc" in p["metrics"] for p in ok)
    from advisor.report.sections_probe_table import extra_metrics

    target = SimpleNamespace(
        task="binary", imbalance_ratio=binary_report["dataset"]["target"]["imbalance_ratio"]
    )
    assert extra_metrics(SimpleNamespace(target=target)) == []  # type: ignore[arg-type]
    assert extra_metrics(SimpleNamespace(target=SimpleNamespace(task="binary", imbalance_ratio=10.0))) == [
        "pr_auc"
    ]
    assert (
        extra_metrics(SimpleNamespace(target=SimpleNamespace(task="multiclass", imbalance_ratio=30.0))) == []
    )
