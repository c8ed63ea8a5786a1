"""The kill switch: conditions under which the model must be taken out of the loop, judged on the other
checks' results once they are all in.

Each kill_switch.when condition names a check (id, family or failure mode) and optionally a column, a
feature importance, the status a result must reach and bounds on its statistic. A condition holds when
at least one result matches it; then the audit's verdict is `disable` (exit code 3) and every report
leads with the contract's fallback, unless the condition is warn_only (a warning, no disabling).
"""

from __future__ import annotations

from collections.abc import Iterable

from mlaudit.checks import conditions
from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, result
from mlaudit.contract.model import KillCondition
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

KILL_SWITCH = CheckSpec(
    "governance.kill_switch", FailureMode.lifecycle_ownership, OwnerArea.governance,
    "A kill_switch.when condition holds (a result of the named check at the named status, column, importance "
    "or statistic bounds): the verdict is disable (exit code 3) and reports lead with kill_switch.fallback; "
    "warn_only conditions warn instead.",
    statistic="matching_results", fail=0, per_feature=False, levels_from="kill_switch.when",
)
SPECS = (KILL_SWITCH,)


def plan(ctx: Context) -> list[Planned]:
    """Nothing to compute: `judge` reads the other checks' results (api.audit calls it last)."""
    return []


def _matches(ctx: Context, c: KillCondition, r: CheckResult) -> bool:
    return r.check != KILL_SWITCH.id and conditions.meets(ctx, c, r.check, r.column, r.status.value, r.value,
                                                           r.details.get("current"), status_with_bounds=True)


def judge(ctx: Context, results: Iterable[CheckResult]) -> list[CheckResult]:
    """One result per condition: fail (the model must be disabled) or warn (warn_only) when it holds."""
    ks = ctx.contract.kill_switch
    if ks is None or not ctx.levels(KILL_SWITCH).enabled:
        return []
    from mlaudit.checks.registry import REGISTRY

    found = list(results)
    out = []
    for c in ks.when:
        name = conditions.describe(c)
        levels = Levels(warn=None, fail=0, severity=KILL_SWITCH.severity)
        judged = [r for r in found if r.check != KILL_SWITCH.id and REGISTRY.matches(r.check, c.check)
                  and r.status is not Status.skipped]
        if not judged:  # the condition's check did not run, or could not judge anything: not "does not hold"
            out.append(result(KILL_SWITCH, ctx, Status.skipped, f"'{name}' cannot be judged: no {c.check} result was "
                              "evaluated in this run (skipped, not selected, or not configured)", column=name,
                              disable=False))
            continue
        hits = [r for r in found if _matches(ctx, c, r)]
        if not hits:
            out.append(result(KILL_SWITCH, ctx, Status.passed, f"'{name}' does not hold", column=name, value=0.0,
                              levels=levels, disable=False))
            continue
        shown = "; ".join(f"{r.check}" + (f" {r.column}" if r.column else "") + f" {r.status.value}"
                          for r in hits[:3]) + (f" and {len(hits) - 3} more" if len(hits) > 3 else "")
        if c.warn_only:
            msg = f"'{name}' holds ({shown}); warn_only: the model stays in the loop"
            out.append(result(KILL_SWITCH, ctx, Status.warn, msg, column=name, value=float(len(hits)), levels=levels,
                              disable=False, fallback=ks.fallback, matched=[r.check for r in hits]))
        else:
            msg = f"'{name}' holds ({shown}): take the model out of the loop; fallback: {ks.fallback}"
            out.append(result(KILL_SWITCH, ctx, Status.fail, msg, column=name, value=float(len(hits)), levels=levels,
                              disable=True, fallback=ks.fallback, matched=[r.check for r in hits]))
    return out


PLANNERS = {KILL_SWITCH.id: plan}
