#!/usr/bin/env bash
# The README's pictures, from the real app: the bundled sample and the 31-analog,
# 32-digital relay record in ../shared, each opened in a fresh profile (the first-start
# layout) under a virtual X display and saved as docs/NAME.png.
#
# Needs xvfb, imagemagick and xdotool (apt-get install -y xvfb imagemagick xdotool) and a
# built binary: PANELSCOPE_BIN, else the release build under CARGO_TARGET_DIR or target/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${PANELSCOPE_BIN:-${CARGO_TARGET_DIR:-target}/release/panelscope}"
[ -x "$bin" ] || { echo "error: no panelscope binary at $bin (cargo build --release)" >&2; exit 1; }
wait_s="${PANELSCOPE_SHOT_WAIT:-10}"
display=":$(( 90 + RANDOM % 9 ))"
Xvfb "$display" -screen 0 1600x1000x24 >/dev/null 2>&1 &
xvfb=$!
work="$(mktemp -d)"
trap 'kill "$xvfb" 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1

# shot NAME FILE...: opens the files, waits for loading and detection, saves the window.
shot() {
    local name="$1"; shift
    mkdir -p "$work/$name"
    HOME="$work/$name" XDG_DATA_HOME="$work/$name/data" DISPLAY="$display" "$bin" open "$@" >"$work/$name.log" 2>&1 &
    local app=$!
    sleep "$wait_s"
    local window
    window="$(DISPLAY="$display" xdotool search --sync --limit 1 --class panelscope)"
    DISPLAY="$display" import -window "$window" "docs/$name.png"
    kill "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
    echo "docs/$name.png"
}

shot sample sample-data/split-phase-10s.parquet
relay=../shared/data/comtrade/br-dfr-pycomtrade/test3.cfg
if [ -e "$relay" ]; then
    shot relay-record "$relay"
else
    echo "skipped docs/relay-record.png: $relay is not beside the repository" >&2
fi
