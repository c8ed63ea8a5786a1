"""Contract messages for YAML that reads differently from how it looks: tabs, and keys YAML turns into
booleans, numbers, nulls or dates. Each is one `mlaudit: error:` line (what, where, what to do) and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlaudit.cli import app
from mlaudit.contract.loader import parse_contract
from mlaudit.errors import ContractError

# Lines 1-3 of every contract below; what follows starts on line 4.
HEAD = "version: 1\nmodel: {name: m, task: binary_classification}\nfeatures:\n"
F = "contract.yaml"


def check(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """`mlaudit contract check contract.yaml` on `text`: the exit code and the stderr lines."""
    (tmp_path / F).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["contract", "check", F])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output + res.stderr
    return res.exit_code, [line for line in res.stderr.splitlines() if line.strip()]


def problems(text: str) -> list[str]:
    with pytest.raises(ContractError) as info:
        parse_contract(text, F)
    return info.value.problems


CASES = {
    "tab indenting a key": (
        HEAD + "\tx: {type: float}\n",
        f"{F}:4:1: not valid YAML: a tab character; YAML indents with spaces only: replace the tab with spaces"),
    "tab between a key and its value": (
        HEAD + "  x:\t{type: float}\n",
        f"{F}:4:5: not valid YAML: a tab character; YAML takes spaces, not tabs, between keys and values: "
        "replace the tab with spaces"),
    "feature named 1": (
        HEAD + "  x: {type: float}\n  1: {type: float}\n",
        f"{F}:5:3 (features.1): key '1' was read by YAML as a number, not a name; quote it (\"1\":)"),
    "feature named yes": (
        HEAD + "  x: {type: float}\n  yes: {type: bool}\n",
        f"{F}:5:3 (features.yes): key 'yes' was read by YAML as a boolean (true), not a name; quote it (\"yes\":)"),
    "feature named Off": (
        HEAD + "  Off: {type: bool}\n",
        f"{F}:4:3 (features.Off): key 'Off' was read by YAML as a boolean (false), not a name; quote it (\"Off\":)"),
    "feature named 1.5": (
        HEAD + "  1.5: {type: float}\n",
        f"{F}:4:3 (features.1.5): key '1.5' was read by YAML as a number, not a name; quote it (\"1.5\":)"),
    "feature named ~": (
        HEAD + "  ~: {type: float}\n",
        f"{F}:4:3 (features.~): key '~' was read by YAML as null, not a name; quote it (\"~\":)"),
    "feature named a date": (
        HEAD + "  2026-01-31: {type: float}\n",
        f"{F}:4:3 (features.2026-01-31): key '2026-01-31' was read by YAML as a date, not a name; "
        "quote it (\"2026-01-31\":)"),
    "non-string key in a feature's checks": (
        HEAD + "  x:\n    type: float\n    checks:\n      1: {warn: 0.1, fail: 0.2}\n",
        f"{F}:7:7 (features.x.checks.1): key '1' was read by YAML as a number, not a name; quote it (\"1\":)"),
    "non-string key in a feature's flow checks": (
        HEAD + "  x: {type: float, checks: {true: {warn: 0.1}}}\n",
        f"{F}:4:29 (features.x.checks.true): key 'true' was read by YAML as a boolean (true), not a name; "
        "quote it (\"true\":)"),
    "non-string key in thresholds": (
        HEAD + "  x: {type: float}\nthresholds:\n  on: {warn: 0.1}\n",
        f"{F}:6:3 (thresholds.on): key 'on' was read by YAML as a boolean (true), not a name; quote it (\"on\":)"),
}


@pytest.mark.parametrize(("text", "line"), list(CASES.values()), ids=list(CASES))
def test_one_clear_line_and_exit_2(text: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = check(text, tmp_path, monkeypatch)
    assert code == 2, lines
    assert lines == [f"mlaudit: error: {line}"]


@pytest.mark.parametrize(("text", "line"), list(CASES.values()), ids=list(CASES))
def test_loader_gives_the_same_single_problem(text: str, line: str) -> None:
    assert problems(text) == [line]


def test_quoted_keys_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (HEAD + '  "1": {type: float}\n  "yes": {type: bool}\n  \'no\': {type: bool}\n'
            '  "2026-01-31": {type: float}\n  x:\n    type: float\n    range: [0, 10]\n'
            '    checks:\n      "validation.range": {warn: 0.1, fail: 0.2}\n')
    loaded = parse_contract(text, F)
    assert list(loaded.contract.features) == ["1", "yes", "no", "2026-01-31", "x"]
    assert loaded.where(("features", "yes")) == f"{F}:5:3 (features.yes)"
    code, lines = check(text, tmp_path, monkeypatch)
    assert code == 0, lines


def test_quoted_and_unquoted_spelling_of_one_name_is_a_duplicate() -> None:
    assert problems(HEAD + '  "1": {type: float}\n  1: {type: float}\n') == [
        f"{F}:5:3 (features.1): duplicate key '1' (first defined at line 4); remove one of them"]


def test_every_odd_key_is_reported_in_file_order() -> None:
    text = HEAD + "  yes: {type: bool}\n  x: {type: float, checks: {1: {warn: 0.1}}}\n  2: {type: float}\n"
    assert problems(text) == [
        f"{F}:4:3 (features.yes): key 'yes' was read by YAML as a boolean (true), not a name; quote it (\"yes\":)",
        f"{F}:5:29 (features.x.checks.1): key '1' was read by YAML as a number, not a name; quote it (\"1\":)",
        f"{F}:6:3 (features.2): key '2' was read by YAML as a number, not a name; quote it (\"2\":)",
    ]


def test_boolean_key_where_a_section_key_belongs_is_an_unknown_key() -> None:
    """Quoting would not help there: the key is not one the section has, and the message says which it has."""
    found = problems(HEAD + "  x: {type: float}\ndrift: {on: 1}\n")
    assert len(found) == 1 and found[0].startswith(f"{F}:5:9 (drift.on): unknown key 'on'; allowed keys: "), found
