"""JSON Schema of the contract, for editors (yaml-language-server) and CI validators."""

from __future__ import annotations

from typing import Any

from mlaudit.contract.model import EMPTYABLE_SECTIONS, Contract


def json_schema() -> dict[str, Any]:
    schema = Contract.model_json_schema()
    for name in EMPTYABLE_SECTIONS:  # the loader reads an empty section as its defaults
        prop = schema["properties"][name]
        extras = {k: prop.pop(k) for k in ("title", "description", "default") if k in prop}
        schema["properties"][name] = {"anyOf": [prop, {"type": "null"}], **extras}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlaudit contract, version 1"
    return schema
