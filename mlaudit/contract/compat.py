"""Does a contract fit the data? Column names and types, located in the contract file.

A column the contract names must exist in at least one snapshot: otherwise it
is a typo in the contract (exit 2). A feature must exist in the reference with
a compatible type, because the contract describes what the model was trained
on. What the current snapshot lacks is a finding (validation.schema), not an
error: production broke the contract.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import polars as pl

from mlaudit import dtypes
from mlaudit.contract.loader import LoadedContract

Schema = Mapping[str, pl.DataType]


def _suggest(name: str, schema: Schema) -> str:
    hint = difflib.get_close_matches(name, list(schema), n=1, cutoff=0.6)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def problems_against(
    loaded: LoadedContract, schemas: Mapping[str, Schema], reference: str | None, check_roles: bool = True
) -> list[str]:
    """Located problems of `loaded` against named snapshot schemas.

    `reference` names the schema (in `schemas`) that features must exist in
    with the declared type; pass None to require nothing of any single one.
    `check_roles=False` leaves out role columns (see `missing_role_columns`).
    """
    contract = loaded.contract
    problems: list[str] = []
    union: dict[str, pl.DataType] = {}
    for schema in schemas.values():
        for k, v in schema.items():
            union.setdefault(k, v)
    names = " or ".join(schemas)
    for path, col in contract.column_references():
        if col not in union and (check_roles or path[0] != "columns"):
            problems.append(f"{loaded.where(path)}: column '{col}' is not in the {names} snapshot"
                            f"{_suggest(col, union)}")
    ref = schemas.get(reference) if reference else None
    if ref is not None:
        for name, feature in contract.features.items():
            if name in union and name not in ref:
                problems.append(f"{loaded.where(('features', name))}: feature '{name}' is not in the "
                                f"{reference} snapshot; the contract must describe what the model was trained on")
            elif name in ref and not dtypes.matches(feature.type, ref[name]):
                problems.append(f"{loaded.where(('features', name, 'type'))}: feature '{name}' is declared "
                                f"{feature.type.value} but is {dtypes.describe(ref[name])} in the {reference} "
                                "snapshot; fix the type in the contract")
    # with a feature of the wrong type, rules on it fail for that reason: the type problem is the one to report
    typed = not problems
    for i, rule in enumerate(contract.rules):
        problem = rule_problem(rule.expr, union, typed)
        if problem:
            problems.append(f"{loaded.where(('rules', i, 'expr'))}: rule '{rule.name}' {problem}")
    for i, condition in enumerate(contract.human_review.required_when if contract.human_review else []):
        problem = rule_problem(condition.expr, union, typed) if condition.expr else None
        if problem:
            problems.append(f"{loaded.where(('human_review', 'required_when', i, 'expr'))}: review condition "
                            f"'{condition.name}' {problem}")
    for i, predicate in enumerate(contract.outcomes.slices.predicates):
        problem = rule_problem(predicate.expr, union, typed)
        if problem:
            problems.append(f"{loaded.where(('outcomes', 'slices', 'predicates', i, 'expr'))}: slice "
                            f"'{predicate.name}' {problem}")
    return problems


def rule_problem(expr: str, schema: Schema, typed: bool = True) -> str | None:
    """Why a rule's SQL cannot judge rows of `schema` (None when it can): it must name existing
    columns and give one true/false per row, not an aggregate or a number; with `typed`, it must also not mix
    types that fail whatever the values (text compared with a number)."""
    try:
        out = pl.LazyFrame(schema=dict(schema)).select(pl.sql_expr(expr)).collect_schema()
    except pl.exceptions.PolarsError as exc:
        return f"cannot be evaluated on the data: {str(exc).splitlines()[0]}"
    dtype = next(iter(out.values()))
    if dtype != pl.Boolean:
        return f"gives {dtype} values, not true/false; write a condition such as `a <= b`"
    try:
        probe = pl.DataFrame({c: pl.Series(c, [None, None], dtype=t) for c, t in schema.items()})
        height = probe.select(pl.sql_expr(expr)).height
    except Exception as exc:  # evaluation on null probes may fail for reasons the data will not have
        return _type_mismatch(exc) if typed else None
    if height != 2:
        return "is an aggregate (one value for the whole table); a rule must judge each row"
    probe_row = _typed_probe(schema) if typed else None
    if probe_row is not None:
        try:  # one row of ordinary values: catches what only fails on values (comparing text with a number)
            probe_row.select(pl.sql_expr(expr))
        except Exception as exc:
            return _type_mismatch(exc)
    return None


def _type_mismatch(exc: Exception) -> str | None:
    """The problem when a probe failed because of the rule's types (which fail whatever the values), else None
    (a failure that depends on the probe's own values, such as casting its '0' to a date)."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, pl.exceptions.InvalidOperationError) or first.startswith("cannot compare"):
        return f"cannot be evaluated on the data: {first}"
    return None


def _typed_probe(schema: Schema) -> pl.DataFrame | None:
    """One row with an ordinary value of each column's type ('0' for text, so casts to numbers work), or None
    when a type has no simple value."""
    import datetime as dt

    values: dict[str, pl.Series] = {}
    for name, dtype in schema.items():
        if dtype.is_numeric():
            value: object = 0
        elif dtype == pl.Boolean:
            value = False
        elif dtype in (pl.String, pl.Categorical):
            value = "0"
        elif dtype == pl.Date:
            value = dt.date(2000, 1, 1)
        elif isinstance(dtype, pl.Datetime):
            value = dt.datetime(2000, 1, 1)
        elif dtype == pl.Null:
            value = None
        else:
            return None
        try:
            values[name] = pl.Series(name, [value], dtype=dtype)
        except Exception:  # a type that refuses the value (a timezone, a decimal scale): no probe
            return None
    return pl.DataFrame(values)


def missing_role_columns(loaded: LoadedContract, schema: Schema, snapshot: str) -> list[str]:
    """Role columns (columns.*) absent from one snapshot: expected for some roles on some snapshots
    (a training set has no reviewer column, production logs no label yet), so these are notes."""
    return [f"{loaded.where(path)}: column '{col}' is not in {snapshot}{_suggest(col, schema)}"
            for path, col in loaded.contract.column_references() if path[0] == "columns" and col not in schema]
