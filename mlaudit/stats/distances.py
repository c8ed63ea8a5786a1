"""Distances between two distributions given as counts over the same bins or categories.

All functions take raw counts (not shares) so that sample sizes stay known;
shares are counts divided by their total. Zero counts are handled per
function and documented; results are deterministic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Floor applied to shares before PSI's logarithm: a bin empty on one side would
#: otherwise make PSI infinite. 1e-4 (0.01% of rows) is the floor used here and
#: documented in docs/drift.md; any choice changes the number, so it is fixed.
PSI_EPSILON = 1e-4


def shares(counts: ArrayLike) -> NDArray[np.float64]:
    """counts / sum(counts); all zeros when the total is 0."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return c / total if total > 0 else np.zeros_like(c)


def psi(ref_counts: ArrayLike, cur_counts: ArrayLike, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index: sum_i (q_i - p_i) * ln(q_i / p_i).

    p are reference shares, q current shares, each floored at `epsilon` before
    the difference and the logarithm (so an empty bin contributes a large but
    finite term).
    """
    p = np.maximum(shares(ref_counts), epsilon)
    q = np.maximum(shares(cur_counts), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_terms(ref_counts: ArrayLike, cur_counts: ArrayLike, epsilon: float = PSI_EPSILON) -> NDArray[np.float64]:
    """Each bin's contribution to PSI (for explaining which bins moved)."""
    p = np.maximum(shares(ref_counts), epsilon)
    q = np.maximum(shares(cur_counts), epsilon)
    return np.asarray((q - p) * np.log(q / p), dtype=np.float64)


def _kl_base2(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    mask = a > 0
    return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))


def jensen_shannon(ref_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """Jensen-Shannon distance, base 2, in [0, 1]: sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2.

    Terms with a zero share contribute 0 (the limit of x log x), so no floor is needed.
    """
    p, q = shares(ref_counts), shares(cur_counts)
    m = (p + q) / 2
    divergence = (_kl_base2(p, m) + _kl_base2(q, m)) / 2
    return float(np.sqrt(max(divergence, 0.0)))


def hellinger(ref_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """Hellinger distance in [0, 1]: sqrt(1 - sum_i sqrt(p_i q_i)) = sqrt(sum_i (sqrt p_i - sqrt q_i)^2 / 2).

    Computed in the second form: the first loses all precision for close distributions.
    """
    p, q = shares(ref_counts), shares(cur_counts)
    return float(np.sqrt(min(0.5 * float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)), 1.0)))


def linf(ref_counts: ArrayLike, cur_counts: ArrayLike) -> float:
    """L-infinity distance: max_i |p_i - q_i| (the largest change in one category's share)."""
    p, q = shares(ref_counts), shares(cur_counts)
    return float(np.max(np.abs(p - q))) if p.size else 0.0
