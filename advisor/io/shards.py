"""A table stored as many files: a folder of CSV or Parquet shards, a glob, Hive-partitioned folders.

``find_dataset`` turns what the user passed into a ``Dataset``: its shards in
a stable (sorted) order, their format, and the partition columns that
``key=value`` folders name (``year=2024/...``), typed from their values.
``check_schemas`` refuses shards whose columns differ, naming both files.
Reading lives in ``advisor.io.dataset``; nothing here opens more than a
file's head.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from advisor.errors import InputError
from advisor.io.sniff import PARQUET_EXTENSIONS, Sniffed, clip

CSV_EXTENSIONS = (".csv", ".tsv", ".csv.gz", ".tsv.gz")  # not .txt: notes and logs sit beside data
GLOB_CHARS = frozenset("*?[")
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # what Spark and Hive write for a missing partition value
MAX_SHARDS = 100_000  # a folder walk stops here: beyond it, the user passed the wrong folder
MAX_LISTED = 3  # columns named in a schema-mismatch message
_INTEGER = re.compile(r"-?\d{1,18}\Z")  # fits int64; Python's int() would also take "1_000" and " 3"
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")

ShardFormat = Literal["csv", "parquet"]
PartitionType = Literal["int64", "float64", "string"]


@dataclass(frozen=True)
class Partition:
    """A column named by ``key=value`` folders: its values per shard (None: Hive's missing value)."""

    name: str
    type: PartitionType
    values: tuple[int | float | str | None, ...]  # one per shard, in shard order


@dataclass(frozen=True)
class Dataset:
    """The shards of one table, read as one."""

    spec: str  # what the user passed: a folder or a glob
    root: Path  # the folder the shards and partition folders are under
    format: ShardFormat
    shards: tuple[Path, ...]  # sorted
    partitions: tuple[Partition, ...]  # in folder order (outermost first)

    def folders(self) -> list[Path]:
        """Every folder holding a shard, and the root: a report must be written outside all of them."""
        return sorted({self.root, *(p.parent for p in self.shards)})


def is_glob(path: str | Path) -> bool:
    """A pattern (``data/part-*.parquet``) rather than a file that happens to have ``*`` in its name."""
    text = str(path)
    return any(c in GLOB_CHARS for c in text) and not os.path.lexists(text)


def has_shards(folder: str | Path) -> bool:
    """True for a folder with at least one CSV or Parquet file anywhere below it."""
    return any(True for _ in _walk(Path(folder), limit=1))


def is_dataset(path: str | Path) -> bool:
    """A glob, or a folder with data files below it (an image folder is asked about first)."""
    return is_glob(path) or (Path(path).is_dir() and has_shards(path))


def glob_folder(path: str | Path) -> Path | None:
    """For a glob: the folder it starts in, once it matches shards (``InputError`` when none); else None."""
    return find_dataset(path).root if is_glob(path) else None


def input_folders(path: str | Path) -> list[Path]:
    """The folders a glob's shards live in (the root when nothing matches); [] for anything else.

    A folder passed as such is already an input folder; a glob names none itself.
    """
    if not is_glob(path):
        return []
    try:
        return find_dataset(path).folders()
    except InputError:
        return [_glob_root(str(path))]


def find_dataset(path: str | Path) -> Dataset:
    """The shards ``path`` (a folder or a glob) names; ``InputError`` when none, or formats mixed."""
    spec = str(path)
    if is_glob(spec):
        matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
        files = [p for p in matches if _shard_format(p) is not None]
        if not files:
            if not matches and not any(c in spec for c in "*?"):
                # Only brackets: more likely a missing file whose name holds "[" than a pattern.
                raise InputError(
                    f"{spec} does not exist: check the path (a CSV, TSV or Parquet file, a folder "
                    "or glob of shards, or a folder of images or audio clips)"
                )
            what = f"{len(matches)} file(s), none of them CSV or Parquet" if matches else "no files"
            raise InputError(
                f"the pattern {clip(spec)} matches {what}: check the pattern (quote it so the shell "
                "does not expand it) or pass the folder that holds the shards"
            )
        root = _glob_root(spec)
    else:
        root = Path(spec)
        files = sorted(_walk(root, limit=MAX_SHARDS + 1))
        if not files:
            raise InputError(
                f"{spec} holds no CSV, TSV or Parquet files and is not an image folder: pass a data file, "
                "a folder of shards, or a folder with one sub-folder of images per class"
            )
        if len(files) > MAX_SHARDS:
            raise InputError(
                f"{spec} holds more than {MAX_SHARDS:,} data files: pass the folder of one table, "
                "or a glob such as 'data/part-*.parquet'"
            )
    formats = {p: _shard_format(p) for p in files}
    if len(set(formats.values())) > 1:
        csv_file = next(p for p, f in formats.items() if f == "csv")
        parquet_file = next(p for p, f in formats.items() if f == "parquet")
        raise InputError(
            f"{spec} mixes CSV and Parquet files ({csv_file} and {parquet_file}): "
            "pass a glob that picks one format, e.g. '*.parquet'"
        )
    fmt = formats[files[0]]
    assert fmt is not None  # every file was filtered on its format
    return Dataset(spec, root, fmt, tuple(files), _partitions(root, files))


def check_schemas(dataset: Dataset, sniffs: list[Sniffed], names: list[list[str]]) -> None:
    """Refuse shards whose column names differ from the first shard's, or collide with a partition column.

    ``names``: each shard's column names, in shard order (the header of a CSV,
    the schema of a Parquet file).
    """
    first, reference = dataset.shards[0], names[0]
    for shard, columns in zip(dataset.shards[1:], names[1:], strict=True):
        if columns == reference:
            continue
        missing = [c for c in reference if c not in columns]
        extra = [c for c in columns if c not in reference]
        if missing or extra:
            parts = [f"{_listing(missing)} only in {first.name}"] if missing else []
            parts += [f"{_listing(extra)} only in {shard.name}"] if extra else []
            detail = "; ".join(parts)
        else:
            detail = "the same columns in another order"
        raise InputError(
            f"the shards {first} and {shard} have different columns ({detail}): "
            "export every shard with the same columns, or pass a glob that picks the shards of one table"
        )
    taken = set(reference)
    for partition in dataset.partitions:
        if partition.name in taken:
            raise InputError(
                f"the partition folders ({partition.name}=...) name a column that {first.name} also holds: "
                "rename the folders or drop the column from the files"
            )
    if dataset.format == "csv":
        dialects = {(s.delimiter, s.encoding, s.decimal_point) for s in sniffs}
        if len(dialects) > 1:
            other = next(
                s for s in sniffs if (s.delimiter, s.encoding) != (sniffs[0].delimiter, sniffs[0].encoding)
            )
            raise InputError(
                f"the shards {sniffs[0].path} and {other.path} differ in delimiter or encoding "
                f"({sniffs[0].delimiter!r}, {sniffs[0].encoding} vs {other.delimiter!r}, {other.encoding}): "
                "export every shard the same way"
            )


def _walk(root: Path, *, limit: int):
    """Data files under ``root``, skipping hidden and ``_``-prefixed names (``_SUCCESS``, ``.crc``)."""
    found = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            path = Path(folder) / name
            if not name.startswith((".", "_")) and _shard_format(path) is not None:
                yield path
                found += 1
                if found >= limit:
                    return


def _shard_format(path: Path) -> ShardFormat | None:
    name = path.name.lower()
    if name.endswith(PARQUET_EXTENSIONS):
        return "parquet"
    if name.endswith(CSV_EXTENSIONS):
        return "csv"
    return None


def _glob_root(spec: str) -> Path:
    """The folder above the first path part with a wildcard (partition folders start below it)."""
    fixed: list[str] = []
    for part in Path(spec).parts[:-1]:
        if any(c in GLOB_CHARS for c in part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _partitions(root: Path, files: list[Path]) -> tuple[Partition, ...]:
    """The ``key=value`` folders between ``root`` and each shard; every shard must have the same keys."""
    per_file = [_keys(root, p) for p in files]
    keys = [k for k, _ in per_file[0]]
    for path, pairs in zip(files, per_file, strict=True):
        if [k for k, _ in pairs] != keys:
            raise InputError(
                f"the shards {files[0]} and {path} sit in different partition folders "
                f"({'/'.join(keys) or 'none'} vs {'/'.join(k for k, _ in pairs) or 'none'}): "
                "every shard of a Hive-partitioned table needs the same key=value folders"
            )
    return tuple(_typed(key, [pairs[i][1] for pairs in per_file]) for i, key in enumerate(keys))


def _keys(root: Path, path: Path) -> list[tuple[str, str]]:
    try:
        parts = path.parent.relative_to(root).parts
    except ValueError:  # a glob such as */x.csv: the root is above every match
        parts = path.parent.parts
    pairs = []
    for part in parts:
        key, sep, value = part.partition("=")
        if sep and key:
            pairs.append((key, value))
    return pairs


def _typed(name: str, raw: list[str]) -> Partition:
    """Integers when every value is one, else floats, else text (Hive's missing value is None)."""
    present = {v for v in raw if v not in ("", HIVE_NULL)}
    missing = lambda v: v in ("", HIVE_NULL)  # noqa: E731
    if all(_INTEGER.match(v) for v in present):
        return Partition(name, "int64", tuple(None if missing(v) else int(v) for v in raw))
    if all(_NUMBER.match(v) for v in present):
        return Partition(name, "float64", tuple(None if missing(v) else float(v) for v in raw))
    return Partition(name, "string", tuple(None if missing(v) else v for v in raw))


def _listing(names: list[str]) -> str:
    shown = ", ".join(f"'{clip(n)}'" for n in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")
