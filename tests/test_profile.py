"""Reference profiles: the same findings as the raw reference, within the documented bounds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import mlaudit
from mlaudit import profile as profiles
from mlaudit.cli import app
from mlaudit.contract.loader import load_contract
from mlaudit.results import AuditResult, Status
from tests.conftest import SAMPLE
from tests.simulate import shifted_pair, write_contract


def _by_key(result: AuditResult) -> dict[tuple[str, str | None], object]:
    return {(r.check, r.column): r for r in result.results}


def test_profile_of_the_sample_gives_identical_findings(tmp_path: Path) -> None:
    contract = SAMPLE / "contract.yaml"
    path = tmp_path / "ref.profile"
    profiles.build(load_contract(contract), str(SAMPLE / "reference.parquet"), path)
    kwargs = {"chunk": "1d", "as_of": "2026-10-31T06:00:00Z"}
    raw = mlaudit.audit(contract, SAMPLE / "reference.parquet", SAMPLE / "current", SAMPLE / "outcomes.parquet",
                        **kwargs)
    via = mlaudit.audit(contract, path, SAMPLE / "current", SAMPLE / "outcomes.parquet", **kwargs)
    a, b = _by_key(raw), _by_key(via)
    assert a.keys() == b.keys()
    for key, r in a.items():
        assert (r.status, r.value) == (b[key].status, b[key].value), key  # type: ignore[attr-defined]
    assert via.inputs[0].rows == 20_000 and via.inputs[0].fingerprint == raw.inputs[0].fingerprint


def test_profile_of_a_large_reference_is_within_its_bounds(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    rows = 3 * profiles.SKETCH
    ref = pl.DataFrame({"x": rng.normal(0, 1, rows), "u": rng.uniform(0, 10, rows),
                        "c": rng.choice(["a", "b", "c"], rows)})
    cur = pl.DataFrame({"x": rng.normal(0.1, 1, rows), "u": rng.uniform(0, 10, rows),
                        "c": rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2])})
    ref_path, cur_path = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    ref.write_parquet(ref_path)
    cur.write_parquet(cur_path)
    contract = write_contract(tmp_path / "c.yaml", {"x": "float", "u": "float", "c": "category"})
    profiles.build(load_contract(contract), str(ref_path), tmp_path / "ref.profile")
    raw = _by_key(mlaudit.audit(contract, ref_path, cur_path, only=["drift.feature"]))
    via = _by_key(mlaudit.audit(contract, tmp_path / "ref.profile", cur_path, only=["drift.feature"]))
    for key, r in raw.items():
        p = via[key]
        assert r.status is p.status, key  # type: ignore[attr-defined]
        exact, approx = r.details["statistics"], p.details["statistics"]  # type: ignore[attr-defined]
        for name in ("psi", "jensen_shannon", "hellinger", "linf"):
            assert approx[name] == exact[name], (key, name)  # binned: identical
        if "ks" in exact:
            assert abs(approx["ks"] - exact["ks"]) <= 1 / profiles.SKETCH + 1e-12
            column = ref.get_column(key[1])
            bound = (column.max() - column.min()) / profiles.SKETCH / column.std()
            assert abs(approx["wasserstein"] - exact["wasserstein"]) <= bound
        assert p.details["reference_n"] == r.details["reference_n"]  # type: ignore[attr-defined]


def test_profile_file_is_parquet_with_documented_metadata(tmp_path: Path) -> None:
    ref, _, types = shifted_pair(0)
    ref_path = tmp_path / "ref.parquet"
    ref.write_parquet(ref_path)
    contract = write_contract(tmp_path / "c.yaml", types)
    profiles.build(load_contract(contract), str(ref_path), tmp_path / "ref.profile")
    meta = json.loads(pq.read_schema(tmp_path / "ref.profile").metadata[profiles.KEY])
    assert meta["format"] == 1 and meta["rows"] == 10_000 and meta["sketch"] == profiles.SKETCH
    assert set(meta["columns"]) == set(types)
    numeric = meta["columns"]["mean_0.2sd"]
    assert {"n", "missing", "n_valid", "edges", "bin_counts", "scale", "summary", "sketch"} <= set(numeric)
    assert sum(numeric["bin_counts"]) == numeric["n_valid"]
    assert pl.read_parquet(tmp_path / "ref.profile").height == 10_000


def test_profile_for_another_contract_is_never_silently_used(tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(1)
    ref_path = tmp_path / "ref.parquet"
    ref.write_parquet(ref_path)
    narrow = write_contract(tmp_path / "narrow.yaml", {"stable": "float"})
    profiles.build(load_contract(narrow), str(ref_path), tmp_path / "ref.profile")
    wide = write_contract(tmp_path / "wide.yaml", types)
    res = mlaudit.audit(wide, tmp_path / "ref.profile", cur, only=["drift.feature"])
    found = _by_key(res)
    assert found[("drift.feature", "stable")].status is not Status.skipped  # type: ignore[attr-defined]
    skipped = found[("drift.feature", "mean_0.2sd")]
    assert skipped.status is Status.skipped and "rebuild" in skipped.message  # type: ignore[attr-defined]
    assert any("another version of the contract" in n for n in res.notes)


def test_profile_command(tmp_path: Path, runner: CliRunner) -> None:
    ref, _, types = shifted_pair(2)
    ref_path = tmp_path / "ref.parquet"
    ref.write_parquet(ref_path)
    contract = write_contract(tmp_path / "c.yaml", types)
    out = tmp_path / "ref.profile"
    args = ["profile", str(ref_path), "--contract", str(contract), "--output", str(out)]
    assert runner.invoke(app, args).exit_code == 0 and out.exists()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


@pytest.mark.parametrize("corrupt", [b"{not json", b'{"format": 99}'])
def test_damaged_profile_metadata_is_a_data_error(tmp_path: Path, corrupt: bytes) -> None:
    from mlaudit.errors import DataError

    table = pl.DataFrame({"x": [1.0]}).to_arrow()
    pq.write_table(table.replace_schema_metadata({profiles.KEY: corrupt}), tmp_path / "bad.profile")
    with pytest.raises(DataError, match="profile"):
        profiles.read(tmp_path / "bad.profile")


def test_profile_with_other_bins_is_not_used(tmp_path: Path) -> None:
    ref, cur, types = shifted_pair(4)
    ref_path = tmp_path / "ref.parquet"
    ref.write_parquet(ref_path)
    built = write_contract(tmp_path / "c10.yaml", types)
    profiles.build(load_contract(built), str(ref_path), tmp_path / "ref.profile")
    other = write_contract(tmp_path / "c20.yaml", types, {"drift": {"bins": 20}})
    res = mlaudit.audit(other, tmp_path / "ref.profile", cur, only=["drift.feature"])
    r = next(x for x in res.results if x.column == "stable")
    assert r.status is Status.skipped and "drift.bins" in r.message


def test_profile_bytes_are_deterministic_and_nan_sentinel_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    ref = pl.DataFrame({"x": rng.normal(0, 1, 500), "c": rng.choice([f"k{i}" for i in range(40)], 500)})
    ref_path = tmp_path / "ref.parquet"
    ref.write_parquet(ref_path)
    contract = tmp_path / "c.yaml"
    contract.write_text("version: 1\nmodel: {name: m, task: regression}\nfeatures:\n"
                        "  x: {type: float, sentinel: .nan}\n  c: {type: category}\n")
    loaded = load_contract(contract)
    profiles.build(loaded, str(ref_path), tmp_path / "a.profile")
    profiles.build(loaded, str(ref_path), tmp_path / "b.profile")
    a = pq.read_schema(tmp_path / "a.profile").metadata[profiles.KEY]
    assert a == pq.read_schema(tmp_path / "b.profile").metadata[profiles.KEY]
    res = mlaudit.audit(contract, tmp_path / "a.profile", ref, only=["drift.feature"])
    assert all(r.status is not Status.skipped for r in res.results), [r.message for r in res.results]


def test_checks_that_count_training_rows_skip_on_a_sampled_profile(tmp_path: Path) -> None:
    """A profile of a reference larger than its sample cannot count conflicts, overlaps or leaks exactly: those
    checks say so instead of judging the sample; production-side label checks still run."""
    from mlaudit.checks import rows as sampling

    rng = np.random.default_rng(9)
    rows = 2 * sampling.MAX_ROWS + 5  # the profile keeps every 3rd row
    x = rng.normal(size=rows)
    ref = pl.DataFrame({"id": np.arange(rows), "x": x, "y": rng.random(rows) < 1 / (1 + np.exp(-x))})
    cur = pl.DataFrame({"id": np.arange(rows, rows + 500), "x": rng.normal(size=500), "y": rng.random(500) < 0.5})
    ref.write_parquet(tmp_path / "ref.parquet")
    cur.write_parquet(tmp_path / "cur.parquet")
    contract = tmp_path / "c.yaml"
    contract.write_text("version: 1\nmodel: {name: m, task: binary_classification}\ncolumns: {id: id, label: y}\n"
                        "features:\n  x: {type: float}\n", encoding="utf-8")
    profiles.build(load_contract(contract), str(tmp_path / "ref.parquet"), tmp_path / "ref.profile")
    res = mlaudit.audit(contract, tmp_path / "ref.profile", tmp_path / "cur.parquet", only=["labels", "leakage"])
    for check in ("leakage.single_feature", "leakage.vanishing", "leakage.overlap", "labels.suspected_errors"):
        skips = [r for r in res.results if r.check == check]
        assert skips and all(r.status is Status.skipped and "profile" in r.message for r in skips), check
    conflicts = [r for r in res.results if r.check == "labels.conflicts"]
    assert [r.details.get("snapshot") for r in conflicts] == ["current"]  # production judged, training not
