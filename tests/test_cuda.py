"""The CUDA path of the neural probes, on a machine with an NVIDIA GPU.

CI and the development machine have none, so every test here is skipped there; they
run where a GPU is (``pytest tests/test_cuda.py``), and docs/benchmarks.md ("On a
GPU") records the last run. What they hold the GPU path to: each probe that uses
torch keeps the probe contract with ``device="cuda"`` (``check_probe``: predictions,
same-seed determinism, the time limit, the runner); its weights and data really sit
on the GPU; bf16 autocast where the card has it; batches streamed from pinned host
memory equal the resident ones; the probes' dropout keeps 1 - p of the units there
too; and the CLI with ``--device cuda`` reports the GPU and runs the nets on it.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advisor import families  # noqa: E402
from advisor.facts import Constraints  # noqa: E402
from advisor.probe_api import FitContext  # noqa: E402
from advisor.probing.registry import discover_probes  # noqa: E402
from advisor.testing import check_probe, make_data, make_tone_folder  # noqa: E402
from tests.conftest import run_json, sklearn_csv  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")

NEURAL = [p for p in discover_probes() if getattr(p, "needs_torch", False)]


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> str:
    from tests.test_probes_pretrained import tiny_resnet_state

    path = tmp_path_factory.mktemp("weights") / "tiny-resnet.pth"
    torch.save(tiny_resnet_state(), path)
    return str(path)


@pytest.mark.parametrize("probe", NEURAL, ids=lambda p: p.name)
def test_neural_probe_keeps_the_contract_on_cuda(probe, weights) -> None:
    if missing := check_probe(probe, device="cuda", constraints=Constraints(weights=weights)):
        pytest.skip(missing)


def test_the_pool_sees_the_gpu_and_keeps_the_nets_in_process() -> None:
    from advisor.probing.pool import accelerators, torch_may_fork

    assert accelerators() >= 1 and not torch_may_fork()


def test_every_torch_probe_is_checked_here() -> None:
    names = {p.name for p in NEURAL}
    assert {"mlp", "cnn", "text_transformer", "audio_cnn", "seq_gru", "image_pretrained"} <= names


def _model_device(model) -> set[str]:
    """The devices of the fitted net's parameters, wherever the probe's model keeps it."""
    found: set[str] = set()
    for value in vars(model).values():
        if isinstance(value, torch.nn.Module):
            found |= {p.device.type for p in value.parameters()}
    return found


@pytest.mark.parametrize("modality", ["tabular", "image"])
def test_the_net_and_its_data_live_on_the_gpu(modality) -> None:
    from advisor_probes.cnn import CNNProbe
    from advisor_probes.mlp import MLPProbe

    probe = MLPProbe() if modality == "tabular" else CNNProbe()
    data = make_data(modality, "multiclass", n=400)
    torch.cuda.reset_peak_memory_stats()
    ctx = FitContext(seed=0, device="cuda", time_limit=30.0)
    model = probe.fit(data, ctx)
    assert _model_device(model) == {"cuda"}, vars(model).keys()
    assert torch.cuda.max_memory_allocated() > 0
    assert not any("ran on CPU" in n for n in ctx.notes), ctx.notes
    pred = model.predict(data)
    assert pred.shape == (len(data), data.n_classes) and np.isfinite(pred).all()


def test_cuda_and_cpu_fits_score_alike() -> None:
    """The same MLP on the same split: bf16 autocast and GPU kernels move the score by
    float noise, not by a different model."""
    from advisor_probes.mlp import MLPProbe
    from sklearn import datasets
    from sklearn.metrics import roc_auc_score

    from tests.test_probes_tabular import _from_sklearn, _split

    train, test = _split(_from_sklearn(datasets.load_breast_cancer, "binary"))
    auc = {}
    for device in ("cpu", "cuda"):
        model = MLPProbe().fit(train, FitContext(seed=0, device=device, time_limit=60.0))
        auc[device] = roc_auc_score(test.y, model.predict(test)[:, 1])
    assert auc["cuda"] > 0.95 and abs(auc["cuda"] - auc["cpu"]) < 0.02, auc


def test_amp_is_bf16_where_the_card_has_it() -> None:
    from advisor_probes._torch import amp_for

    amp = amp_for(torch.device("cuda"))
    assert amp.enabled and amp.device_type == "cuda"
    assert amp.describe() == ("bf16" if torch.cuda.is_bf16_supported() else "fp16+GradScaler")


def test_streamed_batches_equal_resident_ones(monkeypatch) -> None:
    """Data over ``RESIDENT_LIMIT_BYTES`` is copied a batch at a time from pinned host memory:
    the same rows, in the same shuffled order, as when it all lives on the GPU."""
    from advisor_probes import _torch
    from advisor_probes._torch import TensorBatches

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 7)).astype(np.float32)
    y = rng.integers(0, 3, size=1000)
    cuda = torch.device("cuda")

    def batches():
        it = TensorBatches([X, y], 96, cuda, shuffle=True, generator=torch.Generator().manual_seed(4))
        return it, [[t.cpu() for t in b] for b in it]

    resident, kept = batches()
    monkeypatch.setattr(_torch, "RESIDENT_LIMIT_BYTES", 0)
    streamed, moved = batches()
    assert resident.resident and not streamed.resident
    assert len(kept) == len(moved) == 11
    for a, b in zip(kept, moved, strict=True):
        assert all(torch.equal(s, t) for s, t in zip(a, b, strict=True))


def test_mask_dropout_on_cuda_keeps_one_minus_p() -> None:
    from advisor_probes._dropout import MaskDropout

    x = torch.ones(400, 500, device="cuda")
    out = MaskDropout(0.2)(x)
    assert out.device.type == "cuda"
    assert abs((out != 0).float().mean().item() - 0.8) < 0.005
    assert torch.allclose(out[out != 0], torch.tensor(1 / 0.8, device="cuda"))


# --- the CLI, end to end -------------------------------------------------------------------


def _nets(report: dict) -> dict[str, dict]:
    """The neural probes that apply to the data (the others say why not and take no time)."""
    return {
        p["name"]: p
        for p in report["probes"]
        if families.neural(p["family"]) and p["status"] != "not_applicable"
    }


@pytest.mark.parametrize("loader", ["load_breast_cancer", "load_digits"])
def test_cli_device_cuda_runs_the_nets_on_the_gpu(loader, tmp_path) -> None:
    report = run_json(sklearn_csv(tmp_path, loader), "--device", "cuda", "--budget", "15")
    assert report["compute"]["device"] == "cuda" and report["compute"]["gpu_name"]
    nets = _nets(report)
    assert nets, [p["name"] for p in report["probes"]]
    for name, probe in nets.items():
        assert probe["status"] in {"ok", "partial"}, (name, probe.get("reason"))
        assert probe["device"] == "cuda", name


def test_cli_device_cpu_on_a_gpu_machine_runs_the_nets(tmp_path) -> None:
    """Small data pools its fits in forked helpers; where torch sees a GPU the nets must stay
    in process (a child forked after a backward pass cannot run autograd). Found here: every
    net failed on its first fold with ``--device cpu`` on an H200."""
    report = run_json(sklearn_csv(tmp_path, "load_digits"), "--device", "cpu", "--budget", "15")
    nets = _nets(report)
    assert {"mlp", "cnn"} <= set(nets)
    for name, probe in nets.items():
        assert probe["status"] in {"ok", "partial"}, (name, probe.get("reason"))
        assert probe["device"] == "cpu", name


def test_cli_device_cuda_on_an_audio_folder(tmp_path) -> None:
    folder = make_tone_folder(tmp_path / "tones", 12)
    report = run_json(folder, "--device", "cuda", "--budget", "15")
    cnn = {p["name"]: p for p in report["probes"]}["audio_cnn"]
    assert cnn["status"] == "ok" and cnn["device"] == "cuda", cnn.get("reason")


def test_sequence_net_on_cuda(tmp_path) -> None:
    from tests.test_sequences import sensor_table

    path = tmp_path / "sensors.csv"
    sensor_table(order_matters=True).to_csv(path, index=False)
    report = run_json(path, "--target", "alarm", "--device", "cuda", "--budget", "15")
    gru = {p["name"]: p for p in report["probes"]}["seq_gru"]
    assert gru["status"] == "ok" and gru["device"] == "cuda", gru.get("reason")
