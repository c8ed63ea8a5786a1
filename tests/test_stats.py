"""mlaudit.stats checked against independent plain numpy / scipy computations.

Every statistic is recomputed here from its textbook definition (or by the
matching scipy routine) on the same seeded inputs and compared to 1e-9
relative. The cases cover normal data, a heavy lognormal tail, discrete data
with many ties, tiny samples (1-5 values) and very unequal sample sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from mlaudit.stats import binning, compare, distances, twosample

# scipy's own ks_2samp (the reference computation) warns on 1-by-1 samples, where its p-value is NaN too
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")


def approx(expected: float) -> object:
    return pytest.approx(expected, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- inputs

def _normal(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0.0, 1.0, n), rng.normal(0.3, 1.2, m)


def _lognormal(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.lognormal(0.0, 2.0, n), rng.lognormal(0.2, 2.2, m)


def _discrete(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 5, n).astype(np.float64), rng.integers(1, 6, m).astype(np.float64)


def _poisson(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.poisson(2.0, n).astype(np.float64), rng.poisson(2.5, m).astype(np.float64)


def _same(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(5.0, 2.0, n), rng.normal(5.0, 2.0, m)


GENERATORS: dict[str, Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]] = {
    "normal": _normal, "lognormal": _lognormal, "discrete": _discrete, "poisson": _poisson, "same": _same,
}
SIZES = [(1, 1), (1, 3), (2, 5), (3, 4), (5, 2), (4, 4), (50, 50), (200, 150), (1000, 17), (13, 2000)]
SEEDS = [0, 1, 2]

CASES = [(g, n, m, s) for g in GENERATORS for (n, m) in SIZES for s in SEEDS]
CASE_IDS = [f"{g}-{n}x{m}-s{s}" for g, n, m, s in CASES]


def _pair(gen: str, n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, n, m, list(GENERATORS).index(gen)])
    return GENERATORS[gen](rng, n, m)


def _counts(seed: int, k: int, zero_share: float = 0.3, high: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Two count vectors over k categories, with some zeros on either or both sides."""
    rng = np.random.default_rng([seed, k, 99])
    a = rng.integers(0, high, k)
    b = rng.integers(0, high, k)
    a[rng.random(k) < zero_share] = 0
    b[rng.random(k) < zero_share] = 0
    if a.sum() == 0:
        a[0] = 1
    if b.sum() == 0:
        b[-1] = 1
    return a, b


COUNT_CASES = [(s, k) for s in range(6) for k in (2, 3, 5, 10, 25)]
COUNT_IDS = [f"s{s}-k{k}" for s, k in COUNT_CASES]


# --------------------------------------------------------------------------- Kolmogorov-Smirnov

@pytest.mark.parametrize(("gen", "n", "m", "seed"), CASES, ids=CASE_IDS)
def test_ks_matches_scipy_asymp(gen: str, n: int, m: int, seed: int) -> None:
    a, b = _pair(gen, n, m, seed)
    got = twosample.ks_2samp(np.sort(a), np.sort(b))
    want = sps.ks_2samp(a, b, method="asymp")
    assert got.statistic == approx(float(want.statistic))
    if np.isnan(want.pvalue):  # n = m = 1: round(n*m/(n+m)) = 0, kstwo undefined in scipy too
        assert np.isnan(got.p_value)
    else:
        assert got.p_value == approx(float(want.pvalue))
        assert 0.0 <= got.p_value <= 1.0
    assert 0.0 <= got.statistic <= 1.0


def test_ks_brute_force_sup_over_pooled_points_with_ties() -> None:
    a = np.array([1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 7.0])
    b = np.array([2.0, 2.0, 3.0, 3.0, 9.0])
    pooled = np.concatenate([a, b])
    d = max(abs(np.mean(a <= x) - np.mean(b <= x)) for x in pooled)
    got = twosample.ks_2samp(np.sort(a), np.sort(b))
    assert got.statistic == approx(d)
    assert got.p_value == approx(float(sps.kstwo.sf(d, round(7 * 5 / 12))))


def test_ks_with_infinities_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    a = np.concatenate([rng.normal(size=100), [np.inf, -np.inf, np.inf]])
    b = np.concatenate([rng.normal(0.5, 1, size=80), [np.inf]])
    got = twosample.ks_2samp(np.sort(a), np.sort(b))
    want = sps.ks_2samp(a, b, method="asymp")
    assert got.statistic == approx(float(want.statistic))
    assert got.p_value == approx(float(want.pvalue))


def test_ks_identical_samples() -> None:
    a = np.sort(np.random.default_rng(3).normal(size=40))
    got = twosample.ks_2samp(a, a.copy())
    assert got.statistic == 0.0
    assert got.p_value == 1.0


@pytest.mark.parametrize(("a", "b"), [([], [1.0, 2.0]), ([1.0], []), ([], [])])
def test_ks_empty_is_nan(a: list[float], b: list[float]) -> None:
    got = twosample.ks_2samp(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64))
    assert np.isnan(got.statistic)
    assert np.isnan(got.p_value)


# --------------------------------------------------------------------------- Wasserstein

@pytest.mark.parametrize(("gen", "n", "m", "seed"), CASES, ids=CASE_IDS)
def test_wasserstein_matches_scipy(gen: str, n: int, m: int, seed: int) -> None:
    a, b = _pair(gen, n, m, seed)
    got = twosample.wasserstein(np.sort(a), np.sort(b))
    assert got == approx(float(sps.wasserstein_distance(a, b)))
    assert got >= 0.0


def test_wasserstein_simple_values() -> None:
    # Point masses: W1 is the distance between them; a shift moves W1 by the shift.
    assert twosample.wasserstein(np.array([0.0]), np.array([3.5])) == approx(3.5)
    a = np.sort(np.random.default_rng(4).normal(size=30))
    assert twosample.wasserstein(a, a + 2.25) == approx(2.25)
    assert twosample.wasserstein(a, a.copy()) == 0.0


@pytest.mark.parametrize(("a", "b"), [([], [1.0]), ([1.0], []), ([], [])])
def test_wasserstein_empty_is_nan(a: list[float], b: list[float]) -> None:
    assert np.isnan(twosample.wasserstein(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)))


# --------------------------------------------------------------------------- chi-square

@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_chi_square_matches_scipy(seed: int, k: int) -> None:
    ref, cur = _counts(seed, k)
    # Force at least one column empty on both sides to exercise the dropping.
    ref = np.append(ref, 0)
    cur = np.append(cur, 0)
    got = twosample.chi_square(ref, cur)
    table = np.array([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        assert (got.statistic, got.p_value) == (0.0, 1.0)
        return
    want = sps.chi2_contingency(table, correction=False)
    assert got.statistic == approx(float(want.statistic))
    assert got.p_value == approx(float(want.pvalue))


def test_chi_square_hand_computed_2x2() -> None:
    # [[10, 20], [30, 40]]: chi2 = N (ad - bc)^2 / (r1 r2 c1 c2)
    a, b, c, d = 10, 20, 30, 40
    n = a + b + c + d
    chi2 = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    got = twosample.chi_square([a, b], [c, d])
    assert got.statistic == approx(chi2)
    assert got.p_value == approx(float(sps.chi2.sf(chi2, 1)))


@pytest.mark.parametrize(("ref", "cur"), [([5], [9]), ([5, 0, 0], [9, 0, 0]), ([0, 4, 0], [0, 1, 0])])
def test_chi_square_single_category(ref: list[int], cur: list[int]) -> None:
    got = twosample.chi_square(ref, cur)
    assert (got.statistic, got.p_value) == (0.0, 1.0)


def test_chi_square_identical_shares_is_zero() -> None:
    got = twosample.chi_square([10, 20, 30], [20, 40, 60])
    assert got.statistic == approx(0.0)
    assert got.p_value == approx(1.0)


# --------------------------------------------------------------------------- two proportions

PROPORTION_CASES = [(3, 10, 7, 12), (1, 1, 0, 1), (0, 5, 5, 5), (50, 100, 60, 100), (12, 1000, 40, 900),
                    (1, 3, 2, 4), (999, 1000, 1, 1000), (17, 230, 5, 31)]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), PROPORTION_CASES)
def test_two_proportions_matches_2x2_chi_square(k1: int, n1: int, k2: int, n2: int) -> None:
    got = twosample.two_proportions(k1, n1, k2, n2)
    assert got.statistic == k2 / n2 - k1 / n1
    want = sps.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    assert got.p_value == approx(float(want.pvalue))


def test_two_proportions_random() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        n1, n2 = (int(x) for x in rng.integers(1, 500, 2))
        k1, k2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        got = twosample.two_proportions(k1, n1, k2, n2)
        assert got.statistic == k2 / n2 - k1 / n1
        if (k1 + k2) in (0, n1 + n2):
            assert got.p_value == 1.0
            continue
        want = sps.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
        assert got.p_value == approx(float(want.pvalue))


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(0, 10, 0, 20), (10, 10, 20, 20), (0, 1, 0, 1), (1, 1, 1, 1)])
def test_two_proportions_degenerate(k1: int, n1: int, k2: int, n2: int) -> None:
    got = twosample.two_proportions(k1, n1, k2, n2)
    assert got.statistic == 0.0
    assert got.p_value == 1.0


def test_two_proportions_empty_group_is_nan() -> None:
    got = twosample.two_proportions(0, 0, 3, 10)
    assert np.isnan(got.statistic) and np.isnan(got.p_value)


# --------------------------------------------------------------------------- multiple testing

def _p_value_sets() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    sets = [np.array([0.5]), np.array([0.01, 0.04, 0.03, 0.2]), np.array([0.02, 0.02, 0.02, 0.5, 0.5]),
            np.array([0.0, 1.0, 1.0, 0.0]), np.array([1e-300, 1e-12, 0.9])]
    for n in (3, 10, 57, 400):
        p = rng.random(n) ** 3
        p[: n // 5] = np.round(p[: n // 5], 2)  # ties
        sets.append(rng.permutation(p))
    return sets


@pytest.mark.parametrize("p", _p_value_sets(), ids=lambda p: f"m{p.size}")
def test_benjamini_hochberg_matches_scipy(p: np.ndarray) -> None:
    got = twosample.benjamini_hochberg(p)
    want = sps.false_discovery_control(p, method="bh")
    assert got.shape == p.shape
    for g, w in zip(got, want, strict=True):
        assert g == approx(float(w))
    assert np.all(got >= p - 1e-15) and np.all(got <= 1.0)


@pytest.mark.parametrize("p", _p_value_sets(), ids=lambda p: f"m{p.size}")
def test_benjamini_hochberg_nan_preserved(p: np.ndarray) -> None:
    rng = np.random.default_rng(p.size)
    with_nan = p.copy()
    positions = rng.choice(p.size + 3, 3, replace=False)
    with_nan = np.insert(with_nan, np.sort(positions) - np.arange(3), np.nan)
    got = twosample.benjamini_hochberg(with_nan)
    nan = np.isnan(with_nan)
    assert np.array_equal(np.isnan(got), nan)
    want = sps.false_discovery_control(with_nan[~nan], method="bh")
    for g, w in zip(got[~nan], want, strict=True):
        assert g == approx(float(w))


def test_benjamini_hochberg_all_nan_and_empty() -> None:
    assert np.all(np.isnan(twosample.benjamini_hochberg([np.nan, np.nan])))
    assert twosample.benjamini_hochberg([]).size == 0


@pytest.mark.parametrize("p", _p_value_sets(), ids=lambda p: f"m{p.size}")
def test_bonferroni(p: np.ndarray) -> None:
    got = twosample.bonferroni(p)
    for g, x in zip(got, p, strict=True):
        assert g == approx(min(1.0, float(x) * p.size))
    with_nan = np.append(p, [np.nan, np.nan])
    got = twosample.bonferroni(with_nan)
    assert np.isnan(got[-2:]).all()
    for g, x in zip(got[:-2], p, strict=True):
        assert g == approx(min(1.0, float(x) * p.size))  # m excludes NaN


# --------------------------------------------------------------------------- distances on counts

def _psi_reference(ref: np.ndarray, cur: np.ndarray, eps: float) -> float:
    total_r, total_c = float(sum(ref)), float(sum(cur))
    out = 0.0
    for r, c in zip(ref, cur, strict=True):
        p = max(r / total_r, eps)
        q = max(c / total_c, eps)
        out += (q - p) * math.log(q / p)
    return out


@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_psi_matches_formula(seed: int, k: int) -> None:
    ref, cur = _counts(seed, k)
    got = distances.psi(ref, cur)
    assert distances.PSI_EPSILON == 1e-4
    assert got == approx(_psi_reference(ref, cur, 1e-4))
    assert np.isfinite(got) and got >= 0.0
    terms = distances.psi_terms(ref, cur)
    assert terms.shape == (k,)
    assert np.all(np.isfinite(terms)) and np.all(terms >= 0.0)
    assert float(np.sum(terms)) == approx(got)
    assert distances.psi(ref, cur, epsilon=1e-6) == approx(_psi_reference(ref, cur, 1e-6))


def test_psi_empty_bin_uses_floor() -> None:
    # ref [1, 0], cur [0, 1]: both bins are (1 - eps) * ln(1 / eps) after the floor.
    eps = distances.PSI_EPSILON
    expected = 2 * (1 - eps) * math.log(1 / eps)
    assert distances.psi([5, 0], [0, 7]) == approx(expected)


@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_jensen_shannon_matches_scipy(seed: int, k: int) -> None:
    ref, cur = _counts(seed, k)
    p, q = ref / ref.sum(), cur / cur.sum()
    got = distances.jensen_shannon(ref, cur)
    assert got == approx(float(jensenshannon(p, q, base=2)))
    assert 0.0 <= got <= 1.0


def test_jensen_shannon_disjoint_support_is_one() -> None:
    assert distances.jensen_shannon([3, 0, 4, 0], [0, 2, 0, 9]) == approx(1.0)


def _hellinger_bc(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sqrt(max(1.0 - np.sum(np.sqrt(p * q)), 0.0)))


def _hellinger_norm(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / math.sqrt(2.0))


@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_hellinger_matches_both_formulas(seed: int, k: int) -> None:
    ref, cur = _counts(seed, k)
    p, q = ref / ref.sum(), cur / cur.sum()
    got = distances.hellinger(ref, cur)
    assert got == approx(_hellinger_bc(p, q))
    assert got == approx(_hellinger_norm(p, q))
    assert 0.0 <= got <= 1.0


def test_hellinger_disjoint_support_is_one() -> None:
    assert distances.hellinger([3, 0, 4, 0], [0, 2, 0, 9]) == approx(1.0)


@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_linf_matches_max_abs_diff(seed: int, k: int) -> None:
    ref, cur = _counts(seed, k)
    p, q = ref / ref.sum(), cur / cur.sum()
    assert distances.linf(ref, cur) == approx(max(abs(a - b) for a, b in zip(p, q, strict=True)))


def test_linf_empty() -> None:
    assert distances.linf([], []) == 0.0


def test_shares() -> None:
    assert distances.shares([1, 3]).tolist() == [0.25, 0.75]
    assert distances.shares([0, 0]).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_distances_zero_on_identical_inputs(seed: int, k: int) -> None:
    ref, _ = _counts(seed, k)
    for same in (ref.copy(), ref * 3):  # identical counts, and identical shares at another size
        assert distances.psi(ref, same) == approx(0.0)
        assert distances.jensen_shannon(ref, same) == approx(0.0)
        assert distances.linf(ref, same) == approx(0.0)
        assert distances.hellinger(ref, same) == approx(0.0)
        assert float(np.sum(distances.psi_terms(ref, same))) == approx(0.0)


def test_hellinger_exactly_zero_for_identical_counts_regression() -> None:
    # sum(shares) rounds to 1 - 2**-53 here, so sqrt(1 - sum sqrt(p q)) is 1.05e-8, not 0.
    c = np.array([11, 2, 44, 8, 40, 21, 17, 8, 31, 23, 17, 27, 35, 2])
    assert distances.hellinger(c, c) == approx(0.0)


def test_hellinger_precision_near_identical() -> None:
    # A tiny shift: the norm form is accurate, 1 - Bhattacharyya cancels catastrophically.
    ref = np.array([1_000_000, 1_000_000, 1_000_000])
    cur = np.array([1_000_001, 1_000_000, 999_999])
    p, q = distances.shares(ref), distances.shares(cur)
    assert distances.hellinger(ref, cur) == approx(_hellinger_norm(p, q))


def test_distances_handle_zeros_without_nan_or_inf() -> None:
    cases = [([0, 5, 0, 3], [4, 0, 0, 6]), ([1, 0], [0, 1]), ([0, 0, 9], [0, 0, 9]), ([7], [3])]
    for ref, cur in cases:
        values = [distances.psi(ref, cur), distances.jensen_shannon(ref, cur), distances.hellinger(ref, cur),
                  distances.linf(ref, cur), *distances.psi_terms(ref, cur)]
        assert all(np.isfinite(v) and v >= 0.0 for v in values), (ref, cur, values)


# --------------------------------------------------------------------------- properties

@pytest.mark.parametrize(("seed", "k"), COUNT_CASES, ids=COUNT_IDS)
def test_count_distances_symmetric_nonnegative_bounded(seed: int, k: int) -> None:
    ref, cur = _counts(seed, k)
    for f in (distances.jensen_shannon, distances.hellinger, distances.linf, distances.psi):
        d1, d2 = f(ref, cur), f(cur, ref)
        assert d1 == approx(d2), f.__name__
        assert d1 >= 0.0, f.__name__
    for f in (distances.jensen_shannon, distances.hellinger, distances.linf):
        assert 0.0 <= f(ref, cur) <= 1.0, f.__name__
    # Invariant to scaling the counts (depends only on shares).
    for f in (distances.jensen_shannon, distances.hellinger, distances.linf, distances.psi):
        assert f(ref * 7, cur * 2) == approx(f(ref, cur)), f.__name__


@pytest.mark.parametrize(("gen", "n", "m", "seed"), CASES, ids=CASE_IDS)
def test_sample_distances_symmetric(gen: str, n: int, m: int, seed: int) -> None:
    a, b = (np.sort(x) for x in _pair(gen, n, m, seed))
    w_ab, w_ba = twosample.wasserstein(a, b), twosample.wasserstein(b, a)
    assert w_ab == approx(w_ba) and w_ab >= 0.0
    ks_ab, ks_ba = twosample.ks_2samp(a, b), twosample.ks_2samp(b, a)
    assert ks_ab.statistic == approx(ks_ba.statistic)
    assert 0.0 <= ks_ab.statistic <= 1.0
    if not np.isnan(ks_ab.p_value):
        assert ks_ab.p_value == approx(ks_ba.p_value)


# --------------------------------------------------------------------------- binning

def _brute_counts(values: np.ndarray, edges: np.ndarray) -> list[int]:
    bounds = [-np.inf, *edges.tolist(), np.inf]
    counts = [0] * (len(bounds) - 1)
    for v in values:
        for i in range(len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            last = i == len(bounds) - 2
            first = i == 0
            if (first or v > lo) and (v <= hi or last):
                counts[i] += 1
                break
        else:
            raise AssertionError(f"{v} not binned")
    return counts


@pytest.mark.parametrize("bins", [2, 4, 10, 20])
@pytest.mark.parametrize(("gen", "n", "m", "seed"), CASES[::3], ids=CASE_IDS[::3])
def test_quantile_edges_and_bin_counts(gen: str, n: int, m: int, seed: int, bins: int) -> None:
    a, b = (np.sort(x) for x in _pair(gen, n, m, seed))
    edges = binning.quantile_edges(a, bins)
    want = np.unique(np.quantile(a, [j / bins for j in range(1, bins)]))
    assert edges.tolist() == want.tolist()
    assert np.all(np.diff(edges) > 0)
    for values in (a, b):
        got = binning.bin_counts(values, edges)
        assert got.tolist() == _brute_counts(values, edges)
        assert int(got.sum()) == values.size
    assert len(binning.bin_labels(edges)) == edges.size + 1


def test_quantile_edges_ignore_infinities() -> None:
    ref = np.sort(np.array([-np.inf, 1.0, 2.0, 3.0, 4.0, 5.0, np.inf, np.inf]))
    edges = binning.quantile_edges(ref, 4)
    assert edges.tolist() == np.unique(np.quantile([1.0, 2.0, 3.0, 4.0, 5.0], [0.25, 0.5, 0.75])).tolist()


def test_quantile_edges_degenerate() -> None:
    assert binning.quantile_edges(np.array([]), 10).size == 0
    assert binning.quantile_edges(np.array([np.inf, np.inf]), 10).size == 0
    assert binning.quantile_edges(np.array([1.0, 2.0, 3.0]), 1).size == 0
    assert binning.quantile_edges(np.array([4.0, 4.0, 4.0]), 10).tolist() == [4.0]


def test_edge_values_go_to_lower_bin() -> None:
    edges = np.array([1.0, 2.0, 3.0])
    values = np.array([1.0, 2.0, 3.0, 1.0 + 1e-12, 0.5, 3.5])
    assert binning.bin_counts(values, edges).tolist() == [2, 2, 1, 1]
    assert binning.bin_counts(values, edges).tolist() == _brute_counts(values, edges)


def test_infinities_land_in_outer_bins() -> None:
    edges = np.array([0.0, 1.0])
    values = np.array([-np.inf, -np.inf, 0.5, np.inf])
    assert binning.bin_counts(values, edges).tolist() == [2, 1, 1]
    assert binning.bin_counts(np.array([-np.inf, np.inf]), np.empty(0)).tolist() == [2]


def test_discrete_data_collapses_edges() -> None:
    ref = np.sort(np.random.default_rng(8).integers(0, 3, 500).astype(np.float64))
    edges = binning.quantile_edges(ref, 10)
    assert set(edges.tolist()) <= {0.0, 1.0, 2.0}
    assert edges.size < 9
    counts = binning.bin_counts(ref, edges)
    assert counts.tolist() == _brute_counts(ref, edges)
    assert int(counts.sum()) == 500


def test_bin_labels() -> None:
    assert binning.bin_labels(np.array([1.5, 3.0])) == ["(-inf, 1.5]", "(1.5, 3]", "(3, inf)"]
    assert binning.bin_labels(np.empty(0)) == ["(-inf, inf)"]


# --------------------------------------------------------------------------- compare.numeric

@pytest.mark.parametrize("bins", [5, 10])
@pytest.mark.parametrize(("gen", "n", "m", "seed"), CASES[::2], ids=CASE_IDS[::2])
def test_compare_numeric_matches_direct(gen: str, n: int, m: int, seed: int, bins: int) -> None:
    a, b = (np.sort(x) for x in _pair(gen, n, m, seed))
    c = compare.numeric(a, b, bins)
    edges = np.unique(np.quantile(a, [j / bins for j in range(1, bins)]))
    rc, cc = np.array(_brute_counts(a, edges)), np.array(_brute_counts(b, edges))
    assert c.kind == "numeric" and c.test == "kolmogorov_smirnov"
    assert (c.ref_n, c.cur_n) == (n, m)
    assert c.ref_counts == rc.tolist() and c.cur_counts == cc.tolist()
    assert sum(c.ref_counts) == n and sum(c.cur_counts) == m
    assert len(c.labels) == len(c.ref_counts) == edges.size + 1
    sd = float(np.std(a, ddof=1)) if n > 1 else 0.0
    sc = sd if sd > 0 else 1.0  # a constant reference has IQR 0 too, so the fallback is 1
    assert c.explain["scale"] == approx(sc)
    ks = sps.ks_2samp(a, b, method="asymp")
    expected = {
        "wasserstein": float(sps.wasserstein_distance(a, b)) / sc,
        "ks": float(ks.statistic),
        "psi": _psi_reference(rc, cc, 1e-4),
        "jensen_shannon": float(jensenshannon(rc / n, cc / m, base=2)),
        "hellinger": _hellinger_norm(rc / n, cc / m),
        "linf": float(np.max(np.abs(rc / n - cc / m))),
    }
    assert set(c.statistics) == set(expected)
    for key, value in expected.items():
        assert c.statistics[key] == approx(value), key
        assert c.distance(key) == c.statistics[key]
    if np.isnan(ks.pvalue):
        assert np.isnan(c.p_value)
    else:
        assert c.p_value == approx(float(ks.pvalue))


def test_compare_numeric_infinities_and_scale() -> None:
    rng = np.random.default_rng(21)
    a_fin, b_fin = rng.normal(size=300), rng.normal(0.4, 1.1, size=200)
    a = np.sort(np.concatenate([a_fin, [np.inf, -np.inf]]))
    b = np.sort(np.concatenate([b_fin, [np.inf, np.inf, np.inf]]))
    c = compare.numeric(a, b, 10)
    sc = float(np.std(a_fin, ddof=1))
    assert c.explain["scale"] == approx(sc)
    assert c.statistics["wasserstein"] == approx(float(sps.wasserstein_distance(a_fin, b_fin)) / sc)
    assert c.explain["wasserstein_raw"] == approx(float(sps.wasserstein_distance(a_fin, b_fin)))
    assert c.statistics["ks"] == approx(float(sps.ks_2samp(a, b, method="asymp").statistic))
    assert (c.ref_n, c.cur_n) == (302, 203)
    assert c.ref_counts[0] >= 1 and c.ref_counts[-1] >= 1 and c.cur_counts[-1] >= 3
    assert sum(c.ref_counts) == 302 and sum(c.cur_counts) == 203
    # An explicit scale and explicit edges are used as given.
    edges = np.array([-1.0, 0.0, 1.0])
    c2 = compare.numeric(a, b, 10, ref_scale=2.0, edges=edges)
    assert c2.statistics["wasserstein"] == approx(float(sps.wasserstein_distance(a_fin, b_fin)) / 2.0)
    assert c2.ref_counts == _brute_counts(a, edges) and c2.cur_counts == _brute_counts(b, edges)


@pytest.mark.parametrize("ref", [[3.0] * 10, [3.0], [3.0, np.inf, np.inf]])
def test_compare_numeric_constant_reference_scale_is_one(ref: list[float]) -> None:
    a = np.sort(np.array(ref))
    b = np.array([1.0, 3.0, 5.0])
    c = compare.numeric(a, b, 10)
    assert c.explain["scale"] == 1.0
    fa = a[np.isfinite(a)]
    assert c.statistics["wasserstein"] == approx(float(sps.wasserstein_distance(fa, b)))


def test_scale_fallbacks() -> None:
    assert compare.scale(np.array([1.0, 2.0, 4.0])) == approx(float(np.std([1.0, 2.0, 4.0], ddof=1)))
    assert compare.scale(np.array([2.0, 2.0])) == 1.0
    assert compare.scale(np.array([2.0])) == 1.0
    assert compare.scale(np.array([])) == 1.0
    assert compare.scale(np.array([-np.inf, 1.0, 3.0, np.inf])) == approx(math.sqrt(2.0))


# --------------------------------------------------------------------------- compare.categorical

def test_compare_categorical_labels_and_explain() -> None:
    ref = {"b": 30, "a": 30, "c": 50, "d": 5, "gone": 15}
    cur = {"a": 20, "c": 60, "new2": 4, "b": 10, "d": 6, "new1": 4, "zz": 9}
    c = compare.categorical(ref, cur)
    assert c.kind == "categorical" and c.test == "chi_square"
    assert c.labels == ["c", "a", "b", "gone", "d", "zz", "new1", "new2"]
    assert c.ref_counts == [50, 30, 30, 15, 5, 0, 0, 0]
    assert c.cur_counts == [60, 20, 10, 0, 6, 9, 4, 4]
    assert (c.ref_n, c.cur_n) == (130, 113)
    table = np.array([c.ref_counts, c.cur_counts])
    want = sps.chi2_contingency(table, correction=False)
    total = table.sum()
    assert c.statistics["chi_square"] == approx(math.sqrt(float(want.statistic) / total))
    assert c.explain["chi_square"] == approx(float(want.statistic))
    assert c.p_value == approx(float(want.pvalue))
    assert c.explain["new_categories"] == ["zz", "new1", "new2"]
    assert c.explain["new_category_share"] == approx(17 / 113)
    assert c.explain["vanished_categories"] == ["gone"]
    assert c.explain["vanished_reference_share"] == approx(15 / 130)
    p, q = table[0] / table[0].sum(), table[1] / table[1].sum()
    assert c.statistics["jensen_shannon"] == approx(float(jensenshannon(p, q, base=2)))
    assert c.statistics["hellinger"] == approx(_hellinger_norm(p, q))
    assert c.statistics["linf"] == approx(float(np.max(np.abs(p - q))))
    assert c.statistics["psi"] == approx(_psi_reference(table[0], table[1], 1e-4))
    assert c.explain["largest_change"] == c.labels[int(np.argmax(np.abs(q - p)))]


@pytest.mark.parametrize("seed", range(8))
def test_compare_categorical_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = [f"c{i:02d}" for i in range(int(rng.integers(2, 15)))]
    ref = {n: int(rng.integers(1, 100)) for n in names if rng.random() < 0.8}
    cur = {n: int(rng.integers(1, 100)) for n in names if rng.random() < 0.8}
    if not ref or not cur:
        return
    c = compare.categorical(ref, cur)
    ref_order = sorted(ref, key=lambda k: (-ref[k], k))
    new = sorted((k for k in cur if k not in ref), key=lambda k: (-cur[k], k))
    assert c.labels == ref_order + new
    assert sum(c.ref_counts) == c.ref_n == sum(ref.values())
    assert sum(c.cur_counts) == c.cur_n == sum(cur.values())
    table = np.array([c.ref_counts, c.cur_counts])
    if table.shape[1] >= 2:
        want = sps.chi2_contingency(table, correction=False)
        assert c.statistics["chi_square"] == approx(math.sqrt(float(want.statistic) / table.sum()))
        assert c.p_value == approx(float(want.pvalue))
        assert 0.0 <= c.statistics["chi_square"] <= 1.0
    assert c.explain["new_category_share"] == approx(sum(cur[k] for k in new) / sum(cur.values()))
    assert c.explain["vanished_categories"] == [k for k in ref_order if k not in cur][:10]


def test_compare_categorical_single_and_identical() -> None:
    c = compare.categorical({"x": 10}, {"x": 4})
    assert c.statistics["chi_square"] == 0.0 and c.p_value == 1.0
    assert c.statistics["jensen_shannon"] == 0.0 and c.statistics["linf"] == 0.0
    c = compare.categorical({"x": 10, "y": 20}, {"y": 40, "x": 20})
    assert c.labels == ["y", "x"]
    for key in ("chi_square", "jensen_shannon", "psi", "linf", "hellinger"):
        assert c.statistics[key] == approx(0.0), key
    assert c.p_value == approx(1.0)
    assert c.explain["new_categories"] == [] and c.explain["vanished_categories"] == []


# --- binned mean shift (concept drift) -------------------------------------------------------


def test_binned_mean_shift_matches_two_proportion_tests_per_bin() -> None:
    from scipy.stats import chi2, chi2_contingency

    from mlaudit.stats.concept import binned_mean_shift

    rng = np.random.default_rng(11)
    ref_bins, cur_bins = rng.integers(0, 4, 3000), rng.integers(0, 4, 2000)
    ref_y = (rng.random(3000) < 0.2 + 0.1 * ref_bins).astype(float)
    cur_y = (rng.random(2000) < 0.25 + 0.1 * cur_bins).astype(float)
    got = binned_mean_shift(ref_y, ref_bins, cur_y, cur_bins, 4)
    expected = 0.0
    for b in range(4):
        r, c = ref_y[ref_bins == b], cur_y[cur_bins == b]
        table = [[r.sum(), r.size - r.sum()], [c.sum(), c.size - c.sum()]]
        expected += chi2_contingency(table, correction=False)[0]
    assert got.chi2 == pytest.approx(expected, rel=1e-9)
    assert got.dof == 4 and got.p_value == pytest.approx(chi2.sf(expected, 4), rel=1e-9)
    weights = np.bincount(cur_bins, minlength=4)
    diffs = [abs(cur_y[cur_bins == b].mean() - ref_y[ref_bins == b].mean()) for b in range(4)]
    assert got.effect == pytest.approx(np.dot(weights, diffs) / weights.sum(), rel=1e-9)


def test_binned_mean_shift_ignores_thin_and_constant_bins() -> None:
    from mlaudit.stats.concept import binned_mean_shift

    ref_y, ref_bins = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0]), np.array([0, 0, 0, 1, 1, 1, 2])
    cur_y, cur_bins = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0]), np.array([0, 0, 0, 1, 1, 1])
    got = binned_mean_shift(ref_y, ref_bins, cur_y, cur_bins, 3)
    assert got.dof == 0 and np.isnan(got.p_value)
    assert got.reference_rows == [3, 3, 1] and got.current_rows == [3, 3, 0]
    assert got.current_means[2] is None


def test_sorted_bin_counts_equal_bin_counts() -> None:
    rng = np.random.default_rng(5)
    for values in (rng.normal(size=1000), rng.poisson(2, 500).astype(float),
                   np.array([-np.inf, 0.0, 1.0, 1.0, np.inf])):
        values = np.sort(values)
        edges = binning.quantile_edges(values, 7)
        assert binning.sorted_bin_counts(values, edges).tolist() == binning.bin_counts(values, edges).tolist()


@pytest.mark.parametrize("seed", range(4))
def test_ks_and_wasserstein_equal_the_separate_statistics(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = np.sort(rng.normal(size=300)), np.sort(rng.standard_t(2, size=200))
    if seed == 3:
        a, b = np.sort(np.r_[a, np.inf, -np.inf]), np.sort(np.r_[b, np.inf])
    ks, w1 = twosample.ks_and_wasserstein(a, b)
    assert ks == twosample.ks_2samp(a, b)
    assert w1 == pytest.approx(twosample.wasserstein(a[np.isfinite(a)], b[np.isfinite(b)]), rel=1e-12)


@pytest.mark.parametrize(("seed", "grid"), [(0, 7), (1, 50), (2, 1), (3, 13), (4, 3)])
def test_grid_merge_gives_scipy_ks_and_wasserstein(monkeypatch: pytest.MonkeyPatch, seed: int, grid: int) -> None:
    """Long samples are compared at cut points and merged only where the bounds between cuts leave doubt; with
    coarse grids (long intervals, many merged) and ties at the cuts, the statistics equal scipy's."""
    from scipy import stats as sps

    monkeypatch.setattr(twosample, "GRID", grid)
    monkeypatch.setattr(twosample, "SMALL", 0)
    rng = np.random.default_rng(seed)
    a = np.sort(np.r_[rng.poisson(3, 400), rng.normal(size=300)])  # many ties, some unique values
    b = np.sort(np.r_[rng.poisson(3.4, 250), rng.normal(0.3, 1, 150)])
    ks, w1 = twosample.ks_and_wasserstein(a, b)
    assert ks.statistic == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-12, abs=1e-15)
    assert w1 == pytest.approx(sps.wasserstein_distance(a, b), rel=1e-12)


@pytest.mark.parametrize("case", ["same", "shifted", "ties", "disjoint", "offset", "one_side_wider"])
def test_grid_merge_at_the_default_grid_gives_scipy_ks_and_wasserstein(case: str) -> None:
    """At the default grid, on samples long enough to use it: identical distributions (many intervals
    merged), shifted ones (few), rounded values (ties at every cut), disjoint ranges, values far from zero
    (timestamps in seconds: the sums are taken after subtracting, so no precision is lost) and one side
    spreading far beyond the other."""
    rng = np.random.default_rng(5)
    size = twosample.SMALL + 40_000
    a, b = {
        "same": (rng.normal(size=size), rng.normal(size=size - 777)),
        "shifted": (rng.normal(size=size), rng.normal(0.05, 1.1, size=size - 777)),
        "ties": (np.round(rng.normal(size=size), 2), np.round(rng.normal(0.01, 1, size=size), 2)),
        "disjoint": (rng.normal(size=size), rng.normal(10, 1, size=size)),
        "offset": (1.7e9 + rng.normal(0, 100, size), 1.7e9 + rng.normal(0, 100, size)),
        "one_side_wider": (rng.normal(size=size), rng.standard_t(1, size=size // 3)),
    }[case]
    a, b = np.sort(a), np.sort(b)
    ks, w1 = twosample.ks_and_wasserstein(a, b)
    assert ks.statistic == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-12, abs=1e-15)
    assert w1 == pytest.approx(sps.wasserstein_distance(a, b), rel=1e-12)


@pytest.mark.parametrize("grid", [1, 3, 64, 1 << 14])
def test_cut_counts_equal_a_search_of_every_cut(grid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each side's own cuts counted from their positions (a search only where a value repeats), the other
    side's by binary search: the cuts and counts of np.unique and np.searchsorted on both sides, with runs
    of ties across the grid, infinities, sides of one value and of different lengths."""
    monkeypatch.setattr(twosample, "GRID", grid)
    rng = np.random.default_rng(grid)
    cases = [(rng.normal(size=5000), rng.normal(0.2, 1, size=3001)),
             (rng.integers(0, 5, 4000).astype(float), rng.integers(0, 7, 900).astype(float)),
             (np.r_[-np.inf, rng.normal(size=700), np.inf, np.inf], np.r_[rng.normal(size=50), np.inf]),
             (np.array([2.0]), np.array([1.0, 2.0, 2.0, 3.0])), (np.full(300, 7.0), np.full(20, 7.0))]
    for a, b in cases:
        a, b = np.sort(a), np.sort(b)
        n, m = a.size, b.size
        cuts = np.unique(np.concatenate([a[::max(1, n // grid)], b[::max(1, m // grid)], a[-1:], b[-1:]]))
        got, upto_a, upto_b = twosample._cut_counts(a, b)
        assert got.tolist() == cuts.tolist()
        assert upto_a.tolist() == np.searchsorted(a, cuts, side="right").tolist()
        assert upto_b.tolist() == np.searchsorted(b, cuts, side="right").tolist()


def test_below_counts_values_under_each_cut_with_ties() -> None:
    """The count of values strictly below a cut, from the count up to it: one look back, a search for runs."""
    values = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 5.0])
    cuts = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.0])
    upto = np.searchsorted(values, cuts, side="right").astype(np.float64)
    assert twosample._below(values, upto, cuts).tolist() == np.searchsorted(values, cuts, side="left").tolist()


@pytest.mark.parametrize("seed", range(6))
def test_sorted_quantiles_equal_numpy_bit_for_bit(seed: int) -> None:
    """Quantiles read off a sorted array are np.quantile's, to the last bit, with ties and odd sizes."""
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 10, 999, 4096):
        values = [rng.normal(size=n), rng.integers(0, 4, n).astype(float), rng.lognormal(0, 4, n)][seed % 3]
        qs = np.r_[0.0, np.arange(1, 37) / 37, 1.0]
        assert binning.sorted_quantiles(np.sort(values), qs).tolist() == np.quantile(values, qs).tolist()


def test_bin_edges_of_values_near_the_float_limit_stay_finite() -> None:
    """Neighbouring order statistics whose difference overflows (+-1.7e308) still give finite edges between
    them, as numpy's quantile does, and no warning."""
    values = np.sort(np.array([-1.7e308, -1.6e308, 0.0, 1.6e308, 1.7e308] * 20))
    with np.errstate(all="raise"):
        edges = binning.quantile_edges(values, 10)
    assert np.isfinite(edges).all() and np.all(np.diff(edges) > 0)
    assert edges.tolist() == np.unique(np.quantile(values, np.arange(1, 10) / 10)).tolist()


@pytest.mark.parametrize("n", [1, 7, 140, 141, 500, 5_000, 99_999, 100_001, 500_000, 3_000_000])
def test_kolmogorov_sf_equals_scipy_kstwo(n: int) -> None:
    """P(D_n > d) without scipy.stats (Pelz-Good, Smirnov's one-sided tail, Ruben-Gambino at the ends)
    equals scipy's kstwo.sf across the range drift p-values are read from, including both ends."""
    from mlaudit.stats import kolmogorov

    # scipy's own one-sided tail takes 0.7 s per value at n = 500,000: fewer points in that region there
    zs = np.r_[0.0, 0.05, np.linspace(0.2, 3.0, 15 if n < 100_000 else 8), 4.0, 6.0, 19.0, 19.3, 30.0]
    for d in np.r_[zs / math.sqrt(n), 0.4 / n, 0.75 / n, 1.0 - 0.5 / n, 0.5, 0.7, 1.0]:
        if not 0.0 <= d <= 1.0:
            continue
        want = float(np.clip(sps.kstwo.sf(d, n), 0.0, 1.0))
        assert kolmogorov.sf(float(d), n) == pytest.approx(want, rel=1e-10, abs=1e-300), (n, d)
    assert math.isnan(kolmogorov.sf(float("nan"), n))


@pytest.mark.parametrize("n", [141, 950, 5_000, 40_000, 100_000])
def test_durbin_matrix_cdf_equals_scipy_kstwo(n: int) -> None:
    """Durbin's matrix formula (Marsaglia-Tsang-Wang, numpy) for P(D_n < d) at the small d where the
    asymptotic series are not accurate (n d^1.5 <= 1.4, the region kolmogorov.sf uses it in) equals
    scipy's kstwo.cdf, from d = 1/n up to the region's edge."""
    from mlaudit.stats import kolmogorov

    top = (1.4 / n) ** (2 / 3)
    for d in np.linspace(1.0 / n, top, 25)[1:-1]:
        want = float(sps.kstwo.cdf(d, n))
        assert kolmogorov.durbin_cdf(float(d), n) == pytest.approx(want, rel=1e-9, abs=1e-300), (n, d)
        assert kolmogorov.sf(float(d), n) == pytest.approx(float(sps.kstwo.sf(d, n)), rel=1e-12), (n, d)


def test_drift_p_values_do_not_import_scipy_stats() -> None:
    """scipy.stats costs half a second of interpreter time to import, slowing the reading it overlaps with:
    the KS p-value of a large sample is computed without it."""
    import subprocess
    import sys

    code = ("import sys, numpy as np; from mlaudit.stats import twosample; "
            "r = twosample.ks_p_value(0.002, 500_000, 400_000); "
            "assert 0 < r.p_value < 1; print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("n", [141, 1_000, 20_000, 60_000])
def test_smirnov_sum_equals_scipy(n: int) -> None:
    """Smirnov's one-sided tail from Birnbaum and Tingey's sum (numpy, Loader's binomial terms) equals
    scipy.special.smirnov, including a whole n(1-d) (a zero last term) and both ends of the range."""
    from scipy import special

    from mlaudit.stats import kolmogorov

    for d in np.r_[np.array([0.3, 1.0, 1.5, 2.0, 3.0, 6.0, 12.0]) / math.sqrt(n), 0.5, 0.25, 1 - 10 / n, 1.0 / n]:
        if d >= 1:
            continue
        want = float(special.smirnov(n, d))
        assert kolmogorov.smirnov(n, float(d)) == pytest.approx(want, rel=1e-11, abs=1e-300), (n, d)


@pytest.mark.parametrize("seed", range(4))
def test_pca_equals_an_svd_of_the_standardised_rows(seed: int) -> None:
    """The principal axes from the Gram matrix span the same subspace as numpy's SVD of the standardised
    rows, explain the same share of variance, and give the same reconstruction errors; an exactly collinear
    feature does not count towards the rank."""
    from mlaudit.stats import pca

    rng = np.random.default_rng(seed)
    base = rng.normal(size=(3000, 4))
    x = np.c_[base, base @ rng.normal(size=(4, 3)) + 0.3 * rng.normal(size=(3000, 3)), 100 + 5 * base[:, 0]]
    model = pca.fit(x)
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    k = model.components.shape[1]
    share = np.cumsum(singular**2) / np.sum(singular**2)
    assert model.explained == pytest.approx(share[k - 1], rel=1e-10)
    assert k == min(int(np.searchsorted(share, 0.65) + 1), int(np.sum(singular > 1e-6 * singular[0])) - 1)
    projector = vt[:k].T @ vt[:k]
    assert np.allclose(model.components @ model.components.T, projector, atol=1e-9)
    other = rng.normal(size=(200, x.shape[1])) * x.std(axis=0) + x.mean(axis=0)
    zo = (other - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    want = np.sqrt(np.sum((zo - zo @ projector) ** 2, axis=1))
    assert np.allclose(model.errors(other), want, rtol=1e-9, atol=1e-12)


def test_interval_sums_in_blocks_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sums behind the Wasserstein integral, taken in runs of intervals (bounded temporaries), equal
    the same sums taken interval by interval in plain Python."""
    rng = np.random.default_rng(8)
    values = np.sort(np.round(rng.normal(size=5000), 1))
    cuts = np.unique(np.r_[values[::97], values[-1]])
    upto = np.searchsorted(values, cuts, side="right").astype(np.float64)
    monkeypatch.setattr(twosample, "_SUM_BLOCK", 300)
    got = twosample._gaps_to_top(values, upto, cuts[1:])
    want = [sum(cuts[k + 1] - v for v in values[int(upto[k]):int(upto[k + 1])]) for k in range(cuts.size - 1)]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n_edges", [0, 1, 9, 32, 33, 200])
def test_bin_index_is_searchsorted_left(n_edges: int) -> None:
    """Bins by comparison (few edges) or binary search (many) equal np.searchsorted(edges, x, 'left'):
    a value on an edge in the bin below it, infinities in the outer bins, NaN past the last bin."""
    rng = np.random.default_rng(n_edges)
    edges = np.unique(np.round(rng.normal(size=n_edges), 1))
    values = np.r_[np.round(rng.normal(size=5000), 1), edges, -np.inf, np.inf, np.nan, np.nan]
    got = binning.bin_index(edges, values)
    assert np.issubdtype(got.dtype, np.integer)  # one byte per value for the compared edges
    assert got.tolist() == np.searchsorted(edges, values, side="left").tolist()


def test_ks_p_value_uses_the_sizes_behind_a_sketch(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a profile the reference side is a 20,000-point sketch of a million values: the p-value is the one
    for the true sizes, and the sketch's own (which at a tiny statistic needs scipy's slow exact recursion,
    a second and a half of the audit) is never computed."""
    from mlaudit.stats import kolmogorov

    rng = np.random.default_rng(4)
    sketch, current = np.sort(rng.normal(size=20_000)), np.sort(rng.normal(size=60_000))
    seen: list[int] = []
    real_sf = kolmogorov.sf
    monkeypatch.setattr(kolmogorov, "sf", lambda d, n: seen.append(n) or real_sf(d, n))
    ks, w1 = twosample.ks_and_wasserstein(sketch, current, (1_000_000, 60_000))
    assert seen == [round(1_000_000 * 60_000 / 1_060_000)]
    assert ks.p_value == twosample.ks_p_value(ks.statistic, 1_000_000, 60_000).p_value
    assert ks.statistic == twosample.ks_2samp(sketch, current).statistic
    assert w1 == pytest.approx(sps.wasserstein_distance(sketch, current), rel=1e-12)
