"""Do the scores mean what they say? Calibration of binary probabilities, and isotonic recalibration.

- Expected calibration error (ECE): sum over bins of n_b / n * |mean score_b - outcome rate_b|, with
  equal-width bins on [0, 1] or equal-mass bins (quantiles of the scores); the maximum calibration
  error (MCE) is the largest bin gap.
- Brier decomposition (Murphy 1973) over the same bins: reliability - resolution + uncertainty; it
  equals the Brier score exactly when scores are constant within bins, and approximately otherwise.
- Hosmer-Lemeshow test over equal-mass bins: sum (O - E)^2 / (E (1 - E / n_b)); for scores from a
  model not fitted on these rows it is chi-square with G degrees of freedom. ECE is biased upwards on
  small samples; the test keeps a small sample's noise from reading as miscalibration.
- Isotonic regression (pool adjacent violators) maps scores to calibrated probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Calibration:
    ece: float
    mce: float
    ece_equal_mass: float
    reliability: float
    resolution: float
    uncertainty: float
    hl_statistic: float
    hl_p_value: float
    n: int
    diagram: list[dict[str, Any]]
    """Reliability-diagram data (equal-width bins): bin bounds, rows, mean score, outcome rate."""


def _width_bins(p: Floats, bins: int) -> NDArray[np.int64]:
    """Equal-width bin of each score on [0, 1]: [0, 1/b), ..., [(b-1)/b, 1]."""
    return np.minimum((p * bins).astype(np.int64), bins - 1)


def _mass_bins(p: Floats, bins: int) -> NDArray[np.int64]:
    """Equal-mass bins: rows ranked by score and split into `bins` groups of (nearly) equal size; ties keep
    their rank order, so equal scores may straddle a boundary."""
    order = np.argsort(p, kind="mergesort")
    out = np.empty(p.size, dtype=np.int64)
    out[order] = np.arange(p.size) * bins // max(p.size, 1)
    return out


def _gaps(p: Floats, y: Floats, index: NDArray[np.int64], bins: int) -> tuple[Floats, Floats, Floats]:
    n_b = np.bincount(index, minlength=bins).astype(np.float64)
    s_b = np.bincount(index, weights=p, minlength=bins).astype(np.float64)
    o_b = np.bincount(index, weights=y, minlength=bins).astype(np.float64)
    return n_b, s_b, o_b


def ece(p: Floats, y: Floats, bins: int = 10, equal_mass: bool = False) -> tuple[float, float]:
    """(ECE, MCE) of probabilities `p` for 0/1 outcomes `y`."""
    if p.size == 0:
        return float("nan"), float("nan")
    index = _mass_bins(p, bins) if equal_mass else _width_bins(p, bins)
    n_b, s_b, o_b = _gaps(p, y, index, bins)
    used = n_b > 0
    gap = np.abs(s_b[used] - o_b[used]) / n_b[used]
    return float(np.sum(n_b[used] * gap) / p.size), float(gap.max())


def hosmer_lemeshow(p: Floats, y: Floats, bins: int = 10) -> tuple[float, float]:
    """(statistic, p-value) of the Hosmer-Lemeshow test over equal-mass bins, G = the bins with rows
    degrees of freedom (external validation: the model was not fitted on these rows)."""
    from scipy import special

    if p.size == 0:
        return float("nan"), float("nan")
    n_b, e_b, o_b = _gaps(p, y, _mass_bins(p, bins), bins)
    used = (n_b > 0) & (e_b > 0) & (e_b < n_b)
    with np.errstate(over="ignore"):  # an outcome in a bin expecting ~1e-300 of them: an infinite statistic, p 0
        stat = float(np.sum((o_b[used] - e_b[used]) ** 2 / (e_b[used] * (1 - e_b[used] / n_b[used]))))
    dof = int(used.sum())
    return stat, float(special.chdtrc(dof, stat)) if dof else float("nan")


def calibration(p: Floats, y: Floats, bins: int = 10) -> Calibration:
    """Every calibration statistic of probabilities `p` for 0/1 outcomes `y` (see the module docstring)."""
    n = int(p.size)
    e, m = ece(p, y, bins)
    e_mass, _ = ece(p, y, bins, equal_mass=True)
    index = _width_bins(p, bins)
    n_b, s_b, o_b = _gaps(p, y, index, bins)
    used = n_b > 0
    base = float(y.mean()) if n else float("nan")
    mean_p = np.divide(s_b, n_b, out=np.zeros(bins), where=used)
    rate = np.divide(o_b, n_b, out=np.zeros(bins), where=used)
    reliability = float(np.sum(n_b * (mean_p - rate) ** 2) / n) if n else float("nan")
    resolution = float(np.sum(n_b * (rate - base) ** 2) / n) if n else float("nan")
    hl, hl_p = hosmer_lemeshow(p, y, bins)
    diagram = [{"bin": f"[{b / bins:.2f}, {(b + 1) / bins:.2f}{']' if b == bins - 1 else ')'}",
                "rows": int(n_b[b]), "mean_score": round(float(mean_p[b]), 6), "outcome_rate": round(float(rate[b]), 6)}
               for b in range(bins) if used[b]]
    return Calibration(ece=e, mce=m, ece_equal_mass=e_mass, reliability=reliability, resolution=resolution,
                       uncertainty=base * (1 - base) if n else float("nan"), hl_statistic=hl, hl_p_value=hl_p,
                       n=n, diagram=diagram)


@dataclass(frozen=True)
class Isotonic:
    """A non-decreasing step function: scores at or above thresholds[i] (and below the next) map to values[i]."""

    thresholds: Floats
    values: Floats

    def __call__(self, p: Floats) -> Floats:
        if self.thresholds.size == 0:
            return np.full(p.shape, np.nan)
        index = np.searchsorted(self.thresholds, p, side="right") - 1
        return self.values[np.clip(index, 0, self.values.size - 1)]


def isotonic(p: Floats, y: Floats) -> Isotonic:
    """Isotonic regression of `y` on `p` (pool adjacent violators, scipy's C implementation): the
    non-decreasing fit minimising squared error. Equal scores are pooled first (weighted by their count),
    so the fit is a function of the score."""
    from scipy.optimize import isotonic_regression

    if p.size == 0:
        return Isotonic(np.empty(0), np.empty(0))
    xs, inverse = np.unique(p, return_inverse=True)
    weight = np.bincount(inverse).astype(np.float64)
    means = np.bincount(inverse, weights=y) / weight
    fitted = np.asarray(isotonic_regression(means, weights=weight, increasing=True).x, dtype=np.float64)
    return Isotonic(xs.astype(np.float64), fitted)
