"""The `advisor` command line: thin commands over the Python API.

Heavy libraries are imported inside the commands, so `advisor --help` and
`advisor --version` start in a fraction of a second.
"""

from __future__ import annotations

import math
import sys
import traceback

import click

from advisor import __version__
from advisor.errors import AdvisorError

FORMATS = ("terminal", "md", "json")
SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".txt": "terminal"}
MAX_BUDGET_SECONDS = 7 * 24 * 3600  # a week: more is surely a typo (and 1e308 overflows the timers)
MAX_SEED = 2**32 - 1  # numpy's seed range
# Exit codes (README, "Errors"): 0 a full report; 1 an internal error; 2 bad input or options;
# 3 a report was written but Ctrl-C cut the probe stage short; 130 Ctrl-C before any report.
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (FloatRange lets nan through, and inf without a max)."""

    def convert(self, value, param, ctx):
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


def _printable_error(exc: click.ClickException) -> None:
    """``exc`` with its message made safe for a terminal: an error can quote a column name, a
    path, a rule's text or an exception's, and none may send an escape sequence to stderr."""
    from advisor.text import printable

    format_message = exc.format_message
    exc.format_message = lambda: printable(format_message())  # type: ignore[method-assign]


class _Group(click.Group):
    """The top-level group: every ClickException (usage errors, AdvisorError, internal errors)
    raised while parsing or running a command is printed through ``printable``."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as exc:
            _printable_error(exc)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _printable_error(exc)
            raise


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="advisor")
def cli() -> None:
    """Classical ML or deep learning? Profile a dataset, apply the decision
    framework, measure, and get a verdict you can paste into a design doc.

    \b
    Examples:
      advisor recommend data.csv --target churned
      advisor recommend data.csv --format md -o report.md
      advisor rules list
    """


def _format_for(fmt: str | None, output: str | None) -> str:
    if fmt is not None:
        return fmt
    if output:
        for suffix, f in SUFFIX_FORMATS.items():
            if output.lower().endswith(suffix):
                return f
    return "terminal"


@cli.command()
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--target",
    "-t",
    metavar="COLUMN",
    help="Target column. Default: a conventional name (target, label, class, y, ...), else the last column.",
)
@click.option(
    "--task", type=click.Choice(["binary", "multiclass", "regression"]), help="Override the inferred task."
)
@click.option(
    "--interpretability",
    type=click.Choice(["required", "preferred", "any"]),
    default="any",
    show_default=True,
    help="How much the model must be explainable.",
)
@click.option(
    "--goal",
    type=click.Choice(["predict", "explain"]),
    default="predict",
    show_default=True,
    help="Pure prediction, or explanation and insight.",
)
@click.option(
    "--budget",
    type=FiniteFloatRange(min=1, max=MAX_BUDGET_SECONDS),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Wall-clock budget for the whole probe stage.",
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Where the neural probes run.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    metavar="INTEGER",
    default=0,
    show_default=True,
    help="Seed for every random choice (splits, samples, models).",
)
@click.option(
    "--split",
    type=click.Choice(["auto", "random", "time", "group"]),
    default="auto",
    show_default=True,
    help="How held-out folds are made: auto follows a detected time order, else a repeated entity, "
    "else random (stratified) folds. Example: --split time",
)
@click.option(
    "--time-column",
    metavar="NAME",
    help="The column that orders rows in time (forward-chaining folds); overrides detection. "
    "Example: --time-column date",
)
@click.option(
    "--group-column",
    metavar="NAME",
    help="The entity whose rows stay on one side of every fold (a customer, a patient); overrides "
    "detection. Example: --group-column customer_id",
)
@click.option(
    "--rope",
    type=FiniteFloatRange(min=0, max=1, max_open=True),
    default=0.01,
    show_default=True,
    metavar="FLOAT",
    help="Region of practical equivalence: probes closer than this in the primary metric count as "
    "equivalent. Example: --rope 0.02",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Report format. Default: terminal, or from the -o suffix (.md, .json).",
)
@click.option(
    "--target-score",
    type=FiniteFloatRange(),
    default=None,
    metavar="FLOAT",
    help="A score to plan for, in the primary metric: the report estimates the training rows each "
    "family needs to reach it, from its learning curve. Example: --target-score 0.95",
)
@click.option(
    "--output", "-o", metavar="FILE", help="Write the report to FILE (atomically) instead of stdout."
)
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    metavar="FILE",
    help="A team rule pack (YAML) to add to the defaults; repeatable.",
)
@click.option(
    "--memory-limit",
    type=FiniteFloatRange(min=1),
    default=None,
    metavar="MB",
    help="Stream files larger than this instead of loading them. Default: a quarter of RAM.",
)
@click.option("--no-probes", is_flag=True, help="Profile and apply the rules only; measure nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def recommend(
    path,
    target,
    task,
    interpretability,
    goal,
    budget,
    device,
    seed,
    split,
    time_column,
    group_column,
    rope,
    fmt,
    output,
    rule_files,
    memory_limit,
    no_probes,
    quiet,
    debug,
):
    target_score,
    """Profile PATH (CSV, TSV, .gz, Parquet, or an image folder with one
    sub-folder per class) and recommend a model family, backed by measurements.

    \b
    Examples:
      advisor recommend examples/churn.csv
      advisor recommend data.csv --target label --budget 120 --format md -o report.md
      advisor recommend data.parquet --interpretability required --format json
      advisor recommend images/ --device cuda
      advisor recommend sales.csv --split time --time-column date
    """
    from advisor.pipeline import recommend as run
    from advisor.progress import make_progress

    fmt = _format_for(fmt, output)
    try:
        if output:  # before any slow work, and never onto an input
            from advisor.report.write import check_output

            check_output(output, [path, *rule_files])
        report = run(
            path,
            target=target,
            task=task,
            interpretability=interpretability,
            goal=goal,
            budget=budget,
            device=device,
            seed=seed,
            rules=rule_files,
            memory_limit_mb=memory_limit,
            probes=not no_probes,
            progress=make_progress(quiet),
            split=split,
            time_column=time_column,
            group_column=group_column,
            rope=rope,
        )
        _emit(report, fmt, output)
    except AdvisorError:
        raise
    except KeyboardInterrupt:
        click.echo("advisor: interrupted before a report could be made; no report written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
            target_score=target_score,
        if debug:
            traceback.print_exc()
        raise click.ClickException(
            f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback, and report it)"
        ) from None
    if _interrupted(report):
        click.echo(
            "advisor: the probe stage was interrupted (Ctrl-C): the report is partial, exit code 3", err=True
        )
        sys.exit(EXIT_PARTIAL)


def _interrupted(report) -> bool:
    """Whether Ctrl-C cut a probe stage short (a probe out of budget is partial, not interrupted)."""
    return bool(report.probe_stage and report.probe_stage.interrupted)


def _emit(report, fmt: str, output: str | None) -> None:
    if fmt == "json":
        from advisor.report.json_report import render_json

        text = render_json(report)
    elif fmt == "md":
        from advisor.report.markdown import render_markdown

        text = render_markdown(report)
    elif output:
        from advisor.report.terminal import render_text

        text = render_text(report)
    else:
        from rich.console import Console

        from advisor.report.terminal import print_report

        print_report(report, Console())
        return
    if output:
        from advisor.report.write import write_report

        write_report(output, text)
        from advisor.text import one_line

        click.echo(f"report written to {one_line(output)}", err=True)
    else:
        click.echo(text, nl=False)


@cli.group()
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


def _load_rules_safely(load_rules, rule_files):
    """``load_rules`` with the same last line of defence as ``recommend``: one line, never a traceback."""
    try:
        return load_rules(list(rule_files))
    except AdvisorError:
        raise
    except KeyboardInterrupt:
        click.echo("advisor: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - no traceback for users
        raise click.ClickException(
            f"internal error while loading rules: {type(exc).__name__}: {exc} (please report it)"
        ) from None


def main() -> None:
    cli(prog_name="advisor")


if __name__ == "__main__":  # pragma: no cover
    main()
