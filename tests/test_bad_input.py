"""Bad input never passes silently: each case gets a clear error (exit 2) or an honest result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit.cli import app
from mlaudit.contract.infer import infer_contract
from mlaudit.contract.loader import parse_contract
from mlaudit.errors import ContractError, DataError, UsageError
from mlaudit.results import Status

HEAD = "version: 1\nmodel: {name: m, task: binary_classification}\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(ContractError) as exc:
        parse_contract(text, "c.yaml")
    return exc.value.problems


@pytest.mark.parametrize(("text", "needle"), [
    (HEAD + "base: &b {type: float}\nfeatures:\n  x:\n    <<: *b\n", "merge keys"),
    (HEAD + "features:\n  x: !!python/object:os.system {type: float}\n", "tag"),
    ("version: 1\nmodel: !custom {name: m, task: regression}\n", "tag"),
    ("version: 1\nmodel: &a\n  name: m\n  task: regression\n  classes: [*a]\n", "refers to itself"),
    (HEAD + "features:\n  ? [a, b]\n  : {type: float}\n", "plain name"),
    ("version: true\nmodel: {name: m, task: regression}\n", "integer 1"),
    (HEAD + "features:\n  x: {type: float, range: [.nan, 10]}\n", "finite"),
    (HEAD + "thresholds:\n  validation.range: {fail: .inf}\n", "finite"),
    (HEAD + "features:\n  x: {type: float, sentinel: [1, 2]}\n", "sentinel"),
    (HEAD + "thresholds:\n  validation.freshness: {warn: 1, fail: 2}\n", "dataset.freshness"),
    (HEAD + "thresholds:\n  validation.row_count: {fail: 1000}\n", "dataset.row_count"),
    (HEAD + "rules:\n  - {name: a, expr: x > 0}\n  - {name: a, expr: x < 9}\n", "already used"),
    (HEAD + "features:\n  x: {type: string, regex: 'a(?=b)'}\n", "Rust"),
])
def test_contract_problems_are_located_errors(text: str, needle: str) -> None:
    problems = _problems(text)
    assert any(needle in p for p in problems), problems
    assert all(p.startswith("c.yaml:") for p in problems), problems


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    problems = _problems("\n".join(lines) + "\n")
    assert "more than" in problems[0]


def test_rust_only_regex_syntax_is_accepted() -> None:
    parse_contract(HEAD + "features:\n  x: {type: string, regex: '\\p{L}+'}\n", "c.yaml")


def test_null_level_keeps_the_defaults(write_contract: Callable[..., Path]) -> None:
    frame = pl.DataFrame({"x": [None, None, 1.0]})
    path = write_contract(HEAD + "features:\n  x: {type: float, max_null_share: }\n")
    r = next(r for r in mlaudit.audit(path, frame, frame, only=["validation.null_share"]).results)
    assert r.status is Status.fail and r.threshold == 0.5


def test_range_null_on_a_category_is_fine() -> None:
    parse_contract(HEAD + "features:\n  c: {type: category, range: null}\n", "c.yaml")


@pytest.mark.parametrize("expr", ["COUNT(*) > 1000000", "x * 2", "c"])
def test_rule_that_does_not_judge_rows_is_refused(write_contract: Callable[..., Path], expr: str) -> None:
    frame = pl.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    path = write_contract(HEAD + f"features:\n  x: {{type: float}}\nrules:\n  - {{name: r, expr: '{expr}'}}\n")
    with pytest.raises(ContractError) as exc:
        mlaudit.audit(path, frame, frame)
    assert "rules[0].expr" in exc.value.problems[0]


def test_role_column_of_the_wrong_type_fails_schema(write_contract: Callable[..., Path]) -> None:
    path = write_contract(HEAD + "columns: {event_time: t, score: p}\ndataset:\n  freshness: {fail: 2d}\n")
    ref = pl.DataFrame({"t": [dt.datetime(2026, 1, 1)], "p": [0.5]})
    cur = pl.DataFrame({"t": ["2026-01-01"], "p": ["0.5"]})
    res = mlaudit.audit(path, ref, cur, only=["validation.schema"])
    assert {r.column: r.status for r in res.results} == {"t": Status.fail, "p": Status.fail}
    assert res.exit_code == 1


def test_confidence_gate_counts_invalid_scores_as_weak(write_contract: Callable[..., Path]) -> None:
    path = write_contract(HEAD + "columns: {score: p}\noutputs:\n  confidence_gate: {below: 0.6, fail: 0.1}\n")
    frame = pl.DataFrame({"p": [0.9, 0.05, float("nan"), 1.3, None]})
    r = next(iter(mlaudit.audit(path, frame, frame, only=["validation.confidence_gate"]).results))
    assert (r.count, r.total, r.details["invalid_scores"]) == (3, 5, 3)


@pytest.mark.parametrize(("sentinel", "column"), [
    ("1970-01-01 00:00:00", pl.Series("x", [dt.datetime(1970, 1, 1), dt.datetime(2026, 1, 1)])),
    ("'-1'", pl.Series("x", [-1.0, 5.0])),
    ("-1", pl.Series("x", [-1, 5])),
])
def test_sentinel_matches_natively(write_contract: Callable[..., Path], sentinel: str, column: pl.Series) -> None:
    ftype = "datetime" if column.dtype == pl.Datetime else ("int" if column.dtype == pl.Int64 else "float")
    path = write_contract(HEAD + f"features:\n  x: {{type: {ftype}, nullable: false, sentinel: {sentinel}}}\n")
    frame = pl.DataFrame([column])
    r = next(iter(mlaudit.audit(path, frame, frame, only=["validation.null_share"]).results))
    assert r.count == 1 and r.status is Status.fail


def test_mixed_schemas_in_one_folder_are_refused(tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    pl.DataFrame({"x": [1.0], "note": [1]}).write_parquet(folder / "a.parquet")
    pl.DataFrame({"x": [2.0], "note": ["one"]}).write_parquet(folder / "b.parquet")
    with pytest.raises(DataError, match=r"b.parquet has columns or types that differ.*'note' is"):
        mlaudit.audit(write_contract(HEAD + "features:\n  x: {type: float}\n"), folder, folder)


def test_hive_key_that_is_also_a_column_is_refused(tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    part = tmp_path / "h" / "k=1"
    part.mkdir(parents=True)
    pl.DataFrame({"k": [0, 1, 2]}).write_parquet(part / "p.parquet")
    with pytest.raises(DataError, match="partition folder key k"):
        mlaudit.audit(write_contract(HEAD + "features:\n  k: {type: int}\n"), tmp_path / "h", tmp_path / "h")


def test_spark_style_folders_are_read(tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    inner = tmp_path / "spark" / "t.parquet"
    inner.mkdir(parents=True)
    pl.DataFrame({"x": [1.0, 2.0]}).write_parquet(inner / "part-0000.snappy.parquet")
    res = mlaudit.audit(write_contract(HEAD + "features:\n  x: {type: float}\n"), tmp_path / "spark",
                        tmp_path / "spark", only=["validation"])
    assert res.inputs[0].rows == 2


def test_a_parquet_type_polars_cannot_decode_is_a_data_error_naming_the_file(
        tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    """A 256-bit decimal: its footer reads, its values cannot be held (polars' decimals stop at 38 digits)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dec256.parquet"
    pq.write_table(pa.table({"x": pa.array([1, 2], type=pa.decimal256(60, 2))}), path)
    with pytest.raises(DataError, match=r"dec256\.parquet could not be decoded \(precision"):
        mlaudit.audit(write_contract(HEAD + "features:\n  x: {type: float}\n"), path, path)


def test_a_128_bit_integer_column_is_audited(tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    """Footers are read by polars, which holds 128-bit integers: such a column is checked like any other."""
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pl.DataFrame({"x": pl.Series(range(1000), dtype=pl.Int128)}).write_parquet(ref)
    pl.DataFrame({"x": pl.Series(range(300, 1300), dtype=pl.Int128)}).write_parquet(cur)
    res = mlaudit.audit(write_contract(HEAD + "features:\n  x: {type: int, range: [0, 500]}\n"), ref, cur,
                        only=["validation.range", "drift.feature"])
    by_check = {r.check: r for r in res.results}
    assert "799 of 1,000 rows" in by_check["validation.range"].message
    assert by_check["drift.feature"].status is Status.fail


def test_outcomes_id_of_another_type_is_a_data_error(tmp_path: Path, write_contract: Callable[..., Path]) -> None:
    path = write_contract(HEAD + "columns: {id: id, label: y}\n")
    cur = pl.DataFrame({"id": ["1", "2"]})
    outcomes = pl.DataFrame({"id": [1, 2], "y": [True, False]})
    with pytest.raises(DataError, match="same type"):
        mlaudit.audit(path, outcomes, cur, outcomes)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"fail_on": "bogus"}, "fail_on"),
    ({"as_of": "yesterday"}, "as_of"),
])
def test_api_misuse_is_a_usage_error(write_contract: Callable[..., Path], kwargs: dict[str, str],
                                     needle: str) -> None:
    frame = pl.DataFrame({"x": [1.0]})
    with pytest.raises(UsageError, match=needle):
        mlaudit.audit(write_contract(HEAD), frame, frame, **kwargs)  # type: ignore[arg-type]


def test_api_accepts_one_check_id_and_a_date_string(write_contract: Callable[..., Path]) -> None:
    frame = pl.DataFrame({"x": [1.0]})
    res = mlaudit.audit(write_contract(HEAD), frame, frame, only="validation.row_count", as_of="2026-10-05")
    assert {r.check for r in res.results} == {"validation.row_count"}
    assert res.as_of.startswith("2026-10-05T00:00:00")


def test_report_path_that_is_an_input_is_refused(runner: CliRunner, write_contract: Callable[..., Path],
                                                 write_parquet: Callable[..., Path]) -> None:
    data = write_parquet("d.parquet", {"x": [1.0]})
    before = data.read_bytes()
    res = runner.invoke(app, ["audit", "--contract", str(write_contract(HEAD)), "--reference", str(data),
                              "--current", str(data), "--json", str(data)])
    assert res.exit_code == 2 and "one of the audit's inputs" in res.stderr
    assert data.read_bytes() == before


def test_unwritable_step_summary_only_warns(runner: CliRunner, write_contract: Callable[..., Path],
                                           write_parquet: Callable[..., Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_parquet("d.parquet", {"x": [1.0]})
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    res = runner.invoke(app, ["audit", "--contract", str(write_contract(HEAD)), "--reference", str(data),
                              "--current", str(data), "--markdown", str(tmp_path / "s.md"), "-q"])
    assert res.exit_code == 0 and "warning: cannot append to GITHUB_STEP_SUMMARY" in res.stderr
    assert (tmp_path / "s.md").exists()


def test_init_skips_types_no_check_reads(tmp_path: Path) -> None:
    from decimal import Decimal

    path = tmp_path / "odd.parquet"
    pl.DataFrame({
        "amount": pl.Series([Decimal("1.50"), Decimal("2.25")], dtype=pl.Decimal(10, 2)),
        "tags": [["a"], ["b", "c"]],
        "x": [1.0, 2.0],
    }).write_parquet(path)
    text = infer_contract(str(path))
    loaded = parse_contract(text, "inferred.yaml")
    assert set(loaded.contract.features) == {"amount", "x"}
    assert "tags (List(String))" in text
    out = tmp_path / "inferred.yaml"
    out.write_text(text)
    assert int(mlaudit.audit(out, path, path).exit_code) == 0


def test_url_paths_go_through_polars_object_store_reader(tmp_path: Path,
                                                         write_contract: Callable[..., Path]) -> None:
    """s3://, gs://, az:// take the same path as this file:// URL: straight to polars."""
    (tmp_path / "h" / "day=1").mkdir(parents=True)
    pl.DataFrame({"x": [1.0, 2.0]}).write_parquet(tmp_path / "h" / "day=1" / "p.parquet")
    url = f"file://{tmp_path / 'h'}/"
    res = mlaudit.audit(write_contract(HEAD + "features:\n  x: {type: float}\n"), url, url, only=["validation"])
    assert res.inputs[0].rows == 2 and res.inputs[0].fingerprint.startswith("url-schema-sha256:")
    with pytest.raises(DataError, match=r"cannot (read|reach)"):
        mlaudit.audit(write_contract(HEAD), f"file://{tmp_path}/missing.parquet", url)
