#!/usr/bin/env bash
# Install the peers into their own virtual environments under benchmarks/.peers
# (never as project dependencies). Versions as measured in benchmarks/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .peers
python3 -m venv .peers/evidently
.peers/evidently/bin/pip install --quiet "evidently==0.7.*" "pandas<2.3"
python3 -m venv .peers/nannyml
.peers/nannyml/bin/pip install --quiet "nannyml==0.13.*" statsmodels "pandas<2.3"
echo "peers installed in benchmarks/.peers"
