"""Two-sample statistics on raw values and hypothesis tests on counts.

ECDF-based statistics (Kolmogorov-Smirnov, Wasserstein) take **sorted**
arrays: the caller sorts each column once and every statistic reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mlaudit.stats import kolmogorov


@dataclass(frozen=True)
class TestResult:
    """A statistic with its p-value."""

    statistic: float
    p_value: float


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


#: Cut points per side for the KS/Wasserstein merge (see _ks_w1): each interval between two cuts holds about
#: n / GRID values of a side. Finer grids leave fewer values to merge exactly but cost more binary searches.
GRID = 1 << 14

#: Below this many pooled values the whole samples are merged at once (the grid would not pay).
SMALL = 1 << 15


def _ks_w1(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> tuple[float, float]:
    """(sup |F_a - F_b|, integral |F_a - F_b| dx) over finite sorted samples, without merging every value.

    Both ECDFs are read exactly at about 2 * GRID cut points (pooled values) by binary search. Between two
    cuts, lo < x < hi, each ECDF lies between its values just above lo and just below hi, which bounds
    F_a - F_b there. Where those bounds keep one sign, the integral over (lo, hi] is exact from sums:
    (hi - lo)(F_a - F_b)(lo) + sum(hi - a)/n - sum(hi - b)/m over the values in (lo, hi]. Where the sign may
    change, or the sup could exceed the largest difference at the cuts, the values of both sides in that
    interval are merged. On samples from one distribution a few per cent of the values are merged, on
    shifted ones fewer; the statistics equal a full merge's (KS to the last bit, tested against scipy).
    """
    n, m = a_sorted.size, b_sorted.size
    if n + m <= SMALL:
        return _merged_ks_w1(a_sorted, b_sorted)
    cuts, upto_a, upto_b = _cut_counts(a_sorted, b_sorted)  # values <= each cut (pooled min and max included)
    below_a = _below(a_sorted, upto_a[1:], cuts[1:])  # values < each cut but the first
    below_b = _below(b_sorted, upto_b[1:], cuts[1:])
    at_cuts = upto_a / n - upto_b / m  # F_a - F_b at each cut
    d_max = float(np.abs(at_cuts).max())
    upper = below_a / n - upto_b[:-1] / m  # bounds of F_a - F_b strictly between two cuts
    lower = upto_a[:-1] / n - below_b / m
    merge = ~((lower >= 0) | (upper <= 0)) | (np.maximum(upper, -lower) > d_max)
    lo, hi = cuts[:-1], cuts[1:]
    with np.errstate(over="ignore", invalid="ignore"):  # a gap beyond the float range: inf, reported by callers
        part = (hi - lo) * at_cuts[:-1]
        part += _gaps_to_top(a_sorted, upto_a, hi) / n
        part -= _gaps_to_top(b_sorted, upto_b, hi) / m
        area = float(np.abs(part[~merge]).sum())
    chosen = np.flatnonzero(merge)
    if chosen.size:
        d_merged, area_merged = _merge_intervals(a_sorted, b_sorted, upto_a, upto_b, at_cuts, cuts, chosen)
        d_max = max(d_max, d_merged)
        area += area_merged
    return d_max, area


def _cut_counts(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(cuts, #a <= each cut, #b <= each cut) for the cuts of _ks_w1: every (n // GRID)-th value of each
    side and each side's last, without repeats, in order. A side's own cut at position p has p + 1 values at
    or below it unless the next value equals it, so only the other side's cuts (and such ties) need a binary
    search: half the searches of looking every cut up on both sides. Counts as float64 (exact below 2^53):
    numpy's integer arithmetic on them would hold the interpreter lock."""
    own_a, own_b = _grid(a_sorted.size), _grid(b_sorted.size)
    cut_a, cut_b = a_sorted[own_a], b_sorted[own_b]
    pooled = np.concatenate([cut_a, cut_b])
    upto_a = np.concatenate([_own_counts(a_sorted, own_a, cut_a), np.searchsorted(a_sorted, cut_b, side="right")])
    upto_b = np.concatenate([np.searchsorted(b_sorted, cut_a, side="right"), _own_counts(b_sorted, own_b, cut_b)])
    order = np.argsort(pooled, kind="stable")  # two sorted runs: a linear merge
    pooled = pooled[order]
    first = np.empty(pooled.size, dtype=bool)  # the first of equal cuts (their counts are equal too)
    first[0] = True
    first[1:] = pooled[1:] != pooled[:-1]
    return pooled[first], upto_a[order][first].astype(np.float64), upto_b[order][first].astype(np.float64)


def _grid(size: int) -> NDArray[np.intp]:
    """Positions of a side's cuts: every (size // GRID)-th and the last."""
    positions = np.arange(0, size, max(1, size // GRID))
    return positions if positions[-1] == size - 1 else np.append(positions, size - 1)


def _own_counts(values: NDArray[np.float64], positions: NDArray[np.intp], cuts: NDArray[np.float64]
                ) -> NDArray[np.intp]:
    """Count of `values` (sorted) <= values[p] for each position p: p + 1, or a binary search where the
    value repeats after p."""
    upto = positions + 1
    tied = upto < values.size
    tied[tied] = values[upto[tied]] == cuts[tied]
    if tied.any():
        upto[tied] = np.searchsorted(values, cuts[tied], side="right")
    return upto


def _below(values: NDArray[np.float64], upto: NDArray[np.float64], cuts: NDArray[np.float64]
           ) -> NDArray[np.float64]:
    """Count of values < each cut, given the count <= it: one less where the last value <= the cut equals it;
    a binary search only for cuts repeated in `values` (ties), which a second look finds."""
    last = upto.astype(np.int64) - 1
    equal = (last >= 0) & (values[np.maximum(last, 0)] == cuts)
    below: NDArray[np.float64] = upto - equal
    repeated = equal & (last >= 1) & (values[np.maximum(last - 1, 0)] == cuts)
    if repeated.any():
        below[repeated] = np.searchsorted(values, cuts[repeated], side="left")
    return below


def _gaps_to_top(values: NDArray[np.float64], upto: NDArray[np.float64], hi: NDArray[np.float64]
                 ) -> NDArray[np.float64]:
    """sum(hi_k - v) over the values v in each interval (cut k, cut k+1], as count * (hi_k - c) - sum(v - c)
    for a value c amid them: the values are summed in place of the gaps, one pass instead of three, and
    subtracting c first keeps the precision of values far from zero (timestamps as seconds). In runs of
    intervals holding about _SUM_BLOCK values, so that the one temporary stays small however long the
    samples are."""
    counts = np.diff(upto)
    out = np.zeros(counts.size)
    filled = np.flatnonzero(counts > 0)
    if not filled.size:
        return out
    first_value, last_value = int(upto[0]), int(upto[-1])
    low, high = float(values[first_value]), float(values[last_value - 1])
    # values spanning zero (or near it) are summed as they are; a far offset is subtracted first
    center = 0.0 if max(abs(low), abs(high)) <= 2 * (high - low) else float(values[(first_value + last_value) // 2])
    starts = upto[:-1].astype(np.int64)
    ends = upto[1:].astype(np.int64)
    buffer = np.empty(0 if center == 0.0 else min(_SUM_BLOCK, last_value - first_value) + 1)
    k0 = 0
    while k0 < filled.size:
        # the filled intervals whose values fit in one block (at least one interval, however many values)
        begin = int(starts[filled[k0]])
        k1 = max(k0 + 1, int(np.searchsorted(ends[filled], begin + _SUM_BLOCK, side="right")))
        chosen = filled[k0:k1]
        stop = int(ends[chosen[-1]])
        shifted = values[begin:stop] if center == 0.0 else np.subtract(
            values[begin:stop], center, out=buffer[:stop - begin] if stop - begin <= buffer.size else None)
        sums = np.add.reduceat(shifted, starts[chosen] - begin)
        out[chosen] = counts[chosen] * (hi[chosen] - center) - sums
        k0 = k1
    return out


#: Values summed at a time by _gaps_to_top.
_SUM_BLOCK = 1 << 20


def _ranges(starts: NDArray[np.int64], counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenated arange(start, start + count) for each pair."""
    before = np.cumsum(counts) - counts
    out: NDArray[np.int64] = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - before, counts)
    return out


def _merge_intervals(a: NDArray[np.float64], b: NDArray[np.float64], upto_a: NDArray[np.float64],
                     upto_b: NDArray[np.float64], at_cuts: NDArray[np.float64], cuts: NDArray[np.float64],
                     chosen: NDArray[np.intp]) -> tuple[float, float]:
    """(sup, integral) of |F_a - F_b| over the intervals (cut k, cut k+1] for k in `chosen`, from one merge of
    their values: the intervals hold disjoint value ranges, so one sort orders them all, and each value's
    ECDF counts are its count within the merged values plus what lies below its interval."""
    n, m = a.size, b.size
    count_a = (upto_a[chosen + 1] - upto_a[chosen]).astype(np.int64)
    count_b = (upto_b[chosen + 1] - upto_b[chosen]).astype(np.int64)
    pooled = np.concatenate([a[_ranges(upto_a[chosen].astype(np.int64), count_a)],
                             b[_ranges(upto_b[chosen].astype(np.int64), count_b)]])
    interval = np.concatenate([np.repeat(np.arange(chosen.size), count_a), np.repeat(np.arange(chosen.size), count_b)])
    order = np.argsort(pooled, kind="stable")  # a before b among equal values, as ECDFs after ties need
    xs, interval = pooled[order], interval[order]
    merged_a = np.cumsum((order < count_a.sum()).astype(np.float64))
    merged_b = np.arange(1, xs.size + 1, dtype=np.float64) - merged_a
    below_a = upto_a[chosen] - (np.cumsum(count_a) - count_a)  # per interval: a below it, less merged a before
    below_b = upto_b[chosen] - (np.cumsum(count_b) - count_b)
    diff = (merged_a + below_a[interval]) / n
    diff -= (merged_b + below_b[interval]) / m
    np.abs(diff, out=diff)
    after_ties = np.empty(xs.size, dtype=bool)  # inside a run of equal values the counts are no ECDF's value
    after_ties[:-1] = xs[1:] != xs[:-1]
    after_ties[-1] = True
    d_max = float(diff[after_ties].max())
    same = interval[1:] == interval[:-1]
    starts = np.r_[0, np.flatnonzero(~same) + 1]
    with np.errstate(over="ignore", invalid="ignore"):
        area = float(np.sum((diff[:-1] * np.diff(xs))[same]))  # not np.dot: BLAS threads would fight the reducers
        area += float(np.sum(np.abs(at_cuts[chosen]) * (xs[starts] - cuts[chosen])))  # from each cut to its first value
    return d_max, area


def _merged_ks_w1(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> tuple[float, float]:
    """(sup, integral) of |F_a - F_b| from a merge of every value (small samples)."""
    xs, fa, fb = _merged_ecdfs(a_sorted, b_sorted)
    diff = np.abs(fa - fb)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(diff.max()), float(np.sum(diff[:-1] * np.diff(xs)))


def ks_and_wasserstein(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64],
                       sizes: tuple[int, int] | None = None) -> tuple[TestResult, float]:
    """Both ECDF statistics from one merge: (Kolmogorov-Smirnov, W1 on the finite values).

    Equal to ks_2samp(a, b) and wasserstein(finite a, finite b); one merge instead of two when
    neither side holds infinities (the common case). `sizes`, the sample sizes behind each side when
    one is a summary (a reference profile's quantile sketch), set the KS p-value's sizes: the p-value of
    the sketch's own size is never computed (at a tiny statistic it needs scipy's slow exact recursion).
    """
    if a_sorted.size == 0 or b_sorted.size == 0:
        return TestResult(float("nan"), float("nan")), float("nan")
    n, m = sizes if sizes is not None else (a_sorted.size, b_sorted.size)
    if not (np.isfinite(a_sorted[[0, -1]]).all() and np.isfinite(b_sorted[[0, -1]]).all()):
        finite_a = a_sorted[np.isfinite(a_sorted)]
        finite_b = b_sorted[np.isfinite(b_sorted)]
        return _ks_result(_ks_statistic(a_sorted, b_sorted), n, m), wasserstein(finite_a, finite_b)
    d, w1 = _ks_w1(a_sorted, b_sorted)
    return _ks_result(d, n, m), w1


def ks_p_value(d: float, n: int, m: int) -> TestResult:
    """The two-sided asymptotic p-value of a KS statistic d between samples of sizes n and m."""
    return _ks_result(d, n, m)


def _ks_result(d: float, n: int, m: int) -> TestResult:
    big, small = max(n, m), min(n, m)
    en = float(np.round(float(big) * small / (big + small)))
    if en < 1:  # one value per side: the asymptotic distribution is undefined
        return TestResult(d, float("nan"))
    return TestResult(d, kolmogorov.sf(d, int(en)))


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
    return _ks_result(_ks_statistic(a_sorted, b_sorted), n, m)


def _ks_statistic(a_sorted: NDArray[np.float64], b_sorted: NDArray[np.float64]) -> float:
    """sup |F_a - F_b| over the pooled values of two non-empty sorted samples."""
    _, fa, fb = _merged_ecdfs(a_sorted, b_sorted)
    return float(np.max(np.abs(fa - fb)))


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
    from scipy import special  # loaded on first use, in a reducing thread: not a tenth of a second at start-up

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
    return TestResult(q - p, normal_two_sided(float((q - p) / np.sqrt(var))))


def normal_two_sided(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z: 2 ndtr(-|z|), the bits scipy.stats.norm.sf gives, from
    scipy.special (loaded on first use; scipy.stats would take half a second more to import)."""
    from scipy import special

    return float(2 * special.ndtr(-abs(z)))


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
