"""Label inconsistency: ground truth that contradicts itself, is invalid, arrives too late to judge the
model, disagrees between its sources, or disagrees with a calibrated model far more than chance allows.

Every statistic is computed over the whole snapshot in polars (window
aggregations, value counts), never over a sample. Training labels are in the
reference; production labels come from --outcomes (or a logged label column).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from mlaudit.checks import target
from mlaudit.checks.base import CheckSpec, Context, Levels, Planned, limit_text, pct, result, skipped
from mlaudit.contract.model import Task, parse_duration
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats import association

LI, MB = FailureMode.label_inconsistency, OwnerArea.model_behavior

CONFLICTS = CheckSpec(
    "labels.conflicts", LI, MB,
    "Rows with identical model inputs (or the same labels.conflict_key, by default entity and event time) but "
    "different labels, as a share of labelled rows; not judged when input values repeat in over half the rows "
    "(coarse inputs make such conflicts expected).",
    statistic="conflicting_row_share", warn=0.001, fail=0.01,
)
VALIDITY = CheckSpec(
    "labels.validity", LI, MB,
    "Label values outside the allowed set (labels.allowed; 0/1 or true/false for binary models, model.classes "
    "for multiclass, finite numbers for regression), a model.positive_class that matches no label, missing "
    "training labels (null or NaN), and a label type that differs between training and production.",
    statistic="invalid_share", warn=0.0, fail=0.01,
)
COVERAGE = CheckSpec(
    "labels.coverage", LI, MB,
    "Share of production rows old enough to have an outcome (older than labels.delay, or than the 95th "
    "percentile of observed delays) that still have none; also the coverage by age and the typical delay.",
    statistic="missing_due_share", warn=0.05, fail=0.2,
)
AGREEMENT = CheckSpec(
    "labels.agreement", LI, MB,
    "Agreement between the label sources named in labels.sources, beyond chance: Cohen's kappa for two, "
    "Fleiss' kappa for more; the statistic is 1 - kappa (warn below kappa 0.6, fail below 0.4).",
    statistic="one_minus_kappa", warn=0.4, fail=0.6, per_feature=False,
)
SUSPECTED = CheckSpec(
    "labels.suspected_errors", LI, MB,
    "Training rows where the model is confident (score >= 0.9 or <= 0.1) and the label disagrees, beyond the "
    "number calibration predicts (sum of 1 - confidence): the excess as a share of confident rows, judged "
    "when significant (Poisson, drift.alpha). Binary models with a score; not judged when the score is "
    "miscalibrated between the extremes (expected calibration error above 0.1).",
    statistic="excess_error_share", warn=0.005, fail=0.02, per_feature=False,
)
SPECS = (CONFLICTS, VALIDITY, COVERAGE, AGREEMENT, SUSPECTED)

#: Rows in groups of repeated input values above which conflicts are not judged.
MAX_REPEATED_SHARE = 0.5
#: A score at or beyond this distance from 0.5 is a confident prediction.
CONFIDENT = 0.9
#: Above this calibration error (between the confident extremes) suspected label errors are not judged.
MAX_ECE = 0.1
MIN_ROWS = 100


def plan_conflicts(ctx: Context) -> list[Planned]:
    levels = ctx.levels(CONFLICTS)
    lab = target.label(ctx)
    if not levels.enabled:
        return []
    if lab is None:
        return [skipped(CONFLICTS, ctx, target.why_no_label(ctx))]
    if lab.task is Task.regression:
        return [skipped(CONFLICTS, ctx, "regression targets are continuous: two different values for the same "
                                        "inputs are expected, so conflicts are judged for classification labels")]
    c = ctx.contract
    out: list[Planned] = []
    for side in lab.sides:
        schema = target.schema(ctx, side)
        where = target.SIDE_NAMES[side]
        inputs = target.inputs(ctx, side)
        conflict_key = c.labels.conflict_key
        if conflict_key is None and c.columns.entity and c.columns.event_time:
            conflict_key = [c.columns.entity, c.columns.event_time]
        keys = [("inputs", inputs)] if inputs else []
        if conflict_key:
            absent = [k for k in conflict_key if k not in schema]
            if absent:
                out.append(skipped(CONFLICTS, ctx, f"{where}: conflict key column {', '.join(absent)} is not in "
                                                   "this snapshot"))
            else:
                keys.append(("key", list(conflict_key)))
        if not keys:
            out.append(skipped(CONFLICTS, ctx, f"{where}: no declared model input in the snapshot and no "
                                               "conflict key"))
            continue
        for kind, cols in keys:
            out.append(_conflict_plan(ctx, side, kind, cols, lab.name, schema[lab.name], levels))
    return out


def _label_code(name: str, dtype: pl.DataType) -> pl.Expr:
    """The label as a number that is equal exactly when the labels are (text and categories hashed)."""
    if dtype == pl.Boolean or dtype.is_numeric():
        return pl.col(name).cast(pl.Float64)
    return pl.col(name).cast(pl.String).hash(seed=1).cast(pl.Float64)


def _groups(hashes: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, group start positions in that order, whether each group holds two or more labels) for rows
    grouped by equal hash: one sort instead of a polars window over dozens of columns (14x faster)."""
    order = np.argsort(hashes, kind="stable")
    h = hashes[order]
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]]) if h.size else np.zeros(0, dtype=np.int64)
    y = codes[order]
    if not h.size:
        return order, starts, np.zeros(0, dtype=bool)
    return order, starts, np.minimum.reduceat(y, starts) != np.maximum.reduceat(y, starts)


def _conflict_plan(ctx: Context, side: str, kind: str, cols: list[str], label: str, dtype: pl.DataType,
                   levels: Levels) -> Planned:
    # rows with a label and at least one known key value: a row whose inputs are all missing (an outage)
    # is no evidence of two labels for the same case
    keep = ~target.missing_label(label, dtype) & pl.any_horizontal([pl.col(k).is_not_null() for k in cols])
    example = target.row_ids(ctx, side)
    # a 64-bit hash of the key columns per row; two different keys share one with probability ~1e-19 per pair
    requests = {"h": target.row_hash(cols).filter(keep).implode(), "y": _label_code(label, dtype).filter(keep)
                .implode(), "ids": example.filter(keep).implode()}
    prefix = target.SIDES[side]
    where = target.SIDE_NAMES[side]
    what = f"identical values of the {len(cols)} model inputs" if kind == "inputs" else \
        f"the same {' and '.join(cols)}"

    def finish(v: Mapping[str, Any]) -> CheckResult:
        hashes = np.asarray(v[prefix + "h"] if v[prefix + "h"] is not None else [], dtype=np.uint64)
        codes = np.asarray(v[prefix + "y"] if v[prefix + "y"] is not None else [], dtype=np.float64)
        n = int(hashes.size)
        if n < MIN_ROWS:
            return result(CONFLICTS, ctx, Status.skipped, f"{where}: {n:,} labelled rows, fewer than {MIN_ROWS}",
                          levels=levels, snapshot=side, key=kind)
        order, starts, mixed = _groups(hashes, codes)
        sizes = np.diff(np.r_[starts, n])
        repeated = int(sizes[sizes > 1].sum())
        groups = int(mixed.sum())
        in_conflict = np.repeat(mixed, sizes)
        rows = int(sizes[mixed].sum())
        positions = np.sort(order[in_conflict])[:5]
        ids = v[prefix + "ids"]
        examples = [ids[int(i)] for i in positions] if ids is not None else []
        if kind == "inputs" and repeated / n > MAX_REPEATED_SHARE:
            return result(CONFLICTS, ctx, Status.skipped,
                          f"{where}: input values repeat in {pct(repeated / n)} of labelled rows; with inputs this "
                          "coarse, different labels for the same values are expected, not judged",
                          levels=levels, snapshot=side, key=kind, repeated_rows=repeated)
        value = rows / n
        status = levels.grade(value)
        msg = (f"{where}: {groups:,} groups of rows with {what} carry different labels ({rows:,} rows, "
               f"{pct(value)} of {n:,} labelled rows); {limit_text(levels)}")
        return result(CONFLICTS, ctx, status, msg, value=value, levels=levels, count=rows, total=n,
                      examples=examples, snapshot=side, key=kind, groups=groups, key_columns=cols,
                      repeated_rows=repeated)

    return target.planned(side, None, requests, finish)


def _allowed(ctx: Context, lab: target.Label, dtype: pl.DataType) -> list[Any] | None:
    """Valid label values, or None when any value is (binary labels: then at most two distinct values)."""
    c = ctx.contract
    if c.labels.allowed is not None:
        return list(c.labels.allowed)
    if lab.task is Task.binary_classification:
        if dtype.is_numeric() and (lab.positive is None or target.norm(lab.positive) in ("0", "1")):
            return [0, 1]
        return None  # booleans, text, or numbers coded otherwise (2/3 with positive_class 3)
    if lab.task is Task.multiclass_classification and c.model.classes:
        return list(c.model.classes)
    return None


def plan_validity(ctx: Context) -> list[Planned]:
    levels = ctx.levels(VALIDITY)
    lab = target.label(ctx)
    if not levels.enabled:
        return []
    if lab is None:
        return [skipped(VALIDITY, ctx, target.why_no_label(ctx))]
    out = []
    types = {side: target.schema(ctx, side)[lab.name] for side in lab.sides}
    for side in lab.sides:
        dtype = types[side]
        col = pl.col(lab.name)
        missing = target.missing_label(lab.name, dtype)
        requests: dict[str, pl.Expr] = {"rows": pl.len(), "nulls": missing.sum()}
        regression = lab.task is Task.regression
        if regression and dtype.is_numeric():
            requests["non_finite"] = (col.cast(pl.Float64).is_infinite()).fill_null(False).sum()
        elif not regression:
            native = col.cast(pl.Float64) if dtype.is_numeric() else col
            requests["values"] = native.filter(~missing).value_counts(name="n").implode()
        allowed = None if regression else _allowed(ctx, lab, dtype)
        prefix, where = target.SIDES[side], target.SIDE_NAMES[side]
        other = next((types[s] for s in lab.sides if s != side), None)

        def finish(v: Mapping[str, Any], side: str = side, prefix: str = prefix, where: str = where,
                   allowed: list[Any] | None = allowed, regression: bool = regression,
                   dtype: pl.DataType = dtype, other: pl.DataType | None = other) -> CheckResult:
            n, nulls = int(v[prefix + "rows"]), int(v[prefix + "nulls"])
            if n == 0:
                return result(VALIDITY, ctx, Status.skipped, f"{where}: no rows", column=lab.name, snapshot=side)
            if side == "current" and nulls == n:
                return result(VALIDITY, ctx, Status.skipped, f"{where}: no row has a label yet (pass the "
                              "outcomes with --outcomes)", column=lab.name, snapshot=side)
            problems: list[str] = []
            invalid = 0
            bad: list[str] = []
            if regression and not dtype.is_numeric():
                invalid = n - nulls
                problems.append(f"the label is {dtype} in a regression model; it must be a number")
            elif regression:
                invalid = int(v[prefix + "non_finite"])
                if invalid:
                    problems.append(f"{invalid:,} infinite values")
            else:
                counts: dict[str, int] = {}
                for r in v[prefix + "values"] or []:  # 1.0, 1 and true are the same label
                    key = target.norm(r[lab.name])
                    counts[key] = counts.get(key, 0) + int(r["n"])
                if allowed is not None:
                    ok = {target.norm(a) for a in allowed}
                    bad = sorted((k for k in counts if k not in ok), key=lambda k: -counts[k])
                elif lab.task is Task.binary_classification and len(counts) > 2:
                    bad = sorted(counts, key=lambda k: -counts[k])[2:]
                invalid = sum(counts[k] for k in bad)
                if bad:
                    shown = ", ".join(repr(b) for b in bad[:5])
                    problems.append(f"{invalid:,} rows hold values outside the allowed set ({shown})")
                pc = ctx.contract.model.positive_class
                if lab.task is Task.binary_classification and pc is not None and counts and \
                        target.norm(pc) not in counts:
                    invalid = n - nulls
                    seen = ", ".join(repr(k) for k in sorted(counts)[:5])
                    problems.append(f"model.positive_class {pc!r} matches no label value (seen: {seen}); fix "
                                    "it, or every label counts as negative")
            if side == "current":
                nulls = 0  # production: an outcome not yet in (labels.coverage judges that)
            if nulls:
                problems.append(f"{nulls:,} training rows have no label")
            value = min((invalid + nulls) / n, 1.0)
            status = levels.grade(value)
            type_change = other is not None and _kind(dtype) != _kind(other)
            if type_change and side == "current":
                problems.append(f"the label is {dtype} in production but {other} in training")
                status = levels.grade(1.0)
            if not problems:
                return result(VALIDITY, ctx, Status.passed, f"{where}: every label is valid", column=lab.name,
                              value=0.0, levels=levels, total=n, snapshot=side)
            msg = f"{where}: " + "; ".join(problems) + f" ({pct(value)} of {n:,} rows); {limit_text(levels)}"
            return result(VALIDITY, ctx, status, msg, column=lab.name, value=value, levels=levels,
                          count=invalid + nulls, total=n, examples=bad[:5], snapshot=side, missing_labels=nulls,
                          invalid_labels=invalid, type_changed=bool(type_change and side == "current"))

        out.append(target.planned(side, lab.name, requests, finish))
    return out


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_numeric():
        return "number"
    return "text"


#: Age buckets (days) for coverage by age.
AGE_EDGES = (1, 7, 30, 90)


def plan_coverage(ctx: Context) -> list[Planned]:
    levels = ctx.levels(COVERAGE)
    lab = target.label(ctx)
    c = ctx.contract
    if not levels.enabled:
        return []
    if lab is None or "current" not in lab.sides:
        return [skipped(COVERAGE, ctx, "production has no label column: pass the delayed outcomes with --outcomes")]
    et = c.columns.event_time
    if not et or et not in ctx.current_schema or not target.is_time(ctx.current_schema[et]):
        return [skipped(COVERAGE, ctx, "needs columns.event_time (a timestamp) in production to age the rows")]
    as_of = target.utc(ctx.as_of)
    event = target.naive_utc(et, ctx.current_schema[et])
    age = (pl.lit(as_of) - event).dt.total_seconds() / 86400
    has = pl.col(lab.name).is_not_null()
    lt = c.columns.label_time
    requests: dict[str, pl.Expr] = {"rows": pl.len(), "labelled": has.sum(), "ages": age.drop_nulls().len()}
    bounds = (0, *AGE_EDGES, None)
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        inside = (age >= lo) if hi is None else (age >= lo) & (age < hi)
        requests[f"b{i}"] = inside.sum()
        requests[f"l{i}"] = (inside & has).sum()
    if lt and lt in ctx.current_schema and target.is_time(ctx.current_schema[lt]):
        delay = (target.naive_utc(lt, ctx.current_schema[lt]) - event).dt.total_seconds() / 86400
        requests["delay_median"] = delay.median()
        requests["delay_p95"] = delay.quantile(0.95)
        observed_due = age > delay.quantile(0.95)
        requests["observed_due"] = observed_due.sum()
        requests["observed_due_labelled"] = (observed_due & has).sum()
    declared = parse_duration(c.labels.delay).total_seconds() / 86400 if c.labels.delay else None
    if declared is not None:
        requests["due"] = (age > declared).sum()
        requests["due_labelled"] = ((age > declared) & has).sum()

    def finish(v: Mapping[str, Any]) -> CheckResult:
        n, labelled = int(v["rows"]), int(v["labelled"])
        by_age = []
        for i in range(len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            rows_i, lab_i = int(v[f"b{i}"]), int(v[f"l{i}"])
            by_age.append({"age_days": f"{lo}-{hi}" if hi is not None else f">={lo}", "rows": rows_i,
                           "coverage": lab_i / rows_i if rows_i else None})
        median, p95 = v.get("delay_median"), v.get("delay_p95")
        delay, source = (declared, "labels.delay") if declared is not None else (p95, "observed 95th percentile")
        details: dict[str, Any] = {"coverage": labelled / n if n else None, "by_age": by_age,
                                   "delay_median_days": median, "delay_p95_days": p95, "delay_days": delay,
                                   "delay_source": source}
        if n == 0:
            return result(COVERAGE, ctx, Status.skipped, "production has no rows", column=lab.name, **details)
        if declared is None and delay is None:
            return result(COVERAGE, ctx, Status.skipped,
                          f"{pct(labelled / n)} of production rows have an outcome; set labels.delay (or "
                          "columns.label_time) to tell which rows should have one by now", column=lab.name,
                          count=labelled, total=n, **details)
        if declared is not None:
            due, due_lab = int(v["due"]), int(v["due_labelled"])
        else:
            due, due_lab = int(v["observed_due"]), int(v["observed_due_labelled"])
        days = float(delay or 0.0)
        typical = f"; typical delay {median:.1f} days" if median is not None else ""
        if due == 0:
            return result(COVERAGE, ctx, Status.skipped,
                          f"no production row is older than the outcome delay ({days:.1f} days, {source}); "
                          f"{pct(labelled / n)} have an outcome so far{typical}", column=lab.name, count=labelled,
                          total=n, **details)
        missing = (due - due_lab) / due
        status = levels.grade(missing)
        msg = (f"{due - due_lab:,} of {due:,} production rows older than {days:.1f} days ({source}) have no "
               f"outcome ({pct(missing)}); {pct(labelled / n)} of all rows have one{typical}; {limit_text(levels)}")
        return result(COVERAGE, ctx, status, msg, column=lab.name, value=missing, levels=levels,
                      count=due - due_lab, total=due, **details)

    return [Planned(column=lab.name, requests=requests, finish=finish)]


def _rating(value: Any) -> str | None:
    """One source's label as comparable text; NaN is a missing rating."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return target.norm(value)


def plan_agreement(ctx: Context) -> list[Planned]:
    levels = ctx.levels(AGREEMENT)
    sources = ctx.contract.labels.sources
    if not levels.enabled:
        return []
    if len(sources) < 2:
        return [skipped(AGREEMENT, ctx, "labels.sources names fewer than two label columns")]
    out = []
    for side, prefix in target.SIDES.items():
        schema = target.schema(ctx, side)
        if not all(s in schema for s in sources) or (side == "current" and ctx.same_data) \
                or (side == "reference" and ctx.reference_is_sample):
            continue
        where = target.SIDE_NAMES[side]
        odd = [s for s in sources if not target.usable(schema[s])]
        if odd:
            out.append(skipped(AGREEMENT, ctx, f"{where}: label source {', '.join(odd)} is not a label type "
                                               "(boolean, number, text or category)"))
            continue
        texts = [(pl.col(s).cast(pl.Float64) if schema[s].is_numeric() else pl.col(s)).alias(f"s{i}")
                 for i, s in enumerate(sources)]
        requests = {"tuples": pl.struct(texts).value_counts(name="n").implode(), "rows": pl.len()}

        def finish(v: Mapping[str, Any], prefix: str = prefix, where: str = where, side: str = side) -> CheckResult:
            rows = [(tuple(_rating(r[f"s{i}"]) for i in range(len(sources))),
                     int(r["n"])) for r in target.struct_counts(v[prefix + "tuples"])]
            complete = [(tuple(str(x) for x in t), k) for t, k in rows if all(x is not None for x in t)]
            n = sum(k for _, k in complete)
            if n < 2:
                return result(AGREEMENT, ctx, Status.skipped, f"{where}: fewer than two rows rated by every "
                              "source", levels=levels, snapshot=side)
            categories = sorted({str(x) for t, _ in complete for x in t})
            index = {k: i for i, k in enumerate(categories)}
            if len(sources) == 2:
                a = np.repeat([index[t[0]] for t, _ in complete], [k for _, k in complete])
                b = np.repeat([index[t[1]] for t, _ in complete], [k for _, k in complete])
                kappa, name = association.cohen_kappa(a, b), "Cohen's kappa"
            else:
                table = np.zeros((len(complete), len(categories)))
                for row, (t, _) in enumerate(complete):
                    for x in t:
                        table[row, index[x]] += 1
                table = np.repeat(table, [k for _, k in complete], axis=0)
                kappa, name = association.fleiss_kappa(table), "Fleiss' kappa"
            value = 1 - kappa
            status = levels.grade(value)
            agree = sum(k for t, k in complete if len(set(t)) == 1) / n
            skipped_rows = int(v[prefix + "rows"]) - n
            pairs = (("fail", levels.fail), ("warn", levels.warn))
            limits = [f"{word} below kappa {1 - level:g}" for word, level in pairs if level is not None]
            msg = (f"{where}: {name} {kappa:.3f} between {', '.join(sources)} over {n:,} rows (all agree on "
                   f"{pct(agree)})" + (f"; {skipped_rows:,} rows lack a source" if skipped_rows else "")
                   + f"; {', '.join(limits) or 'no limit'}")
            return result(AGREEMENT, ctx, status, msg, value=value, levels=levels, total=n, kappa=kappa,
                          statistic_name=name, full_agreement=agree, snapshot=side, sources=list(sources))

        out.append(target.planned(side, None, requests, finish))
    if not out:
        return [skipped(AGREEMENT, ctx, f"no snapshot has every label source ({', '.join(sources)})")]
    return out


def plan_suspected(ctx: Context) -> list[Planned]:
    levels = ctx.levels(SUSPECTED)
    lab = target.label(ctx)
    c = ctx.contract
    if not levels.enabled:
        return []
    if c.model.task is not Task.binary_classification:
        return [skipped(SUSPECTED, ctx, "computed for binary models only")]
    score = c.columns.score
    if ctx.reference_is_sample:
        return [skipped(SUSPECTED, ctx, target.PROFILE)]
    if lab is None or "reference" not in lab.sides or not score or score not in ctx.reference_schema:
        return [skipped(SUSPECTED, ctx, "needs columns.label and columns.score in the training snapshot")]
    y = target.positive(lab.name, ctx.reference_schema[lab.name], lab.positive)
    if y is None:
        return [skipped(SUSPECTED, ctx, f"label '{lab.name}' is text: set model.positive_class")]
    p = pl.col(score).cast(pl.Float64)
    usable = y.is_not_null() & p.is_between(0.0, 1.0)
    confidence = pl.max_horizontal(p, 1 - p)
    confident = usable & (confidence >= CONFIDENT)
    wrong = confident & ((p >= 0.5) != y)
    example = target.row_ids(ctx, "reference")
    # calibration where the model is not confident: excess errors at the extremes mean label errors only if
    # the score is calibrated elsewhere (expected calibration error over the ten score bins between 0.1 and 0.9)
    middle = usable & (confidence < CONFIDENT)
    score_bin = (p * 10).floor()
    pm, ym = pl.when(middle).then(p), pl.when(middle).then(y.cast(pl.Float64))
    requests = {"confident": confident.sum(), "wrong": wrong.sum(),
                "ece": pl.when(middle).then((pm.mean().over(score_bin) - ym.mean().over(score_bin)).abs()).mean(),
                "expected": pl.when(confident).then(1 - confidence).otherwise(0.0).sum(),
                "usable": usable.sum(), "examples": example.filter(wrong.fill_null(False)).head(5).implode()}
    alpha = c.drift.alpha

    def finish(v: Mapping[str, Any]) -> CheckResult:
        n, k, observed, expected = (int(v["reference:confident"]), int(v["reference:usable"]),
                                    int(v["reference:wrong"]), float(v["reference:expected"]))
        if n < MIN_ROWS:
            return result(SUSPECTED, ctx, Status.skipped, f"{n:,} confident training predictions (score >= "
                          f"{CONFIDENT} or <= {1 - CONFIDENT:.1f}), fewer than {MIN_ROWS}", levels=levels)
        ece = v["reference:ece"]
        if ece is not None and ece > MAX_ECE:
            return result(SUSPECTED, ctx, Status.skipped, f"the score is not calibrated on the training data where "
                          f"it is not confident (expected calibration error {ece:.3f} > {MAX_ECE}): label errors "
                          "cannot be told from model error", levels=levels, calibration_error=ece)
        excess = (observed - expected) / n
        p_value = association.excess_over_expected(observed, expected)
        graded = levels.grade(excess)
        status = graded if p_value < alpha else Status.passed
        msg = (f"training: {observed:,} of {n:,} confident predictions disagree with their label; calibration "
               f"expects {expected:,.1f}: excess {pct(max(excess, 0.0))} of confident rows (p={p_value:.3g}); "
               f"{limit_text(levels)}" + ("; possible label errors: review these rows" if status is not
                                          Status.passed else ""))
        return result(SUSPECTED, ctx, status, msg, value=excess, levels=levels, count=observed, total=n,
                      examples=v["reference:examples"] or (), expected=expected, p_value=p_value, scored_rows=k,
                      calibration_error=ece)

    return [Planned(column=None, reference_requests=requests, finish=finish)]


PLANNERS = {CONFLICTS.id: plan_conflicts, VALIDITY.id: plan_validity, COVERAGE.id: plan_coverage,
            AGREEMENT.id: plan_agreement, SUSPECTED.id: plan_suspected}
