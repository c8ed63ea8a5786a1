"""Input sanity on the current snapshot: schema, nulls, ranges, allowed values, patterns,
uniqueness, row count, freshness and cross-column rules.

Missing values are nulls, NaN in float columns (pipelines built on pandas
write NaN for "unknown", and counting only nulls would hide them), and the
feature's declared `sentinel` (the value serving sends for "unknown"): they
count toward the null share and are not range, allowed-value or pattern
violations. Infinities are values, and fall outside any finite range.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from mlaudit import dtypes
from mlaudit.checks.base import (
    MAX_EXAMPLES,
    CheckSpec,
    Context,
    Found,
    Levels,
    Part,
    Planned,
    keep_values,
    limit_text,
    pct,
    result,
    share,
    skipped,
    stated,
)
from mlaudit.contract.compat import rule_problem
from mlaudit.contract.model import Feature, FeatureType, Severity, Threshold, parse_duration
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

V = FailureMode.validation
DQ = OwnerArea.data_quality

SCHEMA = CheckSpec(
    "validation.schema", V, DQ,
    "Columns the contract names are present in the current snapshot with a compatible type; "
    "columns nobody declared are reported.",
    statistic="schema_mismatch", fail=0.0, levels_from="the contract's column declarations (any mismatch fails)",
)
NULL_SHARE = CheckSpec(
    "validation.null_share", V, DQ,
    "Share of missing values (null, or NaN in float columns) stays within the feature's limit.",
    statistic="null_share", warn=0.1, fail=0.5,
)
RANGE = CheckSpec(
    "validation.range", V, DQ,
    "Share of numeric values outside the declared [min, max] (infinities included).",
    statistic="out_of_range_share", warn=0.0, fail=0.01,
)
ALLOWED = CheckSpec(
    "validation.allowed_values", V, DQ,
    "Share of values not in the feature's allowed list.",
    statistic="disallowed_share", warn=0.0, fail=0.01,
)
REGEX = CheckSpec(
    "validation.regex", V, DQ,
    "Share of rows whose value (when not missing) does not match the feature's regular expression in full.",
    statistic="mismatch_share", warn=0.0, fail=0.01,
)
UNIQUE = CheckSpec(
    "validation.unique", V, DQ,
    "Rows whose value in a unique column (the id, or a feature marked unique) is repeated.",
    statistic="duplicated_share", warn=None, fail=0.0,
)
ROW_COUNT = CheckSpec(
    "validation.row_count", V, DQ,
    "The current snapshot's row count lies within the contract's bounds (at least 1 row by default).",
    statistic="rows", per_feature=False, levels_from="dataset.row_count",
)
FRESHNESS = CheckSpec(
    "validation.freshness", V, DQ,
    "Age of the newest event_time at audit time stays under the contract's warn and fail ages.",
    statistic="age_hours", per_feature=False, levels_from="dataset.freshness",
)
RULE = CheckSpec(
    "validation.rule", V, DQ,
    "Share of rows that violate a cross-column SQL rule of the contract (max_violation_share, default 0).",
    statistic="violation_share", fail=0.0, per_feature=False,
)

#: Types the column roles must have for the checks that read them.
ROLE_TYPES = {"event_time": FeatureType.datetime, "score": FeatureType.float, "probabilities": FeatureType.float,
              "amount": FeatureType.float, "cost": FeatureType.float}

SPECS = (SCHEMA, NULL_SHARE, RANGE, ALLOWED, REGEX, UNIQUE, ROW_COUNT, FRESHNESS, RULE)

_ROWS = "rows"


def _rows() -> dict[str, pl.Expr]:
    return {_ROWS: pl.len()}


def missing_expr(name: str, dtype: pl.DataType, sentinel: Any = None) -> pl.Expr:
    """Null, NaN for float columns, or the declared sentinel value."""
    col = pl.col(name)
    missing = col.is_null() | col.is_nan() if dtype.is_float() else col.is_null()
    if sentinel is not None:
        missing = missing | _equals(col, dtype, sentinel).fill_null(False)
    return missing


def _equals(col: pl.Expr, dtype: pl.DataType, value: Any) -> pl.Expr:
    """col == value, compared natively where the types allow (so -1 matches -1.0 and a timestamp a datetime)."""
    if dtype.is_numeric() and not isinstance(value, bool):
        try:
            return col == float(value)
        except (TypeError, ValueError):
            return pl.repeat(False, pl.len())
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        if isinstance(value, dt.date):
            return col == pl.lit(value)
        return pl.repeat(False, pl.len())
    return col.cast(pl.String) == _as_text(value)


def _missing(ctx: Context, name: str) -> pl.Expr:
    feature = ctx.contract.features.get(name)
    return missing_expr(name, ctx.current_schema[name], feature.sentinel if feature else None)


def _present(ctx: Context, name: str) -> bool:
    return name in ctx.current_schema


def _feature_ok(ctx: Context, name: str, feature: Feature) -> bool:
    """Column present in current with a compatible type (else schema reports it)."""
    return _present(ctx, name) and dtypes.matches(feature.type, ctx.current_schema[name])


def plan_schema(ctx: Context) -> list[Planned]:
    """One result per declared column, plus one for undeclared columns."""
    c = ctx.contract
    levels = ctx.levels(SCHEMA)
    if not levels.enabled:
        return []
    broken = Status.warn if levels.severity is Severity.warning else Status.fail
    out: list[Planned] = []
    declared: dict[str, FeatureType | None] = {n: f.type for n, f in c.features.items()}
    for role, col in c.columns.named().items():
        if role in ("label", "label_time"):
            continue  # delayed: may arrive only with --outcomes
        declared.setdefault(col, ROLE_TYPES.get(role.split("[")[0]))
    for name, ftype in declared.items():
        if name not in ctx.current_schema:
            res = result(SCHEMA, ctx, broken, f"column '{name}' is missing from the current snapshot",
                         column=name, value=1.0, levels=levels)
        elif ftype is not None and not dtypes.matches(ftype, ctx.current_schema[name]):
            got = dtypes.describe(ctx.current_schema[name])
            res = result(SCHEMA, ctx, broken,
                         f"column '{name}' is {got} in the current snapshot; the contract declares {ftype.value}",
                         column=name, value=1.0, levels=levels, expected=ftype.value, actual=got)
        else:
            res = result(SCHEMA, ctx, Status.passed, f"column '{name}' present with a compatible type",
                         column=name, value=0.0, levels=levels)
        out.append(Planned(column=name, ready=res))
    known = set(declared) | set(ctx.reference_schema) | ctx.partition_columns
    for role in ("label", "label_time"):
        col = getattr(c.columns, role)
        if col:
            known.add(col)
    extra = sorted(n for n in ctx.current_schema if n not in known)
    if extra:
        res = result(SCHEMA, ctx, Status.warn,
                     f"{len(extra)} column(s) in the current snapshot are in neither the contract nor the "
                     f"reference: {', '.join(repr(n) for n in extra[:10])}{' ...' if len(extra) > 10 else ''}",
                     value=float(len(extra)), unexpected=extra)
        out.append(Planned(column=None, ready=res))
    return out


def _share_check(
    spec: CheckSpec,
    ctx: Context,
    name: str | None,
    violated: pl.Expr,
    what: str,
    levels: Levels,
    extra: Mapping[str, pl.Expr] | None = None,
    describe_extra: Any = None,
    examples: pl.Expr | None = None,
    owner_area: OwnerArea | None = None,
    when_found: Mapping[str, pl.Expr] | None = None,
    counted: Part | None = None,
    count: pl.Expr | None = None,
    row_local: bool = False,
) -> Planned:
    """Generic 'share of rows where `violated` holds' check with examples (ids of violating rows by default).

    `when_found` expressions describe the violations (which values, how many distinct): they are evaluated
    only when some row violates, in the small second pass, and are an empty list otherwise. `counted`, a
    part giving the same values (rows, n and the `extra` keys), replaces the requests: columns are counted
    in the batch that reads them for drift and skew (see _counted). `count`, when given, computes the number
    of violating rows more cheaply than summing `violated`. `row_local`: `violated` looks at each row alone
    (no aggregate, no window), so the default examples may be looked up on a prefix first (Found).
    """
    requests = {} if counted is not None else _count_requests(violated, extra, count)

    def counts(v: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**v, **v["parts"][0]} if counted is not None else v

    def graded(v: Mapping[str, Any]) -> Status:
        total = int(v[_ROWS])
        return levels.grade(share(int(v["n"]), total)) if total else Status.skipped

    def finish(values: Mapping[str, Any]) -> CheckResult:
        v = counts(values)
        total, count = int(v[_ROWS]), int(v["n"])
        if total == 0:
            return result(spec, ctx, Status.skipped, "current snapshot is empty", column=name)
        value = share(count, total)
        status = graded(v)
        tail = describe_extra(v) if describe_extra else ""
        subject = f"'{name}': " if name else ""
        msg = f"{subject}{count:,} of {total:,} rows ({pct(value)}) {what}{tail}; {limit_text(levels)}"
        return result(spec, ctx, status, msg, column=name, value=value, levels=levels, count=count,
                      total=total, examples=v["ex"] if status is not Status.passed else (), owner_area=owner_area)

    def shown(v: Mapping[str, Any]) -> bool:  # examples are listed only on a warning or a failure
        return graded(counts(v)) in (Status.warn, Status.fail)

    def failed(reason: str) -> CheckResult:
        subject = f"'{name}': " if name else ""
        return result(spec, ctx, Status.error, f"{subject}could not be evaluated on the current snapshot "
                      f"({reason}); the other checks ran. Fix the expression or the data",
                      column=name, levels=levels, owner_area=owner_area)

    def found(v: Mapping[str, Any]) -> bool:
        return int(counts(v)["n"]) > 0

    if examples is not None:
        ex = Found(shown, examples)
    elif row_local:
        ex = ctx.first_examples(shown, violated)
    else:
        ex = Found(shown, ctx.examples(violated))
    return Planned(column=name, requests=requests, finish=finish, parts=[counted] if counted is not None else [],
                   found_requests={"ex": ex, **{k: Found(found, e) for k, e in (when_found or {}).items()}},
                   on_error=failed)


def plan_null_share(ctx: Context) -> list[Planned]:
    out = []
    for name, f in ctx.contract.features.items():
        base = Threshold(fail=0.0) if not f.nullable else stated(f, fail="max_null_share")
        levels = ctx.levels(NULL_SHARE, name, base)
        if not levels.enabled:
            continue
        if not _present(ctx, name):
            out.append(skipped(NULL_SHARE, ctx, "column missing from the current snapshot", name))
            continue
        violated = _missing(ctx, name)
        what = "are missing" + (f" (null or the sentinel {f.sentinel!r})" if f.sentinel is not None else "")
        dtype = ctx.current_schema[name]
        count = None
        if f.sentinel is None:  # nulls are counted already (the validity bitmap); NaN is disjoint from them
            col = pl.col(name)
            count = col.null_count() + col.is_nan().sum() if dtype.is_float() else col.null_count()
        out.append(_share_check(NULL_SHARE, ctx, name, violated, what, levels,
                                counted=_counted(name, violated, count=count), row_local=True))
    return out


def plan_range(ctx: Context) -> list[Planned]:
    out = []
    for name, f in ctx.contract.features.items():
        levels = ctx.levels(RANGE, name)
        if f.range is None or not levels.enabled:
            continue
        if not _feature_ok(ctx, name, f) or not ctx.current_schema[name].is_numeric():
            out.append(skipped(RANGE, ctx, "column missing or not numeric in the current snapshot", name))
            continue
        lo, hi = f.range
        col = pl.col(name)
        is_float = ctx.current_schema[name].is_float()
        outside = col.is_infinite() if is_float else pl.lit(False)
        if lo is not None:
            outside = outside | (col < lo)
        if hi is not None:
            outside = outside | (col > hi)
        shown = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
        if f.sentinel is None:
            # nulls are never outside (their comparisons are null) and NaN only above hi (polars orders NaN
            # last), and polars' min and max skip both: no mask of the usable values and no filtered copy of
            # the column (NaN when every value is NaN: read as no value, as the filtered minimum said)
            violated = outside & col.is_not_nan() if is_float and hi is not None else outside
            low, high = col.min(), col.max()
            extremes = {"min": low.fill_nan(None), "max": high.fill_nan(None)} if is_float else {"min": low,
                                                                                                 "max": high}
            count = _outside_count(col, lo, hi, is_float)
        else:
            usable = ~_missing(ctx, name)
            violated = usable & outside
            extremes = {"min": col.filter(usable).min(), "max": col.filter(usable).max()}
            count = None
        counted = _counted(name, violated, extremes, count)
        out.append(_share_check(
            RANGE, ctx, name, violated, f"fall outside {shown}", levels, None,
            lambda v: f" (observed min {_num(v['min'])}, max {_num(v['max'])})", counted=counted, row_local=True,
        ))
    return out


def _outside_count(col: pl.Expr, lo: float | None, hi: float | None, is_float: bool) -> pl.Expr | None:
    """The rows outside [lo, hi] (infinities always outside, NaN and nulls never) as sums of comparisons, a
    pass each, instead of a mask built from five: below lo, above hi less NaN (which polars orders above
    every number), and the infinity on an open side. None (count the mask) for an infinite or NaN bound."""
    if any(bound is not None and not math.isfinite(bound) for bound in (lo, hi)):
        return None
    below = col < lo if lo is not None else col == -math.inf if is_float else None
    above = col > hi if hi is not None else col == math.inf if is_float else None
    terms = [t.sum().cast(pl.Int64) for t in (below, above) if t is not None]
    if is_float and hi is not None:
        terms.append(-col.is_nan().sum().cast(pl.Int64))
    return functools.reduce(operator.add, terms) if terms else None


def _counted(name: str, violated: pl.Expr, extra: Mapping[str, pl.Expr] | None = None,
             count: pl.Expr | None = None) -> Part:
    """A column's share-check counts (rows, violating rows, `extra`) as a part: evaluated in the batch that
    reads the column for drift and skew, so the column is decoded once, not again by the validation query
    (for a text column, the costliest decode). Only aggregates come back (no row-length array): it weighs
    nothing in a batch. `count`, when given, counts the violating rows more cheaply than summing `violated`."""
    return Part(requests=_count_requests(violated, extra, count), reference_requests={}, reduce=keep_values,
                weight=0, column=name)


def _count_requests(violated: pl.Expr, extra: Mapping[str, pl.Expr] | None, count: pl.Expr | None
                    ) -> dict[str, pl.Expr]:
    """A share check's values: the rows, the violating rows (`count`, or the sum of `violated`), `extra`."""
    n = violated.fill_null(False).sum() if count is None else count
    return {**_rows(), "n": n, **(extra or {})}


def _num(value: Any) -> str:
    """A number for messages: 6 significant digits for floats."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _as_text(value: Any) -> str:
    """Canonical text of an allowed value, matching polars' cast to String."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plan_allowed(ctx: Context) -> list[Planned]:
    out = []
    for name, f in ctx.contract.features.items():
        levels = ctx.levels(ALLOWED, name)
        if f.allowed is None or not levels.enabled:
            continue
        if not _present(ctx, name):
            out.append(skipped(ALLOWED, ctx, "column missing from the current snapshot", name))
            continue
        as_text = pl.col(name).cast(pl.String)
        violated = ~_missing(ctx, name) & ~as_text.is_in([_as_text(v) for v in f.allowed])
        seen = {"seen": as_text.filter(violated).unique().sort().head(5).implode()}
        out.append(_share_check(
            ALLOWED, ctx, name, violated, "hold values outside the allowed list", levels, None,
            lambda v: f" (e.g. {', '.join(repr(x) for x in v['seen'])})" if v["seen"] else "", when_found=seen,
            counted=_counted(name, violated), row_local=True,
        ))
    return out


def plan_regex(ctx: Context) -> list[Planned]:
    out = []
    for name, f in ctx.contract.features.items():
        levels = ctx.levels(REGEX, name)
        if f.regex is None or not levels.enabled:
            continue
        if not _present(ctx, name):
            out.append(skipped(REGEX, ctx, "column missing from the current snapshot", name))
            continue
        text = pl.col(name).cast(pl.String)
        violated = ~_missing(ctx, name) & ~text.str.contains(f"^(?:{f.regex})$")
        out.append(_share_check(REGEX, ctx, name, violated, f"do not match /{f.regex}/", levels, row_local=True,
                                counted=_counted(name, violated)))
    return out


def plan_unique(ctx: Context) -> list[Planned]:
    out = []
    columns = [n for n, f in ctx.contract.features.items() if f.unique]
    id_col = ctx.contract.columns.id
    if id_col and id_col not in columns:
        columns.insert(0, id_col)
    for name in columns:
        levels = ctx.levels(UNIQUE, name)
        if not levels.enabled:
            continue
        if not _present(ctx, name):
            out.append(skipped(UNIQUE, ctx, "column missing from the current snapshot", name))
            continue
        col = pl.col(name)
        violated = ~_missing(ctx, name) & col.is_duplicated()
        distinct = {"distinct": col.filter(violated).n_unique()}
        repeated = col.filter(violated).unique(maintain_order=True).head(MAX_EXAMPLES).implode()
        out.append(_share_check(
            UNIQUE, ctx, name, violated, "share a value with another row", levels, None,
            lambda v: f" ({v['distinct']:,} distinct values repeated)" if int(v["n"]) else "", examples=repeated,
            when_found=distinct,
            counted=_counted(name, violated, count=_repeated_rows(col.filter(~_missing(ctx, name)))),
        ))
    return out


def _repeated_rows(values: pl.Expr) -> pl.Expr:
    """Rows whose value another row shares: in sorted order, those equal to a neighbour. A sort is about
    twice as fast as is_duplicated's hash table on a million ids, and needs less memory."""
    ordered = values.sort()
    return ((ordered == ordered.shift(1)) | (ordered == ordered.shift(-1))).fill_null(False).sum()


def plan_row_count(ctx: Context) -> list[Planned]:
    bounds = ctx.contract.dataset.row_count
    lo = bounds.min if bounds and bounds.min is not None else 1
    hi = bounds.max if bounds else None
    levels = Levels(warn=None, fail=None, severity=ctx.levels(ROW_COUNT).severity)
    if not ctx.levels(ROW_COUNT).enabled:
        return []

    def finish(v: Mapping[str, Any]) -> CheckResult:
        rows = int(v[_ROWS])
        bad = rows < lo or (hi is not None and rows > hi)
        status = (Status.warn if levels.severity is Severity.warning else Status.fail) if bad else Status.passed
        limit = f"[{lo:,}, {'unbounded' if hi is None else f'{hi:,}'}]"
        msg = f"{rows:,} rows; expected {limit}"
        return result(ROW_COUNT, ctx, status, msg, value=float(rows), levels=levels, count=rows,
                      min_rows=lo, max_rows=hi)

    return [Planned(column=None, requests=_rows(), finish=finish)]


def plan_freshness(ctx: Context) -> list[Planned]:
    c = ctx.contract
    cfg = c.dataset.freshness
    if not ctx.levels(FRESHNESS).enabled:
        return []
    if cfg is None or (cfg.warn is None and cfg.fail is None):
        return [skipped(FRESHNESS, ctx, "no dataset.freshness bound in the contract")]
    col = c.columns.event_time
    if not col:
        return [skipped(FRESHNESS, ctx, "columns.event_time is not set in the contract")]
    if col not in ctx.current_schema or not dtypes.matches(FeatureType.datetime, ctx.current_schema[col]):
        return [skipped(FRESHNESS, ctx, f"event time column '{col}' missing or not a timestamp", col)]
    def hours(text: str | None) -> float | None:
        return parse_duration(text).total_seconds() / 3600 if text else None

    levels = Levels(warn=hours(cfg.warn), fail=hours(cfg.fail), severity=ctx.levels(FRESHNESS).severity)
    dtype = ctx.current_schema[col]
    as_of = ctx.as_of
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)  # naive timestamps are read as UTC

    def finish(v: Mapping[str, Any]) -> CheckResult:
        newest = v["newest"]
        if newest is None:
            return result(FRESHNESS, ctx, Status.error, f"'{col}' has no non-null value; cannot tell "
                          "how fresh the snapshot is", column=col, levels=levels)
        if not hasattr(newest, "hour"):  # a date
            newest = dt.datetime(newest.year, newest.month, newest.day, tzinfo=as_of.tzinfo)
        age = (as_of - newest).total_seconds() / 3600
        status = levels.grade(age)
        limits = ", ".join(f"{word} above {level:g} h" for word, level in (("fail", levels.fail), ("warn", levels.warn))
                           if level is not None)
        msg = f"'{col}': newest event at {newest.isoformat()} is {age:,.1f} h old at {as_of.isoformat()}; {limits}"
        return result(FRESHNESS, ctx, status, msg, column=col, value=age, levels=levels,
                      newest=newest.isoformat())

    return [Planned(column=col, requests={"newest": pl.col(col).max()}, finish=finish)]


def plan_rules(ctx: Context) -> list[Planned]:
    out = []
    for rule in ctx.contract.rules:
        base = stated(rule, fail="max_violation_share", warn="warn_violation_share", severity="severity")
        levels = ctx.levels(RULE, None, base)
        if levels.warn is None and levels.fail is not None and levels.fail > 0:
            levels = replace(levels, warn=0.0)  # a tolerated share still warns on any violation
        if not levels.enabled:
            continue
        area = OwnerArea(rule.owner)
        holds = pl.sql_expr(rule.expr)
        problem = rule_problem(rule.expr, ctx.current_schema)
        if problem:
            out.append(Planned(column=rule.name, ready=result(
                RULE, ctx, Status.error, f"'{rule.name}': on the current snapshot the rule {problem}",
                column=rule.name, levels=levels, owner_area=area)))
            continue
        violated = holds.not_()  # a null outcome (unknown inputs) is not a violation, as in SQL CHECK
        extra = {"unknown": holds.is_null().sum()}
        out.append(_share_check(
            RULE, ctx, rule.name, violated, f"violate `{rule.expr}`", levels, extra,
            lambda v: f" ({v['unknown']:,} rows could not be evaluated: null inputs)" if v["unknown"] else "",
            owner_area=area,
        ))
    return out


PLANNERS = {
    SCHEMA.id: plan_schema,
    NULL_SHARE.id: plan_null_share,
    RANGE.id: plan_range,
    ALLOWED.id: plan_allowed,
    REGEX.id: plan_regex,
    UNIQUE.id: plan_unique,
    ROW_COUNT.id: plan_row_count,
    FRESHNESS.id: plan_freshness,
    RULE.id: plan_rules,
}
