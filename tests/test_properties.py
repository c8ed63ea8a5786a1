"""Property-based tests (Hypothesis): invariants that must hold for every input, not only the hand-picked ones.

- distances and two-sample statistics: ranges, zero on identical inputs, symmetry;
- audits: results independent of row order, of how the current snapshot is split into files, and of
  auditing against a reference profile instead of the raw reference (docs/profile.md);
- verdicts are monotone in the thresholds; the JSON report is byte-identical for the same inputs;
- metrics: Wilson and F1 intervals, the sign of a change, calibration error ranges;
- the contract loader raises nothing but ContractError (tests/fuzz_contract.py fuzzes the same property
  for minutes).

Every test is derandomized (the same examples on every run) and keeps no example database.
Properties that fail because of a product bug are kept and marked xfail(strict=True) with the bug.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlaudit
from mlaudit import profile as profiles
from mlaudit.contract.loader import LoadedContract, parse_contract
from mlaudit.report import json as json_report
from mlaudit.results import STATUS_RANK, AuditResult
from mlaudit.stats import calibration, distances, metrics, twosample
from tests.conftest import FIXED_NOW
from tests.fuzz_contract import check_one, contract_texts, known_bug

CLOCK = mlaudit.Clock(now=lambda: FIXED_NOW, timer=lambda: 0.0)
T = TypeVar("T", bound=Callable[..., Any])


def props(max_examples: int, **kwargs: Any) -> Callable[[T], T]:
    """Deterministic settings: the same examples on every run, no database, no deadline."""
    chosen = settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], **kwargs)

    def apply(test: T) -> T:
        return chosen(test)

    return apply


def close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    """Equal to `tol` relative (and 1e-12 absolute); NaN equals NaN, None equals None."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=tol, abs_tol=1e-12)


# =========================================================================== distances and two-sample tests

COUNT = st.integers(0, 10_000)


@st.composite
def count_pairs(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Two count vectors over the same 1 to 20 bins (zeros and all-zero vectors included)."""
    k = draw(st.integers(1, 20))
    return draw(st.lists(COUNT, min_size=k, max_size=k)), draw(st.lists(COUNT, min_size=k, max_size=k))


DISTANCES = {"psi": distances.psi, "jensen_shannon": distances.jensen_shannon, "hellinger": distances.hellinger,
             "linf": distances.linf}


@props(400)
@given(count_pairs())
@example(([5, 0], [0, 7]))  # disjoint supports: JSD, Hellinger and L-inf at their maximum 1
@example(([0, 0], [3, 1]))  # one side empty
def test_distances_are_non_negative_symmetric_and_bounded(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    for name, f in DISTANCES.items():
        ab, ba = f(a, b), f(b, a)
        assert ab >= 0.0, (name, ab)
        # PSI = sum (q - p) ln(q / p) with both shares floored at the same epsilon: symmetric by definition
        assert close(ab, ba), (name, ab, ba)
    assert distances.jensen_shannon(a, b) <= 1.0  # base 2
    assert distances.hellinger(a, b) <= 1.0
    assert distances.linf(a, b) <= 1.0
    assert close(float(np.sum(distances.psi_terms(a, b))), distances.psi(a, b))


@props(300)
@given(st.lists(COUNT, min_size=1, max_size=20), st.integers(1, 50))
def test_distances_are_zero_for_identical_and_proportional_counts(a: list[int], factor: int) -> None:
    for name, f in DISTANCES.items():
        assert f(a, list(a)) == pytest.approx(0.0, abs=1e-12), name
        assert f(a, [factor * x for x in a]) == pytest.approx(0.0, abs=1e-12), name  # same shares


@props(200)
@given(count_pairs())
def test_chi_square_is_non_negative_with_a_p_value(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    got, swapped = twosample.chi_square(a, b), twosample.chi_square(b, a)
    assert got.statistic >= 0.0
    assert 0.0 <= got.p_value <= 1.0
    assert close(got.statistic, swapped.statistic) and close(got.p_value, swapped.p_value)


def _samples(min_size: int = 1) -> st.SearchStrategy[np.ndarray[Any, Any]]:
    """Sorted finite samples with many ties (small integers) or spread values."""
    values = st.one_of(st.integers(-5, 5).map(float), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
    return hnp.arrays(np.float64, st.integers(min_size, 60), elements=values).map(np.sort)


@props(300)
@given(_samples(), _samples())
def test_ks_statistic_is_in_unit_interval_and_symmetric(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> None:
    ab, ba = twosample.ks_2samp(a, b), twosample.ks_2samp(b, a)
    assert 0.0 <= ab.statistic <= 1.0
    assert close(ab.statistic, ba.statistic)
    assert math.isnan(ab.p_value) or 0.0 <= ab.p_value <= 1.0
    assert twosample.ks_2samp(a, a.copy()).statistic == 0.0


@props(300)
@given(_samples(), _samples())
def test_wasserstein_is_non_negative_and_symmetric(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> None:
    ab, ba = twosample.wasserstein(a, b), twosample.wasserstein(b, a)
    assert ab >= 0.0
    assert close(ab, ba)
    assert twosample.wasserstein(a, a.copy()) == 0.0
    # the merged single pass gives the same two statistics
    ks, w1 = twosample.ks_and_wasserstein(a, b)
    assert close(ks.statistic, twosample.ks_2samp(a, b).statistic)
    assert close(w1, ab)


@props(200)
@given(hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e3, 1e3)).map(np.sort),
       st.floats(-100, 100))
def test_wasserstein_of_a_shift_is_the_shift(a: np.ndarray[Any, Any], shift: float) -> None:
    moved = a + shift
    assert twosample.wasserstein(a, moved) == pytest.approx(abs(moved[0] - a[0]), rel=1e-9, abs=1e-9)


# =========================================================================== audits on generated data

CONTRACT = """\
version: 1
model: {name: prop, task: regression}
features:
  x: {type: float, range: [-2, 2], max_null_share: 0.3}
  k: {type: int, range: [0, 5]}
  c: {type: category, allowed: [a, b, c, d]}
  s: {type: string, regex: 'S[0-9]{3}', unique: true}
  b: {type: bool}
drift: {min_rows: 10}
"""
CHECKS = ["drift.feature", "drift.null_share", "drift.dataset", "validation"]


def _with_nulls(rng: np.random.Generator, values: np.ndarray[Any, Any], null_share: float) -> list[Any]:
    out = values.astype(object)
    out[rng.random(values.size) < null_share] = None
    return list(out)


@st.composite
def frames(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A reference and a current snapshot: a float (nulls, NaN, sometimes infinities), an int, a category
    (nulls, a new value), a string id and a bool, with a drawn shift between the two."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_ref, n_cur = draw(st.integers(12, 250)), draw(st.integers(12, 250))
    shift = draw(st.sampled_from([0.0, 0.1, 0.5, 2.0]))
    null_ref, null_cur = draw(st.sampled_from([0.0, 0.05, 0.3])), draw(st.sampled_from([0.0, 0.05, 0.3, 0.6]))
    infinities = draw(st.booleans())
    rng = np.random.default_rng(seed)

    def frame(n: int, move: float, nulls: float, new_category: bool) -> pl.DataFrame:
        x = rng.normal(move, 1.0 + move, n)
        x[rng.random(n) < 0.03] = np.nan
        if infinities:
            x[rng.random(n) < 0.03] = np.inf
        cats = np.array(["a", "b", "c", "d", "z" if new_category else "a"])
        weights = np.array([4.0, 3.0, 2.0, 1.0, 1.0 if new_category else 0.0]) + move
        s = np.array([f"S{v:03d}" for v in rng.integers(0, 1000, n)], dtype=object)
        s[rng.random(n) < 0.05] = "bad"
        return pl.DataFrame({
            "x": pl.Series(_with_nulls(rng, x, nulls), dtype=pl.Float64),
            "k": pl.Series(_with_nulls(rng, rng.integers(0, 7, n), nulls), dtype=pl.Int64),
            "c": pl.Series(_with_nulls(rng, rng.choice(cats, n, p=weights / weights.sum()), nulls), dtype=pl.String),
            "s": pl.Series(list(s), dtype=pl.String),
            "b": pl.Series(list(rng.random(n) < 0.5 + move / 5), dtype=pl.Boolean),
        })

    return frame(n_ref, 0.0, null_ref, False), frame(n_cur, shift, null_cur, shift > 0)


_LOADED: dict[str, LoadedContract] = {}


def loaded(text: str = CONTRACT) -> LoadedContract:
    if text not in _LOADED:
        _LOADED[text] = parse_contract(text, "contract.yaml")
    return _LOADED[text]


def run(reference: Any, current: Any, contract: str = CONTRACT, only: list[str] | None = None) -> AuditResult:
    return mlaudit.audit(loaded(contract), reference, current, clock=CLOCK, only=CHECKS if only is None else only)


Key = tuple[str, str | None]


def findings(result: AuditResult) -> dict[Key, tuple[str, float | None, int | None, int | None]]:
    """(check, column) -> (status, value, count, total); one result per key."""
    out = {(r.check, r.column): (r.status.value, r.value, r.count, r.total) for r in result.results}
    assert len(out) == len(result.results)
    return out


def assert_same_findings(a: AuditResult, b: AuditResult, details: bool = False) -> None:
    """Same results, statuses, counts and values (to 1e-9); with `details`, the same details too."""
    fa, fb = findings(a), findings(b)
    assert fa.keys() == fb.keys()
    for key, (status, value, count, total) in fa.items():
        other = fb[key]
        assert status == other[0], (key, fa[key], other)
        assert close(value, other[1]), (key, fa[key], other)
        assert (count, total) == other[2:], (key, fa[key], other)
    if details:
        for ra, rb in zip(a.results, b.results, strict=True):
            _assert_equal_json(json_report.result_dict(ra)["details"], json_report.result_dict(rb)["details"],
                               f"{ra.check}:{ra.column}")


@props(60)
@given(frames(), st.integers(0, 2**32 - 1))
def test_audit_does_not_depend_on_row_order(pair: tuple[pl.DataFrame, pl.DataFrame], seed: int) -> None:
    """Statuses, values and every statistic in the details; only the example rows may differ."""
    ref, cur = pair
    rng = np.random.default_rng(seed)
    shuffled_ref = ref[rng.permutation(ref.height).tolist()]
    shuffled_cur = cur[rng.permutation(cur.height).tolist()]
    assert_same_findings(run(ref, cur), run(shuffled_ref, shuffled_cur), details=True)


def _comparable(result: AuditResult) -> dict[str, Any]:
    """The JSON report without what names the files (inputs, fingerprints) and timings."""
    data = json_report.to_dict(result)
    for key in ("inputs", "timings_s"):
        data.pop(key)
    return data


def _assert_equal_json(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _assert_equal_json(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_equal_json(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert close(a, b), (where, a, b)
    else:
        assert a == b, (where, a, b)


@props(30)
@given(frames(), st.lists(st.floats(0, 1), min_size=2, max_size=2))
def test_audit_does_not_depend_on_how_current_is_split_into_files(
        pair: tuple[pl.DataFrame, pl.DataFrame], cuts: list[float]) -> None:
    ref, cur = pair
    lo, hi = sorted(round(c * cur.height) for c in cuts)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ref.write_parquet(root / "ref.parquet")
        cur.write_parquet(root / "cur.parquet")
        (root / "parts").mkdir()
        for i, (start, end) in enumerate([(0, lo), (lo, hi), (hi, cur.height)]):
            cur.slice(start, end - start).write_parquet(root / "parts" / f"part-{i}.parquet")
        whole = run(root / "ref.parquet", root / "cur.parquet")
        split = run(root / "ref.parquet", root / "parts")
    assert split.inputs[1].files == 3 and split.inputs[1].rows == cur.height
    _assert_equal_json(_comparable(whole), _comparable(split))


@props(25)
@given(frames())
def test_audit_against_a_profile_finds_what_the_raw_reference_finds(pair: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """mlaudit has no way to merge profiles; docs/profile.md promises instead that a profile of a reference of
    at most 20,000 rows gives the same findings as the raw reference."""
    ref, cur = pair
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ref.write_parquet(root / "ref.parquet")
        profiles.build(loaded(), str(root / "ref.parquet"), root / "ref.profile")
        raw = run(root / "ref.parquet", cur)
        via = run(root / "ref.profile", cur)
    assert_same_findings(raw, via)


# --------------------------------------------------------------------------- thresholds

#: Checks whose statistic is graded against thresholds.<id>.warn/fail, larger being worse.
GRADED = ["drift.feature", "drift.null_share", "validation.null_share", "validation.range",
          "validation.allowed_values", "validation.regex", "validation.unique"]
LEVEL = st.one_of(st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0]), st.floats(0, 1))


@st.composite
def level_ladders(draw: st.DrawFn) -> list[tuple[float, float]]:
    """Three (warn, fail) pairs with warn < fail, each pair no higher than the next: strict, middle, loose."""
    fails = sorted(draw(st.lists(LEVEL.filter(lambda f: f > 0), min_size=3, max_size=3)))
    ratios = sorted(draw(st.lists(st.floats(0, 0.99), min_size=3, max_size=3)))
    warns = [f * r for f, r in zip(fails, ratios, strict=True)]
    for i in (1, 2):  # keep the warn levels ordered too
        warns[i] = max(warns[i], warns[i - 1])
    return list(zip(warns, fails, strict=True))


def _graded_ranks(ref: pl.DataFrame, cur: pl.DataFrame, check: str, levels: list[str]) -> list[dict[str | None, int]]:
    """Status rank per column of `check` under each `thresholds.<check>` mapping in `levels`."""
    ranks = []
    for written in levels:
        result = run(ref, cur, CONTRACT + f"thresholds:\n  {check}: {written}\n", only=[check])
        ranks.append({r.column: STATUS_RANK[r.status] for r in result.results if r.check == check})
    return ranks


def _assert_monotone(ranks: list[dict[str | None, int]], context: object) -> None:
    for stricter, looser in itertools.pairwise(ranks):
        assert stricter.keys() == looser.keys()
        for column in stricter:
            assert stricter[column] >= looser[column], (column, ranks, context)


@props(80)
@given(frames(), st.sampled_from(GRADED), level_ladders())
def test_stricter_thresholds_never_improve_a_status(pair: tuple[pl.DataFrame, pl.DataFrame], check: str,
                                                    ladder: list[tuple[float, float]]) -> None:
    """Lowering warn and fail never lowers a status; raising them never raises one (the same chain read
    backwards)."""
    ref, cur = pair
    levels = [f"{{warn: {w!r}, fail: {f!r}}}" for w, f in ladder]
    _assert_monotone(_graded_ranks(ref, cur, check, levels), (check, ladder))


@props(30, phases=[Phase.explicit, Phase.generate])  # no shrinking: the minimal case is the test below
@given(frames(), st.sampled_from(GRADED), st.lists(LEVEL, min_size=3, max_size=3).map(sorted))
def test_stricter_fail_levels_alone_never_improve_a_status(pair: tuple[pl.DataFrame, pl.DataFrame], check: str,
                                                           fails: list[float]) -> None:
    """The same with only `fail` written (warn stays the default, and is dropped where it is not below fail)."""
    ref, cur = pair
    _assert_monotone(_graded_ranks(ref, cur, check, [f"{{fail: {f!r}}}" for f in fails]), (check, fails))


@pytest.mark.parametrize("levels", ["{fail: 0.05}", "{warn: 0.2, fail: 0.2}"])
def test_drift_feature_with_no_warn_level_below_fail(levels: str) -> None:
    rng = np.random.default_rng(0)
    ref = pl.DataFrame({"x": rng.normal(0, 1, 500)})
    cur = pl.DataFrame({"x": rng.normal(0.5, 1, 500)})
    contract = f"version: 1\nmodel: {{name: m, task: regression}}\nfeatures:\n  x: {{type: float}}\n" \
               f"thresholds:\n  drift.feature: {levels}\n"
    result = mlaudit.audit(parse_contract(contract), ref, cur, clock=CLOCK, only=["drift.feature"])
    assert [r.status.value for r in result.results] == ["fail"]


# --------------------------------------------------------------------------- determinism


@props(15)
@given(frames())
def test_same_inputs_and_clock_give_byte_identical_json(pair: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Every check (not only drift and validation), from files and from DataFrames."""
    ref, cur = pair
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ref.write_parquet(root / "ref.parquet")
        cur.write_parquet(root / "cur.parquet")
        from_files = {json_report.render(mlaudit.audit(loaded(), root / "ref.parquet", root / "cur.parquet",
                                                       clock=CLOCK)) for _ in range(2)}
    from_frames = {json_report.render(mlaudit.audit(loaded(), ref.clone(), cur.clone(), clock=CLOCK))
                   for _ in range(2)}
    assert len(from_files) == 1 and len(from_frames) == 1


# =========================================================================== metrics

PROPORTIONS = st.integers(1, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@props(300)
@given(PROPORTIONS)
@example((0, 3))
@example((10, 10))
def test_wilson_interval_contains_the_proportion_within_unit_interval(kn: tuple[int, int]) -> None:
    k, n = kn
    e = metrics.wilson(k, n)
    assert e.value == k / n
    assert 0.0 <= e.low <= e.value <= e.high <= 1.0, e


@props(300)
@given(PROPORTIONS)
def test_wilson_interval_contains_the_proportion_up_to_rounding(kn: tuple[int, int]) -> None:
    """The same property to 1e-12: only the rounding at k = 0 and k = n (above) breaks it."""
    k, n = kn
    e = metrics.wilson(k, n)
    eps = 1e-12
    assert -eps <= e.low <= e.value + eps and e.value - eps <= e.high <= 1.0 + eps, e
    assert e.se >= 0.0 and e.n == n


@props(200)
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_f1_interval_contains_f1_within_unit_interval(tp: int, fp: int, fn: int, tn: int) -> None:
    e = metrics.f1(tp, fp, fn, tp + fp + fn + tn)
    if tp + fp + fn == 0:
        assert not e.ok
        return
    assert 0.0 <= e.low <= e.value <= e.high <= 1.0, e


ESTIMATES = st.builds(lambda v, se, n: metrics.Estimate(v, v - 1.96 * se, v + 1.96 * se, se, n),
                      st.floats(-1e6, 1e6), st.one_of(st.floats(0, 1e3), st.just(float("nan"))), st.integers(1, 10**6))
METRIC_NAMES = sorted(metrics.METRIC_DOCS)


@props(400)
@given(st.sampled_from(METRIC_NAMES), ESTIMATES, ESTIMATES)
def test_change_is_positive_when_the_metric_got_worse(name: str, reference: metrics.Estimate,
                                                      current: metrics.Estimate) -> None:
    got = metrics.change(name, reference, current)
    worse = current.value < reference.value if name in metrics.HIGHER_IS_BETTER else current.value > reference.value
    better = current.value > reference.value if name in metrics.HIGHER_IS_BETTER else current.value < reference.value
    assert (got.degradation > 0) == worse
    assert (got.degradation < 0) == better
    assert got.degradation == -metrics.change(name, current, reference).degradation
    if reference.value != 0:
        assert np.sign(got.relative) == np.sign(got.degradation)
    assert math.isnan(got.p_value) or 0.0 <= got.p_value <= 1.0
    if not math.isnan(got.p_value) and got.degradation > 0:
        assert got.p_value <= 0.5  # more worse than better


@st.composite
def scored_outcomes(draw: st.DrawFn) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    n = draw(st.integers(1, 200))
    p = draw(hnp.arrays(np.float64, n, elements=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.1, 0.5, 1.0]))))
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    return p, y


@props(300)
@given(scored_outcomes(), st.integers(2, 30))
def test_calibration_errors_lie_in_unit_interval(data: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
                                                 bins: int) -> None:
    p, y = data
    for equal_mass in (False, True):
        ece, mce = calibration.ece(p, y, bins, equal_mass=equal_mass)
        assert 0.0 <= ece <= 1.0 and 0.0 <= mce <= 1.0
        assert ece <= mce + 1e-12  # a weighted mean of the gaps is at most the largest gap
    c = calibration.calibration(p, y, bins)
    assert 0.0 <= c.ece <= 1.0 and 0.0 <= c.ece_equal_mass <= 1.0
    assert 0.0 <= c.reliability <= 1.0 and 0.0 <= c.resolution <= 1.0 and 0.0 <= c.uncertainty <= 0.25
    assert sum(d["rows"] for d in c.diagram) == p.size


# =========================================================================== contract loader

#: Inputs that crash the loader with something other than ContractError (found by the properties below and
#: tests/fuzz_contract.py). `mlaudit contract check` and `mlaudit audit` then exit 4, "internal error ... This
#: is a bug in mlaudit", instead of 2 with a located message.
_M = "version: 1\nmodel: {name: m, task: regression}\n"
KNOWN_CRASHES = {
    # PyYAML's resolver accepts these as timestamps, its constructor raises ValueError; _Composer._scalar
    # catches only yaml.YAMLError
    "impossible date": "version: 1\nmodel: {name: m, task: regression, trained_at: 2026-02-30}\n",
    "month 13": "version: 1\nmodel: {name: m, task: regression, trained_at: 2026-13-01}\n",
    "time zone offset of 24h or more": _M + "foo: 2026-01-01 10:00:00 +24:00\n",
    # explicit standard tags on values they cannot construct: ValueError, KeyError, AttributeError, IndexError
    "!!int on a word": "version: !!int abc\n",
    "!!bool on a word": "version: !!bool maybe\n",
    "!!float on a word": "version: !!float x\n",
    "!!timestamp on a word": "version: !!timestamp nope\n",
    "!!int on a decimal": "version: !!int 0.5\n",
    "!!int on a sexagesimal with a fraction": "version: !!int 1:30.5\n",
    "!!int on nothing": "version: !!int\n",
    "!!float on nothing": _M + "drift: {bins: !!float }\n",
    # plain scalars the int resolver matches but int() refuses
    "0x_": _M + "foo: 0x_\n",
    "0b_": _M + "foo: 0b_\n",
    # Python's 4300-digit limit: in PyYAML's int(), and in the loader's own repr() of a huge hexadecimal value
    "decimal integer of 4301 digits": "version: " + "9" * 4301 + "\n",
    "huge hex version (loader.py repr)": "version: 0x" + "F" * 3600 + "\n",
    "huge hex value (loader.py _pydantic_problems repr)": _M + "drift: {bins: 0x" + "F" * 3600 + "}\n",
    # nesting deeper than the Python stack: RecursionError in yaml.compose / _Composer.value
    "500 nested flow sequences": "a: " + "[" * 500 + "]" * 500 + "\n",
    "500 nested block mappings": "".join(" " * i + "k:\n" for i in range(500)),
}


@pytest.mark.parametrize("text", list(KNOWN_CRASHES.values()), ids=list(KNOWN_CRASHES))
def test_known_loader_crashes(text: str) -> None:
    outcome = check_one(text)
    assert outcome.kind in ("ok", "contract_error"), (outcome.signature, outcome.error)


@props(400, phases=[Phase.explicit, Phase.generate])  # no shrinking: the minimal inputs are in KNOWN_CRASHES
@given(contract_texts(known_bugs=True))
def test_loader_raises_only_contract_error(text: str) -> None:
    outcome = check_one(text, timeout_s=10)
    assert outcome.kind in ("ok", "contract_error"), (outcome.signature, outcome.error, text)


@props(800)
@given(contract_texts(known_bugs=False))
def test_loader_raises_only_contract_error_apart_from_the_known_bugs(text: str) -> None:
    """The property above on inputs without the known bug triggers; a crash of a known class that the
    generators hit anyway (a mutation writing month 13) is left to the tests above."""
    outcome = check_one(text, timeout_s=10)
    assume(known_bug(outcome) is None)
    assert outcome.kind in ("ok", "contract_error"), (outcome.signature, outcome.error, text)


@props(600)
@given(st.binary(max_size=500))
def test_loader_on_raw_bytes_raises_only_contract_error(raw: bytes) -> None:
    outcome = check_one(raw.decode("utf-8", errors="replace"), timeout_s=10)
    assert outcome.kind in ("ok", "contract_error"), (outcome.signature, outcome.error, raw)
