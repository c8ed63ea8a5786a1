"""Confidence-based performance estimation (CBPE) of a binary classifier before its outcomes arrive.

With calibrated probabilities p_i = P(y_i = 1 | x_i) and predictions yhat_i, the expected confusion
matrix of a chunk is TP = sum_{yhat=1} p, FP = sum_{yhat=1} (1 - p), FN = sum_{yhat=0} p,
TN = sum_{yhat=0} (1 - p), and accuracy, precision, recall and F1 follow from it. The expected ROC
curve comes from the same sums at every score threshold (rows sorted by score): its area, over
distinct pairs of rows (each row's pairing with itself taken out), is the estimated ROC AUC.

The sampling band is what the realised metric of this chunk would spread over if the scores were
exactly right: outcomes are drawn y_i ~ Bernoulli(p_i) (fixed seed) and the realised metrics of the
draws give the 2.5% and 97.5% percentiles. A realised value outside the band says the assumptions
(calibrated scores, no concept shift) do not hold for that chunk.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlaudit.stats import association

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
DRAWS = 200
SEED = 20261129
#: Draw outcomes for at most this many (rows x draws) cells at a time, to bound memory.
CELLS = 20_000_000


def _from_counts(tp: Floats, fp: Floats, fn: Floats, tn: Floats) -> dict[str, Floats]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "accuracy": (tp + tn) / (tp + fp + fn + tn),
            "precision": tp / (tp + fp),
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
        }


def _expected_auc(p: Floats, score: Floats) -> float:
    """Area under the expected ROC curve: at each distinct score threshold (highest first), expected
    TPR = sum of p above it / sum p, expected FPR likewise with 1 - p; trapezoids between thresholds."""
    order = np.argsort(-score, kind="mergesort")
    s, q = score[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    tp, fp = np.cumsum(q)[last], np.cumsum(1 - q)[last]
    if tp[-1] <= 0 or fp[-1] <= 0:
        return float("nan")
    tpr, fpr = np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    # the trapezoids count each row paired with itself (half a pair, as a tie): take those pairs out, so the
    # estimate is the ratio of expected counts over distinct pairs
    pairs, self_pairs = tp[-1] * fp[-1], float(np.sum(q * (1 - q)))
    if pairs - self_pairs <= 0:
        return float("nan")
    return float((area * pairs - self_pairs / 2) / (pairs - self_pairs))


def estimate(p: Floats, score: Floats, pred: Bools) -> dict[str, float]:
    """Estimated accuracy, precision, recall, F1 and ROC AUC from calibrated probabilities `p`, the raw
    `score` (ranking for the AUC) and boolean predictions."""
    tp, fp = float(p[pred].sum()), float((1 - p[pred]).sum())
    fn, tn = float(p[~pred].sum()), float((1 - p[~pred]).sum())
    counts = [np.array([x]) for x in (tp, fp, fn, tn)]
    out = {k: float(v[0]) for k, v in _from_counts(*counts).items()}
    out["roc_auc"] = _expected_auc(p, score) if p.size else float("nan")
    return out


def simulate(p: Floats, score: Floats, pred: Bools, draws: int = DRAWS, seed: int = SEED) -> dict[str, Floats]:
    """Each metric's realised value over `draws` outcome samples y ~ Bernoulli(p) (fixed seed); undefined
    draws (no positive drawn) left out."""
    n = p.size
    if n == 0:
        return {m: np.empty(0) for m in METRICS}
    if n > 100_000:  # the spread is all that is needed at this size: fewer draws (see `percentiles`)
        draws = max(30, 20_000_000 // n)
    rng = np.random.default_rng(seed)
    ranks, _ = association.average_ranks(score)
    values: dict[str, list[Floats]] = {m: [] for m in METRICS}
    per_block = max(1, CELLS // n)
    done = 0
    predf = pred.astype(np.float64)
    while done < draws:
        k = min(per_block, draws - done)
        y = rng.random((n, k)) < p[:, None]  # n x k outcome draws
        yf = y.astype(np.float64)
        tp = predf @ yf
        fp = pred.sum() - tp
        positives = yf.sum(axis=0)
        fn = positives - tp
        tn = n - tp - fp - fn
        for name, v in _from_counts(tp, fp, fn, tn).items():
            values[name].append(v)
        negatives = n - positives
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = (ranks @ yf - positives * (positives + 1) / 2) / (positives * negatives)
        values["roc_auc"].append(auc)
        done += k
    out = {}
    for name, parts in values.items():
        v = np.concatenate(parts)
        out[name] = v[np.isfinite(v)]
    return out


def band(p: Floats, score: Floats, pred: Bools, draws: int = DRAWS, seed: int = SEED
         ) -> dict[str, tuple[float, float]]:
    """(2.5%, 97.5%) percentiles of each realised metric over `draws` outcome samples y ~ Bernoulli(p)."""
    return {name: percentiles(v) for name, v in simulate(p, score, pred, draws, seed).items()}


def percentiles(v: Floats) -> tuple[float, float]:
    """(2.5%, 97.5%) of the draws; with fewer than DRAWS draws (large chunks), mean +- 1.96 sd of them."""
    if v.size == 0:
        return float("nan"), float("nan")
    if v.size < DRAWS:
        m, sd = float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0
        return m - 1.959963984540054 * sd, m + 1.959963984540054 * sd
    return float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))
