"""Documentation that must keep up with the code."""

from __future__ import annotations

import json
import typing
from types import UnionType

from pydantic import BaseModel

from mlaudit.contract.model import Contract
from tests.conftest import ROOT


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            stack: list[typing.Any] = [field.annotation]
            while stack:
                t = stack.pop()
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append(t)
                stack += list(typing.get_args(t)) if typing.get_origin(t) or isinstance(t, UnionType) else []
    return seen


def test_every_contract_key_is_documented() -> None:
    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    missing = sorted(f"{m.__name__}.{name}" for m in _models(Contract) for name in m.model_fields
                     if f"`{name}`" not in text)
    assert not missing, f"undocumented contract keys in docs/contract.md: {missing}"


def test_json_report_fields_are_documented() -> None:

    from tests.test_report_golden import GOLDEN

    report = json.loads((GOLDEN / "sample.json").read_text(encoding="utf-8"))
    text = (ROOT / "docs" / "json-report.md").read_text(encoding="utf-8")
    keys = set(report) | set(report["results"][0])
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"undocumented JSON report fields: {missing}"
