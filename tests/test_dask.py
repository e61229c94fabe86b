"""Dask: the probe fits as tasks on a cluster, the profile pass as a Dask dataframe
computation, and the leading GBDT re-trained on all rows (--confirm-at-scale).

One LocalCluster of two worker processes (one thread each, as ``--workers`` starts
them) is shared by the module; every comparison is against a local run with the
same seed, on generated data small enough that no fit is cut by the clock.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from advisor.data import ProbeData  # noqa: E402
from advisor.probe_api import CurveFit, ProbeResult, Score  # noqa: E402
from advisor.probing import executor as executor_module  # noqa: E402
from advisor.probing.executor import DaskExecutor  # noqa: E402
from advisor.probing.registry import discover_probes  # noqa: E402
from advisor.probing.scale_check import confirm_at_scale  # noqa: E402
from advisor.probing.stage import run_probes  # noqa: E402
from advisor.report.model import PLACE_FIELDS  # noqa: E402
from tests.conftest import run_cli  # noqa: E402
from tests.test_determinism import strip_timing  # noqa: E402

FAST_PROBES = ("baseline", "linear", "lightgbm")  # the MLP adds time, not coverage
CLUSTER_OPTIONS = ("--cluster", "--workers")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    with Client(cluster) as c:
        yield c


def table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    colour = rng.choice(["red", "green", "blue"], size=n)
    y = (X[:, 0] + 0.5 * X[:, 1] + (colour == "red") + rng.normal(0, 0.5, n) > 0.5).astype(int)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)])
    frame["colour"] = colour
    frame["target"] = y
    return frame


def probe_data(n: int = 150) -> ProbeData:
    frame = table(n)
    X = frame.drop(columns="target").astype({"colour": "category"})
    kinds = {c: "numeric" for c in X.columns} | {"colour": "categorical"}
    return ProbeData(
        task="binary", modality="tabular", y=frame["target"].to_numpy(np.int64), class_names=["0", "1"],
        X=X, feature_kinds=kinds, n_rows_total=n,
    )  # fmt: skip


def stage_json(stage) -> dict:
    return strip_timing(json.loads(json.dumps([dataclasses.asdict(r) for r in stage.results], default=str)))


def test_a_cluster_measures_what_a_local_run_measures(client):
    from advisor.compute import detect_compute
    from advisor.facts import Constraints

    data = probe_data()
    constraints = Constraints(budget_seconds=120.0, seed=3)
    compute = detect_compute("cpu", probe_gpu=False)
    probes = [p for p in discover_probes() if p.name in FAST_PROBES]
    local = run_probes(data, constraints=constraints, compute=compute, probes=probes)
    remote = run_probes(
        data, constraints=constraints, compute=compute, probes=probes, executor=DaskExecutor(client)
    )
    assert remote.executor.kind == "dask" and remote.executor.n_workers == 2
    assert local.executor.kind == "local"
    assert [r.status for r in remote.results] == ["ok"] * len(FAST_PROBES)
    assert stage_json(local) == stage_json(remote)
    # Timings were measured on the workers, not left at zero.
    assert all(r.fit_seconds > 0 for r in remote.results)


def strip_place(report: dict) -> dict:
    """A JSON report without timings, where it ran, and the options that said where."""
    out = {k: v for k, v in strip_timing(report).items() if k not in PLACE_FIELDS}
    out["settings"] = [x for x in out.get("settings", []) if x["option"] not in CLUSTER_OPTIONS]
    return out


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_the_profile_pass_of_a_big_file_on_a_cluster_matches_the_local_one(tmp_path, cluster, suffix):
    """Over --memory-limit, the cluster computes the counts and the seeded sample: same profile."""
    n = 20_000 if suffix == "csv" else 80_000  # Parquet is compact: more rows to pass 1 MB
    frame = table(n, seed=1)
    frame.loc[frame.index[::97], "x0"] = np.nan
    frame.loc[frame.index[::89], "colour"] = None
    path = tmp_path / f"big.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path, row_group_size=4000)
    args = ("recommend", str(path), "--no-probes", "--memory-limit", "1", "--format", "json", "-q")
    code, out, err = run_cli(*args)
    assert code == 0, err
    code, out_dask, err = run_cli(*args, "--cluster", cluster.scheduler_address)
    assert code == 0, err
    local, remote = json.loads(out), json.loads(out_dask)
    assert remote["dataset"]["n_rows"] == n
    # A CSV's sample is sized by the limit; a Parquet file's is not (its rows are cheaper).
    assert remote["dataset"]["source"]["sampled"] == (suffix == "csv")
    assert remote["executor"]["kind"] == "dask"
    assert strip_place(local) == strip_place(remote)


def test_recommend_on_a_cluster_confirms_at_scale(tmp_path, cluster):
    """--cluster ADDRESS runs the probes there and --confirm-at-scale trains lightgbm.dask."""
    path = tmp_path / "rows.csv"
    table(2000).to_csv(path, index=False)
    code, out, err = run_cli(
        "recommend", str(path), "--cluster", cluster.scheduler_address, "--confirm-at-scale",
        "--budget", "5", "--format", "json", "-q",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["executor"] == {"kind": "dask", "address": cluster.scheduler_address, "n_workers": 2}
    check = report["scale_check"]
    assert check["status"] == "measured" and check["engine"] == "lightgbm.dask", check
    assert 0.5 < check["measured"] <= 1.0 and check["n_train"] + check["n_test"] == 2000
    assert {"projected", "projected_low", "projected_high", "within"} <= set(check)


def test_confirm_at_scale_puts_the_measured_score_next_to_the_projection(client):
    data = probe_data(600)
    curve = CurveFit(
        asymptote=0.95, a=0.1, b=0.5, predicted={"full": Score(0.9, 0.01)}, predicted_rows={"full": 480},
        predicted_low={"full": 0.0}, predicted_high={"full": 1.0},
    )  # fmt: skip
    best = ProbeResult(
        name="lightgbm", family="gbdt", status="ok", metric="roc_auc", score=Score(0.9, 0.02),
        n_train=240, n_test=60, curve_fit=curve, params={"best_iteration": 40, "learning_rate": 0.05},
    )  # fmt: skip
    for executor, engine in ((None, "lightgbm"), (DaskExecutor(client), "lightgbm.dask")):
        check = confirm_at_scale(data, [best], seed=0, executor=executor)
        assert check.status == "measured" and check.engine == engine
        assert (check.n_train, check.n_test) == (480, 120)
        assert check.projected == 0.9 and check.projected_rows == 480 and check.within is True
        assert 0.5 < check.measured <= 1.0
    assert confirm_at_scale(data, [], seed=0).status == "not_applicable"


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(executor_module, "CONNECT_TIMEOUT_SECONDS", 1)
    path = tmp_path / "rows.csv"
    table(50).to_csv(path, index=False)
    code, out, err = run_cli("recommend", str(path), "--cluster", "tcp://127.0.0.1:9", "--no-probes", "-q")
    assert code == 2 and "Traceback" not in err
    assert (
        "cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'" in err and len(err.strip().splitlines()) == 1
    )


def test_workers_starts_a_local_cluster(tmp_path):
    path = tmp_path / "rows.csv"
    table(50).to_csv(path, index=False)
    code, out, err = run_cli("recommend", str(path), "--workers", "2", "--no-probes", "--format", "md", "-q")
    assert code == 0, err
    assert "## Beyond one machine" in out and "Dask cluster of 2 worker(s)" in out
