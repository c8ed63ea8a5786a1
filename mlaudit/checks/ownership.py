"""Ownership and lifecycle: every finding must land on someone's desk, and a model has a shelf life.

- governance.owners: each owner area (data_quality, model_behavior, decision_impact, governance) the
  contract leaves without a team is a finding: checks of that area report to nobody.
- governance.model_age: days since model.trained_at against model.max_age_days.
- governance.lifecycle: the contract version and, with --audit-log, the time since the last audit of
  this contract that passed.
"""

from __future__ import annotations

import datetime as dt

from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, result, skipped
from mlaudit.contract.model import Severity
from mlaudit.results import FailureMode, OwnerArea, Status

LO = FailureMode.lifecycle_ownership
OWNERS = CheckSpec(
    "governance.owners", LO, OwnerArea.governance,
    "An owner area (data_quality, model_behavior, decision_impact, governance) has no team in the contract's "
    "owners: findings of that area reach nobody.",
    statistic="unowned", severity=Severity.warning, fail=0, per_feature=False,
)
MODEL_AGE = CheckSpec(
    "governance.model_age", LO, OwnerArea.governance,
    "Days since model.trained_at against model.max_age_days (fail above it, warn above 90% of it): the model is "
    "due for retraining or re-approval.",
    statistic="age_days", per_feature=False, levels_from="model.max_age_days",
)
LIFECYCLE = CheckSpec(
    "governance.lifecycle", LO, OwnerArea.governance,
    "The contract version and, with --audit-log, the days since the last audit of this contract that passed "
    "(reported, not judged).",
    statistic="days_since_last_pass", per_feature=False,
)
SPECS = (OWNERS, MODEL_AGE, LIFECYCLE)


def plan_owners(ctx: Context) -> list[Planned]:
    levels = ctx.levels(OWNERS)
    if not levels.enabled:
        return []
    out = []
    for area in OwnerArea:
        owner = getattr(ctx.contract.owners, area.value)
        if owner is None:
            msg = (f"nobody owns {area.value} findings: set owners.{area.value} (team and contact) in the contract so "
                   "that they reach someone")
            out.append(Planned(column=area.value, ready=result(OWNERS, ctx, levels.grade(1.0), msg, column=area.value,
                                                               value=1.0, levels=levels, owner_area=area)))
        else:
            msg = f"{area.value} findings go to {owner.team}" + (f" ({owner.contact})" if owner.contact else "")
            out.append(Planned(column=area.value, ready=result(OWNERS, ctx, Status.passed, msg, column=area.value,
                                                               value=0.0, levels=levels, owner_area=area)))
    return out


def plan_model_age(ctx: Context) -> list[Planned]:
    spec_levels = ctx.levels(MODEL_AGE)
    if not spec_levels.enabled:
        return []
    model = ctx.contract.model
    if model.trained_at is None or model.max_age_days is None:
        missing = " and ".join(k for k, v in (("model.trained_at", model.trained_at),
                                              ("model.max_age_days", model.max_age_days)) if v is None)
        return [skipped(MODEL_AGE, ctx, f"needs {missing} in the contract")]
    today = ctx.as_of.astimezone(dt.timezone.utc).date() if ctx.as_of.tzinfo else ctx.as_of.date()
    age = (today - model.trained_at).days
    limit = model.max_age_days
    levels = Levels(warn=0.9 * limit, fail=float(limit), severity=spec_levels.severity)
    due = model.trained_at + dt.timedelta(days=limit)
    msg = (f"model {model.name} {model.version or ''}".rstrip() + f" was trained {age:,} days ago "
           f"({model.trained_at.isoformat()}); retrain or re-approve by {due.isoformat()} "
           f"(model.max_age_days {limit:,}; warn above {0.9 * limit:g} days)")
    return [Planned(column=None, ready=result(MODEL_AGE, ctx, levels.grade(float(age)), msg, value=float(age),
                                              levels=levels, trained_at=model.trained_at.isoformat(),
                                              due=due.isoformat()))]


def plan_lifecycle(ctx: Context) -> list[Planned]:
    if not ctx.levels(LIFECYCLE).enabled:
        return []
    model = ctx.contract.model
    version = f"model {model.name} {model.version or '(no model.version)'}, contract {ctx.contract_sha256[:12]}"
    last = ctx.last_pass
    if last is None:
        tail = ("no earlier passing audit of this contract in the audit log" if ctx.audit_log else
                "pass --audit-log to learn when this contract last passed")
        return [Planned(column=None, ready=result(LIFECYCLE, ctx, Status.passed, f"{version}; {tail}"))]
    when = dt.datetime.fromisoformat(str(last.get("time")).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    days = (ctx.as_of - when).total_seconds() / 86400
    msg = f"{version}; last passing audit of this contract {days:,.1f} days ago ({when.isoformat()})"
    return [Planned(column=None, ready=result(LIFECYCLE, ctx, Status.passed, msg, value=days,
                                              last_pass=when.isoformat()))]


PLANNERS = {OWNERS.id: plan_owners, MODEL_AGE.id: plan_model_age, LIFECYCLE.id: plan_lifecycle}
