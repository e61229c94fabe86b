"""Image inputs a tester broke: decompression-bomb sizes and misleading folder errors."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

import advisor.io.decode as image_decode
from advisor.errors import InputError
from advisor.io.images import image_folder_error, is_image_folder, load_image_folder, load_image_paths
from advisor.profile.images import profile_images
from tests.conftest import run_cli

SMALL = 16  # side of the ordinary test images


def _png(path: Path, side: int = SMALL, mode: str = "RGB", seed: int = 0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).convert(mode).save(path)
    return path


def _huge_png_header(path: Path, side: int) -> Path:
    """A PNG whose header claims ``side`` x ``side`` grayscale pixels but holds one
    compressed byte: huge to Pillow's size check, tiny on disk and in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def _two_classes(root: Path, per_class: int = 4) -> None:
    for k, c in enumerate(("a", "b")):
        for i in range(per_class):
            _png(root / c / f"{i}.png", seed=100 * k + i)


@pytest.fixture
def small_cap(monkeypatch):
    """Images over 20x20 pixels count as too large, so tests stay light."""
    monkeypatch.setattr(image_decode, "MAX_PIXELS", 400)
    return 400


def _spy_loads(monkeypatch) -> list[tuple[int, int]]:
    """Record the size of every bitmap Pillow actually decodes."""
    from PIL import ImageFile

    seen: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self):
        seen.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


# --- P8: very large images ------------------------------------------------------------


def test_oversized_images_are_skipped_before_decoding(tmp_path, monkeypatch, small_cap):
    _two_classes(tmp_path)
    _png(tmp_path / "a" / "big.png", side=64)
    _png(tmp_path / "b" / "big.png", side=64)
    (tmp_path / "b" / "broken.png").write_bytes(b"not a png")
    decoded_sizes = _spy_loads(monkeypatch)

    loaded = load_image_folder(tmp_path, size=8)

    assert len(loaded) == 8
    assert all(w * h <= small_cap for w, h in decoded_sizes)  # the big ones were never decoded
    assert loaded.n_too_large == 2 and loaded.too_large_per_class == {"a": 1, "b": 1}
    assert loaded.n_unreadable == 1  # counted apart from the too large
    by_code = {w.code: w.message for w in loaded.warnings}
    assert "larger than 0.0004 megapixels" in by_code["oversized-images"]
    assert by_code["oversized-images"].startswith("2 of 11 image files")
    assert "downscale" in by_code["oversized-images"]
    assert "1 of 11" in by_code["unreadable-images"]

    stats = profile_images(loaded, tmp_path).images
    assert stats.per_class == {"a": 4, "b": 4} and stats.n_images == 8


def test_large_jpeg_is_decoded_at_reduced_scale(tmp_path, monkeypatch, small_cap):
    """JPEG's draft mode decodes at 1/8 scale, so a photo over the cap still loads."""
    _two_classes(tmp_path)
    photo = _png(tmp_path / "a" / "photo.png", side=160)
    from PIL import Image

    with Image.open(photo) as im:
        im.convert("RGB").save(tmp_path / "a" / "photo.jpg", quality=90)
    photo.unlink()
    decoded_sizes = _spy_loads(monkeypatch)

    loaded = load_image_folder(tmp_path, size=8)

    assert loaded.n_too_large == 0 and len(loaded) == 9
    assert (160, 160) in loaded.original_sizes  # the size as stored, not as decoded
    assert (20, 20) in decoded_sizes  # 160 / 8


def test_pillow_bomb_limits_count_as_too_large_and_warn_nothing(tmp_path, monkeypatch):
    """Above Pillow's own limits, open() warns or raises; neither may reach the user."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    _two_classes(tmp_path)
    _png(tmp_path / "a" / "warns.png", side=30)  # 900 px: DecompressionBombWarning at open
    _png(tmp_path / "b" / "raises.png", side=40)  # 1600 px > 2x limit: DecompressionBombError
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_image_folder(tmp_path, size=8)

    assert [str(w.message) for w in caught] == []
    assert loaded.n_too_large == 1 and loaded.too_large_per_class == {"b": 1}
    assert loaded.n_unreadable == 0 and len(loaded) == 9  # 900 px is under our own cap


def test_all_images_too_large_is_an_input_error(tmp_path, small_cap):
    for c in ("a", "b"):
        _png(tmp_path / c / "big.png", side=64)
    with pytest.raises(InputError, match="larger than .* megapixels: downscale them"):
        load_image_folder(tmp_path, size=8)


def test_one_class_too_large_names_the_cause(tmp_path, small_cap):
    _png(tmp_path / "a" / "ok.png")
    _png(tmp_path / "b" / "big.png", side=64)
    with pytest.raises(InputError, match="1 are larger than .* downscale them.*at least 2 classes"):
        load_image_folder(tmp_path, size=8)


def test_image_paths_count_too_large(tmp_path, small_cap):
    for i in range(4):
        _png(tmp_path / f"{i}.png", seed=i)
    _png(tmp_path / "big.png", side=64)
    paths = ["0.png", "1.png", "2.png", "3.png", "big.png"]
    loaded = load_image_paths(paths, tmp_path, size=8, labels=["x", "y", "x", "y", "x"])
    assert len(loaded) == 4 and loaded.n_too_large == 1 and loaded.too_large_per_class == {"x": 1}
    assert "oversized-images" in {w.code for w in loaded.warnings}
    assert profile_images(loaded, tmp_path / "i.csv", source_format="image-csv").images.per_class == {
        "x": 2,
        "y": 2,
    }


def test_cli_bomb_folder_is_quiet_and_light(tmp_path):
    """The real CLI and the real cap: headers claiming 144 and 256 megapixels (over
    Pillow's warning and error limits) are skipped with a warning, and stderr stays empty."""
    _two_classes(tmp_path)
    _huge_png_header(tmp_path / "a" / "huge.png", 16_000)
    _huge_png_header(tmp_path / "b" / "big.png", 12_000)
    proc = subprocess.run(
        [sys.executable, "-c", "from advisor.cli import main; main()", "recommend", str(tmp_path)]
        + ["--no-probes", "--format", "json", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    dataset = json.loads(proc.stdout)["dataset"]
    assert dataset["images"]["n_images"] == 8 and dataset["images"]["n_unreadable"] == 0
    message = next(w["message"] for w in dataset["warnings"] if w["code"] == "oversized-images")
    assert message.startswith("2 of 10 image files are larger than 50 megapixels")


# --- P7: folders that are not (yet) image folders -------------------------------------


def _cli_error(path: Path) -> str:
    code, out, err = run_cli("recommend", str(path), "--no-probes", "-q")
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_single_class_folder(tmp_path):
    for i in range(3):
        _png(tmp_path / "cats" / f"{i}.png", seed=i)
    (tmp_path / "dogs").mkdir()  # empty: does not count as a class
    assert not is_image_folder(tmp_path)
    err = _cli_error(tmp_path)
    assert "only one class folder ('cats')" in err and "add a folder of images per class" in err


def test_empty_class_folders(tmp_path):
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
    (tmp_path / "b" / "notes.txt").write_text("no images here")
    err = _cli_error(tmp_path)
    assert "no images in its sub-folders ('a', 'b'" in err and ".png" in err


def test_images_without_class_folders(tmp_path):
    for i in range(3):
        _png(tmp_path / f"{i}.png", seed=i)
    message = str(image_folder_error(tmp_path).message)
    assert "holds images but no class sub-folders" in message


def test_plain_folder_keeps_the_general_message(tmp_path):
    (tmp_path / "data.txt").write_text("hello")
    message = str(image_folder_error(tmp_path).message)
    assert "is a folder, not a table or an image folder" in message


def test_many_subfolders_are_abbreviated(tmp_path):
    for i in range(8):
        (tmp_path / f"d{i}").mkdir()
    message = str(image_folder_error(tmp_path).message)
    assert "'d4', ..." in message and "'d5'" not in message
