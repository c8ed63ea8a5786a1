"""Monitoring over time, from the run history (--history): persistent problems, slow trends, and the
evidence that calls for retraining. Judged after every other check, on this run's results and the
stored ones (see mlaudit/history.py).

- monitoring.persistent: a check (on one column) that warned or failed in each of the last
  history.persistent_runs runs, this one included: a problem that stays, apart from one-off blips.
- monitoring.trend: a statistic still below its fail level that rose steadily over the last
  history.trend_runs runs (Kendall's tau, one-sided, Benjamini-Hochberg across everything tested at
  drift.alpha) and, at its fitted rate, crosses the fail level within history.trend_horizon runs.
- monitoring.retraining: each retraining.evidence condition, held for its consecutive_runs: retraining
  recommended (a warning) and since when; a failure when it has held more than
  retraining.max_days_with_evidence days without a new model.version. A new model.version while no
  evidence held is reported too (a retrain the evidence did not call for).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import polars as pl

from mlaudit.checks import conditions
from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, result
from mlaudit.contract.model import EvidenceCondition, Severity
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats.twosample import benjamini_hochberg

MO = FailureMode.monitoring
PERSISTENT = CheckSpec(
    "monitoring.persistent", MO, OwnerArea.model_behavior,
    "A check that warned or failed on the same column in each of the last history.persistent_runs runs (this one "
    "included; needs --history): a problem that stays, not a blip.",
    statistic="runs_in_a_row", severity=Severity.warning, per_feature=False, levels_from="history.persistent_runs",
)
TREND = CheckSpec(
    "monitoring.trend", MO, OwnerArea.model_behavior,
    "A statistic below its fail level that rose steadily over the last history.trend_runs runs (Kendall's tau, "
    "corrected across statistics) and would cross the fail level within history.trend_horizon runs at its fitted "
    "rate (needs --history).",
    statistic="runs_to_fail_level", severity=Severity.warning, per_feature=False, levels_from="history.trend_horizon",
)
RETRAINING = CheckSpec(
    "monitoring.retraining", MO, OwnerArea.model_behavior,
    "Retraining recommended: a retraining.evidence condition holds (for its consecutive_runs), with since when; "
    "fails when it has held longer than retraining.max_days_with_evidence without a new model.version; also a new "
    "model.version that no evidence called for.",
    statistic="days_with_evidence", per_feature=False, levels_from="retraining.max_days_with_evidence",
)
SPECS = (PERSISTENT, TREND, RETRAINING)
_BAD = ("warn", "fail", "error")
#: Fewest runs a trend is fitted on.
MIN_TREND_RUNS = 4


def plan(ctx: Context) -> list[Planned]:
    """Nothing to compute: `judge` reads this run's results and the history (api.audit calls it last)."""
    return []


def _key(check: str, column: str | None) -> str:
    return f"{check} {column}" if column else check


def _previous(history: pl.DataFrame) -> list[dict[str, Any]]:
    """Earlier runs, newest first: run id, as_of, model version and {(check, column): (status, value)}."""
    out = []
    for run_id, rows in history.group_by("run_id", maintain_order=True):
        first = rows.row(0, named=True)
        table = {(r["check"], r["column"]): (r["status"], r["value"], r["threshold"], r["current"])
                 for r in rows.select("check", "column", "status", "value", "threshold", "current")
                 .iter_rows(named=True)}
        out.append({"run_id": run_id, "as_of": first["as_of"], "model_version": first["model_version"],
                    "results": table})
    return sorted(out, key=lambda r: r["as_of"], reverse=True)


def _as_of(ctx: Context) -> dt.datetime:
    return ctx.as_of.astimezone(dt.timezone.utc)


def _persistent(ctx: Context, now: list[CheckResult], previous: list[dict[str, Any]]) -> list[CheckResult]:
    need = ctx.contract.history.persistent_runs
    levels = Levels(warn=need - 1, fail=None, severity=Severity.warning)
    out = []
    for r in now:
        if r.status.value not in _BAD or r.failure_mode is MO:
            continue
        streak, since = 1, _as_of(ctx)
        for run in previous:
            status = run["results"].get((r.check, r.column), (None,))[0]
            if status not in _BAD:
                break
            streak, since = streak + 1, run["as_of"]
        if streak >= need:
            out.append(result(PERSISTENT, ctx, Status.warn, f"{_key(r.check, r.column)} has warned or failed "
                              f"{streak} runs in a row, since {since:%Y-%m-%d %H:%M} UTC: a persistent problem, not a "
                              f"blip ({r.status.value} now: {r.message})", column=_key(r.check, r.column),
                              value=float(streak), levels=levels, since=since.isoformat(), runs=streak,
                              owner_area=r.owner.area))
    if not out:
        out.append(result(PERSISTENT, ctx, Status.passed, f"no check has warned or failed {need} runs in a row",
                          value=0.0, levels=levels))
    return out


def _trend(ctx: Context, now: list[CheckResult], previous: list[dict[str, Any]]) -> list[CheckResult]:
    from scipy import stats

    settings = ctx.contract.history
    tested = []
    for r in now:
        if r.failure_mode is MO or r.status.value == "fail" or r.value is None or r.threshold is None:
            continue
        if not (math.isfinite(r.value) and math.isfinite(r.threshold)) or r.value >= r.threshold:
            continue
        values = [r.value]
        for run in previous[: settings.trend_runs - 1]:
            found = run["results"].get((r.check, r.column))
            if found is None or found[1] is None or not math.isfinite(found[1]):
                break
            values.append(found[1])
        if len(values) < MIN_TREND_RUNS:
            continue
        y = np.array(values[::-1], dtype=np.float64)  # oldest first
        x = np.arange(y.size, dtype=np.float64)
        if np.ptp(y) == 0:
            continue
        tau = stats.kendalltau(x, y, alternative="greater")
        slope = float(np.polyfit(x, y, 1)[0])
        tested.append((r, y, slope, float(tau.pvalue)))
    if not tested:
        return [result(TREND, ctx, Status.passed, f"no statistic has {MIN_TREND_RUNS} runs of history below its fail "
                       "level to fit a trend on" if not previous else "no statistic moves steadily towards its "
                       "fail level")]
    adjusted = benjamini_hochberg([p for *_, p in tested])
    levels = Levels(warn=None, fail=None, severity=Severity.warning)
    out = []
    for (r, y, slope, _), p_adj in zip(tested, adjusted, strict=True):
        if slope <= 0 or p_adj >= ctx.contract.drift.alpha:
            continue
        assert r.threshold is not None and r.value is not None
        runs_left = (r.threshold - r.value) / slope
        if runs_left > settings.trend_horizon:
            continue
        out.append(result(TREND, ctx, Status.warn, f"{_key(r.check, r.column)}: {r.statistic or 'statistic'} rose "
                          f"steadily from {y[0]:.4g} to {y[-1]:.4g} over {y.size} runs (Kendall p={p_adj:.2g} after "
                          f"correction); at this rate it crosses its fail level {r.threshold:g} in about "
                          f"{max(runs_left, 0):.1f} runs", column=_key(r.check, r.column), value=float(runs_left),
                          levels=levels, series=[float(v) for v in y], slope=slope, p_value_adjusted=float(p_adj),
                          owner_area=r.owner.area))
    if not out:
        out.append(result(TREND, ctx, Status.passed, f"{len(tested)} statistics with history; none moves steadily "
                          f"towards its fail level within {settings.trend_horizon} runs"))
    return out


def _holds(ctx: Context, c: EvidenceCondition, rows: Iterable[tuple[str, str | None, str, Any, Any]]) -> list[str]:
    """Keys of the (check, column, status, value, current) rows that meet the evidence condition: its status when no
    bound is given, else every bound (on results that were evaluated)."""
    return [_key(check, column) for check, column, status, value, current in rows
            if not check.startswith("monitoring.")
            and conditions.meets(ctx, c, check, column, status, value, current, status_with_bounds=False)]


def _retraining(ctx: Context, now: list[CheckResult], previous: list[dict[str, Any]],
                has_history: bool) -> list[CheckResult]:
    rt = ctx.contract.retraining
    if rt is None:
        return [result(RETRAINING, ctx, Status.skipped, "no retraining section in the contract: no evidence is "
                       "declared to call for retraining")]
    version = ctx.contract.model.version
    levels = Levels(warn=None, fail=float(rt.max_days_with_evidence), severity=Severity.error)
    current_rows = [(r.check, r.column, r.status.value, r.value, r.details.get("current")) for r in now]
    out = []
    held_before = False
    for c in rt.evidence:
        name = conditions.describe(c)
        hits = _holds(ctx, c, current_rows)
        if previous and _holds(ctx, c, [(k[0], k[1], s, v, cur) for k, (s, v, _, cur) in
                                        previous[0]["results"].items()]):
            held_before = True
        if c.consecutive_runs > 1 and not has_history:
            out.append(result(RETRAINING, ctx, Status.skipped, f"'{name}' needs {c.consecutive_runs} runs in a row: "
                              "pass --history", column=name))
            continue
        if not hits:
            out.append(result(RETRAINING, ctx, Status.passed, f"'{name}' does not hold", column=name, value=0.0,
                              levels=levels))
            continue
        # since: the streak's first run; version_since: its first run under the current model.version (a new
        # version restarts the clock of max_days_with_evidence)
        streak, since, version_since, same_version = 1, _as_of(ctx), _as_of(ctx), True
        for run in previous:
            rows = [(k[0], k[1], s, v, cur) for k, (s, v, _, cur) in run["results"].items()]
            if not _holds(ctx, c, rows):
                break
            streak, since = streak + 1, run["as_of"]
            same_version = same_version and run["model_version"] == version
            if same_version:
                version_since = run["as_of"]
        if streak < c.consecutive_runs:
            out.append(result(RETRAINING, ctx, Status.passed, f"'{name}' holds ({', '.join(hits[:3])}) but only "
                              f"{streak} of the {c.consecutive_runs} runs in a row it needs", column=name,
                              value=0.0, levels=levels))
            continue
        days = (_as_of(ctx) - since).total_seconds() / 86400
        unanswered = (_as_of(ctx) - version_since).total_seconds() / 86400
        overdue = unanswered > rt.max_days_with_evidence
        status = Status.fail if overdue else Status.warn
        tail = (f"; it has held {unanswered:.1f} days without a new model.version (still {version}; limit "
                f"{rt.max_days_with_evidence})" if overdue else "")
        out.append(result(RETRAINING, ctx, status, f"retraining recommended: '{name}' holds ({', '.join(hits[:3])}"
                          f"{' and more' if len(hits) > 3 else ''}) for {streak} run(s), since "
                          f"{since:%Y-%m-%d %H:%M} UTC{tail}", column=name, value=days, levels=levels,
                          since=since.isoformat(), runs=streak, matched=hits))
    if previous and previous[0]["model_version"] != version and not held_before:
        out.append(result(RETRAINING, ctx, Status.warn, f"model.version changed from {previous[0]['model_version']} "
                          f"to {version} while no retraining evidence held in the previous run: a retrain the "
                          "evidence did not call for (or an unrecorded reason)", column="(model version)",
                          previous_version=previous[0]["model_version"], version=version))
    return out


def judge(ctx: Context, results: Iterable[CheckResult], wanted: Mapping[str, bool]) -> list[CheckResult]:
    """The monitoring results for this run (`wanted`: check id -> selected and enabled)."""
    now = [r for r in results if r.failure_mode is not MO]
    history = ctx.history
    previous = _previous(history) if history is not None and history.height else []
    out: list[CheckResult] = []
    for spec, fn in ((PERSISTENT, _persistent), (TREND, _trend)):
        if not wanted.get(spec.id):
            continue
        if history is None:
            out.append(result(spec, ctx, Status.skipped, "needs the run history: pass --history FOLDER"))
        else:
            out += fn(ctx, now, previous)
    if wanted.get(RETRAINING.id):
        out += _retraining(ctx, now, previous, history is not None)
    return out


#: How many runs of a statistic's recent series reports show (this one included).
RECENT_RUNS = 12


def with_recent(history: pl.DataFrame, results: list[CheckResult]) -> list[CheckResult]:
    """Each result with its statistic over the latest runs (oldest first, this run last) in details['recent'],
    for the sparklines of the reports."""
    earlier: dict[tuple[str, str | None], list[float | None]] = {}
    for row in history.select("check", "column", "value").iter_rows():
        earlier.setdefault((row[0], row[1]), []).append(row[2])
    out = []
    for r in results:
        past = earlier.get((r.check, r.column))
        if not past or r.failure_mode is MO:
            out.append(r)
            continue
        recent = [*past[-(RECENT_RUNS - 1):], r.value]
        out.append(dataclasses.replace(r, details={**r.details, "recent": recent}))
    return out


PLANNERS = {spec.id: plan for spec in SPECS}
