"""Features of log-mel spectrograms shared by the audio probes.

``summary_features`` is the classical description of a clip: per mel band, the mean
and spread of its level over time, and the statistics of the MFCCs (a DCT of the
log-mel frame, the cepstrum) and of their frame-to-frame changes (deltas). It keeps
what a clip sounds like on average (pitch, timbre, loudness) and throws away when
things happen; that is the classical baseline's known blind spot, and what a CNN
on the spectrogram can see. ``cnn_input`` standardises and shrinks a spectrogram for
the CNN.

numpy and torch are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

N_MFCC = 20
CHUNK = 256  # clips per chunk: bounds the float64 copies


def dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Orthonormal DCT-II (n_out, n_in): MFCCs are ``dct_matrix @ log_mel_frame``."""
    import numpy as np

    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    m = np.cos(np.pi / n_in * (n + 0.5) * k) * np.sqrt(2.0 / n_in)
    m[0] /= np.sqrt(2.0)
    return m


def summary_features(spectrograms: np.ndarray) -> np.ndarray:
    """(n, n_mels, frames) log-mel dB -> (n, 2 * n_mels + 4 * n_mfcc + 2) float32: band means and
    spreads, MFCC means and spreads, MFCC delta means of absolute values and spreads, overall level
    and its spread."""
    import numpy as np

    n_mels = spectrograms.shape[1]
    dct = dct_matrix(n_mels, min(N_MFCC, n_mels))
    parts = []
    for i in range(0, max(len(spectrograms), 1), CHUNK):
        s = spectrograms[i : i + CHUNK].astype(np.float64)
        mfcc = np.einsum("km,nmt->nkt", dct, s)
        delta = np.diff(mfcc, axis=2) if s.shape[2] > 1 else np.zeros_like(mfcc)
        level = s.mean(axis=1)
        parts.append(
            np.hstack(
                [
                    s.mean(axis=2),
                    s.std(axis=2),
                    mfcc.mean(axis=2),
                    mfcc.std(axis=2),
                    np.abs(delta).mean(axis=2),
                    delta.std(axis=2),
                    level.mean(axis=1, keepdims=True),
                    level.std(axis=1, keepdims=True),
                ]
            )
        )
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def shrink(spectrograms: np.ndarray, max_mels: int, max_frames: int) -> np.ndarray:
    """float32 (n, 1, mels, frames), averaged down to at most ``max_mels`` x ``max_frames``."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    out = []
    for i in range(0, max(len(spectrograms), 1), CHUNK):
        t = torch.from_numpy(np.ascontiguousarray(spectrograms[i : i + CHUNK], dtype=np.float32))[:, None]
        if t.shape[0] and (t.shape[2] > max_mels or t.shape[3] > max_frames):
            t = F.adaptive_avg_pool2d(t, (min(t.shape[2], max_mels), min(t.shape[3], max_frames)))
        out.append(t.numpy())
    return np.ascontiguousarray(np.concatenate(out))
