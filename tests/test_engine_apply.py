"""evaluate(): firing, summing, tie-breaking; render helpers; the default pack on scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.engine.apply import evaluate
from advisor.engine.loader import load_rules
from advisor.engine.matcher import parse_condition
from advisor.engine.model import Rule
from advisor.engine.render import describe_rule, find_rule, format_effects, format_value, render_because
from advisor.errors import AdvisorError
from advisor.probe_api import FAMILIES

BASE = yaml.safe_load((Path(__file__).parent / "rule_cases" / "pack.yaml").read_text())["base"]


def rule(rule_id: str, when: dict, effects: dict[str, int], because: str = "ok") -> Rule:
    return Rule(
        id=rule_id, title="t", when=parse_condition(when), effects=effects, because=because, source="s"
    )


def test_sums_effects_of_fired_rules_only():
    rules = [
        rule("a.one", {"n_rows": {"lt": 10000}}, {"linear": 2, "mlp": -1}),
        rule("a.two", {"modality": "tabular"}, {"gbdt": 3, "mlp": -1}),
        rule("a.three", {"has_gpu": True}, {"mlp": 3}),
    ]
    prior = evaluate(rules, BASE)
    assert prior.scores == {**dict.fromkeys(FAMILIES, 0), "linear": 2, "gbdt": 3, "mlp": -2}
    assert [f.id for f in prior.fired] == ["a.one", "a.two"]
    assert prior.favoured == "gbdt"
    assert prior.facts == BASE and prior.facts is not BASE


def test_no_rule_fires():
    prior = evaluate([rule("a.gpu", {"has_gpu": True}, {"mlp": 3})], BASE)
    assert prior.scores == dict.fromkeys(FAMILIES, 0)
    assert prior.fired == []
    assert prior.favoured == "linear"


@pytest.mark.parametrize(
    ("effects", "favoured"),
    [
        ({"transformer": 2, "mlp": 2}, "mlp"),
        ({"cnn": 1, "gbdt": 1, "transformer": 1}, "gbdt"),
        (dict.fromkeys(FAMILIES, -1), "linear"),
        ({"linear": -1}, "gbdt"),
    ],
)
def test_ties_go_to_the_simplest_family(effects, favoured):
    assert evaluate([rule("a.x", {"modality": "tabular"}, effects)], BASE).favoured == favoured


def test_fired_rule_carries_rendered_because():
    r = Rule(
        id="a.x",
        title="Title",
        when=parse_condition({"modality": "tabular"}),
        effects={"gbdt": 1},
        because="{n_rows} rows, {imbalance_ratio} to 1, GPU {has_gpu}, text {text_mean_tokens}",
        source="src",
        category="scale",
    )
    (fired,) = evaluate([r], BASE).fired
    assert fired.because == "5,000 rows, 2 to 1, GPU no, text unknown"
    assert (fired.id, fired.title, fired.category, fired.source) == ("a.x", "Title", "scale", "src")
    assert fired.effects == {"gbdt": 1} and fired.effects is not r.effects


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "unknown"),
        (True, "yes"),
        (False, "no"),
        (1234567, "1,234,567"),
        (0, "0"),
        (0.0, "0"),
        (12.3456, "12.3"),
        (0.012345, "0.0123"),
        (0.5, "0.5"),
        (60.0, "60"),
        (999.6, "1,000"),
        (1234567.0, "1,230,000"),
        (-2.5, "-2.5"),
        (float("inf"), "inf"),
        ("tabular", "tabular"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_render_only_fills_known_facts():
    facts = {**BASE, "n_rows": 10}
    assert render_because("{n_rows.__class__} {n_rows[0]} {nope} {n_rows}", facts) == (
        "{n_rows.__class__} {n_rows[0]} {nope} 10"
    )
    assert render_because("{0} {} {{n_rows}}", facts) == "{0} {} {10}"


def test_format_effects():
    assert format_effects({"mlp": -1, "linear": 2, "cnn": 0}) == "linear +2, mlp -1"
    assert format_effects({}) == "none"


def test_describe_and_find_rule():
    rules = load_rules()
    tiny = find_rule(rules, "scale.tiny-data")
    text = describe_rule(tiny)
    for part in (
        "scale.tiny-data: ",
        "category: scale",
        "modality: [tabular, mixed]",
        "reads as: modality in [tabular, mixed] and n_rows < 1,000",
        "effects: linear +2, mlp -2, cnn -1, transformer -1",
        "because: Only {n_rows} rows",
        "source: Varoquaux (2018)",
        "scale.yaml",
    ):
        assert part in text
    with pytest.raises(AdvisorError, match=r"did you mean 'scale.tiny-data'\?.*advisor rules list"):
        find_rule(rules, "scale.tiny")


# The default pack on whole situations: the prior should match the framework's table.
SCENARIOS = [
    ("tiny table", {"n_rows": 300, "rows_per_feature": 7.5}, "linear"),
    ("mid table", {}, "gbdt"),
    ("big table, CPU", {"n_rows": 5_000_000, "rows_per_feature": 125000.0}, "gbdt"),
    ("big table, GPU", {"n_rows": 5_000_000, "has_gpu": True, "gpu_memory_gb": 80.0}, "gbdt"),
    ("wide genomics table", {"n_rows": 400, "encoded_width": 20000, "rows_per_feature": 0.02}, "linear"),
    (
        "small text",
        {"modality": "text", "n_rows": 2000, "n_text_columns": 1, "text_corpus_tokens": 60000},
        "linear",
    ),
    (
        "large text with GPU",
        {"modality": "text", "n_rows": 200_000, "text_corpus_tokens": 20_000_000, "has_gpu": True},
        "transformer",
    ),
    (
        "many images with GPU",
        {
            "modality": "image",
            "n_rows": 60000,
            "n_images": 60000,
            "images_per_class_min": 6000,
            "image_raw_dimension": 150528,
            "has_gpu": True,
        },
        "cnn",
    ),
    (
        "few images, CPU",
        {"modality": "image", "n_rows": 800, "n_images": 800, "images_per_class_min": 80},
        "pretrained",
    ),
    # MNIST-like on a CPU: a small MLP; CIFAR-like (thousands of pixels): a CNN.
    (
        "small pixel table, CPU",
        {"modality": "signal", "pixel_table": True, "raw_dimension": 784, "n_rows": 70000},
        "mlp",
    ),
    (
        "pixel table",
        {"modality": "signal", "pixel_table": True, "raw_dimension": 3072, "n_rows": 60000},
        "cnn",
    ),
    (
        "large text, CPU",
        {"modality": "text", "n_rows": 200_000, "text_corpus_tokens": 20_000_000},
        "linear",
    ),
    ("interpretability required, mid table", {"interpretability": "required"}, "gbdt"),
    ("explain, small table", {"goal": "explain", "n_rows": 800}, "linear"),
]


@pytest.mark.parametrize(("name", "overrides", "favoured"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_default_pack_scenarios(name, overrides, favoured):
    prior = evaluate(load_rules(), {**BASE, **overrides})
    assert prior.favoured == favoured, (prior.scores, [f.id for f in prior.fired])
