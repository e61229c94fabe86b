"""Shared fixtures: scikit-learn's bundled datasets exported as CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli

# Small budgets keep the end-to-end suite fast; the probes cut work to fit.
E2E_BUDGET = "10"


def sklearn_csv(tmp: Path, loader: str, target: str = "target") -> Path:
    import sklearn.datasets as ds

    bunch = getattr(ds, loader)(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if loader in ("load_wine", "load_iris"):
        frame[target] = frame[target].map(dict(enumerate(bunch.target_names)))
    path = tmp / f"{loader}.csv"
    frame.to_csv(path, index=False)
    return path


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_json(path: Path, *args: str) -> dict:
    code, out, err = run_cli("recommend", str(path), "--format", "json", "--budget", E2E_BUDGET, "-q", *args)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sklearn")


@pytest.fixture(scope="session")
def binary_csv(data_dir) -> Path:
    return sklearn_csv(data_dir, "load_breast_cancer")


@pytest.fixture(scope="session")
def binary_report(binary_csv) -> dict:
    # Several tests read this one report, learning curves included: breast cancer gets 5 x 5
    # folds, so it needs more than E2E_BUDGET for every probe's curve points on 2 cores.
    return run_json(binary_csv, "--budget", "25")
