"""The versioned JSON report (documented in docs/json-report.md)."""

from __future__ import annotations

import json
import math
from typing import Any

from mlaudit.results import AuditResult, CheckResult

SCHEMA_VERSION = "1.0"


def _num(x: float | None) -> float | str | None:
    """JSON has no NaN or infinity; write them as strings so the file stays valid."""
    if x is None or math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _plain(value: Any) -> Any:
    """Make example ids and details JSON-safe (dates, floats, nested)."""
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def result_dict(r: CheckResult) -> dict[str, Any]:
    return {
        "check": r.check,
        "failure_mode": r.failure_mode.value,
        "column": r.column,
        "status": r.status.value,
        "severity": r.severity,
        "statistic": r.statistic,
        "value": _num(r.value),
        "threshold": _num(r.threshold),
        "warn_threshold": _num(r.warn_threshold),
        "count": r.count,
        "total": r.total,
        "owner": {"area": r.owner.area.value, "team": r.owner.team, "contact": r.owner.contact},
        "message": r.message,
        "examples": _plain(list(r.examples)),
        "details": _plain(r.details),
    }


def to_dict(result: AuditResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mlaudit", "version": result.tool_version},
        "contract": {"path": result.contract_path, "sha256": result.contract_sha256},
        "model": {"name": result.model_name, "version": result.model_version},
        "started_at": result.started_at,
        "as_of": result.as_of,
        "inputs": [
            {"role": i.role, "source": i.source, "files": i.files, "rows": i.rows, "columns": i.columns,
             "fingerprint": i.fingerprint}
            for i in result.inputs
        ],
        "options": _plain(result.options),
        "timings_s": result.timings,
        "verdict": result.verdict.value,
        "exit_code": int(result.exit_code),
        "summary": result.counts(),
        "notes": list(result.notes),
        "results": [result_dict(r) for r in result.results],
    }


def render(result: AuditResult) -> str:
    """Deterministic JSON text: keys in a fixed order, results sorted, trailing newline."""
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
