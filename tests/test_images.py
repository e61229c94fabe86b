"""Image folder / path loading and the image profile, on images generated here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from advisor.errors import InputError
from advisor.io.images import is_image_folder, load_image_folder, load_image_paths
from advisor.profile.images import prepare_images, profile_images


def write_digits(root: Path, classes=(0, 1, 2), per_class: int = 30, size: int = 32) -> dict[str, int]:
    """scikit-learn's 8x8 digits as upscaled grayscale PNGs in class folders."""
    from PIL import Image
    from sklearn.datasets import load_digits

    d = load_digits()
    counts = {}
    for c in classes:
        folder = root / f"digit{c}"
        folder.mkdir(parents=True)
        idx = np.flatnonzero(d.target == c)[:per_class]
        for i in idx:
            a = (d.images[i] * (255 / 16)).astype(np.uint8)
            Image.fromarray(a).resize((size, size), Image.Resampling.NEAREST).save(folder / f"{i}.png")
        counts[f"digit{c}"] = len(idx)
    return counts


def write_shapes(root: Path, per_class: int = 20, size: int = 40, seed: int = 0) -> None:
    """RGB circles vs squares, random colours and positions."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for shape in ("circle", "square"):
        (root / shape).mkdir(parents=True)
        for i in range(per_class):
            bg = tuple(int(v) for v in rng.integers(0, 80, 3))
            fg = tuple(int(v) for v in rng.integers(120, 256, 3))
            img = Image.new("RGB", (size, size), bg)
            draw = ImageDraw.Draw(img)
            r = int(rng.integers(6, 12))
            x, y = (int(v) for v in rng.integers(r, size - r, 2))
            box = (x - r, y - r, x + r, y + r)
            (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=fg)
            img.save(root / shape / f"{i}.png")


def test_digits_folder_with_corrupt_file(tmp_path):
    counts = write_digits(tmp_path)
    good = (tmp_path / "digit1" / next(iter(sorted((tmp_path / "digit1").iterdir()))).name).read_bytes()
    (tmp_path / "digit1" / "broken.png").write_bytes(good[: len(good) // 2])  # truncated PNG
    (tmp_path / "digit1" / "notes.txt").write_text("not an image")
    assert is_image_folder(tmp_path)

    loaded = load_image_folder(tmp_path, size=16, max_images=None, seed=0)
    assert loaded.images.shape == (sum(counts.values()), 16, 16, 1)
    assert loaded.images.dtype == np.uint8
    assert loaded.n_unreadable == 1
    assert loaded.class_names == ["digit0", "digit1", "digit2"]
    assert np.bincount(loaded.labels).tolist() == [30, 30, 30]
    warning = next(w for w in loaded.warnings if w.code == "unreadable-images")
    assert "1 of 91" in warning.message and "broken.png" in warning.message

    profile = profile_images(loaded, tmp_path)
    stats = profile.images
    assert stats.n_images == 90 and stats.n_unreadable == 1
    assert stats.per_class == {"digit0": 30, "digit1": 30, "digit2": 30}
    assert (stats.height_median, stats.width_median, stats.channels) == (32, 32, 1)
    assert stats.raw_dimension == profile.raw_dimension == 32 * 32
    assert profile.modality == "image" and profile.target.task == "multiclass"
    codes = {w.code for w in profile.warnings}
    assert {"unreadable-images", "few-images"} <= codes

    data = prepare_images(loaded, profile, size=8)
    assert data.images.shape == (90, 8, 8, 1) and data.X is None
    assert data.y.dtype == np.int64 and data.class_names == loaded.class_names


def test_rgb_shapes_and_sampling(tmp_path):
    write_shapes(tmp_path, per_class=20)
    loaded = load_image_folder(tmp_path, size=24, max_images=None, seed=0)
    assert loaded.images.shape == (40, 24, 24, 3) and loaded.channels == 3
    profile = profile_images(loaded, tmp_path)
    assert profile.target.task == "binary"
    assert profile.raw_dimension == 40 * 40 * 3

    sample = load_image_folder(tmp_path, size=24, max_images=10, seed=1)
    assert len(sample) == 10 and np.bincount(sample.labels).tolist() == [5, 5]
    assert sample.sampled and "10 of 40" in sample.sample_note
    again = load_image_folder(tmp_path, size=24, max_images=10, seed=1)
    assert again.paths == sample.paths
    assert profile_images(sample, tmp_path).images.n_images == 40  # counts describe the whole folder


def test_mixed_modes_become_rgb(tmp_path):
    from PIL import Image

    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
    Image.new("L", (10, 12), 128).save(tmp_path / "a" / "gray.png")
    Image.new("P", (20, 20)).save(tmp_path / "a" / "palette.gif")
    Image.new("RGBA", (30, 30), (255, 0, 0, 128)).save(tmp_path / "b" / "rgba.png")
    loaded = load_image_folder(tmp_path, size=8, max_images=None, seed=0)
    assert loaded.images.shape == (3, 8, 8, 3)


def test_image_paths_from_csv_column(tmp_path):
    write_shapes(tmp_path / "imgs", per_class=6)
    paths = [f"imgs/{s}/{i}.png" for s in ("circle", "square") for i in range(6)]
    labels = ["circle"] * 6 + ["square"] * 6
    paths[3] = "imgs/circle/missing.png"
    paths[4] = ""
    loaded = load_image_paths(paths, tmp_path, size=16, labels=labels)
    assert len(loaded) == 10 and loaded.n_unreadable == 1
    assert 3 not in loaded.row_index and 4 not in loaded.row_index
    assert loaded.class_names == ["circle", "square"]
    profile = profile_images(loaded, tmp_path / "x.csv", source_format="image-csv")
    assert profile.source.format == "image-csv" and profile.target.task == "binary"


def test_errors(tmp_path):
    with pytest.raises(InputError):
        load_image_folder(tmp_path, size=16)  # empty folder
    (tmp_path / "only").mkdir()
    from PIL import Image

    Image.new("L", (8, 8)).save(tmp_path / "only" / "x.png")
    assert not is_image_folder(tmp_path)
    with pytest.raises(InputError, match="at least 2"):
        load_image_folder(tmp_path, size=16)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "bad.png").write_bytes(b"garbage")
    with pytest.raises(InputError, match="at least 2"):
        load_image_folder(tmp_path, size=16)
    assert not is_image_folder(tmp_path / "only" / "x.png")
