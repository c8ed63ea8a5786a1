"""Small display helpers shared by the formatters (formatting only, no statistics)."""

from __future__ import annotations

from mlaudit.results import CheckResult


def display_value(r: CheckResult) -> str:
    """A result's statistic for people: shares as percentages, other numbers to 4 digits."""
    if r.value is None:
        return ""
    if r.statistic and r.statistic.endswith("share"):
        return f"{r.value:.2%}" if r.value >= 0.0001 or r.value == 0 else f"{r.value:.4%}"
    return f"{r.value:,.4g}"


def examples_text(r: CheckResult, limit: int = 3) -> str:
    """'e.g. A1, A2, A3' or ''."""
    return f"e.g. {', '.join(str(e) for e in r.examples[:limit])}" if r.examples else ""
