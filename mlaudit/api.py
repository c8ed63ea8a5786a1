"""Orchestration: load -> plan -> one batched pass per snapshot -> judge -> AuditResult.

The public entry point is :func:`audit`. It accepts paths (Parquet file,
folder or glob) or in-memory polars/pandas DataFrames, so the same audit runs
from the CLI, a cron job or a notebook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from mlaudit import __version__, sampling, snapshots
from mlaudit import engine as engines
from mlaudit import history as history_store
from mlaudit.checks import killswitch, monitoring
from mlaudit.checks.base import OFFLINE_SUFFIX, Context, Found, Pairing, Part, Planned
from mlaudit.checks.chunks import chunking, validate_chunk
from mlaudit.checks.registry import REGISTRY
from mlaudit.contract.compat import problems_against
from mlaudit.contract.loader import LoadedContract, load_contract
from mlaudit.contract.model import RESERVED_SECTIONS
from mlaudit.engine import Engine, LocalEngine
from mlaudit.errors import ComputeError, ContractError, DataError, QueryError, UsageError
from mlaudit.results import AuditResult, CheckResult, FailOn, OwnerArea, Status

ContractSource = str | os.PathLike[str] | LoadedContract


@dataclass(frozen=True)
class Clock:
    """Wall clock and timer, injected so that tests and golden files are byte-stable."""

    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.timezone.utc))
    timer: Callable[[], float] = time.perf_counter


def _load(source: ContractSource) -> LoadedContract:
    return source if isinstance(source, LoadedContract) else load_contract(os.fspath(source))


#: Above this many rows in a snapshot, polars' streaming engine is used unless told otherwise: it
#: reads the files in batches, so memory follows the batch size rather than the row count.
STREAMING_ROWS = 2_000_000

def _collect(ref: pl.LazyFrame, cur: pl.LazyFrame, planned: Sequence[Planned], streaming: bool,
             paired: pl.LazyFrame | None = None, runner: Engine | None = None) -> list[dict[str, Any]]:
    """Evaluate every request of every planned item: one select per snapshot (per column when streaming).
    Row-sampled items (Planned.row_step) are left out: their samples are read with the per-column parts
    (sampling.py)."""
    values: list[dict[str, Any]] = [{} for _ in planned]
    groups: dict[tuple[str, str | None], list[pl.Expr]] = {}
    # the same expression asked by several checks (a feature's AUC in training for two leakage checks) is
    # computed once: alias -> the alias that computes it
    seen: dict[tuple[str, str | None, bytes], str] = {}  # (side, column, expression) -> alias
    copies: list[tuple[str, str, str]] = []  # (side, copy alias, source alias)
    for i, p in enumerate(planned):
        if p.row_step is not None:
            continue
        # streaming: one query per column, so an expression polars cannot stream (is_duplicated, examples)
        # makes it load that column, not every column of the snapshot
        column = p.column if streaming else None
        for side, requests in (("reference:", p.reference_requests), ("", p.requests)):
            for k, e in requests.items():
                alias = f"{i}\x1f{k}"
                identity = (side, column, e.meta.serialize())
                if identity in seen:
                    copies.append((side, alias, seen[identity]))
                    continue
                seen[identity] = alias
                groups.setdefault((side, column), []).append(e.alias(alias))
    if paired is not None:
        groups[("pair:", None)] = [e.alias(f"{i}\x1f{k}") for i, p in enumerate(planned)
                                   for k, e in p.pair_requests.items()]
    jobs = [(side, exprs) for (side, _), exprs in groups.items() if exprs]
    if not jobs:
        return values
    queries = []
    for side, exprs in jobs:
        frame = paired if side == "pair:" and paired is not None else (ref if side else cur)
        queries.append(frame.select(exprs))
    results = (runner or LocalEngine()).collect(queries, streaming)
    for (side, _), result_frame in zip(jobs, results, strict=True):
        for key in result_frame.columns:
            index, name = key.split("\x1f", 1)
            values[int(index)][side + name] = engines.value(result_frame.get_column(key))
    for side, alias, source in copies:
        index, name = alias.split("\x1f", 1)
        src_index, src_name = source.split("\x1f", 1)
        values[int(index)][side + name] = values[int(src_index)][side + src_name]
    return values


def _reduce_by_column(runner: Engine, ref: pl.LazyFrame, cur: pl.LazyFrame, parts: list[Part], rows: int | None,
                      streaming: bool, on_early: engines.EarlyCallback | None = None) -> list[Any]:
    """runner.reduce_parts, with the parts of one column next to each other (so in one batch, one decode of
    the column): each moves to where its column first appears, those holding arrays first (see
    engine.batches); the results come back in the given order."""
    first: dict[str, int] = {}
    for i, part in enumerate(parts):
        if part.column is not None:
            first.setdefault(part.column, i)
    # within a column, the parts that hold arrays first: those that only aggregate then join their batch free
    order = sorted(range(len(parts)), key=lambda i: (first[c] if (c := parts[i].column) is not None else i,
                                                     parts[i].weight == 0, i))

    def early(got: dict[int, Any]) -> None:  # back to the caller's positions
        assert on_early is not None
        on_early({order[position]: values for position, values in got.items()})

    got = runner.reduce_parts(ref, cur, [parts[i] for i in order], rows, streaming,
                              early if on_early is not None else None)
    out: list[Any] = [None] * len(parts)
    for position, i in enumerate(order):
        out[i] = got[position]
    return out


def _collect_isolating(ref: pl.LazyFrame, cur: pl.LazyFrame, planned: list[Planned], streaming: bool,
                       paired: pl.LazyFrame | None, runner: Engine,
                       unreadable: Callable[[], DataError | None]) -> list[dict[str, Any]]:
    """_collect, except that when an expression fails on the data, the items that can report such a failure
    (Planned.on_error) are tried one by one: those that fail become error results in `planned`, in place,
    and the rest is collected again. A file that cannot be decoded (`unreadable` names it) and a failure no
    such item explains are raised."""
    try:
        return _collect(ref, cur, planned, streaming, paired, runner)
    except ComputeError as exc:
        located = unreadable() if "parquet" in exc.reason.lower() else None  # a damaged file, not a rule
        if located is not None:
            raise located from None
        guarded = [i for i, p in enumerate(planned) if p.on_error is not None and p.ready is None]
        failed: dict[int, str] = {}
        for i in guarded:
            try:
                _collect(ref, cur, [planned[i]], streaming, None, runner)
            except ComputeError as alone:
                failed[i] = alone.reason
        if not failed:
            raise exc from None
        for i, reason in failed.items():
            on_error = planned[i].on_error
            assert on_error is not None
            planned[i] = Planned(column=planned[i].column, ready=on_error(reason))
        return _collect(ref, cur, planned, streaming, paired, runner)


#: Rows of the current snapshot searched first for the first matching rows (Found.first_rows).
FOUND_PREFIX_ROWS = 100_000


def _collect_found(ref: pl.LazyFrame, cur: pl.LazyFrame, planned: Sequence[Planned], values: list[dict[str, Any]],
                   streaming: bool, runner: Engine, rows: int | None) -> None:
    """Evaluate the wanted found_requests (through _collect, one more pass that reads only the columns they
    use); the others get an empty list. Lists of the first matching rows are looked up on the snapshot's
    first FOUND_PREFIX_ROWS rows first: where that prefix holds enough of them (a check that fails usually
    fails often), the list is final and the whole snapshot is read only for the rest."""
    wanted: dict[int, dict[str, Found]] = {}
    for i, (p, v) in enumerate(zip(planned, values, strict=True)):
        chosen = {key: found for key, found in p.found_requests.items() if found.wanted(v)}
        v.update({key: [] for key in p.found_requests if key not in chosen})
        if chosen:
            wanted[i] = chosen
    if rows is None or rows > FOUND_PREFIX_ROWS:
        first = [(i, key, found) for i, chosen in wanted.items() for key, found in chosen.items() if found.first_rows]
        if first:
            head = _collect(ref, cur.head(FOUND_PREFIX_ROWS), [Planned(column=planned[i].column, requests={key: f.expr})
                                                                for i, key, f in first], streaming, None, runner)
            for (i, key, found), listed in zip(first, head, strict=True):
                if len(listed[key] or []) >= found.first_rows:
                    values[i][key] = listed[key]
                    del wanted[i][key]
    asked = [(i, Planned(column=planned[i].column, requests={key: f.expr for key, f in chosen.items()}))
             for i, chosen in wanted.items() if chosen]
    if asked:
        everything = _collect(ref, cur, [p for _, p in asked], streaming, None, runner)
        for (i, _), rest in zip(asked, everything, strict=True):
            values[i].update(rest)


def _pairing(loaded: LoadedContract, cur: snapshots.Snapshot, off: snapshots.Snapshot
             ) -> tuple[pl.LazyFrame, Pairing]:
    """Pair serving rows with the offline rows of the same entities (row-level skew)."""
    c = loaded.contract
    key = list(c.skew.key) or ([c.columns.entity] if c.columns.entity else []) or ([c.columns.id] if c.columns.id
                                                                                    else [])
    if not key:
        raise UsageError("--offline needs an entity key: set skew.key (or columns.entity / columns.id) in the contract")
    time, tolerance = c.skew.time, None
    if time is not None and time in key:
        raise UsageError(f"skew.time '{time}' is also in skew.key; the key names the entity, the time pairs rows")
    if c.skew.time_tolerance is not None:
        from mlaudit.contract.model import parse_duration

        tolerance = parse_duration(c.skew.time_tolerance)
    declared = [f for f in c.features if f not in key and f != time]
    features = [f for f in declared if f in cur.schema and f in off.schema]
    if not features:
        raise DataError("--offline: no declared feature is in both the offline and the current snapshot")
    clash = [f for f in features if f.endswith(OFFLINE_SUFFIX) and f.removesuffix(OFFLINE_SUFFIX) in features]
    if clash:
        raise DataError(f"--offline: feature names {', '.join(clash)} end in {OFFLINE_SUFFIX}, which pairing uses")
    frame, dups, null_times = snapshots.pair(cur, off, key, features, time, tolerance)
    try:
        schema = dict(frame.collect_schema())
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"--offline: cannot pair the rows ({str(exc).splitlines()[0]})") from None
    return frame, Pairing(key=tuple(key), features=tuple(features), schema=schema, duplicates=dups,
                          missing=tuple(f for f in declared if f not in features), null_times=null_times)


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
    offline: Any = None,
    *,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    fail_on: FailOn | str = FailOn.error,
    as_of: dt.datetime | str | None = None,
    chunk: str | None = None,
    streaming: bool | None = None,
    engine: str | Engine | None = None,
    scheduler: str | None = None,
    clock: Clock | None = None,
    progress: Callable[[str], None] | None = None,
    owner: str | None = None,
    audit_log: str | os.PathLike[str] | None = None,
    history: str | os.PathLike[str] | None = None,
    strict: bool = False,
) -> AuditResult:
    """Audit `current` against `reference` under `contract`; never raises for findings.

    Raises ContractError, DataError or UsageError (all MlauditError) when the
    audit cannot run. `as_of` is the moment freshness is judged at (default now);
    `chunk` ('1d', '1w', '1mo' or a row count) splits the current snapshot for
    over-time statistics (default: the contract's drift.chunk). `streaming` uses polars' streaming
    engine (default: above STREAMING_ROWS rows). `engine` 'dask' runs the queries on a Dask cluster
    (`scheduler` address; none: worker processes on this machine), with the same results. `owner` (an owner
    area: data_quality, model_behavior, decision_impact, governance) keeps only that area's results, so the
    verdict and exit code are that owner's. `audit_log` appends a record of the run to a hash-chained JSON
    Lines log (see mlaudit/auditlog.py) and reads when this contract last passed from it. `history` (a folder)
    reads earlier runs for the monitoring checks and adds this run to it (see mlaudit/history.py). `strict`
    fails the gate when a check the contract asks for could not be evaluated (a skipped result).
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
    if owner is not None and owner not in {a.value for a in OwnerArea}:
        raise UsageError(f"owner {owner!r}: use one of {', '.join(a.value for a in OwnerArea)}")

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
    paired, pairing = None, None
    off = snapshots.load(offline, "offline") if offline is not None else None
    if off is not None:
        paired, pairing = _pairing(loaded, cur, off)
    replaced: list[str] = []
    if out is not None:
        id_col = loaded.contract.columns.id
        label = loaded.contract.columns.label
        if label and label not in out.schema and label not in cur.schema:
            raise DataError(f"--outcomes {out.source}: no outcome column '{label}' (columns.label); give the file "
                            "with the delayed outcomes, or fix columns.label")
        replaced = sorted(c for c in out.schema if c != id_col and c in cur.schema)
        joined = snapshots.join_outcomes(cur, out, id_col)
        _outcomes_match(cur, out, id_col)
        cur = joined
    timings["scan"] = clock.timer() - t

    say("planning checks")
    chunk = chunk or loaded.contract.drift.chunk
    ctx = Context(contract=loaded.contract, current_schema=cur.schema, reference_schema=ref.schema, as_of=as_of,
                  partition_columns=frozenset(cur.partition_columns), chunk=validate_chunk(chunk),
                  reference_rows=ref.sample_rows if ref.profile is not None else ref.rows, current_rows=cur.rows,
                  reference_profile=ref.profile.columns if ref.profile is not None else None, pair=pairing,
                  same_data=ref.fingerprint.startswith("sha256:") and ref.fingerprint == cur.fingerprint,
                  reference_is_sample=ref.profile is not None and (ref.sample_rows or 0) < (ref.rows or 0),
                  audit_log=os.fspath(audit_log) if audit_log is not None else None, contract_sha256=loaded.sha256,
                  last_pass=_last_pass(audit_log, loaded.sha256),
                  history=_history(history, loaded.contract.model.name))
    if ctx.chunk is not None:
        _, reason = chunking(ctx)
        if reason:
            raise UsageError(f"--chunk {ctx.chunk}: {reason}")
    planned: list[Planned] = []
    for planner in REGISTRY.planners(selected):
        planned += planner(ctx)

    say("computing statistics")
    t = clock.timer()
    rows = max((n for n in (ref.rows, cur.rows) if n is not None), default=None)
    if streaming is None:
        streaming = rows is not None and rows > STREAMING_ROWS
    runner, owned = engines.make(engine, scheduler)
    early: dict[int, Future[CheckResult | list[CheckResult]]] = {}
    try:
        located: list[DataError | None] = []

        def unreadable() -> DataError | None:  # decodes every file: at most once, and only after a failure
            if not located:
                located.append(snapshots.locate_unreadable([ref, cur, out, off]))
            return located[0]

        values = _collect_isolating(ref.frame, cur.frame, planned, streaming, paired, runner, unreadable)
        # checks without large per-column parts are judged in the background while those parts are read
        # and reduced: judging is mostly numpy (PCA, binning) and the reading mostly polars, both outside
        # the interpreter lock
        samples = sampling.plan(planned)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlaudit-judge") as judging:
            for i, (p, v) in enumerate(zip(planned, values, strict=True)):
                if (p.ready is None and p.finish is not None and not p.parts and p.row_step is None
                        and not p.found_requests):
                    v["parts"] = []
                    early[i] = judging.submit(p.finish, v)
            flat = [part for p in planned for part in p.parts]

            def sampled_ready(got: dict[int, Any]) -> None:
                # the row samples are read (the last batch may still be reduced): their requests are
                # evaluated here (polars, in parallel) and their checks judged in the background now
                sampled = sampling.frames(samples, [got[len(flat) + k] for k in range(len(samples.parts))])
                ready = [i for i, p in enumerate(planned)
                         if p.row_step is not None and p.ready is None and p.finish is not None]
                sampling.evaluate(sampled, [(planned[i], values[i]) for i in ready])
                for i in ready:
                    finish = planned[i].finish
                    assert finish is not None
                    values[i]["parts"] = []
                    early[i] = judging.submit(finish, values[i])

            try:
                reduced = _reduce_by_column(runner, ref.frame, cur.frame, flat + samples.parts, rows, streaming,
                                            sampled_ready)
            except BaseException:  # an error or an interrupt: queued judgements are not worth waiting for
                judging.shutdown(wait=False, cancel_futures=True)
                raise
            own = iter(reduced[:len(flat)])
            for v, p in zip(values, planned, strict=True):
                if p.parts:  # the others may be read by a background judge right now; they hold [] already
                    v["parts"] = [next(own) for _ in p.parts]
                else:
                    v.setdefault("parts", [])
            # examples of violating rows, for the checks that (on their counts, some from parts) warn or fail
            _collect_found(ref.frame, cur.frame, planned, values, streaming, runner, cur.rows)
    except QueryError as exc:  # polars failed without naming a file: name it when one cannot be decoded
        raise (unreadable() or exc) from None
    finally:
        if owned:
            runner.close()
    timings["compute"] = clock.timer() - t

    say("judging")
    t = clock.timer()
    wanted = {entry.spec.id for entry in selected}
    results: list[CheckResult] = []
    for i, (p, v) in enumerate(zip(planned, values, strict=True)):
        if p.ready is not None:
            results.append(p.ready)
        elif p.finish is not None:
            produced = early[i].result() if i in early else p.finish(v)
            results += produced if isinstance(produced, list) else [produced]
    results = [r for r in results if r.check in wanted]
    if killswitch.KILL_SWITCH.id in wanted:  # judged on every other result, so last
        results += killswitch.judge(ctx, results)
    results += monitoring.judge(ctx, results, {spec.id: spec.id in wanted and ctx.levels(spec).enabled
                                               for spec in monitoring.SPECS})
    if ctx.history is not None and ctx.history.height:
        results = monitoring.with_recent(ctx.history, results)
    # --owner narrows the view, never the kill switch: a disabled model is every owner's business
    results = sorted((r for r in results if r.check in wanted and (owner is None or r.owner.area.value == owner
                                                                    or (r.check == killswitch.KILL_SWITCH.id
                                                                        and r.status is not Status.passed))),
                     key=lambda r: r.sort_key)
    timings["judge"] = clock.timer() - t
    timings["total"] = clock.timer() - t0
    notes = tuple(
        f"contract section '{name}' is not evaluated by mlaudit {__version__} yet"
        for name in RESERVED_SECTIONS
        if getattr(loaded.contract, name) is not None
    )
    if ref.profile is not None and ref.profile.contract_sha256 != loaded.sha256:
        notes += ("the reference profile was built with another version of the contract; every compared "
                  "column was checked against it",)
    if replaced:
        notes += (f"--outcomes replaced these current columns with its own: {', '.join(replaced)}",)
    inputs = [ref.info(), cur.info()] + ([out.info()] if out is not None else [])
    if off is not None:
        inputs.append(off.info())
    audited = AuditResult(
        tool_version=__version__,
        contract_path=loaded.path,
        contract_sha256=loaded.sha256,
        model_name=loaded.contract.model.name,
        model_version=loaded.contract.model.version,
        started_at=started.isoformat(),
        as_of=as_of.isoformat(),
        inputs=tuple(inputs),
        options={"fail_on": fail_on.value, "only": list(only), "skip": list(skip), "chunk": ctx.chunk,
                 "streaming": streaming, "owner": owner, "strict": strict,
                 "checks_run": len({r.check for r in results})},
        timings={k: round(v, 6) for k, v in timings.items()},
        results=tuple(results),
        fail_on=fail_on,
        notes=notes,
        strict=strict,
    )
    if history is not None:
        history_store.append(Path(history), audited)
    if audit_log is not None:
        from mlaudit import auditlog

        written = auditlog.append(Path(audit_log), auditlog.record(audited))
        audited = dataclasses.replace(audited, audit_record={k: written[k] for k in ("seq", "hash")})
    return audited


def _outcomes_match(cur: snapshots.Snapshot, out: snapshots.Snapshot, id_col: str | None) -> None:
    """Outcomes none of whose ids is a current prediction's are the wrong file: say so rather than judge nothing."""
    if not id_col or out.rows == 0:
        return
    try:
        matched = cur.frame.select(id_col).join(out.frame.select(id_col), on=id_col, how="semi").select(
            pl.len()).collect().item()
    except pl.exceptions.PolarsError:
        return  # the join itself reports what is wrong when the checks run
    if matched == 0 and (cur.rows or 0) > 0:
        raise DataError(f"--outcomes {out.source}: none of its ids matches a prediction of the current snapshot "
                        f"(column '{id_col}'); check that the outcomes belong to these predictions")


def _history(folder: str | os.PathLike[str] | None, model_name: str) -> pl.DataFrame | None:
    """Earlier runs of this model; an empty store when the folder does not exist yet (a first run), None
    without --history."""
    if folder is None:
        return None
    found = history_store.load(Path(folder), model_name)
    return found if found is not None else pl.DataFrame(schema=history_store.SCHEMA)


def _last_pass(audit_log: str | os.PathLike[str] | None, contract_sha256: str) -> dict[str, Any] | None:
    """The audit log's latest passing audit of this contract (None without a log or such a record)."""
    if audit_log is None or not Path(audit_log).is_file():
        return None
    from mlaudit import auditlog

    return auditlog.last_passing(Path(audit_log), contract_sha256, complete=True)

