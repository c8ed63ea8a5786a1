"""P(D_n > d) for the two-sided Kolmogorov-Smirnov statistic, without importing scipy.stats.

scipy.stats takes about half a second of interpreter time to import, and in
an audit that import competes with polars' reading for the interpreter lock
(measured: the reading slowed by more than the import's own cost). The drift
p-values only need the distribution of D_n, which scipy.special's `smirnov`
and the Pelz-Good series give for the sizes drift is judged at. The regions
and their methods follow Simard and L'Ecuyer (2011), "Computing the two-sided
Kolmogorov-Smirnov distribution" (J. Stat. Softw. 39(11)), as scipy's kstwo
does. Durbin's matrix formula for a tiny d at 140 < n <= 100,000 (which
per-chunk drift reaches) is computed here in numpy; only for n <= 140, where
they mix it with Pomeranz's recursion, this module defers to
scipy.stats.kstwo. The values agree with scipy everywhere (tested to 1e-10).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

#: Up to this n, Simard and L'Ecuyer use exact recursions (left to scipy.stats).
EXACT_N = 140


def sf(d: float, n: int) -> float:
    """P(D_n > d), D_n the two-sided one-sample KS statistic on n values (the two-sample asymptotic p-value
    uses n = round(n1 n2 / (n1 + n2)))."""
    if math.isnan(d):
        return math.nan
    if d >= 1.0:
        return 0.0
    if d <= 0.0:
        return 1.0
    t = n * d
    if t <= 0.5:  # D_n is at least 1/(2n): certain to exceed d
        return 1.0
    if t <= 1.0:  # Ruben and Gambino: P(D_n <= d) = n!/n^n (2nd - 1)^n
        return _clip(1.0 - math.exp(math.lgamma(n + 1) - n * math.log(n) + n * math.log(2 * t - 1)))
    if t >= n - 1:  # Ruben and Gambino: only the extreme configurations exceed d
        return _clip(2.0 * (1.0 - d) ** n)
    if d >= 0.5:  # the two one-sided events are disjoint: exactly twice Smirnov's one-sided tail
        return _clip(2.0 * smirnov(n, d))
    if n <= EXACT_N:
        return _scipy_sf(d, n)
    nd2 = t * d
    if nd2 >= 370.0:  # below the smallest double
        return 0.0
    if nd2 >= 2.2:  # Miller: twice the one-sided tail, to double precision in this region
        return _clip(2.0 * smirnov(n, d))
    if n <= 100_000 and n * d**1.5 <= 1.4:  # a tiny d at moderate n: Durbin's matrix method
        return _clip(1.0 - durbin_cdf(d, n))
    return _clip(1.0 - pelz_good_cdf(d, n))


def durbin_cdf(d: float, n: int) -> float:
    """P(D_n < d) by Durbin's matrix formula as Marsaglia, Tsang and Wang (2003, J. Stat. Softw. 8(18))
    compute it: n!/n^n times the central element of H^n, H the m x m matrix (m = 2k - 1, k = floor(nd) + 1,
    h = k - nd) with H[i, j] = 1/(i - j + 1)! on and below the first superdiagonal, its first column and last
    row corrected by powers of h. The power is taken by squaring, with a power of two factored out whenever
    the central element grows, so that nothing overflows; exact for every n, d (used where the asymptotic
    series are not accurate: a small n d^1.5)."""
    k = int(n * d) + 1
    m = 2 * k - 1
    h = k - n * d
    gap = np.arange(m)[:, None] - np.arange(m)[None, :] + 1  # i - j + 1
    powers = h ** np.arange(1, m + 1, dtype=np.float64)
    matrix = (gap >= 0).astype(np.float64)
    matrix[:, 0] -= powers  # h^(i + 1)
    matrix[m - 1, :] -= powers[::-1]  # h^(m - j)
    if 2 * h - 1 > 0:
        matrix[m - 1, 0] += (2 * h - 1) ** m
    factorials = np.array([math.factorial(g) for g in range(m + 1)], dtype=np.float64)
    matrix /= np.where(gap > 0, factorials[np.clip(gap, 0, m)], 1.0)
    power, exponent = _matrix_power(matrix, n, k - 1)
    centre = float(power[k - 1, k - 1])
    if centre <= 0.0:
        return 0.0
    return float(math.exp(math.log(centre) + exponent * math.log(2.0) + math.lgamma(n + 1) - n * math.log(n)))


def _matrix_power(matrix: NDArray[np.float64], n: int, centre: int) -> tuple[NDArray[np.float64], int]:
    """(P, e) with matrix^n = P 2^e, by squaring; a power of two is taken out of P whenever its element
    (centre, centre) exceeds 2^400."""
    result: NDArray[np.float64] | None = None
    exponent, base, base_exponent = 0, matrix, 0
    while n:
        if n & 1:
            result = base if result is None else result @ base
            exponent += base_exponent
            result, exponent = _rescaled(result, exponent, centre)
        n >>= 1
        if n:
            base, base_exponent = _rescaled(base @ base, 2 * base_exponent, centre)
    assert result is not None
    return result, exponent


def _rescaled(a: NDArray[np.float64], exponent: int, centre: int) -> tuple[NDArray[np.float64], int]:
    """(a, exponent), or a with its central element's power of two taken out into the exponent when above
    2^400 (the products stay far from overflow)."""
    _, e = math.frexp(abs(float(a[centre, centre])) or 1.0)
    if e > 400:
        return np.ldexp(a, -e), exponent + e
    return a, exponent


#: Above this n scipy's smirnov switches to an asymptotic formula that is fast; up to it, its exact sum
#: runs term by term in C (0.7 s at n = 500,000), so it is summed here with numpy instead.
SMIRNOV_EXACT_UP_TO = 1_000_000


def smirnov(n: int, d: float) -> float:
    """P(D+_n >= d), Smirnov's one-sided tail, from Birnbaum and Tingey's exact sum
    d * sum_{j=0}^{floor(n(1-d))} C(n, j) (d + j/n)^(j-1) (1 - d - j/n)^(n-j),
    each term written as (d/p) * Binomial(n, p).pmf(j) with p = d + j/n and that probability computed by
    Loader's saddle-point form (Stirling remainders and deviances), which keeps full precision for every
    term: all terms are positive, so the sum is accurate to about 1e-13. Vectorised over j: 50 ms at
    n = 500,000, where scipy.special.smirnov takes 0.7 s."""
    if n <= EXACT_N or n > SMIRNOV_EXACT_UP_TO or not 0.0 < d < 1.0:
        from scipy import special  # loaded on first use: not at start-up

        return float(special.smirnov(n, d))
    last = math.floor(n * (1.0 - d) * (1 + 1e-15))  # scipy's rounding of n(1-d) to an integer
    total = math.exp(n * math.log1p(-d))  # j = 0: p = d, the pmf (1 - d)^n, times d/p = 1
    const = float(_stirlerr(np.array([float(n)]))[0]) + 0.5 * math.log(n / (2 * math.pi))
    for start in range(1, last + 1, _CHUNK):  # in cache-sized pieces: whole-length temporaries cost page faults
        j = np.arange(start, min(start + _CHUNK, last + 1), dtype=np.float64)
        p = d + j / n
        q = ((n - j) - n * d) / n
        keep = q > 0  # a last term with 1 - d - j/n = 0 (n(1-d) whole) is 0
        if not keep.all():
            j, p, q = j[keep], p[keep], q[keep]
        rest = n - j
        log_pmf = const - _stirlerr(j) - _stirlerr(rest) - _bd0(j, n * p) - _bd0(rest, n * q) - 0.5 * np.log(j * rest)
        total += float(np.sum(d / p * np.exp(log_pmf)))
    return total


#: Terms of the Smirnov sum evaluated at a time.
_CHUNK = 8192


#: log(k!) - ((k + 1/2) log k - k + log(2 pi)/2) for k = 0..15, where the series below is not yet exact.
_STIRLERR_SMALL = np.array([0.0] + [math.lgamma(k + 1) - (k + 0.5) * math.log(k) + k - 0.5 * math.log(2 * math.pi)
                                    for k in range(1, 16)])


def _stirlerr(k: NDArray[np.float64]) -> NDArray[np.float64]:
    """The error of Stirling's formula for log(k!), k >= 1 whole: a table below 16, the asymptotic series
    1/(12k) - 1/(360k^3) + 1/(1260k^5) - 1/(1680k^7) + 1/(1188k^9) above (exact to double precision)."""
    small = k < 16
    inv2 = 1.0 / (k * k)
    series = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - inv2 / 1188) * inv2) * inv2) * inv2) / k
    out: NDArray[np.float64] = np.where(small, _STIRLERR_SMALL[np.minimum(k, 15).astype(np.int64)], series)
    return out


def _bd0(x: NDArray[np.float64], mean: NDArray[np.float64]) -> NDArray[np.float64]:
    """The deviance term x log(x/mean) + mean - x; where x is close to mean (the direct form would cancel to
    nothing there) by a series in v = (x - mean)/(x + mean), with as many terms as the largest |v| needs."""
    diff = x - mean
    out = np.empty_like(diff)
    near = np.abs(diff) < 0.1 * (x + mean)
    far = ~near
    out[far] = x[far] * np.log(x[far] / mean[far]) - diff[far]
    if near.any():
        dn, xn = diff[near], x[near]
        v = dn / (xn + mean[near])
        v2 = v * v
        series = dn * v
        power = 2 * xn * v
        top = float(v2.max())
        k = 1
        while top**k > 1e-18 * top and k < 40:  # |v| < 0.1: at most 9 terms
            power *= v2
            series += power / (2 * k + 1)
            k += 1
        out[near] = series
    return out


def pelz_good_cdf(d: float, n: int) -> float:
    """Pelz and Good's (1976) asymptotic series for P(D_n <= d), z = d sqrt(n):
    K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^(3/2), each K_i a theta-function sum over odd multiples of
    pi/(2z) (terms q^(m^2), q = exp(-pi^2 / (8 z^2)), m = 1, 3, 5, ...) plus, for K2 and K3, a sum over
    integers k (terms exp(-pi^2 k^2 / (2 z^2)))."""
    z = d * math.sqrt(n)
    z2 = z * z
    if -math.pi**2 / (8 * z2) < -708:  # every term underflows: the probability is 0
        return 0.0
    terms = max(1, math.ceil(16 * z / math.pi))
    m2 = (2 * np.arange(1, terms + 1, dtype=np.float64) - 1) ** 2  # odd squares
    odd = np.exp(-math.pi**2 * m2 / (8 * z2))
    p2 = math.pi**2 * m2 / 4  # (pi m / 2)^2
    p4, p6 = p2 * p2, p2 * p2 * p2
    root = math.sqrt(2 * math.pi)
    k0 = root / z * float(np.sum(odd))
    k1 = root / (6 * z**4) * float(np.sum((p2 - z2) * odd))
    k2 = root / (72 * z**7) * float(np.sum((6 * z**6 + 2 * z**4 + (2 * z**4 - 5 * z2) * p2 + (1 - 2 * z2) * p4)
                                           * odd))
    k3 = root / (6480 * z**10) * float(np.sum((-30 * z**6 - 90 * z**8 + (135 * z**4 - 96 * z**6) * p2
                                               + (-60 * z2 + 212 * z**4) * p4 + (5 - 30 * z2) * p6) * odd))
    k = np.arange(1, terms + 1, dtype=np.float64)
    whole = np.exp(-math.pi**2 * k * k / (2 * z2))
    k2 -= math.pi**2 * root / (36 * z**3) * float(np.sum(k * k * whole))
    k3 += math.pi**2 * root / (216 * z**6) * float(np.sum((3 * z2 - math.pi**2 * k * k) * k * k * whole))
    return float(k0 + k1 / math.sqrt(n) + k2 / n + k3 / math.sqrt(n) ** 3)


def _scipy_sf(d: float, n: int) -> float:
    from scipy.stats import kstwo  # the exact recursions; imported only for these rare cases

    return _clip(float(kstwo.sf(d, n)))


def _clip(p: float) -> float:
    return min(1.0, max(0.0, p))
