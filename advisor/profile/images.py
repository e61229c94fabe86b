"""Profile loaded images and prepare them for the probes."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from advisor.errors import InputError
from advisor.facts import (
    ColumnProfile,
    DatasetProfile,
    DataWarning,
    ImageStats,
    SourceInfo,
    TargetInfo,
)

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from advisor.data import ProbeData
    from advisor.io.images import LoadedImages

FEW_PER_CLASS = 100  # below this, a net trained from scratch has little to learn from
IMBALANCE_WARN = 5.0  # majority / minority count


def _median(values: list[int]) -> int:
    import numpy as np

    return int(round(float(np.median(values)))) if values else 0


def image_stats(loaded: LoadedImages) -> ImageStats:
    """Counts per class for the whole source (files listed, minus the unreadable and too-large
    files found); sizes at the median original size, over the images read."""
    if loaded.labels is None:
        raise InputError("Images need class labels to profile; give a label column or class sub-folders.")
    skipped = Counter(loaded.unreadable_per_class) + Counter(loaded.too_large_per_class)
    per_class = {k: max(0, n - skipped[k]) for k, n in loaded.per_class_found.items()}
    h_med = _median([h for h, _ in loaded.original_sizes])
    w_med = _median([w for _, w in loaded.original_sizes])
    return ImageStats(
        n_images=sum(per_class.values()),
        n_unreadable=loaded.n_unreadable,
        per_class=per_class,
        min_per_class=min(n for n in per_class.values() if n > 0),
        height_median=h_med,
        width_median=w_med,
        channels=loaded.channels,
        raw_dimension=h_med * w_med * loaded.channels,
    )


def imbalance_warning(counts: dict[str, int]) -> DataWarning:
    """Majority against minority class, for image and audio classes (both call it past IMBALANCE_WARN)."""
    big = max(counts, key=lambda k: counts[k])
    small = min(counts, key=lambda k: counts[k])
    return DataWarning(
        code="imbalance",
        message=(
            f"Classes are imbalanced {counts[big] / counts[small]:.1f}:1 ('{big}' {counts[big]} vs '{small}' "
            f"{counts[small]}); macro-F1/ROC AUC are used, consider collecting more of the rare class."
        ),
    )


def image_warnings(loaded: LoadedImages, stats: ImageStats) -> list[DataWarning]:
    """The load's own warnings, then few images per class, imbalance and mixed sizes."""
    nonzero = {k: n for k, n in stats.per_class.items() if n > 0}
    warnings: list[DataWarning] = list(loaded.warnings)
    few = sorted(k for k, n in nonzero.items() if n < FEW_PER_CLASS)
    if few:
        shown = ", ".join(f"'{k}' ({nonzero[k]})" for k in few[:5]) + (" ..." if len(few) > 5 else "")
        warnings.append(
            DataWarning(
                code="few-images",
                message=(
                    f"{len(few)} of {len(nonzero)} classes have fewer than {FEW_PER_CLASS} images: {shown}; "
                    "nets trained from scratch need far more, so expect wide error bars or collect more."
                ),
            )
        )
    if max(nonzero.values()) / stats.min_per_class >= IMBALANCE_WARN:
        warnings.append(imbalance_warning(nonzero))
    heights = [h for h, _ in loaded.original_sizes]
    widths = [w for _, w in loaded.original_sizes]
    if stats.height_median and (max(heights) > 2 * min(heights) or max(widths) > 2 * min(widths)):
        warnings.append(
            DataWarning(
                code="mixed-image-sizes",
                message=(
                    f"Image sizes vary from {min(heights)}x{min(widths)} to {max(heights)}x{max(widths)}; "
                    f"all were resized to {loaded.size}x{loaded.size} without keeping the aspect ratio."
                ),
                severity="info",
            )
        )
    return warnings


def _duplicates(loaded: LoadedImages) -> tuple[int, int, DataWarning | None]:
    """(distinct images, exact duplicates, their warning): cheap, and a common cause of optimistic scores."""
    import hashlib

    digests = {hashlib.blake2b(im.tobytes(), digest_size=16).digest() for im in loaded.images}
    duplicates = len(loaded) - len(digests)
    if not duplicates:
        return len(digests), 0, None
    return (
        len(digests),
        duplicates,
        DataWarning(
            code="duplicate-rows",
            message=(
                f"{duplicates} images are exact duplicates of another (after resizing); duplicates across "
                "train and test folds inflate scores, so remove them."
            ),
        ),
    )


def loaded_source(
    loaded, source_path, source_format: str, n_rows: int, peak_memory_mb: float = 0.0
) -> SourceInfo:
    """The source of a loaded folder or path CSV of images or audio clips (``n_rows``: the
    readable items in the whole source; the loaded ones may be a seeded sample)."""
    return SourceInfo(
        path=str(source_path),
        format=source_format,
        size_bytes=loaded.size_bytes,
        n_rows=n_rows,
        n_rows_profiled=len(loaded),
        sampled=loaded.sampled,
        sample_note=loaded.sample_note,
        read_seconds=loaded.read_seconds,
        peak_memory_mb=peak_memory_mb,
    )


def profile_images(
    loaded: LoadedImages,
    source_path: str | Path,
    *,
    source_format: str = "image-folder",
    peak_memory_mb: float = 0.0,
) -> DatasetProfile:
    """A ``DatasetProfile`` for labelled images (modality "image"): ``image_stats``, then
    ``image_warnings`` and the duplicates, put together.

    ``raw_dimension`` is H x W x C at the median original size.
    ``source_format`` is "image-folder" or "image-csv".
    """
    stats = image_stats(loaded)
    nonzero = {k: n for k, n in stats.per_class.items() if n > 0}
    n_classes = len(nonzero)
    warnings = image_warnings(loaded, stats)
    n_unique, duplicates, duplicate_warning = _duplicates(loaded)
    if duplicate_warning is not None:
        warnings.append(duplicate_warning)
    folder = source_format == "image-folder"
    source = loaded_source(loaded, source_path, source_format, stats.n_images, peak_memory_mb)
    target = TargetInfo(
        name="label" if folder else None,
        inferred=folder,
        how="class sub-folder names" if folder else "label column",
        task="binary" if n_classes == 2 else "multiclass",
        task_reason=f"{n_classes} classes",
        n_classes=n_classes,
        class_counts=dict(nonzero),
        imbalance_ratio=max(nonzero.values()) / stats.min_per_class,
    )
    probe_width = loaded.size * loaded.size * loaded.channels
    column = ColumnProfile(
        name="image",
        dtype="image",
        kind="image_path",
        kind_reason="image files" + (" in class sub-folders" if folder else ""),
        missing_rate=0.0,
        n_unique=n_unique,
    )
    return DatasetProfile(
        source=source,
        n_rows=stats.n_images,
        n_columns=1,
        columns=[column],
        target=target,
        modality="image",
        modality_reason=(
            f"{stats.n_images:,} images, {stats.height_median}x{stats.width_median}x{loaded.channels} median: "
            f"{stats.raw_dimension:,} raw values per example"
        ),
        n_features=probe_width,
        encoded_width=probe_width,
        raw_dimension=stats.raw_dimension,
        memory_mb=stats.n_images * stats.raw_dimension / 1e6,
        duplicate_rows=duplicates,
        max_missing_rate=0.0,
        warnings=warnings,
        images=stats,
    )


def prepare_images(loaded: LoadedImages, profile: DatasetProfile, size: int | None = None) -> ProbeData:
    """``ProbeData`` with ``images`` (uint8, n x size x size x C) and class codes; X is None.

    ``size`` defaults to the loader's size; a different size resizes here.
    """
    import numpy as np

    from advisor.data import ProbeData

    if loaded.labels is None:
        raise InputError("Images need class labels; give a label column or class sub-folders.")
    images = loaded.images
    if size is not None and size != images.shape[1]:
        from PIL import Image

        out = np.empty((len(images), size, size, images.shape[3]), dtype=np.uint8)
        for i, a in enumerate(images):
            im = Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a)
            r = np.asarray(im.resize((size, size), Image.Resampling.BILINEAR))
            out[i] = r.reshape(size, size, -1)
        images = out
    # Re-code so codes are 0..k-1 over the classes actually present.
    present = np.unique(loaded.labels)
    remap = np.full(len(loaded.class_names), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return ProbeData(
        task=profile.target.task,
        modality="image",
        y=remap[loaded.labels],
        class_names=[loaded.class_names[i] for i in present],
        images=np.ascontiguousarray(images),
        n_rows_total=profile.n_rows,
    )
