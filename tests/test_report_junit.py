"""JUnit XML and GitHub Actions annotations: shape, counts, escaping and goldens.

The sample result is the golden tests' fixture (one audit of sample_data with a fixed clock); regenerate the goldens
on purpose, after reading the diff: MLAUDIT_REGEN_GOLDEN=1 python -m pytest tests/test_report_junit.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace

import pytest

from mlaudit.report import annotations as workflow
from mlaudit.report import junit
from mlaudit.results import (
    FAILURE_MODE_ORDER,
    AuditResult,
    CheckResult,
    FailOn,
    FailureMode,
    Owner,
    OwnerArea,
    Status,
    Verdict,
)
from tests import test_report_golden

sample = test_report_golden.result  # the golden tests' module fixture, under another name
HOSTILE = "<script>&\"' \x01end"

# --- a structural validator after the widely used (Jenkins/Ant) JUnit XSD --------------------------------------

_CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}
_COUNTS = ("tests", "failures", "errors", "skipped")


def _count_attr(el: ET.Element, name: str) -> int:
    value = el.get(name)
    assert value is not None and value.isdigit(), f"<{el.tag}> {name}={value!r} is not a count"
    return int(value)


def _check_time(el: ET.Element) -> None:
    value = el.get("time")
    if value is not None:
        assert float(value) >= 0, f"<{el.tag}> time={value!r}"


def _check_properties(props: ET.Element) -> None:
    for prop in props:
        assert prop.tag == "property", prop.tag
        assert prop.get("name") and prop.get("value") is not None


def _check_testcase(case: ET.Element) -> None:
    assert case.get("name") and case.get("classname"), case.attrib
    _check_time(case)
    tags = [child.tag for child in case]
    assert set(tags) <= _CASE_CHILDREN, tags
    assert tags.count("skipped") <= 1
    for child in case:
        if child.tag in ("failure", "error"):
            assert child.get("type"), child.attrib


def _check_testsuite(suite: ET.Element) -> None:
    assert suite.get("name"), suite.attrib
    for name in ("tests", "failures", "errors"):
        _count_attr(suite, name)
    _check_time(suite)
    tags = [child.tag for child in suite]
    # properties?, testcase*, system-out?, system-err?  (in that order)
    order = {"properties": 0, "testcase": 1, "system-out": 2, "system-err": 3}
    assert set(tags) <= set(order), tags
    assert [order[t] for t in tags] == sorted(order[t] for t in tags), tags
    for once in ("properties", "system-out", "system-err"):
        assert tags.count(once) <= 1, tags
    for child in suite:
        if child.tag == "properties":
            _check_properties(child)
        elif child.tag == "testcase":
            _check_testcase(child)


def validate(text: str) -> ET.Element:
    """Parse and check the document's shape; return the root."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("name") == "mlaudit"
    _check_time(root)
    assert all(child.tag == "testsuite" for child in root)
    for suite in root:
        _check_testsuite(suite)
    return root


# --- helpers ---------------------------------------------------------------------------------------------------


def _cases(root: ET.Element) -> list[ET.Element]:
    return root.findall("./testsuite/testcase")


def _in_document_order(result: AuditResult) -> list[CheckResult]:
    """Results as the XML lists them: by failure mode, in result order within one."""
    return sorted(result.results, key=lambda r: FAILURE_MODE_ORDER[r.failure_mode])


def _result(base: AuditResult, *results: CheckResult, **changes: object) -> AuditResult:
    return replace(base, results=results, **changes)  # type: ignore[arg-type]


def _check(status: Status, message: str = "something happened", **changes: object) -> CheckResult:
    fields: dict[str, object] = {
        "check": "validation.null_share", "failure_mode": FailureMode.validation, "status": status,
        "severity": "error", "owner": Owner(OwnerArea.data_quality, "data-platform"), "message": message,
        "column": "age",
    }
    fields.update(changes)
    return CheckResult(**fields)  # type: ignore[arg-type]


# --- JUnit -----------------------------------------------------------------------------------------------------


def test_junit_parses_and_follows_the_schema(sample: AuditResult) -> None:
    root = validate(junit.render(sample))
    assert [s.get("name") for s in root] == sorted({r.failure_mode.value for r in sample.results},
                                                   key=lambda m: FAILURE_MODE_ORDER[FailureMode(m)])
    assert all(s.get("time") == "0" for s in root)


def test_junit_counts_equal_results_by_status(sample: AuditResult) -> None:
    root = validate(junit.render(sample))
    statuses = Counter(r.status for r in sample.results)
    assert _count_attr(root, "tests") == len(sample.results)
    assert _count_attr(root, "failures") == statuses[Status.fail]
    assert _count_attr(root, "errors") == statuses[Status.error]
    assert _count_attr(root, "skipped") == statuses[Status.skipped]
    for suite in root:
        mode = Counter(r.status for r in sample.results if r.failure_mode.value == suite.get("name"))
        assert [_count_attr(suite, k) for k in _COUNTS] == [
            mode.total(), mode[Status.fail], mode[Status.error], mode[Status.skipped]]
        assert len(suite.findall("testcase")) == mode.total()
        assert len(suite.findall("testcase/failure")) == mode[Status.fail]
        assert len(suite.findall("testcase/skipped")) == mode[Status.skipped]


def test_junit_lists_every_result_once(sample: AuditResult) -> None:
    cases = _cases(validate(junit.render(sample)))
    assert len(cases) == len(sample.results)
    keys = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(set(keys)) == len(keys), "reporters key cases on classname and name"
    for case, r in zip(cases, _in_document_order(sample), strict=True):
        assert case.get("classname") == f"mlaudit.{r.failure_mode.value}.{r.check}"
        assert (case.get("name") or "").startswith(r.check + (f" {r.column}" if r.column else ""))


def test_repeated_check_and_column_get_told_apart(sample: AuditResult) -> None:
    names = [c.get("name") for c in _cases(validate(junit.render(sample)))]
    assert "leakage.available_at credit_score [reference]" in names
    assert "leakage.available_at credit_score [current]" in names
    assert "validation.null_share age" in names  # a unique name stays plain
    twins = _result(sample, _check(Status.passed), _check(Status.passed))
    assert [c.get("name") for c in _cases(validate(junit.render(twins)))] == [
        "validation.null_share age #1", "validation.null_share age #2"]


def test_junit_failure_carries_message_and_details(sample: AuditResult) -> None:
    cases = _cases(validate(junit.render(sample)))
    checked = 0
    for case, r in zip(cases, _in_document_order(sample), strict=True):
        failure = case.find("failure")
        assert (failure is not None) == (r.status is Status.fail)
        if failure is None:
            continue
        checked += 1
        assert failure.get("type") == "fail" and failure.get("message") == r.message
        body = failure.text or ""
        assert body.startswith(r.message)
        assert f"owner: {r.owner.label()}" in body
        assert all(str(e) in body for e in r.examples[:3])
        if r.statistic and r.value is not None:
            assert f"{r.statistic}: " in body
    assert checked == sum(r.status is Status.fail for r in sample.results) > 0


def test_warnings_are_failures_only_when_asked(sample: AuditResult) -> None:
    warns = sum(r.status is Status.warn for r in sample.results)
    fails = sum(r.status is Status.fail for r in sample.results)
    assert warns > 0
    by_default = validate(junit.render(sample))
    assert _count_attr(by_default, "failures") == fails
    assert len(by_default.findall(".//failure[@type='warn']")) == 0
    outs = by_default.findall("./testsuite/testcase/system-out")
    assert len(outs) == warns and all((o.text or "").startswith("WARNING: ") for o in outs)

    strict = validate(junit.render(sample, warnings_fail=True))
    assert _count_attr(strict, "failures") == fails + warns
    assert len(strict.findall(".//failure[@type='warn']")) == warns
    assert not strict.findall("./testsuite/testcase/system-out")


def test_warnings_follow_fail_on_unless_told(sample: AuditResult) -> None:
    on_warning = replace(sample, fail_on=FailOn.warning)
    assert junit.render(on_warning) == junit.render(sample, warnings_fail=True)
    assert junit.render(on_warning, warnings_fail=False) == junit.render(sample)


def test_errors_and_skips(sample: AuditResult) -> None:
    result = _result(sample, _check(Status.error, "could not read column"),
                     _check(Status.skipped, "no reference", column="income"), _check(Status.passed, column="x"))
    root = validate(junit.render(result))
    assert [_count_attr(root, k) for k in _COUNTS] == [3, 0, 1, 1]
    error, skipped, passed = _cases(root)
    assert [c.tag for c in error] == ["error"]
    assert error[0].get("type") == "error" and error[0].get("message") == "could not read column"
    assert [(c.tag, c.get("message")) for c in skipped] == [("skipped", "no reference")]
    assert list(passed) == []


def test_every_suite_starts_with_the_run_properties(sample: AuditResult) -> None:
    root = validate(junit.render(sample))
    assert sample.verdict is Verdict.disable and sample.fallback
    for suite in root:
        props = suite[0]
        assert props.tag == "properties"
        values = {p.get("name"): p.get("value") for p in props}
        assert values["verdict"] == "disable" and values["exit_code"] == "3"
        assert values["fallback"] == sample.fallback
        assert values["contract_sha256"] == sample.contract_sha256
        assert values["tool_version"] == sample.tool_version


def test_no_fallback_property_without_a_kill_switch(sample: AuditResult) -> None:
    root = validate(junit.render(_result(sample, _check(Status.passed))))
    values = {p.get("name"): p.get("value") for p in root.findall("./testsuite/properties/property")}
    assert values["verdict"] == "pass" and values["exit_code"] == "0" and "fallback" not in values


def test_hostile_strings_stay_well_formed(sample: AuditResult) -> None:
    bad = _check(Status.fail, f"message {HOSTILE}", column=f"col {HOSTILE}", examples=(HOSTILE,),
                 owner=Owner(OwnerArea.governance, f"team {HOSTILE}"))
    text = junit.render(_result(sample, bad, _check(Status.skipped, HOSTILE, column="b")))
    assert "\x01" not in text and "<script>" not in text
    root = validate(text)
    clean = HOSTILE.replace("\x01", "")
    failed, skipped = _cases(root)
    assert failed.get("name") == f"validation.null_share col {clean}"
    failure = failed.find("failure")
    assert failure is not None and failure.get("message") == f"message {clean}"
    assert f"message {clean}" in (failure.text or "") and f"team {clean}" in (failure.text or "")
    assert f"examples: {clean}" in (failure.text or "")
    assert skipped[0].get("message") == clean


def test_clean_drops_only_what_xml_forbids() -> None:
    assert junit.clean("a\x00b\x08c\x0bd\x1fe\ufffff") == "abcdef"
    assert junit.clean("tab\tnl\ncr\r é ✓ \U0001f600") == "tab\tnl\ncr\r é ✓ \U0001f600"


def test_junit_is_deterministic(sample: AuditResult) -> None:
    assert junit.render(sample) == junit.render(sample)


def test_junit_matches_golden(sample: AuditResult) -> None:
    test_report_golden._compare("sample.junit.xml", junit.render(sample))


# --- GitHub Actions annotations ---------------------------------------------------------------------------------


def test_annotations_match_golden(sample: AuditResult) -> None:
    test_report_golden._compare("sample.annotations.txt", workflow.render(sample))


def test_annotations_one_line_per_finding_worst_first(sample: AuditResult) -> None:
    lines = workflow.render(sample, max_lines=1000).splitlines()
    findings = sample.findings()
    assert lines[0].startswith("::error ") and "title=kill switch::" in lines[0]
    assert len(lines) == 1 + len(findings)
    for line, r in zip(lines[1:], findings, strict=True):
        kind = "warning" if r.status is Status.warn else "error"
        assert line.startswith(f"::{kind} file=contract.yaml,title={r.check}")
        assert line.endswith(f" (owner: {r.owner.label()})")


def test_kill_switch_line_names_the_fallback(sample: AuditResult) -> None:
    first = workflow.render(sample).splitlines()[0]
    assert first == ("::error file=contract.yaml,title=kill switch::kill switch tripped: take the model out of the "
                     f"loop; fallback: {sample.fallback}")
    calm = _result(sample, _check(Status.warn))
    assert "kill switch" not in workflow.render(calm)


def test_annotations_escape_data_and_properties(sample: AuditResult) -> None:
    r = _check(Status.fail, "100% sure\r\nline two: a, b", column="a:b,c%")
    line = workflow.render(_result(sample, r, contract_path="dir,x/contract:1.yaml"))
    assert line == ("::error file=dir%2Cx/contract%3A1.yaml,title=validation.null_share a%3Ab%2Cc%25::"
                    "100%25 sure%0D%0Aline two: a, b (owner: data-platform (data_quality))\n")
    assert workflow.escape_data("50%\n") == "50%25%0A"
    assert workflow.escape_property("a:b,c\r%") == "a%3Ab%2Cc%0D%25"


def test_annotations_levels_and_order(sample: AuditResult) -> None:
    result = _result(sample, _check(Status.warn, "w"), _check(Status.passed, "p"), _check(Status.fail, "f"),
                     _check(Status.error, "e"), _check(Status.skipped, "s"), contract_path="")
    assert workflow.render(result).splitlines() == [
        "::error title=validation.null_share age::e (owner: data-platform (data_quality))",
        "::error title=validation.null_share age::f (owner: data-platform (data_quality))",
        "::warning title=validation.null_share age::w (owner: data-platform (data_quality))",
    ]
    assert workflow.render(_result(sample, _check(Status.passed))) == ""


def test_annotations_truncate_after_max_lines(sample: AuditResult) -> None:
    findings = len(sample.findings())
    lines = workflow.render(sample, max_lines=3).splitlines()
    assert len(lines) == 1 + 3 + 1  # kill switch, three findings, the notice
    assert lines[-1] == f"::notice::…and {findings - 3} more findings"
    assert workflow.render(sample, max_lines=findings - 1).splitlines()[-1] == "::notice::…and 1 more finding"
    assert "::notice::" not in workflow.render(sample, max_lines=findings)
    assert workflow.render(sample, max_lines=0).splitlines()[1] == f"::notice::…and {findings} more findings"
    with pytest.raises(ValueError):
        workflow.render(sample, max_lines=-1)


@pytest.mark.parametrize(("environ", "expected"), [
    ({"GITHUB_ACTIONS": "true"}, True),
    ({"GITHUB_ACTIONS": "false"}, False),
    ({"GITHUB_ACTIONS": "TRUE"}, False),
    ({"CI": "true"}, False),
    ({}, False),
])
def test_in_github_actions(environ: dict[str, str], expected: bool) -> None:
    assert workflow.in_github_actions(environ) is expected
