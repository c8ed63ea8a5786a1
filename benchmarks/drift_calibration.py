#!/usr/bin/env python3
"""Measure the drift defaults: false alarms on clean data and detection of real shifts.

    python benchmarks/drift_calibration.py [--seeds 100] [--big-seeds 5]

Prints a Markdown table for docs/drift.md. Uses the same synthetic data as
the tests (tests/simulate.py); a run takes a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mlaudit
from mlaudit.results import Status
from tests.simulate import SHIFTS, clean_pair, shifted_pair, write_contract

FLAGGED = (Status.warn, Status.fail)
DRIFT = ["drift.feature", "drift.null_share"]


def clean(rows: int, seeds: int, folder: Path) -> tuple[int, int, float, float]:
    """(runs with any warning, feature-level warnings, largest effect seen, seconds per run)."""
    runs = findings = 0
    largest = 0.0
    start = time.perf_counter()
    for seed in range(seeds):
        ref, cur, types = clean_pair(seed, rows)
        res = mlaudit.audit(write_contract(folder / "c.yaml", types), ref, cur, only=DRIFT)
        bad = [r for r in res.results if r.status in FLAGGED]
        runs += bool(bad)
        findings += len(bad)
        largest = max([largest, *(r.value or 0.0 for r in res.results if r.check == "drift.feature")])
    return runs, findings, largest, (time.perf_counter() - start) / seeds


def power(seeds: int, folder: Path) -> dict[str, int]:
    hits = dict.fromkeys((*SHIFTS, "stable (false alarm)"), 0)
    for seed in range(seeds):
        ref, cur, types = shifted_pair(1000 + seed)
        res = mlaudit.audit(write_contract(folder / "c.yaml", types), ref, cur, only=DRIFT)
        status = {(r.check, r.column): r.status for r in res.results}
        for name in SHIFTS:
            check = "drift.null_share" if name.startswith("nulls") else "drift.feature"
            hits[name] += status[(check, name)] in FLAGGED
        hits["stable (false alarm)"] += status[("drift.feature", "stable")] in FLAGGED
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--big-seeds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("| rows per side | seeds | runs with any drift warning (50 features) | feature warnings | "
              "largest default effect size | s per run |")
        print("|---:|---:|---:|---:|---:|---:|")
        for rows, seeds in ((500, args.seeds), (5_000, args.seeds), (500_000, args.big_seeds)):
            runs, found, largest, secs = clean(rows, seeds, folder)
            print(f"| {rows:,} | {seeds} | {runs} ({runs / seeds:.0%}) | {found} | {largest:.3f} | {secs:.2f} |")
        print()
        hits = power(args.seeds, folder)
        print("| shift at 10,000 rows per side | flagged |")
        print("|---|---:|")
        for name, n in hits.items():
            print(f"| {name} | {n} of {args.seeds} |")


if __name__ == "__main__":
    main()
