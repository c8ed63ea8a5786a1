"""Output enforcement: predictions within range, probabilities summing to one, and
decisions taken automatically on weak scores (confidence gating)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, limit_text, pct, result, skipped, stated
from mlaudit.checks.validation import _counted, _share_check
from mlaudit.contract.model import Task
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

V = FailureMode.validation

PREDICTION_RANGE = CheckSpec(
    "validation.prediction_range", V, OwnerArea.model_behavior,
    "Share of scores (or class probabilities) that are missing, NaN or outside outputs.score_range "
    "([0, 1] for classifiers by default).",
    statistic="invalid_output_share", fail=0.0, per_feature=False,
)
PROBABILITY_SUM = CheckSpec(
    "validation.probability_sum", V, OwnerArea.model_behavior,
    "Share of rows whose class probabilities do not sum to 1 within outputs.probabilities_sum_tolerance.",
    statistic="bad_sum_share", fail=0.0, per_feature=False,
)
CONFIDENCE_GATE = CheckSpec(
    "validation.confidence_gate", V, OwnerArea.decision_impact,
    "Share of automatic decisions (no reviewer) taken with confidence below outputs.confidence_gate.below; "
    "confidence is max(p, 1-p) for a binary score, the largest class probability otherwise.",
    statistic="weak_decision_share", fail=0.0, per_feature=False,
)

SPECS = (PREDICTION_RANGE, PROBABILITY_SUM, CONFIDENCE_GATE)


def _output_levels(ctx: Context, spec: CheckSpec) -> Levels:
    levels = ctx.levels(spec, None, stated(ctx.contract.outputs, fail="max_violation_share"))
    if levels.warn is None and levels.fail is not None and levels.fail > 0:
        levels = replace(levels, warn=0.0)  # a tolerated share still warns on any invalid output
    return levels


def _score_columns(ctx: Context) -> list[str]:
    cols = ctx.contract.columns
    if cols.probabilities:
        return list(cols.probabilities)
    return [cols.score] if cols.score else []


def plan_prediction_range(ctx: Context) -> list[Planned]:
    levels = _output_levels(ctx, PREDICTION_RANGE)
    if not levels.enabled:
        return []
    columns = _score_columns(ctx)
    if not columns:
        return [skipped(PREDICTION_RANGE, ctx, "no columns.score or columns.probabilities in the contract")]
    bounds = ctx.contract.outputs.score_range
    if bounds is None and ctx.contract.model.task is not Task.regression:
        bounds = (0.0, 1.0)
    out = []
    for name in columns:
        if name not in ctx.current_schema or not ctx.current_schema[name].is_numeric():
            out.append(skipped(PREDICTION_RANGE, ctx, "score column missing or not numeric", name))
            continue
        col = pl.col(name)
        invalid = col.is_null()
        if ctx.current_schema[name].is_float():
            invalid = invalid | col.is_nan() | col.is_infinite()
        if bounds is not None:
            invalid = invalid | (col < bounds[0]) | (col > bounds[1])
        shown = f"are missing, NaN or outside [{bounds[0]}, {bounds[1]}]" if bounds else "are missing, NaN or infinite"
        out.append(_share_check(PREDICTION_RANGE, ctx, name, invalid, shown, levels, row_local=True,
                                counted=_counted(name, invalid)))
    return out


def plan_probability_sum(ctx: Context) -> list[Planned]:
    levels = _output_levels(ctx, PROBABILITY_SUM)
    probs = ctx.contract.columns.probabilities
    if not levels.enabled or not probs:
        return []  # applies to multiclass probability columns only
    missing = [p for p in probs if p not in ctx.current_schema]
    if missing:
        return [skipped(PROBABILITY_SUM, ctx, f"probability columns missing: {', '.join(missing)}")]
    tol = ctx.contract.outputs.probabilities_sum_tolerance
    total = pl.sum_horizontal([pl.col(p) for p in probs])
    bad = (total - 1.0).abs() > tol
    bad = bad | total.is_nan() | pl.any_horizontal([pl.col(p).is_null() for p in probs])
    return [_share_check(PROBABILITY_SUM, ctx, None, bad, f"have probabilities not summing to 1 (±{tol:g})", levels,
                         row_local=True)]


def plan_confidence_gate(ctx: Context) -> list[Planned]:
    gate = ctx.contract.outputs.confidence_gate
    base = stated(gate, warn="warn", fail="fail") if gate else None
    levels = ctx.levels(CONFIDENCE_GATE, None, base)
    if not levels.enabled:
        return []
    if gate is None:
        return [skipped(CONFIDENCE_GATE, ctx, "no outputs.confidence_gate in the contract")]
    cols = ctx.contract.columns
    scores = _score_columns(ctx)
    if not scores or any(s not in ctx.current_schema for s in scores):
        return [skipped(CONFIDENCE_GATE, ctx, "score columns missing from the current snapshot")]
    if not all(ctx.current_schema[s].is_numeric() for s in scores):
        return [skipped(CONFIDENCE_GATE, ctx, "score columns are not numeric (see validation.schema)")]
    if cols.probabilities:
        confidence = pl.max_horizontal([pl.col(p) for p in cols.probabilities])
    else:
        p = pl.col(scores[0])
        confidence = pl.max_horizontal(p, 1.0 - p)
    automatic = pl.repeat(True, pl.len())
    basis = "all decisions"
    if cols.review and cols.review in ctx.current_schema:
        automatic = pl.col(cols.review).is_null()
        basis = f"decisions with no reviewer ('{cols.review}' null)"
    if cols.decision and cols.decision in ctx.current_schema:
        automatic = automatic & pl.col(cols.decision).is_not_null()
    # a missing, NaN or out-of-[0, 1] score gives no confidence at all: such a decision is weak too
    invalid = pl.any_horizontal([pl.col(s).is_null() | pl.col(s).cast(pl.Float64).is_nan() | (pl.col(s) < 0)
                                 | (pl.col(s) > 1) for s in scores])
    weak = automatic & (invalid | (confidence < gate.below)).fill_null(True)
    requests = {"auto": automatic.sum(), "weak": weak.fill_null(False).sum(),
                "invalid": (automatic & invalid).fill_null(False).sum()}

    def graded(v: Mapping[str, Any]) -> Status:
        auto = int(v["auto"])
        return levels.grade(int(v["weak"]) / auto) if auto else Status.skipped

    def finish(v: Mapping[str, Any]) -> CheckResult:
        auto, n, bad = int(v["auto"]), int(v["weak"]), int(v["invalid"])
        if auto == 0:
            return result(CONFIDENCE_GATE, ctx, Status.skipped, f"no automatic decisions ({basis})",
                          levels=levels)
        value = n / auto
        status = graded(v)
        unscored = f", {bad:,} of them on a missing or invalid score" if bad else ""
        msg = (f"{n:,} of {auto:,} {basis} ({pct(value)}) were taken with confidence below "
               f"{gate.below:g}{unscored}; {limit_text(levels)}")
        return result(CONFIDENCE_GATE, ctx, status, msg, column=scores[0] if len(scores) == 1 else None,
                      value=value, levels=levels, count=n, total=auto,
                      examples=v["ex"] if status is not Status.passed else (), below=gate.below, invalid_scores=bad)

    return [Planned(column=None, requests=requests, finish=finish,
                    found_requests={"ex": ctx.first_examples(lambda v: graded(v) in (Status.warn, Status.fail),
                                                             weak)})]


PLANNERS = {
    PREDICTION_RANGE.id: plan_prediction_range,
    PROBABILITY_SUM.id: plan_probability_sum,
    CONFIDENCE_GATE.id: plan_confidence_gate,
}
