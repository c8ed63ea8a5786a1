"""Metric blindness: what the model's decisions cost and whom they fail, when outcomes are known.

One plan fetches the outcome, prediction, cost and slice columns of both snapshots
(see outcome_data); its finish computes every performance check from those rows:

- performance.realised: each metric now against the reference, with its interval;
- performance.cost, performance.calibration, performance.rare_classes: what accuracy hides;
- performance.slices and performance.weak_slices: whom the model fails (see slices.py);
- performance.confidence and performance.signals: trends that need no outcomes;
- performance.estimated: estimated performance before outcomes arrive (see estimation.py);
- performance.blindness: the headline looks fine while the above got worse (see blindness.py).

A worsening is a finding when it is beyond its tolerance and significant (one-sided), so a small
sample does not raise an alarm by chance: the headline at outcomes.alpha, every other comparison at
outcomes.alpha divided by their number (Bonferroni), slices and bins corrected within their own family.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mlaudit.checks import blindness, estimation, outcome_data, slices
from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, result, skipped
from mlaudit.checks.outcome_data import Setup, Side
from mlaudit.checks.perfbase import (
    COST,
    MB,
    all_metrics,
    fmt,
    interval,
    limit,
    no_reference,
    relative_text,
    too_few,
    unjudged,
    worse,
)
from mlaudit.contract.model import Severity, Task
from mlaudit.results import CheckResult, OwnerArea, Status
from mlaudit.stats import calibration as cal
from mlaudit.stats import metrics
from mlaudit.stats.metrics import Estimate

REALISED = CheckSpec(
    "performance.realised", MB, OwnerArea.model_behavior,
    "Realised performance on the production rows whose outcomes are known, each metric against the reference "
    "with a 95% interval: the headline fails, any other metric warns, when it is worse by more than its "
    "tolerance and significantly so.",
    statistic="degradation", per_feature=False, levels_from="outcomes.tolerance",
)
CALIBRATION = CheckSpec(
    "performance.calibration", MB, OwnerArea.model_behavior,
    "Expected calibration error of the scores (equal-width bins; top-label for multiclass) above "
    "outcomes.calibration.max_ece and significant by the Hosmer-Lemeshow test; with the Brier decomposition, "
    "the reliability diagram and each declared slice's ECE.",
    statistic="ece", per_feature=False, levels_from="outcomes.calibration.max_ece",
)
RARE = CheckSpec(
    "performance.rare_classes", MB, OwnerArea.model_behavior,
    "Recall and precision of each class with at most outcomes.rare_class_share of the reference outcomes, not "
    "averaged away: recall worse by more than the tolerance and significant.",
    statistic="recall_drop", per_feature=False, levels_from="outcomes.tolerance",
)
CONFIDENCE = CheckSpec(
    "performance.confidence", MB, OwnerArea.model_behavior,
    "Share of low-confidence predictions (below outcomes.confidence.low) against the reference, and mean "
    "confidence, per chunk as a trend; needs no outcomes.",
    statistic="low_confidence_increase", severity=Severity.warning, per_feature=False,
    levels_from="outcomes.confidence.max_increase",
)
SIGNALS = CheckSpec(
    "performance.signals", MB, OwnerArea.decision_impact,
    "Operational signals per decision (outcomes.signals, columns.override, columns.cost): rate or mean against "
    "the reference, per chunk as a trend.",
    statistic="relative_increase", warn=0.25, severity=Severity.warning, per_feature=False,
)
#: Fewest production rows of a rare class for its recall to be judged.
MIN_CLASS_ROWS = 30
SPECS = (REALISED, COST, CALIBRATION, RARE, CONFIDENCE, SIGNALS, slices.SLICES, slices.WEAK, estimation.ESTIMATED,
         blindness.BLINDNESS)

def _coverage(cur: Side) -> str:
    """'judged on 21,403 production rows with outcomes (71.3% of 30,031)' when not all rows count, with the rows
    left out for an invalid prediction or an outcome outside model.classes."""
    known = cur.n
    if known >= cur.rows:
        return ""
    text = f"; judged on {known:,} production rows with outcomes ({known / cur.rows:.1%} of {cur.rows:,})"
    if cur.invalid:
        text += f"; {cur.invalid:,} rows with an invalid prediction left out (see validation.prediction_range)"
    if cur.unknown_labels:
        text += f"; {cur.unknown_labels:,} outcomes outside model.classes left out (see labels.validity)"
    return text


def realised(ctx: Context, s: Setup, ref: Side | None, cur: Side, m_ref: Mapping[str, Estimate] | None,
             m_cur: Mapping[str, Estimate], alpha: float) -> list[CheckResult]:
    """Each metric against the reference: the headline tested at outcomes.alpha, the others at `alpha`."""
    out = []
    for metric, now in m_cur.items():
        before = m_ref.get(metric, metrics.NAN) if m_ref is not None else metrics.NAN
        is_headline = metric == s.headline
        name = f"{metric} (headline)" if is_headline else metric
        if not now.ok:
            why = ("one class only, or no predicted positives" if s.task is not Task.regression else
                   "every outcome is 0 (MAPE), or the values overflow")
            out.append(result(REALISED, ctx, Status.skipped, f"{name}: cannot be computed on the {cur.n:,} production "
                              f"rows with outcomes ({why})", column=metric))
            continue
        text = f"{name} {fmt(now.value)}{interval(now)} on {now.n:,} rows"
        if not before.ok:
            out.append(result(REALISED, ctx, Status.skipped, f"{text}; {no_reference(ctx, ref)}", column=metric,
                              value=now.value,
                              current=now.value, low=now.low, high=now.high))
            continue
        ch, tol, beyond = worse(ctx, s, metric, before, now, ctx.contract.outcomes.alpha if is_headline else alpha)
        few = too_few(ctx, now.n, before.n)
        if unjudged(ch) or few:
            out.append(result(REALISED, ctx, Status.skipped, f"{text}, reference {fmt(before.value)}: "
                              f"{few or 'not judged, one side has a single row'}", column=metric, current=now.value))
            continue
        levels = Levels(warn=None if is_headline else tol, fail=tol if is_headline else None,
                        severity=Severity.error if is_headline else Severity.warning)
        status = (Status.fail if is_headline else Status.warn) if beyond else Status.passed
        direction = "worse" if ch.degradation > 0 else "better"
        verdict = ("beyond" if beyond else "within") + f" the tolerance {fmt(tol)}"
        if not beyond and ch.degradation > tol:
            verdict = f"beyond the tolerance {fmt(tol)} but not significant (p={ch.p_value:.3g})"
        msg = (f"{text}, reference {fmt(before.value)}{interval(before)}: {direction} by {fmt(abs(ch.degradation))}, "
               f"{verdict}" + (f" (one-sided p={ch.p_value:.3g})" if beyond else "") + _coverage(cur)
               + (f"; reference values from the profile's sample of {ctx.reference_rows or 0:,} training rows"
                  if ctx.reference_is_sample else ""))
        out.append(result(REALISED, ctx, status, msg, column=metric, value=ch.degradation, levels=levels,
                          current=now.value, low=now.low, high=now.high, reference=before.value,
                          relative_change=ch.relative, p_value=ch.p_value, rows=now.n, headline=is_headline))
    return out


def costs(ctx: Context, s: Setup, ref: Side | None, cur: Side, levels: Levels, alpha: float) -> CheckResult | None:
    """Total cost, cost per decision and the worst 1% of errors' cost, against the reference."""
    if cur.cost is None:
        why = ("no costs declared: set outcomes.costs (false_negative, false_positive or a matrix) or columns.cost"
               if s.cost_kind is None else "the cost columns are not in the current snapshot")
        return result(COST, ctx, Status.skipped, why)
    unit = ctx.contract.outcomes.costs.currency if ctx.contract.outcomes.costs is not None else None

    def money(x: float) -> str:
        return f"{x:,.2f} {unit}" if unit else f"{x:,.2f}"

    now, now_missing = _cost_rows(cur)
    if now.size == 0:
        return result(COST, ctx, Status.skipped, "no production row with a known outcome and cost")
    per = metrics.mean(now)
    worst = _worst_share(now)
    text = (f"cost per decision {money(per.value)}{interval(per)} over {now.size:,} decisions (total "
            f"{money(float(now.sum()))}; the costliest 1% of errors cost {money(worst[0])}, {worst[1]:.0%} of it)")
    if now_missing:
        text += f"; {now_missing:,} rows without a cost amount left out"
    details: dict[str, Any] = {"current": per.value, "low": per.low, "high": per.high, "total_cost": float(now.sum()),
                               "worst_1pct": worst[0], "decisions": int(now.size)}
    before = _cost_rows(ref)[0] if ref is not None and ref.cost is not None else np.empty(0)
    if before.size == 0:
        return result(COST, ctx, Status.skipped, f"{text}; no reference cost: {no_reference(ctx, ref)}", **details)
    b = metrics.mean(before)
    ch = metrics.change("cost", b, per)
    relative = ch.relative
    few = too_few(ctx, now.size, before.size)
    if unjudged(ch) or few:
        return result(COST, ctx, Status.skipped, f"{text}; reference {money(b.value)}: "
                      f"{few or 'not judged, one side has a single decision'}", **details)
    graded = levels.grade(relative) if not math.isnan(relative) else Status.passed
    status = graded if ch.p_value < alpha else Status.passed
    msg = (f"{text}; reference {money(b.value)}{interval(b)}: {relative_text(relative, b.value)} "
           f"({limit(levels)}; one-sided p={ch.p_value:.3g}){_coverage(cur)}")
    return result(COST, ctx, status, msg, value=relative, levels=levels, reference=b.value,
                  reference_total_cost=float(before.sum()), p_value=ch.p_value, **details)


def _cost_rows(d: Side | None, rows: Any = None) -> tuple[np.ndarray[Any, np.dtype[np.float64]], int]:
    """Costs of the labelled rows (among `rows`), and how many of them lack an amount."""
    if d is None or d.cost is None:
        return np.empty(0), 0
    keep = d.labelled if rows is None else d.labelled & rows
    values = d.cost[keep]
    missing = ~np.isfinite(values)
    return values[~missing], int(missing.sum())


def _worst_share(costs: np.ndarray[Any, np.dtype[np.float64]]) -> tuple[float, float]:
    """(cost of the costliest 1% of errors (at least one), its share of the total cost)."""
    errors = np.sort(costs[costs > 0])[::-1]
    if errors.size == 0:
        return 0.0, 0.0
    top = float(errors[: max(1, math.ceil(0.01 * errors.size))].sum())
    return top, top / float(errors.sum())


def calibration(ctx: Context, s: Setup, ref: Side | None, cur: Side, alpha: float) -> CheckResult:
    o = ctx.contract.outcomes
    levels = Levels(warn=None, fail=o.calibration.max_ece, severity=Severity.error)
    if s.task is Task.regression:
        return result(CALIBRATION, ctx, Status.skipped, "regression models have no probabilities to calibrate")
    p_now, y_now = outcome_data.calibration_rows(cur)
    if p_now is None:
        return result(CALIBRATION, ctx, Status.skipped, "needs probabilities (columns.score, or columns.probabilities "
                      "for multiclass)")
    if p_now.size == 0:
        return result(CALIBRATION, ctx, Status.skipped, "no production row with a known outcome and a valid score")
    few = too_few(ctx, p_now.size)
    if few:
        return result(CALIBRATION, ctx, Status.skipped, f"calibration on {p_now.size:,} rows: {few}")
    c = cal.calibration(p_now, y_now, o.calibration.bins)
    by_slice = slices.slice_ece(ctx, cur, o.calibration.bins)
    before = outcome_data.calibration_rows(ref)[0] if ref is not None else None
    ref_text, ref_ece = "", float("nan")
    if ref is not None and before is not None and before.size:
        p_ref, y_ref = outcome_data.calibration_rows(ref)
        assert p_ref is not None and y_ref is not None
        ref_ece = cal.ece(p_ref, y_ref, o.calibration.bins)[0]
        ref_text = f" (reference {ref_ece:.4f})"
    significant = math.isfinite(c.hl_p_value) and c.hl_p_value < alpha
    status = levels.grade(c.ece) if significant else Status.passed
    kind = "top-label " if s.task is Task.multiclass_classification else ""
    verdict = f"above max_ece {o.calibration.max_ece:g}" if c.ece > o.calibration.max_ece else \
        f"within max_ece {o.calibration.max_ece:g}"
    if c.ece > o.calibration.max_ece and not significant:
        verdict += " but not significant"
    worst = max(by_slice, key=lambda r: r["ece"], default=None)
    tail = f"; worst declared slice {worst['slice']}: ECE {worst['ece']:.4f} on {worst['rows']:,} rows" if worst else ""
    msg = (f"{kind}expected calibration error {c.ece:.4f}{ref_text}, {verdict} (Hosmer-Lemeshow p={c.hl_p_value:.3g}; "
           f"max bin gap {c.mce:.3f}; {c.n:,} rows){tail}")
    return result(CALIBRATION, ctx, status, msg, value=c.ece, levels=levels, reference=ref_ece, mce=c.mce,
                  ece_equal_mass=c.ece_equal_mass, brier_reliability=c.reliability, brier_resolution=c.resolution,
                  brier_uncertainty=c.uncertainty, hosmer_lemeshow=c.hl_statistic, p_value=c.hl_p_value,
                  reliability_diagram=c.diagram, slices=by_slice)


def rare_classes(ctx: Context, s: Setup, ref: Side | None, cur: Side, alpha: float) -> list[CheckResult]:
    if s.task is Task.regression:
        return [result(RARE, ctx, Status.skipped, "regression models have no classes")]
    if ref is None or ref.n == 0:
        return [result(RARE, ctx, Status.skipped, f"needs reference outcomes to tell which classes are rare: "
                       f"{no_reference(ctx, ref)}")]
    o = ctx.contract.outcomes
    names, truth_ref, said_ref, truth_cur, said_cur = _class_views(s, ref, cur)
    out = []
    for i, name in enumerate(names):
        share = float(truth_ref[i].mean()) if truth_ref[i].size else 0.0
        if share == 0:
            out.append(result(RARE, ctx, Status.skipped, f"class {name} never occurs among the reference outcomes: "
                              "its recall cannot be compared", column=name))
            continue
        if share > o.rare_class_share:
            continue
        before = _recall_precision(truth_ref[i], said_ref[i])
        now = _recall_precision(truth_cur[i], said_cur[i])
        if not now[0].ok:
            out.append(result(RARE, ctx, Status.skipped, f"class {name} ({share:.1%} of reference outcomes): no "
                              "production row of it has a known outcome", column=name))
            continue
        ch, tol, beyond = worse(ctx, s, "recall", before[0], now[0], alpha)
        if unjudged(ch) or now[0].n < MIN_CLASS_ROWS:
            out.append(result(RARE, ctx, Status.skipped, f"class {name}: recall {fmt(now[0].value)} on {now[0].n:,} "
                              f"production rows of it, fewer than {MIN_CLASS_ROWS} to judge", column=name))
            continue
        levels = Levels(warn=None, fail=tol, severity=Severity.error)
        msg = (f"class {name} ({share:.1%} of reference outcomes): recall {fmt(now[0].value)}{interval(now[0])}, "
               f"reference {fmt(before[0].value)}; precision {fmt(now[1].value)}, reference {fmt(before[1].value)}: "
               f"recall {'worse' if ch.degradation > 0 else 'better'} by {fmt(abs(ch.degradation))}, "
               f"{'beyond' if beyond else 'within'} the tolerance {fmt(tol)}"
               + (f" (one-sided p={ch.p_value:.3g})" if beyond else ""))
        out.append(result(RARE, ctx, Status.fail if beyond else Status.passed, msg, column=name,
                          value=ch.degradation, levels=levels, recall=now[0].value, reference_recall=before[0].value,
                          precision=now[1].value, reference_precision=before[1].value, share=share,
                          p_value=ch.p_value, rows=int(truth_cur[i].sum())))
    if not out:
        out.append(result(RARE, ctx, Status.passed, f"no class has at most {o.rare_class_share:.0%} of the reference "
                          "outcomes"))
    return out


def _class_views(s: Setup, ref: Side, cur: Side) -> tuple[list[str], list[Any], list[Any], list[Any], list[Any]]:
    """Per class: its name and boolean truth/prediction on each side's labelled rows."""
    if s.task is Task.binary_classification:
        names = ["positive", "negative"]
        views = []
        for d in (ref, cur):
            y, p = d.y[d.labelled], d.pred[d.labelled]
            views.append(([y, ~y], [p, ~p]))
        return names, views[0][0], views[0][1], views[1][0], views[1][1]
    names = list(s.classes)
    tr, sr, tc, sc = [], [], [], []
    for i in range(len(names)):
        tr.append(ref.y[ref.labelled] == i)
        sr.append(ref.pred[ref.labelled] == i)
        tc.append(cur.y[cur.labelled] == i)
        sc.append(cur.pred[cur.labelled] == i)
    return names, tr, sr, tc, sc


def _recall_precision(truth: Any, said: Any) -> tuple[Estimate, Estimate]:
    tp = int(np.sum(truth & said))
    return metrics.wilson(tp, int(truth.sum())), metrics.wilson(tp, int(said.sum()))


def _confidence(d: Side) -> Any:
    if d.proba is not None:
        return d.proba.max(axis=1)
    if d.score is not None:
        return np.maximum(d.score, 1 - d.score)
    return None


def confidence(ctx: Context, s: Setup, ref: Side | None, cur: Side, alpha: float) -> CheckResult:
    o = ctx.contract.outcomes.confidence
    levels = Levels(warn=o.max_increase, fail=None, severity=Severity.warning)
    if s.task is Task.regression:
        return result(CONFIDENCE, ctx, Status.skipped, "regression models give no class probabilities")
    now = _confidence(cur)
    if now is None:
        return result(CONFIDENCE, ctx, Status.skipped, "needs probabilities (columns.score or columns.probabilities)")
    if not cur.valid.any():
        return result(CONFIDENCE, ctx, Status.skipped, f"no valid prediction among the {cur.rows:,} production rows")
    low_now = now[cur.valid] < o.low
    trend = _trend(cur, lambda rows: {"mean_confidence": float(now[rows].mean()),
                                      "low_share": float((now[rows] < o.low).mean())}, cur.valid)
    text = (f"{low_now.mean():.1%} of {low_now.size:,} predictions below confidence {o.low:g} (mean confidence "
            f"{now[cur.valid].mean():.3f})")
    before = _confidence(ref) if ref is not None else None
    if before is None or ref is None or not ref.valid.any():
        return result(CONFIDENCE, ctx, Status.skipped, f"{text}; {no_reference(ctx, ref)}", trend=trend)
    low_ref = before[ref.valid] < o.low
    if too_few(ctx, low_now.size, low_ref.size):
        return result(CONFIDENCE, ctx, Status.skipped, f"{text}; {too_few(ctx, low_now.size, low_ref.size)}",
                      trend=trend)
    from mlaudit.stats.twosample import two_proportions

    test = two_proportions(int(low_ref.sum()), low_ref.size, int(low_now.sum()), low_now.size)
    increase = float(low_now.mean() - low_ref.mean())
    one_sided = test.p_value / 2 if increase > 0 else 1 - test.p_value / 2
    status = levels.grade(increase) if one_sided < alpha else Status.passed
    msg = (f"{text}; reference {low_ref.mean():.1%} (mean {before[ref.valid].mean():.3f}): "
           f"{'+' if increase >= 0 else '-'}{abs(increase) * 100:.1f} points (warn above +{o.max_increase * 100:g}; "
           f"one-sided p={one_sided:.3g})")
    return result(CONFIDENCE, ctx, status, msg, value=increase, levels=levels, current=float(low_now.mean()),
                  reference=float(low_ref.mean()), p_value=one_sided, trend=trend)


def _trend(d: Side, stat: Any, rows: Any) -> list[dict[str, Any]]:
    """stat(mask) per chunk of the current snapshot (empty without --chunk)."""
    if d.chunk is None:
        return []
    labels = np.asarray(d.chunk, dtype=object)
    out = []
    for label in sorted(dict.fromkeys(d.chunk), key=lambda c: c == "none"):  # rows without a time last
        mask = (labels == label) & rows
        if mask.any():
            out.append({"chunk": label, "rows": int(mask.sum()), **stat(mask)})
    return out


def signals(ctx: Context, ref: Side | None, cur: Side, levels: Levels, alpha: float) -> list[CheckResult]:
    out = []
    for name, values in cur.signals.items():
        present = np.isfinite(values)
        if not present.any():
            out.append(result(SIGNALS, ctx, Status.skipped, f"'{name}': no value in the {cur.rows:,} production rows",
                              column=name))
            continue
        now = metrics.mean(values[present])
        trend = _trend(cur, lambda rows, v=values: {"mean": float(np.nanmean(v[rows]))}, present)
        text = f"'{name}': {fmt(now.value)} per decision{interval(now)} over {now.n:,} decisions"
        before_values = ref.signals.get(name) if ref is not None else None
        if before_values is None or not np.isfinite(before_values).any():
            out.append(result(SIGNALS, ctx, Status.skipped, f"{text}; not in the reference, so no change can be "
                              "judged", column=name, current=now.value, trend=trend))
            continue
        before = metrics.mean(before_values[np.isfinite(before_values)])
        ch = metrics.change("loss", before, now)
        if unjudged(ch):
            out.append(result(SIGNALS, ctx, Status.skipped, f"{text}; reference {fmt(before.value)}: not judged, one "
                              "side has a single value", column=name, current=now.value, trend=trend))
            continue
        status = levels.grade(ch.relative) if not math.isnan(ch.relative) and ch.p_value < alpha else Status.passed
        msg = (f"{text}; reference {fmt(before.value)}: {relative_text(ch.relative, before.value)} "
               f"({limit(levels)}; one-sided p={ch.p_value:.3g})")
        out.append(result(SIGNALS, ctx, status, msg, column=name, value=ch.relative, levels=levels,
                          current=now.value, reference=before.value, p_value=ch.p_value, trend=trend))
    if not out:
        out.append(result(SIGNALS, ctx, Status.skipped, "no operational signal columns (outcomes.signals, "
                          "columns.override, columns.cost) in the current snapshot"))
    return out


def plan(ctx: Context) -> list[Planned]:
    """One plan serving every performance check (the registry runs it once)."""
    enabled = {spec.id: ctx.levels(spec).enabled for spec in SPECS}
    if not any(enabled.values()):
        return []
    s, why = outcome_data.setup(ctx)
    if s is None:
        return [skipped(spec, ctx, why) for spec in SPECS if enabled[spec.id]]
    current = outcome_data.requests(ctx, s, "current")
    reference = outcome_data.requests(ctx, s, "reference")
    main = [spec for spec in SPECS if spec is not slices.WEAK and enabled[spec.id]]

    def finish(v: Mapping[str, Any]) -> list[CheckResult]:
        ref, cur = _sides(ctx, s, v)
        if cur is None:
            return [result(spec, ctx, Status.skipped, "the current snapshot has no usable prediction column")
                    for spec in main]
        return evaluate(ctx, s, ref, cur, enabled)

    planned = [Planned(column=None, requests=current, reference_requests=reference, finish=finish)] if main else []
    if enabled[slices.WEAK.id]:
        planned.append(_search_plan(ctx, s))
    return planned


def _sides(ctx: Context, s: Setup, v: Mapping[str, Any]) -> tuple[Side | None, Side | None]:
    """(reference, current) rows from one plan's values; no reference in a self-audit."""
    cur = outcome_data.side(ctx, s, "current", {k: x for k, x in v.items() if not k.startswith("reference:")})
    ref = outcome_data.side(ctx, s, "reference", {k.removeprefix("reference:"): x for k, x in v.items()
                                                  if k.startswith("reference:")})
    return (None if ctx.same_data else ref), cur


def _search_plan(ctx: Context, s: Setup) -> Planned:
    """The weak-slice search reads every model input: on a systematic sample of at most rows.MAX_ROWS rows per
    snapshot (as concept drift does), so memory stays bounded; its message gives the sample sizes."""
    from mlaudit.checks import rows

    def finish(v: Mapping[str, Any]) -> list[CheckResult]:
        ref, cur = _sides(ctx, s, v)
        if cur is None:
            return [result(slices.WEAK, ctx, Status.skipped, "the current snapshot has no usable prediction column")]
        broken, unclear = unusable(ctx, ref, cur)
        if broken or unclear:
            return [result(slices.WEAK, ctx, Status.skipped, broken or unclear)]
        if cur.n == 0:
            return [result(slices.WEAK, ctx, Status.skipped, s.no_outcomes or "no production row has a known "
                           "outcome yet (pass --outcomes with the delayed outcomes)")]
        return slices.search(ctx, s, ref, cur)

    return Planned(column=None, requests=outcome_data.requests(ctx, s, "current", search=True),
                   reference_requests=outcome_data.requests(ctx, s, "reference", search=True), finish=finish,
                   row_step=(rows.step(ctx.reference_rows), rows.step(ctx.current_rows)))


def secondary_alpha(ctx: Context, s: Setup, cur: Side, metric_count: int) -> float:
    """outcomes.alpha divided by the number of secondary comparisons this run makes (Bonferroni): every metric but
    the headline, cost, calibration, each class, confidence and each signal. Without it a clean run would find
    one of a dozen comparisons 'significant' every few runs."""
    classes = len(s.classes) if s.task is not Task.regression else 0
    count = max(metric_count - 1, 0) + 3 + classes + len(cur.signals)
    return ctx.contract.outcomes.alpha / max(count, 1)


def unusable(ctx: Context, ref: Side | None, cur: Side) -> tuple[str, str]:
    """(why no check can judge these rows, why no outcome check can), '' when they can."""
    if cur.rows and cur.invalid > cur.rows / 2:
        return (f"{cur.invalid:,} of {cur.rows:,} production predictions are invalid (missing, or outside [0, 1] for "
                "probabilities): fix the prediction columns first (see validation.prediction_range)"), ""
    unclear = cur.unclear_labels or (ref.unclear_labels if ref is not None else [])
    if unclear:
        return "", (f"label '{ctx.contract.columns.label}' holds values other than 0 and 1 (e.g. {unclear[0]}): set "
                    "model.positive_class to say which one is positive")
    return "", ""


def evaluate(ctx: Context, s: Setup, ref: Side | None, cur: Side, enabled: Mapping[str, bool]) -> list[CheckResult]:
    """Every performance check's results from both sides' rows."""
    out: list[CheckResult] = []
    broken, unclear = unusable(ctx, ref, cur)
    if broken:
        return [result(spec, ctx, Status.skipped, broken) for spec in SPECS if enabled[spec.id]
                and spec is not slices.WEAK]
    m_cur = all_metrics(ctx, s, cur) if cur.n else {}
    alpha = secondary_alpha(ctx, s, cur, len(m_cur) or len(metrics.BINARY))
    if enabled[CONFIDENCE.id]:
        out.append(confidence(ctx, s, ref, cur, alpha))
    if enabled[SIGNALS.id]:
        out += signals(ctx, ref, cur, ctx.levels(SIGNALS), alpha)
    if enabled[estimation.ESTIMATED.id]:
        out.append(estimation.estimated(ctx, s, ref, cur))
    if enabled[estimation.ESTIMATED.id] and unclear:
        out[-1] = result(estimation.ESTIMATED, ctx, Status.skipped, unclear)
    if cur.n == 0 or unclear:
        why = unclear or s.no_outcomes or (f"no production row has a known outcome yet ({cur.rows:,} rows; pass "
                                           "--outcomes with the delayed outcomes); see performance.estimated")
        return out + [result(spec, ctx, Status.skipped, why) for spec in SPECS if enabled[spec.id]
                      and spec not in (CONFIDENCE, SIGNALS, estimation.ESTIMATED, slices.WEAK)]
    m_ref = all_metrics(ctx, s, ref) if ref is not None and ref.n else None
    found: dict[str, list[CheckResult]] = {
        REALISED.id: realised(ctx, s, ref, cur, m_ref, m_cur, alpha),
        COST.id: [r for r in [costs(ctx, s, ref, cur, ctx.levels(COST), alpha)] if r is not None],
        CALIBRATION.id: [calibration(ctx, s, ref, cur, alpha)],
        RARE.id: rare_classes(ctx, s, ref, cur, alpha),
        slices.SLICES.id: slices.declared(ctx, s, ref, cur),
    }
    for check_id, results in found.items():
        if enabled[check_id]:
            out += results
    if enabled[blindness.BLINDNESS.id]:
        out.append(blindness.judge(ctx, s, {k: v for k, v in found.items() if enabled[k]}))
    return out


PLANNERS = {spec.id: plan for spec in SPECS}
