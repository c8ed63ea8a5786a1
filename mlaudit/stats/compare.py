"""Compare one feature between reference and current: every drift statistic plus what explains it.

The drift checks pick one statistic as the effect size (per method) and one
p-value (Kolmogorov-Smirnov for numbers, chi-square for categories); the rest
is reported so a person can see why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mlaudit.stats import binning, distances, twosample

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Comparison:
    """All statistics of one reference/current pair, and the distributions behind them."""

    kind: str
    ref_n: int
    cur_n: int
    statistics: dict[str, float]
    p_value: float
    test: str
    labels: list[str]
    ref_counts: list[int]
    cur_counts: list[int]
    explain: dict[str, Any] = field(default_factory=dict)

    def distance(self, method: str) -> float:
        return self.statistics[method]


def _sorted_quantile(sorted_values: NDArray[np.float64], q: float) -> float:
    """np.quantile's default (linear) method, on an already sorted array, without re-sorting. Between two
    values whose difference overflows (near +-1.8e308), the same point as a weighted sum, which stays finite."""
    pos = q * (sorted_values.size - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, sorted_values.size - 1)
    a, b, t = float(sorted_values[lo]), float(sorted_values[hi]), pos - lo
    if math.isfinite(b - a):
        return a + (b - a) * t
    return a * (1 - t) + b * t


def _magnitude(finite: NDArray[np.float64]) -> float:
    """The largest absolute value (0 for an empty array)."""
    return float(np.max(np.abs(finite))) if finite.size else 0.0


def _plain_mean(finite: NDArray[np.float64]) -> float:
    """numpy's mean, inf or NaN where the sum overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(finite.mean())


def _mean(finite: NDArray[np.float64], plain: float | None = None) -> float:
    """The mean (`plain`: numpy's, when already computed); for values whose sum overflows (near
    +-1.8e308), the mean of the values divided by their largest magnitude, multiplied back: always finite
    for finite values."""
    mean = _plain_mean(finite) if plain is None else plain
    if math.isfinite(mean) or finite.size == 0:
        return mean
    top = _magnitude(finite)
    return float((finite / top).mean()) * top


def _summary(finite_sorted: NDArray[np.float64]) -> dict[str, float]:
    if finite_sorted.size == 0:
        return {}
    plain = _plain_mean(finite_sorted)  # one pass for both: the standard deviation needs it too
    out = {"mean": _mean(finite_sorted, plain), "std": _std(finite_sorted, plain)}
    for q in QUANTILES:
        out[f"p{int(q * 100)}"] = _sorted_quantile(finite_sorted, q)
    return out


def scale(ref_sorted: NDArray[np.float64]) -> float:
    """Reference scale that normalises Wasserstein: the standard deviation (ddof=1) of the finite
    reference values, or 1 when it is 0 or undefined (a constant or single-value reference); inf when it
    is beyond the largest float (values spread over nearly the whole float range)."""
    return _scale(_finite(ref_sorted))


def _scale(finite: NDArray[np.float64], sd: float | None = None) -> float:
    sd = _std(finite) if sd is None else sd
    if math.isnan(sd):  # unknown, not 0: _standardised_w1 then works from the values themselves
        return sd
    return sd if sd > 0 else 1.0


def _std(finite: NDArray[np.float64], plain_mean: float | None = None) -> float:
    """The standard deviation (ddof=1), 0 for fewer than two values (`plain_mean`: numpy's mean of
    `finite`, when already computed). numpy's overflows to inf or NaN for
    values near +-1.8e308 (their differences and squares leave the float range): then the standard
    deviation of the values divided by their largest magnitude, multiplied back, which is inf only when the
    true value is beyond the largest float."""
    if finite.size < 2:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        sd = _blocked_std(finite, plain_mean)
    if math.isfinite(sd):
        return sd
    top = _magnitude(finite)
    with np.errstate(over="ignore"):
        return float(np.float64((finite / top).std(ddof=1)) * top)


#: Deviations squared at a time by _blocked_std: a bounded temporary however long the column.
_STD_BLOCK = 1 << 16


def _blocked_std(values: NDArray[np.float64], mean: float | None = None) -> float:
    """numpy's std(ddof=1), the same arithmetic (bit for bit up to _STD_BLOCK values), with the squared
    deviations summed block by block in one small buffer: numpy's makes a copy of the whole column (80 MB
    at ten million rows, in each reducing thread at once). `mean`: numpy's mean of `values`, if known."""
    n = values.size
    mean = float(values.mean()) if mean is None else mean
    buffer = np.empty(min(n, _STD_BLOCK))
    total = 0.0
    for start in range(0, n, _STD_BLOCK):
        block = values[start:start + _STD_BLOCK]
        deviations = np.subtract(block, mean, out=buffer[:block.size])
        np.multiply(deviations, deviations, out=deviations)
        total += float(deviations.sum())
    return math.sqrt(total / (n - 1))


def _standardised_w1(ref_finite: NDArray[np.float64], cur_finite: NDArray[np.float64], w1: float,
                     sc: float) -> tuple[float, str]:
    """(W1 / sc, why it is NaN). W1 or the scale overflows for values near +-1.8e308 (both are then inf):
    their ratio is the same on the values divided by the largest magnitude, where nothing overflows."""
    if (math.isfinite(w1) and math.isfinite(sc)) or not (ref_finite.size and cur_finite.size):
        return w1 / sc, ""
    top = max(_magnitude(ref_finite), _magnitude(cur_finite))
    ref_small, cur_small = ref_finite / top, cur_finite / top
    sd_small = _std(ref_small) if not math.isfinite(sc) else sc / top
    if sd_small > 0 and math.isfinite(sd_small):
        effect = twosample.wasserstein(ref_small, cur_small) / sd_small
        if math.isfinite(effect):
            return effect, ""
    return float("nan"), ("the Wasserstein distance cannot be standardised: the values span more than the "
                          "float range allows (their scale is not finite)")


def _finite(sorted_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The finite part of a sorted array: infinities sit at its two ends, so this is a slice, not a copy."""
    lo = int(np.searchsorted(sorted_values, -np.inf, side="right"))
    hi = int(np.searchsorted(sorted_values, np.inf, side="left"))
    return sorted_values[lo:hi]


def _top_bins(labels: list[str], ref: NDArray[np.int64], cur: NDArray[np.int64], k: int = 3) -> list[dict[str, Any]]:
    """The bins whose share moved most (by PSI contribution), for the explanation."""
    terms = distances.psi_terms(ref, cur)
    p, q = distances.shares(ref), distances.shares(cur)
    order = np.argsort(-terms, kind="mergesort")[:k]
    return [{"bin": labels[i], "reference_share": float(p[i]), "current_share": float(q[i]),
             "psi_term": float(terms[i])} for i in order if terms[i] > 0]


def numeric(ref_sorted: NDArray[np.float64], cur_sorted: NDArray[np.float64], bins: int,
            ref_scale: float | None = None, edges: NDArray[np.float64] | None = None,
            ref_n: int | None = None, ref_counts: NDArray[np.int64] | None = None,
            ref_summary: dict[str, float] | None = None) -> Comparison:
    """Compare sorted non-missing numeric values (infinities allowed; NaN removed by the caller).

    KS, PSI, Jensen-Shannon, Hellinger and L-infinity include infinite values
    (they fall in the open outer bins); Wasserstein uses finite values only.
    From a reference profile, `ref_sorted` is a quantile summary and `ref_n`,
    `ref_counts` (on `edges`), `ref_scale` and `ref_summary` are the exact
    reference values: binned statistics are then exact and the KS p-value uses
    the true size.
    """
    ref_finite, cur_finite = _finite(ref_sorted), _finite(cur_sorted)
    edges = binning.quantile_edges(ref_sorted, bins) if edges is None else edges
    if ref_counts is None:
        ref_counts = binning.sorted_bin_counts(ref_sorted, edges)
    cur_counts = binning.sorted_bin_counts(cur_sorted, edges)
    n_ref = int(ref_sorted.size) if ref_n is None else ref_n
    ks, w1 = twosample.ks_and_wasserstein(ref_sorted, cur_sorted, (n_ref, int(cur_sorted.size)))
    ref_described = _summary(ref_finite) if ref_summary is None else ref_summary
    sc = _scale(ref_finite, ref_described.get("std", 0.0)) if ref_scale is None else ref_scale
    effect, problem = _standardised_w1(ref_finite, cur_finite, w1, sc)
    stats = {
        "wasserstein": effect,
        "ks": ks.statistic,
        "psi": distances.psi(ref_counts, cur_counts),
        "jensen_shannon": distances.jensen_shannon(ref_counts, cur_counts),
        "hellinger": distances.hellinger(ref_counts, cur_counts),
        "linf": distances.linf(ref_counts, cur_counts),
    }
    labels = binning.bin_labels(edges)
    explain = {
        "reference": ref_described,
        "current": _summary(cur_finite),
        "top_bins": _top_bins(labels, ref_counts, cur_counts),
        "wasserstein_raw": w1,
        "scale": sc,
        "edges": edges.tolist(),
    }
    if problem:
        explain["problem"] = problem
    return Comparison("numeric", n_ref, int(cur_sorted.size), stats, ks.p_value,
                      "kolmogorov_smirnov", labels, ref_counts.tolist(), cur_counts.tolist(), explain)


def categorical(ref: dict[str, int], cur: dict[str, int]) -> Comparison:
    """Compare category counts (missing values excluded by the caller).

    Categories are the union of both sides, reference categories first (by
    decreasing reference count, then name), then new ones (by decreasing count).
    """
    ref_order = sorted(ref, key=lambda c: (-ref[c], c))
    new = sorted((c for c in cur if c not in ref), key=lambda c: (-cur[c], c))
    labels = ref_order + new
    r = np.array([ref.get(c, 0) for c in labels], dtype=np.int64)
    q = np.array([cur.get(c, 0) for c in labels], dtype=np.int64)
    chi = twosample.chi_square(r, q)
    n_ref, n_cur = int(r.sum()), int(q.sum())
    total = n_ref + n_cur
    k = int(((r + q) > 0).sum())
    problem = ""
    if k >= 2 and int((r + q).max()) == 1:
        # every category seen once in both snapshots together: however the rows split, the table is the same
        # up to relabelling, chi-square equals N and its p-value is about 0.5; the two samples are exchangeable
        # (an identifier-like column drawn twice from one distribution gives exactly this), so no test can
        # tell a shift from chance: no p-value rather than a pass
        chi = twosample.TestResult(chi.statistic, float("nan"))
        problem = (f"each of the {k:,} categories occurs once in the two snapshots together, so no test can tell "
                   "a shift from chance")
    cramers_v = float(np.sqrt(chi.statistic / (total * (min(2, k) - 1)))) if total and k > 1 else 0.0
    stats = {
        "jensen_shannon": distances.jensen_shannon(r, q),
        "psi": distances.psi(r, q),
        "hellinger": distances.hellinger(r, q),
        "linf": distances.linf(r, q),
        "chi_square": cramers_v,
    }
    cur_shares = distances.shares(q)
    ref_shares = distances.shares(r)
    vanished = [c for c in ref_order if cur.get(c, 0) == 0]
    explain = {
        "new_categories": new[:10],
        "new_category_share": float(sum(cur[c] for c in new) / n_cur) if n_cur else 0.0,
        "vanished_categories": vanished[:10],
        "vanished_reference_share": float(sum(ref[c] for c in vanished) / n_ref) if n_ref else 0.0,
        "top_bins": _top_bins(labels, r, q),
        "chi_square": chi.statistic,
        "largest_change": (labels[int(np.argmax(np.abs(cur_shares - ref_shares)))] if labels else None),
    }
    if problem:
        explain["problem"] = problem
    return Comparison("categorical", n_ref, n_cur, stats, chi.p_value, "chi_square", labels, r.tolist(),
                      q.tolist(), explain)
