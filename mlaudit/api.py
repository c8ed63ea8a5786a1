"""Orchestration: load -> plan -> one batched pass per snapshot -> judge -> AuditResult.

The public entry point is :func:`audit`. It accepts paths (Parquet file,
folder or glob) or in-memory polars/pandas DataFrames, so the same audit runs
from the CLI, a cron job or a notebook.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from mlaudit import __version__, snapshots
from mlaudit.checks.base import Context, Planned
from mlaudit.checks.chunks import validate_chunk
from mlaudit.checks.registry import REGISTRY
from mlaudit.contract.compat import problems_against
from mlaudit.contract.loader import LoadedContract, load_contract
from mlaudit.contract.model import RESERVED_SECTIONS
from mlaudit.errors import ContractError, DataError, UsageError
from mlaudit.results import AuditResult, CheckResult, FailOn

ContractSource = str | os.PathLike[str] | LoadedContract


@dataclass(frozen=True)
class Clock:
    """Wall clock and timer, injected so that tests and golden files are byte-stable."""

    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.timezone.utc))
    timer: Callable[[], float] = time.perf_counter


def _load(source: ContractSource) -> LoadedContract:
    return source if isinstance(source, LoadedContract) else load_contract(os.fspath(source))


def _select(planned: Sequence[Planned], reference: bool) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for i, p in enumerate(planned):
        requests = p.reference_requests if reference else p.requests
        exprs += [e.alias(f"{i}\x1f{k}") for k, e in requests.items()]
    return exprs


def _collect(ref: pl.LazyFrame, cur: pl.LazyFrame, planned: Sequence[Planned]) -> list[dict[str, Any]]:
    """Evaluate every request of every planned item: one select per snapshot, both run together."""
    values: list[dict[str, Any]] = [{} for _ in planned]
    jobs = [(prefix, frame, exprs) for prefix, frame, exprs in
            (("reference:", ref, _select(planned, True)), ("", cur, _select(planned, False))) if exprs]
    if not jobs:
        return values
    try:
        frames = pl.collect_all([frame.select(exprs) for _, frame, exprs in jobs])
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).splitlines()[0]
        if "validation" in reason and "join" in reason:
            raise DataError("outcomes: the id column is repeated; each prediction may have one outcome") from None
        raise DataError(f"snapshots could not be read or computed ({reason})") from None
    except BaseException as exc:  # a panic inside polars (corrupt pages) is a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        reason = str(exc).splitlines()[0] if str(exc) else "corrupt data"
        raise DataError(f"a snapshot file could not be decoded ({reason}); re-export it") from None
    for (prefix, _, _), frame in zip(jobs, frames, strict=True):
        for key, value in frame.row(0, named=True).items():
            index, name = key.split("\x1f", 1)
            values[int(index)][prefix + name] = value
    return values


def _names(value: Iterable[str] | str, what: str) -> list[str]:
    """Check ids for only/skip: one string is one id, not its characters."""
    return [value] if isinstance(value, str) else [str(v) for v in value]


def parse_time(text: str, what: str) -> dt.datetime:
    """An ISO date or time ('2026-11-01', '2026-11-01T06:00:00Z'); naive means UTC."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what} {text!r} is not an ISO date or time (e.g. 2026-11-01T06:00:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def audit(
    contract: ContractSource,
    reference: Any,
    current: Any,
    outcomes: Any = None,
    *,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    fail_on: FailOn | str = FailOn.error,
    as_of: dt.datetime | str | None = None,
    chunk: str | None = None,
    clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditResult:
    """Audit `current` against `reference` under `contract`; never raises for findings.

    Raises ContractError, DataError or UsageError (all MlauditError) when the
    audit cannot run. `as_of` is the moment freshness is judged at (default now);
    `chunk` ('1d', '1w', '1mo' or a row count) splits the current snapshot for
    over-time statistics (default: the contract's drift.chunk).
    """
    clock = clock or Clock()
    say = progress or (lambda _msg: None)
    only, skip = _names(only, "only"), _names(skip, "skip")
    try:
        fail_on = FailOn(fail_on)
    except ValueError:
        raise UsageError(f"fail_on {fail_on!r}: use 'error', 'warning' or 'never'") from None
    if isinstance(as_of, str):
        as_of = parse_time(as_of, "as_of")
    if not isinstance(contract, str | os.PathLike | LoadedContract):
        raise UsageError(f"contract: expected a path or a LoadedContract, got {type(contract).__name__}")
    timings: dict[str, float] = {}
    t0 = clock.timer()
    started = clock.now()
    as_of = as_of or started
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.timezone.utc)
    selected = REGISTRY.select(only, skip)

    say("loading contract")
    loaded = _load(contract)
    timings["contract"] = clock.timer() - t0

    say("scanning snapshots")
    t = clock.timer()
    ref = snapshots.load(reference, "reference")
    cur = snapshots.load(current, "current")
    out = snapshots.load(outcomes, "outcomes") if outcomes is not None else None
    schemas = {"reference": ref.schema, "current": cur.schema}
    if out is not None:
        schemas["outcomes"] = out.schema
    problems = problems_against(loaded, schemas, reference="reference")
    if problems:
        raise ContractError(problems)
    replaced: list[str] = []
    if out is not None:
        id_col = loaded.contract.columns.id
        replaced = sorted(c for c in out.schema if c != id_col and c in cur.schema)
        cur = snapshots.join_outcomes(cur, out, id_col)
    timings["scan"] = clock.timer() - t

    say("planning checks")
    chunk = chunk or loaded.contract.drift.chunk
    ctx = Context(contract=loaded.contract, current_schema=cur.schema, reference_schema=ref.schema, as_of=as_of,
                  partition_columns=frozenset(cur.partition_columns), chunk=validate_chunk(chunk),
                  reference_rows=ref.rows, current_rows=cur.rows)
    planned: list[Planned] = []
    for planner in REGISTRY.planners(selected):
        planned += planner(ctx)

    say("computing statistics")
    t = clock.timer()
    values = _collect(ref.frame, cur.frame, planned)
    timings["compute"] = clock.timer() - t

    say("judging")
    t = clock.timer()
    wanted = {entry.spec.id for entry in selected}
    results: list[CheckResult] = []
    for p, v in zip(planned, values, strict=True):
        if p.ready is not None:
            results.append(p.ready)
        elif p.finish is not None:
            produced = p.finish(v)
            results += produced if isinstance(produced, list) else [produced]
    results = sorted((r for r in results if r.check in wanted), key=lambda r: r.sort_key)
    timings["judge"] = clock.timer() - t
    timings["total"] = clock.timer() - t0
    notes = tuple(
        f"contract section '{name}' is not evaluated by mlaudit {__version__} yet"
        for name in RESERVED_SECTIONS
        if getattr(loaded.contract, name) is not None
    )
    if replaced:
        notes += (f"--outcomes replaced these current columns with its own: {', '.join(replaced)}",)
    inputs = [ref.info(), cur.info()] + ([out.info()] if out is not None else [])
    return AuditResult(
        tool_version=__version__,
        contract_path=loaded.path,
        contract_sha256=loaded.sha256,
        model_name=loaded.contract.model.name,
        model_version=loaded.contract.model.version,
        started_at=started.isoformat(),
        as_of=as_of.isoformat(),
        inputs=tuple(inputs),
        options={"fail_on": fail_on.value, "only": list(only), "skip": list(skip), "chunk": ctx.chunk,
                 "checks_run": len({r.check for r in results})},
        timings={k: round(v, 6) for k, v in timings.items()},
        results=tuple(results),
        fail_on=fail_on,
        notes=notes,
    )

