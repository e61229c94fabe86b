"""Leaks that no single column shows, end to end: the headline rests on the run without them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.conftest import run_json


def test_a_total_of_two_columns_is_excluded_from_the_headline(tmp_path):
    rng = np.random.default_rng(3)
    n = 1200
    x = rng.normal(size=(n, 3))
    web = rng.poisson(20 + 5 * np.clip(x[:, 0], -3, 3), n).astype(float)
    store = rng.poisson(30 + 5 * np.clip(x[:, 1], -3, 3), n).astype(float)
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["visits_web"], frame["visits_store"] = web, store
    frame["visits_total"] = web + store
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    r = run_json(path, "--target", "visits_total")
    assert set(r["dataset"]["leakage_suspects"]) >= {"visits_web", "visits_store"}
    assert any(w["code"] == "leakage-combination" for w in r["dataset"]["warnings"])
    leak = r["leakage"]
    assert set(leak["excluded"]) >= {"visits_web", "visits_store"}
    assert leak["how"]["visits_web"] == "combination"
    assert leak["best_with"]["mean"] > 0.999 and leak["best_without"]["mean"] < 0.9
    # The headline's numbers are the leak-free ones.
    assert max(x["score"]["mean"] for x in r["recommendation"]["ranking"]) < 0.9


def test_a_near_perfect_score_from_a_nonlinear_rule_leads_to_the_columns_behind_it(tmp_path):
    rng = np.random.default_rng(5)
    n = 2000
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["f1", "f2", "f3", "f4"])
    frame["u"], frame["v"] = rng.normal(size=n), rng.normal(size=n)
    # The label is a rule on two columns no linear scan finds (the sign of a product).
    frame["approved"] = (frame["u"] * frame["v"] > 0).astype(int)
    path = tmp_path / "xor.csv"
    frame.to_csv(path, index=False)
    r = run_json(path, "--target", "approved")
    leak = r["leakage"]
    assert leak is not None and set(leak["columns"]) == {"u", "v"}
    assert set(leak["how"].values()) == {"collapse"}
    assert any("near-perfect score" in n for n in r["probe_stage"]["notes"])
    assert any(e["how"] == "collapse" for e in r["dataset"]["leakage_evidence"])
