"""Did a quantity's mean per bin change? The statistic behind concept drift.

For bins b with reference values (n_b rows, mean r_b) and current values
(m_b rows, mean c_b):

    effect = sum_b w_b |c_b - r_b|, w_b = m_b / sum m (the current rows' view)
    chi2   = sum_b (c_b - r_b)^2 / (s_b^2 (1/n_b + 1/m_b)), s_b^2 the pooled variance in bin b

with one degree of freedom per bin that has at least MIN_BIN_ROWS rows on
each side and a positive pooled variance; p = P(chi2_df > chi2). For 0/1
values s_b^2 is the pooled p(1 - p), and each term is the two-proportion z^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

MIN_BIN_ROWS = 5


@dataclass(frozen=True)
class BinnedShift:
    effect: float
    chi2: float
    dof: int
    p_value: float
    reference_means: list[float | None]
    current_means: list[float | None]
    reference_rows: list[int]
    current_rows: list[int]


def _bin_stats(values: NDArray[np.float64], bins: NDArray[np.integer[Any]], k: int
               ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    bins = bins.astype(np.intp, copy=False)  # once: bincount would convert a narrower index on every call
    n = np.asarray(np.bincount(bins, minlength=k), dtype=np.float64)
    s = np.asarray(np.bincount(bins, weights=values, minlength=k), dtype=np.float64)
    ss = np.asarray(np.bincount(bins, weights=values * values, minlength=k), dtype=np.float64)
    return n, s, ss


def binned_mean_shift(ref_values: NDArray[np.float64], ref_bins: NDArray[np.integer[Any]],
                      cur_values: NDArray[np.float64], cur_bins: NDArray[np.integer[Any]], k: int) -> BinnedShift:
    """Compare per-bin means of `values` (no NaN) between reference and current; bins are 0..k-1."""
    n, s_r, ss_r = _bin_stats(ref_values, ref_bins, k)
    m, s_c, ss_c = _bin_stats(cur_values, cur_bins, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_mean = np.where(n > 0, s_r / n, np.nan)
        c_mean = np.where(m > 0, s_c / m, np.nan)
        pooled_mean = (s_r + s_c) / (n + m)
        pooled_var = (ss_r + ss_c) / (n + m) - pooled_mean**2  # population variance: p(1 - p) for 0/1
    usable = (n >= MIN_BIN_ROWS) & (m >= MIN_BIN_ROWS) & (pooled_var > 1e-12)
    diff = c_mean - r_mean
    chi2 = float(np.sum(diff[usable] ** 2 / (pooled_var[usable] * (1 / n[usable] + 1 / m[usable]))))
    dof = int(usable.sum())
    from scipy import special  # loaded on first use: not at start-up

    p = float(special.chdtrc(dof, chi2)) if dof > 0 else float("nan")
    seen = (n > 0) & (m > 0)
    weights = np.where(seen, m, 0.0)
    effect = float(np.sum(weights * np.abs(np.nan_to_num(diff))) / weights.sum()) if weights.sum() > 0 else 0.0

    def listed(a: NDArray[np.float64]) -> list[float | None]:
        return [None if np.isnan(x) else float(x) for x in a]

    return BinnedShift(effect, chi2, dof, p, listed(r_mean), listed(c_mean), n.astype(int).tolist(),
                       m.astype(int).tolist())
