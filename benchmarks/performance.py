#!/usr/bin/env python3
"""Speed and memory of mlaudit's performance checks against NannyML's, on the same data, in one run.

    benchmarks/setup_peers.sh                            # once: peers in their own virtual environments
    python benchmarks/performance.py --rows 1000000      # data from the shared benchmark generator

The data has a binary label and a predicted probability ('prediction') on both snapshots. Contenders,
each in its own process (wall time from the parent's clock, peak memory from the child's resource usage):

- mlaudit `--only performance`: realised metrics with intervals against the reference (accuracy,
  precision, recall, F1, ROC AUC, PR AUC, log loss, Brier), calibration, rare classes, confidence,
  slices of two segment columns (values and pairs), the weak-slice search over every feature, and
  CBPE estimation with its sampling band, per 10 row chunks;
- NannyML 0.13: realised performance (PerformanceCalculator) and CBPE, both for ROC AUC, F1,
  precision, recall and accuracy, in 10 chunks (less work than mlaudit's run: no calibration, slices,
  search or intervals on realised metrics).

Reading the Parquet files is included for both. Printed as a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import PEERS, POLARS_READ, arguments, prepare, run

NANNYML = """
import sys, pandas as pd, nannyml as nml
ref = pd.read_parquet(sys.argv[1], columns=["event_time", "prediction", "label"])
cur = pd.read_parquet(sys.argv[2], columns=["event_time", "prediction", "label"])
for df in (ref, cur):
    df["predicted"] = (df["prediction"] >= 0.5).astype(int)
metrics = ["roc_auc", "f1", "precision", "recall", "accuracy"]
common = dict(y_pred_proba="prediction", y_pred="predicted", y_true="label", timestamp_column_name="event_time",
              problem_type="classification_binary", metrics=metrics, chunk_number=10)
realised = nml.PerformanceCalculator(**common)
realised.fit(ref)
realised.calculate(cur).to_df()
cbpe = nml.CBPE(**common)
cbpe.fit(ref)
cbpe.estimate(cur).to_df()
"""

CONTRACT_EXTRA = """
outcomes:
  headline: roc_auc
  slices: {min_rows: 200}
"""


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    work, ref, cur, mlaudit, contract = prepare(args)
    text = contract.read_text().replace("\n  label: label\n",
                                        "\n  label: label\n  score: prediction\n  segments: [cat_000, cat_001]\n")
    contract.write_text(text + CONTRACT_EXTRA)
    chunk = str(-(-args.rows // 10))

    rows = [("polars reads both snapshots", *run([sys.executable, "-c", POLARS_READ, ref, cur], "polars"))]
    rows.append(("mlaudit --only performance (10 chunks)",
                 *run([mlaudit, "audit", "-c", str(contract), "-r", ref, "--current", cur, "--json",
                       str(work / "report.json"), "--quiet", "--only", "performance", "--chunk", chunk], "mlaudit")))
    if not args.skip_peers:
        python = PEERS / "nannyml" / "bin" / "python"
        if python.exists():
            rows.append(("NannyML 0.13 realised performance + CBPE (10 chunks)",
                         *run([str(python), "-c", NANNYML, ref, cur], "nannyml")))
        else:
            print("NannyML: not installed (run benchmarks/setup_peers.sh)", file=sys.stderr)

    report = json.loads((work / "report.json").read_text())
    base = rows[1][1]
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.rows:,} rows per snapshot\n")
    print("| contender | wall s | peak MB | mlaudit is faster by |")
    print("|---|---:|---:|---:|")
    for label, wall, rss, _code in rows:
        ratio = "—" if label.startswith("mlaudit") else (f"{wall / base:.1f}x" if wall >= base
                                                         else f"{wall / base:.2f}x")
        print(f"| {label} | {wall:.2f} | {rss:,.0f} | {ratio} |")
    print(f"\nmlaudit / polars read: {base / rows[0][1]:.1f}x; mlaudit timings (s): {report['timings_s']}")
    judged = [r for r in report["results"] if r["status"] != "skipped"]
    print(f"mlaudit performance results: {len(judged)} judged, "
          f"{sum(r['status'] in ('warn', 'fail') for r in judged)} findings")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
