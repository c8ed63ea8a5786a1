"""Check results and the audit result: the single place verdicts and exit codes are decided.

Formatters and the CLI read an :class:`AuditResult`; they never decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any


class Status(str, Enum):
    """Outcome of one check on one column (or the dataset)."""

    passed = "pass"
    warn = "warn"
    fail = "fail"
    skipped = "skipped"
    error = "error"


class FailureMode(str, Enum):
    """What kind of production failure a check guards against (report sections, in order)."""

    validation = "validation"
    data_drift = "data_drift"
    training_serving_skew = "training_serving_skew"
    label_inconsistency = "label_inconsistency"
    feature_leakage = "feature_leakage"
    metric_blindness = "metric_blindness"
    human_authority = "human_authority"
    lifecycle_ownership = "lifecycle_ownership"
    monitoring = "monitoring"


class OwnerArea(str, Enum):
    """Who must act on a finding."""

    data_quality = "data_quality"
    model_behavior = "model_behavior"
    decision_impact = "decision_impact"
    governance = "governance"


class Verdict(str, Enum):
    passed = "pass"
    warn = "warn"
    fail = "fail"
    error = "error"
    disable = "disable"


class FailOn(str, Enum):
    """Which findings fail the gate (exit code 1)."""

    error = "error"
    warning = "warning"
    never = "never"


class ExitCode(IntEnum):
    """Documented process exit codes."""

    OK = 0
    GATE_FAILED = 1
    CANNOT_AUDIT = 2
    KILL_SWITCH = 3
    INTERNAL_ERROR = 4


FAILURE_MODE_ORDER = {m: i for i, m in enumerate(FailureMode)}
#: Phrases of skip reasons that mean "not asked for" rather than "could not look" (see CheckResult.not_configured).
NOT_CONFIGURED_MARKERS = ("in the contract", " declared", "is off", "is false", "pass --history",
                          "names fewer than two label columns", "needs model.trained_at",
                          "no operational signal columns", "pass --audit-log")
STATUS_RANK = {Status.passed: 0, Status.skipped: 0, Status.warn: 1, Status.fail: 2, Status.error: 3}


@dataclass(frozen=True)
class Owner:
    """The team that must act on a finding; `team` is None when the contract names nobody."""

    area: OwnerArea
    team: str | None = None
    contact: str | None = None

    def label(self) -> str:
        return f"{self.team} ({self.area.value})" if self.team else f"unassigned ({self.area.value})"


@dataclass(frozen=True)
class CheckResult:
    """One evaluated check. `value` is the statistic; `threshold` the fail level it is held to."""

    check: str
    failure_mode: FailureMode
    status: Status
    severity: str
    owner: Owner
    message: str
    column: str | None = None
    statistic: str | None = None
    value: float | None = None
    threshold: float | None = None
    warn_threshold: float | None = None
    count: int | None = None
    total: int | None = None
    examples: tuple[Any, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def not_configured(self) -> bool:
        """A skip because the contract or the command line did not ask for the check (no section, no column role,
        no --history), as opposed to one that could not look at the data (--strict fails the gate on those)."""
        if self.status is not Status.skipped:
            return False
        flag = self.details.get("not_configured")
        if isinstance(flag, bool):
            return flag
        return any(marker in self.message for marker in NOT_CONFIGURED_MARKERS)

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (FAILURE_MODE_ORDER[self.failure_mode], self.check, self.column or "")


@dataclass(frozen=True)
class InputInfo:
    """What was audited: enough to tell later whether the same data was used."""

    role: str
    source: str
    files: int
    rows: int | None
    columns: int
    fingerprint: str


@dataclass(frozen=True)
class AuditResult:
    """Everything a report needs; the verdict and exit code are derived here only."""

    tool_version: str
    contract_path: str
    contract_sha256: str
    model_name: str
    model_version: str | None
    started_at: str
    as_of: str
    inputs: tuple[InputInfo, ...]
    options: dict[str, Any]
    timings: dict[str, float]
    results: tuple[CheckResult, ...]
    fail_on: FailOn = FailOn.error
    notes: tuple[str, ...] = ()
    strict: bool = False
    """--strict: a check that could not be evaluated (skipped, though the contract asks for it) fails the gate."""
    audit_record: dict[str, Any] | None = None
    """`seq` and `hash` of the record appended to the audit log (--audit-log), when one was."""

    @property
    def verdict(self) -> Verdict:
        if self.disabled:
            return Verdict.disable
        worst = max((STATUS_RANK[r.status] for r in self.results), default=0)
        return {0: Verdict.passed, 1: Verdict.warn, 2: Verdict.fail, 3: Verdict.error}[worst]

    @property
    def disabled(self) -> bool:
        """A kill-switch condition holds: the model must be taken out of the loop."""
        return any(r.check == "governance.kill_switch" and r.status is Status.fail and r.details.get("disable")
                   for r in self.results)

    @property
    def fallback(self) -> str | None:
        """The contract's kill_switch.fallback, when a kill-switch condition holds."""
        return next((str(r.details["fallback"]) for r in self.results if r.check == "governance.kill_switch"
                     and r.details.get("disable")), None)

    @property
    def exit_code(self) -> ExitCode:
        """0 passed; 1 gate failed; 3 kill switch tripped (whatever --fail-on says: the contract orders it). A
        check in error state always fails the gate."""
        verdict = self.verdict
        if verdict is Verdict.disable:
            return ExitCode.KILL_SWITCH
        if verdict is Verdict.error or (self.strict and self.unevaluated()):
            return ExitCode.GATE_FAILED
        if self.fail_on is FailOn.never:
            return ExitCode.OK
        if verdict is Verdict.fail or (verdict is Verdict.warn and self.fail_on is FailOn.warning):
            return ExitCode.GATE_FAILED
        return ExitCode.OK

    def counts(self) -> dict[str, dict[str, int]]:
        """failure mode -> status -> number of results (only modes that have results)."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = out.setdefault(r.failure_mode.value, {s.value: 0 for s in Status})
            row[r.status.value] += 1
        return out

    def unevaluated(self) -> list[CheckResult]:
        """Skipped results the contract asked for: checks that could not look at the data."""
        return [r for r in self.results if r.status is Status.skipped and not r.not_configured]

    def by_owner(self) -> dict[str, dict[str, int]]:
        """Who must act: owner label -> counts of their error, fail and warn findings (owners with none left out),
        the busiest first."""
        out: dict[str, dict[str, int]] = {}
        for r in self.findings():
            row = out.setdefault(r.owner.label(), {"error": 0, "fail": 0, "warn": 0})
            row[r.status.value] += 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1]["error"], -kv[1]["fail"], -kv[1]["warn"], kv[0])))

    def _repr_html_(self) -> str:
        """A compact HTML summary when the result is shown in a notebook."""
        from mlaudit.report import html

        return html.summary(self)

    def frame(self) -> Any:
        """Every result as a polars DataFrame (one row per check result), to filter and plot in a notebook."""
        import polars as pl

        schema = {"check": pl.String, "failure_mode": pl.String, "column": pl.String, "status": pl.String,
                  "severity": pl.String, "owner_area": pl.String, "owner_team": pl.String, "statistic": pl.String,
                  "value": pl.Float64, "threshold": pl.Float64, "warn_threshold": pl.Float64, "count": pl.Int64,
                  "total": pl.Int64, "message": pl.String}
        rows = [{"check": r.check, "failure_mode": r.failure_mode.value, "column": r.column, "status": r.status.value,
                 "severity": r.severity, "owner_area": r.owner.area.value, "owner_team": r.owner.team,
                 "statistic": r.statistic, "value": r.value, "threshold": r.threshold,
                 "warn_threshold": r.warn_threshold, "count": r.count, "total": r.total, "message": r.message}
                for r in self.results]
        return pl.DataFrame(rows, schema=schema)

    def findings(self) -> list[CheckResult]:
        """Results that need a person: a tripped kill switch, then error, fail and warn."""
        bad = [r for r in self.results if r.status in (Status.error, Status.fail, Status.warn)]
        # a tripped kill switch first: it decides what happens to the model today
        return sorted(bad, key=lambda r: (r.check != "governance.kill_switch", -STATUS_RANK[r.status], r.sort_key))
