"""The ecosystem's habits: --version, shell completion, colour, `probes list`, `rules test`, `facts`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.probe_api import Probe
from advisor.probing import registry

# An SGR sequence that sets a colour (30-38, 90-97 foreground; 40-48, 100-107 background).
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7]|4[0-8]|10[0-7])(?:;\d+)*m")

TEAM = """rules:
  - id: team.small
    title: Our small tables go linear
    category: scale
    when: {n_rows: {lt: 500}}
    effects: {linear: 1}
    because: Only {n_rows} rows.
    source: "Team retrospective (2023)"
  - id: team.gpu
    title: A GPU helps
    category: compute
    when: {has_gpu: true}
    effects: {mlp: 1}
    because: A GPU.
    source: "Team retrospective (2023)"
"""


def invoke(*args: str, **kw: Any):
    return CliRunner().invoke(cli, list(args), prog_name="advisor", **kw)


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    lines = ["x,y,label"] + [f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(120)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM)
    return path


def cases(pack: Path, text: str) -> Path:
    path = pack.with_name("team.cases.yaml")
    path.write_text(text)
    return path


# --version and completion


def test_version_lists_the_libraries_that_matter():
    result = invoke("--version")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == ["advisor", "python", "torch", "lightgbm", "pandas"]


def test_bash_completion_script_from_clicks_builtin():
    result = invoke(env={"_ADVISOR_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_advisor_completion" in result.stdout and "complete " in result.stdout


def test_completion_of_subcommands():
    result = invoke(
        env={"_ADVISOR_COMPLETE": "bash_complete", "COMP_WORDS": "advisor pro", "COMP_CWORD": "1"}
    )
    assert result.exit_code == 0 and "probes" in result.stdout


# colour


def test_no_color_flag_and_env_remove_colour(csv: Path):
    base = ("recommend", str(csv), "--no-probes", "-q")
    coloured = invoke(*base, env={"FORCE_COLOR": "1", "NO_COLOR": None, "ADVISOR_NO_COLOR": None})
    assert coloured.exit_code == 0 and COLOUR.search(coloured.stdout), "rich should colour a forced terminal"
    flag = invoke(*base, "--no-color", env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert flag.exit_code == 0 and not COLOUR.search(flag.stdout)
    env = invoke(*base, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert env.exit_code == 0 and not COLOUR.search(env.stdout)


# probes list


def test_probes_list_shows_the_built_ins():
    result = invoke("probes", "list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert {"baseline", "linear", "lightgbm", "mlp"} <= set(lines)
    assert "torch" in lines["mlp"] and lines["lightgbm"].split()[1] == "gbdt"


def test_probes_list_as_json():
    result = invoke("probes", "list", "--format", "json")
    assert result.exit_code == 0
    entries = {e["name"]: e for e in json.loads(result.stdout)}
    assert entries["mlp"]["needs"] == ["torch"] and entries["mlp"]["family"] == "mlp"
    assert "tabular" in entries["lightgbm"]["modalities"] and entries["lightgbm"]["available"]


class _EP:
    def __init__(self, name: str, obj: Any) -> None:
        self.name, self.value, self._obj = name, f"pkg.{name}:Thing", obj

    def load(self) -> Any:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


class _TorchProbe(Probe):
    name: ClassVar[str] = "t-net"
    family: ClassVar[str] = "mlp"
    description: ClassVar[str] = ""
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular"})
    needs_torch: ClassVar[bool] = True

    def fit(self, train, ctx):
        raise NotImplementedError


def test_probes_list_says_why_a_probe_cannot_run(monkeypatch: pytest.MonkeyPatch):
    eps = [_EP("net", _TorchProbe), _EP("xgb", ImportError("No module named 'xgboost'"))]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps)
    monkeypatch.setattr(registry.importlib.util, "find_spec", lambda name: None)  # as if torch were absent
    result = invoke("probes", "list")
    assert result.exit_code == 0
    assert "unavailable: torch is not installed (pip install torch)" in result.stdout
    assert (
        "unavailable: the plugin could not be loaded: ImportError: No module named 'xgboost'" in result.stdout
    )
    assert "0 of 2 probes can run here" in result.stdout


# rules test


def test_rules_test_passes(pack: Path):
    cases(pack, "base: {n_rows: 300}\ncases:\n  - {rule: team.small, fired: true}\n"
          "  - {rule: team.small, facts: {n_rows: 600}, fired: false}\n"
          "  - {rule: team.gpu, facts: {has_gpu: true}, fired: true}\n"
          "  - {rule: team.gpu, fired: false}\n")  # fmt: skip
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 0, result.output
    assert (
        "4 cases" in result.stdout and "4 passed, 0 failed" in result.stdout and "note:" not in result.stdout
    )


def test_rules_test_lists_failures_and_exits_1(pack: Path):
    cases(pack, "base: {n_rows: 300}\ncases:\n  - {rule: team.small, facts: {n_rows: 900}, fired: true}\n"
          "  - {rule: scale.tiny-data, facts: {modality: tabular}, fired: false}\n")  # fmt: skip
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 1
    assert "FAIL team.small, case 1 (n_rows=900): expected to fire, but it did not fire" in result.stdout
    assert "FAIL scale.tiny-data, case 2" in result.stdout  # the default pack's rules load too
    assert "note: rule team.gpu has no case that fires and no case that does not fire" in result.stdout


def test_rules_test_checks_the_because_sentence(tmp_path: Path):
    pack = tmp_path / "team.yaml"
    pack.write_text(TEAM.replace("Only {n_rows} rows.", "Only {n_rows} rows, {n_classes} classes."))
    cases(pack, "base: {n_rows: 300}\ncases:\n  - {rule: team.small, fired: true}\n")
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 1 and "'because' shows unknown for n_classes" in result.stdout


def test_rules_test_cases_option(pack: Path, tmp_path: Path):
    other = tmp_path / "elsewhere.yaml"
    other.write_text("cases:\n  - {rule: team.small, facts: {n_rows: 3}, fired: true}\n")
    result = invoke("rules", "test", str(pack), "--cases", str(other))
    assert result.exit_code == 0, result.output


def test_rules_test_on_a_default_pack_file(tmp_path: Path):
    shipped = Path(__file__).resolve().parent.parent / "rules" / "scale.yaml"
    other = tmp_path / "c.yaml"
    other.write_text(
        "cases:\n  - {rule: scale.tiny-data, facts: {n_rows: 10, modality: tabular}, fired: true}\n"
    )
    result = invoke("rules", "test", str(shipped), "--cases", str(other))
    assert result.exit_code == 0, result.output  # not loaded twice (no duplicate-id error)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - {rule: team.smal, fired: true}\n", "no loaded rule has the id 'team.smal' (did you mean 'team.small'?)"),
        ("cases:\n  - {rule: team.small, facts: {nrows: 3}, fired: true}\n", "unknown fact 'nrows' (did you mean 'n_rows'?)"),
        ("cases:\n  - {rule: team.small, facts: {n_rows: many}, fired: true}\n", "fact 'n_rows' is a number"),
        ("cases:\n  - {rule: team.small, fired: maybe}\n", "'fired' must be true or false"),
        ("cases:\n  - {rule: team.small, fire: true}\n", "unknown field 'fire' (did you mean 'fired'?)"),
        ("rules: []\n", "expected a mapping with a 'cases:' list"),
        ("cases: [\n", "team.cases.yaml"),
    ],
)  # fmt: skip
def test_rules_test_bad_case_file_exits_2(pack: Path, text: str, message: str):
    cases(pack, text)
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert "Traceback" not in result.output


def test_rules_test_without_a_case_file_exits_2(pack: Path):
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 2 and "no case file" in result.stderr and "--cases FILE" in result.stderr


def test_rules_test_bad_pack_exits_2(tmp_path: Path):
    pack = tmp_path / "team.yaml"
    pack.write_text("rules:\n  - id: team.x\n")
    cases(pack, "cases: []\n")
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 2 and "team.yaml, rule 'team.x'" in result.stderr


# facts


def test_facts_prints_what_the_rules_see(csv: Path):
    result = invoke("facts", str(csv), "--target", "label", "--interpretability", "required", "--budget", "9")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["n_rows"] == 120 and facts["task"] == "binary" and facts["modality"] == "tabular"
    assert facts["interpretability"] == "required" and facts["budget_seconds"] == 9.0
    assert facts["has_gpu"] is False and facts["text_mean_tokens"] is None


def test_facts_bad_input_exits_2(tmp_path: Path, csv: Path):
    assert invoke("facts", str(tmp_path / "missing.csv")).exit_code == 2
    result = invoke("facts", str(csv), "--target", "nope")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_facts_help_lists_recommends_options():
    result = invoke("facts", "--help")
    assert result.exit_code == 0
    for option in ("--target", "--task", "--interpretability", "--goal", "--budget", "--memory-limit"):
        assert option in result.stdout
    assert "--rope" not in result.stdout
