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
    for i, rule in enumerate(contract.rules):
        problem = rule_problem(rule.expr, union)
        if problem:
            problems.append(f"{loaded.where(('rules', i, 'expr'))}: rule '{rule.name}' {problem}")
    for i, condition in enumerate(contract.human_review.required_when if contract.human_review else []):
        problem = rule_problem(condition.expr, union) if condition.expr else None
        if problem:
            problems.append(f"{loaded.where(('human_review', 'required_when', i, 'expr'))}: review condition "
                            f"'{condition.name}' {problem}")
    for i, predicate in enumerate(contract.outcomes.slices.predicates):
        problem = rule_problem(predicate.expr, union)
        if problem:
            problems.append(f"{loaded.where(('outcomes', 'slices', 'predicates', i, 'expr'))}: slice "
                            f"'{predicate.name}' {problem}")
    return problems


def rule_problem(expr: str, schema: Schema) -> str | None:
    """Why a rule's SQL cannot judge rows of `schema` (None when it can): it must name existing
    columns and give one true/false per row, not an aggregate or a number."""
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
    except Exception:  # evaluation on null probes may fail for reasons the data will not have
        return None
    if height != 2:
        return "is an aggregate (one value for the whole table); a rule must judge each row"
    return None


def missing_role_columns(loaded: LoadedContract, schema: Schema, snapshot: str) -> list[str]:
    """Role columns (columns.*) absent from one snapshot: expected for some roles on some snapshots
    (a training set has no reviewer column, production logs no label yet), so these are notes."""
    return [f"{loaded.where(path)}: column '{col}' is not in {snapshot}{_suggest(col, schema)}"
            for path, col in loaded.contract.column_references() if path[0] == "columns" and col not in schema]
