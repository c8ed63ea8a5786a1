"""Training-serving skew at the distribution level: which contract the serving data broke, and the likely
cause, so the owner fixes the pipeline instead of retraining the model.

Drift says "the distribution moved"; these checks say why: a type changed, a
unit changed (values a near-constant multiple of training's), a default
value replaced missing values, categories are spelled differently, values are
rounded. Each compares the reference (training) with the current (serving)
snapshot, per feature, from a few cheap aggregations in the same polars pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from mlaudit import dtypes
from mlaudit.checks.base import CheckSpec, Context, Part, Planned, limit_text, pct, result
from mlaudit.checks.validation import _as_text
from mlaudit.contract.model import FeatureType
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

S = FailureMode.training_serving_skew
DQ = OwnerArea.data_quality

TYPE = CheckSpec(
    "skew.type", S, DQ,
    "A feature's type differs between training and serving (numbers sent as strings, integers as floats, "
    "float32 for float64, another time zone).",
    statistic="type_mismatch", fail=0.0, per_feature=True,
)
UNIT = CheckSpec(
    "skew.unit_change", S, DQ,
    "Serving values are a constant multiple of training values (x10, x100, x1000, x60, 1/60...), for all or "
    "part of the rows: the share of serving quantiles that fall back inside the training range once divided "
    "by the factor (a unit change) and not before.",
    statistic="rescued_share", warn=0.2, fail=0.4,
)
DEFAULT = CheckSpec(
    "skew.default_value", S, DQ,
    "One value takes a much larger share of serving rows than of training rows (a default such as -1, 0, 999, "
    "'' or 'unknown', or the contract's sentinel, sent where training had missing values, or the reverse).",
    statistic="default_share_increase", warn=0.02, fail=0.05,
)
SPELLING = CheckSpec(
    "skew.category_spelling", S, DQ,
    "Share of serving rows whose category is unknown to training but matches a training category after "
    "case folding, trimming and removing punctuation ('NY' vs 'ny ').",
    statistic="respelled_share", warn=0.0, fail=0.01,
)
ROUNDING = CheckSpec(
    "skew.rounding", S, DQ,
    "Serving values are rounded (to whole numbers or 2 decimals) where training values were not: share of "
    "rounded values in serving minus in training.",
    statistic="rounded_share_increase", warn=0.3, fail=0.6,
)
WINDOW = CheckSpec(
    "skew.window", S, DQ,
    "For an aggregate feature with a declared window (e.g. 30d): serving values are systematically scaled as "
    "if computed over another window (7d, 1d, 90d...); the statistic is |log10(median ratio)| when the ratio "
    "matches another window's.",
    statistic="log10_window_ratio", warn=None, fail=0.2,
)
TRANSFORM = CheckSpec(
    "skew.transform", S, DQ,
    "For a feature with a declared transform (log, log1p, log10, standardized, minmax, onehot): share of "
    "serving evidence that the transform was not applied (raw values where training was transformed).",
    statistic="untransformed_share", warn=0.0, fail=0.05,
)
SPECS = (TYPE, UNIT, DEFAULT, SPELLING, ROUNDING, WINDOW, TRANSFORM)

WINDOWS_DAYS = (1.0, 7.0, 14.0, 28.0, 30.0, 31.0, 60.0, 90.0, 180.0, 365.0)

#: Factors a unit change is snapped to (x or 1/x): decimal prefixes, percent, time and money units.
KNOWN_FACTORS = (10.0, 100.0, 1000.0, 1e6, 60.0, 3600.0, 24.0, 7.0, 86400.0, 1024.0)
#: Values pipelines use for "unknown".
USUAL_DEFAULTS = {"-1", "0", "999", "9999", "-999", "99999", "", "unknown", "na", "n/a", "null", "none", "nan",
                  "missing", "-", "?"}


def _numeric(ctx: Context, name: str) -> bool:
    return ctx.current_schema[name].is_numeric() and ctx.reference_schema[name].is_numeric()


def _features(ctx: Context, spec: CheckSpec) -> list[str]:
    return [n for n in ctx.contract.features if n in ctx.current_schema and n in ctx.reference_schema
            and ctx.levels(spec, n).enabled]


def _describe_type_change(ref: pl.DataType, cur: pl.DataType) -> str | None:
    """The cause of a type difference, or None when the types are the same for every purpose."""
    if ref == cur or cur == pl.Null or ref == pl.Null:
        return None  # an all-missing column has no type of its own; validation and drift report it
    if ref.is_numeric() and cur in (pl.String, pl.Categorical):
        return f"numbers are sent as text ({cur}) where training had {ref}: parse them in the serving pipeline"
    if ref in (pl.String, pl.Categorical) and cur.is_numeric():
        return f"text in training ({ref}) arrives as numbers ({cur}) in serving: codes instead of labels?"
    if ref.is_float() and cur.is_float():
        return f"{ref} in training, {cur} in serving: precision differs"
    if ref.is_integer() and cur.is_float():
        return f"integers in training ({ref}), floats in serving ({cur}): missing values or a computed column?"
    if ref.is_float() and cur.is_integer():
        return f"floats in training ({ref}), integers in serving ({cur}): truncated values?"
    if isinstance(ref, pl.Datetime) and isinstance(cur, pl.Datetime):
        if ref.time_zone != cur.time_zone:
            return f"time zone {ref.time_zone or 'none'} in training, {cur.time_zone or 'none'} in serving"
        return None  # only the time unit differs: no meaning changes
    if ref.is_integer() and cur.is_integer():
        return None  # widths differ, values do not
    return f"{ref} in training, {cur} in serving"


def plan_type(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, TYPE):
        levels = ctx.levels(TYPE, name)
        cause = _describe_type_change(ctx.reference_schema[name], ctx.current_schema[name])
        status = Status.passed if cause is None else levels.grade(1.0)
        msg = f"'{name}': " + (cause or f"same type in training and serving ({ctx.current_schema[name]})")
        out.append(Planned(column=name, ready=result(TYPE, ctx, status, msg, column=name,
                                                     value=0.0 if cause is None else 1.0, levels=levels,
                                                     reference_type=str(ctx.reference_schema[name]),
                                                     current_type=str(ctx.current_schema[name]))))
    return out


LEVELS = tuple(round(0.025 * i, 3) for i in range(1, 40))  # 2.5%, 5%, ... 97.5%
MIN_VALUES = 100
"""Fewer values than this on a side and the distribution-level skew checks do not judge."""


def _raw(name: str) -> dict[str, pl.Expr]:
    """The column's values as floats, missing as NaN. Not polars' quantile: in a query, each quantile is a
    node of its own that every step of polars' streaming engine revisits, so one query holding the quantiles
    of every feature took time growing with the square of the feature count (18 s for 1,000 features of 3
    rows); reading the values is linear, and `_quantile_summary` computes the same quantiles from them."""
    return {"raw": pl.col(name).cast(pl.Float64).fill_null(float("nan")).implode()}


def _quantile_summary(v: Mapping[str, Any]) -> dict[str, Any]:
    """Each side's count of finite values ('n') and their LEVELS quantiles ('q', None when there is none),
    by polars' 'nearest' rule (the order statistic at round-half-up of q * (n - 1)) read off one numpy sort:
    four times faster than polars' list-valued quantile, the same numbers (tested)."""
    out: dict[str, Any] = {}
    for side in ("", "reference:"):
        raw = v.get(f"{side}raw")
        numbers = np.asarray(raw if raw is not None else [], dtype=np.float64)
        ordered = np.sort(numbers[np.isfinite(numbers)])
        out[f"{side}n"] = int(ordered.size)
        at = np.floor(np.asarray(LEVELS) * (ordered.size - 1) + 0.5).astype(np.intp)
        out[f"{side}q"] = ordered[at].tolist() if ordered.size else None
    return out


def _candidates() -> list[float]:
    return sorted({f for known in KNOWN_FACTORS for f in (known, 1 / known)})


def _rescued(points: list[float], ref: list[float], factor: float) -> tuple[float, float]:
    """(share of serving quantiles outside the training range that come back inside once divided by
    `factor`, median ratio of those points to the training quantiles at the same level)."""
    lo, hi = ref[0], ref[-1]
    margin = 0.01 * (hi - lo) if hi > lo else 0.01 * max(abs(lo), 1e-12)

    def inside(x: float) -> bool:
        return lo - margin <= x <= hi + margin

    ratios = [p / r for p, r in zip(points, ref, strict=True) if not inside(p) and inside(p / factor) and r]
    ratios.sort()
    return len(ratios) / len(points), (ratios[len(ratios) // 2] if ratios else factor)


def _window_ratios(window: str | None) -> list[float]:
    """Ratios another window would give against the declared one (empty when none is declared)."""
    if window is None:
        return []
    from mlaudit.contract.model import parse_duration

    declared = parse_duration(window).total_seconds() / 86400
    return [w / declared for w in WINDOWS_DAYS if abs(w - declared) > 1e-9]


def plan_unit(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, UNIT):
        f = ctx.contract.features[name]
        if f.type not in (FeatureType.float, FeatureType.int) or not _numeric(ctx, name):
            continue
        levels = ctx.levels(UNIT, name)
        window_ratios = _window_ratios(f.window)

        def finish(values: Mapping[str, Any], name: str = name, levels: Any = levels,
                   window_ratios: list[float] = window_ratios) -> CheckResult:
            v = values["parts"][0]
            ref = list(v.get("reference:q") or [None])
            cur = list(v.get("q") or [None])
            n_ref, n_cur = int(v.get("reference:n") or 0), int(v.get("n") or 0)
            if min(n_ref, n_cur) < MIN_VALUES or any(x is None for x in ref + cur):
                return result(UNIT, ctx, Status.skipped, f"'{name}': fewer than {MIN_VALUES} finite values on a "
                              f"side (training {n_ref:,}, serving {n_cur:,})", column=name)
            r = [float(x) for x in ref]
            c = [float(x) for x in cur]
            scored = [(f, *_rescued(c, r, f)) for f in _candidates()]
            best_share = max(share for _, share, _ in scored)
            # among (near-)ties, the factor closest to how far the rescued points actually moved
            factor, rescued, ratio = min((t for t in scored if t[1] >= best_share - 1e-9),
                                         key=lambda t: abs(math.log(t[0]) - math.log(abs(t[2]) or t[0])))
            status = levels.grade(rescued)
            shown = f"{factor:g}" if factor >= 1 else f"1/{1 / factor:g}"
            explained = [w for w in window_ratios if abs(ratio / w - 1) <= 0.15 or abs(factor / w - 1) <= 0.15]
            if status is not Status.passed and explained:
                msg = (f"'{name}': serving values are {shown}x training values, as another aggregation window "
                       "would give: see skew.window")
                return result(UNIT, ctx, Status.passed, msg, column=name, value=rescued, levels=levels,
                              factor=factor, explained_by="window")
            if status is Status.passed:
                msg = f"'{name}': no constant scale factor between training and serving values"
            else:
                part = "" if rescued >= 0.85 else f" for about {rescued:.0%} of rows"
                msg = (f"'{name}': serving values are {shown}x training values{part} (median {r[19]:.4g} -> "
                       f"{c[19]:.4g}; {rescued:.0%} of serving quantiles fall back in the training range once "
                       f"divided by {shown}): unit change?")
            return result(UNIT, ctx, status, msg, column=name, value=rescued, levels=levels, factor=factor,
                          moved_ratio=ratio)

        # a part: the values are read in memory-bounded batches and reduced to their quantiles at once
        part = Part(requests=_raw(name), reference_requests=_raw(name), reduce=_quantile_summary, weight=2,
                    column=name)
        out.append(Planned(column=name, parts=[part], finish=finish))
    return out


def _default_counts(name: str, dtype: pl.DataType, candidates: list[str]) -> dict[str, pl.Expr]:
    """Rows, nulls, and the rows holding each candidate default value: numbers compared as numbers,
    text as stripped lower-case text, each side normalised once (one cast per candidate costs minutes)."""
    col = pl.col(name)
    out = {"rows": pl.len(), "nulls": col.is_null().sum()}
    if dtype.is_numeric():
        number = col.cast(pl.Float64)
        for i, c in enumerate(candidates):
            finite = _is_number(c) and math.isfinite(float(c))
            out[f"d{i}"] = (number == float(c)).sum() if finite else pl.lit(0, pl.UInt32)
    else:
        text = col.cast(pl.String).str.strip_chars().str.to_lowercase().alias("v")
        out["texts"] = text.filter(text.is_in(candidates)).value_counts(name="n").implode()
    return out


def _default_found(v: Mapping[str, Any], side: str, candidates: list[str]) -> list[int]:
    """Rows holding each candidate on one side ('reference:' or ''), whichever way they were counted."""
    if f"{side}texts" in v:
        counts = {row["v"]: int(row["n"]) for row in v[f"{side}texts"] or []}
        return [counts.get(c, 0) for c in candidates]
    return [int(v[f"{side}d{i}"]) for i in range(len(candidates))]


def plan_default(ctx: Context) -> list[Planned]:
    from mlaudit.stats.twosample import two_proportions

    out = []
    alpha = ctx.contract.drift.alpha
    for name in _features(ctx, DEFAULT):
        levels = ctx.levels(DEFAULT, name)
        declared = ctx.contract.features[name].sentinel
        dtype = ctx.current_schema[name]
        numeric = dtype.is_numeric() and ctx.reference_schema[name].is_numeric()
        pool = {d for d in USUAL_DEFAULTS if _norm_number(d) == d and (not numeric or _is_number(d))}
        shown_as: dict[str, str] = {}
        if declared is not None:
            own = _norm_number(_as_text(declared).strip().lower())
            pool.add(own)
            shown_as[own] = _as_text(declared)
        candidates = sorted(pool)
        cur_req = _default_counts(name, dtype, candidates)
        ref_req = _default_counts(name, ctx.reference_schema[name], candidates)

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels,
                   candidates: list[str] = candidates, shown_as: dict[str, str] = shown_as) -> CheckResult:
            n_ref, n_cur = int(v["reference:rows"]), int(v["rows"])
            if min(n_ref, n_cur) < MIN_VALUES:
                return result(DEFAULT, ctx, Status.skipped, f"'{name}': fewer than {MIN_VALUES} rows on a side "
                              f"(training {n_ref:,}, serving {n_cur:,})", column=name)
            nulls_before, nulls_after = int(v["reference:nulls"]) / n_ref, int(v["nulls"]) / n_cur
            best: tuple[str, float, float, float] | None = None
            found = zip(candidates, _default_found(v, "reference:", candidates), _default_found(v, "", candidates),
                        strict=True)
            for cand, k_ref, k_cur in found:
                change = k_cur / n_cur - k_ref / n_ref
                if abs(change) == 0 or two_proportions(k_ref, n_ref, k_cur, n_cur).p_value >= alpha:
                    continue  # not significant at drift.alpha: chance, not a pipeline change
                took_nulls = nulls_before - nulls_after >= 0.5 * change
                gave_nulls = nulls_after - nulls_before >= 0.5 * -change
                # a common value that merely grows or shrinks is drift; a default appears from (almost) nowhere,
                # replaces missing values, or is given way to them
                if change > 0 and not (k_ref / n_ref < 0.05 or took_nulls or cand in shown_as):
                    continue
                if change < 0 and not gave_nulls:
                    continue
                if best is None or abs(change) > abs(best[1]):
                    best = (cand, change, k_cur / n_cur, k_ref / n_ref)
            if best is None:
                return result(DEFAULT, ctx, Status.passed, f"'{name}': no default value took over serving rows",
                              column=name, value=0.0, levels=levels)
            value, change, after, before = best
            status = levels.grade(abs(change))
            shown = repr(shown_as.get(value, value))
            if change > 0:
                cause = (f"; missing values fell from {pct(nulls_before)} to {pct(nulls_after)}: serving sends "
                         f"{shown} where training had nulls") if nulls_before - nulls_after >= 0.5 * change else ""
            else:
                cause = (f"; missing values rose from {pct(nulls_before)} to {pct(nulls_after)}: serving sends "
                         f"nulls where training had {shown}") if nulls_after - nulls_before >= 0.5 * -change else ""
            msg = (f"'{name}': {shown} is {pct(after)} of serving rows, {pct(before)} of training rows{cause}; "
                   f"{limit_text(levels)}")
            return result(DEFAULT, ctx, status, msg, column=name, value=abs(change), levels=levels,
                          default=value, current_share=after, reference_share=before,
                          reference_null_share=nulls_before, current_null_share=nulls_after)

        out.append(Planned(column=name, requests=cur_req, reference_requests=ref_req, finish=finish))
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _norm_number(text: str) -> str:
    """'-1.0' -> '-1', so defaults match whatever the numeric type."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _empty_side(v: Mapping[str, Any], key: str, name: str, what: str = "non-missing",
                sides: tuple[str, ...] = ("reference:", "")) -> str | None:
    """Why `name` cannot be compared when a snapshot has no row ('rows' of a side is 0) or no usable value
    (`key` of a side is empty or 0), naming that snapshot; None when every side in `sides` has values."""
    for side in sides:
        role = "reference" if side else "current"
        if not int(v.get(f"{side}rows") or 0):
            return f"'{name}': the {role} snapshot has no rows"
        if not v.get(f"{side}{key}"):
            return f"'{name}': no {what} value in the {role} snapshot"
    return None


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def _canonical(text: str) -> str:
    return _PUNCT.sub("", text.casefold())


def plan_spelling(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, SPELLING):
        f = ctx.contract.features[name]
        if f.type not in (FeatureType.category, FeatureType.string) or not dtypes.matches(FeatureType.string,
                                                                                           ctx.current_schema[name]):
            continue
        levels = ctx.levels(SPELLING, name)
        counts = {"rows": pl.len(), "values": pl.col(name).cast(pl.String).drop_nulls()
                  .value_counts(name="__n").implode()}

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels) -> CheckResult:
            empty = _empty_side(v, "values", name)
            if empty:
                return result(SPELLING, ctx, Status.skipped, f"{empty}; no spellings to compare", column=name)
            known = {row[name] for row in v["reference:values"] or []}
            if len(known) > 10_000:
                return result(SPELLING, ctx, Status.skipped, f"'{name}': too many training categories to compare "
                              "spellings", column=name)
            canon = {_canonical(k): k for k in known}
            respelled: list[tuple[str, str, int]] = []
            for row in v["values"] or []:
                value = row[name]
                if value not in known and _canonical(value) in canon:
                    respelled.append((value, canon[_canonical(value)], int(row["__n"])))
            total = int(v["rows"])
            count = sum(n for _, _, n in respelled)
            value = count / total if total else 0.0
            status = levels.grade(value)
            respelled.sort(key=lambda t: (-t[2], t[0]))
            pairs = ", ".join(f"{a!r} for {b!r}" for a, b, _ in respelled[:3])
            msg = (f"'{name}': {count:,} serving rows ({pct(value)}) spell a training category differently"
                   f"{': ' + pairs if pairs else ''}; {limit_text(levels)}")
            return result(SPELLING, ctx, status, msg, column=name, value=value, levels=levels, count=count,
                          total=total, respellings=[[a, b, n] for a, b, n in respelled[:10]])

        out.append(Planned(column=name, requests=counts, reference_requests=counts, finish=finish))
    return out


def _rounded(name: str) -> dict[str, pl.Expr]:
    """Shares of whole and 2-decimal values among the finite ones, and their typical size. Masks, not
    filters: each filter copies the column, which made this check cost more than all drift statistics."""
    col = pl.col(name).cast(pl.Float64)
    finite = col.is_finite()
    n = finite.sum()

    def near(x: pl.Expr) -> pl.Expr:  # within float32 noise of a whole number
        return (x - x.round(0)).abs() <= 1e-6 * pl.max_horizontal(x.abs(), pl.lit(1.0))

    return {"whole": (near(col) & finite).sum() / n, "cents": (near(col * 100) & finite).sum() / n,
            "size": pl.when(finite).then(col.abs()).mean(), "n": n}


def plan_rounding(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, ROUNDING):
        f = ctx.contract.features[name]
        if f.type is not FeatureType.float or not _numeric(ctx, name):
            continue
        if not (ctx.current_schema[name].is_float() and ctx.reference_schema[name].is_float()):
            continue
        levels = ctx.levels(ROUNDING, name)

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels) -> CheckResult:
            raw_pairs = [(k, v.get(f"reference:{k}"), v.get(k)) for k in ("whole", "cents")]
            n_ref, n_cur = int(v.get("reference:n") or 0), int(v.get("n") or 0)
            if min(n_ref, n_cur) < MIN_VALUES:
                return result(ROUNDING, ctx, Status.skipped, f"'{name}': fewer than {MIN_VALUES} finite values on "
                              f"a side (training {n_ref:,}, serving {n_cur:,})", column=name)
            if any(r is None or c is None for _, r, c in raw_pairs):
                return result(ROUNDING, ctx, Status.skipped, f"'{name}': no finite values on one side",
                              column=name)
            pairs = [(k, float(r), float(c)) for k, r, c in raw_pairs]  # type: ignore[arg-type]
            kind, before, after = max(pairs, key=lambda t: t[2] - t[1])
            gain = after - before
            status = levels.grade(gain)
            r_size, c_size = v.get("reference:size"), v.get("size")
            if status is not Status.passed and r_size and c_size and c_size / r_size >= 9:
                msg = (f"'{name}': {pct(after)} of serving values are whole numbers, {pct(before)} of training "
                       f"values, but serving values are also about {c_size / r_size:.3g}x larger: a unit change "
                       "(see skew.unit_change), not rounding")
                return result(ROUNDING, ctx, Status.passed, msg, column=name, value=gain, levels=levels,
                              rounding=kind, reference_share=before, current_share=after, explained_by="unit")
            what = "whole numbers" if kind == "whole" else "2 decimals"
            msg = (f"'{name}': {pct(after)} of serving values are {what}, {pct(before)} of training values"
                   + (": rounded or truncated in serving?" if status is not Status.passed else "")
                   + f"; {limit_text(levels)}")
            return result(ROUNDING, ctx, status, msg, column=name, value=gain, levels=levels, rounding=kind,
                          reference_share=before, current_share=after)

        out.append(Planned(column=name, requests=_rounded(name), reference_requests=_rounded(name), finish=finish))
    return out


def plan_window(ctx: Context) -> list[Planned]:
    from mlaudit.contract.model import parse_duration

    out = []
    for name in _features(ctx, WINDOW):
        f = ctx.contract.features[name]
        if f.window is None or not _numeric(ctx, name):
            continue
        declared = parse_duration(f.window).total_seconds() / 86400
        levels = ctx.levels(WINDOW, name)
        finite = pl.col(name).cast(pl.Float64).filter(pl.col(name).cast(pl.Float64).is_finite())
        stats = {"median": finite.median(), "n": finite.len(), "rows": pl.len()}

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels, declared: float = declared,
                   window: str = f.window) -> CheckResult:
            empty = _empty_side(v, "n", name, "finite")
            if empty:
                return result(WINDOW, ctx, Status.skipped, f"{empty}; cannot compare windows", column=name)
            r, c = v.get("reference:median"), v.get("median")
            if not r or c is None or r <= 0 or c <= 0:
                return result(WINDOW, ctx, Status.skipped, f"'{name}': medians not positive on both sides; "
                              "cannot compare windows", column=name)
            ratio = c / r
            other = sorted((w for w in WINDOWS_DAYS if abs(w - declared) > 1e-9
                            and abs(ratio / (w / declared) - 1) <= 0.15),
                           key=lambda w: abs(math.log(ratio) - math.log(w / declared)))
            value = abs(math.log10(ratio)) if other else 0.0
            status = levels.grade(value)
            if status is Status.passed:
                msg = f"'{name}': serving values fit the declared {window} window (median ratio {ratio:.3g})"
            else:
                msg = (f"'{name}': serving values are {ratio:.3g}x training values, as a {other[0]:g}d window would "
                       f"give instead of the declared {window}: time-window mismatch?")
            return result(WINDOW, ctx, status, msg, column=name, value=value, levels=levels, median_ratio=ratio,
                          likely_window_days=other[0] if other else None)

        out.append(Planned(column=name, requests=stats, reference_requests=stats, finish=finish))
    return out


def _transform_evidence(transform: str, name: str) -> dict[str, pl.Expr]:
    """Per transform, what untransformed serving values look like."""
    col = pl.col(name).cast(pl.Float64)
    usable = col.filter(col.is_finite())
    counts = {"n": usable.len(), "rows": pl.len()}
    if transform == "onehot":
        return {"bad": (~usable.is_in([0.0, 1.0])).mean(), **counts}
    if transform == "minmax":
        return {"bad": ((usable < -1e-9) | (usable > 1 + 1e-9)).mean(), **counts}
    # no quantile: unused here, and each one in a query costs time growing with the feature count (see _raw)
    return {"mean": usable.mean(), "std": usable.std(), "median": usable.median(), **counts}


def _pow10(x: float) -> float:
    return float(10.0**x)


def plan_transform(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, TRANSFORM):
        f = ctx.contract.features[name]
        if f.transform is None or not _numeric(ctx, name):
            continue
        levels = ctx.levels(TRANSFORM, name)
        transform = f.transform
        requests = _transform_evidence(transform, name)

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels, transform: str = transform
                   ) -> CheckResult:
            # onehot, minmax and standardized judge serving values alone; a log scale compares with training's
            sides = ("",) if transform in ("onehot", "minmax", "standardized") else ("reference:", "")
            empty = _empty_side(v, "n", name, "finite", sides)
            if empty:
                return result(TRANSFORM, ctx, Status.skipped, f"{empty}; cannot tell whether the {transform} "
                              "transform was applied", column=name)
            if transform in ("onehot", "minmax"):
                bad = float(v.get("bad") or 0.0)
                rule = "0 or 1" if transform == "onehot" else "within [0, 1]"
                status = levels.grade(bad)
                msg = f"'{name}': {pct(bad)} of serving values are not {rule} ({transform}); {limit_text(levels)}"
                return result(TRANSFORM, ctx, status, msg, column=name, value=bad, levels=levels)
            if transform == "standardized":
                mean, std = v.get("mean"), v.get("std")
                if mean is None or std is None:
                    return result(TRANSFORM, ctx, Status.skipped, f"'{name}': too few serving values for a mean "
                                  "and a standard deviation; cannot tell whether the standardized transform was "
                                  "applied", column=name)
                off = mean is not None and std is not None and (abs(mean) > 3 or not 1 / 3 < std < 3)
                status = levels.grade(1.0 if off else 0.0)
                msg = (f"'{name}': serving mean {mean:.4g}, sd {std:.4g}: not standardized as in training"
                       if off else f"'{name}': serving values look standardized (mean {mean}, sd {std})")
                return result(TRANSFORM, ctx, status, msg, column=name, value=1.0 if off else 0.0, levels=levels)
            inverse = {"log": math.exp, "log1p": math.expm1, "log10": _pow10}[transform]
            r50, c50 = v.get("reference:median"), v.get("median")
            raw = False
            if r50 is not None and c50 is not None and c50 > 0 and abs(r50) < 700:
                expected = inverse(r50)
                raw = expected > 0 and abs(math.log(c50 / expected)) < abs(math.log(2)) and abs(c50 - r50) > 1
            status = levels.grade(1.0 if raw else 0.0)
            msg = (f"'{name}': serving median {c50:.4g} is what {transform}-scaled training (median {r50:.4g}) "
                   f"gives before the transform: serving sends raw values?" if raw else
                   f"'{name}': serving values are on the {transform} scale of training")
            return result(TRANSFORM, ctx, status, msg, column=name, value=1.0 if raw else 0.0, levels=levels)

        out.append(Planned(column=name, requests=requests, reference_requests=requests, finish=finish))
    return out


PLANNERS = {WINDOW.id: plan_window, TRANSFORM.id: plan_transform, TYPE.id: plan_type, UNIT.id: plan_unit,
            DEFAULT.id: plan_default, SPELLING.id: plan_spelling,
            ROUNDING.id: plan_rounding}
