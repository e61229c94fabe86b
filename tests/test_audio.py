"""Audio end to end: folders and CSVs of generated tones, skipped files, the profile, the probes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from advisor.cli import cli
from advisor.io.audio import MAX_SECONDS, is_audio_folder, load_audio_folder, load_audio_paths
from advisor.profile.audio import log_mel, mel_filterbank, prepare_audio, profile_audio
from advisor.testing import make_tone_folder

RATE = 8_000


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Three classes of tones (0.5 s) plus the awkward files: a flac, a stereo clip, another
    rate, a corrupt file, an empty one, one over MAX_SECONDS (header only: no samples decoded)."""
    root = make_tone_folder(
        tmp_path_factory.mktemp("tones"),
        14,
        classes=("low-up", "high-up", "high-down"),
        seconds=0.5,
        rate=RATE,
    )
    rng = np.random.default_rng(1)
    t = np.arange(int(0.5 * 22_050)) / 22_050
    tone = (0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    sf.write(root / "low-up" / "x.flac", tone, 22_050)
    sf.write(root / "low-up" / "stereo.wav", np.stack([tone, tone[::-1]], axis=1), 22_050)
    (root / "high-up" / "corrupt.wav").write_bytes(b"RIFF" + rng.bytes(200))
    sf.write(root / "high-up" / "empty.wav", np.zeros(0, dtype=np.float32), RATE)
    long = root / "high-down" / "long.wav"
    with sf.SoundFile(long, "w", samplerate=100, channels=1, subtype="PCM_16") as f:
        f.write(np.zeros(int(MAX_SECONDS * 100) + 200, dtype=np.int16))
    (root / "high-down" / "notes.txt").write_text("not audio")
    return root


def test_folder_is_loaded_with_every_skip_counted(messy):
    assert is_audio_folder(messy)
    loaded = load_audio_folder(messy, seed=0)
    assert (loaded.n_unreadable, loaded.n_empty, loaded.n_too_long) == (1, 1, 1)
    assert len(loaded) == 14 * 3 + 2
    assert loaded.sample_rate == RATE  # the median native rate, below 16 kHz
    assert loaded.waveforms.shape == (len(loaded), int(RATE * loaded.clip_seconds))
    assert sorted(set(loaded.channels)) == [1, 2] and 22_050 in loaded.native_rates
    profile = profile_audio(loaded, messy)
    a = profile.audio
    assert profile.modality == "audio" and profile.target.task == "multiclass"
    assert a.per_class == {"high-down": 14, "high-up": 14, "low-up": 16}
    assert a.sample_rates == {"8000": 42, "22050": 2} and a.channels == {"1": 43, "2": 1}
    assert 0.0 <= a.silence_share < 0.1
    codes = {w.code for w in profile.warnings}
    assert {"unreadable-audio", "empty-audio", "overlong-audio", "few-clips"} <= codes
    data = prepare_audio(loaded, profile)
    assert data.spectrograms.shape[:2] == (len(loaded), 64) and np.isfinite(data.spectrograms).all()


def test_sampled_folder_keeps_whole_source_counts(messy):
    loaded = load_audio_folder(messy, max_clips=12, seed=3)
    assert len(loaded) <= 12 and loaded.sampled
    assert profile_audio(loaded, messy).audio.n_clips >= 40  # counts describe the whole folder
    again = load_audio_folder(messy, max_clips=12, seed=3)
    assert again.paths == loaded.paths


def test_mel_filterbank_covers_the_spectrum_and_a_tone_lands_in_its_band():
    fb = mel_filterbank(16_000, 512, 64)
    assert fb.shape == (64, 257) and (fb.sum(axis=0)[1:-1] > 0).all()
    t = np.arange(16_000) / 16_000
    low, high = (np.sin(2 * np.pi * f * t).astype(np.float32) for f in (300.0, 3000.0))
    spec = log_mel(np.stack([low, high]), 16_000)
    assert spec[0].mean(axis=1).argmax() < spec[1].mean(axis=1).argmax()


def test_audio_csv_resolves_relative_paths_and_keeps_the_table(messy, tmp_path):
    import pandas as pd

    rows = [(f"{c}/{i}.wav", c) for c in ("low-up", "high-down") for i in range(8)]
    rows.append(("missing.wav", "low-up"))
    csv = messy / "clips.csv"
    pd.DataFrame(rows, columns=["path", "label"]).to_csv(csv, index=False)
    loaded = load_audio_paths(
        [r[0] for r in rows], messy, labels=[r[1] for r in rows], max_clips=None, seed=0
    )
    assert len(loaded) == 16 and loaded.n_unreadable == 1 and loaded.row_index.max() == 15
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["recommend", str(csv), "--no-probes", "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    r = json.loads(out.read_text())
    d = r["dataset"]
    assert d["modality"] == "audio" and d["source"]["format"] == "audio-csv (csv)"
    assert d["target"]["name"] == "label" and d["audio"]["n_unreadable"] == 1
    assert "holds audio paths" in d["modality_reason"]


def _run(path, out, *extra):
    res = CliRunner().invoke(
        cli, ["recommend", str(path), "--budget", "5", "--format", "json", "-o", str(out), *extra]
    )
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text())


def test_cli_full_run_and_no_probes_agree_on_the_problems(messy, tmp_path):
    full = _run(messy, tmp_path / "full.json")
    rules_only = _run(messy, tmp_path / "rules.json", "--no-probes")
    assert full["dataset"]["modality"] == "audio" and full["dataset"]["audio"]["n_clips"] == 44
    assert [w["code"] for w in full["dataset"]["warnings"]] == [
        w["code"] for w in rules_only["dataset"]["warnings"]
    ]
    ran = {p["name"]: p for p in full["probes"] if p["status"] in ("ok", "partial")}
    assert {"baseline", "audio_gbdt", "audio_cnn"} <= set(ran)
    assert all(np.isfinite(ran[n]["score"]["mean"]) for n in ("audio_gbdt", "audio_cnn"))
    fired = {f["id"] for f in full["prior"]["fired"]}
    assert {"modality.audio", "unstructured.few-audio-clips-per-class"} <= fired
    steps = " ".join(full["recommendation"]["next_steps"])
    assert "PANNs" in steps and "wav2vec 2.0" in steps


def test_folder_with_one_class_of_audio_says_so(tmp_path):
    make_tone_folder(tmp_path, 3, classes=("low-up",), seconds=0.25, rate=RATE)
    res = CliRunner().invoke(cli, ["recommend", str(tmp_path), "--no-probes"])
    assert res.exit_code == 2 and "audio in only one class folder ('low-up')" in res.output
    assert "Traceback" not in res.output


def test_summaries_separate_pitch_and_the_cnn_sees_order_in_time(tmp_path):
    """GBDT on spectrum summaries tells pitch and timbre apart from few clips, but not a rising
    from a falling sweep over the same pitches; the CNN on the spectrogram does."""
    from advisor_probes.audio_cnn import AudioCNNProbe
    from advisor_probes.audio_gbdt import AudioGBDTProbe
    from sklearn.metrics import f1_score

    from advisor.probe_api import FitContext

    def split(classes, per_class, n_train):
        root = make_tone_folder(
            tmp_path / "-".join(classes), per_class, classes=classes, seconds=0.5, rate=RATE
        )
        loaded = load_audio_folder(root)
        data = prepare_audio(loaded, profile_audio(loaded, root))
        idx = np.random.default_rng(0).permutation(len(data))
        return data.take(idx[:n_train]), data.take(idx[n_train:])

    def f1(probe, train, test, limit):
        model = probe.fit(train, FitContext(seed=0, device="cpu", time_limit=limit))
        return f1_score(test.y, model.predict(test).argmax(axis=1), average="macro")

    few_train, few_test = split(("low-up", "high-down"), 12, 12)
    assert f1(AudioGBDTProbe(), few_train, few_test, 10) >= 0.9
    train, test = split(("low-up", "low-down"), 50, 70)
    gbdt, cnn = f1(AudioGBDTProbe(), train, test, 10), f1(AudioCNNProbe(), train, test, 30)
    assert cnn > gbdt + 0.15, (cnn, gbdt)
