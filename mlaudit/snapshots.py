"""Resolve snapshot sources (file, folder with hive partitions, glob, or a DataFrame) into
polars LazyFrames, after checking every file's Parquet footer.

Reading the footers first costs a few kilobytes per file and turns a corrupt or
truncated file into a clear message naming that file, before any work starts.
The footers also give the row count and a cheap, content-derived fingerprint.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from mlaudit.errors import DataError
from mlaudit.results import InputInfo

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Snapshot:
    """A scanned snapshot: lazy frame, schema and provenance."""

    role: str
    source: str
    frame: pl.LazyFrame
    schema: dict[str, pl.DataType]
    files: tuple[str, ...]
    rows: int | None
    fingerprint: str
    partition_columns: tuple[str, ...] = ()

    def info(self) -> InputInfo:
        return InputInfo(role=self.role, source=self.source, files=len(self.files), rows=self.rows,
                         columns=len(self.schema), fingerprint=self.fingerprint)


def _resolve(source: str, role: str) -> tuple[list[Path], bool]:
    """Parquet files behind `source` and whether hive partition columns apply."""
    path = Path(source)
    if path.is_file():
        return [path], False
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if not any(
            part.startswith((".", "_")) for part in p.relative_to(path).parts))
        if not files:
            raise DataError(f"{role} snapshot: folder {source} holds no .parquet files")
        return files, True
    if _GLOB_CHARS & set(source):
        files = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())
        if not files:
            raise DataError(f"{role} snapshot: no file matches {source}")
        return files, True
    raise DataError(f"{role} snapshot: {source} not found; give a Parquet file, a folder or a glob")


def _footer(path: Path, role: str) -> tuple[int, bytes, list[str]]:
    """(row count, footer bytes, column names) of a Parquet file; DataError if it is not readable Parquet."""
    try:
        meta = pq.read_metadata(path)
        names = list(meta.schema.to_arrow_schema().names)
        size = path.stat().st_size
        with path.open("rb") as fh:
            fh.seek(max(0, size - 8))
            tail = fh.read(8)
            footer_len = int.from_bytes(tail[:4], "little")
            fh.seek(max(0, size - 8 - footer_len))
            footer = fh.read(footer_len)
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on bad files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{role} snapshot: {path} is not a readable Parquet file ({reason}); "
                        "re-export it or remove it from the input") from None
    return int(meta.num_rows), footer, names


def scan(source: str | os.PathLike[str], role: str) -> Snapshot:
    """Scan a Parquet file, folder or glob lazily after validating every footer."""
    text = os.fspath(source)
    files, hive = _resolve(text, role)
    digest = hashlib.sha256()
    rows = 0
    stored: set[str] = set()
    for f in files:
        n, footer, names = _footer(f, role)
        stored.update(names)
        rows += n
        digest.update(f.name.encode() + b"\0" + str(f.stat().st_size).encode() + b"\0" + footer)
    try:
        frame = pl.scan_parquet([str(f) for f in files], hive_partitioning=hive)
        schema = dict(frame.collect_schema())
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).splitlines()[0]
        raise DataError(f"{role} snapshot: cannot read {text} ({reason}); files in one snapshot "
                        "must share a schema") from None
    return Snapshot(role=role, source=text, frame=frame, schema=schema,
                    files=tuple(str(f) for f in files), rows=rows,
                    fingerprint="sha256:" + digest.hexdigest(),
                    partition_columns=tuple(c for c in schema if c not in stored))


def from_frame(data: Any, role: str) -> Snapshot:
    """Wrap an in-memory polars or pandas DataFrame (for notebooks)."""
    if isinstance(data, pl.LazyFrame):
        frame = data
    elif isinstance(data, pl.DataFrame):
        frame = data.lazy()
    elif type(data).__module__.startswith("pandas"):
        try:
            frame = pl.from_pandas(data).lazy()
        except Exception as exc:  # pandas frames with unsupported objects
            raise DataError(f"{role} snapshot: cannot convert the pandas DataFrame ({exc})") from None
    else:
        raise DataError(f"{role} snapshot: expected a path, a polars or a pandas DataFrame, "
                        f"got {type(data).__name__}")
    schema = dict(frame.collect_schema())
    digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in schema.items())).encode())
    return Snapshot(role=role, source="<dataframe>", frame=frame, schema=schema, files=(), rows=None,
                    fingerprint="schema-sha256:" + digest.hexdigest())


def load(data: Any, role: str) -> Snapshot:
    """A path-like or a DataFrame, as a Snapshot."""
    if isinstance(data, str | os.PathLike):
        return scan(data, role)
    return from_frame(data, role)


def join_outcomes(current: Snapshot, outcomes: Snapshot, id_col: str | None) -> Snapshot:
    """Left-join delayed outcomes onto the current snapshot by id; outcome columns win."""
    if not id_col:
        raise DataError("--outcomes needs columns.id in the contract to join on")
    for snap in (current, outcomes):
        if id_col not in snap.schema:
            raise DataError(f"{snap.role} snapshot has no id column '{id_col}' to join outcomes on")
    overlap = [c for c in outcomes.schema if c != id_col and c in current.schema]
    left = current.frame.drop(overlap) if overlap else current.frame
    frame = left.join(outcomes.frame, on=id_col, how="left", validate="m:1")
    schema = dict(frame.collect_schema())
    return Snapshot(role="current", source=f"{current.source} + outcomes {outcomes.source}", frame=frame,
                    schema=schema, files=current.files, rows=current.rows,
                    fingerprint=current.fingerprint, partition_columns=current.partition_columns)
