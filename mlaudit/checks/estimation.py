"""Performance before the outcomes arrive: confidence-based estimation (CBPE) per chunk, and how far to
trust it once they do.

Scores are recalibrated on the reference first (isotonic regression) when outcomes.estimate.calibrate is
'always', or 'auto' and the reference's own scores fail the Hosmer-Lemeshow test. Each chunk (--chunk;
otherwise the whole production snapshot) gets estimated accuracy, precision, recall, F1 and ROC AUC with
a sampling band (stats/cbpe.py). Where a chunk's outcomes are known (on at least drift.min_rows rows),
the estimate on those rows is set beside the realised value: a realised value significantly away from the
estimate (z against the simulated spread, Benjamini-Hochberg across chunks) says the assumptions
(calibrated scores, no concept shift) do not hold there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlaudit.checks.base import CheckSpec, Context, Levels, result
from mlaudit.checks.outcome_data import Setup, Side
from mlaudit.checks.perfbase import MB, fmt, tolerance
from mlaudit.contract.model import Severity, Task
from mlaudit.results import CheckResult, OwnerArea, Status
from mlaudit.stats import calibration as cal
from mlaudit.stats import cbpe, metrics
from mlaudit.stats.association import roc_auc
from mlaudit.stats.twosample import benjamini_hochberg, normal_two_sided

ESTIMATED = CheckSpec(
    "performance.estimated", MB, OwnerArea.model_behavior,
    "Estimated performance per chunk from the scores (CBPE, binary models) where outcomes have not arrived, "
    "with a sampling band: warns when the estimate is worse than the reference by more than the tolerance and "
    "outside the band, or when realised values differ significantly from their estimates, corrected across chunks "
    "(its assumptions do not hold).",
    statistic="estimated_degradation", severity=Severity.warning, per_feature=False,
    levels_from="outcomes.tolerance",
)
#: A chunk counts as awaiting outcomes when fewer than this share of its rows have one.
AWAITING = 0.5


def _calibrator(ctx: Context, ref: Side | None) -> tuple[cal.Isotonic | None, str]:
    """The recalibration map (None: scores used as they are) and a note on why."""
    mode = ctx.contract.outcomes.estimate.calibrate
    if mode == "never":
        return None, "scores used as they are (outcomes.estimate.calibrate: never)"
    if ref is None or ref.n == 0 or ref.score is None:
        return None, "scores used as they are: the reference has no outcomes to check their calibration on"
    p, y = ref.score[ref.labelled], ref.y[ref.labelled].astype(np.float64)
    _, p_value = cal.hosmer_lemeshow(p, y)
    if mode == "auto" and not (math.isfinite(p_value) and p_value < ctx.contract.outcomes.alpha):
        return None, f"reference scores are calibrated (Hosmer-Lemeshow p={p_value:.3g}), used as they are"
    why = "always" if mode == "always" else \
        f"the reference's scores are miscalibrated (Hosmer-Lemeshow p={p_value:.3g})"
    return cal.isotonic(p, y), f"scores recalibrated on the reference by isotonic regression ({why})"


def estimated(ctx: Context, s: Setup, ref: Side | None, cur: Side) -> CheckResult:
    o = ctx.contract.outcomes
    if not o.estimate.enabled:
        return result(ESTIMATED, ctx, Status.skipped, "outcomes.estimate.enabled is false")
    if ctx.same_data:
        return result(ESTIMATED, ctx, Status.skipped, "reference and current are the same data (a self-audit): "
                      "every outcome is known, nothing to estimate")
    if s.task is not Task.binary_classification or cur.score is None:
        return result(ESTIMATED, ctx, Status.skipped, "estimation without outcomes needs a binary model's scores "
                      "(columns.score)")
    metric = s.headline if s.headline in cbpe.METRICS else "accuracy"
    calibrate, how = _calibrator(ctx, ref)
    reference = _reference_value(ref, metric)
    tol = tolerance(ctx, s, metric, reference)
    labels = np.asarray(cur.chunk if cur.chunk is not None else ["all"] * cur.rows, dtype=object)
    chunks: list[dict[str, Any]] = []
    for label in dict.fromkeys(labels.tolist()):
        rows = cur.valid & (labels == label)
        if not rows.any():
            continue
        chunks.append(_chunk(ctx, cur, rows, str(label), metric, calibrate, reference, tol))
    awaiting = [c for c in chunks if c["coverage"] < AWAITING]
    dropped = [c for c in awaiting if c["below_reference"]]
    checked = [c for c in chunks if c.get("realised") is not None]
    # many chunks: some realised values fall outside their 95% band by chance, so each chunk's gap is tested
    # (z against the simulated spread) and corrected across chunks
    for c, p_adj in zip(checked, benjamini_hochberg([c["p_value"] for c in checked]), strict=True):
        c["p_value_adjusted"] = float(p_adj)
    outside = [c for c in checked if c["p_value_adjusted"] < o.alpha]
    status = Status.warn if dropped or outside else Status.passed
    parts = [f"{metric} estimated per {'chunk' if cur.chunk is not None else 'snapshot'} from the scores ({how})"]
    if awaiting:
        low = min(awaiting, key=lambda c: c["estimate"])
        span = f"{fmt(min(c['estimate'] for c in awaiting))} to {fmt(max(c['estimate'] for c in awaiting))}"
        parts.append(f"{len(awaiting)} chunk(s) awaiting outcomes: estimates {span} against the reference "
                     f"{fmt(reference)}"
                     + (f"; {len(dropped)} worse by more than the tolerance {fmt(tol)} and outside the band (lowest "
                        f"{low['chunk']}: {fmt(low['estimate'])} [{fmt(low['band'][0])}, {fmt(low['band'][1])}])"
                        if dropped else "; none worse by more than the tolerance"))
    if checked:
        worst = max(checked, key=lambda c: abs(c["realised"] - c["estimate_labelled"]))
        parts.append(f"where outcomes arrived ({len(checked)} chunk(s)) the realised value differed significantly "
                     f"from the estimate (corrected across chunks) in {len(outside)}" + (
                         f": the assumptions (calibrated scores, no concept shift) do not hold, so do not trust the "
                         f"estimates of the chunks awaiting outcomes; largest gap in {worst['chunk']}: estimated "
                         f"{fmt(worst['estimate_labelled'])}, realised {fmt(worst['realised'])}" if outside else
                         " (the estimates can be trusted as far as this data shows)"))
    elif not awaiting:
        return result(ESTIMATED, ctx, Status.skipped, f"nothing to estimate or compare: no chunk awaits outcomes and "
                      f"none has {ctx.contract.drift.min_rows:,} rows with outcomes (drift.min_rows)", metric=metric,
                      chunks=chunks)
    value = max((reference - c["estimate"] if metric in metrics.HIGHER_IS_BETTER else c["estimate"] - reference
                 for c in awaiting), default=None) if math.isfinite(reference) else None
    return result(ESTIMATED, ctx, status, "; ".join(parts), value=value,
                  levels=Levels(warn=tol if math.isfinite(tol) else None, fail=None, severity=Severity.warning),
                  metric=metric, reference=reference, calibration=how, chunks=chunks,
                  chunks_outside_band=len(outside), chunks_below_reference=len(dropped))


def _reference_value(ref: Side | None, metric: str) -> float:
    if ref is None or ref.n == 0 or ref.score is None:
        return float("nan")
    keep = ref.labelled
    y, score, pred = ref.y[keep], ref.score[keep], ref.pred[keep]
    return _realised(y, score, pred)[metric]


def _realised(y: Any, score: Any, pred: Any) -> dict[str, float]:
    """The realised values of the estimated metrics (no intervals: only the values are compared)."""
    tp, fp, fn, tn = metrics.confusion(y, pred)
    nan = float("nan")
    return {"accuracy": (tp + tn) / y.size if y.size else nan, "precision": tp / (tp + fp) if tp + fp else nan,
            "recall": tp / (tp + fn) if tp + fn else nan, "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else nan,
            "roc_auc": roc_auc(score, y).auc if 0 < y.sum() < y.size else nan}


def _chunk(ctx: Context, cur: Side, rows: Any, label: str, metric: str, calibrate: cal.Isotonic | None,
           reference: float, tol: float) -> dict[str, Any]:
    assert cur.score is not None
    score = cur.score[rows]
    p = calibrate(score) if calibrate is not None else score
    pred = cur.pred[rows]
    est = cbpe.estimate(p, score, pred)
    simulated = cbpe.simulate(p, score, pred)[metric]
    low, high = cbpe.percentiles(simulated)
    labelled = cur.labelled[rows]
    coverage = float(labelled.mean())
    higher = metric in metrics.HIGHER_IS_BETTER
    worse_by = (reference - est[metric]) if higher else (est[metric] - reference)
    outside = (reference > high) if higher else (reference < low)
    out: dict[str, Any] = {"chunk": label, "rows": int(rows.sum()), "estimate": est[metric], "band": [low, high],
                           "estimates": est, "coverage": coverage,
                           "below_reference": bool(math.isfinite(worse_by) and worse_by > tol and outside)}
    if labelled.sum() >= ctx.contract.drift.min_rows:
        y = cur.y[rows][labelled]
        real = _realised(y, score[labelled], pred[labelled])[metric]
        every = bool(labelled.all())  # every row has its outcome: the estimate and draws above are these rows'
        est_l = est[metric] if every else cbpe.estimate(p[labelled], score[labelled], pred[labelled])[metric]
        draws = simulated if every else cbpe.simulate(p[labelled], score[labelled], pred[labelled])[metric]
        lo_l, hi_l = cbpe.percentiles(draws)
        sd = float(draws.std(ddof=1)) if draws.size > 1 else float("nan")
        z = (real - float(draws.mean())) / sd if sd > 0 and math.isfinite(real) else 0.0
        out.update(realised=real, estimate_labelled=est_l, band_labelled=[lo_l, hi_l],
                   realised_within_band=bool(lo_l <= real <= hi_l) if math.isfinite(real) else True,
                   p_value=normal_two_sided(z))
    return out
