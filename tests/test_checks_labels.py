"""Label checks on small hand-made snapshots: conflicts, validity, coverage, agreement, suspected errors.

Every reported statistic is held to an independent numpy computation of the same quantity (counts,
shares, Cohen's and Fleiss' kappa, expected errors under calibration), and every skipped path a user
relies on says why it was not judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats

import mlaudit
from mlaudit.results import AuditResult, CheckResult, OwnerArea, Status

CONFLICTS = "labels.conflicts"
VALIDITY = "labels.validity"
COVERAGE = "labels.coverage"
AGREEMENT = "labels.agreement"
SUSPECTED = "labels.suspected_errors"

AS_OF = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- helpers


def contract(*, task: str = "binary_classification", columns: str = "{id: id, label: y}", features: str = "",
             extra: str = "", model_extra: str = "") -> str:
    return (
        "version: 1\n"
        f"model: {{name: m, task: {task}{model_extra}}}\n"
        f"columns: {columns}\n"
        + (f"features:\n{features}" if features else "")
        + extra
    )


def run(write_contract: Callable[..., Path], text: str, ref: pl.DataFrame, cur: pl.DataFrame, check: str,
        **kwargs: Any) -> AuditResult:
    return mlaudit.audit(write_contract(text), ref, cur, only=[check], **kwargs)


def results(res: AuditResult, check: str) -> list[CheckResult]:
    return [r for r in res.results if r.check == check]


def only_result(res: AuditResult, check: str) -> CheckResult:
    found = results(res, check)
    assert len(found) == 1, [(r.check, r.status, r.message) for r in res.results]
    return found[0]


def on_side(res: AuditResult, check: str, side: str, key: str | None = None) -> CheckResult:
    found = [r for r in results(res, check) if r.details.get("snapshot") == side
             and (key is None or r.details.get("key") == key)]
    assert len(found) == 1, [(r.check, r.status, r.details.get("snapshot"), r.message) for r in res.results]
    return found[0]


def cohen(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa written out: p_o = share of items both raters agree on, p_e = sum_k p_a(k) p_b(k)."""
    cats = np.union1d(a, b)
    p_o = float(np.mean(a == b))
    p_e = float(sum(np.mean(a == k) * np.mean(b == k) for k in cats))
    return (p_o - p_e) / (1 - p_e)


def fleiss(ratings: np.ndarray) -> float:
    """Fleiss' kappa written out for ratings[item, rater]: per-item agreement P_i over rater pairs,
    P_e from the pooled category shares."""
    n_items, m = ratings.shape
    cats = np.unique(ratings)
    counts = np.stack([(ratings == k).sum(axis=1) for k in cats], axis=1).astype(float)
    p_i = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))
    p_bar = p_i.mean()
    p_k = counts.sum(axis=0) / (n_items * m)
    p_e = float((p_k ** 2).sum())
    return float((p_bar - p_e) / (1 - p_e))


# --------------------------------------------------------------------------- labels.conflicts

FEATURES = "  x1: {type: int}\n  x2: {type: category}\n"


def conflict_frame() -> pl.DataFrame:
    """190 distinct input rows, then copies of rows 0-9 (0-4 with the other label, 5-9 with the same),
    and a copy of row 10 without a label: 5 conflicting groups of 2 rows among 200 labelled rows."""
    x1 = list(range(190))
    x2 = ["a" if i % 2 else "b" for i in range(190)]
    y: list[int | None] = [i % 2 for i in range(190)]
    for i in range(10):
        x1.append(x1[i])
        x2.append(x2[i])
        y.append(1 - i % 2 if i < 5 else i % 2)
    x1.append(x1[10])
    x2.append(x2[10])
    y.append(None)
    return pl.DataFrame({"id": [f"r{i}" for i in range(len(x1))], "x1": x1, "x2": x2, "y": y},
                        schema_overrides={"y": pl.Int64})


def test_conflicts_identical_inputs_with_different_labels(write_contract: Callable[..., Path]) -> None:
    ref = conflict_frame()
    cur = ref.drop("y")
    r = only_result(run(write_contract, contract(features=FEATURES), ref, cur, CONFLICTS), CONFLICTS)

    # independent: group rows by their inputs, conflicting groups hold two distinct non-null labels
    labels: dict[tuple[int, str], set[int]] = {}
    for x1, x2, y in ref.select("x1", "x2", "y").iter_rows():
        if y is not None:
            labels.setdefault((x1, x2), set()).add(y)
    bad_keys = {k for k, v in labels.items() if len(v) > 1}
    bad_rows = [i for i, (x1, x2, y) in enumerate(ref.select("x1", "x2", "y").iter_rows())
                if y is not None and (x1, x2) in bad_keys]
    labelled = int(ref["y"].is_not_null().sum())
    assert (len(bad_keys), len(bad_rows), labelled) == (5, 10, 200)

    assert r.status is Status.fail, r.message
    assert r.count == len(bad_rows) and r.total == labelled
    assert r.value == pytest.approx(len(bad_rows) / labelled)
    assert r.details["groups"] == len(bad_keys)
    assert r.details["key"] == "inputs" and r.details["snapshot"] == "reference"
    assert r.details["key_columns"] == ["x1", "x2"]
    assert r.details["repeated_rows"] == 20  # 10 copied pairs; row 10's copy has no label, so it repeats nothing
    assert r.examples == tuple(ref["id"][i] for i in bad_rows[:5]) == ("r0", "r1", "r2", "r3", "r4")
    assert r.threshold == 0.01 and r.warn_threshold == 0.001
    assert r.owner.area is OwnerArea.model_behavior
    assert "5 groups of rows with identical values of the 2 model inputs carry different labels" in r.message
    assert "10 rows, 5.00% of 200 labelled rows" in r.message and r.message.startswith("training:")


def test_conflicts_warn_between_levels(write_contract: Callable[..., Path]) -> None:
    ref = conflict_frame()
    # keep one conflicting pair: 2 of 200 labelled rows = 1%, above warn (0.1%) and not above fail (1%)
    ref = ref.with_columns(pl.when(pl.int_range(pl.len()).is_between(191, 194)).then(pl.col("x1") + 1000)
                           .otherwise(pl.col("x1")).alias("x1"))
    r = only_result(run(write_contract, contract(features=FEATURES), ref, ref.drop("y"), CONFLICTS), CONFLICTS)
    assert r.status is Status.warn, r.message
    assert r.count == 2 and r.details["groups"] == 1 and r.value == pytest.approx(2 / 200)
    assert r.examples == ("r0", "r190")


def test_conflicts_different_inputs_are_no_conflict(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(1)
    ref = pl.DataFrame({"id": [f"r{i}" for i in range(300)], "x1": np.arange(300),
                        "x2": rng.choice(["a", "b", "c"], 300), "y": rng.integers(0, 2, 300)})
    r = only_result(run(write_contract, contract(features=FEATURES), ref, ref.drop("y"), CONFLICTS), CONFLICTS)
    assert r.status is Status.passed, r.message
    assert r.count == 0 and r.value == 0.0 and r.total == 300 and r.examples == ()
    assert r.details["groups"] == 0


def test_conflicts_on_entity_and_event_time(write_contract: Callable[..., Path]) -> None:
    n = 200
    t0 = dt.datetime(2026, 10, 1)
    entity = [f"e{i}" for i in range(n)]
    times = [t0 + dt.timedelta(hours=i) for i in range(n)]
    y = [i % 2 for i in range(n)]
    # rows 197-199 repeat the case (entity, time) of rows 0-2; rows 197 and 198 carry the other label
    for j, i in enumerate((197, 198, 199)):
        entity[i], times[i] = entity[j], times[j]
    y[197], y[198], y[199] = 1 - y[0], 1 - y[1], y[2]
    ref = pl.DataFrame({"id": [f"r{i}" for i in range(n)], "x1": np.arange(n), "x2": ["a"] * n,
                        "cust": entity, "ts": times, "y": y})
    cols = "{id: id, label: y, entity: cust, event_time: ts}"
    res = run(write_contract, contract(columns=cols, features=FEATURES), ref, ref.drop("y"), CONFLICTS)

    by_inputs = on_side(res, CONFLICTS, "reference", key="inputs")
    assert by_inputs.status is Status.passed and by_inputs.count == 0  # every input row is distinct

    r = on_side(res, CONFLICTS, "reference", key="key")
    keys = list(zip(entity, times, strict=True))
    bad = [i for i, k in enumerate(keys) if len({y[j] for j, kk in enumerate(keys) if kk == k}) > 1]
    assert bad == [0, 1, 197, 198]
    assert r.status is Status.fail, r.message
    assert r.count == len(bad) and r.total == n and r.value == pytest.approx(len(bad) / n)
    assert r.details["groups"] == 2 and r.details["key_columns"] == ["cust", "ts"]
    assert r.examples == ("r0", "r1", "r197", "r198")
    assert "the same cust and ts carry different labels" in r.message


def test_conflicts_on_declared_conflict_key(write_contract: Callable[..., Path]) -> None:
    n = 150
    case = [f"c{i}" for i in range(n)]
    case[149] = "c0"
    y = [0] * n
    y[149] = 1
    ref = pl.DataFrame({"id": [f"r{i}" for i in range(n)], "case": case, "x1": np.arange(n), "x2": ["a"] * n,
                        "y": y})
    text = contract(features=FEATURES, extra="labels: {conflict_key: [case]}\n")
    r = on_side(run(write_contract, text, ref, ref.drop("y"), CONFLICTS), CONFLICTS, "reference", key="key")
    assert r.status is Status.fail and r.count == 2 and r.details["groups"] == 1
    assert r.value == pytest.approx(2 / 150) and r.examples == ("r0", "r149")


def test_conflicts_coarse_inputs_are_not_judged(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(2)
    ref = pl.DataFrame({"id": [f"r{i}" for i in range(300)], "x1": rng.integers(0, 3, 300),
                        "x2": rng.choice(["a", "b"], 300), "y": rng.integers(0, 2, 300)})
    # independent: share of labelled rows whose input values occur more than once
    sizes = ref.group_by("x1", "x2").len()
    repeated = int(sizes.filter(pl.col("len") > 1)["len"].sum())
    assert repeated / 300 > 0.5
    r = only_result(run(write_contract, contract(features=FEATURES), ref, ref.drop("y"), CONFLICTS), CONFLICTS)
    assert r.status is Status.skipped, r.message
    assert r.value is None
    assert r.details["repeated_rows"] == repeated
    assert "input values repeat in 100.0% of labelled rows" in r.message
    assert "coarse" in r.message and "not judged" in r.message


def test_conflicts_need_100_labelled_rows(write_contract: Callable[..., Path]) -> None:
    ref = conflict_frame().with_columns(
        pl.when(pl.int_range(pl.len()) >= 99).then(None).otherwise(pl.col("y")).alias("y"))
    r = only_result(run(write_contract, contract(features=FEATURES), ref, ref.drop("y"), CONFLICTS), CONFLICTS)
    assert r.status is Status.skipped, r.message
    assert "99 labelled rows, fewer than 100" in r.message


def test_conflicts_without_a_label_column_are_skipped(write_contract: Callable[..., Path]) -> None:
    ref = conflict_frame().drop("y")
    text = contract(columns="{id: id}", features=FEATURES)
    r = only_result(run(write_contract, text, ref, ref, CONFLICTS), CONFLICTS)
    assert r.status is Status.skipped and "columns.label" in r.message


def test_conflicts_judged_on_each_snapshot_with_labels(write_contract: Callable[..., Path]) -> None:
    ref = conflict_frame()
    cur = ref.with_columns(pl.col("x1") + 5000 * pl.int_range(pl.len()))  # all distinct in production
    res = run(write_contract, contract(features=FEATURES), ref, cur, CONFLICTS)
    assert on_side(res, CONFLICTS, "reference").status is Status.fail
    prod = on_side(res, CONFLICTS, "current")
    assert prod.status is Status.passed and prod.count == 0 and prod.message.startswith("production:")


# --------------------------------------------------------------------------- labels.validity


def validity(write_contract: Callable[..., Path], ref: pl.DataFrame, cur: pl.DataFrame | None = None,
             **kw: str) -> AuditResult:
    cur = ref.drop("y") if cur is None else cur
    return run(write_contract, contract(features="  x: {type: int}\n", **kw), ref, cur, VALIDITY)


def labelled(y: list[Any], dtype: pl.DataType | type[pl.DataType] | None = None) -> pl.DataFrame:
    return pl.DataFrame({"id": [f"r{i}" for i in range(len(y))], "x": np.arange(len(y)),
                         "y": pl.Series("y", y, dtype=dtype)})


def test_validity_binary_numeric_label_with_a_2(write_contract: Callable[..., Path]) -> None:
    y = [0, 1] * 98 + [2, 2, 2, 2]
    r = only_result(validity(write_contract, labelled(y)), VALIDITY)
    invalid = int(np.sum(~np.isin(np.asarray(y), [0, 1])))
    assert r.status is Status.fail, r.message  # 2% invalid, above the 1% fail level
    assert r.column == "y" and r.count == invalid == 4 and r.total == 200
    assert r.value == pytest.approx(invalid / len(y))
    assert r.details["invalid_labels"] == 4 and r.details["missing_labels"] == 0
    assert r.examples == ("2",)
    assert "4 rows hold values outside the allowed set ('2')" in r.message and "2.00% of 200 rows" in r.message


def test_validity_one_bad_label_in_a_thousand_warns(write_contract: Callable[..., Path]) -> None:
    y = [0, 1] * 499 + [0, 7]
    r = only_result(validity(write_contract, labelled(y)), VALIDITY)
    assert r.status is Status.warn and r.count == 1 and r.value == pytest.approx(1 / 1000)


def test_validity_clean_binary_labels_pass(write_contract: Callable[..., Path]) -> None:
    r = only_result(validity(write_contract, labelled([0, 1] * 100)), VALIDITY)
    assert r.status is Status.passed and r.value == 0.0 and r.total == 200
    assert "every label is valid" in r.message


def test_validity_bool_label_is_valid(write_contract: Callable[..., Path]) -> None:
    r = only_result(validity(write_contract, labelled([True, False] * 100)), VALIDITY)
    assert r.status is Status.passed, r.message


def test_validity_float_zero_one_label_is_valid(write_contract: Callable[..., Path]) -> None:
    r = only_result(validity(write_contract, labelled([0.0, 1.0] * 100)), VALIDITY)
    assert r.status is Status.passed, r.message


def test_validity_counts_missing_training_labels(write_contract: Callable[..., Path]) -> None:
    y: list[int | None] = [0, 1] * 95 + [None] * 10
    r = only_result(validity(write_contract, labelled(y, pl.Int64)), VALIDITY)
    nulls = sum(v is None for v in y)
    assert r.status is Status.fail, r.message
    assert r.count == nulls == 10 and r.value == pytest.approx(nulls / len(y))
    assert r.details["missing_labels"] == 10 and r.details["invalid_labels"] == 0
    assert "10 training rows have no label" in r.message


def test_validity_missing_production_labels_are_not_invalid(write_contract: Callable[..., Path]) -> None:
    ref = labelled([0, 1] * 100)
    cur = labelled([0, 1] * 50 + [None] * 100, pl.Int64)  # outcomes not in yet
    res = validity(write_contract, ref, cur)
    r = on_side(res, VALIDITY, "current")
    assert r.status is Status.passed and r.message.startswith("production:")


def test_validity_honours_labels_allowed(write_contract: Callable[..., Path]) -> None:
    y = ["approve", "reject"] * 97 + ["aprove"] * 6
    bad_ref = labelled(y)
    text = "labels: {allowed: [approve, reject]}\n"
    r = only_result(validity(write_contract, bad_ref, extra=text, model_extra=", positive_class: approve"),
                    VALIDITY)
    assert r.status is Status.fail and r.count == 6 and r.value == pytest.approx(6 / 200)
    assert r.examples == ("aprove",) and "'aprove'" in r.message

    ok = only_result(validity(write_contract, labelled(["approve", "reject"] * 100), extra=text), VALIDITY)
    assert ok.status is Status.passed, ok.message


def test_validity_allowed_overrides_the_binary_default(write_contract: Callable[..., Path]) -> None:
    r = only_result(validity(write_contract, labelled([-1, 1] * 100), extra="labels: {allowed: [-1, 1]}\n"),
                    VALIDITY)
    assert r.status is Status.passed, r.message
    r = only_result(validity(write_contract, labelled([-1, 1] * 100)), VALIDITY)
    assert r.status is Status.fail and r.count == 100 and r.examples == ("-1",)


def test_validity_text_labels_with_three_values_in_a_binary_task(write_contract: Callable[..., Path]) -> None:
    y = ["yes"] * 120 + ["no"] * 75 + ["maybe"] * 5
    r = only_result(validity(write_contract, labelled(y)), VALIDITY)
    values, counts = np.unique(np.asarray(y), return_counts=True)
    beyond_two = int(np.sort(counts)[:-2].sum())
    assert r.status is Status.fail, r.message
    assert r.count == beyond_two == 5 and r.value == pytest.approx(5 / 200)
    assert r.examples == ("maybe",)
    assert len(values) == 3


def test_validity_multiclass_uses_model_classes(write_contract: Callable[..., Path]) -> None:
    y = ["stay", "downgrade", "leave"] * 65 + ["lost"] * 5
    r = only_result(validity(write_contract, labelled(y), task="multiclass_classification",
                             model_extra=", classes: [stay, downgrade, leave]"), VALIDITY)
    assert r.status is Status.fail and r.count == 5 and r.examples == ("lost",)


def test_validity_regression_label_with_inf(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 200)
    y[[5, 50, 150]] = [np.inf, -np.inf, np.nan]
    r = only_result(validity(write_contract, labelled(list(y)), task="regression"), VALIDITY)
    non_finite = int(np.sum(~np.isfinite(y)))
    assert r.status is Status.fail, r.message
    assert r.count == non_finite == 3 and r.value == pytest.approx(3 / 200)
    assert "2 infinite values" in r.message and "1 training rows have no label" in r.message  # NaN is missing

    clean = only_result(validity(write_contract, labelled(list(rng.normal(10, 2, 200))), task="regression"),
                        VALIDITY)
    assert clean.status is Status.passed, clean.message


def test_validity_label_type_differs_between_training_and_production(write_contract: Callable[..., Path]) -> None:
    ref = labelled([0, 1] * 100)
    cur = labelled(["0", "1"] * 100)
    res = validity(write_contract, ref, cur)
    assert on_side(res, VALIDITY, "reference").status is Status.passed
    r = on_side(res, VALIDITY, "current")
    assert r.status is Status.fail, r.message
    assert r.details["type_changed"] is True
    assert "the label is String in production but Int64 in training" in r.message


# --------------------------------------------------------------------------- labels.coverage


def coverage_frames(n: int = 300, seed: int = 4) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray, np.ndarray]:
    """Production rows spread evenly over the 30 days before AS_OF, about 70% of them labelled."""
    rng = np.random.default_rng(seed)
    age_days = np.linspace(0.05, 29.95, n)
    naive_now = AS_OF.replace(tzinfo=None)
    times = [naive_now - dt.timedelta(days=float(a)) for a in age_days]
    has = rng.random(n) < 0.7
    y = [int(v) if h else None for v, h in zip(rng.integers(0, 2, n), has, strict=True)]
    cur = pl.DataFrame({"id": [f"p{i}" for i in range(n)], "x": np.arange(n), "ts": times,
                        "y": pl.Series("y", y, dtype=pl.Int64)})
    ref = pl.DataFrame({"id": [f"t{i}" for i in range(100)], "x": np.arange(100), "ts": times[:100],
                        "y": [0, 1] * 50})
    return ref, cur, age_days, has


COV_COLUMNS = "{id: id, label: y, event_time: ts}"


def test_coverage_counts_old_rows_without_outcome(write_contract: Callable[..., Path]) -> None:
    ref, cur, age, has = coverage_frames()
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n", extra="labels: {delay: 10d}\n")
    r = only_result(run(write_contract, text, ref, cur, COVERAGE, as_of=AS_OF), COVERAGE)
    due = age > 10
    missing = int(np.sum(due & ~has))
    assert r.count == missing and r.total == int(due.sum())
    assert r.value == pytest.approx(missing / due.sum())
    assert r.status is Status.fail  # about 30% missing, above the 20% fail level
    assert r.details["delay_days"] == 10 and r.details["delay_source"] == "labels.delay"
    assert r.details["coverage"] == pytest.approx(has.mean())
    by_age = {b["age_days"]: b for b in r.details["by_age"]}
    inside = (age >= 7) & (age < 30)
    assert by_age["7-30"]["rows"] == int(inside.sum())
    assert by_age["7-30"]["coverage"] == pytest.approx(has[inside].mean())
    assert f"{missing:,} of {int(due.sum()):,} production rows older than 10.0 days (labels.delay)" in r.message


def test_coverage_tz_aware_event_time_and_clock(write_contract: Callable[..., Path]) -> None:
    ref, cur, age, has = coverage_frames()
    cur = cur.with_columns(pl.col("ts").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Tokyo"))
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n", extra="labels: {delay: 10d}\n")
    as_of = AS_OF.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    r = only_result(run(write_contract, text, ref, cur, COVERAGE, as_of=as_of), COVERAGE)
    assert r.count == int(np.sum((age > 10) & ~has)) and r.total == int(np.sum(age > 10))


def test_coverage_passes_when_old_rows_are_labelled(write_contract: Callable[..., Path]) -> None:
    ref, cur, age, _ = coverage_frames()
    cur = cur.with_columns(pl.when(pl.lit(pl.Series(age > 10))).then(pl.lit(1)).otherwise(pl.col("y")).alias("y"))
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n", extra="labels: {delay: 10d}\n")
    r = only_result(run(write_contract, text, ref, cur, COVERAGE, as_of=AS_OF), COVERAGE)
    assert r.status is Status.passed and r.count == 0 and r.value == 0.0


def test_coverage_from_outcomes(write_contract: Callable[..., Path]) -> None:
    ref, cur, age, has = coverage_frames()
    outcomes = cur.filter(pl.col("y").is_not_null()).select("id", "y")
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n", extra="labels: {delay: 10d}\n")
    res = mlaudit.audit(write_contract(text), ref, cur.drop("y"), outcomes, only=[COVERAGE], as_of=AS_OF)
    r = only_result(res, COVERAGE)
    assert r.count == int(np.sum((age > 10) & ~has)) and r.total == int(np.sum(age > 10))


def test_coverage_uses_observed_delays_from_label_time(write_contract: Callable[..., Path]) -> None:
    ref, cur, age, has = coverage_frames()
    rng = np.random.default_rng(5)
    delay = rng.uniform(1, 5, len(age))
    label_time = [t + dt.timedelta(days=float(d)) if h else None
                  for t, d, h in zip(cur["ts"].to_list(), delay, has, strict=True)]
    cur = cur.with_columns(pl.Series("lt", label_time, dtype=pl.Datetime("us")))
    cols = "{id: id, label: y, event_time: ts, label_time: lt}"
    text = contract(columns=cols, features="  x: {type: int}\n")
    r = only_result(run(write_contract, text, ref, cur, COVERAGE, as_of=AS_OF), COVERAGE)
    observed = cur["lt"].cast(pl.Datetime("us")) - cur["ts"]
    p95 = float((observed.dt.total_seconds() / 86400).quantile(0.95))
    due = age > p95
    assert r.details["delay_source"] == "observed 95th percentile"
    assert r.details["delay_p95_days"] == pytest.approx(p95)
    assert r.details["delay_median_days"] == pytest.approx(float(np.median(delay[has])), rel=1e-6)
    assert r.count == int(np.sum(due & ~has)) and r.total == int(due.sum())


def test_coverage_without_delay_or_label_time_is_skipped(write_contract: Callable[..., Path]) -> None:
    ref, cur, _, has = coverage_frames()
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n")
    r = only_result(run(write_contract, text, ref, cur, COVERAGE, as_of=AS_OF), COVERAGE)
    assert r.status is Status.skipped, r.message
    assert "labels.delay" in r.message and "columns.label_time" in r.message
    assert r.count == int(has.sum()) and r.total == len(has)


def test_coverage_without_production_labels_is_skipped(write_contract: Callable[..., Path]) -> None:
    ref, cur, _, _ = coverage_frames()
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n", extra="labels: {delay: 10d}\n")
    r = only_result(run(write_contract, text, ref, cur.drop("y"), COVERAGE, as_of=AS_OF), COVERAGE)
    assert r.status is Status.skipped and "--outcomes" in r.message


def test_coverage_when_no_row_is_old_enough_is_skipped(write_contract: Callable[..., Path]) -> None:
    ref, cur, _, _ = coverage_frames()
    text = contract(columns=COV_COLUMNS, features="  x: {type: int}\n", extra="labels: {delay: 60d}\n")
    r = only_result(run(write_contract, text, ref, cur, COVERAGE, as_of=AS_OF), COVERAGE)
    assert r.status is Status.skipped and "no production row is older than the outcome delay" in r.message


# --------------------------------------------------------------------------- labels.agreement


def annotators(n: int, agree: float, raters: int, seed: int, cats: tuple[str, ...] = ("a", "b", "c")
               ) -> np.ndarray:
    """ratings[item, rater]: each rater copies the item's true class with probability `agree`, else guesses."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(cats, n)
    out = np.empty((n, raters), dtype=object)
    for j in range(raters):
        guess = rng.choice(cats, n)
        out[:, j] = np.where(rng.random(n) < agree, truth, guess)
    return out


def agreement_frame(ratings: np.ndarray) -> pl.DataFrame:
    cols = {f"s{j}": list(ratings[:, j]) for j in range(ratings.shape[1])}
    return pl.DataFrame({"x": np.arange(len(ratings)), **cols})


def agreement_contract(raters: int) -> str:
    names = ", ".join(f"s{j}" for j in range(raters))
    return contract(columns="{}", features="  x: {type: int}\n", extra=f"labels: {{sources: [{names}]}}\n")


@pytest.mark.parametrize(("agree", "status"), [(0.95, Status.passed), (0.2, Status.fail)])
def test_agreement_two_sources_cohen_kappa(write_contract: Callable[..., Path], agree: float,
                                          status: Status) -> None:
    ratings = annotators(400, agree, 2, seed=6)
    ref = agreement_frame(ratings)
    r = only_result(run(write_contract, agreement_contract(2), ref, ref.select("x"), AGREEMENT), AGREEMENT)
    kappa = cohen(ratings[:, 0].astype(str), ratings[:, 1].astype(str))
    assert r.status is status, r.message
    assert r.details["kappa"] == pytest.approx(kappa, abs=1e-12)
    assert r.value == pytest.approx(1 - kappa, abs=1e-12)
    assert r.details["statistic_name"] == "Cohen's kappa" and r.total == 400
    assert r.details["full_agreement"] == pytest.approx(np.mean(ratings[:, 0] == ratings[:, 1]))
    assert f"Cohen's kappa {kappa:.3f} between s0, s1 over 400 rows" in r.message
    assert (kappa < 0.4) == (status is Status.fail)


def test_agreement_kappa_between_levels_warns(write_contract: Callable[..., Path]) -> None:
    a = np.array(["0", "1"] * 100)
    b = a.copy()
    b[:50] = np.where(b[:50] == "0", "1", "0")  # 25% disagreement on balanced classes: kappa 0.5
    ref = pl.DataFrame({"x": np.arange(200), "s0": a, "s1": b})
    r = only_result(run(write_contract, agreement_contract(2), ref, ref.select("x"), AGREEMENT), AGREEMENT)
    assert cohen(a, b) == pytest.approx(0.5)
    assert r.status is Status.warn and r.details["kappa"] == pytest.approx(0.5)


@pytest.mark.parametrize(("agree", "status"), [(0.95, Status.passed), (0.2, Status.fail)])
def test_agreement_three_sources_fleiss_kappa(write_contract: Callable[..., Path], agree: float,
                                             status: Status) -> None:
    ratings = annotators(300, agree, 3, seed=7)
    ref = agreement_frame(ratings)
    # a few items some source did not rate: left out of kappa
    ref = ref.with_columns(pl.when(pl.col("x") < 4).then(None).otherwise(pl.col("s2")).alias("s2"))
    r = only_result(run(write_contract, agreement_contract(3), ref, ref.select("x"), AGREEMENT), AGREEMENT)
    kappa = fleiss(ratings[4:].astype(str))
    assert r.status is status, r.message
    assert r.details["statistic_name"] == "Fleiss' kappa" and r.total == 296
    assert r.details["kappa"] == pytest.approx(kappa, abs=1e-12)
    assert r.value == pytest.approx(1 - kappa, abs=1e-12)
    assert "Fleiss' kappa" in r.message and "4 rows lack a source" in r.message


def test_agreement_needs_two_sources(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": np.arange(100), "s0": ["a", "b"] * 50})
    r = only_result(run(write_contract, agreement_contract(1), ref, ref.select("x"), AGREEMENT), AGREEMENT)
    assert r.status is Status.skipped and "fewer than two" in r.message
    none = contract(columns="{}", features="  x: {type: int}\n")
    r = only_result(run(write_contract, none, ref, ref.select("x"), AGREEMENT), AGREEMENT)
    assert r.status is Status.skipped and "labels.sources" in r.message


def test_agreement_message_with_only_a_fail_level(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": np.arange(100), "s0": [0, 1] * 50, "s1": [0, 1] * 45 + [1, 0] * 5})
    text = agreement_contract(2) + "thresholds: {labels.agreement: {fail: 0.3}}\n"  # warn 0.4 >= fail: dropped
    r = only_result(run(write_contract, text, ref, ref.select("x"), AGREEMENT), AGREEMENT)
    assert "Cohen's kappa 0.800 between s0, s1 over 100 rows" in r.message, repr(r.message)


def test_agreement_int_and_float_sources_with_the_same_labels(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": np.arange(100), "s0": [0, 1] * 50, "s1": [0.0, 1.0] * 50})
    r = only_result(run(write_contract, agreement_contract(2), ref, ref.select("x"), AGREEMENT), AGREEMENT)
    assert r.status is Status.passed and r.details["kappa"] == pytest.approx(1.0), r.message


# --------------------------------------------------------------------------- labels.suspected_errors

SUS_COLUMNS = "{id: id, label: y, score: p}"
N_SCORED = 20_000


def scored(seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A calibrated score: p uniform on [0, 1], the label drawn as Bernoulli(p)."""
    rng = np.random.default_rng(seed)
    p = rng.random(N_SCORED)
    y = (rng.random(N_SCORED) < p).astype(np.int64)
    return p, y


def scored_frame(p: np.ndarray, y: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({"id": [f"r{i}" for i in range(len(p))], "x": np.arange(len(p)), "p": p, "y": y})


def suspected(write_contract: Callable[..., Path], ref: pl.DataFrame, task: str = "binary_classification"
              ) -> CheckResult:
    text = contract(task=task, columns=SUS_COLUMNS, features="  x: {type: int}\n")
    return only_result(run(write_contract, text, ref, ref.drop("y"), SUSPECTED), SUSPECTED)


def confident_errors(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Independent: confident rows (max(p, 1-p) >= 0.9), the wrong ones among them, and the errors
    calibration expects there (sum of 1 - confidence)."""
    conf = np.maximum(p, 1 - p)
    confident = conf >= 0.9
    wrong = confident & ((p >= 0.5) != (y == 1))
    return confident, wrong, float((1 - conf[confident]).sum())


def ece_between(p: np.ndarray, y: np.ndarray) -> float:
    """Row-weighted expected calibration error over score bins of width 0.1, non-confident rows only."""
    middle = np.maximum(p, 1 - p) < 0.9
    bins = np.floor(p[middle] * 10)
    gaps = np.zeros(middle.sum())
    for b in np.unique(bins):
        at = bins == b
        gaps[at] = abs(p[middle][at].mean() - y[middle][at].mean())
    return float(gaps.mean())


def test_suspected_calibrated_score_passes(write_contract: Callable[..., Path]) -> None:
    p, y = scored()
    r = suspected(write_contract, scored_frame(p, y))
    confident, wrong, expected = confident_errors(p, y)
    assert r.status is Status.passed, r.message
    assert r.count == int(wrong.sum()) and r.total == int(confident.sum())
    assert r.details["expected"] == pytest.approx(expected)
    assert r.details["calibration_error"] == pytest.approx(ece_between(p, y))
    assert r.details["scored_rows"] == N_SCORED
    assert r.details["p_value"] == pytest.approx(stats.poisson.sf(int(wrong.sum()) - 1, expected))
    assert r.details["p_value"] > 0.01
    assert r.value == pytest.approx((wrong.sum() - expected) / confident.sum())


def test_suspected_flipped_confident_labels(write_contract: Callable[..., Path]) -> None:
    p, y = scored()
    confident, _, _ = confident_errors(p, y)
    rng = np.random.default_rng(9)
    idx = np.flatnonzero(confident)
    flip = rng.choice(idx, size=int(0.05 * len(idx)), replace=False)
    y2 = y.copy()
    y2[flip] = 1 - y2[flip]
    ref = scored_frame(p, y2)
    r = suspected(write_contract, ref)
    confident, wrong, expected = confident_errors(p, y2)
    excess = (wrong.sum() - expected) / confident.sum()
    assert r.status in (Status.warn, Status.fail), r.message
    assert r.status is (Status.fail if excess > 0.02 else Status.warn)
    assert r.count == int(wrong.sum()) and r.total == int(confident.sum())
    assert r.value == pytest.approx(excess)
    assert r.details["p_value"] < 0.01
    assert r.examples == tuple(f"r{i}" for i in np.flatnonzero(wrong)[:5])
    assert "possible label errors" in r.message
    assert f"{int(wrong.sum()):,} of {int(confident.sum()):,} confident predictions disagree" in r.message


def test_suspected_uncalibrated_score_is_skipped(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(10)
    p = rng.random(N_SCORED)
    y = rng.integers(0, 2, N_SCORED)  # unrelated to the score
    r = suspected(write_contract, scored_frame(p, y))
    assert r.status is Status.skipped, r.message
    assert "not calibrated" in r.message and "expected calibration error" in r.message
    assert r.details["calibration_error"] == pytest.approx(ece_between(p, y))
    assert r.details["calibration_error"] > 0.1


def test_suspected_non_binary_task_is_skipped(write_contract: Callable[..., Path]) -> None:
    p, y = scored()
    r = suspected(write_contract, scored_frame(p, y), task="regression")
    assert r.status is Status.skipped and "binary models only" in r.message


def test_suspected_needs_100_confident_rows(write_contract: Callable[..., Path]) -> None:
    p, y = scored()
    keep = (np.maximum(p, 1 - p) < 0.9) | (np.arange(N_SCORED) < 300)
    assert int((np.maximum(p, 1 - p)[keep] >= 0.9).sum()) < 100
    r = suspected(write_contract, scored_frame(p[keep], y[keep]))
    assert r.status is Status.skipped and "fewer than 100" in r.message


def test_suspected_text_label_needs_positive_class(write_contract: Callable[..., Path]) -> None:
    p, y = scored()
    ref = scored_frame(p, y).with_columns(pl.when(pl.col("y") == 1).then(pl.lit("bad")).otherwise(pl.lit("good"))
                                          .alias("y"))
    r = suspected(write_contract, ref)
    assert r.status is Status.skipped and "model.positive_class" in r.message
    text = contract(columns=SUS_COLUMNS, features="  x: {type: int}\n", model_extra=", positive_class: bad")
    r = only_result(run(write_contract, text, ref, ref.drop("y"), SUSPECTED), SUSPECTED)
    assert r.status is Status.passed, r.message
