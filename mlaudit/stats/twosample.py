"""Two-sample statistics on raw values and hypothesis tests on counts.

ECDF-based statistics (Kolmogorov-Smirnov, Wasserstein) take **sorted**
arrays: the caller sorts each column once and every statistic reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special


@dataclass(frozen=True)
class TestResult:
    """A statistic with its p-value."""

    statistic: float
    p_value: float


#: Values per block when two sorted samples are merged: the merge's temporaries (about 40 bytes a value,
#: 10 MB a block) stay near the processor's cache, which makes the merge of two million-value samples
#: about 1.6x faster than one merge of everything, and keeps memory flat however long the samples are.
BLOCK = 1 << 17


def _merged_ecdfs(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(distinct pooled values x, F_a(x), F_b(x)) in one linear merge of two sorted arrays.

    A stable argsort of the concatenation merges the two sorted runs in linear
    time; cumulative counts give both ECDFs at every pooled value (after the
    last of any tied values, as F(x) = P(X <= x) requires).
    """
    xs, count_a, count_b = _merged_counts(a_sorted, b_sorted)
    return xs, count_a / a_sorted.size, count_b / b_sorted.size


def _merged_counts(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]
                   ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """(distinct pooled values x, #a <= x, #b <= x) of two sorted arrays."""
    n, m = a_sorted.size, b_sorted.size
    pooled = np.concatenate([a_sorted, b_sorted])
    order = np.argsort(pooled, kind="stable")
    values = pooled[order]
    count_a: NDArray[np.int64] = np.cumsum(order < n, dtype=np.int64)
    count_b: NDArray[np.int64] = np.arange(1, n + m + 1, dtype=np.int64) - count_a
    last = np.empty(n + m, dtype=bool)
    if n + m:
        last[:-1] = values[1:] != values[:-1]
        last[-1] = True
    return values[last], count_a[last], count_b[last]


def _blocks(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]
            ) -> list[tuple[int, int, int, int]]:
    """(a start, a end, b start, b end) of consecutive value ranges holding about BLOCK values of each side;
    a boundary never splits equal values."""
    n, m = a_sorted.size, b_sorted.size
    if n + m <= 2 * BLOCK:
        return [(0, n, 0, m)]
    cuts = np.unique(np.concatenate([a_sorted[BLOCK::BLOCK], b_sorted[BLOCK::BLOCK]]))
    ia = np.r_[0, np.searchsorted(a_sorted, cuts, side="left"), n]
    ib = np.r_[0, np.searchsorted(b_sorted, cuts, side="left"), m]
    return [(int(ia[k]), int(ia[k + 1]), int(ib[k]), int(ib[k + 1])) for k in range(len(ia) - 1)
            if ia[k + 1] > ia[k] or ib[k + 1] > ib[k]]


def _ks_w1(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> tuple[float, float]:
    """(sup |F_a - F_b|, integral |F_a - F_b| dx) over finite sorted samples, merged block by block so that
    memory stays bounded: within a block the ECDFs are the block's counts plus everything before it, and
    the integral carries |F_a - F_b| from the last value of one block to the first of the next."""
    n, m = a_sorted.size, b_sorted.size
    d_max, area = 0.0, 0.0
    prev_x: float | None = None
    prev_diff = 0.0
    for a0, a1, b0, b1 in _blocks(a_sorted, b_sorted):
        xs, diff = _merged_diff(a_sorted[a0:a1], b_sorted[b0:b1], a0, b0, n, m)
        ties = bool(np.any(xs[1:] == xs[:-1]))
        # inside a run of equal values the merge passes through counts that are no value's ECDF: the sup is
        # taken after each run; the integral needs no such care, as equal values have zero width between them
        d_max = max(d_max, float(diff[np.r_[xs[1:] != xs[:-1], True]].max() if ties else diff.max()))
        # values near +-1.8e308: a gap overflows to inf and the area with it, which the caller reports
        with np.errstate(over="ignore", invalid="ignore"):
            if prev_x is not None:
                area += prev_diff * (float(xs[0]) - prev_x)
            area += float(np.sum(diff[:-1] * np.diff(xs)))  # not np.dot: BLAS threads would fight the reducers
        prev_x, prev_diff = float(xs[-1]), float(diff[-1])
    return d_max, area


def _merged_diff(a: NDArray[np.float64], b: NDArray[np.float64], a0: int, b0: int, n: int, m: int
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(pooled values in order, |F_a - F_b| after each of them) for one block, with `a0` and `b0` values of
    each side before it; every position is kept (ties included), saving the copies that drop them."""
    pooled = np.concatenate([a, b])
    order = np.argsort(pooled, kind="stable")
    # counts as float64 (exact below 2^53): numpy's integer cumsum and int-to-float division hold the
    # interpreter lock and run about 3x slower, so two reducing threads would not overlap
    count_a = np.cumsum((order < a.size).astype(np.float64))
    diff = count_a + a0
    diff /= n
    count_b = np.arange(1, pooled.size + 1, dtype=np.float64)
    count_b -= count_a
    count_b += b0
    count_b /= m
    diff -= count_b
    np.abs(diff, out=diff)
    return pooled[order], diff


def ks_and_wasserstein(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> tuple[TestResult, float]:
    """Both ECDF statistics from one merge: (Kolmogorov-Smirnov, W1 on the finite values).

    Equal to ks_2samp(a, b) and wasserstein(finite a, finite b); one merge instead of two when
    neither side holds infinities (the common case).
    """
    if a_sorted.size == 0 or b_sorted.size == 0:
        return TestResult(float("nan"), float("nan")), float("nan")
    if not (np.isfinite(a_sorted[[0, -1]]).all() and np.isfinite(b_sorted[[0, -1]]).all()):
        finite_a = a_sorted[np.isfinite(a_sorted)]
        finite_b = b_sorted[np.isfinite(b_sorted)]
        return ks_2samp(a_sorted, b_sorted), wasserstein(finite_a, finite_b)
    d, w1 = _ks_w1(a_sorted, b_sorted)
    return _ks_result(d, a_sorted.size, b_sorted.size), w1


def ks_p_value(d: float, n: int, m: int) -> TestResult:
    """The two-sided asymptotic p-value of a KS statistic d between samples of sizes n and m."""
    return _ks_result(d, n, m)


def _ks_result(d: float, n: int, m: int) -> TestResult:
    big, small = max(n, m), min(n, m)
    en = float(np.round(float(big) * small / (big + small)))
    if en < 1:  # one value per side: the asymptotic distribution is undefined
        return TestResult(d, float("nan"))
    from scipy.stats import kstwo  # imported here: scipy.stats costs half a second to import

    return TestResult(d, float(np.clip(kstwo.sf(d, en), 0.0, 1.0)))


def ks_2samp(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> TestResult:
    """Two-sample Kolmogorov-Smirnov: D = sup_x |F_a(x) - F_b(x)| over the pooled values.

    The two-sided p-value uses Smirnov's asymptotic distribution,
    P(D > d) = kstwo.sf(d, round(n*m / (n+m))), as scipy's `method="asymp"`;
    it is slightly conservative at small sizes and exact enough at the sizes
    drift is judged at. Both arrays must be sorted; NaN must be removed.
    """
    n, m = a_sorted.size, b_sorted.size
    if n == 0 or m == 0:
        return TestResult(float("nan"), float("nan"))
    _, fa, fb = _merged_ecdfs(a_sorted, b_sorted)
    return _ks_result(float(np.max(np.abs(fa - fb))), n, m)


def wasserstein(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> float:
    """First Wasserstein distance: W1 = integral |F_a(x) - F_b(x)| dx, exact, from sorted finite values."""
    if a_sorted.size == 0 or b_sorted.size == 0:
        return float("nan")
    xs, fa, fb = _merged_ecdfs(a_sorted, b_sorted)
    with np.errstate(over="ignore", invalid="ignore"):  # a gap beyond the float range: inf, reported by callers
        return float(np.sum(np.abs(fa - fb)[:-1] * np.diff(xs)))


def chi_square(ref_counts: ArrayLike, cur_counts: ArrayLike) -> TestResult:
    """Pearson chi-square test of homogeneity on the 2 x k table of counts (no continuity correction).

    chi2 = sum_ij (O_ij - E_ij)^2 / E_ij with E_ij = row_i * col_j / total, on
    k - 1 degrees of freedom; categories empty on both sides are dropped. With
    fewer than two non-empty categories there is nothing to test (p = 1).
    """
    table = np.vstack([np.asarray(ref_counts, dtype=np.float64), np.asarray(cur_counts, dtype=np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return TestResult(0.0, 1.0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return TestResult(chi2, float(special.chdtrc(dof, chi2)))


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """Difference of two proportions q - p (p = k1/n1, q = k2/n2) with the pooled z-test's two-sided p-value.

    z = (q - p) / sqrt(s (1 - s) (1/n1 + 1/n2)) with s = (k1 + k2) / (n1 + n2);
    p-value = 2 * (1 - Phi(|z|)); identical to the 2 x 2 chi-square without correction.
    """
    if n1 == 0 or n2 == 0:
        return TestResult(float("nan"), float("nan"))
    p, q = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var == 0:
        return TestResult(q - p, 1.0)
    z = (q - p) / np.sqrt(var)
    return TestResult(q - p, float(2 * special.ndtr(-abs(z))))


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values: p_(i) * m / i, made monotone from the largest down, capped at 1.

    NaN p-values (tests that could not run) stay NaN and do not count in m.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok], kind="mergesort")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[ok] = result
    return out


def bonferroni(p_values: ArrayLike) -> NDArray[np.float64]:
    """Bonferroni adjusted p-values: min(1, p * m), m the number of non-NaN p-values."""
    p = np.asarray(p_values, dtype=np.float64)
    m = int((~np.isnan(p)).sum())
    return np.minimum(p * m, 1.0)
