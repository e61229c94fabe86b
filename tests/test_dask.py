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
from advisor.probing.executor import DaskExecutor, open_executor  # noqa: E402
from advisor.probing.registry import discover_probes  # noqa: E402
from advisor.probing.stage import run_probes  # noqa: E402
from advisor.report.model import TIMING_FIELDS  # noqa: E402
from tests.conftest import run_cli  # noqa: E402
from tests.test_determinism import strip_timing  # noqa: E402

FAST_PROBES = ("baseline", "linear", "lightgbm")  # the MLP adds time, not coverage
PLACE_FIELDS = frozenset({"executor"})  # where it ran: the one thing a cluster run may change


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
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


def probe_data(n: int = 240) -> ProbeData:
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
