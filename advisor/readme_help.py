"""Keep README's usage block equal to `advisor recommend --help`.

``python -m advisor.readme_help`` rewrites the block between the
``<!-- help:recommend -->`` markers; tests/test_readme.py fails when it is stale.
"""

from __future__ import annotations

import re
from pathlib import Path

HELP_WIDTH = 100
BLOCK = re.compile(r"(<!-- help:recommend -->\n```\n)(.*?)(```\n<!-- /help:recommend -->)", re.S)


def recommend_help() -> str:
    from click.testing import CliRunner

    from advisor.cli import cli

    result = CliRunner().invoke(cli, ["recommend", "--help"], prog_name="advisor", terminal_width=HELP_WIDTH)
    return result.output


def readme_block(readme: str) -> str | None:
    m = BLOCK.search(readme)
    return m.group(2) if m else None


def update(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(BLOCK.sub(lambda m: m.group(1) + recommend_help() + m.group(3), text), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    update(Path(__file__).resolve().parent.parent / "README.md")
