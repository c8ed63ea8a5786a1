"""Runs the bad-input corpus (tests/corpus/cases.py) through the command line.

Every case must end in its expected exit code, with no traceback and no 'internal error'. Exit 2: every stderr
line is an `mlaudit: error:` line, the expected fragments are there, and a report file that existed at the
--json path is left as it was. Otherwise: the JSON report holds the expected results.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mlaudit.cli import app
from tests.corpus.cases import CASES, Case

SENTINEL = "sentinel: an earlier report, must survive a run that could not audit\n"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    report: dict[str, Any] | None
    exception: BaseException | None
    json_path: Path | None
    #: Every file of the case's folder as it was before the run.
    before: dict[Path, bytes]


def build(case: Case, folder: Path) -> None:
    for name, builder in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = builder()
        if isinstance(data, pl.DataFrame):
            data.write_parquet(path)
        elif isinstance(data, pa.Table):
            pq.write_table(data, path)
        elif isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    if case.contract is not None:
        target = folder / "contract.yaml"
        if isinstance(case.contract, bytes):
            target.write_bytes(case.contract)
        else:
            target.write_text(case.contract, encoding="utf-8")


def files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run(case: Case, folder: Path) -> Outcome:
    """Build the case's inputs in `folder`, run the command line on them, and return what came out."""
    build(case, folder)
    args = [a.format(d=folder) for a in case.args]
    json_path: Path | None = None
    if case.json is not None:
        json_path = Path(case.json.format(d=folder))
        if not json_path.exists():
            json_path.write_text(SENTINEL, encoding="utf-8")
        args += ["--json", str(json_path)]
    before = files(folder)
    start = time.perf_counter()
    res = CliRunner().invoke(app, args)
    seconds = time.perf_counter() - start
    report = None
    if json_path is not None and res.exit_code in (0, 1, 3) and json_path.exists():
        text = json_path.read_text(encoding="utf-8")
        report = json.loads(text) if text != SENTINEL else None
    exception = None if res.exception is None or isinstance(res.exception, SystemExit) else res.exception
    # the folder's path (named after the test) must not satisfy a fragment: show it as {d}
    stdout, stderr = (text.replace(str(folder), "{d}") for text in (res.stdout, res.stderr))
    return Outcome(res.exit_code, stdout, stderr, seconds, report, exception, json_path, before)


def _params() -> list[Any]:
    marks = []
    for case in CASES:
        xfail = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        marks.append(pytest.param(case, id=case.id, marks=xfail))
    return marks


def test_corpus_is_well_formed() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) >= 45
    for case in CASES:
        assert case.description
        assert case.exit_code in (0, 1, 2, 3), case.id
        assert case.exit_code != 2 or case.stderr, f"{case.id}: exit 2 needs stderr fragments"
        assert case.exit_code == 2 or not case.stderr, f"{case.id}: stderr fragments only for exit 2"


@pytest.mark.parametrize("case", _params())
def test_case(case: Case, tmp_path: Path) -> None:
    out = run(case, tmp_path)
    output = out.stdout + out.stderr
    assert out.exception is None, f"{case.id}: uncaught {out.exception!r}"
    assert "Traceback" not in output, output[-3000:]
    assert "internal error" not in output, out.stderr[-3000:]
    assert out.exit_code == case.exit_code, f"{case.id}: exit {out.exit_code}\nstderr:\n{out.stderr[-3000:]}"
    if case.max_seconds is not None:
        assert out.seconds < case.max_seconds, f"{case.id}: took {out.seconds:.1f} s"
    changed = sorted(str(p.relative_to(tmp_path)) for p, data in files(tmp_path).items()
                     if out.before.get(p) != data and (p != out.json_path or case.exit_code == 2))
    assert not changed, f"{case.id}: the run changed {changed} (inputs, or the report of a run that could not audit)"
    if case.exit_code == 2:
        lines = out.stderr.splitlines()
        assert lines, f"{case.id}: exit 2 with nothing on stderr"
        assert all(line.startswith("mlaudit: error:") for line in lines), out.stderr[-3000:]
        for fragment in case.stderr:
            assert fragment in out.stderr, f"{case.id}: {fragment!r} not in\n{out.stderr[-3000:]}"
        return
    assert case.json is None or out.report is not None, f"{case.id}: no JSON report written"
    if out.report is None:
        return
    assert out.report["exit_code"] == case.exit_code
    results = out.report["results"]
    for want in case.results:
        found = [r for r in results if r["check"] == want.check and (want.column is None or r["column"] == want.column)]
        assert found, f"{case.id}: no {want.check} result for {want.column!r}"
        statuses = (want.status,) if isinstance(want.status, str) else want.status
        assert any(r["status"] in statuses and want.message in r["message"]
                   and not any(bad in r["message"] for bad in want.absent) for r in found), (
            f"{case.id}: want {statuses} '{want.message}' for {want.check}, got "
            + "; ".join(f"{r['status']}: {r['message']}" for r in found))
