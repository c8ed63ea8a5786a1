"""The metric-blindness check: the headline metric the team reports looks healthy while what it averages
away got worse.

It reads the other performance checks' results: it fires when the headline (performance.realised) is
within its tolerance while cost per decision (performance.cost), a declared slice (performance.slices),
calibration (performance.calibration) or a rare class's recall (performance.rare_classes) is a finding,
and its message says what the headline hid. It is as severe as the worst of those findings (a warning
when they only warn). When the headline itself shows the degradation, the team is not blind to it and
this check passes.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlaudit.checks.base import CheckSpec, Context, Levels, result
from mlaudit.checks.outcome_data import Setup
from mlaudit.checks.perfbase import COST, MB, fmt
from mlaudit.results import CheckResult, OwnerArea, Status

BLINDNESS = CheckSpec(
    "performance.blindness", MB, OwnerArea.decision_impact,
    "The headline metric (outcomes.headline) is within its tolerance while cost per decision, a declared slice, "
    "calibration or a rare class's recall got worse beyond theirs: says what the headline hid.",
    statistic="hidden_degradations", fail=0, per_feature=False,
)
BAD = (Status.warn, Status.fail)


def _finite(x: float | None) -> float:
    """A number to rank by: missing or NaN ranks lowest."""
    return x if x is not None and x == x else float("-inf")


def judge(ctx: Context, s: Setup, found: Mapping[str, list[CheckResult]]) -> CheckResult:
    levels = Levels(warn=None, fail=0, severity=BLINDNESS.severity)
    head = next((r for r in found.get("performance.realised", []) if r.column == s.headline), None)
    if head is None or head.status is Status.skipped:
        why = head.message if head is not None else "performance.realised is turned off"
        return result(BLINDNESS, ctx, Status.skipped, f"the headline {s.headline} cannot be compared: {why}")
    if head.status in BAD:
        return result(BLINDNESS, ctx, Status.passed, f"the headline {s.headline} shows the degradation itself "
                      f"(worse by {fmt(head.value or 0.0)}); nothing hidden", value=0.0, levels=levels)
    hidden: list[str] = []
    kinds: list[str] = []
    for r in found.get(COST.id, []):
        if r.status in BAD:
            hidden.append(f"cost per decision {fmt(r.details.get('reference', float('nan')))} -> "
                          f"{fmt(r.details.get('current', float('nan')))} (+{(r.value or 0.0):.0%})")
            kinds.append("cost")
    bad_slices = [r for r in found.get("performance.slices", []) if r.status in BAD]
    if bad_slices:
        worst = max(bad_slices, key=lambda r: (r.status is Status.fail, _finite(r.details.get("cost_change")),
                                                _finite(r.value)))
        d = worst.details
        cost = d.get("cost_per_decision")
        text = f"slice {worst.column} ({d.get('rows', 0):,} rows): {s.headline} {fmt(d.get('headline', float('nan')))}"
        if cost is not None and cost == cost:
            text += (f", cost per decision {fmt(d.get('reference_cost_per_decision', float('nan')))} -> {fmt(cost)} "
                     f"(whole population {fmt(d.get('whole_cost_per_decision', float('nan')))})")
        if len(bad_slices) > 1:
            text += f", and {len(bad_slices) - 1} more slice(s)"
        hidden.append(text)
        kinds.append("slice")
    for r in found.get("performance.calibration", []):
        if r.status in BAD:
            before = fmt(r.details.get("reference", float("nan")))
            hidden.append(f"calibration error (ECE) {before} -> {fmt(r.value or 0.0)}")
            kinds.append("calibration")
    for r in found.get("performance.rare_classes", []):
        if r.status in BAD:
            before = fmt(r.details.get("reference_recall", float("nan")))
            after = fmt(r.details.get("recall", float("nan")))
            hidden.append(f"recall of the rare class {r.column} {before} -> {after}")
            kinds.append("rare_class")
    current = head.details.get("current", float("nan"))
    reference = head.details.get("reference", float("nan"))
    tol = head.threshold or 0.0
    within = "within its tolerance" if (head.value or 0.0) <= tol else "not significantly beyond its tolerance"
    shown = f"{s.headline} {fmt(reference)} -> {fmt(current)}, {within} {fmt(tol)}"
    if not hidden:
        return result(BLINDNESS, ctx, Status.passed, f"{shown}; cost, declared slices, calibration and rare classes "
                      "show no worsening it hides", value=0.0, levels=levels)
    # as severe as the worst of what it hid: warn-level worsening alone makes a warning
    sources = (COST.id, "performance.slices", "performance.calibration", "performance.rare_classes")
    severity = Status.fail if any(r.status is Status.fail for k in sources for r in found.get(k, [])) else Status.warn
    return result(BLINDNESS, ctx, severity, f"{shown}, hid: " + "; ".join(hidden), value=float(len(hidden)),
                  levels=levels, hidden=kinds, headline=s.headline)
