"""mlaudit: audit machine-learning systems in production, in batch, with an exit code to gate on."""

from __future__ import annotations

__version__ = "0.1.0"

from mlaudit.api import Clock, audit
from mlaudit.contract.loader import LoadedContract, load_contract
from mlaudit.results import AuditResult, CheckResult, ExitCode, FailOn, Status

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
