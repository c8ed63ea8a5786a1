"""Exception roots, one per layer, so the CLI can map each to an exit code.

Anything derived from :class:`MlauditError` is the user's to fix (exit 2) and
is printed as one line; anything else is an internal error (exit 4).
"""

from __future__ import annotations


class MlauditError(Exception):
    """A problem the user can fix: bad usage, contract or data."""


class UsageError(MlauditError):
    """Bad command-line or API usage (conflicting options, unknown check id)."""


class ContractError(MlauditError):
    """The contract is invalid. Carries every problem found, each already located."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = self.problems[0] if self.problems else "invalid contract"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(head + more)


class DataError(MlauditError):
    """A snapshot cannot be read or does not fit the contract's schema."""


class QueryError(DataError):
    """A query over the snapshots failed inside polars (reading, decoding or computing), with no file named:
    the audit then looks for a file that cannot be decoded to name it (snapshots.locate_unreadable)."""


class ComputeError(QueryError):
    """polars reported a compute error: an expression failing on the values (a rule casting text that does
    not parse as a number) or, as polars classes them too, damaged Parquet pages. `reason` is polars' first
    line, for the check that owns the expression."""

    def __init__(self, message: str, reason: str = "") -> None:
        self.reason = reason
        super().__init__(message)

    def __reduce__(self) -> tuple[type[ComputeError], tuple[str, str]]:  # travels back from Dask workers
        return (ComputeError, (str(self), self.reason))


class UnreadableError(DataError):
    """A snapshot file, named in the message, whose data pages cannot be decoded."""


def is_polars_panic(exc: BaseException) -> bool:
    """Whether `exc` is polars' PanicException (raised on corrupt data), which derives from BaseException,
    not Exception: callers that turn polars' failures into one-line errors must catch it by name."""
    return type(exc).__name__ == "PanicException"
