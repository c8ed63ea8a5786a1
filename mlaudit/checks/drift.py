"""Data drift: per-feature distribution and missing-share drift, label, prediction and decision
drift, dataset-level drift, and when each began (per chunk of the current snapshot).

The decision rule (see docs/drift.md): a drift finding needs BOTH an effect
size above its warn or fail level AND a p-value below `drift.alpha` after
correction across all features (Benjamini-Hochberg by default). The effect
size keeps huge samples from flagging differences nobody cares about; the
test keeps small samples from flagging noise that inflates every distance.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from mlaudit.checks.base import COLUMN_KEY, CheckSpec, Context, Levels, Part, Planned, result, skipped
from mlaudit.checks.chunks import Chunking, chunking
from mlaudit.checks.validation import missing_expr
from mlaudit.contract.model import DriftSettings, FeatureType, Importance
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats import compare, twosample

D = FailureMode.data_drift
MB = OwnerArea.model_behavior

#: Default (warn, fail) levels of each effect size.
METHOD_LEVELS: dict[str, tuple[float, float]] = {
    "wasserstein": (0.1, 0.2),
    "ks": (0.1, 0.2),
    "psi": (0.1, 0.25),
    "jensen_shannon": (0.1, 0.2),
    "hellinger": (0.1, 0.2),
    "linf": (0.05, 0.1),
    "chi_square": (0.1, 0.2),
}
NUMERIC_ONLY = {"wasserstein", "ks"}
CATEGORICAL_ONLY = {"chi_square"}

FEATURE = CheckSpec(
    "drift.feature", D, MB,
    "Distribution of a feature's non-missing values moved from the reference: effect size above its level "
    "and significant after correction (default Wasserstein/sd for numbers, Jensen-Shannon for categories).",
    statistic="distance", warn=None, fail=None, methods=tuple(METHOD_LEVELS),
)
NULL_SHARE = CheckSpec(
    "drift.null_share", D, OwnerArea.data_quality,
    "Share of missing values (null, NaN, sentinel) changed from the reference: absolute change above its "
    "level and significant after correction.",
    statistic="null_share_change", warn=0.05, fail=0.1,
)
DATASET = CheckSpec(
    "drift.dataset", D, MB,
    "Importance-weighted share of features with drift (distribution or missing share); high counts 3, "
    "medium 2, low 1, a number as given.",
    statistic="drifted_weight_share", warn=0.1, fail=0.3, per_feature=False,
)
LABEL = CheckSpec(
    "drift.label", D, MB,
    "Label distribution (prior) moved between the reference and the current outcomes: largest change in a "
    "class share (classification) or Wasserstein/sd (regression), significant at drift.alpha.",
    statistic="distance", warn=0.02, fail=0.05, per_feature=False, methods=tuple(METHOD_LEVELS),
)
PREDICTION = CheckSpec(
    "drift.prediction", D, MB,
    "Score (or predicted class) distribution moved from the reference: Wasserstein/sd for scores, largest "
    "change in a class share for classes, significant at drift.alpha.",
    statistic="distance", warn=0.1, fail=0.2, per_feature=False, methods=tuple(METHOD_LEVELS),
)
DECISION = CheckSpec(
    "drift.decision", D, OwnerArea.decision_impact,
    "Rate of each decision moved from the reference (largest change in a decision's share), significant at "
    "drift.alpha.",
    statistic="distance", warn=0.02, fail=0.05, per_feature=False, methods=tuple(METHOD_LEVELS),
)

SPECS = (FEATURE, NULL_SHARE, DATASET, LABEL, PREDICTION, DECISION)

#: Name of the count field in value_counts results: private, so a column called 'count' cannot clash.
N = "__mlaudit_n"

_WEIGHTS = {Importance.high: 3.0, Importance.medium: 2.0, Importance.low: 1.0}


@dataclass(frozen=True)
class _Target:
    """One column to compare and how."""

    column: str
    kind: str  # numeric | categorical
    method: str
    levels: Levels
    sentinel: Any = None
    feature_enabled: bool = True
    """False when drift.feature is turned off for this column but drift.null_share is not."""


def _kind(dtype: pl.DataType, declared: FeatureType | None) -> str | None:
    if declared in (FeatureType.category, FeatureType.bool) or dtype == pl.Boolean:
        return "categorical"
    if declared is FeatureType.string or isinstance(dtype, pl.Datetime) or dtype in (pl.Date,):
        return None
    if dtype.is_numeric():
        return "numeric"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "categorical"
    return None


def _method(ctx: Context, spec: CheckSpec, feature: str | None, kind: str, default: str) -> tuple[str, str]:
    """(method, error): a per-feature method must fit the column; a contract-wide one applies where it fits."""
    own = ctx.contract.features[feature].checks.get(spec.id) if feature in ctx.contract.features else None
    wide = ctx.contract.thresholds.get(spec.id)
    misfit = NUMERIC_ONLY if kind == "categorical" else CATEGORICAL_ONLY
    if own is not None and own.method is not None:
        if own.method in misfit:
            return default, f"method {own.method} does not apply to {kind} columns"
        return own.method, ""
    if wide is not None and wide.method is not None and wide.method not in misfit:
        return wide.method, ""
    return default, ""


def _requests(target: _Target, schema: Mapping[str, pl.DataType], chunks: Chunking | None,
              prefix: str, whole: bool = False) -> dict[str, pl.Expr]:
    """Expressions giving the target's category counts and missing count or, for numbers, its raw values
    as floats (missing as NaN): numpy drops the missing values and sorts the rest in
    the reducing thread (prepare), several times faster than polars filtering and sorting them. `whole`:
    the raw values as a whole-column request of a part (base.COLUMN_KEY), else as one list."""
    name = target.column
    missing = missing_expr(name, schema[name], target.sentinel)
    if schema[name].is_float():
        missing = missing | pl.col(name).is_infinite()  # no position on the line: compared as missing
    valid = ~missing
    out: dict[str, pl.Expr] = {}
    if target.kind == "numeric":
        raw = pl.col(name) if target.sentinel is None else pl.when(missing).then(None).otherwise(pl.col(name))
        # NaN, not null: a float column without nulls reaches numpy without a copy under the interpreter lock
        as_float = raw.cast(pl.Float64).fill_null(float("nan"))
        if whole:
            out[f"{COLUMN_KEY}{prefix}raw"] = as_float
        else:
            out[f"{prefix}raw"] = as_float.implode()
    else:
        out[f"{prefix}n"] = pl.len()
        out[f"{prefix}missing"] = missing.sum()
        out[f"{prefix}counts"] = _category_counts(name, schema[name], valid)
    if chunks is not None:
        out[f"{prefix}chunk_rows"] = chunks.key.value_counts(name=N).implode()
        out[f"{prefix}chunk_missing"] = chunks.key.filter(missing).value_counts(name=N).implode()
        if target.kind == "numeric":
            out[f"{prefix}chunk_values"] = pl.col(name).filter(valid).cast(pl.Float64).implode()
            out[f"{prefix}chunk_keys"] = chunks.key.filter(valid).implode()
        else:
            pair = pl.struct(chunks.key.filter(valid).alias("k"), pl.col(name).filter(valid).cast(pl.String).alias("v"))
            out[f"{prefix}chunk_counts"] = pair.value_counts(name=N).implode()
    return out


def _category_counts(name: str, dtype: pl.DataType, valid: pl.Expr) -> pl.Expr:
    """Counts of each valid value, keyed by its text. Counted on the native values and the few distinct keys
    cast afterwards: casting a million integers to text first costs more than the counting. Floats are
    cast first, so that 0.0 and -0.0 stay two categories as their texts are."""
    values = pl.col(name).filter(valid)
    if dtype.is_float():
        return values.cast(pl.String).value_counts(name=N).implode()
    return values.value_counts(name=N).struct.with_fields(pl.field(name).cast(pl.String)).implode()


def _counts(pairs: list[dict[str, Any]], key: str) -> dict[Any, int]:
    """value_counts() rows -> {value: count}."""
    return {row[key]: int(row[N]) for row in pairs or []}


def _compare(target: _Target, ref: Mapping[str, Any], cur: Mapping[str, Any], bins: int,
             edges: Any = None, ref_scale: float | None = None) -> compare.Comparison:
    if target.kind == "numeric":
        profile = ref.get("profile")
        if profile is not None and edges is None:  # the exact reference summaries of a profile
            return compare.numeric(np.asarray(ref["values"], dtype=np.float64),
                                   np.asarray(cur["values"], dtype=np.float64), bins, profile["scale"],
                                   np.asarray(profile["edges"], dtype=np.float64), ref_n=profile["n_valid"],
                                   ref_counts=np.asarray(profile["bin_counts"], dtype=np.int64),
                                   ref_summary=profile["summary"])
        return compare.numeric(np.asarray(ref["values"], dtype=np.float64),
                               np.asarray(cur["values"], dtype=np.float64), bins, ref_scale, edges)
    return compare.categorical(_counts(ref["counts"], target.column), _counts(cur["counts"], target.column))


def _correct(p_values: list[float], how: str) -> list[float]:
    if not p_values:
        return []
    if how == "benjamini_hochberg":
        return [float(x) for x in twosample.benjamini_hochberg(p_values)]
    if how == "bonferroni":
        return [float(x) for x in twosample.bonferroni(p_values)]
    return list(p_values)


def _judge(levels: Levels, effect: float, p_adjusted: float, alpha: float) -> Status:
    """Both conditions: effect above a level and significance after correction."""
    if not np.isfinite(effect):
        return Status.error
    graded = levels.grade(effect)
    if graded is Status.passed or not (p_adjusted < alpha):
        return Status.passed
    return graded


@dataclass
class _Outcome:
    """Everything computed for one target, before results are built."""

    target: _Target
    comparison: compare.Comparison | None
    reason: str
    null_ref: tuple[int, int]
    null_cur: tuple[int, int]
    null_test: twosample.TestResult | None = None
    null_reason: str = ""
    """Why the missing share was not tested (null_test is None)."""
    points: list[dict[str, Any]] = field(default_factory=list)
    """Per-chunk comparisons (with --chunk); p-values are corrected later, across every chunk test."""
    chunk_tests: list[tuple[int, str, float]] = field(default_factory=list)


def _null_pair(values: Mapping[str, Any], prefix: str) -> tuple[int, int]:
    return int(values.get(f"{prefix}missing") or 0), int(values.get(f"{prefix}n") or 0)


def prepare(values: dict[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`values` (with `extra` added) with each side's raw numbers turned into its row count, missing count
    (null, NaN, infinite, sentinel) and sorted non-missing values; a profile's sketch (already sorted,
    counts given) is sorted again, which costs little. The raw arrays are taken out of `values` itself, so
    each is freed as soon as its sorted copy exists (at 10M rows, 80 MB a side)."""
    raws = {side: values.pop(f"{side}raw", None) for side in ("", "reference:")}
    out = {**values, **(extra or {})}
    for side in ("", "reference:"):
        raw = raws.pop(side)
        if raw is not None:
            # one sort of everything: NaN goes last and infinities sit at the ends, so the non-missing values
            # are a slice of it, without a pass to find them and a copy to gather them
            ordered = _sorted(raw)
            del raw
            lo = int(np.searchsorted(ordered, -np.inf, side="right"))
            hi = int(np.searchsorted(ordered, np.inf, side="left"))  # NaN sorts after +inf
            out[f"{side}n"], out[f"{side}missing"] = ordered.size, ordered.size - (hi - lo)
            out[f"{side}values"] = ordered[lo:hi]
        elif out.get(f"{side}values") is not None:
            out[f"{side}values"] = np.sort(np.asarray(out[f"{side}values"], dtype=np.float64))
    return out


def _sorted(raw: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The values sorted (NaN last) in an array of their own. A polars column is copied once, into a
    writable array (its zero-copy view is read-only), and sorted in place: np.sort would copy it again."""
    if isinstance(raw, pl.Series):
        ordered: np.ndarray[Any, np.dtype[np.float64]] = raw.to_numpy(writable=True)
        ordered.sort()
        return ordered
    return np.sort(np.asarray(raw, dtype=np.float64))


def _evaluate(target: _Target, values: Mapping[str, Any], bins: int, min_rows: int) -> _Outcome:
    """Compare one target; `values` must hold sorted numeric values (prepare)."""
    ref = {k.removeprefix("reference:"): v for k, v in values.items() if k.startswith("reference:")}
    cur = {k: v for k, v in values.items() if not k.startswith("reference:")}
    null_ref, null_cur = _null_pair(ref, ""), _null_pair(cur, "")
    out = _Outcome(target, None, "", null_ref, null_cur)
    if min(null_ref[1], null_cur[1]) < max(min_rows, 1):
        empty = [role for role, n in (("reference", null_ref[1]), ("current", null_cur[1])) if not n]
        out.null_reason = (f"the {' and the '.join(empty)} snapshot{'s have' if len(empty) > 1 else ' has'} no rows"
                           if empty else
                           f"too few rows to judge a change in the missing share (reference {null_ref[1]:,}, "
                           f"current {null_cur[1]:,}; drift.min_rows is {min_rows:,})")
    else:
        out.null_test = twosample.two_proportions(null_ref[0], null_ref[1], null_cur[0], null_cur[1])
    n_ref, n_cur = null_ref[1] - null_ref[0], null_cur[1] - null_cur[0]
    if min(n_ref, n_cur) < min_rows:
        out.reason = (f"too few non-missing values to judge drift (reference {n_ref:,}, current {n_cur:,}; "
                      f"drift.min_rows is {min_rows:,})")
        return out
    out.comparison = _compare(target, ref, cur, bins)
    return out


def _describe(c: compare.Comparison, method: str) -> str:
    """One sentence on what moved."""
    if c.kind == "numeric":
        r, q = c.explain["reference"], c.explain["current"]
        if not r or not q:
            return ""
        return (f"mean {r['mean']:.4g} -> {q['mean']:.4g}, median {r['p50']:.4g} -> {q['p50']:.4g}, "
                f"p95 {r['p95']:.4g} -> {q['p95']:.4g}")
    e = c.explain
    parts = []
    if e["new_categories"]:
        parts.append(f"{e['new_category_share']:.1%} of current rows in new categories "
                     f"({', '.join(repr(x) for x in e['new_categories'][:3])})")
    if e["vanished_categories"]:
        parts.append(f"vanished: {', '.join(repr(x) for x in e['vanished_categories'][:3])}")
    if e["top_bins"]:
        top = e["top_bins"][0]
        parts.append(f"'{top['bin']}' {top['reference_share']:.1%} -> {top['current_share']:.1%}")
    return "; ".join(parts)


def _feature_result(ctx: Context, spec: CheckSpec, o: _Outcome, p_adj: float, alpha: float,
                    series: list[dict[str, Any]] | None, corrected: bool = True) -> CheckResult:
    t, c = o.target, o.comparison
    if c is None:
        return result(spec, ctx, Status.skipped, o.reason, column=t.column, levels=t.levels)
    effect = c.distance(t.method)
    problem = str(c.explain.get("problem") or "")
    status = _judge(t.levels, effect, p_adj, alpha)
    if status is not Status.error and not np.isfinite(c.p_value):
        # the test cannot run on these counts: a pass would claim what nobody checked
        why = problem or f"{c.test} gives no p-value at these sizes"
        msg = (f"'{t.column}': cannot test for drift: {why} ({t.method} {effect:.4g}; n {c.ref_n:,} vs "
               f"{c.cur_n:,}); {_describe(c, t.method)}")
        return result(spec, ctx, Status.skipped, msg, column=t.column, levels=t.levels, method=t.method,
                      distance=effect, test=c.test, reference_n=c.ref_n, current_n=c.cur_n, explain=c.explain)
    verdict = {Status.passed: "no drift", Status.warn: "drift", Status.fail: "drift",
               Status.error: f"cannot judge ({problem})" if problem else "cannot judge"}[status]
    significance = f"{c.test} p={p_adj:.3g}" + (" after correction" if corrected else "")
    if status is Status.passed and t.levels.grade(effect) is not Status.passed:
        verdict = "no significant drift"
    onset = _onset(series)
    tail = f"; began in chunk {onset}" if onset and status in (Status.warn, Status.fail) else ""
    level = ", ".join(part for part in (
        f"warn above {t.levels.warn:g}" if t.levels.warn is not None else "",
        f"fail above {t.levels.fail:g}" if t.levels.fail is not None else "") if part)
    msg = (f"'{t.column}': {verdict}: {t.method} {effect:.4g} ({level}; {significance}; n {c.ref_n:,} vs "
           f"{c.cur_n:,}); {_describe(c, t.method)}{tail}")
    details: dict[str, Any] = {
        "method": t.method, "p_value": c.p_value, "p_value_adjusted": p_adj, "test": c.test,
        "reference_n": c.ref_n, "current_n": c.cur_n, "statistics": c.statistics,
        "bins": c.labels, "reference_counts": c.ref_counts, "current_counts": c.cur_counts,
        "explain": c.explain, "onset": onset, "series": series or [],
    }
    return result(spec, ctx, status, msg, column=t.column, value=effect, levels=t.levels, **details)


def _null_result(ctx: Context, o: _Outcome, levels: Levels, p_adj: float, alpha: float,
                 series: list[dict[str, Any]] | None) -> CheckResult:
    t, test = o.target, o.null_test
    if test is None:
        return result(NULL_SHARE, ctx, Status.skipped, f"'{t.column}': {o.null_reason or 'a snapshot is empty'}",
                      column=t.column, levels=levels)
    before = o.null_ref[0] / o.null_ref[1]
    after = o.null_cur[0] / o.null_cur[1]
    change = abs(test.statistic)
    status = _judge(levels, change, p_adj, alpha)
    onset = _onset(series, key="null_status")
    tail = f"; began in chunk {onset}" if onset and status in (Status.warn, Status.fail) else ""
    msg = (f"'{t.column}': missing share {before:.2%} -> {after:.2%} (change {change:.2%}; fail above "
           f"{levels.fail:.0%}, warn above {levels.warn:.0%}; p={p_adj:.3g} after correction){tail}"
           if levels.fail is not None and levels.warn is not None else
           f"'{t.column}': missing share {before:.2%} -> {after:.2%} (p={p_adj:.3g} after correction){tail}")
    return result(NULL_SHARE, ctx, status, msg, column=t.column, value=change, levels=levels,
                  reference_share=before, current_share=after, p_value=test.p_value, p_value_adjusted=p_adj,
                  onset=onset)


def _onset(series: list[dict[str, Any]] | None, key: str = "status") -> str | None:
    for point in series or []:
        if point.get(key) in ("warn", "fail"):
            return str(point["chunk"])
    return None


def _chunk_points(o: _Outcome, v: Mapping[str, Any], chunks: Chunking, bins: int, min_rows: int) -> None:
    """Compare each chunk of the current snapshot with the whole reference (same bins and scale)."""
    if o.comparison is None:
        return
    rows = {k: n for k, n in _counts_any(v["chunk_rows"]).items() if k is not None}
    missing = _counts_any(v["chunk_missing"])
    groups = _chunk_groups(o.target, v)
    ref = {k.removeprefix("reference:"): x for k, x in v.items() if k.startswith("reference:")}
    if o.target.kind == "numeric":
        ref["values"] = _sketch(np.asarray(ref["values"], dtype=np.float64))
    edges = np.asarray(o.comparison.explain.get("edges", []), dtype=np.float64)
    scale = o.comparison.explain.get("scale")
    ref_n_missing, ref_n = o.null_ref
    for key in sorted(rows):
        point: dict[str, Any] = {"chunk": chunks.label(key), "rows": rows[key]}
        n_missing = missing.get(key, 0)
        point["null_share"] = n_missing / rows[key] if rows[key] else None
        null_test = twosample.two_proportions(ref_n_missing, ref_n, n_missing, rows[key])
        o.chunk_tests.append((len(o.points), "null", null_test.p_value))
        point["null_change"] = abs(null_test.statistic)
        cur = groups.get(key)
        if cur is not None and _size(o.target, cur) >= min_rows:
            c = _compare(o.target, ref, cur, bins, edges if o.target.kind == "numeric" else None, scale)
            point["value"] = c.distance(o.target.method)
            o.chunk_tests.append((len(o.points), "feature", c.p_value))
        else:
            point["value"] = None
        o.points.append(point)


#: Per-chunk comparisons use this many reference order statistics, not every reference value: each chunk
#: would otherwise merge with the whole reference (hours for hourly chunks of a large reference). The
#: Kolmogorov-Smirnov statistic moves by at most 1/CHUNK_SKETCH, and its p-value, computed as if the
#: reference had CHUNK_SKETCH rows, is conservative.
CHUNK_SKETCH = 20_000


def _sketch(sorted_values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Evenly spaced order statistics (a quantile summary) of a sorted array, ends included."""
    n = sorted_values.size
    if n <= CHUNK_SKETCH:
        return sorted_values
    return np.asarray(sorted_values[np.linspace(0, n - 1, CHUNK_SKETCH).round().astype(np.int64)])


def _judge_chunks(outcomes: list[_Outcome], alpha: float, how: str, null_levels: list[Levels]) -> None:
    """Correct every chunk test of every feature as one family, then give each point its statuses."""
    tests = [(o, index, kind, p) for o in outcomes for index, kind, p in o.chunk_tests]
    adjusted = _correct([t[3] for t in tests], how)
    levels_of = {id(o): nl for o, nl in zip(outcomes, null_levels, strict=True)}
    for (o, index, kind, _), p_adj in zip(tests, adjusted, strict=True):
        point = o.points[index]
        if kind == "feature":
            point["p_value_adjusted"] = p_adj
            point["status"] = _judge(o.target.levels, point["value"], p_adj, alpha).value
        else:
            point["null_p_value_adjusted"] = p_adj
            point["null_status"] = _judge(levels_of[id(o)], point["null_change"], p_adj, alpha).value


def _counts_any(pairs: list[dict[str, Any]] | None) -> dict[Any, int]:
    """value_counts() rows of an unnamed key -> {key: count}."""
    out: dict[Any, int] = {}
    for row in pairs or []:
        key = next(v for k, v in row.items() if k != N)
        out[key] = int(row[N])
    return out


def _size(target: _Target, cur: Mapping[str, Any]) -> int:
    if target.kind == "numeric":
        return int(np.asarray(cur["values"]).size)
    return sum(int(r[N]) for r in cur["counts"])


def _chunk_groups(target: _Target, v: Mapping[str, Any]) -> dict[Any, dict[str, Any]]:
    """Current values grouped by chunk, in the shape `_compare` takes."""
    if target.kind == "numeric":
        keys = pl.Series(v["chunk_keys"])
        known = keys.is_not_null().to_numpy()
        vals = np.asarray(v["chunk_values"], dtype=np.float64)[known]
        keys = keys.filter(keys.is_not_null())
        codes, uniques = keys.rank("dense").cast(pl.Int64).to_numpy() - 1, keys.unique().sort()
        order = np.lexsort((vals, codes))
        vals, codes = vals[order], codes[order]
        bounds = np.searchsorted(codes, np.arange(len(uniques) + 1))
        return {uniques[i]: {"values": vals[bounds[i]:bounds[i + 1]]} for i in range(len(uniques))}
    groups: dict[Any, dict[str, Any]] = {}
    for row in v["chunk_counts"] or []:
        pair = row[next(k for k in row if k != N)]
        if pair["k"] is None:
            continue
        groups.setdefault(pair["k"], {"counts": []})["counts"].append({target.column: pair["v"],
                                                                         N: row[N]})
    return groups


def _targets(ctx: Context) -> tuple[list[_Target], list[Planned], list[str]]:
    """(columns to compare, results known at plan time, features drift should judge but cannot: missing from a
    snapshot, types that differ, a method that does not fit; string and timestamp features are not among them,
    as drift does not compare those by design)."""
    targets: list[_Target] = []
    skips: list[Planned] = []
    unjudged: list[str] = []
    for name, f in ctx.contract.features.items():
        feature_on = ctx.levels(FEATURE, name).enabled
        if not feature_on and not ctx.levels(NULL_SHARE, name).enabled:
            continue
        if name not in ctx.current_schema or name not in ctx.reference_schema:
            if feature_on:  # a turned-off check reports nothing, not even that it could not run
                skips.append(skipped(FEATURE, ctx, "column missing from a snapshot", name))
                unjudged.append(name)
            continue
        ref_kind = _kind(ctx.reference_schema[name], f.type)
        # an all-null column has polars' Null type: it is the reference's kind, entirely missing
        kind = ref_kind if ctx.current_schema[name] == pl.Null else _kind(ctx.current_schema[name], f.type)
        if kind is None or kind != ref_kind:
            why = ("string and timestamp features are not compared; declare type: category to compare values"
                   if kind is None else "column types differ between the snapshots (see validation.schema)")
            if feature_on:
                skips.append(skipped(FEATURE, ctx, why, name))
                if kind is not None:
                    unjudged.append(name)
            continue
        method, error = _method(ctx, FEATURE, name, kind, "wasserstein" if kind == "numeric" else "jensen_shannon")
        if error:
            skips.append(Planned(column=name, ready=result(FEATURE, ctx, Status.error, f"'{name}': {error}",
                                                           column=name)))
            unjudged.append(name)
            continue
        levels = ctx.levels(FEATURE, name, defaults=METHOD_LEVELS[method])
        targets.append(_Target(name, kind, method, levels, f.sentinel, feature_on))
    return targets, skips, unjudged


def _weight(ctx: Context, name: str) -> float:
    imp = ctx.contract.features[name].importance
    if imp is None:
        return 1.0
    return _WEIGHTS[imp] if isinstance(imp, Importance) else float(imp)


def _reducer(target: _Target, injected: Any, settings: DriftSettings, chunks: Chunking | None
             ) -> Callable[[Mapping[str, Any]], _Outcome]:
    """A drift part's reduce: the target's raw values or counts to its comparison (and per-chunk points)."""
    def reduce(values: Mapping[str, Any]) -> _Outcome:
        # the engine's own dict: prepare takes the raw arrays out of it, so they are freed once sorted
        v = prepare(values if isinstance(values, dict) else dict(values), injected)
        o = _evaluate(target, v, settings.bins, settings.min_rows)
        if chunks is not None:
            _chunk_points(o, v, chunks, settings.bins, settings.min_rows)
        return o
    return reduce


def plan_features(ctx: Context) -> list[Planned]:
    """One plan for all features: the correction needs every p-value at once. Each feature is a part,
    reduced to its comparison as soon as its batch is read, so memory does not grow with the feature count."""
    settings = ctx.contract.drift
    targets, skips, unjudged = _targets(ctx)
    # every feature drift should judge, whether or not it can: drift.dataset says how many it could
    expected = len({*unjudged, *(t.column for t in targets)})
    chunks, _reason = chunking(ctx)
    sides = [_reference_side(ctx, t, whole=True) for t in targets]
    unusable = [(t, why) for t, (_, why) in zip(targets, sides, strict=True) if isinstance(why, str)]
    skips += [skipped(FEATURE, ctx, str(why), t.column) for t, why in unusable]
    keep = [i for i, (_, why) in enumerate(sides) if not isinstance(why, str)]
    targets, sides = [targets[i] for i in keep], [sides[i] for i in keep]

    null_levels = [ctx.levels(NULL_SHARE, t.column) for t in targets]
    # weight: row-length arrays held per part; a text column is read as 16-byte views, two arrays' worth
    parts = [Part(requests=_requests(t, ctx.current_schema, chunks, "", whole=True), reference_requests=reference,
                  reduce=_reducer(t, injected, settings, chunks), weight=4 if chunks is not None else 2,
                  column=t.column)
             for t, (reference, injected) in zip(targets, sides, strict=True)]

    def finish(v: Mapping[str, Any]) -> list[CheckResult]:
        outcomes: list[_Outcome] = list(v["parts"])
        judged_feature = [o.comparison is not None and o.target.feature_enabled for o in outcomes]
        judged_null = [o.null_test is not None and nl.enabled for o, nl in zip(outcomes, null_levels, strict=True)]
        tests = [o.comparison.p_value for o, j in zip(outcomes, judged_feature, strict=True) if j and o.comparison]
        tests += [o.null_test.p_value for o, j in zip(outcomes, judged_null, strict=True) if j and o.null_test]
        adjusted = iter(_correct(tests, settings.correction))
        p_feature = [next(adjusted) if j else float("nan") for j in judged_feature]
        p_null = [next(adjusted) if j else float("nan") for j in judged_null]
        if chunks is not None:
            _judge_chunks(outcomes, settings.alpha, settings.correction, null_levels)
        out: list[CheckResult] = []
        for o, pf, pn, nl in zip(outcomes, p_feature, p_null, null_levels, strict=True):
            series = o.points if chunks is not None else None
            if o.target.feature_enabled:
                out.append(_feature_result(ctx, FEATURE, o, pf, settings.alpha, series))
            if nl.enabled:
                out.append(_null_result(ctx, o, nl, pn, settings.alpha, series))
        out.append(_dataset_result(ctx, out, expected))
        return out

    return [*skips, Planned(column=None, parts=parts, finish=finish)]


def _dataset_result(ctx: Context, results: list[CheckResult], expected: int = 0) -> CheckResult:
    """Share of the judged features that drifted. A feature drifted when its distribution or its missing
    share did (warn or fail); it is judged when it drifted or when every drift check run on it passed: one
    that could not run (skipped, error) leaves a feature without drift unjudged, not 'no drift'.
    `expected`: how many features drift should judge, so that the message says when only some could be."""
    levels = ctx.levels(DATASET)
    statuses: dict[str, set[Status]] = {}
    for r in results:
        if r.check in (FEATURE.id, NULL_SHARE.id) and r.column:
            statuses.setdefault(r.column, set()).add(r.status)
    drifted = sorted(c for c, seen in statuses.items() if seen & {Status.warn, Status.fail})
    features = sorted(c for c, seen in statuses.items() if c in drifted or seen == {Status.passed})
    expected = max(expected, len(features))
    if not features:
        why = f": 0 of {expected:,} judged (see drift.feature and drift.null_share)" if expected else ""
        return result(DATASET, ctx, Status.skipped, f"no feature could be judged for drift{why}", levels=levels)
    total = sum(_weight(ctx, f) for f in features)
    if total <= 0:
        return result(DATASET, ctx, Status.skipped, "every judged feature has importance 0", levels=levels)
    share = sum(_weight(ctx, f) for f in drifted) / total
    status = levels.grade(share)
    partial = (f"; only {len(features):,} of {expected:,} features could be judged (see drift.feature and "
               "drift.null_share for the others)" if len(features) < expected else "")
    msg = (f"{len(drifted)} of {len(features)} features drifted ({share:.1%} of importance weight"
           f"{': ' + ', '.join(drifted[:8]) if drifted else ''}){partial}; fail above {levels.fail:.0%}, warn above "
           f"{levels.warn:.0%}" if levels.fail is not None and levels.warn is not None else
           f"{len(drifted)} of {len(features)} features drifted ({share:.1%} of importance weight){partial}")
    return result(DATASET, ctx, status, msg, value=share, levels=levels, count=len(drifted), total=len(features),
                  drifted=drifted)


def _role_target(ctx: Context, spec: CheckSpec, column: str | None, role: str) -> _Target | str:
    """The target for a role column (label, score, predicted class, decision), or why there is none."""
    if not column:
        return f"columns.{role} is not set in the contract"
    if column not in ctx.current_schema or column not in ctx.reference_schema:
        where = "current snapshot (pass --outcomes?)" if column not in ctx.current_schema else "reference snapshot"
        return f"'{column}' is not in the {where}"
    kind = _kind(ctx.current_schema[column], None)
    if ctx.contract.model.task.value != "regression" and role in ("label", "decision", "predicted_class"):
        kind = "categorical"
    if kind is None:
        return f"'{column}' is neither numeric nor categorical"
    method, _ = _method(ctx, spec, None, kind, "wasserstein" if kind == "numeric" else "linf")
    # a class share moving by 2 points matters; a continuous label or score is judged like a feature
    defaults = (spec.warn, spec.fail) if method == "linf" else METHOD_LEVELS[method]
    return _Target(column, kind, method, ctx.levels(spec, None, defaults=defaults))


def _roles(ctx: Context) -> list[tuple[CheckSpec, str | None, str]]:
    cols = ctx.contract.columns
    prediction = (cols.score, "score") if cols.score else (cols.predicted_class, "predicted_class")
    return [(LABEL, cols.label, "label"), (PREDICTION, *prediction), (DECISION, cols.decision, "decision")]


def profile_targets(ctx: Context) -> list[_Target]:
    """Every column the drift checks compare, for building a reference profile."""
    targets, _, _ = _targets(ctx)
    for spec, column, role in _roles(ctx):
        target = _role_target(ctx, spec, column, role)
        if isinstance(target, _Target) and all(t.column != target.column for t in targets):
            targets.append(target)
    return targets


def _from_profile(ctx: Context, target: _Target) -> dict[str, Any] | str:
    """The reference side of `target` from the profile, under 'reference:' keys, or why it is unusable."""
    profile = ctx.reference_profile or {}
    entry = profile.get(target.column)
    if entry is None:
        return f"'{target.column}' is not in the reference profile; rebuild it with this contract (mlaudit profile)"
    if entry["kind"] != target.kind:
        return f"'{target.column}' was profiled as {entry['kind']}, now {target.kind}; rebuild the profile"
    wanted = target.sentinel.isoformat() if isinstance(target.sentinel, dt.date) else target.sentinel
    stored = entry.get("sentinel")
    both_nan = isinstance(stored, float) and isinstance(wanted, float) and stored != stored and wanted != wanted
    if stored != wanted and not both_nan:
        return f"'{target.column}' was profiled with sentinel {stored!r}; rebuild the profile"
    if entry["kind"] == "numeric" and entry.get("bins") not in (None, ctx.contract.drift.bins):
        return (f"'{target.column}' was profiled with drift.bins {entry.get('bins')}, the contract says "
                f"{ctx.contract.drift.bins}; rebuild the profile")
    out: dict[str, Any] = {"reference:n": entry["n"], "reference:missing": entry["missing"],
                           "reference:profile": entry}
    if entry["kind"] == "numeric":
        raw = base64.b64decode(entry["sketch"])
        out["reference:values"] = np.frombuffer(raw, dtype="<f8").astype(np.float64)
    else:
        out["reference:counts"] = [{target.column: value, N: count} for value, count in entry["counts"]]
    return out


def _reference_side(ctx: Context, target: _Target, whole: bool = False
                    ) -> tuple[dict[str, pl.Expr], dict[str, Any] | str | None]:
    """(reference requests, values from a profile or why not): one of the two is empty."""
    if ctx.reference_profile is None:
        return _requests(target, ctx.reference_schema, None, "", whole), None
    return {}, _from_profile(ctx, target)


def _single(ctx: Context, spec: CheckSpec, column: str | None, role: str) -> list[Planned]:
    """Drift of one role column (label, score, predicted class, decision) with its own test."""
    if not ctx.levels(spec).enabled:
        return []
    target = _role_target(ctx, spec, column, role)
    if isinstance(target, str):
        return [skipped(spec, ctx, target, column if column and "not set" not in target else None)]
    settings = ctx.contract.drift
    reference, injected = _reference_side(ctx, target, whole=True)
    if isinstance(injected, str):
        return [skipped(spec, ctx, injected, target.column)]

    def finish(v: Mapping[str, Any]) -> CheckResult:
        o: _Outcome = v["parts"][0]
        p = o.comparison.p_value if o.comparison is not None else float("nan")
        return _feature_result(ctx, spec, o, p, settings.alpha, None, corrected=False)

    # a part, like a feature's: read in the batch that decodes the column anyway (concept drift samples the
    # label), and compared in a reducing thread, rather than by a query of its own before the batches start
    part = Part(requests=_requests(target, ctx.current_schema, None, "", whole=True), reference_requests=reference,
                reduce=_reducer(target, injected, settings, None), weight=2, column=target.column)
    return [Planned(column=target.column, parts=[part], finish=finish)]


def plan_label(ctx: Context) -> list[Planned]:
    return _single(ctx, LABEL, ctx.contract.columns.label, "label")


def plan_prediction(ctx: Context) -> list[Planned]:
    cols = ctx.contract.columns
    if cols.score:
        return _single(ctx, PREDICTION, cols.score, "score")
    return _single(ctx, PREDICTION, cols.predicted_class, "predicted_class")


def plan_decision(ctx: Context) -> list[Planned]:
    return _single(ctx, DECISION, ctx.contract.columns.decision, "decision")


PLANNERS = {
    FEATURE.id: plan_features,
    NULL_SHARE.id: plan_features,
    DATASET.id: plan_features,
    LABEL.id: plan_label,
    PREDICTION.id: plan_prediction,
    DECISION.id: plan_decision,
}
