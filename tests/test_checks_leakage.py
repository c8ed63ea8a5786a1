"""Leakage checks: each leak found on small hand-made frames, each clean case quiet, and every reported
statistic recomputed independently (scipy / numpy) to 1e-9."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray
from scipy import stats as sps

import mlaudit
from mlaudit.results import AuditResult, CheckResult, Status

BINARY = "version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {label: y}\nfeatures:\n"
REGRESSION = "version: 1\nmodel: {name: m, task: regression}\ncolumns: {label: y}\nfeatures:\n"


def approx(expected: float) -> object:
    return pytest.approx(expected, rel=1e-9, abs=1e-12)


def _audit(write_contract: Callable[..., Path], contract: str, ref: pl.DataFrame, cur: pl.DataFrame | None,
           check: str) -> AuditResult:
    return mlaudit.audit(write_contract(contract), ref, ref if cur is None else cur, only=[check])


def _results(res: AuditResult, check: str) -> list[CheckResult]:
    return [r for r in res.results if r.check == check]


def _value(r: CheckResult) -> float:
    assert r.value is not None, r
    return r.value


def _one(res: AuditResult, column: str | None, check: str | None = None) -> CheckResult:
    found = [r for r in res.results if r.column == column and (check is None or r.check == check)]
    assert len(found) == 1, res.results
    return found[0]


def _auc(x: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    """AUC as the Mann-Whitney U of the positives over n1 n0 (scipy)."""
    u = sps.mannwhitneyu(x[y], x[~y], alternative="two-sided").statistic
    return float(u) / (int(y.sum()) * int((~y).sum()))


def _oriented(x: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    a = _auc(x, y)
    return max(a, 1 - a)


def _nmi(x: Sequence[str], y: Sequence[object], min_rows: int = 30) -> float:
    """I(X;Y) / H(Y) as H(Y) - H(Y|X) over H(Y), from a contingency table, categories under min_rows pooled,
    minus the Miller-Madow bias (kx - 1)(ky - 1) / 2n of the mutual information."""
    counts: dict[str, int] = {}
    for v in x:
        counts[v] = counts.get(v, 0) + 1
    pooled = [v if counts[v] >= min_rows else "\x00pooled" for v in x]
    xs, ys = sorted(set(pooled)), sorted(set(y), key=str)
    table = np.zeros((len(xs), len(ys)))
    for a, b in zip(pooled, y, strict=True):
        table[xs.index(a), ys.index(b)] += 1
    n = table.sum()
    h_y = sps.entropy(table.sum(axis=0))
    h_y_given_x = sum(row.sum() / n * sps.entropy(row) for row in table)
    bias = (len(xs) - 1) * (len(ys) - 1) / (2 * n)
    return float(max(h_y - h_y_given_x - bias, 0.0) / h_y)


def _eta2(x: list[str], y: NDArray[np.float64]) -> float:
    """Correlation ratio: between-group sum of squares over total sum of squares."""
    keys = np.asarray(x)
    grand = y.mean()
    ssb = sum((keys == k).sum() * (y[keys == k].mean() - grand) ** 2 for k in np.unique(keys))
    return float(ssb / ((y - grand) ** 2).sum())


def _hanley_mcneil_se(a: float, n1: int, n0: int) -> float:
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))


# ---------------------------------------------------------------------------------------- single_feature


def test_noisy_copy_of_the_label_fails_with_its_auc(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(1)
    y = rng.random(1000) < 0.4
    flip = rng.random(1000) < 0.03
    x = np.where(flip, ~y, y).astype(np.float64)  # the label with 3% noise: two tied groups
    ref = pl.DataFrame({"x": x, "y": y.astype(np.int64)})
    r = _one(_audit(write_contract, BINARY + "  x: {type: float}\n", ref, None, "leakage.single_feature"), "x")
    assert r.status is Status.fail
    assert r.value == approx(_oriented(x, y))
    assert r.details["auc"] == approx(_auc(x, y))
    assert _value(r) > 0.95 and r.total == 1000 and r.details["measure"] == "auc"
    assert (r.threshold, r.warn_threshold) == (0.9, 0.85)
    assert "alone nearly predicts the training label" in r.message and "over 1,000 training rows" in r.message


def test_negative_copy_is_oriented(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(2)
    y = rng.random(500) < 0.5
    x = -y.astype(np.float64) + rng.normal(0, 0.1, 500)  # high values mean the negative class
    ref = pl.DataFrame({"x": x, "y": y})
    r = _one(_audit(write_contract, BINARY + "  x: {type: float}\n", ref, None, "leakage.single_feature"), "x")
    assert r.status is Status.fail
    assert r.details["auc"] == approx(_auc(x, y)) and r.details["auc"] < 0.05
    assert r.value == approx(1 - _auc(x, y))


def test_moderately_predictive_feature_passes(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(3)
    y = rng.random(2000) < 0.3
    x = rng.normal(size=2000) + 0.75 * y  # AUC about Phi(0.75 / sqrt 2) = 0.70
    ref = pl.DataFrame({"x": x, "y": y.astype(np.int64)})
    r = _one(_audit(write_contract, BINARY + "  x: {type: float}\n", ref, None, "leakage.single_feature"), "x")
    assert r.status is Status.passed
    assert r.value == approx(_oriented(x, y))
    assert 0.65 < _value(r) < 0.75
    assert "does not alone predict the label" in r.message


def test_missing_values_are_left_out_of_the_auc(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(4)
    y = rng.random(600) < 0.5
    x = rng.normal(size=600) + 1.0 * y
    missing = rng.random(600) < 0.1
    sentinel = np.arange(600) % 37 == 5
    ref = pl.DataFrame({"x": np.where(missing, np.nan, np.where(sentinel, -1.0, x)), "y": y}).with_columns(
        pl.when(pl.int_range(pl.len()) % 50 == 0).then(None).otherwise(pl.col("x")).alias("x"))
    kept = ~missing & ~sentinel & (np.arange(600) % 50 != 0)  # NaN, the sentinel and null left out
    contract = BINARY + "  x: {type: float, sentinel: -1}\n"
    r = _one(_audit(write_contract, contract, ref, None, "leakage.single_feature"), "x")
    assert r.total == int(kept.sum())
    assert r.value == approx(_oriented(x[kept], y[kept]))


def test_categorical_feature_that_determines_the_label_fails(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(5)
    x = rng.choice(["a", "b", "c", "d"], size=800).tolist()
    y = [v in ("a", "b") for v in x]
    ref = pl.DataFrame({"x": x, "y": y})
    r = _one(_audit(write_contract, BINARY + "  x: {type: category}\n", ref, None, "leakage.single_feature"), "x")
    assert r.status is Status.fail
    assert r.details["measure"] == "nmi"
    assert r.value == approx(_nmi(x, y)) and r.value > 0.99  # 1 less the small-sample bias correction
    assert (r.threshold, r.warn_threshold) == (0.7, 0.5)
    assert "normalised mutual information 0.997" in r.message


def test_partly_informative_category_matches_independent_mutual_information(
        write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(6)
    x = rng.choice(["a", "b", "c", "d"], size=1200, p=[0.4, 0.3, 0.2, 0.1]).tolist()
    x += ["rare1"] * 10 + ["rare2"] * 20  # two categories under 30 rows: pooled
    p_pos = {"a": 0.9, "b": 0.1, "c": 0.5, "d": 0.7, "rare1": 1.0, "rare2": 0.0}
    y = [bool(rng.random() < p_pos[v]) for v in x]
    ref = pl.DataFrame({"x": x, "y": y})
    r = _one(_audit(write_contract, BINARY + "  x: {type: string}\n", ref, None, "leakage.single_feature"), "x")
    assert r.value == approx(_nmi(x, y))
    assert r.value != approx(_nmi(x, y, min_rows=1))  # pooling changes the value
    assert 0.3 < _value(r) < 0.5 and r.status is Status.passed
    assert r.total == len(x)


def test_unique_per_row_text_is_pooled_and_not_flagged(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(7)
    y = rng.random(500) < 0.5
    ref = pl.DataFrame({"code": [f"u{i:05d}" for i in range(500)], "y": y})
    r = _one(_audit(write_contract, BINARY + "  code: {type: string}\n", ref, None, "leakage.single_feature"),
             "code")
    assert r.status is Status.passed
    assert r.value == approx(0.0)


def test_missing_values_and_sentinel_are_a_category_of_their_own(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(22)
    y = rng.random(900) < 0.5
    c = rng.choice(["a", "b", "c"], size=900).astype(object)
    gone = rng.random(900) < 0.3
    c[gone & y] = None  # null for positives,
    c[gone & ~y] = "UNK"  # the declared sentinel for negatives: both missing, one category
    ref = pl.DataFrame({"c": c.tolist(), "y": y})
    contract = BINARY + "  c: {type: category, sentinel: UNK}\n"
    r = _one(_audit(write_contract, contract, ref, None, "leakage.single_feature"), "c")
    as_text = ["missing" if v is None or v == "UNK" else str(v) for v in c]
    assert r.value == approx(_nmi(as_text, y.tolist()))
    assert _value(r) < _nmi([str(v) for v in c], y.tolist()) - 0.1  # apart, null and UNK would predict the label
    assert r.total == 900


def test_multiclass_numeric_feature_is_cut_at_deciles(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(23)
    x = rng.normal(size=1000)
    noisy = x + rng.normal(0, 0.3, 1000)
    y = np.where(noisy < -0.5, "lo", np.where(noisy < 0.5, "mid", "hi")).tolist()
    ref = pl.DataFrame({"x": x, "y": y})
    contract = ("version: 1\nmodel: {name: m, task: multiclass_classification, classes: [lo, mid, hi]}\n"
                "columns: {label: y}\nfeatures:\n  x: {type: float}\n")
    r = _one(_audit(write_contract, contract, ref, None, "leakage.single_feature"), "x")
    position = np.empty(1000, dtype=np.int64)
    position[np.argsort(x)] = np.arange(1000)  # distinct values: the i-th smallest is in decile i * 10 // n
    deciles = [str(i * 10 // 1000) for i in position]
    assert r.details["measure"] == "nmi"
    assert r.value == approx(_nmi(deciles, y))
    assert r.status is (Status.fail if _value(r) > 0.7 else Status.warn if _value(r) > 0.5 else Status.passed)


def test_text_label_needs_positive_class(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(24)
    y = rng.random(300) < 0.5
    x = rng.normal(size=300) + y
    ref = pl.DataFrame({"x": x, "y": np.where(y, "yes", "no").tolist()})
    r = _one(_audit(write_contract, BINARY + "  x: {type: float}\n", ref, None, "leakage.single_feature"), "x")
    assert r.status is Status.skipped and "set model.positive_class" in r.message
    contract = BINARY.replace("task: binary_classification", "task: binary_classification, positive_class: 'yes'")
    r = _one(_audit(write_contract, contract + "  x: {type: float}\n", ref, None, "leakage.single_feature"), "x")
    assert r.details["auc"] == approx(_auc(x, y))


def test_regression_numeric_feature_uses_absolute_spearman(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=800)
    strong = -3 * x + rng.normal(0, 0.3, 800)  # |rho| about 0.99, negative
    weak = x + rng.normal(0, 1.0, 800)  # rho about 0.69
    for y, status in ((strong, Status.fail), (weak, Status.passed)):
        ref = pl.DataFrame({"x": x, "y": y})
        r = _one(_audit(write_contract, REGRESSION + "  x: {type: float}\n", ref, None, "leakage.single_feature"),
                 "x")
        assert r.status is status
        assert r.details["measure"] == "spearman"
        assert r.value == approx(abs(float(sps.spearmanr(x, y).statistic)))
        assert (r.threshold, r.warn_threshold) == (0.95, 0.85)


def test_regression_categorical_feature_uses_eta_squared(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(9)
    x = rng.choice(["a", "b", "c", "d"], size=900).tolist()
    means = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 5.0}
    for noise, status in ((0.3, Status.fail), (3.0, Status.passed)):
        y = np.array([means[v] for v in x]) + rng.normal(0, noise, 900)
        ref = pl.DataFrame({"x": x, "y": y})
        r = _one(_audit(write_contract, REGRESSION + "  x: {type: category}\n", ref, None,
                        "leakage.single_feature"), "x")
        assert r.details["measure"] == "eta2"
        assert r.value == approx(_eta2(x, y))
        assert r.status is status
        assert "eta^2" in r.message


def test_unique_per_row_text_is_not_flagged_in_regression(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(25)
    y = rng.normal(size=500)
    ref = pl.DataFrame({"code": [f"u{i:05d}" for i in range(500)], "y": y})
    r = _one(_audit(write_contract, REGRESSION + "  code: {type: string}\n", ref, None, "leakage.single_feature"),
             "code")
    assert r.status is Status.passed
    assert r.value == approx(_eta2(["pooled"] * 500, y))  # one pooled category: no variance between categories


def test_per_feature_override_lets_a_known_strong_feature_pass(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(1)
    y = rng.random(1000) < 0.4
    x = np.where(rng.random(1000) < 0.03, ~y, y).astype(np.float64)
    ref = pl.DataFrame({"x": x, "y": y})
    contract = BINARY + "  x:\n    type: float\n    checks:\n      leakage.single_feature: {fail: 0.99, warn: 0.98}\n"
    r = _one(_audit(write_contract, contract, ref, None, "leakage.single_feature"), "x")
    assert 0.9 < _value(r) < 0.98
    assert r.status is Status.passed
    assert (r.threshold, r.warn_threshold) == (0.99, 0.98)


def test_role_columns_and_unique_features_are_not_inputs(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(10)
    y = rng.random(300) < 0.5
    leak = y.astype(np.int64) * 1000 + np.arange(300)  # each of these alone separates the classes
    ref = pl.DataFrame({"rid": leak, "key": leak + 1, "p": y * 0.9 + 0.05, "x": rng.normal(size=300), "y": y})
    contract = ("version: 1\nmodel: {name: m, task: binary_classification}\n"
                "columns: {label: y, id: rid, score: p}\n"
                "features:\n  rid: {type: int}\n  key: {type: int, unique: true}\n  p: {type: float}\n"
                "  x: {type: float}\n")
    res = _audit(write_contract, contract, ref, None, "leakage.single_feature")
    assert [r.column for r in _results(res, "leakage.single_feature")] == ["x"]
    assert _one(res, "x").status is Status.passed


def test_single_feature_needs_the_label_in_training(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": np.arange(200.0)})
    cur = ref.with_columns(y=pl.col("x") > 100)  # the label only in production
    r = _one(_audit(write_contract, BINARY + "  x: {type: float}\n", ref, cur, "leakage.single_feature"), None)
    assert r.status is Status.skipped and "needs columns.label" in r.message


def test_fewer_than_100_labelled_rows_is_skipped(write_contract: Callable[..., Path]) -> None:
    y = np.arange(99) % 2 == 0
    ref = pl.DataFrame({"x": y.astype(np.float64), "y": y})
    r = _one(_audit(write_contract, BINARY + "  x: {type: float}\n", ref, None, "leakage.single_feature"), "x")
    assert r.status is Status.skipped and "fewer than 100" in r.message


# --------------------------------------------------------------------------------------------- vanishing


def _strong(rng: np.random.Generator, n: int, shift: float) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    y = rng.random(n) < 0.5
    return rng.normal(size=n) + shift * y, y


def test_feature_strong_in_training_and_random_in_production_fails(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(11)
    x_ref, y_ref = _strong(rng, 1000, 2.33)  # AUC about 0.95
    x_cur, y_cur = _strong(rng, 800, 0.0)
    res = _audit(write_contract, BINARY + "  x: {type: float}\n", pl.DataFrame({"x": x_ref, "y": y_ref}),
                 pl.DataFrame({"x": x_cur, "y": y_cur}), "leakage.vanishing")
    r = _one(res, "x")
    before, now = _auc(x_ref, y_ref), _auc(x_cur, y_cur)  # training AUC > 0.5: production in the same direction
    assert before > 0.93
    assert r.status is Status.fail
    assert r.details["reference_power"] == approx(before)
    assert r.details["current_power"] == approx(now)
    assert r.value == approx(before - now)
    se = math.hypot(_hanley_mcneil_se(before, int(y_ref.sum()), int((~y_ref).sum())),
                    _hanley_mcneil_se(now, int(y_cur.sum()), int((~y_cur).sum())))
    assert r.details["p_value"] == approx(2 * sps.norm.sf(abs(before - now) / se))
    assert (r.details["reference_rows"], r.details["current_rows"]) == (1000, 800)
    assert (r.threshold, r.warn_threshold) == (0.2, 0.1)
    assert "a leak that production does not have?" in r.message


def _flipped(write_contract: Callable[..., Path]) -> tuple[CheckResult, tuple[Any, Any, Any, Any]]:
    rng = np.random.default_rng(12)
    x_ref, y_ref = _strong(rng, 600, 2.0)
    x_cur, y_cur = _strong(rng, 600, -2.0)  # oriented AUC is as high, but in the other direction
    res = _audit(write_contract, BINARY + "  x: {type: float}\n", pl.DataFrame({"x": x_ref, "y": y_ref}),
                 pl.DataFrame({"x": x_cur, "y": y_cur}), "leakage.vanishing")
    return _one(res, "x"), (x_ref, y_ref, x_cur, y_cur)


def test_feature_that_flips_direction_is_measured_in_training_direction(
        write_contract: Callable[..., Path]) -> None:
    r, (x_ref, y_ref, x_cur, y_cur) = _flipped(write_contract)
    assert r.details["current_power"] == approx(_auc(x_cur, y_cur)) and _auc(x_cur, y_cur) < 0.2
    assert r.value == approx(_auc(x_ref, y_ref) - _auc(x_cur, y_cur)) and _value(r) > 0.6


def test_feature_that_flips_direction_fails_with_the_p_value_of_its_drop(
        write_contract: Callable[..., Path]) -> None:
    r, (x_ref, y_ref, x_cur, y_cur) = _flipped(write_contract)
    before, now = _auc(x_ref, y_ref), _auc(x_cur, y_cur)
    se = math.hypot(_hanley_mcneil_se(before, int(y_ref.sum()), int((~y_ref).sum())),
                    _hanley_mcneil_se(now, int(y_cur.sum()), int((~y_cur).sum())))
    assert r.details["p_value"] == approx(2 * sps.norm.sf(abs(before - now) / se))
    assert r.status is Status.fail
    assert "a leak that production does not have?" in r.message


def test_feature_equally_strong_on_both_sides_passes(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(13)
    x_ref, y_ref = _strong(rng, 1000, 2.33)
    x_cur, y_cur = _strong(rng, 1000, 2.33)
    res = _audit(write_contract, BINARY + "  x: {type: float}\n", pl.DataFrame({"x": x_ref, "y": y_ref}),
                 pl.DataFrame({"x": x_cur, "y": y_cur}), "leakage.vanishing")
    r = _one(res, "x")
    assert r.status is Status.passed
    before, now = _auc(x_ref, y_ref), _auc(x_cur, y_cur)
    assert r.value == approx(before - now)
    assert abs(_value(r)) < 0.05
    se = math.hypot(_hanley_mcneil_se(before, int(y_ref.sum()), int((~y_ref).sum())),
                    _hanley_mcneil_se(now, int(y_cur.sum()), int((~y_cur).sum())))
    expected_p = 2 * sps.norm.sf(abs(before - now) / se)
    assert expected_p > 0.01 and r.details["p_value"] == approx(expected_p)
    assert "holds in production" in r.message


def test_weak_training_feature_has_nothing_to_lose(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(14)
    x_ref, y_ref = _strong(rng, 1000, 0.3)  # AUC about 0.58
    x_cur, y_cur = _strong(rng, 1000, 0.0)
    res = _audit(write_contract, BINARY + "  x: {type: float}\n", pl.DataFrame({"x": x_ref, "y": y_ref}),
                 pl.DataFrame({"x": x_cur, "y": y_cur}), "leakage.vanishing")
    r = _one(res, "x")
    assert r.status is Status.passed and r.value == 0.0
    assert "not a strong predictor" in r.message
    assert r.details["reference_power"] == approx(_oriented(x_ref, y_ref))
    assert r.details["current_power"] == approx(_oriented(x_cur, y_cur))


def test_regression_vanishing_uses_spearman(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(15)
    x_ref, x_cur = rng.normal(size=500), rng.normal(size=500)
    y_ref, y_cur = x_ref + rng.normal(0, 0.3, 500), rng.normal(size=500)
    res = _audit(write_contract, REGRESSION + "  x: {type: float}\n", pl.DataFrame({"x": x_ref, "y": y_ref}),
                 pl.DataFrame({"x": x_cur, "y": y_cur}), "leakage.vanishing")
    r = _one(res, "x")
    rho_ref = float(sps.spearmanr(x_ref, y_ref).statistic)
    now = float(sps.spearmanr(x_cur, y_cur).statistic) * np.sign(rho_ref)  # in training's direction
    assert r.value == approx(abs(rho_ref) - now)
    # Fisher z with the Fieller-Hartley-Pearson variance 1.06 / (n - 3) per side
    z = (np.arctanh(abs(rho_ref)) - np.arctanh(now)) / np.sqrt(2 * 1.06 / (500 - 3))
    assert r.details["p_value"] == approx(2 * sps.norm.sf(abs(z)))
    assert r.status is Status.fail


def test_vanishing_without_production_labels_is_skipped(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(16)
    x_ref, y_ref = _strong(rng, 500, 2.33)
    res = _audit(write_contract, BINARY + "  x: {type: float}\n", pl.DataFrame({"x": x_ref, "y": y_ref}),
                 pl.DataFrame({"x": rng.normal(size=500)}), "leakage.vanishing")
    r = _one(res, None)
    assert r.status is Status.skipped
    assert "needs the label in training and production" in r.message


# -------------------------------------------------------------------------------------------- identifier

ID_CONTRACT = ("version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {label: y, id: rid}\n"
               "features:\n  x: {type: float}\n")


def test_ids_assigned_in_label_order_fail(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(17)
    y = rng.random(400) < 0.3
    # ids assigned after sorting on a noisy copy of the label: positives get high ids
    rid = np.argsort(np.argsort(y + rng.normal(0, 0.4, 400))).astype(np.int64) + 1000
    ref = pl.DataFrame({"rid": rid, "x": rng.normal(size=400), "y": y})
    r = _one(_audit(write_contract, ID_CONTRACT, ref, None, "leakage.identifier"), "rid")
    expected = _auc(rid.astype(np.float64), y)
    assert expected > 0.75
    assert r.status is Status.fail
    assert r.value == approx(expected)
    res = sps.mannwhitneyu(rid[y], rid[~y], method="asymptotic", use_continuity=False)
    assert r.details["p_value"] == approx(float(res.pvalue))
    assert r.details["declared"] is True and r.total == 400
    assert (r.threshold, r.warn_threshold) == (0.7, 0.6)
    assert "'rid' (declared id)" in r.message and "ids assigned in an order that tracks the outcome" in r.message


def test_random_ids_pass(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(18)
    y = rng.random(400) < 0.3
    rid = rng.permutation(400).astype(np.int64)
    ref = pl.DataFrame({"rid": rid, "x": rng.normal(size=400), "y": y})
    r = _one(_audit(write_contract, ID_CONTRACT, ref, None, "leakage.identifier"), "rid")
    assert r.status is Status.passed
    assert r.value == approx(_oriented(rid.astype(np.float64), y))
    res = sps.mannwhitneyu(rid[y], rid[~y], method="asymptotic", use_continuity=False)
    assert r.details["p_value"] > 0.01 and r.details["p_value"] == approx(float(res.pvalue))
    assert "its order says nothing about the label" in r.message


def test_strong_but_not_significant_id_order_passes(write_contract: Callable[..., Path]) -> None:
    y = np.zeros(100, dtype=bool)
    y[[60, 80, 85]] = True  # 3 positives of 100, with high ids: AUC 0.76, but p about 0.13
    rid = np.arange(100, dtype=np.int64)
    ref = pl.DataFrame({"rid": rid, "x": np.zeros(100), "y": y})
    r = _one(_audit(write_contract, ID_CONTRACT, ref, None, "leakage.identifier"), "rid")
    assert r.value == approx(_oriented(rid.astype(np.float64), y)) and _value(r) > 0.7
    res = sps.mannwhitneyu(rid[y], rid[~y], method="asymptotic", use_continuity=False)
    assert r.details["p_value"] == approx(float(res.pvalue)) and r.details["p_value"] > 0.05
    assert r.status is Status.passed


def test_near_unique_undeclared_integer_column_is_tested(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(19)
    y = rng.random(400) < 0.5
    ticket = np.argsort(np.argsort(y + rng.normal(0, 0.2, 400))).astype(np.int64)
    ticket[:10] = ticket[10:20]  # 390 of 400 distinct: 97.5%, near-unique
    ref = pl.DataFrame({"ticket": ticket, "x": rng.normal(size=400), "y": y})
    contract = BINARY + "  x: {type: float}\n"
    r = _one(_audit(write_contract, contract, ref, None, "leakage.identifier"), "ticket")
    assert r.status is Status.fail
    assert r.value == approx(_oriented(ticket.astype(np.float64), y))
    assert r.details["declared"] is False
    assert r.details["distinct_share"] == approx(390 / 400)
    assert "near-unique (97.5% distinct)" in r.message


def test_non_unique_integer_column_is_not_reported(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(20)
    y = rng.random(400) < 0.5
    grp = np.where(y, rng.integers(50, 100, 400), rng.integers(0, 50, 400))  # predictive, but 100 values
    ref = pl.DataFrame({"grp": grp, "x": rng.normal(size=400), "y": y})
    res = _audit(write_contract, BINARY + "  x: {type: float}\n", ref, None, "leakage.identifier")
    assert [r for r in res.results if r.column == "grp"] == []


def test_regression_id_order_uses_spearman(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(21)
    y = rng.normal(size=300)
    rid = np.argsort(np.argsort(y + rng.normal(0, 0.2, 300))).astype(np.int64)
    ref = pl.DataFrame({"rid": rid, "x": rng.normal(size=300), "y": y})
    contract = ("version: 1\nmodel: {name: m, task: regression}\ncolumns: {label: y, id: rid}\n"
                "features:\n  x: {type: float}\n")
    r = _one(_audit(write_contract, contract, ref, None, "leakage.identifier"), "rid")
    assert r.value == approx(abs(float(sps.spearmanr(rid, y).statistic)))
    assert r.status is Status.fail and r.details["measure"] == "spearman"


# ------------------------------------------------------------------------------------------ available_at

AVAILABLE = ("version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {id: rid, event_time: ts}\n"
             "features:\n  x: {type: float, available_at: x_at}\n")
T0 = dt.datetime(2026, 10, 1, 12, 0)


def _timed(n: int, late: list[int], late_by: dt.timedelta = dt.timedelta(hours=3)) -> pl.DataFrame:
    ts = [T0 + dt.timedelta(hours=i) for i in range(n)]
    known = [t + late_by if i in late else t - dt.timedelta(minutes=30) for i, t in enumerate(ts)]
    return pl.DataFrame({"rid": [f"r{i}" for i in range(n)], "ts": ts, "x_at": known, "x": np.arange(n) * 1.0})


def test_feature_known_after_the_decision_fails(write_contract: Callable[..., Path]) -> None:
    ref, cur = _timed(200, [17, 150]), _timed(200, [])
    res = _audit(write_contract, AVAILABLE, ref, cur, "leakage.available_at")
    by_side = {r.details["snapshot"]: r for r in _results(res, "leakage.available_at")}
    r = by_side["reference"]
    assert r.status is Status.fail and r.column == "x"
    assert (r.count, r.total) == (2, 200) and r.value == approx(2 / 200)
    assert r.examples == ("r17", "r150")
    assert "training: 'x' was known ('x_at') after the prediction time in 2 of 200 rows (1.00%)" in r.message
    assert "up to 3.0 h after the decision" in r.message
    p = by_side["current"]
    assert p.status is Status.passed and (p.count, p.total) == (0, 200) and p.value == 0.0


def test_feature_known_before_the_decision_passes(write_contract: Callable[..., Path]) -> None:
    frame = _timed(200, [])
    res = _audit(write_contract, AVAILABLE, frame, frame, "leakage.available_at")
    found = _results(res, "leakage.available_at")
    assert len(found) == 2
    assert all(r.status is Status.passed and r.count == 0 for r in found)


def test_available_at_compares_time_zones_in_utc(write_contract: Callable[..., Path]) -> None:
    n = 200
    ts = [T0 + dt.timedelta(hours=i) for i in range(n)]  # naive: UTC
    # known 30 min before the decision in UTC, which on a Berlin (UTC+2) wall clock reads 90 min after it;
    # rows 5 and 9 known 1 hour after the decision in UTC
    known_utc = [t + (dt.timedelta(hours=1) if i in (5, 9) else -dt.timedelta(minutes=30)) for i, t in enumerate(ts)]
    frame = pl.DataFrame({"rid": [f"r{i}" for i in range(n)], "ts": ts, "x_at": known_utc, "x": np.arange(n) * 1.0})
    frame = frame.with_columns(pl.col("x_at").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin"))
    assert frame["x_at"].dt.replace_time_zone(None)[0] > ts[0]  # the wall clock alone would call every row late
    res = _audit(write_contract, AVAILABLE, frame, frame.drop("x_at"), "leakage.available_at")
    r = _one(res, "x", "leakage.available_at")
    assert r.details["snapshot"] == "reference"
    assert (r.count, r.total) == (2, n) and r.examples == ("r5", "r9")
    assert "up to 1.0 h after the decision" in r.message


def test_available_at_without_event_time_is_skipped(write_contract: Callable[..., Path]) -> None:
    contract = AVAILABLE.replace(", event_time: ts", "")
    r = _one(_audit(write_contract, contract, _timed(200, []), None, "leakage.available_at"), None)
    assert r.status is Status.skipped and "needs columns.event_time" in r.message


# --------------------------------------------------------------------------- after_training, labels_after

TRAINED = ("version: 1\nmodel: {name: m, task: binary_classification, trained_at: 2026-09-01}\n"
           "columns: {event_time: ts, label: y, label_time: y_at}\nfeatures:\n  x: {type: float}\n")


def _training(late: int, on_the_day: int = 40, n: int = 200) -> pl.DataFrame:
    earlier = [dt.datetime(2026, 8, 1) + dt.timedelta(hours=i) for i in range(n - late - on_the_day)]
    same_day = [dt.datetime(2026, 9, 1, 23, 0)] * on_the_day  # still the training day
    after = [dt.datetime(2026, 9, 2, 0, 0)] * late  # the first moment after it
    ts = earlier + same_day + after
    return pl.DataFrame({"ts": ts, "y_at": ts, "x": np.arange(n) * 1.0, "y": np.arange(n) % 2 == 0})


@pytest.mark.parametrize(("check", "column"), [("leakage.after_training", "ts"),
                                                ("leakage.labels_after_training", "y_at")])
def test_rows_after_the_training_day_are_counted(write_contract: Callable[..., Path], check: str,
                                                 column: str) -> None:
    ref = _training(late=12)
    r = _one(_audit(write_contract, TRAINED, ref, ref.drop("y", "y_at"), check), column)
    assert (r.count, r.total) == (12, 200) and r.value == approx(12 / 200)
    assert r.status is Status.fail  # 6% is above both fail levels (0.1% and 5%)
    assert r.details["latest"] == "2026-09-02 00:00:00"
    assert "12 of 200 training rows (6.00%)" in r.message and "(2026-09-01)" in r.message


@pytest.mark.parametrize(("check", "column"), [("leakage.after_training", "ts"),
                                                ("leakage.labels_after_training", "y_at")])
def test_rows_late_on_the_training_day_are_not_after_it(write_contract: Callable[..., Path], check: str,
                                                        column: str) -> None:
    ref = _training(late=0, on_the_day=60)
    r = _one(_audit(write_contract, TRAINED, ref, ref.drop("y", "y_at"), check), column)
    assert (r.count, r.total) == (0, 200) and r.value == 0.0
    assert r.status is Status.passed
    assert r.details["latest"] == "2026-09-01 23:00:00"


def test_labels_after_training_grades_with_its_own_levels(write_contract: Callable[..., Path]) -> None:
    ref = _training(late=6)  # 3%: above after_training's 0.1%, below labels_after_training's 5%
    cur = ref.drop("y", "y_at")
    labels = _one(_audit(write_contract, TRAINED, ref, cur, "leakage.labels_after_training"), "y_at")
    rows = _one(_audit(write_contract, TRAINED, ref, cur, "leakage.after_training"), "ts")
    assert labels.count == rows.count == 6
    assert labels.status is Status.warn and rows.status is Status.fail


def test_after_training_compares_aware_times_in_utc(write_contract: Callable[..., Path]) -> None:
    # 2026-09-02 01:30 in Berlin is 2026-09-01 23:30 UTC: still the training day
    ts = [dt.datetime(2026, 8, 1) + dt.timedelta(hours=i) for i in range(197)] + [dt.datetime(2026, 9, 1, 23, 30)] * 3
    ref = pl.DataFrame({"ts": ts, "x": np.arange(200) * 1.0, "y": np.arange(200) % 2 == 0}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin"))
    contract = TRAINED.replace(", label_time: y_at", "")
    r = _one(_audit(write_contract, contract, ref, ref.drop("y"), "leakage.after_training"), "ts")
    assert r.count == 0 and r.status is Status.passed


def test_after_training_needs_trained_at(write_contract: Callable[..., Path]) -> None:
    ref = _training(late=0)
    contract = TRAINED.replace(", trained_at: 2026-09-01", "")
    for check in ("leakage.after_training", "leakage.labels_after_training"):
        r = _one(_audit(write_contract, contract, ref, ref.drop("y", "y_at"), check), None)
        assert r.status is Status.skipped and "needs model.trained_at" in r.message


# ---------------------------------------------------------------------------------------- period_overlap

PERIODS = ("version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {event_time: ts}\n"
           "features:\n  x: {type: float}\n")


AUG1 = dt.datetime(2026, 8, 1)
LAST = AUG1 + dt.timedelta(hours=199)  # the last row of _period(AUG1, 200)


def _period(start: dt.datetime, n: int) -> pl.DataFrame:
    return pl.DataFrame({"ts": [start + dt.timedelta(hours=i) for i in range(n)], "x": np.arange(n) * 1.0})


def test_production_rows_inside_the_training_period_are_counted(write_contract: Callable[..., Path]) -> None:
    ref = _period(AUG1, 200)
    last = LAST
    assert ref["ts"].max() == last
    # 7 rows before the last training row, 1 exactly at it, 192 after; one null time is not counted
    times = [last - dt.timedelta(hours=i) for i in range(1, 8)] + [last] + \
            [last + dt.timedelta(minutes=i) for i in range(1, 193)]
    cur = pl.DataFrame({"ts": [*times, None], "x": np.arange(201) * 1.0})
    r = _one(_audit(write_contract, PERIODS, ref, cur, "leakage.period_overlap"), "ts")
    assert (r.count, r.total) == (8, 200) and r.value == approx(8 / 200)
    assert r.status is Status.warn  # 4%: above warn 0, below fail 5%
    assert r.details["training_end"] == str(last)
    assert "8 of 200 production rows (4.00%) are dated at or before the last training row" in r.message
    assert "training and evaluation periods overlap" in r.message


def test_large_period_overlap_fails(write_contract: Callable[..., Path]) -> None:
    ref = _period(AUG1, 200)
    cur = _period(dt.datetime(2026, 8, 5), 200)  # starts inside training
    last = LAST
    assert ref["ts"].max() == last
    expected = int((cur["ts"] <= last).sum())
    r = _one(_audit(write_contract, PERIODS, ref, cur, "leakage.period_overlap"), "ts")
    assert r.count == expected and r.value == approx(expected / 200)
    assert r.status is Status.fail


def test_disjoint_periods_pass(write_contract: Callable[..., Path]) -> None:
    ref = _period(AUG1, 200)
    cur = _period(dt.datetime(2026, 10, 1), 200)
    r = _one(_audit(write_contract, PERIODS, ref, cur, "leakage.period_overlap"), "ts")
    assert r.status is Status.passed and r.count == 0 and r.value == 0.0
    assert "the periods do not overlap" in r.message


def test_period_overlap_compares_aware_and_naive_times_in_utc(write_contract: Callable[..., Path]) -> None:
    ref = _period(AUG1, 200)  # naive: UTC; last row 2026-08-09 07:00
    last = LAST
    assert ref["ts"].max() == last
    # production in New York time (UTC-4): wall clocks read 4 hours earlier than UTC
    cur = pl.DataFrame({"ts": [last + dt.timedelta(hours=1 + i) for i in range(200)], "x": np.arange(200) * 1.0})
    cur = cur.with_columns(pl.col("ts").dt.replace_time_zone("UTC").dt.convert_time_zone("America/New_York"))
    assert (cur["ts"].dt.replace_time_zone(None) <= last).sum() == 4  # what a wall-clock comparison would count
    r = _one(_audit(write_contract, PERIODS, ref, cur, "leakage.period_overlap"), "ts")
    assert r.count == 0 and r.status is Status.passed


def test_same_file_as_reference_and_current_is_skipped(write_contract: Callable[..., Path],
                                                       write_parquet: Callable[..., Path]) -> None:
    path = write_parquet("snapshot.parquet", _period(AUG1, 200))
    res = mlaudit.audit(write_contract(PERIODS), path, path, only=["leakage.period_overlap"])
    r = _one(res, None)
    assert r.status is Status.skipped and "same files" in r.message


# ------------------------------------------------------------------------------------------------ overlap

OVERLAP = ("version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {id: rid, entity: cust, label: y}\n"
           "features:\n  x1: {type: float}\n  x2: {type: category}\n")


def _rows(rng: np.random.Generator, ids: range, customers: list[str]) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"rid": list(ids), "cust": customers, "x1": rng.normal(size=n),
                         "x2": rng.choice(["a", "b", "c"], size=n).tolist(), "y": rng.random(n) < 0.5})


def _by_what(res: AuditResult) -> dict[str, CheckResult]:
    return {r.details["compared"]: r for r in _results(res, "leakage.overlap")}


def test_shared_prediction_ids_fail(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(30)
    ref = _rows(rng, range(0, 200), [f"c{i}" for i in range(200)])
    cur = _rows(rng, range(190, 390), [f"d{i}" for i in range(200)])
    found = _by_what(_audit(write_contract, OVERLAP, ref, cur, "leakage.overlap"))
    r = found["prediction ids"]
    assert r.column == "rid"
    assert (r.count, r.total) == (10, 200) and r.value == approx(10 / 200)
    assert r.status is Status.fail and r.details["judged"] is True
    assert "prediction ids: 10 of 200 production rows (5.00%) also appear in training" in r.message
    ent = found["entities"]
    assert ent.count == 0 and ent.status is Status.passed
    rows = found["identical rows (inputs and label)"]
    assert rows.count == 0 and rows.status is Status.passed


def test_shared_entities_are_reported_but_pass_by_default(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(31)
    ref = _rows(rng, range(0, 200), [f"c{i % 150}" for i in range(200)])
    cur_customers = [f"c{i}" for i in range(40)] + [f"n{i}" for i in range(160)]  # 40 returning customers
    cur = _rows(rng, range(1000, 1200), cur_customers)
    r = _by_what(_audit(write_contract, OVERLAP, ref, cur, "leakage.overlap"))["entities"]
    assert r.column == "cust"
    assert (r.count, r.total) == (40, 200) and r.value == approx(0.2)
    assert r.status is Status.passed and r.details["judged"] is False
    assert r.threshold is None and r.warn_threshold is None
    assert "set leakage.entity_overlap: false" in r.message

    strict = OVERLAP + "leakage: {entity_overlap: false}\n"
    r = _by_what(_audit(write_contract, strict, ref, cur, "leakage.overlap"))["entities"]
    assert (r.count, r.total) == (40, 200)
    assert r.status is Status.fail and r.details["judged"] is True
    assert r.threshold == 0.01


def test_identical_rows_in_both_snapshots_are_counted(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(32)
    ref = _rows(rng, range(0, 200), [f"c{i}" for i in range(200)])
    fresh = _rows(rng, range(1000, 1193), [f"d{i}" for i in range(193)])
    copied = ref[[3, 50, 51, 77, 120, 121, 199]].with_columns(  # same inputs and label, new ids and customers
        pl.Series("rid", range(2000, 2007)), pl.Series("cust", [f"e{i}" for i in range(7)]))
    # a copy whose label differs is not an identical row
    relabelled = ref[[10]].with_columns(pl.Series("rid", [3000]), pl.Series("cust", ["e9"]), ~pl.col("y"))
    cur = pl.concat([fresh, copied, relabelled])
    found = _by_what(_audit(write_contract, OVERLAP, ref, cur, "leakage.overlap"))
    r = found["identical rows (inputs and label)"]
    assert r.column is None
    assert (r.count, r.total) == (7, 201) and r.value == approx(7 / 201)
    assert r.status is Status.fail
    assert found["prediction ids"].count == 0 and found["entities"].count == 0


def test_overlap_of_the_same_file_is_skipped(write_contract: Callable[..., Path],
                                             write_parquet: Callable[..., Path]) -> None:
    path = write_parquet("snapshot.parquet", _rows(np.random.default_rng(33), range(200), ["c"] * 200))
    res = mlaudit.audit(write_contract(OVERLAP), path, path, only=["leakage.overlap"])
    r = _one(res, None)
    assert r.status is Status.skipped and "same files" in r.message


@pytest.mark.parametrize("seed", range(5))
def test_rank_sums_equal_scipy_average_ranks(seed: int) -> None:
    """The positives' sum of average ranks behind the exact AUC, from one numpy sort, equals scipy's
    rankdata('average') over the rows with a value and a label (ties, missing values, unknown labels)."""
    from scipy.stats import rankdata

    from mlaudit.checks.leakage import rank_sums

    rng = np.random.default_rng(seed)
    n = 5000
    x = rng.integers(0, 40, n).astype(float) if seed % 2 else rng.normal(size=n)
    y = (rng.random(n) < 0.3).astype(float)
    x[rng.random(n) < 0.05] = np.nan
    y[rng.random(n) < 0.05] = np.nan
    known = ~np.isnan(x) & ~np.isnan(y)
    ranks = rankdata(x[known], method="average")
    got = rank_sums({"x": x, "y": y, "reference:x": x[::-1], "reference:y": y[::-1]})
    for side in ("", "reference:"):
        assert got[f"{side}rs"] == pytest.approx(float(ranks[y[known] == 1].sum()), rel=0, abs=1e-6)
        assert got[f"{side}n1"] == int((y[known] == 1).sum()) and got[f"{side}n0"] == int((y[known] == 0).sum())


def test_rank_sums_with_signed_zeros_and_infinities_tied_equal_scipy() -> None:
    """-0.0 and 0.0 are one value, as are equal infinities: their rows share an average rank."""
    from scipy.stats import rankdata

    from mlaudit.checks.leakage import rank_sums

    rng = np.random.default_rng(8)
    x = rng.choice([-0.0, 0.0, np.inf, -np.inf, 1.5, -2.0], 3000) + np.where(rng.random(3000) < 0.2, 0.25, 0.0)
    y = (rng.random(3000) < 0.4).astype(float)
    ranks = rankdata(x, method="average")
    assert rank_sums({"x": x, "y": y})["rs"] == float(ranks[y == 1].sum())


def test_joint_counts_of_a_binary_label_are_the_rows_of_each_category_and_class() -> None:
    """A 0/1 label's joint table, counted per class (two counts of the text column), is the table counted
    in plain Python: unlabelled rows left out, missing values their own category, rare values pooled."""
    from collections import Counter

    from mlaudit.checks.leakage import MIN_CATEGORY_ROWS, _joint, _joint_binary, _joint_table

    rng = np.random.default_rng(21)
    n = 4_000
    xs = rng.choice(["a", "b", "c", None], n, p=[0.5, 0.3, 0.18, 0.02]).tolist()
    rare = rng.choice(n, MIN_CATEGORY_ROWS - 1, replace=False)
    for i in rare:
        xs[i] = "rare"
    ys = rng.choice([1, 0, None], n, p=[0.3, 0.6, 0.1]).tolist()
    frame = pl.DataFrame({"x": xs, "y": ys}, schema={"x": pl.String, "y": pl.Int64})
    x, missing, y = pl.col("x"), pl.col("x").is_null(), pl.col("y") == 1
    labelled_rare = sum(1 for i in rare if ys[i] is not None)
    expected: Counter[tuple[str, str]] = Counter()
    for value, label in zip(xs, ys, strict=True):
        if label is None:
            continue
        key = "\x00missing" if value is None else value
        if key == "rare" and labelled_rare < MIN_CATEGORY_ROWS:
            key = "\x00other"
        expected[(key, "true" if label == 1 else "false")] += 1
    binary = frame.select(**_joint_binary(x, missing, y)).row(0, named=True)
    pairs = frame.select(**_joint(x, missing, y.cast(pl.String), y.is_not_null())).row(0, named=True)
    assert _joint_table(binary, "") == dict(expected)
    assert _joint_table(pairs, "") == dict(expected)
    assert ("\x00other", "true") in expected or ("\x00other", "false") in expected
