"""`mlaudit init`: the inferred contract parses, fits its snapshot and audits it without findings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

import mlaudit
from mlaudit import Clock
from mlaudit.cli import app
from mlaudit.contract.compat import problems_against
from mlaudit.contract.infer import infer_contract
from mlaudit.contract.loader import LoadedContract, parse_contract
from mlaudit.contract.model import FeatureType, Task
from mlaudit.results import ExitCode, Status

ROWS = 5000
REGIONS = ["east", "north", "south", "west"]


def realistic_frame(rows: int = ROWS, seed: int = 7) -> pl.DataFrame:
    """A credit-scoring snapshot: ids, a timestamp, heavy tails, NaN and nulls, a category, a bool, score, label."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 1.0, rows)  # heavy right tail
    income[rng.choice(rows, 50, replace=False)] = np.nan
    income[:2] = np.inf
    debt_null = rng.random(rows) < 0.03
    debt = rng.beta(2, 5, rows)
    start = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    return pl.DataFrame({
        "request_id": [f"req-{i:06d}" for i in range(rows)],
        "decided_at": [start + dt.timedelta(minutes=i) for i in range(rows)],
        "income": income,
        "debt_ratio": pl.Series([None if m else float(v) for m, v in zip(debt_null, debt, strict=True)],
                                dtype=pl.Float64),
        "age": rng.integers(18, 90, rows),
        "n_accounts": rng.poisson(3, rows).astype(np.int32),
        "region": rng.choice(REGIONS, rows),
        "has_mortgage": rng.random(rows) < 0.3,
        "default_prob": (p := rng.beta(1, 8, rows)),  # a calibrated score: P(default)
        "defaulted": rng.random(rows) < p,
    })


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("init") / "credit.parquet"
    realistic_frame().write_parquet(path)
    return path


@pytest.fixture(scope="module")
def inferred_text(snapshot: Path) -> str:
    return infer_contract(str(snapshot))


@pytest.fixture(scope="module")
def inferred(inferred_text: str) -> LoadedContract:
    return parse_contract(inferred_text, "inferred.yaml")


# --------------------------------------------------------------------------- library


def test_inferred_contract_parses(inferred_text: str) -> None:
    loaded = parse_contract(inferred_text, "inferred.yaml")
    assert loaded.contract.version == 1
    assert "CONFIRM" in inferred_text
    # plain YAML too, for tools that read it without mlaudit
    assert isinstance(yaml.safe_load(inferred_text), dict)


def test_inferred_contract_fits_its_snapshot(inferred: LoadedContract, snapshot: Path) -> None:
    schema = dict(pl.read_parquet_schema(snapshot))
    assert problems_against(inferred, {"snapshot": schema}, reference="snapshot") == []
    assert problems_against(inferred, {"reference": schema, "current": schema}, reference="reference") == []


def test_model_name_and_task(inferred: LoadedContract, snapshot: Path) -> None:
    model = inferred.contract.model
    assert model.name == "credit"
    assert model.task is Task.binary_classification
    named = parse_contract(infer_contract(str(snapshot), name="pd-model"), "x.yaml")
    assert named.contract.model.name == "pd-model"


def test_roles_are_guessed(inferred: LoadedContract) -> None:
    cols = inferred.contract.columns
    assert cols.id == "request_id"
    assert cols.event_time == "decided_at"
    assert cols.score == "default_prob"
    assert cols.label == "defaulted"
    assert cols.segments == ["region"]


def test_role_columns_are_not_features(inferred: LoadedContract) -> None:
    features = inferred.contract.features
    for role_col in ("request_id", "decided_at", "default_prob", "defaulted"):
        assert role_col not in features
    assert {"income", "debt_ratio", "age", "n_accounts", "region", "has_mortgage"} <= set(features)


def test_feature_types(inferred: LoadedContract) -> None:
    f = inferred.contract.features
    assert f["income"].type is FeatureType.float
    assert f["debt_ratio"].type is FeatureType.float
    assert f["age"].type is FeatureType.int
    assert f["n_accounts"].type is FeatureType.int
    assert f["region"].type is FeatureType.category
    assert f["has_mortgage"].type is FeatureType.bool


def test_category_lists_its_allowed_values(inferred: LoadedContract) -> None:
    region = inferred.contract.features["region"]
    assert region.allowed is not None
    assert sorted(map(str, region.allowed)) == REGIONS
    assert region.range is None


def test_non_numeric_features_get_no_range(inferred: LoadedContract) -> None:
    assert inferred.contract.features["has_mortgage"].range is None


def test_ranges_contain_the_bulk_of_the_data(inferred: LoadedContract) -> None:
    frame = realistic_frame()
    for name in ("income", "debt_ratio", "age", "n_accounts"):
        rng = inferred.contract.features[name].range
        assert rng is not None, name
        lo, hi = rng
        assert lo is not None and hi is not None
        values = frame[name].drop_nulls()
        if values.dtype.is_float():
            values = values.filter(values.is_finite())
        inside = values.is_between(lo, hi).mean()
        assert inside is not None and inside >= 0.99, (name, rng, inside)
        # and the range is not absurdly wide: it is the data's scale, padded a little
        span = float(values.max()) - float(values.min())  # type: ignore[arg-type]
        assert hi - lo <= 3 * span, (name, rng)


def test_non_negative_data_gets_a_non_negative_lower_bound(inferred: LoadedContract) -> None:
    for name in ("income", "debt_ratio", "n_accounts"):
        rng = inferred.contract.features[name].range
        assert rng is not None and rng[0] is not None and rng[0] >= 0, (name, rng)


def test_null_limits_cover_observed_nulls(inferred: LoadedContract) -> None:
    frame = realistic_frame()
    for name, feature in inferred.contract.features.items():
        col = frame[name]
        missing = col.null_count() + (int(col.is_nan().sum()) if col.dtype.is_float() else 0)
        assert feature.max_null_share is not None
        assert feature.max_null_share >= missing / frame.height, name
        assert feature.max_null_share <= 1


def test_nan_values_are_not_counted_as_out_of_range(write_parquet: Callable[..., Path], tmp_path: Path,
                                                    fixed_clock: Clock) -> None:
    """NaN is a missing value (null_share), not an out-of-range one: no range override is needed here."""
    values = np.linspace(0.0, 1.0, 1000)
    values[::10] = np.nan
    path = write_parquet("nan.parquet", {"row_id": [str(i) for i in range(1000)], "x": values})
    text = infer_contract(str(path))
    contract = tmp_path / "nan.yaml"
    contract.write_text(text, encoding="utf-8")
    # the audit's own range check sees no value outside the inferred range ...
    result = mlaudit.audit(str(contract), str(path), str(path), clock=fixed_clock)
    (range_result,) = [r for r in result.results if r.check == "validation.range" and r.column == "x"]
    assert range_result.count == 0
    # ... so init must not write an override claiming 10% of rows fall outside it
    loaded = parse_contract(text, "nan.yaml")
    assert "validation.range" not in loaded.contract.features["x"].checks, text


def test_awkward_column_names_are_quoted(write_parquet: Callable[..., Path]) -> None:
    path = write_parquet("odd.parquet", {
        "my col": [1.0, 2.0, 3.0], "on": ["a", "b", "a"], "2024": [1, 2, 3], "x#y": ["p", "q", "p"],
        "yes": [True, False, True],
    })
    loaded = parse_contract(infer_contract(str(path)), "odd.yaml")
    assert set(loaded.contract.features) == {"my col", "on", "2024", "x#y", "yes"}
    schema = dict(pl.read_parquet_schema(path))
    assert problems_against(loaded, {"snapshot": schema}, reference="snapshot") == []


def _with_owners(text: str) -> str:
    """The inferred contract once the team has named its owners (init leaves them commented out)."""
    for area in ("data_quality", "model_behavior", "decision_impact", "governance"):
        text = text.replace(f"  # {area}:", f"  {area}:")
    return text


def test_inferred_contract_names_no_owners_and_the_audit_says_so(inferred_text: str, snapshot: Path, tmp_path: Path,
                                                                 fixed_clock: Clock) -> None:
    """init cannot know the teams: until they are set, each owner area is one warning, and nothing else is."""
    contract = tmp_path / "contract.yaml"
    contract.write_text(inferred_text, encoding="utf-8")
    result = mlaudit.audit(str(contract), str(snapshot), str(snapshot), clock=fixed_clock)
    bad = {(r.check, r.column, r.status.value) for r in result.findings()}
    assert bad == {("governance.owners", area, "warn") for area in
                   ("data_quality", "model_behavior", "decision_impact", "governance")}


def test_audit_of_its_own_snapshot_is_clean(inferred_text: str, snapshot: Path, tmp_path: Path,
                                            fixed_clock: Clock) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_text(_with_owners(inferred_text), encoding="utf-8")
    result = mlaudit.audit(str(contract), str(snapshot), str(snapshot), clock=fixed_clock)
    bad = [(r.check, r.column, r.status.value, r.message) for r in result.results
           if r.status in (Status.fail, Status.warn, Status.error)]
    assert bad == []
    assert result.exit_code == ExitCode.OK
    assert result.model_name == "credit"
    checked = {(r.check, r.column) for r in result.results if r.status is Status.passed}
    assert ("validation.range", "income") in checked
    assert ("validation.allowed_values", "region") in checked
    assert ("validation.unique", "request_id") in checked


def test_audit_with_fail_on_warning_is_clean_too(inferred_text: str, snapshot: Path, tmp_path: Path,
                                                fixed_clock: Clock) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_text(_with_owners(inferred_text), encoding="utf-8")
    result = mlaudit.audit(str(contract), str(snapshot), str(snapshot), fail_on="warning", clock=fixed_clock)
    assert result.exit_code == ExitCode.OK


# --------------------------------------------------------------------------- CLI


def test_cli_init_writes_then_refuses_to_overwrite(runner: CliRunner, snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    first = runner.invoke(app, ["init", str(snapshot), "-o", str(out)])
    assert first.exit_code == 0, first.output
    assert out.is_file()
    text = out.read_text(encoding="utf-8")
    parse_contract(text, str(out))
    assert "mlaudit contract check" in first.output

    out.write_text("# hand edits\n" + text, encoding="utf-8")
    again = runner.invoke(app, ["init", str(snapshot), "-o", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output
    assert out.read_text(encoding="utf-8").startswith("# hand edits\n")

    forced = runner.invoke(app, ["init", str(snapshot), "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8") == text


def test_cli_init_to_stdout(runner: CliRunner, snapshot: Path) -> None:
    result = runner.invoke(app, ["init", str(snapshot), "--name", "pd"])
    assert result.exit_code == 0, result.output
    assert parse_contract(result.stdout, "stdout").contract.model.name == "pd"


def test_cli_init_missing_snapshot(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "nope.parquet"), "-o", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2
    assert "nope.parquet" in result.output
    assert not (tmp_path / "c.yaml").exists()


def test_cli_contract_check_against_snapshot(runner: CliRunner, snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    assert runner.invoke(app, ["init", str(snapshot), "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["contract", "check", str(out), "--against", str(snapshot)])
    assert result.exit_code == 0, result.output
    assert "valid contract" in result.output
    alone = runner.invoke(app, ["contract", "check", str(out)])
    assert alone.exit_code == 0, alone.output


def test_cli_contract_check_reports_every_problem(runner: CliRunner, snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad.yaml"
    out.write_text("version: 1\nmodel:\n  name: m\n  task: regression\nbogus: 1\nfeatures:\n"
                   "  income:\n    type: float\n    rnage: [0, 1]\n", encoding="utf-8")
    result = runner.invoke(app, ["contract", "check", str(out)])
    assert result.exit_code == 2
    assert f"{out}:5:1 (bogus)" in result.output
    assert f"{out}:9:5 (features.income.rnage)" in result.output
    assert "did you mean 'range'?" in result.output


def test_cli_contract_check_against_mismatching_snapshot(runner: CliRunner, snapshot: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "c.yaml"
    out.write_text("version: 1\nmodel:\n  name: m\n  task: regression\nfeatures:\n  incme:\n    type: float\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["contract", "check", str(out), "--against", str(snapshot)])
    assert result.exit_code == 2
    assert f"{out}:6:3 (features.incme)" in result.output
    assert "did you mean 'income'?" in result.output


def test_cli_contract_schema_prints_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["contract", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert "features" in schema["properties"]


def test_init_on_the_sample_reference_guesses_every_role_and_audits_it_cleanly(tmp_path: Path) -> None:
    from mlaudit.contract.loader import parse_contract
    from tests.conftest import SAMPLE

    ref = SAMPLE / "reference.parquet"
    text = infer_contract(str(ref), name="loan-default")
    cols = parse_contract(text, "inferred.yaml").contract.columns
    assert (cols.id, cols.entity, cols.event_time, cols.score, cols.decision, cols.label, cols.label_time,
            cols.amount, cols.segments) == ("application_id", "customer_id", "decided_at", "default_probability",
                                            "approved", "defaulted", "outcome_at", "loan_amount",
                                            ["region", "product"])
    path = tmp_path / "inferred.yaml"
    path.write_text(_with_owners(text), encoding="utf-8")
    result = mlaudit.audit(path, ref, ref)
    # only the problems planted in the training data itself (sample_data/README.md #12 and #13): conflicting
    # labels, the leaking collections_flag, and the label errors the conflicts imply
    assert {(r.check, r.column) for r in result.findings()} == {
        ("labels.conflicts", None), ("leakage.single_feature", "collections_flag"),
        ("labels.suspected_errors", None)}, [r.message for r in result.findings()]


def test_init_takes_the_outcome_delay_from_the_reference(tmp_path: Path) -> None:
    """labels.delay is the 95th percentile of label_time - event_time, in whole days, rounded up."""
    from mlaudit.contract.loader import parse_contract

    start = dt.datetime(2026, 1, 1)
    decided = [start + dt.timedelta(hours=i) for i in range(200)]
    delays = [dt.timedelta(days=1 + (i % 5)) + dt.timedelta(hours=3) for i in range(200)]  # 1d3h .. 5d3h
    frame = pl.DataFrame({"id": [f"A{i}" for i in range(200)], "decided_at": decided,
                          "outcome_at": [d + x for d, x in zip(decided, delays, strict=True)],
                          "x": [float(i) for i in range(200)], "label": [i % 2 for i in range(200)]})
    path = tmp_path / "ref.parquet"
    frame.write_parquet(path)
    text = infer_contract(str(path))
    contract = parse_contract(text, "inferred.yaml").contract
    assert contract.columns.label_time == "outcome_at" and contract.labels.delay == "6d"  # p95 is 5d3h

    frame.drop("outcome_at").write_parquet(path)
    text = infer_contract(str(path))
    assert parse_contract(text, "inferred.yaml").contract.labels.delay is None
    assert "# labels: {delay: 10d}" in text


def test_init_proposes_a_commented_outcomes_section_that_loads_when_uncommented(snapshot: Path) -> None:
    """What errors cost is for the team to say: init writes a commented outcomes section that is a valid contract
    section once uncommented."""
    text = infer_contract(str(snapshot))
    block = [line for line in text.splitlines() if line.startswith("# outcomes:") or line.startswith("#   ")]
    assert block[0].startswith("# outcomes:") and any("headline: roc_auc" in line for line in block)
    uncommented = text.replace("\n".join(block), "\n".join(line[2:] for line in block))
    loaded = parse_contract(uncommented, "inferred.yaml").contract
    assert loaded.outcomes.headline == "roc_auc" and loaded.outcomes.costs is not None
    assert loaded.outcomes.costs.false_positive == 100
