"""Metric blindness end to end: performance.* on synthetic snapshots with known truth.

Every snapshot is drawn with numpy from fixed seeds, so what the checks should find is known by
construction: calibrated scores (outcome ~ Bernoulli(score)) must raise no alarm, and each planted
problem (a costly slice, a degraded headline, miscalibration, a rare class missed, concept shift) must be
found by the check meant for it. Reported numbers (metrics, costs, ECE) are held to direct numpy
computations on the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit.cli import app
from mlaudit.results import AuditResult, CheckResult, Status
from tests.helpers import of, one

BAD = (Status.warn, Status.fail)
REGIONS, REGION_P = ["east", "north", "south", "west"], [0.2, 0.3, 0.3, 0.2]
PRODUCTS, PRODUCT_P = ["card", "loan", "mortgage"], [0.35, 0.4, 0.25]
COSTLY = "region=east & product=mortgage"  # 0.2 x 0.25 = 5% of rows

CREDIT = """
    version: 1
    model: {name: credit, task: binary_classification}
    columns: {id: id, score: score, label: y, amount: amount, segments: [region, product]}
    features:
      region: {type: category}
      product: {type: category}
      amount: {type: float}
    outcomes:
      costs: {false_negative: amount, false_positive: 300, currency: EUR}
"""


# --------------------------------------------------------------------------- helpers


def sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def credit(seed: int, n: int, *, start: int = 0, lift: Callable[..., np.ndarray] | None = None,
           truth: Callable[[np.ndarray], np.ndarray] | None = None) -> pl.DataFrame:
    """A calibrated credit model: score ~ Beta(2, 5), outcome ~ Bernoulli(score), unless `lift` (added to the
    outcome's log-odds per region/product) or `truth` (score -> outcome probability) says otherwise."""
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, n, p=REGION_P)
    product = rng.choice(PRODUCTS, n, p=PRODUCT_P)
    amount = rng.lognormal(7.0, 1.0, n)
    score = rng.beta(2.0, 5.0, n)
    p = truth(score) if truth is not None else score
    if lift is not None:
        p = sigmoid(logit(p) + lift(region, product))
    y = rng.random(n) < p
    return pl.DataFrame({"id": np.arange(start, start + n), "region": region, "product": product,
                         "amount": amount, "score": score, "y": y})


def costly_slice(region: np.ndarray, product: np.ndarray) -> np.ndarray:
    """East mortgages default far more often than their scores say (log-odds + 2.5)."""
    return np.where((region == "east") & (product == "mortgage"), 2.5, 0.0)


def audit(write_contract: Callable[..., Path], text: str, ref: Any, cur: Any, **kwargs: Any) -> AuditResult:
    kwargs.setdefault("only", ["performance"])
    return mlaudit.audit(write_contract(text), ref, cur, **kwargs)



def findings(res: AuditResult) -> list[tuple[str, str | None, str]]:
    return [(r.check, r.column, r.message) for r in res.results if r.status in BAD]


def decision_costs(df: pl.DataFrame, fp_cost: float = 300.0, threshold: float = 0.5) -> np.ndarray:
    """Independent: a missed positive costs its amount, a false alarm fp_cost, a right decision nothing."""
    y, score, amount = df["y"].to_numpy(), df["score"].to_numpy(), df["amount"].to_numpy()
    said = score >= threshold
    return np.where(y & ~said, amount, np.where(~y & said, fp_cost, 0.0))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Independent equal-width ECE: sum over bins of (rows in bin / n) x |mean score - outcome rate|."""
    index = np.minimum(np.floor(p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        rows = index == b
        if rows.any():
            total += rows.sum() / p.size * abs(p[rows].mean() - y[rows].mean())
    return total


def cli_audit(runner: CliRunner, contract: Path, ref: Path, cur: Path, *extra: str) -> Any:
    return runner.invoke(app, ["audit", "--contract", str(contract), "--reference", str(ref), "--current", str(cur),
                               "--only", "performance", "--quiet", *extra])


# --------------------------------------------------------------------------- no crying wolf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibrated_model_raises_no_alarm(seed: int, write_parquet: Callable[..., Path],
                                          write_contract: Callable[..., Path]) -> None:
    """Same calibrated model on both sides: no performance.* check warns or fails."""
    ref = write_parquet("ref.parquet", credit(seed, 8000))
    cur = write_parquet("cur.parquet", credit(seed + 100, 8000, start=10**6))
    res = audit(write_contract, CREDIT, ref, cur)
    assert findings(res) == []
    judged = {r.check for r in res.results if r.status is Status.passed}
    assert {"performance.realised", "performance.cost", "performance.calibration", "performance.slices",
            "performance.weak_slices", "performance.confidence", "performance.blindness"} <= judged


def test_calibrated_model_passes_the_cli_gate(runner: CliRunner, write_parquet: Callable[..., Path],
                                              write_contract: Callable[..., Path]) -> None:
    """Through the CLI and Parquet files, a clean production snapshot exits 0."""
    ref = write_parquet("ref.parquet", credit(3, 6000))
    cur = write_parquet("cur.parquet", credit(103, 6000, start=10**6))
    res = cli_audit(runner, write_contract(CREDIT), ref, cur)
    assert res.exit_code == 0, res.output


# --------------------------------------------------------------------------- what the headline hides


def test_costly_slice_is_found_while_the_headline_passes(runner: CliRunner, tmp_path: Path,
                                                         write_parquet: Callable[..., Path],
                                                         write_contract: Callable[..., Path]) -> None:
    """A 5% slice whose defaults the scores miss: headline AUC fine, the slice and blindness fail, exit 1."""
    ref = write_parquet("ref.parquet", credit(0, 10000))
    cur = write_parquet("cur.parquet", credit(50, 10000, start=10**6, lift=costly_slice))
    out = tmp_path / "report.json"
    predicate = ("      slices: {predicates: [{name: east mortgages, "
                 "expr: \"region = 'east' AND product = 'mortgage'\"}]}\n")
    res = cli_audit(runner, write_contract(CREDIT + predicate), ref, cur, "--json", str(out))
    assert res.exit_code == 1, res.output
    results = json.loads(out.read_text())["results"]

    def pick(check: str, column: str | None = None) -> dict[str, Any]:
        found: list[dict[str, Any]] = [r for r in results if r["check"] == check and r["column"] == column]
        assert len(found) == 1, [(r["check"], r["column"]) for r in results]
        return found[0]

    head = pick("performance.realised", "roc_auc")
    assert head["status"] == "pass", head["message"]
    assert "(headline)" in head["message"]
    costly = pick("performance.slices", COSTLY)
    assert costly["status"] == "fail", costly["message"]
    assert costly["details"]["cost_change"] > 1.0  # cost per decision more than doubled
    named = pick("performance.slices", "east mortgages")  # the same rows, declared as a SQL predicate
    assert named["status"] == "fail" and named["details"]["rows"] == costly["details"]["rows"]
    blind = pick("performance.blindness")
    assert blind["status"] == "fail"
    assert COSTLY in blind["message"] and "cost per decision" in blind["message"]
    # slices the lift does not touch stay quiet
    untouched = [r for r in results if r["check"] == "performance.slices" and "east" not in r["column"]
                 and "mortgage" not in r["column"]]
    assert untouched and all(r["status"] in ("pass", "skip") for r in untouched), untouched


def test_degraded_headline_fails_and_blindness_passes(write_contract: Callable[..., Path]) -> None:
    """Scores shuffled in production: the headline fails itself, so nothing is hidden."""
    ref = credit(4, 6000)
    cur = credit(104, 6000, start=10**6)
    cur = cur.with_columns(pl.Series("score", np.random.default_rng(7).permutation(cur["score"].to_numpy())))
    res = audit(write_contract, CREDIT, ref, cur)
    head = one(res, "performance.realised", "roc_auc")
    assert head.status is Status.fail, head.message
    assert head.details["current"] == pytest.approx(0.5, abs=0.03)
    assert head.value == pytest.approx(head.details["reference"] - head.details["current"])
    blind = one(res, "performance.blindness")
    assert blind.status is Status.passed
    assert "shows the degradation itself" in blind.message


# --------------------------------------------------------------------------- calibration


def test_miscalibrated_scores_fail_calibration_with_ece(write_contract: Callable[..., Path]) -> None:
    """Outcomes drawn from sqrt(score): calibration fails and reports the ECE of the production rows."""
    ref = credit(5, 6000)
    cur = credit(105, 6000, start=10**6, truth=np.sqrt)
    res = audit(write_contract, CREDIT, ref, cur, only=["performance.calibration"])
    r = one(res, "performance.calibration")
    assert r.status is Status.fail, r.message
    expected = ece(cur["score"].to_numpy(), cur["y"].to_numpy().astype(float))
    assert r.value is not None and r.value == pytest.approx(expected, abs=1e-9)
    assert r.value > 0.05 and f"{expected:.4f}" in r.message
    assert r.details["reference"] == pytest.approx(ece(ref["score"].to_numpy(), ref["y"].to_numpy().astype(float)))


def test_calibrated_scores_pass_calibration_with_diagram_and_brier_parts(write_contract: Callable[..., Path]) -> None:
    """Calibrated scores pass; details carry the reliability diagram and the Brier decomposition."""
    ref, cur = credit(6, 6000), credit(106, 6000, start=10**6)
    r = one(audit(write_contract, CREDIT, ref, cur, only=["performance.calibration"]), "performance.calibration")
    assert r.status is Status.passed, r.message
    assert r.value is not None and r.value < 0.05
    d = r.details
    for key in ("reliability_diagram", "brier_reliability", "brier_resolution", "brier_uncertainty", "mce",
                "ece_equal_mass", "p_value", "slices"):
        assert key in d, key
    assert sum(b["rows"] for b in d["reliability_diagram"]) == cur.height
    base = cur["y"].to_numpy().mean()
    assert d["brier_uncertainty"] == pytest.approx(base * (1 - base))
    # Murphy: Brier ~= reliability - resolution + uncertainty (exact up to within-bin variance of the scores)
    brier = float(np.mean((cur["score"].to_numpy() - cur["y"].to_numpy()) ** 2))
    assert d["brier_reliability"] - d["brier_resolution"] + d["brier_uncertainty"] == pytest.approx(brier, abs=0.01)


# --------------------------------------------------------------------------- rare classes


def rare(seed: int, n: int, positive_scores: tuple[float, float], start: int = 0) -> pl.DataFrame:
    """5% positives; positives' scores ~ Beta(positive_scores), negatives' ~ Beta(1, 15)."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.05
    score = np.where(y, rng.beta(*positive_scores, n), rng.beta(1.0, 15.0, n))
    return pl.DataFrame({"id": np.arange(start, start + n), "score": score, "y": y})


def test_rare_class_recall_drop_fails(write_contract: Callable[..., Path]) -> None:
    """Positives are 5% of outcomes; production misses many more of them: rare_classes fails for 'positive'."""
    text = "version: 1\nmodel: {name: fraud, task: binary_classification}\ncolumns: {id: id, score: score, label: y}\n"
    ref = rare(8, 8000, (5.0, 2.0))
    cur = rare(108, 8000, (2.0, 3.0), start=10**6)
    res = audit(write_contract, text, ref, cur, only=["performance.rare_classes"])
    assert [r.column for r in of(res, "performance.rare_classes")] == ["positive"]  # 'negative' is not rare
    r = one(res, "performance.rare_classes", "positive")
    assert r.status is Status.fail, r.message
    y, said = cur["y"].to_numpy(), cur["score"].to_numpy() >= 0.5
    assert r.details["recall"] == pytest.approx(float(np.sum(y & said) / y.sum()))
    assert r.details["share"] == pytest.approx(float(ref["y"].to_numpy().mean()))
    assert r.details["reference_recall"] - r.details["recall"] > 0.3


# --------------------------------------------------------------------------- delayed outcomes and CBPE

DELAYED = """
    version: 1
    model: {name: credit, task: binary_classification}
    columns: {id: id, score: score, label: y, event_time: ts}
"""
DAYS, KNOWN_DAYS, PER_DAY = 20, 12, 400


def delayed(seed: int, concept_shift: bool = False) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(reference, 20 days of production without outcomes, outcomes of the first 12 days by id); with
    `concept_shift` the production outcomes follow a risk the scores no longer track."""
    rng = np.random.default_rng(seed)
    n_ref = 6000
    s_ref = rng.beta(2.0, 5.0, n_ref)
    ref = pl.DataFrame({"id": np.arange(n_ref), "score": s_ref, "y": rng.random(n_ref) < s_ref,
                        "ts": [dt.datetime(2026, 1, 1)] * n_ref})
    n = PER_DAY * DAYS
    score = rng.beta(2.0, 5.0, n)
    risk = rng.beta(2.0, 5.0, n) if concept_shift else score
    y = rng.random(n) < risk
    day = np.repeat(np.arange(DAYS), PER_DAY)
    seconds = rng.integers(0, 86400, n)
    ts = [dt.datetime(2026, 10, 1) + dt.timedelta(days=int(d), seconds=int(s)) for d, s in zip(day, seconds,
                                                                                                 strict=True)]
    ids = np.arange(10**6, 10**6 + n)
    cur = pl.DataFrame({"id": ids, "score": score, "ts": ts})
    outcomes = pl.DataFrame({"id": ids[day < KNOWN_DAYS], "y": y[day < KNOWN_DAYS]})
    return ref, cur, outcomes


def estimated(write_parquet: Callable[..., Path], write_contract: Callable[..., Path], seed: int,
              concept_shift: bool = False) -> CheckResult:
    ref, cur, outcomes = delayed(seed, concept_shift)
    res = mlaudit.audit(write_contract(DELAYED), write_parquet("ref.parquet", ref), write_parquet("cur.parquet", cur),
                        outcomes=write_parquet("outcomes.parquet", outcomes), chunk="1d",
                        only=["performance.estimated"])
    return one(res, "performance.estimated")


def test_estimates_cover_every_day_and_realised_only_where_outcomes_arrived(
        write_parquet: Callable[..., Path], write_contract: Callable[..., Path]) -> None:
    """Outcomes joined by id for 12 of 20 days: each day estimated, the 8 without outcomes flagged by coverage."""
    r = estimated(write_parquet, write_contract, seed=1)
    chunks = r.details["chunks"]
    assert [c["chunk"] for c in chunks] == [f"2026-10-{d:02d}" for d in range(1, DAYS + 1)]
    assert all(c["rows"] == PER_DAY for c in chunks)
    for c in chunks[:KNOWN_DAYS]:
        assert c["coverage"] == 1.0
        assert {"realised", "estimate_labelled", "band_labelled", "estimate", "band"} <= c.keys()
    for c in chunks[KNOWN_DAYS:]:
        assert c["coverage"] == 0.0
        assert "realised" not in c and "estimate_labelled" not in c
        low, high = c["band"]
        assert low <= c["estimate"] <= high
    inside = sum(c["realised_within_band"] for c in chunks[:KNOWN_DAYS])
    assert inside >= KNOWN_DAYS - 2
    assert r.details["metric"] == "roc_auc"
    assert f"{DAYS - KNOWN_DAYS} chunk(s) awaiting outcomes" in r.message


def test_realised_inside_the_bands_on_calibrated_data(write_parquet: Callable[..., Path],
                                                      write_contract: Callable[..., Path]) -> None:
    """Calibrated scores, no concept shift: across seeds nearly every realised value lies inside its band."""
    inside, total = 0, 0
    for seed in range(4):
        chunks = estimated(write_parquet, write_contract, seed).details["chunks"]
        checked = [c for c in chunks if "realised" in c]
        inside += sum(c["realised_within_band"] for c in checked)
        total += len(checked)
    assert total == 4 * KNOWN_DAYS
    assert inside / total >= 0.9


def test_calibrated_data_does_not_make_estimation_warn(write_parquet: Callable[..., Path],
                                                       write_contract: Callable[..., Path]) -> None:
    """Calibrated scores, no concept shift: performance.estimated passes (no crying wolf)."""
    statuses = [estimated(write_parquet, write_contract, seed).status for seed in range(4)]
    assert statuses == [Status.passed] * 4


def test_concept_shift_warns_that_the_estimates_cannot_be_trusted(write_parquet: Callable[..., Path],
                                                                  write_contract: Callable[..., Path]) -> None:
    """Production outcomes no longer follow the scores: realised AUCs leave their bands, a warning."""
    r = estimated(write_parquet, write_contract, seed=1, concept_shift=True)
    assert r.status is Status.warn, r.message
    assert "assumptions" in r.message and "do not hold" in r.message
    checked = [c for c in r.details["chunks"] if "realised" in c]
    assert r.details["chunks_outside_band"] == sum(c["p_value_adjusted"] < 0.01 for c in checked)
    assert r.details["chunks_outside_band"] >= KNOWN_DAYS // 2


# --------------------------------------------------------------------------- multiclass

CLASSES = ["low", "mid", "high"]
MULTICLASS = """
    version: 1
    model: {name: risk, task: multiclass_classification, classes: [low, mid, high]}
    columns: {id: id, label: y, probabilities: [p_low, p_mid, p_high]}
    outcomes:
      costs:
        matrix:
          - {actual: high, predicted: low, cost: 500}
          - {actual: high, predicted: mid, cost: 200}
          - {actual: low, predicted: high, cost: 50}
          - {actual: mid, predicted: low, cost: 20}
"""
MATRIX = {("high", "low"): 500.0, ("high", "mid"): 200.0, ("low", "high"): 50.0, ("mid", "low"): 20.0}


def risk(seed: int, n: int, start: int = 0) -> pl.DataFrame:
    """Three classes, probabilities ~ Dirichlet(0.8 each), outcome drawn from them."""
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet([0.8, 0.8, 0.8], n)
    y = (rng.random(n)[:, None] > np.cumsum(proba, axis=1)).sum(axis=1).clip(0, 2)
    return pl.DataFrame({"id": np.arange(start, start + n), "p_low": proba[:, 0], "p_mid": proba[:, 1],
                         "p_high": proba[:, 2], "y": np.array(CLASSES)[y]})


def test_multiclass_metrics_and_cost_matrix(write_parquet: Callable[..., Path],
                                            write_contract: Callable[..., Path]) -> None:
    """Multiclass: accuracy, macro F1 (headline) and log loss computed; cost per decision follows the matrix."""
    ref, cur = risk(9, 3000), risk(109, 3000, start=10**6)
    res = audit(write_contract, MULTICLASS, write_parquet("ref.parquet", ref), write_parquet("cur.parquet", cur))
    proba = cur.select("p_low", "p_mid", "p_high").to_numpy()
    y = np.array([CLASSES.index(v) for v in cur["y"]])
    said = proba.argmax(axis=1)

    acc = one(res, "performance.realised", "accuracy")
    assert acc.details["current"] == pytest.approx(float(np.mean(said == y)))
    f1s = []
    for k in range(3):
        tp, fp, fn = np.sum((y == k) & (said == k)), np.sum((y != k) & (said == k)), np.sum((y == k) & (said != k))
        f1s.append(2 * tp / (2 * tp + fp + fn))
    macro = one(res, "performance.realised", "macro_f1")
    assert macro.details["current"] == pytest.approx(float(np.mean(f1s)))
    assert macro.details["headline"] is True and "(headline)" in macro.message
    loss = one(res, "performance.realised", "log_loss")
    assert loss.details["current"] == pytest.approx(float(np.mean(-np.log(proba[np.arange(y.size), y]))))
    assert all(r.status is Status.passed for r in of(res, "performance.realised")), findings(res)

    cost = one(res, "performance.cost")
    per_row = np.array([MATRIX.get((CLASSES[a], CLASSES[p]), 0.0) for a, p in zip(y, said, strict=True)])
    assert cost.details["current"] == pytest.approx(float(per_row.mean()))
    assert f"(total {per_row.sum():,.2f};" in cost.message
    assert cost.details["decisions"] == cur.height
    assert cost.status is Status.passed, cost.message


# --------------------------------------------------------------------------- regression

REGRESSION = """
    version: 1
    model: {name: price, task: regression}
    columns: {id: id, score: prediction, label: price}
    outcomes: {headline: rmse}
"""


def prices(seed: int, n: int, start: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    price = rng.lognormal(5.0, 0.4, n)
    return pl.DataFrame({"id": np.arange(start, start + n), "price": price,
                         "prediction": price + rng.normal(0.0, 15.0, n)})


def test_regression_losses_match_numpy(write_parquet: Callable[..., Path],
                                       write_contract: Callable[..., Path]) -> None:
    """Regression: MAE, RMSE (headline) and MAPE are the usual formulas on the production rows."""
    ref, cur = prices(10, 4000), prices(110, 4000, start=10**6)
    res = audit(write_contract, REGRESSION, write_parquet("ref.parquet", ref), write_parquet("cur.parquet", cur))
    err = cur["prediction"].to_numpy() - cur["price"].to_numpy()
    price = cur["price"].to_numpy()
    assert one(res, "performance.realised", "mae").details["current"] == pytest.approx(float(np.mean(np.abs(err))))
    rmse = one(res, "performance.realised", "rmse")
    assert rmse.details["current"] == pytest.approx(math.sqrt(float(np.mean(err**2))))
    assert rmse.details["headline"] is True and rmse.status is Status.passed, rmse.message
    assert one(res, "performance.realised", "mape").details["current"] == pytest.approx(
        float(np.mean(np.abs(err / price))))
    assert one(res, "performance.calibration").status is Status.skipped


def test_regression_rmse_blowup_fails_the_headline(write_contract: Callable[..., Path]) -> None:
    """Predictions twice as noisy in production: the RMSE headline fails beyond its relative tolerance."""
    ref = prices(11, 4000)
    cur = prices(111, 4000, start=10**6)
    cur = cur.with_columns(pl.col("price") + pl.Series(np.random.default_rng(3).normal(0.0, 30.0, cur.height)))
    r = one(audit(write_contract, REGRESSION, ref, cur), "performance.realised", "rmse")
    assert r.status is Status.fail, r.message


# --------------------------------------------------------------------------- cost numbers


def test_binary_cost_numbers_match_numpy(write_contract: Callable[..., Path]) -> None:
    """Cost per decision, total and the costliest 1% of errors are FN x amount + FP x 300 on the rows."""
    ref, cur = credit(12, 400), credit(112, 500, start=10**6)
    r = one(audit(write_contract, CREDIT, ref, cur, only=["performance.cost"]), "performance.cost")
    costs = decision_costs(cur)
    errors = np.sort(costs[costs > 0])[::-1]
    worst = errors[: math.ceil(0.01 * errors.size)].sum()
    assert r.details["current"] == pytest.approx(float(costs.mean()))
    assert r.details["worst_1pct"] == pytest.approx(float(worst))
    assert r.details["decisions"] == cur.height
    assert r.details["reference"] == pytest.approx(float(decision_costs(ref).mean()))
    assert r.value == pytest.approx(costs.mean() / decision_costs(ref).mean() - 1)
    assert f"(total {costs.sum():,.2f} EUR;" in r.message
    assert f"the costliest 1% of errors cost {worst:,.2f} EUR" in r.message


def test_total_cost_is_in_details_not_the_row_count_field(write_contract: Callable[..., Path]) -> None:
    """The total cost is reported in details['total_cost'] beside 'reference_total_cost', not as a row count."""
    ref, cur = credit(12, 400), credit(112, 500, start=10**6)
    r = one(audit(write_contract, CREDIT, ref, cur, only=["performance.cost"]), "performance.cost")
    assert r.details["reference_total_cost"] == pytest.approx(float(decision_costs(ref).sum()))
    assert r.details["total_cost"] == pytest.approx(float(decision_costs(cur).sum()))
    assert r.total is None or isinstance(r.total, int)


# --------------------------------------------------------------------------- contract errors


@pytest.mark.parametrize(("outcomes", "extra", "needles"), [
    ("{headline: rmse}", "", ["outcomes.headline", "'rmse' is not a binary_classification metric"]),
    ("{costs: {false_negative: amount}}", "", ["outcomes.costs.false_negative", "'amount' means columns.amount"]),
    ("{costs: {false_negative: loss}}", "", ["outcomes.costs.false_negative", "column 'loss' is not in"]),
    ("{costs: {false_positive: -5}}", ", amount: amount", ["outcomes.costs.false_positive", "negative"]),
    ("{tolerence: 0.02}", "", ["unknown key 'tolerence'", "did you mean 'tolerance'"]),
    ("{slices: {predicates: [{name: big, expr: 'loan_size > 1000'}]}}", "",
     ["slice 'big'", "loan_size"]),
], ids=["headline-task", "amount-unset", "cost-column-missing", "negative-cost", "typo", "predicate-column"])
def test_contract_errors_exit_2_with_one_line(outcomes: str, extra: str, needles: list[str], runner: CliRunner,
                                              write_parquet: Callable[..., Path],
                                              write_contract: Callable[..., Path]) -> None:
    """A wrong outcomes section stops the audit with exit 2 and one located line, no traceback."""
    text = ("version: 1\nmodel: {name: credit, task: binary_classification}\n"
            f"columns: {{id: id, score: score, label: y{extra}}}\noutcomes: {outcomes}\n")
    data = write_parquet("data.parquet", credit(13, 50))
    res = cli_audit(runner, write_contract(text, "bad.yaml"), data,
                    write_parquet("cur.parquet", credit(14, 50, start=100)))
    assert_one_line_error(res, "bad.yaml:", *needles)


def test_cost_matrix_class_not_in_model_classes_exits_2(runner: CliRunner, write_parquet: Callable[..., Path],
                                                        write_contract: Callable[..., Path]) -> None:
    """A cost matrix naming a class the model does not have is a contract error."""
    text = MULTICLASS.replace("{actual: high, predicted: low, cost: 500}", "{actual: severe, predicted: low, cost: 5}")
    ref = write_parquet("ref.parquet", risk(15, 50))
    res = cli_audit(runner, write_contract(text, "bad.yaml"), ref, write_parquet("cur.parquet", risk(16, 50)))
    assert_one_line_error(res, "bad.yaml:", "outcomes.costs.matrix[0].actual", "'severe'", "model.classes")


def assert_one_line_error(res: Any, *needles: str) -> None:
    assert res.exit_code == 2, res.output
    err = res.stderr
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlaudit: error:"), err
    for needle in needles:
        assert needle in err, (needle, err)


# --------------------------------------------------------------------------- nothing to judge


def test_without_outcomes_checks_are_skipped_with_a_reason(write_parquet: Callable[..., Path],
                                                           write_contract: Callable[..., Path]) -> None:
    """No label column in production and no --outcomes: outcome checks skip and say why, none passes; what
    needs no outcomes (confidence, estimation from the scores) still reports."""
    ref = write_parquet("ref.parquet", credit(17, 2000))
    cur = write_parquet("cur.parquet", credit(117, 2000, start=10**6).drop("y"))
    res = audit(write_contract, CREDIT, ref, cur)
    no_outcomes_needed = ("performance.confidence", "performance.signals", "performance.estimated")
    outcome_checks = [r for r in res.results if r.check not in no_outcomes_needed]
    assert outcome_checks
    for r in outcome_checks:
        assert r.status is Status.skipped, (r.check, r.status)
        assert "outcome column 'y'" in r.message and "--outcomes" in r.message, r.message
    assert {r.check for r in res.results if r.status is Status.passed} <= set(no_outcomes_needed)
    estimated = one(res, "performance.estimated")
    assert estimated.status is Status.passed and estimated.details["chunks"][0]["coverage"] == 0.0


def test_without_outcome_column_confidence_still_reports(write_parquet: Callable[..., Path],
                                                         write_contract: Callable[..., Path]) -> None:
    """Confidence needs no outcomes: it still reports when the label column is absent."""
    ref = write_parquet("ref.parquet", credit(17, 2000))
    cur = write_parquet("cur.parquet", credit(117, 2000, start=10**6).drop("y"))
    r = one(audit(write_contract, CREDIT, ref, cur), "performance.confidence")
    assert r.status is not Status.skipped, r.message
    assert "below confidence 0.6" in r.message


def test_outcomes_not_yet_arrived_skip_and_confidence_reports(write_contract: Callable[..., Path]) -> None:
    """Label column present but empty: outcome checks skip pointing to --outcomes, confidence still judges."""
    ref = credit(18, 3000)
    cur = credit(118, 3000, start=10**6).with_columns(pl.lit(None, dtype=pl.Boolean).alias("y"))
    res = audit(write_contract, CREDIT, ref, cur)
    conf = one(res, "performance.confidence")
    assert conf.status is Status.passed, conf.message
    said = cur["score"].to_numpy()
    assert conf.details["current"] == pytest.approx(float(np.mean(np.maximum(said, 1 - said) < 0.6)))
    for check in ("performance.realised", "performance.cost", "performance.calibration", "performance.slices",
                  "performance.rare_classes", "performance.blindness"):
        r = one(res, check)
        assert r.status is Status.skipped and "no production row has a known outcome yet" in r.message, r.message
    assert one(res, "performance.estimated").status in (Status.passed, Status.warn)


def test_self_audit_skips_every_comparison(write_parquet: Callable[..., Path],
                                           write_contract: Callable[..., Path]) -> None:
    """Reference and current the same file: each comparison is skipped as a self-audit, never passed."""
    same = write_parquet("same.parquet", credit(19, 3000))
    res = audit(write_contract, CREDIT, same, same)
    for check in ("performance.realised", "performance.cost", "performance.rare_classes", "performance.confidence",
                  "performance.estimated", "performance.weak_slices", "performance.blindness"):
        rs = of(res, check)
        assert rs, check
        for r in rs:
            assert r.status is Status.skipped, (check, r.column, r.message)
            assert "self-audit" in r.message, r.message
    for r in of(res, "performance.slices"):
        assert r.status is Status.skipped and ("self-audit" in r.message or r.column == "(small slices)"), r.message


# --------------------------------------------------------------------------- review regressions


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """Independent ROC AUC (Mann-Whitney) for continuous scores without ties."""
    ranks = score.argsort().argsort() + 1.0
    pos = int(y.sum())
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * (y.size - pos)))


def claims_certainty(message: str) -> bool:
    """The message reports p=0 (a certainty no finite sample gives), not p=0.03 or p=0.0001."""
    return any(f"p=0{end}" in message + " " for end in (" ", ")", ";", ","))


def null_where(df: pl.DataFrame, column: str, rows: np.ndarray) -> pl.DataFrame:
    return df.with_columns(pl.when(pl.Series(rows)).then(None).otherwise(pl.col(column)).alias(column))


SIGNALLED = CREDIT + "      signals: [flag]\n"
BINARY_MATRIX = CREDIT.replace("costs: {false_negative: amount, false_positive: 300, currency: EUR}", """costs:
        currency: EUR
        matrix:
          - {actual: 1, predicted: 0, cost: amount}
          - {actual: false, predicted: true, cost: 300}""")


def test_binary_cost_matrix_costs_like_false_negative_and_positive(write_contract: Callable[..., Path]) -> None:
    """A binary cost matrix (cells 1/0 and true/false) works: cost per decision is the matrix applied to the rows."""
    ref, cur = credit(20, 3000), credit(120, 3000, start=10**6)
    r = one(audit(write_contract, BINARY_MATRIX, ref, cur, only=["performance.cost"]), "performance.cost")
    assert r.status is Status.passed, r.message
    assert r.details["current"] == pytest.approx(float(decision_costs(cur).mean()))
    assert r.details["reference"] == pytest.approx(float(decision_costs(ref).mean()))
    assert r.details["decisions"] == cur.height


def test_binary_cost_matrix_with_an_unknown_class_exits_2(runner: CliRunner, write_parquet: Callable[..., Path],
                                                          write_contract: Callable[..., Path]) -> None:
    """A binary cost matrix cell naming a class like 'maybe' (no model.classes) is a one-line contract error."""
    text = BINARY_MATRIX.replace("{actual: 1, predicted: 0, cost: amount}", "{actual: maybe, predicted: 0, cost: 5}")
    ref = write_parquet("ref.parquet", credit(13, 50))
    res = cli_audit(runner, write_contract(text, "bad.yaml"), ref, write_parquet("cur.parquet", credit(14, 50)))
    assert_one_line_error(res, "bad.yaml:", "outcomes.costs.matrix[0].actual", "'maybe'", "model.positive_class")


def test_estimation_without_production_outcomes_uses_the_reference_outcomes(
        write_contract: Callable[..., Path]) -> None:
    """No label column in production: estimation compares with the reference's realised AUC and warns when the
    production scores have lost their spread (estimated AUC far below it)."""
    ref = credit(21, 5000)
    cur = credit(121, 5000, start=10**6).drop("y")
    r = one(audit(write_contract, CREDIT, ref, cur, only=["performance.estimated"]), "performance.estimated")
    assert r.status is Status.passed, r.message
    assert "reference has no outcomes" not in r.message
    expected = auc(ref["score"].to_numpy(), ref["y"].to_numpy())
    assert isinstance(r.details["reference"], float) and r.details["reference"] == pytest.approx(expected)
    noise = cur.with_columns(pl.Series("score", np.random.default_rng(5).uniform(0.3, 0.7, cur.height)))
    r = one(audit(write_contract, CREDIT, ref, noise, only=["performance.estimated"]), "performance.estimated")
    assert r.status is Status.warn, r.message
    assert r.details["reference"] == pytest.approx(expected)
    assert r.details["chunks"][0]["estimate"] < expected - 0.05


def test_missing_or_negative_cost_amounts_are_left_out_of_cost_per_decision(
        write_contract: Callable[..., Path]) -> None:
    """Amounts x1.6 with 40% of them null at random: cost still fails (+~50%) on the rows with an amount and says
    rows were left out; negative amounts are left out too, never a negative cost per decision."""
    ref = credit(22, 5000)
    cur = credit(122, 5000, start=10**6).with_columns(pl.col("amount") * 1.6)
    gone = np.random.default_rng(1).random(cur.height) < 0.4
    r = one(audit(write_contract, CREDIT, ref, null_where(cur, "amount", gone), only=["performance.cost"]),
            "performance.cost")
    assert r.status is Status.fail, r.message
    assert "rows without a cost amount left out" in r.message
    kept = cur.filter(pl.Series(~gone))
    assert r.details["decisions"] == kept.height
    assert r.details["current"] == pytest.approx(float(decision_costs(kept).mean()))
    assert r.value is not None and 0.3 < r.value < 0.8

    cur = credit(123, 5000, start=10**6)
    negative = np.random.default_rng(2).random(cur.height) < 0.3
    cur = cur.with_columns(pl.when(pl.Series(negative)).then(-pl.col("amount")).otherwise(pl.col("amount")))
    r = one(audit(write_contract, CREDIT, ref, cur, only=["performance.cost"]), "performance.cost")
    kept = cur.filter(pl.Series(~negative))
    assert r.details["decisions"] == kept.height
    assert r.details["current"] == pytest.approx(float(decision_costs(kept).mean())) and r.details["current"] > 0
    assert "left out" in r.message


def test_weak_slices_rank_by_error_rate_when_only_production_has_amounts(
        write_contract: Callable[..., Path]) -> None:
    """Amount column missing from the reference only: the weak-slice search compares error rates on both sides,
    no absurd cost percentage."""
    text = CREDIT.replace("      amount: {type: float}\n", "")
    ref, cur = credit(24, 5000).drop("amount"), credit(124, 5000, start=10**6)
    res = audit(write_contract, text, ref, cur, only=["performance.weak_slices", "performance.cost"])
    r = one(res, "performance.weak_slices")
    assert r.details["metric"] == "error rate", r.message
    assert r.status is Status.passed, r.message
    assert "%" not in r.message and "cost" not in r.message
    assert one(res, "performance.cost").status is Status.skipped


def test_four_missed_positives_against_a_large_reference_are_not_a_failure(
        write_contract: Callable[..., Path]) -> None:
    """Reference 20,000 rows, production 120 rows with 4 positives all missed: rare_classes and blindness do not
    fail (0 of 4 is not a certain recall of 0)."""
    text = ("version: 1\nmodel: {name: fraud, task: binary_classification}\n"
            "columns: {id: id, score: score, label: y, segments: [region]}\nfeatures: {region: {type: category}}\n"
            "outcomes: {slices: {min_rows: 20}}\n")
    rng = np.random.default_rng(0)
    n, m = 20000, 120
    score = rng.beta(0.25, 2.5, n)
    ref = pl.DataFrame({"id": np.arange(n), "region": rng.choice(["a", "b"], n), "score": score,
                        "y": rng.random(n) < score})
    s_cur = rng.beta(1.0, 12.0, m)
    s_cur[:4] = [0.3, 0.2, 0.4, 0.1]
    cur = pl.DataFrame({"id": np.arange(10**6, 10**6 + m), "region": rng.choice(["a", "b"], m), "score": s_cur,
                        "y": np.arange(m) < 4})
    res = audit(write_contract, text, ref, cur)
    for check in ("performance.rare_classes", "performance.blindness"):
        rs = of(res, check)
        assert rs and all(r.status not in BAD for r in rs), [(r.column, r.status, r.message) for r in rs]
    assert not [r.message for r in res.results if claims_certainty(r.message)]


def test_one_row_production_cost_is_not_judged(write_contract: Callable[..., Path]) -> None:
    """A single production row (a missed positive): performance.cost is not judged (skipped), never 'p=0'."""
    cur = credit(125, 200, start=10**6).filter(pl.col("y") & (pl.col("score") < 0.5)).head(1)
    res = audit(write_contract, CREDIT, credit(25, 5000), cur, only=["performance.cost"])
    r = one(res, "performance.cost")
    assert r.status is Status.skipped and "not judged" in r.message, r.message
    assert not claims_certainty(r.message)


def test_one_row_production_realised_metrics_are_not_judged(write_contract: Callable[..., Path]) -> None:
    """A single production row: performance.realised neither warns nor fails on it, never 'p=0'."""
    cur = credit(125, 200, start=10**6).filter(pl.col("y") & (pl.col("score") < 0.5)).head(1)
    res = audit(write_contract, CREDIT, credit(25, 5000), cur, only=["performance.realised"])
    rs = of(res, "performance.realised")
    assert rs
    for r in rs:
        assert not claims_certainty(r.message)
        assert r.status not in BAD, (r.column, r.message)


def test_signal_up_from_a_reference_of_zero_warns(write_contract: Callable[..., Path]) -> None:
    """A signal at 0 in the reference and ~15% now warns, saying 'up from 0'."""
    ref = credit(26, 3000).with_columns(pl.lit(0.0).alias("flag"))
    cur = credit(126, 3000, start=10**6)
    flag = (np.random.default_rng(3).random(cur.height) < 0.15).astype(float)
    cur = cur.with_columns(pl.Series("flag", flag))
    r = one(audit(write_contract, SIGNALLED, ref, cur, only=["performance.signals"]), "performance.signals", "flag")
    assert r.status is Status.warn, r.message
    assert "up from 0" in r.message
    assert r.details["current"] == pytest.approx(float(flag.mean()))


def test_empty_production_and_empty_signal_are_skipped_not_passed(write_contract: Callable[..., Path]) -> None:
    """Production with 0 rows: confidence and estimation are skipped; a signal column all null is skipped."""
    ref = credit(27, 3000).with_columns(pl.lit(1.0).alias("flag"))
    cur = credit(127, 3000, start=10**6).with_columns(pl.lit(None, dtype=pl.Float64).alias("flag"))
    res = audit(write_contract, SIGNALLED, ref, cur.head(0))
    for check in ("performance.confidence", "performance.estimated"):
        r = one(res, check)
        assert r.status is Status.skipped, (check, r.message)
    assert not [r for r in res.results if r.status is Status.passed]
    r = one(audit(write_contract, SIGNALLED, ref, cur, only=["performance.signals"]), "performance.signals", "flag")
    assert r.status is Status.skipped and "no value" in r.message, r.message


def test_blindness_without_costs_names_the_slice_with_the_larger_drop(write_contract: Callable[..., Path]) -> None:
    """No costs: of two failing slices, blindness names the one whose headline dropped more."""
    text = ("version: 1\nmodel: {name: m, task: binary_classification}\n"
            "columns: {id: id, score: score, label: y, segments: [region]}\nfeatures: {region: {type: category}}\n"
            "outcomes: {tolerance: 0.05}\n")

    def draw(seed: int, n: int, damage: dict[str, float]) -> pl.DataFrame:
        rng = np.random.default_rng(seed)
        region = rng.choice([f"r{i}" for i in range(10)], n)
        score = rng.beta(2.0, 5.0, n)
        p = score.copy()
        for name, w in damage.items():
            rows = region == name
            p[rows] = (1 - w) * score[rows] + w * rng.beta(2.0, 5.0, int(rows.sum()))  # scores lose information
        return pl.DataFrame({"id": np.arange(n) + seed * 10**6, "region": region, "score": score,
                             "y": rng.random(n) < p})

    res = audit(write_contract, text, draw(0, 30000, {}), draw(1, 30000, {"r1": 0.6, "r8": 1.0}),
                only=["performance.realised", "performance.slices", "performance.blindness"])
    failing = [r for r in of(res, "performance.slices") if r.status is Status.fail]
    assert {r.column for r in failing} == {"region=r1", "region=r8"}, findings(res)
    worst = max(failing, key=lambda r: r.value or 0.0)
    assert worst.column == "region=r8"
    blind = one(res, "performance.blindness")
    assert blind.status is Status.fail, blind.message
    assert "hid: slice region=r8 " in blind.message


def test_multiclass_probabilities_outside_0_1_are_invalid_rows(write_contract: Callable[..., Path]) -> None:
    """Probabilities x3: those rows are invalid; a minority is left out and counted, a majority skips every check."""
    ref, cur = risk(28, 3000), risk(128, 3000, start=10**6)
    tripled = pl.col("p_low") * 3, pl.col("p_mid") * 3, pl.col("p_high") * 3
    res = audit(write_contract, MULTICLASS, ref, cur.with_columns(*tripled))
    assert res.results
    for r in res.results:
        assert r.status is Status.skipped, (r.check, r.message)
        assert "3,000 of 3,000 production predictions are invalid" in r.message, r.message
    bad = np.arange(cur.height) % 4 == 0
    part = cur.with_columns(*(pl.when(pl.Series(bad)).then(c).otherwise(pl.col(c.meta.output_name()))
                              for c in tripled))
    r = one(audit(write_contract, MULTICLASS, ref, part, only=["performance.realised"]), "performance.realised",
            "accuracy")
    valid = cur.filter(pl.Series(~bad))
    said = valid.select("p_low", "p_mid", "p_high").to_numpy().argmax(axis=1)
    y = np.array([CLASSES.index(v) for v in valid["y"]])
    assert r.details["current"] == pytest.approx(float(np.mean(said == y)))
    assert f"{int(bad.sum()):,} rows with an invalid prediction left out" in r.message


def test_scores_on_a_0_100_scale_skip_every_check(write_contract: Callable[..., Path]) -> None:
    """Scores in 0-100: every performance check is skipped for invalid predictions, none judges the rest."""
    cur = credit(129, 3000, start=10**6).with_columns(pl.col("score") * 100)
    res = audit(write_contract, CREDIT, credit(29, 3000), cur)
    assert {r.check for r in res.results} >= {"performance.realised", "performance.cost", "performance.slices",
                                              "performance.weak_slices", "performance.blindness"}
    for r in res.results:
        assert r.status is Status.skipped, (r.check, r.message)
        assert "production predictions are invalid" in r.message, r.message


def test_labels_encoded_1_2_need_positive_class(write_contract: Callable[..., Path]) -> None:
    """Numeric labels 1/2: outcome checks skip asking for model.positive_class; with positive_class 2 they run."""
    ref, cur = credit(30, 3000), credit(130, 3000, start=10**6)
    encode = pl.col("y").cast(pl.Int64) + 1
    ref12, cur12 = ref.with_columns(encode), cur.with_columns(encode)
    res = audit(write_contract, CREDIT, ref12, cur12)
    for check in ("performance.realised", "performance.cost", "performance.calibration", "performance.slices",
                  "performance.blindness"):
        r = one(res, check)
        assert r.status is Status.skipped and "model.positive_class" in r.message, (check, r.message)
    text = CREDIT.replace("task: binary_classification}", "task: binary_classification, positive_class: 2}")
    res = audit(write_contract, text, ref12, cur12)
    head = one(res, "performance.realised", "roc_auc")
    assert head.status is Status.passed, head.message
    assert head.details["current"] == pytest.approx(auc(cur["score"].to_numpy(), cur["y"].to_numpy()))
    assert one(res, "performance.cost").details["current"] == pytest.approx(float(decision_costs(cur).mean()))


def test_list_and_high_cardinality_segments_are_reported_not_sliced(write_contract: Callable[..., Path]) -> None:
    """A list-typed segment column is reported as not sliceable; a float one with thousands of values is not
    sliced into thousands of slices."""
    ref, cur = credit(31, 3000), credit(131, 3000, start=10**6)
    tags = pl.concat_list(pl.col("region"), pl.col("product")).alias("tags")
    text = CREDIT.replace("segments: [region, product]", "segments: [tags, product]")
    res = audit(write_contract, text, ref.with_columns(tags), cur.with_columns(tags), only=["performance.slices"])
    note = one(res, "performance.slices", "(unsliced columns)")
    assert note.status is Status.skipped and "'tags' (List(String))" in note.message, note.message
    assert {r.column for r in of(res, "performance.slices")} == {"(unsliced columns)", "product=card", "product=loan",
                                                                 "product=mortgage"}
    text = CREDIT.replace("segments: [region, product]", "segments: [amount]")
    res = audit(write_contract, text, ref, cur, only=["performance.slices"])
    note = one(res, "performance.slices", "(unsliced columns)")
    assert note.status is Status.skipped and "'amount' (3,000 values)" in note.message, note.message
    assert len(of(res, "performance.slices")) == 1
