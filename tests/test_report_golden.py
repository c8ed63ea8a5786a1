"""Formatters against golden files, on one shared result with a fixed clock.

Regenerate on purpose, after reading the diff: MLAUDIT_REGEN_GOLDEN=1 python -m pytest tests/test_report_golden.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import mlaudit
from mlaudit import Clock
from mlaudit.report import json as json_report
from mlaudit.report import markdown, terminal
from mlaudit.results import AuditResult
from tests.conftest import FIXED_NOW, ROOT, SAMPLE

GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    work = tmp_path_factory.mktemp("golden")
    for name in ("contract.yaml", "reference.parquet", "outcomes.parquet"):
        shutil.copy(SAMPLE / name, work / name)
    shutil.copytree(SAMPLE / "current", work / "current")
    cwd = Path.cwd()
    os.chdir(work)  # relative paths keep the report free of machine paths
    try:
        return mlaudit.audit("contract.yaml", "reference.parquet", "current", "outcomes.parquet",
                             clock=Clock(now=lambda: FIXED_NOW, timer=lambda: 0.0))
    finally:
        os.chdir(cwd)


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MLAUDIT_REGEN_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; regenerate on purpose if intended"


def test_json_report_matches_golden(result: AuditResult) -> None:
    _compare("sample.json", json_report.render(result))


def test_markdown_summary_matches_golden(result: AuditResult) -> None:
    _compare("sample.md", markdown.render(result))


def test_terminal_report_matches_golden(result: AuditResult) -> None:
    _compare("sample.txt", terminal.render(result, width=120, color=False))


def test_narrow_terminal_keeps_every_finding_readable(result: AuditResult) -> None:
    text = terminal.render(result, width=60, color=False)
    assert max(len(line) for line in text.splitlines()) <= 60
    for r in result.findings():
        assert r.check in text


def test_no_color_output_has_no_escape_codes(result: AuditResult) -> None:
    assert "\x1b[" not in terminal.render(result, color=False)
    assert "\x1b[" in terminal.render(result, color=True)
