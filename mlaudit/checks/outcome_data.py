"""The rows the performance checks judge: outcome, prediction, score, cost and slice columns of one
snapshot, fetched in the batched pass and turned into aligned numpy arrays.

A row counts for realised performance when its outcome is known and its prediction valid (a finite
score, within [0, 1] for classifiers); rows with invalid predictions are counted, not guessed at
(validation.prediction_range reports them). Binary outcomes are booleans (the positive class is
true); multiclass outcomes and predictions are class codes 0..k-1 in model.classes order (-1:
unknown); regression outcomes are numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from mlaudit.checks import target
from mlaudit.checks.base import Context
from mlaudit.checks.chunks import chunking
from mlaudit.checks.drift import _kind
from mlaudit.checks.rows import column as feature_column
from mlaudit.contract.compat import rule_problem
from mlaudit.contract.model import Task

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
Ints = NDArray[np.int64]


def floats(values: Any) -> Floats:
    """Collected values as float64, missing as NaN."""
    if values is None:
        return np.empty(0)
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    series = pl.Series(values) if not isinstance(values, pl.Series) else values
    return np.asarray(series.cast(pl.Float64).fill_null(float("nan")).to_numpy(), dtype=np.float64)


def texts(values: Any) -> list[str | None]:
    if values is None:
        return []
    series = values if isinstance(values, pl.Series) else pl.Series(values)
    return list(series.cast(pl.String).to_list())


@dataclass
class Side:
    """One snapshot's rows, aligned: everything a performance check needs."""

    name: str
    """'reference' or 'current'."""
    rows: int
    labelled: Bools
    """Outcome known and prediction valid."""
    valid: Bools
    """Prediction valid (outcome known or not): the rows confidence and estimation use."""
    y: Any
    """Binary: bool; multiclass: class codes; regression: float. Meaningful where `labelled`."""
    pred: Any
    score: Floats | None = None
    proba: Floats | None = None
    cost: Floats | None = None
    """Cost of each row's decision (0 when correct; NaN when its amount is missing)."""
    segments: dict[str, pl.Series] = field(default_factory=dict)
    """Slice columns as text (missing: '(missing)')."""
    predicates: dict[str, Bools] = field(default_factory=dict)
    signals: dict[str, Floats] = field(default_factory=dict)
    features: dict[str, Any] = field(default_factory=dict)
    chunk: list[str] | None = None
    slices: list[tuple[str, Any]] | None = None
    """Declared slices (name, row mask), computed once (see slices.py)."""
    invalid: int = 0
    """Rows whose prediction is invalid (NaN or out-of-range score or probability, unknown class)."""
    unknown_labels: int = 0
    """Rows whose outcome is not one of model.classes (multiclass)."""
    unclear_labels: list[str] = field(default_factory=list)
    """Numeric binary outcomes other than 0 and 1 (positive class unclear without model.positive_class)."""

    @property
    def n(self) -> int:
        return int(self.labelled.sum())


@dataclass(frozen=True)
class Setup:
    """What the contract says about predictions and outcomes, resolved against the schemas."""

    task: Task
    label: str | None
    """The outcome column, None when the current snapshot lacks it (see `no_outcomes`)."""
    score: str | None
    probabilities: tuple[str, ...]
    predicted: str | None
    classes: tuple[str, ...]
    """Normalised class names (multiclass; binary: ('negative', 'positive'))."""
    headline: str
    cost_kind: str | None
    """'binary', 'matrix', 'column' or None (no costs known)."""
    no_outcomes: str = ""
    """Why production has no outcomes at all (no label declared or in the snapshot); checks that need none still
    run."""


HEADLINE = {Task.binary_classification: "roc_auc", Task.multiclass_classification: "macro_f1",
            Task.regression: "rmse"}


def setup(ctx: Context) -> tuple[Setup | None, str]:
    """The prediction and outcome columns, or None with why the performance checks cannot run."""
    c = ctx.contract
    task, cols = c.model.task, c.columns
    score = cols.score if cols.score else None
    probabilities = tuple(cols.probabilities or ())
    predicted = cols.predicted_class
    cur = ctx.current_schema
    no_outcomes = ""
    if not cols.label:
        no_outcomes = "needs columns.label in the contract (the outcome)"
    elif cols.label not in cur:
        no_outcomes = (f"needs the outcome column '{cols.label}' in the current snapshot (pass --outcomes with the "
                       "delayed outcomes)")
    label = cols.label or None  # fetched from every snapshot that has it (the reference, at least, may)
    if task is Task.multiclass_classification:
        if not (probabilities and all(p in cur for p in probabilities)) and not (predicted and predicted in cur):
            return None, "needs columns.probabilities or columns.predicted_class in the current snapshot"
        if not c.model.classes:
            return None, "needs model.classes to tell the classes apart"
        classes = tuple(target.norm(x) for x in c.model.classes)
    else:
        if not (score and score in cur) and not (task is Task.binary_classification and predicted and predicted in cur):
            return None, "needs columns.score (or columns.predicted_class) in the current snapshot"
        classes = ("negative", "positive")
    if task is Task.binary_classification:
        for col, sch in ((label, cur), (predicted, cur), (label, ctx.reference_schema)):
            if col and col in sch and target.positive(col, sch[col], c.model.positive_class) is None:
                fix = ("set model.positive_class" if c.model.positive_class is None else
                       f"model.positive_class {c.model.positive_class!r} cannot be a value of this column")
                return None, f"cannot tell the positive class of '{col}' ({sch[col]}): {fix}"
    for sch in (cur, ctx.reference_schema):
        if task is Task.regression and label and label in sch and not sch[label].is_numeric():
            return None, f"outcome '{label}' is {sch[label]}; a regression outcome must be a number"
    costs = c.outcomes.costs
    cost_kind = None
    if costs is not None and (costs.false_negative is not None or costs.false_positive is not None):
        cost_kind = "binary"
    elif costs is not None and costs.matrix:
        cost_kind = "matrix"
    elif cols.cost:
        cost_kind = "column"
    headline = c.outcomes.headline or HEADLINE[task]
    return Setup(task=task, label=label, score=score if score and score in cur else None,
                 probabilities=probabilities if probabilities and all(p in cur for p in probabilities) else (),
                 predicted=predicted if predicted and predicted in cur else None, classes=classes,
                 headline=headline, cost_kind=cost_kind, no_outcomes=no_outcomes), ""


def _cost_column(ctx: Context, value: Any) -> str | None:
    """The column a cost names ('amount': columns.amount), or None for a number."""
    if isinstance(value, str):
        return ctx.contract.columns.amount if value == "amount" else value
    return None


def slice_columns(ctx: Context) -> list[str]:
    s = ctx.contract.outcomes.slices
    return list(s.columns) if s.columns is not None else list(ctx.contract.columns.segments)


def search_features(ctx: Context) -> list[tuple[str, str]]:
    """(feature, 'numeric' or 'categorical') of model inputs in both snapshots, for the weak-slice search."""
    out = []
    for name in target.inputs(ctx, "current"):
        if name in ctx.reference_schema:
            kind = _kind(ctx.current_schema[name], ctx.contract.features[name].type)
            if kind is not None and kind == _kind(ctx.reference_schema[name], ctx.contract.features[name].type):
                out.append((name, kind))
    return out


def requests(ctx: Context, s: Setup, side: str, search: bool = False) -> dict[str, pl.Expr]:
    """Expressions fetching one snapshot's columns, each as one list: outcomes, predictions and costs, with the
    slice, signal and chunk columns, or (`search`) with the model inputs the weak-slice search bins."""
    sch = target.schema(ctx, side)
    c = ctx.contract
    out: dict[str, pl.Expr] = {"rows": pl.len()}
    if s.label and s.label in sch:
        dtype = sch[s.label]
        if s.task is Task.binary_classification:
            positive = target.positive(s.label, dtype, c.model.positive_class)
            if positive is not None:
                out["y"] = positive.cast(pl.Float64).implode()
            if dtype.is_numeric() and c.model.positive_class is None:  # 1 is positive only among 0/1 labels
                other = ~target.missing_label(s.label, dtype) & ~pl.col(s.label).cast(pl.Float64).is_in([0.0, 1.0])
                out["y_other"] = pl.col(s.label).filter(other).head(3).cast(pl.String).implode()
        elif s.task is Task.regression:
            if dtype.is_numeric():
                out["y"] = pl.col(s.label).cast(pl.Float64).implode()
        else:
            out["y"] = pl.when(target.missing_label(s.label, dtype)).then(None).otherwise(
                pl.col(s.label).cast(pl.String)).implode()
    if s.score and s.score in sch and sch[s.score].is_numeric():
        out["score"] = pl.col(s.score).cast(pl.Float64).implode()
    if s.probabilities and all(p in sch and sch[p].is_numeric() for p in s.probabilities):
        for i, p in enumerate(s.probabilities):
            out[f"proba{i}"] = pl.col(p).cast(pl.Float64).implode()
    if s.predicted and s.predicted in sch:
        dtype = sch[s.predicted]
        if s.task is Task.binary_classification:
            said = target.positive(s.predicted, dtype, c.model.positive_class)
            if said is not None:
                out["pred"] = said.cast(pl.Float64).implode()
        else:
            out["pred"] = pl.col(s.predicted).cast(pl.String).implode()
    costs = c.outcomes.costs
    cost_values: list[tuple[str, Any]] = []
    if s.cost_kind == "binary" and costs is not None:
        cost_values = [("cost_fn", costs.false_negative), ("cost_fp", costs.false_positive)]
    elif s.cost_kind == "matrix" and costs is not None:
        cost_values = [(f"cost_cell{i}", cell.cost) for i, cell in enumerate(costs.matrix)]
    elif s.cost_kind == "column" and c.columns.cost:
        cost_values = [("cost_row", c.columns.cost)]
    for key, value in cost_values:
        col = _cost_column(ctx, value)
        if col is not None and col in sch and sch[col].is_numeric():
            out[key] = pl.col(col).cast(pl.Float64).implode()
    if search:
        for name, kind in search_features(ctx):
            out[f"feature:{name}"] = feature_column(name, sch[name], c.features[name].sentinel, kind == "numeric")
        return out
    for col in slice_columns(ctx):
        if col in sch and target.usable(sch[col]):
            out[f"seg:{col}"] = pl.col(col).cast(pl.String).implode()
    for i, predicate in enumerate(c.outcomes.slices.predicates):
        if rule_problem(predicate.expr, sch) is None:
            out[f"slice{i}"] = pl.sql_expr(predicate.expr).fill_null(False).implode()
    signals = list(c.outcomes.signals)
    for role in (c.columns.override, c.columns.cost):
        if role and role not in signals:
            signals.append(role)
    for col in signals:
        if col in sch and (sch[col].is_numeric() or sch[col] == pl.Boolean):
            out[f"signal:{col}"] = pl.col(col).cast(pl.Float64).implode()
    if side == "current":
        chunks, _ = chunking(ctx)
        if chunks is not None:
            out["chunk"] = chunks.key.implode()
    return out


def _class_codes(values: Any, classes: tuple[str, ...]) -> Ints:
    position = {name: i for i, name in enumerate(classes)}
    return np.array([-1 if v is None else position.get(target.norm(v), -2) for v in texts(values)], dtype=np.int64)


def side(ctx: Context, s: Setup, name: str, v: Mapping[str, Any]) -> Side | None:
    """Arrays of one snapshot from its collected values (`v` without the side prefix); None when the snapshot
    has no prediction. Without an outcome column every row's outcome is unknown."""
    c = ctx.contract
    n_rows = int(v.get("rows") or 0)
    raw_y = v["y"] if "y" in v else [None] * n_rows
    score = floats(v["score"]) if "score" in v else None
    proba = np.column_stack([floats(v[f"proba{i}"]) for i in range(len(s.probabilities))]) \
        if s.probabilities and all(f"proba{i}" in v for i in range(len(s.probabilities))) else None
    if s.task is Task.binary_classification:
        yf = floats(raw_y)
        rows = yf.size
        known = ~np.isnan(yf)
        if "pred" in v:
            pf = floats(v["pred"])
            valid = ~np.isnan(pf)
            pred: Any = pf == 1.0
        elif score is not None:
            valid = np.isfinite(score) & (score >= 0) & (score <= 1)
            pred = score >= c.outcomes.threshold
        else:
            return None
        if score is not None:
            valid &= np.isfinite(score) & (score >= 0) & (score <= 1)
        y: Any = yf == 1.0
    elif s.task is Task.regression:
        if score is None:
            return None
        y = floats(raw_y)
        rows = y.size
        known = np.isfinite(y)
        valid = np.isfinite(score)
        pred = score
    else:
        y = _class_codes(raw_y, s.classes)
        rows = y.size
        known = y >= 0  # -1 missing; -2 a value outside model.classes (labels.validity reports it)
        if "pred" in v:
            pred = _class_codes(v["pred"], s.classes)
            valid = pred >= 0
        elif proba is not None:
            valid = np.all(np.isfinite(proba), axis=1)
            pred = np.where(valid, np.argmax(np.nan_to_num(proba, nan=-1.0), axis=1), -1)
        else:
            return None
        if proba is not None:
            valid &= np.all(np.isfinite(proba) & (proba >= 0) & (proba <= 1), axis=1)
    out = Side(name=name, rows=rows, labelled=known & valid, valid=valid, y=y, pred=pred, score=score, proba=proba,
               invalid=int((~valid).sum()))
    if s.task is Task.multiclass_classification:
        out.unknown_labels = int(np.sum(y == -2))
    out.unclear_labels = [str(x) for x in (v.get("y_other") or [])]
    out.cost = _costs(ctx, s, out, v)
    out.segments = {k.removeprefix("seg:"): (x if isinstance(x, pl.Series) else pl.Series(x if x is not None else [],
                                                                                    dtype=pl.String))
                    .cast(pl.String).fill_null("(missing)") for k, x in v.items() if k.startswith("seg:")}
    out.predicates = {c.outcomes.slices.predicates[int(k.removeprefix("slice"))].name: np.asarray(floats(x) == 1.0)
                      for k, x in v.items() if k.startswith("slice")}
    out.signals = {k.removeprefix("signal:"): floats(x) for k, x in v.items() if k.startswith("signal:")}
    out.features = {k.removeprefix("feature:"): x for k, x in v.items() if k.startswith("feature:")}
    if "chunk" in v:
        chunks, _ = chunking(ctx)
        keys = list(v["chunk"]) if v["chunk"] is not None else []
        out.chunk = [chunks.label(k) if chunks is not None and k is not None else "none" for k in keys]
    return out


def _costs(ctx: Context, s: Setup, d: Side, v: Mapping[str, Any]) -> Floats | None:
    """Each row's cost: a binary error's cost, the matrix cell of (outcome, prediction), or columns.cost."""
    c = ctx.contract
    costs = c.outcomes.costs

    def amount(key: str, value: Any) -> Floats | float | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return floats(v[key]) if key in v else None

    def unusable(*values: Floats | float) -> Any:
        """Rows whose cost amount is missing or negative in any column the costs read: their cost is unknown,
        whatever their outcome (leaving out only the erring ones would bias cost per decision down)."""
        bad = np.zeros(d.rows, dtype=bool)
        for x in values:
            if isinstance(x, np.ndarray):
                bad |= ~np.isfinite(x) | (x < 0)
        return bad

    if s.cost_kind == "binary" and costs is not None:
        fn = amount("cost_fn", costs.false_negative) if costs.false_negative is not None else 0.0
        fp = amount("cost_fp", costs.false_positive) if costs.false_positive is not None else 0.0
        if fn is None or fp is None:
            return None
        y, pred = d.y, d.pred
        out = np.where(y & ~pred, fn, np.where(~y & pred, fp, 0.0)).astype(np.float64)
        out[unusable(fn, fp)] = np.nan
        return out
    if s.cost_kind == "matrix" and costs is not None:
        out = np.zeros(d.rows)
        amounts: list[Floats | float] = []
        for i, cell in enumerate(costs.matrix):
            value = amount(f"cost_cell{i}", cell.cost)
            if value is None:
                return None
            amounts.append(value)
            hit = (d.y == class_code(s, cell.actual, c.model.positive_class)) & \
                (d.pred == class_code(s, cell.predicted, c.model.positive_class))
            out = np.where(hit, value, out)
        out[unusable(*amounts)] = np.nan
        return out
    if s.cost_kind == "column":
        if "cost_row" not in v:
            return None
        out = np.array(floats(v["cost_row"]), dtype=np.float64)
        out[unusable(out)] = np.nan
        return out
    return None


def class_code(s: Setup, value: Any, positive_class: Any) -> Any:
    """A class as the performance arrays hold it: binary True (positive) or False; multiclass its index."""
    if s.task is Task.binary_classification:
        wanted = target.norm(True if positive_class is None else positive_class)
        return target.norm(value) in (wanted, "positive")
    return s.classes.index(target.norm(value))



def calibration_rows(d: Side | None, rows: Any = None) -> tuple[Any, Any]:
    """(probabilities, 0/1 outcomes) of the labelled rows (among `rows`): P(positive) for binary models, the top
    class's probability and whether it was right for multiclass; (None, None) without probabilities."""
    if d is None:
        return None, None
    keep = d.labelled if rows is None else d.labelled & rows
    if d.score is not None and d.proba is None and d.y.dtype == np.bool_:
        return d.score[keep], d.y[keep].astype(np.float64)
    if d.proba is not None:
        top = np.argmax(d.proba[keep], axis=1)
        return np.clip(d.proba[keep].max(axis=1), 0.0, 1.0), (top == d.y[keep]).astype(np.float64)
    return None, None
