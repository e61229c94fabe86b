"""What more data would buy: rows to a target score, crossings, costs at those sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.facts import ComputeInfo
from advisor.probe_api import CurvePoint, ProbeResult, Score
from advisor.probing.curves import fit_learning_curve
from advisor.verdict.model import Recommendation
from advisor.verdict.planning import plan_more_data

GRID = np.array([64, 128, 256, 512, 1024], dtype=float)
CPU = ComputeInfo(cpu_cores=2, memory_gb=24.0)


def _result(family: str, c: float, a: float, b: float, seconds_per_row: float, n: int = 1024) -> ProbeResult:
    grid = GRID * n / GRID[-1]
    folds = [[(float(m), c - a * m ** (-b) + eps) for m in grid] for eps in (-0.001, 0.0, 0.001)]
    at = c - a * n ** (-b)
    # Fit time linear in rows above the measurable floor: the cost model should find p close to 1.
    curve = [CurvePoint(int(m), Score(c - a * m ** (-b), 0.001), seconds_per_row * m) for m in grid]
    return ProbeResult(
        name=f"{family}_probe",
        family=family,
        status="ok",
        score=Score(at, 0.01, [at] * 5),
        curve=curve,
        curve_fit=fit_learning_curve(folds),
        n_train=n,
        peak_memory_mb=10.0,
    )


def _plan(target: float | None):
    rec = Recommendation(family="linear", model="ridge", confidence="high", decided_by="test")
    results = [
        _result("linear", 0.86, 0.5, 0.5, 1e-3),  # flat early, saturates
        _result("mlp", 0.97, 6.0, 0.5, 1e-2),  # behind at 1,024 rows, still climbing
    ]
    return plan_more_data(rec, results, CPU, target, "roc_auc")


def test_plan_has_rows_to_target_crossing_and_costs() -> None:
    plan = _plan(0.9)
    assert plan is not None and plan.leader == "linear" and plan.target_score == 0.9
    linear, mlp = plan.families  # simplest first
    assert (linear.family, mlp.family) == ("linear", "mlp")
    # linear tops out at 0.86: never reaches 0.9 within 100x; mlp does: 0.97 - 6/sqrt(n) = 0.9 at n ~ 7,300.
    assert linear.rows_to_target is not None and linear.rows_to_target.rows is None
    assert mlp.rows_to_target is not None and mlp.rows_to_target.rows == pytest.approx(7_347, rel=0.3)
    assert linear.overtakes_leader is None  # the leader is not compared with itself
    assert mlp.overtakes_leader is not None and mlp.overtakes_leader.rows == pytest.approx(2_500, rel=0.25)
    # Costs at 2x and 10x, at the target and the crossing, linear in rows from 10 s at 1,024 rows.
    assert set(mlp.costs) == {"2x", "10x", "target", "overtakes"}
    assert mlp.costs["10x"].fit_seconds == pytest.approx(102.4, rel=0.05)
    assert mlp.costs["10x"].peak_memory_mb == pytest.approx(100.0)
    assert "2 CPU cores, no GPU" in mlp.costs["10x"].hardware
    assert mlp.neural_on_cpu and not linear.neural_on_cpu
    assert not mlp.small_for_gpu  # 10x its 1,024 rows: where a GPU pays


def test_a_net_too_small_for_a_gpu_is_not_promised_one() -> None:
    """Under ``GPU_PAYS_FROM_ROWS`` at every size the plan looks at, a GPU is not expected to
    fit a net faster (kernel launches, not arithmetic): the report does not promise it."""
    from advisor.verdict.planning import GPU_PAYS_FROM_ROWS

    rec = Recommendation(family="linear", model="ridge", confidence="high", decided_by="test")
    n = GPU_PAYS_FROM_ROWS // 20  # 10x of it stays under the threshold
    behind = [_result("linear", 0.86, 0.5, 0.5, 1e-3, n=n), _result("mlp", 0.80, 0.5, 0.5, 1e-2, n=n)]
    plan = plan_more_data(rec, behind, CPU, None, "roc_auc")
    assert plan is not None
    linear, mlp = plan.families
    assert mlp.overtakes_leader is None or mlp.overtakes_leader.rows is None
    assert mlp.neural_on_cpu and mlp.small_for_gpu and not linear.small_for_gpu
    # A crossing far beyond the measured rows is a size where a GPU pays: no longer "small".
    catching_up = [behind[0], _result("mlp", 0.97, 6.0, 0.5, 1e-2, n=n)]
    plan = plan_more_data(rec, catching_up, CPU, None, "roc_auc")
    assert plan is not None
    mlp = plan.families[1]
    assert mlp.overtakes_leader is not None and mlp.overtakes_leader.rows > GPU_PAYS_FROM_ROWS
    assert not mlp.small_for_gpu


@pytest.mark.parametrize("small", [True, False])
def test_the_report_says_what_a_gpu_would_change(small) -> None:
    from types import SimpleNamespace

    from advisor.report.planning import planning_section

    plan = _plan(None)
    assert plan is not None
    plan.families[1].small_for_gpu = small
    report = SimpleNamespace(planning=plan, recommendation=SimpleNamespace(rope=0.0))
    said = " ".join(planning_section(report).bullets)
    assert "mlp was timed on a CPU" in said
    assert ("not expected to be faster" in said) is small
    assert ("would likely be faster" in said) is not small


def test_plan_without_target_and_without_curves() -> None:
    plan = _plan(None)
    assert plan is not None and all(fp.rows_to_target is None for fp in plan.families)
    assert all("target" not in fp.costs for fp in plan.families)
    rec = Recommendation(family="linear", model="ridge", confidence="high", decided_by="test")
    bare = ProbeResult(name="linear", family="linear", status="ok", score=Score(0.8, 0.01))
    assert plan_more_data(rec, [bare], CPU, 0.9, "roc_auc") is None


def test_report_section_and_json(tmp_path) -> None:
    import json

    from advisor import recommend
    from advisor.report.json_report import render_json
    from advisor.report.markdown import render_markdown

    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, 4))
    df = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    df["y"] = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.7, size=n) > 0).astype(int)
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    # A budget with room for the curve points on a busy machine: the section needs fitted curves.
    report = recommend(path, target="y", budget=20, target_score=0.99)
    assert report.planning is not None, [(p.name, p.curve_fit and p.curve_fit.note) for p in report.probes]
    md = render_markdown(report)
    assert "## What more data would buy" in md
    assert "Rows to reach roc_auc 0.99" in md and "Estimates, not measurements" in md
    planning = json.loads(render_json(report))["planning"]
    assert planning["target_score"] == 0.99 and planning["families"]
    assert all("10x" in fp["costs"] for fp in planning["families"])


def test_target_score_must_be_finite(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    res = CliRunner().invoke(cli, ["recommend", str(path), "--target-score", "nan"])
    assert res.exit_code == 2 and "target-score" in res.output


def test_the_crossing_is_where_the_challenger_leads_by_the_verdicts_rope() -> None:
    from advisor.verdict.model import Comparison

    results = [_result("linear", 0.86, 0.5, 0.5, 1e-3), _result("mlp", 0.97, 6.0, 0.5, 1e-2)]

    def overtakes(rope: float) -> int:
        rec = Recommendation(family="linear", model="ridge", confidence="high", decided_by="test")
        rec.comparisons = [
            Comparison("linear", "mlp", "roc_auc", 0.05, 5, 0.2, rope, 0.9, 0.1, 0.0, "leader")
        ]
        plan = plan_more_data(rec, results, CPU, None, "roc_auc")
        assert plan is not None
        est = plan.families[1].overtakes_leader
        assert est is not None and est.rows is not None
        return est.rows

    # 0.86 - 0.5/sqrt(n) + rope = 0.97 - 6/sqrt(n)
    assert overtakes(0.0) == pytest.approx((5.5 / 0.11) ** 2, rel=0.25)
    assert overtakes(0.03) == pytest.approx((5.5 / 0.08) ** 2, rel=0.25)
