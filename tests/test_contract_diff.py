"""`mlaudit contract diff`: which contract changes are breaking, and how they are reported."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from mlaudit.contract.diff import KINDS, Change, diff, exit_code, render
from mlaudit.contract.loader import parse_contract

BASE = textwrap.dedent("""\
    version: 1
    model:
      name: loan
      version: "1.0"
      task: binary_classification
    owners:
      data_quality: {team: data-platform}
      model_behavior: {team: credit-ml}
    columns:
      id: application_id
      score: p_default
      label: defaulted
      segments: [region, product]
    features:
      income:
        type: float
        description: Yearly income
        range: [0, 1000000]
        unit: EUR
      age:
        type: int
        range: [18, 100]
        nullable: false
      region:
        type: category
        allowed: [north, south]
        max_null_share: 0.05
      code:
        type: string
        regex: "C[0-9]+"
        importance: high
    rules:
      - name: adult
        expr: age >= 18
        max_violation_share: 0.01
      - name: positive_income
        expr: income >= 0
    dataset:
      row_count: {min: 100, max: 10000}
      freshness: {warn: 26h, fail: 2d}
    outputs:
      score_range: [0, 1]
      max_violation_share: 0.001
      confidence_gate: {below: 0.6, fail: 0.05}
    thresholds:
      validation.range: {warn: 0.001, fail: 0.02}
      drift.feature: {fail: 0.2, method: ks}
    drift:
      alpha: 0.01
    outcomes:
      tolerance: 0.02
      calibration: {max_ece: 0.05}
    """)


def edited(*edits: tuple[str, str]) -> str:
    """BASE with each (old, new) text replaced once; an edit that matches nothing is a bug in the test."""
    text = BASE
    for old, new in edits:
        assert text.count(old) == 1, f"edit target {old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def changes(*edits: tuple[str, str], old: str = BASE) -> list[Change]:
    return diff(parse_contract(old, "old.yaml"), parse_contract(edited(*edits), "new.yaml"))


def kinds(found: list[Change]) -> list[str]:
    return [c.kind for c in found]


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


# One case per breaking kind: (edits, expected kind, expected path).
BREAKING = {
    "feature removed": ([('  code:\n    type: string\n    regex: "C[0-9]+"\n    importance: high\n', "")],
                        "feature_removed", "features.code"),
    "type changed": ([("type: float", "type: int")], "type_changed", "features.income.type"),
    "nullable tightened": ([("unit: EUR", "unit: EUR\n    nullable: false")], "nullable_tightened",
                           "features.income.nullable"),
    "nullable loosened": ([("range: [18, 100]\n    nullable: false", "range: [18, 100]")], "nullable_loosened",
                          "features.age.nullable"),
    "range narrowed": ([("[18, 100]", "[21, 100]")], "range_narrowed", "features.age.range"),
    "range widened": ([("[18, 100]", "[18, null]")], "range_widened", "features.age.range"),
    "range removed": ([("    range: [18, 100]\n", "")], "range_widened", "features.age.range"),
    "allowed narrowed": ([("[north, south]", "[north]")], "allowed_narrowed", "features.region.allowed"),
    "allowed widened": ([("[north, south]", "[north, south, east]")], "allowed_widened",
                        "features.region.allowed"),
    "null share loosened": ([("max_null_share: 0.05", "max_null_share: 0.2")], "null_share_loosened",
                            "features.region.max_null_share"),
    "null share tightened": ([("max_null_share: 0.05", "max_null_share: 0.01")], "null_share_tightened",
                             "features.region.max_null_share"),
    "regex changed": ([('"C[0-9]+"', '"C[0-9]{7}"')], "regex_changed", "features.code.regex"),
    "unique added": ([("importance: high", "importance: high\n    unique: true")], "unique_changed",
                     "features.code.unique"),
    "threshold loosened contract-wide": ([("{warn: 0.001, fail: 0.02}", "{warn: 0.001, fail: 0.05}")],
                                         "threshold_loosened", "thresholds.validation.range"),
    "threshold loosened per feature": ([("unit: EUR", "unit: EUR\n    checks:\n      validation.range: {fail: 0.5}")],
                                       "threshold_loosened", "features.income.checks.validation.range"),
    "threshold raised above the registry default": (
        [("  drift.feature:", "  validation.regex: {fail: 0.05}\n  drift.feature:")],
        "threshold_loosened", "thresholds.validation.regex"),
    "warn level raised": ([("{warn: 0.001, fail: 0.02}", "{warn: 0.01, fail: 0.02}")], "threshold_loosened",
                          "thresholds.validation.range"),
    "check disabled contract-wide": ([("  drift.feature:", "  validation.regex: {enabled: false}\n  drift.feature:")],
                                     "check_disabled", "thresholds.validation.regex.enabled"),
    "check disabled per feature": (
        [("importance: high", "importance: high\n    checks:\n      validation.regex: {enabled: false}")],
        "check_disabled", "features.code.checks.validation.regex.enabled"),
    "severity lowered": ([("{warn: 0.001, fail: 0.02}", "{warn: 0.001, fail: 0.02, severity: warning}")],
                         "severity_lowered", "thresholds.validation.range.severity"),
    "rule removed": ([("  - name: positive_income\n    expr: income >= 0\n", "")], "rule_removed", "rules[1]"),
    "rule loosened": ([("max_violation_share: 0.01", "max_violation_share: 0.05")], "rule_loosened", "rules[0]"),
    "rule severity lowered": ([("expr: income >= 0", "expr: income >= 0\n    severity: warning")],
                              "severity_lowered", "rules[1].severity"),
    "rule changed": ([("expr: age >= 18", "expr: age >= 16")], "rule_changed", "rules[0].expr"),
    "score range widened": ([("score_range: [0, 1]", "score_range: [0, 2]")], "score_range_widened",
                            "outputs.score_range"),
    "score range narrowed": ([("score_range: [0, 1]", "score_range: [0.05, 1]")], "score_range_narrowed",
                             "outputs.score_range"),
    "output share loosened": ([("max_violation_share: 0.001", "max_violation_share: 0.01")], "outputs_loosened",
                              "outputs.max_violation_share"),
    "confidence gate removed": ([("  confidence_gate: {below: 0.6, fail: 0.05}\n", "")], "confidence_gate_removed",
                                "outputs.confidence_gate"),
    "confidence gate loosened": ([("{below: 0.6, fail: 0.05}", "{below: 0.6, fail: 0.1}")],
                                 "confidence_gate_loosened", "outputs.confidence_gate"),
    "row count min lowered": ([("{min: 100, max: 10000}", "{min: 10, max: 10000}")], "row_count_loosened",
                              "dataset.row_count.min"),
    "row count max raised": ([("{min: 100, max: 10000}", "{min: 100}")], "row_count_loosened",
                             "dataset.row_count.max"),
    "freshness loosened": ([("fail: 2d}", "fail: 3d}")], "freshness_loosened", "dataset.freshness.fail"),
    "drift alpha raised": ([("alpha: 0.01", "alpha: 0.05")], "alpha_raised", "drift.alpha"),
    "drift alpha lowered": ([("alpha: 0.01", "alpha: 0.001")], "alpha_lowered", "drift.alpha"),
    "correction none": ([("alpha: 0.01", "alpha: 0.01\n  correction: none")], "correction_changed",
                        "drift.correction"),
    "task changed": ([("task: binary_classification", "task: regression")], "task_changed", "model.task"),
    "role column renamed": ([("score: p_default", "score: p_default_v2")], "role_changed", "columns.score"),
    "role column removed": ([("  label: defaulted\n", "")], "role_removed", "columns.label"),
    "segment removed": ([("[region, product]", "[region]")], "role_removed", "columns.segments"),
    "owner removed": ([("  model_behavior: {team: credit-ml}\n", "")], "owner_removed", "owners.model_behavior"),
    "outcomes tolerance raised": ([("tolerance: 0.02", "tolerance: 0.05")], "outcomes_loosened",
                                  "outcomes.tolerance"),
    "calibration max_ece raised": ([("max_ece: 0.05", "max_ece: 0.1")], "outcomes_loosened",
                                   "outcomes.calibration.max_ece"),
}


@pytest.mark.parametrize(("edits", "kind", "path"), list(BREAKING.values()), ids=list(BREAKING))
def test_breaking_change(edits: list[tuple[str, str]], kind: str, path: str) -> None:
    found = changes(*edits)
    match = [c for c in found if c.kind == kind and c.path == path]
    assert match, render(found)
    assert match[0].breaking and KINDS[kind]
    assert exit_code(found) == 1
    assert render(found).splitlines()[0].startswith("BREAKING")


# Tightening a level is what a contract is for: reported, never gated.
TIGHTENED = {
    "threshold": ([("{warn: 0.001, fail: 0.02}", "{warn: 0.001, fail: 0.01}")], "threshold_tightened"),
    "threshold below the registry default": ([("  drift.feature:", "  validation.regex: {fail: 0.001}\n"
                                               "  drift.feature:")], "threshold_tightened"),
    "severity raised": ([("  drift.feature:", "  performance.signals: {severity: error}\n  drift.feature:")],
                        "severity_raised"),
    "rule": ([("max_violation_share: 0.01", "max_violation_share: 0.001")], "rule_tightened"),
    "outputs": ([("max_violation_share: 0.001", "max_violation_share: 0.0")], "outputs_tightened"),
    "confidence gate": ([("{below: 0.6, fail: 0.05}", "{below: 0.7, fail: 0.05}")], "confidence_gate_tightened"),
    "row count": ([("{min: 100, max: 10000}", "{min: 200, max: 5000}")], "row_count_tightened"),
    "freshness": ([("{warn: 26h, fail: 2d}", "{warn: 12h, fail: 1d}")], "freshness_tightened"),
    "outcomes": ([("tolerance: 0.02", "tolerance: 0.01")], "outcomes_tightened"),
}


@pytest.mark.parametrize(("edits", "kind"), list(TIGHTENED.values()), ids=list(TIGHTENED))
def test_tightening_is_not_breaking(edits: list[tuple[str, str]], kind: str) -> None:
    found = changes(*edits)
    assert kind in kinds(found), render(found)
    assert not any(c.breaking for c in found), render(found)
    assert exit_code(found) == 0


def test_identical_contracts_have_no_changes() -> None:
    found = diff(parse_contract(BASE, "old.yaml"), parse_contract(BASE, "new.yaml"))
    assert found == []
    assert render(found) == "no changes"
    assert exit_code(found) == 0


def test_documentation_only_changes_are_not_breaking() -> None:
    found = changes(("Yearly income", "Gross yearly income"), ("importance: high", "importance: low"),
                    ("unit: EUR", "unit: kEUR"), ('version: "1.0"', 'version: "1.1"'))
    assert kinds(found) == ["changed"] * 4
    assert {c.path for c in found} == {"features.income.description", "features.code.importance",
                                       "features.income.unit", "model.version"}
    assert exit_code(found) == 0
    text = render(found)
    assert "'Yearly income' -> 'Gross yearly income'" in text
    assert text.splitlines()[-1] == "4 changes: 0 breaking, 4 non-breaking"


def test_additions_are_not_breaking() -> None:
    found = changes(("  code:\n", "  tenure:\n    type: int\n  code:\n"),
                    ("  - name: adult\n", "  - name: known_region\n    expr: region IS NOT NULL\n  - name: adult\n"),
                    ("  model_behavior: {team: credit-ml}\n",
                     "  model_behavior: {team: credit-ml}\n  governance: {team: risk}\n"))
    assert sorted(kinds(found)) == ["feature_added", "owner_added", "rule_added"]
    assert exit_code(found) == 0


def test_any_breaking_change_gates_among_others() -> None:
    found = changes(("Yearly income", "Income"), ("[18, 100]", "[21, 100]"),
                    ("{warn: 0.001, fail: 0.02}", "{warn: 0.001, fail: 0.01}"))
    assert exit_code(found) == 1
    lines = render(found).splitlines()
    assert lines[0].startswith("BREAKING") and "[range_narrowed]" in lines[0]
    assert all(line.startswith("change") for line in lines[1:-1])
    assert lines[-1] == "3 changes: 1 breaking, 2 non-breaking"


def test_messages_carry_the_new_files_line() -> None:
    new = edited(("  code:\n", "  tenure:\n    type: int\n  code:\n"), ("[18, 100]", "[21, 100]"))
    found = diff(parse_contract(BASE, "old.yaml"), parse_contract(new, "new.yaml"))
    narrowed = next(c for c in found if c.kind == "range_narrowed")
    assert narrowed.message.startswith(f"new.yaml:{line_of(new, '[21, 100]')}:5 (features.age.range): ")
    assert "[18, 100] -> [21, 100]" in narrowed.message and "minimum 18 -> 21" in narrowed.message


def test_removed_things_are_located_in_the_old_file() -> None:
    found = changes(("  - name: adult\n    expr: age >= 18\n    max_violation_share: 0.01\n", ""))
    removed = next(c for c in found if c.kind == "rule_removed")
    assert removed.path == "rules[0]"
    assert removed.message.startswith(f"old.yaml:{line_of(BASE, '- name: adult')}:")
    assert "rule 'adult'" in removed.message
    assert kinds(found) == ["rule_removed"]  # positive_income moved from rules[1] to rules[0]: not a change


def test_rules_are_matched_by_name_not_position() -> None:
    swapped = edited(("  - name: adult\n    expr: age >= 18\n    max_violation_share: 0.01\n"
                      "  - name: positive_income\n    expr: income >= 0\n",
                      "  - name: positive_income\n    expr: income >= 0\n"
                      "  - name: adult\n    expr: age >= 18\n    max_violation_share: 0.05\n"))
    found = diff(parse_contract(BASE, "old.yaml"), parse_contract(swapped, "new.yaml"))
    assert [(c.kind, c.path) for c in found] == [("rule_loosened", "rules[1]")]
    assert "rule 'adult': fail above 1.00%, warn above 0% -> fail above 5.00%" in found[0].message


def test_allowed_values_are_a_set() -> None:
    assert changes(("[north, south]", "[south, north]")) == []


def test_a_warn_level_left_out_falls_back_to_the_default() -> None:
    # validation.range warns above 0 by default: removing 'warn: 0.001' makes it warn sooner, not later.
    found = changes(("{warn: 0.001, fail: 0.02}", "{fail: 0.02}"))
    assert [(c.kind, c.breaking) for c in found] == [("threshold_tightened", False)]


def test_a_warn_level_dropped_below_a_tightened_fail_is_not_loosening() -> None:
    # warn 0.1 / fail 0.5 -> fail 0.05: the warn level is dropped (at or above fail), yet nothing got milder.
    found = changes(("  drift.feature:", "  validation.null_share: {fail: 0.05}\n  drift.feature:"))
    assert [(c.kind, c.breaking) for c in found] == [("threshold_tightened", False)]
    assert "fail above 0.5, warn above 0.1 -> fail above 0.05" in found[0].message


def test_same_effective_level_written_differently_is_a_generic_change() -> None:
    # validation.regex fails above 0.01 by default: writing it out changes nothing that takes effect.
    found = changes(("  drift.feature:", "  validation.regex: {fail: 0.01}\n  drift.feature:"))
    assert [(c.kind, c.path, c.breaking) for c in found] == [("changed", "thresholds.validation.regex.fail", False)]


def test_other_keys_of_a_scope_are_still_reported() -> None:
    found = changes(("{fail: 0.2, method: ks}", "{fail: 0.3, method: psi}"))
    assert [(c.kind, c.path) for c in found] == [("threshold_loosened", "thresholds.drift.feature"),
                                                 ("changed", "thresholds.drift.feature.method")]


def test_a_feature_override_is_compared_on_the_new_contract_wide_levels() -> None:
    # The contract-wide loosening is reported once, not again under the feature that keeps its own fail level.
    found = changes(("{warn: 0.001, fail: 0.02}", "{warn: 0.001, fail: 0.05}"),
                    ("unit: EUR", "unit: EUR\n    checks:\n      validation.range: {fail: 0.02}"))
    assert [(c.kind, c.path) for c in found] == [
        ("threshold_tightened", "features.income.checks.validation.range"),
        ("threshold_loosened", "thresholds.validation.range")]


def test_nullable_false_with_a_changed_max_null_share_is_not_breaking() -> None:
    # nullable: false wins over max_null_share, so the share has no effect on either side.
    found = changes(("nullable: false", "nullable: false\n    max_null_share: 0.3"))
    assert [(c.kind, c.breaking) for c in found] == [("changed", False)]


def test_default_score_range_counts_for_classifiers() -> None:
    found = changes(("  score_range: [0, 1]\n", ""))
    assert found and all(c.kind == "changed" for c in found)  # [0, 1] written or by default: the same range
    found = changes(("score_range: [0, 1]", "score_range: [-1, 1]"), old=edited(("  score_range: [0, 1]\n", "")))
    assert kinds(found) == ["score_range_widened"]
    assert "[0, 1] (default) -> [-1, 1]" in found[0].message


def test_change_is_frozen_and_every_kind_is_known() -> None:
    found = changes(("[18, 100]", "[21, 100]"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].kind = "changed"  # type: ignore[misc]
    assert all(c.kind in KINDS and c.breaking == KINDS[c.kind] for c in found)


GOVERNED = BASE + textwrap.dedent("""\
    human_review:
      required_when:
        - {name: low confidence, expr: score BETWEEN 0.45 AND 0.55}
        - {name: large loan, expr: x > 5}
      max_unreviewed_share: 0.0
    kill_switch:
      fallback: manual decisions
      when:
        - {name: drift, check: data_drift, importance: high}
        - {name: cost, check: performance.cost, value_above: 0.25}
    """)


@pytest.mark.parametrize(("edits", "kind"), [
    ([("  max_unreviewed_share: 0.0\n", "  max_unreviewed_share: 0.1\n")], "review_loosened"),
    ([("    - {name: large loan, expr: x > 5}\n", "")], "review_removed"),
    ([("expr: x > 5}", "expr: x > 50}")], "review_loosened"),
    ([("    - {name: cost, check: performance.cost, value_above: 0.25}\n", "")], "kill_condition_removed"),
    ([("value_above: 0.25}", "value_above: 0.25, warn_only: true}")], "kill_condition_softened"),
])
def test_weakening_human_review_or_the_kill_switch_is_breaking(edits: list[tuple[str, str]], kind: str) -> None:
    """A pull request that lets the model decide more alone, or that it can no longer be stopped by, is gated."""
    text = GOVERNED
    for before, after in edits:
        assert text.count(before) == 1
        text = text.replace(before, after)
    found = diff(parse_contract(GOVERNED, "old.yaml"), parse_contract(text, "new.yaml"))
    assert kind in kinds(found) and exit_code(found) == 1, render(found)


def test_removing_the_kill_switch_is_breaking_and_adding_it_is_not() -> None:
    """No kill switch means nothing can take the model out of the loop."""
    removed = diff(parse_contract(GOVERNED, "old.yaml"), parse_contract(BASE, "new.yaml"))
    assert {"kill_switch_removed", "review_removed"} <= set(kinds(removed)) and exit_code(removed) == 1
    added = diff(parse_contract(BASE, "old.yaml"), parse_contract(GOVERNED, "new.yaml"))
    assert set(kinds(added)) == {"kill_switch_added", "review_added"} and exit_code(added) == 0
