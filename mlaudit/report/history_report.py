"""`mlaudit history`: the runs in a history folder, or one check's statistic per run, as text and HTML."""

from __future__ import annotations

import html as html_escape

import polars as pl

from mlaudit import history
from mlaudit.report import svg


def _runs_text(data: pl.DataFrame) -> list[str]:
    runs = history.runs(data)
    lines = [f"{runs.height} run(s)", f"{'as of':<25} {'model version':<14} {'verdict':<8} {'exit':>4} "
             f"{'fail':>5} {'warn':>5}  run id"]
    for r in runs.iter_rows(named=True):
        lines.append(f"{r['as_of']:%Y-%m-%d %H:%M:%S} UTC  {r['model_version'] or '-'!s:<14} {r['verdict']:<8} "
                     f"{r['exit_code']:>4} {r['fail']:>5} {r['warn']:>5}  {r['run_id']}")
    return lines


def _series_text(data: pl.DataFrame, check: str, column: str | None) -> list[str]:
    rows = history.series(data, check, column)
    if rows.height == 0:
        return [f"no result of {check}" + (f" on {column}" if column else "") + " in this history"]
    lines = []
    for (name,), part in rows.group_by("column", maintain_order=True):
        values = part["value"].to_list()
        lines.append(f"{check}" + (f" {name}" if name else "") + f"  {svg.text_sparkline(values)}")
        for r in part.iter_rows(named=True):
            value = "" if r["value"] is None else f"{r['value']:.4g}"
            lines.append(f"  {r['as_of']:%Y-%m-%d %H:%M} UTC  {r['status']:<8} {value:>10}"
                         + (f"  (fail above {r['threshold']:g})" if r["threshold"] is not None else ""))
    return lines


def text(data: pl.DataFrame, check: str | None = None, column: str | None = None) -> str:
    """The runs, or one check's series (with a sparkline per column)."""
    return "\n".join(_series_text(data, check, column) if check else _runs_text(data)) + "\n"


def html(data: pl.DataFrame, check: str | None = None, column: str | None = None) -> str:
    """A small self-contained page: the runs' verdicts over time and, with `check`, its statistic per run."""
    runs = history.runs(data)
    x = [f"{t:%Y-%m-%d}" for t in runs["as_of"].to_list()]
    charts = [svg.lines(x, {"fail results": [float(v) for v in runs["fail"].to_list()],
                            "warn results": [float(v) for v in runs["warn"].to_list()]},
                        "findings per run", y_label="results")]
    if check:
        rows = history.series(data, check, column)
        for (name,), part in rows.group_by("column", maintain_order=True):
            label = f"{check} {name}" if name else check
            threshold = part["threshold"].drop_nulls()
            series = {"statistic": part["value"].to_list()}
            if threshold.len():
                series["fail level"] = part["threshold"].to_list()
            charts.append(svg.lines([f"{t:%Y-%m-%d}" for t in part["as_of"].to_list()], series, label,
                                    y_label="statistic"))
    body = "\n".join(charts)
    listing = html_escape.escape(text(data, check, column))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-"
            "Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>mlaudit history</title>"
            "<style>body{font:15px/1.4 system-ui,sans-serif;max-width:1100px;margin:auto;padding:1rem}"
            "svg{max-width:100%;height:auto;border:1px solid #ccc;margin:.4rem}</style></head><body>"
            f"<h1>mlaudit history</h1>{body}<pre>{listing}</pre></body></html>\n")
