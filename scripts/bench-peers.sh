#!/usr/bin/env bash
# panelscope's headless passes against the peer script a user would write, whole processes
# side by side: statistics of Parquet (plain and zstd), CSV and COMTRADE against polars /
# numpy, decimation against polars + tsdownsample. Prints a Markdown table (pass,
# panelscope, peer, ratio, peak MiB and bytes per sample of each).
#
#   scripts/bench-peers.sh [--samples N] [--runs R]     (default 16,000,000 and 5)
#
# Keeps a venv with polars, pyarrow, numpy and tsdownsample, and the generated files
# (8 channels; about 1.2 GB for the Parquet pair at the default size, 2 GB of CSV), under
# ~/.cache/panelscope/peers. Run it on a quiet machine: every figure is a wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/panelscope/target}"
cache="${PANELSCOPE_CACHE:-$HOME/.cache/panelscope}/peers"
python="${PYTHON:-python3}"
mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ] || ! "$cache/venv/bin/python" -c "import polars, pyarrow, numpy, tsdownsample" 2>/dev/null; then
    "$python" -m venv "$cache/venv"
    "$cache/venv/bin/pip" install -q "polars>=1" "pyarrow>=15" "numpy>=1.26" "tsdownsample>=0.1.3"
fi
cargo build --release --locked --bin panelscope
"$cache/venv/bin/python" scripts/bench_peers.py run "$CARGO_TARGET_DIR/release/panelscope" "$cache/data" "$@"
