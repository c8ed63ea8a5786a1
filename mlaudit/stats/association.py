"""How much one column tells about another: the statistics behind label and leakage checks.

All are exact functions of their inputs (counts or rank sums computed in
polars over the whole snapshot), with the formula in each docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mlaudit.stats.twosample import normal_two_sided


@dataclass(frozen=True)
class Auc:
    """ROC AUC of a score for a binary label, with the Mann-Whitney test of AUC = 0.5."""

    auc: float
    n_pos: int
    n_neg: int
    p_value: float

    @property
    def oriented(self) -> float:
        """max(AUC, 1 - AUC): how well the score separates the classes in either direction."""
        return max(self.auc, 1.0 - self.auc)

    @property
    def standard_error(self) -> float:
        """Sampling error of the oriented AUC (see hanley_mcneil_se), used to compare two AUCs."""
        return hanley_mcneil_se(self.oriented, self.n_pos, self.n_neg)


def hanley_mcneil_se(a: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982): sqrt((A(1-A) + (n1-1)(Q1-A^2) + (n0-1)(Q2-A^2)) / (n1 n0)),
    Q1 = A/(2-A), Q2 = 2A^2/(1+A)."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def auc_from_rank_sum(rank_sum_pos: float, n_pos: int, n_neg: int, tie_term: float = 0.0) -> Auc:
    """AUC = (R1 - n1(n1+1)/2) / (n1 n0), R1 the sum of the positives' average ranks among all values:
    the Mann-Whitney U of the positives over n1 n0, ties counting one half.

    p-value: two-sided normal approximation of U with the tie-corrected variance
    n1 n0 / 12 * ((n + 1) - tie_term / (n (n - 1))), tie_term = sum over tied groups of t^3 - t
    (as scipy.stats.mannwhitneyu with method='asymptotic', without continuity correction).
    """
    if n_pos <= 0 or n_neg <= 0:
        raise ValueError("AUC needs both classes")
    u = rank_sum_pos - n_pos * (n_pos + 1) / 2
    n = n_pos + n_neg
    var = n_pos * n_neg / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    z = (u - n_pos * n_neg / 2) / math.sqrt(var) if var > 0 else 0.0
    return Auc(auc=u / (n_pos * n_neg), n_pos=n_pos, n_neg=n_neg, p_value=normal_two_sided(z))


def average_ranks(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """(1-based ranks of x with ties given their average rank, the size of each group of equal values in
    increasing order): scipy.stats.rankdata(x) and np.unique's counts from one stable sort. Ranks are all
    NaN when x holds a NaN (rankdata's default)."""
    if x.size and np.isnan(x).any():
        return np.full(x.size, np.nan), np.ones(x.size, dtype=np.int64)
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if x.size else np.empty(0, np.int64)
    ends = np.r_[starts[1:], x.size]
    ranks = np.empty(x.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # the mean of ranks start+1 .. end
    return ranks, (ends - starts).astype(np.int64)


def positive_rank_sum(x: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """The positives' sum of average ranks among all of `x` (no NaN), as rankdata(x, 'average') gives it
    without ranking every row: a value's average rank is (rows below it + rows up to it + 1) / 2, from one
    sort of `x` and one of the positives, one binary search of the positives for the rows below, and the runs
    of equal values for the rows up to. Integer sums: the result is exact."""
    ordered, pos = np.sort(x), np.sort(x[positive])
    below = np.searchsorted(ordered, pos, side="left")
    return (2 * int(below.sum()) + _tied_beyond(ordered, below) + 2 * pos.size) / 2


def _tied_beyond(ordered: NDArray[np.float64], below: NDArray[np.intp]) -> int:
    """sum(rows <= v) - sum(rows < v) - len(below) over the values v whose first rows in `ordered` (sorted)
    are at `below`: the other rows tied with each, 0 without ties. A value's rows <= it end where its run of
    equal values does, so the run lengths stand in for a second binary search of every value (a third of the
    rank sum's time); without any tie the check is one comparison pass."""
    equal_next = ordered[1:] == ordered[:-1]
    if not equal_next.any():
        return 0
    starts = np.flatnonzero(np.concatenate(([True], ~equal_next)))
    run_length = np.empty(ordered.size, dtype=np.int64)
    run_length[starts] = np.diff(np.append(starts, ordered.size))
    return int(run_length[below].sum()) - int(below.size)


def roc_auc(score: ArrayLike, positive: ArrayLike) -> Auc:
    """AUC of `score` for the boolean `positive` (NaN scores dropped), via average ranks."""
    x = np.asarray(score, dtype=np.float64)
    y = np.asarray(positive, dtype=bool)
    keep = ~np.isnan(x)
    x, y = x[keep], y[keep]
    ranks, counts = average_ranks(x)
    tie = float(np.sum(counts.astype(np.float64) ** 3 - counts))
    return auc_from_rank_sum(float(ranks[y].sum()), int(y.sum()), int((~y).sum()), tie)


def compare_aucs(before: Auc, after: Auc) -> float:
    """Two-sided p-value that two AUCs of independent samples differ: z = (A1 - A2) / sqrt(SE1^2 + SE2^2)."""
    se = math.hypot(before.standard_error, after.standard_error)
    if se == 0:
        return 0.0 if before.oriented != after.oriented else 1.0
    return normal_two_sided((before.oriented - after.oriented) / se)


def auc_drop_p_value(before: Auc, after: float, n_pos: int, n_neg: int) -> float:
    """Two-sided p-value that an AUC `after` (on an independent sample, measured in the direction of
    `before`, so possibly below 0.5) differs from before's oriented AUC: z = (A1 - A2) / sqrt(SE1^2 + SE2^2)."""
    se = math.hypot(before.standard_error, hanley_mcneil_se(after, n_pos, n_neg))
    diff = before.oriented - after
    if se == 0:
        return 1.0 if diff == 0 else 0.0
    return normal_two_sided(diff / se)


def _entropy(p: NDArray[np.float64]) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


@dataclass(frozen=True)
class MutualInformation:
    """Mutual information of a feature X and a label Y from their joint counts (natural log)."""

    mi: float
    h_x: float
    h_y: float
    n: int

    @property
    def uncertainty(self) -> float:
        """Normalised mutual information I(X;Y) / H(Y) (Theil's U): the share of the label's entropy the
        feature explains; 1 when the feature determines the label, 0 when independent (0 for a constant label)."""
        return self.mi / self.h_y if self.h_y > 0 else 0.0


def mutual_information(joint: ArrayLike) -> MutualInformation:
    """I(X;Y) = H(X) + H(Y) - H(X,Y) for a contingency table joint[x, y] of counts."""
    table = np.asarray(joint, dtype=np.float64)
    n = float(table.sum())
    if n <= 0:
        raise ValueError("empty contingency table")
    p = table / n
    h_x, h_y, h_xy = _entropy(p.sum(axis=1)), _entropy(p.sum(axis=0)), _entropy(p.ravel())
    return MutualInformation(mi=max(h_x + h_y - h_xy, 0.0), h_x=h_x, h_y=h_y, n=int(n))


def cohen_kappa(a: ArrayLike, b: ArrayLike) -> float:
    """Cohen's kappa of two raters over the same items: (p_o - p_e) / (1 - p_e), p_o the observed agreement and
    p_e = sum_k p_a(k) p_b(k) the agreement expected by chance; 1 when p_e = 1 and they agree."""
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape or x.size == 0:
        raise ValueError("kappa needs two equally long, non-empty rating lists")
    categories = np.unique(np.concatenate([x, y]))
    p_o = float(np.mean(x == y))
    p_e = float(sum(np.mean(x == k) * np.mean(y == k) for k in categories))
    if p_e >= 1.0:
        return 1.0 if p_o >= 1.0 else 0.0
    return (p_o - p_e) / (1 - p_e)


def fleiss_kappa(counts: ArrayLike) -> float:
    """Fleiss' kappa for counts[i, k] = raters who put item i in category k (same number of raters m per item):
    P_i = (sum_k n_ik^2 - m) / (m (m - 1)), P = mean P_i, p_k = sum_i n_ik / (N m), P_e = sum_k p_k^2,
    kappa = (P - P_e) / (1 - P_e)."""
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("Fleiss' kappa needs an items x categories table")
    m = table.sum(axis=1)
    if not np.all(m == m[0]) or m[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (at least 2) of ratings per item")
    raters = float(m[0])
    p_i = ((table ** 2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar = float(p_i.mean())
    p_k = table.sum(axis=0) / (table.shape[0] * raters)
    p_e = float((p_k ** 2).sum())
    if p_e >= 1.0:
        return 1.0 if p_bar >= 1.0 else 0.0
    return (p_bar - p_e) / (1 - p_e)


def excess_over_expected(observed: int, expected: float) -> float:
    """One-sided p-value that `observed` events exceed a Poisson count with mean `expected`:
    P(K >= observed). Used where calibrated probabilities say how many events to expect. scipy.special's
    pdtrc is what scipy.stats.poisson.sf calls (the same bits), without scipy.stats' half-second import."""
    from scipy import special

    if observed <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    return float(special.pdtrc(observed - 1, expected))
