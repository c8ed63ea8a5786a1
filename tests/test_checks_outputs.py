"""Output checks on tiny hand-made snapshots: prediction range, probability sums, confidence gating.

Each failing case is held to an independent plain-Python/numpy computation of its
statistic, and to the count, total, levels, example ids, owner and message it reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import mlaudit
from mlaudit import Clock
from mlaudit.errors import ContractError
from mlaudit.results import AuditResult, ExitCode, OwnerArea, Status, Verdict
from tests.helpers import assert_finding, one, share_of

NAN = float("nan")
INF = float("inf")
PR = "validation.prediction_range"
PS = "validation.probability_sum"
CG = "validation.confidence_gate"


# --------------------------------------------------------------------------- helpers


def contract(*, task: str = "binary_classification", columns: str = "{id: id, score: s}", extra: str = "",
             model_extra: str = "") -> str:
    return (
        "version: 1\n"
        f"model: {{name: m, task: {task}{model_extra}}}\n"
        f"columns: {columns}\n"
        + extra
    )


MULTI = dict(task="multiclass_classification", model_extra=", classes: [a, b, c]",
             columns="{id: id, probabilities: [pa, pb, pc]}")


def bad_score(v: float | None, lo: float | None = 0.0, hi: float | None = 1.0) -> bool:
    """Independent definition of an invalid output."""
    if v is None or math.isnan(v) or math.isinf(v):
        return True
    return (lo is not None and v < lo) or (hi is not None and v > hi)


def test_prediction_range_defaults_to_unit_interval_for_classifiers(run_audit: Callable[..., AuditResult]) -> None:
    s = [0.5, 1.2, NAN, None, -0.1, 1.0, 0.0]
    res = run_audit(contract(), {"id": [1, 2, 3, 4, 5, 6, 7], "s": s}, only=[PR])
    value = share_of([bad_score(v) for v in s])
    assert_finding(one(res, PR, "s"), status=Status.fail, value=value, count=4, total=7, threshold=0.0, warn=None,
                   examples=(2, 3, 4, 5), area=OwnerArea.model_behavior,
                   in_message=["4 of 7 rows", "57.1%", "[0.0, 1.0]"])
    assert res.verdict is Verdict.fail
    assert res.exit_code is ExitCode.GATE_FAILED


def test_prediction_range_counts_infinite_scores(run_audit: Callable[..., AuditResult]) -> None:
    s = [0.5, INF, -INF, 0.5]
    res = run_audit(contract(), {"id": [1, 2, 3, 4], "s": s}, only=[PR])
    assert_finding(one(res, PR, "s"), status=Status.fail, value=share_of([bad_score(v) for v in s]), count=2,
                   total=4, threshold=0.0, warn=None, examples=(2, 3), area=OwnerArea.model_behavior)


def test_prediction_range_valid_scores_pass(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(), {"id": [1, 2, 3], "s": [0.0, 0.5, 1.0]}, only=[PR])
    r = one(res, PR, "s")
    assert (r.status, r.value, r.count, r.total, r.examples) == (Status.passed, 0.0, 0, 3, ())


def test_prediction_range_custom_score_range(run_audit: Callable[..., AuditResult]) -> None:
    s = [300.0, 850.0, 299.0, 900.0]
    res = run_audit(contract(extra="outputs: {score_range: [300, 850]}\n"), {"id": [1, 2, 3, 4], "s": s},
                    only=[PR])
    value = share_of([bad_score(v, 300, 850) for v in s])
    assert_finding(one(res, PR, "s"), status=Status.fail, value=value, count=2, total=4, threshold=0.0, warn=None,
                   examples=(3, 4), area=OwnerArea.model_behavior, in_message=["[300.0, 850.0]"])


def test_prediction_range_regression_without_score_range_counts_only_missing(
    run_audit: Callable[..., AuditResult],
) -> None:
    s = [1e9, -5.0, NAN, None, 3.0]
    res = run_audit(contract(task="regression"), {"id": [1, 2, 3, 4, 5], "s": s}, only=[PR])
    value = share_of([bad_score(v, None, None) for v in s])
    assert_finding(one(res, PR, "s"), status=Status.fail, value=value, count=2, total=5, threshold=0.0, warn=None,
                   examples=(3, 4), area=OwnerArea.model_behavior, in_message=["2 of 5 rows", "40.0%", "missing"])
    assert "[" not in one(res, PR, "s").message.split(";")[0]  # no range is claimed


def test_prediction_range_regression_with_score_range(run_audit: Callable[..., AuditResult]) -> None:
    s = [-1.0, 50.0, 101.0]
    res = run_audit(contract(task="regression", extra="outputs: {score_range: [0, 100]}\n"),
                    {"id": [1, 2, 3], "s": s}, only=[PR])
    assert_finding(one(res, PR, "s"), status=Status.fail, value=share_of([bad_score(v, 0, 100) for v in s]),
                   count=2, total=3, threshold=0.0, warn=None, examples=(1, 3), area=OwnerArea.model_behavior)


def test_prediction_range_warns_within_max_violation_share(run_audit: Callable[..., AuditResult]) -> None:
    s = [0.1, 0.2, 1.5, 0.3]
    res = run_audit(contract(extra="outputs: {max_violation_share: 0.3}\n"), {"id": [1, 2, 3, 4], "s": s},
                    only=[PR])
    assert_finding(one(res, PR, "s"), status=Status.warn, value=share_of([bad_score(v) for v in s]), count=1,
                   total=4, threshold=0.3, warn=0.0, examples=(3,), area=OwnerArea.model_behavior)
    assert res.verdict is Verdict.warn
    assert res.exit_code is ExitCode.OK


def test_prediction_range_fails_above_max_violation_share(run_audit: Callable[..., AuditResult]) -> None:
    s = [0.1, 2.0, 1.5, 0.3]
    res = run_audit(contract(extra="outputs: {max_violation_share: 0.3}\n"), {"id": [1, 2, 3, 4], "s": s},
                    only=[PR], fail_on="warning")
    assert_finding(one(res, PR, "s"), status=Status.fail, value=share_of([bad_score(v) for v in s]), count=2,
                   total=4, threshold=0.3, warn=0.0, examples=(2, 3), area=OwnerArea.model_behavior)
    assert res.exit_code is ExitCode.GATE_FAILED


def test_prediction_range_owner_team_comes_from_contract(run_audit: Callable[..., AuditResult]) -> None:
    extra = "owners:\n  model_behavior: {team: ml-platform, contact: ml@x}\n"
    res = run_audit(contract(extra=extra), {"id": [1], "s": [2.0]}, only=[PR])
    r = one(res, PR, "s")
    assert (r.owner.area, r.owner.team, r.owner.contact) == (OwnerArea.model_behavior, "ml-platform", "ml@x")


def test_prediction_range_skipped_without_score_columns(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(columns="{id: id}"), {"id": [1]}, only=[PR])
    assert one(res, PR).status is Status.skipped


def test_prediction_range_checks_each_probability_column(run_audit: Callable[..., AuditResult]) -> None:
    pa, pb, pc = [0.2, 1.1, None], [0.3, 0.0, 0.5], [0.5, -0.1, 0.5]
    res = run_audit(contract(**MULTI), {"id": [1, 2, 3], "pa": pa, "pb": pb, "pc": pc}, only=[PR])
    assert_finding(one(res, PR, "pa"), status=Status.fail, value=share_of([bad_score(v) for v in pa]), count=2,
                   total=3, threshold=0.0, warn=None, examples=(2, 3), area=OwnerArea.model_behavior)
    assert one(res, PR, "pb").status is Status.passed
    assert one(res, PR, "pc").examples == (2,)


def test_prediction_range_on_pandas_dataframes(write_contract: Callable[..., Path], fixed_clock: Clock) -> None:
    pd = pytest.importorskip("pandas")
    s = [0.4, np.nan, 1.3, 0.9]
    frame = pd.DataFrame({"id": [10, 20, 30, 40], "s": s})
    res = mlaudit.audit(write_contract(contract()), frame, frame, clock=fixed_clock, only=[PR])
    value = float(np.mean(np.isnan(s) | (np.asarray(s) > 1) | (np.asarray(s) < 0)))
    assert_finding(one(res, PR, "s"), status=Status.fail, value=value, count=2, total=4, threshold=0.0, warn=None,
                   examples=(20, 30), area=OwnerArea.model_behavior)


# --------------------------------------------------------------------------- validation.probability_sum


def test_probability_sum_flags_bad_rows(run_audit: Callable[..., AuditResult]) -> None:
    pa = [0.2, 0.2, NAN, None, 0.1]
    pb = [0.3, 0.3, 0.5, 0.5, 0.2]
    pc = [0.5, 0.4, 0.5, 0.5, 0.7 + 1e-9]  # the last row is within the default 1e-6 tolerance
    res = run_audit(contract(**MULTI), {"id": [1, 2, 3, 4, 5], "pa": pa, "pb": pb, "pc": pc}, only=[PS])

    def bad(row: tuple[float | None, ...]) -> bool:
        if any(v is None for v in row):
            return True
        total = math.fsum(row)  # type: ignore[arg-type]
        return math.isnan(total) or abs(total - 1.0) > 1e-6

    value = share_of([bad(r) for r in zip(pa, pb, pc, strict=True)])
    assert_finding(one(res, PS), status=Status.fail, value=value, count=3, total=5, threshold=0.0, warn=None,
                   examples=(2, 3, 4), area=OwnerArea.model_behavior, in_message=["3 of 5 rows", "60.0%", "1e-06"])


def test_probability_sum_tolerance(run_audit: Callable[..., AuditResult]) -> None:
    data = {"id": [1, 2], "pa": [0.2, 0.2], "pb": [0.3, 0.3], "pc": [0.4, 0.2]}
    res = run_audit(contract(**MULTI, extra="outputs: {probabilities_sum_tolerance: 0.15}\n"), data, only=[PS])
    assert_finding(one(res, PS), status=Status.fail, value=0.5, count=1, total=2, threshold=0.0, warn=None,
                   examples=(2,), area=OwnerArea.model_behavior, in_message=["0.15"])


def test_probability_sum_warns_within_max_violation_share(run_audit: Callable[..., AuditResult]) -> None:
    data = {"id": [1, 2, 3, 4], "pa": [0.2, 0.2, 0.2, 0.2], "pb": [0.3] * 4, "pc": [0.5, 0.5, 0.5, 0.9]}
    res = run_audit(contract(**MULTI, extra="outputs: {max_violation_share: 0.5}\n"), data, only=[PS])
    assert_finding(one(res, PS), status=Status.warn, value=0.25, count=1, total=4, threshold=0.5, warn=0.0,
                   examples=(4,), area=OwnerArea.model_behavior)


def test_probability_sum_passes(run_audit: Callable[..., AuditResult]) -> None:
    data = {"id": [1, 2], "pa": [0.1, 1 / 3], "pb": [0.2, 1 / 3], "pc": [0.7, 1 / 3]}
    res = run_audit(contract(**MULTI), data, only=[PS])
    r = one(res, PS)
    assert (r.status, r.value, r.count, r.examples) == (Status.passed, 0.0, 0, ())


def test_probability_sum_does_not_apply_to_a_binary_score(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(), {"id": [1], "s": [0.3]}, only=[PS])
    assert res.results == ()


def test_probability_columns_need_one_class_each(write_contract: Callable[..., Path], fixed_clock: Clock) -> None:
    text = contract(task="multiclass_classification", model_extra=", classes: [a, b]",
                    columns="{id: id, probabilities: [pa, pb, pc]}")
    frame = pl.DataFrame({"id": [1], "pa": [0.2], "pb": [0.3], "pc": [0.5]})
    with pytest.raises(ContractError, match=r"model\.classes"):
        mlaudit.audit(write_contract(text), frame, frame, clock=fixed_clock, only=[PS])


# --------------------------------------------------------------------------- validation.confidence_gate

GATE_COLUMNS = "{id: id, score: s, review: reviewer, decision: decision}"
GATE_ROWS = {
    "id": [1, 2, 3, 4, 5, 6],
    "s": [0.55, 0.95, 0.6, 0.3, 0.25, 0.1],
    "reviewer": [None, None, "ann", None, None, None],
    "decision": ["approve", "approve", "deny", None, "deny", "deny"],
}


def gate(below: float, warn: float | None = None, fail: float | None = None) -> str:
    parts = [f"below: {below}"] + ([f"warn: {warn}"] if warn is not None else []) + (
        [f"fail: {fail}"] if fail is not None else [])
    return f"outputs:\n  confidence_gate: {{{', '.join(parts)}}}\n"


def weak_share(rows: dict[str, list[Any]], below: float) -> tuple[int, int, list[Any]]:
    """Independent count: (weak automatic, automatic, ids of weak automatic) with confidence max(p, 1-p)."""
    auto = weak = 0
    ids = []
    for i, p, who, decision in zip(rows["id"], rows["s"], rows.get("reviewer", [None] * len(rows["id"])),
                                   rows.get("decision", ["x"] * len(rows["id"])), strict=True):
        if who is not None or decision is None:
            continue
        auto += 1
        if p is not None and max(p, 1 - p) < below:
            weak += 1
            ids.append(i)
    return weak, auto, ids


def test_confidence_gate_fails_on_weak_automatic_decisions(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(columns=GATE_COLUMNS, extra=gate(0.8, warn=0.1, fail=0.4)), GATE_ROWS, only=[CG])
    weak, auto, ids = weak_share(GATE_ROWS, 0.8)
    assert (weak, auto, ids) == (2, 4, [1, 5])  # row 3 reviewed, row 4 no decision, row 6 confident (0.9)
    r = one(res, CG, "s")
    assert_finding(r, status=Status.fail, value=weak / auto, count=weak, total=auto, threshold=0.4, warn=0.1,
                   examples=tuple(ids), area=OwnerArea.decision_impact,
                   in_message=["2 of 4", "50.0%", "reviewer", "0.8"])
    assert r.details == {"below": 0.8, "invalid_scores": 0}


def test_confidence_gate_warns_between_levels(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(columns=GATE_COLUMNS, extra=gate(0.8, warn=0.1, fail=0.6)), GATE_ROWS, only=[CG])
    weak, auto, ids = weak_share(GATE_ROWS, 0.8)
    assert_finding(one(res, CG, "s"), status=Status.warn, value=weak / auto, count=weak, total=auto, threshold=0.6,
                   warn=0.1, examples=tuple(ids), area=OwnerArea.decision_impact)


def test_confidence_gate_passes_when_automatic_decisions_are_confident(
    run_audit: Callable[..., AuditResult],
) -> None:
    res = run_audit(contract(columns=GATE_COLUMNS, extra=gate(0.5)), GATE_ROWS, only=[CG])
    r = one(res, CG, "s")
    assert (r.status, r.value, r.count, r.total, r.threshold, r.examples) == (Status.passed, 0.0, 0, 4, 0.0, ())


def test_confidence_gate_binary_confidence_is_max_of_p_and_one_minus_p(
    run_audit: Callable[..., AuditResult],
) -> None:
    rows = {"id": [1, 2, 3, 4], "s": [0.05, 0.15, 0.3, 0.7]}
    res = run_audit(contract(columns="{id: id, score: s, review: reviewer}", extra=gate(0.8)),
                    {**rows, "reviewer": pl.Series([None] * 4, dtype=pl.String)}, only=[CG])
    # confidences 0.95, 0.85, 0.7, 0.7: the last two are weak, a low score alone is not
    assert_finding(one(res, CG, "s"), status=Status.fail, value=0.5, count=2, total=4, threshold=0.0, warn=None,
                   examples=(3, 4), area=OwnerArea.decision_impact)


def test_confidence_gate_without_review_column_counts_every_decision(run_audit: Callable[..., AuditResult]) -> None:
    """docs/contract.md: a decision is automatic in every row when columns.review is not set."""
    rows = {"id": [1, 2, 3, 4], "s": [0.5, 0.95, 0.6, 0.1]}
    res = run_audit(contract(extra=gate(0.8, fail=0.6)), rows, only=[CG])
    weak = sum(max(p, 1 - p) < 0.8 for p in rows["s"])
    r = one(res, CG, "s")
    assert (r.count, r.total) == (weak, 4), r.message
    assert r.value == pytest.approx(weak / 4, abs=1e-12)
    assert r.status is Status.passed  # 0.5 is not above 0.6
    assert "2 of 4" in r.message


def test_confidence_gate_multiclass_uses_largest_probability(run_audit: Callable[..., AuditResult]) -> None:
    data = {"id": [1, 2, 3], "pa": [0.4, 0.9, 0.34], "pb": [0.35, 0.05, 0.33], "pc": [0.25, 0.05, 0.33],
            "reviewer": pl.Series([None, None, None], dtype=pl.String)}
    cols = "{id: id, probabilities: [pa, pb, pc], review: reviewer}"
    res = run_audit(contract(task="multiclass_classification", model_extra=", classes: [a, b, c]", columns=cols,
                             extra=gate(0.5)), data, only=[CG])
    r = one(res, CG)  # several score columns: the result has no single column
    largest = [max(a, b, c) for a, b, c in zip(data["pa"], data["pb"], data["pc"], strict=True)]
    assert_finding(r, status=Status.fail, value=share_of([x < 0.5 for x in largest]), count=2, total=3,
                   threshold=0.0, warn=None, examples=(1, 3), area=OwnerArea.decision_impact)


def test_confidence_gate_skipped_without_config(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(), {"id": [1], "s": [0.5]}, only=[CG])
    r = one(res, CG)
    assert r.status is Status.skipped
    assert "confidence_gate" in r.message


def test_confidence_gate_skipped_when_every_decision_was_reviewed(run_audit: Callable[..., AuditResult]) -> None:
    rows = {"id": [1, 2], "s": [0.5, 0.5], "reviewer": ["ann", "bob"], "decision": ["a", "b"]}
    res = run_audit(contract(columns=GATE_COLUMNS, extra=gate(0.8)), rows, only=[CG])
    assert one(res, CG).status is Status.skipped


def test_confidence_gate_severity_warning_never_fails_the_gate(run_audit: Callable[..., AuditResult]) -> None:
    extra = gate(0.8, fail=0.1) + "thresholds:\n  validation.confidence_gate: {severity: warning}\n"
    res = run_audit(contract(columns=GATE_COLUMNS, extra=extra), GATE_ROWS, only=[CG])
    r = one(res, CG, "s")
    assert (r.status, r.severity) == (Status.warn, "warning")
    assert res.exit_code is ExitCode.OK


# --------------------------------------------------------------------------- verdict and exit code


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("error", ExitCode.GATE_FAILED), ("warning", ExitCode.GATE_FAILED), ("never", ExitCode.OK)],
)
def test_output_failure_exit_code_follows_fail_on(
    run_audit: Callable[..., AuditResult], fail_on: str, code: ExitCode
) -> None:
    res = run_audit(contract(columns=GATE_COLUMNS, extra=gate(0.8, fail=0.4)), GATE_ROWS, only=[CG, PR],
                    fail_on=fail_on)
    assert one(res, PR, "s").status is Status.passed
    assert res.verdict is Verdict.fail
    assert res.exit_code is code


def test_outputs_in_error_fail_the_gate_with_fail_on_never(run_audit: Callable[..., AuditResult]) -> None:
    """A rule the current snapshot cannot evaluate is an error; an error always fails the gate."""
    extra = "rules:\n  - {name: r, expr: 'only_in_ref > 0'}\n"
    ref = {"id": [1], "s": [0.5], "only_in_ref": [1]}
    res = run_audit(contract(extra=extra), {"id": [1], "s": [0.5]}, ref,
                    only=[PR, "validation.rule"], fail_on="never")
    assert one(res, "validation.rule", "r").status is Status.error
    assert one(res, PR, "s").status is Status.passed
    assert res.verdict is Verdict.error
    assert res.exit_code is ExitCode.GATE_FAILED
