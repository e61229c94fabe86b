"""Defaults for the options of ``advisor recommend``: a config file and the environment.

Precedence, highest first: the command line, then ``ADVISOR_*`` environment
variables, then the config file, then the built-in defaults.

The config file is the nearest ``advisor.toml``, or ``pyproject.toml`` with a
``[tool.advisor]`` table, found by walking up from the current directory. In
one directory ``advisor.toml`` wins; a ``pyproject.toml`` without the table is
passed over. The walk stops after the first directory that holds ``.git``
(the repository root), or at the filesystem root, so a checkout never picks
up a file from above itself.

The keys are the long names of the options of ``advisor recommend`` without
the dashes (``budget``, ``rules``, ``memory-limit``, ``no-probes``), every
option but ``--output`` (a report's destination belongs to one run). The
environment variable of a key is ``ADVISOR_`` and the key in capitals with
``_`` for ``-`` (``ADVISOR_BUDGET``, ``ADVISOR_MEMORY_LIMIT``); ``ADVISOR_RULES``
lists its files separated by ``os.pathsep``, as ``PATH`` does. Rule packs named
in the file are relative to the file; those in the environment, to the current
directory. Values are checked like the options themselves; a problem is an
``AdvisorError`` naming the file or variable, the key, and what to write.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import click

CONFIG_FILE = "advisor.toml"
PYPROJECT = "pyproject.toml"
ENV_PREFIX = "ADVISOR_"
NOT_CONFIGURABLE = frozenset({"output"})  # a report's destination belongs to one run

Source = Literal["cli", "env", "file"]
SettingValue = bool | int | float | str | list[str]
SOURCE_LABEL: dict[str, str] = {"cli": "command line", "env": "environment", "file": "config file"}


@dataclass(frozen=True)
class SettingSource:
    """One option that is not at its built-in default, and where its value came from."""

    option: str  # as typed on the command line: "--budget"
    value: SettingValue
    source: Source
    origin: str = ""  # the variable (ADVISOR_BUDGET) or the config file's path; "" for the command line


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    table: dict[str, Any]  # advisor.toml's top level, or pyproject.toml's [tool.advisor]

    @property
    def label(self) -> str:
        return f"{self.path} [tool.advisor]" if self.path.name == PYPROJECT else str(self.path)


@dataclass
class Defaults:
    """The option values that the environment and the config file set, by parameter name."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, tuple[Source, str]] = field(default_factory=dict)  # name -> (source, origin)
    file: ConfigFile | None = None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise _error(str(path), f"is not valid TOML ({exc}); fix the file or remove it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(
            str(path), f"cannot be read ({exc.__class__.__name__}: {exc}); fix its permissions"
        ) from None


def read_config(path: Path) -> ConfigFile | None:
    """The advisor table of ``path`` (an advisor.toml or a pyproject.toml), or None when a
    pyproject.toml has no ``[tool.advisor]``."""
    document = _read_toml(path)
    if path.name != PYPROJECT:
        return ConfigFile(path, document)
    tool = document.get("tool", {})
    table = tool.get("advisor") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise _error(f"{path}", "'tool.advisor' must be a table; write [tool.advisor] and keys under it")
    return ConfigFile(path, table)


def find_config(start: Path) -> ConfigFile | None:
    """The nearest config file from ``start`` upwards (see the module docstring), or None."""
    for folder in [start, *start.parents]:
        for name in (CONFIG_FILE, PYPROJECT):
            candidate = folder / name
            if candidate.is_file():
                found = read_config(candidate)
                if found is not None:
                    return found
        if (folder / ".git").exists():
            return None
    return None


def _key(param: click.Parameter) -> str:
    longest = max(param.opts, key=len)
    return longest.lstrip("-")


def configurable(command: click.Command) -> dict[str, click.Option]:
    """Config key -> option, for every option of ``command`` a file or the environment may set."""
    return {
        _key(p): p
        for p in command.params
        if isinstance(p, click.Option) and p.name not in NOT_CONFIGURABLE and p.name != "help"
    }


def env_var(key: str) -> str:
    return ENV_PREFIX + key.upper().replace("-", "_")


def _error(where: str, problem: str) -> click.ClickException:
    from advisor.errors import AdvisorError

    return AdvisorError(f"{where}: {problem}")


def _expected(param: click.Option) -> tuple[tuple[type, ...], str]:
    """The TOML types a key takes, and how to say so."""
    if param.is_flag:
        return (bool,), "true or false"
    if param.multiple:
        return (list,), 'a list of file names, e.g. ["team_rules.yaml"]'
    if isinstance(param.type, click.types.IntParamType):
        return (int,), "a whole number"
    if isinstance(param.type, click.types.FloatParamType):
        return (int, float), "a number"
    if isinstance(param.type, click.Choice):
        return (str,), "one of " + ", ".join(f'"{c}"' for c in param.type.choices)
    return (str,), "a text value in quotes"


def _convert(param: click.Option, raw: Any, where: str, key: str) -> Any:
    try:
        return param.type.convert(raw, param, None)
    except click.BadParameter as exc:
        raise _error(where, f"key '{key}': {exc.message}; fix the value or remove the key") from None


def _from_file(param: click.Option, raw: Any, config: ConfigFile, key: str) -> Any:
    types, wanted = _expected(param)
    wrong = isinstance(raw, bool) and bool not in types
    if wrong or not isinstance(raw, types):
        shown = repr(raw) if len(repr(raw)) <= 60 else repr(raw)[:57] + "..."
        raise _error(config.label, f"key '{key}' must be {wanted}, got {shown}")
    if param.is_flag:
        return raw
    if param.multiple:
        if not all(isinstance(item, str) for item in raw):
            raise _error(config.label, f"key '{key}' must be {wanted}")
        return [str(_resolve(config.path.parent, _convert(param, item, config.label, key))) for item in raw]
    return _convert(param, raw, config.label, key)


def _resolve(base: Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path


def _from_env(param: click.Option, raw: str, name: str, key: str) -> Any:
    if param.multiple:
        return [_convert(param, item, name, key) for item in raw.split(os.pathsep) if item]
    if param.is_flag:
        return _convert_flag(param, raw, name, key)
    return _convert(param, raw, name, key)


def _convert_flag(param: click.Option, raw: str, name: str, key: str) -> bool:
    try:
        return click.BOOL.convert(raw, param, None)
    except click.BadParameter:
        raise _error(name, f"'{raw}' is not a yes or no; write 1 or 0 (true or false)") from None


def load_defaults(
    command: click.Command, start: Path, environ: Mapping[str, str], only: frozenset[str] | None = None
) -> Defaults:
    """The values the config file and the environment give ``command``'s options.

    ``only`` keeps the parameter names another command has (``advisor facts``
    takes a few of ``recommend``'s options); every key is still checked.
    """
    from advisor.engine.matcher import did_you_mean

    options = configurable(command)
    defaults = Defaults(file=find_config(start))
    found: dict[str, tuple[Any, Source, str]] = {}
    if defaults.file is not None:
        for key, raw in defaults.file.table.items():
            if key not in options:
                hint = did_you_mean(str(key), options)
                raise _error(
                    defaults.file.label,
                    f"unknown key '{key}'{hint}; the keys are the options of advisor recommend: "
                    + ", ".join(options),
                )
            value = _from_file(options[key], raw, defaults.file, key)
            found[key] = (value, "file", str(defaults.file.path))
    for key, param in options.items():
        name = env_var(key)
        raw = environ.get(name, "")
        if raw.strip():  # an empty variable counts as unset, as NO_COLOR's convention has it
            found[key] = (_from_env(param, raw.strip(), name, key), "env", name)
    for key, (value, source, origin) in found.items():
        param_name = options[key].name
        if only is not None and param_name not in only:
            continue
        defaults.values[param_name] = value
        defaults.sources[param_name] = (source, origin)
    return defaults


def settings_of(
    ctx: click.Context, defaults: Defaults | None, *, skip: set[str] | frozenset[str] = frozenset()
) -> list[SettingSource]:
    """Every option of the command that ``ctx`` ran whose value is not the built-in default.

    ``skip``: parameter names to leave out (a configured value that this run overrode).
    """
    from click.core import ParameterSource

    settings: list[SettingSource] = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in ("help", None) or param.name in skip:
            continue
        source = ctx.get_parameter_source(param.name)
        if source is ParameterSource.COMMANDLINE:
            where: tuple[Source, str] = ("cli", "")
        elif source is ParameterSource.ENVIRONMENT:
            where = ("env", "")
        elif source is ParameterSource.DEFAULT_MAP and defaults and param.name in defaults.sources:
            where = defaults.sources[param.name]
        else:
            continue
        value = ctx.params[param.name]
        value = [str(v) for v in value] if isinstance(value, tuple | list) else value
        settings.append(SettingSource(max(param.opts, key=len), value, where[0], where[1]))
    return settings
