#!/usr/bin/env bash
# Every criterion bench of this tree against the same benches at an earlier commit, on this
# machine: the earlier commit's run is saved as criterion's baseline `base`, then this
# tree's run is compared with it, bench by bench (the two builds run one after the other, so
# on a busy machine re-run a flagged bench before believing it). Prints criterion's verdict
# for every bench and a summary of those it calls regressed or improved.
#
#   scripts/bench-compare.sh REV [SAMPLES]     (samples per channel, default 2,000,000)
#
# The earlier commit is checked out in a temporary git worktree, removed afterwards; both
# builds share CARGO_TARGET_DIR, so criterion's data for both is under it.
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: scripts/bench-compare.sh REV [SAMPLES]}"
export PANELSCOPE_BENCH_SAMPLES="${2:-2000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/panelscope/target}"
work="$(mktemp -d)"
git worktree add --quiet --detach "$work/base" "$rev"
trap 'git worktree remove --force "$work/base"; rm -rf "$work"' EXIT
benches=(
    "-p panelscope-core --bench capture"
    "-p panelscope-core --bench events"
    "-p panelscope-core --bench lod"
    "-p panelscope --bench api"
    "-p panelscope --bench explorer"
)
timing=(--warm-up-time 1 --measurement-time 3)
for bench in "${benches[@]}"; do
    echo "== $bench" >&2
    # shellcheck disable=SC2086
    (cd "$work/base" && cargo bench --locked $bench -- --save-baseline base "${timing[@]}" >/dev/null 2>&1) ||
        echo "   (not at $rev)" >&2
    # shellcheck disable=SC2086
    cargo bench --locked $bench -- --baseline base "${timing[@]}" 2>/dev/null | tee -a "$work/log" |
        grep -vE "^(Benchmarking|Found|Gnuplot|WARNING|Warning| +[0-9]+ \(|$)" || true
done
# The bench's name starts a line (with its time on it when the name is short).
verdicts() {
    awk -v want="$1" '/^[^ ]/ && !/^(Benchmarking|Found|Gnuplot|WARNING|Warning)/ {name = $0; sub(/ +time:.*/, "", name)}
        $0 ~ want {print "  " name; n++} END {if (!n) print "  none"}' "$work/log"
}
echo
echo "Regressed:"
verdicts "Performance has regressed"
echo "Improved:"
verdicts "Performance has improved"
