"""The terminal report: verdict first, a summary by failure mode, then what needs a person.

Colour is never the only signal: statuses are also written as words and
symbols, so NO_COLOR terminals, cron mails and screen readers lose nothing.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlaudit.results import AuditResult, CheckResult, Status, Verdict

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


def _value(r: CheckResult) -> str:
    if r.value is None:
        return ""
    if r.statistic and r.statistic.endswith("share"):
        return f"{r.value:.2%}" if r.value >= 0.0001 or r.value == 0 else f"{r.value:.4%}"
    return f"{r.value:,.4g}"


def print_report(result: AuditResult, console: Console, verbose: bool = False) -> None:
    """Print the report on `console` (which decides width and colour)."""
    word, style, meaning = _VERDICT[result.verdict]
    head = Text.assemble(("mlaudit ", "bold"), (f"{word}", style), f"  {meaning}  ",
                         (f"exit {int(result.exit_code)}", "dim"))
    console.print(head)
    model = result.model_name + (f" {result.model_version}" if result.model_version else "")
    rows = ", ".join(f"{i.role} {i.rows:,} rows" for i in result.inputs if i.rows is not None)
    console.print(Text(f"model {model} · contract {result.contract_path} · {rows}", style="dim"))

    summary = Table(title=None, show_edge=False, header_style="bold", pad_edge=False)
    summary.add_column("failure mode")
    for s in (Status.fail, Status.warn, Status.error, Status.skipped, Status.passed):
        summary.add_column(_STYLE[s][0], justify="right")
    for mode, counts in result.counts().items():
        order = (Status.fail, Status.warn, Status.error, Status.skipped, Status.passed)
        summary.add_row(Text(mode), *(Text(str(counts[s.value])) for s in order))
    console.print()
    console.print(summary)

    findings = result.findings()
    shown = findings + ([r for r in result.results if r.status is Status.skipped] if verbose else [])
    if shown and console.width < 100:
        console.print()
        for r in shown:
            line = Text.assemble(_status(r.status), " ", (r.check, "bold"),
                                 f" {r.column}" if r.column else "", f"  {_value(r)}" if _value(r) else "")
            console.print(line)
            console.print(Text(f"  {r.message}"))
            examples = f"  e.g. {', '.join(str(e) for e in r.examples[:3])} · " if r.examples else "  "
            console.print(Text(f"{examples}owner: {r.owner.label()}", style="dim"))
    elif shown:
        table = Table(show_edge=False, header_style="bold", pad_edge=False, expand=False)
        table.add_column("status", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("column", overflow="fold")
        table.add_column("value", justify="right", no_wrap=True)
        table.add_column("owner", overflow="fold")
        table.add_column("finding", overflow="fold", ratio=1)
        for r in shown:
            examples = f" e.g. {', '.join(str(e) for e in r.examples[:3])}" if r.examples else ""
            table.add_row(_status(r.status), Text(r.check), Text(r.column or ""), Text(_value(r)),
                          Text(r.owner.label()), Text(r.message + examples))
        console.print()
        console.print(table)
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))


def render(result: AuditResult, width: int = 120, color: bool = False, verbose: bool = False) -> str:
    """The report as text (for tests and mails)."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False)
    print_report(result, console, verbose=verbose)
    return buf.getvalue()
