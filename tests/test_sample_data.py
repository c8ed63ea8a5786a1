"""The bundled scenario: its planted validation problems are found, and nothing else fails."""

from __future__ import annotations

import datetime as dt

import pytest

import mlaudit
from mlaudit.results import AuditResult, Status
from tests.conftest import SAMPLE

AS_OF = dt.datetime(2026, 10, 31, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                         SAMPLE / "outcomes.parquet", as_of=AS_OF)


def _status(result: AuditResult, check: str, column: str | None) -> Status:
    found = [r.status for r in result.results if r.check == check and r.column == column]
    assert found, f"no result for {check} on {column}"
    return found[0]


@pytest.mark.parametrize(
    ("check", "column", "status"),
    [
        ("validation.range", "age", Status.warn),
        ("validation.allowed_values", "employment_type", Status.fail),
        ("validation.null_share", "credit_score", Status.fail),
        ("validation.unique", "application_id", Status.fail),
        ("validation.rule", "loan within ten times income", Status.fail),
        ("validation.prediction_range", "default_probability", Status.fail),
        ("validation.regex", "customer_id", Status.warn),
        ("validation.confidence_gate", "default_probability", Status.fail),
    ],
)
def test_planted_problem_is_found(result: AuditResult, check: str, column: str | None, status: Status) -> None:
    assert _status(result, check, column) is status


def test_clean_columns_pass(result: AuditResult) -> None:
    for column in ("income", "loan_amount", "region", "product", "has_guarantor"):
        statuses = {r.status for r in result.results if r.column == column}
        assert statuses <= {Status.passed}, (column, statuses)


def test_sentinel_is_missing_not_out_of_range(result: AuditResult) -> None:
    assert _status(result, "validation.range", "months_since_last_default") is Status.passed


def test_hive_partition_column_is_not_unexpected(result: AuditResult) -> None:
    assert not [r for r in result.results if r.check == "validation.schema" and r.status is not Status.passed]


def test_sample_audit_trips_the_kill_switch(result: AuditResult) -> None:
    """A high-importance feature drifted (debt_to_income) and cost per decision rose 79%: both kill-switch conditions
    hold, so the verdict is disable (exit 3) with the contract's fallback."""
    assert result.verdict.value == "disable" and int(result.exit_code) == 3
    assert result.fallback == "route every application to manual underwriting"
    tripped = {r.column for r in result.results if r.check == "governance.kill_switch" and r.status.value == "fail"}
    assert tripped == {"high-importance feature drifted", "cost per decision up 25%"}


def test_planted_unreviewed_weak_decisions_and_missing_owner_are_found(result: AuditResult) -> None:
    """#15: 37 of 733 low-confidence decisions taken without a reviewer; #16: nobody owns governance."""
    review = next(r for r in result.results if r.check == "review.required" and r.column == "low confidence")
    assert review.status.value == "fail" and (review.count, review.total) == (37, 733)
    owners = {r.column: r.status.value for r in result.results if r.check == "governance.owners"}
    assert owners == {"data_quality": "pass", "model_behavior": "pass", "decision_impact": "pass",
                      "governance": "warn"}
    assert "unassigned (governance)" in result.by_owner()


def test_planted_label_conflicts_are_found_in_training(result: AuditResult) -> None:
    """Planted #12: 150 groups of identical inputs with both labels, 330 rows."""
    found = [r for r in result.results if r.check == "labels.conflicts" and r.details["snapshot"] == "reference"
             and r.details["key"] == "inputs"]
    assert len(found) == 1
    r = found[0]
    assert r.status is Status.fail and r.details["groups"] == 150 and r.count == 330 and r.total == 20_000


def test_planted_leak_is_found_and_strong_legitimate_features_are_not(result: AuditResult) -> None:
    """Planted #13: collections_flag knows the label in training and nothing in production; credit_score is the
    strongest real predictor (AUC 0.744) and must not be called a leak."""
    single = {r.column: r for r in result.results if r.check == "leakage.single_feature"}
    assert single["collections_flag"].status is Status.fail
    assert {c for c, r in single.items() if r.status is not Status.passed} == {"collections_flag"}
    assert single["credit_score"].value == pytest.approx(0.744, abs=0.001)
    vanishing = {r.column: r for r in result.results if r.check == "leakage.vanishing"}
    assert vanishing["collections_flag"].status is Status.fail
    assert {c for c, r in vanishing.items() if r.status is not Status.passed} == {"collections_flag"}


def test_no_other_label_or_leakage_finding(result: AuditResult) -> None:
    """Besides #12 and #13: the label errors the flipped copies imply, and the training labels that arrived
    after trained_at (sample README, notes for check authors). Ids, periods and entity overlap are clean."""
    found = {(r.check, r.column) for r in result.findings() if r.check.startswith(("labels.", "leakage."))}
    assert found == {("labels.conflicts", None), ("labels.suspected_errors", None),
                     ("leakage.single_feature", "collections_flag"), ("leakage.vanishing", "collections_flag"),
                     ("leakage.labels_after_training", "outcome_at")}


def test_outcome_checks_say_how_many_outcomes_have_arrived(result: AuditResult) -> None:
    """Outcomes arrive 7-10 days late: the concept checks are judged on the rows that have one, and say so."""
    concept = [r for r in result.results if r.check == "drift.concept" and r.status is not Status.skipped]
    assert concept
    for r in concept:
        assert r.details["outcome_coverage"] == pytest.approx(21_467 / 30_031)
        assert "outcomes known for 71.5% of production rows" in r.message


def test_planted_costly_slice_is_found_while_the_headline_stays_within_tolerance(result: AuditResult) -> None:
    """#14: east x mortgage defaults far more than scored; ROC AUC (the headline) barely moves, the slice and its
    cost fail, and the metric-blindness check names both."""
    head = next(r for r in result.results if r.check == "performance.realised" and r.column == "roc_auc")
    assert head.status is Status.passed and abs(head.value or 0.0) < 0.02
    accuracy = next(r for r in result.results if r.check == "performance.realised" and r.column == "accuracy")
    assert accuracy.status is Status.passed
    east = next(r for r in result.results if r.check == "performance.slices"
                and r.column == "region=east & product=mortgage")
    assert east.status is Status.fail
    assert east.details["cost_per_decision"] > 4 * east.details["whole_cost_per_decision"]
    worst = max((r for r in result.results if r.check == "performance.slices" and r.status is Status.fail),
                key=lambda r: r.details["cost_change"])
    assert worst.column == "region=east & product=mortgage"
    blind = next(r for r in result.results if r.check == "performance.blindness")
    assert blind.status is Status.fail
    assert "slice region=east & product=mortgage" in blind.message and "cost per decision" in blind.message
    assert "roc_auc 0.8136 -> 0.8113, within its tolerance 0.02" in blind.message


def test_sample_calibration_names_the_miscalibrated_slice(result: AuditResult) -> None:
    """Scores mean less in the planted slice: overall ECE stays within max_ece, the slice's ECE is far above."""
    cal = next(r for r in result.results if r.check == "performance.calibration")
    assert cal.status is Status.passed and (cal.value or 1.0) < 0.05
    worst = max(cal.details["slices"], key=lambda s: s["ece"])
    assert worst["slice"] == "region=east & product=mortgage" and worst["ece"] > 0.2


@pytest.fixture(scope="module")
def daily() -> AuditResult:
    return mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                         SAMPLE / "outcomes.parquet", as_of=AS_OF, chunk="1d", only=["performance"])


def test_sample_estimates_performance_before_outcomes_and_compares_after(daily: AuditResult) -> None:
    """Outcomes arrive 7-10 days late: the last days are estimated from the scores alone, the earlier ones
    set the estimate beside the realised value."""
    est = next(r for r in daily.results if r.check == "performance.estimated")
    chunks = est.details["chunks"]
    assert [c["chunk"] for c in chunks][:2] == ["2026-10-01", "2026-10-02"] and len(chunks) == 30
    awaiting = [c for c in chunks if c["coverage"] < 0.5]
    assert [c["chunk"] for c in awaiting][-1] == "2026-10-30" and len(awaiting) >= 7
    for c in awaiting:
        assert c["band"][0] <= c["estimate"] <= c["band"][1]
    assert any(c["coverage"] == 0 and "realised" not in c for c in awaiting)
    arrived = [c for c in chunks if c["coverage"] == 1.0]
    assert len(arrived) >= 20
    for c in arrived:
        assert 0.5 < c["realised"] < 1 and c["band_labelled"][0] < c["band_labelled"][1]
    assert "awaiting outcomes" in est.message and "where outcomes arrived" in est.message


def test_owner_view_still_leads_with_a_tripped_kill_switch() -> None:
    """--owner narrows the findings, never the kill switch: a disabled model is every owner's business."""
    r = mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                      SAMPLE / "outcomes.parquet", as_of=AS_OF, owner="data_quality")
    assert int(r.exit_code) == 3 and r.fallback is not None
    assert {x.owner.area.value for x in r.results if x.check != "governance.kill_switch"} == {"data_quality"}


def test_kill_switch_conditions_whose_checks_did_not_run_are_not_judged() -> None:
    """A condition on a check that did not run cannot be said not to hold: it is skipped, with the reason."""
    r = mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                      SAMPLE / "outcomes.parquet", as_of=AS_OF, only=["governance.kill_switch"])
    assert {x.status.value for x in r.results} == {"skipped"} and int(r.exit_code) == 0
    assert all("cannot be judged" in x.message for x in r.results)
