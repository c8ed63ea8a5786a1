"""Validation checks on tiny hand-made snapshots: every check's pass, warn and fail paths.

Each failing case is held to an independent plain-Python/numpy computation of its
statistic, and to the count, total, levels, example ids, owner and message it reports.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import mlaudit
from mlaudit import Clock
from mlaudit.errors import ContractError
from mlaudit.results import AuditResult, ExitCode, OwnerArea, Status, Verdict
from tests.helpers import assert_finding, one, share_of

NAN = float("nan")
INF = float("inf")
HEAD = """\
version: 1
model: {name: m, task: binary_classification}
"""

AS_OF = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- helpers


def contract(features: str = "", *, columns: str = "{id: id}", extra: str = "") -> str:
    """A minimal contract; `features` and `extra` are YAML blocks already indented for their place."""
    text = HEAD + f"columns: {columns}\n"
    if features:
        text += "features:\n" + features.rstrip() + "\n"
    return text + extra


def is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def numbers(count: int, total: int, value: float) -> list[str]:
    """The numbers a share message must show: 'count of total rows (pct)'."""
    pct = f"{value * 100:.1f}%" if value >= 0.1 else f"{value * 100:.2f}%"
    return [f"{count:,} of {total:,} rows", pct]


# --------------------------------------------------------------------------- validation.schema


def test_schema_missing_column_in_current_fails(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float}\n"), {"id": [1, 2]}, {"id": [1, 2], "x": [0.5, 1.5]},
                    only=["validation.schema"])
    r = one(res, "validation.schema", "x")
    assert_finding(r, status=Status.fail, value=1.0, count=None, total=None, threshold=0.0, warn=None,
                   examples=(), in_message=["'x'", "missing", "current"])
    assert one(res, "validation.schema", "id").status is Status.passed
    assert res.verdict is Verdict.fail


def test_schema_missing_column_skips_its_value_checks(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float, range: [0, 1], nullable: false}\n"), {"id": [1]},
                    {"id": [1], "x": [0.5]}, only=["validation.null_share", "validation.range"])
    assert one(res, "validation.null_share", "x").status is Status.skipped
    assert one(res, "validation.range", "x").status is Status.skipped


def test_schema_float_stored_as_string_fails(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float, range: [0, 10]}\n"), {"id": [1, 2], "x": ["1.5", "2.5"]},
                    {"id": [1, 2], "x": [1.5, 2.5]}, only=["validation.schema", "validation.range"])
    r = one(res, "validation.schema", "x")
    assert_finding(r, status=Status.fail, value=1.0, count=None, total=None, threshold=0.0, warn=None,
                   examples=(), in_message=["'x'", "String", "float"])
    assert r.details == {"expected": "float", "actual": "String"}
    # a wrongly typed column is reported once, by schema; range cannot judge it
    assert one(res, "validation.range", "x").status is Status.skipped


def test_schema_int_where_float_declared_passes(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float}\n"), {"id": [1, 2], "x": [1, 2]},
                    {"id": [1, 2], "x": [1.5, 2.5]}, only=["validation.schema"])
    r = one(res, "validation.schema", "x")
    assert r.status is Status.passed
    assert r.value == 0.0
    assert res.verdict is Verdict.passed
    assert res.exit_code is ExitCode.OK


def test_schema_undeclared_extra_column_warns(run_audit: Callable[..., AuditResult]) -> None:
    cur = {"id": [1], "x": [1.0], "debug_flag": [True], "in_ref": [1]}
    ref = {"id": [1], "x": [1.0], "in_ref": [1]}
    res = run_audit(contract("  x: {type: float}\n"), cur, ref, only=["validation.schema"])
    r = one(res, "validation.schema", None)
    assert r.status is Status.warn
    assert r.value == 1.0
    assert r.details["unexpected"] == ["debug_flag"]  # a column the reference has is not "unexpected"
    assert "debug_flag" in r.message
    assert "in_ref" not in r.message
    assert r.owner.area is OwnerArea.data_quality
    assert res.verdict is Verdict.warn


def test_schema_role_columns_are_checked_for_presence(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(columns="{id: id, score: s}"), {"id": [1]}, {"id": [1], "s": [0.5]},
                    only=["validation.schema"])
    r = one(res, "validation.schema", "s")
    assert r.status is Status.fail
    assert "'s'" in r.message


# --------------------------------------------------------------------------- validation.null_share


def test_null_share_not_nullable_fails_on_a_single_null(run_audit: Callable[..., AuditResult]) -> None:
    xs = [1.0, None, 3.0, 4.0]
    res = run_audit(contract("  x: {type: float, nullable: false}\n"), {"id": [11, 12, 13, 14], "x": xs},
                    only=["validation.null_share"])
    value = share_of([is_missing(v) for v in xs])
    assert_finding(one(res, "validation.null_share", "x"), status=Status.fail, value=value, count=1, total=4,
                   threshold=0.0, warn=None, examples=(12,), in_message=numbers(1, 4, value))


def test_null_share_counts_nan_as_missing_in_floats(run_audit: Callable[..., AuditResult]) -> None:
    xs = [NAN, 1.0, None, 2.0, NAN, 3.0, 4.0, 5.0, 6.0, 7.0]
    res = run_audit(contract("  x: {type: float}\n"), {"id": list(range(1, 11)), "x": xs},
                    only=["validation.null_share"])
    value = share_of([is_missing(v) for v in xs])
    assert value == pytest.approx(0.3)
    assert_finding(one(res, "validation.null_share", "x"), status=Status.warn, value=value, count=3, total=10,
                   threshold=0.5, warn=0.1, examples=(1, 3, 5), in_message=numbers(3, 10, value))


@pytest.mark.parametrize(
    ("missing", "status"),
    [(0, Status.passed), (1, Status.passed), (2, Status.warn), (5, Status.warn), (6, Status.fail)],
)
def test_null_share_default_levels_warn_above_10pct_fail_above_50pct(
    run_audit: Callable[..., AuditResult], missing: int, status: Status
) -> None:
    xs = [None] * missing + ["v"] * (10 - missing)
    res = run_audit(contract("  s: {type: string}\n"), {"id": list(range(10)), "s": xs},
                    only=["validation.null_share"])
    r = one(res, "validation.null_share", "s")
    expected_examples = tuple(range(min(missing, 5))) if status is not Status.passed else ()
    assert_finding(r, status=status, value=share_of([v is None for v in xs]), count=missing, total=10,
                   threshold=0.5, warn=0.1, examples=expected_examples)


def test_null_share_max_null_share_is_the_fail_level(run_audit: Callable[..., AuditResult]) -> None:
    xs = [None, None, None, 1, 2, 3, 4, 5, 6, 7]
    res = run_audit(contract("  n: {type: int, max_null_share: 0.2}\n"), {"id": list(range(10)), "n": xs},
                    only=["validation.null_share"])
    value = share_of([v is None for v in xs])
    assert_finding(one(res, "validation.null_share", "n"), status=Status.fail, value=value, count=3, total=10,
                   threshold=0.2, warn=None, examples=(0, 1, 2), in_message=[*numbers(3, 10, value), "20.0%"])


def test_null_share_within_max_null_share_passes(run_audit: Callable[..., AuditResult]) -> None:
    xs = [None, None, 1, 2, 3, 4, 5, 6, 7, 8]
    res = run_audit(contract("  n: {type: int, max_null_share: 0.2}\n"), {"id": list(range(10)), "n": xs},
                    only=["validation.null_share"])
    r = one(res, "validation.null_share", "n")
    assert r.status is Status.passed
    assert r.examples == ()
    assert r.count == 2


def test_null_share_per_feature_override(run_audit: Callable[..., AuditResult]) -> None:
    features = (
        "  a: {type: float, checks: {validation.null_share: {warn: 0.3, fail: 0.6}}}\n"
        "  b: {type: float}\n"
    )
    a = [None] * 4 + [1.0] * 6
    b = [None] * 4 + [1.0] * 6
    res = run_audit(contract(features), {"id": list(range(10)), "a": a, "b": b}, only=["validation.null_share"])
    ra, rb = one(res, "validation.null_share", "a"), one(res, "validation.null_share", "b")
    assert (ra.status, ra.warn_threshold, ra.threshold) == (Status.warn, 0.3, 0.6)
    assert (rb.status, rb.warn_threshold, rb.threshold) == (Status.warn, 0.1, 0.5)
    a7 = [None] * 7 + [1.0] * 3
    res = run_audit(contract(features), {"id": list(range(10)), "a": a7, "b": b}, only=["validation.null_share"])
    assert_finding(one(res, "validation.null_share", "a"), status=Status.fail,
                   value=share_of([is_missing(v) for v in a7]), count=7, total=10, threshold=0.6, warn=0.3,
                   examples=(0, 1, 2, 3, 4))


def test_null_share_contract_wide_thresholds(run_audit: Callable[..., AuditResult]) -> None:
    features = (
        "  a: {type: float}\n"
        "  b: {type: float, checks: {validation.null_share: {fail: 0.9}}}\n"
    )
    extra = "thresholds:\n  validation.null_share: {warn: 0.05, fail: 0.15}\n"
    xs = [None, None, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    res = run_audit(contract(features, extra=extra), {"id": list(range(10)), "a": xs, "b": xs},
                    only=["validation.null_share"])
    value = share_of([is_missing(v) for v in xs])
    assert_finding(one(res, "validation.null_share", "a"), status=Status.fail, value=value, count=2, total=10,
                   threshold=0.15, warn=0.05, examples=(0, 1))
    # the feature's own override wins over the contract-wide level, key by key
    rb = one(res, "validation.null_share", "b")
    assert (rb.status, rb.warn_threshold, rb.threshold) == (Status.warn, 0.05, 0.9)


def test_null_share_can_be_disabled_per_feature(run_audit: Callable[..., AuditResult]) -> None:
    features = "  a: {type: float, nullable: false, checks: {validation.null_share: {enabled: false}}}\n"
    frame = pl.DataFrame({"id": [1, 2], "a": pl.Series([None, None], dtype=pl.Float64)})
    res = run_audit(contract(features), frame, only=["validation.null_share"])
    assert [r for r in res.results if r.column == "a"] == []


def test_null_share_examples_are_first_five_ids_in_row_order(run_audit: Callable[..., AuditResult]) -> None:
    ids = [90, 80, 70, 60, 50, 40, 30, 20]
    xs = [None, 1.0, None, None, None, None, None, None]
    res = run_audit(contract("  x: {type: float, nullable: false}\n"), {"id": ids, "x": xs},
                    only=["validation.null_share"])
    r = one(res, "validation.null_share", "x")
    assert r.examples == (90, 70, 60, 50, 40)
    assert r.count == 7


# --------------------------------------------------------------------------- validation.range


def test_range_fails_and_reports_observed_min_max(run_audit: Callable[..., AuditResult]) -> None:
    xs = [5, -3, 12, 7]
    res = run_audit(contract("  x: {type: int, range: [0, 10]}\n"), {"id": [1, 2, 3, 4], "x": xs},
                    only=["validation.range"])
    value = share_of([not (0 <= v <= 10) for v in xs])
    assert_finding(one(res, "validation.range", "x"), status=Status.fail, value=value, count=2, total=4,
                   threshold=0.01, warn=0.0, examples=(2, 3),
                   in_message=[*numbers(2, 4, value), "min -3", "max 12"])


def test_range_open_lower_end(run_audit: Callable[..., AuditResult]) -> None:
    xs = [-1e6, 5.0, 11.0, 10.0]
    res = run_audit(contract("  x: {type: float, range: [null, 10]}\n"), {"id": [1, 2, 3, 4], "x": xs},
                    only=["validation.range"])
    value = share_of([v > 10 for v in xs])
    assert_finding(one(res, "validation.range", "x"), status=Status.fail, value=value, count=1, total=4,
                   threshold=0.01, warn=0.0, examples=(3,), in_message=["[-inf, 10", "min -1e+06", "max 11"])


def test_range_open_upper_end(run_audit: Callable[..., AuditResult]) -> None:
    xs = [-1, 0, 10**9]
    res = run_audit(contract("  x: {type: int, range: [0, null]}\n"), {"id": [1, 2, 3], "x": xs},
                    only=["validation.range"])
    value = share_of([v < 0 for v in xs])
    assert_finding(one(res, "validation.range", "x"), status=Status.fail, value=value, count=1, total=3,
                   threshold=0.01, warn=0.0, examples=(1,), in_message=["min -1", "max 1000000000"])


def test_range_infinity_falls_outside_an_open_end(run_audit: Callable[..., AuditResult]) -> None:
    """docs/contract.md: infinities fall outside every range, including an open one ([0, null])."""
    xs = [1.0, INF, 2.0, -INF]
    res = run_audit(contract("  x: {type: float, range: [0, null]}\n"), {"id": [1, 2, 3, 4], "x": xs},
                    only=["validation.range"])
    value = share_of([math.isinf(v) or v < 0 for v in xs])
    assert_finding(one(res, "validation.range", "x"), status=Status.fail, value=value, count=2, total=4,
                   threshold=0.01, warn=0.0, examples=(2, 4))


def test_range_infinities_fall_outside(run_audit: Callable[..., AuditResult]) -> None:
    xs = [INF, 5.0, -INF, 5.0]
    res = run_audit(contract("  x: {type: float, range: [0, 10]}\n"), {"id": [1, 2, 3, 4], "x": xs},
                    only=["validation.range"])
    value = share_of([not (0 <= v <= 10) for v in xs])
    assert_finding(one(res, "validation.range", "x"), status=Status.fail, value=value, count=2, total=4,
                   threshold=0.01, warn=0.0, examples=(1, 3), in_message=["min -inf", "max inf"])


def test_range_nan_and_null_are_not_out_of_range(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float, range: [0, 10]}\n"),
                    {"id": [1, 2, 3], "x": [NAN, None, 5.0]}, only=["validation.range"])
    r = one(res, "validation.range", "x")
    assert r.status is Status.passed
    assert (r.value, r.count, r.total, r.examples) == (0.0, 0, 3, ())
    assert "min 5" in r.message and "max 5" in r.message


@pytest.mark.parametrize("seed", range(6))
def test_range_counts_match_a_plain_count(run_audit: Callable[..., AuditResult], seed: int) -> None:
    """Rows outside the range, counted from comparisons (not a row mask) without a sentinel: the same count
    as a plain one over values with NaN, nulls, infinities and values on the bounds, for open and closed
    ranges, float and int columns."""
    rng = np.random.default_rng(seed)
    is_float = seed % 3 != 2
    lo, hi = [(0, 10), (None, 10), (0, None), (-5, 5), (3, 3), (None, None)][seed]
    if is_float:
        xs: list[Any] = rng.choice([-INF, INF, NAN, None, 0.0, 10.0, -5.0, 5.0, 3.0, -1.0, 11.0, 2.5], size=60).tolist()
    else:
        xs = rng.choice([None, 0, 10, -5, 5, 3, -1, 11, 2], size=60).tolist()
    def outside(v: Any) -> bool:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return False
        return math.isinf(v) or (lo is not None and v < lo) or (hi is not None and v > hi)
    bounds = f"[{'null' if lo is None else lo}, {'null' if hi is None else hi}]"
    kind = "float" if is_float else "int"
    res = run_audit(contract(f"  x: {{type: {kind}, range: {bounds}, nullable: true}}\n"),
                    {"id": list(range(60)), "x": pl.Series(xs, dtype=pl.Float64 if is_float else pl.Int64)},
                    only=["validation.range"])
    r = one(res, "validation.range", "x")
    assert (r.count, r.total) == (sum(outside(v) for v in xs), 60)


def test_range_warns_below_fail_level(run_audit: Callable[..., AuditResult]) -> None:
    xs = [1.0, 2.0, 3.0, 42.0]
    features = "  x: {type: float, range: [0, 10], checks: {validation.range: {fail: 0.5}}}\n"
    res = run_audit(contract(features), {"id": [1, 2, 3, 4], "x": xs}, only=["validation.range"])
    value = share_of([v > 10 for v in xs])
    assert_finding(one(res, "validation.range", "x"), status=Status.warn, value=value, count=1, total=4,
                   threshold=0.5, warn=0.0, examples=(4,))


def test_range_all_inside_passes(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float, range: [0, 10]}\n"), {"id": [1, 2], "x": [0.0, 10.0]},
                    only=["validation.range"])
    r = one(res, "validation.range", "x")
    assert (r.status, r.value, r.count, r.examples) == (Status.passed, 0.0, 0, ())


# --------------------------------------------------------------------------- validation.allowed_values


def test_allowed_values_strings(run_audit: Callable[..., AuditResult]) -> None:
    xs = ["a", "c", None, "d", "c", "b"]
    res = run_audit(contract("  s: {type: category, allowed: [a, b]}\n"), {"id": [1, 2, 3, 4, 5, 6], "s": xs},
                    only=["validation.allowed_values"])
    value = share_of([v is not None and v not in ("a", "b") for v in xs])
    assert_finding(one(res, "validation.allowed_values", "s"), status=Status.fail, value=value, count=3, total=6,
                   threshold=0.01, warn=0.0, examples=(2, 4, 5),
                   in_message=[*numbers(3, 6, value), "'c'", "'d'"])


def test_allowed_values_ints(run_audit: Callable[..., AuditResult]) -> None:
    xs = [1, 2, 3, 1, 4]
    res = run_audit(contract("  c: {type: category, allowed: [1, 2]}\n"), {"id": [1, 2, 3, 4, 5], "c": xs},
                    only=["validation.allowed_values"])
    value = share_of([v not in (1, 2) for v in xs])
    assert_finding(one(res, "validation.allowed_values", "c"), status=Status.fail, value=value, count=2, total=5,
                   threshold=0.01, warn=0.0, examples=(3, 5), in_message=["'3'", "'4'"])


def test_allowed_values_bools(run_audit: Callable[..., AuditResult]) -> None:
    xs = [True, False, None, True]
    res = run_audit(contract("  b: {type: bool, allowed: [true]}\n"), {"id": [1, 2, 3, 4], "b": xs},
                    only=["validation.allowed_values"])
    value = share_of([v is False for v in xs])
    assert_finding(one(res, "validation.allowed_values", "b"), status=Status.fail, value=value, count=1, total=4,
                   threshold=0.01, warn=0.0, examples=(2,), in_message=["'false'"])


def test_allowed_values_all_allowed_passes(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  s: {type: category, allowed: [a, b]}\n"), {"id": [1, 2, 3], "s": ["a", None, "b"]},
                    only=["validation.allowed_values"])
    r = one(res, "validation.allowed_values", "s")
    assert (r.status, r.value, r.count, r.examples) == (Status.passed, 0.0, 0, ())


def test_allowed_values_warn_level(run_audit: Callable[..., AuditResult]) -> None:
    features = "  s: {type: category, allowed: [a], checks: {validation.allowed_values: {fail: 0.5}}}\n"
    res = run_audit(contract(features), {"id": [1, 2, 3, 4], "s": ["a", "a", "z", "a"]},
                    only=["validation.allowed_values"])
    r = one(res, "validation.allowed_values", "s")
    assert (r.status, r.count, r.examples) == (Status.warn, 1, (3,))
    assert r.value == pytest.approx(0.25, abs=1e-12)


# --------------------------------------------------------------------------- validation.regex


def test_regex_requires_a_full_match(run_audit: Callable[..., AuditResult]) -> None:
    xs = ["AB123", "AB1234", "xAB123", "ZZ999"]
    res = run_audit(contract("  code: {type: string, regex: '[A-Z]{2}\\d{3}'}\n"),
                    {"id": [1, 2, 3, 4], "code": xs}, only=["validation.regex"])
    value = share_of([re.fullmatch(r"[A-Z]{2}\d{3}", v) is None for v in xs])
    assert_finding(one(res, "validation.regex", "code"), status=Status.fail, value=value, count=2, total=4,
                   threshold=0.01, warn=0.0, examples=(2, 3), in_message=[*numbers(2, 4, value), "[A-Z]{2}"])


def test_regex_alternation_is_anchored_as_a_whole(run_audit: Callable[..., AuditResult]) -> None:
    xs = ["cat", "dog", "cats", "hotdog"]
    res = run_audit(contract("  pet: {type: string, regex: 'cat|dog'}\n"), {"id": [1, 2, 3, 4], "pet": xs},
                    only=["validation.regex"])
    r = one(res, "validation.regex", "pet")
    assert (r.status, r.count, r.examples) == (Status.fail, 2, (3, 4))


def test_regex_nulls_are_not_mismatches(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  code: {type: string, regex: '[A-Z]+'}\n"), {"id": [1, 2], "code": ["AB", None]},
                    only=["validation.regex"])
    r = one(res, "validation.regex", "code")
    assert (r.status, r.count, r.examples) == (Status.passed, 0, ())


def test_regex_warns_with_contract_wide_levels(run_audit: Callable[..., AuditResult]) -> None:
    xs = ["ab", "ab", "zz", "ab"]
    extra = "thresholds:\n  validation.regex: {warn: 0.1, fail: 0.3}\n"
    res = run_audit(contract("  code: {type: string, regex: 'ab'}\n", extra=extra), {"id": [1, 2, 3, 4], "code": xs},
                    only=["validation.regex"])
    assert_finding(one(res, "validation.regex", "code"), status=Status.warn, value=share_of([v != "ab" for v in xs]),
                   count=1, total=4, threshold=0.3, warn=0.1, examples=(3,))


# --------------------------------------------------------------------------- validation.unique
# Examples of a uniqueness finding are the repeated values themselves (first appearance order),
# not the ids of the rows holding them.


def test_unique_id_column_is_checked_automatically(run_audit: Callable[..., AuditResult]) -> None:
    ids = [1, 2, 2, 3, 3, 3, None, None]
    res = run_audit(contract(), {"id": ids}, only=["validation.unique"])
    counts = {v: ids.count(v) for v in ids if v is not None}
    flags = [v is not None and counts[v] > 1 for v in ids]
    value = share_of(flags)
    assert_finding(one(res, "validation.unique", "id"), status=Status.fail, value=value, count=5, total=8,
                   threshold=0.0, warn=None, examples=(2, 3),
                   in_message=[*numbers(5, 8, value), "2 distinct values repeated"])


def test_unique_feature_marked_unique(run_audit: Callable[..., AuditResult]) -> None:
    emails = ["a@x", "b@x", "a@x", None, None]
    res = run_audit(contract("  email: {type: string, unique: true}\n"), {"id": [1, 2, 3, 4, 5], "email": emails},
                    only=["validation.unique"])
    value = share_of([v is not None and emails.count(v) > 1 for v in emails])
    assert_finding(one(res, "validation.unique", "email"), status=Status.fail, value=value, count=2, total=5,
                   threshold=0.0, warn=None, examples=("a@x",), in_message=["1 distinct values repeated"])
    assert one(res, "validation.unique", "id").status is Status.passed


def test_unique_nulls_are_not_duplicates(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  email: {type: string, unique: true}\n"),
                    {"id": [1, 2, 3], "email": [None, None, "x"]}, only=["validation.unique"])
    r = one(res, "validation.unique", "email")
    assert (r.status, r.value, r.count, r.examples) == (Status.passed, 0.0, 0, ())


def test_unique_warns_with_per_feature_levels(run_audit: Callable[..., AuditResult]) -> None:
    features = "  email: {type: string, unique: true, checks: {validation.unique: {warn: 0.0, fail: 0.5}}}\n"
    emails = ["a", "b", "a", "c", "d"]
    res = run_audit(contract(features), {"id": [1, 2, 3, 4, 5], "email": emails}, only=["validation.unique"])
    assert_finding(one(res, "validation.unique", "email"), status=Status.warn,
                   value=share_of([emails.count(v) > 1 for v in emails]), count=2, total=5, threshold=0.5, warn=0.0,
                   examples=("a",))


def test_unique_on_polars_dataframes_passed_directly(write_contract: Callable[..., Path], fixed_clock: Clock) -> None:
    frame = pl.DataFrame({"id": [7, 8, 7]})
    res = mlaudit.audit(write_contract(contract()), frame, frame, clock=fixed_clock, only=["validation.unique"])
    r = one(res, "validation.unique", "id")
    assert_finding(r, status=Status.fail, value=share_of([True, False, True]), count=2, total=3, threshold=0.0,
                   warn=None, examples=(7,))
    assert res.inputs[1].source == "<dataframe>"


# --------------------------------------------------------------------------- validation.row_count


def test_row_count_empty_snapshot_fails_by_default(run_audit: Callable[..., AuditResult]) -> None:
    empty = pl.DataFrame({"id": pl.Series([], dtype=pl.Int64)})
    res = run_audit(contract(), empty, {"id": [1, 2]}, only=["validation.row_count"])
    r = one(res, "validation.row_count")
    assert r.status is Status.fail
    assert (r.value, r.count, r.total, r.examples) == (0.0, 0, None, ())
    assert r.details == {"min_rows": 1, "max_rows": None}
    assert "0 rows" in r.message and "[1, unbounded]" in r.message
    assert r.owner.area is OwnerArea.data_quality


def test_row_count_share_checks_skip_an_empty_snapshot(run_audit: Callable[..., AuditResult]) -> None:
    empty = pl.DataFrame({"id": pl.Series([], dtype=pl.Int64), "x": pl.Series([], dtype=pl.Float64)})
    res = run_audit(contract("  x: {type: float, nullable: false}\n"), empty, {"id": [1], "x": [1.0]},
                    only=["validation.null_share"])
    assert one(res, "validation.null_share", "x").status is Status.skipped


@pytest.mark.parametrize(("rows", "status"), [(2, Status.fail), (3, Status.passed), (5, Status.passed),
                                              (6, Status.fail)])
def test_row_count_bounds_from_dataset(run_audit: Callable[..., AuditResult], rows: int, status: Status) -> None:
    extra = "dataset:\n  row_count: {min: 3, max: 5}\n"
    res = run_audit(contract(extra=extra), {"id": list(range(rows))}, only=["validation.row_count"])
    r = one(res, "validation.row_count")
    assert (r.status, r.value, r.count) == (status, float(rows), rows)
    assert f"{rows} rows" in r.message and "[3, 5]" in r.message


def test_row_count_severity_warning_caps_at_warn(run_audit: Callable[..., AuditResult]) -> None:
    extra = "dataset:\n  row_count: {min: 3}\nthresholds:\n  validation.row_count: {severity: warning}\n"
    res = run_audit(contract(extra=extra), {"id": [1]}, only=["validation.row_count"])
    r = one(res, "validation.row_count")
    assert (r.status, r.severity) == (Status.warn, "warning")


# --------------------------------------------------------------------------- validation.freshness

FRESH = "dataset:\n  freshness: {warn: 26h, fail: 3d}\n"


def test_freshness_skipped_without_config(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(columns="{id: id, event_time: t}"), {"id": [1], "t": [dt.datetime(2026, 1, 1)]},
                    only=["validation.freshness"])
    r = one(res, "validation.freshness")
    assert r.status is Status.skipped
    assert "freshness" in r.message


def test_freshness_skipped_without_event_time(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(extra=FRESH), {"id": [1]}, only=["validation.freshness"])
    r = one(res, "validation.freshness")
    assert r.status is Status.skipped
    assert "event_time" in r.message


@pytest.mark.parametrize(
    ("age_hours", "status"),
    [(2.0, Status.passed), (26.0, Status.passed), (30.0, Status.warn), (72.0, Status.warn), (80.0, Status.fail)],
)
def test_freshness_warn_and_fail_by_age(
    run_audit: Callable[..., AuditResult], age_hours: float, status: Status
) -> None:
    newest = AS_OF.replace(tzinfo=None) - dt.timedelta(hours=age_hours)
    times = [newest - dt.timedelta(days=3), newest, None]
    res = run_audit(contract(columns="{id: id, event_time: t}", extra=FRESH), {"id": [1, 2, 3], "t": times},
                    only=["validation.freshness"], as_of=AS_OF)
    r = one(res, "validation.freshness", "t")
    expected = (AS_OF.replace(tzinfo=None) - max(t for t in times if t)).total_seconds() / 3600
    assert r.status is status
    assert r.value == pytest.approx(expected, abs=1e-9, rel=0)
    assert (r.warn_threshold, r.threshold) == (26.0, 72.0)
    assert f"{age_hours:,.1f} h old" in r.message
    assert "fail above 72 h" in r.message and "warn above 26 h" in r.message
    assert r.details["newest"] == newest.isoformat()
    assert r.owner.area is OwnerArea.data_quality


def test_freshness_uses_the_clock_when_as_of_is_not_given(run_audit: Callable[..., AuditResult]) -> None:
    newest = AS_OF.replace(tzinfo=None) - dt.timedelta(hours=30)  # FIXED_NOW is AS_OF
    res = run_audit(contract(columns="{id: id, event_time: t}", extra=FRESH), {"id": [1], "t": [newest]},
                    only=["validation.freshness"])
    r = one(res, "validation.freshness", "t")
    assert (r.status, r.value) == (Status.warn, pytest.approx(30.0))


def test_freshness_timezone_aware_column(run_audit: Callable[..., AuditResult]) -> None:
    newest = dt.datetime(2026, 10, 29, 2, 0, tzinfo=dt.timezone.utc)  # 76 h before AS_OF
    frame = pl.DataFrame({"id": [1], "t": [newest]}).with_columns(pl.col("t").dt.convert_time_zone("Europe/Paris"))
    res = run_audit(contract(columns="{id: id, event_time: t}", extra=FRESH), frame,
                    only=["validation.freshness"], as_of=AS_OF)
    r = one(res, "validation.freshness", "t")
    assert r.status is Status.fail
    assert r.value == pytest.approx((AS_OF - newest).total_seconds() / 3600, abs=1e-9)


def test_freshness_date_column(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(columns="{id: id, event_time: d}", extra=FRESH),
                    {"id": [1, 2], "d": [dt.date(2026, 10, 29), dt.date(2026, 10, 30)]},
                    only=["validation.freshness"], as_of=AS_OF)
    r = one(res, "validation.freshness", "d")
    expected = (AS_OF - dt.datetime(2026, 10, 30, tzinfo=dt.timezone.utc)).total_seconds() / 3600
    assert (r.status, r.value) == (Status.warn, pytest.approx(expected, abs=1e-9))


def test_freshness_naive_column_with_non_utc_as_of(run_audit: Callable[..., AuditResult]) -> None:
    """Naive timestamps are UTC; an as_of given in another zone must be converted, not relabelled."""
    newest = dt.datetime(2026, 10, 31, 4, 0)  # naive = UTC, 26 h before 2026-11-01 06:00 UTC
    as_of = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # = 06:00 UTC
    res = run_audit(contract(columns="{id: id, event_time: t}", extra=FRESH), {"id": [1], "t": [newest]},
                    only=["validation.freshness"], as_of=as_of)
    r = one(res, "validation.freshness", "t")
    assert r.value == pytest.approx(26.0, abs=1e-9), r.message
    assert r.status is Status.passed


def test_freshness_all_null_event_time_is_an_error(run_audit: Callable[..., AuditResult]) -> None:
    frame = pl.DataFrame({"id": [1, 2], "t": pl.Series([None, None], dtype=pl.Datetime("us"))})
    res = run_audit(contract(columns="{id: id, event_time: t}", extra=FRESH), frame,
                    only=["validation.freshness"], as_of=AS_OF)
    r = one(res, "validation.freshness", "t")
    assert r.status is Status.error
    assert "'t'" in r.message


# --------------------------------------------------------------------------- validation.rule


def rules(*lines: str) -> str:
    return "rules:\n" + "".join(f"  - {line}\n" for line in lines)


def test_rule_violation_share_fails(run_audit: Callable[..., AuditResult]) -> None:
    a, b = [1, 5, 2, 9], [2, 3, 2, 1]
    res = run_audit(contract(extra=rules("{name: a_le_b, expr: 'a <= b'}")),
                    {"id": [1, 2, 3, 4], "a": a, "b": b}, only=["validation.rule"])
    value = share_of([x > y for x, y in zip(a, b, strict=True)])
    assert_finding(one(res, "validation.rule", "a_le_b"), status=Status.fail, value=value, count=2, total=4,
                   threshold=0.0, warn=None, examples=(2, 4), in_message=[*numbers(2, 4, value), "a <= b"])


@pytest.mark.parametrize(("violations", "status"), [(0, Status.passed), (1, Status.warn), (2, Status.fail)])
def test_rule_max_violation_share(run_audit: Callable[..., AuditResult], violations: int, status: Status) -> None:
    a = [9] * violations + [0] * (4 - violations)
    res = run_audit(contract(extra=rules("{name: r, expr: 'a < 5', max_violation_share: 0.3}")),
                    {"id": [1, 2, 3, 4], "a": a}, only=["validation.rule"])
    r = one(res, "validation.rule", "r")
    assert_finding(r, status=status, value=share_of([x >= 5 for x in a]), count=violations, total=4,
                   threshold=0.3, warn=0.0, examples=tuple(range(1, violations + 1)) if violations else ())


def test_rule_warn_violation_share(run_audit: Callable[..., AuditResult]) -> None:
    a = [9, 0, 0, 0]
    spec = "{name: r, expr: 'a < 5', max_violation_share: 0.5, warn_violation_share: 0.3}"
    res = run_audit(contract(extra=rules(spec)), {"id": [1, 2, 3, 4], "a": a}, only=["validation.rule"])
    r = one(res, "validation.rule", "r")
    assert (r.status, r.warn_threshold, r.threshold) == (Status.passed, 0.3, 0.5)


def test_rule_severity_warning_caps_at_warn(run_audit: Callable[..., AuditResult]) -> None:
    a = [9, 9, 9, 0]
    res = run_audit(contract(extra=rules("{name: r, expr: 'a < 5', severity: warning}")),
                    {"id": [1, 2, 3, 4], "a": a}, only=["validation.rule"])
    r = one(res, "validation.rule", "r")
    assert_finding(r, status=Status.warn, value=share_of([x >= 5 for x in a]), count=3, total=4, threshold=0.0,
                   warn=None, examples=(1, 2, 3))
    assert r.severity == "warning"
    assert res.exit_code is ExitCode.OK


def test_rule_null_inputs_are_not_violations(run_audit: Callable[..., AuditResult]) -> None:
    a, b = [None, 5, 1], [1, 3, None]
    res = run_audit(contract(extra=rules("{name: r, expr: 'a <= b'}")), {"id": [1, 2, 3], "a": a, "b": b},
                    only=["validation.rule"])
    r = one(res, "validation.rule", "r")
    value = share_of([x is not None and y is not None and x > y for x, y in zip(a, b, strict=True)])
    assert_finding(r, status=Status.fail, value=value, count=1, total=3, threshold=0.0, warn=None, examples=(2,),
                   in_message=["2 rows could not be evaluated"])


def test_rule_owner_area_override(run_audit: Callable[..., AuditResult]) -> None:
    extra = rules("{name: r, expr: 'a < 5', owner: decision_impact}")
    extra += "owners:\n  decision_impact: {team: risk, contact: risk@x}\n"
    res = run_audit(contract(extra=extra), {"id": [1, 2], "a": [9, 0]}, only=["validation.rule"])
    r = one(res, "validation.rule", "r")
    assert r.status is Status.fail
    assert (r.owner.area, r.owner.team, r.owner.contact) == (OwnerArea.decision_impact, "risk", "risk@x")


def test_rule_passes_when_every_row_holds(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract(extra=rules("{name: r, expr: 'a < 5 AND b IS NOT NULL'}")),
                    {"id": [1, 2], "a": [1, 2], "b": [0, 0]}, only=["validation.rule"])
    r = one(res, "validation.rule", "r")
    assert (r.status, r.value, r.count, r.examples) == (Status.passed, 0.0, 0, ())


# --------------------------------------------------------------------------- messages name their column


FAILING = {
    "validation.null_share": ("  income: {type: float, nullable: false}\n", "{id: id}", "", {"income": [None, 1.0]}),
    "validation.range": ("  income: {type: float, range: [0, 1]}\n", "{id: id}", "", {"income": [5.0, 0.5]}),
    "validation.allowed_values": ("  income: {type: category, allowed: [a]}\n", "{id: id}", "", {"income": ["b", "a"]}),
    "validation.regex": ("  income: {type: string, regex: 'a+'}\n", "{id: id}", "", {"income": ["b", "a"]}),
    "validation.unique": ("  income: {type: string, unique: true}\n", "{id: id}", "", {"income": ["a", "a"]}),
    "validation.freshness": ("", "{id: id, event_time: income}", FRESH,
                             {"income": [dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 2)]}),
}


@pytest.mark.parametrize("check", list(FAILING))
def test_failing_message_names_its_column(run_audit: Callable[..., AuditResult], check: str) -> None:
    features, columns, extra, data = FAILING[check]
    res = run_audit(contract(features, columns=columns, extra=extra), {"id": [1, 2], **data}, only=[check])
    r = one(res, check, "income")
    assert r.status is Status.fail
    assert "income" in r.message, r.message


# --------------------------------------------------------------------------- verdict and exit code


def _audit_with_status(run_audit: Callable[..., AuditResult], status: Status, fail_on: str) -> AuditResult:
    missing = {Status.passed: 0, Status.warn: 2, Status.fail: 8}[status]
    xs = [None] * missing + [1.0] * (10 - missing)
    return run_audit(contract("  x: {type: float}\n"), {"id": list(range(10)), "x": xs},
                     only=["validation.null_share"], fail_on=fail_on)


@pytest.mark.parametrize(
    ("status", "fail_on", "verdict", "code"),
    [
        (Status.passed, "warning", Verdict.passed, ExitCode.OK),
        (Status.warn, "error", Verdict.warn, ExitCode.OK),
        (Status.warn, "warning", Verdict.warn, ExitCode.GATE_FAILED),
        (Status.warn, "never", Verdict.warn, ExitCode.OK),
        (Status.fail, "error", Verdict.fail, ExitCode.GATE_FAILED),
        (Status.fail, "warning", Verdict.fail, ExitCode.GATE_FAILED),
        (Status.fail, "never", Verdict.fail, ExitCode.OK),
    ],
)
def test_verdict_and_exit_code_follow_fail_on(
    run_audit: Callable[..., AuditResult], status: Status, fail_on: str, verdict: Verdict, code: ExitCode
) -> None:
    res = _audit_with_status(run_audit, status, fail_on)
    assert one(res, "validation.null_share", "x").status is status
    assert res.verdict is verdict
    assert res.exit_code is code


def test_check_in_error_fails_the_gate_even_with_fail_on_never(run_audit: Callable[..., AuditResult]) -> None:
    frame = pl.DataFrame({"id": [1], "t": pl.Series([None], dtype=pl.Datetime("us"))})
    res = run_audit(contract(columns="{id: id, event_time: t}", extra=FRESH), frame,
                    only=["validation.freshness", "validation.unique"], fail_on="never", as_of=AS_OF)
    assert one(res, "validation.unique", "id").status is Status.passed
    assert res.verdict is Verdict.error
    assert res.exit_code is ExitCode.GATE_FAILED


def test_only_restricts_the_checks_run(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float, nullable: false, range: [0, 1]}\n"),
                    {"id": [1, 1], "x": [None, 5.0]}, only=["validation.range"])
    assert {r.check for r in res.results} == {"validation.range"}


# --------------------------------------------------------------------------- DataFrames passed directly


def test_null_share_on_pandas_dataframes_counts_nan(write_contract: Callable[..., Path], fixed_clock: Clock) -> None:
    pd = pytest.importorskip("pandas")
    xs = [np.nan, 1.0, 2.0, np.nan, 3.0]
    frame = pd.DataFrame({"id": [1, 2, 3, 4, 5], "x": xs})
    res = mlaudit.audit(write_contract(contract("  x: {type: float, max_null_share: 0.3}\n")), frame, frame,
                        clock=fixed_clock, only=["validation.null_share"])
    value = float(np.mean(np.isnan(np.asarray(xs))))
    assert_finding(one(res, "validation.null_share", "x"), status=Status.fail, value=value, count=2, total=5,
                   threshold=0.3, warn=None, examples=(1, 4), in_message=numbers(2, 5, value))


def test_range_on_polars_dataframes(write_contract: Callable[..., Path], fixed_clock: Clock) -> None:
    ref = pl.DataFrame({"id": [1, 2], "x": [0.1, 0.2]})
    cur = pl.DataFrame({"id": [5, 6, 7], "x": [0.5, 3.0, -1.0]})
    res = mlaudit.audit(write_contract(contract("  x: {type: float, range: [0, 1]}\n")), ref, cur,
                        clock=fixed_clock, only=["validation.range"])
    assert_finding(one(res, "validation.range", "x"), status=Status.fail, value=share_of([False, True, True]),
                   count=2, total=3, threshold=0.01, warn=0.0, examples=(6, 7))


def test_reference_missing_a_feature_cannot_be_audited(write_contract: Callable[..., Path],
                                                       fixed_clock: Clock) -> None:
    """What current lacks is a finding; what reference lacks is a contract error (exit 2)."""
    cur = pl.DataFrame({"id": [1], "x": [1.0]})
    with pytest.raises(ContractError):
        mlaudit.audit(write_contract(contract("  x: {type: float}\n")), pl.DataFrame({"id": [1]}), cur,
                      clock=fixed_clock, only=["validation.schema"])


def test_numeric_counts_from_the_shared_read_keep_sentinels_infinities_and_integers(
        run_audit: Callable[..., AuditResult]) -> None:
    """Numeric null shares and ranges are counted by numpy from the read drift shares: a sentinel and NaN
    are missing, an infinity is not missing but outside the range, and an integer column reports integer
    minimum and maximum (as polars did)."""
    fs = [1.5, -1.0, INF, None, NAN, 20.0, 3.0, -INF]  # sentinel -1
    ks = [4, None, 12, -7, 5, -1, 8, 9]  # sentinel -1
    features = ("  f: {type: float, sentinel: -1, range: [0, 10]}\n"
                "  k: {type: int, sentinel: -1, range: [0, 10]}\n")
    res = run_audit(contract(features), {"id": list(range(1, 9)), "f": fs, "k": ks},
                    only=["validation.null_share", "validation.range"])
    f_missing = [is_missing(v) or v == -1 for v in fs]
    k_missing = [v is None or v == -1 for v in ks]
    null_f, null_k = one(res, "validation.null_share", "f"), one(res, "validation.null_share", "k")
    assert null_f.count == sum(f_missing) == 3 and null_k.count == sum(k_missing) == 2
    range_f, range_k = one(res, "validation.range", "f"), one(res, "validation.range", "k")
    f_out = [not m and not (0 <= v <= 10) for v, m in zip(fs, f_missing, strict=True)]
    k_out = [not m and not (0 <= v <= 10) for v, m in zip(ks, k_missing, strict=True)]
    assert range_f.count == sum(f_out) == 3 and range_k.count == sum(k_out) == 2
    assert "min -inf, max inf" in range_f.message
    assert "min -7, max 12)" in range_k.message
    assert range_k.examples == (3, 4) and range_f.examples == (3, 6, 8)


@pytest.mark.parametrize("bounds", ["[0, 10]", "[null, 10]", "[0, null]"])
def test_range_counts_equal_numpy_with_nan_null_and_infinities(run_audit: Callable[..., AuditResult],
                                                               bounds: str) -> None:
    """Counted without a mask of the usable values: NaN (which polars orders above every number) and null are
    never outside, infinities always are, and the observed min and max skip NaN and null."""
    xs = [NAN, None, 5.0, -1.0, 11.0, float("inf"), float("-inf"), 10.0, 0.0, NAN]
    lo, hi = {"[0, 10]": (0.0, 10.0), "[null, 10]": (None, 10.0), "[0, null]": (0.0, None)}[bounds]
    res = run_audit(contract(f"  x: {{type: float, range: {bounds}}}\n"), {"id": list(range(len(xs))), "x": xs},
                    only=["validation.range", "validation.null_share"])
    values = np.array([np.nan if v is None else v for v in xs])
    usable = values[~np.isnan(values)]
    outside = np.isinf(usable) | (usable < (lo if lo is not None else -np.inf)) | (usable > (hi if hi is not None
                                                                                            else np.inf))
    r = one(res, "validation.range", "x")
    assert (r.count, r.total) == (int(outside.sum()), len(xs))
    assert f"observed min {usable.min():.6g}, max {usable.max():.6g}" in r.message
    assert one(res, "validation.null_share", "x").count == 3


def test_range_of_a_column_with_no_number_has_no_observed_extremes(run_audit: Callable[..., AuditResult]) -> None:
    res = run_audit(contract("  x: {type: float, range: [0, 10]}\n"), {"id": [1, 2], "x": [NAN, NAN]},
                    only=["validation.range"])
    r = one(res, "validation.range", "x")
    assert r.count == 0 and "observed min None, max None" in r.message


# --------------------------------------------------------------------------- examples from a prefix


@pytest.fixture
def small_prefix(monkeypatch: pytest.MonkeyPatch) -> int:
    """Examples of failing checks are looked up on this many first rows before the whole snapshot."""
    monkeypatch.setattr("mlaudit.api.FOUND_PREFIX_ROWS", 10)
    return 10


def test_examples_beyond_the_prefix_come_from_the_whole_snapshot(run_audit: Callable[..., AuditResult],
                                                                small_prefix: int) -> None:
    """The first ten rows hold one violation of five: the examples are the first five of the whole file."""
    xs = [1.0] * 60
    for i in (3, 20, 30, 40, 45, 48, 55):
        xs[i] = 99.0
    res = run_audit(contract("  x: {type: float, range: [0, 10]}\n"), {"id": list(range(60)), "x": xs},
                    only=["validation.range"])
    assert one(res, "validation.range", "x").examples == (3, 20, 30, 40, 45)


def test_examples_found_in_the_prefix_are_those_of_the_whole_snapshot(run_audit: Callable[..., AuditResult],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    xs = [99.0 if i % 2 else 1.0 for i in range(60)]
    data = {"id": list(range(100, 160)), "x": xs, "s": [None if i % 3 else "a" for i in range(60)]}
    features = "  x: {type: float, range: [0, 10]}\n  s: {type: string, max_null_share: 0.1}\n"
    whole = run_audit(contract(features), data, only=["validation.range", "validation.null_share"])
    monkeypatch.setattr("mlaudit.api.FOUND_PREFIX_ROWS", 10)
    prefix = run_audit(contract(features), data, only=["validation.range", "validation.null_share"])
    for check, column in (("validation.range", "x"), ("validation.null_share", "s")):
        assert one(prefix, check, column).examples == one(whole, check, column).examples
        assert len(one(whole, check, column).examples) == 5
    assert one(prefix, "validation.range", "x").examples == (101, 103, 105, 107, 109)


def test_examples_of_a_rule_over_the_whole_column_are_never_taken_from_a_prefix(
        run_audit: Callable[..., AuditResult], small_prefix: int) -> None:
    """A rule may compare a row with an aggregate (the column's mean): on the first ten rows alone the mean
    is 30 and rows 5-9 would break the rule; over the whole file it is 5, and rows 10-14 are the first to."""
    b = [50.0] * 5 + [10.0] * 5 + [0.0] * 50
    res = run_audit(contract(extra=rules("{name: at_least_mean, expr: 'b >= AVG(b)'}")),
                    {"id": list(range(60)), "b": b}, only=["validation.rule"])
    assert one(res, "validation.rule", "at_least_mean").examples == (10, 11, 12, 13, 14)


def test_examples_of_repeated_values_are_never_taken_from_a_prefix(run_audit: Callable[..., AuditResult],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the first eleven rows 10-14 repeat; over the whole file 99 (row 0, again at row 50) comes
    first."""
    monkeypatch.setattr("mlaudit.api.FOUND_PREFIX_ROWS", 11)
    ids = [99, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, *range(1000, 1049)]
    ids[50] = 99
    res = run_audit(contract(columns="{id: id}"), {"id": ids, "x": [1.0] * 60}, only=["validation.unique"])
    assert one(res, "validation.unique", "id").examples == (99, 10, 11, 12, 13)
