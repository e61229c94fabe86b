"""Rule files: schema validation, error messages, team packs and overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.engine.loader import default_rule_files, load_rule_file, load_rules
from advisor.engine.matcher import Compare
from advisor.errors import AdvisorError, RuleError

GOOD_RULE = """\
  - id: team.big
    title: Big tables
    category: scale
    when: {n_rows: {ge: 1000000}}
    effects: {gbdt: 2}
    because: "{n_rows} rows is a lot."
    source: "FRAMEWORK.md, 'Numbers the rules may use'"
"""


def write(tmp_path: Path, text: str, name: str = "team.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def rule_file(
    tmp_path: Path, replace: dict[str, str] | None = None, extra: str = "", name="team.yaml"
) -> Path:
    """A one-rule file, with some of GOOD_RULE's lines replaced."""
    text = GOOD_RULE
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    return write(tmp_path, "rules:\n" + text + extra, name)


def error_for(path: Path) -> RuleError:
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    return info.value


def test_good_file_loads(tmp_path):
    (rule,) = load_rule_file(rule_file(tmp_path))
    assert rule.id == "team.big"
    assert rule.category == "scale"
    assert rule.when == Compare("n_rows", "ge", 1000000)
    assert rule.effects == {"gbdt": 2}
    assert rule.because == "{n_rows} rows is a lot."
    assert rule.file.endswith("team.yaml")
    assert rule.when_text == "n_rows: {ge: 1000000}"


def test_rule_error_is_an_advisor_error(tmp_path):
    err = error_for(rule_file(tmp_path, {"{n_rows: {ge": "{nrows: {ge"}))
    assert isinstance(err, AdvisorError)
    assert str(err.message).startswith(str(tmp_path / "team.yaml"))
    assert err.message.endswith(
        "rule 'team.big', field 'when': unknown fact 'nrows' (did you mean 'n_rows'?); "
        "the facts are listed in docs/rules.md"
    )


@pytest.mark.parametrize(
    ("replace", "field", "problem"),
    [
        ({"{n_rows: {ge": "{nrows: {ge"}, "when", "unknown fact 'nrows' (did you mean 'n_rows'?)"),
        ({"{ge: 1000000}": "{gte: 1000000}"}, "when", "unknown operator 'gte' (did you mean 'ge'?)"),
        ({"{ge: 1000000}": "{ge: big}"}, "when", "fact 'n_rows' is a number"),
        ({"when: {n_rows: {ge: 1000000}}": "when: {modality: {lt: 3}}"}, "when", "'lt' needs a number"),
        (
            {"when: {n_rows: {ge: 1000000}}": "when: {all: [{n_rows: 1}, {modality: tabluar}]}"},
            "when",
            "(at when.all[1].modality)",
        ),
        ({"{gbdt: 2}": "{gbtd: 2}"}, "effects", "unknown family 'gbtd' (did you mean 'gbdt'?)"),
        ({"{gbdt: 2}": "{gbdt: 4}"}, "effects", "from -3 to 3, got 4"),
        ({"{gbdt: 2}": "{gbdt: 1.5}"}, "effects", "whole number"),
        ({"{gbdt: 2}": "{gbdt: true}"}, "effects", "whole number"),
        ({"{gbdt: 2}": "[gbdt]"}, "effects", "expected a mapping of family to effect"),
        (
            {"{n_rows} rows": "{nrows} rows"},
            "because",
            "placeholder {nrows} is not a fact (did you mean 'n_rows'?)",
        ),
        (
            {"{n_rows} rows": "{n_rows.__class__} rows"},
            "because",
            "placeholder {n_rows.__class__} is not a fact",
        ),
        ({"{n_rows} rows": "{} rows"}, "because", "placeholder {} is not a fact"),
        ({"category: scale": "category: size"}, "category", "unknown category 'size'"),
        ({"title: Big tables": "title: ''"}, "title", "must be non-empty text"),
        ({"title: Big tables": "title: [a, b]"}, "title", "must be non-empty text"),
        ({"    source: \"FRAMEWORK.md, 'Numbers the rules may use'\"\n": ""}, "source", "missing"),
        (
            {"    source: \"FRAMEWORK.md, 'Numbers the rules may use'\"": "    source: ''"},
            "source",
            "non-empty",
        ),
        ({"    title: Big tables\n": "    title: Big tables\n    titel: x\n"}, "titel", "unknown field"),
        (
            {"    title: Big tables\n": "    title: Big tables\n    override: yes please\n"},
            "override",
            "true or false",
        ),
    ],
)
def test_each_problem_names_file_rule_and_field(tmp_path, replace, field, problem):
    err = error_for(rule_file(tmp_path, replace))
    assert err.file == str(tmp_path / "team.yaml")
    assert err.rule_id == "team.big"
    assert err.field == field
    assert problem in err.problem
    assert f"rule 'team.big', field '{field}'" in err.message


@pytest.mark.parametrize(
    ("replace", "problem"),
    [
        ({"id: team.big": "id: Team.Big"}, "not a dotted lowercase id"),
        ({"id: team.big": "id: big"}, "not a dotted lowercase id"),
        ({"  - id: team.big\n    title": "  - title"}, "missing; give the rule a dotted id"),
    ],
)
def test_bad_or_missing_id_names_the_position(tmp_path, replace, problem):
    err = error_for(rule_file(tmp_path, replace))
    assert err.rule_id == "#1" and err.field == "id"
    assert problem in err.problem


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("", None, "the file is empty"),
        ("- a\n- b\n", None, "expected a top-level mapping"),
        ("rule: []\n", "rule", "unknown top-level key"),
        ("rules: {a: 1}\n", "rules", "expected a list of rules"),
        ("rules:\n  - just a string\n", None, "each rule is a mapping"),
    ],
)
def test_file_shape_errors(tmp_path, text, field, problem):
    err = error_for(write(tmp_path, text))
    assert err.field == field
    assert problem in err.problem


def test_empty_rule_list_is_fine(tmp_path):
    assert load_rule_file(write(tmp_path, "rules: []\n")) == []


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "rules:\n  - id: team.x\n    title: [unclosed\n    category: scale\n")
    err = error_for(path)
    assert err.file == str(path) and err.rule_id is None
    assert "invalid YAML at line" in err.problem
    assert "line 4" in err.problem or "line 3" in err.problem


def test_python_object_tag_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"rules: !!python/object/apply:os.system ['touch {marker}']\n")
    err = error_for(path)
    assert "Python object tags are not allowed" in err.problem
    assert "line 1" in err.problem
    assert not marker.exists()


def test_missing_file(tmp_path):
    err = error_for(tmp_path / "nope.yaml")
    assert err.file == str(tmp_path / "nope.yaml")
    assert "not found" in err.problem


def test_unreadable_encoding(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"rules: []\n# caf\xe9\n")
    assert "UTF-8" in error_for(path).problem


def test_duplicate_id_in_one_file(tmp_path):
    err = error_for(rule_file(tmp_path, extra=GOOD_RULE))
    assert err.rule_id == "team.big" and err.field == "id"
    assert "defined twice in this file" in err.problem


def test_team_pack_is_appended_to_default_pack(tmp_path):
    default = load_rules()
    rules = load_rules([rule_file(tmp_path)])
    assert [r.id for r in rules] == [r.id for r in default] + ["team.big"]


def test_team_rule_with_existing_id_names_both_files(tmp_path):
    path = rule_file(tmp_path, {"id: team.big": "id: scale.tiny-data"})
    with pytest.raises(RuleError) as info:
        load_rules([path])
    err = info.value
    assert err.file == str(path) and err.rule_id == "scale.tiny-data" and err.field == "id"
    assert "scale.yaml" in err.problem and "override: true" in err.problem


def test_same_id_in_two_team_files(tmp_path):
    first = rule_file(tmp_path, name="a.yaml")
    second = rule_file(tmp_path, name="b.yaml")
    with pytest.raises(RuleError) as info:
        load_rules([first, second])
    assert info.value.file == str(second)
    assert str(first) in info.value.problem


def test_override_replaces_in_place(tmp_path):
    path = rule_file(
        tmp_path,
        {
            "id: team.big": "id: scale.tiny-data",
            "    title: Big tables\n": "    title: Ours\n    override: true\n",
        },
    )
    default_ids = [r.id for r in load_rules()]
    rules = load_rules([path])
    assert [r.id for r in rules] == default_ids
    replaced = next(r for r in rules if r.id == "scale.tiny-data")
    assert replaced.title == "Ours" and replaced.file == str(path)


def test_override_of_unknown_id_is_an_error(tmp_path):
    path = rule_file(
        tmp_path,
        {
            "id: team.big": "id: scale.tiny-dta",
            "    title: Big tables\n": "    title: Ours\n    override: true\n",
        },
    )
    with pytest.raises(RuleError) as info:
        load_rules([path])
    assert info.value.field == "override"
    assert "did you mean 'scale.tiny-data'" in info.value.problem


def test_default_pack_files_and_order():
    names = [p.name for p in default_rule_files()]
    assert "test.yaml" not in names
    assert names[:3] == ["modality.yaml", "scale.yaml", "dimensionality.yaml"]
    assert all(p.exists() for p in default_rule_files())


def test_shorthand_and_explicit_forms_load_the_same(tmp_path):
    explicit = rule_file(tmp_path, {"{n_rows: {ge: 1000000}}": "{fact: n_rows, ge: 1000000}"}, name="a.yaml")
    assert load_rule_file(explicit)[0].when == load_rule_file(rule_file(tmp_path))[0].when


def test_team_pack_example_in_docs_loads(tmp_path):
    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    example = docs.split("```yaml\n# ourteam.yaml\n", 1)[1].split("```", 1)[0]
    rules = load_rules([write(tmp_path, example, "ourteam.yaml")])
    ids = [r.id for r in rules]
    assert ids[-1] == "ourteam.latency-budget"
    assert next(r for r in rules if r.id == "scale.tiny-data").source.startswith("Team retrospective")


def test_rule_example_in_docs_loads(tmp_path):
    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    example = docs.split("## A rule\n\n```yaml\n", 1)[1].split("```", 1)[0]
    (rule,) = load_rule_file(write(tmp_path, example))
    assert rule.id == "scale.tiny-data"
