"""The HTML report: self-contained, small, escaped, and readable in a real browser.

The browser test runs headless Chromium (Debian's `chromium`, installed by .ci/run) through Playwright's
Python package; it is skipped where neither is available. Regenerate the screenshot in docs/ on purpose:
MLAUDIT_REGEN_SCREENSHOT=1 python -m pytest tests/test_report_html.py
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit import Clock
from mlaudit.cli import app
from mlaudit.report import html
from mlaudit.report import json as json_report
from mlaudit.results import AuditResult, FailureMode, Status
from tests.conftest import FIXED_NOW, ROOT, SAMPLE

CHROMIUM = Path("/usr/bin/chromium")
#: The issue's budget for 50 features and a month of daily chunks.
BUDGET = 1_000_000


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    """The sample audit by day, from copies in a temp folder (relative paths, fixed clock)."""
    work = tmp_path_factory.mktemp("html")
    for name in ("contract.yaml", "reference.parquet", "outcomes.parquet"):
        shutil.copy(SAMPLE / name, work / name)
    shutil.copytree(SAMPLE / "current", work / "current")
    cwd = Path.cwd()
    os.chdir(work)
    try:
        return mlaudit.audit("contract.yaml", "reference.parquet", "current", "outcomes.parquet", chunk="1d",
                             clock=Clock(now=lambda: FIXED_NOW, timer=lambda: 0.0))
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def page(daily: AuditResult) -> str:
    return html.render(daily)


def test_report_is_small_and_loads_nothing_from_the_network(page: str) -> None:
    """One file under the size budget: no external script, style, font or image; a CSP forbids them anyway."""
    assert len(page.encode()) < BUDGET
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", page)  # url(#pattern) fills are in-document
    assert "default-src 'none'" in page


def test_report_leads_with_the_verdict_and_the_fallback(page: str, daily: AuditResult) -> None:
    """The sample trips its kill switch: the first thing on the page says so, with the fallback."""
    head = page[: page.index('id="first"')]
    assert "DISABLE: take the model out of the loop" in head and "exit code 3" in head
    assert "route every application to manual underwriting" in head


def test_report_has_every_failure_mode_and_owner(page: str, daily: AuditResult) -> None:
    """A section per failure mode with results, findings grouped by owner (the unowned area included)."""
    for mode in {r.failure_mode for r in daily.results}:
        assert f'<section id="{mode.value}">' in page
    for label in daily.by_owner():
        assert label in page
    assert "unassigned (governance)" in page


def test_report_draws_the_charts_of_each_failure_mode(page: str) -> None:
    """Drift heatmap and distributions, reliability diagram, estimation trend, slices, review rates: inline SVG."""
    sections = {m: page[page.index(f'<section id="{m}">'):] for m in ("data_drift", "metric_blindness",
                                                                       "human_authority")}
    for mode, text in sections.items():
        body = text[: text.index("</section>")]
        assert body.count("<svg") >= (10 if mode == "data_drift" else 2), mode
    assert "drift statistic per chunk" in page and "reference vs current" in page
    assert "estimated from the scores" in page and "cost per decision by slice" in page
    assert "reviews per day against capacity" in page
    # every failure mode with findings has at least one chart
    for mode in re.findall(r'<section id="([a-z_]+)">', page):
        body = page[page.index(f'<section id="{mode}">'):]
        body = body[: body.index("</section>")]
        if "✖ FAIL</td>" in body or "▲ WARN</td>" in body:
            assert "<svg" in body, mode


def test_every_result_is_in_the_report(page: str, daily: AuditResult) -> None:
    """Nothing is left out: one table row per result."""
    assert page.count("<tr data-status=") == len(daily.results)


def test_strings_from_data_and_contract_are_escaped(daily: AuditResult) -> None:
    """A category or message holding markup shows as text, never as markup."""
    evil = "<script>alert(1)</script>"
    first = daily.results[0]
    poisoned = dataclasses.replace(first, column=evil, message=f"value {evil} & more",
                                   examples=(evil,), details={**first.details})
    drift = next(r for r in daily.results if r.check == "drift.feature" and r.details.get("bins"))
    drifted = dataclasses.replace(drift, column=evil, details={**drift.details, "bins": [evil] * len(
        drift.details["bins"])})
    result = dataclasses.replace(daily, results=(poisoned, drifted, *daily.results[1:]),
                                 model_name=evil, contract_path=evil)
    text = html.render(result)
    assert evil not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<script>") == 1  # the report's own sorting script only


def test_notebook_summary_and_frame(daily: AuditResult) -> None:
    """In a notebook a result shows a compact summary and hands every result over as a polars DataFrame."""
    summary = daily._repr_html_()
    assert "DISABLE" in summary and "<table>" in summary and len(summary) < 60_000
    frame = daily.frame()
    assert frame.height == len(daily.results)
    assert set(frame["failure_mode"].unique()) == {r.failure_mode.value for r in daily.results}
    fails = frame.filter(frame["status"] == "fail").height
    assert fails == sum(r.status is Status.fail for r in daily.results)


def test_report_command_rerenders_a_saved_result(daily: AuditResult, tmp_path: Path) -> None:
    """`mlaudit report audit.json --html` gives the same HTML as the audit itself, with its exit code."""
    saved = tmp_path / "audit.json"
    saved.write_text(json_report.render(daily), encoding="utf-8")
    out = tmp_path / "again.html"
    res = CliRunner().invoke(app, ["report", str(saved), "--html", str(out), "--quiet"])
    assert res.exit_code == 3, res.output
    assert out.read_text(encoding="utf-8") == html.render(json_report.load(str(saved)))
    assert json_report.to_dict(json_report.load(str(saved))) == json_report.to_dict(daily)


def test_report_command_refuses_what_is_not_a_json_report(tmp_path: Path) -> None:
    """A missing or foreign file: one clear line, exit 2, nothing written."""
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}', encoding="utf-8")
    out = tmp_path / "r.html"
    for path in (bogus, tmp_path / "missing.json"):
        res = CliRunner().invoke(app, ["report", str(path), "--html", str(out)])
        assert res.exit_code == 2 and "mlaudit: error:" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_audit_writes_html_and_sections_cover_every_mode_with_findings(tmp_path: Path) -> None:
    """`mlaudit audit --html` writes the report next to the JSON one."""
    out = tmp_path / "audit.html"
    res = CliRunner().invoke(app, ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r",
                                   str(SAMPLE / "reference.parquet"), "--current", str(SAMPLE / "current"),
                                   "--as-of", "2026-10-31T06:00:00Z", "--only", "validation", "--html", str(out),
                                   "--quiet"])
    assert res.exit_code == 1, res.output
    text = out.read_text(encoding="utf-8")
    assert '<section id="validation">' in text and FailureMode.data_drift.value not in re.findall(
        r'<section id="([a-z_]+)">', text)


def _browser() -> object:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (.ci/run installs Debian's chromium)")
    return sync_api


def test_report_in_a_real_browser(page: str, tmp_path: Path) -> None:
    """Headless Chromium opens the report offline: no console error, no request beyond the file itself, the
    verdict, the owners and a chart visible, sorting works; a screenshot is saved."""
    sync_api = _browser()
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:  # type: ignore[attr-defined]
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.on("request", lambda r: requests.append(r.url))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(path.as_uri())
            tab.wait_for_load_state("load")
            assert tab.locator("#verdict").is_visible()
            assert "DISABLE" in tab.locator("#verdict").inner_text()
            assert tab.locator("#owners").is_visible()
            assert tab.locator("#data_drift svg").first.is_visible()
            tab.screenshot(path=str(tmp_path / "report.png"), full_page=False)
            charts = tab.locator("#data_drift .charts svg")
            charts.first.screenshot(path=str(tmp_path / "report-drift.png"))
            tab.locator("#metric_blindness .charts").screenshot(path=str(tmp_path / "report-performance.png"))
            header = tab.locator("#validation th[data-sort]").nth(1)
            header.click()  # sort by check id: the script runs without error
            if os.environ.get("MLAUDIT_REGEN_SCREENSHOT") == "1":
                target = ROOT / "docs" / "img"
                target.mkdir(parents=True, exist_ok=True)
                for name in ("report.png", "report-drift.png", "report-performance.png"):
                    shutil.copy(tmp_path / name, target / name)
        finally:
            browser.close()
    assert errors == []
    assert requests == [path.as_uri()]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_terminal_report_fits_80_columns_with_sparklines_and_sections(daily: AuditResult) -> None:
    """A cron mail at 80 columns: no line wider, drift over the month as a sparkline, one section per failure mode
    with --verbose."""
    from mlaudit.report import terminal

    text = terminal.render(daily, width=80, verbose=True)
    assert max(len(line) for line in text.splitlines()) <= 80
    drifted = next(line for line in text.splitlines() if line.startswith("FAIL drift.feature  debt_to_income"))
    assert "▁▁▁▁" in drifted and "█" in drifted  # flat, then up from 2026-10-15
    for mode in {r.failure_mode.value for r in daily.findings()}:
        assert f"── {mode} " in text
