"""Row-level training-serving skew: the same entities' offline (training-time) and serving values.

With `--offline PATH`, serving rows (the current snapshot) are joined with the
offline rows on the entity key (skew.key, else columns.entity, else
columns.id; the first row of each key per side), lazily and with only the
needed columns. Numbers match when |serving - offline| <= abs + rel * |offline|
(the feature's `tolerance`, else skew.tolerance); other values must be equal;
two missing values match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from mlaudit.checks.base import (
    IN_OFFLINE,
    IN_SERVING,
    MAX_EXAMPLES,
    OFFLINE_SUFFIX,
    CheckSpec,
    Context,
    Planned,
    limit_text,
    pct,
    result,
)
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status

S = FailureMode.training_serving_skew

MATCH = CheckSpec(
    "skew.row_match", S, OwnerArea.data_quality,
    "With --offline: share of entity keys found on only one side (serving without offline values, or the "
    "reverse); repeated keys are reported too.",
    statistic="unmatched_share", warn=0.0, fail=0.05, per_feature=False,
)
MISMATCH = CheckSpec(
    "skew.row_mismatch", S, OwnerArea.data_quality,
    "With --offline: share of paired rows whose serving value differs from the offline value of the same "
    "entity beyond the feature's tolerance.",
    statistic="mismatch_share", warn=0.0, fail=0.01,
)
SPECS = (MATCH, MISMATCH)


def plan_match(ctx: Context) -> list[Planned]:
    levels = ctx.levels(MATCH)
    if not levels.enabled or ctx.pair is None:
        return []
    pair = ctx.pair
    both = pl.col(IN_SERVING) & pl.col(IN_OFFLINE)
    requests = {"serving": pl.col(IN_SERVING).sum(), "offline": pl.col(IN_OFFLINE).sum(), "both": both.sum(),
                "keys": pl.len(),
                "only_serving": pl.struct(list(pair.key)).filter(pl.col(IN_SERVING) & ~pl.col(IN_OFFLINE))
                .head(MAX_EXAMPLES).implode()}

    def finish(v: Mapping[str, Any]) -> CheckResult:
        keys, both_n = int(v["pair:keys"]), int(v["pair:both"])
        only_s, only_o = int(v["pair:serving"]) - both_n, int(v["pair:offline"]) - both_n
        value = (only_s + only_o) / keys if keys else 0.0
        status = levels.grade(value)
        dup_s, dup_o = pair.duplicates
        null_s, null_o = pair.null_times
        if (dup_s or dup_o or null_s) and status is Status.passed:
            status = Status.warn
        dups = f"; repeated keys: {dup_s:,} serving rows, {dup_o:,} offline rows (first of each paired)" \
            if dup_s or dup_o else ""
        if null_s or null_o:
            dups += f"; rows without a time, not paired: {null_s:,} serving, {null_o:,} offline"
        msg = (f"{both_n:,} of {keys:,} keys ({', '.join(pair.key)}) on both sides; {only_s:,} only in serving, "
               f"{only_o:,} only offline ({pct(value)} unmatched){dups}; {limit_text(levels)}")
        examples = [tuple(row.values()) if len(row) > 1 else next(iter(row.values()))
                    for row in v["pair:only_serving"] or []]
        return result(MATCH, ctx, status, msg, value=value, levels=levels, count=only_s + only_o, total=keys,
                      examples=examples if status is not Status.passed else (), matched=both_n,
                      only_serving=only_s, only_offline=only_o, duplicate_serving=dup_s, duplicate_offline=dup_o,
                      null_time_serving=null_s, null_time_offline=null_o)

    return [Planned(column=None, pair_requests=requests, finish=finish)]


def _differs(ctx: Context, name: str) -> pl.Expr:
    """True where the paired serving and offline values do not match (tolerance for numbers)."""
    served, offline = pl.col(name), pl.col(name + OFFLINE_SUFFIX)
    assert ctx.pair is not None
    schema = ctx.pair.schema
    one_missing = served.is_null() != offline.is_null()
    if schema[name].is_numeric() and schema[name + OFFLINE_SUFFIX].is_numeric():
        tol = ctx.contract.features[name].tolerance or ctx.contract.skew.tolerance
        a, b = served.cast(pl.Float64), offline.cast(pl.Float64)
        # NaN is missing, as everywhere else; equal values (infinities included) match
        a = pl.when(a.is_nan()).then(None).otherwise(a)
        b = pl.when(b.is_nan()).then(None).otherwise(b)
        one_missing = a.is_null() != b.is_null()
        apart = ((a - b).abs() > (tol.abs + tol.rel * b.abs())) & (a != b)
        return one_missing | apart.fill_null(False)
    return one_missing | (served.cast(pl.String) != offline.cast(pl.String)).fill_null(False)


def plan_mismatch(ctx: Context) -> list[Planned]:
    if ctx.pair is None:
        return []
    pair = ctx.pair
    both = pl.col(IN_SERVING) & pl.col(IN_OFFLINE)
    out = [Planned(column=name, ready=result(MISMATCH, ctx, Status.skipped, f"'{name}' is not in both the offline "
                                             "and the current snapshot", column=name))
           for name in pair.missing if ctx.levels(MISMATCH, name).enabled]
    for name in pair.features:
        levels = ctx.levels(MISMATCH, name)
        if not levels.enabled:
            continue
        differs = both & _differs(ctx, name)
        numeric = pair.schema[name].is_numeric() and pair.schema[name + OFFLINE_SUFFIX].is_numeric()
        requests: dict[str, pl.Expr] = {"both": both.sum(), "n": differs.sum(),
                                        "examples": pl.struct([*pair.key, name, name + OFFLINE_SUFFIX])
                                        .filter(differs).head(MAX_EXAMPLES).implode()}
        if numeric:
            gap = (pl.col(name).cast(pl.Float64) - pl.col(name + OFFLINE_SUFFIX).cast(pl.Float64)).abs()
            gap = pl.when(gap.is_nan()).then(None).otherwise(gap)
            requests["largest"] = gap.filter(differs).max()
            requests["typical"] = gap.filter(differs).median()

        def finish(v: Mapping[str, Any], name: str = name, levels: Any = levels) -> CheckResult:
            total, count = int(v["pair:both"]), int(v["pair:n"])
            if total == 0:
                return result(MISMATCH, ctx, Status.skipped, f"'{name}': no entity is on both sides", column=name)
            value = count / total
            status = levels.grade(value)
            size = ""
            if v.get("pair:largest") is not None:
                size = f"; differences: typical {v['pair:typical']:.4g}, largest {v['pair:largest']:.4g}"
            shown = [f"{'/'.join(str(row[k]) for k in pair.key)}: serving {row[name]!r}, offline "
                     f"{row[name + OFFLINE_SUFFIX]!r}" for row in (v["pair:examples"] or [])[:3]]
            tail = f" (e.g. {'; '.join(shown)})" if shown and status is not Status.passed else ""
            msg = (f"'{name}': {count:,} of {total:,} paired rows ({pct(value)}) differ between serving and "
                   f"offline{size}{tail}; {limit_text(levels)}")
            examples = [row[pair.key[0]] for row in v["pair:examples"] or []] if status is not Status.passed else []
            return result(MISMATCH, ctx, status, msg, column=name, value=value, levels=levels, count=count,
                          total=total, examples=examples, largest=v.get("pair:largest"),
                          typical=v.get("pair:typical"),
                          pairs=[{k: str(x) for k, x in row.items()} for row in v["pair:examples"] or []])

        out.append(Planned(column=name, pair_requests=requests, finish=finish))
    return out


PLANNERS = {MATCH.id: plan_match, MISMATCH.id: plan_mismatch}
