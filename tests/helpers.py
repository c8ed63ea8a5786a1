"""Assertion helpers shared by the check tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from mlaudit.results import CheckResult, OwnerArea, Status


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
