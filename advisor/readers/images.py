"""Images: a folder with one sub-folder per class, or a CSV with a column of image paths."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from advisor.readers.base import Reader, Source

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData
    from advisor.facts import DatasetProfile
    from advisor.io.images import LoadedImages


class ImageFolderReader(Reader):
    name: ClassVar[str] = "image-folder"

    def detect(self, source: Source) -> bool:
        from advisor.io.images import is_image_folder

        return source.is_dir and is_image_folder(source.path)

    def load(self, source: Source) -> LoadedImages:
        from advisor.io.images import load_image_folder

        o = source.options
        return load_image_folder(
            source.path, size=o.image_size, max_images=o.max_items, seed=o.constraints.seed
        )

    def profile(self, loaded: LoadedImages, source: Source) -> DatasetProfile:
        from advisor.profile.images import profile_images

        return profile_images(loaded, str(source.path))

    def prepare(self, loaded: LoadedImages, profile: DatasetProfile) -> ProbeData:
        from advisor.profile.images import prepare_images

        return prepare_images(loaded, profile)


class ImageCsvReader(Reader):
    """A table whose profile found a column of image paths (resolved relative to the file)."""

    name: ClassVar[str] = "image-csv"

    def detect(self, source: Source) -> bool:
        return source.is_table and source.table_profile().modality == "image"

    def load(self, source: Source) -> LoadedImages:
        from advisor.io.images import load_image_paths

        o, profile = source.options, source.table_profile()
        frame = source.table().frame
        return load_image_paths(
            frame[profile.columns_of("image_path")[0]].tolist(),
            source.path.parent,
            size=o.image_size,
            labels=frame[profile.target.name].tolist(),
            max_images=o.max_items,
            seed=o.constraints.seed,
        )

    def profile(self, loaded: LoadedImages, source: Source) -> DatasetProfile:
        from advisor.profile.images import profile_images

        table = source.table_profile()
        images = profile_images(loaded, str(source.path), source_format="image-csv")
        merge_table_profile(images, table, f"column '{table.columns_of('image_path')[0]}' holds image paths")
        images.modality_reason += f"; {len(loaded):,} images loaded"
        return images

    def prepare(self, loaded: LoadedImages, profile: DatasetProfile) -> ProbeData:
        from advisor.profile.images import prepare_images

        return prepare_images(loaded, profile)


def merge_table_profile(profile: DatasetProfile, table: DatasetProfile, reason: str) -> None:
    """Keep in ``profile`` (of the files a table names) what the table's profile knows: how the
    table was read, its columns, how the target was chosen, and its warnings."""
    profile.source = replace(table.source, format=f"{profile.source.format} ({table.source.format})")
    profile.columns = table.columns
    profile.n_columns = table.n_columns
    profile.target.name, profile.target.inferred, profile.target.how = (
        table.target.name,
        table.target.inferred,
        table.target.how,
    )
    profile.modality_reason = reason
    seen = {w.code for w in profile.warnings}
    profile.warnings = [w for w in table.warnings if w.code not in seen] + profile.warnings
