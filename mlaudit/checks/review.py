"""Human authority: decisions the contract says must reach a person, and whether they did.

Against the production log (columns.review: who reviewed, null when the model decided alone;
columns.override: the reviewer reversed the model; columns.decision: what was done), per
human_review.required_when condition: how many decisions required review, how many got it, and how
many the model took alone (a finding above max_unreviewed_share, with example ids); the override rate
and its direction, per chunk; and the daily volume of required reviews against capacity_per_day.

An out_of_distribution condition marks rows with a model input outside the training data: a number
below the reference's minimum or above its maximum, or a category the reference never had (missing
values are not out of distribution; validation.null_share judges them). A multivariate_outlier
condition marks rows whose inputs together are unlike the training rows: PCA (as drift.multivariate)
keeping 90% of the variance, fitted on every other row of a systematic reference sample, and a row's
reconstruction error above the 99.9th percentile of the other half's errors (so about 1 clean row in
1,000 is routed to a person by design).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from mlaudit.checks import target
from mlaudit.checks.base import MAX_EXAMPLES, CheckSpec, Context, Levels, Planned, pct, result, skipped
from mlaudit.checks.chunks import chunking
from mlaudit.checks.drift import _kind
from mlaudit.checks.outcome_data import floats, texts
from mlaudit.checks.rows import column as feature_column
from mlaudit.contract.compat import rule_problem
from mlaudit.contract.model import HumanReview, ReviewCondition, Severity
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

HA = FailureMode.human_authority
REQUIRED = CheckSpec(
    "review.required", HA, OwnerArea.decision_impact,
    "Per human_review.required_when condition (SQL condition, or out_of_distribution inputs): decisions that "
    "required review but were taken by the model alone (columns.review null), as a share of those that required "
    "it; fail above the condition's max_unreviewed_share (default human_review.max_unreviewed_share, 0).",
    statistic="unreviewed_share", per_feature=False, levels_from="human_review.max_unreviewed_share",
)
OVERRIDES = CheckSpec(
    "review.overrides", HA, OwnerArea.decision_impact,
    "Share of reviewed decisions the reviewer reversed (columns.override), its direction (the decision taken "
    "instead, columns.decision) and its trend per chunk; warns above human_review.max_override_share.",
    statistic="override_share", severity=Severity.warning, per_feature=False,
    levels_from="human_review.max_override_share",
)
CAPACITY = CheckSpec(
    "review.capacity", HA, OwnerArea.decision_impact,
    "Decisions requiring review per day (columns.event_time) against human_review.capacity_per_day: the busiest "
    "day's volume as a share of capacity, failing above 1 (reviewers cannot keep up).",
    statistic="peak_share_of_capacity", per_feature=False, levels_from="human_review.capacity_per_day",
)
SPECS = (REQUIRED, OVERRIDES, CAPACITY)
#: A multivariate outlier: reconstruction error above this quantile of unseen reference rows' errors, with PCA
#: keeping this share of the variance.
OUTLIER_QUANTILE = 0.999
OUTLIER_VARIANCE = 0.9


def _ood_features(ctx: Context) -> list[tuple[str, str]]:
    """(input, 'numeric' or 'categorical') in both snapshots, for out_of_distribution conditions."""
    out = []
    for name in target.inputs(ctx, "current"):
        if name in ctx.reference_schema:
            declared = ctx.contract.features[name].type
            kind = _kind(ctx.current_schema[name], declared)
            if kind is not None and kind == _kind(ctx.reference_schema[name], declared):
                out.append((name, kind))
    return out


def _ood_requests(ctx: Context, features: list[tuple[str, str]]) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """Current values of each input, and the reference's range (numbers) or categories."""
    current: dict[str, pl.Expr] = {}
    reference: dict[str, pl.Expr] = {}
    for name, kind in features:
        sentinel = ctx.contract.features[name].sentinel
        current[f"x:{name}"] = feature_column(name, ctx.current_schema[name], sentinel, kind == "numeric")
        values = feature_column(name, ctx.reference_schema[name], sentinel, kind == "numeric").explode().drop_nulls()
        if kind == "numeric":
            values = values.filter(values.is_finite())
            reference[f"min:{name}"], reference[f"max:{name}"] = values.min(), values.max()
        else:
            reference[f"cats:{name}"] = values.unique().implode()
    return current, reference


def _out_of_distribution(v: Mapping[str, Any], features: list[tuple[str, str]], rows: int
                         ) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], dict[str, int]]:
    """Rows with any input outside the training data, and how many rows each input puts there."""
    out = np.zeros(rows, dtype=bool)
    per_feature: dict[str, int] = {}
    for name, kind in features:
        if kind == "numeric":
            x = floats(v.get(f"x:{name}"))
            low, high = v.get(f"reference:min:{name}"), v.get(f"reference:max:{name}")
            if low is None or high is None or x.size != rows:
                continue
            with np.errstate(invalid="ignore"):
                hit = ~np.isnan(x) & ((x < float(low)) | (x > float(high)))
        else:
            values = texts(v.get(f"x:{name}"))
            known = {str(c) for c in texts(v.get(f"reference:cats:{name}")) if c is not None}
            if len(values) != rows or not known:
                continue
            hit = np.array([x is not None and x not in known for x in values], dtype=bool)
        if hit.any():
            per_feature[name] = int(hit.sum())
            out |= hit
    return out, per_feature


def _sample_requests(ctx: Context, features: list[tuple[str, str]]) -> dict[str, pl.Expr]:
    """A systematic sample (at most rows.MAX_ROWS) of the reference's inputs, for the outlier model."""
    from mlaudit.checks import rows
    from mlaudit.checks.validation import missing_expr

    step = rows.step(ctx.reference_rows)
    out = {}
    for name, kind in features:
        dtype = ctx.reference_schema[name]
        col = pl.col(name).cast(pl.Float64) if kind == "numeric" else pl.col(name).cast(pl.String)
        value = pl.when(missing_expr(name, dtype, ctx.contract.features[name].sentinel)).then(None).otherwise(col)
        out[f"sample:{name}"] = value.gather_every(step).implode()
    return out


def _outliers(v: Mapping[str, Any], features: list[tuple[str, str]], rows: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Rows whose PCA reconstruction error (a model of the reference's inputs) is above the 99.9th percentile of
    the errors of reference rows the model did not see."""
    from mlaudit.checks import multivariate
    from mlaudit.checks import rows as row_tools
    from mlaudit.stats import pca

    freqs = {n: row_tools.frequencies(v[f"reference:sample:{n}"]) for n, k in features if k == "categorical"}
    x_ref = multivariate.matrix(v, features, freqs, "reference:sample:")
    x_cur = multivariate.matrix({f"x:{n}": v[f"x:{n}"] for n, _ in features}, features, freqs, "x:")
    if x_ref.shape[0] < 2 * multivariate.REFERENCE_CHUNKS * multivariate.MIN_ROWS_PER_CHUNK or x_cur.shape[0] != rows:
        return np.zeros(rows, dtype=bool)
    x_ref, x_cur = multivariate.impute_reference_means(x_ref, x_cur)
    varying = np.ptp(x_ref, axis=0) > 0
    if int(varying.sum()) < 2:
        return np.zeros(rows, dtype=bool)
    x_ref, x_cur = x_ref[:, varying], x_cur[:, varying]
    # 90% of the variance (drift.multivariate keeps 65%): a single row is unusual when it leaves the directions the
    # reference's rows keep to, and the fewer directions are discarded, the more of them are judged
    model = pca.fit(x_ref[0::2], variance=OUTLIER_VARIANCE)
    limit = float(np.quantile(model.errors(x_ref[1::2]), OUTLIER_QUANTILE))
    return np.asarray(model.errors(x_cur) > limit, dtype=bool)


def plan(ctx: Context) -> list[Planned]:
    """One plan for the three review checks (they read the same columns)."""
    hr: HumanReview | None = ctx.contract.human_review
    enabled = {spec.id: ctx.levels(spec).enabled for spec in SPECS}
    if not any(enabled.values()):
        return []
    if hr is None:
        return [skipped(spec, ctx, "no human_review section in the contract: nothing says which decisions need a "
                        "person") for spec in SPECS if enabled[spec.id]]
    cols = ctx.contract.columns
    review = cols.review
    if not review or review not in ctx.current_schema:
        why = "needs columns.review in the contract" if not review else \
            f"needs the review column '{review}' in the current snapshot"
        return [skipped(spec, ctx, why) for spec in SPECS if enabled[spec.id]]
    requests: dict[str, pl.Expr] = {"rows": pl.len(), "reviewed": pl.col(review).is_not_null().cast(pl.Int8).implode(),
                                    "id": target.row_ids(ctx, "current").implode()}
    broken: list[tuple[int, str]] = []
    for i, condition in enumerate(hr.required_when):
        if condition.expr is not None:
            problem = rule_problem(condition.expr, ctx.current_schema)
            if problem:
                broken.append((i, problem))
            else:
                requests[f"cond{i}"] = pl.sql_expr(condition.expr).fill_null(False).cast(pl.Int8).implode()
    if cols.override and cols.override in ctx.current_schema:
        requests["override"] = pl.col(cols.override).cast(pl.Float64).implode()
    if cols.decision and cols.decision in ctx.current_schema:
        requests["decision"] = pl.col(cols.decision).cast(pl.String).implode()
    event = cols.event_time
    if event and event in ctx.current_schema and target.is_time(ctx.current_schema[event]):
        requests["day"] = pl.col(event).cast(pl.Date).cast(pl.String).implode()
    chunks, _ = chunking(ctx)
    if chunks is not None:
        requests["chunk"] = chunks.key.implode()
    wants_ood = any(c.out_of_distribution or c.multivariate_outlier for c in hr.required_when)
    features = _ood_features(ctx) if wants_ood else []
    reference: dict[str, pl.Expr] = {}
    if features:
        current_ood, reference = _ood_requests(ctx, features)
        requests |= current_ood
        if any(c.multivariate_outlier for c in hr.required_when):
            reference |= _sample_requests(ctx, features)

    def finish(v: Mapping[str, Any]) -> list[CheckResult]:
        rows = int(v["rows"])
        reviewed = floats(v["reviewed"]) == 1.0
        ids = pl.Series(v["id"]).to_list() if v["id"] is not None else []  # ids keep their type in examples
        out: list[CheckResult] = []
        masks: list[np.ndarray[Any, np.dtype[np.bool_]]] = []
        for i, condition in enumerate(hr.required_when):
            problem = next((p for j, p in broken if j == i), None)
            if problem is not None:
                if enabled[REQUIRED.id]:
                    out.append(result(REQUIRED, ctx, Status.error, f"'{condition.name}': the condition {problem}",
                                      column=condition.name))
                continue
            if condition.out_of_distribution:
                mask, per_feature = _out_of_distribution(v, features, rows)
            elif condition.multivariate_outlier:
                mask, per_feature = _outliers(v, features, rows), {}
            else:
                mask, per_feature = floats(v[f"cond{i}"]) == 1.0, {}
            masks.append(mask)
            if enabled[REQUIRED.id]:
                out.append(_required(ctx, hr, condition, mask, reviewed, ids, per_feature))
        if enabled[OVERRIDES.id]:
            out.append(_overrides(ctx, hr, v, reviewed))
        if enabled[CAPACITY.id]:
            needed = np.logical_or.reduce(masks) if masks else np.zeros(rows, dtype=bool)
            out.append(_capacity(ctx, hr, v, needed, reviewed))
        return out

    return [Planned(column=None, requests=requests, reference_requests=reference, finish=finish)]


def _required(ctx: Context, hr: HumanReview, condition: ReviewCondition, mask: Any, reviewed: Any, ids: list[Any],
              per_feature: dict[str, int]) -> CheckResult:
    limit = condition.max_unreviewed_share if condition.max_unreviewed_share is not None else hr.max_unreviewed_share
    levels = Levels(warn=None, fail=limit, severity=Severity.error)
    needed = int(mask.sum())
    alone = mask & ~reviewed
    missed = int(alone.sum())
    if needed == 0:
        return result(REQUIRED, ctx, Status.passed, f"'{condition.name}': no production decision required review",
                      column=condition.name, value=0.0, levels=levels, count=0, total=0)
    share = missed / needed
    examples = [ids[i] for i in np.flatnonzero(alone)[:MAX_EXAMPLES]]
    where = ""
    if per_feature:
        top = sorted(per_feature.items(), key=lambda kv: -kv[1])[:3]
        where = " (outside the training data in " + ", ".join(f"{k}: {n:,} rows" for k, n in top) + ")"
    msg = (f"'{condition.name}': {missed:,} of {needed:,} decisions that required review ({pct(share)}) were taken by "
           f"the model alone; {needed - missed:,} were reviewed{where}; fail above {pct(limit)}")
    return result(REQUIRED, ctx, levels.grade(share), msg, column=condition.name, value=share, levels=levels,
                  count=missed, total=needed, examples=examples, required=needed, reviewed=needed - missed,
                  out_of_distribution_by_feature=per_feature)


def _overrides(ctx: Context, hr: HumanReview, v: Mapping[str, Any], reviewed: Any) -> CheckResult:
    levels = Levels(warn=hr.max_override_share, fail=None, severity=Severity.warning)
    if "override" not in v:
        return result(OVERRIDES, ctx, Status.skipped, "needs columns.override in the current snapshot")
    overridden = (floats(v["override"]) == 1.0) & reviewed
    n_reviewed = int(reviewed.sum())
    if n_reviewed == 0:
        return result(OVERRIDES, ctx, Status.skipped, "no production decision was reviewed")
    n = int(overridden.sum())
    share = n / n_reviewed
    direction: dict[str, int] = {}
    if "decision" in v:
        decisions = np.asarray(texts(v["decision"]), dtype=object)
        for value in decisions[overridden]:
            key = f"{ctx.contract.columns.decision}={value}"
            direction[key] = direction.get(key, 0) + 1
    way = ("; reversed to " + ", ".join(f"{k} ({c:,})" for k, c in sorted(direction.items(), key=lambda kv: -kv[1]))
           if direction else "")
    trend = []
    if "chunk" in v:
        chunks, _ = chunking(ctx)
        keys = np.asarray([chunks.label(k) if chunks is not None and k is not None else "none"
                           for k in (list(v["chunk"]) if v["chunk"] is not None else [])], dtype=object)
        for key in sorted(dict.fromkeys(keys.tolist()), key=lambda c: c == "none"):
            rows = (keys == key) & reviewed
            if rows.any():
                trend.append({"chunk": key, "reviewed": int(rows.sum()), "overridden": int((overridden & rows).sum()),
                              "share": float((overridden & rows).sum() / rows.sum())})
    status = levels.grade(share) if hr.max_override_share is not None else Status.passed
    limit = f"; warn above {pct(hr.max_override_share)}" if hr.max_override_share is not None else ""
    msg = f"{n:,} of {n_reviewed:,} reviewed decisions ({pct(share)}) reversed the model{way}{limit}"
    return result(OVERRIDES, ctx, status, msg, value=share, levels=levels, count=n, total=n_reviewed,
                  direction=direction, trend=trend)


def _capacity(ctx: Context, hr: HumanReview, v: Mapping[str, Any], needed: Any, reviewed: Any) -> CheckResult:
    if hr.capacity_per_day is None:
        return result(CAPACITY, ctx, Status.skipped, "no human_review.capacity_per_day declared")
    if "day" not in v:
        return result(CAPACITY, ctx, Status.skipped, "needs columns.event_time (a timestamp) to count reviews per day")
    days = np.asarray(texts(v["day"]), dtype=object)
    per_day = []
    for day in sorted({d for d in days.tolist() if d is not None}):
        rows = days == day
        per_day.append({"day": day, "required": int((needed & rows).sum()), "reviewed": int((reviewed & rows).sum())})
    if not per_day:
        return result(CAPACITY, ctx, Status.skipped, "no production row has an event time")
    capacity = hr.capacity_per_day
    peak = max(per_day, key=lambda d: d["required"])
    done = max(per_day, key=lambda d: d["reviewed"])
    mean = sum(d["required"] for d in per_day) / len(per_day)
    levels = Levels(warn=None, fail=1.0, severity=Severity.error)
    share = peak["required"] / capacity
    msg = (f"decisions requiring review per day: mean {mean:,.1f}, busiest {peak['day']} with {peak['required']:,} "
           f"({share:.0%} of the capacity of {capacity:,} a day); reviews done: busiest {done['day']} with "
           f"{done['reviewed']:,}; fail above 100% of capacity")
    return result(CAPACITY, ctx, levels.grade(share), msg, value=share, levels=levels, per_day=per_day,
                  capacity_per_day=capacity)


PLANNERS = {spec.id: plan for spec in SPECS}
