"""Append-only, tamper-evident audit log (JSON Lines): who audited what, when, and with which verdict.

Each line is one audit record. Records form a hash chain: every record carries a running number (`seq`),
the hash of the record before it (`prev`; 64 zeros for the first) and its own `hash`, the SHA-256 of its
canonical JSON without `hash`. Editing, removing, inserting or reordering records, or cutting off the head
of the log, is then found by :func:`verify`. The chain proves the file is consistent with itself only:
removing records from the end, or rewriting everything from some record on with fresh hashes, is caught only
by comparing the last `hash` with a copy kept elsewhere (a CI log, a ticket).

Appends from several processes at once are safe: each takes an exclusive lock on the file, reads the last
record, and writes its line with one `os.write` on a descriptor opened with O_APPEND, then fsyncs.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import itertools
import json
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from mlaudit.errors import UsageError
from mlaudit.report.json import _num, _plain
from mlaudit.results import AuditResult, Status

SCHEMA_VERSION = 1
ZERO_HASH = "0" * 64

#: Fields of every record as built by :func:`record`; `seq`, `prev` and `hash` are added by :func:`append`.
RECORD_FIELDS = ("schema_version", "time", "user", "host", "tool_version", "contract", "model", "as_of", "inputs",
                 "options", "verdict", "exit_code", "checks", "counts")
CHAIN_FIELDS = ("seq", "prev", "hash")

_BLOCK = 64 * 1024  # bytes read at a time when looking for the last line from the end


# --- building a record -------------------------------------------------------------------------------------------


def _now() -> str:
    """UTC in ISO 8601, to the millisecond, so records appended within one second still read in order."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _user() -> str:
    """Who ran the audit. getpass fails where the uid has no passwd entry (some containers); fall back to $USER."""
    try:
        return getpass.getuser()
    except Exception:  # OSError on 3.13+, KeyError or ImportError before: none of them must stop an audit
        return os.environ.get("USER") or "unknown"


def record(result: AuditResult, user: str | None = None) -> dict[str, Any]:
    """The audit record of `result`: plain JSON-safe values only, so that its hash is reproducible from the file.

    `time` is stamped again by :func:`append` when the record is written; `user` defaults to the login name.
    """
    counts = {s.value: 0 for s in Status}
    for r in result.results:
        counts[r.status.value] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "time": _now(),
        "user": user if user is not None else _user(),
        "host": socket.gethostname(),
        "tool_version": result.tool_version,
        "contract": {"path": result.contract_path, "sha256": result.contract_sha256},
        "model": {"name": result.model_name, "version": result.model_version},
        "as_of": result.as_of,
        "inputs": [{"role": i.role, "source": i.source, "files": i.files, "rows": i.rows, "fingerprint": i.fingerprint}
                   for i in result.inputs],
        "options": _plain(result.options),
        "verdict": result.verdict.value,
        "exit_code": int(result.exit_code),
        "checks": [{"check": r.check, "column": r.column, "status": r.status.value, "value": _num(r.value)}
                   for r in result.results],
        "counts": counts,
    }


def _hash(rec: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of `rec` without `hash`: key order and spacing cannot change it."""
    body = {k: v for k, v in rec.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- locking and file access -------------------------------------------------------------------------------------


@contextmanager
def _locked(fd: int, exclusive: bool) -> Iterator[None]:
    """Hold a lock on the whole file: exclusive to append, shared to read a consistent log.

    fcntl is imported here because Windows has none; there msvcrt locks the first byte instead (always exclusive,
    and it gives up after about 10 s of waiting). flock is advisory: it orders mlaudit processes, not other writers,
    and on some network file systems it is not shared between machines.
    """
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _open(path: Path, flags: int, action: str) -> int:
    """os.open with every OS error turned into one line that says what to do."""
    if path.is_dir():
        raise UsageError(f"audit log {path} is a directory; give a file path such as {path / 'audit.jsonl'}")
    try:
        return os.open(path, flags | getattr(os, "O_BINARY", 0), 0o644)
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise UsageError(f"cannot {action} audit log {path}: folder {path.parent} does not exist; "
                             "create it first") from None
        raise UsageError(f"audit log {path} does not exist; check the path") from None
    except PermissionError:
        raise UsageError(f"cannot {action} audit log {path}: permission denied; choose a path you may write "
                         "or fix its permissions") from None
    except OSError as exc:
        raise UsageError(f"cannot {action} audit log {path}: {exc.strerror or exc}") from None


def _read_at(fd: int, offset: int, size: int) -> bytes:
    """Read `size` bytes at `offset` (os.pread is missing on Windows; the descriptor's position is ours alone)."""
    os.lseek(fd, offset, os.SEEK_SET)
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _last_line(fd: int, size: int) -> tuple[bytes, int]:
    """The last line of a non-empty file (without its newline) and its offset, read backwards from the end.

    Reading from the end keeps an append O(record) however long the log has grown.
    """
    end = size - 1 if _read_at(fd, size - 1, 1) == b"\n" else size
    tail = b""
    pos = end
    while pos > 0:
        start = max(0, pos - _BLOCK)
        tail = _read_at(fd, start, pos - start) + tail
        pos = start
        cut = tail.rfind(b"\n")
        if cut >= 0:
            return tail[cut + 1:], pos + cut + 1
    return tail, 0


def _line_number(fd: int, offset: int) -> int:
    """1-based number of the line starting at `offset`; only used to word an error, so a full scan is fine."""
    newlines, pos = 0, 0
    while pos < offset:
        chunk = _read_at(fd, pos, min(_BLOCK, offset - pos))
        if not chunk:
            break
        newlines += chunk.count(b"\n")
        pos += len(chunk)
    return newlines + 1


def _link_error(rec: Any) -> str | None:
    """Why `rec` cannot be chained onto (None when it can): a JSON object with an int seq >= 1 and a hex hash."""
    if not isinstance(rec, dict):
        return "not a JSON object"
    missing = [k for k in (*RECORD_FIELDS, *CHAIN_FIELDS) if k not in rec]
    if missing:
        return "missing " + ", ".join(missing)
    seq = rec["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return f"seq {seq!r} is not a positive integer"
    for key in ("prev", "hash"):
        if not _is_hex64(rec[key]):
            return f"{key} is not a 64-digit hex SHA-256"
    return None


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _tip(fd: int, path: Path) -> tuple[int, str]:
    """(seq, hash) of the last record, (0, zeros) for an empty log; refuses to chain onto a damaged last line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0, ZERO_HASH
    line, offset = _last_line(fd, size)
    why: str | None
    if _read_at(fd, size - 1, 1) != b"\n":
        why = "it has no newline at the end (an interrupted write?)"
    else:
        try:
            rec = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            why = f"not valid JSON: {exc}"
        else:
            why = _link_error(rec)
            if why is None:
                return int(rec["seq"]), str(rec["hash"])
    raise UsageError(f"audit log {path}: line {_line_number(fd, offset)} (the last) is not a valid audit record "
                     f"({why}); run `mlaudit audit-log verify {path}` and move the damaged log aside")


# --- appending ---------------------------------------------------------------------------------------------------


def _write_all(fd: int, data: bytes) -> None:
    """One os.write does it for regular files; the loop only covers a short write, still under the lock."""
    while data:
        written = os.write(fd, data)
        data = data[written:]


def append(path: Path, rec: dict[str, Any]) -> dict[str, Any]:
    """Append `rec` to the log at `path` (created if missing) and return the record as written.

    Under an exclusive lock the record is stamped with the append `time`, the next `seq`, the last record's hash
    as `prev`, and its own `hash`; `rec` itself is not changed. Raises UsageError when the log cannot be written
    or its last line is not a record to chain onto.
    """
    path = Path(path)
    out = {k: v for k, v in rec.items() if k not in CHAIN_FIELDS}
    fd = _open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, "write")
    try:
        with _locked(fd, exclusive=True):
            seq, prev = _tip(fd, path)
            out = {"seq": seq + 1, **out, "time": _now(), "prev": prev}
            out["hash"] = _hash(out)
            line = json.dumps(out, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
            try:
                _write_all(fd, line.encode("utf-8"))
                os.fsync(fd)
            except OSError as exc:
                raise UsageError(f"cannot write audit log {path}: {exc.strerror or exc}; free space or choose "
                                 "another path") from None
    finally:
        os.close(fd)
    return out


# --- reading and verifying ---------------------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    """The whole log, read under a shared lock so that a concurrent append is never seen half written."""
    fd = _open(Path(path), os.O_RDONLY, "read")
    try:
        with _locked(fd, exclusive=False):
            size = os.fstat(fd).st_size
            return _read_at(fd, 0, size)
    finally:
        os.close(fd)


def _lines(data: bytes) -> list[bytes]:
    """Physical lines; a final fragment without newline is kept so that verify can report it."""
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


class _Link(NamedTuple):
    """What the chain check needs of one parsed record."""

    line: int
    seq: int
    prev: str
    hash: str


def _parse(no: int, raw: bytes) -> tuple[_Link | None, list[str]]:
    """One line -> its chain link (None when it has none) and the problems of the line on its own."""
    if not raw.strip():
        return None, [f"line {no}: blank line"]
    try:
        rec = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, [f"line {no}: not valid JSON ({exc})"]
    why = _link_error(rec)
    if why is not None:
        return None, [f"line {no}: not an audit record ({why})"]
    link = _Link(no, rec["seq"], rec["prev"], rec["hash"])
    try:
        actual = _hash(rec)
    except ValueError as exc:  # NaN or infinity slipped in by hand: not canonical JSON
        return link, [f"line {no}: record {link.seq} cannot be hashed ({exc}); it was edited"]
    if actual != link.hash:
        return link, [f"line {no}: record {link.seq} was edited: its hash does not match its content"]
    return link, []


def _head_problem(first: _Link) -> str | None:
    """The first line must be record 1 chained to zeros, else the head of the log was cut off or replaced."""
    if first.seq != 1:
        gap = "record 1" if first.seq == 2 else f"records 1..{first.seq - 1}"
        return f"line 1: the log starts at record {first.seq}, not 1: head truncated ({gap} removed)"
    if first.prev != ZERO_HASH:
        return "line 1: record 1 does not start the chain (prev is not 64 zeros): head truncated or replaced"
    return None


def _link_problem(cur: _Link, before: _Link, by_hash: Mapping[str, _Link]) -> str | None:
    """Why `cur` does not follow `before` (the line above it), named as removal, reordering or insertion."""
    if cur.prev == before.hash and cur.seq == before.seq + 1:
        return None
    first = by_hash.get(cur.hash)
    if first is not None and first.line < cur.line:
        return f"line {cur.line}: copy of line {first.line} (record {cur.seq} inserted again)"
    parent = by_hash.get(cur.prev)
    if parent is not None and parent.line != before.line:
        return (f"line {cur.line}: record {cur.seq} is out of order: it follows record {parent.seq} (line "
                f"{parent.line}), not record {before.seq} (line {before.line}); records reordered")
    if cur.prev == before.hash:
        return f"line {cur.line}: seq {cur.seq} does not follow seq {before.seq} although prev does; seq altered"
    if parent is None and cur.seq > before.seq + 1:
        gap = f"record {before.seq + 1}" if cur.seq == before.seq + 2 else f"records {before.seq + 1}..{cur.seq - 1}"
        return f"line {cur.line}: {gap} removed between line {before.line} and line {cur.line}"
    if parent is None and cur.seq <= before.seq:
        return (f"line {cur.line}: record {cur.seq} is out of order after record {before.seq} (line {before.line}) "
                "and its prev matches no record in the log: records reordered and removed, or a record inserted")
    return (f"line {cur.line}: record {cur.seq} does not chain to record {before.seq} (line {before.line}) and its "
            "prev matches no record in the log: a record was inserted or replaced")


def _chain_problems(links: list[_Link | None]) -> list[tuple[int, str]]:
    """Check each record against the line above it; a line with no link (already reported) is not chained over."""
    by_hash: dict[str, _Link] = {}
    for link in links:
        if link is not None:
            by_hash.setdefault(link.hash, link)
    problems: list[tuple[int, str]] = []
    if links and links[0] is not None:
        head = _head_problem(links[0])
        problems += [(1, head)] if head else []
    for before, cur in itertools.pairwise(links):
        if before is not None and cur is not None:
            found = _link_problem(cur, before, by_hash)
            problems += [(cur.line, found)] if found else []
    return problems


def verify(path: Path) -> list[str]:
    """Every problem of the log at `path`, one line each with its line number; [] when the log is intact.

    Raises UsageError when the log cannot be read (missing, a directory, no permission).
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"audit log {path} does not exist; check the path")
    data = _read(path)
    lines = _lines(data)
    problems: list[tuple[int, str]] = []
    links: list[_Link | None] = []
    for no, raw in enumerate(lines, start=1):
        link, found = _parse(no, raw)
        links.append(link)
        problems += [(no, p) for p in found]
    if data and not data.endswith(b"\n"):
        problems.append((len(lines), f"line {len(lines)}: no newline at the end (an interrupted write?)"))
    problems += _chain_problems(links)
    return [p for _, p in sorted(problems, key=lambda item: item[0])]


def last_passing(path: Path, contract_sha256: str | None = None, complete: bool = False) -> dict[str, Any] | None:
    """The latest record (in log order) whose verdict is 'pass', optionally for the contract with this sha256, and
    (`complete`) only of a whole audit: not one narrowed by --only, --skip or --owner.

    For 'time since the last passing audit': a missing log means no audit has passed yet (None). Lines that are
    not records are skipped, not reported: this does not verify the chain; run :func:`verify` for that.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    found: dict[str, Any] | None = None
    for raw in _lines(_read(path)):
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(rec, dict) or rec.get("verdict") != "pass":
            continue
        contract = rec.get("contract")
        raw_options = rec.get("options")
        options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
        if complete and (options.get("only") or options.get("skip") or options.get("owner")):
            continue
        if contract_sha256 is None or (isinstance(contract, dict) and contract.get("sha256") == contract_sha256):
            found = rec
    return found
