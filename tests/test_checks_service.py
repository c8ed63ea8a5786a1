"""Service health end to end: service.latency, service.errors, service.fallback and service.availability.

Production logs are built with numpy from fixed seeds or laid out by hand (an hourly or per-minute log over
two or three weeks, with planted outages and quiet days), so what the checks should find is known by
construction. Reported numbers (percentiles, shares, gaps, daily counts) are held to direct numpy or
datetime computations on the same rows, never taken from mlaudit.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import mlaudit
from mlaudit.results import AuditResult, CheckResult, Status

Audit = Callable[..., AuditResult]
START = dt.datetime(2026, 10, 5)  # a Monday

# Every piece is indented by four spaces, so that concatenations dedent as one YAML document.
BASE = """
    version: 1
    model: {name: scoring, task: binary_classification}
    columns: {id: id, event_time: ts, score: p}
    features:
      x: {type: float}
"""


def service(**keys: Any) -> str:
    """A `service:` section with the given keys (values written as YAML flow text)."""
    lines = "".join(f"      {k}: {v}\n" for k, v in keys.items())
    return "    service:\n" + lines


def log(times: pl.Series | list[dt.datetime], seed: int = 0, **columns: Any) -> pl.DataFrame:
    """A production log at `times`: id, score, one feature, plus `columns`."""
    n = len(times)
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"id": np.arange(n), "ts": times, "p": rng.random(n), "x": rng.normal(size=n)})
    return frame.with_columns(**{k: pl.Series(k, v) for k, v in columns.items()})


def hourly(days: int = 14, start: dt.datetime = START, per_hour: int = 1, tz: str | None = None) -> pl.Series:
    """Evenly spaced event times from `start` over `days` whole days (the last one ends at midnight)."""
    step = f"{60 // per_hour}m"
    end = start + dt.timedelta(days=days) - dt.timedelta(minutes=60 // per_hour)
    return pl.datetime_range(start, end, step, eager=True, time_zone=tz).alias("ts")


def one(res: AuditResult, check: str, column: str | None = None) -> CheckResult:
    found = [r for r in res.results if r.check == check and (column is None or r.column == column)]
    assert len(found) == 1, [(r.check, r.column) for r in res.results]
    return found[0]


def naive(t: dt.datetime) -> str:
    return t.isoformat(sep=" ", timespec="seconds")


# --------------------------------------------------------------------------- latency


def latencies(n: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(3.0, 0.6, n)


def test_latency_percentiles_equal_numpy_linear(run_audit: Audit) -> None:
    lat = latencies(336)
    values: list[float | None] = [float(v) for v in lat]
    values[10], values[20], values[30] = None, float("nan"), None  # neither counted
    valid = np.delete(lat, [10, 20, 30])
    contract = BASE + service(latency="latency_ms", latency_objective="{p50: 1000, p95: 1000, p99: 1000}")
    res = run_audit(contract, log(hourly(), latency_ms=values), only=["service.latency"])
    r = one(res, "service.latency")
    expected = {k: np.percentile(valid, q, method="linear") for k, q in (("p50", 50), ("p95", 95), ("p99", 99))}
    for key, value in expected.items():
        assert r.details["percentiles"][key] == pytest.approx(value, rel=1e-12)
    assert r.count == 333 and r.total == 336 and r.details["missing"] == 3
    assert "3 rows without a latency are not counted" in r.message


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_latency_matches_numpy_at_every_percentile_on_many_rows(run_audit: Audit, q: float) -> None:
    n = 40_000
    lat = latencies(n, seed=int(q * 100))
    times = [START + dt.timedelta(seconds=30 * i) for i in range(n)]
    contract = BASE + service(latency="lat", latency_objective="{p50: 1, p95: 1, p99: 1}")
    r = one(run_audit(contract, log(times, lat=lat), only=["service.latency"]), "service.latency")
    key = f"p{round(q * 100)}"
    assert r.details["percentiles"][key] == pytest.approx(np.percentile(lat, q * 100, method="linear"), rel=1e-12)
    assert r.details["ratios"][key] == pytest.approx(np.percentile(lat, q * 100, method="linear") / 1.0)


def test_latency_fails_above_objective_and_passes_below(run_audit: Audit) -> None:
    lat = latencies(336)
    p50, p95, p99 = (float(np.percentile(lat, q, method="linear")) for q in (50, 95, 99))
    # p95 objective 10% under the real p95: fail with the ratio; p50 and p99 comfortably met
    tight = BASE + service(latency="lat", latency_objective=f"{{p50: {p50 * 2}, p95: {p95 / 1.1}, p99: {p99 * 2}}}")
    r = one(run_audit(tight, log(hourly(), lat=lat), only=["service"]), "service.latency")
    assert r.status is Status.fail
    assert r.value == pytest.approx(1.1)
    assert r.threshold == 1.0 and r.statistic == "worst_latency_over_objective"
    assert r.message.startswith("p95 above objective (p95 1.10x)")
    for key in ("p50", "p95", "p99"):
        assert f"{key} " in r.message and "objective" in r.message
    loose = BASE + service(latency="lat", latency_objective=f"{{p50: {p50 * 1.5}, p95: {p95 * 1.2}}}")
    r = one(run_audit(loose, log(hourly(), lat=lat), only=["service"]), "service.latency")
    assert r.status is Status.passed
    assert r.value == pytest.approx(1 / 1.2)  # the closest objective judged: p95 at 0.83x
    assert "p99" in r.message and "(no objective)" in r.message
    assert set(r.details["ratios"]) == {"p50", "p95"}


def test_latency_without_objective_is_skipped_but_reports_the_percentiles(run_audit: Audit) -> None:
    lat = latencies(336)
    r = one(run_audit(BASE + service(latency="lat"), log(hourly(), lat=lat), only=["service"]), "service.latency")
    assert r.status is Status.skipped
    assert "no service.latency_objective declared" in r.message
    assert all(f"{key} " in r.message for key in ("p50", "p95", "p99")) and "336 predictions" in r.message
    assert r.details["percentiles"]["p50"] == pytest.approx(np.percentile(lat, 50, method="linear"))


def test_latency_as_a_duration_column_is_read_in_milliseconds(run_audit: Audit) -> None:
    ms = np.arange(1, 337, dtype=float)  # 1..336 ms
    durations = pl.Series("lat", [dt.timedelta(milliseconds=float(m)) for m in ms])
    contract = BASE + service(latency="lat", latency_objective="{p99: 300}")
    r = one(run_audit(contract, log(hourly(), lat=durations), only=["service"]), "service.latency")
    assert r.details["percentiles"]["p99"] == pytest.approx(np.percentile(ms, 99, method="linear"))
    assert r.status is Status.fail and "ms (objective 300 ms)" in r.message


def test_latency_skips_without_column_or_setting(run_audit: Audit) -> None:
    r = one(run_audit(BASE + service(error="err"), log(hourly(), err=[False] * 336), only=["service"]),
            "service.latency")
    assert r.status is Status.skipped and r.message == "no service.latency column declared"
    # declared, in the training snapshot only
    contract = BASE + service(latency="lat", latency_objective="{p95: 100}")
    reference = log(hourly(), lat=latencies(336))
    r = one(run_audit(contract, log(hourly()), reference, only=["service"]), "service.latency")
    assert r.status is Status.skipped and "needs the latency column 'lat' in the current snapshot" in r.message
    r = one(run_audit(contract, log(hourly(), lat=["fast"] * 336), only=["service"]), "service.latency")
    assert r.status is Status.skipped and "not a number" in r.message


# --------------------------------------------------------------------------- errors and fallbacks


def test_error_and_fallback_shares_equal_direct_counts(run_audit: Audit) -> None:
    rng = np.random.default_rng(11)
    n = 336
    err = rng.random(n) < 0.03
    err_col: list[bool | None] = [bool(e) for e in err]
    nulls = [5, 50, 150, 250]
    for i in nulls:
        err_col[i] = None
    fb = (rng.random(n) < 0.02).astype(np.int64)
    contract = BASE + service(error="err", fallback="fb", max_error_share=0.05, max_fallback_share=0.01)
    res = run_audit(contract, log(hourly(), err=err_col, fb=fb), only=["service"])
    errors, fallback = one(res, "service.errors"), one(res, "service.fallback")
    expected_errors = int(sum(bool(e) for i, e in enumerate(err) if i not in nulls))
    assert errors.count == expected_errors and errors.total == n
    assert errors.value == pytest.approx(expected_errors / n)
    assert errors.status is Status.passed and errors.threshold == 0.05 and errors.statistic == "error_share"
    assert "4 rows have no value (not counted as errors)" in errors.message
    assert errors.details["missing"] == 4
    ids = [i for i, e in enumerate(err_col) if e][:5]
    assert list(errors.examples) == ids
    assert fallback.count == int(fb.sum()) and fallback.value == pytest.approx(fb.sum() / n)
    assert fallback.status is Status.fail and fallback.threshold == 0.01 and fallback.column == "fb"
    assert f"{int(fb.sum())} of 336 predictions" in fallback.message and "answered by the fallback" in fallback.message


def test_error_share_fails_above_max_error_share_default(run_audit: Audit) -> None:
    err = np.zeros(336, dtype=bool)
    err[:7] = True  # 2.1% > the default 1%
    r = one(run_audit(BASE + service(error="err"), log(hourly(), err=err), only=["service"]), "service.errors")
    assert r.status is Status.fail and r.value == pytest.approx(7 / 336) and r.threshold == 0.01
    assert "7 of 336 predictions (2.08%) failed to be served" in r.message
    err[3:7] = False  # 3 = 0.89%
    r = one(run_audit(BASE + service(error="err"), log(hourly(), err=err), only=["service"]), "service.errors")
    assert r.status is Status.passed


def test_text_flags_and_unreadable_values(run_audit: Audit) -> None:
    values = ["true", "False", " YES ", "0", "maybe", None] * 56
    r = one(run_audit(BASE + service(error="err", max_error_share=0.5), log(hourly(), err=values),
                      only=["service"]), "service.errors")
    assert r.count == 2 * 56 and r.details["missing"] == 56 and r.details["unreadable"] == 56
    assert "56 rows hold neither true nor false" in r.message


def test_severity_can_be_lowered_from_thresholds(run_audit: Audit) -> None:
    contract = BASE + service(fallback="fb") + "    thresholds:\n      service.fallback: {severity: warning}\n"
    r = one(run_audit(contract, log(hourly(), fb=[True] * 336), only=["service"]), "service.fallback")
    assert r.status is Status.warn


def test_without_service_section_every_check_is_skipped(run_audit: Audit) -> None:
    res = run_audit(BASE, log(hourly()), only=["service"])
    assert sorted(r.check for r in res.results) == ["service.availability", "service.errors", "service.fallback",
                                                    "service.latency"]
    for r in res.results:
        assert r.status is Status.skipped and r.message.startswith("no service section in the contract")
        assert "\n" not in r.message


# --------------------------------------------------------------------------- availability


def audit_log(run_audit: Audit, times: pl.Series | list[dt.datetime], extra: str = "",
              **keys: Any) -> tuple[CheckResult, CheckResult]:
    """(gaps, volume) results of service.availability on a log at `times`."""
    res = run_audit(BASE + service(**keys) + extra if keys else BASE + service(max_gap="2h") + extra, log(times),
                    only=["service.availability"])
    return one(res, "service.availability", "gaps"), one(res, "service.availability", "volume")


def test_hourly_log_with_a_five_hour_outage_fails_naming_the_gap(run_audit: Audit) -> None:
    times = hourly(14)
    down_from, back_at = dt.datetime(2026, 10, 9, 10), dt.datetime(2026, 10, 9, 15)  # 10:00-14:00 missing
    times = times.filter((times < down_from) | (times >= back_at))
    gaps, volume = audit_log(run_audit, times)
    last_before = dt.datetime(2026, 10, 9, 9)
    assert gaps.status is Status.fail and gaps.statistic == "longest_gap_hours"
    assert gaps.value == pytest.approx((back_at - last_before).total_seconds() / 3600) == 6.0
    assert gaps.threshold == 2.0 and gaps.count == 1
    assert f"6h from {naive(last_before)} to {naive(back_at)}" in gaps.message
    assert "1 gap longer than max_gap 2h" in gaps.message
    assert gaps.details["longest_gaps"][0] == {"start": last_before.isoformat(), "end": back_at.isoformat(),
                                               "hours": 6.0}
    assert volume.status is Status.passed  # 19 of 24 hours: above half the usual volume


def test_every_gap_over_max_gap_is_counted(run_audit: Audit) -> None:
    times = hourly(14)
    hours = times.dt.hour()
    # 3h without predictions at 02:00-04:00 each night: one 4h gap a day, longest equals shortest
    times = times.filter(~hours.is_in([2, 3, 4]))
    gaps, _ = audit_log(run_audit, times, max_gap="3h")
    assert gaps.count == 14 and gaps.value == 4.0 and "14 gaps longer than max_gap 3h" in gaps.message
    gaps, _ = audit_log(run_audit, times, max_gap="4h")
    assert gaps.status is Status.passed and "none longer than max_gap 4h" in gaps.message


def test_a_quiet_day_is_a_drop(run_audit: Audit) -> None:
    rng = np.random.default_rng(5)
    times = hourly(14, per_hour=60)  # one prediction a minute
    quiet = times.dt.date() == dt.date(2026, 10, 14)
    keep = ~quiet.to_numpy() | (rng.random(len(times)) < 0.3)  # that Wednesday keeps ~30% of its traffic
    times = times.filter(pl.Series(keep))
    gaps, volume = audit_log(run_audit, times)
    counts = Counter(times.dt.date().to_list())
    quiet_count = counts[dt.date(2026, 10, 14)]
    assert gaps.status is Status.passed
    assert volume.status is Status.fail and volume.value == 1.0 and volume.statistic == "dropped_days"
    assert volume.details["dropped"] == [{"day": "2026-10-14", "weekday": "Wednesday", "count": quiet_count,
                                         "usual": 1440.0, "share_of_usual": quiet_count / 1440}]
    assert f"1 day below 50.0% of usual volume: 2026-10-14 Wednesday ({quiet_count:,}, usual 1,440)" in volume.message
    assert [d["count"] for d in volume.details["per_day"]] == [counts[d] for d in sorted(counts)]
    assert volume.total == 14 and not volume.details["partial_days"]


def test_a_day_without_any_prediction_counts_zero(run_audit: Audit) -> None:
    times = hourly(14)
    times = times.filter(times.dt.date() != dt.date(2026, 10, 10))
    gaps, volume = audit_log(run_audit, times)
    assert gaps.value == 25.0 and gaps.status is Status.fail
    assert volume.status is Status.fail
    assert volume.details["dropped"][0]["day"] == "2026-10-10" and volume.details["dropped"][0]["count"] == 0


def test_weekly_seasonality_is_judged_per_weekday(run_audit: Audit) -> None:
    """Weekends at 40% of weekdays: drops against the median of all days, not against their own weekday."""
    times = hourly(21, per_hour=10)
    weekend = times.dt.weekday() >= 6
    minute = times.dt.minute()
    times = times.filter(~weekend | minute.is_in([0, 12, 24, 36]))  # 4 of 10 a weekend hour
    _, volume = audit_log(run_audit, times)
    assert volume.status is Status.passed, volume.message
    assert "usual volume: the median of the same weekday" in volume.message
    # two weeks: fewer than 3 of each weekday, so weekends are judged against all days, and drop
    _, volume = audit_log(run_audit, times.filter(times < START + dt.timedelta(days=14)))
    assert volume.status is Status.fail and volume.count == 4
    assert "as no weekday occurs 3 times" in volume.message


def test_partial_first_and_last_days_are_not_judged(run_audit: Audit) -> None:
    times = hourly(15, start=START - dt.timedelta(days=1), per_hour=4)
    times = times.filter((times >= START - dt.timedelta(hours=5)) & (times <= START + dt.timedelta(days=13, hours=6)))
    gaps, volume = audit_log(run_audit, times)
    assert gaps.status is Status.passed and volume.status is Status.passed, volume.message
    assert volume.details["partial_days"] == {"2026-10-04": "starts 19:00", "2026-10-18": "ends 06:00"}
    assert "not judged: 2026-10-04 (starts 19:00), 2026-10-18 (ends 06:00)" in volume.message
    assert volume.total == 13
    judged = [d["judged"] for d in volume.details["per_day"]]
    assert judged == [False] + [True] * 13 + [False]


def test_clean_log_passes(run_audit: Audit) -> None:
    rng = np.random.default_rng(9)
    seconds = np.sort(rng.uniform(0, 14 * 86400, 20_000))  # Poisson-like arrivals, ~1 a minute
    times = [START + dt.timedelta(seconds=float(s)) for s in seconds]
    gaps, volume = audit_log(run_audit, times)
    assert gaps.status is Status.passed and volume.status is Status.passed
    assert gaps.value == pytest.approx(np.diff(seconds).max() / 3600, rel=1e-6)
    assert volume.total == 14 and volume.value == 0.0


def test_timezone_aware_times_use_local_days_and_real_durations(run_audit: Audit) -> None:
    """New York times across the end of daylight saving (2026-11-01 has 25 hours)."""
    zone = "America/New_York"
    times = hourly(21, start=dt.datetime(2026, 10, 19), tz=zone)
    local_start = dt.datetime(2026, 11, 4, 8)
    down = (times.dt.replace_time_zone(None) >= local_start) & \
        (times.dt.replace_time_zone(None) < local_start + dt.timedelta(hours=4))
    times = times.filter(~down)
    gaps, volume = audit_log(run_audit, times)
    assert gaps.status is Status.fail and gaps.value == 5.0
    assert "5h from 2026-11-04 07:00:00-05:00 to 2026-11-04 12:00:00-05:00" in gaps.message
    per_day = {d["day"]: d["count"] for d in volume.details["per_day"]}
    assert per_day["2026-11-01"] == 25 and per_day["2026-11-04"] == 20 and len(per_day) == 21
    assert volume.status is Status.passed and not volume.details["partial_days"]
    # the same instants in UTC are the same gap
    gaps_utc, _ = audit_log(run_audit, times.dt.convert_time_zone("UTC"))
    assert gaps_utc.value == 5.0 and "2026-11-04 12:00:00+00:00 to 2026-11-04 17:00:00+00:00" in gaps_utc.message


def test_nanosecond_times_and_null_times(run_audit: Audit) -> None:
    times = hourly(14).cast(pl.Datetime("ns"))
    with_nulls = pl.Series("ts", [None if i % 50 == 0 else t for i, t in enumerate(times.to_list())],
                           dtype=pl.Datetime("ns"))
    gaps, volume = audit_log(run_audit, with_nulls)
    assert gaps.value == 2.0 and gaps.status is Status.passed  # a null every 50 hours leaves 2h gaps
    assert "7 rows without an event time are not counted" in gaps.message
    assert volume.status is Status.passed


def test_availability_skips_without_event_time(run_audit: Audit) -> None:
    no_time = BASE.replace("event_time: ts, ", "") + service(max_gap="2h")
    res = run_audit(no_time, log(hourly()), only=["service"])
    r = one(res, "service.availability")
    assert r.status is Status.skipped and r.message.startswith("needs columns.event_time in the contract")
    dates = log(hourly()).with_columns(pl.col("ts").dt.date())
    r = one(run_audit(BASE + service(max_gap="2h"), dates, only=["service"]), "service.availability")
    assert r.status is Status.skipped and "is Date, not a timestamp" in r.message
    # too short a log for daily volume: gaps judged, volume skipped
    gaps, volume = audit_log(run_audit, hourly(2))
    assert gaps.status is Status.passed and volume.status is Status.skipped
    assert "2 whole calendar days of predictions; daily volume needs at least 3" in volume.message


def test_a_million_row_log_runs_in_seconds(write_contract: Callable[..., Path],
                                           write_parquet: Callable[..., Path]) -> None:
    n = 1_000_000
    rng = np.random.default_rng(2)
    start = np.datetime64("2026-10-05T00:00:00", "us")
    offsets = np.sort(rng.integers(0, 28 * 86400 * 10**6, n)).astype("timedelta64[us]")
    frame = pl.DataFrame({"id": np.arange(n), "ts": start + offsets, "p": rng.random(n), "x": rng.normal(size=n),
                          "lat": rng.lognormal(3, 0.5, n), "err": rng.random(n) < 0.001,
                          "fb": rng.random(n) < 0.01}).sample(fraction=1.0, shuffle=True, seed=4)
    contract = write_contract(BASE + service(latency="lat", latency_objective="{p50: 100, p95: 200, p99: 400}",
                                             error="err", fallback="fb", max_gap="10m"))
    current, reference = write_parquet("current.parquet", frame), write_parquet("reference.parquet", frame.head(1000))
    began = time.perf_counter()
    res = mlaudit.audit(contract, reference, current, only=["service"])
    elapsed = time.perf_counter() - began
    assert {r.status for r in res.results} == {Status.passed}, [r.message for r in res.results]
    assert len(res.results) == 5
    assert elapsed < 10, elapsed
    lat = frame["lat"].to_numpy()
    assert one(res, "service.latency").details["percentiles"]["p99"] == pytest.approx(
        np.percentile(lat, 99, method="linear"), rel=1e-12)
    errors = one(res, "service.errors")
    assert errors.count == int(frame["err"].sum()) and errors.total == n


def test_streaming_gives_the_same_results(run_audit: Audit) -> None:
    times = hourly(14, tz="Europe/Berlin")
    times = times.filter(times.dt.date() != dt.date(2026, 10, 8))
    frame = log(times, lat=latencies(len(times)), err=np.arange(len(times)) % 40 == 0)
    contract = BASE + service(latency="lat", latency_objective="{p95: 40}", error="err")
    plain = run_audit(contract, frame, only=["service"])
    streamed = run_audit(contract, frame, only=["service"], streaming=True)
    assert [(r.check, r.column, r.status, r.value, r.message) for r in plain.results] == \
        [(r.check, r.column, r.status, r.value, r.message) for r in streamed.results]
    assert one(plain, "service.availability", "volume").status is Status.fail
