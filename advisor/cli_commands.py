"""The commands beside ``recommend``: ``rules list|show|test``, ``probes list`` and ``facts``.

``register`` puts them on the ``advisor`` group (advisor/cli.py), which holds the
exit codes and the config-reading command class. Heavy libraries are imported
inside the commands, so ``advisor --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from advisor.errors import AdvisorError


def register(cli: click.Group, recommend: click.Command, configured: type[click.Command]) -> None:
    """Add the commands to ``cli``; ``facts`` takes recommend's own options and config defaults."""
    cli.add_command(rules)
    cli.add_command(probes)
    command = cli.command("facts", cls=configured)(facts)
    # The same Option objects as recommend's: one help text, one check, one config key per option.
    command.params += [p for p in recommend.params if p.name in FACTS_OPTIONS]


@click.group()
def rules() -> None:
    """List and explain the rules behind the verdicts.

    \b
    Examples:
      advisor rules list
      advisor rules show scale.tiny-data
      advisor rules list --rules team_rules.yaml
    """


@rules.command("list")
@click.option(
    "--rules", "rule_files", multiple=True, metavar="FILE", help="Also load this team rule pack; repeatable."
)
def rules_list(rule_files):
    """List every rule: id, category, title and effects on the families."""
    from advisor.engine.loader import load_rules
    from advisor.engine.render import summarize_rule
    from advisor.text import printable

    loaded = _load_rules_safely(load_rules, rule_files)
    width = max(len(r.id) for r in loaded) if loaded else 0
    for r in loaded:  # a team rule's id, title and text are user data: no escape sequence gets through
        click.echo(printable(summarize_rule(r).replace(r.id, r.id.ljust(width), 1), keep=""))
    click.echo(f"\n{len(loaded)} rules. Details: advisor rules show ID")


@rules.command("show")
@click.argument("rule_id")
@click.option(
    "--rules", "rule_files", multiple=True, metavar="FILE", help="Also load this team rule pack; repeatable."
)
def rules_show(rule_id, rule_files):
    """Show one rule: condition, effects, explanation and source."""
    from advisor.engine.loader import load_rules
    from advisor.engine.render import describe_rule, find_rule
    from advisor.text import printable

    click.echo(printable(describe_rule(find_rule(_load_rules_safely(load_rules, rule_files), rule_id))))


@contextlib.contextmanager
def _last_line_of_defence(what: str = ""):
    """The same last line of defence as ``recommend``: an unexpected error is one line
    (``internal error<what>: ...``), Ctrl-C exits quietly, never a traceback."""
    try:
        yield
    except AdvisorError:
        raise
    except KeyboardInterrupt:
        from advisor.cli import EXIT_INTERRUPTED

        click.echo("advisor: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - no traceback for users
        raise click.ClickException(
            f"internal error{what}: {type(exc).__name__}: {exc} (please report it)"
        ) from None


def _load_rules_safely(load_rules, rule_files):
    """``load_rules`` behind the last line of defence."""
    with _last_line_of_defence(" while loading rules"):
        return load_rules(list(rule_files))


@rules.command("test")
@click.argument("pack", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--cases",
    "cases_file",
    metavar="FILE",
    help="The case file. Default: beside PACK, its name with .cases.yaml (team.yaml -> team.cases.yaml).",
)
def rules_test(pack, cases_file):
    """Run the test cases of the rule pack PACK: facts in, fired or not out. The pack loads
    after the default pack, as --rules does. Exit code 0 when every case holds, 1 when one
    fails (each listed with the rule, the case, expected and got), 2 for a broken file.

    \b
    Examples:
      advisor rules test team_rules.yaml
      advisor rules test team_rules.yaml --cases tests/team_cases.yaml
    """
    from advisor.engine.cases import cases_file_for, describe_failure, read_cases, run_cases, untested
    from advisor.engine.loader import default_rule_files, load_rule_file, load_rules
    from advisor.text import printable

    pack_path = Path(pack)
    # A default-pack file is loaded already: adding it again would define its ids twice.
    shipped = pack_path.is_file() and any(_same_file(pack_path, f) for f in default_rule_files())
    loaded = _load_rules_safely(load_rules, [] if shipped else [pack])
    cases_path = Path(cases_file) if cases_file else cases_file_for(pack_path)
    if not cases_path.is_file():
        raise AdvisorError(
            f"no case file {cases_path}: write one beside the pack (docs/rules.md, 'Testing a pack') "
            "or name it with --cases FILE"
        )
    table = read_cases(cases_path)
    results = run_cases(loaded, table)
    failed = [r for r in results if not r.passed]
    for result in failed:
        click.echo(printable(f"FAIL {describe_failure(result)}"))
    for rule_id, missing in untested([r.id for r in load_rule_file(pack_path)], table).items():
        click.echo(
            printable(f"note: rule {rule_id} has no {' and no '.join(m.removeprefix('a ') for m in missing)}")
        )
    click.echo(
        printable(
            f"{len(results)} cases in {cases_path}: {len(results) - len(failed)} passed, {len(failed)} failed"
        )
    )
    if failed:
        from advisor.cli import EXIT_CASES_FAILED

        sys.exit(EXIT_CASES_FAILED)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


@click.group()
def probes() -> None:
    """The probes that measure each model family (built-in and plugins).

    \b
    Examples:
      advisor probes list
      advisor probes list --format json
    """


@probes.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def probes_list(fmt):
    """List every registered probe: name, family, the data and tasks it handles, the optional
    libraries it needs, and whether it can run here (and if not, why)."""
    from dataclasses import asdict

    from advisor.probing.registry import probe_catalog
    from advisor.text import printable

    entries = probe_catalog()
    if fmt == "json":
        import json

        click.echo(json.dumps([asdict(e) for e in entries], indent=2, ensure_ascii=True))
        return
    rows = [("NAME", "FAMILY", "DATA", "TASKS", "NEEDS", "STATUS")]
    for e in entries:
        status = "available" if e.available else f"unavailable: {e.why_not}"
        rows.append((e.name, e.family or "-", ",".join(e.modalities) or "-", ",".join(e.tasks) or "-",
                     ",".join(e.needs) or "-", status))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:  # a plugin's names and messages are not ours: no escape sequence gets through
        click.echo(
            printable(
                "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1], keep=""
            )
        )
    usable = sum(e.available for e in entries)
    click.echo(f"\n{usable} of {len(entries)} probes can run here. Plugins register under the "
               "'advisor.probes' entry point (docs/probes.md).")  # fmt: skip


FACTS_OPTIONS = ("target", "task", "interpretability", "goal", "budget", "memory_limit")


@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
def facts(path, target, task, interpretability, goal, budget, memory_limit):
    """Print the facts the rules see for PATH, as JSON, to write rules and their test
    cases against. Only profiles, as recommend --no-probes does: nothing is measured and
    torch is not loaded, so has_gpu is false.

    \b
    Examples:
      advisor facts data.csv --target churned
      advisor facts data.csv --interpretability required > facts.json
    """
    import json
    import math

    from advisor.pipeline import recommend as run

    with _last_line_of_defence():
        report = run(path, target=target, task=task, interpretability=interpretability, goal=goal,
                     budget=budget, memory_limit_mb=memory_limit, probes=False)  # fmt: skip
    clean = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in report.prior.facts.items()
    }
    # ensure_ascii: as \uXXXX escapes, no column name reaches the terminal raw.
    click.echo(json.dumps(clean, indent=2, ensure_ascii=True))
