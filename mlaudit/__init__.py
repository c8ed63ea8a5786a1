"""mlaudit: audit machine-learning systems in production, in batch, with an exit code to gate on.

The public names are imported on first use (PEP 562): `import mlaudit.cli` then
loads neither numpy nor polars, so the command line can configure them (one
BLAS thread, see cli.main) before they start, and `mlaudit --help` is quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mlaudit.api import Clock, audit
    from mlaudit.contract.loader import LoadedContract, load_contract
    from mlaudit.results import AuditResult, CheckResult, ExitCode, FailOn, Status

_WHERE = {
    "Clock": "mlaudit.api",
    "audit": "mlaudit.api",
    "LoadedContract": "mlaudit.contract.loader",
    "load_contract": "mlaudit.contract.loader",
    "AuditResult": "mlaudit.results",
    "CheckResult": "mlaudit.results",
    "ExitCode": "mlaudit.results",
    "FailOn": "mlaudit.results",
    "Status": "mlaudit.results",
}

__all__ = [
    "AuditResult",
    "CheckResult",
    "Clock",
    "ExitCode",
    "FailOn",
    "LoadedContract",
    "Status",
    "__version__",
    "audit",
    "load_contract",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'mlaudit' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
