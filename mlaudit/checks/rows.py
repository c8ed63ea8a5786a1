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

MAX_ROWS = 200_000


def step(rows: int | None) -> int:
    """Keep every `step`-th row so that at most MAX_ROWS remain (1 when the size is unknown)."""
    return 1 if rows is None or rows <= MAX_ROWS else -(-rows // MAX_ROWS)


def column(name: str, dtype: pl.DataType, sentinel: Any, every: int, numeric: bool) -> pl.Expr:
    """The column's sampled values as one list, with missing values (null, NaN, sentinel) as null."""
    col = pl.col(name).cast(pl.Float64) if numeric else pl.col(name).cast(pl.String)
    cleaned = pl.when(missing_expr(name, dtype, sentinel)).then(None).otherwise(col)
    return cleaned.gather_every(every).implode()


def numeric_array(values: Any) -> NDArray[np.float64]:
    """A sampled list as floats, nulls as NaN."""
    return pl.Series(values or [], dtype=pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64)


def frequency_encode(values: Any, reference: Mapping[str, float]) -> NDArray[np.float64]:
    """Categories as their reference frequency (unseen: 0; missing: NaN)."""
    return np.array([np.nan if v is None else reference.get(v, 0.0) for v in values or []], dtype=np.float64)


def frequencies(values: Any) -> dict[str, float]:
    """Category -> share of non-missing values."""
    present = [v for v in values or [] if v is not None]
    if not present:
        return {}
    labels, counts = np.unique(np.array(present, dtype=object), return_counts=True)
    return {str(k): float(c) / len(present) for k, c in zip(labels, counts, strict=True)}
