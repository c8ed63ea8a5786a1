"""The built wheel, installed in a fresh virtual environment, audits the sample data.

This proves the package is complete as shipped (templates included), not only
in the source tree. It needs the package registry to install dependencies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE


@pytest.mark.slow
def test_wheel_installs_and_audits_sample_data(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, cwd=tmp_path)
    wheel = next(dist.glob("mlaudit-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=tmp_path)
    report, summary, page = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.html"
    run = subprocess.run(
        [str(bindir / "mlaudit"), "audit", "--contract", str(SAMPLE / "contract.yaml"),
         "--reference", str(SAMPLE / "reference.parquet"), "--current", str(SAMPLE / "current"),
         "--as-of", "2026-10-31T06:00:00Z", "--json", str(report), "--markdown", str(summary), "--html", str(page),
         "--quiet"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert run.returncode == 3, run.stderr  # the sample's planted problems trip its kill switch
    assert json.loads(report.read_text())["verdict"] == "disable"
    assert "## mlaudit: DISABLE" in summary.read_text()  # rendered from the shipped templates
    assert "DISABLE: take the model out of the loop" in page.read_text(encoding="utf-8")
