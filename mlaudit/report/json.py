"""The versioned JSON report (documented in docs/json-report.md)."""

from __future__ import annotations

import json
import math
from typing import Any

from mlaudit.results import AuditResult, CheckResult, FailOn, FailureMode, InputInfo, Owner, OwnerArea, Status

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


def _float(x: Any) -> float | None:
    """A number written by `_num` back as a float ('nan', 'inf', '-inf' included)."""
    if x is None:
        return None
    return float(x)


def _result(d: dict[str, Any]) -> CheckResult:
    owner = d["owner"]
    return CheckResult(
        check=d["check"], failure_mode=FailureMode(d["failure_mode"]), status=Status(d["status"]),
        severity=d["severity"], owner=Owner(area=OwnerArea(owner["area"]), team=owner.get("team"),
                                            contact=owner.get("contact")),
        message=d["message"], column=d.get("column"), statistic=d.get("statistic"), value=_float(d.get("value")),
        threshold=_float(d.get("threshold")), warn_threshold=_float(d.get("warn_threshold")), count=d.get("count"),
        total=d.get("total"), examples=tuple(d.get("examples") or ()), details=dict(d.get("details") or {}),
    )


def from_dict(data: dict[str, Any]) -> AuditResult:
    """An AuditResult from a JSON report (`mlaudit report` re-renders it without reading data again). Verdict and
    exit code are derived again from the results and the gate, exactly as when the audit ran."""
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"schema_version {data.get('schema_version')!r}; this mlaudit reads {SCHEMA_VERSION}")
    options = dict(data.get("options") or {})
    return AuditResult(
        tool_version=data["tool"]["version"], contract_path=data["contract"]["path"],
        contract_sha256=data["contract"]["sha256"], model_name=data["model"]["name"],
        model_version=data["model"].get("version"), started_at=data["started_at"], as_of=data["as_of"],
        inputs=tuple(InputInfo(role=i["role"], source=i["source"], files=i["files"], rows=i.get("rows"),
                               columns=i["columns"], fingerprint=i["fingerprint"]) for i in data["inputs"]),
        options=options, timings=dict(data.get("timings_s") or {}),
        results=tuple(_result(r) for r in data["results"]), fail_on=FailOn(options.get("fail_on", "error")),
        notes=tuple(data.get("notes") or ()), strict=bool(options.get("strict", False)),
    )


def load(path: str) -> AuditResult:
    """Read a JSON report written by `mlaudit audit --json`; UsageError with one line when it is not one."""
    from pathlib import Path

    from mlaudit.errors import UsageError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such JSON report; give the file written by `mlaudit audit --json`") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read it as a JSON report ({exc})") from None
    try:
        return from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path}: not an mlaudit JSON report ({type(exc).__name__}: {exc}); give the file written "
                         "by `mlaudit audit --json`") from None
