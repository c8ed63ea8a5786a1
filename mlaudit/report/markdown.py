"""A compact Markdown summary for pull-request comments and CI step summaries."""

from __future__ import annotations

from mlaudit.report.common import display_value, examples_text
from mlaudit.report.templating import environment
from mlaudit.results import AuditResult, Status

_ICON = {Status.fail: "❌ FAIL", Status.warn: "⚠️ WARN", Status.error: "⛔ ERROR",
         Status.passed: "✅ pass", Status.skipped: "➖ skipped"}


def render(result: AuditResult, max_findings: int = 50) -> str:
    findings = result.findings()
    return environment().get_template("summary.md.j2").render(
        result=result,
        verdict=result.verdict.value.upper(),
        counts=result.counts(),
        owners=result.by_owner(),
        statuses=[Status.fail, Status.warn, Status.error, Status.skipped, Status.passed],
        findings=findings[:max_findings],
        hidden=max(0, len(findings) - max_findings),
        icon=_ICON,
        value=display_value,
        examples=examples_text,
    )
