"""Read images: an ImageFolder tree (one sub-folder per class) or a list of paths.

This module finds the files, their classes and the seeded sample to read;
``advisor.io.decode`` decodes them (bounded, failures counted). Original sizes
are recorded so the profile can report the raw dimension the user actually has.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import InputError
from advisor.facts import DataWarning
from advisor.io.decode import load_warnings, native_side, read_all, stack, too_large_note

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
)


@dataclass
class LoadedImages:
    """Decoded images plus what the profile needs to describe the source."""

    images: np.ndarray  # uint8 (n, size, size, C)
    labels: np.ndarray | None  # int64 codes into class_names; None when no labels were given
    class_names: list[str]
    paths: list[str]  # source file of each loaded image
    row_index: np.ndarray  # position of each loaded image in the input (folder listing or paths list)
    original_sizes: list[tuple[int, int]]  # (height, width) as stored, per loaded image
    channels: int  # 1 (grayscale) or 3 (RGB)
    size: int  # side of the resized square: the requested size, or the median native side when smaller
    n_found: int  # image files listed (whole source, before sampling)
    per_class_found: dict[str, int]  # files listed per class (whole source)
    n_unreadable: int  # among the files read
    unreadable_per_class: dict[str, int] = field(default_factory=dict)
    unreadable_examples: list[str] = field(default_factory=list)
    n_too_large: int = 0  # among the files read: over MAX_PIXELS, skipped undecoded
    too_large_per_class: dict[str, int] = field(default_factory=dict)
    sampled: bool = False
    sample_note: str = ""
    size_bytes: int = 0  # bytes of the files listed
    read_seconds: float = 0.0
    warnings: list[DataWarning] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.images.shape[0])


def _is_image_file(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")


def _image_files(folder: Path) -> list[Path]:
    """Image files anywhere under ``folder``, sorted so the listing is reproducible."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and _is_image_file(p))


def _class_dirs(path: Path) -> list[Path]:
    return sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))


def is_image_folder(path: str | Path) -> bool:
    """True for a directory with at least two sub-folders that contain image files."""
    path = Path(path)
    if not path.is_dir():
        return False
    with_images = 0
    for d in _class_dirs(path):
        if any(p.is_file() and _is_image_file(p) for p in d.rglob("*")):
            with_images += 1
            if with_images >= 2:
                return True
    return False


def _has_images(folder: Path) -> bool:
    return any(p.is_file() and _is_image_file(p) for p in folder.rglob("*"))


def image_folder_error(path: str | Path) -> InputError:
    """The specific reason a folder failed ``is_image_folder``, as an error to raise."""
    path = Path(path)
    dirs = _class_dirs(path)
    with_images = [d.name for d in dirs if _has_images(d)]
    if len(with_images) == 1:
        return InputError(
            f"{path} has images in only one class folder ('{with_images[0]}'): add a folder of images "
            "per class (a classifier needs at least 2)"
        )
    if dirs:
        shown = ", ".join(f"'{d.name}'" for d in dirs[:5]) + (", ..." if len(dirs) > 5 else "")
        return InputError(
            f"{path} has no images in its sub-folders ({shown}; looked for "
            f"{', '.join(sorted(IMAGE_EXTENSIONS))}): put each class's images in its own sub-folder, "
            "or point advisor at a CSV, TSV or Parquet file"
        )
    if any(p.is_file() and _is_image_file(p) for p in path.iterdir()):
        return InputError(
            f"{path} holds images but no class sub-folders: move each class's images into its own "
            f"sub-folder ({path}/<class>/<image>)"
        )
    return InputError(
        f"{path} is a folder, not a table or an image folder: point advisor at a CSV, TSV or Parquet "
        "file, a folder of CSV or Parquet shards, or a folder with one sub-folder of images per class"
    )


def _per_class(file_labels: list[str | None], positions: list[int]) -> dict[str, int]:
    """How many of the files at ``positions`` each class has (unlabelled files not counted)."""
    return dict(Counter(label for i in positions if (label := file_labels[i]) is not None))


def cap_per_class(counts: list[int], max_images: int) -> int:
    """Largest per-class cap c with sum(min(n, c)) <= max_images (water-filling)."""
    lo, hi = 1, max(counts)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(n, mid) for n in counts) <= max_images:
            lo = mid
        else:
            hi = mid - 1
    return lo


def load_image_folder(
    path: str | Path, *, size: int = 64, max_images: int | None = None, seed: int = 0
) -> LoadedImages:
    """Load an ImageFolder tree: ``path/<class>/<image>``, class names from folder names.

    When more than ``max_images`` files are found, a seeded sample with a
    per-class cap is read (small classes are kept whole) and the sample is noted.
    """
    import numpy as np

    started = time.monotonic()
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder; give a folder with one sub-folder of images per class.")
    listing = {d.name: _image_files(d) for d in _class_dirs(root)}
    listing = {k: v for k, v in listing.items() if v}
    n_found = sum(len(v) for v in listing.values())
    if n_found == 0:
        raise InputError(
            f"{root} holds no image files in sub-folders; expected one sub-folder of images per class "
            f"(extensions: {', '.join(sorted(IMAGE_EXTENSIONS))})."
        )
    if len(listing) < 2:
        raise InputError(
            f"{root} has images for only {len(listing)} class; a classifier needs at least 2 class sub-folders."
        )
    class_names = sorted(listing)
    per_class_found = {k: len(listing[k]) for k in class_names}
    size_bytes = sum(f.stat().st_size for v in listing.values() for f in v)

    sampled, sample_note = False, ""
    chosen = listing
    if max_images is not None and n_found > max_images:
        cap = cap_per_class(list(per_class_found.values()), max_images)
        rng = np.random.default_rng(seed)
        chosen = {}
        for k in class_names:
            files = listing[k]
            if len(files) > cap:
                pick = np.sort(rng.choice(len(files), size=cap, replace=False))
                files = [files[i] for i in pick]
            chosen[k] = files
        n_chosen = sum(len(v) for v in chosen.values())
        sampled = True
        sample_note = (
            f"read a seeded sample of {n_chosen:,} of {n_found:,} images "
            f"(at most {cap:,} per class, seed {seed})"
        )

    files = [f for k in class_names for f in chosen[k]]
    file_labels: list[str | None] = [k for k in class_names for _ in chosen[k]]
    size = native_side(files, size)
    decoded = read_all(files, size)
    kept, kept_pos, sizes, bad_pos = decoded.kept, decoded.kept_pos, decoded.sizes, decoded.bad_pos
    unreadable_per_class = _per_class(file_labels, bad_pos)
    readable_classes = {file_labels[i] for i in kept_pos}
    if not kept:
        raise InputError(
            f"None of the {len(files)} image files under {root} could be read{too_large_note(decoded)}; "
            "are they images?"
        )
    if len(readable_classes) < 2:
        raise InputError(
            f"Only class {sorted(readable_classes)} under {root} has readable images"
            f"{too_large_note(decoded)}; a classifier needs at least 2 classes."
        )
    images, channels = stack(kept)
    code = {k: i for i, k in enumerate(class_names)}
    labels = np.array([code[file_labels[i]] for i in kept_pos], dtype=np.int64)

    warnings = load_warnings(decoded, len(files), sample_note if sampled else "")
    return LoadedImages(
        images=images,
        labels=labels,
        class_names=class_names,
        paths=[str(files[i]) for i in kept_pos],
        row_index=np.asarray(kept_pos, dtype=np.int64),
        original_sizes=sizes,
        channels=channels,
        size=size,
        n_found=n_found,
        per_class_found=per_class_found,
        n_unreadable=len(bad_pos),
        unreadable_per_class=unreadable_per_class,
        unreadable_examples=decoded.bad_names[:5],
        n_too_large=len(decoded.big_pos),
        too_large_per_class=_per_class(file_labels, decoded.big_pos),
        sampled=sampled,
        sample_note=sample_note,
        size_bytes=size_bytes,
        read_seconds=time.monotonic() - started,
        warnings=warnings,
    )


def load_image_paths(
    paths: list[str],
    base_dir: str | Path,
    *,
    size: int = 64,
    labels: list[Any] | None = None,
    max_images: int | None = None,
    seed: int = 0,
) -> LoadedImages:
    """Load the images named in a CSV column; relative paths resolve against ``base_dir``.

    ``labels`` (one per path, e.g. the CSV's target column) become the classes;
    rows whose label or path is missing are dropped. ``row_index`` of the result
    gives, for every loaded image, its position in ``paths``, so the caller can
    align other columns. Missing and undecodable files count as unreadable.
    """
    import numpy as np

    started = time.monotonic()
    base = Path(base_dir)
    if labels is not None and len(labels) != len(paths):
        raise InputError(f"Got {len(paths)} image paths but {len(labels)} labels.")

    def _missing(v: Any) -> bool:
        return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() in ("", "nan", "<NA>")

    positions = [i for i, p in enumerate(paths) if not _missing(p)]
    if labels is not None:
        positions = [i for i in positions if not _missing(labels[i])]
    if not positions:
        raise InputError("The image-path column is empty; nothing to load.")
    str_labels = None if labels is None else [str(v) for v in labels]
    class_names = [] if str_labels is None else sorted({str_labels[i] for i in positions})
    if str_labels is not None and len(class_names) < 2:
        raise InputError(f"The labels hold {len(class_names)} class; a classifier needs at least 2.")
    n_found = len(positions)
    per_class_found = (
        dict(sorted(Counter(str_labels[i] for i in positions).items())) if str_labels is not None else {}
    )

    sampled, sample_note = False, ""
    if max_images is not None and n_found > max_images:
        rng = np.random.default_rng(seed)
        if str_labels is not None:
            by_class: dict[str, list[int]] = {}
            for i in positions:
                by_class.setdefault(str_labels[i], []).append(i)
            cap = cap_per_class([len(v) for v in by_class.values()], max_images)
            chosen = []
            for v in by_class.values():
                chosen += [v[j] for j in rng.choice(len(v), size=min(cap, len(v)), replace=False)]
            how = f"at most {cap:,} per class, "
        else:
            chosen = [positions[j] for j in rng.choice(n_found, size=max_images, replace=False)]
            how = ""
        positions = sorted(chosen)
        sampled = True
        sample_note = f"read a seeded sample of {len(positions):,} of {n_found:,} images ({how}seed {seed})"

    files = []
    for i in positions:
        p = Path(str(paths[i]).strip()).expanduser()
        files.append(p if p.is_absolute() else base / p)
    file_labels: list[str | None] = [None if str_labels is None else str_labels[i] for i in positions]
    size = native_side(files, size)
    decoded = read_all(files, size)
    kept, kept_pos, sizes, bad_pos = decoded.kept, decoded.kept_pos, decoded.sizes, decoded.bad_pos
    if not kept:
        raise InputError(
            f"None of the {len(files)} image paths could be read (e.g. '{files[0]}'){too_large_note(decoded)}; "
            f"relative paths are resolved against {base}."
        )
    images, channels = stack(kept)
    codes = None
    if str_labels is not None:
        code = {k: j for j, k in enumerate(class_names)}
        codes = np.array([code[file_labels[j]] for j in kept_pos], dtype=np.int64)
        if len(np.unique(codes)) < 2:
            raise InputError(
                f"Only one class has readable images{too_large_note(decoded)}; "
                "a classifier needs at least 2 classes."
            )
    warnings = load_warnings(decoded, len(files), sample_note if sampled else "")
    return LoadedImages(
        images=images,
        labels=codes,
        class_names=class_names,
        paths=[str(files[j]) for j in kept_pos],
        row_index=np.asarray([positions[j] for j in kept_pos], dtype=np.int64),
        original_sizes=sizes,
        channels=channels,
        size=size,
        n_found=n_found,
        per_class_found=per_class_found,
        n_unreadable=len(bad_pos),
        unreadable_per_class=_per_class(file_labels, bad_pos),
        unreadable_examples=decoded.bad_names[:5],
        n_too_large=len(decoded.big_pos),
        too_large_per_class=_per_class(file_labels, decoded.big_pos),
        sampled=sampled,
        sample_note=sample_note,
        size_bytes=sum(f.stat().st_size for f in files if f.is_file()),
        read_seconds=time.monotonic() - started,
        warnings=warnings,
    )
