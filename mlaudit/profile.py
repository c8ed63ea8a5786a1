"""Reference profiles: the reference's summaries, computed once, so audits need not re-read training data.

A profile is one Parquet file (docs/profile.md):

- its table is a systematic sample of the reference (every k-th row, at most
  rows.MAX_ROWS rows, every column), which serves the row-level checks
  (multivariate and concept drift) and gives the reference schema;
- its key-value metadata `mlaudit.profile` holds JSON: the reference's row
  count and fingerprint, the contract it was built for, and per compared
  column its row and missing counts, and either the category counts, or the
  reference-quantile bin edges and counts, mean, standard deviation,
  quantiles and a SKETCH-point quantile summary (evenly spaced order
  statistics, little-endian float64, base64).

Binned statistics from a profile are identical to those from the raw
reference; Kolmogorov-Smirnov moves by at most 1/SKETCH and Wasserstein by at
most (reference range)/SKETCH, and p-values use the true sizes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from mlaudit import __version__, snapshots
from mlaudit.atomic import replacing
from mlaudit.checks import rows
from mlaudit.checks.base import Context
from mlaudit.checks.drift import N, profile_targets
from mlaudit.contract.loader import LoadedContract
from mlaudit.errors import DataError
from mlaudit.stats import binning, compare

KEY = b"mlaudit.profile"
FORMAT = 1
SKETCH = 20_000


@dataclass(frozen=True)
class Profile:
    """What a profile file says about its reference."""

    source: str
    rows: int
    fingerprint: str
    contract_sha256: str
    bins: int
    columns: dict[str, dict[str, Any]]


def _sketch(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if values.size <= SKETCH:
        return values
    return np.asarray(values[np.linspace(0, values.size - 1, SKETCH).round().astype(np.int64)])


def _json_scalar(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def build(loaded: LoadedContract, reference: str | snapshots.Snapshot, output: Path) -> Profile:
    """Profile `reference` (a path, or a snapshot already scanned) for the columns `loaded` compares, and
    write it to `output`."""
    snap = reference if isinstance(reference, snapshots.Snapshot) else snapshots.scan(reference, "reference")
    ctx = Context(contract=loaded.contract, current_schema=snap.schema, reference_schema=snap.schema,
                  as_of=dt.datetime.now(dt.timezone.utc))
    bins = loaded.contract.drift.bins
    targets = profile_targets(ctx)
    from mlaudit.checks.drift import _requests, prepare  # the same expressions and reduction as the audit

    exprs = [e.alias(f"{i}\x1f{k}") for i, t in enumerate(targets)
             for k, e in _requests(t, snap.schema, None, "").items()]
    values: list[dict[str, Any]] = [{} for _ in targets]
    if exprs:
        frame = snap.frame.select(exprs).collect()
        for key in frame.columns:
            index, name = key.split("\x1f", 1)
            series = frame.get_column(key)
            values[int(index)][name] = series[0] if not isinstance(series.dtype, pl.List) else series.explode()
    columns: dict[str, dict[str, Any]] = {}
    for t, raw in zip(targets, values, strict=True):
        v = prepare(raw)
        entry: dict[str, Any] = {"kind": t.kind, "n": int(v["n"]), "missing": int(v["missing"]),
                                 "sentinel": _json_scalar(t.sentinel)}
        if t.kind == "numeric":
            ordered = v["values"]
            edges = binning.quantile_edges(ordered, bins)
            entry.update(
                bins=bins, n_valid=int(ordered.size), edges=edges.tolist(),
                bin_counts=binning.sorted_bin_counts(ordered, edges).tolist(),
                scale=compare.scale(ordered), summary=compare._summary(ordered),  # prepare kept finite values only
                sketch=base64.b64encode(_sketch(ordered).astype("<f8").tobytes()).decode("ascii"),
            )
        else:
            pairs = [[row[t.column], int(row[N])] for row in v["counts"].to_list()]
            entry["counts"] = sorted(pairs, key=lambda p: (-p[1], str(p[0])))  # deterministic bytes
        columns[t.column] = entry
    sample = snap.frame.gather_every(rows.step(snap.rows)).collect()
    meta = {"format": FORMAT, "tool_version": __version__, "source": snap.source, "rows": snap.rows,
            "fingerprint": snap.fingerprint, "contract_sha256": loaded.sha256, "bins": bins, "sketch": SKETCH,
            "columns": columns}
    table = sample.to_arrow()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), KEY: json.dumps(meta).encode()})
    output.parent.mkdir(parents=True, exist_ok=True)
    import pyarrow.parquet as pq  # here: an audit, which reads profiles, then never imports pyarrow (0.08 s)

    with replacing(output) as tmp:
        pq.write_table(table, tmp)
    return Profile(snap.source, int(snap.rows or 0), snap.fingerprint, loaded.sha256, bins, columns)


def read(path: Path) -> Profile | None:
    """The profile in a Parquet file, or None when the file is plain data."""
    try:  # polars' footer reader: pyarrow's takes 0.1 s over the few megabytes of a profile's metadata
        meta = pl.read_parquet_metadata(path)
    except Exception:  # not Parquet: the snapshot reader gives the clear message
        return None
    key = KEY.decode()
    if key not in meta:
        return None
    try:
        data = json.loads(meta[key])
    except ValueError:
        raise DataError(f"{path}: the mlaudit profile metadata is not valid JSON; rebuild the profile") from None
    if data.get("format") != FORMAT:
        raise DataError(f"{path}: profile format {data.get('format')!r}; this mlaudit reads format {FORMAT}")
    return Profile(data["source"], int(data["rows"]), data["fingerprint"], data["contract_sha256"],
                   int(data["bins"]), data["columns"])
