"""Where polars queries run: on this machine (the default) or on a Dask cluster (`--engine dask`).

The audit plans the same queries either way; an engine only decides where
they are collected and where the large per-column arrays (sorted columns for
exact two-sample statistics) are reduced to small summaries. On a cluster
each such column job runs on a worker, which reads only that column of both
snapshots, so no machine ever holds more than one column pair at a time and
only summaries travel back. Results are the same numbers as the local
engine's: the same polars code runs, only elsewhere.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import polars as pl

from mlaudit.checks.base import COLUMN_KEY, Part
from mlaudit.errors import ComputeError, DataError, QueryError, UsageError, is_polars_panic

#: Memory the large per-column arrays of one batch may take (sorted columns of both snapshots).
BATCH_BYTES = 256 * 2**20

#: Lists longer than this with a numeric inner type reach checks as numpy arrays, not Python lists:
#: converting a million floats to Python objects costs more time and memory than the statistics.
ARRAY_THRESHOLD = 10_000


def run(frames: list[pl.LazyFrame], streaming: bool = False) -> list[pl.DataFrame]:
    """collect_all, with polars' errors (and panics on corrupt pages) as DataError."""
    try:
        if streaming:
            return pl.collect_all(frames, engine="streaming")
        return pl.collect_all(frames)
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).splitlines()[0]
        if "validation" in reason and "join" in reason:
            raise DataError("outcomes: the id column is repeated; each prediction may have one outcome") from None
        if isinstance(exc, pl.exceptions.ComputeError | pl.exceptions.InvalidOperationError):
            raise ComputeError(f"snapshots could not be read or computed ({reason})", reason) from None
        raise QueryError(f"snapshots could not be read or computed ({reason})") from None
    except OSError as exc:  # a file gone since the scan, or not reachable from a Dask worker
        raise DataError(f"a snapshot file could not be read ({exc}); check that it exists where the audit "
                        "runs") from None
    except BaseException as exc:  # a panic inside polars (corrupt pages) is a BaseException
        if not is_polars_panic(exc):
            raise
        reason = str(exc).splitlines()[0] if str(exc) else "corrupt data"
        raise QueryError(f"a snapshot file could not be decoded ({reason}); re-export it") from None


#: Receives {part index: reduced values} of the early parts (Part.early) once all of them are read.
EarlyCallback = Callable[[dict[int, Any]], None]


#: Requests whose key starts with this keep their list as a polars Series (row samples, see sampling.py).
SERIES_KEY = "\x00series"


def value(column: pl.Series) -> Any:
    """The single value of a one-row result column, as checks expect it."""
    if isinstance(column.dtype, pl.List):
        inner = column.explode() if column.len() else column
        if inner.len() > ARRAY_THRESHOLD and inner.dtype.is_numeric():
            return inner.to_numpy()
        if inner.len() > ARRAY_THRESHOLD and (inner.dtype in (pl.String, pl.Categorical, pl.Date)
                                              or isinstance(inner.dtype, pl.Datetime)):
            return inner  # long lists of strings or times stay a polars Series: Python objects would cost ~10x
        return inner.to_list() if column[0] is not None else None
    return column[0]


def batches(parts: list[Part], rows: int | None) -> list[list[int]]:
    """Indexes of parts grouped so that one batch materialises at most BATCH_BYTES of row-length arrays.

    A part of weight 0 that follows a part of the same column (Part.column) joins its batch at no cost: it
    only aggregates values that batch decodes anyway; elsewhere every part counts at least one array."""
    per_array = 8 * (rows or 1_000_000)
    budget = max(1, BATCH_BYTES // per_array)
    out: list[list[int]] = []
    load = budget
    previous: str | None = None
    for i, part in enumerate(parts):
        if part.weight == 0 and part.column is not None and part.column == previous and out:
            out[-1].append(i)
            continue
        previous = part.column
        weight = max(1, part.weight)
        if load + weight > budget and (not out or out[-1]):
            out.append([])
            load = 0
        out[-1].append(i)
        load += weight
    return [b for b in out if b]


def _requests(parts: Sequence[Part], side: str) -> list[tuple[str, pl.Expr]]:
    """(key, expression) of every request of one side of `parts`, the key prefixed by the part's position."""
    return [(f"{b}\x1f{k}", e) for b, part in enumerate(parts)
            for k, e in (part.reference_requests if side else part.requests).items()]


def _part_queries(ref: pl.LazyFrame, cur: pl.LazyFrame, parts: Sequence[Part]) -> list[tuple[str, pl.LazyFrame]]:
    """One select per side holding the requests of every part in `parts`, whole columns as one list each."""
    jobs: list[tuple[str, pl.LazyFrame]] = []
    for side, source in (("reference:", ref), ("", cur)):
        exprs = [(e.implode() if COLUMN_KEY in key else e).alias(key) for key, e in _requests(parts, side)]
        if exprs:
            jobs.append((side, source.select(exprs)))
    return jobs


def _values(jobs: list[tuple[str, pl.LazyFrame]], frames: list[pl.DataFrame], n: int) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = [{} for _ in range(n)]
    for (side, _), frame in zip(jobs, frames, strict=True):
        for key in frame.columns:
            b, name = key.split("\x1f", 1)
            column = frame.get_column(key)
            if name.startswith(COLUMN_KEY):
                whole = column if not isinstance(column.dtype, pl.List) else column[0]  # a streaming query's list
                values[int(b)][side + name.removeprefix(COLUMN_KEY)] = whole
            else:
                values[int(b)][side + name] = column[0] if name.startswith(SERIES_KEY) else value(column)
    return values


def _read_then_aggregate(ref: pl.LazyFrame, cur: pl.LazyFrame, parts: Sequence[Part]) -> list[dict[str, Any]]:
    """The parts' values, in memory: each side's columns are read by a plain select (polars' fastest read),
    then the aggregates are computed on the frames read and the whole columns taken from them as they are.
    In one query, the whole columns would have to become lists, and polars concatenates each list's row
    groups into one array on the calling thread: a copy per column that held the other core idle."""
    reads: list[tuple[str, pl.LazyFrame, list[tuple[str, pl.Expr]]]] = []
    for side, source in (("reference:", ref), ("", cur)):
        requests = _requests(parts, side)
        names = sorted({name for _, e in requests for name in e.meta.root_names()})
        if requests and not names:  # pl.len() alone: a frame of no columns would have no rows
            direct = _part_queries(ref, cur, parts)
            return _values(direct, run([f for _, f in direct]), len(parts))
        if requests:
            reads.append((side, source.select(names), requests))
    read = run([query for _, query, _ in reads])
    jobs: list[tuple[str, pl.LazyFrame]] = []
    for (side, _, requests), frame in zip(reads, read, strict=True):
        aggregates = [e.alias(key) for key, e in requests if COLUMN_KEY not in key]
        if aggregates:
            jobs.append((side, frame.lazy().select(aggregates)))
        whole = [e.alias(key) for key, e in requests if COLUMN_KEY in key]  # one value per row each
        if whole:
            jobs.append((side, frame.lazy().select(whole)))
    del read
    return _values(jobs, run_each([f for _, f in jobs]), len(parts))


def run_each(frames: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """run() of each frame in a thread of its own. Polars counts the values of a text column (value_counts),
    and evaluates a select of only imploded columns, on one core at a time, even across the frames of one
    collect_all; from separate threads both cores work (measured: a batch of ten text columns a side
    aggregated in 0.42 s instead of 0.59 s)."""
    if len(frames) < 2:
        return run(frames)
    with ThreadPoolExecutor(max_workers=len(frames)) as pool:
        futures = [pool.submit(run, [f]) for f in frames]
        return [f.result()[0] for f in futures]


#: How long a Dask scheduler may take to show a worker before the audit gives up.
WORKER_WAIT_S = 30


def _cores() -> int:
    """Cores this process may use (affinity and container limits), for the local cluster's workers."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LocalEngine:
    """Queries collected here; parts evaluated in memory-bounded batches and reduced in threads."""

    name = "local"

    def collect(self, frames: list[pl.LazyFrame], streaming: bool) -> list[pl.DataFrame]:
        # one query at a time: polars parallelises inside a query, and reading both snapshots at once doubles
        # the peak memory for little speed on two cores
        return [run([f], streaming)[0] for f in frames]

    def reduce_parts(self, ref: pl.LazyFrame, cur: pl.LazyFrame, parts: Sequence[Part], rows: int | None,
                     streaming: bool, on_early: EarlyCallback | None = None) -> list[Any]:
        """Each part's reduced values, in order. `on_early` receives the values of the parts marked
        Part.early, on this thread, as soon as the last of them is read (before that batch is reduced)."""
        reduced: list[Any] = [None] * len(parts)
        pending: list[tuple[int, Future[Any]]] = []
        waiting = {i for i, part in enumerate(parts) if part.early}
        if not waiting and on_early is not None:
            on_early({})
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # numpy releases the GIL
            for batch in batches(list(parts), rows):
                chosen = [parts[i] for i in batch]
                # in memory, the previous batch is reduced while this one is read and sorted (two batches held
                # at once); when streaming, memory comes first: one batch at a time
                if streaming:
                    for i, res in pending:
                        reduced[i] = res.result()
                    pending = []
                    jobs = _part_queries(ref, cur, chosen)
                    values = _values(jobs, run([f for _, f in jobs], streaming), len(chosen))
                else:
                    values = _read_then_aggregate(ref, cur, chosen)
                for i, part, v in zip(batch, chosen, values, strict=True):
                    if part.early:
                        reduced[i] = part.reduce(v)
                        waiting.discard(i)
                        if not waiting and on_early is not None:
                            on_early({k: reduced[k] for k, p in enumerate(parts) if p.early})
                for i, res in pending:
                    reduced[i] = res.result()
                pending = [(i, pool.submit(part.reduce, v)) for i, part, v in zip(batch, chosen, values, strict=True)
                           if not part.early]
                del values
            for i, res in pending:
                reduced[i] = res.result()
        return reduced

    def close(self) -> None:
        """Nothing to release."""


def _remote_collect(frame: pl.LazyFrame, streaming: bool) -> pl.DataFrame | DataError:
    """Runs on a worker: errors come back as values, so that the driver reports them as it would locally."""
    try:
        return run([frame], streaming)[0]
    except DataError as exc:
        return exc


def _remote_part(ref: pl.LazyFrame, cur: pl.LazyFrame, part: Part, streaming: bool) -> Any:
    """Runs on a worker: read the part's columns, reduce them to their summary, return only the summary."""
    jobs = _part_queries(ref, cur, [part])
    try:
        frames = run([f for _, f in jobs], streaming)
    except DataError as exc:
        return exc
    return part.reduce(_values(jobs, frames, 1)[0])


def _connect(client_class: Any, *args: Any, **kwargs: Any) -> Any:
    """A distributed.Client, closed at once if connecting fails. A client whose constructor raised is
    otherwise left to the garbage collector in a 'connecting' state: its finaliser then closes it from
    whatever code happens to be running, taking Dask's process-wide loop lock and waiting on its event loop,
    which can deadlock the process (seen in this project's test suite, minutes after the failed call). Its
    event-loop thread is stopped too, which `close()` leaves running after a refused connection."""
    client = client_class.__new__(client_class)
    try:
        client.__init__(*args, **kwargs)
    except BaseException:
        with contextlib.suppress(Exception):  # a constructor that failed early has no loop to close
            client.close()
        with contextlib.suppress(Exception):  # a client refused by the scheduler is 'closed' with its loop running
            client._loop_runner.stop()
        raise
    return client


class DaskEngine:
    """Queries and column jobs run as tasks on a Dask cluster (the `mlaudit[dask]` extra).

    The snapshots must be readable from the workers at the same paths (a shared file system or an object
    store URL); the driver only receives per-column summaries and the small results of the batched queries.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, client: Any = None) -> None:
        try:
            distributed: Any = importlib.import_module("distributed")  # optional: the mlaudit[dask] extra
        except ImportError:
            raise UsageError("--engine dask needs Dask: pip install 'mlaudit[dask]'") from None
        Client, LocalCluster = distributed.Client, distributed.LocalCluster
        self._cluster: Any = None
        if client is not None:
            self.client = client
            self._owns_client = False
            return
        if scheduler is not None and not scheduler.strip():
            raise UsageError("--scheduler is empty; give an address such as tcp://host:8786, or leave it out for "
                             "worker processes on this machine")
        try:
            if scheduler:
                self.client = _connect(Client, scheduler, timeout="10s")
            else:  # no address: a cluster of worker processes on this machine
                self._cluster = LocalCluster(n_workers=_cores(), threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self.client = _connect(Client, self._cluster)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            self._close_cluster()
            raise UsageError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check the "
                             "address (tcp://host:8786) and that the scheduler is running") from None
        except RuntimeError as exc:  # worker processes could not start (a script without a __main__ guard)
            self._close_cluster()
            raise UsageError(f"--engine dask: could not start local Dask workers ({exc}); from Python, call the "
                             "audit under `if __name__ == \"__main__\":`, or pass a scheduler address") from None
        self._owns_client = True
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (TimeoutError, OSError):
            self.close()
            raise UsageError(f"--scheduler {scheduler}: the Dask scheduler has no workers (waited "
                             f"{WORKER_WAIT_S} s); start workers with `dask worker {scheduler}`") from None

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _gather(self, futures: list[Any]) -> list[Any]:
        out = self.client.gather(futures)
        for item in out:
            if isinstance(item, DataError):
                raise item
        return list(out)

    def collect(self, frames: list[pl.LazyFrame], streaming: bool) -> list[pl.DataFrame]:
        futures = [self.client.submit(_remote_collect, f, streaming, pure=False) for f in frames]
        return self._gather(futures)

    def reduce_parts(self, ref: pl.LazyFrame, cur: pl.LazyFrame, parts: Sequence[Part], rows: int | None,
                     streaming: bool, on_early: EarlyCallback | None = None) -> list[Any]:
        """As LocalEngine.reduce_parts; `on_early` is called once every part is back."""
        out: list[Any] = []
        if parts:
            ref_f, cur_f = self.client.scatter([ref, cur], broadcast=True)
            futures = [self.client.submit(_remote_part, ref_f, cur_f, part, streaming, pure=False) for part in parts]
            out = self._gather(futures)
        if on_early is not None:
            on_early({i: got for i, (part, got) in enumerate(zip(parts, out, strict=True)) if part.early})
        return out

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
        self._close_cluster()


Engine = LocalEngine | DaskEngine


def make(engine: str | Engine | None, scheduler: str | None = None) -> tuple[Engine, bool]:
    """(engine, whether the caller must close it) for a name ('local', 'dask') or an engine object."""
    if engine is None or engine == "local":
        if scheduler:
            raise UsageError("--scheduler needs --engine dask")
        return LocalEngine(), True
    if engine == "dask":
        return DaskEngine(scheduler), True
    if isinstance(engine, LocalEngine | DaskEngine):
        if scheduler:
            raise UsageError("scheduler: give it to DaskEngine(scheduler) or pass engine='dask', not both")
        return engine, False
    raise UsageError(f"engine {engine!r}: use 'local' or 'dask'")
