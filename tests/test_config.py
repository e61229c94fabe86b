"""Defaults from advisor.toml, [tool.advisor] and ADVISOR_* variables; the report says where each came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli, recommend
from advisor.config import env_var, find_config, load_defaults
from advisor.errors import AdvisorError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository as the current directory, with no ADVISOR_* variable from outside."""
    for name in list(os.environ):
        if name.startswith("ADVISOR_"):
            monkeypatch.delenv(name)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def csv(project: Path) -> Path:
    lines = ["x,y,label"] + [f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(120)]
    path = project / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _defaults(start: Path, env: dict[str, str] | None = None):
    return load_defaults(recommend, start, env or {})


def test_advisor_toml_is_found_walking_up(project: Path):
    (project / "advisor.toml").write_text("budget = 5\n")
    sub = project / "a" / "b"
    sub.mkdir(parents=True)
    found = find_config(sub)
    assert found is not None and found.path == project / "advisor.toml"
    assert _defaults(sub).values == {"budget": 5.0}


def test_pyproject_needs_a_tool_advisor_table(project: Path):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(project) is None
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.advisor]\nseed = 7\n')
    found = find_config(project)
    assert found is not None and found.label.endswith("pyproject.toml [tool.advisor]")
    assert _defaults(project).values == {"seed": 7}


def test_advisor_toml_wins_over_pyproject_in_one_folder(project: Path):
    (project / "pyproject.toml").write_text("[tool.advisor]\nseed = 7\n")
    (project / "advisor.toml").write_text("seed = 8\n")
    assert _defaults(project).values == {"seed": 8}


def test_the_search_stops_at_the_repository_root(tmp_path: Path, project: Path):
    (tmp_path / "advisor.toml").write_text("seed = 9\n")  # above the .git folder: not ours
    assert find_config(project) is None


def test_rule_packs_are_relative_to_the_config_file(project: Path):
    (project / "advisor.toml").write_text('rules = ["team.yaml", "/abs/other.yaml"]\n')
    sub = project / "deep"
    sub.mkdir()
    assert _defaults(sub).values["rule_files"] == [str(project / "team.yaml"), "/abs/other.yaml"]


def test_environment_beats_the_file(project: Path):
    (project / "advisor.toml").write_text('budget = 5\ninterpretability = "required"\n')
    d = _defaults(project, {"ADVISOR_BUDGET": "7", "ADVISOR_SEED": " ", "ADVISOR_NO_PROBES": "yes"})
    assert d.values == {"budget": 7.0, "interpretability": "required", "no_probes": True}
    assert d.sources["budget"] == ("env", "ADVISOR_BUDGET")
    assert d.sources["interpretability"] == ("file", str(project / "advisor.toml"))


def test_rules_variable_splits_on_the_path_separator(project: Path):
    d = _defaults(project, {"ADVISOR_RULES": os.pathsep.join(["a.yaml", "b.yaml"])})
    assert d.values["rule_files"] == ["a.yaml", "b.yaml"]


def test_env_var_names():
    assert env_var("memory-limit") == "ADVISOR_MEMORY_LIMIT" and env_var("budget") == "ADVISOR_BUDGET"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("budgt = 5\n", "unknown key 'budgt' (did you mean 'budget'"),
        ("output = 'r.md'\n", "unknown key 'output'"),
        ("budget = 'x'\n", "key 'budget' must be a number, got 'x'"),
        ("budget = 0\n", "key 'budget': 0"),
        ("seed = 1.5\n", "key 'seed' must be a whole number"),
        ("seed = true\n", "key 'seed' must be a whole number"),
        ("quiet = 1\n", "key 'quiet' must be true or false"),
        ("interpretability = 'some'\n", "key 'interpretability': 'some' is not one of"),
        ("rules = 'team.yaml'\n", "key 'rules' must be a list of file names"),
        ("budget = \n", "is not valid TOML"),
    ],
)
def test_bad_file_values_name_the_file_and_key(project: Path, text: str, expected: str):
    (project / "advisor.toml").write_text(text)
    with pytest.raises(AdvisorError, match="advisor.toml") as info:
        _defaults(project)
    assert expected in info.value.message


def test_bad_environment_value_names_the_variable(project: Path):
    with pytest.raises(AdvisorError, match="ADVISOR_SEED: key 'seed'"):
        _defaults(project, {"ADVISOR_SEED": "-1"})
    with pytest.raises(AdvisorError, match="ADVISOR_QUIET: 'maybe' is not a yes or no"):
        _defaults(project, {"ADVISOR_QUIET": "maybe"})


def test_cli_env_file_precedence_is_recorded_in_the_report(csv: Path, project: Path):
    (project / "advisor.toml").write_text('budget = 5\ngoal = "explain"\nseed = 2\n')
    result = CliRunner().invoke(
        cli,
        ["recommend", str(csv), "--no-probes", "--format", "json", "-q", "--seed", "4"],
        env={"ADVISOR_GOAL": "predict", "ADVISOR_ROPE": "0.02"},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    k = report["constraints"]
    assert (k["budget_seconds"], k["goal"], k["seed"], k["rope"]) == (5.0, "predict", 4, 0.02)
    where = {s["option"]: (s["source"], s["origin"]) for s in report["settings"]}
    assert where["--budget"] == ("file", str(project / "advisor.toml"))
    assert where["--goal"] == ("env", "ADVISOR_GOAL")
    assert where["--seed"] == ("cli", "")
    assert "--device" not in where  # built-in defaults are not listed


def test_settings_line_in_markdown(csv: Path, project: Path):
    (project / "advisor.toml").write_text("budget = 5\n")
    result = CliRunner().invoke(cli, ["recommend", str(csv), "--no-probes", "--format", "md", "-q"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "Settings not at their defaults" in x)
    assert "`--budget 5.0` (config file" in line and "`--no-probes` (command line)" in line


def test_format_from_the_file_gives_way_to_the_output_suffix(csv: Path, project: Path):
    (project / "advisor.toml").write_text('format = "md"\n')
    out = project / "r.json"
    result = CliRunner().invoke(cli, ["recommend", str(csv), "--no-probes", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["settings"] is not None
    # The configured md was not used: the report must not list it as a setting of this run.
    assert "--format" not in {s["option"] for s in report["settings"]}


def test_bad_config_is_one_line_exit_2_but_help_still_works(csv: Path, project: Path):
    (project / "advisor.toml").write_text("budget = -3\n")
    result = CliRunner().invoke(cli, ["recommend", str(csv), "--no-probes"])
    assert result.exit_code == 2
    assert "advisor.toml: key 'budget'" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert CliRunner().invoke(cli, ["recommend", "--help"]).exit_code == 0
    assert CliRunner().invoke(cli, ["rules", "list"]).exit_code == 0  # only recommend and facts read it


def test_facts_reads_the_options_it_has(csv: Path, project: Path):
    (project / "advisor.toml").write_text('interpretability = "required"\nrope = 0.05\n')
    result = CliRunner().invoke(cli, ["facts", str(csv)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["interpretability"] == "required"
