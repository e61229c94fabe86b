"""The `advisor` command line: thin commands over the Python API.

This module holds the group, ``recommend`` and the exit codes; the other
commands (``rules``, ``probes``, ``facts``) are in advisor/cli_commands.py,
registered on the same group.

Heavy libraries are imported inside the commands, so `advisor --help` and
`advisor --version` start in a fraction of a second.
"""

from __future__ import annotations

import math
import os
import sys
import traceback
from pathlib import Path

import click

from advisor import __version__
from advisor.errors import AdvisorError

FORMATS = ("terminal", "md", "json", "html")
SUFFIX_FORMATS = {
    ".json": "json",
    ".md": "md",
    ".markdown": "md",
    ".txt": "terminal",
    ".html": "html",
    ".htm": "html",
}
MAX_BUDGET_SECONDS = 7 * 24 * 3600  # a week: more is surely a typo (and 1e308 overflows the timers)
MAX_SEED = 2**32 - 1  # numpy's seed range
# Exit codes (README, "Errors"): 0 a full report; 1 an internal error; 2 bad input or options;
# 3 a report was written but Ctrl-C cut the probe stage short; 130 Ctrl-C before any report.
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130
EXIT_CASES_FAILED = 1  # `advisor rules test` (advisor/cli_commands.py): a case did not hold
HELP_FLAGS = frozenset({"-h", "--help"})
DEFAULTS_KEY = "advisor.defaults"  # ctx.meta: the config file's and environment's values (advisor/config.py)
VERSIONS_OF = ("torch", "lightgbm", "pandas")  # --version names these; read from metadata, never imported


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


class _Configured(click.Command):
    """A command whose option defaults come from the config file and ``ADVISOR_*`` variables
    (advisor/config.py: command line > environment > file > built-in). ``--help`` and shell
    completion show the built-in defaults and never read a config file."""

    def make_context(self, info_name, args, parent=None, **extra):
        from advisor.config import load_defaults

        defaults = None
        if not extra.get("resilient_parsing") and not HELP_FLAGS.intersection(args):
            own = frozenset(p.name for p in self.params if p.name)
            defaults = load_defaults(recommend, Path.cwd(), os.environ, only=own)
            extra["default_map"] = defaults.values
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[DEFAULTS_KEY] = defaults
        return ctx


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    lines = [f"advisor {__version__}", f"python {sys.version.split()[0]}"]
    for dist in VERSIONS_OF:
        try:
            lines.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            lines.append(f"{dist} not installed")
    return "\n".join(lines)


def _show_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_versions())
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    "-V",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the versions of advisor, Python, torch, LightGBM and pandas, and exit.",
)
def cli() -> None:
    """Classical ML or deep learning? Profile a dataset, apply the decision
    framework, measure, and get a verdict you can paste into a design doc.

    \b
    Examples:
      advisor recommend data.csv --target churned
      advisor recommend data.csv --format md -o report.md
      advisor rules list
      advisor probes list
      advisor facts data.csv --target churned

    Defaults for recommend's options can live in [tool.advisor] of pyproject.toml, in
    advisor.toml, or in ADVISOR_* variables (ADVISOR_BUDGET=30); see README, "Configuration".
    """


def _format_for(fmt: str | None, output: str | None) -> str:
    if fmt is not None:
        return fmt
    if output:
        for suffix, f in SUFFIX_FORMATS.items():
            if output.lower().endswith(suffix):
                return f
    return "terminal"


@cli.command(cls=_Configured)
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
    "--target-score",
    type=FiniteFloatRange(max=1),
    default=None,
    metavar="FLOAT",
    help="A score to plan for, in the primary metric: the report estimates the training rows each "
    "family needs to reach it, from its learning curve. Example: --target-score 0.95",
)
@click.option(
    "--weights",
    metavar="FILE",
    help="A pretrained image backbone (a torchvision ResNet state dict, .pth) for the image_pretrained "
    "probe; default: the torch hub cache. Never downloaded. Example: --weights resnet18-f37072fd.pth",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Report format (html: one self-contained file, figures inline). Default: terminal, or from the "
    "-o suffix (.md, .json, .html). -o report.md also writes its figures to report_files/.",
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
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run the probe fits (and the profile pass of a file over --memory-limit) on a running Dask "
    'scheduler; needs pip install "advisor[dask]". Example: --cluster tcp://10.0.0.5:8786',
)
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    metavar="N",
    help="Start a Dask LocalCluster of N worker processes on this machine and run there, as --cluster. "
    "Example: --workers 4",
)
@click.option(
    "--confirm-at-scale",
    is_flag=True,
    help="After the probes, train the best GBDT on all rows (lightgbm.dask on a cluster) and report its "
    "measured score next to the learning curve's projection.",
)
@click.option("--no-probes", is_flag=True, help="Profile and apply the rules only; measure nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")
@click.option(
    "--no-color", is_flag=True, help="No colour in the terminal report and progress (also: NO_COLOR=1)."
)
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
    target_score,
    weights,
    fmt,
    output,
    rule_files,
    memory_limit,
    cluster,
    workers,
    confirm_at_scale,
    no_probes,
    quiet,
    no_color,
    debug,
):
    """Profile PATH (CSV, TSV, .gz, Parquet, a folder or glob of such shards, or a
    folder of images or audio clips with one sub-folder per class) and recommend a
    model family, backed by measurements.

    \b
    Examples:
      advisor recommend examples/churn.csv
      advisor recommend data.csv --target label --budget 120 --format md -o report.md
      advisor recommend data.parquet --interpretability required --format json
      advisor recommend images/ --device cuda
      advisor recommend recordings/ --budget 120
      advisor recommend sales.csv --split time --time-column date
    """
    from advisor.pipeline import recommend as run
    from advisor.progress import make_progress

    ctx = click.get_current_context()
    overridden: set[str] = set()
    if output and _configured(ctx, "fmt") and _format_for(None, output) != "terminal":
        fmt = None  # the suffix of -o FILE, typed in this run, beats a configured format
        overridden.add("fmt")  # ...so the report does not claim the configured one was used
    fmt = _format_for(fmt, output)
    try:
        if output:  # before any slow work, and never onto an input
            from advisor.report.write import check_output

            check_output(output, [path, *rule_files, *filter(None, [weights])], figures=fmt == "md")
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
            progress=make_progress(quiet, no_color),
            split=split,
            time_column=time_column,
            group_column=group_column,
            rope=rope,
            target_score=target_score,
            weights=weights,
            cluster=cluster,
            workers=workers,
            confirm_at_scale=confirm_at_scale,
        )
        _emit(_with_settings(report, ctx, overridden), fmt, output, no_color)
    except AdvisorError:
        raise
    except KeyboardInterrupt:
        click.echo("advisor: interrupted before a report could be made; no report written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
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


def _configured(ctx: click.Context, name: str) -> bool:
    """Whether option ``name`` got its value from the config file or the environment."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) is ParameterSource.DEFAULT_MAP


def _with_settings(report, ctx: click.Context, overridden: set[str]):
    """The report with the options this run set away from their defaults, and where from.

    ``overridden``: options whose configured value this run did not use.
    """
    from dataclasses import replace

    from advisor.config import settings_of

    settings = settings_of(ctx, ctx.meta.get(DEFAULTS_KEY), skip=overridden)
    return replace(report, settings=settings)


def _emit(report, fmt: str, output: str | None, no_color: bool = False) -> None:
    if fmt == "json":
        from advisor.report.json_report import render_json

        text = render_json(report)
    elif fmt == "md":
        from advisor.report.markdown import render_markdown, render_markdown_file

        # A file gets its figures beside it, linked; stdout Markdown has none.
        text = render_markdown_file(report, output) if output else render_markdown(report)
    elif fmt == "html":
        from advisor.report.html import render_html

        text = render_html(report)
    elif output:
        from advisor.report.terminal import render_text

        text = render_text(report)
    else:
        from rich.console import Console

        from advisor.report.terminal import print_report

        print_report(report, Console(no_color=True if no_color else None))  # None: rich reads NO_COLOR
        return
    if output:
        from advisor.report.write import write_report

        write_report(output, text)
        from advisor.text import one_line

        click.echo(f"report written to {one_line(output)}", err=True)
    else:
        click.echo(text, nl=False)


from advisor.cli_commands import register  # noqa: E402 - after recommend, whose options facts shares

register(cli, recommend, _Configured)


def main() -> None:
    cli(prog_name="advisor")


if __name__ == "__main__":  # pragma: no cover
    main()
