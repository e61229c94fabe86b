"""Read audio clips: a folder with one sub-folder per class, or a list of paths.

Clips are decoded with ``soundfile`` (libsndfile ships in its wheel), mixed down
to mono, resampled to one rate (scipy's polyphase resampler) and clipped or
padded to one length. Only the clip's window is decoded, so memory and time per
file are bounded by the clip length, not the file's. Files are sorted out from
their header before any sample is decoded: the empty, and those over
``MAX_SECONDS`` (a long recording needs segmenting, not clipping); unreadable
files are counted and skipped, never a crash, as for images.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import InputError
from advisor.facts import DataWarning
from advisor.io.images import cap_per_class

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# What libsndfile decodes (MP3 since 1.1; Opus inside Ogg).
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}
)
TARGET_RATE = 16_000  # Hz: the rate audio-event and speech models take (YAMNet, VGGish, wav2vec 2.0)
MAX_CLIP_SECONDS = 5.0  # clips are cut to the median duration, at most this
MIN_CLIP_SECONDS = 0.25
MAX_SECONDS = 600.0  # longer files are recordings to segment into clips: skipped
MAX_AUDIO_MB = 1000  # float32 waveforms held at most: a seeded per-class sample beyond
HEADER_PEEK = 64  # headers read to find the typical rate and duration
FRAME_SECONDS = 0.025  # frames for the silence measure
SILENCE_DBFS = -50.0  # a frame quieter than this (RMS, dB below full scale) is silence
# The errors of a file libsndfile cannot read (soundfile's errors are RuntimeErrors).
_READ_ERRORS = (RuntimeError, OSError, ValueError, EOFError, MemoryError)


@dataclass
class LoadedAudio:
    """Decoded clips plus what the profile needs to describe the source."""

    waveforms: np.ndarray  # float32 (n, samples): mono, at sample_rate, clipped or zero-padded
    labels: np.ndarray  # int64 codes into class_names
    class_names: list[str]
    paths: list[str]  # source file of each loaded clip
    row_index: np.ndarray  # position of each loaded clip in the input (folder listing or paths list)
    sample_rate: int  # the one rate every clip was resampled to
    clip_seconds: float  # the one length every clip was clipped or padded to
    durations: list[float]  # seconds as stored, per loaded clip
    native_rates: list[int]  # Hz as stored, per loaded clip
    channels: list[int]  # as stored, per loaded clip (mixed down to mono)
    silence: list[float]  # share of silent frames in each clip's window (padding excluded)
    n_found: int  # audio files listed (whole source, before sampling)
    per_class_found: dict[str, int]  # files listed per class (whole source)
    skipped_per_class: dict[str, int] = field(default_factory=dict)  # unreadable, empty or too long
    n_unreadable: int = 0  # among the files read
    n_empty: int = 0
    n_too_long: int = 0
    sampled: bool = False
    sample_note: str = ""
    size_bytes: int = 0
    read_seconds: float = 0.0
    warnings: list[DataWarning] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.waveforms.shape[0])


def is_audio_file(p: Path) -> bool:
    return p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith(".")


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_audio_file(p))


def _class_dirs(path: Path) -> list[Path]:
    return sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))


def is_audio_folder(path: str | Path) -> bool:
    """True for a directory with at least two sub-folders that contain audio files."""
    path = Path(path)
    if not path.is_dir():
        return False
    return sum(1 for d in _class_dirs(path) if any(is_audio_file(p) for p in d.rglob("*"))) >= 2


def has_audio(path: str | Path) -> bool:
    """Any audio file anywhere under ``path``: a folder meant as audio, whatever else is wrong."""
    return any(p.is_file() and is_audio_file(p) for p in Path(path).rglob("*"))


def audio_folder_error(path: str | Path) -> InputError:
    """Why a folder holding audio files failed ``is_audio_folder``, as an error to raise."""
    path = Path(path)
    with_audio = [d.name for d in _class_dirs(path) if has_audio(d)]
    if len(with_audio) == 1:
        return InputError(
            f"{path} has audio in only one class folder ('{with_audio[0]}'): add a folder of clips "
            "per class (a classifier needs at least 2)"
        )
    return InputError(
        f"{path} holds audio files but no class sub-folders: move each class's clips into its own "
        f"sub-folder ({path}/<class>/<clip>)"
    )


@dataclass(frozen=True)
class _Header:
    rate: int
    channels: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def _header(path: Path) -> _Header:
    import soundfile as sf

    info = sf.info(str(path))
    return _Header(int(info.samplerate), int(info.channels), max(0, int(info.frames)))


def clip_shape(files: list[Path]) -> tuple[int, float]:
    """(sample rate, clip seconds) from a spread of headers: ``TARGET_RATE`` or the median
    native rate when lower (upsampling adds nothing), and the median duration within
    ``MIN_CLIP_SECONDS``..``MAX_CLIP_SECONDS``."""
    rates, seconds = [], []
    for f in files[:: max(1, len(files) // HEADER_PEEK)][:HEADER_PEEK]:
        try:
            h = _header(f)
        except _READ_ERRORS:  # counted when decoded
            continue
        if h.frames and h.rate and h.seconds <= MAX_SECONDS:
            rates.append(h.rate)
            seconds.append(h.seconds)
    if not rates:
        return TARGET_RATE, MAX_CLIP_SECONDS
    rate = min(TARGET_RATE, sorted(rates)[len(rates) // 2])
    clip = sorted(seconds)[len(seconds) // 2]
    return int(rate), round(min(MAX_CLIP_SECONDS, max(MIN_CLIP_SECONDS, clip)), 2)


def _silent_share(x: np.ndarray, rate: int) -> float:
    import numpy as np

    step = max(1, int(rate * FRAME_SECONDS))
    n = len(x) // step
    if n == 0:
        return 1.0 if not np.any(x) else 0.0
    rms = np.sqrt(np.mean(np.square(x[: n * step].reshape(n, step), dtype=np.float64), axis=1))
    return float(np.mean(20 * np.log10(rms + 1e-12) < SILENCE_DBFS))


def _decode(path: Path, rate: int, n_samples: int, header: _Header) -> tuple[np.ndarray, float]:
    """The clip's window of ``path`` as float32 mono at ``rate``, padded to ``n_samples``;
    and its share of silent frames."""
    import numpy as np
    import soundfile as sf
    from scipy.signal import resample_poly

    frames = min(header.frames, math.ceil(n_samples * header.rate / rate) + 1)
    data, native = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)
    if data.size == 0:
        raise ValueError("no samples")
    x = np.nan_to_num(data.mean(axis=1), nan=0.0, posinf=0.0, neginf=0.0)
    if native != rate:
        g = math.gcd(int(native), rate)
        x = resample_poly(x, rate // g, int(native) // g).astype(np.float32)
    x = np.clip(x[:n_samples], -1.0, 1.0)
    silence = _silent_share(x, rate)
    out = np.zeros(n_samples, dtype=np.float32)
    out[: len(x)] = x
    return out, silence


@dataclass
class _Read:
    """What ``_read_all`` made of a list of files; positions index that list."""

    kept: list[Any] = field(default_factory=list)
    kept_pos: list[int] = field(default_factory=list)
    headers: list[_Header] = field(default_factory=list)
    silence: list[float] = field(default_factory=list)
    bad: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    long: list[int] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=lambda: {"bad": [], "empty": [], "long": []})

    def skip(self, kind: str, i: int, name: str) -> None:
        getattr(self, kind).append(i)
        self.names[kind].append(name)


def _read_all(files: list[Path], rate: int, n_samples: int) -> _Read:
    out = _Read()
    for i, f in enumerate(files):
        try:
            h = _header(f)
            if h.frames == 0 or h.rate <= 0:
                out.skip("empty", i, f.name)
                continue
            if h.seconds > MAX_SECONDS:
                out.skip("long", i, f.name)
                continue
            x, silence = _decode(f, rate, n_samples, h)
        except _READ_ERRORS:
            out.skip("bad", i, f.name)
            continue
        out.kept.append(x)
        out.kept_pos.append(i)
        out.headers.append(h)
        out.silence.append(silence)
    return out


def _warnings(read: _Read, n_files: int, sample_note: str) -> list[DataWarning]:
    warnings = []
    what = {
        "bad": (
            "unreadable-audio",
            "could not be read (missing, corrupt or not audio)",
            "check or remove them",
        ),
        "empty": ("empty-audio", "hold no samples", "remove them"),
        "long": (
            "overlong-audio",
            f"are longer than {MAX_SECONDS:g} s",
            "cut them into clips of the length you classify to include them",
        ),
    }
    for kind, (code, said, todo) in what.items():
        names = read.names[kind]
        if names:
            warnings.append(
                DataWarning(
                    code=code,
                    message=f"{len(names)} of {n_files} audio files {said} (e.g. '{names[0]}') and were skipped; {todo}.",
                )
            )
    if sample_note:
        warnings.append(
            DataWarning("sampled", sample_note[0].upper() + sample_note[1:] + ".", severity="info")
        )
    return warnings


def _none_read(read: _Read, n_files: int, where: str) -> InputError:
    counts = ", ".join(
        f"{len(getattr(read, k))} {label}"
        for k, label in (("bad", "unreadable"), ("empty", "empty"), ("long", f"over {MAX_SECONDS:g} s"))
        if getattr(read, k)
    )
    return InputError(
        f"none of the {n_files} audio files {where} could be used ({counts}): check that they are "
        f"audio ({', '.join(sorted(AUDIO_EXTENSIONS))}) and under {MAX_SECONDS:g} s each"
    )


def _max_clips(rate: int, clip_seconds: float, max_items: int | None) -> int:
    by_memory = int(MAX_AUDIO_MB * 1e6 // (rate * clip_seconds * 4))
    return max(2, min(by_memory, max_items) if max_items is not None else by_memory)


def _sample(
    by_class: dict[str, list[int]], n_found: int, limit: int, seed: int
) -> tuple[dict[str, list[int]], str]:
    """A seeded sample with a per-class cap (small classes kept whole) when over ``limit``."""
    import numpy as np

    if n_found <= limit:
        return by_class, ""
    cap = cap_per_class([len(v) for v in by_class.values()], limit)
    rng = np.random.default_rng(seed)
    chosen = {
        k: v if len(v) <= cap else [v[j] for j in np.sort(rng.choice(len(v), size=cap, replace=False))]
        for k, v in by_class.items()
    }
    n = sum(len(v) for v in chosen.values())
    return (
        chosen,
        f"read a seeded sample of {n:,} of {n_found:,} audio clips (at most {cap:,} per class, seed {seed})",
    )


def _load(
    files: list[Path],
    file_labels: list[str],
    positions: list[int],
    *,
    where: str,
    shape: tuple[int, float],
    n_found: int,
    per_class_found: dict[str, int],
    sample_note: str,
    started: float,
) -> LoadedAudio:
    """Decode ``files`` (already sampled) into a ``LoadedAudio``; ``positions`` are their rows in the input."""
    import numpy as np

    rate, clip = shape
    n_samples = int(round(rate * clip))
    read = _read_all(files, rate, n_samples)
    if not read.kept:
        raise _none_read(read, len(files), where)
    class_names = sorted(per_class_found)
    readable = {file_labels[i] for i in read.kept_pos}
    if len(readable) < 2:
        raise InputError(
            f"only class {sorted(readable)} {where} has readable audio: a classifier needs at least 2 "
            "classes; check the other classes' files"
        )
    code = {k: j for j, k in enumerate(class_names)}
    skipped = Counter(file_labels[i] for i in read.bad + read.empty + read.long)
    return LoadedAudio(
        waveforms=np.stack(read.kept),
        labels=np.array([code[file_labels[i]] for i in read.kept_pos], dtype=np.int64),
        class_names=class_names,
        paths=[str(files[i]) for i in read.kept_pos],
        row_index=np.asarray([positions[i] for i in read.kept_pos], dtype=np.int64),
        sample_rate=rate,
        clip_seconds=clip,
        durations=[h.seconds for h in read.headers],
        native_rates=[h.rate for h in read.headers],
        channels=[h.channels for h in read.headers],
        silence=read.silence,
        n_found=n_found,
        per_class_found=per_class_found,
        skipped_per_class=dict(skipped),
        n_unreadable=len(read.bad),
        n_empty=len(read.empty),
        n_too_long=len(read.long),
        sampled=bool(sample_note),
        sample_note=sample_note,
        size_bytes=sum(f.stat().st_size for f in files if f.is_file()),
        read_seconds=time.monotonic() - started,
        warnings=_warnings(read, len(files), sample_note),
    )


def load_audio_folder(path: str | Path, *, max_clips: int | None = None, seed: int = 0) -> LoadedAudio:
    """Load ``path/<class>/<clip>``, class names from the folder names; over ``max_clips``
    (or ``MAX_AUDIO_MB`` of waveforms) a seeded sample with a per-class cap is read."""
    started = time.monotonic()
    root = Path(path)
    listing = {d.name: _audio_files(d) for d in _class_dirs(root)}
    listing = {k: v for k, v in listing.items() if v}
    if len(listing) < 2:
        raise audio_folder_error(root)
    files_all = [f for k in sorted(listing) for f in listing[k]]
    labels_all = [k for k in sorted(listing) for _ in listing[k]]
    by_class: dict[str, list[int]] = {}
    for i, k in enumerate(labels_all):
        by_class.setdefault(k, []).append(i)
    rate, clip = clip_shape(files_all)
    chosen, note = _sample(by_class, len(files_all), _max_clips(rate, clip, max_clips), seed)
    positions = sorted(i for v in chosen.values() for i in v)
    return _load(
        [files_all[i] for i in positions],
        [labels_all[i] for i in positions],
        positions,
        where=f"under {root}",
        shape=(rate, clip),
        n_found=len(files_all),
        per_class_found={k: len(v) for k, v in sorted(listing.items())},
        sample_note=note,
        started=started,
    )


def load_audio_paths(
    paths: list[Any], base_dir: str | Path, *, labels: list[Any], max_clips: int | None = None, seed: int = 0
) -> LoadedAudio:
    """Load the clips named in a CSV column; relative paths resolve against ``base_dir``.

    ``labels`` (one per path) are the classes; rows whose path or label is missing
    are dropped. ``row_index`` of the result is each clip's position in ``paths``."""
    import pandas as pd

    started = time.monotonic()
    base = Path(base_dir)

    def missing(v: Any) -> bool:
        return v is None or bool(pd.isna(v)) or not str(v).strip()

    keep = [i for i in range(len(paths)) if not missing(paths[i]) and not missing(labels[i])]
    if not keep:
        raise InputError("the audio-path column or the labels are empty: nothing to load")
    by_class: dict[str, list[int]] = {}
    for i in keep:
        by_class.setdefault(str(labels[i]), []).append(i)
    if len(by_class) < 2:
        raise InputError(f"the labels hold {len(by_class)} class: a classifier needs at least 2")

    def resolve(i: int) -> Path:
        p = Path(str(paths[i]).strip()).expanduser()
        return p if p.is_absolute() else base / p

    rate, clip = clip_shape([resolve(i) for i in keep])
    chosen, note = _sample(by_class, len(keep), _max_clips(rate, clip, max_clips), seed)
    positions = sorted(i for v in chosen.values() for i in v)
    return _load(
        [resolve(i) for i in positions],
        [str(labels[i]) for i in positions],
        positions,
        where=f"named in the table (relative paths resolved against {base})",
        shape=(rate, clip),
        n_found=len(keep),
        per_class_found={k: len(v) for k, v in sorted(by_class.items())},
        sample_note=note,
        started=started,
    )
