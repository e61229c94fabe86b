"""The condition matcher: operators, combinators, shorthand and type checks."""

from __future__ import annotations

import pytest

from advisor.engine.matcher import (
    All,
    AnyOf,
    Compare,
    ConditionError,
    Not,
    fact_names,
    parse_condition,
)

FACTS = {
    "n_rows": 5000,
    "imbalance_ratio": 3.5,
    "modality": "tabular",
    "has_gpu": False,
    "text_corpus_tokens": None,
}


def holds(raw, facts=FACTS) -> bool:
    return parse_condition(raw).matches(facts)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", 5000, True),
        ("eq", 4999, False),
        ("ne", 4999, True),
        ("lt", 5000, False),
        ("lt", 5001, True),
        ("le", 5000, True),
        ("gt", 5000, False),
        ("gt", 4999.5, True),
        ("ge", 5000, True),
        ("in", [1, 5000], True),
        ("not_in", [1, 5000], False),
        ("between", [5000, 6000], True),
        ("between", [1, 5000], True),
        ("between", [5001, 6000], False),
    ],
)
def test_numeric_operators(op, value, expected):
    assert holds({"fact": "n_rows", op: value}) is expected


def test_string_and_bool_operators():
    assert holds({"fact": "modality", "eq": "tabular"})
    assert holds({"fact": "modality", "in": ["text", "tabular"]})
    assert holds({"fact": "modality", "not_in": ["text", "image"]})
    assert holds({"fact": "has_gpu", "eq": False})
    assert not holds({"fact": "has_gpu", "ne": False})


def test_float_fact_accepts_int_literal():
    assert holds({"fact": "imbalance_ratio", "ge": 3})


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "ge", "in", "not_in", "between"])
def test_none_fact_never_matches(op):
    value = [1, 2] if op in ("in", "not_in", "between") else 1
    assert not holds({"fact": "text_corpus_tokens", op: value})


def test_fact_absent_from_dict_is_none():
    assert not holds({"fact": "n_images", "ge": 0})


def test_combinators():
    big = {"fact": "n_rows", "gt": 1000}
    text = {"fact": "modality", "eq": "text"}
    assert not holds({"all": [big, text]})
    assert holds({"any": [big, text]})
    assert holds({"not": text})
    assert holds([big, {"not": text}])
    assert holds({"all": [{"any": [text, big]}, {"not": {"all": [text, big]}}]})


def test_not_of_missing_fact_is_true():
    # Documented: a comparison on None is false, so its negation is true.
    assert holds({"not": {"fact": "text_corpus_tokens", "lt": 10}})


def test_shorthand_mapping():
    cond = parse_condition({"n_rows": {"lt": 10000}, "modality": "tabular"})
    assert cond == All((Compare("n_rows", "lt", 10000), Compare("modality", "eq", "tabular")))
    assert parse_condition({"modality": ["text", "mixed"]}) == Compare("modality", "in", ("text", "mixed"))
    assert holds({"n_rows": {"ge": 1000, "lt": 10000}})
    assert not holds({"n_rows": {"ge": 1000, "lt": 5000}})


def test_several_operators_in_explicit_form_all_must_hold():
    cond = parse_condition({"fact": "n_rows", "ge": 1000, "lt": 10000})
    assert cond == All((Compare("n_rows", "ge", 1000), Compare("n_rows", "lt", 10000)))


def test_shorthand_mixes_with_combinators():
    cond = parse_condition({"modality": "tabular", "any": [{"has_gpu": True}, {"n_rows": {"lt": 10}}]})
    assert isinstance(cond, All) and isinstance(cond.items[1], AnyOf)
    assert not cond.matches(FACTS)


def test_fact_names_and_describe():
    cond = parse_condition({"all": [{"n_rows": {"lt": 100000}}, {"not": {"modality": ["text", "image"]}}]})
    assert fact_names(cond) == {"n_rows", "modality"}
    assert cond.describe() == "n_rows < 100,000 and not modality in [text, image]"
    nested = parse_condition({"any": [{"has_gpu": True}, {"n_rows": {"between": [1, 2]}}], "goal": "explain"})
    assert nested.describe() == "(has_gpu = true or n_rows between 1 and 2) and goal = explain"
    assert isinstance(parse_condition({"not": {"has_gpu": True}}), Not)


@pytest.mark.parametrize(
    ("raw", "message", "path"),
    [
        ({"fact": "nrows", "lt": 5}, "unknown fact 'nrows' (did you mean 'n_rows'?)", "when"),
        ({"nrows": {"lt": 5}}, "unknown fact 'nrows' (did you mean 'n_rows'?)", "when"),
        ({"fact": "n_rows", "less": 5}, "unknown operator 'less'", "when.less"),
        ({"n_rows": {"gte": 5}}, "unknown operator 'gte' (did you mean 'ge'", "when.n_rows.gte"),
        ({"fact": "n_rows"}, "no operator for fact 'n_rows'", "when"),
        ({"n_rows": {}}, "no operator for fact 'n_rows'", "when.n_rows"),
        ({"lt": 5}, "operator 'lt' needs a fact", "when"),
        ({"fact": "modality", "lt": "text"}, "'lt' needs a number but fact 'modality' is a str", "when.lt"),
        ({"fact": "has_gpu", "gt": 0}, "'gt' needs a number but fact 'has_gpu' is a bool", "when.gt"),
        ({"fact": "n_rows", "lt": "1000"}, "fact 'n_rows' is a number, got str '1000'", "when.lt"),
        ({"fact": "n_rows", "lt": "1e6"}, "write 1000000", "when.lt"),
        ({"fact": "n_rows", "eq": True}, "fact 'n_rows' is a number, got bool", "when.eq"),
        ({"fact": "has_gpu", "eq": "yes"}, "fact 'has_gpu' is a bool", "when.eq"),
        ({"fact": "modality", "eq": 3}, "fact 'modality' is text", "when.eq"),
        (
            {"modality": "tabluar"},
            "'tabluar' is not a value of fact 'modality' (did you mean 'tabular'?)",
            "when.modality",
        ),
        ({"modality": ["text", "imgae"]}, "'imgae' is not a value of fact 'modality'", "when.modality"),
        ({"fact": "n_rows", "in": 5}, "'in' takes a non-empty list", "when.in"),
        ({"fact": "n_rows", "in": []}, "'in' takes a non-empty list", "when.in"),
        ({"fact": "n_rows", "between": [1]}, "'between' takes a list [low, high]", "when.between"),
        ({"fact": "n_rows", "between": [10, 1]}, "bounds are reversed", "when.between"),
        ({"fact": "imbalance_ratio", "gt": float("nan")}, "NaN", "when.gt"),
        ({"all": {"n_rows": 1}}, "'all' takes a list of conditions", "when.all"),
        ({"any": []}, "an empty list of conditions", "when.any"),
        ({"all": [{"n_rows": {"lt": 1}}, {"nrows": 1}]}, "unknown fact 'nrows'", "when.all[1]"),
        ({"not": {"any": [{"goal": "explian"}]}}, "'explian' is not a value", "when.not.any[0].goal"),
        ({}, "expected a condition", "when"),
        (None, "expected a condition such as {fact: n_rows, lt: 1000}, got null", "when"),
        ("n_rows < 5", "got str 'n_rows < 5'", "when"),
    ],
)
def test_errors_say_what_and_where(raw, message, path):
    with pytest.raises(ConditionError) as info:
        parse_condition(raw)
    assert message in info.value.problem
    assert info.value.path == path


def test_no_eval_of_strings():
    # A string that looks like Python is just a (wrong) value, never executed.
    with pytest.raises(ConditionError):
        parse_condition({"fact": "modality", "eq": "__import__('os').system('true')"})
