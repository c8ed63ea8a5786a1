"""Contract against data: every column the contract names exists, features fit the reference."""

from __future__ import annotations

import polars as pl
import pytest

from mlaudit.contract.compat import problems_against
from mlaudit.contract.loader import LoadedContract, parse_contract
from mlaudit.errors import ContractError

F = "c.yaml"

REFERENCE: dict[str, pl.DataType] = {
    "request_id": pl.String(),
    "decided_at": pl.Datetime("us", "UTC"),
    "default_prob": pl.Float64(),
    "defaulted": pl.Boolean(),
    "region": pl.String(),
    "income": pl.Float64(),
    "age": pl.Int64(),
    "city": pl.String(),
    "has_mortgage": pl.Boolean(),
    "spend_known_at": pl.Datetime("us", "UTC"),
    "spend_30d": pl.Float32(),
}

# Line numbers of the keys below are asserted in the tests.
MATCHING = """\
version: 1
model:
  name: m
  task: binary_classification
columns:
  id: request_id
  event_time: decided_at
  score: default_prob
  label: defaulted
  segments: [region]
features:
  income:
    type: float
    range: [0, null]
  age:
    type: int
    range: [18, 120]
  city:
    type: category
    allowed: [a, b]
  region:
    type: string
  has_mortgage:
    type: bool
  spend_30d:
    type: float
    available_at: spend_known_at
rules:
  - name: adult income
    expr: age >= 18 AND income >= 0
"""


def load(text: str) -> LoadedContract:
    return parse_contract(text, F)


def check(text: str, reference: dict[str, pl.DataType] | None = None,
          current: dict[str, pl.DataType] | None = None) -> list[str]:
    ref = REFERENCE if reference is None else reference
    cur = ref if current is None else current
    return problems_against(load(text), {"reference": ref, "current": cur}, reference="reference")


def test_matching_contract_has_no_problems() -> None:
    assert check(MATCHING) == []


def test_matching_contract_without_a_reference_requirement() -> None:
    loaded = load(MATCHING)
    assert problems_against(loaded, {"snapshot": REFERENCE}, reference=None) == []


def test_int_columns_satisfy_float_and_category_features() -> None:
    text = MATCHING.replace("  city:\n    type: category\n    allowed: [a, b]\n",
                            "  city:\n    type: category\n")
    ref = {**REFERENCE, "income": pl.Int32(), "city": pl.Int64()}
    assert check(text, ref) == []


def test_categorical_and_enum_columns_satisfy_category_features() -> None:
    ref = {**REFERENCE, "city": pl.Categorical(), "region": pl.Enum(["n", "s"])}
    assert check(MATCHING, ref) == []


def test_column_role_in_no_snapshot_suggests_the_closest() -> None:
    text = MATCHING.replace("  score: default_prob\n", "  score: default_prb\n")
    assert check(text) == [
        f"{F}:8:3 (columns.score): column 'default_prb' is not in the reference or current snapshot; "
        "did you mean 'default_prob'?"
    ]


def test_segment_in_no_snapshot_is_located_at_the_list_item() -> None:
    text = MATCHING.replace("  segments: [region]\n", "  segments: [region, chanel]\n")
    ref = {**REFERENCE, "channel": pl.String()}
    assert check(text, ref) == [
        f"{F}:10:22 (columns.segments[1]): column 'chanel' is not in the reference or current snapshot; "
        "did you mean 'channel'?"
    ]


def test_feature_in_no_snapshot_suggests_the_closest() -> None:
    text = MATCHING.replace("  income:\n", "  incme:\n")
    found = check(text)
    assert found == [
        f"{F}:12:3 (features.incme): column 'incme' is not in the reference or current snapshot; "
        "did you mean 'income'?"
    ]


def test_unknown_column_without_a_close_match_has_no_suggestion() -> None:
    text = MATCHING.replace("  label: defaulted\n", "  label: zzzzzz\n")
    found = check(text)
    assert found == [f"{F}:9:3 (columns.label): column 'zzzzzz' is not in the reference or current snapshot"]


def test_available_at_column_in_no_snapshot() -> None:
    text = MATCHING.replace("available_at: spend_known_at", "available_at: spend_know_at")
    assert check(text) == [
        f"{F}:27:5 (features.spend_30d.available_at): column 'spend_know_at' is not in the reference or "
        "current snapshot; did you mean 'spend_known_at'?"
    ]


def test_column_only_in_current_is_not_a_contract_error() -> None:
    text = MATCHING.replace("  score: default_prob\n", "  score: default_prob\n  review: reviewer\n")
    cur = {**REFERENCE, "reviewer": pl.String()}
    assert check(text, REFERENCE, cur) == []


def test_feature_missing_from_the_reference() -> None:
    text = MATCHING + "  - name: dummy\n    expr: income > 0\n"
    text = text.replace("features:\n", "features:\n  bureau_score:\n    type: float\n")
    cur = {**REFERENCE, "bureau_score": pl.Float64()}
    found = check(text, REFERENCE, cur)
    assert found == [
        f"{F}:12:3 (features.bureau_score): feature 'bureau_score' is not in the reference snapshot; "
        "the contract must describe what the model was trained on"
    ]


@pytest.mark.parametrize(
    ("declared", "actual", "shown"),
    [("int", pl.Float64(), "Float64"), ("int", pl.String(), "String"), ("float", pl.String(), "String"),
     ("bool", pl.Int64(), "Int64"), ("string", pl.Int64(), "Int64"), ("datetime", pl.Float64(), "Float64")],
)
def test_feature_type_mismatch_in_the_reference(declared: str, actual: pl.DataType, shown: str) -> None:
    text = MATCHING.replace("  income:\n    type: float\n    range: [0, null]\n",
                            f"  income:\n    type: {declared}\n")
    ref = {**REFERENCE, "income": actual}
    found = check(text, ref)
    assert len(found) == 1, found
    assert found[0] == (f"{F}:13:5 (features.income.type): feature 'income' is declared {declared} but is "
                        f"{shown} in the reference snapshot; fix the type in the contract")


def test_type_of_the_current_snapshot_is_not_a_contract_error() -> None:
    cur = {**REFERENCE, "income": pl.String()}
    assert check(MATCHING, REFERENCE, cur) == []


def test_datetime_feature_accepts_a_date_column() -> None:
    text = MATCHING.replace("features:\n", "features:\n  opened:\n    type: datetime\n")
    ref = {**REFERENCE, "opened": pl.Date()}
    assert check(text, ref) == []


def test_range_on_a_category_feature_is_a_contract_error() -> None:
    """A contract problem that needs no data: reported when the contract loads, at the key."""
    text = MATCHING.replace("    allowed: [a, b]\n", "    range: [0, 10]\n")
    with pytest.raises(ContractError) as exc:
        parse_contract(text, F)
    assert exc.value.problems == [f"{F}:20:5 (features.city.range): range applies to float, int features, "
                                  "not category"]


def test_rule_referencing_a_missing_column() -> None:
    text = MATCHING.replace("expr: age >= 18 AND income >= 0", "expr: age >= 18 AND incme >= 0")
    found = check(text)
    assert len(found) == 1, found
    assert found[0].startswith(f"{F}:30:5 (rules[0].expr): rule 'adult income' cannot be evaluated on the data: ")
    assert "incme" in found[0]
    assert "\n" not in found[0]


def test_rule_may_use_a_column_only_in_current() -> None:
    text = MATCHING.replace("expr: age >= 18 AND income >= 0", "expr: amount >= 0")
    cur = {**REFERENCE, "amount": pl.Float64()}
    assert check(text, REFERENCE, cur) == []


def test_several_problems_are_all_reported() -> None:
    text = (MATCHING.replace("  score: default_prob\n", "  score: default_prb\n")
            .replace("expr: age >= 18 AND income >= 0", "expr: nope > 1"))
    ref = {**REFERENCE, "age": pl.Float64()}
    found = check(text, ref)
    assert len(found) == 3, found
    assert any(p.startswith(f"{F}:8:3 (columns.score): ") for p in found)
    assert any(p.startswith(f"{F}:16:5 (features.age.type): ") for p in found)
    assert any(p.startswith(f"{F}:30:5 (rules[0].expr): ") for p in found)


def test_feature_names_with_dots_and_digits_are_located_at_their_key() -> None:
    """Column names may hold dots or be all digits; the location must still be the feature's own key."""
    text = ("version: 1\nmodel:\n  name: m\n  task: regression\nfeatures:\n"
            "  a:\n    type: float\n"              # 6-7
            "  \"spend.v2\":\n    type: float\n"   # 8-9
            "  \"2024\":\n    type: float\n")      # 10-11
    found = check(text, {"a": pl.Float64()})
    assert f"{F}:8:3 (features.spend.v2): column 'spend.v2' is not in the reference or current snapshot" in found
    assert f"{F}:10:3 (features.2024): column '2024' is not in the reference or current snapshot" in found
    assert len(found) == 2, found
