"""The Dask engine gives the local engine's results, on a distributed.LocalCluster with several workers."""

from __future__ import annotations

import datetime as dt
import gc
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit.cli import app
from mlaudit.engine import DaskEngine, LocalEngine, make
from mlaudit.errors import MlauditError, UsageError
from mlaudit.results import AuditResult
from tests.conftest import SAMPLE
from tests.simulate import shifted_pair, write_contract

distributed = pytest.importorskip("distributed")

AS_OF = dt.datetime(2026, 10, 31, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as c:
        yield c


def _rows(result: AuditResult) -> list[tuple[Any, ...]]:
    return [(r.check, r.column, r.status, r.value, r.count, r.total, r.message, tuple(r.examples),
             json.dumps(r.details, sort_keys=True, default=str)) for r in result.results]


def test_sample_data_gives_the_same_results_on_dask(client: Any) -> None:
    args = (SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current", SAMPLE / "outcomes.parquet")
    local = mlaudit.audit(*args, as_of=AS_OF, chunk="1d")
    remote = mlaudit.audit(*args, as_of=AS_OF, chunk="1d", engine=DaskEngine(client=client))
    assert len(local.results) > 200
    assert _rows(remote) == _rows(local)
    assert remote.exit_code == local.exit_code


def test_generated_data_gives_the_same_results_on_dask(client: Any, tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(seed=3, rows=20_000)
    ref.write_parquet(tmp_path / "ref.parquet")
    cur.write_parquet(tmp_path / "cur.parquet")
    contract = write_contract(tmp_path / "contract.yaml", types)
    local = mlaudit.audit(contract, tmp_path / "ref.parquet", tmp_path / "cur.parquet", as_of=AS_OF)
    remote = mlaudit.audit(contract, tmp_path / "ref.parquet", tmp_path / "cur.parquet", as_of=AS_OF,
                           engine=DaskEngine(client=client))
    assert any(r.status.value == "fail" for r in local.results)  # the planted shifts are there to be agreed on
    assert _rows(remote) == _rows(local)


def test_streaming_queries_give_the_same_results_on_dask(client: Any) -> None:
    args = (SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current")
    local = mlaudit.audit(*args, as_of=AS_OF, streaming=True, only=["validation", "data_drift"])
    remote = mlaudit.audit(*args, as_of=AS_OF, streaming=True, only=["validation", "data_drift"],
                           engine=DaskEngine(client=client))
    assert _rows(remote) == _rows(local)


def test_cli_runs_on_a_scheduler_address(cluster: Any, tmp_path: Path) -> None:
    out_local, out_dask = tmp_path / "local.json", tmp_path / "dask.json"
    base = ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r", str(SAMPLE / "reference.parquet"),
            "--current", str(SAMPLE / "current"), "--as-of", "2026-10-31T06:00:00Z", "--quiet"]
    runner = CliRunner()
    first = runner.invoke(app, [*base, "--json", str(out_local)])
    second = runner.invoke(app, [*base, "--json", str(out_dask), "--engine", "dask",
                                 "--scheduler", cluster.scheduler_address])
    assert (first.exit_code, second.exit_code) == (3, 3), second.output  # the sample trips its kill switch
    a, b = json.loads(out_local.read_text()), json.loads(out_dask.read_text())
    assert a["results"] == b["results"] and a["verdict"] == b["verdict"]


def test_errors_on_workers_are_reported_like_local_ones(client: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    with pytest.raises(MlauditError) as local:
        mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", bad)
    with pytest.raises(MlauditError) as remote:
        mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", bad, engine=DaskEngine(client=client))
    assert str(remote.value) == str(local.value)


def test_unreachable_scheduler_is_a_one_line_usage_error() -> None:
    res = CliRunner().invoke(app, ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r",
                                   str(SAMPLE / "reference.parquet"), "--current", str(SAMPLE / "current"),
                                   "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0] and "tcp://127.0.0.1:9" in lines[0]


def test_scheduler_without_the_dask_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--scheduler needs --engine dask"):
        make("local", "tcp://127.0.0.1:8786")
    engine, owned = make(None)
    assert isinstance(engine, LocalEngine) and owned


def test_scheduler_without_workers_is_a_usage_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    import mlaudit.engine as engines

    monkeypatch.setattr(engines, "WORKER_WAIT_S", 1)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        res = CliRunner().invoke(app, ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r",
                                       str(SAMPLE / "reference.parquet"), "--current", str(SAMPLE / "current"),
                                       "--engine", "dask", "--scheduler", empty.scheduler_address])
    assert res.exit_code == 2
    assert "has no workers" in res.output and len([x for x in res.output.splitlines() if x.strip()]) == 1


@pytest.mark.parametrize("address", ["foo", "http://127.0.0.1:8786", "tcp://[::1", " "])
def test_malformed_scheduler_address_is_a_usage_error(address: str) -> None:
    res = CliRunner().invoke(app, ["audit", "-c", str(SAMPLE / "contract.yaml"), "-r",
                                   str(SAMPLE / "reference.parquet"), "--current", str(SAMPLE / "current"),
                                   "--engine", "dask", "--scheduler", address])
    assert res.exit_code == 2, res.output
    assert "--scheduler" in res.output and "Traceback" not in res.output


def _open_clients() -> list[Any]:
    """Every distributed.Client object still in memory (reachable or awaiting collection) and not closed."""
    return [obj for obj in gc.get_objects()
            if isinstance(obj, distributed.Client) and getattr(obj, "status", "closed") not in ("closed",
                                                                                            "newly-created")]


def _event_loops() -> int:
    """Threads running a Dask client's event loop (distributed names them 'IO loop')."""
    return sum(thread.name == "IO loop" for thread in threading.enumerate())


@pytest.mark.parametrize("address", ["foo", "http://127.0.0.1:8786", "tcp://[::1", "tcp://127.0.0.1:9"])
def test_a_failed_connection_leaves_no_client_for_the_garbage_collector(address: str) -> None:
    """A client whose connection failed is closed at once. Left half-made, the garbage collector finalised it
    later from unrelated code, inside Dask's process-wide loop lock: the test suite deadlocked there."""
    before, loops = {id(c) for c in _open_clients()}, _event_loops()
    with pytest.raises(UsageError, match="--scheduler"):
        make("dask", address)
    assert [c.status for c in _open_clients() if id(c) not in before] == []
    assert _event_loops() <= loops  # nor a thread running the failed client's event loop (others may end)
    gc.collect()


def test_snapshot_paths_reach_workers_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers may run in another directory: the plan they receive names files by absolute path."""
    from mlaudit import snapshots

    monkeypatch.chdir(SAMPLE.parent)
    snap = snapshots.load("sample_data/reference.parquet", "reference")
    plan = snap.frame.explain(optimized=False)
    assert str((SAMPLE / "reference.parquet").resolve()) in plan


def test_a_file_gone_after_the_scan_is_a_data_error(tmp_path: Path) -> None:
    import polars as pl

    from mlaudit.engine import run

    path = tmp_path / "gone.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(path)
    frame = pl.scan_parquet(path)
    frame.collect_schema()
    path.unlink()
    with pytest.raises(MlauditError, match="could not be read"):
        run([frame])
