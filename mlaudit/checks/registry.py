"""The one registry of checks: built from an explicit list, never filled by import side effects."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mlaudit.checks import (
    concept,
    drift,
    killswitch,
    labels,
    leakage,
    monitoring,
    multivariate,
    outputs,
    ownership,
    performance,
    review,
    rowskew,
    service,
    skew,
    validation,
)
from mlaudit.checks.base import CheckSpec, Context, Planned
from mlaudit.errors import UsageError

Planner = Callable[[Context], list[Planned]]


@dataclass(frozen=True)
class Registered:
    spec: CheckSpec
    plan: Planner


class Registry:
    """Checks by id, in a stable order; rejects duplicate ids."""

    def __init__(self, entries: Iterable[tuple[CheckSpec, Planner]]) -> None:
        self._by_id: dict[str, Registered] = {}
        for spec, plan in entries:
            if spec.id in self._by_id:
                raise ValueError(f"duplicate check id {spec.id}")
            self._by_id[spec.id] = Registered(spec, plan)

    def ids(self) -> list[str]:
        return list(self._by_id)

    def families(self) -> list[str]:
        return sorted({r.spec.family for r in self._by_id.values()} | {r.spec.failure_mode.value for r in self})

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def get(self, check_id: str) -> Registered:
        return self._by_id[check_id]

    def planners(self, chosen: Iterable[Registered]) -> list[Planner]:
        """Distinct planners behind `chosen`, in registry order (one planner may serve several checks)."""
        out: list[Planner] = []
        for entry in chosen:
            if entry.plan not in out:
                out.append(entry.plan)
        return out

    def select(self, only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Registered]:
        """Checks chosen by id, family prefix ('validation') or failure mode; unknown names are errors."""
        only, skip = list(only), list(skip)
        for name in only + skip:
            if not self._matches_any(name):
                choices = self.ids() + self.families()
                hint = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
                tail = f"did you mean '{hint[0]}'?" if hint else "run `mlaudit checks` for the list"
                raise UsageError(f"unknown check or family '{name}' in --only/--skip; {tail}")
        chosen = [r for r in self if not only or any(self._match(r.spec, n) for n in only)]
        return [r for r in chosen if not any(self._match(r.spec, n) for n in skip)]

    @staticmethod
    def _match(spec: CheckSpec, name: str) -> bool:
        return name in (spec.id, spec.family, spec.failure_mode.value) or spec.id.startswith(name + ".")

    def _matches_any(self, name: str) -> bool:
        return any(self._match(r.spec, name) for r in self)

    def knows(self, name: str) -> bool:
        """A check id, family or failure mode that names at least one check."""
        return self._matches_any(name)

    @staticmethod
    def matches(check_id: str, name: str) -> bool:
        """Whether a result of `check_id` falls under `name` (its id, family, failure mode or an id prefix)."""
        return REGISTRY._match(REGISTRY.get(check_id).spec, name)


def _entries() -> list[tuple[CheckSpec, Planner]]:
    out: list[tuple[CheckSpec, Planner]] = []
    for module in (validation, outputs, drift, multivariate, concept, skew, rowskew, labels, leakage, performance,
                   review, ownership, service, killswitch, monitoring):
        out += [(spec, module.PLANNERS[spec.id]) for spec in module.SPECS]
    return out


REGISTRY = Registry(_entries())
