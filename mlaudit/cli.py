"""The command line: a thin typer layer over the library. It decides no verdict.

Exit codes: 0 passed · 1 the gate failed (--fail-on) · 2 could not audit (bad
usage, contract or data) · 3 kill switch tripped · 4 internal error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from mlaudit import __version__
from mlaudit.atomic import replacing
from mlaudit.errors import MlauditError, UsageError
from mlaudit.results import ExitCode, FailOn


class OwnerChoice(str, Enum):
    data_quality = "data_quality"
    model_behavior = "model_behavior"
    decision_impact = "decision_impact"
    governance = "governance"


class Engine(str, Enum):
    """Values of --engine."""

    local = "local"
    dask = "dask"

EXIT_CODES_HELP = (
    "Exit codes: 0 passed; 1 the gate failed (see --fail-on; a check that could not be evaluated "
    "always fails it); 2 could not audit (bad usage, contract or data); 3 kill switch tripped; "
    "4 internal error (please report it; rerun with --debug for the traceback)."
)

app = typer.Typer(
    name="mlaudit",
    help="Audit a machine-learning system in production against a YAML contract.\n\n" + EXIT_CODES_HELP,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
contract_app = typer.Typer(help="Validate a contract, compare two versions, or print its JSON Schema.",
                           no_args_is_help=True,
                           rich_markup_mode=None)
app.add_typer(contract_app, name="contract")
audit_log_app = typer.Typer(help="Check an audit log written with `mlaudit audit --audit-log`.", no_args_is_help=True,
                            rich_markup_mode=None)
app.add_typer(audit_log_app, name="audit-log")

T = TypeVar("T")


def _fail(message: str, code: ExitCode) -> NoReturn:
    for line in message.splitlines() or [message]:
        typer.echo(f"mlaudit: {line}", err=True)
    raise typer.Exit(int(code))


def _guard(fn: Callable[[], T], debug: bool) -> T:
    """Run `fn`; map user errors to exit 2 (one line each), anything else to exit 4."""
    try:
        return fn()
    except typer.Exit:
        raise
    except MlauditError as exc:
        if debug:
            traceback.print_exc()
        problems = getattr(exc, "problems", None) or [str(exc)]
        _fail("\n".join(f"error: {p}" for p in problems), ExitCode.CANNOT_AUDIT)
    except KeyboardInterrupt:
        _fail("error: interrupted; reports not yet written keep their previous content", ExitCode.CANNOT_AUDIT)
    except Exception as exc:  # the last line of defence: never a bare traceback
        if debug:
            traceback.print_exc()
        hint = "" if debug else "; rerun with --debug for the traceback"
        _fail(f"internal error: {type(exc).__name__}: {exc}. This is a bug in mlaudit {__version__}, "
              f"please report it{hint}", ExitCode.INTERNAL_ERROR)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Audit a machine-learning system in production against a YAML contract."""


def _check_output(path: Path | None, flag: str) -> None:
    if path is not None and not path.parent.exists():
        raise UsageError(f"{flag} {path}: folder {path.parent} does not exist; create it first")
    if path is not None and path.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file path")


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    try:
        with replacing(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror or exc}); check the folder and its permissions") from None


def _parse_as_of(text: str | None) -> dt.datetime | None:
    from mlaudit.api import parse_time

    return None if text is None else parse_time(text, "--as-of")


def _not_an_input(path: Path | None, flag: str, *sources: str | Path | None) -> None:
    """Refuse a report path that is one of the audit's inputs: an input file, a file inside an input folder, or a
    file an input glob matches (writing there would destroy data the audit reads)."""
    import glob as globbing

    if path is None:
        return
    target = path.resolve()
    for source in sources:
        if source is None or "://" in str(source):
            continue
        text = str(source)
        candidates = [Path(text)] if not globbing.has_magic(text) else [Path(p) for p in globbing.glob(text)]
        for candidate in candidates:
            if not candidate.exists():
                continue
            resolved = candidate.resolve()
            if resolved == target or (resolved.is_dir() and target.is_relative_to(resolved)):
                raise UsageError(f"{flag} {path} is one of the audit's inputs (or inside one); write the report "
                                 "elsewhere")


@app.command(epilog=EXIT_CODES_HELP)
def audit(
    contract: Annotated[Path, typer.Option("--contract", "-c", help="YAML contract.")],
    reference: Annotated[str, typer.Option("--reference", "-r",
                                           help="Training snapshot: Parquet file, folder or glob.")],
    current: Annotated[str, typer.Option("--current",
                                         help="Production snapshot: Parquet file, folder or glob.")],
    outcomes: Annotated[str | None, typer.Option(
        "--outcomes", help="Delayed outcomes (Parquet), joined to --current on the id column.")] = None,
    offline: Annotated[str | None, typer.Option(
        "--offline", help="Offline (training-time) feature values of the current snapshot's entities, for "
        "row-level skew (Parquet).")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
    markdown_path: Annotated[Path | None, typer.Option(
        "--markdown", help="Write a Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set).")] = None,
    html_path: Annotated[Path | None, typer.Option(
        "--html", help="Write the self-contained HTML report here (charts inline; opens offline).")] = None,
    junit_path: Annotated[Path | None, typer.Option(
        "--junit", help="Write JUnit XML here: one test case per check result, for CI test reports.")] = None,
    annotations: Annotated[bool | None, typer.Option(
        "--annotations/--no-annotations", help="Print GitHub Actions ::error/::warning lines for the findings "
        "(default: on when GITHUB_ACTIONS is true).")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Findings that fail the gate (exit 1).",
                                            case_sensitive=False)] = FailOn.error,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Run only these checks (id, family or failure mode); repeatable.")] = None,
    skip: Annotated[list[str] | None, typer.Option(
        "--skip", help="Skip these checks (id, family or failure mode); repeatable.")] = None,
    chunk: Annotated[str | None, typer.Option(
        "--chunk", help="Split the current snapshot by 1h, 1d, 1w, 1mo (event time) or N rows for drift over "
        "time and its onset.")] = None,
    streaming: Annotated[bool | None, typer.Option(
        "--streaming/--no-streaming", help="Use polars' streaming engine (default: above 2,000,000 rows) so "
        "memory stays bounded for data bigger than memory.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Judge freshness as of this ISO time instead of now (reproducible runs).")] = None,
    engine: Annotated[Engine, typer.Option(
        "--engine", help="Where the queries run: local, or dask (a Dask cluster; needs mlaudit[dask]).",
        case_sensitive=False)] = Engine.local,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (tcp://host:8786) for --engine dask; without it, worker "
        "processes on this machine.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="A check the contract asks for that could not be evaluated (skipped) fails the gate.")
    ] = False,
    owner: Annotated[OwnerChoice | None, typer.Option(
        "--owner", help="Only this owner area's results (data_quality, model_behavior, decision_impact, governance): "
        "the report, verdict and exit code are that owner's.", case_sensitive=False)] = None,
    history: Annotated[Path | None, typer.Option(
        "--history", help="Run history folder: earlier runs feed the monitoring checks (persistent problems, slow "
        "trends, retraining evidence) and this run is added as one Parquet file.")] = None,
    audit_log: Annotated[Path | None, typer.Option(
        "--audit-log", help="Append a tamper-evident record of this audit (who, when, contract and data "
        "fingerprints, verdict) to this JSON Lines log; created if missing, safe for concurrent runs.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No report on stdout, no progress.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list skipped checks and timings.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Run the audit and exit with a code a cron job or CI pipeline can gate on."""
    from mlaudit import api
    from mlaudit.report import json as json_report

    def run() -> int:
        for path, flag in ((json_path, "--json"), (markdown_path, "--markdown"), (audit_log, "--audit-log"),
                           (html_path, "--html"), (junit_path, "--junit")):
            _check_output(path, flag)
            _not_an_input(path, flag, contract, reference, current, outcomes, offline)
        owner_area = owner.value if owner is not None else None
        when = _parse_as_of(as_of)
        if html_path is not None:  # its import and template compile (0.05 s) overlap the reading, not follow it
            threading.Thread(target=_warm_html, name="mlaudit-warm-html", daemon=True).start()
        # rich (the progress line, the terminal report) is imported only when something is shown: a quiet
        # run, as from cron or CI, starts 0.03-0.05 s sooner
        err = _console(stderr=True) if not quiet else None
        if err is not None and err.is_terminal:
            with err.status("auditing") as status:
                result = api.audit(contract, reference, current, outcomes, offline, only=only or (),
                                   skip=skip or (), fail_on=fail_on, as_of=when, chunk=chunk,
                                   streaming=streaming, engine=engine.value, scheduler=scheduler,
                                   progress=lambda msg: status.update(msg), owner=owner_area, audit_log=audit_log,
                                   history=history, strict=strict)
        else:
            result = api.audit(contract, reference, current, outcomes, offline, only=only or (), skip=skip or (),
                               fail_on=fail_on, as_of=when, chunk=chunk, streaming=streaming,
                               engine=engine.value, scheduler=scheduler, owner=owner_area, audit_log=audit_log,
                               history=history, strict=strict)
        if json_path is not None:
            _write_atomic(json_path, json_report.render(result))
        _write_reports(result, markdown_path, html_path, junit_path, annotations)
        if result.audit_record is not None and not quiet:
            typer.echo(f"mlaudit: audit log {audit_log}: appended record {result.audit_record['seq']} "
                       f"(hash {result.audit_record['hash']}); keep the hash elsewhere to detect truncation", err=True)
        if not quiet:
            from mlaudit.report import terminal

            terminal.print_report(result, _console(highlight=False), verbose=verbose)
            if verbose:
                with _reader_may_leave():
                    typer.echo("timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in result.timings.items()))
        return int(result.exit_code)

    code = _guard(run, debug)
    raise typer.Exit(code)


@contextlib.contextmanager
def _reader_may_leave() -> Iterator[None]:
    """Printing with typer.echo to a reader that went away: the rest of the text is dropped and the exit code
    stays the audit's own (see _console for rich's printing)."""
    try:
        yield
    except BrokenPipeError:
        _stdout_to_devnull()


def _warm_html() -> None:
    """Import the HTML report and compile its template; a failure here is left for the real render to report."""
    with contextlib.suppress(Exception):
        from mlaudit.report import html

        html.warm()


def _write_reports(result: Any, markdown_path: Path | None, html_path: Path | None, junit_path: Path | None,
                   annotations: bool | None) -> None:
    """Write the requested report files (atomically) and print GitHub Actions annotations when asked or in
    GitHub Actions; `mlaudit audit` and `mlaudit report` share it."""
    from mlaudit.report import annotations as gh  # the other formats are imported only when asked for

    if markdown_path is not None:
        from mlaudit.report import markdown

        summary = markdown.render(result)
        _write_atomic(markdown_path, summary)
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            try:
                with open(step_summary, "a", encoding="utf-8") as fh:
                    fh.write(summary)
            except OSError as exc:
                typer.echo(f"mlaudit: warning: cannot append to GITHUB_STEP_SUMMARY {step_summary} "
                           f"({exc.strerror or exc}); the summary is in {markdown_path}", err=True)
    if html_path is not None:
        from mlaudit.report import html

        _write_atomic(html_path, html.render(result))
    if junit_path is not None:
        from mlaudit.report import junit

        _write_atomic(junit_path, junit.render(result, warnings_fail=result.fail_on.value == "warning"))
    if annotations or (annotations is None and gh.in_github_actions(os.environ)):
        text = gh.render(result)
        if text:
            with _reader_may_leave():
                typer.echo(text.rstrip("\n"))


@app.command("report", epilog="Exit codes: the audit's own exit code (0, 1 or 3) as recorded; 2 the JSON report "
             "cannot be read or a report cannot be written; 4 internal error.")
def report(
    result_path: Annotated[Path, typer.Argument(help="A JSON report written by `mlaudit audit --json`.")],
    markdown_path: Annotated[Path | None, typer.Option("--markdown", help="Write the Markdown summary here.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    junit_path: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    annotations: Annotated[bool | None, typer.Option(
        "--annotations/--no-annotations",
        help="Print GitHub Actions annotations (default: in GitHub Actions).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No terminal report.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list skipped checks.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Re-render a saved JSON result (terminal, Markdown, HTML, JUnit, annotations) without reading the data again;
    exits with the audit's exit code."""
    from mlaudit.report import json as json_report
    from mlaudit.report import terminal

    def run() -> int:
        for path, flag in ((markdown_path, "--markdown"), (html_path, "--html"), (junit_path, "--junit")):
            _check_output(path, flag)
            _not_an_input(path, flag, result_path)
        result = json_report.load(str(result_path))
        _write_reports(result, markdown_path, html_path, junit_path, annotations)
        if not quiet:
            terminal.print_report(result, _console(highlight=False), verbose=verbose)
        return int(result.exit_code)

    raise typer.Exit(_guard(run, debug))


@app.command(epilog=EXIT_CODES_HELP)
def init(
    reference: Annotated[str, typer.Argument(help="Snapshot to infer from: Parquet file, folder or glob.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Model name (default: the file name).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Infer a starting contract from a snapshot; lines marked CONFIRM need a person."""
    from mlaudit.contract.infer import infer_contract

    def run() -> None:
        if output is not None:
            _check_output(output, "--output")
            if output.exists() and not force:
                raise UsageError(f"{output} exists; pass --force to overwrite it")
        text = infer_contract(reference, name=name)
        if output is None:
            typer.echo(text, nl=False)
        else:
            _write_atomic(output, text)
            typer.echo(f"wrote {output}; review the lines marked CONFIRM, then run "
                       f"`mlaudit contract check {output} --against {reference}`", err=True)

    _guard(run, debug)


@app.command("profile", epilog=EXIT_CODES_HELP)
def make_profile(
    reference: Annotated[str, typer.Argument(help="Training snapshot: Parquet file, folder or glob.")],
    contract: Annotated[Path, typer.Option("--contract", "-c", help="The contract the audits will use.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Profile file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Summarise a reference once (mlaudit audit --reference PROFILE then skips re-reading it)."""
    from mlaudit import profile as profiles
    from mlaudit.contract.compat import problems_against
    from mlaudit.contract.loader import load_contract
    from mlaudit.errors import ContractError

    def run() -> None:
        _check_output(output, "--output")
        if output.exists() and not force:
            raise UsageError(f"{output} exists; pass --force to overwrite it")
        loaded = load_contract(contract)
        from mlaudit import snapshots

        snap = snapshots.scan(reference, "reference")
        problems = problems_against(loaded, {"reference": snap.schema}, reference="reference", check_roles=False)
        if problems:
            raise ContractError(problems)
        built = profiles.build(loaded, snap, output)
        typer.echo(f"wrote {output}: {built.rows:,} rows, {len(built.columns)} columns profiled", err=True)

    _guard(run, debug)


@contract_app.command("check", epilog=EXIT_CODES_HELP)
def contract_check(
    paths: Annotated[list[Path], typer.Argument(help="Contracts to validate (one or more, e.g. from pre-commit).")],
    against: Annotated[str | None, typer.Option(
        "--against", help="Also check column names and types against this snapshot.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Validate contracts (and optionally their columns against a snapshot). Exit 0 valid, 2 invalid."""
    from mlaudit import snapshots
    from mlaudit.contract.compat import missing_role_columns, problems_against
    from mlaudit.contract.loader import load_contract
    from mlaudit.errors import ContractError

    def run() -> None:
        problems: list[str] = []
        snap = snapshots.scan(against, "snapshot") if against is not None else None
        for path in paths:
            try:
                loaded = load_contract(path)
                if snap is not None:
                    found = problems_against(loaded, {"given": snap.schema}, reference="given", check_roles=False)
                    if found:
                        raise ContractError(found)
            except ContractError as exc:
                problems += exc.problems
                continue
            if snap is not None:
                for note in missing_role_columns(loaded, snap.schema, str(against)):
                    typer.echo(f"mlaudit: note: {note} (fine if this snapshot is not meant to have it)", err=True)
            c = loaded.contract
            typer.echo(f"{path}: valid contract for model {c.model.name} ({len(c.features)} features, "
                       f"{len(c.rules)} rules)" + (f"; matches {against}" if against else ""))
        if problems:
            raise ContractError(problems)

    _guard(run, debug)


@app.command("history", epilog="Exit codes: 0 shown; 2 the history cannot be read; 4 internal error.")
def show_history(
    folder: Annotated[Path, typer.Argument(help="Run history folder written by `mlaudit audit --history`.")],
    check: Annotated[str | None, typer.Option("--check", help="Show this check's statistic per run.")] = None,
    column: Annotated[str | None, typer.Option("--column", help="Only this column of --check.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only runs of this model name.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Also write the runs (and the series) as an HTML "
                                                   "page with charts.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """List the runs in a history folder, or one check's statistic per run (--check, --column)."""
    from mlaudit import history as store
    from mlaudit.report import history_report

    def run() -> None:
        data = store.load(folder, model)
        if data is None:
            raise UsageError(f"{folder}: no such history folder; it is created by `mlaudit audit --history`")
        text = history_report.text(data, check, column)
        typer.echo(text.rstrip("\n"))
        if html_path is not None:
            _check_output(html_path, "--html")
            _write_atomic(html_path, history_report.html(data, check, column))

    _guard(run, debug)


@audit_log_app.command("verify", epilog="Exit codes: 0 intact; 1 tampered or damaged; 2 unreadable.")
def audit_log_verify(
    path: Annotated[Path, typer.Argument(help="Audit log (JSON Lines) written by `mlaudit audit --audit-log`.")],
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Check an audit log's hash chain: reports edited, removed, inserted or reordered records and a truncated
    head, by line number."""
    from mlaudit import auditlog

    def run() -> int:
        problems = auditlog.verify(path)
        for problem in problems:
            typer.echo(f"{path}: {problem}")
        if not problems:
            typer.echo(f"{path}: intact")
        return 1 if problems else 0

    raise typer.Exit(_guard(run, debug))


@contract_app.command("diff", epilog="Exit codes: 0 no breaking change; 1 at least one breaking change; 2 a contract "
                      "is invalid or cannot be read; 4 internal error.")
def contract_diff(
    old: Annotated[Path, typer.Argument(help="The contract before the change (e.g. from the main branch).")],
    new: Annotated[Path, typer.Argument(help="The contract after the change.")],
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Compare two contracts and say which changes must be reviewed before merging.

    A change is BREAKING when it weakens the contract (a feature, rule, owner or role column removed; a level
    raised; a check disabled or lowered to warning; a range or list of allowed values widened) or when data that
    passed may now fail (a range or allowed values narrowed, nullable: false, a new regex or unique). Levels are
    compared as they take effect, with check defaults filling unset keys. Every line is located as
    file:line:col (key.path) in NEW, or in OLD when the key was removed.
    """
    from mlaudit.contract import diff
    from mlaudit.contract.loader import load_contract

    def run() -> int:
        changes = diff.diff(load_contract(old), load_contract(new))
        typer.echo(diff.render(changes))
        return diff.exit_code(changes)

    raise typer.Exit(_guard(run, debug))


@contract_app.command("schema")
def contract_schema() -> None:
    """Print the contract's JSON Schema (for editor autocompletion and validation)."""
    from mlaudit.contract.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command("checks")
def list_checks(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the reference as Markdown.")] = False,
) -> None:
    """List every registered check: id, failure mode, owner area, severity, what it finds."""
    from mlaudit.checks.docs import markdown_reference
    from mlaudit.checks.registry import REGISTRY

    if markdown:
        typer.echo(markdown_reference(), nl=False)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for col in ("id", "failure mode", "owner", "severity"):
        table.add_column(col, no_wrap=True)
    table.add_column("finds", overflow="fold", min_width=30)
    for entry in REGISTRY:
        s = entry.spec
        table.add_row(*(Text(x) for x in (s.id, s.failure_mode.value, s.owner_area.value, s.severity.value,
                                          s.doc)))
    _console(highlight=False).print(table)


def _console(**options: Any) -> Any:
    """A rich Console, rich imported on first use. When the reader of stdout goes away (`mlaudit audit ... |
    head`) it stops printing and the exit code stays the audit's own: rich's default exits with 1, which reads
    as a failed gate."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            _stdout_to_devnull()

    return _Console(**options)


def _stdout_to_devnull() -> None:
    """Point stdout's file descriptor at /dev/null: its reader is gone, and the interpreter's last flush of
    the text still buffered would fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: usage errors become one line and exit code 2."""
    # the audit runs its statistics in parallel itself, a column per thread; a BLAS pool of its own would only
    # spin between the few matrix products (PCA) and take cores from that work. Read when numpy loads, which
    # is after this (mlaudit's package import is lazy); a value the user set is kept.
    for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    # SIGTERM (a cron timeout, a container stop) ends the run as Ctrl-C does: temporary files are removed and
    # the exit code says the audit did not complete; Python's default would die without cleaning up
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = _run_app()
    finally:
        # the process ends now: the objects left are freed with it. Without this, the interpreter's last
        # garbage collections walk every object of the run (0.15-0.2 s after a million-row audit).
        gc.freeze()
    sys.exit(code)


def _run_app() -> int:
    """The command's exit code; usage errors as one line and exit code 2."""
    from typer.exceptions import TyperException

    try:
        code = app(prog_name="mlaudit", standalone_mode=False)
    except TyperException as exc:  # bad or missing options, unknown commands
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "mlaudit"
        typer.echo(f"mlaudit: error: {exc.format_message()} See `{command} --help`.", err=True)
        return int(ExitCode.CANNOT_AUDIT)
    except typer.Abort:
        typer.echo("mlaudit: error: aborted", err=True)
        return int(ExitCode.CANNOT_AUDIT)
    return code if isinstance(code, int) else 0
