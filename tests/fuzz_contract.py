"""Fuzz the contract loader: `parse_contract` returns a LoadedContract or raises ContractError, nothing else.

    python tests/fuzz_contract.py --minutes 3 [--seed N] [--max-examples N] [--no-known-bugs]

Inputs come from three generators: a grammar of plausible contract fragments (keys from the real schema,
typed and junk scalar values, block and flow styles, random indentation, tags, anchors, comments, random
unicode), raw bytes decoded as UTF-8 with errors='replace', and valid contracts with random character
edits. Each input runs under a SIGALRM timeout (POSIX), so a hang is reported as one.

Hypothesis runs rounds of --max-examples inputs, each round with its own seed, until the time is up. A
crash (any exception but ContractError, or a hang) is shrunk to a small input and printed once per
signature (exception type and the line it came from); later rounds keep looking for other signatures, and
signatures seen but not yet shrunk are listed with their shortest input. The exit status is 1 when anything
crashed, 2 when nothing crashed but a round stopped on an error of Hypothesis or of a generator, 0 otherwise.

This file is also imported by tests/test_properties.py for its strategies; it defines no test functions.
"""

from __future__ import annotations

import argparse
import calendar
import collections
import datetime as dt
import enum
import os
import signal
import sys
import threading
import time
import traceback
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the checkout importable
    sys.path.insert(0, str(ROOT))

from mlaudit.checks.registry import REGISTRY  # noqa: E402
from mlaudit.contract.loader import LoadedContract, parse_contract  # noqa: E402
from mlaudit.contract.model import Contract  # noqa: E402
from mlaudit.errors import ContractError  # noqa: E402

#: Seconds one parse may take before it counts as a hang.
TIMEOUT_S = 5

# --------------------------------------------------------------------------- running one input


class LoaderHang(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that the loader's `except Exception` cannot swallow it."""


@dataclass(frozen=True)
class Outcome:
    """What parse_contract did with one input: 'ok', 'contract_error', 'crash' or 'hang'."""

    kind: str
    signature: str = ""
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def crashed(self) -> bool:
        return self.kind in ("crash", "hang")


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise LoaderHang after `seconds` (POSIX SIGALRM in the main thread; no limit elsewhere)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: types.FrameType | None) -> None:
        raise LoaderHang(f"parse_contract took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def signature(error: BaseException) -> str:
    """Exception type and the innermost frame it was raised in: one signature per distinct crash site."""
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, RecursionError) or not frames:
        return type(error).__name__
    last = frames[-1]
    path = Path(last.filename)
    where = "/".join(path.parts[-2:])
    return f"{type(error).__name__} at {where}:{last.lineno} in {last.name}"


def check_one(text: str, timeout_s: int = TIMEOUT_S) -> Outcome:
    """Parse `text`; never raises (except KeyboardInterrupt and the like)."""
    start = time.perf_counter()
    try:
        with time_limit(timeout_s):
            loaded = parse_contract(text, "<fuzz>")
    except ContractError as exc:
        if not exc.problems or not all(isinstance(p, str) and p for p in exc.problems):
            return Outcome("crash", "ContractError without located problems", exc, time.perf_counter() - start)
        return Outcome("contract_error", seconds=time.perf_counter() - start)
    except LoaderHang as exc:
        return Outcome("hang", "hang", exc, time.perf_counter() - start)
    except Exception as exc:  # the property under test: nothing else may escape
        return Outcome("crash", signature(exc), exc, time.perf_counter() - start)
    if not isinstance(loaded, LoadedContract):
        return Outcome("crash", f"returned {type(loaded).__name__}", None, time.perf_counter() - start)
    return Outcome("ok", seconds=time.perf_counter() - start)


def known_bug(outcome: Outcome) -> str | None:
    """The known loader bug (see tests/test_properties.py) a crash belongs to, or None for a new one."""
    error = outcome.error
    if outcome.kind != "crash" or error is None:
        return None
    if isinstance(error, RecursionError):
        return "deep nesting: RecursionError"
    if isinstance(error, ValueError) and "integer string conversion" in str(error):
        return "integer beyond 4300 digits"
    frames = traceback.extract_tb(error.__traceback__)
    if frames and Path(frames[-1].filename).as_posix().endswith("yaml/constructor.py"):
        return "PyYAML constructor error that is not a YAMLError"
    return None


# --------------------------------------------------------------------------- the schema, as shapes

# A shape: ("model", {key: shape}) | ("dict", key_kind, shape) | ("list", shape) | ("scalar", hints)


def _shape(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _shape(args[0])
    if origin in (typing.Union, types.UnionType):
        shapes = [_shape(a) for a in args if a is not type(None)]
        containers = [s for s in shapes if s[0] != "scalar"]
        if containers:
            return containers[0]
        return ("scalar", tuple(h for s in shapes for h in s[1]))
    if origin is dict:
        return ("dict", "name", _shape(args[1]))
    if origin in (list, tuple):
        return ("list", _shape(args[0]))
    if origin is typing.Literal:
        return ("scalar", tuple(("literal", a) for a in args))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model", {name: _shape(f.annotation) for name, f in annotation.model_fields.items()})
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return ("scalar", tuple(("literal", m.value) for m in annotation))
    if annotation is bool:
        return ("scalar", (("bool", None),))
    if annotation is int:
        return ("scalar", (("int", None),))
    if annotation is float:
        return ("scalar", (("float", None),))
    if annotation in (dt.date, dt.datetime):
        return ("scalar", (("date", None),))
    return ("scalar", (("str", None),))


SCHEMA = _shape(Contract)
CHECK_IDS = tuple(REGISTRY.ids())
FAMILIES = tuple(REGISTRY.families())

# --------------------------------------------------------------------------- scalars

WORDS = ("x", "income", "age", "region", "score", "label", "a", "b", "c", "EUR", "loan_amount", "customer_id",
         "salaried", "north", "p", "m", "approved", "decided_at", "y", "id")
BOOLS = ("true", "false", "True", "FALSE", "yes", "no", "on", "off", "y", "n", "Yes", "NO")
NULLS = ("null", "~", "Null", "NULL", "")
FLOATS = ("0.5", "1e5", "1.0e-3", "-0.0", ".5", "1_000.5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "6.8e+1",
          "1:30.5", "190:20:30.15", "1.", "0.000001", "1e400", "-1e-400")
INTS = ("0", "1", "2", "-1", "10", "100", "101", "180", "1_000", "0o17", "017", "0x1F", "0b101", "+3", "190:20:30",
        "9223372036854775808", "-9223372036854775809", "1" + "0" * 40)
DURATIONS = ("90m", "26h", "2d", "1w", "1.5h", "0s", "10 d", "2x", "h", "-1d", "1mo", "1h", "1d", "10000")
REGEXES = ("C[0-9]{7}", "[a-z]+", "(", "a{1000}{1000}", "(?<=a)b", "\\", "(a)\\1", ".*", "[[:alpha:]]", "\\p{L}+",
           "(?P<n>x)", "a{2,1}", "\\d{99999999999}", "[^", "é+", "(?i)abc", "a**", "\\Q", "(?x) a # b")
SQL = ("loan_amount <= income * 10", "a >", "x IS NOT NULL", "age BETWEEN 18 AND 100", "region IN ('a', 'b')",
       "CASE WHEN a THEN 1 END", "CAST(x AS INT) > 1", "x::float < 2", "name LIKE 'A%'", "1/0", "(((", "a = 'é'",
       "COALESCE(a, b) > 0", "NOT", "x > INTERVAL '1 day'", "SELECT 1", "a; DROP TABLE t", "a + + b", "'", "\"x\" > 1",
       "date_col > '2026-01-01'", "abs(x) > 1e308", "x % 0 = 1", "upper(s) = lower(s)")
TAGS_SAFE = ("!!str", "!!null", "!!binary", "!!python/object:os.system", "!local", "!", "!!set", "!!omap",
             "!<tag:yaml.org,2002:str>", "!!map", "!!seq", "!!pairs", "!e!foo")
TAGS_TYPED = ("!!int", "!!float", "!!bool", "!!timestamp", "!<tag:yaml.org,2002:int>")


@st.composite
def dates(draw: st.DrawFn, known_bugs: bool) -> str:
    """YYYY-MM-DD and timestamps; with known_bugs also impossible dates and time-zone offsets of a day or more,
    which PyYAML's timestamp resolver accepts and its constructor then fails on with ValueError."""
    year = draw(st.integers(1, 9999))
    if known_bugs and draw(st.booleans()):
        month = draw(st.integers(0, 99))
        day = draw(st.integers(0, 99))
    else:
        month = draw(st.integers(1, 12))
        day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    text = f"{year:04d}-{month:02d}-{day:02d}" if draw(st.booleans()) else f"{year:04d}-{month}-{day}"
    if draw(st.booleans()):
        sep = draw(st.sampled_from(["T", "t", " ", "  "]))
        text += f"{sep}{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:{draw(st.integers(0, 59)):02d}"
        if draw(st.booleans()):
            text += "." + "1" * draw(st.integers(1, 9))
        tz_hours = draw(st.integers(0, 99 if known_bugs else 23))
        text += draw(st.sampled_from(["", "Z", f" +{tz_hours:02d}:00", f"-{tz_hours}", f" -{tz_hours:02d}:30"]))
    return text


def _quote(draw: st.DrawFn, text: str) -> str:
    style = draw(st.sampled_from(["plain", "single", "double", "double_escapes"]))
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style == "double_escapes":
        escape = draw(st.sampled_from(["\\n", "\\t", "\\x41", "\\u263A", "\\U0001F600", "\\q", "\\x4", "\\u12",
                                       "\\0", "\\e", "\\N", "\\_", "\\L", "\\P", "\\ ", "\\/"]))
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + escape + '"'
    return text


@st.composite
def scalars(draw: st.DrawFn, hints: tuple[tuple[str, Any], ...], known_bugs: bool) -> str:
    """A scalar's text, mostly of a kind its place expects (`hints`), sometimes anything."""
    kind: str = "any"
    literal: Any = None
    if hints and not _one_in(draw, 4):
        kind, literal = draw(st.sampled_from(hints))
    if kind == "any":
        kind = draw(st.sampled_from(["literal", "bool", "int", "float", "str", "date", "null", "duration", "regex",
                                     "sql", "check", "unicode", "number_soup", "big"]))
    if kind == "literal":
        text = str(literal) if literal is not None else draw(st.sampled_from(WORDS))
        if _one_in(draw, 6):  # a near miss
            text = draw(st.sampled_from([text.upper(), text[:-1], text + "s", " " + text, text.replace("_", "-")]))
    elif kind == "bool":
        text = draw(st.sampled_from(BOOLS))
    elif kind == "int":
        text = draw(st.one_of(st.sampled_from(INTS), st.integers(-(10**6), 10**6).map(str)))
    elif kind == "float":
        text = draw(st.one_of(st.sampled_from(FLOATS), st.floats(allow_nan=False).map(repr)))
    elif kind == "date":
        text = draw(dates(known_bugs))
    elif kind == "null":
        text = draw(st.sampled_from(NULLS))
    elif kind == "duration":
        text = draw(st.sampled_from(DURATIONS))
    elif kind == "regex":
        text = draw(st.one_of(st.sampled_from(REGEXES), st.text("ab()[]{}|*+?.^$\\0123,-:<=!PLd", max_size=12)))
    elif kind == "sql":
        text = draw(st.one_of(st.sampled_from(SQL), st.lists(st.sampled_from(
            ["x", "y", "income", "1", "0.5", "'a'", "(", ")", ">", "<=", "=", "AND", "OR", "NOT", "IN", "IS", "NULL",
             "+", "*", "/", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END", ",", "::", "INT", "CAST", "AS",
             "INTERVAL", "'1 day'", "abs(", "-", "%", "||", "TRUE", "ILIKE", "'%'", "[", "]", "?", "$1"]),
            max_size=10).map(" ".join)))
    elif kind == "check":
        text = draw(st.one_of(st.sampled_from(CHECK_IDS + FAMILIES), st.text("abcdefghijklmnopqrstuvwxyz._",
                                                                             max_size=24)))
    elif kind == "number_soup":  # what the int, float and sexagesimal resolvers might half-match
        text = draw(st.text("0123456789_.:+-xobeEX", min_size=1, max_size=8))
    elif kind == "big":  # integers past Python's 4300-digit str/int conversion limit
        if known_bugs:
            text = draw(st.sampled_from(["9" * 4301, "0x" + "F" * 3600, "-" + "1" * 4400, "0b" + "1" * 14300,
                                         "0o" + "7" * 4800]))
        else:
            text = draw(st.sampled_from(["9" * 400, "0x" + "F" * 300, "1" * 4300]))
    else:  # str / unicode
        text = draw(st.one_of(st.sampled_from(WORDS), st.text(max_size=16)))
        text = _quote(draw, text) if kind == "unicode" or draw(st.booleans()) else text
    if _one_in(draw, 12):  # a tag
        tags = TAGS_SAFE + (TAGS_TYPED * 3 if known_bugs else ())
        text = f"{draw(st.sampled_from(tags))} {text}"
    return text


# --------------------------------------------------------------------------- documents


@dataclass
class Style:
    """How one document is written."""

    step: int  # indentation per level
    jitter: int  # one line in `jitter` has its indentation off (0: none)
    flow: int  # one collection in `flow` is written in flow style (0: none, 1: all)
    comment: int  # one line in `comment` has a trailing comment (0: none)
    newline: str


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in `n` draws (never for 0, always for 1). The value that triggers it is neither
    Hypothesis' simplest nor a bound, so minimal examples leave the rare construct out."""
    if n <= 1:
        return n == 1
    return draw(st.integers(1, n)) == n // 2 + 1


def _key(draw: st.DrawFn, name: str) -> str:
    roll = draw(st.integers(0, 19))
    if roll == 7:
        return draw(st.text(max_size=8))
    if roll == 8:
        return _quote(draw, name)
    if roll == 9:
        return draw(st.sampled_from([name.upper(), name[:-1] or "x", name + "_", name.replace("_", "")]))
    if roll == 10:
        return draw(st.sampled_from(["<<", "? " + name, "1", "true", "null", "2026-01-01", "[a]", "{a: 1}", "-",
                                     "&k " + name, "*k"]))
    return name


@st.composite
def nodes(draw: st.DrawFn, shape: tuple[Any, ...], depth: int, known_bugs: bool) -> Any:
    """A value for `shape` as a tree: dict (mapping, keys already written), list, or str (a scalar's text)."""
    if depth > 6 or _one_in(draw, 15):  # a value of the wrong kind
        shape = draw(st.sampled_from([("scalar", ()), ("list", ("scalar", ())), ("model", {}), shape]))
    kind = shape[0]
    if kind == "model":
        fields: dict[str, Any] = shape[1]
        names = draw(st.lists(st.sampled_from(sorted(fields)), max_size=5, unique=True)) if fields else []
        if not fields or _one_in(draw, 10):
            names.append(draw(st.sampled_from(["foo", "nmae", "thresholds", "type", "warn", "version"])))
        out: dict[str, Any] = {}
        for name in names:
            sub = fields.get(name, ("scalar", ()))
            out[_key(draw, name)] = draw(nodes(sub, depth + 1, known_bugs)) if depth < 8 else "x"
        return out
    if kind == "dict":
        keys = draw(st.lists(st.one_of(st.sampled_from(CHECK_IDS), st.sampled_from(WORDS), st.text(max_size=6)),
                             max_size=3, unique=True))
        return {_key(draw, k): draw(nodes(shape[2], depth + 1, known_bugs)) for k in keys}
    if kind == "list":
        return draw(st.lists(nodes(shape[1], depth + 1, known_bugs), max_size=3))
    return draw(scalars(shape[1], known_bugs))


def _indent(draw: st.DrawFn, style: Style, level: int) -> str:
    width = level * style.step
    if _one_in(draw, style.jitter):
        width = max(0, width + draw(st.sampled_from([-2, -1, 1, 2, 3])))
        if _one_in(draw, 4):
            return "\t" + " " * width
    return " " * width


def _tail(draw: st.DrawFn, style: Style) -> str:
    if _one_in(draw, style.comment):
        return draw(st.sampled_from(["  # note", " #x", "  # é ☃", "#no-space", "  # CONFIRM"]))
    return ""


def _flow(draw: st.DrawFn, node: Any) -> str:
    if isinstance(node, dict):
        return "{" + ", ".join(f"{k}: {_flow(draw, v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_flow(draw, v) for v in node) + "]"
    return str(node)


def _block(draw: st.DrawFn, node: Any, level: int, style: Style) -> list[str]:
    """Lines of a mapping or sequence in block style (children may switch to flow style)."""
    lines: list[str] = []
    items = list(node.items()) if isinstance(node, dict) else [("-", v) for v in node]
    for key, value in items:
        head = f"{_indent(draw, style, level)}{key}" + ("" if key == "-" else ":")
        anchor = " &a" if _one_in(draw, 40) else ""
        if isinstance(value, dict | list) and value and not _one_in(draw, style.flow):
            lines.append(head + anchor + _tail(draw, style))
            lines += _block(draw, value, level + 1, style)
        elif isinstance(value, str) and "\n" not in value and _one_in(draw, 30):
            lines.append(head + anchor + " " + draw(st.sampled_from(["|", ">", "|-", ">+", "|2"])))
            lines += [_indent(draw, style, level + 1) + part for part in (value, value, "")]
        else:
            lines.append(head + anchor + " " + _flow(draw, value) + _tail(draw, style))
        if _one_in(draw, 40):
            lines.append(draw(st.sampled_from(["", "# comment", "  ", "---", "...", "- x", "<<: *a", "%TAG ! x", "@"])))
    return lines


@st.composite
def grammar_texts(draw: st.DrawFn, known_bugs: bool = True) -> str:
    """A contract-like document: sections and keys of the real schema with plausible and junk values."""
    sections: dict[str, Any] = SCHEMA[1]
    tree: dict[str, Any] = {}
    if not _one_in(draw, 5):  # usually valid enough to reach validation and the semantic checks
        tree["version"] = draw(st.sampled_from(["1", "1", "1", "2", "1.0", "'1'", "true", "0x1"]))
        tree["model"] = {"name": draw(st.sampled_from(["m", "loan-default", "'3.2'"])),
                         "task": draw(st.sampled_from(["binary_classification", "multiclass_classification",
                                                       "regression", "classification"]))}
    names = draw(st.lists(st.sampled_from(sorted(sections)), max_size=6, unique=True))
    for name in names:
        tree[_key(draw, name)] = draw(nodes(sections[name], 1, known_bugs))
    style = Style(step=draw(st.integers(2, 4)), jitter=draw(st.sampled_from([0, 0, 50, 10])),
                  flow=draw(st.sampled_from([0, 3, 1])), comment=draw(st.sampled_from([0, 10])),
                  newline=draw(st.sampled_from(["\r\n", "\r"])) if _one_in(draw, 8) else "\n")
    one_line = style.flow == 1 and draw(st.booleans())
    lines = [_flow(draw, tree)] if one_line else _block(draw, tree, 0, style)
    if known_bugs and _one_in(draw, 25):  # nesting deeper than the Python stack
        depth = draw(st.integers(450, 1200))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
        lines.insert(0, "deep:" + style.newline * (opener == "- ") + " " + opener * depth + "x" + closer * depth)
    prefix, suffix = "", "\n"
    if _one_in(draw, 4):
        prefix = draw(st.sampled_from(["\ufeff", "---\n", "%YAML 1.1\n---\n", "# yaml-language-server: x\n",
                                       "%YAML 1.3\n---\n", "--- !!map\n", "--- |\n"]))
    if _one_in(draw, 4):
        suffix = draw(st.sampled_from(["", "\n...\n", "\n---\nb: 1\n", "\n---\n", "\x00", "\u2028", "\t"]))
    return prefix + style.newline.join(lines) + suffix


def _seed_contracts() -> list[str]:
    """Valid contracts to mutate: a minimal one, one with a bit of everything, and the sample's."""
    texts = [
        "version: 1\nmodel: {name: m, task: regression}\n",
        "version: 1\nmodel:\n  name: m\n  task: binary_classification\n  trained_at: 2026-09-05\n"
        "columns: {id: id, score: s, label: y}\nfeatures:\n  x: {type: float, range: [0, null], max_null_share: 0.1}\n"
        "  c: {type: category, allowed: [a, b]}\n  s2: {type: string, regex: 'C[0-9]{7}'}\n"
        "rules:\n  - name: r\n    expr: x <= 10\nthresholds:\n  drift.feature: {warn: 0.1, fail: 0.2}\n"
        "dataset:\n  freshness: {warn: 26h, fail: 2d}\n",
    ]
    sample = ROOT / "sample_data" / "contract.yaml"
    if sample.is_file():
        texts.append(sample.read_text(encoding="utf-8"))
    return texts


SEEDS = _seed_contracts()
EDIT_CHARS = st.one_of(st.sampled_from(list(":-[]{},#&*!|>'\"%@`?\t\n 019.eE_")), st.characters())


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    """A valid contract with a few characters inserted, deleted or replaced."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate_line"]))
        if op == "insert":
            text = text[:at] + draw(EDIT_CHARS) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif op == "replace":
            text = text[:at] + draw(EDIT_CHARS) + text[at + 1:]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end + 1
            text = text[:end] + text[start:end] + text[end:]
    return text


def raw_texts() -> st.SearchStrategy[str]:
    """Raw bytes decoded as UTF-8 with errors='replace', and random unicode text."""
    return st.one_of(st.binary(max_size=300).map(lambda b: b.decode("utf-8", errors="replace")),
                     st.text(max_size=200))


def labelled_inputs(known_bugs: bool = True) -> st.SearchStrategy[tuple[str, str]]:
    """(generator name, text) from every generator."""
    return st.one_of(grammar_texts(known_bugs).map(lambda t: ("grammar", t)),
                     raw_texts().map(lambda t: ("raw", t)),
                     mutated_texts().map(lambda t: ("mutation", t)))


def contract_texts(known_bugs: bool = True) -> st.SearchStrategy[str]:
    return labelled_inputs(known_bugs).map(lambda pair: pair[1])


# --------------------------------------------------------------------------- the fuzzing loop


class TimeUp(BaseException):
    """Ends a round when the time is spent (Hypothesis lets BaseExceptions through without shrinking)."""


@dataclass
class Tally:
    """Counts over every call, shrinking replays included, except `distinct` (inputs seen, by hash)."""

    examples: int = 0
    distinct: set[int] = field(default_factory=set)
    by_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    by_generator: collections.Counter[str] = field(default_factory=collections.Counter)
    crash_hits: collections.Counter[str] = field(default_factory=collections.Counter)
    shortest: dict[str, tuple[str, Outcome]] = field(default_factory=dict)  # per crash signature, unshrunk
    slowest: float = 0.0
    slowest_input: str = ""


def _round(strategy: st.SearchStrategy[tuple[str, str]], round_seed: int, max_examples: int, deadline: float,
           tally: Tally, crashes: dict[str, tuple[str, Outcome]]) -> None:
    """One Hypothesis run; records at most one new crash signature (shrunk) in `crashes`."""
    last: dict[str, tuple[str, Outcome]] = {}

    @seed(round_seed)
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, verbosity=Verbosity.quiet,
              phases=[Phase.generate, Phase.shrink], print_blob=False)
    @given(strategy)
    def prop(item: tuple[str, str]) -> None:
        if time.monotonic() > deadline:
            raise TimeUp
        generator, text = item
        outcome = check_one(text)
        tally.examples += 1
        tally.distinct.add(hash(text))
        tally.by_kind[outcome.kind] += 1
        tally.by_generator[generator] += 1
        if outcome.seconds > tally.slowest:
            tally.slowest, tally.slowest_input = outcome.seconds, text
        if not outcome.crashed:
            return
        tally.crash_hits[outcome.signature] += 1
        if outcome.signature not in tally.shortest or len(text) < len(tally.shortest[outcome.signature][0]):
            tally.shortest[outcome.signature] = (text, outcome)
        if outcome.signature in crashes:
            return
        last[outcome.signature] = (text, outcome)
        raise AssertionError(outcome.signature)

    try:
        prop()
    except AssertionError as exc:
        sig = str(exc)
        if sig in last:
            crashes[sig] = last[sig]


def _show(text: str) -> str:
    return repr(text) if len(text) <= 2000 else f"{text[:1000]!r} ... ({len(text):,} characters) ... {text[-200:]!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long to fuzz (default 3)")
    parser.add_argument("--max-examples", type=int, default=100_000, help="inputs per Hypothesis round")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "0")), help="first round's seed")
    parser.add_argument("--no-known-bugs", dest="known_bugs", action="store_false",
                        help="leave out the constructs that trigger the known loader bugs (tests/test_properties.py)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    tally = Tally()
    crashes: dict[str, tuple[str, Outcome]] = {}
    strategy = labelled_inputs(args.known_bugs)
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        found = len(crashes)
        try:
            _round(strategy, args.seed + rounds, args.max_examples, deadline, tally, crashes)
        except TimeUp:
            break
        except Exception as exc:  # Hypothesis itself (a flaky crash, a generator bug): report, go on
            tally.by_kind["round_error"] += 1
            print(f"[{time.monotonic() - started:7.1f}s] round {rounds} stopped: {type(exc).__name__}: "
                  f"{str(exc)[:300]}", flush=True)
        for sig in list(crashes)[found:]:
            text, outcome = crashes[sig]
            print(f"[{time.monotonic() - started:7.1f}s] CRASH {sig}", flush=True)
            print(f"    input: {_show(text)}", flush=True)
            print(f"    error: {type(outcome.error).__name__}: {str(outcome.error)[:300]}", flush=True)
    elapsed = time.monotonic() - started
    print(f"fuzzed parse_contract for {elapsed:.1f} s in {rounds} round(s) from seed {args.seed}: "
          f"{tally.examples:,} inputs ({tally.examples / max(elapsed, 1e-9):,.0f}/s; {len(tally.distinct):,} distinct; "
          f"shrinking replays included), known bug triggers {'included' if args.known_bugs else 'left out'}")
    print("  outcomes:   " + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.by_kind.items())))
    print("  generators: " + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.by_generator.items())))
    print(f"  slowest input: {tally.slowest:.3f} s: {_show(tally.slowest_input)[:300]}")
    if not tally.crash_hits:
        if tally.by_kind["round_error"]:
            print("no crash, but some rounds stopped early (see above)")
            return 2
        print("no crash: every input gave a LoadedContract or a ContractError")
        return 0
    print(f"{len(tally.crash_hits)} distinct crash signature(s):")
    for sig, hits in tally.crash_hits.most_common():
        shrunk = sig in crashes
        text, outcome = crashes[sig] if shrunk else tally.shortest[sig]
        bug = known_bug(outcome)
        print(f"  {sig}  ({hits:,} hits; {'known: ' + bug if bug else 'NEW'})")
        print(f"      {'shrunk' if shrunk else 'shortest (not shrunk)'} input: {_show(text)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
