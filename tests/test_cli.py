"""End to end through the CLI on scikit-learn's bundled data."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import jsonschema
import pytest

from advisor.report.schema import report_schema
from tests.conftest import E2E_BUDGET, run_cli, run_json, sklearn_csv


def test_help_and_version_do_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from advisor.cli import cli\n"
        "for args in (['--help'], ['--version'], ['recommend', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "heavy = [m for m in ('torch', 'lightgbm', 'sklearn', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


@pytest.mark.parametrize(
    ("given", "expected"),
    [({}, "1000"), ({"GOMP_SPINCOUNT": "50000"}, "50000"), ({"OMP_WAIT_POLICY": "ACTIVE"}, "unset")],
)
def test_openmp_spins_briefly_unless_the_user_chose(given, expected):
    # A short spin before OpenMP threads sleep keeps a busy machine from stalling the nets'
    # small steps (advisor/__init__.py); the user's own OpenMP settings are left alone.
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    code = "import os, advisor; print(os.environ.get('GOMP_SPINCOUNT', 'unset'))"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**env, **given}
    )
    assert run.stdout.strip() == expected


def test_binary_report_has_the_promised_fields(binary_report):
    r = binary_report
    assert r["schema_version"] == "1.0"
    ds = r["dataset"]
    assert ds["n_rows"] == 569 and ds["n_columns"] == 31
    assert ds["target"]["name"] == "target" and ds["target"]["task"] == "binary"
    assert ds["modality"] == "tabular"
    assert {c["kind"] for c in ds["columns"]} >= {"numeric"}
    assert r["compute"]["cpu_cores"] >= 1
    assert r["prior"]["fired"], "some rule must fire on a 569-row table"
    assert all({"id", "effects", "because"} <= set(f) for f in r["prior"]["fired"])
    rec = r["recommendation"]
    assert rec["family"] in ("linear", "gbdt", "mlp") and rec["confidence"] in ("high", "medium", "low")
    assert rec["reasons"] and rec["model"]


def test_binary_probes_beat_the_baseline(binary_report):
    probes = {p["name"]: p for p in binary_report["probes"]}
    base = next(p for p in probes.values() if p["family"] == "baseline")
    measured = [p for p in probes.values() if p["family"] != "baseline" and p["score"]]
    assert {p["family"] for p in measured} >= {"linear", "gbdt", "mlp"}
    for p in measured:
        assert p["metric"] == "roc_auc"
        assert p["score"]["mean"] > base["score"]["mean"] + 0.1, p["name"]
        assert p["score"]["std"] >= 0 and len(p["score"]["folds"]) >= 2
        assert p["fit_seconds"] > 0 and p["device"] == "cpu"
        assert len(p["curve"]) >= 3


def test_json_report_matches_the_committed_schema(binary_report):
    jsonschema.validate(binary_report, report_schema())


def test_committed_schema_is_current():
    from pathlib import Path

    committed = json.loads((Path(__file__).parent.parent / "docs" / "report.schema.json").read_text())
    assert committed == report_schema(), "run: python -m advisor.report.schema > docs/report.schema.json"


@pytest.mark.parametrize(
    ("loader", "task", "metric"),
    [("load_wine", "multiclass", "macro_f1"), ("load_diabetes", "regression", "r2")],
)
def test_multiclass_and_regression(tmp_path, loader, task, metric):
    r = run_json(sklearn_csv(tmp_path, loader))
    assert r["dataset"]["target"]["task"] == task
    assert r["probe_stage"]["metric"] == metric
    base = next(p for p in r["probes"] if p["family"] == "baseline")
    best = max(p["score"]["mean"] for p in r["probes"] if p["score"] and p["family"] != "baseline")
    assert best > base["score"]["mean"] + 0.1
    assert r["recommendation"]["family"] != "none"


def test_markdown_to_file_is_clean_and_input_untouched(tmp_path, binary_csv):
    before = hashlib.sha256(binary_csv.read_bytes()).hexdigest()
    out = tmp_path / "report.md"
    code, stdout, _ = run_cli("recommend", str(binary_csv), "-o", str(out), "--budget", E2E_BUDGET, "-q")
    assert code == 0 and stdout == ""
    text = out.read_text()
    assert "\x1b[" not in text
    assert text.startswith("# advisor report:")
    assert hashlib.sha256(binary_csv.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob(".report.md.*")), "no temporary file left behind"


def test_no_probes_gives_a_rules_only_verdict(binary_csv):
    r = run_json(binary_csv, "--no-probes")
    assert r["probes"] == [] and r["recommendation"]["decided_by"].startswith("rules only")


@pytest.mark.parametrize(
    ("content", "args", "needle"),
    [
        (None, (), "does not exist"),
        ("", (), "empty"),
        ("a,b,c\n", (), "no data rows"),
        ("a,b\n1,2\n3,4\n5,6\n", ("--target", "nope"), "nope"),
        ("a,b\n1,x\n2,x\n3,x\n4,x\n", ("--target", "b"), "one"),
        ("a,b\n1,\n2,\n3,\n4,\n", ("--target", "b"), "missing"),
    ],
    ids=["missing-file", "empty", "header-only", "unknown-target", "constant-target", "all-missing-target"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, args, needle):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli("recommend", str(path), "-q", "--budget", "5", *args)
    assert code == 2, err
    assert "Traceback" not in err and out == ""
    message = err.strip()
    assert len(message.splitlines()) == 1, message
    assert needle in message.lower(), message


def test_rules_list_and_show():
    code, out, _ = run_cli("rules", "list")
    assert code == 0 and "scale." in out
    rule_id = next(w for w in out.split() if w.startswith("scale."))
    code, out, _ = run_cli("rules", "show", rule_id)
    assert code == 0 and rule_id in out and "source" in out.lower()
    code, _, err = run_cli("rules", "show", "no.such-rule")
    assert code == 2 and "no.such-rule" in err


def test_broken_team_rule_file_names_file_rule_and_field(tmp_path, binary_csv):
    bad = tmp_path / "team.yaml"
    bad.write_text(
        "rules:\n  - id: team.big\n    title: t\n    category: scale\n"
        "    when: {fact: nrows, gt: 10}\n    effects: {gbdt: 1}\n    because: b\n    source: s\n"
    )
    code, _, err = run_cli("recommend", str(binary_csv), "--rules", str(bad), "-q")
    assert code == 2
    assert "team.yaml" in err and "team.big" in err and "when" in err


def outline(headings: list[str], golden: list[str]) -> list[str]:
    """The report's headings without the sub-headings of the optional sections ("? " in the
    golden file: present only when measured, e.g. drivers, planning, the leakage check),
    which are named after the data (a probe, a column)."""
    optional = {g.removeprefix("? ") for g in golden if g.startswith("? ")}
    out, inside = [], 0  # inside: the level of the optional section being skipped, 0 outside one
    for h in headings:
        level = len(h) - len(h.lstrip("#"))
        if inside and level > inside:
            continue
        inside = level if h in optional else 0
        out.append(h)
    return out


def test_markdown_structure_matches_the_golden_outline(binary_csv):
    """The report's section outline is part of the product: design docs paste it."""
    from pathlib import Path

    code, out, _ = run_cli("recommend", str(binary_csv), "--format", "md", "--budget", E2E_BUDGET, "-q")
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("#")]
    headings[0] = "# advisor report: <path>"
    golden = (Path(__file__).parent / "golden" / "report_headings.md").read_text().splitlines()
    present = [g.removeprefix("? ") for g in golden if not g.startswith("? ") or g[2:] in headings]
    assert outline(headings, golden) == present
    for table_header in ("| Fact | Value |", "| Rule | Effects | Because |", "| Probe | Family | roc_auc |"):
        assert table_header in out


def test_leakage_suspect_is_named_and_the_verdict_shown_without_it(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    x = rng.normal(size=(1500, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=1500) > 0).astype(int)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame["refund_issued"] = np.where(y == 1, rng.uniform(50, 100, len(y)), 0.0)
    frame["defaulted"] = y
    path = tmp_path / "leaky.csv"
    frame.to_csv(path, index=False)
    r = run_json(path)
    assert r["dataset"]["leakage_suspects"] == ["refund_issued"]
    leak = r["leakage"]
    assert leak["columns"] == ["refund_issued"]
    assert leak["best_with"]["mean"] > 0.99 > leak["best_without"]["mean"] > 0.7
    assert any("refund_issued" in s for s in r["recommendation"]["next_steps"])
    # Confirmed, so the headline rests on the run without it; the run with it is the evidence.
    assert leak["excluded"] == ["refund_issued"] and leak["kept"] == []
    assert max(x["score"]["mean"] for x in r["recommendation"]["ranking"]) < 0.99
    assert {p["family"] for p in leak["probes_with"]} >= {"linear", "gbdt"}


def test_a_leaky_datetime_column_is_removed_in_the_recheck():
    """signup_date is tenure counted back from a fixed day: the re-check must drop
    its expanded parts (signup_date__year, ...), not just a column of that name."""
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "churn.csv"
    r = run_json(example, "--task", "regression", "--target", "tenure_months")
    leak = r["leakage"]
    assert "signup_date" in leak["columns"]
    assert leak["best_without"]["mean"] < leak["best_with"]["mean"] - 0.01


def test_data_without_signal_gets_no_family(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(2000, 5)), columns=[f"f{i}" for i in range(5)])
    frame["up_tomorrow"] = rng.integers(0, 2, 2000)
    path = tmp_path / "coin.csv"
    frame.to_csv(path, index=False)
    rec = run_json(path)["recommendation"]
    assert rec["family"] == "none"
    assert "no model family is supported" in rec["decided_by"]


def test_python_dash_m_advisor_is_the_same_command(tmp_path):
    # Where the script is not on PATH (a venv not activated), `python -m advisor` must work alike.
    missing = tmp_path / "missing.csv"
    run = subprocess.run(
        [sys.executable, "-m", "advisor", "recommend", str(missing)], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "missing.csv" in run.stderr and "Traceback" not in run.stderr
