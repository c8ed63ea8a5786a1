"""What the performance checks share: tolerances, the headline metric, and how numbers are shown."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlaudit.checks.base import CheckSpec, Context, Levels
from mlaudit.checks.outcome_data import Setup, Side
from mlaudit.contract.model import Task
from mlaudit.results import FailureMode, OwnerArea
from mlaudit.stats import metrics
from mlaudit.stats.metrics import Estimate

MB = FailureMode.metric_blindness
COST = CheckSpec(
    "performance.cost", MB, OwnerArea.decision_impact,
    "Cost per decision (outcomes.costs or columns.cost) against the reference: relative increase above its "
    "level and significant. Also total cost and the cost of the worst 1% of errors.",
    statistic="relative_cost_increase", warn=0.1, fail=0.25, per_feature=False,
)
#: Default allowed drop of a rate (accuracy, recall, ROC AUC...) when the contract names none.
RATE_TOLERANCE = 0.02


def tolerance(ctx: Context, s: Setup, metric: str, reference: float) -> float:
    """Allowed worsening of `metric` in its own units: outcomes.tolerance for the headline (and for every rate
    when the headline is a rate), 0.02 for other rates, relative_tolerance x |reference| for losses."""
    o = ctx.contract.outcomes
    rate = metric in metrics.HIGHER_IS_BETTER
    if o.tolerance is not None and (metric == s.headline or (rate and s.headline in metrics.HIGHER_IS_BETTER)):
        return o.tolerance
    if rate:
        return RATE_TOLERANCE
    return o.relative_tolerance * abs(reference) if math.isfinite(reference) else float("nan")


def fmt(x: float) -> str:
    """A metric or amount for messages: 4 significant digits, thousands separated (no exponent for money)."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def interval(e: Estimate) -> str:
    return f" [{fmt(e.low)}, {fmt(e.high)}]" if math.isfinite(e.low) and math.isfinite(e.high) else ""


def all_metrics(ctx: Context, s: Setup, d: Side, rows: Any = None) -> dict[str, Estimate]:
    """Every metric of the task on the labelled rows (or the labelled rows among `rows`)."""
    keep = d.labelled if rows is None else d.labelled & rows
    o = ctx.contract.outcomes
    if s.task is Task.binary_classification:
        return metrics.binary(d.y[keep], d.score[keep] if d.score is not None else None, d.pred[keep])
    if s.task is Task.regression:
        return metrics.regression(d.y[keep], d.pred[keep], o.quantile, o.asymmetric.over, o.asymmetric.under)
    return metrics.multiclass(d.y[keep], d.pred[keep], d.proba[keep] if d.proba is not None else None,
                              len(s.classes))


def headline(ctx: Context, s: Setup, d: Side, rows: Any = None) -> Estimate:
    """The headline metric only (cheaper than all_metrics for many slices)."""
    keep = d.labelled if rows is None else d.labelled & rows
    if s.headline == "roc_auc" and s.task is Task.binary_classification:
        if d.score is None:
            return metrics.NAN
        return metrics._auc(d.score[keep], d.y[keep])
    if s.headline == "accuracy":
        return metrics.wilson(int(np.sum(d.y[keep] == d.pred[keep])), int(keep.sum()))
    return all_metrics(ctx, s, d, rows).get(s.headline, metrics.NAN)


def worse(ctx: Context, s: Setup, metric: str, ref: Estimate, cur: Estimate, alpha: float
          ) -> tuple[metrics.Change, float, bool]:
    """(change, tolerance, beyond): worse by more than the tolerance and significant at `alpha`."""
    ch = metrics.change(metric, ref, cur)
    tol = tolerance(ctx, s, metric, ref.value)
    beyond = math.isfinite(ch.degradation) and ch.degradation > tol and ch.p_value < alpha
    return ch, tol, beyond


def limit(levels: Levels) -> str:
    parts = [f"fail above +{levels.fail:.0%}" if levels.fail is not None else "",
             f"warn above +{levels.warn:.0%}" if levels.warn is not None else ""]
    return ", ".join(p for p in parts if p) or "no limit"




def no_reference(ctx: Context, ref: Side | None) -> str:
    """Why there is nothing in the reference to compare with."""
    if ctx.same_data:
        return "reference and current are the same data (a self-audit): nothing to compare with"
    label = ctx.contract.columns.label
    if ref is None:
        return "the reference has no usable prediction column"
    if not label or label not in ctx.reference_schema:
        return f"the reference has no outcome column '{label}'"
    if ref.n == 0:
        return "no reference row has both an outcome and a valid prediction"
    return "the reference's outcomes do not allow it (one class only, or no predicted positives)"


def relative_text(relative: float, reference: float) -> str:
    """'+12.3%', or 'up from 0' when the reference value is 0."""
    if reference == 0 and relative != 0:
        return "up from 0" if relative > 0 else "down from 0"
    return f"{'+' if relative >= 0 else ''}{relative:.1%}"


def unjudged(ch: metrics.Change) -> bool:
    """The change has no p-value: a side with a single row has no spread to judge it by."""
    return not math.isfinite(ch.p_value)


def too_few(ctx: Context, *counts: int) -> str:
    """Why a comparison is not judged when a side has fewer than drift.min_rows rows behind its value (the
    normal approximations behind every interval need them); '' when every side has enough."""
    least = min(counts)
    need = ctx.contract.drift.min_rows
    return f"not judged: {least:,} rows behind a value, fewer than drift.min_rows ({need:,})" if least < need else ""
