"""Write a report file atomically: a reader never sees half a report.

``check_output`` validates an ``-o`` path before any slow work, so a typo or
an unwritable folder fails in a second, not after the whole probe budget.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from advisor.errors import InputError

HINT = "choose another -o path"


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _folder(target: Path) -> Path:
    """The folder ``target`` goes in; raise when it is not an existing folder."""
    directory = target.parent if str(target.parent) else Path(".")
    try:
        is_dir = stat.S_ISDIR(os.stat(directory).st_mode)
    except FileNotFoundError:
        is_dir = False
    except OSError as exc:
        raise InputError(f"cannot write {target} ({_reason(exc)} for {directory}): {HINT}") from None
    if not is_dir:
        raise InputError(f"cannot write {target}: folder {directory} does not exist; create it or {HINT}")
    return directory


def check_output(path: str | Path, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse an ``-o`` path that is an input, a folder or a device, or whose folder is not writable."""
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"cannot write {target} ({_reason(exc)}): {HINT}") from None
    if st is not None:
        _check_existing(target, st, inputs)
    _check_folder(target)


def _check_existing(target: Path, st: os.stat_result, inputs: Iterable[str | Path]) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {target}: it is a folder; {HINT} (a file name)")
    if not stat.S_ISREG(st.st_mode):
        # os.replace would swap a device node or pipe for a plain file.
        raise InputError(
            f"cannot write {target}: it is not a regular file (a pipe, socket or device); "
            f"{HINT}, or leave -o out to print the report"
        )
    for source in inputs:
        try:
            st_in = os.stat(source)
        except OSError:
            continue  # a missing input is reported by the input checks
        if (st_in.st_dev, st_in.st_ino) == (st.st_dev, st.st_ino):  # also through links
            raise InputError(
                f"-o {target} is the input file {source}; the report would overwrite your data: {HINT}"
            )


def _check_folder(target: Path) -> None:
    """Create and remove a temporary file where the report will go: the only reliable writability test."""
    directory = _folder(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write {target} ({_reason(exc)} in {directory}): {HINT}") from None
    os.close(fd)
    _discard(tmp)


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    target = Path(path)
    directory = _folder(target)  # it may have gone while the probes ran
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))  # mkstemp made it private (0600)
        os.replace(tmp, target)
    except OSError as exc:
        _discard(tmp)
        raise InputError(f"cannot write {target} ({_reason(exc)}): {HINT}") from None
    except BaseException:
        _discard(tmp)
        raise


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, else what a plain ``open`` would give under the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _discard(tmp: str | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
