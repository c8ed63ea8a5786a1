"""What a check is: a spec for the registry, and a plan of statistics with a way to judge them.

A check never reads files or prints. At plan time it sees the contract and the
snapshots' schemas and returns :class:`Planned` items: polars expressions it
needs evaluated on a snapshot, and a pure function that turns their values
into a :class:`CheckResult`. The engine evaluates every expression of every
check in one batched pass per snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import polars as pl

from mlaudit.contract.model import Contract, Severity, Threshold
from mlaudit.results import CheckResult, FailureMode, Owner, OwnerArea, Status

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class CheckSpec:
    """Registry entry: stable id, what it guards, who owns it, its default levels."""

    id: str
    failure_mode: FailureMode
    owner_area: OwnerArea
    doc: str
    statistic: str
    warn: float | None = None
    fail: float | None = None
    severity: Severity = Severity.error
    per_feature: bool = True
    """False for dataset-level checks: `features.<f>.checks.<id>` would have no effect, so it is an error."""
    methods: tuple[str, ...] = ()
    """Statistics a contract may choose with `method:`; empty when the check offers no choice."""
    levels_from: str | None = None
    """Where the check's limits are set when not as warn/fail (e.g. 'dataset.freshness'); warn/fail are then errors."""

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Levels:
    """Resolved warn/fail levels for one check on one scope."""

    warn: float | None
    fail: float | None
    severity: Severity
    enabled: bool = True

    def grade(self, value: float) -> Status:
        """Status of a statistic where larger is worse; `warning` severity caps at warn."""
        if self.fail is not None and value > self.fail:
            return Status.warn if self.severity is Severity.warning else Status.fail
        if self.warn is not None and value > self.warn:
            return Status.warn
        return Status.passed


class Found(NamedTuple):
    """A request evaluated only when `wanted(values)` holds (Planned.found_requests)."""

    wanted: Callable[[Mapping[str, Any]], bool]
    expr: pl.Expr
    first_rows: int = 0
    """When above 0: `expr` lists the first `first_rows` rows, in file order, that meet a condition on each
    row alone (Context.examples of such a condition). A prefix of the snapshot that holds that many then
    gives the same list, so the audit looks there first and reads the whole snapshot only when it must."""


#: Prefix of a Part's whole-column requests (see Part). Read in memory, such a column is handed over as
#: polars decoded it; an aggregate of it as a list (`.implode()`) would first be copied into one array.
COLUMN_KEY = "\x00column:"


@dataclass
class Part:
    """A slice of a plan whose raw values are large (sorted columns): evaluated in a batch with a few
    others, then `reduce`d at once to a small summary so that memory stays bounded as rows grow.

    `weight` is the number of row-length arrays it materialises, for batching. A request whose key
    starts with COLUMN_KEY is a whole column (one value per row) that `reduce` receives as a polars Series
    under the key without the prefix; every other request reduces to one value.
    """

    requests: dict[str, pl.Expr]
    reference_requests: dict[str, pl.Expr]
    reduce: Callable[[Mapping[str, Any]], Any]
    weight: int = 1
    column: str | None = None
    """The column it reads, if one: parts of the same column are read in the same batch (one decode)."""
    early: bool = False
    """Its values are wanted as soon as its batch is read (row samples: the checks judged on them start
    while the other parts are still reduced); its reduce must be instant (keep_values)."""


def keep_values(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Part's reduce for parts that only aggregate (or sample): their values are already small."""
    return values


@dataclass
class Planned:
    """Future results: the expressions they need and how to judge their values.

    `requests` are evaluated on the current snapshot and `reference_requests`
    on the reference (their values reach `finish` under 'reference:<key>').
    Every expression must reduce to one value (use `.implode()` for lists).
    """

    column: str | None
    requests: dict[str, pl.Expr] = field(default_factory=dict)
    finish: Callable[[Mapping[str, Any]], CheckResult | list[CheckResult]] | None = None
    reference_requests: dict[str, pl.Expr] = field(default_factory=dict)
    ready: CheckResult | None = None
    parts: list[Part] = field(default_factory=list)
    """Large requests, evaluated in batches; their reduced summaries reach `finish` as values['parts']."""
    on_error: Callable[[str], CheckResult] | None = None
    """The result to report when this item's expressions fail on the data (polars' reason given): the
    other checks are then still judged. Without it such a failure stops the audit (exit 2)."""
    found_requests: dict[str, Found] = field(default_factory=dict)
    """key -> Found: evaluated on the current snapshot after `requests`, only where `wanted(values of
    requests)` holds, else an empty list. For examples of violating rows, shown only when a check does not
    pass: most pass, and gathering examples costs as much as counting the violations."""
    pair_requests: dict[str, pl.Expr] = field(default_factory=dict)
    """Evaluated on the pairing of serving and offline rows (Context.pair); values under 'pair:<key>'."""
    row_step: tuple[int, int] | None = None
    """(reference, current): evaluate the requests on every k-th row only (row-level samples). Such frames
    carry the original row number in ROW_INDEX."""


#: Column holding the original row number in row-sampled frames. Its name starts with a NUL character, which
#: no data source writes into a column name, so it never collides with a real column (a feature may well be
#: called __mlaudit_row).
ROW_INDEX = "\x00mlaudit_row"


@dataclass(frozen=True)
class Pairing:
    """The full join of serving (current) and offline rows on an entity key, one row per key and side.

    Columns: the key, IN_SERVING and IN_OFFLINE flags, each shared feature under its own name (serving
    value) and under name + OFFLINE_SUFFIX (offline value).
    """

    key: tuple[str, ...]
    features: tuple[str, ...]
    schema: Mapping[str, pl.DataType]
    duplicates: tuple[int, int]
    """(serving, offline) rows repeating an earlier row's key (and time) on their own side; only the first
    of each is paired."""
    missing: tuple[str, ...] = ()
    """Declared features absent from one of the two sides (reported as skipped)."""
    null_times: tuple[int, int] = (0, 0)
    """(serving, offline) rows without a time, when pairing in time: they cannot be paired."""


IN_SERVING = "__mlaudit_in_serving"
IN_OFFLINE = "__mlaudit_in_offline"
OFFLINE_SUFFIX = "__offline"


@dataclass(frozen=True)
class Context:
    """What checks may look at while planning: the contract, schemas, clock."""

    contract: Contract
    current_schema: Mapping[str, pl.DataType]
    reference_schema: Mapping[str, pl.DataType]
    as_of: dt.datetime
    partition_columns: frozenset[str] = frozenset()
    chunk: str | None = None
    """Time or row chunking of the current snapshot for over-time statistics (`--chunk`)."""
    reference_rows: int | None = None
    current_rows: int | None = None
    reference_profile: dict[str, dict[str, Any]] | None = None
    """Per-column reference summaries when --reference is a profile (see mlaudit/profile.py)."""
    pair: Pairing | None = None
    """Serving rows paired with offline rows of the same entities (--offline), for row-level skew."""
    reference_is_sample: bool = False
    """The reference is a profile holding a sample of the training rows (fewer than the training snapshot had):
    checks that count training rows skip rather than count the sample's."""
    same_data: bool = False
    """Reference and current are the same files (equal content fingerprints): a self-audit, where checks
    comparing the two periods or their rows have nothing to compare."""
    audit_log: str | None = None
    """The --audit-log path, when given."""
    contract_sha256: str = ""
    """SHA-256 of the contract file's text (what the audit log records)."""
    history: pl.DataFrame | None = None
    """Earlier runs of this model from --history (see mlaudit/history.py); None without --history."""
    last_pass: Mapping[str, Any] | None = None
    """The audit log's latest record of a passing audit of this contract, when there is one."""

    def levels(
        self, spec: CheckSpec, feature: str | None = None, base: Threshold | None = None,
        defaults: tuple[float | None, float | None] | None = None,
    ) -> Levels:
        """Defaults < contract-wide `thresholds.<id>` < `base` (levels a section states itself, such as
        max_null_share or a rule's max_violation_share) < `features.<f>.checks.<id>`.

        Only keys a person wrote override a lower layer. A section's own limit
        (max_null_share: 0.9) replaces the default levels whole: the default warn
        level would otherwise contradict it. A warn level at or above the fail
        level is dropped: it could never show.
        """
        warn, fail = defaults if defaults is not None else (spec.warn, spec.fail)
        severity, enabled = spec.severity, True
        warn_is_default = True
        layers = [self.contract.thresholds.get(spec.id), base]
        if feature is not None and feature in self.contract.features:
            layers.append(self.contract.features[feature].checks.get(spec.id))
        for layer in layers:
            if layer is None:
                continue
            fields = layer.model_fields_set
            if layer is base and "fail" in fields and "warn" not in fields and warn_is_default:
                warn = None
            warn_is_default = warn_is_default and "warn" not in fields
            warn = layer.warn if "warn" in fields else warn
            fail = layer.fail if "fail" in fields else fail
            severity = layer.severity if layer.severity is not None else severity
            enabled = layer.enabled if "enabled" in fields else enabled
        if warn is not None and fail is not None and warn >= fail:
            warn = None
        return Levels(warn=warn, fail=fail, severity=severity, enabled=enabled)

    def owner(self, area: OwnerArea) -> Owner:
        declared = getattr(self.contract.owners, area.value)
        if declared is None:
            return Owner(area=area)
        return Owner(area=area, team=declared.team, contact=declared.contact)

    def examples(self, condition: pl.Expr) -> pl.Expr:
        """Up to MAX_EXAMPLES ids (or row numbers when no id column) of rows where `condition` holds."""
        id_col = self.contract.columns.id
        source = pl.col(id_col) if id_col and id_col in self.current_schema else pl.int_range(pl.len())
        return source.filter(condition.fill_null(False)).head(MAX_EXAMPLES).implode()

    def first_examples(self, wanted: Callable[[Mapping[str, Any]], bool], condition: pl.Expr) -> Found:
        """examples(condition) as a found request, for a `condition` on each row alone (no aggregate, no
        window): the audit may then find them on a prefix of the snapshot (Found.first_rows)."""
        return Found(wanted, self.examples(condition), MAX_EXAMPLES)


def stated(source: Any, **mapping: str) -> Threshold:
    """A Threshold holding only the levels `source` states explicitly.

    stated(rule, fail="max_violation_share") is Threshold(fail=rule.max_violation_share)
    when the contract wrote that key, and an empty Threshold (overriding nothing) otherwise.
    """
    written = source.model_fields_set
    return Threshold(**{level: getattr(source, key) for level, key in mapping.items()
                        if key in written and getattr(source, key) is not None})


def result(
    spec: CheckSpec,
    ctx: Context,
    status: Status,
    message: str,
    *,
    column: str | None = None,
    value: float | None = None,
    levels: Levels | None = None,
    count: int | None = None,
    total: int | None = None,
    examples: Any = (),
    owner_area: OwnerArea | None = None,
    **details: Any,
) -> CheckResult:
    """Build a CheckResult with the spec's identity filled in."""
    severity = (levels.severity if levels else spec.severity).value
    return CheckResult(
        check=spec.id,
        failure_mode=spec.failure_mode,
        status=status,
        severity=severity,
        owner=ctx.owner(owner_area or spec.owner_area),
        message=message,
        column=column,
        statistic=spec.statistic,
        value=value,
        threshold=levels.fail if levels else None,
        warn_threshold=levels.warn if levels else None,
        count=count,
        total=total,
        examples=tuple(examples or ()),
        details=details,
    )


def skipped(spec: CheckSpec, ctx: Context, reason: str, column: str | None = None) -> Planned:
    """A result that is known at plan time to be not evaluable."""
    return Planned(column=column, ready=result(spec, ctx, Status.skipped, reason, column=column))


def share(count: int, total: int) -> float:
    """count / total, 0 for an empty snapshot (callers report the empty case themselves)."""
    return count / total if total else 0.0


def pct(x: float) -> str:
    """A share as a percentage with enough digits to show small shares."""
    if x == 0:
        return "0%"
    if x < 0.001:
        return f"{x * 100:.3f}%"
    return f"{x * 100:.2f}%" if x < 0.1 else f"{x * 100:.1f}%"


def limit_text(levels: Levels, shown: Callable[[float], str] = pct) -> str:
    """'fail above 1%, warn above 0%' for messages (`shown` formats the levels: shares by default)."""
    parts = []
    if levels.fail is not None:
        parts.append(f"fail above {shown(levels.fail)}")
    if levels.warn is not None:
        parts.append(f"warn above {shown(levels.warn)}")
    return ", ".join(parts) or "no limit"
