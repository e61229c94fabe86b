"""The reader protocol: how an input path becomes a profile and the probes' data.

Every kind of input (a table, an image folder, a CSV of image paths, an audio
folder, a CSV of audio paths) is one ``Reader`` with four steps:

- ``detect(source)``: is this input mine?
- ``load(source)``: read it, bounded in memory and time, failures counted;
- ``profile(loaded, source)``: the ``DatasetProfile``, where every check of the
  input happens (so ``--no-probes`` and a full run report the same problems);
- ``prepare(loaded, profile)``: the ``ProbeData`` the probes get; it validates nothing.

``detect`` takes a ``Source`` rather than a bare path: whether a CSV holds image or
audio paths is known only once its columns are profiled, and the ``Source`` reads
and profiles the table at most once for every reader that asks.
"""

from __future__ import annotations

import os
import stat
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.facts import Constraints, DatasetProfile
    from advisor.io.read import LoadedTable


@dataclass(frozen=True)
class ReadOptions:
    """What the user asked for that changes how the input is read."""

    constraints: Constraints
    target: str | None = None
    task: str | None = None
    memory_limit_mb: float | None = None
    image_size: int = 32  # pixels a side the images are loaded at
    max_items: int = 20_000  # images or clips read at most: a seeded per-class sample beyond
    dask_client: Any = None  # --cluster/--workers: a table over the memory limit is streamed there


class Source:
    """The input: its path, stat'ed once, and its table read and profiled at most once."""

    def __init__(self, path: Path, st: os.stat_result, options: ReadOptions) -> None:
        self.path, self.options = path, options
        self.is_dir = stat.S_ISDIR(st.st_mode)  # a glob of shards stats as the folder it starts in
        self._table: LoadedTable | None = None
        self._profile: DatasetProfile | None = None

    @property
    def is_table(self) -> bool:
        """A file, or a folder or glob of CSV/Parquet shards read as one table (``io.shards``)."""
        from advisor.io.shards import is_dataset

        return not self.is_dir or is_dataset(self.path)

    def table(self) -> LoadedTable:
        if self._table is None:
            from advisor.io.read import read_table

            o = self.options
            self._table = read_table(
                self.path,
                memory_limit_mb=o.memory_limit_mb,
                seed=o.constraints.seed,
                dask_client=o.dask_client,
            )
        return self._table

    def table_profile(self) -> DatasetProfile:
        if self._profile is None:
            from advisor.profile.build import profile_table

            o = self.options
            self._profile = profile_table(
                self.table(),
                target=o.target,
                task=o.task,
                time_column=o.constraints.time_column,
                group_column=o.constraints.group_column,
            )
        return self._profile


class Reader(ABC):
    """One kind of input. Subclass, implement the four steps, add it to ``READERS``."""

    name: ClassVar[str]  # e.g. "table", "image-folder"

    @abstractmethod
    def detect(self, source: Source) -> bool:
        """True when this reader handles ``source``; cheap for folders, a table profile for files."""

    @abstractmethod
    def load(self, source: Source) -> Any:
        """The input read into memory (bounded), with what failed to read counted."""

    @abstractmethod
    def profile(self, loaded: Any, source: Source) -> DatasetProfile:
        """The profile, with every warning about the input; raises ``InputError`` for unusable input."""

    @abstractmethod
    def prepare(self, loaded: Any, profile: DatasetProfile) -> ProbeData:
        """The probes' data, from what ``load`` read and ``profile`` found."""
