"""Tables: CSV, TSV (gzipped or not) and Parquet files of named columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from advisor.readers.base import Reader, Source

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.facts import DatasetProfile
    from advisor.io.read import LoadedTable


class TableReader(Reader):
    """Any regular file, or a dataset of shards: the last reader asked, as ``io.sniff`` says what
    a file really is."""

    name: ClassVar[str] = "table"

    def detect(self, source: Source) -> bool:
        return source.is_table

    def load(self, source: Source) -> LoadedTable:
        return source.table()

    def profile(self, loaded: LoadedTable, source: Source) -> DatasetProfile:
        return source.table_profile()

    def prepare(self, loaded: LoadedTable, profile: DatasetProfile) -> ProbeData:
        from advisor.profile.prepare import prepare

        return prepare(loaded, profile)
