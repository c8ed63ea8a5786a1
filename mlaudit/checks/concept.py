"""Concept drift, when outcomes are known on both sides: did the feature-target relationship change
(outcome rate or mean per reference bin of a feature), and did the model's error by feature bin change?

Bins: reference quantiles for numbers (drift.bins), the most common reference
categories (plus 'other') for categories, and one bin for missing values.
Each check is one family of tests across features, corrected like drift.feature,
and a finding needs both the effect above its level and significance.
Binary outcomes are 0/1 (the positive class is 1) and the error is
|score - outcome|; regression outcomes and errors |prediction - outcome| are
divided by the reference outcome's standard deviation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from mlaudit.checks import rows
from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, result, skipped
from mlaudit.checks.drift import _correct, _kind
from mlaudit.checks.validation import _as_text
from mlaudit.contract.model import Task
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats import binning, concept

TOP_CATEGORIES = 10

CONCEPT = CheckSpec(
    "drift.concept", FailureMode.data_drift, OwnerArea.model_behavior,
    "The outcome rate (or mean) per reference bin of a feature changed: weighted mean absolute change "
    "above its level and significant after correction (needs outcomes on both sides).",
    statistic="outcome_change", warn=0.05, fail=0.1,
)
ERROR_BY_BIN = CheckSpec(
    "drift.error_by_bin", FailureMode.data_drift, OwnerArea.model_behavior,
    "The model's error per reference bin of a feature changed: weighted mean absolute change of "
    "|score - outcome| above its level and significant after correction (needs outcomes and a score).",
    statistic="error_change", warn=0.05, fail=0.1,
)
SPECS = (CONCEPT, ERROR_BY_BIN)


def _outcome(values: Any, dtype: pl.DataType, positive: Any, task: Task) -> NDArray[np.float64]:
    """Outcomes as numbers: regression values as they are; binary labels 1 when equal to the positive class
    (model.positive_class; by default true, or 1), else 0; missing labels NaN."""
    series = pl.Series([] if values is None else values)
    if task is Task.regression:
        return np.asarray(series.cast(pl.Float64).fill_null(float("nan")).to_numpy(), dtype=np.float64)
    if positive is None:
        positive = True if dtype == pl.Boolean else 1
    if dtype == pl.Boolean or dtype.is_numeric():
        target = float(positive) if not isinstance(positive, str) else float("nan")
        hit = (series.cast(pl.Float64) == target).cast(pl.Float64)
    else:
        hit = (series.cast(pl.String) == _as_text(positive)).cast(pl.Float64)
    return np.asarray(hit.fill_null(float("nan")).to_numpy(), dtype=np.float64)


def feature_bins(kind: str, ref_raw: Any, cur_raw: Any, k: int
                 ) -> tuple[NDArray[np.integer[Any]], NDArray[np.integer[Any]], list[str]]:
    """Bin index per row on both sides; the last bin holds missing values."""
    if kind == "numeric":
        ref, cur = rows.numeric_array(ref_raw), rows.numeric_array(cur_raw)
        ordered = np.sort(ref)  # NaN sorts last: the known values are a slice, not a masked copy sorted
        edges = binning.quantile_edges(ordered[:ordered.size - int(np.count_nonzero(np.isnan(ref)))], k)
        labels = [*binning.bin_labels(edges), "missing"]
        missing = len(labels) - 1

        def index(x: NDArray[np.float64]) -> NDArray[np.integer[Any]]:
            out = binning.bin_index(edges, x)
            out[np.isnan(x)] = missing
            return out

        return index(ref), index(cur), labels
    freq = rows.frequencies(ref_raw)
    top = sorted(freq, key=lambda c: (-freq[c], c))[:TOP_CATEGORIES]
    labels = [*top, "other", "missing"]
    position = {c: i for i, c in enumerate(top)}

    def cat_index(raw: Any) -> NDArray[np.int64]:
        series = pl.Series([] if raw is None else raw, dtype=pl.String)
        index = series.replace_strict(position, default=len(top), return_dtype=pl.Int64)
        return np.asarray(index.fill_null(len(labels) - 1).to_numpy(), dtype=np.int64)

    return cat_index(ref_raw), cat_index(cur_raw), labels


def _known(keep: NDArray[np.bool_]) -> NDArray[np.bool_] | slice:
    """An index selecting the rows to keep: all of them as a slice (a view, no copy) when none is dropped."""
    return slice(None) if keep.all() else keep


def _plan(ctx: Context, spec: CheckSpec, needs_score: bool) -> list[Planned]:
    levels = ctx.levels(spec)
    if not levels.enabled:
        return []
    c = ctx.contract
    task = c.model.task
    label, score = c.columns.label, c.columns.score
    if task is Task.multiclass_classification:
        return [skipped(spec, ctx, "not yet computed for multiclass models")]
    if not label or label not in ctx.current_schema or label not in ctx.reference_schema:
        return [skipped(spec, ctx, "needs columns.label in both snapshots (pass --outcomes with the delayed "
                                   "outcomes)")]
    if needs_score and (not score or score not in ctx.current_schema or score not in ctx.reference_schema):
        return [skipped(spec, ctx, "needs columns.score in both snapshots")]
    label_dtype = ctx.current_schema[label]
    if task is Task.regression and not (label_dtype.is_numeric() and ctx.reference_schema[label].is_numeric()):
        return [skipped(spec, ctx, f"label '{label}' is not a number on both sides; a regression label must be")]
    if task is Task.binary_classification and not (label_dtype == pl.Boolean or label_dtype.is_numeric()) \
            and c.model.positive_class is None:
        return [skipped(spec, ctx, f"label '{label}' is {label_dtype}: set model.positive_class")]
    features = []
    for name, f in c.features.items():
        if name in ctx.current_schema and name in ctx.reference_schema and name != label:
            kind = _kind(ctx.current_schema[name], f.type)
            if kind is not None and kind == _kind(ctx.reference_schema[name], f.type):
                features.append((name, kind))
    if not features:
        return [skipped(spec, ctx, "no numeric or categorical feature in both snapshots")]
    ref_every, cur_every = rows.step(ctx.reference_rows), rows.step(ctx.current_rows)
    positive = c.model.positive_class
    reference: dict[str, pl.Expr] = {"__y": pl.col(label).implode()}
    current: dict[str, pl.Expr] = {"__y": pl.col(label).implode()}
    if needs_score and score:
        reference["__score"] = pl.col(score).cast(pl.Float64).implode()
        current["__score"] = pl.col(score).cast(pl.Float64).implode()
    for name, kind in features:
        sentinel = c.features[name].sentinel
        reference[name] = rows.feature(name, ctx.reference_schema[name], sentinel, kind)
        current[name] = rows.feature(name, ctx.current_schema[name], sentinel, kind)
    settings = c.drift

    def finish(v: Mapping[str, Any]) -> list[CheckResult]:
        y_ref = _outcome(v["reference:__y"], ctx.reference_schema[label], positive, task)
        y_cur = _outcome(v["__y"], label_dtype, positive, task)
        if needs_score:
            y_ref = np.abs(rows.numeric_array(v["reference:__score"]) - y_ref)
            y_cur = np.abs(rows.numeric_array(v["__score"]) - y_cur)
        keep_ref, keep_cur = np.isfinite(y_ref), np.isfinite(y_cur)
        if min(int(keep_ref.sum()), int(keep_cur.sum())) < settings.min_rows:
            return [result(spec, ctx, Status.skipped, f"too few rows with known outcomes (reference "
                           f"{int(keep_ref.sum()):,}, current {int(keep_cur.sum()):,}; drift.min_rows is "
                           f"{settings.min_rows:,})", levels=levels)]
        outcome_ref = rows.numeric_array(v["reference:__y"]) if task is Task.regression else None
        unit = 1.0
        if outcome_ref is not None:
            sd = float(np.nanstd(outcome_ref, ddof=1))
            unit = sd if sd > 0 else 1.0
        # the same outcomes for every feature: selected and scaled once; the bins of all rows kept as they are
        # when every outcome is known (the usual case), not copied once per feature
        ref_known, cur_known = _known(keep_ref), _known(keep_cur)
        ref_y, cur_y = y_ref[ref_known] / unit, y_cur[cur_known] / unit
        shifts = []
        for name, kind in features:
            ref_bins, cur_bins, labels = feature_bins(kind, v[f"reference:{name}"], v[name], settings.bins)
            shifts.append((name, labels, concept.binned_mean_shift(
                ref_y, ref_bins[ref_known], cur_y, cur_bins[cur_known], len(labels))))
        adjusted = _correct([s.p_value for _, _, s in shifts], settings.correction)
        coverage = float(keep_cur.mean()) if keep_cur.size else 0.0
        out = []
        for (name, labels, s), p_adj in zip(shifts, adjusted, strict=True):
            out.append(_result(ctx, spec, levels, name, labels, s, p_adj, settings.alpha, needs_score, coverage))
        return out

    return [Planned(column=None, requests=current, reference_requests=reference, finish=finish,
                    row_step=(ref_every, cur_every))]


def _result(ctx: Context, spec: CheckSpec, levels: Levels, name: str, labels: list[str], s: concept.BinnedShift,
            p_adj: float, alpha: float, is_error: bool, coverage: float = 1.0) -> CheckResult:
    if not np.isfinite(p_adj):
        return result(spec, ctx, Status.skipped, f"'{name}': no bin has {concept.MIN_BIN_ROWS} rows with outcomes "
                      "on both sides", column=name, levels=levels)
    graded = levels.grade(s.effect)
    status = graded if p_adj < alpha else Status.passed
    what = "model error" if is_error else "outcome"
    worst = max(range(len(labels)), key=lambda i: abs((s.current_means[i] or 0.0) - (s.reference_means[i] or 0.0))
                if s.current_means[i] is not None and s.reference_means[i] is not None else -1.0)
    r, c = s.reference_means[worst], s.current_means[worst]
    detail = f"; largest in bin {labels[worst]}: {r:.3g} -> {c:.3g}" if r is not None and c is not None else ""
    verdict = "changed" if status in (Status.warn, Status.fail) else (
        "no significant change" if graded is not Status.passed else "stable")
    msg = (f"'{name}': {what} by bin {verdict}: mean change {s.effect:.4g} (warn above {levels.warn:g}, fail above "
           f"{levels.fail:g}; chi-square p={p_adj:.3g} after correction, {s.dof} bins){detail}"
           if levels.warn is not None and levels.fail is not None else f"'{name}': mean change {s.effect:.4g}")
    if coverage < 1.0:  # judged on the rows whose outcome has arrived, which may not be the whole period
        msg += f"; outcomes known for {coverage:.1%} of production rows (see labels.coverage)"
    return result(spec, ctx, status, msg, column=name, value=s.effect, levels=levels, p_value=s.p_value,
                  p_value_adjusted=p_adj, bins=labels, reference_means=s.reference_means,
                  current_means=s.current_means, reference_rows=s.reference_rows, current_rows=s.current_rows,
                  outcome_coverage=coverage)


def plan_concept(ctx: Context) -> list[Planned]:
    return _plan(ctx, CONCEPT, needs_score=False)


def plan_error_by_bin(ctx: Context) -> list[Planned]:
    return _plan(ctx, ERROR_BY_BIN, needs_score=True)


PLANNERS = {CONCEPT.id: plan_concept, ERROR_BY_BIN.id: plan_error_by_bin}
