"""mlaudit.stats.metrics, .calibration and .cbpe checked against independent numpy / scipy computations.

Every expected value here is computed in the test itself (direct numpy formulas, scipy, brute-force loops or
numbers worked out by hand in comments); the modules' own helpers are only ever the thing under test.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import optimize as spo
from scipy import stats as sps

from mlaudit.stats import calibration as cal
from mlaudit.stats import cbpe
from mlaudit.stats.metrics import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    HIGHER_IS_BETTER,
    MULTICLASS,
    Estimate,
    average_precision,
    binary,
    bootstrap,
    change,
    confusion,
    mean,
    multiclass,
    per_class,
    regression,
    wilson,
)

Z = float(sps.norm.ppf(0.975))  # 1.959963984540054

# --- a 10-row binary example worked by hand --------------------------------------------------------------
#   row    0  1  2  3  4  5  6  7  8  9
#   y      1  1  1  1  0  0  0  0  0  0
#   pred   1  1  1  0  1  1  0  0  0  0
# TP = 3 (rows 0-2), FN = 1 (row 3), FP = 2 (rows 4-5), TN = 4 (rows 6-9)
# accuracy = 7/10, precision = 3/5, recall = 3/4, F1 = 2*3 / (2*3 + 2 + 1) = 6/9 = 2/3
Y10 = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
PRED10 = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0], dtype=bool)


def approx(expected: float, rel: float = 1e-9, abs_: float = 1e-12) -> object:
    return pytest.approx(expected, rel=rel, abs=abs_)


def assert_nan(e: Estimate) -> None:
    assert not e.ok
    assert math.isnan(e.value)


def mann_whitney_auc(score: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    pos, neg = score[y], score[~y]
    return float(sps.mannwhitneyu(pos, neg).statistic) / (pos.size * neg.size)


def hanley_mcneil(a: float, n1: int, n0: int) -> float:
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))


# ================================================ metrics ================================================


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (57, 200), (999, 1000)])
def test_wilson_matches_closed_form_and_scipy(k: int, n: int) -> None:
    """A rate's 95% interval is the Wilson score interval, as scipy computes it."""
    p = k / n
    denom = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denom
    half = Z / denom * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    e = wilson(k, n)
    assert e.value == approx(p)
    assert (e.low, e.high) == (approx(centre - half), approx(centre + half))
    assert e.low == pytest.approx(ci.low, abs=1e-9)
    assert e.high == pytest.approx(ci.high, abs=1e-9)
    # the binomial standard error, except at 0 or n successes where it would be 0 (certainty): half the interval
    assert e.se == approx(math.sqrt(p * (1 - p) / n) if 0 < k < n else half / Z)
    assert e.n == n
    assert e.ok


def test_wilson_of_no_trials_is_nan() -> None:
    """A rate over zero rows is NaN, not an exception or a fake 0."""
    assert_nan(wilson(0, 0))


def test_mean_normal_interval() -> None:
    """A mean loss's interval is mean +- 1.96 sd(ddof=1)/sqrt(n), the normal interval scipy gives."""
    x = np.random.default_rng(3).exponential(2.0, size=137)
    m, se = float(np.mean(x)), float(np.std(x, ddof=1)) / math.sqrt(x.size)
    e = mean(x)
    assert e.value == approx(m)
    assert e.se == approx(se)
    assert (e.low, e.high) == (approx(m - 1.959963984540054 * se), approx(m + 1.959963984540054 * se))
    low, high = sps.norm.interval(0.95, loc=m, scale=se)
    assert (e.low, e.high) == (approx(low), approx(high))
    assert e.n == 137


def test_mean_edge_cases() -> None:
    """An empty sample is NaN; a single value has a mean but no standard error."""
    assert_nan(mean(np.array([])))
    one = mean(np.array([2.5]))
    assert one.value == 2.5 and one.ok
    assert math.isnan(one.se) and math.isnan(one.low) and math.isnan(one.high)


def test_bootstrap_is_deterministic_and_covers_value() -> None:
    """Two runs on the same data report the same bootstrap interval, and it contains the statistic."""
    x = np.random.default_rng(5).normal(size=300)

    def stat(w: NDArray[np.float64]) -> float:
        return float(np.sum(w * x) / np.sum(w))

    a, b = bootstrap(stat, x.size), bootstrap(stat, x.size)
    assert a == b
    assert a.value == approx(float(np.mean(x)))
    assert a.low <= a.value <= a.high
    assert 0 < a.se < 1
    assert a.n == 300


def test_bootstrap_is_the_documented_poisson_bootstrap() -> None:
    """The interval is the 2.5/97.5% percentiles of the statistic over Poisson(1)-weighted resamples (fixed seed),
    and its standard error matches the textbook sd / sqrt(n) of a mean."""
    x = np.random.default_rng(6).normal(size=400)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = []
    for _ in range(BOOTSTRAP_REPS):
        w = rng.poisson(1.0, x.size).astype(np.float64)
        draws.append(float(np.sum(w * x) / np.sum(w)))
    e = bootstrap(lambda w: float(np.sum(w * x) / np.sum(w)), x.size)
    assert e.low == approx(float(np.quantile(draws, 0.025)))
    assert e.high == approx(float(np.quantile(draws, 0.975)))
    assert e.se == approx(float(np.std(draws, ddof=1)))
    assert e.se == approx(float(x.std(ddof=1) / np.sqrt(x.size)), rel=0.15)


def test_bootstrap_on_large_samples_uses_fewer_draws_and_a_normal_interval() -> None:
    """Above 100,000 rows the interval is value +- 1.96 sd of the (fewer) resamples."""
    x = np.random.default_rng(7).normal(size=200_001)
    e = bootstrap(lambda w: float(np.sum(w * x) / np.sum(w)), x.size)
    assert e.low == approx(e.value - 1.959963984540054 * e.se) and e.high == approx(e.value + 1.959963984540054 * e.se)
    assert e.se == approx(float(x.std(ddof=1) / np.sqrt(x.size)), rel=0.3)


def test_bootstrap_edge_cases() -> None:
    """No rows gives NaN; a NaN statistic gives NaN bounds rather than an exception."""
    assert_nan(bootstrap(lambda w: 1.0, 0))
    e = bootstrap(lambda w: float("nan"), 10)
    assert not e.ok and math.isnan(e.low) and math.isnan(e.high) and e.n == 10


def test_f1_delta_method_standard_error_matches_resampling() -> None:
    """F1's closed-form standard error agrees with the spread of F1 over many independent samples."""
    rng = np.random.default_rng(9)
    n, values, ses = 3000, [], []
    for _ in range(400):
        y = rng.random(n) < 0.3
        pred = np.where(rng.random(n) < 0.8, y, ~y)
        tp, fp, fn = int(np.sum(y & pred)), int(np.sum(~y & pred)), int(np.sum(y & ~pred))
        values.append(2 * tp / (2 * tp + fp + fn))
        ses.append(binary(y, None, pred)["f1"].se)
    assert float(np.mean(ses)) == approx(float(np.std(values, ddof=1)), rel=0.1)


def test_confusion_hand_example() -> None:
    """(TP, FP, FN, TN) of the hand-worked 10-row example."""
    assert confusion(Y10, PRED10) == (3, 2, 1, 4)


def test_binary_rates_hand_example() -> None:
    """Accuracy, precision, recall and F1 of the 10-row example equal the hand-worked 7/10, 3/5, 3/4, 2/3."""
    out = binary(Y10, None, PRED10)
    assert set(out) == {"accuracy", "precision", "recall", "f1"}  # no scores: no score-based metrics
    for name, (k, n) in {"accuracy": (7, 10), "precision": (3, 5), "recall": (3, 4)}.items():
        ci = sps.binomtest(k, n).proportion_ci(method="wilson")
        assert out[name].value == approx(k / n), name
        assert (out[name].low, out[name].high) == (approx(ci.low), approx(ci.high)), name
        assert out[name].n == n
    f1 = out["f1"]
    assert f1.value == approx(2 / 3)
    assert f1.low <= f1.value <= f1.high


@pytest.mark.parametrize("kind", ["continuous", "ties", "two_values"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_roc_auc_is_mann_whitney(kind: str, seed: int) -> None:
    """ROC AUC is the Mann-Whitney U of positives over negatives / (n1 n0), ties counting one half."""
    rng = np.random.default_rng(seed)
    n = 180
    y = rng.random(n) < 0.35
    if kind == "continuous":
        score = rng.normal(size=n) + 0.8 * y
    elif kind == "ties":
        score = np.round(rng.normal(size=n) + 0.8 * y, 1)
    else:
        score = (rng.random(n) < np.where(y, 0.7, 0.4)).astype(np.float64)
    score = 1 / (1 + np.exp(-score)) if kind != "two_values" else score
    e = binary(y, score, score > 0.5)["roc_auc"]
    a = mann_whitney_auc(score, y)
    # the same number by pairwise counting
    pairs = (score[y][:, None] > score[~y][None, :]) + 0.5 * (score[y][:, None] == score[~y][None, :])
    assert a == approx(float(pairs.mean()))
    assert e.value == approx(a)
    assert e.se == approx(hanley_mcneil(a, int(y.sum()), int((~y).sum())))
    assert e.low == approx(max(0.0, a - Z * e.se)) and e.high == approx(min(1.0, a + Z * e.se))


def brute_force_ap(score: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    """Average precision for distinct scores: mean over positives of the precision at that positive's rank."""
    assert np.unique(score).size == score.size
    ranked = y[np.argsort(-score)]
    total, hits = 0.0, 0
    for rank, positive in enumerate(ranked, start=1):
        if positive:
            hits += 1
            total += hits / rank
    return total / hits


@pytest.mark.parametrize("seed", range(6))
def test_average_precision_brute_force_distinct_scores(seed: int) -> None:
    """PR AUC equals the textbook average precision (mean precision at each positive's rank)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    y = rng.random(n) < 0.3
    y[0], y[1] = True, False
    score = rng.normal(size=n) + y
    assert average_precision(score, y) == approx(brute_force_ap(score, y))


def test_average_precision_tiny_hand_example() -> None:
    """Ranking (+, -, +, -, +) has AP (1/1 + 2/3 + 3/5) / 3."""
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    y = np.array([1, 0, 1, 0, 1], dtype=bool)
    assert average_precision(score, y) == approx((1 + 2 / 3 + 3 / 5) / 3)


def test_average_precision_ties_hand_example() -> None:
    """Tied scores are one threshold: the worked example with ties gives 19/24, whatever the order of ties."""
    # score  0.9 | 0.8 0.8 0.8 | 0.3 0.3     4 positives
    # y       1  |  0   1   1  |  0   1
    # threshold 0.9: TP 1 of 1 predicted -> P = 1,   R = 1/4
    # threshold 0.8: TP 3 of 4 predicted -> P = 3/4, R = 3/4
    # threshold 0.3: TP 4 of 6 predicted -> P = 2/3, R = 1
    # AP = (1/4)(1) + (1/2)(3/4) + (1/4)(2/3) = 6/24 + 9/24 + 4/24 = 19/24
    score = np.array([0.9, 0.8, 0.8, 0.8, 0.3, 0.3])
    y = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    assert average_precision(score, y) == approx(19 / 24)
    for perm in itertools.permutations(range(6)):
        idx = np.array(perm)
        assert average_precision(score[idx], y[idx]) == approx(19 / 24)
    out = binary(y, score, score > 0.5)
    assert out["pr_auc"].value == approx(19 / 24)


def test_average_precision_needs_both_classes() -> None:
    """AP is NaN with no positives or with only positives."""
    s = np.array([0.1, 0.5, 0.9])
    assert math.isnan(average_precision(s, np.zeros(3, dtype=bool)))
    assert math.isnan(average_precision(s, np.ones(3, dtype=bool)))


def test_binary_log_loss_and_brier_direct() -> None:
    """Log loss and Brier score are the row means of the textbook per-row losses, with normal intervals."""
    rng = np.random.default_rng(11)
    p = rng.uniform(0.01, 0.99, size=400)
    y = rng.random(400) < p
    out = binary(y, p, p > 0.5)
    yf = y.astype(np.float64)
    ll_rows = -(yf * np.log(p) + (1 - yf) * np.log(1 - p))
    brier_rows = (p - yf) ** 2
    for name, rows in (("log_loss", ll_rows), ("brier", brier_rows)):
        m, se = rows.mean(), rows.std(ddof=1) / math.sqrt(rows.size)
        e = out[name]
        assert e.value == approx(m), name
        assert e.se == approx(se), name
        assert (e.low, e.high) == (approx(m - Z * se), approx(m + Z * se)), name


def test_binary_log_loss_clips_a_confident_miss() -> None:
    """A score of exactly 0 for a positive costs -log(1e-15) in log loss, not infinity."""
    y = np.array([True, False])
    score = np.array([0.0, 0.0])
    out = binary(y, score, score > 0.5)
    assert out["log_loss"].value == approx(-math.log(1e-15) / 2, rel=1e-6)
    assert out["brier"].value == approx(0.5)


def test_binary_empty_input_is_all_nan() -> None:
    """No rows: every binary metric is a NaN estimate, and nothing raises."""
    out = binary(np.array([], dtype=bool), np.array([], dtype=np.float64), np.array([], dtype=bool))
    assert set(out) == {"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier"}
    for e in out.values():
        assert_nan(e)


def test_binary_single_class_and_no_predicted_positives() -> None:
    """One class only: ROC AUC and PR AUC are NaN; no predicted positives: precision is NaN."""
    y = np.ones(5, dtype=bool)
    score = np.array([0.1, 0.2, 0.3, 0.4, 0.45])
    out = binary(y, score, score > 0.5)
    assert_nan(out["roc_auc"])
    assert_nan(out["pr_auc"])
    assert_nan(out["precision"])
    assert out["recall"].value == 0.0
    assert out["accuracy"].value == 0.0
    neg = binary(~y, score, score > 0.5)
    assert_nan(neg["roc_auc"])
    assert neg["accuracy"].value == 1.0
    assert_nan(neg["f1"])  # no TP, FP or FN: F1 undefined


# --- a 10-row, 3-class example worked by hand ------------------------------------------------------------
#   y     0 0 0 0 1 1 1 2 2 2
#   pred  0 0 1 2 1 1 0 1 1 1
#           TP FP FN   precision  recall  F1 = 2TP / (2TP + FP + FN)
# class 0:   2  1  2    2/3        2/4     4/7
# class 1:   2  4  1    2/6 = 1/3  2/3     4/9
# class 2:   0  1  3    0/1 = 0    0/3     0
# macro precision = (2/3 + 1/3 + 0) / 3 = 1/3; macro recall = (1/2 + 2/3 + 0) / 3 = 7/18
# macro F1 = (4/7 + 4/9 + 0) / 3 = 64/189; accuracy = 4/10
YMC = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
PREDMC = np.array([0, 0, 1, 2, 1, 1, 0, 1, 1, 1])


def test_per_class_hand_example() -> None:
    """Per-class precision, recall, F1 and support match the hand-worked 3-class table."""
    out = per_class(YMC, PREDMC, 3)
    expected = [(2, 3, 2, 4, 4 / 7, 4), (2, 6, 2, 3, 4 / 9, 3), (0, 1, 0, 3, 0.0, 3)]
    for c, (tp_p, said, tp_r, truth, f1, support) in enumerate(expected):
        assert out[c]["precision"].value == approx(tp_p / said)
        assert out[c]["precision"].n == said
        assert out[c]["recall"].value == approx(tp_r / truth)
        ci = sps.binomtest(tp_r, truth).proportion_ci(method="wilson")
        assert (out[c]["recall"].low, out[c]["recall"].high) == (approx(ci.low), approx(ci.high))
        assert out[c]["f1"].value == approx(f1)
        assert out[c]["support"].value == support


def test_per_class_never_predicted_class_has_nan_precision() -> None:
    """A class never predicted has NaN precision (not 0) in the per-class table."""
    out = per_class(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 1]), 3)
    assert_nan(out[2]["precision"])
    assert out[2]["recall"].value == 0.0


def test_multiclass_macro_hand_example() -> None:
    """Macro precision/recall/F1 and accuracy match the hand-worked 3-class table."""
    out = multiclass(YMC, PREDMC, None, 3)
    assert out["accuracy"].value == approx(4 / 10)
    assert out["macro_precision"].value == approx(1 / 3)
    assert out["macro_recall"].value == approx(7 / 18)
    assert out["macro_f1"].value == approx(64 / 189)
    for name in ("macro_precision", "macro_recall", "macro_f1"):
        assert out[name].low <= out[name].value <= out[name].high
    assert "roc_auc" not in out and "log_loss" not in out  # no probabilities: no probability metrics


def _multiclass_sample(seed: int, n: int = 300, k: int = 4) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in proba])
    return y, proba


@pytest.mark.parametrize("seed", [0, 1])
def test_multiclass_probability_metrics_direct(seed: int) -> None:
    """Multiclass log loss, Brier and one-vs-rest macro ROC AUC match direct formulas and Mann-Whitney."""
    k = 4
    y, proba = _multiclass_sample(seed, k=k)
    n = y.size
    out = multiclass(y, proba.argmax(axis=1), proba, k)
    ll_rows = -np.log(proba[np.arange(n), y])
    onehot = np.eye(k)[y]
    brier_rows = ((proba - onehot) ** 2).sum(axis=1)
    for name, rows in (("log_loss", ll_rows), ("brier", brier_rows)):
        m, se = rows.mean(), rows.std(ddof=1) / math.sqrt(n)
        assert out[name].value == approx(m), name
        assert (out[name].low, out[name].high) == (approx(m - Z * se), approx(m + Z * se)), name
    aucs = [mann_whitney_auc(proba[:, c], y == c) for c in range(k)]
    ses = [hanley_mcneil(a, int((y == c).sum()), int((y != c).sum())) for c, a in enumerate(aucs)]
    assert out["roc_auc"].value == approx(float(np.mean(aucs)))
    assert out["roc_auc"].se == approx(math.sqrt(sum(s * s for s in ses)) / k)


def test_multiclass_macro_auc_skips_absent_class() -> None:
    """A class absent from the truth has no AUC: the macro AUC averages the classes present."""
    y, proba = _multiclass_sample(4, n=200, k=3)
    keep = y != 2
    y, proba = y[keep], proba[keep]
    out = multiclass(y, proba.argmax(axis=1), proba, 3)
    expected = (mann_whitney_auc(proba[:, 0], y == 0) + mann_whitney_auc(proba[:, 1], y == 1)) / 2
    assert out["roc_auc"].value == approx(expected)


def test_multiclass_empty_input_is_nan() -> None:
    """No rows: every multiclass metric reported is a NaN estimate, and nothing raises."""
    out = multiclass(np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.zeros((0, 3)), 3)
    for e in out.values():
        assert_nan(e)


def test_multiclass_reports_every_listed_metric_with_probabilities() -> None:
    """With probabilities, every metric named in MULTICLASS is reported (NaN when it cannot be computed)."""
    one_class = multiclass(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64), np.full((4, 2), 0.5), 2)
    assert set(MULTICLASS) <= set(one_class)
    assert_nan(one_class["roc_auc"])


def test_regression_losses_direct() -> None:
    """MAE, RMSE, MAPE (rows with y == 0 left out), pinball at q=0.9 and asymmetric loss match numpy."""
    rng = np.random.default_rng(21)
    n = 250
    y = np.round(rng.normal(3.0, 2.0, size=n), 0)  # rounding makes some y exactly 0
    assert (y == 0).sum() >= 5
    pred = y + rng.normal(0.2, 1.0, size=n)
    out = regression(y, pred, quantile=0.9, over=2.0, under=1.0)
    nz = y != 0
    rows = {
        "mae": np.abs(pred - y),
        "mape": np.abs((pred[nz] - y[nz]) / y[nz]),
        "pinball": np.where(y >= pred, 0.9 * (y - pred), 0.1 * (pred - y)),
        "asymmetric": np.where(pred >= y, 2.0 * (pred - y), 1.0 * (y - pred)),
    }
    for name, r in rows.items():
        m, se = r.mean(), r.std(ddof=1) / math.sqrt(r.size)
        assert out[name].value == approx(m), name
        assert out[name].se == approx(se), name
        assert (out[name].low, out[name].high) == (approx(m - Z * se), approx(m + Z * se)), name
        assert out[name].n == r.size, name
    sq = (pred - y) ** 2
    mse, mse_se = sq.mean(), sq.std(ddof=1) / math.sqrt(n)
    assert out["rmse"].value == approx(math.sqrt(mse))
    assert out["rmse"].low == approx(math.sqrt(mse - Z * mse_se))
    assert out["rmse"].high == approx(math.sqrt(mse + Z * mse_se))


def test_regression_tiny_hand_example() -> None:
    """Three rows worked by hand: errors (+1, -2, 0) on y (2, 4, 0)."""
    y, pred = np.array([2.0, 4.0, 0.0]), np.array([3.0, 2.0, 0.0])
    out = regression(y, pred, quantile=0.9, over=2.0, under=1.0)
    assert out["mae"].value == approx(1.0)  # (1 + 2 + 0) / 3
    assert out["rmse"].value == approx(math.sqrt(5 / 3))  # sqrt((1 + 4 + 0) / 3)
    assert out["mape"].value == approx(0.5)  # (1/2 + 2/4) / 2, the y == 0 row left out
    assert out["mape"].n == 2
    assert out["pinball"].value == approx((0.1 * 1 + 0.9 * 2) / 3)  # over-forecast 1, under-forecast 2
    assert out["asymmetric"].value == approx((2 * 1 + 1 * 2) / 3)


def test_regression_empty_and_perfect() -> None:
    """No rows: every regression metric is NaN; perfect predictions: all losses are 0 without errors."""
    for e in regression(np.array([]), np.array([])).values():
        assert_nan(e)
    y = np.array([1.0, 2.0, 3.0])
    out = regression(y, y.copy())
    for name in ("mae", "rmse", "mape", "pinball", "asymmetric"):
        assert out[name].value == 0.0, name
    assert regression(np.zeros(3), np.ones(3))["mape"].ok is False  # every y is 0: no MAPE


def _est(value: float, se: float) -> Estimate:
    return Estimate(value, value - Z * se, value + Z * se, se, 100)


def test_change_higher_is_better_metric() -> None:
    """A drop in AUC is a positive degradation, with p = norm.sf(d / sqrt(se1^2 + se2^2))."""
    assert "roc_auc" in HIGHER_IS_BETTER
    c = change("roc_auc", _est(0.80, 0.02), _est(0.74, 0.03))
    assert c.degradation == approx(0.06)
    assert c.relative == approx(0.06 / 0.80)
    assert c.p_value == approx(float(sps.norm.sf(0.06 / math.sqrt(0.02**2 + 0.03**2))))
    better = change("roc_auc", _est(0.74, 0.03), _est(0.80, 0.02))
    assert better.degradation == approx(-0.06)
    assert better.p_value == approx(float(sps.norm.sf(-0.06 / math.sqrt(0.02**2 + 0.03**2))))
    assert better.p_value > 0.5


def test_change_loss_metric() -> None:
    """A rise in a loss (log loss) is a positive degradation; a fall is negative."""
    assert "log_loss" not in HIGHER_IS_BETTER
    c = change("log_loss", _est(0.40, 0.01), _est(0.45, 0.015))
    assert c.degradation == approx(0.05)
    assert c.relative == approx(0.05 / 0.40)
    assert c.p_value == approx(float(sps.norm.sf(0.05 / math.sqrt(0.01**2 + 0.015**2))))
    assert change("log_loss", _est(0.45, 0.015), _est(0.40, 0.01)).degradation == approx(-0.05)


def test_change_edge_cases() -> None:
    """NaN inputs give a NaN change; zero standard errors give p 0 for a worsening and 1 otherwise."""
    nan = change("accuracy", _est(0.9, 0.01), Estimate(float("nan"), float("nan"), float("nan"), float("nan"), 0))
    assert math.isnan(nan.degradation) and math.isnan(nan.p_value)
    assert change("accuracy", _est(0.9, 0.0), _est(0.8, 0.0)).p_value == 0.0
    assert change("accuracy", _est(0.8, 0.0), _est(0.9, 0.0)).p_value == 1.0
    assert change("mae", _est(0.0, 0.0), _est(0.5, 0.0)).relative == math.inf


def test_estimate_ok() -> None:
    """Estimate.ok is True exactly when the value is finite."""
    assert _est(0.5, 0.1).ok
    assert not Estimate(float("nan"), 0, 0, 0, 1).ok
    assert not Estimate(float("inf"), 0, 0, 0, 1).ok


# ============================================== calibration ==============================================


def width_bin(p: float, bins: int) -> int:
    """Equal-width bin by explicit interval test: [b/bins, (b+1)/bins), the last bin closed."""
    for b in range(bins):
        if b / bins <= p < (b + 1) / bins:
            return b
    return bins - 1


def direct_ece(p: NDArray[np.float64], y: NDArray[np.float64], groups: list[NDArray[np.int64]]) -> tuple[float, float]:
    gaps = [(g.size, abs(p[g].mean() - y[g].mean())) for g in groups if g.size]
    return sum(size * gap for size, gap in gaps) / p.size, max(gap for _, gap in gaps)


def _calib_sample(seed: int, n: int, power: float = 1.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    return p, (rng.random(n) < p**power).astype(np.float64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ece_equal_width_direct(seed: int) -> None:
    """ECE and MCE over 10 equal-width bins match a direct per-bin loop."""
    p, y = _calib_sample(seed, 500, power=1.3)
    p = p * 0.7  # leaves the top bins empty
    which = np.array([width_bin(v, 10) for v in p])
    groups = [np.flatnonzero(which == b) for b in range(10)]
    e, m = cal.ece(p, y, bins=10)
    exp_e, exp_m = direct_ece(p, y, groups)
    assert e == approx(exp_e)
    assert m == approx(exp_m)


@pytest.mark.parametrize("bins", [5, 10, 20])
def test_ece_equal_mass_direct(bins: int) -> None:
    """Equal-mass ECE with n divisible by the bins: consecutive blocks of n/bins rows in score order."""
    p, y = _calib_sample(7, 400, power=1.5)
    blocks = np.split(np.argsort(p), bins)
    e, _ = cal.ece(p, y, bins=bins, equal_mass=True)
    assert e == approx(direct_ece(p, y, blocks)[0])


def test_ece_empty_is_nan() -> None:
    """No rows: ECE and MCE are NaN."""
    e, m = cal.ece(np.array([]), np.array([]))
    assert math.isnan(e) and math.isnan(m)


def test_brier_decomposition_exact_when_scores_constant_in_bins() -> None:
    """Reliability - resolution + uncertainty equals the Brier score when each bin holds one score value."""
    rng = np.random.default_rng(9)
    levels = np.arange(10) / 10 + 0.05  # 0.05, 0.15, ..., 0.95: one per equal-width bin
    p = rng.choice(levels, size=3000)
    y = (rng.random(p.size) < np.clip(p + 0.1, 0, 1)).astype(np.float64)
    c = cal.calibration(p, y)
    brier = float(np.mean((p - y) ** 2))
    assert c.reliability - c.resolution + c.uncertainty == pytest.approx(brier, abs=1e-12)
    # each term against its own direct formula
    base = y.mean()
    rel = sum((p == v).sum() * (v - y[p == v].mean()) ** 2 for v in levels) / p.size
    res = sum((p == v).sum() * (y[p == v].mean() - base) ** 2 for v in levels) / p.size
    assert c.reliability == approx(rel)
    assert c.resolution == approx(res)
    assert c.uncertainty == approx(base * (1 - base))
    assert c.n == p.size
    assert sum(d["rows"] for d in c.diagram) == p.size


def test_calibration_mce_and_diagram() -> None:
    """calibration() reports the same ECE/MCE as the direct loop and one diagram row per non-empty bin."""
    p, y = _calib_sample(12, 1000, power=2.0)
    which = np.array([width_bin(v, 10) for v in p])
    groups = [np.flatnonzero(which == b) for b in range(10)]
    c = cal.calibration(p, y)
    exp_e, exp_m = direct_ece(p, y, groups)
    assert (c.ece, c.mce) == (approx(exp_e), approx(exp_m))
    assert [d["rows"] for d in c.diagram] == [g.size for g in groups if g.size]
    for d, g in zip(c.diagram, [g for g in groups if g.size], strict=True):
        assert d["mean_score"] == pytest.approx(p[g].mean(), abs=1e-6)
        assert d["outcome_rate"] == pytest.approx(y[g].mean(), abs=1e-6)


@pytest.mark.parametrize(("seed", "power"), [(0, 1.0), (1, 1.0), (2, 1.4)])
def test_hosmer_lemeshow_direct(seed: int, power: float) -> None:
    """HL statistic is sum (O-E)^2 / (E (1 - E/n_b)) over 10 equal-mass bins, p from chi2 with G = 10 dof."""
    p, y = _calib_sample(seed, 600, power=power)
    stat = 0.0
    for g in np.split(np.argsort(p), 10):
        o, e, nb = y[g].sum(), p[g].sum(), g.size
        stat += (o - e) ** 2 / (e * (1 - e / nb))
    hl, hl_p = cal.hosmer_lemeshow(p, y, bins=10)
    assert hl == approx(stat)
    assert hl_p == approx(float(sps.chi2.sf(stat, 10)))


def test_hosmer_lemeshow_of_an_outcome_no_score_expected_is_infinite_and_quiet() -> None:
    """Outcomes in a bin whose scores are subnormal (expected count ~1e-309): the statistic overflows to
    infinity and the p-value is 0, without numpy's overflow warning reaching the user."""
    p = np.array([1e-310] * 5 + [0.5] * 5)
    y = np.array([1.0] * 5 + [0.0] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hl, hl_p = cal.hosmer_lemeshow(p, y, bins=2)
    assert hl == float("inf") and hl_p == 0.0


def test_calibrated_large_sample_passes() -> None:
    """Scores that are right (y ~ Bernoulli(p), n=20000) give ECE < 0.02 and an HL p-value > 0.001."""
    p, y = _calib_sample(2026, 20_000)
    c = cal.calibration(p, y)
    assert c.ece < 0.02
    assert c.ece_equal_mass < 0.02
    assert c.hl_p_value > 0.001


def test_miscalibrated_large_sample_fails() -> None:
    """Scores that overstate the risk (y ~ Bernoulli(p^2)) give ECE > 0.1 and an HL p-value < 1e-6."""
    p, y = _calib_sample(2026, 20_000, power=2.0)
    c = cal.calibration(p, y)
    assert c.ece > 0.1
    assert c.hl_p_value < 1e-6


def test_isotonic_hand_example() -> None:
    """PAV on y = [1, 3, 2, 4] at x = [1, 2, 3, 4] pools the violating pair: fit [1, 2.5, 2.5, 4]."""
    x, y = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0])
    iso = cal.isotonic(x, y)
    np.testing.assert_allclose(iso(x), [1.0, 2.5, 2.5, 4.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(iso(np.array([0.0, 2.5, 9.0])), [1.0, 2.5, 4.0], rtol=0, atol=1e-12)


def test_isotonic_pools_equal_scores() -> None:
    """Rows with the same score get one fitted value: the mean of their outcomes (if no violation)."""
    x = np.array([0.1, 0.5, 0.5, 0.5, 0.9])
    y = np.array([0.0, 1.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(cal.isotonic(x, y)(x), [0.0, 1 / 3, 1 / 3, 1 / 3, 1.0], rtol=0, atol=1e-12)


def _sse(fit: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    return float(np.sum((fit - y) ** 2))


@pytest.mark.parametrize("seed", range(5))
def test_isotonic_is_least_squares_monotone_fit(seed: int) -> None:
    """The fit is non-decreasing in the score, equals scipy's weighted isotonic regression, and no other
    non-decreasing candidate has a smaller squared error."""
    rng = np.random.default_rng(seed)
    n = 150
    x = np.round(rng.uniform(size=n), 2)  # some tied scores
    y = (rng.random(n) < x).astype(np.float64)
    fit = cal.isotonic(x, y)(x)
    order = np.argsort(x, kind="mergesort")
    assert np.all(np.diff(fit[order]) >= -1e-12)
    # scipy on the distinct scores, each weighted by its rows
    _, inv = np.unique(x, return_inverse=True)
    w = np.bincount(inv).astype(np.float64)
    ref = spo.isotonic_regression(np.bincount(inv, weights=y) / w, weights=w).x
    np.testing.assert_allclose(fit, ref[inv], rtol=0, atol=1e-12)
    # other monotone candidates do no better
    best = _sse(fit, y)
    candidates = [np.full(n, y.mean()), x, np.clip(2 * x - 0.5, 0, 1), (x > 0.5).astype(np.float64),
                  np.maximum.accumulate(y[order])[np.argsort(order)], fit + 0.01, np.clip(fit * 1.1, 0, 1)]
    for cand in candidates:
        assert np.all(np.diff(cand[order]) >= -1e-12)
        assert best <= _sse(cand, y) + 1e-12


def test_isotonic_empty() -> None:
    """Fitting on no rows gives a function that maps every score to NaN."""
    assert np.isnan(cal.isotonic(np.array([]), np.array([]))(np.array([0.3, 0.7]))).all()


# ================================================= CBPE ==================================================


def test_cbpe_expected_confusion_hand_sums() -> None:
    """Expected TP/FP/FN/TN are sums of p and 1-p over predicted positives/negatives; metrics follow."""
    p = np.array([0.9, 0.8, 0.6, 0.4, 0.3, 0.1])
    pred = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    tp, fp = 0.9 + 0.8 + 0.6, 0.1 + 0.2 + 0.4  # 2.3, 0.7
    fn, tn = 0.4 + 0.3 + 0.1, 0.6 + 0.7 + 0.9  # 0.8, 2.2
    out = cbpe.estimate(p, p, pred)
    assert out["accuracy"] == approx((tp + tn) / 6)
    assert out["precision"] == approx(tp / (tp + fp))
    assert out["recall"] == approx(tp / (tp + fn))
    assert out["f1"] == approx(2 * tp / (2 * tp + fp + fn))


def _pairwise(p: NDArray[np.float64], s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(weights p_i (1 - p_j), ordering [s_i > s_j] + 0.5 [s_i == s_j]) for every pair (i, j)."""
    return p[:, None] * (1 - p[None, :]), (s[:, None] > s[None, :]) + 0.5 * (s[:, None] == s[None, :])


@pytest.mark.parametrize(("seed", "ties"), [(0, False), (1, False), (2, True), (3, True)])
def test_cbpe_expected_auc_pairwise(seed: int, ties: bool) -> None:
    """Expected ROC AUC is the p-weighted ordering rate over pairs of distinct rows:
    sum_{i != j} p_i (1-p_j) ([s_i>s_j] + 0.5 [s_i==s_j]) / sum_{i != j} p_i (1-p_j)."""
    rng = np.random.default_rng(seed)
    n = 50
    p = rng.uniform(0.02, 0.98, size=n)
    s = p + rng.normal(0, 0.15, size=n)
    if ties:
        s = np.round(s, 1)
    got = cbpe.estimate(p, s, s > 0.5)["roc_auc"]
    w, order = _pairwise(p, s)
    off = ~np.eye(n, dtype=bool)
    brute = float((w * order)[off].sum() / w[off].sum())
    assert got == pytest.approx(brute, rel=1e-12)


def test_cbpe_expected_auc_with_certain_outcomes_is_realised_auc() -> None:
    """With p in {0, 1} (outcomes known) the expected AUC is the Mann-Whitney AUC of those outcomes."""
    rng = np.random.default_rng(8)
    y = rng.random(120) < 0.4
    s = np.round(rng.normal(size=120) + y, 1)
    got = cbpe.estimate(y.astype(np.float64), s, s > 0.5)["roc_auc"]
    assert got == approx(mann_whitney_auc(s, y))


def test_cbpe_estimate_edge_cases() -> None:
    """No rows, or p all 0: the undefined estimates are NaN and nothing raises."""
    out = cbpe.estimate(np.array([]), np.array([]), np.array([], dtype=bool))
    assert all(math.isnan(v) for v in out.values())
    zero = cbpe.estimate(np.zeros(4), np.arange(4.0), np.array([0, 0, 1, 1], dtype=bool))
    assert math.isnan(zero["roc_auc"]) and math.isnan(zero["recall"])
    assert zero["precision"] == 0.0 and zero["accuracy"] == 0.5


def _realised(y: NDArray[np.bool_], score: NDArray[np.float64], pred: NDArray[np.bool_]) -> dict[str, float]:
    tp, fp = int(np.sum(y & pred)), int(np.sum(~y & pred))
    fn, tn = int(np.sum(y & ~pred)), int(np.sum(~y & ~pred))
    return {"accuracy": (tp + tn) / y.size, "precision": tp / (tp + fp), "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn), "roc_auc": mann_whitney_auc(score, y)}


def test_cbpe_band_deterministic_and_covers_fresh_draws() -> None:
    """The sampling band is reproducible, and with calibrated scores the realised metrics of fresh
    outcome draws fall inside it in most repetitions (>= 40 of 50, each metric)."""
    rng = np.random.default_rng(30)
    n = 400
    p = rng.beta(2, 3, size=n)
    pred = p > 0.4
    b = cbpe.band(p, p, pred)
    assert b == cbpe.band(p, p, pred)
    assert set(b) == set(cbpe.METRICS)
    est = cbpe.estimate(p, p, pred)
    inside = dict.fromkeys(cbpe.METRICS, 0)
    fresh = np.random.default_rng(31)
    for _ in range(50):
        y = fresh.random(n) < p
        for name, value in _realised(y, p, pred).items():
            low, high = b[name]
            inside[name] += low <= value <= high
    for name in cbpe.METRICS:
        low, high = b[name]
        assert low <= est[name] <= high, name
        assert inside[name] >= 40, (name, inside[name])


def test_cbpe_band_narrower_for_larger_sample() -> None:
    """A chunk four times larger has a narrower band for every metric."""
    rng = np.random.default_rng(40)
    big = rng.uniform(size=2000)
    small = big[:500]
    wide, narrow = cbpe.band(small, small, small > 0.5), cbpe.band(big, big, big > 0.5)
    for name in cbpe.METRICS:
        assert narrow[name][1] - narrow[name][0] < wide[name][1] - wide[name][0], name


def test_cbpe_band_empty() -> None:
    """No rows: every band is (NaN, NaN)."""
    out = cbpe.band(np.array([]), np.array([]), np.array([], dtype=bool))
    assert all(math.isnan(lo) and math.isnan(hi) for lo, hi in out.values())


def test_zero_of_four_is_not_significant_against_a_quarter() -> None:
    """0 of 4 positives found, against a reference recall of 0.24 on 2,000: the Wilson interval [0, 0.49] holds
    0.24, so the drop is not significant (a zero standard error would have made it certain)."""
    reference, current = wilson(480, 2000), wilson(0, 4)
    assert current.low <= reference.value <= current.high
    assert change("recall", reference, current).p_value > 0.01  # outcomes.alpha


def test_f1_with_no_true_positive_has_a_spread() -> None:
    """F1 of 0 on a handful of rows still has a standard error, so it is not 'certainly' 0."""
    y = np.array([True, True, False, False, False])
    pred = np.array([False, False, True, False, False])
    e = binary(y, None, pred)["f1"]
    assert e.value == 0.0 and e.se > 0.1


def test_change_with_one_row_is_not_judged() -> None:
    """A single row has no standard error: the change is not judged (p-value NaN), never 'certain'."""
    assert math.isnan(change("mae", mean(np.arange(100.0)), mean(np.array([500.0]))).p_value)
