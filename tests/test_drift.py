"""Drift checks: calibrated defaults (no false alarms, real shifts caught), explanations, onset, options."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import mlaudit
from mlaudit.report import json as json_report
from mlaudit.results import AuditResult, CheckResult, Status
from tests.conftest import SAMPLE
from tests.simulate import SHIFTS, clean_pair, concept_pair, correlation_pair, shifted_pair, write_contract

FLAGGED = (Status.warn, Status.fail)
DRIFT = ["drift.feature", "drift.null_share"]


def _one(res: AuditResult, check: str, column: str | None) -> CheckResult:
    found = [r for r in res.results if r.check == check and r.column == column]
    assert len(found) == 1, [(r.check, r.column) for r in res.results]
    return found[0]


@pytest.mark.parametrize(("rows", "seeds"), [(500, 20), (5_000, 20)])
def test_clean_data_raises_no_drift_warning(tmp_path: Path, rows: int, seeds: int) -> None:
    """Two samples of one distribution, 50 features of five kinds with 5% missing: no warning in any seed."""
    alarms = []
    for seed in range(seeds):
        ref, cur, types = clean_pair(seed, rows)
        res = mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=DRIFT)
        alarms += [(seed, r.check, r.column, r.value) for r in res.results if r.status in FLAGGED]
        assert {r.check for r in res.results} == set(DRIFT)
    assert alarms == []


@pytest.mark.slow
def test_clean_data_at_half_a_million_rows_raises_no_drift_warning(tmp_path: Path) -> None:
    ref, cur, types = clean_pair(7, 500_000)
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=DRIFT)
    assert [(r.column, r.value) for r in res.results if r.status in FLAGGED] == []


@pytest.mark.parametrize("seed", range(5))
def test_real_shifts_at_ten_thousand_rows_are_flagged(tmp_path: Path, seed: int) -> None:
    ref, cur, types = shifted_pair(seed)
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=DRIFT)
    for name in SHIFTS:
        check = "drift.null_share" if name.startswith("nulls") else "drift.feature"
        assert _one(res, check, name).status in FLAGGED, _one(res, check, name).message
    assert _one(res, "drift.feature", "stable").status is Status.passed


def test_result_explains_itself(tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(0)
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=DRIFT)
    num = _one(res, "drift.feature", "mean_0.2sd")
    d = num.details
    assert d["method"] == "wasserstein" and d["test"] == "kolmogorov_smirnov"
    assert d["reference_n"] == 10_000 and d["current_n"] == 10_000
    assert d["p_value_adjusted"] < 0.01 and d["p_value_adjusted"] >= d["p_value"]
    assert set(d["statistics"]) == {"wasserstein", "ks", "psi", "jensen_shannon", "hellinger", "linf"}
    assert sum(d["reference_counts"]) == 10_000 and len(d["bins"]) == len(d["reference_counts"])
    assert d["explain"]["current"]["mean"] - d["explain"]["reference"]["mean"] == pytest.approx(0.2, abs=0.05)
    assert "mean" in num.message and "n 10,000 vs 10,000" in num.message
    cat = _one(res, "drift.feature", "new_category_5pct")
    assert cat.details["explain"]["new_categories"] == ["brand_new"]
    assert cat.details["explain"]["new_category_share"] == pytest.approx(0.05, abs=0.01)
    assert "'brand_new'" in cat.message
    nulls = _one(res, "drift.null_share", "nulls_1_to_20pct")
    assert nulls.status is Status.fail and "missing share 1.10% -> 20.22%" in nulls.message
    assert nulls.details["reference_share"] == pytest.approx(0.011) and nulls.value == pytest.approx(0.1912)


def test_effect_without_significance_is_not_drift(tmp_path: Path) -> None:
    """At 30 rows a distance is noisy: a large one that the test cannot confirm is not flagged."""
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"x": rng.normal(0, 1, 30)})
    cur = pl.DataFrame({"x": rng.normal(0.3, 1, 30)})
    path = write_contract(tmp_path / "c.yaml", {"x": "float"}, {"drift": {"min_rows": 10}})
    r = _one(mlaudit.audit(path, ref, cur, only=["drift.feature"]), "drift.feature", "x")
    assert r.value > 0.1 and r.details["p_value_adjusted"] > 0.01
    assert r.status is Status.passed and "no significant drift" in r.message


def test_too_few_rows_is_skipped_with_reason(tmp_path: Path) -> None:
    frame = pl.DataFrame({"x": [1.0, 2.0, 3.0]})
    r = _one(mlaudit.audit(write_contract(tmp_path / "c.yaml", {"x": "float"}), frame, frame,
                           only=["drift.feature"]), "drift.feature", "x")
    assert r.status is Status.skipped and "min_rows" in r.message


def test_method_override_and_misfit(tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(1)
    extra = {"thresholds": {"drift.feature": {"method": "psi"}}}
    path = write_contract(tmp_path / "c.yaml", types, extra)
    res = mlaudit.audit(path, ref, cur, only=["drift.feature"])
    r = _one(res, "drift.feature", "scale_1.5x")
    assert r.details["method"] == "psi" and r.value == r.details["statistics"]["psi"]
    assert (r.threshold, r.warn_threshold) == (0.25, 0.1)
    misfit = "  new_category_5pct:\n    type: category\n    checks: {drift.feature: {method: ks}}"
    text = path.read_text().replace("  new_category_5pct:\n    type: category", misfit)
    path.write_text(text)
    res = mlaudit.audit(path, ref, cur, only=["drift.feature"])
    assert _one(res, "drift.feature", "new_category_5pct").status is Status.error
    assert res.exit_code == 1


@pytest.mark.parametrize("correction", ["bonferroni", "none"])
def test_correction_choice_is_applied(tmp_path: Path, correction: str) -> None:
    ref, cur, types = shifted_pair(2)
    path = write_contract(tmp_path / "c.yaml", types, {"drift": {"correction": correction}})
    res = mlaudit.audit(path, ref, cur, only=DRIFT)
    r = _one(res, "drift.feature", "stable")
    tests = sum(1 for x in res.results if "p_value" in x.details)
    expected = min(1.0, r.details["p_value"] * tests) if correction == "bonferroni" else r.details["p_value"]
    assert r.details["p_value_adjusted"] == pytest.approx(expected, rel=1e-12)


def test_dataset_drift_is_importance_weighted(tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(0)
    path = write_contract(tmp_path / "c.yaml", types)
    text = path.read_text().replace("  stable:\n    type: float", "  stable:\n    type: float\n    importance: 10")
    path.write_text(text)
    res = mlaudit.audit(path, ref, cur, only=["drift"])
    r = _one(res, "drift.dataset", None)
    assert r.count == 5 and r.total == 6
    assert r.value == pytest.approx(5 / 15)
    assert r.status is Status.fail  # default fail above 30%


def _sample_drift(chunk: str | None = "1d") -> AuditResult:
    return mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                         SAMPLE / "outcomes.parquet", only=["drift"], chunk=chunk,
                         as_of=dt.datetime(2026, 10, 31, tzinfo=dt.timezone.utc))


@pytest.fixture(scope="module")
def sample() -> AuditResult:
    return _sample_drift()


@pytest.mark.parametrize(("column", "onset"), [
    ("avg_balance_30d", "2026-10-10"), ("debt_to_income", "2026-10-15"), ("num_recent_inquiries", "2026-10-20"),
])
def test_sample_planted_drift_found_with_its_onset(sample: AuditResult, column: str, onset: str) -> None:
    r = _one(sample, "drift.feature", column)
    assert r.status in FLAGGED
    assert r.details["onset"] == onset and f"began in chunk {onset}" in r.message
    series = r.details["series"]
    assert [p["chunk"] for p in series][:2] == ["2026-10-01", "2026-10-02"] and len(series) == 30
    before = [p for p in series if p["chunk"] < onset]
    assert all(p["status"] == "pass" for p in before)


def test_sample_stable_features_not_flagged(sample: AuditResult) -> None:
    for column in ("income", "loan_amount", "age", "region", "product", "has_guarantor", "credit_score"):
        assert _one(sample, "drift.feature", column).status is Status.passed, column
    assert _one(sample, "drift.null_share", "credit_score").status in FLAGGED  # 1% -> 8% missing


def test_sample_label_prediction_decision_drift_are_judged(sample: AuditResult) -> None:
    for check in ("drift.label", "drift.prediction", "drift.decision"):
        r = [x for x in sample.results if x.check == check]
        assert len(r) == 1 and r[0].status is not Status.skipped, check


def test_chunk_by_rows(tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(0)
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=["drift.feature"], chunk="2500")
    series = _one(res, "drift.feature", "mean_0.2sd").details["series"]
    assert [p["chunk"] for p in series] == ["rows 0-2,499", "rows 2,500-4,999", "rows 5,000-7,499",
                                            "rows 7,500-9,999"]
    assert [p["rows"] for p in series] == [2500] * 4


def test_bad_chunk_is_a_usage_error(tmp_path: Path) -> None:
    from mlaudit.errors import UsageError

    ref, cur, types = shifted_pair(0)
    with pytest.raises(UsageError, match="--chunk"):
        mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=["drift"], chunk="fortnight")


def test_json_carries_series_and_distributions(sample: AuditResult) -> None:
    report = json.loads(json_report.render(sample))
    r = next(x for x in report["results"] if x["check"] == "drift.feature" and x["column"] == "debt_to_income")
    d = r["details"]
    assert len(d["series"]) == 30 and {"chunk", "rows", "value", "status", "null_share"} <= set(d["series"][0])
    assert len(d["bins"]) == len(d["reference_counts"]) == len(d["current_counts"])


def test_multivariate_drift_catches_a_broken_correlation(tmp_path: Path) -> None:
    ref, cur, types = correlation_pair(0)
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur,
                        only=["drift.feature", "drift.multivariate"])
    assert all(r.status is Status.passed for r in res.results if r.check == "drift.feature")
    mv = _one(res, "drift.multivariate", None)
    assert mv.status is Status.fail and mv.details["z"] > 3 and mv.value > 0.25
    assert mv.details["features"] == ["x", "y", "z", "k"]


def test_multivariate_drift_quiet_when_correlation_holds(tmp_path: Path) -> None:
    ref, cur, types = correlation_pair(1, corr_cur=0.9)
    mv = _one(mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=["drift.multivariate"]),
              "drift.multivariate", None)
    assert mv.status is Status.passed and abs(mv.value) < 0.05


@pytest.mark.parametrize("rows", [500, 5_000])
def test_multivariate_drift_no_false_alarm_on_clean_data(tmp_path: Path, rows: int) -> None:
    alarms = []
    for seed in range(10):
        ref, cur, types = clean_pair(seed, rows)
        mv = _one(mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=["drift.multivariate"]),
                  "drift.multivariate", None)
        assert mv.status is not Status.skipped
        alarms += [seed] if mv.status in FLAGGED else []
    assert alarms == []


def test_multivariate_onset_by_chunk(tmp_path: Path) -> None:
    ref, _, types = correlation_pair(2)
    _, broken, _ = correlation_pair(3)
    _, intact, _ = correlation_pair(4, corr_cur=0.9)
    cur = pl.concat([intact.head(5_000), broken.head(5_000)])
    mv = _one(mlaudit.audit(write_contract(tmp_path / "c.yaml", types), ref, cur, only=["drift.multivariate"],
                            chunk="2500"), "drift.multivariate", None)
    assert [p["status"] for p in mv.details["series"]][:2] == ["pass", "pass"]
    assert mv.details["onset"] == "rows 5,000-7,499"


def _concept_contract(tmp_path: Path, types: dict[str, str]) -> Path:
    return write_contract(tmp_path / "c.yaml", types, {"columns": {"label": "y", "score": "score"}})


def test_concept_drift_found_when_the_link_reverses(tmp_path: Path) -> None:
    ref, cur, types = concept_pair(0)
    path = _concept_contract(tmp_path, types)
    path.write_text(path.read_text().replace("task: regression", "task: binary_classification"))
    res = mlaudit.audit(path, ref, cur, only=["drift.feature", "drift.concept", "drift.error_by_bin"])
    assert _one(res, "drift.feature", "x").status is Status.passed  # marginals unchanged
    assert _one(res, "drift.concept", "x").status is Status.fail
    assert _one(res, "drift.concept", "z").status is Status.passed
    err = _one(res, "drift.error_by_bin", "x")
    assert err.status is Status.fail and err.details["bins"][-1] == "missing"
    assert len(err.details["reference_means"]) == len(err.details["bins"])


@pytest.mark.parametrize("seed", range(5))
def test_concept_drift_quiet_when_the_link_holds(tmp_path: Path, seed: int) -> None:
    ref, cur, types = concept_pair(seed, flip=False)
    path = _concept_contract(tmp_path, types)
    path.write_text(path.read_text().replace("task: regression", "task: binary_classification"))
    res = mlaudit.audit(path, ref, cur, only=["drift.concept", "drift.error_by_bin"])
    assert [r for r in res.results if r.status in FLAGGED] == []


def test_concept_drift_skipped_without_outcomes(tmp_path: Path) -> None:
    ref, cur, types = concept_pair(0)
    path = _concept_contract(tmp_path, types)
    res = mlaudit.audit(path, ref, cur.drop("y"), only=["drift.concept"])
    assert res.results[0].status is Status.skipped and "--outcomes" in res.results[0].message


def test_sample_concept_drift_finds_the_vanishing_leak(sample_with_outcomes: AuditResult) -> None:
    assert _one(sample_with_outcomes, "drift.concept", "collections_flag").status is Status.fail
    flagged = {r.column for r in sample_with_outcomes.results if r.check == "drift.concept" and r.status in FLAGGED}
    assert flagged == {"collections_flag"}


@pytest.fixture(scope="module")
def sample_with_outcomes() -> AuditResult:
    return mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                         SAMPLE / "outcomes.parquet", only=["drift.concept", "drift.error_by_bin"])


def test_streaming_engine_gives_the_same_findings(tmp_path: Path) -> None:
    """The streaming path (used above 2M rows) must agree with the in-memory one."""
    ref, cur, types = shifted_pair(3)
    path = write_contract(tmp_path / "c.yaml", types)
    a = mlaudit.audit(path, ref, cur, streaming=False)
    b = mlaudit.audit(path, ref, cur, streaming=True)
    found_a = [(r.check, r.column, r.status, r.value) for r in a.results]
    assert found_a == [(r.check, r.column, r.status, r.value) for r in b.results]


# --- regressions found in review ---------------------------------------------------------------


def _frames(rows: int = 2_000, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    return (pl.DataFrame({"x": rng.normal(0, 1, rows), "z": rng.normal(0, 1, rows)}),
            pl.DataFrame({"x": rng.normal(0, 1, rows), "z": rng.normal(0, 1, rows)}))


def test_zero_importance_everywhere_skips_dataset_drift(tmp_path: Path) -> None:
    ref, cur = _frames()
    path = write_contract(tmp_path / "c.yaml", {"x": "float", "z": "float"})
    path.write_text(path.read_text().replace("type: float", "type: float\n    importance: 0"))
    r = _one(mlaudit.audit(path, ref, cur, only=["drift"]), "drift.dataset", None)
    assert r.status is Status.skipped and "importance 0" in r.message


def test_negative_importance_is_a_contract_error(tmp_path: Path) -> None:
    from mlaudit.errors import ContractError

    path = write_contract(tmp_path / "c.yaml", {"x": "float"})
    path.write_text(path.read_text().replace("type: float", "type: float\n    importance: -1"))
    with pytest.raises(ContractError, match="importance"):
        mlaudit.audit(path, *_frames())


def test_a_column_named_count_is_compared(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    ref = pl.DataFrame({"count": rng.choice(["a", "b"], 500)})
    cur = pl.DataFrame({"count": rng.choice(["a", "b"], 500, p=[0.9, 0.1])})
    r = _one(mlaudit.audit(write_contract(tmp_path / "c.yaml", {"count": "category"}), ref, cur,
                           only=["drift.feature"]), "drift.feature", "count")
    assert r.status is Status.fail


def test_a_burst_of_infinities_is_missing_share_drift(tmp_path: Path) -> None:
    ref, cur = _frames()
    cur = cur.with_columns(pl.when(pl.int_range(pl.len()) % 2 == 0).then(float("inf")).otherwise(pl.col("x"))
                           .alias("x"))
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", {"x": "float", "z": "float"}), ref, cur, only=DRIFT)
    assert _one(res, "drift.null_share", "x").status is Status.fail
    assert _one(res, "drift.feature", "x").status is Status.passed  # the finite half did not move


def test_an_all_null_current_column_is_missing_share_drift(tmp_path: Path) -> None:
    ref, cur = _frames()
    cur = cur.with_columns(pl.lit(None).alias("x"))  # polars Null dtype
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", {"x": "float", "z": "float"}), ref, cur, only=DRIFT)
    assert _one(res, "drift.null_share", "x").status is Status.fail
    assert _one(res, "drift.feature", "x").status is Status.skipped


def test_turning_off_feature_drift_keeps_missing_share_drift(tmp_path: Path) -> None:
    ref, cur = _frames()
    cur = cur.with_columns(pl.when(pl.int_range(pl.len()) % 2 == 0).then(None).otherwise(pl.col("x")).alias("x"))
    path = write_contract(tmp_path / "c.yaml", {"x": "float", "z": "float"},
                          {"thresholds": {"drift.feature": {"enabled": False}}})
    res = mlaudit.audit(path, ref, cur, only=DRIFT)
    assert [r.check for r in res.results if r.check == "drift.feature"] == []
    assert _one(res, "drift.null_share", "x").status is Status.fail


def test_concept_drift_uses_the_positive_class(tmp_path: Path) -> None:
    ref, cur, types = concept_pair(0, flip=False)
    as_pm1 = lambda f: f.with_columns(pl.when(pl.col("y")).then(1).otherwise(-1).alias("y"))  # noqa: E731
    path = _concept_contract(tmp_path, types)
    path.write_text(path.read_text().replace("task: regression", "task: binary_classification\n  positive_class: 1"))
    res = mlaudit.audit(path, as_pm1(ref), as_pm1(cur), only=["drift.concept"])
    r = _one(res, "drift.concept", "x")
    assert r.status is Status.passed
    assert all(m is None or 0 <= m <= 1 for m in r.details["reference_means"])


def test_multivariate_ignores_a_constant_feature(tmp_path: Path) -> None:
    ref, cur, types = correlation_pair(5)
    ref, cur = ref.with_columns(pl.lit(1.0).alias("k2")), cur.with_columns(pl.lit(1.0).alias("k2"))
    res = mlaudit.audit(write_contract(tmp_path / "c.yaml", {**types, "k2": "float"}), ref, cur,
                        only=["drift.multivariate"])
    mv = _one(res, "drift.multivariate", None)
    assert mv.status is Status.fail and "k2" not in mv.details["features"]


def test_chunk_by_time_without_event_time_is_a_usage_error(tmp_path: Path) -> None:
    from mlaudit.errors import UsageError

    with pytest.raises(UsageError, match="event_time"):
        mlaudit.audit(write_contract(tmp_path / "c.yaml", {"x": "float"}), *_frames(), only=["drift"], chunk="1d")


def test_multivariate_z_limit_is_the_student_t_quantile_it_stands_for() -> None:
    """Z_LIMIT is written out (importing the check must not load scipy); it is t's quantile on
    REFERENCE_CHUNKS - 1 degrees of freedom at a normal 3-sigma one-sided tail."""
    from scipy import special

    from mlaudit.checks import multivariate

    expected = special.stdtrit(multivariate.REFERENCE_CHUNKS - 1, 1 - special.ndtr(-3.0))
    assert float(expected) == pytest.approx(multivariate.Z_LIMIT, rel=1e-15)


def test_multivariate_imputation_equals_the_reference_means_of_finite_values() -> None:
    """Missing and infinite values of both matrices become the reference column's mean of its finite values
    (0 for a column without one), written in place column by column; finite values are untouched."""
    from mlaudit.checks import multivariate

    rng = np.random.default_rng(2)
    x_ref = np.asfortranarray(rng.normal(size=(500, 4)))
    x_cur = np.asfortranarray(rng.normal(size=(300, 4)))
    x_ref[rng.random(500) < 0.1, 1] = np.nan
    x_ref[::50, 2] = np.inf
    x_ref[:, 3] = np.nan
    x_cur[::7, 0] = np.nan
    x_cur[::11, 1] = -np.inf
    x_cur[::13, 3] = np.nan
    finite = np.isfinite(x_ref)
    means = np.array([x_ref[finite[:, j], j].mean() if finite[:, j].any() else 0.0 for j in range(4)])
    want_ref = np.where(np.isfinite(x_ref), x_ref, means)
    want_cur = np.where(np.isfinite(x_cur), x_cur, means)
    got_ref, got_cur = multivariate.impute_reference_means(x_ref, x_cur)
    np.testing.assert_allclose(got_ref, want_ref, rtol=1e-15)
    np.testing.assert_allclose(got_cur, want_cur, rtol=1e-15)
    assert got_ref is x_ref and got_cur is x_cur


def test_concept_bins_are_the_reference_quantiles_of_its_known_values() -> None:
    """A feature's concept-drift bins: edges at np.quantile of the reference's non-missing values (NaN left
    out, infinities kept), every missing value in the last bin, and each value in the bin np.searchsorted
    gives it."""
    from mlaudit.checks.concept import feature_bins

    rng = np.random.default_rng(5)
    ref = np.round(rng.normal(size=5000), 2)
    ref[rng.integers(0, ref.size, 400)] = np.nan
    ref[:3] = np.inf
    cur = rng.normal(size=3000)
    cur[::50] = np.nan
    ref_bins, cur_bins, labels = feature_bins("numeric", ref, cur, 10)
    known = ref[~np.isnan(ref)]
    edges = np.unique(np.quantile(known[np.isfinite(known)], np.arange(1, 10) / 10))
    assert len(labels) == edges.size + 2 and labels[-1] == "missing"
    for values, got in ((ref, ref_bins), (cur, cur_bins)):
        want = np.where(np.isnan(values), edges.size + 1, np.searchsorted(edges, values, side="left"))
        assert np.array_equal(got, want)
