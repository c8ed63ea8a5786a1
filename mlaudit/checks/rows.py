"""Row-level samples for the checks that need rows, not per-column summaries (multivariate and
concept drift): the same rows of several columns, aligned, in file order.

Above MAX_ROWS rows a snapshot is thinned systematically (every k-th row),
which is deterministic and keeps the time spread of the data; the report says
how many rows were used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from mlaudit.checks.validation import missing_expr

MAX_ROWS = 100_000


def _listed(values: Any) -> Any:
    """None as an empty list; lists and arrays as they are."""
    return [] if values is None else values


def step(rows: int | None) -> int:
    """Keep every `step`-th row so that at most MAX_ROWS remain (1 when the size is unknown)."""
    return 1 if rows is None or rows <= MAX_ROWS else -(-rows // MAX_ROWS)


def column(name: str, dtype: pl.DataType, sentinel: Any, numeric: bool) -> pl.Expr:
    """The column's values (of a row-sampled frame, see Planned.row_step) as one list, with missing values
    (null, NaN, sentinel) as null."""
    col = pl.col(name).cast(pl.Float64) if numeric else pl.col(name).cast(pl.String)
    return pl.when(missing_expr(name, dtype, sentinel)).then(None).otherwise(col).implode()


def feature(name: str, dtype: pl.DataType, sentinel: Any, kind: str) -> pl.Expr:
    """A feature's values (of a row-sampled frame) for checks that read numbers through numeric_array and
    categories through frequencies: a numeric feature as floats with missing values (null, NaN, sentinel)
    as NaN, not null, so that a long list reaches numpy without a copy; a categorical one as `column`."""
    if kind != "numeric":
        return column(name, dtype, sentinel, numeric=False)
    as_float = pl.col(name).cast(pl.Float64)
    return pl.when(missing_expr(name, dtype, sentinel)).then(float("nan")).otherwise(as_float).implode()


def numeric_array(values: Any) -> NDArray[np.float64]:
    """A sampled list as floats, nulls as NaN (a long list already arrives as such an array)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    return pl.Series(_listed(values), dtype=pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64)


def frequency_encode(values: Any, reference: Mapping[str, float]) -> NDArray[np.float64]:
    """Categories as their reference frequency (unseen: 0; missing: NaN)."""
    series = pl.Series(_listed(values), dtype=pl.String)
    encoded = series.replace_strict(dict(reference), default=0.0, return_dtype=pl.Float64)
    encoded = pl.select(pl.when(series.is_null()).then(None).otherwise(encoded)).to_series()
    return np.asarray(encoded.fill_null(float("nan")).to_numpy(), dtype=np.float64)


def frequencies(values: Any) -> dict[str, float]:
    """Category -> share of non-missing values."""
    present = pl.Series(_listed(values), dtype=pl.String).drop_nulls()
    if present.len() == 0:
        return {}
    counts = present.value_counts()
    total = present.len()
    return {str(k): int(c) / total for k, c in counts.iter_rows()}
