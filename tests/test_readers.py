"""The reader protocol: one reader per kind of input, asked in order, the table read once."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from advisor.errors import InputError
from advisor.facts import Constraints
from advisor.readers import READERS, Reader, ReadOptions, Source, pick, read
from advisor.testing import make_tone_folder


def _source(path: Path) -> Source:
    return Source(path, os.stat(path), ReadOptions(constraints=Constraints()))


def _images(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for c in ("cats", "dogs"):
        (root / c).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(root / c / f"{i}.png")
    return root


def test_every_reader_keeps_the_protocol():
    assert all(isinstance(r, Reader) and r.name for r in READERS)
    assert len({r.name for r in READERS}) == len(READERS)
    assert READERS[-1].name == "table"  # the fallback for any file


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: _images(p), "image-folder"),
        (
            lambda p: make_tone_folder(p, 2, classes=("low-up", "high-up"), seconds=0.25, rate=8000),
            "audio-folder",
        ),
    ],
)
def test_folders_go_to_their_reader(tmp_path, make, expected):
    assert pick(_source(make(tmp_path))).name == expected


def test_csvs_go_to_the_reader_of_what_they_name(tmp_path):
    _images(tmp_path / "img")
    make_tone_folder(tmp_path / "snd", 3, classes=("low-up", "high-up"), seconds=0.25, rate=8000)
    images = pd.DataFrame({"file": [f"img/{c}/{i}.png" for c in ("cats", "dogs") for i in range(6)]})
    images["label"] = [c for c in ("cats", "dogs") for _ in range(6)]
    clips = pd.DataFrame({"clip": [f"snd/{c}/{i}.wav" for c in ("low-up", "high-up") for i in range(3)]})
    clips["label"] = [c for c in ("low-up", "high-up") for _ in range(3)]
    table = pd.DataFrame({"x": np.arange(40.0), "label": [0, 1] * 20})
    for name, frame, expected in (
        ("images.csv", images, "image-csv"),
        ("clips.csv", clips, "audio-csv"),
        ("table.csv", table, "table"),
    ):
        frame.to_csv(tmp_path / name, index=False)
        assert pick(_source(tmp_path / name)).name == expected, name


def test_the_table_is_read_once_for_every_reader_that_asks(tmp_path, monkeypatch):
    import advisor.io.read as io_read

    pd.DataFrame({"x": np.arange(40.0), "label": [0, 1] * 20}).to_csv(tmp_path / "t.csv", index=False)
    calls = []
    real = io_read.read_table
    monkeypatch.setattr(io_read, "read_table", lambda *a, **k: calls.append(1) or real(*a, **k))
    profile, data = read(
        tmp_path / "t.csv", os.stat(tmp_path / "t.csv"), ReadOptions(constraints=Constraints())
    )
    assert len(calls) == 1 and profile.modality == "tabular" and len(data) == 40


def test_a_folder_no_reader_takes_says_why(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="is a folder, not a table or an image folder"):
        pick(_source(tmp_path))


def test_audio_path_column_is_found_among_missing_values_in_a_big_table(tmp_path):
    from advisor.readers.audio import audio_path_column

    rng = np.random.default_rng(1)
    n = 20_000  # over the peek's 2 x 200 values, so the seeded look draws positions
    paths = np.array([f"clips/{i}.WAV " for i in range(n)], dtype=object)
    paths[rng.random(n) < 0.3] = None  # missing values are not counted against the share
    words = np.array(["red", "green", "blue"])[rng.integers(0, 3, n)]
    frame = pd.DataFrame({"colour": words, "clip": paths, "label": rng.integers(0, 2, n)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert audio_path_column(_source(tmp_path / "t.csv")) == "clip"
    frame.drop(columns="clip").to_csv(tmp_path / "none.csv", index=False)
    assert audio_path_column(_source(tmp_path / "none.csv")) is None
