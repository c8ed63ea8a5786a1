"""`mlaudit init`: infer a starting contract from a snapshot.

Types come from the schema, ranges from robust quantiles (0.1% and 99.9%,
widened by 10% of their span and rounded outward), allowed values from
low-cardinality strings, null limits from observed null shares, and column
roles from names. Everything guessed is marked `CONFIRM` for a person. The
result validates and audits the snapshot it came from without findings.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from mlaudit import snapshots

MAX_CATEGORIES = 50
_Q_LO, _Q_HI, _PAD = 0.001, 0.999, 0.10

_ROLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "score": (r"prob", r"proba", r"score$", r"^score", r"pred.*prob", r"likelihood"),
    "label": (r"^label$", r"^target$", r"^y$", r"^outcome$", r"^class$", r"(^|_)defaulted$", r"^(is_)?default$",
              r"fraud$", r"^churn(ed)?$", r"^converted$"),
    "decision": (r"^approved$", r"decision", r"^action$", r"accepted", r"declined", r"^approve"),
    "review": (r"review",),
    "override": (r"overrid",),
    "amount": (r"amount$", r"^amount", r"^value$", r"price$"),
}
_SEGMENT_NAMES = ("region", "segment", "country", "product", "channel", "market", "state", "tier")
_EVENT_TIME_HINTS = ("decid", "predict", "event", "scored", "request", "created", "timestamp", "time")


@dataclass
class _Profile:
    name: str
    dtype: pl.DataType
    rows: int
    nulls: int
    distinct: int | None = None
    lo: float | None = None
    hi: float | None = None
    vmin: Any = None
    vmax: Any = None
    values: list[Any] = field(default_factory=list)


def _q(s: str) -> str:
    """A YAML-safe scalar (JSON strings are valid YAML and never read as booleans)."""
    return json.dumps(s, ensure_ascii=False)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none"}


def _key(s: str) -> str:
    """A mapping key or column name, quoted only when YAML needs it."""
    return s if _PLAIN.match(s) and s.lower() not in _YAML_WORDS else _q(s)


def _nice(x: float, up: bool, integer: bool) -> float | int:
    """Round outward to 3 significant digits (or to an integer)."""
    if integer:
        return int(math.ceil(x) if up else math.floor(x))
    if x == 0 or not math.isfinite(x):
        return 0.0 if x == 0 else x
    step = 10.0 ** (math.floor(math.log10(abs(x))) - 2)
    return float((math.ceil(x / step) if up else math.floor(x / step)) * step)


def _fmt(x: float | int) -> str:
    if isinstance(x, int):
        return str(x)
    return repr(float(f"{x:.6g}"))


def _profiles(frame: pl.LazyFrame, schema: dict[str, pl.DataType]) -> list[_Profile]:
    exprs: list[pl.Expr] = [pl.len().alias("__rows")]
    for name, dtype in schema.items():
        col = pl.col(name)
        exprs.append(col.null_count().alias(f"{name}\x1fnulls"))
        if dtype.is_numeric():
            col = col.cast(pl.Float64) if dtype.is_decimal() else col
            finite = col.filter(col.is_finite()) if dtype.is_float() else col
            exprs += [finite.quantile(_Q_LO, "lower").alias(f"{name}\x1flo"),
                      finite.quantile(_Q_HI, "higher").alias(f"{name}\x1fhi"),
                      finite.min().alias(f"{name}\x1fmin"), finite.max().alias(f"{name}\x1fmax"),
                      col.n_unique().alias(f"{name}\x1fdistinct")]
            if dtype.is_float():
                exprs.append(col.is_nan().sum().alias(f"{name}\x1fnan"))
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            text = col.cast(pl.String)
            exprs += [text.n_unique().alias(f"{name}\x1fdistinct"),
                      text.drop_nulls().unique().sort().head(MAX_CATEGORIES + 1).implode().alias(f"{name}\x1fvalues")]
    row = frame.select(exprs).collect().row(0, named=True)
    rows = int(row["__rows"])
    out = []
    for name, dtype in schema.items():
        nulls = int(row[f"{name}\x1fnulls"]) + int(row.get(f"{name}\x1fnan") or 0)
        p = _Profile(name=name, dtype=dtype, rows=rows, nulls=nulls,
                     distinct=row.get(f"{name}\x1fdistinct"))
        if dtype.is_numeric():
            p.lo, p.hi = row[f"{name}\x1flo"], row[f"{name}\x1fhi"]
            p.vmin, p.vmax = row[f"{name}\x1fmin"], row[f"{name}\x1fmax"]
        if f"{name}\x1fvalues" in row:
            p.values = list(row[f"{name}\x1fvalues"] or [])
        out.append(p)
    return out


def _first_match(profiles: list[_Profile], role: str, taken: set[str]) -> _Profile | None:
    """The column matching the role's most specific pattern (patterns are in priority order)."""
    for pattern in _ROLE_PATTERNS[role]:
        for p in profiles:
            if p.name not in taken and re.search(pattern, p.name.lower()) and _fits(p, role):
                return p
    return None


def _fits(p: _Profile, role: str) -> bool:
    if role == "score":
        return bool(p.dtype.is_float() and p.vmin is not None and p.vmin >= 0 and p.vmax is not None and p.vmax <= 1)
    if role == "amount":
        return p.dtype.is_numeric()
    return True


def _guess_roles(profiles: list[_Profile]) -> dict[str, Any]:
    roles: dict[str, Any] = {}
    ids = [p for p in profiles if re.search(r"(^|_)id$", p.name.lower())]
    unique_ids = [p for p in ids if p.nulls == 0 and p.distinct == p.rows]
    if unique_ids:
        roles["id"] = unique_ids[0].name
    others = [p.name for p in ids if p.name != roles.get("id")]
    if others:
        roles["entity"] = others[0]
    temporal = [p.name for p in profiles if isinstance(p.dtype, pl.Datetime) or p.dtype == pl.Date]
    label_times = [t for t in temporal if re.search(r"outcome|label", t.lower())]
    events = [t for t in temporal if t not in label_times]
    ranked = sorted(events, key=lambda t: next((i for i, h in enumerate(_EVENT_TIME_HINTS) if h in t.lower()), 99))
    if ranked:
        roles["event_time"] = ranked[0]
    if label_times:
        roles["label_time"] = label_times[0]
    for role in ("score", "label", "decision", "review", "override", "amount"):
        found = _first_match(profiles, role, {v for v in roles.values() if isinstance(v, str)})
        if found is not None:
            roles[role] = found.name
    segments = [p.name for p in profiles if p.name.lower() in _SEGMENT_NAMES
                and p.distinct is not None and p.distinct <= MAX_CATEGORIES]
    if segments:
        roles["segments"] = segments
    return roles


def _task(label: _Profile | None) -> tuple[str, list[Any] | None]:
    if label is None or label.dtype == pl.Boolean or (label.distinct is not None and label.distinct <= 3
                                                      and label.dtype.is_integer()):
        return "binary_classification", None
    if label.dtype.is_float():
        return "regression", None
    return "multiclass_classification", label.values or None


def _feature_type(p: _Profile) -> str | None:
    """The contract type for a column, or None for types no check reads (lists, structs, binary, durations)."""
    if p.dtype.is_nested() or p.dtype in (pl.Binary, pl.Null, pl.Time, pl.Object) or isinstance(p.dtype, pl.Duration):
        return None
    if p.dtype == pl.Boolean:
        return "bool"
    if p.dtype.is_integer():
        return "int"
    if p.dtype.is_numeric():
        return "float"
    if isinstance(p.dtype, pl.Datetime):
        return "datetime"
    if p.dtype == pl.Date:
        return "date"
    if p.distinct is not None and p.distinct <= MAX_CATEGORIES:
        return "category"
    if p.dtype in (pl.String, pl.Categorical) or isinstance(p.dtype, pl.Enum):
        return "string"
    return None


def _range(p: _Profile, ftype: str) -> tuple[float | int, float | int] | None:
    if ftype not in ("float", "int") or p.lo is None or p.hi is None:
        return None
    span = float(p.hi) - float(p.lo)
    lo, hi = float(p.lo) - _PAD * span, float(p.hi) + _PAD * span
    if p.vmin is not None and float(p.vmin) >= 0 and lo < 0:
        lo = 0.0
    integer = ftype == "int"
    return _nice(lo, False, integer), _nice(hi, True, integer)


def _outside_shares(frame: pl.LazyFrame, ranges: dict[str, tuple[float | int, float | int]]) -> dict[str, float]:
    if not ranges:
        return {}
    exprs = [pl.len().alias("__rows")]
    # NaN sorts above every number in polars; it is missing (null_share), not out of range
    exprs += [(((pl.col(n) < lo) | (pl.col(n) > hi)) & pl.col(n).cast(pl.Float64).is_not_nan()).fill_null(False)
              .sum().alias(n) for n, (lo, hi) in ranges.items()]
    row = frame.select(exprs).collect().row(0, named=True)
    rows = max(int(row.pop("__rows")), 1)
    return {n: int(v) / rows for n, v in row.items()}


def _round_up(x: float, digits: int = 3) -> float:
    return float(math.ceil(x * 10**digits) / 10**digits)


def _labels_section(frame: pl.LazyFrame, schema: dict[str, pl.DataType], roles: dict[str, Any]) -> list[str]:
    """labels.delay from the reference's own outcome delays (95th percentile of label_time - event_time, in
    whole days), so that labels.coverage knows which production rows should have an outcome by now."""
    et, lt = roles.get("event_time"), roles.get("label_time")
    temporal = (pl.Datetime, pl.Date)
    if not (et and lt and isinstance(schema.get(et), temporal) and isinstance(schema.get(lt), temporal)):
        return ["# labels: {delay: 10d}  # time within which outcomes arrive (needs columns.label)"]
    days = (pl.col(lt).cast(pl.Datetime("us")) - pl.col(et).cast(pl.Datetime("us"))).dt.total_seconds() / 86400
    p95, longest = frame.select(days.quantile(0.95), days.max().alias("max")).collect().row(0)
    if p95 is None or p95 <= 0:
        return ["# labels: {delay: 10d}  # time within which outcomes arrive"]
    return ["labels:", f"  delay: {math.ceil(p95)}d  # CONFIRM: 95% of reference outcomes arrived within this "
                       f"(longest {longest:.1f} days)"]


def _outcomes_hint(task: str, roles: dict[str, Any]) -> list[str]:
    """A commented outcomes section: what errors cost is the team's decision, not something data can say."""
    headline = {"binary_classification": "roc_auc", "multiclass_classification": "macro_f1"}.get(task, "rmse")
    lines = ["# outcomes:  # what errors cost and whom they fail (docs/metric-blindness.md)",
             f"#   headline: {headline}  # the metric the team reports",
             "#   tolerance: 0.02  # allowed worsening from the reference, in the metric's units"]
    if task == "binary_classification":
        cost = "amount" if "amount" in roles else "1000"
        lines.append(f"#   costs: {{false_negative: {cost}, false_positive: 100}}  # per error; amount: columns.amount")
    lines.append("#   slices: {min_rows: 200}  # judge each columns.segments value (and pair) this large")
    return lines


def infer_contract(source: str, name: str | None = None) -> str:
    """Contract YAML text inferred from the snapshot at `source`."""
    snap = snapshots.scan(source, "snapshot")
    profiles = _profiles(snap.frame, snap.schema)
    roles = _guess_roles(profiles)
    by_name = {p.name: p for p in profiles}
    label = by_name.get(roles.get("label", ""))
    task, classes = _task(label)
    non_features = {roles.get(r) for r in ("id", "entity", "event_time", "score", "label", "label_time",
                                           "decision", "review", "override")}
    model_name = name or Path(source.rstrip("/")).stem.split("*")[0] or "model"

    lines = [
        "# Inferred by `mlaudit init` from " + Path(source).name + ". Lines marked CONFIRM are guesses:",
        "# check them before you rely on this contract. Reference: docs/contract.md",
        "version: 1",
        "",
        "model:",
        f"  name: {_q(model_name)}  # CONFIRM",
        f"  task: {task}  # CONFIRM",
    ]
    if classes:
        lines.append(f"  classes: [{', '.join(_q(str(c)) for c in classes)}]  # CONFIRM order")
    lines += ["  # version: \"1.0.0\"", "  # trained_at: 2026-01-31", "  # max_age_days: 180", "",
              "owners:  # CONFIRM: who acts on which findings",
              "  # data_quality: {team: data-platform, contact: data-platform@example.com}",
              "  # model_behavior: {team: ml-team, contact: ml-team@example.com}",
              "  # decision_impact: {team: operations}",
              "  # governance: {team: model-risk}",
              ""]
    lines.append("columns:  # CONFIRM: roles guessed from names and types" if roles else "columns: {}")
    for role in ("id", "entity", "event_time", "score", "decision", "label", "label_time", "review",
                 "override", "amount"):
        if role in roles:
            lines.append(f"  {role}: {_key(roles[role])}")
    if "segments" in roles:
        lines.append(f"  segments: [{', '.join(_key(s) for s in roles['segments'])}]")
    lines += ["", *_labels_section(snap.frame, snap.schema, roles), "", *_outcomes_hint(task, roles), "",
              "features:"]

    feature_rows: list[tuple[_Profile, str, tuple[float | int, float | int] | None]] = []
    skipped_temporal, unsupported = [], []
    for p in profiles:
        if p.name in non_features:
            continue
        ftype = _feature_type(p)
        if ftype is None:
            unsupported.append(f"{p.name} ({p.dtype})")
            continue
        if ftype in ("datetime", "date"):
            skipped_temporal.append(p.name)
            continue
        feature_rows.append((p, ftype, _range(p, ftype)))
    outside = _outside_shares(snap.frame, {p.name: r for p, _, r in feature_rows if r is not None})
    if not feature_rows:
        lines[-1] = "features: {}"
    for p, ftype, rng in feature_rows:
        lines.append(f"  {_key(p.name)}:")
        lines.append(f"    type: {ftype}")
        null_share = p.nulls / p.rows if p.rows else 0.0
        limit = min(1.0, _round_up(null_share + max(0.01, 0.5 * null_share)))
        lines.append(f"    max_null_share: {limit:g}  # observed {null_share:.4f}")
        if rng is not None:
            lines.append(f"    range: [{_fmt(rng[0])}, {_fmt(rng[1])}]  # CONFIRM: robust quantiles, widened")
            share = outside.get(p.name, 0.0)
            if share > 0:
                warn = _round_up(share * 1.5, 4)
                lines.append(f"    checks:  # {share:.4%} of reference rows fall outside the range")
                fail = max(0.01, _round_up(3 * share, 4))
                lines.append(f"      validation.range: {{warn: {warn:g}, fail: {fail:g}}}")
        if ftype == "category":
            lines.append(f"    allowed: [{', '.join(_q(str(v)) for v in p.values)}]")
        if ftype == "string" and p.distinct == p.rows and p.nulls == 0:
            lines.append("    unique: true  # CONFIRM")
        lines.append("    # importance: high  # CONFIRM")
    if unsupported:
        lines += ["", f"# Columns of types no check reads, not declared: {', '.join(unsupported)}"]
    if skipped_temporal:
        lines += ["", f"# Timestamps not declared as features: {', '.join(skipped_temporal)}",
                  "# (use them as columns.event_time / columns.label_time or features.<f>.available_at)"]
    lines += ["", "dataset:", f"  row_count: {{min: 1}}  # reference had {snap.rows or 0:,} rows; CONFIRM",
              "  # freshness: {warn: 26h, fail: 3d}  # needs columns.event_time", ""]
    return "\n".join(lines)
