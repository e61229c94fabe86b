"""Issue 12, points 3, 5 and 9: hostile rule packs, internal errors where a refusal
or a report is due, and the smaller cases (exit code of a partial report, currency
amounts, a doubled byte-order mark, duplicate keys in a rule)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import advisor.probing.stage as stage
from advisor.engine.loader import MAX_RULE_FILE_BYTES, load_rule_file
from advisor.errors import RuleError
from advisor.probe_api import Probe, ProbeResult
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
RULE = """rules:
  - id: team.x
    title: X
    category: scale
    when: {n_rows: {ge: 1}}
    effects: {gbdt: 1}
    because: b
    source: s
"""


def _one_line_error(code: int, out: str, err: str, expected: str) -> None:
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert expected in lines[0], lines[0]


def _laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    # The bomb inside a rule field, where an error message would repr it.
    return RULE.replace(
        "effects: {gbdt: 1}", f"effects: &top [{', '.join(['*a' + str(levels)] * 9)}]"
    ).replace("rules:\n", "bombs:\n" + "\n".join("  " + line for line in lines) + "\nrules:\n")


@pytest.fixture
def csv(tmp_path) -> Path:
    path = tmp_path / "data.csv"
    rows = "".join(f"{i % 13},{i * 0.37 % 5:.2f},{'ab'[i % 2]}\n" for i in range(80))
    path.write_text("x,z,y\n" + rows, encoding="utf-8")
    return path


# --- point 3: rule packs -----------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX rlimit")
def test_billion_laughs_rule_pack_is_refused_within_a_memory_limit(tmp_path, csv):
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(_laughs(), encoding="utf-8")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
        "from advisor.cli import main\n"
        "sys.argv = ['advisor', *sys.argv[1:]]\n"
        "main()\n"
    )
    for args in (
        ["rules", "list", "--rules", str(bomb)],
        ["recommend", str(csv), "--no-probes", "-q", "--rules", str(bomb)],
    ):
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert time.monotonic() - started < 60
        _one_line_error(proc.returncode, proc.stdout, proc.stderr, "once its aliases (*name) are followed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: &r [*r]\n", "recursive YAML alias *r"),
        ("rules:\n  - &r\n    id: team.x\n    title: *r\n", "recursive YAML alias *r"),
        ("rules: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "nested more than"),
        ("rules: " + "[" * 20000 + "]" * 20000 + "\n", "line 1"),
        (RULE.replace("{gbdt: 1}", "{gbdt: " + "9" * 5000 + "}"), "has 5,000 characters"),
        ("rules: []\nx: 2020-13-45\n", "a value cannot be read"),
    ],
    ids=["recursive-list", "recursive-rule", "deep-maps", "deep-lists", "5000-digits", "bad-date"],
)
def test_hostile_yaml_gets_one_line(tmp_path, text, expected):
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    for args in (["rules", "list"], ["rules", "show", "team.x"]):
        code, out, err = run_cli(*args, "--rules", str(path))
        _one_line_error(code, out, err, expected)


def test_long_integer_names_file_rule_and_field(tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text(RULE.replace("{gbdt: 1}", "{gbdt: " + "9" * 5000 + "}"), encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    err = info.value
    assert (err.file, err.rule_id, err.field) == (str(path), "team.x", "effects")
    assert len(err.message) < 400


def test_messages_about_a_shared_structure_stay_short(tmp_path):
    # Below the expansion limit, yet repr() of it would be long: the message is bounded.
    text = RULE.replace("effects: {gbdt: 1}", "effects: &e [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]").replace(
        "source: s", "source: s\n    override: [" + ", ".join(["*e"] * 500) + "]"
    )
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    assert info.value.field == "effects"
    assert len(info.value.message) < 400


@pytest.mark.parametrize(
    ("replace", "field", "key"),
    [
        ({"    because: b\n": "    because: b\n    because: c\n"}, "because", "because"),
        ({"{gbdt: 1}": "{gbdt: 1, gbdt: -1}"}, "effects", "gbdt"),
        ({"{n_rows: {ge: 1}}": "{n_rows: {ge: 1, ge: 5}}"}, "when", "ge"),
    ],
)
def test_duplicate_keys_in_a_rule_are_refused(tmp_path, replace, field, key):
    text = RULE
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    err = info.value
    assert (err.file, err.rule_id, err.field) == (str(path), "team.x", field)
    assert f"key '{key}' appears twice" in err.problem
    code, out, stderr = run_cli("rules", "list", "--rules", str(path))
    _one_line_error(code, out, stderr, "appears twice")


def test_duplicate_top_level_key_is_refused(tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text("rules: []\n" + RULE, encoding="utf-8")
    with pytest.raises(RuleError, match="key 'rules' appears twice"):
        load_rule_file(path)


def test_aliases_within_the_limit_still_load(tmp_path):
    text = RULE.replace("when: {n_rows: {ge: 1}}", "when: &w {n_rows: {ge: 1}}") + RULE.replace(
        "team.x", "team.y"
    ).replace("rules:\n", "").replace("when: {n_rows: {ge: 1}}", "when: *w")
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    assert [r.id for r in load_rule_file(path)] == ["team.x", "team.y"]


def test_oversized_rule_file_is_refused(tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text("rules: []\n" + "#" * MAX_RULE_FILE_BYTES + "\n", encoding="utf-8")
    code, out, err = run_cli("rules", "list", "--rules", str(path))
    _one_line_error(code, out, err, "too large for a rule pack")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_rule_file_is_refused_without_opening_it(tmp_path, csv):
    fifo = tmp_path / "team.yaml"
    os.mkfifo(fifo)
    # A writer that unblocks any reader: if advisor opened the FIFO it would read
    # an empty file ("the file is empty") instead of hanging.
    writer = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)
    writer.start()
    try:
        results = [
            run_cli("rules", "list", "--rules", str(fifo)),
            run_cli("rules", "show", "scale.tiny-data", "--rules", str(fifo)),
            run_cli("recommend", str(csv), "--no-probes", "-q", "--rules", str(fifo)),
        ]
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # release the writer
        writer.join(5)
    for code, out, err in results:
        _one_line_error(code, out, err, "not a regular file (a pipe, socket or device)")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_rule_file_is_refused(csv):
    code, out, err = run_cli("rules", "list", "--rules", "/dev/zero")
    _one_line_error(code, out, err, "not a regular file")
    code, out, err = run_cli("recommend", str(csv), "--no-probes", "-q", "--rules", "/dev/zero")
    _one_line_error(code, out, err, "not a regular file")


def test_folder_rule_file_is_refused(tmp_path):
    code, out, err = run_cli("rules", "list", "--rules", str(tmp_path))
    _one_line_error(code, out, err, "is a folder")


# --- point 5: internal errors where a refusal or a report is due --------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (1000, "has 5,000 classes in 6,000 rows: too many to classify (fewer than 2 rows per class)"),
        # Two rows each: StratifiedKFold failed on the probe sample (exit 1) before.
        (5000, "has 5,000 classes in 10,000 rows: too many to classify (more than the 500"),
    ],
)
def test_target_with_thousands_of_classes_is_refused(tmp_path, extra, expected):
    rng = np.random.default_rng(0)
    labels = [f"c{i}" for i in range(5000)] + [f"c{i}" for i in range(extra)]
    rng.shuffle(labels)
    path = tmp_path / "classes.csv"
    path.write_text(
        "a,b,target\n" + "".join(f"{rng.random():.4f},{rng.random():.4f},{c}\n" for c in labels),
        encoding="utf-8",
    )
    code, out, err = run_cli("recommend", str(path), "-q", "--budget", "10")
    _one_line_error(code, out, err, expected)
    assert "choose another --target" in err


def test_numeric_target_forced_to_many_classes_suggests_regression(tmp_path):
    path = tmp_path / "amounts.csv"
    path.write_text("a,y\n" + "".join(f"{i % 7},{i * 3}\n" for i in range(600)), encoding="utf-8")
    code, out, err = run_cli("recommend", str(path), "-q", "--no-probes", "--task", "multiclass")
    _one_line_error(code, out, err, "pass --task regression if it is a quantity")


def test_many_classes_with_enough_rows_still_classify(tmp_path):
    rng = np.random.default_rng(1)
    labels = [f"c{i % 40}" for i in range(400)]
    path = tmp_path / "forty.csv"
    path.write_text("a,target\n" + "".join(f"{rng.random():.4f},{c}\n" for c in labels), encoding="utf-8")
    code, out, err = run_cli("recommend", str(path), "-q", "--no-probes", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["dataset"]["target"]["n_classes"] == 40


@pytest.mark.parametrize("width", [200_000, 2_000_000])
def test_huge_column_name_is_read(tmp_path, width):
    name = "x" * width
    path = tmp_path / "wide-name.csv"
    rows = "".join(f"{i},{i * 0.5},{i % 2}\n" for i in range(60))
    path.write_text(f"{name},b,y\n" + rows, encoding="utf-8")
    code, out, err = run_cli("recommend", str(path), "-q", "--no-probes", "--format", "json")
    assert code == 0, err
    names = [c["name"] for c in json.loads(out)["dataset"]["columns"]]
    assert names[0] == name and len(err) < 2000


def test_huge_first_line_is_read_or_refused_in_one_line(tmp_path):
    path = tmp_path / "long-line.csv"
    rows = "".join(f"{i},{i * 0.5},{i % 2}\n" for i in range(60))
    path.write_text("a,b,y\n" + "1," + "z" * 5_000_000 + ",0\n" + rows, encoding="utf-8")
    code, out, err = run_cli("recommend", str(path), "-q", "--no-probes")
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err


# --- point 9: smaller ---------------------------------------------------------------


class _Stub(Probe):
    name = "stub"
    family = "baseline"
    description = "a stub that reports running out of budget"
    modalities = frozenset({"tabular", "mixed", "text", "image", "signal"})

    def fit(self, train, ctx):  # pragma: no cover - run() is overridden
        raise NotImplementedError

    def run(self, data, plan, budget, device):
        return ProbeResult(
            name=self.name,
            family=self.family,
            status="partial",
            reason="ran out of budget",
            metric=plan.metric,
        )


class _CtrlC(_Stub):
    name = "ctrl-c"
    family = "linear"

    def run(self, data, plan, budget, device):
        raise KeyboardInterrupt


def test_interrupted_probe_stage_exits_3_and_says_partial(csv, monkeypatch):
    monkeypatch.setattr(stage, "discover_probes", lambda notes=None: [_Stub(), _CtrlC()])
    code, out, err = run_cli("recommend", str(csv), "-q", "--budget", "5", "--format", "json")
    assert code == 3, err
    assert "partial" in err and len(err.strip().splitlines()) == 1
    report = json.loads(out)
    assert report["probe_stage"]["partial"] is True
    assert any("interrupted" in note for note in report["probe_stage"]["notes"])


def test_probe_out_of_budget_is_partial_but_exits_0(csv, monkeypatch):
    monkeypatch.setattr(stage, "discover_probes", lambda notes=None: [_Stub()])
    code, out, err = run_cli("recommend", str(csv), "-q", "--budget", "5", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["probe_stage"]["partial"] is True


def test_ctrl_c_before_a_report_exits_130_with_one_line(csv, monkeypatch):
    import advisor.pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(advisor.pipeline, "_load", interrupted)
    code, out, err = run_cli("recommend", str(csv), "-q", "--no-probes")
    assert code == 130 and out == ""
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err


def test_currency_amounts_are_numbers(tmp_path):
    rng = np.random.default_rng(2)
    amounts = rng.uniform(0, 5000, size=120)
    lines = "".join(
        f'"{"-" if i % 17 == 0 else ""}${a:,.2f}",{rng.random():.3f},{int(a > 2500)}\n'
        for i, a in enumerate(amounts)
    )
    path = tmp_path / "money.csv"
    original = "price,b,y\n" + lines
    path.write_text(original, encoding="utf-8")
    code, out, err = run_cli("recommend", str(path), "-q", "--no-probes", "--format", "json")
    assert code == 0, err
    price = json.loads(out)["dataset"]["columns"][0]
    assert price["name"] == "price" and price["kind"] == "numeric", price
    assert "currency" in price["kind_reason"]
    assert path.read_text(encoding="utf-8") == original  # never modified


def test_currency_values_parse():
    import pandas as pd

    from advisor.profile.kinds import parse_numeric

    values = pd.Series(["$1,234.56", "-$12.50", "$-3", "$ 7", "£1,000", "€2.5", "$1,234,567.00"] * 3)
    parsed = parse_numeric(values).tolist()[:7]
    assert parsed == [1234.56, -12.5, -3.0, 7.0, 1000.0, 2.5, 1234567.0]


def test_doubled_byte_order_mark_is_dropped_from_the_first_name(tmp_path):
    path = tmp_path / "bom.csv"
    rows = "".join(f"{i % 9},{i * 0.5},{i % 2}\n" for i in range(60))
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + ("first,b,y\n" + rows).encode("utf-8"))
    code, out, err = run_cli("recommend", str(path), "-q", "--no-probes", "--format", "json")
    assert code == 0, err
    assert [c["name"] for c in json.loads(out)["dataset"]["columns"]] == ["first", "b", "y"]
