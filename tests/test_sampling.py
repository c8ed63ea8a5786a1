"""Row samples read with the per-column parts give exactly what a query on the sampled frame gives, and
each sampled column is read in the batch that already reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from mlaudit import api, sampling
from mlaudit import engine as engines
from mlaudit.checks.base import ROW_INDEX, Part, Planned


def _frames(tmp_path: Path) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    rng = np.random.default_rng(3)
    out = []
    for name, n in (("ref", 1003), ("cur", 777)):
        x = rng.normal(size=n)
        x[rng.random(n) < 0.1] = np.nan
        frame = pl.DataFrame({
            "x": x,
            "k": pl.Series(rng.integers(0, 5, n)).cast(pl.Int64).scatter([1, 7], None),
            "c": rng.choice(["a", "b", "c"], n),
            "t": pl.datetime_range(pl.datetime(2026, 1, 1), pl.datetime(2026, 1, 1) + pl.duration(minutes=n - 1),
                                   "1m", eager=True),
        })
        frame.write_parquet(tmp_path / f"{name}.parquet")
        out.append(pl.scan_parquet(tmp_path / f"{name}.parquet"))
    return out[0], out[1]


def test_sampled_requests_equal_a_query_on_the_sampled_frame(tmp_path: Path) -> None:
    """Every kind of expression the row-sampled checks use (a column with missing values set to null, an
    integer column with nulls, text, the original row number, a count, a time-derived key) and two steps
    per side: the values equal those of the query on frame.with_row_index().gather_every(step)."""
    ref, cur = _frames(tmp_path)
    exprs = {
        "x": pl.when(pl.col("x").is_nan()).then(None).otherwise(pl.col("x")).implode(),
        "k": pl.col("k").implode(),
        "c": pl.col("c").cast(pl.String).implode(),
        "rows": pl.len(),
        "row_numbers": pl.col(ROW_INDEX).implode(),
        "day": (pl.col("t").dt.truncate("1h").cast(pl.Int64) + pl.col(ROW_INDEX).cast(pl.Int64)).implode(),
    }
    planned = [Planned(column=None, requests=dict(exprs), reference_requests=dict(exprs), finish=lambda v: [],
                       row_step=(7, 3)),
               Planned(column=None, requests={"k": pl.col("k").sum()}, reference_requests={},
                       finish=lambda v: [], row_step=(1, 5))]
    samples = sampling.plan(planned)
    reduced = engines.LocalEngine().reduce_parts(ref, cur, samples.parts, 1000, streaming=False)
    values: list[dict[str, Any]] = [{}, {}]
    sampling.evaluate(sampling.frames(samples, reduced), list(zip(planned, values, strict=True)))
    for i, p in enumerate(planned):
        assert p.row_step is not None
        for side, frame, step, requests in (("reference:", ref, p.row_step[0], p.reference_requests),
                                            ("", cur, p.row_step[1], p.requests)):
            if not requests:
                continue
            want = frame.with_row_index(ROW_INDEX).gather_every(step).select(
                [e.alias(k) for k, e in requests.items()]).collect()
            for key in requests:
                got = values[i][side + key]
                expected = engines.value(want.get_column(key))
                if isinstance(got, np.ndarray):
                    np.testing.assert_array_equal(got, expected)
                else:
                    assert got == expected, (side, key)
    assert sorted(samples.groups) == [("", 3), ("", 5), ("reference:", 7)]


def test_an_empty_snapshot_samples_to_empty_values(tmp_path: Path) -> None:
    """No rows: the sampled frame is empty, a count is 0 and a list is empty, as the query would say."""
    pl.DataFrame({"x": pl.Series([], dtype=pl.Float64)}).write_parquet(tmp_path / "e.parquet")
    frame = pl.scan_parquet(tmp_path / "e.parquet")
    planned = [Planned(column=None, requests={"x": pl.col("x").implode(), "n": pl.len()}, finish=lambda v: [],
                       row_step=(1, 1))]
    samples = sampling.plan(planned)
    reduced = engines.LocalEngine().reduce_parts(frame, frame, samples.parts, 0, streaming=False)
    values: dict[str, Any] = {}
    sampling.evaluate(sampling.frames(samples, reduced), [(planned[0], values)])
    assert values["n"] == 0 and values["x"] == []


def test_parts_of_one_column_are_reduced_in_one_batch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Parts are moved next to the first part of their column (so a batch boundary cannot separate a
    column's full read from its sample) and their results come back in the order given."""
    ref, cur = _frames(tmp_path)
    seen: list[list[str | None]] = []

    class Recording(engines.LocalEngine):
        def reduce_parts(self, ref: pl.LazyFrame, cur: pl.LazyFrame, parts: Any, rows: int | None,
                         streaming: bool, on_early: Any = None) -> list[Any]:
            seen.append([p.column for p in parts])
            return super().reduce_parts(ref, cur, parts, rows, streaming, on_early)

    def part(column: str | None, tag: str, weight: int = 1) -> Part:
        return Part(requests={"n": pl.len()}, reference_requests={}, reduce=lambda v, tag=tag: tag, column=column,
                    weight=weight)

    parts = [part("x", "x1", 0), part("k", "k1"), part(None, "none"), part("c", "c1"), part("x", "x2"),
             part("k", "k2")]
    got = api._reduce_by_column(Recording(), ref, cur, parts, 1000, streaming=False)
    assert seen == [["x", "x", "k", "k", None, "c"]]
    assert got == ["x1", "k1", "none", "c1", "x2", "k2"]


def test_aggregating_parts_join_the_batch_of_their_column_at_no_cost() -> None:
    """Batches are bounded by row-length arrays; a part of weight 0 right after a part of its column only
    aggregates values that batch decodes anyway (validation counts, a sample), so it joins that batch free
    and the column is not decoded again in the next one. Elsewhere every part counts at least one array."""

    def part(column: str | None, weight: int) -> Part:
        return Part(requests={}, reference_requests={}, reduce=lambda v: v, weight=weight, column=column)

    rows = engines.BATCH_BYTES // (8 * 3)  # a budget of three arrays per batch
    parts = [part("a", 2), part("a", 0), part("a", 0), part("b", 2), part("b", 0), part(None, 0), part("c", 0),
             part("c", 1), part("d", 1)]
    assert engines.batches(parts, rows) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_a_validation_and_drift_audit_reads_no_sampled_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """No query numbers and thins a whole snapshot any more (each decoded every column to keep a tenth):
    the multivariate and concept samples come with the parts."""
    from tests.conftest import SAMPLE

    numbered: list[str] = []
    original = pl.LazyFrame.with_row_index

    def recording(self: pl.LazyFrame, name: str = "index", offset: int = 0) -> pl.LazyFrame:
        numbered.append(name)
        return original(self, name, offset)

    monkeypatch.setattr(pl.LazyFrame, "with_row_index", recording)
    result = api.audit(SAMPLE / "contract.yaml", SAMPLE / "reference.parquet", SAMPLE / "current",
                       only=["validation", "drift"], as_of="2026-10-31T06:00:00Z")
    assert any(r.check == "drift.multivariate" and r.status.value != "skipped" for r in result.results)
    assert ROW_INDEX not in numbered


def test_early_parts_are_delivered_once_all_are_read(tmp_path: Path) -> None:
    """Parts marked early (row samples) reach on_early, once, with all of their values, before reduce_parts
    returns; the other parts are reduced as usual and every result comes back in order."""
    ref, cur = _frames(tmp_path)
    calls: list[dict[int, Any]] = []
    parts = [Part(requests={"n": pl.col(c).len()}, reference_requests={}, reduce=lambda v: v["n"] * 2, weight=1,
                  column=c) for c in ("x", "k", "c")]
    parts.insert(1, Part(requests={"s": pl.col("x").gather_every(100).implode()}, reference_requests={},
                         reduce=lambda v: v, weight=0, column="x", early=True))
    parts.append(Part(requests={"s": pl.col("c").gather_every(100).implode()}, reference_requests={},
                      reduce=lambda v: v, weight=0, column="c", early=True))
    got = engines.LocalEngine().reduce_parts(ref, cur, parts, 1, streaming=False, on_early=calls.append)
    assert got[0] == got[2] == got[3] == 2 * 777
    assert len(calls) == 1 and sorted(calls[0]) == [1, 4]
    assert calls[0][1] is got[1] and len(calls[0][4]["s"]) == 8


def test_items_asking_the_same_expression_share_one_evaluation(tmp_path: Path) -> None:
    """Multivariate and concept drift ask for the same sampled columns: each distinct expression is evaluated
    once per sampled frame and both items get its values (the same as the query on the sampled frame)."""
    ref, cur = _frames(tmp_path)
    column = pl.when(pl.col("x").is_nan()).then(None).otherwise(pl.col("x")).implode()
    planned = [Planned(column=None, requests={"x": column, "n": pl.len()}, reference_requests={"x": column},
                       finish=lambda v: [], row_step=(4, 4)),
               Planned(column=None, requests={"feature": column}, reference_requests={"x": column},
                       finish=lambda v: [], row_step=(4, 4))]
    samples = sampling.plan(planned)
    reduced = engines.LocalEngine().reduce_parts(ref, cur, samples.parts, 1000, streaming=False)
    values: list[dict[str, Any]] = [{}, {}]
    sampling.evaluate(sampling.frames(samples, reduced), list(zip(planned, values, strict=True)))
    want_cur = engines.value(cur.gather_every(4).select(column.alias("x")).collect().get_column("x"))
    want_ref = engines.value(ref.gather_every(4).select(column.alias("x")).collect().get_column("x"))
    assert values[0]["x"] == values[1]["feature"] == want_cur
    assert values[0]["reference:x"] == values[1]["reference:x"] == want_ref
    assert values[0]["n"] == 777 // 4 + 1 and sorted(values[1]) == ["feature", "reference:x"]
