"""Readers: one per kind of input, asked in order (``READERS``); see ``base.Reader``.

``read(path, options)`` dispatches to the first reader whose ``detect`` says yes:
the folders first (images, then audio), then the tables that name files (audio
paths, image paths), and the plain table last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from advisor.readers.audio import AudioCsvReader, AudioFolderReader
from advisor.readers.base import Reader, ReadOptions, Source
from advisor.readers.images import ImageCsvReader, ImageFolderReader
from advisor.readers.tables import TableReader

if TYPE_CHECKING:  # pragma: no cover
    import os

    from advisor.data import ProbeData
    from advisor.facts import DatasetProfile

READERS: tuple[Reader, ...] = (
    ImageFolderReader(),
    AudioFolderReader(),
    AudioCsvReader(),
    ImageCsvReader(),
    TableReader(),
)

__all__ = ["READERS", "ReadOptions", "Reader", "Source", "pick", "read"]


def pick(source: Source) -> Reader:
    """The first reader that detects ``source``; for a folder none detects, the error that says why."""
    for reader in READERS:
        if reader.detect(source):
            return reader
    from advisor.io.audio import audio_folder_error, has_audio
    from advisor.io.images import image_folder_error

    raise audio_folder_error(source.path) if has_audio(source.path) else image_folder_error(source.path)


def read(
    path: Path, st: os.stat_result, options: ReadOptions, *, prepare: bool = True
) -> tuple[DatasetProfile, ProbeData | None]:
    """Detect, load, profile and (with ``prepare``) prepare ``path``: (profile, ProbeData or None)."""
    source = Source(path, st, options)
    reader = pick(source)
    loaded = reader.load(source)
    profile = reader.profile(loaded, source)
    return profile, reader.prepare(loaded, profile) if prepare else None
