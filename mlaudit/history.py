"""Run history: every audit's per-check statistics and statuses, one Parquet file per run in a folder.

One file per run, written to a temporary name in the same folder and renamed into place, so concurrent
cron jobs never corrupt the store and a reader never sees half a run. Any Parquet reader (polars,
DuckDB, Spark) reads the folder without mlaudit: `SELECT * FROM 'history/*.parquet'`.

Columns (one row per check result): run_id, as_of, started_at, contract_sha256, model_name,
model_version, verdict, exit_code, check, column, failure_mode, status, statistic, value, threshold,
warn_threshold, current (the measured value, e.g. a realised metric, when the result has one), owner_area.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl

from mlaudit.atomic import replacing
from mlaudit.errors import UsageError
from mlaudit.results import AuditResult

SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.String(), "as_of": pl.Datetime("us", "UTC"), "started_at": pl.Datetime("us", "UTC"),
    "contract_sha256": pl.String(), "model_name": pl.String(), "model_version": pl.String(), "verdict": pl.String(),
    "exit_code": pl.Int32(), "check": pl.String(), "column": pl.String(), "failure_mode": pl.String(),
    "status": pl.String(), "statistic": pl.String(), "value": pl.Float64(), "threshold": pl.Float64(),
    "warn_threshold": pl.Float64(), "current": pl.Float64(), "owner_area": pl.String(),
}


def _time(text: str) -> pl.Series:
    return pl.Series([text]).str.to_datetime(time_unit="us", time_zone="UTC")


def _current(details: dict[str, object]) -> float | None:
    value = details.get("current")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def frame(result: AuditResult, run_id: str) -> pl.DataFrame:
    """One row per check result of `result`."""
    rows = [{"check": r.check, "column": r.column, "failure_mode": r.failure_mode.value, "status": r.status.value,
             "statistic": r.statistic, "value": r.value, "threshold": r.threshold,
             "warn_threshold": r.warn_threshold, "current": _current(r.details), "owner_area": r.owner.area.value}
            for r in result.results]
    body = pl.DataFrame(rows, schema={k: SCHEMA[k] for k in ("check", "column", "failure_mode", "status", "statistic",
                                                             "value", "threshold", "warn_threshold", "current",
                                                             "owner_area")})
    as_of, started = _time(result.as_of)[0], _time(result.started_at)[0]
    head = {"run_id": run_id, "as_of": as_of, "started_at": started, "contract_sha256": result.contract_sha256,
            "model_name": result.model_name, "model_version": result.model_version,
            "verdict": result.verdict.value, "exit_code": int(result.exit_code)}
    return body.with_columns([pl.lit(v, dtype=SCHEMA[k]).alias(k) for k, v in head.items()]).select(list(SCHEMA))


def append(folder: Path, result: AuditResult) -> Path:
    """Write this run as one new file in `folder` (created if missing), atomically; the file's path."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--history {folder}: cannot create the history folder ({exc.strerror or exc})") from None
    if not folder.is_dir():
        raise UsageError(f"--history {folder}: not a folder; give a folder for the run history")
    run_id = f"{result.as_of[:19].replace(':', '').replace('-', '')}-{uuid.uuid4().hex[:12]}"
    target = folder / f"run-{run_id}.parquet"
    temporary = folder / f".run-{run_id}.parquet.tmp"
    try:
        with replacing(target, temporary) as tmp:
            frame(result, run_id).write_parquet(tmp)
    except OSError as exc:
        raise UsageError(f"--history {folder}: cannot write the run ({exc.strerror or exc})") from None
    return target


def load(folder: Path, model_name: str | None = None) -> pl.DataFrame | None:
    """Every stored run (optionally of one model), oldest first; None when the folder does not exist yet."""
    folder = Path(folder)
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise UsageError(f"--history {folder}: not a folder; give a folder for the run history")
    files = sorted(folder.glob("run-*.parquet"))
    if not files:
        return pl.DataFrame(schema=SCHEMA)
    try:
        data = pl.concat([pl.read_parquet(f).select(list(SCHEMA)).cast(pl.Schema(SCHEMA)) for f in files],
                         how="vertical")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UsageError(f"--history {folder}: a run file cannot be read ({str(exc).splitlines()[0]}); move the "
                         "damaged file aside") from None
    if model_name is not None:
        data = data.filter(pl.col("model_name") == model_name)
    return data.sort(["as_of", "started_at", "run_id"])


def runs(data: pl.DataFrame) -> pl.DataFrame:
    """One row per run: when, which model version, verdict, exit code, counts of fail and warn results."""
    return (data.group_by("run_id", maintain_order=True)
            .agg(pl.col("as_of").first(), pl.col("model_version").first(), pl.col("verdict").first(),
                 pl.col("exit_code").first(), (pl.col("status") == "fail").sum().alias("fail"),
                 (pl.col("status") == "warn").sum().alias("warn"))
            .sort("as_of"))


def series(data: pl.DataFrame, check: str, column: str | None = None) -> pl.DataFrame:
    """One check's statistic and status per run (and per column unless one is given), oldest first."""
    out = data.filter(pl.col("check") == check)
    if column is not None:
        out = out.filter(pl.col("column") == column)
    return out.select("as_of", "run_id", "column", "status", "value", "threshold").sort(["column", "as_of"])
