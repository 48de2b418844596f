#!/usr/bin/env bash
# The Python package's tests: builds the abi3 wheel of crates/panelscope-py with maturin,
# installs it into a fresh venv with pytest, fsspec and Ray, and runs pytest. The tests
# compare against the `panelscope` binary (built here if `cargo test` has not built it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/panelscope/target}"
export RAY_USAGE_STATS_ENABLED=0
cache="${PANELSCOPE_CACHE:-$HOME/.cache/panelscope}"
python="${PYTHON:-python3}"
tools="$cache/tools"
if [ ! -x "$tools/bin/maturin" ]; then
    "$python" -m venv "$tools"
    "$tools/bin/pip" install -q "maturin>=1.7,<2"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --locked --bin panelscope
"$tools/bin/maturin" build --locked -m crates/panelscope-py/Cargo.toml --out "$work/wheels"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/wheels/*.whl "pytest>=7" "fsspec>=2023" "ray>=2.40,<3"
PANELSCOPE_BIN="$CARGO_TARGET_DIR/debug/panelscope" \
    "$work/venv/bin/python" -m pytest -q -p no:cacheprovider crates/panelscope-py/tests
