"""Chunking the current snapshot over time (by event time) or by row count, for over-time statistics."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from mlaudit.checks.base import ROW_INDEX, Context
from mlaudit.errors import UsageError

_TIME = {"1d": "1d", "1w": "1w", "1mo": "1mo", "1h": "1h"}
_ROWS = re.compile(r"^\d+$")


def validate_chunk(spec: str | None) -> str | None:
    """Normalise a chunk spec ('1d', '1w', '1mo', '1h' or a row count); UsageError otherwise."""
    if spec is None:
        return None
    text = str(spec).strip().lower()
    if text in _TIME:
        return text
    if _ROWS.match(text) and int(text) > 0:
        return text
    raise UsageError(f"--chunk {spec!r}: give 1h, 1d, 1w, 1mo (by the contract's event time) or a row count like 10000")


@dataclass(frozen=True)
class Chunking:
    """How rows map to chunks: `key` sorts chunks in time (or row) order; `label` names one."""

    key: pl.Expr
    label: Callable[[Any], str]
    sampled_key: pl.Expr
    """The key on a row-sampled frame (Planned.row_step), where row numbers come from ROW_INDEX."""


def chunking(ctx: Context) -> tuple[Chunking | None, str]:
    """(the chunking of the current snapshot, or None with the reason it cannot be chunked)."""
    spec = ctx.chunk
    if spec is None:
        return None, "no --chunk given"
    if _ROWS.match(spec):
        size = int(spec)
        return Chunking(pl.int_range(pl.len()) // size * size, lambda k: f"rows {k:,}-{k + size - 1:,}",
                        pl.col(ROW_INDEX).cast(pl.Int64) // size * size), ""
    col = ctx.contract.columns.event_time
    if not col or col not in ctx.current_schema:
        return None, "chunking by time needs columns.event_time in the current snapshot"
    dtype = ctx.current_schema[col]
    if not (isinstance(dtype, pl.Datetime) or dtype == pl.Date):
        return None, f"event time column '{col}' is {dtype}, not a timestamp"
    fmt = "%Y-%m-%dT%H:00" if spec == "1h" else "%Y-%m-%d"
    key = pl.col(col).dt.truncate(_TIME[spec])
    return Chunking(key, lambda k: k.strftime(fmt), key), ""
