"""Defaults of the label and leakage checks: quiet on a clean, realistic model; loud on a planted leak."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import mlaudit
from mlaudit.results import Status

CONTRACT = """version: 1
model: {name: m, task: binary_classification, trained_at: 2026-06-01}
columns: {id: id, entity: customer, event_time: at, score: p, label: y, label_time: known_at}
labels: {delay: 10d}
features:
%s
"""


def _snapshot(rng: np.random.Generator, rows: int, start: dt.datetime, first_id: int, leak: str | None = None
              ) -> pl.DataFrame:
    """A calibrated binary model's log: 8 numeric and 3 categorical inputs, one strong (AUC ~0.8)."""
    x = rng.normal(size=(rows, 8))
    region = rng.choice(["n", "s", "e", "w"], rows)
    product = rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2])
    channel = rng.choice([f"c{i}" for i in range(40)], rows)
    logit = -1.8 + 1.2 * x[:, 0] + 0.5 * x[:, 1] - 0.3 * x[:, 2] + 0.4 * (product == "c")
    p = 1 / (1 + np.exp(-logit))
    y = rng.random(rows) < p
    at = [start + dt.timedelta(minutes=int(m)) for m in np.sort(rng.integers(0, 60 * 24 * 60, rows))]
    frame = pl.DataFrame({
        "id": np.arange(first_id, first_id + rows), "customer": rng.integers(0, rows // 3, rows), "at": at,
        **{f"x{i}": x[:, i] for i in range(8)}, "region": region, "product": product, "channel": channel,
        "p": p, "y": y})
    frame = frame.with_columns(known_at=pl.col("at") + pl.duration(days=7))
    if leak == "training":
        noisy = y ^ (rng.random(rows) < 0.03)
        frame = frame.with_columns(flag=pl.Series(noisy))
    elif leak == "production":
        frame = frame.with_columns(flag=pl.Series(rng.random(rows) < y.mean()))
    return frame


def _features(leak: bool) -> str:
    lines = [f"  x{i}: {{type: float}}" for i in range(8)]
    lines += ["  region: {type: category}", "  product: {type: category}", "  channel: {type: category}"]
    if leak:
        lines.append("  flag: {type: bool}")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_model_raises_no_label_or_leakage_finding(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = _snapshot(rng, 20_000, dt.datetime(2026, 3, 1), 0).filter(pl.col("known_at") < dt.datetime(2026, 6, 1))
    cur = _snapshot(rng, 20_000, dt.datetime(2026, 7, 1), 1_000_000)
    contract = tmp_path / "c.yaml"
    contract.write_text(CONTRACT % _features(False), encoding="utf-8")
    res = mlaudit.audit(contract, ref, cur, as_of=dt.datetime(2026, 9, 15, tzinfo=dt.timezone.utc),
                        only=["labels", "leakage"])
    assert not res.findings(), [r.message for r in res.findings()]
    judged = {r.check for r in res.results if r.status is Status.passed}
    assert {"labels.conflicts", "labels.validity", "labels.coverage", "labels.suspected_errors",
            "leakage.single_feature", "leakage.vanishing", "leakage.identifier", "leakage.after_training",
            "leakage.labels_after_training", "leakage.period_overlap", "leakage.overlap"} <= judged
    strongest = max((r for r in res.results if r.check == "leakage.single_feature"), key=lambda r: r.value or 0)
    assert strongest.column == "x0" and 0.7 < (strongest.value or 0) < 0.85  # strong, legitimate, not a leak


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_leak_is_the_only_finding(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = _snapshot(rng, 20_000, dt.datetime(2026, 3, 1), 0, leak="training")
    ref = ref.filter(pl.col("known_at") < dt.datetime(2026, 6, 1))
    cur = _snapshot(rng, 20_000, dt.datetime(2026, 7, 1), 1_000_000, leak="production")
    contract = tmp_path / "c.yaml"
    contract.write_text(CONTRACT % _features(True), encoding="utf-8")
    res = mlaudit.audit(contract, ref, cur, as_of=dt.datetime(2026, 9, 15, tzinfo=dt.timezone.utc),
                        only=["labels", "leakage"])
    assert {(r.check, r.column) for r in res.findings()} == {("leakage.single_feature", "flag"),
                                                            ("leakage.vanishing", "flag")}
    assert all(r.status is Status.fail for r in res.findings())
