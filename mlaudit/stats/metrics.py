"""Realised model performance: classification and regression metrics with their sampling error.

Every metric is an exact function of its inputs and comes as an :class:`Estimate`
with a 95% interval and a standard error, so that two periods can be compared
without a small sample raising an alarm by chance:

- rates (accuracy, precision, recall): Wilson score interval, binomial standard error;
- means of per-row losses (log loss, Brier, MAE, MAPE, pinball, cost per decision): the
  normal interval of a mean, mean +- 1.96 sd / sqrt(n);
- RMSE: the square root of the interval of the mean squared error;
- ROC AUC: Hanley-McNeil standard error (AUC from the Mann-Whitney U statistic);
- F1: delta-method standard error of 2 TP / (2 TP + FP + FN);
- macro precision/recall/F1, PR AUC: Poisson bootstrap with a fixed seed (no closed form).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mlaudit.stats.association import hanley_mcneil_se, roc_auc

Z95 = 1.959963984540054
#: Bootstrap resamples and their seed: fixed, so that two runs on the same data agree.
BOOTSTRAP_REPS = 200
BOOTSTRAP_SEED = 20261129
#: log loss clips probabilities to [EPS, 1 - EPS] so that one confident miss is large, not infinite.
EPS = 1e-15

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class Estimate:
    """A metric's value on a sample, its 95% interval and standard error; NaN when it cannot be computed."""

    value: float
    low: float
    high: float
    se: float
    n: int

    @property
    def ok(self) -> bool:
        return math.isfinite(self.value)


NAN = Estimate(float("nan"), float("nan"), float("nan"), float("nan"), 0)

#: Metrics where a larger value is better; the others are losses.
HIGHER_IS_BETTER = frozenset({"accuracy", "precision", "recall", "f1", "macro_precision", "macro_recall", "macro_f1",
                              "roc_auc", "pr_auc"})
BINARY = ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier")
MULTICLASS = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc", "log_loss", "brier")
REGRESSION = ("mae", "rmse", "mape", "pinball", "asymmetric")


def wilson(k: int, n: int) -> Estimate:
    """Proportion k/n with the Wilson score interval (z = 1.96) and the binomial standard error; at k = 0 or
    k = n, where the binomial error is 0 (it would make 0 of 4 'certain'), the Wilson half-width / 1.96."""
    if n <= 0:
        return NAN
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    se = math.sqrt(p * (1 - p) / n) if 0 < k < n else half / Z95
    # rounding can put a bound 1e-16 on the wrong side of p (at k = 0 or n) or outside [0, 1]
    low, high = max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))
    return Estimate(p, low, high, se, n)


def mean(values: Floats) -> Estimate:
    """Mean of per-row values with the normal interval mean +- 1.96 s / sqrt(n) (s with ddof=1)."""
    n = int(values.size)
    if n == 0:
        return NAN
    m = float(values.mean())
    se = float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    return Estimate(m, m - Z95 * se, m + Z95 * se, se, n)


def bootstrap(statistic: Callable[[Floats], float], n: int, seed: int = BOOTSTRAP_SEED) -> Estimate:
    """statistic(row weights) with a Poisson bootstrap: each resample weighs every row by a Poisson(1) draw,
    which matches resampling n rows with replacement as n grows and costs one pass instead of a sort.

    Up to 100,000 rows: BOOTSTRAP_REPS (200) resamples and the percentile interval. Above, fewer resamples
    (20 million row-draws in all, at least 30) and the normal interval value +- 1.96 sd of the resamples:
    at that size the sampling distribution is normal and the resamples only need to give its spread.
    The seed is fixed, so two runs on the same data agree."""
    if n <= 0:
        return NAN
    value = statistic(np.ones(n))
    if not math.isfinite(value):
        return Estimate(value, float("nan"), float("nan"), float("nan"), n)
    reps = BOOTSTRAP_REPS if n <= 100_000 else max(30, 20_000_000 // n)
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(rng.poisson(1.0, n).astype(np.float64)) for _ in range(reps)])
    draws = draws[np.isfinite(draws)]
    if draws.size < 2:
        return Estimate(value, float("nan"), float("nan"), float("nan"), n)
    se = float(draws.std(ddof=1))
    if reps < BOOTSTRAP_REPS:
        return Estimate(value, value - Z95 * se, value + Z95 * se, se, n)
    low, high = np.quantile(draws, [0.025, 0.975])
    return Estimate(value, float(low), float(high), se, n)


def f1(tp: int, fp: int, fn: int, n: int) -> Estimate:
    """F1 = 2 TP / (2 TP + FP + FN) with its delta-method standard error: F1 is a function of the multinomial
    shares a = TP/n and b = (FP + FN)/n, F = 2a / (2a + b), so var F = g' S g / n with
    g = (2b, -2a) / (2a + b)^2 and S the multinomial covariance [[a(1-a), -ab], [-ab, b(1-b)]]; a and b get
    half a count each in the error (not in the value), so that TP = 0 is not 'certain'."""
    wrong = fp + fn
    if n <= 0 or tp + wrong == 0:
        return NAN
    value = 2 * tp / (2 * tp + wrong)
    # shares with half a count added, so that TP = 0 or no error does not give a zero standard error
    a, b = (tp + 0.5) / (n + 1), (wrong + 0.5) / (n + 1)
    ga, gb = 2 * b / (2 * a + b) ** 2, -2 * a / (2 * a + b) ** 2
    var = (ga * ga * a * (1 - a) + gb * gb * b * (1 - b) - 2 * ga * gb * a * b) / n
    se = math.sqrt(max(var, 0.0))
    return Estimate(value, max(0.0, value - Z95 * se), min(1.0, value + Z95 * se), se, n)


def _f1(tp: float, fp: float, fn: float) -> float:
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator else float("nan")


def confusion(y: Bools, pred: Bools) -> tuple[int, int, int, int]:
    """(TP, FP, FN, TN) of boolean truth and prediction."""
    tp = int(np.sum(y & pred))
    fp = int(np.sum(~y & pred))
    fn = int(np.sum(y & ~pred))
    return tp, fp, fn, int(y.size) - tp - fp - fn


def average_precision(score: Floats, y: Bools) -> float:
    """PR AUC as average precision: sum over distinct score thresholds (highest first) of
    (R_k - R_{k-1}) P_k, P and R the precision and recall of predicting positive at score >= threshold."""
    positives = int(y.sum())
    if positives == 0 or positives == y.size:
        return float("nan")
    return _RankedAP(score, y)(np.ones(y.size))


class _RankedAP:
    """Average precision of one sample under row weights, sorted once (for the bootstrap)."""

    def __init__(self, score: Floats, y: Bools) -> None:
        order = np.argsort(-score, kind="mergesort")
        s = score[order]
        self.truth = y[order].astype(np.float64)
        self.last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # last row of each distinct score

    def __call__(self, weights: Floats) -> float:
        w = weights if weights.size == self.truth.size else np.ones(self.truth.size)
        tp = np.cumsum(w * self.truth)[self.last]
        predicted = np.cumsum(w)[self.last]
        if tp.size == 0 or tp[-1] <= 0 or tp[-1] >= predicted[-1]:
            return float("nan")
        precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
        return float(np.sum(np.diff(np.r_[0.0, tp / tp[-1]]) * precision))


def _auc(score: Floats, y: Bools) -> Estimate:
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return NAN
    a = roc_auc(score, y).auc
    se = hanley_mcneil_se(a, n_pos, n_neg)
    return Estimate(a, max(0.0, a - Z95 * se), min(1.0, a + Z95 * se), se, n_pos + n_neg)


def binary(y: Bools, score: Floats | None, pred: Bools) -> dict[str, Estimate]:
    """Binary metrics of boolean truth `y`, probabilities `score` (P(positive); None when the model gives
    only a class) and boolean predictions `pred`. Precision is over predicted positives, recall over actual
    positives; scores enter log loss clipped to [1e-15, 1 - 1e-15]."""
    tp, fp, fn, _ = confusion(y, pred)
    n = int(y.size)
    out = {
        "accuracy": wilson(int(np.sum(y == pred)), n),
        "precision": wilson(tp, tp + fp),
        "recall": wilson(tp, tp + fn),
        "f1": f1(tp, fp, fn, n),
    }
    if score is not None:
        p = np.clip(score, EPS, 1 - EPS)
        out["roc_auc"] = _auc(score, y)
        out["pr_auc"] = bootstrap(_RankedAP(score, y), n) if 0 < y.sum() < n else NAN
        out["log_loss"] = mean(-np.where(y, np.log(p), np.log1p(-p)))
        out["brier"] = mean((score - y) ** 2)
    return out


def per_class(y: NDArray[np.int64], pred: NDArray[np.int64], k: int) -> list[dict[str, Estimate]]:
    """Precision, recall and F1 of each class 0..k-1 (one-vs-rest), with Wilson intervals for the rates."""
    out = []
    for c in range(k):
        truth, said = y == c, pred == c
        tp = int(np.sum(truth & said))
        score_f1 = _f1(tp, int(np.sum(~truth & said)), int(np.sum(truth & ~said)))
        out.append({"precision": wilson(tp, int(said.sum())), "recall": wilson(tp, int(truth.sum())),
                    "f1": Estimate(score_f1, float("nan"), float("nan"), float("nan"), int(truth.sum())),
                    "support": Estimate(float(truth.sum()), float("nan"), float("nan"), float("nan"), int(y.size))})
    return out


def _macro(y: NDArray[np.int64], pred: NDArray[np.int64], k: int, which: str, weights: Floats | None = None
           ) -> float:
    """Macro average over the classes present in y or pred (sklearn's labels=None convention), from the
    (weighted) confusion matrix."""
    cm = np.bincount(y * k + pred, weights=weights, minlength=k * k).reshape(k, k)
    tp = np.diag(cm)
    said, truth = cm.sum(axis=0), cm.sum(axis=1)
    present = (said > 0) | (truth > 0)
    if not present.any():
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        if which == "precision":
            values = np.where(said > 0, tp / said, 0.0)
        elif which == "recall":
            values = np.where(truth > 0, tp / truth, 0.0)
        else:
            values = np.where(said + truth > 0, 2 * tp / (said + truth), 0.0)
    return float(values[present].mean())


def multiclass(y: NDArray[np.int64], pred: NDArray[np.int64], proba: Floats | None, k: int) -> dict[str, Estimate]:
    """Multiclass metrics of class codes 0..k-1: accuracy, macro precision/recall/F1 (bootstrap), and with
    an (n, k) probability matrix one-vs-rest macro ROC AUC, log loss and the multiclass Brier score
    (mean over rows of sum over classes of (p - onehot)^2)."""
    n = int(y.size)
    out = {"accuracy": wilson(int(np.sum(y == pred)), n)}
    for which in ("precision", "recall", "f1"):
        out[f"macro_{which}"] = bootstrap(functools.partial(_macro, y, pred, k, which), n)
    if proba is not None:
        aucs = [_auc(proba[:, c], y == c) for c in range(k)]
        present = [a for a in aucs if a.ok]
        out["roc_auc"] = NAN
        if present:
            value = float(np.mean([a.value for a in present]))
            se = math.sqrt(sum(a.se**2 for a in present)) / len(present)
            out["roc_auc"] = Estimate(value, value - Z95 * se, value + Z95 * se, se, n)
        onehot = np.zeros_like(proba)
        onehot[np.arange(n), y] = 1.0
        out["log_loss"] = mean(-np.log(np.clip(proba[np.arange(n), y], EPS, 1.0)))
        out["brier"] = mean(np.sum((proba - onehot) ** 2, axis=1))
    return out


def regression(y: Floats, pred: Floats, quantile: float = 0.5, over: float = 1.0, under: float = 1.0
               ) -> dict[str, Estimate]:
    """Regression losses: MAE, RMSE, MAPE (over rows with y != 0), pinball loss at `quantile`
    (q max(y - pred, 0) + (1 - q) max(pred - y, 0)) and the asymmetric loss
    over * max(pred - y, 0) + under * max(y - pred, 0)."""
    err = pred - y
    mse = mean(err**2)
    rmse = Estimate(math.sqrt(mse.value), math.sqrt(max(mse.low, 0.0)), math.sqrt(max(mse.high, 0.0)),
                    mse.se / (2 * math.sqrt(mse.value)) if mse.value > 0 else float("nan"), mse.n) if mse.ok else NAN
    nonzero = y != 0
    return {
        "mae": mean(np.abs(err)),
        "rmse": rmse,
        "mape": mean(np.abs(err[nonzero] / y[nonzero])),
        "pinball": mean(quantile * np.maximum(-err, 0) + (1 - quantile) * np.maximum(err, 0)),
        "asymmetric": mean(over * np.maximum(err, 0) + under * np.maximum(-err, 0)),
    }


@dataclass(frozen=True)
class Change:
    """How a metric moved from reference to current: `degradation` is positive when it got worse (a drop
    for higher-is-better metrics, a rise for losses); `p_value` one-sided, for 'it got worse'."""

    degradation: float
    relative: float
    p_value: float


def change(metric: str, reference: Estimate, current: Estimate) -> Change:
    """Degradation of `current` against `reference` with the one-sided z-test on the two standard errors:
    z = degradation / sqrt(se_ref^2 + se_cur^2); the p-value is NaN (not judged) when either has no standard
    error (one row)."""
    if not (reference.ok and current.ok):
        return Change(float("nan"), float("nan"), float("nan"))
    sign = 1.0 if metric in HIGHER_IS_BETTER else -1.0
    degradation = sign * (reference.value - current.value)
    relative = degradation / abs(reference.value) if reference.value else (
        0.0 if degradation == 0 else math.copysign(math.inf, degradation))
    if not (math.isfinite(reference.se) and math.isfinite(current.se)):
        return Change(degradation, relative, float("nan"))  # a single row has no spread: nothing to judge
    se = math.hypot(reference.se, current.se)
    if se == 0:
        p = 0.0 if degradation > 0 else 1.0
    else:
        from scipy import special

        p = float(special.ndtr(-degradation / se))
    return Change(degradation, relative, p)


#: name -> (tasks, definition, interval): the metric reference in docs/checks.md is generated from it.
METRIC_DOCS: dict[str, tuple[str, str, str]] = {
    "accuracy": ("binary, multiclass", "share of rows whose predicted class is the outcome", "Wilson"),
    "precision": ("binary", "TP / (TP + FP): share of predicted positives that are positive", "Wilson"),
    "recall": ("binary", "TP / (TP + FN): share of positives the model flags", "Wilson"),
    "f1": ("binary", "2 TP / (2 TP + FP + FN)", "delta method"),
    "roc_auc": ("binary, multiclass", "Mann-Whitney U / (n1 n0), ties half (multiclass: mean one-vs-rest)",
                "Hanley-McNeil"),
    "pr_auc": ("binary", "average precision: sum over score thresholds of (R_k - R_k-1) P_k", "Poisson bootstrap"),
    "log_loss": ("binary, multiclass", "mean of -log p(outcome), p clipped to [1e-15, 1 - 1e-15]", "normal (mean)"),
    "brier": ("binary, multiclass", "mean of (p - y)^2 (multiclass: summed over classes)", "normal (mean)"),
    "macro_precision": ("multiclass", "mean over classes of one-vs-rest precision", "Poisson bootstrap"),
    "macro_recall": ("multiclass", "mean over classes of one-vs-rest recall", "Poisson bootstrap"),
    "macro_f1": ("multiclass", "mean over classes of one-vs-rest F1", "Poisson bootstrap"),
    "mae": ("regression", "mean |prediction - outcome|", "normal (mean)"),
    "rmse": ("regression", "sqrt(mean (prediction - outcome)^2)", "square root of the MSE's normal interval"),
    "mape": ("regression", "mean |prediction - outcome| / |outcome|, rows with outcome 0 left out", "normal (mean)"),
    "pinball": ("regression", "mean of q max(y - pred, 0) + (1 - q) max(pred - y, 0), q = outcomes.quantile",
                "normal (mean)"),
    "asymmetric": ("regression", "mean of over x max(pred - y, 0) + under x max(y - pred, 0) (outcomes.asymmetric)",
                   "normal (mean)"),
}
