"""Write a report file atomically: a reader never sees half a report.

``check_output`` validates an ``-o`` path before any slow work, so a typo or
an unwritable folder fails in a second, not after the whole probe budget.

Links are written through: ``-o link.md`` replaces the file the link points
to and keeps the link. Paths under /dev and /proc (``-o /dev/stdout``) and
character devices are streams: they are opened and written, never renamed
over, so a redirected stdout or /dev/null keeps working and stays what it was.
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
# Where a path is a stream the system provides, not a file of the user's.
STREAM_ROOTS = ("/dev/", "/proc/")


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


def is_stream(path: str | Path) -> bool:
    """True for an -o path written by opening it (a system stream or a character device), never by renaming."""
    text = os.path.abspath(path)
    if text.startswith(STREAM_ROOTS) or os.path.realpath(text).startswith(STREAM_ROOTS):
        return True
    try:
        return stat.S_ISCHR(os.stat(text).st_mode)
    except OSError:
        return False


def resolve(path: str | Path) -> Path:
    """The file a report for ``path`` really lands in: links followed, so the link itself survives."""
    return Path(os.path.realpath(path))


def check_output(path: str | Path, inputs: Iterable[str | Path] = (), figures: bool = False) -> None:
    """Refuse an ``-o`` path that is an input or inside an input folder, a folder, a pipe or socket,
    or whose folder is not writable. ``figures``: the report's figure folder (``figures_dir``)
    must obey the same rules."""
    target = Path(path)
    inputs = list(inputs)
    inputs += _shard_folders(inputs)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"cannot write {target} ({_reason(exc)}): {HINT}") from None
    if st is not None:
        _check_existing(target, st, inputs)
    if st is not None and is_stream(target):
        return  # opened and written as it is: there is no folder to create a file in
    _check_inside_inputs(target, inputs)
    _check_folder(resolve(target))
    if figures:
        _check_figures(target, inputs)


FIGURES_SUFFIX = "_files"  # report.md -> report_files/, as browsers save a page's files


def figures_folder(directory: Path, stem: str) -> Path:
    """The folder that holds the figures of the report ``stem`` in ``directory``."""
    return directory / f"{stem}{FIGURES_SUFFIX}"


def figures_dir(path: str | Path) -> Path:
    """Where the figures of ``-o path`` go: beside the file the report lands in (links followed)."""
    real = resolve(path)
    return figures_folder(real.parent, real.stem)


def _check_figures(target: Path, inputs: list[str | Path]) -> None:
    folder = figures_dir(target)
    what = f"the figure folder {folder} of -o {target}"
    _check_inside_inputs(folder, inputs, what)
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return  # made beside the report, whose folder was checked
    except OSError as exc:
        raise InputError(f"cannot write {what} ({_reason(exc)}): {HINT}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {what}: a file of that name is in the way; {HINT} or move that file")
    _check_folder(folder / "figure.png")


def _check_inside_inputs(target: Path, inputs: Iterable[str | Path], what: str = "") -> None:
    """An image folder is data all the way down: a report written inside it would replace or join its files."""
    real = resolve(target)
    for source in inputs:
        try:
            if not stat.S_ISDIR(os.stat(source).st_mode):
                continue
        except OSError:
            continue
        folder = resolve(source)
        if real == folder or folder in real.parents:
            raise InputError(
                f"{what or f'-o {target}'} is inside the input folder {source}; the report would change "
                f"your data: {HINT} outside that folder"
            )


def _shard_folders(inputs: list[str | Path]) -> list[Path]:
    """Every folder a glob input's shards are in: a report written there would join the data."""
    from advisor.io.shards import input_folders

    return [folder for source in inputs for folder in input_folders(source)]


def _check_existing(target: Path, st: os.stat_result, inputs: Iterable[str | Path]) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot write {target}: it is a folder; {HINT} (a file name)")
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode)):
        # Opening a FIFO without a reader blocks; a socket cannot be opened at all.
        raise InputError(
            f"cannot write {target}: it is a pipe or socket, not a file; "
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


def write_report(path: str | Path, text: str) -> None:
    """Write a report to ``-o path``: streamed to a system stream or device, else atomically
    into the file that ``path`` (or the link chain starting at it) names."""
    if os.path.exists(path) and is_stream(path):
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise InputError(f"cannot write {path} ({_reason(exc)}): {HINT}") from None
        return
    write_atomic(resolve(path), text)


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes: a figure) to a temporary file beside ``path`` and rename it into place."""
    target = Path(path)
    directory = _folder(target)  # it may have gone while the probes ran
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
