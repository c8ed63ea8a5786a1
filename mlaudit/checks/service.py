"""Service health from the production log (contract section `service:`): a model that answers slowly,
fails to answer, hands over to its fallback or stops answering hurts decisions as surely as a drifted one.

- service.latency: p50, p95 and p99 of service.latency (exact, linear interpolation) against
  service.latency_objective; the statistic is the worst percentile / objective ratio, failing above 1.
- service.errors: share of predictions whose service.error is true (or non-zero), failing above
  service.max_error_share; missing values are not errors but are counted.
- service.fallback: the same for service.fallback against service.max_fallback_share.
- service.availability: on columns.event_time, two results. `gaps`: the longest stretch between
  consecutive predictions, failing above service.max_gap. `volume`: predictions per calendar day (in the
  event time's own time zone); a whole day below (1 - service.volume_drop) x the median of its weekday
  (of all whole days when the snapshot has fewer than 3 of that weekday) is a drop. Days with no
  prediction at all count as 0; the first and last days are not judged when the snapshot starts or
  ends mid-day.

Only the current (production) snapshot is read. Every statistic is reduced in polars to a few numbers or
short lists (percentiles, counts, the longest gaps, one count per day), so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, limit_text, pct, result, skipped
from mlaudit.contract.model import ServiceSettings, parse_duration
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

MO = FailureMode.monitoring
MB = OwnerArea.model_behavior
LATENCY = CheckSpec(
    "service.latency", MO, MB,
    "p50, p95 and p99 of the service.latency column (exact, linear interpolation) against "
    "service.latency_objective: the worst percentile / objective ratio, failing above 1 (slow answers time out "
    "or are replaced upstream).",
    statistic="worst_latency_over_objective", per_feature=False, levels_from="service.latency_objective",
)
ERRORS = CheckSpec(
    "service.errors", MO, MB,
    "Share of predictions whose service.error column is true (or non-zero), failing above "
    "service.max_error_share: requests the model failed to answer. Missing values are not errors but are counted.",
    statistic="error_share", per_feature=False, levels_from="service.max_error_share",
)
FALLBACK = CheckSpec(
    "service.fallback", MO, MB,
    "Share of predictions whose service.fallback column is true (or non-zero), failing above "
    "service.max_fallback_share: decisions taken by the fallback, not by the audited model.",
    statistic="fallback_share", per_feature=False, levels_from="service.max_fallback_share",
)
AVAILABILITY = CheckSpec(
    "service.availability", MO, MB,
    "On columns.event_time: the longest stretch without a prediction, failing above service.max_gap (result "
    "'gaps', in hours); and whole calendar days whose volume is below (1 - service.volume_drop) x the median of "
    "the same weekday, failing on any (result 'volume', dropped days).",
    statistic="longest_gap_hours", per_feature=False, levels_from="service.max_gap",
)
SPECS = (LATENCY, ERRORS, FALLBACK, AVAILABILITY)

NO_SECTION = "no service section in the contract: nothing says which columns hold latency, errors or fallbacks"
#: Percentiles judged, by objective key.
PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
#: Longest gaps kept in the details (the first is the longest).
TOP_GAPS = 5
#: Whole days of one weekday needed for a weekday median; with fewer, the median of all whole days.
MIN_WEEKDAY_DAYS = 3
#: Whole days needed to judge volume at all.
MIN_DAYS = 3
#: An edge day is whole when its first (last) prediction is this close to its midnight (or max_gap, if shorter).
EDGE_TOLERANCE = dt.timedelta(hours=1)
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


def _num(x: float) -> str:
    """A latency for messages: whole units when large, three significant digits when small."""
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def duration_text(delta: dt.timedelta) -> str:
    """'1d 5h', '5h 30m', '45m', '12s': the largest two units that are not zero."""
    seconds = delta.total_seconds()
    if seconds < 1:
        return f"{seconds:g}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount = int(seconds // size)
        if amount:
            parts.append(f"{amount}{unit}")
        seconds -= amount * size
    return " ".join(parts[:2])


def _moment(t: dt.datetime) -> str:
    """A timestamp for messages, to the second, with its offset when it has a time zone."""
    return t.isoformat(sep=" ", timespec="seconds")


# --------------------------------------------------------------------------- latency


def _latency_values(name: str, dtype: pl.DataType) -> tuple[pl.Expr | None, str]:
    """(latencies as floats, unit note), or None when the column is not a number or a duration.

    A duration column is read in milliseconds, so the objectives are milliseconds too."""
    if isinstance(dtype, pl.Duration):
        return pl.col(name).dt.total_microseconds().cast(pl.Float64) / 1000.0, " ms"
    if dtype.is_numeric():
        x = pl.col(name).cast(pl.Float64)
        return pl.when(x.is_nan()).then(None).otherwise(x), ""
    return None, ""


def plan_latency(ctx: Context) -> list[Planned]:
    """Exact percentiles computed in polars (three numbers come back); judged against whichever objectives exist."""
    spec_levels = ctx.levels(LATENCY)
    if not spec_levels.enabled:
        return []
    svc = ctx.contract.service
    if svc is None:
        return [skipped(LATENCY, ctx, NO_SECTION)]
    name = svc.latency
    if not name:
        return [skipped(LATENCY, ctx, "no service.latency column declared")]
    if name not in ctx.current_schema:
        return [skipped(LATENCY, ctx, f"needs the latency column '{name}' in the current snapshot", column=name)]
    values, unit = _latency_values(name, ctx.current_schema[name])
    if values is None:
        return [skipped(LATENCY, ctx, f"latency column '{name}' is {ctx.current_schema[name]}, not a number or a "
                        "duration", column=name)]
    requests = {key: values.quantile(q, interpolation="linear") for key, q in PERCENTILES.items()}
    requests |= {"valid": values.is_not_null().sum(), "rows": pl.len()}
    levels = Levels(warn=None, fail=1.0, severity=spec_levels.severity)

    def finish(v: Mapping[str, Any]) -> CheckResult:
        rows, valid = int(v["rows"]), int(v["valid"])
        if valid == 0:
            why = "the production snapshot has no rows" if rows == 0 else f"no row has a latency in '{name}'"
            return result(LATENCY, ctx, Status.skipped, why, column=name, count=0, total=rows)
        return _judge_latency(ctx, svc, name, unit, v, levels, valid, rows)

    return [Planned(column=name, requests=requests, finish=finish)]


def _judge_latency(ctx: Context, svc: ServiceSettings, name: str, unit: str, v: Mapping[str, Any], levels: Levels,
                   valid: int, rows: int) -> CheckResult:
    observed = {key: float(v[key]) for key in PERCENTILES}
    objectives = {key: getattr(svc.latency_objective, key) for key in PERCENTILES} \
        if svc.latency_objective is not None else {}
    declared = {key: float(o) for key, o in objectives.items() if o is not None}
    ratios = {key: observed[key] / limit for key, limit in declared.items()}
    shown = []
    for key, x in observed.items():
        if key in declared:
            shown.append(f"{key} {_num(x)}{unit} (objective {_num(declared[key])}{unit})")
        else:
            shown.append(f"{key} {_num(x)}{unit} (no objective)")
    missing = rows - valid
    tail = f"; {missing:,} rows without a latency are not counted" if missing else ""
    body = f"latency of {valid:,} predictions: {', '.join(shown)}{tail}"
    details: dict[str, Any] = {"percentiles": observed, "objectives": declared, "ratios": ratios,
                               "missing": missing, "unit": unit.strip() or None}
    if not ratios:
        return result(LATENCY, ctx, Status.skipped, f"no service.latency_objective declared, nothing to judge; "
                      f"{body}", column=name, count=valid, total=rows, **details)
    worst = max(ratios, key=lambda k: ratios[k])
    over = [k for k, r in ratios.items() if r > 1.0]
    lead = f"{', '.join(over)} above objective ({worst} {ratios[worst]:.2f}x); " if over else \
        f"within objectives (closest: {worst} at {ratios[worst]:.2f}x); "
    return result(LATENCY, ctx, levels.grade(ratios[worst]), lead + body, column=name, value=ratios[worst],
                  levels=levels, count=valid, total=rows, **details)


# --------------------------------------------------------------------------- errors and fallbacks


def _flag(name: str, dtype: pl.DataType) -> pl.Expr | None:
    """True where the column says so (true, non-zero, 'true'/'yes'/'1'), null where it says nothing readable;
    None for a type that cannot be a flag."""
    col = pl.col(name)
    if dtype == pl.Boolean:
        return col
    if dtype.is_float():
        return pl.when(col.is_nan()).then(None).otherwise(col != 0)
    if dtype.is_numeric():
        return col != 0
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = col.cast(pl.String).str.strip_chars().str.to_lowercase()
        return pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False).otherwise(None)
    return None


def _plan_share(ctx: Context, spec: CheckSpec, key: str, limit_key: str, meaning: str) -> list[Planned]:
    """One plan for service.errors or service.fallback: flagged rows as a share of all rows."""
    spec_levels = ctx.levels(spec)
    if not spec_levels.enabled:
        return []
    svc = ctx.contract.service
    if svc is None:
        return [skipped(spec, ctx, NO_SECTION)]
    name: str | None = getattr(svc, key)
    if not name:
        return [skipped(spec, ctx, f"no service.{key} column declared")]
    if name not in ctx.current_schema:
        return [skipped(spec, ctx, f"needs the {key} column '{name}' in the current snapshot", column=name)]
    dtype = ctx.current_schema[name]
    flag = _flag(name, dtype)
    if flag is None:
        return [skipped(spec, ctx, f"{key} column '{name}' is {dtype}, not true/false or a number", column=name)]
    levels = Levels(warn=None, fail=float(getattr(svc, limit_key)), severity=spec_levels.severity)
    requests = {"rows": pl.len(), "hits": flag.sum(), "unknown": flag.is_null().sum(),
                "nulls": pl.col(name).is_null().sum()}

    def finish(v: Mapping[str, Any]) -> CheckResult:
        rows, hits = int(v["rows"]), int(v["hits"] or 0)
        nulls, unreadable = int(v["nulls"]), int(v["unknown"]) - int(v["nulls"])
        if rows == 0:
            return result(spec, ctx, Status.skipped, "the production snapshot has no rows", column=name)
        value = hits / rows
        notes = ""
        if nulls:
            notes += f"; {nulls:,} rows have no value (not counted as {key}s)"
        if unreadable:
            notes += f"; {unreadable:,} rows hold neither true nor false (not counted)"
        msg = (f"{hits:,} of {rows:,} predictions ({pct(value)}) {meaning} ('{name}' true){notes}; "
               f"{limit_text(levels)} (service.{limit_key})")
        return result(spec, ctx, levels.grade(value), msg, column=name, value=value, levels=levels, count=hits,
                      total=rows, examples=v["examples"], missing=nulls, unreadable=unreadable)

    return [Planned(column=name, requests=requests, finish=finish,
                    found_requests={"examples": ctx.first_examples(lambda v: int(v["hits"] or 0) > 0, flag)})]


def plan_errors(ctx: Context) -> list[Planned]:
    return _plan_share(ctx, ERRORS, "error", "max_error_share", "failed to be served")


def plan_fallback(ctx: Context) -> list[Planned]:
    return _plan_share(ctx, FALLBACK, "fallback", "max_fallback_share", "were answered by the fallback")


# --------------------------------------------------------------------------- availability


def plan_availability(ctx: Context) -> list[Planned]:
    """Gaps from the sorted event times (their diff, reduced to the longest few and a count) and one count per
    calendar day: a handful of values whatever the number of rows."""
    spec_levels = ctx.levels(AVAILABILITY)
    if not spec_levels.enabled:
        return []
    svc = ctx.contract.service
    if svc is None:
        return [skipped(AVAILABILITY, ctx, NO_SECTION)]
    name = ctx.contract.columns.event_time
    if not name:
        return [skipped(AVAILABILITY, ctx, "needs columns.event_time in the contract to see when predictions "
                        "were made")]
    if name not in ctx.current_schema:
        return [skipped(AVAILABILITY, ctx, f"needs the event time column '{name}' in the current snapshot",
                        column=name)]
    dtype = ctx.current_schema[name]
    if not isinstance(dtype, pl.Datetime):
        return [skipped(AVAILABILITY, ctx, f"event time column '{name}' is {dtype}, not a timestamp: gaps and "
                        "daily volume need the time of each prediction", column=name)]
    max_gap = parse_duration(svc.max_gap)
    times = pl.col(name).drop_nulls().sort()
    gap = times.diff()
    pairs = pl.struct(start=times.shift(1), end=times, gap=gap).slice(1)
    # calendar days and wall-clock edges in the column's own time zone: traffic follows local days
    local = pl.col(name).dt.replace_time_zone(None) if dtype.time_zone is not None else pl.col(name)
    requests = {
        "rows": pl.len(), "timed": pl.col(name).is_not_null().sum(),
        "top": pairs.top_k_by(gap.slice(1), TOP_GAPS).implode(),
        "over": (gap > max_gap).sum(),
        "first": times.first(), "last": times.last(),
        "first_local": local.min().cast(pl.Datetime("us")), "last_local": local.max().cast(pl.Datetime("us")),
        "days": local.dt.date().alias("day").drop_nulls().value_counts(name="n").implode(),
    }

    def finish(v: Mapping[str, Any]) -> list[CheckResult]:
        rows, timed = int(v["rows"]), int(v["timed"])
        if timed == 0:
            why = "the production snapshot has no rows" if rows == 0 else f"no row has an event time in '{name}'"
            return [result(AVAILABILITY, ctx, Status.skipped, why)]
        nulls = rows - timed
        return [_gaps(ctx, svc, v, max_gap, spec_levels, timed, nulls), _volume(ctx, svc, v, max_gap, spec_levels)]

    return [Planned(column=name, requests=requests, finish=finish)]


def _gaps(ctx: Context, svc: ServiceSettings, v: Mapping[str, Any], max_gap: dt.timedelta, spec_levels: Levels,
          timed: int, nulls: int) -> CheckResult:
    """The longest gaps between consecutive predictions, from the first prediction to the last (the log says
    nothing about the time before or after it)."""
    levels = Levels(warn=None, fail=max_gap.total_seconds() / 3600, severity=spec_levels.severity)
    first, last = v["first"], v["last"]
    span = f"predictions from {_moment(first)} to {_moment(last)} ({duration_text(last - first)})"
    null_note = f"; {nulls:,} rows without an event time are not counted" if nulls else ""
    if timed < 2:
        return result(AVAILABILITY, ctx, Status.skipped, f"one prediction has an event time, no gap to measure; "
                      f"{span}{null_note}", column="gaps")
    top = sorted(v["top"] or [], key=lambda g: g["gap"], reverse=True)
    longest = top[0]
    hours = longest["gap"].total_seconds() / 3600
    over = int(v["over"])
    count = f"{over:,} {'gap' if over == 1 else 'gaps'} longer than max_gap {svc.max_gap}" if over else \
        f"none longer than max_gap {svc.max_gap}"
    msg = (f"longest stretch without a prediction: {duration_text(longest['gap'])} from {_moment(longest['start'])} "
           f"to {_moment(longest['end'])}; {count}; {span}{null_note}")
    gaps = [{"start": g["start"].isoformat(), "end": g["end"].isoformat(), "hours": g["gap"].total_seconds() / 3600}
            for g in top]
    return result(AVAILABILITY, ctx, levels.grade(hours), msg, column="gaps", value=hours, levels=levels, count=over,
                  longest_gaps=gaps, gaps_over_max_gap=over, first=first.isoformat(), last=last.isoformat(),
                  missing=nulls, max_gap=svc.max_gap)


def _volume(ctx: Context, svc: ServiceSettings, v: Mapping[str, Any], max_gap: dt.timedelta,
            spec_levels: Levels) -> CheckResult:
    """Whole days against the median of their weekday; days without any prediction count 0."""
    counts = {row["day"]: int(row["n"]) for row in v["days"] or []}
    first, last = v["first_local"], v["last_local"]
    tolerance = min(max_gap, EDGE_TOLERANCE)
    days = [first.date() + dt.timedelta(days=i) for i in range((last.date() - first.date()).days + 1)]
    partial: dict[str, str] = {}
    if first - dt.datetime.combine(first.date(), dt.time()) > tolerance:
        partial[days[0].isoformat()] = f"starts {first.time().isoformat(timespec='minutes')}"
    if dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time()) - last > tolerance:
        note = f"ends {last.time().isoformat(timespec='minutes')}"
        key = days[-1].isoformat()
        partial[key] = f"{partial[key]}, {note}" if key in partial else note
    whole = [d for d in days if d.isoformat() not in partial]
    per_day = [{"day": d.isoformat(), "count": counts.get(d, 0), "judged": d.isoformat() not in partial}
               for d in days]
    levels = Levels(warn=None, fail=0.0, severity=spec_levels.severity)
    edge = ("; not judged: " + ", ".join(f"{d} ({why})" for d, why in partial.items())) if partial else ""
    if len(whole) < MIN_DAYS:
        res = result(AVAILABILITY, ctx, Status.skipped, f"{len(whole)} whole calendar days of predictions; daily "
                     f"volume needs at least {MIN_DAYS}{edge}", column="volume", per_day=per_day)
        return replace(res, statistic="dropped_days")
    overall = statistics.median(counts.get(d, 0) for d in whole)
    keep = 1.0 - float(svc.volume_drop)
    dropped = []
    for d in whole:
        same = [counts.get(o, 0) for o in whole if o.weekday() == d.weekday()]
        usual = statistics.median(same) if len(same) >= MIN_WEEKDAY_DAYS else overall
        n = counts.get(d, 0)
        if n < keep * usual:
            dropped.append({"day": d.isoformat(), "weekday": d.strftime("%A"), "count": n, "usual": float(usual),
                            "share_of_usual": n / usual if usual else 0.0})
    seen = {d.weekday(): sum(o.weekday() == d.weekday() for o in whole) for d in whole}
    if min(seen.values()) >= MIN_WEEKDAY_DAYS:
        basis = "the median of the same weekday"
    elif max(seen.values()) < MIN_WEEKDAY_DAYS:
        basis = f"the median of all whole days, as no weekday occurs {MIN_WEEKDAY_DAYS} times"
    else:
        basis = f"the median of the same weekday, or of all whole days for weekdays seen under {MIN_WEEKDAY_DAYS} times"
    if dropped:
        listed = ", ".join(f"{d['day']} {d['weekday']} ({d['count']:,}, usual {d['usual']:,g})" for d in dropped[:10])
        more = f" and {len(dropped) - 10:,} more" if len(dropped) > 10 else ""
        days_text = f"{len(dropped):,} {'day' if len(dropped) == 1 else 'days'}"
        lead = f"{days_text} below {pct(keep)} of usual volume: {listed}{more}"
    else:
        lead = f"no day below {pct(keep)} of usual volume"
    msg = (f"{lead}; {len(whole):,} whole days, median {overall:,g} predictions a day; usual volume: {basis} "
           f"(service.volume_drop {float(svc.volume_drop):g}){edge}")
    res = result(AVAILABILITY, ctx, levels.grade(float(len(dropped))), msg, column="volume",
                 value=float(len(dropped)), levels=levels, count=len(dropped), total=len(whole), per_day=per_day,
                 dropped=dropped, partial_days=partial, median=float(overall))
    return replace(res, statistic="dropped_days")


PLANNERS = {LATENCY.id: plan_latency, ERRORS.id: plan_errors, FALLBACK.id: plan_fallback,
            AVAILABILITY.id: plan_availability}
