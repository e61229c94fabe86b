"""Errors the user can act on.

Every failure caused by the input or the options is an ``AdvisorError``: the
CLI prints its one-line message and exits with code 2, never a traceback.
Messages say what is wrong and what to do.
"""

from __future__ import annotations

import click

MAX_MESSAGE_CHARS = 600  # a 100 KB column name quoted in a message must not flood the terminal


class AdvisorError(click.ClickException):
    """A problem with the user's input or options (exit code 2)."""

    exit_code = 2

    def format_message(self) -> str:
        """One line, cut in the middle when too long, so the closing "what to do" stays."""
        text = " ".join(self.message.split("\n"))
        if len(text) <= MAX_MESSAGE_CHARS:
            return text
        head = MAX_MESSAGE_CHARS * 2 // 3
        return f"{text[:head]} … {text[-(MAX_MESSAGE_CHARS - head - 3) :]}"


class InputError(AdvisorError):
    """The data file cannot be read or is unusable as given."""


class TargetError(AdvisorError):
    """The target column is missing, unknown or unusable."""


class RuleError(AdvisorError):
    """A rule file is malformed; the message names file, rule id and field."""

    def __init__(self, file: str, rule_id: str | None, field: str | None, problem: str):
        where = file
        if rule_id:
            where += f", rule '{rule_id}'"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.file, self.rule_id, self.field, self.problem = file, rule_id, field, problem


class ProbeInterrupted(Exception):
    """Raised inside the probe stage when the user presses Ctrl-C."""
