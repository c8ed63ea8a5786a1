"""Reference-derived bins for numeric values.

Interior edges are reference quantiles at j/k (j = 1..k-1), deduplicated, so
discrete data gets fewer bins. The outer bins are open: (-inf, e_1] and
(e_last, +inf), so current values outside the reference range land somewhere.
A value equal to an edge falls in the bin below it. Missing values are not
binned here; their share is compared on its own (drift.null_share).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray


def sorted_quantiles(sorted_values: NDArray[np.float64], qs: NDArray[np.float64]) -> NDArray[np.float64]:
    """np.quantile(values, qs) (the default linear method), bit for bit, from already sorted finite values:
    the order statistics are read off the array instead of partitioning a copy of it."""
    n = sorted_values.size
    q = np.asarray(qs, dtype=np.float64)
    virtual = (n - 1) * q  # numpy's virtual index for the linear method, same rounding
    previous = np.floor(virtual)
    following = previous + 1
    previous[virtual >= n - 1] = n - 1
    following[virtual >= n - 1] = n - 1
    previous[virtual < 0] = 0
    following[virtual < 0] = 0
    gamma = virtual - previous
    lo, hi = sorted_values[previous.astype(np.intp)], sorted_values[following.astype(np.intp)]
    with np.errstate(over="ignore", invalid="ignore"):
        diff = hi - lo
        out = lo + diff * gamma
        upper = gamma >= 0.5  # numpy's lerp interpolates from the upper neighbour past the midpoint
        out[upper] = (hi - diff * (1 - gamma))[upper]
        wide = ~np.isfinite(diff)  # neighbours near +-1.8e308 whose difference overflows: a weighted sum instead
        out[wide] = (lo * (1 - gamma) + hi * gamma)[wide]
    return np.asarray(out, dtype=np.float64)


def quantile_edges(ref_sorted: NDArray[np.float64], bins: int) -> NDArray[np.float64]:
    """Interior bin edges from the sorted, finite-or-infinite reference values."""
    lo = int(np.searchsorted(ref_sorted, -np.inf, side="right"))
    hi = int(np.searchsorted(ref_sorted, np.inf, side="left"))
    finite = ref_sorted[lo:hi]  # infinities sit at the two ends of a sorted array: a slice, not a copy
    if finite.size == 0 or bins < 2:
        return np.empty(0)
    return np.unique(sorted_quantiles(finite, np.arange(1, bins) / bins))


#: Up to this many edges, bin_index compares each value with every edge instead of a binary search.
_COMPARED_EDGES = 32


def bin_index(edges: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.integer[Any]]:
    """The bin of each value: the number of edges below it, np.searchsorted(edges, values, side="left")
    (NaN past the last bin). For the few edges of quantile bins a comparison per edge and value runs over
    the values in order, into one byte per value: several times faster than a binary search per value."""
    if edges.size > _COMPARED_EDGES:
        return np.asarray(np.searchsorted(edges, values, side="left"), dtype=np.int64)
    index = np.zeros(values.shape, dtype=np.uint8)
    above = np.empty(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for edge in edges.tolist():
            np.greater(values, edge, out=above)
            index += above
    index[np.isnan(values)] = edges.size
    return index


def bin_counts(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.int64]:
    """Counts of `values` in the len(edges) + 1 bins defined by `edges` (see module docstring)."""
    return np.bincount(bin_index(edges, values), minlength=edges.size + 1).astype(np.int64)


def sorted_bin_counts(values_sorted: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.int64]:
    """bin_counts for sorted values in O(k log n): the count of values <= each edge, differenced."""
    upto = np.searchsorted(values_sorted, edges, side="right")
    bounds = np.concatenate([[0], upto, [values_sorted.size]])
    return np.diff(bounds).astype(np.int64)


def bin_labels(edges: NDArray[np.float64]) -> list[str]:
    """Human-readable bin names: '(-inf, 1.5]', '(1.5, 3]', ..., '(9, inf)'."""
    bounds = [-np.inf, *edges.tolist(), np.inf]
    out = []
    for lo, hi in itertools.pairwise(bounds):
        right = ")" if np.isinf(hi) else "]"
        out.append(f"({lo:.6g}, {hi:.6g}{right}")
    return out
