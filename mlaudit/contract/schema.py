"""JSON Schema of the contract, for editors (yaml-language-server) and CI validators."""

from __future__ import annotations

from typing import Any

from mlaudit.contract.model import Contract


def json_schema() -> dict[str, Any]:
    schema = Contract.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlaudit contract, version 1"
    return schema
