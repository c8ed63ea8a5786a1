"""The label as the label and leakage checks see it: which column, on which side, and which columns
are model inputs (so that ids and role columns never count as features)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from mlaudit.checks.base import Context
from mlaudit.contract.model import Task

#: Column roles that are never model inputs.
NON_INPUT_ROLES = ("id", "entity", "event_time", "score", "predicted_class", "decision", "label", "label_time",
                   "review", "override", "cost")

#: Snapshot -> the prefix its values carry in `finish` (see Planned).
SIDES = {"reference": "reference:", "current": ""}
SIDE_NAMES = {"reference": "training", "current": "production"}


@dataclass(frozen=True)
class Label:
    """The label column and the sides that carry it."""

    name: str
    task: Task
    positive: Any
    sides: tuple[str, ...]
    """'reference' and/or 'current' (production has one once --outcomes joined them)."""


def label(ctx: Context) -> Label | None:
    """The declared label and where it is, or None when no snapshot has it."""
    name = ctx.contract.columns.label
    if not name:
        return None
    sides = tuple(s for s, schema in (("reference", ctx.reference_schema), ("current", ctx.current_schema))
                  if name in schema and not (s == "current" and ctx.same_data))  # a self-audit: judged once
    if not sides:
        return None
    return Label(name=name, task=ctx.contract.model.task, positive=ctx.contract.model.positive_class, sides=sides)


def schema(ctx: Context, side: str) -> Mapping[str, pl.DataType]:
    return ctx.reference_schema if side == "reference" else ctx.current_schema


def positive(name: str, dtype: pl.DataType, positive_class: Any) -> pl.Expr | None:
    """Boolean expression: the label equals the positive class (model.positive_class; by default true or 1);
    null where the label is missing. None when the positive class cannot be told (text labels without
    model.positive_class)."""
    col = pl.col(name)
    if positive_class is None:
        if dtype == pl.Boolean:
            return col
        if dtype.is_numeric():
            return col.cast(pl.Float64) == 1.0
        return None
    if dtype == pl.Boolean:
        return col == bool(positive_class) if isinstance(positive_class, bool) else None
    if dtype.is_numeric() and not isinstance(positive_class, str):
        return col.cast(pl.Float64) == float(positive_class)
    return col.cast(pl.String) == str(positive_class).lower() if isinstance(positive_class, bool) \
        else col.cast(pl.String) == str(positive_class)


def inputs(ctx: Context, side: str) -> list[str]:
    """Declared features present on `side` that are model inputs: not a role column, not declared unique
    (an id), not the label or a label source."""
    roles = {getattr(ctx.contract.columns, r) for r in NON_INPUT_ROLES} | set(ctx.contract.labels.sources)
    present = schema(ctx, side)
    return [name for name, f in ctx.contract.features.items()
            if name in present and name not in roles and not f.unique]


def id_columns(ctx: Context) -> list[str]:
    """Columns declared id-like: columns.id, columns.entity, unique features and leakage.ids."""
    c = ctx.contract
    declared = [c.columns.id, c.columns.entity, *[n for n, f in c.features.items() if f.unique], *c.leakage.ids]
    out: list[str] = []
    for name in declared:
        if name and name not in out:
            out.append(name)
    return out


def struct_counts(values: Any) -> list[dict[str, Any]]:
    """Rows of `pl.struct(...).value_counts(name="n")`: the struct's fields with their count under 'n'."""
    out = []
    for row in values or []:
        inner = next(v for k, v in row.items() if k != "n")
        out.append({**inner, "n": row["n"]})
    return out


def row_hash(cols: list[str]) -> pl.Expr:
    """One 64-bit hash of several columns per row, as a sum of per-column hashes with distinct seeds
    (wrapping): grouping or comparing on it costs one column instead of dozens. Two different rows share a
    hash with probability about 1 in 10^19."""
    if len(cols) == 1:
        return pl.col(cols[0]).hash(seed=0)
    return pl.sum_horizontal([pl.col(c).hash(seed=i) for i, c in enumerate(cols)])
