"""Row samples (Planned.row_step) read with the per-column parts, not by queries of their own.

A row sample (every k-th row of each snapshot, for multivariate drift, concept
drift, the weak-slice search) used to be a query on
`frame.with_row_index().gather_every(k)`: polars decodes every column of the
snapshot in full to keep a tenth of it, a second decode of every file. Here
each sampled column becomes one more small request, `col.gather_every(k)`, of
the part that already reads that column (the drift and skew parts read each
feature in full), so each column is decoded once. The sampled frame is then
rebuilt from those columns and the original requests run on it: the same
rows, the same expressions, the same values as the query gave. The sample
parts are early parts (Part.early): their values arrive as soon as the last
of them is read, and the requests of every row-sampled item are evaluated
then, each distinct expression once, while the last batch is still reduced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from mlaudit import engine as engines
from mlaudit.checks.base import ROW_INDEX, Part, Planned, keep_values

Group = tuple[str, int]  # (side prefix: "" current, "reference:"; row step)


@dataclass
class Samples:
    """The parts that read the sampled columns, and the columns each sampled frame needs."""

    parts: list[Part]
    groups: dict[Group, list[str]]


def _key(step: int) -> str:
    return f"{engines.SERIES_KEY}{step}"


def plan(planned: Sequence[Planned]) -> Samples:
    """One part per sampled column (requesting it at every side and step it is sampled at), plus one part
    for the row numbers of each sampled frame."""
    groups: dict[Group, set[str]] = {}
    for p in planned:
        if p.row_step is None or p.ready is not None:
            continue
        for side, requests, step in (("reference:", p.reference_requests, p.row_step[0]),
                                     ("", p.requests, p.row_step[1])):
            if requests:
                names = groups.setdefault((side, step), set())
                names.update(n for e in requests.values() for n in e.meta.root_names() if n != ROW_INDEX)
    columns = sorted({n for names in groups.values() for n in names})
    parts = []
    for name in columns:
        current: dict[str, pl.Expr] = {}
        reference: dict[str, pl.Expr] = {}
        for (side, step), names in groups.items():
            if name in names:
                (reference if side else current)[_key(step)] = pl.col(name).gather_every(step).implode()
        parts.append(Part(requests=current, reference_requests=reference, reduce=keep_values, weight=0, column=name,
                          early=True))
    if groups:  # the original row numbers of the kept rows; also the frame's height when no column is sampled
        index = {side + _key(step): pl.int_range(pl.len(), dtype=pl.UInt32).gather_every(step).implode()
                 for side, step in groups}
        parts.append(Part(requests={k: e for k, e in index.items() if not k.startswith("reference:")},
                          reference_requests={k.removeprefix("reference:"): e for k, e in index.items()
                                              if k.startswith("reference:")}, reduce=keep_values, weight=0,
                          early=True))
    return Samples(parts=parts, groups={g: sorted(names) for g, names in groups.items()})


def frames(samples: Samples, reduced: Sequence[Mapping[str, Any]]) -> dict[Group, pl.DataFrame]:
    """Each sampled frame, rebuilt from the reduced parts (in plan order): its row numbers and columns."""
    if not samples.groups:
        return {}
    *columns, index = reduced
    out: dict[Group, pl.DataFrame] = {}
    for side, step in samples.groups:
        data = {ROW_INDEX: index[side + _key(step)]}
        for part, got in zip(samples.parts[:-1], columns, strict=True):
            if part.column is not None and side + _key(step) in got:
                data[part.column] = got[side + _key(step)]
        out[(side, step)] = pl.DataFrame(data)
    return out


def evaluate(sampled: Mapping[Group, pl.DataFrame], items: Sequence[tuple[Planned, dict[str, Any]]]) -> None:
    """Put each row-sampled item's request values into its `values`, as a query on the sampled frames would
    have: one query per sampled frame, run together, each distinct expression once (multivariate and
    concept drift ask for the same columns)."""
    jobs: dict[Group, dict[bytes, tuple[str, pl.Expr]]] = {}
    wanted: list[tuple[dict[str, Any], str, Group, bytes]] = []
    for p, values in items:
        assert p.row_step is not None
        for side, requests, step in (("reference:", p.reference_requests, p.row_step[0]),
                                     ("", p.requests, p.row_step[1])):
            exprs = jobs.setdefault((side, step), {}) if requests else {}
            for key, expr in requests.items():
                identity = expr.meta.serialize()
                exprs.setdefault(identity, (f"{len(exprs)}", expr))
                wanted.append((values, side + key, (side, step), identity))
    groups = [g for g, exprs in jobs.items() if exprs]
    # through the engine's run, so that a failure reads as it would from the query it replaces; a thread per
    # frame, as polars evaluates a select of imploded columns on one core
    frames = engines.run_each([sampled[g].lazy().select([e.alias(alias) for alias, e in jobs[g].values()])
                          for g in groups])
    results = dict(zip(groups, frames, strict=True))
    converted: dict[tuple[Group, bytes], Any] = {}
    for values, key, group, identity in wanted:
        if (group, identity) not in converted:
            converted[(group, identity)] = engines.value(results[group].get_column(jobs[group][identity][0]))
        values[key] = converted[(group, identity)]
