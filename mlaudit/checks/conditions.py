"""Conditions on check results, shared by the kill switch (kill_switch.when) and the retraining evidence
(retraining.evidence): which results a condition names, and whether one of them meets it."""

from __future__ import annotations

from typing import Any

from mlaudit.checks.base import Context
from mlaudit.contract.model import EvidenceCondition, Importance, KillCondition

Condition = KillCondition | EvidenceCondition
_RANK = {"warn": 1, "fail": 2, "error": 2}
_KEYS = ("column", "importance", "status", "value_above", "value_below", "current_above", "current_below")


def describe(c: Condition) -> str:
    """A condition's name, or one written from its keys."""
    if c.name:
        return c.name
    parts = [c.check]
    for key in _KEYS:
        value = getattr(c, key, None)
        if isinstance(value, Importance):
            value = value.value
        if value is not None:
            parts.append(f"{key}={value}")
    return " ".join(str(p) for p in parts)


def importance(ctx: Context, column: str | None) -> Importance | None:
    """The declared importance of the feature a result is about (None when it is not a feature or has none)."""
    feature = ctx.contract.features.get(column or "")
    return feature.importance if feature is not None and isinstance(feature.importance, Importance) else None


def meets(ctx: Context, c: Condition, check: str, column: str | None, status: str, value: Any,
          current: Any = None, *, status_with_bounds: bool) -> bool:
    """Whether one result (check id, column, status string, statistic, measured value) meets the condition: its
    check, column and importance, every bound given, and the status it must reach; `status_with_bounds` False
    judges a condition with bounds on the bounds alone (any evaluated result)."""
    from mlaudit.checks.registry import REGISTRY

    if check not in REGISTRY.ids() or not REGISTRY.matches(check, c.check):
        return False
    bounds = {k: getattr(c, k, None) for k in ("value_above", "value_below", "current_above", "current_below")}
    bounded = any(b is not None for b in bounds.values())
    if status_with_bounds or not bounded:
        if _RANK.get(status, 0) < (2 if c.status == "fail" else 1):
            return False
    elif status == "skipped":
        return False
    if c.column is not None and column != c.column:
        return False
    if c.importance is not None and importance(ctx, column) is not c.importance:
        return False
    for key, bound in bounds.items():
        seen = value if key.startswith("value") else current
        if bound is None:
            continue
        if not isinstance(seen, int | float) or not (seen > bound if key.endswith("above") else seen < bound):
            return False
    return True
