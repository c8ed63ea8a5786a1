"""Feature leakage: inputs that know the answer. A feature that alone nearly predicts the training
label, whose power collapses in production, that was known only after the decision, an id that orders
the labels, or training rows that reappear in production.

Predictive power of one column for the label, by task and column kind (all
computed over the whole snapshot in polars, then finished in numpy):
- binary label, numeric or boolean column: ROC AUC from average ranks, oriented (max(AUC, 1 - AUC));
- categorical column, or multiclass label: normalised mutual information I(X;Y) / H(Y), categories with
  fewer than MIN_CATEGORY_ROWS rows pooled (so that rare values cannot "predict" by being rare);
  numeric columns of multiclass models are cut at their deciles first;
- regression label: |Spearman rank correlation| for numeric columns, the correlation ratio eta^2
  (share of the label's variance between the column's categories, rare ones pooled) for categorical ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from mlaudit.checks import target
from mlaudit.checks.base import CheckSpec, Context, Levels, Part, Planned, limit_text, pct, result, skipped
from mlaudit.checks.validation import missing_expr
from mlaudit.contract.model import FeatureType, Task
from mlaudit.results import CheckResult, FailureMode, OwnerArea, Status
from mlaudit.stats import association, twosample

FL, MB, DQ = FailureMode.feature_leakage, OwnerArea.model_behavior, OwnerArea.data_quality

SINGLE = CheckSpec(
    "leakage.single_feature", FL, MB,
    "One model input alone nearly predicts the training label. Statistic by kind: oriented ROC AUC of the "
    "values, or of 'the value is missing' when higher (binary label; numeric, boolean, date or time input; warn "
    "0.85, fail 0.9), bias-corrected normalised mutual information I(X;Y)/H(Y) (categorical input or multiclass "
    "label; warn 0.5, fail 0.7), |Spearman| (regression, numeric; warn 0.85, fail 0.95) or eta^2 (regression, "
    "categorical; warn 0.7, fail 0.9). Strong but legitimate inputs stay below these.",
    statistic="predictive_power",
)
VANISHING = CheckSpec(
    "leakage.vanishing", FL, MB,
    "An input that is strong in training (oriented AUC >= 0.7, mutual information or eta^2 >= 0.2, "
    "|Spearman| >= 0.5) loses its power in production (needs outcomes): the drop, measured in the training "
    "direction, above its level and significant at drift.alpha (Hanley-McNeil for AUC, Fisher z for Spearman "
    "and eta, per-value homogeneity for mutual information).",
    statistic="power_drop", warn=0.1, fail=0.2,
)
IDENTIFIER = CheckSpec(
    "leakage.identifier", FL, MB,
    "An id-like column (columns.id, columns.entity, unique features, leakage.ids, undeclared near-unique "
    "text/integer columns) "
    "orders the training labels: oriented AUC (binary) or |Spearman| (regression) of its sort order, judged "
    "when significant at drift.alpha. Ids assigned in an order that tracks the outcome leak it.",
    statistic="id_order_power", warn=0.6, fail=0.7,
)
AVAILABLE_AT = CheckSpec(
    "leakage.available_at", FL, DQ,
    "Share of rows where a feature's available_at time (features.<f>.available_at) is after the prediction "
    "time (columns.event_time): the value was not known when the decision was made.",
    statistic="late_share", warn=0.0, fail=0.001,
)
AFTER_TRAINING = CheckSpec(
    "leakage.after_training", FL, MB,
    "Training rows dated (columns.event_time) after model.trained_at: the training snapshot holds data the "
    "model could not have been trained on.",
    statistic="late_share", warn=0.0, fail=0.001, per_feature=False,
)
LABELS_AFTER_TRAINING = CheckSpec(
    "leakage.labels_after_training", FL, MB,
    "Training labels that became known (columns.label_time) after model.trained_at: either the snapshot is "
    "not what the model saw, or training used outcomes from the future.",
    statistic="late_share", warn=0.0, fail=0.05, per_feature=False,
)
PERIOD_OVERLAP = CheckSpec(
    "leakage.period_overlap", FL, MB,
    "Production rows dated at or before the last training row: training and evaluation periods overlap, so "
    "production metrics may be measured on what the model has seen.",
    statistic="overlap_share", warn=0.0, fail=0.05, per_feature=False,
)
OVERLAP = CheckSpec(
    "leakage.overlap", FL, MB,
    "The same prediction ids, the same entities (judged only with leakage.entity_overlap: false) or "
    "identical rows (inputs and label) in training and production, as a share of production rows "
    "(64-bit hashes; a collision is about 1 in 10^19 per pair).",
    statistic="overlap_share", warn=0.0, fail=0.01, per_feature=False,
)
SPECS = (SINGLE, VANISHING, IDENTIFIER, AVAILABLE_AT, AFTER_TRAINING, LABELS_AFTER_TRAINING, PERIOD_OVERLAP,
         OVERLAP)

MIN_ROWS = 100
MIN_CATEGORY_ROWS = 30
#: Identical training and production rows are not judged when more than half the training rows repeat
#: another (inputs and label): coarse inputs make them expected.
MAX_REPEATED_ROWS = 0.5
ROWS = "identical rows (inputs and label)"
NEAR_UNIQUE = 0.95
#: (warn, fail) per statistic of leakage.single_feature.
POWER_LEVELS = {"auc": (0.85, 0.9), "nmi": (0.5, 0.7), "spearman": (0.85, 0.95), "eta2": (0.7, 0.9)}
#: Training power from which leakage.vanishing judges a drop.
STRONG = {"auc": 0.7, "nmi": 0.2, "spearman": 0.5, "eta2": 0.2}
NAMES = {"auc": "AUC", "nmi": "normalised mutual information", "spearman": "|Spearman|", "eta2": "eta^2"}


@dataclass(frozen=True)
class Power:
    """Predictive power of one column for the label on one snapshot."""

    kind: str
    value: float
    n: int
    auc: association.Auc | None = None
    signed: float | None = None
    """Spearman's rho or eta with its sign (eta is never negative), for the drop test."""
    table: dict[tuple[Any, Any], int] | None = None
    """Joint counts (value, label) behind mutual information, for the drop test."""
    missing_auc: float | None = None
    """Oriented AUC of 'the value is missing' alone, when that says more than the values."""


def _kind(ctx: Context, name: str, dtype: pl.DataType) -> str | None:
    """'numeric' or 'categorical' for a column, by its declared type when it is a feature."""
    f = ctx.contract.features.get(name)
    if f is not None and f.type in (FeatureType.category, FeatureType.string):
        return "categorical"
    if dtype == pl.Boolean or dtype.is_numeric() or dtype.is_temporal():
        return "numeric"  # times and dates by their instant: a date set after the outcome leaks like a number
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "categorical"
    return None


def _power_requests(ctx: Context, lab: target.Label, side: str, name: str, kind: str,
                    ordered: bool = False, ties: bool = False
                    ) -> tuple[str, dict[str, pl.Expr], dict[str, pl.Expr]] | None:
    """(statistic, requests, raw requests) for the power of `name` on `side`; `ordered` ranks the column itself
    (ids); `ties` adds the tie term of the AUC's p-value (a sort more per column). Raw requests (a numeric
    input against a binary label) fetch the values and the label for numpy to rank (rank_sums): polars'
    average rank costs about 120 ms a million rows, numpy's sorts and one binary search about 35."""
    schema = target.schema(ctx, side)
    dtype, ldtype = schema[name], schema[lab.name]
    f = ctx.contract.features.get(name)
    missing = missing_expr(name, dtype, f.sentinel if f else None)
    if ordered:
        x = pl.col(name).rank("average").cast(pl.Float64)
    elif kind == "numeric":
        x = (pl.col(name).to_physical() if dtype.is_temporal() else pl.col(name)).cast(pl.Float64)
        missing = missing | ~x.is_finite().fill_null(False)
    else:
        x = pl.col(name).cast(pl.String)
    if lab.task is Task.binary_classification:
        y = target.positive(lab.name, ldtype, lab.positive)
        if y is None:
            return None
        if kind == "numeric" or ordered:
            valid = y.is_not_null() & ~missing
            # missingness can leak on its own (a value recorded only after a positive outcome)
            out = {"m1": (y & missing).sum(), "m0": (~y & missing).sum()}
            if not ordered and not ties:
                return "auc", out, {"x": pl.when(~missing).then(x).fill_null(float("nan")).implode(),
                                    "y": y.cast(pl.Float64).fill_null(float("nan")).implode()}
            xv = pl.when(valid).then(x)
            out.update({"rs": xv.rank("average").filter(valid & y).sum(), "n1": (valid & y).sum(),
                        "n0": (valid & ~y).sum()})
            if ties:  # only the p-value needs them: sum of t^3 over runs of equal sorted values (minus n later)
                out["cubes"] = x.filter(valid).sort().rle().struct.field("len").cast(pl.Float64).pow(3).sum()
            return "auc", out, {}
        return "nmi", _joint_binary(x, missing, y), {}
    if lab.task is Task.multiclass_classification:
        ytext = pl.col(lab.name).cast(pl.String)
        if kind == "numeric" or ordered:
            valid = ~missing & ytext.is_not_null()
            decile = ((pl.when(valid).then(x).rank("average") - 1) / valid.sum() * 10).floor().cast(pl.String)
            return "nmi", _joint(decile, ~valid, ytext, ytext.is_not_null()), {}
        return "nmi", _joint(x, missing, ytext, ytext.is_not_null()), {}
    if not ldtype.is_numeric():
        return None
    yv = pl.col(lab.name).cast(pl.Float64)
    ok = yv.is_finite().fill_null(False)
    if kind == "numeric" or ordered:
        valid = ok & ~missing
        return "spearman", {"rho": pl.corr(x.filter(valid), yv.filter(valid), method="spearman"),
                            "n": valid.sum()}, {}
    key = pl.when(missing).then(pl.lit("\x00missing")).otherwise(x)
    key = pl.when(pl.len().over(key) < MIN_CATEGORY_ROWS).then(pl.lit("\x00other")).otherwise(key)  # as for NMI
    ym = pl.when(ok).then(yv)
    return "eta2", {"ssb": pl.when(ok).then((ym.mean().over(key) - ym.mean()) ** 2).sum(),
                    "sst": ((ym - ym.mean()) ** 2).sum(), "n": ok.sum()}, {}


def _pooled(x: pl.Expr, missing: pl.Expr, labelled: pl.Expr) -> pl.Expr:
    """The column's values as the categories the joint counts use: missing values are a category, and values
    on fewer than MIN_CATEGORY_ROWS labelled rows are pooled here (a million distinct texts would otherwise
    come back as a million counts)."""
    key = pl.when(missing).then(pl.lit("\x00missing")).otherwise(x)
    rows = labelled.cast(pl.Int64).sum().over(key)
    return pl.when(rows < MIN_CATEGORY_ROWS).then(pl.lit("\x00other")).otherwise(key).alias("x")


def _joint(x: pl.Expr, missing: pl.Expr, y: pl.Expr, labelled: pl.Expr) -> dict[str, pl.Expr]:
    """Joint counts of (category, label) over labelled rows (see _pooled)."""
    pairs = pl.struct(_pooled(x, missing, labelled), y.alias("y")).filter(labelled)
    return {"joint": pairs.value_counts(name="n").implode()}


#: The texts of a 0/1 label in the joint table: what polars' cast of the boolean to String gives.
BINARY_CLASSES = ("true", "false")


def _joint_binary(x: pl.Expr, missing: pl.Expr, y: pl.Expr) -> dict[str, pl.Expr]:
    """_joint for a 0/1 label (`y` boolean, null unknown): the categories of each class counted apart. Two
    counts of one text column cost less than one count of (text, class) pairs, which polars hashes as
    structs (25 against 66 ms a million rows); _joint_table reads them back as the same table."""
    key = _pooled(x, missing, y.is_not_null())
    positive, negative = BINARY_CLASSES
    return {f"joint:{positive}": key.filter(y).value_counts(name="n").implode(),
            f"joint:{negative}": key.filter(~y).value_counts(name="n").implode()}


def _joint_table(v: Mapping[str, Any], prefix: str) -> dict[tuple[Any, Any], int]:
    """{(category, label): rows} from _joint's or _joint_binary's counts."""
    table: dict[tuple[Any, Any], int] = {}
    if prefix + "joint" in v:
        for r in target.struct_counts(v[prefix + "joint"]):
            table[(r["x"], r["y"])] = table.get((r["x"], r["y"]), 0) + int(r["n"])
        return table
    for label in BINARY_CLASSES:
        for r in v[f"{prefix}joint:{label}"] or []:
            table[(r["x"], label)] = table.get((r["x"], label), 0) + int(r["n"])
    return table


def rank_sums(v: Mapping[str, Any]) -> dict[str, Any]:
    """For each side with raw values ('x', NaN where missing) and labels ('y': 1, 0, NaN unknown): the rows
    with both ('n1' positive, 'n0' negative) and the positives' sum of average ranks ('rs', as polars'
    rank("average") gives it; see association.positive_rank_sum)."""
    out: dict[str, Any] = {}
    for side in ("", "reference:"):
        if f"{side}x" not in v:
            continue
        x = np.asarray(v[f"{side}x"], dtype=np.float64)
        y = np.asarray(v[f"{side}y"], dtype=np.float64)
        known = ~np.isnan(x) & ~np.isnan(y)
        x, positive = x[known], y[known] == 1.0
        n1 = int(positive.sum())
        out.update({f"{side}rs": association.positive_rank_sum(x, positive), f"{side}n1": n1,
                    f"{side}n0": int(x.size - n1)})
    return out


def _ranked(v: Mapping[str, Any]) -> Mapping[str, Any]:
    """`v` with the rank sums of its part (plans whose requests had raw values), if any."""
    parts = v.get("parts") or []
    return {**v, **parts[0]} if parts else v


def _power(stat: str, v: Mapping[str, Any], prefix: str) -> Power | None:
    """The finished statistic, or None when it cannot be judged (too few rows, one class)."""
    if stat == "auc":
        return _auc_power(v, prefix)
    if stat == "nmi":
        table = _joint_table(v, prefix)
        n = sum(table.values())
        ys = sorted({y for _, y in table}, key=str)
        if n < MIN_ROWS or len(ys) < 2:
            return None
        return Power("nmi", _nmi(table), n, table=table)
    if stat == "spearman":
        n, rho = int(v[prefix + "n"] or 0), v[prefix + "rho"]
        if n < MIN_ROWS or rho is None or not math.isfinite(rho):
            return None
        return Power("spearman", abs(float(rho)), n, signed=float(rho))
    n, ssb, sst = int(v[prefix + "n"] or 0), v[prefix + "ssb"], v[prefix + "sst"]
    if n < MIN_ROWS or not sst:
        return None
    eta2 = float(ssb) / float(sst)
    return Power("eta2", eta2, n, signed=math.sqrt(max(eta2, 0.0)))


def _auc_power(v: Mapping[str, Any], prefix: str) -> Power | None:
    """AUC of the values, or of 'the value is missing' when that separates the classes better."""
    n1, n0 = int(v[prefix + "n1"] or 0), int(v[prefix + "n0"] or 0)
    t1, t0 = n1 + int(v.get(prefix + "m1") or 0), n0 + int(v.get(prefix + "m0") or 0)  # labelled rows per class
    missing_auc = None
    if t1 and t0 and t1 + t0 >= MIN_ROWS and prefix + "m1" in v:
        # the indicator as a score: AUC = 1/2 + (P(missing | positive) - P(missing | negative)) / 2
        share = 0.5 + (int(v[prefix + "m1"] or 0) / t1 - int(v[prefix + "m0"] or 0) / t0) / 2
        missing_auc = max(share, 1 - share)
    auc = None
    if min(n1, n0) >= 1 and n1 + n0 >= MIN_ROWS:
        ties = float(v[prefix + "cubes"] or 0.0) - (n1 + n0) if prefix + "cubes" in v else 0.0
        auc = association.auc_from_rank_sum(float(v[prefix + "rs"] or 0.0), n1, n0, ties)
    if auc is None and missing_auc is None:
        return None
    if auc is None or (missing_auc is not None and missing_auc > auc.oriented):
        return Power("auc", float(missing_auc or 0.0), t1 + t0, None, missing_auc=missing_auc)
    return Power("auc", auc.oriented, n1 + n0, auc)


def _nmi(table: Mapping[tuple[Any, Any], int]) -> float:
    """I(X;Y) / H(Y) with the Miller-Madow bias correction: mutual information estimated from counts is
    biased upward by about (kx - 1)(ky - 1) / 2N nats, which many categories turn into false power."""
    xs = {x: i for i, x in enumerate(sorted({x for x, _ in table}, key=str))}
    ys = {y: i for i, y in enumerate(sorted({y for _, y in table}, key=str))}
    counts = np.zeros((len(xs), len(ys)))
    for (x, y), k in table.items():
        counts[xs[x], ys[y]] = k
    mi = association.mutual_information(counts)
    used_x, used_y = int((counts.sum(axis=1) > 0).sum()), int((counts.sum(axis=0) > 0).sum())
    bias = (used_x - 1) * (used_y - 1) / (2 * mi.n)
    return max(mi.mi - bias, 0.0) / mi.h_y if mi.h_y > 0 else 0.0


def _plain(level: float) -> str:
    return f"{level:g}"


def _shown(p: Power) -> str:
    if p.missing_auc is not None and (p.auc is None):
        return f"AUC {p.value:.3f} of whether the value is missing"
    if p.auc is not None:
        return f"AUC {p.auc.auc:.3f}"
    return f"{NAMES[p.kind]} {p.value:.3f}"


def _candidates(ctx: Context, side: str) -> list[tuple[str, str]]:
    """(input, kind) pairs on `side` with a usable kind."""
    schema = target.schema(ctx, side)
    out = []
    for name in target.inputs(ctx, side):
        kind = _kind(ctx, name, schema[name])
        if kind is not None:
            out.append((name, kind))
    return out


def plan_single(ctx: Context) -> list[Planned]:
    lab = target.label(ctx)
    if lab is None or "reference" not in lab.sides:
        return [skipped(SINGLE, ctx, "needs columns.label in the training snapshot")]
    out = []
    for name, kind in _candidates(ctx, "reference"):
        got = _power_requests(ctx, lab, "reference", name, kind)
        if got is None:
            out.append(skipped(SINGLE, ctx, f"label '{lab.name}' is text: set model.positive_class", name))
            continue
        stat, requests, raw = got
        levels = ctx.levels(SINGLE, name, defaults=POWER_LEVELS[stat])
        if not levels.enabled:
            continue

        def finish(v: Mapping[str, Any], name: str = name, stat: str = stat, levels: Levels = levels) -> CheckResult:
            power = _power(stat, _ranked(v), "reference:")
            if power is None:
                return result(SINGLE, ctx, Status.skipped, f"'{name}': fewer than {MIN_ROWS} labelled training rows "
                              "with a value, or one class only", column=name, levels=levels)
            status = levels.grade(power.value)
            verdict = ("alone nearly predicts the training label: a leak (a value set after the outcome, or the "
                       "outcome in disguise)?" if status is not Status.passed else "does not alone predict the label")
            msg = f"'{name}': {_shown(power)} over {power.n:,} training rows; {verdict}; {limit_text(levels, _plain)}"
            return result(SINGLE, ctx, status, msg, column=name, value=power.value, levels=levels, total=power.n,
                          measure=stat, auc=power.auc.auc if power.auc else None)

        # weight: the values, the labels and a sorted copy of the values are held while reducing
        parts = [Part(requests={}, reference_requests=raw, reduce=rank_sums, weight=3)] if raw else []
        out.append(Planned(column=name, reference_requests=requests, finish=finish, parts=parts))
    return out or [skipped(SINGLE, ctx, "no declared model input in the training snapshot")]


def _drop_p_value(before: Power, after: Power) -> tuple[float, float]:
    """(production power in the training direction, two-sided p-value that it is below training's).

    AUC: Hanley-McNeil standard errors. Spearman and eta: Fisher's z with variance 1.06 / (n - 3) per side
    (Fieller, Hartley and Pearson; for eta an approximation). Mutual information: whether the label rate given
    each value differs between the snapshots (chi-square tests of homogeneity per value, summed).
    """
    if before.auc is not None and after.auc is not None:
        aligned = after.auc.auc if before.auc.auc >= 0.5 else 1 - after.auc.auc
        return aligned, association.auc_drop_p_value(before.auc, aligned, after.auc.n_pos, after.auc.n_neg)
    if before.signed is not None and after.signed is not None:
        r1 = abs(before.signed)
        r2 = after.signed if before.kind == "eta2" or before.signed >= 0 else -after.signed  # training direction
        now = r2 * r2 if before.kind == "eta2" else r2
        if min(before.n, after.n) <= 3:
            return now, 1.0
        clip = 1 - 1e-12
        z1, z2 = math.atanh(min(r1, clip)), math.atanh(max(min(r2, clip), -clip))
        se = math.sqrt(1.06 / (before.n - 3) + 1.06 / (after.n - 3))
        return now, twosample.normal_two_sided((z1 - z2) / se)
    if before.table is not None and after.table is not None:
        return after.value, _homogeneity(before.table, after.table)
    return after.value, 1.0


def _homogeneity(before: Mapping[tuple[Any, Any], int], after: Mapping[tuple[Any, Any], int]) -> float:
    """p-value that P(label | value) is the same in both snapshots, over values seen on both sides."""
    labels = sorted({y for _, y in before} | {y for _, y in after}, key=str)
    values = {x for x, _ in before} & {x for x, _ in after}
    stat, dof = 0.0, 0
    for x in values:
        ref = np.array([before.get((x, y), 0) for y in labels], dtype=np.float64)
        cur = np.array([after.get((x, y), 0) for y in labels], dtype=np.float64)
        if ref.sum() < MIN_CATEGORY_ROWS or cur.sum() < MIN_CATEGORY_ROWS:
            continue
        test = twosample.chi_square(ref, cur)
        if math.isfinite(test.statistic):
            stat += test.statistic
            dof += int(((ref + cur) > 0).sum()) - 1
    from scipy import special  # chdtrc(dof, x) is scipy.stats.chi2.sf(x, dof), without scipy.stats' import

    return float(special.chdtrc(dof, stat)) if dof > 0 else 1.0


def plan_vanishing(ctx: Context) -> list[Planned]:
    lab = target.label(ctx)
    levels_default = ctx.levels(VANISHING)
    if not levels_default.enabled:
        return []
    if lab is None or lab.sides != ("reference", "current"):
        reason = target.why_no_label(ctx, "both snapshots") if lab is None else \
            "needs the label in training and production (pass --outcomes)"
        return [skipped(VANISHING, ctx, reason)]
    out = []
    current = dict(_candidates(ctx, "current"))
    alpha = ctx.contract.drift.alpha
    for name, kind in _candidates(ctx, "reference"):
        levels = ctx.levels(VANISHING, name)
        if not levels.enabled:
            continue
        if name not in current:
            out.append(skipped(VANISHING, ctx, f"'{name}' is not in production (or not a usable type there)", name))
            continue
        if current[name] != kind:
            out.append(skipped(VANISHING, ctx, f"'{name}' is {kind} in training but {current[name]} in production",
                               name))
            continue
        ref_req = _power_requests(ctx, lab, "reference", name, kind)
        cur_req = _power_requests(ctx, lab, "current", name, kind)
        if ref_req is None or cur_req is None:
            out.append(skipped(VANISHING, ctx, f"label '{lab.name}': the positive class cannot be told on both "
                                               "sides (set model.positive_class)", name))
            continue
        stat = ref_req[0]

        def finish(v: Mapping[str, Any], name: str = name, stat: str = stat, levels: Levels = levels) -> CheckResult:
            v = _ranked(v)
            before, after = _power(stat, v, "reference:"), _power(stat, v, "")
            if before is None or after is None:
                return result(VANISHING, ctx, Status.skipped, f"'{name}': fewer than {MIN_ROWS} labelled rows with "
                              "a value on a side, or one class only", column=name, levels=levels)
            if before.value < STRONG[stat]:
                return result(VANISHING, ctx, Status.passed, f"'{name}': not a strong predictor in training "
                              f"({_shown(before)}); nothing to lose", column=name, value=0.0, levels=levels,
                              measure=stat, reference_power=before.value, current_power=after.value)
            now, p_value = _drop_p_value(before, after)
            drop = before.value - now
            graded = levels.grade(drop)
            status = graded if p_value < alpha else Status.passed
            verdict = ("a leak that production does not have?" if status is not Status.passed
                       else "holds in production" if graded is Status.passed else "no significant drop")
            msg = (f"'{name}': {NAMES[stat]} {before.value:.3f} in training, {now:.3f} in production "
                   f"(p={p_value:.3g}): {verdict}; drop {limit_text(levels, _plain)}")
            return result(VANISHING, ctx, status, msg, column=name, value=drop, levels=levels, measure=stat,
                          reference_power=before.value, current_power=now, p_value=p_value,
                          reference_rows=before.n, current_rows=after.n)

        parts = ([Part(requests=cur_req[2], reference_requests=ref_req[2], reduce=rank_sums, weight=6)]
                 if ref_req[2] and cur_req[2] else [])
        out.append(Planned(column=name, reference_requests=ref_req[1], requests=cur_req[1], finish=finish,
                           parts=parts))
    return out or [skipped(VANISHING, ctx, "no model input in both snapshots")]


def plan_identifier(ctx: Context) -> list[Planned]:
    lab = target.label(ctx)
    if lab is None or "reference" not in lab.sides:
        return [skipped(IDENTIFIER, ctx, "needs columns.label in the training snapshot")]
    if lab.task is Task.multiclass_classification:
        return [skipped(IDENTIFIER, ctx, "computed for binary and regression models")]
    schema = ctx.reference_schema
    declared = [c for c in target.id_columns(ctx) if c in schema]
    roles = {getattr(ctx.contract.columns, r) for r in target.NON_INPUT_ROLES} - {ctx.contract.columns.id,
                                                                               ctx.contract.columns.entity}
    # undeclared text or integer columns may be ids nobody declared; declared features are model inputs
    # (judged by leakage.single_feature) unless declared unique
    undeclared = [c for c, t in schema.items() if c not in declared and c not in roles
                  and c not in ctx.partition_columns and (t == pl.String or t.is_integer())
                  and c not in ctx.contract.features]
    alpha = ctx.contract.drift.alpha
    out = []
    for name in declared + undeclared:
        got = _power_requests(ctx, lab, "reference", name, "numeric", ordered=True, ties=True)
        if got is None:
            continue
        stat, requests, _ = got  # ordered: ranked by polars, with the tie term
        levels = ctx.levels(IDENTIFIER, name)
        if not levels.enabled:
            continue
        requests = {**requests, "distinct": pl.col(name).n_unique(), "rows": pl.len()}
        is_declared = name in declared

        def finish(v: Mapping[str, Any], name: str = name, stat: str = stat, levels: Levels = levels,
                   is_declared: bool = is_declared) -> CheckResult | list[CheckResult]:
            rows, distinct = int(v["reference:rows"]), int(v["reference:distinct"] or 0)
            if not is_declared and (rows == 0 or distinct / rows < NEAR_UNIQUE):
                return []  # not id-like: nothing to say
            power = _power(stat, v, "reference:")
            if power is None:
                return result(IDENTIFIER, ctx, Status.skipped, f"'{name}': fewer than {MIN_ROWS} labelled training "
                              "rows, or one class only", column=name, levels=levels)
            p_value = power.auc.p_value if power.auc is not None else None
            graded = levels.grade(power.value)
            status = graded if p_value is None or p_value < alpha else Status.passed
            why = "declared id" if is_declared else f"near-unique ({pct(distinct / rows)} distinct)"
            verdict = ("its sort order predicts the label: ids assigned in an order that tracks the outcome"
                       if status is not Status.passed else "its order says nothing about the label")
            sig = f", p={p_value:.3g}" if p_value is not None else ""
            msg = f"'{name}' ({why}): {_shown(power)} of its sort order{sig}; {verdict}; {limit_text(levels, _plain)}"
            return result(IDENTIFIER, ctx, status, msg, column=name, value=power.value, levels=levels,
                          total=power.n, p_value=p_value, measure=stat, declared=is_declared,
                          distinct_share=distinct / rows if rows else None)

        out.append(Planned(column=name, reference_requests=requests, finish=finish))
    return out or [skipped(IDENTIFIER, ctx, "no id-like column in the training snapshot")]


def plan_available_at(ctx: Context) -> list[Planned]:
    c = ctx.contract
    et = c.columns.event_time
    declared = {n: f.available_at for n, f in c.features.items() if f.available_at}
    if not declared:
        return [skipped(AVAILABLE_AT, ctx, "no feature declares available_at")]
    if not et:
        return [skipped(AVAILABLE_AT, ctx, "needs columns.event_time (the prediction time)")]
    out = []
    for name, col in declared.items():
        levels = ctx.levels(AVAILABLE_AT, name)
        if not levels.enabled:
            continue
        for side, prefix in target.SIDES.items():
            schema = target.schema(ctx, side)
            if side == "reference" and ctx.reference_is_sample:
                continue  # a sample of the training rows: counts would be the sample's
            if col not in schema or et not in schema or not (target.is_time(schema[col])
                                                             and target.is_time(schema[et])):
                continue
            known, decided = target.naive_utc(col, schema[col]), target.naive_utc(et, schema[et])
            if pl.Date in (schema[col], schema[et]):  # a day is all that is known: late only on a later day
                late = (known.dt.date() > decided.dt.date()).fill_null(False)
            else:
                late = (known > decided).fill_null(False)
            example = target.row_ids(ctx, side)
            requests = {"late": late.sum(), "timed": (known.is_not_null() & decided.is_not_null()).sum(),
                        "worst": (known - decided).dt.total_seconds().max(),
                        "examples": example.filter(late).head(5).implode()}
            where = target.SIDE_NAMES[side]

            def finish(v: Mapping[str, Any], name: str = name, col: str = col, prefix: str = prefix,
                       where: str = where, side: str = side, levels: Levels = levels) -> CheckResult:
                late_n, n = int(v[prefix + "late"]), int(v[prefix + "timed"])
                if n == 0:
                    return result(AVAILABLE_AT, ctx, Status.skipped, f"{where}: '{name}': no row has both "
                                  f"'{col}' and '{et}'", column=name, levels=levels, snapshot=side)
                value = late_n / n
                status = levels.grade(value)
                worst = v[prefix + "worst"]
                tail = f"; up to {worst / 3600:,.1f} h after the decision" if late_n and worst else ""
                msg = (f"{where}: '{name}' was known ('{col}') after the prediction time in {late_n:,} of {n:,} "
                       f"rows ({pct(value)}){tail}; {limit_text(levels)}")
                return result(AVAILABLE_AT, ctx, status, msg, column=name, value=value, levels=levels,
                              count=late_n, total=n, examples=v[prefix + "examples"] or (), snapshot=side)

            out.append(target.planned(side, name, requests, finish))
    return out or [skipped(AVAILABLE_AT, ctx, "the available_at and event time columns are not timestamps in "
                                              "either snapshot")]


def _trained_end(ctx: Context) -> Any:
    """The first moment after model.trained_at (a date): rows at or after it are after training."""
    import datetime as dt

    day = ctx.contract.model.trained_at
    return None if day is None else dt.datetime(day.year, day.month, day.day) + dt.timedelta(days=1)


def _after_training(ctx: Context, spec: CheckSpec, col: str | None, what: str) -> list[Planned]:
    levels = ctx.levels(spec)
    if not levels.enabled:
        return []
    end = _trained_end(ctx)
    if end is None:
        return [skipped(spec, ctx, "needs model.trained_at")]
    if not col or col not in ctx.reference_schema or not target.is_time(ctx.reference_schema[col]):
        return [skipped(spec, ctx, f"needs a timestamp column for {what} in the training snapshot")]
    t = target.naive_utc(col, ctx.reference_schema[col])
    late = (t >= pl.lit(end)).fill_null(False)
    requests = {"late": late.sum(), "timed": t.is_not_null().sum(), "last": t.max()}

    def finish(v: Mapping[str, Any]) -> CheckResult:
        late_n, n, last = int(v["reference:late"]), int(v["reference:timed"]), v["reference:last"]
        if n == 0:
            return result(spec, ctx, Status.skipped, f"'{col}' is empty in training", column=col, levels=levels)
        value = late_n / n
        status = levels.grade(value)
        msg = (f"{late_n:,} of {n:,} training rows ({pct(value)}) have {what} after model.trained_at "
               f"({ctx.contract.model.trained_at}); the latest is {last}; {limit_text(levels)}")
        return result(spec, ctx, status, msg, column=col, value=value, levels=levels, count=late_n, total=n,
                      latest=str(last))

    return [Planned(column=col, reference_requests=requests, finish=finish)]


def plan_after_training(ctx: Context) -> list[Planned]:
    return _after_training(ctx, AFTER_TRAINING, ctx.contract.columns.event_time, "an event time")


def plan_labels_after_training(ctx: Context) -> list[Planned]:
    return _after_training(ctx, LABELS_AFTER_TRAINING, ctx.contract.columns.label_time, "a label time")


def plan_period_overlap(ctx: Context) -> list[Planned]:
    levels = ctx.levels(PERIOD_OVERLAP)
    et = ctx.contract.columns.event_time
    if not levels.enabled:
        return []
    if ctx.same_data:
        return [skipped(PERIOD_OVERLAP, ctx, "reference and current are the same files: no periods to compare")]
    if not et or not all(et in s and target.is_time(s[et]) for s in (ctx.reference_schema, ctx.current_schema)):
        return [skipped(PERIOD_OVERLAP, ctx, "needs columns.event_time as a timestamp in both snapshots")]
    ref_t, cur_t = target.naive_utc(et, ctx.reference_schema[et]), target.naive_utc(et, ctx.current_schema[et])
    requests = {"times": cur_t.drop_nulls().sort().implode()}
    # the comparison needs the training maximum first: ask for the sorted production times (8 bytes a row)
    reference_requests = {"last": ref_t.max()}

    def finish(v: Mapping[str, Any]) -> CheckResult:
        last = v["reference:last"]
        times = v["times"]
        n = len(times) if times is not None else 0
        if last is None or n == 0:
            return result(PERIOD_OVERLAP, ctx, Status.skipped, "no event time on a side", column=et, levels=levels)
        arr = np.asarray(pl.Series(times).cast(pl.Int64).to_numpy())
        stamp = pl.Series([last]).cast(pl.Datetime("us")).cast(pl.Int64)[0]
        inside = int(np.searchsorted(arr, stamp, side="right"))
        value = inside / n
        status = levels.grade(value)
        msg = (f"{inside:,} of {n:,} production rows ({pct(value)}) are dated at or before the last training row "
               f"({last}): " + ("training and evaluation periods overlap" if inside else "the periods do not overlap")
               + f"; {limit_text(levels)}")
        return result(PERIOD_OVERLAP, ctx, status, msg, column=et, value=value, levels=levels, count=inside,
                      total=n, training_end=str(last))

    return [Planned(column=et, requests=requests, reference_requests=reference_requests, finish=finish)]


def _hashes(cols: list[str], unique: bool) -> pl.Expr:
    h = target.row_hash(cols)
    if len(cols) == 1:
        h = h.filter(pl.col(cols[0]).is_not_null())
    return (h.unique() if unique else h).sort().implode()


def plan_overlap(ctx: Context) -> list[Planned]:
    levels = ctx.levels(OVERLAP)
    if not levels.enabled:
        return []
    if ctx.same_data:
        return [skipped(OVERLAP, ctx, "reference and current are the same files: no rows to compare")]
    c = ctx.contract
    items: list[tuple[str, list[str], str | None, bool]] = []
    out: list[Planned] = []
    for role, col in (("prediction ids", c.columns.id), ("entities", c.columns.entity)):
        if not col or col not in ctx.reference_schema or col not in ctx.current_schema:
            continue
        if ctx.reference_schema[col] != ctx.current_schema[col]:
            out.append(skipped(OVERLAP, ctx, f"{role}: '{col}' is {ctx.reference_schema[col]} in training but "
                                             f"{ctx.current_schema[col]} in production; write both alike", col))
            continue
        judged = role == "prediction ids" or not c.leakage.entity_overlap
        items.append((role, [col], col, judged))
    lab = target.label(ctx)
    shared = [n for n in target.inputs(ctx, "reference") if n in ctx.current_schema
              and ctx.reference_schema[n] == ctx.current_schema[n]]
    if lab is not None and lab.sides == ("reference", "current") and shared \
            and ctx.reference_schema[lab.name] == ctx.current_schema[lab.name]:
        items.append((ROWS, [*shared, lab.name], None, True))
    if not items and not out:
        return [skipped(OVERLAP, ctx, "needs columns.id or columns.entity (same type in both snapshots), or the "
                                      "label in both (pass --outcomes) to compare rows")]
    for what, cols, column, judged in items:
        item_levels = levels if judged else Levels(None, None, levels.severity)

        def finish(v: Mapping[str, Any], what: str = what, column: str | None = column, judged: bool = judged,
                   item_levels: Levels = item_levels) -> CheckResult:
            ref = np.asarray(v["reference:h"] if v["reference:h"] is not None else [], dtype=np.uint64)
            cur = np.asarray(v["h"] if v["h"] is not None else [], dtype=np.uint64)
            ref_rows = int(v["reference:n"] or 0)
            if cur.size == 0:
                return result(OVERLAP, ctx, Status.skipped, f"{what}: no production values", column=column,
                              levels=item_levels)
            if what == ROWS and ref_rows and ref.size / ref_rows < 1 - MAX_REPEATED_ROWS:
                return result(OVERLAP, ctx, Status.skipped,
                              f"{what}: training rows repeat the same inputs and label ({ref.size:,} distinct of "
                              f"{ref_rows:,}); with inputs this coarse, identical rows are expected, not judged",
                              column=column, levels=item_levels, compared=what)
            at = np.searchsorted(ref, cur)  # ref is sorted and distinct
            found = ref[np.minimum(at, max(ref.size - 1, 0))] == cur if ref.size else np.zeros(cur.size, bool)
            shared_rows = int(found.sum())
            value = shared_rows / cur.size
            status = item_levels.grade(value)
            note = "" if judged else " (expected: the same entities come back; set leakage.entity_overlap: false " \
                                     "to judge it)"
            msg = (f"{what}: {shared_rows:,} of {cur.size:,} production rows ({pct(value)}) also appear in "
                   f"training{note}" + (f"; {limit_text(item_levels)}" if judged else ""))
            return result(OVERLAP, ctx, status, msg, column=column, value=value, levels=item_levels,
                          count=shared_rows, total=int(cur.size), compared=what, judged=judged)

        out.append(Planned(column=column, requests={"h": _hashes(cols, unique=False)},
                           reference_requests={"h": _hashes(cols, unique=True), "n": pl.len()}, finish=finish))
    return out


def _raw_training(spec: CheckSpec, plan: Callable[[Context], list[Planned]]) -> Callable[[Context], list[Planned]]:
    """The planner, or a skip when the reference is a profile: these checks count training rows, and a
    profile holds a sample of them."""
    def planner(ctx: Context) -> list[Planned]:
        if ctx.reference_is_sample:
            return [skipped(spec, ctx, target.PROFILE)] if ctx.levels(spec).enabled else []
        return plan(ctx)
    return planner


PLANNERS = {spec.id: _raw_training(spec, plan) for spec, plan in (
    (SINGLE, plan_single), (VANISHING, plan_vanishing), (IDENTIFIER, plan_identifier),
    (AFTER_TRAINING, plan_after_training), (LABELS_AFTER_TRAINING, plan_labels_after_training),
    (PERIOD_OVERLAP, plan_period_overlap), (OVERLAP, plan_overlap))}
PLANNERS[AVAILABLE_AT.id] = plan_available_at
