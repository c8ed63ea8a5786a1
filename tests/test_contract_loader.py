"""Contract loading: a valid file loads; every problem is located at file:line:col (key.path)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlaudit.contract.loader import format_path, load_contract, parse_contract
from mlaudit.contract.model import Contract, FeatureType, Severity, Task
from mlaudit.contract.schema import json_schema
from mlaudit.errors import ContractError, MlauditError

F = "c.yaml"

# Lines 1-4 of every small contract below; what follows starts on line 5.
HEAD = "version: 1\nmodel:\n  name: m\n  task: regression\n"

FULL = """\
# A complete contract: every section filled in.
version: 1
model:
  name: credit-default
  version: "2.3.0"
  task: binary_classification
  trained_at: 2026-01-31
  max_age_days: 180
  positive_class: true
owners:
  data_quality: {team: data-platform, contact: data@example.com}
  model_behavior: {team: ml-team}
  decision_impact: {team: operations}
  governance: {team: model-risk, contact: "#model-risk"}
columns:
  id: request_id
  entity: customer_id
  event_time: decided_at
  score: default_prob
  decision: approved
  label: defaulted
  label_time: outcome_at
  review: reviewer
  override: overridden
  amount: loan_amount
  segments: [region, channel]
features:
  income:
    type: float
    description: Declared yearly income.
    nullable: false
    max_null_share: 0.02
    range: [0, null]
    unit: EUR
    importance: high
    transform: log
    checks:
      validation.range: {warn: 0.01, fail: 0.05}
  region:
    type: category
    allowed: [north, south, east, west]
    importance: 0.4
  postcode:
    type: string
    regex: '[0-9]{4}[A-Z]{2}'
    sentinel: "0000XX"
  spend_30d:
    type: float
    window: 30d
    available_at: spend_known_at
rules:
  - name: loan within income
    expr: loan_amount <= 10 * income
    max_violation_share: 0.01
    warn_violation_share: 0.001
    severity: warning
    owner: decision_impact
dataset:
  row_count: {min: 1000, max: 1000000}
  freshness: {warn: 26h, fail: 3d}
outputs:
  score_range: [0, 1]
  max_violation_share: 0.0
  confidence_gate: {below: 0.6, warn: 0.05, fail: 0.1}
thresholds:
  validation.null_share: {warn: 0.01, fail: 0.05}
  validation.unique: {enabled: false}
kill_switch:
  fallback: manual review
  when: [{check: validation.schema}]
drift:
  correction: bonferroni
"""


def problems(text: str, file: str = F) -> list[str]:
    """The problems parse_contract reports for `text` (fails the test when it loads)."""
    with pytest.raises(ContractError) as info:
        parse_contract(text, file)
    return info.value.problems


def only_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- valid files


def test_full_contract_loads_every_section() -> None:
    loaded = parse_contract(FULL, F)
    c = loaded.contract
    assert isinstance(c, Contract)
    assert loaded.path == F
    assert len(loaded.sha256) == 64
    assert c.model.name == "credit-default"
    assert c.model.version == "2.3.0"
    assert c.model.task is Task.binary_classification
    assert c.model.trained_at == dt.date(2026, 1, 31)
    assert c.model.max_age_days == 180
    assert c.model.positive_class is True
    assert c.owners.data_quality is not None and c.owners.data_quality.team == "data-platform"
    assert c.owners.data_quality.contact == "data@example.com"
    assert c.owners.governance is not None and c.owners.governance.contact == "#model-risk"
    assert c.columns.id == "request_id"
    assert c.columns.segments == ["region", "channel"]
    assert list(c.features) == ["income", "region", "postcode", "spend_30d"]
    income = c.features["income"]
    assert income.type is FeatureType.float
    assert income.nullable is False
    assert income.range == (0.0, None)
    assert income.importance.value == "high"  # type: ignore[union-attr]
    assert income.checks["validation.range"].warn == 0.01
    assert income.checks["validation.range"].fail == 0.05
    assert c.features["region"].allowed == ["north", "south", "east", "west"]
    assert c.features["region"].importance == 0.4
    assert c.features["postcode"].regex == "[0-9]{4}[A-Z]{2}"
    assert c.features["postcode"].sentinel == "0000XX"
    assert c.features["spend_30d"].window == "30d"
    assert c.features["spend_30d"].available_at == "spend_known_at"
    assert len(c.rules) == 1
    rule = c.rules[0]
    assert rule.name == "loan within income"
    assert rule.expr == "loan_amount <= 10 * income"
    assert rule.severity is Severity.warning
    assert rule.owner == "decision_impact"
    assert c.dataset.row_count is not None and c.dataset.row_count.min == 1000
    assert c.dataset.freshness is not None and c.dataset.freshness.fail == "3d"
    assert c.outputs.score_range == (0.0, 1.0)
    assert c.outputs.confidence_gate is not None and c.outputs.confidence_gate.below == 0.6
    assert c.thresholds["validation.null_share"].fail == 0.05
    assert c.thresholds["validation.unique"].enabled is False
    assert c.kill_switch is not None and c.kill_switch.fallback == "manual review"
    assert c.kill_switch.when[0].check == "validation.schema" and c.kill_switch.when[0].status == "fail"
    assert c.drift.correction == "bonferroni" and c.drift.alpha == 0.01
    assert c.skew.key == [] and c.skew.tolerance.abs == 0.0


def test_full_contract_marks_point_at_keys() -> None:
    loaded = parse_contract(FULL, F)
    assert loaded.where(("features", "income", "range")) == f"{F}:33:5 (features.income.range)"
    assert loaded.where(("rules", 0, "expr")) == f"{F}:53:5 (rules[0].expr)"
    # an unmarked path falls back to its closest located ancestor, but shows the full path
    assert loaded.where(("features", "income", "nope")) == f"{F}:28:3 (features.income.nope)"


def test_sha256_depends_on_the_text() -> None:
    a = parse_contract(HEAD, F)
    b = parse_contract(HEAD + "# a comment\n", F)
    assert a.sha256 != b.sha256
    assert a.sha256 == parse_contract(HEAD, "other.yaml").sha256


def test_minimal_contract_gets_defaults() -> None:
    c = parse_contract(HEAD, F).contract
    assert c.features == {}
    assert c.rules == []
    assert c.thresholds == {}
    assert c.owners.data_quality is None
    assert c.columns.segments == []
    assert c.outputs.max_violation_share == 0.0


def test_empty_sections_load_as_defaults() -> None:
    text = HEAD + "owners:\ncolumns:\nfeatures:\nrules:\ndataset:\noutputs:\nthresholds:\nkill_switch:\n"
    c = parse_contract(text, F).contract
    assert c.owners == Contract.model_fields["owners"].default_factory()  # type: ignore[misc]
    assert c.columns.named() == {}
    assert c.features == {}
    assert c.rules == []
    assert c.dataset.row_count is None and c.dataset.freshness is None
    assert c.outputs.score_range is None
    assert c.thresholds == {}
    assert c.kill_switch is None


def test_section_with_everything_commented_out_loads_as_defaults() -> None:
    text = HEAD + "owners:  # CONFIRM\n  # data_quality: {team: x}\n  # governance: {team: y}\n"
    assert parse_contract(text, F).contract.owners.governance is None


def test_load_contract_reads_a_file(write_contract: Callable[[str], Path]) -> None:
    path = write_contract(FULL)
    loaded = load_contract(path)
    assert loaded.path == str(path)
    assert loaded.contract.model.name == "credit-default"


def test_format_path() -> None:
    assert format_path(("features", "income", "range", 0)) == "features.income.range[0]"
    assert format_path(("rules", 2, "expr")) == "rules[2].expr"
    assert format_path(()) == "(top level)"


# --------------------------------------------------------------------------- unknown keys


def test_unknown_top_level_key() -> None:
    msg = only_problem(HEAD + "bogus: 1\n")
    assert msg.startswith(f"{F}:5:1 (bogus): unknown key 'bogus'")
    assert "allowed keys:" in msg and "features" in msg


def test_unknown_top_level_key_suggests_the_closest() -> None:
    msg = only_problem(HEAD + "featurs:\n  a: {type: float}\n")
    assert msg == f"{F}:5:1 (featurs): unknown key 'featurs'; did you mean 'features'?"


def test_unknown_nested_key_suggests_the_closest() -> None:
    text = HEAD + "features:\n  income:\n    type: float\n    rnage: [0, 1]\n"
    msg = only_problem(text)
    assert msg == f"{F}:8:5 (features.income.rnage): unknown key 'rnage'; did you mean 'range'?"


def test_unknown_key_in_a_list_item() -> None:
    text = HEAD + "rules:\n  - name: r\n    expr: a > 1\n    sevrity: error\n"
    msg = only_problem(text)
    assert msg == f"{F}:8:5 (rules[0].sevrity): unknown key 'sevrity'; did you mean 'severity'?"


def test_unknown_key_in_second_list_item() -> None:
    text = HEAD + "rules:\n  - name: r\n    expr: a > 1\n  - name: s\n    exrp: a < 2\n"
    msg = problems(text)
    assert f"{F}:9:5 (rules[1].exrp): unknown key 'exrp'; did you mean 'expr'?" in msg
    assert any(p.startswith(f"{F}:8:5 (rules[1].expr): required key 'expr' is missing") for p in msg)


def test_unknown_key_in_a_flow_mapping() -> None:
    text = HEAD + "thresholds:\n  validation.range: {warn: 0.1, fial: 0.2}\n"
    msg = only_problem(text)
    assert msg == f"{F}:6:33 (thresholds.validation.range.fial): unknown key 'fial'; did you mean 'fail'?"


def test_unknown_key_in_a_check_override() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    checks:\n      validation.range:\n        wran: 0.1\n"
    msg = only_problem(text)
    assert msg == (f"{F}:10:9 (features.a.checks.validation.range.wran): unknown key 'wran'; "
                   "did you mean 'warn'?")


# --------------------------------------------------------------------------- duplicate keys


def test_duplicate_top_level_key() -> None:
    msg = only_problem(HEAD + "model:\n  name: x\n  task: regression\n")
    assert msg == f"{F}:5:1 (model): duplicate key 'model' (first defined at line 2); remove one of them"


def test_duplicate_nested_key() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    range: [0, 1]\n    type: int\n"
    msg = only_problem(text)
    assert msg == f"{F}:9:5 (features.a.type): duplicate key 'type' (first defined at line 7); remove one of them"


def test_duplicate_feature_name() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n  b:\n    type: int\n  a:\n    type: int\n"
    msg = only_problem(text)
    assert msg == f"{F}:10:3 (features.a): duplicate key 'a' (first defined at line 6); remove one of them"


def test_duplicate_key_in_a_list_item() -> None:
    text = HEAD + "rules:\n  - name: r\n    expr: a > 1\n    name: s\n"
    msg = only_problem(text)
    assert msg == f"{F}:8:5 (rules[0].name): duplicate key 'name' (first defined at line 6); remove one of them"


# --------------------------------------------------------------------------- wrong types and values


def test_max_null_share_not_a_number() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    max_null_share: lots\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:5 (features.a.max_null_share): ")
    assert "valid number" in msg and "'lots'" in msg


def test_max_null_share_above_one() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    max_null_share: 1.5\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:5 (features.a.max_null_share): ")
    assert "1.5" in msg


def test_range_min_above_max() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    range: [5, 1]\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:5 (features.a.range): range minimum 5")
    assert "above maximum 1" in msg


def test_range_item_not_a_number_points_at_the_item() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    range: [0, abc]\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:16 (features.a.range[1]): ")
    assert "'abc'" in msg


def test_warn_above_fail_in_a_threshold() -> None:
    text = HEAD + "thresholds:\n  validation.range: {warn: 0.5, fail: 0.1}\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:6:3 (thresholds.validation.range): ")
    assert "warn (0.5) must not be above fail (0.1)" in msg


def test_warn_above_fail_in_a_feature_check() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    checks:\n      validation.range: {warn: 0.5, fail: 0.1}\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:9:7 (features.a.checks.validation.range): ")
    assert "must not be above fail" in msg


def test_unknown_task_value() -> None:
    msg = only_problem("version: 1\nmodel:\n  name: m\n  task: clustering\n")
    assert msg.startswith(f"{F}:4:3 (model.task): ")
    assert "'clustering'" in msg
    for allowed in ("binary_classification", "multiclass_classification", "regression"):
        assert allowed in msg


def test_unknown_feature_type() -> None:
    msg = only_problem(HEAD + "features:\n  a:\n    type: decimal\n")
    assert msg.startswith(f"{F}:7:5 (features.a.type): ")
    assert "'decimal'" in msg


def test_bad_duration() -> None:
    msg = only_problem(HEAD + "dataset:\n  freshness:\n    warn: soon\n")
    assert msg.startswith(f"{F}:7:5 (dataset.freshness.warn): ")
    assert "'soon' is not a duration" in msg


def test_row_count_min_above_max() -> None:
    msg = only_problem(HEAD + "dataset:\n  row_count: {min: 10, max: 5}\n")
    assert msg.startswith(f"{F}:6:3 (dataset.row_count): ")
    assert "min (10) is above max (5)" in msg


def test_feature_left_empty() -> None:
    msg = only_problem(HEAD + "features:\n  a:\n")
    assert msg.startswith(f"{F}:6:3 (features.a): ")


def test_union_field_error_is_one_problem_without_union_member_names() -> None:
    """A bad value for a field typed `A | B` is one problem at the field, not one per union member."""
    text = HEAD + "features:\n  a:\n    type: float\n    importance: huge\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:5 (features.a.importance): ")
    assert "'huge'" in msg


def test_union_list_item_error_is_one_problem_without_union_member_names() -> None:
    text = HEAD + "features:\n  a:\n    type: category\n    allowed: [x, [1]]\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:18 (features.a.allowed[1]): ")


# --------------------------------------------------------------------------- missing keys, version


def test_missing_model_name() -> None:
    msg = only_problem("version: 1\nmodel:\n  task: regression\n")
    assert msg == f"{F}:2:1 (model.name): required key 'name' is missing; add it"


def test_missing_model_section() -> None:
    msg = only_problem("version: 1\nfeatures: {}\n")
    assert msg.startswith(f"{F}:1:1 (model): required key 'model' is missing")


def test_missing_version() -> None:
    msg = only_problem("model:\n  name: m\n  task: regression\n")
    assert msg.startswith(f"{F}:1:1 (version): required key 'version' is missing")


def test_missing_rule_expr() -> None:
    msg = only_problem(HEAD + "rules:\n  - name: r\n")
    assert msg == f"{F}:6:5 (rules[0].expr): required key 'expr' is missing; add it"


def test_unsupported_version() -> None:
    msg = only_problem("version: 2\nmodel:\n  name: m\n  task: regression\n")
    assert msg.startswith(f"{F}:1:1 (version): unsupported contract version 2")
    assert "version 1" in msg


def test_unsupported_version_located_where_it_is() -> None:
    msg = only_problem("model:\n  name: m\n  task: regression\nversion: 3\n")
    assert msg.startswith(f"{F}:4:1 (version): unsupported contract version 3")


# --------------------------------------------------------------------------- not a contract at all


def test_invalid_yaml_syntax_is_located() -> None:
    msg = only_problem("version: 1\nmodel:\n  name: m: x\n")
    assert msg.startswith(f"{F}:3:10: not valid YAML: ")
    assert "mapping values are not allowed" in msg


def test_invalid_yaml_tab_is_located() -> None:
    msg = only_problem("version: 1\n\tmodel: x\n")
    assert msg.startswith(f"{F}:2:1: not valid YAML: ")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    msg = only_problem(text)
    assert msg.startswith(f"{F}:1:1: ")
    assert "empty" in msg


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_not_a_mapping(text: str) -> None:
    msg = only_problem(text)
    assert msg.startswith(f"{F}:1:1: ")
    assert "mapping" in msg


def test_bad_regex() -> None:
    text = HEAD + "features:\n  a:\n    type: string\n    regex: '[a-'\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:8:5 (features.a.regex): invalid regular expression")


def test_bad_sql_in_rule_expr() -> None:
    text = HEAD + "rules:\n  - name: ok\n    expr: a > 1\n  - name: broken\n    expr: 'a >>> (1'\n"
    msg = only_problem(text)
    assert msg.startswith(f"{F}:9:5 (rules[1].expr): SQL expression does not parse")


def test_unknown_check_id_in_thresholds() -> None:
    msg = only_problem(HEAD + "thresholds:\n  validation.rnage: {warn: 0.1}\n")
    assert msg == f"{F}:6:3 (thresholds.validation.rnage): unknown check 'validation.rnage'; did you mean " \
                  "'validation.range'?"


def test_unknown_check_id_in_feature_checks() -> None:
    text = HEAD + "features:\n  a:\n    type: float\n    checks:\n      validation.nul_share: {fail: 0.1}\n"
    msg = only_problem(text)
    assert msg == (f"{F}:9:7 (features.a.checks.validation.nul_share): unknown check "
                   "'validation.nul_share'; did you mean 'validation.null_share'?")


def test_unknown_check_id_without_a_close_match() -> None:
    msg = only_problem(HEAD + "thresholds:\n  zzz: {warn: 0.1}\n")
    assert msg.startswith(f"{F}:6:3 (thresholds.zzz): unknown check 'zzz'")
    assert "mlaudit checks" in msg


def test_multiclass_probabilities_must_match_classes() -> None:
    text = ("version: 1\nmodel:\n  name: m\n  task: multiclass_classification\n  classes: [a, b]\n"
            "columns:\n  probabilities: [p_a, p_b, p_c]\n")
    msg = only_problem(text)
    assert msg.startswith(f"{F}:7:3 (columns.probabilities): 3 probability columns")


# --------------------------------------------------------------------------- many problems at once

MANY = """\
version: 1
model:
  name: m
  task: clustering
bogus: 1
features:
  income:
    type: float
    rnage: [0, 1]
    max_null_share: lots
  income:
    type: int
  age:
    type: int
    range: [5, 1]
rules:
  - name: r
    expr: a > 1
    sevrity: error
thresholds:
  validation.range: {warn: 0.5, fail: 0.1}
"""


def test_several_problems_are_all_reported_at_once() -> None:
    found = problems(MANY)
    expected_starts = [
        f"{F}:4:3 (model.task): ",
        f"{F}:5:1 (bogus): unknown key 'bogus'",
        f"{F}:9:5 (features.income.rnage): unknown key 'rnage'; did you mean 'range'?",
        f"{F}:10:5 (features.income.max_null_share): ",
        f"{F}:11:3 (features.income): duplicate key 'income' (first defined at line 7)",
        f"{F}:15:5 (features.age.range): range minimum 5",
        f"{F}:19:5 (rules[0].sevrity): unknown key 'sevrity'; did you mean 'severity'?",
        f"{F}:21:3 (thresholds.validation.range): warn (0.5) must not be above fail (0.1)",
    ]
    for start in expected_starts:
        assert sum(p.startswith(start) for p in found) == 1, (start, found)
    assert len(found) == len(expected_starts), found


def test_structural_and_semantic_problems_are_reported_together() -> None:
    """Bad SQL and unknown check ids are reported even when the file also has a typo'd key."""
    text = (HEAD + "bogus: 1\n"                            # 5
            "rules:\n"                                      # 6
            "  - name: r\n"                                 # 7
            "    expr: 'a >>> (1'\n"                        # 8
            "thresholds:\n"                                 # 9
            "  validation.rnage: {warn: 0.1}\n")            # 10
    found = problems(text)
    assert any(p.startswith(f"{F}:5:1 (bogus): unknown key") for p in found), found
    assert any(p.startswith(f"{F}:8:5 (rules[0].expr): SQL expression does not parse") for p in found), found
    assert any(p.startswith(f"{F}:10:3 (thresholds.validation.rnage): unknown check") for p in found), found


def test_semantic_problems_are_all_reported() -> None:
    text = (HEAD + "rules:\n  - name: r\n    expr: 'a >>> (1'\n"
            "thresholds:\n  validation.rnage: {warn: 0.1}\n"
            "features:\n  a:\n    type: float\n    checks:\n      validation.nul_share: {fail: 0.1}\n")
    found = problems(text)
    assert len(found) == 3, found
    assert found[0].startswith(f"{F}:7:5 (rules[0].expr): ")
    assert any(p.startswith(f"{F}:9:3 (thresholds.validation.rnage): ") for p in found)
    assert any(p.startswith(f"{F}:14:7 (features.a.checks.validation.nul_share): ") for p in found)


def test_contract_error_message_counts_the_rest() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract(MANY, F)
    err = info.value
    assert isinstance(err, MlauditError)
    assert str(err) == f"{err.problems[0]} (and {len(err.problems) - 1} more)"


# --------------------------------------------------------------------------- files


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert len(info.value.problems) == 1
    msg = info.value.problems[0]
    assert msg.startswith(f"{path}: ")
    assert "not found" in msg


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as info:
        load_contract(tmp_path)
    msg = info.value.problems[0]
    assert msg.startswith(f"{tmp_path}: ")
    assert "directory" in msg


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\nmodel:\n  name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert "UTF-8" in info.value.problems[0]


def test_problems_from_a_file_name_the_file(write_contract: Callable[..., Path]) -> None:
    path = write_contract(HEAD + "bogus: 1\n", "my-contract.yaml")
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert info.value.problems[0].startswith(f"{path}:5:1 (bogus): ")


# --------------------------------------------------------------------------- JSON Schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return schema["$defs"][name]  # type: ignore[no-any-return]
    return node


def _allows_null(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    node = _resolve(schema, node)
    if node.get("type") == "null" or (isinstance(node.get("type"), list) and "null" in node["type"]):
        return True
    return any(_allows_null(schema, alt) for alt in node.get("anyOf", []) + node.get("oneOf", []))


def test_json_schema_is_serialisable_and_complete() -> None:
    schema = json_schema()
    round_trip = json.loads(json.dumps(schema))
    assert round_trip == schema
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object"
    assert set(schema["properties"]) == set(Contract.model_fields)
    assert set(schema["required"]) == {"version", "model"}
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", ["Model", "Owner", "Owners", "Columns", "Threshold", "Feature", "Rule",
                                  "RowCount", "Freshness", "Dataset", "ConfidenceGate", "Outputs"])
def test_json_schema_forbids_extra_keys_in_nested_models(name: str) -> None:
    defs = json_schema()["$defs"]
    assert defs[name]["additionalProperties"] is False
    assert defs[name]["type"] == "object"


def test_json_schema_feature_properties() -> None:
    schema = json_schema()
    feature = schema["$defs"]["Feature"]
    assert "range" in feature["properties"] and "checks" in feature["properties"]
    assert feature["required"] == ["type"]
    ftype = _resolve(schema, feature["properties"]["type"])
    assert set(ftype["enum"]) == {t.value for t in FeatureType}
    assert "description" in feature["properties"]["max_null_share"]


def test_json_schema_accepts_empty_sections_the_loader_accepts() -> None:
    """`owners:` left empty (as `mlaudit init` writes it) loads; an editor using the schema must agree."""
    schema = json_schema()
    for section in ("owners", "columns", "features", "rules", "dataset", "outputs", "thresholds"):
        assert _allows_null(schema, schema["properties"][section]), section
