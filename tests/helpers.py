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


def one(result: AuditResult, check: str, column: str | None = None) -> CheckResult:
    found = [r for r in result.results if r.check == check and r.column == column]
    assert len(found) == 1, [(r.check, r.column, r.status) for r in result.results]
    return found[0]


def share_of(flags: Sequence[bool]) -> float:
    """Independent share: numpy mean of a boolean vector."""
    return float(np.mean(np.asarray(flags, dtype=bool)))
