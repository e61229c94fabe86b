"""The neural probes' AdamW: torch's fused kernel called directly (probes/_adamw.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from advisor_probes._adamw import FusedAdamW, adamw  # noqa: E402


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def _train(net: torch.nn.Module, opt, steps: int = 25, freeze_last_every: int = 0) -> None:
    gen = torch.Generator().manual_seed(1)
    for step in range(steps):
        x, y = torch.randn(16, 5, generator=gen), torch.randint(0, 3, (16,), generator=gen)
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(net(x), y).backward()
        if freeze_last_every and step % freeze_last_every == 0:
            net[2].bias.grad = None  # a parameter with no gradient this step is left alone
        opt.step()


@pytest.mark.parametrize("freeze", [0, 3])
def test_same_update_as_torch_optim(freeze) -> None:
    ours, theirs = _net(), _net()
    opt = adamw(ours.parameters(), 1e-2, 1e-2)
    assert isinstance(opt, FusedAdamW)
    _train(ours, opt, freeze_last_every=freeze)
    _train(
        theirs,
        torch.optim.AdamW(theirs.parameters(), lr=1e-2, weight_decay=1e-2, fused=True),
        freeze_last_every=freeze,
    )
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    start = [p.detach().clone() for p in _net().parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(ours.parameters(), start, strict=True))


def test_grad_scaler_path_gets_torch_optim() -> None:
    assert isinstance(adamw(_net().parameters(), 1e-3, 0.0, scaled=True), torch.optim.AdamW)


def test_training_a_net_does_not_import_dynamo() -> None:
    # torch.optim's constructor imports torch._dynamo (1.2 to 1.8 s of CPU); a net's fit must not.
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from advisor.data import ProbeData\n"
        "from advisor.probe_api import FitContext\n"
        "from advisor_probes.mlp import MLPProbe\n"
        "rng = np.random.default_rng(0)\n"
        "X = pd.DataFrame(rng.normal(size=(120, 4)), columns=list('abcd'))\n"
        "y = (X['a'] > 0).to_numpy().astype(np.int64)\n"
        "data = ProbeData(task='binary', modality='tabular', y=y, class_names=['n', 'y'], X=X,\n"
        "                 feature_kinds={c: 'numeric' for c in X.columns})\n"
        "MLPProbe().fit(data, FitContext(seed=0, device='cpu', time_limit=30))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
