"""Edge cases of the label and leakage checks found in review: label and feature types the checks must
read correctly (NaN, Decimal, Boolean, Date, time of day, lists), inputs that look like ids or leaks
but are not, and columns missing or typed differently on one side. Each test pins the corrected
behaviour on a small hand-made frame."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats as sps

import mlaudit
from mlaudit.results import AuditResult, CheckResult, Status


def header(task: str = "binary_classification", columns: str = "{id: id, label: y}", model_extra: str = "") -> str:
    return f"version: 1\nmodel: {{name: m, task: {task}{model_extra}}}\ncolumns: {columns}\n"


BINARY = header()


def audit(write_contract: Callable[..., Path], text: str, ref: pl.DataFrame, cur: pl.DataFrame,
          *only: str) -> AuditResult:
    return mlaudit.audit(write_contract(text), ref, cur, only=list(only))


def of(res: AuditResult, check: str, column: str | None = None, side: str | None = None) -> list[CheckResult]:
    return [r for r in res.results if r.check == check and (column is None or r.column == column)
            and (side is None or r.details.get("snapshot") == side)]


def one(res: AuditResult, check: str, column: str | None = None, side: str | None = None) -> CheckResult:
    found = of(res, check, column, side)
    assert len(found) == 1, [(r.check, r.column, r.status, r.message) for r in res.results]
    return found[0]


def auc(x: np.ndarray, y: np.ndarray) -> float:
    """AUC as the Mann-Whitney U of the positives over n1 n0 (scipy)."""
    u = sps.mannwhitneyu(x[y], x[~y], alternative="two-sided").statistic
    return float(u) / (int(y.sum()) * int((~y).sum()))


# ------------------------------------------------------------------------------------- 1. leakage.identifier


def test_declared_near_unique_int_feature_is_not_an_identifier(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(1)
    n = 1000
    income = np.round(rng.lognormal(10.5, 0.6, n) * 100).astype(np.int64)  # cents: about 100% distinct
    z = (np.log(income / 100) - 10.5) / 0.6
    y = (rng.random(n) < 1 / (1 + np.exp(1.5 + 1.3 * z))).astype(np.int64)  # moderately predicted by income
    seq = np.argsort(np.argsort(y + rng.normal(0, 0.3, n))).astype(np.int64)  # undeclared, orders the labels
    ref = pl.DataFrame({"id": [f"A{i}" for i in rng.permutation(n)], "income": income, "seq": seq, "y": y})
    assert ref["income"].n_unique() / n > 0.99
    res = audit(write_contract, BINARY + "features:\n  income: {type: int}\n", ref, ref, "leakage.identifier")
    assert of(res, "leakage.identifier", "income") == []
    r = one(res, "leakage.identifier", "seq")
    assert r.status is Status.fail
    assert r.value is not None and r.value > 0.9
    assert r.details["declared"] is False
    assert "'seq' (near-unique (100.0% distinct))" in r.message and "its sort order predicts the label" in r.message


# ---------------------------------------------------------------------------------------- 2. leakage.overlap


def test_identical_rows_with_coarse_inputs_are_not_judged(write_contract: Callable[..., Path]) -> None:
    def frame(off: int, seed: int) -> pl.DataFrame:
        r = np.random.default_rng(seed)
        n = 2000
        return pl.DataFrame({"id": np.arange(off, off + n), "region": r.choice(list("NSEW"), n),
                             "product": r.choice(["card", "loan", "mortgage"], n), "band": r.integers(0, 5, n),
                             "guarantor": r.random(n) < 0.2, "y": r.integers(0, 2, n)})

    feats = ("features:\n  region: {type: category}\n  product: {type: category}\n  band: {type: int}\n"
             "  guarantor: {type: bool}\n")
    res = audit(write_contract, BINARY + feats, frame(0, 1), frame(10_000, 2), "leakage.overlap")
    rows = [r for r in of(res, "leakage.overlap") if r.details.get("compared") == "identical rows (inputs and label)"]
    assert len(rows) == 1, res.results
    assert rows[0].status is Status.skipped
    assert "with inputs this coarse, identical rows are expected, not judged" in rows[0].message
    ids = one(res, "leakage.overlap", "id")
    assert ids.status is Status.passed and ids.count == 0


# ------------------------------------------------------------------------------ 3. high-cardinality category


def test_independent_high_cardinality_category_is_neither_a_leak_nor_vanishing(
        write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(3)
    k = 2000

    def frame(per: int, off: int) -> pl.DataFrame:
        codes = np.repeat(np.arange(k), per)
        n = codes.size
        return pl.DataFrame({"id": np.arange(off, off + n), "merchant": [f"m{c}" for c in codes],
                             "y": (rng.random(n) < 0.02).astype(np.int64)})

    ref, cur = frame(40, 0), frame(12, 10**6)  # 40 rows per value in training, 12 in production (pooled)
    res = audit(write_contract, BINARY + "features:\n  merchant: {type: category}\n", ref, cur,
                "leakage.single_feature", "leakage.vanishing")
    single = one(res, "leakage.single_feature", "merchant")
    assert single.status is Status.passed and single.details["measure"] == "nmi"
    assert single.value is not None and single.value < 0.05  # uncorrected, about 0.2 from the 2,000 values
    vanishing = one(res, "leakage.vanishing", "merchant")
    assert vanishing.status is Status.passed
    assert vanishing.value is not None and vanishing.value < 0.1


# ------------------------------------------------------------------------------------- 4. labels.agreement

AGREE = BINARY + "features:\n  x: {type: float}\nlabels: {sources: [a, b]}\n"


def test_agreement_int_and_boolean_sources_with_the_same_ratings_agree(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(4)
    a = rng.integers(0, 2, 300)
    ref = pl.DataFrame({"id": np.arange(300), "x": rng.normal(size=300), "y": a, "a": a, "b": a.astype(bool)})
    res = audit(write_contract, AGREE, ref, ref, "labels.agreement")
    for side in ("reference", "current"):
        r = one(res, "labels.agreement", side=side)
        assert r.status is Status.passed
        assert r.details["kappa"] == 1.0 and r.value == 0.0
        assert r.total == 300 and "lack a source" not in r.message


def test_agreement_nan_rating_is_missing_not_a_category(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2, 300)
    af = a.astype(np.float64)
    af[:40] = np.nan
    ref = pl.DataFrame({"id": np.arange(300), "x": rng.normal(size=300), "y": a, "a": af, "b": a})
    r = one(audit(write_contract, AGREE, ref, ref, "labels.agreement"), "labels.agreement", side="reference")
    assert r.status is Status.passed
    assert r.details["kappa"] == 1.0 and r.total == 260  # NaN as a third category would lower kappa
    assert "40 rows lack a source" in r.message


def test_agreement_list_typed_source_is_skipped_by_name(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(6)
    a = rng.integers(0, 2, 300)
    ref = pl.DataFrame({"id": np.arange(300), "x": rng.normal(size=300), "y": a, "a": a,
                        "b": pl.Series([[int(v)] for v in a])})
    cur = ref.with_columns(b=pl.col("a"))
    res = audit(write_contract, AGREE, ref, cur, "labels.agreement")
    skipped = [r for r in of(res, "labels.agreement") if r.status is Status.skipped]
    assert len(skipped) == 1, res.results
    assert "training: label source b is not a label type" in skipped[0].message
    current = one(res, "labels.agreement", side="current")
    assert current.status is Status.passed and current.details["kappa"] == 1.0


# ------------------------------------------------------------------------------------- 5. NaN labels


def test_nan_labels_are_left_out_of_single_feature_auc(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(7)
    n = 1000
    yb = rng.random(n) < 0.4
    x = rng.normal(size=n) + 0.8 * yb
    nan = rng.random(n) < 0.2
    label = np.where(nan, np.nan, yb.astype(np.float64))
    ref = pl.DataFrame({"id": np.arange(n), "x": x, "y": label})
    res = audit(write_contract, BINARY + "features:\n  x: {type: float}\n", ref, ref, "leakage.single_feature")
    r = one(res, "leakage.single_feature", "x")
    kept = ~nan
    expected = auc(x[kept], yb[kept])
    assert r.total == int(kept.sum())
    assert abs(r.details["auc"] - expected) < 1e-9
    assert abs((r.value or 0.0) - max(expected, 1 - expected)) < 1e-9


# ------------------------------------------------------------------------------------- 6. labels.validity


def _validity(write_contract: Callable[..., Path], text: str, y: pl.Series) -> CheckResult:
    rng = np.random.default_rng(8)
    ref = pl.DataFrame({"id": np.arange(len(y)), "x": rng.normal(size=len(y))}).with_columns(y=y)
    res = audit(write_contract, text + "features:\n  x: {type: float}\n", ref, ref, "labels.validity")
    return one(res, "labels.validity", side="reference")


def test_validity_decimal_zero_one_labels_pass(write_contract: Callable[..., Path]) -> None:
    values = [decimal.Decimal(i % 2).quantize(decimal.Decimal("0.01")) for i in range(200)]
    r = _validity(write_contract, BINARY, pl.Series(values, dtype=pl.Decimal(10, 2)))
    assert r.status is Status.passed and "every label is valid" in r.message


def test_validity_int_labels_two_three_with_positive_class_three_pass(write_contract: Callable[..., Path]) -> None:
    r = _validity(write_contract, header(model_extra=", positive_class: 3"), pl.Series([2, 3] * 100))
    assert r.status is Status.passed and r.value == 0.0


def test_validity_bool_labels_with_allowed_zero_one_pass(write_contract: Callable[..., Path]) -> None:
    r = _validity(write_contract, BINARY + "labels: {allowed: [0, 1]}\n", pl.Series([True, False] * 100))
    assert r.status is Status.passed and r.value == 0.0


def test_validity_positive_class_absent_from_text_labels_fails(write_contract: Callable[..., Path]) -> None:
    r = _validity(write_contract, header(model_extra=", positive_class: defaulted"), pl.Series(["good", "bad"] * 100))
    assert r.status is Status.fail
    assert "model.positive_class 'defaulted' matches no label value" in r.message
    assert "'bad', 'good'" in r.message


# ------------------------------------------------------------------------------------- 7. time of day


def test_time_of_day_event_time_does_not_abort_the_audit(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(9)
    n = 300
    ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "y": rng.integers(0, 2, n),
                        "ts": [dt.time(int(h), 0) for h in rng.integers(0, 24, n)]})
    cur = ref.with_columns(id=pl.col("id") + 10_000)
    text = header(columns="{id: id, label: y, event_time: ts}", model_extra=", trained_at: 2026-01-31")
    res = audit(write_contract, text + "features:\n  x: {type: float}\nlabels: {delay: 10d}\n", ref, cur,
                "labels", "leakage")
    assert res.exit_code != 2
    coverage = one(res, "labels.coverage")
    assert coverage.status is Status.skipped and "needs columns.event_time (a timestamp)" in coverage.message


# ------------------------------------------------------------------------------- 8. available_at with a Date


def test_available_at_same_day_is_not_late_against_a_date_event_time(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(10)
    n = 200
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 60, n)]
    same_day = [dt.datetime(d.year, d.month, d.day, 23, 30) for d in days]
    next_day = [t + dt.timedelta(hours=1) if i < 10 else t - dt.timedelta(hours=5) for i, t in enumerate(same_day)]
    text = header(columns="{id: id, label: y, event_time: ts}")
    text += "features:\n  x: {type: float, available_at: x_at}\n"
    for known, late in ((same_day, 0), (next_day, 10)):
        ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "y": rng.integers(0, 2, n), "ts": days,
                            "x_at": known})
        r = one(audit(write_contract, text, ref, ref, "leakage.available_at"), "leakage.available_at", "x",
                side="reference")
        assert r.count == late and r.total == n
        assert r.status is (Status.fail if late else Status.passed)


# -------------------------------------------------------------------------- 9. regression with a text label


def test_regression_with_text_label(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(11)
    n = 200
    ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "y": [f"{v:.2f}" for v in rng.normal(size=n)]})
    cur = ref.with_columns(id=pl.col("id") + 10_000)
    text = header(task="regression") + "features:\n  x: {type: float}\n"
    res = audit(write_contract, text, ref, cur, "labels.validity", "labels.conflicts")
    validity = one(res, "labels.validity", side="reference")
    assert validity.status is Status.fail and "must be a number" in validity.message
    conflicts = one(res, "labels.conflicts")
    assert conflicts.status is Status.skipped and "regression" in conflicts.message
    full = mlaudit.audit(write_contract(text), ref, cur)
    concept = [r for r in full.results if r.check.startswith("drift.concept")]
    assert concept and all(r.status is Status.skipped for r in concept)


# ------------------------------------------------------------------------------ 10. all-null inputs


def test_rows_with_all_inputs_null_are_not_identical_inputs(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(12)
    n = 300
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    outage = np.arange(n) < 20  # the feature store was down: every input null, labels of both classes
    ref = pl.DataFrame({"id": np.arange(n), "x1": np.where(outage, np.nan, x1), "x2": np.where(outage, np.nan, x2),
                        "y": np.arange(n) % 2}).with_columns(pl.col("x1", "x2").fill_nan(None))
    text = BINARY + "features:\n  x1: {type: float}\n  x2: {type: float}\n"
    r = one(audit(write_contract, text, ref, ref, "labels.conflicts"), "labels.conflicts", side="reference")
    assert r.status is Status.passed
    assert r.count == 0 and r.details["groups"] == 0
    assert r.total == n - 20


# --------------------------------------------------------------------------- 11. missingness that leaks


def test_date_set_only_for_positives_leaks_through_missingness(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(13)
    n = 400
    y = rng.random(n) < 0.3
    closed = [dt.date(2026, 1, 1) + dt.timedelta(days=int(d)) if p else None
              for d, p in zip(rng.integers(0, 90, n), y, strict=True)]
    ref = pl.DataFrame({"id": np.arange(n), "closed": pl.Series(closed, dtype=pl.Date), "y": y})
    res = audit(write_contract, BINARY + "features:\n  closed: {type: date}\n", ref, ref, "leakage.single_feature")
    r = one(res, "leakage.single_feature", "closed")
    assert r.status is Status.fail
    assert r.value == 1.0 and r.total == n
    assert "of whether the value is missing" in r.message


def test_float_missing_mostly_for_negatives_leaks_through_missingness(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(14)
    n = 1000
    y = rng.random(n) < 0.4
    gone = ~y & (rng.random(n) < 0.9)
    x = np.where(gone, np.nan, rng.normal(size=n))
    ref = pl.DataFrame({"id": np.arange(n), "x": x, "y": y}).with_columns(pl.col("x").fill_nan(None))
    res = audit(write_contract, BINARY + "features:\n  x: {type: float}\n", ref, ref, "leakage.single_feature")
    r = one(res, "leakage.single_feature", "x")
    share = 0.5 + (0 - gone.sum() / (~y).sum()) / 2
    assert r.status is Status.fail
    assert abs((r.value or 0.0) - max(share, 1 - share)) < 1e-9 and r.total == n
    assert f"AUC {max(share, 1 - share):.3f} of whether the value is missing" in r.message


# ----------------------------------------------------------------------- 12. columns on one side or typed apart


def test_vanishing_feature_absent_from_production_is_skipped(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(15)
    n = 300
    ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "z": rng.normal(size=n),
                        "y": rng.integers(0, 2, n)})
    cur = ref.drop("z").with_columns(id=pl.col("id") + 10_000)
    text = BINARY + "features:\n  x: {type: float}\n  z: {type: float}\n"
    r = one(audit(write_contract, text, ref, cur, "leakage.vanishing"), "leakage.vanishing", "z")
    assert r.status is Status.skipped and "'z' is not in production" in r.message


def test_conflict_key_only_in_production_skips_training(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(16)
    n = 300
    ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "ent": rng.integers(0, 50, n),
                        "y": rng.integers(0, 2, n)})
    cur = ref.with_columns(id=pl.col("id") + 10_000, extra=pl.lit(1))
    text = BINARY + "features:\n  x: {type: float}\nlabels: {conflict_key: [ent, extra]}\n"
    res = audit(write_contract, text, ref, cur, "labels.conflicts")
    skipped = [r for r in of(res, "labels.conflicts") if r.status is Status.skipped]
    assert len(skipped) == 1, res.results
    assert skipped[0].message.startswith("training: conflict key column extra is not in this snapshot")
    judged = of(res, "labels.conflicts", side="current")  # production has the key: judged by inputs and key
    assert sorted(r.details["key"] for r in judged) == ["inputs", "key"]


def test_overlap_ids_typed_apart_are_skipped_naming_both_types(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(17)
    n = 300
    ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "y": rng.integers(0, 2, n)})
    cur = ref.with_columns(pl.col("id").cast(pl.String))
    res = audit(write_contract, BINARY + "features:\n  x: {type: float}\n", ref, cur, "leakage.overlap")
    r = one(res, "leakage.overlap", "id")
    assert r.status is Status.skipped
    assert "'id' is Int64 in training but String in production" in r.message


# ------------------------------------------------------------------------- 13. no production label yet


def test_validity_all_null_production_labels_are_skipped(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(18)
    n = 200
    ref = pl.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "y": rng.integers(0, 2, n)})
    cur = ref.with_columns(id=pl.col("id") + 10_000, y=pl.lit(None, dtype=pl.Int64))
    res = audit(write_contract, BINARY + "features:\n  x: {type: float}\n", ref, cur, "labels.validity")
    r = one(res, "labels.validity", side="current")
    assert r.status is Status.skipped
    assert "no row has a label yet" in r.message and "every label is valid" not in r.message
    assert one(res, "labels.validity", side="reference").status is Status.passed
