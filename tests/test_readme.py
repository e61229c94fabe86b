"""README's usage must match the CLI, and its two commands must stay as CI runs them."""

import re
from pathlib import Path

from advisor.readme_help import readme_block, recommend_help

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_help_block_matches_the_cli():
    assert readme_block(README) == recommend_help(), "README is stale: run `python -m advisor.readme_help`"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in README and "python -m pytest" in ci
    # CI may add extras to README's dev install (figures, ...): the dev extra must be among them.
    assert 'pip install -e ".[dev]"' in README and re.search(r'-e "\.\[dev(,[\w-]+)*\]"', ci)


def test_readme_example_ships_with_the_repo():
    assert "advisor recommend examples/churn.csv" in README
    assert (ROOT / "examples" / "churn.csv").is_file()
