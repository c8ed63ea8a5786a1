"""Training-serving skew checks: each cause found on small frames, each clean case quiet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import mlaudit
from mlaudit.results import AuditResult, CheckResult, Status
from tests.conftest import SAMPLE

HEAD = "version: 1\nmodel: {name: m, task: regression}\nfeatures:\n"


def _run(write_contract: Callable[..., Path], features: str, ref: pl.DataFrame, cur: pl.DataFrame,
         check: str) -> AuditResult:
    return mlaudit.audit(write_contract(HEAD + features), ref, cur, only=[check])


def _one(res: AuditResult, column: str) -> CheckResult:
    found = [r for r in res.results if r.column == column]
    assert len(found) == 1, res.results
    return found[0]


RNG = np.random.default_rng(0)
AMOUNTS = np.round(RNG.lognormal(7, 0.8, 2_000), 2)


@pytest.mark.parametrize(("ref", "cur", "needle"), [
    (pl.Series("x", [1.5, 2.5]), pl.Series("x", ["1.5", "2.5"]), "numbers are sent as text"),
    (pl.Series("x", [1, 2]), pl.Series("x", [1.0, 2.0]), "integers in training"),
    (pl.Series("x", [1.0, 2.0], dtype=pl.Float64), pl.Series("x", [1.0, 2.0], dtype=pl.Float32), "precision"),
    (pl.Series("x", [dt.datetime(2026, 1, 1)]).dt.replace_time_zone("UTC"),
     pl.Series("x", [dt.datetime(2026, 1, 1)]), "time zone UTC in training, none in serving"),
])
def test_type_skew_names_the_cause(write_contract: Callable[..., Path], ref: pl.Series, cur: pl.Series,
                                   needle: str) -> None:
    ftype = "datetime" if ref.dtype == pl.Datetime("us", "UTC") else "float"
    res = mlaudit.audit(write_contract(f"{HEAD}  x: {{type: {ftype}}}\n"), pl.DataFrame([ref]), pl.DataFrame([cur]),
                        only=["skew.type"])
    r = _one(res, "x")
    assert r.status is Status.fail and needle in r.message, r.message


def test_same_type_is_no_skew(write_contract: Callable[..., Path]) -> None:
    frame = pl.DataFrame({"x": [1.0, 2.0]})
    r = _one(_run(write_contract, "  x: {type: float}\n", frame, frame, "skew.type"), "x")
    assert r.status is Status.passed


@pytest.mark.parametrize(("factor", "shown"), [(100.0, "100x"), (1 / 60, "1/60x"), (1000.0, "1000x")])
def test_unit_change_found_with_its_factor(write_contract: Callable[..., Path], factor: float, shown: str) -> None:
    ref = pl.DataFrame({"x": AMOUNTS})
    cur = pl.DataFrame({"x": RNG.permutation(AMOUNTS) * factor})
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.unit_change"), "x")
    assert r.status is Status.fail and f"serving values are {shown} training values" in r.message, r.message
    assert r.details["factor"] == pytest.approx(factor)
    assert "unit change?" in r.message


def test_unit_change_in_part_of_the_rows(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": AMOUNTS})
    mixed = np.concatenate([AMOUNTS[:700], AMOUNTS[700:] * 100])
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, pl.DataFrame({"x": mixed}), "skew.unit_change"), "x")
    assert r.status in (Status.warn, Status.fail) and "for about" in r.message
    assert r.details["factor"] == 100


def test_same_units_are_no_skew(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": AMOUNTS[:1000]})
    cur = pl.DataFrame({"x": AMOUNTS[1000:] * 1.3})  # a real shift, not a unit change
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.unit_change"), "x")
    assert r.status is Status.passed and r.value < 0.2


def test_default_value_replacing_nulls(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": [None] * 40 + list(range(60))})
    cur = pl.DataFrame({"x": [-1] * 40 + list(range(60))})
    r = _one(_run(write_contract, "  x: {type: int}\n", ref, cur, "skew.default_value"), "x")
    assert r.status is Status.fail and r.value == pytest.approx(0.4)
    assert "'-1' is 40.0% of serving rows" in r.message and "where training had nulls" in r.message


def test_declared_sentinel_counts_as_a_default(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": ["a", "b"] * 50})
    cur = pl.DataFrame({"x": ["a", "b"] * 40 + ["ZZ"] * 20})
    r = _one(_run(write_contract, "  x: {type: category, sentinel: ZZ}\n", ref, cur, "skew.default_value"), "x")
    assert r.status is Status.fail and "'ZZ'" in r.message


def test_common_values_that_stay_common_are_no_skew(write_contract: Callable[..., Path]) -> None:
    frame = pl.DataFrame({"x": [0] * 30 + list(range(1, 71))})
    r = _one(_run(write_contract, "  x: {type: int}\n", frame, frame, "skew.default_value"), "x")
    assert r.status is Status.passed


def test_category_spelling(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"state": ["NY", "CA", "TX"] * 20})
    cur = pl.DataFrame({"state": ["NY", "ny ", "CA", "C.A.", "TX", "TX"] * 10})
    r = _one(_run(write_contract, "  state: {type: category}\n", ref, cur, "skew.category_spelling"), "state")
    assert r.status is Status.fail and r.count == 20 and r.value == pytest.approx(20 / 60)
    assert "'ny ' for 'NY'" in r.message or "'C.A.' for 'CA'" in r.message


def test_new_categories_that_are_not_respellings_are_no_spelling_skew(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"state": ["NY", "CA"] * 20})
    cur = pl.DataFrame({"state": ["NY", "WA"] * 20})
    r = _one(_run(write_contract, "  state: {type: category}\n", ref, cur, "skew.category_spelling"), "state")
    assert r.status is Status.passed and r.count == 0


def test_rounding(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": RNG.normal(50, 10, 500)})
    cur = pl.DataFrame({"x": np.round(RNG.normal(50, 10, 500))})
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.rounding"), "x")
    assert r.status is Status.fail and "rounded or truncated" in r.message


def test_unrounded_values_are_no_rounding_skew(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": RNG.normal(50, 10, 500)})
    cur = pl.DataFrame({"x": RNG.normal(50, 10, 500)})
    assert _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.rounding"), "x").status is Status.passed


def test_sample_planted_unit_change_and_default_are_reported_as_skew() -> None:
    res = mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                        only=["skew"])
    found = {(r.check, r.column): r for r in res.results}
    unit = found[("skew.unit_change", "avg_balance_30d")]
    assert unit.status is Status.fail and "100x" in unit.message
    default = found[("skew.default_value", "months_since_last_default")]
    assert default.status is Status.fail and "where training had nulls" in default.message
    assert found[("skew.rounding", "avg_balance_30d")].status is Status.passed  # explained by the unit change
    flagged = {k for k, r in found.items() if r.status in (Status.warn, Status.fail)}
    assert flagged == {("skew.unit_change", "avg_balance_30d"),
                       ("skew.default_value", "months_since_last_default")}


# --- row-level skew (--offline) -------------------------------------------------------------------

ROW_HEAD = "version: 1\nmodel: {name: m, task: regression}\ncolumns: {entity: cid}\nfeatures:\n" \
           "  x: {type: float, tolerance: {abs: 0.01}}\n  c: {type: category}\n"


def _pair_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    serving = pl.DataFrame({"cid": [1, 2, 3, 4, 5, 6], "x": [1.0, 2.0, 3.0, 4.0, 5.0, None],
                            "c": ["a", "b", "a", "b", "a", "b"]})
    offline = pl.DataFrame({"cid": [1, 2, 3, 4, 5, 7, 7], "x": [1.0, 2.005, 30.0, 4.0, 5.0, 9.0, 9.5],
                            "c": ["a", "b", "a", "B", "a", "a", "a"]})
    return serving, offline


def test_row_level_skew_reports_matching_and_mismatching_values(write_contract: Callable[..., Path]) -> None:
    serving, offline = _pair_frames()
    res = mlaudit.audit(write_contract(ROW_HEAD), serving, serving, offline=offline,
                        only=["skew.row_match", "skew.row_mismatch"])
    found = {(r.check, r.column): r for r in res.results}
    match = found[("skew.row_match", None)]
    assert match.details["matched"] == 5 and match.details["only_serving"] == 1
    assert match.details["only_offline"] == 1 and match.details["duplicate_offline"] == 1  # one extra copy
    assert match.status is Status.fail and match.value == pytest.approx(2 / 7)
    x = found[("skew.row_mismatch", "x")]
    assert (x.count, x.total) == (1, 5) and x.status is Status.fail  # 2.005 is within the 0.01 tolerance
    assert x.details["largest"] == pytest.approx(27.0) and "3: serving 3.0, offline 30.0" in x.message
    c = found[("skew.row_mismatch", "c")]
    assert (c.count, c.total) == (1, 5) and c.examples == (4,)


def test_row_level_skew_passes_on_identical_values(write_contract: Callable[..., Path]) -> None:
    serving, _ = _pair_frames()
    res = mlaudit.audit(write_contract(ROW_HEAD), serving, serving, offline=serving,
                        only=["skew.row_match", "skew.row_mismatch"])
    assert all(r.status is Status.passed for r in res.results), [r.message for r in res.results]


def test_offline_without_a_key_is_a_usage_error(write_contract: Callable[..., Path]) -> None:
    from mlaudit.errors import UsageError

    serving, offline = _pair_frames()
    with pytest.raises(UsageError, match=r"skew\.key"):
        mlaudit.audit(write_contract(HEAD + "  x: {type: float}\n"), serving, serving, offline=offline)


def test_offline_key_of_another_type_is_a_data_error(write_contract: Callable[..., Path]) -> None:
    from mlaudit.errors import DataError

    serving, offline = _pair_frames()
    with pytest.raises(DataError, match="same type"):
        mlaudit.audit(write_contract(ROW_HEAD), serving, serving,
                      offline=offline.with_columns(pl.col("cid").cast(pl.String)))


# --- window and transform ------------------------------------------------------------------------


def test_window_mismatch_names_the_likely_window(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"spend": AMOUNTS})
    cur = pl.DataFrame({"spend": RNG.permutation(AMOUNTS) * 7 / 30})
    r = _one(_run(write_contract, "  spend: {type: float, window: 30d}\n", ref, cur, "skew.window"), "spend")
    assert r.status is Status.fail and "a 7d window" in r.message and "declared 30d" in r.message


def test_window_that_holds_is_no_skew(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"spend": AMOUNTS[:1000]})
    cur = pl.DataFrame({"spend": AMOUNTS[1000:]})
    r = _one(_run(write_contract, "  spend: {type: float, window: 30d}\n", ref, cur, "skew.window"), "spend")
    assert r.status is Status.passed


@pytest.mark.parametrize(("transform", "ref_values", "cur_values", "flagged"), [
    ("log", np.log(AMOUNTS), AMOUNTS, True),
    ("log", np.log(AMOUNTS[:1000]), np.log(AMOUNTS[1000:]), False),
    ("standardized", RNG.normal(0, 1, 500), RNG.normal(50, 10, 500), True),
    ("standardized", RNG.normal(0, 1, 500), RNG.normal(0.1, 1.1, 500), False),
    ("onehot", RNG.integers(0, 2, 500).astype(float), RNG.integers(0, 3, 500).astype(float), True),
    ("minmax", RNG.uniform(0, 1, 500), RNG.uniform(0, 1, 500), False),
])
def test_transform_skew(write_contract: Callable[..., Path], transform: str, ref_values: np.ndarray,
                        cur_values: np.ndarray, flagged: bool) -> None:
    res = _run(write_contract, f"  x: {{type: float, transform: {transform}}}\n", pl.DataFrame({"x": ref_values}),
               pl.DataFrame({"x": cur_values}), "skew.transform")
    r = _one(res, "x")
    assert (r.status is Status.fail) is flagged, r.message


def test_row_level_skew_pairs_nearest_in_time(write_contract: Callable[..., Path]) -> None:
    t0 = dt.datetime(2026, 10, 1, 12)
    hours = [dt.timedelta(hours=h) for h in range(4)]
    serving = pl.DataFrame({"cid": [1, 1, 2, 2], "at": [t0 + h for h in hours], "x": [1.0, 2.0, 3.0, 4.0]})
    offline = pl.DataFrame({"cid": [1, 1, 2, 2, 3],
                            "at": [t0 + dt.timedelta(minutes=10), t0 + hours[1] - dt.timedelta(minutes=5),
                                   t0 + hours[2] + dt.timedelta(minutes=20), t0 + hours[3] + dt.timedelta(hours=5),
                                   t0],
                            "x": [1.0, 2.5, 3.0, 4.0, 9.0]})
    contract = ("version: 1\nmodel: {name: m, task: regression}\ncolumns: {entity: cid}\n"
                "skew: {time: at, time_tolerance: 1h}\nfeatures:\n  x: {type: float}\n")
    res = mlaudit.audit(write_contract(contract), serving, serving, offline=offline,
                        only=["skew.row_match", "skew.row_mismatch"])
    found = {(r.check, r.column): r for r in res.results}
    match = found[("skew.row_match", None)]
    # 15:00 for cid 2 pairs with 14:20 (40 minutes, within the hour); the 20:00 history row is not needed,
    # and cid 3 is the one entity with no serving row
    assert (match.details["matched"], match.details["only_serving"], match.details["only_offline"]) == (4, 0, 1)
    x = found[("skew.row_mismatch", "x")]
    assert (x.count, x.total) == (2, 4) and x.details["largest"] == pytest.approx(1.0)


@pytest.mark.parametrize("offline_time", [
    pl.Series("at", [dt.datetime(2026, 10, 1, 14)] * 2).dt.replace_time_zone("Europe/Paris"),  # same instant
    pl.Series("at", [dt.date(2026, 10, 1)] * 2),
])
def test_time_pairing_aligns_time_types(write_contract: Callable[..., Path], offline_time: pl.Series) -> None:
    serving = pl.DataFrame({"cid": [1, 2], "at": [dt.datetime(2026, 10, 1, 12)] * 2, "x": [1.0, 2.0]})
    offline = pl.DataFrame({"cid": [1, 2], "x": [1.0, 2.0]}).with_columns(offline_time)
    contract = ("version: 1\nmodel: {name: m, task: regression}\ncolumns: {entity: cid}\n"
                "skew: {time: at, time_tolerance: 1d}\nfeatures:\n  x: {type: float}\n")
    res = mlaudit.audit(write_contract(contract), serving, serving, offline=offline, only=["skew.row_match"])
    assert res.results[0].details["matched"] == 2


@pytest.mark.parametrize(("skew", "error"), [
    ("{time: at, time_tolerance: 1h}", "must be a date or timestamp"),
    ("{key: [cid, at], time: at}", "also in skew.key"),
])
def test_bad_time_pairing_is_a_clear_error(write_contract: Callable[..., Path], skew: str, error: str) -> None:
    from mlaudit.errors import MlauditError

    frame = pl.DataFrame({"cid": [1], "at": ["2026-10-01"], "x": [1.0]})
    contract = ("version: 1\nmodel: {name: m, task: regression}\ncolumns: {entity: cid}\n"
                f"skew: {skew}\nfeatures:\n  x: {{type: float}}\n")
    with pytest.raises(MlauditError, match=error):
        mlaudit.audit(write_contract(contract), frame, frame, offline=frame)


def test_equal_infinities_match_and_missing_features_are_reported(write_contract: Callable[..., Path]) -> None:
    serving = pl.DataFrame({"cid": [1, 2], "x": [float("inf"), float("-inf")], "y": [1.0, 2.0]})
    offline = pl.DataFrame({"cid": [1, 2], "x": [float("inf"), float("-inf")]})
    contract = ("version: 1\nmodel: {name: m, task: regression}\ncolumns: {entity: cid}\n"
                "features:\n  x: {type: float}\n  y: {type: float}\n")
    res = mlaudit.audit(write_contract(contract), serving, serving, offline=offline, only=["skew.row_mismatch"])
    found = {r.column: r for r in res.results}
    assert found["x"].status is Status.passed and found["x"].count == 0
    assert found["y"].status is Status.skipped and "not in both" in found["y"].message


# --- regressions found in review ------------------------------------------------------------------


def test_default_outside_the_most_common_values_is_judged(write_contract: Callable[..., Path]) -> None:
    cats = [f"k{i}" for i in range(8)]
    ref = pl.DataFrame({"x": list(np.resize(cats, 970)) + [None] * 30})
    cur = pl.DataFrame({"x": list(np.resize(cats, 970)) + ["-1"] * 30})
    r = _one(_run(write_contract, "  x: {type: category}\n", ref, cur, "skew.default_value"), "x")
    assert r.status is Status.warn and "where training had nulls" in r.message


def test_a_common_value_moving_by_chance_is_no_default_skew(write_contract: Callable[..., Path]) -> None:
    alarms = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        ref = pl.DataFrame({"x": np.where(rng.random(500) < 0.5, 0, rng.integers(1, 9, 500))})
        cur = pl.DataFrame({"x": np.where(rng.random(500) < 0.5, 0, rng.integers(1, 9, 500))})
        r = _one(_run(write_contract, "  x: {type: int}\n", ref, cur, "skew.default_value"), "x")
        alarms += r.status is not Status.passed
    assert alarms == 0


def test_partial_unit_change_on_a_narrow_distribution(write_contract: Callable[..., Path]) -> None:
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"x": rng.lognormal(3, 0.5, 2_000)})
    values = rng.lognormal(3, 0.5, 2_000)
    values[:600] *= 100
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, pl.DataFrame({"x": values}), "skew.unit_change"), "x")
    assert r.status in (Status.warn, Status.fail) and r.details["factor"] == 100


def test_unit_factor_is_the_nearest_candidate(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": AMOUNTS})
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, pl.DataFrame({"x": AMOUNTS * 1000}),
                  "skew.unit_change"), "x")
    assert r.details["factor"] == 1000


def test_float32_noise_is_not_rounding(write_contract: Callable[..., Path]) -> None:
    cents = np.round(RNG.uniform(1, 500, 1_000), 2)
    ref = pl.DataFrame({"x": pl.Series(cents, dtype=pl.Float32)})
    cur = pl.DataFrame({"x": pl.Series(RNG.permutation(cents), dtype=pl.Float64)})
    assert _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.rounding"), "x").status is Status.passed


def test_window_change_is_not_also_called_a_unit_change(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"spend": AMOUNTS})
    cur = pl.DataFrame({"spend": RNG.permutation(AMOUNTS) / 30})
    r = _one(_run(write_contract, "  spend: {type: float, window: 30d}\n", ref, cur, "skew.unit_change"), "spend")
    assert r.status is Status.passed and "skew.window" in r.message


def test_text_default_is_matched_after_trimming_and_case(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": [None] * 30 + ["a", "b"] * 35})
    cur = pl.DataFrame({"x": [" Unknown "] * 30 + ["a", "b"] * 35})
    r = _one(_run(write_contract, "  x: {type: category}\n", ref, cur, "skew.default_value"), "x")
    assert r.status is Status.fail and r.value == pytest.approx(0.3)
    assert "'unknown' is 30.0% of serving rows" in r.message and "where training had nulls" in r.message


def test_numeric_default_counted_as_a_number_whatever_its_float_form(write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": [None] * 25 + [float("nan")] * 5 + [float(v) + 0.5 for v in range(70)]})
    cur = pl.DataFrame({"x": [-999.0] * 25 + [float("nan")] * 5 + [float(v) + 0.5 for v in range(70)]})
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.default_value"), "x")
    assert r.status is Status.fail and r.value == pytest.approx(0.25) and "'-999'" in r.message


def test_rounding_that_comes_with_a_unit_change_is_left_to_the_unit_check(
        write_contract: Callable[..., Path]) -> None:
    ref = pl.DataFrame({"x": RNG.lognormal(3, 0.5, 500)})
    cur = pl.DataFrame({"x": np.round(RNG.lognormal(3, 0.5, 500) * 100)})
    r = _one(_run(write_contract, "  x: {type: float}\n", ref, cur, "skew.rounding"), "x")
    assert r.status is Status.passed and r.details["explained_by"] == "unit"
    ratio = float(r.message.split("also about ")[1].split("x larger")[0])
    assert 90 < ratio < 110


@pytest.mark.parametrize("seed", range(4))
def test_unit_change_quantiles_are_polars_nearest_quantiles(seed: int) -> None:
    """The quantiles behind skew.unit_change, read off a numpy sort, equal polars' own 'nearest' quantiles
    (ties, odd and even sizes, missing and infinite values dropped)."""
    from mlaudit.checks.skew import LEVELS, _quantile_summary

    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 40, 41, 999, 1000, 12345):
        x = rng.normal(size=n) if seed % 2 else rng.integers(0, 6, n).astype(float)
        raw = np.r_[x, np.nan, np.inf, -np.inf]
        got = _quantile_summary({"raw": raw, "reference:raw": raw[::-1]})
        want = pl.Series(x).quantile(list(LEVELS), interpolation="nearest")
        assert got["n"] == got["reference:n"] == n
        assert got["q"] == got["reference:q"] == list(want)
