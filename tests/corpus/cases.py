"""A declarative corpus of bad inputs for `mlaudit audit` (and `mlaudit contract check`).

Each :class:`Case` says how to build its inputs in a temporary folder (the contract's text and small data
files generated with polars, pyarrow and numpy at test time: no binary file is kept in git), the command line,
and what must come out: the exit code and fragments of stderr, or, when only one check cannot run, the check
id, its status (``skipped`` or ``error``) and a fragment of its message in the JSON report.

The rule the corpus holds the product to: bad input never passes silently. The audit either cannot run (exit 2,
one ``mlaudit: error: ...`` line per problem on stderr, no report written) or runs and says, per check, what it
could not look at. Never a traceback, never exit 4, never a pass for something that was not checked.

A case whose behaviour today breaks the rule is kept, with ``xfail`` naming what is wrong; the test marks it
``xfail(strict=True)`` so it turns into a failure the day the product is fixed, and the case is then updated.

Placeholders in ``args``: ``{d}`` is the case's temporary folder. Unless a case says otherwise the command is
``audit --contract {d}/contract.yaml --reference {d}/ref.parquet --current {d}/cur.parquet`` and the test adds
``--json {d}/report.json`` (pre-filled with sentinel text, which must survive an exit 2).
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

import numpy as np
import polars as pl
import pyarrow as pa

#: What a file builder returns: a frame or table (written as Parquet), or raw bytes / text (written as is).
Data: TypeAlias = pl.DataFrame | pa.Table | bytes | str
Builder = Callable[[], Data]

CONTRACT = "{d}/contract.yaml"
REF = "{d}/ref.parquet"
CUR = "{d}/cur.parquet"
OUT = "{d}/out.parquet"
REPORT = "{d}/report.json"
AUDIT = ("audit", "--contract", CONTRACT, "--reference", REF, "--current", CUR)


@dataclass(frozen=True)
class Result:
    """A result the JSON report must hold: `check` (and `column`, when given) with this status and message."""

    check: str
    #: One status, or the statuses any of which is acceptable.
    status: str | tuple[str, ...]
    message: str = ""
    column: str | None = None
    #: Fragments that must not be in that message.
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    #: Text (or raw bytes) of {d}/contract.yaml; None writes no contract file.
    contract: str | bytes | None
    #: Path relative to {d} -> builder of its content. Parquet for frames and tables, raw for bytes and str.
    files: Mapping[str, Builder]
    exit_code: int
    #: Fragments every one of which must appear in stderr (exit 2).
    stderr: tuple[str, ...] = ()
    #: Results the JSON report must contain (exit 0, 1 or 3).
    results: tuple[Result, ...] = ()
    #: Command line after `mlaudit`; placeholders filled in with str.format(d=folder).
    args: tuple[str, ...] = AUDIT
    #: Where --json goes (None: no --json). A path that exists before the run must be left unchanged on exit 2.
    json: str | None = REPORT
    #: Why today's behaviour breaks the rule (the test is then xfail(strict=True)).
    xfail: str | None = None
    #: Wall-clock limit for the invocation, in seconds.
    max_seconds: float | None = None


# --------------------------------------------------------------------------------------------------- data

N = 150


def frame(n: int = N, *, seed: int = 0, start: int = 0, label: bool = True, **override: object) -> pl.DataFrame:
    """A small, clean snapshot: id, x (float), c (category), p (a calibrated score) and, with `label`, y (bool).

    150 rows: enough for drift (drift.min_rows is 100), few enough to stay fast.
    """
    rng = np.random.default_rng(seed)
    score = rng.uniform(0.0, 1.0, n)
    data: dict[str, object] = {
        "id": np.arange(start, start + n, dtype=np.int64),
        "x": rng.normal(5.0, 1.0, n),
        "c": rng.choice(["a", "b", "c"], n).tolist(),
        "p": score,
    }
    if label:
        data["y"] = (rng.uniform(0.0, 1.0, n) < score).tolist()
    data.update(override)
    return pl.DataFrame(data)


def ref(**override: Any) -> Builder:
    return lambda: frame(seed=1, **override)


def cur(**override: Any) -> Builder:
    return lambda: frame(seed=2, start=10_000, **override)


def clean() -> dict[str, Builder]:
    return {"ref.parquet": ref(), "cur.parquet": cur()}


def parquet_bytes(data: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    data.write_parquet(buf)
    return buf.getvalue()


def corrupt_pages() -> bytes:
    """A Parquet file whose footer is intact and whose data pages are overwritten with noise."""
    whole = bytearray(parquet_bytes(frame(seed=2, start=10_000)))
    end = len(whole) - int.from_bytes(whole[-8:-4], "little") - 8  # where the footer starts
    whole[4:end] = np.random.default_rng(5).integers(0, 256, end - 4, dtype=np.uint8).tobytes()
    return bytes(whole)


def truncated() -> bytes:
    whole = parquet_bytes(frame(seed=2, start=10_000))
    return whole[: len(whole) // 2]


def with_column(base: pl.DataFrame, name: str, values: pl.Series) -> pl.DataFrame:
    return base.with_columns(values.alias(name))


# ------------------------------------------------------------------------------------------------ contracts

HEAD = "version: 1\nmodel: {name: corpus, task: binary_classification}\n"
COLUMNS = "columns: {id: id, score: p, label: y}\n"
FEATURES = "features:\n  x: {type: float}\n  c: {type: category}\n"
BASE = HEAD + COLUMNS + FEATURES


def contract(features: str = FEATURES, *, columns: str = COLUMNS, extra: str = "") -> str:
    return HEAD + columns + textwrap.dedent(features) + textwrap.dedent(extra)


def feature_block(**features: str) -> str:
    """feature_block(x='{type: float}') -> 'features:\\n  x: {type: float}\\n'; names quoted for YAML."""
    lines = ["features:"]
    for name, spec in features.items():
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"  {quoted}: {spec}")
    return "\n".join(lines) + "\n"


def alias_bomb() -> str:
    lines = ["version: 1", "model: {name: corpus, task: binary_classification}", "lol0: &l0 [lol, lol, lol, lol]"]
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines.append("features: {x: {type: float, allowed: *l9}}")
    return "\n".join(lines) + "\n"


HUGE = 20_000
WIDE = 1_200


def wide_contract(n: int) -> str:
    body = "".join(f"  f{i}: {{type: float}}\n" for i in range(n))
    return HEAD + "columns: {id: id}\nfeatures:\n" + body


def wide_frame(n: int, seed: int = 3) -> Builder:
    """Three rows, n float columns f0..f{n-1} and an id."""
    def go() -> pl.DataFrame:
        values = np.random.default_rng(seed).normal(size=(3, n))
        return pl.DataFrame({"id": [seed * 10, seed * 10 + 1, seed * 10 + 2],
                             **{f"f{i}": values[:, i] for i in range(n)}})
    return go


# ---------------------------------------------------------------------------------------------- the corpus


def _partitions() -> dict[str, Builder]:
    return {
        "ref.parquet": ref(),
        "cur/part-0.parquet": lambda: frame(20, seed=2, start=10_000),
        "cur/part-1.parquet": lambda: frame(20, seed=3, start=20_000).with_columns(pl.col("x").cast(pl.String)),
    }


def _nested() -> dict[str, Builder]:
    def build(seed: int, start: int) -> Builder:
        def go() -> pl.DataFrame:
            base = frame(seed=seed, start=start)
            tags = pl.Series([["a", "b"][: i % 3] for i in range(N)], dtype=pl.List(pl.String))
            info = pl.Series([{"k": i % 4, "v": float(i)} for i in range(N)])
            return base.with_columns(tags.alias("tags"), info.alias("info"))
        return go

    return {"ref.parquet": build(1, 0), "cur.parquet": build(2, 10_000)}


def _many_categories() -> dict[str, Builder]:
    n = 200_000

    def build(seed: int, start: int) -> Builder:
        def go() -> pl.DataFrame:
            rng = np.random.default_rng(seed)
            return pl.DataFrame({
                "id": np.arange(start, start + n, dtype=np.int64),
                "x": rng.normal(size=n),
                "c": [f"v{start + i:07d}" for i in range(n)],
                "p": rng.uniform(size=n),
                "y": (rng.uniform(size=n) < 0.4).tolist(),
            })
        return go

    return {"ref.parquet": build(1, 0), "cur.parquet": build(2, 1_000_000)}


def _long_strings() -> dict[str, Builder]:
    def build(seed: int, start: int) -> Builder:
        def go() -> pl.DataFrame:
            base = frame(seed=seed, start=start)
            long = [chr(ord("a") + i % 3) * 100_000 for i in range(N)]
            return base.with_columns(pl.Series("c", long), pl.Series("s", long))
        return go

    return {"ref.parquet": build(1, 0), "cur.parquet": build(2, 10_000)}


ODD_NAMES = ("annual income", "score.v2", "größe", "🚀 boost")


def _odd_names() -> dict[str, Builder]:
    def build(seed: int, start: int) -> Builder:
        def go() -> pl.DataFrame:
            rng = np.random.default_rng(seed + 100)
            base = frame(seed=seed, start=start)
            return base.with_columns([pl.Series(name, rng.uniform(0, 10, N)) for name in ODD_NAMES])
        return go

    return {"ref.parquet": build(1, 0), "cur.parquet": build(2, 10_000)}


def _case_names() -> dict[str, Builder]:
    def build(seed: int, start: int, shift: float) -> Builder:
        def go() -> pl.DataFrame:
            rng = np.random.default_rng(seed + 100)
            base = frame(seed=seed, start=start)
            return base.with_columns(pl.Series("Income", rng.uniform(0, 10, N) + shift),
                                     pl.Series("income", rng.uniform(0, 10, N)))
        return go

    return {"ref.parquet": build(1, 0, 0.0), "cur.parquet": build(2, 10_000, 100.0)}


def _typed(make: Callable[[np.random.Generator], pl.Series]) -> dict[str, Builder]:
    """Both snapshots with an extra column t, built from a seeded generator (different rows on each side)."""
    return {"ref.parquet": lambda: with_column(frame(seed=1), "t", make(np.random.default_rng(11))),
            "cur.parquet": lambda: with_column(frame(seed=2, start=10_000), "t", make(np.random.default_rng(12)))}


def _dates(rng: np.random.Generator) -> pl.Series:
    return pl.Series([dt.date(2026, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 300, N)])


def _times(rng: np.random.Generator) -> pl.Series:
    return pl.Series([dt.time(int(s) // 3600, int(s) % 3600 // 60) for s in rng.integers(0, 86_400, N)])


def _durations(rng: np.random.Generator) -> pl.Series:
    return pl.Series([dt.timedelta(seconds=int(s)) for s in rng.integers(0, 86_400, N)])


def _decimals(rng: np.random.Generator) -> pl.Series:
    return pl.Series([Decimal(int(c)) / 100 for c in rng.integers(0, 100_000, N)], dtype=pl.Decimal(10, 2))


def _categoricals(rng: np.random.Generator) -> pl.Series:
    return pl.Series(rng.choice(["lo", "mid", "hi"], N).tolist(), dtype=pl.Categorical)


def _enums(rng: np.random.Generator) -> pl.Series:
    return pl.Series(rng.choice(["lo", "mid", "hi"], N).tolist(), dtype=pl.Enum(["lo", "mid", "hi"]))


def _outcomes(**override: object) -> Builder:
    """The delayed outcomes of the current snapshot (id, y), with columns replaced by `override`."""
    def go() -> pl.DataFrame:
        data: dict[str, object] = dict(frame(seed=2, start=10_000).select("id", "y").to_dict())
        data.update(override)
        return pl.DataFrame(data)
    return go


def _with_outcomes(outcomes: Builder) -> dict[str, Builder]:
    return {"ref.parquet": ref(), "cur.parquet": lambda: frame(seed=2, start=10_000, label=False),
            "out.parquet": outcomes}


WITH_OUTCOMES = (*AUDIT, "--outcomes", OUT)
NOT_PASS = ("skipped", "warn", "fail", "error")
AS_OF = "2026-11-02T00:00:00Z"
TIMED = contract(columns="columns: {id: id, score: p, label: y, event_time: t}\n",
                 extra="dataset:\n  freshness: {fail: 2d}\n")


def _event_times(n: int = N, zone: str | None = None, day: int = 31) -> pl.Series:
    start = dt.datetime(2026, 10, day, 0, 0)
    series = pl.Series([start + dt.timedelta(minutes=10 * i) for i in range(n)], dtype=pl.Datetime("us"))
    return series.dt.replace_time_zone(zone) if zone else series


def _folder() -> dict[str, Builder]:
    return {"ref.parquet": ref(),
            "cur/part-0.parquet": lambda: frame(75, seed=2, start=10_000),
            "cur/part-1.parquet": lambda: frame(75, seed=3, start=20_000)}


def _near_int64_max(seed: int, shift: int = 0) -> np.ndarray[Any, Any]:
    """Values in [2**62 + shift, 2**62 + shift + 2**58): the sum of any two overflows Int64."""
    return (2**62 + shift + np.random.default_rng(seed).integers(0, 2**58, N)).astype(np.int64)
NUMERIC_SPECIALS = [float("nan"), float("inf"), float("-inf")]


CASES: list[Case] = [
    # -------------------------------------------------------------------------------------------------------- control
    Case("control-clean", "control: clean snapshots under the base contract pass",
         BASE, clean(), 0, results=(Result("drift.feature", "pass", "", "x"),)),
    # ------------------------------------------------------------------------------------ data: files, folders, globs
    Case("missing-current-file", "--current names a file that does not exist",
         BASE, {"ref.parquet": ref()}, 2, ("current snapshot", "cur.parquet", "not found")),
    Case("missing-outcomes-file", "--outcomes names a file that does not exist",
         BASE, clean(), 2, ("outcomes", "out.parquet", "not found"), args=WITH_OUTCOMES),
    Case("empty-file", "the current snapshot is a 0-byte file",
         BASE, {"ref.parquet": ref(), "cur.parquet": lambda: b""}, 2,
         ("current snapshot", "cur.parquet", "not a readable Parquet file")),
    Case("truncated-parquet", "the current snapshot is the first half of a Parquet file",
         BASE, {"ref.parquet": ref(), "cur.parquet": truncated}, 2,
         ("current snapshot", "cur.parquet", "not a readable Parquet file")),
    Case("corrupt-pages", "the current snapshot has an intact footer and data pages full of noise",
         BASE, {"ref.parquet": ref(), "cur.parquet": corrupt_pages}, 2,
         ("current snapshot: ", "cur.parquet could not be decoded (", "re-export it")),
    Case("text-named-parquet", "the reference is a CSV text file named .parquet",
         BASE, {"ref.parquet": lambda: "id,x,c,p,y\n1,2.0,a,0.5,true\n", "cur.parquet": cur()}, 2,
         ("reference snapshot", "ref.parquet", "not a readable Parquet file")),
    Case("folder-without-parquet", "--current is a folder holding only a CSV file",
         BASE, {"ref.parquet": ref(), "cur/data.csv": lambda: "id,x\n1,2.0\n"}, 2,
         ("current snapshot", "holds no .parquet files"),
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/cur")),
    Case("glob-matches-nothing", "--current is a glob that matches no file",
         BASE, clean(), 2, ("current snapshot", "no file matches", "2099-*.parquet"),
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/2099-*.parquet")),
    Case("glob-matches-non-parquet", "the --current glob matches a Parquet file and a CSV file",
         BASE, {**clean(), "cur.csv": lambda: "id,x\n1,2.0\n"}, 2, ("cur.csv",),
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/cur.*")),
    Case("empty-file-in-folder", "a 0-byte .parquet file among valid ones in the current folder",
         BASE, {"ref.parquet": ref(), "cur/a.parquet": lambda: frame(75, seed=2, start=10_000),
                "cur/b.parquet": lambda: b""}, 2, ("current snapshot", "b.parquet"),
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/cur")),
    Case("partition-type-mismatch", "two files of the current folder hold feature x as float and as string",
         BASE, _partitions(), 2, ("current snapshot", "part-1.parquet", "differ", "'x'"),
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/cur")),
    Case("hive-mixed-partition-values", "hive folders day=2026-10-01 and day=unknown in the current folder",
         BASE, {"ref.parquet": ref(), "cur/day=2026-10-01/p.parquet": lambda: frame(75, seed=2, start=10_000),
                "cur/day=unknown/p.parquet": lambda: frame(75, seed=3, start=20_000)}, 0,
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/cur"),
         results=(Result("validation.row_count", "pass", "150 rows"),)),
    Case("duplicate-column-names", "a Parquet file with two columns named x",
         BASE, {"ref.parquet": ref(), "cur.parquet": lambda: pa.Table.from_arrays(
             [pa.array(np.arange(N)), pa.array(np.ones(N)), pa.array(np.ones(N)), pa.array(["a"] * N),
              pa.array(np.full(N, 0.5))], names=["id", "x", "x", "c", "p"])}, 2,
         ("current snapshot", "repeats column names", "x")),
    # ----------------------------------------------------------------------------------------------------- data: rows
    Case("zero-rows-current", "the current snapshot has the right schema and no rows",
         BASE, {"ref.parquet": ref(), "cur.parquet": lambda: frame(seed=2).head(0)}, 1,
         results=(Result("validation.row_count", "fail", "0 rows"),)),
    Case("zero-rows-current-spelling", "no current rows: checks that compare serving values must not pass",
         BASE, {"ref.parquet": ref(), "cur.parquet": lambda: frame(seed=2).head(0)}, 1,
         results=(Result("validation.null_share", "skipped", "", "x"),
                  Result("skew.category_spelling", "skipped", "the current snapshot has no rows", "c"),
                  Result("drift.null_share", "skipped", "the current snapshot has no rows", "x"))),
    Case("zero-rows-reference", "the reference snapshot has the right schema and no rows",
         BASE, {"ref.parquet": lambda: frame(seed=1).head(0), "cur.parquet": cur()}, 0,
         results=(Result("drift.feature", "skipped", "reference 0", "x"),
                  Result("skew.category_spelling", "skipped", "the reference snapshot has no rows", "c"),
                  Result("drift.null_share", "skipped", "the reference snapshot has no rows", "x"),
                  Result("drift.dataset", "skipped", "no feature could be judged"))),
    Case("one-row-each", "one row in the reference, one in the current snapshot",
         BASE, {"ref.parquet": lambda: frame(1, seed=1), "cur.parquet": lambda: frame(1, seed=2, start=10_000)}, 0,
         results=(Result("drift.feature", "skipped", "too few", "x"),
                  Result("drift.null_share", "skipped", "too few rows", "x"),
                  Result("drift.null_share", "skipped", "drift.min_rows is 100", "c"),
                  Result("drift.dataset", "skipped", "no feature could be judged for drift: 0 of 2 judged"))),
    # --------------------------------------------------------------------------------------------------- data: values
    Case("all-null-feature", "feature x is null in every current row (typed Float64)",
         BASE, {"ref.parquet": ref(), "cur.parquet": cur(x=pl.Series([None] * N, dtype=pl.Float64))}, 1,
         results=(Result("validation.null_share", "fail", f"{N} of {N} rows (100.0%) are missing", "x"),)),
    Case("null-typed-column", "feature x in the current snapshot is a column of Parquet type null",
         BASE, {"ref.parquet": ref(), "cur.parquet": cur(x=pl.Series([None] * N, dtype=pl.Null))}, 1,
         results=(Result("validation.schema", "fail", "", "x"),)),
    Case("nan-and-inf", "NaN, +inf and -inf in feature x of the current snapshot (range [0, 10])",
         contract("features:\n  x: {type: float, range: [0, 10]}\n  c: {type: category}\n"),
         {"ref.parquet": ref(),
          "cur.parquet": cur(x=np.array([*NUMERIC_SPECIALS * 10, *np.linspace(1, 9, N - 30)]))}, 1,
         results=(Result("validation.range", "fail", "", "x"), Result("validation.null_share", "pass", "", "x"))),
    Case("inf-in-reference", "+inf and -inf in the reference's feature x",
         BASE, {"ref.parquet": lambda: frame(seed=1).with_columns(
             pl.when(pl.int_range(pl.len()) == 0).then(float("inf"))
             .when(pl.int_range(pl.len()) == 1).then(float("-inf")).otherwise(pl.col("x")).alias("x")),
                "cur.parquet": cur()}, 0, results=(Result("drift.feature", "pass", "n 148 vs 150", "x"),)),
    Case("mostly-infinite", "x is +-inf in all but one row of both snapshots, no range declared",
         BASE, {"ref.parquet": ref(x=[1.0] + [float("inf"), float("-inf")] * (N // 2 - 1) + [float("inf")]),
                "cur.parquet": cur(x=[1.0] + [float("inf"), float("-inf")] * (N // 2 - 1) + [float("inf")])}, 0,
         results=(Result("drift.feature", "skipped", "too few non-missing values", "x"),
                  Result("validation.null_share", "pass", "0 of 150", "x"))),
    Case("extreme-magnitudes", "feature x spans +-1.7e308 in both snapshots (differences overflow to inf)",
         BASE, {"ref.parquet": ref(x=np.random.default_rng(31).uniform(-1, 1, N) * 1.7e308),
                "cur.parquet": cur(x=np.random.default_rng(32).uniform(-1, 1, N) * 1.7e308)}, 0,
         results=(Result("drift.feature", "pass", "no drift: wasserstein 0.0", "x", absent=("nan", "inf")),)),
    Case("int64-extremes", "an int feature near 2**62 (sums overflow Int64) that moves by 2**60 in production",
         contract(FEATURES + "  big: {type: int}\n"),
         {"ref.parquet": ref(big=_near_int64_max(21)), "cur.parquet": cur(big=_near_int64_max(22, 2**60))}, 1,
         results=(Result("drift.feature", "fail", "", "big"), Result("validation.null_share", "pass", "", "big"))),
    Case("constant-columns", "x and c take one value in both snapshots",
         BASE, {"ref.parquet": ref(x=[3.0] * N, c=["a"] * N), "cur.parquet": cur(x=[3.0] * N, c=["a"] * N)}, 0,
         results=(Result("drift.feature", "pass", "wasserstein 0", "x"), Result("drift.feature", "pass", "", "c"))),
    Case("constant-then-moved", "x is constant in the reference and another constant in production",
         BASE, {"ref.parquet": ref(x=[3.0] * N), "cur.parquet": cur(x=[7.0] * N)}, 1,
         results=(Result("drift.feature", "fail", "", "x"),)),
    # ---------------------------------------------------------------------------------------------------- data: types
    Case("type-int-vs-string", "feature x is an integer in the reference and a string in production",
         contract("features:\n  x: {type: int}\n  c: {type: category}\n"),
         {"ref.parquet": ref(x=list(range(N))), "cur.parquet": cur(x=[str(i) for i in range(N)])}, 1,
         results=(Result("validation.schema", "fail", "", "x"), Result("drift.feature", "skipped", "", "x"))),
    Case("float32-vs-float64", "x is Float64 in the reference, Float32 in production",
         BASE, {"ref.parquet": ref(), "cur.parquet": lambda: frame(seed=2, start=10_000).with_columns(
             pl.col("x").cast(pl.Float32))}, 1, results=(Result("skew.type", "fail", "precision", "x"),)),
    Case("decimal-feature", "a Decimal(10, 2) column declared as a float feature",
         contract(FEATURES + "  t: {type: float}\n"), _typed(_decimals), 0,
         results=(Result("drift.feature", "pass", "wasserstein", "t"), Result("skew.type", "pass", "Decimal", "t"))),
    Case("date-feature", "a Date column declared as a date feature",
         contract(FEATURES + "  t: {type: date}\n"), _typed(_dates), 0,
         results=(Result("drift.feature", "skipped", "not compared", "t"),
                  Result("validation.null_share", "pass", "", "t"))),
    Case("time-feature", "a Time (time of day) column declared as a datetime feature",
         contract(FEATURES + "  t: {type: datetime}\n"), _typed(_times), 2,
         ("contract.yaml:7", "features.t", "Time", "fix the type in the contract")),
    Case("duration-feature", "a Duration column declared as a float feature",
         contract(FEATURES + "  t: {type: float}\n"), _typed(_durations), 2, ("features.t", "Duration")),
    Case("categorical-feature", "a polars Categorical column declared as a category feature",
         contract(FEATURES + "  t: {type: category}\n"), _typed(_categoricals), 0,
         results=(Result("drift.feature", "pass", "jensen_shannon", "t"),)),
    Case("enum-feature", "a polars Enum column declared as a category feature",
         contract(FEATURES + "  t: {type: category, allowed: [lo, mid, hi]}\n"), _typed(_enums), 0,
         results=(Result("validation.allowed_values", "pass", "0 of 150", "t"),
                  Result("drift.feature", "pass", "jensen_shannon", "t"))),
    Case("binary-declared-string", "a Binary column declared as a string feature",
         contract(FEATURES + "  b: {type: string}\n"),
         {"ref.parquet": ref(b=pl.Series([b"ab", b"cd"] * (N // 2))),
          "cur.parquet": cur(b=pl.Series([b"ab", b"cd"] * (N // 2)))}, 2, ("features.b", "Binary")),
    Case("list-declared", "a list-of-strings column declared as a category feature",
         contract("features:\n  x: {type: float}\n  tags: {type: category}\n"), _nested(), 2,
         ("features.tags", "List")),
    Case("struct-declared", "a struct column declared as a string feature",
         contract("features:\n  x: {type: float}\n  info: {type: string}\n"), _nested(), 2,
         ("features.info", "Struct")),
    Case("nested-undeclared", "list and struct columns present in both snapshots but not in the contract",
         BASE, _nested(), 0, results=(Result("drift.feature", "pass", "", "x"),)),
    Case("many-categories", "a category feature with 200,000 distinct strings per snapshot, none shared",
         BASE, _many_categories(), 1, max_seconds=30,
         results=(Result("skew.category_spelling", "skipped", "too many", "c"),
                  Result("drift.feature", "skipped", "occurs once in the two snapshots together", "c"),
                  Result("drift.dataset", "pass", "only 1 of 2 features could be judged"))),
    Case("long-strings", "100 KB strings in a category feature and an undeclared string column",
         contract("features:\n  x: {type: float}\n  c: {type: category}\n  s: {type: string, regex: '[abc]+'}\n"),
         _long_strings(), 0, results=(Result("validation.regex", "pass", "0 of 150", "s"),)),
    # --------------------------------------------------------------------------------------------- data: column names
    Case("odd-column-names", "features named with a space, a dot, an umlaut and an emoji (quoted in YAML)",
         HEAD + COLUMNS + feature_block(**{name: "{type: float, range: [0, 10]}" for name in ODD_NAMES}),
         _odd_names(), 0,
         results=tuple(Result("validation.range", "pass", "", name) for name in ODD_NAMES)),
    Case("odd-name-in-rule", "a rule that names a column with a space, quoted as SQL",
         contract(feature_block(**{"annual income": "{type: float}"}),
                  extra="rules:\n  - {name: positive, expr: '\"annual income\" >= 0'}\n"),
         _odd_names(), 0, results=(Result("validation.rule", "pass", "", "positive"),)),
    Case("names-differ-by-case", "columns 'Income' and 'income' both declared, each in a rule; only 'Income' moved",
         contract(feature_block(Income="{type: float}", income="{type: float}"),
                  extra="rules:\n  - {name: upper, expr: '\"Income\" < 50'}\n"
                        "  - {name: lower, expr: '\"income\" < 50'}\n"), _case_names(), 1,
         results=(Result("drift.feature", "fail", "", "Income"), Result("drift.feature", "pass", "", "income"),
                  Result("validation.rule", "fail", "", "upper"), Result("validation.rule", "pass", "", "lower"))),
    Case("unquoted-case-in-rule", "a rule naming Income unquoted while columns Income and income both exist",
         contract(feature_block(Income="{type: float}", income="{type: float}"),
                  extra="rules:\n  - {name: upper, expr: 'Income < 50'}\n"), _case_names(), 1,
         results=(Result("validation.rule", "fail", "", "upper"),)),
    Case("internal-name-lookalikes", "features named like mlaudit's internal keys (__y, __score, __mlaudit_n)",
         contract(FEATURES + "  __y: {type: float}\n  __score: {type: float}\n  __mlaudit_n: {type: float}\n"),
         {"ref.parquet": ref(__y=np.linspace(0, 1, N), __score=np.linspace(0, 1, N), __mlaudit_n=np.linspace(0, 1, N)),
          "cur.parquet": cur(__y=np.linspace(0, 1, N)[::-1].copy(), __score=np.linspace(0, 1, N)[::-1].copy(),
                             __mlaudit_n=np.linspace(0, 1, N)[::-1].copy())}, 0),
    Case("column-named-like-row-index", "a feature named __mlaudit_row, the name of mlaudit's internal row index",
         contract(FEATURES + "  __mlaudit_row: {type: float}\n"),
         {"ref.parquet": ref(__mlaudit_row=np.linspace(0, 1, N)),
          "cur.parquet": cur(__mlaudit_row=np.linspace(0, 1, N)[::-1].copy())}, 0,
         results=(Result("drift.feature", "pass", column="__mlaudit_row"),
                  Result("validation.null_share", "pass", column="__mlaudit_row"))),
    Case("empty-column-name", "a column whose name is the empty string",
         BASE, {"ref.parquet": ref(), "cur.parquet": cur(**{"": np.ones(N)})}, 0,
         results=(Result("validation.schema", "warn", "neither the contract nor the reference: ''"),)),
    # ------------------------------------------------------------------------------- data: labels, scores, event time
    Case("single-class-label", "the label is False in every reference row and every outcome",
         BASE, {**_with_outcomes(_outcomes(y=[False] * N)), "ref.parquet": ref(y=[False] * N)}, 1,
         results=(Result("performance.rare_classes", NOT_PASS),), args=WITH_OUTCOMES),
    Case("label-three-strings", "a binary classifier's label column holds 'yes', 'no' and 'maybe'",
         BASE, {"ref.parquet": ref(y=["yes", "no"] * 70 + ["maybe"] * 10),
                "cur.parquet": cur(y=["yes", "no"] * 70 + ["maybe"] * 10)}, 1,
         results=(Result("labels.validity", "fail", "10 rows hold values outside the allowed set ('maybe')"),)),
    Case("regression-bool-label", "a regression model whose label is boolean",
         BASE.replace("binary_classification", "regression"), clean(), 1),
    Case("scores-outside-unit", "scores of 1.5 and -0.2 in the current snapshot",
         BASE, {"ref.parquet": ref(), "cur.parquet": cur(p=[1.5, -0.2] * (N // 2))}, 1,
         results=(Result("validation.prediction_range", "fail", "", "p"),)),
    Case("nan-scores", "NaN and infinite scores in the current snapshot",
         BASE, {"ref.parquet": ref(), "cur.parquet": cur(p=NUMERIC_SPECIALS * (N // 3))}, 1,
         results=(Result("validation.prediction_range", "fail", "", "p"),)),
    Case("integer-scores", "hard 0/1 predictions stored as integers in the score column",
         BASE, {"ref.parquet": ref(p=[0, 1] * (N // 2)), "cur.parquet": cur(p=[0, 1] * (N // 2))}, 1,
         results=(Result("validation.prediction_range", "pass", "", "p"),)),
    Case("event-time-zone-mismatch", "event time is UTC-aware in the reference and naive in production",
         TIMED, {"ref.parquet": ref(t=_event_times(zone="UTC", day=20)), "cur.parquet": cur(t=_event_times())}, 0,
         args=(*AUDIT, "--as-of", AS_OF),
         results=(Result("validation.freshness", "pass"), Result("leakage.period_overlap", "pass", "do not overlap"))),
    Case("event-time-all-null", "the event time column is null in every production row",
         TIMED, {"ref.parquet": ref(t=_event_times(day=20)),
                 "cur.parquet": cur(t=pl.Series([None] * N, dtype=pl.Datetime("us")))}, 1,
         args=(*AUDIT, "--as-of", AS_OF), results=(Result("validation.freshness", "error"),)),
    # ------------------------------------------------------------------------------------------------- data: outcomes
    Case("outcomes-duplicate-ids", "the outcomes file repeats ids",
         BASE, _with_outcomes(_outcomes(id=np.repeat(np.arange(10_000, 10_000 + N // 2), 2))), 2,
         ("outcomes", "id"), args=WITH_OUTCOMES),
    Case("outcomes-match-nothing", "no outcome id is an id of the current snapshot",
         BASE, _with_outcomes(_outcomes(id=np.arange(900_000, 900_000 + N))), 2, ("outcomes", "id"),
         args=WITH_OUTCOMES),
    Case("outcomes-id-other-type", "outcome ids are strings, current ids integers",
         BASE, _with_outcomes(_outcomes(id=[str(i) for i in range(10_000, 10_000 + N)])), 2,
         ("outcomes", "same type"), args=WITH_OUTCOMES),
    Case("outcomes-without-id", "the outcomes file has no id column",
         BASE, _with_outcomes(lambda: frame(seed=2).select("y")), 2, ("outcomes", "id"), args=WITH_OUTCOMES),
    Case("outcomes-without-label", "the outcomes file has ids and no label column",
         BASE, _with_outcomes(lambda: frame(seed=2, start=10_000).select("id", "x")), 2, ("outcomes", "'y'"),
         args=WITH_OUTCOMES),
    Case("outcomes-without-columns-id", "--outcomes with a contract that sets no columns.id",
         contract(columns="columns: {score: p, label: y}\n"), _with_outcomes(_outcomes()), 2, ("columns.id",),
         args=WITH_OUTCOMES),
    Case("outcomes-label-all-null", "the outcomes file has every label null",
         BASE, _with_outcomes(_outcomes(y=pl.Series([None] * N, dtype=pl.Boolean))), 0,
         results=(Result("performance.realised", "skipped"),), args=WITH_OUTCOMES),
    Case("outcomes-label-other-type", "the label is boolean in the reference, 0/1 integers in the outcomes",
         BASE, _with_outcomes(_outcomes(y=pl.Series([int(b) for b in frame(seed=2).get_column("y")]))), 1,
         results=(Result("labels.validity", "fail", "Int64 in production but Boolean in training"),),
         args=WITH_OUTCOMES),
    # --------------------------------------------------------------------------------------------------- report paths
    Case("json-is-the-contract", "--json points at the contract file",
         BASE, clean(), 2, ("--json", "one of the audit's inputs"), json=CONTRACT),
    Case("json-is-the-outcomes", "--json points at the outcomes file",
         BASE, _with_outcomes(_outcomes()), 2, ("--json", "one of the audit's inputs"), args=WITH_OUTCOMES,
         json=OUT),
    Case("json-inside-current-folder", "--json names a Parquet file inside the --current folder",
         BASE, _folder(), 2, ("--json", "one of the audit's inputs"),
         args=("audit", "--contract", CONTRACT, "--reference", REF, "--current", "{d}/cur"),
         json="{d}/cur/part-1.parquet"),
    Case("json-matched-by-glob", "--json names the file that the --reference glob matches",
         BASE, clean(), 2, ("--json", "one of the audit's inputs"),
         args=("audit", "--contract", CONTRACT, "--reference", "{d}/ref*.parquet", "--current", CUR), json=REF),
    # -------------------------------------------------------------------------------- contract: the file and its YAML
    Case("yaml-syntax-error", "an unclosed flow mapping",
         HEAD + "features:\n  x: {type: float\n", clean(), 2, ("contract.yaml:",)),
    Case("yaml-tab-indent", "a tab used to indent a key",
         HEAD + "features:\n\tx: {type: float}\n", clean(), 2,
         ("contract.yaml:4:1: not valid YAML: a tab character; YAML indents with spaces only: replace the tab with "
          "spaces",)),
    Case("duplicate-keys", "feature x declared twice",
         HEAD + "features:\n  x: {type: float}\n  x: {type: int}\n", clean(), 2,
         ("contract.yaml:5:3", "duplicate key 'x'", "line 4")),
    Case("merge-key-redeclares", "feature x declared plainly and again through a YAML merge key",
         HEAD + COLUMNS + "features:\n  x: {type: float}\n  <<: {x: {type: int}}\n", clean(), 2, ("merge keys",)),
    Case("alias-bomb", "a 'billion laughs' alias expansion (4 * 9**9 values)",
         alias_bomb(), clean(), 2, ("more than",), max_seconds=5),
    Case("non-utf8-contract", "a Latin-1 byte in a comment",
         (BASE + "# caf\xe9\n").encode("latin-1"), clean(), 2, ("contract.yaml", "UTF-8")),
    Case("empty-contract", "a 0-byte contract file", "", clean(), 2, ("contract.yaml", "empty")),
    Case("contract-is-null", "the contract is a single '~'", "~\n", clean(), 2, ("contract.yaml",)),
    Case("contract-is-a-list", "the contract file is a YAML list",
         "- version: 1\n- model: {name: corpus, task: binary_classification}\n", clean(), 2,
         ("contract.yaml", "mapping")),
    Case("contract-is-a-folder", "--contract names a folder",
         None, {**clean(), "contract.yaml/readme.txt": lambda: "not a contract\n"}, 2, ("contract.yaml",)),
    Case("two-yaml-documents", "two YAML documents separated by ---",
         BASE + "---\n" + BASE, clean(), 2, ("contract.yaml",)),
    Case("contract-with-bom", "a UTF-8 byte order mark before 'version: 1'",
         ("\ufeff" + BASE).encode("utf-8"), clean(), 0),
    Case("contract-crlf", "Windows line endings",
         BASE.replace("\n", "\r\n").encode("utf-8"), clean(), 0),
    Case("integer-feature-name", "a feature named 1, unquoted in YAML, for a column named '1'",
         contract("features:\n  x: {type: float}\n  1: {type: float}\n"),
         {"ref.parquet": ref(**{"1": np.linspace(0, 1, N)}), "cur.parquet": cur(**{"1": np.linspace(0, 1, N)})}, 2,
         ("contract.yaml:6:3 (features.1): key '1' was read by YAML as a number, not a name; quote it (\"1\":)",)),
    Case("boolean-feature-name", "a feature named yes, unquoted in YAML (a boolean), for a column named 'yes'",
         contract("features:\n  x: {type: float}\n  yes: {type: bool}\n"),
         {"ref.parquet": ref(yes=[True, False] * (N // 2)), "cur.parquet": cur(yes=[True, False] * (N // 2))}, 2,
         ("contract.yaml:6:3 (features.yes): key 'yes' was read by YAML as a boolean (true), not a name; quote it "
          "(\"yes\":)",)),
    # ----------------------------------------------------------------------------------------------- contract: values
    Case("unknown-key-did-you-mean", "max_nul_share instead of max_null_share",
         contract("features:\n  x: {type: float, max_nul_share: 0.1}\n"), clean(), 2,
         ("features.x.max_nul_share", "did you mean 'max_null_share'?")),
    Case("string-for-number", "max_null_share: lots",
         contract("features:\n  x: {type: float, max_null_share: lots}\n"), clean(), 2,
         ("features.x.max_null_share", "'lots'")),
    Case("list-for-mapping", "features given as a list of names",
         contract("features: [x, c]\n"), clean(), 2, ("contract.yaml:4", "features")),
    Case("negative-max-null-share", "max_null_share: -0.1",
         contract("features:\n  x: {type: float, max_null_share: -0.1}\n"), clean(), 2,
         ("features.x.max_null_share",)),
    Case("warn-above-fail", "thresholds with warn 0.5 above fail 0.1",
         contract(extra="thresholds:\n  validation.null_share: {warn: 0.5, fail: 0.1}\n"), clean(), 2,
         ("thresholds.validation.null_share", "warn")),
    Case("feature-checks-warn-above-fail", "a feature's own levels with warn 0.5 above fail 0.1",
         contract("features:\n  x: {type: float, range: [0, 10],\n"
                  "      checks: {validation.range: {warn: 0.5, fail: 0.1}}}\n"),
         clean(), 2, ("features.x.checks.validation.range", "warn")),
    Case("range-min-above-max", "range: [10, 0]",
         contract("features:\n  x: {type: float, range: [10, 0]}\n"), clean(), 2,
         ("features.x.range", "above maximum")),
    Case("row-count-min-above-max", "dataset.row_count with min 500 above max 10",
         contract(extra="dataset:\n  row_count: {min: 500, max: 10}\n"), clean(), 2,
         ("dataset.row_count", "above max")),
    Case("allowed-empty-list", "allowed: [] on a category feature",
         contract("features:\n  x: {type: float}\n  c: {type: category, allowed: []}\n"), clean(), 1,
         results=(Result("validation.allowed_values", "fail", "150 of 150", "c"),)),
    Case("version-2", "version: 2",
         BASE.replace("version: 1", "version: 2"), clean(), 2, ("unsupported contract version 2",)),
    Case("huge-contract", f"{HUGE:,} float features checked against a 3-row snapshot (contract check --against)",
         wide_contract(HUGE), {"ref.parquet": wide_frame(HUGE)}, 0,
         args=("contract", "check", CONTRACT, "--against", REF), json=None, max_seconds=30),
    Case("wide-audit", f"a full audit of {WIDE:,} float features over 3-row snapshots",
         wide_contract(WIDE), {"ref.parquet": wide_frame(WIDE), "cur.parquet": wide_frame(WIDE, seed=4)}, 0,
         max_seconds=20),  # 4.5-6 s here: a guard against per-column pathologies, not a benchmark (noisy CI)
    # ------------------------------------------------------------------------------------------------ contract: rules
    Case("invalid-sql-rule", "a rule expression that is not SQL",
         contract(extra="rules:\n  - {name: r, expr: 'x >>> AND'}\n"), clean(), 2,
         ("rules[0].expr", "does not parse")),
    Case("rule-unknown-function", "a rule calling a SQL function that does not exist",
         contract(extra="rules:\n  - {name: r, expr: 'frobnicate(x) > 0'}\n"), clean(), 2, ("rules[0].expr",)),
    Case("rule-missing-column", "a rule naming a column that is in no snapshot",
         contract(extra="rules:\n  - {name: r, expr: 'incme > 0'}\n"), clean(), 2, ("rules[0]", "incme")),
    Case("rule-column-only-in-reference", "a rule naming a column the reference has and production lacks",
         contract(extra="rules:\n  - {name: r, expr: 'z >= 0'}\n"),
         {"ref.parquet": ref(z=np.arange(N, dtype=np.float64)), "cur.parquet": cur()}, 1,
         results=(Result("validation.rule", "error", "z", "r"),)),
    Case("rule-type-error", "a rule comparing the string feature c with a number",
         contract(extra="rules:\n  - {name: r, expr: 'c > 5'}\n"), clean(), 2, ("rules[0].expr",
                                                                                  "cannot compare string")),
    Case("rule-runtime-cast-error", "a rule casting the text feature c to an integer",
         contract(extra="rules:\n  - {name: r, expr: 'CAST(c AS INTEGER) > 0'}\n"), clean(), 1,
         results=(Result("validation.rule", "error", "'r': could not be evaluated on the current snapshot", "r"),
                  Result("validation.null_share", "pass", column="x"))),
    # --------------------------------------------------------------------------------------------------- command line
    Case("unknown-only-check", "--only names a check that does not exist",
         BASE, clean(), 2, ("validation.nul_share",),
         args=(*AUDIT, "--only", "validation.nul_share")),
    Case("bad-chunk", "--chunk 1x", BASE, clean(), 2, ("--chunk", "1x"), args=(*AUDIT, "--chunk", "1x")),
    Case("chunk-without-event-time", "--chunk 1d with no columns.event_time",
         BASE, clean(), 2, ("--chunk 1d",), args=(*AUDIT, "--chunk", "1d")),
]
