"""The self-contained HTML report: one file, no network request, readable without JavaScript, printable.

The formatter decides nothing: it lays out an AuditResult (verdict, who must act, one section per
failure mode with its results and charts) with the jinja2 template `templates/report.html.j2`.
Charts are inline SVG from report/svg.py, drawn from the numbers the checks put in `details`; every
string from data or the contract is escaped by jinja2's autoescape or by svg.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from mlaudit.report import svg
from mlaudit.report.common import display_value, examples_text
from mlaudit.report.templating import environment
from mlaudit.results import STATUS_RANK, AuditResult, CheckResult, FailureMode, Status

#: Words and symbols for statuses, so that colour is never the only signal.
STATUS_TEXT = {Status.fail: "✖ FAIL", Status.warn: "▲ WARN", Status.error: "◆ ERROR", Status.passed: "✔ pass",
               Status.skipped: "– skipped"}
MODE_TITLES = {
    FailureMode.validation: "Validation: inputs and outputs",
    FailureMode.data_drift: "Data drift",
    FailureMode.training_serving_skew: "Training-serving skew",
    FailureMode.label_inconsistency: "Label inconsistency",
    FailureMode.feature_leakage: "Feature leakage",
    FailureMode.metric_blindness: "Metric blindness: what decisions cost and whom they fail",
    FailureMode.human_authority: "Human authority: review of risky decisions",
    FailureMode.lifecycle_ownership: "Ownership, lifecycle and kill switch",
    FailureMode.monitoring: "Monitoring",
}
#: Histograms drawn for passing features too, up to this many (the failing ones always are).
MAX_PASSING_HISTOGRAMS = 60


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def _of(results: Iterable[CheckResult], check: str) -> list[CheckResult]:
    return [r for r in results if r.check == check]


def _drift_charts(results: list[CheckResult]) -> list[Markup]:
    """The drift statistic per chunk across features (a heatmap, onset outlined), then each feature's reference
    and current distributions, failing features first."""
    features = [r for r in results if r.check in ("drift.feature", "drift.prediction", "drift.label",
                                                  "drift.decision") and r.status is not Status.skipped]
    out: list[Markup] = []
    with_series = [r for r in features if r.details.get("series")]
    if with_series:
        columns = sorted({str(p["chunk"]) for r in with_series for p in r.details["series"]})
        rows, values, statuses, onset = [], [], [], {}
        ranked = sorted(with_series, key=lambda r: (-STATUS_RANK[r.status], r.column or ""))
        for r in ranked:
            by_chunk = {str(p["chunk"]): p for p in r.details["series"]}
            label = r.column or r.check
            rows.append(label)
            values.append([_finite(by_chunk[c].get("value")) if c in by_chunk else None for c in columns])
            statuses.append([by_chunk[c].get("status") if c in by_chunk else None for c in columns])
            if r.details.get("onset"):
                onset[label] = str(r.details["onset"])
        out.append(Markup(svg.heatmap(rows, columns, values, statuses, "drift statistic per chunk (rows: features; "
                                      "outlined: where the drift began)", onset=onset)))
    ranked = sorted(features, key=lambda r: (-STATUS_RANK[r.status], r.column or ""))
    passing = 0
    for r in ranked:
        bins, ref, cur = r.details.get("bins"), r.details.get("reference_counts"), r.details.get("current_counts")
        if not (bins and ref and cur) or len(bins) != len(ref) or len(ref) != len(cur):
            continue
        if r.status is Status.passed:
            passing += 1
            if passing > MAX_PASSING_HISTOGRAMS:
                continue
        title = f"{r.column}: reference vs current ({STATUS_TEXT[r.status]})"
        out.append(Markup(svg.histogram([str(b) for b in bins], [float(x) for x in ref], [float(x) for x in cur],
                                        title)))
    return out


def _performance_charts(results: list[CheckResult]) -> list[Markup]:
    out: list[Markup] = []
    for r in _of(results, "performance.calibration"):
        if r.details.get("reliability_diagram"):
            out.append(Markup(svg.reliability(list(r.details["reliability_diagram"]))))
    for r in _of(results, "performance.estimated"):
        chunks = r.details.get("chunks") or []
        if len(chunks) > 1:
            x = [str(c["chunk"]) for c in chunks]
            metric = str(r.details.get("metric", "metric"))
            series = {f"estimated {metric}": [_finite(c.get("estimate")) for c in chunks],
                      f"realised {metric}": [_finite(c.get("realised")) for c in chunks]}
            band = {f"estimated {metric}": ([_finite(c["band"][0]) for c in chunks],
                                            [_finite(c["band"][1]) for c in chunks])}
            out.append(Markup(svg.lines(x, series, f"{metric} per chunk: estimated from the scores (band: sampling "
                                        "range) and realised where outcomes arrived", band=band, y_label=metric)))
    slices = [r for r in _of(results, "performance.slices") if r.status is not Status.skipped
              and _finite(r.details.get("cost_per_decision")) is not None]
    if slices:
        whole = _finite(slices[0].details.get("whole_cost_per_decision"))
        out.append(Markup(svg.bars([r.column or "" for r in slices],
                                   [_finite(r.details.get("cost_per_decision")) for r in slices],
                                   None, None, "cost per decision by slice (line: whole population; marked: findings)",
                                   reference_line=whole, highlight=[r.status in (Status.warn, Status.fail)
                                                                    for r in slices])))
    headline = [r for r in _of(results, "performance.realised") if r.status is not Status.skipped]
    if headline:
        out.append(Markup(svg.bars([r.column or "" for r in headline], [_finite(r.details.get("current"))
                                                                         for r in headline],
                                   [_finite(r.details.get("low")) for r in headline],
                                   [_finite(r.details.get("high")) for r in headline],
                                   "realised metrics with their 95% intervals (marked: worse than the reference)",
                                   highlight=[r.status in (Status.warn, Status.fail) for r in headline])))
    for r in _of(results, "performance.confidence"):
        trend = r.details.get("trend") or []
        if len(trend) > 1:
            out.append(Markup(svg.lines([str(t["chunk"]) for t in trend],
                                        {"low-confidence share": [_finite(t.get("low_share")) for t in trend]},
                                        "share of low-confidence predictions per chunk", y_label="share")))
    return out


def _review_charts(results: list[CheckResult]) -> list[Markup]:
    out: list[Markup] = []
    for r in _of(results, "review.overrides"):
        trend = r.details.get("trend") or []
        if len(trend) > 1:
            out.append(Markup(svg.lines([str(t["chunk"]) for t in trend],
                                        {"override share": [_finite(t.get("share")) for t in trend]},
                                        "share of reviewed decisions reversed, per chunk", y_label="share")))
    for r in _of(results, "review.capacity"):
        days = r.details.get("per_day") or []
        if len(days) > 1:
            capacity = float(r.details.get("capacity_per_day") or 0)
            out.append(Markup(svg.lines([str(d["day"]) for d in days],
                                        {"required review": [float(d["required"]) for d in days],
                                         "reviewed": [float(d["reviewed"]) for d in days],
                                         "capacity": [capacity for _ in days]},
                                        "reviews per day against capacity", y_label="decisions")))
    return out


def _limits_chart(results: list[CheckResult]) -> list[Markup]:
    """For sections without charts of their own: each finding's statistic as a multiple of its fail level (1 is
    the limit), so how far past it each one is shows at a glance."""
    rows = [r for r in results if r.status in (Status.warn, Status.fail) and _finite(r.value) is not None
            and _finite(r.threshold) and (r.threshold or 0) > 0]
    if not rows:
        return []
    labels = [f"{r.check} {r.column or ''}".strip() for r in rows]
    ratios = [abs(float(r.value or 0.0)) / float(r.threshold or 1.0) for r in rows]
    return [Markup(svg.bars(labels, ratios, None, None, "findings: statistic as a multiple of its fail level "
                            "(line: the fail level)", reference_line=1.0,
                            highlight=[r.status is Status.fail for r in rows]))]


def _labels_charts(results: list[CheckResult]) -> list[Markup]:
    out = _limits_chart(results)
    for r in _of(results, "labels.coverage"):
        ages = r.details.get("by_age") or []
        if len(ages) > 1 and all("coverage" in a for a in ages):
            out.append(Markup(svg.lines([str(a.get("age_days")) for a in ages],
                                        {"outcomes arrived": [_finite(a.get("coverage")) for a in ages]},
                                        "share of production rows with an outcome, by age in days",
                                        y_label="share")))
    return out


def _lifecycle_charts(results: list[CheckResult]) -> list[Markup]:
    """Kill-switch conditions with the number of results that make each hold, and the model's age against its
    limit."""
    out: list[Markup] = []
    kills = [r for r in _of(results, "governance.kill_switch") if r.status is not Status.skipped]
    if kills:
        out.append(Markup(svg.bars([r.column or "" for r in kills], [_finite(r.value) or 0.0 for r in kills], None,
                                   None, "kill-switch conditions: results that make each hold (marked: holds)",
                                   highlight=[r.status in (Status.warn, Status.fail) for r in kills])))
    for r in _of(results, "governance.model_age"):
        if r.status is not Status.skipped and _finite(r.value) is not None:
            out.append(Markup(svg.bars(["model age (days)"], [_finite(r.value)], None, None,
                                       "model age against model.max_age_days (line)",
                                       reference_line=_finite(r.threshold), highlight=[r.status is Status.fail])))
    return out + _limits_chart([r for r in results if r.check not in ("governance.kill_switch",
                                                                      "governance.model_age")])


CHARTS = {
    FailureMode.data_drift: _drift_charts,
    FailureMode.label_inconsistency: _labels_charts,
    FailureMode.metric_blindness: _performance_charts,
    FailureMode.human_authority: _review_charts,
    FailureMode.lifecycle_ownership: _lifecycle_charts,
}


def _sections(result: AuditResult) -> list[dict[str, Any]]:
    """One section per failure mode that has results: counts, charts and the results, worst first."""
    out = []
    for mode in FailureMode:
        rows = [r for r in result.results if r.failure_mode is mode]
        if not rows:
            continue
        rows.sort(key=lambda r: (-STATUS_RANK[r.status], r.status is Status.skipped, r.check, r.column or ""))
        counts = {s.value: sum(r.status is s for r in rows) for s in Status}
        charts = CHARTS[mode](rows) if mode in CHARTS else _limits_chart(rows)
        out.append({"id": mode.value, "title": MODE_TITLES[mode], "results": rows, "counts": counts,
                    "charts": charts})
    return out


def _first_actions(result: AuditResult, limit: int = 5) -> list[CheckResult]:
    """What to look at first: the worst findings, one per check."""
    seen: set[str] = set()
    out = []
    for r in result.findings():  # a tripped kill switch comes first
        if r.check not in seen:
            seen.add(r.check)
            out.append(r)
        if len(out) == limit:
            break
    return out


def _recent(r: CheckResult) -> Markup:
    """A sparkline of the statistic over the latest runs (--history), or nothing."""
    values = r.details.get("recent") or []
    if len(values) < 3:
        return Markup("")
    return Markup(svg.sparkline([_finite(v) for v in values], width=64, height=14))


def _context(result: AuditResult) -> dict[str, Any]:
    findings = result.findings()
    by_owner: dict[str, list[CheckResult]] = {}
    for r in findings:
        by_owner.setdefault(r.owner.label(), []).append(r)
    return {
        "result": result, "verdict": result.verdict.value, "exit_code": int(result.exit_code),
        "counts": result.counts(), "statuses": [Status.fail, Status.warn, Status.error, Status.skipped,
                                                Status.passed],
        "owners": result.by_owner(), "by_owner": by_owner, "first": _first_actions(result),
        "sections": _sections(result), "status_text": STATUS_TEXT, "value": display_value,
        "examples": examples_text, "findings": len(findings), "recent": _recent,
    }


#: The HTML report's template.
REPORT = "report.html.j2"


def warm() -> None:
    """Compile the report's template ahead of use: `mlaudit audit --html` calls it in a background thread
    while the snapshots are read, so that the report is written sooner once the results are in."""
    environment().get_template(REPORT)


def render(result: AuditResult) -> str:
    """The whole report as one HTML document."""
    return environment().get_template(REPORT).render(**_context(result))


def summary(result: AuditResult, max_findings: int = 10) -> str:
    """A compact HTML summary (verdict, counts, worst findings) for notebooks."""
    ctx = _context(result)
    ctx["first"] = result.findings()[:max_findings]
    return environment().get_template("summary.html.j2").render(**ctx)
