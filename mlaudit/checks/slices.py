"""Whom the model fails: performance of declared slices, and a search for weak slices.

Declared slices are the values of outcomes.slices.columns (default columns.segments), every
combination of two of those columns when `cross` is on, and SQL predicates. Each slice with at least
min_rows production rows with outcomes is judged against the same slice in the reference on the
headline metric (tolerance as for the whole) and on cost per decision (performance.cost's levels);
p-values are corrected across slices and both tests together (Benjamini-Hochberg).

The search bins every model input (reference quantiles for numbers, top categories) and compares each
bin's error rate (or cost per decision when costs are known; absolute error for regression) with the
same bin in the reference, corrected across all bins; it reports the weakest bins now. Above 100,000
rows it searches a systematic sample (every k-th row), as concept drift does.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import polars as pl

from mlaudit.checks import outcome_data
from mlaudit.checks.base import CheckSpec, Context, Levels, result
from mlaudit.checks.concept import feature_bins
from mlaudit.checks.outcome_data import Setup, Side
from mlaudit.checks.perfbase import COST, RATE_TOLERANCE, fmt, headline, limit, no_reference, tolerance
from mlaudit.contract.model import Severity, Task
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats import calibration as cal
from mlaudit.stats import metrics
from mlaudit.stats.twosample import benjamini_hochberg

SLICES = CheckSpec(
    "performance.slices", FailureMode.metric_blindness, OwnerArea.decision_impact,
    "Each declared slice (outcomes.slices: segment values, their pairs, SQL predicates) with at least min_rows "
    "production rows with outcomes, against the same slice in the reference: headline worse by more than its "
    "tolerance, or cost per decision up by more than performance.cost's levels, significant after correction.",
    statistic="slice_degradation", per_feature=False, levels_from="outcomes.tolerance",
)
WEAK = CheckSpec(
    "performance.weak_slices", FailureMode.metric_blindness, OwnerArea.decision_impact,
    "Automatic search over single features (binned numbers, categories) for the bins whose error rate (or cost "
    "per decision) got worse than in the same bin of the reference, corrected across bins; reports the weakest.",
    statistic="bin_degradation", severity=Severity.warning, per_feature=False, levels_from="outcomes.tolerance",
)


#: A slice column with more distinct values than this is not a segment (an amount, an id): it is not sliced.
MAX_SEGMENT_VALUES = 50


def _declared(ctx: Context, d: Side) -> list[tuple[str, Any]]:
    """(slice name, row mask) of every declared slice on one side (computed once per side)."""
    if d.slices is not None:
        return d.slices
    o = ctx.contract.outcomes.slices
    out: list[tuple[str, Any]] = []
    columns = [c for c in outcome_data.slice_columns(ctx) if c in d.segments
               and d.segments[c].n_unique() <= MAX_SEGMENT_VALUES]
    codes: dict[str, tuple[Any, Any]] = {}  # column -> (sorted distinct values, code per row)
    for c in columns:
        values = d.segments[c]
        distinct = values.unique().sort()
        code = values.replace_strict(distinct, pl.int_range(distinct.len(), eager=True), return_dtype=pl.Int64)
        codes[c] = (np.asarray(distinct.to_list(), dtype=object), code.to_numpy())
    for c in columns:
        distinct, code = codes[c]
        for i, value in enumerate(distinct):
            out.append((f"{c}={value}", code == i))
    if o.cross:
        for a, b in itertools.combinations(columns, 2):
            (da, ca), (db, cb) = codes[a], codes[b]
            pair = ca * len(db) + cb
            for joint in np.unique(pair):
                out.append((f"{a}={da[joint // len(db)]} & {b}={db[joint % len(db)]}", pair == joint))
    out += list(d.predicates.items())
    d.slices = out
    return out


def _cost(d: Side, rows: Any) -> metrics.Estimate:
    if d.cost is None:
        return metrics.NAN
    values = d.cost[d.labelled & rows]
    return metrics.mean(values[np.isfinite(values)])


def declared(ctx: Context, s: Setup, ref: Side | None, cur: Side) -> list[CheckResult]:
    cost_levels = ctx.levels(COST)
    o = ctx.contract.outcomes
    now = _declared(ctx, cur)
    unsliced = [f"'{c}' ({cur.segments[c].n_unique():,} values)" for c in outcome_data.slice_columns(ctx)
                if c in cur.segments and cur.segments[c].n_unique() > MAX_SEGMENT_VALUES]
    unusable = [f"'{c}' ({ctx.current_schema[c]})" for c in outcome_data.slice_columns(ctx)
                if c in ctx.current_schema and c not in cur.segments]
    notes = []
    if unsliced:
        notes.append(result(SLICES, ctx, Status.skipped, f"slice columns with more than {MAX_SEGMENT_VALUES} values "
                            f"are not sliced (bin them into a segment column first): {', '.join(unsliced)}",
                            column="(unsliced columns)"))
    if unusable:
        notes.append(result(SLICES, ctx, Status.skipped, "slice columns of a type that has no values to slice by "
                            f"(lists, structs, times): {', '.join(unusable)}", column="(unsliced columns)"))
    if not now:
        return notes or [result(SLICES, ctx, Status.skipped, "no slices declared: set columns.segments or "
                                "outcomes.slices")]
    before = dict(_declared(ctx, ref)) if ref is not None else {}
    whole_h, whole_c = headline(ctx, s, cur), _cost(cur, np.ones(cur.rows, dtype=bool))
    rows: list[dict[str, Any]] = []
    small = []
    for name, mask in now:
        n = int((cur.labelled & mask).sum())
        if n < o.slices.min_rows:
            small.append(f"{name} ({n:,})")
            continue
        h_now, c_now = headline(ctx, s, cur, mask), _cost(cur, mask)
        ref_mask = before.get(name)
        h_ref = headline(ctx, s, ref, ref_mask) if ref is not None and ref_mask is not None else metrics.NAN
        c_ref = _cost(ref, ref_mask) if ref is not None and ref_mask is not None else metrics.NAN
        h_ch, c_ch = metrics.change(s.headline, h_ref, h_now), metrics.change("cost", c_ref, c_now)
        rows.append({"slice": name, "rows": n, "h_now": h_now, "h_ref": h_ref, "h_ch": h_ch, "c_now": c_now,
                     "c_ref": c_ref, "c_ch": c_ch})
    out = []
    # one family: every slice's headline and cost tests together, so that many slices (and two tests each)
    # do not make a chance finding likely on clean data
    adjusted = benjamini_hochberg([r["h_ch"].p_value for r in rows] + [r["c_ch"].p_value for r in rows])
    h_adj, c_adj = adjusted[: len(rows)], adjusted[len(rows):]
    for r, hp, cp in zip(rows, h_adj, c_adj, strict=True):
        tol = tolerance(ctx, s, s.headline, r["h_ref"].value)
        h_bad = math.isfinite(r["h_ch"].degradation) and r["h_ch"].degradation > tol and hp < o.alpha
        c_status = cost_levels.grade(r["c_ch"].relative) if math.isfinite(r["c_ch"].relative) and cp < o.alpha \
            else Status.passed
        status = Status.fail if h_bad else c_status
        if not r["h_ref"].ok and not r["c_ref"].ok:
            status = Status.skipped  # nothing in the reference to judge this slice against
        judged = f"; {'beyond' if h_bad else 'within'} the tolerance {fmt(tol)}" if r["h_ref"].ok else ""
        parts = [f"{s.headline} {fmt(r['h_now'].value)} (reference {fmt(r['h_ref'].value)}, whole "
                 f"{fmt(whole_h.value)}{judged})"]
        if r["c_now"].ok:
            rel = r["c_ch"].relative
            change_text = f", {'+' if rel >= 0 else ''}{rel:.0%} ({limit(cost_levels)})" if math.isfinite(rel) else ""
            parts.append(f"cost per decision {fmt(r['c_now'].value)} (reference {fmt(r['c_ref'].value)}, whole "
                         f"{fmt(whole_c.value)}){change_text}")
        msg = f"slice {r['slice']} ({r['rows']:,} rows with outcomes): " + "; ".join(parts)
        if status is Status.skipped:
            msg += f"; not judged: {no_reference(ctx, ref)}" if ref is None or ctx.same_data or ref.n == 0 else \
                "; not judged: the reference has no rows of this slice with outcomes (or lacks its column)"
        value = r["c_ch"].relative if c_status is not Status.passed and not h_bad else r["h_ch"].degradation
        out.append(result(SLICES, ctx, status, msg, column=r["slice"], value=value if math.isfinite(value) else None,
                          levels=cost_levels if c_status is not Status.passed and not h_bad else
                          Levels(warn=None, fail=tol, severity=Severity.error), rows=r["rows"],
                          headline=r["h_now"].value, reference_headline=r["h_ref"].value,
                          headline_p_adjusted=float(hp), cost_per_decision=r["c_now"].value,
                          reference_cost_per_decision=r["c_ref"].value, cost_change=r["c_ch"].relative,
                          cost_p_adjusted=float(cp), whole_headline=whole_h.value,
                          whole_cost_per_decision=whole_c.value))
    if small:
        shown = ", ".join(small[:8]) + (f" and {len(small) - 8} more" if len(small) > 8 else "")
        out.append(result(SLICES, ctx, Status.skipped, f"{len(small)} slices have fewer than "
                          f"outcomes.slices.min_rows ({o.slices.min_rows:,}) production rows with outcomes: {shown}",
                          column="(small slices)"))
    return out + notes


def slice_ece(ctx: Context, d: Side, bins: int) -> list[dict[str, Any]]:
    """ECE of each declared slice with at least min_rows rows with outcomes (for performance.calibration)."""
    out = []
    for name, mask in _declared(ctx, d):
        p, y = outcome_data.calibration_rows(d, mask)
        if p is None or p.size < ctx.contract.outcomes.slices.min_rows:
            continue
        out.append({"slice": name, "rows": int(p.size), "ece": cal.ece(p, y, bins)[0]})
    return out


def _loss(s: Setup, d: Side, costs: bool) -> tuple[Any, str]:
    """Per-row loss the search ranks bins by: cost when both sides know it, else error (0/1, or absolute for
    regression)."""
    if costs and d.cost is not None:
        return d.cost, "cost per decision"
    if s.task is Task.regression:
        return np.abs(d.pred - d.y), "mean absolute error"
    return (d.pred != d.y).astype(np.float64), "error rate"


def search(ctx: Context, s: Setup, ref: Side | None, cur: Side) -> list[CheckResult]:
    o = ctx.contract.outcomes
    if not o.slices.search:
        return [result(WEAK, ctx, Status.skipped, "outcomes.slices.search is off")]
    if ref is None or ref.n == 0:
        return [result(WEAK, ctx, Status.skipped, f"needs reference outcomes to compare bins with: "
                       f"{no_reference(ctx, ref)}")]
    if not cur.features:
        return [result(WEAK, ctx, Status.skipped, "no model input in both snapshots to search")]
    both = cur.cost is not None and ref.cost is not None
    loss_now, what = _loss(s, cur, both)
    loss_ref, _ = _loss(s, ref, both)
    relative = what != "error rate"
    cost_levels = ctx.levels(COST)
    keep_now = cur.labelled & np.isfinite(loss_now)
    keep_ref = ref.labelled & np.isfinite(loss_ref)
    whole = float(loss_now[keep_now].mean()) if keep_now.any() else float("nan")
    found: list[dict[str, Any]] = []
    for name in sorted(cur.features):
        if name not in ref.features:
            continue
        kind = "numeric" if isinstance(cur.features[name], np.ndarray) and cur.features[name].dtype.kind == "f" \
            else _kind_of(ctx, name)
        ref_bins, cur_bins, labels = feature_bins(kind, ref.features[name], cur.features[name],
                                                  ctx.contract.drift.bins)
        now_stats = _bin_means(cur_bins[keep_now], loss_now[keep_now], len(labels))
        ref_stats = _bin_means(ref_bins[keep_ref], loss_ref[keep_ref], len(labels))
        for b, label in enumerate(labels):
            e_now, e_ref = now_stats[b], ref_stats[b]
            if e_now.n < o.slices.min_rows or e_ref.n < o.slices.min_rows:
                continue
            ch = metrics.change("loss", e_ref, e_now)
            found.append({"feature": name, "bin": label, "rows": e_now.n, "value": e_now.value,
                          "reference": e_ref.value, "degradation": ch.relative if relative else ch.degradation,
                          "p_value": ch.p_value})
    if not found:
        return [result(WEAK, ctx, Status.skipped, f"no feature bin has {o.slices.min_rows:,} rows with outcomes on "
                       "both sides")]
    adjusted = benjamini_hochberg([f["p_value"] for f in found])
    limit_value = cost_levels.warn if relative and cost_levels.warn is not None else RATE_TOLERANCE
    if relative and cost_levels.warn is None and cost_levels.fail is not None:
        limit_value = cost_levels.fail
    for f, p in zip(found, adjusted, strict=True):
        f["p_adjusted"] = float(p)
        f["degraded"] = bool(math.isfinite(f["degradation"]) and f["degradation"] > limit_value and p < o.alpha)
    worst = sorted(found, key=lambda f: (not f["degraded"], -(f["value"] - whole)))[: o.slices.top]
    degraded = [f for f in found if f["degraded"]]

    def shown(f: dict[str, Any]) -> str:
        change = f"+{f['degradation']:.0%}" if relative else f"+{f['degradation']:.3f}"
        return (f"{f['feature']} in {f['bin']} ({f['rows']:,} rows): {fmt(f['value'])} vs {fmt(f['reference'])} "
                f"in the reference ({change if f['degradation'] > 0 else 'no worse'})")

    head = (f"{len(degraded)} of {len(found)} feature bins got worse ({what} up by more than "
            f"{limit_value:.0%} and significant after correction)" if relative else
            f"{len(degraded)} of {len(found)} feature bins got worse ({what} up by more than {limit_value:g} and "
            "significant after correction)")
    msg = f"{head}; whole population {fmt(whole)}; weakest: " + "; ".join(shown(f) for f in worst)
    if (ctx.current_rows or 0) > cur.rows or (ctx.reference_rows or 0) > ref.rows:
        msg += (f" (searched on a systematic sample: {cur.rows:,} of {ctx.current_rows or 0:,} production and "
                f"{ref.rows:,} of {ctx.reference_rows or 0:,} reference rows)")
    status = Status.warn if degraded else Status.passed
    return [result(WEAK, ctx, status, msg, value=float(len(degraded)), count=len(degraded), total=len(found),
                   metric=what, whole=whole, weakest=[{k: v for k, v in f.items()} for f in worst])]


def _bin_means(bins: Any, values: Any, k: int) -> list[metrics.Estimate]:
    """The mean of `values` in each of k bins with its normal interval (as metrics.mean), in one pass."""
    n = np.bincount(bins, minlength=k)
    total = np.bincount(bins, weights=values, minlength=k)
    squares = np.bincount(bins, weights=values * values, minlength=k)
    out = []
    for count, s1, s2 in zip(n.tolist(), total.tolist(), squares.tolist(), strict=True):
        if count == 0:
            out.append(metrics.NAN)
            continue
        m = s1 / count
        var = max(s2 - count * m * m, 0.0) / (count - 1) if count > 1 else float("nan")
        se = math.sqrt(var / count) if count > 1 else float("nan")
        out.append(metrics.Estimate(m, m - metrics.Z95 * se, m + metrics.Z95 * se, se, count))
    return out


def _kind_of(ctx: Context, name: str) -> str:
    from mlaudit.checks.drift import _kind

    kind = _kind(ctx.current_schema[name], ctx.contract.features[name].type)
    return kind or "categorical"
