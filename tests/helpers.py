"""Assertion helpers shared by the check tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from mlaudit.results import AuditResult, CheckResult, OwnerArea, Status


def assert_finding(
    r: CheckResult,
    *,
    status: Status,
    value: float,
    count: int | None,
    total: int | None,
    threshold: float | None,
    warn: float | None,
    examples: tuple[Any, ...],
    area: OwnerArea = OwnerArea.data_quality,
    in_message: Sequence[str] = (),
) -> None:
    assert r.status is status, r.message
    assert r.value == pytest.approx(value, abs=1e-12, rel=0)
    assert r.count == count
    assert r.total == total
    assert r.threshold == threshold
    assert r.warn_threshold == warn
    assert r.examples == examples
    assert r.owner.area is area
    for text in in_message:
        assert text in r.message, (text, r.message)


def of(result: AuditResult, check: str) -> list[CheckResult]:
    """Every result of one check."""
    return [r for r in result.results if r.check == check]


def one(result: AuditResult, check: str, column: str | None = None) -> CheckResult:
    """The one result of `check` on `column` (None: the dataset-level result)."""
    found = [r for r in of(result, check) if r.column == column]
    assert len(found) == 1, [(r.check, r.column, r.status, r.message) for r in result.results]
    return found[0]


def one_line_error(res: Any, *needles: str) -> None:
    """A CLI run that could not audit: exit 2, one 'mlaudit: error:' line on stderr holding every needle."""
    assert res.exit_code == 2, res.output
    err = res.stderr
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlaudit: error:"), err
    for needle in needles:
        assert needle in err, err


def share_of(flags: Sequence[bool]) -> float:
    """Independent share: numpy mean of a boolean vector."""
    return float(np.mean(np.asarray(flags, dtype=bool)))
