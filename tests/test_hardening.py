"""Interrupted runs leave whole files, a check that fails on the data does not stop the others, and an
audit of local files opens no network connection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SAMPLE

#: Runs the CLI after patching one step to announce itself (a marker file) and then wait to be signalled.
STALLED = """
import sys, time, pathlib
marker, target = pathlib.Path(sys.argv[1]), sys.argv[2]
def stall(*args, **kwargs):
    marker.write_text("ready")
    time.sleep(60)
    raise SystemExit("never signalled")
if target == "compute":
    import mlaudit.api as api
    api._collect = stall
else:  # half of the report is on disk (in the temporary file) when the signal comes
    import pathlib as pl_
    real = pl_.Path.write_text
    def write_text(self, text, *args, **kwargs):
        if self.name.startswith(".") and ".tmp" in self.name:
            with open(self, "w", encoding="utf-8") as f:
                f.write(text[: len(text) // 2])
            stall()
        return real(self, text, *args, **kwargs)
    pl_.Path.write_text = write_text
from mlaudit.cli import main
sys.argv = ["mlaudit", *sys.argv[3:]]
main()
"""


def _default_signals() -> None:
    """In the child before it runs: SIGINT and SIGTERM delivered as to a command started from a shell. A test
    runner started in the background or by a supervisor may pass them on ignored or blocked, and the child
    would then sleep through the signal the test sends."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)  # Python installs its Ctrl-C handler on SIGINT at start-up


def _interrupt(tmp_path: Path, target: str, signum: int) -> tuple[subprocess.CompletedProcess[str], Path]:
    report = tmp_path / "report.json"
    report.write_text("previous report\n", encoding="utf-8")
    marker = tmp_path / "marker"
    args = ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r", str(SAMPLE / "reference.parquet"),
            "--current", str(SAMPLE / "current"), "--json", str(report), "--quiet"]
    proc = subprocess.Popen([sys.executable, "-c", STALLED, str(marker), target, *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            preexec_fn=_default_signals)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the audit never reached the stalled step"
        time.sleep(0.05)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), report


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("target", ["compute", "write"])
def test_an_interrupted_audit_keeps_the_previous_report_whole(tmp_path: Path, target: str, signum: int) -> None:
    """Signalled while computing, or while the new report is half on disk: the previous report is
    untouched, no temporary file is left, the exit code is 2 and the line says what happened."""
    done, report = _interrupt(tmp_path, target, signum)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("mlaudit: error: interrupted; reports not yet written keep their previous "
                                   "content"), done.stderr
    assert "Traceback" not in done.stderr
    assert report.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marker", "report.json"]


def _rules_case(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data.parquet"
    pl.DataFrame({"id": [1, 2, 3, 4], "x": [1.0, 2.0, 3.0, -4.0], "c": ["1", "2", "x", "4"],
                  "d": ["5", "6", "7", "y"]}).write_parquet(data)
    contract = tmp_path / "contract.yaml"
    contract.write_text(textwrap.dedent("""\
        version: 1
        model: {name: m, task: binary_classification}
        columns: {id: id}
        features:
          x: {type: float}
          c: {type: category}
          d: {type: category}
        rules:
          - {name: c_is_a_number, expr: 'CAST(c AS INTEGER) > 0'}
          - {name: positive_x, expr: 'x > 0'}
          - {name: d_is_a_number, expr: 'CAST(d AS INTEGER) > 0'}
        """), encoding="utf-8")
    return contract, data


def test_rules_that_fail_on_the_data_are_errors_and_the_rest_is_judged(tmp_path: Path) -> None:
    """Two rules cast text that does not parse: each is an error naming its rule and polars' reason; the
    rule that can be evaluated is judged (one violation, with its example), and the audit exits 1."""
    contract, data = _rules_case(tmp_path)
    report = tmp_path / "out.json"
    done = subprocess.run([sys.executable, "-m", "mlaudit", "audit", "-c", str(contract), "-r", str(data),
                           "--current", str(data), "--only", "validation", "--json", str(report), "--quiet"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    rules = {r["column"]: r for r in json.loads(report.read_text())["results"] if r["check"] == "validation.rule"}
    assert rules["c_is_a_number"]["status"] == "error"
    assert rules["c_is_a_number"]["message"].startswith(
        "'c_is_a_number': could not be evaluated on the current snapshot (conversion from `str` to `i32` failed")
    assert '"x"' in rules["c_is_a_number"]["message"] and "the other checks ran" in rules["c_is_a_number"]["message"]
    assert rules["d_is_a_number"]["status"] == "error" and '"y"' in rules["d_is_a_number"]["message"]
    assert rules["positive_x"]["status"] == "fail" and rules["positive_x"]["count"] == 1
    assert rules["positive_x"]["examples"] == [4]


def test_a_failure_no_check_explains_still_stops_the_audit(tmp_path: Path) -> None:
    """Isolation only turns failures of guarded checks into errors: a corrupt file still exits 2."""
    contract, data = _rules_case(tmp_path)
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 3: len(raw) // 3 + 40] = b"\x00" * 40  # inside the column chunks, footer intact
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(bytes(raw))
    done = subprocess.run([sys.executable, "-m", "mlaudit", "audit", "-c", str(contract), "-r", str(data),
                           "--current", str(broken), "--only", "validation", "--quiet"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    # polars prints its own panic message on corrupt pages before ours: our line is the last one
    assert done.stderr.splitlines()[-1].startswith("mlaudit: error: current snapshot: ")
    assert "broken.parquet could not be decoded" in done.stderr and "Traceback" not in done.stderr


NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise SystemExit("network access attempted: " + repr(args[:2]))
for name in ("connect", "connect_ex", "sendto"):
    setattr(socket.socket, name, refuse)
socket.create_connection = refuse
socket.getaddrinfo = refuse
from mlaudit.cli import main
sys.argv = ["mlaudit", *sys.argv[1:]]
main()
"""


def test_an_audit_of_local_files_opens_no_connection(tmp_path: Path) -> None:
    """Every report format, the history and the audit log, from local files: no socket is connected and
    no name is resolved (the run would stop with 'network access attempted')."""
    args = ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r", str(SAMPLE / "reference.parquet"),
            "--current", str(SAMPLE / "current"), "--outcomes", str(SAMPLE / "outcomes.parquet"),
            "--json", "r.json", "--html", "r.html", "--markdown", "r.md", "--junit", "r.xml",
            "--history", "history", "--audit-log", "audit.log", "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_proxy") and not k.endswith("_PROXY")}
    done = subprocess.run([sys.executable, "-c", NO_NETWORK, *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env)
    assert "network access attempted" not in done.stderr, done.stderr
    assert done.returncode in (0, 1, 3), done.stderr
    assert {"r.json", "r.html", "r.md", "r.xml", "audit.log", "history"} <= {p.name for p in tmp_path.iterdir()}


def test_a_compute_error_survives_the_trip_back_from_a_worker() -> None:
    """Dask returns a worker's error as a value: it must unpickle with its reason, or the rule's error
    result is lost."""
    import pickle

    from mlaudit.errors import ComputeError

    back = pickle.loads(pickle.dumps(ComputeError("snapshots could not be computed (x)", "x")))
    assert isinstance(back, ComputeError) and back.reason == "x" and str(back) == "snapshots could not be computed (x)"


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_replacing_keeps_the_previous_file_when_the_write_fails(tmp_path: Path, interruption: BaseException) -> None:
    """The one atomic-write helper behind reports, history runs and profiles."""
    from mlaudit.atomic import replacing

    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(type(interruption)), replacing(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise interruption
    assert target.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]
    with replacing(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new" and [p.name for p in tmp_path.iterdir()] == ["out.json"]
