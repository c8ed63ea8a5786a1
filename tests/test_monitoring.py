"""Monitoring over time end to end: the run history (--history), monitoring.persistent, monitoring.trend,
monitoring.retraining and `mlaudit history`.

Nightly runs are simulated with numpy from fixed seeds: one reference snapshot (4,000 rows: four normal
features x1..x4, a category, a score and a binary label drawn from it) and, per night, a current snapshot of
2,000 rows. In the drifting scenario x1's mean moves by STEP reference standard deviations more every night;
in the stable scenario every night is a fresh draw of the reference distribution; the blip scenario is
stable apart from single bad nights. What the monitoring checks should say (streaks, since when, days with
evidence) is recomputed here from the per-night drift.feature statuses collected from the same runs, never
taken from mlaudit's own history code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit import history
from mlaudit.cli import app
from mlaudit.errors import UsageError
from mlaudit.results import AuditResult, Status
from tests.helpers import of, one, one_line_error

Array = np.ndarray[Any, Any]
UTC = dt.timezone.utc
FIRST_NIGHT = dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
STEP = 0.03  # x1's mean moves this many reference sd per night in the drifting scenario
ONLY = ["drift", "monitoring", "validation"]
BAD = ("warn", "fail", "error")
BLOCKS = "▁▂▃▄▅▆▇█"
MAX_DAYS = 5
DRIFT_NIGHTS = 22
NEW_VERSION_NIGHT = 16  # drifting scenario: model.version 2.0.0 from this night on, while x1 still fails
STABLE_NIGHTS = 12
STABLE_NEW_VERSION_NIGHT = 6  # stable scenario: model.version 1.1.0 from this night on, with no evidence
BLIP_NIGHTS = {4: 0.5, 8: 0.5, 9: 0.5}  # blip scenario: x1 shifted by 0.5 sd on these nights only

CONTRACT = """
    version: 1
    model: {name: nightly, version: VERSION, task: binary_classification}
    columns: {id: id, score: score, label: y}
    features:
      x1: {type: float, importance: high}
      x2: {type: float, importance: medium}
      x3: {type: float, importance: low}
      x4: {type: float, importance: low}
      segment: {type: category, importance: low}
    retraining:
      evidence:
        - {name: x1 drifted, check: drift.feature, column: x1, status: fail, consecutive_runs: 3}
      max_days_with_evidence: MAX_DAYS
"""


# --------------------------------------------------------------------------- synthetic nights


def snapshot(seed: int, n: int, shift: float = 0.0, first_id: int = 0, label_noise: float = 0.0) -> pl.DataFrame:
    """Four N(0, 1) features (x1 shifted by `shift`), a category, a calibrated score and its outcome; a share
    `label_noise` of the outcomes is replaced by coin flips (the score stops ranking them)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, 4))
    x[:, 0] += shift
    segment = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    score = 1.0 / (1.0 + np.exp(-(1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2])))
    y = rng.random(n) < score
    noisy = rng.random(n) < label_noise
    y[noisy] = rng.random(int(noisy.sum())) < 0.5
    return pl.DataFrame({"id": np.arange(first_id, first_id + n), "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2],
                         "x4": x[:, 3], "segment": segment, "score": score, "y": y})


def night(k: int) -> dt.datetime:
    """Night k's run time: 06:00 UTC, one day apart, night 1 on 2026-11-01."""
    return FIRST_NIGHT + dt.timedelta(days=k - 1)


def stamp(k: int) -> str:
    return f"{night(k):%Y-%m-%d %H:%M} UTC"


def contract_text(version: str = "1.0.0", extra: str = "", evidence: str | None = None) -> str:
    text = CONTRACT.replace("VERSION", version).replace("MAX_DAYS", str(MAX_DAYS))
    if evidence is not None:
        text = text.replace(
            "        - {name: x1 drifted, check: drift.feature, column: x1, status: fail, consecutive_runs: 3}\n",
            evidence)
    return textwrap.dedent(text).lstrip() + textwrap.dedent(extra)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Nights:
    """The results of a sequence of nightly audits into one history folder; night k is results[k - 1]."""

    folder: Path
    results: list[AuditResult]

    def at(self, k: int) -> AuditResult:
        return self.results[k - 1]

    @property
    def nights(self) -> range:
        return range(1, len(self.results) + 1)

    def statuses(self, check: str, column: str | None) -> list[str | None]:
        """Night by night, the status of (check, column), None when that night had no such result."""
        out: list[str | None] = []
        for res in self.results:
            found = [r.status.value for r in res.results if r.check == check and r.column == column]
            out.append(found[0] if found else None)
        return out


def run_nights(folder: Path, nights: int, current: Callable[[int], pl.DataFrame], contract: Callable[[int], str],
               reference: pl.DataFrame, only: Sequence[str] = ONLY) -> Nights:
    """Audit nights 1..nights one after the other, each reading and extending the history in folder/history."""
    results = []
    for k in range(1, nights + 1):
        text = contract(k)
        path = write(folder / "contracts", f"{hashlib.sha256(text.encode()).hexdigest()[:12]}.yaml", text)
        results.append(mlaudit.audit(path, reference, current(k), history=folder / "history", as_of=night(k),
                                     only=list(only)))
    return Nights(folder / "history", results)


def loaded(folder: Path, model: str | None = None) -> pl.DataFrame:
    data = history.load(folder, model)
    assert data is not None, folder
    return data



def warned(res: AuditResult, check: str) -> set[str | None]:
    """Columns of `check`'s warnings (the monitoring checks name 'check column' there)."""
    return {r.column for r in of(res, check) if r.status is Status.warn}


def streak_ending(statuses: Sequence[str | None], k: int, bad: Sequence[str] = BAD) -> int:
    """Independent: how many nights in a row up to night k (1-based) had one of the `bad` statuses."""
    n = 0
    for s in reversed(statuses[:k]):
        if s not in bad:
            break
        n += 1
    return n


def key(check: str, column: str | None) -> str:
    return f"{check} {column}" if column else check


def auc(score: Array, y: Array) -> float:
    """Independent ROC AUC: the Mann-Whitney statistic on ranks (continuous scores, no ties)."""
    ranks = np.empty(score.size)
    ranks[np.argsort(score)] = np.arange(1, score.size + 1)
    positives = int(y.sum())
    negatives = y.size - positives
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))



# --------------------------------------------------------------------------- scenarios (run once per module)


@pytest.fixture(scope="module")
def reference() -> pl.DataFrame:
    return snapshot(0, 4000)


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory, reference: pl.DataFrame) -> Nights:
    """x1 slides by STEP sd a night; model.version 1.0.0 until night 15, 2.0.0 from NEW_VERSION_NIGHT on."""
    return run_nights(tmp_path_factory.mktemp("drifting"), DRIFT_NIGHTS,
                      lambda k: snapshot(100 + k, 2000, shift=STEP * k, first_id=10**6 * k),
                      lambda k: contract_text("2.0.0" if k >= NEW_VERSION_NIGHT else "1.0.0"), reference)


@pytest.fixture(scope="module")
def stable(tmp_path_factory: pytest.TempPathFactory, reference: pl.DataFrame) -> Nights:
    """Fresh draws of the reference distribution; model.version 1.1.0 from STABLE_NEW_VERSION_NIGHT on."""
    return run_nights(tmp_path_factory.mktemp("stable"), STABLE_NIGHTS,
                      lambda k: snapshot(200 + k, 2000, first_id=10**6 * k),
                      lambda k: contract_text("1.1.0" if k >= STABLE_NEW_VERSION_NIGHT else "1.0.0"), reference)


@pytest.fixture(scope="module")
def blips(tmp_path_factory: pytest.TempPathFactory, reference: pl.DataFrame) -> Nights:
    """Stable, except x1 shifted by 0.5 sd on night 4 alone and on nights 8 and 9."""
    return run_nights(tmp_path_factory.mktemp("blips"), STABLE_NIGHTS,
                      lambda k: snapshot(300 + k, 2000, shift=BLIP_NIGHTS.get(k, 0.0), first_id=10**6 * k),
                      lambda k: contract_text(), reference)


def test_scenarios_drift_as_simulated(drifting: Nights, stable: Nights, blips: Nights) -> None:
    """Sanity of the simulation: x1 warns then fails in the drifting scenario, never in the stable one, and
    exactly on the blip nights in the blip scenario."""
    x1 = drifting.statuses("drift.feature", "x1")
    assert x1[0] == "pass" and x1[-1] == "fail"
    first_bad = next(k for k in drifting.nights if x1[k - 1] in BAD)
    first_fail = x1.index("fail") + 1
    assert first_bad < first_fail  # it warns before it fails: a slow drift
    for column in ("x2", "x3", "x4", "segment"):
        assert set(drifting.statuses("drift.feature", column)) == {"pass"}
    for k in stable.nights:
        assert [r for r in stable.at(k).results if r.check.startswith("drift.") and r.status.value in BAD] == []
    assert [k for k, s in zip(blips.nights, blips.statuses("drift.feature", "x1"), strict=True)
            if s in BAD] == sorted(BLIP_NIGHTS)


# --------------------------------------------------------------------------- monitoring.persistent


def expected_persistent(scenario: Nights, k: int, need: int) -> set[str]:
    """Independent: every non-monitoring (check, column) whose status was bad on `need` or more nights in a row
    up to night k."""
    out = set()
    for r in scenario.at(k).results:
        if r.check.startswith("monitoring.") or r.status.value not in BAD:
            continue
        if streak_ending(scenario.statuses(r.check, r.column), k) >= need:
            out.add(key(r.check, r.column))
    return out


def test_persistent_reports_x1_from_the_night_its_streak_reaches_three(drifting: Nights) -> None:
    """monitoring.persistent names drift.feature x1 exactly on the nights its warn/fail streak is >= 3, with the
    streak length and since when; every other persistent finding also matches the recomputed streaks."""
    x1 = drifting.statuses("drift.feature", "x1")
    reported = [k for k in drifting.nights if "drift.feature x1" in warned(drifting.at(k), "monitoring.persistent")]
    expected = [k for k in drifting.nights if streak_ending(x1, k) >= 3]
    assert reported == expected
    first = expected[0]
    assert streak_ending(x1, first) == 3 and streak_ending(x1, first - 1) == 2
    for k in reported:
        streak = streak_ending(x1, k)
        r = one(drifting.at(k), "monitoring.persistent", "drift.feature x1")
        assert r.value == float(streak) and r.details["runs"] == streak
        assert dt.datetime.fromisoformat(r.details["since"]) == night(k - streak + 1)
        assert f"{streak} runs in a row, since {stamp(k - streak + 1)}" in r.message
        assert r.severity == "warning"
    for k in drifting.nights:
        assert warned(drifting.at(k), "monitoring.persistent") == expected_persistent(drifting, k, 3), k


def test_persistent_runs_setting_moves_the_night(tmp_path: Path, reference: pl.DataFrame) -> None:
    """history.persistent_runs: 5 reports x1 only once its streak reaches 5."""
    scenario = run_nights(tmp_path, 12, lambda k: snapshot(100 + k, 2000, shift=STEP * k, first_id=10**6 * k),
                          lambda k: contract_text(extra="history: {persistent_runs: 5}\n"), reference,
                          only=["drift.feature", "monitoring"])
    x1 = scenario.statuses("drift.feature", "x1")
    reported = [k for k in scenario.nights if "drift.feature x1" in warned(scenario.at(k), "monitoring.persistent")]
    assert reported and reported == [k for k in scenario.nights if streak_ending(x1, k) >= 5]
    assert streak_ending(x1, reported[0]) == 5


def test_blips_are_never_persistent(blips: Nights) -> None:
    """A single bad night (and a pair of them) never makes monitoring.persistent warn, on any check."""
    for k in blips.nights:
        assert warned(blips.at(k), "monitoring.persistent") == set(), k
        if k > 1:
            assert one(blips.at(k), "monitoring.persistent").status is Status.passed


# --------------------------------------------------------------------------- monitoring.trend


def test_trend_warns_on_x1_before_it_fails(drifting: Nights) -> None:
    """monitoring.trend flags drift.feature x1 on some night while x1 is still below its fail level, before the
    first night x1 fails; the series it reports is x1's statistic over the latest nights."""
    x1 = drifting.statuses("drift.feature", "x1")
    first_fail = x1.index("fail") + 1
    nights = [k for k in drifting.nights if "drift.feature x1" in warned(drifting.at(k), "monitoring.trend")]
    assert nights and nights[0] < first_fail, (nights, first_fail)
    values = [one(drifting.at(k), "drift.feature", "x1").value for k in drifting.nights]
    for k in nights:
        now = one(drifting.at(k), "drift.feature", "x1")
        assert now.status is not Status.fail and now.value is not None and now.threshold is not None
        assert now.value < now.threshold
        r = one(drifting.at(k), "monitoring.trend", "drift.feature x1")
        series = r.details["series"]
        assert 4 <= len(series) <= 8
        assert series == pytest.approx(values[k - len(series):k])
        assert r.details["slope"] > 0 and r.details["p_value_adjusted"] < 0.01
        assert r.value is not None and 0 <= r.value <= 7  # runs to the fail level, within history.trend_horizon
        assert r.value == pytest.approx((now.threshold - now.value) / r.details["slope"])
        assert r.severity == "warning"
    for k in drifting.nights:  # the features that do not move never trend
        assert not {f"drift.feature {c}" for c in ("x2", "x3", "x4", "segment")} & warned(drifting.at(k),
                                                                                         "monitoring.trend")


def test_stable_nights_raise_no_trend_and_nothing_persistent(stable: Nights) -> None:
    """Twelve nights drawn from the reference distribution: no monitoring.trend, no monitoring.persistent."""
    for k in stable.nights:
        assert warned(stable.at(k), "monitoring.trend") == set(), k
        assert warned(stable.at(k), "monitoring.persistent") == set(), k
    assert one(stable.at(STABLE_NIGHTS), "monitoring.trend").status is Status.passed


# --------------------------------------------------------------------------- monitoring.retraining


def test_retraining_recommended_from_the_third_failing_night_then_overdue(drifting: Nights) -> None:
    """'x1 drifted' (drift.feature x1 fails 3 runs in a row) passes until the third consecutive failing night,
    then warns 'retraining recommended' since the first failing night, and fails once the evidence has held more
    than max_days_with_evidence days under the same model.version."""
    x1 = drifting.statuses("drift.feature", "x1")
    observed = []
    for k in range(2, NEW_VERSION_NIGHT):  # night 1: see test_first_run_into_a_new_history_folder_...
        r = one(drifting.at(k), "monitoring.retraining", "x1 drifted")
        streak = streak_ending(x1, k, ("fail",))
        observed.append((k, r.status.value))
        if streak < 3:
            assert r.status is Status.passed, (k, r.message)
            assert "retraining recommended" not in r.message
            continue
        start = k - streak + 1
        days = k - start
        assert r.status is (Status.fail if days > MAX_DAYS else Status.warn), (k, r.message)
        assert "retraining recommended" in r.message and f"since {stamp(start)}" in r.message
        assert r.value == pytest.approx(days)
        assert (r.details["runs"], r.details["matched"]) == (streak, ["drift.feature x1"])
        assert dt.datetime.fromisoformat(r.details["since"]) == night(start)
        assert ("without a new model.version" in r.message) is (days > MAX_DAYS)
    statuses = [s for _, s in observed]
    assert "warn" in statuses and "fail" in statuses  # both reached within the simulated nights
    assert one(drifting.at(NEW_VERSION_NIGHT - 1), "monitoring.retraining", "x1 drifted").status is Status.fail


def test_new_version_while_evidence_holds_is_not_an_uncalled_retrain(drifting: Nights) -> None:
    """model.version 2.0.0 arrives while x1 still fails: no '(model version)' finding, and the evidence is a
    recommendation again (warn) rather than overdue."""
    for k in drifting.nights:
        assert [r for r in of(drifting.at(k), "monitoring.retraining") if r.column == "(model version)"] == []
    r = one(drifting.at(NEW_VERSION_NIGHT), "monitoring.retraining", "x1 drifted")
    assert r.status is Status.warn and "retraining recommended" in r.message


def test_evidence_ignored_after_a_retrain_becomes_overdue_again(drifting: Nights) -> None:
    """x1 keeps failing every night after model.version 2.0.0 (night 16): once it has held more than
    max_days_with_evidence days under 2.0.0 (night 22: 6 days), the evidence is overdue again."""
    x1 = drifting.statuses("drift.feature", "x1")
    assert all(s == "fail" for s in x1[NEW_VERSION_NIGHT - 1:])
    got = [one(drifting.at(k), "monitoring.retraining", "x1 drifted").status.value
           for k in range(NEW_VERSION_NIGHT, DRIFT_NIGHTS + 1)]
    expected = ["fail" if k - NEW_VERSION_NIGHT > MAX_DAYS else "warn"
                for k in range(NEW_VERSION_NIGHT, DRIFT_NIGHTS + 1)]
    assert got == expected


def test_stable_nights_never_recommend_retraining_and_flag_an_uncalled_new_version(stable: Nights) -> None:
    """No evidence in the stable scenario; the night model.version changes (1.0.0 -> 1.1.0) with no evidence
    held, monitoring.retraining warns with column '(model version)', and on that night only."""
    for k in stable.nights[1:]:  # night 1: see test_first_run_into_a_new_history_folder_is_not_told_to_pass_it
        r = one(stable.at(k), "monitoring.retraining", "x1 drifted")
        assert r.status is Status.passed and "retraining recommended" not in r.message, (k, r.message)
    flagged = [k for k in stable.nights
               if any(r.column == "(model version)" for r in of(stable.at(k), "monitoring.retraining"))]
    assert flagged == [STABLE_NEW_VERSION_NIGHT]
    r = one(stable.at(STABLE_NEW_VERSION_NIGHT), "monitoring.retraining", "(model version)")
    assert r.status is Status.warn
    assert "1.0.0" in r.message and "1.1.0" in r.message
    assert (r.details["previous_version"], r.details["version"]) == ("1.0.0", "1.1.0")


def test_realised_auc_floor_is_evidence_on_the_nights_it_is_broken(tmp_path: Path, reference: pl.DataFrame) -> None:
    """{check: performance.realised, column: roc_auc, current_below: 0.75} holds exactly on the nights whose
    labels (partly coin flips) bring the AUC, recomputed with numpy, below 0.75; the history keeps that AUC."""
    noise = {1: 0.0, 2: 0.0, 3: 0.6, 4: 0.0, 5: 0.3}
    currents = {k: snapshot(600 + k, 2000, first_id=10**6 * k, label_noise=share) for k, share in noise.items()}
    aucs = {k: auc(c["score"].to_numpy(), c["y"].to_numpy()) for k, c in currents.items()}
    assert sorted(k for k, v in aucs.items() if v < 0.75) == [3, 5]  # the noise breaks the floor on 3 and 5
    assert auc(reference["score"].to_numpy(), reference["y"].to_numpy()) > 0.75
    floor = "        - {name: auc floor, check: performance.realised, column: roc_auc, current_below: 0.75}\n"
    scenario = run_nights(tmp_path, len(noise), currents.__getitem__, lambda k: contract_text(evidence=floor),
                          reference, only=["performance.realised", "monitoring.retraining"])
    for k in scenario.nights:
        realised = one(scenario.at(k), "performance.realised", "roc_auc")
        assert realised.details["current"] == pytest.approx(aucs[k], abs=1e-9)
        r = one(scenario.at(k), "monitoring.retraining", "auc floor")
        if aucs[k] < 0.75:
            assert r.status is Status.warn and "retraining recommended" in r.message, (k, r.message)
            assert f"since {stamp(k)}" in r.message  # the night before held no evidence
        else:
            assert r.status is Status.passed and "does not hold" in r.message, (k, r.message)
    data = loaded(scenario.folder)
    assert history.series(data, "performance.realised", "roc_auc").height == len(noise)
    current = data.filter((pl.col("check") == "performance.realised") & (pl.col("column") == "roc_auc"))["current"]
    assert current.to_list() == pytest.approx([aucs[k] for k in sorted(aucs)], abs=1e-9)


# --------------------------------------------------------------------------- without --history


def test_without_history_the_history_checks_are_skipped_and_single_run_evidence_works(
    tmp_path: Path, reference: pl.DataFrame,
) -> None:
    """No --history: persistent and trend are skipped naming --history, a 3-runs condition is skipped, and a
    1-run condition is judged on this run alone."""
    evidence = ("        - {name: x1 drifted, check: drift.feature, column: x1, status: fail, consecutive_runs: 3}\n"
                "        - {name: x1 drifted now, check: drift.feature, column: x1, status: fail}\n")
    contract = write(tmp_path, "c.yaml", contract_text(evidence=evidence))
    res = mlaudit.audit(contract, reference, snapshot(7, 2000, shift=0.5), as_of=night(1), only=ONLY)
    assert one(res, "drift.feature", "x1").status is Status.fail
    for check in ("monitoring.persistent", "monitoring.trend"):
        r = one(res, check)
        assert r.status is Status.skipped and "--history" in r.message, r.message
    multi = one(res, "monitoring.retraining", "x1 drifted")
    assert multi.status is Status.skipped and "--history" in multi.message and "3 runs" in multi.message
    single = one(res, "monitoring.retraining", "x1 drifted now")
    assert single.status is Status.warn and "retraining recommended" in single.message
    assert f"since {stamp(1)}" in single.message and single.value == 0.0
    assert list(tmp_path.iterdir()) == [contract]  # nothing written anywhere


def test_first_run_into_an_existing_empty_folder_judges_with_no_history(tmp_path: Path,
                                                                       reference: pl.DataFrame) -> None:
    """An empty history folder is an empty history: persistent and trend pass, the 3-runs condition is judged."""
    folder = tmp_path / "history"
    folder.mkdir()
    contract = write(tmp_path, "c.yaml", contract_text())
    res = mlaudit.audit(contract, reference, snapshot(7, 2000, shift=0.5), history=folder, as_of=night(1),
                        only=ONLY)
    assert one(res, "monitoring.persistent").status is Status.passed
    assert one(res, "monitoring.trend").status is Status.passed
    r = one(res, "monitoring.retraining", "x1 drifted")
    assert r.status is Status.passed and "1 of the 3 runs" in r.message
    assert len(list(folder.glob("run-*.parquet"))) == 1


def test_first_run_into_a_new_history_folder_is_not_told_to_pass_it(tmp_path: Path,
                                                                    reference: pl.DataFrame) -> None:
    """--history naming a folder that does not exist yet (the first nightly run): it is created, and the
    history checks judge an empty history rather than asking for --history."""
    contract = write(tmp_path, "c.yaml", contract_text())
    res = mlaudit.audit(contract, reference, snapshot(7, 2000, shift=0.5), history=tmp_path / "new",
                        as_of=night(1), only=ONLY)
    assert len(list((tmp_path / "new").glob("run-*.parquet"))) == 1
    got = {(r.check, r.column): (r.status.value, r.message) for r in res.results if r.check.startswith("monitoring")}
    assert all("pass --history" not in message for _, message in got.values()), got
    assert got[("monitoring.persistent", None)][0] == "pass"
    assert got[("monitoring.retraining", "x1 drifted")][0] == "pass"


# --------------------------------------------------------------------------- the history store


def test_store_has_one_file_per_run_and_load_returns_every_row(drifting: Nights) -> None:
    """One run-*.parquet per night and nothing else; load returns every result of every run, oldest first; runs
    lists the nights in as_of order with their verdicts and counts; series gives x1's statistic per night."""
    files = sorted(p.name for p in drifting.folder.iterdir())
    assert len(files) == DRIFT_NIGHTS and all(re.fullmatch(r"run-\d{8}T\d{6}-[0-9a-f]{12}\.parquet", f)
                                              for f in files)
    data = history.load(drifting.folder)
    assert data is not None
    assert list(data.columns) == list(history.SCHEMA)
    assert data.height == sum(len(r.results) for r in drifting.results)
    assert data["run_id"].n_unique() == DRIFT_NIGHTS
    assert data["as_of"].is_sorted()
    assert loaded(drifting.folder, "nightly").equals(data)
    assert loaded(drifting.folder, "other").height == 0
    runs = history.runs(data)
    assert runs.height == DRIFT_NIGHTS
    assert runs["as_of"].to_list() == [night(k) for k in drifting.nights]
    assert runs["verdict"].to_list() == [r.verdict.value for r in drifting.results]
    assert runs["exit_code"].to_list() == [int(r.exit_code) for r in drifting.results]
    assert runs["model_version"].to_list() == ["2.0.0" if k >= NEW_VERSION_NIGHT else "1.0.0"
                                               for k in drifting.nights]
    assert runs["fail"].to_list() == [sum(r.status is Status.fail for r in res.results) for res in drifting.results]
    assert runs["warn"].to_list() == [sum(r.status is Status.warn for r in res.results) for res in drifting.results]
    assert set(runs["run_id"].to_list()) == {f.removeprefix("run-").removesuffix(".parquet") for f in files}
    series = history.series(data, "drift.feature", "x1")
    assert series["value"].to_list() == pytest.approx([one(r, "drift.feature", "x1").value for r in drifting.results])
    assert series["status"].to_list() == drifting.statuses("drift.feature", "x1")
    assert series["threshold"].to_list() == [0.2] * DRIFT_NIGHTS


def test_store_is_readable_by_plain_polars_without_mlaudit(drifting: Nights) -> None:
    """polars.read_parquet('folder/*.parquet') in a fresh interpreter that never imports mlaudit."""
    code = ("import sys, polars as pl\n"
            f"d = pl.read_parquet({str(drifting.folder / '*.parquet')!r})\n"
            "assert 'mlaudit' not in sys.modules\n"
            "print(d.height, d['run_id'].n_unique(), ','.join(d.columns), d.schema['as_of'], sep='\\n')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    height, runs, columns, as_of = out.stdout.splitlines()
    assert int(height) == sum(len(r.results) for r in drifting.results)
    assert int(runs) == DRIFT_NIGHTS
    assert columns.split(",") == list(history.SCHEMA)
    assert as_of == "Datetime(time_unit='us', time_zone='UTC')"  # a timestamp column, not text


def test_damaged_run_file_is_a_one_line_usage_error(drifting: Nights, tmp_path: Path, runner: CliRunner,
                                                    reference: pl.DataFrame) -> None:
    """A truncated run file: load raises UsageError (one line, says which folder), the CLI exits 2, and an audit
    with that --history stops rather than judging on part of the history."""
    folder = tmp_path / "history"
    shutil.copytree(drifting.folder, folder)
    victim = sorted(folder.glob("run-*.parquet"))[3]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(UsageError) as caught:
        history.load(folder)
    assert "\n" not in str(caught.value) and str(folder) in str(caught.value) and "damaged" in str(caught.value)
    one_line_error(runner.invoke(app, ["history", str(folder)]), str(folder))
    contract = write(tmp_path, "c.yaml", contract_text())
    with pytest.raises(UsageError):
        mlaudit.audit(contract, reference, snapshot(7, 2000), history=folder, as_of=night(30), only=ONLY)
    assert len(list(folder.glob("run-*.parquet"))) == DRIFT_NIGHTS  # nothing appended


def test_history_path_that_is_a_file_is_a_usage_error(drifting: Nights, tmp_path: Path, runner: CliRunner) -> None:
    """A file where the history folder should be: load and append raise UsageError; the CLI exits 2."""
    path = write(tmp_path, "history.txt", "not a folder\n")
    with pytest.raises(UsageError, match="not a folder"):
        history.load(path)
    with pytest.raises(UsageError):
        history.append(path, drifting.results[0])
    assert path.read_text(encoding="utf-8") == "not a folder\n"
    one_line_error(runner.invoke(app, ["history", str(path)]), "not a folder")


def _append_runs(folder: str, result: AuditResult, times: int, barrier: Any) -> None:
    """Child process: wait for the others, then append `result` to the history `times` times."""
    barrier.wait(timeout=120)
    for _ in range(times):
        history.append(Path(folder), result)


def test_concurrent_appends_from_four_processes(drifting: Nights, tmp_path: Path) -> None:
    """4 spawned processes x 10 appends of a pickled AuditResult into one folder: 40 files, 40 distinct run ids,
    load returns 40 runs, and no temporary file is left."""
    result = drifting.at(DRIFT_NIGHTS)
    assert len(pickle.loads(pickle.dumps(result)).results) == len(result.results)
    folder = tmp_path / "shared"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_append_runs, args=(str(folder), result, 10, barrier)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 40 and all(n.startswith("run-") and n.endswith(".parquet") for n in names), names
    data = history.load(folder)
    assert data is not None
    assert data["run_id"].n_unique() == 40
    assert history.runs(data).height == 40
    assert data.height == 40 * len(result.results)


# --------------------------------------------------------------------------- CLI


def test_cli_history_lists_the_runs(drifting: Nights, runner: CliRunner) -> None:
    """`mlaudit history FOLDER`: exit 0, the run count, and one line per run in as_of order with its verdict."""
    res = runner.invoke(app, ["history", str(drifting.folder)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == f"{DRIFT_NIGHTS} run(s)"
    rows = lines[2:]
    assert len(rows) == DRIFT_NIGHTS
    data = history.load(drifting.folder)
    assert data is not None
    for k, (line, run_id) in enumerate(zip(rows, history.runs(data)["run_id"].to_list(), strict=True), start=1):
        assert line.startswith(f"{night(k):%Y-%m-%d %H:%M:%S} UTC"), line
        assert line.endswith(run_id) and drifting.at(k).verdict.value in line.split()


def test_cli_history_series_shows_values_and_a_sparkline(drifting: Nights, runner: CliRunner) -> None:
    """--check drift.feature --column x1: a sparkline rising with x1's statistic, then one line per night with the
    status and the value."""
    res = runner.invoke(app, ["history", str(drifting.folder), "--check", "drift.feature", "--column", "x1"])
    assert res.exit_code == 0, res.output
    head, *rows = res.stdout.splitlines()
    assert head.startswith("drift.feature x1  ")
    spark = head.removeprefix("drift.feature x1  ")
    values = [one(r, "drift.feature", "x1").value or 0.0 for r in drifting.results]
    assert len(spark) == DRIFT_NIGHTS and set(spark) <= set(BLOCKS)
    assert spark[int(np.argmin(values))] == BLOCKS[0] and spark[int(np.argmax(values))] == BLOCKS[-1]
    assert len(rows) == DRIFT_NIGHTS
    statuses = drifting.statuses("drift.feature", "x1")
    for k, line in enumerate(rows, start=1):
        assert line.split()[:4] == [f"{night(k):%Y-%m-%d}", f"{night(k):%H:%M}", "UTC", statuses[k - 1]], line
        assert f"{values[k - 1]:.4g}" in line and "(fail above 0.2)" in line
    missing = runner.invoke(app, ["history", str(drifting.folder), "--check", "drift.feature", "--column", "nope"])
    assert missing.exit_code == 0 and "no result of drift.feature on nope" in missing.stdout


def test_cli_history_html_is_a_self_contained_page(drifting: Nights, runner: CliRunner, tmp_path: Path) -> None:
    """--html writes one page with inline SVG charts and the listing, loading nothing from elsewhere."""
    out = tmp_path / "out.html"
    res = runner.invoke(app, ["history", str(drifting.folder), "--check", "drift.feature", "--column", "x1",
                              "--html", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") >= 2  # findings per run, and x1's statistic
    assert "drift.feature x1" in page
    for outside in ("<script", "<link", "src=", "@import", "url("):
        assert outside not in page, outside
    assert all(u == "http://www.w3.org/2000/svg" for u in re.findall(r"https?://[^\"' )<>]+", page))


def test_cli_history_missing_folder_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    one_line_error(runner.invoke(app, ["history", str(tmp_path / "nowhere")]), "no such history folder")
    assert not (tmp_path / "nowhere").exists()


def test_cli_audit_history_option_adds_a_run_each_time(runner: CliRunner, tmp_path: Path,
                                                       reference: pl.DataFrame) -> None:
    """`mlaudit audit --history FOLDER` twice: two run files, and the second run reads the first."""
    contract = write(tmp_path, "c.yaml", contract_text())
    ref = tmp_path / "ref.parquet"
    reference.write_parquet(ref)
    folder = tmp_path / "history"
    folder.mkdir()
    for k in (1, 2):
        cur = tmp_path / f"cur{k}.parquet"
        snapshot(400 + k, 2000, first_id=10**6 * k).write_parquet(cur)
        out = tmp_path / f"r{k}.json"
        res = runner.invoke(app, ["audit", "-c", str(contract), "-r", str(ref), "--current", str(cur), "--history",
                                  str(folder), "--as-of", night(k).isoformat(), "--only", "drift", "--only",
                                  "monitoring", "--quiet", "--json", str(out)])
        assert res.exit_code == 0, res.output
        assert len(list(folder.glob("run-*.parquet"))) == k
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    statuses = {(r["check"], r["column"]): r["status"] for r in report["results"]}
    assert statuses[("monitoring.persistent", None)] == "pass"
    assert statuses[("monitoring.retraining", "x1 drifted")] == "pass"
    data = history.load(folder)
    assert data is not None and history.runs(data)["as_of"].to_list() == [night(1), night(2)]


def test_reports_show_each_statistics_recent_runs(tmp_path: Path) -> None:
    """With --history every result carries its statistic over the latest runs, drawn as a sparkline in the terminal
    and HTML reports (freshness ages by a day each night here)."""
    from mlaudit.report import html, terminal
    from tests.conftest import SAMPLE

    folder = tmp_path / "history"
    result = None
    for day in range(1, 5):
        result = mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                               as_of=f"2026-11-0{day}T06:00:00Z", only=["validation.freshness"], history=folder)
    assert result is not None
    fresh = next(r for r in result.results if r.check == "validation.freshness")
    recent = fresh.details["recent"]
    assert len(recent) == 4 and recent[-1] == fresh.value
    assert [recent[i + 1] - recent[i] for i in range(3)] == pytest.approx([24.0, 24.0, 24.0])
    assert "▁▃▆█" in terminal.render(result, width=120)
    assert html.render(result).count("<svg") >= 1
