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

import polars as pl

from mlaudit import dtypes
from mlaudit.checks.base import CheckSpec, Context, Planned, limit_text, pct, result
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
TOP = 5


def _numeric(ctx: Context, name: str) -> bool:
    return ctx.current_schema[name].is_numeric() and ctx.reference_schema[name].is_numeric()


def _features(ctx: Context, spec: CheckSpec) -> list[str]:
    return [n for n in ctx.contract.features if n in ctx.current_schema and n in ctx.reference_schema
            and ctx.levels(spec, n).enabled]


def _describe_type_change(ref: pl.DataType, cur: pl.DataType) -> str | None:
    """The cause of a type difference, or None when the types are the same for every purpose."""
    if ref == cur:
        return None
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


LEVELS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 5%, 10%, ... 95%


def _quantiles(name: str) -> dict[str, pl.Expr]:
    col = pl.col(name).cast(pl.Float64)
    usable = col.filter(col.is_finite())
    out = {f"q{round(q * 100)}": usable.quantile(q) for q in LEVELS}
    out["n"] = usable.len()
    return out


def _candidates() -> list[float]:
    return sorted({f for known in KNOWN_FACTORS for f in (known, 1 / known)})


def _inside(points: list[float], lo: float, hi: float, factor: float) -> float:
    """Share of `points` / factor inside [lo, hi] (with a 1% margin)."""
    margin = 0.01 * (hi - lo) if hi > lo else 0.01 * max(abs(lo), 1e-12)
    return sum(lo - margin <= p / factor <= hi + margin for p in points) / len(points)


def plan_unit(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, UNIT):
        f = ctx.contract.features[name]
        if f.type not in (FeatureType.float, FeatureType.int) or not _numeric(ctx, name):
            continue
        levels = ctx.levels(UNIT, name)

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels) -> CheckResult:
            keys = [f"q{round(q * 100)}" for q in LEVELS]
            ref = [v.get(f"reference:{k}") for k in keys]
            cur = [v.get(k) for k in keys]
            if not v.get("n") or not v.get("reference:n") or any(x is None for x in ref + cur):
                return result(UNIT, ctx, Status.skipped, f"'{name}': no finite values on one side", column=name)
            lo, hi = float(ref[0]), float(ref[-1])  # type: ignore[arg-type]
            points = [float(x) for x in cur]  # type: ignore[arg-type]
            raw = _inside(points, lo, hi, 1.0)
            factor, best = max(((c, _inside(points, lo, hi, c)) for c in _candidates()), key=lambda t: t[1])
            rescued = max(0.0, best - raw)
            status = levels.grade(rescued)
            shown = f"{factor:g}" if factor >= 1 else f"1/{1 / factor:g}"
            r50, c50 = float(ref[9]), float(cur[9])  # type: ignore[arg-type]
            if status is Status.passed:
                msg = (f"'{name}': serving values sit in the training range as they are ({raw:.0%} of quantiles "
                       "inside)")
            else:
                whole = "" if raw < 0.1 else " for part of the rows"
                msg = (f"'{name}': serving values are {shown}x training values{whole}: median {r50:.4g} -> "
                       f"{c50:.4g}; {best:.0%} of serving quantiles fall in the training range once divided "
                       f"by {shown}, {raw:.0%} before: unit change?")
            return result(UNIT, ctx, status, msg, column=name, value=rescued, levels=levels, factor=factor,
                          inside_before=raw, inside_after=best)

        out.append(Planned(column=name, requests=_quantiles(name), reference_requests=_quantiles(name),
                           finish=finish))
    return out


def _top(name: str) -> dict[str, pl.Expr]:
    text = pl.col(name).cast(pl.String)
    return {"rows": pl.len(), "nulls": pl.col(name).is_null().sum(),
            "top": text.drop_nulls().value_counts(sort=True, name="__n").head(TOP).implode()}


def plan_default(ctx: Context) -> list[Planned]:
    out = []
    for name in _features(ctx, DEFAULT):
        levels = ctx.levels(DEFAULT, name)
        declared = ctx.contract.features[name].sentinel
        usual = USUAL_DEFAULTS | ({_norm_number(_as_text(declared).strip().lower())} if declared is not None else set())

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels, usual: set[str] = usual
                   ) -> CheckResult:
            n_ref, n_cur = int(v["reference:rows"]), int(v["rows"])
            if not n_ref or not n_cur:
                return result(DEFAULT, ctx, Status.skipped, f"'{name}': a snapshot is empty", column=name)
            ref_share = {row[name]: int(row["__n"]) / n_ref for row in v["reference:top"] or []}
            best = None
            for row in v["top"] or []:
                value, share = row[name], int(row["__n"]) / n_cur
                before = ref_share.get(value, 0.0)
                if _norm_number(str(value).strip().lower()) not in usual:
                    continue
                gain = share - before
                if best is None or gain > best[2]:
                    best = (value, share, gain, before)
            nulls_before, nulls_after = int(v["reference:nulls"]) / n_ref, int(v["nulls"]) / n_cur
            if best is None or best[2] <= 0:
                return result(DEFAULT, ctx, Status.passed, f"'{name}': no default value took over serving rows",
                              column=name, value=0.0, levels=levels)
            value, share, gain, before = best
            status = levels.grade(gain)
            cause = ""
            if nulls_before - nulls_after >= 0.5 * gain:
                cause = (f"; missing values fell from {pct(nulls_before)} to {pct(nulls_after)}: serving sends "
                         f"{value!r} where training had nulls")
            msg = (f"'{name}': {value!r} is {pct(share)} of serving rows, {pct(before)} of training rows"
                   f"{cause}; {limit_text(levels)}")
            return result(DEFAULT, ctx, status, msg, column=name, value=gain, levels=levels, default=str(value),
                          current_share=share, reference_share=before, reference_null_share=nulls_before,
                          current_null_share=nulls_after)

        out.append(Planned(column=name, requests=_top(name), reference_requests=_top(name), finish=finish))
    return out


def _norm_number(text: str) -> str:
    """'-1.0' -> '-1', so defaults match whatever the numeric type."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


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
    col = pl.col(name).cast(pl.Float64)
    usable = col.filter(col.is_finite())
    return {"whole": (usable == usable.round(0)).mean(), "cents": ((usable * 100) == (usable * 100).round(0)).mean(),
            "median": usable.median()}


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
            if any(r is None or c is None for _, r, c in raw_pairs):
                return result(ROUNDING, ctx, Status.skipped, f"'{name}': no finite values on one side",
                              column=name)
            pairs = [(k, float(r), float(c)) for k, r, c in raw_pairs]  # type: ignore[arg-type]
            kind, before, after = max(pairs, key=lambda t: t[2] - t[1])
            gain = after - before
            status = levels.grade(gain)
            r_med, c_med = v.get("reference:median"), v.get("median")
            if status is not Status.passed and r_med and c_med and abs(c_med / r_med) >= 9:
                msg = (f"'{name}': {pct(after)} of serving values are whole numbers, {pct(before)} of training "
                       f"values, but serving values are also about {abs(c_med / r_med):.3g}x larger: a unit change "
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
        stats = {"median": pl.col(name).cast(pl.Float64).filter(pl.col(name).cast(pl.Float64).is_finite()).median()}

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels, declared: float = declared,
                   window: str = f.window) -> CheckResult:
            r, c = v.get("reference:median"), v.get("median")
            if not r or c is None or r <= 0 or c <= 0:
                return result(WINDOW, ctx, Status.skipped, f"'{name}': medians not positive on both sides; "
                              "cannot compare windows", column=name)
            ratio = c / r
            other = [w for w in WINDOWS_DAYS if abs(w - declared) > 1e-9 and abs(ratio / (w / declared) - 1) <= 0.15]
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
    if transform == "onehot":
        return {"bad": (~usable.is_in([0.0, 1.0])).mean()}
    if transform == "minmax":
        return {"bad": ((usable < -1e-9) | (usable > 1 + 1e-9)).mean()}
    return {"mean": usable.mean(), "std": usable.std(), "median": usable.median(), "p95": usable.quantile(0.95)}


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
            if transform in ("onehot", "minmax"):
                bad = float(v.get("bad") or 0.0)
                rule = "0 or 1" if transform == "onehot" else "within [0, 1]"
                status = levels.grade(bad)
                msg = f"'{name}': {pct(bad)} of serving values are not {rule} ({transform}); {limit_text(levels)}"
                return result(TRANSFORM, ctx, status, msg, column=name, value=bad, levels=levels)
            if transform == "standardized":
                mean, std = v.get("mean"), v.get("std")
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
