"""How warn and fail levels layer: check defaults, thresholds.<id>, a section's own keys, per-feature overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

import mlaudit
from mlaudit import Clock
from mlaudit.contract.loader import parse_contract
from mlaudit.errors import ContractError
from mlaudit.results import AuditResult, CheckResult, Status

HEAD = "version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {id: id}\n"


def _run(write_contract: Callable[..., Path], body: str, frame: pl.DataFrame, fixed_clock: Clock,
         only: str) -> AuditResult:
    return mlaudit.audit(write_contract(HEAD + body), frame, frame, clock=fixed_clock, only=[only])


def _one(res: AuditResult, check: str, column: str | None) -> CheckResult:
    found = [r for r in res.results if r.check == check and r.column == column]
    assert len(found) == 1, res.results
    return found[0]


def test_max_null_share_replaces_the_default_warn_level(
    write_contract: Callable[..., Path], fixed_clock: Clock
) -> None:
    """A feature that is 80% null by design, declared so, must not warn at the generic 10%."""
    frame = pl.DataFrame({"id": range(10), "x": [None] * 8 + [1.0, 2.0]})
    res = _run(write_contract, "features:\n  x: {type: float, max_null_share: 0.9}\n", frame, fixed_clock,
               "validation.null_share")
    r = _one(res, "validation.null_share", "x")
    assert r.status is Status.passed and r.threshold == 0.9 and r.warn_threshold is None


def test_contract_wide_threshold_applies_when_the_section_states_nothing(
    write_contract: Callable[..., Path], fixed_clock: Clock
) -> None:
    frame = pl.DataFrame({"id": range(10), "x": [None] * 3 + [1.0] * 7})
    body = "features:\n  x: {type: float}\nthresholds:\n  validation.null_share: {warn: 0.2, fail: 0.25}\n"
    r = _one(_run(write_contract, body, frame, fixed_clock, "validation.null_share"), "validation.null_share", "x")
    assert r.status is Status.fail and (r.warn_threshold, r.threshold) == (0.2, 0.25)


def test_rule_uses_contract_wide_threshold_unless_it_states_its_own(
    write_contract: Callable[..., Path], fixed_clock: Clock
) -> None:
    frame = pl.DataFrame({"id": range(10), "a": [1] * 9 + [-1]})
    rules = ("rules:\n  - {name: positive, expr: a > 0}\n  - {name: strict, expr: a > 0, max_violation_share: 0}\n"
             "thresholds:\n  validation.rule: {fail: 0.5}\n")
    res = _run(write_contract, rules, frame, fixed_clock, "validation.rule")
    loose, strict = _one(res, "validation.rule", "positive"), _one(res, "validation.rule", "strict")
    assert loose.status is Status.warn and loose.threshold == 0.5 and loose.warn_threshold == 0.0
    assert strict.status is Status.fail and strict.threshold == 0.0


def test_per_feature_override_beats_the_section_key(
    write_contract: Callable[..., Path], fixed_clock: Clock
) -> None:
    frame = pl.DataFrame({"id": range(4), "x": [None, 1.0, 2.0, 3.0]})
    body = ("features:\n  x:\n    type: float\n    max_null_share: 0.1\n"
            "    checks: {validation.null_share: {fail: 0.3, warn: 0.2}}\n")
    r = _one(_run(write_contract, body, frame, fixed_clock, "validation.null_share"), "validation.null_share", "x")
    assert r.status is Status.warn and (r.warn_threshold, r.threshold) == (0.2, 0.3)


def test_schema_honours_severity_and_enabled(write_contract: Callable[..., Path], fixed_clock: Clock) -> None:
    ref = pl.DataFrame({"id": [1], "x": [1.0]})
    cur = pl.DataFrame({"id": [1]})
    body = "features:\n  x: {type: float}\nthresholds:\n  validation.schema: {severity: warning}\n"
    res = mlaudit.audit(write_contract(HEAD + body), ref, cur, clock=fixed_clock, only=["validation.schema"])
    assert _one(res, "validation.schema", "x").status is Status.warn
    body = "features:\n  x: {type: float}\nthresholds:\n  validation.schema: {enabled: false}\n"
    res = mlaudit.audit(write_contract(HEAD + body, "off.yaml"), ref, cur, clock=fixed_clock,
                        only=["validation.schema"])
    assert res.results == ()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("features:\n  x:\n    type: float\n    checks: {validation.row_count: {fail: 1}}\n",
         "c.yaml:7:14 (features.x.checks.validation.row_count): 'validation.row_count' is not evaluated per feature"),
        ("thresholds:\n  validation.range: {method: psi}\n",
         "c.yaml:5:22 (thresholds.validation.range.method): 'validation.range' offers no method choice, not 'psi'"),
    ],
)
def test_overrides_that_would_do_nothing_are_errors(body: str, needle: str) -> None:
    with pytest.raises(ContractError) as exc:
        parse_contract(HEAD + body, "c.yaml")
    assert needle in exc.value.problems[0], exc.value.problems
