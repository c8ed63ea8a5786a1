"""The command line: every exit code, one-line errors, outputs written or left alone."""

from __future__ import annotations

import ast
import gc
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlaudit import api
from mlaudit.checks.docs import markdown_reference
from mlaudit.cli import app
from tests.conftest import ROOT

CONTRACT = """
    version: 1
    model: {name: tiny, task: binary_classification}
    owners:
      data_quality: {team: data-team, contact: data@example.com}
      model_behavior: {team: ml-team}
      decision_impact: {team: ops}
      governance: {team: model-risk}
    columns: {id: id, score: p}
    features:
      x: {type: float, range: [0, 10]}
      c: {type: category, allowed: [a, b]}
"""


@pytest.fixture
def files(write_parquet: Callable[..., Path], write_contract: Callable[[str], Path]) -> dict[str, Path]:
    clean = {"id": [5, 6, 7, 8], "x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"], "p": [0.1, 0.2, 0.9, 0.8]}
    broken = {"id": [5, 6, 7, 8], "x": [1.0, 2.0, 30.0, 4.0], "c": ["a", "b", "a", "b"], "p": [0.1, 0.2, 0.9, 0.8]}
    warn_only = dict(clean, c=["a", "b", "a", "b"])
    return {
        "contract": write_contract(CONTRACT),
        "ref": write_parquet("ref.parquet", dict(clean, id=[1, 2, 3, 4])),  # production ids never repeat training's
        "clean": write_parquet("clean.parquet", clean),
        "broken": write_parquet("broken.parquet", broken),
        "warn": write_parquet("warn.parquet", warn_only),
    }


def _audit(runner: CliRunner, files: dict[str, Path], current: str = "clean", *extra: str) -> object:
    args = ["audit", "--contract", str(files["contract"]), "--reference", str(files["ref"]),
            "--current", str(files[current]) if current in files else current, *extra]
    return runner.invoke(app, args)


def test_clean_snapshot_exits_0(runner: CliRunner, files: dict[str, Path]) -> None:
    res = _audit(runner, files)
    assert res.exit_code == 0, res.output
    assert "PASS" in res.stdout


def test_fail_level_finding_exits_1_and_names_it(runner: CliRunner, files: dict[str, Path]) -> None:
    res = _audit(runner, files, "broken")
    assert res.exit_code == 1
    assert "FAIL" in res.stdout
    assert "validation.range" in res.stdout
    assert "1 of 4 rows" in res.stdout


def test_fail_on_never_passes_findings(runner: CliRunner, files: dict[str, Path]) -> None:
    assert _audit(runner, files, "broken", "--fail-on", "never").exit_code == 0


def test_fail_on_warning_fails_on_warnings(
    runner: CliRunner, files: dict[str, Path], write_contract: Callable[..., Path]
) -> None:
    # a range violation below the fail level is a warning
    files["contract"] = write_contract(CONTRACT.replace("range: [0, 10]}", "range: [0, 10], checks: "
                                                        "{validation.range: {warn: 0, fail: 0.5}}}"), "w.yaml")
    assert _audit(runner, files, "broken").exit_code == 0
    assert _audit(runner, files, "broken", "--fail-on", "warning").exit_code == 1


def test_json_report_written_with_results(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    res = _audit(runner, files, "broken", "--json", str(out), "--quiet")
    assert res.exit_code == 1
    assert res.stdout == ""
    report = json.loads(out.read_text())
    assert report["verdict"] == "fail" and report["exit_code"] == 1
    failing = [r for r in report["results"] if r["status"] == "fail"]
    assert [(r["check"], r["column"]) for r in failing] == [("validation.range", "x")]
    assert failing[0]["value"] == 0.25 and failing[0]["examples"] == [7]
    assert failing[0]["owner"] == {"area": "data_quality", "team": "data-team", "contact": "data@example.com"}


def test_markdown_summary_escapes_data(
    runner: CliRunner, files: dict[str, Path], write_parquet: Callable[..., Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evil = write_parquet("evil.parquet", {"id": [1, 2], "x": [1.0, 2.0], "c": ["<script>x</script>|", "a"],
                                          "p": [0.1, 0.2]})
    files["evil"] = evil
    step = tmp_path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    out = tmp_path / "summary.md"
    res = _audit(runner, files, "evil", "--markdown", str(out))
    assert res.exit_code == 1
    text = out.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "validation.allowed_values" in text
    assert step.read_text() == text


def test_only_and_skip_select_checks(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert _audit(runner, files, "broken", "--skip", "validation.range").exit_code == 0
    _audit(runner, files, "broken", "--only", "validation.range", "--json", str(out))
    checks = {r["check"] for r in json.loads(out.read_text())["results"]}
    assert checks == {"validation.range"}


def _one_line_error(res: object, *needles: str) -> None:
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    err = res.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) >= 1 and all(ln.startswith("mlaudit: error:") for ln in lines), err
    for needle in needles:
        assert needle in err, err


def test_unknown_check_in_only_is_usage_error(runner: CliRunner, files: dict[str, Path]) -> None:
    _one_line_error(_audit(runner, files, "clean", "--only", "validation.rnage"), "did you mean 'validation.range'")


def test_missing_current_file_exits_2(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    _one_line_error(_audit(runner, files, str(tmp_path / "nope.parquet")), "nope.parquet", "not found")


def test_corrupt_parquet_exits_2_naming_file(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.parquet"
    bad.write_bytes(b"PAR1 this is not parquet PAR1")
    files["corrupt"] = bad
    _one_line_error(_audit(runner, files, "corrupt"), "corrupt.parquet", "not a readable Parquet file")


def test_empty_glob_exits_2(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    _one_line_error(_audit(runner, files, str(tmp_path / "none-*.parquet")), "no file matches")


def test_contract_typo_exits_2_with_location(
    runner: CliRunner, files: dict[str, Path], write_contract: Callable[..., Path]
) -> None:
    files["contract"] = write_contract(CONTRACT.replace("range: [0, 10]", "rnage: [0, 10]"), "typo.yaml")
    _one_line_error(_audit(runner, files), "typo.yaml:10:", "features.x.rnage", "did you mean 'range'")


def test_wrong_column_type_in_reference_exits_2(
    runner: CliRunner, files: dict[str, Path], write_parquet: Callable[..., Path]
) -> None:
    files["ref"] = write_parquet("ref_str.parquet", {"id": [1], "x": ["1.0"], "c": ["a"], "p": [0.5]})
    _one_line_error(_audit(runner, files), "feature 'x' is declared float but is String")


def test_bad_input_does_not_overwrite_reports(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "keep.json"
    out.write_text("previous report")
    _one_line_error(_audit(runner, files, str(tmp_path / "missing.parquet"), "--json", str(out)))
    assert out.read_text() == "previous report"


def test_output_folder_missing_exits_2(runner: CliRunner, files: dict[str, Path], tmp_path: Path) -> None:
    _one_line_error(_audit(runner, files, "clean", "--json", str(tmp_path / "no" / "r.json")), "does not exist")


def test_bad_as_of_exits_2(runner: CliRunner, files: dict[str, Path]) -> None:
    _one_line_error(_audit(runner, files, "clean", "--as-of", "yesterday"), "--as-of")


def test_internal_error_exits_4_and_asks_to_report(
    runner: CliRunner, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(api, "audit", boom)
    res = _audit(runner, files)
    assert res.exit_code == 4
    assert "internal error" in res.stderr and "please report" in res.stderr and "Traceback" not in res.stderr
    res = _audit(runner, files, "clean", "--debug")
    assert res.exit_code == 4 and "Traceback" in res.stderr


def test_unknown_option_is_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(app, ["audit", "--no-such-flag"]).exit_code == 2


def test_help_documents_exit_codes(runner: CliRunner) -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for code in ("0 passed", "1 the gate failed", "2 could not audit", "3 kill switch", "4 internal error"):
        assert code in " ".join(res.stdout.split())


def test_version(runner: CliRunner) -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.startswith("mlaudit ")


def test_checks_lists_every_registered_check(runner: CliRunner) -> None:
    from mlaudit.checks.registry import REGISTRY

    res = runner.invoke(app, ["checks"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for check_id in REGISTRY.ids():
        assert check_id in res.stdout


def test_checks_reference_is_documented() -> None:
    """docs/checks.md must be regenerated (mlaudit checks --markdown) when a check changes."""
    assert (ROOT / "docs" / "checks.md").read_text(encoding="utf-8") == markdown_reference()


def test_readme_documents_every_exit_code_and_audit_flag() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for flag in ("--contract", "--reference", "--current", "--outcomes", "--json", "--markdown", "--fail-on",
                 "--only", "--skip", "--quiet", "--verbose", "--debug", "--as-of", "--chunk", "--streaming",
                 "--offline", "--engine", "--scheduler", "--owner", "--audit-log", "--html", "--junit",
                 "--annotations", "--history", "--strict"):
        assert flag in readme, flag
    for code in range(5):
        assert f"| {code} |" in readme


def test_usage_errors_from_the_console_script_are_one_line(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from mlaudit.cli import main

    monkeypatch.setattr("sys.argv", ["mlaudit", "audit", "--contract", "c.yaml"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mlaudit: error: Missing option '--reference'")


def test_console_script_passes_the_audit_exit_code(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from mlaudit.cli import main

    monkeypatch.setattr("sys.argv", ["mlaudit", "audit", "--contract", str(files["contract"]), "--reference",
                                     str(files["ref"]), "--current", str(files["broken"]), "--quiet"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as exc:
            main()
        # on the way out the run's objects are frozen: the interpreter's last collections then skip them
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert exc.value.code == 1


def test_unwritable_report_is_a_clear_error(runner: CliRunner, files: dict[str, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "write_text", refuse)
    _one_line_error(_audit(runner, files, "clean", "--json", str(tmp_path / "r.json")), "cannot write", "r.json")


def test_contract_check_against_notes_absent_role_columns(
    runner: CliRunner, write_contract: Callable[..., Path], write_parquet: Callable[..., Path]
) -> None:
    contract = write_contract(CONTRACT.replace("columns: {id: id, score: p}", "columns: {id: id, score: p, "
                                                                               "review: reviewer}"), "roles.yaml")
    snap = write_parquet("train.parquet", {"id": [1], "x": [1.0], "c": ["a"], "p": [0.5]})
    res = runner.invoke(app, ["contract", "check", str(contract), "--against", str(snap)])
    assert res.exit_code == 0, res.output
    assert "note:" in res.stderr and "'reviewer'" in res.stderr
    missing_feature = write_parquet("nofeat.parquet", {"id": [1], "c": ["a"], "p": [0.5]})
    res = runner.invoke(app, ["contract", "check", str(contract), "--against", str(missing_feature)])
    assert res.exit_code == 2 and "column 'x' is not in the given snapshot" in res.stderr


def test_importing_the_cli_loads_neither_numpy_nor_scipy() -> None:
    """`mlaudit --help` and the CLI's start stay quick, and the CLI can set numpy's BLAS threads before
    numpy loads: the package's public names are imported on first use."""
    code = ("import sys, mlaudit.cli, mlaudit\n"
            "assert 'numpy' not in sys.modules and 'polars' not in sys.modules, sorted(sys.modules)\n"
            "assert mlaudit.audit.__name__ == 'audit' and 'numpy' in sys.modules\n"
            "assert 'scipy' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_quiet_audit_imports_neither_rich_nor_pyarrow_nor_scipy_stats(tmp_path: Path) -> None:
    """Cron and CI runs (--quiet) show nothing on the terminal: rich, which only draws the terminal report
    and the progress line, stays unimported, a few hundredths of a second of start-up. polars reads the
    Parquet footers, so pyarrow (0.05 to 0.08 s to import) is not loaded either. The statistics take their
    distributions from scipy.special: scipy.stats' import (half a second of the interpreter, against the
    reading threads) is left out of the README's audit, outcomes and daily chunks included."""
    from tests.conftest import SAMPLE

    args = ["mlaudit", "audit", "-c", str(SAMPLE / "contract.yaml"), "-r", str(SAMPLE / "reference.parquet"),
            "--current", str(SAMPLE / "current"), "--outcomes", str(SAMPLE / "outcomes.parquet"), "--chunk", "1d",
            "--as-of", "2026-10-31T06:00:00Z", "--json", str(tmp_path / "r.json"), "--quiet"]
    code = ("import sys\nfrom mlaudit.cli import main\nsys.argv = " + repr(args) + "\ntry:\n    main()\nfinally:\n"
            "    print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'pyarrow', 'scipy')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 3, proc.stderr[-2000:]
    loaded = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    assert "scipy.special" in loaded  # the statistics ran
    assert [m for m in loaded if m.split(".")[0] in ("rich", "pyarrow") or m.startswith("scipy.stats")] == []


@pytest.mark.parametrize("verbose", [False, True])
def test_a_reader_that_goes_away_leaves_the_audits_exit_code(tmp_path: Path, verbose: bool) -> None:
    """`mlaudit audit ... | head` in a pipeline with pipefail: the terminal report finds its reader gone, and
    the exit code is still the audit's (3 here: the sample's kill switch), not 1 (a failed gate) or a
    traceback; the JSON report is written whole."""
    import os

    from tests.conftest import SAMPLE

    args = [sys.executable, "-m", "mlaudit", "audit", "-c", str(SAMPLE / "contract.yaml"),
            "-r", str(SAMPLE / "reference.parquet"), "--current", str(SAMPLE / "current"),
            "--outcomes", str(SAMPLE / "outcomes.parquet"), "--chunk", "1d", "--as-of", "2026-10-31T06:00:00Z",
            "--json", str(tmp_path / "r.json"), *(["--verbose"] if verbose else [])]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        proc = subprocess.run(args, stdout=write, stderr=subprocess.PIPE, text=True, check=False, cwd=ROOT)
    finally:
        os.close(write)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert proc.stderr == ""
    assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == 3
