"""The terminal report: verdict first, a summary by failure mode, then what needs a person.

Colour is never the only signal: statuses are also written as words and
symbols, so NO_COLOR terminals, cron mails and screen readers lose nothing.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlaudit.report.common import display_value, examples_text
from mlaudit.report.svg import text_sparkline
from mlaudit.results import AuditResult, CheckResult, FailureMode, Status, Verdict

_STYLE = {
    Status.passed: ("ok", "green"),
    Status.warn: ("WARN", "yellow"),
    Status.fail: ("FAIL", "bold red"),
    Status.error: ("ERROR", "bold magenta"),
    Status.skipped: ("skip", "dim"),
}
_VERDICT = {
    Verdict.passed: ("PASS", "bold green", "no finding needs attention"),
    Verdict.warn: ("WARN", "bold yellow", "warnings only; the gate passes unless --fail-on warning"),
    Verdict.fail: ("FAIL", "bold red", "fail-level findings"),
    Verdict.error: ("ERROR", "bold magenta", "some checks could not be evaluated"),
    Verdict.disable: ("DISABLE", "bold white on red", "kill switch tripped: take the model out of the loop"),
}


def _status(status: Status) -> Text:
    word, style = _STYLE[status]
    return Text(word, style=style)


def print_report(result: AuditResult, console: Console, verbose: bool = False) -> None:
    """Print the report on `console` (which decides width and colour)."""
    word, style, meaning = _VERDICT[result.verdict]
    head = Text.assemble(("mlaudit ", "bold"), (f"{word}", style), f"  {meaning}  ",
                         (f"exit {int(result.exit_code)}", "dim"))
    console.print(head)
    model = result.model_name + (f" {result.model_version}" if result.model_version else "")
    rows = ", ".join(f"{i.role} {i.rows:,} rows" for i in result.inputs if i.rows is not None)
    console.print(Text(f"model {model} · contract {result.contract_path} · {rows}", style="dim"))
    if result.fallback is not None:
        console.print(Text.assemble(("fallback: ", "bold"), result.fallback))

    summary = Table(title=None, show_edge=False, header_style="bold", pad_edge=False)
    summary.add_column("failure mode")
    for s in (Status.fail, Status.warn, Status.error, Status.skipped, Status.passed):
        summary.add_column(_STYLE[s][0], justify="right")
    for mode, counts in result.counts().items():
        order = (Status.fail, Status.warn, Status.error, Status.skipped, Status.passed)
        summary.add_row(Text(mode), *(Text(str(counts[s.value])) for s in order))
    console.print()
    console.print(summary)

    owners = result.by_owner()
    if owners:
        who = Table(title=None, show_edge=False, header_style="bold", pad_edge=False)
        who.add_column("who must act")
        for s in (Status.error, Status.fail, Status.warn):
            who.add_column(_STYLE[s][0], justify="right")
        for label, row in owners.items():
            who.add_row(Text(label), *(Text(str(row[s.value])) for s in (Status.error, Status.fail, Status.warn)))
        console.print()
        console.print(who)

    findings = result.findings()
    if verbose:  # every result that is not a pass, by failure mode
        for mode in FailureMode:
            items = [f for f in findings if f.failure_mode is mode]
            items += [f for f in result.results if f.failure_mode is mode and f.status is Status.skipped]
            if items:
                console.print()
                console.print(Text(f"── {mode.value} ", style="bold"))
                for item in items:
                    _print_result(console, item)
    else:
        if findings:
            console.print()
        for item in findings:
            _print_result(console, item)
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))


def _series(r: CheckResult) -> list[float | None]:
    """The chunked values a result carries (drift per chunk, estimates, shares), for a sparkline."""
    d = r.details
    if not (d.get("series") or d.get("trend") or d.get("chunks")) and d.get("recent"):  # over runs (--history)
        return [v if isinstance(v, int | float) else None for v in d["recent"]] if len(d["recent"]) >= 3 else []
    points: list[Any] = d.get("series") or d.get("trend") or d.get("chunks") or []
    key = next((k for k in ("value", "estimate", "low_share", "share", "mean") if points and k in points[0]), None)
    if key is None or len(points) < 3:
        return []
    return [p.get(key) if isinstance(p.get(key), int | float) else None for p in points]


def _print_result(console: Console, r: CheckResult) -> None:
    value = display_value(r)
    series = _series(r)
    spark = f"  {text_sparkline(series)}" if series else ""
    console.print(Text.assemble(_status(r.status), " ", (r.check, "bold"), f"  {r.column}" if r.column else "",
                                f"  {value}" if value else "", (spark, "cyan")))
    console.print(Text(f"  {r.message}"))
    tail = " · ".join(x for x in (examples_text(r), f"owner: {r.owner.label()}") if x)
    console.print(Text(f"  {tail}", style="dim"))


def render(result: AuditResult, width: int = 120, color: bool = False, verbose: bool = False) -> str:
    """The report as text (for tests and mails)."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False)
    print_report(result, console, verbose=verbose)
    return buf.getvalue()
