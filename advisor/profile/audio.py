"""Profile loaded audio clips, and prepare them for the probes as log-mel spectrograms.

The spectrogram is computed here, once per run: a clip's features do not depend on
the fold, so every probe and every fold reads the same array. It is torch's STFT
(a 25 ms Hann window, 10 ms hop) through a mel filterbank built below (no
torchaudio), in decibels: the input audio nets of the last decade take (VGGish,
YAMNet and PANNs use 64 mel bands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.facts import AudioStats, ColumnProfile, DatasetProfile, DataWarning, TargetInfo
from advisor.profile.images import IMBALANCE_WARN, imbalance_warning, loaded_source

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import numpy as np

    from advisor.data import ProbeData
    from advisor.io.audio import LoadedAudio

FEW_PER_CLASS = 100  # below this, a net trained from scratch has little to learn from
N_MELS = 64
WINDOW_SECONDS, HOP_SECONDS = 0.025, 0.010
SILENT_CLIP = 0.99  # a clip with this share of silent frames is silent
MIXED_DURATIONS = 2.0  # longest / shortest clip beyond which clipping and padding is said
SPECTROGRAM_CHUNK = 512  # clips per STFT batch: bounds the complex intermediate


def _counts(values: list) -> dict[str, int]:
    from collections import Counter

    return {str(k): n for k, n in sorted(Counter(values).items())}


def audio_stats(loaded: LoadedAudio) -> AudioStats:
    """Counts for the whole source (files listed minus the skipped); the rest over the clips read."""
    import numpy as np

    per_class = {k: max(0, n - loaded.skipped_per_class.get(k, 0)) for k, n in loaded.per_class_found.items()}
    present = [n for n in per_class.values() if n > 0]
    return AudioStats(
        n_clips=sum(per_class.values()),
        n_unreadable=loaded.n_unreadable,
        n_empty=loaded.n_empty,
        n_too_long=loaded.n_too_long,
        per_class=per_class,
        min_per_class=min(present),
        duration_median=round(float(np.median(loaded.durations)), 3),
        duration_min=round(min(loaded.durations), 3),
        duration_max=round(max(loaded.durations), 3),
        sample_rates=_counts(loaded.native_rates),
        channels=_counts(loaded.channels),
        silence_share=round(float(np.mean(loaded.silence)), 4),
        sample_rate=loaded.sample_rate,
        clip_seconds=loaded.clip_seconds,
    )


def audio_warnings(loaded: LoadedAudio, stats: AudioStats) -> list[DataWarning]:
    """The load's own warnings, then few clips per class, imbalance, silent clips, clipped lengths."""
    nonzero = {k: n for k, n in stats.per_class.items() if n > 0}
    warnings = list(loaded.warnings)
    few = sorted(k for k, n in nonzero.items() if n < FEW_PER_CLASS)
    if few:
        shown = ", ".join(f"'{k}' ({nonzero[k]})" for k in few[:5]) + (" ..." if len(few) > 5 else "")
        warnings.append(
            DataWarning(
                "few-clips",
                f"{len(few)} of {len(nonzero)} classes have fewer than {FEW_PER_CLASS} clips: {shown}; nets "
                "trained from scratch need far more, so expect wide error bars, or use pretrained audio embeddings.",
            )
        )
    if max(nonzero.values()) / min(nonzero.values()) >= IMBALANCE_WARN:
        warnings.append(imbalance_warning(nonzero))
    silent = sum(1 for s in loaded.silence if s >= SILENT_CLIP)
    if silent:
        warnings.append(
            DataWarning(
                "silent-audio",
                f"{silent} of {len(loaded)} clips read are silent (below the silence level throughout their "
                f"first {stats.clip_seconds:g} s): check for dead recordings or leading silence.",
            )
        )
    if stats.duration_min and stats.duration_max > MIXED_DURATIONS * stats.duration_min:
        warnings.append(
            DataWarning(
                "mixed-audio-lengths",
                f"Clips last {stats.duration_min:g} to {stats.duration_max:g} s; every clip was cut or "
                f"zero-padded to {stats.clip_seconds:g} s (the median, at most 5 s), so longer clips are "
                "judged on their start only.",
                severity="info",
            )
        )
    return warnings


def profile_audio(
    loaded: LoadedAudio, source_path: str | Path, *, source_format: str = "audio-folder"
) -> DatasetProfile:
    """A ``DatasetProfile`` for labelled audio clips (modality "audio"); ``source_format`` is
    "audio-folder" or "audio-csv"."""
    import hashlib

    stats = audio_stats(loaded)
    nonzero = {k: n for k, n in stats.per_class.items() if n > 0}
    folder = source_format == "audio-folder"
    digests = {hashlib.blake2b(w.tobytes(), digest_size=16).digest() for w in loaded.waveforms}
    duplicates = len(loaded) - len(digests)
    warnings = audio_warnings(loaded, stats)
    if duplicates:
        warnings.append(
            DataWarning(
                "duplicate-rows",
                f"{duplicates} clips are exact duplicates of another (after resampling and clipping); "
                "duplicates across train and test folds inflate scores, so remove them.",
            )
        )
    raw = int(round(stats.sample_rate * stats.clip_seconds))
    frames = 1 + raw // int(stats.sample_rate * HOP_SECONDS)
    return DatasetProfile(
        source=loaded_source(loaded, source_path, source_format, stats.n_clips),
        n_rows=stats.n_clips,
        n_columns=1,
        columns=[
            ColumnProfile(
                name="audio",
                dtype="audio",
                kind="audio_path",
                kind_reason="audio files" + (" in class sub-folders" if folder else ""),
                missing_rate=0.0,
                n_unique=len(digests),
            )
        ],
        target=TargetInfo(
            name="label" if folder else None,
            inferred=folder,
            how="class sub-folder names" if folder else "label column",
            task="binary" if len(nonzero) == 2 else "multiclass",
            task_reason=f"{len(nonzero)} classes",
            n_classes=len(nonzero),
            class_counts=nonzero,
            imbalance_ratio=max(nonzero.values()) / min(nonzero.values()),
        ),
        modality="audio",
        modality_reason=(
            f"{stats.n_clips:,} audio clips, median {stats.duration_median:g} s; resampled to "
            f"{stats.sample_rate:,} Hz mono and cut or padded to {stats.clip_seconds:g} s"
        ),
        n_features=N_MELS * frames,
        encoded_width=N_MELS * frames,
        raw_dimension=raw,
        memory_mb=stats.n_clips * raw * 4 / 1e6,
        duplicate_rows=duplicates,
        max_missing_rate=0.0,
        warnings=warnings,
        audio=stats,
    )


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters evenly spaced on the HTK mel scale, 0 Hz to Nyquist."""
    import numpy as np

    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = hz(np.linspace(0.0, mel(np.array(sample_rate / 2)), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - bins[None, :]) / np.maximum(upper - centre, 1e-9)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def log_mel(waveforms: np.ndarray, sample_rate: int, n_mels: int = N_MELS) -> np.ndarray:
    """float32 (n, samples) -> float32 (n, n_mels, frames) log-mel power in dB (floor -100 dB)."""
    import numpy as np
    import torch

    win = int(round(sample_rate * WINDOW_SECONDS))
    hop = int(round(sample_rate * HOP_SECONDS))
    n_fft = 1 << (win - 1).bit_length()
    fb = torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels))
    window = torch.hann_window(win)
    out = []
    for i in range(0, max(len(waveforms), 1), SPECTROGRAM_CHUNK):
        x = torch.from_numpy(np.ascontiguousarray(waveforms[i : i + SPECTROGRAM_CHUNK]))
        if x.shape[0] == 0:
            continue
        spec = torch.stft(x, n_fft, hop, win, window=window, center=True, return_complex=True)
        mel = fb @ spec.abs().square()
        out.append((10.0 * torch.log10(mel.clamp_min(1e-10))).numpy())
    return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)


def prepare_audio(loaded: LoadedAudio, profile: DatasetProfile) -> ProbeData:
    """``ProbeData`` with ``spectrograms`` and class codes 0..k-1 over the classes present."""
    import numpy as np

    from advisor.data import ProbeData

    present = np.unique(loaded.labels)
    remap = np.full(len(loaded.class_names), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return ProbeData(
        task=profile.target.task,
        modality="audio",
        y=remap[loaded.labels],
        class_names=[loaded.class_names[i] for i in present],
        spectrograms=log_mel(loaded.waveforms, loaded.sample_rate),
        n_rows_total=profile.n_rows,
    )
