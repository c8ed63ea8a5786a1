"""mlaudit.stats.association checked against independent numpy / scipy computations and worked examples.

Computed values are compared to 1e-9 relative; the worked examples (Wikipedia's Cohen's and Fleiss' kappa
tables) to the precision the example states.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats as sps

from mlaudit.stats.association import (
    Auc,
    auc_from_rank_sum,
    average_ranks,
    cohen_kappa,
    compare_aucs,
    excess_over_expected,
    fleiss_kappa,
    mutual_information,
    roc_auc,
)
from mlaudit.stats.twosample import normal_two_sided


def approx(expected: float) -> object:
    return pytest.approx(expected, rel=1e-9, abs=1e-12)


def _scores(kind: str, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    if kind == "normal":
        return rng.normal(size=n)
    return rng.integers(0, 6 if kind == "integers" else 2, size=n).astype(np.float64)  # booleans: 2 tied groups


@pytest.mark.parametrize("kind", ["normal", "integers", "booleans"])
@pytest.mark.parametrize(("n", "share", "shift"), [(400, 0.5, 0.3), (900, 0.1, -0.5), (57, 0.3, 0.0)])
def test_roc_auc_matches_mannwhitneyu(kind: str, n: int, share: float, shift: float) -> None:
    rng = np.random.default_rng([n, len(kind)])
    y = rng.random(n) < share
    x = _scores(kind, rng, n) + shift * y
    res = sps.mannwhitneyu(x[y], x[~y], method="asymptotic", use_continuity=False, alternative="two-sided")
    n1, n0 = int(y.sum()), int((~y).sum())
    got = roc_auc(x, y)
    assert (got.n_pos, got.n_neg) == (n1, n0)
    assert got.auc == approx(float(res.statistic) / (n1 * n0))
    assert got.p_value == approx(float(res.pvalue))
    assert got.oriented == approx(max(got.auc, 1 - got.auc))


def _brute_auc(x: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    pairs = list(itertools.product(x[y], x[~y]))
    return sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in pairs) / len(pairs)


@pytest.mark.parametrize("seed", range(6))
def test_roc_auc_matches_pairwise_count_and_drops_nan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 12))
    x = rng.integers(0, 4, size=n).astype(np.float64)
    y = np.arange(n) % 2 == 0
    assert roc_auc(x, y).auc == approx(_brute_auc(x, y))
    x_nan, y_nan = np.append(x, [np.nan, np.nan]), np.append(y, [True, False])
    with_nan = roc_auc(x_nan, y_nan)
    assert with_nan.auc == approx(_brute_auc(x, y))
    assert (with_nan.n_pos, with_nan.n_neg) == (int(y.sum()), int((~y).sum()))


def test_auc_from_rank_sum_worked_example() -> None:
    # scores [1, 2, 2, 3, 4], positives 2 (second one), 3, 4: ranks 1, 2.5, 2.5, 4, 5
    x, y = np.array([1.0, 2.0, 2.0, 3.0, 4.0]), np.array([False, False, True, True, True])
    got = auc_from_rank_sum(2.5 + 4 + 5, 3, 2, tie_term=2**3 - 2)
    assert got.auc == approx(5.5 / 6)  # U = 11.5 - 6 = 5.5 pairs of 6
    res = sps.mannwhitneyu(x[y], x[~y], method="asymptotic", use_continuity=False)
    assert got.p_value == approx(float(res.pvalue))
    assert got.oriented == approx(5.5 / 6)
    assert roc_auc(x, ~y).oriented == approx(5.5 / 6)


def test_constant_score_gives_half_and_p_one() -> None:
    got = roc_auc([3.0] * 6, [True, False] * 3)
    assert (got.auc, got.p_value) == (0.5, 1.0)
    with pytest.raises(ValueError):
        auc_from_rank_sum(3.0, 2, 0)
    with pytest.raises(ValueError):
        roc_auc([1.0, 2.0], [True, True])
    with pytest.raises(ValueError):
        roc_auc([1.0, np.nan], [True, False])  # the only negative has a NaN score


def _hanley_mcneil(a: float, n1: int, n0: int) -> float:
    q1 = a / (2.0 - a)
    q2 = 2.0 * a**2 / (1.0 + a)
    return math.sqrt((a * (1.0 - a) + (n1 - 1) * (q1 - a**2) + (n0 - 1) * (q2 - a**2)) / (n1 * n0))


@pytest.mark.parametrize(("a", "n1", "n0"), [(0.8, 50, 60), (0.65, 10, 300), (0.5, 7, 7), (0.97, 1000, 20)])
def test_standard_error_hanley_mcneil(a: float, n1: int, n0: int) -> None:
    assert Auc(a, n1, n0, 1.0).standard_error == approx(_hanley_mcneil(a, n1, n0))
    # convention of the module: the error is that of the oriented AUC
    assert Auc(1.0 - a, n1, n0, 1.0).standard_error == approx(_hanley_mcneil(a, n1, n0))


def test_compare_aucs() -> None:
    a = Auc(0.7, 200, 300, 0.0)
    assert compare_aucs(a, Auc(0.7, 50, 40, 0.0)) == approx(1.0)
    assert compare_aucs(a, Auc(0.3, 200, 300, 0.0)) == approx(1.0)  # same separation, other direction
    assert compare_aucs(Auc(0.9, 5000, 5000, 0.0), Auc(0.6, 5000, 5000, 0.0)) < 1e-12
    b = Auc(0.75, 80, 120, 0.0)
    z = (0.75 - 0.7) / math.sqrt(_hanley_mcneil(0.7, 200, 300) ** 2 + _hanley_mcneil(0.75, 80, 120) ** 2)
    assert compare_aucs(a, b) == approx(2 * sps.norm.sf(z))
    assert compare_aucs(Auc(1.0, 5, 5, 0.0), Auc(0.0, 9, 3, 0.0)) == 1.0  # both perfect, zero error


@pytest.mark.parametrize("seed", range(5))
def test_mutual_information_matches_entropies_and_direct_sum(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    table = rng.integers(0, 30, size=(int(rng.integers(2, 7)), int(rng.integers(2, 5)))).astype(np.float64)
    table[0, 0] = 0.0  # an empty cell
    p = table / table.sum()
    px, py = p.sum(axis=1), p.sum(axis=0)
    h_x, h_y, h_xy = sps.entropy(px), sps.entropy(py), sps.entropy(p.ravel())
    nz = p > 0
    direct = float((p[nz] * np.log(p[nz] / np.outer(px, py)[nz])).sum())
    got = mutual_information(table)
    assert got.mi == approx(h_x + h_y - h_xy)
    assert got.mi == approx(direct)
    assert (got.h_x, got.h_y) == (approx(h_x), approx(h_y))
    assert got.n == int(table.sum())
    assert got.uncertainty == approx(direct / h_y)


def test_mutual_information_edge_tables() -> None:
    determined = mutual_information([[5, 0], [0, 7], [3, 0]])  # each feature value has one label
    assert determined.uncertainty == approx(1.0)
    independent = mutual_information(np.outer([1, 2, 3, 4], [5, 2, 9]))
    assert independent.mi == pytest.approx(0.0, abs=1e-12)
    assert independent.uncertainty == pytest.approx(0.0, abs=1e-12)
    constant = mutual_information([[4], [9], [2]])
    assert (constant.mi, constant.h_y, constant.uncertainty) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        mutual_information([[0, 0], [0, 0]])


def test_cohen_kappa_wikipedia_example() -> None:
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == approx(0.4)
    assert cohen_kappa(a, a) == 1.0
    assert cohen_kappa(["x"] * 4, ["x"] * 4) == 1.0  # chance agreement 1, and they agree
    with pytest.raises(ValueError):
        cohen_kappa([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        cohen_kappa([], [])


@pytest.mark.parametrize(("seed", "k", "n"), [(0, 2, 30), (1, 3, 200), (2, 5, 1000), (3, 4, 9)])
def test_cohen_kappa_matches_confusion_matrix(seed: int, k: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, size=n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, size=n))
    conf = np.zeros((k, k))
    np.add.at(conf, (a, b), 1.0)
    p_o = np.trace(conf) / n
    p_e = float((conf.sum(axis=1) * conf.sum(axis=0)).sum()) / n**2
    assert cohen_kappa(a, b) == approx((p_o - p_e) / (1 - p_e))


def test_fleiss_kappa_wikipedia_example() -> None:
    got = fleiss_kappa([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])
    assert round(got, 3) == 0.210
    p_bar, p_e = 688 / 1820, 4170 / 19600  # by hand: sum_i (sum_k n_ik^2 - 14) / (10*14*13); sum_k col_k^2 / 140^2
    assert got == approx((p_bar - p_e) / (1 - p_e))


@pytest.mark.parametrize(("seed", "k", "n"), [(0, 2, 40), (1, 3, 250), (2, 6, 17)])
def test_fleiss_kappa_two_raters_is_scotts_pi(seed: int, k: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, size=n)
    b = np.where(rng.random(n) < 0.5, a, rng.integers(0, k, size=n))
    pooled = np.bincount(np.concatenate([a, b]), minlength=k) / (2 * n)
    p_o, p_e = float(np.mean(a == b)), float((pooled**2).sum())
    counts = np.zeros((n, k))
    np.add.at(counts, (np.arange(n), a), 1)
    np.add.at(counts, (np.arange(n), b), 1)
    assert fleiss_kappa(counts) == approx((p_o - p_e) / (1 - p_e))


def test_fleiss_kappa_rejects_bad_tables() -> None:
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 2], [2, 2]])  # 3 raters, then 4
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 0], [0, 1]])  # a single rater
    with pytest.raises(ValueError):
        fleiss_kappa([1, 2, 3])


@pytest.mark.parametrize(("observed", "expected"), [(1, 0.5), (3, 2.0), (10, 4.2), (50, 30.0), (2, 9.5)])
def test_excess_over_expected_matches_poisson_sf(observed: int, expected: float) -> None:
    assert excess_over_expected(observed, expected) == approx(float(sps.poisson.sf(observed - 1, expected)))
    below = sum(math.exp(-expected) * expected**j / math.factorial(j) for j in range(observed))
    assert excess_over_expected(observed, expected) == pytest.approx(1 - below, rel=1e-9, abs=1e-15)


def test_excess_over_expected_edges() -> None:
    assert excess_over_expected(0, 3.0) == 1.0
    assert excess_over_expected(0, 0.0) == 1.0
    assert excess_over_expected(2, 0.0) == 0.0


@pytest.mark.parametrize("values", [
    [3.0, 1.0, 2.0, 2.0, 5.0, 1.0, 1.0],
    [0.0],
    [],
    [7.0, 7.0, 7.0],
    [-np.inf, 2.0, np.inf, 2.0, -0.0, 0.0],
])
def test_average_ranks_equal_scipy_rankdata_and_unique_counts(values: list[float]) -> None:
    """Tied values share their average rank, as scipy.stats.rankdata gives them, and the group sizes are
    np.unique's counts."""
    x = np.asarray(values, dtype=np.float64)
    ranks, counts = average_ranks(x)
    assert ranks.tolist() == sps.rankdata(x).tolist()
    assert counts.tolist() == np.unique(x, return_counts=True)[1].tolist()


def test_average_ranks_of_many_random_ties_equal_scipy() -> None:
    x = np.random.default_rng(4).integers(0, 300, 20_000).astype(np.float64)
    ranks, counts = average_ranks(x)
    assert np.array_equal(ranks, sps.rankdata(x)) and counts.sum() == x.size


def test_average_ranks_with_nan_are_all_nan_as_rankdata() -> None:
    ranks, _ = average_ranks(np.array([1.0, np.nan, 2.0]))
    assert np.isnan(ranks).all() and np.isnan(sps.rankdata([1.0, np.nan, 2.0])).all()


def test_normal_two_sided_is_twice_scipy_norm_sf_bit_for_bit() -> None:
    for z in np.r_[0.0, -0.0, np.linspace(-40, 40, 801), 1e-12, 8.2, 37.5, np.inf, -np.inf]:
        assert normal_two_sided(float(z)) == float(2 * sps.norm.sf(abs(z))), z


@pytest.mark.parametrize("values", ["distinct", "tied", "no positives"])
def test_positive_rank_sum_equals_scipy_average_ranks(values: str) -> None:
    from scipy.stats import rankdata

    from mlaudit.stats.association import positive_rank_sum

    rng = np.random.default_rng(4)
    x = rng.normal(size=20_000) if values != "tied" else rng.integers(0, 25, 20_000).astype(float)
    positive = rng.random(x.size) < (0.0 if values == "no positives" else 0.35)
    assert positive_rank_sum(x, positive) == float(rankdata(x, method="average")[positive].sum())
