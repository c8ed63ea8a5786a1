"""Shared fixtures: tiny hand-made snapshots and contracts written to a temp folder."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit import AuditResult, Clock

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FIXED_NOW = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc)

#: Environment that changes what the CLI prints or where it writes: colours forced by a CI runner, a narrow
#: terminal, a GitHub step summary. Tests assert the plain output, so none of it leaks in from the machine.
TERMINAL_ENVIRONMENT = ("FORCE_COLOR", "NO_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS",
                        "LINES", "JUPYTER_COLUMNS", "JUPYTER_LINES", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and the CLI subprocesses it starts) sees none of TERMINAL_ENVIRONMENT."""
    for name in TERMINAL_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fixed_clock() -> Clock:
    """A clock that always says FIXED_NOW and whose timer never advances."""
    return Clock(now=lambda: FIXED_NOW, timer=lambda: 0.0)


@pytest.fixture
def write_parquet(tmp_path: Path) -> Callable[..., Path]:
    """write_parquet(name, {col: values}) -> path of a Parquet file under tmp_path."""

    def write(name: str, data: dict[str, Any] | pl.DataFrame) -> Path:
        frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        return path

    return write


@pytest.fixture
def write_contract(tmp_path: Path) -> Callable[[str], Path]:
    """write_contract(yaml_text) -> path; the text is dedented."""

    def write(text: str, name: str = "contract.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_audit(
    write_parquet: Callable[..., Path], write_contract: Callable[..., Path], fixed_clock: Clock
) -> Callable[..., AuditResult]:
    """run_audit(yaml, current, reference=None, only=[...], **audit_kwargs) via Parquet files."""

    def run(
        contract_yaml: str,
        current: dict[str, Any] | pl.DataFrame,
        reference: dict[str, Any] | pl.DataFrame | None = None,
        *,
        only: Sequence[str],
        **kwargs: Any,
    ) -> AuditResult:
        contract = write_contract(contract_yaml)
        cur = write_parquet("current.parquet", current)
        ref = write_parquet("reference.parquet", current if reference is None else reference)
        return mlaudit.audit(contract, ref, cur, clock=fixed_clock, only=only, **kwargs)

    return run


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
