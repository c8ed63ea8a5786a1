"""The bundled scenario: its planted validation problems are found, and nothing else fails."""

from __future__ import annotations

import datetime as dt

import pytest

import mlaudit
from mlaudit.results import AuditResult, Status
from tests.conftest import SAMPLE

AS_OF = dt.datetime(2026, 10, 31, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                         SAMPLE / "outcomes.parquet", as_of=AS_OF)


def _status(result: AuditResult, check: str, column: str | None) -> Status:
    found = [r.status for r in result.results if r.check == check and r.column == column]
    assert found, f"no result for {check} on {column}"
    return found[0]


@pytest.mark.parametrize(
    ("check", "column", "status"),
    [
        ("validation.range", "age", Status.warn),
        ("validation.allowed_values", "employment_type", Status.fail),
        ("validation.null_share", "credit_score", Status.fail),
        ("validation.unique", "application_id", Status.fail),
        ("validation.rule", "loan within ten times income", Status.fail),
        ("validation.prediction_range", "default_probability", Status.fail),
        ("validation.regex", "customer_id", Status.warn),
        ("validation.confidence_gate", "default_probability", Status.fail),
    ],
)
def test_planted_problem_is_found(result: AuditResult, check: str, column: str | None, status: Status) -> None:
    assert _status(result, check, column) is status


def test_clean_columns_pass(result: AuditResult) -> None:
    for column in ("income", "loan_amount", "region", "product", "has_guarantor"):
        statuses = {r.status for r in result.results if r.column == column}
        assert statuses <= {Status.passed}, (column, statuses)


def test_sentinel_is_missing_not_out_of_range(result: AuditResult) -> None:
    assert _status(result, "validation.range", "months_since_last_default") is Status.passed


def test_hive_partition_column_is_not_unexpected(result: AuditResult) -> None:
    assert not [r for r in result.results if r.check == "validation.schema" and r.status is not Status.passed]


def test_sample_audit_fails_the_gate(result: AuditResult) -> None:
    assert result.verdict.value == "fail" and int(result.exit_code) == 1
