"""The audit log: records, the hash chain, tamper detection, concurrent appends and errors."""

from __future__ import annotations

import getpass
import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

import mlaudit
from mlaudit import auditlog
from mlaudit.errors import UsageError
from mlaudit.results import (
    AuditResult,
    CheckResult,
    FailureMode,
    InputInfo,
    Owner,
    OwnerArea,
    Status,
)
from tests.conftest import SAMPLE

CONTRACT_A = "a" * 64
CONTRACT_B = "b" * 64


def _check(name: str, status: Status, value: float | None = 0.5, column: str | None = "x") -> CheckResult:
    return CheckResult(check=name, failure_mode=FailureMode.validation, status=status, severity="error",
                       owner=Owner(OwnerArea.data_quality, "data-team"), message=f"{name} {status.value}",
                       column=column, value=value)


def _result(*statuses: Status, contract_sha256: str = CONTRACT_A, value: float | None = 0.5) -> AuditResult:
    return AuditResult(
        tool_version="0.1.0", contract_path="contract.yaml", contract_sha256=contract_sha256,
        model_name="loan-default", model_version="3.2.0", started_at="2026-11-01T06:00:00+00:00",
        as_of="2026-11-01T06:00:00+00:00",
        inputs=(InputInfo("reference", "ref.parquet", 1, 100, 3, "sha256:" + "1" * 64),
                InputInfo("current", "cur/", 2, None, 3, "sha256:" + "2" * 64)),
        options={"only": ["validation"], "chunk": None, "ratio": float("inf")},
        timings={"total": 0.1},
        results=tuple(_check(f"validation.c{i}", s, value) for i, s in enumerate(statuses or (Status.passed,))),
    )


def _log(path: Path, n: int, **kwargs: Any) -> list[dict[str, Any]]:
    """n records appended to path, alternating pass and fail."""
    out = []
    for i in range(n):
        status = Status.passed if i % 2 == 0 else Status.fail
        out.append(auditlog.append(path, auditlog.record(_result(status, **kwargs), user="ci")))
    return out


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _rehash(rec: dict[str, Any]) -> str:
    """Re-stamp a hand-edited record with a correct hash, as a careful forger would."""
    rec["hash"] = auditlog._hash(rec)
    return json.dumps(rec)


# --------------------------------------------------------------------------- records and the chain


def test_record_has_every_field() -> None:
    rec = auditlog.record(_result(Status.passed, Status.warn, Status.fail, value=float("nan")), user="alice")
    assert tuple(rec) == auditlog.RECORD_FIELDS
    assert rec["schema_version"] == 1
    assert rec["user"] == "alice" and rec["host"]
    assert rec["time"].endswith("+00:00")
    assert rec["tool_version"] == "0.1.0"
    assert rec["contract"] == {"path": "contract.yaml", "sha256": CONTRACT_A}
    assert rec["model"] == {"name": "loan-default", "version": "3.2.0"}
    assert rec["as_of"] == "2026-11-01T06:00:00+00:00"
    assert rec["inputs"][1] == {"role": "current", "source": "cur/", "files": 2, "rows": None,
                                "fingerprint": "sha256:" + "2" * 64}
    assert rec["options"] == {"only": ["validation"], "chunk": None, "ratio": "inf"}
    assert rec["verdict"] == "fail" and rec["exit_code"] == 1
    assert rec["checks"][1] == {"check": "validation.c1", "column": "x", "status": "warn", "value": "nan"}
    assert rec["counts"] == {"pass": 1, "warn": 1, "fail": 1, "skipped": 0, "error": 0}
    json.dumps(rec, allow_nan=False)  # JSON-safe as it stands


def test_record_user_defaults_to_the_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "bob")
    assert auditlog.record(_result())["user"] == "bob"

    def no_user() -> str:
        raise OSError("no passwd entry")

    monkeypatch.setattr(getpass, "getuser", no_user)
    monkeypatch.setenv("USER", "carol")
    assert auditlog.record(_result())["user"] == "carol"
    monkeypatch.delenv("USER")
    assert auditlog.record(_result())["user"] == "unknown"


def test_record_of_a_real_audit() -> None:
    result = mlaudit.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                           only=["validation.row_count"], as_of="2026-11-01")
    rec = auditlog.record(result)
    assert rec["contract"]["sha256"] == result.contract_sha256
    assert [c["check"] for c in rec["checks"]] == ["validation.row_count"]
    assert [i["fingerprint"] for i in rec["inputs"]] == [i.fingerprint for i in result.inputs]
    assert rec["verdict"] == result.verdict.value


def test_append_twice_chains_the_records(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    rec = auditlog.record(_result(), user="ci")
    first = auditlog.append(path, rec)
    second = auditlog.append(path, rec)
    assert "seq" not in rec and "hash" not in rec  # the caller's dict is left alone
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["prev"] == "0" * 64 and second["prev"] == first["hash"]
    assert first["hash"] != second["hash"]
    assert [json.loads(line) for line in _lines(path)] == [first, second]
    assert first["hash"] == auditlog._hash(json.loads(_lines(path)[0]))
    assert set(first) == {*auditlog.RECORD_FIELDS, *auditlog.CHAIN_FIELDS}


def test_append_ignores_chain_fields_of_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    rec = {**auditlog.record(_result()), "seq": 99, "prev": "f" * 64, "hash": "e" * 64}
    assert auditlog.append(path, rec)["seq"] == 1
    assert auditlog.verify(path) == []


def test_verify_intact_log_and_empty_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _log(path, 5, value=float("-inf"))
    assert auditlog.verify(path) == []
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    assert auditlog.verify(empty) == []


# --------------------------------------------------------------------------- tampering


@pytest.fixture
def log5(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    _log(path, 5)
    return path


def _only(problems: list[str], line: int, *words: str) -> None:
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"line {line}: "), problems
    for word in words:
        assert word in problems[0], problems


def test_edited_record_is_caught(log5: Path) -> None:
    lines = _lines(log5)
    rec = json.loads(lines[1])
    assert rec["checks"][0]["status"] == "fail"
    rec["checks"][0]["status"] = "pass"
    lines[1] = json.dumps(rec)
    _write(log5, lines)
    _only(auditlog.verify(log5), 2, "record 2", "edited")


def test_edited_record_with_a_recomputed_hash_breaks_the_next_link(log5: Path) -> None:
    lines = _lines(log5)
    rec = json.loads(lines[1])
    rec["verdict"] = "pass"
    lines[1] = _rehash(rec)
    _write(log5, lines)
    _only(auditlog.verify(log5), 3, "inserted or replaced")


def test_deleted_middle_record_is_caught(log5: Path) -> None:
    lines = _lines(log5)
    del lines[2]
    _write(log5, lines)
    _only(auditlog.verify(log5), 3, "record 3 removed")


def test_deleted_records_are_named_as_a_range(log5: Path) -> None:
    lines = _lines(log5)
    del lines[1:4]
    _write(log5, lines)
    _only(auditlog.verify(log5), 2, "records 2..4 removed")


def test_swapped_records_are_caught(log5: Path) -> None:
    lines = _lines(log5)
    lines[1], lines[2] = lines[2], lines[1]
    _write(log5, lines)
    problems = auditlog.verify(log5)
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4"]
    assert all("out of order" in p and "reordered" in p for p in problems), problems
    assert "record 3 is out of order" in problems[0]


def test_truncated_head_is_caught(log5: Path) -> None:
    _write(log5, _lines(log5)[2:])
    _only(auditlog.verify(log5), 1, "head truncated", "records 1..2 removed")


def test_replaced_head_is_caught(log5: Path) -> None:
    lines = _lines(log5)
    rec = json.loads(lines[0])
    rec["prev"] = "1" * 64
    lines[0] = _rehash(rec)
    _write(log5, lines)
    problems = auditlog.verify(log5)
    assert problems[0].startswith("line 1: ") and "head truncated or replaced" in problems[0]
    assert problems[1].startswith("line 2: ") and "inserted or replaced" in problems[1]


def test_non_json_line_is_caught(log5: Path) -> None:
    lines = _lines(log5)
    lines[2] = lines[2][:40]
    _write(log5, lines)
    _only(auditlog.verify(log5), 3, "not valid JSON")


def test_record_lacking_fields_is_caught(log5: Path) -> None:
    lines = _lines(log5)
    rec = json.loads(lines[3])
    del rec["verdict"], rec["seq"]
    lines[3] = json.dumps(rec)
    lines.insert(1, "")
    _write(log5, lines)
    problems = auditlog.verify(log5)
    assert len(problems) == 2, problems
    assert problems[0] == "line 2: blank line"
    assert problems[1].startswith("line 5: ") and "missing verdict, seq" in problems[1]


def test_inserted_copy_is_caught(log5: Path) -> None:
    lines = _lines(log5)
    lines.insert(3, lines[1])
    _write(log5, lines)
    problems = auditlog.verify(log5)
    assert problems[0].startswith("line 4: ") and "copy of line 2" in problems[0], problems


def test_missing_final_newline_is_caught(log5: Path) -> None:
    log5.write_bytes(log5.read_bytes()[:-1])
    _only(auditlog.verify(log5), 5, "no newline")


# --------------------------------------------------------------------------- concurrency


def _append_many(path: str, n: int, worker: int) -> None:
    rec = auditlog.record(_result(Status.passed), user=f"worker-{worker}")
    for _ in range(n):
        auditlog.append(Path(path), rec)


def test_concurrent_appends_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), 25, w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = _lines(path)
    assert len(lines) == 100
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == list(range(1, 101))
    assert {r["user"] for r in records} == {f"worker-{w}" for w in range(4)}
    assert auditlog.verify(path) == []


# --------------------------------------------------------------------------- errors


def test_directory_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        auditlog.append(tmp_path, auditlog.record(_result()))
    with pytest.raises(UsageError, match="is a directory"):
        auditlog.verify(tmp_path)


def test_missing_folder_or_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist; create it first"):
        auditlog.append(tmp_path / "nope" / "audit.jsonl", auditlog.record(_result()))
    with pytest.raises(UsageError, match="does not exist"):
        auditlog.verify(tmp_path / "audit.jsonl")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_log_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _log(path, 1)
    path.chmod(0o444)
    with pytest.raises(UsageError, match="permission denied"):
        auditlog.append(path, auditlog.record(_result()))
    assert auditlog.verify(path) == []


def test_permission_denied_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same message where the tests run as root, who may write anywhere."""

    def denied(*_args: Any) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(UsageError, match=r"cannot write audit log .*: permission denied; choose a path"):
        auditlog.append(tmp_path / "audit.jsonl", auditlog.record(_result()))


@pytest.mark.parametrize("tail", ["not json", '{"seq": 3}', '["a list"]', "", '{"seq": 3'])
def test_corrupt_last_line_refuses_to_append(log5: Path, tail: str) -> None:
    before = log5.read_bytes()
    with log5.open("a", encoding="utf-8") as fh:
        fh.write(tail + "\n")
    with pytest.raises(UsageError, match=r"line 6 \(the last\) is not a valid audit record") as err:
        auditlog.append(log5, auditlog.record(_result()))
    assert str(log5) in str(err.value) and "\n" not in str(err.value)
    assert log5.read_bytes() == before + (tail + "\n").encode()


def test_last_line_without_newline_refuses_to_append(log5: Path) -> None:
    log5.write_bytes(log5.read_bytes()[:-1])
    with pytest.raises(UsageError, match=r"line 5 .*no newline"):
        auditlog.append(log5, auditlog.record(_result()))


def test_append_reads_a_long_last_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditlog, "_BLOCK", 7)  # the last line spans many blocks
    path = tmp_path / "audit.jsonl"
    _log(path, 3)
    assert [json.loads(line)["seq"] for line in _lines(path)] == [1, 2, 3]
    assert auditlog.verify(path) == []


# --------------------------------------------------------------------------- last passing


def test_last_passing(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    assert auditlog.last_passing(path) is None
    a = _log(path, 3)  # pass, fail, pass on contract A
    b = _log(path, 2, contract_sha256=CONTRACT_B)  # pass, fail on contract B
    auditlog.append(path, auditlog.record(_result(Status.warn)))
    assert auditlog.last_passing(path) == b[0]
    assert auditlog.last_passing(path, CONTRACT_A) == a[2]
    assert auditlog.last_passing(path, "c" * 64) is None
    with pytest.raises(UsageError, match="is a directory"):
        auditlog.last_passing(tmp_path)
