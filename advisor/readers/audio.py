"""Audio: a folder with one sub-folder of clips per class, or a CSV with a column of audio paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from advisor.errors import InputError
from advisor.readers.base import Reader, Source
from advisor.readers.images import merge_table_profile

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.facts import DatasetProfile
    from advisor.io.audio import LoadedAudio

# Share of a column's values that must end in an audio extension (as for image paths).
AUDIO_PATH_MIN_SHARE = 0.95


class AudioFolderReader(Reader):
    name: ClassVar[str] = "audio-folder"

    def detect(self, source: Source) -> bool:
        from advisor.io.audio import is_audio_folder

        return source.is_dir and is_audio_folder(source.path)

    def load(self, source: Source) -> LoadedAudio:
        from advisor.io.audio import load_audio_folder

        o = source.options
        return load_audio_folder(source.path, max_clips=o.max_items, seed=o.constraints.seed)

    def profile(self, loaded: LoadedAudio, source: Source) -> DatasetProfile:
        from advisor.profile.audio import profile_audio

        return profile_audio(loaded, str(source.path))

    def prepare(self, loaded: LoadedAudio, profile: DatasetProfile) -> ProbeData:
        from advisor.profile.audio import prepare_audio

        return prepare_audio(loaded, profile)


AUDIO_PATH_PEEK = 200  # values looked at before a column is scanned whole


def audio_path_column(source: Source) -> str | None:
    """The first non-target column whose values (nearly) all end in an audio extension."""
    from advisor.io.audio import AUDIO_EXTENSIONS
    from advisor.profile.kinds import string_sample

    profile, frame = source.table_profile(), source.table().frame
    ends = tuple(AUDIO_EXTENSIONS)
    for col in frame.columns:
        if col == profile.target.name or frame[col].dtype.kind in "biufcmM":
            continue
        # A seeded look at a few values first: a column of free text or codes is ruled
        # out without scanning every row of a big table (that scan cost a second per run).
        # The look draws positions, not a copy of the column without its missing values:
        # dropna and sample on 1,000,000 rows cost 0.05 s a column (0.5 s on the benchmark file).
        peek = string_sample(frame[col], AUDIO_PATH_PEEK)
        if not len(peek) or _share_ending(peek, ends) < AUDIO_PATH_MIN_SHARE / 2:
            continue
        column = frame[col].dropna()
        if _share_ending(column.astype(str), ends) >= AUDIO_PATH_MIN_SHARE:
            return str(col)
    return None


def _share_ending(values: Any, ends: tuple[str, ...]) -> float:
    """Share of ``values`` (a pandas ``str`` Series) that end in one of ``ends``, case and spaces aside."""
    return float(values.str.strip().str.lower().str.endswith(ends).mean())


class AudioCsvReader(Reader):
    """A table with a column of audio paths (resolved relative to the file) and a label column."""

    name: ClassVar[str] = "audio-csv"

    def detect(self, source: Source) -> bool:
        return source.is_table and audio_path_column(source) is not None

    def load(self, source: Source) -> LoadedAudio:
        from advisor.io.audio import load_audio_paths

        o, profile = source.options, source.table_profile()
        if profile.target.name is None or profile.target.task not in ("binary", "multiclass"):
            raise InputError(
                f"{source.path} names audio clips, but its target is not a class label "
                f"({profile.target.task}): pass the label column with --target"
            )
        frame = source.table().frame
        col = audio_path_column(source)
        return load_audio_paths(
            frame[col].tolist(),
            source.path.parent,
            labels=frame[profile.target.name].tolist(),
            max_clips=o.max_items,
            seed=o.constraints.seed,
        )

    def profile(self, loaded: LoadedAudio, source: Source) -> DatasetProfile:
        from advisor.profile.audio import profile_audio

        clips = profile_audio(loaded, str(source.path), source_format="audio-csv")
        reason = f"column '{audio_path_column(source)}' holds audio paths; {clips.modality_reason}"
        merge_table_profile(clips, source.table_profile(), reason)
        return clips

    def prepare(self, loaded: LoadedAudio, profile: DatasetProfile) -> ProbeData:
        from advisor.profile.audio import prepare_audio

        return prepare_audio(loaded, profile)
