"""Decode image files safely: bounded memory, every failure counted, nothing on stderr.

Each image is converted to grayscale (1 channel) or RGB (3 channels) and
resized to a square (aspect ratio is not kept: the probes need one shape).
Unreadable or truncated files are counted and skipped, never a crash; so are
images too large to decode safely (``MAX_PIXELS``), measured from the header
before any pixel is decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from warnings import catch_warnings, simplefilter

from advisor.facts import DataWarning

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# Pillow modes that hold one intensity channel; everything else becomes RGB.
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})
# Images whose decoded bitmap would hold more pixels than this are skipped: a
# 50 MP RGB bitmap is already 150 MB (and copies follow), while the probes see a
# 32-64 px square. JPEGs are measured after draft() shrinks their decode 2-8x.
MAX_PIXELS = 50_000_000


class TooLarge(Exception):
    """The image's decoded bitmap would exceed ``MAX_PIXELS``."""


@contextmanager
def quiet() -> Iterator[None]:
    """Silence Pillow's per-file warnings (decompression bomb, odd EXIF, palette
    transparency): such files are handled here, so nothing may leak to stderr."""
    with catch_warnings():
        simplefilter("ignore")
        yield


def decode(path: Path, size: int) -> tuple[Any, tuple[int, int]]:
    """Open, check the size from the header, fully decode (so truncation surfaces
    here), normalise mode, resize. Raises ``TooLarge`` before decoding a huge image."""
    from PIL import Image

    with Image.open(path) as img:
        original = (img.height, img.width)
        img.draft(None, (size, size))  # JPEG only: decode at 1/2..1/8 scale, still >= size
        if img.width * img.height > MAX_PIXELS:
            raise TooLarge
        img.load()
        if img.mode in _GRAY_MODES:
            if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                # 16-bit/float scans: rescale to 0..255 instead of clipping.
                import numpy as np

                a = np.asarray(img, dtype=np.float64)
                lo, hi = float(a.min()), float(a.max())
                a = (a - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(a)
                img = Image.fromarray(a.astype(np.uint8))
            else:
                img = img.convert("L")
        else:
            # Palette, RGBA, CMYK, YCbCr...: RGB (alpha composited onto white).
            if img.mode in ("RGBA", "LA", "P", "PA"):
                rgba = img.convert("RGBA")
                bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(bg, rgba).convert("RGB")
            else:
                img = img.convert("RGB")
        if img.size != (size, size):
            img = img.resize((size, size), Image.Resampling.BILINEAR)
        return img.copy(), original


SIDE_PEEK = 64  # files whose header is read to find the typical size


def native_side(files: list[Path], size: int) -> int:
    """``size``, or the median native side when the images are smaller: upscaling
    adds no information and multiplies the CNN's cost. Reads headers only."""
    from PIL import Image

    sides = []
    for f in files[:: max(1, len(files) // SIDE_PEEK)][:SIDE_PEEK]:
        try:
            with quiet(), Image.open(f) as img:  # lazy: decodes the header, not the pixels
                sides.append(min(img.size))
        except Exception:  # noqa: BLE001 - unreadable files are counted when decoded
            continue
    if not sides:
        return size
    return max(8, min(size, sorted(sides)[len(sides) // 2]))


@dataclass
class Decoded:
    """What ``read_all`` made of a list of files; positions index that list."""

    kept: list[Any] = field(default_factory=list)
    kept_pos: list[int] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)  # original (height, width) of kept
    bad_pos: list[int] = field(default_factory=list)  # missing, corrupt or truncated
    bad_names: list[str] = field(default_factory=list)
    big_pos: list[int] = field(default_factory=list)  # over MAX_PIXELS
    big_names: list[str] = field(default_factory=list)


def read_all(files: list[Path], size: int) -> Decoded:
    """Decode ``files``, sorting out the unreadable and the too large."""
    from PIL import Image

    out = Decoded()
    with quiet():
        for i, f in enumerate(files):
            try:
                img, original = decode(f, size)
            except (TooLarge, Image.DecompressionBombError):  # Pillow's own cap, hit at open
                out.big_pos.append(i)
                out.big_names.append(f.name)
                continue
            except (OSError, ValueError, SyntaxError):
                out.bad_pos.append(i)
                out.bad_names.append(f.name)
                continue
            out.kept.append(img)
            out.kept_pos.append(i)
            out.sizes.append(original)
    return out


def megapixels() -> str:
    return f"{MAX_PIXELS / 1e6:g} megapixels"


def too_large_note(decoded: Decoded) -> str:
    """For the none-readable errors: the too-large files, which need a different fix."""
    if not decoded.big_pos:
        return ""
    return f" ({len(decoded.big_pos)} are larger than {megapixels()}: downscale them)"


def stack(imgs: list[Any]) -> tuple[np.ndarray, int]:
    """One uint8 (n, H, W, C) array; grayscale images are repeated to RGB if any image is colour."""
    import numpy as np

    channels = 3 if any(im.mode == "RGB" for im in imgs) else 1
    arrays = []
    for im in imgs:
        a = np.asarray(im, dtype=np.uint8)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.shape[2] != channels:
            a = np.repeat(a, channels, axis=2)
        arrays.append(a)
    return np.stack(arrays), channels


def load_warnings(decoded: Decoded, n_files: int, sample_note: str) -> list[DataWarning]:
    """Warnings shared by both loaders: unreadable and too-large files, and the sample taken (if any)."""
    warnings: list[DataWarning] = []
    if decoded.bad_pos:
        warnings.append(_unreadable_warning(len(decoded.bad_pos), n_files, decoded.bad_names))
    if decoded.big_pos:
        warnings.append(_too_large_warning(len(decoded.big_pos), n_files, decoded.big_names))
    if sample_note:
        message = sample_note[0].upper() + sample_note[1:] + "."
        warnings.append(DataWarning(code="sampled", message=message, severity="info"))
    return warnings


def _unreadable_warning(n_bad: int, n_read: int, examples: list[str]) -> DataWarning:
    return DataWarning(
        code="unreadable-images",
        message=(
            f"{n_bad} of {n_read} image files could not be read (missing, corrupt or truncated, "
            f"e.g. '{examples[0]}') and were skipped; check or remove them."
        ),
    )


def _too_large_warning(n_big: int, n_read: int, examples: list[str]) -> DataWarning:
    return DataWarning(
        code="oversized-images",
        message=(
            f"{n_big} of {n_read} image files are larger than {megapixels()} (e.g. '{examples[0]}') "
            "and were skipped: downscale them to include them."
        ),
    )
