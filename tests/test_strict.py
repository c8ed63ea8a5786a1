"""--strict: a check the contract asks for that could not be evaluated fails the gate; checks nobody asked for
(no section, no column role, no --history) do not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

import mlaudit
from mlaudit.cli import app

CONTRACT = """
    version: 1
    model: {name: strict, task: binary_classification}
    owners:
      data_quality: {team: d}
      model_behavior: {team: m}
      decision_impact: {team: o}
      governance: {team: g}
    features:
      x: {type: float}
      code: {type: string}
"""


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(3)
    def frame(n: int) -> pl.DataFrame:
        return pl.DataFrame({"x": rng.normal(size=n), "code": [f"c{i}" for i in range(n)]})
    return frame(2000), frame(2000)


def test_strict_fails_the_gate_on_a_check_that_could_not_look(write_contract: Callable[[str], Path]) -> None:
    """Drift is not computed for a free-text feature: a pass without --strict, a failed gate with it, and the
    reason is the skipped result itself."""
    ref, cur = _frames()
    contract = write_contract(CONTRACT)
    loose = mlaudit.audit(contract, ref, cur, only=["drift.feature"])
    strict = mlaudit.audit(contract, ref, cur, only=["drift.feature"], strict=True)
    assert int(loose.exit_code) == 0 and int(strict.exit_code) == 1
    assert [(r.check, r.column) for r in strict.unevaluated()] == [("drift.feature", "code")]


def test_strict_ignores_checks_nobody_asked_for(write_contract: Callable[[str], Path]) -> None:
    """No labels.sources, no human_review, no service section, no --history: skipped, but not 'could not look'."""
    ref, cur = _frames()
    contract = write_contract(CONTRACT.replace("code: {type: string}",
                                               "code: {type: string, checks: {drift.feature: {enabled: false}}}"))
    result = mlaudit.audit(contract, ref, cur, only=["drift.feature", "labels.agreement", "review", "service",
                                                      "monitoring"], strict=True)
    assert {r.status.value for r in result.results} <= {"pass", "skipped"}
    assert result.unevaluated() == [] and int(result.exit_code) == 0


def test_strict_from_the_command_line_and_the_saved_report(write_contract: Callable[[str], Path],
                                                           write_parquet: Callable[..., Path], tmp_path: Path) -> None:
    """`--strict` on the CLI, and `mlaudit report` of its JSON keeps the same exit code."""
    ref, cur = _frames()
    paths = [str(write_contract(CONTRACT)), str(write_parquet("r.parquet", ref)), str(write_parquet("c.parquet", cur))]
    out = tmp_path / "a.json"
    base = ["audit", "-c", paths[0], "-r", paths[1], "--current", paths[2], "--only", "drift.feature", "-q"]
    runner = CliRunner()
    assert runner.invoke(app, base).exit_code == 0
    assert runner.invoke(app, [*base, "--strict", "--json", str(out)]).exit_code == 1
    assert runner.invoke(app, ["report", str(out), "-q"]).exit_code == 1
