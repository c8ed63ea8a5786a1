"""The typed contract (version 1).

Every model forbids unknown keys so that a typo is an error, never a silently
ignored setting. Field descriptions feed the JSON Schema (`mlaudit contract
schema`) and `docs/contract.md`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

#: A finite number: NaN and infinities as limits would silently disable or distort a check.
Number = Annotated[float, Field(allow_inf_nan=False)]
#: What a sentinel may be: one plain value.
Scalar = str | int | float | bool | dt.date | dt.datetime


class Strict(BaseModel):
    """Base for every contract section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Task(str, Enum):
    binary_classification = "binary_classification"
    multiclass_classification = "multiclass_classification"
    regression = "regression"


class FeatureType(str, Enum):
    float = "float"
    int = "int"
    bool = "bool"
    category = "category"
    string = "string"
    datetime = "datetime"
    date = "date"


class Importance(str, Enum):
    high = "high"
    medium = "medium"
    low = "low"


class Severity(str, Enum):
    """How bad a check's fail-level finding is. `warning` caps the status at warn."""

    warning = "warning"
    error = "error"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """Parse '90m', '26h', '2d', '1w' into a timedelta (raises ValueError)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a duration; write a number and a unit: 90m, 26h, 2d, 1w")
    return dt.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _is_duration(text: str) -> str:
    parse_duration(text)
    return text


#: A duration written as a number and a unit (90m, 26h, 2d, 1w), checked when the contract loads.
Duration = Annotated[str, AfterValidator(_is_duration)]


class Model(Strict):
    name: str = Field(description="Model name, as the team calls it.")
    version: str | None = Field(default=None, description="Model version deployed.")
    task: Task = Field(description="binary_classification, multiclass_classification or regression.")
    trained_at: dt.date | None = Field(default=None, description="Date the model was trained.")
    max_age_days: int | None = Field(
        default=None, ge=1, description="Age after which the model must be retrained or re-approved."
    )
    classes: list[str | int | bool] | None = Field(
        default=None, description="Class labels, in the order of columns.probabilities (classification)."
    )
    positive_class: str | int | bool | None = Field(
        default=None, description="Label value of the positive class (binary); default 1/true."
    )


class Owner(Strict):
    team: str = Field(description="Team that must act on findings in this area.")
    contact: str | None = Field(default=None, description="E-mail, channel or pager alias.")


class Owners(Strict):
    data_quality: Owner | None = Field(default=None, description="Owns input data and validation findings.")
    model_behavior: Owner | None = Field(default=None, description="Owns model outputs, drift and performance.")
    decision_impact: Owner | None = Field(default=None, description="Owns what decisions cost and who reviews them.")
    governance: Owner | None = Field(default=None, description="Owns the lifecycle, kill switch and audit trail.")


class Columns(Strict):
    """Roles of the non-feature columns, so checks know what is what."""

    id: str | None = Field(default=None, description="Unique id of a prediction; joins delayed outcomes.")
    entity: str | None = Field(default=None, description="Id of the entity (customer, account) when distinct from id.")
    event_time: str | None = Field(default=None, description="When the prediction was made.")
    score: str | None = Field(
        default=None, description="Predicted probability of the positive class, or regression output."
    )
    probabilities: list[str] | None = Field(
        default=None, description="Per-class probability columns (multiclass), in model.classes order."
    )
    predicted_class: str | None = Field(default=None, description="Class the model predicted.")
    decision: str | None = Field(default=None, description="Decision actually taken (may differ from the prediction).")
    label: str | None = Field(default=None, description="Ground truth, often delayed.")
    label_time: str | None = Field(default=None, description="When the ground truth became known.")
    review: str | None = Field(default=None, description="Reviewer of the decision; null when the model decided alone.")
    override: str | None = Field(default=None, description="True when a reviewer reversed the model.")
    amount: str | None = Field(default=None, description="Money or impact at stake per decision.")
    cost: str | None = Field(default=None, description="Realised cost per row, when known.")
    segments: list[str] = Field(default_factory=list, description="Columns that define slices of the population.")

    def named(self) -> dict[str, str]:
        """Role path -> column name, for every column role that is set."""
        out: dict[str, str] = {}
        for role in type(self).model_fields:
            value = getattr(self, role)
            if isinstance(value, str):
                out[role] = value
            elif isinstance(value, list):
                for i, col in enumerate(value):
                    out[f"{role}[{i}]"] = col
        return out


class Threshold(Strict):
    """Warn and fail levels for a check's statistic (the statistic above a level trips it)."""

    warn: Number | None = Field(default=None, description="Statistic above this is a warning.")
    fail: Number | None = Field(default=None, description="Statistic above this is a failure.")
    severity: Severity | None = Field(default=None, description="error (default) or warning (never fails).")
    enabled: bool = Field(default=True, description="false turns the check off for this scope.")
    method: str | None = Field(default=None, description="Statistic to use, for checks that offer several.")

    @model_validator(mode="after")
    def _ordered(self) -> Threshold:
        if self.warn is not None and self.fail is not None and self.warn > self.fail:
            raise ValueError(f"warn ({self.warn}) must not be above fail ({self.fail})")
        return self


class Feature(Strict):
    type: FeatureType = Field(description="float, int, bool, category, string, datetime or date.")
    description: str | None = Field(default=None, description="What the feature means.")
    nullable: bool = Field(default=True, description="false means any null is a violation.")
    max_null_share: Number | None = Field(
        default=None, ge=0, le=1, description="Largest acceptable null share (fail level)."
    )
    range: tuple[Number | None, Number | None] | None = Field(
        default=None,
        description="[min, max], inclusive; null for an open end. Infinities fall outside; NaN and the sentinel "
        "count as missing.",
    )
    allowed: list[str | int | bool] | None = Field(default=None, description="The only values allowed (categorical).")
    regex: str | None = Field(default=None, description="Pattern every non-null value must match in full.")
    unique: bool = Field(default=False, description="Values must be unique.")
    unit: str | None = Field(default=None, description="Unit of measure (EUR, seconds, km).")
    sentinel: Scalar | None = Field(default=None, description="Value serving sends for 'unknown' (e.g. -1).")
    importance: Importance | Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        default=None, description="high, medium, low, or a number >= 0 (weights dataset-level checks)."
    )
    available_at: str | None = Field(default=None, description="Column with the time this feature becomes known.")
    window: Duration | None = Field(default=None, description="Aggregation window of the feature (e.g. 30d).")
    transform: Literal["log", "log1p", "log10", "standardized", "minmax", "onehot"] | None = Field(
        default=None, description="Transformation the feature carries in training; serving must carry it too."
    )
    tolerance: Tolerance | None = Field(
        default=None, description="Row-level skew tolerance for this feature (default: skew.tolerance)."
    )
    checks: dict[str, Threshold] = Field(
        default_factory=dict, description="Per-check overrides for this feature, keyed by check id."
    )

    @field_validator("range")
    @classmethod
    def _range_ordered(cls, value: tuple[Number | None, Number | None] | None) -> Any:
        if value is not None and value[0] is not None and value[1] is not None and value[0] > value[1]:
            raise ValueError(f"range minimum {value[0]} is above maximum {value[1]}")
        return value


class Rule(Strict):
    name: str = Field(description="Short name shown in findings.")
    expr: str = Field(description="SQL boolean expression every row must satisfy (evaluated by polars).")
    max_violation_share: Number = Field(default=0.0, ge=0, le=1, description="Share of violating rows tolerated.")
    warn_violation_share: Number | None = Field(
        default=None, ge=0, le=1, description="Share above which a warning is raised (default: any violation)."
    )
    severity: Severity = Field(default=Severity.error, description="error or warning.")
    owner: Literal["data_quality", "model_behavior", "decision_impact", "governance"] = Field(
        default="data_quality", description="Owner area of this rule's findings."
    )


class RowCount(Strict):
    min: int | None = Field(default=None, ge=0, description="Fewest rows a current snapshot may have.")
    max: int | None = Field(default=None, ge=0, description="Most rows a current snapshot may have.")

    @model_validator(mode="after")
    def _ordered(self) -> RowCount:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Freshness(Strict):
    """Age of the newest event_time at audit time."""

    warn: Duration | None = Field(default=None, description="Age above this is a warning (e.g. 26h).")
    fail: Duration | None = Field(default=None, description="Age above this is a failure (e.g. 2d).")


class Dataset(Strict):
    row_count: RowCount | None = Field(default=None, description="Bounds on the current snapshot's row count.")
    freshness: Freshness | None = Field(default=None, description="How old the newest event may be.")


class ConfidenceGate(Strict):
    below: Number = Field(gt=0, le=1, description="Confidence under which a decision is weak.")
    warn: Number | None = Field(default=None, ge=0, le=1, description="Share of weak automatic decisions that warns.")
    fail: Number = Field(default=0.0, ge=0, le=1, description="Share of weak automatic decisions that fails.")


class Outputs(Strict):
    score_range: tuple[Number, Number] | None = Field(
        default=None, description="[min, max] of the score column (default [0, 1] for classifiers)."
    )
    probabilities_sum_tolerance: Number = Field(
        default=1e-6, ge=0, description="Allowed |sum of class probabilities - 1|."
    )
    max_violation_share: Number = Field(
        default=0.0, ge=0, le=1, description="Share of rows with invalid outputs tolerated (fail level)."
    )
    confidence_gate: ConfidenceGate | None = Field(
        default=None, description="Decisions taken without review below a confidence level."
    )

    @field_validator("score_range")
    @classmethod
    def _ordered(cls, value: tuple[Number, Number] | None) -> Any:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"score_range minimum {value[0]} is above maximum {value[1]}")
        return value


class Tolerance(Strict):
    """How far apart two values of the same entity may be and still match: |a - b| <= abs + rel * |b|."""

    abs: Number = Field(default=0.0, ge=0, description="Absolute tolerance.")
    rel: Number = Field(default=1e-9, ge=0, description="Relative tolerance (share of the offline value).")


class SkewSettings(Strict):
    """Row-level skew: how to pair offline (training-time) and serving rows of the same entities."""

    key: list[str] = Field(default_factory=list, description="Entity key columns (default: columns.entity, "
                           "else columns.id).")
    tolerance: Tolerance = Field(default_factory=Tolerance, description="Default tolerance for numeric features.")
    time: str | None = Field(default=None, description="Time column on both sides: pair each serving row with the "
                             "offline row of the same key nearest in time.")
    time_tolerance: Duration | None = Field(default=None, description="Largest time gap for such a pair (e.g. 1h).")


class DriftSettings(Strict):
    """How drift is judged (see docs/drift.md). Levels per check live under `thresholds`."""

    correction: Literal["benjamini_hochberg", "bonferroni", "none"] = Field(
        default="benjamini_hochberg", description="Multiple-testing correction across features."
    )
    alpha: Number = Field(default=0.01, gt=0, lt=1, description="Significance level after correction.")
    bins: int = Field(default=10, ge=2, le=100, description="Reference quantile bins for binned statistics.")
    min_rows: int = Field(default=100, ge=2, description="Fewest non-missing values per side to judge drift.")
    chunk: str | None = Field(default=None, description="Default --chunk: 1h, 1d, 1w, 1mo or a row count.")

    @field_validator("chunk")
    @classmethod
    def _chunk(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(1h|1d|1w|1mo|[1-9][0-9]*)$", str(value).strip().lower()):
            raise ValueError(f"'{value}' is not a chunk; write 1h, 1d, 1w, 1mo or a row count like 10000")
        return value


class LabelSettings(Strict):
    """What the label checks need beyond columns.label (see docs/labels-and-leakage.md)."""

    allowed: list[str | int | bool] | None = Field(
        default=None, description="Valid label values (default: 0/1 or true/false for binary models, "
        "model.classes for multiclass).")
    sources: list[str] = Field(default_factory=list, description="Two or more columns holding the label from "
                               "different sources (annotators, a rule and a human): their agreement is checked.")
    conflict_key: list[str] | None = Field(default=None, description="Columns naming the same case; rows sharing "
                                           "them must share a label (default: columns.entity and "
                                           "columns.event_time, when both are set).")
    delay: Duration | None = Field(default=None, description="Time within which outcomes arrive (e.g. 10d): "
                                   "older production rows without one are missing outcomes.")


class LeakageSettings(Strict):
    """What the leakage checks need beyond the features (see docs/labels-and-leakage.md)."""

    ids: list[str] = Field(default_factory=list, description="More id-like columns to test for identifier "
                           "leakage (columns.id, columns.entity and unique features always are).")
    entity_overlap: bool = Field(default=True, description="false: the same entities must not appear in training "
                                 "and production (the overlap is then judged, not only reported).")


#: Metrics a contract may name as its headline (see docs/checks.md, performance.realised).
MetricName = Literal["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier",
                     "macro_precision", "macro_recall", "macro_f1", "mae", "rmse", "mape", "pinball", "asymmetric"]
#: A cost: a number (per decision), or a column holding it per row ('amount' means columns.amount).
CostValue = Number | str


class CostCell(Strict):
    """The cost of predicting `predicted` when the truth is `actual` (multiclass cost matrix)."""

    actual: str | int | bool = Field(description="True class.")
    predicted: str | int | bool = Field(description="Predicted class.")
    cost: CostValue = Field(description="Cost per such decision: a number or a column name.")


class CostSettings(Strict):
    """What errors cost. Correct decisions cost nothing; costs are positive amounts (money, harm)."""

    false_negative: CostValue | None = Field(default=None, description="Cost of a missed positive (binary): a "
                                             "number, or a column with the cost per row ('amount': columns.amount).")
    false_positive: CostValue | None = Field(default=None, description="Cost of a false alarm (binary): a number "
                                             "or a column.")
    matrix: list[CostCell] = Field(default_factory=list, description="Cost per (actual, predicted) class pair "
                                   "(multiclass; pairs not listed cost nothing).")
    currency: str | None = Field(default=None, description="Unit shown with costs (EUR, USD, hours).")


class CalibrationSettings(Strict):
    max_ece: Number = Field(default=0.05, gt=0, le=1, description="Largest expected calibration error (equal-width "
                            "bins) tolerated in production (fail level of performance.calibration).")
    bins: int = Field(default=10, ge=2, le=100, description="Bins for calibration error and the reliability diagram.")


class SlicePredicate(Strict):
    name: str = Field(description="Slice name shown in findings.")
    expr: str = Field(description="SQL condition selecting the slice's rows (evaluated by polars).")


class SliceSettings(Strict):
    """Segments whose performance is reported and judged on their own."""

    columns: list[str] | None = Field(default=None, description="Columns whose values define slices (default: "
                                      "columns.segments).")
    cross: bool = Field(default=True, description="Also every combination of two of those columns' values "
                        "(region x product).")
    predicates: list[SlicePredicate] = Field(default_factory=list, description="More slices as SQL conditions.")
    min_rows: int = Field(default=200, ge=1, description="Fewest production rows with outcomes for a slice to be "
                          "judged.")
    search: bool = Field(default=True, description="Also search single features (binned numbers, categories) for "
                         "the weakest slices (performance.weak_slices).")
    top: int = Field(default=5, ge=1, le=50, description="How many weak slices the search reports.")


class ConfidenceSettings(Strict):
    low: Number = Field(default=0.6, gt=0, le=1, description="Confidence (largest class probability) below which a "
                        "prediction counts as low-confidence.")
    max_increase: Number = Field(default=0.05, ge=0, le=1, description="Rise in the share of low-confidence "
                                 "predictions tolerated (warn level of performance.confidence).")


class Asymmetric(Strict):
    over: Number = Field(default=1.0, ge=0, description="Weight per unit of over-prediction.")
    under: Number = Field(default=1.0, ge=0, description="Weight per unit of under-prediction.")


class EstimateSettings(Strict):
    enabled: bool = Field(default=True, description="Estimate binary performance per chunk from the scores "
                          "(CBPE) where outcomes have not arrived.")
    calibrate: Literal["auto", "always", "never"] = Field(
        default="auto", description="Recalibrate scores on the reference (isotonic) first: auto does when the "
        "reference shows significant miscalibration.")


class OutcomeSettings(Strict):
    """What the model's decisions cost and whom they fail (see docs/checks.md, performance.*)."""

    headline: MetricName | None = Field(default=None, description="The metric the team reports (default: roc_auc "
                                        "for binary, macro_f1 for multiclass, rmse for regression).")
    tolerance: Number | None = Field(default=None, ge=0, description="Allowed worsening of the headline from the "
                                     "reference, in its units (default 0.02 for rates such as accuracy or ROC AUC; "
                                     "relative_tolerance of the reference value for losses).")
    relative_tolerance: Number = Field(default=0.1, ge=0, description="Allowed relative worsening of losses (log "
                                       "loss, Brier, MAE, RMSE...) other than the headline.")
    threshold: Number = Field(default=0.5, gt=0, lt=1, description="Score at or above which a binary model predicts "
                              "the positive class (when columns.predicted_class is not set).")
    alpha: Number = Field(default=0.01, gt=0, lt=1, description="Significance a worsening needs before it is "
                          "reported (one-sided; slices corrected for multiple testing).")
    costs: CostSettings | None = Field(default=None, description="What errors cost (default: columns.cost per row "
                                       "when set).")
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings, description="Calibration limits.")
    slices: SliceSettings = Field(default_factory=SliceSettings, description="Slices to judge on their own.")
    rare_class_share: Number = Field(default=0.2, gt=0, lt=1, description="A class with at most this share of "
                                     "reference outcomes is rare: its recall and precision are judged on their own.")
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings, description="Low-confidence "
                                           "predictions.")
    signals: list[str] = Field(default_factory=list, description="Columns with operational signals per decision "
                               "(complaints, escalations, reversals, losses): booleans as a rate, numbers as a mean.")
    quantile: Number = Field(default=0.5, gt=0, lt=1, description="Quantile of the pinball loss (regression).")
    asymmetric: Asymmetric = Field(default_factory=Asymmetric, description="Weights of the asymmetric loss "
                                   "(regression).")
    estimate: EstimateSettings = Field(default_factory=EstimateSettings, description="Performance estimation "
                                       "before outcomes arrive.")


class ReviewCondition(Strict):
    """When a decision must reach a person: a SQL condition on the row, or an input outside the training data."""

    name: str = Field(description="Condition name shown in findings (low confidence, large loan...).")
    expr: str | None = Field(default=None, description="SQL condition on the production row (evaluated by polars), "
                             "e.g. `default_probability BETWEEN 0.45 AND 0.55` or `loan_amount > 100000`.")
    out_of_distribution: bool = Field(default=False, description="true: rows with a model input outside the "
                                      "training data (a number outside the reference's range, a category the "
                                      "reference never had).")
    multivariate_outlier: bool = Field(default=False, description="true: rows whose inputs, taken together, are "
                                       "unlike the training data (PCA reconstruction error above the reference's "
                                       "99.9th percentile).")
    max_unreviewed_share: Number | None = Field(default=None, ge=0, le=1, description="Share of these decisions "
                                                "the model may take alone (default: human_review."
                                                "max_unreviewed_share).")

    @model_validator(mode="after")
    def _one_kind(self) -> ReviewCondition:
        if (self.expr is not None) + self.out_of_distribution + self.multivariate_outlier != 1:
            raise ValueError("give one of expr (a SQL condition), out_of_distribution: true or "
                             "multivariate_outlier: true")
        return self


class HumanReview(Strict):
    """Which decisions must be reviewed by a person, and how many reviewers can take (see docs/governance.md)."""

    required_when: list[ReviewCondition] = Field(default_factory=list, description="Conditions under which a "
                                                 "decision must be reviewed (columns.review set).")
    max_unreviewed_share: Number = Field(default=0.0, ge=0, le=1, description="Share of decisions requiring review "
                                         "that the model may take alone (fail level).")
    capacity_per_day: int | None = Field(default=None, ge=1, description="Reviews the team can do per day "
                                         "(needs columns.event_time).")
    max_override_share: Number | None = Field(default=None, ge=0, le=1, description="Share of reviewed decisions "
                                              "reversed (columns.override) above which a warning is raised.")


class KillCondition(Strict):
    """Findings under which the model must be taken out of the loop."""

    name: str | None = Field(default=None, description="Condition name shown in findings (default: written from "
                             "its keys).")
    check: str = Field(description="Check id, family (data_drift, performance) or failure mode whose results count.")
    column: str | None = Field(default=None, description="Only results on this column (feature, metric, slice, "
                               "rule or condition name).")
    importance: Importance | None = Field(default=None, description="Only results on features of this importance.")
    status: Literal["fail", "warn"] = Field(default="fail", description="Status a result must reach (warn also "
                                            "counts fail).")
    value_above: Number | None = Field(default=None, description="Only results whose statistic is above this "
                                       "(e.g. 0.25 for cost per decision up more than 25%).")
    value_below: Number | None = Field(default=None, description="Only results whose statistic is below this.")
    warn_only: bool = Field(default=False, description="true: report the condition as a warning, do not disable "
                            "the model.")


class KillSwitch(Strict):
    """When to take the model out of the loop, and what to do instead (see docs/governance.md)."""

    fallback: str = Field(description="What replaces the model while it is disabled (said in every report).")
    when: list[KillCondition] = Field(min_length=1, description="Conditions; any one holding disables the model.")


class EvidenceCondition(Strict):
    """Evidence that calls for retraining: results of a check, as for a kill-switch condition, held for a number of
    consecutive runs (from --history)."""

    name: str | None = Field(default=None, description="Evidence name shown in findings (default: written from "
                             "its keys).")
    check: str = Field(description="Check id, family (data_drift, performance) or failure mode whose results count.")
    column: str | None = Field(default=None, description="Only results on this column.")
    importance: Importance | None = Field(default=None, description="Only results on features of this importance.")
    status: Literal["fail", "warn"] = Field(default="fail", description="Status a result must reach (warn also "
                                            "counts fail) when no bound below is given.")
    value_above: Number | None = Field(default=None, description="Results whose statistic is above this.")
    value_below: Number | None = Field(default=None, description="Results whose statistic is below this.")
    current_above: Number | None = Field(default=None, description="Results whose measured value (details.current: "
                                         "a realised metric, cost per decision) is above this.")
    current_below: Number | None = Field(default=None, description="Results whose measured value is below this "
                                         "(a floor: check performance.realised, column roc_auc, current_below 0.75).")
    consecutive_runs: int = Field(default=1, ge=1, description="Runs in a row the evidence must hold (this run "
                                  "included; more than 1 needs --history).")


class Retraining(Strict):
    """When the evidence calls for retraining (see docs/monitoring.md)."""

    evidence: list[EvidenceCondition] = Field(min_length=1, description="Evidence; any one holding recommends "
                                              "retraining.")
    max_days_with_evidence: int = Field(default=14, ge=1, description="Days the evidence may hold without a new "
                                        "model.version before it is a failure (needs --history).")


class HistorySettings(Strict):
    """How run history is read (see docs/monitoring.md)."""

    persistent_runs: int = Field(default=3, ge=2, description="Runs in a row a check must warn or fail to be a "
                                 "persistent problem.")
    trend_runs: int = Field(default=8, ge=4, description="Latest runs a slow trend is fitted on.")
    trend_horizon: int = Field(default=7, ge=1, description="A statistic projected to cross its fail level within "
                               "this many runs is a slow trend.")


class LatencyObjective(Strict):
    p50: Number | None = Field(default=None, gt=0, description="Median latency objective (the column's unit).")
    p95: Number | None = Field(default=None, gt=0, description="95th percentile latency objective.")
    p99: Number | None = Field(default=None, gt=0, description="99th percentile latency objective.")


class ServiceSettings(Strict):
    """Service health from the production log (see docs/monitoring.md)."""

    latency: str | None = Field(default=None, description="Column with each prediction's latency.")
    latency_objective: LatencyObjective | None = Field(default=None, description="Latency percentiles not to "
                                                       "exceed.")
    error: str | None = Field(default=None, description="Column that is true (or 1) when serving the prediction "
                              "failed.")
    max_error_share: Number = Field(default=0.01, ge=0, le=1, description="Share of errors tolerated (fail level).")
    fallback: str | None = Field(default=None, description="Column that is true (or 1) when a fallback answered "
                                 "instead of the model.")
    max_fallback_share: Number = Field(default=0.05, ge=0, le=1, description="Share of fallback answers tolerated.")
    max_gap: Duration = Field(default="2h", description="Longest stretch of event time without a prediction "
                              "tolerated (availability).")
    volume_drop: Number = Field(default=0.5, gt=0, lt=1, description="A day with fewer than (1 - volume_drop) x the "
                                "median of the same weekday's volume is a drop.")


#: Sections a person may leave empty (`owners:` with everything commented out): they mean their defaults.
EMPTYABLE_SECTIONS = ("owners", "columns", "features", "rules", "dataset", "outputs", "thresholds", "drift", "skew",
                      "labels", "leakage", "outcomes", "history")

#: Sections reserved for later failure modes. Version 1 files may carry them as
#: mappings; their content is validated by the mlaudit version that evaluates
#: them, and until then the audit notes that they were not evaluated.
RESERVED_SECTIONS: tuple[str, ...] = ()


class Contract(Strict):
    """An mlaudit contract, version 1."""

    version: Literal[1] = Field(description="Contract format version; always 1.")

    @field_validator("version", mode="before")
    @classmethod
    def _integer_version(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"version must be the integer 1, not {value!r}")
        return value
    model: Model
    owners: Owners = Field(default_factory=Owners)
    columns: Columns = Field(default_factory=Columns)
    features: dict[str, Feature] = Field(default_factory=dict, description="Input features by column name.")
    rules: list[Rule] = Field(default_factory=list, description="Cross-column rules as SQL expressions.")
    dataset: Dataset = Field(default_factory=Dataset)
    outputs: Outputs = Field(default_factory=Outputs)
    thresholds: dict[str, Threshold] = Field(
        default_factory=dict, description="Contract-wide overrides of check defaults, keyed by check id."
    )
    drift: DriftSettings = Field(default_factory=DriftSettings, description="How drift is judged.")
    skew: SkewSettings = Field(default_factory=SkewSettings, description="Training-serving skew settings.")
    labels: LabelSettings = Field(default_factory=LabelSettings, description="Label checks settings.")
    leakage: LeakageSettings = Field(default_factory=LeakageSettings, description="Leakage checks settings.")
    outcomes: OutcomeSettings = Field(default_factory=OutcomeSettings, description="Performance, cost, slices and "
                                      "calibration (metric blindness).")
    human_review: HumanReview | None = Field(default=None, description="Decisions that must reach a person.")
    kill_switch: KillSwitch | None = Field(default=None, description="When to take the model out of the loop.")
    retraining: Retraining | None = Field(default=None, description="Evidence that calls for retraining.")
    history: HistorySettings = Field(default_factory=HistorySettings, description="How run history is read.")
    service: ServiceSettings | None = Field(default=None, description="Service health: latency, errors, "
                                            "availability.")

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """A section left empty by hand (`owners:` with everything commented out) means its defaults."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in EMPTYABLE_SECTIONS and v is None)}
        return data

    def column_references(self) -> list[tuple[tuple[str | int, ...], str]]:
        """(key path, data column) for every column the contract names."""
        refs: list[tuple[tuple[str | int, ...], str]] = []
        for role in Columns.model_fields:
            value = getattr(self.columns, role)
            if isinstance(value, str):
                refs.append((("columns", role), value))
            elif isinstance(value, list):
                refs += [(("columns", role, i), col) for i, col in enumerate(value)]
        for name, feature in self.features.items():
            refs.append((("features", name), name))
            if feature.available_at:
                refs.append((("features", name, "available_at"), feature.available_at))
        refs += [(("labels", "sources", i), col) for i, col in enumerate(self.labels.sources)]
        refs += [(("labels", "conflict_key", i), col) for i, col in enumerate(self.labels.conflict_key or [])]
        refs += [(("leakage", "ids", i), col) for i, col in enumerate(self.leakage.ids)]
        costs = self.outcomes.costs
        if costs is not None:
            for key in ("false_negative", "false_positive"):
                value = getattr(costs, key)
                if isinstance(value, str) and value != "amount":
                    refs.append((("outcomes", "costs", key), value))
            refs += [(("outcomes", "costs", "matrix", i, "cost"), cell.cost) for i, cell in enumerate(costs.matrix)
                     if isinstance(cell.cost, str) and cell.cost != "amount"]
        slice_cols = self.outcomes.slices.columns or []
        refs += [(("outcomes", "slices", "columns", i), col) for i, col in enumerate(slice_cols)]
        refs += [(("outcomes", "signals", i), col) for i, col in enumerate(self.outcomes.signals)]
        if self.service is not None:
            refs += [(("service", key), getattr(self.service, key)) for key in ("latency", "error", "fallback")
                     if getattr(self.service, key)]
        return refs
