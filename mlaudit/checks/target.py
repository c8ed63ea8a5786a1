"""The label as the label and leakage checks see it: which column, on which side, and which columns
are model inputs (so that ids and role columns never count as features)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from mlaudit.checks.base import Context, Planned
from mlaudit.contract.model import Task
from mlaudit.results import CheckResult

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


def usable(dtype: pl.DataType) -> bool:
    """A type a label can have: boolean, a number, text or a category (not a list, a struct or a time)."""
    return dtype == pl.Boolean or dtype.is_numeric() or dtype in (pl.String, pl.Categorical) \
        or isinstance(dtype, pl.Enum)


def label(ctx: Context) -> Label | None:
    """The declared label and the sides where it has a label type, or None when no snapshot has one
    (see `why_no_label`)."""
    name = ctx.contract.columns.label
    if not name:
        return None
    sides = tuple(s for s, sch in (("reference", ctx.reference_schema), ("current", ctx.current_schema))
                  if name in sch and usable(sch[name])
                  and not (s == "current" and ctx.same_data)  # a self-audit: judged once
                  and not (s == "reference" and ctx.reference_is_sample))  # a sample: see PROFILE
    if not sides:
        return None
    return Label(name=name, task=ctx.contract.model.task, positive=ctx.contract.model.positive_class, sides=sides)


PROFILE = ("the reference is a profile, a sample of the training rows: this check needs every training row; run "
           "it against the raw training snapshot")


def why_no_label(ctx: Context, where: str = "a snapshot") -> str:
    """Why `label` found nothing usable, for skip messages."""
    name = ctx.contract.columns.label
    if not name:
        return "needs columns.label in the contract"
    if ctx.reference_is_sample and name in ctx.reference_schema:
        return PROFILE
    for sch in (ctx.reference_schema, ctx.current_schema):
        if name in sch and not usable(sch[name]):
            return f"label '{name}' is {sch[name]}, not a label type (boolean, number, text or category)"
    return f"needs the label column '{name}' in {where}"


def schema(ctx: Context, side: str) -> Mapping[str, pl.DataType]:
    return ctx.reference_schema if side == "reference" else ctx.current_schema


def missing_label(name: str, dtype: pl.DataType) -> pl.Expr:
    """The label is missing: null, or NaN in a float column."""
    col = pl.col(name)
    return (col.is_null() | col.is_nan()).fill_null(True) if dtype.is_float() else col.is_null()


def norm(value: Any) -> str:
    """A label value as comparable text: booleans as 1/0 (so true matches 1), whole floats as integers,
    text lower-cased ('true'/'false' as 1/0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return "1" if text == "true" else "0"
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def positive(name: str, dtype: pl.DataType, positive_class: Any) -> pl.Expr | None:
    """Boolean expression: the label equals the positive class (model.positive_class; by default true or 1);
    null where the label is missing (null or NaN). None when the positive class cannot be told: text labels
    without model.positive_class, or a positive class that cannot be a value of this type."""
    col = pl.col(name)
    missing = missing_label(name, dtype)
    if dtype == pl.Boolean:
        if positive_class is None:
            return col
        wanted = norm(positive_class)
        return (col == (wanted == "1")) if wanted in ("0", "1") else None
    if dtype.is_numeric():
        try:
            target = 1.0 if positive_class is None else float(norm(positive_class))
        except ValueError:
            return None
        return pl.when(missing).then(None).otherwise(col.cast(pl.Float64) == target)
    if positive_class is None:
        return None
    text = col.cast(pl.String).str.strip_chars().str.to_lowercase()
    wanted = str(positive_class).strip().lower() if not isinstance(positive_class, bool) else \
        ("true" if positive_class else "false")
    return text == wanted


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


def is_time(dtype: pl.DataType) -> bool:
    """A timestamp or a date (not a time of day or a duration)."""
    return isinstance(dtype, pl.Datetime) or dtype == pl.Date


def naive_utc(name: str, dtype: pl.DataType) -> pl.Expr:
    """A time column as naive UTC timestamps (dates at midnight), to compare with the audit's clock."""
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us"))
    return col.cast(pl.Datetime("us"))


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def row_ids(ctx: Context, side: str) -> pl.Expr:
    """Per row, what examples show: the prediction id (columns.id) when the snapshot has it, else the row number."""
    id_col = ctx.contract.columns.id
    return pl.col(id_col) if id_col and id_col in schema(ctx, side) else pl.int_range(pl.len())


def planned(side: str, column: str | None, requests: dict[str, pl.Expr],
            finish: Callable[[Mapping[str, Any]], CheckResult]) -> Planned:
    """A plan whose requests are evaluated on one snapshot ('reference' or 'current')."""
    if side == "current":
        return Planned(column=column, requests=requests, finish=finish)
    return Planned(column=column, reference_requests=requests, finish=finish)
