#!/usr/bin/env python3
"""Speed and memory of mlaudit against its peers, on the same data, in one run.

    benchmarks/setup_peers.sh                       # once: peers in their own virtual environments
    python benchmarks/speed.py --rows 1000000       # data from the shared benchmark generator

Each contender runs in its own process; wall time comes from the parent's
clock and peak memory from the child's resource usage (maximum resident set
size). Printed as a Markdown table with ratios, for benchmarks/RESULTS.md.
Contenders: polars reading both snapshots in full (the floor: both files in
one collect_all, and the plain way, one read_parquet each), mlaudit's
validation and drift audit with the JSON and HTML reports (the scope the
peers cover, and the ratios' base; also with JSON only), mlaudit's complete audit (every check
family the data allows: also skew, labels and leakage), the nightly set-up
(`mlaudit profile` of the reference once, then audits against the profile,
which read only the current snapshot: compared with polars reading that one
file), Evidently's DataDriftPreset and NannyML's univariate drift (both on
pandas frames read from the same Parquet files; reading is included for
everyone). The quick contenders (the reads and the validation and drift
audits) take turns for --repeat rounds and their medians are compared; the
complete audit, the profiling and the peers run once.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
DEFAULT_GENERATOR = HERE.parent.parent / "shared" / "bench" / "make_snapshots.py"

# both files in one call, decoded together (polars' fastest way to read them)
POLARS_READ = """
import sys, polars as pl
pl.collect_all([pl.scan_parquet(sys.argv[1]), pl.scan_parquet(sys.argv[2])])
"""

# the plain way: one read_parquet per file (the 1.3 s calibrates to this one, see RESULTS.md)
POLARS_READ_EACH = """
import sys, polars as pl
reference = pl.read_parquet(sys.argv[1])
current = pl.read_parquet(sys.argv[2])
"""

POLARS_READ_ONE = """
import sys, polars as pl
pl.scan_parquet(sys.argv[1]).collect()
"""

EVIDENTLY = """
import sys, pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
features = [c for c in ref.columns if c.startswith(("num_", "cat_"))]
snapshot = Report([DataDriftPreset(columns=features)]).run(current_data=cur[features], reference_data=ref[features])
snapshot.json()
"""

NANNYML = """
import sys, pandas as pd, nannyml as nml
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
features = [c for c in ref.columns if c.startswith(("num_", "cat_"))]
calc = nml.UnivariateDriftCalculator(column_names=features, timestamp_column_name="event_time",
                                     continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
                                     categorical_methods=["chi2", "jensen_shannon"], chunk_number=10)
calc.fit(ref)
calc.calculate(cur).to_df()
"""


#: The contender the ratios are taken against.
BASE = "mlaudit audit (validation + drift, JSON + HTML)"


def run(cmd: list[str], label: str) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if code not in (0, 1):  # mlaudit exits 1 when it finds the planted drift
        print(f"{label} failed ({code}): {err[-2000:]}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, code


def arguments(description: str) -> argparse.Namespace:
    """The benchmark scripts' shared options: data size, generator, existing data, peers."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--numeric", type=int, default=40)
    parser.add_argument("--categorical", type=int, default=10)
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--data", type=Path, help="folder holding reference.parquet and current.parquet")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the quick contenders (medians compared)")
    return parser.parse_args()


def compile_bytecode() -> None:
    """mlaudit's modules compiled to bytecode first, as an installed wheel has them: from a source checkout
    (or with PYTHONDONTWRITEBYTECODE set) every run would otherwise compile the modules changed since the
    last compile, a tenth of a second that is no part of the audit."""
    spec = importlib.util.find_spec("mlaudit")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def prepare(args: argparse.Namespace) -> tuple[Path, str, str, str, Path]:
    """(work folder, reference, current, mlaudit executable, inferred contract): the data generated unless --data
    names it, and a contract from `mlaudit init` on the reference."""
    work = Path(tempfile.mkdtemp(prefix="mlaudit-bench-"))
    data = args.data or work
    if args.data is None:
        subprocess.run([sys.executable, str(args.generator), str(data), "--rows", str(args.rows),
                        "--numeric", str(args.numeric), "--categorical", str(args.categorical)], check=True)
    ref, cur = str(data / "reference.parquet"), str(data / "current.parquet")
    mlaudit = shutil.which("mlaudit") or "mlaudit"
    compile_bytecode()
    contract = work / "contract.yaml"
    subprocess.run([mlaudit, "init", ref, "-o", str(contract), "--force"], check=True, capture_output=True)
    return work, ref, cur, mlaudit, contract


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    work, ref, cur, mlaudit, contract = prepare(args)

    audit = [mlaudit, "audit", "-c", str(contract), "--current", cur, "--quiet"]
    scope = ["--only", "validation", "--only", "data_drift"]
    # the nightly set-up: the reference profiled once, each audit then reads only the current snapshot
    profile = work / "reference.profile"
    profiling = run([mlaudit, "profile", ref, "-c", str(contract), "-o", str(profile)], "mlaudit profile")
    quick = [
        ("polars reads both snapshots", [sys.executable, "-c", POLARS_READ, ref, cur]),
        ("polars reads both snapshots, one read_parquet each", [sys.executable, "-c", POLARS_READ_EACH, ref, cur]),
        (BASE,
         [*audit, "-r", ref, "--json", str(work / "report.json"), "--html", str(work / "report.html"), *scope]),
        ("mlaudit audit (validation + drift, JSON only)",
         [*audit, "-r", ref, "--json", str(work / "json-only.json"), *scope]),
        ("polars reads the current snapshot", [sys.executable, "-c", POLARS_READ_ONE, cur]),
        ("mlaudit audit --reference profile (validation + drift, JSON + HTML)",
         [*audit, "-r", str(profile), "--json", str(work / "profiled.json"), "--html", str(work / "profiled.html"),
          *scope]),
    ]
    # the quick contenders take turns, args.repeat rounds: the median of each is compared, so that a burst of
    # load on a shared machine moves one round, not the ratio
    timed: dict[str, list[tuple[float, float, int]]] = {label: [] for label, _ in quick}
    for _ in range(args.repeat):
        for label, cmd in quick:
            timed[label].append(run(cmd, label))
    rows = [(label, statistics.median(w for w, _, _ in got), max(m for _, m, _ in got), got[-1][2])
            for label, got in timed.items()]
    rows.append(("mlaudit complete audit (+ skew, labels, leakage; JSON + HTML)",
                 *run([*audit, "-r", ref, "--json", str(work / "full.json"), "--html", str(work / "full.html")],
                      "mlaudit full")))
    rows.append(("mlaudit profile of the reference (once)", *profiling))
    if not args.skip_peers:
        for label, venv, script in (("Evidently 0.7 DataDriftPreset", "evidently", EVIDENTLY),
                                    ("NannyML 0.13 univariate drift", "nannyml", NANNYML)):
            python = PEERS / venv / "bin" / "python"
            if python.exists():
                rows.append((label, *run([str(python), "-c", script, ref, cur], label)))
            else:
                print(f"{label}: not installed (run benchmarks/setup_peers.sh)", file=sys.stderr)

    report = json.loads((work / "report.json").read_text())
    base = next(wall for label, wall, _, _ in rows if label == BASE)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.rows:,} rows x {args.numeric} numeric + {args.categorical} categorical features per snapshot\n")
    print("| contender | wall s | peak MB | mlaudit is faster by |")
    print("|---|---:|---:|---:|")
    for label, wall, rss, _code in rows:
        ratio = f"{wall / base:.1f}x" if wall >= base else f"{wall / base:.2f}x"
        if label == BASE:
            ratio = "—"
        print(f"| {label} | {wall:.2f} | {rss:,.0f} | {ratio} |")
    walls = {label: w for label, w, _, _ in rows}
    read_both, read_current = walls["polars reads both snapshots"], walls["polars reads the current snapshot"]
    profiled = walls["mlaudit audit --reference profile (validation + drift, JSON + HTML)"]
    print(f"\nMedians of {args.repeat} rounds; every round's wall seconds:")
    for label, got in timed.items():
        print(f"- {label}: {', '.join(f'{w:.2f}' for w, _, _ in got)}")
    read_each = walls["polars reads both snapshots, one read_parquet each"]
    print(f"mlaudit (validation + drift, JSON + HTML) / polars reading both snapshots: {base / read_both:.1f}x "
          f"(collect_all of both); {base / read_each:.1f}x (one read_parquet each)")
    print(f"mlaudit with a reference profile / polars reading the current snapshot: {profiled / read_current:.1f}x; "
          f"/ polars reading both: {profiled / read_both:.1f}x")
    print(f"mlaudit timings (s): {report['timings_s']}")
    drifted = sorted({r["column"] for r in report["results"] if r["check"] == "drift.feature"
                      and r["status"] in ("warn", "fail")})
    print(f"mlaudit found drift in: {', '.join(drifted)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
