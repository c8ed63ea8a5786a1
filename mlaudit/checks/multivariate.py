"""Multivariate drift: PCA reconstruction error of the current rows against the reference.

Numbers are used as they are, categories as their reference frequency, missing
values as the reference mean; everything is standardised on the reference
(see stats/pca.py). The model is fitted on every other reference row; the
other half, cut into REFERENCE_CHUNKS contiguous chunks, shows how much the
mean error of rows the model has not seen varies by chance; a finding needs the
current mean error to be above the reference mean by more than the effect
level (relative change) and by more than Z_LIMIT standard errors (a Student t limit, as the
spread is learnt from ten chunk means).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from mlaudit.checks import rows
from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, result, skipped
from mlaudit.checks.chunks import chunking
from mlaudit.checks.drift import _kind
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats import pca

REFERENCE_CHUNKS = 10
#: The reference spread comes from REFERENCE_CHUNKS chunk means, so the limit is Student t's quantile on
#: REFERENCE_CHUNKS - 1 degrees of freedom at the one-sided tail of a normal 3 sigma (0.135%): about 4.1.
#: Written out so that importing the check does not load scipy; a test recomputes it.
Z_LIMIT = 4.094255306209264  # special.stdtrit(REFERENCE_CHUNKS - 1, 1 - special.ndtr(-3.0))
MIN_ROWS_PER_CHUNK = 20

MULTIVARIATE = CheckSpec(
    "drift.multivariate", FailureMode.data_drift, OwnerArea.model_behavior,
    "How the features vary together changed: mean PCA reconstruction error of current rows above the "
    "reference's (relative change), beyond 3 standard errors learnt from reference chunks.",
    statistic="reconstruction_error_change", warn=0.1, fail=0.25, per_feature=False,
)
SPECS = (MULTIVARIATE,)


def _features(ctx: Context) -> list[tuple[str, str]]:
    out = []
    for name, f in ctx.contract.features.items():
        if name in ctx.current_schema and name in ctx.reference_schema:
            kind = _kind(ctx.current_schema[name], f.type)
            if kind is not None and kind == _kind(ctx.reference_schema[name], f.type):
                out.append((name, kind))
    return out


def matrix(values: Mapping[str, Any], features: list[tuple[str, str]], freqs: dict[str, dict[str, float]],
            prefix: str) -> NDArray[np.float64]:
    cols = []
    for name, kind in features:
        raw = values[f"{prefix}{name}"]
        cols.append(rows.numeric_array(raw) if kind == "numeric" else rows.frequency_encode(raw, freqs[name]))
    # rows x features in column-major order: each column is copied in one contiguous piece (column_stack into
    # a row-major matrix writes one value per row at a stride, several times slower)
    return np.asarray(np.stack(cols), dtype=np.float64).T if cols else np.empty((0, 0))


def impute_reference_means(x_ref: NDArray[np.float64], x_cur: NDArray[np.float64]
                           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Both matrices (as `matrix` builds them), in place, with missing and infinite values replaced by the
    reference's column means (0 for a column with no finite value): they carry no position to reconstruct.
    Column by column, and only the columns that have such values are written: no matrix-sized temporary."""
    for j in range(x_ref.shape[1]):
        ref_col, cur_col = x_ref[:, j], x_cur[:, j]
        finite = np.isfinite(ref_col)
        all_finite = bool(finite.all())
        count = ref_col.size if all_finite else int(finite.sum())
        mean = float(ref_col.sum() if all_finite else ref_col[finite].sum()) / count if count else 0.0
        if not all_finite:
            ref_col[~finite] = mean
        cur_bad = ~np.isfinite(cur_col)
        if cur_bad.any():
            cur_col[cur_bad] = mean
    return x_ref, x_cur


def _judge(levels: Levels, mean_error: float, ref_mean: float, ref_sd: float, chunk_rows: float,
           n: int, z_limit: float = Z_LIMIT) -> tuple[float, float, Status]:
    """(relative change, z, status) of a mean error over n rows against the reference chunks."""
    change = (mean_error - ref_mean) / ref_mean if ref_mean > 0 else 0.0
    se = ref_sd * np.sqrt(chunk_rows / n) if n else float("inf")
    z = (mean_error - ref_mean) / se if se > 0 else (float("inf") if mean_error > ref_mean else 0.0)
    graded = levels.grade(change)
    return change, float(z), graded if z > z_limit else Status.passed


def plan_multivariate(ctx: Context) -> list[Planned]:
    levels = ctx.levels(MULTIVARIATE)
    if not levels.enabled:
        return []
    features = _features(ctx)
    if len(features) < 2:
        return [skipped(MULTIVARIATE, ctx, "needs at least two numeric or categorical features in both snapshots")]
    chunks, _ = chunking(ctx)
    ref_every, cur_every = rows.step(ctx.reference_rows), rows.step(ctx.current_rows)
    reference: dict[str, pl.Expr] = {}
    current: dict[str, pl.Expr] = {}
    for name, kind in features:
        sentinel = ctx.contract.features[name].sentinel
        reference[name] = rows.feature(name, ctx.reference_schema[name], sentinel, kind)
        current[name] = rows.feature(name, ctx.current_schema[name], sentinel, kind)
    if chunks is not None:
        current["__chunk"] = chunks.sampled_key.implode()

    def finish(v: Mapping[str, Any]) -> CheckResult:
        freqs = {n: rows.frequencies(v[f"reference:{n}"]) for n, k in features if k == "categorical"}
        x_ref = matrix(v, features, freqs, "reference:")
        x_cur = matrix(v, features, freqs, "")
        n_ref, n_cur = x_ref.shape[0], x_cur.shape[0]
        if n_ref < 2 * REFERENCE_CHUNKS * MIN_ROWS_PER_CHUNK or n_cur < MIN_ROWS_PER_CHUNK:
            return result(MULTIVARIATE, ctx, Status.skipped, f"too few rows for multivariate drift (reference "
                          f"{n_ref:,}, current {n_cur:,}; needs {2 * REFERENCE_CHUNKS * MIN_ROWS_PER_CHUNK:,} and "
                          f"{MIN_ROWS_PER_CHUNK})", levels=levels)
        x_ref, x_cur = impute_reference_means(x_ref, x_cur)
        # a feature constant in the reference has no covariance to learn; standardised by a zero spread
        # any current change would explode the error, so it is left to drift.feature
        varying = np.ptp(x_ref, axis=0) > 0 if n_ref else np.zeros(0, dtype=bool)
        used = [name for (name, _), keep in zip(features, varying, strict=True) if keep]
        if len(used) < 2:
            return result(MULTIVARIATE, ctx, Status.skipped, "fewer than two features vary in the reference",
                          levels=levels)
        if not varying.all():
            x_ref, x_cur = x_ref[:, varying], x_cur[:, varying]
        # fit on every other reference row, learn the error's variability on the rows the fit did not see:
        # in-sample errors are biased low (badly so with few rows per feature) and would cry wolf
        model = pca.fit(x_ref[0::2])
        ref_errors, cur_errors = model.errors(x_ref[1::2]), model.errors(x_cur)
        chunk_means = np.array([c.mean() for c in np.array_split(ref_errors, REFERENCE_CHUNKS)])
        ref_mean, ref_sd = float(chunk_means.mean()), float(chunk_means.std(ddof=1))
        chunk_rows = ref_errors.size / REFERENCE_CHUNKS
        cur_mean = float(cur_errors.mean())
        change, z, status = _judge(levels, cur_mean, ref_mean, ref_sd, chunk_rows, n_cur)
        series = []
        if chunks is not None:
            keys = pl.Series(v["__chunk"])
            labels = sorted(k for k in keys.unique().to_list() if k is not None)
            # many chunks are many tests: Bonferroni on the one-sided normal tail of Z_LIMIT
            from scipy import special  # loaded on first use: a tenth of a second at start-up otherwise

            tail = special.ndtr(-3.0) / max(len(labels), 1)
            z_chunk = max(Z_LIMIT, float(special.stdtrit(REFERENCE_CHUNKS - 1, 1 - tail)))
            for key in labels:
                mask = (keys == key).fill_null(False).to_numpy()
                if int(mask.sum()) < ctx.contract.drift.min_rows:
                    continue
                m = float(cur_errors[mask].mean())
                c_change, c_z, c_status = _judge(levels, m, ref_mean, ref_sd, chunk_rows, int(mask.sum()),
                                                 z_limit=z_chunk)
                series.append({"chunk": chunks.label(key), "rows": int(mask.sum()), "value": c_change,
                               "mean_error": m, "z": c_z, "status": c_status.value})
        onset = next((p["chunk"] for p in series if p["status"] in ("warn", "fail")), None)
        tail = f"; began in chunk {onset}" if onset and status in (Status.warn, Status.fail) else ""
        word = {Status.passed: "no multivariate drift", Status.warn: "multivariate drift",
                Status.fail: "multivariate drift"}.get(status, "")
        msg = (f"{word}: mean reconstruction error {cur_mean:.4g} vs reference {ref_mean:.4g} "
               f"({change:+.1%}, z={z:.1f}; warn above +{levels.warn:.0%}, fail above +{levels.fail:.0%}, "
               f"z above {Z_LIMIT:.2g}) over {len(used)} features, {model.components.shape[1]} components "
               f"({model.explained:.0%} of variance); rows {n_ref:,} vs {n_cur:,}{tail}"
               if levels.warn is not None and levels.fail is not None else f"{word}: change {change:+.1%}")
        return result(MULTIVARIATE, ctx, status, msg, value=change, levels=levels, reference_error=ref_mean,
                      reference_error_sd=ref_sd, current_error=cur_mean, z=z, components=model.components.shape[1],
                      explained_variance=model.explained, features=used,
                      reference_rows_used=n_ref, current_rows_used=n_cur, onset=onset, series=series)

    return [Planned(column=None, requests=current, reference_requests=reference, finish=finish,
                    row_step=(ref_every, cur_every))]


PLANNERS = {MULTIVARIATE.id: plan_multivariate}
