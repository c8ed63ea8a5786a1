"""The local engine's batches: read in memory, then aggregated, they give the values one query per side
gives (the streaming path, and the path Dask workers take); whole columns reach a part as polars Series."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from mlaudit.checks.base import COLUMN_KEY, Part, keep_values
from mlaudit.checks.drift import prepare
from mlaudit.engine import SERIES_KEY, LocalEngine


@pytest.fixture
def frames(tmp_path: Path) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    rng = np.random.default_rng(3)
    paths = []
    for name, n in (("reference", 5_000), ("current", 7_000)):
        x = rng.normal(size=n)
        x[::97] = np.nan
        df = pl.DataFrame({"x": x, "k": rng.choice(["a", "b", "c"], size=n), "i": np.arange(n)})
        df = df.with_columns(pl.when(pl.col("i") % 13 == 0).then(None).otherwise(pl.col("x")).alias("x"))
        path = tmp_path / f"{name}.parquet"
        df.write_parquet(path, row_group_size=1_000)  # several row groups: columns arrive in chunks
        paths.append(path)
    return pl.scan_parquet(paths[0]), pl.scan_parquet(paths[1])


def _parts() -> list[Part]:
    def requests() -> dict[str, pl.Expr]:
        return {"n": pl.len(), "nulls": pl.col("x").null_count(), "mean": pl.col("x").mean(),
                "counts": pl.col("k").value_counts(sort=True).implode(),
                f"{COLUMN_KEY}x": pl.col("x").cast(pl.Float64).fill_null(float("nan")),
                f"{COLUMN_KEY}k": pl.col("k"),
                f"{SERIES_KEY}every": pl.col("i").gather_every(10).implode()}
    only_rows = {"rows": pl.len()}
    return [Part(requests=requests(), reference_requests=requests(), reduce=keep_values, column="x"),
            Part(requests=only_rows, reference_requests=only_rows, reduce=keep_values)]


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, pl.Series):
            assert isinstance(y, pl.Series), key
            assert x.to_list() == y.to_list() or x.equals(y, check_names=False), key
        else:
            assert x == y or (x != x and y != y), key


def test_in_memory_batches_give_the_values_of_one_query_per_side(frames: tuple[pl.LazyFrame, pl.LazyFrame]
                                                                ) -> None:
    ref, cur = frames
    in_memory = LocalEngine().reduce_parts(ref, cur, _parts(), rows=7_000, streaming=False)
    streamed = LocalEngine().reduce_parts(ref, cur, _parts(), rows=7_000, streaming=True)
    for a, b in zip(in_memory, streamed, strict=True):
        _same(a, b)
    whole = in_memory[0]
    # whole columns under their key without the prefix, one value per row, in file order
    assert isinstance(whole["x"], pl.Series) and whole["x"].len() == 7_000
    assert isinstance(whole["reference:k"], pl.Series) and whole["reference:k"].len() == 5_000
    expected = cur.select("x").collect().get_column("x").fill_null(float("nan")).to_numpy()
    np.testing.assert_array_equal(whole["x"].to_numpy(), expected)
    assert whole["n"] == 7_000 and whole["reference:n"] == 5_000
    assert whole["nulls"] == 7_000 // 13 + 1
    assert whole[f"{SERIES_KEY}every"].to_list() == list(range(0, 7_000, 10))


def test_a_batch_asking_only_for_the_row_count_counts_the_rows(frames: tuple[pl.LazyFrame, pl.LazyFrame]
                                                              ) -> None:
    """pl.len() names no column: read as a frame of no columns it would count no rows."""
    ref, cur = frames
    rows = {"rows": pl.len()}
    got = LocalEngine().reduce_parts(ref, cur, [Part(requests=rows, reference_requests=rows, reduce=keep_values)],
                                     rows=7_000, streaming=False)
    assert got == [{"rows": 7_000, "reference:rows": 5_000}]


@pytest.mark.parametrize("chunks", [1, 3])
@pytest.mark.parametrize("with_nulls", [False, True])
def test_sorting_a_whole_column_leaves_the_polars_column_untouched(chunks: int, with_nulls: bool) -> None:
    """prepare sorts a polars column in place of a copy: never in polars' own memory, which other parts
    (and the frame read) may share."""
    rng = np.random.default_rng(chunks)
    values = [rng.normal(size=1_000).tolist() for _ in range(chunks)]
    if with_nulls:
        values[0][5] = values[-1][17] = None
    column = pl.Series("x", values[0], dtype=pl.Float64)
    for piece in values[1:]:
        column.append(pl.Series("x", piece, dtype=pl.Float64))
    raw = column.fill_null(float("nan"))  # as the drift request reads it
    assert raw.n_chunks() == chunks
    before = raw.to_numpy().copy()
    out = prepare({"raw": raw})
    np.testing.assert_array_equal(raw.to_numpy(), before)
    finite = before[~np.isnan(before)]
    np.testing.assert_array_equal(out["values"], np.sort(finite))
    assert out["n"] == chunks * 1_000 and out["missing"] == (2 if with_nulls else 0)


def test_validation_and_drift_read_columns_only_in_the_column_batches(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    """The label and score drift and the unique-id count are parts like the features': their columns are
    decoded once, in the batch that reads them for the other checks, and no query of their own runs (on one
    core) before the batches start."""
    import mlaudit
    from mlaudit import api
    from tests.simulate import shifted_pair, write_contract

    ref, cur, types = shifted_pair(seed=5, rows=3_000)
    rng = np.random.default_rng(5)
    for name, frame in (("reference", ref), ("current", cur)):
        extra = pl.DataFrame({"row_id": np.arange(frame.height) % 2_990, "y": rng.integers(0, 2, frame.height),
                              "p": rng.random(frame.height)})
        pl.concat([frame, extra], how="horizontal").write_parquet(tmp_path / f"{name}.parquet")
    contract = write_contract(tmp_path / "contract.yaml", types,
                              {"model": {"name": "sim", "task": "binary_classification"},
                               "columns": {"id": "row_id", "label": "y", "score": "p"}})
    seen: list[list[Any]] = []
    collect = api._collect

    def recording(ref: Any, cur: Any, planned: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(list(planned))
        return collect(ref, cur, planned, *args, **kwargs)

    monkeypatch.setattr(api, "_collect", recording)
    result = mlaudit.audit(contract, tmp_path / "reference.parquet", tmp_path / "current.parquet",
                           only=["validation", "data_drift"])
    by_check = {r.check: r for r in result.results if r.column in (None, "row_id", "y", "p")}
    assert by_check["validation.unique"].count == 20  # ten ids repeated, twice each
    assert by_check["drift.label"].status.value == "pass"
    assert by_check["drift.prediction"].status.value == "pass"
    first = seen[0]  # the query before the batches; later ones look up examples of violating rows
    read = {name for p in first if p.row_step is None
            for e in [*p.requests.values(), *p.reference_requests.values()] for name in e.meta.root_names()}
    assert read == set()


def test_aggregates_collected_in_threads_give_collect_alls_values_and_errors() -> None:
    """The aggregates of a batch run in a thread per frame (polars counts one text column at a time): the
    frames come back in order with collect_all's values, and a failing frame raises run()'s error."""
    from mlaudit.engine import run, run_each
    from mlaudit.errors import ComputeError

    rng = np.random.default_rng(11)
    data = pl.DataFrame({"k": rng.choice(["a", "b", None], 50_000), "x": rng.normal(size=50_000)})
    frames = [data.lazy().select(pl.col("k").value_counts(sort=True).implode(), pl.col("x").sum()),
              data.lazy().select(pl.col("x").gather_every(7).implode()),
              data.lazy().select(pl.col("k").drop_nulls().value_counts(sort=True).implode())]
    threaded, together = run_each(frames), run(frames)
    assert [f.to_dicts() for f in threaded] == [f.to_dicts() for f in together]
    failing = [*frames, data.lazy().select(pl.col("k").cast(pl.Int64))]  # "a" is not a number
    with pytest.raises(ComputeError) as threaded_error:
        run_each(failing)
    with pytest.raises(ComputeError) as together_error:
        run(failing)
    assert str(threaded_error.value) == str(together_error.value)
