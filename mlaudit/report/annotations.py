"""GitHub Actions workflow commands: each finding becomes an annotation on the run (and on the contract file).

One line per finding, worst first, so that GitHub's per-step and per-job annotation limits drop the least
important ones. Data is escaped by GitHub's rules, so a message cannot end its line early or start a second
command. Like the other formatters this only presents an :class:`AuditResult`; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlaudit.results import AuditResult, CheckResult, Status, Verdict

_COMMAND = {Status.error: "error", Status.fail: "error", Status.warn: "warning"}


def escape_data(text: str) -> str:
    """Escape a command's message: a raw newline would end the command and let the rest run as a new one."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (title, file): ':' and ',' also separate the command's properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, title: str, file: str | None = None) -> str:
    """One workflow command line, e.g. ``::error file=contract.yaml,title=drift.feature age::message``."""
    props = ([f"file={escape_property(file)}"] if file else []) + [f"title={escape_property(title)}"]
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


def finding_line(r: CheckResult, file: str | None) -> str:
    """A finding as an annotation: who must act is in the text, as the annotation is often all a reviewer reads."""
    title = r.check + (f" {r.column}" if r.column else "")
    return command(_COMMAND[r.status], f"{r.message} (owner: {r.owner.label()})", title, file)


def kill_switch_line(result: AuditResult, file: str | None) -> str:
    """The kill switch first, so it survives GitHub's annotation limits and is what people see."""
    text = "kill switch tripped: take the model out of the loop"
    if result.fallback is not None:
        text += f"; fallback: {result.fallback}"
    return command("error", text, "kill switch", file)


def render(result: AuditResult, max_lines: int = 50) -> str:
    """The workflow commands, one a line, with a trailing newline ('' when there is nothing to say).

    At most `max_lines` finding lines (GitHub keeps about 10 errors and 10 warnings per step and 50 annotations per
    job); the kill-switch line comes on top, and one notice says how many findings were left out."""
    if max_lines < 0:
        raise ValueError(f"max_lines must be 0 or more, not {max_lines}")
    file = result.contract_path or None
    findings = result.findings()
    lines = [kill_switch_line(result, file)] if result.verdict is Verdict.disable else []
    lines += [finding_line(r, file) for r in findings[:max_lines]]
    hidden = len(findings) - max_lines
    if hidden > 0:
        lines.append(f"::notice::…and {hidden} more finding{'s' if hidden != 1 else ''}")
    return "".join(f"{line}\n" for line in lines)


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """Whether workflow commands will be read: elsewhere they are noise in the log. Takes the environment as an
    argument so callers and tests need not touch os.environ."""
    return environ.get("GITHUB_ACTIONS") == "true"
