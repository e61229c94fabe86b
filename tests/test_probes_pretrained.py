"""The pretrained family: text embeddings (wordllama) and a frozen image backbone.

The image tests build a tiny torchvision-layout ResNet, save its state dict to a
temporary folder and load it through the paths users have: ``--weights FILE`` and
the torch hub cache. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from advisor import families
from advisor.data import ProbeData
from advisor.facts import Constraints
from advisor.probe_api import FitContext
from advisor.testing import check_probe
from tests.conftest import run_cli, run_json

torch = pytest.importorskip("torch")

HAS_WORDLLAMA = importlib.util.find_spec("wordllama") is not None
needs_wordllama = pytest.mark.skipif(not HAS_WORDLLAMA, reason='pip install "advisor[embeddings]"')


def tiny_resnet_state(widths: tuple[int, ...] = (4, 8, 8, 8), seed: int = 0) -> dict:
    """A random ResNet with one basic block per stage, in torchvision's parameter layout."""
    gen = torch.Generator().manual_seed(seed)

    def conv(out_c: int, in_c: int, k: int) -> torch.Tensor:
        return torch.randn(out_c, in_c, k, k, generator=gen) * (2.0 / (in_c * k * k)) ** 0.5

    def bn(prefix: str, c: int) -> dict:
        return {
            f"{prefix}.weight": torch.ones(c), f"{prefix}.bias": torch.zeros(c),
            f"{prefix}.running_mean": torch.zeros(c), f"{prefix}.running_var": torch.ones(c),
            f"{prefix}.num_batches_tracked": torch.tensor(0),
        }  # fmt: skip

    state = {"conv1.weight": conv(widths[0], 3, 7), **bn("bn1", widths[0])}
    c_in = widths[0]
    for n, width in enumerate(widths, start=1):
        p = f"layer{n}.0"
        state.update({f"{p}.conv1.weight": conv(width, c_in, 3), **bn(f"{p}.bn1", width)})
        state.update({f"{p}.conv2.weight": conv(width, width, 3), **bn(f"{p}.bn2", width)})
        if n > 1 or c_in != width:
            state.update({f"{p}.downsample.0.weight": conv(width, c_in, 1), **bn(f"{p}.downsample.1", width)})
        c_in = width
    state.update({"fc.weight": torch.zeros(10, c_in), "fc.bias": torch.zeros(10)})
    return state


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "tiny-resnet.pth"
    torch.save(tiny_resnet_state(), path)
    return path


# --- the family -------------------------------------------------------------------------------


def test_pretrained_sits_between_gbdt_and_the_nets_trained_from_scratch():
    names = list(families.NAMES)
    assert names.index("gbdt") < names.index("pretrained") < names.index("mlp")
    fam = families.get("pretrained")
    assert not fam.interpretable and fam.leakage_recheck
    assert "fine-tune" in fam.next_step.lower()
    assert "pretrained" in families.leakage_recheck()


# --- text -------------------------------------------------------------------------------------

POS = ["great", "excellent", "wonderful", "superb", "fantastic", "brilliant", "delightful", "marvelous"]
NEG = ["terrible", "awful", "horrible", "dreadful", "atrocious", "abysmal", "lousy", "appalling"]
FILLER = "the film was and i thought it really quite a story with actors plot it felt".split()


def reviews(n: int, pos: list[str], neg: list[str], seed: int) -> ProbeData:
    """Filler words plus one sentiment word per review, drawn from ``pos`` or ``neg``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.int64)
    docs = []
    for label in y:
        words = [*rng.choice(FILLER, 6), str(rng.choice(pos if label else neg))]
        rng.shuffle(words)
        docs.append(" ".join(words))
    return ProbeData(
        task="binary", modality="text", y=y, class_names=["negative", "positive"],
        X=pd.DataFrame({"review": pd.Series(docs, dtype=object)}), feature_kinds={"review": "text"},
        n_rows_total=n,
    )  # fmt: skip


@needs_wordllama
def test_embeddings_generalise_to_synonyms_tfidf_never_saw():
    """Train on half the sentiment words, test on their synonyms: TF-IDF has no feature for
    an unseen word, the embeddings place it near the ones seen."""
    from advisor_probes.text_embed import TextEmbedLinearProbe
    from advisor_probes.text_linear import TextLinearProbe
    from sklearn.metrics import roc_auc_score

    train = reviews(200, POS[:4], NEG[:4], seed=0)
    test = reviews(200, POS[4:], NEG[4:], seed=1)
    scores = {}
    for probe in (TextLinearProbe(), TextEmbedLinearProbe()):
        ctx = FitContext(seed=0, device="cpu", time_limit=30)
        scores[probe.name] = roc_auc_score(test.y, probe.fit(train, ctx).predict(test)[:, 1])
    assert scores["text_embed_linear"] > 0.8, scores
    assert scores["text_embed_linear"] > scores["text_linear"] + 0.15, scores


@needs_wordllama
def test_embedding_params_say_what_the_fit_embedded():
    from advisor_probes.text_embed import TextEmbedLinearProbe

    probe, data = TextEmbedLinearProbe(), reviews(60, POS, NEG, seed=2)
    ctx = FitContext(seed=0, device="cpu", time_limit=30)
    first = probe.fit(data, ctx)
    assert first.params["embedded"] == len(set(data.X["review"]))
    second = probe.fit(data, FitContext(seed=0, device="cpu", time_limit=30))
    assert second.params["embedded"] == 0  # the same texts: embedded once per run
    assert np.allclose(first.predict(data), second.predict(data))
    assert any("once per run" in n for n in ctx.notes)


def test_without_wordllama_the_text_probes_are_skipped_saying_how_to_enable_them(monkeypatch):
    from advisor_probes import text_embed
    from advisor_probes.baseline import BaselineProbe

    from advisor.probing import stage

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wordllama" else real(name, *a)
    )
    data = reviews(60, POS, NEG, seed=3)
    probes = [BaselineProbe(), text_embed.TextEmbedLinearProbe(), text_embed.TextEmbedGBDTProbe()]
    from advisor.facts import ComputeInfo

    compute = ComputeInfo(cpu_cores=1, memory_gb=8.0)
    out = stage.run_probes(data, constraints=Constraints(budget_seconds=2), compute=compute, probes=probes)
    skipped = {r.name: r for r in out.results if r.status == "skipped"}
    assert set(skipped) == {"text_embed_linear", "text_embed_gbdt"}
    assert all('pip install "advisor[embeddings]"' in r.reason for r in skipped.values())


# --- images -----------------------------------------------------------------------------------


def test_image_probe_passes_check_probe_with_weights_from_a_file(weights_file):
    from advisor_probes.image_pretrained import ImagePretrainedProbe

    # Multiclass only: it covers a class missing from training; the other tasks share the code.
    constraints = Constraints(weights=str(weights_file))
    assert check_probe(ImagePretrainedProbe, tasks=["multiclass"], constraints=constraints) is None


def test_image_probe_finds_weights_in_the_torch_hub_cache(tmp_path, monkeypatch):
    from advisor_probes.image_pretrained import ImagePretrainedProbe

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    probe = ImagePretrainedProbe()
    reason = probe.setup(Constraints())
    assert reason is not None and "--weights" in reason and str(tmp_path) in reason
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(tiny_resnet_state(), tmp_path / "hub" / "checkpoints" / "resnet18-0000tiny.pth")
    assert probe.setup(Constraints()) is None
    assert probe.backbone is not None and probe.backbone.path.name == "resnet18-0000tiny.pth"


def test_a_file_that_is_no_resnet_is_skipped_with_the_reason(tmp_path):
    from advisor_probes.image_pretrained import ImagePretrainedProbe

    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    assert "cannot read" in ImagePretrainedProbe().setup(Constraints(weights=str(junk)))
    other = tmp_path / "other.pth"
    torch.save({"conv1.weight": torch.zeros(4, 3, 7, 7)}, other)
    assert "layer1 to layer4" in ImagePretrainedProbe().setup(Constraints(weights=str(other)))


@pytest.fixture(scope="module")
def shapes_dir(tmp_path_factory) -> Path:
    """Two classes of 16x16 images: bright squares and dark ones, with noise."""
    from PIL import Image

    root = tmp_path_factory.mktemp("shapes") / "shapes"
    rng = np.random.default_rng(0)
    for label, level in (("bright", 190), ("dark", 70)):
        (root / label).mkdir(parents=True)
        for i in range(30):
            img = np.clip(level + rng.normal(0, 40, (16, 16, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(root / label / f"{i}.png")
    return root


def test_cli_weights_runs_the_image_probe(shapes_dir, weights_file):
    r = run_json(shapes_dir, "--budget", "5", "--weights", str(weights_file))
    probe = next(p for p in r["probes"] if p["name"] == "image_pretrained")
    assert probe["status"] in ("ok", "partial") and probe["family"] == "pretrained"
    assert probe["score"]["mean"] > 0.8
    assert probe["params"]["backbone"] == weights_file.name


def test_without_weights_the_image_probe_is_skipped_saying_how_to_get_them(tmp_path, monkeypatch):
    from advisor_probes.image_pretrained import ImagePretrainedProbe

    from advisor.facts import ComputeInfo
    from advisor.probing.stage import run_probes
    from advisor.testing import make_data

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    out = run_probes(
        make_data("image", "binary"), constraints=Constraints(budget_seconds=2),
        compute=ComputeInfo(cpu_cores=1, memory_gb=8.0), probes=[ImagePretrainedProbe()],
    )  # fmt: skip
    (result,) = out.results
    assert result.status == "skipped" and "--weights" in result.reason and "hub" in result.reason


def test_cli_weights_that_do_not_exist_is_a_one_line_error(shapes_dir, tmp_path):
    code, out, err = run_cli("recommend", str(shapes_dir), "-q", "--weights", str(tmp_path / "missing.pth"))
    assert code == 2 and not out
    assert "--weights" in err and "does not exist" in err and len(err.strip().splitlines()) == 1
