"""JUnit XML for CI test reporters (GitHub Actions reporters, GitLab, Jenkins).

Each check result becomes a test case, grouped in one test suite per failure mode, so a CI system shows audit
findings where it shows failing tests. The shape follows the widely used Jenkins/Ant JUnit schema:
``testsuites > testsuite > properties?, testcase*``; a test case holds at most ``failure``, ``error``, ``skipped``,
``system-out`` and ``system-err``.

Like the other formatters this only presents an :class:`AuditResult`: the verdict and exit code come from the
result. The document is built with ElementTree, never by string concatenation, so every string taken from data
(messages, column names, example ids, the fallback) is escaped; characters XML 1.0 cannot hold at all are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace

from mlaudit.report.common import display_value
from mlaudit.results import FAILURE_MODE_ORDER, AuditResult, CheckResult, FailOn, FailureMode, Status

_EXAMPLES = 5  # example ids per finding: enough to look rows up, short enough to read in a CI log
_QUALIFIERS = ("snapshot", "key")  # detail keys that tell apart results of one check and column
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# Everything outside XML 1.0's Char production: C0 controls other than tab, newline and CR; surrogates; U+FFFE/FFFF.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Drop characters no XML 1.0 document may contain: escaping cannot help them, and one would make the whole
    file unreadable to the CI system."""
    return _NOT_XML_CHAR.sub("", text)


def _sub(parent: ET.Element, tag: str, attrs: dict[str, str] | None = None, text: str | None = None) -> ET.Element:
    """Add a child whose attribute values and text are all cleaned, so no data string can break the document."""
    child = ET.SubElement(parent, tag, {k: clean(v) for k, v in (attrs or {}).items()})
    if text is not None:
        child.text = clean(text)
    return child


def _warnings_fail(result: AuditResult, warnings_fail: bool | None) -> bool:
    """Warnings count as failures when the caller says so, or else when the gate fails on them (--fail-on warning):
    CI systems have no 'warning' test state, and the XML should agree with the exit code."""
    return result.fail_on is FailOn.warning if warnings_fail is None else warnings_fail


def _number(r: CheckResult, value: float) -> str:
    """A threshold shown in the same units as the statistic (shares as percentages)."""
    return display_value(replace(r, value=value))


def details_text(r: CheckResult) -> str:
    """The body of a failure, error or warning: what a person needs without opening the full report."""
    lines = [r.message]
    if r.value is not None:
        lines.append(f"{r.statistic or 'value'}: {display_value(r)}")
    limits = [f"{word} {_number(r, v)}" for word, v in (("fail", r.threshold), ("warn", r.warn_threshold))
              if v is not None]
    if limits:
        lines.append(f"thresholds: {', '.join(limits)}")
    if r.count is not None and r.total is not None:
        lines.append(f"count: {r.count:,} of {r.total:,}")
    if r.examples:
        lines.append("examples: " + ", ".join(str(e) for e in r.examples[:_EXAMPLES]))
    lines.append(f"owner: {r.owner.label()}" + (f" <{r.owner.contact}>" if r.owner.contact else ""))
    lines.append(f"severity: {r.severity}")
    return "\n".join(lines)


def _qualifier(r: CheckResult) -> str:
    """What tells apart results of the same check and column: the snapshot judged and the grouping key, if any."""
    parts = [str(r.details[k]) for k in _QUALIFIERS if isinstance(r.details.get(k), str)]
    return f" [{', '.join(parts)}]" if parts else ""


def _case_names(results: list[CheckResult]) -> list[str]:
    """Test case names, `check[ column]`, made unique: reporters key cases on classname and name, and the same check
    and column can be judged on several snapshots (reference, current) or keys. A repeated name gets those, then an
    ordinal if still repeated, so every result stays visible as its own case."""
    base = [r.check + (f" {r.column}" if r.column else "") for r in results]
    repeated = Counter(base)
    named = [b + _qualifier(r) if repeated[b] > 1 else b for b, r in zip(base, results, strict=True)]
    totals, seen = Counter(named), Counter[str]()
    out = []
    for name in named:
        seen[name] += 1
        out.append(f"{name} #{seen[name]}" if totals[name] > 1 else name)
    return out


def _outcome(case: ET.Element, r: CheckResult, warnings_fail: bool) -> str:
    """Add the child that carries the status; return the JUnit counter it belongs to ('' for a passing case)."""
    if r.status is Status.fail or (r.status is Status.warn and warnings_fail):
        _sub(case, "failure", {"message": r.message, "type": r.status.value}, details_text(r))
        return "failures"
    if r.status is Status.error:
        _sub(case, "error", {"message": r.message, "type": "error"}, details_text(r))
        return "errors"
    if r.status is Status.skipped:
        _sub(case, "skipped", {"message": r.message})
        return "skipped"
    if r.status is Status.warn:
        _sub(case, "system-out", text=f"WARNING: {details_text(r)}")
    return ""


def _properties(result: AuditResult) -> dict[str, str]:
    """Run facts every suite repeats: the schema only allows properties inside a testsuite, and reporters that show
    one suite at a time should still show the verdict and, when the kill switch trips, the fallback."""
    props = {
        "verdict": result.verdict.value,
        "exit_code": str(int(result.exit_code)),
        "contract": result.contract_path,
        "contract_sha256": result.contract_sha256,
        "model": result.model_name + (f" {result.model_version}" if result.model_version else ""),
        "tool_version": result.tool_version,
    }
    if result.fallback is not None:
        props["fallback"] = result.fallback
    return props


def _suite(root: ET.Element, mode: FailureMode, results: list[CheckResult], props: dict[str, str],
           warnings_fail: bool) -> Counter[str]:
    """One testsuite for one failure mode; returns its counters for the root."""
    suite = _sub(root, "testsuite", {"name": mode.value})
    properties = _sub(suite, "properties")
    for name, value in props.items():
        _sub(properties, "property", {"name": name, "value": value})
    counts = Counter({"tests": len(results), "failures": 0, "errors": 0, "skipped": 0})
    for r, name in zip(results, _case_names(results), strict=True):
        case = _sub(suite, "testcase", {"classname": f"mlaudit.{mode.value}.{r.check}", "name": name, "time": "0"})
        kind = _outcome(case, r, warnings_fail)
        if kind:
            counts[kind] += 1
    for key in ("tests", "failures", "errors", "skipped"):
        suite.set(key, str(counts[key]))
    suite.set("time", "0")
    return counts


def render(result: AuditResult, warnings_fail: bool | None = None) -> str:
    """The JUnit XML document (declaration, indented, trailing newline), deterministic for a given result.

    `warnings_fail`: warnings become ``<failure type="warn">`` when true and passing cases with the warning in
    ``system-out`` when false; None (the default) follows the result's --fail-on."""
    fail_warns = _warnings_fail(result, warnings_fail)
    root = ET.Element("testsuites", {"name": "mlaudit"})
    by_mode: dict[FailureMode, list[CheckResult]] = {}
    for r in result.results:
        by_mode.setdefault(r.failure_mode, []).append(r)
    props = _properties(result)
    totals = Counter({"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
    for mode in sorted(by_mode, key=FAILURE_MODE_ORDER.__getitem__):
        totals.update(_suite(root, mode, by_mode[mode], props, fail_warns))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{result.timings.get('total', 0.0):.3f}")
    ET.indent(root)
    return f"{XML_DECLARATION}\n{ET.tostring(root, encoding='unicode')}\n"
